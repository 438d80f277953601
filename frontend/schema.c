/*
 * schema.c - the JSON Schema (draft-07) of the YAML dialect, generated
 * from the key table in keys.c.
 *
 * Each keyset becomes a definition with `additionalProperties: false`,
 * its required keys and a `description` on every property, so an editor
 * running yaml-language-server completes, explains and flags the same
 * keys the compiler accepts.  A file holds several documents; each is
 * matched to its definition by `kind` with if/then.
 */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "frontend/keys.h"

static const struct fe_keyset *const definitions[] = {
	&fe_keys_pipeline, &fe_keys_step, &fe_keys_platform, &fe_keys_workspace,
	&fe_keys_clone, &fe_keys_volume, &fe_keys_volume_temp, &fe_keys_volume_host,
	&fe_keys_mount, &fe_keys_device, &fe_keys_port, &fe_keys_resources,
	&fe_keys_limits, &fe_keys_concurrency, &fe_keys_secret, &fe_keys_secret_get,
	&fe_keys_signature, &fe_keys_from_secret, &fe_keys_when, &fe_keys_condition,
	&fe_keys_healthcheck, &fe_keys_export, &fe_keys_import, &fe_keys_pool,
	&fe_keys_kube_metadata, &fe_keys_toleration, &fe_keys_dns_config,
	&fe_keys_dns_option, &fe_keys_host_alias, &fe_keys_template,
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
	cJSON_AddFalseToObject(o, "additionalProperties");
	return o;
}

static cJSON *kind_case(const char *kind, const char *def)
{
	cJSON *c = cJSON_CreateObject();
	cJSON *cond = cJSON_AddObjectToObject(c, "if");
	cJSON *props = cJSON_AddObjectToObject(cond, "properties");
	cJSON *k = cJSON_AddObjectToObject(props, "kind");
	cJSON_AddStringToObject(k, "const", kind);
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
	const char *kinds[] = {"pipeline", "secret", "signature", "template"};
	cJSON_AddItemToObject(kind, "enum", cJSON_CreateStringArray(kinds, 4));
	cJSON_AddStringToObject(kind, "description", "what the document is");
	cJSON *all = cJSON_AddArrayToObject(root, "allOf");
	for (size_t i = 0; i < 4; i++)
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
