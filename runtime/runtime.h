/*
 * runtime.h - runs IR pipelines over a backend.
 *
 * The runtime owns the schedule (order, run policies, timeouts,
 * cancellation), the logs (line assembly, prefixes, secret masking) and
 * the run report.  A backend only knows how to start a step, report what
 * the step prints and how it ended, and clean up.
 *
 * One thread drives everything: the runtime starts the steps that are
 * ready, then calls the backend's poll(), which waits for events on every
 * running step at once and reports them through rt_job_output() and
 * rt_job_exited().
 */
#ifndef PIPEC_RUNTIME_H
#define PIPEC_RUNTIME_H

#include <stdbool.h>

#include "ir/ir.h"

/* One step being run.  Owned by the runtime; `backend_data` by the backend. */
struct rt_job {
	const struct ir_step *step;
	const struct ir_pipeline *pipeline;
	struct ir_env env;          /* final environment, secrets resolved */
	void *backend_data;
	void *runtime_data;
};

/* How a step ended. */
struct rt_exit {
	int code;                   /* exit status, or -1 */
	int signal;                 /* killed by this signal, or 0 */
	bool oom_killed;
	const char *error;          /* the backend could not run it, or NULL */
};

/* What a backend learns about the run as a whole. */
struct rt_run_info {
	const char *run_id;         /* unique per run, e.g. "a1b2c3d4" */
	const char *workspace_dir;  /* host directory, or NULL for the backend's own */
	const char *artifacts_dir;  /* host directory for exported paths, or NULL */
	bool hurry;                 /* a second interrupt: stop without grace */
};

struct rt_backend_ops {
	const char *name;
	/* Sets up what the pipeline's steps share (network, volumes, dirs). */
	int (*prepare)(void *ctx, const struct rt_run_info *run,
		       const struct ir_pipeline *p, struct diag_list *dl);
	/* Creates and starts one step; 0, or -1 after recording why. */
	int (*start)(void *ctx, struct rt_job *job, struct diag_list *dl);
	/*
	 * Waits up to `timeout_ms` for events of the running jobs and reports
	 * them with rt_job_output() and rt_job_exited().  Returns early when
	 * interrupted by a signal.
	 */
	int (*poll)(void *ctx, int timeout_ms);
	/* Asks a running job to stop (SIGTERM, then SIGKILL when hurried). */
	void (*stop)(void *ctx, struct rt_job *job, bool hurry);
	/* Removes everything prepare and start made.  Safe twice, safe
	 * after a failed prepare. */
	void (*teardown)(void *ctx);
	void (*free)(void *ctx);
};

struct rt_backend {
	const struct rt_backend_ops *ops;
	void *ctx;
};

/* A plugin shared object exports this symbol (PIPEC_BACKEND_SYMBOL). */
typedef int rt_backend_plugin_fn(struct rt_backend *out, struct diag_list *dl);
#define PIPEC_BACKEND_SYMBOL "pipec_backend_new"

/* Called by backends from poll(): `stream` is 1 (stdout) or 2 (stderr). */
void rt_job_output(struct rt_job *job, int stream, const char *data, size_t len);
void rt_job_exited(struct rt_job *job, const struct rt_exit *exit);

#endif
