/*
 * common.c - reading inputs and reporting for every command.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/*
 * Reads the whole stream.  A regular file's size sizes the buffer, so a
 * large input is held once rather than in a doubled buffer; pipes grow.
 */
static int read_stream(FILE *fp, const char *path, struct cli_file *f,
		       struct diag_list *dl)
{
	struct stat st;
	size_t cap = 4096, len = 0;
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= FE_MAX_INPUT)
		cap = (size_t)st.st_size + 2;   /* room for the NUL and to see EOF */
	char *buf = malloc(cap);
	struct ir_pos pos = {.file = path};
	for (size_t n = 1; buf && n > 0 && len <= FE_MAX_INPUT;) {
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
		if (buf) {
			n = fread(buf + len, 1, cap - 1 - len, fp);
			len += n;
		}
	}
	if (!buf)
		return diag_error(dl, pos, "io-error", "out of memory reading the file");
	if (len > FE_MAX_INPUT || ferror(fp)) {
		free(buf);
		if (len > FE_MAX_INPUT)
			return diag_error(dl, pos, "input-too-large", "file is larger than %u MiB",
					  FE_MAX_INPUT >> 20);
		return diag_error(dl, pos, "io-error", "cannot read: %s", strerror(errno));
	}
	buf[len] = '\0';
	f->text = buf;
	f->len = len;
	return 0;
}

int cli_read_file(const char *path, struct cli_file *f, struct diag_list *dl)
{
	if (strcmp(path, "-") == 0)
		return read_stream(stdin, "<stdin>", f, dl);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return diag_error(dl, (struct ir_pos){.file = path}, "io-error",
				  "cannot open: %s", strerror(errno));
	int r = read_stream(fp, path, f, dl);
	fclose(fp);
	return r;
}

struct ir_doc *cli_load(const char *path, const struct fe_context *ctx,
			struct ir_arena *a, struct diag_list *dl)
{
	struct cli_file f;
	if (cli_read_file(path, &f, dl) < 0)
		return NULL;
	struct fe_context def;
	if (!ctx) {
		fe_context_default(&def, ".", a);
		ctx = &def;
	}
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	struct ir_doc *doc = fe_compile(name, f.text, f.len, ctx, a, dl);
	free(f.text);
	return doc;
}

size_t cli_report(struct diag_list *dl)
{
	diag_sort(dl);
	diag_print(stderr, dl, DIAG_TEXT, diag_want_color(stderr));
	return dl->nerrors;
}

int cli_write_output(const char *path, const char *text)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!fp) {
		fprintf(stderr, "pipec: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fputs(text, fp);
	int bad = ferror(fp);
	if (fp != stdout)
		bad |= fclose(fp);
	else
		bad |= fflush(fp);
	if (bad) {
		fprintf(stderr, "pipec: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pipec: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'pipec help %s' for more information.\n", cmd);
	va_end(ap);
	return EXIT_USAGE;
}

/* The context's build fields, in the order of CLI_CONTEXT_OPTIONS. */
static const size_t context_fields[] = {
	offsetof(struct fe_context, branch), offsetof(struct fe_context, event),
	offsetof(struct fe_context, ref), offsetof(struct fe_context, repo),
	offsetof(struct fe_context, target), offsetof(struct fe_context, cron),
	offsetof(struct fe_context, instance), offsetof(struct fe_context, action),
	offsetof(struct fe_context, commit),
};
#define NCONTEXT_FIELDS (sizeof context_fields / sizeof context_fields[0])

static const char **context_field(const struct fe_context *ctx, size_t i)
{
	return (const char **)((char *)ctx + context_fields[i]);
}

bool cli_context_option(struct fe_context *ctx, int c, const char *arg)
{
	size_t i = (size_t)(c - CLI_OPT_CONTEXT);
	if (c < CLI_OPT_CONTEXT || i >= NCONTEXT_FIELDS)
		return false;
	*context_field(ctx, i) = arg;
	return true;
}

void cli_context_merge(struct fe_context *ctx, const struct fe_context *over)
{
	for (size_t i = 0; i < NCONTEXT_FIELDS; i++)
		if (*context_field(over, i))
			*context_field(ctx, i) = *context_field(over, i);
}
