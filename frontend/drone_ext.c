/*
 * drone_ext.c - pipec's extensions to the Drone dialect: service health
 * checks and artifacts handed between steps.
 *
 * Drone has no spelling for either, so pipec borrows the ones users know:
 * `healthcheck` is docker compose's (test, interval, timeout, retries,
 * disable; durations such as 1m30s) plus `port`, and lowers to the IR
 * step's `health`; `exports` and `imports` are lists of paths or
 * {name, path} maps, lowered to the IR's artifacts.  Health checks are
 * complete per step.  Artifacts are checked once the whole pipeline is
 * lowered, since an import may name a step written after it: every
 * export name is unique in the pipeline, and every import names an
 * export of a step that runs before it, found by walking depends_on (or,
 * without depends_on, by order).
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/drone.h"

/*
 * Dependencies followed while checking the order of imports, per
 * pipeline.  A walk per import costs up to the whole graph; past this
 * the remaining imports are checked by name only, and the backend still
 * refuses an import nothing exported before it.
 */
#define FE_MAX_ARTIFACT_WALK (1u << 22)

/* ---- healthcheck ------------------------------------------------------ */

/* A run of digits with an optional fraction: "1", "2.5", ".5". */
static const char *decimal(const char *s, double *out)
{
	double v = 0, scale = 1;
	const char *start = s;
	for (; isdigit((unsigned char)*s) && v < 1e12; s++)
		v = v * 10 + (*s - '0');
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s) && scale > 1e-9; s++)
			v += (*s - '0') * (scale /= 10);
	*out = v;
	return s == start || (s == start + 1 && *start == '.') ? NULL : s;
}

/* Go's time.ParseDuration as compose uses it, in milliseconds; -1 if bad. */
static int64_t duration_ms(const char *s)
{
	static const struct { const char *unit; double ms; } units[] = {
		{"ns", 1e-6}, {"us", 1e-3}, {"ms", 1}, {"h", 3.6e6}, {"m", 6e4}, {"s", 1e3},
	};
	double total = 0;
	if (strcmp(s, "0") == 0)
		return 0;
	while (*s) {
		double v;
		size_t i = 0;
		if (!(s = decimal(s, &v)))
			return -1;
		while (i < 6 && strncmp(s, units[i].unit, strlen(units[i].unit)) != 0)
			i++;
		if (i == 6)
			return -1;
		total += v * units[i].ms;
		s += strlen(units[i].unit);
	}
	return total > INT_MAX ? -1 : (int64_t)(total + 0.5);
}

/* 0 with the milliseconds in *out (left alone when `n` is absent), or -1. */
static int duration(struct lower *lw, const struct fe_node *n, const char *what, int *out)
{
	if (!n)
		return 0;
	char *text = fe_drone_str(lw, n, false);
	if (!text)
		return -1;
	int64_t ms = duration_ms(text);
	if (ms < 0)
		return diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
				  "%s: expected a duration such as 10s, 500ms or 1m30s, got '%s'",
				  what, text);
	*out = (int)ms;
	return 0;
}

/* The same for an integer from `lo` to `hi` (the key table made it an integer). */
static int number(struct lower *lw, const struct fe_node *n, const char *what,
		  long lo, long hi, int *out)
{
	if (!n)
		return 0;
	long v = strtol(n->str, NULL, 10);
	if (v < lo || v > hi)
		return diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
				  "%s: expected a number from %ld to %ld, got '%s'",
				  what, lo, hi, n->str);
	*out = (int)v;
	return 0;
}

static struct ir_strs shell(struct lower *lw, const struct fe_node *cmd)
{
	char **v = ir_calloc(lw->a, 4, sizeof *v);
	v[0] = "/bin/sh";
	v[1] = "-c";
	v[2] = fe_drone_str(lw, cmd, true);
	return (struct ir_strs){v, v[2] ? 3 : 0};
}

