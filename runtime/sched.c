/*
 * sched.c - runs one pipeline: the schedule, policies, timeouts, interrupts.
 *
 * rt_pipeline_init() follows the normalized IR's edges (the validator
 * has checked the graph) and resolves every secret a step asks for before
 * anything starts.  rt_pipeline_run() is then one loop on one thread: start what is
 * ready, let the backend's poll() wait for output and exits, react to
 * the clock and to interrupts, repeat until no step runs.  The backend's
 * callbacks only record what happened; every backend call is made from
 * the loop, so no operation ever runs inside another.
 *
 * The run policy of a step is judged against its ancestors only (the
 * steps it depends on, directly or not; the normalizer has made file
 * order explicit): on-success runs when none of them failed, on-failure when one
 * did.  A failure in one branch of a DAG therefore never skips the steps
 * of an unrelated branch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/internal.h"

#define POLL_MAX_MS 200             /* bounds the wait for an interrupt */
#define NAME_WIDTH_MAX 24

enum phase { N_WAITING, N_RUNNING, N_DONE };

struct node {
	struct rt_job job;
	struct prun *r;
	struct rt_step_report *rep;
	size_t *dependents, ndependents;
	size_t pending;             /* dependencies not released yet */
	enum phase phase;
	bool service, released, tainted, failed, retry, stopping, timed_out;
	int64_t deadline, kill_at;  /* monotonic ms, 0: none */
	struct rt_ready ready;      /* a service's readiness */
	struct rt_log log;
};

static const char *const palette[] = {
	"\033[32m", "\033[33m", "\033[34m", "\033[35m", "\033[36m", "\033[91m",
};

/* How many interrupts the run has had. */
static int interrupted(const struct run *run)
{
	return run->opt->interrupts ? *run->opt->interrupts : 0;
}

static struct rt_backend_ops const *ops(struct prun *r)
{
	return r->run->b->ops;
}

static void *ctx(struct prun *r)
{
	return r->run->b->ctx;
}

/* ---- the graph ---------------------------------------------------------- */

static size_t step_index(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].name && strcmp(p->steps[i].name, name) == 0)
			return i;
	return p->nsteps;
}

static void add_edge(struct prun *r, size_t from, size_t to)
{
	struct node *f = &r->nodes[from];
	size_t *d = ir_calloc(r->run->a, f->ndependents + 1, sizeof *d);
	if (f->ndependents)
		memcpy(d, f->dependents, f->ndependents * sizeof *d);
	d[f->ndependents++] = to;
	f->dependents = d;
	r->nodes[to].pending++;
}

/*
 * The edges are the normalized IR's depends_on: every order explicit and
 * checked by the validator (no unknown step, no cycle), so they are only
 * followed here.
 */
static void add_edges(struct prun *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct ir_step *s = &r->p->steps[i];
		for (size_t k = 0; k < s->depends_on.n; k++) {
			size_t d = step_index(r->p, s->depends_on.v[k]);
			if (d < r->n)
				add_edge(r, d, i);
		}
	}
}

/* ---- secrets ------------------------------------------------------------ */

static const char *secret_value(const struct prun *r, const char *name)
{
	return ir_env_get(&r->secrets, name);
}

/* A value that cannot be masked must not reach a step: it is an error. */
void rt_mask_secret(struct run *run, const char *name, const char *value, struct ir_pos pos)
{
	size_t len = strlen(value);
	if (len && !rt_mask_can_hide(value, len))
		diag_error(run->dl, pos, "secret-too-short",
			   "secret '%s' is shorter than %d bytes and cannot be masked in the output",
			   name, RT_MIN_SECRET);
	else if (rt_mask_add(run->mask, value, len) < 0)
		diag_error(run->dl, pos, "secret-limit",
			   "more than %u secret lines to mask", RT_MAX_PATTERNS);
}

