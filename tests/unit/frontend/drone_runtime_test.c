/*
 * drone_runtime_test.c - imports small drone-runtime files of both
 * generations and checks the IR v3 they become, and the diagnostics.
 *
 * The inputs are written inline with J(), which turns its argument into
 * a string literal, so the JSON reads as JSON.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/internal.h"
#include "tests/unit/suite.h"

#define J(...) #__VA_ARGS__

TestSuite(drone_runtime, .init = suite_setup, .fini = suite_teardown);

static struct ir_doc *import_as(const char *path, const char *json)
{
	return fe_drone_runtime_import(path, json, strlen(json), arena, &dl);
}

static struct ir_pipeline *import_ok(const char *json)
{
	struct ir_doc *d = import_as("t.json", json);
	if (!d)
		diag_print(stderr, &dl, DIAG_TEXT, false);
	cr_assert_not_null(d, "import failed");
	cr_assert_eq(d->npipelines, 1);
	return &d->pipelines[0];
}

/* The first diagnostic with `rule` (and `pointer`, when given), or NULL. */
static const struct diag *diag_find(const char *rule, const char *pointer)
{
	for (size_t i = 0; i < dl.len; i++) {
		const struct diag *d = &dl.items[i];
		if (strcmp(d->rule, rule) == 0 &&
		    (!pointer || (d->pos.pointer && strcmp(d->pos.pointer, pointer) == 0)))
			return d;
	}
	return NULL;
}

static size_t diag_count(const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < dl.len; i++)
		n += strcmp(dl.items[i].rule, rule) == 0;
	return n;
}

static void expect_diag(enum diag_severity sev, const char *rule,
			const char *pointer)
{
	const struct diag *d = diag_find(rule, pointer);
	cr_assert_not_null(d, "no [%s] at %s", rule, pointer ? pointer : "any");
	cr_assert_eq(d->severity, sev, "[%s] at %s has the wrong severity", rule,
		     pointer ? pointer : "any");
}

static struct ir_step *step(struct ir_pipeline *p, const char *name)
{
	struct ir_step *s = ir_step_find(p, name);
	cr_assert_not_null(s, "no step '%s'", name);
	return s;
}

static void expect_strs(struct ir_strs got, size_t n, const char *const *want)
{
	cr_assert_eq(got.n, n, "got %zu strings, wanted %zu", got.n, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(got.v[i], want[i]);
}

#define STRS(got, ...) \
	expect_strs((got), sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *), \
		    (const char *[]){__VA_ARGS__})

/* Writes the IR, reads it back strictly, and returns the text. */
static char *round_trip(struct ir_pipeline *p)
{
	struct ir_doc d = {.version = IR_VERSION, .pipelines = p, .npipelines = 1};
	char *text = ir_write(&d, 0);
	struct diag_list rl;
	diag_list_init(&rl);
	struct ir_doc *back = ir_read("out.json", text, strlen(text), arena, &rl);
	if (!back)
		diag_print(stderr, &rl, DIAG_TEXT, false);
	cr_assert_not_null(back, "written IR does not read back");
	diag_list_release(&rl);
	return text;
}

/* ---- 2017-18 stage format ---------------------------------------------- */

Test(drone_runtime, old_stage_depends_on_every_step_of_the_stage_before)
{
	struct ir_pipeline *p = import_ok(J({"pipeline": [
		{"steps": [{"alias": "a", "on_success": true},
			   {"alias": "b", "on_success": true}]},
		{"steps": []},
		{"steps": [{"alias": "c", "on_success": true}]},
		{"steps": [{"alias": "d", "on_success": true},
			   {"alias": "e", "on_success": true}]}]}));
	cr_assert_eq(p->nsteps, 5);
	cr_assert_eq(step(p, "a")->depends_on.n, 0);
	cr_assert_eq(step(p, "b")->depends_on.n, 0);
	STRS(step(p, "c")->depends_on, "a", "b");
	STRS(step(p, "d")->depends_on, "c");
	STRS(step(p, "e")->depends_on, "c");
	cr_assert_str_eq(step(p, "d")->pos.pointer, "/pipeline/3/steps/0");
}

Test(drone_runtime, old_run_policy_from_on_success_and_on_failure)
{
	struct ir_pipeline *p = import_ok(J({"pipeline": [{"steps": [
		{"alias": "s", "on_success": true},
		{"alias": "f", "on_failure": true},
		{"alias": "both", "on_success": true, "on_failure": true},
		{"alias": "neither", "on_success": false}]}]}));
	cr_assert_eq(step(p, "s")->run_policy, IR_RUN_ON_SUCCESS);
	cr_assert_eq(step(p, "f")->run_policy, IR_RUN_ON_FAILURE);
	cr_assert_eq(step(p, "both")->run_policy, IR_RUN_ALWAYS);
	cr_assert_eq(step(p, "neither")->run_policy, IR_RUN_NEVER);
	cr_assert_eq(diag_count("drone-runtime-never-runs"), 1);
	expect_diag(DIAG_WARNING, "drone-runtime-never-runs", "/pipeline/0/steps/3");
}

