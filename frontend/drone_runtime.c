/*
 * drone_runtime.c - imports drone-runtime IR, both published generations,
 * as IR v3: tells the formats apart, builds the pipeline their readers
 * fill, and tidies what both leave.
 *
 * drone_runtime_json.c decodes the JSON as drone-runtime's Go decoder
 * did; drone_runtime_stages.c reads the 2017-18 format (`pipeline`, a
 * list of stages) and drone_runtime_spec.c the 2019 spec format
 * (`metadata`, `steps`, `docker`).  Both add steps, volumes, files and
 * secrets through the functions here, which keep names unique and
 * arrays within their ceilings.  Afterwards a workspace is derived where
 * every step's working_dir shows one, and volumes that carry a name pipec
 * reserves are renamed.
 */
#include <stdlib.h>
#include <string.h>

#include "frontend/drone_runtime.h"

/* ---- Building the pipeline -------------------------------------------- */

/* Makes room for one more element of an arena array, doubling when full. */
void *fe_dr_grow(struct ir_arena *a, void *v, size_t n, size_t *cap,
		 size_t size)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *nv = ir_calloc(a, ncap, size);
	if (n)
		memcpy(nv, v, n * size);
	*cap = ncap;
	return nv;
}

struct ir_secret *fe_dr_find_secret(struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nsecrets; i++)
		if (strcmp(p->secrets[i].name, name) == 0)
			return &p->secrets[i];
	return NULL;
}

/* Declares a secret whose value the runtime supplies, once per name. */
void fe_dr_add_secret(struct imp *im, const char *name, const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	if (fe_dr_find_secret(p, name))
		return;
	p->secrets = fe_dr_grow(im->a, p->secrets, p->nsecrets, &im->cap_secrets,
				sizeof *p->secrets);
	p->secrets[p->nsecrets++] = (struct ir_secret){
		.pos = fe_dr_pos(im, at), .name = ir_strdup(im->a, name),
		.source = IR_SECRET_RUNTIME};
}

void fe_dr_secret_value_dropped(struct imp *im, const char *name,
				const struct jp *at)
{
	diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, at),
		 "drone-runtime-secret-value",
		 "value of secret '%s' is not carried into the IR; supply it at run "
		 "time (--secret %s=...)", name, name);
}

struct ir_volume *fe_dr_find_volume(struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nvolumes; i++)
		if (strcmp(p->volumes[i].name, name) == 0)
			return &p->volumes[i];
	return NULL;
}

/* `base`, or `base_2`, `base_3`... whichever `taken` does not know yet. */
static char *unique(struct imp *im, const char *base,
		    bool (*taken)(struct ir_pipeline *, const char *))
{
	char *name = ir_strdup(im->a, base);
	for (unsigned i = 2; taken(im->p, name); i++)
		name = ir_printf(im->a, "%s_%u", base, i);
	return name;
}

static bool volume_taken(struct ir_pipeline *p, const char *name)
{
	return fe_dr_find_volume(p, name) != NULL;
}

static bool step_taken(struct ir_pipeline *p, const char *name)
{
	return ir_step_find(p, name) != NULL;
}

bool fe_dr_file_taken(struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].name, name) == 0)
			return true;
	return false;
}

/* Adds a pipeline volume; NULL after the ceiling. */
struct ir_volume *fe_dr_add_volume(struct imp *im, const char *name,
				   enum ir_volume_kind kind,
				   const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	if (p->nvolumes >= DR_MAX_ITEMS) {
		diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, at),
			 "drone-runtime-limit", "more than %d volumes",
			 DR_MAX_ITEMS);
		return NULL;
	}
	char *uname = unique(im, name, volume_taken);
	p->volumes = fe_dr_grow(im->a, p->volumes, p->nvolumes, &im->cap_volumes,
				sizeof *p->volumes);
	struct ir_volume *v = &p->volumes[p->nvolumes++];
	*v = (struct ir_volume){.pos = fe_dr_pos(im, at), .name = uname,
				.kind = kind};
	return v;
}

struct ir_file *fe_dr_add_file(struct imp *im, const char *name, char *data,
			       const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	char *uname = unique(im, name, fe_dr_file_taken);
	p->files = fe_dr_grow(im->a, p->files, p->nfiles, &im->cap_files,
			      sizeof *p->files);
	struct ir_file *f = &p->files[p->nfiles++];
	*f = (struct ir_file){.pos = fe_dr_pos(im, at), .name = uname, .data = data};
	return f;
}

