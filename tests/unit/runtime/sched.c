/*
 * sched.c - the scheduler against a fake backend: order, DAG, parallel
 * bound, run policies, ignore_error, 78, retries, services, timeouts,
 * interrupts, service readiness, refusals, failed teardowns, pipeline
 * order, IR that is not normalized and missing secrets.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/unit/runtime/fake.h"
#include "tests/unit/suite.h"
#include "validate/validate.h"

static struct ir_arena *A;
static struct ir_doc D;
static struct fake F;
static struct rt_backend B;
static struct rt_report R;
static struct diag_list DL;
static char *out_text;
static size_t out_len;
static FILE *out;
static struct rt_options O;

static void setup(void)
{
	A = ir_arena_new();
	memset(&D, 0, sizeof D);
	memset(&F, 0, sizeof F);
	B = (struct rt_backend){&fake_ops, &F, NULL};
	diag_list_init(&DL);
	out = open_memstream(&out_text, &out_len);
	O = (struct rt_options){.out = out, .grace_ms = 50};
}

static void teardown(void)
{
	rt_report_release(&R);
	diag_list_release(&DL);
	fclose(out);
	free(out_text);
	ir_arena_free(A);
}

TestSuite(sched, .init = setup, .fini = teardown);

/* The runtime runs normalized IR, as `pipec run` hands it. */
static enum rt_status run(void)
{
	cr_assert_eq(val_normalize(&D, A, 0), 0);
	enum rt_status st = rt_run(&D, &B, &O, &R, &DL);
	fflush(out);
	return st;
}

static bool has_diag(const char *rule, const char *text)
{
	return suite_has_diag(&DL, rule, text);
}

/* The run knows secret `token` as "tok3n-value"; the caller releases `s`. */
static void give_token(struct rt_secrets *s)
{
	rt_secrets_init(s);
	rt_secrets_set(s, "token", "tok3n-value");
	O.secrets = s;
}

static enum rt_status status_of(size_t i)
{
	return R.pipelines[0].steps[i].status;
}

Test(sched, file_order_without_depends_on)
{
	ir_one_pipeline(A, &D, 4);
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(F.order, "s0 s1 s2 s3 ");
	cr_assert_eq(F.max_running, 1);
	cr_assert_eq(F.prepares, 1);
	cr_assert_eq(F.teardowns, 1);
}

Test(sched, dag_starts_independent_steps_together)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 4);
	ir_depends(A, &p->steps[1], "s0");
	ir_depends(A, &p->steps[2], "s0");
	ir_depends(A, &p->steps[3], "s1");
	ir_depends(A, &p->steps[3], "s2");
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(F.order, "s0 s1 s2 s3 ");
	cr_assert_eq(F.max_running, 2);
}

Test(sched, parallel_bounds_running_steps)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 6);
	for (size_t i = 1; i < 6; i++)
		ir_depends(A, &p->steps[i], "s0");
	O.parallel = 2;
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_eq(F.max_running, 2);
	cr_assert_eq(F.starts, 6);
}

Test(sched, failure_skips_on_success_and_runs_on_failure_and_always)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 5);
	ir_set_env(A, &p->steps[0], "EXIT", "2");
	p->steps[2].run_policy = IR_RUN_ON_FAILURE;
	p->steps[3].run_policy = IR_RUN_ALWAYS;
	p->steps[4].run_policy = IR_RUN_NEVER;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_str_eq(F.order, "s0 s2 s3 ");
	cr_assert_eq(status_of(0), RT_FAILURE);
	cr_assert_eq(status_of(1), RT_SKIPPED);
	cr_assert_eq(status_of(2), RT_SUCCESS);
	cr_assert_eq(R.pipelines[0].nsteps, 4, "a step that never runs is not in normalized IR");
	cr_assert_eq(R.pipelines[0].steps[0].exit.code, 2);
	cr_assert(has_diag("step-failed", "step 's0' exited with status 2"));
	cr_assert_eq(DL.items[0].pos.line, 3);
}

