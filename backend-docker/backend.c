/*
 * backend.c - the Docker backend's rt_backend_ops.
 *
 * prepare() makes the pipeline's network and volumes.  start() pulls
 * when the policy says so, creates the container, copies files in,
 * starts it and opens its follow-mode log stream on the shared multi
 * handle.  poll() drives every transfer at once; a log stream that ends
 * means the container stopped, so the job is then finished: wait, inspect
 * (exit code, OOM), exports copied out, container removed, exit
 * reported.  teardown() removes whatever carries this run's and
 * pipeline's labels, found by the engine's label filter, so a container
 * created an instant before an error or interrupt is not missed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "backend-docker/internal.h"

static struct docker_ctx *ctx_of(void *p) { return p; }

/* ---- prepare and teardown ----------------------------------------------------- */

static int create_network(struct docker_ctx *x, const char *name, const char *driver, struct diag_list *dl)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "Name", name);
	cJSON_AddStringToObject(b, "Driver", driver ? driver : "bridge");
	cJSON_AddBoolToObject(b, "CheckDuplicate", true);
	cJSON_AddItemToObject(b, "Labels", docker_labels(x->run, x->p->name, NULL));
	char err[512];
	long st = docker_call(x->c, DOCKER_T_CREATE, "POST", "/networks/create", b, NULL, err, sizeof err);
	cJSON_Delete(b);
	if (st / 100 == 2)
		return 0;
	return diag_error(dl, x->p->pos, docker_client_rule(x->c, "docker-error"),
			  "cannot create network '%s': %s", name, err);
}

static int create_volume(struct docker_ctx *x, const char *name, struct diag_list *dl)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "Name", name);
	cJSON_AddItemToObject(b, "Labels", docker_labels(x->run, x->p->name, NULL));
	char err[512];
	long st = docker_call(x->c, DOCKER_T_CREATE, "POST", "/volumes/create", b, NULL, err, sizeof err);
	cJSON_Delete(b);
	if (st / 100 == 2)
		return 0;
	return diag_error(dl, x->p->pos, docker_client_rule(x->c, "docker-error"),
			  "cannot create volume '%s': %s", name, err);
}

static void forget_run(struct docker_ctx *x)
{
	for (struct docker_job *j = x->jobs, *n; j; j = n) {
		n = j->next;
		docker_req_free(j->logs);
		free(j->name);
		free(j->digest);
		free(j->engine_error);
		free(j);
	}
	x->jobs = NULL;
	for (struct docker_artifact *a = x->artifacts, *n; a; a = n) {
		n = a->next;
		free(a->name);
		docker_buf_release(&a->tar);
		free(a);
	}
	x->artifacts = NULL;
	for (struct docker_image *m = x->images, *n; m; m = n) {
		n = m->next;
		free(m->name), free(m->digest), free(m);
	}
	x->images = NULL;
	for (size_t i = 0; x->p && x->volumes && i < x->p->nvolumes; i++)
		free(x->volumes[i]);
	for (size_t i = 0; x->p && x->networks && i < x->p->nnetworks; i++)
		free(x->networks[i]);
	free(x->volumes), free(x->networks), free(x->network), free(x->workspace);
	free(x->artifacts_dir), free(x->host_workspace);
	x->host_workspace = NULL;
	x->volumes = x->networks = NULL;
	x->network = x->workspace = x->artifacts_dir = NULL;
	x->p = NULL;
}

static int prepare(void *ctx, const struct rt_run_info *run, const struct ir_pipeline *p,
		   struct diag_list *dl)
{
	struct docker_ctx *x = ctx_of(ctx);
	forget_run(x);
	x->interrupts = run->interrupts;
	docker_client_interrupts(x->c, x->interrupts, 0);
	snprintf(x->run, sizeof x->run, "%s", run->run_id);
	x->p = p;
	x->artifacts_dir = run->artifacts_dir ? strdup(run->artifacts_dir) : NULL;
	x->network = docker_name(x->run, p->name, NULL);
	x->volumes = calloc(p->nvolumes + 1, sizeof *x->volumes);
	x->networks = calloc(p->nnetworks + 1, sizeof *x->networks);
	if (create_network(x, x->network, NULL, dl) < 0)
		return -1;
	for (size_t i = 0; i < p->nnetworks; i++) {
		x->networks[i] = docker_name(x->run, p->name, p->networks[i].name);
		if (create_network(x, x->networks[i], p->networks[i].driver, dl) < 0)
			return -1;
	}
	if (run->workspace_dir) {
		x->host_workspace = realpath(run->workspace_dir, NULL);
		if (!x->host_workspace)
			return diag_error(dl, p->pos, "io-error", "cannot use the workspace %s: %s",
					  run->workspace_dir, strerror(errno));
	} else if (p->workspace.base) {
		x->workspace = docker_name(x->run, p->name, "workspace");
		if (create_volume(x, x->workspace, dl) < 0)
			return -1;
	}
	for (size_t i = 0; i < p->nvolumes; i++) {
		const struct ir_volume *v = &p->volumes[i];
		if (v->kind != IR_VOLUME_TEMP)
			continue;               /* host: a bind; memory: a tmpfs per step */
		char name[300];
		snprintf(name, sizeof name, "vol-%s", v->name);
		x->volumes[i] = docker_name(x->run, p->name, name);
		if (create_volume(x, x->volumes[i], dl) < 0)
			return -1;
	}
	return 0;
}

