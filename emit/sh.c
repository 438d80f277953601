/*
 * sh.c - a POSIX shell script that runs the pipelines as `pipec run`
 * would, with the docker CLI (exec pipelines as host processes).
 *
 * The script is a set of small shell functions (written once, at the top)
 * and one function per pipeline calling them step by step, in the
 * normalized order: steps run one at a time, services in the background.
 * Each step's run policy is decided from its ancestors as the runtime does
 * it: `f_N` is set when step N or any step before it in the graph failed
 * (an ignored failure does not count, a skipped step passes its ancestors'
 * on), so a step asks only its direct dependencies.  Exit code 78 ends the
 * pipeline early as a success.  Everything the script makes (network,
 * volumes, containers, processes) is recorded as it is made and removed by
 * one cleanup, run at exit and on INT or TERM (exit status 130).  Each
 * step's result is printed as `[pipec] step NAME: STATUS`.
 *
 * Values are single-quoted into the script; secrets never are: a secret
 * reaches a container as `-e NAME` from the script's environment, read
 * from SECRET_<NAME> (or the host variable or file the pipeline names).
 */
#include <stdlib.h>
#include <string.h>

#include "emit/internal.h"

#define HEALTH_RETRIES 120      /* the runtime's defaults */
#define HEALTH_INTERVAL_MS 500

static const unsigned lacks_docker = EMIT_TIMEOUT | EMIT_FILES | EMIT_NETWORKS;
static const unsigned lacks_local = lacks_docker | EMIT_EXPORTS | EMIT_IMPORTS | EMIT_PRIVILEGED | EMIT_USER |
				    EMIT_PORTS | EMIT_DNS | EMIT_EXTRA_HOSTS |
				    EMIT_NETWORK_MODE | EMIT_SHM | EMIT_LIMITS |
				    EMIT_DEVICES | EMIT_PULL;

/* The functions every script shares. */
static const char prelude[] =
	"set -u\n"
	"# each step in a process group of its own, which the cleanup stops whole\n"
	"set -m 2>/dev/null\n"
	"\n"
	"made_ctrs='' made_vols='' made_nets='' made_pids='' made_dirs='' status=0\n"
	"\n"
	"cleanup() {\n"
	"\tfor p in $made_pids; do kill -TERM -- \"-$p\" 2>/dev/null; done\n"
	"\tfor c in $made_ctrs; do docker rm -f \"$c\" >/dev/null 2>&1; done\n"
	"\tfor v in $made_vols; do docker volume rm -f \"$v\" >/dev/null 2>&1; done\n"
	"\tfor n in $made_nets; do docker network rm \"$n\" >/dev/null 2>&1; done\n"
	"\tfor d in $made_dirs; do rm -rf \"$d\"; done\n"
	"\tmade_ctrs='' made_vols='' made_nets='' made_pids='' made_dirs=''\n"
	"}\n"
	"trap cleanup EXIT\n"
	"trap 'cleanup; trap - EXIT; exit 130' INT TERM\n"
	"\n"
	"# result NAME STATUS: one line per step, as `pipec run` reports it\n"
	"result() { printf '[pipec] step %s: %s\\n' \"$1\" \"$2\"; }\n"
	"\n"
	"# wait_fg: waits for the job just started in the background (so that a\n"
	"# signal is handled at once) and returns its status\n"
	"wait_fg() {\n"
	"\tpid=$!\n"
	"\tmade_pids=\"$made_pids $pid\"\n"
	"\twait \"$pid\"\n"
	"\trc=$?\n"
	"\tmade_pids=${made_pids% \"$pid\"}\n"
	"\treturn \"$rc\"\n"
	"}\n";

static const char ready_fn[] =
	"\n"
	"# ready TRIES SECONDS CMD...: waits until CMD exits 0\n"
	"ready() {\n"
	"\ttries=$1 pause=$2\n"
	"\tshift 2\n"
	"\twhile [ \"$tries\" -gt 0 ]; do\n"
	"\t\tif \"$@\" >/dev/null 2>&1; then\n"
	"\t\t\treturn 0\n"
	"\t\tfi\n"
	"\t\ttries=$((tries - 1))\n"
	"\t\tsleep \"$pause\"\n"
	"\tdone\n"
	"\treturn 1\n"
	"}\n"
