/*
 * github.c - a GitHub Actions workflow: one job per pipeline, `needs`
 * from the pipeline's depends_on, steps in the normalized order.
 *
 * A container step is a `docker://IMAGE` step: its script travels in the
 * variable PIPEC_SCRIPT and the image's shell evaluates it, so no script
 * is ever quoted into an argument.  A clone step is actions/checkout.
 * Services are the job's `services:`, reachable by name from container
 * steps as on Drone.  Steps of exec pipelines are `run:` steps on the
 * runner itself.
 *
 * A job runs its steps one after the other, where pipec judges each
 * step's run policy against its ancestors only: a step whose ancestors are
 * all the steps before it gets GitHub's own status functions, any other
 * an `if:` that asks each ancestor's conclusion (`continue-on-error`
 * makes an ignored failure a success there too, as pipec counts it).
 *
 * Everything user-written that lands in a field GitHub evaluates has its
 * `${{` written as an expression yielding it, so nothing of the input is
 * ever evaluated.  Build-context variables (commit, branch, repository,
 * workspace) are taken from GitHub's contexts instead of the values the
 * file was compiled with.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "emit/internal.h"

#define RUNS_ON_LINUX "ubuntu-latest"
#define CHECKOUT "actions/checkout@v4"
/* Where docker actions see the workspace. */
#define GH_WORKSPACE "/github/workspace"

static const unsigned lacks_container = EMIT_RETRIES | EMIT_HEALTH | EMIT_EXPORTS | EMIT_IMPORTS |
					EMIT_DEVICES | EMIT_PRIVILEGED | EMIT_PORTS | EMIT_DNS |
					EMIT_EXTRA_HOSTS | EMIT_NETWORK_MODE | EMIT_NETWORKS |
					EMIT_SHM | EMIT_LIMITS | EMIT_FILES | EMIT_USER | EMIT_PULL;
static const unsigned lacks_service = EMIT_RETRIES | EMIT_TIMEOUT | EMIT_EXPORTS | EMIT_IMPORTS |
				      EMIT_NETWORK_MODE | EMIT_NETWORKS | EMIT_FILES | EMIT_PULL |
				      EMIT_IGNORE_ERROR;
static const unsigned lacks_run = lacks_container;

/* One workflow being written. */
struct gh {
	struct emit *e;
	const struct ir_doc *doc;
	const char **job_ids;           /* per pipeline */
	/* the pipeline being written */
	const struct ir_pipeline *p;
	bool container;                 /* its steps run in containers */
	const char **step_ids;          /* per step */
	bool *anc;                      /* nsteps x nsteps: [i*n+j] j is an ancestor of i */
};

/* ---- Text GitHub evaluates ----------------------------------------------- */

/* `s` with every `${{` written as an expression that yields it. */
static const char *lit(struct gh *g, const char *s)
{
	if (!strstr(s, "${{"))
		return s;
	size_t n = 0;
	for (const char *c = s; (c = strstr(c, "${{")); c += 3)
		n++;
	static const char esc[] = "${{ '${{' }}";
	char *out = ir_alloc(g->e->a, strlen(s) + n * sizeof esc + 1), *o = out;
	for (const char *c = s, *m; *c; c = m + 3) {
		if (!(m = strstr(c, "${{"))) {
			strcpy(o, c);
			return out;
		}
		memcpy(o, c, (size_t)(m - c));
		o += m - c;
		o = stpcpy(o, esc);
	}
	*o = '\0';
	return out;
}

static void add_lit(struct gh *g, cJSON *o, const char *key, const char *value)
{
	cJSON_AddStringToObject(o, key, lit(g, value));
}

/*
 * One argument as the runner's command line reads it (the Windows
 * convention .NET uses on every platform): quoted when it has a space or
 * quote, a quote and the backslashes before it escaped.
 */
