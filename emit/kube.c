/*
 * kube.c - Kubernetes objects: per pipeline, a ConfigMap holding its
 * scripts and files and a Job whose one Pod runs the whole pipeline.
 *
 * The Pod is the one `pipec run --backend=kube --kube-single-pod` sends,
 * built by the same code (backend-kube/kube.h: kube_pipeline_pod(),
 * kube_config_map()): services as native sidecars (init containers with
 * restartPolicy Always, reachable by name), the other steps as init
 * containers in the normalized order, the workspace an emptyDir, secrets
 * as secretKeyRefs into the Secret `--secret-name`, never values.  What
 * that builder cannot express it reports through a callback, which
 * becomes a warning here.
 *
 * A Pod's containers run in order and stop at the first failure, so run
 * policies are settled before the Pod is built, on a copy of the
 * pipeline: a step that runs only after a failure is left out, one that
 * always runs runs like the others, an ignored failure fails the Job; each
 * is warned about.  Steps without an image (exec pipelines) run in
 * `--exec-image`.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backend-kube/kube.h"
#include "emit/internal.h"

/* What the Pod builder reports for itself; the rest is checked here. */
static const unsigned lacks = EMIT_TIMEOUT;

struct kube {
	struct emit *e;
	const char *secret;
	const char **jobs;      /* the Job names so far */
	size_t njobs;
};

static void unsupported(void *arg, const struct ir_step *s, const char *what)
{
	struct kube *k = arg;
	emit_warn(k->e, s->pos, "step '%s' asks for %s, which the Job's Pod cannot express: "
		  "dropped", s->name, what);
}

/* The run policy of `s` made one a Pod keeps, warned about; false: leave it out. */
static bool settle_policy(struct kube *k, struct ir_step *s)
{
	if (s->detach)
		return true;
	if (s->run_policy == IR_RUN_ON_FAILURE) {
		emit_warn(k->e, s->pos, "step '%s' runs only after a failure, and a Pod's "
			  "containers stop at the first one: it is left out", s->name);
		return false;
	}
	if (s->run_policy == IR_RUN_ALWAYS) {
		emit_warn(k->e, s->pos, "step '%s' runs only when the steps before it succeed: "
			  "a Pod's containers stop at the first failure", s->name);
		s->run_policy = IR_RUN_ON_SUCCESS;
	}
	if (s->ignore_error) {
		emit_warn(k->e, s->pos, "a failure of step '%s' fails the Job: a Pod's containers "
			  "stop at the first failure", s->name);
		s->ignore_error = false;
	}
	return true;
}

/* `p` as the Pod can run it: images given, run policies settled. */
static struct ir_pipeline *settled(struct kube *k, const struct ir_pipeline *p)
{
	struct ir_pipeline *q = ir_alloc(k->e->a, sizeof *q);
	*q = *p;
	q->steps = ir_calloc(k->e->a, p->nsteps + 1, sizeof *q->steps);
	for (size_t i = 0; i < p->nsteps; i++) {
		struct ir_step *s = &q->steps[i];
		*s = p->steps[i];
		emit_check_step(k->e, s, lacks);
		s->image = (char *)emit_image(k->e, p, &p->steps[i]);
		if (!settle_policy(k, s)) {
			s->skip = ir_alloc(k->e->a, sizeof *s->skip);
			s->skip->reason = "it runs only after a failure";
			s->skip->pos = s->pos;
		}
	}
	return q;
}

static void warn_pipeline(struct kube *k, const struct ir_pipeline *p)
{
	emit_check_pipeline(k->e, p, EMIT_P_NETWORKS | EMIT_P_PULL_SECRETS | EMIT_P_PLATFORM);
	if (p->depends_on.n || p->run_policy != IR_RUN_ON_SUCCESS)
		emit_warn(k->e, p->pos, "the order of pipeline '%s' after others is dropped: its "
			  "Job is written after theirs and starts when applied", p->name);
	emit_warn_kube_secrets(k->e, p, k->secret);
}

