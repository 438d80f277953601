/*
 * The Pod builder: YAML as users write it, compiled and normalized, then
 * the objects a step and a pipeline become, field by field.
 */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "frontend/frontend.h"
#include "validate/validate.h"
#include "backend-kube/kube.h"
#include "tests/unit/suite.h"

TestSuite(pod, .init = suite_setup, .fini = suite_teardown);

static const struct ir_pipeline *compile(const char *yaml)
{
	struct fe_context ctx = {0};
	struct ir_doc *d = fe_compile("t.yml", yaml, strlen(yaml), &ctx, arena, &dl);
	cr_assert(d, "does not compile");
	cr_assert_eq(val_normalize(d, arena, 0), 0);
	return &d->pipelines[0];
}

static const cJSON *at(const cJSON *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok(buf, "."); k && o; k = strtok(NULL, ".")) {
		char *end;
		long i = strtol(k, &end, 10);
		o = *end ? cJSON_GetObjectItemCaseSensitive(o, k) : cJSON_GetArrayItem(o, (int)i);
	}
	return o;
}

static const char *str_at(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);
	cr_assert(cJSON_IsString(v), "%s is not a string", path);
	return v->valuestring;
}

/* The env entry named `name` of container `c`. */
static const cJSON *env_of(const cJSON *c, const char *name)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c, "env"))
		if (strcmp(cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring, name) == 0)
			return e;
	return NULL;
}

static const cJSON *mount_at(const cJSON *c, const char *path)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c, "volumeMounts"))
		if (strcmp(cJSON_GetObjectItemCaseSensitive(m, "mountPath")->valuestring, path) == 0)
			return m;
	return NULL;
}

static const cJSON *volume_named(const cJSON *pod, const char *name)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, at(pod, "spec.volumes"))
		if (strcmp(cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring, name) == 0)
			return v;
	return NULL;
}

static const char hello[] =
	"kind: pipeline\ntype: kubernetes\nname: hello\nclone:\n  disable: true\n"
	"environment:\n  SHARED: one\n  OVERRIDE: pipeline\n"
	"steps:\n- name: Greet_Step\n  image: busybox\n  pull: always\n"
	"  environment:\n    OVERRIDE: step\n    PRICE: $$(cost)\n"
	"    TOKEN:\n      from_secret: api_token\n"
	"  commands:\n  - echo hello\n";

Test(pod, script_step_runs_its_script_from_the_config_map)
{
	const struct ir_pipeline *p = compile(hello);
	struct kube_pod_options o = {.run_id = "r1", .name = "pipec-r1-0", .config_map = "cm",
				     .secret_name = "sec", .workspace_claim = "ws"};
	cJSON *pod = kube_step_pod(p, &p->steps[0], &o);
	const cJSON *c = at(pod, "spec.containers.0");
	cr_assert_str_eq(str_at(c, "name"), "greet-step");
	cr_assert_str_eq(str_at(c, "image"), "busybox");
	cr_assert_str_eq(str_at(c, "imagePullPolicy"), "Always");
	cr_assert_str_eq(str_at(c, "command.0"), "/bin/sh");
	cr_assert_str_eq(str_at(c, "args.0"), KUBE_SCRIPT_PATH);
	const cJSON *m = mount_at(c, KUBE_SCRIPT_PATH);
	cr_assert(m);
	cr_assert_str_eq(str_at(m, "name"), "pipec-config");
	cr_assert_str_eq(str_at(m, "subPath"), "step-0");
	cr_assert_str_eq(str_at(volume_named(pod, "pipec-config"), "configMap.name"), "cm");
	cr_assert_str_eq(str_at(pod, "spec.restartPolicy"), "Never");
	cr_assert_str_eq(str_at(pod, "metadata.name"), "pipec-r1-0");
	cJSON_Delete(pod);
}