static void cmdline_arg(FILE *fp, const char *s)
{
	if (*s && !strpbrk(s, " \t\n\"")) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	size_t bs = 0;
	for (const char *c = s; *c; c++) {
		if (*c == '\\') {
			bs++;
			continue;
		}
		for (size_t k = 0; k < (*c == '"' ? 2 * bs + 1 : bs); k++)
			fputc('\\', fp);
		bs = 0;
		fputc(*c, fp);
	}
	for (size_t k = 0; k < 2 * bs; k++)
		fputc('\\', fp);
	fputc('"', fp);
}

/* `v` (from index `from`) as one command line, in the arena. */
static char *cmdline(struct gh *g, const struct ir_strs *v, size_t from, const char *first)
{
	struct emit_stream s;
	if (emit_stream_begin(g->e, &s) < 0)
		return "";
	if (first)
		fputs(first, s.fp);
	for (size_t i = from; i < v->n; i++) {
		if (first || i > from)
			fputc(' ', s.fp);
		cmdline_arg(s.fp, v->v[i]);
	}
	char *text = emit_stream_end(g->e, &s);
	char *out = ir_strdup(g->e->a, text ? text : "");
	free(text);
	return out;
}

/* A shell word: single-quoted unless plain. */
static void sh_word(FILE *fp, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,@%+") ==
	    strlen(s)) {
		fputs(s, fp);
		return;
	}
	fputc('\'', fp);
	for (const char *c = s; *c; c++)
		fputs(*c == '\'' ? "'\\''" : (char[2]){*c, 0}, fp);
	fputc('\'', fp);
}

static char *sh_line(struct gh *g, const struct ir_strs *a, const struct ir_strs *b)
{
	struct emit_stream s;
	if (emit_stream_begin(g->e, &s) < 0)
		return "";
	const struct ir_strs *both[] = {a, b};
	bool first = true;
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < both[k]->n; i++, first = false) {
			if (!first)
				fputc(' ', s.fp);
			sh_word(s.fp, both[k]->v[i]);
		}
	char *text = emit_stream_end(g->e, &s);
	char *out = ir_strdup(g->e->a, text ? text : "");
	free(text);
	return out;
}

/* ---- Names --------------------------------------------------------------- */

/* An id GitHub accepts ([A-Za-z_][A-Za-z0-9_-]*), unique among `taken[0..n)`. */
static const char *unique_id(struct gh *g, const char *name, const char **taken, size_t n)
{
	return emit_unique_id(g->e, name, "_", taken, n);
}

/* The secret NAME GitHub holds for pipec's secret `name`. */
static const char *secret_expr(struct gh *g, const char *name)
{
	const char *var = emit_var_name(g->e, "", name);
	if (strncmp(var, "GITHUB_", 7) == 0)
		var = ir_printf(g->e->a, "PIPEC_%s", var);
	return ir_printf(g->e->a, "${{ secrets.%s }}", var);
}

/* ---- Environment --------------------------------------------------------- */

/* Build-context variables and the context GitHub gives for them. */
static const struct {
	const char *name, *expr;
} context_vars[] = {
	{"DRONE_BRANCH", "${{ github.base_ref || github.ref_name }}"},
	{"DRONE_COMMIT", "${{ github.sha }}"},
	{"DRONE_COMMIT_BRANCH", "${{ github.head_ref || github.ref_name }}"},
	{"DRONE_COMMIT_REF", "${{ github.ref }}"},
	{"DRONE_COMMIT_SHA", "${{ github.sha }}"},
	{"DRONE_REMOTE_URL", "${{ github.server_url }}/${{ github.repository }}.git"},
	{"DRONE_REPO", "${{ github.repository }}"},
};

