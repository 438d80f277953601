/*
 * pod.c - the Kubernetes objects a pipeline becomes, built from
 * normalized IR alone (no network), for the backend and for emitters.
 *
 * A container is built first and names the volumes it mounts; a Pod then
 * gathers the distinct volume names of its containers and makes each
 * volume from its name (volume_for()), so a mount and its volume can
 * never disagree.  Volume names say what they hold: pipec-workspace
 * (also the temp volumes and artifacts, as folders, when a claim holds
 * them), pipec-config (scripts and files), pipec-artifacts, pipec-vol-N
 * (pipeline volume N), pipec-shm-N (step N's /dev/shm).
 *
 * Kubernetes expands $(VAR) in env values, command and args; every '$'
 * that such an expansion would eat is doubled, so what the user wrote
 * reaches the process unchanged.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backend-kube/kube.h"

static void unsupported(const struct kube_pod_options *o, const struct ir_step *s, const char *what)
{
	if (o->unsupported)
		o->unsupported(o->arg, s, what);
}

static size_t step_index(const struct ir_pipeline *p, const struct ir_step *s)
{
	return (size_t)(s - p->steps);
}

/* ---- names and labels -------------------------------------------------- */

static bool label_char(int c, bool dns)
{
	return isalnum(c) || c == '-' || (!dns && (c == '_' || c == '.'));
}

void kube_label_value(const char *s, bool dns, char *out, size_t size)
{
	size_t max = size - 1 < KUBE_MAX_NAME ? size - 1 : KUBE_MAX_NAME, n = 0;
	for (; *s && n < max; s++) {
		unsigned char c = (unsigned char)*s;
		if (n == 0 && !isalnum(c))
			continue;
		out[n++] = label_char(c, dns) ? (char)(dns ? tolower(c) : c) : '-';
	}
	while (n > 0 && !isalnum((unsigned char)out[n - 1]))
		n--;
	if (n == 0)
		out[n++] = 'x';
	out[n] = 0;
}

void kube_secret_key(const char *name, char *out, size_t size)
{
	size_t n = 0;
	for (; *name && n + 1 < size; name++) {
		unsigned char c = (unsigned char)*name;
		out[n++] = isalnum(c) || c == '-' || c == '.' || c == '_' ? (char)c : '_';
	}
	out[n] = 0;
}

bool kube_dns_label_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > KUBE_MAX_NAME || !islower((unsigned char)name[0]) || name[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) && name[i] != '-')
			return false;
	return true;
}

static void add_label(cJSON *l, const char *key, const char *value)
{
	char v[KUBE_MAX_NAME + 1];
	kube_label_value(value, false, v, sizeof v);
	cJSON_AddStringToObject(l, key, v);
}

cJSON *kube_labels(const char *run, const char *pipeline, const char *step)
{
	cJSON *l = cJSON_CreateObject();
	if (run)
		add_label(l, "pipec.run", run);
	add_label(l, "pipec.pipeline", pipeline);
	if (step)
		add_label(l, "pipec.step", step);
	return l;
}

/* The pipeline's own labels or annotations, under pipec's (which win). */
static void add_own(cJSON *to, const struct ir_env *own)
{
	for (size_t i = 0; i < own->n; i++)
		if (!cJSON_GetObjectItemCaseSensitive(to, own->v[i].key))
			cJSON_AddStringToObject(to, own->v[i].key, own->v[i].value);
}

cJSON *kube_metadata(const struct ir_pipeline *p, const char *run, const char *name, const char *step)
{
	cJSON *m = cJSON_CreateObject();
	if (name)
		cJSON_AddStringToObject(m, "name", name);
	cJSON *l = kube_labels(run, p->name, step);
	cJSON_AddItemToObject(m, "labels", l);
	/* the names as written, which labels may have had to change */
	cJSON *a = cJSON_AddObjectToObject(m, "annotations");
	cJSON_AddStringToObject(a, "pipec.pipeline", p->name);
	if (step)
		cJSON_AddStringToObject(a, "pipec.step", step);
	if (p->kube) {
		add_own(l, &p->kube->labels);
		add_own(a, &p->kube->annotations);
	}
	return m;
}

static cJSON *metadata(const struct ir_pipeline *p, const struct ir_step *s,
		       const struct kube_pod_options *o)
{
	return kube_metadata(p, o->run_id, o->name, s ? s->name : NULL);
}

