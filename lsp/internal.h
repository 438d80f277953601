/*
 * internal.h - what the language server's files share; nothing outside
 * lsp/ includes it.
 *
 * server.c reads each message and dispatches it; text.c keeps a
 * document's text and converts between the editor's positions (lines
 * from 0, columns in UTF-16 code units) and the compiler's (lines and
 * columns from 1, columns in characters); diagnose.c, navigate.c and
 * assist.c answer from a document's compiled form and its outline.
 */
#ifndef PIPEC_LSP_INTERNAL_H
#define PIPEC_LSP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "frontend/frontend.h"
#include "lsp/lsp.h"
#include "validate/validate.h"

/* Most documents open at once; more are refused. */
#define LSP_MAX_DOCUMENTS 256

/* ---- Documents (text.c) ---------------------------------------------- */

struct lsp_doc {
	char *uri;
	char *path;                 /* the file the URI names, for diagnostics */
	char *text;
	size_t len;
	size_t *lines;              /* byte offset of each line's start */
	size_t nlines;
	int version;
	bool dirty;                 /* changed since diagnostics were last published */
	struct fe_outline *outline; /* of the current text; made on first use */
};

/* A position as the compiler counts: line and column from 1, in characters. */
struct lsp_pos {
	int line, col;
};

struct lsp_doc *lsp_doc_new(const char *uri, const char *text, size_t len, int version);
void lsp_doc_free(struct lsp_doc *d);

/* Replaces the whole text, or with `range` only that part of it. */
int lsp_doc_edit(struct lsp_doc *d, const cJSON *range, const char *text, size_t len);

/* The document's outline, read on first use after each change. */
const struct fe_outline *lsp_doc_outline(struct lsp_doc *d);

/* An LSP position ({line, character}) as the compiler counts; false when malformed. */
bool lsp_pos_from_json(const struct lsp_doc *d, const cJSON *pos, struct lsp_pos *out);

/* An LSP range of a span the compiler gave. */
cJSON *lsp_range_json(const struct lsp_doc *d, struct fe_span s);

/* A span from `at` to the end of the token written there. */
struct fe_span lsp_token_span(const struct lsp_doc *d, struct lsp_pos at);

/* The byte offset of character column `col` (from 1) in `line`, clamped to its end. */
size_t lsp_col_offset(const char *line, size_t len, int col);

/* The text of line `line` (from 1) and its length, without the newline. */
const char *lsp_line(const struct lsp_doc *d, int line, size_t *len);

/* ---- The server (server.c) -------------------------------------------- */

struct lsp_settings {
	struct val_policy policy;
	bool strict;
	struct fe_context ctx;
	struct ir_arena *arena;     /* the context's strings */
};

struct lsp_server {
	struct lsp_options opts;
	struct lsp_doc *docs[LSP_MAX_DOCUMENTS];
	size_t ndocs;
	struct lsp_settings settings;
	char *root;                 /* the workspace folder, for the build context */
	bool initialized, shut_down, exited;
	cJSON *cancelled;           /* ids of requests cancelled before they were answered */
};

struct lsp_doc *lsp_find_doc(struct lsp_server *s, const cJSON *params);
void lsp_send(struct lsp_server *s, cJSON *msg);

/* ---- Answers ---------------------------------------------------------- */

/* Compiles and checks `d`, and publishes what was found. */
void lsp_publish_diagnostics(struct lsp_server *s, struct lsp_doc *d);

cJSON *lsp_definition(struct lsp_doc *d, const cJSON *params);
cJSON *lsp_references(struct lsp_doc *d, const cJSON *params);
cJSON *lsp_rename(struct lsp_doc *d, const cJSON *params, const char **error);
cJSON *lsp_prepare_rename(struct lsp_doc *d, const cJSON *params);
cJSON *lsp_document_symbols(struct lsp_doc *d);

cJSON *lsp_completion(struct lsp_doc *d, const cJSON *params);
cJSON *lsp_hover(struct lsp_server *s, struct lsp_doc *d, const cJSON *params);
cJSON *lsp_code_actions(struct lsp_server *s, struct lsp_doc *d, const cJSON *params);

/* The item whose name is at `at`, or NULL. */
const struct fe_item *lsp_item_at(struct lsp_doc *d, struct lsp_pos at);

/* The definition an item names (itself for a definition), or NULL. */
const struct fe_item *lsp_definition_of(struct lsp_doc *d, const struct fe_item *it);

#endif
