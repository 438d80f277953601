/*
 * normalize.c - val_normalize(): explicit edges, skipped steps removed
 * with their constraints kept, transitive reduction, stable order; and on
 * random DAGs, that the result is valid and orders the remaining steps
 * exactly as the original did.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tests/unit/validate/build.h"

TestSuite(normalize, .init = suite_setup, .fini = suite_teardown);

/* The depends_on of step `name` joined with commas, "" when none. */
static const char *deps(const struct ir_pipeline *p, const char *name)
{
	const struct ir_step *s = ir_step_find(p, name);
	cr_assert_not_null(s, "no step %s", name);
	char *out = ir_strdup(arena, "");
	for (size_t i = 0; i < s->depends_on.n; i++)
		out = ir_printf(arena, "%s%s%s", out, i ? "," : "", s->depends_on.v[i]);
	return out;
}

static const char *order(const struct ir_pipeline *p)
{
	char *out = ir_strdup(arena, "");
	for (size_t i = 0; i < p->nsteps; i++)
		out = ir_printf(arena, "%s%s%s", out, i ? " " : "", p->steps[i].name);
	return out;
}

Test(normalize, implicit_order_becomes_edges)
{
	struct ir_doc *d = doc_new(arena, 1, 5);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[0].detach = true;      /* a service, written first */
	p->steps[3].detach = true;      /* a detached step after s3 */
	cr_assert_eq(val_normalize(d, arena, 0), 0);
	cr_assert_str_eq(deps(p, "s1"), "");
	cr_assert_str_eq(deps(p, "s2"), "");
	cr_assert_str_eq(deps(p, "s3"), "s2");
	cr_assert_str_eq(deps(p, "s4"), "s3");
	cr_assert_str_eq(deps(p, "s5"), "s3");
}

Test(normalize, explicit_graph_is_left_alone)
{
	struct ir_doc *d = doc_new(arena, 1, 3);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[2].depends_on = strs(arena, "s1", NULL);
	val_normalize(d, arena, 0);
	cr_assert_str_eq(deps(p, "s2"), "");
	cr_assert_str_eq(deps(p, "s3"), "s1");
}

Test(normalize, skipped_steps_removed_and_rewired)
{
	struct ir_doc *d = doc_new(arena, 1, 4);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[1].skip = ir_alloc(arena, sizeof *p->steps[1].skip);
	p->steps[1].skip->reason = ir_strdup(arena, "branch 'dev' is not in when.branch");
	p->steps[2].run_policy = IR_RUN_NEVER;
	val_normalize(d, arena, 0);
	cr_assert_str_eq(order(p), "s1 s4");
	cr_assert_str_eq(deps(p, "s4"), "s1");
}

/*
 * s3 held the only edges; without it s1 and s2 start together, which the
 * pipeline keeps saying with s1's `depends_on: []` when normalized again.
 */
Test(normalize, a_graph_left_without_edges_stays_a_graph)
{
	struct ir_doc *d = doc_new(arena, 1, 3);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[2].depends_on = strs(arena, "s1", "s2", NULL);
	p->steps[2].run_policy = IR_RUN_NEVER;
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(val_normalize(d, arena, 0), 0);
		cr_assert_str_eq(order(p), "s1 s2");
		cr_assert_not_null(p->steps[0].depends_on.v, "round %d", round);
		cr_assert_str_eq(deps(p, "s1"), "");
		cr_assert_str_eq(deps(p, "s2"), "", "round %d: s2 is not put after s1", round);
	}
}

/* When file order says the same, no mark is needed: a service, then one step. */
Test(normalize, no_mark_where_file_order_agrees)
{
	struct ir_doc *d = doc_new(arena, 1, 3);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[0].detach = true;
	p->steps[2].depends_on = strs(arena, "s1", "s2", NULL);
	p->steps[2].run_policy = IR_RUN_NEVER;
	cr_assert_eq(val_normalize(d, arena, 0), 0);
	cr_assert_str_eq(order(p), "s1 s2");
	cr_assert_null(p->steps[0].depends_on.v);
	cr_assert_null(p->steps[1].depends_on.v);
}

Test(normalize, keep_skipped_keeps_them)
{
	struct ir_doc *d = doc_new(arena, 1, 3);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[1].skip = ir_alloc(arena, sizeof *p->steps[1].skip);
	val_normalize(d, arena, VAL_KEEP_SKIPPED);
	cr_assert_str_eq(order(p), "s1 s2 s3");
	cr_assert_str_eq(deps(p, "s3"), "s2");
	cr_assert_not_null(ir_step_find(p, "s2")->skip);
}

Test(normalize, transitive_reduction_and_duplicates)
{
	struct ir_doc *d = doc_new(arena, 1, 4);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[1].depends_on = strs(arena, "s1", NULL);
	p->steps[2].depends_on = strs(arena, "s2", "s1", "s2", NULL);
	p->steps[3].depends_on = strs(arena, "s1", "s3", "s2", NULL);
	val_normalize(d, arena, 0);
	cr_assert_str_eq(deps(p, "s3"), "s2");
	cr_assert_str_eq(deps(p, "s4"), "s3");
}

