/*
 * outline.c - a file's structure for editors: definitions, the names that
 * refer to them, and the keys each map takes.
 *
 * The outline is read from libyaml's events rather than from the node
 * tree the compiler lowers: the tree resolves aliases away and keeps only
 * where a node starts, while an editor needs anchors and aliases as
 * written, where each map ends, and whatever precedes a syntax error in a
 * half-typed file.  A stack of open collections gives each scalar its
 * path of keys ("steps", item, "depends_on"); a handful of paths say what
 * the scalar defines or names.  Which keys a map takes is not a second
 * table: the map's path is walked down the dialect's key table from the
 * document's kind, as the compiler checks it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "frontend/keys.h"

/* Deeper collections are read but not described. */
#define OUTLINE_MAX_DEPTH FE_MAX_DEPTH

/* A map as written: where it is, which key of which map leads to it. */
struct map_rec {
	int parent;                 /* the enclosing map, -1 at a document's root */
	const char *via;            /* the parent's key whose value (or item) it is */
	int doc;
	int line, end_line;         /* end_line INT_MAX while open */
	int key_col;                /* where its keys start; 0 before the first */
	const char *kind;           /* a root map's `kind`, when given */
	int item;                   /* the definition it makes (step, ...), or -1 */
};

/* A key of a map and where its scalar value is, if it has one. */
struct key_rec {
	int map;
	const char *name;
	struct fe_span span, value;
};

struct fe_outline {
	struct ir_arena *a;
	struct fe_item *items;
	size_t nitems, capitems;
	struct map_rec *maps;
	size_t nmaps, capmaps;
	struct key_rec *keys;
	size_t nkeys, capkeys;
};

/* One open collection while the events are read. */
struct frame {
	bool is_map;
	int map;                    /* its map_rec, when a map */
	const char *key;            /* a map's key awaiting its value */
	bool want_key;
	const char *via;            /* the key whose value this collection is */
};

struct walk {
	struct fe_outline *o;
	struct frame stack[OUTLINE_MAX_DEPTH];
	int depth;
	int doc;
	int name_item;              /* the item `name:` at the root made, or -1 */
};

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *nv = realloc(v, ncap * size);
	if (!nv)
		ir_oom();
	*cap = ncap;
	return nv;
}

static struct fe_span mark_span(yaml_mark_t s, yaml_mark_t e)
{
	return (struct fe_span){(int)s.line + 1, (int)s.column + 1, (int)e.line + 1,
				(int)e.column + 1};
}

/* The span of a scalar's text: inside its quotes when it has them. */
static struct fe_span scalar_span(const yaml_event_t *ev)
{
	struct fe_span s = mark_span(ev->start_mark, ev->end_mark);
	yaml_scalar_style_t st = ev->data.scalar.style;
	if ((st == YAML_SINGLE_QUOTED_SCALAR_STYLE || st == YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
	    s.line == s.end_line && s.end_col - s.col >= 2) {
		s.col++;
		s.end_col--;
	}
	if (ev->data.scalar.anchor) {
		/* the node starts at its anchor; the text follows `&name ` */
		s.col += (int)strlen((const char *)ev->data.scalar.anchor) + 2;
		if (s.col > s.end_col)
			s.col = s.end_col;
	}
	return s;
}

static int add_item(struct fe_outline *o, enum fe_item_kind kind, const char *name,
		    struct fe_span span, int doc, int parent)
{
	o->items = grow(o->items, &o->capitems, o->nitems, sizeof *o->items);
	o->items[o->nitems] = (struct fe_item){kind, ir_strdup(o->a, name), span, span, doc, parent};
	return (int)o->nitems++;
}

/* The path of keys from the document's root to the top of the stack:
 * a map gives its current key, a sequence "#" for its item. */
static int path_of(const struct walk *w, const char **path)
{
	int n = 0;
	for (int i = 0; i < w->depth; i++) {
		const struct frame *f = &w->stack[i];
		if (!f->is_map)
			path[n++] = "#";
		else if (f->key)
			path[n++] = f->key;
	}
	return n;
}

static bool path_is(const char **path, int n, const char *const *want, int nwant)
{
	if (n != nwant)
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(path[i], want[i]) != 0)
			return false;
	return true;
}