/*
 * The pipeline's image_pull_secrets, for the backend's pulls: those
 * without a value are left out (a pull may need none), the rest masked.
 */
static void resolve_pull_secrets(struct prun *r)
{
	struct run *run = r->run;
	const struct ir_strs *names = &r->p->pull_secrets;
	struct diag_list quiet;
	diag_list_init(&quiet);
	r->pull_secrets.v = ir_calloc(run->a, names->n + 1, sizeof *r->pull_secrets.v);
	for (size_t i = 0; i < names->n; i++) {
		const char *v = rt_secret_resolve(run->opt->secrets, r->p, names->v[i], r->p->pos,
						  run->a, &quiet);
		if (!v)
			continue;
		r->pull_secrets.v[r->pull_secrets.n++] =
			(struct ir_kv){ir_strdup(run->a, names->v[i]), ir_strdup(run->a, v)};
		if (v != rt_secrets_get(run->opt->secrets, names->v[i]))
			rt_mask_secret(run, names->v[i], v, r->p->pos);
	}
	diag_list_release(&quiet);
}

/* Resolves what the steps that may run ask for; all misses are reported. */
static void resolve_secrets(struct prun *r)
{
	struct run *run = r->run;
	size_t cap = 0;
	for (size_t i = 0; i < r->n; i++)
		cap += ir_step_extra(&r->p->steps[i])->nsecrets;
	r->secrets.v = ir_calloc(run->a, cap + 1, sizeof *r->secrets.v);
	for (size_t i = 0; i < r->n; i++) {
		const struct ir_step *s = &r->p->steps[i];
		const struct ir_step_extra *ex = ir_step_extra(s);
		for (size_t k = 0; !s->skip && k < ex->nsecrets; k++) {
			const char *name = ex->secrets[k].name;
			if (!name || secret_value(r, name))
				continue;
			const char *v = rt_secret_resolve(run->opt->secrets, r->p, name, s->pos,
							  run->a, run->dl);
			if (!v)
				continue;
			r->secrets.v[r->secrets.n++] = (struct ir_kv){ir_strdup(run->a, name),
								     ir_strdup(run->a, v)};
			if (v != rt_secrets_get(run->opt->secrets, name))
				rt_mask_secret(run, name, v, s->pos);   /* else known from the start */
		}
	}
}

/* ---- setting up ------------------------------------------------------- */

static int name_width(const struct ir_pipeline *p)
{
	int w = 0;
	for (size_t i = 0; i < p->nsteps; i++) {
		int len = p->steps[i].name ? (int)strlen(p->steps[i].name) : 0;
		if (len > w)
			w = len;
	}
	return w > NAME_WIDTH_MAX ? NAME_WIDTH_MAX : w;
}

void rt_pipeline_init(struct run *run, struct prun *r, const struct ir_pipeline *p,
		      struct rt_pipeline_report *rep)
{
	r->run = run;
	r->p = p;
	r->rep = rep;
	r->n = p->nsteps;
	r->width = name_width(p);
	r->nodes = ir_calloc(run->a, r->n + 1, sizeof *r->nodes);
	rep->pipeline = p;
	rep->steps = calloc(r->n + 1, sizeof *rep->steps);
	if (!rep->steps)
		abort();
	rep->nsteps = r->n;
	for (size_t i = 0; i < r->n; i++) {
		struct node *n = &r->nodes[i];
		n->r = r;
		n->rep = &rep->steps[i];
		n->rep->step = &p->steps[i];
		n->service = p->steps[i].detach;
		n->job.step = &p->steps[i];
		n->job.pipeline = p;
		n->job.runtime_data = n;
	}
	add_edges(r);
	resolve_secrets(r);
	resolve_pull_secrets(r);
}

/* ---- logs --------------------------------------------------------------- */

