/*
 * backend.c - the Kubernetes backend's rt_backend_ops.
 *
 * prepare() makes the run's root ConfigMap (scripts and files), its
 * workspace claim and the Secret of its registry credentials, then lists the run's Pods once and opens one watch on
 * them (labelSelector pipec.run, resourceVersion from the list, bookmarks
 * on).  start() puts the step's secrets into the run's Secret, makes a
 * service's Service, waits for the services before a step, and creates
 * the step's Pod.  Everything after that arrives on the watch: a
 * container that runs gets its log stream (follow=true), one that ends
 * gives its exit code, and a Pod that can never run gives Kubernetes'
 * reason.  poll() drives the watch and every log stream at once; a step
 * is finished when its container has terminated and its log stream has
 * ended.  A watch that ends is reopened from the last resourceVersion; one
 * that answers 410 Gone is re-listed first.  Nothing is polled.
 * teardown() deletes the root with propagationPolicy Foreground, which
 * takes every object of the run with it, and waits for the Pods to go.
 *
 * With --kube-single-pod, prepare() also makes the run's Secret with
 * every value the pipeline asks for and the pipeline's one Pod; start()
 * only ties the job to its container there (reading the Pod's last state,
 * as the container may have ended already), every stop deletes the Pod,
 * and a sidecar ends when the runtime asks, with the Pod.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend-kube/internal.h"

static struct kube_ctx *ctx_of(void *p) { return p; }

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- logs ---------------------------------------------------------------------------- */

static void on_log(void *arg, const char *data, size_t len)
{
	struct kube_job *j = arg;
	if (j->job)
		rt_job_output(j->job, 1, data, len);    /* the API merges stdout and stderr */
}

static void open_logs(struct kube_ctx *x, struct kube_job *j)
{
	char path[800];
	kube_path(x->ns, "pods", j->pod, path, sizeof path);
	size_t n = strlen(path);
	snprintf(path + n, sizeof path - n, "/log?container=%s&follow=true", j->container);
	j->logs = kube_req_new(x->c, "GET", path);
	kube_req_stream(j->logs, on_log, j);
	kube_req_start(j->logs);
}

/* ---- the watch -------------------------------------------------------------------------- */

static void set_rv(struct kube_ctx *x, const cJSON *obj)
{
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
							   "resourceVersion");
	if (cJSON_IsString(rv))
		snprintf(x->rv, sizeof x->rv, "%s", rv->valuestring);
}

static void take_digest(struct kube_job *j, const cJSON *pod)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "status"),
							       "containerStatuses")) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "imageID");
		const char *at = cJSON_IsString(id) ? strchr(id->valuestring, '@') : NULL;
		if (at && j->job && !j->digest) {
			j->digest = strdup(at + 1);
			j->job->image_digest = j->digest;
		}
	}
}

static void job_event(struct kube_ctx *x, struct kube_job *j, const cJSON *pod, bool deleted)
{
	j->gone |= deleted;
	struct kube_container_state st;
	kube_container_state(pod, j->container, &st);
	/* opened by drive(): curl takes no new transfer inside its own callback */
	j->want_logs |= st.running || st.terminated;
	if (st.terminated && !j->terminated) {
		j->terminated = true;
		j->exit_code = st.exit_code;
		j->oom = st.reason && strcmp(st.reason, "OOMKilled") == 0;
	}
	j->ready = st.ready;
	take_digest(j, pod);
	char why[1024];
	if (!j->error && !j->stopping && kube_pod_failure(pod, j->container, why, sizeof why, &j->rule))
		j->error = strdup(why);
	/* One Pod for the pipeline: a step whose container has not run will
	 * not run once the Pod is over (an earlier container failed). */
	if (x->pod[0] && !j->step->detach && !st.running && !st.terminated && !j->error &&
	    !j->stopping && kube_pod_ended(pod))
		j->error = strdup("its container did not run: the Pod ended after an earlier step failed");
}

static void pod_event(struct kube_ctx *x, const cJSON *pod, bool deleted)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "name");
	if (!cJSON_IsString(name))
		return;
	if (x->pod[0] && strcmp(name->valuestring, x->pod) == 0) {
		cJSON_Delete(x->pod_state);
		x->pod_state = cJSON_Duplicate(pod, true);
		x->pod_gone |= deleted;
	}
	for (struct kube_job *j = x->jobs; j; j = j->next)
		if (strcmp(j->pod, name->valuestring) == 0)
			job_event(x, j, pod, deleted);
}

