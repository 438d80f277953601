/*
 * schema.c - the JSON Schema (draft-07) of the YAML dialect, generated
 * from the key table in keys.c.
 *
 * Each keyset becomes a definition with its required keys and a
 * `description` on every property, so an editor running
 * yaml-language-server completes and explains the keys the compiler
 * knows.  Other keys are allowed, as the compiler allows them (Drone
 * ignores them), except a misspelling of a known key: the compiler's
 * did-you-mean (ir_suggest(): within a third of the word's length, at
 * least one edit), up to two edits, is one `propertyNames` pattern per
 * key, so the editor flags `comands` but not `x-defaults` or another
 * runner's key.  A file holds several documents; each is matched to its
 * definition by `kind` (any case, as the compiler reads it) with if/then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "frontend/drone.h"

static const char *const kinds[] = {"pipeline", "secret", "signature", "template"};

#define NKINDS (sizeof kinds / sizeof *kinds)

static const struct fe_keyset *const definitions[] = {
	&fe_keys_pipeline, &fe_keys_step, &fe_keys_platform, &fe_keys_workspace,
	&fe_keys_clone, &fe_keys_volume, &fe_keys_volume_temp, &fe_keys_volume_host,
	&fe_keys_mount, &fe_keys_device, &fe_keys_port, &fe_keys_resources,
	&fe_keys_limits, &fe_keys_concurrency, &fe_keys_secret, &fe_keys_secret_get,
	&fe_keys_signature, &fe_keys_from_secret, &fe_keys_when, &fe_keys_condition,
	&fe_keys_healthcheck, &fe_keys_export, &fe_keys_import, &fe_keys_pool,
	&fe_keys_kube_metadata, &fe_keys_toleration, &fe_keys_dns_config,
	&fe_keys_dns_option, &fe_keys_host_alias, &fe_keys_template,
	&fe_keys_ssh_server, &fe_keys_machine_server,
};

#define NDEFS (sizeof definitions / sizeof *definitions)

/* Definition names are the keyset's position: labels repeat ("name"). */
static const char *def_name(const struct fe_keyset *ks)
{
	static const char *const names[NDEFS] = {
		"pipeline", "step", "platform", "workspace", "clone", "volume",
		"volume_temp", "volume_host", "mount", "device", "port",
		"resources", "limits", "concurrency", "secret", "secret_get",
		"signature", "from_secret", "when", "condition", "healthcheck",
		"export", "import", "pool", "kube_metadata", "toleration",
		"dns_config", "dns_option", "host_alias", "template",
		"ssh_server", "machine_server",
	};
	for (size_t i = 0; i < NDEFS; i++)
		if (definitions[i] == ks)
			return names[i];
	return "pipeline";
}

static cJSON *ref(const char *def)
{
	cJSON *o = cJSON_CreateObject();
	char buf[64];
	snprintf(buf, sizeof buf, "#/definitions/%s", def);
	cJSON_AddStringToObject(o, "$ref", buf);
	return o;
}

static cJSON *typed(const char *type)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", type);
	return o;
}

static cJSON *types(const char *a, const char *b)
{
	cJSON *o = cJSON_CreateObject();
	const char *v[] = {a, b};
	cJSON_AddItemToObject(o, "type", cJSON_CreateStringArray(v, 2));
	return o;
}

static cJSON *array_of(cJSON *items)
{
	cJSON *o = typed("array");
	cJSON_AddItemToObject(o, "items", items);
	return o;
}

static cJSON *one_of(cJSON *a, cJSON *b)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "oneOf");
	cJSON_AddItemToArray(arr, a);
	cJSON_AddItemToArray(arr, b);
	return o;
}

static cJSON *scalar(void)
{
	cJSON *o = cJSON_CreateObject();
	/* null is accepted as "not set", as the compiler does */
	const char *v[] = {"string", "number", "boolean", "null"};
	cJSON_AddItemToObject(o, "type", cJSON_CreateStringArray(v, 4));
	return o;
}

/* YAML 1.1 spellings (yes, on) read as booleans by pipec, as by Drone. */
static cJSON *boolean(void)
{
	static const char *const words[] = {"yes", "no", "on", "off", "Yes", "No",
					    "On", "Off", "YES", "NO", "ON", "OFF"};
	cJSON *e = cJSON_CreateObject();
	cJSON_AddItemToObject(e, "enum", cJSON_CreateStringArray(words, 12));
	return one_of(typed("boolean"), e);
}

