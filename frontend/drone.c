/*
 * drone.c - lowering Drone 1.x documents to IR v3.
 *
 * Three passes over the documents of a file: the first tells each
 * document's kind, rejecting unknown kinds, converting a Drone 0.8
 * document to 1.x ones (legacy.c) and expanding a template into the
 * documents it makes (template.c); the second reads every `kind:
 * secret` (so a pipeline may use a secret declared after it); the third
 * lowers each `kind: pipeline`, positions in the file it came from.  Names
 * and volumes are checked by the validator, for YAML and IR alike; a step
 * or pipeline that had an error here is marked incomplete, so the
 * validator does not report a key it lacks a second time.  A
 * pipeline gets Drone's injected variables from the build context, a
 * clone step unless cloning is off, its
 * services as detached steps, then its steps (drone_step.c).  Nothing is
 * random: names come from the file, secrets and volumes keep file order,
 * so the same file and context give the same IR byte for byte.  The
 * context is asked for each substitution variable once per file, as a
 * large file asks for the same few at every step.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frontend/drone.h"

/* ---- small builders -------------------------------------------------- */

/*
 * Substitution counts columns from the scalar's first character, which
 * for a quoted scalar is the one after the quote.  (Escapes in a double
 * quoted scalar still shift what follows them; a newline in the value
 * makes substitution report at the scalar itself.)
 */
char *fe_drone_str_in(struct lower *lw, const struct fe_node *n, bool in_commands,
		      struct ir_arena *a)
{
	if (!n || n->kind != FE_SCALAR)
		return NULL;
	struct ir_pos pos = fe_pos(lw->file, n);
	if (n->style == FE_STYLE_SINGLE || n->style == FE_STYLE_DOUBLE)
		pos.col++;
	return fe_subst(n->str, n->len, lw->ctx, in_commands, pos, a, lw->dl);
}

char *fe_drone_str(struct lower *lw, const struct fe_node *n, bool in_commands)
{
	return fe_drone_str_in(lw, n, in_commands, lw->a);
}

struct ir_strs fe_drone_strs(struct lower *lw, const struct fe_node *n)
{
	struct ir_strs out = {0};
	if (!n)
		return out;
	const struct fe_node *const *items = (const struct fe_node *const *)&n;
	size_t count = 1;
	if (n->kind == FE_SEQ) {
		items = (const struct fe_node *const *)n->items;
		count = n->nitems;
	}
	out.v = ir_calloc(lw->a, count + 1, sizeof *out.v);
	for (size_t i = 0; i < count; i++) {
		char *s = fe_drone_str(lw, items[i], false);
		if (s)
			out.v[out.n++] = s;
	}
	return out;
}

void *fe_drone_grow(struct ir_arena *a, void *old, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return old;
	*cap = *cap ? *cap * 2 : 16;
	void *v = ir_calloc(a, *cap, size);
	if (n)
		memcpy(v, old, n * size);
	return v;
}

/* The first byte is compared before the call: most names differ there. */
void fe_drone_env_set(struct ir_arena *a, struct envb *e, const char *key,
		      const char *value)
{
	for (size_t i = 0; i < e->n; i++) {
		if (e->v[i].key[0] == key[0] && strcmp(e->v[i].key, key) == 0) {
			e->v[i].value = (char *)value;
			return;
		}
	}
	e->v = fe_drone_grow(a, e->v, e->n, &e->cap, sizeof *e->v);
	e->v[e->n++] = (struct ir_kv){(char *)key, (char *)value};
}

void fe_drone_ref_add(struct ir_arena *a, struct refb *r, const char *name,
		      const char *env)
{
	if (!name)
		return;
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->v[i].env, env) == 0) {
			r->v[i].name = (char *)name;
			return;
		}
	}
	r->v = fe_drone_grow(a, r->v, r->n, &r->cap, sizeof *r->v);
	r->v[r->n++] = (struct ir_secret_ref){(char *)name, (char *)env};
}

