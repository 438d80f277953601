/*
 * server.c - the JSON-RPC side of the language server: the life cycle
 * (initialize, shutdown, exit), documents opening, changing and closing,
 * settings, cancellation, and a table from method names to answers.
 *
 * Every message is checked before it is believed: a body that is not
 * JSON is a parse error, a request without a method or with a malformed
 * id is an invalid request, an unknown method is "method not found", and
 * parameters of the wrong shape are "invalid params".  A request answered
 * by a handler that cannot help gets `null`, as the protocol allows, so
 * a half-typed file never turns into an error the editor shows.
 */
#include <stdlib.h>
#include <string.h>

#include "lsp/internal.h"

enum {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_NOT_INITIALIZED = -32002,
	RPC_REQUEST_CANCELLED = -32800,
};

void lsp_send(struct lsp_server *s, cJSON *msg)
{
	cJSON_AddStringToObject(msg, "jsonrpc", "2.0");
	char *text = cJSON_PrintUnformatted(msg);
	if (text)
		s->opts.send(s->opts.arg, text, strlen(text));
	free(text);
	cJSON_Delete(msg);
}

static void reply(struct lsp_server *s, const cJSON *id, cJSON *result)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddItemToObject(m, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
	cJSON_AddItemToObject(m, "result", result ? result : cJSON_CreateNull());
	lsp_send(s, m);
}

static void reply_error(struct lsp_server *s, const cJSON *id, int code, const char *message)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddItemToObject(m, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
	cJSON *e = cJSON_AddObjectToObject(m, "error");
	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	lsp_send(s, m);
}

void lsp_handle_frame_error(struct lsp_server *s, enum lsp_frame err)
{
	reply_error(s, NULL, err == LSP_FRAME_TOO_LARGE ? RPC_INVALID_REQUEST : RPC_PARSE_ERROR,
		    err == LSP_FRAME_TOO_LARGE ? "message too large" :
						 "malformed header: no valid Content-Length");
}

/* ---- Settings ---------------------------------------------------------- */

static const char *str_of(const cJSON *o, const char *key, struct ir_arena *a)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? ir_strdup(a, v->valuestring) : NULL;
}

static void read_bool(const cJSON *o, const char *key, bool *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsBool(v))
		*out = cJSON_IsTrue(v);
}

/* The build context: the checkout's, with what the settings give over it. */
static void apply_context(struct lsp_settings *st, const cJSON *c, struct ir_arena *a)
{
	static const char *const names[] = {"branch", "event", "ref", "repo", "target",
					    "cron", "instance", "action", "commit"};
	const char **fields[] = {&st->ctx.branch, &st->ctx.event, &st->ctx.ref, &st->ctx.repo,
				 &st->ctx.target, &st->ctx.cron, &st->ctx.instance,
				 &st->ctx.action, &st->ctx.commit};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *v = str_of(c, names[i], a);
		if (v)
			*fields[i] = v;
	}
}

/* Settings as a client sends them: bare, or under "pipec". */
static void configure(struct lsp_server *s, const cJSON *opts)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(opts, "pipec");
	if (cJSON_IsObject(p))
		opts = p;
	struct lsp_settings *st = &s->settings;
	ir_arena_free(st->arena);
	st->arena = ir_arena_new();
	st->ctx = (struct fe_context){0};
	fe_context_default(&st->ctx, s->root ? s->root : ".", st->arena);
	if (!cJSON_IsObject(opts))
		return;
	read_bool(opts, "trusted", &st->policy.trusted);
	read_bool(opts, "requireNonRoot", &st->policy.require_non_root);
	read_bool(opts, "strict", &st->strict);
	apply_context(st, cJSON_GetObjectItemCaseSensitive(opts, "context"), st->arena);
}

/* ---- Life cycle -------------------------------------------------------- */

