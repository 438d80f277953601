/*
 * kube.h - runs steps on a Kubernetes cluster through its API, and builds
 * the Kubernetes objects a pipeline becomes.
 *
 * The object builders (pod.c) take normalized IR and options and return
 * cJSON objects the caller owns (cJSON_Delete()).  They are pure: no
 * network, no libcurl, so `pipec emit --format=kube` links them into the
 * executable as they are, and the backend sends the very same objects.
 *
 * What a step becomes:
 *   - a container: image, entrypoint/command as command/args, or the
 *     step's script run by its shell from the pipeline's ConfigMap
 *     (key "step-N", N the step's index, mounted at KUBE_SCRIPT_PATH);
 *     environment as the runtime builds it (the pipeline's variables the
 *     step does not set, the step's own), secrets as secretKeyRef into
 *     the Secret `secret_name` (key: kube_secret_key() of the secret's
 *     name), never a value;
 *   - its mounts: the workspace at workspace.base, temp volumes, memory
 *     volumes (an emptyDir in memory per Pod), host volumes (hostPath),
 *     files (ConfigMap key "file-N", N the pipeline file's index);
 *   - resources as limits, privileged and a numeric user as the
 *     securityContext, a service's health check as its readinessProbe.
 *
 * Every Pod gets the pipeline's Kubernetes keys (p->kube): nodeSelector,
 * tolerations, serviceAccountName (else no service-account token),
 * dnsConfig and hostAliases (with its steps' dns, dns_search and
 * extra_hosts added), and its labels and annotations, as every object does (kube_metadata()).
 *
 * Every object carries the labels pipec.run, pipec.pipeline and
 * pipec.step (values made label-safe by kube_label_value(); the names as
 * written are in the annotations of the same keys).
 *
 * docs/kubernetes.md is the user's page.
 */
#ifndef PIPEC_KUBE_H
#define PIPEC_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include "ir/ir.h"

struct cJSON;

/* Where a step's script is mounted in its container. */
#define KUBE_SCRIPT_PATH "/pipec/script.sh"
/* Where exported paths are kept between steps (a folder of the workspace claim). */
#define KUBE_ARTIFACTS_PATH "/pipec-artifacts"
/* Longest object name and label value the API takes. */
#define KUBE_MAX_NAME 63

/* Called for each construct of a step that Kubernetes cannot express. */
typedef void kube_unsupported_fn(void *arg, const struct ir_step *s, const char *what);

struct kube_pod_options {
	const char *run_id;         /* the pipec.run label; NULL: none (emitted objects) */
	const char *name;           /* the Pod's name; NULL: none (a template) */
	const char *config_map;     /* holds scripts and files; NULL: "<pipeline>-scripts" */
	const char *secret_name;    /* the secretKeyRefs' Secret; NULL: "<pipeline>-secrets" */
	/* A kubernetes.io/dockerconfigjson Secret every Pod names in
	 * imagePullSecrets; NULL: none. */
	const char *pull_secret;
	/*
	 * A PersistentVolumeClaim holding the workspace (folder "workspace"),
	 * the temp volumes ("volumes/NAME") and artifacts ("artifacts"),
	 * shared by Pods of one pipeline; NULL: emptyDirs, shared by the
	 * containers of one Pod.
	 */
	const char *workspace_claim;
	kube_unsupported_fn *unsupported;   /* NULL: drop silently */
	void *arg;
};

/*
 * The container of step `s` of `p`: name, image, pull policy, command,
 * environment, mounts, resources, security context and probes.
 */
struct cJSON *kube_container(const struct ir_pipeline *p, const struct ir_step *s,
			     const struct kube_pod_options *o);

/*
 * A Pod running step `s` alone (a step or a service of a Pod-per-step
 * run): restartPolicy Never, the volumes its container mounts.
 */
struct cJSON *kube_step_pod(const struct ir_pipeline *p, const struct ir_step *s,
			    const struct kube_pod_options *o);

/*
 * A Pod running the whole pipeline: services (detached steps) as native
 * sidecars (init containers with restartPolicy Always) reachable by name
 * through hostAliases to 127.0.0.1, the other steps as init containers
 * in IR order, the last of them as the Pod's container.  Skipped steps
 * are left out.  Run policies other than on-success cannot be expressed
 * and are reported through `o->unsupported`.
 */
struct cJSON *kube_pipeline_pod(const struct ir_pipeline *p, const struct kube_pod_options *o);

/*
 * The ConfigMap `name` holding the pipeline's scripts (data "step-N", the
 * script with its imports and exports around it) and files (binaryData
 * "file-N").  NULL when the pipeline has neither.
 */
struct cJSON *kube_config_map(const struct ir_pipeline *p, const char *name,
			      const struct kube_pod_options *o);

/*
 * The script a step's container runs: the step's own, preceded by the
 * copies of its imports and followed by the copies of its exports
 * (under KUBE_ARTIFACTS_PATH), its exit status kept.  NULL for a step
 * without a script.  The caller frees it with free().
 */
char *kube_step_script(const struct ir_pipeline *p, const struct ir_step *s);

/* The labels pipec.run (when `run`), pipec.pipeline and pipec.step (when `step`). */
struct cJSON *kube_labels(const char *run, const char *pipeline, const char *step);

/*
 * The metadata of an object of pipeline `p`: `name` (when not NULL),
 * kube_labels() and the names as written as annotations, then the
 * pipeline's own labels and annotations (p->kube) where pipec's leave
 * room.  The namespace is the caller's to add.
 */
struct cJSON *kube_metadata(const struct ir_pipeline *p, const char *run, const char *name,
			    const char *step);

/*
 * `s` made a valid label value or DNS label into `out` (`size` >= 2):
 * lowercase when `dns`, other characters as '-', at most KUBE_MAX_NAME
 * bytes, starting and ending alphanumeric.
 */
void kube_label_value(const char *s, bool dns, char *out, size_t size);

/* The Secret key holding the value of pipeline secret `name`. */
void kube_secret_key(const char *name, char *out, size_t size);

/* True when `name` is a valid DNS-1035 label (a Service name). */
bool kube_dns_label_ok(const char *name);

/* ---- the backend (lib/pipec/kube.so) ------------------------------------------ */

#include "runtime/options.h"
#include "runtime/plugin.h"
#include "runtime/runtime.h"

/*
 * Makes a Kubernetes backend from `opt`'s kubeconfig, kube_context,
 * kube_namespace, storage_class, workspace_size and single_pod: reads the
 * configuration, checks that the API server answers and keeps the
 * connection for the run.  0, or -1 after recording why [kube-config]
 * [kube-unreachable].  Release `out` with rt_backend_release().
 */
int kube_backend_new(struct rt_backend *out, const struct rt_backend_options *opt,
		     struct diag_list *dl);

/*
 * Finds the objects of runs started from this host that are no longer
 * alive, by their labels, calls `each` for each and deletes it
 * (propagationPolicy Foreground) unless `dry_run`.  0, or -1 after
 * recording why.
 */
int kube_prune(const struct rt_backend_options *opt, bool dry_run, rt_prune_fn *each, void *arg,
	       struct diag_list *dl);

#endif
