/*
 * log.c - turns a step's output into prefixed, masked lines.
 *
 * Bytes arrive in whatever pieces the backend read.  Each stream keeps
 * the partial line at its end until the rest arrives (or the step ends,
 * or it reaches RT_MAX_LINE); everything up to the last newline of a
 * read is masked in one go and written line by line.  Masking whole
 * lines is what catches a secret split across two reads.  A line at the
 * ceiling is held on for as many bytes as the longest secret, so that the
 * break can go after a secret that straddles it.  Lines collect
 * in one buffer that the scheduler hands to the output after each round
 * of events, so a busy step costs one write per round, not per line.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/internal.h"

void rt_log_init(struct rt_log *l, struct rt_log_sink *sink, const char *name,
		 int width, const char *color)
{
	memset(l, 0, sizeof *l);
	l->sink = sink;
	size_t cap = strlen(name) + (size_t)(width > 0 ? width : 0) + 32;
	l->prefix = malloc(cap);
	if (!l->prefix)
		abort();
	int n = snprintf(l->prefix, cap, "%s%-*s |%s ", color ? color : "", width,
			 name, color ? "\033[0m" : "");
	l->prefix_len = n < 0 ? 0 : (size_t)n;
	if (sink->mask && sink->mask->n) {     /* a step may be named after a secret */
		char *m = rt_mask_dup(sink->mask, l->prefix);
		free(l->prefix);
		l->prefix = m;
		l->prefix_len = strlen(m);
	}
}

void rt_log_release(struct rt_log *l)
{
	free(l->prefix);
	rt_buf_release(&l->held[0]);
	rt_buf_release(&l->held[1]);
	if (l->file)
		fclose(l->file);
	memset(l, 0, sizeof *l);
}

/* "HH:MM:SS.mmm " in local time. */
static size_t stamp(char *buf, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	int n = snprintf(buf, cap, "%02d:%02d:%02d.%03ld ", tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000);
	return n < 0 ? 0 : (size_t)n;
}

/* The --log-dir file takes the lines unprefixed, each after its timestamp. */
static void put_file(FILE *f, const char *ts, size_t tslen, const char *text, size_t n)
{
	if (!tslen) {
		fwrite(text, 1, n, f);
		return;
	}
	for (const char *end = text + n; text < end;) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t len = (size_t)(nl - text) + 1;
		fwrite(ts, 1, tslen, f);
		fwrite(text, 1, len, f);
		text += len;
	}
}

/* Writes `n` bytes of complete lines (the last ends in '\n'). */
static void emit(struct rt_log *l, const char *text, size_t n)
{
	struct rt_log_sink *s = l->sink;
	if (s->mask && s->mask->n)
		text = rt_mask_text(s->mask, text, &n, &s->scratch);
	char ts[32];
	size_t tslen = s->timestamps ? stamp(ts, sizeof ts) : 0;
	/* What goes before every line, in one piece: this loop runs for
	 * every line of output.  A timestamp is joined to the prefix once. */
	struct rt_buf *out = &s->pending;
	const char *head = l->prefix;
	size_t hlen = l->prefix_len;
	if (tslen) {
		char *h = rt_buf_room(&s->head, hlen + tslen);
		memcpy(h, l->prefix, hlen);
		memcpy(h + hlen, ts, tslen);
		head = h;
		hlen += tslen;
	}
	if (l->file)
		put_file(l->file, ts, tslen, text, n);
	const char *end = text + n;
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t len = (size_t)(nl - text) + 1;
		char *p = rt_buf_room(out, hlen + len);
		memcpy(p, head, hlen);
		memcpy(p + hlen, text, len);
		out->len += hlen + len;
		text += len;
	}
	if (s->pending.len >= RT_OUT_CHUNK)
		rt_log_sink_flush(s);
}

void rt_log_sink_flush(struct rt_log_sink *s)
{
	if (s->pending.len)
		fwrite(s->pending.p, 1, s->pending.len, s->out);
	s->pending.len = 0;
	fflush(s->out);
}

void rt_log_sink_release(struct rt_log_sink *s)
{
	rt_buf_release(&s->scratch);
	rt_buf_release(&s->head);
	rt_buf_release(&s->pending);
}

/* Ends the held line with a newline and writes it. */
static void emit_held(struct rt_log *l, struct rt_buf *h)
{
	rt_buf_put(h, "\n", 1);
	emit(l, h->p, h->len);
	h->len = 0;
}

/*
 * Breaks a held line that reached `limit`: at RT_MAX_LINE, or after the
 * secret straddling it, keeping the rest held.  Writing the line puts
 * its newline over the first byte kept, for a moment.
 */
static void break_held(struct rt_log *l, struct rt_buf *h)
{
	struct rt_mask *m = l->sink->mask;
	size_t cut = m && m->n ? rt_mask_cut(m, h->p, h->len, RT_MAX_LINE) : h->len;
	if (cut >= h->len) {
		emit_held(l, h);
		return;
	}
	char kept = h->p[cut];
	h->p[cut] = '\n';
	emit(l, h->p, cut + 1);
	h->p[cut] = kept;
	memmove(h->p, h->p + cut, h->len - cut);
	h->len -= cut;
}

void rt_log_write(struct rt_log *l, int stream, const char *data, size_t len)
{
	struct rt_buf *h = &l->held[stream == 2];
	const struct rt_mask *m = l->sink->mask;
	size_t limit = RT_MAX_LINE + (m && m->longest ? m->longest - 1 : 0);
	while (len > 0) {
		if (h->len == 0) {
			const char *nl = memrchr(data, '\n', len);
			if (nl) {
				size_t n = (size_t)(nl - data) + 1;
				emit(l, data, n);
				data += n;
				len -= n;
				continue;
			}
		}
		size_t room = h->len < limit ? limit - h->len : 0;
		size_t take = len < room ? len : room;
		const char *nl = memchr(data, '\n', take);
		if (nl)
			take = (size_t)(nl - data);
		rt_buf_put(h, data, take);
		data += take;
		len -= take;
		if (nl) {
			data++;
			len--;
			emit_held(l, h);
		} else if (h->len >= limit) {
			break_held(l, h);
		}
	}
}

void rt_log_flush(struct rt_log *l)
{
	for (int i = 0; i < 2; i++)
		if (l->held[i].len)
			emit_held(l, &l->held[i]);
}
