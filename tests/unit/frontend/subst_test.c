/*
 * subst_test.c - `${VAR}` forms, escapes, warnings and errors of
 * fe_subst(), with variables from a small table.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "frontend/internal.h"
#include "tests/unit/suite.h"

static const char *const vars[][2] = {
	{"NAME", "Hello World"},
	{"PATHV", "/usr/local/bin/tool.tar.gz"},
	{"EMPTY", ""},
	{"LOWER", "mixed Case"},
	{"REF", "refs/heads/main"},
	{"NUM", "0123456789"},
	{"BIG", NULL},              /* filled in by the test that needs it */
};

static const char *big_value;

static const char *getvar(void *arg, const char *name)
{
	(void)arg;
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		if (strcmp(vars[i][0], name) == 0)
			return strcmp(name, "BIG") == 0 ? big_value : vars[i][1];
	return NULL;
}

static const struct fe_context ctx = {.getvar = getvar};

TestSuite(subst, .init = suite_setup, .fini = suite_teardown);

static const struct ir_pos at = {.file = "t.yml", .line = 3, .col = 10};

static char *sub(const char *in)
{
	return fe_subst(in, strlen(in), &ctx, false, at, arena, &dl);
}

static void expect(const char *in, const char *want)
{
	char *got = sub(in);

	cr_assert_not_null(got, "%s: failed", in);
	cr_assert_str_eq(got, want, "%s", in);
}

Test(subst, plain_text_and_unbraced_dollars_stay)
{
	expect("no dollars here", "no dollars here");
	expect("", "");
	expect("$NAME and $ alone $", "$NAME and $ alone $");
	expect("cost: 5$", "cost: 5$");
	cr_assert_eq(dl.len, 0);
}

Test(subst, values_and_unknown_variables)
{
	expect("${NAME}", "Hello World");
	expect("<${NAME}>-${NAME}", "<Hello World>-Hello World");
	expect("x${UNSET}y", "xy");
	expect("${EMPTY}", "");
	cr_assert_eq(dl.len, 0);
}

Test(subst, dollar_dollar_escapes)
{
	expect("$${NAME}", "${NAME}");
	expect("$$HOME", "$HOME");
	expect("$$$${NAME}", "$${NAME}");
	expect("$$${NAME}", "$Hello World");
}

Test(subst, defaults)
{
	expect("${UNSET=dflt}", "dflt");
	expect("${UNSET:-dflt}", "dflt");
	expect("${UNSET:=dflt}", "dflt");
	expect("${UNSET-dflt}", "dflt");
	expect("${EMPTY:-dflt}", "dflt");
	expect("${NAME:-dflt}", "Hello World");
	expect("${UNSET:-${NAME}!}", "Hello World!");
	expect("${UNSET:-${ALSO:-deep}}", "deep");
	expect("${UNSET:-a\\}b}", "a}b");
	expect("${UNSET:-}", "");
	cr_assert_eq(dl.len, 0);
}

Test(subst, odd_defaults_warn)
{
	expect("${UNSET:+x}", "x");
	expect("${NAME?x}", "Hello World");
	cr_assert_eq(dl.len, 2);
	cr_assert_eq(dl.nerrors, 0);
	cr_assert_str_eq(dl.items[0].rule, "subst-form");
}

Test(subst, prefix_and_suffix_removal)
{
	expect("${PATHV#*/}", "usr/local/bin/tool.tar.gz");
	expect("${PATHV##*/}", "tool.tar.gz");
	expect("${PATHV%.*}", "/usr/local/bin/tool.tar");
	expect("${PATHV%%.*}", "/usr/local/bin/tool");
	expect("${REF#refs/heads/}", "main");
	expect("${REF##refs/*/}", "main");
	expect("${REF%/main}", "refs/heads");
	expect("${REF#nomatch}", "refs/heads/main");
	expect("${NUM#[0-2]}", "123456789");
	expect("${NUM##[0-2]*}", "");
}

Test(subst, replacement)
{
	expect("${REF/heads/tags}", "refs/tags/main");
	expect("${NAME/o/0}", "Hell0 World");
	expect("${NAME//o/0}", "Hell0 W0rld");
	expect("${REF//\\//-}", "refs-heads-main");
	expect("${REF/#refs/R}", "R/heads/main");
	expect("${REF/#heads/R}", "refs/heads/main");
	expect("${REF/%main/trunk}", "refs/heads/trunk");
	expect("${NAME/o}", "Hell World");
	expect("${NAME//l/${EMPTY}}", "Heo Word");
	expect("${NAME/*/x}", "Hello World");   /* plain text, not a glob */
}

Test(subst, case_changes)
{
	expect("${LOWER^^}", "MIXED CASE");
	expect("${LOWER^}", "Mixed Case");
	expect("${NAME,,}", "hello world");
	expect("${NAME,}", "hello World");
	expect("${UNSET^^}", "");
}

Test(subst, substrings_and_length)
{
	expect("${NUM:3}", "3456789");
	expect("${NUM:3:2}", "34");
	expect("${NUM:8:10}", "89");
	expect("${NUM:20}", "");
	expect("${NUM: -3}", "789");
	expect("${NUM:2:-2}", "234567");
	expect("${NUM:x}", "0123456789");
	expect("${#NUM}", "10");
	expect("${#UNSET}", "0");
}

