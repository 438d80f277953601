/*
 * schema_test.c - the JSON Schema generated from the key table.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "frontend/keys.h"

static cJSON *load(void)
{
	char *text = fe_yaml_schema();
	cJSON *s = cJSON_Parse(text);
	free(text);
	cr_assert_not_null(s, "the schema is JSON");
	return s;
}

static cJSON *definition(cJSON *s, const char *name)
{
	cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "definitions"), name);
	cr_assert_not_null(d, "definition %s", name);
	return d;
}

Test(schema, draft07_with_a_case_per_kind)
{
	cJSON *s = load();
	cr_assert_str_eq(cJSON_GetObjectItem(s, "$schema")->valuestring,
			 "http://json-schema.org/draft-07/schema#");
	/* pipeline, secret, signature, template, and a document without kind (0.8) */
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s, "allOf")), 5);
	cJSON_Delete(s);
}

Test(schema, every_key_of_the_table_is_described)
{
	static const struct { const char *def; const struct fe_keyset *ks; } sets[] = {
		{"pipeline", &fe_keys_pipeline}, {"step", &fe_keys_step},
		{"clone", &fe_keys_clone}, {"volume", &fe_keys_volume},
		{"secret", &fe_keys_secret}, {"when", &fe_keys_when},
		{"port", &fe_keys_port}, {"limits", &fe_keys_limits},
	};
	cJSON *s = load();
	for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
		cJSON *d = definition(s, sets[i].def);
		cJSON *props = cJSON_GetObjectItem(d, "properties");
		cr_assert_eq(cJSON_GetArraySize(props), (int)sets[i].ks->n);
		/* other keys are allowed, a misspelling of each known one is not */
		cr_assert_null(cJSON_GetObjectItem(d, "additionalProperties"));
		cJSON *names = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "propertyNames"), "allOf");
		cr_assert_eq(cJSON_GetArraySize(names), (int)sets[i].ks->n);
		for (size_t k = 0; k < sets[i].ks->n; k++) {
			cJSON *p = cJSON_GetObjectItem(props, sets[i].ks->keys[k].name);
			cr_assert_not_null(p, "%s.%s", sets[i].def, sets[i].ks->keys[k].name);
			cJSON *desc = cJSON_GetObjectItem(p, "description");
			cr_assert(cJSON_IsString(desc) && *desc->valuestring,
				  "%s.%s has a description", sets[i].def, sets[i].ks->keys[k].name);
		}
	}
	cJSON_Delete(s);
}

Test(schema, a_misspelling_names_the_key_the_compiler_offers)
{
	cJSON *s = load();
	cJSON *names = cJSON_GetObjectItem(cJSON_GetObjectItem(definition(s, "step"),
							       "propertyNames"), "allOf");
	cJSON *p = cJSON_GetArrayItem(names, ST_COMMANDS);
	cr_assert_str_eq(cJSON_GetObjectItem(p, "patternErrorMessage")->valuestring,
			 "unknown key in step, did you mean 'commands'");
	cr_assert_not_null(strstr(cJSON_GetObjectItem(p, "pattern")->valuestring, "(?!(?:commands|command)$|x-|\\.)"),
			   "the known keys near 'commands' are no misspelling of it");
	cJSON_Delete(s);
}

Test(schema, exactly_one_source_of_a_volume_and_of_a_secret)
{
	cJSON *s = load();
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(definition(s, "volume"), "oneOf")), 2);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(definition(s, "secret"), "oneOf")), 4);
	cJSON_Delete(s);
}

Test(schema, required_keys_follow_the_table)
{
	cJSON *s = load();
	cJSON *req = cJSON_GetObjectItem(definition(s, "step"), "required");
	cr_assert_eq(cJSON_GetArraySize(req), 1);
	cr_assert_str_eq(cJSON_GetArrayItem(req, 0)->valuestring, "name");
	req = cJSON_GetObjectItem(definition(s, "pipeline"), "required");
	cr_assert_eq(cJSON_GetArraySize(req), 2);
	cJSON_Delete(s);
}