static const struct ir_secret *find_secret(const struct ir_secret *v, size_t n,
					   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Declared by a `kind: secret` document, or supplied when run. */
void fe_drone_need_secret(struct pbuild *pb, const char *name, struct ir_pos pos)
{
	struct ir_pipeline *p = pb->p;
	struct lower *lw = pb->lw;
	if (!name || find_secret(p->secrets, p->nsecrets, name))
		return;
	const struct ir_secret *decl = find_secret(lw->secrets, lw->nsecrets, name);
	p->secrets = fe_drone_grow(lw->a, p->secrets, p->nsecrets, &pb->secrets_cap,
			  sizeof *p->secrets);
	p->secrets[p->nsecrets++] = decl ? *decl
		: (struct ir_secret){.pos = pos, .name = (char *)name,
				     .source = IR_SECRET_RUNTIME};
}

static int64_t unit_of(const char *u)
{
	static const char *const units[] = {"", "k", "m", "g", "t"};
	char low[4] = {0};
	size_t n = strlen(u);
	if (n && (u[n - 1] == 'b' || u[n - 1] == 'B'))
		n--;                    /* 512MB, 512MiB, 512M: all binary */
	if (n && (u[n - 1] == 'i'))
		n--;
	if (n > 1)
		return -1;
	if (n)
		low[0] = (char)tolower((unsigned char)u[0]);
	for (int i = 0; i < 5; i++)
		if (strcmp(low, units[i]) == 0)
			return (int64_t)1 << (10 * i);
	return -1;
}

int64_t fe_drone_size(const char *s)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	double v = strtod(s, &end);
	while (*end == ' ')
		end++;
	int64_t unit = unit_of(end);
	if (unit < 0 || v * (double)unit > 9e18)
		return -1;
	return (int64_t)(v * (double)unit);
}

/* ---- variables --------------------------------------------------------- */

/*
 * A large file substitutes the same few variables at every step, and a
 * lookup may search the whole environment: the lowering asks the
 * caller's context once per name and keeps a copy of the answer for the
 * rest of the file.  Names past VAR_MEMO_MAX are asked every time.
 */
#define VAR_MEMO_MAX 64

struct var {
	const char *name, *value;       /* value NULL: unset */
};

struct var_memo {
	const struct fe_context *ctx;   /* the caller's, asked on a miss */
	struct ir_arena *a;
	struct var v[VAR_MEMO_MAX];
	size_t n;
};

static const char *memo_getvar(void *arg, const char *name)
{
	struct var_memo *m = arg;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].name[0] == name[0] && strcmp(m->v[i].name, name) == 0)
			return m->v[i].value;
	const char *value = m->ctx->getvar(m->ctx->getvar_arg, name);
	if (m->n == VAR_MEMO_MAX)
		return value;
	struct var *v = &m->v[m->n++];
	*v = (struct var){ir_strdup(m->a, name), value ? ir_strdup(m->a, value) : NULL};
	return v->value;
}

/* ---- secrets ----------------------------------------------------------- */

/*
 * A second document of a name is ignored with a warning: the first one
 * is used, as Drone's secret lookup takes the first document that
 * matches.
 */
static bool secret_repeated(struct lower *lw, const struct fe_node *name_node,
			    const char *name)
{
	const struct ir_secret *first = find_secret(lw->secrets, lw->nsecrets, name);
	if (!first)
		return false;
	diag_warning(lw->dl, fe_pos(lw->file, name_node), "duplicate-secret",
		     "secret '%s' is declared at lines %d and %d; the first is used, as in Drone",
		     name, first->pos.line, name_node->line);
	diag_relate(lw->dl, first->pos, "secret '%s' is first declared here", name);
	return true;
}

/*
 * kind: secret
 * name: token
 * get: {path: ci/tokens, name: deploy}   (or env: VAR, or file: PATH)
 */
