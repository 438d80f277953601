/*
 * yaml.c - a YAML stream into trees of positioned nodes.
 *
 * libyaml's event parser drives a recursive descent: each event that
 * starts a node makes one struct fe_node in the arena, positioned from
 * libyaml's zero-based marks plus one.  Anchors go into a small hash
 * table when their node is complete (so a node cannot contain itself);
 * an alias is a shallow copy of the anchored node carrying the alias's
 * own position, so the subtree is shared, never copied.  Each node knows
 * its weight, the size of its subtree with aliases expanded, and every
 * alias adds its target's weight to a running total: a "billion laughs"
 * file is refused after FE_MAX_ALIAS_NODES in constant extra memory, and
 * no later walk of the tree can do more work than that bound allows.
 * Merge keys (`<<`) are applied while a map is built; keys written in
 * the map win over merged ones, and earlier merge sources over later.
 *
 * The children of the sequences and maps being read wait on two stacks
 * shared by the whole reader (a child is complete, and its own children
 * popped, before its parent pushes it), so a node's arrays are copied to
 * the arena once, at its end, with no allocation per node.  A caller may
 * give the tree (nodes and their arrays) an arena of its own, to free it
 * once the tree is lowered; scalar text stays in the main arena, as the
 * IR keeps pointing at it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <yaml.h>

#include "frontend/internal.h"

/* A large file has many nodes: keep them at 24 bytes on 64-bit hosts. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct fe_node) <= 24, "fe_node grew");

/* A growable stack of pointers or pairs, malloc'd. */
struct vec {
	void *v;
	size_t n, cap, size;
};

/*
 * A run of arena memory handed out in small pieces: nodes and their
 * arrays (zeroed by the arena; every piece a multiple of 8 bytes, so all
 * stay aligned) and scalar text (bytes, no alignment).  One arena
 * allocation per SLAB_SIZE bytes instead of one per node or string.
 * Small enough that the arena's zeroing stays a plain loop of vector
 * stores.
 */
#define SLAB_SIZE 2048

struct slab {
	char *p;
	size_t left;
};

static void *slab_take(struct slab *s, struct ir_arena *a, size_t size)
{
	if (size > SLAB_SIZE / 4)
		return ir_alloc(a, size);
	if (s->left < size) {
		s->p = ir_alloc(a, SLAB_SIZE);
		s->left = SLAB_SIZE;
	}
	void *out = s->p;
	s->p += size;
	s->left -= size;
	return out;
}

struct anchor {
	const char *name;
	struct fe_node *node;
};

/* A short text stored once; hash and length decide before its bytes do. */
struct interned {
	const char *text;
	uint32_t hash, len;
};

struct reader {
	yaml_parser_t parser;
	const char *path;
	const char *text;
	size_t len;
	struct ir_arena *a;         /* scalar text */
	struct ir_arena *tree;      /* nodes, their arrays, anchor names */
	struct diag_list *dl;
	struct vec *items, *pairs;  /* children of the open nodes */
	struct slab node_slab;      /* where the next node goes */
	struct slab text_slab;      /* where the next scalar text goes */
	struct interned *short_text; /* open addressing, malloc'd */
	size_t nshort, short_cap;
	struct anchor *anchors;     /* open addressing, malloc'd */
	size_t nanchors, cap;
	uint32_t alias_nodes;
	bool failed;
	/* Text before `base`, the start of line `base_line` (from 0), is
	 * read and may have been given back (fe_docs.release_text): what
	 * looks at the text for an error starts there. */
	size_t base, base_line;
	size_t doc_end_line;        /* where the last document read ended */
};

static struct ir_pos mark_pos(const struct reader *r, yaml_mark_t m)
{
	return (struct ir_pos){.file = r->path, .line = (int)m.line + 1,
			       .col = (int)m.column + 1};
}

