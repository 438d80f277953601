/*
 * docker_ref.c - image references, as the validator and the Docker
 * backend read them (ir_image_ref_parse()).  A reference the parser
 * accepts, written back in full (`domain/path:tag@digest`), parses to
 * the same parts: normalising is idempotent.  The backend's pull and
 * auth decisions take any parsed reference.
 */
#include "backend-docker/internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	if (!s)
		abort();
	struct ir_image_ref r, again;
	const char *why = NULL;
	if (ir_image_ref_parse(&r, s, &why) == 0) {
		char full[1200];
		snprintf(full, sizeof full, "%s/%s%s%s%s%s", r.domain, r.path, r.tag[0] ? ":" : "",
			 r.tag, r.digest[0] ? "@" : "", r.digest);
		if (ir_image_ref_parse(&again, full, &why) != 0)
			fuzz_fail("'%s' is read as '%s', which is refused: %s", s, full, why);
		if (strcmp(r.domain, again.domain) || strcmp(r.path, again.path) ||
		    strcmp(r.tag, again.tag) || strcmp(r.digest, again.digest))
			fuzz_fail("'%s' is read as '%s', which reads differently", s, full);
		(void)docker_ref_auth_key(&r);
		(void)docker_ref_pull_due(&r, IR_PULL_IF_NOT_EXISTS, false);
	} else if (!why) {
		fuzz_fail("'%s' is refused without a reason", s);
	}
	free(s);
	return 0;
}
