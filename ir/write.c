/*
 * write.c - ir_write(), canonical IR v3 JSON.
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
 * same as any earlier writer's.  Strings and keys are most of the work:
 * a string is copied a block at a time while it is scanned, and a key's
 * name comes from the tables with its length, so neither is measured or
 * copied twice.
 */
#include <stdint.h>
#include <stdio.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "ir/internal.h"

_Static_assert(sizeof(enum ir_pull) == sizeof(int), "IR enums are stored as int");

/*
 * The last environment written: its keys as written, and their sorted
 * order; and the room where the next one is sorted.
 */
struct env_order {
	const char **keys;
	size_t *order;
	const struct ir_kv **sorted;
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

static void grow(struct out *o, size_t n)
{
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + n + 1)
		cap *= 2;
	char *p = realloc(o->p, cap);
	if (!p)
		ir_oom();
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

/* A new line and the deepest indent copied whole: IR nests only a few levels. */
static const char indent[] = "\n                                ";

/* Past the levels `indent` holds: a level at a time. */
static void deep_newline(struct out *o, int depth)
{
	put(o, "\n", 1);
	for (int i = 0; i < depth; i++)
		put(o, "  ", 2);
}

/*
 * A new line indented two spaces a level, in room the caller reserved
 * for `indent`: the fixed run is copied whole, only the needed part kept.
 */
static inline void newline(struct out *o, int depth)
{
	size_t n = 1 + 2 * (size_t)depth;
	if (o->compact)
		return;
	if (n >= sizeof indent) {
		deep_newline(o, depth);
		return;
	}
	memcpy(o->p + o->len, indent, sizeof indent - 1);
	o->len += n;
}

/*
 * How each byte is spelled in a JSON string: 0 when it stands for
 * itself, else the letter after the backslash (`u` for the \u00xx form).
 */
static const char escape_of[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	['"'] = '"', ['\\'] = '\\',
};

/* Strings are scanned and copied a block at a time. */
#define BLOCK 16

/* The \u00xx form at `d`, for control bytes without a short escape; returns its end. */
static char *put_unicode(char *d, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	memcpy(d, "\\u00", 4);
	d[4] = hex[c >> 4];
	d[5] = hex[c & 15];
	return d + 6;
}

/*
 * Writes the escape for byte `c` at `d`, the end of the text, with `left`
 * bytes of the string still to come after it: the room put_string()
 * reserved counted one byte for `c`, and the escape takes up to five
 * more.  Returns the new end, in the buffer as it may have moved.
 */
static inline char *put_escape(struct out *o, char *d, unsigned char c, size_t left)
{
	o->len = (size_t)(d - o->p);
	reserve(o, 6 + left + 1 + BLOCK);
	d = o->p + o->len;
	if (escape_of[c] == 'u')
		return put_unicode(d, c);
	d[0] = '\\';
	d[1] = escape_of[c];
	return d + 2;
}

#if defined(__SSE2__) && defined(__GNUC__)
/*
 * Copies the BLOCK bytes at `s` to `d` whole and returns how many of
 * them, from the first, need no escape.  SSE2 is part of every x86-64:
 * the first byte needing one is found in the compare's mask, not by a
 * byte loop.  Unsigned `< 0x20` is a signed compare once the top bits
 * are flipped.
 */
static inline size_t copy_plain(char *d, const char *s)
{
	const __m128i flip = _mm_set1_epi8((char)0x80);
	const __m128i ctl = _mm_set1_epi8((char)(0x20 ^ 0x80));
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	_mm_storeu_si128((__m128i *)(void *)d, x);
	__m128i m = _mm_or_si128(_mm_cmplt_epi8(_mm_xor_si128(x, flip), ctl),
				 _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)));
	unsigned bits = (unsigned)_mm_movemask_epi8(m);
	return bits ? (size_t)__builtin_ctz(bits) : BLOCK;
}
#else
/* Copies the bytes at `s` that need no escape to `d`, at most BLOCK; returns how many. */
static inline size_t copy_plain(char *d, const char *s)
{
	size_t i = 0;
	for (; i < BLOCK && !escape_of[(unsigned char)s[i]]; i++)
		d[i] = s[i];
	return i;
}
#endif

/*
 * Writes the block at `s + *i` to `d`: its bytes up to the first that
 * needs an escape, and that one escaped when it comes before `n`, the
 * string's length.  Advances `*i` past what it took and returns the new
 * end of the text.  BLOCK bytes must be readable at `s + *i`, and the
 * byte at `n` must need an escape (a NUL does) when fewer are left.
 */
static inline char *put_block(struct out *o, char *d, const char *s, size_t *i, size_t n)
{
	size_t run = copy_plain(d, s + *i);
	d += run;
	*i += run;
	if (run < BLOCK && *i < n) {
		unsigned char c = (unsigned char)s[(*i)++];
		d = put_escape(o, d, c, n - *i);
	}
	return d;
}

/*
 * The `n` bytes at `s` escaped, as part of a string literal.  Strings are
 * mostly plain: each block is copied whole and the text advanced past
 * its plain bytes only, so a run costs no more than its blocks, and an
 * escape no more than its own bytes.  The room for the text and a
 * block's spill is reserved once, and the end of the text kept in a
 * local, since a store through the buffer's `char *` could otherwise
 * change `o->len` as far as the compiler knows.  The last few bytes, too
 * few for a block, are scanned from a padded copy: reading past the
 * text's end is not allowed.
 */
