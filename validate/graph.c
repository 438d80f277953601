/*
 * graph.c - dependency graphs by index, their topological order and their
 * cycles.
 *
 * Names are resolved to indices once, through a sorted index (first node
 * of a name wins, as duplicate names are reported elsewhere); every later
 * pass works on integers.  Graphs are bounded by VAL_MAX_STEPS, so the
 * recursive walk stays shallow.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int by_name(const void *x, const void *y)
{
	const struct val_index_entry *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->at > b->at) - (a->at < b->at);
}

struct val_index *val_index_new(const char *const *names, size_t n, struct ir_arena *a)
{
	struct val_index *x = ir_alloc(a, sizeof *x);
	x->e = ir_calloc(a, n ? n : 1, sizeof *x->e);
	x->nnodes = n;
	for (size_t i = 0; i < n; i++)
		if (names[i])
			x->e[x->n++] = (struct val_index_entry){names[i], i};
	qsort(x->e, x->n, sizeof *x->e, by_name);
	return x;
}

size_t val_index_find(const struct val_index *x, const char *name)
{
	size_t lo = 0, hi = x->n;
	while (name && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(x->e[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return name && lo < x->n && strcmp(x->e[lo].name, name) == 0 ? x->e[lo].at : x->nnodes;
}

static struct val_graph *graph_new(const char *const *names,
				   const struct ir_strs *const *deps, size_t n,
				   struct ir_arena *a)
{
	struct val_index *index = val_index_new(names, n, a);
	struct val_graph *g = ir_alloc(a, sizeof *g);
	g->n = n;
	g->dep = ir_calloc(a, n ? n : 1, sizeof *g->dep);
	g->ndep = ir_calloc(a, n ? n : 1, sizeof *g->ndep);
	for (size_t i = 0; i < n; i++) {
		g->dep[i] = ir_calloc(a, deps[i]->n ? deps[i]->n : 1, sizeof **g->dep);
		for (size_t k = 0; k < deps[i]->n; k++) {
			size_t j = val_index_find(index, deps[i]->v[k]);
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

/* Past this many cycles a graph is hopeless; stop building paths. */
#define MAX_CYCLES 100

struct walk {
	const struct val_graph *g;
	unsigned char *color;
	size_t *stack, depth;
	size_t *path, nfound;
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
		} else if (w->color[j] == GREY && w->nfound++ < MAX_CYCLES) {
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