/* "<pipeline>-<what>", DNS-safe: the default ConfigMap and Secret names. */
static void pipeline_name(const struct ir_pipeline *p, const char *what, char *out, size_t size)
{
	char buf[KUBE_MAX_NAME * 2 + 2];
	snprintf(buf, sizeof buf, "%.*s-%s", KUBE_MAX_NAME - 10, p->name, what);
	kube_label_value(buf, true, out, size);
}

/* ---- strings Kubernetes would expand -------------------------------------- */

static cJSON *literal(const char *s)
{
	size_t extra = 0;
	for (const char *c = s; *c; c++)
		extra += c[0] == '$' && (c[1] == '$' || c[1] == '(');
	if (!extra)
		return cJSON_CreateString(s);
	char *d = malloc(strlen(s) + extra + 1), *w = d;
	if (!d)
		abort();
	for (const char *c = s; *c; c++) {
		if (c[0] == '$' && (c[1] == '$' || c[1] == '('))
			*w++ = '$';
		*w++ = *c;
	}
	*w = 0;
	cJSON *j = cJSON_CreateString(d);
	free(d);
	return j;
}

static cJSON *literals(const struct ir_strs *s)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < s->n; i++)
		cJSON_AddItemToArray(a, literal(s->v[i]));
	return a;
}

/* ---- environment ----------------------------------------------------------- */

static const struct ir_secret_ref *secret_for(const struct ir_step *s, const char *env)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nsecrets; i++) {
		const char *e = ex->secrets[i].env ? ex->secrets[i].env : ex->secrets[i].name;
		if (strcmp(e, env) == 0)
			return &ex->secrets[i];
	}
	return NULL;
}

static void add_value(cJSON *env, const char *name, const char *value)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "name", name);
	cJSON_AddItemToObject(e, "value", literal(value));
	cJSON_AddItemToArray(env, e);
}

static void add_secret_ref(cJSON *env, const char *name, const char *secret, const char *key_of)
{
	char key[256];
	kube_secret_key(key_of, key, sizeof key);
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "name", name);
	cJSON *ref = cJSON_AddObjectToObject(cJSON_AddObjectToObject(e, "valueFrom"), "secretKeyRef");
	cJSON_AddStringToObject(ref, "name", secret);
	cJSON_AddStringToObject(ref, "key", key);
	cJSON_AddItemToArray(env, e);
}

/*
 * As the runtime builds a step's environment: the pipeline's variables
 * the step does not set, the step's own, then its secrets, each replacing
 * a plain variable of its name.
 */
static cJSON *environment(const struct ir_pipeline *p, const struct ir_step *s,
			  const struct kube_pod_options *o)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	char secret[KUBE_MAX_NAME + 1];
	if (o->secret_name)
		snprintf(secret, sizeof secret, "%s", o->secret_name);
	else
		pipeline_name(p, "secrets", secret, sizeof secret);
	cJSON *env = cJSON_CreateArray();
	for (size_t i = 0; i < p->environment.n; i++) {
		const char *k = p->environment.v[i].key;
		if (!ir_env_get(&s->environment, k) && !secret_for(s, k))
			add_value(env, k, p->environment.v[i].value);
	}
	for (size_t i = 0; i < s->environment.n; i++)
		if (!secret_for(s, s->environment.v[i].key))
			add_value(env, s->environment.v[i].key, s->environment.v[i].value);
	for (size_t i = 0; i < ex->nsecrets; i++) {
		const struct ir_secret_ref *r = &ex->secrets[i];
		add_secret_ref(env, r->env ? r->env : r->name, secret, r->name);
	}
	return env;
}

/* ---- mounts ---------------------------------------------------------------- */

static void add_mount(cJSON *mounts, const char *volume, const char *path, const char *sub, bool ro)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "name", volume);
	cJSON_AddStringToObject(m, "mountPath", path);
	if (sub)
		cJSON_AddStringToObject(m, "subPath", sub);
	if (ro)
		cJSON_AddBoolToObject(m, "readOnly", true);
	cJSON_AddItemToArray(mounts, m);
}

