/*
 * drone_runtime.c - the 2019 spec format of drone-runtime: one JSON
 * object per pipeline, which pipec's own importer reads back.
 *
 * The format maps the IR nearly field for field (docs/drone-runtime.md is
 * the reader's table; this is its inverse).  What it lacks is filled the
 * way drone's compiler filled it: the workspace is a temp volume mounted
 * at the workspace base with every step's working_dir below it, a script
 * runs as `shell -c script`, a pipeline's environment is copied into each
 * step's, a device is a host volume of its own.  Names the importer gives
 * back (volumes, device volumes) are chosen so that emitting what it read
 * gives the same text.  A file holds one pipeline: a document with
 * several is written as one object per pipeline, in order, one after the
 * other.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "emit/internal.h"

/* The temp volume that stands for the workspace; the importer absorbs it. */
#define WORKSPACE_VOLUME "drone_workspace"

static const unsigned lacks = EMIT_RETRIES | EMIT_TIMEOUT | EMIT_HEALTH | EMIT_EXPORTS |
			      EMIT_IMPORTS | EMIT_SHM;

static cJSON *meta(cJSON *obj, const char *name)
{
	cJSON *m = cJSON_AddObjectToObject(obj, "metadata");
	cJSON_AddStringToObject(m, "name", name);
	return m;
}

/* An exec pipeline becomes a container one: the normalizer's default platform. */
static void add_platform(cJSON *top, const struct ir_platform *pl)
{
	cJSON *o = cJSON_AddObjectToObject(top, "platform");
	const char *const kv[][2] = {{"os", pl->os ? pl->os : "linux"},
				     {"arch", pl->arch ? pl->arch : "amd64"},
				     {"variant", pl->variant}, {"version", pl->version}};
	for (size_t i = 0; i < 4; i++)
		if (kv[i][1])
			cJSON_AddStringToObject(o, kv[i][0], kv[i][1]);
}

static void add_secrets(struct emit *e, cJSON *top, const struct ir_pipeline *p)
{
	if (!p->nsecrets)
		return;
	cJSON *arr = cJSON_AddArrayToObject(top, "secrets");
	for (size_t i = 0; i < p->nsecrets; i++) {
		const struct ir_secret *s = &p->secrets[i];
		cJSON *o = cJSON_CreateObject();
		meta(o, s->name);
		cJSON_AddItemToArray(arr, o);
		if (s->source != IR_SECRET_RUNTIME)
			emit_warn(e, s->pos, "secret '%s' is read from %s '%s' by pipec; "
				  "drone-runtime takes its value from its caller",
				  s->name, ir_secret_source_name(s->source), s->ref);
	}
}

static void add_files(struct emit *e, cJSON *top, const struct ir_pipeline *p)
{
	if (!p->nfiles)
		return;
	cJSON *arr = cJSON_AddArrayToObject(top, "files");
	for (size_t i = 0; i < p->nfiles; i++) {
		cJSON *o = cJSON_CreateObject();
		meta(o, p->files[i].name);
		cJSON_AddStringToObject(o, "data", p->files[i].data);
		cJSON_AddItemToArray(arr, o);
		if (p->files[i].archive)
			emit_warn(e, p->files[i].pos, "file '%s' is an archive; drone-runtime "
				  "copies it as one file instead of extracting it", p->files[i].name);
	}
}

static void add_volume(cJSON *arr, const struct ir_volume *v)
{
	cJSON *o = cJSON_CreateObject();
	meta(o, v->name);
	if (v->kind == IR_VOLUME_HOST) {
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "host"), "path", v->host_path);
	} else {
		cJSON *t = cJSON_AddObjectToObject(o, "temp");
		if (v->kind == IR_VOLUME_TMPFS) {
			cJSON_AddStringToObject(t, "medium", "memory");
			if (v->size_limit)
				cJSON_AddNumberToObject(t, "size_limit", (double)v->size_limit);
		}
	}
	cJSON_AddItemToArray(arr, o);
}