/* `steps`, `services` or `volumes` at the root: the item kind it defines. */
static int list_kind(const char *key)
{
	if (strcmp(key, "steps") == 0)
		return FE_DEF_STEP;
	if (strcmp(key, "services") == 0)
		return FE_DEF_SERVICE;
	if (strcmp(key, "volumes") == 0)
		return FE_DEF_VOLUME;
	return -1;
}

/* The map at the top of the stack, when it is one; else -1. */
static int top_map(const struct walk *w)
{
	if (w->depth == 0 || !w->stack[w->depth - 1].is_map)
		return -1;
	return w->stack[w->depth - 1].map;
}

/* A scalar value at `path`: what it defines or names, if anything. */
static void classify(struct walk *w, const char **path, int n, const char *text,
		     struct fe_span span)
{
	struct fe_outline *o = w->o;
	int m = top_map(w);
	if (n >= 1 && strcmp(path[n - 1], "from_secret") == 0) {
		add_item(o, FE_USE_SECRET, text, span, w->doc, -1);
		return;
	}
	if (path_is(path, n, (const char *[]){"name"}, 1)) {
		w->name_item = add_item(o, FE_DEF_PIPELINE, text, span, w->doc, -1);
		return;
	}
	if (path_is(path, n, (const char *[]){"depends_on"}, 1) ||
	    path_is(path, n, (const char *[]){"depends_on", "#"}, 2)) {
		add_item(o, FE_USE_PIPELINE, text, span, w->doc, -1);
		return;
	}
	if (n < 3 || strcmp(path[1], "#") != 0 || list_kind(path[0]) < 0)
		return;
	if (n == 3 && strcmp(path[2], "name") == 0 && m >= 0) {
		int it = add_item(o, (enum fe_item_kind)list_kind(path[0]), text, span, w->doc, -1);
		o->maps[m].item = it;
		return;
	}
	if (strcmp(path[0], "volumes") == 0)
		return;
	if ((n == 3 || (n == 4 && strcmp(path[3], "#") == 0)) && strcmp(path[2], "depends_on") == 0)
		add_item(o, FE_USE_STEP, text, span, w->doc, -1);
	else if (n == 5 && strcmp(path[2], "volumes") == 0 && strcmp(path[4], "name") == 0)
		add_item(o, FE_USE_VOLUME, text, span, w->doc, -1);
}

static void add_key(struct walk *w, const char *name, struct fe_span span)
{
	struct fe_outline *o = w->o;
	struct frame *f = &w->stack[w->depth - 1];
	struct map_rec *m = &o->maps[f->map];
	if (!m->key_col)
		m->key_col = span.col;
	o->keys = grow(o->keys, &o->capkeys, o->nkeys, sizeof *o->keys);
	o->keys[o->nkeys++] = (struct key_rec){f->map, ir_strdup(o->a, name), span, {0}};
	f->key = o->keys[o->nkeys - 1].name;
	f->want_key = false;
}

/* A value has been read in the collection at the top: a map wants its next key. */
static void value_done(struct walk *w)
{
	if (w->depth && w->stack[w->depth - 1].is_map)
		w->stack[w->depth - 1].want_key = true;
}

/* An anchor's span: the name after `&`. */
static void anchor_def(struct walk *w, const yaml_char_t *anchor, yaml_mark_t at)
{
	if (!anchor)
		return;
	struct fe_span s = mark_span(at, at);
	s.col++;
	s.end_col = s.col + (int)strlen((const char *)anchor);
	int it = add_item(w->o, FE_DEF_ANCHOR, (const char *)anchor, s, w->doc, -1);
	w->o->items[it].name_span = s;
}