/* Go's time.ParseDuration, which docker compose uses: 1m30s, 2.5s, 0. */
static cJSON *duration(void)
{
	cJSON *o = typed("string");
	cJSON_AddStringToObject(o, "pattern", "^(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|ms|s|m|h))+)$");
	return o;
}

static cJSON *key_schema(const struct fe_key *k)
{
	cJSON *o = NULL;
	switch (k->type) {
	case FE_T_STR: o = scalar(); break;
	case FE_T_INT: o = typed("integer"); break;
	case FE_T_BOOL: o = boolean(); break;
	case FE_T_NUM: o = types("number", "string"); break;
	case FE_T_SIZE: o = types("integer", "string"); break;
	case FE_T_LIST: o = array_of(scalar()); break;
	case FE_T_STRS: o = one_of(scalar(), array_of(scalar())); break;
	case FE_T_MAP:
		o = typed("object");
		cJSON_AddItemToObject(o, "additionalProperties", scalar());
		break;
	case FE_T_ENV:
		o = typed("object");
		cJSON_AddItemToObject(o, "additionalProperties",
				      one_of(scalar(), ref("from_secret")));
		break;
	case FE_T_ANY: o = typed("object"); break;
	case FE_T_OBJ: o = ref(def_name(k->sub)); break;
	case FE_T_OBJS: o = array_of(ref(def_name(k->sub))); break;
	case FE_T_COND: o = ref("when"); break;
	case FE_T_PORTS: o = array_of(one_of(typed("integer"), ref("port"))); break;
	case FE_T_DURATION: o = duration(); break;
	case FE_T_ARTIFACTS: o = array_of(one_of(typed("string"), ref(def_name(k->sub)))); break;
	case FE_T_SECRET: o = one_of(scalar(), ref("from_secret")); break;
	}
	/* A $ref ignores its siblings in draft-07: wrap to keep the text. */
	if (cJSON_GetObjectItem(o, "$ref")) {
		cJSON *w = cJSON_CreateObject(), *all = cJSON_AddArrayToObject(w, "allOf");
		cJSON_AddItemToArray(all, o);
		o = w;
	}
	cJSON_AddStringToObject(o, "description", k->desc);
	return o;
}

/* A condition value: a pattern, a list, or {include, exclude}. */
static cJSON *condition(void)
{
	cJSON *list = one_of(typed("string"), array_of(typed("string")));
	return one_of(list, ref(def_name(&fe_keys_condition)));
}

/* ---- misspelt keys ---------------------------------------------------- */

/* s[0..n) as a regular expression: syntax characters escaped. */
static char *literal(struct ir_arena *a, const char *s, size_t n)
{
	char *out = ir_alloc(a, 2 * n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] && strchr("\\^$.|?*+()[]{}/", s[i]))
			*o++ = '\\';
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* A group of distinct alternatives, at most five (see near()). */
struct alts {
	const char *v[8];
	size_t n;
};

static void alt_add(struct alts *al, const char *re)
{
	for (size_t i = 0; i < al->n; i++)
		if (strcmp(al->v[i], re) == 0)
			return;
	al->v[al->n++] = re;
}

static const char *alt_join(struct ir_arena *a, const struct alts *al)
{
	if (al->n == 1)
		return al->v[0];
	const char *re = ir_printf(a, "(?:%s", al->v[0]);
	for (size_t i = 1; i < al->n; i++)
		re = ir_printf(a, "%s|%s", re, al->v[i]);
	return ir_printf(a, "%s)", re);
}

/*
 * The words within d edits of s[0..n), edit by edit from the left: keep,
 * change, drop or add a letter, or swap two.  Its size grows as n^(d+1),
 * so only short words are written this way.
 */