/* What must follow each first word of a test list, for messages. */
static int bad_test(struct lower *lw, const struct fe_node *n)
{
	if (!n->nitems)
		return diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
				  "test: expected a command, got an empty list");
	const struct fe_node *first = n->items[0];
	const char *form = first->str;
	if (strcmp(form, "CMD") == 0)
		return diag_error(lw->dl, fe_pos(lw->file, first), "invalid-value",
				  "test: expected a command after 'CMD'");
	if (strcmp(form, "CMD-SHELL") == 0)
		return diag_error(lw->dl, fe_pos(lw->file, first), "invalid-value",
				  "test: expected one shell command after 'CMD-SHELL'");
	if (strcmp(form, "NONE") == 0)
		return diag_error(lw->dl, fe_pos(lw->file, first), "invalid-value",
				  "test: expected nothing after 'NONE'");
	return diag_error(lw->dl, fe_pos(lw->file, first), "invalid-value",
			  "test: expected CMD, CMD-SHELL or NONE first, got '%s'", form);
}

/*
 * test: "redis-cli ping"               a shell command (compose's CMD-SHELL)
 *     | [CMD, redis-cli, ping]         an argv
 *     | [CMD-SHELL, "redis-cli ping"]
 *     | [NONE]                         no check
 * Returns 1 for NONE, 0 with the argv in *out, -1 after an error.
 */
static int health_test(struct lower *lw, const struct fe_node *n, struct ir_strs *out)
{
	if (n->kind == FE_SCALAR) {
		*out = shell(lw, n);
		return 0;
	}
	const char *form = n->nitems ? n->items[0]->str : "";
	if (strcmp(form, "NONE") == 0 && n->nitems == 1)
		return 1;
	if (strcmp(form, "CMD-SHELL") == 0 && n->nitems == 2) {
		*out = shell(lw, n->items[1]);
		return 0;
	}
	if (strcmp(form, "CMD") == 0 && n->nitems >= 2) {
		struct fe_node rest = *n;
		rest.items++;
		rest.nitems--;
		*out = fe_drone_strs(lw, &rest);
		return 0;
	}
	return bad_test(lw, n);
}

/* Every value is checked, so one run reports each mistake; -1 after any. */
static int health_numbers(struct lower *lw, const struct fe_node **v, struct ir_health *h)
{
	int errors = number(lw, v[HC_PORT], "port", 1, 65535, &h->port);
	errors |= number(lw, v[HC_RETRIES], "retries", 0, INT_MAX, &h->retries);
	errors |= duration(lw, v[HC_INTERVAL], "interval", &h->interval_ms);
	errors |= duration(lw, v[HC_TIMEOUT], "timeout", &h->timeout_ms);
	return errors;
}

/* healthcheck: {test: [CMD, pg_isready], port: 5432, interval: 1s, timeout: 5s, retries: 30} */
void fe_drone_health(struct pbuild *pb, const struct fe_node *n, struct ir_step *s)
{
	struct lower *lw = pb->lw;
	const struct fe_node *v[HC_N];
	if (!n || fe_keys_check(&fe_keys_healthcheck, n, v, lw->file, lw->dl) || fe_bool(v[HC_DISABLE]) == 1)
		return;
	struct ir_health *h = ir_alloc(lw->a, sizeof *h);
	int test = v[HC_TEST] ? health_test(lw, v[HC_TEST], &h->command) : 0;
	if (test == 1)
		return;                     /* test: [NONE] */
	if ((health_numbers(lw, v, h) | test) < 0)
		return;
	if (!v[HC_TEST] && !v[HC_PORT]) {
		diag_error(lw->dl, fe_pos(lw->file, n), "missing-key",
			   "healthcheck needs 'test' or 'port'");
		return;
	}
	/* Only what runs beside later steps is waited for. */
	if (!s->detach) {
		diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
			   "healthcheck: step '%s' is not a service or detached, nothing waits for it",
			   s->name ? s->name : "");
		return;
	}
	s->health = h;
}

/* ---- exports and imports ---------------------------------------------- */

static void arts_push(struct pbuild *pb, struct artref r)
{
	struct artb *b = &pb->arts;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct artref *v = ir_calloc(pb->lw->a, cap, sizeof *v);
		if (b->n)
			memcpy(v, b->v, b->n * sizeof *v);
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = r;
}

/* "dist/" and "dist" are one path: the archive API names it by its last part. */
static char *trim_slashes(char *path)
{
	size_t n = path ? strlen(path) : 0;
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	return path;
}

static char *art_path(struct lower *lw, const struct fe_node *n, const char *what)
{
	if (!n)
		return NULL;
	char *s = fe_drone_str(lw, n, false);
	if (s && !*s) {
		diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value", "%s: expected a path, got ''", what);
		return NULL;
	}
	return trim_slashes(s ? ir_strdup(lw->a, s) : NULL);
}

