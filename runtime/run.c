/*
 * run.c - runs a normalized document: secrets and the backend's own
 * checks first, then the pipelines one at a time.
 *
 * The validator decided the order: a normalized document lists its
 * pipelines dependencies first, so they run in the order given.  A
 * pipeline's run policy is judged against its depends_on (on-success:
 * none failed, on-failure: one did).  An interrupt cancels the pipelines
 * not yet begun.  sched.c runs each pipeline.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/internal.h"

#define DEFAULT_GRACE_MS 5000

int64_t rt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rt_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *rt_status_name(enum rt_status s)
{
	static const char *const names[] = {"pending", "skipped", "success", "failure",
					    "cancelled", "refused"};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static size_t pipeline_index(const struct ir_doc *d, const char *name)
{
	for (size_t i = 0; i < d->npipelines; i++)
		if (d->pipelines[i].name && strcmp(d->pipelines[i].name, name) == 0)
			return i;
	return d->npipelines;
}

/* Why pipeline `i` must not run, given the pipelines before it; or NULL. */
static const char *pipeline_gate(struct run *run, const struct ir_doc *d, size_t i)
{
	const struct ir_pipeline *p = &d->pipelines[i];
	bool failed = false;
	for (size_t k = 0; k < p->depends_on.n; k++) {
		size_t j = pipeline_index(d, p->depends_on.v[k]);
		if (j < d->npipelines && run->pruns[j].rep->status != RT_SUCCESS &&
		    run->pruns[j].rep->status != RT_SKIPPED)
			failed = true;
	}
	switch (p->run_policy) {
	case IR_RUN_NEVER: return "run policy is never";
	case IR_RUN_ON_SUCCESS: return failed ? "a pipeline it depends on failed" : NULL;
	case IR_RUN_ON_FAILURE: return failed ? NULL : "no pipeline it depends on failed";
	case IR_RUN_ALWAYS: return NULL;
	}
	return NULL;
}

static void skip_pipeline(struct prun *r, enum rt_status st, const char *why)
{
	r->rep->status = st;
	for (size_t i = 0; i < r->n; i++) {
		r->rep->steps[i].status = st;
		r->rep->steps[i].reason = why;
	}
}

static enum rt_status run_all(struct run *run, const struct ir_doc *d, struct rt_report *out)
{
	enum rt_status st = RT_SUCCESS;
	for (size_t k = 0; k < d->npipelines; k++) {
		struct prun *r = &run->pruns[k];
		const char *why = pipeline_gate(run, d, k);
		if (st == RT_CANCELLED)
			skip_pipeline(r, RT_CANCELLED, "the run was interrupted");
		else if (why)
			skip_pipeline(r, RT_SKIPPED, why);
		else
			rt_pipeline_run(r);
		if (r->rep->status == RT_CANCELLED)
			st = RT_CANCELLED;
		else if (r->rep->status == RT_FAILURE && st == RT_SUCCESS)
			st = RT_FAILURE;
	}
	out->status = st;
	return st;
}

static void make_run_id(char *id)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
		     ((uint64_t)getpid() << 16);
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	snprintf(id, 17, "%016llx", (unsigned long long)x);
}

static void run_init(struct run *run, const struct ir_doc *d, struct rt_backend *b,
		     const struct rt_options *opt, struct rt_report *out, struct diag_list *dl)
{
	memset(run, 0, sizeof *run);
	run->opt = opt;
	run->b = b;
	run->a = ir_arena_new();
	run->dl = dl;
	run->grace = opt->grace_ms > 0 ? opt->grace_ms : DEFAULT_GRACE_MS;
	rt_mask_init(&run->own_mask);
	run->mask = opt->mask ? opt->mask : &run->own_mask;
	run->sink = (struct rt_log_sink){.out = opt->out ? opt->out : stdout,
					 .timestamps = opt->timestamps, .mask = run->mask};
	memset(out, 0, sizeof *out);
	out->backend = b->ops->name;
	make_run_id(out->run_id);
	run->info = (struct rt_run_info){.run_id = out->run_id, .workspace_dir = opt->workspace_dir,
					 .artifacts_dir = opt->artifacts_dir, .interrupts = opt->interrupts};
	out->npipelines = d->npipelines;
	out->pipelines = calloc(d->npipelines + 1, sizeof *out->pipelines);
	run->pruns = ir_calloc(run->a, d->npipelines + 1, sizeof *run->pruns);
	if (!out->pipelines)
		abort();
	for (size_t i = 0; opt->secrets && i < opt->secrets->n; i++)
		rt_mask_secret(run, opt->secrets->v[i].key, opt->secrets->v[i].value,
			       (struct ir_pos){.file = "--secret"});
}

/* Diagnostics reach the terminal and the report: hide secrets there too. */
static void mask_diags(struct run *run, size_t from)
{
	for (size_t i = from; run->mask->n && i < run->dl->len; i++) {
		struct diag *d = &run->dl->items[i];
		char *m = rt_mask_dup(run->mask, d->message);
		free(d->message);
		d->message = m;
	}
}

/* The backend refuses what it cannot run before anything starts; all reported. */
static bool refused(struct run *run, const struct ir_doc *d)
{
	int (*check)(void *, const struct ir_pipeline *, struct diag_list *) = run->b->ops->check;
	bool no = false;
	for (size_t i = 0; check && i < d->npipelines; i++) {
		const struct ir_pipeline *p = &d->pipelines[i];
		if (!p->skip && p->run_policy != IR_RUN_NEVER && check(run->b->ctx, p, run->dl) < 0)
			no = true;
	}
	return no;
}

enum rt_status rt_run(const struct ir_doc *doc, struct rt_backend *b,
		      const struct rt_options *opt, struct rt_report *out,
		      struct diag_list *dl)
{
	struct run run;
	size_t errors = dl->nerrors, first = dl->len;
	run_init(&run, doc, b, opt, out, dl);
	for (size_t i = 0; i < doc->npipelines; i++)
		rt_pipeline_init(&run, &run.pruns[i], &doc->pipelines[i], &out->pipelines[i]);
	enum rt_status st = RT_PENDING;
	out->started_ms = rt_wall_ms();
	if (!doc->normalized)
		diag_error(dl, (struct ir_pos){0}, "not-normalized",
			   "the document was not normalized; the runtime runs only what val_normalize() made");
	if (dl->nerrors == errors && refused(&run, doc))
		st = out->status = RT_REFUSED;
	else if (dl->nerrors == errors)
		st = run_all(&run, doc, out);
	out->finished_ms = rt_wall_ms();
	mask_diags(&run, first);
	rt_log_sink_release(&run.sink);
	rt_mask_release(&run.own_mask);
	ir_arena_free(run.a);
	return st;
}