/* The workspace variables, for container steps and for the runner's own. */
static const struct {
	const char *name, *container, *host;
} workspace_vars[] = {
	{"CI_WORKSPACE", GH_WORKSPACE, "${{ github.workspace }}"},
	{"CI_WORKSPACE_BASE", "/github", "${{ github.workspace }}"},
	{"CI_WORKSPACE_PATH", "workspace", ""},
	{"DRONE_WORKSPACE", GH_WORKSPACE, "${{ github.workspace }}"},
	{"DRONE_WORKSPACE_BASE", "/github", "${{ github.workspace }}"},
	{"DRONE_WORKSPACE_PATH", "workspace", ""},
};

static const char *env_value(struct gh *g, const struct ir_kv *kv)
{
	for (size_t i = 0; i < sizeof context_vars / sizeof context_vars[0]; i++)
		if (strcmp(kv->key, context_vars[i].name) == 0)
			return context_vars[i].expr;
	for (size_t i = 0; i < sizeof workspace_vars / sizeof workspace_vars[0]; i++)
		if (strcmp(kv->key, workspace_vars[i].name) == 0)
			return g->container ? workspace_vars[i].container : workspace_vars[i].host;
	return lit(g, kv->value);
}

static cJSON *env_object(struct gh *g, const struct ir_env *env)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < env->n; i++)
		cJSON_AddStringToObject(o, env->v[i].key, env_value(g, &env->v[i]));
	return o;
}

/* A step's own variables and its secrets (the job holds the pipeline's). */
static void step_env(struct gh *g, cJSON *o, const struct ir_step *s, const char *script)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	cJSON *env = env_object(g, &s->environment);
	for (size_t i = 0; i < ex->nsecrets; i++)
		cJSON_AddStringToObject(env, ex->secrets[i].env, secret_expr(g, ex->secrets[i].name));
	if (script)
		add_lit(g, env, "PIPEC_SCRIPT", script);
	if (env->child)
		cJSON_AddItemToObject(o, "env", env);
	else
		cJSON_Delete(env);
}

static void warn_secrets(struct gh *g)
{
	for (size_t i = 0; i < g->p->nsecrets; i++) {
		const struct ir_secret *s = &g->p->secrets[i];
		if (s->source != IR_SECRET_RUNTIME)
			emit_warn(g->e, s->pos, "secret '%s' is read from %s '%s' by pipec; the "
				  "workflow reads the repository's secret %s", s->name,
				  ir_secret_source_name(s->source), s->ref,
				  emit_var_name(g->e, "", s->name));
	}
}

/* ---- Run policies -------------------------------------------------------- */

static bool is_service(struct gh *g, const struct ir_step *s)
{
	return g->container && s->detach && !s->clone;
}

static void find_ancestors(struct gh *g)
{
	size_t n = g->p->nsteps;
	g->anc = ir_calloc(g->e->a, n * n + 1, sizeof *g->anc);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < g->p->steps[i].depends_on.n; k++) {
			const struct ir_step *d = ir_step_find(g->p, g->p->steps[i].depends_on.v[k]);
			if (!d)
				continue;
			size_t j = emit_step_index(g->p, d);
			g->anc[i * n + j] = true;
			for (size_t m = 0; m < n; m++)
				g->anc[i * n + m] |= g->anc[j * n + m];
		}
}

