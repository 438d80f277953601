/*
 * main.c - pipec's entry: finds the command and hands it argv.
 *
 * `pipec FILE ...` with no command name is `pipec build FILE ...`, so the
 * compiler-style call `pipec build.yml -o out.json` works as users expect.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#ifndef PIPEC_VERSION
#define PIPEC_VERSION "0.1.0"
#endif

static const struct command *const commands[] = {
	&cmd_build,
	&cmd_validate,
	&cmd_lint,
	&cmd_graph,
	&cmd_plan,
	&cmd_emit,
	&cmd_run,
	&cmd_prune,
	&cmd_schema,
	&cmd_lsp,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void print_help(FILE *out)
{
	fputs("usage: pipec [COMMAND] [OPTION]... FILE...\n"
	      "\n"
	      "Compiles pipeline files (Drone-style YAML, IR JSON) into pipec's IR,\n"
	      "checks them and runs them.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("  help       show help for a command\n"
	      "\n"
	      "With no command, `pipec FILE -o OUT` is `pipec build FILE -o OUT`.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help     show this help\n"
	      "  -V, --version  show the version\n"
	      "\n"
	      "Exit status: 0 ok, 1 the pipeline or lint failed, 2 bad usage or invalid\n"
	      "input, 130 interrupted.\n", out);
}

static int help(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stdout);
		return EXIT_OK;
	}
	const struct command *c = find_command(argv[1]);
	if (!c)
		return cli_usage_error("help", "unknown command '%s'", argv[1]);
	fputs(c->usage, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	const char *arg = argv[1];
	if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "help") == 0)
		return help(argc - 1, argv + 1);
	if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
		printf("pipec %s (IR v%d)\n", PIPEC_VERSION, IR_VERSION);
		return EXIT_OK;
	}
	/* getopt prefixes its messages with argv[0]: make it "pipec CMD" */
	static char prog[64];
	const struct command *c = find_command(arg);
	if (c) {
		argc--;
		argv++;
	} else {
		c = &cmd_build;     /* no command name: argv[0] stands in for it */
	}
	snprintf(prog, sizeof prog, "pipec %s", c->name);
	argv[0] = prog;
	return c->run(argc, argv);
}
