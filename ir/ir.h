/*
 * ir.h - pipec's intermediate representation (IR v3) and the diagnostics
 * every stage shares.
 *
 * Data flows one way: frontend -> ir -> validate -> runtime -> backend.
 * This header depends on nothing above it: it knows neither YAML nor
 * execution.
 *
 * Ownership: everything reachable from a struct ir_doc (nodes, strings,
 * arrays, positions) is allocated from one struct ir_arena and freed with
 * ir_arena_free().  Nothing in the IR is freed on its own.  A diag_list
 * owns copies of its messages and file names, so it may outlive the arena
 * that produced them.
 *
 * Absent versus empty: a `struct ir_strs` whose `v` is NULL is absent
 * (for an entrypoint: "use the image's"); `v` non-NULL with `n == 0` is
 * an explicitly empty list.  A NULL `char *` is an absent string.
 *
 * docs/ir.md documents every field as it appears in JSON.  A field added
 * here needs a line in ir/shape.c (which the reader and the writer
 * share), a row in docs/ir.md and a property in docs/ir.schema.json.
 */
#ifndef PIPEC_IR_H
#define PIPEC_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The IR version written, and the oldest one read.  Version 2 added a
 * pipeline's `environment`; a version 1 document reads as the same
 * document in version 2.
 */
#define IR_VERSION 3
#define IR_VERSION_OLDEST 1

/* ---- Arena --------------------------------------------------------- */

struct ir_arena;

/*
 * Says "pipec: out of memory" and aborts: the one answer to a failed
 * allocation anywhere in ir/, since a half-built IR or diagnostic list is
 * of no use to anybody.
 */
_Noreturn void ir_oom(void);

/* Makes an empty arena; aborts only if the first block cannot be had. */
struct ir_arena *ir_arena_new(void);

/* Frees the arena and everything allocated from it.  NULL is fine. */
void ir_arena_free(struct ir_arena *a);

/*
 * Frees everything allocated from the arena but keeps its first block
 * (and what ir_arena_expect() mapped): for scratch work redone many
 * times, such as once per step.
 */
void ir_arena_reset(struct ir_arena *a);

/*
 * Tells the arena it will soon hold about `bytes`.  Whole huge pages of
 * that are mapped at once and used before any other block, so a large
 * document is faulted in a few times rather than once per page; below one
 * huge page (2 MiB) this does nothing.  The first call counts.
 */
void ir_arena_expect(struct ir_arena *a, size_t bytes);

/* Returns `size` zeroed bytes owned by the arena. */
void *ir_alloc(struct ir_arena *a, size_t size);

/* Returns a zeroed array of `n` elements of `size` bytes (overflow-checked). */
void *ir_calloc(struct ir_arena *a, size_t n, size_t size);

/* Copies a NUL-terminated string (NULL gives NULL) into the arena. */
char *ir_strdup(struct ir_arena *a, const char *s);

/* Copies `len` bytes and adds a NUL. */
char *ir_strndup(struct ir_arena *a, const char *s, size_t len);

