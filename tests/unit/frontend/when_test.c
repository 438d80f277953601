/*
 * when_test.c - globs, and `when`/`trigger` maps read from YAML text and
 * evaluated against a context.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "frontend/internal.h"

/* ---- fe_glob_match -------------------------------------------------- */

Test(glob, literal_and_star_stops_at_slash)
{
	cr_assert(fe_glob_match("main", "main"));
	cr_assert(!fe_glob_match("main", "mainline"));
	cr_assert(fe_glob_match("release/*", "release/1.0"));
	cr_assert(!fe_glob_match("release/*", "release/1.0/hotfix"));
	cr_assert(!fe_glob_match("*", "feature/x"));
	cr_assert(fe_glob_match("*", ""));
	cr_assert(fe_glob_match("feat*", "feature"));
}

Test(glob, double_star_crosses_slashes)
{
	cr_assert(fe_glob_match("release/**", "release/1.0/hotfix"));
	cr_assert(fe_glob_match("**", "a/b/c"));
	cr_assert(fe_glob_match("refs/**/v1", "refs/tags/v1"));
	cr_assert(fe_glob_match("refs/**/v1", "refs/v1"));
	cr_assert(fe_glob_match("refs/**/v1", "refs/a/b/v1"));
	cr_assert(!fe_glob_match("refs/**/v1", "refs/av1"));
	cr_assert(fe_glob_match("**/x", "x"));
	cr_assert(fe_glob_match("**/x", "a/b/x"));
}

Test(glob, question_mark_and_classes)
{
	cr_assert(fe_glob_match("v?", "v1"));
	cr_assert(!fe_glob_match("v?", "v12"));
	cr_assert(!fe_glob_match("a?b", "a/b"));
	cr_assert(fe_glob_match("v[0-9]", "v7"));
	cr_assert(!fe_glob_match("v[0-9]", "vx"));
	cr_assert(fe_glob_match("v[!0-9]", "vx"));
	cr_assert(fe_glob_match("v[^0-9]", "vx"));
	cr_assert(!fe_glob_match("v[!0-9]", "v3"));
	cr_assert(fe_glob_match("[]a]", "]"));
	cr_assert(fe_glob_match("[a-cx]", "x"));
	cr_assert(!fe_glob_match("a[/]b", "a/b"));
}

Test(glob, braces_and_escapes)
{
	cr_assert(fe_glob_match("{main,dev}", "dev"));
	cr_assert(!fe_glob_match("{main,dev}", "devel"));
	cr_assert(fe_glob_match("release/{v1,v2}.*", "release/v2.9"));
	cr_assert(fe_glob_match("{a,b{c,d}}x", "bdx"));
	cr_assert(fe_glob_match("{,pre-}main", "main"));
	cr_assert(fe_glob_match("\\*", "*"));
	cr_assert(!fe_glob_match("\\*", "x"));
	cr_assert(fe_glob_match("a\\{b", "a{b"));
}

Test(glob, malformed_patterns_match_nothing)
{
	cr_assert(!fe_glob_match("[abc", "a"));
	cr_assert(!fe_glob_match("{a,b", "a"));
	cr_assert(!fe_glob_match("a\\", "a"));
	cr_assert_eq(fe_glob_match_n("[abc", 4, "a", 1, true), -1);
}

Test(glob, shell_mode_stars_cross_slashes)
{
	cr_assert_eq(fe_glob_match_n("*/", 2, "a/b/", 4, false), 1);
	cr_assert_eq(fe_glob_match_n("*/", 2, "a/b/", 4, true), 0);
}

Test(glob, hostile_patterns_stay_bounded)
{
	char pat[600], s[300];

	/* Backtracking matchers take exponential time on this one. */
	for (int i = 0; i < 300; i++)
		pat[2 * i] = '*', pat[2 * i + 1] = 'a';
	memset(s, 'a', sizeof s - 1);
	s[sizeof s - 1] = '\0';
	pat[599] = 'b';
	cr_assert_eq(fe_glob_match_n(pat, 600, s, 299, false), 0);
	/* 2^12 brace alternatives: more than the ceiling allows. */
	cr_assert_eq(fe_glob_match_n("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,c}",
				     60, "bbbbbbbbbbbc", 12, true), -1);
	static char big[2000];
	memset(big, 'a', sizeof big);
	cr_assert_eq(fe_glob_match_n(big, sizeof big, "a", 1, true), -1);
}