static void lower_secret(struct lower *lw, const struct fe_node *doc)
{
	const struct fe_node *v[SE_N], *g[SG_N];
	if (fe_keys_check(&fe_keys_secret, doc, v, lw->file, lw->dl) || !v[SE_NAME])
		return;
	struct ir_secret s = {.pos = fe_pos(lw->file, doc), .name = fe_drone_str(lw, v[SE_NAME], false)};
	if (!s.name || secret_repeated(lw, v[SE_NAME], s.name))
		return;
	int sources = !!v[SE_GET] + !!v[SE_ENV] + !!v[SE_FILE] + !!v[SE_DATA];
	if (sources != 1) {
		diag_error(lw->dl, fe_pos(lw->file, doc), sources ? "invalid-value" : "missing-key",
			   "secret '%s' needs exactly one of 'get', 'env' or 'file'",
			   v[SE_NAME]->str);
		return;
	}
	if (v[SE_DATA]) {
		diag_error(lw->dl, fe_pos(lw->file, v[SE_DATA]), "invalid-value",
			   "secret '%s': encrypted 'data' is not supported, use 'get', 'env' or 'file'",
			   v[SE_NAME]->str);
		return;
	}
	if (v[SE_GET]) {
		if (fe_keys_check(&fe_keys_secret_get, v[SE_GET], g, lw->file, lw->dl))
			return;
		s.source = IR_SECRET_EXTERNAL;
		s.ref = ir_printf(lw->a, "%s#%s", g[SG_PATH]->str, g[SG_NAME]->str);
	} else {
		s.source = v[SE_ENV] ? IR_SECRET_ENV : IR_SECRET_FILE;
		s.ref = fe_drone_str(lw, v[SE_ENV] ? v[SE_ENV] : v[SE_FILE], false);
	}
	size_t cap = lw->nsecrets;
	lw->secrets = fe_drone_grow(lw->a, lw->secrets, lw->nsecrets, &cap, sizeof s);
	lw->secrets[lw->nsecrets++] = s;
}

/* ---- pipeline parts -------------------------------------------------- */

static const char *const kinds[FE_NKINDS] = {"pipeline", "secret", "signature", "template"};

/* platform: {os: linux, arch: arm64} */
static void lower_platform(struct lower *lw, const struct fe_node *n, struct ir_platform *pf)
{
	const struct fe_node *v[PF_N];
	if (!n || fe_keys_check(&fe_keys_platform, n, v, lw->file, lw->dl))
		return;
	pf->os = fe_drone_str(lw, v[PF_OS], false);
	pf->arch = fe_drone_str(lw, v[PF_ARCH], false);
	pf->variant = fe_drone_str(lw, v[PF_VARIANT], false);
	pf->version = fe_drone_str(lw, v[PF_VERSION], false);
}

/* workspace: {base: /go, path: src/example.com/app} */
static void lower_workspace(struct lower *lw, const struct fe_node *n, struct ir_workspace *w)
{
	const struct fe_node *v[WS_N] = {0};
	if (n)
		fe_keys_check(&fe_keys_workspace, n, v, lw->file, lw->dl);
	w->base = v[WS_BASE] ? fe_drone_str(lw, v[WS_BASE], false) : "/drone";
	w->path = v[WS_PATH] ? fe_drone_str(lw, v[WS_PATH], false) : "src";
	/* An absolute path alone is the whole workspace, as in Drone. */
	if (!v[WS_BASE] && w->path && w->path[0] == '/') {
		w->base = w->path;
		w->path = "";
	}
}

