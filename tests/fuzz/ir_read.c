/*
 * ir_read.c - the strict IR v3 reader.  Whatever it accepts, the writer
 * renders as text the reader accepts again, and that text renders to the
 * same bytes: the reader and the writer agree on the format.
 */
#include "tests/fuzz/fuzz.h"

/* ir_write() of what ir_read() makes of `text`; NULL when refused. */
static char *reread(const char *text, size_t len, struct diag_list *dl)
{
	struct ir_arena *a = ir_arena_new();
	struct ir_doc *d = ir_read("fuzz.json", text, len, a, dl);
	char *out = d && !dl->nerrors ? ir_write(d, 0) : NULL;
	ir_arena_free(a);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list dl;
	diag_list_init(&dl);
	char *once = reread((const char *)data, size, &dl);
	diag_list_release(&dl);
	if (!once)
		return 0;
	diag_list_init(&dl);
	char *twice = reread(once, strlen(once), &dl);
	if (!twice) {
		diag_print(stderr, &dl, DIAG_TEXT, false);
		fuzz_fail("the reader refuses what the writer wrote:\n%s", once);
	}
	if (strcmp(once, twice) != 0)
		fuzz_fail("reading and writing again changes the IR:\n%s\n---- became\n%s", once, twice);
	free(once);
	free(twice);
	diag_list_release(&dl);
	return 0;
}
