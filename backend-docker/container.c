/*
 * container.c - what one step's container is made of.
 *
 * The IR step maps onto the create body field by field: the workspace
 * volume at workspace.base (or the run's host workspace bound at the
 * workspace's full path), temp volumes as Docker volumes, host volumes
 * as binds (the engine makes a missing directory), memory volumes as a
 * tmpfs per container (as Drone does: their contents live as long as the
 * step), one endpoint on the run's network with the step's name as DNS
 * alias.  Files, the step script and imported artifacts are copied in
 * through the archive API before the container starts; exports are
 * copied out after it stops.  A probe of a service (the runtime decides
 * when and how often) reads the engine's own health check for a health
 * command, with its last output, and tries a TCP connect to the
 * service's address on the run network for a port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend-docker/internal.h"

static cJSON *strs(const struct ir_strs *s)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < s->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->v[i]));
	return a;
}

static cJSON *env_array(const struct ir_env *env)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < env->n; i++) {
		size_t n = strlen(env->v[i].key) + strlen(env->v[i].value) + 2;
		char *kv = malloc(n);
		if (!kv)
			abort();
		snprintf(kv, n, "%s=%s", env->v[i].key, env->v[i].value);
		cJSON_AddItemToArray(a, cJSON_CreateString(kv));
		free(kv);
	}
	return a;
}

static int volume_index(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nvolumes; i++)
		if (strcmp(p->volumes[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void add_mount(cJSON *mounts, const char *type, const char *src, const char *dst, bool ro)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "Type", type);
	if (src)
		cJSON_AddStringToObject(m, "Source", src);
	cJSON_AddStringToObject(m, "Target", dst);
	cJSON_AddBoolToObject(m, "ReadOnly", ro);
	cJSON_AddItemToArray(mounts, m);
}

/* A step's working directory; for NULL, the workspace's full path. */
static char *work_dir(struct docker_ctx *x, const struct ir_step *s)
{
	if (s && ir_step_extra(s)->working_dir)
		return strdup(ir_step_extra(s)->working_dir);
	size_t n = ir_workspace_join(&x->p->workspace, NULL, 0) + 1;
	char *d = n > 1 ? malloc(n) : NULL;
	if (d)
		ir_workspace_join(&x->p->workspace, d, n);
	return d;
}

static void add_volumes(struct docker_ctx *x, const struct ir_step *s, cJSON *host)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *mounts = cJSON_AddArrayToObject(host, "Mounts");
	cJSON *binds = cJSON_AddArrayToObject(host, "Binds");
	cJSON *tmpfs = cJSON_AddObjectToObject(host, "Tmpfs");
	if (x->workspace && x->p->workspace.base)
		add_mount(mounts, "volume", x->workspace, x->p->workspace.base, false);
	char *full = x->host_workspace ? work_dir(x, NULL) : NULL;
	if (full)
		add_mount(mounts, "bind", x->host_workspace, full, false);
	free(full);
	for (size_t i = 0; i < ex->nvolumes; i++) {
		const struct ir_mount *m = &ex->volumes[i];
		int vi = volume_index(x->p, m->name);
		if (vi < 0)
			continue;               /* validate reports unknown volumes */
		const struct ir_volume *v = &x->p->volumes[vi];
		if (v->kind == IR_VOLUME_HOST) {
			char b[8192];
			snprintf(b, sizeof b, "%s:%s%s", v->host_path, m->path, m->read_only ? ":ro" : "");
			cJSON_AddItemToArray(binds, cJSON_CreateString(b));
		} else if (v->kind == IR_VOLUME_TEMP) {
			add_mount(mounts, "volume", x->volumes[vi], m->path, m->read_only);
		} else {
			char o[64] = "";
			if (v->size_limit > 0)
				snprintf(o, sizeof o, "size=%lld", (long long)v->size_limit);
			cJSON_AddStringToObject(tmpfs, m->path, o);
		}
	}
}

