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

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ir/ir.h"

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
	/* > 0 once the run is interrupted: a backend waiting on its own
	 * (for a service to be ready) stops waiting.  NULL: never. */
	volatile sig_atomic_t *interrupts;
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
	void *plugin;               /* dlopen handle, or NULL */
};

/*
 * Loads a backend from the shared object at `path` and calls its
 * PIPEC_BACKEND_SYMBOL.  0, or -1 after recording why [backend-plugin].
 */
int rt_backend_load(struct rt_backend *b, const char *path, struct diag_list *dl);

/* Frees the backend's context and closes its plugin.  Safe on a zeroed one. */
void rt_backend_release(struct rt_backend *b);

/*
 * Opens the shared object at `path` and returns the address of its
 * `symbol`, with the object's handle in *handle (close it with
 * rt_plugin_close(), or hand it to a struct rt_backend's `plugin`).
 * NULL after recording why [backend-plugin].
 */
void *rt_plugin_open(const char *path, const char *symbol, void **handle,
		     struct diag_list *dl);

void rt_plugin_close(void *handle);

/* A plugin shared object exports this symbol (PIPEC_BACKEND_SYMBOL). */
typedef int rt_backend_plugin_fn(struct rt_backend *out, struct diag_list *dl);
#define PIPEC_BACKEND_SYMBOL "pipec_backend_new"

/* ---- Secrets --------------------------------------------------------- */

/*
 * Values the user supplied for a run, by name.  The store owns copies;
 * a later value for the same name replaces the earlier one.
 */
struct rt_secrets {
	struct ir_kv *v;
	size_t n, cap;
};

#define RT_MAX_SECRET (1u << 20)    /* bytes in one secret value */

void rt_secrets_init(struct rt_secrets *s);
void rt_secrets_release(struct rt_secrets *s);
/* Adds NAME=VALUE; -1 only when out of memory. */
int rt_secrets_set(struct rt_secrets *s, const char *name, const char *value);
/* `--secret NAME=VALUE`: -1 after a diagnostic when there is no '='. */
int rt_secrets_add_arg(struct rt_secrets *s, const char *arg, struct diag_list *dl);
/* `--secret-file NAME=PATH`: the file's bytes, one final newline dropped. */
int rt_secrets_add_file(struct rt_secrets *s, const char *arg, struct diag_list *dl);
/* `--secret-env NAME`: the host variable NAME; unset is an error. */
int rt_secrets_add_env(struct rt_secrets *s, const char *name, struct diag_list *dl);
/* `--secrets FILE`: dotenv lines NAME=VALUE, # comments, optional quotes. */
int rt_secrets_add_dotenv(struct rt_secrets *s, const char *path, struct diag_list *dl);
/* The value supplied for `name`, or NULL. */
const char *rt_secrets_get(const struct rt_secrets *s, const char *name);

/* ---- Masking what pipec itself writes ------------------------------ */

/*
 * The secret values of a run, hidden as "********" wherever they would be
 * written.  A run adds every value it resolves (struct rt_options's
 * `mask`); its caller keeps the mask to hide them in what it writes too:
 * pull progress, messages, the summary and the report.
 */
struct rt_mask;

struct rt_mask *rt_mask_new(void);
void rt_mask_free(struct rt_mask *m);

/*
 * A line-buffered stream writing to `to` with every value of `m` hidden,
 * a line at a time (a partial line waits for its end, or fclose()).  It
 * borrows `to` and `m`: fclose() it before either goes.  NULL when out
 * of memory.
 */
FILE *rt_mask_stream(struct rt_mask *m, FILE *to);

/* ---- Running ------------------------------------------------------- */

struct rt_options {
	int parallel;               /* steps running at once, 0: no bound */
	int timeout;                /* seconds per pipeline, 0: the IR's */
	int step_timeout;           /* seconds per step the IR leaves open, 0: none */
	int grace_ms;               /* SIGTERM to SIGKILL when stopping, 0: 5000 */
	const char *workspace_dir;  /* NULL: a fresh directory per run */
	const char *log_dir;        /* NULL: no log files */
	const char *artifacts_dir;  /* exported paths also go to DIR/NAME; NULL: not */
	bool timestamps;            /* prefix lines with the wall-clock time */
	bool color;                 /* a color per step (for a terminal) */
	FILE *out;                  /* where step output goes; NULL: stdout */
	const struct rt_secrets *secrets;
	/* Where the run adds the secret values it resolves, and which hides
	 * them in its logs and messages.  NULL: a mask of its own. */
	struct rt_mask *mask;
	/* Incremented by the caller's SIGINT/SIGTERM handler: 1 cancels the
	 * run, 2 hurries the teardown.  NULL: never interrupted. */
	volatile sig_atomic_t *interrupts;
};

enum rt_status {
	RT_PENDING,                 /* never reached (an earlier error) */
	RT_SKIPPED,                 /* ruled out by policy, 78 or the IR */
	RT_SUCCESS,
	RT_FAILURE,
	RT_CANCELLED,
};

/* "pending", "skipped", "success", "failure", "cancelled". */
const char *rt_status_name(enum rt_status s);

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

/*
 * Runs every pipeline of `doc` on `b` and fills `out`.
 *
 * 1. Secrets are resolved for all pipelines first; a missing one is an
 *    error [secret-missing] and nothing starts.
 * 2. Pipelines run one at a time in an order honouring depends_on; a
 *    pipeline runs when its run policy holds against its dependencies.
 * 3. Within a pipeline: services (detached steps) start first; steps run
 *    in file order, or as a DAG when any step has depends_on; each is
 *    prepared, started, its output streamed, its end awaited.
 * 4. The backend's teardown always runs, also after errors and
 *    interrupts.
 *
 * Step failures are recorded in `dl` at the step's position
 * [step-failed].  Every message recorded during the run has the secret
 * values masked, like the logs: an error may quote a command line.  Returns the run's status (RT_SUCCESS, RT_FAILURE or
 * RT_CANCELLED), or RT_PENDING when nothing could start (invalid input).
 */
enum rt_status rt_run(const struct ir_doc *doc, struct rt_backend *b,
		      const struct rt_options *opt, struct rt_report *out,
		      struct diag_list *dl);

void rt_report_release(struct rt_report *r);

/*
 * The report as JSON (docs/run.md), every string with the values of
 * `mask` hidden (NULL: none); the caller frees it with free().
 */
char *rt_report_json(const struct rt_report *r, struct rt_mask *mask);

/* ---- For backends ------------------------------------------------------ */

/* Called by backends from poll(): `stream` is 1 (stdout) or 2 (stderr). */
void rt_job_output(struct rt_job *job, int stream, const char *data, size_t len);
void rt_job_exited(struct rt_job *job, const struct rt_exit *exit);

#endif
