/*
 * names.c - the JSON spelling of every IR enumeration, lookups, and a
 * step's rarely set part.
 *
 * The tables are the single source of the strings: the reader, the
 * writer, the schema test and the docs all agree through them.
 */
#include <string.h>

#include "ir/ir.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const backend_names[] = {"docker", "kubernetes", "local"};
static const char *const pull_names[] = {"default", "always", "if-not-exists", "never"};
static const char *const run_policy_names[] = {"on-success", "on-failure", "always", "never"};
static const char *const secret_source_names[] = {"runtime", "env", "file", "external"};
static const char *const volume_kind_names[] = {"temp", "host", "tmpfs"};

static int lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static const char *name_of(const char *const *names, size_t n, unsigned v)
{
	return v < n ? names[v] : "?";
}

const char *ir_backend_name(enum ir_backend b)
{
	return name_of(backend_names, COUNT(backend_names), b);
}

int ir_backend_parse(const char *s)
{
	return lookup(backend_names, COUNT(backend_names), s);
}

const char *ir_pull_name(enum ir_pull p)
{
	return name_of(pull_names, COUNT(pull_names), p);
}

int ir_pull_parse(const char *s)
{
	return lookup(pull_names, COUNT(pull_names), s);
}

const char *ir_run_policy_name(enum ir_run_policy p)
{
	return name_of(run_policy_names, COUNT(run_policy_names), p);
}

int ir_run_policy_parse(const char *s)
{
	return lookup(run_policy_names, COUNT(run_policy_names), s);
}

const char *ir_secret_source_name(enum ir_secret_source s)
{
	return name_of(secret_source_names, COUNT(secret_source_names), s);
}

int ir_secret_source_parse(const char *s)
{
	return lookup(secret_source_names, COUNT(secret_source_names), s);
}

const char *ir_volume_kind_name(enum ir_volume_kind k)
{
	return name_of(volume_kind_names, COUNT(volume_kind_names), k);
}

int ir_volume_kind_parse(const char *s)
{
	return lookup(volume_kind_names, COUNT(volume_kind_names), s);
}

bool ir_steps_ordered_by_deps(const struct ir_pipeline *p)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].depends_on.v)
			return true;
	return false;
}

struct ir_step *ir_step_find(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].name && strcmp(p->steps[i].name, name) == 0)
			return &p->steps[i];
	return NULL;
}

const struct ir_step_extra *ir_step_extra(const struct ir_step *s)
{
	static const struct ir_step_extra none;
	return s->extra ? s->extra : &none;
}

struct ir_step_extra *ir_step_extra_edit(struct ir_step *s, struct ir_arena *a)
{
	if (!s->extra)
		s->extra = ir_alloc(a, sizeof *s->extra);
	return s->extra;
}

struct ir_pipeline *ir_pipeline_find(const struct ir_doc *d, const char *name)
{
	for (size_t i = 0; i < d->npipelines; i++)
		if (d->pipelines[i].name && strcmp(d->pipelines[i].name, name) == 0)
			return &d->pipelines[i];
	return NULL;
}

const char *ir_env_get(const struct ir_env *env, const char *key)
{
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->v[i].key, key) == 0)
			return env->v[i].value;
	return NULL;
}

size_t ir_workspace_join(const struct ir_workspace *w, char *buf, size_t size)
{
	const char *base = w->base ? w->base : "", *path = w->path ? w->path : "";
	if (path[0] == '/')
		base = "";
	else if (!*base)
		path = "";
	size_t nb = strlen(base), np = strlen(path);
	while (nb > 1 && base[nb - 1] == '/')
		nb--;
	while (np > 1 && path[np - 1] == '/')
		np--;
	bool sep = nb && np && base[nb - 1] != '/';
	int n = snprintf(buf, size, "%.*s%s%.*s", (int)nb, base, sep ? "/" : "", (int)np, path);
	return n < 0 ? 0 : (size_t)n;
}
