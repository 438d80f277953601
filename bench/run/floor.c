/*
 * floor.c - the least a runner can do per step: posix_spawn `/bin/sh -c
 * true` with stdout and stderr on pipes, read both to their end, reap.
 * bench/run/run.sh times `floor N` next to pipec's N steps, so the
 * figure separates pipec's own cost from what spawning costs the host.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void drain(int fd)
{
	char buf[4096];
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
}

static int one(void)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	char *argv[] = {"/bin/sh", "-c", "true", NULL};
	pid_t pid;
	int e = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	drain(out[0]);
	drain(err[0]);
	return e || waitpid(pid, NULL, 0) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	for (int i = 0; i < n; i++)
		if (one() < 0)
			return 1;
	return 0;
}
