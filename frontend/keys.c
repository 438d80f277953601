/*
 * keys.c - every key the Drone dialect knows, its type and its meaning.
 *
 * One table per context drives three things: the check that warns of
 * unknown keys (with a did-you-mean; Drone ignores them) and rejects
 * wrong types before lowering,
 * the lowering's access to values by index, and the JSON Schema that
 * editors use (schema.c), so the three cannot drift apart.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frontend/keys.h"

#define KEYSET(var, label, arr, text) \
	const struct fe_keyset var = {label, arr, sizeof arr / sizeof *arr, text, 0}
/* A keyset of which exactly one of the keys `one` (bits) must be given. */
#define KEYSET_ONE(var, label, arr, text, one) \
	const struct fe_keyset var = {label, arr, sizeof arr / sizeof *arr, text, one}

static const struct fe_key platform_keys[PF_N] = {
	[PF_OS] = {"os", FE_T_STR, NULL, false, "operating system: linux or windows"},
	[PF_ARCH] = {"arch", FE_T_STR, NULL, false, "architecture: amd64, arm64, arm, ..."},
	[PF_VARIANT] = {"variant", FE_T_STR, NULL, false, "architecture variant, e.g. v7"},
	[PF_VERSION] = {"version", FE_T_STR, NULL, false, "operating system version"},
};
KEYSET(fe_keys_platform, "platform", platform_keys, "the platform the pipeline runs on");

static const struct fe_key workspace_keys[WS_N] = {
	[WS_BASE] = {"base", FE_T_STR, NULL, false, "where the workspace volume is mounted (default /drone)"},
	[WS_PATH] = {"path", FE_T_STR, NULL, false, "the working directory below base (default src)"},
};
KEYSET(fe_keys_workspace, "workspace", workspace_keys, "where steps find the source");

static const struct fe_key clone_keys[CL_N] = {
	[CL_DISABLE] = {"disable", FE_T_BOOL, NULL, false, "do not add the clone step"},
	[CL_DEPTH] = {"depth", FE_T_INT, NULL, false, "fetch only this many commits"},
	[CL_SKIP_VERIFY] = {"skip_verify", FE_T_BOOL, NULL, false, "do not verify the server's TLS certificate"},
	[CL_RETRIES] = {"retries", FE_T_INT, NULL, false, "run a failed clone again, up to this many times"},
	[CL_TRACE] = {"trace", FE_T_BOOL, NULL, false, "git's trace (GIT_TRACE) in the clone step's log"},
};
KEYSET(fe_keys_clone, "clone", clone_keys, "how the source is fetched");

static const struct fe_key volume_temp_keys[VT_N] = {
	[VT_MEDIUM] = {"medium", FE_T_STR, NULL, false, "'memory' for a tmpfs, else a directory on disk"},
	[VT_SIZE_LIMIT] = {"size_limit", FE_T_SIZE, NULL, false, "most bytes a memory volume may hold"},
};
KEYSET(fe_keys_volume_temp, "temp", volume_temp_keys, "an empty volume made for the run");

static const struct fe_key volume_host_keys[VH_N] = {
	[VH_PATH] = {"path", FE_T_STR, NULL, true, "the host path"},
};
KEYSET(fe_keys_volume_host, "host", volume_host_keys, "a directory of the host");

static const struct fe_key volume_keys[VO_N] = {
	[VO_NAME] = {"name", FE_T_STR, NULL, true, "the name steps mount it by"},
	[VO_TEMP] = {"temp", FE_T_OBJ, &fe_keys_volume_temp, false, "an empty volume made for the run"},
	[VO_HOST] = {"host", FE_T_OBJ, &fe_keys_volume_host, false, "a directory of the host"},
};
KEYSET_ONE(fe_keys_volume, "volume", volume_keys, "a volume steps can mount",
	   1u << VO_TEMP | 1u << VO_HOST);

static const struct fe_key mount_keys[MO_N] = {
	[MO_NAME] = {"name", FE_T_STR, NULL, true, "a volume of the pipeline"},
	[MO_PATH] = {"path", FE_T_STR, NULL, true, "where it appears in the step"},
};
KEYSET(fe_keys_mount, "volume mount", mount_keys, "a pipeline volume mounted into the step");

