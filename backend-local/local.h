/*
 * local.h - the local backend: steps run as processes on this host.
 *
 * Every step is `/bin/sh SCRIPT` (or the step's shell, or its
 * entrypoint and command) in a process group of its own, started in the
 * run's workspace directory with the host environment overlaid by the
 * step's.  Secrets reach the step only through that environment.
 *
 * Per pipeline, prepare() makes a run directory under $TMPDIR holding
 * the step scripts, the workspace (unless the run names one) and a
 * directory per temp volume; teardown() kills every process group the
 * run started, reaps them and removes the run directory.  A step whose
 * meaning is an image (no commands) is refused by prepare()
 * [local-needs-image], before anything starts.
 *
 * Inside a step, these variables name host directories:
 *   PIPEC_WORKSPACE        the workspace (also the working directory)
 *   PIPEC_VOLUME_<NAME>    a volume the step mounts; NAME upper-cased,
 *                          other characters than letters and digits as _
 */
#ifndef PIPEC_BACKEND_LOCAL_H
#define PIPEC_BACKEND_LOCAL_H

#include "runtime/runtime.h"

/* Fills `b` with a new local backend; 0, or -1 after a diagnostic. */
int local_backend_new(struct rt_backend *b, struct diag_list *dl);

#endif
