/*
 * suite.c - the arena and diagnostics list of suite.h.
 */
#include <string.h>

#include "tests/unit/suite.h"

struct ir_arena *arena;
struct diag_list dl;

void suite_setup(void)
{
	arena = ir_arena_new();
	diag_list_init(&dl);
}

void suite_teardown(void)
{
	diag_list_release(&dl);
	ir_arena_free(arena);
}

bool suite_has_diag(const struct diag_list *l, const char *rule, const char *text)
{
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->items[i].rule, rule) == 0 && strstr(l->items[i].message, text))
			return true;
	return false;
}
