/*
 * check.c - val_check(): each rule fires on the input it is about, stays
 * quiet on a clean document, and reports at the step the user wrote.
 */
#include <criterion/criterion.h>

#include "tests/unit/validate/build.h"

TestSuite(check, .init = suite_setup, .fini = suite_teardown);

Test(check, clean_document_has_no_findings)
{
	struct ir_doc *d = doc_new(arena, 2, 3);
	d->pipelines[1].steps[2].depends_on = strs(arena, "s1", NULL);
	cr_assert_eq(val_check(d, NULL, &dl), 0);
	cr_assert_eq(dl.len, 0, "first: %s", dl.len ? dl.items[0].message : "");
}

Test(check, every_reported_rule_is_in_the_table)
{
	struct ir_doc *d = doc_new(arena, 2, 3);
	d->pipelines[1].name = ir_strdup(arena, "p1");
	d->pipelines[0].steps[1].name = ir_strdup(arena, "s1");
	d->pipelines[0].steps[2].privileged = true;
	d->pipelines[0].steps[2].image = ir_strdup(arena, "alpine");
	d->pipelines[0].steps[2].depends_on = strs(arena, "nope", NULL);
	val_check(d, NULL, &dl);
	cr_assert_geq(dl.len, 5);
	for (size_t i = 0; i < dl.len; i++)
		cr_assert_not_null(ir_rule_find(dl.items[i].rule), "%s", dl.items[i].rule);
}

Test(check, duplicate_step_names_reported_at_the_second)
{
	struct ir_doc *d = doc_new(arena, 1, 3);
	d->pipelines[0].steps[2].name = ir_strdup(arena, "s1");
	cr_assert_eq(val_check(d, NULL, &dl), 1);
	const struct diag *x = find_rule(&dl, "duplicate-step-name");
	cr_assert_not_null(x);
	cr_assert_eq(x->pos.line, d->pipelines[0].steps[2].pos.line);
	cr_assert_str_eq(x->pos.file, "t.yml");
	cr_assert(strstr(x->message, "'s1'"), "%s", x->message);
}

Test(check, duplicate_pipeline_names)
{
	struct ir_doc *d = doc_new(arena, 3, 1);
	d->pipelines[2].name = ir_strdup(arena, "p1");
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "duplicate-pipeline-name"), 1);
	cr_assert_eq(find_rule(&dl, "duplicate-pipeline-name")->pos.line, 201);
}

Test(check, missing_names)
{
	struct ir_doc *d = doc_new(arena, 1, 2);
	d->pipelines[0].steps[0].name = ir_strdup(arena, "");
	d->pipelines[0].name = NULL;
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "missing-name"), 2);
}

Test(check, unknown_dependency_in_any_order_with_suggestion)
{
	struct ir_doc *d = doc_new(arena, 1, 3);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[0].name = ir_strdup(arena, "test");
	p->steps[0].depends_on = strs(arena, "build", NULL);   /* a later step: fine */
	p->steps[1].name = ir_strdup(arena, "build");
	p->steps[2].depends_on = strs(arena, "biuld", NULL);
	cr_assert_eq(val_check(d, NULL, &dl), 1);
	const struct diag *x = find_rule(&dl, "unknown-dependency");
	cr_assert_not_null(x);
	cr_assert_str_eq(x->message,
			 "step 's3' depends on unknown step 'biuld' (did you mean 'build'?)");
}

Test(check, cycle_reported_with_whole_path)
{
	struct ir_doc *d = doc_new(arena, 1, 4);
	struct ir_pipeline *p = &d->pipelines[0];
	p->steps[0].depends_on = strs(arena, "s2", NULL);
	p->steps[1].depends_on = strs(arena, "s3", NULL);
	p->steps[2].depends_on = strs(arena, "s1", NULL);
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "dependency-cycle"), 1);
	cr_assert_str_eq(find_rule(&dl, "dependency-cycle")->message,
			 "step dependency cycle: s1 -> s2 -> s3 -> s1");
}