/* printf into the arena. */
char *ir_printf(struct ir_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- Positions and diagnostics -------------------------------------- */

/*
 * Where something was written.  `line` and `col` count from 1; line 0
 * means "no line known", in which case `pointer` (a JSON Pointer such as
 * "/pipelines/0/steps/3/image") says where in an IR file it was.
 */
struct ir_pos {
	const char *file;
	int line, col;
	const char *pointer;
};

enum diag_severity { DIAG_NOTE, DIAG_WARNING, DIAG_ERROR };

/* A second place a finding is about, and what is there. */
struct diag_related {
	struct ir_pos pos;      /* file and pointer are owned copies */
	char *message;          /* owned: "first defined here" */
};

struct diag {
	enum diag_severity severity;
	struct ir_pos pos;      /* file and pointer are owned copies */
	const char *rule;       /* a static rule id, e.g. "unknown-key" */
	char *message;          /* owned; lowercase, no final period */
	struct diag_related *related;   /* owned; nrelated of them */
	size_t nrelated;
};

/*
 * One rule: its stable id (its page is docs/rules/<id>.md), its default
 * severity and what it catches, in a line.
 */
struct ir_rule {
	const char *id;
	enum diag_severity severity;
	const char *summary;
};

/* Every rule id any stage reports (ir/rules.c). */
extern const struct ir_rule ir_rules[];
extern const size_t ir_nrules;

/* The rule with this id, or NULL. */
const struct ir_rule *ir_rule_find(const char *id);

/* A diagnostic keeps at most this many second places. */
#define DIAG_MAX_RELATED 32

/* At most this many diagnostics are kept; the rest are counted. */
#define DIAG_MAX 1000

struct diag_list {
	struct diag *items;
	size_t len, cap;
	size_t nerrors, nwarnings;
	size_t ndropped;        /* beyond DIAG_MAX */
	bool last_dropped;      /* the last one added was beyond DIAG_MAX */
};

void diag_list_init(struct diag_list *dl);
void diag_list_release(struct diag_list *dl);

/*
 * Records a diagnostic.  Returns -1 for errors and 0 otherwise, so a
 * failure path reads `return diag_add(...)`.
 */
int diag_add(struct diag_list *dl, enum diag_severity sev, struct ir_pos pos,
	     const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int diag_vadd(struct diag_list *dl, enum diag_severity sev, struct ir_pos pos,
	      const char *rule, const char *fmt, va_list ap);

/*
 * Adds a second place to the diagnostic added last: the first definition
 * of a duplicate, a step of a cycle.  Editors show it beside the finding.
 * Nothing happens when that diagnostic was dropped or has enough.
 */
void diag_relate(struct diag_list *dl, struct ir_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Shorthands for diag_add() with DIAG_ERROR / DIAG_WARNING. */
int diag_error(struct diag_list *dl, struct ir_pos pos, const char *rule,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int diag_warning(struct diag_list *dl, struct ir_pos pos, const char *rule,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sorts by file, line, column, keeping insertion order for ties. */
void diag_sort(struct diag_list *dl);

enum diag_format { DIAG_TEXT, DIAG_JSON, DIAG_SARIF };

/*
 * Renders every diagnostic.  DIAG_TEXT prints
 * `file:line:col: severity: message [rule]` (or `file:/pointer: ...`),
 * colored when `color` is true.  DIAG_JSON prints one JSON array,
 * DIAG_SARIF one SARIF 2.1.0 log.
 */
void diag_print(FILE *out, const struct diag_list *dl, enum diag_format fmt,
		bool color);

/* True when `out` is a terminal and NO_COLOR is unset or empty. */
bool diag_want_color(FILE *out);

/* ---- IR v3 ---------------------------------------------------------- */

struct ir_strs {
	char **v;
	size_t n;
};

/* One NAME=VALUE pair (environment, labels). */
struct ir_kv {
	char *key;
	char *value;
};

struct ir_env {
	struct ir_kv *v;
	size_t n;
};

enum ir_backend { IR_BACKEND_DOCKER, IR_BACKEND_KUBE, IR_BACKEND_LOCAL };

enum ir_pull {
	IR_PULL_DEFAULT,        /* pull if the tag is latest, else if missing */
	IR_PULL_ALWAYS,
	IR_PULL_IF_NOT_EXISTS,
	IR_PULL_NEVER,
};

enum ir_run_policy {
	IR_RUN_ON_SUCCESS,
	IR_RUN_ON_FAILURE,
	IR_RUN_ALWAYS,
	IR_RUN_NEVER,
};

/* Where a secret's value comes from at run time; never the value itself. */
enum ir_secret_source {
	IR_SECRET_RUNTIME,      /* supplied when run (--secret and friends) */
	IR_SECRET_ENV,          /* host environment variable `ref` */
	IR_SECRET_FILE,         /* host file `ref` */
	IR_SECRET_EXTERNAL,     /* a secret service: `ref` is "path#name" */
};

struct ir_secret {
	struct ir_pos pos;
	char *name;
	enum ir_secret_source source;
	char *ref;
};

enum ir_volume_kind {
	IR_VOLUME_TEMP,         /* an empty directory made for the run */
	IR_VOLUME_HOST,         /* a host path */
	IR_VOLUME_TMPFS,        /* memory-backed, `size_limit` bytes (0: none) */
};

struct ir_volume {
	struct ir_pos pos;
	char *name;
	enum ir_volume_kind kind;
	char *host_path;        /* IR_VOLUME_HOST only */
	int64_t size_limit;
};

struct ir_network {
	char *name;
	char *driver;           /* NULL: the backend's default */
};

/* A file the pipeline carries (base64 data), copied into steps. */
struct ir_file {
	struct ir_pos pos;
	char *name;
	char *data;             /* standard base64 */
	bool archive;           /* a tar extracted at the mount path */
};

struct ir_platform {
	char *os, *arch, *variant, *version;
};

struct ir_workspace {
	char *base;             /* the volume's mount point, e.g. /drone */
	char *path;             /* below base; working dir of steps */
};

/* Why a step or pipeline will not run, decided at compile time. */
struct ir_skip {
	char *reason;           /* e.g. "branch 'dev' is not in when.branch" */
	struct ir_pos pos;      /* the clause that ruled it out */
};

struct ir_secret_ref {
	char *name;             /* a pipeline secret */
	char *env;              /* the variable it becomes */
};

struct ir_mount {
	char *name;             /* a pipeline volume */
	char *path;             /* where it appears in the step */
	bool read_only;
};

struct ir_device {
	char *host_path;
	char *path;
};

struct ir_file_mount {
	char *name;             /* a pipeline file */
	char *path;
	int mode;               /* permission bits, e.g. 0755 */
};

struct ir_port {
	int port;
	int host;               /* 0: not published */
	char *protocol;         /* NULL: tcp */
};

/* A service is ready when `command` exits 0 (or `port` accepts). */
struct ir_health {
	struct ir_strs command;
	int port;
	int interval_ms, timeout_ms, retries;
};

struct ir_resources {
	int64_t cpu_millis;     /* 0: no limit */
	int64_t memory;         /* bytes, 0: no limit */
	int64_t shm_size;       /* bytes, 0: default */
};

/* A path handed between steps: exported by one, imported by later ones. */
struct ir_artifact {
	char *name;
	char *path;
	/* Where the frontend lowered it from; never written or read as
	 * JSON (findings about an artifact of an IR file are at its step). */
	struct ir_pos pos;
};

/*
 * What few steps set, kept apart from struct ir_step so that a step of a
 * file with hundreds of thousands stays small.  Read it through
 * ir_step_extra(), which gives an all-zero one for a step without.
 */
struct ir_step_extra {
	struct ir_strs entrypoint;
	char *working_dir;
	struct ir_secret_ref *secrets;
	size_t nsecrets;
	char *user;
	struct ir_mount *volumes;
	size_t nvolumes;
	struct ir_device *devices;
	size_t ndevices;
	struct ir_file_mount *files;
	size_t nfiles;
	struct ir_strs dns, dns_search, extra_hosts, networks;
	/* More names the step answers to on every network it joins; its
	 * name is always one. */
	struct ir_strs aliases;
	char *network_mode;
	struct ir_port *ports;
	size_t nports;
	struct ir_health *health;
	struct ir_resources resources;
	struct ir_artifact *exports, *imports;
	size_t nexports, nimports;
};

/*
 * A step.  JSON and docs/ir.md list its keys and struct ir_step_extra's
 * as one object, in the order ir/shape.c gives.
 */
struct ir_step {
	struct ir_pos pos;
	char *name;
	char *image;            /* NULL: no image (local backend) */
	char *script;           /* the shell script lowered from `commands` */
	char *shell;            /* runs `script`; NULL: /bin/sh */
	struct ir_strs command;
	struct ir_env environment;
	struct ir_strs depends_on;
	struct ir_skip *skip;   /* non-NULL: ruled out statically */
	struct ir_step_extra *extra;    /* NULL: none of it set */
	enum ir_pull pull;
	enum ir_run_policy run_policy;
	int timeout;            /* seconds, 0: none */
	int retries;
	bool detach, ignore_error, privileged;
	/* The frontend reported an error lowering it, so a key may be
	 * missing from it; never written or read as JSON. */
	bool incomplete;
	bool clone;             /* fetches the source; a run on a checkout leaves it out */
};

/* The step's struct ir_step_extra, all zero when it has none. */
const struct ir_step_extra *ir_step_extra(const struct ir_step *s);

/* The same to change, made in `a` (zeroed) on first use. */
struct ir_step_extra *ir_step_extra_edit(struct ir_step *s, struct ir_arena *a);

/* A taint the Pods of a kubernetes pipeline tolerate. */
struct ir_toleration {
	char *key;              /* NULL: every key (with operator Exists) */
	char *operator_;        /* "Exists" or "Equal"; NULL: Equal */
	char *value;
	char *effect;           /* NoSchedule, PreferNoSchedule, NoExecute; NULL: all */
	int64_t seconds;        /* how long a NoExecute taint is tolerated; 0: for ever */
};

/* An /etc/hosts entry of the Pods of a kubernetes pipeline. */
struct ir_host_alias {
	char *ip;
	struct ir_strs hostnames;
};

/*
 * What a `type: kubernetes` pipeline says about its Pods: the keys of
 * Drone's Kubernetes runner.  Labels and annotations are added to every
 * object of the pipeline; the rest is the Pods'.
 */
struct ir_kube {
	char *namespace;        /* NULL: the context's (--namespace wins) */
	struct ir_env labels;
	struct ir_env annotations;
	struct ir_env node_selector;
	struct ir_toleration *tolerations;
	size_t ntolerations;
	char *service_account;
	/* dns_config: the Pods' resolver, beside what their steps' dns and
	 * dns_search add; an option's value is "" when it has none. */
	struct ir_strs dns_nameservers, dns_searches;
	struct ir_env dns_options;
	struct ir_host_alias *host_aliases;
	size_t nhost_aliases;
};

struct ir_pipeline {
	struct ir_pos pos;
	char *name;
	enum ir_backend backend;
	/* The Drone runner the pipeline was written for when pipec runs it
	 * on another backend ("ssh", "vm", ...); NULL: the backend's own. */
	char *runner;
	struct ir_platform platform;
	struct ir_strs depends_on;
	enum ir_run_policy run_policy;
	struct ir_skip *skip;
	bool incomplete;               /* as on a step */
	struct ir_workspace workspace;
	struct ir_secret *secrets;
	size_t nsecrets;
	struct ir_volume *volumes;
	size_t nvolumes;
	struct ir_network *networks;
	size_t nnetworks;
	struct ir_file *files;
	size_t nfiles;
	struct ir_strs pull_secrets;   /* secrets holding registry auth */
	struct ir_kube *kube;          /* a kubernetes pipeline's Pod keys; NULL: none */
	int timeout;                   /* seconds, 0: none */
	/* What every step's environment starts from; a step's own variable
	 * of the same name replaces it when the step starts. */
	struct ir_env environment;
	struct ir_step *steps;
	size_t nsteps;
};

struct ir_doc {
	int version;
	struct ir_pipeline *pipelines;
	size_t npipelines;
	/* Set by val_normalize() when it removed the skipped steps: every
	 * order explicit, dependencies first.  The runtime runs only this
	 * form.  Not part of the JSON. */
	bool normalized;
};

/* Enum <-> JSON string.  *_parse returns -1 for an unknown string. */
const char *ir_backend_name(enum ir_backend b);
int ir_backend_parse(const char *s);
const char *ir_pull_name(enum ir_pull p);
int ir_pull_parse(const char *s);
const char *ir_run_policy_name(enum ir_run_policy p);
int ir_run_policy_parse(const char *s);
const char *ir_secret_source_name(enum ir_secret_source s);
int ir_secret_source_parse(const char *s);
const char *ir_volume_kind_name(enum ir_volume_kind k);
int ir_volume_kind_parse(const char *s);

/*
 * Whether the pipeline's steps are ordered by their depends_on: some step
 * carries the key, if only as `[]` (waits for nothing).  Otherwise they
 * run in file order, each after the closest earlier step that is not
 * detached.
 */
bool ir_steps_ordered_by_deps(const struct ir_pipeline *p);

/* Lookups by name; NULL when absent. */
struct ir_step *ir_step_find(const struct ir_pipeline *p, const char *name);
struct ir_pipeline *ir_pipeline_find(const struct ir_doc *d, const char *name);
const char *ir_env_get(const struct ir_env *env, const char *key);

/*
 * Writes the workspace's full path, `base/path`, into buf (`size` bytes)
 * as snprintf() does: one '/' between the two, none at the end, `path`
 * alone when it is absolute.  Returns the length; 0 (and "") without a
 * base.
 */
size_t ir_workspace_join(const struct ir_workspace *w, char *buf, size_t size);

/*
 * Returns the candidate closest to `word` (a misspelt key or value) when
 * it is close enough to offer as "did you mean", else NULL.  Ties go to
 * the earlier candidate.
 */
const char *ir_suggest(const char *word, const char *const *candidates, size_t n);

/*
 * The edit distance ir_suggest() uses (optimal string alignment) between
 * two words of at most 64 bytes; SIZE_MAX for a longer one.
 */
size_t ir_distance(const char *a, const char *b);

struct cJSON;
/* "a string", "a number", "an array", ... for messages about JSON input. */
const char *ir_json_type_name(const struct cJSON *v);

/*
 * The line and column of byte `off` of `text` (columns count bytes, after
 * any BOM), for findings about a file's text rather than a node in it.
 */
struct ir_pos ir_text_pos(const char *path, const char *text, size_t off);

/*
 * How many arrays and objects are open at byte `off` of JSON `text`
 * (brackets inside strings not counted): a parse that failed there with
 * CJSON_NESTING_LIMIT of them open failed on depth, not on syntax.
 */
size_t ir_json_depth(const char *text, size_t off);

/* ---- Image references ----------------------------------------------- */

/*
 * `registry/path:tag@digest`, normalised as Docker normalises it:
 * `alpine` is docker.io/library/alpine:latest.  The validator and the
 * container backends read references through this one parser, so what
 * `pipec validate` accepts a backend does not refuse.
 */
struct ir_image_ref {
	char domain[256];           /* "docker.io" when none is written */
	char path[512];             /* "library/alpine" for "alpine" */
	char tag[129];              /* "latest" when neither tag nor digest */
	char digest[160];           /* "sha256:..." or "" */
	bool tag_implied;           /* neither tag nor digest was written */
};

/* Parses `s` into `r`: 0, or -1 with a reason in `why` (a static string). */
int ir_image_ref_parse(struct ir_image_ref *r, const char *s, const char **why);

/*
 * Parses step `s`'s image into `r`, reporting an invalid one at the step
 * as [image-invalid]: 0, or -1 after the diagnostic.
 */
int ir_image_check(const struct ir_step *s, struct ir_image_ref *r, struct diag_list *dl);

/* ---- Reading and writing -------------------------------------------- */

/*
 * Parses IR v3 JSON from `text` (`len` bytes; `path` names it in
 * diagnostics).  Strict: every type error, unknown key (with a
 * did-you-mean) and unsupported version is reported with its JSON
 * Pointer, all of them in one call.  Returns NULL on any error.
 */
struct ir_doc *ir_read(const char *path, const char *text, size_t len,
		       struct ir_arena *a, struct diag_list *dl);

enum { IR_WRITE_COMPACT = 1 };

/*
 * Renders canonical JSON: fixed key order, maps sorted by key, fields at
 * their zero value left out, two-space indent (one line with
 * IR_WRITE_COMPACT).  Equal IR gives byte-identical text.  The caller
 * frees the result with free().
 */
char *ir_write(const struct ir_doc *d, unsigned flags);

/*
 * ir_write() straight into `fp`, holding only a small part of the text
 * at a time.  Returns 0, or -1 when `fp` reports a write error.
 */
int ir_write_file(const struct ir_doc *d, unsigned flags, FILE *fp);

#endif
