/*
 * fake.h - a backend for the scheduler tests, and IR builders.
 *
 * The fake backend runs nothing: poll() ends the oldest running step
 * (never a service) with the exit code in its EXIT variable (default 0),
 * or the error after "error:" there, after printing "ran NAME".  A step
 * whose START variable is "wait" is a start that waits on something slow
 * (a stalled pull): start() returns only at job->deadline_ms, failing.  It records the order of starts and the
 * largest number of steps running at once, and what prepare() and
 * start() were told.  A service's probe answers by its HEALTH variable:
 * "ready-after:N" (ready at the Nth try), "unhealthy", "fail" (a failed
 * try) or anything else (no answer yet); after `interrupt_after` probes
 * the probe counts an interrupt in `*irq`.
 */
#ifndef PIPEC_TESTS_RUNTIME_FAKE_H
#define PIPEC_TESTS_RUNTIME_FAKE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/internal.h"

#define FAKE_MAX 64

struct fake {
	struct rt_job *running[FAKE_MAX];
	bool stopped[FAKE_MAX];
	size_t n, max_running, starts, prepares, teardowns;
	char order[1024];
	bool fail_prepare, fail_teardown, refuse;
	size_t probes, interrupt_after;
	volatile sig_atomic_t *irq;
	const char *artifacts_dir;  /* as prepare() was told */
	size_t secrets_seen;        /* secret values start() was told of */
	char last_env[512];         /* the last started step's, "K=V\n" each */
};

static inline int fake_prepare(void *ctx, const struct rt_run_info *run,
			       const struct ir_pipeline *p, struct diag_list *dl)
{
	struct fake *f = ctx;
	f->prepares++;
	f->artifacts_dir = run->artifacts_dir;
	if (f->fail_prepare)
		return diag_error(dl, p->pos, "test", "prepare failed");
	return 0;
}

