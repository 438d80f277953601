/* Image references: Docker's normalisation and the pull decision. */
#include <criterion/criterion.h>

#include "backend-docker/internal.h"

static struct docker_ref parse_ok(const char *s)
{
	struct docker_ref r;
	const char *why;
	cr_assert_eq(docker_ref_parse(&r, s, &why), 0, "'%s' should parse", s);
	return r;
}

Test(ref, short_name_is_library_latest)
{
	struct docker_ref r = parse_ok("golang");
	cr_assert_str_eq(r.domain, "docker.io");
	cr_assert_str_eq(r.path, "library/golang");
	cr_assert_str_eq(r.tag, "latest");
	cr_assert_str_eq(r.digest, "");
}

Test(ref, tag_and_user_repo)
{
	struct docker_ref r = parse_ok("golang:1.11");
	cr_assert_str_eq(r.tag, "1.11");
	r = parse_ok("bradrydzewski/private-test:latest");
	cr_assert_str_eq(r.domain, "docker.io");
	cr_assert_str_eq(r.path, "bradrydzewski/private-test");
}

Test(ref, registry_with_port_is_not_a_tag)
{
	struct docker_ref r = parse_ok("127.0.0.1:5000/team/app");
	cr_assert_str_eq(r.domain, "127.0.0.1:5000");
	cr_assert_str_eq(r.path, "team/app");
	cr_assert_str_eq(r.tag, "latest");
	r = parse_ok("localhost/app:2");
	cr_assert_str_eq(r.domain, "localhost");
	cr_assert_str_eq(r.tag, "2");
}

Test(ref, digest_and_hub_aliases)
{
	struct docker_ref r = parse_ok("index.docker.io/library/alpine@sha256:abcd");
	cr_assert_str_eq(r.domain, "docker.io");
	cr_assert_str_eq(r.path, "library/alpine");
	cr_assert_str_eq(r.tag, "");
	cr_assert_str_eq(r.digest, "sha256:abcd");
	cr_assert_str_eq(docker_ref_auth_key(&r), "https://index.docker.io/v1/");
}

Test(ref, rejects_bad_references)
{
	static const char *const bad[] = {"", "UPPER/case", "a//b", "alpine:", "alpine:-x",
					  "alpine@nodigest", "trailing/"};
	struct docker_ref r;
	const char *why;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_eq(docker_ref_parse(&r, bad[i], &why), -1, "'%s' should be refused", bad[i]);
	char longname[2000];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	cr_expect_eq(docker_ref_parse(&r, longname, &why), -1);
}

Test(ref, pull_policy_table)
{
	struct docker_ref latest = parse_ok("alpine"), pinned = parse_ok("alpine:3.8");
	struct docker_ref digest = parse_ok("alpine@sha256:00");
	cr_expect(docker_ref_pull_due(&latest, IR_PULL_DEFAULT, true));
	cr_expect(!docker_ref_pull_due(&pinned, IR_PULL_DEFAULT, true));
	cr_expect(docker_ref_pull_due(&pinned, IR_PULL_DEFAULT, false));
	cr_expect(!docker_ref_pull_due(&digest, IR_PULL_DEFAULT, true));
	cr_expect(docker_ref_pull_due(&pinned, IR_PULL_ALWAYS, true));
	cr_expect(!docker_ref_pull_due(&latest, IR_PULL_NEVER, false));
	cr_expect(!docker_ref_pull_due(&latest, IR_PULL_IF_NOT_EXISTS, true));
	cr_expect(docker_ref_pull_due(&latest, IR_PULL_IF_NOT_EXISTS, false));
}
