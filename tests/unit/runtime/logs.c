/*
 * logs.c - masking and line assembly: leftmost-longest replacement,
 * secrets split across reads, multi-line and empty secrets, partial
 * lines, prefixes, the line ceiling, and the secrets store.
 * (How the command line fills the store: tests/unit/cli/secrets.c.)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/internal.h"

static char *masked(struct rt_mask *m, const char *in)
{
	struct rt_buf b = {0};
	rt_mask_apply(m, in, strlen(in), &b);
	rt_buf_put(&b, "", 1);
	return b.p;
}

Test(mask, replaces_every_occurrence)
{
	struct rt_mask m;
	rt_mask_init(&m);
	rt_mask_add(&m, "barn", 4);
	char *s = masked(&m, "foobarn barn barnbarn");
	cr_assert_str_eq(s, "foo******** ******** ****************");
	free(s);
	rt_mask_release(&m);
}

Test(mask, leftmost_then_longest)
{
	struct rt_mask m;
	rt_mask_init(&m);
	rt_mask_add(&m, "abcd", 4);
	rt_mask_add(&m, "abcde", 5);
	rt_mask_add(&m, "efgh", 4);
	char *s = masked(&m, "xabcdefghx");
	cr_assert_str_eq(s, "x********fghx");
	free(s);
	rt_mask_release(&m);
}

Test(mask, multi_line_values_are_kept_line_by_line_and_empty_ignored)
{
	struct rt_mask m;
	rt_mask_init(&m);
	rt_mask_add(&m, "", 0);
	rt_mask_add(&m, "uno1\r\n\ndos2\n{\n", 13);
	cr_assert_eq(m.n, 2, "a line under RT_MIN_SECRET bytes is no pattern");
	char *s = masked(&m, "uno1\ndos2\nthree\n{\n");
	cr_assert_str_eq(s, "********\n********\nthree\n{\n");
	free(s);
	rt_mask_release(&m);
}

Test(mask, no_patterns_copies)
{
	struct rt_mask m;
	rt_mask_init(&m);
	char *s = masked(&m, "plain");
	cr_assert_str_eq(s, "plain");
	free(s);
	rt_mask_release(&m);
}

/* Text holding no secret comes back as itself: the log path copies nothing. */
Test(mask, text_without_a_secret_is_not_copied)
{
	struct rt_mask m;
	struct rt_buf b = {0};
	rt_mask_init(&m);
	rt_mask_add(&m, "hunter2", 7);
	const char *clean = "nothing to hide\n";
	size_t len = strlen(clean);
	cr_assert_eq(rt_mask_text(&m, clean, &len, &b), clean);
	cr_assert_eq(len, strlen(clean));
	cr_assert_eq(b.len, 0, "the scratch is untouched");
	const char *dirty = "pw hunter2!";
	len = strlen(dirty);
	const char *out = rt_mask_text(&m, dirty, &len, &b);
	cr_assert_neq(out, dirty);
	cr_assert_eq(len, strlen("pw ********!"));
	cr_assert_eq(memcmp(out, "pw ********!", len), 0);
	rt_buf_release(&b);
	rt_mask_release(&m);
}

struct capture {
	char *text;
	size_t len;
	FILE *fp;
	struct rt_mask mask;
	struct rt_log_sink sink;
	struct rt_log log;
};

static void capture_init(struct capture *c, const char *name, int width)
{
	memset(c, 0, sizeof *c);
	c->fp = open_memstream(&c->text, &c->len);
	rt_mask_init(&c->mask);
	c->sink = (struct rt_log_sink){.out = c->fp, .mask = &c->mask};
	rt_log_init(&c->log, &c->sink, name, width, NULL);
}

static const char *capture_text(struct capture *c)
{
	rt_log_sink_flush(&c->sink);
	return c->text;
}

static void capture_release(struct capture *c)
{
	rt_log_release(&c->log);
	rt_log_sink_release(&c->sink);
	rt_mask_release(&c->mask);
	fclose(c->fp);
	free(c->text);
}

Test(log, lines_are_prefixed_and_aligned)
{
	struct capture c;
	capture_init(&c, "ab", 5);
	rt_log_write(&c.log, 1, "one\ntwo\n", 8);
	cr_assert_str_eq(capture_text(&c), "ab    | one\nab    | two\n");
	capture_release(&c);
}

Test(log, partial_lines_wait_for_their_end)
{
	struct capture c;
	capture_init(&c, "s", 1);
	rt_log_write(&c.log, 1, "par", 3);
	cr_assert_str_eq(capture_text(&c), "");
	rt_log_write(&c.log, 2, "err\n", 4);
	rt_log_write(&c.log, 1, "tial\nnext", 9);
	rt_log_flush(&c.log);
	cr_assert_str_eq(capture_text(&c), "s | err\ns | partial\ns | next\n");
	capture_release(&c);
}

Test(log, a_secret_split_across_reads_is_masked)
{
	struct capture c;
	capture_init(&c, "s", 1);
	rt_mask_add(&c.mask, "hunter2", 7);
	const char *text = "pw=hunter2 ok\n";
	for (size_t i = 0; text[i]; i++)
		rt_log_write(&c.log, 1, text + i, 1);
	cr_assert_str_eq(capture_text(&c), "s | pw=******** ok\n");
	capture_release(&c);
}

