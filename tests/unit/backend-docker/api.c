/*
 * The API client against a stand-in engine on a unix socket: version
 * negotiation from GET /_ping, the request line it then sends, and an
 * engine that stops answering: silent (unresponsive), gone, or waited on
 * when the run is interrupted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "backend-docker/internal.h"

struct fake {
	int fd;
	char path[108];
	const char *api_version;    /* the engine's, NULL: no header */
	enum { ANSWERS, SILENT, HANGS_UP } after_ping;
	char last[512];             /* the last request line */
	pthread_t thread;
};

/* Answers every request on one connection: the ping with its version, the rest with {}. */
static void serve(struct fake *f, int c)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(c, buf, sizeof buf - 1)) > 0) {
		buf[n] = 0;
		snprintf(f->last, sizeof f->last, "%.*s", (int)strcspn(buf, "\r\n"), buf);
		char hdr[64] = "";
		if (f->api_version)
			snprintf(hdr, sizeof hdr, "Api-Version: %s\r\n", f->api_version);
		bool ping = strncmp(buf, "GET /_ping ", 11) == 0;
		if (!ping && f->after_ping == HANGS_UP)
			break;
		if (!ping && f->after_ping == SILENT) {
			while (read(c, buf, sizeof buf) > 0)
				;       /* says nothing until the client goes */
			break;
		}
		char resp[256];
		snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\n%sContent-Length: 2\r\n\r\n%s", hdr,
			 ping ? "OK" : "{}");
		if (write(c, resp, strlen(resp)) < 0)
			break;
	}
}

static void *accept_loop(void *arg)
{
	struct fake *f = arg;
	int c;
	while ((c = accept(f->fd, NULL, NULL)) >= 0) {
		serve(f, c);
		close(c);
	}
	return NULL;
}

static void fake_start(struct fake *f, const char *version)
{
	memset(f, 0, sizeof *f);
	f->api_version = version;
	snprintf(f->path, sizeof f->path, "/tmp/pipec-fake-%d-%p.sock", (int)getpid(), (void *)f);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", f->path);
	f->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	unlink(f->path);
	cr_assert_eq(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(listen(f->fd, 4), 0);
	pthread_create(&f->thread, NULL, accept_loop, f);
}

static void fake_stop(struct fake *f)
{
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	pthread_join(f->thread, NULL);
	unlink(f->path);
}

static const char *negotiated(const char *engine, char *last, size_t size)
{
	static char api[16];
	unsetenv("DOCKER_API_VERSION");
	struct fake f;
	fake_start(&f, engine);
	char host[200];
	snprintf(host, sizeof host, "unix://%s", f.path);
	struct diag_list dl;
	diag_list_init(&dl);
	struct docker_client *c = docker_client_new(host, 2000, &dl);
	cr_assert_not_null(c);
	snprintf(api, sizeof api, "%s", docker_client_api(c));
	docker_call(c, DOCKER_T_INSPECT, "GET", "/info", NULL, NULL, NULL, 0);
	snprintf(last, size, "%s", f.last);
	docker_client_free(c);
	diag_list_release(&dl);
	fake_stop(&f);
	return api;
}

Test(api, uses_an_old_engines_version)
{
	char last[512];
	cr_expect_str_eq(negotiated("1.41", last, sizeof last), "1.41");
	cr_expect_str_eq(last, "GET /v1.41/info HTTP/1.1");
}

Test(api, caps_a_newer_engines_version)
{
	char last[512];
	cr_expect_str_eq(negotiated("1.52", last, sizeof last), DOCKER_API_MAX);
}

Test(api, no_header_means_the_oldest)
{
	char last[512];
	cr_expect_str_eq(negotiated(NULL, last, sizeof last), DOCKER_API_MIN);
}

Test(api, nothing_listening_is_a_diagnostic)
{
	struct diag_list dl;
	diag_list_init(&dl);
	cr_expect_null(docker_client_new("unix:///nonexistent/pipec.sock", 500, &dl));
	cr_assert_eq(dl.nerrors, 1);
	cr_expect_str_eq(dl.items[0].rule, "docker-unreachable");
	cr_expect_not_null(strstr(dl.items[0].message, "--backend=local"));
	cr_expect_null(docker_client_new("ftp://x", 500, &dl));
	cr_expect_eq(dl.nerrors, 2);
	diag_list_release(&dl);
}

/* A client of an engine that answers the ping, then behaves as `how`. */
static struct docker_client *client_of(struct fake *f, int how)
{
	unsetenv("DOCKER_API_VERSION");
	fake_start(f, "1.41");
	f->after_ping = how;
	char host[200];
	snprintf(host, sizeof host, "unix://%s", f->path);
	struct diag_list dl;
	diag_list_init(&dl);
	struct docker_client *c = docker_client_new(host, 2000, &dl);
	diag_list_release(&dl);
	cr_assert_not_null(c);
	return c;
}

Test(api, a_silent_engine_is_unresponsive_and_not_asked_again)
{
	struct fake f;
	struct docker_client *c = client_of(&f, SILENT);
	char err[512];
	cr_assert_eq(docker_call(c, 300, "GET", "/info", NULL, NULL, err, sizeof err), 0);
	cr_assert_eq(docker_client_state(c), DOCKER_ENGINE_UNRESPONSIVE);
	cr_assert(strstr(err, "did not answer within"), "%s", err);
	cr_assert_str_eq(docker_client_rule(c, "docker-error"), "docker-unresponsive");
	cr_assert_eq(docker_call(c, 300000, "GET", "/info", NULL, NULL, err, sizeof err), 0);
	cr_assert(strstr(err, "did not answer within"), "%s", err);
	docker_client_free(c);
	fake_stop(&f);
}

Test(api, an_engine_that_hangs_up_is_gone)
{
	struct fake f;
	struct docker_client *c = client_of(&f, HANGS_UP);
	char err[512];
	cr_assert_eq(docker_call(c, DOCKER_T_INSPECT, "GET", "/info", NULL, NULL, err, sizeof err), 0);
	cr_assert_eq(docker_client_state(c), DOCKER_ENGINE_GONE);
	cr_assert(strstr(err, "stopped answering"), "%s", err);
	cr_assert_str_eq(docker_client_rule(c, "docker-error"), "docker-gone");
	docker_client_free(c);
	fake_stop(&f);
}

Test(api, an_interrupt_ends_a_waiting_call)
{
	static volatile sig_atomic_t irq = 1;
	struct fake f;
	struct docker_client *c = client_of(&f, SILENT);
	char err[512];
	docker_client_interrupts(c, &irq, 1);   /* cleaning up: one is not enough */
	docker_call(c, 300, "GET", "/info", NULL, NULL, err, sizeof err);
	cr_assert_not(docker_client_interrupted(c));
	docker_client_free(c);
	fake_stop(&f);
	c = client_of(&f, SILENT);
	docker_client_interrupts(c, &irq, 0);
	cr_assert_eq(docker_call(c, 300000, "GET", "/info", NULL, NULL, err, sizeof err), 0);
	cr_assert(docker_client_interrupted(c));
	cr_assert_str_eq(err, "interrupted");
	cr_assert_eq(docker_client_state(c), DOCKER_ENGINE_OK);
	docker_client_free(c);
	fake_stop(&f);
}