/* A file name from a pipeline or step name: no '/', never "." or "..". */
static char *file_name(struct ir_arena *a, const char *name)
{
	char *s = ir_strdup(a, name && *name ? name : "_");
	for (char *c = s; *c; c++)
		if (*c == '/')
			*c = '_';
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		s[0] = '_';
	return s;
}

static FILE *open_log_file(struct node *n)
{
	struct run *run = n->r->run;
	const char *dir = run->opt->log_dir;
	if (!dir)
		return NULL;
	char *pdir = ir_printf(run->a, "%s/%s", dir, file_name(run->a, n->r->p->name));
	mkdir(dir, 0777);
	mkdir(pdir, 0777);
	char *path = ir_printf(run->a, "%s/%s.log", pdir, file_name(run->a, n->job.step->name));
	FILE *fp = fopen(path, "w");
	if (!fp)
		diag_warning(run->dl, (struct ir_pos){.file = path}, "log-dir",
			     "cannot write the step's log: %s", strerror(errno));
	return fp;
}

static void init_log(struct node *n, size_t index)
{
	struct run *run = n->r->run;
	const char *color = run->opt->color ? palette[index % 6] : NULL;
	rt_log_init(&n->log, &run->sink, n->job.step->name ? n->job.step->name : "",
		    n->r->width, color);
	n->log.file = open_log_file(n);
}

/* ---- starting ----------------------------------------------------------- */

static bool env_has(const struct ir_env *env, const char *key)
{
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->v[i].key, key) == 0)
			return true;
	return false;
}

/*
 * The step's environment: the pipeline's variables the step does not
 * set itself, the step's own, then its secrets under their names.
 */
static void build_env(struct node *n)
{
	const struct ir_step *s = n->job.step;
	const struct ir_step_extra *ex = ir_step_extra(s);
	const struct ir_env *shared = &n->r->p->environment;
	struct ir_arena *a = n->r->run->a;
	struct ir_kv *v = ir_calloc(a, shared->n + s->environment.n + ex->nsecrets + 1, sizeof *v);
	struct ir_kv *sv = ir_calloc(a, ex->nsecrets + 1, sizeof *sv);
	size_t k = 0, ns = 0;
	for (size_t i = 0; i < shared->n; i++)
		if (!env_has(&s->environment, shared->v[i].key))
			v[k++] = shared->v[i];
	for (size_t i = 0; i < s->environment.n; i++)
		v[k++] = s->environment.v[i];
	for (size_t i = 0; i < ex->nsecrets; i++) {
		const char *val = secret_value(n->r, ex->secrets[i].name);
		const char *env = ex->secrets[i].env ? ex->secrets[i].env : ex->secrets[i].name;
		if (!val || !env)
			continue;
		size_t at = 0;
		while (at < k && strcmp(v[at].key, env) != 0)
			at++;           /* a secret replaces a plain variable of its name */
		v[at] = (struct ir_kv){(char *)env, (char *)val};
		sv[ns++] = v[at];
		k += at == k;
	}
	n->job.env = (struct ir_env){v, k};
	n->job.secrets = (struct ir_env){sv, ns};
	n->job.pull_secrets = n->r->pull_secrets;
}

static void release(struct node *n)
{
	if (n->released)
		return;
	n->released = true;
	for (size_t k = 0; k < n->ndependents; k++) {
		struct node *d = &n->r->nodes[n->dependents[k]];
		d->pending--;
		if (n->failed || n->tainted)
			d->tainted = true;
	}
}

static void finish(struct node *n, enum rt_status st, const char *reason)
{
	if (n->phase == N_RUNNING) {
		if (n->service)
			n->r->services--;
		else
			n->r->running--;
	}
	n->phase = N_DONE;
	n->rep->status = st;
	if (reason)
		n->rep->reason = reason;
	if (!n->rep->finished_ms && n->rep->started_ms)
		n->rep->finished_ms = rt_wall_ms();
	release(n);
}