Test(drone_runtime, old_alias_names_the_step_and_duplicates_are_renamed)
{
	struct ir_pipeline *p = import_ok(J({"pipeline": [{"steps": [
		{"name": "c1", "alias": "x", "on_success": true},
		{"name": "c2", "alias": "x", "on_success": true},
		{"name": "only_name", "on_success": true},
		{"on_success": true}]}]}));
	cr_assert_str_eq(p->steps[0].name, "x");
	cr_assert_str_eq(p->steps[1].name, "x_2");
	cr_assert_str_eq(p->steps[2].name, "only_name");
	cr_assert_str_eq(p->steps[3].name, "stage0_step3");
	expect_diag(DIAG_WARNING, "drone-runtime-renamed", "/pipeline/0/steps/1");
}

Test(drone_runtime, old_step_fields)
{
	struct ir_pipeline *p = import_ok(J({"version": 1, "pipeline": [{"steps": [{
		"name": "c", "alias": "build", "image": "alpine:3.6", "pull": true,
		"detach": true, "privileged": true, "working_dir": "/src",
		"environment": {"A": "1", "B": "two"},
		"entrypoint": ["/bin/sh", "-c"], "command": ["echo hi"],
		"extra_hosts": ["db:10.0.0.2"], "dns": ["8.8.8.8"],
		"dns_search": ["example.com"], "network_mode": "host",
		"err_ignore": true, "on_success": true,
		"mem_limit": 1048576, "shm_size": 2048, "cpu_quota": 150050}]},
		{"steps": [{"alias": "plain", "image": "busybox", "on_success": true}]}]}));
	struct ir_step *s = step(p, "build");
	cr_assert_str_eq(s->image, "alpine:3.6");
	cr_assert_eq(s->pull, IR_PULL_ALWAYS);
	cr_assert(s->detach && s->privileged && s->ignore_error);
	cr_assert_str_eq(ir_step_extra(s)->working_dir, "/src");
	cr_assert_str_eq(ir_env_get(&s->environment, "B"), "two");
	STRS(ir_step_extra(s)->entrypoint, "/bin/sh", "-c");
	STRS(s->command, "echo hi");
	STRS(ir_step_extra(s)->extra_hosts, "db:10.0.0.2");
	STRS(ir_step_extra(s)->dns, "8.8.8.8");
	STRS(ir_step_extra(s)->dns_search, "example.com");
	cr_assert_str_eq(ir_step_extra(s)->network_mode, "host");
	cr_assert_eq(ir_step_extra(s)->resources.memory, 1048576);
	cr_assert_eq(ir_step_extra(s)->resources.shm_size, 2048);
	cr_assert_eq(ir_step_extra(s)->resources.cpu_millis, 1501);
	cr_assert_eq(p->backend, IR_BACKEND_DOCKER);
	/* Without `pull` drone-runtime pulled only when the image was missing. */
	cr_assert_eq(step(p, "plain")->pull, IR_PULL_IF_NOT_EXISTS);
	cr_assert_null(ir_step_extra(step(p, "plain"))->entrypoint.v);
	free(round_trip(p));
}

Test(drone_runtime, old_secret_values_never_reach_the_ir)
{
	struct ir_pipeline *p = import_ok(J({"pipeline": [{"steps": [
		{"alias": "a", "on_success": true, "secrets": [
			{"name": "TOKEN", "value": "hunter2-old", "mask": true}]},
		{"alias": "b", "on_success": true, "secrets": [
			{"name": "TOKEN", "value": "hunter2-old"}]}]}]}));
	cr_assert_eq(p->nsecrets, 1);
	cr_assert_str_eq(p->secrets[0].name, "TOKEN");
	cr_assert_eq(p->secrets[0].source, IR_SECRET_RUNTIME);
	cr_assert_null(p->secrets[0].ref);
	struct ir_step *a = step(p, "a");
	cr_assert_eq(ir_step_extra(a)->nsecrets, 1);
	cr_assert_str_eq(ir_step_extra(a)->secrets[0].name, "TOKEN");
	cr_assert_str_eq(ir_step_extra(a)->secrets[0].env, "TOKEN");
	expect_diag(DIAG_WARNING, "drone-runtime-secret-value",
		    "/pipeline/0/steps/1/secrets/0");
	char *text = round_trip(p);
	cr_assert_null(strstr(text, "hunter2"), "secret value in the IR:\n%s", text);
	free(text);
}

