/*
 * drone_runtime.c - imports drone-runtime IR, both published generations,
 * as IR v2.
 *
 * The text is parsed with cJSON and walked once, field by field, under the
 * observable rules of the Go decoder drone-runtime used: keys match
 * case-insensitively (an exact match wins), null is absent, unknown keys
 * are ignored.  Where that decoder silently accepted something dubious (an
 * unknown key, an unknown enum string, a reference to nothing) the walk
 * warns; where it failed the whole file (a type mismatch, bad base64) the
 * walk records an error and carries on, so one run reports every problem.
 * Positions are JSON Pointers, kept as a chain on the stack while the walk
 * descends and rendered only when a diagnostic or an IR node needs one.
 *
 * The 2017-18 format (`pipeline`, a list of stages) becomes steps that
 * depend on every step of the stage before; the 2019 spec format
 * (`metadata`, `steps`, `docker`) maps nearly field for field, its serial
 * mode made explicit as a chain of depends_on.  Secret values and registry
 * passwords are never copied: the IR names secrets and the runtime asks for
 * their values.  docs/drone-runtime.md is the field-by-field table.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "frontend/internal.h"

/* Ceilings: a hostile file gets a diagnostic, not unbounded work. */
#define DR_MAX_STEPS 1000       /* steps in one file */
#define DR_MAX_ITEMS 10000      /* elements of one array; pipeline volumes */

/* One step of a JSON Pointer: a key, or an index when `key` is NULL. */
struct jp {
	const struct jp *up;
	const char *key;
	size_t index;
};

struct imp {
	const char *path;
	struct ir_arena *a;
	struct diag_list *dl;
	struct ir_pipeline *p;
	size_t cap_steps, cap_secrets, cap_volumes, cap_files, cap_networks;
	size_t stage_lo;        /* OLD: index of the current stage's first step */
	bool too_many;          /* the step ceiling was reported */
};

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

static struct ir_pos pos_at(struct imp *im, const struct jp *at)
{
	return (struct ir_pos){.file = im->path, .pointer = jp_str(im->a, at)};
}

static void type_error(struct imp *im, const struct jp *at, const char *want,
		       const cJSON *got)
{
	diag_add(im->dl, DIAG_ERROR, pos_at(im, at), "drone-runtime-type",
		 "expected %s, got %s", want, ir_json_type_name(got));
}

/*
 * The shorthands for the importer's two commonest findings: a reference
 * or element that cannot be resolved and is skipped, and a value with no
 * IR equivalent.
 */
static __attribute__((format(printf, 3, 4))) void
ignored(struct imp *im, const struct jp *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(im->dl, DIAG_WARNING, pos_at(im, at),
		  "drone-runtime-unresolved-ref", fmt, ap);
	va_end(ap);
}

static __attribute__((format(printf, 3, 4))) void
dropped(struct imp *im, const struct jp *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(im->dl, DIAG_NOTE, pos_at(im, at), "drone-runtime-dropped",
		  fmt, ap);
	va_end(ap);
}

/* ---- Field access under the Go decoder's rules ------------------------ */

/*
 * The value of `key` in `obj`: the last exact-case match, else the last
 * case-insensitive one (later duplicates overwrite, as in Go).  NULL when
 * absent or null.
 */
static const cJSON *field(const cJSON *obj, const char *key)
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

static bool known_key(const char *const *known, const char *key)
{
	for (; *known; known++)
		if (strcasecmp(*known, key) == 0)
			return true;
	return false;
}

/* Warns about each key drone-runtime ignored without a word. */
static void check_keys(struct imp *im, const cJSON *obj,
		       const char *const *known, const struct jp *at)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, obj) {
		if (c->string && !known_key(known, c->string))
			diag_add(im->dl, DIAG_WARNING,
				 pos_at(im, &(struct jp){at, c->string, 0}),
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
		type_error(im, at, "an object", v);
		return NULL;
	}
	check_keys(im, v, known, at);
	return v;
}

/* The object under `key`; `*here` becomes its pointer step. */
static const cJSON *get_obj(struct imp *im, const cJSON *obj, const char *key,
			    const char *const *known, const struct jp *at,
			    struct jp *here)
{
	const cJSON *f = field(obj, key);
	*here = (struct jp){at, f ? f->string : key, 0};
	return as_obj(im, f, known, here);
}

/* The array under `key`, or NULL; `*here` becomes its pointer step. */
static const cJSON *get_arr(struct imp *im, const cJSON *obj, const char *key,
			    const struct jp *at, struct jp *here)
{
	const cJSON *f = field(obj, key);
	*here = (struct jp){at, f ? f->string : key, 0};
	if (!f)
		return NULL;
	if (!cJSON_IsArray(f)) {
		type_error(im, here, "an array", f);
		return NULL;
	}
	if (cJSON_GetArraySize(f) > DR_MAX_ITEMS) {
		diag_add(im->dl, DIAG_ERROR, pos_at(im, here),
			 "drone-runtime-limit",
			 "array has more than %d elements", DR_MAX_ITEMS);
		return NULL;
	}
	return f;
}

/* A string; NULL when absent, null or "" (Go's zero value). */
static char *get_str(struct imp *im, const cJSON *obj, const char *key,
		     const struct jp *at)
{
	const cJSON *f = field(obj, key);
	if (!f)
		return NULL;
	if (!cJSON_IsString(f)) {
		type_error(im, &(struct jp){at, f->string, 0}, "a string", f);
		return NULL;
	}
	return *f->valuestring ? ir_strdup(im->a, f->valuestring) : NULL;
}

static bool get_bool(struct imp *im, const cJSON *obj, const char *key,
		     const struct jp *at)
{
	const cJSON *f = field(obj, key);
	if (f && !cJSON_IsBool(f))
		type_error(im, &(struct jp){at, f->string, 0}, "a boolean", f);
	return cJSON_IsTrue(f);
}

/* An integer; 0 when absent.  Fractions and out-of-range values are errors. */
static int64_t get_int(struct imp *im, const cJSON *obj, const char *key,
		       const struct jp *at, int64_t min, int64_t max)
{
	const cJSON *f = field(obj, key);
	if (!f)
		return 0;
	struct jp here = {at, f->string, 0};
	if (!cJSON_IsNumber(f)) {
		type_error(im, &here, "an integer", f);
		return 0;
	}
	double d = f->valuedouble;
	if (!(d >= (double)min && d <= (double)max)) {
		diag_add(im->dl, DIAG_ERROR, pos_at(im, &here),
			 "drone-runtime-type", "integer %g is out of range", d);
		return 0;
	}
	if (d != (double)(int64_t)d) {
		diag_add(im->dl, DIAG_ERROR, pos_at(im, &here),
			 "drone-runtime-type", "expected an integer, got %g", d);
		return 0;
	}
	return (int64_t)d;
}

/* An array of strings; an empty array is absent, as Docker saw it. */
static struct ir_strs get_strs(struct imp *im, const cJSON *obj,
			       const char *key, const struct jp *at)
{
	struct jp here;
	const cJSON *arr = get_arr(im, obj, key, at, &here);
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
			type_error(im, &(struct jp){&here, NULL, out.n}, "a string", e);
	}
	return out;
}

