/*
 * local.c - the local backend under the runtime: exit codes and signals,
 * stdout and stderr, environment and secrets, argv steps, image-only
 * steps, real parallelism, and that nothing (process, zombie, directory)
 * outlives the run.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/backend-local/fixture.h"

TestSuite(local, .init = fx_setup, .fini = fx_teardown);

static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n == 0;
}

Test(local, output_and_exit_status)
{
	struct ir_pipeline *p = pipeline(1);
	p->steps[0].script = "echo out; echo err >&2; printf tail; exit 3\n";
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(strstr(out_text, "s0 | out\n"));
	cr_assert(strstr(out_text, "s0 | err\n"));
	cr_assert(strstr(out_text, "s0 | tail\n"));
	cr_assert_eq(R.pipelines[0].steps[0].exit.code, 3);
	cr_assert(has_diag("step-failed", "step 's0' exited with status 3"));
	cr_assert(dir_empty(tmp));
}

Test(local, death_by_signal)
{
	struct ir_pipeline *p = pipeline(1);
	p->steps[0].script = "kill -TERM $$\n";
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_eq(R.pipelines[0].steps[0].exit.signal, SIGTERM);
	cr_assert(has_diag("step-failed", "killed by signal 15 (SIGTERM)"));
}

Test(local, environment_secrets_and_workspace)
{
	struct ir_pipeline *p = pipeline(1);
	struct ir_step *s = &p->steps[0];
	s->script = "test \"$GREETING\" = hi && test \"$TOKEN\" = v4lue && "
		    "test \"$(pwd)\" = \"$PIPEC_WORKSPACE\" && echo \"$TOKEN\"\n";
	s->environment.v = ir_calloc(A, 1, sizeof *s->environment.v);
	s->environment.v[0] = (struct ir_kv){"GREETING", "hi"};
	s->environment.n = 1;
	struct rt_secrets sec;
	use_token(s, &sec);
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "s0 | ********\n");
	rt_secrets_release(&sec);
}

Test(local, argv_steps_run_without_a_shell_script)
{
	struct ir_pipeline *p = pipeline(1);
	char *argv[] = {"echo", "from", "argv"};
	ir_step_extra_edit(&p->steps[0], A)->entrypoint = (struct ir_strs){argv, 1};
	p->steps[0].command = (struct ir_strs){argv + 1, 2};
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "s0 | from argv\n");
}

Test(local, a_missing_program_is_a_clear_error)
{
	struct ir_pipeline *p = pipeline(1);
	p->steps[0].script = "true\n";
	p->steps[0].shell = "/nonexistent/shell";
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(has_diag("step-failed", "cannot run '/nonexistent/shell'"));
}

Test(local, image_only_steps_are_refused_before_anything_runs)
{
	struct ir_pipeline *p = pipeline(3);
	p->steps[0].script = "echo ran\n";
	p->steps[1].image = "redis:7";
	p->steps[2].image = "postgres:16";
	p->steps[2].detach = true;
	cr_assert_eq(run(), RT_REFUSED);
	cr_assert_eq(out_len, 0);
	cr_assert(has_diag("local-needs-image", "step 's1' has no commands"));
	cr_assert(has_diag("local-needs-image", "service 's2' has no commands"));
	cr_assert_eq(DL.items[0].pos.line, 3);
}

Test(local, nothing_outlives_the_run)
{
	struct ir_pipeline *p = pipeline(2);
	char *pidfile = ir_printf(A, "%s.pids", tmp);
	/* the step waits for the service's line, so both are written */
	p->steps[1].script = ir_printf(A, "until [ -s %s ]; do sleep 0.01; done\n"
					  "sleep 100 & echo $! >> %s\n", pidfile, pidfile);
	p->steps[0].script = ir_printf(A, "sleep 100 & echo $! >> %s; exit 0\n", pidfile);
	p->steps[0].detach = true;
	cr_assert_eq(run(), RT_SUCCESS);
	FILE *fp = fopen(pidfile, "r");
	cr_assert_not_null(fp);
	int pid, n = 0;
	while (fscanf(fp, "%d", &pid) == 1) {
		cr_assert(kill(pid, 0) < 0, "process %d survived", pid);
		n++;
	}
	fclose(fp);
	unlink(pidfile);
	cr_assert_eq(n, 2);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	cr_assert(dir_empty(tmp));
}

Test(local, independent_steps_really_overlap)
{
	struct ir_pipeline *p = pipeline(3);
	p->steps[0].script = "true\n";
	for (int i = 1; i <= 2; i++) {
		p->steps[i].script = "sleep 0.4\n";
		p->steps[i].depends_on.v = ir_calloc(A, 1, sizeof(char *));
		p->steps[i].depends_on.v[0] = "s0";
		p->steps[i].depends_on.n = 1;
	}
	cr_assert_eq(run(), RT_SUCCESS);
	const struct rt_step_report *a = &R.pipelines[0].steps[1], *b = &R.pipelines[0].steps[2];
	cr_assert_lt(a->started_ms, b->finished_ms);
	cr_assert_lt(b->started_ms, a->finished_ms);
}

Test(local, temp_volumes_are_directories_named_by_variables)
{
	struct ir_pipeline *p = pipeline(2);
	p->volumes = ir_calloc(A, 1, sizeof *p->volumes);
	p->volumes[0] = (struct ir_volume){.name = "build-cache", .kind = IR_VOLUME_TEMP};
	p->nvolumes = 1;
	for (int i = 0; i < 2; i++) {
		ir_step_extra_edit(&p->steps[i], A)->volumes = ir_calloc(A, 1, sizeof *ir_step_extra_edit(&p->steps[i], A)->volumes);
		ir_step_extra(&p->steps[i])->volumes[0] = (struct ir_mount){"build-cache", "/cache", false};
		ir_step_extra_edit(&p->steps[i], A)->nvolumes = 1;
	}
	p->steps[0].script = "echo kept > \"$PIPEC_VOLUME_BUILD_CACHE/f\"\n";
	p->steps[1].script = "cat \"$PIPEC_VOLUME_BUILD_CACHE/f\"\n";
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "s1 | kept\n");
	cr_assert(dir_empty(tmp));
}

Test(local, a_timeout_stops_a_running_step)
{
	struct ir_pipeline *p = pipeline(1);
	p->steps[0].script = "sleep 100\n";
	p->steps[0].timeout = 1;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(R.pipelines[0].steps[0].timed_out);
	cr_assert_eq(R.pipelines[0].steps[0].exit.signal, SIGTERM);
}
