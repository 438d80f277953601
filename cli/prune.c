/*
 * prune.c - `pipec prune [--dry-run]`: removes the containers, networks
 * and volumes that runs killed before their teardown left on the Docker
 * engine.  The backend finds them by label and spares those of runs still
 * alive; this file only parses options and prints what was found.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "runtime/options.h"

static const struct option prune_options[] = {
	{"dry-run", no_argument, NULL, 'n'},
	{"host", required_argument, NULL, 'H'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static int prune(int argc, char **argv)
{
	bool dry_run = false;
	const char *host = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "nH:h", prune_options, NULL)) != -1) {
		if (c == 'n')
			dry_run = true;
		else if (c == 'H')
			host = optarg;
		else if (c == 'h')
			return fputs(cmd_prune.usage, stdout), EXIT_OK;
		else
			return cli_usage_error("prune", "invalid option");
	}
	if (optind != argc)
		return cli_usage_error("prune", "unexpected argument '%s'", argv[optind]);
	struct diag_list dl;
	diag_list_init(&dl);
	struct rt_backend_options opt = {.host = host};
	int rc = cli_backend_prune("docker", &opt, dry_run, stdout, &dl);
	cli_report(&dl);
	diag_list_release(&dl);
	return rc < 0 ? EXIT_FAILED : EXIT_OK;
}

const struct command cmd_prune = {
	"prune", prune, "remove what killed runs left on the Docker engine",
	"usage: pipec prune [--dry-run] [--host DOCKER_HOST]\n"
	"\n"
	"Removes every container, network and volume labelled pipec.run whose\n"
	"run is no longer alive on this host.  --dry-run lists them instead.\n"
	"\n"
	"Exit status: 0 done, 1 the engine could not be reached or refused.\n",
};
