/*
 * plugin.h - backends made by a constructor, in pipec or in a module.
 *
 * Every backend has one constructor of one shape, rt_backend_new_fn: it
 * takes the backend options and fills a struct rt_backend.  Built-in
 * backends export theirs by name (local_backend_new()); a backend in a
 * shared object (lib/pipec/NAME.so, or any --backend-plugin object)
 * exports one table, `pipec_module`, holding its constructor and, when it
 * talks to an engine, a way to ask whether the engine answers and to
 * remove what killed runs left there.  The object calls back into
 * pipec's ir_, diag_ and rt_ functions, which the executable exports.
 *
 * One opening of a module serves every use: ask `answers`, then make the
 * backend from the same table and hand the handle to it (rt_backend's
 * `plugin`), which closes it on release.
 */
#ifndef PIPEC_RUNTIME_PLUGIN_H
#define PIPEC_RUNTIME_PLUGIN_H

#include <stdbool.h>

#include "ir/ir.h"
#include "runtime/options.h"

struct rt_backend;

/* A backend's constructor: 0, or -1 after recording why.  Release `out`
 * with rt_backend_release(). */
typedef int rt_backend_new_fn(struct rt_backend *out, const struct rt_backend_options *opt,
			      struct diag_list *dl);

/* One thing prune found: "container", "network", "volume"; the run that made it. */
typedef void rt_prune_fn(void *arg, const char *kind, const char *name, const char *run);

/* One tag an engine holds of an image ("alpine:3.19"). */
typedef void rt_tag_fn(void *arg, const char *tag);

/* What a module exports, as PIPEC_MODULE_SYMBOL. */
struct rt_module {
	const char *name;           /* the backend's name, as --backend takes it */
	rt_backend_new_fn *backend_new;
	/* True when the backend's engine answers within `timeout_ms`; NULL:
	 * the backend needs no engine. */
	bool (*answers)(const struct rt_backend_options *opt, int timeout_ms);
	/* Finds what runs that are no longer alive left on the engine, calls
	 * `each` per item and removes it unless `dry_run`; 0, or -1 after
	 * recording why.  NULL: nothing to prune. */
	int (*prune)(const struct rt_backend_options *opt, bool dry_run, rt_prune_fn *each,
		     void *arg, struct diag_list *dl);
	/* Calls `each` with every tag but latest the engine holds of image
	 * repository `repo`, for an editor to pin an untagged image; 0, or -1
	 * after recording why.  NULL: the backend keeps no images. */
	int (*image_tags)(const struct rt_backend_options *opt, const char *repo,
			  rt_tag_fn *each, void *arg, struct diag_list *dl);
};

#define PIPEC_MODULE_SYMBOL "pipec_module"

/*
 * Opens the shared object at `path` and returns the address of its
 * `symbol`, with the object's handle in *handle (close it with
 * rt_plugin_close(), or hand it to a struct rt_backend's `plugin`).
 * NULL after recording why [backend-plugin].
 */
void *rt_plugin_open(const char *path, const char *symbol, void **handle,
		     struct diag_list *dl);

void rt_plugin_close(void *handle);

/*
 * Makes the backend of the module at `path` (--backend-plugin) with
 * `opt`.  0, or -1 after recording why [backend-plugin].
 */
int rt_backend_load(struct rt_backend *b, const char *path,
		    const struct rt_backend_options *opt, struct diag_list *dl);

/* Frees the backend's context and closes its module.  Safe on a zeroed one. */
void rt_backend_release(struct rt_backend *b);

#endif
