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

static void set_remote(struct ir_step *s, const char *url, struct ir_arena *a)
{
	struct ir_kv *v = ir_calloc(a, s->environment.n + 2, sizeof *v);
	if (s->environment.n)
		memcpy(v, s->environment.v, s->environment.n * sizeof *v);
	v[s->environment.n] = (struct ir_kv){"DRONE_REMOTE_URL", (char *)url};
	s->environment = (struct ir_env){v, s->environment.n + 1};
}

void cli_clone_source(struct ir_doc *doc, const struct fe_context *ctx, struct ir_arena *a,
		      FILE *err)
{
	const char *top = NULL;
	bool said = false;
	for (size_t i = 0; i < doc->npipelines; i++) {
		struct ir_pipeline *p = &doc->pipelines[i];
		if (ir_env_get(&p->environment, "DRONE_REMOTE_URL"))
			continue;
		for (size_t j = 0; j < p->nsteps; j++) {
			if (!p->steps[j].clone)
				continue;
			if (!top && !(top = checkout_top(a)))
				return;         /* the clone step says DRONE_REMOTE_URL is unset */
			set_remote(&p->steps[j], top, a);
			if (!said)
				fprintf(err, "pipec: --clone fetches commit %.12s from the checkout %s%s\n",
					ctx->commit ? ctx->commit : "HEAD", top,
					checkout_changed() ? "; uncommitted changes and untracked "
							     "files are not included" : "");
			said = true;
		}
	}
}