static void add_devices_ports(const struct ir_step *s, cJSON *cfg, cJSON *host)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *devs = cJSON_AddArrayToObject(host, "Devices");
	for (size_t i = 0; i < ex->ndevices; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "PathOnHost", ex->devices[i].host_path);
		cJSON_AddStringToObject(d, "PathInContainer", ex->devices[i].path);
		cJSON_AddStringToObject(d, "CgroupPermissions", "rwm");
		cJSON_AddItemToArray(devs, d);
	}
	cJSON *exposed = cJSON_AddObjectToObject(cfg, "ExposedPorts");
	cJSON *bindings = cJSON_AddObjectToObject(host, "PortBindings");
	for (size_t i = 0; i < ex->nports; i++) {
		char k[64];
		snprintf(k, sizeof k, "%d/%s", ex->ports[i].port,
			 ex->ports[i].protocol ? ex->ports[i].protocol : "tcp");
		cJSON_AddObjectToObject(exposed, k);
		if (ex->ports[i].host <= 0)
			continue;
		char hp[16];
		snprintf(hp, sizeof hp, "%d", ex->ports[i].host);
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "HostPort", hp);
		cJSON *arr = cJSON_AddArrayToObject(bindings, k);
		cJSON_AddItemToArray(arr, b);
	}
}

static void add_host(struct docker_ctx *x, const struct ir_step *s, cJSON *cfg)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *host = cJSON_AddObjectToObject(cfg, "HostConfig");
	add_volumes(x, s, host);
	add_devices_ports(s, cfg, host);
	cJSON_AddBoolToObject(host, "Privileged", s->privileged);
	if (ex->resources.memory > 0)
		cJSON_AddNumberToObject(host, "Memory", (double)ex->resources.memory);
	if (ex->resources.cpu_millis > 0)
		cJSON_AddNumberToObject(host, "NanoCpus", (double)ex->resources.cpu_millis * 1e6);
	if (ex->resources.shm_size > 0)
		cJSON_AddNumberToObject(host, "ShmSize", (double)ex->resources.shm_size);
	if (ex->dns.n)
		cJSON_AddItemToObject(host, "Dns", strs(&ex->dns));
	if (ex->dns_search.n)
		cJSON_AddItemToObject(host, "DnsSearch", strs(&ex->dns_search));
	if (ex->extra_hosts.n)
		cJSON_AddItemToObject(host, "ExtraHosts", strs(&ex->extra_hosts));
	cJSON_AddStringToObject(host, "NetworkMode", ex->network_mode ? ex->network_mode : x->network);
}

static void add_health(const struct ir_health *h, cJSON *cfg)
{
	if (!h || !h->command.n)
		return;
	cJSON *hc = cJSON_AddObjectToObject(cfg, "Healthcheck");
	cJSON *test = cJSON_AddArrayToObject(hc, "Test");
	cJSON_AddItemToArray(test, cJSON_CreateString("CMD"));
	for (size_t i = 0; i < h->command.n; i++)
		cJSON_AddItemToArray(test, cJSON_CreateString(h->command.v[i]));
	cJSON_AddNumberToObject(hc, "Interval", (h->interval_ms > 0 ? h->interval_ms : 1000) * 1e6);
	cJSON_AddNumberToObject(hc, "Timeout", (h->timeout_ms > 0 ? h->timeout_ms : 5000) * 1e6);
	cJSON_AddNumberToObject(hc, "Retries", h->retries > 0 ? h->retries : 3);
}

static void add_command(const struct ir_step *s, cJSON *cfg)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (s->script) {
		cJSON *ep = cJSON_AddArrayToObject(cfg, "Entrypoint");
		cJSON_AddItemToArray(ep, cJSON_CreateString(s->shell ? s->shell : "/bin/sh"));
		cJSON *cmd = cJSON_AddArrayToObject(cfg, "Cmd");
		cJSON_AddItemToArray(cmd, cJSON_CreateString(DOCKER_SCRIPT_PATH));
		return;
	}
	if (ex->entrypoint.v)
		cJSON_AddItemToObject(cfg, "Entrypoint", strs(&ex->entrypoint));
	if (s->command.v)
		cJSON_AddItemToObject(cfg, "Cmd", strs(&s->command));
}