static const struct fe_key device_keys[MO_N] = {
	[MO_NAME] = {"name", FE_T_STR, NULL, true, "a host volume of the pipeline naming the device"},
	[MO_PATH] = {"path", FE_T_STR, NULL, true, "where the device appears in the step"},
};
KEYSET(fe_keys_device, "device", device_keys, "a host device passed to the step");

static const struct fe_key port_keys[PO_N] = {
	[PO_PORT] = {"port", FE_T_INT, NULL, true, "the container port"},
	[PO_HOST] = {"host", FE_T_INT, NULL, false, "publish on this host port"},
	[PO_PROTOCOL] = {"protocol", FE_T_STR, NULL, false, "tcp (default) or udp"},
};
KEYSET(fe_keys_port, "port", port_keys, "a port the step listens on");

static const struct fe_key limits_keys[RL_N] = {
	[RL_CPU] = {"cpu", FE_T_NUM, NULL, false, "CPU cores (1.5) or millicores (\"1500m\")"},
	[RL_MEMORY] = {"memory", FE_T_SIZE, NULL, false, "bytes, or a size such as 512MiB or 1GB"},
};
KEYSET(fe_keys_limits, "limits", limits_keys, "resource amounts");

static const struct fe_key resources_keys[RS_N] = {
	[RS_LIMITS] = {"limits", FE_T_OBJ, &fe_keys_limits, false, "the most the step may use"},
	[RS_REQUESTS] = {"requests", FE_T_OBJ, &fe_keys_limits, false, "what the step is guaranteed (Kubernetes)"},
};
KEYSET(fe_keys_resources, "resources", resources_keys, "CPU and memory of the step");

static const struct fe_key concurrency_keys[CC_N] = {
	[CC_LIMIT] = {"limit", FE_T_INT, NULL, false, "most runs of this pipeline at once"},
};
KEYSET(fe_keys_concurrency, "concurrency", concurrency_keys, "limits on parallel runs");

static const struct fe_key from_secret_keys[FS_N] = {
	[FS_FROM_SECRET] = {"from_secret", FE_T_STR, NULL, true, "the name of the secret whose value the variable takes"},
};
KEYSET(fe_keys_from_secret, "from_secret", from_secret_keys, "a value taken from a secret at run time");

static const struct fe_key when_keys[] = {
	{"branch", FE_T_COND, NULL, false, "branch names or globs"},
	{"event", FE_T_COND, NULL, false, "events: push, pull_request, tag, promote, rollback, cron, custom"},
	{"ref", FE_T_COND, NULL, false, "git references or globs, e.g. refs/tags/*"},
	{"repo", FE_T_COND, NULL, false, "repository names, owner/name"},
	{"status", FE_T_COND, NULL, false, "success and/or failure: run after these outcomes"},
	{"target", FE_T_COND, NULL, false, "deployment targets"},
	{"cron", FE_T_COND, NULL, false, "cron job names"},
	{"instance", FE_T_COND, NULL, false, "server host names"},
	{"action", FE_T_COND, NULL, false, "pull request actions"},
	{"paths", FE_T_COND, NULL, false, "changed file paths or globs"},
};
KEYSET(fe_keys_when, "when", when_keys, "conditions that must all hold");

/* The long form of one clause: when.branch: {include: [...], exclude: [...]} */
static const struct fe_key condition_keys[CO_N] = {
	[CO_INCLUDE] = {"include", FE_T_STRS, NULL, false, "patterns of which one must match (none given: any value)"},
	[CO_EXCLUDE] = {"exclude", FE_T_STRS, NULL, false, "patterns none of which may match"},
};
KEYSET(fe_keys_condition, "condition", condition_keys, "values the clause accepts and rejects");

