/*
 * auth.c - registry credentials as the docker CLI stores them.
 *
 * config.json holds `auths` (key: a registry written any of several ways,
 * value: base64 "user:password" in `auth`, or `username`/`password`, or
 * an `identitytoken`), `credHelpers` (registry -> helper) and
 * `credsStore` (the helper for everything else).  Keys are reduced to a
 * bare domain before comparing, by string operations only, so an odd key
 * can only fail to match.  A helper is the program
 * docker-credential-<name>: it reads the server on stdin and answers
 * {"Username", "Secret"} on stdout.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend-docker/internal.h"

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || c == '-') return 62;
	if (c == '/' || c == '_') return 63;
	return -1;
}

long docker_base64_decode(const char *in, size_t len, unsigned char *out)
{
	unsigned acc = 0;
	int bits = 0;
	long n = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];
		if (c == '=')
			break;
		if (isspace(c))
			continue;
		int v = b64_value(c);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return n;
}

char *docker_base64url(const unsigned char *in, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len) v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len) v |= in[i + 2];
		*o++ = abc[v >> 18 & 63];
		*o++ = abc[v >> 12 & 63];
		*o++ = i + 1 < len ? abc[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? abc[v & 63] : '=';
	}
	*o = 0;
	return out;
}

/* Scheme, path and the Hub's aliases dropped: "https://index.docker.io/v1/" -> "docker.io". */
void docker_auth_key_domain(const char *key, char *out, size_t size)
{
	const char *s = strstr(key, "://");
	s = s ? s + 3 : key;
	size_t n = strcspn(s, "/");
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = 0;
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(out, "index.docker.io") == 0 || strcmp(out, "registry-1.docker.io") == 0)
		snprintf(out, size, "docker.io");
}

static char *dup_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring[0] ? strdup(v->valuestring) : NULL;
}

/* `auth` is base64 "user:password"; a bad value gives empty credentials. */
static void cred_from_entry(const cJSON *e, const char *server, struct docker_cred *c)
{
	memset(c, 0, sizeof *c);
	c->server = strdup(server);
	c->username = dup_str(e, "username");
	c->password = dup_str(e, "password");
	c->identity_token = dup_str(e, "identitytoken");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "auth");
	if (!cJSON_IsString(a) || c->username)
		return;
	size_t len = strlen(a->valuestring);
	unsigned char *raw = malloc(len * 3 / 4 + 4);
	long n = raw ? docker_base64_decode(a->valuestring, len, raw) : -1;
	char *colon = n > 0 ? memchr(raw, ':', (size_t)n) : NULL;
	if (colon) {
		c->username = strndup((char *)raw, (size_t)(colon - (char *)raw));
		c->password = strndup(colon + 1, (size_t)(n - (colon + 1 - (char *)raw)));
	}
	free(raw);
}

static const cJSON *find_key(const cJSON *obj, const char *domain)
{
	char d[256];
	const cJSON *e;
	cJSON_ArrayForEach(e, obj) {
		if (!e->string)
			continue;
		docker_auth_key_domain(e->string, d, sizeof d);
		if (strcmp(d, domain) == 0)
			return e;
	}
	return NULL;
}

static void set_helper(char *helper, size_t size, const cJSON *v)
{
	if (cJSON_IsString(v))
		snprintf(helper, size, "%s", v->valuestring);
}

int docker_auth_lookup(const char *json, const char *domain, struct docker_cred *cred,
		   char *helper, size_t helper_size)
{
	cJSON *root = cJSON_Parse(json);
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -1;
	}
	helper[0] = 0;
	memset(cred, 0, sizeof *cred);
	const cJSON *e = find_key(cJSON_GetObjectItemCaseSensitive(root, "credHelpers"), domain);
	if (e)
		set_helper(helper, helper_size, e);
	int found = 0;
	const cJSON *a = find_key(cJSON_GetObjectItemCaseSensitive(root, "auths"), domain);
	if (!helper[0] && a && cJSON_IsObject(a) && cJSON_GetArraySize(a) > 0) {
		cred_from_entry(a, a->string, cred);
		found = 1;
	}
	if (!found && !helper[0])
		set_helper(helper, helper_size, cJSON_GetObjectItemCaseSensitive(root, "credsStore"));
	cJSON_Delete(root);
	return found;
}

