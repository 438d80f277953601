/*
 * lint.c - `pipec lint`: every finding of the frontend and the validator
 * for each file, in the format an editor or a code-review tool reads.
 *
 * Each file is compiled and checked on its own, so one broken file does
 * not hide another's findings; all findings are printed together, sorted
 * by position, on stdout.  The exit status says whether any finding
 * should fail the check: errors always, warnings with --strict.  An
 * editor linting an unsaved buffer pipes it in as `-` and names it with
 * --stdin-name, so positions name the file being edited.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "validate/validate.h"

enum { OPT_FORMAT = 256, OPT_STRICT, OPT_TRUSTED, OPT_NON_ROOT, OPT_LIST, OPT_STDIN_NAME };

static const struct option lint_options[] = {
	{"format", required_argument, NULL, OPT_FORMAT},
	{"strict", no_argument, NULL, OPT_STRICT},
	{"trusted", no_argument, NULL, OPT_TRUSTED},
	{"require-non-root", no_argument, NULL, OPT_NON_ROOT},
	{"list-rules", no_argument, NULL, OPT_LIST},
	{"stdin-name", required_argument, NULL, OPT_STDIN_NAME},
	{"help", no_argument, NULL, 'h'},
	CLI_CONTEXT_OPTIONS,
	{0},
};

struct lint_opts {
	enum diag_format format;
	bool strict, list;
	const char *stdin_name;
	struct val_policy policy;
	struct fe_context ctx;
};

static int parse_format(const char *s, enum diag_format *out)
{
	static const struct { const char *name; enum diag_format fmt; } formats[] = {
		{"gcc", DIAG_TEXT}, {"text", DIAG_TEXT}, {"json", DIAG_JSON}, {"sarif", DIAG_SARIF},
	};
	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
		if (strcmp(s, formats[i].name) == 0) {
			*out = formats[i].fmt;
			return 0;
		}
	return -1;
}

/* -1 to go on, or the exit status to return at once. */
static int parse_args(int argc, char **argv, struct lint_opts *o)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lint_options, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (parse_format(optarg, &o->format) < 0)
				return cli_usage_error("lint", "unknown format '%s'", optarg);
			break;
		case OPT_STRICT: o->strict = true; break;
		case OPT_TRUSTED: o->policy.trusted = true; break;
		case OPT_NON_ROOT: o->policy.require_non_root = true; break;
		case OPT_LIST: o->list = true; break;
		case OPT_STDIN_NAME: o->stdin_name = optarg; break;
		case 'h': fputs(cmd_lint.usage, stdout); return EXIT_OK;
		default:
			if (!cli_context_option(&o->ctx, c, optarg))
				return cli_usage_error("lint", "invalid option");
		}
	}
	return -1;
}

static void list_rules(void)
{
	static const char *const sev[] = {"note", "warning", "error"};
	for (size_t i = 0; i < ir_nrules; i++)
		printf("%-28s %-8s %s\n", ir_rules[i].id, sev[ir_rules[i].severity],
		       ir_rules[i].summary);
}

/*
 * Compiles one input, stdin ("-") named `stdin_name` when given.  What
 * lowered is returned after errors too, for the validator to check.
 */
static struct ir_doc *load(const char *path, const struct lint_opts *o, struct ir_arena *a,
			   struct diag_list *dl)
{
	const char *name = strcmp(path, "-") == 0 ? o->stdin_name : NULL;
	return fe_compile_file(path, name, &o->ctx, a, dl);
}

/*
 * SARIF viewers show a rule's description and default level; the printer
 * in ir/ knows only ids, so the rules are described here from ir_rules[].
 */
static void describe_rules(cJSON *log)
{
	static const char *const level[] = {"note", "warning", "error"};
	cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "runs"), 0);
	cJSON *driver = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "tool"), "driver");
	cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(driver, "rules")) {
		const struct ir_rule *v = ir_rule_find(cJSON_GetStringValue(cJSON_GetObjectItem(r, "id")));
		if (!v)
			continue;
		cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "shortDescription"), "text", v->summary);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "defaultConfiguration"), "level",
					level[v->severity]);
	}
}

static void print_sarif(const struct diag_list *dl)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem) {
		diag_print(stdout, dl, DIAG_SARIF, false);
		return;
	}
	diag_print(mem, dl, DIAG_SARIF, false);
	fclose(mem);
	cJSON *log = cJSON_Parse(buf);
	if (log) {
		describe_rules(log);
		char *text = cJSON_Print(log);
		printf("%s\n", text ? text : buf);
		free(text);
	} else {
		fputs(buf, stdout);
	}
	free(buf);
	cJSON_Delete(log);
}

static int lint(int argc, char **argv)
{
	struct lint_opts o = {.format = DIAG_TEXT};
	struct ir_arena *ctx_arena = ir_arena_new();
	fe_context_default(&o.ctx, ".", ctx_arena);
	int rc = parse_args(argc, argv, &o);
	if (rc < 0 && o.list) {
		list_rules();
		rc = EXIT_OK;
	}
	if (rc >= 0) {
		ir_arena_free(ctx_arena);
		return rc;
	}
	int n;
	char **in = cli_inputs(argc, argv, optind, &n);
	if (!in) {
		ir_arena_free(ctx_arena);
		return EXIT_USAGE;
	}
	struct diag_list dl;
	diag_list_init(&dl);
	for (int i = 0; i < n; i++) {
		struct ir_arena *a = ir_arena_new();
		struct ir_doc *doc = load(in[i], &o, a, &dl);
		if (doc)
			val_check(doc, &o.policy, &dl);
		ir_arena_free(a);
	}
	if (o.strict)
		cli_strict(&dl);
	diag_sort(&dl);
	if (o.format == DIAG_SARIF)
		print_sarif(&dl);
	else
		diag_print(stdout, &dl, o.format, o.format == DIAG_TEXT && diag_want_color(stdout));
	/* A file that cannot be read is bad usage, as for build and validate. */
	int status = cli_has_rule(&dl, "io-error") ? EXIT_USAGE : dl.nerrors ? EXIT_FAILED : EXIT_OK;
	diag_list_release(&dl);
	ir_arena_free(ctx_arena);
	return status;
}

const struct command cmd_lint = {
	"lint", lint, "report every problem in pipeline files",
	"usage: pipec lint [--format=gcc|json|sarif] [--strict] [--trusted]\n"
	"                  [--require-non-root] [--stdin-name=PATH] [FILE]...\n"
	"       pipec lint --list-rules\n"
	"\n"
	"Compiles and checks each FILE (YAML or IR JSON) and prints every finding,\n"
	"positioned at the YAML the user wrote.  Without FILE, lints .drone.yml\n"
	"(or .drone.yaml) here.\n"
	"\n"
	"      --format=F          gcc (default): file:line:col: severity: message [rule]\n"
	"                          json: one object per finding; sarif: SARIF 2.1.0\n"
	"      --strict            warnings are errors, and fail the lint\n"
	"      --trusted           allow what reaches the host (privileged, host\n"
	"                          volumes, devices, host network and ports)\n"
	"      --require-non-root  steps that run or may run as root are errors\n"
	"      --stdin-name=PATH   name standard input (FILE '-') PATH in findings\n"
	"      --list-rules        print every validator rule id and exit\n"
	"\n"
	CLI_CONTEXT_USAGE
	"\n"
	"Exit status: 0 no errors (warnings only, unless --strict), 1 findings that\n"
	"fail, 2 bad usage.  Rules: docs/lint-rules.md.\n",
};
