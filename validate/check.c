/*
 * check.c - val_check(): runs each rule family over the document, and the
 * rule table.
 *
 * The families are independent: each walks the document on its own and
 * reports what it finds, so one run lists every problem.  What several
 * need, the index of each pipeline's step names, is made once, on first
 * use, and kept in the context.  Scratch memory (indexes, graphs,
 * suggestion lists) comes from an arena freed before returning.
 * The table below is the public list of rule ids; `pipec lint
 * --list-rules` prints it and tests/e2e/rules.sh checks it against the
 * pages in docs/rules/.
 */
#include <string.h>

#include "validate/internal.h"

const struct val_rule val_rules[] = {
	{"missing-name", DIAG_ERROR, "a pipeline or step has no name"},
	{"duplicate-pipeline-name", DIAG_ERROR, "two pipelines share a name"},
	{"duplicate-step-name", DIAG_ERROR, "two steps of a pipeline share a name"},
	{"invalid-dns-name", DIAG_ERROR, "a service name the backend's DNS cannot resolve"},
	{"no-steps", DIAG_ERROR, "a pipeline has no steps"},
	{"too-many-steps", DIAG_ERROR, "a pipeline or document is too large to check"},
	{"unknown-dependency", DIAG_ERROR, "depends_on names a step that does not exist"},
	{"dependency-cycle", DIAG_ERROR, "steps depend on each other in a cycle"},
	{"unknown-pipeline-dependency", DIAG_ERROR,
	 "depends_on names a pipeline that does not exist"},
	{"pipeline-dependency-cycle", DIAG_ERROR, "pipelines depend on each other in a cycle"},
	{"missing-image", DIAG_ERROR, "a container step has no image"},
	{"missing-command", DIAG_ERROR, "a local step has neither commands nor a command"},
	{"image-latest", DIAG_WARNING, "an image is untagged or tagged latest"},
	{"settings-with-commands", DIAG_WARNING, "a plugin step also has commands"},
	{"unknown-volume", DIAG_ERROR, "a step mounts a volume the pipeline does not declare"},
	{"duplicate-volume", DIAG_ERROR, "two different volumes share a name"},
	{"reserved-volume-name", DIAG_ERROR, "a volume uses a name pipec reserves"},
	{"invalid-mount-path", DIAG_ERROR, "a mount path is not absolute"},
	{"unknown-secret", DIAG_ERROR, "a secret reference names an undeclared secret"},
	{"invalid-platform-os", DIAG_ERROR, "platform.os is not a known operating system"},
	{"invalid-platform-arch", DIAG_ERROR, "platform.arch is not a known architecture"},
	{"unsupported-on-backend", DIAG_ERROR, "a step key the pipeline's backend cannot honour"},
	{"invalid-extra-host", DIAG_ERROR, "an extra_hosts entry is not host:ip"},
	{"invalid-port", DIAG_ERROR, "a port number is out of range"},
	{"untrusted-privileged", DIAG_ERROR, "a privileged step in an untrusted repository"},
	{"untrusted-host-volume", DIAG_ERROR, "a host-path volume in an untrusted repository"},
	{"untrusted-docker-socket", DIAG_ERROR, "the Docker socket mounted into a step"},
	{"untrusted-devices", DIAG_ERROR, "host devices in an untrusted repository"},
	{"untrusted-network-mode", DIAG_ERROR, "a host or container network mode, untrusted"},
	{"untrusted-host-port", DIAG_ERROR, "a port published on the host, untrusted"},
	{"untrusted-tmpfs", DIAG_ERROR, "a tmpfs volume without a size limit, untrusted"},
	{"runs-as-root", DIAG_WARNING, "a step runs as root"},
};
const size_t val_nrules = sizeof val_rules / sizeof val_rules[0];

const struct val_rule *val_rule_find(const char *id)
{
	for (size_t i = 0; id && i < val_nrules; i++)
		if (strcmp(val_rules[i].id, id) == 0)
			return &val_rules[i];
	return NULL;
}

struct val_index *val_steps_index(struct val_ctx *c, size_t i)
{
	if (!c->steps[i])
		c->steps[i] = val_index_steps(&c->doc->pipelines[i], c->scratch);
	return c->steps[i];
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
	};
	c.steps = ir_calloc(c.scratch, doc->npipelines ? doc->npipelines : 1, sizeof *c.steps);
	check_sizes(&c);
	val_check_names(&c);
	val_check_deps(&c);
	val_check_refs(&c);
	val_check_images(&c);
	val_check_placement(&c);
	val_check_policy(&c);
	ir_arena_free(c.scratch);
	return dl->nerrors - before;
}

bool val_is_skipped(const struct ir_skip *skip, enum ir_run_policy policy)
{
	return skip != NULL || policy == IR_RUN_NEVER;
}