/* Lists `kind` ("containers", "networks", "volumes") carrying this pipeline's labels. */
static cJSON *list_labelled(struct docker_client *c, const char *kind, const char *run, const char *pipeline)
{
	cJSON *f = cJSON_CreateObject();
	cJSON *l = cJSON_AddArrayToObject(f, "label");
	char buf[1024];
	snprintf(buf, sizeof buf, "pipec.run=%s", run);
	cJSON_AddItemToArray(l, cJSON_CreateString(buf));
	if (pipeline) {
		snprintf(buf, sizeof buf, "pipec.pipeline=%s", pipeline);
		cJSON_AddItemToArray(l, cJSON_CreateString(buf));
	}
	char *fs = cJSON_PrintUnformatted(f);
	cJSON_Delete(f);
	char *ef = docker_escape(fs);
	free(fs);
	char path[2048];
	snprintf(path, sizeof path, "/%s%s?filters=%s", kind, strcmp(kind, "containers") == 0 ? "/json" : "", ef);
	if (strcmp(kind, "containers") == 0)
		strncat(path, "&all=1", sizeof path - strlen(path) - 1);
	free(ef);
	cJSON *out = NULL;
	docker_call(c, DOCKER_T_INSPECT, "GET", path, NULL, &out, NULL, 0);
	if (strcmp(kind, "volumes") == 0 && out) {
		cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(out, "Volumes");
		cJSON_Delete(out);
		out = v;
	}
	return out;
}

static void remove_listed(struct docker_client *c, const char *kind, cJSON *list)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, list) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, strcmp(kind, "volumes") == 0 ? "Name" : "Id");
		if (!cJSON_IsString(id))
			continue;
		char path[400];
		snprintf(path, sizeof path, "/%s/%s%s", kind, id->valuestring,
			 strcmp(kind, "containers") == 0 ? "?force=1&v=1" : strcmp(kind, "volumes") == 0 ? "?force=1" : "");
		docker_call(c, DOCKER_T_REMOVE, "DELETE", path, NULL, NULL, NULL, 0);
		if (docker_client_interrupted(c))
			return;
	}
}

static void remove_run(struct docker_client *c, const char *run, const char *pipeline)
{
	static const char *const kinds[] = {"containers", "networks", "volumes"};
	for (size_t k = 0; k < 3 && !docker_client_interrupted(c); k++) {
		cJSON *list = list_labelled(c, kinds[k], run, pipeline);
		remove_listed(c, kinds[k], list);
		cJSON_Delete(list);
	}
}

/* Appends ", KIND NAME" for each of `names` to `b`. */
static void list_names(struct docker_buf *b, const char *kind, char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			continue;
		const char *parts[] = {b->len ? ", " : "", kind, " ", names[i]};
		for (size_t k = 0; k < 4; k++)
			docker_buf_put(b, parts[k], strlen(parts[k]));
	}
}

/* What this pipeline made that the teardown could not remove, and how to. */
static int report_left(struct docker_ctx *x, struct diag_list *dl)
{
	struct docker_buf b;
	docker_buf_init(&b, 64u * 1024);
	for (struct docker_job *j = x->jobs; j; j = j->next)
		if (j->id[0] && !j->removed)
			list_names(&b, "container", &j->name, 1);
	list_names(&b, "network", &x->network, 1);
	list_names(&b, "network", x->networks, x->p->nnetworks);
	list_names(&b, "volume", &x->workspace, 1);
	list_names(&b, "volume", x->volumes, x->p->nvolumes);
	const char *why = docker_client_lost(x->c);
	diag_error(dl, x->p->pos, docker_client_rule(x->c, "docker-error"),
		   "%s; left on the engine: %s; remove them with 'pipec prune' once it answers",
		   why ? why : "the teardown was interrupted", b.len ? b.p : "nothing pipec knows of");
	docker_buf_release(&b);
	return -1;
}

