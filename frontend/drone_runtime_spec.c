/*
 * drone_runtime_spec.c - reads drone-runtime's 2019 spec format:
 * `metadata`, `platform`, `secrets`, `files`, `steps` and a `docker`
 * section of registry auths and volumes.
 *
 * The format maps nearly field for field.  Its serial mode (no step has
 * depends_on) is made explicit as a chain of depends_on; references to
 * secrets, files and volumes that the file does not declare are warned
 * about and skipped, as drone-runtime skipped them.  Secret values and
 * registry passwords are never copied.  docs/drone-runtime.md is the
 * field-by-field table.
 */
#include <stdlib.h>
#include <string.h>

#include "frontend/drone_runtime.h"

static const char *const new_top_keys[] = {
	"metadata", "platform", "secrets", "steps", "files", "docker", "qemu",
	"fusion", NULL};
static const char *const meta_keys[] = {
	"uid", "namespace", "name", "labels", NULL};
static const char *const platform_keys[] = {
	"os", "arch", "variant", "version", NULL};
static const char *const data_keys[] = {"metadata", "data", NULL};
static const char *const docker_keys[] = {"auths", "volumes", NULL};
static const char *const auth_keys[] = {
	"address", "username", "password", NULL};
static const char *const volume_keys[] = {"metadata", "temp", "host", NULL};
static const char *const temp_keys[] = {"medium", "size_limit", NULL};
static const char *const host_keys[] = {"path", NULL};
static const char *const step_keys[] = {
	"metadata", "detach", "depends_on", "devices", "environment", "files",
	"ignore_err", "ignore_stderr", "ignore_stdout", "resources",
	"run_policy", "secrets", "volumes", "working_dir", "docker", NULL};
static const char *const step_docker_keys[] = {
	"image", "command", "args", "pull_policy", "privileged", "user",
	"network", "networks", "dns", "dns_search", "extra_hosts", "ports",
	NULL};
static const char *const port_keys[] = {"port", "host", "protocol", NULL};
static const char *const resources_keys[] = {"limits", "requests", NULL};
static const char *const limit_keys[] = {"cpu", "memory", NULL};
static const char *const secret_ref_keys[] = {"name", "env", NULL};
static const char *const mount_ref_keys[] = {"name", "path", NULL};
static const char *const file_ref_keys[] = {"name", "path", "mode", NULL};

struct meta {
	char *name, *uid;
};

/* "metadata": {"uid": "...", "namespace": "...", "name": "...", "labels": {}} */
static struct meta get_meta(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct jp mj;
	const cJSON *m = fe_dr_get_obj(im, o, "metadata", meta_keys, at, &mj);
	struct meta out = {0};
	if (!m)
		return out;
	out.name = fe_dr_get_str(im, m, "name", &mj);
	out.uid = fe_dr_get_str(im, m, "uid", &mj);
	fe_dr_get_str(im, m, "namespace", &mj);
	fe_dr_get_env(im, m, "labels", &mj);
	fe_dr_drop(im, m, "labels", &mj, "IR objects carry no labels");
	return out;
}

/* "temp": {"medium": "memory", "size_limit": 1024} */
static void new_temp_volume(struct imp *im, const char *name,
			    const cJSON *temp, const struct jp *tj,
			    const struct jp *at)
{
	char *medium = temp ? fe_dr_get_str(im, temp, "medium", tj) : NULL;
	int64_t size = temp ? fe_dr_get_int(im, temp, "size_limit", tj, 0, INT64_MAX) : 0;
	bool mem = medium && strcmp(medium, "memory") == 0;
	if (medium && !mem)
		diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, tj),
			 "drone-runtime-unknown-enum",
			 "unknown medium '%s' is read as a disk volume", medium);
	if (size && !mem)
		fe_dr_drop(im, temp, "size_limit", tj, "drone-runtime sized memory "
			   "volumes only");
	struct ir_volume *v = fe_dr_add_volume(im, name, mem ? IR_VOLUME_TMPFS :
					       IR_VOLUME_TEMP, at);
	if (v && mem)
		v->size_limit = size;
}

