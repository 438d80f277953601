/*
 * drone_runtime_stages.c - reads drone-runtime's 2017-18 format: a
 * `pipeline` of stages, each a list of steps that ran in parallel, with
 * `networks` and `volumes` declared at the top.
 *
 * Each step becomes an IR step that depends on every step of the stage
 * before it.  Fields map one to one where the IR has the concept; the
 * rest are noted as dropped.  backup/restore become artifact exports and
 * imports, a `data:` restore an inline archive file.  Secret values and
 * registry passwords are never copied: the IR names secrets and the
 * runtime asks for their values.  docs/drone-runtime.md is the
 * field-by-field table.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frontend/drone_runtime.h"

static const char *const old_top_keys[] = {
	"version", "pipeline", "networks", "volumes", "secrets", NULL};
static const char *const old_stage_keys[] = {"name", "alias", "steps", NULL};
static const char *const old_netvol_keys[] = {
	"name", "driver", "driver_opts", NULL};
static const char *const old_step_keys[] = {
	"id", "name", "alias", "image", "pull", "detach", "privileged",
	"working_dir", "secrets", "environment", "labels", "entrypoint",
	"command", "commands", "extra_hosts", "volumes", "tmpfs", "devices",
	"networks", "dns", "dns_search", "memswap_limit", "mem_limit",
	"shm_size", "cpu_quota", "cpu_shares", "cpu_set", "err_ignore",
	"on_success", "on_failure", "auth_config", "network_mode", "ipc_mode",
	"exports", "sysctls", "backup", "restore", NULL};
static const char *const old_secret_keys[] = {
	"name", "value", "mount", "mask", NULL};
static const char *const old_mount_keys[] = {
	"name", "source", "target", NULL};
static const char *const old_device_keys[] = {"source", "target", NULL};
static const char *const old_stepnet_keys[] = {
	"name", "aliases", "ports", NULL};
static const char *const old_auth_keys[] = {
	"username", "password", "email", NULL};
static const char *const old_copy_keys[] = {"source", "target", "data", NULL};

/* "networks": [{"name": "n", "driver": "bridge", "driver_opts": {}}] */
static void old_networks(struct imp *im, const cJSON *top)
{
	struct objs it = {.known = old_netvol_keys, .strs = {"name", "driver"}};
	struct ir_pipeline *p = im->p;
	p->networks = fe_dr_room(im->a, fe_dr_objs_open(im, &it, top, "networks", NULL), 0,
				 sizeof *p->networks);
	for (const cJSON *o; (o = fe_dr_objs_next(im, &it));) {
		fe_dr_drop(im, o, "driver_opts", &it.at, "IR networks carry no driver options");
		if (!it.s[0])
			fe_dr_unnamed(im, &it, "network");
		else
			p->networks[p->nnetworks++] =
				(struct ir_network){it.s[0], it.s[1]};
	}
}

/* "volumes": [{"name": "v", "driver": "local", "driver_opts": {}}] */
static void old_volumes(struct imp *im, const cJSON *top)
{
	struct objs it = {.known = old_netvol_keys, .strs = {"name", "driver"}};
	fe_dr_objs_open(im, &it, top, "volumes", NULL);
	for (const cJSON *o; (o = fe_dr_objs_next(im, &it));) {
		char *name = it.s[0], *driver = it.s[1];
		if (driver && strcmp(driver, "local") != 0)
			fe_dr_dropped(im, &it.at, "volume driver '%s' is dropped: IR "
				      "volumes are local", driver);
		fe_dr_drop(im, o, "driver_opts", &it.at, "IR volumes carry no driver options");
		if (!name)
			fe_dr_unnamed(im, &it, "volume");
		else if (fe_dr_find_volume(im->p, name))
			diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, &it.at),
				 "drone-runtime-duplicate-name",
				 "volume '%s' is declared twice", name);
		else
			fe_dr_add_volume(im, name, IR_VOLUME_TEMP, &it.at);
	}
}