;

static const char artifact_fn[] =
	"\n"
	"# artifact_out CONTAINER NAME PATH: keeps PATH of CONTAINER as artifact NAME\n"
	"artifact_out() {\n"
	"\tdocker cp \"$1:$3\" \"$art/$2\" >/dev/null || echo \"pipec: '$3' is not there to export\" >&2\n"
	"}\n"
	"\n"
	"# artifact_in CONTAINER NAME PATH: puts artifact NAME at PATH of CONTAINER\n"
	"artifact_in() {\n"
	"\tif [ -d \"$art/$2\" ]; then\n"
	"\t\tdocker cp \"$art/$2/.\" \"$1:$3\" >/dev/null\n"
	"\telse\n"
	"\t\tdocker cp \"$art/$2\" \"$1:$3\" >/dev/null\n"
	"\tfi\n"
	"}\n";

static const char secret_fn[] =
	"\n"
	"# secret VAR NAME: fails when the variable holding secret NAME is unset\n"
	"secret() {\n"
	"\teval \"test -n \\\"\\${$1+set}\\\"\" && return 0\n"
	"\techo \"pipec: secret '$2' is not set: export $1\" >&2\n"
	"\treturn 1\n"
	"}\n";

struct sh {
	struct emit *e;
	FILE *fp;
	bool uses_docker, uses_ws, uses_ready, uses_secret, uses_artifacts;
	const struct ir_pipeline *p;
	size_t pi;
	bool local;
};

/*
 * Writes `s` double-quoted, with \ " $ and ` escaped: shellcheck reads a
 * double-quoted "$VAR" in a value as the text it is.
 */
static void qbody(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\\"$`", *s))
			fputc('\\', fp);
		fputc(*s, fp);
	}
}

static void q(FILE *fp, const char *s)
{
	fputc('"', fp);
	qbody(fp, s);
	fputc('"', fp);
}

/* " \"word\"" */
static void arg(FILE *fp, const char *s)
{
	fputc(' ', fp);
	q(fp, s);
}

static void argf(struct sh *sh, const char *fmt, const char *s)
{
	arg(sh->fp, ir_printf(sh->e->a, fmt, s));
}

/* Checks that the value of each secret of `s` is there. */
static void secret_checks(struct sh *sh, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t i = 0; i < ex->nsecrets; i++) {
		const struct ir_secret *sec = emit_secret(sh->p, ex->secrets[i].name);
		if (sec && sec->source == IR_SECRET_FILE) {
			fputs("	[ -r", sh->fp);
			arg(sh->fp, sec->ref);
			fputs(" ] || { echo", sh->fp);
			arg(sh->fp, ir_printf(sh->e->a, "pipec: cannot read the file of secret '%s'",
					      sec->name));
			fputs(" >&2; return 1; }\n", sh->fp);
			continue;
		}
		const char *var = emit_var_name(sh->e, "SECRET_", ex->secrets[i].name);
		if (sec && sec->source == IR_SECRET_ENV)
			var = sec->ref;
		sh->uses_secret = true;
		fprintf(sh->fp, "\tsecret %s", var);
		arg(sh->fp, ex->secrets[i].name);
		fputs(" || return 1\n", sh->fp);
	}
}

/* NAME="$VAR" before the command: a secret reaches it by its environment. */
static void secret_assignments(struct sh *sh, const struct ir_step *s)
{
	for (size_t i = 0; i < ir_step_extra(s)->nsecrets; i++) {
		const struct ir_secret *sec = emit_secret(sh->p, ir_step_extra(s)->secrets[i].name);
		fprintf(sh->fp, "%s=", ir_step_extra(s)->secrets[i].env);
		if (sec && sec->source == IR_SECRET_FILE) {
			fputs("\"$(cat", sh->fp);
			arg(sh->fp, sec->ref);
			fputs(")\" ", sh->fp);
		} else {
			fprintf(sh->fp, "\"$%s\" ", sec && sec->source == IR_SECRET_ENV ? sec->ref :
				emit_var_name(sh->e, "SECRET_", ir_step_extra(s)->secrets[i].name));
		}
	}
}

