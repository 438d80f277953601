/*
 * yaml.c - a kubeconfig's YAML as cJSON.
 *
 * libyaml loads the whole document (a kubeconfig is small, capped at
 * KUBE_MAX_CONFIG) and the node tree is copied into cJSON, aliases
 * followed, so config.c checks fields on one familiar structure.  Only
 * plain scalars take a type; a quoted "true" stays a string, as in YAML.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "backend-kube/internal.h"

static bool is_integer(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static cJSON *scalar(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cJSON_CreateString(v);
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		return cJSON_CreateTrue();
	if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		return cJSON_CreateFalse();
	if (!*v || !strcmp(v, "null") || !strcmp(v, "~") || !strcmp(v, "Null") || !strcmp(v, "NULL"))
		return cJSON_CreateNull();
	if (is_integer(v) && strlen(v) < 16)
		return cJSON_CreateNumber((double)strtoll(v, NULL, 10));
	return cJSON_CreateString(v);
}

static cJSON *convert(yaml_document_t *d, yaml_node_t *n, int depth)
{
	if (!n || depth > 64)
		return cJSON_CreateNull();
	if (n->type == YAML_SCALAR_NODE)
		return scalar(n);
	if (n->type == YAML_SEQUENCE_NODE) {
		cJSON *a = cJSON_CreateArray();
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
			cJSON_AddItemToArray(a, convert(d, yaml_document_get_node(d, *i), depth + 1));
		return a;
	}
	cJSON *o = cJSON_CreateObject();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (!k || k->type != YAML_SCALAR_NODE)
			continue;
		const char *key = (const char *)k->data.scalar.value;
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);    /* the last one wins */
		cJSON_AddItemToObject(o, key, convert(d, yaml_document_get_node(d, p->value), depth + 1));
	}
	return o;
}

cJSON *kube_yaml_parse(const char *text, size_t len, char *err, size_t errsize)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	cJSON *out = NULL;
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errsize, "line %zu: %s", parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "not YAML");
	} else {
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		out = root ? convert(&doc, root, 0) : cJSON_CreateObject();
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return out;
}