Test(sched, on_failure_is_skipped_when_all_went_well)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 2);
	p->steps[1].run_policy = IR_RUN_ON_FAILURE;
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(F.order, "s0 ");
	cr_assert_eq(status_of(1), RT_SKIPPED);
}

Test(sched, failure_in_one_branch_leaves_the_other_alone)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 4);
	ir_set_env(A, &p->steps[0], "EXIT", "1");
	ir_depends(A, &p->steps[1], "s0");
	ir_depends(A, &p->steps[3], "s2");
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_eq(status_of(1), RT_SKIPPED);
	cr_assert_eq(status_of(2), RT_SUCCESS);
	cr_assert_eq(status_of(3), RT_SUCCESS);
}

Test(sched, skipped_steps_pass_the_failure_on)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 3);
	ir_set_env(A, &p->steps[0], "EXIT", "1");
	ir_depends(A, &p->steps[1], "s0");
	ir_depends(A, &p->steps[2], "s1");
	p->steps[2].run_policy = IR_RUN_ON_FAILURE;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_eq(status_of(1), RT_SKIPPED);
	cr_assert_eq(status_of(2), RT_SUCCESS);
}

Test(sched, ignore_error_keeps_the_run_green)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 2);
	ir_set_env(A, &p->steps[0], "EXIT", "5");
	p->steps[0].ignore_error = true;
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(F.order, "s0 s1 ");
	cr_assert(R.pipelines[0].steps[0].ignored);
	cr_assert_eq(DL.nerrors, 0);
	cr_assert_eq(DL.nwarnings, 1);
}

Test(sched, exit_78_ends_the_pipeline_as_a_success)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 3);
	ir_set_env(A, &p->steps[0], "EXIT", "78");
	p->steps[2].run_policy = IR_RUN_ALWAYS;
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(F.order, "s0 ");
	cr_assert(R.pipelines[0].early_exit);
	cr_assert_eq(status_of(1), RT_SKIPPED);
	cr_assert_eq(status_of(2), RT_SKIPPED);
}

Test(sched, retries_start_a_failing_step_again)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 1);
	ir_set_env(A, &p->steps[0], "EXIT", "1");
	p->steps[0].retries = 2;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_str_eq(F.order, "s0 s0 s0 ");
	cr_assert_eq(R.pipelines[0].steps[0].attempts, 3);
	cr_assert_eq(DL.nerrors, 1);
}

Test(sched, services_start_first_and_stop_at_the_end)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 3);
	p->steps[0].detach = true;
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(F.order, "s0 s1 s2 ");
	cr_assert_eq(status_of(0), RT_SUCCESS);
	cr_assert_eq(R.pipelines[0].steps[0].exit.signal, 15);
}

/*
 * Pipeline of `n` steps whose first is a service checked by `health`
 * (written first, as the frontend lowers `services:`, so in normalized IR
 * it waits for no step).
 */
static struct ir_pipeline *with_service(size_t n, const char *health)
{
	static const char *const cmd[] = {"check"};
	struct ir_pipeline *p = ir_one_pipeline(A, &D, n);
	struct ir_step *svc = &p->steps[0];
	svc->detach = true;
	ir_step_extra_edit(svc, A)->health = ir_calloc(A, 1, sizeof *ir_step_extra_edit(svc, A)->health);
	ir_step_extra(svc)->health->command = (struct ir_strs){(char **)cmd, 1};
	ir_step_extra(svc)->health->interval_ms = 10;
	ir_set_env(A, svc, "HEALTH", health);
	return p;
}

Test(sched, steps_wait_until_the_service_is_ready)
{
	with_service(3, "ready-after:3");
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(F.order, "s0 s1 s2 ");
	cr_assert_eq(F.probes, 3);
}

Test(sched, an_unhealthy_service_fails_its_steps_with_the_reason)
{
	with_service(3, "unhealthy");
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_str_eq(F.order, "s0 ");
	cr_assert(has_diag("service-not-ready", "service 's0' is unhealthy: said no"));
	cr_assert(has_diag("service-not-ready", "step 's1' cannot start: service 's0' is not ready"));
	cr_assert_eq(status_of(1), RT_FAILURE);
	cr_assert_eq(status_of(2), RT_SKIPPED);
}

