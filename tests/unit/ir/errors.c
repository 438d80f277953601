/*
 * errors.c - every problem ir_read() reports, with its pointer and rule.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tests/unit/ir/fixture.h"
#include "tests/unit/suite.h"

TestSuite(errors, .init = suite_setup, .fini = suite_teardown);

#define DOC(pipeline_extra, step_extra)                                             \
	"{\"version\": 1, \"pipelines\": [{\"name\": \"p\", \"type\": \"docker\""   \
	pipeline_extra ", \"steps\": [{\"name\": \"s\"" step_extra "}]}]}"

/* Reads `text`, expecting failure and a diagnostic (rule, pointer, message). */
static void expect(const char *text, const char *rule, const char *pointer, const char *msg)
{
	struct ir_doc *d = fixture_read(text, arena, &dl);
	char *dump = fixture_dump(&dl);
	cr_assert_null(d, "read succeeded");
	cr_assert(fixture_has(&dl, rule, pointer, msg), "wanted %s: %s [%s], got:\n%s",
		  pointer, msg, rule, dump);
	free(dump);
}

Test(errors, the_minimal_document_reads)
{
	struct ir_doc *d = fixture_read(DOC("", ""), arena, &dl);
	cr_assert_not_null(d);
	cr_assert_eq(dl.len, 0);
	cr_assert_eq(d->pipelines[0].backend, IR_BACKEND_DOCKER);
	cr_assert_eq(d->pipelines[0].steps[0].run_policy, IR_RUN_ON_SUCCESS);
}

Test(errors, string_expected)
{
	expect(DOC("", ", \"image\": 42"), "ir-type", "/pipelines/0/steps/0/image",
	       "expected a string, got a number");
}

Test(errors, every_json_type_is_named)
{
	expect(DOC("", ", \"image\": null"), "ir-type", "/pipelines/0/steps/0/image",
	       "expected a string, got null");
	expect(DOC("", ", \"detach\": \"yes\""), "ir-type", "/pipelines/0/steps/0/detach",
	       "expected a boolean, got a string");
	expect(DOC("", ", \"timeout\": true"), "ir-type", "/pipelines/0/steps/0/timeout",
	       "expected an integer, got a boolean");
	expect(DOC("", ", \"command\": {}"), "ir-type", "/pipelines/0/steps/0/command",
	       "expected an array of strings, got an object");
	expect(DOC("", ", \"dns\": [\"a\", 1]"), "ir-type", "/pipelines/0/steps/0/dns/1",
	       "expected a string, got a number");
	expect(DOC("", ", \"environment\": []"), "ir-type", "/pipelines/0/steps/0/environment",
	       "expected an object of strings, got an array");
	expect(DOC("", ", \"environment\": {\"A\": 1}"), "ir-type",
	       "/pipelines/0/steps/0/environment/A", "expected a string, got a number");
	expect(DOC("", ", \"health\": [1]"), "ir-type", "/pipelines/0/steps/0/health",
	       "expected an object, got an array");
	expect(DOC("", ", \"ports\": {}"), "ir-type", "/pipelines/0/steps/0/ports",
	       "expected an array, got an object");
}

Test(errors, fractions_are_not_integers)
{
	expect(DOC("", ", \"timeout\": 1.5"), "ir-type", "/pipelines/0/steps/0/timeout",
	       "expected an integer, got 1.5");
}

Test(errors, integers_out_of_range)
{
	expect(DOC("", ", \"timeout\": -1"), "ir-range", "/pipelines/0/steps/0/timeout",
	       "-1 is out of range 0..2147483647");
	expect(DOC("", ", \"timeout\": 2147483648"), "ir-range", "/pipelines/0/steps/0/timeout",
	       "2147483648 is out of range 0..2147483647");
	expect(DOC("", ", \"ports\": [{\"port\": 70000}]"), "ir-range",
	       "/pipelines/0/steps/0/ports/0/port", "70000 is out of range 1..65535");
	expect(DOC("", ", \"resources\": {\"memory\": 9007199254740992}"), "ir-range",
	       "/pipelines/0/steps/0/resources/memory",
	       "9007199254740992 is out of range 0..9007199254740991");
	expect(DOC("", ", \"retries\": 1e999"), "ir-range", "/pipelines/0/steps/0/retries",
	       "number is too large; expected 0..2147483647");
	expect(DOC("", ", \"files\": [{\"name\": \"f\", \"path\": \"/f\", \"mode\": 4096}]"),
	       "ir-range", "/pipelines/0/steps/0/files/0/mode", "4096 is out of range 0..4095");
}

