/*
 * fixture.c - the shared setup of the local backend's tests.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/backend-local/fixture.h"
#include "tests/unit/suite.h"
#include "validate/validate.h"

struct ir_arena *A;
struct ir_doc D;
struct rt_backend B;
struct rt_report R;
struct diag_list DL;
struct rt_options O;
char *out_text;
size_t out_len;
FILE *out;
char tmp[64];

void fx_setup(void)
{
	A = ir_arena_new();
	memset(&D, 0, sizeof D);
	diag_list_init(&DL);
	out = open_memstream(&out_text, &out_len);
	O = (struct rt_options){.out = out, .grace_ms = 200};
	strcpy(tmp, "/tmp/pipec-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	setenv("TMPDIR", tmp, 1);
	cr_assert_eq(local_backend_new(&B, NULL, &DL), 0);
}

void fx_teardown(void)
{
	rt_backend_release(&B);
	rt_report_release(&R);
	diag_list_release(&DL);
	fclose(out);
	free(out_text);
	ir_arena_free(A);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
}

struct ir_pipeline *pipeline(size_t n)
{
	D.version = IR_VERSION;
	D.npipelines = 1;
	D.pipelines = ir_calloc(A, 1, sizeof *D.pipelines);
	struct ir_pipeline *p = D.pipelines;
	p->name = "p";
	p->nsteps = n;
	p->steps = ir_calloc(A, n, sizeof *p->steps);
	for (size_t i = 0; i < n; i++) {
		p->steps[i].name = ir_printf(A, "s%zu", i);
		p->steps[i].pos = (struct ir_pos){.file = "t.yml", .line = (int)i + 2, .col = 3};
	}
	return p;
}

/* The runtime runs normalized IR, as `pipec run` hands it. */
enum rt_status run(void)
{
	cr_assert_eq(val_normalize(&D, A, 0), 0);
	enum rt_status st = rt_run(&D, &B, &O, &R, &DL);
	fflush(out);
	return st;
}

void use_token(struct ir_step *s, struct rt_secrets *sec)
{
	ir_step_extra_edit(s, A)->secrets = ir_calloc(A, 1, sizeof *ir_step_extra_edit(s, A)->secrets);
	ir_step_extra(s)->secrets[0] = (struct ir_secret_ref){"token", "TOKEN"};
	ir_step_extra_edit(s, A)->nsecrets = 1;
	rt_secrets_init(sec);
	rt_secrets_set(sec, "token", "v4lue");
	O.secrets = sec;
}

bool has_diag(const char *rule, const char *text)
{
	return suite_has_diag(&DL, rule, text);
}
