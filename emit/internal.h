/*
 * internal.h - what the emitters share; nothing outside emit/ includes it.
 */
#ifndef PIPEC_EMIT_INTERNAL_H
#define PIPEC_EMIT_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "emit/emit.h"

struct cJSON;

/* The largest text an emitter writes (a ceiling, reported as an error). */
#define EMIT_MAX_OUTPUT (64u << 20)

/* One emission: the format, its options, where findings go, scratch memory. */
struct emit {
	const struct emit_format *f;
	const struct emit_options *opt;
	struct diag_list *dl;
	struct ir_arena *a;
	size_t errors_before;
	const struct ir_pipeline *exec_warned;  /* emit_image() warned for it */
};

/* The emitters, one per file. */
char *emit_drone_runtime(const struct ir_doc *doc, const struct emit_options *opt,
			 struct diag_list *dl);
char *emit_sh(const struct ir_doc *doc, const struct emit_options *opt,
	      struct diag_list *dl);
char *emit_github(const struct ir_doc *doc, const struct emit_options *opt,
		  struct diag_list *dl);
char *emit_argo(const struct ir_doc *doc, const struct emit_options *opt,
		struct diag_list *dl);
char *emit_kube(const struct ir_doc *doc, const struct emit_options *opt,
		struct diag_list *dl);

/* Starts an emission of format `name`; emit_end() releases it. */
void emit_begin(struct emit *e, const char *name, const struct emit_options *opt,
		struct diag_list *dl);
/* Releases `e`; returns `text` when no error was recorded, else frees it and returns NULL. */
char *emit_end(struct emit *e, char *text);

/* A warning [emit-unsupported], the format's name first. */
void emit_warn(struct emit *e, struct ir_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error [emit-refused], the format's name first; returns -1. */
int emit_refuse(struct emit *e, struct ir_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Step settings a format may be unable to express (emit_check_step()). */
enum {
	EMIT_RETRIES = 1u << 0,
	EMIT_TIMEOUT = 1u << 1,
	EMIT_HEALTH = 1u << 2,
	EMIT_EXPORTS = 1u << 3,
	EMIT_IMPORTS = 1u << 4,
	EMIT_DEVICES = 1u << 5,
	EMIT_PRIVILEGED = 1u << 6,
	EMIT_PORTS = 1u << 7,
	EMIT_DNS = 1u << 8,
	EMIT_EXTRA_HOSTS = 1u << 9,
	EMIT_NETWORK_MODE = 1u << 10,
	EMIT_NETWORKS = 1u << 11,
	EMIT_SHM = 1u << 12,
	EMIT_LIMITS = 1u << 13,
	EMIT_FILES = 1u << 14,
	EMIT_USER = 1u << 15,
	EMIT_PULL = 1u << 16,
	EMIT_IGNORE_ERROR = 1u << 17,
	EMIT_DETACH = 1u << 18,
};

/* Warns once for each setting of `s` among `unsupported` (EMIT_* bits). */
void emit_check_step(struct emit *e, const struct ir_step *s, unsigned unsupported);

/* Pipeline settings a format may be unable to express (emit_check_pipeline()). */
enum {
	EMIT_P_TIMEOUT = 1u << 0,
	EMIT_P_NETWORKS = 1u << 1,
	EMIT_P_PULL_SECRETS = 1u << 2,
	EMIT_P_DEPENDS = 1u << 3,
	EMIT_P_PLATFORM = 1u << 4,
	EMIT_P_FILES = 1u << 5,
};

/* Warns once for each setting of `p` among `unsupported` (EMIT_P_* bits). */
void emit_check_pipeline(struct emit *e, const struct ir_pipeline *p, unsigned unsupported);

/*
 * The environment a step starts with: the pipeline's, then the step's own
 * (a step's variable replaces the pipeline's), sorted by name.
 */
struct ir_env emit_step_env(struct emit *e, const struct ir_pipeline *p,
			    const struct ir_step *s);

/* The image a container format runs `s` in: its own, or the exec image (with a warning). */
const char *emit_image(struct emit *e, const struct ir_pipeline *p, const struct ir_step *s);

/* The working directory of `s`: its own, else the workspace's, else NULL. */
const char *emit_workdir(struct emit *e, const struct ir_pipeline *p, const struct ir_step *s);

/* `name` as a DNS-1123 label (lowercase letters, digits, '-'), at most `max` bytes. */
char *emit_dns_label(struct emit *e, const char *name, size_t max);

/*
 * `name` as a DNS label (`lead` before it when it would start with a
 * digit), made unique among `taken[0..n)` with a suffix -2, -3, ...
 */
const char *emit_unique_id(struct emit *e, const char *name, const char *lead,
			   const char **taken, size_t n);

/* `name` as a shell or environment variable name ([A-Za-z_][A-Za-z0-9_]*), uppercased. */
char *emit_var_name(struct emit *e, const char *prefix, const char *name);

/* A pipeline's secret `name`, or NULL. */
const struct ir_secret *emit_secret(const struct ir_pipeline *p, const char *name);

/* The step's index in its pipeline. */
size_t emit_step_index(const struct ir_pipeline *p, const struct ir_step *s);

/* The Secret the Kubernetes formats read step secrets from, by default. */
#define EMIT_KUBE_SECRET "pipec-secrets"

/*
 * Warns about each secret of `p` that pipec would read from the host or a
 * secret service: a Kubernetes format reads it from Secret `secret`.
 */
void emit_warn_kube_secrets(struct emit *e, const struct ir_pipeline *p, const char *secret);

/* Renders `root` as block YAML after the comment lines `head` (may be NULL). */
char *emit_yaml(struct emit *e, const struct cJSON *root, const char *head);

/* Renders `root` as JSON with two-space indents and a final newline. */
char *emit_json(struct emit *e, const struct cJSON *root);

/* Adds a string array to `obj` (an empty array when `v` has none). */
struct cJSON *emit_json_strs(struct cJSON *obj, const char *key, const struct ir_strs *v);

/* An in-memory output stream; emit_stream_end() returns the text. */
struct emit_stream {
	FILE *fp;
	char *text;
	size_t len;
};
int emit_stream_begin(struct emit *e, struct emit_stream *s);
char *emit_stream_end(struct emit *e, struct emit_stream *s);

#endif
