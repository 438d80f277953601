/*
 * backends.c - the names `pipec run --backend=NAME` knows, each with the
 * constructor that makes it.  Adding a backend is one line here.
 *
 * Every backend is made the same way: its constructor, given the backend
 * options.  A backend that needs heavy libraries is a module
 * (lib/pipec/NAME.so) opened only when a command needs it, so that
 * libcurl is not loaded into every pipec process.  Modules are found in
 * $PIPEC_MODULE_DIR, else in lib/pipec beside the executable's bin/
 * folder, which is both the build tree's layout and an installed one.
 * A module is opened once per use: asked whether its engine answers,
 * then made into the backend from the same handle, which the backend
 * closes on release.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "backend-local/local.h"
#include "runtime/plugin.h"
#include "runtime/runtime.h"

struct backend_entry {
	const char *name;
	rt_backend_new_fn *make;    /* built in, or NULL: */
	const char *module;         /* lib/pipec/MODULE.so */
};

static const struct backend_entry backends[] = {
	{"local", local_backend_new, NULL},
	{"docker", NULL, "docker"},
	{"kube", NULL, "kube"},
};
#define NBACKENDS (sizeof backends / sizeof backends[0])

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

/* Opens module `name`; its table, or NULL after a diagnostic. */
static const struct rt_module *module_open(const char *name, void **handle,
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
	return rt_plugin_open(path, PIPEC_MODULE_SYMBOL, handle, dl);
}

static const struct backend_entry *find(const char *name)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (strcmp(backends[i].name, name) == 0)
			return &backends[i];
	return NULL;
}

/* Makes the backend from an open module, which it then owns. */
static int from_module(const struct rt_module *m, void *h, const struct rt_backend_options *opt,
		       struct rt_backend *b, struct diag_list *dl)
{
	if (!m->backend_new || m->backend_new(b, opt, dl) < 0) {
		rt_plugin_close(h);
		return -1;
	}
	b->plugin = h;
	return 0;
}

int cli_backend_new(const char *name, const struct rt_backend_options *opt,
		    struct rt_backend *b, struct diag_list *dl)
{
	memset(b, 0, sizeof *b);
	const struct backend_entry *e = find(name);
	if (e && e->make)
		return e->make(b, opt, dl);
	void *h;
	const struct rt_module *m = e ? module_open(e->module, &h, dl) : NULL;
	if (m)
		return from_module(m, h, opt, b, dl);
	if (e)
		return -1;
	char known[64] = "";
	for (size_t i = 0; i < NBACKENDS; i++)
		snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
			 i ? ", " : "", backends[i].name);
	return diag_error(dl, (struct ir_pos){.file = "--backend"}, "unknown-backend",
			  "unknown backend '%s'; use one of: %s", name, known);
}

int cli_backend_if_answers(const char *name, const struct rt_backend_options *opt,
			   int timeout_ms, struct rt_backend *b, struct diag_list *dl)
{
	memset(b, 0, sizeof *b);
	const struct backend_entry *e = find(name);
	struct diag_list missing;
	diag_list_init(&missing);
	void *h = NULL;
	const struct rt_module *m = e && e->module ? module_open(e->module, &h, &missing) : NULL;
	/* A missing module is said here; the caller then falls back. */
	cli_report(&missing);
	diag_list_release(&missing);
	if (!m || (m->answers && !m->answers(opt, timeout_ms))) {
		rt_plugin_close(h);
		return 0;
	}
	return from_module(m, h, opt, b, dl) < 0 ? -1 : 1;
}

struct prune_print {
	FILE *out;
	bool dry_run;
};

static void print_found(void *arg, const char *kind, const char *name, const char *run)
{
	const struct prune_print *p = arg;
	fprintf(p->out, "%s %s %s (run %s)\n", p->dry_run ? "would remove" : "removed", kind,
		name, run);
}

int cli_backend_prune(const char *name, const struct rt_backend_options *opt, bool dry_run,
		      FILE *out, struct diag_list *dl)
{
	const struct backend_entry *e = find(name);
	void *h;
	const struct rt_module *m = e && e->module ? module_open(e->module, &h, dl) : NULL;
	if (!m)
		return -1;
	struct prune_print arg = {out, dry_run};
	int rc = m->prune ? m->prune(opt, dry_run, print_found, &arg, dl) : 0;
	rt_plugin_close(h);
	return rc;
}

int cli_backend_image_tags(const char *name, const struct rt_backend_options *opt,
			   const char *repo, int timeout_ms,
			   void (*each)(void *arg, const char *tag), void *arg)
{
	const struct backend_entry *e = find(name);
	struct diag_list dl;
	diag_list_init(&dl);
	void *h = NULL;
	const struct rt_module *m = e && e->module ? module_open(e->module, &h, &dl) : NULL;
	int rc = -1;
	if (m && m->image_tags && (!m->answers || m->answers(opt, timeout_ms)))
		rc = m->image_tags(opt, repo, each, arg, &dl);
	rt_plugin_close(h);
	diag_list_release(&dl);
	return rc;
}

void cli_backend_names(FILE *out)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		fprintf(out, "%s%s", i ? ", " : "", backends[i].name);
}
