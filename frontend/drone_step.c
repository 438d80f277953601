/*
 * drone_step.c - lowering one step or service of a Drone pipeline.
 *
 * The step map is first checked against the key table (keys.c), which
 * leaves one value per known key, already of the right YAML type; each
 * function below then lowers one key into the IR step.  Scalars pass
 * through ${VAR} substitution on the way, `commands` with the shell
 * warning on.  A problem is recorded and lowering goes on, so one run
 * reports every mistake in the file.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "frontend/drone.h"

/* pull: always | if-not-exists | never | default (any case); true | false of old */
static void lower_pull(struct lower *lw, const struct fe_node *n, struct ir_step *s)
{
	static const char *const names[] = {"default", "always", "if-not-exists", "never"};
	if (!n)
		return;
	int old = fe_bool(n);
	if (old >= 0) {
		s->pull = old ? IR_PULL_ALWAYS : IR_PULL_DEFAULT;
		diag_warning(lw->dl, fe_pos(lw->file, n), "old-spelling",
			     "'pull: %s' is an old spelling, read as 'pull: %s'", n->str,
			     names[s->pull]);
		return;
	}
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(n->str, names[i]) == 0) {
			s->pull = (enum ir_pull)i;
			return;
		}
	}
	diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
		   "pull: expected always, if-not-exists, never or default, got '%s'",
		   n->str);
}

/* failure: ignore | fail */
static void lower_failure(struct lower *lw, const struct fe_node *n, struct ir_step *s)
{
	if (!n)
		return;
	if (strcasecmp(n->str, "ignore") == 0)
		s->ignore_error = true;
	else if (strcasecmp(n->str, "fail") != 0)
		diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
			   "failure: expected ignore or fail, got '%s'", n->str);
}

/*
 * commands: [make, make test] -> the script /bin/sh runs.  The commands
 * are substituted into scratch: only the script they make is kept.
 */
static void lower_commands(struct lower *lw, const struct fe_node *n, struct ir_step *s)
{
	if (!n)
		return;
	char **cmds = ir_calloc(lw->scratch, n->nitems + 1, sizeof *cmds);
	for (size_t i = 0; i < n->nitems; i++) {
		cmds[i] = fe_drone_str_in(lw, n->items[i], true, lw->scratch);
		if (!cmds[i])
			cmds[i] = "";
	}
	s->script = fe_script(cmds, n->nitems, lw->a);
	ir_arena_reset(lw->scratch);
}

/* NAME: value  or  NAME: {from_secret: secret} */
static void env_pair(struct pbuild *pb, const struct fe_pair *p, struct envb *env,
		     struct refb *refs)
{
	struct lower *lw = pb->lw;
	const struct fe_node *v = p->value;
	if (p->key->kind != FE_SCALAR) {
		diag_error(lw->dl, fe_pos(lw->file, p->key), "wrong-type",
			   "environment key: expected a string, got %s",
			   fe_node_kind_name(p->key));
		return;
	}
	if (fe_is_null(v))
		return;         /* Drone skips unset values */
	if (v->kind == FE_MAP) {
		const struct fe_node *fs[FS_N];
		if (fe_keys_check(&fe_keys_from_secret, v, fs, lw->file, lw->dl) || !fs[FS_FROM_SECRET])
			return;
		char *name = fe_drone_str(lw, fs[FS_FROM_SECRET], false);
		if (!name)
			return;
		fe_drone_ref_add(lw->a, refs, name, p->key->str);
		fe_drone_need_secret(pb, name, fe_pos(lw->file, fs[FS_FROM_SECRET]));
		return;
	}
	if (v->kind != FE_SCALAR) {
		diag_error(lw->dl, fe_pos(lw->file, v), "wrong-type",
			   "environment.%s: expected a string or {from_secret: name}, got %s",
			   p->key->str, fe_node_kind_name(v));
		return;
	}
	char *val = fe_drone_str(lw, v, false);
	if (val)
		fe_drone_env_set(lw->a, env, p->key->str, val);
}

void fe_drone_lower_env(struct pbuild *pb, const struct fe_node *n,
			struct envb *env, struct refb *refs)
{
	for (size_t i = 0; n && i < n->npairs; i++)
		env_pair(pb, &n->pairs[i], env, refs);
}

