/* Tar writing, reading back, and safe extraction. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "backend-docker/internal.h"

struct seen {
	char names[8][512];
	char types[8];
	int modes[8];
	size_t sizes[8];
	int n;
};

static int record(void *arg, const struct docker_tar_entry *e)
{
	struct seen *s = arg;
	snprintf(s->names[s->n], 512, "%s", e->name);
	s->types[s->n] = e->type;
	s->modes[s->n] = e->mode;
	s->sizes[s->n] = e->size;
	s->n++;
	return 0;
}

Test(tar, one_file_known_layout)
{
	struct docker_buf b;
	docker_buf_init(&b, 1 << 20);
	cr_assert_eq(docker_tar_add(&b, "/tmp/greeting.txt", 0644, '0', "hello world", 11), 0);
	docker_tar_end(&b);
	cr_expect_eq(b.len, 512 + 512 + 1024);
	cr_expect_str_eq(b.p, "tmp/greeting.txt");
	cr_expect_eq(memcmp(b.p + 257, "ustar", 5), 0);
	cr_expect_eq(memcmp(b.p + 512, "hello world", 11), 0);
	/* the checksum field matches the header's bytes */
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : (unsigned char)b.p[i];
	cr_expect_eq(strtoul(b.p + 148, NULL, 8), sum);
	struct seen s = {0};
	cr_expect_eq(docker_tar_each(b.p, b.len, record, &s), 0);
	cr_assert_eq(s.n, 1);
	cr_expect_str_eq(s.names[0], "tmp/greeting.txt");
	cr_expect_eq(s.modes[0], 0644);
	cr_expect_eq(s.sizes[0], 11);
	docker_buf_release(&b);
}

Test(tar, long_names_use_the_prefix)
{
	char name[240];
	memset(name, 'd', 120);
	name[120] = '/';
	memset(name + 121, 'f', 90);
	name[211] = 0;
	struct docker_buf b;
	docker_buf_init(&b, 1 << 20);
	cr_assert_eq(docker_tar_add(&b, name, 0755, '0', "x", 1), 0);
	docker_tar_add(&b, "dir", 0755, '5', NULL, 0);
	docker_tar_end(&b);
	struct seen s = {0};
	docker_tar_each(b.p, b.len, record, &s);
	cr_assert_eq(s.n, 2);
	cr_expect_str_eq(s.names[0], name);
	cr_expect_eq(s.types[1], '5');
	char toolong[400];
	memset(toolong, 'x', 399);
	toolong[399] = 0;
	cr_expect_eq(docker_tar_add(&b, toolong, 0644, '0', "", 0), -1);
	docker_buf_release(&b);
}

Test(tar, truncated_archive_is_an_error)
{
	struct docker_buf b;
	docker_buf_init(&b, 1 << 20);
	docker_tar_add(&b, "f", 0644, '0', "0123456789", 10);
	struct seen s = {0};
	cr_expect_eq(docker_tar_each(b.p, 512 + 4, record, &s), -1);
	cr_expect_eq(docker_tar_each(b.p, 100, record, &s), 0);   /* no whole header: nothing */
	docker_buf_release(&b);
}

Test(tar, extract_writes_files_and_refuses_escapes)
{
	char dir[] = "/tmp/pipec-tar-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct docker_buf b;
	docker_buf_init(&b, 1 << 20);
	docker_tar_add(&b, "out/", 0755, '5', NULL, 0);
	docker_tar_add(&b, "out/a.txt", 0600, '0', "abc", 3);
	docker_tar_end(&b);
	cr_assert_eq(docker_tar_extract(b.p, b.len, dir), 0);
	char path[300];
	snprintf(path, sizeof path, "%s/out/a.txt", dir);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	char got[8] = {0};
	cr_expect_eq(fread(got, 1, 7, f), 3);
	fclose(f);
	cr_expect_str_eq(got, "abc");
	struct docker_buf evil;
	docker_buf_init(&evil, 1 << 20);
	docker_tar_add(&evil, "x/../../escape", 0644, '0', "no", 2);
	docker_tar_end(&evil);
	cr_expect_eq(docker_tar_extract(evil.p, evil.len, dir), -1);
	snprintf(path, sizeof path, "%s/../escape", dir);
	cr_expect_neq(access(path, F_OK), 0);
	unlink(path);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	cr_expect_eq(system(path), 0);
	docker_buf_release(&b);
	docker_buf_release(&evil);
}