/* volumes: [{name: cache, temp: {}}, {name: docker, host: {path: /var/run}}] */
static void lower_volume(struct lower *lw, const struct fe_node *n, struct ir_volume *vol)
{
	const struct fe_node *v[VO_N], *t[VT_N] = {0}, *h[VH_N] = {0};
	fe_keys_check(&fe_keys_volume, n, v, lw->file, lw->dl);
	vol->pos = fe_pos(lw->file, n);
	vol->name = fe_drone_str(lw, v[VO_NAME], false);
	if (!vol->name)
		vol->name = "";
	int nkinds = !!fe_map_get(n, "temp") + !!fe_map_get(n, "host");
	if (nkinds != 1) {
		diag_error(lw->dl, fe_pos(lw->file, n), nkinds ? "invalid-value" : "missing-key",
			   "volume '%s' needs exactly one of 'temp' or 'host'", vol->name);
		return;
	}
	if (v[VO_HOST]) {
		fe_keys_check(&fe_keys_volume_host, v[VO_HOST], h, lw->file, lw->dl);
		vol->kind = IR_VOLUME_HOST;
		vol->host_path = fe_drone_str(lw, h[VH_PATH], false);
		return;
	}
	if (v[VO_TEMP])
		fe_keys_check(&fe_keys_volume_temp, v[VO_TEMP], t, lw->file, lw->dl);
	bool memory = t[VT_MEDIUM] && strcasecmp(t[VT_MEDIUM]->str, "memory") == 0;
	vol->kind = memory ? IR_VOLUME_TMPFS : IR_VOLUME_TEMP;
	if (t[VT_SIZE_LIMIT]) {
		vol->size_limit = fe_drone_size(t[VT_SIZE_LIMIT]->str);
		if (vol->size_limit < 0) {
			diag_error(lw->dl, fe_pos(lw->file, t[VT_SIZE_LIMIT]), "invalid-value",
				   "size_limit: expected a size such as 512MiB, got '%s'",
				   t[VT_SIZE_LIMIT]->str);
			vol->size_limit = 0;
		}
	}
}

static void lower_volumes(struct lower *lw, const struct fe_node *n, struct ir_pipeline *p)
{
	if (!n)
		return;
	p->volumes = ir_calloc(lw->a, n->nitems + 1, sizeof *p->volumes);
	for (size_t i = 0; i < n->nitems; i++)
		lower_volume(lw, n->items[i], &p->volumes[p->nvolumes++]);
}

/* ---- injected environment and the clone step ------------------------- */

static void set_if(struct pbuild *pb, const char *key, const char *value)
{
	if (value)
		fe_drone_env_set(pb->lw->a, &pb->env, key, value);
}

static void inject_context(struct pbuild *pb)
{
	const struct fe_context *c = pb->lw->ctx;
	set_if(pb, "DRONE_BRANCH", c->branch);
	set_if(pb, "DRONE_COMMIT_BRANCH", c->branch);
	set_if(pb, "DRONE_COMMIT", c->commit);
	set_if(pb, "DRONE_COMMIT_SHA", c->commit);
	set_if(pb, "DRONE_COMMIT_REF", c->ref);
	set_if(pb, "DRONE_BUILD_EVENT", c->event);
	set_if(pb, "DRONE_BUILD_ACTION", c->action);
	set_if(pb, "DRONE_REPO", c->repo);
	set_if(pb, "DRONE_DEPLOY_TO", c->target);
	set_if(pb, "DRONE_CRON", c->cron);
	set_if(pb, "DRONE_SYSTEM_HOST", c->instance);
	if (c->ref && strncmp(c->ref, "refs/tags/", 10) == 0)
		set_if(pb, "DRONE_TAG", c->ref + 10);
	if (c->getvar)
		set_if(pb, "DRONE_REMOTE_URL", c->getvar(c->getvar_arg, "DRONE_REMOTE_URL"));
}

/* Drone's variables (yaml-frontends.md 2.5) that the context can fill. */
static void inject_env(struct pbuild *pb, const char *type)
{
	struct ir_pipeline *p = pb->p;
	struct ir_arena *a = pb->lw->a;
	size_t len = ir_workspace_join(&p->workspace, NULL, 0) + 1;
	char *full = ir_alloc(a, len);
	ir_workspace_join(&p->workspace, full, len);
	set_if(pb, "CI", "true");
	set_if(pb, "DRONE", "true");
	set_if(pb, "DRONE_STAGE_NAME", p->name);
	set_if(pb, "DRONE_STAGE_KIND", "pipeline");
	set_if(pb, "DRONE_STAGE_TYPE", type);
	set_if(pb, "DRONE_STAGE_OS", p->platform.os);
	set_if(pb, "DRONE_STAGE_ARCH", p->platform.arch);
	set_if(pb, "DRONE_WORKSPACE_BASE", p->workspace.base);
	set_if(pb, "DRONE_WORKSPACE_PATH", p->workspace.path);
	set_if(pb, "DRONE_WORKSPACE", full);
	set_if(pb, "CI_WORKSPACE_BASE", p->workspace.base);
	set_if(pb, "CI_WORKSPACE_PATH", p->workspace.path);
	set_if(pb, "CI_WORKSPACE", full);
	inject_context(pb);
}

