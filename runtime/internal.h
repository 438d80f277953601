/*
 * internal.h - what the runtime's files share; nothing outside runtime/
 * includes it (the benchmarks under bench/ do, to time the hot path).
 *
 * mask.c replaces secret values in text, log.c turns a step's byte
 * stream into prefixed, masked lines, secrets.c keeps and resolves
 * secret values, run.c orders the pipelines, sched.c drives the backend
 * through one pipeline, report.c renders the run record.
 */
#ifndef PIPEC_RUNTIME_INTERNAL_H
#define PIPEC_RUNTIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "runtime/runtime.h"

/* Ceilings. */
/* A longer line is broken here, or just after a secret straddling it. */
#define RT_MAX_LINE (64u * 1024)
#define RT_MIN_SECRET 4             /* bytes: a shorter value cannot be hidden */
#define RT_MAX_PATTERNS 4096        /* distinct masked strings per run */
#define RT_MASK "********"

/* ---- mask.c ---------------------------------------------------------- */

struct rt_pattern {
	char *s;
	size_t len;
};

/* The strings to hide.  Multi-line values are kept line by line. */
struct rt_mask {
	struct rt_pattern *v;
	size_t n, cap;
	size_t *next;               /* scratch for rt_mask_apply */
	size_t longest;             /* the longest pattern's length */
};

void rt_mask_init(struct rt_mask *m);
void rt_mask_release(struct rt_mask *m);
/*
 * Adds every line of `value` at least RT_MIN_SECRET bytes long (one
 * final '\r' dropped); -1 at RT_MAX_PATTERNS.
 */
int rt_mask_add(struct rt_mask *m, const char *value, size_t len);
/* Whether rt_mask_add() would hide any of `value`: a line of RT_MIN_SECRET bytes. */
bool rt_mask_can_hide(const char *value, size_t len);
/*
 * Where to break in[0..len) at `at` or later so that no occurrence
 * rt_mask_apply() would replace straddles the break: `at`, or the end
 * of the occurrence that crosses it.  An occurrence starting before `at`
 * ends by `at` + m->longest - 1, so `len` at least that finds it whole.
 */
size_t rt_mask_cut(struct rt_mask *m, const char *in, size_t len, size_t at);

/* A growable byte buffer. */
struct rt_buf {
	char *p;
	size_t len, cap;
};

void rt_buf_release(struct rt_buf *b);
void rt_buf_put(struct rt_buf *b, const void *data, size_t len);

/* rt_buf_room() when `b` lacks the room: grows it. */
char *rt_buf_grow(struct rt_buf *b, size_t len);

/*
 * Room for `len` more bytes at the returned end; the caller adds to
 * b->len.  Inline, since log streaming asks once a line.
 */
static inline char *rt_buf_room(struct rt_buf *b, size_t len)
{
	return b->p && b->cap - b->len >= len ? b->p + b->len : rt_buf_grow(b, len);
}

/*
 * Writes `in` with every occurrence of a pattern replaced by RT_MASK to
 * `out` (appending).  Leftmost match first, the longest on a tie.
 */
void rt_mask_apply(struct rt_mask *m, const char *in, size_t len, struct rt_buf *out);

/*
 * The masked text of in[0..*len): `in` itself when no pattern occurs in
 * it (most output holds no secret, and is then not copied), else `out`'s
 * text, replacing what `out` held.  Sets *len to the result's length.
 */
const char *rt_mask_text(struct rt_mask *m, const char *in, size_t *len, struct rt_buf *out);

/* A masked copy of `s`, to free(). */
char *rt_mask_dup(struct rt_mask *m, const char *s);

/* ---- log.c ------------------------------------------------------------ */

/* Where a step's lines go and how they look. */
struct rt_log_sink {
	FILE *out;
	bool timestamps;
	struct rt_mask *mask;
	struct rt_buf scratch;      /* masked text, reused */
	struct rt_buf head;         /* prefix and timestamp joined, reused */
	struct rt_buf pending;      /* lines not yet handed to `out` */
};

#define RT_OUT_CHUNK (64u * 1024)   /* pending output written at this size */

/* Hands the pending lines to `out` (and flushes it). */
void rt_log_sink_flush(struct rt_log_sink *s);

/* Frees the sink's buffers (not `out` or `mask`, which it borrows). */
void rt_log_sink_release(struct rt_log_sink *s);

