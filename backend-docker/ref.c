/*
 * ref.c - what the Docker backend decides from an image reference (parsed
 * by ir_image_ref_parse()): whether a pull is due, and the registry key
 * config.json files its credentials under.
 */
#include <string.h>

#include "backend-docker/internal.h"

/* `default` pulls a `latest` tag every run and anything else when missing. */
bool docker_ref_pull_due(const struct ir_image_ref *r, enum ir_pull policy, bool exists)
{
	switch (policy) {
	case IR_PULL_ALWAYS:
		return true;
	case IR_PULL_NEVER:
		return false;
	case IR_PULL_IF_NOT_EXISTS:
		return !exists;
	case IR_PULL_DEFAULT:
		break;
	}
	if (!r->digest[0] && strcmp(r->tag, "latest") == 0)
		return true;
	return !exists;
}

const char *docker_ref_auth_key(const struct ir_image_ref *r)
{
	if (strcmp(r->domain, "docker.io") == 0)
		return "https://index.docker.io/v1/";
	return r->domain;
}