/* "volumes": [{"metadata": {"name": "v"}, "temp": {} | "host": {"path": "/p"}}] */
static void new_volume(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct meta m = get_meta(im, o, at);
	struct jp tj, hj;
	const cJSON *temp = fe_dr_get_obj(im, o, "temp", temp_keys, at, &tj);
	const cJSON *host = fe_dr_get_obj(im, o, "host", host_keys, at, &hj);
	char *hpath = host ? fe_dr_get_str(im, host, "path", &hj) : NULL;
	if (!m.name)
		fe_dr_ignored(im, at, "volume without a name is ignored");
	else if (fe_dr_find_volume(im->p, m.name))
		diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, at),
			 "drone-runtime-duplicate-name",
			 "volume '%s' is declared twice; the first is used",
			 m.name);
	else if (host && !temp && !hpath)
		fe_dr_ignored(im, &hj, "host volume '%s' has no path and is ignored",
			      m.name);
	else if (host && !temp) {
		struct ir_volume *v = fe_dr_add_volume(im, m.name, IR_VOLUME_HOST, at);
		if (v)
			v->host_path = hpath;
	} else {
		if (!temp)
			fe_dr_ignored(im, at, "volume '%s' has neither 'temp' nor 'host' "
				      "and becomes a temp volume", m.name);
		new_temp_volume(im, m.name, temp, temp ? &tj : at, at);
	}
}

/* "auths": [{"address": "index.docker.io", "username": "u", "password": "p"}] */
static void new_auths(struct imp *im, const cJSON *docker, const struct jp *dj)
{
	struct objs it = {.known = auth_keys,
			  .strs = {"address", "username", "password"}};
	fe_dr_objs_open(im, &it, docker, "auths", dj);
	while (fe_dr_objs_next(im, &it))
		if (it.s[1] || it.s[2])
			diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, &it.at),
				 "drone-runtime-secret-value",
				 "credentials for registry '%s' are not carried into "
				 "the IR; supply them at run time",
				 it.s[0] ? it.s[0] : "");
}

/* "docker": {"auths": [...], "volumes": [...]} */
static void new_docker(struct imp *im, const cJSON *top)
{
	struct jp dj;
	const cJSON *docker = fe_dr_get_obj(im, top, "docker", docker_keys, NULL, &dj);
	if (!docker)
		return;
	new_auths(im, docker, &dj);
	fe_dr_each_obj(im, docker, "volumes", &dj, volume_keys, new_volume);
}

/* "secrets": [{"metadata": {"name": "s"}, "data": "value"}] */
static void new_secret(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct meta m = get_meta(im, o, at);
	char *data = fe_dr_get_str(im, o, "data", at);
	if (!m.name) {
		fe_dr_ignored(im, at, "secret without a name is ignored");
		return;
	}
	if (data)
		fe_dr_secret_value_dropped(im, m.name, at);
	fe_dr_add_secret(im, m.name, at);
}

/* "files": [{"metadata": {"name": "f"}, "data": "<base64>"}] */
static void new_file(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct meta m = get_meta(im, o, at);
	const cJSON *f = fe_dr_field(o, "data");
	struct jp dj = {at, f ? f->string : "data", 0};
	char *data = ir_strdup(im->a, "");
	size_t bad;
	if (f && !cJSON_IsString(f))
		fe_dr_type_error(im, &dj, "a string", f);
	else if (f && !(data = fe_dr_b64_clean(im->a, f->valuestring,
					       strlen(f->valuestring), &bad)))
		diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, &dj),
			 "drone-runtime-base64",
			 "illegal base64 data at input byte %zu", bad);
	if (!m.name)
		fe_dr_ignored(im, at, "file without a name cannot be referenced and is "
			      "ignored");
	else if (fe_dr_file_taken(im->p, m.name))
		diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, at),
			 "drone-runtime-duplicate-name",
			 "file '%s' is declared twice; the first is used",
			 m.name);
	else if (data)
		fe_dr_add_file(im, m.name, data, at);
}

