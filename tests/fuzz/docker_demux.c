/*
 * docker_demux.c - the engine's multiplexed log stream, fed in pieces
 * of the sizes the input's first bytes choose.  Every payload byte comes
 * out once, in order, on a stream named by its frame's header.
 */
#include "backend-docker/internal.h"
#include "tests/fuzz/fuzz.h"

struct seen {
	struct docker_demux d;
	size_t bytes;
};

static void on_frame(void *arg, int stream, const char *data, size_t len)
{
	struct seen *s = arg;
	if (stream < 0 || stream > 255)
		fuzz_fail("stream %d is no header byte", stream);
	if (len == 0)
		fuzz_fail("an empty piece of payload was handed on");
	(void)data;
	s->bytes += len;
}

static void feed(void *arg, const char *bytes, size_t n)
{
	struct seen *s = arg;
	docker_demux_feed(&s->d, bytes, n, on_frame, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct seen s = {0};
	docker_demux_init(&s.d);
	fuzz_in_pieces(data + 1, size - 1, (size_t)data[0] % 16 + 1, feed, &s);
	if (s.bytes > size - 1)
		fuzz_fail("%zu payload bytes out of %zu read", s.bytes, size - 1);
	return 0;
}
