/*
 * pull.c - POST /images/create with credentials and progress.
 *
 * The engine answers a pull with 200 and then streams JSON objects, one
 * per line; a failure that happens after the first byte (a denied layer,
 * a missing tag) arrives as an `error` object in that stream, so the
 * stream is read to its end and every line parsed.  Progress goes to
 * opt->progress: on a terminal a bar per layer, redrawn in place,
 * otherwise one line when a pull starts and one when it ends.
 */
#include <stdlib.h>
#include <string.h>

#include "backend-docker/internal.h"

/* ---- credentials ---------------------------------------------------------- */

static char *read_small(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct docker_buf b;
	docker_buf_init(&b, DOCKER_MAX_CONFIG);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		docker_buf_put(&b, chunk, n);
	fclose(f);
	return b.p;
}

static bool cut_short(void *c) { return docker_client_cut_short(c); }

/* 1 with `cred` filled when `json` (a config.json) knows the registry. */
static int lookup_config(const struct docker_client *c, const char *json, const struct ir_image_ref *ref,
			 struct docker_cred *cred)
{
	char helper[128];
	int found = docker_auth_lookup(json, ref->domain, cred, helper, sizeof helper);
	if (found == 0 && helper[0])
		found = docker_auth_helper(helper, docker_ref_auth_key(ref), cut_short,
					   (void *)c, cred) == 1;
	return found == 1;
}

static char *user_config(const struct rt_backend_options *opt)
{
	char path[1100];
	const char *dir = opt->config_dir ? opt->config_dir : getenv("DOCKER_CONFIG");
	if (dir && *dir)
		snprintf(path, sizeof path, "%s/config.json", dir);
	else
		snprintf(path, sizeof path, "%s/.docker/config.json", getenv("HOME") ? getenv("HOME") : "");
	return read_small(path);
}

char *docker_pull_auth(const struct docker_client *c, const struct rt_backend_options *opt,
		       const struct ir_env *pull_secrets, const struct ir_image_ref *ref)
{
	struct docker_cred cred;
	int found = 0;
	for (size_t i = 0; pull_secrets && i < pull_secrets->n && !found; i++)
		found = lookup_config(c, pull_secrets->v[i].value, ref, &cred);
	if (!found) {
		char *json = user_config(opt);
		found = json && lookup_config(c, json, ref, &cred);
		free(json);
	}
	if (!found)
		return NULL;
	char *h = docker_auth_header(&cred);
	docker_cred_release(&cred);
	return h;
}

/* ---- the progress stream ---------------------------------------------------- */

void docker_progress_init(struct docker_progress *s, FILE *out, bool tty, const char *image)
{
	memset(s, 0, sizeof *s);
	s->out = out;
	s->tty = tty;
	s->image = image;
	docker_buf_init(&s->line, DOCKER_MAX_PROGRESS_LINE + 1);
}

void docker_progress_release(struct docker_progress *s)
{
	docker_buf_release(&s->line);
}

static struct docker_layer *layer_of(struct docker_progress *s, const char *id)
{
	for (int i = 0; i < s->nlayers; i++)
		if (strcmp(s->layers[i].id, id) == 0)
			return &s->layers[i];
	if (s->nlayers == DOCKER_PULL_MAX_LAYERS)
		return &s->layers[DOCKER_PULL_MAX_LAYERS - 1];
	struct docker_layer *l = &s->layers[s->nlayers++];
	snprintf(l->id, sizeof l->id, "%.12s", id);
	return l;
}

/* How much of a bar `width` wide is done: 0 to width, whatever the engine sent. */
static int bar_fill(const struct docker_layer *l, int width)
{
	double f = l->total > 0 ? l->cur / l->total : 0;
	if (!(f > 0))               /* negative, or NaN */
		return 0;
	return f >= 1 ? width : (int)(width * f);
}

/* Redraws one bar per layer in place: up to the first bar, then each line. */
static void draw(struct docker_progress *s)
{
	FILE *out = s->out;
	if (s->drawn)
		fprintf(out, "\033[%dA", s->drawn);
	for (int i = 0; i < s->nlayers; i++) {
		const struct docker_layer *l = &s->layers[i];
		int width = 30, fill = bar_fill(l, width);
		fprintf(out, "\r\033[K%s %s: %-22s [%.*s%*s]\n", s->image, l->id, l->status, fill,
			"==============================", width - fill, "");
	}
	s->drawn = s->nlayers;
	fflush(out);
}

