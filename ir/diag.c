/*
 * diag.c - the diagnostics list every stage appends to, and its printer.
 *
 * Stages never print: they record and carry on, so one run reports every
 * problem.  The list keeps at most DIAG_MAX entries (a pathological input
 * must not turn into unbounded memory) and counts the rest.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ir/ir.h"

static char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *p = strdup(s);
	if (!p)
		ir_oom();
	return p;
}

void diag_list_init(struct diag_list *dl)
{
	memset(dl, 0, sizeof *dl);
}

static void pos_release(struct ir_pos *pos)
{
	free((char *)pos->file);
	free((char *)pos->pointer);
}

void diag_list_release(struct diag_list *dl)
{
	for (size_t i = 0; i < dl->len; i++) {
		struct diag *d = &dl->items[i];
		pos_release(&d->pos);
		free(d->message);
		for (size_t k = 0; k < d->nrelated; k++) {
			pos_release(&d->related[k].pos);
			free(d->related[k].message);
		}
		free(d->related);
	}
	free(dl->items);
	diag_list_init(dl);
}

static struct diag *diag_slot(struct diag_list *dl)
{
	dl->last_dropped = dl->len == DIAG_MAX;
	if (dl->last_dropped) {
		dl->ndropped++;
		return NULL;
	}
	if (dl->len == dl->cap) {
		size_t cap = dl->cap ? dl->cap * 2 : 16;
		struct diag *items = realloc(dl->items, cap * sizeof *items);
		if (!items)
			ir_oom();
		dl->items = items;
		dl->cap = cap;
	}
	return &dl->items[dl->len++];
}

int diag_vadd(struct diag_list *dl, enum diag_severity sev, struct ir_pos pos,
	      const char *rule, const char *fmt, va_list ap)
{
	if (sev == DIAG_ERROR)
		dl->nerrors++;
	else if (sev == DIAG_WARNING)
		dl->nwarnings++;
	struct diag *d = diag_slot(dl);
	if (d) {
		char buf[1024];
		vsnprintf(buf, sizeof buf, fmt, ap);
		d->severity = sev;
		d->pos = pos;
		d->pos.file = xstrdup(pos.file);
		d->pos.pointer = xstrdup(pos.pointer);
		d->rule = rule;
		d->message = xstrdup(buf);
		d->related = NULL;
		d->nrelated = 0;
	}
	return sev == DIAG_ERROR ? -1 : 0;
}

void diag_relate(struct diag_list *dl, struct ir_pos pos, const char *fmt, ...)
{
	if (!dl->len || dl->last_dropped)
		return;
	struct diag *d = &dl->items[dl->len - 1];
	if (d->nrelated == DIAG_MAX_RELATED)
		return;
	struct diag_related *r = realloc(d->related, (d->nrelated + 1) * sizeof *r);
	if (!r)
		ir_oom();
	d->related = r;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	r[d->nrelated++] = (struct diag_related){
		{xstrdup(pos.file), pos.line, pos.col, xstrdup(pos.pointer)}, xstrdup(buf)};
}

int diag_add(struct diag_list *dl, enum diag_severity sev, struct ir_pos pos,
	     const char *rule, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = diag_vadd(dl, sev, pos, rule, fmt, ap);
	va_end(ap);
	return r;
}

int diag_error(struct diag_list *dl, struct ir_pos pos, const char *rule,
	       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = diag_vadd(dl, DIAG_ERROR, pos, rule, fmt, ap);
	va_end(ap);
	return r;
}

int diag_warning(struct diag_list *dl, struct ir_pos pos, const char *rule,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = diag_vadd(dl, DIAG_WARNING, pos, rule, fmt, ap);
	va_end(ap);
	return r;
}

static int pos_cmp(const struct diag *a, const struct diag *b)
{
	int c = strcmp(a->pos.file ? a->pos.file : "", b->pos.file ? b->pos.file : "");
	if (c)
		return c;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	return 0;
}

/* Insertion sort: stable, and lists are short. */
void diag_sort(struct diag_list *dl)
{
	for (size_t i = 1; i < dl->len; i++) {
		struct diag d = dl->items[i];
		size_t j = i;
		for (; j > 0 && pos_cmp(&dl->items[j - 1], &d) > 0; j--)
			dl->items[j] = dl->items[j - 1];
		dl->items[j] = d;
	}
}

static const char *const severity_names[] = {"note", "warning", "error"};

bool diag_want_color(FILE *out)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(fileno(out)) && !(nc && *nc);
}

/*
 * Text a file brought in (a step's name, a bad value) may hold control
 * bytes: shown raw, a newline would split the one line editors parse and
 * an escape sequence would drive the terminal.  They are spelled out.
 */
static void put_visible(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\t')
			fputs("\\t", out);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			putc(c, out);
	}
}

static void print_location(FILE *out, const struct diag *d)
{
	put_visible(out, d->pos.file ? d->pos.file : "<input>");
	if (d->pos.line > 0)
		fprintf(out, ":%d:%d", d->pos.line, d->pos.col);
	else if (d->pos.pointer)
		fprintf(out, ":%s", *d->pos.pointer ? d->pos.pointer : "/");
}