Test(pod, environment_as_the_runtime_builds_it_secrets_by_reference)
{
	const struct ir_pipeline *p = compile(hello);
	struct kube_pod_options o = {.secret_name = "sec"};
	cJSON *c = kube_container(p, &p->steps[0], &o);
	cr_assert_str_eq(str_at(env_of(c, "SHARED"), "value"), "one");
	cr_assert_str_eq(str_at(env_of(c, "OVERRIDE"), "value"), "step");
	/* Kubernetes would expand $(cost); doubled, the step sees it as written */
	cr_assert_str_eq(str_at(env_of(c, "PRICE"), "value"), "$$(cost)");
	const cJSON *t = env_of(c, "TOKEN");
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(t, "value"));
	cr_assert_str_eq(str_at(t, "valueFrom.secretKeyRef.name"), "sec");
	cr_assert_str_eq(str_at(t, "valueFrom.secretKeyRef.key"), "api_token");
	char *text = cJSON_PrintUnformatted(c);
	cr_assert(text && !strstr(text, "from_secret"));
	free(text);
	cJSON_Delete(c);
}

Test(pod, labels_name_run_pipeline_and_step_safely)
{
	const struct ir_pipeline *p = compile(hello);
	struct kube_pod_options o = {.run_id = "abc123"};
	cJSON *pod = kube_step_pod(p, &p->steps[0], &o);
	const cJSON *l = at(pod, "metadata.labels");
	cr_assert_str_eq(cJSON_GetObjectItem(l, "pipec.run")->valuestring, "abc123");
	cr_assert_str_eq(cJSON_GetObjectItem(l, "pipec.pipeline")->valuestring, "hello");
	cr_assert_str_eq(cJSON_GetObjectItem(l, "pipec.step")->valuestring, "Greet_Step");
	cJSON_Delete(pod);
	char v[KUBE_MAX_NAME + 1];
	kube_label_value("-my step/é!", false, v, sizeof v);
	cr_assert_str_eq(v, "my-step");
	kube_label_value("Build_2.x", true, v, sizeof v);
	cr_assert_str_eq(v, "build-2-x");
	kube_label_value("___", true, v, sizeof v);
	cr_assert_str_eq(v, "x");
	char longname[200];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	kube_label_value(longname, true, v, sizeof v);
	cr_assert_eq(strlen(v), KUBE_MAX_NAME);
	cr_assert(kube_dns_label_ok("redis-a"));
	cr_assert(!kube_dns_label_ok("Redis"));
	cr_assert(!kube_dns_label_ok("1redis"));
	cr_assert(!kube_dns_label_ok("redis_a"));
}

static const char volumes[] =
	"kind: pipeline\ntype: kubernetes\nname: vols\nclone:\n  disable: true\n"
	"steps:\n- name: write\n  image: busybox\n  shm_size: 64MiB\n"
	"  volumes:\n  - name: cache\n    path: /cache\n  - name: scratch\n    path: /scratch\n"
	"  - name: host\n    path: /h\n"
	"  commands: [echo]\n"
	"volumes:\n- name: cache\n  temp: {}\n- name: scratch\n  temp:\n    medium: memory\n    size_limit: 64MiB\n"
	"- name: host\n  host:\n    path: /srv/data\n";