static void unresolved(struct imp *im, const struct jp *at, const char *what,
		       const char *name, const char *where)
{
	if (name)
		fe_dr_ignored(im, at, "%s '%s' is not declared in '%s' and is ignored",
			      what, name, where);
	else
		fe_dr_ignored(im, at, "%s reference without a name is ignored", what);
}

/* "secrets": [{"name": "s", "env": "TOKEN"}] */
static void new_step_secrets(struct imp *im, struct ir_step *s,
			     const cJSON *o, const struct jp *sj)
{
	struct ir_step_extra *x = ir_step_extra_edit(s, im->a);
	struct objs it = {.known = secret_ref_keys, .strs = {"name", "env"}};
	x->secrets = fe_dr_room(im->a, fe_dr_objs_open(im, &it, o, "secrets", sj), 0,
				sizeof *x->secrets);
	while (fe_dr_objs_next(im, &it)) {
		char *name = it.s[0], *env = it.s[1];
		if (!name || !fe_dr_find_secret(im->p, name))
			unresolved(im, &it.at, "secret", name, "secrets");
		else
			x->secrets[x->nsecrets++] =
				(struct ir_secret_ref){name, env ? env : name};
	}
}

/* The declared volume an element `{name, path}` names; NULL after a warning. */
static struct ir_volume *ref_volume(struct imp *im, const struct objs *it,
				    const char *what)
{
	struct ir_volume *v = it->s[0] ? fe_dr_find_volume(im->p, it->s[0]) : NULL;
	if (!v)
		unresolved(im, &it->at, what, it->s[0], "docker.volumes");
	return v;
}

/* "volumes": [{"name": "v", "path": "/data"}] */
static void new_step_volumes(struct imp *im, struct ir_step *s,
			     const cJSON *o, const struct jp *sj)
{
	struct ir_step_extra *x = ir_step_extra_edit(s, im->a);
	struct objs it = {.known = mount_ref_keys, .strs = {"name", "path"}};
	x->volumes = fe_dr_room(im->a, fe_dr_objs_open(im, &it, o, "volumes", sj), 0,
				sizeof *x->volumes);
	while (fe_dr_objs_next(im, &it)) {
		struct ir_volume *v = ref_volume(im, &it, "volume");
		if (v && !it.s[1])
			fe_dr_ignored(im, &it.at, "mount of volume '%s' has no path and "
				      "is ignored", v->name);
		else if (v)
			x->volumes[x->nvolumes++] =
				(struct ir_mount){.name = v->name, .path = it.s[1]};
	}
}

/* "devices": [{"name": "host-volume", "path": "/dev/xvda"}] */
static void new_step_devices(struct imp *im, struct ir_step *s,
			     const cJSON *o, const struct jp *sj)
{
	struct ir_step_extra *x = ir_step_extra_edit(s, im->a);
	struct objs it = {.known = mount_ref_keys, .strs = {"name", "path"}};
	x->devices = fe_dr_room(im->a, fe_dr_objs_open(im, &it, o, "devices", sj), 0,
				sizeof *x->devices);
	while (fe_dr_objs_next(im, &it)) {
		struct ir_volume *v = ref_volume(im, &it, "device volume");
		if (v && (v->kind != IR_VOLUME_HOST || !it.s[1]))
			fe_dr_ignored(im, &it.at, "device '%s' needs a host volume and "
				      "a path and is ignored", it.s[0]);
		else if (v)
			x->devices[x->ndevices++] =
				(struct ir_device){v->host_path, it.s[1]};
	}
}