/* The earlier of two deadlines, 0 standing for none. */
static int64_t earliest(int64_t a, int64_t b)
{
	return !a || (b && b < a) ? b : a;
}

static void report_failure(struct node *n, const struct rt_exit *e);

static void start(struct prun *r, struct node *n, size_t index)
{
	const struct ir_step *s = n->job.step;
	if (!n->rep->attempts) {
		init_log(n, index);
		build_env(n);
		n->rep->started_ms = rt_wall_ms();
	}
	n->rep->attempts++;
	n->retry = n->stopping = n->timed_out = false;
	n->kill_at = 0;
	int t = s->timeout ? s->timeout : r->run->opt->step_timeout;
	n->deadline = t > 0 && !n->service ? rt_now_ms() + (int64_t)t * 1000 : 0;
	n->job.deadline_ms = earliest(n->deadline, r->deadline);
	n->phase = N_RUNNING;
	if (n->service)
		r->services++;
	else
		r->running++;
	struct diag_list *dl = r->run->dl;
	size_t said = dl->len;
	if (interrupted(r->run) || ops(r)->start(ctx(r), &n->job, dl) < 0) {
		if (interrupted(r->run)) {  /* no start, or one that gave up: cancelled */
			finish(n, RT_CANCELLED, "the run was interrupted");
			return;
		}
		n->failed = !s->ignore_error && !n->service;
		r->failed |= n->failed;
		free((char *)n->rep->exit.error);
		/* the report carries the cause: the last thing the start said */
		const char *why = dl->len > said ? dl->items[dl->len - 1].message : "could not start";
		n->rep->exit = (struct rt_exit){.code = -1, .error = strdup(why)};
		/* a start that waited out the step's own time is its timeout */
		int64_t now = rt_now_ms();
		n->timed_out = n->deadline && now >= n->deadline;
		r->overran |= r->deadline && now >= r->deadline;
		if (n->timed_out)
			report_failure(n, &n->rep->exit);
		n->rep->timed_out = n->timed_out;
		finish(n, RT_FAILURE, NULL);
		return;
	}
	if (n->service) {
		rt_ready_begin(r->run, &n->ready, s);
		release(n);     /* a service satisfies its dependents once started */
	}
}

/*
 * A step starts once every running service with a health check is
 * ready: false while one is still waiting (r->held set), or after
 * failing the step when one never will be.
 */
static bool services_ready(struct prun *r, struct node *n)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct node *svc = &r->nodes[i];
		if (!svc->service || svc->phase == N_WAITING)
			continue;
		if (svc->ready.state == READY_WAIT && svc->phase == N_RUNNING) {
			r->held = true;
			return false;
		}
		if (svc->ready.state == READY_FAILED) {
			const struct ir_step *s = n->job.step;
			diag_error(r->run->dl, s->pos, "service-not-ready",
				   "step '%s' cannot start: service '%s' is not ready", s->name,
				   svc->job.step->name);
			n->failed = !s->ignore_error;
			r->failed |= n->failed;
			n->rep->ignored = s->ignore_error;
			finish(n, RT_FAILURE, NULL);
			return false;
		}
	}
	return true;
}

/* Why `n` must not start, or NULL; sets *st to the status it gets. */
static const char *gate(struct prun *r, struct node *n, enum rt_status *st)
{
	const struct ir_step *s = n->job.step;
	*st = RT_SKIPPED;
	if (n->retry)
		return NULL;
	if (r->stop >= STOP_TIMEOUT) {
		*st = RT_CANCELLED;
		return r->stop == STOP_CANCEL ? "the run was interrupted" : "the pipeline timed out";
	}
	if (s->skip)
		return s->skip->reason ? s->skip->reason : "ruled out when compiled";
	if (r->stop == STOP_EARLY)
		return "a step exited with code 78";
	switch (s->run_policy) {
	case IR_RUN_NEVER: return "run policy is never";
	case IR_RUN_ON_SUCCESS: return n->tainted ? "a step it follows failed" : NULL;
	case IR_RUN_ON_FAILURE: return n->tainted ? NULL : "no step it follows failed";
	case IR_RUN_ALWAYS: return NULL;
	}
	return NULL;
}

