/*
 * write.c - ir_write(), canonical IR v1 JSON.
 *
 * The document is first turned into a cJSON tree by walking the shape
 * tables of shape.c, so keys come out in ir.h's declaration order and
 * zero values are left out in one place.  Integers enter the tree as raw
 * text, never as doubles, so 64-bit values survive exactly.  cJSON's own
 * printer puts arrays on one line and indents with tabs, so the tree is
 * printed here: two-space indent, one element per line, or one line for
 * IR_WRITE_COMPACT.  cJSON still escapes every string.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"

_Static_assert(sizeof(enum ir_pull) == sizeof(int), "IR enums are stored as int");

static void out_of_memory(void)
{
	fputs("pipec: out of memory\n", stderr);
	abort();
}

static cJSON *checked(cJSON *item)
{
	if (!item)
		out_of_memory();
	return item;
}

static void add(cJSON *obj, const char *key, cJSON *item)
{
	cJSON_AddItemToObject(obj, key, checked(item));
}

static cJSON *int_item(int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRId64, v);
	return cJSON_CreateRaw(buf);
}

static cJSON *strs_item(const struct ir_strs *s)
{
	cJSON *arr = checked(cJSON_CreateArray());
	for (size_t i = 0; i < s->n; i++)
		cJSON_AddItemToArray(arr, checked(cJSON_CreateString(s->v[i] ? s->v[i] : "")));
	return arr;
}

static int kv_cmp(const void *a, const void *b)
{
	const struct ir_kv *x = *(const struct ir_kv *const *)a;
	const struct ir_kv *y = *(const struct ir_kv *const *)b;
	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

/* An environment map, sorted by key so equal maps print equally. */
static cJSON *env_item(const struct ir_env *env)
{
	const struct ir_kv **sorted = malloc(env->n * sizeof *sorted);
	if (!sorted)
		out_of_memory();
	for (size_t i = 0; i < env->n; i++)
		sorted[i] = &env->v[i];
	qsort(sorted, env->n, sizeof *sorted, kv_cmp);
	cJSON *obj = checked(cJSON_CreateObject());
	for (size_t i = 0; i < env->n; i++)
		add(obj, sorted[i]->key ? sorted[i]->key : "",
		    cJSON_CreateString(sorted[i]->value ? sorted[i]->value : ""));
	free(sorted);
	return obj;
}

static cJSON *shape_item(const struct shape *s, const void *obj);

static cJSON *array_item(const struct field *f, const char *base)
{
	size_t n = *(const size_t *)(base + f->count_off);
	const char *items = *(const char *const *)(base + f->off);
	cJSON *arr = checked(cJSON_CreateArray());
	for (size_t i = 0; i < n && items; i++)
		cJSON_AddItemToArray(arr, shape_item(f->shape, items + i * f->shape->size));
	return arr;
}

/* Adds `f` of the struct at `base` to `obj`, unless it is at its zero value. */
static void write_field(cJSON *obj, const struct field *f, const char *base)
{
	const void *p = base + f->off;
	switch (f->kind) {
	case F_STR: {
		const char *v = *(const char *const *)p;
		if (v || f->always)
			add(obj, f->name, cJSON_CreateString(v ? v : ""));
		break;
	}
	case F_BOOL:
		if (*(const bool *)p)
			add(obj, f->name, cJSON_CreateTrue());
		break;
	case F_INT:
		if (*(const int *)p || f->always)
			add(obj, f->name, int_item(*(const int *)p));
		break;
	case F_I64:
		if (*(const int64_t *)p)
			add(obj, f->name, int_item(*(const int64_t *)p));
		break;
	case F_ENUM:
		if (*(const int *)p || f->always)
			add(obj, f->name, cJSON_CreateString(f->enumer->name(*(const unsigned *)p)));
		break;
	case F_STRS:
		if (((const struct ir_strs *)p)->v)
			add(obj, f->name, strs_item(p));
		break;
	case F_ENV:
		if (((const struct ir_env *)p)->n)
			add(obj, f->name, env_item(p));
		break;
	case F_POS:
		if (((const struct ir_pos *)p)->line > 0)
			add(obj, f->name, shape_item(f->shape, p));
		break;
	case F_OBJ: {
		cJSON *sub = shape_item(f->shape, p);
		if (sub->child || f->always)
			add(obj, f->name, sub);
		else
			cJSON_Delete(sub);
		break;
	}
	case F_PTR:
		if (*(const void *const *)p)
			add(obj, f->name, shape_item(f->shape, *(const void *const *)p));
		break;
	case F_ARR:
		if (*(const size_t *)(base + f->count_off) || f->always)
			add(obj, f->name, array_item(f, base));
		break;
	}
}

static cJSON *shape_item(const struct shape *s, const void *obj)
{
	cJSON *o = checked(cJSON_CreateObject());
	for (size_t i = 0; i < s->nfields; i++)
		write_field(o, &s->fields[i], obj);
	return o;
}

/* ---- the printer ----------------------------------------------------- */

struct out {
	char *p;
	size_t len, cap;
	bool compact;
	char *scratch;          /* where cJSON escapes one string */
	size_t scratch_cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *p = realloc(o->p, cap);
		if (!p)
			out_of_memory();
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void newline(struct out *o, int depth)
{
	if (o->compact)
		return;
	put(o, "\n", 1);
	for (int i = 0; i < depth; i++)
		put(o, "  ", 2);
}

/*
 * A JSON string literal for `s`, escaped by cJSON into a scratch buffer
 * big enough for the worst case (every byte a six-byte \u escape), so
 * the many short strings of an IR cost no allocation each.
 */
static void put_string(struct out *o, const char *s)
{
	size_t need = strlen(s) * 6 + 3 + 5;    /* cJSON asks for 5 spare bytes */
	if (need > INT_MAX)
		out_of_memory();
	if (need > o->scratch_cap) {
		free(o->scratch);
		o->scratch_cap = need > 4096 ? need : 4096;
		o->scratch = malloc(o->scratch_cap);
		if (!o->scratch)
			out_of_memory();
	}
	cJSON tmp = {.type = cJSON_String | cJSON_IsReference, .valuestring = (char *)s};
	if (!cJSON_PrintPreallocated(&tmp, o->scratch, (int)o->scratch_cap, false))
		out_of_memory();
	puts_(o, o->scratch);
}

static void print_item(struct out *o, const cJSON *v, int depth)
{
	if (cJSON_IsRaw(v)) {
		puts_(o, v->valuestring);
	} else if (cJSON_IsString(v)) {
		put_string(o, v->valuestring);
	} else if (cJSON_IsBool(v)) {
		puts_(o, cJSON_IsTrue(v) ? "true" : "false");
	} else {
		bool obj = cJSON_IsObject(v);
		put(o, obj ? "{" : "[", 1);
		for (const cJSON *c = v->child; c; c = c->next) {
			newline(o, depth + 1);
			if (obj) {
				put_string(o, c->string);
				puts_(o, o->compact ? ":" : ": ");
			}
			print_item(o, c, depth + 1);
			if (c->next)
				put(o, ",", 1);
		}
		if (v->child)
			newline(o, depth);
		put(o, obj ? "}" : "]", 1);
	}
}

char *ir_write(const struct ir_doc *d, unsigned flags)
{
	cJSON *tree = shape_item(&ir_shape_doc, d);
	struct out o = {.compact = flags & IR_WRITE_COMPACT};
	print_item(&o, tree, 0);
	put(&o, "\n", 1);
	cJSON_Delete(tree);
	free(o.scratch);
	return o.p;
}
