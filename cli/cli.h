/*
 * cli.h - what the command files share.  cli/ is the only code that
 * prints for the user or exits; every stage returns diagnostics instead.
 */
#ifndef PIPEC_CLI_H
#define PIPEC_CLI_H

#include <stdbool.h>

#include "ir/ir.h"
#include "frontend/frontend.h"

/* Exit codes: public API, documented in the README and --help. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,        /* the pipeline or the lint failed */
	EXIT_USAGE = 2,         /* bad usage or invalid input */
	EXIT_INTERRUPTED = 130,
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage;      /* full help text for `pipec help NAME` */
};

extern const struct command cmd_build, cmd_validate;
extern const struct command cmd_lint, cmd_graph, cmd_plan;
extern const struct command cmd_run;
extern const struct command cmd_prune;
extern const struct command cmd_schema;
extern const struct command cmd_lsp;
extern const struct command cmd_emit;

struct rt_backend;
struct rt_backend_options;
struct rt_secrets;

/* Makes the backend called `name` with `opt` (backends.c); -1 after a diagnostic. */
int cli_backend_new(const char *name, const struct rt_backend_options *opt,
		    struct rt_backend *b, struct diag_list *dl);

/*
 * Makes module backend `name` when its engine answers within
 * `timeout_ms`, opening the module once: 1 made, 0 no engine answers (or
 * no module, said on stderr), -1 after a diagnostic.
 */
int cli_backend_if_answers(const char *name, const struct rt_backend_options *opt,
			   int timeout_ms, struct rt_backend *b, struct diag_list *dl);

/* Prints the known backend names, comma-separated. */
void cli_backend_names(FILE *out);

/*
 * Calls `each` with the tags backend `name`'s engine holds of image
 * repository `repo`, when it answers within `timeout_ms`: 0, or -1 when
 * it cannot say (no module, no engine, an error), quietly.
 */
int cli_backend_image_tags(const char *name, const struct rt_backend_options *opt,
			   const char *repo, int timeout_ms,
			   void (*each)(void *arg, const char *tag), void *arg);

/*
 * Runs backend `name`'s prune (runtime/plugin.h) and prints a line per
 * item to `out`; 0, or -1 after recording why.
 */
int cli_backend_prune(const char *name, const struct rt_backend_options *opt, bool dry_run,
		      FILE *out, struct diag_list *dl);

/* secrets.c: `--secret NAME=VALUE`; -1 after a diagnostic when malformed. */
int cli_secret_arg(struct rt_secrets *s, const char *arg, struct diag_list *dl);
/* `--secret-file NAME=PATH`: the file's bytes, one final newline dropped. */
int cli_secret_file(struct rt_secrets *s, const char *arg, struct diag_list *dl);
/* `--secret-env NAME`: the host variable NAME; unset is an error. */
int cli_secret_env(struct rt_secrets *s, const char *name, struct diag_list *dl);
/* `--secrets FILE`: dotenv lines NAME=VALUE, # comments, optional quotes. */
int cli_secrets_dotenv(struct rt_secrets *s, const char *path, struct diag_list *dl);

/*
 * Reads dotenv FILE into `s`: lines NAME=VALUE, `export` allowed, #
 * comments, values in '...' or "..." (with \n).  A file that cannot be
 * read is reported under `read_rule` as a `what` file, a malformed line
 * under `rule`; -1 after a diagnostic.
 */
int cli_dotenv(struct rt_secrets *s, const char *path, const char *what,
	       const char *read_rule, const char *rule, struct diag_list *dl);
/* Whether the `n` bytes at `s` name a variable: a letter or _ first. */
bool cli_valid_name(const char *s, size_t n);

/*
 * env.c: `--env NAME=VALUE` and `--env-file FILE` into `vars`, plain
 * variables (never secrets); -1 after a diagnostic.
 */