cJSON *docker_container_config(struct docker_ctx *x, struct docker_job *j, const struct ir_env *env)
{
	const struct ir_step *s = j->step;
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *cfg = cJSON_CreateObject();
	cJSON_AddStringToObject(cfg, "Image", s->image);
	cJSON_AddItemToObject(cfg, "Env", env_array(env));
	add_command(s, cfg);
	char *wd = work_dir(x, s);
	if (wd)
		cJSON_AddStringToObject(cfg, "WorkingDir", wd);
	free(wd);
	if (ex->user)
		cJSON_AddStringToObject(cfg, "User", ex->user);
	cJSON_AddItemToObject(cfg, "Labels", docker_labels(x->run, x->p->name, s->name));
	add_health(ex->health, cfg);
	add_host(x, s, cfg);
	if (!ex->network_mode) {
		cJSON *nc = cJSON_AddObjectToObject(cfg, "NetworkingConfig");
		cJSON *eps = cJSON_AddObjectToObject(nc, "EndpointsConfig");
		cJSON_AddItemToObject(eps, x->network, docker_endpoint(s));
	}
	return cfg;
}

/* ---- the archive API ----------------------------------------------------------- */

static int put_archive(struct docker_ctx *x, struct docker_job *j, const char *dir,
		       const struct docker_buf *tar, char *err, size_t errsize)
{
	char *ed = docker_escape(dir);
	char path[1200];
	snprintf(path, sizeof path, "/containers/%s/archive?path=%s&noOverwriteDirNonDir=true", j->id, ed);
	free(ed);
	struct docker_req *r = docker_req_new(x->c, "PUT", path);
	docker_req_timeout(r, DOCKER_T_ARCHIVE);
	docker_req_body(r, "application/x-tar", tar->p ? tar->p : "", tar->len);
	long st = docker_req_call(r);
	if (st / 100 != 2)
		snprintf(err, errsize, "copying into '%s' failed: %s", dir, docker_req_error(r));
	docker_req_free(r);
	return st / 100 == 2 ? 0 : -1;
}

/* Every parent directory of `path` as its own tar entry, so the engine makes them. */
static void add_parents(struct docker_buf *tar, const char *path)
{
	char d[4096];
	snprintf(d, sizeof d, "%s", path);
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		docker_tar_add(tar, d, 0755, '5', NULL, 0);
		*p = '/';
	}
}

static const struct ir_file *find_file(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].name, name) == 0)
			return &p->files[i];
	return NULL;
}

/* One tar at "/" with the script and the plain files; archive files separately. */
static int upload_files(struct docker_ctx *x, struct docker_job *j, char *err, size_t errsize)
{
	const struct ir_step *s = j->step;
	const struct ir_step_extra *ex = ir_step_extra(s);
	struct docker_buf tar;
	docker_buf_init(&tar, DOCKER_MAX_ARTIFACT);
	if (s->script) {
		add_parents(&tar, DOCKER_SCRIPT_PATH);
		docker_tar_add(&tar, DOCKER_SCRIPT_PATH, 0755, '0', s->script, strlen(s->script));
	}
	int rc = 0;
	for (size_t i = 0; i < ex->nfiles && rc == 0; i++) {
		const struct ir_file *f = find_file(x->p, ex->files[i].name);
		if (!f) {
			snprintf(err, errsize, "file '%s' is not declared by the pipeline", ex->files[i].name);
			rc = -1;
			break;
		}
		size_t n = strlen(f->data ? f->data : "");
		unsigned char *raw = malloc(n * 3 / 4 + 4);
		long len = raw ? docker_base64_decode(f->data ? f->data : "", n, raw) : -1;
		if (len < 0) {
			snprintf(err, errsize, "file '%s' is not valid base64", f->name);
			rc = -1;
		} else if (f->archive) {
			struct docker_buf t2 = {.p = (char *)raw, .len = (size_t)len};
			struct docker_buf dirs;
			docker_buf_init(&dirs, 1 << 20);
			char full[4096];
			snprintf(full, sizeof full, "%s/", ex->files[i].path);
			add_parents(&dirs, full);
			docker_tar_end(&dirs);
			rc = put_archive(x, j, "/", &dirs, err, errsize);
			docker_buf_release(&dirs);
			if (rc == 0)
				rc = put_archive(x, j, ex->files[i].path, &t2, err, errsize);
		} else {
			add_parents(&tar, ex->files[i].path);
			docker_tar_add(&tar, ex->files[i].path, ex->files[i].mode ? ex->files[i].mode : 0644, '0', raw, (size_t)len);
		}
		free(raw);
	}
	docker_tar_end(&tar);
	if (rc == 0 && tar.len > 1024)
		rc = put_archive(x, j, "/", &tar, err, errsize);
	docker_buf_release(&tar);
	return rc;
}

