/*
 * graph.c - dependency graphs by index, their topological order and their
 * cycles.
 *
 * Names are resolved to indices once, through a hash index (first node
 * of a name wins, as duplicate names are reported elsewhere); every later
 * pass works on integers.  Graphs are bounded by VAL_MAX_STEPS, so the
 * recursive walk stays shallow.
 */
#include <stdint.h>
#include <string.h>

#include "validate/internal.h"

/* FNV-1a: short names, few collisions, no setup. */
static size_t hash(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return (size_t)h;
}

/* The slot holding `name`, or the empty one where it would go. */
static size_t *probe(const struct val_index *x, const char *name)
{
	size_t i = hash(name) & x->mask;
	while (x->slot[i] && strcmp(x->names[x->slot[i] - 1], name) != 0)
		i = (i + 1) & x->mask;
	return &x->slot[i];
}

struct val_index *val_index_new(const char *const *names, size_t n, struct ir_arena *a)
{
	struct val_index *x = ir_alloc(a, sizeof *x);
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	x->names = ir_calloc(a, n ? n : 1, sizeof *x->names);
	x->first = ir_calloc(a, n ? n : 1, sizeof *x->first);
	x->slot = ir_calloc(a, cap, sizeof *x->slot);
	x->mask = cap - 1;
	x->nnodes = n;
	for (size_t i = 0; i < n; i++) {
		x->names[i] = names[i];
		x->first[i] = n;
		if (!names[i])
			continue;
		size_t *s = probe(x, names[i]);
		if (!*s)
			*s = i + 1;
		x->first[i] = *s - 1;
	}
	return x;
}

size_t val_index_find(const struct val_index *x, const char *name)
{
	size_t *s = name ? probe(x, name) : NULL;
	return s && *s ? *s - 1 : x->nnodes;
}

struct val_index *val_index_steps(const struct ir_pipeline *p, struct ir_arena *a)
{
	const char **names = ir_calloc(a, p->nsteps ? p->nsteps : 1, sizeof *names);
	for (size_t i = 0; i < p->nsteps; i++)
		names[i] = p->steps[i].name;
	return val_index_new(names, p->nsteps, a);
}

struct val_index *val_index_pipelines(const struct ir_doc *d, struct ir_arena *a)
{
	const char **names = ir_calloc(a, d->npipelines ? d->npipelines : 1, sizeof *names);
	for (size_t i = 0; i < d->npipelines; i++)
		names[i] = d->pipelines[i].name;
	return val_index_new(names, d->npipelines, a);
}

static struct val_graph *graph_new(struct val_index *index, const struct ir_strs *const *deps,
				   struct ir_arena *a)
{
	size_t n = index->nnodes;
	struct val_graph *g = ir_alloc(a, sizeof *g);
	g->n = n;
	g->index = index;
	g->dep = ir_calloc(a, n ? n : 1, sizeof *g->dep);
	g->ndep = ir_calloc(a, n ? n : 1, sizeof *g->ndep);
	size_t edges = 0;
	for (size_t i = 0; i < n; i++)
		edges += deps[i]->n;
	/* one allocation for all edges, not one per node: each list is a slice */
	size_t *all = ir_calloc(a, edges ? edges : 1, sizeof *all);
	for (size_t i = 0; i < n; i++) {
		g->dep[i] = all;
		all += deps[i]->n;
		for (size_t k = 0; k < deps[i]->n; k++) {
			size_t j = val_index_find(index, deps[i]->v[k]);
			if (j < n)
				g->dep[i][g->ndep[i]++] = j;
		}
	}
	return g;
}

struct val_graph *val_graph_steps(const struct ir_pipeline *p, struct val_index *index,
				  struct ir_arena *a)
{
	const struct ir_strs **deps = ir_calloc(a, p->nsteps ? p->nsteps : 1, sizeof *deps);
	for (size_t i = 0; i < p->nsteps; i++)
		deps[i] = &p->steps[i].depends_on;
	return graph_new(index, deps, a);
}

struct val_graph *val_graph_pipelines(const struct ir_doc *d, struct val_index *index,
				      struct ir_arena *a)
{
	const struct ir_strs **deps = ir_calloc(a, d->npipelines ? d->npipelines : 1,
						sizeof *deps);
	for (size_t i = 0; i < d->npipelines; i++)
		deps[i] = &d->pipelines[i].depends_on;
	return graph_new(index, deps, a);
}

/* A binary min-heap of node indices: the ready nodes, lowest first. */
struct heap {
	size_t *v, n;
};

static void heap_push(struct heap *h, size_t x)
{
	size_t i = h->n++;
	for (; i > 0 && h->v[(i - 1) / 2] > x; i = (i - 1) / 2)
		h->v[i] = h->v[(i - 1) / 2];
	h->v[i] = x;
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->v[0], last = h->v[--h->n], i = 0;
	for (size_t c; (c = 2 * i + 1) < h->n; i = c) {
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (last <= h->v[c])
			break;
		h->v[i] = h->v[c];
	}
	h->v[i] = last;
	return top;
}

/*
 * The dependents of each node, as one array sliced by `first`:
 * node d's dependents are users[first[d]] .. users[first[d + 1] - 1].
 */
static size_t *dependents(const struct val_graph *g, size_t **first, struct ir_arena *a)
{
	size_t *at = ir_calloc(a, g->n + 1, sizeof *at);
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->ndep[i]; k++)
			at[g->dep[i][k] + 1]++;
	for (size_t i = 0; i < g->n; i++)
		at[i + 1] += at[i];
	size_t *users = ir_calloc(a, at[g->n] ? at[g->n] : 1, sizeof *users);
	size_t *fill = ir_calloc(a, g->n ? g->n : 1, sizeof *fill);
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->ndep[i]; k++) {
			size_t d = g->dep[i][k];
			users[at[d] + fill[d]++] = i;
		}
	*first = at;
	return users;
}

/*
 * Kahn's algorithm, always taking the lowest ready index: stable.  The
 * ready nodes wait in a heap and each placed node releases its
 * dependents, so the order costs O((n + edges) log n).
 */
size_t val_graph_order(const struct val_graph *g, size_t *order, struct ir_arena *a)
{
	size_t *first, *users = dependents(g, &first, a);
	size_t *waiting = ir_calloc(a, g->n ? g->n : 1, sizeof *waiting);
	struct heap h = {ir_calloc(a, g->n ? g->n : 1, sizeof *h.v), 0};
	for (size_t i = 0; i < g->n; i++)
		if (!(waiting[i] = g->ndep[i]))
			heap_push(&h, i);
	size_t len = 0;
	while (h.n) {
		size_t i = heap_pop(&h);
		order[len++] = i;
		for (size_t u = first[i]; u < first[i + 1]; u++)
			if (--waiting[users[u]] == 0)
				heap_push(&h, users[u]);
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
