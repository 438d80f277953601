/*
 * kubeconfig as kubectl reads it: merged KUBECONFIG lists, contexts,
 * relative paths, -data fields, the namespace's precedence, in-cluster
 * refusal without a token, and a clear error naming file and field for
 * each kind of mistake.  Exec credentials are parsed as plugins print them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "backend-kube/internal.h"
#include "tests/unit/suite.h"

static char dir[64];

static void setup(void)
{
	suite_setup();
	snprintf(dir, sizeof dir, "/tmp/pipec-kubecfg-%d", (int)getpid());
	mkdir(dir, 0700);
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	suite_teardown();
}

TestSuite(config, .init = setup, .fini = teardown);

static const char *put_file(const char *name, const char *text)
{
	static char path[8][128];
	static int k;
	char *p = path[k++ % 8];
	snprintf(p, 128, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static const char base[] =
	"apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
	"clusters:\n- name: dev\n  cluster:\n    server: https://dev.example:6443\n"
	"    certificate-authority: ca.crt\n    tls-server-name: api.dev\n"
	"- name: prod\n  cluster:\n    server: https://prod.example\n    insecure-skip-tls-verify: true\n"
	"    proxy-url: http://proxy:3128\n"
	"contexts:\n- name: dev\n  context: {cluster: dev, user: alice, namespace: team}\n"
	"- name: prod\n  context: {cluster: prod, user: bob}\n"
	"users:\n- name: alice\n  user:\n    token: alice-token\n"
	"- name: bob\n  user:\n    client-certificate-data: Q0VSVA==\n    client-key-data: S0VZ\n";

Test(config, current_context_with_relative_paths)
{
	put_file("ca.crt", "pem");
	struct rt_backend_options o = {.kubeconfig = put_file("config", base)};
	struct kube_config c;
	cr_assert_eq(kube_config_load(&c, &o, &dl), 0);
	cr_assert_str_eq(c.context, "dev");
	cr_assert_str_eq(c.server, "https://dev.example:6443");
	cr_assert(strstr(c.ca_file, dir) && strstr(c.ca_file, "/ca.crt"), "%s", c.ca_file);
	cr_assert_str_eq(c.tls_server_name, "api.dev");
	cr_assert_str_eq(c.token, "alice-token");
	cr_assert_str_eq(c.namespace, "team");
	kube_config_release(&c);
}

Test(config, named_context_data_fields_and_default_namespace)
{
	put_file("ca.crt", "pem");
	struct rt_backend_options o = {.kubeconfig = put_file("config", base), .kube_context = "prod"};
	struct kube_config c;
	cr_assert_eq(kube_config_load(&c, &o, &dl), 0);
	cr_assert(c.insecure);
	cr_assert_str_eq(c.proxy_url, "http://proxy:3128");
	cr_assert_eq(c.cert.len, 4);
	cr_assert_eq(memcmp(c.cert.p, "CERT", 4), 0);
	cr_assert_eq(memcmp(c.key.p, "KEY", 3), 0);
	cr_assert_str_eq(c.namespace, "default");
	kube_config_release(&c);
	o.kube_namespace = "override";
	cr_assert_eq(kube_config_load(&c, &o, &dl), 0);
	cr_assert_str_eq(c.namespace, "override");
	kube_config_release(&c);
}

Test(config, kubeconfig_list_merges_first_wins)
{
	const char *a = put_file("a", "current-context: second\nusers:\n- name: u\n  user: {token: from-a}\n");
	const char *b = put_file("b", "current-context: ignored\n"
			      "clusters:\n- name: c\n  cluster: {server: 'http://b.example'}\n"
			      "contexts:\n- name: second\n  context: {cluster: c, user: u}\n"
			      "users:\n- name: u\n  user: {token: from-b}\n");
	char list[512];
	snprintf(list, sizeof list, "%s:%s/missing:%s", a, dir, b);
	setenv("KUBECONFIG", list, 1);
	struct rt_backend_options o = {0};
	struct kube_config c;
	cr_assert_eq(kube_config_load(&c, &o, &dl), 0, "%s", dl.len ? dl.items[0].message : "");
	cr_assert_str_eq(c.context, "second");
	cr_assert_str_eq(c.server, "http://b.example");
	cr_assert_str_eq(c.token, "from-a");
	kube_config_release(&c);
}

static void expect_error(const char *yaml, const char *ctx, const char *field)
{
	struct rt_backend_options o = {.kubeconfig = put_file("bad", yaml), .kube_context = ctx};
	struct kube_config c;
	cr_assert_eq(kube_config_load(&c, &o, &dl), -1, "accepted: %s", yaml);
	cr_assert(suite_has_diag(&dl, "kube-config", field), "no error naming '%s': %s", field,
		  dl.len ? dl.items[0].message : "none");
	cr_assert(strstr(dl.items[0].pos.file, "/bad"), "the file is named");
	kube_config_release(&c);
}

static const char ctx[] = "contexts:\n- name: x\n  context: {cluster: c, user: u}\n";

Test(config, every_mistake_names_the_field)
{
	expect_error("current-context: x\n", NULL, "context 'x'");
	expect_error("clusters: []\n", NULL, "no current-context");
	char y[1024];
	snprintf(y, sizeof y, "%sclusters:\n- name: c\n  cluster: {server: 'https://a', insecure-skip-tls-verify: maybe}\n"
		 "users:\n- name: u\n  user: {}\n", ctx);
	expect_error(y, "x", "clusters[c].cluster.insecure-skip-tls-verify");
	snprintf(y, sizeof y, "%sclusters:\n- name: c\n  cluster: {server: 'https://a'}\n"
		 "users:\n- name: u\n  user: {client-certificate-data: '!!!'}\n", ctx);
	expect_error(y, "x", "users[u].user.client-certificate-data");
	snprintf(y, sizeof y, "%sclusters:\n- name: c\n  cluster: {server: 'https://a'}\n"
		 "users:\n- name: u\n  user: {client-certificate-data: Q0VSVA==}\n", ctx);
	expect_error(y, "x", "users[u].user.client-key");
	snprintf(y, sizeof y, "%sclusters:\n- name: c\n  cluster: {certificate-authority: nowhere.crt, server: 'https://a'}\n"
		 "users:\n- name: u\n  user: {}\n", ctx);
	expect_error(y, "x", "clusters[c].cluster.certificate-authority");
	snprintf(y, sizeof y, "%sclusters:\n- name: c\n  cluster: {server: 'https://a'}\n"
		 "users:\n- name: u\n  user: {exec: {command: x, apiVersion: client.authentication.k8s.io/v1beta1}}\n", ctx);
	expect_error(y, "x", "users[u].user.exec.apiVersion");
	snprintf(y, sizeof y, "%sclusters:\n- name: c\n  cluster: {server: 'ftp://a'}\nusers:\n- name: u\n  user: {}\n", ctx);
	expect_error(y, "x", "clusters[c].cluster.server");
	snprintf(y, sizeof y, "%sclusters: []\nusers: []\n", ctx);
	expect_error(y, "x", "contexts[x].context.cluster");
	expect_error("a: [", NULL, "not YAML");
}

/* On a Pod with a service account its token is read; elsewhere it is missed. */
Test(config, in_cluster_needs_its_token)
{
	static const char token[] = "/var/run/secrets/kubernetes.io/serviceaccount/token";
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	struct rt_backend_options o = {0};
	struct kube_config c;
	bool pod = access(token, F_OK) == 0;
	int rc = kube_config_load(&c, &o, &dl);
	cr_assert_str_eq(c.server, "https://10.0.0.1:443");
	if (pod) {
		cr_assert_eq(rc, 0);
		cr_assert_str_eq(c.token_file, token);
	} else {
		cr_assert_eq(rc, -1);
		cr_assert(suite_has_diag(&dl, "kube-config", "service account token"));
	}
	kube_config_release(&c);
}

