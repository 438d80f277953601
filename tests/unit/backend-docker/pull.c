/* The pull progress stream: errors, the digest and bars from untrusted numbers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend-docker/internal.h"

static char *drawn;
static size_t drawn_len;

/* Feeds `text` to a terminal progress for image "img" and ends it. */
static void feed(struct docker_progress *s, const char *text)
{
	FILE *out = open_memstream(&drawn, &drawn_len);
	docker_progress_init(s, out, true, "img");
	docker_progress_feed(s, text, strlen(text));
	docker_progress_end(s);
	fclose(out);
}

static void done(struct docker_progress *s)
{
	docker_progress_release(s);
	free(drawn);
}

/* Engine bytes are untrusted: 1e10 of 1, or less than nothing, still fits the bar. */
Test(progress, a_bar_never_leaves_its_frame)
{
	struct docker_progress s;
	feed(&s, "{\"id\":\"a\",\"status\":\"Downloading\",\"progressDetail\":{\"current\":1e10,\"total\":1}}\n"
		 "{\"id\":\"b\",\"status\":\"Downloading\",\"progressDetail\":{\"current\":-1e10,\"total\":1}}\n"
		 "{\"id\":\"a\",\"status\":\"Downloading\",\"progressDetail\":{\"current\":1e308,\"total\":1e-308}}\n");
	cr_assert_lt(drawn_len, 1024, "%zu bytes drawn", drawn_len);
	cr_assert(strstr(drawn, "img a: Downloading            [==============================]"), "%s", drawn);
	cr_assert(strstr(drawn, "img b: Downloading            [                              ]"), "%s", drawn);
	done(&s);
}

Test(progress, the_first_error_and_the_digest_are_kept)
{
	struct docker_progress s;
	feed(&s, "{\"status\":\"Digest: sha256:abc\"}\nnot json\n{\"error\":\"denied\"}\n{\"error\":\"later\"}");
	cr_assert_str_eq(s.error, "denied");
	cr_assert_str_eq(s.digest, "sha256:abc");
	done(&s);
}
