/*
 * diagnose.c - a document's findings, as `pipec lint` gives them, in the
 * editor's terms.
 *
 * The text is compiled and checked in memory with the settings the
 * editor gave (trust, strictness, build context); each finding becomes an
 * LSP diagnostic whose range runs from the finding's position to the end
 * of the token written there, with the rule id as its code and the rule's
 * page as its description.  Findings in another file (a template) are
 * not this document's and are left out.
 */
#include <string.h>

#include "lsp/internal.h"

/* LSP severities: 1 error, 2 warning, 3 information. */
static int severity(enum diag_severity sev, bool strict)
{
	switch (sev) {
	case DIAG_ERROR: return 1;
	case DIAG_WARNING: return strict ? 1 : 2;
	default: return 3;
	}
}

/* The second places of a finding in this document, as LSP relates them. */
static void add_related(cJSON *o, struct lsp_doc *d, const struct diag *g)
{
	cJSON *list = NULL;
	for (size_t i = 0; i < g->nrelated; i++) {
		const struct diag_related *r = &g->related[i];
		if ((r->pos.file && strcmp(r->pos.file, d->path) != 0) || r->pos.line < 1)
			continue;
		if (!list)
			list = cJSON_AddArrayToObject(o, "relatedInformation");
		cJSON *ri = cJSON_CreateObject();
		cJSON *loc = cJSON_AddObjectToObject(ri, "location");
		cJSON_AddStringToObject(loc, "uri", d->uri);
		struct lsp_pos at = {r->pos.line, r->pos.col > 0 ? r->pos.col : 1};
		cJSON_AddItemToObject(loc, "range", lsp_range_json(d, lsp_token_span(d, at)));
		cJSON_AddStringToObject(ri, "message", r->message);
		cJSON_AddItemToArray(list, ri);
	}
}

static cJSON *diagnostic(struct lsp_server *s, struct lsp_doc *d, const struct diag *g,
			 struct ir_arena *a)
{
	struct lsp_pos at = {g->pos.line > 0 ? g->pos.line : 1, g->pos.col > 0 ? g->pos.col : 1};
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "range", lsp_range_json(d, lsp_token_span(d, at)));
	cJSON_AddNumberToObject(o, "severity", severity(g->severity, s->settings.strict));
	cJSON_AddStringToObject(o, "source", "pipec");
	cJSON_AddStringToObject(o, "message", g->message);
	add_related(o, d, g);
	if (g->rule) {
		cJSON_AddStringToObject(o, "code", g->rule);
		if (s->opts.rules_uri) {
			cJSON *cd = cJSON_AddObjectToObject(o, "codeDescription");
			char *href = ir_printf(a, "%s%s.md", s->opts.rules_uri, g->rule);
			cJSON_AddStringToObject(cd, "href", href);
		}
	}
	return o;
}

static bool ours(const struct lsp_doc *d, const struct diag *g)
{
	return !g->pos.file || strcmp(g->pos.file, d->path) == 0;
}

void lsp_publish_diagnostics(struct lsp_server *s, struct lsp_doc *d)
{
	struct diag_list dl;
	diag_list_init(&dl);
	struct ir_arena *a = ir_arena_new();
	struct ir_doc *doc = fe_compile(d->path, d->text, d->len, &s->settings.ctx, a, &dl);
	if (doc)
		val_check(doc, &s->settings.policy, &dl);
	diag_sort(&dl);

	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "method", "textDocument/publishDiagnostics");
	cJSON *p = cJSON_AddObjectToObject(m, "params");
	cJSON_AddStringToObject(p, "uri", d->uri);
	cJSON_AddNumberToObject(p, "version", d->version);
	cJSON *list = cJSON_AddArrayToObject(p, "diagnostics");
	for (size_t i = 0; i < dl.len; i++)
		if (ours(d, &dl.items[i]))
			cJSON_AddItemToArray(list, diagnostic(s, d, &dl.items[i], a));
	lsp_send(s, m);
	d->dirty = false;
	ir_arena_free(a);
	diag_list_release(&dl);
}
