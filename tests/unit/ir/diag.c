/*
 * diag.c - the arena, the diagnostics list and its three printers, and
 * ir_suggest().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "tests/unit/ir/fixture.h"

Test(arena, allocations_are_zeroed_aligned_and_survive_growth)
{
	struct ir_arena *a = ir_arena_new();
	char *first = ir_strdup(a, "first");
	for (int i = 0; i < 10000; i++) {
		unsigned char *p = ir_alloc(a, (size_t)(i % 97) + 1);
		cr_assert_eq((uintptr_t)p % _Alignof(max_align_t), 0);
		for (int j = 0; j < i % 97 + 1; j++)
			cr_assert_eq(p[j], 0);
		memset(p, 0xff, (size_t)(i % 97) + 1);
	}
	char *big = ir_alloc(a, 1 << 20);
	big[(1 << 20) - 1] = 'x';
	cr_assert_str_eq(first, "first");
	ir_arena_free(a);
}

Test(arena, strings_and_printf)
{
	struct ir_arena *a = ir_arena_new();
	cr_assert_null(ir_strdup(a, NULL));
	cr_assert_str_eq(ir_strndup(a, "abcdef", 3), "abc");
	cr_assert_str_eq(ir_printf(a, "%s-%d", "step", 7), "step-7");
	int *v = ir_calloc(a, 4, sizeof *v);
	cr_assert(v[0] == 0 && v[3] == 0);
	ir_arena_free(a);
	ir_arena_free(NULL);
}

/* After a reset the first block is reused and later blocks are gone. */
Test(arena, reset_reuses_the_first_block)
{
	struct ir_arena *a = ir_arena_new();
	char *first = ir_alloc(a, 16);
	memset(first, 0xff, 16);
	for (int i = 0; i < 1000; i++)
		ir_alloc(a, 1000);       /* several blocks, freed by the reset */
	ir_alloc(a, 1 << 20);
	ir_arena_reset(a);
	unsigned char *again = ir_alloc(a, 16);
	cr_assert_eq((void *)again, (void *)first, "the first block is handed out again");
	for (int i = 0; i < 16; i++)
		cr_assert_eq(again[i], 0, "and zeroed");
	ir_arena_reset(a);
	ir_arena_free(a);
}

#define HUGE (2u << 20)

/* Whether the mapping holding `p` is advised for huge pages (smaps "hg"). */
static bool advised_huge(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool inside = false, hg = false;
	cr_assert_not_null(f);
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0)
			hg = strstr(line, " hg") != NULL;
	}
	fclose(f);
	return hg;
}

/* What a large document expects comes from one mapping on huge-page bounds. */
Test(arena, expected_bytes_come_from_one_huge_page_mapping)
{
	struct ir_arena *a = ir_arena_new();
	ir_arena_expect(a, 5 * (HUGE / 2));     /* whole huge pages: two */
	char *first = ir_alloc(a, 1024), *p = first;
	cr_assert_lt((uintptr_t)first % HUGE, 64, "the mapping starts on a huge page");
	for (int i = 1; i < 4096; i++) {        /* 4 MiB less the block's header */
		char *q = ir_alloc(a, 1024);
		if (i < 4095)
			cr_assert_eq(q, p + 1024, "allocation %d is contiguous", i);
		p = q;
	}
	unsigned char *after = ir_alloc(a, 4096);  /* past the mapping: a block of its own */
	for (int i = 0; i < 4096; i++)
		cr_assert_eq(after[i], 0);
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0)
		cr_assert(advised_huge(first), "the kernel is asked for huge pages");
	memset(first, 0xff, 1024);
	ir_arena_reset(a);
	unsigned char *again = ir_alloc(a, 1024);
	cr_assert_eq((void *)again, (void *)first, "a reset keeps the mapping");
	for (int i = 0; i < 1024; i++)
		cr_assert_eq(again[i], 0);
	ir_arena_free(a);
}

