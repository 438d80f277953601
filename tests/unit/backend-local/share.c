/*
 * share.c - the local backend's scripts, artifacts, pipeline files and
 * service health checks, run through the runtime.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/backend-local/fixture.h"

TestSuite(share, .init = fx_setup, .fini = fx_teardown);

static struct ir_artifact *artifacts(const char *name, const char *path)
{
	struct ir_artifact *a = ir_calloc(A, 1, sizeof *a);
	*a = (struct ir_artifact){.name = ir_strdup(A, name), .path = ir_strdup(A, path)};
	return a;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return NULL;
	char *s = ir_alloc(A, 4096);
	size_t n = fread(s, 1, 4095, fp);
	s[n] = '\0';
	fclose(fp);
	return s;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(const unsigned char *d, size_t n)
{
	char *o = ir_alloc(A, n / 3 * 4 + 5), *w = o;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
			     (i + 2 < n ? d[i + 2] : 0);
		*w++ = b64[v >> 18 & 63];
		*w++ = b64[v >> 12 & 63];
		*w++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*w++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*w = '\0';
	return o;
}

/* ---- scripts ---------------------------------------------------------------- */

Test(share, every_script_runs_from_a_file_only_its_owner_reads)
{
	struct ir_pipeline *p = pipeline(1);
	p->steps[0].script = "case \"$0\" in *.sh) stat -c %a \"$0\";; *) echo argv;; esac\n";
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "s0 | 600\n");
}

Test(share, a_script_may_begin_with_a_dash)
{
	struct ir_pipeline *p = pipeline(1);
	p->steps[0].script = "-\necho fine\n";
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert(strstr(out_text, "s0 | fine\n"), "%s", out_text);
}

Test(share, a_script_quoting_a_secret_is_kept_out_of_argv)
{
	struct ir_pipeline *p = pipeline(1);
	struct ir_step *s = &p->steps[0];
	s->script = "case \"$0\" in *.sh) echo file;; *) echo argv;; esac # v4lue\n";
	struct rt_secrets sec;
	use_token(s, &sec);
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "s0 | file\n");
	rt_secrets_release(&sec);
}

Test(share, every_pipeline_can_write_script_files)
{
	struct ir_pipeline *p = pipeline(1);
	size_t n = 70 * 1024;
	char *s = ir_alloc(A, n + 16);
	memset(s, '#', n);
	strcpy(s + n, "\necho $0\n");
	p->steps[0].script = s;
	D.pipelines = ir_calloc(A, 2, sizeof *D.pipelines);
	D.pipelines[0] = D.pipelines[1] = *p;
	D.pipelines[1].name = "q";
	D.npipelines = 2;
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_eq(R.pipelines[1].status, RT_SUCCESS);
	cr_assert(strstr(out_text, "/scripts/0.sh\ns0 | "), "%s", out_text);
}

Test(share, a_long_script_runs_from_a_file)
{
	struct ir_pipeline *p = pipeline(1);
	size_t n = 70 * 1024;
	char *s = ir_alloc(A, n + 64);
	memset(s, '#', n);
	strcpy(s + n, "\ncase \"$0\" in *.sh) echo file;; *) echo argv;; esac\n");
	p->steps[0].script = s;
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "s0 | file\n");
}

/* ---- artifacts ---------------------------------------------------------------- */

Test(share, exports_reach_later_imports_and_the_artifacts_dir)
{
	struct ir_pipeline *p = pipeline(2);
	p->steps[0].script = "mkdir -p out/sub && echo one > out/sub/a && echo two > r.txt\n";
	ir_step_extra_edit(&p->steps[0], A)->exports = ir_calloc(A, 2, sizeof *ir_step_extra_edit(&p->steps[0], A)->exports);
	ir_step_extra(&p->steps[0])->exports[0] = *artifacts("bin", "out");
	ir_step_extra(&p->steps[0])->exports[1] = *artifacts("rep", "r.txt");
	ir_step_extra_edit(&p->steps[0], A)->nexports = 2;
	p->steps[1].script = "rm -rf out r.txt; cat got/sub/a deep/copy.txt\n";
	ir_step_extra_edit(&p->steps[1], A)->imports = ir_calloc(A, 2, sizeof *ir_step_extra_edit(&p->steps[1], A)->imports);
	ir_step_extra(&p->steps[1])->imports[0] = *artifacts("bin", "got");
	ir_step_extra(&p->steps[1])->imports[1] = *artifacts("rep", "deep/copy.txt");
	ir_step_extra_edit(&p->steps[1], A)->nimports = 2;
	O.artifacts_dir = ir_printf(A, "%s/art", tmp);
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "s1 | one\ns1 | two\n");
	cr_assert_str_eq(slurp(ir_printf(A, "%s/art/bin/out/sub/a", tmp)), "one\n");
	cr_assert_str_eq(slurp(ir_printf(A, "%s/art/rep/r.txt", tmp)), "two\n");
}

