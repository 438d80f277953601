/*
 * policy.c - what an untrusted repository may not do, and root steps.
 *
 * Everything refused here reaches past the step's sandbox into the host:
 * privileged mode, host paths (the Docker socket above all, which is root
 * on the host), devices, the host's or another container's network
 * stack, the names a step resolves (dns, dns_search, extra_hosts), ports
 * published on the host, and memory-backed volumes without a ceiling:
 * what Drone's linter refuses in untrusted repositories.  A trusted
 * repository may do all of it.
 *
 * Root: a step runs as root when `user` is `root` or uid 0 (`0`,
 * `0:GID`, `root:GROUP`).  When `user` is unset on a docker or kubernetes
 * pipeline the image's USER decides, which pipec cannot see; as most
 * images default to root, such a step counts as root only under
 * require_non_root, which asks for proof.  Local steps with no user run
 * as whoever runs pipec and are not flagged.
 */
#include <string.h>

#include "validate/internal.h"

static const char *const docker_sockets[] = {"/var/run/docker.sock", "/run/docker.sock"};

static bool is_docker_socket(const char *path)
{
	for (size_t i = 0; path && i < sizeof docker_sockets / sizeof *docker_sockets; i++)
		if (strcmp(path, docker_sockets[i]) == 0)
			return true;
	return false;
}

static void check_volumes(struct val_ctx *c, const struct ir_pipeline *p)
{
	for (size_t i = 0; i < p->nvolumes; i++) {
		const struct ir_volume *v = &p->volumes[i];
		const char *name = v->name ? v->name : "";
		if (v->kind == IR_VOLUME_HOST)
			diag_error(c->dl, v->pos, "untrusted-host-volume",
				   "untrusted repositories cannot mount host path '%s' (volume '%s')",
				   v->host_path ? v->host_path : "", name);
		else if (v->kind == IR_VOLUME_TMPFS && v->size_limit <= 0)
			diag_error(c->dl, v->pos, "untrusted-tmpfs",
				   "untrusted repositories cannot use tmpfs volume '%s' without a size limit",
				   name);
	}
}

static void check_socket(struct val_ctx *c, const struct ir_pipeline *p,
			 const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t k = 0; k < ex->nvolumes; k++) {
		const struct ir_volume *v = NULL;
		for (size_t i = 0; ex->volumes[k].name && i < p->nvolumes; i++)
			if (p->volumes[i].name && strcmp(p->volumes[i].name, ex->volumes[k].name) == 0)
				v = &p->volumes[i];
		if (v && v->kind == IR_VOLUME_HOST && is_docker_socket(v->host_path))
			diag_error(c->dl, s->pos, "untrusted-docker-socket",
				   "step '%s' mounts the Docker socket, which gives root on the host",
				   s->name);
	}
}

static void check_step(struct val_ctx *c, const struct ir_pipeline *p,
		       const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (s->privileged)
		diag_error(c->dl, s->pos, "untrusted-privileged",
			   "untrusted repositories cannot run step '%s' privileged", s->name);
	if (ex->ndevices)
		diag_error(c->dl, s->pos, "untrusted-devices",
			   "untrusted repositories cannot give step '%s' host devices", s->name);
	const char *nm = ex->network_mode;
	if (nm && *nm && strcmp(nm, "none") && strcmp(nm, "bridge") && strcmp(nm, "default"))
		diag_error(c->dl, s->pos, "untrusted-network-mode",
			   "untrusted repositories cannot use network mode '%s' (step '%s')", nm,
			   s->name);
	if (ex->dns.n || ex->dns_search.n)
		diag_error(c->dl, s->pos, "untrusted-dns",
			   "untrusted repositories cannot configure %s (step '%s')",
			   ex->dns.n ? "dns" : "dns_search", s->name);
	if (ex->extra_hosts.n)
		diag_error(c->dl, s->pos, "untrusted-extra-hosts",
			   "untrusted repositories cannot add extra_hosts (step '%s')", s->name);
	for (size_t k = 0; k < ex->nports; k++)
		if (ex->ports[k].host)
			diag_error(c->dl, s->pos, "untrusted-host-port",
				   "untrusted repositories cannot publish port %d on the host (step '%s')",
				   ex->ports[k].host, s->name);
	check_socket(c, p, s);
}

static bool is_root_user(const char *u)
{
	static const char *const roots[] = {"root", "0"};
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(roots[i]);
		if (strncmp(u, roots[i], n) == 0 && (u[n] == '\0' || u[n] == ':'))
			return true;
	}
	return false;
}

static void check_root(struct val_ctx *c, const struct ir_pipeline *p,
		       const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	enum diag_severity sev = c->policy->require_non_root ? DIAG_ERROR : DIAG_WARNING;
	if (ex->user && is_root_user(ex->user))
		diag_add(c->dl, sev, s->pos, "runs-as-root", "step '%s' runs as root", s->name);
	else if (!ex->user && p->backend != IR_BACKEND_LOCAL && c->policy->require_non_root)
		diag_add(c->dl, DIAG_ERROR, s->pos, "runs-as-root",
			 "step '%s' may run as root: 'user' is unset, so the image decides",
			 s->name);
}

void val_check_policy(struct val_ctx *c)
{
	for (size_t i = 0; i < c->doc->npipelines; i++) {
		const struct ir_pipeline *p = &c->doc->pipelines[i];
		if (!c->policy->trusted)
			check_volumes(c, p);
		for (size_t j = 0; j < p->nsteps && val_pipeline_fits(p); j++) {
			if (!p->steps[j].name)
				continue;
			if (!c->policy->trusted)
				check_step(c, p, &p->steps[j]);
			check_root(c, p, &p->steps[j]);
		}
	}
}
