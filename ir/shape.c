/*
 * shape.c - IR v3 as data: one field table per struct of ir.h.
 *
 * The tables list fields in ir.h's declaration order, which is the key
 * order of canonical JSON.  Adding a field to ir.h means adding a line
 * here, a row in docs/ir.md and a property in docs/ir.schema.json.
 * Integer ranges are the reader's: 64-bit quantities stop at 2^53 - 1,
 * the largest integer every JSON implementation carries exactly.
 */
#include <limits.h>

#include "ir/internal.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SHAPE(T, w, f) {.what = w, .size = sizeof(T), .fields = f, .nfields = COUNT(f)}

/* A field's JSON name, and its length counted when the table is compiled. */
#define NAME(n) .name = n, .namelen = sizeof(n) - 1

#define STR(T, m, n, ...)  {NAME(n), .kind = F_STR, .off = offsetof(T, m), __VA_ARGS__}
#define BOOL(T, m, n)       {NAME(n), .kind = F_BOOL, .off = offsetof(T, m)}
#define INT(T, m, n, lo, hi, ...) \
	{NAME(n), .kind = F_INT, .off = offsetof(T, m), .min = lo, .max = hi, __VA_ARGS__}
#define I64(T, m, n) \
	{NAME(n), .kind = F_I64, .off = offsetof(T, m), .min = 0, .max = IR_INT_EXACT}
#define ENUM(T, m, n, e, ...) \
	{NAME(n), .kind = F_ENUM, .off = offsetof(T, m), .enumer = &e, __VA_ARGS__}
#define STRS(T, m, n, ...)  {NAME(n), .kind = F_STRS, .off = offsetof(T, m), __VA_ARGS__}
#define ENV(T, m, n, ...)   {NAME(n), .kind = F_ENV, .off = offsetof(T, m), __VA_ARGS__}
#define POS(T, m, n) \
	{NAME(n), .kind = F_POS, .off = offsetof(T, m), .shape = &ir_shape_pos}
#define OBJ(T, m, n, s, ...) {NAME(n), .kind = F_OBJ, .off = offsetof(T, m), .shape = &s, __VA_ARGS__}
#define PTR(T, m, n, s, ...) {NAME(n), .kind = F_PTR, .off = offsetof(T, m), .shape = &s, __VA_ARGS__}
#define ARR(T, m, c, n, s, ...) \
	{NAME(n), .kind = F_ARR, .off = offsetof(T, m), .count_off = offsetof(T, c), \
	 .shape = &s, __VA_ARGS__}

/* A required field: the reader insists on it and the writer always writes it. */
#define REQ .required = 1, .always = 1

static const char *backend_name(unsigned v) { return ir_backend_name(v); }
static const char *pull_name(unsigned v) { return ir_pull_name(v); }
static const char *run_policy_name(unsigned v) { return ir_run_policy_name(v); }
static const char *secret_source_name(unsigned v) { return ir_secret_source_name(v); }
static const char *volume_kind_name(unsigned v) { return ir_volume_kind_name(v); }

static const struct enumer e_backend = {backend_name, ir_backend_parse};
static const struct enumer e_pull = {pull_name, ir_pull_parse};
static const struct enumer e_run_policy = {run_policy_name, ir_run_policy_parse};
static const struct enumer e_secret_source = {secret_source_name, ir_secret_source_parse};
static const struct enumer e_volume_kind = {volume_kind_name, ir_volume_kind_parse};

static const struct field pos_fields[] = {
	STR(struct ir_pos, file, "file", REQ),
	INT(struct ir_pos, line, "line", 1, INT_MAX, REQ),
	INT(struct ir_pos, col, "column", 0, INT_MAX, REQ),
};
const struct shape ir_shape_pos = SHAPE(struct ir_pos, "source", pos_fields);

static const struct field secret_fields[] = {
	POS(struct ir_secret, pos, "position"),
	STR(struct ir_secret, name, "name", REQ),
	ENUM(struct ir_secret, source, "source", e_secret_source),
	STR(struct ir_secret, ref, "ref"),
};
static const struct shape secret = SHAPE(struct ir_secret, "secret", secret_fields);

static const struct field volume_fields[] = {
	POS(struct ir_volume, pos, "source"),
	STR(struct ir_volume, name, "name", REQ),
	ENUM(struct ir_volume, kind, "kind", e_volume_kind),
	STR(struct ir_volume, host_path, "host_path"),
	I64(struct ir_volume, size_limit, "size_limit"),
};
static const struct shape volume = SHAPE(struct ir_volume, "volume", volume_fields);

static const struct field network_fields[] = {
	STR(struct ir_network, name, "name", REQ),
	STR(struct ir_network, driver, "driver"),
};
static const struct shape network = SHAPE(struct ir_network, "network", network_fields);

