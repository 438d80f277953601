/*
 * emit.c - the table of formats and what every emitter shares: findings,
 * the settings a format cannot express, environments, names.
 *
 * Each emitter opens an emission with emit_begin(), which gives it an
 * arena for scratch strings and remembers how many errors there were, and
 * closes it with emit_end(), which drops the text when the emitter refused
 * something.  The settings no format of a family can express are listed
 * once here (step_settings[]) so that each emitter only names the ones it
 * lacks and every warning reads the same.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backend-kube/kube.h"
#include "emit/internal.h"
#include "validate/validate.h"

const struct emit_format emit_formats[] = {
	{"drone-runtime", "drone-runtime's 2019 spec format (JSON), one pipeline per object",
	 emit_drone_runtime},
	{"sh", "a POSIX shell script running the pipelines with the docker CLI", emit_sh},
	{"github", "a GitHub Actions workflow, one job per pipeline", emit_github},
	{"kube", "Kubernetes objects: a Job per pipeline running it in one Pod", emit_kube},
	{"argo", "an Argo Workflow, a DAG of the steps per pipeline", emit_argo},
};
const size_t emit_nformats = sizeof emit_formats / sizeof emit_formats[0];

const struct emit_format *emit_format_find(const char *name)
{
	for (size_t i = 0; i < emit_nformats; i++)
		if (strcmp(emit_formats[i].name, name) == 0)
			return &emit_formats[i];
	return NULL;
}

char *emit_document(const struct emit_format *f, const struct ir_doc *doc,
		    const struct emit_options *opt, struct diag_list *dl)
{
	static const struct emit_options none;
	return f->emit(doc, opt ? opt : &none, dl);
}

void emit_report_skipped(const struct emit_format *f, const struct ir_doc *doc,
			 struct diag_list *dl)
{
	for (size_t i = 0; i < doc->npipelines; i++) {
		const struct ir_pipeline *p = &doc->pipelines[i];
		if (val_is_skipped(p->skip, p->run_policy)) {
			diag_warning(dl, p->pos, "emit-unsupported",
				     "%s: pipeline '%s' is left out: %s", f->name, p->name,
				     p->skip ? p->skip->reason : "it never runs");
			continue;
		}
		for (size_t k = 0; k < p->nsteps; k++) {
			const struct ir_step *s = &p->steps[k];
			if (val_is_skipped(s->skip, s->run_policy))
				diag_warning(dl, s->pos, "emit-unsupported",
					     "%s: step '%s' is left out: %s", f->name, s->name,
					     s->skip ? s->skip->reason : "it never runs");
		}
	}
}

/* ---- Emissions and findings ---------------------------------------------- */

void emit_begin(struct emit *e, const char *name, const struct emit_options *opt,
		struct diag_list *dl)
{
	*e = (struct emit){.f = emit_format_find(name), .opt = opt, .dl = dl,
			   .a = ir_arena_new(), .errors_before = dl->nerrors};
}

char *emit_end(struct emit *e, char *text)
{
	ir_arena_free(e->a);
	e->a = NULL;
	if (e->dl->nerrors > e->errors_before) {
		free(text);
		return NULL;
	}
	return text;
}

static void finding(struct emit *e, enum diag_severity sev, struct ir_pos pos,
		    const char *rule, const char *fmt, va_list ap)
{
	/* format names hold no '%' */
	diag_vadd(e->dl, sev, pos, rule, ir_printf(e->a, "%s: %s", e->f->name, fmt), ap);
}

void emit_warn(struct emit *e, struct ir_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	finding(e, DIAG_WARNING, pos, "emit-unsupported", fmt, ap);
	va_end(ap);
}