Test(config, exec_credential_token_and_expiry)
{
	struct kube_exec e = {.api_version = "client.authentication.k8s.io/v1"};
	char *argv[] = {"plugin", NULL};
	e.argv = argv;
	char err[300];
	cr_assert_eq(kube_exec_parse(&e, "{\"apiVersion\":\"client.authentication.k8s.io/v1\","
				     "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t1\","
				     "\"expirationTimestamp\":\"2030-01-02T03:04:05Z\"}}", err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(e.token, "t1");
	cr_assert_eq(e.expires, 1893553445);
	cr_assert_eq(kube_exec_parse(&e, "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
				     "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}", err, sizeof err), -1);
	cr_assert(strstr(err, "apiVersion"), "%s", err);
	cr_assert_eq(kube_exec_parse(&e, "{\"apiVersion\":\"client.authentication.k8s.io/v1\","
				     "\"kind\":\"ExecCredential\",\"status\":{}}", err, sizeof err), -1);
	cr_assert(strstr(err, "status.token"), "%s", err);
	kube_exec_forget(&e);
}

Test(config, exec_plugin_runs_without_a_shell)
{
	const char *script = put_file("plugin.sh", "#!/bin/sh\n"
		"[ \"$1\" = 'a b;c' ] || exit 3\n"
		"[ \"$EXTRA\" = yes ] || exit 4\n"
		"echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",'\n"
		"echo '\"status\":{\"token\":\"from-plugin\"}}'\n");
	chmod(script, 0755);
	char *argv[] = {(char *)script, "a b;c", NULL};
	char *env[] = {"EXTRA=yes", NULL};
	struct kube_exec e = {.api_version = "client.authentication.k8s.io/v1", .argv = argv, .env = env,
			      .file = "config"};
	char err[300];
	cr_assert_eq(kube_exec_credential(&e, NULL, NULL, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(e.token, "from-plugin");
	kube_exec_forget(&e);
	char *bad[] = {(char *)script, "other", NULL};
	e.argv = bad;
	cr_assert_eq(kube_exec_credential(&e, NULL, NULL, err, sizeof err), -1);
	cr_assert(strstr(err, "exited with status 3"), "%s", err);
}

static int64_t stop_at;
static bool stop_now(void *arg) { (void)arg; return rt_now_ms() >= stop_at; }

/* A plugin waiting for a login that never comes is killed once the wait must end. */
Test(config, exec_plugin_that_never_answers_is_killed_when_the_wait_ends)
{
	char pidfile[4200];
	snprintf(pidfile, sizeof pidfile, "%s", put_file("plugin.pid", ""));
	char text[4400];
	snprintf(text, sizeof text, "#!/bin/sh\necho $$ > '%s'\nexec sleep 300\n", pidfile);
	const char *script = put_file("silent.sh", text);
	chmod(script, 0755);
	char *argv[] = {(char *)script, NULL}, *env[] = {NULL};
	struct kube_exec e = {.api_version = "client.authentication.k8s.io/v1", .argv = argv, .env = env,
			      .file = "config"};
	char err[300];
	int64_t t0 = rt_now_ms();
	stop_at = t0 + 300;
	cr_assert_eq(kube_exec_credential(&e, stop_now, NULL, err, sizeof err), -1);
	cr_assert_lt(rt_now_ms() - t0, 10000);
	cr_assert(strstr(err, "credential plugin") && strstr(err, "was stopped before it answered"), "%s", err);
	FILE *f = fopen(pidfile, "r");
	int pid = 0;
	cr_assert(f && fscanf(f, "%d", &pid) == 1, "the plugin ran");
	fclose(f);
	cr_assert(kill(pid, 0) < 0 && errno == ESRCH, "the plugin is gone");
}