/* ---- fe_when_eval --------------------------------------------------- */

struct fixture {
	struct ir_arena *a;
	struct diag_list dl;
	enum ir_run_policy policy;
	struct ir_skip *skip;
	int rc;
};

static struct fixture fx;

static void setup(void)
{
	fx = (struct fixture){.a = ir_arena_new()};
	diag_list_init(&fx.dl);
}

static void teardown(void)
{
	diag_list_release(&fx.dl);
	ir_arena_free(fx.a);
}

static const struct fe_context ctx_main = {
	.branch = "main", .event = "push", .ref = "refs/heads/main",
	.repo = "octo/hello",
};

/* Evaluates the YAML map `text` as a `when`. */
static void eval(const char *text, const struct fe_context *ctx)
{
	struct fe_docs docs = {0};

	cr_assert_eq(fe_yaml_read("t.yml", text, strlen(text), fx.a, &docs, &fx.dl), 0);
	cr_assert_eq(docs.n, 1);
	fx.rc = fe_when_eval(docs.v[0], ctx, &fx.policy, &fx.skip, fx.a, docs.file, &fx.dl);
}

static const char *rule(size_t i)
{
	cr_assert_lt(i, fx.dl.len);
	return fx.dl.items[i].rule;
}

TestSuite(when, .init = setup, .fini = teardown);

Test(when, matching_clauses_keep_the_step)
{
	eval("branch: [main, release/*]\nevent: push\nrepo: octo/*\n", &ctx_main);
	cr_assert_eq(fx.rc, 0);
	cr_assert_null(fx.skip);
	cr_assert_eq(fx.policy, IR_RUN_ON_SUCCESS);
	cr_assert_eq(fx.dl.len, 0);
}

Test(when, branch_miss_names_clause_value_and_position)
{
	eval("event: push\nbranch: [dev, release/*]\n", &ctx_main);
	cr_assert_eq(fx.rc, 0);
	cr_assert_not_null(fx.skip);
	cr_assert_str_eq(fx.skip->reason,
			 "branch 'main' does not match when.branch [dev, release/*]");
	cr_assert_eq(fx.skip->pos.line, 2);
	cr_assert_eq(fx.skip->pos.col, 1);
}

Test(when, scalar_clause_is_one_include)
{
	eval("event: tag\n", &ctx_main);
	cr_assert_str_eq(fx.skip->reason, "event 'push' does not match when.event [tag]");
}

Test(when, exclude_wins_and_points_at_pattern)
{
	eval("branch:\n  include: [\"*\"]\n  exclude: [dev, ma*]\n", &ctx_main);
	cr_assert_not_null(fx.skip);
	cr_assert_str_eq(fx.skip->reason,
			 "branch 'main' is excluded by when.branch.exclude [dev, ma*]");
	cr_assert_eq(fx.skip->pos.line, 3);
	cr_assert_eq(fx.skip->pos.col, 18);
}

Test(when, exclude_only_lets_the_rest_through)
{
	eval("branch: {exclude: [dev]}\n", &ctx_main);
	cr_assert_null(fx.skip);
	eval("branch: {include: main}\n", &ctx_main);
	cr_assert_null(fx.skip);
	eval("branch: {include: [dev], exclude: [x]}\n", &ctx_main);
	cr_assert_str_eq(fx.skip->reason,
			 "branch 'main' does not match when.branch.include [dev]");
}

Test(when, unknown_context_rules_nothing_out)
{
	struct fe_context none = {0};

	eval("branch: dev\nevent: tag\ncron: nightly\ntarget: prod\n", &none);
	cr_assert_eq(fx.rc, 0);
	cr_assert_null(fx.skip);
	eval("branch: dev\n", NULL);
	cr_assert_null(fx.skip);
}

Test(when, first_ruling_clause_in_file_order)
{
	eval("event: tag\nbranch: dev\n", &ctx_main);
	cr_assert_str_eq(fx.skip->reason, "event 'push' does not match when.event [tag]");
}

