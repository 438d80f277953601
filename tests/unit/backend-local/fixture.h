/*
 * fixture.h - what the local backend's tests share: a runtime driving a
 * fresh local backend in a private TMPDIR, its output captured in memory.
 */
#ifndef PIPEC_TEST_LOCAL_FIXTURE_H
#define PIPEC_TEST_LOCAL_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>

#include "backend-local/local.h"

extern struct ir_arena *A;
extern struct ir_doc D;
extern struct rt_backend B;
extern struct rt_report R;
extern struct diag_list DL;
extern struct rt_options O;
extern char *out_text;          /* everything the steps printed */
extern size_t out_len;
extern FILE *out;
extern char tmp[64];            /* the test's TMPDIR, removed afterwards */

/* Criterion .init and .fini of every suite here. */
void fx_setup(void);
void fx_teardown(void);

/* One pipeline of `n` empty steps s0, s1, ... positioned at t.yml. */
struct ir_pipeline *pipeline(size_t n);

/* Runs D on the backend and flushes the captured output. */
enum rt_status run(void);

/*
 * Step `s` reads secret `token` as TOKEN and the run knows it as "v4lue";
 * the caller releases `sec` after the run.
 */
void use_token(struct ir_step *s, struct rt_secrets *sec);

/* True when a diagnostic with `rule` mentions `text`. */
bool has_diag(const char *rule, const char *text);

#endif
