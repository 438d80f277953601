/*
 * prune.c - `pipec prune [--dry-run]`: removes the containers, networks
 * and volumes that runs killed before their teardown left on the Docker
 * engine.  The backend finds them by label and spares those of runs still
 * alive; this file only parses options and prints what was found.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/options.h"

static const struct option prune_options[] = {
	{"dry-run", no_argument, NULL, 'n'},
	{"host", required_argument, NULL, 'H'},
	{"backend", required_argument, NULL, 'b'},
	{"kubeconfig", required_argument, NULL, 'k'},
	{"kube-context", required_argument, NULL, 'c'},
	{"namespace", required_argument, NULL, 's'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static int prune(int argc, char **argv)
{
	bool dry_run = false;
	const char *backend = "docker";
	struct rt_backend_options opt = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "nH:h", prune_options, NULL)) != -1) {
		if (c == 'n')
			dry_run = true;
		else if (c == 'H')
			opt.host = optarg;
		else if (c == 'b' && (!strcmp(optarg, "docker") || !strcmp(optarg, "kube")))
			backend = optarg;
		else if (c == 'k')
			opt.kubeconfig = optarg;
		else if (c == 'c')
			opt.kube_context = optarg;
		else if (c == 's')
			opt.kube_namespace = optarg;
		else if (c == 'h')
			return fputs(cmd_prune.usage, stdout), EXIT_OK;
		else
			return cli_usage_error("prune", "invalid option");
	}
	if (optind != argc)
		return cli_usage_error("prune", "unexpected argument '%s'", argv[optind]);
	struct diag_list dl;
	diag_list_init(&dl);
	int rc = cli_backend_prune(backend, &opt, dry_run, stdout, &dl);
	cli_report(&dl);
	diag_list_release(&dl);
	return rc < 0 ? EXIT_FAILED : EXIT_OK;
}

const struct command cmd_prune = {
	"prune", prune, "remove what killed runs left on the Docker engine or the cluster",
	"usage: pipec prune [--dry-run] [--host DOCKER_HOST]\n"
	"       pipec prune --backend=kube [--dry-run] [--kubeconfig FILE]\n"
	"                   [--kube-context NAME] [--namespace NS]\n"
	"\n"
	"Removes every container, network and volume labelled pipec.run whose\n"
	"run is no longer alive on this host.  --dry-run lists them instead.\n"
	"With --backend=kube: the objects such runs left in the namespace\n"
	"(docs/kubernetes.md).\n"
	"\n"
	"Exit status: 0 done, 1 the engine could not be reached or refused.\n",
};