static void on_scalar(struct walk *w, const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	struct fe_span span = scalar_span(ev);
	anchor_def(w, ev->data.scalar.anchor, ev->start_mark);
	if (w->depth == 0)
		return;
	struct frame *f = &w->stack[w->depth - 1];
	if (f->is_map && f->want_key) {
		add_key(w, text, span);
		return;
	}
	if (f->is_map && w->o->nkeys && w->o->keys[w->o->nkeys - 1].map == f->map)
		w->o->keys[w->o->nkeys - 1].value = span;
	if (f->is_map && w->depth == 1 && strcmp(f->key, "kind") == 0)
		w->o->maps[f->map].kind = ir_strdup(w->o->a, text);
	const char *path[2 * OUTLINE_MAX_DEPTH + 1];
	classify(w, path, path_of(w, path), text, span);
	value_done(w);
}

static void push(struct walk *w, bool is_map, yaml_mark_t at)
{
	struct frame *parent = w->depth ? &w->stack[w->depth - 1] : NULL;
	const char *via = parent ? (parent->is_map ? parent->key : parent->via) : NULL;
	struct frame f = {.is_map = is_map, .map = -1, .want_key = true, .via = via};
	if (is_map) {
		struct fe_outline *o = w->o;
		int up = -1;
		for (int i = w->depth - 1; i >= 0 && up < 0; i--)
			if (w->stack[i].is_map)
				up = w->stack[i].map;
		o->maps = grow(o->maps, &o->capmaps, o->nmaps, sizeof *o->maps);
		o->maps[o->nmaps] = (struct map_rec){up, via, w->doc, (int)at.line + 1, INT_MAX, 0,
						     NULL, -1};
		f.map = (int)o->nmaps++;
	}
	if (w->depth < OUTLINE_MAX_DEPTH)
		w->stack[w->depth++] = f;
}

/* A closed map that defined a step, service or volume spans the whole map. */
static void pop(struct walk *w, yaml_mark_t end)
{
	if (!w->depth)
		return;
	struct frame *f = &w->stack[--w->depth];
	if (f->is_map) {
		struct map_rec *m = &w->o->maps[f->map];
		m->end_line = (int)end.line + 1;
		if (m->item >= 0) {
			struct fe_item *it = &w->o->items[m->item];
			it->span = (struct fe_span){m->line, 1, (int)end.line + 1, (int)end.column + 1};
		}
	}
	value_done(w);
}

static void on_alias(struct walk *w, const yaml_event_t *ev)
{
	struct fe_span s = mark_span(ev->start_mark, ev->end_mark);
	int it = add_item(w->o, FE_USE_ALIAS, (const char *)ev->data.alias.anchor, s, w->doc, -1);
	w->o->items[it].name_span.col++;
	if (w->depth && w->stack[w->depth - 1].is_map && w->stack[w->depth - 1].want_key)
		w->stack[w->depth - 1].want_key = false;    /* an aliased key */
	else
		value_done(w);
}

/* The document's `name:` defines a pipeline, unless its kind says otherwise. */
static void document_end(struct walk *w, int root, yaml_mark_t end)
{
	struct fe_outline *o = w->o;
	if (w->name_item < 0 || root < 0)
		return;
	struct fe_item *it = &o->items[w->name_item];
	const char *kind = o->maps[root].kind;
	if (kind && strcmp(kind, "secret") == 0)
		it->kind = FE_DEF_SECRET;
	else if (kind && strcmp(kind, "pipeline") != 0)
		it->name = NULL;    /* a signature or template: dropped below */
	it->span = (struct fe_span){o->maps[root].line, 1, (int)end.line + 1, (int)end.column + 1};
}

/* Steps, services and volumes of a document point at its pipeline. */
static void adopt(struct fe_outline *o, size_t from, int pipeline)
{
	for (size_t i = from; i < o->nitems; i++)
		if (o->items[i].kind >= FE_DEF_STEP && o->items[i].kind <= FE_DEF_VOLUME)
			o->items[i].parent = pipeline;
}

/* Drops the names of documents that are neither pipelines nor secrets. */
static void drop_marked(struct fe_outline *o)
{
	int *to = malloc((o->nitems + 1) * sizeof *to);
	if (!to)
		ir_oom();
	size_t n = 0;
	for (size_t i = 0; i < o->nitems; i++) {
		to[i] = o->items[i].name ? (int)n : -1;
		if (o->items[i].name)
			o->items[n++] = o->items[i];
	}
	for (size_t i = 0; i < n; i++)
		if (o->items[i].parent >= 0)
			o->items[i].parent = to[o->items[i].parent];
	o->nitems = n;
	free(to);
}

