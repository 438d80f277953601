/*
 * internal.h - what the Kubernetes backend's files share.
 *
 * pod.c builds objects (pure, also linked into the executable), yaml.c
 * reads a kubeconfig's YAML into cJSON, config.c finds and merges the
 * kubeconfig and picks the context, exec.c runs credential plugins,
 * api.c is the HTTP client over one curl multi handle, watch.c splits
 * watch streams into events, backend.c is the rt_backend_ops table,
 * prune.c removes what killed runs left.
 */
#ifndef PIPEC_KUBE_INTERNAL_H
#define PIPEC_KUBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "backend-kube/kube.h"
#include "runtime/runtime.h"

/* Ceilings. */
#define KUBE_MAX_CONFIG (4u << 20)          /* one kubeconfig file */
#define KUBE_MAX_CREDENTIAL (1u << 20)      /* an exec plugin's answer */
#define KUBE_MAX_BODY (16u << 20)           /* a JSON response */
#define KUBE_MAX_EVENT (4u << 20)           /* one watch event */
/* How long one API call (not a watch or a log stream) may take. */
#define KUBE_T_CALL 60000
/* How long a deletion may take (stopping a step, tearing down). */
#define KUBE_T_DELETE 10000
/* How long a credential plugin may take to answer. */
#define KUBE_T_PLUGIN 30000

/* ---- yaml.c ------------------------------------------------------------------ */

/*
 * Parses YAML (or JSON) `text` into cJSON: plain true/false as booleans,
 * plain null/~ as null, plain integers as numbers, every other scalar a
 * string.  NULL with a reason in `err` when it is not YAML.
 */
cJSON *kube_yaml_parse(const char *text, size_t len, char *err, size_t errsize);

/* ---- config.c ----------------------------------------------------------------- */

struct kube_blob {
	unsigned char *p;
	size_t len;
};

/* A user's exec credential plugin, and its answer while it holds. */
struct kube_exec {
	char **argv;                /* the command then its args; NULL-terminated */
	char **env;                 /* NAME=VALUE added to pipec's; NULL-terminated */
	char *api_version;
	char *file;                 /* the kubeconfig naming it, for messages */
	char *token;
	struct kube_blob cert, key;
	time_t expires;             /* 0: holds for the whole run */
	bool have;
};

/* What one context of the kubeconfig (or the in-cluster account) says. */
struct kube_config {
	char *file;                 /* the file the context came from, or "in-cluster" */
	char *context;
	char *server;
	char *ca_file, *cert_file, *key_file;
	struct kube_blob ca, cert, key;
	bool insecure;
	char *tls_server_name, *proxy_url;
	char *token, *token_file;
	struct kube_exec *exec;
	char *namespace;
};

/*
 * Finds the configuration as kubectl does: `o->kubeconfig`, else every
 * file of $KUBECONFIG (merged, the first to set a name wins), else the
 * in-cluster service account when KUBERNETES_SERVICE_HOST is set, else
 * ~/.kube/config; then the context `o->context` or the current one.
 * 0, or -1 after recording what is wrong, naming the file and the field
 * [kube-config].
 */
int kube_config_load(struct kube_config *c, const struct rt_backend_options *o, struct diag_list *dl);
void kube_config_release(struct kube_config *c);

/* Standard base64 into a blob (whitespace ignored); -1 when not base64. */
int kube_base64_decode(const char *in, struct kube_blob *out);
/* Standard base64 of `len` bytes; free() it. */
char *kube_base64_encode(const void *data, size_t len);

/* ---- exec.c -------------------------------------------------------------------- */

/* True when a wait must end now (an interrupt, a deadline). */
typedef bool kube_stop_fn(void *arg);
/*
 * Makes sure `e` holds a credential: runs the plugin (argv as written, no
 * shell, KUBERNETES_EXEC_INFO set) when it has none or it has expired,
 * killing it when `stop` (may be NULL) says so or after KUBE_T_PLUGIN.
 * 0, or -1 with the reason in `err`.
 */
int kube_exec_credential(struct kube_exec *e, kube_stop_fn *stop, void *arg, char *err,
			 size_t errsize);