Test(drone_runtime, old_volumes_binds_and_tmpfs)
{
	struct ir_pipeline *p = import_ok(J({
		"volumes": [{"name": "cache", "driver": "local"}],
		"pipeline": [{"steps": [{"alias": "a", "on_success": true,
			"volumes": [{"name": "cache", "target": "/cache"},
				    {"source": "/etc/ssl", "target": "/etc/ssl:ro"},
				    {"name": "ghost", "target": "/ghost"}],
			"tmpfs": ["/run", "/scratch:size=64m,noexec"]},
			{"alias": "b", "on_success": true,
			 "volumes": [{"source": "/etc/ssl", "target": "/ssl"}]}]}]}));
	cr_assert_eq(p->nvolumes, 5, "got %zu volumes", p->nvolumes);
	struct ir_volume *cache = &p->volumes[0];
	cr_assert_str_eq(cache->name, "cache");
	cr_assert_eq(cache->kind, IR_VOLUME_TEMP);
	struct ir_step *a = step(p, "a");
	cr_assert_eq(ir_step_extra(a)->nvolumes, 5);
	cr_assert_str_eq(ir_step_extra(a)->volumes[0].name, "cache");
	cr_assert_str_eq(ir_step_extra(a)->volumes[0].path, "/cache");
	struct ir_volume *host = &p->volumes[1];
	cr_assert_eq(host->kind, IR_VOLUME_HOST);
	cr_assert_str_eq(host->host_path, "/etc/ssl");
	cr_assert_str_eq(ir_step_extra(a)->volumes[1].name, host->name);
	cr_assert_str_eq(ir_step_extra(a)->volumes[1].path, "/etc/ssl");
	cr_assert(ir_step_extra(a)->volumes[1].read_only);
	/* The same host path is one volume. */
	cr_assert_str_eq(ir_step_extra(step(p, "b"))->volumes[0].name, host->name);
	expect_diag(DIAG_WARNING, "drone-runtime-unresolved-ref",
		    "/pipeline/0/steps/0/volumes/2");
	cr_assert_eq(p->volumes[2].kind, IR_VOLUME_TEMP);
	cr_assert_eq(p->volumes[3].kind, IR_VOLUME_TMPFS);
	cr_assert_eq(p->volumes[3].size_limit, 0);
	cr_assert_str_eq(ir_step_extra(a)->volumes[3].path, "/run");
	cr_assert_eq(p->volumes[4].size_limit, 64 << 20);
	cr_assert_str_eq(ir_step_extra(a)->volumes[4].path, "/scratch");
	expect_diag(DIAG_NOTE, "drone-runtime-dropped", "/pipeline/0/steps/0/tmpfs/1");
	free(round_trip(p));
}

Test(drone_runtime, old_devices_and_networks)
{
	struct ir_pipeline *p = import_ok(J({
		"networks": [{"name": "net", "driver": "bridge",
			      "driver_opts": {"x": "y"}}],
		"pipeline": [{"steps": [
			{"alias": "svc", "on_success": true, "detach": true,
			 "devices": [{"source": "/dev/fuse", "target": "/dev/fuse"}],
			 "networks": [{"name": "net", "aliases": ["svc", "db"]}]},
			{"alias": "hostnet", "on_success": true, "network_mode": "host",
			 "networks": [{"name": "net"}]}]}]}));
	cr_assert_eq(p->nnetworks, 1);
	cr_assert_str_eq(p->networks[0].name, "net");
	cr_assert_str_eq(p->networks[0].driver, "bridge");
	expect_diag(DIAG_NOTE, "drone-runtime-dropped", "/networks/0/driver_opts");
	struct ir_step *svc = step(p, "svc");
	cr_assert_eq(ir_step_extra(svc)->ndevices, 1);
	cr_assert_str_eq(ir_step_extra(svc)->devices[0].host_path, "/dev/fuse");
	cr_assert_str_eq(ir_step_extra(svc)->devices[0].path, "/dev/fuse");
	STRS(ir_step_extra(svc)->networks, "net");
	STRS(ir_step_extra(svc)->aliases, "db");
	cr_assert_null(diag_find("drone-runtime-dropped", "/pipeline/0/steps/0/networks/0"));
	cr_assert_eq(ir_step_extra(step(p, "hostnet"))->networks.n, 0);
	expect_diag(DIAG_NOTE, "drone-runtime-dropped", "/pipeline/0/steps/1/networks");
}

Test(drone_runtime, old_network_aliases_are_kept_once_each)
{
	struct ir_pipeline *p = import_ok(J({
		"networks": [{"name": "front"}, {"name": "back"}],
		"pipeline": [{"steps": [
			{"name": "pg", "alias": "postgres", "on_success": true,
			 "networks": [{"name": "front", "aliases": ["database", "postgres"]},
				      {"name": "back", "aliases": ["db", "database", ""]}]}]}]}));
	struct ir_step *s = step(p, "postgres");
	STRS(ir_step_extra(s)->networks, "front", "back");
	STRS(ir_step_extra(s)->aliases, "database", "db");
	cr_assert(strstr(round_trip(p), "\"aliases\": [\n"));
}

Test(drone_runtime, old_top_level_secrets_are_read)
{
	struct ir_pipeline *p = import_ok(J({
		"pipeline": [{"steps": [{"alias": "a", "on_success": true}]}],
		"networks": [], "volumes": [],
		"secrets": [{"name": "token", "value": "s3cr3t-top", "mask": true},
			    {"name": "empty"}, {"value": "x"}]}));
	cr_assert_null(diag_find("drone-runtime-unknown-key", NULL));
	cr_assert_eq(p->nsecrets, 2);
	cr_assert_str_eq(p->secrets[0].name, "token");
	cr_assert_str_eq(p->secrets[1].name, "empty");
	expect_diag(DIAG_WARNING, "drone-runtime-secret-value", "/secrets/0");
	expect_diag(DIAG_WARNING, "drone-runtime-unresolved-ref", "/secrets/2");
	cr_assert_null(strstr(round_trip(p), "s3cr3t-top"));
}

