/*
 * drone_runner.c - a pipeline's `type`: which of Drone's runners it was
 * written for, where pipec runs it, and the keys only that runner reads.
 *
 * docker and kubernetes pipelines run on pipec's backends of those names
 * and exec pipelines on the local backend.  The runners that run commands
 * on a machine of their own (ssh on a server, vm, digitalocean and
 * macstadium on a machine made for the pipeline) have no pipec backend:
 * their steps run as local processes, and the IR keeps the type as the
 * pipeline's `runner` so that `pipec run` can say so.  Each runner's own
 * keys are checked in a pipeline of that type; in a pipeline of another
 * type Drone ignores them, and so does pipec, with a warning.  A
 * kubernetes pipeline's metadata, node_selector, tolerations and
 * service_account_name, dns_config and host_aliases become the IR's
 * `kubernetes` object, which the Kubernetes backend gives its Pods.
 * Nothing else these keys hold reaches the IR: the secrets
 * they name are the runner's, never a step's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/drone.h"

struct runner {
	const char *type;
	enum ir_backend backend;
	bool keep;                      /* recorded as the pipeline's `runner` */
	uint32_t keys;                  /* the runner keys (bit PL_x) it reads */
	const struct fe_keyset *server; /* the keys of its `server` */
};

#define BIT(k) (1u << (k))
#define KUBE_KEYS (BIT(PL_METADATA) | BIT(PL_NODE_SELECTOR) | BIT(PL_TOLERATIONS) | \
		   BIT(PL_SERVICE_ACCOUNT) | BIT(PL_DNS_CONFIG) | BIT(PL_HOST_ALIASES))
#define MACHINE_KEYS (BIT(PL_SERVER) | BIT(PL_TOKEN))

static const struct runner runners[] = {
	{"docker", IR_BACKEND_DOCKER, false, 0, NULL},
	{"kubernetes", IR_BACKEND_KUBE, false, KUBE_KEYS, NULL},
	{"exec", IR_BACKEND_LOCAL, false, 0, NULL},
	{"ssh", IR_BACKEND_LOCAL, true, BIT(PL_SERVER), &fe_keys_ssh_server},
	{"vm", IR_BACKEND_LOCAL, true, BIT(PL_POOL), NULL},
	{"digitalocean", IR_BACKEND_LOCAL, true, MACHINE_KEYS, &fe_keys_machine_server},
	{"macstadium", IR_BACKEND_LOCAL, true, MACHINE_KEYS, &fe_keys_machine_server},
};
#define NRUNNERS (sizeof runners / sizeof *runners)

const char *fe_runner_server(size_t i, const struct fe_keyset **server)
{
	if (i >= NRUNNERS)
		return NULL;
	*server = runners[i].server;
	return runners[i].type;
}

static const struct runner *find_runner(struct lower *lw, const struct fe_node *n)
{
	const char *names[NRUNNERS];
	if (!n)
		return &runners[0];
	for (size_t i = 0; i < NRUNNERS; i++) {
		if (strcmp(n->str, runners[i].type) == 0)
			return &runners[i];
		names[i] = runners[i].type;
	}
	const char *hint = fe_suggest(n->str, names, NRUNNERS);
	diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
		   "type: expected docker, kubernetes, exec, ssh, vm, digitalocean or "
		   "macstadium, got '%s'%s%s%s", n->str, hint ? ", did you mean '" : "",
		   hint ? hint : "", hint ? "'" : "");
	return &runners[0];
}

/* "ssh, digitalocean or macstadium": the types that read key `k`. */
static void readers(int k, char *buf, size_t size)
{
	size_t n = 0, len = 0;
	for (size_t i = 0; i < NRUNNERS; i++)
		n += (runners[i].keys & BIT(k)) != 0;
	buf[0] = '\0';
	for (size_t i = 0, seen = 0; i < NRUNNERS && len < size; i++) {
		if (!(runners[i].keys & BIT(k)))
			continue;
		seen++;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					seen == 1 ? "" : seen == n ? " or " : ", ",
					runners[i].type);
	}
}

