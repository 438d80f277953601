/*
 * internal.h - what the frontend's files share; nothing outside
 * frontend/ includes it.
 *
 * The YAML file is first read into a tree of nodes that remember where
 * they were written (yaml.c), then each document is lowered to IR by the
 * dialect's lowering (drone.c).  Substitution (subst.re), the command
 * script (script.c) and condition evaluation (when.c) work per node, so
 * every diagnostic keeps an exact position.
 */
#ifndef PIPEC_FRONTEND_INTERNAL_H
#define PIPEC_FRONTEND_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "frontend/frontend.h"

/* Ceilings: a hostile file gets a diagnostic, not unbounded work. */
#define FE_MAX_DEPTH 64             /* nesting of sequences and maps */
#define FE_MAX_ALIAS_NODES 100000   /* nodes visited through aliases */
#define FE_MAX_DOCUMENTS 1000

enum fe_node_kind { FE_SCALAR, FE_SEQ, FE_MAP };

/* How a scalar was written; quoting moves its text right of its position. */
enum fe_style { FE_STYLE_PLAIN, FE_STYLE_SINGLE, FE_STYLE_DOUBLE,
		FE_STYLE_LITERAL, FE_STYLE_FOLDED };

struct fe_pair;

/*
 * One YAML node.  Aliases are resolved when read: a node may be shared.
 * A large file has a hundred thousand nodes, so a node is 24 bytes: the
 * kinds share one pointer and one count, the counts are 32-bit (the
 * input stops at FE_MAX_INPUT), and the file, the same for every node of
 * a read, is kept by whoever reads the tree.  Read `str` and `len` only
 * on a scalar, `items` and `nitems` only on a sequence, `pairs` and
 * `npairs` only on a map.
 */
struct fe_node {
	union {
		char *str;              /* FE_SCALAR: len bytes and a NUL */
		struct fe_node **items; /* FE_SEQ */
		struct fe_pair *pairs;  /* FE_MAP, merge keys (<<) applied */
	};
	uint32_t line, col;         /* where the node (or alias) starts */
	union {
		uint32_t len, nitems, npairs;
	};
	/* Nodes in the subtree with aliases expanded (saturating): what
	 * reading it again through an alias costs. */
	uint32_t weight : 24;
	uint32_t kind : 2;          /* enum fe_node_kind */
	uint32_t alias : 1;         /* written as an alias (*name) */
	uint32_t aliased : 1;       /* written with an anchor some alias refers to */
	uint32_t plain : 1;         /* unquoted and untagged: may be null, bool or number */
	uint32_t style : 3;         /* enum fe_style */
};

#define FE_WEIGHT_MAX ((1u << 24) - 1)
_Static_assert(FE_MAX_ALIAS_NODES < FE_WEIGHT_MAX, "a saturated weight is over the alias ceiling");

/* Where `n` was written in `file`, as diagnostics and the IR take it. */
static inline struct ir_pos fe_pos(const char *file, const struct fe_node *n)
{
	return (struct ir_pos){.file = file, .line = (int)n->line, .col = (int)n->col};
}

struct fe_pair {
	struct fe_node *key, *value;
};

_Static_assert(FE_MAX_INPUT <= UINT32_MAX, "node sizes and counts fit 32 bits");

struct fe_docs {
	struct fe_node **v;
	size_t n;
	const char *file;           /* the path the nodes were read from */
	/* Where the nodes and their arrays go, when not in the main arena:
	 * set before reading to free the tree once it is lowered. */
	struct ir_arena *tree;
	/* When set, each document is handed to it as soon as it is read and
	 * not kept: with `tree` set, that arena is emptied after each, so a
	 * stream of many documents holds one document's nodes at a time. */
	void (*each)(void *arg, const struct fe_node *doc);
	void *each_arg;
	/* With `each`: the text is private anonymous pages of the caller's
	 * (page-aligned), whose read part may be given back as the reader
	 * goes (madvise); they then read as zeros. */
	bool release_text;
};

/*
 * Reads every document of a YAML stream (or hands each to out->each).
 * Positions count from 1; anchors name nodes of their own document.  On
 * a syntax error or a ceiling, records a diagnostic and returns -1; the
 * documents read before it are kept in `out` (or were handed out).  Scalar text is allocated
 * in `a`, the nodes in out->tree when set, else in `a` too.
 */
int fe_yaml_read(const char *path, const char *text, size_t len,
		 struct ir_arena *a, struct fe_docs *out, struct diag_list *dl);

/* Frees docs->tree, the nodes read into it, and empties `docs`. */
void fe_docs_release(struct fe_docs *docs);

/* The value of `key` in a map node, or NULL. */
struct fe_node *fe_map_get(const struct fe_node *map, const char *key);