static cJSON *capabilities(void)
{
	cJSON *c = cJSON_CreateObject();
	cJSON *sync = cJSON_AddObjectToObject(c, "textDocumentSync");
	cJSON_AddBoolToObject(sync, "openClose", true);
	cJSON_AddNumberToObject(sync, "change", 2);     /* incremental */
	cJSON_AddBoolToObject(c, "hoverProvider", true);
	cJSON_AddBoolToObject(c, "definitionProvider", true);
	cJSON_AddBoolToObject(c, "referencesProvider", true);
	cJSON_AddBoolToObject(c, "documentSymbolProvider", true);
	cJSON_AddBoolToObject(c, "codeActionProvider", true);
	cJSON *rename = cJSON_AddObjectToObject(c, "renameProvider");
	cJSON_AddBoolToObject(rename, "prepareProvider", true);
	cJSON *comp = cJSON_AddObjectToObject(c, "completionProvider");
	const char *triggers[] = {":", " ", "-", "[", ","};
	cJSON_AddItemToObject(comp, "triggerCharacters", cJSON_CreateStringArray(triggers, 5));
	return c;
}

/* The folder a file: URI names, for the build context. */
static char *root_of(const cJSON *params)
{
	const cJSON *uri = cJSON_GetObjectItemCaseSensitive(params, "rootUri");
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(params, "rootPath");
	const char *r = cJSON_IsString(uri) && strncmp(uri->valuestring, "file://", 7) == 0 ?
				uri->valuestring + 7 :
			cJSON_IsString(path) ? path->valuestring : NULL;
	return r ? strdup(r) : NULL;
}

static cJSON *initialize(struct lsp_server *s, const cJSON *params)
{
	free(s->root);
	s->root = root_of(params);
	configure(s, cJSON_GetObjectItemCaseSensitive(params, "initializationOptions"));
	s->initialized = true;
	cJSON *r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "capabilities", capabilities());
	cJSON *info = cJSON_AddObjectToObject(r, "serverInfo");
	cJSON_AddStringToObject(info, "name", "pipec");
	return r;
}

/* ---- Documents --------------------------------------------------------- */

static const char *doc_uri(const cJSON *params)
{
	const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
	const cJSON *uri = cJSON_GetObjectItemCaseSensitive(td, "uri");
	return cJSON_IsString(uri) ? uri->valuestring : NULL;
}

static size_t doc_index(const struct lsp_server *s, const char *uri)
{
	for (size_t i = 0; uri && i < s->ndocs; i++)
		if (strcmp(s->docs[i]->uri, uri) == 0)
			return i;
	return s->ndocs;
}

struct lsp_doc *lsp_find_doc(struct lsp_server *s, const cJSON *params)
{
	size_t i = doc_index(s, doc_uri(params));
	return i < s->ndocs ? s->docs[i] : NULL;
}

static int version_of(const cJSON *params)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(params, "textDocument"), "version");
	return cJSON_IsNumber(v) ? v->valueint : 0;
}

static void did_open(struct lsp_server *s, const cJSON *params)
{
	const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(td, "text");
	const char *uri = doc_uri(params);
	if (!uri || !cJSON_IsString(text))
		return;
	size_t i = doc_index(s, uri);
	if (i == s->ndocs && s->ndocs == LSP_MAX_DOCUMENTS)
		return;
	struct lsp_doc *d = lsp_doc_new(uri, text->valuestring, strlen(text->valuestring),
					version_of(params));
	if (i < s->ndocs)
		lsp_doc_free(s->docs[i]);
	else
		s->ndocs++;
	s->docs[i] = d;
}

static void did_change(struct lsp_server *s, const cJSON *params)
{
	struct lsp_doc *d = lsp_find_doc(s, params);
	const cJSON *ch;
	if (!d)
		return;
	cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(params, "contentChanges")) {
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(ch, "text");
		if (!cJSON_IsString(text))
			continue;
		const cJSON *range = cJSON_GetObjectItemCaseSensitive(ch, "range");
		lsp_doc_edit(d, cJSON_IsObject(range) ? range : NULL, text->valuestring,
			     strlen(text->valuestring));
	}
	d->version = version_of(params);
}

/* A closed document's diagnostics are cleared, as editors expect. */
static void did_close(struct lsp_server *s, const cJSON *params)
{
	size_t i = doc_index(s, doc_uri(params));
	if (i == s->ndocs)
		return;
	struct lsp_doc *d = s->docs[i];
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "method", "textDocument/publishDiagnostics");
	cJSON *p = cJSON_AddObjectToObject(m, "params");
	cJSON_AddStringToObject(p, "uri", d->uri);
	cJSON_AddArrayToObject(p, "diagnostics");
	lsp_send(s, m);
	lsp_doc_free(d);
	s->docs[i] = s->docs[--s->ndocs];
}