/* A start that waits, as a stalled pull does, until the step's deadline. */
static inline int fake_start_wait(struct rt_job *job, struct diag_list *dl)
{
	while (job->deadline_ms && rt_now_ms() < job->deadline_ms) {
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return diag_error(dl, job->step->pos, "test", "start of '%s' gave up: %s", job->step->name,
			  job->deadline_ms ? "the step's time ran out" : "no deadline");
}

static inline int fake_start(void *ctx, struct rt_job *job, struct diag_list *dl)
{
	struct fake *f = ctx;
	const char *how = ir_env_get(&job->env, "START");
	if (how && strcmp(how, "wait") == 0) {
		f->starts++;
		return fake_start_wait(job, dl);
	}
	strcat(f->order, job->step->name);
	strcat(f->order, " ");
	f->stopped[f->n] = false;
	f->running[f->n++] = job;
	f->starts++;
	f->secrets_seen += job->secrets.n;
	f->last_env[0] = '\0';
	for (size_t i = 0; i < job->env.n; i++) {
		size_t at = strlen(f->last_env);
		snprintf(f->last_env + at, sizeof f->last_env - at, "%s=%s\n",
			 job->env.v[i].key, job->env.v[i].value);
	}
	if (f->n > f->max_running)
		f->max_running = f->n;
	return 0;
}

static inline void fake_end(struct fake *f, size_t i, struct rt_exit e)
{
	struct rt_job *job = f->running[i];
	memmove(&f->running[i], &f->running[i + 1], (f->n - i - 1) * sizeof *f->running);
	memmove(&f->stopped[i], &f->stopped[i + 1], (f->n - i - 1) * sizeof *f->stopped);
	f->n--;
	rt_job_exited(job, &e);
}

static inline int fake_poll(void *ctx, int timeout_ms)
{
	struct fake *f = ctx;
	(void)timeout_ms;
	for (size_t i = 0; i < f->n; i++) {
		if (f->stopped[i]) {
			fake_end(f, i, (struct rt_exit){.code = -1, .signal = 15});
			return 0;
		}
	}
	for (size_t i = 0; i < f->n; i++) {
		struct rt_job *job = f->running[i];
		if (job->step->detach)
			continue;
		const char *code = ir_env_get(&job->env, "EXIT");
		if (code && strcmp(code, "hang") == 0)
			continue;
		char line[128];
		int len = snprintf(line, sizeof line, "ran %s\n", job->step->name);
		rt_job_output(job, 1, line, (size_t)len);
		if (code && strncmp(code, "error:", 6) == 0)
			fake_end(f, i, (struct rt_exit){.code = -1, .error = code + 6});
		else
			fake_end(f, i, (struct rt_exit){.code = code ? atoi(code) : 0});
		return 0;
	}
	struct timespec ts = {0, (timeout_ms < 10 ? timeout_ms : 10) * 1000000L};
	nanosleep(&ts, NULL);      /* nothing to report: wait as a backend would */
	return 0;
}

static inline enum rt_probe fake_probe(void *ctx, struct rt_job *job, int timeout_ms,
				       char *why, size_t size)
{
	struct fake *f = ctx;
	(void)timeout_ms;
	const char *h = ir_env_get(&job->env, "HEALTH");
	f->probes++;
	if (f->irq && f->probes >= f->interrupt_after)
		(*f->irq)++;
	snprintf(why, size, "said no");
	if (h && strncmp(h, "ready-after:", 12) == 0)
		return f->probes >= (size_t)atoi(h + 12) ? RT_PROBE_READY : RT_PROBE_FAILED;
	if (h && strcmp(h, "unhealthy") == 0)
		return RT_PROBE_UNHEALTHY;
	return h && strcmp(h, "fail") == 0 ? RT_PROBE_FAILED : RT_PROBE_WAIT;
}

static inline int fake_check(void *ctx, const struct ir_pipeline *p, struct diag_list *dl)
{
	struct fake *f = ctx;
	return f->refuse ? diag_error(dl, p->pos, "test", "refused") : 0;
}

static inline void fake_stop(void *ctx, struct rt_job *job, bool hurry)
{
	struct fake *f = ctx;
	(void)hurry;
	for (size_t i = 0; i < f->n; i++)
		if (f->running[i] == job)
			f->stopped[i] = true;
}

static inline int fake_teardown(void *ctx, struct diag_list *dl)
{
	struct fake *f = ctx;
	f->teardowns++;
	f->n = 0;
	return f->fail_teardown ? diag_error(dl, (struct ir_pos){.file = "fake"}, "test", "left") : 0;
}

static inline void fake_free(void *ctx)
{
	(void)ctx;
}

static const struct rt_backend_ops fake_ops = {
	.name = "fake",
	.check = fake_check,
	.prepare = fake_prepare,
	.start = fake_start,
	.poll = fake_poll,
	.probe = fake_probe,
	.stop = fake_stop,
	.teardown = fake_teardown,
	.free = fake_free,
};

/* ---- IR builders ---------------------------------------------------------- */

static inline struct ir_pipeline *ir_one_pipeline(struct ir_arena *a, struct ir_doc *d,
						  size_t nsteps)
{
	d->version = IR_VERSION;
	d->npipelines = 1;
	d->pipelines = ir_calloc(a, 1, sizeof *d->pipelines);
	struct ir_pipeline *p = d->pipelines;
	p->name = "p";
	p->pos = (struct ir_pos){.file = "t.yml", .line = 1, .col = 1};
	p->nsteps = nsteps;
	p->steps = ir_calloc(a, nsteps, sizeof *p->steps);
	for (size_t i = 0; i < nsteps; i++) {
		p->steps[i].name = ir_printf(a, "s%zu", i);
		p->steps[i].script = "true";
		p->steps[i].pos = (struct ir_pos){.file = "t.yml", .line = (int)(i + 3), .col = 3};
	}
	return p;
}

static inline void ir_set_env(struct ir_arena *a, struct ir_step *s, const char *k,
			      const char *v)
{
	struct ir_kv *kv = ir_calloc(a, s->environment.n + 1, sizeof *kv);
	if (s->environment.n)
		memcpy(kv, s->environment.v, s->environment.n * sizeof *kv);
	kv[s->environment.n++] = (struct ir_kv){ir_strdup(a, k), ir_strdup(a, v)};
	s->environment.v = kv;
}

/* The step reads secret `name` as variable `env`. */
static inline void ir_use_secret(struct ir_arena *a, struct ir_step *s, const char *name,
				 const char *env)
{
	ir_step_extra_edit(s, a)->secrets = ir_calloc(a, 1, sizeof *ir_step_extra_edit(s, a)->secrets);
	ir_step_extra(s)->secrets[0] = (struct ir_secret_ref){ir_strdup(a, name), ir_strdup(a, env)};
	ir_step_extra_edit(s, a)->nsecrets = 1;
}

static inline void ir_depends(struct ir_arena *a, struct ir_step *s, const char *dep)
{
	char **v = ir_calloc(a, s->depends_on.n + 1, sizeof *v);
	if (s->depends_on.n)
		memcpy(v, s->depends_on.v, s->depends_on.n * sizeof *v);
	v[s->depends_on.n++] = ir_strdup(a, dep);
	s->depends_on.v = v;
}

#endif