static void print_text(FILE *out, const struct diag_list *dl, bool color)
{
	static const char *const sev_color[] = {"\033[1;36m", "\033[1;35m", "\033[1;31m"};
	for (size_t i = 0; i < dl->len; i++) {
		const struct diag *d = &dl->items[i];
		if (color)
			fputs("\033[1m", out);
		print_location(out, d);
		fputs(color ? ":\033[0m " : ": ", out);
		if (color)
			fprintf(out, "%s%s:\033[0m ", sev_color[d->severity],
				severity_names[d->severity]);
		else
			fprintf(out, "%s: ", severity_names[d->severity]);
		put_visible(out, d->message);
		fprintf(out, " [%s]\n", d->rule);
	}
	if (dl->ndropped)
		fprintf(out, "pipec: %zu more diagnostics not shown [too-many-diagnostics]\n",
			dl->ndropped);
}

static cJSON *diag_to_json(const struct diag *d)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file", d->pos.file ? d->pos.file : "");
	if (d->pos.line > 0) {
		cJSON_AddNumberToObject(o, "line", d->pos.line);
		cJSON_AddNumberToObject(o, "column", d->pos.col);
		/* positions are points: the range ends where it starts */
		cJSON *end = cJSON_AddObjectToObject(o, "end");
		cJSON_AddNumberToObject(end, "line", d->pos.line);
		cJSON_AddNumberToObject(end, "column", d->pos.col);
	}
	if (d->pos.pointer)
		cJSON_AddStringToObject(o, "pointer", d->pos.pointer);
	cJSON_AddStringToObject(o, "severity", severity_names[d->severity]);
	cJSON_AddStringToObject(o, "rule", d->rule);
	cJSON_AddStringToObject(o, "message", d->message);
	if (d->nrelated) {
		cJSON *rel = cJSON_AddArrayToObject(o, "related");
		for (size_t i = 0; i < d->nrelated; i++) {
			cJSON *r = cJSON_CreateObject();
			const struct ir_pos *p = &d->related[i].pos;
			cJSON_AddStringToObject(r, "file", p->file ? p->file : "");
			cJSON_AddNumberToObject(r, "line", p->line);
			cJSON_AddNumberToObject(r, "column", p->col);
			cJSON_AddStringToObject(r, "message", d->related[i].message);
			cJSON_AddItemToArray(rel, r);
		}
	}
	return o;
}

static void print_json(FILE *out, const struct diag_list *dl)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < dl->len; i++)
		cJSON_AddItemToArray(arr, diag_to_json(&dl->items[i]));
	char *s = cJSON_Print(arr);
	fprintf(out, "%s\n", s);
	free(s);
	cJSON_Delete(arr);
}

/* The index of `rule` in the run's rules array, appending it when new. */
static int sarif_rule_index(cJSON *rules, const char *rule)
{
	int i = 0;
	for (cJSON *r = rules->child; r; r = r->next, i++)
		if (strcmp(cJSON_GetObjectItem(r, "id")->valuestring, rule) == 0)
			return i;
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "id", rule);
	cJSON_AddItemToArray(rules, r);
	return i;
}

static cJSON *sarif_result(const struct diag *d, cJSON *rules)
{
	static const char *const level[] = {"note", "warning", "error"};
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "ruleId", d->rule);
	cJSON_AddNumberToObject(r, "ruleIndex", sarif_rule_index(rules, d->rule));
	cJSON_AddStringToObject(r, "level", level[d->severity]);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "message"), "text", d->message);
	cJSON *loc = cJSON_CreateObject();
	cJSON *phys = cJSON_AddObjectToObject(loc, "physicalLocation");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(phys, "artifactLocation"), "uri",
				d->pos.file ? d->pos.file : "");
	if (d->pos.line > 0) {
		cJSON *region = cJSON_AddObjectToObject(phys, "region");
		cJSON_AddNumberToObject(region, "startLine", d->pos.line);
		cJSON_AddNumberToObject(region, "startColumn", d->pos.col > 0 ? d->pos.col : 1);
	}
	cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "locations"), loc);
	return r;
}

static void print_sarif(FILE *out, const struct diag_list *dl)
{
	cJSON *log = cJSON_CreateObject();
	cJSON_AddStringToObject(log, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
	cJSON_AddStringToObject(log, "version", "2.1.0");
	cJSON *run = cJSON_CreateObject();
	cJSON *driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
	cJSON_AddStringToObject(driver, "name", "pipec");
	cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
	cJSON *results = cJSON_AddArrayToObject(run, "results");
	for (size_t i = 0; i < dl->len; i++)
		cJSON_AddItemToArray(results, sarif_result(&dl->items[i], rules));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(log, "runs"), run);
	char *s = cJSON_Print(log);
	fprintf(out, "%s\n", s);
	free(s);
	cJSON_Delete(log);
}

void diag_print(FILE *out, const struct diag_list *dl, enum diag_format fmt, bool color)
{
	switch (fmt) {
	case DIAG_TEXT: print_text(out, dl, color); break;
	case DIAG_JSON: print_json(out, dl); break;
	case DIAG_SARIF: print_sarif(out, dl); break;
	}
}