/* "files": [{"name": "script", "path": "/usr/bin/init", "mode": 493}] */
static void new_step_files(struct imp *im, struct ir_step *s,
			   const cJSON *o, const struct jp *sj)
{
	struct ir_step_extra *x = ir_step_extra_edit(s, im->a);
	struct objs it = {.known = file_ref_keys, .strs = {"name", "path"}};
	x->files = fe_dr_room(im->a, fe_dr_objs_open(im, &it, o, "files", sj), 0,
			      sizeof *x->files);
	for (const cJSON *r; (r = fe_dr_objs_next(im, &it));) {
		char *name = it.s[0], *path = it.s[1];
		int64_t mode = fe_dr_get_int(im, r, "mode", &it.at, 0, UINT32_MAX);
		if (!name || !fe_dr_file_taken(im->p, name))
			unresolved(im, &it.at, "file", name, "files");
		else if (!path)
			fe_dr_ignored(im, &it.at, "file '%s' has no path and is ignored",
				      name);
		else
			x->files[x->nfiles++] = (struct ir_file_mount){
				name, path, (int)(mode & 07777)};
	}
}

/*
 * "ports": [{"port": 6379, "host": 6379, "protocol": "TCP"}].  A port
 * without `port` names no container port: an error, not port 0.
 */
static void new_step_ports(struct imp *im, struct ir_step *s,
			   const cJSON *d, const struct jp *dj)
{
	struct ir_step_extra *x = ir_step_extra_edit(s, im->a);
	struct objs it = {.known = port_keys};
	x->ports = fe_dr_room(im->a, fe_dr_objs_open(im, &it, d, "ports", dj), 0,
			      sizeof *x->ports);
	for (const cJSON *r; (r = fe_dr_objs_next(im, &it));) {
		if (!fe_dr_field(r, "port")) {
			diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, &it.at), "missing-key",
				 "port without 'port': no container port is named");
			continue;
		}
		x->ports[x->nports++] = (struct ir_port){
			.port = (int)fe_dr_get_int(im, r, "port", &it.at, 1, 65535),
			.host = (int)fe_dr_get_int(im, r, "host", &it.at, 0, 65535),
			.protocol = fe_dr_get_str(im, r, "protocol", &it.at)};
	}
}

/* "resources": {"limits": {"cpu": 500, "memory": 1073741824}, "requests": {...}} */
static void new_resources(struct imp *im, struct ir_step *s, const cJSON *o,
			  const struct jp *sj)
{
	struct jp rj, lj, qj;
	const cJSON *r = fe_dr_get_obj(im, o, "resources", resources_keys, sj, &rj);
	if (!r)
		return;
	const cJSON *l = fe_dr_get_obj(im, r, "limits", limit_keys, &rj, &lj);
	const cJSON *q = fe_dr_get_obj(im, r, "requests", limit_keys, &rj, &qj);
	if (l) {
		struct ir_step_extra *x = ir_step_extra_edit(s, im->a);
		x->resources.cpu_millis = fe_dr_get_int(im, l, "cpu", &lj, 0, INT64_MAX);
		x->resources.memory = fe_dr_get_int(im, l, "memory", &lj, 0, INT64_MAX);
	}
	if (q) {
		fe_dr_get_int(im, q, "cpu", &qj, 0, INT64_MAX);
		fe_dr_get_int(im, q, "memory", &qj, 0, INT64_MAX);
	}
	fe_dr_drop(im, r, "requests", &rj, "IR resources are limits only");
}

/* "docker": {"image": "i", "command": [entrypoint], "args": [command], ...} */
static void new_step_docker(struct imp *im, struct ir_step *s, const cJSON *o,
			    const struct jp *sj)
{
	struct ir_step_extra *x = ir_step_extra_edit(s, im->a);
	struct jp dj;
	const cJSON *d = fe_dr_get_obj(im, o, "docker", step_docker_keys, sj, &dj);
	if (!d)
		return;
	s->image = fe_dr_get_str(im, d, "image", &dj);
	x->entrypoint = fe_dr_get_strs(im, d, "command", &dj);
	s->command = fe_dr_get_strs(im, d, "args", &dj);
	s->pull = fe_dr_get_enum(im, d, "pull_policy", &dj, ir_pull_parse, "default");
	s->privileged = fe_dr_get_bool(im, d, "privileged", &dj);
	x->user = fe_dr_get_str(im, d, "user", &dj);
	x->network_mode = fe_dr_get_str(im, d, "network", &dj);
	x->networks = fe_dr_get_strs(im, d, "networks", &dj);
	if (x->network_mode && x->networks.n) {
		fe_dr_drop(im, d, "networks", &dj, "drone-runtime joined no network "
			   "when 'network' was set");
		x->networks = (struct ir_strs){0};
	}
	x->dns = fe_dr_get_strs(im, d, "dns", &dj);
	x->dns_search = fe_dr_get_strs(im, d, "dns_search", &dj);
	x->extra_hosts = fe_dr_get_strs(im, d, "extra_hosts", &dj);
	new_step_ports(im, s, d, &dj);
}

