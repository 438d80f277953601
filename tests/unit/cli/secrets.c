/*
 * secrets.c - how `pipec run` takes secret values: NAME=VALUE arguments
 * (a value is never echoed), files, host variables and dotenv files.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "runtime/secrets.h"

Test(secrets, arguments_files_and_dotenv)
{
	struct rt_secrets s;
	struct diag_list dl;
	rt_secrets_init(&s);
	diag_list_init(&dl);
	cr_assert_eq(cli_secret_arg(&s, "A=x=y", &dl), 0);
	cr_assert_str_eq(rt_secrets_get(&s, "A"), "x=y");
	cr_assert_eq(cli_secret_arg(&s, "novalue", &dl), -1);
	cr_assert_eq(cli_secret_arg(&s, "1bad=secret-text", &dl), -1);
	cr_assert_null(strstr(dl.items[1].message, "secret-text"));
	char path[] = "/tmp/pipec-dotenv-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "# c\nexport B=\"two\\nlines\"\nC = 'q' \n\nbad line\n";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(cli_secrets_dotenv(&s, path, &dl), -1);
	cr_assert_str_eq(rt_secrets_get(&s, "B"), "two\nlines");
	cr_assert_str_eq(rt_secrets_get(&s, "C"), "q");
	cr_assert_eq(dl.items[2].pos.line, 5);
	char arg[64];
	snprintf(arg, sizeof arg, "F=%s", path);
	cr_assert_eq(cli_secret_file(&s, arg, &dl), 0);
	cr_assert(strstr(rt_secrets_get(&s, "F"), "export B"));
	unlink(path);
	cr_assert_eq(cli_secret_env(&s, "PIPEC_SURELY_UNSET_VARIABLE", &dl), -1);
	rt_secrets_release(&s);
	diag_list_release(&dl);
}