/* The `if:` of step i, or NULL when it runs after success as every step does. */
static const char *step_if(struct gh *g, size_t i)
{
	const struct ir_step *s = &g->p->steps[i];
	size_t n = g->p->nsteps;
	bool all = true, none = true;
	for (size_t j = 0; j < i; j++) {
		if (is_service(g, &g->p->steps[j]))
			continue;
		all &= g->anc[i * n + j];
		none &= !g->anc[i * n + j];
	}
	if (s->run_policy == IR_RUN_ALWAYS)
		return "${{ always() }}";
	if (all)
		return s->run_policy == IR_RUN_ON_FAILURE ? "${{ failure() }}" : NULL;
	if (none)
		return s->run_policy == IR_RUN_ON_FAILURE ? "${{ false }}" : "${{ !cancelled() }}";
	/* on failure: any ancestor failed; on success: none did */
	bool fail = s->run_policy == IR_RUN_ON_FAILURE;
	struct emit_stream out;
	if (emit_stream_begin(g->e, &out) < 0)
		return NULL;
	fputs(fail ? "${{ !cancelled() && (" : "${{ !cancelled() && ", out.fp);
	const char *sep = "";
	for (size_t j = 0; j < i; j++) {
		if (!g->anc[i * n + j] || is_service(g, &g->p->steps[j]))
			continue;
		fprintf(out.fp, "%ssteps.%s.conclusion %s 'failure'", sep, g->step_ids[j],
			fail ? "==" : "!=");
		sep = fail ? " || " : " && ";
	}
	fputs(fail ? ") }}" : " }}", out.fp);
	char *text = emit_stream_end(g->e, &out);
	char *r = ir_strdup(g->e->a, text);
	free(text);
	return r;
}

/* ---- Steps --------------------------------------------------------------- */

static void add_minutes(struct gh *g, cJSON *o, struct ir_pos pos, const char *what,
			const char *name, int seconds)
{
	if (seconds <= 0)
		return;
	int minutes = (seconds + 59) / 60;
	if (seconds % 60)
		emit_warn(g->e, pos, "the timeout of %s '%s' is rounded up to %d minutes: the "
			  "format counts whole minutes", what, name, minutes);
	cJSON_AddNumberToObject(o, "timeout-minutes", minutes);
}

static void warn_volumes(struct gh *g, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nvolumes; i++)
		emit_warn(g->e, s->pos, "volume '%s' of step '%s' is dropped: %s", ex->volumes[i].name,
			  s->name, g->container ? "docker steps mount only the workspace" :
			  "steps run on the runner itself");
}

/* The script's shell and how it is started in a container. */
static void container_command(struct gh *g, cJSON *with, const struct ir_step *s,
			      const char *workdir)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (s->script) {
		add_lit(g, with, "entrypoint", s->shell ? s->shell : "/bin/sh");
		const char *run = "eval \\\"$PIPEC_SCRIPT\\\"";
		cJSON_AddStringToObject(with, "args", workdir ?
			lit(g, ir_printf(g->e->a, "-c \"cd %s && %s\"", workdir, run)) :
			ir_printf(g->e->a, "-c \"%s\"", run));
		return;
	}
	if (ex->entrypoint.n)
		add_lit(g, with, "entrypoint", ex->entrypoint.v[0]);
	else if (ex->entrypoint.v)
		emit_warn(g->e, s->pos, "the empty entrypoint of step '%s' means the image's "
			  "in docker steps", s->name);
	struct ir_strs args = {ir_calloc(g->e->a, ex->entrypoint.n + s->command.n + 1, sizeof(char *)), 0};
	for (size_t i = 1; i < ex->entrypoint.n; i++)
		args.v[args.n++] = ex->entrypoint.v[i];
	for (size_t i = 0; i < s->command.n; i++)
		args.v[args.n++] = s->command.v[i];
	if (args.n)
		add_lit(g, with, "args", cmdline(g, &args, 0, NULL));
	if (workdir)
		emit_warn(g->e, s->pos, "the working directory of step '%s' is dropped: docker "
			  "steps start in the workspace", s->name);
}

/*
 * The directory a container step changes to, below the runner's workspace,
 * or NULL when it starts in the workspace.
 */
static const char *container_workdir(struct gh *g, const struct ir_step *s)
{
	char ws[4096];
	ir_workspace_join(&g->p->workspace, ws, sizeof ws);
	const char *wd = emit_workdir(g->e, g->p, s);
	if (!wd || strcmp(wd, ws) == 0)
		return NULL;
	size_t n = strlen(ws);
	if (n && strncmp(wd, ws, n) == 0 && wd[n] == '/')
		return ir_printf(g->e->a, GH_WORKSPACE "%s", wd + n);
	return wd;
}

