/*
 * script.c - a step's `commands` as the POSIX sh script it runs.
 *
 * Drone's behaviour is kept: `set -e` stops the script at the first
 * failing command, and each command is echoed with a `+ ` prefix before
 * it runs.  Drone builds the echo from a Go-quoted string, which the
 * shell then expands a second time; here the echo is
 * `printf '+ %s\n' '<text>'` with the text single-quoted (each `'`
 * written as `'\''`), so the shell prints it byte for byte and nothing
 * in it (`$(...)`, backquotes, backslashes, newlines) runs twice.  The
 * command itself follows on its own lines, untouched.
 *
 * The script's size is computed first and the bytes written into one
 * arena block, so a long command list costs one allocation.
 */
#include <string.h>

#include "frontend/internal.h"

static const char script_head[] = "set -e\n";
static const char echo_head[] = "printf '+ %s\\n' '";
static const char echo_tail[] = "'\n";
static const char quote_escape[] = "'\\''";

/*
 * The length of the text echoed for `cmd`: a literal block (`- |`) ends
 * in a newline that would print as an empty line after the command.
 */
static size_t echo_len(const char *cmd, size_t n)
{
	while (n && cmd[n - 1] == '\n')
		n--;
	return n;
}

/* Bytes the single-quoted echo of `cmd` (`len` bytes) takes, quotes included. */
static size_t echo_size(const char *cmd, size_t len)
{
	const char *q = cmd, *end = cmd + echo_len(cmd, len);
	size_t n = sizeof echo_head - 1 + sizeof echo_tail - 1 + (size_t)(end - cmd);

	while ((q = memchr(q, '\'', (size_t)(end - q)))) {
		n += sizeof quote_escape - 2;
		q++;
	}
	return n;
}

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* Copies the text between quotes in runs; each quote becomes '\''. */
static char *put_echo(char *p, const char *cmd, size_t len)
{
	const char *at = cmd, *end = cmd + echo_len(cmd, len), *q;

	p = put(p, echo_head, sizeof echo_head - 1);
	while ((q = memchr(at, '\'', (size_t)(end - at)))) {
		p = put(p, at, (size_t)(q - at));
		p = put(p, quote_escape, sizeof quote_escape - 1);
		at = q + 1;
	}
	p = put(p, at, (size_t)(end - at));
	return put(p, echo_tail, sizeof echo_tail - 1);
}

/*
 * The command gets its own line, so the next echo never joins its last
 * line.  A command ending in a backslash would continue onto the echo:
 * an empty line after it takes the continuation instead.
 */
static char *put_command(char *p, const char *cmd, size_t len)
{
	p = put(p, cmd, len);
	*p++ = '\n';
	if (len && cmd[len - 1] == '\\')
		*p++ = '\n';
	return p;
}

char *fe_script(char *const *commands, size_t n, struct ir_arena *a)
{
	size_t size = sizeof script_head - 1 + 1;
	char *out, *p;

	/* Each pass measures a command once; its parts take the length. */
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(commands[i]);

		size += echo_size(commands[i], len) + len + 2;
	}
	out = ir_alloc(a, size);
	p = put(out, script_head, sizeof script_head - 1);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(commands[i]);

		p = put_echo(p, commands[i], len);
		p = put_command(p, commands[i], len);
	}
	*p = '\0';
	return out;
}
