/*
 * artifacts.c - paths handed between steps: every export name once per
 * pipeline, every import an export of a step that runs before the
 * importer, no name that climbs out of the artifacts folder.
 *
 * The checks run on the IR, so a document read from JSON gets the same
 * findings as the YAML it may have come from.  Export names are indexed
 * once (the first of equal names wins, a later one is a duplicate).
 * "Runs before" follows depends_on: one walk per importing step marks
 * its ancestors, and each of its imports looks its exporter up among
 * them; a pipeline without depends_on runs in the written order, so an
 * earlier step is enough.  A step ruled out in this build (skipped, or
 * never run) exports nothing, and its own imports are not checked, since
 * normalizing removes it.  Walks are bounded in total: past the ceiling
 * an import is checked by name only, and the backend still refuses an
 * import that nothing exported before it.  Findings are at the
 * artifact's position when the frontend knew it, else at its step's.
 */
#include <string.h>

#include "validate/internal.h"

/* Dependencies followed by all walks of one pipeline, at most. */
#define VAL_MAX_ARTIFACT_WALK (1u << 22)

/* One pipeline's exports, indexed by name, and its step graph. */
struct arts {
	struct val_ctx *c;
	const struct ir_pipeline *p;
	const struct ir_artifact **art;     /* every export, in order */
	size_t *step;                       /* by export: its step */
	struct val_index *index;            /* export names */
	size_t n;
	struct val_graph *g;                /* NULL: the written order */
	size_t *seen, walk, *stack, work;
};

static struct ir_pos art_pos(const struct ir_step *s, const struct ir_artifact *a)
{
	return a->pos.line || a->pos.pointer ? a->pos : s->pos;
}

static const char *step_name(const struct ir_pipeline *p, size_t i)
{
	return p->steps[i].name ? p->steps[i].name : "";
}