static void container_step(struct gh *g, cJSON *o, const struct ir_step *s)
{
	emit_check_step(g->e, s, lacks_container);
	warn_volumes(g, s);
	const char *image = emit_image(g->e, g->p, s);
	cJSON_AddStringToObject(o, "uses", lit(g, ir_printf(g->e->a, "docker://%s", image)));
	cJSON *with = cJSON_CreateObject();
	container_command(g, with, s, container_workdir(g, s));
	if (with->child)
		cJSON_AddItemToObject(o, "with", with);
	else
		cJSON_Delete(with);
	step_env(g, o, s, s->script);
}

/* A custom shell: GitHub's own names add options (`sh` is `sh -e {0}`). */
static const char *run_shell(struct gh *g, const char *shell)
{
	return ir_printf(g->e->a, "%s {0}", shell);
}

static void run_step(struct gh *g, cJSON *o, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	emit_check_step(g->e, s, lacks_run);
	warn_volumes(g, s);
	const char *body = s->script ? s->script : sh_line(g, &ex->entrypoint, &s->command);
	if (s->detach)
		body = ir_printf(g->e->a, "(\n%s) >\"$RUNNER_TEMP/%s.log\" 2>&1 &\n", body,
				 g->step_ids[emit_step_index(g->p, s)]);
	add_lit(g, o, "run", body);
	cJSON_AddStringToObject(o, "shell", lit(g, run_shell(g, s->shell ? s->shell : "sh")));
	if (ex->working_dir)
		add_lit(g, o, "working-directory", ex->working_dir);
	step_env(g, o, s, NULL);
}

static cJSON *step(struct gh *g, size_t i)
{
	const struct ir_step *s = &g->p->steps[i];
	cJSON *o = cJSON_CreateObject();
	add_lit(g, o, "name", s->name);
	cJSON_AddStringToObject(o, "id", g->step_ids[i]);
	const char *cond = step_if(g, i);
	if (cond)
		cJSON_AddStringToObject(o, "if", cond);
	if (s->clone) {
		cJSON_AddStringToObject(o, "uses", CHECKOUT);
		emit_warn(g->e, s->pos, "the clone step of pipeline '%s' is %s: the workflow "
			  "checks out the commit it runs for", g->p->name, CHECKOUT);
	} else if (g->container) {
		container_step(g, o, s);
	} else {
		run_step(g, o, s);
	}
	if (s->ignore_error)
		cJSON_AddBoolToObject(o, "continue-on-error", true);
	add_minutes(g, o, s->pos, "step", s->name, s->timeout);
	return o;
}

/* ---- Services ------------------------------------------------------------ */

static void opt_word(FILE *fp, const char *flag, const char *value)
{
	fprintf(fp, " %s ", flag);
	cmdline_arg(fp, value);
}

static void opt_strs(FILE *fp, const char *flag, const struct ir_strs *v)
{
	for (size_t i = 0; i < v->n; i++)
		opt_word(fp, flag, v->v[i]);
}