/* A new step, or NULL past the ceiling. */
struct ir_step *fe_dr_add_step(struct imp *im, const struct jp *at)
{
	struct ir_pipeline *p = im->p;
	if (p->nsteps >= DR_MAX_STEPS) {
		if (!im->too_many)
			diag_add(im->dl, DIAG_ERROR, fe_dr_pos(im, at),
				 "drone-runtime-limit", "more than %d steps",
				 DR_MAX_STEPS);
		im->too_many = true;
		return NULL;
	}
	p->steps = fe_dr_grow(im->a, p->steps, p->nsteps, &im->cap_steps,
			      sizeof *p->steps);
	struct ir_step *s = &p->steps[p->nsteps++];
	s->pos = fe_dr_pos(im, at);
	/* made at once: the import fills and rewrites it in many places */
	ir_step_extra_edit(s, im->a);
	return s;
}

/* Gives the step a name no earlier step has, warning when it had to change. */
void fe_dr_name_step(struct imp *im, struct ir_step *s, const char *want,
		     const struct jp *at)
{
	s->name = NULL;         /* not yet visible to step_taken() */
	char *name = unique(im, want, step_taken);
	if (strcmp(name, want) != 0)
		diag_add(im->dl, DIAG_WARNING, fe_dr_pos(im, at),
			 "drone-runtime-renamed",
			 "duplicate step name '%s' is renamed '%s'", want, name);
	s->name = name;
	/* Drone's compiler puts its clone step first, named clone */
	s->clone = s == im->p->steps && strcmp(name, "clone") == 0;
}

/* Pipeline name from the file name: `dir/8_backup.json` gives `8_backup`. */
static char *name_from_path(struct ir_arena *a, const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	base = base ? base + 1 : path;
	if (!base || !*base || strcmp(base, "-") == 0)
		return ir_strdup(a, "default");
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char *name = ir_strndup(a, base, n);
	for (char *c = name; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-", *c))
			*c = '-';
	return name;
}

/* Room for `n` more elements, sized from the JSON array before filling. */
void *fe_dr_room(struct ir_arena *a, const cJSON *arr, size_t extra,
		 size_t size)
{
	size_t n = (size_t)cJSON_GetArraySize(arr) + extra;
	return n ? ir_calloc(a, n, size) : NULL;
}

/* Splits a Docker bind target `path[:ro|:rw]`. */
char *fe_dr_mount_target(struct ir_arena *a, const char *t, bool *ro)
{
	size_t n = strlen(t);
	*ro = n > 3 && strcmp(t + n - 3, ":ro") == 0;
	if (*ro || (n > 3 && strcmp(t + n - 3, ":rw") == 0))
		n -= 3;
	return ir_strndup(a, t, n);
}

/* ---- After either format ----------------------------------------------- */

/* Removes every mount of volume `name`, then the volume. */
static void remove_volume(struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		struct ir_step_extra *x = p->steps[i].extra;    /* NULL: no mounts */
		size_t n = 0;
		for (size_t k = 0; x && k < x->nvolumes; k++)
			if (strcmp(x->volumes[k].name, name) != 0)
				x->volumes[n++] = x->volumes[k];
		if (x)
			x->nvolumes = n;
	}
	struct ir_volume *v = fe_dr_find_volume(p, name);
	size_t at = (size_t)(v - p->volumes);
	memmove(v, v + 1, (p->nvolumes - at - 1) * sizeof *v);
	p->nvolumes--;
}

/*
 * A temp volume mounted only at the workspace base is the workspace
 * itself: the IR's workspace takes its place.
 */
static void absorb_workspace_volume(struct imp *im, const char *base)
{
	struct ir_pipeline *p = im->p;
	const char *name = NULL;
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < p->steps[i].extra->nvolumes; k++) {
			const struct ir_mount *m = &p->steps[i].extra->volumes[k];
			if (strcmp(m->path, base) == 0 && name && strcmp(name, m->name) != 0)
				return;
			if (strcmp(m->path, base) == 0)
				name = m->name;
		}
	struct ir_volume *v = name ? fe_dr_find_volume(p, name) : NULL;
	if (!v || v->kind != IR_VOLUME_TEMP)
		return;
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < p->steps[i].extra->nvolumes; k++) {
			const struct ir_mount *m = &p->steps[i].extra->volumes[k];
			if (strcmp(m->name, name) == 0 && strcmp(m->path, base) != 0)
				return;
		}
	remove_volume(p, name);
}

