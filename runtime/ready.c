/*
 * ready.c - when a service is ready: decided here, for every backend.
 *
 * A service with a health check (a command or a port) is waiting from
 * the moment it starts until a probe says it is ready.  The backend
 * probes once when asked (its `probe`); this file decides when to ask,
 * how many failed tries make it unready, and how long the wait may take
 * in all (rt_options.service_timeout).  The scheduler's loop calls
 * rt_ready_watch() between its polls, so the wait never blocks the loop:
 * output keeps streaming, an interrupt is seen within one poll, and no
 * step starts while a service it follows is not ready.
 *
 * A service is unready, an error at its position [service-not-ready],
 * when the engine's own check gave up (Docker's `unhealthy`, with the
 * check's last output), when `retries` tries failed, when it ended
 * before it was ready, or when the service timeout passed.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/internal.h"

#define READY_INTERVAL_MS 500       /* between probes when the IR leaves it open */
#define READY_PROBE_MS 5000         /* one probe, when the IR leaves it open */
#define READY_TIMEOUT_S 60          /* the whole wait, without --service-timeout */

static bool has_check(const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	return ex->health && (ex->health->command.n || ex->health->port > 0);
}

static int timeout_s(const struct run *run)
{
	return run->opt->service_timeout > 0 ? run->opt->service_timeout : READY_TIMEOUT_S;
}

void rt_ready_begin(struct run *run, struct rt_ready *rd, const struct ir_step *s)
{
	memset(rd, 0, sizeof *rd);
	if (!has_check(s) || !run->b->ops->probe) {
		rd->state = READY_OK;
		return;
	}
	int64_t now = rt_now_ms();
	rd->state = READY_WAIT;
	rd->deadline = now + (int64_t)timeout_s(run) * 1000;
	rd->next = now;
}

static void unready(struct run *run, struct rt_ready *rd, const struct ir_step *s,
		    const char *what)
{
	rd->state = READY_FAILED;
	diag_error(run->dl, s->pos, "service-not-ready", "service '%s' %s%s%s", s->name, what,
		   rd->why[0] ? ": " : "", rd->why);
}

void rt_ready_ended(struct run *run, struct rt_ready *rd, const struct ir_step *s)
{
	if (rd->state == READY_WAIT)
		unready(run, rd, s, "ended before it was ready");
}

/* How long one probe may take: the IR's, never past the deadline. */
static int probe_ms(const struct rt_ready *rd, const struct ir_health *h, int64_t now)
{
	int64_t ms = h->timeout_ms > 0 ? h->timeout_ms : READY_PROBE_MS;
	if (rd->deadline - now < ms)
		ms = rd->deadline - now;
	return ms > 0 ? (int)ms : 1;
}

void rt_ready_watch(struct run *run, struct rt_ready *rd, struct rt_job *job)
{
	const struct ir_step *s = job->step;
	const struct ir_health *h = ir_step_extra(s)->health;
	int64_t now = rt_now_ms();
	if (rd->state != READY_WAIT || now < rd->next)
		return;
	enum rt_probe got = run->b->ops->probe(run->b->ctx, job, probe_ms(rd, h, now), rd->why,
					       sizeof rd->why);
	rd->tries += got == RT_PROBE_FAILED;
	now = rt_now_ms();
	rd->next = now + (h->interval_ms > 0 ? h->interval_ms : READY_INTERVAL_MS);
	char what[64];
	if (got == RT_PROBE_READY) {
		rd->state = READY_OK;
	} else if (got == RT_PROBE_UNHEALTHY) {
		unready(run, rd, s, "is unhealthy");
	} else if (h->retries > 0 && rd->tries >= h->retries) {
		snprintf(what, sizeof what, "is not ready after %d tries", rd->tries);
		unready(run, rd, s, what);
	} else if (now >= rd->deadline) {
		snprintf(what, sizeof what, "was not ready after %d s", timeout_s(run));
		unready(run, rd, s, what);
	}
}

int64_t rt_ready_next(const struct rt_ready *rd)
{
	return rd->state == READY_WAIT ? (rd->next < rd->deadline ? rd->next : rd->deadline) : 0;
}