static int volume_index(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nvolumes; i++)
		if (strcmp(p->volumes[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int file_index(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void add_volume_mount(cJSON *mounts, const struct ir_pipeline *p, const struct ir_mount *m,
			     const struct kube_pod_options *o)
{
	int vi = volume_index(p, m->name);
	if (vi < 0)
		return;                 /* validate reports unknown volumes */
	const struct ir_volume *v = &p->volumes[vi];
	char vol[32], sub[300];
	if (v->kind == IR_VOLUME_TEMP && o->workspace_claim) {
		snprintf(sub, sizeof sub, "volumes/%s", v->name);
		add_mount(mounts, "pipec-workspace", m->path, sub, m->read_only);
		return;
	}
	snprintf(vol, sizeof vol, "pipec-vol-%d", vi);
	add_mount(mounts, vol, m->path, NULL, m->read_only);
}

static void add_file_mounts(cJSON *mounts, const struct ir_pipeline *p, const struct ir_step *s,
			    const struct kube_pod_options *o)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nfiles; i++) {
		int fi = file_index(p, ex->files[i].name);
		if (fi < 0)
			continue;
		if (p->files[fi].archive) {
			unsupported(o, s, "an archive file (a tar extracted in the container)");
			continue;
		}
		char key[32];
		snprintf(key, sizeof key, "file-%d", fi);
		add_mount(mounts, "pipec-config", ex->files[i].path, key, true);
	}
}

static cJSON *mounts_of(const struct ir_pipeline *p, const struct ir_step *s,
			const struct kube_pod_options *o)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *mounts = cJSON_CreateArray();
	if (p->workspace.base)
		add_mount(mounts, "pipec-workspace", p->workspace.base,
			  o->workspace_claim ? "workspace" : NULL, false);
	for (size_t i = 0; i < ex->nvolumes; i++)
		add_volume_mount(mounts, p, &ex->volumes[i], o);
	if (s->script) {
		char key[32];
		snprintf(key, sizeof key, "step-%zu", step_index(p, s));
		add_mount(mounts, "pipec-config", KUBE_SCRIPT_PATH, key, true);
	}
	add_file_mounts(mounts, p, s, o);
	if (ex->nimports || ex->nexports)
		add_mount(mounts, o->workspace_claim ? "pipec-workspace" : "pipec-artifacts",
			  KUBE_ARTIFACTS_PATH, o->workspace_claim ? "artifacts" : NULL, false);
	if (ex->resources.shm_size > 0) {
		char vol[32];
		snprintf(vol, sizeof vol, "pipec-shm-%zu", step_index(p, s));
		add_mount(mounts, vol, "/dev/shm", NULL, false);
	}
	return mounts;
}

/* ---- the container ----------------------------------------------------------- */

static void add_command(cJSON *c, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (s->script) {
		cJSON *cmd = cJSON_AddArrayToObject(c, "command");
		cJSON_AddItemToArray(cmd, literal(s->shell ? s->shell : "/bin/sh"));
		cJSON *args = cJSON_AddArrayToObject(c, "args");
		cJSON_AddItemToArray(args, cJSON_CreateString(KUBE_SCRIPT_PATH));
		return;
	}
	if (ex->entrypoint.v)
		cJSON_AddItemToObject(c, "command", literals(&ex->entrypoint));
	if (s->command.v)
		cJSON_AddItemToObject(c, "args", literals(&s->command));
}

static void add_working_dir(cJSON *c, const struct ir_pipeline *p, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	const struct ir_workspace *w = &p->workspace;
	if (ex->working_dir) {
		cJSON_AddStringToObject(c, "workingDir", ex->working_dir);
	} else if (w->base) {
		char d[4096];
		snprintf(d, sizeof d, "%s%s%s", w->base, w->path && *w->path ? "/" : "",
			 w->path ? w->path : "");
		cJSON_AddStringToObject(c, "workingDir", d);
	}
}

static const char *pull_policy(enum ir_pull p)
{
	switch (p) {
	case IR_PULL_ALWAYS: return "Always";
	case IR_PULL_IF_NOT_EXISTS: return "IfNotPresent";
	case IR_PULL_NEVER: return "Never";
	default: return NULL;   /* Kubernetes' default is Drone's: Always for :latest */
	}
}

static void add_resources(cJSON *c, const struct ir_step *s)
{
	const struct ir_resources *r = &ir_step_extra(s)->resources;
	if (r->cpu_millis <= 0 && r->memory <= 0)
		return;
	cJSON *lim = cJSON_AddObjectToObject(cJSON_AddObjectToObject(c, "resources"), "limits");
	char q[32];
	if (r->cpu_millis > 0) {
		snprintf(q, sizeof q, "%lldm", (long long)r->cpu_millis);
		cJSON_AddStringToObject(lim, "cpu", q);
	}
	if (r->memory > 0) {
		snprintf(q, sizeof q, "%lld", (long long)r->memory);
		cJSON_AddStringToObject(lim, "memory", q);
	}
}

/* `user` as runAsUser[:runAsGroup] when numeric; a name has no Kubernetes spelling. */
static void add_security(cJSON *c, const struct ir_step *s, const struct kube_pod_options *o)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	long uid = -1, gid = -1;
	if (ex->user) {
		char *end;
		uid = strtol(ex->user, &end, 10);
		if (*end == ':')
			gid = strtol(end + 1, &end, 10);
		if (*end || end == ex->user) {
			unsupported(o, s, "a user name (only a numeric user or user:group)");
			uid = gid = -1;
		}
	}
	if (!s->privileged && uid < 0)
		return;
	cJSON *sc = cJSON_AddObjectToObject(c, "securityContext");
	if (s->privileged)
		cJSON_AddBoolToObject(sc, "privileged", true);
	if (uid >= 0)
		cJSON_AddNumberToObject(sc, "runAsUser", (double)uid);
	if (gid >= 0)
		cJSON_AddNumberToObject(sc, "runAsGroup", (double)gid);
}

