/*
 * runtime.h - runs IR pipelines over a backend.
 *
 * The runtime owns every decision about a run: the schedule (order, run
 * policies, timeouts), when services are ready, interrupts, the logs
 * (line assembly, prefixes, secret masking), which secret values exist,
 * and the run report.  A backend only knows how to start a step, say
 * what it prints and how it ended, probe a service once, and clean up.
 *
 * One thread drives everything: the runtime starts the steps that are
 * ready, then calls the backend's poll(), which waits for events on every
 * running step at once and reports them through rt_job_output() and
 * rt_job_exited().
 *
 * This header is read in order: the entry point and its contract, the
 * report it fills, then the backend table a backend implements.  The
 * options are in runtime/options.h, the secret store in
 * runtime/secrets.h, constructors and modules in runtime/plugin.h.
 */
#ifndef PIPEC_RUNTIME_H
#define PIPEC_RUNTIME_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ir/ir.h"
#include "runtime/options.h"
#include "runtime/secrets.h"

struct rt_backend;
struct rt_report;

/* How a run, a pipeline or a step ended. */
enum rt_status {
	RT_PENDING,                 /* never reached (an earlier error) */
	RT_SKIPPED,                 /* ruled out by policy, 78 or the IR */
	RT_SUCCESS,
	RT_FAILURE,
	RT_CANCELLED,
	RT_REFUSED,                 /* the backend cannot run this input */
};

/*
 * Runs every pipeline of `doc` (normalized by val_normalize()) on `b`
 * and fills `out`.  The validator decided the graph and the order and
 * the runtime only follows them: a document val_normalize() did not mark
 * `normalized` is refused [not-normalized] and nothing starts.
 *
 * 1. Before anything starts: every secret a step or a pull asks for is
 *    resolved (a missing one is an error [secret-missing]) and the
 *    backend checks each pipeline it will run (its `check`); when either
 *    fails nothing starts.
 * 2. Pipelines run one at a time in the order given (dependencies
 *    first); a pipeline runs when its run policy holds against its
 *    dependencies.
 * 3. Within a pipeline: services (detached steps) start first, and no
 *    other step starts until every running service with a health check
 *    is ready (probed through the backend, bounded by
 *    opt->service_timeout; a service that is not is an error at its
 *    position [service-not-ready]); a step starts when the steps in its
 *    depends_on have ended; each is started, its output streamed, its
 *    end awaited.
 * 4. An interrupt (*opt->interrupts > 0) stops the running steps (SIGTERM,
 *    then SIGKILL after the grace period) and starts nothing more; a
 *    second one hurries.  The backend's teardown always runs, also after
 *    errors and interrupts; what it could not remove is an error.
 *
 * Step failures are recorded in `dl` at the step's position
 * [step-failed].  Every message recorded during the run has the secret
 * values masked, like the logs: an error may quote a command line.
 *
 * Returns the run's status: RT_SUCCESS, RT_FAILURE or RT_CANCELLED once
 * pipelines ran; RT_PENDING when nothing could start (invalid input, a
 * missing secret); RT_REFUSED when the backend refused a pipeline it
 * cannot run (also invalid input, for this backend).  Release `out` with
 * rt_report_release() even then.
 */
enum rt_status rt_run(const struct ir_doc *doc, struct rt_backend *b,
		      const struct rt_options *opt, struct rt_report *out,
		      struct diag_list *dl);

/* ---- The report ------------------------------------------------------- */

/* "pending", "skipped", "success", "failure", "cancelled", "refused". */
const char *rt_status_name(enum rt_status s);

/* How a step ended. */
struct rt_exit {
	int code;                   /* exit status, or -1 */
	int signal;                 /* killed by this signal, or 0 */
	bool oom_killed;
	const char *error;          /* the backend could not run it, or NULL */
	/* The rule id `error` is reported under (static): a cause the backend
	 * knows, e.g. "image-pull-failed"; NULL: step-failed. */
	const char *rule;
};

struct rt_step_report {
	const struct ir_step *step;
	enum rt_status status;
	struct rt_exit exit;        /* exit.error is owned by the report */
	bool ignored;               /* failed, but ignore_error */
	bool timed_out;
	int attempts;
	int64_t started_ms, finished_ms;   /* Unix time in ms, 0: never */
	char *image_digest;         /* owned, or NULL */
	const char *reason;         /* why skipped; static or from the IR */
};

struct rt_pipeline_report {
	const struct ir_pipeline *pipeline;
	enum rt_status status;
	bool early_exit;            /* a step exited 78 */
	bool timed_out;
	int64_t started_ms, finished_ms;
	struct rt_step_report *steps;   /* one per IR step, same order */
	size_t nsteps;
};

