/*
 * api.c - the Kubernetes API over libcurl, every transfer on one multi
 * handle.
 *
 * TLS is set up from the kubeconfig once per request handle: a CA, client
 * certificate and key as files or as in-memory blobs (the -data forms
 * and exec plugins), insecure-skip-tls-verify, and tls-server-name by
 * addressing the request to that name while CURLOPT_CONNECT_TO sends it
 * to the server's address, so both SNI and verification use it.  The
 * credential (a token, a token file read once, or an exec plugin's
 * answer while it holds) is added to every request; a 401 forgets a
 * plugin's credential so the next request asks again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "backend-kube/internal.h"

struct kube_client {
	CURLM *multi;
	struct kube_config *cfg;
	char base[1100];            /* scheme://host:port as requests are addressed */
	char connect_to[1200];      /* tls-server-name:port:host:port, or "" */
	char *token;                /* a static token (or the token file's) */
	unsigned long requests;
	volatile sig_atomic_t *interrupts;
	int patience;               /* interrupts a waiting call outlasts */
	bool interrupted;           /* the last waiting call gave up for one */
	int64_t deadline_ms;        /* rt_now_ms() when waiting calls give up, 0: never */
	char lost[CURL_ERROR_SIZE]; /* why the server is taken as frozen; "" while it answers */
};

struct kube_req {
	struct kube_client *c;
	CURL *easy;
	struct curl_slist *headers, *connect_to;
	char *send;
	char *body;
	size_t len, max;
	kube_data_fn *on_data;
	void *arg;
	bool started, done;
	CURLcode result;
	long status, timeout_ms;    /* a call's limit (KUBE_T_*); 0 for a stream */
	char err[CURL_ERROR_SIZE + 512];
	char curl_err[CURL_ERROR_SIZE];
	char auth_err[512];         /* why the exec plugin gave no credential */
	char reason[64];
};

/* ---- the client ------------------------------------------------------------------ */

/* Splits "https://host:port/prefix" for tls-server-name; false when it has no host. */
static bool split_server(const char *server, char *scheme, char *host, int *port, char *prefix)
{
	const char *hp = strstr(server, "://");
	if (!hp)
		return false;
	snprintf(scheme, 8, "%.*s", (int)(hp - server), server);
	hp += 3;
	size_t n = strcspn(hp, "/");
	snprintf(prefix, 512, "%s", hp + n);
	const char *colon = hp[0] == '[' ? strstr(hp, "]:") : memchr(hp, ':', n);
	if (colon && colon < hp + n) {
		colon += hp[0] == '[';
		*port = atoi(colon + 1);
		snprintf(host, 512, "%.*s", (int)(colon - hp), hp);
	} else {
		*port = strcmp(scheme, "https") == 0 ? 443 : 80;
		snprintf(host, 512, "%.*s", (int)n, hp);
	}
	return n > 0;
}

static void set_base(struct kube_client *c)
{
	const char *s = c->cfg->server;
	char scheme[8], host[512], prefix[512];
	int port;
	size_t n = strlen(s);
	while (n && s[n - 1] == '/')
		n--;
	snprintf(c->base, sizeof c->base, "%.*s", (int)n, s);
	if (!c->cfg->tls_server_name || !split_server(c->base, scheme, host, &port, prefix))
		return;
	snprintf(c->base, sizeof c->base, "%s://%s:%d%s", scheme, c->cfg->tls_server_name, port, prefix);
	snprintf(c->connect_to, sizeof c->connect_to, "%s:%d:%s:%d", c->cfg->tls_server_name, port, host, port);
}

static char *read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char buf[16384];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return strdup(buf);
}

struct kube_client *kube_client_new(struct kube_config *cfg, struct diag_list *dl)
{
	struct kube_client *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->cfg = cfg;
	set_base(c);
	if (cfg->token)
		c->token = strdup(cfg->token);
	else if (cfg->token_file && !(c->token = read_token(cfg->token_file))) {
		diag_error(dl, (struct ir_pos){.file = cfg->file}, "kube-config",
			   "cannot read the token file '%s'", cfg->token_file);
		free(c);
		return NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->multi = curl_multi_init();
	return c;
}

void kube_client_free(struct kube_client *c)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	curl_global_cleanup();
	free(c->token);
	free(c);
}

unsigned long kube_client_requests(const struct kube_client *c) { return c->requests; }