/*
 * The clone step fetches one commit into the workspace.  It reads the
 * remote and the commit from the variables above at run time, so the
 * script itself is the same for every build.
 */
/* clone.retries: a failed clone runs again, as a step with retries does. */
static void clone_retries(struct pbuild *pb, const struct fe_node *n, struct ir_step *s)
{
	long long v = strtoll(n->str, NULL, 10);
	if (v < 0 || v > INT_MAX)
		diag_error(pb->lw->dl, fe_pos(pb->lw->file, n), "invalid-value",
			   "clone.retries: expected a count from 0 to %d, got %s", INT_MAX, n->str);
	else
		s->retries = (int)v;
}

static void clone_step(struct pbuild *pb, const struct fe_node **cl, struct ir_step *s)
{
	struct lower *lw = pb->lw;
	char *cmds[5];
	const char *depth = "";
	if (cl[CL_DEPTH])
		depth = ir_printf(lw->a, " --depth=%s", cl[CL_DEPTH]->str);
	cmds[0] = "test -n \"$DRONE_REMOTE_URL\" || { echo 'DRONE_REMOTE_URL is not set:"
		  " run pipec run --clone in a git checkout, give a remote with"
		  " --env DRONE_REMOTE_URL=URL, or set clone.disable' >&2; exit 1; }";
	cmds[1] = "git init -q";
	cmds[2] = "git remote add origin \"$DRONE_REMOTE_URL\"";
	cmds[3] = ir_printf(lw->a, "git fetch -q --no-tags%s origin \"${DRONE_COMMIT_REF:-HEAD}\"", depth);
	/* a commit the ref does not hold is fetched by itself */
	cmds[4] = ir_printf(lw->a, "git checkout -q -f \"${DRONE_COMMIT_SHA:-FETCH_HEAD}\" 2>/dev/null ||"
			    " { git fetch -q --no-tags%s origin \"$DRONE_COMMIT_SHA\" &&"
			    " git checkout -q -f \"$DRONE_COMMIT_SHA\"; }", depth);
	s->pos = pb->p->pos;
	s->name = "clone";
	s->clone = true;
	if (pb->p->backend != IR_BACKEND_LOCAL) {
		s->image = "alpine/git:v2.30.2";
		s->pull = IR_PULL_IF_NOT_EXISTS;
	}
	s->script = fe_script(cmds, 5, lw->a);
	struct envb env = {0};
	fe_drone_env_set(lw->a, &env, "DRONE_STEP_NAME", "clone");
	if (fe_bool(cl[CL_SKIP_VERIFY]) == 1)
		fe_drone_env_set(lw->a, &env, "GIT_SSL_NO_VERIFY", "true");
	if (fe_bool(cl[CL_TRACE]) == 1)
		fe_drone_env_set(lw->a, &env, "GIT_TRACE", "true");
	if (cl[CL_RETRIES])
		clone_retries(pb, cl[CL_RETRIES], s);
	s->environment = (struct ir_env){env.v, env.n};
}

/* ---- steps of a pipeline ---------------------------------------------- */

static bool any_depends(const struct fe_node *steps)
{
	for (size_t i = 0; steps && i < steps->nitems; i++) {
		const struct fe_node *d = fe_map_get(steps->items[i], "depends_on");
		if (d && !(d->kind == FE_SEQ && d->nitems == 0) && !fe_is_null(d))
			return true;
	}
	return false;
}

/*
 * In graph mode (some step has depends_on) a step without dependencies
 * would start at once, before the source is there: as in Drone, it and
 * every service wait for the clone step.
 */
