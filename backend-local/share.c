/*
 * share.c - what steps receive and hand on: the pipeline's files and the
 * artifacts one step exports for later ones.
 *
 * Both name paths inside a container, which local_host_path() maps to
 * the host (the workspace, or the run's root directory for anything else,
 * so nothing outside the run is ever written).  Copies are made by the
 * host's own tools, `cp -a` and `tar -x`, started with posix_spawn and an
 * argv, never through a shell, and waited for: a step starts only once
 * what it imports is in place.  An interrupt or the starting step's
 * deadline ends the wait and kills the tool.  The artifact store is a directory of the
 * run, one subdirectory per name holding a copy of the exported path
 * under its own base name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend-local/internal.h"

/* ---- small tools ------------------------------------------------------------ */

static void say(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

int local_mkdirs(const char *path)
{
	char buf[LOCAL_MAX_PATH];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *c = buf + 1;; c++) {
		if (*c != '/' && *c)
			continue;
		char saved = *c;
		*c = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		if (!saved)
			return 0;
		*c = saved;
	}
}

static void first_line(const char *path, char *out, size_t size)
{
	out[0] = '\0';
	FILE *fp = fopen(path, "r");
	if (!fp)
		return;
	if (fgets(out, (int)size, fp))
		out[strcspn(out, "\n")] = '\0';
	fclose(fp);
}

static bool interrupted(const struct local *l)
{
	return l->run && l->run->interrupts && *l->run->interrupts > 0;
}

/*
 * Waits for the tool `pid` into `status`; an interrupt or the starting
 * step's deadline kills it instead (a copy from a stalled disk must not
 * hold the run).  0, or -1 with `err`.
 */
static int wait_tool(struct local *l, pid_t pid, const char *name, int *status, char *err,
		     size_t size)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return say(err, size, "lost '%s': %s", name, strerror(errno)), -1;
		bool late = l->deadline_ms && local_now_ms() >= l->deadline_ms;
		if (late || interrupted(l)) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			return say(err, size, "'%s' was stopped: %s", name,
				   late ? "the step's time ran out" : "interrupted"), -1;
		}
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/*
 * Runs `argv` to its end: stdin from /dev/null, stderr kept in a file of
 * the run so a failure can quote the tool's first line of complaint.
 */
int local_tool(struct local *l, char *const argv[], char *err, size_t size)
{
	char *errfile = ir_printf(l->a, "%s/tool.err", l->run_dir);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		say(err, size, "cannot run '%s': %s", argv[0], strerror(e));
		return -1;
	}
	int status;
	if (wait_tool(l, pid, argv[0], &status, err, size) < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char why[200];
	first_line(errfile, why, sizeof why);
	say(err, size, "'%s' failed%s%s", argv[0], why[0] ? ": " : "", why);
	return -1;
}

/* ---- paths ------------------------------------------------------------------ */