/* Warns about each runner key of `doc` that this type does not read. */
static void foreign_keys(struct lower *lw, const struct fe_node *doc,
			 const struct runner *r, uint32_t given)
{
	for (size_t i = 0; i < doc->npairs; i++) {
		const struct fe_pair *p = &doc->pairs[i];
		for (int k = PL_SERVER; k < PL_N && p->key->kind == FE_SCALAR; k++) {
			if (!(given & BIT(k)) || (r->keys & BIT(k)) ||
			    strcmp(p->key->str, fe_keys_pipeline.keys[k].name) != 0)
				continue;
			char who[96];
			readers(k, who, sizeof who);
			diag_warning(lw->dl, fe_pos(lw->file, p->key), "unknown-key",
				     "'%s' is read by %s pipelines; this %s pipeline "
				     "ignores it", p->key->str, who, r->type);
		}
	}
}

/* server: {host: deploy.example.com, user: ci, ssh_key: {from_secret: key}} */
static void check_server(struct lower *lw, const struct fe_node *n,
			 const struct runner *r)
{
	const struct fe_node *sv[FE_KEYS_MAX];
	if (n)
		fe_keys_check(r->server, n, sv, lw->file, lw->dl);
}

/* token: {from_secret: do_token} (or the token itself) */
static void check_token(struct lower *lw, const struct fe_node *n)
{
	const struct fe_node *fv[FS_N];
	if (!n || n->kind == FE_SCALAR)
		return;
	if (n->kind == FE_MAP)
		fe_keys_check(&fe_keys_from_secret, n, fv, lw->file, lw->dl);
	else
		diag_error(lw->dl, fe_pos(lw->file, n), "wrong-type",
			   "token: expected a string or {from_secret: name}, got %s",
			   fe_node_kind_name(n));
}

/* A kubernetes pipeline's dns_config into k's dns_*: nameservers, searches, options. */
static void lower_dns_config(struct lower *lw, const struct fe_node *n, struct ir_kube *k)
{
	const struct fe_node *dv[FE_KEYS_MAX] = {0};
	if (!n || fe_keys_check(&fe_keys_dns_config, n, dv, lw->file, lw->dl))
		return;
	k->dns_nameservers = fe_drone_strs(lw, dv[KD_NAMESERVERS]);
	k->dns_searches = fe_drone_strs(lw, dv[KD_SEARCHES]);
	const struct fe_node *opts = dv[KD_OPTIONS];
	if (!opts || opts->kind != FE_SEQ || !opts->nitems)
		return;
	k->dns_options.v = ir_calloc(lw->a, opts->nitems + 1, sizeof *k->dns_options.v);
	for (size_t i = 0; i < opts->nitems; i++) {
		const struct fe_node *ov[FE_KEYS_MAX] = {0};
		if (fe_keys_check(&fe_keys_dns_option, opts->items[i], ov, lw->file, lw->dl))
			continue;
		char *name = fe_drone_str(lw, ov[KO_NAME], false);
		char *value = ov[KO_VALUE] ? fe_drone_str(lw, ov[KO_VALUE], false) : NULL;
		if (name)
			k->dns_options.v[k->dns_options.n++] = (struct ir_kv){name, value ? value : ir_strdup(lw->a, "")};
	}
}

/* A kubernetes pipeline's host_aliases ({ip, hostnames}) into k. */
static void lower_host_aliases(struct lower *lw, const struct fe_node *n, struct ir_kube *k)
{
	if (!n || n->kind != FE_SEQ || !n->nitems)
		return;
	k->host_aliases = ir_calloc(lw->a, n->nitems, sizeof *k->host_aliases);
	for (size_t i = 0; i < n->nitems; i++) {
		const struct fe_node *hv[FE_KEYS_MAX] = {0};
		if (fe_keys_check(&fe_keys_host_alias, n->items[i], hv, lw->file, lw->dl))
			continue;
		struct ir_host_alias h = {fe_drone_str(lw, hv[KH_IP], false), fe_drone_strs(lw, hv[KH_HOSTNAMES])};
		if (h.ip && h.hostnames.n)
			k->host_aliases[k->nhost_aliases++] = h;
	}
}

/* A map of scalars as written (labels, annotations, a node selector). */
static struct ir_env lower_map(struct lower *lw, const struct fe_node *n)
{
	struct ir_env e = {0};
	if (!n || n->kind != FE_MAP || !n->npairs)
		return e;
	e.v = ir_calloc(lw->a, n->npairs + 1, sizeof *e.v);
	for (size_t i = 0; i < n->npairs; i++) {
		const struct fe_pair *kv = &n->pairs[i];
		char *value = kv->value->kind == FE_SCALAR ? fe_drone_str(lw, kv->value, false) : NULL;
		if (value)
			e.v[e.n++] = (struct ir_kv){ir_strdup(lw->a, kv->key->str), value};
	}
	return e;
}

