/*
 * fixture.h - IR documents and helpers shared by the ir unit tests.
 */
#ifndef PIPEC_TEST_IR_FIXTURE_H
#define PIPEC_TEST_IR_FIXTURE_H

#include "ir/ir.h"

/* A document that sets every field of every IR struct to a non-zero value. */
struct ir_doc *fixture_full(struct ir_arena *a);

/* The smallest valid document: one pipeline with one step. */
struct ir_doc *fixture_min(struct ir_arena *a);

/* ir_read() of a C string; diagnostics go to `dl`. */
struct ir_doc *fixture_read(const char *text, struct ir_arena *a, struct diag_list *dl);

/* True when `dl` holds a diagnostic with this rule, pointer and message. */
bool fixture_has(const struct diag_list *dl, const char *rule, const char *pointer,
		 const char *message);

/* The diagnostics as text lines, for failure messages; caller frees. */
char *fixture_dump(const struct diag_list *dl);

#endif
