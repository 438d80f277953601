/*
 * shape.c - the shape tables cover every byte of every IR struct.
 *
 * A field added to ir.h but not to ir/shape.c would be silently dropped
 * by the reader and the writer.  Walking the tables from the document
 * down, each struct's fields must tile it: the only bytes no field claims
 * are the padding C puts before a field to align it.  (A field small
 * enough to sit where that padding was, a bool beside bools or an int
 * beside an int, can hide; strings, lists, structs and 64-bit fields
 * cannot.)  A shape with an extra part (a step's struct ir_step_extra)
 * tiles its own struct with the other fields and the extra one with its
 * marked fields.
 */
#include <stdalign.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ir/internal.h"

struct span {
	size_t off, size, align;
};

static size_t shape_align(const struct shape *s);

static struct span field_span(const struct field *f)
{
	switch (f->kind) {
	case F_STR: return (struct span){f->off, sizeof(char *), alignof(char *)};
	case F_BOOL: return (struct span){f->off, sizeof(bool), alignof(bool)};
	case F_INT: case F_ENUM: return (struct span){f->off, sizeof(int), alignof(int)};
	case F_I64: return (struct span){f->off, sizeof(int64_t), alignof(int64_t)};
	case F_STRS: return (struct span){f->off, sizeof(struct ir_strs), alignof(struct ir_strs)};
	case F_ENV: return (struct span){f->off, sizeof(struct ir_env), alignof(struct ir_env)};
	case F_POS: return (struct span){f->off, sizeof(struct ir_pos), alignof(struct ir_pos)};
	case F_OBJ: return (struct span){f->off, f->shape->size, shape_align(f->shape)};
	case F_PTR: case F_ARR: return (struct span){f->off, sizeof(void *), alignof(void *)};
	}
	return (struct span){0, 0, 1};
}

/* A struct is aligned as its most aligned member. */
static size_t shape_align(const struct shape *s)
{
	size_t align = 1;
	for (size_t i = 0; i < s->nfields; i++) {
		size_t a = field_span(&s->fields[i]).align;
		align = a > align ? a : align;
	}
	return align;
}

static size_t round_up(size_t n, size_t align)
{
	return (n + align - 1) / align * align;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return (x->off > y->off) - (x->off < y->off);
}

/* Checks that `spans` tile a struct of `size` bytes aligned to `align`. */
static void check_tiling(const char *what, struct span *spans, size_t n, size_t size,
			 size_t align)
{
	qsort(spans, n, sizeof *spans, span_cmp);
	size_t end = 0;
	for (size_t i = 0; i < n; i++) {
		cr_assert_geq(spans[i].off, end, "%s: fields overlap at %zu", what, spans[i].off);
		cr_assert_eq(spans[i].off, round_up(end, spans[i].align),
			     "%s: bytes %zu..%zu belong to no field", what, end, spans[i].off);
		end = spans[i].off + spans[i].size;
	}
	cr_assert_eq(size, round_up(end, align), "%s: bytes %zu..%zu belong to no field", what,
		     end, size);
}

/* The extra part's fields (a step's struct ir_step_extra) tile it. */
static void check_extra(const struct shape *s)
{
	struct span spans[130];
	size_t n = 0, align = 1;
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		if (!f->extra)
			continue;
		spans[n++] = field_span(f);
		align = spans[n - 1].align > align ? spans[n - 1].align : align;
		if (f->kind == F_ARR)
			spans[n++] = (struct span){f->count_off, sizeof(size_t), alignof(size_t)};
	}
	cr_assert_gt(n, 0, "%s: an extra part without fields", s->what);
	check_tiling(s->what, spans, n, s->extra_size, align);
}

/* Checks one shape's tiling, then every shape below it. */
static void check_shape(const struct shape *s, size_t depth)
{
	cr_assert_lt(depth, 10);
	struct span spans[130];
	size_t n = 0;
	if (s->extra_size) {
		check_extra(s);
		spans[n++] = (struct span){s->extra_off, sizeof(void *), alignof(void *)};
	}
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		if (f->extra) {
			if (f->kind == F_OBJ || f->kind == F_PTR || f->kind == F_ARR)
				check_shape(f->shape, depth + 1);
			continue;
		}
		spans[n++] = field_span(f);
		if (f->kind == F_ARR)
			spans[n++] = (struct span){f->count_off, sizeof(size_t), alignof(size_t)};
		if (f->kind == F_OBJ || f->kind == F_PTR || f->kind == F_ARR)
			check_shape(f->shape, depth + 1);
	}
	if (s == &ir_shape_pos)  /* the pointer is where a position came from, never written */
		spans[n++] = (struct span){offsetof(struct ir_pos, pointer), sizeof(char *),
					   alignof(char *)};
	/* `incomplete` marks IR lowered with errors, which is never written */
	if (strcmp(s->what, "step") == 0)
		spans[n++] = (struct span){offsetof(struct ir_step, incomplete), sizeof(bool),
					   alignof(bool)};
	if (strcmp(s->what, "pipeline") == 0)
		spans[n++] = (struct span){offsetof(struct ir_pipeline, incomplete), sizeof(bool),
					   alignof(bool)};
	if (strcmp(s->what, "artifact") == 0)  /* where the frontend found it, never written */
		spans[n++] = (struct span){offsetof(struct ir_artifact, pos), sizeof(struct ir_pos),
					   alignof(struct ir_pos)};
	if (s == &ir_shape_doc)  /* the normalizer's mark, never written */
		spans[n++] = (struct span){offsetof(struct ir_doc, normalized), sizeof(bool),
					   alignof(bool)};
	size_t align = shape_align(s);
	if (s->extra_size && alignof(void *) > align)
		align = alignof(void *);
	check_tiling(s->what, spans, n, s->size, align);
}

Test(shape, every_byte_of_every_struct_is_a_field)
{
	check_shape(&ir_shape_doc, 0);
}

Test(shape, json_names_are_unique_per_object)
{
	const struct shape *s = &ir_shape_doc;
	const struct shape *pipeline = s->fields[1].shape;
	const struct shape *step = NULL;
	for (size_t i = 0; i < pipeline->nfields; i++)
		if (strcmp(pipeline->fields[i].name, "steps") == 0)
			step = pipeline->fields[i].shape;
	cr_assert_not_null(step);
	const struct shape *all[] = {s, pipeline, step};
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < all[k]->nfields; i++)
			for (size_t j = i + 1; j < all[k]->nfields; j++)
				cr_assert_str_neq(all[k]->fields[i].name, all[k]->fields[j].name);
}

/* Each field's `namelen` is its name's length, in `s` and the shapes below it. */
static void check_name_lengths(const struct shape *s, size_t depth)
{
	cr_assert_lt(depth, 10);
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		cr_assert_eq(f->namelen, strlen(f->name), "%s: '%s'", s->what, f->name);
		if (f->shape)
			check_name_lengths(f->shape, depth + 1);
	}
}

Test(shape, name_lengths_are_counted_right)
{
	check_name_lengths(&ir_shape_doc, 0);
}
