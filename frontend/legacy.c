/*
 * legacy.c - Drone 0.8 files, converted to the 1.x model as Drone's own
 * converter does.
 *
 * A 0.8 document has no `kind`; its steps are a map under `pipeline`
 * (the key is the step's name), its services a map under `services`,
 * and a `matrix` runs it once per combination of values.  The document
 * is rewritten as the 1.x documents it stands for, as trees of nodes,
 * and lowered like any other: the nodes it keeps are the user's own, so
 * every finding points at what the user wrote, and the few it makes
 * (`kind`, a step's map) take the position of the key they come from.
 *
 * As in Drone's converter: the pipeline is named `default`; a `clone`
 * section's containers become the first steps, the clone step off;
 * `branches` becomes `trigger.branch`; `when.environment` becomes
 * `when.target`; `secrets: [name]` become `NAME: {from_secret: name}`
 * variables; `pull: true` is `always`; a `host:container` volume becomes a
 * host volume named by the hex of its path; any other key of a container
 * is a plugin setting.  A matrix makes one pipeline per combination
 * (`matrix-1`, ...; the last axis varies fastest, at most
 * LEGACY_MAX_PIPELINES), keeping the steps whose `when.matrix` the
 * combination matches and replacing each `${NAME}` of the combination in
 * the document's strings.  What has no 1.x meaning (`group`, `devices`,
 * `tmpfs`, other top-level keys) is dropped with a warning that names it;
 * `allow_failure: true` is kept as `failure: ignore`.
 */
#include <stdlib.h>
#include <string.h>

#include "frontend/drone.h"

/* Drone's converter stops after this many combinations. */
#define LEGACY_MAX_PIPELINES 27

struct pairs {
	struct fe_pair *v;
	size_t n, cap;
};

struct items {
	struct fe_node **v;
	size_t n, cap;
};

/* One conversion of a document, for one matrix combination or none. */
struct conv {
	struct lower *lw;
	const struct fe_node *doc;
	const struct fe_node *axis;     /* NAME -> value, or NULL */
	bool warn;                      /* the first conversion warns, its copies do not */
	struct items volumes;           /* host volumes the mounts name */
};

/* ---- making nodes --------------------------------------------------- */

static struct fe_node *node(struct lower *lw, const struct fe_node *at, enum fe_node_kind kind)
{
	struct fe_node *n = ir_calloc(lw->tree, 1, sizeof *n);
	n->kind = kind;
	n->line = at->line;
	n->col = at->col;
	n->plain = 1;
	return n;
}

/* `s` must outlive the IR: a literal or a string in lw->a. */
static struct fe_node *str(struct lower *lw, const struct fe_node *at, const char *s)
{
	struct fe_node *n = node(lw, at, FE_SCALAR);
	n->str = (char *)s;
	n->len = (uint32_t)strlen(s);
	return n;
}

static void put(struct lower *lw, struct pairs *m, struct fe_node *key, struct fe_node *value)
{
	m->v = fe_drone_grow(lw->tree, m->v, m->n, &m->cap, sizeof *m->v);
	m->v[m->n++] = (struct fe_pair){key, value};
}

static void push(struct lower *lw, struct items *s, struct fe_node *item)
{
	s->v = fe_drone_grow(lw->tree, s->v, s->n, &s->cap, sizeof *s->v);
	s->v[s->n++] = item;
}

static struct fe_node *map_of(struct lower *lw, const struct fe_node *at, const struct pairs *m)
{
	struct fe_node *n = node(lw, at, FE_MAP);
	n->pairs = m->v;
	n->npairs = (uint32_t)m->n;
	return n;
}

static struct fe_node *seq_of(struct lower *lw, const struct fe_node *at, const struct items *s)
{
	struct fe_node *n = node(lw, at, FE_SEQ);
	n->items = s->v;
	n->nitems = (uint32_t)s->n;
	return n;
}

/* A scalar where 1.x wants a list (0.8 took either): the list of it. */
static struct fe_node *as_list(struct lower *lw, struct fe_node *n)
{
	if (n->kind != FE_SCALAR || fe_is_null(n))
		return n;
	struct items s = {0};
	push(lw, &s, n);
	return seq_of(lw, n, &s);
}

