/*
 * local.c - the local backend's operations: the run directory, each
 * step's command line, environment and working directory.
 *
 * A pipeline's files live in one directory made by prepare() and
 * removed by teardown(), so nothing is left behind whatever happened in
 * between.  Paths the IR gives for a container (the workspace, volume
 * mount points) have no meaning on the host: the workspace becomes the
 * working directory and each volume a directory, and the step learns
 * where they are from PIPEC_WORKSPACE and PIPEC_VOLUME_<NAME>.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend-local/internal.h"

/* ---- checks ---------------------------------------------------------------- */

static bool runnable(const struct ir_step *s)
{
	return s->script || ir_step_extra(s)->entrypoint.n || s->command.n;
}

/* Every step that is only an image is refused, all reported at once. */
static int local_check(void *ctx, const struct ir_pipeline *p, struct diag_list *dl)
{
	(void)ctx;
	int r = 0;
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ir_step *s = &p->steps[i];
		if (s->skip || s->run_policy == IR_RUN_NEVER || runnable(s))
			continue;
		r = diag_error(dl, s->pos, "local-needs-image",
			       "%s '%s' has no commands and needs image '%s'; "
			       "the local backend cannot run it",
			       s->detach ? "service" : "step", s->name,
			       s->image ? s->image : "");
	}
	return r;
}

/* ---- directories ----------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	remove(path);
	return 0;
}

void local_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_dir(const char *path, struct diag_list *dl)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return diag_error(dl, (struct ir_pos){.file = path}, "io-error",
				  "cannot make directory: %s", strerror(errno));
	return 0;
}

/* "PIPEC_VOLUME_" and the name in upper case, other characters as _. */
static char *volume_var(struct ir_arena *a, const char *name)
{
	char *v = ir_printf(a, "PIPEC_VOLUME_%s", name ? name : "");
	for (char *c = v + 13; *c; c++) {
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
		else if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
			*c = '_';
	}
	return v;
}

static int make_dirs(struct local *l, struct diag_list *dl)
{
	const char *tmp = getenv("TMPDIR");
	l->run_dir = ir_printf(l->a, "%s/pipec-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
			       l->run->run_id);
	if (!mkdtemp(l->run_dir)) {
		int e = errno;
		l->run_dir = NULL;
		return diag_error(dl, (struct ir_pos){.file = tmp ? tmp : "/tmp"}, "io-error",
				  "cannot make the run directory: %s", strerror(e));
	}
	const char *ws = l->run->workspace_dir;
	char cwd[4096];
	if (ws && ws[0] != '/' && getcwd(cwd, sizeof cwd))
		ws = ir_printf(l->a, "%s/%s", cwd, ws);     /* steps may change directory */
	l->workspace = ws ? ir_strdup(l->a, ws) : ir_printf(l->a, "%s/workspace", l->run_dir);
	int r = make_dir(l->workspace, dl);
	/* Each directory costs an inode: only those the pipeline uses. */
	for (size_t i = 0; i < l->p->nvolumes; i++)
		if (l->p->volumes[i].kind != IR_VOLUME_HOST)
			r |= make_dir(ir_printf(l->a, "%s/volumes", l->run_dir), dl) |
			     make_dir(ir_printf(l->a, "%s/volumes/%s", l->run_dir,
						l->p->volumes[i].name), dl);
	return r ? -1 : 0;
}

/* ---- operations ------------------------------------------------------------ */

static void forget_pipeline(struct local *l)
{
	if (!l->a)
		return;
	local_kill_all(l);
	if (l->run_dir)
		local_remove_tree(l->run_dir);
	ir_arena_free(l->a);
	l->a = NULL;
	l->run_dir = l->workspace = NULL;
}

static int local_teardown(void *ctx, struct diag_list *dl)
{
	(void)dl;
	forget_pipeline(ctx);
	return 0;
}

static int local_prepare(void *ctx, const struct rt_run_info *run,
			 const struct ir_pipeline *p, struct diag_list *dl)
{
	struct local *l = ctx;
	forget_pipeline(l);
	l->run = run;
	l->p = p;
	l->a = ir_arena_new();
	l->nscripts = 0;
	return make_dirs(l, dl);
}

