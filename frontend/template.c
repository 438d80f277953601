/*
 * template.c - Drone's template extension: a `kind: template` document
 * names a file (`load`) and gives it values (`data`); the file is a
 * pipeline file with {{ .input.NAME }} actions where the values go.
 *
 * A Drone server keeps its templates; pipec reads them from the
 * directory given as --templates, and without one skips the document
 * with a warning.  A YAML template is expanded as text and then read as
 * YAML, as Drone does.  An action is replaced by the value's text, so
 * the expansion has the template's lines and every position read from
 * it points into the template file (a column after an action on the
 * same line moves by the difference in length).  A value holding a
 * newline is written as a double-quoted scalar, which keeps it on its
 * line.  Only .input actions are expanded: another action, a name the
 * data does not give or a value that is not a string is an error at the
 * action.  Starlark and Jsonnet templates are skipped with a warning.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/drone.h"

/* The expansion being written, and where in the template it has read to. */
struct expand {
	struct lower *lw;
	const char *path;               /* the template file */
	const struct fe_node *data;     /* the document's `data` map, or NULL */
	char *out;
	size_t n, cap;
	int line, col;                  /* of the next byte read */
	bool failed;                    /* out of memory */
};

static void put(struct expand *x, const char *s, size_t len)
{
	if (x->failed)
		return;
	if (x->n + len + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		while (cap < x->n + len + 1)
			cap *= 2;
		char *nb = realloc(x->out, cap);
		if (!nb) {
			x->failed = true;
			return;
		}
		x->out = nb;
		x->cap = cap;
	}
	memcpy(x->out + x->n, s, len);
	x->n += len;
	x->out[x->n] = '\0';
}

/* Moves the position over `len` bytes of template text. */
static void advance(struct expand *x, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n') {
			x->line++;
			x->col = 1;
		} else if (((unsigned char)s[i] & 0xC0) != 0x80) {
			x->col++;               /* columns count characters */
		}
	}
}

/* A value with a newline, as a double-quoted scalar on one line. */
static void put_quoted(struct expand *x, const char *s)
{
	put(x, "\"", 1);
	for (; *s; s++) {
		const char *esc = *s == '\n' ? "\\n" : *s == '\t' ? "\\t" : *s == '"' ? "\\\""
				: *s == '\\' ? "\\\\" : *s == '\r' ? "\\r" : NULL;
		if (esc)
			put(x, esc, strlen(esc));
		else
			put(x, s, 1);
	}
	put(x, "\"", 1);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* The NAME of `.input.NAME` in an action's text, or NULL. */
static char *input_name(struct ir_arena *a, const char *s, size_t len)
{
	static const char prefix[] = ".input.";
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	size_t p = sizeof prefix - 1;
	if (len <= p || memcmp(s, prefix, p) != 0)
		return NULL;
	for (size_t i = p; i < len; i++)
		if (!name_char(s[i]))
			return NULL;
	return ir_strndup(a, s + p, len - p);
}

/* One action, `{{` at `s`, `len` bytes to its `}}` inclusive. */
static void action(struct expand *x, const char *s, size_t len)
{
	struct lower *lw = x->lw;
	struct ir_pos pos = {.file = x->path, .line = x->line, .col = x->col};
	char *name = input_name(lw->a, s + 2, len - 4);
	const struct fe_node *v = name && x->data ? fe_map_get(x->data, name) : NULL;
	if (!name)
		diag_error(lw->dl, pos, "template-error",
			   "template action '%.*s' is not supported: pipec expands {{ .input.NAME }}",
			   (int)len, s);
	else if (!v)
		diag_error(lw->dl, pos, "template-error",
			   "template reads '.input.%s', which the document's data does not give", name);
	else if (v->kind != FE_SCALAR)
		diag_error(lw->dl, pos, "template-error",
			   "template reads '.input.%s', which is %s: pipec writes only strings into a "
			   "template", name, fe_node_kind_name(v));
	else if (strchr(v->str, '\n'))
		put_quoted(x, v->str);
	else if (!fe_is_null(v))
		put(x, v->str, v->len);
}

/* Expands every action of the template text; the output is x->out. */
static void expand_text(struct expand *x, const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *open = strstr(text + i, "{{");
		size_t at = open ? (size_t)(open - text) : len;
		put(x, text + i, at - i);
		advance(x, text + i, at - i);
		if (!open)
			break;
		const char *close = strstr(open + 2, "}}");
		if (!close) {
			diag_error(x->lw->dl, (struct ir_pos){.file = x->path, .line = x->line, .col = x->col},
				   "template-error", "template action '{{' is not closed with '}}'");
			break;
		}
		size_t alen = (size_t)(close + 2 - open);
		action(x, open, alen);
		advance(x, open, alen);
		i = at + alen;
	}
	put(x, "", 0);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* 1 for a YAML template, 0 for Starlark or Jsonnet, -1 after an error. */
static int template_type(struct lower *lw, const struct fe_node *load)
{
	static const char *const skipped[] = {".star", ".starlark", ".script", ".jsonnet",
					      ".libsonnet"};
	const char *s = load->str;
	if (!*s || strchr(s, '/') || strcmp(s, "..") == 0 || strcmp(s, ".") == 0)
		return diag_error(lw->dl, fe_pos(lw->file, load), "template-error",
				  "load: expected a file name in the templates directory, got '%s'", s);
	if (ends_with(s, ".yaml") || ends_with(s, ".yml"))
		return 1;
	for (size_t i = 0; i < sizeof skipped / sizeof *skipped; i++)
		if (ends_with(s, skipped[i]))
			return 0;
	return diag_error(lw->dl, fe_pos(lw->file, load), "template-error",
			  "load: '%s' is not a YAML (.yaml, .yml), Starlark or Jsonnet template", s);
}

/* The template's text, to free(); NULL after an error. */
static char *read_template(struct lower *lw, const struct fe_node *load, const char *path,
			   size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		diag_error(lw->dl, fe_pos(lw->file, load), "io-error",
			   "cannot open template '%s': %s", path, strerror(errno));
		return NULL;
	}
	char *text = fe_read_stream(fp, path, len, lw->dl);
	fclose(fp);
	return text;
}