/* "secrets": [{"name": "TOKEN", "value": "...", "mask": true}] */
static void old_secrets(struct imp *im, struct ir_step *s, const cJSON *o,
			const struct jp *sj)
{
	struct objs it = {.known = old_secret_keys,
			  .strs = {"name", "value", "mount"}};
	s->extra->secrets = fe_dr_room(im->a, fe_dr_objs_open(im, &it, o, "secrets", sj), 0,
				sizeof *s->extra->secrets);
	for (const cJSON *so; (so = fe_dr_objs_next(im, &it));) {
		char *name = it.s[0];
		fe_dr_get_bool(im, so, "mask", &it.at);
		if (!name) {
			fe_dr_unnamed(im, &it, "secret");
			continue;
		}
		if (it.s[1])
			fe_dr_secret_value_dropped(im, name, &it.at);
		fe_dr_add_secret(im, name, &it.at);
		s->extra->secrets[s->extra->nsecrets++] = (struct ir_secret_ref){name, name};
	}
}

/*
 * The top-level "secrets": [{"name": "TOKEN", "value": "..."}] the
 * samples carry: each names a secret of the pipeline.
 */
static void old_top_secret(struct imp *im, const cJSON *o, const struct jp *at)
{
	char *name = fe_dr_get_str(im, o, "name", at);
	char *value = fe_dr_get_str(im, o, "value", at);
	fe_dr_get_str(im, o, "mount", at);
	fe_dr_get_bool(im, o, "mask", at);
	if (!name) {
		fe_dr_ignored(im, at, "secret without a name is ignored");
		return;
	}
	if (value)
		fe_dr_secret_value_dropped(im, name, at);
	fe_dr_add_secret(im, name, at);
}

/* A host path bind, one pipeline volume per distinct path. */
static struct ir_volume *host_volume(struct imp *im, const char *path,
				     const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	for (size_t i = 0; i < p->nvolumes; i++)
		if (p->volumes[i].host_path && strcmp(p->volumes[i].host_path, path) == 0)
			return &p->volumes[i];
	struct ir_volume *v = fe_dr_add_volume(im, "host", IR_VOLUME_HOST, at);
	if (v)
		v->host_path = ir_strdup(im->a, path);
	return v;
}

/* The volume a mount `{name|source, target}` names, or NULL. */
static struct ir_volume *old_mount_volume(struct imp *im, const char *name,
					  const char *source,
					  const struct jp *at)
{
	if (!name)
		return host_volume(im, source, at);
	struct ir_volume *v = fe_dr_find_volume(im->p, name);
	if (v)
		return v;
	diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, at),
		 "drone-runtime-unresolved-ref",
		 "volume '%s' is not declared in 'volumes' and becomes a temp volume",
		 name);
	return fe_dr_add_volume(im, name, IR_VOLUME_TEMP, at);
}

/* "volumes": [{"name": "v", "target": "/data"}, {"source": "/host", "target": "/x:ro"}] */
static void old_mounts(struct imp *im, struct ir_step *s, struct objs *it)
{
	while (fe_dr_objs_next(im, it)) {
		char *name = it->s[0], *source = it->s[1], *target = it->s[2];
		if (!target || (!name && !source)) {
			fe_dr_ignored(im, &it->at, "volume mount without %s is ignored",
				      target ? "a name or source" : "a target");
			continue;
		}
		struct ir_volume *v = old_mount_volume(im, name, source, &it->at);
		if (!v)
			continue;
		struct ir_mount *m = &s->extra->volumes[s->extra->nvolumes++];
		m->name = v->name;
		m->path = fe_dr_mount_target(im->a, target, &m->read_only);
	}
}

/* Reads `N`, `Nk`, `Nm`, `Ng` (a tmpfs size= option); -1 when malformed. */
static int64_t parse_size(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	const char *units = "kmg";
	const char *u = *end ? strchr(units, *end | 0x20) : NULL;
	if (end == s || n < 0 || (*end && (!u || end[1])))
		return -1;
	for (int i = u ? (int)(u - units) + 1 : 0; i > 0; i--) {
		if (n > INT64_MAX / 1024)
			return -1;
		n *= 1024;
	}
	return n;
}

/*
 * "tmpfs": ["/run", "/cache:size=64m"].  Like drone-runtime, only the
 * text between the first and second `:` counts as options.
 */
