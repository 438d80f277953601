/*
 * drone_runtime_json.c - decodes drone-runtime's JSON the way the Go
 * decoder drone-runtime used did, for the two format readers.
 *
 * The text is parsed with cJSON and walked field by field: keys match
 * case-insensitively (an exact match wins), null is absent, unknown keys
 * are ignored.  Where that decoder silently accepted something dubious (an
 * unknown key, an unknown enum string) the walk warns; where it failed the
 * whole file (a type mismatch, bad base64) the walk records an error and
 * carries on, so one run reports every problem.  Arrays of objects, the
 * shape of nearly every list in both formats, have an iterator that does
 * the checking once.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frontend/drone_runtime.h"

/* ---- Pointers and diagnostics ----------------------------------------- */

/* Escapes `~` and `/` in a key as RFC 6901 asks. */
static const char *jp_escape(struct ir_arena *a, const char *key)
{
	if (!strpbrk(key, "~/"))
		return key;
	char *out = ir_alloc(a, strlen(key) * 2 + 1), *o = out;
	for (const char *k = key; *k; k++) {
		if (*k == '~' || *k == '/') {
			*o++ = '~';
			*o++ = *k == '~' ? '0' : '1';
		} else {
			*o++ = *k;
		}
	}
	return out;
}

static char *jp_str(struct ir_arena *a, const struct jp *at)
{
	if (!at)
		return ir_strdup(a, "");
	char *up = jp_str(a, at->up);
	if (!at->key)
		return ir_printf(a, "%s/%zu", up, at->index);
	return ir_printf(a, "%s/%s", up, jp_escape(a, at->key));
}

struct ir_pos fe_dr_pos(struct imp *im, const struct jp *at)
{
	return (struct ir_pos){.file = im->path, .pointer = jp_str(im->a, at)};
}

void fe_dr_type_error(struct imp *im, const struct jp *at, const char *want,
		      const cJSON *got)
{
	diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, at), "drone-runtime-type",
		 "expected %s, got %s", want, ir_json_type_name(got));
}

/*
 * The shorthands for the importer's two commonest findings: a reference
 * or element that cannot be resolved and is skipped, and a value with no
 * IR equivalent.
 */
__attribute__((format(printf, 3, 4))) void
fe_dr_ignored(struct imp *im, const struct jp *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(im->dl, DIAG_WARNING, fe_dr_pos(im, at),
		  "drone-runtime-unresolved-ref", fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) void
fe_dr_dropped(struct imp *im, const struct jp *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(im->dl, DIAG_NOTE, fe_dr_pos(im, at), "drone-runtime-dropped",
		  fmt, ap);
	va_end(ap);
}

/* ---- Field access under the Go decoder's rules ------------------------ */

/*
 * The value of `key` in `obj`: the last exact-case match, else the last
 * case-insensitive one (later duplicates overwrite, as in Go).  NULL when
 * absent or null.
 */
const cJSON *fe_dr_field(const cJSON *obj, const char *key)
{
	const cJSON *exact = NULL, *fold = NULL, *c;
	cJSON_ArrayForEach(c, obj) {
		if (!c->string)
			continue;
		if (strcmp(c->string, key) == 0)
			exact = c;
		else if (strcasecmp(c->string, key) == 0)
			fold = c;
	}
	const cJSON *f = exact ? exact : fold;
	return cJSON_IsNull(f) ? NULL : f;
}

bool fe_dr_has_any(const cJSON *top, const char *const *keys)
{
	for (; *keys; keys++)
		if (fe_dr_field(top, *keys))
			return true;
	return false;
}

static bool known_key(const char *const *known, const char *key)
{
	for (; *known; known++)
		if (strcasecmp(*known, key) == 0)
			return true;
	return false;
}

/* Warns about each key drone-runtime ignored without a word. */
void fe_dr_check_keys(struct imp *im, const cJSON *obj,
		      const char *const *known, const struct jp *at)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, obj) {
		if (c->string && !known_key(known, c->string))
			diag_add(im->dl, DIAG_WARNING,
				 fe_dr_pos(im, &(struct jp){at, c->string, 0}),
				 "drone-runtime-unknown-key",
				 "unknown key '%s' is ignored", c->string);
	}
}

/* An object, or NULL for null (absent) and after a type error. */
static const cJSON *as_obj(struct imp *im, const cJSON *v,
			   const char *const *known, const struct jp *at)
{
	if (!v || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsObject(v)) {
		fe_dr_type_error(im, at, "an object", v);
		return NULL;
	}
	fe_dr_check_keys(im, v, known, at);
	return v;
}

