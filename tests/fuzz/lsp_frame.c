/*
 * lsp_frame.c - the language server's message reader, given the bytes an
 * editor (or anything on its pipe) sends, in pieces of the size the
 * first byte chooses.  Each message comes out whole and terminated, none
 * over the ceiling, and what the reader holds stays bounded.
 */
#include "lsp/lsp.h"
#include "tests/fuzz/fuzz.h"

/* The header ceiling (frame.c's) and a message at the ceiling, at most. */
#define HELD_MAX (8192 + LSP_MAX_MESSAGE + 256)

/* Feeds one piece and takes every message it completes. */
static void feed(void *arg, const char *bytes, size_t n)
{
	struct lsp_reader *r = arg;
	lsp_reader_feed(r, bytes, n);
	char *body;
	size_t len;
	enum lsp_frame f;
	while ((f = lsp_reader_next(r, &body, &len)) != LSP_FRAME_NONE) {
		if (f != LSP_FRAME_MESSAGE)
			continue;
		if (len > LSP_MAX_MESSAGE || body[len] != 0)
			fuzz_fail("a message of %zu bytes came out", len);
		free(body);
	}
	if (r->len > HELD_MAX)
		fuzz_fail("the reader holds %zu bytes", r->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct lsp_reader r;
	lsp_reader_init(&r);
	fuzz_in_pieces(data + 1, size - 1, (size_t)data[0] % 64 + 1, feed, &r);
	lsp_reader_release(&r);
	return 0;
}
