/*
 * exec.c - credential plugins (client.authentication.k8s.io/v1), as
 * kubectl runs them.
 *
 * The plugin is spawned with its argv as the kubeconfig writes it (no
 * shell: nothing in a path or argument is interpreted), pipec's
 * environment plus the kubeconfig's `env`, KUBERNETES_EXEC_INFO saying it
 * is not interactive, stdin from /dev/null and stderr shared so a plugin's
 * own complaint reaches the user.  Its stdout (at most
 * KUBE_MAX_CREDENTIAL) is an ExecCredential whose token or client
 * certificate is kept until its expirationTimestamp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend-kube/internal.h"

extern char **environ;

#define EXEC_INFO "KUBERNETES_EXEC_INFO={\"apiVersion\":\"client.authentication.k8s.io/v1\"," \
		  "\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false}}"

/* pipec's environment, the kubeconfig's variables replacing any of the same name. */
static char **plugin_env(const struct kube_exec *e)
{
	size_t n = 0, extra = 0;
	while (environ[n])
		n++;
	while (e->env[extra])
		extra++;
	char **v = calloc(n + extra + 2, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool replaced = strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) == 0;
		for (size_t x = 0; x < extra && !replaced; x++) {
			size_t len = strcspn(e->env[x], "=");
			replaced = strncmp(environ[i], e->env[x], len + 1) == 0;
		}
		if (!replaced)
			v[k++] = environ[i];
	}
	for (size_t x = 0; x < extra; x++)
		v[k++] = e->env[x];
	v[k++] = EXEC_INFO;
	return v;
}

static int spawn(const struct kube_exec *e, int out, pid_t *pid, char *err, size_t errsize)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	char **env = plugin_env(e);
	int rc = posix_spawnp(pid, e->argv[0], &fa, NULL, e->argv, env);
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		snprintf(err, errsize, "cannot run credential plugin '%s' (named in %s): %s", e->argv[0],
			 e->file, strerror(rc));
	return rc ? -1 : 0;
}

/*
 * Reads the plugin's stdout from `fd` to its end (or past the ceiling);
 * -1 with the reason in `why` once `stop` says so or KUBE_T_PLUGIN has
 * passed: a plugin waiting for a login that never comes must not hold
 * the run.
 */
static int read_plugin(int fd, char *buf, size_t *len, kube_stop_fn *stop, void *arg, char *why,
		       size_t whysize)
{
	int64_t until = rt_now_ms() + KUBE_T_PLUGIN;
	for (;;) {
		if (stop && stop(arg))
			return snprintf(why, whysize, "was stopped before it answered"), -1;
		if (rt_now_ms() >= until)
			return snprintf(why, whysize, "did not answer within %d s", KUBE_T_PLUGIN / 1000), -1;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int r = poll(&pf, 1, 100);
		if (r < 0 && errno != EINTR)
			return snprintf(why, whysize, "%s", strerror(errno)), -1;
		if (r <= 0)
			continue;
		ssize_t n = read(fd, buf + *len, KUBE_MAX_CREDENTIAL + 1 - *len);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return snprintf(why, whysize, "%s", strerror(errno)), -1;
		*len += n > 0 ? (size_t)n : 0;
	}
}

/* Runs the plugin and returns its stdout; NULL with `err`. */
static char *run_plugin(const struct kube_exec *e, kube_stop_fn *stop, void *arg, char *err,
			size_t errsize)
{
	int p[2];
	pid_t pid;
	if (pipe2(p, O_CLOEXEC) < 0 || spawn(e, p[1], &pid, err, errsize) < 0) {
		snprintf(err + strlen(err), errsize - strlen(err), "%s", strlen(err) ? "" : strerror(errno));
		return NULL;
	}
	close(p[1]);
	char *buf = malloc(KUBE_MAX_CREDENTIAL + 1);
	size_t len = 0;
	char cut[128] = "";
	bool read_all = read_plugin(p[0], buf, &len, stop, arg, cut, sizeof cut) == 0;
	close(p[0]);
	buf[len > KUBE_MAX_CREDENTIAL ? KUBE_MAX_CREDENTIAL : len] = 0;
	if (!read_all)
		kill(pid, SIGKILL);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!read_all) {
		snprintf(err, errsize, "credential plugin '%s' (named in %s) %s", e->argv[0], e->file, cut);
		free(buf);
		return NULL;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || len > KUBE_MAX_CREDENTIAL) {
		snprintf(err, errsize, "credential plugin '%s' (named in %s) %s %d", e->argv[0], e->file,
			 len > KUBE_MAX_CREDENTIAL ? "printed more than the ceiling, status" :
			 WIFEXITED(st) ? "exited with status" : "was killed by signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		free(buf);
		return NULL;
	}
	return buf;
}