static void old_tmpfs_one(struct imp *im, struct ir_step *s, const char *spec,
			  const struct jp *at)
{
	const char *colon = strchr(spec, ':');
	if (colon == spec) {
		diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, at),
			 "drone-runtime-unresolved-ref",
			 "tmpfs without a path is ignored");
		return;
	}
	char *path = ir_strndup(im->a, spec, colon ? (size_t)(colon - spec) : strlen(spec));
	struct ir_volume *v = fe_dr_add_volume(im, "tmpfs", IR_VOLUME_TMPFS, at);
	if (!v)
		return;
	const char *opts = colon ? colon + 1 : "";
	size_t olen = strcspn(opts, ":");
	for (char *o = ir_strndup(im->a, opts, olen), *tok; (tok = strsep(&o, ","));) {
		if (strncmp(tok, "size=", 5) == 0 && parse_size(tok + 5) >= 0)
			v->size_limit = parse_size(tok + 5);
		else if (*tok)
			diag_add(im->dl, DIAG_NOTE, fe_dr_pos(im, at),
				 "drone-runtime-dropped",
				 "tmpfs option '%s' is dropped: IR tmpfs volumes carry a size only",
				 tok);
	}
	s->extra->volumes[s->extra->nvolumes++] = (struct ir_mount){.name = v->name, .path = path};
}

static void old_tmpfs(struct imp *im, struct ir_step *s, const cJSON *arr,
		      const struct jp *aj)
{
	const cJSON *e;
	size_t i = 0;
	cJSON_ArrayForEach(e, arr) {
		struct jp at = {aj, NULL, i++};
		if (!cJSON_IsString(e))
			fe_dr_type_error(im, &at, "a string", e);
		else if (*e->valuestring)
			old_tmpfs_one(im, s, e->valuestring, &at);
	}
}

static void old_step_volumes(struct imp *im, struct ir_step *s,
			     const cJSON *o, const struct jp *sj)
{
	struct objs it = {.known = old_mount_keys,
			  .strs = {"name", "source", "target"}};
	struct jp tj;
	const cJSON *arr = fe_dr_objs_open(im, &it, o, "volumes", sj);
	const cJSON *tmp = fe_dr_get_arr(im, o, "tmpfs", sj, &tj);
	s->extra->volumes = fe_dr_room(im->a, arr, (size_t)cJSON_GetArraySize(tmp),
				sizeof *s->extra->volumes);
	old_mounts(im, s, &it);
	old_tmpfs(im, s, tmp, &tj);
}

/* "devices": [{"source": "/dev/fuse", "target": "/dev/fuse"}] */
static void old_devices(struct imp *im, struct ir_step *s, const cJSON *o,
			const struct jp *sj)
{
	struct objs it = {.known = old_device_keys, .strs = {"source", "target"}};
	s->extra->devices = fe_dr_room(im->a, fe_dr_objs_open(im, &it, o, "devices", sj), 0,
				sizeof *s->extra->devices);
	while (fe_dr_objs_next(im, &it))
		if (fe_dr_both(im, &it, "device"))
			s->extra->devices[s->extra->ndevices++] = (struct ir_device){it.s[0], it.s[1]};
}

/*
 * Adds a network alias to the step's aliases, which the IR gives on every
 * network the step joins, unless it is the step's name or already there.
 */
static void add_alias(struct imp *im, struct ir_step *s, size_t *cap,
		      const char *alias)
{
	if (!*alias || strcmp(alias, s->name) == 0)
		return;
	for (size_t i = 0; i < s->extra->aliases.n; i++)
		if (strcmp(s->extra->aliases.v[i], alias) == 0)
			return;
	s->extra->aliases.v = fe_dr_grow(im->a, s->extra->aliases.v, s->extra->aliases.n, cap,
				  sizeof *s->extra->aliases.v);
	s->extra->aliases.v[s->extra->aliases.n++] = (char *)alias;
}