/* script_P_N=$(cat <<'EOF' ... EOF): the script as written, not linted as shell. */
static void script_var(struct sh *sh, const struct ir_step *s, size_t i)
{
	const char *end = "PIPEC_SCRIPT";
	for (int n = 2; strstr(s->script, end); n++)
		end = ir_printf(sh->e->a, "PIPEC_SCRIPT_%d", n);
	fprintf(sh->fp, "\tscript_%zu_%zu=$(cat <<'%s'\n%s%s%s\n)\n", sh->pi, i, end, s->script,
		*s->script && s->script[strlen(s->script) - 1] == '\n' ? "" : "\n", end);
}

static void docker_mounts(struct sh *sh, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	const struct ir_pipeline *p = sh->p;
	if (p->workspace.base && (sh->uses_ws = true))
{
		fputs(" \"--volume=$ws:", sh->fp);
		qbody(sh->fp, emit_workdir(sh->e, p, &(struct ir_step){0}));
		fputc('"', sh->fp);
	}
	for (size_t i = 0; i < ex->nvolumes; i++) {
		const struct ir_mount *m = &ex->volumes[i];
		const struct ir_volume *v = NULL;
		for (size_t k = 0; k < p->nvolumes; k++)
			if (strcmp(p->volumes[k].name, m->name) == 0)
				v = &p->volumes[k];
		if (!v)
			continue;
		const char *ro = m->read_only ? ":ro" : "";
		if (v->kind == IR_VOLUME_TMPFS)
			arg(sh->fp, v->size_limit ? ir_printf(sh->e->a, "--tmpfs=%s:size=%lld", m->path,
							      (long long)v->size_limit) :
				    ir_printf(sh->e->a, "--tmpfs=%s", m->path));
		else if (v->kind == IR_VOLUME_HOST)
			arg(sh->fp, ir_printf(sh->e->a, "--volume=%s:%s%s", v->host_path, m->path, ro));
		else {
			fprintf(sh->fp, " \"--volume=$run-%zu-%s:", sh->pi,
				emit_dns_label(sh->e, v->name, 40));
			qbody(sh->fp, ir_printf(sh->e->a, "%s%s", m->path, ro));
			fputc('"', sh->fp);
		}
	}
	for (size_t i = 0; i < ex->ndevices; i++)
		arg(sh->fp, ir_printf(sh->e->a, "--device=%s:%s", ex->devices[i].host_path,
				      ex->devices[i].path));
}

static void docker_strs(struct sh *sh, const char *flag, const struct ir_strs *v)
{
	for (size_t i = 0; i < v->n; i++)
		argf(sh, ir_printf(sh->e->a, "--%s=%%s", flag), v->v[i]);
}

static void docker_options(struct sh *sh, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	struct emit *e = sh->e;
	if (ex->network_mode)
		argf(sh, "--network=%s", ex->network_mode);
	else
		fprintf(sh->fp, " \"--network=$run-%zu\"", sh->pi);
	if (!ex->network_mode)
		argf(sh, "--network-alias=%s", s->name);
	if (s->privileged)
		arg(sh->fp, "--privileged");
	if (ex->user)
		argf(sh, "--user=%s", ex->user);
	if (s->pull == IR_PULL_ALWAYS || s->pull == IR_PULL_NEVER)
		argf(sh, "--pull=%s", s->pull == IR_PULL_ALWAYS ? "always" : "never");
	docker_strs(sh, "dns", &ex->dns);
	docker_strs(sh, "dns-search", &ex->dns_search);
	docker_strs(sh, "add-host", &ex->extra_hosts);
	for (size_t i = 0; i < ex->nports; i++)
		if (ex->ports[i].host)
			arg(sh->fp, ir_printf(e->a, "--publish=%d:%d/%s", ex->ports[i].host,
					      ex->ports[i].port, ex->ports[i].protocol ?
					      ex->ports[i].protocol : "tcp"));
	if (ex->resources.cpu_millis)
		arg(sh->fp, ir_printf(e->a, "--cpus=%lld.%03lld",
				      (long long)ex->resources.cpu_millis / 1000,
				      (long long)ex->resources.cpu_millis % 1000));
	if (ex->resources.memory)
		arg(sh->fp, ir_printf(e->a, "--memory=%lld", (long long)ex->resources.memory));
	if (ex->resources.shm_size)
		arg(sh->fp, ir_printf(e->a, "--shm-size=%lld", (long long)ex->resources.shm_size));
	const char *wd = emit_workdir(e, sh->p, s);
	if (wd)
		argf(sh, "--workdir=%s", wd);
}