/* ---- requests -------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct kube_req *r = arg;
	size_t len = size * n;
	long code = 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	if (r->on_data && code / 100 == 2) {
		r->on_data(r->arg, data, len);
		return len;
	}
	size_t keep = len < r->max - r->len ? len : r->max - r->len;
	char *p = realloc(r->body, r->len + keep + 1);
	if (!p)
		abort();
	r->body = p;
	memcpy(r->body + r->len, data, keep);
	r->len += keep;
	r->body[r->len] = 0;
	return len;
}

static void set_blob(CURL *e, CURLoption opt, const struct kube_blob *b)
{
	struct curl_blob blob = {.data = b->p, .len = b->len, .flags = CURL_BLOB_COPY};
	curl_easy_setopt(e, opt, &blob);
}

static void set_tls(struct kube_req *r)
{
	const struct kube_config *cfg = r->c->cfg;
	CURL *e = r->easy;
	if (cfg->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_file);
	else if (cfg->ca.p)
		set_blob(e, CURLOPT_CAINFO_BLOB, &cfg->ca);
	const struct kube_blob *cert = &cfg->cert, *key = &cfg->key;
	if (cfg->exec && cfg->exec->cert.p)
		cert = &cfg->exec->cert, key = &cfg->exec->key;
	if (cfg->cert_file && !(cfg->exec && cfg->exec->cert.p)) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, cfg->cert_file);
		curl_easy_setopt(e, CURLOPT_SSLKEY, cfg->key_file);
	} else if (cert->p) {
		set_blob(e, CURLOPT_SSLCERT_BLOB, cert);
		set_blob(e, CURLOPT_SSLKEY_BLOB, key);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (cfg->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (r->c->connect_to[0]) {
		r->connect_to = curl_slist_append(NULL, r->c->connect_to);
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, r->connect_to);
	}
	if (cfg->proxy_url)
		curl_easy_setopt(e, CURLOPT_PROXY, cfg->proxy_url);
}

static const char *cut_short(struct kube_client *c);

static bool plugin_stop(void *c) { return cut_short(c) != NULL; }

static void set_auth(struct kube_req *r)
{
	struct kube_client *c = r->c;
	const char *token = c->token;
	if (c->cfg->exec) {
		/* a failure shows as the 401 that follows, with the plugin's reason kept */
		kube_exec_credential(c->cfg->exec, plugin_stop, c, r->auth_err, sizeof r->auth_err);
		token = c->cfg->exec->token ? c->cfg->exec->token : token;
	}
	if (!token)
		return;
	size_t n = strlen(token) + 32;
	char *h = malloc(n);
	snprintf(h, n, "Authorization: Bearer %s", token);
	r->headers = curl_slist_append(r->headers, h);
	free(h);
}

struct kube_req *kube_req_new(struct kube_client *c, const char *method, const char *path)
{
	struct kube_req *r = calloc(1, sizeof *r);
	if (!r || !(r->easy = curl_easy_init()))
		abort();
	r->c = c;
	r->max = KUBE_MAX_BODY;
	size_t n = strlen(c->base) + strlen(path) + 1;
	char *url = malloc(n);
	snprintf(url, n, "%s%s", c->base, path);
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
	/* a deletion is what stopping and cleaning up wait on: it has the shortest say */
	r->timeout_ms = strcmp(method, "DELETE") == 0 ? KUBE_T_DELETE : KUBE_T_CALL;
	set_tls(r);
	set_auth(r);
	r->headers = curl_slist_append(r->headers, "Accept: application/json");
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->curl_err);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	return r;
}

void kube_req_json(struct kube_req *r, const cJSON *body, const char *type)
{
	free(r->send);
	if (!(r->send = cJSON_PrintUnformatted(body)))
		abort();
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->send);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->send));
	char h[128];
	snprintf(h, sizeof h, "Content-Type: %s", type ? type : "application/json");
	r->headers = curl_slist_append(r->headers, h);
}

void kube_req_stream(struct kube_req *r, kube_data_fn *fn, void *arg)
{
	r->on_data = fn, r->arg = arg;
	r->timeout_ms = 0;          /* a watch or a log lasts as long as it must */
}

void kube_req_start(struct kube_req *r)
{
	if (r->started)
		return;
	r->headers = curl_slist_append(r->headers, "Expect:");
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	r->started = true;
	r->c->requests++;
	curl_multi_add_handle(r->c->multi, r->easy);
}

static void reap(struct kube_client *c)
{
	CURLMsg *m;
	int n;
	while ((m = curl_multi_info_read(c->multi, &n))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct kube_req *r;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		r->result = m->data.result;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
		r->done = true;
		curl_multi_remove_handle(c->multi, r->easy);
		/* a call that got no answer in its time: the server is taken as frozen */
		if (r->result == CURLE_OPERATION_TIMEDOUT && r->timeout_ms && !c->lost[0])
			snprintf(c->lost, sizeof c->lost, "the API server at '%.150s' did not answer within %ld s",
				 c->base, r->timeout_ms / 1000);
		if (r->status == 401 && c->cfg->exec)
			kube_exec_forget(c->cfg->exec);
	}
}

static int pump(struct kube_client *c)
{
	int running = 0;
	if (curl_multi_perform(c->multi, &running) != CURLM_OK)
		return -1;
	reap(c);
	return 0;
}

