/*
 * outline_test.c - what the frontend's outline tells an editor: the
 * definitions and uses of a file, and the keys a map takes, on whole
 * files and on files cut short by a syntax error.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "frontend/frontend.h"

static const char *const file =
	"kind: pipeline\n"
	"name: build\n"
	"steps:\n"
	"- name: test\n"
	"  image: &img golang:1.22\n"
	"  volumes:\n"
	"  - name: cache\n"
	"    path: /go\n"
	"- name: \"lint\"\n"
	"  image: *img\n"
	"  depends_on: [test]\n"
	"  environment:\n"
	"    T: {from_secret: token}\n"
	"volumes:\n"
	"- name: cache\n"
	"  temp: {}\n"
	"---\n"
	"kind: pipeline\n"
	"name: deploy\n"
	"depends_on:\n"
	"- build\n"
	"steps:\n"
	"- name: test\n"
	"  image: alpine:3\n"
	"---\n"
	"kind: secret\n"
	"name: token\n";

static const struct fe_item *find(const struct fe_outline *o, enum fe_item_kind k,
				  const char *name, int doc)
{
	size_t n;
	const struct fe_item *it = fe_outline_items(o, &n);
	for (size_t i = 0; i < n; i++)
		if (it[i].kind == k && strcmp(it[i].name, name) == 0 && it[i].doc == doc)
			return &it[i];
	return NULL;
}

Test(outline, definitions_and_uses)
{
	struct fe_outline *o = fe_outline_new(file, strlen(file));
	const struct fe_item *build = find(o, FE_DEF_PIPELINE, "build", 0);
	cr_assert_not_null(build);
	cr_assert_eq(build->name_span.line, 2);
	cr_assert_eq(build->name_span.col, 7);
	const struct fe_item *lint = find(o, FE_DEF_STEP, "lint", 0);
	cr_assert_not_null(lint);
	cr_assert_eq(lint->name_span.col, 10, "inside the quotes");
	cr_assert_eq(lint->name_span.end_col, 14);
	cr_assert_eq(&fe_outline_items(o, &(size_t){0})[lint->parent], build);
	cr_assert_eq(lint->span.line, 9);
	cr_assert_eq(lint->span.end_line, 14, "the step's map ends where the next key starts");
	cr_assert_not_null(find(o, FE_USE_STEP, "test", 0));
	cr_assert_not_null(find(o, FE_USE_VOLUME, "cache", 0));
	cr_assert_not_null(find(o, FE_DEF_VOLUME, "cache", 0));
	cr_assert_not_null(find(o, FE_USE_SECRET, "token", 0));
	cr_assert_not_null(find(o, FE_USE_PIPELINE, "build", 1));
	cr_assert_not_null(find(o, FE_DEF_STEP, "test", 1));
	cr_assert_not_null(find(o, FE_DEF_SECRET, "token", 2));
	cr_assert_null(find(o, FE_DEF_PIPELINE, "token", 2));
	const struct fe_item *anchor = find(o, FE_DEF_ANCHOR, "img", 0);
	cr_assert_not_null(anchor);
	cr_assert_eq(anchor->name_span.col, 11);
	const struct fe_item *alias = find(o, FE_USE_ALIAS, "img", 0);
	cr_assert_not_null(alias);
	cr_assert_eq(alias->name_span.col, 11);
	fe_outline_free(o);
}

Test(outline, keys_at_a_column)
{
	struct fe_outline *o = fe_outline_new(file, strlen(file));
	struct fe_key_doc keys[64];
	unsigned long long present;
	size_t n = fe_outline_keys_at(o, 6, 3, keys, 64, &present);
	bool privileged = false, image_present = false;
	for (size_t i = 0; i < n; i++) {
		privileged |= strcmp(keys[i].name, "privileged") == 0;
		image_present |= strcmp(keys[i].name, "image") == 0 && (present >> i & 1);
	}
	cr_assert(privileged, "a step's keys at the step's column");
	cr_assert(image_present, "the step already has image");
	n = fe_outline_keys_at(o, 8, 5, keys, 64, NULL);
	cr_assert_eq(n, 2, "a volume mount takes name and path");
	struct fe_key_doc k;
	struct fe_span span;
	bool is_value;
	cr_assert(fe_outline_key_at(o, 10, 4, &k, &span, &is_value));
	cr_assert_str_eq(k.name, "image");
	cr_assert(!is_value);
	fe_outline_free(o);
}

Test(outline, a_file_cut_short_keeps_what_came_before)
{
	const char *text = "kind: pipeline\nname: a\nsteps:\n- name: one\n  image: x\n- name: two\n  imag";
	struct fe_outline *o = fe_outline_new(text, strlen(text));
	cr_assert_not_null(find(o, FE_DEF_STEP, "one", 0));
	cr_assert_not_null(find(o, FE_DEF_STEP, "two", 0));
	struct fe_key_doc keys[64];
	cr_assert_gt(fe_outline_keys_at(o, 7, 3, keys, 64, NULL), 10u, "the open step map takes keys");
	fe_outline_free(o);
}

Test(outline, hostile_input_never_fails)
{
	const char *texts[] = {"", ":", "- [", "{a: *x}", "&a [*a]", "\t- x", "---\n---\n...\n"};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		struct fe_outline *o = fe_outline_new(texts[i], strlen(texts[i]));
		cr_assert_not_null(o);
		size_t n;
		fe_outline_items(o, &n);
		fe_outline_free(o);
	}
}
