/*
 * deps.c - depends_on between steps and between pipelines: every target
 * exists, and nothing depends on itself through any path.
 *
 * Targets may appear anywhere in the file (Drone insists on earlier ones;
 * pipec does not).  An unknown target gets the closest existing name as a
 * suggestion.  Cycles are found by a depth-first walk and reported with
 * the whole path, `a -> b -> a` reading "a depends on b, which depends on
 * a", at the first node of the path.
 */
#include <string.h>

#include "internal.h"

/* "; did you mean 'x'?" or "", in the scratch arena. */
static const char *hint(struct val_ctx *c, const char *name, const char *const *cands,
			size_t n)
{
	const char *s = ir_suggest(name, cands, n);
	return s ? ir_printf(c->scratch, " (did you mean '%s'?)", s) : "";
}

static void check_step_targets(struct val_ctx *c, const struct ir_pipeline *p)
{
	const char **names = ir_calloc(c->scratch, p->nsteps ? p->nsteps : 1, sizeof *names);
	for (size_t i = 0; i < p->nsteps; i++)
		names[i] = p->steps[i].name;
	struct val_index *index = val_index_new(names, p->nsteps, c->scratch);
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ir_step *s = &p->steps[i];
		for (size_t k = 0; k < s->depends_on.n; k++) {
			const char *t = s->depends_on.v[k];
			if (val_index_find(index, t) < p->nsteps)
				continue;
			diag_error(c->dl, s->pos, "unknown-dependency",
				   "step '%s' depends on unknown step '%s'%s", s->name ? s->name : "",
				   t ? t : "", hint(c, t, names, p->nsteps));
		}
	}
}

static void check_pipeline_targets(struct val_ctx *c)
{
	const struct ir_doc *d = c->doc;
	const char **names = ir_calloc(c->scratch, d->npipelines ? d->npipelines : 1,
				       sizeof *names);
	for (size_t i = 0; i < d->npipelines; i++)
		names[i] = d->pipelines[i].name;
	struct val_index *index = val_index_new(names, d->npipelines, c->scratch);
	for (size_t i = 0; i < d->npipelines; i++) {
		const struct ir_pipeline *p = &d->pipelines[i];
		for (size_t k = 0; k < p->depends_on.n; k++) {
			const char *t = p->depends_on.v[k];
			if (val_index_find(index, t) < d->npipelines)
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
}

static void check_step_cycles(struct val_ctx *c, const struct ir_pipeline *p)
{
	const char **names = ir_calloc(c->scratch, p->nsteps ? p->nsteps : 1, sizeof *names);
	struct ir_pos *pos = ir_calloc(c->scratch, p->nsteps ? p->nsteps : 1, sizeof *pos);
	for (size_t i = 0; i < p->nsteps; i++) {
		names[i] = p->steps[i].name;
		pos[i] = p->steps[i].pos;
	}
	struct cycle_report r = {c, "dependency-cycle", "step", names, pos};
	val_graph_cycles(val_graph_steps(p, c->scratch), report_cycle, &r, c->scratch);
}

static void check_pipeline_cycles(struct val_ctx *c)
{
	const struct ir_doc *d = c->doc;
	size_t n = d->npipelines ? d->npipelines : 1;
	const char **names = ir_calloc(c->scratch, n, sizeof *names);
	struct ir_pos *pos = ir_calloc(c->scratch, n, sizeof *pos);
	for (size_t i = 0; i < d->npipelines; i++) {
		names[i] = d->pipelines[i].name;
		pos[i] = d->pipelines[i].pos;
	}
	struct cycle_report r = {c, "pipeline-dependency-cycle", "pipeline", names, pos};
	val_graph_cycles(val_graph_pipelines(d, c->scratch), report_cycle, &r, c->scratch);
}

void val_check_deps(struct val_ctx *c)
{
	for (size_t i = 0; i < c->doc->npipelines; i++) {
		const struct ir_pipeline *p = &c->doc->pipelines[i];
		if (!val_pipeline_fits(p))
			continue;
		check_step_targets(c, p);
		check_step_cycles(c, p);
	}
	if (c->doc->npipelines <= VAL_MAX_STEPS) {
		check_pipeline_targets(c);
		check_pipeline_cycles(c);
	}
}
