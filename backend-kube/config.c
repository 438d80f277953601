/*
 * config.c - the cluster, the credentials and the namespace, found as
 * kubectl finds them.
 *
 * Every kubeconfig named is parsed whole and kept; a name (context,
 * cluster, user) is looked up in the files in order and the first file
 * to define it wins, which is kubectl's merge of a KUBECONFIG list
 * without building a merged document.  Each field is read through one
 * helper that knows the file and the field's path, so every mistake is
 * reported as "file: field 'users[alice].user.token' ..." [kube-config].
 * Relative paths in a file are relative to that file's folder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "backend-kube/internal.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define MAX_FILES 32

struct kfile {
	char *path;
	cJSON *root;
};

struct loader {
	struct kfile files[MAX_FILES];
	size_t n;
	struct diag_list *dl;
};

/* Where a field is, for messages. */
struct where {
	const char *file;
	char path[256];
	struct diag_list *dl;
};

static int config_error(struct diag_list *dl, const char *file, const char *fmt, const char *a, const char *b)
{
	char msg[1200];
	snprintf(msg, sizeof msg, fmt, a, b);
	return diag_error(dl, (struct ir_pos){.file = file}, "kube-config", "%s", msg);
}

static int field_error(const struct where *w, const char *field, const char *problem)
{
	char f[400];
	snprintf(f, sizeof f, "%s%s%s", w->path, w->path[0] ? "." : "", field);
	return config_error(w->dl, w->file, "kubeconfig field '%s' %s", f, problem);
}

/* ---- reading files ----------------------------------------------------------- */

static char *read_file(const char *path, size_t max, size_t *len, char *err, size_t errsize)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errsize, "%s", strerror(errno));
		return NULL;
	}
	char *buf = malloc(max + 1);
	if (!buf)
		abort();
	size_t n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		snprintf(err, errsize, "larger than %zu bytes", max);
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static int load_file(struct loader *l, const char *path)
{
	char err[300];
	size_t len;
	char *text = read_file(path, KUBE_MAX_CONFIG, &len, err, sizeof err);
	if (!text)
		return config_error(l->dl, path, "cannot read kubeconfig: %s%s", err, "");
	cJSON *root = kube_yaml_parse(text, len, err, sizeof err);
	free(text);
	if (!root)
		return config_error(l->dl, path, "kubeconfig is not YAML: %s%s", err, "");
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return config_error(l->dl, path, "kubeconfig is not a mapping of fields%s%s", "", "");
	}
	if (l->n == MAX_FILES) {
		cJSON_Delete(root);
		return config_error(l->dl, path, "more than %s kubeconfig files%s", "32", "");
	}
	l->files[l->n++] = (struct kfile){strdup(path), root};
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* KUBECONFIG's files that exist; kubectl skips the others. */
static int load_list(struct loader *l, const char *list)
{
	char *copy = strdup(list), *save = NULL;
	int rc = 0;
	for (char *p = strtok_r(copy, ":", &save); p && rc == 0; p = strtok_r(NULL, ":", &save))
		if (exists(p))
			rc = load_file(l, p);
	free(copy);
	if (rc == 0 && l->n == 0)
		rc = config_error(l->dl, "KUBECONFIG", "none of the files KUBECONFIG names exists: '%s'%s", list, "");
	return rc;
}

/* ---- fields ------------------------------------------------------------------------ */

static int get_str(const struct where *w, const cJSON *o, const char *field, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return field_error(w, field, "must be a string");
	free(*out);
	*out = strdup(v->valuestring);
	return 0;
}

