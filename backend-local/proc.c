/*
 * proc.c - processes: starting them, watching their pipes, reaping them.
 *
 * One poll() covers every running step's stdout and stderr plus the read
 * end of a self-pipe that the SIGCHLD handler writes to, so a process
 * exiting wakes the loop even when something it left behind still holds
 * its pipes.  A step ends when its leader has been reaped and both pipes
 * are drained; what remains of its process group is killed when the
 * leader goes, as a container's would be.  pipec is made a child
 * subreaper, so orphaned grandchildren are reaped here too: no zombies.
 *
 * Steps start with posix_spawn, which reports a failed exec (or chdir)
 * to the caller, so a missing shell is a clear error at start, not an
 * exit status of 127.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend-local/internal.h"

static int chld_pipe[2] = {-1, -1};
static struct sigaction old_chld;

int64_t local_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_chld(int sig)
{
	int saved = errno;
	(void)sig;
	ssize_t r = write(chld_pipe[1], "", 1);
	(void)r;
	errno = saved;
}

int local_signals_init(void)
{
	if (chld_pipe[0] >= 0)
		return 0;
	if (pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	struct sigaction sa = {.sa_handler = on_chld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, &old_chld);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return 0;
}

void local_signals_release(void)
{
	if (chld_pipe[0] < 0)
		return;
	sigaction(SIGCHLD, &old_chld, NULL);
	close(chld_pipe[0]);
	close(chld_pipe[1]);
	chld_pipe[0] = chld_pipe[1] = -1;
}

/* ---- starting ------------------------------------------------------------ */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * The child's setup, done by posix_spawn (a vfork: no copy of pipec's
 * memory per step): own process group, every signal at its default and
 * unblocked, /dev/null as stdin, the pipes as stdout and stderr.
 */
static int spawn(pid_t *pid, char **argv, char **envp, const char *dir, int out, int err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	if (dir)
		posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	int e = posix_spawnp(pid, argv[0], &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return e;
}

/* Says which part failed: the directory or the program. */
static int spawn_failed(struct rt_job *job, char **argv, const char *dir, int e,
			struct diag_list *dl)
{
	const struct ir_step *s = job->step;
	struct stat st;
	if (dir && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
		return diag_error(dl, s->pos, "step-failed",
				  "step '%s' cannot enter directory '%s': %s", s->name, dir,
				  strerror(errno ? errno : ENOTDIR));
	return diag_error(dl, s->pos, "step-failed", "step '%s' cannot run '%s': %s", s->name,
			  argv[0], strerror(e));
}

static struct local_proc *add_proc(struct local *l, struct rt_job *job, pid_t pid, int out,
				   int err, char **envp, const char *dir)
{
	struct local_proc *p = ir_alloc(l->a, sizeof *p);
	*p = (struct local_proc){.next = l->procs, .job = job, .pid = pid, .fd = {out, err},
				 .envp = envp, .dir = dir};
	l->procs = p;
	job->backend_data = p;
	return p;
}

int local_spawn(struct local *l, struct rt_job *job, char **argv, char **envp,
		const char *dir, struct diag_list *dl)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		goto no_pipe;
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[0]), close(out[1]);
		goto no_pipe;
	}
	pid_t pid;
	int e = spawn(&pid, argv, envp, dir, out[1], err[1]);
	close(out[1]), close(err[1]);
	if (e) {
		close(out[0]), close(err[0]);
		return spawn_failed(job, argv, dir, e, dl);
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	add_proc(l, job, pid, out[0], err[0], envp, dir);
	return 0;
no_pipe:
	return diag_error(dl, job->step->pos, "step-failed", "step '%s' cannot start: %s",
			  job->step->name, strerror(errno));
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* ---- watching ------------------------------------------------------------ */

static size_t collect_fds(struct local *l)
{
	size_t n = 1, need = 1;
	for (struct local_proc *p = l->procs; p; p = p->next)
		need += 2;
	if (need > l->pcap) {
		l->pcap = need * 2;
		l->pfds = realloc(l->pfds, l->pcap * sizeof *l->pfds);
		l->owners = realloc(l->owners, l->pcap * sizeof *l->owners);
		if (!l->pfds || !l->owners)
			abort();
	}
	l->pfds[0] = (struct pollfd){.fd = chld_pipe[0], .events = POLLIN};
	for (struct local_proc *p = l->procs; p; p = p->next)
		for (int s = 0; s < 2; s++)
			if (p->fd[s] >= 0 && !p->reported) {
				l->pfds[n] = (struct pollfd){.fd = p->fd[s], .events = POLLIN};
				l->owners[n++] = p;
			}
	return n;
}

/* Reads what is there; a few rounds so a fast writer is not starved. */
static void drain(struct local *l, struct local_proc *p, int s)
{
	for (int round = 0; round < 4 && p->fd[s] >= 0; round++) {
		ssize_t n = read(p->fd[s], l->buf, sizeof l->buf);
		if (n > 0) {
			rt_job_output(p->job, s + 1, l->buf, (size_t)n);
			if ((size_t)n < sizeof l->buf)
				return;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close_fd(&p->fd[s]);
		} else {
			return;
		}
	}
}

static struct local_proc *find_pid(struct local *l, pid_t pid)
{
	for (struct local_proc *p = l->procs; p; p = p->next)
		if (p->pid == pid && !p->reaped)
			return p;
	return NULL;
}

static void reap_all(struct local *l)
{
	char junk[64];
	while (read(chld_pipe[0], junk, sizeof junk) > 0)
		;
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == l->check_pid) {
			l->check_status = status;
			l->check_done = true;
			continue;
		}
		struct local_proc *p = find_pid(l, pid);
		if (!p)
			continue;       /* an orphan we adopted */
		p->reaped = true;
		p->status = status;
		p->reaped_at = local_now_ms();
		kill(-pid, SIGKILL);    /* what the step left behind */
	}
}

