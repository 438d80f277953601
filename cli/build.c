/*
 * build.c - `pipec build` (compile to IR) and `pipec validate` (check).
 *
 * A build reads each input through the frontend, checks it with the
 * validator, normalizes it (unless --no-optimize) and writes canonical IR:
 * several inputs give one document holding all their pipelines.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "validate/validate.h"

enum { OPT_NO_OPTIMIZE = 256, OPT_TRUSTED, OPT_UNTRUSTED, OPT_NON_ROOT, OPT_STRICT };

static const struct option build_options[] = {
	{"output", required_argument, NULL, 'o'},
	{"compact", no_argument, NULL, 'c'},
	{"help", no_argument, NULL, 'h'},
	{"no-optimize", no_argument, NULL, OPT_NO_OPTIMIZE},
	{"trusted", no_argument, NULL, OPT_TRUSTED},
	{"untrusted", no_argument, NULL, OPT_UNTRUSTED},
	{"require-non-root", no_argument, NULL, OPT_NON_ROOT},
	{"strict", no_argument, NULL, OPT_STRICT},
	CLI_CONTEXT_OPTIONS,
	{0},
};

/* Appends the pipelines of `src` to `dst`; both live in one arena. */
static void merge_docs(struct ir_doc *dst, const struct ir_doc *src, struct ir_arena *a)
{
	size_t n = dst->npipelines + src->npipelines;
	struct ir_pipeline *p = ir_calloc(a, n, sizeof *p);
	if (dst->npipelines)
		memcpy(p, dst->pipelines, dst->npipelines * sizeof *p);
	if (src->npipelines)
		memcpy(p + dst->npipelines, src->pipelines, src->npipelines * sizeof *p);
	dst->pipelines = p;
	dst->npipelines = n;
}

/* Compiles and checks every input as one document; NULL when any failed. */
static struct ir_doc *load_all(int n, char **paths, const struct fe_context *ctx,
			       const struct val_policy *pol, struct ir_arena *a,
			       struct diag_list *dl)
{
	struct ir_doc *all = ir_alloc(a, sizeof *all);
	all->version = IR_VERSION;
	/* checked after frontend errors too: one run reports every problem */
	for (int i = 0; i < n; i++) {
		struct ir_doc *d = fe_compile_file(paths[i], NULL, ctx, a, dl);
		if (d)
			merge_docs(all, d, a);
	}
	val_check(all, pol, dl);
	return dl->nerrors ? NULL : all;
}

struct build_opts {
	const char *out;
	unsigned flags;
	bool optimize, strict;
	struct val_policy policy;
	struct fe_context ctx;
};

/* -1 to go on, or the exit status to return at once. */
static int parse_args(int argc, char **argv, const struct command *cmd, struct build_opts *o)
{
	bool writes = cmd == &cmd_build;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, writes ? "o:h" : "h", build_options, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'c': o->flags |= IR_WRITE_COMPACT; break;
		case OPT_NO_OPTIMIZE: o->optimize = false; break;
		case OPT_TRUSTED: o->policy.trusted = true; break;
		case OPT_UNTRUSTED: o->policy.trusted = false; break;
		case OPT_NON_ROOT: o->policy.require_non_root = true; break;
		case OPT_STRICT: o->strict = true; break;
		case 'h': fputs(cmd->usage, stdout); return EXIT_OK;
		default:
			if (!cli_context_option(&o->ctx, c, optarg))
				return cli_usage_error(cmd->name, "invalid option");
		}
		if (!writes && (c == 'c' || c == OPT_NO_OPTIMIZE))
			return cli_usage_error(cmd->name, "invalid option");
	}
	if (writes && cli_check_output(cmd->name, "-o", o->out, CLI_OUT_FILE))
		return EXIT_USAGE;
	return -1;
}

/*
 * Normalizes `doc` for writing; NULL when that skips every pipeline for
 * this build, since IR holds at least one (ir-empty) and pipec never
 * writes IR it refuses.
 */
static struct ir_doc *normalize(struct ir_doc *doc, const char *path, struct ir_arena *a,
				struct diag_list *dl)
{
	val_normalize(doc, a, 0);
	if (doc->npipelines)
		return doc;
	diag_error(dl, (struct ir_pos){.file = path, .line = 1, .col = 1}, "no-pipelines",
		   "every pipeline is skipped in this build: no IR to write");
	return NULL;
}