Test(drone_runtime, old_backup_and_restore_are_artifacts)
{
	struct ir_pipeline *p = import_ok(J({"pipeline": [
		{"steps": [{"alias": "make", "on_success": true,
			    "backup": [{"source": "/tmp", "target": "/snap/tmp"},
				       {"source": "out/bin", "target": "bin"}]}]},
		{"steps": [{"alias": "use", "on_success": true,
			    "restore": [{"source": "/snap/tmp", "target": "/"},
					{"source": "/snap/none", "target": "/x"},
					{"source": "bin", "target": "/opt/"}]}]}]}));
	struct ir_step *mk = step(p, "make"), *use = step(p, "use");
	cr_assert_eq(ir_step_extra(mk)->nexports, 2);
	cr_assert_str_eq(ir_step_extra(mk)->exports[0].name, "/snap/tmp");
	cr_assert_str_eq(ir_step_extra(mk)->exports[0].path, "/tmp");
	/* The tar of /tmp unpacked into / lands at /tmp. */
	cr_assert_eq(ir_step_extra(use)->nimports, 2);
	cr_assert_str_eq(ir_step_extra(use)->imports[0].name, "/snap/tmp");
	cr_assert_str_eq(ir_step_extra(use)->imports[0].path, "/tmp");
	cr_assert_str_eq(ir_step_extra(use)->imports[1].name, "bin");
	cr_assert_str_eq(ir_step_extra(use)->imports[1].path, "/opt/bin");
	expect_diag(DIAG_WARNING, "drone-runtime-unresolved-ref",
		    "/pipeline/1/steps/0/restore/1");
	free(round_trip(p));
}

Test(drone_runtime, old_restore_from_data_url_is_an_archive_file)
{
	struct ir_pipeline *p = import_ok(J({"pipeline": [{"steps": [
		{"alias": "a", "on_success": true, "restore": [
			{"source": "data:application/x-tar;base64,aGVs\nbG8=", "target": "/"},
			{"source": "data:,hi%21", "target": "/opt"}]}]}]}));
	cr_assert_eq(p->nfiles, 2);
	cr_assert_str_eq(p->files[0].data, "aGVsbG8=");
	cr_assert(p->files[0].archive);
	cr_assert_str_eq(p->files[1].data, "aGkh");
	cr_assert_str_neq(p->files[0].name, p->files[1].name);
	struct ir_step *a = step(p, "a");
	cr_assert_eq(ir_step_extra(a)->nfiles, 2);
	cr_assert_str_eq(ir_step_extra(a)->files[0].name, p->files[0].name);
	cr_assert_str_eq(ir_step_extra(a)->files[0].path, "/");
	cr_assert_str_eq(ir_step_extra(a)->files[1].path, "/opt");
	cr_assert_eq(ir_step_extra(a)->nimports, 0);
}

Test(drone_runtime, old_bad_data_url_is_an_error)
{
	const char *json = J({"pipeline": [{"steps": [{"alias": "a", "on_success": true,
		"restore": [{"source": "data:;base64,@@@", "target": "/"},
			    {"source": "data:no-comma", "target": "/"}]}]}]});
	cr_assert_null(import_as("t.json", json));
	expect_diag(DIAG_ERROR, "drone-runtime-data-url", "/pipeline/0/steps/0/restore/0");
	expect_diag(DIAG_ERROR, "drone-runtime-data-url", "/pipeline/0/steps/0/restore/1");
}

Test(drone_runtime, old_fields_without_ir_equivalent_are_noted)
{
	import_ok(J({"pipeline": [{"steps": [{"alias": "a", "on_success": true,
		"labels": {"k": "v"}, "commands": ["make"], "ipc_mode": "host",
		"sysctls": {"net.core.somaxconn": "1024"}, "cpu_shares": 512,
		"exports": [], "auth_config": {"username": "u", "password": "pw"}}]}]}));
	const char *const dropped[] = {"labels", "commands", "ipc_mode", "sysctls",
				       "cpu_shares"};
	for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++) {
		char ptr[64];
		snprintf(ptr, sizeof ptr, "/pipeline/0/steps/0/%s", dropped[i]);
		expect_diag(DIAG_NOTE, "drone-runtime-dropped", ptr);
	}
	/* Empty ones say nothing. */
	cr_assert_null(diag_find("drone-runtime-dropped", "/pipeline/0/steps/0/exports"));
	expect_diag(DIAG_WARNING, "drone-runtime-secret-value",
		    "/pipeline/0/steps/0/auth_config");
}

/* ---- 2019 spec format -------------------------------------------------- */

Test(drone_runtime, new_step_fields_and_the_command_swap)
{
	struct ir_pipeline *p = import_ok(J({
		"metadata": {"uid": "u1", "namespace": "ns", "name": "demo"},
		"platform": {"os": "linux", "arch": "arm64", "variant": "v8"},
		"steps": [{"metadata": {"uid": "s1", "name": "build"},
			"detach": true, "ignore_err": true, "working_dir": "/w",
			"environment": {"GOOS": "linux"},
			"resources": {"limits": {"cpu": 1500, "memory": 536870912},
				      "requests": {"cpu": 100}},
			"docker": {"image": "golang:1.11", "command": ["/bin/sh"],
				"args": ["-c", "go build"], "pull_policy": "if-not-exists",
				"privileged": true, "user": "1000:1000",
				"networks": ["extra"], "dns": ["1.1.1.1"],
				"dns_search": ["local"], "extra_hosts": ["h:1.2.3.4"],
				"ports": [{"port": 8080, "host": 80, "protocol": "UDP"}]}}],
		"docker": {}}));
	cr_assert_str_eq(p->name, "demo");
	cr_assert_str_eq(p->platform.os, "linux");
	cr_assert_str_eq(p->platform.arch, "arm64");
	cr_assert_str_eq(p->platform.variant, "v8");
	cr_assert_null(p->platform.version);
	struct ir_step *s = step(p, "build");
	STRS(ir_step_extra(s)->entrypoint, "/bin/sh");
	STRS(s->command, "-c", "go build");
	cr_assert_str_eq(s->image, "golang:1.11");
	cr_assert_eq(s->pull, IR_PULL_IF_NOT_EXISTS);
	cr_assert(s->detach && s->ignore_error && s->privileged);
	cr_assert_str_eq(ir_step_extra(s)->user, "1000:1000");
	cr_assert_str_eq(ir_step_extra(s)->working_dir, "/w");
	cr_assert_str_eq(ir_env_get(&s->environment, "GOOS"), "linux");
	cr_assert_eq(ir_step_extra(s)->resources.cpu_millis, 1500);
	cr_assert_eq(ir_step_extra(s)->resources.memory, 536870912);
	expect_diag(DIAG_NOTE, "drone-runtime-dropped", "/steps/0/resources/requests");
	STRS(ir_step_extra(s)->networks, "extra");
	STRS(ir_step_extra(s)->dns, "1.1.1.1");
	STRS(ir_step_extra(s)->dns_search, "local");
	STRS(ir_step_extra(s)->extra_hosts, "h:1.2.3.4");
	cr_assert_eq(ir_step_extra(s)->nports, 1);
	cr_assert_eq(ir_step_extra(s)->ports[0].port, 8080);
	cr_assert_eq(ir_step_extra(s)->ports[0].host, 80);
	cr_assert_str_eq(ir_step_extra(s)->ports[0].protocol, "UDP");
	cr_assert_str_eq(s->pos.pointer, "/steps/0");
	free(round_trip(p));
}