static int get_bool(const struct where *w, const cJSON *o, const char *field, bool *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsBool(v))
		return field_error(w, field, "must be true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

/* A path field, made absolute against the kubeconfig's folder. */
static int get_path(const struct where *w, const cJSON *o, const char *field, char **out)
{
	char *p = NULL;
	if (get_str(w, o, field, &p) < 0)
		return -1;
	if (!p)
		return 0;
	if (p[0] != '/' && strchr(w->file, '/')) {
		size_t dir = (size_t)(strrchr(w->file, '/') - w->file);
		size_t n = dir + strlen(p) + 2;
		char *abs = malloc(n);
		snprintf(abs, n, "%.*s/%s", (int)dir, w->file, p);
		free(p);
		p = abs;
	}
	if (!exists(p)) {
		char problem[600];
		snprintf(problem, sizeof problem, "names '%s', which does not exist", p);
		free(p);
		return field_error(w, field, problem);
	}
	free(*out);
	*out = p;
	return 0;
}

static int get_data(const struct where *w, const cJSON *o, const char *field, struct kube_blob *out)
{
	char *s = NULL;
	if (get_str(w, o, field, &s) < 0)
		return -1;
	if (!s)
		return 0;
	int rc = kube_base64_decode(s, out);
	free(s);
	return rc < 0 ? field_error(w, field, "is not valid base64") : 0;
}

/* The entry `name` of section `section` ("clusters"...), from the first file that has it. */
static const cJSON *find_named(struct loader *l, const char *section, const char *name,
			       struct where *w, const char *inner)
{
	for (size_t i = 0; i < l->n; i++) {
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(l->files[i].root, section)) {
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
			if (!cJSON_IsString(n) || strcmp(n->valuestring, name) != 0)
				continue;
			w->file = l->files[i].path;
			snprintf(w->path, sizeof w->path, "%s[%s].%s", section, name, inner);
			return cJSON_GetObjectItemCaseSensitive(e, inner);
		}
	}
	return NULL;
}

/* ---- the pieces of a context ----------------------------------------------------------- */

static int read_cluster(struct kube_config *c, const struct where *w, const cJSON *o)
{
	if (!cJSON_IsObject(o))
		return field_error(w, "", "must be a mapping");
	if (get_str(w, o, "server", &c->server) < 0 || get_path(w, o, "certificate-authority", &c->ca_file) < 0 ||
	    get_data(w, o, "certificate-authority-data", &c->ca) < 0 ||
	    get_bool(w, o, "insecure-skip-tls-verify", &c->insecure) < 0 ||
	    get_str(w, o, "tls-server-name", &c->tls_server_name) < 0 || get_str(w, o, "proxy-url", &c->proxy_url) < 0)
		return -1;
	if (!c->server || !*c->server)
		return field_error(w, "server", "is missing");
	if (strncmp(c->server, "https://", 8) != 0 && strncmp(c->server, "http://", 7) != 0)
		return field_error(w, "server", "must be an https:// or http:// URL");
	return 0;
}

static char **str_list(const struct where *w, const cJSON *a, const char *field, const char *first)
{
	size_t n = (size_t)cJSON_GetArraySize(a);
	char **v = calloc(n + 2, sizeof *v);
	size_t k = 0;
	if (first)
		v[k++] = strdup(first);
	const cJSON *e;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e)) {
			field_error(w, field, "must be a list of strings");
			for (size_t i = 0; i < k; i++)
				free(v[i]);
			free(v);
			return NULL;
		}
		v[k++] = strdup(e->valuestring);
	}
	return v;
}

static char **env_list(const struct where *w, const cJSON *a)
{
	size_t n = (size_t)cJSON_GetArraySize(a), k = 0;
	char **v = calloc(n + 1, sizeof *v);
	const cJSON *e;
	cJSON_ArrayForEach(e, a) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(e, "value");
		if (!cJSON_IsString(name) || !cJSON_IsString(value)) {
			field_error(w, "exec.env", "must be a list of {name, value} with string values");
			while (k)
				free(v[--k]);
			free(v);
			return NULL;
		}
		size_t len = strlen(name->valuestring) + strlen(value->valuestring) + 2;
		v[k] = malloc(len);
		snprintf(v[k++], len, "%s=%s", name->valuestring, value->valuestring);
	}
	return v;
}

static int read_exec(struct kube_config *c, const struct where *w, const cJSON *o)
{
	struct kube_exec *e = calloc(1, sizeof *e);
	c->exec = e;
	e->file = strdup(w->file);
	char *cmd = NULL;
	if (!cJSON_IsObject(o))
		return field_error(w, "exec", "must be a mapping");
	if (get_str(w, o, "command", &cmd) < 0 || get_str(w, o, "apiVersion", &e->api_version) < 0)
		return free(cmd), -1;
	if (!cmd || !*cmd)
		return free(cmd), field_error(w, "exec.command", "is missing");
	e->argv = str_list(w, cJSON_GetObjectItemCaseSensitive(o, "args"), "exec.args", cmd);
	free(cmd);
	e->env = env_list(w, cJSON_GetObjectItemCaseSensitive(o, "env"));
	if (!e->argv || !e->env)
		return -1;
	if (!e->api_version || strcmp(e->api_version, "client.authentication.k8s.io/v1") != 0)
		return field_error(w, "exec.apiVersion", "must be client.authentication.k8s.io/v1");
	return 0;
}

