/*
 * suite.c - the arena and diagnostics list of suite.h.
 */
#include "suite.h"

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