Test(drone_runtime, new_network_mode_drops_extra_networks)
{
	struct ir_pipeline *p = import_ok(J({"steps": [{"metadata": {"name": "a"},
		"docker": {"image": "i", "network": "host", "networks": ["n"]}}]}));
	cr_assert_str_eq(ir_step_extra(&p->steps[0])->network_mode, "host");
	cr_assert_eq(ir_step_extra(&p->steps[0])->networks.n, 0);
	expect_diag(DIAG_NOTE, "drone-runtime-dropped", "/steps/0/docker/networks");
}

Test(drone_runtime, new_run_policy_and_pull_policy_enums)
{
	struct ir_pipeline *p = import_ok(J({"steps": [
		{"metadata": {"name": "a"}, "run_policy": "always",
		 "docker": {"image": "i", "pull_policy": "never"}},
		{"metadata": {"name": "b"}, "run_policy": "on-failure"},
		{"metadata": {"name": "c"}, "run_policy": "never"},
		{"metadata": {"name": "d"}, "run_policy": "Always",
		 "docker": {"image": "i", "pull_policy": "sometimes"}},
		{"metadata": {"name": "e"}, "run_policy": ""}]}));
	cr_assert_eq(step(p, "a")->run_policy, IR_RUN_ALWAYS);
	cr_assert_eq(step(p, "a")->pull, IR_PULL_NEVER);
	cr_assert_eq(step(p, "b")->run_policy, IR_RUN_ON_FAILURE);
	cr_assert_eq(step(p, "c")->run_policy, IR_RUN_NEVER);
	cr_assert_eq(step(p, "d")->run_policy, IR_RUN_ON_SUCCESS);
	cr_assert_eq(step(p, "d")->pull, IR_PULL_DEFAULT);
	cr_assert_eq(step(p, "e")->run_policy, IR_RUN_ON_SUCCESS);
	expect_diag(DIAG_WARNING, "drone-runtime-unknown-enum", "/steps/3/run_policy");
	expect_diag(DIAG_WARNING, "drone-runtime-unknown-enum", "/steps/3/docker/pull_policy");
	cr_assert_eq(diag_count("drone-runtime-unknown-enum"), 2);
}

Test(drone_runtime, new_serial_mode_becomes_a_chain)
{
	struct ir_pipeline *p = import_ok(J({"steps": [
		{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}},
		{"metadata": {"name": "c"}}]}));
	cr_assert_eq(step(p, "a")->depends_on.n, 0);
	STRS(step(p, "b")->depends_on, "a");
	STRS(step(p, "c")->depends_on, "b");
}

Test(drone_runtime, new_graph_mode_keeps_depends_on)
{
	struct ir_pipeline *p = import_ok(J({"steps": [
		{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}},
		{"metadata": {"name": "c"}, "depends_on": ["a", "b"]}]}));
	cr_assert_eq(step(p, "a")->depends_on.n, 0);
	cr_assert_eq(step(p, "b")->depends_on.n, 0);
	STRS(step(p, "c")->depends_on, "a", "b");
}

Test(drone_runtime, new_secret_values_never_reach_the_ir)
{
	struct ir_pipeline *p = import_ok(J({
		"secrets": [{"metadata": {"name": "password", "uid": "x"},
			     "data": "correct-horse-new"}],
		"docker": {"auths": [{"address": "index.docker.io",
				      "username": "octocat", "password": "reg-pass-new"}]},
		"steps": [{"metadata": {"name": "a"}, "docker": {"image": "i"},
			"secrets": [{"name": "password", "env": "PGPASSWORD"},
				    {"name": "missing", "env": "X"}]}]}));
	cr_assert_eq(p->nsecrets, 1);
	cr_assert_str_eq(p->secrets[0].name, "password");
	cr_assert_eq(p->secrets[0].source, IR_SECRET_RUNTIME);
	struct ir_step *a = step(p, "a");
	cr_assert_eq(ir_step_extra(a)->nsecrets, 1);
	cr_assert_str_eq(ir_step_extra(a)->secrets[0].name, "password");
	cr_assert_str_eq(ir_step_extra(a)->secrets[0].env, "PGPASSWORD");
	expect_diag(DIAG_WARNING, "drone-runtime-secret-value", "/secrets/0");
	expect_diag(DIAG_WARNING, "drone-runtime-secret-value", "/docker/auths/0");
	expect_diag(DIAG_WARNING, "drone-runtime-unresolved-ref", "/steps/0/secrets/1");
	char *text = round_trip(p);
	cr_assert_null(strstr(text, "correct-horse"), "secret value in the IR:\n%s", text);
	cr_assert_null(strstr(text, "reg-pass"), "registry password in the IR:\n%s", text);
	cr_assert_null(strstr(text, "octocat"), "registry user in the IR:\n%s", text);
	free(text);
}