static void show_layer(struct docker_progress *s, const cJSON *o)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
	const cJSON *pd = cJSON_GetObjectItemCaseSensitive(o, "progressDetail");
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(pd, "current");
	const cJSON *tot = cJSON_GetObjectItemCaseSensitive(pd, "total");
	if (!cJSON_IsString(id) || !cJSON_IsString(st) || strncmp(st->valuestring, "Pulling from", 12) == 0)
		return;                 /* the tag's own line ("1: Pulling from ...") is no layer */
	struct docker_layer *l = layer_of(s, id->valuestring);
	snprintf(l->status, sizeof l->status, "%s", st->valuestring);
	if (cJSON_IsNumber(cur) && cJSON_IsNumber(tot))
		l->cur = cur->valuedouble, l->total = tot->valuedouble;
	else if (strstr(st->valuestring, "complete") || strstr(st->valuestring, "exists"))
		l->cur = l->total = 1;
	draw(s);
}

static void on_line(struct docker_progress *s, const char *text)
{
	cJSON *o = cJSON_Parse(text);
	if (!o)
		return;
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
	if (cJSON_IsString(err) && !s->error[0])
		snprintf(s->error, sizeof s->error, "%s", err->valuestring);
	if (cJSON_IsString(st) && strncmp(st->valuestring, "Digest: ", 8) == 0)
		snprintf(s->digest, sizeof s->digest, "%s", st->valuestring + 8);
	if (s->out && s->tty)
		show_layer(s, o);
	cJSON_Delete(o);
}

void docker_progress_feed(struct docker_progress *s, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (s->line.len < DOCKER_MAX_PROGRESS_LINE)
				docker_buf_put(&s->line, data + i, 1);
			continue;
		}
		if (s->line.len)
			on_line(s, s->line.p);
		s->line.len = 0;
	}
}

void docker_progress_end(struct docker_progress *s)
{
	if (s->line.len)
		on_line(s, s->line.p);
	s->line.len = 0;
}

static void on_data(void *arg, const char *data, size_t len)
{
	docker_progress_feed(arg, data, len);
}

static struct docker_req *pull_request(struct docker_client *c,
				       const struct rt_backend_options *opt,
				       const struct ir_env *pull_secrets, const struct ir_image_ref *ref)
{
	char from[sizeof ref->domain + sizeof ref->path + 2];
	snprintf(from, sizeof from, "%s/%s", ref->domain, ref->path);
	char *ef = docker_escape(from), *et = docker_escape(ref->digest[0] ? ref->digest : ref->tag);
	size_t n = strlen(ef) + strlen(et) + 64;
	char *path = malloc(n);
	if (!path)
		abort();
	snprintf(path, n, "/images/create?fromImage=%s&tag=%s", ef, et);
	struct docker_req *r = docker_req_new(c, "POST", path);
	free(ef), free(et), free(path);
	char *auth = docker_pull_auth(c, opt, pull_secrets, ref);
	if (auth) {
		n = strlen(auth) + 32;
		char *h = malloc(n);
		if (!h)
			abort();
		snprintf(h, n, "X-Registry-Auth: %s", auth);
		docker_req_header(r, h);
		free(h);
		free(auth);
	}
	return r;
}

int docker_pull(struct docker_client *c, const struct rt_backend_options *opt,
		const struct ir_env *pull_secrets, const char *image, char *err, size_t errsize)
{
	struct ir_image_ref ref;
	const char *why;
	if (ir_image_ref_parse(&ref, image, &why) < 0) {
		snprintf(err, errsize, "%s", why);
		return -1;
	}
	struct docker_progress s;
	docker_progress_init(&s, opt->progress, opt->progress_tty, image);
	struct docker_req *r = pull_request(c, opt, pull_secrets, &ref);
	docker_req_stream(r, on_data, &s);
	if (opt->progress && !opt->progress_tty)
		fprintf(opt->progress, "pulling image %s\n", image);
	long st = docker_req_call(r);
	docker_progress_end(&s);
	int rc = 0;
	if (st / 100 != 2) {
		snprintf(err, errsize, "%s", docker_req_error(r));
		rc = -1;
	} else if (s.error[0]) {
		snprintf(err, errsize, "%s", s.error);
		rc = -1;
	} else if (opt->progress) {
		fprintf(opt->progress, "pulled image %s%s%s\n", image, s.digest[0] ? " " : "", s.digest);
	}
	docker_req_free(r);
	docker_progress_release(&s);
	return rc;
}
