/*
 * plan.c - `pipec plan`: what a run would do, without running anything.
 *
 * The plan is the normalized document `pipec run` runs, chosen by the
 * same options (select.c): steps in stages, where a stage is the set of
 * steps whose dependencies all finished in earlier stages, so steps of
 * one stage may run in parallel.  Skipped steps and pipelines are noted
 * before normalizing removes them, with the reason and the position of
 * the `when` or `trigger` clause that ruled them out.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "validate/validate.h"

/* A skipped step or pipeline, remembered before normalizing drops it. */
struct skipped {
	const char *pipeline;       /* for a step: its pipeline */
	const char *name;
	const struct ir_skip *skip;
};

static size_t collect_skipped(const struct ir_doc *d, struct skipped *out)
{
	size_t n = 0;
	for (size_t i = 0; i < d->npipelines; i++) {
		const struct ir_pipeline *p = &d->pipelines[i];
		if (val_is_skipped(p->skip, p->run_policy))
			out[n++] = (struct skipped){NULL, p->name, p->skip};
		for (size_t j = 0; j < p->nsteps; j++)
			if (val_is_skipped(p->steps[j].skip, p->steps[j].run_policy))
				out[n++] = (struct skipped){p->name, p->steps[j].name, p->steps[j].skip};
	}
	return n;
}

static size_t count_nodes(const struct ir_doc *d)
{
	size_t n = d->npipelines;
	for (size_t i = 0; i < d->npipelines; i++)
		n += d->pipelines[i].nsteps;
	return n;
}

static void print_pos(const struct ir_pos *pos)
{
	if (pos->line > 0)
		printf(" (%s:%d:%d)", pos->file ? pos->file : "<input>", pos->line, pos->col);
	else if (pos->pointer)
		printf(" (%s:%s)", pos->file ? pos->file : "<input>", pos->pointer);
}

static void print_skip(const char *what, const struct skipped *s)
{
	printf("%sskipped %s '%s': %s", s->pipeline ? "  " : "", what, s->name ? s->name : "",
	       s->skip && s->skip->reason ? s->skip->reason : "its run policy is 'never'");
	if (s->skip)
		print_pos(&s->skip->pos);
	putchar('\n');
}

/* Stage of each step: one more than the latest stage it depends on. */
static int *stages_of(const struct ir_pipeline *p, struct ir_arena *a, int *nstages)
{
	int *stage = ir_calloc(a, p->nsteps + 1, sizeof *stage);
	*nstages = 0;
	for (size_t i = 0; i < p->nsteps; i++) {
		stage[i] = 1;
		for (size_t k = 0; k < p->steps[i].depends_on.n; k++) {
			const struct ir_step *d = ir_step_find(p, p->steps[i].depends_on.v[k]);
			if (d && stage[d - p->steps] + 1 > stage[i])
				stage[i] = stage[d - p->steps] + 1;
		}
		if (stage[i] > *nstages)
			*nstages = stage[i];
	}
	return stage;
}

static void print_step(const struct ir_step *s, bool first)
{
	static const char *const when[] = {"", " on failure", " always", " never"};
	printf("%s%s", first ? "" : ", ", s->name);
	if (s->detach)
		fputs(" (service)", stdout);
	if (s->run_policy != IR_RUN_ON_SUCCESS)
		printf(" (runs%s)", when[s->run_policy]);
	if (s->depends_on.n) {
		fputs(" [after ", stdout);
		for (size_t k = 0; k < s->depends_on.n; k++)
			printf("%s%s", k ? ", " : "", s->depends_on.v[k]);
		putchar(']');
	}
}

static void print_pipeline(const struct ir_pipeline *p, const struct skipped *sk, size_t nsk,
			   struct ir_arena *a)
{
	printf("pipeline '%s' (%s", p->name, ir_backend_name(p->backend));
	if (p->platform.os)
		printf(", %s/%s", p->platform.os, p->platform.arch ? p->platform.arch : "");
	putchar(')');
	for (size_t k = 0; k < p->depends_on.n; k++)
		printf("%s'%s'", k ? ", " : " after ", p->depends_on.v[k]);
	putchar('\n');
	int nstages;
	int *stage = stages_of(p, a, &nstages);
	for (int st = 1; st <= nstages; st++) {
		printf("  stage %d: ", st);
		bool first = true;
		for (size_t i = 0; i < p->nsteps; i++)
			if (stage[i] == st) {
				print_step(&p->steps[i], first);
				first = false;
			}
		putchar('\n');
	}
	for (size_t i = 0; i < nsk; i++)
		if (sk[i].pipeline && strcmp(sk[i].pipeline, p->name) == 0)
			print_skip("step", &sk[i]);
}

