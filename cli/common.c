/*
 * common.c - reading inputs and reporting for every command.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

struct ir_doc *cli_load(const char *path, const struct fe_context *ctx,
			struct ir_arena *a, struct diag_list *dl)
{
	struct fe_context def;
	if (!ctx) {
		fe_context_default(&def, ".", a);
		ctx = &def;
	}
	size_t before = dl->nerrors;
	struct ir_doc *doc = fe_compile_file(path, NULL, ctx, a, dl);
	if (doc && dl->nerrors == before)
		cli_no_pipelines(doc, path, dl);
	return dl->nerrors > before ? NULL : doc;
}

int cli_no_pipelines(const struct ir_doc *doc, const char *path, struct diag_list *dl)
{
	if (doc->npipelines)
		return 0;
	return diag_error(dl, (struct ir_pos){.file = path, .line = 1, .col = 1}, "no-pipelines",
			  "the file holds no pipeline to build here: its templates are expanded by "
			  "a Drone server; give --templates DIR to expand them here");
}

size_t cli_report(struct diag_list *dl)
{
	diag_sort(dl);
	diag_print(stderr, dl, DIAG_TEXT, diag_want_color(stderr));
	return dl->nerrors;
}

void cli_strict(struct diag_list *dl)
{
	for (size_t i = 0; i < dl->len; i++)
		if (dl->items[i].severity == DIAG_WARNING)
			dl->items[i].severity = DIAG_ERROR;
	dl->nerrors += dl->nwarnings;
	dl->nwarnings = 0;
}

bool cli_has_rule(const struct diag_list *dl, const char *rule)
{
	for (size_t i = 0; i < dl->len; i++)
		if (strcmp(dl->items[i].rule, rule) == 0)
			return true;
	return false;
}

FILE *cli_open_output(const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!fp)
		fprintf(stderr, "pipec: cannot write %s: %s\n", path, strerror(errno));
	return fp;
}

int cli_close_output(FILE *fp, const char *path)
{
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

int cli_write_output(const char *path, const char *text)
{
	FILE *fp = cli_open_output(path);
	if (!fp)
		return -1;
	fputs(text, fp);
	return cli_close_output(fp, path);
}

/* A directory we may make entries in; false with errno set. */
static bool writable_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return false;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return false;
	}
	return access(dir, W_OK | X_OK) == 0;
}

/* The directory `path` is in, in `buf`; "." for a bare name. */
static const char *parent_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return ".";
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	snprintf(buf, size, "%.*s", (int)n, path);
	return buf;
}

/* Whether `path` is a directory, or one `deep` levels of mkdir can make. */
static bool can_make_dir(const char *path, bool deep)
{
	char buf[4096];
	struct stat st;
	if (stat(path, &st) == 0)
		return writable_dir(path);
	if (errno != ENOENT || strlen(path) >= sizeof buf)
		return false;
	const char *up = parent_of(path, buf, sizeof buf);
	return deep && strcmp(up, path) != 0 ? can_make_dir(up, deep) : writable_dir(up);
}

int cli_check_output(const char *cmd, const char *option, const char *path, enum cli_output kind)
{
	char buf[4096];
	struct stat st;
	bool ok;
	if (kind == CLI_OUT_FILE) {
		if (strcmp(path, "-") == 0)
			return 0;
		bool exists = stat(path, &st) == 0;
		if (exists && S_ISDIR(st.st_mode))
			errno = EISDIR;
		ok = exists ? !S_ISDIR(st.st_mode) && access(path, W_OK) == 0
			    : errno == ENOENT && strlen(path) < sizeof buf &&
				      writable_dir(parent_of(path, buf, sizeof buf));
	} else {
		ok = can_make_dir(path, kind == CLI_OUT_DIRS);
	}
	return ok ? 0 : cli_usage_error(cmd, "%s %s cannot be written: %s", option, path,
					strerror(errno));
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
	offsetof(struct fe_context, commit), offsetof(struct fe_context, templates),
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

char **cli_inputs(int argc, char **argv, int first, int *n)
{
	static char *defaults[] = {".drone.yml", ".drone.yaml"};
	*n = argc - first;
	if (*n > 0)
		return argv + first;
	*n = 1;
	for (size_t i = 0; i < 2; i++)
		if (access(defaults[i], F_OK) == 0) {
			fprintf(stderr, "pipec: reading %s\n", defaults[i]);
			return &defaults[i];
		}
	fputs("pipec: no input file, and no .drone.yml or .drone.yaml here\n", stderr);
	return NULL;
}