/*
 * Removes what carries the pipeline's labels; only a second interrupt
 * cuts it short.  An engine that is gone or unresponsive cannot be asked:
 * what pipec knows it made is then reported, with `pipec prune`.
 */
static int teardown(void *ctx, struct diag_list *dl)
{
	struct docker_ctx *x = ctx_of(ctx);
	if (!x->p)
		return 0;
	for (struct docker_job *j = x->jobs; j; j = j->next) {
		docker_req_free(j->logs);
		j->logs = NULL;
	}
	docker_client_interrupts(x->c, x->interrupts, 1);
	if (docker_client_state(x->c) == DOCKER_ENGINE_OK)
		remove_run(x->c, x->run, x->p->name);
	int rc = 0;
	if (docker_client_state(x->c) != DOCKER_ENGINE_OK || docker_client_interrupted(x->c))
		rc = report_left(x, dl);
	docker_client_interrupts(x->c, x->interrupts, 0);
	forget_run(x);
	return rc;
}

/* ---- start -------------------------------------------------------------------- */

/*
 * Why a step could not start, named by the engine's state when that
 * explains it [docker-gone]; a call an interrupt cut short is no error
 * (the runtime cancels the step).  Returns -1.
 */
static int start_error(struct docker_ctx *x, struct diag_list *dl, struct ir_pos pos,
		       const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int start_error(struct docker_ctx *x, struct diag_list *dl, struct ir_pos pos,
		       const char *rule, const char *fmt, ...)
{
	if (docker_client_interrupted(x->c))
		return -1;
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(dl, DIAG_ERROR, pos, docker_client_rule(x->c, rule), fmt, ap);
	va_end(ap);
	return -1;
}

static bool image_exists(struct docker_ctx *x, const char *image, char **digest)
{
	char *e = docker_escape(image);
	char path[1200];
	snprintf(path, sizeof path, "/images/%s/json", e);
	free(e);
	cJSON *o = NULL;
	long st = docker_call(x->c, DOCKER_T_INSPECT, "GET", path, NULL, &o, NULL, 0);
	if (digest && o) {
		const cJSON *rd = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "RepoDigests"), 0);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "Id");
		const cJSON *use = cJSON_IsString(rd) ? rd : id;
		if (cJSON_IsString(use)) {
			const char *at = strchr(use->valuestring, '@');
			*digest = strdup(at ? at + 1 : use->valuestring);
		}
	}
	cJSON_Delete(o);
	return st == 200;
}

static struct docker_image *known_image(struct docker_ctx *x, const char *image)
{
	for (struct docker_image *m = x->images; m; m = m->next)
		if (strcmp(m->name, image) == 0)
			return m;
	return NULL;
}

/* Remembers `image` as ready for the rest of the pipeline, with its digest. */
static struct docker_image *remember_image(struct docker_ctx *x, const char *image)
{
	struct docker_image *m = calloc(1, sizeof *m);
	if (!m)
		abort();
	m->name = strdup(image);
	image_exists(x, image, &m->digest);
	m->next = x->images, x->images = m;
	return m;
}

/* Pulls when the policy wants it (once per pipeline, except `always`); a
 * failed refresh of a present image is only a warning. */
static int ensure_image(struct docker_ctx *x, struct docker_job *j, struct diag_list *dl)
{
	const struct ir_step *s = j->step;
	if (s->image && s->pull != IR_PULL_ALWAYS && known_image(x, s->image))
		return 0;
	struct ir_image_ref ref;
	if (!s->image)
		return diag_error(dl, s->pos, "docker-error", "step '%s' has no image", s->name);
	if (ir_image_check(s, &ref, dl) < 0)
		return -1;
	bool exists = image_exists(x, s->image, NULL);
	if (!docker_ref_pull_due(&ref, s->pull, exists)) {
		if (!exists)
			return diag_error(dl, s->pos, "image-pull-failed",
					  "image '%s' is not present and the pull policy is never", s->image);
		return 0;
	}
	char err[1024];
	if (docker_pull(x->c, &x->opt, &j->job->pull_secrets, s->image, err, sizeof err) == 0)
		return 0;
	if (exists && s->pull == IR_PULL_DEFAULT) {
		diag_warning(dl, s->pos, "image-pull-failed", "cannot refresh image '%s', using the local copy: %s",
			     s->image, err);
		return 0;
	}
	return start_error(x, dl, s->pos, "image-pull-failed", "cannot pull image '%s': %s",
			   s->image, err);
}