/* An object of strings (environment). */
static struct ir_env get_env(struct imp *im, const cJSON *obj, const char *key,
			     const struct jp *at)
{
	const cJSON *f = field(obj, key);
	struct jp here = {at, f ? f->string : key, 0};
	struct ir_env out = {0};
	if (!f)
		return out;
	if (!cJSON_IsObject(f)) {
		type_error(im, &here, "an object", f);
		return out;
	}
	out.v = ir_calloc(im->a, (size_t)cJSON_GetArraySize(f) + 1, sizeof *out.v);
	const cJSON *e;
	cJSON_ArrayForEach(e, f) {
		if (!cJSON_IsString(e) && !cJSON_IsNull(e)) {
			type_error(im, &(struct jp){&here, e->string, 0}, "a string", e);
			continue;
		}
		out.v[out.n++] = (struct ir_kv){
			ir_strdup(im->a, e->string),
			ir_strdup(im->a, cJSON_IsString(e) ? e->valuestring : "")};
	}
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
static void drop(struct imp *im, const cJSON *obj, const char *key,
		 const struct jp *at, const char *why)
{
	const cJSON *f = field(obj, key);
	if (!is_zero(f))
		diag_add(im->dl, DIAG_NOTE,
			 pos_at(im, &(struct jp){at, f->string, 0}),
			 "drone-runtime-dropped", "'%s' is dropped: %s",
			 f->string, why);
}

/* Reads an enumeration string; "" is the default, unknown strings warn. */
static int get_enum(struct imp *im, const cJSON *obj, const char *key,
		    const struct jp *at, int (*parse)(const char *),
		    const char *dflt)
{
	const cJSON *f = field(obj, key);
	if (!f)
		return 0;
	struct jp here = {at, f->string, 0};
	if (!cJSON_IsString(f)) {
		type_error(im, &here, "a string", f);
		return 0;
	}
	int v = parse(f->valuestring);
	if (v < 0 && *f->valuestring)
		diag_add(im->dl, DIAG_WARNING, pos_at(im, &here),
			 "drone-runtime-unknown-enum",
			 "unknown %s '%s' is read as '%s'", key, f->valuestring,
			 dflt);
	return v < 0 ? 0 : v;
}

/* ---- Arrays of objects ------------------------------------------------- */

#define OBJS_STRS 3             /* string fields read from each element */

/*
 * An array of objects, walked one element at a time.  Nearly every array
 * in both formats is one: each element that is not an object is reported
 * and skipped, each object's keys are checked against `known`, and the
 * string fields `strs` names are read into `s`, in order, before the
 * reader sees the object.  The caller fills `known` and `strs`; the rest
 * belongs to objs_open() and objs_next().
 */
struct objs {
	const char *const *known;
	const char *strs[OBJS_STRS];
	char *s[OBJS_STRS];     /* the current object's strings, NULL if unset */
	struct jp arr, at;      /* pointers of the array and the current object */
	const cJSON *next;
	size_t i;
};

/* Finds the array `key` of `obj`; returns it, or NULL, for sizing. */
static const cJSON *objs_open(struct imp *im, struct objs *it,
			      const cJSON *obj, const char *key,
			      const struct jp *up)
{
	const cJSON *arr = get_arr(im, obj, key, up, &it->arr);
	it->next = arr ? arr->child : NULL;
	it->i = 0;
	return arr;
}

/* The next object of the array, or NULL at its end. */
static const cJSON *objs_next(struct imp *im, struct objs *it)
{
	while (it->next) {
		const cJSON *e = it->next;
		it->next = e->next;
		it->at = (struct jp){&it->arr, NULL, it->i++};
		if (!(e = as_obj(im, e, it->known, &it->at)))
			continue;
		for (size_t k = 0; k < OBJS_STRS && it->strs[k]; k++)
			it->s[k] = get_str(im, e, it->strs[k], &it->at);
		return e;
	}
	return NULL;
}

/* Warns about an element whose `what` lacks its name. */
static void unnamed(struct imp *im, const struct objs *it, const char *what)
{
	ignored(im, &it->at, "%s without a name is ignored", what);
}

/* True when both strings read are set, else warns about `what`. */
static bool both(struct imp *im, const struct objs *it, const char *what)
{
	if (it->s[0] && it->s[1])
		return true;
	ignored(im, &it->at, "%s without a source and target is ignored", what);
	return false;
}

/* Calls `each` on every object of the array `key` of `obj`. */
static void each_obj(struct imp *im, const cJSON *obj, const char *key,
		     const struct jp *up, const char *const *known,
		     void (*each)(struct imp *, const cJSON *, const struct jp *))
{
	struct objs it = {.known = known};
	objs_open(im, &it, obj, key, up);
	for (const cJSON *o; (o = objs_next(im, &it));)
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
static char *b64_clean(struct ir_arena *a, const char *s, size_t len,
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
static char *data_url(struct imp *im, const char *url, const struct jp *at)
{
	const char *comma = strchr(url, ',');
	size_t bad, n;
	if (!comma) {
		diag_add(im->dl, DIAG_ERROR, pos_at(im, at),
			 "drone-runtime-data-url",
			 "data url has no ',' before its payload");
		return NULL;
	}
	size_t mlen = (size_t)(comma - url);
	if (mlen >= 12 && strncasecmp(comma - 7, ";base64", 7) == 0) {
		char *d = b64_clean(im->a, comma + 1, strlen(comma + 1), &bad);
		if (!d)
			diag_add(im->dl, DIAG_ERROR, pos_at(im, at),
				 "drone-runtime-data-url",
				 "illegal base64 data at payload byte %zu", bad);
		return d;
	}
	unsigned char *raw = pct_decode(im->a, comma + 1, &n);
	if (!raw) {
		diag_add(im->dl, DIAG_ERROR, pos_at(im, at),
			 "drone-runtime-data-url",
			 "malformed percent escape in data url");
		return NULL;
	}
	return b64_encode(im->a, raw, n);
}

/* ---- Building the pipeline -------------------------------------------- */

/* Makes room for one more element of an arena array, doubling when full. */
static void *grow(struct ir_arena *a, void *v, size_t n, size_t *cap,
		  size_t size)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *nv = ir_calloc(a, ncap, size);
	if (n)
		memcpy(nv, v, n * size);
	*cap = ncap;
	return nv;
}

static struct ir_secret *find_secret(struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nsecrets; i++)
		if (strcmp(p->secrets[i].name, name) == 0)
			return &p->secrets[i];
	return NULL;
}

/* Declares a secret whose value the runtime supplies, once per name. */
static void add_secret(struct imp *im, const char *name, const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	if (find_secret(p, name))
		return;
	p->secrets = grow(im->a, p->secrets, p->nsecrets, &im->cap_secrets,
			  sizeof *p->secrets);
	p->secrets[p->nsecrets++] = (struct ir_secret){
		.pos = pos_at(im, at), .name = ir_strdup(im->a, name),
		.source = IR_SECRET_RUNTIME};
}

static void secret_value_dropped(struct imp *im, const char *name,
				 const struct jp *at)
{
	diag_add(im->dl, DIAG_WARNING, pos_at(im, at),
		 "drone-runtime-secret-value",
		 "value of secret '%s' is not carried into the IR; supply it at run "
		 "time (--secret %s=...)", name, name);
}

static struct ir_volume *find_volume(struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nvolumes; i++)
		if (strcmp(p->volumes[i].name, name) == 0)
			return &p->volumes[i];
	return NULL;
}

/* `base`, or `base_2`, `base_3`... whichever `taken` does not know yet. */
static char *unique(struct imp *im, const char *base,
		    bool (*taken)(struct ir_pipeline *, const char *))
{
	char *name = ir_strdup(im->a, base);
	for (unsigned i = 2; taken(im->p, name); i++)
		name = ir_printf(im->a, "%s_%u", base, i);
	return name;
}

static bool volume_taken(struct ir_pipeline *p, const char *name)
{
	return find_volume(p, name) != NULL;
}

static bool step_taken(struct ir_pipeline *p, const char *name)
{
	return ir_step_find(p, name) != NULL;
}

static bool file_taken(struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].name, name) == 0)
			return true;
	return false;
}

/* Adds a pipeline volume; NULL after the ceiling. */
static struct ir_volume *add_volume(struct imp *im, const char *name,
				    enum ir_volume_kind kind,
				    const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	if (p->nvolumes >= DR_MAX_ITEMS) {
		diag_add(im->dl, DIAG_ERROR, pos_at(im, at),
			 "drone-runtime-limit", "more than %d volumes",
			 DR_MAX_ITEMS);
		return NULL;
	}
	char *uname = unique(im, name, volume_taken);
	p->volumes = grow(im->a, p->volumes, p->nvolumes, &im->cap_volumes,
			  sizeof *p->volumes);
	struct ir_volume *v = &p->volumes[p->nvolumes++];
	*v = (struct ir_volume){.pos = pos_at(im, at), .name = uname,
				.kind = kind};
	return v;
}

