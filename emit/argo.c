/*
 * argo.c - an Argo Workflow: per pipeline a DAG template whose tasks
 * mirror the step graph, one container template per step, and the
 * pipelines' ConfigMaps (scripts and files) before it.
 *
 * Each step's container is the one `pipec run --backend=kube` sends
 * (backend-kube/kube.h: kube_step_pod()), with the workspace, temp
 * volumes and artifacts on one claim made for the workflow
 * (volumeClaimTemplates) so that steps in different Pods share them; the
 * step Pod's other volumes are the template's, its Pod-level settings
 * (DNS, extra hosts, host network) a podSpecPatch.  A service is a daemon
 * template; steps after it reach it by name through a hostAlias to the
 * daemon's IP, passed in as a parameter since only a task knows it.
 *
 * A task's `depends` is its step's run policy over its direct
 * dependencies: on success the names alone (Argo's default: succeeded,
 * skipped or daemoned), on failure `.Failed`, `.Errored` or `.Omitted`
 * (omitted after a failure further up), always every end a task can have.
 * Pipelines are tasks of one more DAG the same way.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backend-kube/kube.h"
#include "emit/internal.h"

#define CLAIM "pipec-workspace"
#define CLAIM_SIZE "1Gi"
#define ENTRY "pipelines"

struct argo {
	struct emit *e;
	const char *secret;
	cJSON *templates;
	const char **names;     /* template names so far */
	size_t nnames, cap;
	/* the pipeline being written */
	const struct ir_pipeline *p;
	const char **tasks;     /* task names, per step */
};

static void unsupported(void *arg, const struct ir_step *s, const char *what)
{
	struct argo *g = arg;
	emit_warn(g->e, s->pos, "step '%s' asks for %s, which a Workflow's Pod cannot "
		  "express: dropped", s->name, what);
}

/* `name` as a DNS label unique among `taken[0..n)`. */
static const char *unique(struct argo *g, const char *name, const char **taken, size_t n)
{
	return emit_unique_id(g->e, name, "s-", taken, n);
}

static const char *template_name(struct argo *g, const char *name)
{
	const char *t = unique(g, name, g->names, g->nnames);
	g->names[g->nnames++] = t;
	return t;
}

/* The `depends` of a task running under `rp` after the tasks `deps`. */
static char *depends(struct argo *g, enum ir_run_policy rp, const char **deps, size_t n)
{
	if (!n)
		return NULL;
	static const char *const ends[] = {"Succeeded", "Failed", "Errored", "Skipped",
					   "Omitted", "Daemoned"};
	char *out = "";
	for (size_t i = 0; i < n; i++) {
		const char *term = deps[i];
		if (rp == IR_RUN_ON_FAILURE)
			term = ir_printf(g->e->a, "%s.Failed || %s.Errored || %s.Omitted",
					 deps[i], deps[i], deps[i]);
		else if (rp == IR_RUN_ALWAYS)
			for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++)
				term = ir_printf(g->e->a, "%s%s%s.%s", k ? term : "", k ? " || " : "",
						 deps[i], ends[k]);
		const char *join = rp == IR_RUN_ON_SUCCESS ? " && " : rp == IR_RUN_ALWAYS ? " && " : " || ";
		out = ir_printf(g->e->a, "%s%s%s%s%s", out, i ? join : "",
				rp == IR_RUN_ON_SUCCESS ? "" : "(", term,
				rp == IR_RUN_ON_SUCCESS ? "" : ")");
	}
	return out;
}

/* ---- Steps --------------------------------------------------------------- */

/* True when step `a` comes after step `b` in the graph. */
static bool after(struct argo *g, const struct ir_step *a, const struct ir_step *b)
{
	for (size_t k = 0; k < a->depends_on.n; k++) {
		const struct ir_step *d = ir_step_find(g->p, a->depends_on.v[k]);
		if (d && (d == b || after(g, d, b)))
			return true;
	}
	return false;
}

/*
 * True when step `s` waits for service `svc`, as the runtime starts
 * services before the steps: every step but those the service itself
 * comes after.
 */
static bool waits_for(struct argo *g, const struct ir_step *s, const struct ir_step *svc)
{
	return svc->detach && !svc->skip && s != svc && !s->detach && !after(g, svc, s);
}