/* pipec's extensions, spelt as docker compose spells a health check. */
static const struct fe_key healthcheck_keys[HC_N] = {
	[HC_TEST] = {"test", FE_T_STRS, NULL, false, "a command that exits 0 once the service is ready: a shell command, [CMD, arg, ...], [CMD-SHELL, command] or [NONE]"},
	[HC_PORT] = {"port", FE_T_INT, NULL, false, "ready once this port accepts a TCP connection (pipec extension to compose)"},
	[HC_INTERVAL] = {"interval", FE_T_DURATION, NULL, false, "time between tries, e.g. 1s or 1m30s"},
	[HC_TIMEOUT] = {"timeout", FE_T_DURATION, NULL, false, "time one try may take, e.g. 5s"},
	[HC_RETRIES] = {"retries", FE_T_INT, NULL, false, "failed tries before the service counts as unhealthy"},
	[HC_DISABLE] = {"disable", FE_T_BOOL, NULL, false, "no health check (as test: [NONE])"},
};
KEYSET(fe_keys_healthcheck, "healthcheck", healthcheck_keys, "how to tell the service is ready; steps after it wait (pipec extension)");

static const struct fe_key export_keys[AR_N] = {
	[AR_NAME] = {"name", FE_T_STR, NULL, false, "the name imports use (default: the path as written)"},
	[AR_PATH] = {"path", FE_T_STR, NULL, true, "a file or directory, relative to the working directory unless absolute"},
};
KEYSET(fe_keys_export, "export", export_keys, "a path copied out of the step when it finishes (pipec extension)");

static const struct fe_key import_keys[AR_N] = {
	[AR_NAME] = {"name", FE_T_STR, NULL, true, "the name of an export of a step that runs before this one"},
	[AR_PATH] = {"path", FE_T_STR, NULL, false, "where it goes, relative to the working directory unless absolute (default: the exported path)"},
};
KEYSET(fe_keys_import, "import", import_keys, "an export of an earlier step copied in before the step starts (pipec extension)");

static const struct fe_key step_keys[ST_N] = {
	[ST_NAME] = {"name", FE_T_STR, NULL, true, "the step's name, unique in the pipeline"},
	[ST_IMAGE] = {"image", FE_T_STR, NULL, false, "the container image (required except in exec pipelines)"},
	[ST_PULL] = {"pull", FE_T_STR, NULL, false, "always, if-not-exists, never or default"},
	[ST_COMMANDS] = {"commands", FE_T_LIST, NULL, false, "shell commands, run in order, stopping at the first failure"},
	[ST_ENTRYPOINT] = {"entrypoint", FE_T_LIST, NULL, false, "the container entrypoint"},
	[ST_COMMAND] = {"command", FE_T_LIST, NULL, false, "the container arguments"},
	[ST_ENVIRONMENT] = {"environment", FE_T_ENV, NULL, false, "variables of the step; {from_secret: name} takes a secret"},
	[ST_SETTINGS] = {"settings", FE_T_ANY, NULL, false, "plugin parameters, passed as PLUGIN_<NAME> variables"},
	[ST_WHEN] = {"when", FE_T_COND, NULL, false, "conditions under which the step runs"},
	[ST_DEPENDS_ON] = {"depends_on", FE_T_STRS, NULL, false, "steps that must finish first"},
	[ST_DETACH] = {"detach", FE_T_BOOL, NULL, false, "run in the background"},
	[ST_PRIVILEGED] = {"privileged", FE_T_BOOL, NULL, false, "give the container extended privileges"},
	[ST_USER] = {"user", FE_T_STR, NULL, false, "the user the container runs as"},
	[ST_VOLUMES] = {"volumes", FE_T_OBJS, &fe_keys_mount, false, "pipeline volumes mounted into the step"},
	[ST_FAILURE] = {"failure", FE_T_STR, NULL, false, "ignore: a failure does not fail the pipeline"},
	[ST_WORKING_DIR] = {"working_dir", FE_T_STR, NULL, false, "the working directory (default: the workspace)"},
	[ST_NETWORK_MODE] = {"network_mode", FE_T_STR, NULL, false, "the container network mode, e.g. host"},
	[ST_DNS] = {"dns", FE_T_STRS, NULL, false, "DNS servers"},
	[ST_DNS_SEARCH] = {"dns_search", FE_T_STRS, NULL, false, "DNS search domains"},
	[ST_EXTRA_HOSTS] = {"extra_hosts", FE_T_STRS, NULL, false, "extra /etc/hosts lines, host:ip"},
	[ST_DEVICES] = {"devices", FE_T_OBJS, &fe_keys_device, false, "host devices passed to the step"},
	[ST_PORTS] = {"ports", FE_T_PORTS, &fe_keys_port, false, "ports the step listens on"},
	[ST_RESOURCES] = {"resources", FE_T_OBJ, &fe_keys_resources, false, "CPU and memory limits"},
	[ST_SHM_SIZE] = {"shm_size", FE_T_SIZE, NULL, false, "size of /dev/shm"},
	[ST_HEALTHCHECK] = {"healthcheck", FE_T_OBJ, &fe_keys_healthcheck, false, "pipec extension: how to tell a service is ready, as in docker compose"},
	[ST_EXPORTS] = {"exports", FE_T_ARTIFACTS, &fe_keys_export, false, "pipec extension: paths later steps can import"},
	[ST_IMPORTS] = {"imports", FE_T_ARTIFACTS, &fe_keys_import, false, "pipec extension: exports of earlier steps copied in first"},
};
KEYSET(fe_keys_step, "step", step_keys, "a container run by the pipeline");