static struct ir_file *add_file(struct imp *im, const char *name, char *data,
				const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	char *uname = unique(im, name, file_taken);
	p->files = grow(im->a, p->files, p->nfiles, &im->cap_files,
			sizeof *p->files);
	struct ir_file *f = &p->files[p->nfiles++];
	*f = (struct ir_file){.pos = pos_at(im, at), .name = uname, .data = data};
	return f;
}

/* A new step, or NULL past the ceiling. */
static struct ir_step *add_step(struct imp *im, const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	if (p->nsteps >= DR_MAX_STEPS) {
		if (!im->too_many)
			diag_add(im->dl, DIAG_ERROR, pos_at(im, at),
				 "drone-runtime-limit", "more than %d steps",
				 DR_MAX_STEPS);
		im->too_many = true;
		return NULL;
	}
	p->steps = grow(im->a, p->steps, p->nsteps, &im->cap_steps,
			sizeof *p->steps);
	struct ir_step *s = &p->steps[p->nsteps++];
	s->pos = pos_at(im, at);
	return s;
}

/* Gives the step a name no earlier step has, warning when it had to change. */
static void name_step(struct imp *im, struct ir_step *s, const char *want,
		      const struct jp *at)
{
	s->name = NULL;         /* not yet visible to step_taken() */
	char *name = unique(im, want, step_taken);
	if (strcmp(name, want) != 0)
		diag_add(im->dl, DIAG_WARNING, pos_at(im, at),
			 "drone-runtime-renamed",
			 "duplicate step name '%s' is renamed '%s'", want, name);
	s->name = name;
}

