/*
 * read.c - ir_read(), the strict IR reader.
 *
 * cJSON parses the text; the tree is then checked against the shape
 * tables of shape.c while the IR is filled in.  Nothing stops at the
 * first problem: a wrong type, unknown key or bad value is recorded with
 * the JSON Pointer of where it was found and reading carries on with the
 * next key, so one run reports everything.  Only an unsupported version
 * stops early, since the keys of another version mean something else.
 * The tables describe the newest version; a key a later version added
 * (its `since`) is unknown in an older document, which otherwise reads
 * as the same document in the newest version.
 *
 * Text cJSON would accept but that cannot round-trip is refused before
 * parsing: NUL bytes and \u0000 escapes (C strings would cut them off).
 * Syntax errors are placed by line and column of the whole text, so
 * callers pass the file as read, byte order mark and all.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ir/internal.h"

struct reader {
	const char *path;
	struct ir_arena *a;
	struct diag_list *dl;
	char *ptr;              /* the JSON Pointer being read */
	size_t len, cap;
	int version;            /* the document's, once checked */
};

/* ---- JSON Pointers ---------------------------------------------------- */

static void ptr_put(struct reader *r, const char *s, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 256;
		while (cap < r->len + n + 1)
			cap *= 2;
		char *p = realloc(r->ptr, cap);
		if (!p)
			ir_oom();
		r->ptr = p;
		r->cap = cap;
	}
	memcpy(r->ptr + r->len, s, n);
	r->len += n;
	r->ptr[r->len] = '\0';
}

/* Appends "/key" (escaped as RFC 6901 says); returns the length to pop to. */
static size_t ptr_push(struct reader *r, const char *key)
{
	size_t old = r->len;
	ptr_put(r, "/", 1);
	for (const char *s = key; *s; s++) {
		if (*s == '~')
			ptr_put(r, "~0", 2);
		else if (*s == '/')
			ptr_put(r, "~1", 2);
		else
			ptr_put(r, s, 1);
	}
	return old;
}

static size_t ptr_push_index(struct reader *r, size_t i)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%zu", i);
	return ptr_push(r, buf);
}

static void ptr_pop(struct reader *r, size_t old)
{
	r->len = old;
	r->ptr[old] = '\0';
}

/* ---- diagnostics ------------------------------------------------------ */