/* Plain scalars keep their YAML meaning: numbers, booleans and null. */
static cJSON *scalar_json(struct lower *lw, const struct fe_node *n)
{
	if (fe_is_null(n))
		return cJSON_CreateNull();
	if (fe_bool(n) >= 0)
		return cJSON_CreateBool(fe_bool(n));
	if (n->plain) {
		char *end;
		(void)strtod(n->str, &end);
		if (n->len && *end == '\0' && (isdigit((unsigned char)n->str[0]) ||
					       n->str[0] == '-'))
			return cJSON_CreateRaw(n->str);
	}
	char *str = fe_drone_str(lw, n, false);
	return cJSON_CreateString(str ? str : "");
}

static cJSON *to_json(struct lower *lw, const struct fe_node *n, int depth)
{
	if (n->kind == FE_SCALAR || depth > FE_MAX_DEPTH)
		return scalar_json(lw, n);
	if (n->kind == FE_SEQ) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n->nitems; i++)
			cJSON_AddItemToArray(arr, to_json(lw, n->items[i], depth + 1));
		return arr;
	}
	cJSON *obj = cJSON_CreateObject();
	for (size_t i = 0; i < n->npairs; i++) {
		const struct fe_pair *p = &n->pairs[i];
		/* as at the top of settings: a key that is not a string names nothing */
		if (p->key->kind == FE_SCALAR)
			cJSON_AddItemToObject(obj, p->key->str, to_json(lw, p->value, depth + 1));
	}
	return obj;
}

static bool scalar_list(const struct fe_node *n)
{
	for (size_t i = 0; i < n->nitems; i++)
		if (n->items[i]->kind != FE_SCALAR)
			return false;
	return true;
}

/* A list of scalars is comma-joined, as Drone's plugins expect. */
static char *join_list(struct lower *lw, const struct fe_node *n)
{
	size_t len = 0;
	char **parts = ir_calloc(lw->a, n->nitems + 1, sizeof *parts);
	for (size_t i = 0; i < n->nitems; i++) {
		parts[i] = fe_drone_str(lw, n->items[i], false);
		len += (parts[i] ? strlen(parts[i]) : 0) + 1;
	}
	char *out = ir_alloc(lw->a, len + 1), *p = out;
	for (size_t i = 0; i < n->nitems; i++) {
		size_t l = parts[i] ? strlen(parts[i]) : 0;
		if (i)
			*p++ = ',';
		memcpy(p, parts[i] ? parts[i] : "", l);
		p += l;
	}
	*p = '\0';
	return out;
}

static char *setting_value(struct lower *lw, const struct fe_node *v)
{
	if (v->kind == FE_SCALAR)
		return fe_drone_str(lw, v, false);
	if (v->kind == FE_SEQ && scalar_list(v))
		return join_list(lw, v);
	cJSON *j = to_json(lw, v, 0);
	char *text = cJSON_PrintUnformatted(j);
	char *out = ir_strdup(lw->a, text);
	cJSON_free(text);
	cJSON_Delete(j);
	return out;
}

static char *plugin_name(struct ir_arena *a, const char *key)
{
	char *name = ir_printf(a, "PLUGIN_%s", key);
	for (char *p = name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return name;
}

/* settings: {tags: [a, b], password: {from_secret: pw}} -> PLUGIN_* */
static void lower_settings(struct pbuild *pb, const struct fe_node *n,
			   struct envb *env, struct refb *refs)
{
	struct lower *lw = pb->lw;
	if (!n)
		return;
	if (n->kind != FE_MAP) {
		diag_error(lw->dl, fe_pos(lw->file, n), "wrong-type", "settings: expected a map, got %s",
			   fe_node_kind_name(n));
		return;
	}
	for (size_t i = 0; i < n->npairs; i++) {
		const struct fe_pair *p = &n->pairs[i];
		if (p->key->kind != FE_SCALAR || fe_is_null(p->value))
			continue;
		const struct fe_node *fs = fe_map_get(p->value, "from_secret");
		char *name = plugin_name(lw->a, p->key->str);
		if (fs && p->value->npairs == 1 && fs->kind == FE_SCALAR) {
			char *secret = fe_drone_str(lw, fs, false);
			fe_drone_ref_add(lw->a, refs, secret, name);
			fe_drone_need_secret(pb, secret, fe_pos(lw->file, fs));
			continue;
		}
		char *val = setting_value(lw, p->value);
		if (val)
			fe_drone_env_set(lw->a, env, name, val);
	}
}

static const struct ir_volume *find_host_volume(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; name && i < p->nvolumes; i++)
		if (strcmp(p->volumes[i].name, name) == 0 && p->volumes[i].kind == IR_VOLUME_HOST)
			return &p->volumes[i];
	return NULL;
}