static const char *edits(struct ir_arena *a, const char *s, size_t n, int d)
{
	if (d == 0)
		return literal(a, s, n);
	if (n == 0)
		return d == 1 ? ".?" : ir_printf(a, ".{0,%d}", d);
	struct alts al = {0};
	alt_add(&al, ir_printf(a, "%s%s", literal(a, s, 1), edits(a, s + 1, n - 1, d)));
	alt_add(&al, ir_printf(a, ".%s", edits(a, s + 1, n - 1, d - 1)));
	alt_add(&al, edits(a, s + 1, n - 1, d - 1));
	alt_add(&al, ir_printf(a, ".%s", edits(a, s, n, d - 1)));
	if (n > 1) {
		char swapped[2] = {s[1], s[0]};
		alt_add(&al, ir_printf(a, "%s%s", literal(a, swapped, 2),
				       edits(a, s + 2, n - 2, d - 1)));
	}
	return alt_join(a, &al);
}

/*
 * The words within d edits of s[0..n) in optimal string alignment, the
 * distance ir_suggest() uses.  An alignment with d edits puts i of them
 * in the first half of s and d - i in the second, or swaps the two
 * letters either side of the middle and puts the other d - 1 either
 * side; halving so keeps the expression's size near n^2, where writing
 * out every edit takes n^(d+1).
 */
static const char *near(struct ir_arena *a, const char *s, size_t n, int d)
{
	if (d == 0 || n <= 2)
		return edits(a, s, n, d);
	size_t m = n / 2;
	char swapped[2] = {s[m], s[m - 1]};
	struct alts al = {0};
	for (int i = 0; i <= d; i++)
		alt_add(&al, ir_printf(a, "%s%s", near(a, s, m, i),
				       near(a, s + m, n - m, d - i)));
	for (int i = 0; i < d; i++)
		alt_add(&al, ir_printf(a, "%s%s%s", near(a, s, m - 1, i), literal(a, swapped, 2),
				       near(a, s + m + 1, n - m - 1, d - 1 - i)));
	return alt_join(a, &al);
}

/* "(?!(?:ALTS)$)": no word of these, or "" when there are none. */
static const char *none_of(struct ir_arena *a, const char *alts)
{
	return alts ? ir_printf(a, "(?!(?:%s)$)", alts) : "";
}

static const char *either(struct ir_arena *a, const char *alts, const char *re)
{
	return alts ? ir_printf(a, "%s|%s", alts, re) : re;
}

/*
 * A pattern every key matches but those for which the compiler offers
 * key k: a word one edit from k, or two when it has six letters or more
 * (ir_suggest() allows a third of the length; the schema stops at two),
 * and no key closer to it, nor one as close earlier in the table (a tie
 * goes to the earlier key), so a misspelling gets one message naming the
 * key the compiler names.  Only keys near k can be as close to a word,
 * so only they are excluded.  Known keys are never misspellings, nor are
 * anchor holders (x-..., .name) or words with a letter beyond ASCII,
 * whose length the compiler counts in bytes.
 */
static cJSON *not_misspelt(struct ir_arena *a, const struct fe_keyset *ks, size_t k)
{
	const char *name = ks->keys[k].name, *known = literal(a, name, strlen(name));
	const char *first1 = NULL, *any1 = NULL, *first2 = NULL;
	for (size_t j = 0; j < ks->n; j++) {
		const char *o = ks->keys[j].name;
		size_t d = ir_distance(o, name), len = strlen(o);
		if (j == k)
			continue;
		if (ir_suggest(o, &name, 1))
			known = ir_printf(a, "%s|%s", known, literal(a, o, len));
		if (j < k && d <= 2)
			first1 = either(a, first1, near(a, o, len, 1));
		if (d <= 3 && len >= 5)
			any1 = either(a, any1, near(a, o, len, 1));
		if (j < k && d <= 4 && len >= 4)
			first2 = either(a, first2, near(a, o, len, 2));
	}
	size_t n = strlen(name);
	const char *words = ir_printf(a, "%s%s", none_of(a, first1), near(a, name, n, 1));
	if (n >= 4)     /* else no word of six letters is two edits away */
		words = ir_printf(a, "(?:%s|(?=.{6})%s%s%s)", words, none_of(a, any1),
				  none_of(a, first2), near(a, name, n, 2));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "pattern",
				ir_printf(a, "^(?!(?=[\\x00-\\x7f]*$)(?!(?:%s)$|x-|\\.)%s$)",
					  known, words));
	cJSON_AddStringToObject(o, "patternErrorMessage",
				ir_printf(a, "unknown key in %s, did you mean '%s'", ks->name, name));
	return o;
}