/* The object under `key`; `*here` becomes its pointer step. */
const cJSON *fe_dr_get_obj(struct imp *im, const cJSON *obj, const char *key,
			   const char *const *known, const struct jp *at,
			   struct jp *here)
{
	const cJSON *f = fe_dr_field(obj, key);
	*here = (struct jp){at, f ? f->string : key, 0};
	return as_obj(im, f, known, here);
}

/* The array under `key`, or NULL; `*here` becomes its pointer step. */
const cJSON *fe_dr_get_arr(struct imp *im, const cJSON *obj, const char *key,
			   const struct jp *at, struct jp *here)
{
	const cJSON *f = fe_dr_field(obj, key);
	*here = (struct jp){at, f ? f->string : key, 0};
	if (!f)
		return NULL;
	if (!cJSON_IsArray(f)) {
		fe_dr_type_error(im, here, "an array", f);
		return NULL;
	}
	if (cJSON_GetArraySize(f) > DR_MAX_ITEMS) {
		diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, here),
			 "drone-runtime-limit",
			 "array has more than %d elements", DR_MAX_ITEMS);
		return NULL;
	}
	return f;
}

/* A string; NULL when absent, null or "" (Go's zero value). */
char *fe_dr_get_str(struct imp *im, const cJSON *obj, const char *key,
		    const struct jp *at)
{
	const cJSON *f = fe_dr_field(obj, key);
	if (!f)
		return NULL;
	if (!cJSON_IsString(f)) {
		fe_dr_type_error(im, &(struct jp){at, f->string, 0}, "a string", f);
		return NULL;
	}
	return *f->valuestring ? ir_strdup(im->a, f->valuestring) : NULL;
}

bool fe_dr_get_bool(struct imp *im, const cJSON *obj, const char *key,
		    const struct jp *at)
{
	const cJSON *f = fe_dr_field(obj, key);
	if (f && !cJSON_IsBool(f))
		fe_dr_type_error(im, &(struct jp){at, f->string, 0}, "a boolean", f);
	return cJSON_IsTrue(f);
}

/* An integer; 0 when absent.  Fractions and out-of-range values are errors. */
int64_t fe_dr_get_int(struct imp *im, const cJSON *obj, const char *key,
		      const struct jp *at, int64_t min, int64_t max)
{
	const cJSON *f = fe_dr_field(obj, key);
	if (!f)
		return 0;
	struct jp here = {at, f->string, 0};
	if (!cJSON_IsNumber(f)) {
		fe_dr_type_error(im, &here, "an integer", f);
		return 0;
	}
	double d = f->valuedouble;
	if (!(d >= (double)min && d <= (double)max)) {
		diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, &here),
			 "drone-runtime-type", "integer %g is out of range", d);
		return 0;
	}
	if (d != (double)(int64_t)d) {
		diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, &here),
			 "drone-runtime-type", "expected an integer, got %g", d);
		return 0;
	}
	return (int64_t)d;
}

/* An array of strings; an empty array is absent, as Docker saw it. */
struct ir_strs fe_dr_get_strs(struct imp *im, const cJSON *obj,
			      const char *key, const struct jp *at)
{
	struct jp here;
	const cJSON *arr = fe_dr_get_arr(im, obj, key, at, &here);
	struct ir_strs out = {0};
	int n = cJSON_GetArraySize(arr);
	if (n == 0)
		return out;
	out.v = ir_calloc(im->a, (size_t)n, sizeof *out.v);
	const cJSON *e;
	cJSON_ArrayForEach(e, arr) {
		if (cJSON_IsString(e))
			out.v[out.n++] = ir_strdup(im->a, e->valuestring);
		else if (cJSON_IsNull(e))
			out.v[out.n++] = ir_strdup(im->a, "");
		else
			fe_dr_type_error(im, &(struct jp){&here, NULL, out.n}, "a string", e);
	}
	return out;
}

static int kv_by_key(const void *a, const void *b)
{
	const struct ir_kv *x = *(const struct ir_kv *const *)a;
	const struct ir_kv *y = *(const struct ir_kv *const *)b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x > y) - (x < y);
}

/*
 * A repeated key keeps its first place and its last value, as the Go
 * decoder's map did, with a warning at each repeat.  Sorting a copy
 * finds repeats in n log n, whatever the object's size.
 */
