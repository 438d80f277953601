/*
 * backends.c - the names `pipec run --backend=NAME` knows, each with the
 * constructor that makes it.  Adding a backend is one line here.
 *
 * The Docker backend is a module (docker.so) loaded only when a command
 * needs it, so that libcurl is not loaded into every pipec process.
 * Modules are found in $PIPEC_MODULE_DIR, else in lib/pipec beside the
 * executable's bin/ folder, which is both the build tree's layout and an
 * installed one.  Each use opens the module and hands the handle on (to
 * the backend, which closes it on release) or closes it when done.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "backend-local/local.h"
#include "backend-docker/docker.h"

/* What `pipec run` sets for the Docker backend (--service-timeout, --artifacts). */
struct docker_options cli_docker_options;

/* Writes the module directory to `dir`; false when it does not fit. */
static bool module_dir(char *dir, size_t size)
{
	const char *env = getenv("PIPEC_MODULE_DIR");
	if (env && *env)
		return (size_t)snprintf(dir, size, "%s", env) < size;
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	if (n <= 0 || (size_t)n >= size - 1)
		return false;
	dir[n] = '\0';
	/* <prefix>/bin/pipec -> <prefix> */
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			return false;
		*slash = '\0';
	}
	size_t len = strlen(dir);
	return (size_t)snprintf(dir + len, size - len, "/lib/pipec") < size - len;
}

/* Opens module `name` and finds `symbol` in it; NULL after a diagnostic. */
static void *module_open(const char *name, const char *symbol, void **handle,
			 struct diag_list *dl)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	*handle = NULL;
	if (!module_dir(dir, sizeof dir)) {
		diag_error(dl, (struct ir_pos){.file = "pipec"}, "module-missing",
			   "cannot tell where backend module '%s' is (set PIPEC_MODULE_DIR)", name);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/%s.so", dir, name);
	if (access(path, R_OK) != 0) {
		diag_error(dl, (struct ir_pos){.file = path}, "module-missing",
			   "backend module '%s' not found (build or install it here, or set "
			   "PIPEC_MODULE_DIR to the folder holding %s.so)", name, name);
		return NULL;
	}
	return rt_plugin_open(path, symbol, handle, dl);
}

static const struct docker_module *docker_open(void **handle, struct diag_list *dl)
{
	return module_open("docker", DOCKER_MODULE_SYMBOL, handle, dl);
}

static int docker_new(struct rt_backend *b, struct diag_list *dl)
{
	void *h;
	const struct docker_module *m = docker_open(&h, dl);
	if (!m)
		return -1;
	if (m->backend_new(b, &cli_docker_options, dl) < 0) {
		rt_plugin_close(h);
		return -1;
	}
	b->plugin = h;
	return 0;
}

bool cli_docker_answers(int timeout_ms)
{
	struct diag_list dl;
	diag_list_init(&dl);
	void *h;
	const struct docker_module *m = docker_open(&h, &dl);
	bool yes = m && m->engine_answers(NULL, timeout_ms);
	rt_plugin_close(h);
	/* A missing module is said here; the caller then falls back to local. */
	cli_report(&dl);
	diag_list_release(&dl);
	return yes;
}

int cli_docker_prune(const char *host, bool dry_run, FILE *out, struct diag_list *dl)
{
	void *h;
	const struct docker_module *m = docker_open(&h, dl);
	if (!m)
		return -1;
	struct docker_prune_list l;
	int rc = m->prune(host, dry_run, &l, dl);
	for (size_t i = 0; i < l.n; i++)
		fprintf(out, "%s %s %s (run %s)\n", dry_run ? "would remove" : "removed",
			l.v[i].kind, l.v[i].name, l.v[i].run);
	m->prune_list_release(&l);
	rt_plugin_close(h);
	return rc;
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
	char known[64] = "";
	for (size_t i = 0; i < NBACKENDS; i++)
		snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
			 i ? ", " : "", backends[i].name);
	return diag_error(dl, (struct ir_pos){.file = "--backend"}, "unknown-backend",
			  "unknown backend '%s'; use one of: %s", name, known);
}

void cli_backend_names(FILE *out)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		fprintf(out, "%s%s", i ? ", " : "", backends[i].name);
}