static const struct field file_fields[] = {
	POS(struct ir_file, pos, "source"),
	STR(struct ir_file, name, "name", REQ),
	STR(struct ir_file, data, "data"),
	BOOL(struct ir_file, archive, "archive"),
};
static const struct shape file = SHAPE(struct ir_file, "file", file_fields);

static const struct field platform_fields[] = {
	STR(struct ir_platform, os, "os"),
	STR(struct ir_platform, arch, "arch"),
	STR(struct ir_platform, variant, "variant"),
	STR(struct ir_platform, version, "version"),
};
static const struct shape platform = SHAPE(struct ir_platform, "platform", platform_fields);

static const struct field workspace_fields[] = {
	STR(struct ir_workspace, base, "base"),
	STR(struct ir_workspace, path, "path"),
};
static const struct shape workspace = SHAPE(struct ir_workspace, "workspace", workspace_fields);

static const struct field skip_fields[] = {
	STR(struct ir_skip, reason, "reason", REQ),
	POS(struct ir_skip, pos, "source"),
};
static const struct shape skip = SHAPE(struct ir_skip, "skip", skip_fields);

static const struct field secret_ref_fields[] = {
	STR(struct ir_secret_ref, name, "name", REQ),
	STR(struct ir_secret_ref, env, "env", REQ),
};
static const struct shape secret_ref = SHAPE(struct ir_secret_ref, "secret reference",
					     secret_ref_fields);

static const struct field mount_fields[] = {
	STR(struct ir_mount, name, "name", REQ),
	STR(struct ir_mount, path, "path", REQ),
	BOOL(struct ir_mount, read_only, "read_only"),
};
static const struct shape mount = SHAPE(struct ir_mount, "volume mount", mount_fields);

static const struct field device_fields[] = {
	STR(struct ir_device, host_path, "host_path", REQ),
	STR(struct ir_device, path, "path", REQ),
};
static const struct shape device = SHAPE(struct ir_device, "device", device_fields);

static const struct field file_mount_fields[] = {
	STR(struct ir_file_mount, name, "name", REQ),
	STR(struct ir_file_mount, path, "path", REQ),
	INT(struct ir_file_mount, mode, "mode", 0, 07777),
};
static const struct shape file_mount = SHAPE(struct ir_file_mount, "file mount",
					     file_mount_fields);

static const struct field port_fields[] = {
	INT(struct ir_port, port, "port", 1, 65535, REQ),
	INT(struct ir_port, host, "host", 0, 65535),
	STR(struct ir_port, protocol, "protocol"),
};
static const struct shape port = SHAPE(struct ir_port, "port", port_fields);

static const struct field health_fields[] = {
	STRS(struct ir_health, command, "command"),
	INT(struct ir_health, port, "port", 0, 65535),
	INT(struct ir_health, interval_ms, "interval_ms", 0, INT_MAX),
	INT(struct ir_health, timeout_ms, "timeout_ms", 0, INT_MAX),
	INT(struct ir_health, retries, "retries", 0, INT_MAX),
};
static const struct shape health = SHAPE(struct ir_health, "health check", health_fields);

static const struct field resources_fields[] = {
	I64(struct ir_resources, cpu_millis, "cpu_millis"),
	I64(struct ir_resources, memory, "memory"),
	I64(struct ir_resources, shm_size, "shm_size"),
};
static const struct shape resources = SHAPE(struct ir_resources, "resources", resources_fields);

static const struct field artifact_fields[] = {
	STR(struct ir_artifact, name, "name", REQ),
	STR(struct ir_artifact, path, "path", REQ),
};
static const struct shape artifact = SHAPE(struct ir_artifact, "artifact", artifact_fields);

static const struct field toleration_fields[] = {
	STR(struct ir_toleration, key, "key"),
	STR(struct ir_toleration, operator_, "operator"),
	STR(struct ir_toleration, value, "value"),
	STR(struct ir_toleration, effect, "effect"),
	I64(struct ir_toleration, seconds, "seconds"),
};
static const struct shape toleration = SHAPE(struct ir_toleration, "toleration", toleration_fields);

static const struct field host_alias_fields[] = {
	STR(struct ir_host_alias, ip, "ip", REQ),
	STRS(struct ir_host_alias, hostnames, "hostnames"),
};
static const struct shape host_alias = SHAPE(struct ir_host_alias, "host alias", host_alias_fields);