static void dropped(struct conv *c, const struct fe_node *key, const char *why)
{
	if (c->warn)
		diag_warning(c->lw->dl, fe_pos(c->lw->file, key), "legacy-format",
			     "drone 0.8 key '%s' is dropped: %s", key->str, why);
}

/* ---- containers --------------------------------------------------------- */

/* secrets: [a, {source: b, target: c}] -> A: {from_secret: a}, C: {from_secret: b} */
static void secrets(struct conv *c, const struct fe_node *n, struct pairs *env)
{
	struct lower *lw = c->lw;
	for (size_t i = 0; n->kind == FE_SEQ && i < n->nitems; i++) {
		const struct fe_node *it = n->items[i], *src = it, *dst = it;
		if (it->kind == FE_MAP) {
			src = fe_map_get(it, "source");
			dst = fe_map_get(it, "target");
		}
		if (!src || !dst || src->kind != FE_SCALAR || dst->kind != FE_SCALAR) {
			diag_error(lw->dl, fe_pos(lw->file, it), "wrong-type",
				   "secrets: expected a name or {source, target}; 1.x writes "
				   "NAME: {from_secret: name} under environment");
			continue;
		}
		char *upper = ir_strdup(lw->a, dst->str);
		for (char *p = upper; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		struct pairs ref = {0};
		put(lw, &ref, str(lw, it, "from_secret"), (struct fe_node *)src);
		put(lw, env, str(lw, dst, upper), map_of(lw, it, &ref));
	}
}

/* environment: {K: v} or [K=v] -> pairs of `env` */
static void environment(struct conv *c, const struct fe_node *n, struct pairs *env)
{
	struct lower *lw = c->lw;
	for (size_t i = 0; n->kind == FE_MAP && i < n->npairs; i++)
		put(lw, env, n->pairs[i].key, n->pairs[i].value);
	for (size_t i = 0; n->kind == FE_SEQ && i < n->nitems; i++) {
		const struct fe_node *it = n->items[i];
		const char *eq = it->kind == FE_SCALAR ? strchr(it->str, '=') : NULL;
		if (!eq) {
			diag_error(lw->dl, fe_pos(lw->file, it), "wrong-type",
				   "environment: expected NAME=value");
			continue;
		}
		struct fe_node *value = str(lw, it, eq + 1);
		value->col += (uint32_t)(eq + 1 - it->str);
		put(lw, env, str(lw, it, ir_strndup(lw->a, it->str, (size_t)(eq - it->str))), value);
	}
}

/* The hex of a host path: the volume's name, as Drone's converter names it. */
static const char *hex_name(struct lower *lw, const char *path, size_t len)
{
	char *s = ir_alloc(lw->a, len * 2 + 1);
	for (size_t i = 0; i < len; i++)
		snprintf(s + 2 * i, 3, "%02x", (unsigned char)path[i]);
	s[len * 2] = '\0';
	return s;
}

/* The pipeline's host volume of that name, made on first use. */
static void need_volume(struct conv *c, const struct fe_node *at, const char *name,
			const char *path)
{
	struct lower *lw = c->lw;
	for (size_t i = 0; i < c->volumes.n; i++)
		if (strcmp(fe_map_get(c->volumes.v[i], "name")->str, name) == 0)
			return;
	struct pairs host = {0}, vol = {0};
	put(lw, &host, str(lw, at, "path"), str(lw, at, path));
	put(lw, &vol, str(lw, at, "name"), str(lw, at, name));
	put(lw, &vol, str(lw, at, "host"), map_of(lw, at, &host));
	push(lw, &c->volumes, map_of(lw, at, &vol));
}

/* volumes: [/host:/container[:ro]] -> mounts of host volumes */
static struct fe_node *volumes(struct conv *c, const struct fe_node *n)
{
	struct lower *lw = c->lw;
	struct items mounts = {0};
	for (size_t i = 0; n->kind == FE_SEQ && i < n->nitems; i++) {
		const struct fe_node *it = n->items[i];
		const char *colon = it->kind == FE_SCALAR ? strchr(it->str, ':') : NULL;
		if (!colon || colon == it->str || !colon[1]) {
			diag_error(lw->dl, fe_pos(lw->file, it), "invalid-value",
				   "drone 0.8 volume: expected host:container; 1.x declares "
				   "volumes: [{name, host: {path}}] and mounts them by name");
			continue;
		}
		const char *end = strchr(colon + 1, ':');
		size_t srclen = (size_t)(colon - it->str);
		const char *name = hex_name(lw, it->str, srclen);
		const char *dst = end ? ir_strndup(lw->a, colon + 1, (size_t)(end - colon - 1))
				      : colon + 1;
		need_volume(c, it, name, ir_strndup(lw->a, it->str, srclen));
		struct pairs m = {0};
		put(lw, &m, str(lw, it, "name"), str(lw, it, name));
		put(lw, &m, str(lw, it, "path"), str(lw, it, dst));
		push(lw, &mounts, map_of(lw, it, &m));
	}
	return seq_of(lw, n, &mounts);
}

/* when: 0.8 constraints -> 1.x conditions; `matrix` is settled by the caller. */
static struct fe_node *conditions(struct conv *c, const struct fe_node *n)
{
	static const char *const same[] = {"ref", "repo", "instance", "event", "branch", "status"};
	struct lower *lw = c->lw;
	struct pairs out = {0};
	for (size_t i = 0; n->kind == FE_MAP && i < n->npairs; i++) {
		struct fe_node *k = n->pairs[i].key;
		bool kept = false;
		for (size_t j = 0; j < sizeof same / sizeof *same && !kept; j++)
			kept = strcmp(k->str, same[j]) == 0;
		if (strcmp(k->str, "environment") == 0) {
			k = str(lw, k, "target");
			kept = true;
		}
		if (kept)
			put(lw, &out, k, n->pairs[i].value);
		else if (strcmp(k->str, "matrix") != 0)
			dropped(c, k, "1.x conditions have no such clause");
	}
	return map_of(lw, n, &out);
}

/* Whether the combination matches every value of the step's when.matrix. */
static bool axis_matches(const struct fe_node *axis, const struct fe_node *container)
{
	const struct fe_node *m = fe_map_get(fe_map_get(container, "when"), "matrix");
	if (!axis || !m || m->kind != FE_MAP)
		return true;
	for (size_t i = 0; i < m->npairs; i++) {
		const struct fe_node *k = m->pairs[i].key, *want = m->pairs[i].value;
		const struct fe_node *v = k->kind == FE_SCALAR ? fe_map_get(axis, k->str) : NULL;
		if (!v || v->kind != FE_SCALAR || want->kind != FE_SCALAR ||
		    strcmp(v->str, want->str) != 0)
			return false;
	}
	return true;
}

/* A container key with a 1.x meaning; false for a plugin setting. */
static bool container_key(struct conv *c, const struct fe_pair *q, struct pairs *out,
			  struct pairs *env)
{
	static const char *const same[] = {"image", "detach", "privileged", "dns",
					   "dns_search", "extra_hosts"};
	static const char *const lists[] = {"commands", "command", "entrypoint"};
	static const char *const gone[] = {"devices", "tmpfs", "shell"};
	struct lower *lw = c->lw;
	const char *k = q->key->str;
	for (size_t i = 0; i < sizeof same / sizeof *same; i++)
		if (strcmp(k, same[i]) == 0)
			return put(lw, out, q->key, q->value), true;
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		if (strcmp(k, lists[i]) == 0)
			return put(lw, out, q->key, as_list(lw, q->value)), true;
	for (size_t i = 0; i < sizeof gone / sizeof *gone; i++)
		if (strcmp(k, gone[i]) == 0)
			return dropped(c, q->key, "Drone's converter drops it too"), true;
	if (strcmp(k, "group") == 0)
		dropped(c, q->key, "0.8 ran a group's steps in parallel; 1.x orders steps with depends_on");
	else if (strcmp(k, "pull") == 0)
		put(lw, out, q->key, str(lw, q->value, fe_bool(q->value) == 1 ? "always" : "default"));
	else if (strcmp(k, "allow_failure") == 0 && fe_bool(q->value) == 1)
		put(lw, out, str(lw, q->key, "failure"), str(lw, q->value, "ignore"));
	else if (strcmp(k, "environment") == 0)
		environment(c, q->value, env);
	else if (strcmp(k, "secrets") == 0)
		secrets(c, q->value, env);
	else if (strcmp(k, "volumes") == 0)
		put(lw, out, q->key, volumes(c, q->value));
	else if (strcmp(k, "when") == 0)
		put(lw, out, q->key, conditions(c, q->value));
	else
		return strcmp(k, "name") == 0 || strcmp(k, "allow_failure") == 0;
	return true;
}

/* name: {image: ..., ...} -> {name: name, image: ..., settings: {...}} */
static struct fe_node *container(struct conv *c, const struct fe_pair *p)
{
	struct lower *lw = c->lw;
	const struct fe_node *m = p->value;
	if (m->kind != FE_MAP) {
		diag_error(lw->dl, fe_pos(lw->file, m), "wrong-type",
			   "drone 0.8 step '%s': expected a map, got %s", p->key->str,
			   fe_node_kind_name(m));
		return NULL;
	}
	struct pairs out = {0}, env = {0}, settings = {0};
	put(lw, &out, str(lw, p->key, "name"), p->key);
	for (size_t i = 0; i < m->npairs; i++)
		if (m->pairs[i].key->kind == FE_SCALAR &&
		    !container_key(c, &m->pairs[i], &out, &env))
			put(lw, &settings, m->pairs[i].key, m->pairs[i].value);
	if (env.n)
		put(lw, &out, str(lw, p->key, "environment"), map_of(lw, p->key, &env));
	if (settings.n)
		put(lw, &out, str(lw, p->key, "settings"), map_of(lw, p->key, &settings));
	return map_of(lw, p->key, &out);
}

/* A map of containers, those the combination keeps, appended to `out`. */
static void containers(struct conv *c, const struct fe_node *n, const char *what,
		       struct items *out)
{
	struct lower *lw = c->lw;
	if (!n || fe_is_null(n))
		return;
	if (n->kind != FE_MAP) {
		diag_error(lw->dl, fe_pos(lw->file, n), "wrong-type",
			   "drone 0.8 '%s': expected a map of names to containers, got %s; 1.x "
			   "writes a list of maps with a name each", what, fe_node_kind_name(n));
		return;
	}
	for (size_t i = 0; i < n->npairs; i++) {
		if (n->pairs[i].key->kind != FE_SCALAR || !axis_matches(c->axis, n->pairs[i].value))
			continue;
		struct fe_node *s = container(c, &n->pairs[i]);
		if (s)
			push(lw, out, s);
	}
}

/* ---- documents ---------------------------------------------------------- */

/* The document's top-level keys other than the containers'. */
static void top_key(struct conv *c, const struct fe_pair *q, struct pairs *out)
{
	struct lower *lw = c->lw;
	const char *k = q->key->kind == FE_SCALAR ? q->key->str : "";
	if (strcmp(k, "workspace") == 0) {
		put(lw, out, q->key, q->value);
	} else if (strcmp(k, "branches") == 0) {
		struct pairs t = {0};
		put(lw, &t, str(lw, q->key, "branch"), q->value);
		put(lw, out, str(lw, q->key, "trigger"), map_of(lw, q->key, &t));
	} else if (strcmp(k, "clone") == 0) {
		struct pairs cl = {0};
		put(lw, &cl, str(lw, q->key, "disable"), str(lw, q->key, "true"));
		put(lw, out, q->key, map_of(lw, q->key, &cl));
	} else if (strcmp(k, "secrets") == 0) {
		dropped(c, q->key, "declare each secret in a 'kind: secret' document");
	} else if (strcmp(k, "platform") == 0) {
		dropped(c, q->key, "1.x writes 'platform: {os: linux, arch: amd64}'");
	} else if (strcmp(k, "pipeline") && strcmp(k, "services") && strcmp(k, "matrix") &&
		   q->key->kind == FE_SCALAR) {
		dropped(c, q->key, "Drone's converter drops it too");
	}
}

/* The 1.x pipeline document for one combination (or none). */
static struct fe_node *convert(struct conv *c, const char *name)
{
	struct lower *lw = c->lw;
	const struct fe_node *doc = c->doc;
	struct pairs out = {0};
	struct items steps = {0}, services = {0};
	put(lw, &out, str(lw, doc, "kind"), str(lw, doc, "pipeline"));
	put(lw, &out, str(lw, doc, "name"), str(lw, doc, name));
	for (size_t i = 0; i < doc->npairs; i++)
		top_key(c, &doc->pairs[i], &out);
	containers(c, fe_map_get(doc, "clone"), "clone", &steps);
	containers(c, fe_map_get(doc, "pipeline"), "pipeline", &steps);
	containers(c, fe_map_get(doc, "services"), "services", &services);
	put(lw, &out, str(lw, doc, "steps"), seq_of(lw, doc, &steps));
	if (services.n)
		put(lw, &out, str(lw, doc, "services"), seq_of(lw, doc, &services));
	if (c->volumes.n)
		put(lw, &out, str(lw, doc, "volumes"), seq_of(lw, doc, &c->volumes));
	return map_of(lw, doc, &out);
}

/* ---- the matrix ------------------------------------------------------ */

/* `s` with every ${name} replaced by `value`; `s` itself when there is none. */
static char *replace_all(struct ir_arena *a, char *s, const char *name, const char *value)
{
	size_t nlen = strlen(name);
	for (char *q = s; (q = strstr(q, "${"));) {
		if (strncmp(q + 2, name, nlen) != 0 || q[2 + nlen] != '}') {
			q += 2;
			continue;
		}
		size_t off = (size_t)(q - s);
		s = ir_printf(a, "%.*s%s%s", (int)off, s, value, q + 3 + nlen);
		q = s + off + strlen(value);
	}
	return s;
}

/* A scalar with each ${NAME} of the combination replaced; `n` when none is. */
static struct fe_node *subst_scalar(struct conv *c, struct fe_node *n)
{
	char *s = n->str;
	for (size_t i = 0; strstr(s, "${") && i < c->axis->npairs; i++) {
		const struct fe_pair *p = &c->axis->pairs[i];
		if (p->key->kind == FE_SCALAR && p->value->kind == FE_SCALAR)
			s = replace_all(c->lw->a, s, p->key->str, p->value->str);
	}
	if (s == n->str)
		return n;
	struct fe_node *copy = ir_alloc(c->lw->tree, sizeof *copy);
	*copy = *n;
	copy->str = s;
	copy->len = (uint32_t)strlen(s);
	return copy;
}

/* The tree with the combination's values in its strings; shares what is unchanged. */
static struct fe_node *subst(struct conv *c, struct fe_node *n, int depth)
{
	struct lower *lw = c->lw;
	if (n->kind == FE_SCALAR)
		return subst_scalar(c, n);
	if (depth > FE_MAX_DEPTH)
		return n;
	size_t count = n->kind == FE_SEQ ? n->nitems : n->npairs;
	struct fe_node *copy = NULL;
	for (size_t i = 0; i < count; i++) {
		struct fe_node *old = n->kind == FE_SEQ ? n->items[i] : n->pairs[i].value;
		struct fe_node *new = subst(c, old, depth + 1);
		if (new == old)
			continue;
		if (!copy) {
			copy = ir_alloc(lw->tree, sizeof *copy);
			*copy = *n;
			size_t size = n->kind == FE_SEQ ? sizeof *n->items : sizeof *n->pairs;
			void *v = ir_alloc(lw->tree, count * size);
			memcpy(v, n->kind == FE_SEQ ? (void *)n->items : (void *)n->pairs, count * size);
			if (n->kind == FE_SEQ)
				copy->items = v;
			else
				copy->pairs = v;
		}
		if (n->kind == FE_SEQ)
			copy->items[i] = new;
		else
			copy->pairs[i].value = new;
	}
	return copy ? copy : n;
}

/* matrix: {include: [{A: 1, B: x}, ...]} -> those maps, as given */
static size_t include_axes(struct lower *lw, const struct fe_node *inc, struct items *out)
{
	for (size_t i = 0; inc->kind == FE_SEQ && i < inc->nitems; i++) {
		if (inc->items[i]->kind != FE_MAP)
			diag_error(lw->dl, fe_pos(lw->file, inc->items[i]), "wrong-type",
				   "matrix.include: expected a map of names to values, got %s",
				   fe_node_kind_name(inc->items[i]));
		else
			push(lw, out, inc->items[i]);
	}
	return out->n;
}

/* matrix: {A: [1, 2], B: [x, y]} -> every combination, the last name fastest */
static void product(struct lower *lw, const struct fe_node *m, struct items *out)
{
	size_t total = 1;
	for (size_t i = 0; i < m->npairs; i++) {
		const struct fe_node *v = m->pairs[i].value;
		if (v->kind != FE_SEQ || v->nitems == 0) {
			diag_error(lw->dl, fe_pos(lw->file, v), "wrong-type",
				   "matrix.%s: expected a list of values, got %s",
				   m->pairs[i].key->str, fe_node_kind_name(v));
			return;
		}
		total = total * v->nitems > LEGACY_MAX_PIPELINES + 1 ? LEGACY_MAX_PIPELINES + 1
								   : total * v->nitems;
	}
	for (size_t k = 0; k < total; k++) {
		struct pairs axis = {0};
		size_t rest = k;
		for (size_t i = m->npairs; i-- > 0;) {
			const struct fe_node *v = m->pairs[i].value;
			put(lw, &axis, m->pairs[i].key, v->items[rest % v->nitems]);
			rest /= v->nitems;
		}
		push(lw, out, map_of(lw, m, &axis));
	}
}

static void axes(struct lower *lw, const struct fe_node *m, struct items *out)
{
	if (m->kind != FE_MAP) {
		diag_error(lw->dl, fe_pos(lw->file, m), "wrong-type",
			   "matrix: expected a map of names to lists of values, got %s",
			   fe_node_kind_name(m));
		return;
	}
	const struct fe_node *inc = fe_map_get(m, "include");
	if (!inc || include_axes(lw, inc, out) == 0)
		product(lw, m, out);
	if (out->n > LEGACY_MAX_PIPELINES) {
		diag_warning(lw->dl, fe_pos(lw->file, m), "legacy-format",
			     "drone 0.8 matrix has more than %d combinations: the rest are dropped, "
			     "as Drone's converter drops them", LEGACY_MAX_PIPELINES);
		out->n = LEGACY_MAX_PIPELINES;
	}
}

bool fe_legacy_is(const struct fe_node *doc)
{
	return doc->kind == FE_MAP && !fe_map_get(doc, "kind") && fe_map_get(doc, "pipeline");
}

static const struct fe_node *pipeline_key(const struct fe_node *doc)
{
	for (size_t i = 0; i < doc->npairs; i++)
		if (doc->pairs[i].key->kind == FE_SCALAR && strcmp(doc->pairs[i].key->str, "pipeline") == 0)
			return doc->pairs[i].key;
	return doc;
}

void fe_legacy_convert(struct lower *lw, const struct fe_node *doc, struct fe_units *u)
{
	struct conv c = {.lw = lw, .doc = doc, .warn = true};
	const struct fe_node *m = fe_map_get(doc, "matrix");
	struct items all = {0};
	if (m && !fe_is_null(m))
		axes(lw, m, &all);
	if (!all.n) {
		diag_warning(lw->dl, fe_pos(lw->file, pipeline_key(doc)), "legacy-format",
			     "drone 0.8 file converted to the 1.x format as Drone converts it: "
			     "pipeline 'default', its steps from the 'pipeline' map");
		fe_units_add(lw, u, convert(&c, "default"), FE_KIND_PIPELINE);
		return;
	}
	diag_warning(lw->dl, fe_pos(lw->file, pipeline_key(doc)), "legacy-format",
		     "drone 0.8 file converted to the 1.x format as Drone converts it: the "
		     "matrix makes pipelines 'matrix-1' to 'matrix-%zu', one per combination",
		     all.n);
	for (size_t i = 0; i < all.n; i++) {
		c.axis = all.v[i];
		c.volumes = (struct items){0};
		struct fe_node *p = convert(&c, ir_printf(lw->a, "matrix-%zu", i + 1));
		fe_units_add(lw, u, subst(&c, p, 0), FE_KIND_PIPELINE);
		c.warn = false;
	}
}
