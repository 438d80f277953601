/*
 * prune.c - removes what killed runs left on the cluster.
 *
 * A run's root ConfigMap (label pipec.root) says in its pipec.owner
 * annotation which process on which host made it.  A root whose process
 * on this host is gone is deleted with propagationPolicy Foreground,
 * which removes the run's other objects through their ownerReferences;
 * objects labelled pipec.run whose root is gone altogether (a run killed
 * between two creates) are deleted one by one.  Runs of other hosts are
 * left to them.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend-kube/internal.h"

static const struct {
	const char *path, *kind;
} kinds[] = {
	{"pods", "pod"}, {"services", "service"}, {"secrets", "secret"},
	{"persistentvolumeclaims", "persistentvolumeclaim"}, {"configmaps", "configmap"},
};

/* Where prune tells what it found. */
struct found {
	rt_prune_fn *each;
	void *arg;
};

static void add_item(struct found *out, const char *kind, const char *name, const char *run)
{
	out->each(out->arg, kind, name, run ? run : "");
}

static const char *meta_str(const cJSON *o, const char *map, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(map ? cJSON_GetObjectItemCaseSensitive(m, map) : m, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* True when `owner` ("<host>-<pid>") is a process of this host that is gone. */
static bool owner_dead(const char *owner)
{
	const char *dash = owner ? strrchr(owner, '-') : NULL;
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	if (!dash || strlen(host) != (size_t)(dash - owner) || strncmp(owner, host, strlen(host)) != 0)
		return false;
	pid_t pid = (pid_t)atoi(dash + 1);
	return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

static cJSON *list(struct kube_client *c, const char *ns, const char *kind, const char *sel,
		   struct diag_list *dl)
{
	char path[600], err[600];
	kube_path(ns, kind, NULL, path, sizeof path);
	char *e = kube_escape(sel);
	size_t n = strlen(path);
	snprintf(path + n, sizeof path - n, "?labelSelector=%s", e);
	free(e);
	cJSON *out = NULL;
	if (kube_call(c, "GET", path, NULL, &out, err, sizeof err) != 200)
		diag_error(dl, (struct ir_pos){.file = "kube"}, "kube-error", "cannot list %s: %s", kind, err);
	return out;
}

static void delete(struct kube_client *c, const char *ns, const char *kind, const char *name)
{
	char path[700];
	kube_path(ns, kind, name, path, sizeof path);
	strncat(path, "?propagationPolicy=Foreground", sizeof path - strlen(path) - 1);
	kube_call(c, "DELETE", path, NULL, NULL, NULL, 0);
}

static bool has_root(const cJSON *roots, const char *run)
{
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(roots, "items")) {
		const char *rr = meta_str(r, "labels", "pipec.run");
		if (rr && run && strcmp(rr, run) == 0)
			return true;
	}
	return false;
}

static void prune_roots(struct kube_client *c, const char *ns, const cJSON *roots, bool dry_run,
			struct found *out)
{
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(roots, "items")) {
		const char *name = meta_str(r, NULL, "name");
		if (!name || !owner_dead(meta_str(r, "annotations", "pipec.owner")))
			continue;
		add_item(out, "configmap", name, meta_str(r, "labels", "pipec.run"));
		if (!dry_run)
			delete(c, ns, "configmaps", name);
	}
}

/* Objects of a run whose root is gone. */
static int prune_orphans(struct kube_client *c, const char *ns, const cJSON *roots, bool dry_run,
			 struct found *out, struct diag_list *dl)
{
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		cJSON *l = list(c, ns, kinds[k].path, "pipec.run", dl);
		if (!l)
			return -1;
		const cJSON *o;
		cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(l, "items")) {
			const char *run = meta_str(o, "labels", "pipec.run"), *name = meta_str(o, NULL, "name");
			if (!name || has_root(roots, run) || meta_str(o, NULL, "deletionTimestamp"))
				continue;
			add_item(out, kinds[k].kind, name, run);
			if (!dry_run)
				delete(c, ns, kinds[k].path, name);
		}
		cJSON_Delete(l);
	}
	return 0;
}

int kube_prune(const struct rt_backend_options *opt, bool dry_run, rt_prune_fn *each, void *arg,
	       struct diag_list *dl)
{
	struct found found = {each, arg}, *out = &found;
	struct rt_backend_options o = {0};
	if (opt)
		o = *opt;
	struct kube_config cfg;
	struct kube_client *c = NULL;
	int rc = -1;
	if (kube_config_load(&cfg, &o, dl) == 0 && (c = kube_client_new(&cfg, dl))) {
		cJSON *roots = list(c, cfg.namespace, "configmaps", "pipec.root", dl);
		if (roots) {
			prune_roots(c, cfg.namespace, roots, dry_run, out);
			rc = prune_orphans(c, cfg.namespace, roots, dry_run, out, dl);
		}
		cJSON_Delete(roots);
	}
	kube_client_free(c);
	kube_config_release(&cfg);
	return rc;
}