Test(drone_runtime, new_volumes_devices_and_mounts)
{
	struct ir_pipeline *p = import_ok(J({
		"docker": {"volumes": [
			{"metadata": {"name": "tmp"}, "temp": {}},
			{"metadata": {"name": "mem"}, "temp": {"medium": "memory", "size_limit": 1024}},
			{"metadata": {"name": "sock"}, "host": {"path": "/var/run/docker.sock"}},
			{"metadata": {"name": "disk"}, "host": {"path": "/dev/xvda"}},
			{"metadata": {"name": "odd"}, "temp": {"medium": "ssd"}}]},
		"steps": [{"metadata": {"name": "a"}, "docker": {"image": "i"},
			"volumes": [{"name": "tmp", "path": "/tmp"},
				    {"name": "mem", "path": "/mem"},
				    {"name": "sock", "path": "/var/run/docker.sock"},
				    {"name": "nope", "path": "/nope"}],
			"devices": [{"name": "disk", "path": "/dev/xvdb"},
				    {"name": "tmp", "path": "/dev/bad"}]}]}));
	cr_assert_eq(p->nvolumes, 5);
	cr_assert_eq(p->volumes[0].kind, IR_VOLUME_TEMP);
	cr_assert_eq(p->volumes[1].kind, IR_VOLUME_TMPFS);
	cr_assert_eq(p->volumes[1].size_limit, 1024);
	cr_assert_eq(p->volumes[2].kind, IR_VOLUME_HOST);
	cr_assert_str_eq(p->volumes[2].host_path, "/var/run/docker.sock");
	cr_assert_eq(p->volumes[4].kind, IR_VOLUME_TEMP);
	expect_diag(DIAG_WARNING, "drone-runtime-unknown-enum", "/docker/volumes/4/temp");
	struct ir_step *a = step(p, "a");
	cr_assert_eq(ir_step_extra(a)->nvolumes, 3);
	cr_assert_str_eq(ir_step_extra(a)->volumes[1].name, "mem");
	cr_assert_str_eq(ir_step_extra(a)->volumes[1].path, "/mem");
	expect_diag(DIAG_WARNING, "drone-runtime-unresolved-ref", "/steps/0/volumes/3");
	cr_assert_eq(ir_step_extra(a)->ndevices, 1);
	cr_assert_str_eq(ir_step_extra(a)->devices[0].host_path, "/dev/xvda");
	cr_assert_str_eq(ir_step_extra(a)->devices[0].path, "/dev/xvdb");
	expect_diag(DIAG_WARNING, "drone-runtime-unresolved-ref", "/steps/0/devices/1");
	free(round_trip(p));
}

Test(drone_runtime, new_files_and_step_file_mounts)
{
	struct ir_pipeline *p = import_ok(J({
		"files": [{"metadata": {"name": "init"}, "data": "ZWNobyBo\r\naQo="},
			  {"Name": "lost", "Data": "eA=="}],
		"steps": [{"metadata": {"name": "a"}, "docker": {"image": "i"},
			"files": [{"name": "init", "path": "/usr/bin/init", "mode": 493},
				  {"name": "lost", "path": "/x", "mode": 420}]}]}));
	cr_assert_eq(p->nfiles, 1);
	cr_assert_str_eq(p->files[0].name, "init");
	cr_assert_str_eq(p->files[0].data, "ZWNobyBoaQo=");
	cr_assert_not(p->files[0].archive);
	struct ir_step *a = step(p, "a");
	cr_assert_eq(ir_step_extra(a)->nfiles, 1);
	cr_assert_str_eq(ir_step_extra(a)->files[0].path, "/usr/bin/init");
	cr_assert_eq(ir_step_extra(a)->files[0].mode, 0755);
	expect_diag(DIAG_WARNING, "drone-runtime-unknown-key", "/files/1/Name");
	expect_diag(DIAG_WARNING, "drone-runtime-unresolved-ref", "/files/1");
	expect_diag(DIAG_WARNING, "drone-runtime-unresolved-ref", "/steps/0/files/1");
	free(round_trip(p));
}

Test(drone_runtime, new_bad_base64_is_an_error)
{
	cr_assert_null(import_as("t.json", J({"files": [
		{"metadata": {"name": "a"}, "data": "ZWNobw"},
		{"metadata": {"name": "b"}, "data": "Z*=="},
		{"metadata": {"name": "c"}, "data": "Zm9v"}]})));
	expect_diag(DIAG_ERROR, "drone-runtime-base64", "/files/0/data");
	expect_diag(DIAG_ERROR, "drone-runtime-base64", "/files/1/data");
	cr_assert_eq(diag_count("drone-runtime-base64"), 2);
}