Test(when, status_becomes_policy)
{
	eval("status: [success]\n", &ctx_main);
	cr_assert_eq(fx.policy, IR_RUN_ON_SUCCESS);
	eval("status: failure\n", &ctx_main);
	cr_assert_eq(fx.policy, IR_RUN_ON_FAILURE);
	eval("status: [success, failure]\n", &ctx_main);
	cr_assert_eq(fx.policy, IR_RUN_ALWAYS);
	eval("status: {exclude: [success]}\n", &ctx_main);
	cr_assert_eq(fx.policy, IR_RUN_ON_FAILURE);
	/* letting neither through is Drone's default, as its runners decide */
	eval("status: {include: [success], exclude: [success]}\n", &ctx_main);
	cr_assert_eq(fx.policy, IR_RUN_ON_SUCCESS);
	eval("status: [changed]\n", &ctx_main);
	cr_assert_eq(fx.policy, IR_RUN_ON_SUCCESS);
	cr_assert_null(fx.skip);
	cr_assert_eq(fx.dl.nerrors, 0);
}

Test(when, empty_or_null_when_runs_on_success)
{
	eval("~\n", &ctx_main);
	cr_assert_eq(fx.rc, 0);
	cr_assert_eq(fx.policy, IR_RUN_ON_SUCCESS);
	fx.rc = fe_when_eval(NULL, &ctx_main, &fx.policy, &fx.skip, fx.a, "t.yml", &fx.dl);
	cr_assert_eq(fx.rc, 0);
	cr_assert_null(fx.skip);
}

Test(when, an_unknown_status_is_ignored_with_a_warning)
{
	eval("status: [success, changed]\n", &ctx_main);
	cr_assert_eq(fx.rc, 0);
	cr_assert_eq(fx.policy, IR_RUN_ON_SUCCESS);
	cr_assert_eq(fx.dl.nerrors, 0);
	cr_assert_eq(fx.dl.nwarnings, 1);
	cr_assert_str_eq(rule(0), "bad-status");
	cr_assert_eq(fx.dl.items[0].pos.col, 19);
	eval("status: [changed, failure, success]\n", &ctx_main);
	cr_assert_eq(fx.rc, 0);
	cr_assert_eq(fx.policy, IR_RUN_ALWAYS);
}

Test(when, unknown_key_suggests_and_all_errors_reported)
{
	eval("brnach: main\nstatus: [sucess]\nevent: {include: [push], excldue: [x]}\nref: {a: 1}\n",
	     &ctx_main);
	/* unknown keys and statuses are warnings, as Drone ignores them */
	cr_assert_eq(fx.rc, 0);
	cr_assert_eq(fx.dl.nerrors, 0);
	cr_assert_eq(fx.dl.nwarnings, 4);
	cr_assert_str_eq(rule(0), "unknown-key");
	cr_assert_str_eq(fx.dl.items[0].message,
			 "unknown key 'brnach' in when, did you mean 'branch'");
	cr_assert_eq(fx.dl.items[0].pos.line, 1);
	cr_assert_str_eq(rule(1), "bad-status");
	cr_assert_eq(fx.dl.items[1].pos.line, 2);
	cr_assert_eq(fx.dl.items[1].pos.col, 10);
	cr_assert_str_eq(rule(2), "unknown-key");
	cr_assert_str_eq(fx.dl.items[2].message,
			 "unknown key 'excldue' in when.event, did you mean 'exclude'");
	cr_assert_str_eq(rule(3), "unknown-key");
}