/* Docker's options for what a service sets: health, privileges, limits. */
static void service_options(struct gh *g, FILE *fp, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	const struct ir_health *h = ex->health;
	if (h && h->command.n) {
		opt_word(fp, "--health-cmd", sh_line(g, &h->command, &(struct ir_strs){0}));
		if (h->interval_ms)
			fprintf(fp, " --health-interval %dms", h->interval_ms);
		if (h->timeout_ms)
			fprintf(fp, " --health-timeout %dms", h->timeout_ms);
		if (h->retries)
			fprintf(fp, " --health-retries %d", h->retries);
	} else if (h) {
		emit_warn(g->e, s->pos, "the port check of service '%s' is dropped: the job "
			  "waits only for a health command", s->name);
	}
	if (s->privileged)
		fputs(" --privileged", fp);
	if (ex->user)
		opt_word(fp, "--user", ex->user);
	if (ex->resources.cpu_millis)
		fprintf(fp, " --cpus %lld.%03lld", (long long)ex->resources.cpu_millis / 1000,
			(long long)ex->resources.cpu_millis % 1000);
	if (ex->resources.memory)
		fprintf(fp, " --memory %lld", (long long)ex->resources.memory);
	if (ex->resources.shm_size)
		fprintf(fp, " --shm-size %lld", (long long)ex->resources.shm_size);
	opt_strs(fp, "--dns", &ex->dns);
	opt_strs(fp, "--dns-search", &ex->dns_search);
	opt_strs(fp, "--add-host", &ex->extra_hosts);
	opt_strs(fp, "--network-alias", &ex->aliases);
	for (size_t i = 0; i < ex->ndevices; i++)
		opt_word(fp, "--device", ir_printf(g->e->a, "%s:%s", ex->devices[i].host_path,
						   ex->devices[i].path));
}

static void service_command(struct gh *g, cJSON *o, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (s->script) {
		add_lit(g, o, "entrypoint", s->shell ? s->shell : "/bin/sh");
		cJSON_AddStringToObject(o, "command", "-c \"eval \\\"$PIPEC_SCRIPT\\\"\"");
		return;
	}
	if (ex->entrypoint.n) {
		add_lit(g, o, "entrypoint", ex->entrypoint.v[0]);
		if (ex->entrypoint.n > 1 || s->command.n) {
			struct ir_strs all = {ir_calloc(g->e->a, ex->entrypoint.n + s->command.n, sizeof(char *)), 0};
			for (size_t i = 1; i < ex->entrypoint.n; i++)
				all.v[all.n++] = ex->entrypoint.v[i];
			for (size_t i = 0; i < s->command.n; i++)
				all.v[all.n++] = s->command.v[i];
			add_lit(g, o, "command", cmdline(g, &all, 0, NULL));
		}
	} else if (s->command.n) {
		add_lit(g, o, "command", cmdline(g, &s->command, 0, NULL));
	}
}

static cJSON *service(struct gh *g, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	emit_check_step(g->e, s, lacks_service);
	warn_volumes(g, s);
	for (size_t k = 0; k < s->depends_on.n; k++) {
		const struct ir_step *d = ir_step_find(g->p, s->depends_on.v[k]);
		/* the checkout is no step a service waits for */
		if (d && !is_service(g, d) && !d->clone) {
			emit_warn(g->e, s->pos, "service '%s' starts before step '%s': the job "
				  "starts its services before its steps", s->name, d->name);
			break;
		}
	}
	if (s->run_policy != IR_RUN_ON_SUCCESS)
		emit_warn(g->e, s->pos, "the run policy of service '%s' is dropped: the job "
			  "starts its services before its steps", s->name);
	cJSON *o = cJSON_CreateObject();
	add_lit(g, o, "image", emit_image(g->e, g->p, s));
	service_command(g, o, s);
	/* the job's env does not reach services */
	struct ir_env all = emit_step_env(g->e, g->p, s);
	cJSON *env = env_object(g, &all);
	for (size_t i = 0; i < ex->nsecrets; i++)
		cJSON_AddStringToObject(env, ex->secrets[i].env, secret_expr(g, ex->secrets[i].name));
	if (s->script)
		add_lit(g, env, "PIPEC_SCRIPT", s->script);
	cJSON_AddItemToObject(o, "env", env);
	if (ex->nports) {
		cJSON *ports = cJSON_AddArrayToObject(o, "ports");
		for (size_t i = 0; i < ex->nports; i++)
			cJSON_AddItemToArray(ports, cJSON_CreateString(ex->ports[i].host ?
				ir_printf(g->e->a, "%d:%d", ex->ports[i].host, ex->ports[i].port) :
				ir_printf(g->e->a, "%d", ex->ports[i].port)));
	}
	struct emit_stream opts;
	if (emit_stream_begin(g->e, &opts) == 0) {
		service_options(g, opts.fp, s);
		char *text = emit_stream_end(g->e, &opts);
		if (text && *text)
			add_lit(g, o, "options", text + 1);
		free(text);
	}
	return o;
}

