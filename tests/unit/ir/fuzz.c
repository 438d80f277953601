/*
 * fuzz.c - ir_read() on hostile input: it must neither crash nor leak,
 * and must fail exactly when it reported an error.
 *
 * The inputs are derived deterministically from the full fixture: every
 * prefix, every single-byte substitution from a small alphabet of JSON
 * punctuation, and hand-made extremes (deep nesting, huge numbers, wrong
 * types in every position).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tests/unit/ir/fixture.h"

/* Reads `len` bytes; checks that NULL comes back exactly on error. */
static void read_once(const char *text, size_t len)
{
	struct ir_arena *a = ir_arena_new();
	struct diag_list dl;
	diag_list_init(&dl);
	struct ir_doc *d = ir_read("f.json", text, len, a, &dl);
	cr_assert_eq(d == NULL, dl.nerrors > 0, "result and errors disagree on %.*s",
		     (int)(len < 200 ? len : 200), text);
	if (d) {
		char *out = ir_write(d, IR_WRITE_COMPACT);
		free(out);
	}
	diag_list_release(&dl);
	ir_arena_free(a);
}

static char *full_text(void)
{
	struct ir_arena *a = ir_arena_new();
	char *t = ir_write(fixture_full(a), IR_WRITE_COMPACT);
	ir_arena_free(a);
	return t;
}

Test(fuzz, every_prefix)
{
	char *t = full_text();
	size_t n = strlen(t);
	for (size_t i = 0; i < n; i++)
		read_once(t, i);
	free(t);
}

Test(fuzz, every_byte_substituted)
{
	static const char alphabet[] = "{}[]\",:0-1e.tn\\ \x00\xff";
	char *t = full_text();
	size_t n = strlen(t);
	char *m = malloc(n);
	for (size_t i = 0; i < n; i += 3) {
		for (size_t k = 0; k < sizeof alphabet - 1; k++) {
			memcpy(m, t, n);
			m[i] = alphabet[k];
			read_once(m, n);
		}
	}
	free(m);
	free(t);
}

Test(fuzz, deep_nesting)
{
	size_t depth = 100000;
	char *t = malloc(2 * depth + 64);
	size_t len = (size_t)sprintf(t, "{\"version\": 1, \"pipelines\": ");
	memset(t + len, '[', depth);
	memset(t + len + depth, ']', depth);
	t[len + 2 * depth] = '}';
	read_once(t, len + 2 * depth + 1);
	free(t);
}

Test(fuzz, huge_and_odd_numbers)
{
	static const char *const nums[] = {"1e999", "-1e999", "1e-999", "123456789012345678901234567890",
					   "-0", "0.0", "2147483647.0000001", "-9223372036854775808",
					   "9223372036854775807", "4.9e-324"};
	for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
		char buf[256];
		int n = snprintf(buf, sizeof buf,
				 "{\"version\": 1, \"pipelines\": [{\"name\": \"p\", \"type\": "
				 "\"local\", \"timeout\": %s, \"volumes\": [{\"name\": \"v\", "
				 "\"size_limit\": %s}]}]}", nums[i], nums[i]);
		read_once(buf, (size_t)n);
	}
}

/* Every field of the full document replaced by each JSON type in turn. */
Test(fuzz, wrong_type_everywhere)
{
	static const char *const values[] = {"null", "true", "7", "-1", "\"s\"", "[]", "{}",
					     "[null]", "{\"x\": 1}"};
	char *t = full_text();
	size_t n = strlen(t);
	char *m = malloc(n + 64);
	for (size_t i = 0; i < n; i++) {
		if (t[i] != ':')
			continue;
		/* replace the value after this colon up to its end (, } or ]) */
		size_t end = i + 1;
		int depth = 0;
		bool str = false;
		for (; end < n; end++) {
			char c = t[end];
			if (str) {
				if (c == '\\')
					end++;
				else if (c == '"')
					str = false;
			} else if (c == '"') {
				str = true;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']' || c == ',') {
				if (depth == 0)
					break;
				if (c != ',')
					depth--;
			}
		}
		for (size_t k = 0; k < sizeof values / sizeof *values; k++) {
			size_t vl = strlen(values[k]);
			memcpy(m, t, i + 1);
			memcpy(m + i + 1, values[k], vl);
			memcpy(m + i + 1 + vl, t + end, n - end);
			read_once(m, i + 1 + vl + n - end);
		}
	}
	free(m);
	free(t);
}