static void on_event(void *arg, const char *line, size_t len)
{
	struct kube_ctx *x = arg;
	cJSON *ev = cJSON_ParseWithLength(line, len);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	if (!cJSON_IsString(type) || !cJSON_IsObject(obj)) {
		x->relist = true;           /* a line lost to the ceiling, or garbage */
	} else if (strcmp(type->valuestring, "ERROR") == 0) {
		x->relist = true;           /* 410 Gone: the resourceVersion is too old */
	} else {
		set_rv(x, obj);
		if (strcmp(type->valuestring, "BOOKMARK") != 0)
			pod_event(x, obj, strcmp(type->valuestring, "DELETED") == 0);
	}
	cJSON_Delete(ev);
}

static void on_watch_bytes(void *arg, const char *data, size_t len)
{
	struct kube_ctx *x = arg;
	kube_lines_feed(&x->lines, data, len, on_event, x);
}

static void selector(const struct kube_ctx *x, char *out, size_t size)
{
	char sel[300];
	char pipe[KUBE_MAX_NAME + 1];
	kube_label_value(x->p->name, false, pipe, sizeof pipe);
	snprintf(sel, sizeof sel, "pipec.run=%s,pipec.pipeline=%s", x->run, pipe);
	char *e = kube_escape(sel);
	snprintf(out, size, "%s", e);
	free(e);
}

/* Lists the run's Pods: their state now, and where the watch starts. */
static int relist(struct kube_ctx *x, struct diag_list *dl)
{
	char path[1200], sel[600], err[600];
	kube_path(x->ns, "pods", NULL, path, sizeof path);
	selector(x, sel, sizeof sel);
	size_t n = strlen(path);
	snprintf(path + n, sizeof path - n, "?labelSelector=%s", sel);
	cJSON *list = NULL;
	long st = kube_call(x->c, "GET", path, NULL, &list, err, sizeof err);
	if (st != 200) {
		cJSON_Delete(list);
		return dl ? diag_error(dl, x->p->pos, st ? "kube-error" : "kube-unreachable",
				       "cannot list the Pods of the run: %s", err) : -1;
	}
	set_rv(x, list);
	const cJSON *pod;
	cJSON_ArrayForEach(pod, cJSON_GetObjectItemCaseSensitive(list, "items"))
		pod_event(x, pod, false);
	cJSON_Delete(list);
	x->relist = false;
	return 0;
}

static int open_watch(struct kube_ctx *x, struct diag_list *dl)
{
	kube_req_free(x->watch);
	x->watch = NULL;
	kube_lines_release(&x->lines);
	if ((x->relist || !x->rv[0]) && relist(x, dl) < 0)
		return -1;
	char path[1400], sel[600];
	kube_path(x->ns, "pods", NULL, path, sizeof path);
	selector(x, sel, sizeof sel);
	size_t n = strlen(path);
	snprintf(path + n, sizeof path - n, "?watch=true&allowWatchBookmarks=true&resourceVersion=%s"
		 "&labelSelector=%s", x->rv, sel);
	x->watch = kube_req_new(x->c, "GET", path);
	kube_req_stream(x->watch, on_watch_bytes, x);
	kube_req_start(x->watch);
	return 0;
}

/* Without a watch nothing more will be heard of the steps: they end with why. */
static void lost_watch(struct kube_ctx *x)
{
	for (struct kube_job *j = x->jobs; j; j = j->next)
		if (j->job && !j->error)
			j->error = strdup("lost the watch on its Pod: the API server no longer answers");
	kube_req_free(x->watch);
	x->watch = NULL;
}

/* Moves every transfer along; reopens the watch when it ended. */
static int drive(struct kube_ctx *x, int timeout_ms)
{
	if (kube_client_run(x->c, timeout_ms) < 0)
		return -1;
	if (x->watch && kube_client_lost(x->c)) {
		lost_watch(x);      /* a frozen server ends no watch: end the steps here */
		return 0;
	}
	for (struct kube_job *j = x->jobs; j; j = j->next)
		if (j->want_logs && !j->logs && j->job)
			open_logs(x, j);
	if (x->watch && (kube_req_done(x->watch) || x->relist)) {
		if (kube_req_done(x->watch) && kube_req_status(x->watch) != 200)
			x->relist = true;
		if (open_watch(x, NULL) < 0)
			lost_watch(x);
	}
	return 0;
}

/* ---- the Pods' specs ------------------------------------------------------------------------ */

struct unsupported_arg {
	struct diag_list *dl;
	int n;
	bool single_pod;
};