/* The services step `s` comes after, by index; their IPs are its parameters. */
static void add_service_ips(struct argo *g, const struct ir_step *s, cJSON *task, cJSON *tmpl,
			    cJSON *patch)
{
	cJSON *args = NULL, *inputs = NULL, *aliases = cJSON_GetObjectItem(patch, "hostAliases");
	for (size_t i = 0; i < g->p->nsteps; i++) {
		const struct ir_step *svc = &g->p->steps[i];
		if (!waits_for(g, s, svc))
			continue;
		const char *param = ir_printf(g->e->a, "ip-%s", g->tasks[i]);
		if (!args) {
			args = cJSON_AddArrayToObject(cJSON_AddObjectToObject(task, "arguments"), "parameters");
			inputs = cJSON_AddArrayToObject(cJSON_AddObjectToObject(tmpl, "inputs"), "parameters");
		}
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "name", param);
		cJSON_AddStringToObject(a, "value", ir_printf(g->e->a, "{{tasks.%s.ip}}", g->tasks[i]));
		cJSON_AddItemToArray(args, a);
		cJSON *in = cJSON_CreateObject();
		cJSON_AddStringToObject(in, "name", param);
		cJSON_AddItemToArray(inputs, in);
		if (!aliases)
			aliases = cJSON_AddArrayToObject(patch, "hostAliases");
		cJSON *h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "ip", ir_printf(g->e->a, "{{inputs.parameters.%s}}", param));
		cJSON_AddItemToArray(cJSON_AddArrayToObject(h, "hostnames"), cJSON_CreateString(svc->name));
		cJSON_AddItemToArray(aliases, h);
	}
}

/* The Pod-level settings of the step's Pod, as a patch. */
static cJSON *pod_patch(cJSON *spec)
{
	cJSON *patch = cJSON_CreateObject();
	static const char *const keys[] = {"hostAliases", "dnsConfig", "hostNetwork"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		cJSON *v = cJSON_DetachItemFromObject(spec, keys[i]);
		if (v)
			cJSON_AddItemToObject(patch, keys[i], v);
	}
	return patch;
}

/* The step's volumes but the workspace claim, which the workflow makes. */
static cJSON *template_volumes(cJSON *spec)
{
	cJSON *vols = cJSON_DetachItemFromObject(spec, "volumes"), *v = vols ? vols->child : NULL;
	while (v) {
		cJSON *next = v->next;
		if (strcmp(cJSON_GetObjectItem(v, "name")->valuestring, CLAIM) == 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(vols, v));
		v = next;
	}
	return vols;
}

static cJSON *step_template(struct argo *g, const struct ir_step *s, cJSON *task,
			    const char *name, const struct kube_pod_options *o)
{
	cJSON *pod = kube_step_pod(g->p, s, o);
	cJSON *spec = cJSON_GetObjectItem(pod, "spec");
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "name", name);
	cJSON *patch = pod_patch(spec);
	add_service_ips(g, s, task, t, patch);
	cJSON *cs = cJSON_GetObjectItem(spec, "containers");
	cJSON_AddItemToObject(t, "container", cJSON_DetachItemFromArray(cs, 0));
	cJSON *vols = template_volumes(spec);
	if (vols && vols->child)
		cJSON_AddItemToObject(t, "volumes", vols);
	else
		cJSON_Delete(vols);
	cJSON *sel = cJSON_AddObjectToObject(t, "nodeSelector");
	cJSON_AddStringToObject(sel, "kubernetes.io/os", g->p->platform.os ? g->p->platform.os : "linux");
	cJSON_AddStringToObject(sel, "kubernetes.io/arch", g->p->platform.arch ? g->p->platform.arch : "amd64");
	if (s->detach)
		cJSON_AddBoolToObject(t, "daemon", true);
	if (s->retries > 0)
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(t, "retryStrategy"), "limit", s->retries);
	if (s->timeout > 0)
		cJSON_AddNumberToObject(t, "activeDeadlineSeconds", s->timeout);
	if (patch->child) {
		char *text = cJSON_PrintUnformatted(patch);
		cJSON_AddStringToObject(t, "podSpecPatch", text);
		free(text);
	}
	cJSON_Delete(patch);
	cJSON_Delete(pod);
	return t;
}

