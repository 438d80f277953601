/* Image references: Docker's normalisation, and the check of a step's image. */
#include <string.h>

#include <criterion/criterion.h>

#include "tests/unit/suite.h"

TestSuite(image, .init = suite_setup, .fini = suite_teardown);

static struct ir_image_ref parse_ok(const char *s)
{
	struct ir_image_ref r;
	const char *why;
	cr_assert_eq(ir_image_ref_parse(&r, s, &why), 0, "'%s' should parse", s);
	return r;
}

Test(image, short_name_is_library_latest)
{
	struct ir_image_ref r = parse_ok("golang");
	cr_assert_str_eq(r.domain, "docker.io");
	cr_assert_str_eq(r.path, "library/golang");
	cr_assert_str_eq(r.tag, "latest");
	cr_assert(r.tag_implied);
	cr_assert_str_eq(r.digest, "");
}

Test(image, tag_and_user_repo)
{
	struct ir_image_ref r = parse_ok("golang:1.11");
	cr_assert_str_eq(r.tag, "1.11");
	cr_assert(!r.tag_implied);
	r = parse_ok("bradrydzewski/private-test:latest");
	cr_assert_str_eq(r.domain, "docker.io");
	cr_assert_str_eq(r.path, "bradrydzewski/private-test");
	cr_assert(!r.tag_implied);
}

Test(image, registry_with_port_is_not_a_tag)
{
	struct ir_image_ref r = parse_ok("127.0.0.1:5000/team/app");
	cr_assert_str_eq(r.domain, "127.0.0.1:5000");
	cr_assert_str_eq(r.path, "team/app");
	cr_assert_str_eq(r.tag, "latest");
	r = parse_ok("localhost/app:2");
	cr_assert_str_eq(r.domain, "localhost");
	cr_assert_str_eq(r.tag, "2");
}

Test(image, digest_and_hub_aliases)
{
	struct ir_image_ref r = parse_ok("index.docker.io/library/alpine@sha256:abcd");
	cr_assert_str_eq(r.domain, "docker.io");
	cr_assert_str_eq(r.path, "library/alpine");
	cr_assert_str_eq(r.tag, "");
	cr_assert(!r.tag_implied);
	cr_assert_str_eq(r.digest, "sha256:abcd");
}

Test(image, rejects_bad_references)
{
	static const char *const bad[] = {"", "UPPER/case", "a//b", "alpine:", "alpine:-x",
					  "alpine@nodigest", "trailing/", "UPPER/Case:x"};
	struct ir_image_ref r;
	const char *why;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_eq(ir_image_ref_parse(&r, bad[i], &why), -1, "'%s' should be refused", bad[i]);
	cr_expect_eq(ir_image_ref_parse(&r, NULL, &why), -1);
	char longname[2000];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	cr_expect_eq(ir_image_ref_parse(&r, longname, &why), -1);
}

Test(image, check_reports_at_the_step)
{
	struct ir_step s = {.pos = {"p.yml", 7, 3, NULL}, .name = "build", .image = "UPPER/Case:x"};
	struct ir_image_ref r;
	cr_assert_eq(ir_image_check(&s, &r, &dl), -1);
	cr_assert_eq(dl.len, 1);
	cr_expect_str_eq(dl.items[0].rule, "image-invalid");
	cr_expect_eq(dl.items[0].pos.line, 7);
	cr_expect_str_eq(dl.items[0].message,
			 "image 'UPPER/Case:x' of step 'build' is not valid: repository name must be lowercase alphanumerics");
	s.image = "busybox:1.36";
	cr_assert_eq(ir_image_check(&s, &r, &dl), 0);
	cr_expect_eq(dl.len, 1);
	cr_expect_str_eq(r.path, "library/busybox");
}
