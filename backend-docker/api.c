/*
 * api.c - the Engine API over libcurl, every transfer on one multi handle.
 *
 * A request is an easy handle plus its buffers.  Started requests join
 * the multi handle; docker_client_run() waits on all of them at once with
 * curl_multi_poll(), so a follow-mode log stream never blocks another
 * step.  A synchronous call is a request started and then run until it
 * is done, which keeps every other transfer moving meanwhile.
 *
 * A waiting call has a time limit suited to it (DOCKER_T_*) and gives up
 * when the run is interrupted.  A failed transfer tells whether the
 * engine is still there (judge()): once it did not answer in time, or
 * refused or cut a connection, it is taken as unresponsive or gone, every
 * later call fails at once with that reason, and the backend says so
 * [docker-unresponsive], [docker-gone] rather than waiting on it.
 *
 * The API version comes from GET /_ping's API-Version header (the
 * engine's newest), capped at DOCKER_API_MAX; DOCKER_API_VERSION overrides.
 * Paths are then prefixed /v<version>, which old and current engines
 * both accept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "backend-docker/internal.h"

struct docker_client {
	CURLM *multi;
	char host[1024];            /* as given, for messages */
	char base[1024];            /* http://localhost or https://host:port */
	char unix_path[1024];       /* empty for tcp */
	char ca[1100], cert[1100], key[1100];
	bool tls, verify;
	char api[16];
	volatile sig_atomic_t *interrupts;
	int patience;               /* interrupts a waiting call outlasts */
	bool interrupted;           /* the last waiting call gave up */
	int64_t deadline_ms;        /* rt_now_ms() when waiting calls give up, 0: never */
	enum docker_engine state;
	char lost[1300];            /* why the engine is not there, for every message */
};

struct docker_req {
	struct docker_client *c;
	CURL *easy;
	struct curl_slist *headers;
	char *send;
	struct docker_buf body;
	docker_data_fn *on_data;
	void *arg;
	bool started, done;
	CURLcode result;
	long status, timeout_ms;
	char api_header[16];
	char err[CURL_ERROR_SIZE + 256];
};

/* ---- setting up ----------------------------------------------------------- */

static void tls_paths(struct docker_client *c)
{
	const char *dir = getenv("DOCKER_CERT_PATH");
	const char *verify = getenv("DOCKER_TLS_VERIFY");
	char home[1024];
	if (!dir || !*dir) {
		snprintf(home, sizeof home, "%s/.docker", getenv("HOME") ? getenv("HOME") : "");
		dir = home;
	}
	c->tls = (verify && *verify) || getenv("DOCKER_CERT_PATH");
	c->verify = verify && *verify;
	snprintf(c->ca, sizeof c->ca, "%s/ca.pem", dir);
	snprintf(c->cert, sizeof c->cert, "%s/cert.pem", dir);
	snprintf(c->key, sizeof c->key, "%s/key.pem", dir);
}

static int parse_host(struct docker_client *c, const char *host)
{
	snprintf(c->host, sizeof c->host, "%s", host);
	if (strncmp(host, "unix://", 7) == 0) {
		snprintf(c->unix_path, sizeof c->unix_path, "%s", host + 7);
		snprintf(c->base, sizeof c->base, "http://localhost");
		return c->unix_path[0] ? 0 : -1;
	}
	if (strncmp(host, "tcp://", 6) == 0 || strncmp(host, "http://", 7) == 0 ||
	    strncmp(host, "https://", 8) == 0) {
		const char *hp = strstr(host, "://") + 3;
		tls_paths(c);
		if (strncmp(host, "https://", 8) == 0)
			c->tls = true;
		size_t n = strcspn(hp, "/");
		snprintf(c->base, sizeof c->base, "%s://%.*s", c->tls ? "https" : "http", (int)n, hp);
		return n ? 0 : -1;
	}
	return -1;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct docker_req *r = arg;
	size_t len = size * n;
	if (len > 12 && strncasecmp(data, "API-Version:", 12) == 0) {
		const char *v = data + 12;
		while (*v == ' ')
			v++;
		size_t vl = strcspn(v, "\r\n");
		if (vl < sizeof r->api_header)
			snprintf(r->api_header, sizeof r->api_header, "%.*s", (int)vl, v);
	}
	return len;
}

