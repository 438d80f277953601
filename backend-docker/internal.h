/*
 * internal.h - what the Docker backend's files share.
 *
 * ref.c decides pulls from a parsed image reference, auth.c finds registry credentials,
 * demux.c decodes the engine's multiplexed log stream, tar.c writes and
 * reads the tar archives the archive API speaks, names.c makes resource
 * names and labels, api.c is the HTTP client over one curl multi handle,
 * pull.c pulls images, backend.c is the rt_backend_ops table, prune.c
 * removes leftovers.  The first five are pure and unit-tested.
 */
#ifndef PIPEC_DOCKER_INTERNAL_H
#define PIPEC_DOCKER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "backend-docker/docker.h"

/* Ceilings. */
#define DOCKER_MAX_BODY (8u << 20)          /* a JSON response */
#define DOCKER_MAX_ARTIFACT (512u << 20)    /* one exported path, as a tar */
#define DOCKER_MAX_CONFIG (1u << 20)        /* config.json, a helper's answer */
#define DOCKER_MAX_PROGRESS_LINE (64u * 1024)
#define DOCKER_MAX_ENGINE_ERROR 512u        /* what a step's stream 3 says, kept */
/* How long each kind of engine call may take: an engine that says nothing
 * for this long is reported [docker-unresponsive], never waited on. */
#define DOCKER_T_PING 5000
#define DOCKER_T_INSPECT 10000      /* inspect, list */
#define DOCKER_T_CREATE 30000       /* containers, networks, volumes */
#define DOCKER_T_START 30000
#define DOCKER_T_WAIT 30000         /* a container whose log stream has ended */
#define DOCKER_T_KILL 5000
#define DOCKER_T_REMOVE 30000
#define DOCKER_T_ARCHIVE 300000     /* copying files in or out */
#define DOCKER_T_HELPER 30000       /* a credential helper's answer */
#define DOCKER_API_MAX "1.47"               /* the newest API version used */
#define DOCKER_API_MIN "1.24"

/* ---- a growable buffer with a ceiling ---------------------------------- */

struct docker_buf {
	char *p;
	size_t len, cap, max;
	bool overflow;              /* a put went past `max` and was cut */
};

void docker_buf_init(struct docker_buf *b, size_t max);
void docker_buf_release(struct docker_buf *b);
/* Appends; past `max` the rest is dropped and `overflow` set.  Keeps a NUL after the data. */
void docker_buf_put(struct docker_buf *b, const void *data, size_t len);

/* ---- ref.c: image references (parsed by ir_image_ref_parse()) --------- */

/* True when a pull is due for `policy`, `exists` saying if the image is local. */
bool docker_ref_pull_due(const struct ir_image_ref *r, enum ir_pull policy, bool exists);
/* The registry key config.json uses for the domain ("https://index.docker.io/v1/"). */
const char *docker_ref_auth_key(const struct ir_image_ref *r);

/* ---- auth.c: registry credentials -------------------------------------- */

struct docker_cred {
	char *username, *password, *identity_token;
	char *server;               /* the registry as written in the config */
};

/* Standard base64 (padding optional, whitespace skipped) into `out`
 * (room for len*3/4+3 bytes); returns the length or -1. */
long docker_base64_decode(const char *in, size_t len, unsigned char *out);
/* base64url with padding, as X-Registry-Auth wants; free() it. */
char *docker_base64url(const unsigned char *in, size_t len);

/* The domain an auths key names: "https://index.docker.io/v1/" -> "docker.io". */
void docker_auth_key_domain(const char *key, char *out, size_t size);

/*
 * Finds credentials for `domain` in config.json text: `auths` entries
 * (`auth` base64 user:password, or username/password, identitytoken),
 * then `credHelpers`/`credsStore` (helper name in `*helper`).  Returns 1
 * with `cred` filled, 0 when the config knows nothing for the domain, -1
 * when the text is not JSON.  Odd keys never crash.
 */
int docker_auth_lookup(const char *json, const char *domain, struct docker_cred *cred,
		   char *helper, size_t helper_size);