Test(sched, retries_bound_the_failed_tries)
{
	struct ir_pipeline *p = with_service(2, "fail");
	ir_step_extra(&p->steps[0])->health->retries = 2;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_eq(F.probes, 2);
	cr_assert(has_diag("service-not-ready", "service 's0' is not ready after 2 tries: said no"));
}

Test(sched, the_service_timeout_bounds_the_wait)
{
	with_service(2, "starting");
	O.service_timeout = 1;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(has_diag("service-not-ready", "service 's0' was not ready after 1 s"));
	cr_assert_str_eq(F.order, "s0 ");
}

Test(sched, an_interrupt_ends_the_wait_for_a_service)
{
	static volatile sig_atomic_t irq;
	with_service(2, "starting");
	O.interrupts = F.irq = &irq;
	F.interrupt_after = 2;
	cr_assert_eq(run(), RT_CANCELLED);
	cr_assert_eq(F.probes, 2);
	cr_assert_str_eq(F.order, "s0 ");
	cr_assert_eq(status_of(1), RT_CANCELLED);
	cr_assert_eq(F.teardowns, 1);
}

Test(sched, a_refused_pipeline_starts_nothing)
{
	ir_one_pipeline(A, &D, 2);
	F.refuse = true;
	cr_assert_eq(run(), RT_REFUSED);
	cr_assert_eq(F.prepares, 0);
	cr_assert_eq(F.starts, 0);
	cr_assert(has_diag("test", "refused"));
}

Test(sched, a_teardown_that_leaves_something_fails_the_run)
{
	ir_one_pipeline(A, &D, 1);
	F.fail_teardown = true;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_eq(status_of(0), RT_SUCCESS);
	cr_assert(has_diag("test", "left"));
}

Test(sched, step_timeout_stops_the_step)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 2);
	ir_set_env(A, &p->steps[0], "EXIT", "hang");
	p->steps[0].timeout = 1;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(R.pipelines[0].steps[0].timed_out);
	cr_assert(has_diag("step-timeout", "step 's0' timed out after 1 s"));
	cr_assert_eq(status_of(1), RT_SKIPPED);
}

Test(sched, a_start_that_waits_ends_at_the_step_timeout)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 2);
	ir_set_env(A, &p->steps[0], "START", "wait");
	p->steps[0].timeout = 1;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_eq(F.starts, 1);
	cr_assert(has_diag("test", "start of 's0' gave up: the step's time ran out"));
	cr_assert(has_diag("step-timeout", "step 's0' timed out after 1 s"));
	cr_assert(R.pipelines[0].steps[0].timed_out);
	cr_assert_eq(status_of(0), RT_FAILURE);
	cr_assert_eq(status_of(1), RT_SKIPPED);
}

/* The report says why a step could not start, not only that it could not. */
Test(sched, the_report_of_a_failed_start_carries_its_cause)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 1);
	ir_set_env(A, &p->steps[0], "START", "wait");
	p->steps[0].timeout = 1;
	cr_assert_eq(run(), RT_FAILURE);
	const char *why = "start of 's0' gave up: the step's time ran out";
	cr_assert_str_eq(R.pipelines[0].steps[0].exit.error, why);
	char *json = rt_report_json(&R, NULL);
	cr_assert_not_null(strstr(json, why), "%s", json);
	free(json);
}

Test(sched, a_start_that_waits_ends_at_the_pipeline_timeout)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 2);
	ir_set_env(A, &p->steps[0], "START", "wait");
	O.timeout = 1;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(has_diag("test", "start of 's0' gave up: the step's time ran out"));
	cr_assert(has_diag("pipeline-timeout", "pipeline 'p' timed out"));
	cr_assert(R.pipelines[0].timed_out);
	cr_assert_eq(F.starts, 1);
}

