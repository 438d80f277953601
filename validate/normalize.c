/*
 * normalize.c - val_normalize(): rewrites a checked document into the
 * explicit form the runtime and the printers want.
 *
 * Per pipeline, in order:
 *   1. defaults made explicit (platform linux/amd64 on container
 *      backends, /bin/sh for scripts, tcp for ports);
 *   2. identical volume and secret declarations merged, mounts of
 *      undeclared volumes dropped;
 *   3. the implicit sequential order made explicit: when no step has
 *      depends_on, each step depends on the closest earlier step that is
 *      not detached.  Detached steps (services) written first therefore
 *      depend on nothing, and nothing waits for a detached step.  A
 *      step's `depends_on: []` (kept by step 4 when it leaves no edge)
 *      says the steps start together instead;
 *   4. skipped steps removed, their dependents rewired to what the
 *      skipped step depended on, so every ordering constraint between the
 *      remaining steps survives; a pipeline left without a step is
 *      skipped itself, since IR holds no pipeline without steps;
 *   5. redundant edges dropped (transitive reduction);
 *   6. steps put in a stable topological order (dependencies first, ties
 *      in the written order).
 * Steps 4-6 apply to the pipelines of the document as well.
 *
 * `eff` lists a node's direct dependencies after skipped nodes are
 * bypassed, filled in one pass in topological order.  An edge can only be
 * redundant at a node with two or more of them, so only then is `reach`,
 * a bitset row per node of everything it transitively depends on, built;
 * a chain, the common case, costs time linear in its edges, and a fan-in
 * O(n * edges / 64).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validate/internal.h"

/* ---- defaults and merging ------------------------------------------ */

static void fill_defaults(struct ir_pipeline *p, struct ir_arena *a)
{
	if (p->backend != IR_BACKEND_LOCAL) {
		if (!p->platform.os)
			p->platform.os = ir_strdup(a, "linux");
		if (!p->platform.arch)
			p->platform.arch = ir_strdup(a, "amd64");
	}
	bool windows = p->platform.os && strcmp(p->platform.os, "windows") == 0;
	/* one copy each for the whole pipeline: nothing writes IR strings */
	char *sh = NULL, *tcp = NULL;
	for (size_t i = 0; i < p->nsteps; i++) {
		struct ir_step *s = &p->steps[i];
		if (s->script && !s->shell && !windows)
			s->shell = sh ? sh : (sh = ir_strdup(a, "/bin/sh"));
		const struct ir_step_extra *x = ir_step_extra(s);
		for (size_t k = 0; k < x->nports; k++)
			if (!x->ports[k].protocol)
				x->ports[k].protocol = tcp ? tcp : (tcp = ir_strdup(a, "tcp"));
	}
}

static bool same_str(const char *x, const char *y)
{
	return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

static void merge_volumes(struct ir_pipeline *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nvolumes; i++) {
		const struct ir_volume *v = &p->volumes[i];
		bool dup = false;
		for (size_t j = 0; j < n && !dup; j++)
			dup = same_str(v->name, p->volumes[j].name) && v->kind == p->volumes[j].kind &&
			      v->size_limit == p->volumes[j].size_limit &&
			      same_str(v->host_path, p->volumes[j].host_path);
		if (!dup)
			p->volumes[n++] = *v;
	}
	p->nvolumes = n;
}

/* As Drone does, a mount of a volume the pipeline lacks is dropped (refs.c warns). */
static void drop_unknown_mounts(struct ir_pipeline *p)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		struct ir_step_extra *x = p->steps[i].extra;
		size_t n = 0;
		if (!x)
			continue;       /* no mounts */
		for (size_t k = 0; k < x->nvolumes; k++) {
			bool known = false;
			for (size_t j = 0; j < p->nvolumes && !known; j++)
				known = same_str(x->volumes[k].name, p->volumes[j].name);
			if (known)
				x->volumes[n++] = x->volumes[k];
		}
		x->nvolumes = n;
	}
}

static void merge_secrets(struct ir_pipeline *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nsecrets; i++) {
		const struct ir_secret *s = &p->secrets[i];
		bool dup = false;
		for (size_t j = 0; j < n && !dup; j++)
			dup = same_str(s->name, p->secrets[j].name) && s->source == p->secrets[j].source &&
			      same_str(s->ref, p->secrets[j].ref);
		if (!dup)
			p->secrets[n++] = *s;
	}
	p->nsecrets = n;
}

