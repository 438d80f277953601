/*
 * navigate.c - go to definition, find references, rename and the symbol
 * tree, all from the document's outline.
 *
 * A name is resolved as the compiler resolves it: a step's depends_on
 * entry names a step or service of the same document, a pipeline's names
 * a pipeline of any document, an alias the nearest anchor of that name
 * written before it, from_secret a `kind: secret` document, a mount a
 * volume of the same pipeline.  References and rename start from either
 * end of that link, so renaming a step renames every depends_on entry
 * naming it.
 */
#include <stdlib.h>
#include <string.h>

#include "lsp/internal.h"

static bool in_span(struct fe_span s, struct lsp_pos at)
{
	if (at.line < s.line || at.line > s.end_line)
		return false;
	if (at.line == s.line && at.col < s.col)
		return false;
	return !(at.line == s.end_line && at.col > s.end_col);
}

const struct fe_item *lsp_item_at(struct lsp_doc *d, struct lsp_pos at)
{
	size_t n;
	const struct fe_item *items = fe_outline_items(lsp_doc_outline(d), &n);
	for (size_t i = 0; i < n; i++)
		if (in_span(items[i].name_span, at))
			return &items[i];
	return NULL;
}

static bool is_use(const struct fe_item *it)
{
	return it->kind >= FE_USE_STEP;
}

/* Whether definition `def` is what `use` names. */
static bool names(const struct fe_item *use, const struct fe_item *def)
{
	if (strcmp(use->name, def->name) != 0)
		return false;
	switch (use->kind) {
	case FE_USE_STEP:
		return (def->kind == FE_DEF_STEP || def->kind == FE_DEF_SERVICE) && def->doc == use->doc;
	case FE_USE_PIPELINE: return def->kind == FE_DEF_PIPELINE;
	case FE_USE_SECRET: return def->kind == FE_DEF_SECRET;
	case FE_USE_VOLUME: return def->kind == FE_DEF_VOLUME && def->doc == use->doc;
	case FE_USE_ALIAS: return def->kind == FE_DEF_ANCHOR && def < use;
	default: return false;
	}
}

const struct fe_item *lsp_definition_of(struct lsp_doc *d, const struct fe_item *it)
{
	if (!is_use(it))
		return it;
	size_t n;
	const struct fe_item *items = fe_outline_items(lsp_doc_outline(d), &n);
	const struct fe_item *found = NULL;
	for (size_t i = 0; i < n; i++)
		if (names(it, &items[i]) && (!found || it->kind == FE_USE_ALIAS))
			found = &items[i];     /* an alias takes the latest anchor before it */
	return found;
}

static cJSON *location(const struct lsp_doc *d, struct fe_span s)
{
	cJSON *l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "uri", d->uri);
	cJSON_AddItemToObject(l, "range", lsp_range_json(d, s));
	return l;
}

/* The item at the request's position, or NULL. */
static const struct fe_item *item_of(struct lsp_doc *d, const cJSON *params)
{
	struct lsp_pos at;
	if (!lsp_pos_from_json(d, cJSON_GetObjectItemCaseSensitive(params, "position"), &at))
		return NULL;
	return lsp_item_at(d, at);
}

cJSON *lsp_definition(struct lsp_doc *d, const cJSON *params)
{
	const struct fe_item *it = item_of(d, params);
	const struct fe_item *def = it ? lsp_definition_of(d, it) : NULL;
	return def ? location(d, def->name_span) : NULL;
}

/* Every item that is `def` or names it, in the order written: a malloc'd
 * array the caller frees, its length in *k. */
static const struct fe_item **occurrences(struct lsp_doc *d, const struct fe_item *def, size_t *k)
{
	size_t n;
	const struct fe_item *items = fe_outline_items(lsp_doc_outline(d), &n);
	const struct fe_item **out = malloc((n + 1) * sizeof *out);
	if (!out)
		ir_oom();
	*k = 0;
	for (size_t i = 0; i < n; i++)
		if (&items[i] == def || (is_use(&items[i]) && lsp_definition_of(d, &items[i]) == def))
			out[(*k)++] = &items[i];
	return out;
}

/* The definition the request's position is on or names. */
static const struct fe_item *target(struct lsp_doc *d, const cJSON *params)
{
	const struct fe_item *it = item_of(d, params);
	return it ? lsp_definition_of(d, it) : NULL;
}

