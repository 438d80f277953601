/*
 * lower_test.c - Drone YAML through fe_compile() to IR: documents,
 * pipelines, steps, secrets, conditions, positions and errors.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "tests/unit/suite.h"

static struct fe_context ctx;

static void setup(void)
{
	suite_setup();
	ctx = (struct fe_context){.branch = "main", .event = "push",
				  .ref = "refs/heads/main", .repo = "octo/hello",
				  .commit = "0123456789abcdef0123456789abcdef01234567"};
}

TestSuite(lower, .init = setup, .fini = suite_teardown);

/* The IR, or NULL when the text has errors (the IR is then only for checking). */
static struct ir_doc *compile(const char *text)
{
	size_t before = dl.nerrors;
	struct ir_doc *d = fe_compile("t.yml", text, strlen(text), &ctx, arena, &dl);
	return dl.nerrors > before ? NULL : d;
}

static struct ir_doc *compile_ok(const char *text)
{
	struct ir_doc *d = compile(text);
	for (size_t i = 0; i < dl.len; i++)
		cr_log_info("%d:%d: %s [%s]", dl.items[i].pos.line, dl.items[i].pos.col,
			    dl.items[i].message, dl.items[i].rule);
	cr_assert_not_null(d);
	return d;
}

static bool has_diag(const char *rule, int line, int col)
{
	for (size_t i = 0; i < dl.len; i++)
		if (strcmp(dl.items[i].rule, rule) == 0 && dl.items[i].pos.line == line &&
		    dl.items[i].pos.col == col)
			return true;
	return false;
}

Test(lower, clone_step_comes_first)
{
	struct ir_doc *d = compile_ok("kind: pipeline\nsteps:\n- name: a\n  image: busybox:1\n"
				      "  commands: [echo hi]\n");
	cr_assert_eq(d->npipelines, 1);
	struct ir_pipeline *p = &d->pipelines[0];
	cr_assert_str_eq(p->name, "default");
	cr_assert_eq(p->backend, IR_BACKEND_DOCKER);
	cr_assert_str_eq(p->workspace.base, "/drone");
	cr_assert_str_eq(p->workspace.path, "src");
	cr_assert_eq(p->nsteps, 2);
	cr_assert_str_eq(p->steps[0].name, "clone");
	cr_assert(strstr(p->steps[0].script, "git fetch"));
	cr_assert_str_eq(p->steps[1].name, "a");
	cr_assert_null(p->steps[1].shell, "scripts run with /bin/sh");
	cr_assert(strstr(p->steps[1].script, "echo hi"));
	/* Drone's variables are the pipeline's, shared by every step */
	cr_assert_str_eq(ir_env_get(&p->environment, "DRONE_BRANCH"), "main");
	cr_assert_str_eq(ir_env_get(&p->environment, "DRONE_WORKSPACE"), "/drone/src");
	cr_assert_str_eq(ir_env_get(&p->environment, "CI"), "true");
	cr_assert_null(ir_env_get(&p->steps[1].environment, "DRONE_BRANCH"));
	cr_assert_str_eq(ir_env_get(&p->steps[1].environment, "DRONE_STEP_NAME"), "a");
}

Test(lower, no_clone_when_disabled)
{
	struct ir_doc *d = compile_ok("kind: pipeline\nclone: {disable: true}\n"
				      "steps:\n- name: a\n  image: busybox:1\n");
	cr_assert_eq(d->pipelines[0].nsteps, 1);
	cr_assert_not(d->pipelines[0].steps[0].clone);
}

Test(lower, the_clone_step_is_marked)
{
	struct ir_doc *d = compile_ok("kind: pipeline\nsteps:\n- name: a\n  image: busybox:1\n");
	cr_assert_eq(d->pipelines[0].nsteps, 2);
	cr_assert(d->pipelines[0].steps[0].clone);
	cr_assert_not(d->pipelines[0].steps[1].clone);
}

/* Drone: an empty depends_on is no dependency, so the pipeline stays serial. */
Test(lower, empty_depends_on_keeps_file_order)
{
	struct ir_doc *d = compile_ok("kind: pipeline\nsteps:\n- name: a\n  image: busybox:1\n"
				      "  depends_on: []\n- name: b\n  image: busybox:1\n");
	const struct ir_pipeline *p = &d->pipelines[0];
	cr_assert_eq(p->nsteps, 3);
	cr_assert_null(p->steps[1].depends_on.v, "a's [] is no depends_on at all");
	cr_assert_eq(p->steps[2].depends_on.n, 0, "b is not put after the clone step");
}

