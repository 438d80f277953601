/*
 * watch.c - reading what the API server says about Pods.
 *
 * A watch stream is one JSON event per line; kube_lines_feed() keeps only
 * the unfinished line across calls, capped at KUBE_MAX_EVENT (a longer
 * one is dropped whole, and the watch then re-lists).  The Pod readers
 * below turn a Pod's status into what the runtime needs: a container's
 * state and exit code, and the reasons a Pod will never run, in
 * Kubernetes' own words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-kube/internal.h"

static void keep(struct kube_lines *l, const char *data, size_t len)
{
	if (l->overflow || l->len + len > KUBE_MAX_EVENT) {
		l->overflow = true;
		return;
	}
	if (l->len + len + 1 > l->cap) {
		l->cap = (l->len + len + 1) * 2;
		if (!(l->p = realloc(l->p, l->cap)))
			abort();
	}
	memcpy(l->p + l->len, data, len);
	l->len += len;
	l->p[l->len] = 0;
}

void kube_lines_feed(struct kube_lines *l, const char *data, size_t len, kube_line_fn *fn, void *arg)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		if (!nl) {
			keep(l, data, len);
			return;
		}
		size_t n = (size_t)(nl - data);
		if (l->len || l->overflow) {
			keep(l, data, n);
			if (!l->overflow)
				fn(arg, l->p, l->len);
			l->len = 0;
			l->overflow = false;
		} else if (n) {
			fn(arg, data, n);
		}
		data += n + 1, len -= n + 1;
	}
}

void kube_lines_release(struct kube_lines *l)
{
	free(l->p);
	memset(l, 0, sizeof *l);
}

/* ---- Pods ------------------------------------------------------------------------ */

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *get_str(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *status_of(const cJSON *pod, const char *container)
{
	static const char *const lists[] = {"containerStatuses", "initContainerStatuses"};
	const cJSON *st = get(pod, "status"), *c;
	for (size_t i = 0; i < 2; i++)
		cJSON_ArrayForEach(c, get(st, lists[i])) {
			const char *name = get_str(c, "name");
			if (name && strcmp(name, container) == 0)
				return c;
		}
	return NULL;
}

void kube_container_state(const cJSON *pod, const char *name, struct kube_container_state *st)
{
	memset(st, 0, sizeof *st);
	const cJSON *cs = status_of(pod, name);
	const cJSON *state = get(cs, "state");
	st->ready = cJSON_IsTrue(get(cs, "ready"));
	const cJSON *t = get(state, "terminated"), *w = get(state, "waiting");
	if (t) {
		const cJSON *code = get(t, "exitCode");
		st->terminated = true;
		st->exit_code = cJSON_IsNumber(code) ? code->valueint : -1;
		st->reason = get_str(t, "reason");
		st->message = get_str(t, "message");
	} else if (get(state, "running")) {
		st->running = true;
	} else if (w) {
		st->reason = get_str(w, "reason");
		st->message = get_str(w, "message");
	}
}

static const cJSON *condition(const cJSON *pod, const char *type)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, get(get(pod, "status"), "conditions")) {
		const char *t = get_str(c, "type");
		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

bool kube_pod_ended(const cJSON *pod)
{
	const char *phase = get_str(get(pod, "status"), "phase");
	if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
		return true;
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, get(get(pod, "spec"), "containers")) {
		const char *name = get_str(c, "name");
		struct kube_container_state st;
		kube_container_state(pod, name ? name : "", &st);
		if (!st.terminated)
			return false;
		n++;
	}
	return n > 0;
}

static const char *say(char *buf, size_t size, const char *reason, const char *message)
{
	snprintf(buf, size, "%s%s%s", reason, message && *message ? ": " : "", message ? message : "");
	return buf;
}

const char *kube_pod_failure(const cJSON *pod, const char *container, char *buf, size_t size,
			     const char **rule)
{
	struct kube_container_state st;
	kube_container_state(pod, container, &st);
	*rule = NULL;
	if (!st.running && !st.terminated && st.reason &&
	    (!strcmp(st.reason, "ImagePullBackOff") || !strcmp(st.reason, "ErrImagePull") ||
	     !strcmp(st.reason, "InvalidImageName") || !strcmp(st.reason, "ErrImageNeverPull"))) {
		*rule = "image-pull-failed";
		return say(buf, size, st.reason, st.message);
	}
	if (!st.running && !st.terminated && st.reason &&
	    (!strcmp(st.reason, "CreateContainerConfigError") || !strcmp(st.reason, "CreateContainerError"))) {
		return say(buf, size, st.reason, st.message);
	}
	if (st.terminated && st.reason && (!strcmp(st.reason, "StartError") || !strcmp(st.reason, "ContainerCannotRun"))) {
		return say(buf, size, st.reason, st.message);
	}
	const cJSON *sched = condition(pod, "PodScheduled");
	const char *why = get_str(sched, "reason");
	if (why && strcmp(why, "Unschedulable") == 0) {
		*rule = "kube-unschedulable";
		return say(buf, size, why, get_str(sched, "message"));
	}
	const char *phase = get_str(get(pod, "status"), "phase");
	const char *preason = get_str(get(pod, "status"), "reason");
	bool evicted = preason && !strcmp(preason, "Evicted");
	if (phase && !strcmp(phase, "Failed") && preason && (evicted || !st.terminated)) {
		*rule = evicted ? "kube-evicted" : NULL;
		return say(buf, size, preason, get_str(get(pod, "status"), "message"));
	}
	return NULL;
}
