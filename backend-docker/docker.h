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
 * pipec.step, so runs never collide and `pipec prune` finds what a
 * killed run left.  All API traffic of a run goes through one curl multi
 * handle driven by the runtime's poll(), so parallel steps stream output
 * without waiting for each other.
 *
 * docs/docker.md is the user's page.
 */
#ifndef PIPEC_DOCKER_H
#define PIPEC_DOCKER_H

#include "runtime/plugin.h"
#include "runtime/runtime.h"

/*
 * The module's one entry (lib/pipec/docker.so, PIPEC_MODULE_SYMBOL):
 *
 * - backend_new: connects (rt_backend_options.host, else DOCKER_HOST),
 *   negotiates the API version and keeps the connection for the run; -1
 *   after recording why [docker-unreachable] (the message says how to
 *   start an engine or to use --backend=local).  Registry credentials
 *   come from the step's image_pull_secrets, then config.json in
 *   rt_backend_options.config_dir, DOCKER_CONFIG or ~/.docker; pulls
 *   report progress to rt_backend_options.progress.
 * - answers: whether an engine answers within the time given.
 * - prune: every container, network and volume labelled pipec.run that
 *   a pipec on this host made and that is no longer alive; runs started
 *   from other hosts are left to them.
 */
extern const struct rt_module pipec_module;

#endif