Test(lower, exec_pipelines_are_local_and_need_no_image)
{
	struct ir_doc *d = compile_ok("kind: pipeline\ntype: exec\nname: x\nclone: {disable: yes}\n"
				      "steps:\n- name: a\n  commands: [true]\n");
	cr_assert_eq(d->pipelines[0].backend, IR_BACKEND_LOCAL);
	cr_assert_null(d->pipelines[0].steps[0].image);
}

Test(lower, positions_of_pipelines_and_steps)
{
	struct ir_doc *d = compile_ok("# first\nkind: pipeline\nname: a\nclone: {disable: true}\n"
				      "steps:\n  - name: s\n    image: x:1\n---\n\nkind: pipeline\n"
				      "name: b\nclone: {disable: true}\nsteps:\n- {name: t, image: y:1}\n");
	cr_assert_eq(d->npipelines, 2);
	cr_assert_eq(d->pipelines[0].pos.line, 2);
	cr_assert_eq(d->pipelines[0].steps[0].pos.line, 6);
	cr_assert_eq(d->pipelines[0].steps[0].pos.col, 5);
	cr_assert_eq(d->pipelines[1].pos.line, 10);
	cr_assert_eq(d->pipelines[1].steps[0].pos.line, 14);
	cr_assert_str_eq(d->pipelines[1].steps[0].pos.file, "t.yml");
}

Test(lower, from_secret_never_puts_the_value_in_the_ir)
{
	struct ir_doc *d = compile_ok("kind: pipeline\nclone: {disable: true}\nsteps:\n"
				      "- name: a\n  image: x:1\n  environment:\n"
				      "    TOKEN: {from_secret: tok}\n    PLAIN: v\n");
	struct ir_pipeline *p = &d->pipelines[0];
	struct ir_step *s = &p->steps[0];
	cr_assert_null(ir_env_get(&s->environment, "TOKEN"));
	cr_assert_str_eq(ir_env_get(&s->environment, "PLAIN"), "v");
	cr_assert_eq(ir_step_extra(s)->nsecrets, 1);
	cr_assert_str_eq(ir_step_extra(s)->secrets[0].name, "tok");
	cr_assert_str_eq(ir_step_extra(s)->secrets[0].env, "TOKEN");
	cr_assert_eq(p->nsecrets, 1);
	cr_assert_eq(p->secrets[0].source, IR_SECRET_RUNTIME);
}

Test(lower, secret_documents_name_their_source)
{
	struct ir_doc *d = compile_ok(
		"kind: pipeline\nclone: {disable: true}\nimage_pull_secrets: [reg]\nsteps:\n"
		"- name: a\n  image: x:1\n  environment:\n    A: {from_secret: ext}\n"
		"    B: {from_secret: envs}\n  settings:\n    key: {from_secret: file}\n"
		"---\nkind: secret\nname: ext\nget: {path: ci/x, name: k}\n"
		"---\nkind: secret\nname: envs\nenv: HOST_VAR\n"
		"---\nkind: secret\nname: file\nfile: /run/key\n");
	struct ir_pipeline *p = &d->pipelines[0];
	cr_assert_eq(p->nsecrets, 4);
	cr_assert_str_eq(p->secrets[0].name, "reg");
	cr_assert_eq(p->secrets[0].source, IR_SECRET_RUNTIME);
	cr_assert_eq(p->secrets[1].source, IR_SECRET_EXTERNAL);
	cr_assert_str_eq(p->secrets[1].ref, "ci/x#k");
	cr_assert_eq(p->secrets[2].source, IR_SECRET_ENV);
	cr_assert_str_eq(p->secrets[2].ref, "HOST_VAR");
	cr_assert_eq(p->secrets[3].source, IR_SECRET_FILE);
	cr_assert_str_eq(ir_step_extra(&p->steps[0])->secrets[2].env, "PLUGIN_KEY");
	cr_assert_str_eq(p->pull_secrets.v[0], "reg");
}

