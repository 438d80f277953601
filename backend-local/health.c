/*
 * health.c - a service is ready when its health check passes.
 *
 * Services start first; a step (not a service) about to start waits
 * until every running service with a `health` check is ready, as with
 * the Docker backend.  A check is the health command, run on the host
 * in the service's directory with its environment, exiting 0; or the
 * port accepting a TCP connection on 127.0.0.1.  It is tried up to
 * `retries` times, `interval_ms` apart, each try given `timeout_ms`.
 * While waiting, the pipes are still read (local_pump()) so no service
 * blocks on a full pipe; an interrupt ends the wait, and a service that
 * ends first fails at once.
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

/* Keeps the pipes drained for `ms`, or less when interrupted. */
static void pump_for(struct local *l, int ms)
{
	int64_t until = local_now_ms() + ms;
	for (int64_t now = local_now_ms(); now < until && !interrupted(l); now = local_now_ms())
		local_pump(l, (int)(until - now));
}

static int spawn_check(const struct local_proc *p, pid_t *pid)
{
	const struct ir_health *h = p->job->step->health;
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
		snprintf(why, size, "cannot run '%s': %s", p->job->step->health->command.v[0],
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

static int probe(struct local *l, const struct local_proc *p, int timeout, char *why,
		 size_t size)
{
	const struct ir_health *h = p->job->step->health;
	if (h->command.n)
		return probe_command(l, p, timeout, why, size);
	return probe_port(h->port, timeout, why, size);
}

static int await(struct local *l, struct local_proc *p, struct diag_list *dl)
{
	const struct ir_step *s = p->job->step;
	const struct ir_health *h = s->health;
	int interval = h->interval_ms > 0 ? h->interval_ms : LOCAL_HEALTH_INTERVAL_MS;
	int timeout = h->timeout_ms > 0 ? h->timeout_ms : LOCAL_HEALTH_TIMEOUT_MS;
	int tries = h->retries > 0 ? h->retries : LOCAL_HEALTH_RETRIES;
	char why[300] = "";
	for (int k = 0; k < tries; k++) {
		if (k)
			pump_for(l, interval);
		if (p->reaped || interrupted(l))
			break;
		if (probe(l, p, timeout, why, sizeof why) == 0) {
			p->ready = true;
			return 0;
		}
	}
	p->unready = true;
	if (interrupted(l))
		return diag_error(dl, s->pos, "service-not-ready",
				  "service '%s' was not ready when the run was interrupted", s->name);
	if (p->reaped)
		return diag_error(dl, s->pos, "service-not-ready",
				  "service '%s' ended before it was ready", s->name);
	return diag_error(dl, s->pos, "service-not-ready",
			  "service '%s' is not ready after %d tries: %s", s->name, tries, why);
}

int local_services_ready(struct local *l, const struct ir_step *step, struct diag_list *dl)
{
	for (struct local_proc *p = l->procs; p; p = p->next) {
		const struct ir_step *s = p->job->step;
		if (!s->detach || !s->health || p->ready)
			continue;
		if (p->unready)
			return diag_error(dl, step->pos, "service-not-ready",
					  "step '%s' cannot start: service '%s' is not ready",
					  step->name, s->name);
		if (!s->health->command.n && !s->health->port)
			p->ready = true;
		else if (await(l, p, dl) < 0)
			return -1;
	}
	return 0;
}