/*
 * Asks the cache for the subtree of `n` ahead of a walk over it, such as
 * the next step's while this one is lowered.  Only a hint: a large file's
 * tree is far beyond the cache, and lowering waited on it step by step.
 */
void fe_prefetch(const struct fe_node *n);

/* Whether 4 bytes spell null (`null`, `Null`, `NULL`). */
bool fe_null_word(const char *s);

/*
 * True for a plain scalar spelling null (`~`, `null`, empty).  Inline:
 * every key check asks it of every value, and length alone settles most.
 */
static inline bool fe_is_null(const struct fe_node *n)
{
	if (!n || n->kind != FE_SCALAR || !n->plain)
		return false;
	switch (n->len) {
	case 0: return true;
	case 1: return n->str[0] == '~';
	case 4: return fe_null_word(n->str);
	default: return false;
	}
}

/*
 * Expands ${VAR} forms in one scalar (see docs/yaml.md for the forms).
 * `pos` is the scalar's position, for diagnostics.  When `in_commands`
 * is set, a reference the user most likely meant for the shell gets a
 * warning.  Returns the expanded string in the arena, or NULL after
 * recording an error.  `in` must have a NUL at `len` (node strings do);
 * when it holds no `$` it is returned itself, not copied.
 */
char *fe_subst(const char *in, size_t len, const struct fe_context *ctx,
	       bool in_commands, struct ir_pos pos, struct ir_arena *a,
	       struct diag_list *dl);

/*
 * Lowers `commands` to the shell script a step runs: stop at the first
 * failure, echo each command prefixed with `+ ` before running it.
 */
char *fe_script(char *const *commands, size_t n, struct ir_arena *a);

/*
 * Evaluates a `when` (step) or `trigger` (pipeline) map against `ctx`.
 * Sets *policy from `status`; sets *skip when another clause rules the
 * step out.  Returns -1 after recording errors in malformed clauses.
 */
int fe_when_eval(const struct fe_node *when, const struct fe_context *ctx,
		 enum ir_run_policy *policy, struct ir_skip **skip,
		 struct ir_arena *a, const char *file, struct diag_list *dl);

/*
 * Reports the key of pair `p`, which `names` (the keys of `where`, such as
 * "step") does not hold: a warning with the closest name, as Drone ignores
 * such keys.  Anchor holders get nothing: keys beginning `x-` or `.`, and
 * keys whose value holds an anchor that an alias refers to.
 */
void fe_unknown_key(const char *file, const struct fe_pair *p, const char *where,
		    const char *const *names, size_t n, struct diag_list *dl);

/* Glob match as conditions use it: `*`, `**`, `?`, `[...]`, `{a,b}`. */
bool fe_glob_match(const char *pattern, const char *s);

/*
 * The same on counted strings.  With `path` set, `*` and `?` stop at `/`
 * (conditions); without, they match any byte (shell patterns in ${VAR#p}).
 * Returns 1 or 0, or -1 for a malformed or oversized pattern.
 */
int fe_glob_match_n(const char *pattern, size_t plen, const char *s,
		    size_t slen, bool path);

/* fe_when_eval() for a pipeline's `trigger`: reasons name `trigger.`. */
int fe_trigger_eval(const struct fe_node *trigger, const struct fe_context *ctx,
		    enum ir_run_policy *policy, struct ir_skip **skip,
		    struct ir_arena *a, const char *file, struct diag_list *dl);

/*
 * Reads the whole stream, stopping just past FE_MAX_INPUT: a regular
 * file over it is refused before a byte is read.  Returns the text with
 * a NUL after its `len` bytes, to free(); NULL after recording an error
 * naming `name`.
 */
char *fe_read_stream(FILE *fp, const char *name, size_t *len, struct diag_list *dl);

/* Lowers drone-runtime IR (either generation) parsed from JSON text. */
struct ir_doc *fe_drone_runtime_import(const char *path, const char *text,
				       size_t len, struct ir_arena *a,
				       struct diag_list *dl);

/*
 * Lowers Drone YAML documents (kind: pipeline/secret/signature/template)
 * one at a time, so a document's nodes may be freed once it is lowered:
 * fe_drone_begin() for a file, fe_drone_doc() for each of its documents
 * in order (a fe_docs `each`), fe_drone_end() for the IR.  A pipeline
 * may use a secret a later document declares.
 */
struct fe_lowering;
struct fe_lowering *fe_drone_begin(const char *file, const struct fe_context *ctx,
				   struct ir_arena *a, struct diag_list *dl);
void fe_drone_doc(void *lowering, const struct fe_node *doc);
struct ir_doc *fe_drone_end(struct fe_lowering *l);

#endif