/* An artifact's path in step `s`: relative paths are from its working directory. */
static const char *artifact_path(struct sh *sh, const struct ir_step *s, const char *path)
{
	const char *wd = emit_workdir(sh->e, sh->p, s);
	if (path[0] == '/' || !wd)
		return path;
	return ir_printf(sh->e->a, "%s/%s", wd, path);
}

/*
 * After `docker create`: the imports copied in, the container started, its
 * exports copied out when it succeeded, the container removed.
 */
static void staged_run(struct sh *sh, const struct ir_step *s, size_t i)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	FILE *fp = sh->fp;
	const char *c = ir_printf(sh->e->a, "\"$run-%zu-%zu\"", sh->pi, i);
	const char *full = emit_workdir(sh->e, sh->p, &(struct ir_step){0});
	sh->uses_artifacts = true;
	fputs(" >/dev/null || return 1\n", fp);
	for (size_t k = 0; k < ex->nimports; k++) {
		const char *path = artifact_path(sh, s, ex->imports[k].path);
		size_t n = full ? strlen(full) : 0;
		const char *slash = strrchr(path, '/');
		if (full && strncmp(path, full, n) == 0 && path[n] == '/' && slash > path + n) {
			fputs("\tmkdir -p \"$ws", fp);
			qbody(fp, ir_strndup(sh->e->a, path + n, (size_t)(slash - path - n)));
			fputs("\"\n", fp);
		}
		fprintf(fp, "\tartifact_in %s", c);
		arg(fp, ex->imports[k].name);
		arg(fp, path);
		fputs(" || return 1\n", fp);
	}
	fprintf(fp, "\tdocker start --attach %s\n\trc=$?\n", c);
	if (ex->nexports)
		fputs("\tif [ \"$rc\" -eq 0 ] || [ \"$rc\" -eq 78 ]; then\n", fp);
	for (size_t k = 0; k < ex->nexports; k++) {
		fprintf(fp, "\t\tartifact_out %s", c);
		arg(fp, ex->exports[k].name);
		arg(fp, artifact_path(sh, s, ex->exports[k].path));
		fputs("\n", fp);
	}
	if (ex->nexports)
		fputs("\tfi\n", fp);
	fprintf(fp, "\tdocker rm -f %s >/dev/null 2>&1\n\treturn \"$rc\"\n", c);
}