static cJSON *key_names(const struct fe_keyset *ks)
{
	struct ir_arena *a = ir_arena_new();
	cJSON *o = cJSON_CreateObject(), *all = cJSON_AddArrayToObject(o, "allOf");
	for (size_t k = 0; k < ks->n; k++)
		cJSON_AddItemToArray(all, not_misspelt(a, ks, k));
	ir_arena_free(a);
	return o;
}

/* A volume is temp or host: [{required: [temp]}, {required: [host]}]. */
static cJSON *one_required(const struct fe_keyset *ks)
{
	cJSON *alts = cJSON_CreateArray();
	for (size_t i = 0; i < ks->n; i++) {
		if (!(ks->one_of & 1u << i))
			continue;
		cJSON *r = cJSON_CreateObject();
		cJSON_AddItemToObject(r, "required", cJSON_CreateStringArray(&ks->keys[i].name, 1));
		cJSON_AddItemToArray(alts, r);
	}
	return alts;
}

/* `server` holds the keys of the pipeline's runner type: ssh's for ssh. */
static cJSON *runner_cases(void)
{
	cJSON *all = cJSON_CreateArray();
	const struct fe_keyset *server;
	const char *type;
	for (size_t i = 0; (type = fe_runner_server(i, &server)); i++) {
		if (!server)
			continue;
		cJSON *c = cJSON_CreateObject();
		cJSON *cond = cJSON_AddObjectToObject(c, "if");
		cJSON *t = cJSON_AddObjectToObject(cJSON_AddObjectToObject(cond, "properties"), "type");
		cJSON_AddStringToObject(t, "const", type);
		cJSON_AddItemToObject(cond, "required", cJSON_CreateStringArray(&(const char *){"type"}, 1));
		cJSON *then = cJSON_AddObjectToObject(cJSON_AddObjectToObject(c, "then"), "properties");
		cJSON_AddItemToObject(then, "server", ref(def_name(server)));
		cJSON_AddItemToArray(all, c);
	}
	return all;
}

static cJSON *keyset_schema(const struct fe_keyset *ks)
{
	cJSON *o = typed("object");
	cJSON_AddStringToObject(o, "description", ks->desc);
	cJSON *props = cJSON_AddObjectToObject(o, "properties");
	cJSON *req = cJSON_CreateArray();
	for (size_t i = 0; i < ks->n; i++) {
		const struct fe_key *k = &ks->keys[i];
		cJSON *p = k->type == FE_T_COND && ks == &fe_keys_when ? condition()
								  : key_schema(k);
		if (ks == &fe_keys_when)
			cJSON_AddStringToObject(p, "description", k->desc);
		cJSON_AddItemToObject(props, k->name, p);
		if (k->required)
			cJSON_AddItemToArray(req, cJSON_CreateString(k->name));
	}
	if (cJSON_GetArraySize(req))
		cJSON_AddItemToObject(o, "required", req);
	else
		cJSON_Delete(req);
	cJSON_AddItemToObject(o, "propertyNames", key_names(ks));
	if (ks->one_of)
		cJSON_AddItemToObject(o, "oneOf", one_required(ks));
	if (ks == &fe_keys_pipeline)
		cJSON_AddItemToObject(o, "allOf", runner_cases());
	return o;
}

/* `kind: Pipeline` is an old spelling the compiler reads as pipeline. */
static cJSON *any_case(const char *word)
{
	char re[128], *o = re;
	*o++ = '^';
	for (const char *c = word; *c && o + 6 < re + sizeof re; c++)
		o += sprintf(o, "[%c%c]", *c, *c - 'a' + 'A');
	strcpy(o, "$");
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "pattern", re);
	return p;
}

static cJSON *kind_case(const char *kind, const char *def)
{
	cJSON *c = cJSON_CreateObject();
	cJSON *cond = cJSON_AddObjectToObject(c, "if");
	cJSON *props = cJSON_AddObjectToObject(cond, "properties");
	cJSON *k = any_case(kind);
	cJSON_AddItemToObject(props, "kind", k);
	cJSON_AddItemToObject(k, "type", cJSON_CreateString("string"));
	cJSON_AddItemToObject(cond, "required", cJSON_CreateStringArray(&(const char *){"kind"}, 1));
	cJSON_AddItemToObject(c, "then", ref(def));
	return c;
}

