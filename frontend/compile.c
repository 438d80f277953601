/*
 * compile.c - fe_compile(), the frontend's one entry point.
 *
 * The input format is told by content, not by file name: text whose first
 * significant character (after an optional UTF-8 byte order mark and
 * whitespace) is `{` is JSON.  JSON with a top-level `pipelines` key is
 * pipec's own IR v1; any other JSON object is drone-runtime IR.
 * Everything else is YAML in the Drone dialect, read into a node tree
 * and lowered.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"

/* Skips a UTF-8 byte order mark and whitespace; returns the offset. */
static size_t skip_lead(const char *text, size_t len)
{
	size_t i = 0;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && strchr(" \t\r\n", text[i]) && text[i])
		i++;
	return i;
}

static bool mentions(const char *text, size_t len, const char *key, size_t klen)
{
	for (size_t i = 0; i + klen <= len; i++)
		if (memcmp(text + i, key, klen) == 0)
			return true;
	return false;
}

/*
 * True when the JSON text is an object with a top-level `pipelines`.
 * Text that does not parse goes to the reader whose key it mentions, so
 * a broken IR file gets the IR reader's syntax error.
 */
static bool is_ir_v1(const char *text, size_t len)
{
	static const char key[] = "\"pipelines\"";
	cJSON *root = cJSON_ParseWithLength(text, len);
	bool yes = root ? cJSON_IsObject(root) &&
			  cJSON_GetObjectItemCaseSensitive(root, "pipelines")
			: mentions(text, len, key, sizeof key - 1);
	cJSON_Delete(root);
	return yes;
}

static struct ir_doc *compile_yaml(const char *path, const char *text,
				   size_t len, const struct fe_context *ctx,
				   struct ir_arena *a, struct diag_list *dl)
{
	/* The tree is freed once lowered; the IR keeps only its scalar text. */
	struct fe_docs docs = {.tree = ir_arena_new()};
	size_t before = dl->nerrors;
	fe_yaml_read(path, text, len, a, &docs, dl);
	/* Lower what was read even after a syntax error: one run, all errors. */
	struct ir_doc *d = fe_drone_lower(&docs, ctx, a, dl);
	fe_docs_release(&docs);
	return dl->nerrors > before ? NULL : d;
}

struct ir_doc *fe_compile(const char *path, const char *text, size_t len,
			  const struct fe_context *ctx, struct ir_arena *a,
			  struct diag_list *dl)
{
	struct ir_pos pos = {.file = path, .line = 1, .col = 1};
	size_t before = dl->nerrors;
	if (len > FE_MAX_INPUT) {
		diag_error(dl, pos, "input-too-large",
			   "input is larger than %u bytes", FE_MAX_INPUT);
		return NULL;
	}
	struct fe_context none = {0};
	if (!ctx)
		ctx = &none;
	size_t off = skip_lead(text, len);
	struct ir_doc *d;
	if (off < len && text[off] == '{') {
		if (is_ir_v1(text + off, len - off))
			d = ir_read(path, text + off, len - off, a, dl);
		else
			d = fe_drone_runtime_import(path, text + off, len - off, a, dl);
	} else {
		d = compile_yaml(path, text, len, ctx, a, dl);
	}
	return dl->nerrors > before ? NULL : d;
}