static const struct fe_key pool_keys[VP_N] = {
	[VP_USE] = {"use", FE_T_STR, NULL, true, "the pool's name"},
};
KEYSET(fe_keys_pool, "pool", pool_keys, "vm: where the machine comes from");

static const struct fe_key kube_metadata_keys[KM_N] = {
	[KM_NAMESPACE] = {"namespace", FE_T_STR, NULL, false, "the Pods' namespace"},
	[KM_ANNOTATIONS] = {"annotations", FE_T_MAP, NULL, false, "annotations of the Pods"},
	[KM_LABELS] = {"labels", FE_T_MAP, NULL, false, "labels of the Pods"},
};
KEYSET(fe_keys_kube_metadata, "metadata", kube_metadata_keys, "kubernetes: the Pods' metadata");

static const struct fe_key toleration_keys[KT_N] = {
	[KT_KEY] = {"key", FE_T_STR, NULL, false, "the taint's key"},
	[KT_OPERATOR] = {"operator", FE_T_STR, NULL, false, "Exists or Equal"},
	[KT_VALUE] = {"value", FE_T_STR, NULL, false, "the taint's value"},
	[KT_EFFECT] = {"effect", FE_T_STR, NULL, false, "NoSchedule, PreferNoSchedule or NoExecute"},
	[KT_SECONDS] = {"toleration_seconds", FE_T_INT, NULL, false, "how long a NoExecute taint is tolerated"},
};
KEYSET(fe_keys_toleration, "toleration", toleration_keys, "kubernetes: a taint the Pods tolerate");

static const struct fe_key dns_option_keys[KO_N] = {
	[KO_NAME] = {"name", FE_T_STR, NULL, true, "the option"},
	[KO_VALUE] = {"value", FE_T_STR, NULL, false, "its value"},
};
KEYSET(fe_keys_dns_option, "option", dns_option_keys, "kubernetes: a resolver option");

static const struct fe_key dns_config_keys[KD_N] = {
	[KD_NAMESERVERS] = {"nameservers", FE_T_STRS, NULL, false, "DNS servers"},
	[KD_SEARCHES] = {"searches", FE_T_STRS, NULL, false, "DNS search domains"},
	[KD_OPTIONS] = {"options", FE_T_OBJS, &fe_keys_dns_option, false, "resolver options"},
};
KEYSET(fe_keys_dns_config, "dns_config", dns_config_keys, "kubernetes: the Pods' DNS settings");

static const struct fe_key host_alias_keys[KH_N] = {
	[KH_IP] = {"ip", FE_T_STR, NULL, true, "the address"},
	[KH_HOSTNAMES] = {"hostnames", FE_T_STRS, NULL, true, "names for it"},
};
KEYSET(fe_keys_host_alias, "host_aliases", host_alias_keys, "kubernetes: an /etc/hosts entry");

static const struct fe_key ssh_server_keys[SS_N] = {
	[SS_HOST] = {"host", FE_T_SECRET, NULL, false, "the server's host name or address"},
	[SS_USER] = {"user", FE_T_SECRET, NULL, false, "the user to log in as"},
	[SS_PASSWORD] = {"password", FE_T_SECRET, NULL, false, "the user's password, {from_secret: name}"},
	[SS_SSH_KEY] = {"ssh_key", FE_T_SECRET, NULL, false, "a private key, {from_secret: name}"},
};
KEYSET(fe_keys_ssh_server, "server", ssh_server_keys, "ssh: the server the steps run on");

