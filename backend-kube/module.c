/*
 * module.c - what lib/pipec/kube.so exports: the one table pipec (and
 * --backend-plugin) reaches the backend through.  Everything else the
 * module needs from pipec (ir_, diag_, rt_) resolves against the
 * executable when the module is loaded.
 */
#include "backend-kube/kube.h"

const struct rt_module pipec_module = {
	.name = "kube",
	.backend_new = kube_backend_new,
	.prune = kube_prune,
};