Test(pod, volumes_on_a_workspace_claim)
{
	const struct ir_pipeline *p = compile(volumes);
	struct kube_pod_options o = {.workspace_claim = "pipec-r1-ws"};
	cJSON *pod = kube_step_pod(p, &p->steps[0], &o);
	const cJSON *c = at(pod, "spec.containers.0");
	const cJSON *ws = mount_at(c, p->workspace.base);
	cr_assert(ws, "no workspace mount at %s", p->workspace.base);
	cr_assert_str_eq(str_at(ws, "subPath"), "workspace");
	cr_assert_str_eq(str_at(c, "workingDir"), "/drone/src");
	cr_assert_str_eq(str_at(mount_at(c, "/cache"), "subPath"), "volumes/cache");
	cr_assert_str_eq(str_at(mount_at(c, "/cache"), "name"), "pipec-workspace");
	cr_assert_str_eq(str_at(volume_named(pod, "pipec-workspace"), "persistentVolumeClaim.claimName"),
			 "pipec-r1-ws");
	const char *scratch = str_at(mount_at(c, "/scratch"), "name");
	cr_assert_str_eq(str_at(volume_named(pod, scratch), "emptyDir.medium"), "Memory");
	cr_assert_str_eq(str_at(volume_named(pod, scratch), "emptyDir.sizeLimit"), "67108864");
	const char *host = str_at(mount_at(c, "/h"), "name");
	cr_assert_str_eq(str_at(volume_named(pod, host), "hostPath.path"), "/srv/data");
	const char *shm = str_at(mount_at(c, "/dev/shm"), "name");
	cr_assert_str_eq(str_at(volume_named(pod, shm), "emptyDir.medium"), "Memory");
	cr_assert_eq(cJSON_GetArraySize(at(pod, "spec.volumes")), 5);   /* + pipec-config */
	cJSON_Delete(pod);
}

Test(pod, volumes_without_a_claim_are_empty_dirs)
{
	const struct ir_pipeline *p = compile(volumes);
	struct kube_pod_options o = {0};
	cJSON *pod = kube_step_pod(p, &p->steps[0], &o);
	const cJSON *c = at(pod, "spec.containers.0");
	cr_assert_null(at(mount_at(c, p->workspace.base), "subPath"));
	cr_assert(at(volume_named(pod, "pipec-workspace"), "emptyDir"));
	cr_assert(at(volume_named(pod, str_at(mount_at(c, "/cache"), "name")), "emptyDir"));
	cr_assert_str_eq(str_at(volume_named(pod, "pipec-config"), "configMap.name"), "vols-scripts");
	cJSON_Delete(pod);
}

static const char services[] =
	"kind: pipeline\ntype: kubernetes\nname: svc\nclone:\n  disable: true\n"
	"services:\n- name: cache\n  image: redis\n  ports: [6379]\n"
	"  healthcheck:\n    test: [CMD, redis-cli, ping]\n    interval: 500ms\n"
	"steps:\n- name: first\n  image: redis\n  commands: [redis-cli -h cache ping]\n"
	"- name: second\n  image: busybox\n  entrypoint: [echo]\n  command: [$(HOME), done]\n"
	"  resources:\n    limits:\n      cpu: \"500m\"\n      memory: 128MiB\n  user: '1000:100'\n  privileged: true\n"
	"- name: notify\n  image: busybox\n  commands: [echo failed]\n  when:\n    status: [failure]\n";

Test(pod, service_pod_has_a_readiness_probe_and_its_hostname)
{
	const struct ir_pipeline *p = compile(services);
	const struct ir_step *svc = ir_step_find(p, "cache");
	cr_assert(svc && svc->detach);
	struct kube_pod_options o = {0};
	cJSON *pod = kube_step_pod(p, svc, &o);
	const cJSON *c = at(pod, "spec.containers.0");
	cr_assert_str_eq(str_at(c, "readinessProbe.exec.command.0"), "redis-cli");
	cr_assert_eq(at(c, "readinessProbe.periodSeconds")->valueint, 1);
	cr_assert_eq(at(c, "ports.0.containerPort")->valueint, 6379);
	cr_assert_str_eq(str_at(c, "ports.0.protocol"), "TCP");
	cr_assert_str_eq(str_at(pod, "spec.hostname"), "cache");
	cJSON_Delete(pod);
}

Test(pod, entrypoint_command_resources_and_security)
{
	const struct ir_pipeline *p = compile(services);
	struct kube_pod_options o = {0};
	cJSON *c = kube_container(p, ir_step_find(p, "second"), &o);
	cr_assert_str_eq(str_at(c, "command.0"), "echo");
	cr_assert_str_eq(str_at(c, "args.0"), "$$(HOME)");
	cr_assert_str_eq(str_at(c, "resources.limits.cpu"), "500m");
	cr_assert_str_eq(str_at(c, "resources.limits.memory"), "134217728");
	cr_assert_eq(at(c, "securityContext.runAsUser")->valueint, 1000);
	cr_assert_eq(at(c, "securityContext.runAsGroup")->valueint, 100);
	cr_assert(cJSON_IsTrue(at(c, "securityContext.privileged")));
	cr_assert_null(mount_at(c, KUBE_SCRIPT_PATH));
	cJSON_Delete(c);
}

