/*
 * module.c - what lib/pipec/docker.so exports: the table cli/ reaches the
 * backend through, and the plain plugin constructor.  Everything else the
 * module needs from pipec (ir_, diag_, rt_) resolves against the
 * executable when the module is loaded.
 */
#include "backend-docker/docker.h"

const struct docker_module docker_module = {
	.backend_new = docker_backend_new,
	.engine_answers = docker_engine_answers,
	.prune = docker_prune,
	.prune_list_release = docker_prune_list_release,
};

/* The plugin protocol's constructor: the engine and options from the environment. */
rt_backend_plugin_fn pipec_backend_new;

int pipec_backend_new(struct rt_backend *out, struct diag_list *dl)
{
	static const struct docker_options defaults;
	return docker_backend_new(out, &defaults, dl);
}