/* RFC 3339: 2026-01-02T15:04:05Z, fractions and offsets too. */
static time_t parse_time(const char *s)
{
	struct tm tm = {0};
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return (time_t)-1;
	if (*rest == '.')
		while (*++rest >= '0' && *rest <= '9')
			;
	time_t t = timegm(&tm);
	if (*rest == '+' || *rest == '-') {
		int h = 0, m = 0;
		if (sscanf(rest + 1, "%d:%d", &h, &m) < 1)
			return (time_t)-1;
		t -= (*rest == '+' ? 1 : -1) * (h * 3600 + m * 60);
	} else if (*rest != 'Z' && *rest != 'z') {
		return (time_t)-1;
	}
	return t;
}

static int parse_status(struct kube_exec *e, const cJSON *st, char *err, size_t errsize)
{
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(st, "token");
	const cJSON *cert = cJSON_GetObjectItemCaseSensitive(st, "clientCertificateData");
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(st, "clientKeyData");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(st, "expirationTimestamp");
	if (!cJSON_IsString(tok) && !(cJSON_IsString(cert) && cJSON_IsString(key))) {
		snprintf(err, errsize, "credential plugin '%s' gave neither status.token nor "
			 "status.clientCertificateData with status.clientKeyData", e->argv[0]);
		return -1;
	}
	e->expires = 0;
	if (cJSON_IsString(exp) && (e->expires = parse_time(exp->valuestring)) == (time_t)-1) {
		snprintf(err, errsize, "credential plugin '%s' gave an expirationTimestamp that is not "
			 "RFC 3339: '%s'", e->argv[0], exp->valuestring);
		return -1;
	}
	if (cJSON_IsString(tok))
		e->token = strdup(tok->valuestring);
	if (cJSON_IsString(cert)) {
		e->cert = (struct kube_blob){(unsigned char *)strdup(cert->valuestring), strlen(cert->valuestring)};
		e->key = (struct kube_blob){(unsigned char *)strdup(key->valuestring), strlen(key->valuestring)};
	}
	e->have = true;
	return 0;
}

int kube_exec_parse(struct kube_exec *e, const char *json, char *err, size_t errsize)
{
	kube_exec_forget(e);
	cJSON *o = cJSON_Parse(json);
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
	const cJSON *api = cJSON_GetObjectItemCaseSensitive(o, "apiVersion");
	int rc = -1;
	if (!cJSON_IsObject(o))
		snprintf(err, errsize, "credential plugin '%s' did not print JSON", e->argv[0]);
	else if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "ExecCredential") != 0)
		snprintf(err, errsize, "credential plugin '%s' printed no ExecCredential", e->argv[0]);
	else if (!cJSON_IsString(api) || strcmp(api->valuestring, e->api_version) != 0)
		snprintf(err, errsize, "credential plugin '%s' answered in apiVersion '%s', not '%s'", e->argv[0],
			 cJSON_IsString(api) ? api->valuestring : "", e->api_version);
	else
		rc = parse_status(e, cJSON_GetObjectItemCaseSensitive(o, "status"), err, errsize);
	cJSON_Delete(o);
	return rc;
}

void kube_exec_forget(struct kube_exec *e)
{
	free(e->token), free(e->cert.p), free(e->key.p);
	e->token = NULL;
	e->cert = e->key = (struct kube_blob){0};
	e->have = false;
}

int kube_exec_credential(struct kube_exec *e, kube_stop_fn *stop, void *arg, char *err,
			 size_t errsize)
{
	/* a credential that ends within ten seconds is renewed now, not mid-request */
	if (e->have && (!e->expires || time(NULL) + 10 < e->expires))
		return 0;
	char *out = run_plugin(e, stop, arg, err, errsize);
	if (!out)
		return -1;
	int rc = kube_exec_parse(e, out, err, errsize);
	free(out);
	return rc;
}