/* The host volume a device of `host_path` is reached through. */
static const char *device_volume(struct emit *e, const struct ir_pipeline *p,
				 const char *host_path)
{
	for (size_t i = 0; i < p->nvolumes; i++)
		if (p->volumes[i].kind == IR_VOLUME_HOST &&
		    strcmp(p->volumes[i].host_path, host_path) == 0)
			return p->volumes[i].name;
	return ir_printf(e->a, "device-%s", emit_dns_label(e, host_path, 56));
}

static void add_docker(struct emit *e, cJSON *top, const struct ir_pipeline *p)
{
	cJSON *arr = cJSON_CreateArray();
	if (p->workspace.base) {
		struct ir_volume ws = {.name = WORKSPACE_VOLUME, .kind = IR_VOLUME_TEMP};
		add_volume(arr, &ws);
	}
	for (size_t i = 0; i < p->nvolumes; i++)
		add_volume(arr, &p->volumes[i]);
	/* device volumes, each host path once */
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < ir_step_extra(&p->steps[i])->ndevices; k++) {
			const char *hp = ir_step_extra(&p->steps[i])->devices[k].host_path;
			const char *name = device_volume(e, p, hp);
			bool seen = false;
			for (const cJSON *c = arr->child; c && !seen; c = c->next)
				seen = strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "metadata"),
								   "name")->valuestring, name) == 0;
			if (!seen) {
				struct ir_volume v = {.name = (char *)name, .kind = IR_VOLUME_HOST,
						      .host_path = (char *)hp};
				add_volume(arr, &v);
			}
		}
	if (!arr->child) {
		cJSON_Delete(arr);
		return;
	}
	cJSON_AddItemToObject(cJSON_AddObjectToObject(top, "docker"), "volumes", arr);
}

static void step_mounts(struct emit *e, cJSON *o, const struct ir_pipeline *p,
			const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *vols = cJSON_CreateArray();
	if (p->workspace.base) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", WORKSPACE_VOLUME);
		cJSON_AddStringToObject(m, "path", p->workspace.base);
		cJSON_AddItemToArray(vols, m);
	}
	for (size_t i = 0; i < ex->nvolumes; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", ex->volumes[i].name);
		cJSON_AddStringToObject(m, "path", ex->volumes[i].path);
		cJSON_AddItemToArray(vols, m);
		if (ex->volumes[i].read_only)
			emit_warn(e, s->pos, "volume '%s' of step '%s' is mounted writable: "
				  "the format has no read-only mounts", ex->volumes[i].name, s->name);
	}
	if (vols->child)
		cJSON_AddItemToObject(o, "volumes", vols);
	else
		cJSON_Delete(vols);
	if (ex->ndevices) {
		cJSON *arr = cJSON_AddArrayToObject(o, "devices");
		for (size_t i = 0; i < ex->ndevices; i++) {
			cJSON *m = cJSON_CreateObject();
			cJSON_AddStringToObject(m, "name", device_volume(e, p, ex->devices[i].host_path));
			cJSON_AddStringToObject(m, "path", ex->devices[i].path);
			cJSON_AddItemToArray(arr, m);
		}
	}
	if (ex->nfiles) {
		cJSON *arr = cJSON_AddArrayToObject(o, "files");
		for (size_t i = 0; i < ex->nfiles; i++) {
			cJSON *m = cJSON_CreateObject();
			cJSON_AddStringToObject(m, "name", ex->files[i].name);
			cJSON_AddStringToObject(m, "path", ex->files[i].path);
			cJSON_AddNumberToObject(m, "mode", ex->files[i].mode);
			cJSON_AddItemToArray(arr, m);
		}
	}
}

