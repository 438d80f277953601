/*
 * deps.c - depends_on between steps and between pipelines: every target
 * exists, and nothing depends on itself through any path.
 *
 * Targets may appear anywhere in the file (Drone insists on earlier ones;
 * pipec does not).  An unknown target gets the closest existing name as a
 * suggestion.  Cycles are found by a depth-first walk and reported with
 * the whole path, `a -> b -> a` reading "a depends on b, which depends on
 * a", at the first node of the path.  Both checks walk one graph per
 * list of nodes: its index resolves each target once, and a node with
 * fewer edges than targets is the only place to look for an unknown one.
 */
#include <string.h>

#include "validate/internal.h"

/* "; did you mean 'x'?" or "", in the scratch arena. */
static const char *hint(struct val_ctx *c, const char *name, const char *const *cands,
			size_t n)
{
	const char *s = ir_suggest(name, cands, n);
	return s ? ir_printf(c->scratch, " (did you mean '%s'?)", s) : "";
}

/*
 * Reports the depends_on targets that name no step.  The graph left them
 * out, so a step with as many edges as targets has none and is not
 * looked up again.
 */
static void check_step_targets(struct val_ctx *c, const struct ir_pipeline *p,
			       const struct val_graph *g)
{
	const char *const *names = g->index->names;
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ir_step *s = &p->steps[i];
		if (g->ndep[i] == s->depends_on.n)
			continue;
		for (size_t k = 0; k < s->depends_on.n; k++) {
			const char *t = s->depends_on.v[k];
			if (val_index_find(g->index, t) < p->nsteps)
				continue;
			diag_error(c->dl, s->pos, "unknown-dependency",
				   "step '%s' depends on unknown step '%s'%s", s->name ? s->name : "",
				   t ? t : "", hint(c, t, names, p->nsteps));
		}
	}
}

/* The same for pipelines. */
static void check_pipeline_targets(struct val_ctx *c, const struct val_graph *g)
{
	const struct ir_doc *d = c->doc;
	const char *const *names = g->index->names;
	for (size_t i = 0; i < d->npipelines; i++) {
		const struct ir_pipeline *p = &d->pipelines[i];
		if (g->ndep[i] == p->depends_on.n)
			continue;
		for (size_t k = 0; k < p->depends_on.n; k++) {
			const char *t = p->depends_on.v[k];
			if (val_index_find(g->index, t) < d->npipelines)
				continue;
			diag_error(c->dl, p->pos, "unknown-pipeline-dependency",
				   "pipeline '%s' depends on unknown pipeline '%s'%s",
				   p->name ? p->name : "", t ? t : "",
				   hint(c, t, names, d->npipelines));
		}
	}
}

struct cycle_report {
	struct val_ctx *c;
	const char *rule, *what;
	const char *const *names;
	const struct ir_pos *pos;
};

/* Joins the path as `a -> b -> a`, bounded so a long cycle stays one line. */
static void report_cycle(void *arg, const size_t *path, size_t len)
{
	struct cycle_report *r = arg;
	char buf[768];
	size_t used = 0;
	for (size_t i = 0; i < len && used < sizeof buf; i++) {
		const char *name = r->names[path[i]] ? r->names[path[i]] : "";
		int w = snprintf(buf + used, sizeof buf - used, "%s%s", i ? " -> " : "", name);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used >= sizeof buf)
		memcpy(buf + sizeof buf - 4, "...", 4);
	diag_error(r->c->dl, r->pos[path[0]], r->rule, "%s dependency cycle: %s", r->what, buf);
	for (size_t i = 0; i + 1 < len; i++)
		diag_relate(r->c->dl, r->pos[path[i]], "%s '%s' depends on '%s'", r->what,
			    r->names[path[i]] ? r->names[path[i]] : "",
			    r->names[path[i + 1]] ? r->names[path[i + 1]] : "");
}

/*
 * One graph of the steps serves both checks; its index has their names.
 * The graph is in `s`, which holds one pipeline's at a time.
 */
static void check_steps(struct val_ctx *c, size_t pi, struct ir_arena *s)
{
	const struct ir_pipeline *p = &c->doc->pipelines[pi];
	struct val_graph *g = val_graph_steps(p, val_steps_index(c, pi), s);
	struct ir_pos *pos = ir_calloc(s, p->nsteps ? p->nsteps : 1, sizeof *pos);
	for (size_t i = 0; i < p->nsteps; i++)
		pos[i] = p->steps[i].pos;
	check_step_targets(c, p, g);
	struct cycle_report r = {c, "dependency-cycle", "step", g->index->names, pos};
	val_graph_cycles(g, report_cycle, &r, s);
}

static void check_pipelines(struct val_ctx *c)
{
	const struct ir_doc *d = c->doc;
	struct val_index *index = val_index_pipelines(d, c->scratch);
	struct val_graph *g = val_graph_pipelines(d, index, c->scratch);
	struct ir_pos *pos = ir_calloc(c->scratch, d->npipelines ? d->npipelines : 1, sizeof *pos);
	for (size_t i = 0; i < d->npipelines; i++)
		pos[i] = d->pipelines[i].pos;
	check_pipeline_targets(c, g);
	struct cycle_report r = {c, "pipeline-dependency-cycle", "pipeline", index->names, pos};
	val_graph_cycles(g, report_cycle, &r, c->scratch);
}

void val_check_deps(struct val_ctx *c)
{
	struct ir_arena *s = ir_arena_new();
	for (size_t i = 0; i < c->doc->npipelines; i++) {
		ir_arena_reset(s);
		if (val_pipeline_fits(&c->doc->pipelines[i]))
			check_steps(c, i, s);
	}
	ir_arena_free(s);
	if (c->doc->npipelines <= VAL_MAX_STEPS)
		check_pipelines(c);
}
