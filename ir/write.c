/*
 * write.c - ir_write(), canonical IR v2 JSON.
 *
 * The text is emitted straight into one growable buffer while walking the
 * shape tables of shape.c, so keys come out in ir.h's declaration order
 * and zero values are left out in one place.  No JSON tree is built: a
 * large IR would spend more time making and freeing the tree than
 * printing it.  An embedded object that turns out to have no fields is
 * taken back by truncating the buffer to where its key began.
 * ir_write_file() empties the buffer into its file between array
 * elements, never while such a take-back is pending, so the output of a
 * large IR never has to be held whole.  Integers
 * are printed from int64_t, so 64-bit values survive exactly.  Layout:
 * two-space indent, one element per line, or one line for
 * IR_WRITE_COMPACT.  Strings are escaped here as cJSON escapes them
 * (short escapes where JSON has them, other control bytes as \u00xx,
 * everything else, UTF-8 included, passed through), so the text is the
 * same as any earlier writer's.
 */
#include <stdint.h>
#include <stdio.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "internal.h"

_Static_assert(sizeof(enum ir_pull) == sizeof(int), "IR enums are stored as int");

/* The last environment written: its keys as written, and their sorted order. */
struct env_order {
	const char **keys;
	size_t *order;
	size_t n, cap;
};

struct out {
	char *p;
	size_t len, cap;
	bool compact;
	struct env_order env;
	FILE *sink;     /* ir_write_file()'s file, or NULL */
	int held;       /* embedded objects open: text that may be taken back */
};

/* Enough to make each fwrite() worth its call, little next to a large IR. */
#define FLUSH_AT (32 * 1024)

static void flush(struct out *o)
{
	if (o->sink && o->held == 0 && o->len >= FLUSH_AT) {
		fwrite(o->p, 1, o->len, o->sink);
		o->len = 0;
	}
}

static void out_of_memory(void)
{
	fputs("pipec: out of memory\n", stderr);
	abort();
}

static void grow(struct out *o, size_t n)
{
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + n + 1)
		cap *= 2;
	char *p = realloc(o->p, cap);
	if (!p)
		out_of_memory();
	o->p = p;
	o->cap = cap;
}

/* Makes room for `n` more bytes and the final NUL; the test alone is inlined. */
static inline void reserve(struct out *o, size_t n)
{
	if (o->len + n + 1 > o->cap)
		grow(o, n);
}

static inline void put(struct out *o, const char *s, size_t n)
{
	reserve(o, n);
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/*
 * A new line indented two spaces a level.  IR nests at most a few levels:
 * a fixed run of spaces is copied whole, only the needed part kept.
 */
static void newline(struct out *o, int depth)
{
	static const char line[] = "\n                                ";
	size_t n = 1 + 2 * (size_t)depth;
	if (o->compact)
		return;
	reserve(o, sizeof line);
	if (n > sizeof line - 1) {
		put(o, "\n", 1);
		for (int i = 0; i < depth; i++)
			put(o, "  ", 2);
		return;
	}
	memcpy(o->p + o->len, line, sizeof line - 1);
	o->len += n;
}

/* The escape for byte `c`, or NULL when it stands for itself. */
static const char *short_escape(unsigned char c)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default: return NULL;
	}
}

/* Bytes a JSON string cannot hold as they are: control bytes, `"` and `\`. */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

static void put_escape(struct out *o, unsigned char c)
{
	const char *esc = short_escape(c);
	if (esc) {
		put(o, esc, 2);
	} else {
		char u[8];
		snprintf(u, sizeof u, "\\u%04x", c);
		put(o, u, 6);
	}
}

#if defined(__SSE2__) && defined(__GNUC__)
/*
 * The length of the prefix of `s` (of `n` bytes) that needs no escape,
 * 16 bytes at a time (SSE2 is part of every x86-64): the first byte that
 * needs one is found in the compare's mask, not by a byte loop.  Unsigned
 * `< 0x20` is a signed compare once the top bits are flipped.
 */
