/*
 * drone.h - what drone.c (documents, pipelines, secrets) and
 * drone_step.c (steps and services) share while lowering one file.
 * Private to frontend/.
 */
#ifndef PIPEC_FRONTEND_DRONE_H
#define PIPEC_FRONTEND_DRONE_H

#include "frontend/keys.h"

/* The whole file: its context and the secrets its documents declare. */
struct lower {
	const char *file;               /* the file the tree was read from */
	const struct fe_context *ctx;
	struct ir_arena *a;
	/* What one step needs only while it is lowered: reset after each */
	struct ir_arena *scratch;
	struct diag_list *dl;
	struct ir_secret *secrets;      /* from `kind: secret` documents */
	size_t nsecrets;
	/* Nodes the lowering makes: documents converted from the 0.8
	 * format and read from templates; freed once lowered */
	struct ir_arena *tree;
	size_t templates_skipped;       /* kind: template documents left unexpanded */
};

/* What a document is, by its `kind`. */
enum { FE_KIND_PIPELINE, FE_KIND_SECRET, FE_KIND_SIGNATURE, FE_KIND_TEMPLATE, FE_NKINDS };

/* The documents to lower, each with the file its positions are in. */
struct fe_unit {
	const struct fe_node *doc;
	const char *file;
	int kind;                   /* FE_KIND_*, -1 after an error */
};

struct fe_units {
	struct fe_unit *v;
	size_t n, cap;
};

/* Appends `doc`, read from lw->file, to `u`. */
void fe_units_add(struct lower *lw, struct fe_units *u, const struct fe_node *doc, int kind);

/*
 * A `kind: template` document (template.c): with ctx->templates, reads
 * the file it loads from there, expands its {{ .input.NAME }} actions
 * from `data` and fills `out` with the template's documents, whose
 * positions are in the template file; returns 0.  Without, warns that a
 * Drone server expands it.  -1 when nothing was read.
 */
int fe_template_expand(struct lower *lw, const struct fe_node *doc, struct fe_docs *out);

/* Whether `doc` is in Drone's 0.8 format: a map of steps under `pipeline`, no `kind`. */
bool fe_legacy_is(const struct fe_node *doc);

/*
 * Converts a 0.8 document to 1.x pipeline documents (legacy.c), as
 * Drone's converter does, each appended to `u`; warns of what changed.
 */
void fe_legacy_convert(struct lower *lw, const struct fe_node *doc, struct fe_units *u);

/* An environment being built; a later value of a name replaces it. */
struct envb {
	struct ir_kv *v;
	size_t n, cap;
};

/* A secret reference being built: a step's or the pipeline's. */
struct refb {
	struct ir_secret_ref *v;
	size_t n, cap;
};

/* An export or import of a step, kept until the pipeline is lowered. */
struct artref {
	struct ir_artifact *art;
	bool import;
};

struct artb {
	struct artref *v;
	size_t n, cap;
};

/* One pipeline being lowered. */
struct pbuild {
	struct lower *lw;
	struct ir_pipeline *p;
	struct envb env;            /* injected + pipeline `environment` */
	struct refb refs;           /* pipeline `environment` from_secret */
	size_t secrets_cap;
	struct artb arts;           /* every step's exports and imports */
	bool clone;                 /* a clone step comes first */
	bool graph;                 /* some step has depends_on */
};

/*
 * Makes room for item `n` of an arena array of `*cap` items of `size`:
 * arena arrays never shrink or move, so growing copies into a larger one.
 */
void *fe_drone_grow(struct ir_arena *a, void *old, size_t n, size_t *cap, size_t size);

/* A scalar after ${VAR} substitution; NULL for NULL or after an error. */
char *fe_drone_str(struct lower *lw, const struct fe_node *n, bool in_commands);

/* fe_drone_str(), the result allocated in `a` */
char *fe_drone_str_in(struct lower *lw, const struct fe_node *n, bool in_commands,
		      struct ir_arena *a);

/* A scalar or sequence of scalars as strings, substituted. */
struct ir_strs fe_drone_strs(struct lower *lw, const struct fe_node *n);

void fe_drone_env_set(struct ir_arena *a, struct envb *e, const char *key,
		      const char *value);
void fe_drone_ref_add(struct ir_arena *a, struct refb *r, const char *name,
		      const char *env);

/* Makes sure the pipeline carries secret `name`; `pos` is the reference. */
void fe_drone_need_secret(struct pbuild *pb, const char *name, struct ir_pos pos);

/* environment: {NAME: value, TOKEN: {from_secret: token}} */
void fe_drone_lower_env(struct pbuild *pb, const struct fe_node *n,
			struct envb *env, struct refb *refs);

/* Lowers one step or service map into `s`. */
void fe_drone_step(struct pbuild *pb, const struct fe_node *map, bool service,
		   struct ir_step *s);

/* healthcheck: {...} (drone_ext.c); call once s->detach is final. */
void fe_drone_health(struct pbuild *pb, const struct fe_node *n, struct ir_step *s);

/* exports: [...] and imports: [...] of step `s`. */
void fe_drone_artifacts(struct pbuild *pb, const struct fe_node *exports,
			const struct fe_node *imports, struct ir_step *s);

/*
 * Once every step is lowered: an import that gives no path takes the
 * path of the first export of its name.
 */
void fe_drone_import_paths(struct pbuild *pb);

/*
 * type: the backend and runner of `p` from the pipeline's keys `v` (bit i
 * of `given` set when key i is written), and the checks of the keys only
 * some runner types read (drone_runner.c).
 */
void fe_drone_runner(struct lower *lw, const struct fe_node *doc,
		     const struct fe_node *const *v, uint32_t given,
		     struct ir_pipeline *p);

/*
 * The type of runner i and, in *server, the keys its `server` takes
 * (NULL for none); NULL past the last runner.  For the schema.
 */
const char *fe_runner_server(size_t i, const struct fe_keyset **server);

/* Parses "512MiB", "1g", 1048576 into bytes; -1 when malformed. */
int64_t fe_drone_size(const char *s);

#endif