/* ---- Decoder rules, errors, robustness --------------------------------- */

Test(drone_runtime, keys_match_case_insensitively_exact_first)
{
	struct ir_pipeline *p = import_ok(J({
		"METADATA": {"NAME": "loud"},
		"Steps": [{"Metadata": {"name": "exact", "Name": "folded"},
			   "DOCKER": {"Image": "alpine", "ARGS": ["x"]}}]}));
	cr_assert_str_eq(p->name, "loud");
	cr_assert_str_eq(p->steps[0].name, "exact");
	cr_assert_str_eq(p->steps[0].image, "alpine");
	STRS(p->steps[0].command, "x");
	cr_assert_eq(diag_count("drone-runtime-unknown-key"), 0);
}

Test(drone_runtime, null_is_absent)
{
	struct ir_pipeline *p = import_ok(J({"metadata": null, "secrets": null,
		"docker": null, "files": null, "steps": [null,
		{"metadata": {"name": null}, "docker": {"image": "i", "command": null},
		 "detach": null, "run_policy": null}]}));
	cr_assert_eq(p->nsteps, 1);
	cr_assert_str_eq(p->steps[0].name, "step_1");
	cr_assert_null(ir_step_extra(&p->steps[0])->entrypoint.v);
	cr_assert_not(p->steps[0].detach);
	cr_assert_str_eq(p->name, "t");
}

Test(drone_runtime, type_errors_are_all_reported_with_pointers)
{
	const char *json = J({"metadata": {"name": 7},
		"steps": [{"metadata": {"name": "a"}, "docker": {"image": 5}},
			  {"metadata": {"name": "b"}, "detach": "yes",
			   "environment": {"A": 1}, "depends_on": "a",
			   "files": [{"name": "f", "path": "/f", "mode": "511"}]}],
		"docker": []});
	cr_assert_null(import_as("t.json", json));
	const char *const at[] = {
		"/metadata/name", "/steps/0/docker/image", "/steps/1/detach",
		"/steps/1/environment/A", "/steps/1/depends_on",
		"/steps/1/files/0/mode", "/docker"};
	for (size_t i = 0; i < sizeof at / sizeof *at; i++)
		expect_diag(DIAG_ERROR, "drone-runtime-type", at[i]);
	cr_assert_eq(dl.nerrors, sizeof at / sizeof *at);
	const struct diag *d = diag_find("drone-runtime-type", "/steps/0/docker/image");
	cr_assert_str_eq(d->message, "expected a string, got a number");
	cr_assert_str_eq(d->pos.file, "t.json");
}

Test(drone_runtime, integers_must_be_whole_and_in_range)
{
	cr_assert_null(import_as("t.json", J({"steps": [{"metadata": {"name": "a"},
		"files": [{"name": "f", "path": "/f", "mode": 1.5}],
		"docker": {"ports": [{"port": 70000}]}}]})));
	expect_diag(DIAG_ERROR, "drone-runtime-type", "/steps/0/files/0/mode");
	expect_diag(DIAG_ERROR, "drone-runtime-type", "/steps/0/docker/ports/0/port");
}

Test(drone_runtime, unknown_keys_warn_with_escaped_pointers)
{
	import_ok(J({"steps": [{"metadata": {"name": "a"}, "kubernetes": {},
		"a/b~c": 1}], "bogus": true}));
	expect_diag(DIAG_WARNING, "drone-runtime-unknown-key", "/bogus");
	expect_diag(DIAG_WARNING, "drone-runtime-unknown-key", "/steps/0/kubernetes");
	expect_diag(DIAG_WARNING, "drone-runtime-unknown-key", "/steps/0/a~1b~0c");
}

Test(drone_runtime, trailing_text_is_ignored_with_a_warning)
{
	struct ir_doc *d = import_as("t.json", "{\"steps\": []}\n{}");
	cr_assert_not_null(d);
	const struct diag *w = diag_find("drone-runtime-trailing-data", NULL);
	cr_assert_not_null(w);
	cr_assert_eq(w->pos.line, 2);
	cr_assert_eq(w->pos.col, 1);
}

Test(drone_runtime, not_a_drone_runtime_file)
{
	cr_assert_null(import_as("config.json", J({"auths": {"https://index.docker.io/v1/":
		{"auth": "b2N0b2NhdDpzZWNyZXQ="}}})));
	expect_diag(DIAG_ERROR, "drone-runtime-not-ir", "");
	cr_assert_null(import_as("t.json", "[1, 2]"));
	expect_diag(DIAG_ERROR, "drone-runtime-json", "");
	cr_assert_null(import_as("t.json", "{\"steps\": [}"));
	const struct diag *d = diag_find("drone-runtime-json", NULL);
	cr_assert_not_null(d);
}

Test(drone_runtime, malformed_json_points_at_line_and_column)
{
	cr_assert_null(import_as("t.json", "{\n  \"steps\": [\n    {,}\n]}"));
	const struct diag *d = diag_find("drone-runtime-json", NULL);
	cr_assert_not_null(d);
	cr_assert_eq(d->pos.line, 3);
	cr_assert_gt(d->pos.col, 1);
}