/* Compares dotted versions numerically: "1.9" < "1.41". */
static int version_cmp(const char *a, const char *b)
{
	long amaj = strtol(a, (char **)&a, 10), bmaj = strtol(b, (char **)&b, 10);
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	long amin = *a == '.' ? strtol(a + 1, NULL, 10) : 0;
	long bmin = *b == '.' ? strtol(b + 1, NULL, 10) : 0;
	return amin < bmin ? -1 : amin > bmin;
}

/*
 * A failed TLS handshake.  An engine that rejects the client's
 * certificate may only say so on the first read or write, or by dropping
 * the connection it took before curl has looked at it (how it surfaces
 * depends on timing).
 */
static bool tls_failed(const struct docker_req *r)
{
	long os_errno = 0;
	switch (r->result) {
	case CURLE_SSL_CONNECT_ERROR: case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_CLIENTCERT: case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return true;
	case CURLE_OK:
		return false;
	default:
		curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
		return os_errno == ECONNRESET || os_errno == ENOTCONN || os_errno == EPIPE;
	}
}

/* What to do next: "start one" misleads when an engine is there but
 * the certificates, or TLS itself, do not match. */
static const char *unreachable_hint(const struct docker_client *c, const struct docker_req *r)
{
	bool answered = r->done && r->result == CURLE_OK;
	if (c->tls && r->done && tls_failed(r))
		return "check ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH or run with --backend=local";
	if (!c->tls && !c->unix_path[0] && answered && r->status == 400)
		return "if it expects TLS, set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or run with --backend=local";
	return "start one (e.g. 'sudo systemctl start docker') or run with --backend=local";
}

/* Why nothing answered, in the user's terms rather than curl's. */
static void unreachable(struct docker_client *c, struct docker_req *r, struct diag_list *dl)
{
	struct ir_pos pos = {.file = "docker"};
	char why[1300];
	if (c->unix_path[0] && access(c->unix_path, F_OK) < 0)
		snprintf(why, sizeof why, "socket '%s' does not exist", c->unix_path);
	else if (r->done && r->result == CURLE_OK)
		snprintf(why, sizeof why, "it answered the ping with HTTP status %ld", r->status);
	else
		snprintf(why, sizeof why, "%s%s", c->tls && tls_failed(r) ? "TLS failed: " : "",
			 docker_req_error(r));
	diag_error(dl, pos, "docker-unreachable", "no docker engine answers at '%s': %s; %s",
		   c->host, why, unreachable_hint(c, r));
}

static int negotiate(struct docker_client *c, int timeout_ms, struct diag_list *dl)
{
	struct docker_req *r = docker_req_new(c, "GET", "/_ping");
	docker_req_timeout(r, timeout_ms);
	long st = docker_req_call(r);
	if (st != 200) {
		unreachable(c, r, dl);
		docker_req_free(r);
		return -1;
	}
	const char *v = getenv("DOCKER_API_VERSION");
	if (v && *v)
		snprintf(c->api, sizeof c->api, "%s", v);
	else if (!r->api_header[0] || version_cmp(r->api_header, DOCKER_API_MIN) < 0)
		snprintf(c->api, sizeof c->api, "%s", DOCKER_API_MIN);
	else if (version_cmp(r->api_header, DOCKER_API_MAX) > 0)
		snprintf(c->api, sizeof c->api, "%s", DOCKER_API_MAX);
	else
		snprintf(c->api, sizeof c->api, "%s", r->api_header);
	docker_req_free(r);
	return 0;
}

