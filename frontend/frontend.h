/*
 * frontend.h - turns the files users write into IR v2.
 *
 * Input is one of: a Drone-style YAML pipeline file (`.drone.yml`), an
 * IR v2 JSON file, or a drone-runtime IR file of either published
 * generation (the 2017-18 stage format or the 2019 spec format).
 * fe_compile() tells them apart by content and lowers each to IR v2.
 *
 * Everything it returns lives in the caller's arena; diagnostics go to
 * the caller's list, positioned at the text the user wrote.
 */
#ifndef PIPEC_FRONTEND_H
#define PIPEC_FRONTEND_H

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
	/* Returns the value of a substitution variable, or NULL if unset. */
	const char *(*getvar)(void *arg, const char *name);
	void *getvar_arg;
	/* When non-NULL: the directory local runs use as the workspace. */
	const char *workspace_dir;
};

/*
 * Compiles `text` (`len` bytes, read from `path`) into IR v2.  Returns
 * NULL when any error was recorded in `dl`; warnings alone do not fail.
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

#endif
