/*
 * drone_ext.c - pipec's extensions to the Drone dialect: service health
 * checks and artifacts handed between steps.
 *
 * Drone has no spelling for either, so pipec borrows the ones users know:
 * `healthcheck` is docker compose's (test, interval, timeout, retries,
 * disable; durations such as 1m30s) plus `port`, and lowers to the IR
 * step's `health`; `exports` and `imports` are lists of paths or
 * {name, path} maps, lowered to the IR's artifacts, each keeping its
 * position.  Health checks are complete per step.  An import without a
 * path lands where the export of its name was taken from, filled in once
 * the whole pipeline is lowered, since the export may be written after
 * it.  Whether names are unique and imports come from steps that run
 * before is the validator's, for YAML and IR alike.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/drone.h"

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
	ir_step_extra_edit(s, pb->lw->a)->health = h;
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
	return out->name && (import || out->path) ? 0 : -1;
}

static struct ir_artifact *lower_arts(struct pbuild *pb, const struct fe_node *n,
				      bool import, size_t *count)
{
	struct ir_artifact *v = ir_calloc(pb->lw->a, n->nitems + 1, sizeof *v);
	*count = 0;
	for (size_t i = 0; i < n->nitems; i++)
		if (lower_art(pb->lw, n->items[i], import, &v[*count]) == 0) {
			v[*count].pos = fe_pos(pb->lw->file, n->items[i]);
			arts_push(pb, (struct artref){&v[(*count)++], import});
		}
	return *count ? v : NULL;
}

/*
 * exports: [dist, {name: report, path: out/report.xml}]
 * imports: [dist, {name: report, path: reports/report.xml}]
 */
void fe_drone_artifacts(struct pbuild *pb, const struct fe_node *exports,
			const struct fe_node *imports, struct ir_step *s)
{
	struct ir_step_extra *x = exports || imports ? ir_step_extra_edit(s, pb->lw->a) : NULL;
	if (exports)
		x->exports = lower_arts(pb, exports, false, &x->nexports);
	if (imports)
		x->imports = lower_arts(pb, imports, true, &x->nimports);
}

/* ---- imports without a path ----------------------------------------- */

static const struct artref *find_export(const struct pbuild *pb, const char *name)
{
	for (size_t i = 0; i < pb->arts.n; i++)
		if (!pb->arts.v[i].import && strcmp(pb->arts.v[i].art->name, name) == 0)
			return &pb->arts.v[i];
	return NULL;
}

void fe_drone_import_paths(struct pbuild *pb)
{
	for (size_t i = 0; i < pb->arts.n; i++) {
		const struct artref *r = &pb->arts.v[i];
		const struct artref *e = r->import && !r->art->path ? find_export(pb, r->art->name) : NULL;
		if (e)
			r->art->path = e->art->path;
	}
}
