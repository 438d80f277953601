/*
 * context_test.c - fe_context_default() on checkouts laid out on disk the
 * way git writes them: loose and packed refs, detached HEAD, a `.git`
 * file pointing at a worktree's gitdir, and no checkout at all.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/internal.h"

#define SHA1 "0123456789abcdef0123456789abcdef01234567"
#define SHA2 "89abcdef0123456789abcdef0123456789abcdef"

static struct ir_arena *arena;
static char root[64];
static struct fe_context ctx;

static void setup(void)
{
	arena = ir_arena_new();
	snprintf(root, sizeof root, "%s", "/tmp/pipec-ctx-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
	ir_arena_free(arena);
}

TestSuite(context, .init = setup, .fini = teardown);

/* Writes `text` to root/rel, making the directories on the way. */
static void write_file(const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
	cr_assert_eq(system(cmd), 0);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void load(const char *rel)
{
	char dir[512];

	snprintf(dir, sizeof dir, "%s/%s", root, rel);
	mkdir(dir, 0755);
	fe_context_default(&ctx, dir, arena);
}

Test(context, branch_commit_and_repo_from_loose_ref)
{
	write_file(".git/HEAD", "ref: refs/heads/feature/x\n");
	write_file(".git/refs/heads/feature/x", SHA1 "\n");
	write_file(".git/config", "[core]\n\tbare = false\n[remote \"upstream\"]\n"
				  "\turl = https://example.com/other/thing.git\n"
				  "[remote \"origin\"]\n\turl = git@github.com:octo/hello.git\n");
	load(".");
	cr_assert_str_eq(ctx.branch, "feature/x");
	cr_assert_str_eq(ctx.ref, "refs/heads/feature/x");
	cr_assert_str_eq(ctx.commit, SHA1);
	cr_assert_str_eq(ctx.repo, "octo/hello");
	cr_assert_str_eq(ctx.event, "push");
	cr_assert_null(ctx.target);
	cr_assert_null(ctx.cron);
}

Test(context, packed_refs_and_a_subdirectory)
{
	write_file(".git/HEAD", "ref: refs/heads/main\n");
	write_file(".git/packed-refs", "# pack-refs with: peeled fully-peeled sorted\n"
				       SHA2 " refs/heads/dev\n" SHA1 " refs/heads/main\n"
				       "^" SHA2 "\n");
	write_file(".git/config", "[remote \"origin\"]\n  url = https://git.example.com/team/app/\n");
	load("src");
	cr_assert_str_eq(ctx.branch, "main");
	cr_assert_str_eq(ctx.commit, SHA1);
	cr_assert_str_eq(ctx.repo, "team/app");
}

Test(context, detached_head_has_no_branch)
{
	write_file(".git/HEAD", SHA2 "\n");
	load(".");
	cr_assert_null(ctx.branch);
	cr_assert_null(ctx.ref);
	cr_assert_str_eq(ctx.commit, SHA2);
	cr_assert_null(ctx.repo);
}

Test(context, git_file_and_worktree_commondir)
{
	write_file("main/.git/config", "[remote \"origin\"]\nurl=ssh://git@host:22/o/r\n");
	write_file("main/.git/packed-refs", SHA1 " refs/heads/wt\n");
	write_file("main/.git/worktrees/wt/HEAD", "ref: refs/heads/wt\n");
	write_file("main/.git/worktrees/wt/commondir", "../..\n");
	write_file("wt/.git", "gitdir: ../main/.git/worktrees/wt\n");
	load("wt/sub");
	cr_assert_str_eq(ctx.branch, "wt");
	cr_assert_str_eq(ctx.commit, SHA1);
	cr_assert_str_eq(ctx.repo, "o/r");
	char *real = realpath(root, NULL), top[128], gitdir[160];
	snprintf(top, sizeof top, "%s/wt", real);
	snprintf(gitdir, sizeof gitdir, "%s/wt/../main/.git/worktrees/wt", real);
	free(real);
	cr_assert_str_eq(ctx.checkout, top);
	cr_assert_str_eq(ctx.gitdir, gitdir);
	cr_assert_str_eq(ctx.commondir, strcat(gitdir, "/../.."));
}

Test(context, a_plain_checkout_is_its_own_common_dir)
{
	char *real = realpath(root, NULL), gitdir[128];

	write_file(".git/HEAD", "ref: refs/heads/main\n");
	load("deep");
	snprintf(gitdir, sizeof gitdir, "%s/.git", real);
	cr_assert_str_eq(ctx.checkout, real);
	free(real);
	cr_assert_str_eq(ctx.gitdir, gitdir);
	cr_assert_str_eq(ctx.commondir, gitdir);
}

Test(context, unborn_branch_and_bad_hash_leave_commit_unknown)
{
	write_file(".git/HEAD", "ref: refs/heads/new\n");
	write_file(".git/refs/heads/other", "not a hash\n");
	load(".");
	cr_assert_str_eq(ctx.branch, "new");
	cr_assert_null(ctx.commit);
}

Test(context, no_checkout_leaves_fields_unknown)
{
	load("plain");
	cr_assert_null(ctx.checkout);
	cr_assert_null(ctx.gitdir);
	cr_assert_null(ctx.branch);
	cr_assert_null(ctx.commit);
	cr_assert_null(ctx.repo);
	cr_assert_str_eq(ctx.event, "push");
	fe_context_default(&ctx, "/nonexistent/dir/for/sure", arena);
	cr_assert_null(ctx.branch);
}

Test(context, variables_from_environment_then_context)
{
	write_file(".git/HEAD", "ref: refs/tags/v1.2\n");
	load(".");
	setenv("PIPEC_TEST_VAR", "from-env", 1);
	cr_assert_str_eq(ctx.getvar(ctx.getvar_arg, "PIPEC_TEST_VAR"), "from-env");
	cr_assert_null(ctx.getvar(ctx.getvar_arg, "PIPEC_TEST_UNSET_VAR"));
	unsetenv("DRONE_BUILD_EVENT");
	unsetenv("DRONE_TAG");
	cr_assert_str_eq(ctx.getvar(ctx.getvar_arg, "DRONE_BUILD_EVENT"), "push");
	cr_assert_str_eq(ctx.getvar(ctx.getvar_arg, "DRONE_TAG"), "v1.2");
	ctx.event = "tag";
	cr_assert_str_eq(ctx.getvar(ctx.getvar_arg, "DRONE_BUILD_EVENT"), "tag");
	setenv("DRONE_BUILD_EVENT", "cron", 1);
	cr_assert_str_eq(ctx.getvar(ctx.getvar_arg, "DRONE_BUILD_EVENT"), "cron");
}

Test(context, variables_reach_substitution)
{
	const char *in = "${DRONE_BRANCH}@${DRONE_COMMIT_SHA:0:7}";
	struct diag_list dl;
	char *out;

	write_file(".git/HEAD", "ref: refs/heads/main\n");
	write_file(".git/refs/heads/main", SHA1 "\n");
	load(".");
	unsetenv("DRONE_BRANCH");
	unsetenv("DRONE_COMMIT_SHA");
	diag_list_init(&dl);
	out = fe_subst(in, strlen(in), &ctx, false, (struct ir_pos){0}, arena, &dl);
	cr_assert_str_eq(out, "main@0123456");
	cr_assert_eq(dl.len, 0);
	diag_list_release(&dl);
}