/* Pipeline name from the file name: `dir/8_backup.json` gives `8_backup`. */
static char *name_from_path(struct ir_arena *a, const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	base = base ? base + 1 : path;
	if (!base || !*base || strcmp(base, "-") == 0)
		return ir_strdup(a, "default");
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char *name = ir_strndup(a, base, n);
	for (char *c = name; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-", *c))
			*c = '-';
	return name;
}

/* Room for `n` more elements, sized from the JSON array before filling. */
static void *room(struct ir_arena *a, const cJSON *arr, size_t extra,
		  size_t size)
{
	size_t n = (size_t)cJSON_GetArraySize(arr) + extra;
	return n ? ir_calloc(a, n, size) : NULL;
}

/* Splits a Docker bind target `path[:ro|:rw]`. */
static char *mount_target(struct ir_arena *a, const char *t, bool *ro)
{
	size_t n = strlen(t);
	*ro = n > 3 && strcmp(t + n - 3, ":ro") == 0;
	if (*ro || (n > 3 && strcmp(t + n - 3, ":rw") == 0))
		n -= 3;
	return ir_strndup(a, t, n);
}

/* ---- The 2017-18 stage format ------------------------------------------ */

static const char *const old_top_keys[] = {
	"version", "pipeline", "networks", "volumes", NULL};
static const char *const old_stage_keys[] = {"name", "alias", "steps", NULL};
static const char *const old_netvol_keys[] = {
	"name", "driver", "driver_opts", NULL};
static const char *const old_step_keys[] = {
	"id", "name", "alias", "image", "pull", "detach", "privileged",
	"working_dir", "secrets", "environment", "labels", "entrypoint",
	"command", "commands", "extra_hosts", "volumes", "tmpfs", "devices",
	"networks", "dns", "dns_search", "memswap_limit", "mem_limit",
	"shm_size", "cpu_quota", "cpu_shares", "cpu_set", "err_ignore",
	"on_success", "on_failure", "auth_config", "network_mode", "ipc_mode",
	"exports", "sysctls", "backup", "restore", NULL};
static const char *const old_secret_keys[] = {
	"name", "value", "mount", "mask", NULL};
static const char *const old_mount_keys[] = {
	"name", "source", "target", NULL};
static const char *const old_device_keys[] = {"source", "target", NULL};
static const char *const old_stepnet_keys[] = {
	"name", "aliases", "ports", NULL};
static const char *const old_auth_keys[] = {
	"username", "password", "email", NULL};
static const char *const old_copy_keys[] = {"source", "target", "data", NULL};

/* "networks": [{"name": "n", "driver": "bridge", "driver_opts": {}}] */
static void old_networks(struct imp *im, const cJSON *top)
{
	struct objs it = {.known = old_netvol_keys, .strs = {"name", "driver"}};
	struct ir_pipeline *p = im->p;
	p->networks = room(im->a, objs_open(im, &it, top, "networks", NULL), 0,
			   sizeof *p->networks);
	for (const cJSON *o; (o = objs_next(im, &it));) {
		drop(im, o, "driver_opts", &it.at, "IR networks carry no driver options");
		if (!it.s[0])
			unnamed(im, &it, "network");
		else
			p->networks[p->nnetworks++] =
				(struct ir_network){it.s[0], it.s[1]};
	}
}

/* "volumes": [{"name": "v", "driver": "local", "driver_opts": {}}] */
static void old_volumes(struct imp *im, const cJSON *top)
{
	struct objs it = {.known = old_netvol_keys, .strs = {"name", "driver"}};
	objs_open(im, &it, top, "volumes", NULL);
	for (const cJSON *o; (o = objs_next(im, &it));) {
		char *name = it.s[0], *driver = it.s[1];
		if (driver && strcmp(driver, "local") != 0)
			dropped(im, &it.at, "volume driver '%s' is dropped: IR "
				"volumes are local", driver);
		drop(im, o, "driver_opts", &it.at, "IR volumes carry no driver options");
		if (!name)
			unnamed(im, &it, "volume");
		else if (find_volume(im->p, name))
			diag_add(im->dl, DIAG_WARNING, pos_at(im, &it.at),
				 "drone-runtime-duplicate-name",
				 "volume '%s' is declared twice", name);
		else
			add_volume(im, name, IR_VOLUME_TEMP, &it.at);
	}
}

/* "secrets": [{"name": "TOKEN", "value": "...", "mask": true}] */
static void old_secrets(struct imp *im, struct ir_step *s, const cJSON *o,
			const struct jp *sj)
{
	struct objs it = {.known = old_secret_keys,
			  .strs = {"name", "value", "mount"}};
	s->secrets = room(im->a, objs_open(im, &it, o, "secrets", sj), 0,
			  sizeof *s->secrets);
	for (const cJSON *so; (so = objs_next(im, &it));) {
		char *name = it.s[0];
		get_bool(im, so, "mask", &it.at);
		if (!name) {
			unnamed(im, &it, "secret");
			continue;
		}
		if (it.s[1])
			secret_value_dropped(im, name, &it.at);
		add_secret(im, name, &it.at);
		s->secrets[s->nsecrets++] = (struct ir_secret_ref){name, name};
	}
}

/* A host path bind, one pipeline volume per distinct path. */
static struct ir_volume *host_volume(struct imp *im, const char *path,
				     const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	for (size_t i = 0; i < p->nvolumes; i++)
		if (p->volumes[i].host_path && strcmp(p->volumes[i].host_path, path) == 0)
			return &p->volumes[i];
	struct ir_volume *v = add_volume(im, "host", IR_VOLUME_HOST, at);
	if (v)
		v->host_path = ir_strdup(im->a, path);
	return v;
}

/* The volume a mount `{name|source, target}` names, or NULL. */
static struct ir_volume *old_mount_volume(struct imp *im, const char *name,
					  const char *source,
					  const struct jp *at)
{
	if (!name)
		return host_volume(im, source, at);
	struct ir_volume *v = find_volume(im->p, name);
	if (v)
		return v;
	diag_add(im->dl, DIAG_WARNING, pos_at(im, at),
		 "drone-runtime-unresolved-ref",
		 "volume '%s' is not declared in 'volumes' and becomes a temp volume",
		 name);
	return add_volume(im, name, IR_VOLUME_TEMP, at);
}

/* "volumes": [{"name": "v", "target": "/data"}, {"source": "/host", "target": "/x:ro"}] */
static void old_mounts(struct imp *im, struct ir_step *s, struct objs *it)
{
	while (objs_next(im, it)) {
		char *name = it->s[0], *source = it->s[1], *target = it->s[2];
		if (!target || (!name && !source)) {
			ignored(im, &it->at, "volume mount without %s is ignored",
				target ? "a name or source" : "a target");
			continue;
		}
		struct ir_volume *v = old_mount_volume(im, name, source, &it->at);
		if (!v)
			continue;
		struct ir_mount *m = &s->volumes[s->nvolumes++];
		m->name = v->name;
		m->path = mount_target(im->a, target, &m->read_only);
	}
}

/* Reads `N`, `Nk`, `Nm`, `Ng` (a tmpfs size= option); -1 when malformed. */
static int64_t parse_size(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	const char *units = "kmg";
	const char *u = *end ? strchr(units, *end | 0x20) : NULL;
	if (end == s || n < 0 || (*end && (!u || end[1])))
		return -1;
	for (int i = u ? (int)(u - units) + 1 : 0; i > 0; i--) {
		if (n > INT64_MAX / 1024)
			return -1;
		n *= 1024;
	}
	return n;
}

/*
 * "tmpfs": ["/run", "/cache:size=64m"].  Like drone-runtime, only the
 * text between the first and second `:` counts as options.
 */
static void old_tmpfs_one(struct imp *im, struct ir_step *s, const char *spec,
			  const struct jp *at)
{
	const char *colon = strchr(spec, ':');
	if (colon == spec) {
		diag_add(im->dl, DIAG_WARNING, pos_at(im, at),
			 "drone-runtime-unresolved-ref",
			 "tmpfs without a path is ignored");
		return;
	}
	char *path = ir_strndup(im->a, spec, colon ? (size_t)(colon - spec) : strlen(spec));
	struct ir_volume *v = add_volume(im, "tmpfs", IR_VOLUME_TMPFS, at);
	if (!v)
		return;
	const char *opts = colon ? colon + 1 : "";
	size_t olen = strcspn(opts, ":");
	for (char *o = ir_strndup(im->a, opts, olen), *tok; (tok = strsep(&o, ","));) {
		if (strncmp(tok, "size=", 5) == 0 && parse_size(tok + 5) >= 0)
			v->size_limit = parse_size(tok + 5);
		else if (*tok)
			diag_add(im->dl, DIAG_NOTE, pos_at(im, at),
				 "drone-runtime-dropped",
				 "tmpfs option '%s' is dropped: IR tmpfs volumes carry a size only",
				 tok);
	}
	s->volumes[s->nvolumes++] = (struct ir_mount){.name = v->name, .path = path};
}

static void old_tmpfs(struct imp *im, struct ir_step *s, const cJSON *arr,
		      const struct jp *aj)
{
	const cJSON *e;
	size_t i = 0;
	cJSON_ArrayForEach(e, arr) {
		struct jp at = {aj, NULL, i++};
		if (!cJSON_IsString(e))
			type_error(im, &at, "a string", e);
		else if (*e->valuestring)
			old_tmpfs_one(im, s, e->valuestring, &at);
	}
}

static void old_step_volumes(struct imp *im, struct ir_step *s,
			     const cJSON *o, const struct jp *sj)
{
	struct objs it = {.known = old_mount_keys,
			  .strs = {"name", "source", "target"}};
	struct jp tj;
	const cJSON *arr = objs_open(im, &it, o, "volumes", sj);
	const cJSON *tmp = get_arr(im, o, "tmpfs", sj, &tj);
	s->volumes = room(im->a, arr, (size_t)cJSON_GetArraySize(tmp),
			  sizeof *s->volumes);
	old_mounts(im, s, &it);
	old_tmpfs(im, s, tmp, &tj);
}

/* "devices": [{"source": "/dev/fuse", "target": "/dev/fuse"}] */
static void old_devices(struct imp *im, struct ir_step *s, const cJSON *o,
			const struct jp *sj)
{
	struct objs it = {.known = old_device_keys, .strs = {"source", "target"}};
	s->devices = room(im->a, objs_open(im, &it, o, "devices", sj), 0,
			  sizeof *s->devices);
	while (objs_next(im, &it))
		if (both(im, &it, "device"))
			s->devices[s->ndevices++] = (struct ir_device){it.s[0], it.s[1]};
}

/* "networks": [{"name": "net", "aliases": ["svc"]}] */
static void old_step_networks(struct imp *im, struct ir_step *s,
			      const cJSON *o, const struct jp *sj)
{
	struct objs it = {.known = old_stepnet_keys, .strs = {"name"}};
	const cJSON *arr = objs_open(im, &it, o, "networks", sj);
	if (arr && arr->child && s->network_mode) {
		dropped(im, &it.arr, "'networks' is dropped: drone-runtime joined "
			"no network when 'network_mode' was set");
		return;
	}
	s->networks.v = room(im->a, arr, 0, sizeof *s->networks.v);
	for (const cJSON *n; (n = objs_next(im, &it));) {
		struct ir_strs aliases = get_strs(im, n, "aliases", &it.at);
		for (size_t k = 0; k < aliases.n; k++)
			if (strcmp(aliases.v[k], s->name) != 0)
				dropped(im, &it.at, "network alias '%s' is dropped: "
					"a step is reachable by its name only",
					aliases.v[k]);
		if (it.s[0])
			s->networks.v[s->networks.n++] = it.s[0];
		else
			unnamed(im, &it, "network");
	}
	if (!s->networks.n)
		s->networks.v = NULL;
}

/*
 * "backup": [{"source": "/tmp", "target": "/snapshot/a"}]: after the step,
 * `source` is kept under the name `target`, an artifact export.
 */
static void old_backup(struct imp *im, struct ir_step *s, const cJSON *o,
		       const struct jp *sj)
{
	struct objs it = {.known = old_copy_keys, .strs = {"source", "target"}};
	s->exports = room(im->a, objs_open(im, &it, o, "backup", sj), 0,
			  sizeof *s->exports);
	while (objs_next(im, &it))
		if (both(im, &it, "backup"))
			s->exports[s->nexports++] =
				(struct ir_artifact){it.s[1], it.s[0]};
}

/* The path a step of an earlier stage backs up to `name`, or NULL. */
static const char *backed_up_before(struct imp *im, const char *name)
{
	const char *path = NULL;
	for (size_t i = 0; i < im->stage_lo; i++) {
		const struct ir_step *s = &im->p->steps[i];
		for (size_t k = 0; k < s->nexports; k++)
			if (strcmp(s->exports[k].name, name) == 0)
				path = s->exports[k].path;
	}
	return path;
}

/*
 * drone-runtime unpacked a backup of /tmp (a tar whose top entry is
 * `tmp`) into the restore target; an IR import names where the exported
 * path lands, so a restore of it to / is an import at /tmp.
 */
static char *import_path(struct ir_arena *a, const char *target,
			 const char *exported)
{
	const char *base = strrchr(exported, '/');
	base = base ? base + 1 : exported;
	if (!*base)
		return ir_strdup(a, target);
	size_t n = strlen(target);
	while (n > 1 && target[n - 1] == '/')
		n--;
	return ir_printf(a, "%.*s%s%s", (int)n, target,
			 target[n - 1] == '/' ? "" : "/", base);
}

/* A `data:` URL restore: a pipeline archive file mounted at `target`. */
static void old_restore_inline(struct imp *im, struct ir_step *s,
			       const char *url, char *target,
			       const struct jp *at)
{
	char *data = data_url(im, url, at);
	if (!data)
		return;
	struct ir_file *f = add_file(im, "restore", data, at);
	f->archive = true;
	s->files[s->nfiles++] = (struct ir_file_mount){f->name, target, 0};
}

/*
 * "restore": [{"source": "/snapshot/a", "target": "/"}] imports what an
 * earlier stage backed up; a `data:` URL source is carried inline.
 */
static void old_restore(struct imp *im, struct ir_step *s, const cJSON *o,
			const struct jp *sj)
{
	struct objs it = {.known = old_copy_keys, .strs = {"source", "target"}};
	const cJSON *arr = objs_open(im, &it, o, "restore", sj);
	s->imports = room(im->a, arr, 0, sizeof *s->imports);
	s->files = room(im->a, arr, 0, sizeof *s->files);
	while (objs_next(im, &it)) {
		const char *exported;
		char *src = it.s[0], *dst = it.s[1];
		if (!both(im, &it, "restore"))
			continue;
		if (strncasecmp(src, "data:", 5) == 0)
			old_restore_inline(im, s, src, dst, &it.at);
		else if ((exported = backed_up_before(im, src)))
			s->imports[s->nimports++] = (struct ir_artifact){
				src, import_path(im->a, dst, exported)};
		else
			ignored(im, &it.at, "restore source '%s' is backed up by "
				"no earlier step and is ignored", src);
	}
}

/* on_success/on_failure: both run always, neither never runs. */
static void old_run_policy(struct imp *im, struct ir_step *s, const cJSON *o,
			   const struct jp *sj)
{
	static const enum ir_run_policy table[2][2] = {
		{IR_RUN_NEVER, IR_RUN_ON_FAILURE},
		{IR_RUN_ON_SUCCESS, IR_RUN_ALWAYS},
	};
	bool ok = get_bool(im, o, "on_success", sj);
	bool fail = get_bool(im, o, "on_failure", sj);
	s->run_policy = table[ok][fail];
	if (!ok && !fail)
		diag_add(im->dl, DIAG_WARNING, pos_at(im, sj),
			 "drone-runtime-never-runs",
			 "step '%s' sets neither 'on_success' nor 'on_failure' and "
			 "never runs", s->name);
}

/*
 * mem_limit and shm_size are bytes; cpu_quota is microseconds per
 * Docker's default 100 ms period, so quota / 100 is millicores.
 */
static void old_resources(struct imp *im, struct ir_step *s, const cJSON *o,
			  const struct jp *sj)
{
	s->resources.memory = get_int(im, o, "mem_limit", sj, 0, INT64_MAX);
	s->resources.shm_size = get_int(im, o, "shm_size", sj, 0, INT64_MAX);
	int64_t quota = get_int(im, o, "cpu_quota", sj, 0, INT64_MAX);
	s->resources.cpu_millis = quota / 100 + (quota % 100 != 0);
	drop(im, o, "memswap_limit", sj, "IR resources have no swap limit");
	drop(im, o, "cpu_shares", sj, "IR resources have no relative CPU weight");
	drop(im, o, "cpu_set", sj, "IR resources do not pin CPUs");
}

static void old_dropped(struct imp *im, const cJSON *o, const struct jp *sj)
{
	drop(im, o, "labels", sj, "IR steps carry no container labels");
	drop(im, o, "commands", sj, "drone-runtime ignored it and ran "
	     "'entrypoint' and 'command'");
	drop(im, o, "ipc_mode", sj, "IR steps have no IPC mode");
	drop(im, o, "sysctls", sj, "IR steps have no sysctls");
	drop(im, o, "exports", sj, "drone-runtime handed them only to an "
	     "embedding program");
}

/* "auth_config": {"username": "u", "password": "p", "email": "e"} */
static void old_auth(struct imp *im, const cJSON *o, const struct jp *sj)
{
	struct jp aj;
	const cJSON *auth = get_obj(im, o, "auth_config", old_auth_keys, sj, &aj);
	if (!auth)
		return;
	char *user = get_str(im, auth, "username", &aj);
	char *pass = get_str(im, auth, "password", &aj);
	get_str(im, auth, "email", &aj);
	if (user || pass)
		diag_add(im->dl, DIAG_WARNING, pos_at(im, &aj),
			 "drone-runtime-secret-value",
			 "registry credentials are not carried into the IR; supply "
			 "them at run time");
}

static void old_step(struct imp *im, const cJSON *o, const struct jp *sj,
		     size_t stage, size_t index)
{
	struct ir_step *s = add_step(im, sj);
	if (!s)
		return;
	char *alias = get_str(im, o, "alias", sj);
	char *cname = get_str(im, o, "name", sj);
	name_step(im, s, alias ? alias : cname ? cname :
		  ir_printf(im->a, "stage%zu_step%zu", stage, index), sj);
	get_int(im, o, "id", sj, INT64_MIN, INT64_MAX);
	s->image = get_str(im, o, "image", sj);
	s->pull = get_bool(im, o, "pull", sj) ? IR_PULL_ALWAYS : IR_PULL_IF_NOT_EXISTS;
	s->detach = get_bool(im, o, "detach", sj);
	s->privileged = get_bool(im, o, "privileged", sj);
	s->working_dir = get_str(im, o, "working_dir", sj);
	s->environment = get_env(im, o, "environment", sj);
	s->entrypoint = get_strs(im, o, "entrypoint", sj);
	s->command = get_strs(im, o, "command", sj);
	s->extra_hosts = get_strs(im, o, "extra_hosts", sj);
	s->dns = get_strs(im, o, "dns", sj);
	s->dns_search = get_strs(im, o, "dns_search", sj);
	s->ignore_error = get_bool(im, o, "err_ignore", sj);
	s->network_mode = get_str(im, o, "network_mode", sj);
	old_run_policy(im, s, o, sj);
	old_resources(im, s, o, sj);
	old_secrets(im, s, o, sj);
	old_step_volumes(im, s, o, sj);
	old_devices(im, s, o, sj);
	old_step_networks(im, s, o, sj);
	old_backup(im, s, o, sj);
	old_restore(im, s, o, sj);
	old_auth(im, o, sj);
	old_dropped(im, o, sj);
}

/* Each step of a stage depends on every step of the last non-empty one. */
static void stage_depends(struct imp *im, size_t lo, size_t hi, size_t plo,
			  size_t phi)
{
	struct ir_pipeline *p = im->p;
	if (phi == plo)
		return;
	char **names = ir_calloc(im->a, phi - plo, sizeof *names);
	for (size_t k = plo; k < phi; k++)
		names[k - plo] = p->steps[k].name;
	for (size_t k = lo; k < hi; k++)
		p->steps[k].depends_on = (struct ir_strs){names, phi - plo};
}

/* "pipeline": [{"name": "stage_0", "steps": [...]}, ...] */
static void old_stages(struct imp *im, const cJSON *top)
{
	struct objs it = {.known = old_stage_keys, .strs = {"name", "alias"}};
	size_t plo = 0, phi = 0;
	objs_open(im, &it, top, "pipeline", NULL);
	for (const cJSON *st; (st = objs_next(im, &it));) {
		struct objs steps = {.known = old_step_keys};
		size_t lo = im->stage_lo = im->p->nsteps;
		objs_open(im, &steps, st, "steps", &it.at);
		for (const cJSON *so; (so = objs_next(im, &steps));)
			old_step(im, so, &steps.at, it.at.index, steps.at.index);
		stage_depends(im, lo, im->p->nsteps, plo, phi);
		if (im->p->nsteps > lo) {
			plo = lo;
			phi = im->p->nsteps;
		}
	}
}

static void old_import(struct imp *im, const cJSON *top)
{
	check_keys(im, top, old_top_keys, NULL);
	get_int(im, top, "version", NULL, INT64_MIN, INT64_MAX);
	old_networks(im, top);
	old_volumes(im, top);
	old_stages(im, top);
}

/* ---- The 2019 spec format --------------------------------------------- */

static const char *const new_top_keys[] = {
	"metadata", "platform", "secrets", "steps", "files", "docker", "qemu",
	"fusion", NULL};
static const char *const meta_keys[] = {
	"uid", "namespace", "name", "labels", NULL};
static const char *const platform_keys[] = {
	"os", "arch", "variant", "version", NULL};
static const char *const data_keys[] = {"metadata", "data", NULL};
static const char *const docker_keys[] = {"auths", "volumes", NULL};
static const char *const auth_keys[] = {
	"address", "username", "password", NULL};
static const char *const volume_keys[] = {"metadata", "temp", "host", NULL};
static const char *const temp_keys[] = {"medium", "size_limit", NULL};
static const char *const host_keys[] = {"path", NULL};
static const char *const step_keys[] = {
	"metadata", "detach", "depends_on", "devices", "environment", "files",
	"ignore_err", "ignore_stderr", "ignore_stdout", "resources",
	"run_policy", "secrets", "volumes", "working_dir", "docker", NULL};
static const char *const step_docker_keys[] = {
	"image", "command", "args", "pull_policy", "privileged", "user",
	"network", "networks", "dns", "dns_search", "extra_hosts", "ports",
	NULL};
static const char *const port_keys[] = {"port", "host", "protocol", NULL};
static const char *const resources_keys[] = {"limits", "requests", NULL};
static const char *const limit_keys[] = {"cpu", "memory", NULL};
static const char *const secret_ref_keys[] = {"name", "env", NULL};
static const char *const mount_ref_keys[] = {"name", "path", NULL};
static const char *const file_ref_keys[] = {"name", "path", "mode", NULL};

struct meta {
	char *name, *uid;
};

/* "metadata": {"uid": "...", "namespace": "...", "name": "...", "labels": {}} */
static struct meta get_meta(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct jp mj;
	const cJSON *m = get_obj(im, o, "metadata", meta_keys, at, &mj);
	struct meta out = {0};
	if (!m)
		return out;
	out.name = get_str(im, m, "name", &mj);
	out.uid = get_str(im, m, "uid", &mj);
	get_str(im, m, "namespace", &mj);
	get_env(im, m, "labels", &mj);
	drop(im, m, "labels", &mj, "IR objects carry no labels");
	return out;
}

/* "temp": {"medium": "memory", "size_limit": 1024} */
static void new_temp_volume(struct imp *im, const char *name,
			    const cJSON *temp, const struct jp *tj,
			    const struct jp *at)
{
	char *medium = temp ? get_str(im, temp, "medium", tj) : NULL;
	int64_t size = temp ? get_int(im, temp, "size_limit", tj, 0, INT64_MAX) : 0;
	bool mem = medium && strcmp(medium, "memory") == 0;
	if (medium && !mem)
		diag_add(im->dl, DIAG_WARNING, pos_at(im, tj),
			 "drone-runtime-unknown-enum",
			 "unknown medium '%s' is read as a disk volume", medium);
	if (size && !mem)
		drop(im, temp, "size_limit", tj, "drone-runtime sized memory "
		     "volumes only");
	struct ir_volume *v = add_volume(im, name, mem ? IR_VOLUME_TMPFS :
					 IR_VOLUME_TEMP, at);
	if (v && mem)
		v->size_limit = size;
}

/* "volumes": [{"metadata": {"name": "v"}, "temp": {} | "host": {"path": "/p"}}] */
static void new_volume(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct meta m = get_meta(im, o, at);
	struct jp tj, hj;
	const cJSON *temp = get_obj(im, o, "temp", temp_keys, at, &tj);
	const cJSON *host = get_obj(im, o, "host", host_keys, at, &hj);
	char *hpath = host ? get_str(im, host, "path", &hj) : NULL;
	if (!m.name)
		ignored(im, at, "volume without a name is ignored");
	else if (find_volume(im->p, m.name))
		diag_add(im->dl, DIAG_WARNING, pos_at(im, at),
			 "drone-runtime-duplicate-name",
			 "volume '%s' is declared twice; the first is used",
			 m.name);
	else if (host && !temp && !hpath)
		ignored(im, &hj, "host volume '%s' has no path and is ignored",
			m.name);
	else if (host && !temp) {
		struct ir_volume *v = add_volume(im, m.name, IR_VOLUME_HOST, at);
		if (v)
			v->host_path = hpath;
	} else {
		if (!temp)
			ignored(im, at, "volume '%s' has neither 'temp' nor 'host' "
				"and becomes a temp volume", m.name);
		new_temp_volume(im, m.name, temp, temp ? &tj : at, at);
	}
}

/* "auths": [{"address": "index.docker.io", "username": "u", "password": "p"}] */
static void new_auths(struct imp *im, const cJSON *docker, const struct jp *dj)
{
	struct objs it = {.known = auth_keys,
			  .strs = {"address", "username", "password"}};
	objs_open(im, &it, docker, "auths", dj);
	while (objs_next(im, &it))
		if (it.s[1] || it.s[2])
			diag_add(im->dl, DIAG_WARNING, pos_at(im, &it.at),
				 "drone-runtime-secret-value",
				 "credentials for registry '%s' are not carried into "
				 "the IR; supply them at run time",
				 it.s[0] ? it.s[0] : "");
}

/* "docker": {"auths": [...], "volumes": [...]} */
static void new_docker(struct imp *im, const cJSON *top)
{
	struct jp dj;
	const cJSON *docker = get_obj(im, top, "docker", docker_keys, NULL, &dj);
	if (!docker)
		return;
	new_auths(im, docker, &dj);
	each_obj(im, docker, "volumes", &dj, volume_keys, new_volume);
}

/* "secrets": [{"metadata": {"name": "s"}, "data": "value"}] */
static void new_secret(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct meta m = get_meta(im, o, at);
	char *data = get_str(im, o, "data", at);
	if (!m.name) {
		ignored(im, at, "secret without a name is ignored");
		return;
	}
	if (data)
		secret_value_dropped(im, m.name, at);
	add_secret(im, m.name, at);
}

/* "files": [{"metadata": {"name": "f"}, "data": "<base64>"}] */
static void new_file(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct meta m = get_meta(im, o, at);
	const cJSON *f = field(o, "data");
	struct jp dj = {at, f ? f->string : "data", 0};
	char *data = ir_strdup(im->a, "");
	size_t bad;
	if (f && !cJSON_IsString(f))
		type_error(im, &dj, "a string", f);
	else if (f && !(data = b64_clean(im->a, f->valuestring,
					 strlen(f->valuestring), &bad)))
		diag_add(im->dl, DIAG_ERROR, pos_at(im, &dj),
			 "drone-runtime-base64",
			 "illegal base64 data at input byte %zu", bad);
	if (!m.name)
		ignored(im, at, "file without a name cannot be referenced and is "
			"ignored");
	else if (file_taken(im->p, m.name))
		diag_add(im->dl, DIAG_WARNING, pos_at(im, at),
			 "drone-runtime-duplicate-name",
			 "file '%s' is declared twice; the first is used",
			 m.name);
	else if (data)
		add_file(im, m.name, data, at);
}

static void unresolved(struct imp *im, const struct jp *at, const char *what,
		       const char *name, const char *where)
{
	if (name)
		ignored(im, at, "%s '%s' is not declared in '%s' and is ignored",
			what, name, where);
	else
		ignored(im, at, "%s reference without a name is ignored", what);
}

/* "secrets": [{"name": "s", "env": "TOKEN"}] */
static void new_step_secrets(struct imp *im, struct ir_step *s,
			     const cJSON *o, const struct jp *sj)
{
	struct objs it = {.known = secret_ref_keys, .strs = {"name", "env"}};
	s->secrets = room(im->a, objs_open(im, &it, o, "secrets", sj), 0,
			  sizeof *s->secrets);
	while (objs_next(im, &it)) {
		char *name = it.s[0], *env = it.s[1];
		if (!name || !find_secret(im->p, name))
			unresolved(im, &it.at, "secret", name, "secrets");
		else
			s->secrets[s->nsecrets++] =
				(struct ir_secret_ref){name, env ? env : name};
	}
}

/* The declared volume an element `{name, path}` names; NULL after a warning. */
static struct ir_volume *ref_volume(struct imp *im, const struct objs *it,
				    const char *what)
{
	struct ir_volume *v = it->s[0] ? find_volume(im->p, it->s[0]) : NULL;
	if (!v)
		unresolved(im, &it->at, what, it->s[0], "docker.volumes");
	return v;
}

/* "volumes": [{"name": "v", "path": "/data"}] */
static void new_step_volumes(struct imp *im, struct ir_step *s,
			     const cJSON *o, const struct jp *sj)
{
	struct objs it = {.known = mount_ref_keys, .strs = {"name", "path"}};
	s->volumes = room(im->a, objs_open(im, &it, o, "volumes", sj), 0,
			  sizeof *s->volumes);
	while (objs_next(im, &it)) {
		struct ir_volume *v = ref_volume(im, &it, "volume");
		if (v && !it.s[1])
			ignored(im, &it.at, "mount of volume '%s' has no path and "
				"is ignored", v->name);
		else if (v)
			s->volumes[s->nvolumes++] =
				(struct ir_mount){.name = v->name, .path = it.s[1]};
	}
}

/* "devices": [{"name": "host-volume", "path": "/dev/xvda"}] */
static void new_step_devices(struct imp *im, struct ir_step *s,
			     const cJSON *o, const struct jp *sj)
{
	struct objs it = {.known = mount_ref_keys, .strs = {"name", "path"}};
	s->devices = room(im->a, objs_open(im, &it, o, "devices", sj), 0,
			  sizeof *s->devices);
	while (objs_next(im, &it)) {
		struct ir_volume *v = ref_volume(im, &it, "device volume");
		if (v && (v->kind != IR_VOLUME_HOST || !it.s[1]))
			ignored(im, &it.at, "device '%s' needs a host volume and "
				"a path and is ignored", it.s[0]);
		else if (v)
			s->devices[s->ndevices++] =
				(struct ir_device){v->host_path, it.s[1]};
	}
}

/* "files": [{"name": "script", "path": "/usr/bin/init", "mode": 493}] */
static void new_step_files(struct imp *im, struct ir_step *s,
			   const cJSON *o, const struct jp *sj)
{
	struct objs it = {.known = file_ref_keys, .strs = {"name", "path"}};
	s->files = room(im->a, objs_open(im, &it, o, "files", sj), 0,
			sizeof *s->files);
	for (const cJSON *r; (r = objs_next(im, &it));) {
		char *name = it.s[0], *path = it.s[1];
		int64_t mode = get_int(im, r, "mode", &it.at, 0, UINT32_MAX);
		if (!name || !file_taken(im->p, name))
			unresolved(im, &it.at, "file", name, "files");
		else if (!path)
			ignored(im, &it.at, "file '%s' has no path and is ignored",
				name);
		else
			s->files[s->nfiles++] = (struct ir_file_mount){
				name, path, (int)(mode & 07777)};
	}
}

/* "ports": [{"port": 6379, "host": 6379, "protocol": "TCP"}] */
static void new_step_ports(struct imp *im, struct ir_step *s,
			   const cJSON *d, const struct jp *dj)
{
	struct objs it = {.known = port_keys};
	s->ports = room(im->a, objs_open(im, &it, d, "ports", dj), 0,
			sizeof *s->ports);
	for (const cJSON *r; (r = objs_next(im, &it));)
		s->ports[s->nports++] = (struct ir_port){
			.port = (int)get_int(im, r, "port", &it.at, 0, 65535),
			.host = (int)get_int(im, r, "host", &it.at, 0, 65535),
			.protocol = get_str(im, r, "protocol", &it.at)};
}

/* "resources": {"limits": {"cpu": 500, "memory": 1073741824}, "requests": {...}} */
static void new_resources(struct imp *im, struct ir_step *s, const cJSON *o,
			  const struct jp *sj)
{
	struct jp rj, lj, qj;
	const cJSON *r = get_obj(im, o, "resources", resources_keys, sj, &rj);
	if (!r)
		return;
	const cJSON *l = get_obj(im, r, "limits", limit_keys, &rj, &lj);
	const cJSON *q = get_obj(im, r, "requests", limit_keys, &rj, &qj);
	if (l) {
		s->resources.cpu_millis = get_int(im, l, "cpu", &lj, 0, INT64_MAX);
		s->resources.memory = get_int(im, l, "memory", &lj, 0, INT64_MAX);
	}
	if (q) {
		get_int(im, q, "cpu", &qj, 0, INT64_MAX);
		get_int(im, q, "memory", &qj, 0, INT64_MAX);
	}
	drop(im, r, "requests", &rj, "IR resources are limits only");
}

/* "docker": {"image": "i", "command": [entrypoint], "args": [command], ...} */
static void new_step_docker(struct imp *im, struct ir_step *s, const cJSON *o,
			    const struct jp *sj)
{
	struct jp dj;
	const cJSON *d = get_obj(im, o, "docker", step_docker_keys, sj, &dj);
	if (!d)
		return;
	s->image = get_str(im, d, "image", &dj);
	s->entrypoint = get_strs(im, d, "command", &dj);
	s->command = get_strs(im, d, "args", &dj);
	s->pull = get_enum(im, d, "pull_policy", &dj, ir_pull_parse, "default");
	s->privileged = get_bool(im, d, "privileged", &dj);
	s->user = get_str(im, d, "user", &dj);
	s->network_mode = get_str(im, d, "network", &dj);
	s->networks = get_strs(im, d, "networks", &dj);
	if (s->network_mode && s->networks.n) {
		drop(im, d, "networks", &dj, "drone-runtime joined no network "
		     "when 'network' was set");
		s->networks = (struct ir_strs){0};
	}
	s->dns = get_strs(im, d, "dns", &dj);
	s->dns_search = get_strs(im, d, "dns_search", &dj);
	s->extra_hosts = get_strs(im, d, "extra_hosts", &dj);
	new_step_ports(im, s, d, &dj);
}

static void new_step(struct imp *im, const cJSON *o, const struct jp *at)
{
	struct ir_step *s = add_step(im, at);
	if (!s)
		return;
	struct meta m = get_meta(im, o, at);
	name_step(im, s, m.name ? m.name : m.uid ? m.uid :
		  ir_printf(im->a, "step_%zu", at->index), at);
	s->detach = get_bool(im, o, "detach", at);
	s->depends_on = get_strs(im, o, "depends_on", at);
	s->environment = get_env(im, o, "environment", at);
	s->ignore_error = get_bool(im, o, "ignore_err", at);
	s->run_policy = get_enum(im, o, "run_policy", at, ir_run_policy_parse,
				 "on-success");
	s->working_dir = get_str(im, o, "working_dir", at);
	get_bool(im, o, "ignore_stdout", at);
	get_bool(im, o, "ignore_stderr", at);
	drop(im, o, "ignore_stdout", at, "drone-runtime never used it");
	drop(im, o, "ignore_stderr", at, "drone-runtime never used it");
	new_resources(im, s, o, at);
	new_step_secrets(im, s, o, at);
	new_step_volumes(im, s, o, at);
	new_step_devices(im, s, o, at);
	new_step_files(im, s, o, at);
	new_step_docker(im, s, o, at);
}

/*
 * Without any depends_on drone-runtime ran the steps one at a time in
 * order; the IR says so with a chain.
 */
static void serial_chain(struct imp *im)
{
	struct ir_pipeline *p = im->p;
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].depends_on.n)
			return;
	for (size_t i = 1; i < p->nsteps; i++) {
		char **prev = ir_calloc(im->a, 1, sizeof *prev);
		prev[0] = p->steps[i - 1].name;
		p->steps[i].depends_on = (struct ir_strs){prev, 1};
	}
}