/*
 * Reads {name, path} items into names[] and paths[], and when `at` is
 * given where each name was written; returns how many.
 */
static size_t lower_mounts(struct pbuild *pb, const struct fe_node *n,
			   const struct fe_keyset *ks, char **names, char **paths,
			   const struct fe_node **at)
{
	struct lower *lw = pb->lw;
	size_t m = 0;
	for (size_t i = 0; i < n->nitems; i++) {
		const struct fe_node *v[MO_N];
		if (fe_keys_check(ks, n->items[i], v, lw->file, lw->dl) || !v[MO_NAME] || !v[MO_PATH])
			continue;
		names[m] = fe_drone_str(lw, v[MO_NAME], false);
		paths[m] = fe_drone_str(lw, v[MO_PATH], false);
		if (at)
			at[m] = v[MO_NAME];
		if (names[m] && paths[m])
			m++;
	}
	return m;
}

/*
 * volumes: [{name: cache, path: /cache}].  Kept as written: the validator
 * checks the names for YAML and IR alike, and drops what names no volume.
 */
static void lower_volumes(struct pbuild *pb, const struct fe_node *n, struct ir_step *s)
{
	if (!n)
		return;
	struct ir_step_extra *x = ir_step_extra_edit(s, pb->lw->a);
	char **names = ir_calloc(pb->lw->a, n->nitems + 1, sizeof *names);
	char **paths = ir_calloc(pb->lw->a, n->nitems + 1, sizeof *paths);
	x->nvolumes = lower_mounts(pb, n, &fe_keys_mount, names, paths, NULL);
	x->volumes = ir_calloc(pb->lw->a, x->nvolumes + 1, sizeof *x->volumes);
	for (size_t i = 0; i < x->nvolumes; i++)
		x->volumes[i] = (struct ir_mount){.name = names[i], .path = paths[i]};
}

/*
 * devices: [{name: disk, path: /dev/xvda}] where disk is a host volume.
 * The IR holds the host path, so the name is resolved here; a device
 * naming no host volume is dropped with a warning, as Drone drops it.
 */
static void lower_devices(struct pbuild *pb, const struct fe_node *n, struct ir_step *s)
{
	if (!n)
		return;
	struct lower *lw = pb->lw;
	char **names = ir_calloc(lw->a, n->nitems + 1, sizeof *names);
	char **paths = ir_calloc(lw->a, n->nitems + 1, sizeof *paths);
	const struct fe_node **at = ir_calloc(lw->a, n->nitems + 1, sizeof *at);
	size_t m = lower_mounts(pb, n, &fe_keys_device, names, paths, at);
	struct ir_step_extra *x = ir_step_extra_edit(s, lw->a);
	x->devices = ir_calloc(lw->a, m + 1, sizeof *x->devices);
	for (size_t i = 0; i < m; i++) {
		const struct ir_volume *vol = find_host_volume(pb->p, names[i]);
		if (vol)
			x->devices[x->ndevices++] = (struct ir_device){.host_path = vol->host_path,
								       .path = paths[i]};
		else
			diag_warning(lw->dl, fe_pos(lw->file, at[i]), "unknown-volume",
				     "device '%s' of step '%s' is not a host volume of the pipeline, so it is dropped",
				     names[i], s->name ? s->name : "");
	}
}

/* 0, or -1 after recording the error: the project's failure idiom. */
static int port_number(struct lower *lw, const struct fe_node *n, int *out)
{
	char *end;
	long v = strtol(n->str, &end, 10);
	if (*end || v < 1 || v > 65535)
		return diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
				  "port: expected a number from 1 to 65535, got '%s'", n->str);
	*out = (int)v;
	return 0;
}

static int port_protocol(struct lower *lw, const struct fe_node *n, struct ir_port *out)
{
	out->protocol = fe_drone_str(lw, n, false);
	if (!out->protocol || !strcmp(out->protocol, "tcp") || !strcmp(out->protocol, "udp"))
		return 0;
	return diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
			  "protocol: expected tcp or udp, got '%s'", out->protocol);
}

