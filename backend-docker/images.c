/*
 * images.c - the tags the engine holds of an image repository, for an
 * editor offering to pin an untagged image to what this machine runs.
 *
 * One call: GET /images/json filtered by reference, whose RepoTags list
 * every local tag.  Tags of other repositories that the filter's pattern
 * lets through are left out, and so is `latest`, which pins nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "backend-docker/internal.h"

/* Time the engine has to list its images. */
#define IMAGES_TIMEOUT_MS 2000

/* The filter {"reference": [repo]}, URL-encoded into a path. */
static char *images_path(const char *repo)
{
	cJSON *f = cJSON_CreateObject();
	cJSON_AddItemToObject(f, "reference", cJSON_CreateStringArray(&repo, 1));
	char *json = cJSON_PrintUnformatted(f);
	cJSON_Delete(f);
	char *esc = json ? docker_escape(json) : NULL;
	char *path = esc ? malloc(strlen(esc) + 32) : NULL;
	if (path)
		sprintf(path, "/images/json?filters=%s", esc);
	free(esc);
	free(json);
	return path;
}

/* Whether `tag` ("repo:1.2") is of `repo`, and not `latest`. */
static bool tag_of(const char *tag, const char *repo)
{
	size_t n = strlen(repo);
	return strncmp(tag, repo, n) == 0 && tag[n] == ':' && strcmp(tag + n + 1, "latest") != 0;
}

int docker_image_tags(const struct rt_backend_options *opt, const char *repo,
		      rt_tag_fn *each, void *arg, struct diag_list *dl)
{
	struct docker_client *c = docker_client_new(opt ? opt->host : NULL, IMAGES_TIMEOUT_MS, dl);
	char *path = c ? images_path(repo) : NULL;
	cJSON *list = NULL;
	char err[256];
	long status = path ? docker_call(c, DOCKER_T_INSPECT, "GET", path, NULL, &list, err, sizeof err) : 0;
	int rc = status == 200 ? 0 : -1;
	if (path && status != 200)
		diag_error(dl, (struct ir_pos){0}, "docker-error", "listing images: %s", err);
	const cJSON *img, *tag;
	cJSON_ArrayForEach(img, list)
		cJSON_ArrayForEach(tag, cJSON_GetObjectItemCaseSensitive(img, "RepoTags"))
			if (cJSON_IsString(tag) && tag_of(tag->valuestring, repo))
				each(arg, tag->valuestring);
	cJSON_Delete(list);
	free(path);
	docker_client_free(c);
	return rc;
}