static void depend_on_clone(struct pbuild *pb, struct ir_step *s, bool service)
{
	if (!pb->clone || !pb->graph || (!service && s->depends_on.n))
		return;
	char **v = ir_calloc(pb->lw->a, s->depends_on.n + 1, sizeof *v);
	if (s->depends_on.n)
		memcpy(v, s->depends_on.v, s->depends_on.n * sizeof *v);
	v[s->depends_on.n] = "clone";
	s->depends_on = (struct ir_strs){v, s->depends_on.n + 1};
}

/* The next item's subtree is asked for while this one is lowered. */
static void lower_list(struct pbuild *pb, const struct fe_node *list, bool service)
{
	struct ir_pipeline *p = pb->p;
	for (size_t i = 0; list && i < list->nitems; i++) {
		struct ir_step *s = &p->steps[p->nsteps++];
		size_t before = pb->lw->dl->nerrors;
		if (i + 1 < list->nitems)
			fe_prefetch(list->items[i + 1]);
		fe_drone_step(pb, list->items[i], service, s);
		s->incomplete = pb->lw->dl->nerrors > before;
		depend_on_clone(pb, s, service);
	}
}

static void lower_steps(struct pbuild *pb, const struct fe_node **v)
{
	struct lower *lw = pb->lw;
	struct ir_pipeline *p = pb->p;
	const struct fe_node *steps = v[PL_STEPS], *services = v[PL_SERVICES];
	const struct fe_node *cl[CL_N] = {0};
	if (v[PL_CLONE])
		fe_keys_check(&fe_keys_clone, v[PL_CLONE], cl, lw->file, lw->dl);
	pb->clone = fe_bool(cl[CL_DISABLE]) != 1;
	pb->graph = any_depends(steps);
	size_t n = (steps ? steps->nitems : 0) + (services ? services->nitems : 0) + 1;
	p->steps = ir_calloc(lw->a, n, sizeof *p->steps);
	if (pb->clone)
		clone_step(pb, cl, &p->steps[p->nsteps++]);
	lower_list(pb, services, true);
	lower_list(pb, steps, false);
	fe_drone_import_paths(pb);
}

/* ---- pipelines ---------------------------------------------------------- */

static void lower_pull_secrets(struct pbuild *pb, const struct fe_node *n)
{
	struct ir_pipeline *p = pb->p;
	p->pull_secrets = fe_drone_strs(pb->lw, n);
	for (size_t i = 0; i < p->pull_secrets.n; i++)
		fe_drone_need_secret(pb, p->pull_secrets.v[i], fe_pos(pb->lw->file, n));
	if (!p->pull_secrets.n)
		p->pull_secrets = (struct ir_strs){0};
}

/*
 * kind: pipeline
 * type: docker | kubernetes | exec | ssh | vm | digitalocean | macstadium
 * name: default
 * steps: [...]
 */
static void lower_pipeline(struct lower *lw, const struct fe_node *doc,
			   struct ir_pipeline *p)
{
	const struct fe_node *v[PL_N];
	uint32_t given;
	struct pbuild pb = {.lw = lw, .p = p};
	fe_keys_check_given(&fe_keys_pipeline, doc, v, &given, lw->file, lw->dl);
	p->pos = fe_pos(lw->file, doc);
	p->name = v[PL_NAME] ? fe_drone_str(lw, v[PL_NAME], false) : "default";
	if (!p->name)
		p->name = "default";
	fe_drone_runner(lw, doc, v, given, p);
	lower_platform(lw, v[PL_PLATFORM], &p->platform);
	lower_workspace(lw, v[PL_WORKSPACE], &p->workspace);
	lower_volumes(lw, v[PL_VOLUMES], p);
	if (v[PL_TRIGGER]) {
		fe_trigger_eval(v[PL_TRIGGER], lw->ctx, &p->run_policy, &p->skip, lw->a, lw->file,
				lw->dl);
		if (p->skip)
			p->run_policy = IR_RUN_NEVER;
	}
	if (v[PL_DEPENDS_ON])
		p->depends_on = fe_drone_strs(lw, v[PL_DEPENDS_ON]);
	if (v[PL_PULL_SECRETS])
		lower_pull_secrets(&pb, v[PL_PULL_SECRETS]);
	inject_env(&pb, v[PL_TYPE] ? v[PL_TYPE]->str : "docker");
	fe_drone_lower_env(&pb, v[PL_ENVIRONMENT], &pb.env, &pb.refs);
	p->environment = (struct ir_env){pb.env.v, pb.env.n};
	lower_steps(&pb, v);
}