Test(subst, no_context_sets_nothing)
{
	char *got = fe_subst("a${NAME}b", 9, NULL, false, at, arena, &dl);

	cr_assert_str_eq(got, "ab");
}

Test(subst, unset_variable_in_commands_warns)
{
	const char *in = "echo ${HOME} ${NAME} $${PATH} $USER";
	char *got = fe_subst(in, strlen(in), &ctx, true, at, arena, &dl);

	cr_assert_str_eq(got, "echo  Hello World ${PATH} $USER");
	cr_assert_eq(dl.len, 1);
	cr_assert_eq(dl.nwarnings, 1);
	cr_assert_str_eq(dl.items[0].rule, "subst-in-commands");
	cr_assert_str_eq(dl.items[0].message,
			 "'${HOME}' is replaced when compiling and 'HOME' is not set, "
			 "write '$${HOME}' if it is meant for the shell");
	cr_assert_eq(dl.items[0].pos.line, 3);
	cr_assert_eq(dl.items[0].pos.col, 15);
}

Test(subst, malformed_forms_are_errors_with_columns)
{
	cr_assert_null(sub("ok ${1X} and ${A B} then ${NAME"));
	cr_assert_eq(dl.nerrors, 3);
	cr_assert_str_eq(dl.items[0].rule, "bad-substitution");
	cr_assert_str_eq(dl.items[0].message, "bad substitution '${1X}'");
	cr_assert_eq(dl.items[0].pos.col, 13);
	cr_assert_str_eq(dl.items[1].message, "bad substitution '${A B}'");
	cr_assert_eq(dl.items[1].pos.col, 23);
	cr_assert_str_eq(dl.items[2].message, "unterminated substitution '${NAME'");
	cr_assert_eq(dl.items[2].pos.col, 35);
}

Test(subst, more_malformed_forms)
{
	static const char *const bad[] = {"${", "${}", "${#}", "${NAME^^x}", "${NAME!}",
					  "${X:-${Y}", "x${NAME:-${}}"};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		size_t before = dl.nerrors;
		cr_assert_null(sub(bad[i]), "%s", bad[i]);
		cr_assert_gt(dl.nerrors, before, "%s", bad[i]);
	}
}

Test(subst, multi_line_scalar_reports_at_the_scalar)
{
	cr_assert_null(sub("line one\n${BAD"));
	cr_assert_eq(dl.items[0].pos.line, 3);
	cr_assert_eq(dl.items[0].pos.col, 10);
}

Test(subst, embedded_nul_is_kept)
{
	char *got = fe_subst("a\0${NAME}", 9, &ctx, false, at, arena, &dl);

	cr_assert_not_null(got);
	cr_assert_eq(got[0], 'a');
	cr_assert_eq(got[1], '\0');
	cr_assert_str_eq(got + 2, "Hello World");
}

Test(subst, output_has_a_ceiling)
{
	static char value[300000], in[64];

	memset(value, 'v', sizeof value - 1);
	big_value = value;
	strcpy(in, "${BIG}${BIG}${BIG}${BIG}");
	cr_assert_null(sub(in));
	cr_assert_eq(dl.nerrors, 1);
	cr_assert_str_eq(dl.items[0].rule, "subst-too-large");
	strcpy(in, "${BIG}${BIG}${BIG}");
	cr_assert_not_null(sub(in));
}

Test(subst, deep_nesting_is_bounded)
{
	static char in[4096];
	size_t len = 0;

	for (int i = 0; i < 500; i++)
		len += (size_t)snprintf(in + len, sizeof in - len, "${A:-");
	for (int i = 0; i < 500 && len + 1 < sizeof in; i++)
		in[len++] = '}';
	cr_assert_null(fe_subst(in, len, &ctx, false, at, arena, &dl));
	cr_assert_geq(dl.nerrors, 1);
}

static unsigned long lcg = 777;

static unsigned pick(unsigned n)
{
	lcg = lcg * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(lcg >> 33) % n;
}

/*
 * Random text over the characters the forms are made of: every input
 * either expands or fails with an error recorded, never both or neither,
 * and never crashes (the suite runs under ASan).
 */
Test(subst, random_inputs_expand_or_report)
{
	static const char alphabet[] = "${}:-=#%/^,\\?+ NAMEPTHV_019\n";
	char in[40];

	for (int i = 0; i < 20000; i++) {
		size_t n = pick(sizeof in);
		size_t before = dl.nerrors;
		char *out;

		for (size_t k = 0; k < n; k++)
			in[k] = alphabet[pick(sizeof alphabet - 1)];
		in[n] = '\0';
		out = fe_subst(in, n, &ctx, i % 2, at, arena, &dl);
		cr_assert_eq(out == NULL, dl.nerrors > before, "input '%s'", in);
	}
}

Test(subst, trimming_long_values_stays_bounded)
{
	static char value[200000];

	memset(value, 'a', sizeof value - 1);
	big_value = value;
	/* Quadratic with a pattern: kept as it is rather than searched. */
	cr_assert_eq(strlen(sub("${BIG##*b}")), sizeof value - 1);
	/* Plain text needs no search: trimmed. */
	cr_assert_eq(strlen(sub("${BIG#aaa}")), sizeof value - 4);
	cr_assert_eq(strlen(sub("${BIG%%a}")), sizeof value - 2);
}
