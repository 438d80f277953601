/*
 * roundtrip.c - ir_write() is canonical and ir_read() restores what it wrote.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tests/unit/ir/fixture.h"
#include "tests/unit/suite.h"

TestSuite(roundtrip, .init = suite_setup, .fini = suite_teardown);

/* Reads `text` back, expecting no diagnostics, and writes it again. */
static char *reread(const char *text, unsigned flags)
{
	struct ir_doc *d = fixture_read(text, arena, &dl);
	char *dump = fixture_dump(&dl);
	cr_assert_not_null(d, "reading back failed:\n%s", dump);
	cr_assert_eq(dl.len, 0, "unexpected diagnostics:\n%s", dump);
	free(dump);
	return ir_write(d, flags);
}

Test(roundtrip, every_field_survives_write_read_write)
{
	char *first = ir_write(fixture_full(arena), 0);
	char *second = reread(first, 0);
	cr_assert_str_eq(second, first);
	free(first);
	free(second);
}

Test(roundtrip, compact_survives_and_is_one_line)
{
	char *pretty = ir_write(fixture_full(arena), 0);
	char *compact = ir_write(fixture_full(arena), IR_WRITE_COMPACT);
	cr_assert_eq(strchr(compact, '\n'), compact + strlen(compact) - 1);
	cr_assert_null(strstr(compact, ": "));
	char *again = reread(compact, 0);
	cr_assert_str_eq(again, pretty);
	free(pretty);
	free(compact);
	free(again);
}

Test(roundtrip, read_restores_every_value)
{
	char *text = ir_write(fixture_full(arena), 0);
	struct ir_doc *d = fixture_read(text, arena, &dl);
	free(text);
	cr_assert_not_null(d);
	const struct ir_pipeline *p = &d->pipelines[0];
	const struct ir_step *s = &p->steps[0];
	cr_assert_eq(p->backend, IR_BACKEND_KUBE);
	cr_assert_eq(p->run_policy, IR_RUN_ALWAYS);
	cr_assert_str_eq(p->platform.variant, "v8");
	cr_assert_eq(p->secrets[1].source, IR_SECRET_EXTERNAL);
	cr_assert_eq(p->volumes[1].size_limit, INT64_C(1) << 40);
	cr_assert_eq(ir_step_extra(s)->resources.memory, INT64_C(9007199254740991));
	cr_assert_eq(s->pull, IR_PULL_IF_NOT_EXISTS);
	cr_assert_eq(ir_step_extra(s)->files[0].mode, 0600);
	cr_assert_eq(ir_step_extra(s)->health->interval_ms, 500);
	cr_assert(s->detach && s->ignore_error && s->privileged);
	cr_assert_str_eq(ir_env_get(&s->environment, "A/B~C"), "odd key");
	cr_assert_str_eq(s->skip->reason, "branch 'dev' is not in when.branch");
	cr_assert_eq(s->skip->pos.line, 20);
}

Test(roundtrip, source_restores_positions)
{
	char *text = ir_write(fixture_full(arena), 0);
	struct ir_doc *d = fixture_read(text, arena, &dl);
	free(text);
	cr_assert_not_null(d);
	const struct ir_step *s = &d->pipelines[0].steps[0];
	cr_assert_str_eq(s->pos.file, ".drone.yml");
	cr_assert_eq(s->pos.line, 12);
	cr_assert_eq(s->pos.col, 5);
	cr_assert_eq(d->pipelines[0].secrets[1].pos.line, 4);
}

Test(roundtrip, missing_source_points_into_the_ir)
{
	struct ir_doc *d = fixture_read(
		"{\"version\": 1, \"pipelines\": [{\"name\": \"a\", \"type\": \"local\","
		" \"steps\": [{\"name\": \"x\"}, {\"name\": \"y\"}]}]}", arena, &dl);
	cr_assert_not_null(d);
	const struct ir_step *s = &d->pipelines[0].steps[1];
	cr_assert_str_eq(s->pos.file, "t.json");
	cr_assert_eq(s->pos.line, 0);
	cr_assert_str_eq(s->pos.pointer, "/pipelines/0/steps/1");
	cr_assert_str_eq(d->pipelines[0].pos.pointer, "/pipelines/0");
}

Test(roundtrip, absent_and_empty_lists_differ)
{
	char *text = ir_write(fixture_full(arena), 0);
	struct ir_doc *d = fixture_read(text, arena, &dl);
	free(text);
	cr_assert_not_null(d);
	const struct ir_step *vet = &d->pipelines[1].steps[0];
	cr_assert_not_null(ir_step_extra(vet)->entrypoint.v);
	cr_assert_eq(ir_step_extra(vet)->entrypoint.n, 0);
	cr_assert_null(vet->command.v);
}