/*
 * build and validate: compile every input, check, and for build normalize
 * and write.  Trust is not checked unless asked: what may reach the host
 * is a question for lint and run, not for the IR.
 */
static int compile(int argc, char **argv, const struct command *cmd)
{
	struct ir_arena *a = ir_arena_new();
	struct build_opts o = {.out = "-", .optimize = true, .policy.trusted = true};
	fe_context_default(&o.ctx, ".", a);
	int n, rc = parse_args(argc, argv, cmd, &o);
	char **in = rc < 0 ? cli_inputs(argc, argv, optind, &n) : NULL;
	if (!in) {
		ir_arena_free(a);
		return rc < 0 ? EXIT_USAGE : rc;
	}
	struct diag_list dl;
	diag_list_init(&dl);
	struct ir_doc *doc = load_all(n, in, &o.ctx, &o.policy, a, &dl);
	if (o.strict && dl.nwarnings) {
		cli_strict(&dl);
		doc = NULL;
	}
	if (doc && cmd == &cmd_build && cli_no_pipelines(doc, in[0], &dl) < 0)
		doc = NULL;
	if (doc && cmd == &cmd_build && o.optimize)
		doc = normalize(doc, in[0], a, &dl);
	rc = cli_report(&dl) ? EXIT_USAGE : EXIT_OK;
	if (doc && cmd == &cmd_build) {
		FILE *fp = cli_open_output(o.out);
		if (!fp || ir_write_file(doc, o.flags, fp) < 0 || cli_close_output(fp, o.out) < 0)
			rc = EXIT_FAILED;
	}
	diag_list_release(&dl);
	ir_arena_free(a);
	return rc;
}

static int build(int argc, char **argv)
{
	return compile(argc, argv, &cmd_build);
}

static int validate(int argc, char **argv)
{
	return compile(argc, argv, &cmd_validate);
}

const struct command cmd_build = {
	"build", build, "compile pipeline files to IR JSON",
	"usage: pipec build [-o OUT] [--compact] [--no-optimize] [--untrusted]\n"
	"                   [--require-non-root] [--strict] [CONTEXT] [FILE]...\n"
	"       pipec FILE... -o OUT\n"
	"\n"
	"Compiles each FILE (Drone-style YAML, pipec IR JSON or drone-runtime IR)\n"
	"into one canonical IR v3 document.  Without FILE, reads .drone.yml (or\n"
	".drone.yaml) here.\n"
	"\n"
	"  -o, --output OUT  write the IR to OUT ('-', the default, is stdout); an OUT\n"
	"                    that cannot be written is a usage error before compiling\n"
	"      --compact     write the IR on one line\n"
	"      --no-optimize keep the IR as lowered: no explicit defaults and edges,\n"
	"                    skipped steps kept, no reordering\n"
	"      --untrusted   refuse what reaches the host, as `pipec lint` and\n"
	"                    `pipec run` do (see pipec help lint)\n"
	"      --require-non-root  steps that run or may run as root are errors\n"
	"      --strict      warnings are errors: no IR is written\n"
	"\n"
	CLI_CONTEXT_USAGE
	"\n"
	"Exit status: 0 ok, 2 invalid input (every problem is reported).\n",
};

const struct command cmd_validate = {
	"validate", validate, "check pipeline files without writing IR",
	"usage: pipec validate [--untrusted] [--require-non-root] [--strict] [CONTEXT]\n"
	"                      [FILE]...\n"
	"\n"
	"Compiles and checks each FILE and reports every problem as\n"
	"file:line:col: error: message [rule].  What a step may reach on the host\n"
	"(privileged, host volumes, ...) is checked by `pipec lint` and `pipec run`,\n"
	"or here with --untrusted.  With --strict, warnings (such as unknown keys,\n"
	"which Drone ignores) are errors too.  Without FILE, checks .drone.yml (or\n"
	".drone.yaml) here.\n"
	"\n"
	CLI_CONTEXT_USAGE
	"\n"
	"Exit status: 0 valid, 2 invalid input.\n",
};
