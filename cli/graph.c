/*
 * graph.c - `pipec graph`: the step DAG of each pipeline as Graphviz dot
 * or a Mermaid flowchart.
 *
 * The graph is drawn from the normalized document with skipped steps
 * kept, so the edges are the explicit, reduced ones the runtime follows.
 * Each pipeline is a cluster (dot) or subgraph (Mermaid); services are
 * drawn as rounded shapes, skipped steps (and pipelines) grey and dashed.  Nodes get
 * generated ids (p0s1) so any name is safe; names appear only in quoted
 * labels.
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "validate/validate.h"

enum graph_format { GRAPH_DOT, GRAPH_MERMAID };

static const struct option graph_options[] = {
	{"format", required_argument, NULL, 'f'},
	{"help", no_argument, NULL, 'h'},
	CLI_CONTEXT_OPTIONS,
	CLI_SELECT_OPTIONS,
	{0},
};

struct graph_args {
	enum graph_format fmt;
	struct fe_context ctx;
	struct cli_select sel;
};

/* -1 to go on, or the exit status to return at once. */
static int parse_graph_args(int argc, char **argv, struct graph_args *g)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", graph_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(cmd_graph.usage, stdout);
			return EXIT_OK;
		}
		if (cli_context_option(&g->ctx, c, optarg) || cli_select_option(&g->sel, c, optarg))
			continue;
		if (c != 'f' || (strcmp(optarg, "dot") && strcmp(optarg, "mermaid")))
			return cli_usage_error("graph", "expected --format=dot or --format=mermaid");
		g->fmt = strcmp(optarg, "dot") ? GRAPH_MERMAID : GRAPH_DOT;
	}
	if (optind < argc - 1)
		return cli_usage_error("graph", "one file at a time");
	return -1;
}

/* Prints `s` inside double quotes, escaped for the format. */
static void quoted(const char *s, enum graph_format f)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"')
			fputs(f == GRAPH_DOT ? "\\\"" : "#quot;", stdout);
		else if (*s == '\\' && f == GRAPH_DOT)
			fputs("\\\\", stdout);
		else if (*s == '\n')
			putchar(' ');
		else
			putchar(*s);
	}
	putchar('"');
}

static bool skipped(const struct ir_step *s)
{
	return val_is_skipped(s->skip, s->run_policy);
}

static void dot_pipeline(const struct ir_pipeline *p, size_t pi)
{
	printf("  subgraph cluster_p%zu {\n    label=", pi);
	quoted(p->name, GRAPH_DOT);
	printf(";\n");
	if (val_is_skipped(p->skip, p->run_policy))
		fputs("    style=dashed; color=grey60; fontcolor=grey50;\n", stdout);
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ir_step *s = &p->steps[i];
		printf("    p%zus%zu [label=", pi, i);
		quoted(s->name, GRAPH_DOT);
		if (s->detach)
			fputs(", shape=box, style=rounded, peripheries=2", stdout);
		if (skipped(s))
			fputs(", style=\"dashed,filled\", fillcolor=grey90, color=grey60, fontcolor=grey50",
			      stdout);
		fputs("];\n", stdout);
	}
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < p->steps[i].depends_on.n; k++) {
			const struct ir_step *d = ir_step_find(p, p->steps[i].depends_on.v[k]);
			if (d)
				printf("    p%zus%zu -> p%zus%zu;\n", pi, (size_t)(d - p->steps), pi, i);
		}
	fputs("  }\n", stdout);
}

/* Pipeline edges join the clusters: last step of one to first of the next. */
static void dot_pipeline_edges(const struct ir_doc *d)
{
	for (size_t i = 0; i < d->npipelines; i++)
		for (size_t k = 0; k < d->pipelines[i].depends_on.n; k++) {
			const struct ir_pipeline *dep = ir_pipeline_find(d, d->pipelines[i].depends_on.v[k]);
			if (!dep || !dep->nsteps || !d->pipelines[i].nsteps)
				continue;
			size_t j = (size_t)(dep - d->pipelines);
			printf("  p%zus%zu -> p%zus0 [ltail=cluster_p%zu, lhead=cluster_p%zu];\n", j,
			       dep->nsteps - 1, i, j, i);
		}
}

