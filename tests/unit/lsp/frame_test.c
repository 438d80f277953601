/*
 * frame_test.c - the Content-Length framing: messages split anywhere,
 * several in one read, bad headers and oversized bodies dropped without
 * losing what follows.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsp/lsp.h"

static void feed(struct lsp_reader *r, const char *s)
{
	lsp_reader_feed(r, s, strlen(s));
}

static char *next_body(struct lsp_reader *r, enum lsp_frame want)
{
	char *body = NULL;
	size_t len = 0;
	cr_assert_eq(lsp_reader_next(r, &body, &len), want);
	return body;
}

Test(frame, one_message_split_byte_by_byte)
{
	struct lsp_reader r;
	lsp_reader_init(&r);
	const char *msg = "Content-Length: 7\r\n\r\n{\"a\":1}";
	for (size_t i = 0; msg[i]; i++) {
		cr_assert_eq(lsp_reader_next(&r, &(char *){0}, &(size_t){0}), LSP_FRAME_NONE);
		lsp_reader_feed(&r, msg + i, 1);
	}
	char *b = next_body(&r, LSP_FRAME_MESSAGE);
	cr_assert_str_eq(b, "{\"a\":1}");
	free(b);
	lsp_reader_release(&r);
}

Test(frame, two_messages_in_one_read_and_other_headers)
{
	struct lsp_reader r;
	lsp_reader_init(&r);
	feed(&r, "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
		 "content-length: 2\r\n\r\n{}Content-Length: 3\r\n\r\n[1]");
	char *a = next_body(&r, LSP_FRAME_MESSAGE), *b = next_body(&r, LSP_FRAME_MESSAGE);
	cr_assert_str_eq(a, "{}");
	cr_assert_str_eq(b, "[1]");
	free(a);
	free(b);
	cr_assert_eq(lsp_reader_next(&r, &a, &(size_t){0}), LSP_FRAME_NONE);
	lsp_reader_release(&r);
}

Test(frame, bad_header_is_dropped_and_the_next_message_read)
{
	struct lsp_reader r;
	lsp_reader_init(&r);
	feed(&r, "Content-Length: x1\r\n\r\nContent-Length: 2\r\n\r\n{}");
	cr_assert_null(next_body(&r, LSP_FRAME_BAD_HEADER));
	char *b = next_body(&r, LSP_FRAME_MESSAGE);
	cr_assert_str_eq(b, "{}");
	free(b);
	lsp_reader_release(&r);
}

Test(frame, oversized_body_is_skipped_as_it_arrives)
{
	struct lsp_reader r;
	lsp_reader_init(&r);
	char head[64];
	snprintf(head, sizeof head, "Content-Length: %u\r\n\r\n", LSP_MAX_MESSAGE + 10);
	feed(&r, head);
	cr_assert_null(next_body(&r, LSP_FRAME_TOO_LARGE));
	static char chunk[1 << 20];
	memset(chunk, 'x', sizeof chunk);
	for (unsigned sent = 0; sent < LSP_MAX_MESSAGE + 10;) {
		unsigned n = LSP_MAX_MESSAGE + 10 - sent < sizeof chunk ? LSP_MAX_MESSAGE + 10 - sent
									 : (unsigned)sizeof chunk;
		lsp_reader_feed(&r, chunk, n);
		sent += n;
		cr_assert_lt(r.len, 64u, "the refused body is not held");
	}
	feed(&r, "Content-Length: 2\r\n\r\n{}");
	char *b = next_body(&r, LSP_FRAME_MESSAGE);
	cr_assert_str_eq(b, "{}");
	free(b);
	lsp_reader_release(&r);
}

Test(frame, endless_header_is_refused)
{
	struct lsp_reader r;
	lsp_reader_init(&r);
	static char junk[10000];
	memset(junk, 'h', sizeof junk);
	lsp_reader_feed(&r, junk, sizeof junk);
	cr_assert_null(next_body(&r, LSP_FRAME_BAD_HEADER));
	cr_assert_eq(r.len, 0u);
	lsp_reader_release(&r);
}
