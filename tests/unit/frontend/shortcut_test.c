/*
 * shortcut_test.c - where the Drone lowering saves work, the answer is
 * the one the long way gives: keys written twice, step names in or out
 * of order, a variable substituted at every step, a default that is not
 * used, a pattern checked up to its first brace.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "tests/unit/suite.h"

/* Variables V0..V99 are set to "val-<name>"; every lookup is counted. */
static int asked[128];
static int asked_nope;

static const char *getvar(void *arg, const char *name)
{
	static char values[128][32];
	int i;
	(void)arg;
	if (sscanf(name, "V%d", &i) != 1 || i < 0 || i >= 100) {
		asked_nope += strcmp(name, "NOPE") == 0;
		return strcmp(name, "EMPTY") == 0 ? "" : NULL;
	}
	asked[i]++;
	snprintf(values[i], sizeof values[i], "val-%s", name);
	return values[i];
}

static struct fe_context ctx;

static void setup(void)
{
	suite_setup();
	memset(asked, 0, sizeof asked);
	asked_nope = 0;
	ctx = (struct fe_context){.branch = "main", .event = "push", .getvar = getvar};
}

TestSuite(shortcut, .init = setup, .fini = suite_teardown);

/* The IR, or NULL when the text has errors (the IR is then only for checking). */
static struct ir_doc *compile(const char *text)
{
	size_t before = dl.nerrors;
	struct ir_doc *d = fe_compile("t.yml", text, strlen(text), &ctx, arena, &dl);
	return dl.nerrors > before ? NULL : d;
}

static int count_diag(const char *rule, int line)
{
	int n = 0;
	for (size_t i = 0; i < dl.len; i++)
		if (strcmp(dl.items[i].rule, rule) == 0 && (!line || dl.items[i].pos.line == line))
			n++;
	return n;
}

Test(shortcut, a_key_written_twice_is_present_as_last_written)
{
	/* Drone's YAML reader keeps the last value of a repeated key. */
	compile("kind: pipeline\nsteps:\n"
		"- name: a\n  image: ~\n  image: alpine\n"      /* 3: last given */
		"- name: b\n  name: ~\n  image: alpine\n"       /* 6: last null: missing */
		"- name: c\n  image: alpine\n  image: ~\n");    /* 9: last null: missing */
	cr_assert_eq(count_diag("duplicate-key", 0), 3);
	cr_assert_eq(dl.nwarnings >= 3, true);
	cr_assert_eq(count_diag("missing-key", 3), 0);
	cr_assert_eq(count_diag("missing-key", 6), 1);
	cr_assert(suite_has_diag(&dl, "missing-key", "step is missing required key 'name'"));
	cr_assert_eq(count_diag("missing-key", 9), 1);
	cr_assert(suite_has_diag(&dl, "missing-key", "step 'c' is missing required key 'image'"));
}

Test(shortcut, a_wrong_typed_image_is_not_missing)
{
	compile("kind: pipeline\nsteps:\n- name: a\n  image: [alpine]\n"
		"- name: b\n  image: {x: y}\n- name: c\n  image:\n");
	cr_assert_eq(count_diag("wrong-type", 0), 2);
	cr_assert_eq(count_diag("missing-key", 0), 1, "only the null image is missing");
	cr_assert_eq(count_diag("missing-key", 7), 1);
}

Test(shortcut, exec_steps_need_no_image_even_when_null)
{
	struct ir_doc *d = compile("kind: pipeline\ntype: exec\nclone: {disable: true}\n"
				   "steps:\n- name: a\n  image: ~\n  commands: [true]\n");
	cr_assert_not_null(d);
	cr_assert_eq(count_diag("missing-key", 0), 0);
}

Test(shortcut, the_context_is_asked_once_per_variable)
{
	struct ir_doc *d = compile("kind: pipeline\nclone: {disable: true}\nsteps:\n"
				   "- name: a\n  image: x\n  environment: {A: \"${V1}\", B: \"${V1}-${V2}\"}\n"
				   "- name: b\n  image: x\n  commands:\n  - echo ${V1} ${NOPE:-d}\n"
				   "- name: c\n  image: \"img:${V2}\"\n  environment: {C: \"${NOPE:-e}\"}\n");
	cr_assert_not_null(d);
	const struct ir_pipeline *p = &d->pipelines[0];
	cr_assert_str_eq(ir_env_get(&p->steps[0].environment, "A"), "val-V1");
	cr_assert_str_eq(ir_env_get(&p->steps[0].environment, "B"), "val-V1-val-V2");
	cr_assert(strstr(p->steps[1].script, "echo val-V1 d"));
	cr_assert_str_eq(p->steps[2].image, "img:val-V2");
	cr_assert_str_eq(ir_env_get(&p->steps[2].environment, "C"), "e");
	cr_assert_eq(asked[1], 1);
	cr_assert_eq(asked[2], 1);
	cr_assert_eq(asked_nope, 1, "an unset variable is remembered as unset");
}