static struct docker_artifact *find_artifact(struct docker_ctx *x, const char *name)
{
	for (struct docker_artifact *a = x->artifacts; a; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* The engine's tar of a path is rooted at its last component: restore into the parent. */
static void parent_of(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s", path);
	size_t n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = 0;
	char *slash = strrchr(out, '/');
	if (!slash || slash == out)
		snprintf(out, size, "/");
	else
		*slash = 0;
}

/* Artifact paths are relative to the step's working directory unless absolute. */
static void artifact_path(struct docker_ctx *x, const struct ir_step *s, const char *path, char *out, size_t size)
{
	char *wd = path[0] == '/' ? NULL : work_dir(x, s);
	snprintf(out, size, "%s%s%s", wd ? wd : "", wd ? "/" : "", path);
	free(wd);
}

int docker_container_upload(struct docker_ctx *x, struct docker_job *j, char *err, size_t errsize)
{
	if (upload_files(x, j, err, errsize) < 0)
		return -1;
	const struct ir_step *s = j->step;
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nimports; i++) {
		struct docker_artifact *a = find_artifact(x, ex->imports[i].name);
		if (!a) {
			snprintf(err, errsize, "artifact '%s' was not exported by an earlier step", ex->imports[i].name);
			return -1;
		}
		char parent[4096], full_path[4096];
		artifact_path(x, s, ex->imports[i].path, full_path, sizeof full_path);
		parent_of(full_path, parent, sizeof parent);
		struct docker_buf dirs;
		docker_buf_init(&dirs, 1 << 20);
		char full[4200];
		snprintf(full, sizeof full, "%s/", parent);
		add_parents(&dirs, full);
		docker_tar_end(&dirs);
		int rc = dirs.len > 1024 ? put_archive(x, j, "/", &dirs, err, errsize) : 0;
		docker_buf_release(&dirs);
		if (rc < 0 || put_archive(x, j, parent, &a->tar, err, errsize) < 0)
			return -1;
	}
	return 0;
}

static int save_artifact(struct docker_ctx *x, const char *name, struct docker_buf *tar, char *err, size_t errsize)
{
	struct docker_artifact *a = find_artifact(x, name);
	if (!a) {
		a = calloc(1, sizeof *a);
		if (!a)
			abort();
		a->name = strdup(name);
		a->next = x->artifacts, x->artifacts = a;
	}
	docker_buf_release(&a->tar);
	a->tar = *tar;
	if (!x->artifacts_dir)
		return 0;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%s", x->artifacts_dir, name);
	if (docker_tar_extract(a->tar.p, a->tar.len, dir) < 0) {
		snprintf(err, errsize, "writing artifact '%s' to '%s' failed: %s", name, dir, strerror(errno));
		return -1;
	}
	return 0;
}

int docker_container_export(struct docker_ctx *x, struct docker_job *j, char *err, size_t errsize)
{
	const struct ir_step *s = j->step;
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nexports; i++) {
		char full_path[4096];
		artifact_path(x, s, ex->exports[i].path, full_path, sizeof full_path);
		char *ep = docker_escape(full_path);
		char path[1200];
		snprintf(path, sizeof path, "/containers/%s/archive?path=%s", j->id, ep);
		free(ep);
		struct docker_req *r = docker_req_new(x->c, "GET", path);
		docker_req_timeout(r, DOCKER_T_ARCHIVE);
		docker_req_keep(r, DOCKER_MAX_ARTIFACT);
		long st = docker_req_call(r);
		size_t len;
		const char *text = docker_req_text(r, &len);
		if (st != 200) {
			snprintf(err, errsize, "exporting '%s' failed: %s", ex->exports[i].path, docker_req_error(r));
			docker_req_free(r);
			return -1;
		}
		struct docker_buf tar;
		docker_buf_init(&tar, DOCKER_MAX_ARTIFACT);
		docker_buf_put(&tar, text, len);
		docker_req_free(r);
		if (tar.overflow) {
			docker_buf_release(&tar);
			snprintf(err, errsize, "artifact '%s' is larger than %u MiB", ex->exports[i].name, DOCKER_MAX_ARTIFACT >> 20);
			return -1;
		}
		if (save_artifact(x, ex->exports[i].name, &tar, err, errsize) < 0)
			return -1;
	}
	return 0;
}

