/*
 * lsp.c - `pipec lsp`: the language server on standard input and output,
 * one process per editor session.
 *
 * This file only moves bytes: it reads what the editor sent, hands every
 * message already there to the server at once (so a cancellation reaches
 * a request still waiting, and a burst of keystrokes is checked once),
 * frames what the server sends back, and exits when the editor says so.
 * Everything the server knows and answers is in lsp/.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lsp/lsp.h"
#include "runtime/options.h"

/* Messages handed to the server at once, at most. */
#define LSP_BATCH 256

/* How long the engine has to answer before a quick fix goes without it. */
#define LSP_ENGINE_TIMEOUT_MS 300

static void send_message(void *arg, const char *json, size_t len)
{
	(void)arg;
	fprintf(stdout, "Content-Length: %zu\r\n\r\n", len);
	fwrite(json, 1, len, stdout);
	fflush(stdout);
}

/* The local Docker engine's tags of an image, for pinning it; the module
 * is opened only when a quick fix asks. */
static void image_tags(void *arg, const char *repo, void (*each)(void *, const char *),
		       void *each_arg)
{
	(void)arg;
	struct rt_backend_options opt = {0};
	cli_backend_image_tags("docker", &opt, repo, LSP_ENGINE_TIMEOUT_MS, each, each_arg);
}

/*
 * file:// URI of the rule pages: installed (PREFIX/bin/pipec), or in the
 * source tree of a build (build/bin/pipec, build/san/bin/pipec); NULL if
 * none is there.
 */
static char *rules_uri(void)
{
	static const char *const rel[] = {"../share/doc/pipec/rules", "../../docs/rules",
					  "../../../docs/rules"};
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
		char path[PATH_MAX + 64], real[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", exe, rel[i]);
		if (realpath(path, real) && stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *uri = malloc(strlen(real) + 16);
			if (uri)
				sprintf(uri, "file://%s/", real);
			return uri;
		}
	}
	return NULL;
}

/* Reads what is there now; false at end of input or on an error. */
static bool read_some(struct lsp_reader *r, int wait_ms)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	int k = poll(&p, 1, wait_ms);
	if (k < 0 && errno == EINTR)
		return true;
	if (k <= 0)
		return k == 0;
	char buf[65536];
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	lsp_reader_feed(r, buf, (size_t)n);
	return true;
}

/* Every message read so far, answered; framing errors as they come. */
static void answer(struct lsp_server *s, struct lsp_reader *r)
{
	char *bodies[LSP_BATCH];
	size_t lens[LSP_BATCH], n = 0;
	enum lsp_frame f;
	while (n < LSP_BATCH && (f = lsp_reader_next(r, &bodies[n], &lens[n])) != LSP_FRAME_NONE) {
		if (f == LSP_FRAME_MESSAGE)
			n++;
		else
			lsp_handle_frame_error(s, f);
	}
	lsp_handle_all(s, bodies, lens, n);
	for (size_t i = 0; i < n; i++)
		free(bodies[i]);
	lsp_flush(s);
}

static int serve(void)
{
	char *uri = rules_uri();
	struct lsp_options opts = {.send = send_message, .rules_uri = uri, .image_tags = image_tags};
	struct lsp_server *s = lsp_server_new(&opts);
	struct lsp_reader r;
	lsp_reader_init(&r);
	int status = 1;
	bool open = true;
	while (s && open && !lsp_server_done(s, &status)) {
		open = read_some(&r, -1);
		while (open && r.len && read_some(&r, 0) && r.len < LSP_MAX_MESSAGE) {
			struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
			if (poll(&p, 1, 0) <= 0)
				break;
		}
		answer(s, &r);
	}
	if (s && !lsp_server_done(s, &status))
		status = 1;
	lsp_reader_release(&r);
	lsp_server_free(s);
	free(uri);
	return status;
}

static int lsp(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(cmd_lsp.usage, stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--stdio") != 0)
			return cli_usage_error("lsp", "unknown option '%s'", argv[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	return serve();
}

const struct command cmd_lsp = {
	"lsp", lsp, "language server for editors, on standard input and output",
	"usage: pipec lsp [--stdio]\n"
	"\n"
	"Serves the Language Server Protocol on standard input and output, one\n"
	"process per editor session: the findings of `pipec lint` as you type,\n"
	"go to definition (depends_on, aliases, from_secret, volumes), find\n"
	"references and rename of steps and pipelines, document symbols,\n"
	"completion of keys and values, hover, and quick fixes for misspelt\n"
	"names.  Nothing is written and no process is started.\n"
	"\n"
	"Settings, in initializationOptions or workspace/didChangeConfiguration\n"
	"(bare or under \"pipec\"):\n"
	"  trusted, strict, requireNonRoot   as the lint options of those names\n"
	"  context: {branch, event, ref, repo, target, cron, instance, action,\n"
	"            commit}                 the build context (default: the\n"
	"                                    workspace's git checkout, event push)\n"
	"\n"
	"Set-up for Neovim, VS Code, Helix and Emacs: docs/editors.md.\n"
	"\n"
	"Exit status: 0 after shutdown and exit, 1 when the editor went away\n"
	"without shutdown, 2 bad usage.\n",
};
