/*
 * refs.c - what steps refer to by name: volumes and secrets the pipeline
 * must declare, and the declarations themselves.
 *
 * A mount of an undeclared volume is dropped, as Drone drops it, with a
 * warning naming the closest declared volume; a reference to an
 * undeclared secret would be an empty variable, an error.  Mount paths
 * are absolute, in a Windows pipeline also as Windows writes them
 * (`C:\cache`, `\\.\pipe\docker_engine`).
 * Two declarations of one volume name are fine when identical (the
 * normalizer merges them) and an error when they differ.
 */
#include <ctype.h>
#include <string.h>

#include "validate/internal.h"

/* Names the runtime gives its own volumes (Drone's list, kept for imports). */
static const char *const reserved_volumes[] = {"workspace", "_workspace", "_docker_socket"};

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_volume(const struct ir_volume *a, const struct ir_volume *b)
{
	return a->kind == b->kind && a->size_limit == b->size_limit &&
	       same_str(a->host_path, b->host_path);
}

static void check_volume_decls(struct val_ctx *c, const struct ir_pipeline *p)
{
	for (size_t i = 0; i < p->nvolumes; i++) {
		const struct ir_volume *v = &p->volumes[i];
		for (size_t r = 0; v->name && r < sizeof reserved_volumes / sizeof *reserved_volumes; r++)
			if (strcmp(v->name, reserved_volumes[r]) == 0)
				diag_error(c->dl, v->pos, "reserved-volume-name",
					   "volume name '%s' is reserved", v->name);
		for (size_t j = 0; j < i && i < VAL_MAX_STEPS; j++) {
			const struct ir_volume *w = &p->volumes[j];
			if (same_str(v->name, w->name) && !same_volume(v, w)) {
				diag_error(c->dl, v->pos, "duplicate-volume",
					   "volume '%s' is declared twice with different settings (first at line %d)",
					   v->name ? v->name : "", w->pos.line);
				diag_relate(c->dl, w->pos, "volume '%s' is first declared here",
					    v->name ? v->name : "");
				break;
			}
		}
	}
}

/* `C:\dir`, `C:/dir`, or `\\.\pipe\name` and other UNC paths */
static bool is_windows_absolute(const char *s)
{
	if (isalpha((unsigned char)s[0]) && s[1] == ':')
		return s[2] == '\\' || s[2] == '/';
	return s[0] == '\\' && s[1] == '\\';
}

/* Absolute on the pipeline's os: Windows pipelines take Windows paths too. */
static bool is_absolute(const struct ir_pipeline *p, const char *path)
{
	if (!path)
		return false;
	bool windows = p->platform.os && strcmp(p->platform.os, "windows") == 0;
	return path[0] == '/' || (windows && is_windows_absolute(path));
}

static const struct ir_volume *find_volume(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; name && i < p->nvolumes; i++)
		if (same_str(p->volumes[i].name, name))
			return &p->volumes[i];
	return NULL;
}

static bool has_secret(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; name && i < p->nsecrets; i++)
		if (same_str(p->secrets[i].name, name))
			return true;
	return false;
}

static void check_mounts(struct val_ctx *c, const struct ir_pipeline *p,
			 const struct ir_step *s, const char **vnames)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t k = 0; k < ex->nvolumes; k++) {
		const struct ir_mount *m = &ex->volumes[k];
		const char *name = m->name ? m->name : "";
		if (!find_volume(p, m->name)) {
			const char *near = ir_suggest(name, vnames, p->nvolumes);
			diag_warning(c->dl, s->pos, "unknown-volume",
				     "step '%s' mounts undeclared volume '%s', so the mount is dropped%s%s%s",
				     s->name, name, near ? " (did you mean '" : "", near ? near : "",
				     near ? "'?)" : "");
		}
		if (!is_absolute(p, m->path))
			diag_error(c->dl, s->pos, "invalid-mount-path",
				   "step '%s' mounts volume '%s' at '%s', which is not an absolute path",
				   s->name, name, m->path ? m->path : "");
	}
}

static void check_secret_refs(struct val_ctx *c, const struct ir_pipeline *p,
			      const struct ir_step *s, const char **snames)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t k = 0; k < ex->nsecrets; k++) {
		const char *name = ex->secrets[k].name ? ex->secrets[k].name : "";
		if (has_secret(p, name))
			continue;
		const char *near = ir_suggest(name, snames, p->nsecrets);
		diag_error(c->dl, s->pos, "unknown-secret",
			   "step '%s' uses undeclared secret '%s'%s%s%s", s->name, name,
			   near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	}
}

static void check_pull_secrets(struct val_ctx *c, const struct ir_pipeline *p)
{
	for (size_t k = 0; k < p->pull_secrets.n; k++)
		if (!has_secret(p, p->pull_secrets.v[k]))
			diag_error(c->dl, p->pos, "unknown-secret",
				   "pipeline '%s' pulls with undeclared secret '%s'",
				   p->name ? p->name : "", p->pull_secrets.v[k] ? p->pull_secrets.v[k] : "");
}

static void check_pipeline(struct val_ctx *c, const struct ir_pipeline *p)
{
	const char **vnames = ir_calloc(c->scratch, p->nvolumes + 1, sizeof *vnames);
	const char **snames = ir_calloc(c->scratch, p->nsecrets + 1, sizeof *snames);
	for (size_t i = 0; i < p->nvolumes; i++)
		vnames[i] = p->volumes[i].name;
	for (size_t i = 0; i < p->nsecrets; i++)
		snames[i] = p->secrets[i].name;
	check_volume_decls(c, p);
	check_pull_secrets(c, p);
	for (size_t i = 0; i < p->nsteps && val_pipeline_fits(p); i++) {
		if (!p->steps[i].name)
			continue;
		check_mounts(c, p, &p->steps[i], vnames);
		check_secret_refs(c, p, &p->steps[i], snames);
	}
}

void val_check_refs(struct val_ctx *c)
{
	for (size_t i = 0; i < c->doc->npipelines; i++)
		check_pipeline(c, &c->doc->pipelines[i]);
}