int kube_client_run(struct kube_client *c, int timeout_ms)
{
	if (pump(c) < 0)
		return -1;
	if (timeout_ms > 0 && curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK)
		return -1;
	return pump(c);
}

/* Ends a waiting call without its answer, saying why. */
static void give_up(struct kube_req *r, CURLcode code, const char *why)
{
	if (r->started && !r->done)
		curl_multi_remove_handle(r->c->multi, r->easy);
	r->done = true;
	r->result = code;
	snprintf(r->curl_err, sizeof r->curl_err, "%.*s", (int)sizeof r->curl_err - 1, why);
}

/* Why a waiting call must stop now, or NULL. */
static const char *cut_short(struct kube_client *c)
{
	if (c->interrupts && *c->interrupts > c->patience) {
		c->interrupted = true;
		return "interrupted";
	}
	if (c->deadline_ms && rt_now_ms() >= c->deadline_ms)
		return "the step's time ran out";
	return NULL;
}

long kube_req_call(struct kube_req *r)
{
	struct kube_client *c = r->c;
	c->interrupted = false;
	if (c->lost[0]) {
		give_up(r, CURLE_OPERATION_TIMEDOUT, c->lost);     /* said once; the rest fail at once */
		return 0;
	}
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	kube_req_start(r);
	const char *why;
	while (pump(c) == 0 && !r->done) {
		if ((why = cut_short(c))) {
			give_up(r, CURLE_ABORTED_BY_CALLBACK, why);
			break;
		}
		if (curl_multi_poll(c->multi, NULL, 0, 100, NULL) != CURLM_OK)
			break;
	}
	return kube_req_status(r);
}

void kube_client_interrupts(struct kube_client *c, volatile sig_atomic_t *interrupts, int patience)
{
	c->interrupts = interrupts;
	c->patience = patience;
	c->interrupted = false;
}

void kube_client_deadline(struct kube_client *c, int64_t deadline_ms) { c->deadline_ms = deadline_ms; }
bool kube_client_interrupted(const struct kube_client *c) { return c->interrupted; }
bool kube_req_cut_short(const struct kube_req *r) { return r->result == CURLE_ABORTED_BY_CALLBACK; }
const char *kube_client_lost(const struct kube_client *c) { return c->lost[0] ? c->lost : NULL; }

bool kube_req_done(const struct kube_req *r) { return r->done; }
long kube_req_status(const struct kube_req *r) { return r->result == CURLE_OK ? r->status : 0; }

const char *kube_req_text(const struct kube_req *r, size_t *len)
{
	if (len)
		*len = r->len;
	return r->body ? r->body : "";
}

/* Reads the Status object the API server answers errors with. */
static void read_status(struct kube_req *r)
{
	cJSON *j = cJSON_Parse(r->body ? r->body : "");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(j, "reason");
	if (cJSON_IsString(why))
		snprintf(r->reason, sizeof r->reason, "%s", why->valuestring);
	if (cJSON_IsString(m))
		snprintf(r->err, sizeof r->err, "%s", m->valuestring);
	else if (r->len)
		snprintf(r->err, sizeof r->err, "HTTP status %ld: %.*s", r->status, (int)strcspn(r->body, "\n"), r->body);
	else
		snprintf(r->err, sizeof r->err, "HTTP status %ld", r->status);
	cJSON_Delete(j);
}

const char *kube_req_error(struct kube_req *r)
{
	if (r->done && r->result != CURLE_OK) {
		snprintf(r->err, sizeof r->err, "%s", r->curl_err[0] ? r->curl_err : curl_easy_strerror(r->result));
		return r->err;
	}
	if (r->status == 401 && r->auth_err[0])
		return r->auth_err;
	read_status(r);
	return r->err;
}

const char *kube_req_reason(struct kube_req *r)
{
	if (!r->reason[0] && r->done && r->result == CURLE_OK)
		read_status(r);
	return r->reason;
}

void kube_req_free(struct kube_req *r)
{
	if (!r)
		return;
	if (r->started && !r->done)
		curl_multi_remove_handle(r->c->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->connect_to);
	free(r->send);
	free(r->body);
	free(r);
}

long kube_call(struct kube_client *c, const char *method, const char *path,
	       const cJSON *body, cJSON **out, char *err, size_t errsize)
{
	struct kube_req *r = kube_req_new(c, method, path);
	if (body)
		kube_req_json(r, body, strcmp(method, "PATCH") == 0 ? "application/merge-patch+json" : NULL);
	long st = kube_req_call(r);
	if (out)
		*out = st / 100 == 2 ? cJSON_Parse(kube_req_text(r, NULL)) : NULL;
	if (st / 100 != 2 && err)
		snprintf(err, errsize, "%s", kube_req_error(r));
	kube_req_free(r);
	return st;
}

char *kube_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = strdup(e ? e : "");
	curl_free(e);
	return out;
}
