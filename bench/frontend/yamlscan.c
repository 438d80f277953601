/*
 * yamlscan.c - the baseline for the frontend benchmark: read a file and
 * pull every libyaml event, building nothing.  No YAML frontend can be
 * faster than its parser's event stream, so pipec's compile time is
 * reported as a ratio to this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

/* Reads the whole file; the compile being compared does the same. */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return NULL;
	do {
		unsigned char *nb;

		cap = cap ? cap * 2 : 1 << 16;
		nb = realloc(buf, cap);
		if (!nb)
			break;
		buf = nb;
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (*len == cap);
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	yaml_parser_t parser;
	yaml_event_t event;
	size_t len, events = 0;
	unsigned char *text;
	int done = 0, ok = 1;

	if (argc != 2 || !(text = slurp(argv[1], &len))) {
		fprintf(stderr, "usage: yamlscan FILE\n");
		return 2;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			ok = 0;
			break;
		}
		done = event.type == YAML_STREAM_END_EVENT;
		events++;
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	free(text);
	printf("%zu events\n", events);
	return ok ? 0 : 1;
}
