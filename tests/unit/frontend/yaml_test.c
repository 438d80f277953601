/*
 * yaml_test.c - the YAML reader: node trees, positions, anchors and
 * merge keys, and the ceilings and errors hostile input meets.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/internal.h"
#include "tests/unit/suite.h"

static struct fe_docs docs;

static void setup(void)
{
	suite_setup();
	memset(&docs, 0, sizeof docs);
}

TestSuite(yaml, .init = setup, .fini = suite_teardown);

static int read_text(const char *text)
{
	return fe_yaml_read("t.yml", text, strlen(text), arena, &docs, &dl);
}

static const struct diag *only_diag(const char *rule)
{
	cr_assert_eq(dl.len, 1, "expected one diagnostic, got %zu", dl.len);
	cr_assert_str_eq(dl.items[0].rule, rule);
	return &dl.items[0];
}

Test(yaml, positions_count_from_one)
{
	cr_assert_eq(read_text("# comment\n\nkind: pipeline\nsteps:\n  - name: a\n"), 0);
	cr_assert_eq(docs.n, 1);
	struct fe_node *root = docs.v[0];
	cr_assert_eq(root->kind, FE_MAP);
	cr_assert_eq(root->line, 3);
	cr_assert_eq(root->col, 1);
	struct fe_node *steps = fe_map_get(root, "steps");
	cr_assert_eq(steps->kind, FE_SEQ);
	struct fe_node *name = fe_map_get(steps->items[0], "name");
	cr_assert_str_eq(name->str, "a");
	cr_assert_eq(name->line, 5);
	cr_assert_eq(name->col, 11);
	cr_assert_str_eq(docs.file, "t.yml");
}

Test(yaml, several_documents_keep_file_lines)
{
	cr_assert_eq(read_text("a: 1\n---\nb: 2\n---\n---\nc: 3\n"), 0);
	cr_assert_eq(docs.n, 4);
	cr_assert_eq(fe_map_get(docs.v[1], "b")->line, 3);
	cr_assert(fe_is_null(docs.v[2]));
	cr_assert_eq(fe_map_get(docs.v[3], "c")->line, 6);
}

Test(yaml, scalars_know_plain_from_quoted)
{
	cr_assert_eq(read_text("a: ~\nb: 'null'\nc:\nd: \"x\\0y\"\ne: !!str 1\n"), 0);
	struct fe_node *m = docs.v[0];
	cr_assert(fe_is_null(fe_map_get(m, "a")));
	cr_assert(!fe_is_null(fe_map_get(m, "b")));
	cr_assert(fe_is_null(fe_map_get(m, "c")));
	struct fe_node *d = fe_map_get(m, "d");
	cr_assert_eq(d->len, 3, "embedded NUL keeps the length");
	struct fe_node *e = fe_map_get(m, "e");
	cr_assert(!e->plain, "a tag makes a plain scalar text");
	cr_assert_str_eq(e->str, "1");
	cr_assert_null(fe_map_get(m, "missing"));
}

Test(yaml, alias_shares_the_node_at_its_own_position)
{
	cr_assert_eq(read_text("a: &x [1, 2]\nb: *x\n"), 0);
	struct fe_node *a = fe_map_get(docs.v[0], "a"), *b = fe_map_get(docs.v[0], "b");
	cr_assert_eq(b->kind, FE_SEQ);
	cr_assert_eq(b->items, a->items, "the subtree is shared, not copied");
	cr_assert_eq(b->line, 2);
	cr_assert_eq(b->col, 4);
}

Test(yaml, merge_key_written_keys_win)
{
	cr_assert_eq(read_text("base: &b {image: busybox, user: root}\n"
			       "step:\n  <<: *b\n  user: nobody\n"), 0);
	struct fe_node *step = fe_map_get(docs.v[0], "step");
	cr_assert_eq(step->npairs, 2);
	cr_assert_str_eq(fe_map_get(step, "user")->str, "nobody");
	cr_assert_str_eq(fe_map_get(step, "image")->str, "busybox");
	cr_assert_null(fe_map_get(step, "<<"));
}

Test(yaml, merge_list_earlier_source_wins)
{
	cr_assert_eq(read_text("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\n"
			       "c: {<<: [*a, *b]}\n"), 0);
	struct fe_node *c = fe_map_get(docs.v[0], "c");
	cr_assert_eq(c->npairs, 3);
	cr_assert_str_eq(fe_map_get(c, "y")->str, "1");
	cr_assert_str_eq(fe_map_get(c, "z")->str, "2");
}

Test(yaml, merge_of_a_scalar_is_an_error)
{
	cr_assert_eq(read_text("a:\n  <<: text\n  b: 1\n"), 0);
	const struct diag *d = only_diag("invalid-merge");
	cr_assert_eq(d->pos.line, 2);
	cr_assert_eq(d->pos.col, 7);
}

Test(yaml, duplicate_keys_are_all_reported)
{
	read_text("a: 1\nb: 2\na: 3\nb: 4\n");
	cr_assert_eq(dl.nerrors, 0);
	cr_assert_eq(dl.nwarnings, 2);
	cr_assert_str_eq(dl.items[0].rule, "duplicate-key");
	cr_assert_str_eq(dl.items[0].message,
			 "duplicate key 'a' (first at line 1); the last value is used, as in Drone");
	cr_assert_eq(dl.items[0].pos.line, 3);
	cr_assert_eq(dl.items[1].pos.line, 4);
}

Test(yaml, a_repeated_key_keeps_its_last_value_in_place)
{
	read_text("a: 1\nb: 2\na: 3\nc: {x: 1, x: 2, x: 3}\n");
	struct fe_node *m = docs.v[0];
	cr_assert_eq(m->npairs, 3, "the earlier 'a' is dropped");
	cr_assert_str_eq(fe_map_get(m, "a")->str, "3");
	cr_assert_eq(fe_map_get(m, "a")->line, 3);
	struct fe_node *c = fe_map_get(m, "c");
	cr_assert_eq(c->npairs, 1);
	cr_assert_str_eq(fe_map_get(c, "x")->str, "3");
	cr_assert_eq(dl.nwarnings, 3);
	cr_assert_eq(dl.nerrors, 0);
}

Test(yaml, unknown_anchor)
{
	cr_assert_eq(read_text("a: *nowhere\n"), -1);
	const struct diag *d = only_diag("unknown-anchor");
	cr_assert_str_eq(d->message, "unknown anchor 'nowhere'");
	cr_assert_eq(d->pos.col, 4);
}

Test(yaml, an_anchor_names_a_node_of_its_own_document)
{
	cr_assert_eq(read_text("a: &x 1\nb: *x\n---\nc: *x\n"), -1);
	const struct diag *d = only_diag("unknown-anchor");
	cr_assert_eq(d->pos.line, 4);
	cr_assert_eq(docs.n, 1, "the first document was read");
}

/* Each handed-out document, as its first key and line, while it is live. */
struct seen {
	char keys[8][8];
	int lines[8];
	size_t n;
};

