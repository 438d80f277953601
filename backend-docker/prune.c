/*
 * prune.c - removes what killed runs left on the engine.
 *
 * Everything pipec makes carries pipec.run and pipec.owner
 * ("<host>:<pid>").  A resource whose owner is a live process on this
 * host belongs to a running pipec, and one made from another host (an
 * engine shared over tcp://) may too: both are left alone.  The rest is
 * removed, containers first (they hold networks and volumes).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend-docker/internal.h"

static bool owner_alive(const char *owner)
{
	const char *colon = owner ? strrchr(owner, ':') : NULL;
	if (!colon)
		return false;
	const char *mine = docker_owner();
	const char *my_colon = strrchr(mine, ':');
	if ((size_t)(colon - owner) != (size_t)(my_colon - mine) || strncmp(owner, mine, (size_t)(colon - owner)) != 0)
		return true;    /* another host's run: only that host can tell, so spare it */
	long pid = strtol(colon + 1, NULL, 10);
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static const char *label(const cJSON *e, const char *key)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "Labels"), key);
	return cJSON_IsString(l) ? l->valuestring : NULL;
}

static const char *display_name(const cJSON *e)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "Name");
	if (cJSON_IsString(n))
		return n->valuestring;
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "Names"), 0);
	if (cJSON_IsString(first))
		return first->valuestring[0] == '/' ? first->valuestring + 1 : first->valuestring;
	return "?";
}

struct found {
	rt_prune_fn *each;
	void *arg;
};

static void tell(const struct found *f, const char *kind, const cJSON *e)
{
	const char *run = label(e, "pipec.run");
	f->each(f->arg, kind, display_name(e), run ? run : "");
}

static int prune_kind(struct docker_client *c, const char *kind, bool dry_run,
		      const struct found *out, struct diag_list *dl)
{
	static const struct ir_pos none = {.file = "docker"};
	char path[300], err[512];
	snprintf(path, sizeof path, "/%s%s?filters=%%7B%%22label%%22%%3A%%5B%%22pipec.run%%22%%5D%%7D%s",
		 kind, strcmp(kind, "containers") == 0 ? "/json" : "", strcmp(kind, "containers") == 0 ? "&all=1" : "");
	cJSON *list = NULL;
	if (docker_call(c, DOCKER_T_INSPECT, "GET", path, NULL, &list, err, sizeof err) / 100 != 2)
		return diag_error(dl, none, "docker-error", "cannot list %s: %s", kind, err);
	const cJSON *arr = strcmp(kind, "volumes") == 0 ? cJSON_GetObjectItemCaseSensitive(list, "Volumes") : list;
	const cJSON *e;
	const char *what = strcmp(kind, "containers") == 0 ? "container" : strcmp(kind, "networks") == 0 ? "network" : "volume";
	cJSON_ArrayForEach(e, arr) {
		if (owner_alive(label(e, "pipec.owner")))
			continue;
		tell(out, what, e);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, strcmp(kind, "volumes") == 0 ? "Name" : "Id");
		if (dry_run || !cJSON_IsString(id))
			continue;
		snprintf(path, sizeof path, "/%s/%s%s", kind, id->valuestring,
			 strcmp(kind, "networks") == 0 ? "" : strcmp(kind, "volumes") == 0 ? "?force=1" : "?force=1&v=1");
		if (docker_call(c, DOCKER_T_REMOVE, "DELETE", path, NULL, NULL, err, sizeof err) / 100 != 2)
			diag_error(dl, none, "docker-error", "cannot remove %s '%s': %s", what, display_name(e), err);
	}
	cJSON_Delete(list);
	return 0;
}

int docker_prune(const struct rt_backend_options *opt, bool dry_run, rt_prune_fn *each,
		 void *arg, struct diag_list *dl)
{
	struct found out = {each, arg};
	struct docker_client *c = docker_client_new(opt ? opt->host : NULL, DOCKER_T_PING, dl);
	if (!c)
		return -1;
	size_t before = dl->nerrors;
	static const char *const kinds[] = {"containers", "networks", "volumes"};
	for (size_t k = 0; k < 3; k++)
		prune_kind(c, kinds[k], dry_run, &out, dl);
	docker_client_free(c);
	return dl->nerrors > before ? -1 : 0;
}
