/*
 * objects.c - the objects of a run other than its Pods: the root
 * ConfigMap that owns everything (and holds the scripts and files), the
 * workspace claim, the Secret, the Services.
 *
 * Every object but the root carries an ownerReference to the root with
 * blockOwnerDeletion, so deleting the root with propagationPolicy
 * Foreground removes the run whole, whoever does it: teardown, prune, or
 * a user with kubectl.  Refusals on create are reported at the YAML that
 * asked for the object with the API server's reason (a quota is
 * "Forbidden: exceeded quota: ...") [kube-refused].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend-kube/internal.h"

const char *kube_owner(void)
{
	static char owner[300];
	if (!owner[0]) {
		char host[256] = "";
		gethostname(host, sizeof host - 1);
		snprintf(owner, sizeof owner, "%s-%d", host, (int)getpid());
	}
	return owner;
}

void kube_path(const char *ns, const char *kind, const char *name, char *out, size_t size)
{
	snprintf(out, size, "/api/v1/namespaces/%s/%s%s%s", ns, kind, name ? "/" : "",
		 name ? name : "");
}

static void add_owner(struct kube_ctx *x, cJSON *meta)
{
	cJSON *refs = cJSON_AddArrayToObject(meta, "ownerReferences");
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "apiVersion", "v1");
	cJSON_AddStringToObject(r, "kind", "ConfigMap");
	cJSON_AddStringToObject(r, "name", x->root);
	cJSON_AddStringToObject(r, "uid", x->root_uid);
	cJSON_AddBoolToObject(r, "blockOwnerDeletion", true);
	cJSON_AddItemToArray(refs, r);
}

int kube_create(struct kube_ctx *x, const char *kind, cJSON *obj, struct ir_pos pos, struct diag_list *dl)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
	cJSON_AddStringToObject(meta, "namespace", x->ns);
	if (x->root_uid[0])
		add_owner(x, meta);
	char path[600];
	kube_path(x->ns, kind, NULL, path, sizeof path);
	struct kube_req *r = kube_req_new(x->c, "POST", path);
	kube_req_json(r, obj, NULL);
	long st = kube_req_call(r);
	int rc = 0;
	if (st == 201 || st == 200) {
		cJSON *out = cJSON_Parse(kube_req_text(r, NULL));
		const cJSON *uid = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "metadata"), "uid");
		if (!x->root_uid[0] && cJSON_IsString(uid))
			snprintf(x->root_uid, sizeof x->root_uid, "%s", uid->valuestring);
		cJSON_Delete(out);
	} else if (kube_client_interrupted(x->c)) {
		rc = -1;                /* the runtime cancels the step: no error of its own */
	} else {
		const char *reason = kube_req_reason(r);
		bool silent = st == 0 && !kube_req_cut_short(r);
		rc = diag_error(dl, pos, silent ? "kube-unreachable" : st == 403 || st == 422 ? "kube-refused" : "kube-error",
				"cannot create %.*s '%s' in namespace '%s': %s%s%s", (int)strlen(kind) - 1, kind,
				cJSON_IsString(name) ? name->valuestring : "", x->ns,
				reason, *reason ? ": " : "", kube_req_error(r));
	}
	kube_req_free(r);
	cJSON_Delete(obj);
	return rc;
}

static bool needs_claim(const struct ir_pipeline *p)
{
	if (p->workspace.base)
		return true;
	for (size_t i = 0; i < p->nvolumes; i++)
		if (p->volumes[i].kind == IR_VOLUME_TEMP)
			return true;
	for (size_t i = 0; i < p->nsteps; i++)
		if (ir_step_extra(&p->steps[i])->nimports || ir_step_extra(&p->steps[i])->nexports)
			return true;
	return false;
}

static cJSON *claim(struct kube_ctx *x)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "apiVersion", "v1");
	cJSON_AddStringToObject(c, "kind", "PersistentVolumeClaim");
	cJSON_AddItemToObject(c, "metadata", kube_metadata(x->p, x->run, x->claim, NULL));
	cJSON *spec = cJSON_AddObjectToObject(c, "spec");
	cJSON *modes = cJSON_AddArrayToObject(spec, "accessModes");
	cJSON_AddItemToArray(modes, cJSON_CreateString("ReadWriteOnce"));
	if (x->opt.storage_class)
		cJSON_AddStringToObject(spec, "storageClassName", x->opt.storage_class);
	cJSON *req = cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "resources"), "requests");
	cJSON_AddStringToObject(req, "storage", x->opt.workspace_size ? x->opt.workspace_size : "1Gi");
	return c;
}

