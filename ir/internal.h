/*
 * internal.h - the IR v3 shape tables shared by the reader and the writer.
 *
 * Every IR struct is described once, as a list of fields in the order
 * ir.h declares them (a step's and its extra part's as one list): JSON name, kind, offset, and what the kind needs
 * (a nested shape, an enum, an integer range).  ir_read() checks JSON
 * against these tables and ir_write() walks them to emit keys in a fixed
 * order, so reader, writer and key order cannot drift apart.
 */
#ifndef PIPEC_IR_INTERNAL_H
#define PIPEC_IR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"

/* The largest integer a JSON number holds exactly (2^53 - 1). */
#define IR_INT_EXACT INT64_C(9007199254740991)

enum field_kind {
	F_STR,          /* char *, NULL absent */
	F_BOOL,         /* bool */
	F_INT,          /* int, within [min, max] */
	F_I64,          /* int64_t, within [min, max] */
	F_ENUM,         /* an enum stored as int, spelled by `enumer` */
	F_STRS,         /* struct ir_strs */
	F_ENV,          /* struct ir_env, a JSON object of strings */
	F_POS,          /* struct ir_pos, the `source` object */
	F_OBJ,          /* an embedded struct of `shape` */
	F_PTR,          /* a pointer to a struct of `shape`, NULL absent */
	F_ARR,          /* a pointer to `count_off`'s many structs of `shape` */
};

/* An enumeration's JSON spelling, through the tables in names.c. */
struct enumer {
	const char *(*name)(unsigned v);    /* "?" past the last value */
	int (*parse)(const char *s);        /* -1 when unknown */
};

struct shape;

struct field {
	const char *name;
	size_t namelen;                     /* strlen(name), known when compiled */
	enum field_kind kind;
	size_t off;
	size_t count_off;                   /* F_ARR: the size_t count */
	const struct shape *shape;          /* F_OBJ, F_PTR, F_ARR */
	const struct enumer *enumer;        /* F_ENUM */
	int64_t min, max;                   /* F_INT, F_I64; F_ARR: min items */
	unsigned required : 1;
	unsigned always : 1;                /* written even at its zero value */
	unsigned since : 6;                 /* the IR version that added it; 0: the first */
	/* At `off` in the struct the shape's `extra` pointer points at (made
	 * when read, none written when NULL), not in the shape's own. */
	unsigned extra : 1;
};

struct shape {
	const char *what;
	size_t size;
	const struct field *fields;
	size_t nfields;
	/* Where the pointer to the fields marked `extra` is, and their
	 * struct's size; 0 when the shape has none. */
	size_t extra_off, extra_size;
};

/* The struct that holds `f` of `obj` (of shape `s`); NULL: none yet. */
static inline char *ir_field_base(const struct shape *s, const struct field *f, const void *obj)
{
	return f->extra ? *(char *const *)((const char *)obj + s->extra_off) : (char *)obj;
}

/* The shape of the whole document (version, pipelines). */
extern const struct shape ir_shape_doc;

/* The shape of a `source` object (file, line, column). */
extern const struct shape ir_shape_pos;

#endif
