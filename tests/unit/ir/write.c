/*
 * write.c - ir_write()'s own string escaping and environment order:
 * strings come out exactly as cJSON's printer spells them, and each
 * environment in key order, equal keys in the order written, however the
 * environments before it looked.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "tests/unit/ir/fixture.h"

static struct ir_arena *arena;

static void setup(void)
{
	arena = ir_arena_new();
	srand(5);
}

static void teardown(void)
{
	ir_arena_free(arena);
}

TestSuite(write, .init = setup, .fini = teardown);

/* `s` as cJSON prints a JSON string; caller frees. */
static char *cjson_spelling(const char *s)
{
	cJSON *str = cJSON_CreateString(s);
	char *out = cJSON_PrintUnformatted(str);
	cJSON_Delete(str);
	return out;
}

/* True when the compact text of `d` holds `"name":<spelling>,`. */
static bool has_name(const struct ir_doc *d, const char *spelling)
{
	char *text = ir_write(d, IR_WRITE_COMPACT);
	char *want = malloc(strlen(spelling) + 16);
	cr_assert_not_null(want);
	strcpy(want, "\"name\":");
	strcat(want, spelling);
	strcat(want, ",");
	bool found = strstr(text, want) != NULL;
	free(want);
	free(text);
	return found;
}

Test(write, control_bytes_quotes_and_backslashes_are_escaped)
{
	struct ir_doc *d = fixture_min(arena);
	d->pipelines[0].name = "a\x01" "b\x1f\"q\\ \t\n\r\b\f \x7f \xc3\xa9 long enough to span words";
	cr_assert(has_name(d, "\"a\\u0001b\\u001f\\\"q\\\\ \\t\\n\\r\\b\\f \x7f \xc3\xa9 "
			   "long enough to span words\""));
}

/* Random strings, mostly bytes that need care, at every length up to 40. */
Test(write, strings_are_spelled_as_cjson_spells_them)
{
	static const char special[] = "\"\\/a\x7f\xc3\xa9";
	for (int round = 0; round < 4000; round++) {
		struct ir_doc *d = fixture_min(arena);
		size_t n = (size_t)(round % 41);
		char *s = ir_calloc(arena, n + 1, 1);
		for (size_t i = 0; i < n; i++) {
			int k = rand() % 4;
			s[i] = (char)(k == 0 ? 1 + rand() % 31
				      : k == 1 ? special[rand() % (int)(sizeof special - 1)]
				      : 1 + rand() % 255);
		}
		d->pipelines[0].name = s;
		char *want = cjson_spelling(s);
		cr_assert(has_name(d, want), "round %d: %s", round, want);
		free(want);
	}
}

/*
 * One byte that needs an escape at each place of strings up to 70 bytes
 * long: inside a block, at a block's edges and in the last bytes, which
 * are too few for a block.
 */
Test(write, an_escape_anywhere_in_a_long_string)
{
	static const char needs[] = "\"\\\n\x01\x1f";
	for (size_t n = 1; n <= 70; n++) {
		for (size_t at = 0; at < n; at++) {
			struct ir_doc *d = fixture_min(arena);
			char *s = ir_calloc(arena, n + 1, 1);
			memset(s, 'x', n);
			s[at] = needs[(n + at) % (sizeof needs - 1)];
			d->pipelines[0].name = s;
			char *want = cjson_spelling(s);
			cr_assert(has_name(d, want), "length %zu, escape at %zu: %s", n, at, want);
			free(want);
		}
	}
}

static const char *const pool[] = {"A", "B", "CI", "CI_WORKSPACE", "DRONE", "DRONE_STEP_NAME",
				   "DRONE_X", "Z", "a", "", "k\"q"};

/* A random environment; with `prev`, maybe starting with a copy of its first entries. */
static struct ir_env random_env(const struct ir_env *prev)
{
	size_t share = prev && prev->n && rand() % 4 ? (size_t)rand() % (prev->n + 1) : 0;
	size_t extra = (size_t)(rand() % 6) + (rand() % 5 == 0 ? (size_t)(rand() % 90) : 0);
	struct ir_env env = {ir_calloc(arena, share + extra + 1, sizeof *env.v), share + extra};
	if (share)
		memcpy(env.v, prev->v, share * sizeof *env.v);
	for (size_t i = share; i < env.n; i++) {
		const char *k = pool[rand() % (int)(sizeof pool / sizeof *pool)];
		env.v[i].key = rand() % 2 ? (char *)k : ir_strdup(arena, k);
		env.v[i].value = ir_printf(arena, "%zu", i);
	}
	return env;
}