/* The document's kind (FE_KIND_*), -1 after an error. */
static int kind_of(struct lower *lw, const struct fe_node *doc)
{
	if (doc->kind != FE_MAP)
		return diag_error(lw->dl, fe_pos(lw->file, doc), "wrong-type",
				  "document: expected a map, got %s", fe_node_kind_name(doc));
	const struct fe_node *k = fe_map_get(doc, "kind");
	if (!k || fe_is_null(k))
		return diag_error(lw->dl, fe_pos(lw->file, doc), "missing-key",
				  "document is missing required key 'kind'");
	if (k->kind != FE_SCALAR)
		return diag_error(lw->dl, fe_pos(lw->file, k), "wrong-type",
				  "kind: expected a string, got %s", fe_node_kind_name(k));
	for (int i = 0; i < FE_NKINDS; i++) {
		if (strcmp(k->str, kinds[i]) == 0)
			return i;
		if (strcasecmp(k->str, kinds[i]) == 0) {
			diag_warning(lw->dl, fe_pos(lw->file, k), "old-spelling",
				     "'kind: %s' is an old spelling, read as 'kind: %s'", k->str, kinds[i]);
			return i;
		}
	}
	const char *hint = fe_suggest(k->str, kinds, FE_NKINDS);
	if (hint)
		return diag_error(lw->dl, fe_pos(lw->file, k), "unknown-kind",
				  "unknown kind '%s', did you mean '%s'", k->str, hint);
	return diag_error(lw->dl, fe_pos(lw->file, k), "unknown-kind",
			  "unknown kind '%s', expected pipeline, secret, signature or template",
			  k->str);
}

void fe_units_add(struct lower *lw, struct fe_units *u, const struct fe_node *doc, int kind)
{
	u->v = fe_drone_grow(lw->a, u->v, u->n, &u->cap, sizeof *u->v);
	u->v[u->n++] = (struct fe_unit){doc, lw->file, kind};
}

/* A template's documents, in the template's file; none of them a template. */
static void add_template(struct lower *lw, const struct fe_node *doc, struct fe_units *u)
{
	struct fe_docs t = {.tree = lw->tree};
	if (fe_template_expand(lw, doc, &t) < 0)
		return;
	const char *file = lw->file;
	lw->file = t.file;
	for (size_t i = 0; i < t.n; i++) {
		int kind = fe_is_null(t.v[i]) ? -1 : kind_of(lw, t.v[i]);
		if (kind == FE_KIND_TEMPLATE)
			diag_error(lw->dl, fe_pos(lw->file, t.v[i]), "template-error",
				   "a template cannot load another template");
		else if (kind >= 0)
			fe_units_add(lw, u, t.v[i], kind);
	}
	lw->file = file;
}

/*
 * A document's kind; 0.8 documents converted and templates expanded into
 * the 1.x documents they stand for.
 */
static void gather(struct lower *lw, const struct fe_node *doc, struct fe_units *u)
{
	if (fe_is_null(doc))
		return;
	if (fe_legacy_is(doc)) {
		fe_legacy_convert(lw, doc, u);
		return;
	}
	int kind = kind_of(lw, doc);
	if (kind == FE_KIND_TEMPLATE)
		add_template(lw, doc, u);
	else if (kind >= 0)
		fe_units_add(lw, u, doc, kind);
}

static void read_unit(struct lower *lw, const struct fe_unit *unit)
{
	const struct fe_node *sv[SI_N];
	if (unit->kind == FE_KIND_SECRET)
		lower_secret(lw, unit->doc);
	if (unit->kind == FE_KIND_SIGNATURE &&
	    !fe_keys_check(&fe_keys_signature, unit->doc, sv, lw->file, lw->dl))
		diag_add(lw->dl, DIAG_NOTE, fe_pos(lw->file, unit->doc), "signature-ignored",
			 "signature document ignored: pipec does not verify signatures");
}

