/*
 * local.h - the local backend: steps run as processes on this host.
 *
 * Every step is `/bin/sh -c SCRIPT` (or the step's shell; `SHELL FILE`
 * when the script is over 64 KiB, quotes a secret value, or the shell is
 * not a POSIX-like one; or the step's entrypoint and command) in a
 * process group of its own, started in the run's workspace directory with
 * the host environment overlaid by the step's.  Secrets reach the step
 * only through that environment.
 *
 * Per pipeline, prepare() makes a run directory under $TMPDIR holding
 * the step scripts, the workspace (unless the run names one) and a
 * directory per temp volume; teardown() kills every process group the
 * run started, reaps them and removes the run directory.  A step whose
 * meaning is an image (no commands) is refused by check()
 * [local-needs-image], before anything starts.
 *
 * Before a step starts, its pipeline files are written to their mount
 * paths (mode bits honoured; archives extracted by `tar`) and its imports
 * copied in; when it ends with 0 or 78 its exports are copied to the
 * run's artifact store, and to DIR/NAME/ under rt_run_info.artifacts_dir.
 * A container path under the IR's workspace maps into the workspace, a
 * relative one into the working directory, any other absolute one under
 * PIPEC_ROOT: nothing outside the run is written.  A service's health
 * check runs on the host when the runtime probes it: the command in the
 * service's directory with its environment, or a TCP connection to the
 * port on 127.0.0.1.
 *
 * Inside a step, these variables name host directories:
 *   PIPEC_WORKSPACE        the workspace (also the working directory)
 *   PIPEC_ROOT             stands for the container's / (files, artifacts)
 *   PIPEC_VOLUME_<NAME>    a volume the step mounts; NAME upper-cased,
 *                          other characters than letters and digits as _
 */
#ifndef PIPEC_BACKEND_LOCAL_H
#define PIPEC_BACKEND_LOCAL_H

#include "runtime/plugin.h"
#include "runtime/runtime.h"

/* Fills `b` with a new local backend; 0, or -1 after a diagnostic.  It
 * needs none of the options. */
rt_backend_new_fn local_backend_new;

#endif