static int read_user(struct kube_config *c, struct where *w, const cJSON *o)
{
	if (!o)
		return 0;                   /* a user with no credentials */
	if (!cJSON_IsObject(o))
		return field_error(w, "", "must be a mapping");
	static const char *const refused[] = {"auth-provider", "username", "as", "act-as"};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		if (cJSON_GetObjectItemCaseSensitive(o, refused[i]))
			return field_error(w, refused[i], "is not supported by pipec (use a token, a client certificate or exec)");
	if (get_str(w, o, "token", &c->token) < 0 || get_path(w, o, "tokenFile", &c->token_file) < 0 ||
	    get_path(w, o, "client-certificate", &c->cert_file) < 0 ||
	    get_data(w, o, "client-certificate-data", &c->cert) < 0 ||
	    get_path(w, o, "client-key", &c->key_file) < 0 || get_data(w, o, "client-key-data", &c->key) < 0)
		return -1;
	if ((c->cert_file || c->cert.p) != (c->key_file || c->key.p))
		return field_error(w, c->cert_file || c->cert.p ? "client-key" : "client-certificate",
				   "is missing (a client certificate needs its key)");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "exec");
	return e ? read_exec(c, w, e) : 0;
}

static int read_context(struct loader *l, struct kube_config *c, const char *name)
{
	struct where w = {.dl = l->dl};
	const cJSON *ctx = find_named(l, "contexts", name, &w, "context");
	if (!ctx)
		return config_error(l->dl, l->files[0].path, "context '%s' is not in the kubeconfig%s", name,
				    l->n > 1 ? " (nor in the other KUBECONFIG files)" : "");
	char *cluster = NULL, *user = NULL;
	int rc = get_str(&w, ctx, "cluster", &cluster) | get_str(&w, ctx, "user", &user) |
		 get_str(&w, ctx, "namespace", &c->namespace);
	struct where cw = {.dl = l->dl}, uw = {.dl = l->dl};
	const cJSON *cl = cluster ? find_named(l, "clusters", cluster, &cw, "cluster") : NULL;
	const cJSON *us = user ? find_named(l, "users", user, &uw, "user") : NULL;
	if (rc < 0)
		;
	else if (!cluster)
		rc = field_error(&w, "cluster", "is missing");
	else if (!cl)
		rc = field_error(&w, "cluster", "names a cluster the kubeconfig does not define");
	else if (user && !us && !find_named(l, "users", user, &uw, "name"))
		rc = field_error(&w, "user", "names a user the kubeconfig does not define");
	else
		rc = read_cluster(c, &cw, cl) < 0 || read_user(c, &uw, us) < 0 ? -1 : 0;
	c->file = strdup(w.file);
	free(cluster), free(user);
	return rc;
}

static const char *current_context(struct loader *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(l->files[i].root, "current-context");
		if (cJSON_IsString(v) && *v->valuestring)
			return v->valuestring;
	}
	return NULL;
}

/* ---- in-cluster ------------------------------------------------------------------------- */

static int in_cluster(struct kube_config *c, struct diag_list *dl)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	char url[300], err[300];
	snprintf(url, sizeof url, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
		 port && *port ? port : "443");
	c->file = strdup("in-cluster");
	c->context = strdup("in-cluster");
	c->server = strdup(url);
	if (!exists(SA_DIR "/token"))
		return config_error(dl, SA_DIR "/token", "KUBERNETES_SERVICE_HOST is set but there is no "
				    "service account token: %s%s", "the Pod mounts none", "");
	c->token_file = strdup(SA_DIR "/token");
	if (exists(SA_DIR "/ca.crt"))
		c->ca_file = strdup(SA_DIR "/ca.crt");
	char *ns = read_file(SA_DIR "/namespace", 256, NULL, err, sizeof err);
	if (ns) {
		ns[strcspn(ns, "\r\n")] = 0;
		c->namespace = ns;
	}
	return 0;
}