Test(lower, settings_become_plugin_variables)
{
	struct ir_doc *d = compile_ok(
		"kind: pipeline\nclone: {disable: true}\nsteps:\n- name: p\n  image: x:1\n"
		"  settings:\n    repo: a/b\n    tags: [latest, 1.10]\n    debug: true\n"
		"    version: 1.10\n    args: {K: 1, V: [x]}\n");
	const struct ir_env *env = &d->pipelines[0].steps[0].environment;
	cr_assert_str_eq(ir_env_get(env, "PLUGIN_REPO"), "a/b");
	cr_assert_str_eq(ir_env_get(env, "PLUGIN_TAGS"), "latest,1.10");
	cr_assert_str_eq(ir_env_get(env, "PLUGIN_DEBUG"), "true");
	cr_assert_str_eq(ir_env_get(env, "PLUGIN_VERSION"), "1.10", "source text is kept");
	cr_assert_str_eq(ir_env_get(env, "PLUGIN_ARGS"), "{\"K\":1,\"V\":[\"x\"]}");
}

Test(lower, services_are_detached_and_wait_for_clone_in_graph_mode)
{
	struct ir_doc *d = compile_ok(
		"kind: pipeline\nservices:\n- name: db\n  image: redis:7\n"
		"steps:\n- name: a\n  image: x:1\n- name: b\n  image: x:1\n  depends_on: [a]\n");
	struct ir_pipeline *p = &d->pipelines[0];
	cr_assert_eq(p->nsteps, 4);
	struct ir_step *db = ir_step_find(p, "db"), *a = ir_step_find(p, "a"), *b = ir_step_find(p, "b");
	cr_assert(db->detach);
	cr_assert_str_eq(db->depends_on.v[0], "clone");
	cr_assert_str_eq(a->depends_on.v[0], "clone");
	cr_assert_eq(b->depends_on.n, 1);
	cr_assert_str_eq(b->depends_on.v[0], "a");
}

Test(lower, when_rules_steps_out_and_status_sets_policy)
{
	struct ir_doc *d = compile_ok(
		"kind: pipeline\nclone: {disable: true}\nsteps:\n"
		"- name: dev\n  image: x:1\n  when: {branch: dev}\n"
		"- name: fail\n  image: x:1\n  when: {status: [failure]}\n");
	struct ir_pipeline *p = &d->pipelines[0];
	cr_assert_eq(p->steps[0].run_policy, IR_RUN_NEVER);
	cr_assert_not_null(p->steps[0].skip);
	cr_assert_eq(p->steps[0].skip->pos.line, 6);
	cr_assert_eq(p->steps[1].run_policy, IR_RUN_ON_FAILURE);
	cr_assert_null(p->steps[1].skip);
}

Test(lower, trigger_rules_the_pipeline_out)
{
	struct ir_doc *d = compile_ok("kind: pipeline\ntrigger:\n  event: [tag]\n"
				      "steps:\n- {name: a, image: x:1}\n");
	cr_assert_eq(d->pipelines[0].run_policy, IR_RUN_NEVER);
	cr_assert_not_null(d->pipelines[0].skip);
}

Test(lower, volumes_mounts_devices_ports_resources)
{
	struct ir_doc *d = compile_ok(
		"kind: pipeline\nclone: {disable: true}\nvolumes:\n- {name: t, temp: {}}\n"
		"- {name: m, temp: {medium: memory, size_limit: 1MiB}}\n- {name: h, host: {path: /dev/sda}}\n"
		"steps:\n- name: a\n  image: x:1\n  volumes: [{name: m, path: /m}]\n"
		"  devices: [{name: h, path: /dev/xvda}]\n  ports: [80, {port: 53, host: 53, protocol: udp}]\n"
		"  resources: {limits: {cpu: 250m, memory: 2G}}\n  shm_size: 64k\n");
	struct ir_pipeline *p = &d->pipelines[0];
	cr_assert_eq(p->nvolumes, 3);
	cr_assert_eq(p->volumes[0].kind, IR_VOLUME_TEMP);
	cr_assert_eq(p->volumes[1].kind, IR_VOLUME_TMPFS);
	cr_assert_eq(p->volumes[1].size_limit, 1 << 20);
	cr_assert_eq(p->volumes[2].kind, IR_VOLUME_HOST);
	struct ir_step *s = &p->steps[0];
	cr_assert_str_eq(ir_step_extra(s)->volumes[0].path, "/m");
	cr_assert_str_eq(ir_step_extra(s)->devices[0].host_path, "/dev/sda");
	cr_assert_eq(ir_step_extra(s)->nports, 2);
	cr_assert_eq(ir_step_extra(s)->ports[1].host, 53);
	cr_assert_str_eq(ir_step_extra(s)->ports[1].protocol, "udp");
	cr_assert_eq(ir_step_extra(s)->resources.cpu_millis, 250);
	cr_assert_eq(ir_step_extra(s)->resources.memory, 2LL << 30);
	cr_assert_eq(ir_step_extra(s)->resources.shm_size, 64 << 10);
}