static void env_last_wins(struct imp *im, struct ir_env *env, const struct jp *at)
{
	struct ir_kv **by = malloc((env->n + 1) * sizeof *by);
	if (!by)
		ir_oom();
	for (size_t i = 0; i < env->n; i++)
		by[i] = &env->v[i];
	qsort(by, env->n, sizeof *by, kv_by_key);
	for (size_t i = 0, j; i < env->n; i = j) {
		for (j = i + 1; j < env->n && strcmp(by[i]->key, by[j]->key) == 0; j++) {
			diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, &(struct jp){at, by[j]->key, 0}),
				 "drone-runtime-duplicate-key",
				 "repeated key '%.64s': the last value is kept", by[j]->key);
			by[i]->value = by[j]->value;
			by[j]->key = NULL;
		}
	}
	free(by);
	size_t n = 0;
	for (size_t i = 0; i < env->n; i++)
		if (env->v[i].key)
			env->v[n++] = env->v[i];
	env->n = n;
}

/* An object of strings (environment, labels). */
struct ir_env fe_dr_get_env(struct imp *im, const cJSON *obj, const char *key,
			    const struct jp *at)
{
	const cJSON *f = fe_dr_field(obj, key);
	struct jp here = {at, f ? f->string : key, 0};
	struct ir_env out = {0};
	if (!f)
		return out;
	if (!cJSON_IsObject(f)) {
		fe_dr_type_error(im, &here, "an object", f);
		return out;
	}
	out.v = ir_calloc(im->a, (size_t)cJSON_GetArraySize(f) + 1, sizeof *out.v);
	const cJSON *e;
	cJSON_ArrayForEach(e, f) {
		if (!cJSON_IsString(e) && !cJSON_IsNull(e)) {
			fe_dr_type_error(im, &(struct jp){&here, e->string, 0}, "a string", e);
			continue;
		}
		out.v[out.n++] = (struct ir_kv){
			ir_strdup(im->a, e->string),
			ir_strdup(im->a, cJSON_IsString(e) ? e->valuestring : "")};
	}
	env_last_wins(im, &out, &here);
	return out;
}

/* True for the values Go leaves at zero: false, 0, "", [], {}. */
static bool is_zero(const cJSON *v)
{
	if (!v || cJSON_IsFalse(v))
		return true;
	if (cJSON_IsNumber(v))
		return v->valuedouble == 0;
	if (cJSON_IsString(v))
		return !*v->valuestring;
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return !v->child;
	return false;
}

/* Notes a field that has no IR equivalent and is left behind. */
void fe_dr_drop(struct imp *im, const cJSON *obj, const char *key,
		const struct jp *at, const char *why)
{
	const cJSON *f = fe_dr_field(obj, key);
	if (!is_zero(f))
		diag_add(im->dl, DIAG_NOTE,
			 fe_dr_pos(im, &(struct jp){at, f->string, 0}),
			 "drone-runtime-dropped", "'%s' is dropped: %s",
			 f->string, why);
}

/* Reads an enumeration string; "" is the default, unknown strings warn. */
int fe_dr_get_enum(struct imp *im, const cJSON *obj, const char *key,
		   const struct jp *at, int (*parse)(const char *),
		   const char *dflt)
{
	const cJSON *f = fe_dr_field(obj, key);
	if (!f)
		return 0;
	struct jp here = {at, f->string, 0};
	if (!cJSON_IsString(f)) {
		fe_dr_type_error(im, &here, "a string", f);
		return 0;
	}
	int v = parse(f->valuestring);
	if (v < 0 && *f->valuestring)
		diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, &here),
			 "drone-runtime-unknown-enum",
			 "unknown %s '%s' is read as '%s'", key, f->valuestring,
			 dflt);
	return v < 0 ? 0 : v;
}

/* ---- Arrays of objects ------------------------------------------------- */

/* Finds the array `key` of `obj`; returns it, or NULL, for sizing. */
const cJSON *fe_dr_objs_open(struct imp *im, struct objs *it,
			     const cJSON *obj, const char *key,
			     const struct jp *up)
{
	const cJSON *arr = fe_dr_get_arr(im, obj, key, up, &it->arr);
	it->next = arr ? arr->child : NULL;
	it->i = 0;
	return arr;
}

/* The next object of the array, or NULL at its end. */
const cJSON *fe_dr_objs_next(struct imp *im, struct objs *it)
{
	while (it->next) {
		const cJSON *e = it->next;
		it->next = e->next;
		it->at = (struct jp){&it->arr, NULL, it->i++};
		if (!(e = as_obj(im, e, it->known, &it->at)))
			continue;
		for (size_t k = 0; k < OBJS_STRS && it->strs[k]; k++)
			it->s[k] = fe_dr_get_str(im, e, it->strs[k], &it->at);
		return e;
	}
	return NULL;
}

/* Warns about an element whose `what` lacks its name. */
void fe_dr_unnamed(struct imp *im, const struct objs *it, const char *what)
{
	fe_dr_ignored(im, &it->at, "%s without a name is ignored", what);
}

