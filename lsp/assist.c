/*
 * assist.c - completion, hover and quick fixes.
 *
 * Completion looks at the line being typed.  A bare word at the start of
 * a line (or after `- `) is a key: the outline says which map takes keys
 * at that column, and the dialect's key table which keys it takes, less
 * those it has.  After `key:` (or as an item of `key:`'s list) comes a
 * value: step names for a step's depends_on, pipeline names for a
 * pipeline's, secrets for from_secret, volumes for a mount's name, and
 * the fixed values the key table lists (pull policies, events, ...).
 *
 * Hover explains the key under the cursor, or on a `${VAR}` tells the
 * value it takes in the editor's build context.  Quick fixes replace a
 * name the compiler did not know with the nearest one it does, the same
 * suggestion the finding's message makes (ir_suggest()), and pin an
 * untagged image to a tag the local engine holds, when the caller gave a
 * way to ask one (lsp_options.image_tags).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lsp/internal.h"

/* Most keys of one map, and most names offered at once. */
#define ASSIST_MAX_KEYS 64
#define ASSIST_MAX_NAMES 512

/* LSP completion item kinds. */
enum { CK_VALUE = 12, CK_PROPERTY = 10, CK_REFERENCE = 18, CK_ENUM_MEMBER = 20 };

static size_t indent_of(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && line[i] == ' ')
		i++;
	return i;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == '/';
}

/* Which YAML document line `line` is in, counted as libyaml counts them. */
static int doc_of_line(const struct lsp_doc *d, int line)
{
	int doc = -1;
	for (int l = 1; l <= line; l++) {
		size_t len;
		const char *t = lsp_line(d, l, &len);
		if (len >= 3 && memcmp(t, "---", 3) == 0 && (len == 3 || isspace((unsigned char)t[3])))
			doc++;
		else if (doc < 0 && len && t[0] != '#' && !isspace((unsigned char)t[0]))
			doc = 0;
	}
	return doc < 0 ? 0 : doc;
}

static void add_item(cJSON *list, const char *label, int kind, const char *detail,
		     const char *insert)
{
	for (cJSON *e = list->child; e; e = e->next)
		if (strcmp(cJSON_GetObjectItemCaseSensitive(e, "label")->valuestring, label) == 0)
			return;
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "label", label);
	cJSON_AddNumberToObject(c, "kind", kind);
	if (detail)
		cJSON_AddStringToObject(c, "detail", detail);
	if (insert)
		cJSON_AddStringToObject(c, "insertText", insert);
	cJSON_AddItemToArray(list, c);
}

/* Names of the definitions of `kind`, in document `doc` (any when -1). */
static void add_defs(cJSON *list, struct lsp_doc *d, enum fe_item_kind kind, int doc,
		     const char *detail)
{
	size_t n;
	const struct fe_item *items = fe_outline_items(lsp_doc_outline(d), &n);
	for (size_t i = 0; i < n; i++)
		if ((items[i].kind == kind ||
		     (kind == FE_DEF_STEP && items[i].kind == FE_DEF_SERVICE)) &&
		    (doc < 0 || items[i].doc == doc))
			add_item(list, items[i].name, CK_REFERENCE, detail, NULL);
}

static void key_items(cJSON *list, struct lsp_doc *d, int line, int col)
{
	struct fe_key_doc keys[ASSIST_MAX_KEYS];
	unsigned long long present;
	size_t n = fe_outline_keys_at(lsp_doc_outline(d), line, col, keys, ASSIST_MAX_KEYS, &present);
	for (size_t i = 0; i < n; i++) {
		if (present >> i & 1)
			continue;
		char insert[128];
		snprintf(insert, sizeof insert, "%s: ", keys[i].name);
		add_item(list, keys[i].name, CK_PROPERTY, keys[i].desc, insert);
	}
}

/*
 * The key whose value is typed at `line` after `text[0..at)`: on the same
 * line (`key: va`, `key: [a, b`) or, for a list item (`- va`), the
 * nearest line above that opens a list with `key:`.  Fills `key` and the
 * key's position; false when there is none.
 */