/* A service's health check as a probe; NULL when it has none. */
static cJSON *probe_of(const struct ir_step *s)
{
	const struct ir_health *h = ir_step_extra(s)->health;
	if (!h || (!h->command.n && h->port <= 0))
		return NULL;
	cJSON *pr = cJSON_CreateObject();
	if (h->command.n)
		cJSON_AddItemToObject(cJSON_AddObjectToObject(pr, "exec"), "command", literals(&h->command));
	else
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(pr, "tcpSocket"), "port", h->port);
	int period = h->interval_ms > 0 ? (h->interval_ms + 999) / 1000 : 1;
	int timeout = h->timeout_ms > 0 ? (h->timeout_ms + 999) / 1000 : 5;
	cJSON_AddNumberToObject(pr, "periodSeconds", period);
	cJSON_AddNumberToObject(pr, "timeoutSeconds", timeout);
	return pr;
}

static void add_probe(cJSON *c, const struct ir_step *s)
{
	cJSON *pr = probe_of(s);
	if (pr)
		cJSON_AddItemToObject(c, "readinessProbe", pr);
}

/*
 * A sidecar's health check is also its startupProbe: the kubelet starts
 * the next init container only once it passes, as steps wait for their
 * services.  It tries as often as the check's retries say (else for a
 * minute) before the kubelet restarts the sidecar.
 */
static void add_startup_probe(cJSON *c, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *pr = probe_of(s);
	if (!pr)
		return;
	int period = cJSON_GetObjectItemCaseSensitive(pr, "periodSeconds")->valueint;
	int tries = ex->health->retries > 0 ? ex->health->retries : (60 + period - 1) / period;
	cJSON_AddNumberToObject(pr, "failureThreshold", tries);
	cJSON_AddItemToObject(c, "startupProbe", pr);
}

static void add_ports(cJSON *c, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (!ex->nports)
		return;
	cJSON *ports = cJSON_AddArrayToObject(c, "ports");
	for (size_t i = 0; i < ex->nports; i++) {
		const struct ir_port *pt = &ex->ports[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "containerPort", pt->port);
		if (pt->host > 0)
			cJSON_AddNumberToObject(o, "hostPort", pt->host);
		cJSON_AddStringToObject(o, "protocol", pt->protocol && !strcmp(pt->protocol, "udp") ? "UDP" : "TCP");
		cJSON_AddItemToArray(ports, o);
	}
}

/* What a step asks of the host that a container spec has no field for. */
static void check_host_only(const struct ir_step *s, const struct kube_pod_options *o)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (ex->ndevices)
		unsupported(o, s, "devices");
	if (ex->networks.n)
		unsupported(o, s, "networks (every Pod shares the cluster network)");
	if (ex->network_mode && strcmp(ex->network_mode, "host") != 0)
		unsupported(o, s, "a network_mode other than host");
	if (!s->image)
		unsupported(o, s, "a step without an image");
}

cJSON *kube_container(const struct ir_pipeline *p, const struct ir_step *s,
		      const struct kube_pod_options *o)
{
	char name[KUBE_MAX_NAME + 1];
	kube_label_value(s->name, true, name, sizeof name);
	check_host_only(s, o);
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "name", name);
	if (s->image)
		cJSON_AddStringToObject(c, "image", s->image);
	const char *pull = pull_policy(s->pull);
	if (pull)
		cJSON_AddStringToObject(c, "imagePullPolicy", pull);
	add_command(c, s);
	add_working_dir(c, p, s);
	cJSON_AddItemToObject(c, "env", environment(p, s, o));
	cJSON_AddItemToObject(c, "volumeMounts", mounts_of(p, s, o));
	add_ports(c, s);
	add_resources(c, s);
	add_security(c, s, o);
	add_probe(c, s);
	return c;
}