/* "platform": {"os": "linux", "arch": "amd64", "variant": "", "version": ""} */
static void new_platform(struct imp *im, const cJSON *top)
{
	struct jp pj;
	const cJSON *o = get_obj(im, top, "platform", platform_keys, NULL, &pj);
	if (!o)
		return;
	im->p->platform = (struct ir_platform){
		.os = get_str(im, o, "os", &pj),
		.arch = get_str(im, o, "arch", &pj),
		.variant = get_str(im, o, "variant", &pj),
		.version = get_str(im, o, "version", &pj)};
}

static void new_import(struct imp *im, const cJSON *top)
{
	check_keys(im, top, new_top_keys, NULL);
	im->p->name = get_meta(im, top, NULL).name;
	new_platform(im, top);
	drop(im, top, "qemu", NULL, "drone-runtime reserved it and never used it");
	drop(im, top, "fusion", NULL, "drone-runtime reserved it and never used it");
	new_docker(im, top);
	each_obj(im, top, "secrets", NULL, data_keys, new_secret);
	each_obj(im, top, "files", NULL, data_keys, new_file);
	each_obj(im, top, "steps", NULL, step_keys, new_step);
	serial_chain(im);
}

/* ---- Both ---------------------------------------------------------------- */

/* Removes every mount of volume `name`, then the volume. */
static void remove_volume(struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		struct ir_step *s = &p->steps[i];
		size_t n = 0;
		for (size_t k = 0; k < s->nvolumes; k++)
			if (strcmp(s->volumes[k].name, name) != 0)
				s->volumes[n++] = s->volumes[k];
		s->nvolumes = n;
	}
	struct ir_volume *v = find_volume(p, name);
	size_t at = (size_t)(v - p->volumes);
	memmove(v, v + 1, (p->nvolumes - at - 1) * sizeof *v);
	p->nvolumes--;
}