Test(shortcut, many_variables_are_all_substituted)
{
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof text,
				    "kind: pipeline\nclone: {disable: true}\nsteps:\n"
				    "- name: a\n  image: x\n  environment:\n");
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 100; i++)
			n += (size_t)snprintf(text + n, sizeof text - n,
					      "    E%d_%d: \"${V%d}\"\n", round, i, i);
	cr_assert_lt(n, sizeof text);
	struct ir_doc *d = compile(text);
	cr_assert_not_null(d);
	const struct ir_env *env = &d->pipelines[0].steps[0].environment;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++) {
			char key[32], want[32];
			snprintf(key, sizeof key, "E%d_%d", round, i);
			snprintf(want, sizeof want, "val-V%d", i);
			cr_assert_str_eq(ir_env_get(env, key), want);
		}
	}
	for (int i = 0; i < 100; i++)
		cr_assert_geq(asked[i], 1);
}

Test(shortcut, a_default_is_substituted_when_used_or_when_it_could_warn)
{
	struct ir_doc *d = compile("kind: pipeline\nclone: {disable: true}\nsteps:\n"
				   "- name: a\n  image: x\n  commands:\n"
				   "  - echo ${V1:-plain} ${EMPTY:-used} ${V1:-${UNSET_INNER}}\n"
				   "  - echo ${V1:-${bad form}}\n");
	cr_assert_null(d, "the malformed form in the unused default is still an error");
	cr_assert(suite_has_diag(&dl, "subst-in-commands", "'UNSET_INNER' is not set"));
	cr_assert_eq(count_diag("bad-substitution", 8), 1);
	diag_list_release(&dl);
	diag_list_init(&dl);
	d = compile("kind: pipeline\nclone: {disable: true}\nsteps:\n"
		    "- name: a\n  image: x\n  commands:\n"
		    "  - echo ${V1:-plain} ${EMPTY:-used} ${V1:-${UNSET_INNER}} ${V1+alt}\n");
	cr_assert_not_null(d);
	cr_assert(strstr(d->pipelines[0].steps[0].script, "echo val-V1 used val-V1 val-V1\n"));
}

Test(shortcut, an_unused_default_past_the_ceiling_is_still_refused)
{
	size_t big = (1u << 20) + 16;
	const char *head = "kind: pipeline\nclone: {disable: true}\nsteps:\n"
			   "- name: a\n  image: x\n  environment:\n    A: \"${V1:-";
	char *text = malloc(strlen(head) + big + 8);
	cr_assert_not_null(text);
	strcpy(text, head);
	memset(text + strlen(head), 'd', big);
	strcpy(text + strlen(head) + big, "}\"\n");
	cr_assert_null(compile(text));
	cr_assert_eq(count_diag("subst-too-large", 7), 1);
	free(text);
}

Test(shortcut, patterns_are_checked_past_escapes_and_classes_to_the_brace)
{
	compile("kind: pipeline\nclone: {disable: true}\nsteps:\n- name: a\n  image: x\n"
		"  when:\n    branch:\n"
		"    - 'a\\{b'\n"               /* 8: escaped brace: fine */
		"    - '[{]x}'\n"               /* 9: brace in a class: fine */
		"    - '{a,b}[c'\n"             /* 10: unclosed class after braces */
		"    - '[c{a,b}'\n"             /* 11: unclosed class before them */
		"    - '\\{a,b}\\'\n"           /* 12: trailing backslash */
		"    - '{a,{b,c}}'\n"           /* 13: nested braces: fine */
		"    - 'x{a,b'\n");             /* 14: unclosed brace */
	for (int line = 8; line <= 14; line++) {
		bool bad = line == 10 || line == 11 || line == 12 || line == 14;
		cr_assert_eq(count_diag("bad-glob", line), bad, "line %d", line);
	}
}