Test(check, self_dependency_is_a_cycle)
{
	struct ir_doc *d = doc_new(arena, 1, 2);
	d->pipelines[0].steps[1].depends_on = strs(arena, "s2", NULL);
	val_check(d, NULL, &dl);
	cr_assert_str_eq(find_rule(&dl, "dependency-cycle")->message,
			 "step dependency cycle: s2 -> s2");
}

Test(check, pipeline_dependencies)
{
	struct ir_doc *d = doc_new(arena, 3, 1);
	d->pipelines[0].depends_on = strs(arena, "p2", NULL);
	d->pipelines[1].depends_on = strs(arena, "p1", NULL);
	d->pipelines[2].depends_on = strs(arena, "p4", NULL);
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "pipeline-dependency-cycle"), 1);
	cr_assert_str_eq(find_rule(&dl, "pipeline-dependency-cycle")->message,
			 "pipeline dependency cycle: p1 -> p2 -> p1");
	cr_assert_eq(count_rule(&dl, "unknown-pipeline-dependency"), 1);
}

Test(check, missing_image_and_missing_command)
{
	struct ir_doc *d = doc_new(arena, 2, 1);
	d->pipelines[0].steps[0].image = NULL;
	d->pipelines[1].backend = IR_BACKEND_LOCAL;
	d->pipelines[1].steps[0].image = NULL;
	d->pipelines[1].steps[0].script = NULL;
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "missing-image"), 1);
	cr_assert_eq(count_rule(&dl, "missing-command"), 1);
	cr_assert_eq(dl.len, 2);
}

Test(check, vm_runner_plugin_step_needs_no_commands)
{
	struct ir_doc *d = doc_new(arena, 1, 2);
	struct ir_pipeline *p = &d->pipelines[0];
	p->backend = IR_BACKEND_LOCAL;
	p->runner = ir_strdup(arena, "vm");
	p->steps[0].script = NULL;              /* a plugin: image and settings */
	p->steps[0].image = ir_strdup(arena, "plugins/github-release:1");
	p->steps[1].script = NULL;              /* neither image nor commands */
	p->steps[1].image = NULL;
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "missing-command"), 1);
	cr_assert_eq(find_rule(&dl, "missing-command")->pos.line, p->steps[1].pos.line);
}

Test(check, latest_and_untagged_images_warn)
{
	struct ir_doc *d = doc_new(arena, 1, 5);
	struct ir_step *s = d->pipelines[0].steps;
	s[0].image = ir_strdup(arena, "golang");
	s[1].image = ir_strdup(arena, "golang:latest");
	s[2].image = ir_strdup(arena, "registry:5000/team/golang");
	s[3].image = ir_strdup(arena, "registry:5000/team/golang:1.22");
	s[4].image = ir_strdup(arena, "golang@sha256:0123");
	cr_assert_eq(val_check(d, NULL, &dl), 0);
	cr_assert_eq(count_rule(&dl, "image-latest"), 3);
	cr_assert_eq(dl.nwarnings, 3);
	cr_assert_eq(dl.items[2].pos.line, s[2].pos.line);
}