/* Line and column (in characters) of a byte offset, for reader errors. */
static struct ir_pos offset_pos(const struct reader *r, size_t off)
{
	struct ir_pos pos = {.file = r->path, .line = (int)r->base_line + 1, .col = 1};
	for (size_t i = r->base; i < off && i < r->len; i++) {
		if (r->text[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else if (((unsigned char)r->text[i] & 0xC0) != 0x80) {
			pos.col++;
		}
	}
	return pos;
}

static int fail(struct reader *r, struct ir_pos pos, const char *rule,
		const char *fmt, const char *arg)
{
	r->failed = true;
	return diag_error(r->dl, pos, rule, fmt, arg);
}

/* libyaml's messages are capitalised only for "UTF-8" and "BOM". */
static char *lower(struct ir_arena *a, const char *s)
{
	char *t = ir_strdup(a, s ? s : "syntax error");
	for (char *p = t; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return t;
}

/*
 * The column (from 1) of a tab in the indentation of line `line` (from
 * 0), or 0.  libyaml says only that a tab "cannot start any token".
 */
static int indenting_tab(const struct reader *r, size_t line)
{
	const char *t = r->text + r->base, *end = r->text + r->len;
	if (line < r->base_line)
		return 0;
	for (size_t n = r->base_line; n < line && t < end; t++)
		n += *t == '\n';
	for (const char *c = t; c < end && (*c == ' ' || *c == '\t'); c++)
		if (*c == '\t')
			return (int)(c - t) + 1;
	return 0;
}

static void syntax_error(struct reader *r)
{
	yaml_parser_t *p = &r->parser;
	int tab = p->error == YAML_SCANNER_ERROR ? indenting_tab(r, p->problem_mark.line) : 0;
	if (tab) {
		struct ir_pos at = {.file = r->path, .line = (int)p->problem_mark.line + 1, .col = tab};
		fail(r, at, "yaml-syntax", "%s", "tabs cannot indent YAML; indent with spaces");
		return;
	}
	char *msg = lower(r->a, p->problem);
	if (p->error == YAML_READER_ERROR) {
		const char *rule = strstr(msg, "utf") ? "invalid-utf8" : "yaml-syntax";
		fail(r, offset_pos(r, p->problem_offset), rule, "%s", msg);
		return;
	}
	if (p->error == YAML_MEMORY_ERROR) {
		fail(r, offset_pos(r, 0), "yaml-syntax", "%s", "out of memory");
		return;
	}
	if (p->context)
		msg = ir_printf(r->a, "%s %s that started at %zu:%zu", msg,
				p->context, p->context_mark.line + 1,
				p->context_mark.column + 1);
	fail(r, mark_pos(r, p->problem_mark), "yaml-syntax", "%s", msg);
}

static bool next(struct reader *r, yaml_event_t *ev)
{
	if (r->failed)
		return false;
	if (!yaml_parser_parse(&r->parser, ev)) {
		syntax_error(r);
		return false;
	}
	return true;
}

/* ---- anchors --------------------------------------------------------- */

static size_t hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct anchor *anchor_slot(struct anchor *t, size_t cap, const char *name)
{
	size_t i = hash(name) & (cap - 1);
	while (t[i].name && strcmp(t[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static void anchor_grow(struct reader *r)
{
	size_t cap = r->cap ? r->cap * 2 : 64;
	struct anchor *t = calloc(cap, sizeof *t);
	if (!t)
		abort();
	for (size_t i = 0; i < r->cap; i++)
		if (r->anchors[i].name)
			*anchor_slot(t, cap, r->anchors[i].name) = r->anchors[i];
	free(r->anchors);
	r->anchors = t;
	r->cap = cap;
}

/* A later anchor of the same name replaces the earlier one, as in YAML. */
static void anchor_add(struct reader *r, const yaml_char_t *name, struct fe_node *n)
{
	if ((r->nanchors + 1) * 2 > r->cap)
		anchor_grow(r);
	struct anchor *s = anchor_slot(r->anchors, r->cap, (const char *)name);
	if (!s->name) {
		s->name = ir_strdup(r->tree, (const char *)name);
		r->nanchors++;
	}
	s->node = n;
}

/* Most nodes have no anchor: that test alone is inlined. */
static inline void anchor_set(struct reader *r, const yaml_char_t *name, struct fe_node *n)
{
	if (name)
		anchor_add(r, name, n);
}

static struct fe_node *anchor_get(struct reader *r, const char *name)
{
	if (!r->cap)
		return NULL;
	return anchor_slot(r->anchors, r->cap, name)->node;
}

/* ---- nodes ----------------------------------------------------------- */

static uint32_t add_weight(uint32_t a, uint32_t b)
{
	return a + b > FE_WEIGHT_MAX ? FE_WEIGHT_MAX : a + b;
}

/* A zeroed node: slab pieces are a multiple of the node's own alignment. */
static struct fe_node *node_alloc(struct reader *r)
{
	_Static_assert(sizeof(struct fe_node) % _Alignof(struct fe_node) == 0, "nodes tile");
	return slab_take(&r->node_slab, r->tree, sizeof(struct fe_node));
}

static void node_place(struct fe_node *n, struct ir_pos pos)
{
	n->line = (uint32_t)pos.line;
	n->col = (uint32_t)pos.col;
}

static struct fe_node *node_new(struct reader *r, enum fe_node_kind kind, yaml_mark_t m)
{
	struct fe_node *n = node_alloc(r);
	n->kind = kind;
	node_place(n, mark_pos(r, m));
	n->weight = 1;
	return n;
}

static struct fe_node *parse_node(struct reader *r, yaml_event_t *ev, int depth);

static unsigned char scalar_style(yaml_scalar_style_t st)
{
	switch (st) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: return FE_STYLE_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return FE_STYLE_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE: return FE_STYLE_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE: return FE_STYLE_FOLDED;
	default: return FE_STYLE_PLAIN;
	}
}

/*
 * Short scalars repeat: every step has its `name:` and `image:` keys, and
 * most share an image, a branch list, an event.  Each distinct short text
 * is stored once.  The table holds only pointers and stops growing at
 * INTERN_SLOTS, so a file of all-different words costs little more than
 * before.
 */
#define INTERN_LEN 24
#define INTERN_SLOTS (1u << 15)

static uint64_t load64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static uint32_t load32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

/*
 * Words, not bytes: a bytewise hash is one multiply per byte, each
 * waiting on the last, and this runs for most scalars of a file.  The
 * words overlap rather than run past the text (so nothing outside the
 * scalar's allocation is read); equal texts still hash alike.
 */
static uint32_t text_hash(const char *s, size_t len)
{
	uint64_t a = 0, b = 0, c = 0;
	if (len >= 8) {
		a = load64(s);
		b = load64(s + len - 8);
		if (len > 16)
			c = load64(s + 8);
	} else if (len >= 4) {
		a = load32(s);
		b = load32(s + len - 4);
	} else if (len > 0) {
		a = (unsigned char)s[0] | (unsigned)(unsigned char)s[len / 2] << 8 |
		    (unsigned)(unsigned char)s[len - 1] << 16;
	}
	uint64_t h = (a * 0x9E3779B97F4A7C15u) ^ (b * 0xC2B2AE3D27D4EB4Fu) ^
		     (c * 0x165667B19E3779F9u) ^ len;
	return (uint32_t)((h ^ (h >> 29)) * 0xBF58476D1CE4E5B9u >> 32);
}

static bool intern_grow(struct reader *r)
{
	if (r->short_cap >= INTERN_SLOTS)
		return false;
	size_t cap = r->short_cap ? r->short_cap * 2 : 1024;
	struct interned *t = calloc(cap, sizeof *t);
	if (!t)
		return false;
	for (size_t i = 0; i < r->short_cap; i++) {
		const struct interned *e = &r->short_text[i];
		if (!e->text)
			continue;
		size_t j = e->hash & (cap - 1);
		while (t[j].text)
			j = (j + 1) & (cap - 1);
		t[j] = *e;
	}
	free(r->short_text);
	r->short_text = t;
	r->short_cap = cap;
	return true;
}

/* A scalar's text, NUL-terminated, packed with the others in the main arena. */
static char *text_copy(struct reader *r, const char *s, size_t len)
{
	char *t = slab_take(&r->text_slab, r->a, len + 1);
	memcpy(t, s, len);
	t[len] = '\0';
	return t;
}

/*
 * A full table is still searched; only new texts stay out of it.  A text
 * with a NUL inside is stored like any other: its length is kept.
 */
static char *text_of(struct reader *r, const char *s, size_t len)
{
	if (len > INTERN_LEN)
		return text_copy(r, s, len);
	bool room = r->nshort * 2 < r->short_cap || intern_grow(r);
	if (!r->short_cap)
		return text_copy(r, s, len);
	uint32_t h = text_hash(s, len);
	size_t mask = r->short_cap - 1, i = h & mask;
	for (struct interned *e; (e = &r->short_text[i])->text; i = (i + 1) & mask)
		if (e->hash == h && e->len == len && memcmp(e->text, s, len) == 0)
			return (char *)e->text;
	char *t = text_copy(r, s, len);
	if (room) {
		r->short_text[i] = (struct interned){t, h, (uint32_t)len};
		r->nshort++;
	}
	return t;
}

static struct fe_node *scalar(struct reader *r, yaml_event_t *ev)
{
	struct fe_node *n = node_alloc(r);
	struct ir_pos pos = mark_pos(r, ev->start_mark);
	size_t len = ev->data.scalar.length;
	/* One store of the whole node: its bit-fields set one by one would
	 * each read back the word the last one wrote. */
	*n = (struct fe_node){
		.str = text_of(r, (const char *)ev->data.scalar.value, len),
		.line = (uint32_t)pos.line, .col = (uint32_t)pos.col,
		.len = (uint32_t)len, .weight = 1, .kind = FE_SCALAR,
		/* a tag (`!!str 1`) makes a plain scalar plain text */
		.plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag,
		.style = scalar_style(ev->data.scalar.style),
	};
	anchor_set(r, ev->data.scalar.anchor, n);
	return n;
}

static struct fe_node *alias(struct reader *r, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct fe_node *target = anchor_get(r, name);
	struct ir_pos pos = mark_pos(r, ev->start_mark);
	if (!target) {
		fail(r, pos, "unknown-anchor", "unknown anchor '%s'", name);
		return NULL;
	}
	r->alias_nodes = add_weight(r->alias_nodes, target->weight);
	if (r->alias_nodes > FE_MAX_ALIAS_NODES) {
		fail(r, pos, "alias-limit", "aliases expand to more than %s nodes",
		     ir_printf(r->a, "%d", FE_MAX_ALIAS_NODES));
		return NULL;
	}
	struct fe_node *n = node_alloc(r);
	target->aliased = 1;
	*n = *target;
	n->alias = 1;
	n->aliased = 0;
	node_place(n, pos);
	return n;
}

/* Room for one more: out of line, as it is seldom needed. */
static void vec_grow(struct vec *v)
{
	v->cap = v->cap ? v->cap * 2 : 64;
	v->v = realloc(v->v, v->cap * v->size);
	if (!v->v)
		abort();
}

/* One push per node read: a stack's element type is known at each call. */
static inline void push_node(struct vec *v, struct fe_node *n)
{
	if (v->n == v->cap)
		vec_grow(v);
	((struct fe_node **)v->v)[v->n++] = n;
}

static inline void push_pair(struct vec *v, struct fe_pair p)
{
	if (v->n == v->cap)
		vec_grow(v);
	((struct fe_pair *)v->v)[v->n++] = p;
}

/* NULL before the first push: no arithmetic on a null pointer, even + 0. */
static void *vec_at(const struct vec *v, size_t i)
{
	return v->v ? (char *)v->v + i * v->size : NULL;
}

/*
 * Pops what was pushed since `base` into an array among the nodes, so
 * that a subtree's nodes and arrays lie in one run (fe_prefetch()).
 */
static void *vec_pop_to(struct vec *v, size_t base, struct reader *r)
{
	size_t n = v->n - base;
	void *out = slab_take(&r->node_slab, r->tree, (n ? n : 1) * v->size);
	if (n)
		memcpy(out, vec_at(v, base), n * v->size);
	v->n = base;
	return out;
}

static struct fe_node *sequence(struct reader *r, yaml_event_t *ev, int depth)
{
	struct fe_node *n = node_new(r, FE_SEQ, ev->start_mark);
	yaml_char_t *anchor = ev->data.sequence_start.anchor;
	size_t base = r->items->n;
	yaml_event_t e;
	while (next(r, &e)) {
		if (e.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		struct fe_node *item = parse_node(r, &e, depth + 1);
		if (item) {
			push_node(r->items, item);
			n->weight = add_weight(n->weight, item->weight);
		}
	}
	n->nitems = (uint32_t)(r->items->n - base);
	n->items = vec_pop_to(r->items, base, r);
	anchor_set(r, anchor, n);
	return n;
}

static bool is_merge_key(const struct fe_node *k)
{
	return k->kind == FE_SCALAR && k->plain && k->len == 2 && k->str[0] == '<' &&
	       k->str[1] == '<';
}

static bool same_key(const struct fe_node *a, const struct fe_node *b)
{
	return a->kind == FE_SCALAR && b->kind == FE_SCALAR && a->len == b->len &&
	       memcmp(a->str, b->str, a->len) == 0;
}

/* Whether the pairs pushed since `base` have key `k`. */
static bool has_key(const struct vec *pairs, size_t base, const struct fe_node *k)
{
	for (size_t i = base; i < pairs->n; i++)
		if (same_key(((const struct fe_pair *)vec_at(pairs, i))->key, k))
			return true;
	return false;
}

/* `<<: *a` or `<<: [*a, *b]`: adds the pairs whose keys are not set yet. */
static void merge(struct reader *r, size_t base, const struct fe_node *src)
{
	const struct fe_node *const *srcs = &src;
	size_t n = 1;
	if (src->kind == FE_SEQ) {
		srcs = (const struct fe_node *const *)src->items;
		n = src->nitems;
	}
	for (size_t i = 0; i < n; i++) {
		if (srcs[i]->kind != FE_MAP) {
			diag_error(r->dl, fe_pos(r->path, srcs[i]), "invalid-merge",
				   "a merge key takes a map or a sequence of maps");
			continue;
		}
		for (size_t j = 0; j < srcs[i]->npairs; j++)
			if (!has_key(r->pairs, base, srcs[i]->pairs[j].key))
				push_pair(r->pairs, srcs[i]->pairs[j]);
	}
}

static int cmp_pair_key(const void *x, const void *y)
{
	const struct fe_pair *a = *(const struct fe_pair *const *)x;
	const struct fe_pair *b = *(const struct fe_pair *const *)y;
	size_t n = a->key->len < b->key->len ? a->key->len : b->key->len;
	int c = memcmp(a->key->str, b->key->str, n);
	if (c == 0 && a->key->len != b->key->len)
		c = a->key->len < b->key->len ? -1 : 1;
	if (c == 0)
		c = a < b ? -1 : a > b;
	return c;
}

/* Small maps, the usual ones, are compared pairwise: most have no repeat. */
#define FEW_PAIRS 16

static bool any_repeat(const struct fe_pair *pairs, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (same_key(pairs[j].key, pairs[i].key))
				return true;
	return false;
}

/*
 * Repeats are reported in key order, from a sorted copy: sorting (not
 * pairwise comparison) keeps a huge hostile map linear-ish.  Drone's YAML
 * reader keeps a repeated key's last value, so a file Drone runs is not
 * refused for one: the earlier pairs are dropped, with a warning each.
 */
static void check_duplicates(struct reader *r, struct fe_pair *pairs, size_t *n)
{
	if (*n < 2 || (*n <= FEW_PAIRS && !any_repeat(pairs, *n)))
		return;
	const struct fe_pair **v = malloc(*n * sizeof *v);
	size_t m = 0;
	if (!v)
		abort();
	for (size_t i = 0; i < *n; i++)
		if (pairs[i].key->kind == FE_SCALAR)
			v[m++] = &pairs[i];
	qsort(v, m, sizeof *v, cmp_pair_key);
	for (size_t i = 1; i < m; i++) {
		if (!same_key(v[i - 1]->key, v[i]->key))
			continue;
		const struct fe_node *first = v[i - 1]->key, *k = v[i]->key;
		diag_warning(r->dl, fe_pos(r->path, k), "duplicate-key",
			     "duplicate key '%s' (first at line %d); the last value is used, "
			     "as in Drone", k->str, (int)first->line);
		diag_relate(r->dl, fe_pos(r->path, first), "'%s' is first written here", k->str);
		((struct fe_pair *)v[i - 1])->key = NULL;       /* sorted by place */
	}
	free(v);
	size_t kept = 0;
	for (size_t i = 0; i < *n; i++)
		if (pairs[i].key)
			pairs[kept++] = pairs[i];
	*n = kept;
}

/*
 * A map's pairs wait on the pair stack and its merge sources on the item
 * stack; the merges are applied after the written pairs are checked.
 */
static struct fe_node *mapping(struct reader *r, yaml_event_t *ev, int depth)
{
	struct fe_node *n = node_new(r, FE_MAP, ev->start_mark);
	yaml_char_t *anchor = ev->data.mapping_start.anchor;
	size_t base = r->pairs->n, merges = r->items->n;
	yaml_event_t e;
	while (next(r, &e)) {
		if (e.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		struct fe_node *k = parse_node(r, &e, depth + 1);
		struct fe_node *v = next(r, &e) ? parse_node(r, &e, depth + 1) : NULL;
		if (!k || !v)
			continue;
		if (is_merge_key(k))
			push_node(r->items, v);
		else
			push_pair(r->pairs, (struct fe_pair){k, v});
		n->weight = add_weight(n->weight, add_weight(k->weight, v->weight));
	}
	size_t written = r->pairs->n - base;
	check_duplicates(r, vec_at(r->pairs, base), &written);
	r->pairs->n = base + written;
	for (size_t i = merges; i < r->items->n; i++)
		merge(r, base, *(struct fe_node **)vec_at(r->items, i));
	r->items->n = merges;
	n->npairs = (uint32_t)(r->pairs->n - base);
	n->pairs = vec_pop_to(r->pairs, base, r);
	anchor_set(r, anchor, n);
	return n;
}

/* Parses the node that `ev` starts; consumes `ev`.  NULL after an error. */
static struct fe_node *parse_node(struct reader *r, yaml_event_t *ev, int depth)
{
	struct fe_node *n = NULL;
	if (depth > FE_MAX_DEPTH) {
		fail(r, mark_pos(r, ev->start_mark), "yaml-too-deep",
		     "nesting deeper than %s levels",
		     ir_printf(r->a, "%d", FE_MAX_DEPTH));
		yaml_event_delete(ev);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: n = scalar(r, ev); break;
	case YAML_ALIAS_EVENT: n = alias(r, ev); break;
	case YAML_SEQUENCE_START_EVENT: n = sequence(r, ev, depth); break;
	case YAML_MAPPING_START_EVENT: n = mapping(r, ev, depth); break;
	default: break;
	}
	yaml_event_delete(ev);
	return n;
}

/* Reads one document's root; false at the end of the stream or an error. */
static bool document(struct reader *r, struct vec *docs, size_t *ndocs)
{
	yaml_event_t e;
	if (!next(r, &e))
		return false;
	if (e.type != YAML_DOCUMENT_START_EVENT) {
		yaml_event_delete(&e);
		return false;
	}
	struct ir_pos pos = mark_pos(r, e.start_mark);
	yaml_event_delete(&e);
	if ((*ndocs)++ >= FE_MAX_DOCUMENTS) {
		fail(r, pos, "too-many-documents", "more than %s documents",
		     ir_printf(r->a, "%d", FE_MAX_DOCUMENTS));
		return false;
	}
	struct fe_node *root = next(r, &e) ? parse_node(r, &e, 1) : NULL;
	if (root && !r->failed)
		push_node(docs, root);
	if (next(r, &e)) {  /* DOCUMENT-END */
		r->doc_end_line = e.start_mark.line;
		yaml_event_delete(&e);
	}
	return !r->failed;
}

/*
 * Moves the base to the start of the line the last document ended on,
 * all of whose text before it the parser has read, and gives back the
 * whole pages before it: a large file is not held twice, as text and as
 * IR.  The caller mapped the text for this (fe_docs.release_text).
 */
static void release_read(struct reader *r)
{
	while (r->base_line < r->doc_end_line) {
		const char *nl = memchr(r->text + r->base, '\n', r->len - r->base);
		if (!nl)
			return;
		r->base = (size_t)(nl - r->text) + 1;
		r->base_line++;
	}
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)r->text + page - 1) & ~(page - 1);
	uintptr_t to = ((uintptr_t)r->text + r->base) & ~(page - 1);
	if (to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
}

/*
 * Anchors name nodes of their own document only, as in YAML: an alias
 * to an earlier document is unknown.  A handed-out document's nodes go
 * with it, so the tree's arena starts again.
 */
static void document_done(struct reader *r, struct vec *docs, struct fe_docs *out)
{
	if (r->cap)
		memset(r->anchors, 0, r->cap * sizeof *r->anchors);
	r->nanchors = 0;
	if (!out->each || !docs->n)
		return;
	if (out->release_text)      /* before lowering: the tree has it all */
		release_read(r);
	out->each(out->each_arg, ((struct fe_node **)docs->v)[0]);
	docs->n = 0;
	if (out->tree) {
		r->node_slab = (struct slab){0};
		ir_arena_reset(out->tree);
	}
}

int fe_yaml_read(const char *path, const char *text, size_t len,
		 struct ir_arena *a, struct fe_docs *out, struct diag_list *dl)
{
	struct vec items = {.size = sizeof(struct fe_node *)};
	struct vec pairs = {.size = sizeof(struct fe_pair)};
	struct reader r = {.path = path, .text = text, .len = len, .a = a,
			   .tree = out->tree ? out->tree : a, .dl = dl,
			   .items = &items, .pairs = &pairs};
	struct vec docs = {.size = sizeof(struct fe_node *)};
	yaml_event_t e;
	yaml_parser_initialize(&r.parser);
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	if (next(&r, &e))   /* STREAM-START */
		yaml_event_delete(&e);
	size_t ndocs = 0;
	while (document(&r, &docs, &ndocs))
		document_done(&r, &docs, out);
	document_done(&r, &docs, out);
	yaml_parser_delete(&r.parser);
	free(r.anchors);
	free(r.short_text);
	free(items.v);
	free(pairs.v);
	out->n = docs.n;
	out->file = path;
	out->v = vec_pop_to(&docs, 0, &r);
	free(docs.v);
	return r.failed ? -1 : 0;
}

void fe_docs_release(struct fe_docs *docs)
{
	ir_arena_free(docs->tree);
	*docs = (struct fe_docs){0};
}

/*
 * A map or sequence is made when it starts and its array when it ends,
 * both from the node slab, so its subtree lies between the two: one run
 * to ask the cache for.  An alias, or an array too large for the slab,
 * breaks the run; the cap keeps such a range to a hint's size.
 */
#define PREFETCH_MAX 4096

void fe_prefetch(const struct fe_node *n)
{
	/* addresses as numbers: an alias's array is another object */
	uintptr_t p = (uintptr_t)n, end = p + 1;
	if (n->kind == FE_MAP)
		end = (uintptr_t)(n->pairs + n->npairs);
	else if (n->kind == FE_SEQ)
		end = (uintptr_t)(n->items + n->nitems);
	if (end <= p || end - p > PREFETCH_MAX)
		end = p + 1;
#ifdef __GNUC__
	for (; p < end; p += 64)
		__builtin_prefetch((const void *)p);
#endif
}

/* The first byte is compared before the call: most keys differ there. */
struct fe_node *fe_map_get(const struct fe_node *map, const char *key)
{
	if (!map || map->kind != FE_MAP)
		return NULL;
	for (size_t i = 0; i < map->npairs; i++) {
		const struct fe_node *k = map->pairs[i].key;
		if (k->kind == FE_SCALAR && k->str[0] == key[0] && strcmp(k->str, key) == 0)
			return map->pairs[i].value;
	}
	return NULL;
}

bool fe_null_word(const char *s)
{
	return (s[0] == 'n' || s[0] == 'N') &&
	       (!strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"));
}