int cli_env_arg(struct rt_secrets *vars, const char *arg, struct diag_list *dl);
int cli_env_file(struct rt_secrets *vars, const char *path, struct diag_list *dl);
/*
 * Adds `vars` to the environment every step of `doc` starts from, below
 * what the file sets: a pipeline's or a step's own variable of the same
 * name, and a secret, win.
 */
void cli_env_apply(struct ir_doc *doc, const struct rt_secrets *vars, struct ir_arena *a);

/*
 * Reads and compiles one input with the default build context overridden
 * by `ctx` when non-NULL.  Returns NULL after recording errors, one of
 * them when the file holds no pipeline (cli_no_pipelines()).
 */
struct ir_doc *cli_load(const char *path, const struct fe_context *ctx,
			struct ir_arena *a, struct diag_list *dl);

/* Prints the diagnostics to stderr; returns the number of errors. */
size_t cli_report(struct diag_list *dl);

/* --strict: every warning in `dl` becomes an error. */
void cli_strict(struct diag_list *dl);

/* Whether `dl` holds a finding of rule `rule`. */
bool cli_has_rule(const struct diag_list *dl, const char *rule);

/* Writes `text` to `path` ("-" is stdout); 0 or -1 after a message. */
int cli_write_output(const char *path, const char *text);

/* Opens `path` ("-" is stdout) for writing; NULL after a message. */
FILE *cli_open_output(const char *path);

/* Closes (or flushes stdout) what cli_open_output() gave; 0 or -1 after a message. */
int cli_close_output(FILE *fp, const char *path);


/*
 * The build that `when` and `trigger` are evaluated against, as options
 * every compiling command accepts.  Put CLI_CONTEXT_OPTIONS in the
 * command's option table and hand unknown option codes to
 * cli_context_option() before calling them invalid.
 */
enum { CLI_OPT_CONTEXT = 0x1000 };
#define CLI_CONTEXT_OPTIONS \
	{"branch", required_argument, NULL, CLI_OPT_CONTEXT + 0}, \
	{"event", required_argument, NULL, CLI_OPT_CONTEXT + 1}, \
	{"ref", required_argument, NULL, CLI_OPT_CONTEXT + 2}, \
	{"repo", required_argument, NULL, CLI_OPT_CONTEXT + 3}, \
	{"target", required_argument, NULL, CLI_OPT_CONTEXT + 4}, \
	{"cron", required_argument, NULL, CLI_OPT_CONTEXT + 5}, \
	{"instance", required_argument, NULL, CLI_OPT_CONTEXT + 6}, \
	{"action", required_argument, NULL, CLI_OPT_CONTEXT + 7}, \
	{"commit", required_argument, NULL, CLI_OPT_CONTEXT + 8}, \
	{"templates", required_argument, NULL, CLI_OPT_CONTEXT + 9}
#define CLI_CONTEXT_USAGE \
	"Build context (default: the git checkout here, event push):\n" \
	"  --branch=B --event=E --ref=R --repo=OWNER/NAME --target=T\n" \
	"  --cron=NAME --instance=HOST --action=A --commit=SHA\n" \
	"  --templates=DIR  where kind: template documents find what they load\n"

/* Sets the context field for option code `c`; false if `c` is not one. */
bool cli_context_option(struct fe_context *ctx, int c, const char *arg);

/* Copies the build fields that `over` sets into `ctx`. */
void cli_context_merge(struct fe_context *ctx, const struct fe_context *over);

/*
 * What runs (select.c): the choices every command that shows or runs
 * pipelines takes, so `plan` and `graph` show what `run` does.  Put
 * CLI_SELECT_OPTIONS in the option table, hand unknown option codes to
 * cli_select_option(), and call cli_select_apply() on the checked
 * document before val_normalize().
 */