Test(normalize, stable_topological_order)
{
	struct ir_doc *d = doc_new(arena, 1, 5);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[0].depends_on = strs(arena, "s4", NULL);
	p->steps[1].depends_on = strs(arena, "s5", NULL);
	p->steps[3].depends_on = strs(arena, "s3", NULL);
	val_normalize(d, arena, 0);
	cr_assert_str_eq(order(p), "s3 s4 s1 s5 s2");
}

Test(normalize, defaults_and_merged_volumes)
{
	struct ir_doc *d = doc_new(arena, 1, 1);
	struct ir_pipeline *p = &d->pipelines[0];
	p->nvolumes = 3;
	p->volumes = ir_calloc(arena, 3, sizeof *p->volumes);
	p->volumes[0].name = ir_strdup(arena, "cache");
	p->volumes[1].name = ir_strdup(arena, "other");
	p->volumes[2].name = ir_strdup(arena, "cache");
	val_normalize(d, arena, 0);
	cr_assert_eq(p->nvolumes, 2);
	cr_assert_str_eq(p->volumes[1].name, "other");
	cr_assert_str_eq(p->platform.os, "linux");
	cr_assert_str_eq(p->platform.arch, "amd64");
	cr_assert_str_eq(p->steps[0].shell, "/bin/sh");
}

Test(normalize, skipped_pipelines_removed)
{
	struct ir_doc *d = doc_new(arena, 3, 1);
	d->pipelines[1].skip = ir_alloc(arena, sizeof *d->pipelines[1].skip);
	d->pipelines[1].depends_on = strs(arena, "p1", NULL);
	d->pipelines[2].depends_on = strs(arena, "p2", NULL);
	val_normalize(d, arena, 0);
	cr_assert_eq(d->npipelines, 2);
	cr_assert_str_eq(d->pipelines[1].name, "p3");
	cr_assert_eq(d->pipelines[1].depends_on.n, 1);
	cr_assert_str_eq(d->pipelines[1].depends_on.v[0], "p1");
}

Test(normalize, cycle_is_refused)
{
	struct ir_doc *d = doc_new(arena, 1, 2);
	d->pipelines[0].steps[0].depends_on = strs(arena, "s2", NULL);
	d->pipelines[0].steps[1].depends_on = strs(arena, "s1", NULL);
	cr_assert_eq(val_normalize(d, arena, 0), -1);
	cr_assert_eq(d->pipelines[0].nsteps, 2);
}

/* ---- random DAGs ------------------------------------------------------ */

#define N 24

/* closure[i][j]: step i (by original index) must run after step j. */
static void closure_of(const struct ir_pipeline *p, const int *index_of_step,
		       bool c[N][N])
{
	memset(c, 0, sizeof(bool) * N * N);
	for (size_t i = 0; i < p->nsteps; i++) {
		int si = index_of_step[i];
		for (size_t k = 0; k < p->steps[i].depends_on.n; k++) {
			int j = atoi(p->steps[i].depends_on.v[k] + 1) - 1;
			c[si][j] = true;
		}
	}
	for (int k = 0; k < N; k++)
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++)
				if (c[i][k] && c[k][j])
					c[i][j] = true;
}

static bool skipped_at(const bool *skipped, int i)
{
	return skipped[i];
}

/*
 * A pipeline of N steps in a fresh arena, each step depending on each
 * lower one with a chance of 1 in `one_in` (edges only to lower indices
 * keep it acyclic); with `skipped`, about a quarter of the steps are
 * skipped and marked there.  Then the order written is shuffled.
 */
static struct ir_doc *random_dag(int one_in, bool *skipped)
{
	ir_arena_free(arena);
	arena = ir_arena_new();
	struct ir_doc *d = doc_new(arena, 1, N);
	struct ir_pipeline *p = &d->pipelines[0];
	for (int i = 0; i < N; i++) {
		struct ir_step *s = &p->steps[i];
		s->depends_on.v = ir_calloc(arena, N, sizeof(char *));
		for (int j = 0; j < i; j++)
			if (rand() % one_in == 0)
				s->depends_on.v[s->depends_on.n++] = ir_printf(arena, "s%d", j + 1);
		if (skipped)
			skipped[i] = rand() % 4 == 0;
		if (skipped && skipped[i])
			s->run_policy = IR_RUN_NEVER;
	}
	for (int i = N - 1; i > 0; i--) {
		int j = rand() % (i + 1);
		struct ir_step t = p->steps[i];
		p->steps[i] = p->steps[j];
		p->steps[j] = t;
	}
	return d;
}