static void unsupported(void *arg, const struct ir_step *s, const char *what)
{
	struct unsupported_arg *u = arg;
	u->n++;
	diag_error(u->dl, s->pos, "kube-unsupported", "step '%s' asks for %s, which a Kubernetes Pod "
		   "cannot give; run it %s", s->name, what,
		   u->single_pod ? "without --kube-single-pod" : "with --backend=docker");
}

static struct kube_pod_options pod_options(const struct kube_ctx *x, const char *name,
					   struct unsupported_arg *u)
{
	return (struct kube_pod_options){
		.run_id = x->run, .name = name, .config_map = x->root,
		.secret_name = x->secret[0] ? x->secret : NULL,
		.pull_secret = x->pull_secret[0] ? x->pull_secret : NULL,
		.workspace_claim = x->claim[0] ? x->claim : NULL,
		.unsupported = unsupported, .arg = u,
	};
}

/* Refuses, before anything starts, a pipeline whose Pods cannot be built. */
static int check(void *ctx, const struct ir_pipeline *p, struct diag_list *dl)
{
	struct kube_ctx *x = ctx_of(ctx);
	struct unsupported_arg u = {dl, 0, x->opt.single_pod};
	struct kube_pod_options o = {.unsupported = unsupported, .arg = &u};
	if (x->opt.single_pod)
		cJSON_Delete(kube_pipeline_pod(p, &o));
	for (size_t i = 0; !x->opt.single_pod && i < p->nsteps; i++)
		cJSON_Delete(kube_step_pod(p, &p->steps[i], &o));
	return u.n ? -1 : 0;
}

/*
 * --kube-single-pod: the pipeline's one Pod, made at once with the
 * Secret of every value its steps ask for (a container starts as soon as
 * the one before it ends, before the runtime hears of it).
 */
static int create_pipeline_pod(struct kube_ctx *x, const struct rt_run_info *run, struct diag_list *dl)
{
	if (kube_put_all_secrets(x, run->secrets, dl) < 0)
		return -1;
	struct unsupported_arg u = {dl, 0, true};
	struct kube_pod_options o = pod_options(x, x->root, &u);
	cJSON *pod = kube_pipeline_pod(x->p, &o);
	if (u.n) {
		cJSON_Delete(pod);
		return -1;
	}
	if (kube_create(x, "pods", pod, x->p->pos, dl) < 0)
		return -1;
	snprintf(x->pod, sizeof x->pod, "%s", x->root);
	return 0;
}

/* ---- prepare and teardown ------------------------------------------------------------------- */

static void forget_run(struct kube_ctx *x)
{
	for (struct kube_job *j = x->jobs, *n; j; j = n) {
		n = j->next;
		kube_req_free(j->logs);
		free(j->error);
		free(j->digest);
		free(j);
	}
	x->jobs = NULL;
	kube_req_free(x->watch);
	x->watch = NULL;
	kube_lines_release(&x->lines);
	x->p = NULL;
	x->rv[0] = x->root[0] = x->root_uid[0] = x->claim[0] = x->secret[0] = x->pod[0] = 0;
	x->pull_secret[0] = 0;
	cJSON_Delete(x->pod_state);
	x->pod_state = NULL;
	x->relist = x->pod_gone = x->pod_deleted = false;
}

static int prepare(void *ctx, const struct rt_run_info *run, const struct ir_pipeline *p,
		   struct diag_list *dl)
{
	struct kube_ctx *x = ctx_of(ctx);
	forget_run(x);
	snprintf(x->run, sizeof x->run, "%s", run->run_id);
	x->p = p;
	bool own = !x->opt.kube_namespace && p->kube && p->kube->namespace;
	x->ns = own ? p->kube->namespace : x->cfg.namespace;
	x->interrupts = run->interrupts;
	kube_client_interrupts(x->c, x->interrupts, 0);
	char root[200];
	snprintf(root, sizeof root, "pipec-%s-%s", x->run, p->name);
	kube_label_value(root, true, x->root, sizeof x->root);
	if (kube_create_root(x, dl) < 0 || kube_create_pull_secret(x, run->pull_secrets, dl) < 0)
		return -1;
	if (x->opt.single_pod && create_pipeline_pod(x, run, dl) < 0)
		return -1;
	return open_watch(x, dl);
}

static bool pods_left(const struct kube_ctx *x)
{
	if (x->pod[0] && !x->pod_gone)
		return true;
	for (const struct kube_job *j = x->jobs; j; j = j->next)
		if (j->created && !j->gone)
			return true;
	return false;
}

