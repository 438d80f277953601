/*
 * plugin.c - backends loaded from a shared object at run time.
 *
 * The object exports one constructor, PIPEC_BACKEND_SYMBOL, with the
 * signature of rt_backend_plugin_fn; it fills a struct rt_backend the
 * way the built-in constructors do.  The object calls back into pipec
 * (rt_job_output(), diag_error()), which the executable exports.
 */
#include <dlfcn.h>
#include <string.h>

#include "internal.h"

int rt_backend_load(struct rt_backend *b, const char *path, struct diag_list *dl)
{
	struct ir_pos pos = {.file = path};
	memset(b, 0, sizeof *b);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return diag_error(dl, pos, "backend-plugin", "cannot load backend plugin: %s",
				  dlerror());
	rt_backend_plugin_fn *make;
	*(void **)&make = dlsym(h, PIPEC_BACKEND_SYMBOL);
	if (!make) {
		dlclose(h);
		return diag_error(dl, pos, "backend-plugin", "plugin does not export '%s'",
				  PIPEC_BACKEND_SYMBOL);
	}
	if (make(b, dl) < 0 || !b->ops) {
		dlclose(h);
		memset(b, 0, sizeof *b);
		return diag_error(dl, pos, "backend-plugin", "plugin could not make its backend");
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