Test(lower, every_mistake_is_reported_in_one_run)
{
	struct ir_doc *d = compile("kind: pipeline\nstpes: []\nsteps:\n- name: a\n  image: [x]\n"
				   "- name: a\n  image: x:1\n  pull: sometimes\n- image: x:1\n"
				   "---\nkind: pipelin\n");
	cr_assert_null(d);
	cr_assert_eq(dl.nerrors, 4);
	cr_assert_eq(dl.nwarnings, 1);
	cr_assert(has_diag("unknown-key", 2, 1));
	cr_assert(has_diag("wrong-type", 5, 10));
	cr_assert(has_diag("invalid-value", 8, 9));
	cr_assert(has_diag("missing-key", 9, 3));
	cr_assert(has_diag("unknown-kind", 11, 7));
}

/* What lowered comes back after errors, for the validator to check. */
Test(lower, the_ir_is_returned_after_errors_marked_incomplete)
{
	const char *text = "kind: pipeline\nclone: {disable: true}\nsteps:\n"
			   "- name: a\n  image: [x]\n- name: b\n  image: x:1\n  depends_on: [c]\n";
	struct ir_doc *d = fe_compile("t.yml", text, strlen(text), &ctx, arena, &dl);
	cr_assert_not_null(d);
	cr_assert_eq(dl.nerrors, 1);
	cr_assert(d->pipelines[0].incomplete);
	cr_assert_eq(d->pipelines[0].nsteps, 2);
	cr_assert(d->pipelines[0].steps[0].incomplete);
	cr_assert(!d->pipelines[0].steps[1].incomplete);
	cr_assert_str_eq(d->pipelines[0].steps[1].depends_on.v[0], "c");
}

Test(lower, same_input_same_bytes)
{
	const char *text = "kind: pipeline\nservices: [{name: r, image: redis:7}]\nsteps:\n"
			   "- name: a\n  image: x:1\n  environment: {B: {from_secret: s}, A: x}\n";
	char *one = ir_write(compile_ok(text), 0);
	char *two = ir_write(compile_ok(text), 0);
	cr_assert_str_eq(one, two);
	free(one);
	free(two);
}

Test(lower, json_input_is_ir)
{
	const char *ir = "\xEF\xBB\xBF\n {\"version\": 1, \"pipelines\": [{\"name\": \"p\", "
			 "\"type\": \"docker\", \"steps\": [{\"name\": \"s\", \"image\": \"x\"}]}]}";
	struct ir_doc *d = compile_ok(ir);
	cr_assert_str_eq(d->pipelines[0].steps[0].name, "s");
}

Test(lower, oversized_input_is_refused)
{
	cr_assert_null(fe_compile("t.yml", "", (size_t)FE_MAX_INPUT + 1, &ctx, arena, &dl));
	cr_assert_str_eq(dl.items[0].rule, "input-too-large");
}

Test(lower, documents_without_kind_or_of_the_wrong_shape)
{
	cr_assert_null(compile("name: x\n---\n- a\n---\nkind: secret\nname: s\n"));
	cr_assert(has_diag("missing-key", 1, 1));
	cr_assert(has_diag("wrong-type", 3, 1));
	cr_assert(has_diag("missing-key", 5, 1), "a secret needs a source");
}

/* A file read by the frontend compiles as its text does, named as asked. */
Test(lower, a_file_compiles_like_its_text_and_is_named)
{
	const char *text = "kind: pipeline\nsteps:\n- name: a\n  image: busybox:1\n  detach: maybe\n";
	char path[] = "/tmp/pipec-lower-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_not_null(fe_compile_file(path, NULL, &ctx, arena, &dl));
	cr_assert_eq(dl.len, 1);
	cr_assert_str_eq(dl.items[0].pos.file, path);
	cr_assert_eq(dl.items[0].pos.line, 5);
	cr_assert_not_null(fe_compile_file(path, "shown.yml", &ctx, arena, &dl));
	cr_assert_eq(dl.len, 2);
	cr_assert_str_eq(dl.items[1].pos.file, "shown.yml");
	unlink(path);
	cr_assert_null(fe_compile_file(path, NULL, &ctx, arena, &dl));
	cr_assert_str_eq(dl.items[2].rule, "io-error");
}
