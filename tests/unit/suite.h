/*
 * suite.h - what unit suites of several stages set up alike: an arena
 * and a diagnostics list, made afresh for each test (Criterion runs each
 * test in a process of its own).  Linked into every unit binary.
 */
#ifndef PIPEC_TEST_UNIT_SUITE_H
#define PIPEC_TEST_UNIT_SUITE_H

#include <stdbool.h>

#include "ir/ir.h"

extern struct ir_arena *arena;
extern struct diag_list dl;

/* `.init` and `.fini` of a suite or test using the two above. */
void suite_setup(void);
void suite_teardown(void);

/* Whether `l` holds a diagnostic of `rule` whose message contains `text`. */
bool suite_has_diag(const struct diag_list *l, const char *rule, const char *text);

#endif
