/*
 * text.c - an open document's text, its edits, and the two ways of
 * counting positions.
 *
 * The editor counts lines from 0 and columns in UTF-16 code units; the
 * compiler counts both from 1, columns in characters.  The two agree on
 * every character of the Basic Multilingual Plane and differ by one unit
 * for each character beyond it, so converting walks the line's UTF-8.
 * A table of line starts, rebuilt after each edit, makes finding a line
 * one lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "lsp/internal.h"

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		ir_oom();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The path a file: URI names, percent-decoded; other URIs as they are. */
static char *uri_path(const char *uri)
{
	if (strncmp(uri, "file://", 7) != 0)
		return xstrndup(uri, strlen(uri));
	const char *s = uri + 7;
	char *p = xmalloc(strlen(s) + 1), *o = p;
	for (; *s; s++) {
		int hi, lo;
		if (*s == '%' && (hi = hexval(s[1])) >= 0 && (lo = hexval(s[2])) >= 0) {
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return p;
}

static void index_lines(struct lsp_doc *d)
{
	size_t n = 1;
	for (size_t i = 0; i < d->len; i++)
		n += d->text[i] == '\n';
	free(d->lines);
	d->lines = xmalloc(n * sizeof *d->lines);
	d->nlines = 0;
	d->lines[d->nlines++] = 0;
	for (size_t i = 0; i < d->len; i++)
		if (d->text[i] == '\n')
			d->lines[d->nlines++] = i + 1;
}

static void changed(struct lsp_doc *d)
{
	index_lines(d);
	fe_outline_free(d->outline);
	d->outline = NULL;
	d->dirty = true;
}

struct lsp_doc *lsp_doc_new(const char *uri, const char *text, size_t len, int version)
{
	struct lsp_doc *d = xmalloc(sizeof *d);
	*d = (struct lsp_doc){.uri = xstrndup(uri, strlen(uri)), .path = uri_path(uri),
			      .text = xstrndup(text, len), .len = len, .version = version};
	changed(d);
	return d;
}

void lsp_doc_free(struct lsp_doc *d)
{
	if (!d)
		return;
	fe_outline_free(d->outline);
	free(d->uri);
	free(d->path);
	free(d->text);
	free(d->lines);
	free(d);
}

const char *lsp_line(const struct lsp_doc *d, int line, size_t *len)
{
	if (line < 1 || (size_t)line > d->nlines) {
		*len = 0;
		return "";
	}
	size_t start = d->lines[line - 1];
	size_t end = (size_t)line < d->nlines ? d->lines[line] - 1 : d->len;
	if (end > start && d->text[end - 1] == '\r')
		end--;
	*len = end - start;
	return d->text + start;
}

/* Bytes of the UTF-8 sequence starting with `c` (1 for a stray byte). */
static size_t seq_len(unsigned char c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* The byte offset in `line` of UTF-16 column `units`, clamped to its end. */
static size_t offset_of_units(const char *line, size_t len, long units)
{
	size_t i = 0;
	while (i < len && units > 0) {
		size_t n = seq_len((unsigned char)line[i]);
		units -= n == 4 ? 2 : 1;
		i += n;
	}
	return i < len ? i : len;
}

static int chars_before(const char *line, size_t off)
{
	int n = 0;
	for (size_t i = 0; i < off; i++)
		n += ((unsigned char)line[i] & 0xC0) != 0x80;
	return n;
}

static bool read_pos(const cJSON *pos, long *line, long *units)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(pos, "line");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(pos, "character");
	if (!cJSON_IsNumber(l) || !cJSON_IsNumber(c) || l->valuedouble < 0 || c->valuedouble < 0 ||
	    l->valuedouble > 1e9 || c->valuedouble > 1e9)
		return false;
	*line = (long)l->valuedouble;
	*units = (long)c->valuedouble;
	return true;
}

bool lsp_pos_from_json(const struct lsp_doc *d, const cJSON *pos, struct lsp_pos *out)
{
	long line, units;
	if (!read_pos(pos, &line, &units))
		return false;
	size_t len;
	const char *text = lsp_line(d, (int)line + 1, &len);
	out->line = (int)line + 1;
	out->col = chars_before(text, offset_of_units(text, len, units)) + 1;
	return true;
}

/* UTF-16 units before character column `col` (from 1) of `line`. */
static long units_of(const struct lsp_doc *d, int line, int col)
{
	size_t len;
	const char *text = lsp_line(d, line, &len);
	long units = 0;
	size_t i = 0;
	for (int c = 1; c < col; c++) {
		if (i >= len) {
			units += col - c;    /* past the end: as the compiler counted */
			break;
		}
		size_t n = seq_len((unsigned char)text[i]);
		units += n == 4 ? 2 : 1;
		i += n;
	}
	return units;
}

static cJSON *pos_json(const struct lsp_doc *d, int line, int col)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "line", line > 0 ? line - 1 : 0);
	cJSON_AddNumberToObject(p, "character", (double)units_of(d, line, col));
	return p;
}

