/*
 * placement.c - settings that only make sense in some places: the
 * platform a pipeline asks for, and step keys its backend cannot honour.
 *
 * The local backend runs processes on the host, so container networking
 * (ports, dns, extra_hosts, network_mode) and devices mean nothing there;
 * Kubernetes has no devices and no network modes.  Silently ignoring such
 * a key would run something other than what was written.
 */
#include <stdlib.h>
#include <string.h>

#include "validate/internal.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const container_os[] = {"linux", "windows"};
static const char *const host_os[] = {"linux", "windows", "darwin", "freebsd", "netbsd",
				      "openbsd"};
static const char *const arches[] = {"amd64", "arm64", "arm", "386", "ppc64le", "s390x",
				     "riscv64"};
/* What Drone's linter allows on its docker and kubernetes runners. */
static const char *const drone_arches[] = {"amd64", "arm64", "arm", "ppc64le", "s390x"};
/* Spellings other tools use, mapped to ours. */
static const char *const arch_aliases[][2] = {
	{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armhf", "arm"}, {"i386", "386"},
	{"x86", "386"},
};

static bool in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static const char *arch_alias(const char *s)
{
	for (size_t i = 0; i < COUNT(arch_aliases); i++)
		if (strcmp(s, arch_aliases[i][0]) == 0)
			return arch_aliases[i][1];
	return ir_suggest(s, arches, COUNT(arches));
}

static void check_platform(struct val_ctx *c, const struct ir_pipeline *p)
{
	const char *os = p->platform.os, *arch = p->platform.arch;
	bool local = p->backend == IR_BACKEND_LOCAL;
	const char *const *oses = local ? host_os : container_os;
	size_t noses = local ? COUNT(host_os) : COUNT(container_os);
	if (os && !in(os, oses, noses))
		diag_error(c->dl, p->pos, "invalid-platform-os",
			   "pipeline '%s' asks for unsupported os '%s' on the %s backend",
			   p->name ? p->name : "", os, ir_backend_name(p->backend));
	if (arch && in(arch, arches, COUNT(arches)) && !local && !in(arch, drone_arches, COUNT(drone_arches)))
		diag_warning(c->dl, p->pos, "unsupported-platform-arch",
			     "pipeline '%s' asks for architecture '%s', which Drone's runners do not support (amd64, arm, arm64, ppc64le, s390x)",
			     p->name ? p->name : "", arch);
	if (arch && !in(arch, arches, COUNT(arches))) {
		const char *near = arch_alias(arch);
		diag_error(c->dl, p->pos, "invalid-platform-arch",
			   "pipeline '%s' asks for unknown architecture '%s'%s%s%s",
			   p->name ? p->name : "", arch, near ? " (did you mean '" : "",
			   near ? near : "", near ? "'?)" : "");
	}
}

static void unsupported(struct val_ctx *c, const struct ir_pipeline *p,
			const struct ir_step *s, const char *key)
{
	diag_error(c->dl, s->pos, "unsupported-on-backend",
		   "'%s' of step '%s' is not supported by the %s backend", key, s->name,
		   ir_backend_name(p->backend));
}

static void check_backend_keys(struct val_ctx *c, const struct ir_pipeline *p,
			       const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	if (p->backend == IR_BACKEND_DOCKER)
		return;
	bool local = p->backend == IR_BACKEND_LOCAL;
	if (ex->ndevices)
		unsupported(c, p, s, "devices");
	if (ex->network_mode)
		unsupported(c, p, s, "network_mode");
	if (ex->aliases.n)
		unsupported(c, p, s, "aliases");
	if (!local)
		return;
	if (ex->nports)
		unsupported(c, p, s, "ports");
	if (ex->dns.n)
		unsupported(c, p, s, "dns");
	if (ex->dns_search.n)
		unsupported(c, p, s, "dns_search");
	if (ex->extra_hosts.n)
		unsupported(c, p, s, "extra_hosts");
	if (ex->networks.n)
		unsupported(c, p, s, "networks");
}

/* `host:ip`, as Docker's --add-host takes it (the ip may hold colons). */
static bool is_extra_host(const char *e)
{
	const char *colon = e ? strchr(e, ':') : NULL;
	return colon && colon > e && colon[1];
}

static void check_values(struct val_ctx *c, const struct ir_step *s)
{
	const struct ir_step_extra *ex = ir_step_extra(s);
	for (size_t k = 0; k < ex->extra_hosts.n; k++)
		if (!is_extra_host(ex->extra_hosts.v[k]))
			diag_error(c->dl, s->pos, "invalid-extra-host",
				   "extra host '%s' of step '%s' is not in the form host:ip",
				   ex->extra_hosts.v[k] ? ex->extra_hosts.v[k] : "", s->name);
	for (size_t k = 0; k < ex->nports; k++) {
		const struct ir_port *pt = &ex->ports[k];
		if (pt->port < 1 || pt->port > 65535 || pt->host < 0 || pt->host > 65535)
			diag_error(c->dl, s->pos, "invalid-port",
				   "port %d:%d of step '%s' is out of range (1-65535)", pt->host,
				   pt->port, s->name);
	}
}

void val_check_placement(struct val_ctx *c)
{
	for (size_t i = 0; i < c->doc->npipelines; i++) {
		const struct ir_pipeline *p = &c->doc->pipelines[i];
		check_platform(c, p);
		for (size_t j = 0; j < p->nsteps && val_pipeline_fits(p); j++) {
			if (!p->steps[j].name)
				continue;
			check_backend_keys(c, p, &p->steps[j]);
			check_values(c, &p->steps[j]);
		}
	}
}