/*
 * A temp volume mounted only at the workspace base is the workspace
 * itself: the IR's workspace takes its place.
 */
static void absorb_workspace_volume(struct imp *im, const char *base)
{
	struct ir_pipeline *p = im->p;
	const char *name = NULL;
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < p->steps[i].nvolumes; k++) {
			const struct ir_mount *m = &p->steps[i].volumes[k];
			if (strcmp(m->path, base) == 0 && name && strcmp(name, m->name) != 0)
				return;
			if (strcmp(m->path, base) == 0)
				name = m->name;
		}
	struct ir_volume *v = name ? find_volume(p, name) : NULL;
	if (!v || v->kind != IR_VOLUME_TEMP)
		return;
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < p->steps[i].nvolumes; k++) {
			const struct ir_mount *m = &p->steps[i].volumes[k];
			if (strcmp(m->name, name) == 0 && strcmp(m->path, base) != 0)
				return;
		}
	remove_volume(p, name);
}

/* Volume names pipec keeps for itself (validate/refs.c has the same list). */
static const char *const reserved_volumes[] = {
	"workspace", "_workspace", "_docker_socket", NULL};

/* Renames volumes that carry a reserved name, and their mounts. */
static void rename_reserved(struct imp *im)
{
	struct ir_pipeline *p = im->p;
	for (size_t i = 0; i < p->nvolumes; i++) {
		struct ir_volume *v = &p->volumes[i];
		const char *const *r = reserved_volumes;
		while (*r && strcmp(*r, v->name) != 0)
			r++;
		if (!*r)
			continue;
		char *old = v->name;
		v->name = unique(im, ir_printf(im->a, "drone%s%s",
					       *old == '_' ? "" : "_", old),
				 volume_taken);
		diag_add(im->dl, DIAG_NOTE, v->pos, "drone-runtime-renamed",
			 "volume '%s' is renamed '%s': pipec reserves the name",
			 old, v->name);
		for (size_t s = 0; s < p->nsteps; s++)
			for (size_t k = 0; k < p->steps[s].nvolumes; k++)
				if (strcmp(p->steps[s].volumes[k].name, old) == 0)
					p->steps[s].volumes[k].name = v->name;
	}
}

