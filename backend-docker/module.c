/*
 * module.c - what lib/pipec/docker.so exports: the one table pipec (and
 * --backend-plugin) reaches the backend through.  Everything else the
 * module needs from pipec (ir_, diag_, rt_) resolves against the
 * executable when the module is loaded.
 */
#include "backend-docker/internal.h"

const struct rt_module pipec_module = {
	.name = "docker",
	.backend_new = docker_backend_new,
	.answers = docker_engine_answers,
	.prune = docker_prune,
	.image_tags = docker_image_tags,
};