/* ports: [6379, {port: 80, host: 8080, protocol: tcp}] */
static int lower_port(struct lower *lw, const struct fe_node *n, struct ir_port *out)
{
	const struct fe_node *v[PO_N] = {0};
	if (n->kind == FE_SCALAR)
		v[PO_PORT] = n;
	else if (n->kind != FE_MAP)
		return diag_error(lw->dl, fe_pos(lw->file, n), "wrong-type",
				  "ports: expected a number or a map, got %s",
				  fe_node_kind_name(n));
	else if (fe_keys_check(&fe_keys_port, n, v, lw->file, lw->dl) || !v[PO_PORT])
		return -1;
	if (port_number(lw, v[PO_PORT], &out->port) < 0)
		return -1;
	if (v[PO_HOST] && port_number(lw, v[PO_HOST], &out->host) < 0)
		return -1;
	return v[PO_PROTOCOL] ? port_protocol(lw, v[PO_PROTOCOL], out) : 0;
}

static void lower_ports(struct lower *lw, const struct fe_node *n, struct ir_step *s)
{
	if (!n)
		return;
	struct ir_step_extra *x = ir_step_extra_edit(s, lw->a);
	x->ports = ir_calloc(lw->a, n->nitems + 1, sizeof *x->ports);
	for (size_t i = 0; i < n->nitems; i++)
		if (lower_port(lw, n->items[i], &x->ports[x->nports]) == 0)
			x->nports++;
}

static int64_t size_of(struct lower *lw, const struct fe_node *n, const char *what)
{
	if (!n)
		return 0;
	int64_t v = fe_drone_size(n->str);
	if (v < 0)
		diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
			   "%s: expected a size such as 512MiB, got '%s'", what, n->str);
	return v < 0 ? 0 : v;
}

/* cpu: 1.5 (cores) or "1500m" (millicores) */
static int64_t cpu_of(struct lower *lw, const struct fe_node *n)
{
	char *end;
	if (!n)
		return 0;
	double v = strtod(n->str, &end);
	if (*end == 'm' && end[1] == '\0')
		v /= 1000;
	else if (*end != '\0' || end == n->str)
		v = -1;
	if (v < 0 || v > 1e6) {
		diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
			   "cpu: expected a number of cores such as 1.5 or \"500m\", got '%s'",
			   n->str);
		return 0;
	}
	return (int64_t)(v * 1000);
}

/* resources: {limits: {cpu: 2, memory: 1GiB}, requests: {...}} */
static void lower_resources(struct lower *lw, const struct fe_node *n, struct ir_step *s)
{
	const struct fe_node *v[RS_N], *l[RL_N];
	if (!n || fe_keys_check(&fe_keys_resources, n, v, lw->file, lw->dl))
		return;
	if (v[RS_REQUESTS])     /* checked; the IR keeps limits only */
		fe_keys_check(&fe_keys_limits, v[RS_REQUESTS], l, lw->file, lw->dl);
	if (!v[RS_LIMITS] || fe_keys_check(&fe_keys_limits, v[RS_LIMITS], l, lw->file, lw->dl))
		return;
	struct ir_step_extra *x = ir_step_extra_edit(s, lw->a);
	x->resources.cpu_millis = cpu_of(lw, l[RL_CPU]);
	x->resources.memory = size_of(lw, l[RL_MEMORY], "memory");
}

static bool flag(const struct fe_node *n)
{
	return n && fe_bool(n) == 1;
}

static void lower_when(struct pbuild *pb, const struct fe_node *n, struct ir_step *s)
{
	struct lower *lw = pb->lw;
	if (!n)
		return;
	fe_when_eval(n, lw->ctx, &s->run_policy, &s->skip, lw->a, lw->file, lw->dl);
	if (s->skip)
		s->run_policy = IR_RUN_NEVER;
}

/*
 * The step's own variables.  The injected ones and the pipeline's are the
 * pipeline's environment, which the step's replace by name when it runs.
 * Sized for the step's keys at once: a large file has many steps.
 */
