/*
 * fecompile.c - the frontend alone: fe_compile_file() a file against
 * the default context, free everything.  `pipec build` also validates,
 * normalizes and writes JSON; timing this program too shows which part
 * of the build's cost is the frontend's.
 */
#include <stdio.h>

#include "frontend/frontend.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fecompile FILE\n");
		return 2;
	}
	struct ir_arena *a = ir_arena_new();
	struct diag_list dl;
	struct fe_context ctx;
	diag_list_init(&dl);
	fe_context_default(&ctx, ".", a);
	int ok = fe_compile_file(argv[1], NULL, &ctx, a, &dl) != NULL;
	if (!ok)
		diag_print(stderr, &dl, DIAG_TEXT, false);
	diag_list_release(&dl);
	ir_arena_free(a);
	return ok ? 0 : 1;
}
