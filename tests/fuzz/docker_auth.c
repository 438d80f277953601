/*
 * docker_auth.c - registry credentials from a config.json.  The input's
 * first line is the registry asked for, the rest the file.  Credentials
 * found go into an X-Registry-Auth header that decodes back to JSON
 * naming the same user.
 */
#include "backend-docker/internal.h"
#include "tests/fuzz/fuzz.h"

/* The header decoded: it must be a JSON object with `user`'s name. */
static void check_header(const char *header, const struct docker_cred *cred)
{
	size_t len = strlen(header);
	unsigned char *raw = malloc(len * 3 / 4 + 4);
	long n = raw ? docker_base64_decode(header, len, raw) : -1;
	if (n < 0)
		fuzz_fail("the auth header is not base64url: %s", header);
	cJSON *o = cJSON_ParseWithLength((const char *)raw, (size_t)n);
	if (!cJSON_IsObject(o))
		fuzz_fail("the auth header is not a JSON object: %.*s", (int)n, (const char *)raw);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "username");
	if (!cred->identity_token && cred->username &&
	    !(cJSON_IsString(u) && strcmp(u->valuestring, cred->username) == 0))
		fuzz_fail("the auth header names another user: %.*s", (int)n, (const char *)raw);
	cJSON_Delete(o);
	free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl = memchr(text, '\n', size);
	size_t dlen = nl ? (size_t)(nl - text) : 0;
	if (!nl || dlen > 255)
		return 0;
	char domain[256], helper[128];
	memcpy(domain, text, dlen);
	domain[dlen] = 0;
	char *json = strndup(nl + 1, size - dlen - 1);
	if (!json)
		abort();
	struct docker_cred cred = {0};
	int found = docker_auth_lookup(json, domain, &cred, helper, sizeof helper);
	if (found == 1) {
		char *header = docker_auth_header(&cred);
		if (!header)
			fuzz_fail("no auth header for credentials found");
		check_header(header, &cred);
		free(header);
	}
	docker_cred_release(&cred);
	free(json);
	return 0;
}
