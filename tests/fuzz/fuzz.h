/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each target is one .c defining LLVMFuzzerTestOneInput(); they are
 * built by clang with ASan+UBSan (`make fuzz`, see DEVELOPERS.md).  A
 * property that does not hold is reported by fuzz_fail(), which aborts,
 * so libFuzzer saves the input as it does for a crash.
 *
 * fuzz_build() is what `pipec build` does to one file, followed by the
 * promise build makes: the IR it writes is read back by `pipec validate`
 * without a finding, and building that IR again writes the same bytes.
 */
#ifndef PIPEC_FUZZ_H
#define PIPEC_FUZZ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "validate/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((format(printf, 1, 2), noreturn))
static inline void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* Hands data[0..size) to `fn` in pieces of `piece` bytes, the last shorter. */
static inline void fuzz_in_pieces(const uint8_t *data, size_t size, size_t piece,
				  void (*fn)(void *arg, const char *bytes, size_t n), void *arg)
{
	for (size_t off = 0; off < size; off += piece)
		fn(arg, (const char *)data + off, size - off < piece ? size - off : piece);
}

/* Substitution variables: a few values of each kind, the rest unset. */
static inline const char *fuzz_getvar(void *arg, const char *name)
{
	static const char *const vars[][2] = {
		{"A", "alpha"}, {"EMPTY", ""}, {"SPACE", "a b c"}, {"DOLLAR", "$${A}"},
		{"NL", "one\ntwo"}, {"DRONE_BRANCH", "main"}, {"DRONE_TAG", "v1.2.3"},
		{"DRONE_COMMIT_SHA", "abc123def4567890"}, {"YAML", "{a: [1, *x]}"},
	};
	(void)arg;
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

#define FUZZ_CONTEXT {.branch = "main", .event = "push", .repo = "octo/hello", \
		      .commit = "abc123", .getvar = fuzz_getvar}

/* Compiles, checks and normalizes as `pipec build`; the IR, or NULL on an error. */
static inline struct ir_doc *fuzz_compile(const char *path, const char *text, size_t len,
					  struct ir_arena *a, struct diag_list *dl)
{
	static const struct fe_context ctx = FUZZ_CONTEXT;
	static const struct val_policy pol = {.trusted = true};
	struct ir_doc *d = fe_compile(path, text, len, &ctx, a, dl);
	if (!d || dl->nerrors)
		return NULL;
	val_check(d, &pol, dl);
	if (dl->nerrors)
		return NULL;
	val_normalize(d, a, 0);
	/* build writes nothing when every pipeline is skipped (no-pipelines) */
	return d->npipelines ? d : NULL;
}

/* The IR `text` that build wrote must build again, to the same bytes. */
static inline void fuzz_rebuild(const char *text)
{
	struct ir_arena *a = ir_arena_new();
	struct diag_list dl;
	diag_list_init(&dl);
	struct ir_doc *d = fuzz_compile("built.json", text, strlen(text), a, &dl);
	if (!d) {
		diag_print(stderr, &dl, DIAG_TEXT, false);
		fuzz_fail("the IR build wrote is refused when read back:\n%s", text);
	}
	char *again = ir_write(d, 0);
	if (strcmp(text, again) != 0)
		fuzz_fail("building the IR build wrote changes it:\n%s\n---- became\n%s", text, again);
	free(again);
	diag_list_release(&dl);
	ir_arena_free(a);
}

/* `pipec build PATH` of data[0..size), then fuzz_rebuild() of its output. */
static inline int fuzz_build(const char *path, const uint8_t *data, size_t size)
{
	struct ir_arena *a = ir_arena_new();
	struct diag_list dl;
	diag_list_init(&dl);
	struct ir_doc *d = fuzz_compile(path, (const char *)data, size, a, &dl);
	if (d) {
		char *text = ir_write(d, 0);
		fuzz_rebuild(text);
		free(text);
	}
	diag_list_release(&dl);
	ir_arena_free(a);
	return 0;
}

#endif
