/*
 * frame.c - JSON-RPC messages out of the editor's byte stream.
 *
 * A message is a header block (lines ending CRLF, a blank line ending the
 * block) and a body of exactly Content-Length bytes.  Bytes are kept until
 * a whole message is there; a header the server cannot use is dropped up
 * to its blank line, and a body over the ceiling is skipped as it
 * arrives, never held, so a hostile client costs bounded memory.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ir/ir.h"
#include "lsp/lsp.h"

/* A header block longer than this cannot be valid. */
#define FRAME_MAX_HEADER 8192

void lsp_reader_init(struct lsp_reader *r)
{
	*r = (struct lsp_reader){0};
}

void lsp_reader_release(struct lsp_reader *r)
{
	free(r->buf);
	*r = (struct lsp_reader){0};
}

static void drop(struct lsp_reader *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

void lsp_reader_feed(struct lsp_reader *r, const char *bytes, size_t n)
{
	size_t skipped = n < r->skip ? n : r->skip;
	r->skip -= skipped;
	bytes += skipped;
	n -= skipped;
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		char *nb = realloc(r->buf, cap);
		if (!nb)
			ir_oom();
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, bytes, n);
	r->len += n;
}

/* The end of the header block (just past the blank line), or 0. */
static size_t header_end(const struct lsp_reader *r)
{
	for (size_t i = 0; i + 3 < r->len; i++)
		if (memcmp(r->buf + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	return 0;
}

/* Content-Length from the header block; -1 when missing or malformed. */
static long long content_length(const char *h, size_t n)
{
	static const char name[] = "content-length:";
	long long v = -1;
	for (size_t i = 0; i < n;) {
		const char *eol = memchr(h + i, '\n', n - i);
		size_t line = eol ? (size_t)(eol - (h + i)) : n - i;
		if (line > sizeof name - 1 && strncasecmp(h + i, name, sizeof name - 1) == 0) {
			const char *p = h + i + sizeof name - 1;
			while (*p == ' ' || *p == '\t')
				p++;
			char *end;
			v = *p >= '0' && *p <= '9' ? strtoll(p, &end, 10) : -1;
			if (v >= 0 && *end != '\r' && *end != '\n')
				v = -1;
		}
		i += line + 1;
	}
	return v;
}

enum lsp_frame lsp_reader_next(struct lsp_reader *r, char **body, size_t *len)
{
	size_t h = header_end(r);
	if (!h) {
		if (r->len <= FRAME_MAX_HEADER)
			return LSP_FRAME_NONE;
		r->len = 0;
		return LSP_FRAME_BAD_HEADER;
	}
	long long n = content_length(r->buf, h);
	if (n < 0) {
		drop(r, h);
		return LSP_FRAME_BAD_HEADER;
	}
	if ((unsigned long long)n > LSP_MAX_MESSAGE) {
		drop(r, h);
		size_t have = r->len < (size_t)n ? r->len : (size_t)n;
		drop(r, have);
		r->skip = (size_t)n - have;
		return LSP_FRAME_TOO_LARGE;
	}
	if (r->len - h < (size_t)n)
		return LSP_FRAME_NONE;
	char *b = malloc((size_t)n + 1);
	if (!b)
		ir_oom();
	memcpy(b, r->buf + h, (size_t)n);
	b[n] = '\0';
	drop(r, h + (size_t)n);
	*body = b;
	*len = (size_t)n;
	return LSP_FRAME_MESSAGE;
}
