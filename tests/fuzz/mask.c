/*
 * mask.c - secrets in a step's output.  The input names up to seven
 * secrets, a run of filler that pushes the text past the 64 KiB line
 * break, and the text, which is fed to both streams of a step in pieces
 * of the sizes the input chooses.  No line of a secret (of the length
 * the masker hides) survives, in the output or in the --log-dir file.
 *
 * Secrets leave out what the output adds around the text ('*' of the
 * mask, the prefix's ' ' and '|'), so an occurrence in the output can
 * only have come from the step.
 *
 * Input: byte 0 the number of secrets (low 3 bits), byte 1 the filler
 * in KiB (low 7 bits), byte 2 the piece size; then per secret a length
 * byte (low 5 bits) and the secret; the rest is the text.
 */
#define _GNU_SOURCE
#include <string.h>

#include "runtime/internal.h"
#include "tests/fuzz/fuzz.h"

#define MAX_SECRETS 7

struct input {
	char secret[MAX_SECRETS][32];
	size_t nsecrets;
	size_t filler, piece;
	const char *text;
	size_t len;
};

static bool parse(const uint8_t *d, size_t n, struct input *in)
{
	if (n < 3)
		return false;
	in->nsecrets = d[0] & 7;
	in->filler = (size_t)(d[1] & 127) * 1024;
	in->piece = (size_t)d[2] * 37 + 1;
	d += 3, n -= 3;
	for (size_t i = 0; i < in->nsecrets; i++) {
		size_t len = n ? d[0] & 31 : 0;
		if (n < len + 1)
			return false;
		for (size_t k = 0; k < len; k++) {
			char c = (char)d[1 + k];
			in->secret[i][k] = c == '*' || c == ' ' || c == '|' || c == '\r' || c == 0 ? 'x' : c;
		}
		in->secret[i][len] = 0;
		d += len + 1, n -= len + 1;
	}
	in->text = (const char *)d;
	in->len = n;
	return true;
}

/* Feeds `len` bytes of `text` in pieces, alternating the streams at each newline. */
static void feed(struct rt_log *l, const char *text, size_t len, size_t piece, int *stream)
{
	for (size_t off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;
		rt_log_write(l, *stream, text + off, n);
		if (memchr(text + off, '\n', n))
			*stream = 3 - *stream;
	}
}

/* Fails when a line of a secret occurs in out[0..len). */
static void check(const struct input *in, const char *what, const char *out, size_t len)
{
	for (size_t i = 0; i < in->nsecrets; i++) {
		for (const char *s = in->secret[i]; *s;) {
			size_t n = strcspn(s, "\n");
			if (n >= RT_MIN_SECRET && memmem(out, len, s, n))
				fuzz_fail("secret line '%.*s' is in the %s", (int)n, s, what);
			s += n + (s[n] == '\n');
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	if (!parse(data, size, &in))
		return 0;
	struct rt_mask m;
	rt_mask_init(&m);
	for (size_t i = 0; i < in.nsecrets; i++)
		rt_mask_add(&m, in.secret[i], strlen(in.secret[i]));
	char *out = NULL, *file = NULL;
	size_t outlen = 0, filelen = 0;
	struct rt_log_sink sink = {.out = open_memstream(&out, &outlen), .mask = &m};
	struct rt_log l;
	rt_log_init(&l, &sink, "step", 0, NULL);
	l.file = open_memstream(&file, &filelen);
	char *filler = malloc(in.filler + 1);
	memset(filler, 'x', in.filler);
	int stream = 1;
	feed(&l, filler, in.filler, in.piece, &stream);
	feed(&l, in.text, in.len, in.piece, &stream);
	rt_log_flush(&l);
	rt_log_sink_flush(&sink);
	rt_log_release(&l);          /* closes the file */
	fclose(sink.out);
	check(&in, "output", out, outlen);
	check(&in, "log file", file, filelen);
	rt_log_sink_release(&sink);
	rt_mask_release(&m);
	free(filler);
	free(out);
	free(file);
	return 0;
}