/* ---- Jobs ---------------------------------------------------------------- */

/* runs-on for the pipeline's platform, or NULL after refusing it. */
static const char *runs_on(struct gh *g)
{
	const struct ir_platform *pl = &g->p->platform;
	const char *os = pl->os ? pl->os : "linux", *arch = pl->arch ? pl->arch : "amd64";
	if (g->container && strcmp(os, "linux") != 0) {
		emit_refuse(g->e, g->p->pos, "pipeline '%s' is for %s: docker steps run on "
			    "linux runners only", g->p->name, os);
		return NULL;
	}
	const char *label = strcmp(os, "linux") == 0 ? (strcmp(arch, "arm64") == 0 ?
		"ubuntu-24.04-arm" : RUNS_ON_LINUX) : strcmp(os, "windows") == 0 ?
		"windows-latest" : strcmp(os, "darwin") == 0 ? "macos-latest" : NULL;
	if (!label) {
		emit_refuse(g->e, g->p->pos, "pipeline '%s' is for %s: GitHub has no runner for it",
			    g->p->name, os);
		return NULL;
	}
	if (strcmp(arch, "amd64") != 0 && strcmp(arch, "arm64") != 0)
		emit_warn(g->e, g->p->pos, "pipeline '%s' is for %s/%s: it runs on '%s'",
			  g->p->name, os, arch, label);
	return label;
}

static void add_needs(struct gh *g, cJSON *job)
{
	cJSON *needs = cJSON_CreateArray();
	for (size_t k = 0; k < g->p->depends_on.n; k++) {
		const struct ir_pipeline *d = ir_pipeline_find(g->doc, g->p->depends_on.v[k]);
		if (d)
			cJSON_AddItemToArray(needs, cJSON_CreateString(g->job_ids[d - g->doc->pipelines]));
	}
	if (needs->child)
		cJSON_AddItemToObject(job, "needs", needs);
	else
		cJSON_Delete(needs);
	if (g->p->run_policy == IR_RUN_ON_FAILURE)
		cJSON_AddStringToObject(job, "if", "${{ failure() }}");
	else if (g->p->run_policy == IR_RUN_ALWAYS)
		cJSON_AddStringToObject(job, "if", "${{ always() }}");
}

static void add_steps(struct gh *g, cJSON *job)
{
	const struct ir_pipeline *p = g->p;
	g->step_ids = ir_calloc(g->e->a, p->nsteps + 1, sizeof *g->step_ids);
	for (size_t i = 0; i < p->nsteps; i++)
		g->step_ids[i] = unique_id(g, p->steps[i].name, g->step_ids, i);
	find_ancestors(g);
	cJSON *services = cJSON_CreateObject();
	cJSON *steps = cJSON_CreateArray();
	for (size_t i = 0; i < p->nsteps; i++) {
		if (!is_service(g, &p->steps[i])) {
			cJSON_AddItemToArray(steps, step(g, i));
			continue;
		}
		if (strcmp(g->step_ids[i], p->steps[i].name) != 0)
			emit_warn(g->e, p->steps[i].pos, "service '%s' answers to '%s': service "
				  "names are ids", p->steps[i].name, g->step_ids[i]);
		cJSON_AddItemToObject(services, g->step_ids[i], service(g, &p->steps[i]));
	}
	if (services->child)
		cJSON_AddItemToObject(job, "services", services);
	else
		cJSON_Delete(services);
	if (!steps->child)      /* a job has at least one step */
		cJSON_AddItemToArray(steps, cJSON_Parse("{\"run\": \"true\"}"));
	cJSON_AddItemToObject(job, "steps", steps);
}

