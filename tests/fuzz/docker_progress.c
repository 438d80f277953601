/*
 * docker_progress.c - a pull's progress stream as the engine and the
 * registry send it, drawn as on a terminal.  Whatever the numbers say,
 * each line of the stream draws at most one frame of bars: the output
 * stays proportional to the input.
 */
#include "backend-docker/internal.h"
#include "tests/fuzz/fuzz.h"

/* A frame: a bar per layer, each a bounded line. */
#define FRAME_MAX (DOCKER_PULL_MAX_LAYERS * 128 + 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL;
	size_t outlen = 0, lines = 1;
	FILE *fp = open_memstream(&out, &outlen);
	if (!fp)
		abort();
	struct docker_progress s;
	docker_progress_init(&s, fp, true, "registry.test/app:1");
	size_t half = size / 2;
	docker_progress_feed(&s, (const char *)data, half);
	docker_progress_feed(&s, (const char *)data + half, size - half);
	docker_progress_end(&s);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	fclose(fp);
	if (outlen > lines * FRAME_MAX)
		fuzz_fail("%zu bytes drawn for %zu lines of progress", outlen, lines);
	if (strnlen(s.error, sizeof s.error) == sizeof s.error ||
	    strnlen(s.digest, sizeof s.digest) == sizeof s.digest)
		fuzz_fail("the error or digest is not terminated");
	docker_progress_release(&s);
	free(out);
	return 0;
}