static void did_change_configuration(struct lsp_server *s, const cJSON *params)
{
	configure(s, cJSON_GetObjectItemCaseSensitive(params, "settings"));
	for (size_t i = 0; i < s->ndocs; i++)
		s->docs[i]->dirty = true;
}

static void cancel(struct lsp_server *s, const cJSON *params)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(params, "id");
	if ((cJSON_IsNumber(id) || cJSON_IsString(id)) && cJSON_GetArraySize(s->cancelled) < 1024)
		cJSON_AddItemToArray(s->cancelled, cJSON_Duplicate(id, true));
}

/* Whether `id` was cancelled; forgets it, since it is answered now. */
static bool take_cancelled(struct lsp_server *s, const cJSON *id)
{
	for (int i = 0; i < cJSON_GetArraySize(s->cancelled); i++)
		if (cJSON_Compare(cJSON_GetArrayItem(s->cancelled, i), id, true)) {
			cJSON_DeleteItemFromArray(s->cancelled, i);
			return true;
		}
	return false;
}

/* ---- Dispatch ---------------------------------------------------------- */

/* What a request on a document answers; NULL with *error set to refuse it. */
typedef cJSON *(*doc_request)(struct lsp_server *s, struct lsp_doc *d, const cJSON *params,
			      const char **error);

static cJSON *q_definition(struct lsp_server *s, struct lsp_doc *d, const cJSON *p, const char **e)
{
	(void)s, (void)e;
	return lsp_definition(d, p);
}

static cJSON *q_references(struct lsp_server *s, struct lsp_doc *d, const cJSON *p, const char **e)
{
	(void)s, (void)e;
	return lsp_references(d, p);
}

static cJSON *q_rename(struct lsp_server *s, struct lsp_doc *d, const cJSON *p, const char **e)
{
	(void)s;
	return lsp_rename(d, p, e);
}

static cJSON *q_prepare_rename(struct lsp_server *s, struct lsp_doc *d, const cJSON *p,
			       const char **e)
{
	(void)s, (void)e;
	return lsp_prepare_rename(d, p);
}

static cJSON *q_symbols(struct lsp_server *s, struct lsp_doc *d, const cJSON *p, const char **e)
{
	(void)s, (void)p, (void)e;
	return lsp_document_symbols(d);
}

static cJSON *q_completion(struct lsp_server *s, struct lsp_doc *d, const cJSON *p, const char **e)
{
	(void)s, (void)e;
	return lsp_completion(d, p);
}

static cJSON *q_hover(struct lsp_server *s, struct lsp_doc *d, const cJSON *p, const char **e)
{
	(void)e;
	return lsp_hover(s, d, p);
}

static cJSON *q_code_actions(struct lsp_server *s, struct lsp_doc *d, const cJSON *p, const char **e)
{
	(void)e;
	return lsp_code_actions(s, d, p);
}

static const struct { const char *method; doc_request fn; } doc_requests[] = {
	{"textDocument/definition", q_definition},
	{"textDocument/references", q_references},
	{"textDocument/rename", q_rename},
	{"textDocument/prepareRename", q_prepare_rename},
	{"textDocument/documentSymbol", q_symbols},
	{"textDocument/completion", q_completion},
	{"textDocument/hover", q_hover},
	{"textDocument/codeAction", q_code_actions},
};

static const struct { const char *method; void (*fn)(struct lsp_server *, const cJSON *); }
notifications[] = {
	{"textDocument/didOpen", did_open},
	{"textDocument/didChange", did_change},
	{"textDocument/didClose", did_close},
	{"workspace/didChangeConfiguration", did_change_configuration},
	{"$/cancelRequest", cancel},
};

static void notification(struct lsp_server *s, const char *method, const cJSON *params)
{
	if (strcmp(method, "exit") == 0) {
		s->exited = true;
		return;
	}
	if (!s->initialized || s->shut_down)
		return;
	for (size_t i = 0; i < sizeof notifications / sizeof *notifications; i++)
		if (strcmp(method, notifications[i].method) == 0)
			notifications[i].fn(s, params);
}