int kube_create_root(struct kube_ctx *x, struct diag_list *dl)
{
	struct kube_pod_options o = {.run_id = x->run};
	cJSON *cm = kube_config_map(x->p, x->root, &o);
	if (!cm) {
		cm = cJSON_CreateObject();
		cJSON_AddStringToObject(cm, "apiVersion", "v1");
		cJSON_AddStringToObject(cm, "kind", "ConfigMap");
		cJSON_AddItemToObject(cm, "metadata", kube_metadata(x->p, x->run, x->root, NULL));
	}
	cJSON *m = cJSON_GetObjectItemCaseSensitive(cm, "metadata");
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(m, "labels"), "pipec.root", "true");
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(m, "annotations"), "pipec.owner", kube_owner());
	x->root_uid[0] = 0;
	if (kube_create(x, "configmaps", cm, x->p->pos, dl) < 0)
		return -1;
	if (x->opt.single_pod || !needs_claim(x->p))
		return 0;
	snprintf(x->claim, sizeof x->claim, "%.*s-ws", KUBE_MAX_NAME - 3, x->root);
	return kube_create(x, "persistentvolumeclaims", claim(x), x->p->pos, dl);
}

/* The pipeline secret an environment variable of the job holds. */
static const char *secret_name(const struct ir_step *s, const char *env)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nsecrets; i++) {
		const char *e = ex->secrets[i].env ? ex->secrets[i].env : ex->secrets[i].name;
		if (strcmp(e, env) == 0)
			return ex->secrets[i].name;
	}
	return env;
}

static void add_secret_value(cJSON *data, const char *name, const char *value)
{
	char key[256];
	kube_secret_key(name, key, sizeof key);
	char *b = kube_base64_encode(value, strlen(value));
	cJSON_AddStringToObject(data, key, b);
	free(b);
}

/* Makes the run's Secret with `sec`'s data, or adds the data to it. */
static int put_secret(struct kube_ctx *x, cJSON *sec, struct ir_pos pos, struct diag_list *dl)
{
	if (x->secret[0]) {
		char path[600], err[600];
		kube_path(x->ns, "secrets", x->secret, path, sizeof path);
		long st = kube_call(x->c, "PATCH", path, sec, NULL, err, sizeof err);
		cJSON_Delete(sec);
		if (st / 100 == 2 || kube_client_interrupted(x->c))
			return st / 100 == 2 ? 0 : -1;
		return diag_error(dl, pos, "kube-error", "cannot update secret '%s': %s", x->secret, err);
	}
	cJSON_AddStringToObject(sec, "apiVersion", "v1");
	cJSON_AddStringToObject(sec, "kind", "Secret");
	cJSON_AddStringToObject(sec, "type", "Opaque");
	snprintf(x->secret, sizeof x->secret, "%.*s-secrets", KUBE_MAX_NAME - 8, x->root);
	cJSON_AddItemToObject(sec, "metadata", kube_metadata(x->p, x->run, x->secret, NULL));
	if (kube_create(x, "secrets", sec, pos, dl) < 0) {
		x->secret[0] = 0;
		return -1;
	}
	return 0;
}

int kube_put_secrets(struct kube_ctx *x, const struct rt_job *job, struct diag_list *dl)
{
	if (!job->secrets.n)
		return 0;
	cJSON *sec = cJSON_CreateObject();
	cJSON *data = cJSON_AddObjectToObject(sec, "data");
	for (size_t i = 0; i < job->secrets.n; i++)
		add_secret_value(data, secret_name(job->step, job->secrets.v[i].key), job->secrets.v[i].value);
	return put_secret(x, sec, job->step->pos, dl);
}

int kube_put_all_secrets(struct kube_ctx *x, const struct ir_env *by_name, struct diag_list *dl)
{
	if (!by_name || !by_name->n)
		return 0;
	cJSON *sec = cJSON_CreateObject();
	cJSON *data = cJSON_AddObjectToObject(sec, "data");
	for (size_t i = 0; i < by_name->n; i++)
		add_secret_value(data, by_name->v[i].key, by_name->v[i].value);
	return put_secret(x, sec, x->p->pos, dl);
}