static void print_dot(const struct ir_doc *d)
{
	fputs("digraph pipec {\n  compound=true;\n  rankdir=LR;\n  node [shape=box];\n", stdout);
	for (size_t i = 0; i < d->npipelines; i++)
		dot_pipeline(&d->pipelines[i], i);
	dot_pipeline_edges(d);
	fputs("}\n", stdout);
}

static void mermaid_pipeline(const struct ir_pipeline *p, size_t pi)
{
	printf("  subgraph p%zu[", pi);
	quoted(p->name, GRAPH_MERMAID);
	fputs("]\n", stdout);
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ir_step *s = &p->steps[i];
		printf("    p%zus%zu%s", pi, i, s->detach ? "([" : "[");
		quoted(s->name, GRAPH_MERMAID);
		fputs(s->detach ? "])" : "]", stdout);
		fputs(skipped(s) ? ":::skipped\n" : "\n", stdout);
	}
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < p->steps[i].depends_on.n; k++) {
			const struct ir_step *d = ir_step_find(p, p->steps[i].depends_on.v[k]);
			if (d)
				printf("    p%zus%zu --> p%zus%zu\n", pi, (size_t)(d - p->steps), pi, i);
		}
	fputs("  end\n", stdout);
}

static void print_mermaid(const struct ir_doc *d)
{
	fputs("flowchart LR\n", stdout);
	for (size_t i = 0; i < d->npipelines; i++)
		mermaid_pipeline(&d->pipelines[i], i);
	for (size_t i = 0; i < d->npipelines; i++) {
		const struct ir_pipeline *p = &d->pipelines[i];
		for (size_t k = 0; k < p->depends_on.n; k++) {
			const struct ir_pipeline *dep = ir_pipeline_find(d, p->depends_on.v[k]);
			if (dep)
				printf("  p%zu --> p%zu\n", (size_t)(dep - d->pipelines), i);
		}
		if (val_is_skipped(p->skip, p->run_policy))
			printf("  style p%zu fill:#f4f4f4,stroke:#999,color:#999,stroke-dasharray:5 5\n", i);
	}
	fputs("  classDef skipped fill:#eee,stroke:#999,color:#999,stroke-dasharray:5 5\n", stdout);
}

static int graph(int argc, char **argv)
{
	struct ir_arena *a = ir_arena_new();
	struct graph_args g = {.fmt = GRAPH_DOT};
	fe_context_default(&g.ctx, ".", a);
	int n, rc = parse_graph_args(argc, argv, &g);
	char **in = rc < 0 ? cli_inputs(argc, argv, optind, &n) : NULL;
	if (!in) {
		ir_arena_free(a);
		return rc < 0 ? EXIT_USAGE : rc;
	}
	struct diag_list dl;
	diag_list_init(&dl);
	struct ir_doc *doc = cli_load_selected(in[0], &g.ctx, NULL, &g.sel, a, &dl);
	rc = cli_report(&dl) || !doc ? EXIT_USAGE : EXIT_OK;
	if (doc && rc == EXIT_OK) {
		val_normalize(doc, a, VAL_KEEP_SKIPPED);
		(g.fmt == GRAPH_DOT ? print_dot : print_mermaid)(doc);
	}
	diag_list_release(&dl);
	ir_arena_free(a);
	return rc;
}

const struct command cmd_graph = {
	"graph", graph, "draw the step graph as dot or mermaid",
	"usage: pipec graph [--format=dot|mermaid] [CONTEXT] [SELECTION] [FILE]\n"
	"\n"
	"Prints the dependency graph of each pipeline's steps, after the implicit\n"
	"order is made explicit and redundant edges are dropped.  An edge points\n"
	"from a step to the steps that wait for it.  Services are drawn rounded,\n"
	"skipped steps and pipelines grey and dashed.\n"
	"\n"
	"  -f, --format=F  dot (Graphviz, the default) or mermaid\n"
	"\n"
	"The options choose what is drawn as for `pipec run`: what they leave out\n"
	"is drawn as skipped.  Without FILE, reads .drone.yml (or .drone.yaml).\n"
	"\n"
	CLI_SELECT_USAGE
	"\n"
	CLI_CONTEXT_USAGE
	"\n"
	"Exit status: 0 ok, 2 invalid input.\n",
};