Test(share, an_import_nobody_exported_is_an_error)
{
	struct ir_pipeline *p = pipeline(1);
	p->steps[0].script = "echo ran\n";
	ir_step_extra_edit(&p->steps[0], A)->imports = artifacts("nope", "x");
	ir_step_extra_edit(&p->steps[0], A)->nimports = 1;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_eq(out_len, 0);
	cr_assert(has_diag("step-failed",
			   "step 's0' cannot import 'nope': artifact 'nope' was not exported"));
}

Test(share, exporting_a_missing_path_fails_the_step)
{
	struct ir_pipeline *p = pipeline(1);
	p->steps[0].script = "true\n";
	ir_step_extra_edit(&p->steps[0], A)->exports = artifacts("bin", "missing");
	ir_step_extra_edit(&p->steps[0], A)->nexports = 1;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(has_diag("step-failed", "cannot export 'missing' as 'bin'"));
}

Test(share, paths_that_climb_out_are_refused)
{
	struct ir_pipeline *p = pipeline(2);
	p->steps[0].script = "echo x > f\n";
	ir_step_extra_edit(&p->steps[0], A)->exports = artifacts("f", "f");
	ir_step_extra_edit(&p->steps[0], A)->nexports = 1;
	p->steps[1].script = "echo ran\n";
	ir_step_extra_edit(&p->steps[1], A)->imports = artifacts("f", "../../escaped");
	ir_step_extra_edit(&p->steps[1], A)->nimports = 1;
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_null(strstr(out_text, "ran"));
	cr_assert(has_diag("step-failed", "'..' may not appear in the path '../../escaped'"));
	cr_assert_eq(access(ir_printf(A, "%s/escaped", tmp), F_OK), -1);
}

/* ---- files ---------------------------------------------------------------------- */

static struct ir_file_mount *mount(const char *name, const char *path, int mode)
{
	struct ir_file_mount *m = ir_calloc(A, 1, sizeof *m);
	*m = (struct ir_file_mount){ir_strdup(A, name), ir_strdup(A, path), mode};
	return m;
}

Test(share, files_are_written_with_their_mode)
{
	struct ir_pipeline *p = pipeline(1);
	p->workspace = (struct ir_workspace){.base = "/drone", .path = "src"};
	p->files = ir_calloc(A, 1, sizeof *p->files);
	p->files[0] = (struct ir_file){.name = "cfg", .data = base64((const unsigned char *)"hi\n", 3)};
	p->nfiles = 1;
	struct ir_step *s = &p->steps[0];
	ir_step_extra_edit(s, A)->files = ir_calloc(A, 2, sizeof *ir_step_extra_edit(s, A)->files);
	ir_step_extra(s)->files[0] = *mount("cfg", "/etc/app/cfg", 0600);
	ir_step_extra(s)->files[1] = *mount("cfg", "/drone/src/conf/x", 0755);
	ir_step_extra_edit(s, A)->nfiles = 2;
	s->script = "cat \"$PIPEC_ROOT/etc/app/cfg\" conf/x; "
		    "stat -c %a \"$PIPEC_ROOT/etc/app/cfg\" conf/x\n";
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "s0 | hi\ns0 | hi\ns0 | 600\ns0 | 755\n");
}

Test(share, archives_are_extracted_at_the_mount_path)
{
	char *src = ir_printf(A, "%s/src", tmp), *tar = ir_printf(A, "%s/a.tar", tmp);
	mkdir(src, 0755);
	FILE *fp = fopen(ir_printf(A, "%s/inside.txt", src), "w");
	fputs("packed\n", fp);
	fclose(fp);
	cr_assert_eq(system(ir_printf(A, "tar -C '%s' -cf '%s' inside.txt", src, tar)), 0);
	fp = fopen(tar, "rb");
	unsigned char *data = ir_alloc(A, 1 << 16);
	size_t n = fread(data, 1, 1 << 16, fp);
	fclose(fp);
	struct ir_pipeline *p = pipeline(1);
	p->files = ir_calloc(A, 1, sizeof *p->files);
	p->files[0] = (struct ir_file){.name = "pack", .data = base64(data, n), .archive = true};
	p->nfiles = 1;
	ir_step_extra_edit(&p->steps[0], A)->files = mount("pack", "unpacked", 0);
	ir_step_extra_edit(&p->steps[0], A)->nfiles = 1;
	p->steps[0].script = "cat unpacked/inside.txt\n";
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert_str_eq(out_text, "s0 | packed\n");
}

