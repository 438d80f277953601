/*
 * yaml.c - block YAML from a cJSON tree, through libyaml's emitter.
 *
 * The emitters build their objects as cJSON (as the JSON formats do) and
 * this file renders them: mappings and sequences in block style, strings
 * plain where a reader cannot take them for anything but a string, quoted
 * otherwise (`"true"`, `"1.0"`, `"on"` stay strings in YAML 1.1 readers
 * too), multi-line strings as literal blocks so scripts read as written.
 * libyaml decides the quoting that syntax needs; this file only decides
 * what typing needs.  Documents after the first are opened with `---`.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "emit/internal.h"

/* Words YAML 1.1 or 1.2 readers turn into booleans or null. */
static const char *const reserved[] = {
	"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "<<", "=", NULL};

/*
 * True when `s` may be written plain and still read back as a string.
 * GitHub's `on` key is written plain: its readers take it as a key name.
 */
static bool plain_ok(const char *s, bool key)
{
	if (!*s)
		return false;
	if (isdigit((unsigned char)s[0]))
		return false;
	if (strchr("-+.", s[0])) {
		const char *t = s + (s[0] != '.');
		t += *t == '.';
		if (isdigit((unsigned char)*t) || strcasecmp(t, "inf") == 0 ||
		    strcasecmp(t, "nan") == 0)
			return false;
	}
	for (const char *const *r = reserved; *r; r++)
		if (strcasecmp(s, *r) == 0)
			return key && strcmp(s, "on") == 0;
	return true;
}

static int string(yaml_emitter_t *em, const char *s, bool key)
{
	yaml_event_t ev;
	bool plain = plain_ok(s, key);
	yaml_scalar_style_t style = strchr(s, '\n') && !key ? YAML_LITERAL_SCALAR_STYLE :
				    plain ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
				     plain, 1, style);
	return yaml_emitter_emit(em, &ev);
}

static int plain(yaml_emitter_t *em, const char *s)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
				     YAML_PLAIN_SCALAR_STYLE);
	return yaml_emitter_emit(em, &ev);
}

static int number(yaml_emitter_t *em, double d)
{
	char buf[64];
	if (d == (double)(long long)d)
		snprintf(buf, sizeof buf, "%lld", (long long)d);
	else
		snprintf(buf, sizeof buf, "%.17g", d);
	return plain(em, buf);
}

static int node(yaml_emitter_t *em, const cJSON *v);

/*
 * A mapping or sequence: block style, or flow style when empty ({} and
 * []), so an empty one reads as what it is.
 */
static int collection(yaml_emitter_t *em, const cJSON *v)
{
	yaml_event_t ev;
	bool map = cJSON_IsObject(v);
	if (map)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, v->child ?
						    YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
	else
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, v->child ?
						     YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
	if (!yaml_emitter_emit(em, &ev))
		return 0;
	for (const cJSON *c = v->child; c; c = c->next)
		if ((map && !string(em, c->string, true)) || !node(em, c))
			return 0;
	if (map)
		yaml_mapping_end_event_initialize(&ev);
	else
		yaml_sequence_end_event_initialize(&ev);
	return yaml_emitter_emit(em, &ev);
}

static int node(yaml_emitter_t *em, const cJSON *v)
{
	if (cJSON_IsString(v))
		return string(em, v->valuestring, false);
	if (cJSON_IsNumber(v))
		return number(em, v->valuedouble);
	if (cJSON_IsBool(v))
		return plain(em, cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		return collection(em, v);
	return plain(em, "null");
}

static int write_out(void *data, unsigned char *buf, size_t size)
{
	return fwrite(buf, 1, size, data) == size;
}

static int documents(yaml_emitter_t *em, const cJSON *docs)
{
	yaml_event_t ev;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(em, &ev))
		return 0;
	for (const cJSON *d = docs->child; d; d = d->next) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, d == docs->child);
		if (!yaml_emitter_emit(em, &ev) || !node(em, d))
			return 0;
		yaml_document_end_event_initialize(&ev, 1);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
	}
	yaml_stream_end_event_initialize(&ev);
	return yaml_emitter_emit(em, &ev);
}

char *emit_yaml(struct emit *e, const cJSON *docs, const char *head)
{
	struct emit_stream s;
	if (emit_stream_begin(e, &s) < 0)
		return NULL;
	if (head)
		fputs(head, s.fp);
	yaml_emitter_t em;
	yaml_emitter_initialize(&em);
	yaml_emitter_set_output(&em, write_out, s.fp);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	int ok = documents(&em, docs);
	if (!ok)
		emit_refuse(e, (struct ir_pos){0}, "cannot write yaml: %s",
			    em.problem ? em.problem : "unknown error");
	yaml_emitter_delete(&em);
	char *text = emit_stream_end(e, &s);
	if (!ok) {
		free(text);
		return NULL;
	}
	return text;
}