static void see(void *arg, const struct fe_node *doc)
{
	struct seen *s = arg;
	cr_assert_lt(s->n, 8);
	snprintf(s->keys[s->n], sizeof s->keys[0], "%s",
		 doc->kind == FE_MAP ? doc->pairs[0].key->str : "-");
	s->lines[s->n++] = (int)doc->line;
}

Test(yaml, each_document_is_handed_out_once_read)
{
	struct seen seen = {0};
	struct ir_arena *tree = ir_arena_new();
	docs = (struct fe_docs){.tree = tree, .each = see, .each_arg = &seen};
	cr_assert_eq(read_text("one: &a 1\ntwo: *a\n---\nthree: [x]\n---\n---\nfour: {}\n"), 0);
	cr_assert_eq(seen.n, 4);
	cr_assert_str_eq(seen.keys[0], "one");
	cr_assert_str_eq(seen.keys[1], "three");
	cr_assert_str_eq(seen.keys[2], "-", "an empty document is a null");
	cr_assert_str_eq(seen.keys[3], "four");
	cr_assert_eq(seen.lines[1], 4);
	cr_assert_eq(seen.lines[3], 7);
	cr_assert_eq(docs.n, 0, "none is kept");
	ir_arena_free(tree);
}

Test(yaml, a_node_cannot_contain_itself)
{
	cr_assert_eq(read_text("a: &a [*a]\n"), -1);
	only_diag("unknown-anchor");
}