static struct rt_exit exit_of(int status)
{
	struct rt_exit e = {.code = -1};
	if (WIFEXITED(status))
		e.code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		e.signal = WTERMSIG(status);
	return e;
}

static void report_ended(struct local *l)
{
	int64_t now = local_now_ms();
	for (struct local_proc *p = l->procs; p; p = p->next) {
		if (!p->reaped || p->reported)
			continue;
		bool open = p->fd[0] >= 0 || p->fd[1] >= 0;
		if (open && now - p->reaped_at < LOCAL_EOF_WAIT_MS)
			continue;
		close_fd(&p->fd[0]);
		close_fd(&p->fd[1]);
		p->reported = true;
		struct rt_exit e = exit_of(p->status);
		if (!e.signal && (e.code == 0 || e.code == 78) && !p->job->step->detach)
			e.error = local_export(l, p->job->step);
		rt_job_exited(p->job, &e);
	}
}

static int pump(struct local *l, int timeout_ms)
{
	size_t n = collect_fds(l);
	int r = poll(l->pfds, n, timeout_ms);
	for (size_t i = 1; r > 0 && i < n; i++)
		if (l->pfds[i].revents) {
			struct local_proc *p = l->owners[i];
			drain(l, p, p->fd[0] == l->pfds[i].fd ? 0 : 1);
		}
	/* Only a SIGCHLD makes a child to reap, and its byte stays in the
	 * pipe until read: a busy step's rounds of output cost no waitpid(). */
	if (r > 0 && l->pfds[0].revents)
		reap_all(l);
	return r < 0 && errno != EINTR ? -1 : 0;
}

void local_pump(struct local *l, int timeout_ms)
{
	pump(l, timeout_ms);
}

int local_poll(void *ctx, int timeout_ms)
{
	struct local *l = ctx;
	if (!l->a)
		return 0;
	int r = pump(l, timeout_ms);
	report_ended(l);
	return r;
}

void local_stop(void *ctx, struct rt_job *job, bool hurry)
{
	(void)ctx;
	struct local_proc *p = job->backend_data;
	if (p && !p->reaped)
		kill(-p->pid, hurry ? SIGKILL : SIGTERM);
}

/*
 * Orphans of the steps were re-parented to pipec (the subreaper): kill
 * them too, also those that left their step's process group.
 */
static void kill_adopted(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	FILE *fp = fopen(path, "r");
	int pid;
	while (fp && fscanf(fp, "%d", &pid) == 1)
		kill(pid, SIGKILL);
	if (fp)
		fclose(fp);
}

/* Reaps what was killed; killing is asynchronous, so wait a little. */
static void reap_adopted(void)
{
	int64_t until = local_now_ms() + LOCAL_EOF_WAIT_MS;
	for (;;) {
		pid_t r = waitpid(-1, NULL, WNOHANG);
		if (r > 0)
			continue;
		if (r < 0 || local_now_ms() >= until)
			return;
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
}

void local_kill_all(struct local *l)
{
	for (struct local_proc *p = l->procs; p; p = p->next) {
		kill(-p->pid, SIGKILL);
		if (!p->reaped) {
			reap(p->pid);
			p->reaped = true;
		}
		close_fd(&p->fd[0]);
		close_fd(&p->fd[1]);
		p->job->backend_data = NULL;
	}
	l->procs = NULL;
	kill_adopted();
	reap_adopted();
}