/* "networks": [{"name": "net", "aliases": ["svc", "database"]}] */
static void old_step_networks(struct imp *im, struct ir_step *s,
			      const cJSON *o, const struct jp *sj)
{
	struct objs it = {.known = old_stepnet_keys, .strs = {"name"}};
	const cJSON *arr = fe_dr_objs_open(im, &it, o, "networks", sj);
	if (arr && arr->child && s->extra->network_mode) {
		fe_dr_dropped(im, &it.arr, "'networks' is dropped: drone-runtime joined "
			      "no network when 'network_mode' was set");
		return;
	}
	s->extra->networks.v = fe_dr_room(im->a, arr, 0, sizeof *s->extra->networks.v);
	size_t cap = 0;
	for (const cJSON *n; (n = fe_dr_objs_next(im, &it));) {
		struct ir_strs aliases = fe_dr_get_strs(im, n, "aliases", &it.at);
		if (!it.s[0]) {
			fe_dr_unnamed(im, &it, "network");
			continue;
		}
		s->extra->networks.v[s->extra->networks.n++] = it.s[0];
		for (size_t k = 0; k < aliases.n; k++)
			add_alias(im, s, &cap, aliases.v[k]);
	}
	if (!s->extra->networks.n)
		s->extra->networks.v = NULL;
}

/*
 * "backup": [{"source": "/tmp", "target": "/snapshot/a"}]: after the step,
 * `source` is kept under the name `target`, an artifact export.
 */
static void old_backup(struct imp *im, struct ir_step *s, const cJSON *o,
		       const struct jp *sj)
{
	struct objs it = {.known = old_copy_keys, .strs = {"source", "target"}};
	s->extra->exports = fe_dr_room(im->a, fe_dr_objs_open(im, &it, o, "backup", sj), 0,
				sizeof *s->extra->exports);
	while (fe_dr_objs_next(im, &it))
		if (fe_dr_both(im, &it, "backup"))
			s->extra->exports[s->extra->nexports++] =
				(struct ir_artifact){.name = it.s[1], .path = it.s[0]};
}

/* The path a step of an earlier stage backs up to `name`, or NULL. */
static const char *backed_up_before(struct imp *im, const char *name)
{
	const char *path = NULL;
	for (size_t i = 0; i < im->stage_lo; i++) {
		const struct ir_step *s = &im->p->steps[i];
		for (size_t k = 0; k < s->extra->nexports; k++)
			if (strcmp(s->extra->exports[k].name, name) == 0)
				path = s->extra->exports[k].path;
	}
	return path;
}

/*
 * drone-runtime unpacked a backup of /tmp (a tar whose top entry is
 * `tmp`) into the restore target; an IR import names where the exported
 * path lands, so a restore of it to / is an import at /tmp.
 */
static char *import_path(struct ir_arena *a, const char *target,
			 const char *exported)
{
	const char *base = strrchr(exported, '/');
	base = base ? base + 1 : exported;
	if (!*base)
		return ir_strdup(a, target);
	size_t n = strlen(target);
	while (n > 1 && target[n - 1] == '/')
		n--;
	return ir_printf(a, "%.*s%s%s", (int)n, target,
			 target[n - 1] == '/' ? "" : "/", base);
}

/* A `data:` URL restore: a pipeline archive file mounted at `target`. */
static void old_restore_inline(struct imp *im, struct ir_step *s,
			       const char *url, char *target,
			       const struct jp *at)
{
	char *data = fe_dr_data_url(im, url, at);
	if (!data)
		return;
	struct ir_file *f = fe_dr_add_file(im, "restore", data, at);
	f->archive = true;
	s->extra->files[s->extra->nfiles++] = (struct ir_file_mount){f->name, target, 0};
}

/*
 * "restore": [{"source": "/snapshot/a", "target": "/"}] imports what an
 * earlier stage backed up; a `data:` URL source is carried inline.
 */
