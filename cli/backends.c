/*
 * backends.c - the names `pipec run --backend=NAME` knows, each with the
 * constructor that makes it.  Adding a backend is one line here.
 */
#include <string.h>

#include "cli.h"
#include "backend-local/local.h"
#include "backend-docker/docker.h"

/* What `pipec run` sets for the Docker backend (--service-timeout, --artifacts). */
struct docker_options cli_docker_options;

static int docker_new(struct rt_backend *b, struct diag_list *dl)
{
	return docker_backend_new(b, &cli_docker_options, dl);
}

struct backend_entry {
	const char *name;
	int (*make)(struct rt_backend *b, struct diag_list *dl);
};

static const struct backend_entry backends[] = {
	{"local", local_backend_new},
	{"docker", docker_new},
};
#define NBACKENDS (sizeof backends / sizeof backends[0])

int cli_backend_new(const char *name, struct rt_backend *b, struct diag_list *dl)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (strcmp(backends[i].name, name) == 0)
			return backends[i].make(b, dl);
	return diag_error(dl, (struct ir_pos){.file = "--backend"}, "unknown-backend",
			  "unknown backend '%s'", name);
}

void cli_backend_names(FILE *out)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		fprintf(out, "%s%s", i ? ", " : "", backends[i].name);
}
