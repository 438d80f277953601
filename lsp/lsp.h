/*
 * lsp.h - the language server: the pipeline files an editor has open,
 * and the answers to its requests, computed by the frontend and the
 * validator in memory.  Nothing here writes a file or starts a process.
 *
 * The editor speaks JSON-RPC 2.0 over a byte stream, each message framed
 * by a Content-Length header.  The caller (cli/lsp.c) moves the bytes:
 *
 *   1. lsp_reader_feed() takes whatever bytes arrived;
 *   2. lsp_reader_next() returns each complete message in turn;
 *   3. lsp_handle_all() answers them, sending responses and notifications
 *      through the function given to lsp_server_new();
 *   4. lsp_flush() publishes diagnostics for every document changed since
 *      the last flush, once each however many edits arrived meanwhile;
 *   5. lsp_server_done() says when the editor has said `exit`.
 *
 * Handing the server every message already read before flushing lets it
 * honour `$/cancelRequest` for requests still waiting and check a file
 * once after a burst of keystrokes.
 */
#ifndef PIPEC_LSP_H
#define PIPEC_LSP_H

#include <stdbool.h>
#include <stddef.h>

/* A message larger than this is refused; the stream resumes after it. */
#define LSP_MAX_MESSAGE (16u * 1024 * 1024)

/* ---- Framing ---------------------------------------------------------- */

struct lsp_reader {
	char *buf;
	size_t len, cap;
	size_t skip;            /* body bytes of a refused message still to drop */
};

enum lsp_frame {
	LSP_FRAME_NONE,         /* no complete message yet */
	LSP_FRAME_MESSAGE,      /* *body holds one message */
	LSP_FRAME_BAD_HEADER,   /* a header without a valid Content-Length: dropped */
	LSP_FRAME_TOO_LARGE,    /* a message over LSP_MAX_MESSAGE: dropped */
};

void lsp_reader_init(struct lsp_reader *r);
void lsp_reader_release(struct lsp_reader *r);

/* Appends `n` bytes read from the editor. */
void lsp_reader_feed(struct lsp_reader *r, const char *bytes, size_t n);

/*
 * The next message: on LSP_FRAME_MESSAGE, *body (malloc'd, NUL-terminated,
 * the caller frees it) and *len are set.  Errors drop the bad bytes, so
 * calling again goes on with what follows.
 */
enum lsp_frame lsp_reader_next(struct lsp_reader *r, char **body, size_t *len);

/* ---- The server ------------------------------------------------------- */

struct lsp_server;

struct lsp_options {
	/* Writes one message body (the caller frames it). */
	void (*send)(void *arg, const char *json, size_t len);
	void *arg;
	/* URI prefix of the rule pages, "file:///.../rules/"; NULL for none. */
	const char *rules_uri;
	/*
	 * Calls `each` with the tags the local engine holds of image
	 * repository `repo` ("alpine" -> "alpine:3.19"), for the quick fix
	 * that pins an untagged image; NULL, or no call, when no engine
	 * answers.
	 */
	void (*image_tags)(void *arg, const char *repo,
			   void (*each)(void *each_arg, const char *tag), void *each_arg);
};

struct lsp_server *lsp_server_new(const struct lsp_options *opts);
void lsp_server_free(struct lsp_server *s);

/* Answers one message body of `len` bytes. */
void lsp_handle(struct lsp_server *s, const char *body, size_t len);

/*
 * Answers `n` messages read together: cancellations first, so a request
 * cancelled while it waited is answered "cancelled", then the rest in order.
 */
void lsp_handle_all(struct lsp_server *s, char *const *bodies, const size_t *lens, size_t n);

/* A framing error, answered as JSON-RPC asks (a parse error without id). */
void lsp_handle_frame_error(struct lsp_server *s, enum lsp_frame err);

/* Publishes the diagnostics of every document changed since the last call. */
void lsp_flush(struct lsp_server *s);

/*
 * True once the editor has sent `exit`; *status is then the exit status
 * the protocol asks for: 0 after `shutdown`, 1 without.
 */
bool lsp_server_done(const struct lsp_server *s, int *status);

#endif