/* ---- volumes, made from the names the mounts use ---------------------------- */

static cJSON *empty_dir(const char *medium, int64_t limit)
{
	cJSON *e = cJSON_CreateObject();
	if (medium)
		cJSON_AddStringToObject(e, "medium", medium);
	if (limit > 0) {
		char q[32];
		snprintf(q, sizeof q, "%lld", (long long)limit);
		cJSON_AddStringToObject(e, "sizeLimit", q);
	}
	return e;
}

static cJSON *pipeline_volume(const struct ir_volume *v)
{
	if (v->kind == IR_VOLUME_TMPFS)
		return empty_dir("Memory", v->size_limit);
	if (v->kind == IR_VOLUME_TEMP)
		return empty_dir(NULL, 0);
	cJSON *h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "path", v->host_path ? v->host_path : "/");
	cJSON_AddStringToObject(h, "type", "DirectoryOrCreate");   /* as Docker binds do */
	return h;
}

static cJSON *volume_for(const struct ir_pipeline *p, const char *name, const struct kube_pod_options *o)
{
	cJSON *v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "name", name);
	unsigned long i = 0;
	if (strcmp(name, "pipec-workspace") == 0 && o->workspace_claim) {
		cJSON *c = cJSON_AddObjectToObject(v, "persistentVolumeClaim");
		cJSON_AddStringToObject(c, "claimName", o->workspace_claim);
	} else if (strcmp(name, "pipec-config") == 0) {
		char cm[KUBE_MAX_NAME + 1];
		if (o->config_map)
			snprintf(cm, sizeof cm, "%s", o->config_map);
		else
			pipeline_name(p, "scripts", cm, sizeof cm);
		cJSON *c = cJSON_AddObjectToObject(v, "configMap");
		cJSON_AddStringToObject(c, "name", cm);
		cJSON_AddNumberToObject(c, "defaultMode", 0755);
	} else if (sscanf(name, "pipec-vol-%lu", &i) == 1 && i < p->nvolumes) {
		const char *kind = p->volumes[i].kind == IR_VOLUME_HOST ? "hostPath" : "emptyDir";
		cJSON_AddItemToObject(v, kind, pipeline_volume(&p->volumes[i]));
	} else if (sscanf(name, "pipec-shm-%lu", &i) == 1 && i < p->nsteps) {
		cJSON_AddItemToObject(v, "emptyDir", empty_dir("Memory", ir_step_extra(&p->steps[i])->resources.shm_size));
	} else {
		cJSON_AddItemToObject(v, "emptyDir", empty_dir(NULL, 0));   /* workspace, artifacts */
	}
	return v;
}

static bool has_volume(const cJSON *vols, const char *name)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, vols)
		if (strcmp(cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring, name) == 0)
			return true;
	return false;
}

static void add_volumes_of(cJSON *vols, const cJSON *containers, const struct ir_pipeline *p,
			   const struct kube_pod_options *o)
{
	const cJSON *c, *m;
	cJSON_ArrayForEach(c, containers) {
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c, "volumeMounts")) {
			const char *name = cJSON_GetObjectItemCaseSensitive(m, "name")->valuestring;
			if (!has_volume(vols, name))
				cJSON_AddItemToArray(vols, volume_for(p, name, o));
		}
	}
}

/* ---- what a Pod takes from its steps -------------------------------------------- */

static void add_host_alias(cJSON *spec, const char *ip, const char *host)
{
	cJSON *aliases = cJSON_GetObjectItemCaseSensitive(spec, "hostAliases");
	if (!aliases)
		aliases = cJSON_AddArrayToObject(spec, "hostAliases");
	cJSON *a;
	cJSON_ArrayForEach(a, aliases)
		if (strcmp(cJSON_GetObjectItemCaseSensitive(a, "ip")->valuestring, ip) == 0)
			break;
	if (!a) {
		a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "ip", ip);
		cJSON_AddArrayToObject(a, "hostnames");
		cJSON_AddItemToArray(aliases, a);
	}
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(a, "hostnames"), cJSON_CreateString(host));
}