static const struct fe_key machine_server_keys[SM_N] = {
	[SM_IMAGE] = {"image", FE_T_SECRET, NULL, false, "the machine's image"},
	[SM_SIZE] = {"size", FE_T_SECRET, NULL, false, "the machine's size"},
	[SM_REGION] = {"region", FE_T_SECRET, NULL, false, "the region the machine is made in"},
};
KEYSET(fe_keys_machine_server, "server", machine_server_keys,
       "digitalocean and macstadium: the machine made for the pipeline");

static const struct fe_key pipeline_keys[PL_N] = {
	[PL_KIND] = {"kind", FE_T_STR, NULL, true, "pipeline, secret, signature or template"},
	[PL_TYPE] = {"type", FE_T_STR, NULL, false, "docker (default), kubernetes, exec (local processes), or ssh, vm, digitalocean or macstadium (run here as local processes)"},
	[PL_NAME] = {"name", FE_T_STR, NULL, false, "the pipeline's name (default: default)"},
	[PL_VERSION] = {"version", FE_T_STR, NULL, false, "the format version; ignored"},
	[PL_PLATFORM] = {"platform", FE_T_OBJ, &fe_keys_platform, false, "the platform the pipeline runs on"},
	[PL_WORKSPACE] = {"workspace", FE_T_OBJ, &fe_keys_workspace, false, "where steps find the source"},
	[PL_CLONE] = {"clone", FE_T_OBJ, &fe_keys_clone, false, "how the source is fetched"},
	[PL_STEPS] = {"steps", FE_T_OBJS, &fe_keys_step, true, "the steps, run in order unless depends_on says otherwise"},
	[PL_SERVICES] = {"services", FE_T_OBJS, &fe_keys_step, false, "containers running beside the steps"},
	[PL_VOLUMES] = {"volumes", FE_T_OBJS, &fe_keys_volume, false, "volumes steps can mount"},
	[PL_TRIGGER] = {"trigger", FE_T_COND, NULL, false, "conditions under which the pipeline runs"},
	[PL_DEPENDS_ON] = {"depends_on", FE_T_STRS, NULL, false, "pipelines that must finish first"},
	[PL_NODE] = {"node", FE_T_MAP, NULL, false, "labels of the runner the pipeline needs"},
	[PL_ENVIRONMENT] = {"environment", FE_T_ENV, NULL, false, "variables of every step"},
	[PL_PULL_SECRETS] = {"image_pull_secrets", FE_T_STRS, NULL, false, "secrets holding registry credentials"},
	[PL_CONCURRENCY] = {"concurrency", FE_T_OBJ, &fe_keys_concurrency, false, "limits on parallel runs"},
	[PL_SERVER] = {"server", FE_T_ENV, NULL, false, "ssh: the host, user and password or ssh_key; digitalocean and macstadium: the machine's image, size and region"},
	[PL_TOKEN] = {"token", FE_T_ANY, NULL, false, "digitalocean and macstadium: the API token, {from_secret: name}"},
	[PL_POOL] = {"pool", FE_T_OBJ, &fe_keys_pool, false, "vm: the pool of machines the pipeline runs on"},
	[PL_METADATA] = {"metadata", FE_T_OBJ, &fe_keys_kube_metadata, false, "kubernetes: the namespace, annotations and labels of the pipeline's Pods"},
	[PL_NODE_SELECTOR] = {"node_selector", FE_T_MAP, NULL, false, "kubernetes: labels of the nodes the Pods may run on"},
	[PL_TOLERATIONS] = {"tolerations", FE_T_OBJS, &fe_keys_toleration, false, "kubernetes: taints the Pods tolerate"},
	[PL_SERVICE_ACCOUNT] = {"service_account_name", FE_T_STR, NULL, false, "kubernetes: the Pods' service account"},
	[PL_DNS_CONFIG] = {"dns_config", FE_T_OBJ, &fe_keys_dns_config, false, "kubernetes: the Pods' DNS settings"},
	[PL_HOST_ALIASES] = {"host_aliases", FE_T_OBJS, &fe_keys_host_alias, false, "kubernetes: extra /etc/hosts entries of the Pods"},
};
KEYSET(fe_keys_pipeline, "pipeline", pipeline_keys, "a pipeline: steps run in containers or processes");