static void count_unsupported(void *arg, const struct ir_step *s, const char *what)
{
	(void)s, (void)what;
	++*(int *)arg;
}

Test(pod, pipeline_pod_services_as_sidecars_steps_in_order)
{
	const struct ir_pipeline *p = compile(services);
	int n = 0;
	struct kube_pod_options o = {.unsupported = count_unsupported, .arg = &n};
	cJSON *pod = kube_pipeline_pod(p, &o);
	cr_assert_str_eq(str_at(pod, "spec.initContainers.0.name"), "cache");
	cr_assert_str_eq(str_at(pod, "spec.initContainers.0.restartPolicy"), "Always");
	cr_assert_str_eq(str_at(pod, "spec.initContainers.1.name"), "first");
	cr_assert_str_eq(str_at(pod, "spec.initContainers.2.name"), "second");
	cr_assert_null(at(pod, "spec.initContainers.2.restartPolicy"));
	cr_assert_str_eq(str_at(pod, "spec.containers.0.name"), "notify");
	cr_assert_eq(cJSON_GetArraySize(at(pod, "spec.containers")), 1);
	cr_assert_str_eq(str_at(pod, "spec.hostAliases.0.ip"), "127.0.0.1");
	cr_assert_str_eq(str_at(pod, "spec.hostAliases.0.hostnames.0"), "cache");
	cr_assert_eq(n, 1, "the on-failure step is reported, nothing else (%d)", n);
	cr_assert_str_eq(str_at(pod, "spec.initContainers.0.startupProbe.exec.command.1"), "ping");
	cr_assert_eq(at(pod, "spec.initContainers.0.startupProbe.failureThreshold")->valueint, 60,
		     "a check without retries is tried for a minute");
	cr_assert_null(at(pod, "spec.initContainers.1.startupProbe"));
	cJSON_Delete(pod);
}

static const char in_order[] =
	"kind: pipeline\ntype: kubernetes\nname: order\nclone:\n  disable: true\n"
	"steps:\n- name: flaky\n  image: busybox\n  commands: [exit 1]\n  failure: ignore\n"
	"- name: again\n  image: busybox\n  commands: [exit 1]\n"
	"- name: fine\n  image: busybox\n  commands: [true]\n";

static void count_named(void *arg, const struct ir_step *s, const char *what)
{
	(void)what;
	char *seen = arg;
	strcat(seen, s->name);
	strcat(seen, " ");
}

Test(pod, pipeline_pod_reports_what_containers_in_order_cannot_do)
{
	const struct ir_pipeline *p = compile(in_order);
	p->steps[1].retries = 2;        /* from IR only: YAML has no step retries */
	char seen[100] = "";
	struct kube_pod_options o = {.unsupported = count_named, .arg = seen};
	cJSON_Delete(kube_pipeline_pod(p, &o));
	cr_assert_str_eq(seen, "flaky again ", "failure: ignore and retries are reported (%s)", seen);
	seen[0] = 0;
	for (size_t i = 0; i < p->nsteps; i++)
		cJSON_Delete(kube_step_pod(p, &p->steps[i], &o));
	cr_assert_str_eq(seen, "", "a Pod per step runs them (%s)", seen);
}

static const char artifacts[] =
	"kind: pipeline\ntype: kubernetes\nname: art\nclone:\n  disable: true\n"
	"steps:\n- name: build\n  image: busybox\n  commands: [mkdir -p /out, echo built > /out/app.txt]\n"
	"  exports:\n  - name: app\n    path: /out\n"
	"- name: check\n  image: busybox\n  imports:\n  - app\n  - name: app\n    path: \"it's/here\"\n"
	"  commands: [cat /out/app.txt]\n";

