/*
 * internal.h - what validate/'s files share; nothing outside validate/
 * includes it.
 *
 * check.c runs one function per rule family (names.c, deps.c, refs.c,
 * artifacts.c, policy.c, images.c, placement.c) over a shared context.
 * graph.c turns names and depends_on lists into index graphs for the
 * dependency checks, the artifact order and the normalizer.
 */
#ifndef PIPEC_VALIDATE_INTERNAL_H
#define PIPEC_VALIDATE_INTERNAL_H

#include "validate/validate.h"

/* What every rule family gets. */
struct val_ctx {
	const struct ir_doc *doc;
	const struct val_policy *policy;
	struct diag_list *dl;
	struct ir_arena *scratch;   /* freed when val_check() returns */
	/* The last pipeline whose steps' names were indexed, and its index,
	 * in an arena of its own: one pipeline's at a time. */
	size_t indexed;
	struct val_index *index;
	struct ir_arena *index_arena;
};

/* True when the pipeline is small enough for the graph checks. */
bool val_pipeline_fits(const struct ir_pipeline *p);

/*
 * The names of pipeline i's steps, indexed; valid until it is asked for
 * another pipeline's.
 */
struct val_index *val_steps_index(struct val_ctx *c, size_t i);

void val_check_names(struct val_ctx *c);
void val_check_deps(struct val_ctx *c);
void val_check_refs(struct val_ctx *c);
void val_check_policy(struct val_ctx *c);
void val_check_images(struct val_ctx *c);
void val_check_placement(struct val_ctx *c);
void val_check_artifacts(struct val_ctx *c);

/* Names hashed for lookup: a node's index by name in O(1). */
struct val_index {
	const char **names;     /* the nodes' names, by index */
	size_t *first;          /* by index: the first node of the same name, nnodes if NULL */
	size_t *slot;           /* open addressing: node index + 1, 0 empty */
	size_t mask, nnodes;
};

/*
 * Indexes `n` names (NULL ones left out); the first of equal names wins,
 * and each node learns which node that is while it is put in.
 */
struct val_index *val_index_new(const char *const *names, size_t n, struct ir_arena *a);

/* The index of `name`, or the number of nodes when absent. */
size_t val_index_find(const struct val_index *x, const char *name);

/* The names of a pipeline's steps, or of a document's pipelines, indexed. */
struct val_index *val_index_steps(const struct ir_pipeline *p, struct ir_arena *a);
struct val_index *val_index_pipelines(const struct ir_doc *d, struct ir_arena *a);

/*
 * A dependency graph over n nodes: dep[i] lists the indices node i
 * depends on, in the order written, names that match no node left out
 * (so ndep[i] is short of the names written exactly when one is
 * unknown).  `index` finds the nodes by name.
 */
struct val_graph {
	size_t n;
	size_t **dep;
	size_t *ndep;
	struct val_index *index;
};

/* The graph of a pipeline's steps, or of a document's pipelines, over their index. */
struct val_graph *val_graph_steps(const struct ir_pipeline *p, struct val_index *index,
				  struct ir_arena *a);
struct val_graph *val_graph_pipelines(const struct ir_doc *d, struct val_index *index,
				      struct ir_arena *a);

/*
 * Writes a stable topological order (dependencies first, ties by index)
 * to `order`; returns how many nodes it placed, fewer than n on a cycle.
 */
size_t val_graph_order(const struct val_graph *g, size_t *order, struct ir_arena *a);

/*
 * Calls `found` once per back edge a depth-first walk meets (at most
 * 100 times), with the cycle as a path of indices whose last element
 * equals the first.
 */
typedef void val_cycle_fn(void *arg, const size_t *path, size_t len);
void val_graph_cycles(const struct val_graph *g, val_cycle_fn *found, void *arg,
		      struct ir_arena *a);

#endif