static const char *volume_dir(struct local *l, const char *name)
{
	for (size_t i = 0; i < l->p->nvolumes; i++) {
		const struct ir_volume *v = &l->p->volumes[i];
		if (v->name && name && strcmp(v->name, name) == 0)
			return v->kind == IR_VOLUME_HOST
				       ? v->host_path
				       : ir_printf(l->a, "%s/volumes/%s", l->run_dir, v->name);
	}
	return NULL;
}

/* True when `kv` ("KEY=...") sets `key` (NUL-terminated). */
static bool sets(const char *kv, const char *key)
{
	size_t n = strlen(key);
	return strncmp(kv, key, n) == 0 && kv[n] == '=';
}

/* Whether the step or pipec itself sets the variable `kv` sets. */
static bool overridden(const struct rt_job *job, const char *kv)
{
	for (size_t i = 0; i < job->env.n; i++)
		if (sets(kv, job->env.v[i].key))
			return true;
	return sets(kv, "PIPEC_WORKSPACE") || sets(kv, "PIPEC_ROOT") ||
	       strncmp(kv, "PIPEC_VOLUME_", 13) == 0;
}

/* The IR's workspace variables name the container path: point them here. */
static char *host_value(struct local *l, const struct ir_kv *kv)
{
	if (!strcmp(kv->key, "DRONE_WORKSPACE") || !strcmp(kv->key, "CI_WORKSPACE"))
		return ir_printf(l->a, "%s=%s", kv->key, l->workspace);
	return ir_printf(l->a, "%s=%s", kv->key, kv->value ? kv->value : "");
}

/* The host's environment, then the step's, then where things are. */
static char **make_env(struct local *l, const struct rt_job *job)
{
	size_t host = 0;
	while (environ[host])
		host++;
	const struct ir_step *s = job->step;
	char **env = ir_calloc(l->a, host + job->env.n + ir_step_extra(s)->nvolumes + 3, sizeof *env);
	size_t n = 0;
	for (size_t i = 0; i < host; i++)
		if (!overridden(job, environ[i]))
			env[n++] = environ[i];
	for (size_t i = 0; i < job->env.n; i++)
		env[n++] = host_value(l, &job->env.v[i]);
	env[n++] = ir_printf(l->a, "PIPEC_WORKSPACE=%s", l->workspace);
	env[n++] = ir_printf(l->a, "PIPEC_ROOT=%s/root", l->run_dir);
	for (size_t i = 0; i < ir_step_extra(s)->nvolumes; i++) {
		const char *dir = volume_dir(l, ir_step_extra(s)->volumes[i].name);
		if (dir)
			env[n++] = ir_printf(l->a, "%s=%s", volume_var(l->a, ir_step_extra(s)->volumes[i].name), dir);
	}
	return env;
}

/*
 * The workspace stands for the IR's workspace base/path: a path under
 * base/path maps inside it, base itself and other paths under it to the
 * workspace.  NULL for a path outside.
 */
const char *local_in_workspace(struct local *l, const char *path)
{
	const struct ir_workspace *w = &l->p->workspace;
	size_t n = ir_workspace_join(w, NULL, 0);
	char *full = n ? ir_alloc(l->a, n + 1) : NULL;
	if (full)
		ir_workspace_join(w, full, n + 1);
	if (full && strncmp(path, full, n) == 0 && (path[n] == '\0' || path[n] == '/'))
		return ir_printf(l->a, "%s%s", l->workspace, path + n);
	size_t b = w->base ? strlen(w->base) : 0;
	if (b && strncmp(path, w->base, b) == 0 && (path[b] == '\0' || path[b] == '/'))
		return l->workspace;
	return NULL;
}

/*
 * The working directory: the workspace, or the step's, which maps as
 * above; a relative one is taken from the workspace; any other is used
 * as written.
 */