int emit_refuse(struct emit *e, struct ir_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	finding(e, DIAG_ERROR, pos, "emit-refused", fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- Settings a format lacks --------------------------------------------- */

struct setting {
	unsigned bit;
	const char *key;
	bool (*set)(const struct ir_step *);
};

static bool has_retries(const struct ir_step *s) { return s->retries > 0; }
static bool has_timeout(const struct ir_step *s) { return s->timeout > 0; }
static bool has_health(const struct ir_step *s) { return ir_step_extra(s)->health != NULL; }
static bool has_exports(const struct ir_step *s) { return ir_step_extra(s)->nexports > 0; }
static bool has_imports(const struct ir_step *s) { return ir_step_extra(s)->nimports > 0; }
static bool has_devices(const struct ir_step *s) { return ir_step_extra(s)->ndevices > 0; }
static bool has_privileged(const struct ir_step *s) { return s->privileged; }
static bool has_ports(const struct ir_step *s) { return ir_step_extra(s)->nports > 0; }
static bool has_dns(const struct ir_step *s) { return ir_step_extra(s)->dns.n || ir_step_extra(s)->dns_search.n; }
static bool has_hosts(const struct ir_step *s) { return ir_step_extra(s)->extra_hosts.n > 0; }
static bool has_netmode(const struct ir_step *s) { return ir_step_extra(s)->network_mode != NULL; }
static bool has_networks(const struct ir_step *s) { return ir_step_extra(s)->networks.n > 0; }
static bool has_shm(const struct ir_step *s) { return ir_step_extra(s)->resources.shm_size > 0; }
static bool has_limits(const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	return ex->resources.cpu_millis > 0 || ex->resources.memory > 0;
}
static bool has_files(const struct ir_step *s) { return ir_step_extra(s)->nfiles > 0; }
static bool has_user(const struct ir_step *s) { return ir_step_extra(s)->user != NULL; }
static bool has_pull(const struct ir_step *s) { return s->pull != IR_PULL_DEFAULT; }
static bool has_ignore(const struct ir_step *s) { return s->ignore_error; }
static bool has_detach(const struct ir_step *s) { return s->detach; }

static const struct setting step_settings[] = {
	{EMIT_RETRIES, "retries", has_retries},
	{EMIT_TIMEOUT, "timeout", has_timeout},
	{EMIT_HEALTH, "healthcheck", has_health},
	{EMIT_EXPORTS, "exports", has_exports},
	{EMIT_IMPORTS, "imports", has_imports},
	{EMIT_DEVICES, "devices", has_devices},
	{EMIT_PRIVILEGED, "privileged", has_privileged},
	{EMIT_PORTS, "ports", has_ports},
	{EMIT_DNS, "dns", has_dns},
	{EMIT_EXTRA_HOSTS, "extra_hosts", has_hosts},
	{EMIT_NETWORK_MODE, "network_mode", has_netmode},
	{EMIT_NETWORKS, "networks", has_networks},
	{EMIT_SHM, "shm_size", has_shm},
	{EMIT_LIMITS, "resource limits", has_limits},
	{EMIT_FILES, "files", has_files},
	{EMIT_USER, "user", has_user},
	{EMIT_PULL, "pull", has_pull},
	{EMIT_IGNORE_ERROR, "failure: ignore", has_ignore},
	{EMIT_DETACH, "detach", has_detach},
};

void emit_check_step(struct emit *e, const struct ir_step *s, unsigned unsupported)
{
	for (size_t i = 0; i < sizeof step_settings / sizeof step_settings[0]; i++) {
		const struct setting *t = &step_settings[i];
		if ((unsupported & t->bit) && t->set(s))
			emit_warn(e, s->pos, "'%s' of step '%s' is dropped: the format has no equivalent",
				  t->key, s->name);
	}
}

/* A format that picks its machine by os and arch alone: the variant and
 * version of the platform are all it drops, so the warning says so. */
static void check_platform(struct emit *e, const struct ir_pipeline *p)
{
	const struct ir_platform *pl = &p->platform;
	if (!pl->variant && !pl->version)
		return;
	const char *variant = pl->variant ? ir_printf(e->a, " variant '%s'", pl->variant) : "";
	const char *version = pl->version ? ir_printf(e->a, " version '%s'", pl->version) : "";
	emit_warn(e, p->pos, "pipeline '%s' is for %s/%s%s%s: the %s format picks a machine "
		  "by os and arch alone and drops the rest", p->name, pl->os ? pl->os : "linux",
		  pl->arch ? pl->arch : "amd64", variant, version, e->f->name);
}

void emit_check_pipeline(struct emit *e, const struct ir_pipeline *p, unsigned unsupported)
{
	const struct {
		unsigned bit;
		const char *key;
		bool set;
	} t[] = {
		{EMIT_P_TIMEOUT, "timeout", p->timeout > 0},
		{EMIT_P_NETWORKS, "networks", p->nnetworks > 0},
		{EMIT_P_PULL_SECRETS, "image_pull_secrets", p->pull_secrets.n > 0},
		{EMIT_P_DEPENDS, "depends_on", p->depends_on.n > 0},
		{EMIT_P_FILES, "files", p->nfiles > 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if ((unsupported & t[i].bit) && t[i].set)
			emit_warn(e, p->pos, "'%s' of pipeline '%s' is dropped: the format has no equivalent",
				  t[i].key, p->name);
	if (unsupported & EMIT_P_PLATFORM)
		check_platform(e, p);
}

/* ---- Shared answers ------------------------------------------------------ */

static int kv_cmp(const void *x, const void *y)
{
	return strcmp(((const struct ir_kv *)x)->key, ((const struct ir_kv *)y)->key);
}

struct ir_env emit_step_env(struct emit *e, const struct ir_pipeline *p,
			    const struct ir_step *s)
{
	struct ir_env env = {ir_calloc(e->a, p->environment.n + s->environment.n + 1,
				       sizeof *env.v), 0};
	for (size_t i = 0; i < p->environment.n; i++)
		if (!ir_env_get(&s->environment, p->environment.v[i].key))
			env.v[env.n++] = p->environment.v[i];
	for (size_t i = 0; i < s->environment.n; i++)
		env.v[env.n++] = s->environment.v[i];
	qsort(env.v, env.n, sizeof *env.v, kv_cmp);
	return env;
}

const char *emit_image(struct emit *e, const struct ir_pipeline *p, const struct ir_step *s)
{
	if (s->image)
		return s->image;
	const char *img = e->opt->exec_image ? e->opt->exec_image : "busybox";
	if (e->exec_warned != p)
		emit_warn(e, s->pos, "the steps of %s pipeline '%s' run in image '%s' "
			  "(--exec-image): the format runs every step in a container",
			  ir_backend_name(p->backend), p->name, img);
	e->exec_warned = p;
	return img;
}

const char *emit_workdir(struct emit *e, const struct ir_pipeline *p, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (ex->working_dir)
		return ex->working_dir;
	if (!p->workspace.base)
		return NULL;
	if (!p->workspace.path || !*p->workspace.path)
		return p->workspace.base;
	return ir_printf(e->a, "%s/%s", p->workspace.base, p->workspace.path);
}

char *emit_dns_label(struct emit *e, const char *name, size_t max)
{
	size_t n = strlen(name);
	char *out = ir_alloc(e->a, (n < max ? n : max) + 2), *o = out;
	for (const char *c = name; *c && (size_t)(o - out) < max; c++) {
		char ch = (char)tolower((unsigned char)*c);
		if (!isalnum((unsigned char)ch))
			ch = '-';
		if (ch == '-' && (o == out || o[-1] == '-'))
			continue;
		*o++ = ch;
	}
	while (o > out && o[-1] == '-')
		o--;
	if (o == out)
		*o++ = 'x';
	*o = '\0';
	return out;
}

const char *emit_unique_id(struct emit *e, const char *name, const char *lead,
			   const char **taken, size_t n)
{
	const char *id = emit_dns_label(e, name, 56);
	if (isdigit((unsigned char)id[0]))
		id = ir_printf(e->a, "%s%s", lead, id);
	const char *base = id;
	for (size_t k = 2;; k++) {
		bool clash = false;
		for (size_t i = 0; i < n && !clash; i++)
			clash = strcmp(taken[i], id) == 0;
		if (!clash)
			return id;
		id = ir_printf(e->a, "%s-%zu", base, k);
	}
}

char *emit_var_name(struct emit *e, const char *prefix, const char *name)
{
	char *out = ir_printf(e->a, "%s%s", prefix, name);
	for (char *c = out; *c; c++)
		*c = isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_';
	if (isdigit((unsigned char)out[0]))
		out = ir_printf(e->a, "_%s", out);
	return out;
}

void emit_warn_kube_secrets(struct emit *e, const struct ir_pipeline *p, const char *secret)
{
	for (size_t i = 0; i < p->nsecrets; i++) {
		const struct ir_secret *s = &p->secrets[i];
		char key[256];
		kube_secret_key(s->name, key, sizeof key);
		if (s->source != IR_SECRET_RUNTIME)
			emit_warn(e, s->pos, "secret '%s' is read from %s '%s' by pipec; the format "
				  "reads key '%s' of Secret '%s'", s->name,
				  ir_secret_source_name(s->source), s->ref, key, secret);
	}
}

const struct ir_secret *emit_secret(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nsecrets; i++)
		if (strcmp(p->secrets[i].name, name) == 0)
			return &p->secrets[i];
	return NULL;
}

size_t emit_step_index(const struct ir_pipeline *p, const struct ir_step *s)
{
	return (size_t)(s - p->steps);
}

/* ---- Text ---------------------------------------------------------------- */

int emit_stream_begin(struct emit *e, struct emit_stream *s)
{
	*s = (struct emit_stream){0};
	s->fp = open_memstream(&s->text, &s->len);
	if (!s->fp)
		return emit_refuse(e, (struct ir_pos){0}, "out of memory");
	return 0;
}

char *emit_stream_end(struct emit *e, struct emit_stream *s)
{
	if (fclose(s->fp) != 0 || s->len > EMIT_MAX_OUTPUT) {
		emit_refuse(e, (struct ir_pos){0}, "the output exceeds %u bytes",
			    EMIT_MAX_OUTPUT);
		free(s->text);
		return NULL;
	}
	return s->text;
}

/* Writes `v` at `depth`: objects and arrays one member a line, empty ones as {} and []. */
static void json_value(FILE *fp, const cJSON *v, int depth)
{
	if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) {
		char *t = cJSON_PrintUnformatted(v);
		fputs(t ? t : "null", fp);
		free(t);
		return;
	}
	bool map = cJSON_IsObject(v);
	fputc(map ? '{' : '[', fp);
	for (const cJSON *c = v->child; c; c = c->next) {
		fprintf(fp, "%s\n%*s", c == v->child ? "" : ",", 2 * (depth + 1), "");
		if (map) {
			cJSON *k = cJSON_CreateString(c->string);
			json_value(fp, k, 0);
			cJSON_Delete(k);
			fputs(": ", fp);
		}
		json_value(fp, c, depth + 1);
	}
	if (v->child)
		fprintf(fp, "\n%*s", 2 * depth, "");
	fputc(map ? '}' : ']', fp);
}

char *emit_json(struct emit *e, const cJSON *root)
{
	struct emit_stream s;
	if (emit_stream_begin(e, &s) < 0)
		return NULL;
	json_value(s.fp, root, 0);
	fputc('\n', s.fp);
	return emit_stream_end(e, &s);
}

cJSON *emit_json_strs(cJSON *obj, const char *key, const struct ir_strs *v)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);
	for (size_t i = 0; i < v->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v->v[i]));
	return arr;
}
