/*
 * report.c - the run record: freeing it and rendering it as JSON.
 *
 * The record mirrors the IR's shape (pipelines holding steps, same
 * order), so a consumer can match it to the IR by index or by name.
 * Times are RFC 3339 in UTC with milliseconds.  Secret values are hidden
 * in every string of it (an image name, an error may quote one).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/internal.h"

void rt_report_release(struct rt_report *r)
{
	for (size_t i = 0; i < r->npipelines; i++) {
		struct rt_pipeline_report *p = &r->pipelines[i];
		for (size_t k = 0; k < p->nsteps; k++) {
			free((char *)p->steps[k].exit.error);
			free(p->steps[k].image_digest);
		}
		free(p->steps);
	}
	free(r->pipelines);
	r->pipelines = NULL;
	r->npipelines = 0;
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
	if (!ms)
		return;
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char buf[96];
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	cJSON_AddStringToObject(o, key, buf);
}

static void add_span(cJSON *o, int64_t started, int64_t finished)
{
	add_time(o, "started", started);
	add_time(o, "finished", finished);
	if (started && finished)
		cJSON_AddNumberToObject(o, "duration_ms", (double)(finished - started));
}

static cJSON *step_json(const struct rt_step_report *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", s->step->name ? s->step->name : "");
	cJSON_AddStringToObject(o, "status", rt_status_name(s->status));
	if (s->reason)
		cJSON_AddStringToObject(o, "reason", s->reason);
	if (s->attempts) {
		if (s->exit.signal)
			cJSON_AddNumberToObject(o, "signal", s->exit.signal);
		else if (!s->exit.error)
			cJSON_AddNumberToObject(o, "exit_code", s->exit.code);
		cJSON_AddNumberToObject(o, "attempts", s->attempts);
	}
	if (s->exit.oom_killed)
		cJSON_AddBoolToObject(o, "oom_killed", true);
	if (s->exit.error)
		cJSON_AddStringToObject(o, "error", s->exit.error);
	if (s->ignored)
		cJSON_AddBoolToObject(o, "ignored", true);
	if (s->timed_out)
		cJSON_AddBoolToObject(o, "timed_out", true);
	if (s->step->detach)
		cJSON_AddBoolToObject(o, "service", true);
	if (s->step->image)
		cJSON_AddStringToObject(o, "image", s->step->image);
	if (s->image_digest)
		cJSON_AddStringToObject(o, "image_digest", s->image_digest);
	add_span(o, s->started_ms, s->finished_ms);
	return o;
}

static cJSON *pipeline_json(const struct rt_pipeline_report *p)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", p->pipeline->name ? p->pipeline->name : "");
	cJSON_AddStringToObject(o, "status", rt_status_name(p->status));
	if (p->early_exit)
		cJSON_AddBoolToObject(o, "early_exit", true);
	if (p->timed_out)
		cJSON_AddBoolToObject(o, "timed_out", true);
	add_span(o, p->started_ms, p->finished_ms);
	cJSON *steps = cJSON_AddArrayToObject(o, "steps");
	for (size_t i = 0; i < p->nsteps; i++)
		cJSON_AddItemToArray(steps, step_json(&p->steps[i]));
	return o;
}

/* Every string under `o` with the secret values hidden. */
static void hide(cJSON *o, struct rt_mask *m)
{
	for (cJSON *c = o->child, *next; c; c = next) {
		next = c->next;
		if (!cJSON_IsString(c)) {
			hide(c, m);
			continue;
		}
		char *h = rt_mask_dup(m, c->valuestring);
		cJSON_SetValuestring(c, h);     /* keeps the member's name */
		free(h);
	}
}

char *rt_report_json(const struct rt_report *r, struct rt_mask *mask)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "version", 1);
	cJSON_AddStringToObject(o, "run_id", r->run_id);
	cJSON_AddStringToObject(o, "backend", r->backend ? r->backend : "");
	cJSON_AddStringToObject(o, "status", rt_status_name(r->status));
	add_span(o, r->started_ms, r->finished_ms);
	cJSON *ps = cJSON_AddArrayToObject(o, "pipelines");
	for (size_t i = 0; i < r->npipelines; i++)
		cJSON_AddItemToArray(ps, pipeline_json(&r->pipelines[i]));
	if (mask && mask->n)
		hide(o, mask);
	char *s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}
