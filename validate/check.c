/*
 * check.c - val_check(): runs each rule family over the document.
 *
 * The families are independent: each walks the document on its own and
 * reports what it finds, so one run lists every problem.  What several
 * need, the index of a pipeline's step names, is kept in the context for
 * the last pipeline asked about: a file of many large pipelines holds
 * one index at a time.  Scratch memory (indexes, graphs,
 * suggestion lists) comes from an arena freed before returning.
 * The rules are listed, with every other stage's, in ir/rules.c.
 */
#include "validate/internal.h"

struct val_index *val_steps_index(struct val_ctx *c, size_t i)
{
	if (c->index && c->indexed == i)
		return c->index;
	ir_arena_reset(c->index_arena);
	c->index = val_index_steps(&c->doc->pipelines[i], c->index_arena);
	c->indexed = i;
	return c->index;
}

bool val_pipeline_fits(const struct ir_pipeline *p)
{
	return p->nsteps <= VAL_MAX_STEPS;
}

/* Oversized inputs get one diagnostic each and are left out of graph checks. */
static void check_sizes(struct val_ctx *c)
{
	const struct ir_doc *d = c->doc;
	if (d->npipelines > VAL_MAX_STEPS)
		diag_error(c->dl, d->pipelines[0].pos, "too-many-steps",
			   "document has %zu pipelines, more than %d", d->npipelines,
			   VAL_MAX_STEPS);
	for (size_t i = 0; i < d->npipelines; i++)
		if (!val_pipeline_fits(&d->pipelines[i]))
			diag_error(c->dl, d->pipelines[i].pos, "too-many-steps",
				   "pipeline '%s' has %zu steps, more than %d",
				   d->pipelines[i].name ? d->pipelines[i].name : "",
				   d->pipelines[i].nsteps, VAL_MAX_STEPS);
}

size_t val_check(const struct ir_doc *doc, const struct val_policy *policy,
		 struct diag_list *dl)
{
	static const struct val_policy strict;
	size_t before = dl->nerrors;
	struct val_ctx c = {
		.doc = doc,
		.policy = policy ? policy : &strict,
		.dl = dl,
		.scratch = ir_arena_new(),
		.index_arena = ir_arena_new(),
	};
	check_sizes(&c);
	val_check_names(&c);
	val_check_deps(&c);
	val_check_refs(&c);
	val_check_artifacts(&c);
	val_check_images(&c);
	val_check_placement(&c);
	val_check_policy(&c);
	ir_arena_free(c.scratch);
	ir_arena_free(c.index_arena);
	return dl->nerrors - before;
}

bool val_is_skipped(const struct ir_skip *skip, enum ir_run_policy policy)
{
	return skip != NULL || policy == IR_RUN_NEVER;
}