/* A name becomes a directory under --artifacts: it must stay inside. */
static bool climbs(const char *name)
{
	for (const char *p = name; (p = strstr(p, "..")); p += 2)
		if ((p == name || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

/* dist  or  {name: report, path: out/report.xml}; -1 after an error. */
static int lower_art(struct lower *lw, const struct fe_node *n, bool import,
		     struct ir_artifact *out)
{
	const struct fe_keyset *ks = import ? &fe_keys_import : &fe_keys_export;
	const struct fe_node *v[AR_N] = {0};
	if (n->kind == FE_SCALAR && !fe_is_null(n)) {
		v[import ? AR_NAME : AR_PATH] = n;
	} else if (n->kind != FE_MAP) {
		return diag_error(lw->dl, fe_pos(lw->file, n), "wrong-type", "%ss: expected a path or a map, got %s",
				  ks->name, fe_node_kind_name(n));
	} else if (fe_keys_check(ks, n, v, lw->file, lw->dl)) {
		return -1;
	}
	out->path = art_path(lw, v[AR_PATH], "path");
	out->name = v[AR_NAME] ? art_path(lw, v[AR_NAME], "name") : out->path;
	if (out->name && climbs(out->name))
		return diag_error(lw->dl, fe_pos(lw->file, n), "invalid-value",
				  "%ss: artifact name '%s' goes up with '..', give it a name",
				  ks->name, out->name);
	return out->name && (import || out->path) ? 0 : -1;
}

static struct ir_artifact *lower_arts(struct pbuild *pb, const struct fe_node *n,
				      bool import, size_t idx, size_t *count)
{
	struct ir_artifact *v = ir_calloc(pb->lw->a, n->nitems + 1, sizeof *v);
	*count = 0;
	for (size_t i = 0; i < n->nitems; i++)
		if (lower_art(pb->lw, n->items[i], import, &v[*count]) == 0)
			arts_push(pb, (struct artref){idx, &v[(*count)++], fe_pos(pb->lw->file, n->items[i]), import});
	return *count ? v : NULL;
}

/*
 * exports: [dist, {name: report, path: out/report.xml}]
 * imports: [dist, {name: report, path: reports/report.xml}]
 */
void fe_drone_artifacts(struct pbuild *pb, const struct fe_node *exports,
			const struct fe_node *imports, size_t idx, struct ir_step *s)
{
	if (exports)
		s->exports = lower_arts(pb, exports, false, idx, &s->nexports);
	if (imports)
		s->imports = lower_arts(pb, imports, true, idx, &s->nimports);
}

/* ---- the pipeline-wide check ------------------------------------------ */

/* depends_on as step indices, resolved once for every walk. */
struct graph {
	const struct ir_pipeline *p;
	size_t *first;              /* step i's parents: dep[first[i] .. first[i+1]] */
	size_t *dep;
	size_t *seen;               /* == walk: visited in the current walk */
	size_t walk;
	size_t *stack;              /* steps still to visit, each pushed once */
	size_t work;                /* dependencies followed, up to the ceiling */
	bool ordered;               /* no depends_on: steps run in file order */
};

static int cmp_name(const void *x, const void *y)
{
	return strcmp((*(const struct ir_step *const *)x)->name,
		      (*(const struct ir_step *const *)y)->name);
}

/* The step named `name` in `byname` (sorted), or NULL. */
static const struct ir_step *find_step(const struct ir_step **byname, size_t n,
				       const char *name)
{
	struct ir_step key = {.name = (char *)name};
	const struct ir_step *k = &key;
	const struct ir_step **hit = bsearch(&k, byname, n, sizeof *byname, cmp_name);
	return hit ? *hit : NULL;
}

static void graph_init(struct graph *g, struct pbuild *pb)
{
	const struct ir_pipeline *p = pb->p;
	struct ir_arena *a = pb->lw->a;
	size_t n = 0, ndeps = 0;
	*g = (struct graph){.p = p, .ordered = !pb->graph};
	const struct ir_step **byname = ir_calloc(a, p->nsteps + 1, sizeof *byname);
	for (size_t i = 0; i < p->nsteps; i++) {
		if (p->steps[i].name)
			byname[n++] = &p->steps[i];
		ndeps += p->steps[i].depends_on.n;
	}
	qsort(byname, n, sizeof *byname, cmp_name);
	g->first = ir_calloc(a, p->nsteps + 1, sizeof *g->first);
	g->dep = ir_calloc(a, ndeps + 1, sizeof *g->dep);
	for (size_t i = 0, m = 0; i < p->nsteps; i++) {
		g->first[i] = m;
		for (size_t j = 0; j < p->steps[i].depends_on.n; j++) {
			const struct ir_step *d = find_step(byname, n, p->steps[i].depends_on.v[j]);
			if (d)
				g->dep[m++] = (size_t)(d - p->steps);
		}
		g->first[i + 1] = m;
	}
	g->seen = ir_calloc(a, p->nsteps + 1, sizeof *g->seen);
	g->stack = ir_calloc(a, p->nsteps + 1, sizeof *g->stack);
}

/*
 * With depends_on: `from` is an ancestor of `to`; without: it comes
 * first.  The walk keeps its own stack: a chain of dependencies may be
 * as long as the file allows.
 */
static bool runs_before(struct graph *g, size_t from, size_t to)
{
	size_t top = 0;
	if (g->ordered)
		return from < to;
	if (g->work > FE_MAX_ARTIFACT_WALK)
		return true;                /* unknown: let it pass */
	g->walk++;
	g->seen[to] = g->walk;
	g->stack[top++] = to;
	while (top) {
		size_t s = g->stack[--top];
		if ((g->work += g->first[s + 1] - g->first[s]) > FE_MAX_ARTIFACT_WALK)
			return true;        /* unknown: let it pass */
		for (size_t i = g->first[s]; i < g->first[s + 1]; i++) {
			size_t k = g->dep[i];
			if (k == from)
				return true;
			if (g->seen[k] != g->walk) {
				g->seen[k] = g->walk;
				g->stack[top++] = k;
			}
		}
	}
	return false;
}

static const struct artref *find_export(const struct pbuild *pb, const char *name,
					size_t before)
{
	for (size_t i = 0; i < before; i++)
		if (!pb->arts.v[i].import && strcmp(pb->arts.v[i].art->name, name) == 0)
			return &pb->arts.v[i];
	return NULL;
}

static void unknown_artifact(struct pbuild *pb, const struct artref *r)
{
	const struct artb *b = &pb->arts;
	const char **names = ir_calloc(pb->lw->a, b->n + 1, sizeof *names);
	size_t n = 0;
	for (size_t i = 0; i < b->n; i++)
		if (!b->v[i].import)
			names[n++] = b->v[i].art->name;
	const char *hint = fe_suggest(r->art->name, names, n);
	diag_error(pb->lw->dl, r->pos, "unknown-artifact",
		   "no step exports artifact '%s'%s%s%s", r->art->name,
		   hint ? ", did you mean '" : "", hint ? hint : "", hint ? "'" : "");
}

static const char *step_name(const struct ir_pipeline *p, size_t i)
{
	return p->steps[i].name ? p->steps[i].name : "";
}

static void check_import(struct pbuild *pb, struct graph *g, const struct artref *r)
{
	const struct ir_pipeline *p = pb->p;
	const struct artref *e = find_export(pb, r->art->name, pb->arts.n);
	if (!e) {
		unknown_artifact(pb, r);
		return;
	}
	if (e->step == r->step || !runs_before(g, e->step, r->step)) {
		diag_error(pb->lw->dl, r->pos, "unknown-artifact",
			   "artifact '%s' comes from step '%s', which does not run before step '%s'",
			   r->art->name, step_name(p, e->step), step_name(p, r->step));
		return;
	}
	if (!r->art->path)
		r->art->path = e->art->path;
}

void fe_drone_check_artifacts(struct pbuild *pb)
{
	const struct ir_pipeline *p = pb->p;
	struct graph g;
	if (!pb->arts.n)
		return;
	graph_init(&g, pb);
	for (size_t i = 0; i < pb->arts.n; i++) {
		const struct artref *r = &pb->arts.v[i];
		const struct artref *first = r->import ? NULL : find_export(pb, r->art->name, i);
		if (first)
			diag_error(pb->lw->dl, r->pos, "duplicate-artifact",
				   "duplicate artifact '%s' (first exported by step '%s' at line %d)",
				   r->art->name, step_name(p, first->step), first->pos.line);
		if (r->import)
			check_import(pb, &g, r);
	}
}
