/*
 * clone.c - where `pipec run --clone` fetches from.
 *
 * The clone step the frontend makes fetches DRONE_COMMIT_REF from
 * DRONE_REMOTE_URL and checks out DRONE_COMMIT_SHA, the build context's
 * commit (HEAD of the checkout here, or --commit/--ref).  When nothing
 * names a remote (the host's DRONE_REMOTE_URL, or --env), the remote is
 * the checkout itself: its top directory, an absolute path git fetches
 * from as from any remote.  So the run sees exactly the commit, and the
 * files git status shows as changed or untracked are not there; a notice
 * says so.  The remote is set on the clone step alone.
 *
 * A clone step with an image runs in a container, which sees the checkout
 * only when it is bound there: the pipeline gets the checkout as a host
 * volume, mounted read-only at the same path in the clone step, so the
 * remote's path means the same inside and out.  A checkout whose `.git`
 * is a file (a worktree, a submodule, a --separate-git-dir) keeps its
 * history elsewhere: the git directories it names, found as the build
 * context finds them, are bound read-only too where they lie outside it,
 * each at the path git follows to it.  git there may run as
 * another user than the one owning the checkout, and refuses to read a
 * repository of another owner unless told it is safe: the step's fetch
 * starts the git that reads the checkout (upload-pack) with
 * safe.directory set, through git's GIT_CONFIG_* variables, which git
 * does not pass on to that process itself.
 * Kubernetes runs the step on a node, not here: a host path cannot reach
 * it, so there --clone needs a remote named and is refused up front
 * without one.  Outside a git checkout, with no remote named, --clone is
 * refused too.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* Whether `git status` lists anything: changes a clone leaves behind. */
static bool checkout_changed(void)
{
	FILE *p = popen("git status --porcelain 2>/dev/null", "r");
	if (!p)
		return false;
	bool any = fgetc(p) != EOF;
	pclose(p);
	return any;
}

/* A copy of the n elements at `old` with room for `more` after them. */
static void *widen(struct ir_arena *a, const void *old, size_t n, size_t more, size_t size)
{
	void *v = ir_calloc(a, n + more + 1, size);
	if (n)
		memcpy(v, old, n * size);
	return v;
}

/* The clone step fetches from the checkout at `top`, whoever owns it. */
static void set_remote(struct ir_step *s, const char *top, struct ir_arena *a)
{
	static const char *const keys[] = {"DRONE_REMOTE_URL", "GIT_CONFIG_COUNT",
					   "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"};
	const char *values[] = {top, "1", "remote.origin.uploadpack",
				"git -c 'safe.directory=*' upload-pack"};
	size_t n = s->environment.n, k = sizeof keys / sizeof *keys;
	struct ir_kv *v = widen(a, s->environment.v, n, k, sizeof *v);
	for (size_t i = 0; i < k; i++)
		v[n + i] = (struct ir_kv){(char *)keys[i], (char *)values[i]};
	s->environment = (struct ir_env){v, n + k};
}

/* `path` (absolute) with its `.` and `..` parts and repeated slashes
 * taken out by their names alone, as a container's fresh directories
 * resolve them. */
static char *clean_path(const char *path, struct ir_arena *a)
{
	char *out = ir_alloc(a, strlen(path) + 2), *w = out;
	for (const char *at = path; *at;) {
		at += strspn(at, "/");
		size_t n = strcspn(at, "/");
		if (n == 2 && at[0] == '.' && at[1] == '.') {
			while (w > out && *--w != '/')
				;
		} else if (n && !(n == 1 && at[0] == '.')) {
			*w++ = '/';
			memcpy(w, at, n);
			w += n;
		}
		at += n;
	}
	if (w == out)
		*w++ = '/';
	*w = '\0';
	return out;
}

/* Whether `path` is `dir` or below it. */
static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1);
}

/* Step `s` sees `host` read-only at `path`, through the pipeline's host
 * volume `name`. */
