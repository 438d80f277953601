/* Registry credentials: config.json in its several spellings, credential helpers. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "backend-docker/internal.h"

static int lookup(const char *json, const char *domain, struct docker_cred *c, char *helper)
{
	return docker_auth_lookup(json, domain, c, helper, 128);
}

Test(auth, hub_entry_by_url_key)
{
	const char *json = "{\"auths\":{\"https://index.docker.io/v1/\":"
			   "{\"auth\":\"b2N0b2NhdDpjb3JyZWN0LWhvcnNlLWJhdHRlcnktc3RhcGxl\"}}}";
	struct docker_cred c;
	char helper[128];
	cr_assert_eq(lookup(json, "docker.io", &c, helper), 1);
	cr_expect_str_eq(c.username, "octocat");
	cr_expect_str_eq(c.password, "correct-horse-battery-staple");
	docker_cred_release(&c);
	cr_expect_eq(lookup(json, "gcr.io", &c, helper), 0);
	docker_cred_release(&c);
}

Test(auth, password_with_colon_and_newline)
{
	const char *json = "{\"auths\":{\"gcr.io\":{\"auth\":\"X2pzb25fa2V5Onh4eDpiYXIK\"}}}";
	struct docker_cred c;
	char helper[128];
	cr_assert_eq(lookup(json, "gcr.io", &c, helper), 1);
	cr_expect_str_eq(c.username, "_json_key");
	cr_expect_str_eq(c.password, "xxx:bar\n");
	docker_cred_release(&c);
}

Test(auth, key_spellings_match_one_domain)
{
	static const char *const keys[] = {"docker.io", "index.docker.io", "https://index.docker.io/v1",
					   "http://docker.io/v2", "registry-1.docker.io"};
	char d[256];
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		docker_auth_key_domain(keys[i], d, sizeof d);
		cr_expect_str_eq(d, "docker.io", "key '%s'", keys[i]);
	}
	docker_auth_key_domain("192.168.1.1:5000", d, sizeof d);
	cr_expect_str_eq(d, "192.168.1.1:5000");
}

Test(auth, odd_keys_and_values_never_crash)
{
	const char *json = "{\"auths\":{\"http://192.168.0.%31\":{\"auth\":\"b2N0b2NhdDp==\"},"
			   "\"\":{},\"192.168.1.1:5000\":{\"auth\":\"!!!\"},\"x\":7,"
			   "\"127.0.0.1:5000\":{\"username\":\"u\",\"password\":\"p\"}},"
			   "\"credHelpers\":[1,2],\"credsStore\":5}";
	struct docker_cred c;
	char helper[128];
	cr_expect_eq(lookup(json, "docker.io", &c, helper), 0);
	docker_cred_release(&c);
	cr_assert_eq(lookup(json, "192.168.1.1:5000", &c, helper), 1);
	cr_expect_null(c.username);     /* undecodable: no credentials, no crash */
	docker_cred_release(&c);
	cr_assert_eq(lookup(json, "127.0.0.1:5000", &c, helper), 1);
	cr_expect_str_eq(c.username, "u");
	cr_expect_str_eq(c.password, "p");
	docker_cred_release(&c);
	cr_expect_eq(lookup("not json", "docker.io", &c, helper), -1);
	cr_expect_eq(lookup("[1]", "docker.io", &c, helper), -1);
}

Test(auth, helpers_named_per_registry_and_default)
{
	const char *json = "{\"auths\":{\"gcr.io\":{}},\"credHelpers\":{\"gcr.io\":\"gcloud\"},"
			   "\"credsStore\":\"desktop\"}";
	struct docker_cred c;
	char helper[128];
	cr_expect_eq(lookup(json, "gcr.io", &c, helper), 0);
	cr_expect_str_eq(helper, "gcloud");
	cr_expect_eq(lookup(json, "quay.io", &c, helper), 0);
	cr_expect_str_eq(helper, "desktop");
	cr_expect_eq(docker_auth_helper("../../bin/sh", "x", NULL, NULL, &c), -1);
}

Test(auth, registry_auth_header_known_answer)
{
	struct docker_cred c = {.username = "octocat", .password = "correct-horse-battery-staple"};
	char *h = docker_auth_header(&c);
	cr_expect_str_eq(h, "eyJ1c2VybmFtZSI6Im9jdG9jYXQiLCJwYXNzd29yZCI6ImNvcnJlY3QtaG9yc2UtYmF0dGVyeS1zdGFwbGUifQ==");
	free(h);
	struct docker_cred t = {.identity_token = "tok", .server = "gcr.io"};
	h = docker_auth_header(&t);
	unsigned char raw[256];
	long n = docker_base64_decode(h, strlen(h), raw);
	cr_assert_gt(n, 0);
	cr_expect_eq(memcmp(raw, "{\"identitytoken\":\"tok\",\"serveraddress\":\"gcr.io\"}", (size_t)n), 0);
	free(h);
}

Test(auth, base64_both_alphabets)
{
	unsigned char out[16];
	cr_expect_eq(docker_base64_decode("aGk=", 4, out), 2);
	cr_expect_eq(memcmp(out, "hi", 2), 0);
	cr_expect_eq(docker_base64_decode("-_8", 3, out), 2);
	cr_expect_eq(out[0], 0xfb);
	cr_expect_eq(docker_base64_decode("a$b", 3, out), -1);
}

static int64_t stop_at;
static bool stop_now(void *arg) { (void)arg; return rt_now_ms() >= stop_at; }

/* A helper that never answers (a keyring that never unlocks) is killed once the wait must end. */
Test(auth, a_helper_that_never_answers_is_killed_when_the_wait_ends)
{
	char dir[4096], path[4200], pidfile[4200];
	snprintf(dir, sizeof dir, "%s/pipec-helper.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/docker-credential-hang", dir);
	snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\necho $$ > %s\nexec sleep 300\n", pidfile);
	fclose(f);
	chmod(path, 0700);
	char env[8400];
	snprintf(env, sizeof env, "%s:%s", dir, getenv("PATH"));
	setenv("PATH", env, 1);
	struct docker_cred c;
	int64_t t0 = rt_now_ms();
	stop_at = t0 + 300;
	cr_assert_eq(docker_auth_helper("hang", "reg.test", stop_now, NULL, &c), -1);
	cr_assert_lt(rt_now_ms() - t0, 10000);
	int pid = 0;
	f = fopen(pidfile, "r");
	cr_assert(f && fscanf(f, "%d", &pid) == 1, "the helper ran");
	fclose(f);
	cr_assert(kill(pid, 0) < 0 && errno == ESRCH, "the helper is gone");
	unlink(pidfile), unlink(path), rmdir(dir);
}