static bool value_key(const struct lsp_doc *d, int line, const char *text, size_t at,
		      char *key, size_t cap, struct lsp_pos *kpos)
{
	size_t i = indent_of(text, at);
	if (i + 1 < at && text[i] == '-' && text[i + 1] == ' ') {
		size_t item = i;
		i += 2;
		while (i < at && text[i] == ' ')
			i++;
		size_t k = i;
		while (k < at && word_char(text[k]))
			k++;
		if (k == at || text[k] != ':') {
			for (int l = line - 1; l >= 1; l--) {
				size_t len;
				const char *t = lsp_line(d, l, &len);
				size_t ind = indent_of(t, len);
				if (ind == len || t[ind] == '#')
					continue;
				if (ind > item || (ind == item && t[ind] == '-'))
					continue;
				return value_key(d, l, t, len, key, cap, kpos) || false;
			}
			return false;
		}
	}
	size_t k = i;
	while (k < at && word_char(text[k]))
		k++;
	if (k == i || k >= at || text[k] != ':' || k - i >= cap)
		return false;
	memcpy(key, text + i, k - i);
	key[k - i] = '\0';
	int col = 1;
	for (size_t b = 0; b < i; b++)
		col += ((unsigned char)text[b] & 0xC0) != 0x80;
	*kpos = (struct lsp_pos){line, col};
	return true;
}

static void value_items(cJSON *list, struct lsp_doc *d, int line, const char *key,
			struct lsp_pos kpos)
{
	const struct fe_outline *o = lsp_doc_outline(d);
	struct fe_key_doc doc = {0};
	struct fe_span span;
	bool is_value;
	bool known = fe_outline_key_at(o, kpos.line, kpos.col, &doc, &span, &is_value);
	int docno = doc_of_line(d, line);
	if (strcmp(key, "depends_on") == 0) {
		bool pipeline = kpos.col == 1;
		add_defs(list, d, pipeline ? FE_DEF_PIPELINE : FE_DEF_STEP, pipeline ? -1 : docno,
			 pipeline ? "pipeline" : "step");
	} else if (strcmp(key, "from_secret") == 0) {
		add_defs(list, d, FE_DEF_SECRET, -1, "secret");
	} else if (strcmp(key, "name") == 0 && known && doc.desc &&
		   strstr(doc.desc, "volume")) {
		add_defs(list, d, FE_DEF_VOLUME, docno, "volume");
	}
	for (size_t i = 0; known && doc.values && doc.values[i]; i++)
		add_item(list, doc.values[i], CK_ENUM_MEMBER, doc.desc, NULL);
}

cJSON *lsp_completion(struct lsp_doc *d, const cJSON *params)
{
	struct lsp_pos at;
	if (!lsp_pos_from_json(d, cJSON_GetObjectItemCaseSensitive(params, "position"), &at))
		return NULL;
	size_t len;
	const char *text = lsp_line(d, at.line, &len);
	size_t cur = lsp_col_offset(text, len, at.col);
	cJSON *list = cJSON_CreateArray();
	char key[64];
	struct lsp_pos kpos;
	if (value_key(d, at.line, text, cur, key, sizeof key, &kpos)) {
		value_items(list, d, at.line, key, kpos);
		return list;
	}
	size_t i = indent_of(text, cur);
	if (i + 1 < cur && text[i] == '-' && text[i + 1] == ' ')
		i += 2;
	size_t w = i;
	while (w < cur && word_char(text[w]))
		w++;
	if (w == cur)
		key_items(list, d, at.line, (int)i + 1);
	return list;
}

/* ---- Hover ------------------------------------------------------------ */

/* The ${VAR} or $VAR around byte `at` of `text`: its name in `name`. */
static bool variable_at(const char *text, size_t len, size_t at, char *name, size_t cap)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '$' || i + 1 >= len || (i && text[i - 1] == '$'))
			continue;
		size_t s = i + 1 + (text[i + 1] == '{');
		size_t e = s;
		while (e < len && (isalnum((unsigned char)text[e]) || text[e] == '_'))
			e++;
		size_t end = e + (text[i + 1] == '{' && e < len && text[e] == '}');
		if (e == s || at < i || at > end || e - s >= cap)
			continue;
		memcpy(name, text + s, e - s);
		name[e - s] = '\0';
		return true;
	}
	return false;
}

static cJSON *markdown(const char *text)
{
	cJSON *h = cJSON_CreateObject();
	cJSON *c = cJSON_AddObjectToObject(h, "contents");
	cJSON_AddStringToObject(c, "kind", "markdown");
	cJSON_AddStringToObject(c, "value", text);
	return h;
}

static cJSON *hover_variable(struct lsp_server *s, const char *name)
{
	const struct fe_context *ctx = &s->settings.ctx;
	const char *v = ctx->getvar ? ctx->getvar(ctx->getvar_arg, name) : NULL;
	char buf[1024];
	if (v)
		snprintf(buf, sizeof buf, "`${%s}` is `%s` in the current build context", name, v);
	else
		snprintf(buf, sizeof buf, "`${%s}` is not set in the current build context", name);
	return markdown(buf);
}