static void lower_env(struct pbuild *pb, const struct fe_node **v, struct ir_step *s)
{
	struct lower *lw = pb->lw;
	const struct fe_node *own = v[ST_ENVIRONMENT], *settings = v[ST_SETTINGS];
	struct envb env = {.cap = 1 + (own ? own->npairs : 0) +
				  (settings && settings->kind == FE_MAP ? settings->npairs : 0)};
	env.v = ir_calloc(lw->a, env.cap, sizeof *env.v);
	struct refb refs = {0};
	fe_drone_env_set(lw->a, &env, "DRONE_STEP_NAME", s->name);
	for (size_t i = 0; i < pb->refs.n; i++)
		fe_drone_ref_add(lw->a, &refs, pb->refs.v[i].name, pb->refs.v[i].env);
	fe_drone_lower_env(pb, v[ST_ENVIRONMENT], &env, &refs);
	lower_settings(pb, v[ST_SETTINGS], &env, &refs);
	s->environment = (struct ir_env){env.v, env.n};
	if (refs.n) {
		struct ir_step_extra *x = ir_step_extra_edit(s, lw->a);
		x->secrets = refs.v;
		x->nsecrets = refs.n;
	}
}

/* The keys few steps write, which go to the step's extra part. */
static void lower_extra_scalars(struct lower *lw, const struct fe_node **v,
				struct ir_step_extra *x)
{
	x->user = fe_drone_str(lw, v[ST_USER], false);
	x->working_dir = fe_drone_str(lw, v[ST_WORKING_DIR], false);
	x->network_mode = fe_drone_str(lw, v[ST_NETWORK_MODE], false);
	if (v[ST_ENTRYPOINT])
		x->entrypoint = fe_drone_strs(lw, v[ST_ENTRYPOINT]);
	x->dns = fe_drone_strs(lw, v[ST_DNS]);
	x->dns_search = fe_drone_strs(lw, v[ST_DNS_SEARCH]);
	x->extra_hosts = fe_drone_strs(lw, v[ST_EXTRA_HOSTS]);
	x->resources.shm_size = size_of(lw, v[ST_SHM_SIZE], "shm_size");
}

static void lower_scalars(struct lower *lw, const struct fe_node **v, struct ir_step *s)
{
	static const int extra[] = {ST_USER, ST_WORKING_DIR, ST_NETWORK_MODE, ST_ENTRYPOINT,
				    ST_DNS, ST_DNS_SEARCH, ST_EXTRA_HOSTS, ST_SHM_SIZE};
	s->image = fe_drone_str(lw, v[ST_IMAGE], false);
	s->detach = flag(v[ST_DETACH]);
	s->privileged = flag(v[ST_PRIVILEGED]);
	if (v[ST_COMMAND])
		s->command = fe_drone_strs(lw, v[ST_COMMAND]);
	s->depends_on = fe_drone_strs(lw, v[ST_DEPENDS_ON]);
	if (!s->depends_on.n)   /* Drone: `depends_on: []` is no dependency */
		s->depends_on = (struct ir_strs){0};
	for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
		if (v[extra[i]]) {
			lower_extra_scalars(lw, v, ir_step_extra_edit(s, lw->a));
			break;
		}
	}
}

void fe_drone_step(struct pbuild *pb, const struct fe_node *map, bool service,
		   struct ir_step *s)
{
	struct lower *lw = pb->lw;
	const struct fe_node *v[ST_N];
	uint32_t given;
	fe_keys_check_given(&fe_keys_step, map, v, &given, lw->file, lw->dl);
	s->pos = fe_pos(lw->file, map);
	s->name = fe_drone_str(lw, v[ST_NAME], false);
	/* given, not v[]: a wrong-typed image was reported, it is not missing */
	if (!(given & 1u << ST_IMAGE) && pb->p->backend != IR_BACKEND_LOCAL)
		diag_error(lw->dl, fe_pos(lw->file, map), "missing-key",
			   "%s '%s' is missing required key 'image'",
			   service ? "service" : "step", s->name ? s->name : "");
	lower_scalars(lw, v, s);
	lower_pull(lw, v[ST_PULL], s);
	lower_failure(lw, v[ST_FAILURE], s);
	lower_commands(lw, v[ST_COMMANDS], s);
	lower_env(pb, v, s);
	lower_when(pb, v[ST_WHEN], s);
	lower_volumes(pb, v[ST_VOLUMES], s);
	lower_devices(pb, v[ST_DEVICES], s);
	lower_ports(lw, v[ST_PORTS], s);
	lower_resources(lw, v[ST_RESOURCES], s);
	if (service)
		s->detach = true;
	fe_drone_health(pb, v[ST_HEALTHCHECK], s);
	fe_drone_artifacts(pb, v[ST_EXPORTS], v[ST_IMPORTS], s);
}
