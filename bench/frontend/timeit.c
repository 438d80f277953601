/*
 * timeit.c - runs commands N times each and prints, per command, the
 * median wall time in microseconds, the largest peak RSS in KiB (from
 * wait4's rusage) and the median of each round's time as a ratio to the
 * first command's, so the benchmark needs neither GNU time nor a timing
 * shell builtin.  Commands are separated by `::` and take turns round by
 * round: a slow spell of a shared machine then weighs on the baseline
 * and on the command compared with it alike.  The children's output goes
 * to /dev/null (the caller checks a run first).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* One run: wall microseconds, or -1 when the command failed. */
static long run_once(char **argv, long *rss)
{
	struct timespec t0, t1;
	struct rusage ru;
	int st;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ru.ru_maxrss > *rss)
		*rss = ru.ru_maxrss;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
}

#define MAX_CMDS 8

struct cmd {
	char **argv;
	long *us, rss;
	double *ratio;
};

/* Splits argv at each "::" into commands; returns how many, 0 if too many. */
static int split(char **argv, struct cmd *c)
{
	int n = 0;
	c[n++].argv = argv;
	for (char **a = argv; *a; a++) {
		if (strcmp(*a, "::") != 0)
			continue;
		if (n == MAX_CMDS || !a[1])
			return 0;
		*a = NULL;
		c[n++].argv = a + 1;
	}
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	struct cmd c[MAX_CMDS] = {{0}};
	int ncmd = runs >= 1 && runs <= 1000 ? split(argv + 2, c) : 0;

	if (ncmd == 0) {
		fprintf(stderr, "usage: timeit RUNS COMMAND [ARG...] [:: COMMAND [ARG...]]...\n");
		return 2;
	}
	for (int k = 0; k < ncmd; k++) {
		c[k].us = malloc((size_t)runs * sizeof *c[k].us);
		c[k].ratio = malloc((size_t)runs * sizeof *c[k].ratio);
		if (!c[k].us || !c[k].ratio)
			return 1;
	}
	for (int i = 0; i < runs; i++) {
		for (int k = 0; k < ncmd; k++) {
			c[k].us[i] = run_once(c[k].argv, &c[k].rss);
			if (c[k].us[i] < 0) {
				fprintf(stderr, "timeit: %s failed\n", c[k].argv[0]);
				return 1;
			}
		}
		for (int k = 0; k < ncmd; k++)
			c[k].ratio[i] = (double)c[k].us[i] / (double)(c[0].us[i] ? c[0].us[i] : 1);
	}
	for (int k = 0; k < ncmd; k++) {
		qsort(c[k].us, (size_t)runs, sizeof *c[k].us, cmp);
		qsort(c[k].ratio, (size_t)runs, sizeof *c[k].ratio, cmp_double);
		printf("%ld %ld %.4f\n", c[k].us[runs / 2], c[k].rss, c[k].ratio[runs / 2]);
		free(c[k].us);
		free(c[k].ratio);
	}
	return 0;
}