static bool event(struct walk *w, yaml_event_t *ev, int *root, size_t *first)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		w->depth = 0;
		w->name_item = *root = -1;
		*first = w->o->nitems;
		break;
	case YAML_DOCUMENT_END_EVENT:
		document_end(w, *root, ev->end_mark);
		if (w->name_item >= 0 && w->o->items[w->name_item].name &&
		    w->o->items[w->name_item].kind == FE_DEF_PIPELINE)
			adopt(w->o, *first, w->name_item);
		w->doc++;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor_def(w, ev->data.mapping_start.anchor, ev->start_mark);
		if (w->depth == 0)
			*root = (int)w->o->nmaps;
		push(w, true, ev->start_mark);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor_def(w, ev->data.sequence_start.anchor, ev->start_mark);
		push(w, false, ev->start_mark);
		break;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		pop(w, ev->end_mark);
		break;
	case YAML_SCALAR_EVENT:
		on_scalar(w, ev);
		break;
	case YAML_ALIAS_EVENT:
		on_alias(w, ev);
		break;
	case YAML_STREAM_END_EVENT:
		return false;
	default:
		break;
	}
	return true;
}

struct fe_outline *fe_outline_new(const char *text, size_t len)
{
	struct fe_outline *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->a = ir_arena_new();
	struct walk w = {.o = o, .name_item = -1};
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	int root = -1;
	size_t first = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev))
			break;
		bool more = event(&w, &ev, &root, &first);
		yaml_event_delete(&ev);
		if (!more)
			break;
	}
	yaml_parser_delete(&p);
	if (w.name_item >= 0 && o->items[w.name_item].kind == FE_DEF_PIPELINE)
		adopt(o, first, w.name_item);   /* a document cut short by an error */
	drop_marked(o);
	return o;
}

void fe_outline_free(struct fe_outline *o)
{
	if (!o)
		return;
	free(o->items);
	free(o->maps);
	free(o->keys);
	ir_arena_free(o->a);
	free(o);
}

const struct fe_item *fe_outline_items(const struct fe_outline *o, size_t *n)
{
	*n = o->nitems;
	return o->items;
}

/* ---- Keys ------------------------------------------------------------ */

static const struct fe_keyset *root_keys(const char *kind)
{
	if (kind && strcmp(kind, "secret") == 0)
		return &fe_keys_secret;
	if (kind && strcmp(kind, "signature") == 0)
		return &fe_keys_signature;
	if (kind && strcmp(kind, "template") == 0)
		return &fe_keys_template;
	return &fe_keys_pipeline;
}

static const struct fe_key *find(const struct fe_keyset *ks, const char *name)
{
	for (size_t i = 0; ks && name && i < ks->n; i++)
		if (strcmp(ks->keys[i].name, name) == 0)
			return &ks->keys[i];
	return NULL;
}

/* What a value of `k` that is a map is checked against; NULL when free-form. */
static const struct fe_keyset *sub_keys(const struct fe_keyset *ks, const struct fe_key *k)
{
	if (!k)
		return NULL;
	switch (k->type) {
	case FE_T_COND: return &fe_keys_when;
	case FE_T_ENV: case FE_T_SECRET: return &fe_keys_from_secret;
	case FE_T_OBJ: case FE_T_OBJS: case FE_T_PORTS: case FE_T_ARTIFACTS: return k->sub;
	default: break;
	}
	return ks == &fe_keys_when ? &fe_keys_condition : NULL;
}

/* The keyset a map is checked against, found by walking its path down. */
static const struct fe_keyset *map_keys(const struct fe_outline *o, int m, int depth)
{
	const struct map_rec *r = &o->maps[m];
	if (r->parent < 0)
		return root_keys(r->kind);
	if (depth > OUTLINE_MAX_DEPTH)
		return NULL;
	const struct fe_keyset *up = map_keys(o, r->parent, depth + 1);
	return sub_keys(up, find(up, r->via));
}