/* ---- services ------------------------------------------------------------------ */

static bool port_open(const char *ip, int port, int timeout_ms)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return false;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (!ok && errno == EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int e = 0;
		socklen_t el = sizeof e;
		ok = poll(&p, 1, timeout_ms < 500 ? timeout_ms : 500) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0;
	}
	close(fd);
	return ok;
}

/* The health check's last output, one line, in `why`. */
static void last_output(const cJSON *health, char *why, size_t size)
{
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(health, "Log");
	const cJSON *out = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(log, cJSON_GetArraySize(log) - 1), "Output");
	if (!cJSON_IsString(out) || !out->valuestring[0])
		return;
	const char *t = out->valuestring;
	size_t n = strlen(t);
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
		n--;
	snprintf(why, size, "its health check said: %.*s", (int)n, t);
}

/* What the engine's own health check says: Docker counts its retries. */
static enum rt_probe engine_health(const cJSON *health, char *why, size_t size)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(health, "Status");
	const char *s = cJSON_IsString(st) ? st->valuestring : "";
	last_output(health, why, size);
	if (strcmp(s, "healthy") == 0)
		return RT_PROBE_READY;
	return strcmp(s, "unhealthy") == 0 ? RT_PROBE_UNHEALTHY : RT_PROBE_WAIT;
}

/* The port on the container's address in the run's network. */
static enum rt_probe port_health(struct docker_ctx *x, const cJSON *o, int port, int timeout_ms,
				 char *why, size_t size)
{
	const cJSON *nets = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "NetworkSettings"), "Networks");
	const cJSON *ip = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(nets, x->network), "IPAddress");
	if (cJSON_IsString(ip) && port_open(ip->valuestring, port, timeout_ms))
		return RT_PROBE_READY;
	snprintf(why, size, "port %d does not accept connections", port);
	return RT_PROBE_FAILED;
}

enum rt_probe docker_probe(void *ctx, struct rt_job *job, int timeout_ms, char *why, size_t size)
{
	struct docker_ctx *x = ctx;
	struct docker_job *j = job->backend_data;
	char path[200];
	snprintf(path, sizeof path, "/containers/%s/json", j ? j->id : "");
	cJSON *o = NULL;
	if (!j || docker_call(x->c, DOCKER_T_INSPECT, "GET", path, NULL, &o, why, size) / 100 != 2)
		return RT_PROBE_FAILED;
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(o, "State");
	const struct ir_health *h = ir_step_extra(j->step)->health;
	enum rt_probe got;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
		snprintf(why, size, "it stopped");
		got = RT_PROBE_UNHEALTHY;
	} else if (h->command.n) {
		got = engine_health(cJSON_GetObjectItemCaseSensitive(state, "Health"), why, size);
	} else {
		got = port_health(x, o, h->port, timeout_ms, why, size);
	}
	cJSON_Delete(o);
	return got;
}