static cJSON *task(struct argo *g, size_t i, const struct kube_pod_options *o)
{
	const struct ir_step *s = &g->p->steps[i];
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "name", g->tasks[i]);
	const char *tmpl = template_name(g, ir_printf(g->e->a, "%s-%s", g->p->name, s->name));
	cJSON_AddStringToObject(t, "template", tmpl);
	const char **deps = ir_calloc(g->e->a, s->depends_on.n + 1, sizeof *deps);
	size_t n = 0;
	for (size_t k = 0; k < s->depends_on.n; k++) {
		const struct ir_step *d = ir_step_find(g->p, s->depends_on.v[k]);
		if (d && !d->skip)
			deps[n++] = g->tasks[d - g->p->steps];
	}
	char *dep = depends(g, s->run_policy, deps, n), *svcs = NULL;
	for (size_t k = 0; k < g->p->nsteps; k++) {
		bool listed = false;
		for (size_t j = 0; j < n && !listed; j++)
			listed = strcmp(deps[j], g->tasks[k]) == 0;
		if (waits_for(g, s, &g->p->steps[k]) && !listed)
			svcs = svcs ? ir_printf(g->e->a, "%s && %s", svcs, g->tasks[k]) :
				      (char *)g->tasks[k];
	}
	if (svcs)
		dep = dep ? ir_printf(g->e->a, "%s && %s", svcs, dep) : svcs;
	if (dep)
		cJSON_AddStringToObject(t, "depends", dep);
	if (s->ignore_error)
		cJSON_AddBoolToObject(cJSON_AddObjectToObject(t, "continueOn"), "failed", true);
	cJSON_AddItemToArray(g->templates, step_template(g, s, t, tmpl, o));
	return t;
}

/* ---- Pipelines ----------------------------------------------------------- */

/* `p` with every step given an image (exec pipelines run in --exec-image). */
static const struct ir_pipeline *with_images(struct argo *g, const struct ir_pipeline *p)
{
	struct ir_pipeline *q = ir_alloc(g->e->a, sizeof *q);
	*q = *p;
	q->steps = ir_calloc(g->e->a, p->nsteps + 1, sizeof *q->steps);
	for (size_t i = 0; i < p->nsteps; i++) {
		q->steps[i] = p->steps[i];
		q->steps[i].image = (char *)emit_image(g->e, p, &p->steps[i]);
	}
	return q;
}

/* The pipeline's DAG template (and its steps'); returns its name. */
static const char *pipeline(struct argo *g, cJSON *docs, const struct ir_pipeline *p)
{
	emit_check_pipeline(g->e, p, EMIT_P_NETWORKS | EMIT_P_PULL_SECRETS | EMIT_P_PLATFORM |
			    EMIT_P_TIMEOUT);
	emit_warn_kube_secrets(g->e, p, g->secret);
	g->p = with_images(g, p);
	struct kube_pod_options o = {.secret_name = g->secret, .workspace_claim = CLAIM,
				     .unsupported = unsupported, .arg = g};
	cJSON *cm = kube_config_map(g->p, NULL, &o);
	if (cm)
		cJSON_AddItemToArray(docs, cm);
	g->tasks = ir_calloc(g->e->a, p->nsteps + 1, sizeof *g->tasks);
	for (size_t i = 0; i < p->nsteps; i++)
		g->tasks[i] = unique(g, p->steps[i].name, g->tasks, i);
	const char *name = template_name(g, p->name);
	cJSON *dag = cJSON_CreateObject();
	cJSON_AddStringToObject(dag, "name", name);
	cJSON *tasks = cJSON_AddArrayToObject(cJSON_AddObjectToObject(dag, "dag"), "tasks");
	cJSON_AddItemToArray(g->templates, dag);
	for (size_t i = 0; i < p->nsteps; i++)
		cJSON_AddItemToArray(tasks, task(g, i, &o));
	return name;
}

