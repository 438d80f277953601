/*
 * keys.h - the Drone dialect's key table, shared by the lowering (which
 * checks every map against it) and the JSON Schema generator.  Private
 * to frontend/.
 *
 * Each context (pipeline, step, clone, ...) is a keyset: an array of
 * keys indexed by an enum, so the lowering reads `v[STEP_IMAGE]` after
 * fe_keys_check() has warned of unknown keys and rejected wrong types.
 */
#ifndef PIPEC_FRONTEND_KEYS_H
#define PIPEC_FRONTEND_KEYS_H

#include "frontend/internal.h"

/* What YAML a key takes. */
enum fe_type {
	FE_T_STR,       /* a scalar */
	FE_T_INT,       /* an integer */
	FE_T_BOOL,      /* true/false (also yes/no, on/off) */
	FE_T_NUM,       /* a number, or a string such as "500m" */
	FE_T_SIZE,      /* bytes: an integer or a string such as "1GiB" */
	FE_T_LIST,      /* a sequence of scalars */
	FE_T_STRS,      /* a scalar or a sequence of scalars */
	FE_T_MAP,       /* a map of names to scalars */
	FE_T_ENV,       /* a map of names to scalars or {from_secret: name} */
	FE_T_ANY,       /* anything (plugin settings) */
	FE_T_OBJ,       /* a map checked against `sub` */
	FE_T_OBJS,      /* a sequence of maps checked against `sub` */
	FE_T_COND,      /* a condition map (when/trigger) */
	FE_T_PORTS,     /* a sequence of port numbers or `port` maps */
	FE_T_DURATION,  /* a duration as docker compose writes it: 1m30s, 500ms */
	FE_T_ARTIFACTS, /* a sequence of paths or maps checked against `sub` */
	FE_T_SECRET,    /* a string or {from_secret: name} */
};

struct fe_keyset;

struct fe_key {
	const char *name;
	enum fe_type type;
	const struct fe_keyset *sub;    /* FE_T_OBJ, FE_T_OBJS, FE_T_PORTS, FE_T_ARTIFACTS */
	bool required;
	const char *desc;               /* one line, for the schema */
};

struct fe_keyset {
	const char *name;               /* as diagnostics name it: "step" */
	const struct fe_key *keys;
	size_t n;
	const char *desc;
	uint32_t one_of;                /* keys (bit i: key i) of which one is required */
};

enum { PL_KIND, PL_TYPE, PL_NAME, PL_VERSION, PL_PLATFORM, PL_WORKSPACE,
       PL_CLONE, PL_STEPS, PL_SERVICES, PL_VOLUMES, PL_TRIGGER,
       PL_DEPENDS_ON, PL_NODE, PL_ENVIRONMENT, PL_PULL_SECRETS,
       PL_CONCURRENCY,
       /* the keys of one runner type or another (drone_runner.c) */
       PL_SERVER, PL_TOKEN, PL_POOL, PL_METADATA, PL_NODE_SELECTOR,
       PL_TOLERATIONS, PL_SERVICE_ACCOUNT, PL_DNS_CONFIG, PL_HOST_ALIASES,
       PL_N };
enum { ST_NAME, ST_IMAGE, ST_PULL, ST_COMMANDS, ST_ENTRYPOINT, ST_COMMAND,
       ST_ENVIRONMENT, ST_SETTINGS, ST_WHEN, ST_DEPENDS_ON, ST_DETACH,
       ST_PRIVILEGED, ST_USER, ST_VOLUMES, ST_FAILURE, ST_WORKING_DIR,
       ST_NETWORK_MODE, ST_DNS, ST_DNS_SEARCH, ST_EXTRA_HOSTS, ST_DEVICES,
       ST_PORTS, ST_RESOURCES, ST_SHM_SIZE, ST_HEALTHCHECK, ST_EXPORTS,
       ST_IMPORTS, ST_N };