static void bind_read_only(struct ir_pipeline *p, struct ir_step *s, const char *name,
			   const char *host, const char *path, struct ir_arena *a)
{
	bool have = false;
	for (size_t i = 0; i < p->nvolumes; i++)
		have |= strcmp(p->volumes[i].name, name) == 0;
	if (!have) {
		struct ir_volume *v = widen(a, p->volumes, p->nvolumes, 1, sizeof *v);
		v[p->nvolumes] = (struct ir_volume){.pos = s->pos, .name = (char *)name,
						    .kind = IR_VOLUME_HOST, .host_path = (char *)host};
		p->volumes = v;
		p->nvolumes++;
	}
	struct ir_step_extra *x = ir_step_extra_edit(s, a);
	struct ir_mount *m = widen(a, x->volumes, x->nvolumes, 1, sizeof *m);
	m[x->nvolumes] = (struct ir_mount){(char *)name, (char *)path, true};
	x->volumes = m;
	x->nvolumes++;
}

/*
 * A container clone step sees the checkout read-only at the same path, and
 * so its git directories where they lie outside it (a worktree's and its
 * repository's shared one, a submodule's or --separate-git-dir's): each
 * at the path git in the container follows from the checkout's `.git`
 * file, bound from where it is here.
 */
static void bind_checkout(struct ir_pipeline *p, struct ir_step *s, const struct fe_context *ctx,
			  struct ir_arena *a)
{
	static const char *const names[] = {"pipec-checkout-git-common", "pipec-checkout-git"};
	const char *dirs[] = {ctx->commondir, ctx->gitdir}, *bound[3] = {ctx->checkout};
	size_t nbound = 1;
	bind_read_only(p, s, "pipec-checkout", ctx->checkout, ctx->checkout, a);
	for (size_t i = 0; i < 2; i++) {
		char *path = dirs[i] ? clean_path(dirs[i], a) : NULL, *host;
		bool seen = !path;
		for (size_t j = 0; j < nbound && !seen; j++)
			seen = below(path, bound[j]);
		if (seen || !(host = realpath(dirs[i], NULL)))
			continue;
		bind_read_only(p, s, names[i], ir_strdup(a, host), path, a);
		free(host);
		bound[nbound++] = path;
	}
}

/* Why a clone step cannot fetch from the checkout here; NULL when it can. */
static const char *refusal(const struct ir_step *s, const char *top, const char *backend)
{
	if (!top)
		return "--clone fetches from the git checkout here, and there is none";
	if (s->image && backend && strcmp(backend, "kube") == 0)
		return "--clone on the kube backend cannot fetch from the checkout here, "
		       "a path on this machine that the cluster's nodes do not see";
	return NULL;
}

int cli_clone_source(struct ir_doc *doc, const struct fe_context *ctx, const char *backend,
		     struct ir_arena *a, FILE *err)
{
	const char *top = ctx->checkout;
	bool said = false;
	for (size_t i = 0; i < doc->npipelines; i++) {
		struct ir_pipeline *p = &doc->pipelines[i];
		if (p->skip || ir_env_get(&p->environment, "DRONE_REMOTE_URL"))
			continue;
		for (size_t j = 0; j < p->nsteps; j++) {
			struct ir_step *s = &p->steps[j];
			if (!s->clone || s->skip)
				continue;
			const char *why = refusal(s, top, backend);
			if (why)
				return cli_usage_error("run", "%s; name a remote it can fetch from "
						       "with --env DRONE_REMOTE_URL=URL", why);
			set_remote(s, top, a);
			if (s->image)
				bind_checkout(p, s, ctx, a);
			if (!said)
				fprintf(err, "pipec: --clone fetches commit %.12s from the checkout %s%s\n",
					ctx->commit ? ctx->commit : "HEAD", top,
					checkout_changed() ? "; uncommitted changes and untracked "
							     "files are not included" : "");
			said = true;
		}
	}
	return 0;
}