static void add_strs_to(cJSON *spec, const char *obj, const char *key, const struct ir_strs *s)
{
	if (!s->n)
		return;
	cJSON *d = cJSON_GetObjectItemCaseSensitive(spec, obj);
	if (!d)
		d = cJSON_AddObjectToObject(spec, obj);
	cJSON *a = cJSON_GetObjectItemCaseSensitive(d, key);
	if (!a)
		a = cJSON_AddArrayToObject(d, key);
	for (size_t i = 0; i < s->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->v[i]));
}

/* dns, dns_search, extra_hosts ("name:ip") and network_mode: host are the Pod's. */
static void add_pod_fields(cJSON *spec, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	add_strs_to(spec, "dnsConfig", "nameservers", &ex->dns);
	add_strs_to(spec, "dnsConfig", "searches", &ex->dns_search);
	for (size_t i = 0; i < ex->extra_hosts.n; i++) {
		const char *e = ex->extra_hosts.v[i], *colon = strchr(e, ':');
		if (!colon)
			continue;
		char host[256];
		snprintf(host, sizeof host, "%.*s", (int)(colon - e), e);
		add_host_alias(spec, colon + 1, host);
	}
	if (ex->network_mode && strcmp(ex->network_mode, "host") == 0 &&
	    !cJSON_GetObjectItemCaseSensitive(spec, "hostNetwork"))
		cJSON_AddBoolToObject(spec, "hostNetwork", true);
}

static cJSON *env_object(const struct ir_env *e)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < e->n; i++)
		cJSON_AddStringToObject(o, e->v[i].key, e->v[i].value);
	return o;
}

static cJSON *toleration(const struct ir_toleration *t)
{
	cJSON *o = cJSON_CreateObject();
	if (t->key)
		cJSON_AddStringToObject(o, "key", t->key);
	if (t->operator_)
		cJSON_AddStringToObject(o, "operator", t->operator_);
	if (t->value)
		cJSON_AddStringToObject(o, "value", t->value);
	if (t->effect)
		cJSON_AddStringToObject(o, "effect", t->effect);
	if (t->seconds > 0)
		cJSON_AddNumberToObject(o, "tolerationSeconds", (double)t->seconds);
	return o;
}

/* A kubernetes pipeline's dns_config and host_aliases; its steps' dns,
 * dns_search and extra_hosts are added to them (add_pod_fields()). */
static void add_kube_network(cJSON *spec, const struct ir_kube *k)
{
	add_strs_to(spec, "dnsConfig", "nameservers", &k->dns_nameservers);
	add_strs_to(spec, "dnsConfig", "searches", &k->dns_searches);
	if (k->dns_options.n) {
		cJSON *d = cJSON_GetObjectItemCaseSensitive(spec, "dnsConfig");
		cJSON *opts = cJSON_AddArrayToObject(d ? d : cJSON_AddObjectToObject(spec, "dnsConfig"), "options");
		for (size_t i = 0; i < k->dns_options.n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", k->dns_options.v[i].key);
			if (*k->dns_options.v[i].value)
				cJSON_AddStringToObject(o, "value", k->dns_options.v[i].value);
			cJSON_AddItemToArray(opts, o);
		}
	}
	for (size_t i = 0; i < k->nhost_aliases; i++)
		for (size_t h = 0; h < k->host_aliases[i].hostnames.n; h++)
			add_host_alias(spec, k->host_aliases[i].ip, k->host_aliases[i].hostnames.v[h]);
}

/*
 * A kubernetes pipeline's node_selector, tolerations, service account and
 * network settings.
 * Without a service account of its own a step gets no API token, as on
 * Docker; with one, the token is what it was named for.
 */
static void add_kube_keys(cJSON *spec, const struct ir_kube *k)
{
	if (k && k->node_selector.n)
		cJSON_AddItemToObject(spec, "nodeSelector", env_object(&k->node_selector));
	if (k && k->ntolerations) {
		cJSON *t = cJSON_AddArrayToObject(spec, "tolerations");
		for (size_t i = 0; i < k->ntolerations; i++)
			cJSON_AddItemToArray(t, toleration(&k->tolerations[i]));
	}
	if (k && k->service_account)
		cJSON_AddStringToObject(spec, "serviceAccountName", k->service_account);
	else
		cJSON_AddBoolToObject(spec, "automountServiceAccountToken", false);
	if (k)
		add_kube_network(spec, k);
}

