/*
 * names.c - pipeline and step names: present, unique, usable as DNS
 * labels.
 *
 * Names are how depends_on, the logs and the backends refer to things,
 * and a service is reached over the network by its step name, so a name
 * the backend's DNS cannot resolve makes it unreachable.  Docker's
 * embedded DNS resolves any network alias, underscores included (Drone
 * samples use `redis_1`); Kubernetes names Services with lowercase RFC
 * 1123 labels only.  Local steps have no network names.  Uniqueness is
 * checked through graph.c's hash index, which finds the first node of
 * each name at once; a later node of the same name is reported, at its
 * own position, pointing back at the first.  A step or pipeline the
 * frontend marked incomplete lacks what it failed to lower: its missing
 * name or steps were reported there, and are not reported again.
 */
#include <ctype.h>
#include <string.h>

#include "validate/internal.h"

static bool is_blank(const char *s)
{
	return !s || !*s;
}

/*
 * A label: letters, digits and inner hyphens, at most 63; Kubernetes
 * wants them lowercase, Docker also takes underscores.
 */
static bool is_dns_label(const char *s, enum ir_backend b)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool ok = isdigit(ch) || ch == '-' || islower(ch) ||
			  (b == IR_BACKEND_DOCKER && (isupper(ch) || ch == '_'));
		if (!ok)
			return false;
	}
	return true;
}

static void check_dns(struct val_ctx *c, const struct ir_pipeline *p,
		      const struct ir_step *s)
{
	if (p->backend == IR_BACKEND_LOCAL || is_dns_label(s->name, p->backend))
		return;
	/* a service is only reachable by its name; a step merely gets a hostname */
	if (s->detach)
		diag_error(c->dl, s->pos, "invalid-dns-name",
			   "service name '%s' is not a valid DNS label, so other steps cannot reach it",
			   s->name);
	else
		diag_warning(c->dl, s->pos, "invalid-dns-name",
			     "step name '%s' is not a valid DNS label", s->name);
}

/* Whether an earlier node bears node i's name; `first` gets the earliest one. */
static bool earlier(const struct val_index *x, size_t i, size_t *first)
{
	*first = x->first[i];
	return *first < i;
}

/* The clone step is made by the pipeline, at the pipeline's own position. */
static bool made_by_pipeline(const struct ir_pipeline *p, const struct ir_step *s)
{
	return s == &p->steps[0] && s->pos.line && s->pos.line == p->pos.line &&
	       s->pos.col == p->pos.col && strcmp(s->name, "clone") == 0;
}

static void duplicate_step(struct val_ctx *c, const struct ir_pipeline *p,
			   const struct ir_step *s, const struct ir_step *first)
{
	if (made_by_pipeline(p, first)) {
		diag_error(c->dl, s->pos, "duplicate-step-name",
			   "step name 'clone' is taken by the clone step, rename the step or set clone.disable");
		return;
	}
	diag_error(c->dl, s->pos, "duplicate-step-name",
		   "step name '%s' is used more than once in pipeline '%s' (first at line %d)",
		   s->name, p->name ? p->name : "", first->pos.line);
	diag_relate(c->dl, first->pos, "step '%s' is first defined here", s->name);
}

static void check_steps(struct val_ctx *c, size_t pi)
{
	const struct ir_pipeline *p = &c->doc->pipelines[pi];
	const char *pname = p->name ? p->name : "";
	if (p->nsteps == 0 && !p->incomplete)
		diag_error(c->dl, p->pos, "no-steps", "pipeline '%s' has no steps", pname);
	if (!val_pipeline_fits(p))
		return;
	struct val_index *index = val_steps_index(c, pi);
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ir_step *s = &p->steps[i];
		size_t j;
		if (is_blank(s->name)) {
			if (!s->incomplete)
				diag_error(c->dl, s->pos, "missing-name",
					   "step %zu of pipeline '%s' has no name", i + 1, pname);
			continue;
		}
		if (earlier(index, i, &j))
			duplicate_step(c, p, s, &p->steps[j]);
		check_dns(c, p, s);
	}
}

void val_check_names(struct val_ctx *c)
{
	const struct ir_doc *d = c->doc;
	struct val_index *index = val_index_pipelines(d, c->scratch);
	for (size_t i = 0; i < d->npipelines; i++) {
		const struct ir_pipeline *p = &d->pipelines[i];
		size_t j;
		if (is_blank(p->name) && !p->incomplete)
			diag_error(c->dl, p->pos, "missing-name", "pipeline %zu has no name", i + 1);
		else if (i < VAL_MAX_STEPS && earlier(index, i, &j)) {
			diag_error(c->dl, p->pos, "duplicate-pipeline-name",
				   "pipeline name '%s' is used more than once (first at line %d)",
				   p->name, d->pipelines[j].pos.line);
			diag_relate(c->dl, d->pipelines[j].pos, "pipeline '%s' is first defined here",
				    p->name);
		}
		check_steps(c, i);
	}
}
