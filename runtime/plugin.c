/*
 * plugin.c - backends loaded from a shared object at run time.
 *
 * The object exports one table, PIPEC_MODULE_SYMBOL (struct rt_module),
 * whose constructor fills a struct rt_backend the way the built-in
 * constructors do.  The object calls back into pipec (rt_job_output(),
 * diag_error()), which the executable exports.  rt_plugin_open() is the
 * loading half alone, for callers that use more of the table than the
 * constructor (cli/backends.c).
 *
 * Loading an object also loads the libraries it needs and runs their
 * constructors, so work a library does in one happens whether or not
 * pipec ever calls it; where a library offers a switch to defer that
 * work to its first use, the load sets it (quiet_constructors()).
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"
#include "runtime/plugin.h"

/*
 * GnuTLS initialises itself in a constructor unless
 * GNUTLS_NO_IMPLICIT_INIT is set when it loads: random pool, ASN.1
 * trees, algorithm tables, half a megabyte of the process.  libcurl
 * built with OpenSSL still pulls it in (through librtmp), and every
 * library in that closure that does use it (libcurl built with GnuTLS,
 * librtmp, libldap) calls gnutls_global_init() first, as GnuTLS asks of
 * its callers; so it is set for the load alone, and only when the user
 * has not set it.  pipec has no other thread while it loads a module,
 * so changing the environment races with nothing.  True when it was set
 * here and must be unset after.
 */
static bool quiet_constructors(void)
{
	if (getenv("GNUTLS_NO_IMPLICIT_INIT"))
		return false;
	return setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0) == 0;
}

void *rt_plugin_open(const char *path, const char *symbol, void **handle,
		     struct diag_list *dl)
{
	struct ir_pos pos = {.file = path};
	bool quieted = quiet_constructors();
	/* Never unmapped: the object's diagnostics point at its static rule
	 * ids, and the libraries it pulls in (libcurl, TLS) keep state for
	 * the process. */
	*handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (quieted)
		unsetenv("GNUTLS_NO_IMPLICIT_INIT");
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

int rt_backend_load(struct rt_backend *b, const char *path,
		    const struct rt_backend_options *opt, struct diag_list *dl)
{
	memset(b, 0, sizeof *b);
	void *h;
	const struct rt_module *m = rt_plugin_open(path, PIPEC_MODULE_SYMBOL, &h, dl);
	if (!m)
		return -1;
	if (!m->backend_new || m->backend_new(b, opt, dl) < 0 || !b->ops) {
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