Test(share, a_bad_archive_is_an_error_at_the_step)
{
	struct ir_pipeline *p = pipeline(1);
	p->files = ir_calloc(A, 1, sizeof *p->files);
	p->files[0] = (struct ir_file){.name = "pack", .data = "bm90IGEgdGFy", .archive = true};
	p->nfiles = 1;
	ir_step_extra_edit(&p->steps[0], A)->files = mount("pack", "x", 0);
	ir_step_extra_edit(&p->steps[0], A)->nfiles = 1;
	p->steps[0].script = "echo ran\n";
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_eq(out_len, 0);
	cr_assert(has_diag("step-failed", "step 's0' cannot place file 'pack' at 'x': 'tar' failed"));
}

/* ---- health ------------------------------------------------------------------------ */

static struct ir_health *health(const char *const *argv, size_t argc, int port)
{
	struct ir_health *h = ir_calloc(A, 1, sizeof *h);
	h->command.v = ir_calloc(A, argc + 1, sizeof *h->command.v);
	for (size_t i = 0; i < argc; i++)
		h->command.v[i] = ir_strdup(A, argv[i]);
	h->command.n = argc;
	h->port = port;
	h->interval_ms = 50;
	h->retries = 100;
	return h;
}

Test(share, a_health_command_holds_back_the_steps)
{
	struct ir_pipeline *p = pipeline(2);
	p->steps[0].detach = true;
	p->steps[0].script = "sleep 0.3; echo up; touch ready; sleep 30\n";
	static const char *const check[] = {"test", "-e", "ready"};
	ir_step_extra_edit(&p->steps[0], A)->health = health(check, 3, 0);
	p->steps[1].script = "test -e ready && echo saw it\n";
	cr_assert_eq(run(), RT_SUCCESS);
	cr_assert(strstr(out_text, "s0 | up\n"));
	cr_assert(strstr(out_text, "s1 | saw it\n"));
}

/*
 * A loopback port held by the test: bound at once, so nothing else takes
 * it, but refusing connections until a thread, 0.3 s later, marks the file
 * `listening` in the test's directory and starts listening.  The listener
 * is the test itself rather than a program the step would start, so the
 * case needs nothing on the machine (a build container has no python3 or
 * nc) but a loopback interface.
 */
struct listener {
	int fd;
	char mark[96];
};

static void *listen_later(void *arg)
{
	struct listener *l = arg;
	usleep(300 * 1000);
	FILE *fp = fopen(l->mark, "w");
	if (fp)
		fclose(fp);
	listen(l->fd, 4);
	return NULL;
}

static int bound_port(struct listener *l)
{
	l->fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(l->fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof a;
	cr_assert_eq(bind(l->fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(l->fd, (struct sockaddr *)&a, &n), 0);
	snprintf(l->mark, sizeof l->mark, "%s/listening", tmp);
	return ntohs(a.sin_port);
}

Test(share, a_health_port_holds_back_the_steps)
{
	struct ir_pipeline *p = pipeline(2);
	static struct listener l;
	static char script[160];
	int port = bound_port(&l);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, listen_later, &l), 0);
	p->steps[0].detach = true;
	p->steps[0].script = "sleep 30\n";
	ir_step_extra_edit(&p->steps[0], A)->health = health(NULL, 0, port);
	snprintf(script, sizeof script, "test -e '%s' && echo after\n", l.mark);
	p->steps[1].script = script;
	enum rt_status st = run();
	pthread_join(t, NULL);
	close(l.fd);
	cr_assert_eq(st, RT_SUCCESS, "%s", out_text);
	cr_assert(strstr(out_text, "s1 | after\n"));
}

Test(share, an_unready_service_is_an_error_at_its_position)
{
	struct ir_pipeline *p = pipeline(3);
	p->steps[0].detach = true;
	p->steps[0].script = "sleep 30\n";
	static const char *const check[] = {"false"};
	ir_step_extra_edit(&p->steps[0], A)->health = health(check, 1, 0);
	ir_step_extra(&p->steps[0])->health->retries = 3;
	p->steps[1].script = "echo ran\n";
	p->steps[2].script = "echo ran too\n";
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert_null(strstr(out_text, "ran"));
	cr_assert(has_diag("service-not-ready",
			   "service 's0' is not ready after 3 tries: the health command exited "
			   "with status 1"));
	cr_assert_eq(DL.items[0].pos.line, 2);
}

Test(share, a_service_ending_before_it_is_ready_fails_at_once)
{
	struct ir_pipeline *p = pipeline(2);
	p->steps[0].detach = true;
	p->steps[0].script = "exit 4\n";
	static const char *const check[] = {"false"};
	ir_step_extra_edit(&p->steps[0], A)->health = health(check, 1, 0);
	p->steps[1].script = "echo ran\n";
	cr_assert_eq(run(), RT_FAILURE);
	cr_assert(has_diag("service-not-ready", "service 's0' ended before it was ready"));
}
