/*
 * fixture.c - builds the documents the ir tests read and write.
 *
 * fixture_full() is the round-trip witness: every field holds a value
 * other than its zero, so a field the writer forgets or the reader drops
 * changes the second rendering.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/ir/fixture.h"

static struct ir_strs strs(struct ir_arena *a, size_t n, const char *const *v)
{
	struct ir_strs s = {ir_calloc(a, n + 1, sizeof(char *)), n};
	for (size_t i = 0; i < n; i++)
		s.v[i] = ir_strdup(a, v[i]);
	return s;
}

#define STRS(a, ...) strs(a, sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *), \
			  (const char *const[]){__VA_ARGS__})

static struct ir_pos at(int line, int col)
{
	return (struct ir_pos){.file = ".drone.yml", .line = line, .col = col};
}

static void full_step(struct ir_arena *a, struct ir_step *s)
{
	struct ir_step_extra *ex = ir_step_extra_edit(s, a);
	s->pos = at(12, 5);
	s->name = ir_strdup(a, "test");
	s->image = ir_strdup(a, "golang:1.22");
	s->pull = IR_PULL_IF_NOT_EXISTS;
	ex->entrypoint = STRS(a, "/bin/sh", "-e");
	s->command = STRS(a, "go", "test", "./...");
	s->script = ir_strdup(a, "echo \"hi\"\ngo test ./...\n");
	s->shell = ir_strdup(a, "/bin/bash");
	ex->working_dir = ir_strdup(a, "/drone/src/app");
	s->environment.n = 3;
	s->environment.v = ir_calloc(a, 3, sizeof(struct ir_kv));
	s->environment.v[0] = (struct ir_kv){ir_strdup(a, "ZED"), ir_strdup(a, "last")};
	s->environment.v[1] = (struct ir_kv){ir_strdup(a, "A/B~C"), ir_strdup(a, "odd key")};
	s->environment.v[2] = (struct ir_kv){ir_strdup(a, "CGO_ENABLED"), ir_strdup(a, "0")};
	ex->nsecrets = 1;
	ex->secrets = ir_calloc(a, 1, sizeof *ex->secrets);
	ex->secrets[0] = (struct ir_secret_ref){ir_strdup(a, "token"), ir_strdup(a, "GITHUB_TOKEN")};
	s->depends_on = STRS(a, "build");
	s->run_policy = IR_RUN_NEVER;
	s->skip = ir_alloc(a, sizeof *s->skip);
	s->skip->reason = ir_strdup(a, "branch 'dev' is not in when.branch");
	s->skip->pos = at(20, 9);
	s->detach = s->ignore_error = s->privileged = true;
	ex->user = ir_strdup(a, "1000:1000");
	ex->nvolumes = 1;
	ex->volumes = ir_calloc(a, 1, sizeof *ex->volumes);
	ex->volumes[0] = (struct ir_mount){ir_strdup(a, "cache"), ir_strdup(a, "/cache"), true};
	ex->ndevices = 1;
	ex->devices = ir_calloc(a, 1, sizeof *ex->devices);
	ex->devices[0] = (struct ir_device){ir_strdup(a, "/dev/fuse"), ir_strdup(a, "/dev/fuse")};
	ex->nfiles = 1;
	ex->files = ir_calloc(a, 1, sizeof *ex->files);
	ex->files[0] = (struct ir_file_mount){ir_strdup(a, "netrc"), ir_strdup(a, "/root/.netrc"), 0600};
	ex->dns = STRS(a, "1.1.1.1");
	ex->dns_search = STRS(a, "example.com");
	ex->extra_hosts = STRS(a, "db:10.0.0.2");
	ex->networks = STRS(a, "backend");
	ex->aliases = STRS(a, "cache", "kv");
	ex->network_mode = ir_strdup(a, "bridge");
	ex->nports = 1;
	ex->ports = ir_calloc(a, 1, sizeof *ex->ports);
	ex->ports[0] = (struct ir_port){8080, 18080, ir_strdup(a, "udp")};
	ex->health = ir_alloc(a, sizeof *ex->health);
	*ex->health = (struct ir_health){STRS(a, "pg_isready"), 5432, 500, 2000, 10};
	ex->resources = (struct ir_resources){1500, INT64_C(9007199254740991), 67108864};
	s->timeout = 600;
	s->retries = 2;
	ex->nexports = ex->nimports = 1;
	ex->exports = ir_calloc(a, 1, sizeof *ex->exports);
	ex->exports[0] = (struct ir_artifact){.name = ir_strdup(a, "bin"),
					    .path = ir_strdup(a, "out/app")};
	ex->imports = ir_calloc(a, 1, sizeof *ex->imports);
	ex->imports[0] = (struct ir_artifact){.name = ir_strdup(a, "deps"),
					    .path = ir_strdup(a, "vendor/")};
}

static void full_resources(struct ir_arena *a, struct ir_pipeline *p)
{
	p->nsecrets = 2;
	p->secrets = ir_calloc(a, 2, sizeof *p->secrets);
	p->secrets[0] = (struct ir_secret){at(3, 3), ir_strdup(a, "token"), IR_SECRET_ENV,
					   ir_strdup(a, "GITHUB_TOKEN")};
	p->secrets[1] = (struct ir_secret){at(4, 3), ir_strdup(a, "docker"), IR_SECRET_EXTERNAL,
					   ir_strdup(a, "ci/docker#auth")};
	p->nvolumes = 2;
	p->volumes = ir_calloc(a, 2, sizeof *p->volumes);
	p->volumes[0] = (struct ir_volume){at(6, 3), ir_strdup(a, "cache"), IR_VOLUME_HOST,
					   ir_strdup(a, "/var/cache/ci"), 0};
	p->volumes[1] = (struct ir_volume){at(7, 3), ir_strdup(a, "scratch"), IR_VOLUME_TMPFS,
					   NULL, INT64_C(1) << 40};
	p->nnetworks = 1;
	p->networks = ir_calloc(a, 1, sizeof *p->networks);
	p->networks[0] = (struct ir_network){ir_strdup(a, "backend"), ir_strdup(a, "bridge")};
	p->nfiles = 1;
	p->files = ir_calloc(a, 1, sizeof *p->files);
	p->files[0] = (struct ir_file){at(9, 3), ir_strdup(a, "netrc"), ir_strdup(a, "bWFjaGluZQ=="),
				       true};
	p->pull_secrets = STRS(a, "docker");
}

struct ir_doc *fixture_full(struct ir_arena *a)
{
	struct ir_doc *d = ir_alloc(a, sizeof *d);
	d->version = IR_VERSION;
	d->npipelines = 2;
	d->pipelines = ir_calloc(a, 2, sizeof *d->pipelines);
	struct ir_pipeline *p = &d->pipelines[0];
	p->pos = at(1, 1);
	p->name = ir_strdup(a, "default");
	p->backend = IR_BACKEND_KUBE;
	p->platform = (struct ir_platform){ir_strdup(a, "linux"), ir_strdup(a, "arm64"),
					   ir_strdup(a, "v8"), ir_strdup(a, "1809")};
	p->depends_on = STRS(a, "lint");
	p->run_policy = IR_RUN_ALWAYS;
	p->skip = ir_alloc(a, sizeof *p->skip);
	p->skip->reason = ir_strdup(a, "event 'tag' is not in trigger.event");
	p->workspace = (struct ir_workspace){ir_strdup(a, "/drone"), ir_strdup(a, "src")};
	full_resources(a, p);
	p->timeout = 3600;
	p->environment.n = 2;
	p->environment.v = ir_calloc(a, 2, sizeof(struct ir_kv));
	p->environment.v[0] = (struct ir_kv){ir_strdup(a, "SHARED"), ir_strdup(a, "by every step")};
	p->environment.v[1] = (struct ir_kv){ir_strdup(a, "CGO_ENABLED"), ir_strdup(a, "1")};
	p->nsteps = 1;
	p->steps = ir_calloc(a, 1, sizeof *p->steps);
	full_step(a, &p->steps[0]);
	struct ir_pipeline *lint = &d->pipelines[1];
	lint->name = ir_strdup(a, "lint");
	lint->backend = IR_BACKEND_LOCAL;
	lint->depends_on = STRS(a);
	lint->nsteps = 1;
	lint->steps = ir_calloc(a, 1, sizeof *lint->steps);
	lint->steps[0].name = ir_strdup(a, "vet");
	ir_step_extra_edit(&lint->steps[0], a)->entrypoint = STRS(a);
	return d;
}

struct ir_doc *fixture_min(struct ir_arena *a)
{
	struct ir_doc *d = ir_alloc(a, sizeof *d);
	d->version = IR_VERSION;
	d->npipelines = 1;
	d->pipelines = ir_calloc(a, 1, sizeof *d->pipelines);
	d->pipelines[0].name = ir_strdup(a, "default");
	d->pipelines[0].nsteps = 1;
	d->pipelines[0].steps = ir_calloc(a, 1, sizeof(struct ir_step));
	d->pipelines[0].steps[0].name = ir_strdup(a, "build");
	return d;
}

struct ir_doc *fixture_read(const char *text, struct ir_arena *a, struct diag_list *dl)
{
	return ir_read("t.json", text, strlen(text), a, dl);
}

bool fixture_has(const struct diag_list *dl, const char *rule, const char *pointer,
		 const char *message)
{
	for (size_t i = 0; i < dl->len; i++) {
		const struct diag *d = &dl->items[i];
		if (strcmp(d->rule, rule) == 0 && d->pos.pointer &&
		    strcmp(d->pos.pointer, pointer) == 0 && strcmp(d->message, message) == 0)
			return true;
	}
	return false;
}

char *fixture_dump(const struct diag_list *dl)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	diag_print(f, dl, DIAG_TEXT, false);
	fclose(f);
	return buf;
}