/* Helper names go into a program name: keep them to a safe alphabet. */
static bool helper_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/*
 * Reads the helper's answer from `fd` to its end; -1 once `stop` says so
 * or DOCKER_T_HELPER has passed (a helper waiting on a keyring that never
 * unlocks must not hold the run).
 */
static int read_helper(int fd, struct docker_buf *out, docker_stop_fn *stop, void *arg)
{
	int64_t until = rt_now_ms() + DOCKER_T_HELPER;
	char chunk[4096];
	for (;;) {
		if ((stop && stop(arg)) || rt_now_ms() >= until)
			return -1;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int r = poll(&pf, 1, 100);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			docker_buf_put(out, chunk, (size_t)n);
	}
}

static int run_helper(const char *prog, const char *server, struct docker_buf *out,
		      docker_stop_fn *stop, void *arg)
{
	int in[2], res[2];
	if (pipe(in) < 0)
		return -1;
	if (pipe(res) < 0) {
		close(in[0]), close(in[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0), dup2(res[1], 1);
		close(in[0]), close(in[1]), close(res[0]), close(res[1]);
		execlp(prog, prog, "get", (char *)NULL);
		_exit(127);
	}
	close(in[0]), close(res[1]);
	if (pid > 0) {
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		(void)!write(in[1], server, strlen(server));
		signal(SIGPIPE, old);
	}
	close(in[1]);
	bool read_all = pid > 0 && read_helper(res[0], out, stop, arg) == 0;
	close(res[0]);
	if (pid > 0 && !read_all)
		kill(pid, SIGKILL);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	if (!read_all)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

int docker_auth_helper(const char *helper, const char *server, docker_stop_fn *stop, void *arg,
		       struct docker_cred *cred)
{
	if (!helper_name_ok(helper))
		return -1;
	char prog[300];
	snprintf(prog, sizeof prog, "docker-credential-%s", helper);
	struct docker_buf out;
	docker_buf_init(&out, DOCKER_MAX_CONFIG);
	int rc = run_helper(prog, server, &out, stop, arg);
	cJSON *j = rc == 0 ? cJSON_Parse(out.p ? out.p : "") : NULL;
	docker_buf_release(&out);
	if (rc != 0 || !j)
		return rc == 1 ? 0 : -1;   /* helpers exit non-zero for "not found" */
	memset(cred, 0, sizeof *cred);
	cred->server = strdup(server);
	char *user = dup_str(j, "Username");
	if (user && strcmp(user, "<token>") == 0) {
		cred->identity_token = dup_str(j, "Secret");
		free(user);
	} else {
		cred->username = user;
		cred->password = dup_str(j, "Secret");
	}
	cJSON_Delete(j);
	return 1;
}

char *docker_auth_header(const struct docker_cred *c)
{
	cJSON *o = cJSON_CreateObject();
	if (c->identity_token) {
		cJSON_AddStringToObject(o, "identitytoken", c->identity_token);
	} else {
		if (c->username)
			cJSON_AddStringToObject(o, "username", c->username);
		if (c->password)
			cJSON_AddStringToObject(o, "password", c->password);
	}
	if (c->server)
		cJSON_AddStringToObject(o, "serveraddress", c->server);
	char *json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *out = json ? docker_base64url((unsigned char *)json, strlen(json)) : NULL;
	free(json);
	return out;
}

void docker_cred_release(struct docker_cred *c)
{
	free(c->username);
	free(c->password);
	free(c->identity_token);
	free(c->server);
	memset(c, 0, sizeof *c);
}