static int error_at(struct reader *r, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int error_at(struct reader *r, const char *rule, const char *fmt, ...)
{
	struct ir_pos pos = {.file = r->path, .pointer = r->ptr};
	va_list ap;
	va_start(ap, fmt);
	int ret = diag_vadd(r->dl, DIAG_ERROR, pos, rule, fmt, ap);
	va_end(ap);
	return ret;
}

const char *ir_json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

static int type_error(struct reader *r, const char *want, const cJSON *v)
{
	return error_at(r, "ir-type", "expected %s, got %s", want, ir_json_type_name(v));
}

/* ---- scalars ---------------------------------------------------------- */

static int read_string(struct reader *r, const cJSON *v, char **out)
{
	if (!cJSON_IsString(v))
		return type_error(r, "a string", v);
	*out = ir_strdup(r->a, v->valuestring);
	return 0;
}

static int read_int(struct reader *r, const struct field *f, const cJSON *v, int64_t *out)
{
	if (!cJSON_IsNumber(v))
		return type_error(r, "an integer", v);
	double d = v->valuedouble;
	if (isfinite(d) && d != floor(d))
		return error_at(r, "ir-type", "expected an integer, got %.15g", d);
	if (!(d >= (double)f->min && d <= (double)f->max)) {
		if (!isfinite(d))
			return error_at(r, "ir-range", "number is too large; expected %lld..%lld",
					(long long)f->min, (long long)f->max);
		/* whole numbers in full: 2^53 + 1 must not print as 9.0072e+15 */
		return error_at(r, "ir-range", fabs(d) < 1e19 ? "%.0f is out of range %lld..%lld"
						      : "%.15g is out of range %lld..%lld",
				d, (long long)f->min, (long long)f->max);
	}
	*out = (int64_t)d;
	return 0;
}

/* The enum's spellings (at most `max`), and the same as a quoted list. */
static size_t enum_names(const struct enumer *e, const char **names, size_t max,
			 char *list, size_t size)
{
	size_t n = 0, used = 0;
	for (; n < max && strcmp(e->name(n), "?") != 0; n++) {
		names[n] = e->name(n);
		int w = snprintf(list + used, size - used, "%s'%s'", n ? ", " : "", names[n]);
		if (w > 0 && (size_t)w < size - used)
			used += (size_t)w;
	}
	return n;
}

static int read_enum(struct reader *r, const struct enumer *e, const cJSON *v, int *out)
{
	if (!cJSON_IsString(v))
		return type_error(r, "a string", v);
	int k = e->parse(v->valuestring);
	if (k >= 0) {
		*out = k;
		return 0;
	}
	const char *names[16];
	char list[256] = "";
	size_t n = enum_names(e, names, 16, list, sizeof list);
	const char *guess = ir_suggest(v->valuestring, names, n);
	if (guess)
		return error_at(r, "ir-enum", "unknown value '%.64s'; did you mean '%s'?",
				v->valuestring, guess);
	return error_at(r, "ir-enum", "unknown value '%.64s'; expected one of %s",
			v->valuestring, list);
}

/* ---- lists and maps --------------------------------------------------- */

static size_t child_count(const cJSON *v)
{
	size_t n = 0;
	for (const cJSON *c = v->child; c; c = c->next)
		n++;
	return n;
}

static int read_strs(struct reader *r, const cJSON *v, struct ir_strs *out)
{
	if (!cJSON_IsArray(v))
		return type_error(r, "an array of strings", v);
	out->n = child_count(v);
	/* one spare slot: an empty list must still have a non-NULL v */
	out->v = ir_calloc(r->a, out->n + 1, sizeof *out->v);
	size_t i = 0;
	for (const cJSON *c = v->child; c; c = c->next, i++) {
		size_t old = ptr_push_index(r, i);
		read_string(r, c, &out->v[i]);
		ptr_pop(r, old);
	}
	return 0;
}

static int kv_cmp(const void *a, const void *b)
{
	const struct ir_kv *x = *(const struct ir_kv *const *)a;
	const struct ir_kv *y = *(const struct ir_kv *const *)b;
	return strcmp(x->key, y->key);
}

/* Sorting a copy finds repeated keys in n log n, whatever the map's size. */
static void check_env_dups(struct reader *r, const struct ir_env *env)
{
	const struct ir_kv **sorted = malloc((env->n + 1) * sizeof *sorted);
	if (!sorted)
		ir_oom();
	for (size_t i = 0; i < env->n; i++)
		sorted[i] = &env->v[i];
	qsort(sorted, env->n, sizeof *sorted, kv_cmp);
	for (size_t i = 1; i < env->n; i++) {
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) != 0)
			continue;
		size_t old = ptr_push(r, sorted[i]->key);
		error_at(r, "ir-duplicate-key", "duplicate key '%.64s'", sorted[i]->key);
		ptr_pop(r, old);
	}
	free(sorted);
}

static int read_env(struct reader *r, const cJSON *v, struct ir_env *out)
{
	if (!cJSON_IsObject(v))
		return type_error(r, "an object of strings", v);
	out->v = ir_calloc(r->a, child_count(v), sizeof *out->v);
	for (const cJSON *c = v->child; c; c = c->next) {
		size_t old = ptr_push(r, c->string);
		char *value = NULL;
		if (read_string(r, c, &value) == 0) {
			out->v[out->n].key = ir_strdup(r->a, c->string);
			out->v[out->n++].value = value;
		}
		ptr_pop(r, old);
	}
	check_env_dups(r, out);
	return 0;
}

/* ---- objects ---------------------------------------------------------- */

static int read_shape(struct reader *r, const struct shape *s, const cJSON *v, void *obj);

static int read_array(struct reader *r, const struct field *f, const cJSON *v, char *base)
{
	if (!cJSON_IsArray(v))
		return type_error(r, "an array", v);
	size_t n = child_count(v);
	if (n < (size_t)f->min)
		return error_at(r, "ir-empty", "expected at least %lld %s, got none",
				(long long)f->min, f->shape->what);
	char *items = ir_calloc(r->a, n, f->shape->size);
	size_t i = 0;
	for (const cJSON *c = v->child; c; c = c->next, i++) {
		size_t old = ptr_push_index(r, i);
		read_shape(r, f->shape, c, items + i * f->shape->size);
		ptr_pop(r, old);
	}
	*(char **)(base + f->off) = items;
	*(size_t *)(base + f->count_off) = n;
	return 0;
}

static int read_field(struct reader *r, const struct field *f, const cJSON *v, char *base)
{
	void *p = base + f->off;
	int64_t i64 = 0;
	switch (f->kind) {
	case F_STR: return read_string(r, v, p);
	case F_BOOL:
		if (!cJSON_IsBool(v))
			return type_error(r, "a boolean", v);
		*(bool *)p = cJSON_IsTrue(v);
		return 0;
	case F_INT:
	case F_I64:
		if (read_int(r, f, v, &i64) < 0)
			return -1;
		if (f->kind == F_INT)
			*(int *)p = (int)i64;
		else
			*(int64_t *)p = i64;
		return 0;
	case F_ENUM: return read_enum(r, f->enumer, v, p);
	case F_STRS: return read_strs(r, v, p);
	case F_ENV: return read_env(r, v, p);
	case F_POS:
	case F_OBJ: return read_shape(r, f->shape, v, p);
	case F_PTR: {
		void *sub = ir_alloc(r->a, f->shape->size);
		*(void **)p = sub;
		return read_shape(r, f->shape, v, sub);
	}
	case F_ARR: return read_array(r, f, v, base);
	}
	return 0;
}