/*
 * curl_global_init() sets OpenSSL up whatever its flags say (they stopped
 * meaning anything in curl 7.57), and libssh2's set-up does it again:
 * error strings for every library, every cipher and digest by name, the
 * system's openssl.cnf, then at exit a cleanup that walks it all.  That
 * is over a megabyte of the process, most of it libcrypto's code and
 * tables faulted in.  A client speaking plain HTTP (a Unix socket,
 * tcp:// without TLS) uses none of it, so OpenSSL is initialised here
 * first with those parts off; OpenSSL settles each part once, so curl's
 * own request afterwards finds them settled.  A TLS client gets them
 * all, as before.  Neither runs OpenSSL's cleanup at exit: it frees
 * memory the ending process gives back anyway.  The first client of a
 * process decides; a TLS client after a plain one still works, its
 * OpenSSL errors then given as codes instead of text.
 */
static void openssl_init(bool tls)
{
	uint64_t opts = OPENSSL_INIT_NO_ATEXIT;
	if (!tls)
		opts |= OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
			OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS;
	OPENSSL_init_crypto(opts, NULL);
}

struct docker_client *docker_client_new(const char *host, int timeout_ms, struct diag_list *dl)
{
	struct ir_pos none = {.file = "docker"};
	if (!host || !*host)
		host = getenv("DOCKER_HOST");
	if (!host || !*host)
		host = "unix:///var/run/docker.sock";
	struct docker_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (parse_host(c, host) < 0) {
		diag_error(dl, none, "docker-unreachable",
			   "cannot use docker host '%s': expected unix:///path or tcp://host:port", host);
		free(c);
		return NULL;
	}
	openssl_init(c->tls);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->multi = curl_multi_init();
	if (!c->multi || negotiate(c, timeout_ms, dl) < 0) {
		docker_client_free(c);
		return NULL;
	}
	return c;
}

void docker_client_free(struct docker_client *c)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	curl_global_cleanup();
	free(c);
}

const char *docker_client_host(const struct docker_client *c) { return c->host; }
const char *docker_client_api(const struct docker_client *c) { return c->api; }

/* ---- requests ------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct docker_req *r = arg;
	size_t len = size * n;
	if (r->on_data) {
		long code = 0;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code / 100 == 2) {
			r->on_data(r->arg, data, len);
			return len;
		}
	}
	docker_buf_put(&r->body, data, len);
	return len;
}

struct docker_req *docker_req_new(struct docker_client *c, const char *method, const char *path)
{
	struct docker_req *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->c = c;
	r->easy = curl_easy_init();
	docker_buf_init(&r->body, DOCKER_MAX_BODY);
	size_t n = strlen(c->base) + strlen(path) + 32;
	char *url = malloc(n);
	if (!r->easy || !url)
		abort();
	bool versioned = c->api[0] && strcmp(path, "/_ping") != 0;
	snprintf(url, n, "%s%s%s%s", c->base, versioned ? "/v" : "", versioned ? c->api : "", path);
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(r->easy, CURLOPT_NOBODY, 1L);
	if (c->unix_path[0])
		curl_easy_setopt(r->easy, CURLOPT_UNIX_SOCKET_PATH, c->unix_path);
	if (c->tls) {
		curl_easy_setopt(r->easy, CURLOPT_SSLCERT, c->cert);
		curl_easy_setopt(r->easy, CURLOPT_SSLKEY, c->key);
		curl_easy_setopt(r->easy, CURLOPT_CAINFO, c->ca);
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
	}
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->err);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	return r;
}

void docker_req_header(struct docker_req *r, const char *header)
{
	r->headers = curl_slist_append(r->headers, header);
}

void docker_req_body(struct docker_req *r, const char *type, const void *data, size_t len)
{
	char h[128];
	free(r->send);
	r->send = malloc(len ? len : 1);
	if (!r->send)
		abort();
	memcpy(r->send, data, len);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->send);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	snprintf(h, sizeof h, "Content-Type: %s", type);
	docker_req_header(r, h);
}

void docker_req_json(struct docker_req *r, const cJSON *body)
{
	char *s = cJSON_PrintUnformatted(body);
	if (!s)
		abort();
	docker_req_body(r, "application/json", s, strlen(s));
	free(s);
}

void docker_req_timeout(struct docker_req *r, long ms)
{
	r->timeout_ms = ms;
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, ms);
}

void docker_req_stream(struct docker_req *r, docker_data_fn *fn, void *arg)
{
	r->on_data = fn, r->arg = arg;
}

void docker_req_keep(struct docker_req *r, size_t max)
{
	r->body.max = max;
}

void docker_req_start(struct docker_req *r)
{
	if (r->started)
		return;
	if (!r->send && r->headers == NULL)
		docker_req_header(r, "Content-Type: application/json");
	/* the engine never answers 100-continue; curl would wait a second */
	docker_req_header(r, "Expect:");
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	r->started = true;
	curl_multi_add_handle(r->c->multi, r->easy);
}