static size_t plain_span(const char *s, size_t n)
{
	const __m128i flip = _mm_set1_epi8((char)0x80);
	const __m128i ctl = _mm_set1_epi8((char)(0x20 ^ 0x80));
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i m = _mm_or_si128(_mm_cmplt_epi8(_mm_xor_si128(x, flip), ctl),
					 _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
	while (i < n && !needs_escape((unsigned char)s[i]))
		i++;
	return i;
}
#else
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Whether any of the 8 bytes in `x` is below `n` (n <= 128). */
static uint64_t any_below(uint64_t x, unsigned char n)
{
	return (x - ONES * n) & ~x & HIGHS;
}

/* Whether the 8 bytes at `s` hold one that needs an escape. */
static bool word_needs_escape(const char *s)
{
	uint64_t x;
	memcpy(&x, s, 8);
	return any_below(x, 0x20) | any_below(x ^ (ONES * '"'), 1) |
	       any_below(x ^ (ONES * '\\'), 1);
}

/*
 * The length of the prefix of `s` (of `n` bytes) that needs no escape,
 * 8 bytes at a time; a short tail is read as the string's last 8 bytes.
 */
static size_t plain_span(const char *s, size_t n)
{
	size_t i = 0;
	while (i + 8 <= n && !word_needs_escape(s + i))
		i += 8;
	if (i + 8 > n && n >= 8 && !word_needs_escape(s + n - 8))
		return n;
	while (i < n && !needs_escape((unsigned char)s[i]))
		i++;
	return i;
}
#endif

/*
 * A JSON string literal for `s`.  Strings are mostly plain: the bytes
 * needing no escape are found many at a time (plain_span()) and copied
 * as one run.
 */
static void put_string(struct out *o, const char *s)
{
	size_t n = strlen(s);
	reserve(o, n + 2);
	o->p[o->len++] = '"';
	for (;;) {
		size_t run = plain_span(s, n);
		put(o, s, run);
		if (run == n)
			break;
		put_escape(o, (unsigned char)s[run]);
		s += run + 1;
		n -= run + 1;
	}
	put(o, "\"", 1);
}

/* A field name: the shape tables spell them in plain ASCII, so no escaping. */
static void put_name(struct out *o, const char *name)
{
	size_t n = strlen(name);
	reserve(o, n + 4);
	o->p[o->len++] = '"';
	memcpy(o->p + o->len, name, n);
	o->len += n;
	o->p[o->len++] = '"';
	o->p[o->len++] = ':';
	if (!o->compact)
		o->p[o->len++] = ' ';
}

/* Decimal digits written backwards: snprintf costs more than the rest of a field. */
static void put_int(struct out *o, int64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	put(o, p, (size_t)(buf + sizeof buf - p));
}

/*
 * Members of one object or array: `first` tells whether a comma is due.
 * Each member starts on its own line one level deeper than the container.
 */
struct members {
	int depth;
	bool first;
};

static inline void member(struct out *o, struct members *m)
{
	if (!m->first)
		put(o, ",", 1);
	m->first = false;
	newline(o, m->depth + 1);
}

static inline void key(struct out *o, struct members *m, const char *name)
{
	member(o, m);
	put_name(o, name);
}

/* A key the user wrote (an environment variable's name) is escaped. */
static void user_key(struct out *o, struct members *m, const char *name)
{
	member(o, m);
	put_string(o, name);
	put(o, ": ", o->compact ? 1 : 2);
}

static void close_members(struct out *o, const struct members *m, char bracket)
{
	if (!m->first)
		newline(o, m->depth);
	put(o, &bracket, 1);
}

static void write_strs(struct out *o, const struct ir_strs *s, int depth)
{
	struct members m = {depth, true};
	put(o, "[", 1);
	for (size_t i = 0; i < s->n; i++) {
		member(o, &m);
		put_string(o, s->v[i] ? s->v[i] : "");
	}
	close_members(o, &m, ']');
}

static int kv_cmp(const void *a, const void *b)
{
	const struct ir_kv *x = *(const struct ir_kv *const *)a;
	const struct ir_kv *y = *(const struct ir_kv *const *)b;
	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

/*
 * Steps' environments share most of their keys, written first and in the
 * same order (the injected and pipeline variables, copied).  The order
 * found for the last environment is kept; the next one starts from it
 * for the keys it shares (the same pointers, in the same places) and
 * inserts the rest by binary search, each after the keys equal to it.
 * That is a stable sort, as glibc's qsort (a merge sort) is, so the text
 * is the same whichever runs; many new keys at once go to qsort.
 */
#define FEW_VARS 64

static void remember_order(struct env_order *last, const struct ir_env *env,
			   const struct ir_kv *const *sorted)
{
	if (env->n > last->cap) {
		free(last->keys);
		free(last->order);
		last->cap = env->n;
		last->keys = malloc(env->n * sizeof *last->keys);
		last->order = malloc(env->n * sizeof *last->order);
		if (!last->keys || !last->order)
			out_of_memory();
	}
	for (size_t i = 0; i < env->n; i++) {
		last->keys[i] = env->v[i].key;
		last->order[i] = (size_t)(sorted[i] - env->v);
	}
	last->n = env->n;
}

static size_t upper_bound(const struct ir_kv **v, size_t n, const struct ir_kv *x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (kv_cmp(&v[mid], &x) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* How many leading keys `env` shares with the last environment sorted. */
static size_t shared_keys(const struct env_order *last, const struct ir_env *env)
{
	size_t k = 0;
	while (k < env->n && k < last->n && env->v[k].key == last->keys[k])
		k++;
	return k;
}

/* The shared keys in the last order, then the others inserted; `v` gets the result. */
static void sort_env(struct env_order *last, const struct ir_env *env, const struct ir_kv **v)
{
	size_t k = shared_keys(last, env), m = 0;
	if (env->n - k > FEW_VARS) {
		for (size_t i = 0; i < env->n; i++)
			v[i] = &env->v[i];
		qsort(v, env->n, sizeof *v, kv_cmp);
	} else {
		for (size_t j = 0; j < last->n; j++)
			if (last->order[j] < k)
				v[m++] = &env->v[last->order[j]];
		for (size_t i = k; i < env->n; i++, m++) {
			size_t at = upper_bound(v, m, &env->v[i]);
			memmove(v + at + 1, v + at, (m - at) * sizeof *v);
			v[at] = &env->v[i];
		}
	}
	remember_order(last, env, v);
}

/* An environment map, sorted by key so equal maps print equally. */
static void write_env(struct out *o, const struct ir_env *env, int depth)
{
	const struct ir_kv **sorted = malloc(env->n * sizeof *sorted);
	if (!sorted)
		out_of_memory();
	sort_env(&o->env, env, sorted);
	struct members m = {depth, true};
	put(o, "{", 1);
	for (size_t i = 0; i < env->n; i++) {
		user_key(o, &m, sorted[i]->key ? sorted[i]->key : "");
		put_string(o, sorted[i]->value ? sorted[i]->value : "");
	}
	close_members(o, &m, '}');
	free(sorted);
}

static bool write_shape(struct out *o, const struct shape *s, const void *obj, int depth);

static void write_array(struct out *o, const struct field *f, const char *base, int depth)
{
	size_t n = *(const size_t *)(base + f->count_off);
	const char *items = *(const char *const *)(base + f->off);
	struct members m = {depth, true};
	put(o, "[", 1);
	for (size_t i = 0; i < n && items; i++) {
		member(o, &m);
		write_shape(o, f->shape, items + i * f->shape->size, depth + 1);
		flush(o);
	}
	close_members(o, &m, ']');
}

/* An embedded struct is left out, key and all, when none of its fields is set. */
static void write_obj(struct out *o, struct members *m, const struct field *f, const void *p)
{
	size_t mark = o->len;
	bool first = m->first;
	o->held++;
	key(o, m, f->name);
	if (!write_shape(o, f->shape, p, m->depth + 1) && !f->always) {
		o->len = mark;
		m->first = first;
	}
	o->held--;
}

/* Writes `f` of the struct at `base` as a member of `m`, unless it is at its zero value. */
static void write_field(struct out *o, struct members *m, const struct field *f,
			const char *base)
{
	const void *p = base + f->off;
	int depth = m->depth + 1;
	switch (f->kind) {
	case F_STR: {
		const char *v = *(const char *const *)p;
		if (v || f->always) {
			key(o, m, f->name);
			put_string(o, v ? v : "");
		}
		break;
	}
	case F_BOOL:
		if (*(const bool *)p) {
			key(o, m, f->name);
			put(o, "true", 4);
		}
		break;
	case F_INT:
		if (*(const int *)p || f->always) {
			key(o, m, f->name);
			put_int(o, *(const int *)p);
		}
		break;
	case F_I64:
		if (*(const int64_t *)p) {
			key(o, m, f->name);
			put_int(o, *(const int64_t *)p);
		}
		break;
	case F_ENUM:
		if (*(const int *)p || f->always) {
			key(o, m, f->name);
			put_string(o, f->enumer->name(*(const unsigned *)p));
		}
		break;
	case F_STRS:
		if (((const struct ir_strs *)p)->v) {
			key(o, m, f->name);
			write_strs(o, p, depth);
		}
		break;
	case F_ENV:
		if (((const struct ir_env *)p)->n) {
			key(o, m, f->name);
			write_env(o, p, depth);
		}
		break;
	case F_POS:
		if (((const struct ir_pos *)p)->line > 0) {
			key(o, m, f->name);
			write_shape(o, f->shape, p, depth);
		}
		break;
	case F_OBJ:
		write_obj(o, m, f, p);
		break;
	case F_PTR:
		if (*(const void *const *)p) {
			key(o, m, f->name);
			write_shape(o, f->shape, *(const void *const *)p, depth);
		}
		break;
	case F_ARR:
		if (*(const size_t *)(base + f->count_off) || f->always) {
			key(o, m, f->name);
			write_array(o, f, base, depth);
		}
		break;
	}
}

/* Writes the struct `obj` as a JSON object; false when it had no field to write. */
static bool write_shape(struct out *o, const struct shape *s, const void *obj, int depth)
{
	struct members m = {depth, true};
	put(o, "{", 1);
	for (size_t i = 0; i < s->nfields; i++)
		write_field(o, &m, &s->fields[i], obj);
	close_members(o, &m, '}');
	return !m.first;
}

static void write_doc(struct out *o, const struct ir_doc *d)
{
	write_shape(o, &ir_shape_doc, d, 0);
	put(o, "\n", 1);
	o->p[o->len] = '\0';
	free(o->env.keys);
	free(o->env.order);
}

char *ir_write(const struct ir_doc *d, unsigned flags)
{
	struct out o = {.compact = flags & IR_WRITE_COMPACT};
	write_doc(&o, d);
	return o.p;
}

int ir_write_file(const struct ir_doc *d, unsigned flags, FILE *fp)
{
	struct out o = {.compact = flags & IR_WRITE_COMPACT, .sink = fp};
	write_doc(&o, d);
	fwrite(o.p, 1, o.len, fp);
	free(o.p);
	return ferror(fp) ? -1 : 0;
}