/* `n`'s value when it is one of `allowed` (NULL-terminated); else an error. */
static char *one_of(struct lower *lw, const struct fe_node *n, const char *what,
		    const char *const *allowed)
{
	char *v = n ? fe_drone_str(lw, n, false) : NULL;
	for (size_t i = 0; v && allowed[i]; i++)
		if (strcmp(v, allowed[i]) == 0)
			return v;
	if (v)
		diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
			   "%s: expected %s, got '%s'", what,
			   allowed[2] ? "NoSchedule, PreferNoSchedule or NoExecute" : "Exists or Equal", v);
	return NULL;
}

static void lower_toleration(struct lower *lw, const struct fe_node *n, struct ir_toleration *t)
{
	static const char *const operators[] = {"Exists", "Equal", NULL};
	static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
	const struct fe_node *tv[KT_N] = {0};
	fe_keys_check(&fe_keys_toleration, n, tv, lw->file, lw->dl);
	t->key = tv[KT_KEY] ? fe_drone_str(lw, tv[KT_KEY], false) : NULL;
	t->operator_ = one_of(lw, tv[KT_OPERATOR], "operator", operators);
	t->value = tv[KT_VALUE] ? fe_drone_str(lw, tv[KT_VALUE], false) : NULL;
	t->effect = one_of(lw, tv[KT_EFFECT], "effect", effects);
	if (tv[KT_SECONDS])
		t->seconds = strtoll(tv[KT_SECONDS]->str, NULL, 10);
}

/* metadata, node_selector, tolerations, service_account_name, dns_config and host_aliases into p->kube. */
static void lower_kube(struct lower *lw, const struct fe_node *const *v, struct ir_pipeline *p)
{
	const struct fe_node *mv[KM_N] = {0};
	if (v[PL_METADATA])
		fe_keys_check(&fe_keys_kube_metadata, v[PL_METADATA], mv, lw->file, lw->dl);
	struct ir_kube k = {
		.namespace = mv[KM_NAMESPACE] ? fe_drone_str(lw, mv[KM_NAMESPACE], false) : NULL,
		.labels = lower_map(lw, mv[KM_LABELS]),
		.annotations = lower_map(lw, mv[KM_ANNOTATIONS]),
		.node_selector = lower_map(lw, v[PL_NODE_SELECTOR]),
		.service_account = v[PL_SERVICE_ACCOUNT] ? fe_drone_str(lw, v[PL_SERVICE_ACCOUNT], false) : NULL,
	};
	const struct fe_node *tols = v[PL_TOLERATIONS];
	if (tols && tols->kind == FE_SEQ && tols->nitems) {
		k.tolerations = ir_calloc(lw->a, tols->nitems, sizeof *k.tolerations);
		for (size_t i = 0; i < tols->nitems; i++)
			if (tols->items[i]->kind == FE_MAP)   /* else the key table reported it */
				lower_toleration(lw, tols->items[i], &k.tolerations[k.ntolerations++]);
	}
	lower_dns_config(lw, v[PL_DNS_CONFIG], &k);
	lower_host_aliases(lw, v[PL_HOST_ALIASES], &k);
	if (!k.namespace && !k.labels.n && !k.annotations.n && !k.node_selector.n &&
	    !k.ntolerations && !k.service_account && !k.dns_nameservers.n && !k.dns_searches.n &&
	    !k.dns_options.n && !k.nhost_aliases)
		return;
	p->kube = ir_calloc(lw->a, 1, sizeof *p->kube);
	*p->kube = k;
}

void fe_drone_runner(struct lower *lw, const struct fe_node *doc,
		     const struct fe_node *const *v, uint32_t given,
		     struct ir_pipeline *p)
{
	const struct fe_node *pv[VP_N];
	const struct runner *r = find_runner(lw, v[PL_TYPE]);
	p->backend = r->backend;
	if (r->keep)
		p->runner = ir_strdup(lw->a, r->type);
	foreign_keys(lw, doc, r, given);
	if (r->keys & BIT(PL_SERVER))
		check_server(lw, v[PL_SERVER], r);
	if (r->keys & BIT(PL_TOKEN))
		check_token(lw, v[PL_TOKEN]);
	if ((r->keys & BIT(PL_POOL)) && v[PL_POOL])
		fe_keys_check(&fe_keys_pool, v[PL_POOL], pv, lw->file, lw->dl);
	if (r->keys & KUBE_KEYS) {
		lower_kube(lw, v, p);
	}
}