/*
 * What a failed transfer says about the engine: no answer in its time is
 * an unresponsive engine, a refused or cut connection one that is gone.
 * Only once the version is settled: before, failing is docker_client_new's
 * own business.
 */
static void judge(struct docker_client *c, const struct docker_req *r)
{
	if (c->state != DOCKER_ENGINE_OK || !c->api[0])
		return;
	switch (r->result) {
	case CURLE_OPERATION_TIMEDOUT:
		c->state = DOCKER_ENGINE_UNRESPONSIVE;
		snprintf(c->lost, sizeof c->lost,
			 "the docker engine at '%s' did not answer within %ld s", c->host,
			 r->timeout_ms / 1000);
		break;
	case CURLE_COULDNT_CONNECT: case CURLE_PARTIAL_FILE: case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR: case CURLE_SEND_ERROR:
		c->state = DOCKER_ENGINE_GONE;
		snprintf(c->lost, sizeof c->lost, "the docker engine at '%s' stopped answering (%s)",
			 c->host, curl_easy_strerror(r->result));
		break;
	default:
		break;
	}
}

/* Reaps finished transfers; the engine's answer is kept for the owner. */
static void reap(struct docker_client *c)
{
	CURLMsg *m;
	int n;
	while ((m = curl_multi_info_read(c->multi, &n))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct docker_req *r;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		r->result = m->data.result;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
		r->done = true;
		curl_multi_remove_handle(c->multi, r->easy);
		if (r->result != CURLE_OK)
			judge(c, r);
	}
}

/* Moves every transfer along without waiting. */
static int pump(struct docker_client *c)
{
	int running = 0;
	if (curl_multi_perform(c->multi, &running) != CURLM_OK)
		return -1;
	reap(c);
	return 0;
}

int docker_client_run(struct docker_client *c, int timeout_ms)
{
	if (pump(c) < 0)
		return -1;
	if (timeout_ms > 0 && curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK)
		return -1;
	return pump(c);
}

/* Ends a call without its answer, as if the transfer had failed. */
static void give_up(struct docker_req *r, CURLcode why)
{
	if (r->started && !r->done)
		curl_multi_remove_handle(r->c->multi, r->easy);
	r->done = true;
	r->result = why;
}

static bool impatient(const struct docker_client *c)
{
	return c->interrupts && *c->interrupts > c->patience;
}

