/*
 * mask.c - hides secret values in step output.
 *
 * Masking runs on every byte a step prints, so it is built for a long
 * text and a handful of patterns: log.c hands it a whole run of complete
 * lines at once, and each pattern is searched with memmem() over that
 * run, remembering where its next occurrence is.  The leftmost of those
 * occurrences is replaced, and only the patterns whose next occurrence
 * fell inside the replaced part are searched again.  The cost is a few
 * memmem() passes over the text, independent of the number of lines.
 *
 * Patterns never contain a newline: a multi-line value is stored line by
 * line, which is how it appears in line-assembled output.  A pattern
 * shorter than RT_MIN_SECRET is never stored: three letters occur in any
 * text, and hiding them would hide the output rather than the secret.
 * A line broken at its ceiling is broken where rt_mask_cut() says, after
 * any secret that would straddle the break.
 *
 * What pipec writes besides step output (pull progress, the summary) goes
 * through rt_mask_stream(): a stdio stream whose writes are held until a
 * line is complete and then masked like a step's lines.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "runtime/internal.h"

void rt_mask_init(struct rt_mask *m)
{
	memset(m, 0, sizeof *m);
}

void rt_mask_release(struct rt_mask *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].s);
	free(m->v);
	free(m->next);
	rt_mask_init(m);
}

static bool has_pattern(const struct rt_mask *m, const char *s, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].len == len && memcmp(m->v[i].s, s, len) == 0)
			return true;
	return false;
}

static int add_one(struct rt_mask *m, const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len < RT_MIN_SECRET || has_pattern(m, s, len))
		return 0;
	if (m->n == RT_MAX_PATTERNS)
		return -1;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct rt_pattern *v = realloc(m->v, cap * sizeof *v);
		size_t *next = realloc(m->next, cap * sizeof *next);
		if (v)
			m->v = v;
		if (next)
			m->next = next;
		if (!v || !next)
			return -1;
		m->cap = cap;
	}
	char *copy = malloc(len);
	if (!copy)
		return -1;
	memcpy(copy, s, len);
	m->v[m->n++] = (struct rt_pattern){copy, len};
	if (len > m->longest)
		m->longest = len;
	return 0;
}

bool rt_mask_can_hide(const char *value, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(value, '\n', len);
		size_t n = nl ? (size_t)(nl - value) : len;
		size_t k = n > 0 && value[n - 1] == '\r' ? n - 1 : n;
		if (k >= RT_MIN_SECRET)
			return true;
		if (!nl)
			break;
		len -= n + 1;
		value = nl + 1;
	}
	return false;
}

int rt_mask_add(struct rt_mask *m, const char *value, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(value, '\n', len);
		size_t n = nl ? (size_t)(nl - value) : len;
		if (add_one(m, value, n) < 0)
			return -1;
		if (!nl)
			break;
		len -= n + 1;
		value = nl + 1;
	}
	return 0;
}

void rt_buf_release(struct rt_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Allocates on the first call even for 0 bytes: NULL + 0 is undefined. */
char *rt_buf_grow(struct rt_buf *b, size_t len)
{
	if (!b->p || b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			abort();    /* bounded by RT_MAX_LINE and read sizes */
		b->p = p;
		b->cap = cap;
	}
	return b->p + b->len;
}

void rt_buf_put(struct rt_buf *b, const void *data, size_t len)
{
	char *at = rt_buf_room(b, len);
	if (len)
		memcpy(at, data, len);
	b->len += len;
}

/* Offset of pattern `i` in in[from..len), or `len` when absent. */
static size_t find(const struct rt_pattern *pt, const char *in, size_t from, size_t len)
{
	if (len - from < pt->len)
		return len;
	const char *hit = memmem(in + from, len - from, pt->s, pt->len);
	return hit ? (size_t)(hit - in) : len;
}

/* The pattern occurring first, the longest on a tie; m->n when none. */
static size_t leftmost(const struct rt_mask *m, size_t len)
{
	size_t best = m->n;
	for (size_t i = 0; i < m->n; i++) {
		if (m->next[i] == len)
			continue;
		if (best == m->n || m->next[i] < m->next[best] ||
		    (m->next[i] == m->next[best] && m->v[i].len > m->v[best].len))
			best = i;
	}
	return best;
}