#define CLI_MAX_NAMES 256       /* --pipeline, --include or --exclude options */
struct cli_names {
	const char *v[CLI_MAX_NAMES];
	size_t n;                   /* may exceed CLI_MAX_NAMES: an error when applied */
};
struct cli_select {
	struct cli_names pipelines, include, exclude;   /* globs */
	bool no_deps;               /* --include takes only the steps named */
	bool clone;                 /* the clone step runs (a fresh workspace) */
};
enum { CLI_OPT_SELECT = 0x1100 };
#define CLI_SELECT_OPTIONS \
	{"pipeline", required_argument, NULL, CLI_OPT_SELECT + 0}, \
	{"include", required_argument, NULL, CLI_OPT_SELECT + 1}, \
	{"exclude", required_argument, NULL, CLI_OPT_SELECT + 2}, \
	{"no-deps", no_argument, NULL, CLI_OPT_SELECT + 3}, \
	{"clone", no_argument, NULL, CLI_OPT_SELECT + 4}
#define CLI_SELECT_USAGE \
	"What runs (NAME is a glob; a name matching nothing is an error):\n" \
	"      --pipeline NAME   only the pipelines named (repeatable)\n" \
	"      --include STEP    only the steps named and what they depend on (repeatable)\n" \
	"      --exclude STEP    not the steps named (repeatable)\n" \
	"      --no-deps         --include takes only the steps named\n" \
	"      --clone           run the clone step in a fresh workspace instead of\n" \
	"                        using the checkout here: it fetches the checkout's\n" \
	"                        commit, or DRONE_REMOTE_URL when set (--env)\n"

/* Takes option code `c`; false if it is not one of CLI_SELECT_OPTIONS. */
bool cli_select_option(struct cli_select *s, int c, const char *arg);

/*
 * Marks what `s` leaves out of `doc` as skipped, with the reason.  0, or
 * -1 after printing why (a name that matches nothing): a usage error.
 */
int cli_select_apply(struct ir_doc *doc, const struct cli_select *s, struct ir_arena *a);

/*
 * clone.c: for `run --clone` on `backend` (NULL: the default choice), the
 * clone step of every pipeline no remote is named for (DRONE_REMOTE_URL)
 * fetches from the checkout here, bound into it when it is a container;
 * a notice on `err` names the commit and says when changes are left out.
 * 0, or EXIT_USAGE after saying why it cannot (no checkout here, or a
 * backend that cannot see it).
 */
int cli_clone_source(struct ir_doc *doc, const struct fe_context *ctx, const char *backend,
		     struct ir_arena *a, FILE *err);

/*
 * A file of templates left for a Drone server compiles to IR without a
 * pipeline, which lint and validate accept; the commands that build or
 * run one record a [no-pipelines] error for it, as IR holds at least one
 * pipeline.  Returns -1 after recording it, else 0.
 */
int cli_no_pipelines(const struct ir_doc *doc, const char *path, struct diag_list *dl);

struct val_policy;
/*
 * The document as it will run, before val_normalize(): cli_load(), then
 * val_check() under `policy` (NULL: trusting, for the commands that only
 * show the graph), then cli_select_apply().  NULL after recording or
 * printing why.
 */
struct ir_doc *cli_load_selected(const char *path, const struct fe_context *ctx,
				 const struct val_policy *policy, const struct cli_select *sel,
				 struct ir_arena *a, struct diag_list *dl);

/*
 * The files a command reads: argv[first..argc), or when there are none
 * the pipeline file of the current directory, `.drone.yml` else
 * `.drone.yaml`, named on stderr.  Sets *n; NULL after a message when
 * there is none.
 */
char **cli_inputs(int argc, char **argv, int first, int *n);

/*
 * Whether a command can write where `option` says, checked before
 * anything starts: a file ("-" is stdout) that is not a directory and is
 * in a directory that exists; a directory that exists or whose parent
 * does (CLI_OUT_DIR), or whose nearest existing ancestor does
 * (CLI_OUT_DIRS, made with mkdir -p).  Each must be writable.  0, or
 * EXIT_USAGE after saying why.
 */
enum cli_output { CLI_OUT_FILE, CLI_OUT_DIR, CLI_OUT_DIRS };
int cli_check_output(const char *cmd, const char *option, const char *path, enum cli_output kind);

/* Prints `pipec: msg` to stderr and returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