/*
 * Pipelines that normalizing skipped because every step of theirs was:
 * marked in place, in the array the document had before.
 */
static void print_emptied(const struct ir_pipeline *before, size_t n, const struct skipped *sk,
			  size_t nsk)
{
	for (size_t i = 0; i < n; i++) {
		const struct ir_pipeline *p = &before[i];
		bool known = false;
		for (size_t k = 0; k < nsk && !known; k++)
			known = !sk[k].pipeline && sk[k].name == p->name;
		if (known || !p->skip)
			continue;
		print_skip("pipeline", &(struct skipped){NULL, p->name, p->skip});
		for (size_t k = 0; k < nsk; k++)
			if (sk[k].pipeline == p->name)
				print_skip("step", &sk[k]);
	}
}

static const struct option plan_options[] = {
	CLI_CONTEXT_OPTIONS,
	CLI_SELECT_OPTIONS,
	{"help", no_argument, NULL, 'h'},
	{0},
};

/* The build to plan for (the checkout's, options overriding it) and what runs. */
static int parse_plan_args(int argc, char **argv, struct fe_context *ctx,
			   struct cli_select *sel)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", plan_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(cmd_plan.usage, stdout);
			return EXIT_OK;
		}
		if (!cli_context_option(ctx, c, optarg) && !cli_select_option(sel, c, optarg))
			return cli_usage_error("plan", "invalid option");
	}
	if (optind < argc - 1)
		return cli_usage_error("plan", "one file at a time");
	return -1;
}

static int plan(int argc, char **argv)
{
	struct ir_arena *a = ir_arena_new();
	struct fe_context ctx;
	struct cli_select sel = {0};
	fe_context_default(&ctx, ".", a);
	int n, rc = parse_plan_args(argc, argv, &ctx, &sel);
	char **in = rc < 0 ? cli_inputs(argc, argv, optind, &n) : NULL;
	if (!in) {
		ir_arena_free(a);
		return rc < 0 ? EXIT_USAGE : rc;
	}
	struct diag_list dl;
	diag_list_init(&dl);
	struct ir_doc *doc = cli_load_selected(in[0], &ctx, NULL, &sel, a, &dl);
	rc = cli_report(&dl) || !doc ? EXIT_USAGE : EXIT_OK;
	if (doc && rc == EXIT_OK) {
		struct skipped *sk = ir_calloc(a, count_nodes(doc) + 1, sizeof *sk);
		size_t nsk = collect_skipped(doc, sk);
		const struct ir_pipeline *before = doc->pipelines;
		size_t nbefore = doc->npipelines;
		val_normalize(doc, a, 0);
		for (size_t i = 0; i < doc->npipelines; i++)
			print_pipeline(&doc->pipelines[i], sk, nsk, a);
		for (size_t i = 0; i < nsk; i++)
			if (!sk[i].pipeline)
				print_skip("pipeline", &sk[i]);
		print_emptied(before, nbefore, sk, nsk);
	}
	diag_list_release(&dl);
	ir_arena_free(a);
	return rc;
}

const struct command cmd_plan = {
	"plan", plan, "show what a run would do, without running it",
	"usage: pipec plan [CONTEXT] [SELECTION] [FILE]\n"
	"\n"
	"Prints each pipeline that `pipec run` with the same options runs, its\n"
	"steps in stages (steps of one stage may run in parallel; [after ...]\n"
	"names what a step waits for), and every step or pipeline the conditions\n"
	"or the options leave out, with the reason (and the position of the\n"
	"clause).  Conditions are evaluated against the checkout in the current\n"
	"directory; the options set the build to plan for.  Without FILE, reads\n"
	".drone.yml (or .drone.yaml) here.\n"
	"\n"
	CLI_SELECT_USAGE
	"\n"
	CLI_CONTEXT_USAGE
	"\n"
	"Exit status: 0 ok, 2 invalid input.\n",
};