/* `docker run` of step `s`, ending the line. */
static void docker_run(struct sh *sh, const struct ir_step *s, const struct ir_env *env)
{
	FILE *fp = sh->fp;
	size_t i = emit_step_index(sh->p, s);
	bool staged = (ir_step_extra(s)->nexports || ir_step_extra(s)->nimports) && !s->detach;
	fputc('\t', fp);
	secret_assignments(sh, s);
	if (staged)
		fprintf(fp, "docker create \"--name=$run-%zu-%zu\" \"--label=pipec.run=$run\"",
			sh->pi, i);
	else
		fprintf(fp, "docker run --rm %s\"--name=$run-%zu-%zu\" \"--label=pipec.run=$run\"",
			s->detach ? "--detach " : "", sh->pi, i);
	docker_options(sh, s);
	docker_mounts(sh, s);
	for (size_t k = 0; k < env->n; k++)
		argf(sh, "--env=%s", ir_printf(sh->e->a, "%s=%s", env->v[k].key, env->v[k].value));
	for (size_t k = 0; k < ir_step_extra(s)->nsecrets; k++)
		argf(sh, "--env=%s", ir_step_extra(s)->secrets[k].env);
	if (s->script) {
		argf(sh, "--entrypoint=%s", s->shell ? s->shell : "/bin/sh");
		arg(fp, emit_image(sh->e, sh->p, s));
		fprintf(fp, " -c \"$script_%zu_%zu\"", sh->pi, i);
	} else {
		if (ir_step_extra(s)->entrypoint.v)
			argf(sh, "--entrypoint=%s", ir_step_extra(s)->entrypoint.n ? ir_step_extra(s)->entrypoint.v[0] : "");
		arg(fp, emit_image(sh->e, sh->p, s));
		for (size_t k = 1; k < ir_step_extra(s)->entrypoint.n; k++)
			arg(fp, ir_step_extra(s)->entrypoint.v[k]);
	}
	for (size_t k = 0; k < s->command.n && !s->script; k++)
		arg(fp, s->command.v[k]);
	if (staged)
		staged_run(sh, s, i);
	else
		fputc('\n', fp);
}

/* cd to where a local step starts: the workspace, or its working_dir mapped into it. */
static void local_cd(struct sh *sh, const struct ir_step *s)
{
	FILE *fp = sh->fp;
	const char *wd = ir_step_extra(s)->working_dir;
	const char *full = emit_workdir(sh->e, sh->p, &(struct ir_step){0});
	size_t n = full ? strlen(full) : 0;
	fputs("\tcd \"$ws\" || exit 1\n", fp);
	if (!wd || (full && strcmp(wd, full) == 0))
		return;
	fputs("\tcd", fp);
	if (full && strncmp(wd, full, n) == 0 && wd[n] == '/')
		arg(fp, wd + n + 1);
	else
		arg(fp, wd);
	fputs(" || exit 1\n", fp);
}

/* A host process for step `s` of an exec pipeline (the function runs in the background). */
static void local_run(struct sh *sh, const struct ir_step *s, const struct ir_env *env)
{
	FILE *fp = sh->fp;
	size_t i = emit_step_index(sh->p, s);
	local_cd(sh, s);
	fputs("\t", fp);
	secret_assignments(sh, s);
	for (size_t k = 0; k < env->n; k++) {
		const char *key = env->v[k].key;
		fprintf(fp, "%s=", key);
		if (!strcmp(key, "DRONE_WORKSPACE") || !strcmp(key, "CI_WORKSPACE"))
			fputs("\"$ws\" ", fp);
		else {
			q(fp, env->v[k].value);
			fputc(' ', fp);
		}
	}
	fputs("PIPEC_WORKSPACE=\"$ws\" exec", fp);
	if (s->script) {
		arg(fp, s->shell ? s->shell : "/bin/sh");
		fprintf(fp, " -c \"$script_%zu_%zu\"", sh->pi, i);
	}
	for (size_t k = 0; k < ir_step_extra(s)->entrypoint.n && !s->script; k++)
		arg(fp, ir_step_extra(s)->entrypoint.v[k]);
	for (size_t k = 0; k < s->command.n && !s->script; k++)
		arg(fp, s->command.v[k]);
	fputc('\n', fp);
}

/* The function `step_P_N` running step N; returns its status. */
static void step_function(struct sh *sh, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	struct emit *e = sh->e;
	FILE *fp = sh->fp;
	size_t i = emit_step_index(sh->p, s);
	emit_check_step(e, s, sh->local ? lacks_local : lacks_docker);
	for (size_t k = 0; k < ex->nvolumes && sh->local; k++)
		emit_warn(e, s->pos, "volume '%s' of step '%s' is dropped: exec steps share the "
			  "host's files", ex->volumes[k].name, s->name);
	struct ir_env env = emit_step_env(e, sh->p, s);
	sh->uses_docker |= !sh->local;
	sh->uses_ws |= sh->local;
	fprintf(fp, "\n# step '%s'\nstep_%zu_%zu() {\n", s->name, sh->pi, i);
	secret_checks(sh, s);
	if (s->script)
		script_var(sh, s, i);
	(sh->local ? local_run : docker_run)(sh, s, &env);
	fputs("}\n", fp);
}

