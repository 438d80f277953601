/*
 * emit.c - `pipec emit`: the IR written out for another engine.
 *
 * The input is compiled and checked as for `pipec graph` (trust is the
 * run's question), the pipelines and steps the build context rules out are
 * reported and normalized away, and the format's emitter (emit/emit.h)
 * renders what is left.  Findings are printed before the text is written;
 * an emitter that refused something writes nothing.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emit/emit.h"
#include "validate/validate.h"

enum { OPT_SECRET_NAME = 256, OPT_EXEC_IMAGE, OPT_PIPELINE };

static const struct option emit_long_options[] = {
	{"format", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	{"secret-name", required_argument, NULL, OPT_SECRET_NAME},
	{"exec-image", required_argument, NULL, OPT_EXEC_IMAGE},
	{"pipeline", required_argument, NULL, OPT_PIPELINE},
	{"help", no_argument, NULL, 'h'},
	CLI_CONTEXT_OPTIONS,
	{0},
};

struct emit_args {
	const struct emit_format *fmt;
	const char *out, *pipeline;
	struct emit_options opt;
	struct fe_context ctx;
};

static int bad_format(const char *name)
{
	fprintf(stderr, "pipec: unknown format '%s'; expected one of: ", name ? name : "");
	for (size_t i = 0; i < emit_nformats; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", emit_formats[i].name);
	fputs("\nTry 'pipec help emit' for more information.\n", stderr);
	return EXIT_USAGE;
}

/* -1 to go on, or the exit status to return at once. */
static int parse_args(int argc, char **argv, struct emit_args *o)
{
	const char *format = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", emit_long_options, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'o': o->out = optarg; break;
		case OPT_SECRET_NAME: o->opt.secret_name = optarg; break;
		case OPT_EXEC_IMAGE: o->opt.exec_image = optarg; break;
		case OPT_PIPELINE: o->pipeline = optarg; break;
		case 'h': fputs(cmd_emit.usage, stdout); return EXIT_OK;
		default:
			if (!cli_context_option(&o->ctx, c, optarg))
				return cli_usage_error("emit", "invalid option");
		}
	}
	if (!format)
		return cli_usage_error("emit", "expected --format=FORMAT");
	if (!(o->fmt = emit_format_find(format)))
		return bad_format(format);
	if (optind != argc - 1)
		return cli_usage_error("emit", "expected one input file");
	return -1;
}

/* Keeps only pipeline `name`; false when there is none of that name. */
static bool only_pipeline(struct ir_doc *doc, const char *name)
{
	struct ir_pipeline *p = ir_pipeline_find(doc, name);
	if (!p)
		return false;
	doc->pipelines = p;
	doc->npipelines = 1;
	return true;
}

static int emit_file(struct emit_args *o, const char *path, struct ir_arena *a,
		     struct diag_list *dl)
{
	/* another engine clones the source itself: the clone step stays */
	static const struct cli_select everything = {.clone = true};
	struct ir_doc *doc = cli_load_selected(path, &o->ctx, NULL, &everything, a, dl);
	if (!doc) {
		cli_report(dl);
		return EXIT_USAGE;
	}
	emit_report_skipped(o->fmt, doc, dl);
	val_normalize(doc, a, 0);
	if (o->pipeline && !only_pipeline(doc, o->pipeline)) {
		cli_report(dl);
		return cli_usage_error("emit", "no pipeline '%s' to emit", o->pipeline);
	}
	o->opt.event = o->ctx.event;
	o->opt.branch = o->ctx.branch;
	o->opt.source = path;
	char *text = emit_document(o->fmt, doc, &o->opt, dl);
	cli_report(dl);
	if (!text)
		return EXIT_FAILED;
	int rc = cli_write_output(o->out, text) < 0 ? EXIT_FAILED : EXIT_OK;
	free(text);
	return rc;
}

static int emit(int argc, char **argv)
{
	struct ir_arena *a = ir_arena_new();
	struct emit_args o = {.out = "-"};
	fe_context_default(&o.ctx, ".", a);
	int rc = parse_args(argc, argv, &o);
	if (rc < 0) {
		struct diag_list dl;
		diag_list_init(&dl);
		rc = emit_file(&o, argv[optind], a, &dl);
		diag_list_release(&dl);
	}
	ir_arena_free(a);
	return rc;
}

const struct command cmd_emit = {
	"emit", emit, "write the pipelines for another engine",
	"usage: pipec emit --format=FORMAT [-o OUT] [--pipeline=NAME]\n"
	"                  [--secret-name=NAME] [--exec-image=IMAGE] [CONTEXT] FILE\n"
	"\n"
	"Compiles and checks FILE (Drone-style YAML, pipec IR or drone-runtime IR),\n"
	"normalizes it and writes it in another engine's format:\n"
	"\n"
	"  drone-runtime  drone-runtime's 2019 spec format (JSON); pipec reads it back\n"
	"  sh             a POSIX shell script that runs the pipelines with the docker\n"
	"                 CLI (exec pipelines as host processes)\n"
	"  github         a GitHub Actions workflow, one job per pipeline\n"
	"  kube           Kubernetes objects: a ConfigMap with the scripts and a Job\n"
	"                 running the pipeline in one Pod\n"
	"  argo           an Argo Workflow: per pipeline a DAG of its steps\n"
	"\n"
	"Whatever the format cannot express is a warning at the YAML line that\n"
	"uses it [emit-unsupported]; what would run differently is an error\n"
	"[emit-refused] and nothing is written.  Steps and pipelines the build\n"
	"context rules out are left out, with a warning.  docs/emit.md has the\n"
	"table of what each format maps, approximates or refuses.\n"
	"\n"
	"  -f, --format=F       the format (required)\n"
	"  -o, --output=OUT     write to OUT ('-', the default, is stdout)\n"
	"      --pipeline=NAME  emit only that pipeline\n"
	"      --secret-name=S  kube, argo: the Secret step secrets are read from\n"
	"                       (default pipec-secrets)\n"
	"      --exec-image=I   container formats: the image of steps that have\n"
	"                       none, as in exec pipelines (default busybox)\n"
	"\n"
	CLI_CONTEXT_USAGE
	"\n"
	"Exit status: 0 written (warnings allowed), 1 refused or not written,\n"
	"2 bad usage or invalid input.\n",
};