/* One step's output: a held partial line per stream, its prefix. */
struct rt_log {
	struct rt_log_sink *sink;
	char *prefix;               /* "name | " with padding and color */
	size_t prefix_len;
	FILE *file;                 /* --log-dir file, or NULL */
	struct rt_buf held[2];      /* stdout, stderr */
};

/* `color` is an SGR sequence such as "\033[32m", or NULL. */
void rt_log_init(struct rt_log *l, struct rt_log_sink *sink, const char *name,
		 int width, const char *color);
/* Feeds bytes of `stream` (1 or 2); complete lines are written at once. */
void rt_log_write(struct rt_log *l, int stream, const char *data, size_t len);
/* Writes what is held, as lines; called when the step ends. */
void rt_log_flush(struct rt_log *l);
void rt_log_release(struct rt_log *l);

/* ---- secrets.c -------------------------------------------------------- */

/*
 * Finds the value of pipeline secret `name` for `p`: the user's value,
 * else the declared source.  NULL after recording why [secret-missing].
 */
const char *rt_secret_resolve(const struct rt_secrets *s, const struct ir_pipeline *p,
			      const char *name, struct ir_pos at, struct ir_arena *a,
			      struct diag_list *dl);


/* ---- sched.c and run.c ------------------------------------------------- */

/* Why a pipeline stops starting steps; larger values win. */
enum stop { STOP_NONE, STOP_EARLY, STOP_TIMEOUT, STOP_CANCEL };

struct node;
struct run;

/* One pipeline being run. */
struct prun {
	struct run *run;
	const struct ir_pipeline *p;
	struct rt_pipeline_report *rep;
	struct node *nodes;
	size_t n, running, services;
	enum stop stop;
	bool failed;
	int64_t deadline;
	struct ir_env secrets;      /* resolved values by name */
	struct ir_env pull_secrets; /* image_pull_secrets with a value, in order */
	bool held;                  /* a step waits for a service to be ready */
	bool overran;               /* a start gave up at the pipeline's deadline */
	int width;
};

/* The whole run. */
struct run {
	const struct rt_options *opt;
	struct rt_backend *b;
	struct rt_run_info info;
	struct ir_arena *a;
	struct diag_list *dl;
	struct rt_mask *mask;       /* opt->mask, or own_mask */
	struct rt_mask own_mask;
	struct rt_log_sink sink;
	int grace;
	struct prun *pruns;
};

/* Builds the pipeline's graph and resolves its secrets (errors in run->dl). */
void rt_pipeline_init(struct run *run, struct prun *r, const struct ir_pipeline *p,
		      struct rt_pipeline_report *rep);
/* Prepares, runs and tears down the pipeline; fills r->rep. */
void rt_pipeline_run(struct prun *r);
/*
 * Adds secret `name`'s value to the run's mask: an error
 * [secret-too-short] when no line of it is RT_MIN_SECRET bytes long (an
 * empty value hides nothing and is no error), [secret-limit] if full.
 */
void rt_mask_secret(struct run *run, const char *name, const char *value, struct ir_pos pos);

/* ---- ready.c ------------------------------------------------------------ */

/* Where a service stands; READY_OK for one without a health check. */
enum ready_state { READY_WAIT = 1, READY_OK, READY_FAILED };

struct rt_ready {
	enum ready_state state;     /* 0: not a running service */
	int tries;                  /* probes that failed */
	int64_t deadline, next;     /* monotonic ms: give up, probe next */
	char why[512];              /* the last probe's output or reason */
};

/* A service started: waiting when it has a check the backend can probe. */
void rt_ready_begin(struct run *run, struct rt_ready *rd, const struct ir_step *s);
/* Probes the waiting service when due; unready is an error [service-not-ready]. */
void rt_ready_watch(struct run *run, struct rt_ready *rd, struct rt_job *job);
/* The service ended: unready when it was still waiting. */
void rt_ready_ended(struct run *run, struct rt_ready *rd, const struct ir_step *s);
/* When rt_ready_watch() wants to run next (monotonic ms), 0: never. */
int64_t rt_ready_next(const struct rt_ready *rd);

/* ---- time ------------------------------------------------------------ */

int64_t rt_wall_ms(void);           /* Unix time */

#endif