static cJSON *hover_key(const struct fe_key_doc *k)
{
	char buf[1024];
	int n = snprintf(buf, sizeof buf, "**%s**: %s", k->name, k->desc ? k->desc : "");
	for (size_t i = 0; k->values && k->values[i] && n > 0 && (size_t)n < sizeof buf; i++)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%s`%s`", i ? ", " : "\n\nvalues: ",
			      k->values[i]);
	return markdown(buf);
}

cJSON *lsp_hover(struct lsp_server *s, struct lsp_doc *d, const cJSON *params)
{
	struct lsp_pos at;
	if (!lsp_pos_from_json(d, cJSON_GetObjectItemCaseSensitive(params, "position"), &at))
		return NULL;
	size_t len;
	const char *text = lsp_line(d, at.line, &len);
	size_t cur = lsp_col_offset(text, len, at.col);
	char name[128];
	if (variable_at(text, len, cur, name, sizeof name))
		return hover_variable(s, name);
	struct fe_key_doc k;
	struct fe_span span;
	bool is_value;
	if (!fe_outline_key_at(lsp_doc_outline(d), at.line, at.col, &k, &span, &is_value))
		return NULL;
	cJSON *h = hover_key(&k);
	cJSON_AddItemToObject(h, "range", lsp_range_json(d, span));
	return h;
}

/* ---- Quick fixes ------------------------------------------------------ */

static char *span_text(const struct lsp_doc *d, struct fe_span s)
{
	size_t len;
	const char *t = lsp_line(d, s.line, &len);
	size_t b = lsp_col_offset(t, len, s.col), e = lsp_col_offset(t, len, s.end_col);
	char *w = malloc(e - b + 1);
	if (!w)
		ir_oom();
	memcpy(w, t + b, e - b);
	w[e - b] = '\0';
	return w;
}

static cJSON *quick_fix(const struct lsp_doc *d, const cJSON *diag, struct fe_span at,
			const char *old, const char *fix)
{
	char title[256];
	snprintf(title, sizeof title, "change '%s' to '%s'", old, fix);
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "title", title);
	cJSON_AddStringToObject(a, "kind", "quickfix");
	cJSON_AddBoolToObject(a, "isPreferred", true);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(a, "diagnostics"), cJSON_Duplicate(diag, true));
	cJSON *edits = cJSON_AddArrayToObject(cJSON_AddObjectToObject(
		cJSON_AddObjectToObject(a, "edit"), "changes"), d->uri);
	cJSON *e = cJSON_CreateObject();
	cJSON_AddItemToObject(e, "range", lsp_range_json(d, at));
	cJSON_AddStringToObject(e, "newText", fix);
	cJSON_AddItemToArray(edits, e);
	return a;
}

/* An unknown key: the nearest key its map takes. */
static cJSON *fix_key(struct lsp_doc *d, const cJSON *diag, struct lsp_pos at)
{
	struct fe_span span = lsp_token_span(d, at);
	struct fe_key_doc keys[ASSIST_MAX_KEYS];
	size_t n = fe_outline_keys_at(lsp_doc_outline(d), at.line, at.col, keys, ASSIST_MAX_KEYS, NULL);
	const char *names[ASSIST_MAX_KEYS];
	for (size_t i = 0; i < n; i++)
		names[i] = keys[i].name;
	char *word = span_text(d, span);
	const char *near = ir_suggest(word, names, n);
	cJSON *a = near ? quick_fix(d, diag, span, word, near) : NULL;
	free(word);
	return a;
}

/* A name no definition answers, in the step at `at`: the nearest defined one. */
static cJSON *fix_names(struct lsp_doc *d, const cJSON *diag, struct lsp_pos at,
			enum fe_item_kind use, enum fe_item_kind def)
{
	size_t n;
	const struct fe_item *items = fe_outline_items(lsp_doc_outline(d), &n);
	int docno = doc_of_line(d, at.line);
	const char **names = calloc(n + 1, sizeof *names);
	if (!names)
		ir_oom();
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if ((items[i].kind == def || (def == FE_DEF_STEP && items[i].kind == FE_DEF_SERVICE)) &&
		    (def == FE_DEF_SECRET || items[i].doc == docno))
			names[k++] = items[i].name;
	cJSON *a = NULL;
	for (size_t i = 0; i < n && !a; i++) {
		const struct fe_item *it = &items[i];
		if (it->kind != use || it->doc != docno || it->name_span.line < at.line ||
		    lsp_definition_of(d, it))
			continue;
		const char *near = ir_suggest(it->name, names, k);
		if (near)
			a = quick_fix(d, diag, it->name_span, it->name, near);
	}
	free(names);
	return a;
}

/* Most tags offered for one image. */
#define ASSIST_MAX_TAGS 8

