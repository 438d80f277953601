/*
 * fecompile.c - the frontend alone: read a file, fe_compile() it against
 * the default context, free everything.  `pipec build` also validates,
 * normalizes and writes JSON; timing this program too shows which part
 * of the build's cost is the frontend's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "frontend/frontend.h"

int main(int argc, char **argv)
{
	struct ir_arena *a;
	struct diag_list dl;
	struct fe_context ctx;
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
	int ok;

	if (!f) {
		fprintf(stderr, "usage: fecompile FILE\n");
		return 2;
	}
	do {
		char *nt = realloc(text, cap = cap ? cap * 2 : 1 << 16);
		if (!nt)
			return 1;
		text = nt;
		n = fread(text + len, 1, cap - len, f);
		len += n;
	} while (len == cap);
	fclose(f);
	a = ir_arena_new();
	diag_list_init(&dl);
	fe_context_default(&ctx, ".", a);
	ok = fe_compile(argv[1], text, len, &ctx, a, &dl) != NULL;
	if (!ok)
		diag_print(stderr, &dl, DIAG_TEXT, false);
	diag_list_release(&dl);
	ir_arena_free(a);
	free(text);
	return ok ? 0 : 1;
}