/*
 * A Drone 0.8 document (no `kind`, a map of steps under `pipeline`),
 * which the compiler converts: its containers take any key, as 0.8's
 * plugin parameters sit beside `image`.
 */
static cJSON *legacy_schema(void)
{
	static const char *const keys[][2] = {
		{"pipeline", "Drone 0.8: the steps, a map of names to containers"},
		{"services", "Drone 0.8: the services, a map of names to containers"},
		{"clone", "Drone 0.8: containers that fetch the source, a map of names"},
		{"matrix", "Drone 0.8: values to run the pipeline with, one pipeline per combination"},
		{"workspace", "where steps find the source"},
		{"branches", "Drone 0.8: branches the pipeline runs for (1.x: trigger.branch)"},
	};
	cJSON *o = typed("object");
	cJSON_AddStringToObject(o, "description",
				"a Drone 0.8 document, converted to the 1.x format when compiled");
	cJSON *props = cJSON_AddObjectToObject(o, "properties");
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		/* branches: a pattern, a list or {include, exclude} */
		static const char *const any[] = {"string", "array", "object"};
		cJSON *k = cJSON_CreateObject();
		cJSON_AddItemToObject(k, "type", i == 5 ? cJSON_CreateStringArray(any, 3)
							: cJSON_CreateString("object"));
		if (i == 0)
			cJSON_AddItemToObject(k, "additionalProperties", typed("object"));
		cJSON_AddStringToObject(k, "description", keys[i][1]);
		cJSON_AddItemToObject(props, keys[i][0], k);
	}
	return o;
}

/* A document without `kind` is one in the 0.8 format, or is missing it. */
static cJSON *legacy_case(void)
{
	cJSON *c = cJSON_CreateObject();
	cJSON *cond = cJSON_AddObjectToObject(c, "if");
	cJSON *no_kind = cJSON_AddObjectToObject(cond, "not");
	cJSON_AddItemToObject(no_kind, "required", cJSON_CreateStringArray(&(const char *){"kind"}, 1));
	cJSON *then = cJSON_AddObjectToObject(c, "then");
	cJSON_AddItemToObject(then, "required", cJSON_CreateStringArray(&(const char *){"pipeline"}, 1));
	cJSON *all = cJSON_AddArrayToObject(then, "allOf");
	cJSON_AddItemToArray(all, ref("legacy"));
	return c;
}

char *fe_yaml_schema(void)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "$schema", "http://json-schema.org/draft-07/schema#");
	cJSON_AddStringToObject(root, "title", "pipec pipeline file (Drone 1.x dialect)");
	cJSON_AddStringToObject(root, "description",
				"one document of a .drone.yml file: a pipeline, a secret, a signature or a template");
	cJSON_AddStringToObject(root, "type", "object");
	cJSON *kind = cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "properties"), "kind");
	cJSON *spellings = cJSON_AddArrayToObject(kind, "anyOf");
	cJSON *current = cJSON_CreateObject();
	cJSON_AddItemToObject(current, "enum", cJSON_CreateStringArray(kinds, NKINDS));
	cJSON_AddItemToArray(spellings, current);
	for (size_t i = 0; i < NKINDS; i++)
		cJSON_AddItemToArray(spellings, any_case(kinds[i]));
	cJSON_AddStringToObject(kind, "description", "what the document is");
	cJSON *all = cJSON_AddArrayToObject(root, "allOf");
	for (size_t i = 0; i < NKINDS; i++)
		cJSON_AddItemToArray(all, kind_case(kinds[i], kinds[i]));
	cJSON_AddItemToArray(all, legacy_case());
	cJSON *defs = cJSON_AddObjectToObject(root, "definitions");
	for (size_t i = 0; i < NDEFS; i++)
		cJSON_AddItemToObject(defs, def_name(definitions[i]), keyset_schema(definitions[i]));
	cJSON_AddItemToObject(defs, "legacy", legacy_schema());
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	return text;
}