static int find_field(const struct shape *s, const char *key)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].name, key) == 0)
			return (int)i;
	return -1;
}

static void unknown_key(struct reader *r, const struct shape *s, const char *key)
{
	const char *names[64];
	for (size_t i = 0; i < s->nfields; i++)
		names[i] = s->fields[i].name;
	const char *guess = ir_suggest(key, names, s->nfields);
	if (guess)
		error_at(r, "ir-unknown-key", "unknown key '%.64s'; did you mean '%s'?", key, guess);
	else
		error_at(r, "ir-unknown-key", "unknown key '%.64s'", key);
}

/* Required keys that never came, and positions for objects without `source`. */
static void finish_shape(struct reader *r, const struct shape *s, uint64_t seen, char *base)
{
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		if (seen & (UINT64_C(1) << i))
			continue;
		if (f->required)
			error_at(r, "ir-missing-key", "missing required key '%s'", f->name);
		if (f->kind == F_POS) {
			struct ir_pos *pos = (struct ir_pos *)(base + f->off);
			pos->file = r->path;
			pos->pointer = ir_strdup(r->a, r->ptr);
		}
	}
}

/* The struct `f` is read into: `obj`, or its extra part, made on first use. */
static char *field_base(struct reader *r, const struct shape *s, const struct field *f, void *obj)
{
	char **extra = (char **)((char *)obj + s->extra_off);
	if (f->extra && !*extra)
		*extra = ir_alloc(r->a, s->extra_size);
	return ir_field_base(s, f, obj);
}

static int read_shape(struct reader *r, const struct shape *s, const cJSON *v, void *obj)
{
	if (!cJSON_IsObject(v))
		return type_error(r, "an object", v);
	uint64_t seen = 0;
	for (const cJSON *c = v->child; c; c = c->next) {
		size_t old = ptr_push(r, c->string);
		int i = find_field(s, c->string);
		if (i < 0)
			unknown_key(r, s, c->string);
		else if (s->fields[i].since > r->version)
			error_at(r, "ir-unknown-key", "unknown key '%s' in IR version %d; it needs version %u",
				 c->string, r->version, (unsigned)s->fields[i].since);
		else if (seen & (UINT64_C(1) << i))
			error_at(r, "ir-duplicate-key", "duplicate key '%.64s'", c->string);
		else
			read_field(r, &s->fields[i], c, field_base(r, s, &s->fields[i], obj));
		if (i >= 0)
			seen |= UINT64_C(1) << i;
		ptr_pop(r, old);
	}
	finish_shape(r, s, seen, obj);
	return 0;
}

/* ---- the document ----------------------------------------------------- */

static const char bom[] = "\xEF\xBB\xBF";

static size_t bom_len(const char *text, size_t len)
{
	return len >= 3 && memcmp(text, bom, 3) == 0 ? 3 : 0;
}