Test(errors, unknown_key_with_suggestion)
{
	expect(DOC("", ", \"imgae\": \"alpine\""), "ir-unknown-key",
	       "/pipelines/0/steps/0/imgae", "unknown key 'imgae'; did you mean 'image'?");
	expect(DOC(", \"workspace\": {\"bsae\": \"/w\"}", ""), "ir-unknown-key",
	       "/pipelines/0/workspace/bsae", "unknown key 'bsae'; did you mean 'base'?");
}

Test(errors, unknown_key_without_suggestion)
{
	expect(DOC("", ", \"frobnicate\": 1"), "ir-unknown-key",
	       "/pipelines/0/steps/0/frobnicate", "unknown key 'frobnicate'");
}

Test(errors, pointer_segments_are_escaped)
{
	expect("{\"version\": 1, \"a/b~c\": 1, \"pipelines\": []}", "ir-unknown-key",
	       "/a~1b~0c", "unknown key 'a/b~c'");
}

Test(errors, missing_required_keys)
{
	expect("{\"version\": 1, \"pipelines\": [{\"steps\": [{}]}]}", "ir-missing-key",
	       "/pipelines/0", "missing required key 'name'");
	expect("{\"version\": 1, \"pipelines\": [{\"steps\": [{}]}]}", "ir-missing-key",
	       "/pipelines/0", "missing required key 'type'");
	expect("{\"version\": 1, \"pipelines\": [{\"steps\": [{}]}]}", "ir-missing-key",
	       "/pipelines/0/steps/0", "missing required key 'name'");
	expect("{\"version\": 1}", "ir-missing-key", "", "missing required key 'pipelines'");
	expect(DOC("", ", \"source\": {\"line\": 3}"), "ir-missing-key",
	       "/pipelines/0/steps/0/source", "missing required key 'file'");
}

Test(errors, no_pipelines)
{
	expect("{\"version\": 1, \"pipelines\": []}", "ir-empty", "/pipelines",
	       "expected at least 1 pipeline, got none");
}

Test(errors, bad_enum_values)
{
	expect(DOC("", ", \"run_policy\": \"on-sucess\""), "ir-enum",
	       "/pipelines/0/steps/0/run_policy", "unknown value 'on-sucess'; did you mean 'on-success'?");
	expect(DOC("", ", \"pull\": \"sometimes\""), "ir-enum", "/pipelines/0/steps/0/pull",
	       "unknown value 'sometimes'; expected one of 'default', 'always', "
	       "'if-not-exists', 'never'");
	expect("{\"version\": 1, \"pipelines\": [{\"name\": \"p\", \"type\": \"k8s\"}]}", "ir-enum",
	       "/pipelines/0/type",
	       "unknown value 'k8s'; expected one of 'docker', 'kubernetes', 'local'");
	expect(DOC("", ", \"run_policy\": 1"), "ir-type", "/pipelines/0/steps/0/run_policy",
	       "expected a string, got a number");
}

Test(errors, duplicate_keys)
{
	expect(DOC("", ", \"image\": \"a\", \"image\": \"b\""), "ir-duplicate-key",
	       "/pipelines/0/steps/0/image", "duplicate key 'image'");
	expect(DOC("", ", \"environment\": {\"A\": \"1\", \"B\": \"2\", \"A\": \"3\"}"),
	       "ir-duplicate-key", "/pipelines/0/steps/0/environment/A", "duplicate key 'A'");
}

Test(errors, unsupported_version)
{
	expect("{\"version\": 7, \"pipelines\": 1}", "ir-version", "/version",
	       "unsupported IR version 7; this pipec reads versions 1 to 3");
	/* keys of another version are not judged */
	cr_assert_eq(dl.len, 1);
}

Test(errors, missing_or_mistyped_version)
{
	expect("{\"pipelines\": []}", "ir-version", "",
	       "missing IR version; this pipec reads versions 1 to 3");
	expect("{\"version\": \"1\", \"pipelines\": []}", "ir-version", "/version",
	       "IR version must be an integer, got a string; this pipec reads versions 1 to 3");
}

Test(errors, not_an_object)
{
	expect("[1, 2]", "ir-type", "", "expected an IR document object, got an array");
}

/* The syntax diagnostic's line:col, from the text cJSON stopped in. */
static void expect_syntax(const char *text, int line, int col, const char *msg)
{
	struct ir_doc *d = fixture_read(text, arena, &dl);
	cr_assert_null(d);
	cr_assert_eq(dl.len, 1);
	cr_assert_str_eq(dl.items[0].rule, "ir-syntax");
	cr_assert_eq(dl.items[0].pos.line, line, "line %d", dl.items[0].pos.line);
	cr_assert_eq(dl.items[0].pos.col, col, "col %d", dl.items[0].pos.col);
	cr_assert_str_eq(dl.items[0].message, msg);
	diag_list_release(&dl);
}