Test(yaml, billion_laughs_is_refused)
{
	char text[4096] = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
	for (int i = 1; i < 10; i++) {
		char line[256];
		snprintf(line, sizeof line,
			 "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n",
			 i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
		strcat(text, line);
	}
	cr_assert_eq(read_text(text), -1);
	const struct diag *d = only_diag("alias-limit");
	cr_assert_eq(d->pos.line, 5, "refused where the total passes the ceiling");
}

Test(yaml, many_small_aliases_are_fine)
{
	char *text = malloc(64 * 1024);
	strcpy(text, "d: &d {a: 1}\nl:\n");
	for (int i = 0; i < 2000; i++)
		strcat(text, "- *d\n");
	cr_assert_eq(read_text(text), 0);
	cr_assert_eq(fe_map_get(docs.v[0], "l")->nitems, 2000);
	free(text);
}

Test(yaml, depth_limit)
{
	char text[512];
	memset(text, '[', 200);
	text[200] = '\0';
	cr_assert_eq(read_text(text), -1);
	const struct diag *d = only_diag("yaml-too-deep");
	cr_assert_eq(d->pos.col, FE_MAX_DEPTH + 1);
}

Test(yaml, syntax_error_keeps_earlier_documents)
{
	cr_assert_eq(read_text("a: 1\n---\nb: [1, 2\n"), -1);
	cr_assert_eq(docs.n, 1);
	const struct diag *d = only_diag("yaml-syntax");
	cr_assert_eq(d->pos.line, 4);
	cr_assert(strstr(d->message, "flow sequence"), "%s", d->message);
}

Test(yaml, invalid_utf8_position)
{
	cr_assert_eq(read_text("a: 1\nb: x\xff\n"), -1);
	const struct diag *d = only_diag("invalid-utf8");
	cr_assert_eq(d->pos.line, 2);
	cr_assert_eq(d->pos.col, 5);
}

Test(yaml, too_many_documents)
{
	char *text = malloc(8 * (FE_MAX_DOCUMENTS + 10));
	text[0] = '\0';
	for (int i = 0; i < FE_MAX_DOCUMENTS + 5; i++)
		strcat(text, "--- 1\n");
	cr_assert_eq(read_text(text), -1);
	only_diag("too-many-documents");
	cr_assert_eq(docs.n, FE_MAX_DOCUMENTS);
	free(text);
}

Test(yaml, every_prefix_of_a_file_is_handled)
{
	const char *text = "kind: pipeline\nsteps:\n- &s {name: \"a\", image: 'b'}\n"
			   "- <<: *s\n  name: c\n  commands: [x, y]\n";
	size_t n = strlen(text);
	for (size_t i = 0; i <= n; i++) {
		struct ir_arena *a = ir_arena_new();
		struct diag_list l;
		struct fe_docs d = {0};
		diag_list_init(&l);
		int rc = fe_yaml_read("t.yml", text, i, a, &d, &l);
		cr_assert(rc == 0 || l.nerrors > 0, "prefix %zu failed silently", i);
		diag_list_release(&l);
		ir_arena_free(a);
	}
}

/* A large file repeats its keys and many values: each short text is kept once. */
Test(yaml, repeated_short_scalars_share_their_text)
{
	cr_assert_eq(read_text("- {name: a, image: golang:1.21}\n"
			       "- {name: b, image: golang:1.21}\n"
			       "- {name: \"a\\0b\", image: 'a'}\n"), 0);
	struct fe_node *s = docs.v[0];
	struct fe_node *m0 = s->items[0], *m1 = s->items[1], *m2 = s->items[2];
	cr_assert_eq(m0->pairs[0].key->str, m1->pairs[0].key->str, "keys are shared");
	cr_assert_eq(fe_map_get(m0, "image")->str, fe_map_get(m1, "image")->str);
	cr_assert_str_eq(fe_map_get(m1, "name")->str, "b");
	/* a text with a NUL inside is its own, and never taken for its prefix */
	struct fe_node *nul = fe_map_get(m2, "name"), *a = fe_map_get(m2, "image");
	cr_assert_eq(nul->len, 3);
	cr_assert_eq(memcmp(nul->str, "a\0b", 4), 0);
	cr_assert_eq(a->len, 1);
	cr_assert_str_eq(a->str, "a");
	cr_assert_eq(fe_map_get(m0, "name")->str, a->str, "'a' quoted or not is one text");
}

/* Past the table's ceiling texts are copied as before: nothing is lost. */
Test(yaml, many_distinct_short_scalars_all_read)
{
	size_t n = 70000, len = 0;
	char *text = malloc(n * 12 + 16);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "- w%zu\n", i);
	len += (size_t)sprintf(text + len, "- w1\n");
	cr_assert_eq(fe_yaml_read("t.yml", text, len, arena, &docs, &dl), 0);
	struct fe_node *s = docs.v[0];
	cr_assert_eq(s->nitems, n + 1);
	cr_assert_eq(s->items[n]->str, s->items[1]->str, "a full table is still searched");
	char want[16];
	for (size_t i = 0; i < n; i += 997) {
		snprintf(want, sizeof want, "w%zu", i);
		cr_assert_str_eq(s->items[i]->str, want);
	}
	free(text);
}

