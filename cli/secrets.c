/*
 * secrets.c - the ways `pipec run` takes secret values: --secret
 * NAME=VALUE, --secret-file NAME=PATH, --secret-env NAME and --secrets
 * FILE (dotenv lines).  Each lands in the run's store
 * (runtime/secrets.h); a value is never echoed in a message.  The dotenv
 * reader also reads --env-file (env.c) into a store of the same kind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/secrets.h"

static struct ir_pos arg_pos(const char *what)
{
	return (struct ir_pos){.file = what};
}

/* Splits "NAME=REST" in place-free fashion: returns the name's length. */
static size_t name_len(const char *arg)
{
	const char *eq = strchr(arg, '=');
	return eq ? (size_t)(eq - arg) : 0;
}

bool cli_valid_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (i > 0 && c >= '0' && c <= '9') || (i > 0 && (c == '-' || c == '.'))))
			return false;
	}
	return true;
}

static int set_n(struct rt_secrets *s, const char *name, size_t n, const char *value,
		 struct diag_list *dl, const char *opt)
{
	char *key = strndup(name, n);
	int r = key ? rt_secrets_set(s, key, value) : -1;
	free(key);
	if (r < 0)
		return diag_error(dl, arg_pos(opt), "secret-missing", "out of memory");
	return 0;
}

int cli_secret_arg(struct rt_secrets *s, const char *arg, struct diag_list *dl)
{
	size_t n = name_len(arg);
	if (!strchr(arg, '='))
		return diag_error(dl, arg_pos("--secret"), "secret-missing",
				  "'%s' is not NAME=VALUE", arg);
	/* the rest of `arg` is the value: never echo it */
	if (!cli_valid_name(arg, n))
		return diag_error(dl, arg_pos("--secret"), "secret-missing",
				  "invalid secret name '%.*s'", (int)n, arg);
	return set_n(s, arg, n, arg + n + 1, dl, "--secret");
}

int cli_secret_file(struct rt_secrets *s, const char *arg, struct diag_list *dl)
{
	size_t n = name_len(arg);
	if (!cli_valid_name(arg, n))
		return diag_error(dl, arg_pos("--secret-file"), "secret-missing",
				  "'%s' is not NAME=PATH", arg);
	const char *path = arg + n + 1;
	char *v = rt_read_secret_file(path);
	if (!v)
		return diag_error(dl, arg_pos(path), "secret-missing",
				  "cannot read secret file: %s", strerror(errno));
	int r = set_n(s, arg, n, v, dl, "--secret-file");
	free(v);
	return r;
}

int cli_secret_env(struct rt_secrets *s, const char *name, struct diag_list *dl)
{
	const char *v = getenv(name);
	if (!v)
		return diag_error(dl, arg_pos("--secret-env"), "secret-missing",
				  "environment variable '%s' is not set", name);
	return set_n(s, name, strlen(name), v, dl, "--secret-env");
}

/* Removes matching quotes around a dotenv value; "..." knows \n and \". */
static void unquote(char *v)
{
	size_t n = strlen(v);
	if (n < 2 || (v[0] != '"' && v[0] != '\'') || v[n - 1] != v[0])
		return;
	char q = v[0], *w = v;
	for (size_t i = 1; i < n - 1; i++) {
		if (q == '"' && v[i] == '\\' && i + 1 < n - 1) {
			i++;
			*w++ = v[i] == 'n' ? '\n' : v[i];
		} else {
			*w++ = v[i];
		}
	}
	*w = '\0';
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/*
 * One dotenv line: `[export] NAME=VALUE`, blank, or `# comment`; a line
 * that is none of these is reported under `rule`.
 */
static int dotenv_line(struct rt_secrets *s, char *line, const char *path, int lineno,
		       const char *rule, struct diag_list *dl)
{
	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	if (strncmp(line, "export ", 7) == 0)
		line = trim(line + 7);
	size_t eq = name_len(line), n = eq;
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	struct ir_pos pos = {.file = path, .line = lineno, .col = 1};
	if (!cli_valid_name(line, n))
		return diag_error(dl, pos, rule, "line is not NAME=VALUE");
	line[n] = '\0';
	char *v = trim(line + eq + 1);
	unquote(v);
	return set_n(s, line, n, v, dl, path);
}

int cli_dotenv(struct rt_secrets *s, const char *path, const char *what,
	       const char *read_rule, const char *rule, struct diag_list *dl)
{
	size_t len;
	char *text = rt_read_file(path, RT_MAX_SECRET * 4, &len);
	if (!text)
		return diag_error(dl, arg_pos(path), read_rule, "cannot read %s file: %s", what,
				  strerror(errno));
	int r = 0, lineno = 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (dotenv_line(s, line, path, lineno, rule, dl) < 0)
			r = -1;
	}
	free(text);
	return r;
}

int cli_secrets_dotenv(struct rt_secrets *s, const char *path, struct diag_list *dl)
{
	return cli_dotenv(s, path, "secrets", "secret-missing", "secret-missing", dl);
}
