/* The multiplexed log stream, fed in every possible split. */
#include <criterion/criterion.h>

#include "backend-docker/internal.h"

struct sink {
	char out[3][256];
	size_t len[3];
	int calls;
};

static void collect(void *arg, int stream, const char *data, size_t len)
{
	struct sink *s = arg;
	int k = stream == 1 ? 0 : stream == 2 ? 1 : 2;
	memcpy(s->out[k] + s->len[k], data, len);
	s->len[k] += len;
	s->calls++;
}

static size_t frame(char *buf, int stream, const char *text)
{
	size_t n = strlen(text);
	unsigned char h[8] = {(unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24),
			      (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
	memcpy(buf, h, 8);
	memcpy(buf + 8, text, n);
	return n + 8;
}

static size_t sample(char *buf)
{
	size_t n = 0;
	n += frame(buf + n, 1, "hello\n");
	n += frame(buf + n, 2, "oops\n");
	n += frame(buf + n, 1, "");
	n += frame(buf + n, 3, "engine failed");
	n += frame(buf + n, 1, "world\n");
	return n;
}

static void check(const struct sink *s)
{
	cr_expect_eq(s->len[0], 12);
	cr_expect_eq(memcmp(s->out[0], "hello\nworld\n", 12), 0);
	cr_expect_eq(s->len[1], 5);
	cr_expect_eq(memcmp(s->out[1], "oops\n", 5), 0);
	cr_expect_eq(s->len[2], 13);
	cr_expect_eq(memcmp(s->out[2], "engine failed", 13), 0);
}

Test(demux, whole_buffer)
{
	char buf[256];
	size_t n = sample(buf);
	struct docker_demux d;
	struct sink s = {0};
	docker_demux_init(&d);
	docker_demux_feed(&d, buf, n, collect, &s);
	check(&s);
}

Test(demux, every_two_way_split)
{
	char buf[256];
	size_t n = sample(buf);
	for (size_t cut = 0; cut <= n; cut++) {
		struct docker_demux d;
		struct sink s = {0};
		docker_demux_init(&d);
		docker_demux_feed(&d, buf, cut, collect, &s);
		docker_demux_feed(&d, buf + cut, n - cut, collect, &s);
		check(&s);
	}
}

Test(demux, one_byte_at_a_time)
{
	char buf[256];
	size_t n = sample(buf);
	struct docker_demux d;
	struct sink s = {0};
	docker_demux_init(&d);
	for (size_t i = 0; i < n; i++)
		docker_demux_feed(&d, buf + i, 1, collect, &s);
	check(&s);
}

Test(demux, big_frame_is_not_buffered)
{
	/* a header announcing 1 GiB: payload bytes flow out as they come */
	const unsigned char h[8] = {1, 0, 0, 0, 0x40, 0, 0, 0};
	struct docker_demux d;
	struct sink s = {0};
	docker_demux_init(&d);
	docker_demux_feed(&d, (const char *)h, 8, collect, &s);
	docker_demux_feed(&d, "abc", 3, collect, &s);
	cr_expect_eq(s.len[0], 3);
	cr_expect_eq(d.left, (1u << 30) - 3);
}
