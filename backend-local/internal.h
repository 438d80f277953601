/*
 * internal.h - what the local backend's files share.
 *
 * local.c owns the run directory, the environment and the operations
 * table; proc.c starts processes and turns pipe data and SIGCHLD into
 * rt_job_output() and rt_job_exited() calls; share.c places pipeline
 * files and copies artifacts; health.c tries a service's health check once.
 */
#ifndef PIPEC_BACKEND_LOCAL_INTERNAL_H
#define PIPEC_BACKEND_LOCAL_INTERNAL_H

#include <poll.h>
#include <sys/types.h>

#include "backend-local/local.h"

#define LOCAL_READ_CHUNK (64u * 1024)
#define LOCAL_EOF_WAIT_MS 1000      /* leader gone, pipes still open */
#define LOCAL_MAX_PATH 4096

/* One started process (one attempt of a step). */
struct local_proc {
	struct local_proc *next;
	struct rt_job *job;
	pid_t pid;
	int fd[2];                  /* stdout, stderr; -1 when closed */
	bool reaped, reported;
	int status;
	int64_t reaped_at;
	char **envp;                /* what it was started with, for health checks */
	const char *dir;
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
	pid_t check_pid;            /* a running health command, or 0 */
	bool check_done;
	int check_status;
	char err[1024];             /* why an export failed */
	int64_t deadline_ms;        /* when a starting step's copies give up (0: never) */
	char buf[LOCAL_READ_CHUNK];
};

/* Starts `argv` for `job` with `envp` in `dir`; -1 after a diagnostic. */
int local_spawn(struct local *l, struct rt_job *job, char **argv, char **envp,
		const char *dir, struct diag_list *dl);
int local_poll(void *ctx, int timeout_ms);
/* Reads output and reaps for up to `timeout_ms`, reporting no ends. */
void local_pump(struct local *l, int timeout_ms);
void local_stop(void *ctx, struct rt_job *job, bool hurry);
/* Kills every process the pipeline started and reaps it. */
void local_kill_all(struct local *l);
/* Installs the SIGCHLD self-pipe; -1 with errno. */
int local_signals_init(void);
void local_signals_release(void);

int64_t local_now_ms(void);

/* local.c: where container paths are on the host. */
const char *local_work_dir(struct local *l, const struct ir_step *s);
/* The workspace path standing for `path`, or NULL when outside it. */
const char *local_in_workspace(struct local *l, const char *path);
void local_remove_tree(const char *dir);

/* share.c: files, artifacts, and the tools that copy them. */
const char *local_host_path(struct local *l, const struct ir_step *s, const char *path);
int local_mkdirs(const char *path);
/* Runs argv (no shell) to its end; -1 with the reason in `err`. */
int local_tool(struct local *l, char *const argv[], char *err, size_t size);
/* Writes the step's pipeline files; -1 after a diagnostic. */
int local_place_files(struct local *l, const struct ir_step *s, struct diag_list *dl);
/* Copies the step's imports into place; -1 after a diagnostic. */
int local_import(struct local *l, const struct ir_step *s, struct diag_list *dl);
/* Copies a finished step's exports to the store; why not, or NULL. */
const char *local_export(struct local *l, const struct ir_step *s);

/* health.c: one try of a running service's health check (rt_backend_ops.probe). */
enum rt_probe local_probe(void *ctx, struct rt_job *job, int timeout_ms, char *why,
			 size_t size);

#endif