/* A DNS label for the pipeline's Job, unique in the output. */
static const char *job_name(struct kube *k, const struct ir_pipeline *p)
{
	char base[KUBE_MAX_NAME + 1];
	kube_label_value(p->name, true, base, sizeof base);
	const char *name = ir_strdup(k->e->a, base);
	for (size_t n = 2;; n++) {
		bool clash = false;
		for (size_t i = 0; i < k->njobs && !clash; i++)
			clash = strcmp(k->jobs[i], name) == 0;
		if (!clash)
			break;
		name = ir_printf(k->e->a, "%.*s-%zu", KUBE_MAX_NAME - 8, base, n);
	}
	k->jobs[k->njobs++] = name;
	return name;
}

/* kubernetes.io/os and /arch from the pipeline's platform, unless its node_selector names them. */
static void add_node_selector(cJSON *spec, const struct ir_platform *pl)
{
	cJSON *sel = cJSON_GetObjectItemCaseSensitive(spec, "nodeSelector");
	if (!sel)
		sel = cJSON_AddObjectToObject(spec, "nodeSelector");
	if (!cJSON_GetObjectItemCaseSensitive(sel, "kubernetes.io/os"))
		cJSON_AddStringToObject(sel, "kubernetes.io/os", pl->os ? pl->os : "linux");
	if (!cJSON_GetObjectItemCaseSensitive(sel, "kubernetes.io/arch"))
		cJSON_AddStringToObject(sel, "kubernetes.io/arch", pl->arch ? pl->arch : "amd64");
}

static cJSON *job(struct kube *k, const struct ir_pipeline *p, const struct kube_pod_options *o)
{
	cJSON *pod = kube_pipeline_pod(p, o);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "apiVersion", "batch/v1");
	cJSON_AddStringToObject(j, "kind", "Job");
	cJSON *m = cJSON_AddObjectToObject(j, "metadata");
	cJSON_AddStringToObject(m, "name", job_name(k, p));
	cJSON_AddItemToObject(m, "labels", kube_labels(NULL, p->name, NULL));
	cJSON *spec = cJSON_AddObjectToObject(j, "spec");
	cJSON_AddNumberToObject(spec, "backoffLimit", 0);
	if (p->timeout > 0)
		cJSON_AddNumberToObject(spec, "activeDeadlineSeconds", p->timeout);
	cJSON *tmpl = cJSON_AddObjectToObject(spec, "template");
	cJSON_AddItemToObject(tmpl, "metadata", cJSON_DetachItemFromObject(pod, "metadata"));
	cJSON *pspec = cJSON_DetachItemFromObject(pod, "spec");
	add_node_selector(pspec, &p->platform);
	cJSON_AddItemToObject(tmpl, "spec", pspec);
	cJSON_Delete(pod);
	return j;
}

static void pipeline(struct kube *k, cJSON *docs, const struct ir_pipeline *p)
{
	warn_pipeline(k, p);
	const struct ir_pipeline *q = settled(k, p);
	struct kube_pod_options o = {.secret_name = k->secret, .unsupported = unsupported,
				     .arg = k};
	cJSON *cm = kube_config_map(q, NULL, &o);
	if (cm)
		cJSON_AddItemToArray(docs, cm);
	cJSON_AddItemToArray(docs, job(k, q, &o));
}

static char *header(struct kube *k)
{
	const char *src = k->e->opt->source;
	return ir_printf(k->e->a, "# Written by `pipec emit --format=kube`%s%s: per pipeline, a\n"
			 "# ConfigMap with its scripts and a Job running it in one Pod.  Step\n"
			 "# secrets are read from the Secret '%s'.\n",
			 src ? " from " : "", src ? src : "", k->secret);
}

char *emit_kube(const struct ir_doc *doc, const struct emit_options *opt, struct diag_list *dl)
{
	struct emit e;
	emit_begin(&e, "kube", opt, dl);
	struct kube k = {.e = &e, .secret = opt->secret_name ? opt->secret_name : EMIT_KUBE_SECRET};
	k.jobs = ir_calloc(e.a, doc->npipelines + 1, sizeof *k.jobs);
	cJSON *docs = cJSON_CreateArray();
	for (size_t i = 0; i < doc->npipelines; i++)
		pipeline(&k, docs, &doc->pipelines[i]);
	if (!doc->npipelines)
		emit_refuse(&e, (struct ir_pos){.file = opt->source}, "no pipeline runs for this build");
	char *text = emit_yaml(&e, docs, header(&k));
	cJSON_Delete(docs);
	return emit_end(&e, text);
}
