/*
 * echo.c - a backend plugin for the tests: it runs nothing, and reports
 * for every step one line naming it (and its GREETING variable, when
 * set) and an exit code taken from its PLUGIN_EXIT variable (default 0).
 * Built as a shared object and loaded with --backend-plugin.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/plugin.h"
#include "runtime/runtime.h"

#define MAX_JOBS 256

struct echo {
	struct rt_job *pending[MAX_JOBS];
	size_t n;
};

static int echo_prepare(void *ctx, const struct rt_run_info *run,
			const struct ir_pipeline *p, struct diag_list *dl)
{
	(void)ctx, (void)run, (void)p, (void)dl;
	return 0;
}

static int echo_start(void *ctx, struct rt_job *job, struct diag_list *dl)
{
	struct echo *e = ctx;
	if (e->n == MAX_JOBS)
		return diag_error(dl, job->step->pos, "step-failed", "too many steps");
	e->pending[e->n++] = job;
	return 0;
}

static void finish(struct rt_job *job)
{
	char line[512];
	const char *greeting = ir_env_get(&job->env, "GREETING");
	int n = snprintf(line, sizeof line, "plugin ran '%s'%s%s\n", job->step->name,
			 greeting ? ": " : "", greeting ? greeting : "");
	rt_job_output(job, 1, line, n > 0 && (size_t)n < sizeof line ? (size_t)n : 0);
	const char *code = ir_env_get(&job->env, "PLUGIN_EXIT");
	struct rt_exit ex = {.code = code ? atoi(code) : 0};
	job->image_digest = "sha256:0123456789abcdef";
	rt_job_exited(job, &ex);
}

static int echo_poll(void *ctx, int timeout_ms)
{
	struct echo *e = ctx;
	(void)timeout_ms;
	size_t n = e->n;
	e->n = 0;
	for (size_t i = 0; i < n; i++)
		finish(e->pending[i]);
	return 0;
}

static void echo_stop(void *ctx, struct rt_job *job, bool hurry)
{
	(void)ctx, (void)job, (void)hurry;
}

static int echo_teardown(void *ctx, struct diag_list *dl)
{
	(void)dl;
	((struct echo *)ctx)->n = 0;
	return 0;
}

static void echo_free(void *ctx)
{
	free(ctx);
}

static const struct rt_backend_ops echo_ops = {
	.name = "echo",
	.prepare = echo_prepare,
	.start = echo_start,
	.poll = echo_poll,
	.stop = echo_stop,
	.teardown = echo_teardown,
	.free = echo_free,
};

static int echo_new(struct rt_backend *out, const struct rt_backend_options *opt,
		    struct diag_list *dl)
{
	(void)opt, (void)dl;
	out->ops = &echo_ops;
	out->ctx = calloc(1, sizeof(struct echo));
	return out->ctx ? 0 : -1;
}

const struct rt_module pipec_module = {.name = "echo", .backend_new = echo_new};
