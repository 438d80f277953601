/*
 * run.c - `pipec run FILE`: compile, check, run on a backend, report.
 *
 * The command is the stages in order: the frontend compiles the file,
 * the validator checks and normalizes it, the runtime drives the chosen
 * backend.  Step output goes to stdout as it comes; diagnostics and the
 * summary table go to stderr when the run ends.  SIGINT and SIGTERM only
 * count here: the runtime sees the count and stops the run.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "runtime/plugin.h"
#include "runtime/runtime.h"
#include "validate/validate.h"

enum {
	OPT_BACKEND = 256, OPT_PLUGIN, OPT_TIMEOUT, OPT_STEP_TIMEOUT, OPT_SECRET,
	OPT_SECRET_FILE, OPT_SECRET_ENV, OPT_SECRETS, OPT_WORKSPACE, OPT_LOG_DIR,
	OPT_TIMESTAMPS, OPT_REPORT, OPT_TRUSTED, OPT_GRACE,
	OPT_SERVICE_TIMEOUT, OPT_ARTIFACTS, OPT_KUBECONFIG, OPT_KUBE_CONTEXT, OPT_NAMESPACE,
	OPT_STORAGE_CLASS, OPT_WORKSPACE_SIZE, OPT_SINGLE_POD, OPT_ENV, OPT_ENV_FILE,
};

static const struct option run_options[] = {
	{"backend", required_argument, NULL, OPT_BACKEND},
	{"backend-plugin", required_argument, NULL, OPT_PLUGIN},
	{"parallel", required_argument, NULL, 'j'},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT},
	{"grace", required_argument, NULL, OPT_GRACE},
	{"secret", required_argument, NULL, OPT_SECRET},
	{"secret-file", required_argument, NULL, OPT_SECRET_FILE},
	{"secret-env", required_argument, NULL, OPT_SECRET_ENV},
	{"secrets", required_argument, NULL, OPT_SECRETS},
	{"env", required_argument, NULL, OPT_ENV},
	{"env-file", required_argument, NULL, OPT_ENV_FILE},
	{"workspace", required_argument, NULL, OPT_WORKSPACE},
	{"log-dir", required_argument, NULL, OPT_LOG_DIR},
	{"timestamps", no_argument, NULL, OPT_TIMESTAMPS},
	{"report", required_argument, NULL, OPT_REPORT},
	{"trusted", no_argument, NULL, OPT_TRUSTED},
	{"service-timeout", required_argument, NULL, OPT_SERVICE_TIMEOUT},
	{"artifacts", required_argument, NULL, OPT_ARTIFACTS},
	{"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
	{"kube-context", required_argument, NULL, OPT_KUBE_CONTEXT},
	{"namespace", required_argument, NULL, OPT_NAMESPACE},
	{"storage-class", required_argument, NULL, OPT_STORAGE_CLASS},
	{"workspace-size", required_argument, NULL, OPT_WORKSPACE_SIZE},
	{"kube-single-pod", no_argument, NULL, OPT_SINGLE_POD},
	{"help", no_argument, NULL, 'h'},
	CLI_CONTEXT_OPTIONS,
	CLI_SELECT_OPTIONS,
	{0},
};

struct run_args {
	const char *backend, *plugin, *report;
	FILE *err;                      /* stderr with the run's secrets hidden */
	struct rt_options opt;
	struct rt_backend_options backend_opt;
	struct rt_secrets secrets;
	struct rt_secrets env;          /* --env, --env-file: plain variables */
	struct val_policy policy;
	struct fe_context context;      /* only what the options set */
	struct cli_select select;
};

static volatile sig_atomic_t interrupts;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupts++;
	static const char first[] = "pipec: interrupted; stopping the run "
				    "(interrupt again to hurry)\n";
	static const char again[] = "pipec: hurrying; still removing what the run made\n";
	ssize_t r = interrupts == 1 ? write(2, first, sizeof first - 1)
				    : write(2, again, sizeof again - 1);
	(void)r;
}