static void old_restore(struct imp *im, struct ir_step *s, const cJSON *o,
			const struct jp *sj)
{
	struct objs it = {.known = old_copy_keys, .strs = {"source", "target"}};
	const cJSON *arr = fe_dr_objs_open(im, &it, o, "restore", sj);
	s->extra->imports = fe_dr_room(im->a, arr, 0, sizeof *s->extra->imports);
	s->extra->files = fe_dr_room(im->a, arr, 0, sizeof *s->extra->files);
	while (fe_dr_objs_next(im, &it)) {
		const char *exported;
		char *src = it.s[0], *dst = it.s[1];
		if (!fe_dr_both(im, &it, "restore"))
			continue;
		if (strncasecmp(src, "data:", 5) == 0)
			old_restore_inline(im, s, src, dst, &it.at);
		else if ((exported = backed_up_before(im, src)))
			s->extra->imports[s->extra->nimports++] = (struct ir_artifact){
				.name = src, .path = import_path(im->a, dst, exported)};
		else
			fe_dr_ignored(im, &it.at, "restore source '%s' is backed up by "
				      "no earlier step and is ignored", src);
	}
}

/* on_success/on_failure: both run always, neither never runs. */
static void old_run_policy(struct imp *im, struct ir_step *s, const cJSON *o,
			   const struct jp *sj)
{
	static const enum ir_run_policy table[2][2] = {
		{IR_RUN_NEVER, IR_RUN_ON_FAILURE},
		{IR_RUN_ON_SUCCESS, IR_RUN_ALWAYS},
	};
	bool ok = fe_dr_get_bool(im, o, "on_success", sj);
	bool fail = fe_dr_get_bool(im, o, "on_failure", sj);
	s->run_policy = table[ok][fail];
	if (!ok && !fail)
		diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, sj),
			 "drone-runtime-never-runs",
			 "step '%s' sets neither 'on_success' nor 'on_failure' and "
			 "never runs", s->name);
}

/*
 * mem_limit and shm_size are bytes; cpu_quota is microseconds per
 * Docker's default 100 ms period, so quota / 100 is millicores.
 */
static void old_resources(struct imp *im, struct ir_step *s, const cJSON *o,
			  const struct jp *sj)
{
	s->extra->resources.memory = fe_dr_get_int(im, o, "mem_limit", sj, 0, INT64_MAX);
	s->extra->resources.shm_size = fe_dr_get_int(im, o, "shm_size", sj, 0, INT64_MAX);
	int64_t quota = fe_dr_get_int(im, o, "cpu_quota", sj, 0, INT64_MAX);
	s->extra->resources.cpu_millis = quota / 100 + (quota % 100 != 0);
	fe_dr_drop(im, o, "memswap_limit", sj, "IR resources have no swap limit");
	fe_dr_drop(im, o, "cpu_shares", sj, "IR resources have no relative CPU weight");
	fe_dr_drop(im, o, "cpu_set", sj, "IR resources do not pin CPUs");
}

static void old_dropped(struct imp *im, const cJSON *o, const struct jp *sj)
{
	fe_dr_drop(im, o, "labels", sj, "IR steps carry no container labels");
	fe_dr_drop(im, o, "commands", sj, "drone-runtime ignored it and ran "
		   "'entrypoint' and 'command'");
	fe_dr_drop(im, o, "ipc_mode", sj, "IR steps have no IPC mode");
	fe_dr_drop(im, o, "sysctls", sj, "IR steps have no sysctls");
	fe_dr_drop(im, o, "exports", sj, "drone-runtime handed them only to an "
		   "embedding program");
}

/* "auth_config": {"username": "u", "password": "p", "email": "e"} */
static void old_auth(struct imp *im, const cJSON *o, const struct jp *sj)
{
	struct jp aj;
	const cJSON *auth = fe_dr_get_obj(im, o, "auth_config", old_auth_keys, sj, &aj);
	if (!auth)
		return;
	char *user = fe_dr_get_str(im, auth, "username", &aj);
	char *pass = fe_dr_get_str(im, auth, "password", &aj);
	fe_dr_get_str(im, auth, "email", &aj);
	if (user || pass)
		diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, &aj),
			 "drone-runtime-secret-value",
			 "registry credentials are not carried into the IR; supply "
			 "them at run time");
}

