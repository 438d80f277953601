/*
 * irbench.c - times ir_read() and ir_write() against cJSON alone.
 *
 * A document of STEPS steps (every step field set) is made in memory and
 * written once; then, RUNS times each, the baseline parses and prints the
 * text with cJSON (the least any JSON reader and writer built on it can
 * do), and pipec reads it with ir_read() and writes it with ir_write().
 * Prints the medians and their ratio; exits 1 when BENCH_STRICT is set
 * and the ratio passes the target.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ir/ir.h"

#define TARGET_RATIO 3.0

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static struct ir_strs strs(struct ir_arena *a, const char *x, const char *y)
{
	struct ir_strs s = {ir_calloc(a, 2, sizeof(char *)), 2};
	s.v[0] = ir_strdup(a, x);
	s.v[1] = ir_strdup(a, y);
	return s;
}

static void make_step(struct ir_arena *a, struct ir_step *s, size_t i)
{
	s->pos = (struct ir_pos){"bench.yml", (int)i * 12 + 3, 3, NULL};
	s->name = ir_printf(a, "step-%zu", i);
	s->image = ir_strdup(a, "golang:1.22");
	s->pull = IR_PULL_ALWAYS;
	s->script = ir_printf(a, "set -e\nprintf '+ %%s\\n' 'go test ./pkg/%zu'\ngo test ./pkg/%zu\n", i, i);
	s->environment.n = 8;
	s->environment.v = ir_calloc(a, 8, sizeof(struct ir_kv));
	for (size_t k = 0; k < 8; k++)
		s->environment.v[k] = (struct ir_kv){ir_printf(a, "VAR_%zu", 7 - k),
						     ir_printf(a, "value %zu of step %zu", k, i)};
	if (i)
		s->depends_on = strs(a, ir_printf(a, "step-%zu", i - 1), "step-0");
	struct ir_step_extra *x = ir_step_extra_edit(s, a);
	x->dns = strs(a, "1.1.1.1", "8.8.8.8");
	x->resources = (struct ir_resources){500, 1 << 30, 1 << 26};
	s->timeout = 600;
}

static struct ir_doc *make_doc(struct ir_arena *a, size_t nsteps)
{
	struct ir_doc *d = ir_alloc(a, sizeof *d);
	d->version = IR_VERSION;
	d->npipelines = 1;
	d->pipelines = ir_calloc(a, 1, sizeof *d->pipelines);
	d->pipelines[0].name = ir_strdup(a, "bench");
	d->pipelines[0].nsteps = nsteps;
	d->pipelines[0].steps = ir_calloc(a, nsteps, sizeof(struct ir_step));
	for (size_t i = 0; i < nsteps; i++)
		make_step(a, &d->pipelines[0].steps[i], i);
	return d;
}

static void baseline(const char *text, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	char *out = cJSON_PrintUnformatted(root);
	free(out);
	cJSON_Delete(root);
}

static void pipec(const char *text, size_t len)
{
	struct ir_arena *a = ir_arena_new();
	struct diag_list dl;
	diag_list_init(&dl);
	struct ir_doc *d = ir_read("bench.json", text, len, a, &dl);
	if (!d) {
		diag_print(stderr, &dl, DIAG_TEXT, false);
		exit(2);
	}
	free(ir_write(d, IR_WRITE_COMPACT));
	diag_list_release(&dl);
	ir_arena_free(a);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static double median_us(void (*fn)(const char *, size_t), const char *text, size_t len, int runs)
{
	double *t = malloc(sizeof *t * (size_t)runs);
	for (int i = 0; i < runs; i++) {
		double start = now_us();
		fn(text, len);
		t[i] = now_us() - start;
	}
	qsort(t, (size_t)runs, sizeof *t, cmp_double);
	double m = t[runs / 2];
	free(t);
	return m;
}

int main(void)
{
	const char *e = getenv("STEPS"), *r = getenv("RUNS"), *strict = getenv("BENCH_STRICT");
	size_t nsteps = e ? strtoul(e, NULL, 10) : 4000;
	int runs = r ? atoi(r) : 11;
	if (runs < 1)
		runs = 1;
	struct ir_arena *a = ir_arena_new();
	char *text = ir_write(make_doc(a, nsteps), 0);
	ir_arena_free(a);
	size_t len = strlen(text);
	double base = median_us(baseline, text, len, runs);
	double ours = median_us(pipec, text, len, runs);
	double ratio = ours / base;
	printf("ir: %zu steps, %.2f MB, median of %d runs\n", nsteps, len / 1e6, runs);
	printf("  cJSON parse + print  %8.1f ms\n", base / 1000);
	printf("  ir_read + ir_write   %8.1f ms  %.2fx the baseline (target <= %.1fx) %s\n",
	       ours / 1000, ratio, TARGET_RATIO, ratio <= TARGET_RATIO ? "ok" : "MISSED");
	free(text);
	return strict && *strict == '1' && ratio > TARGET_RATIO;
}