static cJSON *pod_new(const struct ir_pipeline *p, const struct ir_step *s,
		      const struct kube_pod_options *o, cJSON **spec)
{
	cJSON *pod = cJSON_CreateObject();
	cJSON_AddStringToObject(pod, "apiVersion", "v1");
	cJSON_AddStringToObject(pod, "kind", "Pod");
	cJSON_AddItemToObject(pod, "metadata", metadata(p, s, o));
	*spec = cJSON_AddObjectToObject(pod, "spec");
	cJSON_AddStringToObject(*spec, "restartPolicy", "Never");
	/* Service links would put FOO_PORT variables of every Service in the
	 * namespace into each step's environment; Drone's steps see none. */
	cJSON_AddBoolToObject(*spec, "enableServiceLinks", false);
	add_kube_keys(*spec, p->kube);
	if (o->pull_secret) {
		cJSON *ps = cJSON_CreateObject();
		cJSON_AddStringToObject(ps, "name", o->pull_secret);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(*spec, "imagePullSecrets"), ps);
	}
	return pod;
}

cJSON *kube_step_pod(const struct ir_pipeline *p, const struct ir_step *s,
		     const struct kube_pod_options *o)
{
	cJSON *spec, *pod = pod_new(p, s, o, &spec);
	cJSON *cs = cJSON_AddArrayToObject(spec, "containers");
	cJSON_AddItemToArray(cs, kube_container(p, s, o));
	add_pod_fields(spec, s);
	if (s->detach && kube_dns_label_ok(s->name))
		cJSON_AddStringToObject(spec, "hostname", s->name);
	add_volumes_of(cJSON_AddArrayToObject(spec, "volumes"), cs, p, o);
	return pod;
}

static const struct ir_step *last_step(const struct ir_pipeline *p)
{
	for (size_t i = p->nsteps; i-- > 0;)
		if (!p->steps[i].skip && !p->steps[i].detach)
			return &p->steps[i];
	return NULL;
}

static void add_pipeline_step(cJSON *spec, const struct ir_pipeline *p, const struct ir_step *s,
			      const struct ir_step *last, const struct kube_pod_options *o)
{
	cJSON *c = kube_container(p, s, o);
	add_pod_fields(spec, s);
	if (s->detach) {
		cJSON_AddStringToObject(c, "restartPolicy", "Always");
		add_startup_probe(c, s);
		add_host_alias(spec, "127.0.0.1", s->name);
	} else if (s->run_policy != IR_RUN_ON_SUCCESS) {
		unsupported(o, s, "a run policy other than on-success (containers run in order and stop at the first failure)");
	} else if (s->ignore_error) {
		unsupported(o, s, "failure: ignore (a failed container ends the Pod)");
	} else if (s->retries > 0) {
		unsupported(o, s, "retries (a container of a Pod runs once)");
	}
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(spec, s == last ? "containers" : "initContainers"), c);
}

cJSON *kube_pipeline_pod(const struct ir_pipeline *p, const struct kube_pod_options *o)
{
	cJSON *spec, *pod = pod_new(p, NULL, o, &spec);
	cJSON *init = cJSON_AddArrayToObject(spec, "initContainers");
	cJSON *cs = cJSON_AddArrayToObject(spec, "containers");
	const struct ir_step *last = last_step(p);
	for (int detached = 1; detached >= 0; detached--)
		for (size_t i = 0; i < p->nsteps; i++)
			if (!p->steps[i].skip && p->steps[i].detach == detached)
				add_pipeline_step(spec, p, &p->steps[i], last, o);
	if (!last && p->nsteps)
		unsupported(o, &p->steps[0], "a pipeline of services only (a Pod needs a container that ends)");
	cJSON *vols = cJSON_AddArrayToObject(spec, "volumes");
	add_volumes_of(vols, init, p, o);
	add_volumes_of(vols, cs, p, o);
	return pod;
}

/* ---- scripts and files ------------------------------------------------------------ */

struct text {
	char *p;
	size_t len, cap;
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		if (!(t->p = realloc(t->p, t->cap)))
			abort();
	}
	memcpy(t->p + t->len, s, n + 1);
	t->len += n;
}

/* `s` in single quotes for the shell. */
static void put_quoted(struct text *t, const char *s)
{
	put(t, "'");
	for (char one[2] = ""; *s; s++) {
		one[0] = *s;
		put(t, *s == '\'' ? "'\\''" : one);
	}
	put(t, "'");
}

/* Where artifact `name` lands when an import gives no path: where it was exported. */
static const char *exported_path(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < ir_step_extra(&p->steps[i])->nexports; k++)
			if (strcmp(ir_step_extra(&p->steps[i])->exports[k].name, name) == 0)
				return ir_step_extra(&p->steps[i])->exports[k].path;
	return NULL;
}

