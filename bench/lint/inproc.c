/*
 * inproc.c - what `pipec lint` costs without process start: reads one
 * file, then compiles and checks it RUNS times in one process and prints
 * the median time of one compile+check in microseconds.
 *
 * usage: inproc RUNS FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "frontend/frontend.h"
#include "validate/validate.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	char *buf = malloc(*len + 1);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[*len] = '\0';
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	size_t len;
	int runs = argc == 3 ? atoi(argv[1]) : 0;
	char *text = runs > 0 ? slurp(argv[2], &len) : NULL;
	if (!text) {
		fputs("usage: inproc RUNS FILE\n", stderr);
		return 2;
	}
	double *t = calloc((size_t)runs, sizeof *t);
	for (int i = 0; i < runs; i++) {
		double t0 = now_us();
		struct ir_arena *a = ir_arena_new();
		struct diag_list dl;
		diag_list_init(&dl);
		struct fe_context ctx;
		fe_context_default(&ctx, ".", a);
		struct ir_doc *doc = fe_compile(argv[2], text, len, &ctx, a, &dl);
		if (doc)
			val_check(doc, NULL, &dl);
		diag_list_release(&dl);
		ir_arena_free(a);
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)runs, sizeof *t, cmp);
	printf("%.1f\n", t[runs / 2]);
	free(t);
	free(text);
	return 0;
}