/* ---- the whole ------------------------------------------------------------------------------- */

static int load_files(struct loader *l, const struct rt_backend_options *o)
{
	const char *list = getenv("KUBECONFIG");
	if (o->kubeconfig && *o->kubeconfig)
		return load_file(l, o->kubeconfig);
	if (list && *list)
		return load_list(l, list);
	char home[1024];
	snprintf(home, sizeof home, "%s/.kube/config", getenv("HOME") ? getenv("HOME") : "");
	if (!exists(home))
		return config_error(l->dl, home, "no kubeconfig: '%s' does not exist; set KUBECONFIG or "
				    "--kubeconfig, or run pipec in a Pod of the cluster%s", home, "");
	return load_file(l, home);
}

int kube_config_load(struct kube_config *c, const struct rt_backend_options *o, struct diag_list *dl)
{
	memset(c, 0, sizeof *c);
	const char *sh = getenv("KUBERNETES_SERVICE_HOST");
	bool named = (o->kubeconfig && *o->kubeconfig) || (getenv("KUBECONFIG") && *getenv("KUBECONFIG"));
	int rc;
	if (!named && sh && *sh) {
		rc = in_cluster(c, dl);
	} else {
		struct loader l = {.dl = dl};
		rc = load_files(&l, o);
		const char *ctx = o->kube_context && *o->kube_context ? o->kube_context : NULL;
		if (rc == 0 && !ctx && !(ctx = current_context(&l)))
			rc = config_error(dl, l.files[0].path, "kubeconfig has no current-context; "
					  "name one with --kube-context%s%s", "", "");
		if (rc == 0) {
			c->context = strdup(ctx);
			rc = read_context(&l, c, ctx);
		}
		for (size_t i = 0; i < l.n; i++)
			free(l.files[i].path), cJSON_Delete(l.files[i].root);
	}
	if (o->kube_namespace && *o->kube_namespace) {
		free(c->namespace);
		c->namespace = strdup(o->kube_namespace);
	}
	if (!c->namespace || !*c->namespace) {
		free(c->namespace);
		c->namespace = strdup("default");
	}
	return rc;
}

static void blob_release(struct kube_blob *b)
{
	free(b->p);
	*b = (struct kube_blob){0};
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void kube_config_release(struct kube_config *c)
{
	free(c->file), free(c->context), free(c->server), free(c->ca_file), free(c->cert_file);
	free(c->key_file), free(c->tls_server_name), free(c->proxy_url), free(c->token);
	free(c->token_file), free(c->namespace);
	blob_release(&c->ca), blob_release(&c->cert), blob_release(&c->key);
	if (c->exec) {
		free_strv(c->exec->argv), free_strv(c->exec->env);
		free(c->exec->api_version), free(c->exec->file), free(c->exec->token);
		blob_release(&c->exec->cert), blob_release(&c->exec->key);
		free(c->exec);
	}
	memset(c, 0, sizeof *c);
}

/* ---- base64 ------------------------------------------------------------------------------------ */

int kube_base64_decode(const char *in, struct kube_blob *out)
{
	size_t n = strlen(in), k = 0;
	char *clean = malloc(n + 4);
	for (size_t i = 0; i < n; i++)
		if (in[i] != ' ' && in[i] != '\n' && in[i] != '\r' && in[i] != '\t')
			clean[k++] = in[i];
	while (k % 4)
		clean[k++] = '=';
	clean[k] = 0;
	unsigned char *raw = malloc(k / 4 * 3 + 1);
	int len = EVP_DecodeBlock(raw, (unsigned char *)clean, (int)k);
	size_t pad = k && clean[k - 1] == '=' ? 1 + (k > 1 && clean[k - 2] == '=') : 0;
	free(clean);
	if (len < 0 || (size_t)len < pad) {
		free(raw);
		return -1;
	}
	free(out->p);
	out->p = raw;
	out->len = (size_t)len - pad;
	raw[out->len] = 0;
	return 0;
}

char *kube_base64_encode(const void *data, size_t len)
{
	char *out = malloc(len / 3 * 4 + 8);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}