long docker_req_call(struct docker_req *r)
{
	struct docker_client *c = r->c;
	c->interrupted = false;
	if (c->state != DOCKER_ENGINE_OK) {
		give_up(r, CURLE_COULDNT_CONNECT);      /* said once; the rest fail at once */
		return 0;
	}
	docker_req_start(r);
	/* the answer often arrives within one perform: check before waiting */
	while (pump(c) == 0 && !r->done) {
		if (impatient(c)) {
			give_up(r, CURLE_ABORTED_BY_CALLBACK);
			c->interrupted = true;
			snprintf(r->err, sizeof r->err, "interrupted");
			break;
		}
		if (c->deadline_ms && rt_now_ms() >= c->deadline_ms) {
			give_up(r, CURLE_ABORTED_BY_CALLBACK);     /* the engine is not to blame */
			snprintf(r->err, sizeof r->err, "the step's time ran out");
			break;
		}
		if (curl_multi_poll(c->multi, NULL, 0, 100, NULL) != CURLM_OK)
			break;
	}
	return r->result == CURLE_OK ? r->status : 0;
}

void docker_client_interrupts(struct docker_client *c, volatile sig_atomic_t *interrupts,
			      int patience)
{
	c->interrupts = interrupts;
	c->patience = patience;
	c->interrupted = false;
}

void docker_client_deadline(struct docker_client *c, int64_t deadline_ms)
{
	c->deadline_ms = deadline_ms;
}

bool docker_client_interrupted(const struct docker_client *c) { return c->interrupted; }

bool docker_client_cut_short(const struct docker_client *c)
{
	return impatient(c) || (c->deadline_ms && rt_now_ms() >= c->deadline_ms);
}
enum docker_engine docker_client_state(const struct docker_client *c) { return c->state; }

const char *docker_client_lost(const struct docker_client *c)
{
	return c->state == DOCKER_ENGINE_OK ? NULL : c->lost;
}

const char *docker_client_rule(const struct docker_client *c, const char *rule)
{
	switch (c->state) {
	case DOCKER_ENGINE_UNRESPONSIVE: return "docker-unresponsive";
	case DOCKER_ENGINE_GONE: return "docker-gone";
	default: return rule;
	}
}

bool docker_req_done(const struct docker_req *r) { return r->done; }
long docker_req_status(const struct docker_req *r) { return r->result == CURLE_OK ? r->status : 0; }

const char *docker_req_text(const struct docker_req *r, size_t *len)
{
	if (len)
		*len = r->body.len;
	return r->body.p ? r->body.p : "";
}

const char *docker_req_error(struct docker_req *r)
{
	if (r->done && r->result != CURLE_OK) {
		if (r->c->state != DOCKER_ENGINE_OK && r->result != CURLE_ABORTED_BY_CALLBACK)
			return r->c->lost;
		if (!r->err[0])
			snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(r->result));
		return r->err;
	}
	cJSON *j = cJSON_Parse(r->body.p ? r->body.p : "");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
	if (cJSON_IsString(m))
		snprintf(r->err, sizeof r->err, "%s", m->valuestring);
	else if (r->body.len)
		snprintf(r->err, sizeof r->err, "%.*s", (int)strcspn(r->body.p, "\n"), r->body.p);
	else
		snprintf(r->err, sizeof r->err, "HTTP status %ld", r->status);
	cJSON_Delete(j);
	return r->err;
}

void docker_req_free(struct docker_req *r)
{
	if (!r)
		return;
	if (r->started && !r->done)
		curl_multi_remove_handle(r->c->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->send);
	docker_buf_release(&r->body);
	free(r);
}

long docker_call(struct docker_client *c, long timeout_ms, const char *method, const char *path,
		 const cJSON *body, cJSON **out, char *err, size_t errsize)
{
	struct docker_req *r = docker_req_new(c, method, path);
	if (body)
		docker_req_json(r, body);
	docker_req_timeout(r, timeout_ms);
	long st = docker_req_call(r);
	if (out)
		*out = st / 100 == 2 ? cJSON_Parse(docker_req_text(r, NULL)) : NULL;
	if (st / 100 != 2 && err)
		snprintf(err, errsize, "%s", docker_req_error(r));
	docker_req_free(r);
	return st;
}

char *docker_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = strdup(e ? e : "");
	curl_free(e);
	return out;
}