static void catch_interrupts(void)
{
	struct sigaction sa = {.sa_handler = on_interrupt};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* "90", "90s", "5m", "2h" as seconds; -1 when malformed. */
static int parse_duration(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	long unit = *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;
	if (*end && (end[1] || !strchr("smh", *end)))
		return -1;
	if (end == s || v < 0 || v > 7 * 24 * 3600 / unit)
		return -1;
	return (int)(v * unit);
}

static int parse_count(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *end || end == s || v < 0 || v > 100000 ? -1 : (int)v;
}

/* Handles one option; 0, or an exit code to return at once. */
static int take_option(struct run_args *ra, int c, struct diag_list *dl)
{
	struct rt_options *o = &ra->opt;
	switch (c) {
	case OPT_BACKEND: ra->backend = optarg; return 0;
	case OPT_PLUGIN: ra->plugin = optarg; return 0;
	case OPT_REPORT: ra->report = optarg; return 0;
	case OPT_WORKSPACE: o->workspace_dir = optarg; return 0;
	case OPT_LOG_DIR: o->log_dir = optarg; return 0;
	case OPT_TIMESTAMPS: o->timestamps = true; return 0;
	case OPT_TRUSTED: ra->policy.trusted = true; return 0;
	case OPT_ARTIFACTS: o->artifacts_dir = optarg; return 0;
	case OPT_KUBECONFIG: ra->backend_opt.kubeconfig = optarg; return 0;
	case OPT_KUBE_CONTEXT: ra->backend_opt.kube_context = optarg; return 0;
	case OPT_NAMESPACE: ra->backend_opt.kube_namespace = optarg; return 0;
	case OPT_STORAGE_CLASS: ra->backend_opt.storage_class = optarg; return 0;
	case OPT_WORKSPACE_SIZE: ra->backend_opt.workspace_size = optarg; return 0;
	case OPT_SINGLE_POD: ra->backend_opt.single_pod = true; return 0;
	case OPT_SERVICE_TIMEOUT:
		if ((o->service_timeout = parse_duration(optarg)) <= 0)
			return cli_usage_error("run", "'%s' is not a duration (90, 90s, 5m, 2h)", optarg);
		return 0;
	case OPT_SECRET: cli_secret_arg(&ra->secrets, optarg, dl); return 0;
	case OPT_SECRET_FILE: cli_secret_file(&ra->secrets, optarg, dl); return 0;
	case OPT_SECRET_ENV: cli_secret_env(&ra->secrets, optarg, dl); return 0;
	case OPT_SECRETS: cli_secrets_dotenv(&ra->secrets, optarg, dl); return 0;
	case OPT_ENV: cli_env_arg(&ra->env, optarg, dl); return 0;
	case OPT_ENV_FILE: cli_env_file(&ra->env, optarg, dl); return 0;
	case 'j':
		if ((o->parallel = parse_count(optarg)) < 0)
			return cli_usage_error("run", "--parallel wants a count, not '%s'", optarg);
		return 0;
	case OPT_TIMEOUT:
	case OPT_STEP_TIMEOUT:
	case OPT_GRACE: {
		int t = parse_duration(optarg);
		if (t < 0)
			return cli_usage_error("run", "'%s' is not a duration (90, 90s, 5m, 2h)",
					       optarg);
		*(c == OPT_TIMEOUT ? &o->timeout : c == OPT_STEP_TIMEOUT ? &o->step_timeout
									 : &o->grace_ms) =
			c == OPT_GRACE ? t * 1000 : t;
		return 0;
	}
	case 'h': fputs(cmd_run.usage, stdout); return -EXIT_OK - 1;
	default:
		if (cli_context_option(&ra->context, c, optarg) ||
		    cli_select_option(&ra->select, c, optarg))
			return 0;
		return cli_usage_error("run", "invalid option");
	}
}

static struct ir_doc *compile(const char *path, struct run_args *ra, struct ir_arena *a,
			      struct diag_list *dl)
{
	struct fe_context ctx;
	fe_context_default(&ctx, ".", a);
	cli_context_merge(&ctx, &ra->context);
	struct ir_doc *doc = cli_load_selected(path, &ctx, &ra->policy, &ra->select, a, dl);
	if (!doc || val_normalize(doc, a, 0) < 0)
		return NULL;
	cli_env_apply(doc, &ra->env, a);
	if (ra->select.clone && cli_clone_source(doc, &ctx, ra->backend, a, ra->err))
		return NULL;
	return doc;
}

static void print_duration(FILE *out, int64_t ms)
{
	if (ms < 60000)
		fprintf(out, "%7.2fs", (double)ms / 1000);
	else
		fprintf(out, "%4lldm%02llds", (long long)(ms / 60000), (long long)(ms / 1000 % 60));
}

/* step | status | exit | duration, per pipeline that ran. */
static void print_summary(FILE *out, const struct rt_report *r)
{
	for (size_t i = 0; i < r->npipelines; i++) {
		const struct rt_pipeline_report *p = &r->pipelines[i];
		fprintf(out, "pipeline '%s': %s%s\n", p->pipeline->name, rt_status_name(p->status),
			p->early_exit ? " (ended early by exit code 78)" : "");
		for (size_t k = 0; k < p->nsteps; k++) {
			const struct rt_step_report *s = &p->steps[k];
			fprintf(out, "  %-24s %-10s", s->step->name, rt_status_name(s->status));
			if (s->exit.signal)
				fprintf(out, " sig%-5d", s->exit.signal);
			else if (s->attempts && !s->exit.error)
				fprintf(out, " %-8d", s->exit.code);
			else
				fprintf(out, " %-8s", "-");
			if (s->started_ms && s->finished_ms)
				print_duration(out, s->finished_ms - s->started_ms);
			if (s->ignored)
				fputs("  (ignored)", out);
			if (s->timed_out)
				fputs("  (timed out)", out);
			fputc('\n', out);
		}
	}
}

static int write_report(const char *path, const struct rt_report *r, struct rt_mask *mask)
{
	char *json = rt_report_json(r, mask);
	if (!json)
		return -1;
	size_t n = strlen(json);
	char *text = realloc(json, n + 2);
	if (!text) {
		free(json);
		return -1;
	}
	memcpy(text + n, "\n", 2);
	int rc = cli_write_output(path, text);
	free(text);
	return rc;
}

/*
 * Without --backend: Docker when a pipeline asks for it and an engine
 * answers, else local with a one-line notice.  0 made, -1 after a
 * diagnostic.
 */
static int default_backend(struct run_args *ra, const struct ir_doc *doc,
			   struct rt_backend *b, struct diag_list *dl)
{
	bool wants = false;
	for (size_t i = 0; i < doc->npipelines; i++)
		wants |= doc->pipelines[i].backend == IR_BACKEND_DOCKER;
	int made = wants ? cli_backend_if_answers("docker", &ra->backend_opt, 2000, b, dl) : 0;
	if (made != 0) {
		ra->backend = "docker";
		return made < 0 ? -1 : 0;
	}
	if (wants)
		fputs("pipec: no docker engine answers; running on the local backend "
		      "(start an engine or pass --backend)\n", stderr);
	ra->backend = "local";
	return cli_backend_new("local", &ra->backend_opt, b, dl);
}

/* One line for each pipeline written for a Drone runner pipec has no backend for. */
static void note_runners(struct run_args *ra, const struct ir_doc *doc)
{
	for (size_t i = 0; i < doc->npipelines; i++) {
		const struct ir_pipeline *p = &doc->pipelines[i];
		if (p->runner && p->backend == IR_BACKEND_LOCAL)
			fprintf(ra->err, "pipec: pipeline '%s' is written for Drone's %s "
				"runner; its steps run here as local processes\n",
				p->name, p->runner);
	}
}

static int make_backend(struct run_args *ra, const struct ir_doc *doc, struct rt_backend *b,
			struct diag_list *dl)
{
	ra->backend_opt.progress = ra->err;
	ra->backend_opt.progress_tty = isatty(2);
	if (ra->plugin)
		return rt_backend_load(b, ra->plugin, &ra->backend_opt, dl);
	int rc = ra->backend ? cli_backend_new(ra->backend, &ra->backend_opt, b, dl)
			     : default_backend(ra, doc, b, dl);
	if (rc < 0)
		return -1;
	fprintf(ra->err, "pipec: running on the %s backend\n", ra->backend);
	note_runners(ra, doc);
	return 0;
}

static int exit_code(enum rt_status st)
{
	switch (st) {
	case RT_SUCCESS: return EXIT_OK;
	case RT_FAILURE: return EXIT_FAILED;
	case RT_CANCELLED: return EXIT_INTERRUPTED;
	default: return EXIT_USAGE;     /* pending or refused: invalid input */
	}
}

/*
 * Everything the run writes besides step output, which the runtime masks
 * itself, goes through ra->err: the secrets the run resolves are hidden
 * in pull progress and the summary as in the logs, and in the report.
 */
static int execute(const char *path, struct run_args *ra, struct diag_list *dl)
{
	struct ir_arena *a = ir_arena_new();
	struct rt_backend b = {0};
	struct rt_report rep = {0};
	enum rt_status st = RT_PENDING;
	struct rt_mask *mask = rt_mask_new();
	FILE *err = mask ? rt_mask_stream(mask, stderr) : NULL;
	if (!err)
		abort();
	ra->err = err;
	ra->opt.mask = mask;
	struct ir_doc *doc = dl->nerrors ? NULL : compile(path, ra, a, dl);
	if (doc && make_backend(ra, doc, &b, dl) == 0) {
		catch_interrupts();
		ra->opt.interrupts = &interrupts;
		ra->opt.secrets = &ra->secrets;
		ra->opt.color = diag_want_color(stdout);
		st = rt_run(doc, &b, &ra->opt, &rep, dl);
		fflush(stdout);
	}
	cli_report(dl);
	bool ran = st != RT_PENDING && st != RT_REFUSED;
	if (ran)
		print_summary(err, &rep);
	if (ran && ra->report && write_report(ra->report, &rep, mask) < 0 &&
	    st == RT_SUCCESS)
		st = RT_FAILURE;
	fclose(err);
	rt_mask_free(mask);
	rt_report_release(&rep);
	rt_backend_release(&b);
	ir_arena_free(a);
	return exit_code(st);
}

/* What the run writes besides step output, checked before anything starts. */
static int check_outputs(const struct run_args *ra)
{
	if (ra->report && cli_check_output("run", "--report", ra->report, CLI_OUT_FILE))
		return EXIT_USAGE;
	if (ra->opt.log_dir && cli_check_output("run", "--log-dir", ra->opt.log_dir, CLI_OUT_DIR))
		return EXIT_USAGE;
	if (ra->opt.artifacts_dir &&
	    cli_check_output("run", "--artifacts", ra->opt.artifacts_dir, CLI_OUT_DIRS))
		return EXIT_USAGE;
	return 0;
}

static int run(int argc, char **argv)
{
	struct run_args ra = {0};
	struct diag_list dl;
	diag_list_init(&dl);
	rt_secrets_init(&ra.secrets);
	rt_secrets_init(&ra.env);
	int c, rc = 0;
	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, "j:h", run_options, NULL)) != -1)
		rc = take_option(&ra, c, &dl);
	if (!rc && optind < argc - 1)
		rc = cli_usage_error("run", "one file at a time");
	if (!rc)
		rc = check_outputs(&ra);
	/* The checkout is the workspace, unless the clone step makes a fresh one. */
	if (!ra.opt.workspace_dir && !ra.select.clone)
		ra.opt.workspace_dir = ".";
	int n;
	char **in = rc ? NULL : cli_inputs(argc, argv, optind, &n);
	if (in)
		rc = execute(in[0], &ra, &dl);
	else if (rc < 0)
		rc = EXIT_OK;
	else if (!rc)
		rc = EXIT_USAGE;
	rt_secrets_release(&ra.secrets);
	rt_secrets_release(&ra.env);
	diag_list_release(&dl);
	return rc;
}