/* The record of one run.  It points into the IR: keep the arena alive. */
struct rt_report {
	const char *backend;
	char run_id[17];
	enum rt_status status;
	int64_t started_ms, finished_ms;
	struct rt_pipeline_report *pipelines;   /* same order as the IR */
	size_t npipelines;
};

void rt_report_release(struct rt_report *r);

/*
 * The report as JSON (docs/run.md), every string with the values of
 * `mask` hidden (NULL: none); the caller frees it with free().
 */
char *rt_report_json(const struct rt_report *r, struct rt_mask *mask);

/* ---- The backend table ------------------------------------------------- */

/* One step being run.  Owned by the runtime; `backend_data` by the backend. */
struct rt_job {
	const struct ir_step *step;
	const struct ir_pipeline *pipeline;
	struct ir_env env;          /* final environment, secrets resolved */
	void *backend_data;
	void *runtime_data;
	/* Set by the backend when it knows it (e.g. "sha256:..."); the
	 * runtime copies it when the job ends. */
	const char *image_digest;
	struct ir_env secrets;      /* those of env's values that are secrets */
	/* The pipeline's image_pull_secrets that have a value, by name: each
	 * a registry credentials file (config.json).  Masked like any secret. */
	struct ir_env pull_secrets;
	/* rt_now_ms() by which the step must be over, by its own timeout or
	 * its pipeline's, whichever comes first; 0: none.  A start that
	 * waits on something slow (an image pull, copying files in, an
	 * engine slow to start a container) gives up then, and the runtime
	 * reports the timeout. */
	int64_t deadline_ms;
};

/* Milliseconds on the monotonic clock, which deadline_ms counts in. */
int64_t rt_now_ms(void);

/* What a backend learns about the run as a whole. */
struct rt_run_info {
	const char *run_id;         /* unique per run, e.g. "a1b2c3d4" */
	const char *workspace_dir;  /* host directory, or NULL for the backend's own */
	const char *artifacts_dir;  /* host directory for exported paths, or NULL */
	bool hurry;                 /* a second interrupt: stop without grace */
	/* > 0 once the run is interrupted: a backend call that waits (a pull,
	 * a probe) gives up and returns.  NULL: never. */
	volatile sig_atomic_t *interrupts;
	/* The values of the secrets the pipeline being prepared asks for, by
	 * secret name, for a backend that must place them all before its
	 * first step starts (a Pod per pipeline).  Each job still gets its
	 * own in rt_job.secrets. */
	const struct ir_env *secrets;
	/* The pipeline's image_pull_secrets that have a value, by name (each
	 * a registry credentials file, config.json), for a backend that hands
	 * them to the cluster before its first step (rt_job.pull_secrets). */
	const struct ir_env *pull_secrets;
};

/* What one probe of a service found. */
enum rt_probe {
	RT_PROBE_READY,             /* the service is ready */
	RT_PROBE_WAIT,              /* nothing tried yet (the engine's check is starting) */
	RT_PROBE_FAILED,            /* one try failed; the runtime counts it as a retry */
	RT_PROBE_UNHEALTHY,         /* it will not be ready (the engine gave up) */
};

struct rt_backend_ops {
	const char *name;
	/* Refuses a pipeline this backend cannot run, before any starts; 0,
	 * or -1 after recording why.  NULL: every pipeline is fine. */
	int (*check)(void *ctx, const struct ir_pipeline *p, struct diag_list *dl);
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
	/*
	 * Tries once whether running service `job` is ready by its health
	 * check (step->health: a command, a port), taking at most `timeout_ms`
	 * and less when interrupted.  `why` gets the check's last output or
	 * the reason it failed.  NULL: a service is ready once started.
	 */
	enum rt_probe (*probe)(void *ctx, struct rt_job *job, int timeout_ms, char *why,
			       size_t size);
	/* Asks a running job to stop (SIGTERM, then SIGKILL when hurried). */
	void (*stop)(void *ctx, struct rt_job *job, bool hurry);
	/* Removes everything prepare and start made; 0, or -1 after
	 * recording what is left and how to remove it.  Safe twice, safe
	 * after a failed prepare. */
	int (*teardown)(void *ctx, struct diag_list *dl);
	void (*free)(void *ctx);
};

struct rt_backend {
	const struct rt_backend_ops *ops;
	void *ctx;
	void *plugin;               /* the module's handle, or NULL */
};

/* Called by backends from poll(): `stream` is 1 (stdout) or 2 (stderr). */
void rt_job_output(struct rt_job *job, int stream, const char *data, size_t len);
void rt_job_exited(struct rt_job *job, const struct rt_exit *exit);

#endif