Test(pod, artifacts_are_copied_by_the_script_through_the_claim)
{
	const struct ir_pipeline *p = compile(artifacts);
	char *build = kube_step_script(p, &p->steps[0]);
	char *check = kube_step_script(p, &p->steps[1]);
	cr_assert(build && check);
	cr_assert(strstr(build, "pipec_export 'app' '/out'"), "%s", build);
	cr_assert(strstr(build, "echo built > /out/app.txt"));
	cr_assert(strstr(check, "pipec_import 'app' '/out' || exit 1"), "%s", check);
	cr_assert(strstr(check, "pipec_import 'app' 'it'\\''s/here'"), "%s", check);
	free(build), free(check);
	struct kube_pod_options o = {.workspace_claim = "ws"};
	cJSON *pod = kube_step_pod(p, &p->steps[1], &o);
	const cJSON *m = mount_at(at(pod, "spec.containers.0"), KUBE_ARTIFACTS_PATH);
	cr_assert_str_eq(str_at(m, "subPath"), "artifacts");
	cJSON_Delete(pod);
	cJSON *cm = kube_config_map(p, "cm", &o);
	cr_assert(strstr(str_at(cm, "data.step-1"), "pipec_import"));
	cr_assert_str_eq(str_at(cm, "metadata.name"), "cm");
	cJSON_Delete(cm);
}

Test(pod, script_without_artifacts_is_the_step_script)
{
	const struct ir_pipeline *p = compile(hello);
	char *s = kube_step_script(p, &p->steps[0]);
	cr_assert_str_eq(s, p->steps[0].script);
	free(s);
	struct kube_pod_options o = {0};
	cJSON *cm = kube_config_map(p, NULL, &o);
	cr_assert_str_eq(str_at(cm, "metadata.name"), "hello-scripts");
	cr_assert_str_eq(str_at(cm, "data.step-0"), p->steps[0].script);
	cJSON_Delete(cm);
}

/* The string under `key` (which may hold dots) of the object at `path`. */
static const char *key_at(const cJSON *o, const char *path, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(at(o, path), key);
	cr_assert(cJSON_IsString(v), "%s[%s] is not a string", path, key);
	return v->valuestring;
}

static const char kube_keys[] =
	"kind: pipeline\ntype: kubernetes\nname: keys\nclone:\n  disable: true\n"
	"metadata:\n  namespace: ci-pods\n  labels: {team: platform, pipec.run: mine}\n"
	"  annotations: {owner: ops@example.com}\n"
	"node_selector: {kubernetes.io/arch: amd64}\n"
	"tolerations:\n- {key: dedicated, operator: Equal, value: ci, effect: NoExecute, toleration_seconds: 60}\n"
	"- {operator: Exists}\n"
	"service_account_name: ci-runner\n"
	"dns_config:\n  nameservers: [10.0.0.10]\n  searches: [corp.example.com]\n"
	"  options:\n  - {name: ndots, value: \"2\"}\n  - {name: edns0}\n"
	"host_aliases:\n- {ip: 10.0.0.5, hostnames: [registry.internal, mirror.internal]}\n"
	"steps:\n- name: build\n  image: busybox\n  commands: [true]\n";