static const struct fe_key secret_get_keys[SG_N] = {
	[SG_PATH] = {"path", FE_T_STR, NULL, true, "the secret's path in the secret store"},
	[SG_NAME] = {"name", FE_T_STR, NULL, true, "the key at that path"},
};
KEYSET(fe_keys_secret_get, "get", secret_get_keys, "where a secret store holds the value");

static const struct fe_key secret_keys[SE_N] = {
	[SE_KIND] = {"kind", FE_T_STR, NULL, true, "secret"},
	[SE_TYPE] = {"type", FE_T_STR, NULL, false, "ignored"},
	[SE_NAME] = {"name", FE_T_STR, NULL, true, "the name from_secret refers to"},
	[SE_GET] = {"get", FE_T_OBJ, &fe_keys_secret_get, false, "read the value from a secret store"},
	[SE_ENV] = {"env", FE_T_STR, NULL, false, "read the value from this host variable"},
	[SE_FILE] = {"file", FE_T_STR, NULL, false, "read the value from this host file"},
	[SE_DATA] = {"data", FE_T_STR, NULL, false, "an encrypted value (not supported)"},
};
KEYSET_ONE(fe_keys_secret, "secret", secret_keys, "where a secret's value comes from",
	   1u << SE_GET | 1u << SE_ENV | 1u << SE_FILE | 1u << SE_DATA);

static const struct fe_key signature_keys[SI_N] = {
	[SI_KIND] = {"kind", FE_T_STR, NULL, true, "signature"},
	[SI_HMAC] = {"hmac", FE_T_STR, NULL, false, "the file's signature; not checked"},
};
KEYSET(fe_keys_signature, "signature", signature_keys, "a signature of the file (ignored)");

static const struct fe_key template_keys[TP_N] = {
	[TP_KIND] = {"kind", FE_T_STR, NULL, true, "template"},
	[TP_LOAD] = {"load", FE_T_STR, NULL, true, "the template's file name, e.g. go.yaml, read from --templates DIR"},
	[TP_DATA] = {"data", FE_T_ANY, NULL, false, "values the template reads as {{ .input.NAME }}"},
};
KEYSET(fe_keys_template, "template", template_keys, "pipelines made from a template (Drone's template extension)");

/* ---- checking -------------------------------------------------------- */

const char *fe_node_kind_name(const struct fe_node *n)
{
	if (n->kind == FE_SEQ)
		return "a sequence";
	if (n->kind == FE_MAP)
		return "a map";
	return fe_is_null(n) ? "null" : "a string";
}

/* One spelling rule for the whole program: ir_suggest(). */
const char *fe_suggest(const char *word, const char *const *names, size_t n)
{
	return ir_suggest(word, names, n);
}

int fe_bool(const struct fe_node *n)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	if (!n || n->kind != FE_SCALAR || !n->plain)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(n->str, yes[i]) == 0)
			return 1;
		if (strcasecmp(n->str, no[i]) == 0)
			return 0;
	}
	return -1;
}

static bool is_int(const struct fe_node *n)
{
	char *end;
	if (n->kind != FE_SCALAR || !n->len)
		return false;
	(void)strtoll(n->str, &end, 10);
	return *end == '\0';
}

static bool all_scalars(const struct fe_node *n)
{
	for (size_t i = 0; i < n->nitems; i++)
		if (n->items[i]->kind != FE_SCALAR || fe_is_null(n->items[i]))
			return false;
	return true;
}

static bool all_maps(const struct fe_node *n)
{
	for (size_t i = 0; i < n->nitems; i++)
		if (n->items[i]->kind != FE_MAP)
			return false;
	return true;
}