static const struct field kube_fields[] = {
	STR(struct ir_kube, namespace, "namespace"),
	ENV(struct ir_kube, labels, "labels"),
	ENV(struct ir_kube, annotations, "annotations"),
	ENV(struct ir_kube, node_selector, "node_selector"),
	ARR(struct ir_kube, tolerations, ntolerations, "tolerations", toleration),
	STR(struct ir_kube, service_account, "service_account"),
	STRS(struct ir_kube, dns_nameservers, "dns_nameservers"),
	STRS(struct ir_kube, dns_searches, "dns_searches"),
	ENV(struct ir_kube, dns_options, "dns_options"),
	ARR(struct ir_kube, host_aliases, nhost_aliases, "host_aliases", host_alias),
};
static const struct shape kube = SHAPE(struct ir_kube, "kubernetes", kube_fields);

/* A step's keys in JSON order; X marks those of its struct ir_step_extra. */
#define S struct ir_step
#define E struct ir_step_extra
#define X .extra = 1
static const struct field step_fields[] = {
	POS(S, pos, "source"),
	STR(S, name, "name", REQ),
	STR(S, image, "image"),
	ENUM(S, pull, "pull", e_pull),
	STRS(E, entrypoint, "entrypoint", X),
	STRS(S, command, "command"),
	STR(S, script, "script"),
	STR(S, shell, "shell"),
	STR(E, working_dir, "working_dir", X),
	ENV(S, environment, "environment"),
	ARR(E, secrets, nsecrets, "secrets", secret_ref, X),
	STRS(S, depends_on, "depends_on"),
	ENUM(S, run_policy, "run_policy", e_run_policy),
	PTR(S, skip, "skip", skip),
	BOOL(S, detach, "detach"),
	BOOL(S, ignore_error, "ignore_error"),
	BOOL(S, privileged, "privileged"),
	BOOL(S, clone, "clone"),
	STR(E, user, "user", X),
	ARR(E, volumes, nvolumes, "volumes", mount, X),
	ARR(E, devices, ndevices, "devices", device, X),
	ARR(E, files, nfiles, "files", file_mount, X),
	STRS(E, dns, "dns", X),
	STRS(E, dns_search, "dns_search", X),
	STRS(E, extra_hosts, "extra_hosts", X),
	STRS(E, networks, "networks", X),
	STRS(E, aliases, "aliases", .since = 3, X),
	STR(E, network_mode, "network_mode", X),
	ARR(E, ports, nports, "ports", port, X),
	PTR(E, health, "health", health, X),
	OBJ(E, resources, "resources", resources, X),
	INT(S, timeout, "timeout", 0, INT_MAX),
	INT(S, retries, "retries", 0, INT_MAX),
	ARR(E, exports, nexports, "exports", artifact, X),
	ARR(E, imports, nimports, "imports", artifact, X),
};
#undef X
#undef E
#undef S
static const struct shape step = {
	.what = "step", .size = sizeof(struct ir_step), .fields = step_fields,
	.nfields = COUNT(step_fields), .extra_off = offsetof(struct ir_step, extra),
	.extra_size = sizeof(struct ir_step_extra),
};

#define P struct ir_pipeline
static const struct field pipeline_fields[] = {
	POS(P, pos, "source"),
	STR(P, name, "name", REQ),
	ENUM(P, backend, "type", e_backend, REQ),
	STR(P, runner, "runner", .since = 3),
	OBJ(P, platform, "platform", platform),
	STRS(P, depends_on, "depends_on"),
	ENUM(P, run_policy, "run_policy", e_run_policy),
	PTR(P, skip, "skip", skip),
	OBJ(P, workspace, "workspace", workspace),
	ARR(P, secrets, nsecrets, "secrets", secret),
	ARR(P, volumes, nvolumes, "volumes", volume),
	ARR(P, networks, nnetworks, "networks", network),
	ARR(P, files, nfiles, "files", file),
	STRS(P, pull_secrets, "pull_secrets"),
	PTR(P, kube, "kubernetes", kube),
	INT(P, timeout, "timeout", 0, INT_MAX),
	ENV(P, environment, "environment", .since = 2),
	ARR(P, steps, nsteps, "steps", step),
};
#undef P
static const struct shape pipeline = SHAPE(struct ir_pipeline, "pipeline", pipeline_fields);

static const struct field doc_fields[] = {
	INT(struct ir_doc, version, "version", IR_VERSION_OLDEST, IR_VERSION, REQ),
	ARR(struct ir_doc, pipelines, npipelines, "pipelines", pipeline, REQ, .min = 1),
};
const struct shape ir_shape_doc = SHAPE(struct ir_doc, "document", doc_fields);

/* The reader tracks seen keys in a 64-bit mask. */
_Static_assert(COUNT(step_fields) <= 64 && COUNT(pipeline_fields) <= 64,
	       "a shape has at most 64 fields");