/* ---- the implicit order --------------------------------------------- */

static void make_sequential(struct ir_pipeline *p, struct ir_arena *a)
{
	if (ir_steps_ordered_by_deps(p))
		return;
	const char *prev = NULL;
	for (size_t i = 0; i < p->nsteps; i++) {
		struct ir_step *s = &p->steps[i];
		if (prev) {
			s->depends_on.v = ir_calloc(a, 1, sizeof(char *));
			s->depends_on.v[0] = ir_strdup(a, prev);
			s->depends_on.n = 1;
		}
		if (!s->detach)
			prev = s->name;
	}
}

/*
 * Removing skipped steps can leave a pipeline ordered by depends_on with
 * no edge at all, whose steps all start at once.  Written without
 * depends_on it would read back in file order, so its first step keeps
 * `depends_on: []`, unless file order says the same: at most one step
 * that is not detached, and it last.
 */
static void keep_unordered(struct ir_pipeline *p, struct ir_arena *a)
{
	size_t jobs = 0;
	for (size_t i = 0; i < p->nsteps; i++) {
		if (p->steps[i].depends_on.n)
			return;
		jobs += !p->steps[i].detach;
	}
	if (jobs == 0 || (jobs == 1 && !p->steps[p->nsteps - 1].detach))
		return;
	p->steps[0].depends_on = (struct ir_strs){ir_calloc(a, 1, sizeof(char *)), 0};
}

/* ---- bypass, reduction, order --------------------------------------- */

struct bits {
	size_t words;
	uint64_t *v;    /* n rows of `words` words */
};

static uint64_t *row(const struct bits *b, size_t i)
{
	return b->v + i * b->words;
}

static bool has(const uint64_t *r, size_t j)
{
	return r[j / 64] >> (j % 64) & 1;
}

static void set(uint64_t *r, size_t j)
{
	r[j / 64] |= UINT64_C(1) << (j % 64);
}

static void merge_row(uint64_t *dst, const uint64_t *src, size_t words)
{
	for (size_t w = 0; w < words; w++)
		dst[w] |= src[w];
}

/* What the rewrite of one node list needs and produces. */
struct rewrite {
	struct val_graph *g;
	const char **names;
	const bool *removed;
	size_t **eff, *neff;        /* direct dependencies, skipped ones bypassed */
	struct bits reach;          /* words == 0 when no edge can be redundant */
	size_t *topo;               /* all nodes in topological order, before the rewrite */
	size_t *order, nkept;       /* kept nodes, in their new order */
};

/*
 * eff(i): i's dependencies, each skipped one replaced by its own eff,
 * without repeats (`seen` holds i + 1 for what node i already has).
 */
static void bypass(struct rewrite *r, size_t i, size_t *seen, struct ir_arena *s)
{
	const struct val_graph *g = r->g;
	size_t most = 0;
	for (size_t k = 0; k < g->ndep[i]; k++)
		most += r->removed[g->dep[i][k]] ? r->neff[g->dep[i][k]] : 1;
	r->eff[i] = ir_calloc(s, most ? most : 1, sizeof **r->eff);
	for (size_t k = 0; k < g->ndep[i]; k++) {
		size_t d = g->dep[i][k];
		const size_t *from = r->removed[d] ? r->eff[d] : &d;
		size_t nfrom = r->removed[d] ? r->neff[d] : 1;
		for (size_t e = 0; e < nfrom; e++)
			if (seen[from[e]] != i + 1) {
				seen[from[e]] = i + 1;
				r->eff[i][r->neff[i]++] = from[e];
			}
	}
}

/* Whether some kept node has two direct dependencies, one maybe redundant. */
static bool fans_in(const struct rewrite *r)
{
	for (size_t i = 0; i < r->g->n; i++)
		if (!r->removed[i] && r->neff[i] > 1)
			return true;
	return false;
}

/* reach(i): eff(i) and what each of those reaches, in topological order. */
static void fill_reach(struct rewrite *r, const size_t *topo, struct ir_arena *s)
{
	size_t n = r->g->n;
	r->reach.words = (n + 63) / 64;
	r->reach.v = ir_calloc(s, n * r->reach.words + 1, sizeof(uint64_t));
	for (size_t t = 0; t < n; t++) {
		size_t i = topo[t];
		uint64_t *ri = row(&r->reach, i);
		for (size_t k = 0; !r->removed[i] && k < r->neff[i]; k++) {
			set(ri, r->eff[i][k]);
			merge_row(ri, row(&r->reach, r->eff[i][k]), r->reach.words);
		}
	}
}