cJSON *lsp_references(struct lsp_doc *d, const cJSON *params)
{
	const struct fe_item *def = target(d, params);
	if (!def)
		return NULL;
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(params, "context");
	bool with_decl = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctx, "includeDeclaration"));
	size_t n;
	const struct fe_item **found = occurrences(d, def, &n);
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		if (with_decl || found[i] != def)
			cJSON_AddItemToArray(list, location(d, found[i]->name_span));
	free(found);
	return list;
}

/* Steps, pipelines, services, volumes and secrets can be renamed; anchors too. */
cJSON *lsp_prepare_rename(struct lsp_doc *d, const cJSON *params)
{
	const struct fe_item *it = item_of(d, params);
	if (!it || !lsp_definition_of(d, it))
		return NULL;
	cJSON *r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "range", lsp_range_json(d, it->name_span));
	cJSON_AddStringToObject(r, "placeholder", it->name);
	return r;
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (strchr(" \t\r\n:#,[]{}\"'&*", *s))
			return false;
	return true;
}

cJSON *lsp_rename(struct lsp_doc *d, const cJSON *params, const char **error)
{
	const cJSON *nn = cJSON_GetObjectItemCaseSensitive(params, "newName");
	if (!cJSON_IsString(nn) || !valid_name(nn->valuestring)) {
		*error = "a name cannot be empty or hold spaces or YAML punctuation";
		return NULL;
	}
	const struct fe_item *def = target(d, params);
	if (!def)
		return NULL;
	size_t n;
	const struct fe_item **found = occurrences(d, def, &n);
	cJSON *edit = cJSON_CreateObject();
	cJSON *edits = cJSON_AddArrayToObject(cJSON_AddObjectToObject(edit, "changes"), d->uri);
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToObject(e, "range", lsp_range_json(d, found[i]->name_span));
		cJSON_AddStringToObject(e, "newText", nn->valuestring);
		cJSON_AddItemToArray(edits, e);
	}
	free(found);
	return edit;
}

/* LSP symbol kinds. */
enum { SK_MODULE = 2, SK_FUNCTION = 12, SK_OBJECT = 19, SK_KEY = 20, SK_STRUCT = 23 };

static cJSON *symbol(const struct lsp_doc *d, const struct fe_item *it, int kind, const char *detail)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", it->name);
	cJSON_AddStringToObject(s, "detail", detail);
	cJSON_AddNumberToObject(s, "kind", kind);
	struct fe_span whole = it->span;
	if (whole.line > it->name_span.line || (whole.line == it->name_span.line && whole.col > it->name_span.col))
		whole = it->name_span;  /* a definition cut short by a syntax error */
	cJSON_AddItemToObject(s, "range", lsp_range_json(d, whole));
	cJSON_AddItemToObject(s, "selectionRange", lsp_range_json(d, it->name_span));
	return s;
}

static cJSON *child_symbol(const struct lsp_doc *d, const struct fe_item *it)
{
	switch (it->kind) {
	case FE_DEF_STEP: return symbol(d, it, SK_FUNCTION, "step");
	case FE_DEF_SERVICE: return symbol(d, it, SK_OBJECT, "service");
	default: return symbol(d, it, SK_STRUCT, "volume");
	}
}

cJSON *lsp_document_symbols(struct lsp_doc *d)
{
	size_t n;
	const struct fe_item *items = fe_outline_items(lsp_doc_outline(d), &n);
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		const struct fe_item *it = &items[i];
		if (it->kind == FE_DEF_PIPELINE) {
			cJSON *p = symbol(d, it, SK_MODULE, "pipeline");
			cJSON *kids = cJSON_AddArrayToObject(p, "children");
			for (size_t k = 0; k < n; k++)
				if (items[k].parent == (int)i)
					cJSON_AddItemToArray(kids, child_symbol(d, &items[k]));
			cJSON_AddItemToArray(list, p);
		} else if (it->kind == FE_DEF_SECRET) {
			cJSON_AddItemToArray(list, symbol(d, it, SK_KEY, "secret"));
		} else if (it->kind >= FE_DEF_STEP && it->kind <= FE_DEF_VOLUME && it->parent < 0) {
			cJSON_AddItemToArray(list, child_symbol(d, it));
		}
	}
	return list;
}
