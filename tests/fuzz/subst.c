/*
 * subst.c - `${VAR}` substitution of one scalar (fe_subst()).  The first
 * byte says whether the scalar is in `commands`; the rest is the scalar.
 * Besides not crashing: a result and an error never come together, and
 * a scalar without `$` comes back as itself.
 */
#include "frontend/internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static const struct fe_context ctx = FUZZ_CONTEXT;
	struct ir_arena *a = ir_arena_new();
	struct diag_list dl;
	diag_list_init(&dl);
	char *in = ir_strndup(a, (const char *)data + 1, size - 1);
	size_t len = size - 1;
	struct ir_pos pos = {.file = ".drone.yml", .line = 3, .col = 9};
	char *out = fe_subst(in, len, &ctx, data[0] & 1, pos, a, &dl);
	if (!out != (dl.nerrors > 0))
		fuzz_fail("substitution gave %s with %zu errors", out ? "a result" : "none",
			  dl.nerrors);
	if (!memchr(in, '$', len) && out != in)
		fuzz_fail("a scalar without '$' was changed");
	diag_list_release(&dl);
	ir_arena_free(a);
	return 0;
}