static bool launch_one(struct prun *r, size_t i, bool services)
{
	struct node *n = &r->nodes[i];
	if (n->phase != N_WAITING || n->pending || n->service != services)
		return false;
	enum rt_status st;
	const char *why = gate(r, n, &st);
	if (why) {
		finish(n, st, why);
		return true;
	}
	int max = r->run->opt->parallel;
	if (!services && max > 0 && r->running >= (size_t)max)
		return false;
	if (!services && !services_ready(r, n))
		return n->phase == N_DONE;
	start(r, n, i);
	return true;
}

/* Starts or skips whatever is ready, services first, until nothing is. */
static void launch(struct prun *r)
{
	bool progress = true;
	r->held = false;
	while (progress) {
		progress = false;
		for (int pass = 1; pass >= 0; pass--)
			for (size_t i = 0; i < r->n; i++)
				progress |= launch_one(r, i, pass);
	}
}

/* ---- ends ----------------------------------------------------------------- */

static const char *signal_name(int sig)
{
	static const struct { int n; const char *s; } names[] = {
		{1, "SIGHUP"}, {2, "SIGINT"}, {3, "SIGQUIT"}, {4, "SIGILL"}, {6, "SIGABRT"},
		{8, "SIGFPE"}, {9, "SIGKILL"}, {11, "SIGSEGV"}, {13, "SIGPIPE"},
		{14, "SIGALRM"}, {15, "SIGTERM"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].n == sig)
			return names[i].s;
	return "signal";
}

static bool exit_ok(const struct rt_exit *e)
{
	return !e->error && !e->oom_killed && !e->signal && (e->code == 0 || e->code == 78);
}

/* Records why a step failed, as an error or (ignored) a warning. */
static void report_failure(struct node *n, const struct rt_exit *e)
{
	const struct ir_step *s = n->job.step;
	struct diag_list *dl = n->r->run->dl;
	enum diag_severity sev = s->ignore_error ? DIAG_WARNING : DIAG_ERROR;
	const char *name = s->name;
	if (n->timed_out)
		diag_add(dl, sev, s->pos, "step-timeout", "step '%s' timed out after %d s",
			 name, s->timeout ? s->timeout : n->r->run->opt->step_timeout);
	else if (e->error)
		diag_add(dl, sev, s->pos, e->rule ? e->rule : "step-failed",
			 "step '%s' could not run: %s", name, e->error);
	else if (e->oom_killed)
		diag_add(dl, sev, s->pos, "out-of-memory", "step '%s' ran out of memory", name);
	else if (e->signal)
		diag_add(dl, sev, s->pos, "step-failed", "step '%s' was killed by signal %d (%s)",
			 name, e->signal, signal_name(e->signal));
	else
		diag_add(dl, sev, s->pos, "step-failed", "step '%s' exited with status %d", name,
			 e->code);
}

static void service_ended(struct node *n, const struct rt_exit *e)
{
	struct prun *r = n->r;
	rt_ready_ended(r->run, &n->ready, n->job.step);
	if (!n->stopping && r->stop == STOP_NONE && !exit_ok(e))
		diag_warning(r->run->dl, n->job.step->pos, "service-exited",
			     "service '%s' ended before the pipeline did (status %d)",
			     n->job.step->name, e->signal ? 128 + e->signal : e->code);
	finish(n, exit_ok(e) || n->stopping ? RT_SUCCESS : RT_FAILURE, NULL);
	n->rep->ignored = n->rep->status == RT_FAILURE;
}

