/*
 * compile.c - fe_compile() and fe_compile_file(), the frontend's entry
 * points.
 *
 * The input format is told by content, not by file name: text whose first
 * significant character (after an optional UTF-8 byte order mark and
 * whitespace) is `{` is JSON.  JSON with a top-level `pipelines` key is
 * pipec's own IR v3; any other JSON object is drone-runtime IR.
 * Everything else is YAML in the Drone dialect, read into a node tree
 * and lowered, one document at a time.  A file the frontend reads itself
 * is freed as soon as it has been read, and a large one page by page as
 * its documents are lowered: the IR keeps copies of what it needs, and a
 * large file's text would otherwise add its size to the peak.  YAML is
 * lowered as far as it goes even after errors, and the IR returned, so
 * the validator can still report on what lowered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "frontend/internal.h"

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
 * True when the JSON text is pipec's own IR (any version): an object
 * with a top-level `pipelines`, which no drone-runtime file has.
 * Text that does not parse goes to the reader whose key it mentions, so
 * a broken IR file gets the IR reader's syntax error.
 */
static bool is_pipec_ir(const char *text, size_t len)
{
	static const char key[] = "\"pipelines\"";
	cJSON *root = cJSON_ParseWithLength(text, len);
	bool yes = root ? cJSON_IsObject(root) &&
			  cJSON_GetObjectItemCaseSensitive(root, "pipelines")
			: mentions(text, len, key, sizeof key - 1);
	cJSON_Delete(root);
	return yes;
}

/*
 * Text the frontend read itself: malloc'd, or, for a large regular file,
 * `mapped` bytes of pages of its own, which the YAML reader gives back
 * as it goes.
 */
struct owned {
	char *p;                    /* NULL: the caller's text */
	size_t mapped;              /* 0: malloc'd */
};

static void release(struct owned *o)
{
	if (o->mapped)
		munmap(o->p, o->mapped);
	else
		free(o->p);
	o->p = NULL;
}

static struct ir_doc *compile_yaml(const char *path, const char *text, size_t len,
				   struct owned *owned, const struct fe_context *ctx,
				   struct ir_arena *a, struct diag_list *dl)
{
	/* Each document is lowered as soon as it is read and its nodes freed:
	 * the IR keeps only their scalar text, so a file of many documents
	 * holds the tree of one.  What was read before a syntax error is
	 * lowered too: one run, all errors. */
	struct fe_lowering *l = fe_drone_begin(path, ctx, a, dl);
	struct fe_docs docs = {.tree = ir_arena_new(), .each = fe_drone_doc, .each_arg = l,
			       .release_text = owned->mapped != 0};
	/* Drone files make about 2.2 times their size in tree and 2.4 in IR
	 * (the 2,000-step bench file); both are told 2.5. */
	size_t expect = len / 2 * 5;
	ir_arena_expect(docs.tree, expect);
	ir_arena_expect(a, expect);
	fe_yaml_read(path, text, len, a, &docs, dl);
	release(owned);
	struct ir_doc *d = fe_drone_end(l);
	fe_docs_release(&docs);
	return d;
}

static struct ir_doc *compile(const char *path, const char *text, size_t len,
			      struct owned *owned, const struct fe_context *ctx,
			      struct ir_arena *a, struct diag_list *dl)
{
	struct ir_pos pos = {.file = path, .line = 1, .col = 1};
	size_t before = dl->nerrors;
	struct fe_context none = {0};
	if (!ctx)
		ctx = &none;
	if (len > FE_MAX_INPUT) {
		diag_error(dl, pos, "input-too-large",
			   "input is larger than %u bytes", FE_MAX_INPUT);
		release(owned);
		return NULL;
	}
	size_t off = skip_lead(text, len);
	struct ir_doc *d;
	if (off < len && text[off] == '{') {
		if (is_pipec_ir(text + off, len - off))
			d = ir_read(path, text + off, len - off, a, dl);
		else
			d = fe_drone_runtime_import(path, text + off, len - off, a, dl);
	} else {
		return compile_yaml(path, text, len, owned, ctx, a, dl);
	}
	release(owned);
	return dl->nerrors > before ? NULL : d;
}

struct ir_doc *fe_compile(const char *path, const char *text, size_t len,
			  const struct fe_context *ctx, struct ir_arena *a,
			  struct diag_list *dl)
{
	struct owned none = {0};
	return compile(path, text, len, &none, ctx, a, dl);
}

static char *too_large(struct diag_list *dl, struct ir_pos pos)
{
	diag_error(dl, pos, "input-too-large", "file is larger than %u MiB", FE_MAX_INPUT >> 20);
	return NULL;
}

/*
 * A regular file's size sizes the buffer, so a large input is held once
 * rather than in a doubled buffer; pipes grow.
 */
char *fe_read_stream(FILE *fp, const char *name, size_t *len, struct diag_list *dl)
{
	struct stat st;
	size_t cap = 4096, n = 0;
	struct ir_pos pos = {.file = name};
	bool regular = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode);
	if (regular && st.st_size > FE_MAX_INPUT)       /* refused unread */
		return too_large(dl, pos);
	if (regular)
		cap = (size_t)st.st_size + 2;   /* room for the NUL and to see EOF */
	char *buf = malloc(cap);
	for (size_t got = 1; buf && got > 0 && n <= FE_MAX_INPUT;) {
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
		if (buf) {
			got = fread(buf + n, 1, cap - 1 - n, fp);
			n += got;
		}
	}
	if (!buf) {
		diag_error(dl, pos, "io-error", "out of memory reading the file");
		return NULL;
	}
	if (n > FE_MAX_INPUT || ferror(fp)) {
		free(buf);
		if (n > FE_MAX_INPUT)
			return too_large(dl, pos);
		diag_error(dl, pos, "io-error", "cannot read: %s", strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * A regular file of at least MAPPED_MIN bytes, and within the ceiling,
 * read into pages mapped for it (see struct owned); NULL for anything
 * else, or when it changed size while read, to be read as a stream.
 */
#define MAPPED_MIN (1u << 20)

static char *read_mapped(FILE *fp, size_t *len, size_t *mapped)
{
	struct stat st;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < MAPPED_MIN ||
	    st.st_size > FE_MAX_INPUT)
		return NULL;
	size_t cap = (size_t)st.st_size + 2;    /* room for the NUL and to see EOF */
	char *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	size_t n = fread(p, 1, cap - 1, fp);
	if (n != (size_t)st.st_size || ferror(fp)) {
		munmap(p, cap);
		rewind(fp);
		return NULL;
	}
	p[n] = '\0';
	*len = n;
	*mapped = cap;
	return p;
}

struct ir_doc *fe_compile_file(const char *path, const char *name,
			       const struct fe_context *ctx, struct ir_arena *a,
			       struct diag_list *dl)
{
	bool in = strcmp(path, "-") == 0;
	if (!name)
		name = in ? "<stdin>" : path;
	FILE *fp = in ? stdin : fopen(path, "rb");
	if (!fp) {
		diag_error(dl, (struct ir_pos){.file = name}, "io-error", "cannot open: %s",
			   strerror(errno));
		return NULL;
	}
	size_t len;
	struct owned text = {0};
	text.p = read_mapped(fp, &len, &text.mapped);
	if (!text.p)
		text.p = fe_read_stream(fp, name, &len, dl);
	if (!in)
		fclose(fp);
	return text.p ? compile(name, text.p, len, &text, ctx, a, dl) : NULL;
}