static void step_secrets(cJSON *o, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (!ex->nsecrets)
		return;
	cJSON *arr = cJSON_AddArrayToObject(o, "secrets");
	for (size_t i = 0; i < ex->nsecrets; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", ex->secrets[i].name);
		cJSON_AddStringToObject(m, "env", ex->secrets[i].env);
		cJSON_AddItemToArray(arr, m);
	}
}

static void add_env(cJSON *o, const char *key, const struct ir_env *env)
{
	if (!env->n)
		return;
	cJSON *m = cJSON_AddObjectToObject(o, key);
	for (size_t i = 0; i < env->n; i++)
		cJSON_AddStringToObject(m, env->v[i].key, env->v[i].value);
}

static void add_strs(cJSON *o, const char *key, const struct ir_strs *v)
{
	if (v->n)
		emit_json_strs(o, key, v);
}

static void docker_ports(cJSON *d, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (!ex->nports)
		return;
	cJSON *arr = cJSON_AddArrayToObject(d, "ports");
	for (size_t i = 0; i < ex->nports; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddNumberToObject(m, "port", ex->ports[i].port);
		if (ex->ports[i].host)
			cJSON_AddNumberToObject(m, "host", ex->ports[i].host);
		if (ex->ports[i].protocol)
			cJSON_AddStringToObject(m, "protocol", ex->ports[i].protocol);
		cJSON_AddItemToArray(arr, m);
	}
}

/* An empty list is the image's own in drone-runtime, as an absent one. */
static void argv_list(struct emit *e, cJSON *d, const char *key, const struct ir_step *s,
		      const char *what, const struct ir_strs *v)
{
	if (v->n)
		emit_json_strs(d, key, v);
	else if (v->v)
		emit_warn(e, s->pos, "the empty %s of step '%s' means the image's in drone-runtime",
			  what, s->name);
}

/* "docker": {"image", "command" (the entrypoint), "args" (the command), ...} */
static void step_docker(struct emit *e, cJSON *o, const struct ir_pipeline *p,
			const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *d = cJSON_AddObjectToObject(o, "docker");
	cJSON_AddStringToObject(d, "image", emit_image(e, p, s));
	if (s->script) {
		const char *sh = s->shell ? s->shell : "/bin/sh";
		cJSON *c = cJSON_AddArrayToObject(d, "command");
		cJSON_AddItemToArray(c, cJSON_CreateString(sh));
		cJSON_AddItemToArray(c, cJSON_CreateString("-c"));
		cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "args"), cJSON_CreateString(s->script));
	} else {
		argv_list(e, d, "command", s, "entrypoint", &ex->entrypoint);
		argv_list(e, d, "args", s, "command", &s->command);
	}
	if (s->pull != IR_PULL_DEFAULT)
		cJSON_AddStringToObject(d, "pull_policy", ir_pull_name(s->pull));
	if (s->privileged)
		cJSON_AddBoolToObject(d, "privileged", true);
	if (ex->user)
		cJSON_AddStringToObject(d, "user", ex->user);
	if (ex->network_mode)
		cJSON_AddStringToObject(d, "network", ex->network_mode);
	add_strs(d, "networks", &ex->networks);
	add_strs(d, "dns", &ex->dns);
	add_strs(d, "dns_search", &ex->dns_search);
	add_strs(d, "extra_hosts", &ex->extra_hosts);
	docker_ports(d, s);
}

/*
 * Without any depends_on drone-runtime runs the steps one at a time, and
 * the importer chains them: say so, so the text reads back as written.
 * Independent steps that are not services then lose their parallelism.
 */
static struct ir_strs serial_depends(struct emit *e, const struct ir_pipeline *p,
				     const struct ir_step *s)
{
	size_t i = emit_step_index(p, s), jobs = 0;
	for (size_t k = 0; k < p->nsteps; k++) {
		if (p->steps[k].depends_on.n)
			return s->depends_on;
		jobs += !p->steps[k].detach;
	}
	if (i == 0)
		return s->depends_on;
	if (jobs > 1 && !s->detach)
		emit_warn(e, s->pos, "step '%s' runs after step '%s': drone-runtime runs steps "
			  "without depends_on one at a time", s->name, p->steps[i - 1].name);
	char **prev = ir_calloc(e->a, 1, sizeof *prev);
	prev[0] = p->steps[i - 1].name;
	return (struct ir_strs){prev, 1};
}