Test(errors, syntax_error_position)
{
	expect_syntax("{\n  \"version\": 1,\n  \"pipelines\": [x]\n}\n", 3, 17,
		      "invalid JSON near 'x'");
	expect_syntax("{\"version\": 1}\n  }", 2, 3, "unexpected text after the JSON document");
	expect_syntax("", 1, 1, "unexpected end of input; the JSON is incomplete");
	expect_syntax("\n\n{\"version\": 1,\n  \"pipelines\": [x]}", 4, 17, "invalid JSON near 'x'");
	expect_syntax("[1, 2,]", 1, 7, "invalid JSON near ']'");
	expect_syntax("{\"version\": 1,\n\"a\": \"b\\u0000c\"}", 2, 8,
		      "NUL characters are not allowed in IR");
}

Test(errors, nul_bytes_are_refused)
{
	const char text[] = "{\"version\": 1, \"pipelines\": [\0]}";
	struct ir_doc *d = ir_read("t.json", text, sizeof text - 1, arena, &dl);
	cr_assert_null(d);
	cr_assert_str_eq(dl.items[0].rule, "ir-syntax");
	cr_assert_eq(dl.items[0].pos.col, 30);
}

Test(errors, an_escaped_backslash_before_u0000_is_text)
{
	struct ir_doc *d = fixture_read(DOC("", ", \"image\": \"a\\\\u0000\""), arena, &dl);
	cr_assert_not_null(d);
	cr_assert_str_eq(d->pipelines[0].steps[0].image, "a\\u0000");
}

Test(errors, every_problem_is_reported_at_once)
{
	struct ir_doc *d = fixture_read(
		"{\"version\": 1, \"pipelines\": [{\"name\": 1, \"type\": \"docker\", \"steps\": ["
		"{\"name\": \"a\", \"imgae\": \"x\", \"pull\": \"now\"},"
		"{\"timeout\": -5, \"detach\": 1}]}]}", arena, &dl);
	char *dump = fixture_dump(&dl);
	cr_assert_null(d);
	cr_assert_eq(dl.nerrors, 6, "%s", dump);
	cr_assert(fixture_has(&dl, "ir-type", "/pipelines/0/name", "expected a string, got a number"));
	cr_assert(fixture_has(&dl, "ir-unknown-key", "/pipelines/0/steps/0/imgae",
			      "unknown key 'imgae'; did you mean 'image'?"));
	cr_assert(fixture_has(&dl, "ir-missing-key", "/pipelines/0/steps/1",
			      "missing required key 'name'"));
	cr_assert(fixture_has(&dl, "ir-range", "/pipelines/0/steps/1/timeout",
			      "-5 is out of range 0..2147483647"));
	free(dump);
}

Test(errors, diagnostics_name_the_file_and_print_the_pointer)
{
	expect(DOC("", ", \"image\": 42"), "ir-type", "/pipelines/0/steps/0/image",
	       "expected a string, got a number");
	cr_assert_str_eq(dl.items[0].pos.file, "t.json");
	cr_assert_eq(dl.items[0].pos.line, 0);
	char *text = fixture_dump(&dl);
	cr_assert_str_eq(text, "t.json:/pipelines/0/steps/0/image: error: "
			       "expected a string, got a number [ir-type]\n");
	free(text);
}

Test(errors, truncated_input_is_called_incomplete)
{
	expect_syntax("{\"version\": 1,\n  \"pipelines\": [", 2, 17,
		      "unexpected end of input; the JSON is incomplete");
	expect_syntax("{\"version\": 1, \"pipelines\": [{\"name\": \"ab", 1, 42,
		      "unexpected end of input; the JSON is incomplete");
	expect_syntax("\xEF\xBB\xBF  \n", 2, 1, "unexpected end of input; the JSON is incomplete");
}

Test(errors, a_byte_order_mark_is_allowed)
{
	struct ir_doc *d = fixture_read("\xEF\xBB\xBF" DOC("", ""), arena, &dl);
	cr_assert_not_null(d);
	expect_syntax("\xEF\xBB\xBF{\"version\": x}", 1, 13, "invalid JSON near 'x'");
}

Test(errors, nesting_beyond_the_parser_limit_is_named)
{
	char text[3000] = "{\"version\": 1, \"pipelines\": ";
	size_t len = strlen(text);
	memset(text + len, '[', 1200);
	text[len + 1200] = '\0';
	expect_syntax(text, 1, 29 + 999, "arrays and objects nest deeper than 1000 levels");
}