/* True when a wait must end now (an interrupt, a deadline). */
typedef bool docker_stop_fn(void *arg);
/*
 * Runs docker-credential-<helper> get; 1 found, 0 none, -1 failed.  A
 * helper that has not answered when `stop` (may be NULL) says so, or
 * after DOCKER_T_HELPER, is killed (-1).
 */
int docker_auth_helper(const char *helper, const char *server, docker_stop_fn *stop, void *arg,
		       struct docker_cred *cred);
/* The X-Registry-Auth value for `cred`; free() it. */
char *docker_auth_header(const struct docker_cred *cred);
void docker_cred_release(struct docker_cred *c);

/* ---- demux.c: the multiplexed log stream ------------------------------- */

/*
 * The engine frames a non-TTY container's output: 8 header bytes
 * (stream, 0, 0, 0, big-endian length) then the payload.  Stream 0 is
 * stdin, 1 stdout, 2 stderr, 3 the engine's own error.  The decoder
 * keeps only the header across calls; payload bytes go straight out.
 */
struct docker_demux {
	unsigned char head[8];
	size_t have;                /* header bytes seen */
	uint32_t left;              /* payload bytes left in this frame */
	int stream;
};

typedef void docker_demux_fn(void *arg, int stream, const char *data, size_t len);

void docker_demux_init(struct docker_demux *d);
void docker_demux_feed(struct docker_demux *d, const char *data, size_t len, docker_demux_fn *fn, void *arg);

/* ---- tar.c --------------------------------------------------------------- */

/* Appends one ustar entry; `type` '0' file or '5' directory.  -1 if the name does not fit. */
int docker_tar_add(struct docker_buf *b, const char *name, int mode, char type,
	       const void *data, size_t len);
/* Appends the two zero blocks that end an archive. */
void docker_tar_end(struct docker_buf *b);

/* One entry seen by docker_tar_each. */
struct docker_tar_entry {
	char name[512];
	char type;                  /* '0' file, '5' directory, other kinds as read */
	int mode;
	const char *data;
	size_t size;
};

typedef int docker_tar_fn(void *arg, const struct docker_tar_entry *e);

/* Calls `fn` per entry; stops at the end, a malformed block (-1) or fn's non-zero. */
int docker_tar_each(const char *tar, size_t len, docker_tar_fn *fn, void *arg);

/* Extracts regular files and directories below `dir`, refusing names
 * that climb out.  0, or -1 with errno. */
int docker_tar_extract(const char *tar, size_t len, const char *dir);

/* ---- names.c --------------------------------------------------------------- */

/* `pipec-<run>-<parts...>` with every character Docker refuses made '-'; free() it. */
char *docker_name(const char *run, const char *a, const char *b);
/* A label object {pipec.run, pipec.pipeline, pipec.step (when non-NULL), pipec.owner}. */
cJSON *docker_labels(const char *run, const char *pipeline, const char *step);
/* An EndpointConfig {Aliases: [name, aliases...]}: the names the step answers to. */
cJSON *docker_endpoint(const struct ir_step *s);
/* "<hostname>:<pid>": who owns the resources of this run. */
const char *docker_owner(void);

/* ---- api.c: the Engine API over one curl multi handle --------------------- */

struct docker_client;
struct docker_req;

typedef void docker_data_fn(void *arg, const char *data, size_t len);

/*
 * Connects to `host` (NULL: DOCKER_HOST or the default socket), pings it
 * and settles the API version.  NULL after recording why
 * [docker-unreachable]; `timeout_ms` bounds the ping.
 */
struct docker_client *docker_client_new(const char *host, int timeout_ms, struct diag_list *dl);
void docker_client_free(struct docker_client *c);
/* "unix:///var/run/docker.sock" and the like, for messages. */
const char *docker_client_host(const struct docker_client *c);
/* "1.41": the negotiated version. */
const char *docker_client_api(const struct docker_client *c);

/*
 * A request to `path` below the versioned prefix ("/containers/json?all=1").
 * Add a body and headers, then start it (asynchronous: docker_client_run()
 * drives it) or call it (waits, driving every other transfer meanwhile).
 */