/* Volume names pipec keeps for itself (validate/refs.c has the same list). */
static const char *const reserved_volumes[] = {
	"workspace", "_workspace", "_docker_socket", NULL};

/* Renames volumes that carry a reserved name, and their mounts. */
static void rename_reserved(struct imp *im)
{
	struct ir_pipeline *p = im->p;
	for (size_t i = 0; i < p->nvolumes; i++) {
		struct ir_volume *v = &p->volumes[i];
		const char *const *r = reserved_volumes;
		while (*r && strcmp(*r, v->name) != 0)
			r++;
		if (!*r)
			continue;
		char *old = v->name;
		v->name = unique(im, ir_printf(im->a, "drone%s%s",
					       *old == '_' ? "" : "_", old),
				 volume_taken);
		diag_add(im->dl, DIAG_NOTE, v->pos, "drone-runtime-renamed",
			 "volume '%s' is renamed '%s': pipec reserves the name",
			 old, v->name);
		for (size_t s = 0; s < p->nsteps; s++)
			for (size_t k = 0; k < p->steps[s].extra->nvolumes; k++)
				if (strcmp(p->steps[s].extra->volumes[k].name, old) == 0)
					p->steps[s].extra->volumes[k].name = v->name;
	}
}

/* The path of a mount of `s` strictly above `dir` (/drone for /drone/src). */
static const char *mount_above(const struct ir_step *s, const char *dir)
{
	for (size_t i = 0; i < s->extra->nvolumes; i++) {
		const char *m = s->extra->volumes[i].path;
		size_t n = strlen(m);
		if (n > 1 && strncmp(dir, m, n) == 0 && dir[n] == '/' && dir[n + 1])
			return m;
	}
	return NULL;
}

/*
 * The workspace is the obvious intent when every step that sets a
 * working_dir sets the same one and mounts a volume at the same directory
 * above it, as drone's compiler wrote them (/drone, /drone/src).
 */
static void derive_workspace(struct imp *im)
{
	struct ir_pipeline *p = im->p;
	const char *dir = NULL, *base = NULL;
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ir_step *s = &p->steps[i];
		if (!s->extra->working_dir)
			continue;
		const char *b = mount_above(s, s->extra->working_dir);
		if (!b || (dir && strcmp(dir, s->extra->working_dir) != 0) ||
		    (base && strcmp(base, b) != 0))
			return;
		dir = s->extra->working_dir;
		base = b;
	}
	if (!base)
		return;
	p->workspace.base = ir_strdup(im->a, base);
	p->workspace.path = ir_strdup(im->a, dir + strlen(base) + 1);
	absorb_workspace_volume(im, p->workspace.base);
}

struct ir_doc *fe_drone_runtime_import(const char *path, const char *text,
				       size_t len, struct ir_arena *a,
				       struct diag_list *dl)
{
	size_t before = dl->nerrors;
	cJSON *top = fe_dr_parse(path, text, len, dl);
	if (!top)
		return NULL;
	struct ir_doc *d = ir_alloc(a, sizeof *d);
	d->version = IR_VERSION;
	d->pipelines = ir_calloc(a, 1, sizeof *d->pipelines);
	d->npipelines = 1;
	struct imp im = {.path = path, .a = a, .dl = dl, .p = d->pipelines};
	im.p->pos = fe_dr_pos(&im, NULL);
	im.p->backend = IR_BACKEND_DOCKER;
	if (fe_dr_is_stages(top))
		fe_dr_stages_import(&im, top);
	else if (fe_dr_is_spec(top))
		fe_dr_spec_import(&im, top);
	else
		diag_add(im.dl, DIAG_ERROR, fe_dr_pos(&im, NULL),
			 "drone-runtime-not-ir", "%s",
			 fe_dr_field(top, "auths") ?
			 "a docker client config (registry credentials) is not "
			 "a pipeline" :
			 "no drone-runtime keys ('pipeline' or 'steps') found");
	if (!im.p->name)
		im.p->name = name_from_path(a, path);
	if (!im.p->nsteps && dl->nerrors == before)
		diag_add(im.dl, DIAG_WARNING, fe_dr_pos(&im, NULL),
			 "drone-runtime-empty",
			 "no steps: the file holds no drone-runtime pipeline to run");
	derive_workspace(&im);
	rename_reserved(&im);
	cJSON_Delete(top);
	return dl->nerrors > before ? NULL : d;
}