Test(roundtrip, zero_values_are_left_out)
{
	char *text = ir_write(fixture_min(arena), 0);
	cr_assert_str_eq(text,
			 "{\n"
			 "  \"version\": 3,\n"
			 "  \"pipelines\": [\n"
			 "    {\n"
			 "      \"name\": \"default\",\n"
			 "      \"type\": \"docker\",\n"
			 "      \"steps\": [\n"
			 "        {\n"
			 "          \"name\": \"build\"\n"
			 "        }\n"
			 "      ]\n"
			 "    }\n"
			 "  ]\n"
			 "}\n");
	free(text);
}

Test(roundtrip, keys_follow_declaration_order)
{
	char *text = ir_write(fixture_full(arena), 0);
	const char *order[] = {"\"source\"", "\"name\": \"test\"", "\"image\"", "\"pull\"",
			       "\"entrypoint\"", "\"command\"", "\"script\"", "\"shell\"",
			       "\"working_dir\"", "\"environment\"", "\"run_policy\": \"never\"",
			       "\"skip\"", "\"detach\"", "\"ignore_error\"", "\"health\"",
			       "\"resources\"", "\"exports\"", "\"imports\""};
	const char *at = strstr(text, "\"steps\"");
	cr_assert_not_null(at);
	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		const char *next = strstr(at, order[i]);
		cr_assert_not_null(next, "%s missing or out of order", order[i]);
		at = next;
	}
	free(text);
}

Test(roundtrip, environment_is_sorted_whatever_the_order)
{
	struct ir_doc *d = fixture_full(arena);
	char *first = ir_write(d, IR_WRITE_COMPACT);
	struct ir_env *env = &d->pipelines[0].steps[0].environment;
	struct ir_kv tmp = env->v[0];
	env->v[0] = env->v[2];
	env->v[2] = tmp;
	char *second = ir_write(d, IR_WRITE_COMPACT);
	cr_assert_str_eq(second, first);
	const char *step = strstr(first, "\"steps\"");   /* past the pipeline's own */
	const char *a = strstr(step, "\"A/B~C\""), *c = strstr(step, "\"CGO_ENABLED\"");
	const char *z = strstr(step, "\"ZED\"");
	cr_assert(a && c && z && a < c && c < z);
	free(first);
	free(second);
}

Test(roundtrip, equal_documents_write_identical_bytes)
{
	struct ir_arena *other = ir_arena_new();
	char *x = ir_write(fixture_full(arena), 0);
	char *y = ir_write(fixture_full(other), 0);
	cr_assert_str_eq(x, y);
	free(x);
	free(y);
	ir_arena_free(other);
}

Test(roundtrip, strings_are_escaped)
{
	struct ir_doc *d = fixture_min(arena);
	d->pipelines[0].steps[0].script = ir_strdup(arena, "printf '\"%s\"\\n\\t' \x01\xc3\xa9");
	char *text = ir_write(d, IR_WRITE_COMPACT);
	cr_assert_not_null(strstr(text, "\"script\":\"printf '\\\"%s\\\"\\\\n\\\\t' \\u0001\xc3\xa9\""),
			   "%s", text);
	char *again = reread(text, IR_WRITE_COMPACT);
	cr_assert_str_eq(again, text);
	free(text);
	free(again);
}

Test(roundtrip, integers_are_written_as_integers)
{
	char *text = ir_write(fixture_full(arena), 0);
	cr_assert_not_null(strstr(text, "\"memory\": 9007199254740991,"));
	cr_assert_not_null(strstr(text, "\"size_limit\": 1099511627776\n"));
	cr_assert_not_null(strstr(text, "\"mode\": 384\n"));
	free(text);
}

Test(roundtrip, a_present_but_empty_object_survives)
{
	struct ir_doc *d = fixture_min(arena);
	ir_step_extra_edit(&d->pipelines[0].steps[0], arena)->health = ir_alloc(arena, sizeof(struct ir_health));
	char *text = ir_write(d, IR_WRITE_COMPACT);
	cr_assert_not_null(strstr(text, "\"health\":{}"), "%s", text);
	cr_assert_null(strstr(text, "\"resources\""));
	cr_assert_null(strstr(text, "\"platform\""));
	char *again = reread(text, IR_WRITE_COMPACT);
	cr_assert_str_eq(again, text);
	free(text);
	free(again);
}

Test(roundtrip, positions_from_pointers_are_not_written)
{
	char *text = reread("{\"version\": 1, \"pipelines\": [{\"name\": \"a\", \"type\": \"local\","
			    " \"steps\": [{\"name\": \"x\", \"skip\": {\"reason\": \"r\"}}]}]}",
			    IR_WRITE_COMPACT);
	/* read as version 1, written as the newest version, which means the same */
	cr_assert_str_eq(text, "{\"version\":3,\"pipelines\":[{\"name\":\"a\",\"type\":\"local\","
			       "\"steps\":[{\"name\":\"x\",\"skip\":{\"reason\":\"r\"}}]}]}\n");
	free(text);
}