struct docker_req *docker_req_new(struct docker_client *c, const char *method, const char *path);
void docker_req_body(struct docker_req *r, const char *type, const void *data, size_t len);
void docker_req_json(struct docker_req *r, const cJSON *body);
void docker_req_header(struct docker_req *r, const char *header);
void docker_req_timeout(struct docker_req *r, long ms);
/* Streams the response to `fn` instead of keeping it (ceiling DOCKER_MAX_BODY otherwise). */
void docker_req_stream(struct docker_req *r, docker_data_fn *fn, void *arg);
void docker_req_keep(struct docker_req *r, size_t max);
void docker_req_start(struct docker_req *r);
/* Starts if needed and waits; returns the HTTP status, or 0 when no answer came. */
long docker_req_call(struct docker_req *r);
bool docker_req_done(const struct docker_req *r);
long docker_req_status(const struct docker_req *r);
/* The response body kept, NUL-terminated. */
const char *docker_req_text(const struct docker_req *r, size_t *len);
/* The engine's `message`, or curl's error, for diagnostics. */
const char *docker_req_error(struct docker_req *r);
void docker_req_free(struct docker_req *r);

/* Waits up to `timeout_ms` for transfers to progress; -1 on a curl failure. */
int docker_client_run(struct docker_client *c, int timeout_ms);

/*
 * A waiting call (docker_req_call()) gives up, with the error
 * "interrupted", once `*interrupts` reaches `patience` + 1: set 0 while
 * the run goes on (the first Ctrl-C ends a pull), 1 while cleaning up
 * (only a second one cuts the removal short).  NULL: never.
 */
void docker_client_interrupts(struct docker_client *c, volatile sig_atomic_t *interrupts,
			      int patience);
/*
 * A waiting call also gives up, with the error "the step's time ran
 * out", once rt_now_ms() reaches `deadline_ms` (0: never): a pull from a
 * registry that stalls ends when the step's timeout does.
 */
void docker_client_deadline(struct docker_client *c, int64_t deadline_ms);
/* True when the last waiting call gave up for an interrupt. */
bool docker_client_interrupted(const struct docker_client *c);
/* True when a wait of the backend's own must end now: a waiting call would give up. */
bool docker_client_cut_short(const struct docker_client *c);

/*
 * Whether the engine is still there.  A call that got no answer in its
 * time makes it unresponsive, a connection refused or cut mid-answer
 * gone; from then on every call fails at once with the reason, which
 * docker_client_lost() gives ("the docker engine at ... stopped
 * answering"), NULL while the engine answers.
 */
enum docker_engine { DOCKER_ENGINE_OK, DOCKER_ENGINE_UNRESPONSIVE, DOCKER_ENGINE_GONE };
enum docker_engine docker_client_state(const struct docker_client *c);
const char *docker_client_lost(const struct docker_client *c);
/* The rule id for an error the engine's state explains, else `rule`. */
const char *docker_client_rule(const struct docker_client *c, const char *rule);

/*
 * One-shot JSON call given `timeout_ms` (a DOCKER_T_ value): sends `body`
 * (may be NULL), stores the parsed response in `*out` when non-NULL
 * (cJSON_Delete it), returns the status (0: no answer) and copies the
 * error text to `err` on failure.
 */
long docker_call(struct docker_client *c, long timeout_ms, const char *method, const char *path,
		 const cJSON *body, cJSON **out, char *err, size_t errsize);

/* A URL-encoded copy of `s`; free() it. */
char *docker_escape(const char *s);

/* ---- module.c's table: the backend, the engine, prune, image tags ---------- */

rt_backend_new_fn docker_backend_new;
/* True when an engine answers at opt->host (NULL: as the backend would find it). */
bool docker_engine_answers(const struct rt_backend_options *opt, int timeout_ms);
int docker_prune(const struct rt_backend_options *opt, bool dry_run, rt_prune_fn *each,
		 void *arg, struct diag_list *dl);
/* images.c: the local tags of an image repository. */
int docker_image_tags(const struct rt_backend_options *opt, const char *repo,
		      rt_tag_fn *each, void *arg, struct diag_list *dl);

/* ---- pull.c: images --------------------------------------------------------- */

/*
 * The X-Registry-Auth value for `ref`: from the step's resolved
 * image_pull_secrets (each a config.json, in order), then config.json in
 * opt->config_dir, DOCKER_CONFIG or ~/.docker and its credential
 * helpers, which give up when a waiting call of `c` would.  NULL when
 * nothing matches; free() it.
 */
