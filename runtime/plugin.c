/*
 * plugin.c - backends loaded from a shared object at run time.
 *
 * The object exports one constructor, PIPEC_BACKEND_SYMBOL, with the
 * signature of rt_backend_plugin_fn; it fills a struct rt_backend the
 * way the built-in constructors do.  The object calls back into pipec
 * (rt_job_output(), diag_error()), which the executable exports.
 * rt_plugin_open() is the loading half alone, for modules that export
 * more than a constructor (the Docker backend's table).
 */
#include <dlfcn.h>
#include <string.h>

#include "internal.h"

void *rt_plugin_open(const char *path, const char *symbol, void **handle,
		     struct diag_list *dl)
{
	struct ir_pos pos = {.file = path};
	/* Never unmapped: the object's diagnostics point at its static rule
	 * ids, and the libraries it pulls in (libcurl, TLS) keep state for
	 * the process. */
	*handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!*handle) {
		diag_error(dl, pos, "backend-plugin", "cannot load backend plugin: %s", dlerror());
		return NULL;
	}
	void *sym = dlsym(*handle, symbol);
	if (!sym) {
		diag_error(dl, pos, "backend-plugin", "plugin does not export '%s'", symbol);
		rt_plugin_close(*handle);
		*handle = NULL;
	}
	return sym;
}

void rt_plugin_close(void *handle)
{
	if (handle)
		dlclose(handle);
}

int rt_backend_load(struct rt_backend *b, const char *path, struct diag_list *dl)
{
	memset(b, 0, sizeof *b);
	void *h;
	rt_backend_plugin_fn *make;
	*(void **)&make = rt_plugin_open(path, PIPEC_BACKEND_SYMBOL, &h, dl);
	if (!make)
		return -1;
	if (make(b, dl) < 0 || !b->ops) {
		rt_plugin_close(h);
		memset(b, 0, sizeof *b);
		return diag_error(dl, (struct ir_pos){.file = path}, "backend-plugin",
				  "plugin could not make its backend");
	}
	b->plugin = h;
	return 0;
}

void rt_backend_release(struct rt_backend *b)
{
	if (b->ops && b->ops->free)
		b->ops->free(b->ctx);
	if (b->plugin)
		dlclose(b->plugin);
	memset(b, 0, sizeof *b);
}