/* Fills eff, and reach when needed, in topological order; -1 on a cycle. */
static int close_over(struct rewrite *r, struct ir_arena *s)
{
	size_t n = r->g->n;
	size_t *topo = r->topo = ir_calloc(s, n ? n : 1, sizeof *topo);
	if (val_graph_order(r->g, topo, s) < n)
		return -1;
	size_t *seen = ir_calloc(s, n ? n : 1, sizeof *seen);
	r->eff = ir_calloc(s, n ? n : 1, sizeof *r->eff);
	r->neff = ir_calloc(s, n ? n : 1, sizeof *r->neff);
	for (size_t t = 0; t < n; t++)
		bypass(r, topo[t], seen, s);
	r->reach.words = 0;
	if (fans_in(r))
		fill_reach(r, topo, s);
	return 0;
}

static int by_index(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return (a > b) - (a < b);
}

/*
 * An edge i -> d is redundant when another direct dependency e reaches d.
 * In a DAG no e reaches itself, so d is redundant exactly when it is in
 * the union of reach(e) over i's direct dependencies.  A single
 * dependency is never redundant.  Kept edges are listed by index, in
 * eff(i)'s own room: nothing reads eff(i) once node i is reduced.
 */
static void reduce_node(struct rewrite *r, size_t i, uint64_t *covered)
{
	struct val_graph *g = r->g;
	size_t *eff = r->eff[i];
	size_t deg = r->removed[i] ? 0 : r->neff[i];
	g->dep[i] = eff;
	g->ndep[i] = 0;
	if (deg > 1) {
		memset(covered, 0, r->reach.words * sizeof *covered);
		for (size_t k = 0; k < deg; k++)
			merge_row(covered, row(&r->reach, eff[k]), r->reach.words);
	}
	for (size_t k = 0; k < deg; k++)
		if (deg == 1 || !has(covered, eff[k]))
			g->dep[i][g->ndep[i]++] = eff[k];
	if (g->ndep[i] > 1)
		qsort(g->dep[i], g->ndep[i], sizeof **g->dep, by_index);
}

static bool any_removed(const struct rewrite *r)
{
	for (size_t i = 0; i < r->g->n; i++)
		if (r->removed[i])
			return true;
	return false;
}

/*
 * Replaces the graph's edges by the reduced ones and orders kept nodes.
 * The order takes a node once everything it reaches is placed, and
 * dropping redundant edges changes nothing a node reaches: unless
 * skipped nodes were bypassed, the order found before stands.
 */
static void reduce_and_order(struct rewrite *r, struct ir_arena *s)
{
	struct val_graph *g = r->g;
	uint64_t *covered = ir_calloc(s, r->reach.words + 1, sizeof *covered);
	for (size_t i = 0; i < g->n; i++)
		reduce_node(r, i, covered);
	size_t *all = r->topo, placed = g->n;
	if (any_removed(r)) {
		all = ir_calloc(s, g->n ? g->n : 1, sizeof *all);
		placed = val_graph_order(g, all, s);
	}
	r->order = ir_calloc(s, g->n ? g->n : 1, sizeof *r->order);
	r->nkept = 0;
	for (size_t t = 0; t < placed; t++)
		if (!r->removed[all[t]])
			r->order[r->nkept++] = all[t];
}

/* Whether `list` names node i's reduced dependencies already, in their order. */
static bool names_deps(const struct rewrite *r, size_t i, const struct ir_strs *list)
{
	if (r->g->ndep[i] == 0 || list->n != r->g->ndep[i])
		return false;
	for (size_t k = 0; k < list->n; k++)
		if (!same_str(list->v[k], r->names[r->g->dep[i][k]]))
			return false;
	return true;
}

/*
 * The reduced depends_on of node i, whose list was `was`: that list when
 * it says the same, as most do, or names in the caller's arena.
 */
static struct ir_strs deps_of(const struct rewrite *r, size_t i, const struct ir_strs *was,
			      struct ir_arena *a)
{
	struct ir_strs out = {0};
	if (names_deps(r, i, was))
		return *was;
	if (!r->g->ndep[i])
		return out;
	out.v = ir_calloc(a, r->g->ndep[i], sizeof *out.v);
	for (size_t k = 0; k < r->g->ndep[i]; k++)
		out.v[out.n++] = ir_strdup(a, r->names[r->g->dep[i][k]]);
	return out;
}