Test(sched, pipeline_timeout_cancels_the_rest)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 2);
	ir_set_env(A, &p->steps[0], "EXIT", "hang");
	O.timeout = 1;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(R.pipelines[0].timed_out);
	cr_assert(has_diag("pipeline-timeout", "pipeline 'p' timed out"));
	cr_assert_eq(status_of(0), RT_CANCELLED);
	cr_assert_eq(status_of(1), RT_CANCELLED);
}

Test(sched, an_interrupt_cancels_the_run)
{
	static volatile sig_atomic_t irq = 1;
	ir_one_pipeline(A, &D, 2);
	O.interrupts = &irq;
	cr_assert_eq(run(), RT_CANCELLED);
	cr_assert_eq(F.starts, 0);
	cr_assert_eq(F.teardowns, 1);
	cr_assert_eq(status_of(0), RT_CANCELLED);
}

Test(sched, failed_prepare_still_tears_down)
{
	ir_one_pipeline(A, &D, 1);
	F.fail_prepare = true;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_eq(F.starts, 0);
	cr_assert_eq(F.teardowns, 1);
	cr_assert_eq(status_of(0), RT_PENDING);
}

/* The graph is the validator's to check: the runtime takes normalized IR only. */
Test(sched, a_document_not_normalized_is_refused)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 3);
	ir_depends(A, &p->steps[1], "s2");
	ir_depends(A, &p->steps[2], "s1");
	cr_assert_eq(rt_run(&D, &B, &O, &R, &DL), RT_PENDING);
	cr_assert_eq(F.prepares, 0);
	cr_assert_eq(F.starts, 0);
	cr_assert(has_diag("not-normalized", "not normalized"));
}

Test(sched, missing_secret_stops_everything)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 1);
	ir_use_secret(A, &p->steps[0], "token", "TOKEN");
	cr_assert_eq(run(), RT_PENDING);
	cr_assert_eq(F.prepares, 0);
	cr_assert(has_diag("secret-missing", "secret 'token' is not set"));
}

Test(sched, secrets_reach_the_environment_and_are_masked)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 1);
	p->steps[0].name = "tok3n-value";      /* printed by the fake and the prefix: masked */
	ir_use_secret(A, &p->steps[0], "token", "TOKEN");
	struct rt_secrets s;
	give_token(&s);
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "******** | ran ********\n");
	rt_secrets_release(&s);
}

/* Three letters occur everywhere: hiding them would hide the output. */
Test(sched, a_secret_too_short_to_mask_stops_everything)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 1);
	ir_use_secret(A, &p->steps[0], "token", "TOKEN");
	struct rt_secrets s;
	rt_secrets_init(&s);
	rt_secrets_set(&s, "token", "abc");
	rt_secrets_set(&s, "empty", "");
	O.secrets = &s;
	cr_assert_eq(run(), RT_PENDING);
	cr_assert_eq(F.prepares, 0);
	cr_assert(has_diag("secret-too-short", "secret 'token' is shorter than 4 bytes"));
	cr_assert_eq(DL.nerrors, 1, "an empty value is no error: %s", DL.items[1].message);
	rt_secrets_release(&s);
}

/* A pipeline's variable reaches every step; a step's own of the name wins. */
Test(sched, steps_start_from_the_pipeline_environment)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 2);
	p->environment.v = ir_calloc(A, 2, sizeof *p->environment.v);
	p->environment.v[0] = (struct ir_kv){"EXIT", "0"};
	p->environment.v[1] = (struct ir_kv){"SHARED", "yes"};
	p->environment.n = 2;
	ir_set_env(A, &p->steps[1], "EXIT", "4");
	p->steps[1].ignore_error = true;
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_eq(status_of(0), RT_SUCCESS);
	cr_assert_eq(R.pipelines[0].steps[1].exit.code, 4, "the step's EXIT replaced the pipeline's");
	cr_assert(strstr(F.last_env, "SHARED=yes\n"), "%s", F.last_env);
	const char *first = strstr(F.last_env, "EXIT=");
	cr_assert(first && !strstr(first + 1, "EXIT="), "a replaced variable is passed once");
}

