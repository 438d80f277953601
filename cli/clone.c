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
 * remote's path means the same inside and out.  git there may run as
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

/* The top directory of the git checkout holding the current directory. */
static char *checkout_top(struct ir_arena *a)
{
	char dir[PATH_MAX], probe[PATH_MAX + 8];
	struct stat st;
	if (!realpath(".", dir))
		return NULL;
	for (;;) {
		snprintf(probe, sizeof probe, "%s/.git", dir);
		if (stat(probe, &st) == 0)
			return ir_strdup(a, dir);
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return NULL;
		*slash = '\0';
	}
}

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

#define CHECKOUT_VOLUME "pipec-checkout"

/* A container clone step sees the checkout read-only at the same path. */
static void bind_checkout(struct ir_pipeline *p, struct ir_step *s, const char *top,
			  struct ir_arena *a)
{
	bool have = false;
	for (size_t i = 0; i < p->nvolumes; i++)
		have |= strcmp(p->volumes[i].name, CHECKOUT_VOLUME) == 0;
	if (!have) {
		struct ir_volume *v = widen(a, p->volumes, p->nvolumes, 1, sizeof *v);
		v[p->nvolumes] = (struct ir_volume){.pos = s->pos, .name = CHECKOUT_VOLUME,
						    .kind = IR_VOLUME_HOST, .host_path = (char *)top};
		p->volumes = v;
		p->nvolumes++;
	}
	struct ir_step_extra *x = ir_step_extra_edit(s, a);
	struct ir_mount *m = widen(a, x->volumes, x->nvolumes, 1, sizeof *m);
	m[x->nvolumes] = (struct ir_mount){CHECKOUT_VOLUME, (char *)top, true};
	x->volumes = m;
	x->nvolumes++;
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
	const char *top = NULL;
	bool said = false, looked = false;
	for (size_t i = 0; i < doc->npipelines; i++) {
		struct ir_pipeline *p = &doc->pipelines[i];
		if (p->skip || ir_env_get(&p->environment, "DRONE_REMOTE_URL"))
			continue;
		for (size_t j = 0; j < p->nsteps; j++) {
			struct ir_step *s = &p->steps[j];
			if (!s->clone || s->skip)
				continue;
			if (!looked)
				top = checkout_top(a), looked = true;
			const char *why = refusal(s, top, backend);
			if (why)
				return cli_usage_error("run", "%s; name a remote it can fetch from "
						       "with --env DRONE_REMOTE_URL=URL", why);
			set_remote(s, top, a);
			if (s->image)
				bind_checkout(p, s, top, a);
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