Test(drone_runtime, workspace_from_working_dir_and_workspace_volume)
{
	struct ir_pipeline *p = import_ok(J({
		"docker": {"volumes": [{"metadata": {"name": "workspace"}, "temp": {}},
				       {"metadata": {"name": "cache"}, "temp": {}}]},
		"steps": [
			{"metadata": {"name": "svc"}, "detach": true,
			 "volumes": [{"name": "workspace", "path": "/drone"}]},
			{"metadata": {"name": "a"}, "working_dir": "/drone/src",
			 "volumes": [{"name": "workspace", "path": "/drone"},
				     {"name": "cache", "path": "/cache"}]}]}));
	cr_assert_str_eq(p->workspace.base, "/drone");
	cr_assert_str_eq(p->workspace.path, "src");
	/* The workspace volume is the workspace now; nothing else is lost. */
	cr_assert_eq(p->nvolumes, 1);
	cr_assert_str_eq(p->volumes[0].name, "cache");
	cr_assert_eq(ir_step_extra(step(p, "svc"))->nvolumes, 0);
	cr_assert_eq(ir_step_extra(step(p, "a"))->nvolumes, 1);
	cr_assert_str_eq(ir_step_extra(step(p, "a"))->volumes[0].path, "/cache");
}

Test(drone_runtime, workspace_left_unset_without_one_obvious_intent)
{
	struct ir_pipeline *p = import_ok(J({
		"docker": {"volumes": [{"metadata": {"name": "workspace"}, "temp": {}}]},
		"steps": [
			{"metadata": {"name": "a"}, "working_dir": "/drone/src",
			 "volumes": [{"name": "workspace", "path": "/drone"}]},
			{"metadata": {"name": "b"}, "working_dir": "/other",
			 "volumes": [{"name": "workspace", "path": "/drone"}]}]}));
	cr_assert_null(p->workspace.base);
	cr_assert_null(p->workspace.path);
	/* `workspace` is pipec's own volume name: the import renames it. */
	cr_assert_eq(p->nvolumes, 1);
	cr_assert_str_eq(p->volumes[0].name, "drone_workspace");
	cr_assert_str_eq(ir_step_extra(step(p, "b"))->volumes[0].name, "drone_workspace");
	expect_diag(DIAG_NOTE, "drone-runtime-renamed", "/docker/volumes/0");
}

Test(drone_runtime, pipeline_name_from_the_file_name)
{
	struct ir_doc *d = import_as("some/dir/8_backup restore.json",
				     J({"pipeline": []}));
	cr_assert_not_null(d);
	cr_assert_str_eq(d->pipelines[0].name, "8_backup-restore");
	expect_diag(DIAG_WARNING, "drone-runtime-empty", "");
}

Test(drone_runtime, step_ceiling_is_a_diagnostic)
{
	size_t n = 1100, cap = n * 32 + 32, len = 0;
	char *json = malloc(cap);
	len += (size_t)snprintf(json + len, cap - len, "{\"steps\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(json + len, cap - len, "%s{}", i ? "," : "");
	snprintf(json + len, cap - len, "]}");
	cr_assert_null(import_as("t.json", json));
	cr_assert_eq(diag_count("drone-runtime-limit"), 1);
	free(json);
}

/* Every prefix of a file, and a few hostile shapes, must import or fail
 * cleanly; the sanitizer build turns any memory error into a failure. */
Test(drone_runtime, malformed_input_never_crashes)
{
	const char *full = J({"version": 1, "networks": [{"name": "n"}],
		"volumes": [{"name": "v"}], "pipeline": [{"steps": [
		{"alias": "a", "image": "x", "on_success": true,
		 "volumes": [{"name": "v", "target": "/v"}], "tmpfs": ["/t:size=1k"],
		 "backup": [{"source": "/s", "target": "t"}],
		 "secrets": [{"name": "S", "value": "v"}]}]},
		{"steps": [{"alias": "b", "on_failure": true,
		 "restore": [{"source": "t", "target": "/"},
			     {"source": "data:;base64,eA==", "target": "/"}]}]}]});
	size_t len = strlen(full);
	for (size_t i = 0; i <= len; i++) {
		struct diag_list l;
		diag_list_init(&l);
		fe_drone_runtime_import("t.json", full, i, arena, &l);
		diag_list_release(&l);
	}
	const char *const hostile[] = {
		"", " ", "{", "}", "null", "\"x\"", "{\"steps\": 5}",
		"{\"pipeline\": [null, 1, {\"steps\": [1, null, []]}]}",
		"{\"steps\": [{\"docker\": 1, \"files\": [1], \"volumes\": {}}]}",
		"{\"pipeline\": [{\"steps\": [{\"tmpfs\": [1, \":\", \"::\", \"/x:size=99999999999999999999g\"]}]}]}",
		"{\"docker\": {\"volumes\": [{\"host\": {}, \"temp\": 3}]}, \"steps\": []}",
		"{\"steps\": [{\"metadata\": {\"name\": \"a\"}}, {\"metadata\": {\"name\": \"a\"}}, "
		"{\"metadata\": {\"name\": \"a_2\"}}]}",
		"{\"pipeline\": [{\"steps\": [{\"restore\": [{\"source\": \"data:,%zz\", \"target\": \"/\"}]}]}]}",
	};
	for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
		struct diag_list l;
		diag_list_init(&l);
		fe_drone_runtime_import("t.json", hostile[i], strlen(hostile[i]), arena, &l);
		diag_list_release(&l);
	}
	char deep[4096];
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = 0;
	cr_assert_null(import_as("t.json", deep));
}