/*
 * The "auths" of each registry credentials file in `by_name`, merged (the
 * first to name a registry wins, as Docker looks them up); NULL after
 * recording which one has none a cluster can use.
 */
static cJSON *merged_auths(struct kube_ctx *x, const struct ir_env *by_name, struct diag_list *dl)
{
	cJSON *auths = cJSON_CreateObject();
	for (size_t i = 0; i < by_name->n; i++) {
		cJSON *cfg = cJSON_Parse(by_name->v[i].value);
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, "auths"), *e;
		if (!cJSON_IsObject(a) || !a->child) {
			cJSON_Delete(cfg);
			cJSON_Delete(auths);
			diag_error(dl, x->p->pos, "kube-unsupported", "image_pull_secrets '%s' is not a registry "
				   "credentials file with \"auths\" (a cluster cannot run credential helpers)",
				   by_name->v[i].key);
			return NULL;
		}
		cJSON_ArrayForEach(e, a)
			if (!cJSON_GetObjectItemCaseSensitive(auths, e->string))
				cJSON_AddItemToObject(auths, e->string, cJSON_Duplicate(e, true));
		cJSON_Delete(cfg);
	}
	return auths;
}

int kube_create_pull_secret(struct kube_ctx *x, const struct ir_env *by_name, struct diag_list *dl)
{
	if (!by_name || !by_name->n)
		return 0;
	cJSON *auths = merged_auths(x, by_name, dl);
	if (!auths)
		return -1;
	cJSON *cfg = cJSON_CreateObject();
	cJSON_AddItemToObject(cfg, "auths", auths);
	char *json = cJSON_PrintUnformatted(cfg);
	cJSON_Delete(cfg);
	char *b = kube_base64_encode(json, strlen(json));
	free(json);
	char name[KUBE_MAX_NAME + 1];
	snprintf(name, sizeof name, "%.*s-registry", KUBE_MAX_NAME - 9, x->root);
	cJSON *sec = cJSON_CreateObject();
	cJSON_AddStringToObject(sec, "apiVersion", "v1");
	cJSON_AddStringToObject(sec, "kind", "Secret");
	cJSON_AddStringToObject(sec, "type", "kubernetes.io/dockerconfigjson");
	cJSON_AddItemToObject(sec, "metadata", kube_metadata(x->p, x->run, name, NULL));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(sec, "data"), ".dockerconfigjson", b);
	free(b);
	if (kube_create(x, "secrets", sec, x->p->pos, dl) < 0)
		return -1;
	snprintf(x->pull_secret, sizeof x->pull_secret, "%s", name);
	return 0;
}

int kube_create_service(struct kube_ctx *x, const struct ir_step *s, struct diag_list *dl)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (!kube_dns_label_ok(s->name))
		return diag_error(dl, s->pos, "kube-unsupported", "service '%s' cannot be reached by its name "
				  "on Kubernetes: a Service name is lowercase letters, digits and '-', "
				  "starting with a letter", s->name);
	cJSON *svc = cJSON_CreateObject();
	cJSON_AddStringToObject(svc, "apiVersion", "v1");
	cJSON_AddStringToObject(svc, "kind", "Service");
	cJSON_AddItemToObject(svc, "metadata", kube_metadata(x->p, x->run, s->name, s->name));
	cJSON *spec = cJSON_AddObjectToObject(svc, "spec");
	/* headless: the name resolves to the service Pod itself, whatever its ports */
	cJSON_AddStringToObject(spec, "clusterIP", "None");
	cJSON *sel = kube_labels(x->run, x->p->name, s->name);
	cJSON_AddItemToObject(spec, "selector", sel);
	cJSON *ports = cJSON_AddArrayToObject(spec, "ports");
	for (size_t i = 0; i < ex->nports; i++) {
		cJSON *pt = cJSON_CreateObject();
		char name[32];
		snprintf(name, sizeof name, "p%d", ex->ports[i].port);
		cJSON_AddStringToObject(pt, "name", name);
		cJSON_AddNumberToObject(pt, "port", ex->ports[i].port);
		cJSON_AddStringToObject(pt, "protocol", ex->ports[i].protocol && !strcmp(ex->ports[i].protocol, "udp") ? "UDP" : "TCP");
		cJSON_AddItemToArray(ports, pt);
	}
	return kube_create(x, "services", svc, s->pos, dl);
}
