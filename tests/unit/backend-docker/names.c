/* Resource names, labels and the bounded buffer. */
#include <stdlib.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "backend-docker/internal.h"

Test(names, mangled_and_prefixed)
{
	char *n = docker_name("ab12", "my pipeline", "step/1:x");
	cr_expect_str_eq(n, "pipec-ab12-my-pipeline-step-1-x");
	free(n);
	n = docker_name("ab12", "p", NULL);
	cr_expect_str_eq(n, "pipec-ab12-p");
	free(n);
}

Test(names, labels_carry_raw_values_and_owner)
{
	cJSON *l = docker_labels("r1", "my pipeline", "build");
	cr_expect_str_eq(cJSON_GetObjectItem(l, "pipec.run")->valuestring, "r1");
	cr_expect_str_eq(cJSON_GetObjectItem(l, "pipec.pipeline")->valuestring, "my pipeline");
	cr_expect_str_eq(cJSON_GetObjectItem(l, "pipec.step")->valuestring, "build");
	char pid[32];
	snprintf(pid, sizeof pid, ":%ld", (long)getpid());
	const char *owner = cJSON_GetObjectItem(l, "pipec.owner")->valuestring;
	cr_expect_str_eq(owner + strlen(owner) - strlen(pid), pid);
	cJSON_Delete(l);
	l = docker_labels("r1", "p", NULL);
	cr_expect_null(cJSON_GetObjectItem(l, "pipec.step"));
	cJSON_Delete(l);
}

Test(names, buffer_stops_at_its_ceiling)
{
	struct docker_buf b;
	docker_buf_init(&b, 10);
	docker_buf_put(&b, "0123456", 7);
	cr_expect(!b.overflow);
	docker_buf_put(&b, "789abc", 6);
	cr_expect(b.overflow);
	cr_expect_eq(b.len, 10);
	cr_expect_str_eq(b.p, "0123456789");
	docker_buf_release(&b);
}