/* Finds each pattern's first occurrence; false when none occurs. */
static bool find_all(struct rt_mask *m, const char *in, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		m->next[i] = find(&m->v[i], in, 0, len);
	return leftmost(m, len) != m->n;
}

/* Past a replaced occurrence ending at `pos`: finds the patterns it hid. */
static void advance(struct rt_mask *m, const char *in, size_t pos, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->next[i] < pos)
			m->next[i] = find(&m->v[i], in, pos, len);
}

/* rt_mask_apply() once find_all() has run. */
static void replace(struct rt_mask *m, const char *in, size_t len, struct rt_buf *out)
{
	size_t pos = 0;
	for (;;) {
		size_t b = leftmost(m, len);
		if (b == m->n)
			break;
		size_t at = m->next[b];
		rt_buf_put(out, in + pos, at - pos);
		rt_buf_put(out, RT_MASK, sizeof RT_MASK - 1);
		pos = at + m->v[b].len;
		advance(m, in, pos, len);
	}
	rt_buf_put(out, in + pos, len - pos);
}

size_t rt_mask_cut(struct rt_mask *m, const char *in, size_t len, size_t at)
{
	if (!find_all(m, in, len))
		return at;
	for (;;) {
		size_t b = leftmost(m, len);
		if (b == m->n || m->next[b] >= at)
			return at;
		size_t end = m->next[b] + m->v[b].len;
		if (end > at)
			return end;
		advance(m, in, end, len);
	}
}

void rt_mask_apply(struct rt_mask *m, const char *in, size_t len, struct rt_buf *out)
{
	find_all(m, in, len);
	replace(m, in, len, out);
}

const char *rt_mask_text(struct rt_mask *m, const char *in, size_t *len, struct rt_buf *out)
{
	if (!find_all(m, in, *len))
		return in;
	out->len = 0;
	replace(m, in, *len, out);
	*len = out->len;
	return out->p;
}

char *rt_mask_dup(struct rt_mask *m, const char *s)
{
	struct rt_buf b = {0};
	rt_mask_apply(m, s, strlen(s), &b);
	rt_buf_put(&b, "", 1);
	return b.p;
}

/* ---- the public mask and its stream ------------------------------------- */

struct rt_mask *rt_mask_new(void)
{
	struct rt_mask *m = malloc(sizeof *m);
	if (m)
		rt_mask_init(m);
	return m;
}

void rt_mask_free(struct rt_mask *m)
{
	if (!m)
		return;
	rt_mask_release(m);
	free(m);
}

struct mask_stream {
	struct rt_mask *m;
	FILE *to;
	struct rt_buf held, out;
};

/* Writes held[0..n) masked and keeps the rest held. */
static void stream_put(struct mask_stream *s, size_t n)
{
	size_t len = n;
	const char *text = rt_mask_text(s->m, s->held.p, &len, &s->out);
	fwrite(text, 1, len, s->to);
	memmove(s->held.p, s->held.p + n, s->held.len - n);
	s->held.len -= n;
}

/* Complete lines go out at once; a line past the ceiling, up to a break. */
static ssize_t stream_write(void *cookie, const char *buf, size_t size)
{
	struct mask_stream *s = cookie;
	rt_buf_put(&s->held, buf, size);
	const char *nl = s->held.len ? memrchr(s->held.p, '\n', s->held.len) : NULL;
	if (nl)
		stream_put(s, (size_t)(nl - s->held.p) + 1);
	while (s->held.len >= RT_MAX_LINE + s->m->longest)
		stream_put(s, rt_mask_cut(s->m, s->held.p, s->held.len, RT_MAX_LINE));
	fflush(s->to);
	return (ssize_t)size;
}

static int stream_close(void *cookie)
{
	struct mask_stream *s = cookie;
	if (s->held.len)
		stream_put(s, s->held.len);
	fflush(s->to);
	rt_buf_release(&s->held);
	rt_buf_release(&s->out);
	free(s);
	return 0;
}

FILE *rt_mask_stream(struct rt_mask *m, FILE *to)
{
	struct mask_stream *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	*s = (struct mask_stream){.m = m, .to = to};
	FILE *f = fopencookie(s, "w", (cookie_io_functions_t){.write = stream_write,
							      .close = stream_close});
	if (!f) {
		free(s);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}