enum { PF_OS, PF_ARCH, PF_VARIANT, PF_VERSION, PF_N };
enum { WS_BASE, WS_PATH, WS_N };
enum { CL_DISABLE, CL_DEPTH, CL_SKIP_VERIFY, CL_RETRIES, CL_TRACE, CL_N };
enum { VO_NAME, VO_TEMP, VO_HOST, VO_N };
enum { VT_MEDIUM, VT_SIZE_LIMIT, VT_N };
enum { VH_PATH, VH_N };
enum { MO_NAME, MO_PATH, MO_N };
enum { PO_PORT, PO_HOST, PO_PROTOCOL, PO_N };
enum { RS_LIMITS, RS_REQUESTS, RS_N };
enum { RL_CPU, RL_MEMORY, RL_N };
enum { CC_LIMIT, CC_N };
enum { SE_KIND, SE_TYPE, SE_NAME, SE_GET, SE_ENV, SE_FILE, SE_DATA, SE_N };
enum { SG_PATH, SG_NAME, SG_N };
enum { SI_KIND, SI_HMAC, SI_N };
enum { TP_KIND, TP_LOAD, TP_DATA, TP_N };
enum { FS_FROM_SECRET, FS_N };
enum { CO_INCLUDE, CO_EXCLUDE, CO_N };
enum { HC_TEST, HC_PORT, HC_INTERVAL, HC_TIMEOUT, HC_RETRIES, HC_DISABLE, HC_N };
enum { AR_NAME, AR_PATH, AR_N };        /* exports and imports */
enum { VP_USE, VP_N };                  /* vm pool */
enum { KM_NAMESPACE, KM_ANNOTATIONS, KM_LABELS, KM_N };
enum { KT_KEY, KT_OPERATOR, KT_VALUE, KT_EFFECT, KT_SECONDS, KT_N };
enum { KD_NAMESERVERS, KD_SEARCHES, KD_OPTIONS, KD_N };
enum { KH_IP, KH_HOSTNAMES, KH_N };
enum { KO_NAME, KO_VALUE, KO_N };
enum { SS_HOST, SS_USER, SS_PASSWORD, SS_SSH_KEY, SS_N };      /* ssh server */
enum { SM_IMAGE, SM_SIZE, SM_REGION, SM_N };                   /* a machine's server */

extern const struct fe_keyset fe_keys_pipeline, fe_keys_step, fe_keys_platform,
	fe_keys_workspace, fe_keys_clone, fe_keys_volume, fe_keys_volume_temp,
	fe_keys_volume_host, fe_keys_mount, fe_keys_device, fe_keys_port,
	fe_keys_resources, fe_keys_limits, fe_keys_concurrency, fe_keys_secret,
	fe_keys_secret_get, fe_keys_signature, fe_keys_template, fe_keys_from_secret, fe_keys_when,
	fe_keys_condition, fe_keys_healthcheck, fe_keys_export, fe_keys_import,
	fe_keys_pool, fe_keys_kube_metadata, fe_keys_toleration, fe_keys_dns_config,
	fe_keys_host_alias, fe_keys_dns_option, fe_keys_ssh_server, fe_keys_machine_server;

/* The largest keyset, for callers' value arrays. */
#define FE_KEYS_MAX 32

/*
 * Checks `map` against `ks`: every key known, every value of its type,
 * every required key present.  Fills v[i] with the value of key i, or
 * NULL when absent, null or of the wrong type.  Returns the number of
 * errors recorded.
 */
int fe_keys_check(const struct fe_keyset *ks, const struct fe_node *map,
		  const struct fe_node **v, const char *file, struct diag_list *dl);

/*
 * fe_keys_check() that also sets bit i of *given when key i is written
 * with a value, even one of the wrong type: what the map has, without
 * looking it up again.
 */
int fe_keys_check_given(const struct fe_keyset *ks, const struct fe_node *map,
			const struct fe_node **v, uint32_t *given, const char *file,
			struct diag_list *dl);

/* "a string", "a sequence", "a map" or "null": what a node is, for messages. */
const char *fe_node_kind_name(const struct fe_node *n);

/* The closest of `names` to `word` within a small edit distance, or NULL. */
const char *fe_suggest(const char *word, const char *const *names, size_t n);

/* Parses a YAML boolean spelling; -1 when `n` is not one. */
int fe_bool(const struct fe_node *n);

#endif