/* NULL when `n` fits `t`, else what was expected, for the message. */
static const char *type_error(enum fe_type t, const struct fe_node *n)
{
	bool scalar = n->kind == FE_SCALAR;
	switch (t) {
	case FE_T_STR: return scalar ? NULL : "a string";
	case FE_T_INT: return is_int(n) ? NULL : "an integer";
	case FE_T_BOOL: return fe_bool(n) >= 0 ? NULL : "true or false";
	case FE_T_NUM:
	case FE_T_SIZE: return scalar ? NULL : "a number or a string";
	case FE_T_LIST:
		return n->kind == FE_SEQ && all_scalars(n) ? NULL : "a sequence of strings";
	case FE_T_STRS:
		return scalar || (n->kind == FE_SEQ && all_scalars(n)) ? NULL
		       : "a string or a sequence of strings";
	case FE_T_MAP:
	case FE_T_ENV:
	case FE_T_OBJ:
	case FE_T_COND: return n->kind == FE_MAP ? NULL : "a map";
	case FE_T_OBJS:
		return n->kind == FE_SEQ && all_maps(n) ? NULL : "a sequence of maps";
	case FE_T_PORTS:
	case FE_T_ARTIFACTS: return n->kind == FE_SEQ ? NULL : "a sequence";
	case FE_T_DURATION: return scalar ? NULL : "a duration such as 10s";
	case FE_T_SECRET:
		return scalar || n->kind == FE_MAP ? NULL : "a string or {from_secret: name}";
	case FE_T_ANY: return NULL;
	}
	return NULL;
}

/* Which item of a sequence broke it, so the caret lands on it. */
static const struct fe_node *culprit(const struct fe_node *n, enum fe_type t)
{
	if (n->kind != FE_SEQ)
		return n;
	for (size_t i = 0; i < n->nitems; i++) {
		const struct fe_node *it = n->items[i];
		if ((t == FE_T_OBJS) != (it->kind == FE_MAP) || fe_is_null(it))
			return it;
	}
	return n;
}

/* Whether `n` or a node below it, aliases not followed, is an anchor in use. */
static bool holds_anchor(const struct fe_node *n, int depth)
{
	if (n->aliased)
		return true;
	if (n->alias || n->kind == FE_SCALAR || depth > FE_MAX_DEPTH)
		return false;
	for (size_t i = 0; n->kind == FE_SEQ && i < n->nitems; i++)
		if (holds_anchor(n->items[i], depth + 1))
			return true;
	for (size_t i = 0; n->kind == FE_MAP && i < n->npairs; i++)
		if (holds_anchor(n->pairs[i].value, depth + 1))
			return true;
	return false;
}

void fe_unknown_key(const char *file, const struct fe_pair *p, const char *where,
		    const char *const *names, size_t n, struct diag_list *dl)
{
	const char *key = p->key->str;
	if (strncmp(key, "x-", 2) == 0 || key[0] == '.' || holds_anchor(p->value, 0))
		return;
	const char *hint = fe_suggest(key, names, n);
	if (hint)
		diag_warning(dl, fe_pos(file, p->key), "unknown-key",
			     "unknown key '%s' in %s, did you mean '%s'", key, where, hint);
	else
		diag_warning(dl, fe_pos(file, p->key), "unknown-key",
			     "unknown key '%s' in %s", key, where);
}