/* Forgets the credential, so the next request runs the plugin again (after a 401). */
void kube_exec_forget(struct kube_exec *e);
/* Parses an ExecCredential's JSON into `e`; 0 or -1 with `err`. */
int kube_exec_parse(struct kube_exec *e, const char *json, char *err, size_t errsize);

/* ---- api.c ---------------------------------------------------------------------- */

struct kube_client;
struct kube_req;

typedef void kube_data_fn(void *arg, const char *data, size_t len);

/* A client for the cluster `cfg` describes (borrowed: keep it alive). */
struct kube_client *kube_client_new(struct kube_config *cfg, struct diag_list *dl);
void kube_client_free(struct kube_client *c);
/* Requests sent so far (the benchmark's count). */
unsigned long kube_client_requests(const struct kube_client *c);

struct kube_req *kube_req_new(struct kube_client *c, const char *method, const char *path);
void kube_req_json(struct kube_req *r, const cJSON *body, const char *type);
void kube_req_stream(struct kube_req *r, kube_data_fn *fn, void *arg);
void kube_req_start(struct kube_req *r);
long kube_req_call(struct kube_req *r);
bool kube_req_done(const struct kube_req *r);
long kube_req_status(const struct kube_req *r);
const char *kube_req_text(const struct kube_req *r, size_t *len);
/* The Status object's message, or curl's error. */
const char *kube_req_error(struct kube_req *r);
/* The Status object's reason ("AlreadyExists", "Forbidden"...), or "". */
const char *kube_req_reason(struct kube_req *r);
void kube_req_free(struct kube_req *r);

/* Waits up to `timeout_ms` for transfers to progress; -1 on a curl failure. */
int kube_client_run(struct kube_client *c, int timeout_ms);

/*
 * A waiting call (kube_req_call(), kube_call()) gives up, with the error
 * "interrupted", once `*interrupts` reaches `patience` + 1: 0 while the
 * run goes on, 1 while cleaning up (only a second Ctrl-C cuts a deletion
 * short).  NULL: never.  kube_client_interrupted() says whether the last
 * waiting call gave up so.
 */
void kube_client_interrupts(struct kube_client *c, volatile sig_atomic_t *interrupts, int patience);
bool kube_client_interrupted(const struct kube_client *c);
/*
 * A waiting call also gives up, with the error "the step's time ran
 * out", once rt_now_ms() reaches `deadline_ms` (0: never): a start the
 * API server is slow to answer ends when the step's time does.
 */
void kube_client_deadline(struct kube_client *c, int64_t deadline_ms);
/* True when the call gave up for an interrupt or the deadline: no answer, but not the server's fault. */
bool kube_req_cut_short(const struct kube_req *r);
/*
 * Why the API server is taken as frozen (a call got no answer in its
 * time: "the API server at ... did not answer within N s"), or NULL
 * while it answers.  From then on every call fails at once with it.
 */
const char *kube_client_lost(const struct kube_client *c);

/*
 * One JSON call: sends `body` (may be NULL), stores the parsed answer in
 * `*out` when non-NULL, returns the HTTP status (0: no answer), copies
 * the error to `err` on failure.
 */
long kube_call(struct kube_client *c, const char *method, const char *path,
	       const cJSON *body, cJSON **out, char *err, size_t errsize);

/* A URL-encoded copy of `s`; free() it. */
char *kube_escape(const char *s);

/* ---- watch.c --------------------------------------------------------------------- */

/* Splits a watch stream into its JSON lines, each at most KUBE_MAX_EVENT. */
struct kube_lines {
	char *p;
	size_t len, cap;
	bool overflow;
};

typedef void kube_line_fn(void *arg, const char *line, size_t len);

void kube_lines_feed(struct kube_lines *l, const char *data, size_t len, kube_line_fn *fn, void *arg);
void kube_lines_release(struct kube_lines *l);

/* What a Pod's status says about one container. */
struct kube_container_state {
	bool running, terminated;
	bool ready;                 /* its readinessProbe passes */
	int exit_code;
	const char *reason;         /* "OOMKilled", "ImagePullBackOff"...; NULL */
	const char *message;
};

/* The state of the container `name` in a Pod object (init containers too). */
void kube_container_state(const cJSON *pod, const char *name, struct kube_container_state *st);