const struct command cmd_run = {
	"run", run, "compile, check and run a pipeline file",
	"usage: pipec run [OPTION]... [FILE]\n"
	"\n"
	"Compiles FILE (YAML or IR JSON; without FILE, .drone.yml or .drone.yaml\n"
	"here), checks it and runs its pipelines on the checkout in the current\n"
	"directory: that is the workspace, steps see its files and what they\n"
	"write stays there.  `pipec plan` with the same options shows what runs.\n"
	"Step output streams to stdout as `step | line`; problems and a summary\n"
	"table go to stderr.\n"
	"\n"
	"      --backend NAME         where steps run: docker, kube or local (default:\n"
	"                             docker when the pipeline asks for it and an engine\n"
	"                             answers)\n"
	"      --service-timeout DUR  how long a service may take to be ready (60s)\n"
	"      --artifacts DIR        also write exported paths to DIR/NAME (docker, local)\n"
	"      --backend-plugin PATH  load the backend from a shared object\n"
	"  Kubernetes (--backend=kube, docs/kubernetes.md): a Pod per step sharing a\n"
	"  workspace claim, on the cluster of the kubeconfig ($KUBECONFIG, in-cluster,\n"
	"  ~/.kube/config)\n"
	"      --kubeconfig FILE      read this kubeconfig only\n"
	"      --kube-context NAME    the context to use (default: current-context)\n"
	"      --namespace NS         where the run's objects go (default: the context's)\n"
	"      --storage-class NAME   the workspace claim's storage class\n"
	"      --workspace-size Q     the workspace claim's size (1Gi)\n"
	"      --kube-single-pod      one Pod per pipeline (see docs/kubernetes.md)\n"
	"  -j, --parallel N           at most N steps at once (0: no bound)\n"
	"      --timeout DUR          stop a pipeline running longer (90, 90s, 5m, 2h)\n"
	"      --step-timeout DUR     the same for each step without its own timeout\n"
	"      --grace DUR            between asking a step to stop and killing it (5s)\n"
	"      --secret NAME=VALUE    a secret's value\n"
	"      --secret-file NAME=PATH  a secret read from a file\n"
	"      --secret-env NAME      a secret from the variable NAME\n"
	"      --secrets FILE         secrets from a dotenv file\n"
	"      --env NAME=VALUE       a variable every step starts with (the file's own\n"
	"                             variables and secrets of that name win)\n"
	"      --env-file FILE        such variables from a dotenv file\n"
	"      --workspace DIR        the workspace is DIR, not the current directory\n"
	"      --log-dir DIR          also write each step's output to DIR/PIPELINE/STEP.log\n"
	"      --timestamps           prefix each line with the time\n"
	"      --report FILE          write the run record as JSON to FILE\n"
	"      --trusted              allow what reaches the host (see pipec help lint)\n"
	"\n"
	CLI_SELECT_USAGE
	"\n"
	CLI_CONTEXT_USAGE
	"\n"
	"Exit status: 0 success, 1 a step failed, 2 invalid input or missing\n"
	"secret, 130 interrupted.  See docs/run.md.\n",
};