Test(sched, pipelines_follow_their_depends_on)
{
	D.version = IR_VERSION;
	D.npipelines = 3;
	D.pipelines = ir_calloc(A, 3, sizeof *D.pipelines);
	const char *names[] = {"deploy", "build", "notify"};
	for (size_t i = 0; i < 3; i++) {
		struct ir_pipeline *p = &D.pipelines[i];
		p->name = (char *)names[i];
		p->nsteps = 1;
		p->steps = ir_calloc(A, 1, sizeof *p->steps);
		p->steps[0].name = ir_printf(A, "%s-step", names[i]);
		p->steps[0].script = "true";
	}
	D.pipelines[0].depends_on = (struct ir_strs){ir_calloc(A, 1, sizeof(char *)), 1};
	D.pipelines[0].depends_on.v[0] = "build";
	ir_set_env(A, &D.pipelines[1].steps[0], "EXIT", "1");
	D.pipelines[2].depends_on = (struct ir_strs){ir_calloc(A, 1, sizeof(char *)), 1};
	D.pipelines[2].depends_on.v[0] = "build";
	D.pipelines[2].run_policy = IR_RUN_ON_FAILURE;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_str_eq(F.order, "build-step notify-step ");
	cr_assert_str_eq(R.pipelines[0].pipeline->name, "build", "dependencies first");
	cr_assert_str_eq(R.pipelines[1].pipeline->name, "deploy");
	cr_assert_eq(R.pipelines[1].status, RT_SKIPPED);
	cr_assert_eq(R.pipelines[2].status, RT_SUCCESS);
}

Test(sched, report_json_names_steps_and_states)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 2);
	ir_set_env(A, &p->steps[1], "EXIT", "3");
	run();
	char *json = rt_report_json(&R, NULL);
	cr_assert(strstr(json, "\"backend\":\t\"fake\""));
	cr_assert(strstr(json, "\"exit_code\":\t3"));
	cr_assert(strstr(json, "\"status\":\t\"failure\""));
	free(json);
}

Test(sched, diagnostics_mask_secret_values)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 1);
	p->steps[0].name = "tok3n-value";      /* quoted by the failure */
	ir_set_env(A, &p->steps[0], "EXIT", "3");
	ir_use_secret(A, &p->steps[0], "token", "TOKEN");
	struct rt_secrets s;
	give_token(&s);
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(has_diag("step-failed", "step '********' exited with status 3"));
	for (size_t i = 0; i < DL.len; i++)
		cr_assert_null(strstr(DL.items[i].message, "tok3n"), "%s", DL.items[i].message);
	cr_assert_eq(F.secrets_seen, 1);
	rt_secrets_release(&s);
}

Test(sched, diagnostics_before_the_run_keep_their_text)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 1);
	ir_set_env(A, &p->steps[0], "EXIT", "3");
	diag_error(&DL, p->pos, "test", "earlier note naming tok3n-value");
	struct rt_secrets s;
	give_token(&s);
	run();
	cr_assert(has_diag("test", "earlier note naming tok3n-value"));
	rt_secrets_release(&s);
}

Test(sched, the_artifacts_dir_reaches_the_backend)
{
	ir_one_pipeline(A, &D, 1);
	O.artifacts_dir = "some/dir";
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(F.artifacts_dir, "some/dir");
	cr_assert_eq(F.secrets_seen, 0);
}

Test(sched, a_backend_error_is_masked_in_the_report)
{
	struct ir_pipeline *p = ir_one_pipeline(A, &D, 1);
	ir_set_env(A, &p->steps[0], "EXIT", "error:engine said tok3n-value is bad");
	struct rt_secrets s;
	give_token(&s);
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_str_eq(R.pipelines[0].steps[0].exit.error, "engine said ******** is bad");
	cr_assert(has_diag("step-failed", "could not run: engine said ******** is bad"));
	char *json = rt_report_json(&R, NULL);
	cr_assert_null(strstr(json, "tok3n"));
	cr_assert_not_null(strstr(json, "engine said ******** is bad"));
	free(json);
	rt_secrets_release(&s);
}