Test(when, wrong_types_are_errors)
{
	eval("branch: [main, [x]]\nevent: ~\nrepo: [{a: b}]\n", &ctx_main);
	cr_assert_eq(fx.rc, -1);
	cr_assert_eq(fx.dl.nerrors, 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert_str_eq(rule(i), "wrong-type");
	cr_assert_str_eq(fx.dl.items[0].message, "when.branch: expected a string, got a sequence");
	cr_assert_str_eq(fx.dl.items[1].message,
			 "when.event: expected a string, a list or an include/exclude map, got null");
	eval("[a, b]\n", &ctx_main);
	cr_assert_eq(fx.rc, -1);
	cr_assert_str_eq(fx.dl.items[3].message, "when: expected a map, got a sequence");
}

Test(when, malformed_glob_is_an_error)
{
	eval("branch: \"release/[0-9\"\n", &ctx_main);
	cr_assert_eq(fx.rc, -1);
	cr_assert_str_eq(rule(0), "bad-glob");
	eval("ref: ['a\\', '{x,y', 'ok[]]', '{a,b}[c']\n", &ctx_main);
	cr_assert_eq(fx.dl.nerrors, 4);
	cr_assert_eq(fx.dl.items[3].pos.col, 30);
}

Test(when, unknown_events_warn)
{
	eval("event: [pushh, tag, \"pull_*\", deploy]\nbranch: {exclude: [x], include: [main]}\n", &ctx_main);
	cr_assert_eq(fx.rc, 0);
	cr_assert_eq(fx.dl.nwarnings, 2);
	cr_assert_eq(fx.dl.nerrors, 0);
	cr_assert_str_eq(rule(0), "unknown-event");
	cr_assert_str_eq(fx.dl.items[0].message,
			 "unknown event 'pushh' in when.event, did you mean 'push'");
	cr_assert_eq(fx.dl.items[0].pos.col, 9);
	cr_assert(strstr(fx.dl.items[1].message, "unknown event 'deploy' in when.event, ") != NULL);
	eval("event: {include: [cronn]}\n", &ctx_main);
	cr_assert_str_eq(fx.dl.items[2].message,
			 "unknown event 'cronn' in when.event.include, did you mean 'cron'");
}

Test(when, trigger_reasons_name_trigger)
{
	struct fe_docs docs = {0};
	const char *text = "branch: dev\n";

	cr_assert_eq(fe_yaml_read("t.yml", text, strlen(text), fx.a, &docs, &fx.dl), 0);
	fx.rc = fe_trigger_eval(docs.v[0], &ctx_main, &fx.policy, &fx.skip, fx.a, docs.file, &fx.dl);
	cr_assert_str_eq(fx.skip->reason, "branch 'main' does not match trigger.branch [dev]");
}

Test(when, long_pattern_lists_are_cut)
{
	char text[4096] = "branch: [";
	size_t len = strlen(text);

	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%sbranch-%d", i ? ", " : "", i);
	strcat(text, "]\n");
	eval(text, &ctx_main);
	cr_assert_not_null(fx.skip);
	cr_assert_lt(strlen(fx.skip->reason), 500);
	cr_assert(strstr(fx.skip->reason, ", ...]") != NULL);
}

/* ---- Against fnmatch(3) ---------------------------------------------- */

#include <fnmatch.h>

static unsigned long lcg = 12345;

static unsigned pick(unsigned n)
{
	lcg = lcg * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(lcg >> 33) % n;
}

static void random_text(char *buf, size_t max, const char *alphabet)
{
	size_t n = pick((unsigned)max), k = strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		buf[i] = alphabet[pick((unsigned)k)];
	buf[n] = '\0';
}

/*
 * Without braces and `**`, a glob means what fnmatch says: FNM_PATHNAME
 * for conditions, plain for shell patterns.  Malformed patterns (which
 * fnmatch reads as literals) are left out.
 */
Test(glob, agrees_with_fnmatch)
{
	char pat[12], s[12];
	int compared = 0;

	for (int i = 0; i < 50000; i++) {
		random_text(pat, sizeof pat - 1, "ab/*?[]!-\\");
		random_text(s, sizeof s - 1, "ab/-]!*");
		if (strstr(pat, "**"))
			continue;
		for (int path = 0; path < 2; path++) {
			int r = fe_glob_match_n(pat, strlen(pat), s, strlen(s), path);
			int want = fnmatch(pat, s, path ? FNM_PATHNAME : 0) == 0;

			if (r < 0)
				continue;
			compared++;
			cr_assert_eq(r, want, "pattern '%s' text '%s' path %d: got %d", pat, s, path, r);
		}
	}
	cr_assert_gt(compared, 10000);
}