/*
 * Why the Pod can never run its container `container`, in Kubernetes'
 * words ("ErrImagePull: ...", "Unschedulable: 0/3 nodes are available...",
 * "Evicted: ..."), or NULL; `*rule` the rule id it is reported under
 * (image-pull-failed, kube-unschedulable, kube-evicted), NULL for
 * step-failed.
 */
const char *kube_pod_failure(const cJSON *pod, const char *container, char *buf, size_t size,
			     const char **rule);

/*
 * True when the Pod is over: its phase is Succeeded or Failed, or every
 * one of its containers (not its init containers) has terminated, after
 * which the kubelet ends its sidecars.
 */
bool kube_pod_ended(const cJSON *pod);


/* ---- backend.c and objects.c: the run ------------------------------------------------ */

/* One step's Pod. */
struct kube_job {
	struct kube_ctx *x;
	struct rt_job *job;         /* NULL once its exit is reported */
	const struct ir_step *step;
	char pod[KUBE_MAX_NAME + 1];
	char container[KUBE_MAX_NAME + 1];
	struct kube_req *logs;      /* follow=true, opened once the container runs */
	bool created, want_logs, terminated, oom, ready, stopping, gone, deleted;
	int exit_code;
	char *error;                /* why it can never run, in Kubernetes' words */
	const char *rule;           /* the rule `error` is reported under; NULL: step-failed */
	char *digest;               /* the image's, from the container status */
	struct kube_job *next;
};

struct kube_ctx {
	struct rt_backend_options opt;
	struct kube_config cfg;
	struct kube_client *c;
	char run[40];
	const struct ir_pipeline *p;
	/* The pipeline's namespace: --namespace, else its own (metadata), else the context's. */
	const char *ns;
	volatile sig_atomic_t *interrupts;
	char root[KUBE_MAX_NAME + 1];       /* the ConfigMap every object is owned by */
	char root_uid[80];
	char claim[KUBE_MAX_NAME + 1];      /* the workspace claim, or "" */
	char secret[KUBE_MAX_NAME + 1];     /* the run's Secret once made, or "" */
	char pull_secret[KUBE_MAX_NAME + 1]; /* its registry credentials Secret, or "" */
	/* --kube-single-pod: the pipeline's one Pod (named as the root), the
	 * last state the watch gave of it (a step started later reads it),
	 * whether it is gone and whether it was deleted; else "". */
	char pod[KUBE_MAX_NAME + 1];
	cJSON *pod_state;
	bool pod_gone, pod_deleted;
	struct kube_req *watch;
	struct kube_lines lines;
	char rv[64];                        /* the last resourceVersion seen */
	bool relist;                        /* the watch said 410 Gone */
	struct kube_job *jobs;
};

/* "/api/v1/namespaces/NS/KIND[/NAME]" into `out` (every kind pipec makes is core v1). */
void kube_path(const char *ns, const char *kind, const char *name, char *out, size_t size);
/*
 * Creates `obj` (its metadata gets the namespace and, unless it is the
 * root, an ownerReference to the root).  0, or -1 after recording why at
 * `pos` [kube-refused] [kube-error].
 */
int kube_create(struct kube_ctx *x, const char *kind, cJSON *obj, struct ir_pos pos,
		struct diag_list *dl);
/* The run's root ConfigMap (with the pipeline's scripts and files) and its claim. */
int kube_create_root(struct kube_ctx *x, struct diag_list *dl);
/* Puts the job's secret values into the run's Secret (made on first use). */
int kube_put_secrets(struct kube_ctx *x, const struct rt_job *job, struct diag_list *dl);
/* Puts every value of `by_name` (secret name -> value) into the run's Secret. */
int kube_put_all_secrets(struct kube_ctx *x, const struct ir_env *by_name, struct diag_list *dl);
/*
 * The run's kubernetes.io/dockerconfigjson Secret, from the pipeline's
 * image_pull_secrets with a value (`by_name`, each a config.json), which
 * every Pod names in imagePullSecrets; none when there are none.
 */
int kube_create_pull_secret(struct kube_ctx *x, const struct ir_env *by_name, struct diag_list *dl);
/* The Service a service step is reached through, named after it. */
int kube_create_service(struct kube_ctx *x, const struct ir_step *s, struct diag_list *dl);
/* "<hostname>-<pid>": who owns the objects of this run. */
const char *kube_owner(void);

#endif