static bool climbs(const char *path)
{
	for (const char *c = path; (c = strstr(c, "..")); c += 2)
		if ((c == path || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
			return true;
	return false;
}

/*
 * A container path on the host: relative to the step's working
 * directory, the IR's workspace to the run's workspace, any other
 * absolute path under the run's root directory ($PIPEC_ROOT).  NULL for
 * a path with a ".." component, which could leave them.
 */
const char *local_host_path(struct local *l, const struct ir_step *s, const char *path)
{
	if (climbs(path))
		return NULL;
	if (path[0] != '/')
		return ir_printf(l->a, "%s/%s", local_work_dir(l, s), path);
	const char *ws = local_in_workspace(l, path);
	return ws ? ws : ir_printf(l->a, "%s/root%s", l->run_dir, path);
}

static char *parent_of(struct ir_arena *a, const char *path)
{
	char *p = ir_strdup(a, path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	char *slash = strrchr(p, '/');
	if (slash)
		*(slash == p ? slash + 1 : slash) = '\0';
	return p;
}

static const char *base_of(const char *path, struct ir_arena *a)
{
	char *p = ir_strdup(a, path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	char *slash = strrchr(p, '/');
	return slash && slash[1] ? slash + 1 : p;
}

/* ---- files ------------------------------------------------------------------ */

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Standard base64; whitespace skipped, '=' ends it.  NULL when malformed. */
static unsigned char *b64_decode(struct ir_arena *a, const char *in, size_t *len)
{
	unsigned char *out = ir_alloc(a, strlen(in) / 4 * 3 + 4);
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (const char *c = in; *c && *c != '='; c++) {
		if (*c == '\n' || *c == '\r' || *c == ' ' || *c == '\t')
			continue;
		int v = b64_value((unsigned char)*c);
		if (v < 0)
			return NULL;
		acc = acc << 6 | (uint32_t)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	*len = n;
	return out;
}

static int write_all(const char *path, const unsigned char *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		off += (size_t)w;
	}
	int e = errno;
	bool ok = off == len && fchmod(fd, (mode_t)mode) == 0;
	close(fd);
	errno = ok ? 0 : e;
	return ok ? 0 : -1;
}

static const struct ir_file *pipeline_file(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (p->files[i].name && strcmp(p->files[i].name, name) == 0)
			return &p->files[i];
	return NULL;
}

/* An archive is extracted into the mount path by tar. */
static int extract(struct local *l, const char *dir, const unsigned char *data, size_t len,
		   char *err, size_t size)
{
	char *tar = ir_printf(l->a, "%s/file.tar", l->run_dir);
	if (local_mkdirs(dir) < 0 || write_all(tar, data, len, 0600) < 0) {
		say(err, size, "%s", strerror(errno));
		return -1;
	}
	char *argv[] = {"tar", "-xf", tar, "-C", (char *)dir, NULL};
	int r = local_tool(l, argv, err, size);
	unlink(tar);
	return r;
}

static int place_file(struct local *l, const struct ir_step *s, const struct ir_file_mount *m,
		      char *err, size_t size)
{
	const struct ir_file *f = pipeline_file(l->p, m->name);
	if (!f)
		return say(err, size, "pipeline file '%s' is not defined", m->name), -1;
	size_t len = 0;
	unsigned char *data = b64_decode(l->a, f->data ? f->data : "", &len);
	if (!data)
		return say(err, size, "pipeline file '%s' is not valid base64", m->name), -1;
	const char *path = local_host_path(l, s, m->path);
	if (!path)
		return say(err, size, "'..' may not appear in the path"), -1;
	if (f->archive)
		return extract(l, path, data, len, err, size);
	if (local_mkdirs(parent_of(l->a, path)) < 0 ||
	    write_all(path, data, len, m->mode ? m->mode : 0644) < 0) {
		say(err, size, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

int local_place_files(struct local *l, const struct ir_step *s, struct diag_list *dl)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	char err[512];
	for (size_t i = 0; i < ex->nfiles; i++)
		if (place_file(l, s, &ex->files[i], err, sizeof err) < 0)
			return interrupted(l) ? -1 : diag_error(dl, s->pos, "step-failed",
					  "step '%s' cannot place file '%s' at '%s': %s", s->name,
					  ex->files[i].name, ex->files[i].path, err);
	return 0;
}

/* ---- artifacts ---------------------------------------------------------------- */

/* An artifact's name as one directory name: no '/', never "." or "..". */
static const char *store_name(struct ir_arena *a, const char *name)
{
	char *s = ir_strdup(a, *name ? name : "_");
	for (char *c = s; *c; c++)
		if (*c == '/')
			*c = '_';
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		s[0] = '_';
	return s;
}

/* `cp -a SRC DIR/`; what DIR held stays unless overwritten. */
static int copy_into(struct local *l, const char *src, const char *dir, char *err, size_t size)
{
	if (local_mkdirs(dir) < 0)
		return say(err, size, "cannot make '%s': %s", dir, strerror(errno)), -1;
	char *argv[] = {"cp", "-a", "--", (char *)src, ir_printf(l->a, "%s/", dir), NULL};
	return local_tool(l, argv, err, size);
}

static int export_one(struct local *l, const struct ir_step *s, const struct ir_artifact *x,
		      char *err, size_t size)
{
	const char *src = local_host_path(l, s, x->path);
	struct stat st;
	if (!src || lstat(src, &st) < 0)
		return say(err, size, "cannot export '%s' as '%s': %s", x->path, x->name,
			   src ? strerror(errno) : "'..' may not appear in the path"), -1;
	const char *name = store_name(l->a, x->name);
	/* The store keeps only the newest export of a name. */
	const char *store = ir_printf(l->a, "%s/artifacts/%s", l->run_dir, name);
	local_remove_tree(store);
	if (copy_into(l, src, store, err, size) < 0)
		return -1;
	if (l->run->artifacts_dir &&
	    copy_into(l, src, ir_printf(l->a, "%s/%s", l->run->artifacts_dir, name), err, size) < 0)
		return -1;
	return 0;
}

const char *local_export(struct local *l, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nexports; i++)
		if (export_one(l, s, &ex->exports[i], l->err, sizeof l->err) < 0)
			return l->err;
	return NULL;
}

/* The one entry an export left in its store directory, or NULL. */
static const char *stored(struct local *l, const char *name)
{
	const char *dir = ir_printf(l->a, "%s/artifacts/%s", l->run_dir, store_name(l->a, name));
	struct stat st;
	for (size_t i = 0; i < l->p->nsteps; i++) {
		const struct ir_step *s = &l->p->steps[i];
		const struct ir_step_extra *ex = ir_step_extra(s);
		for (size_t k = 0; k < ex->nexports; k++) {
			if (strcmp(ex->exports[k].name, name) != 0)
				continue;
			const char *p = ir_printf(l->a, "%s/%s", dir, base_of(ex->exports[k].path, l->a));
			if (lstat(p, &st) == 0)
				return p;
		}
	}
	return NULL;
}

/* The import path becomes the exported file, or holds the directory's contents. */
static int import_one(struct local *l, const struct ir_step *s, const struct ir_artifact *x,
		      char *err, size_t size)
{
	const char *src = stored(l, x->name);
	if (!src)
		return say(err, size, "artifact '%s' was not exported by an earlier step",
			   x->name), -1;
	const char *dst = local_host_path(l, s, x->path);
	if (!dst)
		return say(err, size, "'..' may not appear in the path '%s'", x->path), -1;
	struct stat st;
	bool dir = stat(src, &st) == 0 && S_ISDIR(st.st_mode);
	if (local_mkdirs(dir ? dst : parent_of(l->a, dst)) < 0)
		return say(err, size, "cannot make '%s': %s", dst, strerror(errno)), -1;
	char *argv[] = {"cp", "-a", "--", dir ? ir_printf(l->a, "%s/.", src) : (char *)src,
			(char *)dst, NULL};
	return local_tool(l, argv, err, size);
}

int local_import(struct local *l, const struct ir_step *s, struct diag_list *dl)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	char err[512];
	for (size_t i = 0; i < ex->nimports; i++)
		if (import_one(l, s, &ex->imports[i], err, sizeof err) < 0)
			return interrupted(l) ? -1 : diag_error(dl, s->pos, "step-failed",
								"step '%s' cannot import '%s': %s",
					  s->name, ex->imports[i].name, err);
	return 0;
}