static void put_text(struct out *o, const char *s, size_t n)
{
	size_t i = 0;
	reserve(o, n + 1 + BLOCK);
	char *d = o->p + o->len;
	while (n - i >= BLOCK)
		d = put_block(o, d, s, &i, n);
	if (i < n) {
		char tail[2 * BLOCK] = {0};
		size_t t = 0, left = n - i;
		memcpy(tail, s + i, left);
		while (t < left)
			d = put_block(o, d, tail, &t, left);
	}
	o->len = (size_t)(d - o->p);
}

/*
 * A JSON string literal for `s`.  Written to a file, a long string goes
 * out FLUSH_AT bytes at a time, so a huge script costs the writer no
 * buffer of its size (nothing inside a string is ever taken back).
 */
static void put_string(struct out *o, const char *s)
{
	size_t n = strlen(s), piece = o->sink ? FLUSH_AT : n;
	put(o, "\"", 1);
	for (size_t at = 0; at < n; at += piece) {
		put_text(o, s + at, n - at < piece ? n - at : piece);
		flush(o);
	}
	put(o, "\"", 1);
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

/* Starts a member of `m`: the comma after the one before, then its line. */
static inline void member(struct out *o, struct members *m)
{
	reserve(o, 1 + sizeof indent);
	if (!m->first)
		o->p[o->len++] = ',';
	m->first = false;
	newline(o, m->depth + 1);
}

/*
 * Starts the member of `m` that field `f` makes, up to its value.  Names
 * come from the shape tables, plain ASCII with their lengths counted, so
 * they are copied as they are.
 */
static void key(struct out *o, struct members *m, const struct field *f)
{
	member(o, m);
	reserve(o, f->namelen + 4);
	char *d = o->p + o->len;
	d[0] = '"';
	memcpy(d + 1, f->name, f->namelen);
	memcpy(d + 1 + f->namelen, "\": ", 3);
	o->len += f->namelen + (o->compact ? 3 : 4);
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
	if (!m->first) {
		reserve(o, sizeof indent);
		newline(o, m->depth);
	}
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

static void *resize(void *p, size_t n, size_t size)
{
	p = realloc(p, n * size);
	if (!p)
		ir_oom();
	return p;
}

/* Room for an environment of `n` keys, the last order kept: steps share one. */
static void env_room(struct env_order *last, size_t n)
{
	if (n <= last->cap)
		return;
	last->keys = resize(last->keys, n, sizeof *last->keys);
	last->order = resize(last->order, n, sizeof *last->order);
	last->sorted = resize(last->sorted, n, sizeof *last->sorted);
	last->cap = n;
}

static void remember_order(struct env_order *last, const struct ir_env *env,
			   const struct ir_kv *const *sorted)
{
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
	env_room(&o->env, env->n);
	const struct ir_kv **sorted = o->env.sorted;
	sort_env(&o->env, env, sorted);
	struct members m = {depth, true};
	put(o, "{", 1);
	for (size_t i = 0; i < env->n; i++) {
		user_key(o, &m, sorted[i]->key ? sorted[i]->key : "");
		put_string(o, sorted[i]->value ? sorted[i]->value : "");
	}
	close_members(o, &m, '}');
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
	key(o, m, f);
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
			key(o, m, f);
			put_string(o, v ? v : "");
		}
		break;
	}
	case F_BOOL:
		if (*(const bool *)p) {
			key(o, m, f);
			put(o, "true", 4);
		}
		break;
	case F_INT:
		if (*(const int *)p || f->always) {
			key(o, m, f);
			put_int(o, *(const int *)p);
		}
		break;
	case F_I64:
		if (*(const int64_t *)p) {
			key(o, m, f);
			put_int(o, *(const int64_t *)p);
		}
		break;
	case F_ENUM:
		if (*(const int *)p || f->always) {
			key(o, m, f);
			put_string(o, f->enumer->name(*(const unsigned *)p));
		}
		break;
	case F_STRS:
		if (((const struct ir_strs *)p)->v) {
			key(o, m, f);
			write_strs(o, p, depth);
		}
		break;
	case F_ENV:
		if (((const struct ir_env *)p)->n) {
			key(o, m, f);
			write_env(o, p, depth);
		}
		break;
	case F_POS:
		if (((const struct ir_pos *)p)->line > 0) {
			key(o, m, f);
			write_shape(o, f->shape, p, depth);
		}
		break;
	case F_OBJ:
		write_obj(o, m, f, p);
		break;
	case F_PTR:
		if (*(const void *const *)p) {
			key(o, m, f);
			write_shape(o, f->shape, *(const void *const *)p, depth);
		}
		break;
	case F_ARR:
		if (*(const size_t *)(base + f->count_off) || f->always) {
			key(o, m, f);
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
	for (size_t i = 0; i < s->nfields; i++) {
		const char *base = ir_field_base(s, &s->fields[i], obj);
		if (base)       /* no extra part: none of its fields is set */
			write_field(o, &m, &s->fields[i], base);
	}
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
	free(o->env.sorted);
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