/* Line and column of byte `off`; columns count bytes, after any BOM. */
struct ir_pos ir_text_pos(const char *path, const char *text, size_t off)
{
	struct ir_pos pos = {.file = path, .line = 1, .col = 1};
	for (size_t i = bom_len(text, off); i < off; i++) {
		if (text[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else {
			pos.col++;
		}
	}
	return pos;
}

/* Offset of a NUL byte or a \u0000 escape, or `len` when there is none. */
static size_t find_nul(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\0')
			return i;
		if (text[i] != '\\' || i + 1 >= len)
			continue;
		if (text[i + 1] == 'u' && len - i >= 6 && memcmp(text + i + 2, "0000", 4) == 0)
			return i;
		i++;    /* skip the escaped character, which may be a backslash */
	}
	return len;
}

/* How deep in arrays and objects, and whether in a string, a byte is. */
struct nesting {
	size_t depth, string_start;
	bool in_string;
};

static struct nesting nesting_at(const char *text, size_t off)
{
	struct nesting n = {0, 0, false};
	for (size_t i = 0; i < off; i++) {
		char c = text[i];
		if (n.in_string && c == '\\') {
			i++;
		} else if (c == '"') {
			n.in_string = !n.in_string;
			n.string_start = i;
		} else if (!n.in_string && (c == '{' || c == '[')) {
			n.depth++;
		} else if (!n.in_string && (c == '}' || c == ']') && n.depth) {
			n.depth--;
		}
	}
	return n;
}

size_t ir_json_depth(const char *text, size_t off)
{
	return nesting_at(text, off).depth;
}

/*
 * Where the text stops making sense only because it ends: the start of a
 * string still open at the end, the last byte when an array or object is
 * still open, `len` when neither.  An error from there on is truncation.
 */
static size_t open_tail(const char *text, size_t len)
{
	struct nesting n = nesting_at(text, len);
	if (n.in_string)
		return n.string_start;
	return n.depth ? len - 1 : len;
}

static bool blank(const char *text, size_t len)
{
	for (size_t i = bom_len(text, len); i < len; i++)
		if (!strchr(" \t\r\n", text[i]))
			return false;
	return true;
}

static void syntax_error(struct reader *r, const char *text, size_t len, size_t off)
{
	if (off >= len)
		off = len ? len - 1 : 0;
	char c = len ? text[off] : ' ';
	struct ir_pos pos = ir_text_pos(r->path, text, off);
	if (ir_json_depth(text, off) >= CJSON_NESTING_LIMIT)
		diag_error(r->dl, pos, "ir-syntax", "arrays and objects nest deeper than %d levels",
			   CJSON_NESTING_LIMIT);
	else if (blank(text, len) || off >= open_tail(text, len))
		diag_error(r->dl, ir_text_pos(r->path, text, len), "ir-syntax",
			   "unexpected end of input; the JSON is incomplete");
	else if (c > ' ' && c < 127)
		diag_error(r->dl, pos, "ir-syntax", "invalid JSON near '%c'", c);
	else
		diag_error(r->dl, pos, "ir-syntax", "invalid JSON");
}

static cJSON *parse(struct reader *r, const char *text, size_t len)
{
	size_t nul = find_nul(text, len);
	if (nul < len) {
		diag_error(r->dl, ir_text_pos(r->path, text, nul), "ir-syntax",
			   "NUL characters are not allowed in IR");
		return NULL;
	}
	/* a UTF-8 byte order mark is allowed, as RFC 8259 lets parsers do */
	size_t start = bom_len(text, len);
	const char *end = text + start;
	cJSON *root = len > start ? cJSON_ParseWithLengthOpts(text + start, len - start, &end, false)
				  : NULL;
	size_t off = end && end >= text ? (size_t)(end - text) : 0;
	if (!root) {
		syntax_error(r, text, len, off);
		return NULL;
	}
	while (off < len && strchr(" \t\r\n", text[off]))
		off++;
	if (off < len) {
		diag_error(r->dl, ir_text_pos(r->path, text, off), "ir-syntax",
			   "unexpected text after the JSON document");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* The version decides how to read everything else, so it is checked alone. */
static int check_version(struct reader *r, const cJSON *root)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!v)
		return error_at(r, "ir-version", "missing IR version; this pipec reads versions %d to %d",
				IR_VERSION_OLDEST, IR_VERSION);
	size_t old = ptr_push(r, "version");
	int ret = 0;
	if (!cJSON_IsNumber(v))
		ret = error_at(r, "ir-version",
			       "IR version must be an integer, got %s; this pipec reads versions %d to %d",
			       ir_json_type_name(v), IR_VERSION_OLDEST, IR_VERSION);
	else if (v->valuedouble < IR_VERSION_OLDEST || v->valuedouble > IR_VERSION ||
		 v->valuedouble != (int)v->valuedouble)
		ret = error_at(r, "ir-version",
			       "unsupported IR version %.17g; this pipec reads versions %d to %d",
			       v->valuedouble, IR_VERSION_OLDEST, IR_VERSION);
	else
		r->version = (int)v->valuedouble;
	ptr_pop(r, old);
	return ret;
}

struct ir_doc *ir_read(const char *path, const char *text, size_t len,
		       struct ir_arena *a, struct diag_list *dl)
{
	struct reader r = {.path = path, .a = a, .dl = dl};
	ptr_put(&r, "", 0);
	size_t before = dl->nerrors;
	struct ir_doc *doc = ir_alloc(a, sizeof *doc);
	cJSON *root = parse(&r, text, len);
	if (root && !cJSON_IsObject(root))
		error_at(&r, "ir-type", "expected an IR document object, got %s", ir_json_type_name(root));
	else if (root && check_version(&r, root) == 0)
		read_shape(&r, &ir_shape_doc, root, doc);
	/* an older document means the same in the newest version, written as it */
	doc->version = IR_VERSION;
	cJSON_Delete(root);
	free(r.ptr);
	return dl->nerrors > before ? NULL : doc;
}