/* A template pipec leaves alone: -1, as nothing was read. */
static int skip(struct lower *lw, const struct fe_node *at, const char *load, bool yaml)
{
	lw->templates_skipped++;
	if (yaml)
		diag_warning(lw->dl, fe_pos(lw->file, at), "template-skipped",
			     "template '%s' is expanded by a Drone server: the document is skipped "
			     "(give --templates DIR to expand it here)", load);
	else
		diag_warning(lw->dl, fe_pos(lw->file, at), "template-skipped",
			     "template '%s' is not YAML, which pipec does not expand: the document "
			     "is skipped", load);
	return -1;
}

/* Reads DIR/load, expands it and reads the expansion into `out`. */
static int expand_file(struct lower *lw, const struct fe_node *load, const struct fe_node *data,
		       struct fe_docs *out)
{
	const char *path = ir_printf(lw->a, "%s/%s", lw->ctx->templates, load->str);
	size_t len;
	char *text = read_template(lw, load, path, &len);
	if (!text)
		return -1;
	struct expand x = {.lw = lw, .path = path, .data = data, .line = 1, .col = 1};
	size_t before = lw->dl->nerrors;
	expand_text(&x, text, len);
	free(text);
	if (x.failed)
		diag_error(lw->dl, fe_pos(lw->file, load), "io-error",
			   "out of memory expanding template '%s'", path);
	if (lw->dl->nerrors == before)
		fe_yaml_read(path, x.out, x.n, lw->a, out, lw->dl);
	free(x.out);
	return lw->dl->nerrors == before ? 0 : -1;
}

int fe_template_expand(struct lower *lw, const struct fe_node *doc, struct fe_docs *out)
{
	const struct fe_node *v[TP_N];
	if (fe_keys_check(&fe_keys_template, doc, v, lw->file, lw->dl) || !v[TP_LOAD])
		return -1;
	if (v[TP_DATA] && v[TP_DATA]->kind != FE_MAP)
		return diag_error(lw->dl, fe_pos(lw->file, v[TP_DATA]), "wrong-type",
				  "data: expected a map, got %s", fe_node_kind_name(v[TP_DATA]));
	int type = template_type(lw, v[TP_LOAD]);
	if (type < 0)
		return -1;
	if (!lw->ctx->templates)
		return skip(lw, doc, v[TP_LOAD]->str, true);
	if (type == 0)
		return skip(lw, v[TP_LOAD], v[TP_LOAD]->str, false);
	return expand_file(lw, v[TP_LOAD], v[TP_DATA], out);
}