const char *local_work_dir(struct local *l, const struct ir_step *s)
{
	const char *wd = ir_step_extra(s)->working_dir;
	if (!wd || !*wd)
		return l->workspace;
	if (wd[0] != '/')
		return ir_printf(l->a, "%s/%s", l->workspace, wd);
	const char *ws = local_in_workspace(l, wd);
	return ws ? ws : wd;
}

/*
 * Every script is a file of the run's private directory, readable by its
 * owner only, whatever it holds: the values that must not reach an argv
 * are not only the secrets pipec knows of.
 */
static char *write_script(struct local *l, const struct ir_step *s, struct diag_list *dl)
{
	char *dir = ir_printf(l->a, "%s/scripts", l->run_dir);
	if (l->nscripts == 0)
		mkdir(dir, 0700);       /* a failure shows when the file is opened */
	char *path = ir_printf(l->a, "%s/%u.sh", dir, l->nscripts++);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *fp = fd < 0 ? NULL : fdopen(fd, "w");
	bool bad = !fp;
	if (fp) {
		bad = fputs(s->script, fp) == EOF;
		bad |= fclose(fp) != 0;
	} else if (fd >= 0) {
		close(fd);
	}
	if (bad) {
		diag_error(dl, s->pos, "step-failed", "step '%s' cannot write its script: %s",
			   s->name, strerror(errno));
		return NULL;
	}
	return path;
}

/* `SHELL FILE`: the script never appears in a process's argv. */
static char **script_argv(struct local *l, const struct rt_job *job, struct diag_list *dl)
{
	const struct ir_step *s = job->step;
	char **argv = ir_calloc(l->a, 3, sizeof *argv);
	argv[0] = s->shell ? s->shell : "/bin/sh";
	argv[1] = write_script(l, s, dl);
	return argv[1] ? argv : NULL;
}

static char **make_argv(struct local *l, const struct rt_job *job, struct diag_list *dl)
{
	const struct ir_step *s = job->step;
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (s->script)
		return script_argv(l, job, dl);
	size_t n = ex->entrypoint.n + s->command.n;
	char **argv = ir_calloc(l->a, n + 1, sizeof *argv);
	for (size_t i = 0; i < ex->entrypoint.n; i++)
		argv[i] = ex->entrypoint.v[i];
	for (size_t i = 0; i < s->command.n; i++)
		argv[ex->entrypoint.n + i] = s->command.v[i];
	return argv;
}

static int local_start(void *ctx, struct rt_job *job, struct diag_list *dl)
{
	struct local *l = ctx;
	const struct ir_step *s = job->step;
	if (!l->a)
		return -1;
	char **env = make_env(l, job);
	l->deadline_ms = job->deadline_ms;     /* the copies end with the step's time */
	int placed = local_place_files(l, s, dl) < 0 || local_import(l, s, dl) < 0 ? -1 : 0;
	l->deadline_ms = 0;
	if (placed < 0)
		return -1;
	char **argv = make_argv(l, job, dl);
	if (!argv)
		return -1;
	return local_spawn(l, job, argv, env, local_work_dir(l, s), dl);
}

static void local_free(void *ctx)
{
	struct local *l = ctx;
	forget_pipeline(l);
	local_signals_release();
	free(l->pfds);
	free(l->owners);
	free(l);
}

static const struct rt_backend_ops local_ops = {
	.name = "local",
	.check = local_check,
	.prepare = local_prepare,
	.start = local_start,
	.poll = local_poll,
	.probe = local_probe,
	.stop = local_stop,
	.teardown = local_teardown,
	.free = local_free,
};

int local_backend_new(struct rt_backend *b, const struct rt_backend_options *opt,
		      struct diag_list *dl)
{
	(void)opt;          /* nothing to connect to, nothing to pull */
	memset(b, 0, sizeof *b);
	struct local *l = calloc(1, sizeof *l);
	if (!l || local_signals_init() < 0) {
		free(l);
		return diag_error(dl, (struct ir_pos){.file = "local"}, "io-error",
				  "cannot set up the local backend: %s", strerror(errno));
	}
	b->ops = &local_ops;
	b->ctx = l;
	return 0;
}