static cJSON *step(struct emit *e, const struct ir_pipeline *p, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	emit_check_step(e, s, lacks);
	cJSON *o = cJSON_CreateObject();
	cJSON *m = meta(o, s->name);
	cJSON_AddStringToObject(m, "uid", ir_printf(e->a, "%s-%zu", emit_dns_label(e, s->name, 40),
						    emit_step_index(p, s)));
	if (s->detach)
		cJSON_AddBoolToObject(o, "detach", true);
	struct ir_strs deps = serial_depends(e, p, s);
	add_strs(o, "depends_on", &deps);
	struct ir_env env = emit_step_env(e, p, s);
	add_env(o, "environment", &env);
	if (s->ignore_error)
		cJSON_AddBoolToObject(o, "ignore_err", true);
	if (ex->resources.cpu_millis || ex->resources.memory) {
		cJSON *l = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "resources"), "limits");
		if (ex->resources.cpu_millis)
			cJSON_AddNumberToObject(l, "cpu", (double)ex->resources.cpu_millis);
		if (ex->resources.memory)
			cJSON_AddNumberToObject(l, "memory", (double)ex->resources.memory);
	}
	if (s->run_policy != IR_RUN_ON_SUCCESS)
		cJSON_AddStringToObject(o, "run_policy", ir_run_policy_name(s->run_policy));
	step_secrets(o, s);
	step_mounts(e, o, p, s);
	const char *wd = emit_workdir(e, p, s);
	if (wd)
		cJSON_AddStringToObject(o, "working_dir", wd);
	step_docker(e, o, p, s);
	return o;
}

static cJSON *pipeline(struct emit *e, const struct ir_pipeline *p, size_t index)
{
	emit_check_pipeline(e, p, EMIT_P_TIMEOUT | EMIT_P_NETWORKS | EMIT_P_PULL_SECRETS);
	if (index > 0)
		emit_warn(e, p->pos, "pipeline '%s' is written as a JSON object of its own after "
			  "the one before: drone-runtime reads one pipeline per file",
			  p->name);
	if (p->depends_on.n || p->run_policy != IR_RUN_ON_SUCCESS)
		emit_warn(e, p->pos, "the order of pipeline '%s' after others is dropped: "
			  "drone-runtime runs one pipeline", p->name);
	cJSON *top = cJSON_CreateObject();
	cJSON_AddStringToObject(meta(top, p->name), "namespace", emit_dns_label(e, p->name, 63));
	add_platform(top, &p->platform);
	add_secrets(e, top, p);
	add_files(e, top, p);
	add_docker(e, top, p);
	cJSON *steps = cJSON_AddArrayToObject(top, "steps");
	for (size_t i = 0; i < p->nsteps; i++)
		cJSON_AddItemToArray(steps, step(e, p, &p->steps[i]));
	return top;
}

char *emit_drone_runtime(const struct ir_doc *doc, const struct emit_options *opt,
			 struct diag_list *dl)
{
	struct emit e;
	emit_begin(&e, "drone-runtime", opt, dl);
	struct emit_stream out;
	if (emit_stream_begin(&e, &out) < 0)
		return emit_end(&e, NULL);
	for (size_t i = 0; i < doc->npipelines; i++) {
		cJSON *top = pipeline(&e, &doc->pipelines[i], i);
		char *text = emit_json(&e, top);
		cJSON_Delete(top);
		if (text)
			fputs(text, out.fp);
		free(text);
	}
	return emit_end(&e, emit_stream_end(&e, &out));
}