/* An exported path is kept as KUBE_ARTIFACTS_PATH/NAME/<its last component>;
 * an import copies that into the folder holding its path, as the Docker
 * backend restores its archive. */
static void put_imports(struct text *t, const struct ir_pipeline *p, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nimports; i++) {
		const struct ir_artifact *a = &ex->imports[i];
		const char *path = a->path ? a->path : exported_path(p, a->name);
		if (!path)
			continue;
		put(t, "pipec_import "), put_quoted(t, a->name), put(t, " "), put_quoted(t, path), put(t, " || exit 1\n");
	}
}

static void put_exports(struct text *t, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nexports; i++) {
		put(t, "pipec_export "), put_quoted(t, ex->exports[i].name), put(t, " ");
		put_quoted(t, ex->exports[i].path), put(t, " || pipec_status=${pipec_status:-1}\n");
	}
}

static const char artifact_functions[] =
	"pipec_import() {\n"
	"\tmkdir -p \"$(dirname \"$2\")\" && cp -a " KUBE_ARTIFACTS_PATH "/\"$1\"/. \"$(dirname \"$2\")\"/ ||\n"
	"\t\t{ echo \"importing artifact '$1' failed\" >&2; return 1; }\n"
	"}\n"
	"pipec_export() {\n"
	"\trm -rf " KUBE_ARTIFACTS_PATH "/\"$1\" && mkdir -p " KUBE_ARTIFACTS_PATH "/\"$1\" &&\n"
	"\t\tcp -a \"$2\" " KUBE_ARTIFACTS_PATH "/\"$1\"/ ||\n"
	"\t\t{ echo \"exporting '$2' as artifact '$1' failed\" >&2; return 1; }\n"
	"}\n";

char *kube_step_script(const struct ir_pipeline *p, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (!s->script)
		return NULL;
	struct text t = {0};
	if (!ex->nimports && !ex->nexports) {
		put(&t, s->script);
		return t.p;
	}
	put(&t, artifact_functions);
	put_imports(&t, p, s);
	/* The step's script in a subshell: its exit or `set -e` ends only it,
	 * and the exports run after it whatever its status. */
	put(&t, "(\n"), put(&t, s->script), put(&t, "\n)\npipec_rc=$?\n");
	put_exports(&t, s);
	put(&t, "[ \"$pipec_rc\" -ne 0 ] && exit \"$pipec_rc\"\nexit ${pipec_status:-0}\n");
	return t.p;
}

static void add_scripts(cJSON *cm, const struct ir_pipeline *p)
{
	cJSON *data = NULL;
	for (size_t i = 0; i < p->nsteps; i++) {
		char *script = p->steps[i].skip ? NULL : kube_step_script(p, &p->steps[i]);
		if (!script)
			continue;
		if (!data)
			data = cJSON_AddObjectToObject(cm, "data");
		char key[32];
		snprintf(key, sizeof key, "step-%zu", i);
		cJSON_AddStringToObject(data, key, script);
		free(script);
	}
}

static void add_files(cJSON *cm, const struct ir_pipeline *p)
{
	cJSON *bin = NULL;
	for (size_t i = 0; i < p->nfiles; i++) {
		if (p->files[i].archive)
			continue;
		if (!bin)
			bin = cJSON_AddObjectToObject(cm, "binaryData");
		char key[32];
		snprintf(key, sizeof key, "file-%zu", i);
		cJSON_AddStringToObject(bin, key, p->files[i].data ? p->files[i].data : "");
	}
}

cJSON *kube_config_map(const struct ir_pipeline *p, const char *name, const struct kube_pod_options *o)
{
	cJSON *cm = cJSON_CreateObject();
	cJSON_AddStringToObject(cm, "apiVersion", "v1");
	cJSON_AddStringToObject(cm, "kind", "ConfigMap");
	char def[KUBE_MAX_NAME + 1];
	if (!name)
		pipeline_name(p, "scripts", def, sizeof def);
	cJSON_AddItemToObject(cm, "metadata", kube_metadata(p, o->run_id, name ? name : def, NULL));
	add_scripts(cm, p);
	add_files(cm, p);
	if (!cJSON_GetObjectItemCaseSensitive(cm, "data") && !cJSON_GetObjectItemCaseSensitive(cm, "binaryData")) {
		cJSON_Delete(cm);
		return NULL;
	}
	return cm;
}
