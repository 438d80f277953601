/*
 * frontend.h - turns the files users write into IR v3.
 *
 * Input is one of: a Drone-style YAML pipeline file (`.drone.yml`), an
 * IR v3 JSON file, or a drone-runtime IR file of either published
 * generation (the 2017-18 stage format or the 2019 spec format).
 * fe_compile() tells them apart by content and lowers each to IR v3.
 *
 * Everything it returns lives in the caller's arena; diagnostics go to
 * the caller's list, positioned at the text the user wrote.
 */
#ifndef PIPEC_FRONTEND_H
#define PIPEC_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>

#include "ir/ir.h"

/* Files larger than this are refused with a diagnostic. */
#define FE_MAX_INPUT (64u * 1024 * 1024)

/*
 * The build that `when` and `trigger` are evaluated against, and the
 * variables `${VAR}` substitution reads.  A NULL field is unknown: a
 * condition on it does not rule anything out.
 */
struct fe_context {
	const char *branch, *event, *ref, *repo, *target;
	const char *cron, *instance, *action, *commit;
	/* Where `kind: template` documents find the files they load; NULL:
	 * such documents are skipped with a warning. */
	const char *templates;
	/* The git checkout the defaults were read from: its top directory
	 * (where `.git` is), its git directory (a `.git` file's target) and
	 * the common one (a worktree's shared `.git`, else the git
	 * directory), as git finds them from the checkout, a relative target
	 * joined to the directory naming it; NULL outside a checkout. */
	const char *checkout, *gitdir, *commondir;
	/* Returns the value of a substitution variable, or NULL if unset. */
	const char *(*getvar)(void *arg, const char *name);
	void *getvar_arg;
};

/*
 * Compiles `text` (`len` bytes, read from `path`) into IR v3.  Returns
 * the IR even when errors were recorded in `dl`, so a checker can report
 * the rest of the file's problems in the same run: the caller tells by
 * the error count, and IR lowered with errors is only to be checked,
 * never run or written (its steps and pipelines that had errors are
 * marked `incomplete`).  NULL when nothing could be read at all (and
 * for JSON input with errors).  Warnings alone do not fail.  IR without
 * errors holds a pipeline, but for one file: a YAML file whose pipelines
 * are all in templates left for a Drone server (no --templates), which is
 * valid and builds nothing here ([template-skipped] says why).
 */
struct ir_doc *fe_compile(const char *path, const char *text, size_t len,
			  const struct fe_context *ctx, struct ir_arena *a,
			  struct diag_list *dl);

/*
 * Reads `path` ("-" is stdin) and compiles it as fe_compile() does.
 * Diagnostics name the input `name`, or when NULL the path (stdin is
 * "<stdin>").  The text is freed as soon as it has been read, so a large
 * file is not held while it is lowered.
 */
struct ir_doc *fe_compile_file(const char *path, const char *name,
			       const struct fe_context *ctx, struct ir_arena *a,
			       struct diag_list *dl);

/*
 * The JSON Schema (draft-07) of the YAML dialect, for editors using
 * yaml-language-server: every key the compiler accepts, with its type and
 * a description, generated from the same table the compiler checks
 * against.  The caller frees the text with free().
 */
char *fe_yaml_schema(void);

/* Fills `ctx` from the environment and the git checkout in `dir`. */
void fe_context_default(struct fe_context *ctx, const char *dir,
			struct ir_arena *a);

/* ---- A file's structure, for editors -------------------------------- */

/*
 * What an editor asks of a YAML pipeline file: what each document defines
 * (pipelines, steps, services, volumes, secrets, anchors), what refers to
 * those definitions by name, and which keys a map at the cursor takes.
 * Unlike fe_compile(), an outline never fails: a file broken half-way, as
 * one being typed is, gives what was read before the break, and the maps
 * still open there run to the end of the file.  An outline owns
 * everything it returns; fe_outline_free() releases it.
 */

/*
 * A stretch of text.  Lines and columns count from 1, columns in
 * characters (as diagnostics count them); the end is just past the last
 * character.
 */
struct fe_span {
	int line, col, end_line, end_col;
};

enum fe_item_kind {
	/* what a file defines */
	FE_DEF_PIPELINE, FE_DEF_STEP, FE_DEF_SERVICE, FE_DEF_VOLUME,
	FE_DEF_SECRET, FE_DEF_ANCHOR,
	/* what names a definition */
	FE_USE_STEP,            /* an entry of a step's depends_on */
	FE_USE_PIPELINE,        /* an entry of a pipeline's depends_on */
	FE_USE_ALIAS,           /* *name */
	FE_USE_SECRET,          /* from_secret: name */
	FE_USE_VOLUME,          /* the name of a step's volume mount */
};

struct fe_item {
	enum fe_item_kind kind;
	const char *name;
	struct fe_span name_span;   /* the name as written, inside any quotes */
	struct fe_span span;        /* the whole definition; the name for a use */
	int doc;                    /* the YAML document it is in, from 0 */
	int parent;                 /* a step's, service's or volume's pipeline; else -1 */
};

/* A key a map may hold, and what it means. */
struct fe_key_doc {
	const char *name;
	const char *desc;
	bool nested;                /* its value is a map or a list of maps */
	const char *const *values;  /* the values it takes, NULL-terminated; or NULL */
};

struct fe_outline;

/* Reads the structure of `text` (`len` bytes).  NULL only when out of memory. */
struct fe_outline *fe_outline_new(const char *text, size_t len);
void fe_outline_free(struct fe_outline *o);

/* The items in the order they were written. */
const struct fe_item *fe_outline_items(const struct fe_outline *o, size_t *n);

/*
 * The keys a map may hold where a key is typed at `line`, `col` (the
 * column the key starts at): the innermost map over that line whose keys
 * start at that column.  Returns how many were written to `out` (at most
 * `cap`); sets bit i of *present (may be NULL) when the map already has
 * key i on another line.
 */
size_t fe_outline_keys_at(const struct fe_outline *o, int line, int col,
			  struct fe_key_doc *out, size_t cap, unsigned long long *present);

/*
 * The key written at `line`, `col`, or whose scalar value is there: fills
 * `doc` and `span` (the key's name), sets *is_value when the position is
 * on the value, and returns true.
 */
bool fe_outline_key_at(const struct fe_outline *o, int line, int col,
		       struct fe_key_doc *doc, struct fe_span *span, bool *is_value);

#endif