/* "DOCKER_PASSWORD" for docker_password: the variable 0.8 made of a secret. */
static const char *variable(const char *name, char *buf, size_t size)
{
	size_t i = 0;
	for (; name[i] && i + 1 < size; i++)
		buf[i] = (char)toupper((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

/*
 * A step's `secrets: [docker_password]` (or [{source, target}]) is Drone
 * 0.8's spelling, which Drone 1.x ignores: an unknown key still, but the
 * warning shows the 1.x spelling for the first secret, and says the step
 * gets nothing from it, as under Drone.
 */
static bool old_step_secrets(const struct fe_keyset *ks, const struct fe_pair *p,
			     const char *file, struct diag_list *dl)
{
	if (ks != &fe_keys_step || strcmp(p->key->str, "secrets") != 0)
		return false;
	const struct fe_node *first = p->value->kind == FE_SEQ && p->value->nitems
				      ? p->value->items[0] : NULL;
	const char *name = "name", *var = "NAME";
	char buf[128];
	if (first && first->kind == FE_SCALAR && first->len) {
		name = first->str;
		var = variable(name, buf, sizeof buf);
	} else if (first && first->kind == FE_MAP) {
		const struct fe_node *src = fe_map_get(first, "source"), *dst = fe_map_get(first, "target");
		if (src && src->kind == FE_SCALAR && dst && dst->kind == FE_SCALAR) {
			name = src->str;
			var = variable(dst->str, buf, sizeof buf);
		}
	}
	diag_warning(dl, fe_pos(file, p->key), "unknown-key",
		     "key 'secrets' is Drone 0.8's spelling, which Drone 1.x ignores: the "
		     "step gets no secret from it; write environment: {%s: {from_secret: %s}}",
		     var, name);
	return true;
}

static void unknown_key(const struct fe_keyset *ks, const struct fe_pair *p,
			const char *file, struct diag_list *dl)
{
	const char *names[FE_KEYS_MAX];
	if (old_step_secrets(ks, p, file, dl))
		return;
	for (size_t i = 0; i < ks->n; i++)
		names[i] = ks->keys[i].name;
	fe_unknown_key(file, p, ks->name, names, ks->n, dl);
}

/* The first byte is compared before the call: most names differ there. */
static int find_key(const struct fe_keyset *ks, const char *name)
{
	for (size_t i = 0; i < ks->n; i++)
		if (ks->keys[i].name[0] == name[0] && strcmp(ks->keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* One map being checked: what it has given so far, bit i for key i. */
struct check {
	const struct fe_keyset *ks;
	const struct fe_node **v;
	uint32_t named;             /* keys written, with a value or not */
	uint32_t given;             /* keys first written with a value */
	const char *file;
	struct diag_list *dl;
};

_Static_assert(FE_KEYS_MAX <= 32, "a keyset's keys fit a 32-bit mask");

static int check_pair(struct check *c, const struct fe_pair *p)
{
	const struct fe_keyset *ks = c->ks;
	if (p->key->kind != FE_SCALAR)
		return diag_error(c->dl, fe_pos(c->file, p->key), "wrong-type",
				  "%s key: expected a string, got %s", ks->name,
				  fe_node_kind_name(p->key));
	int i = find_key(ks, p->key->str);
	if (i < 0) {
		unknown_key(ks, p, c->file, c->dl);
		return 0;
	}
	const struct fe_key *k = &ks->keys[i];
	bool null = fe_is_null(p->value);
	/* A repeated key is present when its first value is, as fe_map_get() sees it. */
	if (!(c->named & 1u << i) && !null)
		c->given |= 1u << i;
	c->named |= 1u << i;
	if (null)
		return 0;
	const char *want = type_error(k->type, p->value);
	if (want) {
		const struct fe_node *bad = culprit(p->value, k->type);
		return diag_error(c->dl, fe_pos(c->file, bad), "wrong-type", "%s: expected %s, got %s",
				  k->name, want, fe_node_kind_name(bad));
	}
	c->v[i] = p->value;
	return 0;
}

int fe_keys_check_given(const struct fe_keyset *ks, const struct fe_node *map,
			const struct fe_node **v, uint32_t *given, const char *file,
			struct diag_list *dl)
{
	struct check c = {.ks = ks, .v = v, .file = file, .dl = dl};
	int errors = 0;
	for (size_t i = 0; i < ks->n; i++)
		v[i] = NULL;
	for (size_t i = 0; i < map->npairs; i++)
		errors += check_pair(&c, &map->pairs[i]) < 0;
	/* not v[i]: a wrong-typed key was reported, it is not missing */
	for (size_t i = 0; i < ks->n; i++) {
		if (!ks->keys[i].required || c.given & 1u << i)
			continue;
		diag_error(dl, fe_pos(file, map), "missing-key",
			   "%s is missing required key '%s'", ks->name, ks->keys[i].name);
		errors++;
	}
	*given = c.given;
	return errors;
}

int fe_keys_check(const struct fe_keyset *ks, const struct fe_node *map,
		  const struct fe_node **v, const char *file, struct diag_list *dl)
{
	uint32_t given;
	return fe_keys_check_given(ks, map, v, &given, file, dl);
}