/* Whether `order` keeps all `n` in their places: then nothing need move. */
static bool in_place(const size_t *order, size_t nkept, size_t n)
{
	if (nkept != n)
		return false;
	for (size_t t = 0; t < n; t++)
		if (order[t] != t)
			return false;
	return true;
}

static int rewrite_steps(struct ir_pipeline *p, unsigned flags, struct ir_arena *a,
			 struct ir_arena *s)
{
	size_t n = p->nsteps;
	struct rewrite r = {.g = val_graph_steps(p, val_index_steps(p, s), s)};
	bool *removed = ir_calloc(s, n ? n : 1, sizeof *removed);
	for (size_t i = 0; i < n; i++)
		removed[i] = !(flags & VAL_KEEP_SKIPPED) &&
			     val_is_skipped(p->steps[i].skip, p->steps[i].run_policy);
	r.names = r.g->index->names;
	r.removed = removed;
	if (close_over(&r, s) < 0)
		return -1;
	reduce_and_order(&r, s);
	if (in_place(r.order, r.nkept, n)) {
		/* the usual file: steps already in an order the graph allows */
		for (size_t t = 0; t < n; t++)
			p->steps[t].depends_on = deps_of(&r, t, &p->steps[t].depends_on, a);
		return 0;
	}
	struct ir_step *steps = ir_calloc(a, r.nkept ? r.nkept : 1, sizeof *steps);
	for (size_t t = 0; t < r.nkept; t++) {
		steps[t] = p->steps[r.order[t]];
		steps[t].depends_on = deps_of(&r, r.order[t], &steps[t].depends_on, a);
	}
	p->steps = steps;
	p->nsteps = r.nkept;
	return 0;
}

static struct ir_skip *skip_new(struct ir_arena *a, const char *reason, struct ir_pos pos)
{
	struct ir_skip *k = ir_alloc(a, sizeof *k);
	*k = (struct ir_skip){ir_strdup(a, reason), pos};
	return k;
}

static int rewrite_pipelines(struct ir_doc *d, unsigned flags, struct ir_arena *a,
			     struct ir_arena *s)
{
	size_t n = d->npipelines;
	struct rewrite r = {.g = val_graph_pipelines(d, val_index_pipelines(d, s), s)};
	bool *removed = ir_calloc(s, n ? n : 1, sizeof *removed);
	for (size_t i = 0; i < n; i++)
		removed[i] = !(flags & VAL_KEEP_SKIPPED) &&
			     val_is_skipped(d->pipelines[i].skip, d->pipelines[i].run_policy);
	r.names = r.g->index->names;
	r.removed = removed;
	if (close_over(&r, s) < 0)
		return -1;
	reduce_and_order(&r, s);
	struct ir_pipeline *ps = ir_calloc(a, r.nkept ? r.nkept : 1, sizeof *ps);
	for (size_t t = 0; t < r.nkept; t++) {
		ps[t] = d->pipelines[r.order[t]];
		ps[t].depends_on = deps_of(&r, r.order[t], &ps[t].depends_on, a);
	}
	d->pipelines = ps;
	d->npipelines = r.nkept;
	return 0;
}

int val_normalize(struct ir_doc *doc, struct ir_arena *a, unsigned flags)
{
	struct ir_arena *s = ir_arena_new();
	int rc = 0;
	for (size_t i = 0; i < doc->npipelines; i++) {
		struct ir_pipeline *p = &doc->pipelines[i];
		fill_defaults(p, a);
		merge_volumes(p);
		drop_unknown_mounts(p);
		merge_secrets(p);
		if (!val_pipeline_fits(p)) {
			rc = -1;
			continue;
		}
		make_sequential(p, a);
		bool had_steps = p->nsteps > 0;
		ir_arena_reset(s);      /* one pipeline's graph at a time */
		if (rewrite_steps(p, flags, a, s) < 0)
			rc = -1;
		else if (p->nsteps > 1)
			keep_unordered(p, a);
		else if (had_steps && p->nsteps == 0 && !p->skip)
			p->skip = skip_new(a, "every step is skipped", p->pos);
	}
	if (rc == 0 && doc->npipelines <= VAL_MAX_STEPS)
		rc = rewrite_pipelines(doc, flags, a, s);
	ir_arena_free(s);
	doc->normalized = rc == 0 && doc->npipelines <= VAL_MAX_STEPS &&
			  !(flags & VAL_KEEP_SKIPPED);
	return rc;
}