/* The path of a mount of `s` strictly above `dir` (/drone for /drone/src). */
static const char *mount_above(const struct ir_step *s, const char *dir)
{
	for (size_t i = 0; i < s->nvolumes; i++) {
		const char *m = s->volumes[i].path;
		size_t n = strlen(m);
		if (n > 1 && strncmp(dir, m, n) == 0 && dir[n] == '/' && dir[n + 1])
			return m;
	}
	return NULL;
}

/*
 * The workspace is the obvious intent when every step that sets a
 * working_dir sets the same one and mounts a volume at the same directory
 * above it, as drone's compiler wrote them (/drone, /drone/src).
 */
static void derive_workspace(struct imp *im)
{
	struct ir_pipeline *p = im->p;
	const char *dir = NULL, *base = NULL;
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ir_step *s = &p->steps[i];
		if (!s->working_dir)
			continue;
		const char *b = mount_above(s, s->working_dir);
		if (!b || (dir && strcmp(dir, s->working_dir) != 0) ||
		    (base && strcmp(base, b) != 0))
			return;
		dir = s->working_dir;
		base = b;
	}
	if (!base)
		return;
	p->workspace.base = ir_strdup(im->a, base);
	p->workspace.path = ir_strdup(im->a, dir + strlen(base) + 1);
	absorb_workspace_volume(im, p->workspace.base);
}