struct pin {
	const struct lsp_doc *d;
	const cJSON *diag;
	struct fe_span at;
	const char *image;
	cJSON *list;
	int n;
};

static void add_pin(void *arg, const char *tag)
{
	struct pin *p = arg;
	if (p->n++ < ASSIST_MAX_TAGS)
		cJSON_AddItemToArray(p->list, quick_fix(p->d, p->diag, p->at, p->image, tag));
}

/* The `image:` value of the step starting at `line`, and its span. */
static bool step_image(const struct lsp_doc *d, int line, char *image, size_t cap,
		       struct fe_span *at)
{
	size_t len;
	const char *t = lsp_line(d, line, &len);
	size_t col = indent_of(t, len);
	if (col + 1 < len && t[col] == '-' && t[col + 1] == ' ')
		col = indent_of(t + col + 2, len - col - 2) + col + 2;
	for (int l = line; l <= (int)d->nlines; l++) {
		t = lsp_line(d, l, &len);
		size_t i = indent_of(t, len);
		if (l > line && i < col && i < len)
			return false;   /* the step has ended */
		if (l > line && i != col)
			continue;
		if (l == line && i + 2 <= len && t[i] == '-')
			i = col;
		if (len - i < 7 || memcmp(t + i, "image:", 6) != 0)
			continue;
		size_t v = i + 6;
		while (v < len && t[v] == ' ')
			v++;
		size_t e = v;
		while (e < len && !strchr(" \t#", t[e]))
			e++;
		size_t q = (e > v + 1 && (t[v] == '"' || t[v] == '\'')) ? 1 : 0;
		if (e - v - 2 * q == 0 || e - v - 2 * q >= cap)
			return false;
		memcpy(image, t + v + q, e - v - 2 * q);
		image[e - v - 2 * q] = '\0';
		*at = (struct fe_span){l, (int)(v + q) + 1, l, (int)(e - q) + 1};
		return true;
	}
	return false;
}

/* An untagged (or :latest) image: the tags the local engine holds of it. */
static void fix_image(struct lsp_server *s, struct lsp_doc *d, const cJSON *diag,
		      struct lsp_pos at, cJSON *list)
{
	char image[256], written[256];
	struct pin p = {d, diag, {0}, written, list, 0};
	if (!s->opts.image_tags || !step_image(d, at.line, image, sizeof image, &p.at))
		return;
	memcpy(written, image, sizeof written);
	for (size_t i = 0; image[i]; i++)
		if ((unsigned char)image[i] < ' ' || (unsigned char)image[i] >= 0x7f)
			return;     /* not an image reference an engine could hold */
	char *colon = strrchr(image, ':');
	if (colon && !strchr(colon, '/')) {
		if (strcmp(colon, ":latest") != 0)
			return;
		*colon = '\0';
	}
	s->opts.image_tags(s->opts.arg, image, add_pin, &p);
}

static cJSON *fix_for(struct lsp_doc *d, const cJSON *diag)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(diag, "code");
	const cJSON *range = cJSON_GetObjectItemCaseSensitive(diag, "range");
	struct lsp_pos at;
	if (!cJSON_IsString(code) ||
	    !lsp_pos_from_json(d, cJSON_GetObjectItemCaseSensitive(range, "start"), &at))
		return NULL;
	const char *c = code->valuestring;
	if (strcmp(c, "unknown-key") == 0)
		return fix_key(d, diag, at);
	if (strcmp(c, "unknown-dependency") == 0)
		return fix_names(d, diag, at, FE_USE_STEP, FE_DEF_STEP);
	if (strcmp(c, "unknown-volume") == 0)
		return fix_names(d, diag, at, FE_USE_VOLUME, FE_DEF_VOLUME);
	if (strcmp(c, "unknown-secret") == 0)
		return fix_names(d, diag, at, FE_USE_SECRET, FE_DEF_SECRET);
	return NULL;
}

cJSON *lsp_code_actions(struct lsp_server *s, struct lsp_doc *d, const cJSON *params)
{
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(params, "context");
	const cJSON *diag;
	cJSON *list = cJSON_CreateArray();
	cJSON_ArrayForEach(diag, cJSON_GetObjectItemCaseSensitive(ctx, "diagnostics")) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(diag, "code");
		struct lsp_pos at;
		if (cJSON_IsString(code) && strcmp(code->valuestring, "image-latest") == 0 &&
		    lsp_pos_from_json(d, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(diag, "range"), "start"), &at)) {
			fix_image(s, d, diag, at, list);
			continue;
		}
		cJSON *a = fix_for(d, diag);
		if (a)
			cJSON_AddItemToArray(list, a);
	}
	return list;
}
