/*
 * chain.c - the largest pipelines the validator takes: a chain of
 * VAL_MAX_STEPS steps written in reverse, one with every other step
 * skipped, and a step after all others; each normalized to the edges a
 * small example would get, and names checked through the hash index.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tests/unit/validate/build.h"

TestSuite(chain, .init = suite_setup, .fini = suite_teardown);

/* Step `i` (counting from 1) depends on `dep`, written as its name. */
static void depend(struct ir_pipeline *p, size_t i, size_t dep)
{
	p->steps[i - 1].depends_on = strs(arena, ir_printf(arena, "s%zu", dep), NULL);
}

/* The number in step `s`'s name. */
static size_t num(const struct ir_step *s)
{
	return (size_t)atol(s->name + 1);
}

Test(chain, longest_chain_written_backwards_is_put_in_order)
{
	size_t n = VAL_MAX_STEPS;
	struct ir_doc *d = doc_new(arena, 1, n);
	struct ir_pipeline *p = &d->pipelines[0];
	/* s1 runs last: each step depends on the one written after it */
	for (size_t i = 1; i < n; i++)
		depend(p, i, i + 1);
	cr_assert_eq(val_check(d, NULL, &dl), 0);
	cr_assert_eq(val_normalize(d, arena, 0), 0);
	cr_assert_eq(p->nsteps, n);
	for (size_t t = 0; t < n; t++) {
		cr_assert_eq(num(&p->steps[t]), n - t);
		cr_assert_eq(p->steps[t].depends_on.n, t ? 1u : 0u);
		if (t)
			cr_assert_eq((size_t)atol(p->steps[t].depends_on.v[0] + 1), n - t + 1);
	}
}

Test(chain, skipped_links_are_bypassed)
{
	size_t n = VAL_MAX_STEPS;
	struct ir_doc *d = doc_new(arena, 1, n);
	struct ir_pipeline *p = &d->pipelines[0];
	for (size_t i = 2; i <= n; i++)
		depend(p, i, i - 1);
	for (size_t i = 2; i <= n; i += 2)
		p->steps[i - 1].run_policy = IR_RUN_NEVER;
	cr_assert_eq(val_normalize(d, arena, 0), 0);
	cr_assert_eq(p->nsteps, n / 2);
	for (size_t t = 0; t < p->nsteps; t++) {
		cr_assert_eq(num(&p->steps[t]), 2 * t + 1);
		cr_assert_eq(p->steps[t].depends_on.n, t ? 1u : 0u);
		if (t)
			cr_assert_eq((size_t)atol(p->steps[t].depends_on.v[0] + 1), 2 * t - 1);
	}
}

/* The last step waits for every other one: only the edge to its predecessor is needed. */
Test(chain, a_step_after_all_others_keeps_one_edge)
{
	size_t n = 600;
	struct ir_doc *d = doc_new(arena, 1, n);
	struct ir_pipeline *p = &d->pipelines[0];
	for (size_t i = 2; i < n; i++)
		depend(p, i, i - 1);
	struct ir_strs all = {ir_calloc(arena, n, sizeof(char *)), 0};
	for (size_t j = n - 1; j >= 1; j--)
		all.v[all.n++] = ir_printf(arena, "s%zu", j);
	p->steps[n - 1].depends_on = all;
	cr_assert_eq(val_normalize(d, arena, 0), 0);
	const struct ir_step *last = ir_step_find(p, ir_printf(arena, "s%zu", n));
	cr_assert_not_null(last);
	cr_assert_eq(last->depends_on.n, 1);
	cr_assert_str_eq(last->depends_on.v[0], ir_printf(arena, "s%zu", n - 1));
	cr_assert_eq(num(&p->steps[n - 1]), n);
}

Test(chain, every_repeated_name_points_at_the_first)
{
	size_t n = 900;     /* 800 findings stay under DIAG_MAX */
	struct ir_doc *d = doc_new(arena, 1, n);
	struct ir_pipeline *p = &d->pipelines[0];
	/* names s1..s100 written again and again */
	for (size_t i = 0; i < n; i++)
		p->steps[i].name = ir_printf(arena, "s%zu", i % 100 + 1);
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "duplicate-step-name"), n - 100);
	for (size_t i = 0; i < dl.len; i++) {
		const struct diag *g = &dl.items[i];
		if (strcmp(g->rule, "duplicate-step-name") != 0)
			continue;
		int line = g->pos.line;     /* steps sit on lines 2.. */
		int first = (line - 2) % 100 + 2;
		cr_assert(strstr(g->message, ir_printf(arena, "(first at line %d)", first)),
			  "%s", g->message);
	}
}