Test(check, volumes_and_secrets_must_be_declared)
{
	struct ir_doc *d = doc_new(arena, 1, 1);
	struct ir_pipeline *p = &d->pipelines[0];
	p->nvolumes = 1;
	p->volumes = ir_calloc(arena, 1, sizeof *p->volumes);
	p->volumes[0].name = ir_strdup(arena, "cache");
	p->nsecrets = 1;
	p->secrets = ir_calloc(arena, 1, sizeof *p->secrets);
	p->secrets[0].name = ir_strdup(arena, "token");
	struct ir_step *s = &p->steps[0];
	ir_step_extra_edit(s, arena)->nvolumes = 2;
	ir_step_extra_edit(s, arena)->volumes = ir_calloc(arena, 2, sizeof *ir_step_extra_edit(s, arena)->volumes);
	ir_step_extra(s)->volumes[0] = (struct ir_mount){ir_strdup(arena, "cache"), ir_strdup(arena, "/c"), false};
	ir_step_extra(s)->volumes[1] = (struct ir_mount){ir_strdup(arena, "cahce"), ir_strdup(arena, "rel"), false};
	ir_step_extra_edit(s, arena)->nsecrets = 2;
	ir_step_extra_edit(s, arena)->secrets = ir_calloc(arena, 2, sizeof *ir_step_extra_edit(s, arena)->secrets);
	ir_step_extra(s)->secrets[0] = (struct ir_secret_ref){ir_strdup(arena, "token"), ir_strdup(arena, "TOKEN")};
	ir_step_extra(s)->secrets[1] = (struct ir_secret_ref){ir_strdup(arena, "tokne"), ir_strdup(arena, "X")};
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "unknown-volume"), 1);
	cr_assert(strstr(find_rule(&dl, "unknown-volume")->message, "did you mean 'cache'"));
	cr_assert_eq(count_rule(&dl, "invalid-mount-path"), 1);
	cr_assert_eq(count_rule(&dl, "unknown-secret"), 1);
	cr_assert(strstr(find_rule(&dl, "unknown-secret")->message, "did you mean 'token'"));
}

Test(check, conflicting_and_reserved_volumes)
{
	struct ir_doc *d = doc_new(arena, 1, 1);
	struct ir_pipeline *p = &d->pipelines[0];
	p->nvolumes = 4;
	p->volumes = ir_calloc(arena, 4, sizeof *p->volumes);
	p->volumes[0].name = ir_strdup(arena, "cache");
	p->volumes[1].name = ir_strdup(arena, "cache");         /* identical: merged later */
	p->volumes[2] = (struct ir_volume){.name = ir_strdup(arena, "cache"), .kind = IR_VOLUME_TMPFS,
					    .size_limit = 1024};
	p->volumes[3].name = ir_strdup(arena, "workspace");
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "duplicate-volume"), 1);
	cr_assert_eq(count_rule(&dl, "reserved-volume-name"), 1);
}

Test(check, dns_names_error_for_services_warn_for_steps)
{
	struct ir_doc *d = doc_new(arena, 1, 4);
	struct ir_step *s = d->pipelines[0].steps;
	s[0].name = ir_strdup(arena, "build & test");
	s[1].name = ir_strdup(arena, "my db");
	s[1].detach = true;
	s[2].name = ir_strdup(arena, "redis-6");
	s[2].detach = true;
	s[3].name = ir_strdup(arena, "redis_1");     /* Docker's DNS resolves it */
	s[3].detach = true;
	cr_assert_eq(val_check(d, NULL, &dl), 1);
	cr_assert_eq(count_rule(&dl, "invalid-dns-name"), 2);
	cr_assert_eq(dl.nwarnings, 1);
}

Test(check, dns_names_on_kubernetes_are_lowercase_labels)
{
	struct ir_doc *d = doc_new(arena, 2, 3);
	d->pipelines[0].backend = IR_BACKEND_KUBE;
	struct ir_step *s = d->pipelines[0].steps;
	s[0].name = ir_strdup(arena, "redis_1");
	s[0].detach = true;
	s[1].name = ir_strdup(arena, "Redis");
	s[1].detach = true;
	d->pipelines[1].backend = IR_BACKEND_LOCAL;
	d->pipelines[1].steps[0].name = ir_strdup(arena, "build & test");
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "invalid-dns-name"), 2);
	cr_assert_eq(dl.nerrors, 2);
}

Test(check, platform_os_and_arch)
{
	struct ir_doc *d = doc_new(arena, 2, 1);
	d->pipelines[0].platform.os = ir_strdup(arena, "darwin");
	d->pipelines[0].platform.arch = ir_strdup(arena, "x86_64");
	d->pipelines[1].backend = IR_BACKEND_LOCAL;
	d->pipelines[1].platform.os = ir_strdup(arena, "darwin");
	d->pipelines[1].platform.arch = ir_strdup(arena, "arm64");
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "invalid-platform-os"), 1);
	cr_assert_eq(count_rule(&dl, "invalid-platform-arch"), 1);
	cr_assert(strstr(find_rule(&dl, "invalid-platform-arch")->message, "'amd64'"));
}