static void new_step(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct ir_step *s = fe_dr_add_step(im, at);
	if (!s)
		return;
	struct meta m = get_meta(im, o, at);
	fe_dr_name_step(im, s, m.name ? m.name : m.uid ? m.uid :
			ir_printf(im->a, "step_%zu", at->index), at);
	s->detach = fe_dr_get_bool(im, o, "detach", at);
	s->depends_on = fe_dr_get_strs(im, o, "depends_on", at);
	s->environment = fe_dr_get_env(im, o, "environment", at);
	s->ignore_error = fe_dr_get_bool(im, o, "ignore_err", at);
	s->run_policy = fe_dr_get_enum(im, o, "run_policy", at, ir_run_policy_parse,
				       "on-success");
	ir_step_extra_edit(s, im->a)->working_dir = fe_dr_get_str(im, o, "working_dir", at);
	fe_dr_get_bool(im, o, "ignore_stdout", at);
	fe_dr_get_bool(im, o, "ignore_stderr", at);
	fe_dr_drop(im, o, "ignore_stdout", at, "drone-runtime never used it");
	fe_dr_drop(im, o, "ignore_stderr", at, "drone-runtime never used it");
	new_resources(im, s, o, at);
	new_step_secrets(im, s, o, at);
	new_step_volumes(im, s, o, at);
	new_step_devices(im, s, o, at);
	new_step_files(im, s, o, at);
	new_step_docker(im, s, o, at);
}

/*
 * Without any depends_on drone-runtime ran the steps one at a time in
 * order; the IR says so with a chain.
 */
static void serial_chain(struct imp *im)
{
	struct ir_pipeline *p = im->p;
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].depends_on.n)
			return;
	for (size_t i = 1; i < p->nsteps; i++) {
		char **prev = ir_calloc(im->a, 1, sizeof *prev);
		prev[0] = p->steps[i - 1].name;
		p->steps[i].depends_on = (struct ir_strs){prev, 1};
	}
}

/* "platform": {"os": "linux", "arch": "amd64", "variant": "", "version": ""} */
static void new_platform(struct imp *im, const cJSON *top)
{
	struct jp pj;
	const cJSON *o = fe_dr_get_obj(im, top, "platform", platform_keys, NULL, &pj);
	if (!o)
		return;
	im->p->platform = (struct ir_platform){
		.os = fe_dr_get_str(im, o, "os", &pj),
		.arch = fe_dr_get_str(im, o, "arch", &pj),
		.variant = fe_dr_get_str(im, o, "variant", &pj),
		.version = fe_dr_get_str(im, o, "version", &pj)};
}

void fe_dr_spec_import(struct imp *im, const cJSON *top)
{
	fe_dr_check_keys(im, top, new_top_keys, NULL);
	im->p->name = get_meta(im, top, NULL).name;
	new_platform(im, top);
	fe_dr_drop(im, top, "qemu", NULL, "drone-runtime reserved it and never used it");
	fe_dr_drop(im, top, "fusion", NULL, "drone-runtime reserved it and never used it");
	new_docker(im, top);
	fe_dr_each_obj(im, top, "secrets", NULL, data_keys, new_secret);
	fe_dr_each_obj(im, top, "files", NULL, data_keys, new_file);
	fe_dr_each_obj(im, top, "steps", NULL, step_keys, new_step);
	serial_chain(im);
}

bool fe_dr_is_spec(const cJSON *top)
{
	return fe_dr_has_any(top, new_top_keys);
}