/* Values the editor can offer for a key, by keyset and key name. */
static const char *const *key_values(const struct fe_keyset *ks, const char *key)
{
	static const char *const pull[] = {"always", "if-not-exists", "never", "default", NULL};
	static const char *const kinds[] = {"pipeline", "secret", "signature", "template", NULL};
	static const char *const types[] = {"docker", "kubernetes", "exec", NULL};
	static const char *const status[] = {"success", "failure", NULL};
	static const char *const events[] = {"push", "pull_request", "tag", "promote",
					     "rollback", "cron", "custom", NULL};
	static const char *const os[] = {"linux", "windows", NULL};
	static const char *const arch[] = {"amd64", "arm64", "arm", NULL};
	static const char *const failure[] = {"ignore", NULL};
	static const struct { const struct fe_keyset *ks; const char *key; const char *const *v; } t[] = {
		{&fe_keys_step, "pull", pull}, {&fe_keys_pipeline, "kind", kinds},
		{&fe_keys_pipeline, "type", types}, {&fe_keys_when, "status", status},
		{&fe_keys_when, "event", events}, {&fe_keys_platform, "os", os},
		{&fe_keys_platform, "arch", arch}, {&fe_keys_step, "failure", failure},
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		if (t[i].ks == ks && strcmp(t[i].key, key) == 0)
			return t[i].v;
	return NULL;
}

static struct fe_key_doc key_doc(const struct fe_keyset *ks, const struct fe_key *k)
{
	bool nested = k->type == FE_T_OBJ || k->type == FE_T_OBJS || k->type == FE_T_COND ||
		      k->type == FE_T_ENV || k->type == FE_T_ARTIFACTS || k->type == FE_T_PORTS ||
		      k->type == FE_T_MAP || k->type == FE_T_ANY;
	return (struct fe_key_doc){k->name, k->desc, nested, key_values(ks, k->name)};
}

/* The innermost map open over `line` whose keys start at `col`; -1 if none. */
static int map_at(const struct fe_outline *o, int line, int col)
{
	int best = -1;
	for (size_t i = 0; i < o->nmaps; i++) {
		const struct map_rec *m = &o->maps[i];
		if (m->line <= line && line <= m->end_line && m->key_col == col)
			best = (int)i;
	}
	return best;
}

size_t fe_outline_keys_at(const struct fe_outline *o, int line, int col,
			  struct fe_key_doc *out, size_t cap, unsigned long long *present)
{
	int m = map_at(o, line, col);
	if (m < 0 && col == 1 && (o->nmaps == 0 || o->maps[o->nmaps - 1].end_line < line))
		m = -2;     /* a new document's first key */
	const struct fe_keyset *ks = m == -2 ? &fe_keys_pipeline : m >= 0 ? map_keys(o, m, 0) : NULL;
	size_t n = 0;
	if (present)
		*present = 0;
	for (size_t i = 0; ks && i < ks->n && n < cap; i++) {
		out[n] = key_doc(ks, &ks->keys[i]);
		for (size_t k = 0; present && m >= 0 && k < o->nkeys && n < 64; k++)
			if (o->keys[k].map == m && o->keys[k].span.line != line &&
			    strcmp(o->keys[k].name, ks->keys[i].name) == 0)
				*present |= 1ull << n;
		n++;
	}
	return n;
}

static bool within(struct fe_span s, int line, int col)
{
	return s.line == line && s.col <= col && col <= s.end_col;
}

bool fe_outline_key_at(const struct fe_outline *o, int line, int col,
		       struct fe_key_doc *doc, struct fe_span *span, bool *is_value)
{
	for (size_t i = 0; i < o->nkeys; i++) {
		const struct key_rec *k = &o->keys[i];
		bool on_key = within(k->span, line, col);
		if (!on_key && !(k->value.line && within(k->value, line, col)))
			continue;
		const struct fe_keyset *ks = map_keys(o, k->map, 0);
		const struct fe_key *fk = find(ks, k->name);
		if (!fk)
			return false;
		*doc = key_doc(ks, fk);
		*span = k->span;
		*is_value = !on_key;
		return true;
	}
	return false;
}