static void old_step(struct imp *im, const cJSON *o, const struct jp *sj,
		     size_t stage, size_t index)
{
	struct ir_step *s = fe_dr_add_step(im, sj);
	if (!s)
		return;
	char *alias = fe_dr_get_str(im, o, "alias", sj);
	char *cname = fe_dr_get_str(im, o, "name", sj);
	fe_dr_name_step(im, s, alias ? alias : cname ? cname :
			ir_printf(im->a, "stage%zu_step%zu", stage, index), sj);
	fe_dr_get_int(im, o, "id", sj, INT64_MIN, INT64_MAX);
	s->image = fe_dr_get_str(im, o, "image", sj);
	s->pull = fe_dr_get_bool(im, o, "pull", sj) ? IR_PULL_ALWAYS : IR_PULL_IF_NOT_EXISTS;
	s->detach = fe_dr_get_bool(im, o, "detach", sj);
	s->privileged = fe_dr_get_bool(im, o, "privileged", sj);
	s->extra->working_dir = fe_dr_get_str(im, o, "working_dir", sj);
	s->environment = fe_dr_get_env(im, o, "environment", sj);
	s->extra->entrypoint = fe_dr_get_strs(im, o, "entrypoint", sj);
	s->command = fe_dr_get_strs(im, o, "command", sj);
	s->extra->extra_hosts = fe_dr_get_strs(im, o, "extra_hosts", sj);
	s->extra->dns = fe_dr_get_strs(im, o, "dns", sj);
	s->extra->dns_search = fe_dr_get_strs(im, o, "dns_search", sj);
	s->ignore_error = fe_dr_get_bool(im, o, "err_ignore", sj);
	s->extra->network_mode = fe_dr_get_str(im, o, "network_mode", sj);
	old_run_policy(im, s, o, sj);
	old_resources(im, s, o, sj);
	old_secrets(im, s, o, sj);
	old_step_volumes(im, s, o, sj);
	old_devices(im, s, o, sj);
	old_step_networks(im, s, o, sj);
	old_backup(im, s, o, sj);
	old_restore(im, s, o, sj);
	old_auth(im, o, sj);
	old_dropped(im, o, sj);
}

/* Each step of a stage depends on every step of the last non-empty one. */
static void stage_depends(struct imp *im, size_t lo, size_t hi, size_t plo,
			  size_t phi)
{
	struct ir_pipeline *p = im->p;
	if (phi == plo)
		return;
	char **names = ir_calloc(im->a, phi - plo, sizeof *names);
	for (size_t k = plo; k < phi; k++)
		names[k - plo] = p->steps[k].name;
	for (size_t k = lo; k < hi; k++)
		p->steps[k].depends_on = (struct ir_strs){names, phi - plo};
}

/* "pipeline": [{"name": "stage_0", "steps": [...]}, ...] */
static void old_stages(struct imp *im, const cJSON *top)
{
	struct objs it = {.known = old_stage_keys, .strs = {"name", "alias"}};
	size_t plo = 0, phi = 0;
	fe_dr_objs_open(im, &it, top, "pipeline", NULL);
	for (const cJSON *st; (st = fe_dr_objs_next(im, &it));) {
		struct objs steps = {.known = old_step_keys};
		size_t lo = im->stage_lo = im->p->nsteps;
		fe_dr_objs_open(im, &steps, st, "steps", &it.at);
		for (const cJSON *so; (so = fe_dr_objs_next(im, &steps));)
			old_step(im, so, &steps.at, it.at.index, steps.at.index);
		stage_depends(im, lo, im->p->nsteps, plo, phi);
		if (im->p->nsteps > lo) {
			plo = lo;
			phi = im->p->nsteps;
		}
	}
}

void fe_dr_stages_import(struct imp *im, const cJSON *top)
{
	fe_dr_check_keys(im, top, old_top_keys, NULL);
	fe_dr_each_obj(im, top, "secrets", NULL, old_secret_keys, old_top_secret);
	fe_dr_get_int(im, top, "version", NULL, INT64_MIN, INT64_MAX);
	old_networks(im, top);
	old_volumes(im, top);
	old_stages(im, top);
}

/* Keys only the 2017-18 format has at the top. */
static const char *const old_only_keys[] = {
	"pipeline", "version", "networks", "volumes", NULL};

bool fe_dr_is_stages(const cJSON *top)
{
	return fe_dr_has_any(top, old_only_keys);
}