/*
 * A secret a pipeline used before its `kind: secret` document was read
 * became a secret supplied at run time: it is the declared one.
 */
static void resolve_secrets(const struct lower *lw, struct ir_doc *d)
{
	for (size_t i = 0; lw->nsecrets && i < d->npipelines; i++) {
		struct ir_pipeline *p = &d->pipelines[i];
		for (size_t k = 0; k < p->nsecrets; k++) {
			const struct ir_secret *decl = p->secrets[k].source == IR_SECRET_RUNTIME
				? find_secret(lw->secrets, lw->nsecrets, p->secrets[k].name) : NULL;
			if (decl)
				p->secrets[k] = *decl;
		}
	}
}

struct fe_lowering {
	struct var_memo memo;
	struct fe_context ctx;
	struct lower lw;
	struct ir_doc *d;
	size_t cap;                 /* room in d->pipelines */
	struct fe_units u;          /* one document's, reused */
	size_t errors_before;       /* dl->nerrors when the file was begun */
};

/*
 * IR holds at least one pipeline (ir-empty), so a file without one, and
 * without an error that says why, gets one.  A file whose pipelines are
 * all in templates left for a Drone server is valid, as Drone takes it:
 * its template-skipped warnings say why it builds nothing here, and the
 * commands that need a pipeline say there is none (cli_no_pipelines()).
 */
static void no_pipelines(const struct fe_lowering *l)
{
	if (l->d->npipelines || l->lw.templates_skipped || l->lw.dl->nerrors > l->errors_before)
		return;
	diag_error(l->lw.dl, (struct ir_pos){.file = l->lw.file, .line = 1, .col = 1},
		   "no-pipelines", "the file holds no pipeline to build");
}

struct fe_lowering *fe_drone_begin(const char *file, const struct fe_context *ctx,
				   struct ir_arena *a, struct diag_list *dl)
{
	struct fe_lowering *l = ir_alloc(a, sizeof *l);
	l->memo = (struct var_memo){.ctx = ctx, .a = a};
	l->ctx = ctx ? *ctx : (struct fe_context){0};
	if (l->ctx.getvar) {
		l->ctx.getvar = memo_getvar;
		l->ctx.getvar_arg = &l->memo;
	}
	l->lw = (struct lower){.file = file, .ctx = &l->ctx, .a = a,
			       .scratch = ir_arena_new(), .tree = ir_arena_new(), .dl = dl};
	l->d = ir_alloc(a, sizeof *l->d);
	l->d->version = IR_VERSION;
	l->errors_before = dl->nerrors;
	return l;
}

void fe_drone_doc(void *lowering, const struct fe_node *doc)
{
	struct fe_lowering *l = lowering;
	struct lower *lw = &l->lw;
	const char *file = lw->file;
	struct ir_doc *d = l->d;
	l->u.n = 0;
	gather(lw, doc, &l->u);
	for (size_t i = 0; i < l->u.n; i++) {
		const struct fe_unit *unit = &l->u.v[i];
		lw->file = unit->file;
		if (unit->kind != FE_KIND_PIPELINE) {
			read_unit(lw, unit);
		} else {
			size_t before = lw->dl->nerrors;
			d->pipelines = fe_drone_grow(lw->a, d->pipelines, d->npipelines, &l->cap,
						     sizeof *d->pipelines);
			struct ir_pipeline *p = &d->pipelines[d->npipelines++];
			lower_pipeline(lw, unit->doc, p);
			p->incomplete = lw->dl->nerrors > before;
		}
	}
	lw->file = file;
}

struct ir_doc *fe_drone_end(struct fe_lowering *l)
{
	resolve_secrets(&l->lw, l->d);
	no_pipelines(l);
	ir_arena_free(l->lw.scratch);
	ir_arena_free(l->lw.tree);
	return l->d;
}
