/* What the Docker backend decides from an image reference: pulls and credentials. */
#include <criterion/criterion.h>

#include "backend-docker/internal.h"

static struct ir_image_ref parse_ok(const char *s)
{
	struct ir_image_ref r;
	const char *why;
	cr_assert_eq(ir_image_ref_parse(&r, s, &why), 0, "'%s' should parse", s);
	return r;
}

Test(ref, hub_auth_key)
{
	struct ir_image_ref hub = parse_ok("index.docker.io/library/alpine@sha256:abcd");
	struct ir_image_ref own = parse_ok("127.0.0.1:5000/team/app");
	cr_assert_str_eq(docker_ref_auth_key(&hub), "https://index.docker.io/v1/");
	cr_assert_str_eq(docker_ref_auth_key(&own), "127.0.0.1:5000");
}

Test(ref, pull_policy_table)
{
	struct ir_image_ref latest = parse_ok("alpine"), pinned = parse_ok("alpine:3.8");
	struct ir_image_ref digest = parse_ok("alpine@sha256:00");
	cr_expect(docker_ref_pull_due(&latest, IR_PULL_DEFAULT, true));
	cr_expect(!docker_ref_pull_due(&pinned, IR_PULL_DEFAULT, true));
	cr_expect(docker_ref_pull_due(&pinned, IR_PULL_DEFAULT, false));
	cr_expect(!docker_ref_pull_due(&digest, IR_PULL_DEFAULT, true));
	cr_expect(docker_ref_pull_due(&pinned, IR_PULL_ALWAYS, true));
	cr_expect(!docker_ref_pull_due(&latest, IR_PULL_NEVER, false));
	cr_expect(!docker_ref_pull_due(&latest, IR_PULL_IF_NOT_EXISTS, true));
	cr_expect(docker_ref_pull_due(&latest, IR_PULL_IF_NOT_EXISTS, false));
}