/* True when both strings read are set, else warns about `what`. */
bool fe_dr_both(struct imp *im, const struct objs *it, const char *what)
{
	if (it->s[0] && it->s[1])
		return true;
	fe_dr_ignored(im, &it->at, "%s without a source and target is ignored", what);
	return false;
}

/* Calls `each` on every object of the array `key` of `obj`. */
void fe_dr_each_obj(struct imp *im, const cJSON *obj, const char *key,
		    const struct jp *up, const char *const *known,
		    void (*each)(struct imp *, const cJSON *, const struct jp *))
{
	struct objs it = {.known = known};
	fe_dr_objs_open(im, &it, obj, key, up);
	for (const cJSON *o; (o = fe_dr_objs_next(im, &it));)
		each(im, o, &it.at);
}

/* ---- Base64 and data URLs --------------------------------------------- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * Checks padded standard base64 as Go's decoder does, skipping CR and
 * LF.  Returns the text without them, or NULL with `*bad` set to the
 * offending input byte.
 */
char *fe_dr_b64_clean(struct ir_arena *a, const char *s, size_t len,
		      size_t *bad)
{
	char *out = ir_alloc(a, len + 1);
	size_t n = 0, pad = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		bool digit = s[i] && strchr(b64, s[i]);
		if ((!digit && s[i] != '=') || (digit && pad) ||
		    (s[i] == '=' && (++pad > 2 || n % 4 < 2))) {
			*bad = i;
			return NULL;
		}
		out[n++] = s[i];
	}
	if (n % 4) {
		*bad = len;
		return NULL;
	}
	return out;
}

static char *b64_encode(struct ir_arena *a, const unsigned char *s, size_t len)
{
	char *out = ir_alloc(a, (len + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	return out;
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

/* Percent-decodes `s` into bytes; NULL on a malformed escape. */
static unsigned char *pct_decode(struct ir_arena *a, const char *s, size_t *len)
{
	unsigned char *out = ir_alloc(a, strlen(s) + 1);
	size_t n = 0;
	for (; *s; s++) {
		if (*s != '%') {
			out[n++] = (unsigned char)*s;
			continue;
		}
		int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
		if (lo < 0)
			return NULL;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	*len = n;
	return out;
}

/*
 * The payload of an RFC 2397 URL `data:[type][;base64],payload` as
 * standard base64, or NULL after an error.
 */
char *fe_dr_data_url(struct imp *im, const char *url, const struct jp *at)
{
	const char *comma = strchr(url, ',');
	size_t bad, n;
	if (!comma) {
		diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, at),
			 "drone-runtime-data-url",
			 "data url has no ',' before its payload");
		return NULL;
	}
	size_t mlen = (size_t)(comma - url);
	if (mlen >= 12 && strncasecmp(comma - 7, ";base64", 7) == 0) {
		char *d = fe_dr_b64_clean(im->a, comma + 1, strlen(comma + 1), &bad);
		if (!d)
			diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, at),
				 "drone-runtime-data-url",
				 "illegal base64 data at payload byte %zu", bad);
		return d;
	}
	unsigned char *raw = pct_decode(im->a, comma + 1, &n);
	if (!raw) {
		diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, at),
			 "drone-runtime-data-url",
			 "malformed percent escape in data url");
		return NULL;
	}
	return b64_encode(im->a, raw, n);
}

/* ---- The text ---------------------------------------------------------- */

/* Parses the first JSON value; later text is warned about, as Go ignored it. */
cJSON *fe_dr_parse(const char *path, const char *text, size_t len,
		   struct diag_list *dl)
{
	const char *end = NULL;
	cJSON *top = cJSON_ParseWithLengthOpts(text, len, &end, false);
	size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
	if (!top && ir_json_depth(text, off) >= CJSON_NESTING_LIMIT) {
		diag_error(dl, ir_text_pos(path, text, off), "drone-runtime-json",
			   "arrays and objects nest deeper than %d levels", CJSON_NESTING_LIMIT);
		return NULL;
	}
	if (!top) {
		diag_error(dl, ir_text_pos(path, text, off), "drone-runtime-json",
			   off >= len ? "unexpected end of json input" :
			   "malformed json");
		return NULL;
	}
	while (off < len && strchr(" \t\r\n", text[off]) && text[off])
		off++;
	if (off < len)
		diag_warning(dl, ir_text_pos(path, text, off), "drone-runtime-trailing-data",
			     "text after the first json value is ignored");
	if (!cJSON_IsObject(top)) {
		diag_error(dl, (struct ir_pos){.file = path, .pointer = ""},
			   "drone-runtime-json", "expected a json object, got %s",
			   ir_json_type_name(top));
		cJSON_Delete(top);
		return NULL;
	}
	return top;
}