/*
 * Checks one environment object as cJSON parsed it: keys in byte order,
 * equal keys with their values in written (here increasing) order.
 */
static void check_env(const cJSON *obj, size_t n)
{
	size_t seen = 0;
	const cJSON *prev = NULL;
	for (const cJSON *c = obj->child; c; c = c->next, seen++) {
		if (prev) {
			int cmp = strcmp(prev->string, c->string);
			cr_assert_leq(cmp, 0, "'%s' before '%s'", prev->string, c->string);
			if (cmp == 0)
				cr_assert_lt(atoi(prev->valuestring), atoi(c->valuestring),
					     "equal keys '%s' out of written order", c->string);
		}
		prev = c;
	}
	cr_assert_eq(seen, n);
}

Test(write, environments_are_in_key_order_whatever_came_before)
{
	for (int round = 0; round < 300; round++) {
		struct ir_doc *d = fixture_min(arena);
		struct ir_pipeline *p = &d->pipelines[0];
		size_t nsteps = 1 + (size_t)(rand() % 8);
		struct ir_step *steps = ir_calloc(arena, nsteps, sizeof *steps);
		for (size_t i = 0; i < nsteps; i++) {
			steps[i] = p->steps[0];
			steps[i].name = ir_printf(arena, "s%zu", i);
			steps[i].environment = random_env(i ? &steps[i - 1].environment : NULL);
		}
		p->steps = steps;
		p->nsteps = nsteps;
		char *text = ir_write(d, 0);
		cJSON *root = cJSON_Parse(text);
		cr_assert_not_null(root, "round %d: not JSON", round);
		const cJSON *js = cJSON_GetObjectItem(cJSON_GetArrayItem(
			cJSON_GetObjectItem(root, "pipelines"), 0), "steps");
		for (size_t i = 0; i < nsteps; i++) {
			const cJSON *env = cJSON_GetObjectItem(cJSON_GetArrayItem(js, (int)i),
							       "environment");
			cr_assert_eq(env != NULL, steps[i].environment.n > 0);
			if (env)
				check_env(env, steps[i].environment.n);
		}
		cJSON_Delete(root);
		free(text);
	}
}

/* ir_write_file() through a real file: the bytes ir_write() gives. */
static char *write_via_file(const struct ir_doc *d, unsigned flags)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	cr_assert_not_null(fp);
	cr_assert_eq(ir_write_file(d, flags, fp), 0);
	fclose(fp);
	return text;
}

/*
 * Enough steps that the file is written in many pieces, each step with
 * an empty embedded object (resources) that is taken back after its key
 * was written: a piece boundary must never cut into such a take-back.
 */
Test(write, to_a_file_in_pieces_is_the_same_text)
{
	struct ir_arena *a = ir_arena_new();
	struct ir_doc *d = fixture_full(a);
	struct ir_pipeline *p = &d->pipelines[0];
	size_t n = 3000;
	struct ir_step *steps = ir_calloc(a, n, sizeof *steps);
	for (size_t i = 0; i < n; i++) {
		steps[i] = p->steps[i % p->nsteps];
		steps[i].name = ir_printf(a, "step-%zu", i);
		if (i % 2)
			ir_step_extra_edit(&steps[i], arena)->resources = (struct ir_resources){0};
	}
	p->steps = steps;
	p->nsteps = n;
	for (unsigned flags = 0; flags <= IR_WRITE_COMPACT; flags++) {
		char *whole = ir_write(d, flags);
		char *pieces = write_via_file(d, flags);
		cr_assert_gt(strlen(whole), 4 * 32768, "the text spans several pieces");
		cr_assert_str_eq(pieces, whole);
		free(whole);
		free(pieces);
	}
	ir_arena_free(a);
}

Test(write, to_a_failing_file_reports_it)
{
	struct ir_arena *a = ir_arena_new();
	FILE *fp = fopen("/dev/full", "w");
	cr_assert_not_null(fp);
	setvbuf(fp, NULL, _IONBF, 0);
	cr_assert_eq(ir_write_file(fixture_full(a), 0, fp), -1);
	fclose(fp);
	ir_arena_free(a);
}