Test(pod, pipeline_kubernetes_keys_reach_every_pod)
{
	const struct ir_pipeline *p = compile(kube_keys);
	cr_assert_not_null(p->kube);
	cr_assert_str_eq(p->kube->namespace, "ci-pods");
	struct kube_pod_options o = {.run_id = "r1"};
	cJSON *pods[2] = {kube_step_pod(p, &p->steps[0], &o), kube_pipeline_pod(p, &o)};
	for (int i = 0; i < 2; i++) {
		const cJSON *pod = pods[i];
		cr_assert_str_eq(str_at(pod, "metadata.labels.team"), "platform");
		cr_assert_str_eq(key_at(pod, "metadata.labels", "pipec.run"), "r1", "pipec's own label wins");
		cr_assert_str_eq(str_at(pod, "metadata.annotations.owner"), "ops@example.com");
		cr_assert_str_eq(key_at(pod, "spec.nodeSelector", "kubernetes.io/arch"), "amd64");
		cr_assert_str_eq(str_at(pod, "spec.tolerations.0.key"), "dedicated");
		cr_assert_str_eq(str_at(pod, "spec.tolerations.0.effect"), "NoExecute");
		cr_assert_eq(at(pod, "spec.tolerations.0.tolerationSeconds")->valueint, 60);
		cr_assert_str_eq(str_at(pod, "spec.tolerations.1.operator"), "Exists");
		cr_assert_null(at(pod, "spec.tolerations.1.key"));
		cr_assert_str_eq(str_at(pod, "spec.serviceAccountName"), "ci-runner");
		cr_assert_null(at(pod, "spec.automountServiceAccountToken"),
			       "a named service account keeps its token");
		cr_assert_null(at(pod, "metadata.namespace"), "the namespace is the caller's");
		cr_assert_str_eq(str_at(pod, "spec.dnsConfig.nameservers.0"), "10.0.0.10");
		cr_assert_str_eq(str_at(pod, "spec.dnsConfig.searches.0"), "corp.example.com");
		cr_assert_str_eq(str_at(pod, "spec.dnsConfig.options.0.name"), "ndots");
		cr_assert_str_eq(str_at(pod, "spec.dnsConfig.options.0.value"), "2");
		cr_assert_str_eq(str_at(pod, "spec.dnsConfig.options.1.name"), "edns0");
		cr_assert_null(at(pod, "spec.dnsConfig.options.1.value"), "an option without a value has none");
		cr_assert_str_eq(str_at(pod, "spec.hostAliases.0.ip"), "10.0.0.5");
		cr_assert_str_eq(str_at(pod, "spec.hostAliases.0.hostnames.1"), "mirror.internal");
		cJSON_Delete(pods[i]);
	}
	cJSON *cm = kube_config_map(p, "root", &o);
	cr_assert_str_eq(str_at(cm, "metadata.labels.team"), "platform", "every object has the labels");
	cJSON_Delete(cm);
}

Test(pod, without_kubernetes_keys_no_token_and_only_pipec_labels)
{
	const struct ir_pipeline *p = compile(hello);
	cr_assert_null(p->kube);
	struct kube_pod_options o = {0};
	cJSON *pod = kube_step_pod(p, &p->steps[0], &o);
	cr_assert(cJSON_IsFalse(at(pod, "spec.automountServiceAccountToken")));
	cr_assert_null(at(pod, "spec.nodeSelector"));
	cr_assert_eq(cJSON_GetArraySize(at(pod, "metadata.labels")), 2);
	cJSON_Delete(pod);
}

static const char bad_toleration[] =
	"kind: pipeline\ntype: kubernetes\nname: bad\nclone:\n  disable: true\n"
	"tolerations:\n- {key: a, operator: Maybe, effect: NoSchedule}\n"
	"steps:\n- name: build\n  image: busybox\n  commands: [true]\n";

Test(pod, a_toleration_operator_kubernetes_does_not_know_is_an_error_at_it)
{
	struct fe_context ctx = {0};
	fe_compile("t.yml", bad_toleration, strlen(bad_toleration), &ctx, arena, &dl);
	cr_assert_eq(dl.nerrors, 1, "one error (%zu)", dl.nerrors);
	const struct diag *d = NULL;
	for (size_t i = 0; i < dl.len && !d; i++)
		if (dl.items[i].severity == DIAG_ERROR)
			d = &dl.items[i];
	cr_assert_str_eq(d->rule, "invalid-value");
	cr_assert_eq(d->pos.line, 7);
	cr_assert(strstr(d->message, "'Maybe'"), "%s", d->message);
}