static int teardown(void *ctx, struct diag_list *dl)
{
	struct kube_ctx *x = ctx_of(ctx);
	if (!x->p)
		return 0;
	for (struct kube_job *j = x->jobs; j; j = j->next) {
		kube_req_free(j->logs);
		j->logs = NULL;
	}
	int rc = 0;
	kube_client_interrupts(x->c, x->interrupts, 1);     /* only a second Ctrl-C cuts it short */
	if (x->root_uid[0]) {
		char path[800], err[600];
		kube_path(x->ns, "configmaps", x->root, path, sizeof path);
		strncat(path, "?propagationPolicy=Foreground", sizeof path - strlen(path) - 1);
		long st = kube_call(x->c, "DELETE", path, NULL, NULL, err, sizeof err);
		if (st / 100 != 2 && st != 404)
			rc = diag_error(dl, x->p->pos, st ? "kube-error" : "kube-unreachable",
					"cannot delete the run's objects (ConfigMap '%s' owns them all; delete it or "
					"run pipec prune --backend=kube): %s", x->root, err);
	}
	/* Foreground deletion ends each Pod with its grace period; the run is
	 * over once the watch has seen them go (a second interrupt hurries). */
	int64_t deadline = now_ms() + 60000;
	while (x->watch && pods_left(x) && now_ms() < deadline && (!x->interrupts || *x->interrupts < 2))
		if (drive(x, 200) < 0)
			break;
	kube_client_interrupts(x->c, x->interrupts, 0);
	forget_run(x);
	return rc;
}

/* ---- start ----------------------------------------------------------------------------------- */

static int create_pod(struct kube_ctx *x, struct kube_job *j, struct diag_list *dl)
{
	struct unsupported_arg u = {dl, 0, x->opt.single_pod};
	struct kube_pod_options o = pod_options(x, j->pod, &u);
	cJSON *pod = kube_step_pod(x->p, j->step, &o);
	if (u.n) {
		cJSON_Delete(pod);
		return -1;
	}
	if (kube_create(x, "pods", pod, j->step->pos, dl) < 0)
		return -1;
	j->created = true;
	return 0;
}

static int start(void *ctx, struct rt_job *job, struct diag_list *dl)
{
	struct kube_ctx *x = ctx_of(ctx);
	struct kube_job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	j->x = x, j->job = job, j->step = job->step;
	kube_label_value(job->step->name, true, j->container, sizeof j->container);
	j->next = x->jobs, x->jobs = j;
	job->backend_data = j;
	if (x->pod[0]) {
		/* its container is in the pipeline's Pod, maybe already done */
		snprintf(j->pod, sizeof j->pod, "%s", x->pod);
		j->created = true;
		if (x->pod_state)
			job_event(x, j, x->pod_state, x->pod_gone);
		return 0;
	}
	char name[300];
	snprintf(name, sizeof name, "pipec-%s-%zu-%s", x->run, (size_t)(job->step - x->p->steps), job->step->name);
	kube_label_value(name, true, j->pod, sizeof j->pod);
	/* every call until the Pod is made ends at the step's deadline */
	kube_client_deadline(x->c, job->deadline_ms);
	int rc = kube_put_secrets(x, job, dl) < 0 ||
		 (job->step->detach && kube_create_service(x, job->step, dl) < 0) ||
		 create_pod(x, j, dl) < 0 ? -1 : 0;
	kube_client_deadline(x->c, 0);
	return rc;
}

/* ---- poll, stop ---------------------------------------------------------------------------------- */

static bool finishable(const struct kube_job *j)
{
	if (!j->job)
		return false;
	if (j->error)
		return true;
	/* a sidecar of a Pod per pipeline ends with the Pod: when asked to */
	if (j->x->pod[0] && j->step->detach && !j->stopping)
		return false;
	bool logs_over = j->logs ? kube_req_done(j->logs) : !j->want_logs;
	return (j->terminated || j->gone) && logs_over;
}

/* Deletes the job's Pod; in a Pod per pipeline, every job's. */
static void delete_pod(struct kube_ctx *x, struct kube_job *j, int grace)
{
	if (x->pod[0]) {
		if (x->pod_deleted && grace != 0)
			return;
		x->pod_deleted = true;
		for (struct kube_job *k = x->jobs; k; k = k->next)
			k->stopping = k->deleted = true;
	}
	char path[800];
	kube_path(x->ns, "pods", j->pod, path, sizeof path);
	size_t n = strlen(path);
	if (grace >= 0)
		snprintf(path + n, sizeof path - n, "?gracePeriodSeconds=%d", grace);
	kube_call(x->c, "DELETE", path, NULL, NULL, NULL, 0);
	j->deleted = true;
}