/* The DAG of the pipelines, after their depends_on, when there are several. */
static void pipelines_dag(struct argo *g, const struct ir_doc *doc, const char **names)
{
	cJSON *dag = cJSON_CreateObject();
	cJSON_AddStringToObject(dag, "name", ENTRY);
	cJSON *tasks = cJSON_AddArrayToObject(cJSON_AddObjectToObject(dag, "dag"), "tasks");
	for (size_t i = 0; i < doc->npipelines; i++) {
		const struct ir_pipeline *p = &doc->pipelines[i];
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "name", names[i]);
		cJSON_AddStringToObject(t, "template", names[i]);
		const char **deps = ir_calloc(g->e->a, p->depends_on.n + 1, sizeof *deps);
		size_t n = 0;
		for (size_t k = 0; k < p->depends_on.n; k++) {
			const struct ir_pipeline *d = ir_pipeline_find(doc, p->depends_on.v[k]);
			if (d)
				deps[n++] = names[d - doc->pipelines];
		}
		char *dep = depends(g, p->run_policy, deps, n);
		if (dep)
			cJSON_AddStringToObject(t, "depends", dep);
		cJSON_AddItemToArray(tasks, t);
	}
	cJSON_InsertItemInArray(g->templates, 0, dag);
}

static cJSON *claim(void)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "apiVersion", "v1");
	cJSON_AddStringToObject(c, "kind", "PersistentVolumeClaim");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "metadata"), "name", CLAIM);
	cJSON *spec = cJSON_AddObjectToObject(c, "spec");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "accessModes"),
			     cJSON_CreateString("ReadWriteOnce"));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "resources"),
							"requests"), "storage", CLAIM_SIZE);
	return c;
}

static cJSON *workflow(struct argo *g, cJSON *docs, const struct ir_doc *doc)
{
	cJSON *w = cJSON_CreateObject();
	cJSON_AddStringToObject(w, "apiVersion", "argoproj.io/v1alpha1");
	cJSON_AddStringToObject(w, "kind", "Workflow");
	cJSON *m = cJSON_AddObjectToObject(w, "metadata");
	cJSON *spec = cJSON_CreateObject();
	g->templates = cJSON_CreateArray();
	const char **names = ir_calloc(g->e->a, doc->npipelines + 1, sizeof *names);
	for (size_t i = 0; i < doc->npipelines; i++)
		names[i] = pipeline(g, docs, &doc->pipelines[i]);
	cJSON_AddStringToObject(m, "generateName", ir_printf(g->e->a, "%s-",
				doc->npipelines == 1 ? names[0] : "pipec"));
	if (doc->npipelines > 1)
		pipelines_dag(g, doc, names);
	cJSON_AddStringToObject(spec, "entrypoint", doc->npipelines == 1 ? names[0] : ENTRY);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "volumeClaimTemplates"), claim());
	cJSON_AddItemToObject(spec, "templates", g->templates);
	cJSON_AddItemToObject(w, "spec", spec);
	return w;
}

static char *header(struct argo *g)
{
	const char *src = g->e->opt->source;
	return ir_printf(g->e->a, "# Written by `pipec emit --format=argo`%s%s: the pipelines'\n"
			 "# ConfigMaps and an Argo Workflow running them (kubectl create, for\n"
			 "# its generateName).  Step secrets are read from the Secret '%s'.\n",
			 src ? " from " : "", src ? src : "", g->secret);
}

char *emit_argo(const struct ir_doc *doc, const struct emit_options *opt, struct diag_list *dl)
{
	struct emit e;
	emit_begin(&e, "argo", opt, dl);
	struct argo g = {.e = &e, .secret = opt->secret_name ? opt->secret_name : EMIT_KUBE_SECRET};
	size_t steps = 0;
	for (size_t i = 0; i < doc->npipelines; i++)
		steps += doc->pipelines[i].nsteps;
	g.names = ir_calloc(e.a, doc->npipelines + steps + 2, sizeof *g.names);
	if (!doc->npipelines) {
		emit_refuse(&e, (struct ir_pos){.file = opt->source}, "no pipeline runs for this build");
		return emit_end(&e, NULL);
	}
	cJSON *docs = cJSON_CreateArray();
	/* the ConfigMaps first (the Workflow mounts them), then the Workflow */
	cJSON *w = workflow(&g, docs, doc);
	cJSON_AddItemToArray(docs, w);
	char *text = emit_yaml(&e, docs, header(&g));
	cJSON_Delete(docs);
	return emit_end(&e, text);
}
