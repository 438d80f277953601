/*
 * build.h - small builders for IR documents in validate's tests, so each
 * test states only what it is about.  Suites use suite.h's fixture: a
 * fresh `arena` and diagnostics list `dl` per test.
 */
#ifndef PIPEC_TEST_VALIDATE_BUILD_H
#define PIPEC_TEST_VALIDATE_BUILD_H

#include <stdarg.h>
#include <string.h>

#include "ir/ir.h"
#include "tests/unit/suite.h"
#include "validate/validate.h"

/* A document of `n` docker pipelines named p1.., each with `steps` steps s1.. */
static inline struct ir_doc *doc_new(struct ir_arena *a, size_t n, size_t steps)
{
	struct ir_doc *d = ir_alloc(a, sizeof *d);
	d->version = IR_VERSION;
	d->npipelines = n;
	d->pipelines = ir_calloc(a, n ? n : 1, sizeof *d->pipelines);
	for (size_t i = 0; i < n; i++) {
		struct ir_pipeline *p = &d->pipelines[i];
		p->name = ir_printf(a, "p%zu", i + 1);
		p->pos = (struct ir_pos){"t.yml", (int)(i * 100 + 1), 1, NULL};
		p->nsteps = steps;
		p->steps = ir_calloc(a, steps ? steps : 1, sizeof *p->steps);
		for (size_t j = 0; j < steps; j++) {
			struct ir_step *s = &p->steps[j];
			s->name = ir_printf(a, "s%zu", j + 1);
			s->image = ir_strdup(a, "alpine:3.20");
			s->script = ir_strdup(a, "echo hi\n");
			s->pos = (struct ir_pos){"t.yml", (int)(i * 100 + j + 2), 3, NULL};
		}
	}
	return d;
}

/* A string list from a NULL-terminated argument list. */
static inline struct ir_strs strs(struct ir_arena *a, ...)
{
	struct ir_strs out = {0};
	va_list ap;
	va_start(ap, a);
	while (va_arg(ap, const char *))
		out.n++;
	va_end(ap);
	out.v = ir_calloc(a, out.n ? out.n : 1, sizeof *out.v);
	va_start(ap, a);
	for (size_t i = 0; i < out.n; i++)
		out.v[i] = ir_strdup(a, va_arg(ap, const char *));
	va_end(ap);
	return out;
}

/* How many diagnostics carry `rule`. */
static inline size_t count_rule(const struct diag_list *l, const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->items[i].rule, rule) == 0)
			n++;
	return n;
}

/* The first diagnostic with `rule`, or NULL. */
static inline const struct diag *find_rule(const struct diag_list *l, const char *rule)
{
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->items[i].rule, rule) == 0)
			return &l->items[i];
	return NULL;
}

#endif