static void finish(struct kube_ctx *x, struct kube_job *j)
{
	struct rt_exit e = {.code = -1};
	char err[1200];
	if (j->error) {
		snprintf(err, sizeof err, "%s", j->error);
		e.error = err;
		e.rule = j->rule;
	} else if (j->terminated) {
		e.code = j->exit_code;
		e.oom_killed = j->oom;
		if (j->stopping && e.code > 128)
			e.signal = e.code - 128;
	} else {
		e.signal = j->stopping ? 15 : 0;
		if (!j->stopping) {
			snprintf(err, sizeof err, "its Pod '%s' was deleted", j->pod);
			e.error = err;
		}
	}
	kube_req_free(j->logs);
	j->logs = NULL;
	if (!x->pod[0] && (!j->step->detach || j->error) && !j->deleted)
		delete_pod(x, j, -1);
	struct rt_job *job = j->job;
	j->job = NULL;
	rt_job_exited(job, &e);
}

static int poll_jobs(void *ctx, int timeout_ms)
{
	struct kube_ctx *x = ctx_of(ctx);
	bool ready = false;
	for (struct kube_job *j = x->jobs; j && !ready; j = j->next)
		ready = finishable(j);
	if (drive(x, ready ? 0 : timeout_ms) < 0)
		return -1;
	for (struct kube_job *j = x->jobs; j; j = j->next)
		if (finishable(j))
			finish(x, j);
	return 0;
}

static void stop(void *ctx, struct rt_job *job, bool hurry)
{
	struct kube_ctx *x = ctx_of(ctx);
	struct kube_job *j = job->backend_data;
	if (!j || !j->created || (j->deleted && !hurry))
		return;
	j->stopping = true;
	kube_client_interrupts(x->c, x->interrupts, 1);    /* stopping is what the interrupt asked */
	delete_pod(x, j, hurry ? 0 : 5);
	kube_client_interrupts(x->c, x->interrupts, 0);
}

/* A service is ready when the watch last said its Pod is Ready (its readinessProbe). */
static enum rt_probe probe(void *ctx, struct rt_job *job, int timeout_ms, char *why, size_t size)
{
	(void)ctx, (void)timeout_ms;
	const struct kube_job *j = job->backend_data;
	if (!j || !j->created)
		return RT_PROBE_WAIT;
	if (j->error || j->terminated || j->gone) {
		snprintf(why, size, "%s", j->error ? j->error : "its Pod ended");
		return RT_PROBE_UNHEALTHY;
	}
	return j->ready ? RT_PROBE_READY : RT_PROBE_WAIT;
}

static void free_ctx(void *ctx)
{
	struct kube_ctx *x = ctx_of(ctx);
	forget_run(x);
	kube_client_free(x->c);
	kube_config_release(&x->cfg);
	free(x);
}

static const struct rt_backend_ops kube_ops = {
	.name = "kube",
	.check = check,
	.prepare = prepare,
	.start = start,
	.poll = poll_jobs,
	.probe = probe,
	.stop = stop,
	.teardown = teardown,
	.free = free_ctx,
};

/* Asks the API server for its version: the configuration works, or why not. */
static int check_server(struct kube_ctx *x, struct diag_list *dl)
{
	char err[1200];
	long st = kube_call(x->c, "GET", "/version", NULL, NULL, err, sizeof err);
	if (st == 200)
		return 0;
	struct ir_pos pos = {.file = x->cfg.file};
	if (st == 401 || st == 403)
		return diag_error(dl, pos, "kube-config", "the API server at '%s' refused the credentials of "
				  "context '%s': %s", x->cfg.server, x->cfg.context, err);
	return diag_error(dl, pos, "kube-unreachable", "no Kubernetes API server answers at '%s' "
			  "(context '%s'): %s", x->cfg.server, x->cfg.context,
			  st ? err : err[0] ? err : "no answer");
}

int kube_backend_new(struct rt_backend *out, const struct rt_backend_options *opt, struct diag_list *dl)
{
	struct kube_ctx *x = calloc(1, sizeof *x);
	if (!x)
		abort();
	if (opt)
		x->opt = *opt;
	if (kube_config_load(&x->cfg, &x->opt, dl) < 0 || !(x->c = kube_client_new(&x->cfg, dl)) ||
	    check_server(x, dl) < 0) {
		free_ctx(x);
		return -1;
	}
	memset(out, 0, sizeof *out);
	out->ops = &kube_ops;
	out->ctx = x;
	return 0;
}