Test(log, an_overlong_line_is_broken_at_the_ceiling)
{
	struct capture c;
	capture_init(&c, "s", 1);
	size_t n = RT_MAX_LINE + 10;
	char *big = malloc(n);
	memset(big, 'x', n);
	rt_log_write(&c.log, 1, big, 100);
	rt_log_write(&c.log, 1, big, n - 100);
	cr_assert_lt(c.log.held[0].len, (size_t)RT_MAX_LINE);
	rt_log_flush(&c.log);
	capture_text(&c);
	size_t lines = 0;
	for (size_t i = 0; i < c.len; i++)
		lines += c.text[i] == '\n';
	cr_assert_eq(lines, 2);
	free(big);
	capture_release(&c);
}

Test(mask, values_under_four_bytes_cannot_be_hidden)
{
	static const char *const no[] = {"abc", "ab\r\nc\n{", "abc\r"};
	static const char *const yes[] = {"abcd", "{\n  abcd\n}", "a\nbcde"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_not(rt_mask_can_hide(no[i], strlen(no[i])), "%s", no[i]);
		cr_assert(rt_mask_can_hide(yes[i], strlen(yes[i])), "%s", yes[i]);
	}
	struct rt_mask m;
	rt_mask_init(&m);
	rt_mask_add(&m, "abc", 3);
	cr_assert_eq(m.n, 0);
	rt_mask_release(&m);
}

/* The output with each line's prefix removed and the lines joined. */
static char *joined(struct capture *c, size_t *lines)
{
	const char *t = capture_text(c);
	char *j = malloc(strlen(t) + 1), *w = j;
	*lines = 0;
	for (const char *nl; (nl = strchr(t, '\n')); t = nl + 1, ++*lines) {
		cr_assert_eq(strncmp(t, "s | ", 4), 0);
		memcpy(w, t + 4, (size_t)(nl - t - 4));
		w += nl - t - 4;
	}
	*w = 0;
	return j;
}

/*
 * A secret at every offset around the ceiling, fed in reads of several
 * sizes: the line breaks after it rather than inside, and the secret is
 * hidden whole.
 */
Test(log, a_secret_straddling_the_ceiling_is_hidden_whole)
{
	static const char secret[] = "Zq9-S3cr3t-Value-7731";
	size_t slen = sizeof secret - 1, reads[] = {1 << 20, 4096, 7};
	char *text = malloc(RT_MAX_LINE + 64), *want = malloc(RT_MAX_LINE + 64);
	size_t breaks = 0;
	for (size_t r = 0; r < 3; r++) {
		for (size_t off = RT_MAX_LINE - slen - 2; off <= RT_MAX_LINE + 2; off++) {
			struct capture c;
			capture_init(&c, "s", 1);
			rt_mask_add(&c.mask, secret, slen);
			memset(text, 'x', off);
			int n = sprintf(text + off, "%s tail\n", secret);
			for (size_t at = 0, len = off + (size_t)n; at < len; at += reads[r])
				rt_log_write(&c.log, 1, text + at,
					     len - at < reads[r] ? len - at : reads[r]);
			memset(want, 'x', off);
			sprintf(want + off, "%s tail", RT_MASK);
			size_t lines;
			char *got = joined(&c, &lines);
			cr_assert_str_eq(got, want, "offset %zu, reads of %zu", off, reads[r]);
			breaks += lines - 1;
			free(got);
			capture_release(&c);
		}
	}
	cr_assert_gt(breaks, 0, "the line was broken");
	free(text);
	free(want);
}

Test(secrets, a_later_value_replaces_an_earlier_one)
{
	struct rt_secrets s;
	rt_secrets_init(&s);
	cr_assert_eq(rt_secrets_set(&s, "A", "one"), 0);
	cr_assert_eq(rt_secrets_set(&s, "A", "two"), 0);
	cr_assert_str_eq(rt_secrets_get(&s, "A"), "two");
	cr_assert_null(rt_secrets_get(&s, "B"));
	cr_assert_eq(s.n, 1);
	rt_secrets_release(&s);
}

Test(mask, refuses_patterns_beyond_the_ceiling)
{
	struct rt_mask m;
	rt_mask_init(&m);
	char v[32];
	for (unsigned i = 0; i < RT_MAX_PATTERNS; i++) {
		int n = snprintf(v, sizeof v, "secret-%u", i);
		cr_assert_eq(rt_mask_add(&m, v, (size_t)n), 0);
	}
	cr_assert_eq(rt_mask_add(&m, "one-more", 8), -1);
	cr_assert_eq(rt_mask_add(&m, "secret-7", 8), 0, "a known value is no new pattern");
	rt_mask_release(&m);
}

Test(log, a_color_wraps_the_prefix)
{
	struct capture c;
	capture_init(&c, "s", 1);
	rt_log_release(&c.log);
	rt_log_init(&c.log, &c.sink, "s", 1, "\033[32m");
	rt_log_write(&c.log, 1, "hi\n", 3);
	cr_assert_str_eq(capture_text(&c), "\033[32ms |\033[0m hi\n");
	capture_release(&c);
}

/* What pipec writes itself: lines are held until complete, then masked. */
Test(mask, a_stream_hides_secrets_split_across_writes)
{
	char *text = NULL;
	size_t len = 0;
	FILE *to = open_memstream(&text, &len);
	struct rt_mask *m = rt_mask_new();
	rt_mask_add(m, "hunter2", 7);
	FILE *f = rt_mask_stream(m, to);
	cr_assert_not_null(f);
	fputs("pulling hun", f);
	fflush(f);
	fputs("ter2\nlast hunter", f);
	fputs("2", f);
	fclose(f);
	fclose(to);
	cr_assert_str_eq(text, "pulling ********\nlast ********");
	free(text);
	rt_mask_free(m);
}