/* Below one huge page, and on a second call, expecting changes nothing. */
Test(arena, small_or_repeated_expectations_change_nothing)
{
	struct ir_arena *a = ir_arena_new();
	char *x = ir_alloc(a, 16), *x1 = ir_alloc(a, 16);
	ptrdiff_t step = x1 - x;
	ir_arena_expect(a, HUGE - 1);
	char *x2 = ir_alloc(a, 16);
	cr_assert_eq(x2, x1 + step, "the first block goes on");
	ir_arena_expect(a, HUGE);
	char *y = ir_alloc(a, 16);
	cr_assert_lt((uintptr_t)y % HUGE, 64);
	ir_arena_expect(a, 4 * HUGE);
	char *y2 = ir_alloc(a, 16);
	cr_assert_eq(y2, y + step, "only the first expectation maps");
	ir_arena_free(a);
}

static struct ir_pos at(const char *file, int line, int col)
{
	return (struct ir_pos){.file = file, .line = line, .col = col};
}

Test(diag, errors_return_minus_one_and_are_counted)
{
	struct diag_list dl;
	diag_list_init(&dl);
	cr_assert_eq(diag_error(&dl, at("a.yml", 1, 1), "r", "x %d", 1), -1);
	cr_assert_eq(diag_warning(&dl, at("a.yml", 1, 1), "r", "w"), 0);
	cr_assert_eq(diag_add(&dl, DIAG_NOTE, at("a.yml", 1, 1), "r", "n"), 0);
	cr_assert_eq(dl.nerrors, 1);
	cr_assert_eq(dl.nwarnings, 1);
	cr_assert_eq(dl.len, 3);
	cr_assert_str_eq(dl.items[0].message, "x 1");
	diag_list_release(&dl);
}

Test(diag, list_stops_at_diag_max_and_counts_the_rest)
{
	struct diag_list dl;
	diag_list_init(&dl);
	for (int i = 0; i < DIAG_MAX + 5; i++)
		diag_error(&dl, at("a.yml", i + 1, 1), "r", "problem %d", i);
	cr_assert_eq(dl.len, DIAG_MAX);
	cr_assert_eq(dl.ndropped, 5);
	cr_assert_eq(dl.nerrors, DIAG_MAX + 5);
	char *text = fixture_dump(&dl);
	cr_assert_not_null(strstr(text, "5 more diagnostics not shown"));
	free(text);
	diag_list_release(&dl);
}

Test(diag, sort_orders_by_file_line_column_and_is_stable)
{
	struct diag_list dl;
	diag_list_init(&dl);
	diag_error(&dl, at("b.yml", 1, 1), "r", "b1");
	diag_error(&dl, at("a.yml", 9, 2), "r", "a9-2");
	diag_error(&dl, at("a.yml", 9, 1), "r", "a9-1 first");
	diag_error(&dl, at("a.yml", 2, 5), "r", "a2");
	diag_error(&dl, at("a.yml", 9, 1), "r", "a9-1 second");
	diag_sort(&dl);
	const char *want[] = {"a2", "a9-1 first", "a9-1 second", "a9-2", "b1"};
	for (size_t i = 0; i < 5; i++)
		cr_assert_str_eq(dl.items[i].message, want[i]);
	diag_list_release(&dl);
}

static char *render(const struct diag_list *dl, enum diag_format fmt, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	diag_print(f, dl, fmt, color);
	fclose(f);
	return buf;
}

static void two(struct diag_list *dl)
{
	diag_list_init(dl);
	diag_error(dl, at("build.yml", 14, 7), "step-failed", "step '%s' exited with status 2",
		   "test");
	diag_warning(dl, (struct ir_pos){.file = "x.json", .pointer = "/pipelines/0"},
		     "ir-thing", "odd \"quoted\"");
}

Test(diag, text_format)
{
	struct diag_list dl;
	two(&dl);
	char *text = render(&dl, DIAG_TEXT, false);
	cr_assert_str_eq(text,
			 "build.yml:14:7: error: step 'test' exited with status 2 [step-failed]\n"
			 "x.json:/pipelines/0: warning: odd \"quoted\" [ir-thing]\n");
	free(text);
	text = render(&dl, DIAG_TEXT, true);
	cr_assert_not_null(strstr(text, "\033[1;31merror:\033[0m"));
	free(text);
	diag_list_release(&dl);
}

