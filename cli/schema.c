/*
 * schema.c - `pipec schema`: prints the JSON Schema of the YAML dialect
 * for editors (yaml-language-server).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int schema(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(cmd_schema.usage, stdout);
		return EXIT_OK;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return cli_usage_error("schema", "expected at most one output file");
	char *text = fe_yaml_schema();
	int rc = cli_write_output(argc == 2 ? argv[1] : "-", text) < 0 ? EXIT_FAILED : EXIT_OK;
	free(text);
	return rc;
}

const struct command cmd_schema = {
	"schema", schema, "print the JSON Schema of pipeline YAML files",
	"usage: pipec schema [OUT]\n"
	"\n"
	"Writes the JSON Schema (draft-07) of the Drone-style YAML that pipec reads\n"
	"to OUT, or to stdout.  Editors using yaml-language-server then complete,\n"
	"describe and check every key; point them at it with a first line\n"
	"\n"
	"  # yaml-language-server: $schema=pipec.schema.json\n",
};