Test(normalize, random_dags_keep_every_constraint)
{
	srand(4);
	for (int round = 0; round < 200; round++) {
		bool skipped[N] = {0};
		struct ir_doc *d = random_dag(5, skipped);
		struct ir_pipeline *p = &d->pipelines[0];
		int idx[N];
		for (int i = 0; i < N; i++)
			idx[i] = atoi(p->steps[i].name + 1) - 1;
		bool before[N][N], after[N][N];
		closure_of(p, idx, before);
		bool any_deps = false;
		for (int i = 0; i < N; i++)
			any_deps |= p->steps[i].depends_on.n > 0;
		if (!any_deps)
			continue;

		cr_assert_eq(val_check(d, NULL, &dl), 0);
		cr_assert_eq(val_normalize(d, arena, 0), 0);
		cr_assert_eq(val_check(d, NULL, &dl), 0, "optimized IR is invalid");

		int kept = 0;
		for (int i = 0; i < N; i++)
			kept += !skipped[i];
		cr_assert_eq((int)p->nsteps, kept);
		int nidx[N], pos_of[N];
		for (size_t i = 0; i < p->nsteps; i++) {
			nidx[i] = atoi(p->steps[i].name + 1) - 1;
			cr_assert(!skipped_at(skipped, nidx[i]));
			pos_of[nidx[i]] = (int)i;
		}
		closure_of(p, nidx, after);
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++) {
				if (skipped[i] || skipped[j])
					continue;
				cr_assert_eq(before[i][j], after[i][j],
					     "round %d: s%d after s%d: %d before, %d after", round,
					     i + 1, j + 1, before[i][j], after[i][j]);
				if (after[i][j])
					cr_assert_gt(pos_of[i], pos_of[j], "not topological");
			}
		/* reduced: no edge is implied by the others */
		for (size_t i = 0; i < p->nsteps; i++) {
			const struct ir_strs *ds = &p->steps[i].depends_on;
			for (size_t k = 0; k < ds->n; k++)
				for (size_t m = 0; m < ds->n; m++) {
					int x = atoi(ds->v[k] + 1) - 1, y = atoi(ds->v[m] + 1) - 1;
					cr_assert(k == m || !after[y][x], "redundant edge");
				}
		}
	}
}

/* Whether every dependency of the step written at `i` is placed. */
static bool ready(const struct ir_pipeline *p, int i, const bool *placed)
{
	const struct ir_strs *ds = &p->steps[i].depends_on;
	for (size_t k = 0; k < ds->n; k++)
		if (!placed[ir_step_find(p, ds->v[k]) - p->steps])
			return false;
	return true;
}

/*
 * With nothing skipped the order is the stable one, each time the first
 * step as written whose dependencies are placed, however many redundant
 * edges are dropped on the way.
 */
Test(normalize, order_is_the_first_ready_as_written)
{
	srand(9);
	for (int round = 0; round < 200; round++) {
		struct ir_doc *d = random_dag(3, NULL);
		struct ir_pipeline *p = &d->pipelines[0];
		const char *want[N];
		bool placed[N] = {0};
		for (int t = 0; t < N; t++) {
			int i = 0;
			while (placed[i] || !ready(p, i, placed))
				i++;
			placed[i] = true;
			want[t] = p->steps[i].name;
		}
		cr_assert_eq(val_normalize(d, arena, 0), 0);
		cr_assert_eq(p->nsteps, (size_t)N);
		for (int t = 0; t < N; t++)
			cr_assert_str_eq(p->steps[t].name, want[t], "round %d, place %d", round, t);
	}
}

/* Normalizing twice changes nothing the second time. */
Test(normalize, idempotent)
{
	struct ir_doc *d = doc_new(arena, 2, 6);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[0].detach = true;
	p->steps[2].skip = ir_alloc(arena, sizeof *p->steps[2].skip);
	d->pipelines[1].steps[5].depends_on = strs(arena, "s1", "s2", NULL);
	d->pipelines[1].steps[1].depends_on = strs(arena, "s1", NULL);
	d->pipelines[1].depends_on = strs(arena, "p1", NULL);
	cr_assert_eq(val_normalize(d, arena, 0), 0);
	const char *first[2][7];
	for (int i = 0; i < 2; i++) {
		first[i][0] = order(&d->pipelines[i]);
		for (size_t j = 0; j < d->pipelines[i].nsteps; j++)
			first[i][j + 1] = deps(&d->pipelines[i], d->pipelines[i].steps[j].name);
	}
	cr_assert_eq(val_normalize(d, arena, 0), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_str_eq(order(&d->pipelines[i]), first[i][0]);
		for (size_t j = 0; j < d->pipelines[i].nsteps; j++)
			cr_assert_str_eq(deps(&d->pipelines[i], d->pipelines[i].steps[j].name),
					 first[i][j + 1]);
	}
	cr_assert_str_eq(first[0][0], "s1 s2 s4 s5 s6");
	cr_assert_str_eq(first[1][0], "s1 s2 s3 s4 s5 s6");
}
