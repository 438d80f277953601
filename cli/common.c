/*
 * common.c - reading inputs and reporting for every command.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int read_stream(FILE *fp, const char *path, struct cli_file *f,
		       struct diag_list *dl)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	struct ir_pos pos = {.file = path};
	for (;;) {
		if (buf && len + 1 >= cap && cap <= FE_MAX_INPUT) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
			cap *= 2;
		}
		if (!buf)
			return diag_error(dl, pos, "io-error", "out of memory reading the file");
		size_t n = fread(buf + len, 1, cap - 1 - len, fp);
		len += n;
		if (len > FE_MAX_INPUT) {
			free(buf);
			return diag_error(dl, pos, "input-too-large",
					  "file is larger than %u MiB", FE_MAX_INPUT >> 20);
		}
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
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