/* Stream 3 carries the engine's own error about a step; it is rare, so
 * its room is made only when it speaks rather than in every step. */
static void keep_engine_error(struct docker_job *j, const char *data, size_t len)
{
	if (!j->engine_error && !(j->engine_error = calloc(1, DOCKER_MAX_ENGINE_ERROR)))
		abort();
	size_t have = strlen(j->engine_error);
	size_t room = DOCKER_MAX_ENGINE_ERROR - have - 1;
	memcpy(j->engine_error + have, data, len < room ? len : room);
	j->engine_error[have + (len < room ? len : room)] = 0;
}

static void on_log(void *arg, int stream, const char *data, size_t len)
{
	struct docker_job *j = arg;
	if (!j->job)
		return;
	if (stream == 1 || stream == 2)
		j->seen += len;
	if (stream == 3) {
		keep_engine_error(j, data, len);
		stream = 2;
	}
	rt_job_output(j->job, stream == 2 ? 2 : 1, data, len);
}

static void on_log_bytes(void *arg, const char *data, size_t len)
{
	struct docker_job *j = arg;
	docker_demux_feed(&j->demux, data, len, on_log, j);
}

/* The stopped container's whole log, past what the follow stream gave. */
static void on_late_log(void *arg, int stream, const char *data, size_t len)
{
	struct docker_job *j = arg;
	size_t pass = j->skip < len ? (size_t)j->skip : len;
	j->skip -= pass;
	if (len > pass)
		on_log(j, stream, data + pass, len - pass);
}

static void on_late_bytes(void *arg, const char *data, size_t len)
{
	struct docker_job *j = arg;
	docker_demux_feed(&j->demux, data, len, on_late_log, j);
}

/*
 * The engine may end a follow-mode stream when the container stops,
 * before its last partial line has reached the log: once the container
 * has stopped, the log is read again to its end and what the stream did
 * not give is passed on.  Both come from the same log in the same order,
 * so counting the bytes already delivered is enough.
 */
static void read_to_end(struct docker_ctx *x, struct docker_job *j)
{
	char path[300];
	snprintf(path, sizeof path, "/containers/%s/logs?stdout=1&stderr=1", j->id);
	struct docker_req *r = docker_req_new(x->c, "GET", path);
	docker_req_timeout(r, DOCKER_T_ARCHIVE);
	docker_demux_init(&j->demux);
	j->skip = j->seen;
	docker_req_stream(r, on_late_bytes, j);
	docker_req_call(r);
	docker_req_free(r);
}

static int create_container(struct docker_ctx *x, struct docker_job *j, struct rt_job *job, struct diag_list *dl)
{
	cJSON *cfg = docker_container_config(x, j, &job->env);
	char path[600], err[1024];
	char *en = docker_escape(j->name);
	snprintf(path, sizeof path, "/containers/create?name=%s", en);
	free(en);
	cJSON *out = NULL;
	long st = docker_call(x->c, DOCKER_T_CREATE, "POST", path, cfg, &out, err, sizeof err);
	if (st == 404 && j->step->pull != IR_PULL_NEVER &&
	    docker_pull(x->c, &x->opt, &job->pull_secrets, j->step->image, err, sizeof err) == 0)
		st = docker_call(x->c, DOCKER_T_CREATE, "POST", path, cfg, &out, err, sizeof err);
	cJSON_Delete(cfg);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(out, "Id");
	if (st / 100 == 2 && cJSON_IsString(id))
		snprintf(j->id, sizeof j->id, "%s", id->valuestring);
	cJSON_Delete(out);
	if (!j->id[0])
		return start_error(x, dl, j->step->pos, st == 404 ? "image-pull-failed" : "docker-error",
				   "cannot create the container of step '%s': %s", j->step->name, err);
	return 0;
}