static void step_ended(struct node *n, const struct rt_exit *e)
{
	struct prun *r = n->r;
	const struct ir_step *s = n->job.step;
	if (exit_ok(e)) {
		if (e->code == 78) {
			r->rep->early_exit = true;
			if (r->stop < STOP_EARLY)
				r->stop = STOP_EARLY;
		}
		finish(n, RT_SUCCESS, NULL);
		return;
	}
	if (n->stopping && !n->timed_out && r->stop >= STOP_TIMEOUT) {
		finish(n, RT_CANCELLED, r->stop == STOP_CANCEL ? "the run was interrupted"
							      : "the pipeline timed out");
		return;
	}
	if (n->rep->attempts <= s->retries && r->stop == STOP_NONE && !e->error) {
		n->retry = true;       /* started again from the loop */
		n->phase = N_WAITING;
		r->running--;
		return;
	}
	report_failure(n, e);
	n->rep->timed_out = n->timed_out;
	n->rep->ignored = s->ignore_error;
	n->failed = !s->ignore_error;
	r->failed |= n->failed;
	finish(n, RT_FAILURE, NULL);
}

void rt_job_exited(struct rt_job *job, const struct rt_exit *e)
{
	struct node *n = job->runtime_data;
	if (!n || n->phase != N_RUNNING)
		return;
	rt_log_flush(&n->log);
	free((char *)n->rep->exit.error);
	n->rep->exit = *e;
	n->rep->exit.error = e->error ? rt_mask_dup(n->r->run->mask, e->error) : NULL;
	n->rep->finished_ms = rt_wall_ms();
	if (job->image_digest && !n->rep->image_digest)
		n->rep->image_digest = strdup(job->image_digest);
	if (n->service)
		service_ended(n, e);
	else
		step_ended(n, e);
}

void rt_job_output(struct rt_job *job, int stream, const char *data, size_t len)
{
	struct node *n = job->runtime_data;
	if (n && n->log.prefix)
		rt_log_write(&n->log, stream, data, len);
}

/* ---- the loop ------------------------------------------------------------- */

static void stop_node(struct prun *r, struct node *n, bool hurry, int64_t now)
{
	if (n->stopping && !hurry)
		return;
	ops(r)->stop(ctx(r), &n->job, hurry);
	n->stopping = true;
	n->kill_at = hurry ? 0 : now + r->run->grace;
}

static void stop_all(struct prun *r, bool services, bool hurry)
{
	int64_t now = rt_now_ms();
	for (size_t i = 0; i < r->n; i++) {
		struct node *n = &r->nodes[i];
		if (n->phase == N_RUNNING && (services || !n->service))
			stop_node(r, n, hurry, now);
	}
}

static void halt(struct prun *r, enum stop why)
{
	if (r->stop < why)
		r->stop = why;
	stop_all(r, true, false);
}

/* Probes the services still waiting to be ready, unless the run is stopping. */
static void watch_services(struct prun *r)
{
	for (size_t i = 0; i < r->n && r->stop < STOP_TIMEOUT; i++) {
		struct node *n = &r->nodes[i];
		if (n->service && n->phase == N_RUNNING && !n->stopping)
			rt_ready_watch(r->run, &n->ready, &n->job);
	}
}

static void watch_interrupts(struct prun *r)
{
	struct run *run = r->run;
	int k = interrupted(run);
	if (k >= 1 && r->stop != STOP_CANCEL)
		halt(r, STOP_CANCEL);
	if (k >= 2 && !run->info.hurry) {
		run->info.hurry = true;
		stop_all(r, true, true);
	}
}

