/*
 * script_test.c - runs the scripts fe_script() makes with /bin/sh and
 * compares what they print and do.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend/internal.h"

static struct ir_arena *arena;
static char dir[64];

static void setup(void)
{
	arena = ir_arena_new();
	snprintf(dir, sizeof dir, "%s", "/tmp/pipec-script-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	ir_arena_free(arena);
}

TestSuite(script, .init = setup, .fini = teardown);

/* Runs the script for `cmds` in `dir`; returns its exit status. */
static int run(char *const *cmds, size_t n, char *out, size_t cap)
{
	char path[128], cmd[256];
	char *script = fe_script(cmds, n, arena);
	FILE *f, *p;
	size_t len;
	int st;

	snprintf(path, sizeof path, "%s/script.sh", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "cd '%s' && /bin/sh script.sh 2>&1", dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	len = fread(out, 1, cap - 1, p);
	out[len] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(script, echoes_each_command_then_runs_it)
{
	char *cmds[] = {"echo hello", "echo 'a  b'"};
	char out[256];

	cr_assert_eq(run(cmds, 2, out, sizeof out), 0);
	cr_assert_str_eq(out, "+ echo hello\nhello\n+ echo 'a  b'\na  b\n");
}

Test(script, stops_at_the_first_failure)
{
	char *cmds[] = {"echo one", "exit 3", "echo never"};
	char out[256];

	cr_assert_eq(run(cmds, 3, out, sizeof out), 3);
	cr_assert_str_eq(out, "+ echo one\none\n+ exit 3\n");
	char *cmds2[] = {"false", "echo never"};
	cr_assert_neq(run(cmds2, 2, out, sizeof out), 0);
	cr_assert_str_eq(out, "+ false\n");
}

Test(script, command_substitution_runs_once)
{
	char *cmds[] = {"echo `echo x >> count; echo back`",
			"echo \"$(echo y >> count; echo dollar)\"", "wc -l < count"};
	char out[512];

	cr_assert_eq(run(cmds, 3, out, sizeof out), 0);
	cr_assert_str_eq(out,
			 "+ echo `echo x >> count; echo back`\nback\n"
			 "+ echo \"$(echo y >> count; echo dollar)\"\ndollar\n"
			 "+ wc -l < count\n2\n");
}

Test(script, quotes_backslashes_and_dollars_echo_literally)
{
	char *cmds[] = {"printf '%s\\n' 'it'\\''s' \"a\\\\b\" $HOME_UNSET_X '$x'",
			"echo \"'\" '\"' \\' \\\\"};
	char out[512];

	cr_assert_eq(run(cmds, 2, out, sizeof out), 0);
	cr_assert_str_eq(out,
			 "+ printf '%s\\n' 'it'\\''s' \"a\\\\b\" $HOME_UNSET_X '$x'\n"
			 "it's\na\\b\n$x\n"
			 "+ echo \"'\" '\"' \\' \\\\\n' \" ' \\\n");
}

/* A literal block's final newline is not echoed as an empty line. */
Test(script, multi_line_commands_stay_whole)
{
	char *cmds[] = {"if true; then\n  echo yes\nfi", "cat <<'EOF'\n$(no)\nEOF\n", "echo z\n\n"};
	char out[512];

	cr_assert_eq(run(cmds, 3, out, sizeof out), 0);
	cr_assert_str_eq(out,
			 "+ if true; then\n  echo yes\nfi\nyes\n"
			 "+ cat <<'EOF'\n$(no)\nEOF\n$(no)\n"
			 "+ echo z\nz\n");
}

Test(script, a_quote_in_the_text_cannot_end_the_echo)
{
	char *cmds[] = {"echo ok # '; touch pwned; '"};
	char out[256], path[160];

	cr_assert_eq(run(cmds, 1, out, sizeof out), 0);
	cr_assert_str_eq(out, "+ echo ok # '; touch pwned; '\nok\n");
	snprintf(path, sizeof path, "%s/pwned", dir);
	cr_assert_neq(access(path, F_OK), 0);
}

Test(script, quotes_at_the_edges_and_in_runs)
{
	char *cmds[] = {"'echo' ''''x''", "'true'"};
	char out[256];

	cr_assert_eq(run(cmds, 2, out, sizeof out), 0);
	cr_assert_str_eq(out, "+ 'echo' ''''x''\nx\n+ 'true'\n");
}

Test(script, trailing_backslash_cannot_swallow_the_next_echo)
{
	char *cmds[] = {"echo a \\", "echo b"};
	char out[256];

	cr_assert_eq(run(cmds, 2, out, sizeof out), 0);
	cr_assert_str_eq(out, "+ echo a \\\na\n+ echo b\nb\n");
}

Test(script, no_commands_is_an_empty_script)
{
	char out[64];

	cr_assert_str_eq(fe_script(NULL, 0, arena), "set -e\n");
	cr_assert_eq(run(NULL, 0, out, sizeof out), 0);
	cr_assert_str_eq(out, "");
}