cJSON *lsp_range_json(const struct lsp_doc *d, struct fe_span s)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "start", pos_json(d, s.line, s.col));
	cJSON_AddItemToObject(r, "end", pos_json(d, s.end_line, s.end_col));
	return r;
}

/* The byte offset in the text of an LSP position. */
static bool text_offset(const struct lsp_doc *d, const cJSON *pos, size_t *off)
{
	long line, units;
	if (!read_pos(pos, &line, &units))
		return false;
	if ((size_t)line >= d->nlines) {
		*off = d->len;
		return true;
	}
	size_t len;
	const char *text = lsp_line(d, (int)line + 1, &len);
	*off = d->lines[line] + offset_of_units(text, len, units);
	return true;
}

int lsp_doc_edit(struct lsp_doc *d, const cJSON *range, const char *text, size_t len)
{
	size_t from = 0, to = d->len;
	if (range && (!text_offset(d, cJSON_GetObjectItemCaseSensitive(range, "start"), &from) ||
		      !text_offset(d, cJSON_GetObjectItemCaseSensitive(range, "end"), &to) ||
		      to < from))
		return -1;
	char *nt = xmalloc(d->len - (to - from) + len + 1);
	memcpy(nt, d->text, from);
	memcpy(nt + from, text, len);
	memcpy(nt + from + len, d->text + to, d->len - to);
	d->len = d->len - (to - from) + len;
	nt[d->len] = '\0';
	free(d->text);
	d->text = nt;
	changed(d);
	return 0;
}

const struct fe_outline *lsp_doc_outline(struct lsp_doc *d)
{
	if (!d->outline)
		d->outline = fe_outline_new(d->text, d->len);
	return d->outline;
}

size_t lsp_col_offset(const char *line, size_t len, int col)
{
	size_t i = 0;
	for (int c = 1; c < col && i < len; c++)
		i += seq_len((unsigned char)line[i]);
	return i < len ? i : len;
}

/* Where a token written at `at` ends: a quoted string at its closing
 * quote, anything else before a space or YAML punctuation. */
struct fe_span lsp_token_span(const struct lsp_doc *d, struct lsp_pos at)
{
	size_t len;
	const char *line = lsp_line(d, at.line, &len);
	size_t i = lsp_col_offset(line, len, at.col);
	size_t start = i;
	if (i < len && (line[i] == '"' || line[i] == '\'')) {
		char q = line[i++];
		while (i < len && line[i] != q)
			i += line[i] == '\\' && q == '"' ? 2 : 1;
		i = i < len ? i + 1 : len;
	} else {
		while (i < len && !strchr(" \t,:[]{}#", line[i]))
			i++;
		if (i == start && i < len)
			i++;
	}
	return (struct fe_span){at.line, at.col, at.line, at.col + chars_before(line + start, i - start)};
}