static int connect_networks(struct docker_ctx *x, struct docker_job *j, struct diag_list *dl)
{
	const struct ir_step *s = j->step;
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->networks.n && !ex->network_mode; i++) {
		const char *net = NULL;
		for (size_t k = 0; k < x->p->nnetworks; k++)
			if (strcmp(x->p->networks[k].name, ex->networks.v[i]) == 0)
				net = x->networks[k];
		if (!net)
			net = ex->networks.v[i];     /* an existing network on the engine */
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "Container", j->id);
		cJSON_AddItemToObject(b, "EndpointConfig", docker_endpoint(s));
		char path[600], err[512];
		char *en = docker_escape(net);
		snprintf(path, sizeof path, "/networks/%s/connect", en);
		free(en);
		long st = docker_call(x->c, DOCKER_T_CREATE, "POST", path, b, NULL, err, sizeof err);
		cJSON_Delete(b);
		if (st / 100 != 2)
			return start_error(x, dl, s->pos, "docker-error",
					   "cannot connect step '%s' to network '%s': %s", s->name,
					   ex->networks.v[i], err);
	}
	return 0;
}

static int run_container(struct docker_ctx *x, struct docker_job *j, struct diag_list *dl)
{
	char err[1024], path[300];
	if (docker_container_upload(x, j, err, sizeof err) < 0)
		return start_error(x, dl, j->step->pos, "docker-error", "step '%s': %s", j->step->name,
				   err);
	if (connect_networks(x, j, dl) < 0)
		return -1;
	snprintf(path, sizeof path, "/containers/%s/start", j->id);
	if (docker_call(x->c, DOCKER_T_START, "POST", path, NULL, NULL, err, sizeof err) / 100 != 2)
		return start_error(x, dl, j->step->pos, "docker-error", "cannot start step '%s': %s",
				   j->step->name, err);
	snprintf(path, sizeof path, "/containers/%s/logs?follow=1&stdout=1&stderr=1", j->id);
	j->logs = docker_req_new(x->c, "GET", path);
	docker_req_stream(j->logs, on_log_bytes, j);
	docker_req_start(j->logs);
	return 0;
}

/* The image, the container, its files and networks, then its start. */
static int make_and_run(struct docker_ctx *x, struct docker_job *j, struct diag_list *dl)
{
	struct rt_job *job = j->job;
	if (ensure_image(x, j, dl) < 0 || create_container(x, j, job, dl) < 0)
		return -1;
	struct docker_image *m = known_image(x, job->step->image);
	if (!m || job->step->pull == IR_PULL_ALWAYS)
		m = remember_image(x, job->step->image);
	j->digest = m->digest ? strdup(m->digest) : NULL;
	job->image_digest = j->digest;
	return run_container(x, j, dl);
}

static int start(void *ctx, struct rt_job *job, struct diag_list *dl)
{
	struct docker_ctx *x = ctx_of(ctx);
	struct docker_job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	j->x = x, j->job = job, j->step = job->step;
	docker_demux_init(&j->demux);
	char idx[32];
	snprintf(idx, sizeof idx, "%zu", (size_t)(job->step - x->p->steps));
	j->name = docker_name(x->run, idx, job->step->name);
	j->next = x->jobs, x->jobs = j;
	job->backend_data = j;
	/* every call from the pull to the start ends at the step's deadline */
	docker_client_deadline(x->c, job->deadline_ms);
	int rc = make_and_run(x, j, dl);
	docker_client_deadline(x->c, 0);
	return rc;
}

/* ---- poll, stop ---------------------------------------------------------------- */

static void inspect_exit(struct docker_ctx *x, struct docker_job *j, struct rt_exit *e, char *err, size_t errsize)
{
	char path[300];
	snprintf(path, sizeof path, "/containers/%s/wait", j->id);
	if (docker_call(x->c, DOCKER_T_WAIT, "POST", path, NULL, NULL, err, errsize) / 100 != 2) {
		e->error = err;
		return;
	}
	snprintf(path, sizeof path, "/containers/%s/json", j->id);
	cJSON *o = NULL;
	if (docker_call(x->c, DOCKER_T_INSPECT, "GET", path, NULL, &o, err, errsize) / 100 != 2) {
		e->error = err;
		return;
	}
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "State");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(st, "ExitCode");
	e->code = cJSON_IsNumber(code) ? code->valueint : -1;
	e->oom_killed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "OOMKilled"));
	if (j->stopping && e->code > 128)
		e->signal = e->code - 128;
	cJSON_Delete(o);
}

