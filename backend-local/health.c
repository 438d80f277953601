/*
 * health.c - one try of a service's health check, when the runtime asks.
 *
 * The runtime decides when a service is ready (how often to try, how
 * many failures, how long in all); this file only tries once.  A check
 * is the health command, run on the host in the service's directory
 * with its environment, exiting 0; or the port accepting a TCP
 * connection on 127.0.0.1.  While the command runs, the pipes are still
 * read (local_pump()) so no service blocks on a full pipe, and an
 * interrupt ends the try.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend-local/internal.h"

static bool interrupted(const struct local *l)
{
	return l->run->interrupts && *l->run->interrupts > 0;
}

static int spawn_check(const struct local_proc *p, pid_t *pid)
{
	const struct ir_health *h = ir_step_extra(p->job->step)->health;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (p->dir)
		posix_spawn_file_actions_addchdir_np(&fa, p->dir);
	posix_spawnattr_init(&at);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	int e = posix_spawnp(pid, h->command.v[0], &fa, &at, h->command.v, p->envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return e;
}

/* The health command: 0 when it exited 0 within `timeout` ms. */
static int probe_command(struct local *l, const struct local_proc *p, int timeout,
			 char *why, size_t size)
{
	pid_t pid;
	int e = spawn_check(p, &pid);
	if (e) {
		snprintf(why, size, "cannot run '%s': %s", ir_step_extra(p->job->step)->health->command.v[0],
			 strerror(e));
		return -1;
	}
	l->check_pid = pid;
	l->check_done = false;
	int64_t until = local_now_ms() + timeout;
	while (!l->check_done && local_now_ms() < until && !interrupted(l))
		local_pump(l, (int)(until - local_now_ms()));
	l->check_pid = 0;
	if (!l->check_done) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		snprintf(why, size, "the health command took longer than %d ms", timeout);
		return -1;
	}
	int st = l->check_status;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	snprintf(why, size, "the health command exited with status %d",
		 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return -1;
}

/* The port: 0 when 127.0.0.1:port accepts within `timeout` ms. */
static int probe_port(int port, int timeout, char *why, size_t size)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, size, "cannot make a socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int r = connect(fd, (struct sockaddr *)&a, sizeof a);
	int err = r == 0 ? 0 : errno;
	if (err == EINPROGRESS) {
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		socklen_t len = sizeof err;
		err = poll(&pf, 1, timeout) == 1 &&
				      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0
			      ? err
			      : ETIMEDOUT;
	}
	close(fd);
	if (err)
		snprintf(why, size, "port %d on 127.0.0.1 does not accept: %s", port, strerror(err));
	return err ? -1 : 0;
}

enum rt_probe local_probe(void *ctx, struct rt_job *job, int timeout_ms, char *why,
			 size_t size)
{
	struct local *l = ctx;
	struct local_proc *p = job->backend_data;
	const struct ir_health *h = ir_step_extra(job->step)->health;
	if (!p || p->reaped) {
		snprintf(why, size, "it is not running");
		return RT_PROBE_UNHEALTHY;
	}
	int r = h->command.n ? probe_command(l, p, timeout_ms, why, size)
			     : probe_port(h->port, timeout_ms, why, size);
	return r == 0 ? RT_PROBE_READY : RT_PROBE_FAILED;
}