/* Waits for service `s` to be ready, as its health check says. */
static void health_wait(struct sh *sh, const struct ir_step *s, size_t i)
{
	const struct ir_health *h = ir_step_extra(s)->health;
	FILE *fp = sh->fp;
	if (!h->command.n) {
		emit_warn(sh->e, s->pos, "the port check of service '%s' is dropped: the script "
			  "waits only for a health command", s->name);
		return;
	}
	sh->uses_ready = true;
	int tries = h->retries ? h->retries : HEALTH_RETRIES;
	int ms = h->interval_ms ? h->interval_ms : HEALTH_INTERVAL_MS;
	fprintf(fp, "\t\tready %d %d.%03d", tries, ms / 1000, ms % 1000);
	if (sh->local)
		fputs(" sh -c", fp);
	else
		fprintf(fp, " docker exec \"$run-%zu-%zu\"", sh->pi, i);
	for (size_t k = 0; k < h->command.n; k++)
		arg(fp, h->command.v[k]);
	fprintf(fp, " || echo \"pipec: service '%s' is not ready\" >&2\n", s->name);
}

/* True when a later step depends on `s`, so its failure flag is read. */
static bool step_needed(const struct ir_pipeline *p, const struct ir_step *s)
{
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < p->steps[i].depends_on.n; k++)
			if (strcmp(p->steps[i].depends_on.v[k], s->name) == 0)
				return true;
	return false;
}

/* The condition on the ancestors under which step `s` runs. */
static const char *policy_test(enum ir_run_policy rp)
{
	switch (rp) {
	case IR_RUN_ON_SUCCESS: return "[ \"$anc\" -eq 0 ]";
	case IR_RUN_ON_FAILURE: return "[ \"$anc\" -ne 0 ]";
	case IR_RUN_ALWAYS: return "true";
	case IR_RUN_NEVER: break;
	}
	return "false";
}

/*
 * Opens the test of step `s`: `anc` tells whether an ancestor failed, the
 * step is skipped after an early exit or when its policy says so.
 */
static void gate(struct sh *sh, const struct ir_step *s, size_t i)
{
	FILE *fp = sh->fp;
	fputs("\tanc=0", fp);
	for (size_t k = 0; k < s->depends_on.n; k++) {
		const struct ir_step *d = ir_step_find(sh->p, s->depends_on.v[k]);
		if (d)
			fprintf(fp, "; [ \"$f_%zu\" -eq 0 ] || anc=1", emit_step_index(sh->p, d));
	}
	if (step_needed(sh->p, s))
		fprintf(fp, "\n\tf_%zu=$anc", i);
	fprintf(fp, "\n\tif [ \"$early\" -eq 1 ] || ! %s; then\n\t\tresult ",
		policy_test(s->run_policy));
	q(fp, s->name);
	fputs(" skipped\n\telse\n", fp);
}

/* Starts a service: in the background, recorded for the cleanup. */
static void service_call(struct sh *sh, const struct ir_step *s, size_t i)
{
	FILE *fp = sh->fp;
	gate(sh, s, i);
	if (sh->local)
		fprintf(fp, "\t\tstep_%zu_%zu &\n\t\tmade_pids=\"$made_pids $!\"\n", sh->pi, i);
	else
		fprintf(fp, "\t\tmade_ctrs=\"$made_ctrs $run-%zu-%zu\"\n\t\tstep_%zu_%zu >/dev/null\n",
			sh->pi, i, sh->pi, i);
	if (ir_step_extra(s)->health)
		health_wait(sh, s, i);
	fputs("\t\tresult ", fp);
	q(fp, s->name);
	fputs(" success\n\tfi\n", fp);
}