static void doc_request_(struct lsp_server *s, const cJSON *id, size_t i, const cJSON *params)
{
	struct lsp_doc *d = lsp_find_doc(s, params);
	if (!d) {
		reply_error(s, id, RPC_INVALID_PARAMS, "unknown document");
		return;
	}
	const char *error = NULL;
	cJSON *r = doc_requests[i].fn(s, d, params, &error);
	if (error)
		reply_error(s, id, RPC_INVALID_PARAMS, error);
	else
		reply(s, id, r);
}

static void request(struct lsp_server *s, const cJSON *id, const char *method, const cJSON *params)
{
	if (strcmp(method, "initialize") == 0) {
		reply(s, id, initialize(s, params));
		return;
	}
	if (!s->initialized) {
		reply_error(s, id, RPC_NOT_INITIALIZED, "the server is not initialized");
		return;
	}
	if (s->shut_down) {
		reply_error(s, id, RPC_INVALID_REQUEST, "the server is shut down");
		return;
	}
	if (take_cancelled(s, id)) {
		reply_error(s, id, RPC_REQUEST_CANCELLED, "request cancelled");
		return;
	}
	if (strcmp(method, "shutdown") == 0) {
		s->shut_down = true;
		reply(s, id, NULL);
		return;
	}
	for (size_t i = 0; i < sizeof doc_requests / sizeof *doc_requests; i++)
		if (strcmp(method, doc_requests[i].method) == 0) {
			doc_request_(s, id, i, params);
			return;
		}
	reply_error(s, id, RPC_METHOD_NOT_FOUND, "method not found");
}

static void handle_msg(struct lsp_server *s, const cJSON *msg)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
	bool valid_id = !id || cJSON_IsNumber(id) || cJSON_IsString(id);
	if (!cJSON_IsObject(msg) || !valid_id || (method && !cJSON_IsString(method)))
		reply_error(s, valid_id ? id : NULL, RPC_INVALID_REQUEST, "invalid request");
	else if (!method)
		;   /* a response to a request of ours: the server sends none */
	else if (id)
		request(s, id, method->valuestring, params);
	else
		notification(s, method->valuestring, params);
}

void lsp_handle(struct lsp_server *s, const char *body, size_t len)
{
	cJSON *msg = cJSON_ParseWithLength(body, len);
	if (!msg)
		reply_error(s, NULL, RPC_PARSE_ERROR, "malformed JSON");
	else
		handle_msg(s, msg);
	cJSON_Delete(msg);
}

static bool is_cancel(const cJSON *msg)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "method");
	return cJSON_IsString(m) && strcmp(m->valuestring, "$/cancelRequest") == 0;
}

void lsp_handle_all(struct lsp_server *s, char *const *bodies, const size_t *lens, size_t n)
{
	cJSON **msgs = calloc(n ? n : 1, sizeof *msgs);
	if (!msgs)
		ir_oom();
	for (size_t i = 0; i < n; i++) {
		msgs[i] = cJSON_ParseWithLength(bodies[i], lens[i]);
		if (msgs[i] && is_cancel(msgs[i]))
			handle_msg(s, msgs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (!msgs[i])
			reply_error(s, NULL, RPC_PARSE_ERROR, "malformed JSON");
		else if (!is_cancel(msgs[i]))
			handle_msg(s, msgs[i]);
		cJSON_Delete(msgs[i]);
	}
	free(msgs);
}

void lsp_flush(struct lsp_server *s)
{
	for (size_t i = 0; i < s->ndocs; i++)
		if (s->docs[i]->dirty)
			lsp_publish_diagnostics(s, s->docs[i]);
}

struct lsp_server *lsp_server_new(const struct lsp_options *opts)
{
	struct lsp_server *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->opts = *opts;
	s->cancelled = cJSON_CreateArray();
	return s;
}

void lsp_server_free(struct lsp_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ndocs; i++)
		lsp_doc_free(s->docs[i]);
	cJSON_Delete(s->cancelled);
	ir_arena_free(s->settings.arena);
	free(s->root);
	free(s);
}

bool lsp_server_done(const struct lsp_server *s, int *status)
{
	*status = s->shut_down ? 0 : 1;
	return s->exited;
}