/* Whether the node at `n` and every node and array below it lie in [lo, hi). */
static bool within(const struct fe_node *n, const char *lo, const char *hi)
{
	const char *p = (const char *)n;
	if (p < lo || p + sizeof *n > hi)
		return false;
	if (n->kind == FE_MAP) {
		if ((const char *)n->pairs < lo || (const char *)(n->pairs + n->npairs) > hi)
			return false;
		for (size_t i = 0; i < n->npairs; i++)
			if (!within(n->pairs[i].key, lo, hi) || !within(n->pairs[i].value, lo, hi))
				return false;
	} else if (n->kind == FE_SEQ) {
		if ((const char *)n->items < lo || (const char *)(n->items + n->nitems) > hi)
			return false;
		for (size_t i = 0; i < n->nitems; i++)
			if (!within(n->items[i], lo, hi))
				return false;
	}
	return true;
}

/*
 * fe_prefetch() asks for one run of memory per subtree: a step's nodes
 * and arrays all lie between its map node and the end of its pairs.
 */
Test(yaml, a_subtree_lies_in_one_run_of_memory)
{
	cr_assert_eq(read_text("steps:\n"
			       "- name: a\n  image: alpine\n  commands: [make, make test]\n"
			       "  environment: {A: '1', B: '2'}\n  when: {branch: [main]}\n"
			       "- name: b\n  image: alpine\n"), 0);
	const struct fe_node *steps = fe_map_get(docs.v[0], "steps");
	for (size_t i = 0; i < steps->nitems; i++) {
		const struct fe_node *s = steps->items[i];
		const char *lo = (const char *)s, *hi = (const char *)(s->pairs + s->npairs);
		cr_assert(within(s, lo, hi), "step %zu", i);
		cr_assert_lt(hi - lo, 4096, "and the run is a prefetch's size");
		fe_prefetch(s);
	}
}