static bool has_any(const cJSON *top, const char *const *keys)
{
	for (; *keys; keys++)
		if (field(top, *keys))
			return true;
	return false;
}

/* Keys only the 2017-18 format has at the top. */
static const char *const old_only_keys[] = {
	"pipeline", "version", "networks", "volumes", NULL};

/* Line and column of byte `off`, for errors in the JSON text itself. */
static struct ir_pos text_pos(const char *path, const char *text, size_t off)
{
	struct ir_pos pos = {.file = path, .line = 1, .col = 1};
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else {
			pos.col++;
		}
	}
	return pos;
}

/* Parses the first JSON value; later text is warned about, as Go ignored it. */
static cJSON *parse(const char *path, const char *text, size_t len,
		    struct diag_list *dl)
{
	const char *end = NULL;
	cJSON *top = cJSON_ParseWithLengthOpts(text, len, &end, false);
	size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
	if (!top) {
		diag_error(dl, text_pos(path, text, off), "drone-runtime-json",
			   off >= len ? "unexpected end of json input" :
			   "malformed json");
		return NULL;
	}
	while (off < len && strchr(" \t\r\n", text[off]) && text[off])
		off++;
	if (off < len)
		diag_warning(dl, text_pos(path, text, off), "drone-runtime-trailing-data",
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

struct ir_doc *fe_drone_runtime_import(const char *path, const char *text,
				       size_t len, struct ir_arena *a,
				       struct diag_list *dl)
{
	size_t before = dl->nerrors;
	cJSON *top = parse(path, text, len, dl);
	if (!top)
		return NULL;
	struct ir_doc *d = ir_alloc(a, sizeof *d);
	d->version = IR_VERSION;
	d->pipelines = ir_calloc(a, 1, sizeof *d->pipelines);
	d->npipelines = 1;
	struct imp im = {.path = path, .a = a, .dl = dl, .p = d->pipelines};
	im.p->pos = pos_at(&im, NULL);
	im.p->backend = IR_BACKEND_DOCKER;
	if (has_any(top, old_only_keys))
		old_import(&im, top);
	else if (has_any(top, new_top_keys))
		new_import(&im, top);
	else
		diag_add(im.dl, DIAG_ERROR, pos_at(&im, NULL),
			 "drone-runtime-not-ir", "%s",
			 field(top, "auths"
			 ) ? "a docker client config (registry "
			 "credentials) is not a pipeline"
			 : "no drone-runtime keys "
			 "('pipeline' or 'steps') found");
	if (!im.p->name)
		im.p->name = name_from_path(a, path);
	if (!im.p->nsteps && dl->nerrors == before)
		diag_add(im.dl, DIAG_WARNING, pos_at(&im, NULL),
			 "drone-runtime-empty",
			 "no steps: the file holds no drone-runtime pipeline to run");
	derive_workspace(&im);
	rename_reserved(&im);
	cJSON_Delete(top);
	return dl->nerrors > before ? NULL : d;
}
