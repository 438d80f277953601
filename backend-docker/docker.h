/*
 * docker.h - runs steps as containers on a Docker Engine, speaking its
 * HTTP API through libcurl (never the docker CLI).
 *
 * Where the engine is: DOCKER_HOST (`unix:///path`, default
 * /var/run/docker.sock, or `tcp://host:port`, with TLS when
 * DOCKER_TLS_VERIFY or DOCKER_CERT_PATH is set: ca.pem, cert.pem and
 * key.pem in DOCKER_CERT_PATH, default ~/.docker).  The API version is
 * the engine's own, read from GET /_ping (capped at the newest version
 * pipec knows), unless DOCKER_API_VERSION names one.
 *
 * Per pipeline the backend makes one network, a workspace volume and the
 * pipeline's temp volumes; every container, network and volume is named
 * `pipec-<run id>-...` and labelled pipec.run, pipec.pipeline and
 * pipec.step, so runs never collide and docker_prune() finds what a
 * killed run left.  All API traffic of a run goes through one curl multi
 * handle driven by the runtime's poll(), so parallel steps stream output
 * without waiting for each other.
 *
 * docs/docker.md is the user's page.
 */
#ifndef PIPEC_DOCKER_H
#define PIPEC_DOCKER_H

#include <stdbool.h>
#include <stdio.h>

#include "ir/ir.h"
#include "runtime/runtime.h"

struct docker_options {
	const char *host;           /* NULL: $DOCKER_HOST, then the default socket */
	const char *config_dir;     /* NULL: $DOCKER_CONFIG, then ~/.docker */
	int service_timeout;        /* seconds a service may take to be ready, 0: 60 */
	const struct rt_secrets *secrets;   /* values of image_pull_secrets */
	FILE *progress;             /* pull progress, NULL: none */
	bool progress_tty;          /* per-layer bars instead of a line per image */
};

/*
 * Makes a Docker backend: connects, negotiates the API version and keeps
 * the connection for the run.  0, or -1 after recording why
 * [docker-unreachable] (the message says how to start an engine or to use
 * --backend=local).  Release `out` with rt_backend_release().
 */
int docker_backend_new(struct rt_backend *out, const struct docker_options *opt,
		       struct diag_list *dl);

/*
 * True when an engine answers at `host` (NULL: as docker_backend_new
 * would find it) within `timeout_ms`.  For choosing a default backend.
 */
bool docker_engine_answers(const char *host, int timeout_ms);

/* What docker_prune() found or removed, for the caller to print. */
struct docker_prune_item {
	const char *kind;           /* "container", "network", "volume" */
	char *name;
	char *run;                  /* the pipec.run label */
};

struct docker_prune_list {
	struct docker_prune_item *v;
	size_t n;
};

/*
 * Finds every container, network and volume labelled pipec.run that a
 * pipec on this host made and that is no longer alive, and removes them
 * unless `dry_run`.  Runs started from other hosts are left to them.  Fills
 * `out` (release with docker_prune_list_release()) and returns 0, or -1
 * after recording why.
 */
int docker_prune(const char *host, bool dry_run, struct docker_prune_list *out,
		 struct diag_list *dl);

void docker_prune_list_release(struct docker_prune_list *l);

/*
 * pipec loads this backend as a module, lib/pipec/docker.so, only when
 * it is used, so that libcurl and the TLS libraries behind it stay out of
 * every other command.  The module exports this one table, named
 * DOCKER_MODULE_SYMBOL, holding the functions above; it also exports
 * PIPEC_BACKEND_SYMBOL (the backend with default options), so
 * `--backend-plugin` loads it too.
 */
struct docker_module {
	int (*backend_new)(struct rt_backend *out, const struct docker_options *opt,
			   struct diag_list *dl);
	bool (*engine_answers)(const char *host, int timeout_ms);
	int (*prune)(const char *host, bool dry_run, struct docker_prune_list *out,
		     struct diag_list *dl);
	void (*prune_list_release)(struct docker_prune_list *l);
};

extern const struct docker_module docker_module;
#define DOCKER_MODULE_SYMBOL "docker_module"

#endif