Test(check, container_keys_on_a_local_pipeline)
{
	struct ir_doc *d = doc_new(arena, 1, 1);
	d->pipelines[0].backend = IR_BACKEND_LOCAL;
	struct ir_step *s = &d->pipelines[0].steps[0];
	ir_step_extra_edit(s, arena)->dns = strs(arena, "1.1.1.1", NULL);
	ir_step_extra_edit(s, arena)->extra_hosts = strs(arena, "db:10.0.0.2", NULL);
	ir_step_extra_edit(s, arena)->nports = 1;
	ir_step_extra_edit(s, arena)->ports = ir_calloc(arena, 1, sizeof *ir_step_extra_edit(s, arena)->ports);
	ir_step_extra(s)->ports[0].port = 8080;
	struct val_policy trusted = {.trusted = true};
	val_check(d, &trusted, &dl);
	cr_assert_eq(count_rule(&dl, "unsupported-on-backend"), 3);
}

Test(check, malformed_ports_and_extra_hosts)
{
	struct ir_doc *d = doc_new(arena, 1, 1);
	struct ir_step *s = &d->pipelines[0].steps[0];
	ir_step_extra_edit(s, arena)->extra_hosts = strs(arena, "db", "cache:10.0.0.3", ":1.2.3.4", NULL);
	ir_step_extra_edit(s, arena)->nports = 2;
	ir_step_extra_edit(s, arena)->ports = ir_calloc(arena, 2, sizeof *ir_step_extra_edit(s, arena)->ports);
	ir_step_extra(s)->ports[0].port = 70000;
	ir_step_extra(s)->ports[1].port = 80;
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "invalid-extra-host"), 2);
	cr_assert_eq(count_rule(&dl, "invalid-port"), 1);
}

/* One step doing everything a trusted repository may do. */
static struct ir_doc *host_reaching_doc(void)
{
	struct ir_doc *d = doc_new(arena, 1, 1);
	struct ir_pipeline *p = &d->pipelines[0];
	p->nvolumes = 2;
	p->volumes = ir_calloc(arena, 2, sizeof *p->volumes);
	p->volumes[0] = (struct ir_volume){.name = ir_strdup(arena, "sock"), .kind = IR_VOLUME_HOST,
					    .host_path = ir_strdup(arena, "/var/run/docker.sock"), false};
	p->volumes[1] = (struct ir_volume){.name = ir_strdup(arena, "mem"), .kind = IR_VOLUME_TMPFS};
	struct ir_step *s = &p->steps[0];
	s->privileged = true;
	ir_step_extra_edit(s, arena)->network_mode = ir_strdup(arena, "host");
	ir_step_extra_edit(s, arena)->ndevices = 1;
	ir_step_extra_edit(s, arena)->devices = ir_calloc(arena, 1, sizeof *ir_step_extra_edit(s, arena)->devices);
	ir_step_extra(s)->devices[0] = (struct ir_device){ir_strdup(arena, "/dev/kvm"), ir_strdup(arena, "/dev/kvm")};
	ir_step_extra_edit(s, arena)->nports = 1;
	ir_step_extra_edit(s, arena)->ports = ir_calloc(arena, 1, sizeof *ir_step_extra_edit(s, arena)->ports);
	ir_step_extra(s)->ports[0] = (struct ir_port){.port = 80, .host = 8080};
	ir_step_extra_edit(s, arena)->nvolumes = 1;
	ir_step_extra_edit(s, arena)->volumes = ir_calloc(arena, 1, sizeof *ir_step_extra_edit(s, arena)->volumes);
	ir_step_extra(s)->volumes[0] = (struct ir_mount){ir_strdup(arena, "sock"), ir_strdup(arena, "/var/run/docker.sock"), false};
	return d;
}