char *docker_pull_auth(const struct docker_client *c, const struct rt_backend_options *opt,
		       const struct ir_env *pull_secrets, const struct ir_image_ref *ref);

#define DOCKER_PULL_MAX_LAYERS 32       /* bars drawn; more layers share the last */

struct docker_layer {
	char id[16];
	char status[24];
	double cur, total;
};

/*
 * A pull's progress stream (JSON objects, one per line) as it arrives:
 * the first `error`, the digest, and on a terminal a bar per layer drawn
 * to `out`.  Engine and registry bytes are untrusted: a bar is never
 * wider than its frame whatever the numbers say.
 */
struct docker_progress {
	FILE *out;                  /* NULL: draw nothing */
	bool tty;
	const char *image;
	struct docker_buf line;
	char error[512];
	char digest[160];
	struct docker_layer layers[DOCKER_PULL_MAX_LAYERS];
	int nlayers, drawn;         /* bars known, lines on screen */
};

void docker_progress_init(struct docker_progress *s, FILE *out, bool tty, const char *image);
/* Takes the next bytes of the stream. */
void docker_progress_feed(struct docker_progress *s, const char *data, size_t len);
/* The stream ended: its last line, if unterminated, counts. */
void docker_progress_end(struct docker_progress *s);
void docker_progress_release(struct docker_progress *s);

/*
 * Pulls `image`, reading the progress stream to its end (an `error`
 * object in it is a failure) and reporting progress to opt->progress.
 * 0, or -1 with the reason in `err`.
 */
int docker_pull(struct docker_client *c, const struct rt_backend_options *opt,
		const struct ir_env *pull_secrets, const char *image, char *err, size_t errsize);

/* ---- backend.c and container.c: the run ------------------------------------- */

/* One step's container. */
struct docker_job {
	struct docker_ctx *x;
	struct rt_job *job;         /* NULL once its exit is reported */
	const struct ir_step *step;
	char *name;
	char id[80];
	struct docker_req *logs;        /* the follow-mode log stream */
	struct docker_demux demux;
	char *engine_error;         /* from stream 3; NULL until the engine speaks there */
	uint64_t seen, skip;        /* stdout and stderr bytes delivered; to pass over */
	char *digest;
	bool removed, stopping;
	struct docker_job *next;
};

/* An exported path kept for later steps (a tar). */
struct docker_artifact {
	char *name;
	struct docker_buf tar;
	struct docker_artifact *next;
};

struct docker_ctx {
	struct rt_backend_options opt;
	struct docker_client *c;
	volatile sig_atomic_t *interrupts;  /* the run's, from prepare() */
	char run[40];
	const struct ir_pipeline *p;
	char *artifacts_dir;
	char *network;              /* the run's network */
	char *workspace;            /* the workspace volume */
	char *host_workspace;       /* or the host directory bound in its place */
	char **volumes;             /* per pipeline volume: the Docker name, or NULL */
	char **networks;            /* per pipeline network */
	struct docker_job *jobs;
	struct docker_artifact *artifacts;
	struct docker_image *images;    /* images this pipeline already has */
};

/* An image made ready once per pipeline run, with its digest for the report. */
struct docker_image {
	char *name;
	char *digest;
	struct docker_image *next;
};

/* Builds the POST /containers/create body for `j`. */
cJSON *docker_container_config(struct docker_ctx *x, struct docker_job *j, const struct ir_env *env);
/* Copies the script, files and imported artifacts in; 0 or -1 with `err`. */
int docker_container_upload(struct docker_ctx *x, struct docker_job *j, char *err, size_t errsize);
/* Copies exports out (to later steps and --artifacts); 0 or -1 with `err`. */
int docker_container_export(struct docker_ctx *x, struct docker_job *j, char *err, size_t errsize);
/* One look at a running service's health (rt_backend_ops.probe). */
enum rt_probe docker_probe(void *ctx, struct rt_job *job, int timeout_ms, char *why, size_t size);

/* Where step scripts go inside a container. */
#define DOCKER_SCRIPT_PATH "/pipec/script.sh"

#endif
