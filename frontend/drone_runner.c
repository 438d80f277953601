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
 * type Drone ignores them, and so does pipec, with a warning.  Nothing
 * these keys hold reaches the IR: the secrets they name are the runner's,
 * never a step's.
 */
#include <stdio.h>
#include <string.h>

#include "frontend/drone.h"

struct runner {
	const char *type;
	enum ir_backend backend;
	bool keep;                      /* recorded as the pipeline's `runner` */
	uint32_t keys;                  /* the runner keys (bit PL_x) it reads */
	const char *const *server;      /* the keys of its `server` */
	size_t nserver;
};

#define BIT(k) (1u << (k))
#define KUBE_KEYS (BIT(PL_METADATA) | BIT(PL_NODE_SELECTOR) | BIT(PL_TOLERATIONS) | \
		   BIT(PL_SERVICE_ACCOUNT) | BIT(PL_DNS_CONFIG) | BIT(PL_HOST_ALIASES))
#define MACHINE_KEYS (BIT(PL_SERVER) | BIT(PL_TOKEN))

static const char *const ssh_server[] = {"host", "user", "password", "ssh_key"};
static const char *const machine_server[] = {"image", "size", "region"};

static const struct runner runners[] = {
	{"docker", IR_BACKEND_DOCKER, false, 0, NULL, 0},
	{"kubernetes", IR_BACKEND_KUBE, false, KUBE_KEYS, NULL, 0},
	{"exec", IR_BACKEND_LOCAL, false, 0, NULL, 0},
	{"ssh", IR_BACKEND_LOCAL, true, BIT(PL_SERVER), ssh_server, 4},
	{"vm", IR_BACKEND_LOCAL, true, BIT(PL_POOL), NULL, 0},
	{"digitalocean", IR_BACKEND_LOCAL, true, MACHINE_KEYS, machine_server, 3},
	{"macstadium", IR_BACKEND_LOCAL, true, MACHINE_KEYS, machine_server, 3},
};
#define NRUNNERS (sizeof runners / sizeof *runners)

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
	for (size_t i = 0; n && i < n->npairs; i++) {
		const struct fe_pair *p = &n->pairs[i];
		bool known = p->key->kind != FE_SCALAR;
		for (size_t k = 0; !known && k < r->nserver; k++)
			known = strcmp(p->key->str, r->server[k]) == 0;
		if (!known)
			fe_unknown_key(lw->file, p, "server", r->server, r->nserver, lw->dl);
	}
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

/* Checks each map of the sequence `n` against `ks`. */
static void check_each(struct lower *lw, const struct fe_node *n,
		       const struct fe_keyset *ks)
{
	const struct fe_node *sv[FE_KEYS_MAX];
	for (size_t i = 0; n && i < n->nitems; i++)
		fe_keys_check(ks, n->items[i], sv, lw->file, lw->dl);
}

/* metadata, tolerations, dns_config and host_aliases of a kubernetes pipeline. */
static void check_kube(struct lower *lw, const struct fe_node *const *v)
{
	const struct fe_node *sv[FE_KEYS_MAX];
	if (v[PL_METADATA])
		fe_keys_check(&fe_keys_kube_metadata, v[PL_METADATA], sv, lw->file, lw->dl);
	check_each(lw, v[PL_TOLERATIONS], &fe_keys_toleration);
	check_each(lw, v[PL_HOST_ALIASES], &fe_keys_host_alias);
	if (v[PL_DNS_CONFIG] &&
	    !fe_keys_check(&fe_keys_dns_config, v[PL_DNS_CONFIG], sv, lw->file, lw->dl))
		check_each(lw, sv[KD_OPTIONS], &fe_keys_dns_option);
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
	if (r->keys & KUBE_KEYS)
		check_kube(lw, v);
}
