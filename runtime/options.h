/*
 * options.h - what the caller decides about a run and about a backend.
 *
 * struct rt_options goes to rt_run() (runtime/runtime.h): the schedule,
 * the waits, where the output goes.  struct rt_backend_options goes to a
 * backend's constructor, the same struct for every backend: each reads
 * the fields that mean something to it and ignores the others.  Neither
 * is kept past the call that takes it except through the pointers it
 * holds, which must outlive the run or the backend.
 */
#ifndef PIPEC_RUNTIME_OPTIONS_H
#define PIPEC_RUNTIME_OPTIONS_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

struct rt_mask;
struct rt_secrets;

struct rt_options {
	int parallel;               /* steps running at once, 0: no bound */
	int timeout;                /* seconds per pipeline, 0: the IR's */
	int step_timeout;           /* seconds per step the IR leaves open, 0: none */
	int service_timeout;        /* seconds a service may take to be ready, 0: 60 */
	int grace_ms;               /* SIGTERM to SIGKILL when stopping, 0: 5000 */
	const char *workspace_dir;  /* NULL: a fresh directory per run */
	const char *log_dir;        /* NULL: no log files */
	const char *artifacts_dir;  /* exported paths also go to DIR/NAME; NULL: not */
	bool timestamps;            /* prefix lines with the wall-clock time */
	bool color;                 /* a color per step (for a terminal) */
	FILE *out;                  /* where step output goes; NULL: stdout */
	const struct rt_secrets *secrets;   /* the values the user supplied */
	/* Where the run adds the secret values it resolves, and which hides
	 * them in its logs and messages.  NULL: a mask of its own. */
	struct rt_mask *mask;
	/* Incremented by the caller's SIGINT/SIGTERM handler: 1 cancels the
	 * run, 2 hurries the teardown.  NULL: never interrupted. */
	volatile sig_atomic_t *interrupts;
};

/* What a backend's constructor is told (runtime/plugin.h, rt_backend_new_fn). */
struct rt_backend_options {
	const char *host;           /* the engine's address; NULL: the backend's default */
	const char *config_dir;     /* registry credentials; NULL: the backend's default */
	FILE *progress;             /* where image pulls report progress; NULL: nowhere */
	bool progress_tty;          /* `progress` is a terminal: redraw in place */
	/* Kubernetes (docs/kubernetes.md): NULL or false are kubectl's defaults. */
	const char *kubeconfig;     /* NULL: $KUBECONFIG, in-cluster, ~/.kube/config */
	const char *kube_context;   /* NULL: the kubeconfig's current-context */
	const char *kube_namespace; /* NULL: the context's, else "default" */
	const char *storage_class;  /* the workspace claim's; NULL: the cluster's default */
	const char *workspace_size; /* the workspace claim's; NULL: "1Gi" */
	bool single_pod;            /* one Pod per pipeline instead of one per step */
};

#endif