static void watch_clock(struct prun *r)
{
	int64_t now = rt_now_ms();
	if (r->deadline && now >= r->deadline && r->stop < STOP_TIMEOUT) {
		r->rep->timed_out = true;
		r->failed = true;
		diag_error(r->run->dl, r->p->pos, "pipeline-timeout",
			   "pipeline '%s' timed out after %d s", r->p->name,
			   r->run->opt->timeout ? r->run->opt->timeout : r->p->timeout);
		halt(r, STOP_TIMEOUT);
	}
	for (size_t i = 0; i < r->n; i++) {
		struct node *n = &r->nodes[i];
		if (n->phase != N_RUNNING)
			continue;
		if (n->deadline && now >= n->deadline && !n->stopping) {
			n->timed_out = true;
			stop_node(r, n, false, now);
		} else if (n->kill_at && now >= n->kill_at) {
			stop_node(r, n, true, now);
		}
	}
}

/* How long poll() may wait: until the nearest deadline, at most POLL_MAX_MS. */
static int wait_ms(const struct prun *r)
{
	int64_t now = rt_now_ms(), next = now + POLL_MAX_MS;
	if (r->deadline && r->deadline < next)
		next = r->deadline;
	for (size_t i = 0; i < r->n; i++) {
		const struct node *n = &r->nodes[i];
		if (n->phase != N_RUNNING)
			continue;
		if (n->deadline && !n->stopping && n->deadline < next)
			next = n->deadline;
		if (n->kill_at && n->kill_at < next)
			next = n->kill_at;
		int64_t probe = rt_ready_next(&n->ready);
		if (probe && probe < next)
			next = probe;
	}
	return next > now ? (int)(next - now) : 0;
}

static void poll_once(struct prun *r, int ms)
{
	ops(r)->poll(ctx(r), ms);
	rt_log_sink_flush(&r->run->sink);
}

/* Services end with the pipeline: asked to stop, then killed. */
static void stop_services(struct prun *r)
{
	if (!r->services)
		return;
	r->deadline = 0;        /* the steps are done: no pipeline timeout now */
	stop_all(r, true, r->run->info.hurry);
	int64_t give_up = rt_now_ms() + 2 * (int64_t)r->run->grace;
	while (r->services && rt_now_ms() < give_up) {
		watch_interrupts(r);
		watch_clock(r);
		poll_once(r, wait_ms(r));
	}
}

static void pipeline_loop(struct prun *r)
{
	int t = r->run->opt->timeout ? r->run->opt->timeout : r->p->timeout;
	r->deadline = t > 0 ? rt_now_ms() + (int64_t)t * 1000 : 0;
	for (;;) {
		watch_interrupts(r);
		watch_clock(r);
		watch_services(r);
		launch(r);
		if (!r->running && !r->held)
			break;
		poll_once(r, wait_ms(r));
	}
	watch_interrupts(r);    /* one that came while the last step started */
	if (r->overran)
		watch_clock(r);  /* a last start that waited out the pipeline's time */
	stop_services(r);
}

/* What is still running when the backend tore it down, or never began. */
static void settle(struct prun *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct node *n = &r->nodes[i];
		rt_log_flush(&n->log);
		if (n->phase == N_RUNNING)
			finish(n, n->service ? RT_SUCCESS : RT_CANCELLED, NULL);
		else if (n->phase == N_WAITING && r->stop >= STOP_TIMEOUT)
			finish(n, RT_CANCELLED, "the run was interrupted");
		rt_log_release(&n->log);
	}
	rt_log_sink_flush(&r->run->sink);
}

void rt_pipeline_run(struct prun *r)
{
	struct run *run = r->run;
	r->rep->started_ms = rt_wall_ms();
	run->info.secrets = &r->secrets;
	run->info.pull_secrets = &r->pull_secrets;
	if (ops(r)->prepare(ctx(r), &run->info, r->p, run->dl) < 0) {
		r->failed = true;
	} else {
		pipeline_loop(r);
	}
	if (ops(r)->teardown(ctx(r), run->dl) < 0)
		r->failed = true;
	settle(r);
	r->rep->finished_ms = rt_wall_ms();
	r->rep->status = r->stop == STOP_CANCEL ? RT_CANCELLED
			 : r->failed            ? RT_FAILURE
						: RT_SUCCESS;
}