static void finish(struct docker_ctx *x, struct docker_job *j)
{
	char err[1024] = "", xerr[1024];
	struct rt_exit e = {.code = -1};
	if (docker_client_lost(x->c)) {
		snprintf(err, sizeof err, "%s", docker_client_lost(x->c));
		e.error = err;
	} else if (docker_req_status(j->logs) / 100 != 2) {
		snprintf(err, sizeof err, "lost the log stream of step '%s': %s", j->step->name, docker_req_error(j->logs));
		e.error = err;
	} else {
		inspect_exit(x, j, &e, err, sizeof err);
		if (!e.error)
			read_to_end(x, j);
	}
	/* The stream has said all it will; its easy handle and buffers
	 * (some kilobytes) would otherwise stay until teardown, once per
	 * step, and a long pipeline's memory would grow with its length. */
	docker_req_free(j->logs);
	j->logs = NULL;
	if (j->engine_error && j->engine_error[0] && !e.error)
		e.error = j->engine_error;
	if (!e.error && docker_container_export(x, j, xerr, sizeof xerr) < 0)
		e.error = xerr;
	if (!j->step->detach && !docker_client_lost(x->c)) {
		char path[300];
		snprintf(path, sizeof path, "/containers/%s?force=1&v=1", j->id);
		j->removed = docker_call(x->c, DOCKER_T_REMOVE, "DELETE", path, NULL, NULL, NULL, 0) / 100 == 2;
	}
	struct rt_job *job = j->job;
	j->job = NULL;
	rt_job_exited(job, &e);
}

static bool any_ended(struct docker_ctx *x)
{
	for (struct docker_job *j = x->jobs; j; j = j->next)
		if (j->job && j->logs && docker_req_done(j->logs))
			return true;
	return false;
}

static int poll_jobs(void *ctx, int timeout_ms)
{
	struct docker_ctx *x = ctx_of(ctx);
	/* a stream may have ended during an earlier call: never wait then */
	if (docker_client_run(x->c, 0) < 0)
		return -1;
	if (!any_ended(x) && docker_client_run(x->c, timeout_ms) < 0)
		return -1;
	/* An engine that is gone or frozen ends no stream: end the steps here. */
	bool lost = docker_client_lost(x->c) != NULL;
	for (struct docker_job *j = x->jobs; j; j = j->next)
		if (j->job && j->logs && (lost || docker_req_done(j->logs)))
			finish(x, j);
	return 0;
}

static void stop(void *ctx, struct rt_job *job, bool hurry)
{
	struct docker_ctx *x = ctx_of(ctx);
	struct docker_job *j = job->backend_data;
	if (!j || !j->id[0])
		return;
	j->stopping = true;
	char path[300];
	snprintf(path, sizeof path, "/containers/%s/kill?signal=%s", j->id, hurry ? "SIGKILL" : "SIGTERM");
	docker_client_interrupts(x->c, x->interrupts, 1);    /* stopping is what the interrupt asked */
	docker_call(x->c, DOCKER_T_KILL, "POST", path, NULL, NULL, NULL, 0);
	docker_client_interrupts(x->c, x->interrupts, 0);
}

static void free_ctx(void *ctx)
{
	struct docker_ctx *x = ctx_of(ctx);
	forget_run(x);
	docker_client_free(x->c);
	free(x);
}

static const struct rt_backend_ops docker_ops = {
	.name = "docker",
	.prepare = prepare,
	.start = start,
	.poll = poll_jobs,
	.probe = docker_probe,
	.stop = stop,
	.teardown = teardown,
	.free = free_ctx,
};

int docker_backend_new(struct rt_backend *out, const struct rt_backend_options *opt,
		       struct diag_list *dl)
{
	struct rt_backend_options o = {0};
	if (opt)
		o = *opt;
	struct docker_client *c = docker_client_new(o.host, DOCKER_T_PING, dl);
	if (!c)
		return -1;
	struct docker_ctx *x = calloc(1, sizeof *x);
	if (!x)
		abort();
	x->opt = o;
	x->c = c;
	memset(out, 0, sizeof *out);
	out->ops = &docker_ops;
	out->ctx = x;
	return 0;
}

bool docker_engine_answers(const struct rt_backend_options *opt, int timeout_ms)
{
	struct diag_list dl;
	diag_list_init(&dl);
	struct docker_client *c = docker_client_new(opt ? opt->host : NULL, timeout_ms, &dl);
	bool ok = c != NULL;
	diag_list_release(&dl);
	docker_client_free(c);
	return ok;
}