/* Control bytes from the file are spelled out: one diagnostic, one line. */
Test(diag, text_format_spells_out_control_bytes)
{
	struct diag_list dl;
	diag_list_init(&dl);
	diag_error(&dl, (struct ir_pos){.file = "a\nb.yml", .line = 2, .col = 3}, "bad-name",
		   "step '%s' is odd", "x\ty\r\nz\033[2J\x7f");
	char *text = render(&dl, DIAG_TEXT, false);
	cr_assert_str_eq(text, "a\\nb.yml:2:3: error: step 'x\\ty\\r\\nz\\x1b[2J\\x7f' is odd [bad-name]\n");
	free(text);
	diag_list_release(&dl);
}

Test(diag, json_format)
{
	struct diag_list dl;
	two(&dl);
	char *text = render(&dl, DIAG_JSON, false);
	cJSON *arr = cJSON_Parse(text);
	cr_assert(cJSON_IsArray(arr));
	cr_assert_eq(cJSON_GetArraySize(arr), 2);
	cJSON *first = cJSON_GetArrayItem(arr, 0), *second = cJSON_GetArrayItem(arr, 1);
	cr_assert_eq(cJSON_GetObjectItem(first, "line")->valueint, 14);
	cr_assert_eq(cJSON_GetObjectItem(first, "column")->valueint, 7);
	cr_assert_str_eq(cJSON_GetObjectItem(first, "rule")->valuestring, "step-failed");
	cr_assert_str_eq(cJSON_GetObjectItem(first, "severity")->valuestring, "error");
	cr_assert_str_eq(cJSON_GetObjectItem(second, "pointer")->valuestring, "/pipelines/0");
	cr_assert_str_eq(cJSON_GetObjectItem(second, "message")->valuestring, "odd \"quoted\"");
	cr_assert_null(cJSON_GetObjectItem(second, "line"));
	cJSON_Delete(arr);
	free(text);
	diag_list_release(&dl);
}

Test(diag, sarif_format)
{
	struct diag_list dl;
	two(&dl);
	char *text = render(&dl, DIAG_SARIF, false);
	cJSON *log = cJSON_Parse(text);
	cr_assert_str_eq(cJSON_GetObjectItem(log, "version")->valuestring, "2.1.0");
	cJSON *results = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(log, "runs"), 0),
					     "results");
	cr_assert_eq(cJSON_GetArraySize(results), 2);
	cJSON *r = cJSON_GetArrayItem(results, 0);
	cr_assert_str_eq(cJSON_GetObjectItem(r, "ruleId")->valuestring, "step-failed");
	cr_assert_str_eq(cJSON_GetObjectItem(r, "level")->valuestring, "error");
	cJSON *region = cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "locations"), 0),
				    "physicalLocation"), "region");
	cr_assert_eq(cJSON_GetObjectItem(region, "startLine")->valueint, 14);
	cr_assert_eq(cJSON_GetObjectItem(region, "startColumn")->valueint, 7);
	cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 1), "level")->valuestring,
			 "warning");
	cJSON_Delete(log);
	free(text);
	diag_list_release(&dl);
}

static const char *const keys[] = {"image", "environment", "depends_on", "detach", "name"};

Test(suggest, close_words_are_suggested)
{
	cr_assert_str_eq(ir_suggest("imgae", keys, 5), "image");
	cr_assert_str_eq(ir_suggest("enviroment", keys, 5), "environment");
	cr_assert_str_eq(ir_suggest("depends-on", keys, 5), "depends_on");
	cr_assert_str_eq(ir_suggest("Name", keys, 5), "name");
}

Test(suggest, far_or_odd_words_are_not)
{
	cr_assert_null(ir_suggest("frobnicate", keys, 5));
	cr_assert_null(ir_suggest("", keys, 5));
	cr_assert_null(ir_suggest("x", keys, 5));
	char huge[5000];
	memset(huge, 'i', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	cr_assert_null(ir_suggest(huge, keys, 5));
	cr_assert_null(ir_suggest("image", keys, 0));
}
