/*
 * internal.h - what the local backend's files share.
 *
 * local.c owns the run directory, the environment and the operations
 * table; proc.c starts processes and turns pipe data and SIGCHLD into
 * rt_job_output() and rt_job_exited() calls.
 */
#ifndef PIPEC_BACKEND_LOCAL_INTERNAL_H
#define PIPEC_BACKEND_LOCAL_INTERNAL_H

#include <poll.h>
#include <sys/types.h>

#include "local.h"

#define LOCAL_READ_CHUNK (64u * 1024)
#define LOCAL_EOF_WAIT_MS 1000      /* leader gone, pipes still open */
/* Longer scripts go to a file: one argv string may hold at most 128 KiB. */
#define LOCAL_MAX_INLINE_SCRIPT (64u * 1024)

/* One started process (one attempt of a step). */
struct local_proc {
	struct local_proc *next;
	struct rt_job *job;
	pid_t pid;
	int fd[2];                  /* stdout, stderr; -1 when closed */
	bool reaped, reported;
	int status;
	int64_t reaped_at;
};

struct local {
	const struct rt_run_info *run;
	const struct ir_pipeline *p;
	struct ir_arena *a;         /* per pipeline; NULL when not prepared */
	char *run_dir;
	char *workspace;
	unsigned nscripts;
	struct local_proc *procs;
	struct pollfd *pfds;
	struct local_proc **owners;
	size_t pcap;
	char buf[LOCAL_READ_CHUNK];
};

/* Starts `argv` for `job` with `envp` in `dir`; -1 after a diagnostic. */
int local_spawn(struct local *l, struct rt_job *job, char **argv, char **envp,
		const char *dir, struct diag_list *dl);
int local_poll(void *ctx, int timeout_ms);
void local_stop(void *ctx, struct rt_job *job, bool hurry);
/* Kills every process the pipeline started and reaps it. */
void local_kill_all(struct local *l);
/* Installs the SIGCHLD self-pipe; -1 with errno. */
int local_signals_init(void);
void local_signals_release(void);

int64_t local_now_ms(void);

#endif
