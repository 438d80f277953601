/*
 * graph.c - dependency graphs by index, their topological order and their
 * cycles.
 *
 * Names are resolved to indices once (first node of that name wins, as
 * duplicate names are reported elsewhere); every later pass works on
 * integers.  Graphs are bounded by VAL_MAX_STEPS, so the quadratic
 * lookups and the recursive walk stay small.
 */
#include <string.h>

#include "internal.h"

static size_t find(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return i;
	return n;
}

static struct val_graph *graph_new(const char *const *names,
				   const struct ir_strs *const *deps, size_t n,
				   struct ir_arena *a)
{
	struct val_graph *g = ir_alloc(a, sizeof *g);
	g->n = n;
	g->dep = ir_calloc(a, n ? n : 1, sizeof *g->dep);
	g->ndep = ir_calloc(a, n ? n : 1, sizeof *g->ndep);
	for (size_t i = 0; i < n; i++) {
		g->dep[i] = ir_calloc(a, deps[i]->n ? deps[i]->n : 1, sizeof **g->dep);
		for (size_t k = 0; k < deps[i]->n; k++) {
			size_t j = find(names, n, deps[i]->v[k]);
			if (j < n)
				g->dep[i][g->ndep[i]++] = j;
		}
	}
	return g;
}

struct val_graph *val_graph_steps(const struct ir_pipeline *p, struct ir_arena *a)
{
	size_t n = p->nsteps;
	const char **names = ir_calloc(a, n ? n : 1, sizeof *names);
	const struct ir_strs **deps = ir_calloc(a, n ? n : 1, sizeof *deps);
	for (size_t i = 0; i < n; i++) {
		names[i] = p->steps[i].name;
		deps[i] = &p->steps[i].depends_on;
	}
	return graph_new(names, deps, n, a);
}

struct val_graph *val_graph_pipelines(const struct ir_doc *d, struct ir_arena *a)
{
	size_t n = d->npipelines;
	const char **names = ir_calloc(a, n ? n : 1, sizeof *names);
	const struct ir_strs **deps = ir_calloc(a, n ? n : 1, sizeof *deps);
	for (size_t i = 0; i < n; i++) {
		names[i] = d->pipelines[i].name;
		deps[i] = &d->pipelines[i].depends_on;
	}
	return graph_new(names, deps, n, a);
}

static bool ready(const struct val_graph *g, size_t i, const bool *placed)
{
	for (size_t k = 0; k < g->ndep[i]; k++)
		if (!placed[g->dep[i][k]])
			return false;
	return true;
}

/* Kahn's algorithm, always taking the lowest ready index: stable. */
size_t val_graph_order(const struct val_graph *g, size_t *order, struct ir_arena *a)
{
	bool *placed = ir_calloc(a, g->n ? g->n : 1, sizeof *placed);
	size_t len = 0;
	for (bool progress = true; progress && len < g->n;) {
		progress = false;
		for (size_t i = 0; i < g->n; i++) {
			if (placed[i] || !ready(g, i, placed))
				continue;
			placed[i] = true;
			order[len++] = i;
			progress = true;
			break;
		}
	}
	return len;
}

enum { WHITE, GREY, BLACK };

struct walk {
	const struct val_graph *g;
	unsigned char *color;
	size_t *stack, depth;
	size_t *path;
	val_cycle_fn *found;
	void *arg;
};

static void visit(struct walk *w, size_t i)
{
	w->color[i] = GREY;
	w->stack[w->depth++] = i;
	for (size_t k = 0; k < w->g->ndep[i]; k++) {
		size_t j = w->g->dep[i][k];
		if (w->color[j] == WHITE) {
			visit(w, j);
		} else if (w->color[j] == GREY) {
			size_t start = w->depth;
			while (w->stack[start - 1] != j)
				start--;
			size_t len = w->depth - (start - 1);
			memcpy(w->path, w->stack + start - 1, len * sizeof *w->path);
			w->path[len] = j;
			w->found(w->arg, w->path, len + 1);
		}
	}
	w->depth--;
	w->color[i] = BLACK;
}

void val_graph_cycles(const struct val_graph *g, val_cycle_fn *found, void *arg,
		      struct ir_arena *a)
{
	size_t n = g->n ? g->n : 1;
	struct walk w = {
		.g = g,
		.color = ir_calloc(a, n, 1),
		.stack = ir_calloc(a, n, sizeof(size_t)),
		.path = ir_calloc(a, n + 1, sizeof(size_t)),
		.found = found,
		.arg = arg,
	};
	for (size_t i = 0; i < g->n; i++)
		if (w.color[i] == WHITE)
			visit(&w, i);
}