/* A name becomes a directory under --artifacts: it must stay inside. */
static bool climbs(const char *name)
{
	for (const char *p = name; (p = strstr(p, "..")); p += 2)
		if ((p == name || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

static void check_name(struct val_ctx *c, const struct ir_step *s,
		       const struct ir_artifact *a, const char *what)
{
	if (a->name && climbs(a->name))
		diag_error(c->dl, art_pos(s, a), "invalid-value",
			   "%s: artifact name '%s' goes up with '..', give it a name", what, a->name);
}

/* Export i bears the name export `first` has; "at line N" when known. */
static void duplicate(struct arts *x, size_t i, size_t first)
{
	struct ir_pos at = art_pos(&x->p->steps[x->step[first]], x->art[first]);
	diag_error(x->c->dl, art_pos(&x->p->steps[x->step[i]], x->art[i]), "duplicate-artifact",
		   "duplicate artifact '%s' (first exported by step '%s'%s)", x->art[i]->name,
		   step_name(x->p, x->step[first]),
		   at.line ? ir_printf(x->c->scratch, " at line %d", at.line) : "");
	diag_relate(x->c->dl, at, "artifact '%s' is first exported here", x->art[i]->name);
}

/* Collects the exports, reporting names given twice and names that climb. */
static void index_exports(struct arts *x, size_t total)
{
	struct ir_arena *a = x->c->scratch;
	const char **names = ir_calloc(a, total + 1, sizeof *names);
	x->art = ir_calloc(a, total + 1, sizeof *x->art);
	x->step = ir_calloc(a, total + 1, sizeof *x->step);
	for (size_t i = 0; i < x->p->nsteps; i++)
		for (size_t k = 0; k < ir_step_extra(&x->p->steps[i])->nexports; k++) {
			const struct ir_artifact *e = &ir_step_extra(&x->p->steps[i])->exports[k];
			check_name(x->c, &x->p->steps[i], e, "exports");
			if (!e->name)
				continue;
			x->art[x->n] = e, x->step[x->n] = i, names[x->n++] = e->name;
		}
	x->index = val_index_new(names, x->n, a);
	for (size_t i = 0; i < x->n; i++)
		if (x->index->first[i] < i)
			duplicate(x, i, x->index->first[i]);
}

/*
 * Marks step `to`'s ancestors with the current walk; false when the
 * ceiling is reached, and nothing is known.
 */
static bool mark_ancestors(struct arts *x, size_t to)
{
	size_t top = 0;
	x->walk++;
	x->stack[top++] = to;
	while (top) {
		size_t s = x->stack[--top];
		if ((x->work += x->g->ndep[s]) > VAL_MAX_ARTIFACT_WALK)
			return false;
		for (size_t i = 0; i < x->g->ndep[s]; i++) {
			size_t k = x->g->dep[s][i];
			if (x->seen[k] != x->walk) {
				x->seen[k] = x->walk;
				x->stack[top++] = k;
			}
		}
	}
	return true;
}

static void unknown_artifact(struct arts *x, const struct ir_step *s, const struct ir_artifact *a)
{
	const char *hint = ir_suggest(a->name, (const char *const *)x->index->names, x->n);
	diag_error(x->c->dl, art_pos(s, a), "unknown-artifact",
		   "no step exports artifact '%s'%s%s%s", a->name,
		   hint ? ", did you mean '" : "", hint ? hint : "", hint ? "'" : "");
}

/* Step `to`'s imports, its ancestors marked when `known`. */
static void check_imports(struct arts *x, size_t to, bool known)
{
	const struct ir_step *s = &x->p->steps[to];
	for (size_t k = 0; k < ir_step_extra(s)->nimports; k++) {
		const struct ir_artifact *a = &ir_step_extra(s)->imports[k];
		check_name(x->c, s, a, "imports");
		if (!a->name)
			continue;
		size_t e = val_index_find(x->index, a->name);
		if (e >= x->n) {
			unknown_artifact(x, s, a);
			continue;
		}
		size_t from = x->step[e];
		const struct ir_step *f = &x->p->steps[from];
		if (val_is_skipped(f->skip, f->run_policy)) {
			diag_error(x->c->dl, art_pos(s, a), "unknown-artifact",
				   "artifact '%s' comes from step '%s', which never runs in this build",
				   a->name, step_name(x->p, from));
			continue;
		}
		bool before = x->g ? from != to && (!known || x->seen[from] == x->walk) : from < to;
		if (!before)
			diag_error(x->c->dl, art_pos(s, a), "unknown-artifact",
				   "artifact '%s' comes from step '%s', which does not run before step '%s'",
				   a->name, step_name(x->p, from), step_name(x->p, to));
	}
}

static void check_pipeline(struct val_ctx *c, size_t pi)
{
	const struct ir_pipeline *p = &c->doc->pipelines[pi];
	size_t total = 0, imports = 0;
	for (size_t i = 0; i < p->nsteps; i++)
		total += ir_step_extra(&p->steps[i])->nexports, imports += ir_step_extra(&p->steps[i])->nimports;
	if (!total && !imports)
		return;
	struct arts x = {.c = c, .p = p};
	index_exports(&x, total);
	if (ir_steps_ordered_by_deps(p)) {
		x.g = val_graph_steps(p, val_steps_index(c, pi), c->scratch);
		x.seen = ir_calloc(c->scratch, p->nsteps + 1, sizeof *x.seen);
		x.stack = ir_calloc(c->scratch, p->nsteps + 1, sizeof *x.stack);
	}
	for (size_t i = 0; i < p->nsteps; i++)
		if (ir_step_extra(&p->steps[i])->nimports &&
		    !val_is_skipped(p->steps[i].skip, p->steps[i].run_policy))
			check_imports(&x, i, x.g && x.work <= VAL_MAX_ARTIFACT_WALK && mark_ancestors(&x, i));
}

void val_check_artifacts(struct val_ctx *c)
{
	for (size_t i = 0; i < c->doc->npipelines; i++)
		if (val_pipeline_fits(&c->doc->pipelines[i]))
			check_pipeline(c, i);
}