static void step_call(struct sh *sh, const struct ir_step *s, size_t i)
{
	FILE *fp = sh->fp;
	gate(sh, s, i);
	bool needed = step_needed(sh->p, s);
	if (!sh->local)
		fprintf(fp, "\t\tmade_ctrs=\"$made_ctrs $run-%zu-%zu\"\n", sh->pi, i);
	if (s->retries)
		fprintf(fp, "\t\ttries=%d\n\t\twhile :; do\n\t\t\tstep_%zu_%zu &\n\t\t\twait_fg\n"
			"\t\t\trc=$?\n\t\t\ttries=$((tries - 1))\n\t\t\tif [ \"$rc\" -eq 0 ] || "
			"[ \"$rc\" -eq 78 ] || [ \"$tries\" -le 0 ]; then\n\t\t\t\tbreak\n"
			"\t\t\tfi\n\t\tdone\n", s->retries + 1, sh->pi, i);
	else
		fprintf(fp, "\t\tstep_%zu_%zu &\n\t\twait_fg\n\t\trc=$?\n", sh->pi, i);
	fputs("\t\tif [ \"$rc\" -eq 0 ]; then\n\t\t\tresult ", fp);
	q(fp, s->name);
	fputs(" success\n\t\telif [ \"$rc\" -eq 78 ]; then\n\t\t\tearly=1\n\t\t\tresult ", fp);
	q(fp, s->name);
	fputs(" success\n\t\telse\n\t\t\tresult ", fp);
	q(fp, s->name);
	if (s->ignore_error)
		fputs(" ignored\n", fp);
	else
		fprintf(fp, needed ? " failure\n\t\t\tf_%zu=1 failed=1\n" : " failure\n\t\t\tfailed=1\n", i);
	fputs("\t\tfi\n\tfi\n", fp);
}

static void make_resources(struct sh *sh)
{
	FILE *fp = sh->fp;
	if (sh->local)
		return;
	for (size_t i = 0; i < sh->p->nsteps; i++)
		if (ir_step_extra(&sh->p->steps[i])->nexports) {
			fputs("\tart=$(mktemp -d) || return 1\n\tmade_dirs=\"$made_dirs $art\"\n", fp);
			break;
		}
	fprintf(fp, "\tdocker network create --label=pipec.run=\"$run\" \"$run-%zu\" >/dev/null "
		"|| return 1\n\tmade_nets=\"$made_nets $run-%zu\"\n", sh->pi, sh->pi);
	for (size_t i = 0; i < sh->p->nvolumes; i++) {
		if (sh->p->volumes[i].kind != IR_VOLUME_TEMP)
			continue;
		const char *v = emit_dns_label(sh->e, sh->p->volumes[i].name, 40);
		fprintf(fp, "\tdocker volume create --label=pipec.run=\"$run\" \"$run-%zu-%s\" "
			">/dev/null || return 1\n\tmade_vols=\"$made_vols $run-%zu-%s\"\n",
			sh->pi, v, sh->pi, v);
	}
}

static void pipeline(struct sh *sh)
{
	const struct ir_pipeline *p = sh->p;
	FILE *fp = sh->fp;
	emit_check_pipeline(sh->e, p, EMIT_P_TIMEOUT | EMIT_P_PULL_SECRETS | EMIT_P_NETWORKS |
			    EMIT_P_FILES);
	if (p->nsecrets)
		emit_warn(sh->e, p->pos, "the secrets of pipeline '%s' are not masked in the "
			  "script's output", p->name);
	for (size_t i = 0; i < p->nsteps; i++)
		step_function(sh, &p->steps[i]);
	fprintf(fp, "\n# pipeline '%s'\npipeline_%zu() {\n\tfailed=0 early=0\n", p->name, sh->pi);
	make_resources(sh);
	for (size_t i = 0; i < p->nsteps; i++)
		(p->steps[i].detach ? service_call : step_call)(sh, &p->steps[i], i);
	fputs("\tcleanup\n\treturn \"$failed\"\n}\n", fp);
}

