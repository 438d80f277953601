/*
 * select.c - what runs: the one decision `pipec plan`, `graph` and `run`
 * share.
 *
 * The frontend lowers everything the file says; the choices of the
 * command line are made here, on the checked document, by marking what
 * they leave out as skipped (with the reason), exactly as a `when` clause
 * does.  The normalizer then removes the skipped steps and pipelines and
 * rewires their dependents, for the plan and the run alike, so the plan
 * shows what the run does.  The choices, in order: the clone step runs
 * only with --clone (the checkout is the workspace otherwise); --pipeline
 * keeps the pipelines named; --exclude leaves steps out; --include keeps
 * the steps named, the steps they depend on (unless --no-deps) and the
 * services.  A name is a glob (fnmatch); one that matches nothing is a
 * usage error, with the closest name as a suggestion.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "validate/validate.h"

bool cli_select_option(struct cli_select *s, int c, const char *arg)
{
	struct cli_names *lists[] = {&s->pipelines, &s->include, &s->exclude};
	int i = c - CLI_OPT_SELECT;
	if (i >= 0 && i < 3) {
		struct cli_names *l = lists[i];
		if (l->n < CLI_MAX_NAMES)
			l->v[l->n] = arg;
		l->n++;
		return true;
	}
	if (i == 3 || i == 4) {
		*(i == 3 ? &s->no_deps : &s->clone) = true;
		return true;
	}
	return false;
}

static bool matches(const struct cli_names *l, const char *name)
{
	for (size_t i = 0; i < l->n && i < CLI_MAX_NAMES; i++)
		if (name && fnmatch(l->v[i], name, 0) == 0)
			return true;
	return false;
}

/* Every name of the document's pipelines (or of their steps), for suggestions. */
static const char **names_of(const struct ir_doc *d, bool steps, size_t *n, struct ir_arena *a)
{
	size_t cap = d->npipelines;
	for (size_t i = 0; steps && i < d->npipelines; i++)
		cap += d->pipelines[i].nsteps;
	const char **v = ir_calloc(a, cap + 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < d->npipelines; i++) {
		const struct ir_pipeline *p = &d->pipelines[i];
		if (!steps)
			v[(*n)++] = p->name;
		for (size_t j = 0; steps && j < p->nsteps; j++)
			v[(*n)++] = p->steps[j].name;
	}
	return v;
}

/* Each pattern of `l` must match one of `names`; 0, or -1 after a message. */
static int check_known(const struct cli_names *l, const char *option, const char *what,
		       const char **names, size_t n)
{
	int rc = 0;
	if (l->n > CLI_MAX_NAMES) {
		fprintf(stderr, "pipec: more than %d --%s options\n", CLI_MAX_NAMES, option);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct cli_names one = {.v = {l->v[i]}, .n = 1};
		size_t k = 0;
		while (k < n && !matches(&one, names[k]))
			k++;
		if (k < n)
			continue;
		const char *near = ir_suggest(l->v[i], names, n);
		fprintf(stderr, "pipec: --%s '%s' matches no %s", option, l->v[i], what);
		if (near)
			fprintf(stderr, " (did you mean '%s'?)", near);
		fputc('\n', stderr);
		rc = -1;
	}
	return rc;
}

static void skip(struct ir_skip **at, const char *reason, struct ir_arena *a)
{
	if (*at)
		return;                 /* a `when` ruled it out already: its reason stands */
	*at = ir_alloc(a, sizeof **at);
	(*at)->reason = (char *)reason;
}

/* Marks `i` and, unless --no-deps, what it depends on, directly or not. */
static void want(const struct ir_pipeline *p, size_t i, bool *wanted, bool deps)
{
	if (wanted[i])
		return;
	wanted[i] = true;
	for (size_t k = 0; deps && k < p->steps[i].depends_on.n; k++) {
		const struct ir_step *d = ir_step_find(p, p->steps[i].depends_on.v[k]);
		if (d)
			want(p, (size_t)(d - p->steps), wanted, deps);
	}
}

/* --include: the steps named, their dependencies and the services. */
static void include_steps(struct ir_pipeline *p, const struct cli_select *s,
			  struct ir_arena *a)
{
	bool *wanted = ir_calloc(a, p->nsteps + 1, sizeof *wanted);
	bool any = false;
	for (size_t i = 0; i < p->nsteps; i++)
		if (matches(&s->include, p->steps[i].name)) {
			want(p, i, wanted, !s->no_deps);
			any = true;
		}
	if (!any) {
		skip(&p->skip, "no step of it is included (--include)", a);
		return;
	}
	for (size_t i = 0; i < p->nsteps; i++)
		if (!wanted[i] && !p->steps[i].detach && !(p->steps[i].clone && s->clone))
			skip(&p->steps[i].skip, "not included (--include)", a);
}

static void select_steps(struct ir_pipeline *p, const struct cli_select *s, struct ir_arena *a)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		struct ir_step *st = &p->steps[i];
		if (st->clone && !s->clone)
			skip(&st->skip, "the checkout is the workspace (--clone runs it)", a);
		if (matches(&s->exclude, st->name))
			skip(&st->skip, "excluded (--exclude)", a);
	}
	if (s->include.n)
		include_steps(p, s, a);
}

int cli_select_apply(struct ir_doc *doc, const struct cli_select *s, struct ir_arena *a)
{
	size_t np, ns;
	const char **pipelines = names_of(doc, false, &np, a);
	const char **steps = names_of(doc, true, &ns, a);
	int rc = check_known(&s->pipelines, "pipeline", "pipeline", pipelines, np);
	rc |= check_known(&s->include, "include", "step", steps, ns);
	rc |= check_known(&s->exclude, "exclude", "step", steps, ns);
	if (rc)
		return -1;
	for (size_t i = 0; i < doc->npipelines; i++) {
		struct ir_pipeline *p = &doc->pipelines[i];
		if (s->pipelines.n && !matches(&s->pipelines, p->name))
			skip(&p->skip, "not chosen (--pipeline)", a);
		select_steps(p, s, a);
	}
	return 0;
}

struct ir_doc *cli_load_selected(const char *path, const struct fe_context *ctx,
				 const struct val_policy *policy, const struct cli_select *sel,
				 struct ir_arena *a, struct diag_list *dl)
{
	/* trust is a property of the run; graph and plan only need a sound graph */
	static const struct val_policy trusted = {.trusted = true};
	struct ir_doc *doc = cli_load(path, ctx, a, dl);
	if (!doc || val_check(doc, policy ? policy : &trusted, dl))
		return NULL;
	return cli_select_apply(doc, sel, a) == 0 ? doc : NULL;
}
