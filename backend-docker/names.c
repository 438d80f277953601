/*
 * names.c - resource names, labels and the buffer every file uses.
 *
 * Names are `pipec-<run>-<a>-<b>` with everything outside Docker's
 * [a-zA-Z0-9_.-] turned into '-', so they are valid and unique per run
 * (the run id is); the labels carry the unmangled values for prune and
 * for people.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend-docker/internal.h"

void docker_buf_init(struct docker_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void docker_buf_release(struct docker_buf *b)
{
	free(b->p);
	docker_buf_init(b, b->max);
}

void docker_buf_put(struct docker_buf *b, const void *data, size_t len)
{
	if (len > b->max - b->len) {
		len = b->max - b->len;
		b->overflow = true;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->overflow = true;
			return;
		}
		b->p = p, b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = 0;
}

static void mangle(char *s)
{
	for (; *s; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!ok)
			*s = '-';
	}
}

char *docker_name(const char *run, const char *a, const char *b)
{
	size_t n = strlen(run) + (a ? strlen(a) : 0) + (b ? strlen(b) : 0) + 16;
	char *s = malloc(n);
	if (!s)
		return NULL;
	snprintf(s, n, "pipec-%s%s%s%s%s", run, a ? "-" : "", a ? a : "", b ? "-" : "", b ? b : "");
	mangle(s);
	return s;
}

cJSON *docker_labels(const char *run, const char *pipeline, const char *step)
{
	cJSON *l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "pipec.run", run);
	if (pipeline)
		cJSON_AddStringToObject(l, "pipec.pipeline", pipeline);
	if (step)
		cJSON_AddStringToObject(l, "pipec.step", step);
	cJSON_AddStringToObject(l, "pipec.owner", docker_owner());
	return l;
}

cJSON *docker_endpoint(const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *ep = cJSON_CreateObject();
	cJSON *al = cJSON_AddArrayToObject(ep, "Aliases");
	cJSON_AddItemToArray(al, cJSON_CreateString(s->name));
	for (size_t i = 0; i < ex->aliases.n; i++)
		cJSON_AddItemToArray(al, cJSON_CreateString(ex->aliases.v[i]));
	return ep;
}

const char *docker_owner(void)
{
	static char owner[300];
	if (!owner[0]) {
		char host[256] = "localhost";
		gethostname(host, sizeof host - 1);
		host[sizeof host - 1] = 0;
		snprintf(owner, sizeof owner, "%s:%ld", host, (long)getpid());
	}
	return owner;
}