/* Runs each pipeline after those it depends on, by their run policy. */
static void main_part(struct sh *sh, const struct ir_doc *doc)
{
	FILE *fp = sh->fp;
	fputs("\n", fp);
	for (size_t i = 0; i < doc->npipelines; i++) {
		const struct ir_pipeline *p = &doc->pipelines[i];
		fputs("anc=0", fp);
		for (size_t k = 0; k < p->depends_on.n; k++) {
			const struct ir_pipeline *d = ir_pipeline_find(doc, p->depends_on.v[k]);
			if (d)
				fprintf(fp, "; [ \"$pf_%zu\" -eq 0 ] || anc=1",
					(size_t)(d - doc->pipelines));
		}
		bool needed = false;
		for (size_t k = i + 1; k < doc->npipelines; k++)
			for (size_t j = 0; j < doc->pipelines[k].depends_on.n; j++)
				needed |= strcmp(doc->pipelines[k].depends_on.v[j], p->name) == 0;
		if (needed)
			fprintf(fp, "\npf_%zu=$anc", i);
		fprintf(fp, "\nif %s; then\n\tprintf '[pipec] pipeline %%s\\n' ",
			policy_test(p->run_policy));
		q(fp, p->name);
		if (needed)
			fprintf(fp, "\n\tpipeline_%zu || { pf_%zu=1; status=1; }\nfi\n", i, i);
		else
			fprintf(fp, "\n\tpipeline_%zu || status=1\nfi\n", i);
	}
	fputs("exit \"$status\"\n", fp);
}

static void header(struct sh *sh, const struct ir_doc *doc)
{
	fputs("#!/bin/sh\n# Written by `pipec emit --format=sh`", sh->fp);
	if (sh->e->opt->source)
		fprintf(sh->fp, " from %s", sh->e->opt->source);
	fputs(": runs its pipelines\n# with the docker CLI", sh->fp);
	for (size_t i = 0; i < doc->npipelines; i++)
		if (doc->pipelines[i].backend == IR_BACKEND_LOCAL) {
			fputs(" (exec pipelines as host processes)", sh->fp);
			break;
		}
	fputs(", in the current directory as the workspace\n"
	      "# (or $PIPEC_WORKSPACE).  A secret NAME is read from $SECRET_NAME.\n"
	      "# Exit status: 0 success, 1 a step failed, 130 interrupted.\n", sh->fp);
	fputs(prelude, sh->fp);
	if (sh->uses_docker)
		fputs("run=pipec-sh-$$\n", sh->fp);
	if (sh->uses_ws)
		fputs("ws=${PIPEC_WORKSPACE:-$(pwd)}\n", sh->fp);
	if (sh->uses_ready)
		fputs(ready_fn, sh->fp);
	if (sh->uses_secret)
		fputs(secret_fn, sh->fp);
	if (sh->uses_artifacts)
		fputs(artifact_fn, sh->fp);
}

char *emit_sh(const struct ir_doc *doc, const struct emit_options *opt, struct diag_list *dl)
{
	struct emit e;
	emit_begin(&e, "sh", opt, dl);
	struct emit_stream out, body;
	if (emit_stream_begin(&e, &body) < 0)
		return emit_end(&e, NULL);
	struct sh sh = {.e = &e, .fp = body.fp};
	for (size_t i = 0; i < doc->npipelines; i++) {
		sh.p = &doc->pipelines[i];
		sh.pi = i;
		sh.local = sh.p->backend == IR_BACKEND_LOCAL;
		if (sh.p->platform.os && strcmp(sh.p->platform.os, "linux") != 0)
			emit_refuse(&e, sh.p->pos, "pipeline '%s' is for %s: the script runs "
				    "linux containers and POSIX shells", sh.p->name, sh.p->platform.os);
		pipeline(&sh);
	}
	main_part(&sh, doc);
	char *text = emit_stream_end(&e, &body);
	if (!text || emit_stream_begin(&e, &out) < 0) {
		free(text);
		return emit_end(&e, NULL);
	}
	sh.fp = out.fp;
	header(&sh, doc);
	fputs(text, out.fp);
	free(text);
	return emit_end(&e, emit_stream_end(&e, &out));
}