static cJSON *job(struct gh *g)
{
	const struct ir_pipeline *p = g->p;
	emit_check_pipeline(g->e, p, EMIT_P_NETWORKS | EMIT_P_PULL_SECRETS | EMIT_P_PLATFORM |
			    EMIT_P_FILES);
	warn_secrets(g);
	cJSON *o = cJSON_CreateObject();
	add_lit(g, o, "name", p->name);
	add_needs(g, o);
	const char *label = runs_on(g);
	cJSON_AddStringToObject(o, "runs-on", label ? label : RUNS_ON_LINUX);
	add_minutes(g, o, p->pos, "pipeline", p->name, p->timeout);
	if (p->environment.n)
		cJSON_AddItemToObject(o, "env", env_object(g, &p->environment));
	add_steps(g, o);
	return o;
}

/* ---- The workflow -------------------------------------------------------- */

/* `on:` for the build the conditions were decided for. */
static void add_on(struct gh *g, cJSON *root)
{
	const char *event = g->e->opt->event ? g->e->opt->event : "push";
	const char *branch = g->e->opt->branch;
	cJSON *on = cJSON_AddObjectToObject(root, "on");
	struct ir_pos pos = g->doc->npipelines ? g->doc->pipelines[0].pos : (struct ir_pos){0};
	if (strcmp(event, "push") == 0 || strcmp(event, "pull_request") == 0) {
		cJSON *ev = cJSON_AddObjectToObject(on, event);
		if (branch)
			cJSON_AddItemToArray(cJSON_AddArrayToObject(ev, "branches"),
					     cJSON_CreateString(branch));
	} else if (strcmp(event, "tag") == 0) {
		cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(on, "push"), "tags"),
				     cJSON_CreateString("**"));
	} else {
		cJSON_AddObjectToObject(on, "workflow_dispatch");
		emit_warn(g->e, pos, "event '%s' has no GitHub equivalent: the workflow is "
			  "started by hand (workflow_dispatch)", event);
	}
}

static const char *workflow_name(struct gh *g)
{
	const char *src = g->e->opt->source;
	if (!src)
		return "pipec";
	const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
	return lit(g, base);
}

static char *header(struct gh *g)
{
	const char *src = g->e->opt->source;
	return ir_printf(g->e->a, "# Written by `pipec emit --format=github`%s%s: a GitHub Actions\n"
			 "# workflow running its pipelines, one job each.  Secret NAME is the\n"
			 "# repository's secret NAME (uppercased).\n",
			 src ? " from " : "", src ? src : "");
}

char *emit_github(const struct ir_doc *doc, const struct emit_options *opt, struct diag_list *dl)
{
	struct emit e;
	emit_begin(&e, "github", opt, dl);
	struct gh g = {.e = &e, .doc = doc};
	g.job_ids = ir_calloc(e.a, doc->npipelines + 1, sizeof *g.job_ids);
	for (size_t i = 0; i < doc->npipelines; i++)
		g.job_ids[i] = unique_id(&g, doc->pipelines[i].name, g.job_ids, i);
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "name", workflow_name(&g));
	add_on(&g, root);
	cJSON *jobs = cJSON_AddObjectToObject(root, "jobs");
	for (size_t i = 0; i < doc->npipelines; i++) {
		g.p = &doc->pipelines[i];
		g.container = g.p->backend != IR_BACKEND_LOCAL;
		cJSON_AddItemToObject(jobs, g.job_ids[i], job(&g));
	}
	if (!doc->npipelines)
		emit_refuse(&e, (struct ir_pos){.file = opt->source}, "no pipeline runs for this "
			    "build: a workflow needs at least one job");
	cJSON *docs = cJSON_CreateArray();
	cJSON_AddItemToArray(docs, root);
	char *text = emit_yaml(&e, docs, header(&g));
	cJSON_Delete(docs);
	return emit_end(&e, text);
}