Test(check, policy_refuses_host_access_when_untrusted)
{
	val_check(host_reaching_doc(), NULL, &dl);
	static const char *const rules[] = {
		"untrusted-privileged", "untrusted-host-volume", "untrusted-docker-socket",
		"untrusted-devices", "untrusted-network-mode", "untrusted-host-port",
		"untrusted-tmpfs",
	};
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
		cr_assert_eq(count_rule(&dl, rules[i]), 1, "%s", rules[i]);
	cr_assert_eq(dl.nerrors, 7);
}

Test(check, policy_allows_host_access_when_trusted)
{
	struct val_policy trusted = {.trusted = true};
	cr_assert_eq(val_check(host_reaching_doc(), &trusted, &dl), 0);
	cr_assert_eq(dl.len, 0);
}

Test(check, root_steps)
{
	struct ir_doc *d = doc_new(arena, 2, 3);
	struct ir_step *s = d->pipelines[0].steps;
	ir_step_extra_edit(&s[0], arena)->user = ir_strdup(arena, "root");
	ir_step_extra_edit(&s[1], arena)->user = ir_strdup(arena, "0:0");
	ir_step_extra_edit(&s[2], arena)->user = ir_strdup(arena, "1000");
	d->pipelines[1].backend = IR_BACKEND_LOCAL;
	cr_assert_eq(val_check(d, NULL, &dl), 0);
	cr_assert_eq(count_rule(&dl, "runs-as-root"), 2);
	cr_assert_eq(dl.nwarnings, 2);
}

Test(check, require_non_root_also_rejects_unset_users)
{
	struct ir_doc *d = doc_new(arena, 2, 3);
	struct ir_step *s = d->pipelines[0].steps;
	ir_step_extra_edit(&s[0], arena)->user = ir_strdup(arena, "root");
	ir_step_extra_edit(&s[2], arena)->user = ir_strdup(arena, "1000");
	d->pipelines[1].backend = IR_BACKEND_LOCAL;    /* runs as the caller: not flagged */
	struct val_policy pol = {.require_non_root = true};
	cr_assert_eq(val_check(d, &pol, &dl), 2);
	cr_assert_eq(count_rule(&dl, "runs-as-root"), 2);
}

Test(check, empty_pipeline)
{
	struct ir_doc *d = doc_new(arena, 1, 0);
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "no-steps"), 1);
}

Test(check, oversized_pipeline_is_one_finding)
{
	struct ir_doc *d = doc_new(arena, 1, VAL_MAX_STEPS + 1);
	val_check(d, NULL, &dl);
	cr_assert_eq(count_rule(&dl, "too-many-steps"), 1);
	cr_assert_eq(dl.nerrors, 1);
}

Test(check, all_findings_in_one_run)
{
	struct ir_doc *d = doc_new(arena, 1, 4);
	struct ir_step *s = d->pipelines[0].steps;
	s[1].name = ir_strdup(arena, "s1");
	s[2].image = NULL;
	s[3].depends_on = strs(arena, "zz", NULL);
	s[3].privileged = true;
	val_check(d, NULL, &dl);
	cr_assert_eq(dl.nerrors, 4);
}

Test(check, settings_with_commands_warns)
{
	struct ir_doc *d = doc_new(arena, 1, 2);
	for (int i = 0; i < 2; i++) {
		struct ir_step *s = &d->pipelines[0].steps[i];
		s->environment.n = 1;
		s->environment.v = ir_calloc(arena, 1, sizeof *s->environment.v);
		s->environment.v[0] = (struct ir_kv){ir_strdup(arena, "PLUGIN_REPO"), ir_strdup(arena, "x/y")};
	}
	d->pipelines[0].steps[1].script = NULL;     /* a plain plugin step */
	cr_assert_eq(val_check(d, NULL, &dl), 0);
	cr_assert_eq(count_rule(&dl, "settings-with-commands"), 1);
	cr_assert_eq(find_rule(&dl, "settings-with-commands")->pos.line,
		     d->pipelines[0].steps[0].pos.line);
}
