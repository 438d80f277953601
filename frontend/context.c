/*
 * context.c - the default build context: the local git checkout, event
 * `push`, and variables from the process environment.
 *
 * The checkout is read from its files rather than by running git: no
 * process, no git binary needed, and nothing a hostile repository's
 * config could make git execute.  The `.git` is searched for from `dir`
 * upwards; a `.git` file (`gitdir: ...`, as worktrees and submodules
 * write) is followed, and a worktree's `commondir` gives where shared
 * refs and config live.  HEAD is either `ref: refs/heads/NAME` (the
 * branch) or a bare hash (detached: branch unknown); the commit is the
 * loose ref file or its line in `packed-refs`.  The repository name is
 * `owner/name` from the `origin` remote's URL in the config.  Whatever
 * cannot be read stays NULL, which conditions treat as unknown.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/internal.h"

/* Directories climbed looking for `.git`; longest line read from git's files. */
#define CTX_MAX_CLIMB 64
#define CTX_LINE_MAX 1024

/* First line of a file, without its newline; NULL if unreadable. */
static char *first_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	char *line = f ? fgets(buf, (int)cap, f) : NULL;

	if (f)
		fclose(f);
	if (line)
		line[strcspn(line, "\r\n")] = '\0';
	return line;
}

static bool is_hash(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return (n == 40 || n == 64) && s[n] == '\0';
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* `base/rel`, or `rel` when it is absolute. */
static char *join(struct ir_arena *a, const char *base, const char *rel)
{
	return rel[0] == '/' ? ir_strdup(a, rel) : ir_printf(a, "%s/%s", base, rel);
}

/* The git directory for `dir`: `.git` here or above, followed if a file;
 * `*top` is the directory holding that `.git`. */
static char *find_gitdir(const char *dir, const char **top, struct ir_arena *a)
{
	char buf[CTX_LINE_MAX];
	char *real = realpath(dir, NULL), *at;

	if (!real)
		return NULL;
	at = ir_strdup(a, real);
	free(real);

	for (int i = 0; i < CTX_MAX_CLIMB; i++) {
		char *git = ir_printf(a, "%s/.git", at), *slash;

		*top = at;
		if (is_dir(git))
			return git;
		if (first_line(git, buf, sizeof buf) && strncmp(buf, "gitdir: ", 8) == 0)
			return join(a, at, buf + 8);
		slash = strrchr(at, '/');
		if (!slash || !at[1])
			return NULL;
		*slash = '\0';
		if (!*at)
			at = "/";
	}
	return NULL;
}

/* Where refs and config live: the worktree's commondir, else the gitdir. */
static char *common_dir(const char *gitdir, struct ir_arena *a)
{
	char buf[CTX_LINE_MAX];

	if (!first_line(ir_printf(a, "%s/commondir", gitdir), buf, sizeof buf))
		return (char *)gitdir;
	return join(a, gitdir, buf);
}

/* The hash `ref` names, from its loose file or from packed-refs. */
static char *resolve(const char *gitdir, const char *common, const char *ref,
		     struct ir_arena *a)
{
	char buf[CTX_LINE_MAX];
	FILE *f;

	if ((first_line(ir_printf(a, "%s/%s", gitdir, ref), buf, sizeof buf) ||
	     first_line(ir_printf(a, "%s/%s", common, ref), buf, sizeof buf)) && is_hash(buf))
		return ir_strdup(a, buf);
	f = fopen(ir_printf(a, "%s/packed-refs", common), "r");
	if (!f)
		return NULL;
	while (fgets(buf, sizeof buf, f)) {
		char *sp = strchr(buf, ' ');

		buf[strcspn(buf, "\r\n")] = '\0';
		if (!sp || strcmp(sp + 1, ref) != 0 || (size_t)(sp - buf) > 64)
			continue;
		*sp = '\0';
		fclose(f);
		return is_hash(buf) ? ir_strdup(a, buf) : NULL;
	}
	fclose(f);
	return NULL;
}

/* `octo/hello` from `git@host:octo/hello.git` or `https://host/octo/hello`. */
static char *repo_from_url(const char *url, struct ir_arena *a)
{
	size_t n = strlen(url);
	const char *owner = NULL, *name = NULL;

	while (n && url[n - 1] == '/')
		n--;
	if (n > 4 && memcmp(url + n - 4, ".git", 4) == 0)
		n -= 4;
	for (size_t i = n; i-- > 0;) {
		if (url[i] != '/' && url[i] != ':')
			continue;
		if (!name)
			name = url + i + 1;
		else if (!owner) {
			owner = url + i + 1;
			break;
		}
	}
	if (!owner || name == url + n || owner + 1 >= name)
		return NULL;
	return ir_strndup(a, owner, (size_t)(url + n - owner));
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* The `url` of `[remote "origin"]` in the config, as `owner/name`. */
static char *origin_repo(const char *common, struct ir_arena *a)
{
	char buf[CTX_LINE_MAX];
	FILE *f = fopen(ir_printf(a, "%s/config", common), "r");
	bool in_origin = false;
	char *repo = NULL;

	while (f && !repo && fgets(buf, sizeof buf, f)) {
		char *line = trim(buf), *eq;

		if (line[0] == '[') {
			in_origin = strcmp(line, "[remote \"origin\"]") == 0;
			continue;
		}
		eq = strchr(line, '=');
		if (!in_origin || !eq)
			continue;
		*eq = '\0';
		if (strcmp(trim(line), "url") == 0)
			repo = repo_from_url(trim(eq + 1), a);
	}
	if (f)
		fclose(f);
	return repo;
}

/* HEAD: the branch and ref it is on, or the commit it is detached at. */
static void read_head(struct fe_context *ctx, const char *gitdir, const char *common,
		      struct ir_arena *a)
{
	char buf[CTX_LINE_MAX];

	if (!first_line(ir_printf(a, "%s/HEAD", gitdir), buf, sizeof buf))
		return;
	if (strncmp(buf, "ref: ", 5) == 0) {
		const char *ref = trim(buf + 5);

		ctx->ref = ir_strdup(a, ref);
		if (strncmp(ref, "refs/heads/", 11) == 0)
			ctx->branch = ir_strdup(a, ref + 11);
		ctx->commit = resolve(gitdir, common, ref, a);
	} else if (is_hash(buf)) {
		ctx->commit = ir_strdup(a, buf);
	}
	ctx->repo = origin_repo(common, a);
}

/*
 * Substitution variables: the environment first, then the Drone names
 * for the context's own fields (DRONE_BRANCH, DRONE_COMMIT, ...), so a
 * pipeline written for a Drone server substitutes the same way locally.
 */
static const char *context_var(void *arg, const char *name)
{
	const struct fe_context *ctx = arg;
	const char *env = getenv(name);
	const struct { const char *name, *value; } vars[] = {
		{"DRONE_BRANCH", ctx->branch}, {"DRONE_COMMIT_BRANCH", ctx->branch},
		{"DRONE_COMMIT", ctx->commit}, {"DRONE_COMMIT_SHA", ctx->commit},
		{"DRONE_COMMIT_REF", ctx->ref}, {"DRONE_BUILD_EVENT", ctx->event},
		{"DRONE_REPO", ctx->repo}, {"DRONE_DEPLOY_TO", ctx->target},
		{"DRONE_CRON", ctx->cron}, {"DRONE_SYSTEM_HOST", ctx->instance},
		{"DRONE_BUILD_ACTION", ctx->action},
	};

	if (env)
		return env;
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		if (strcmp(name, vars[i].name) == 0)
			return vars[i].value;
	if (strcmp(name, "DRONE_TAG") == 0 && ctx->ref && !strncmp(ctx->ref, "refs/tags/", 10))
		return ctx->ref + 10;
	return NULL;
}

void fe_context_default(struct fe_context *ctx, const char *dir, struct ir_arena *a)
{
	const char *top = NULL;
	char *gitdir;

	*ctx = (struct fe_context){
		.event = "push",
		.getvar = context_var,
		.getvar_arg = ctx,
	};
	gitdir = find_gitdir(dir && *dir ? dir : ".", &top, a);
	if (!gitdir)
		return;
	ctx->checkout = top;
	ctx->gitdir = gitdir;
	ctx->commondir = common_dir(gitdir, a);
	read_head(ctx, gitdir, ctx->commondir, a);
}
