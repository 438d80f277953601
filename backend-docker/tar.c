/*
 * tar.c - the ustar subset the archive API needs.
 *
 * Writing: a 512-byte header per entry (name split into prefix/name when
 * longer than 100 bytes), the data padded to 512, two zero blocks at the
 * end.  Reading walks headers, honouring GNU long names ('L') since the
 * engine emits them, and checks every size against the buffer.
 * Extraction takes files and directories only and refuses absolute names
 * and `..`, so an archive cannot write outside its directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend-docker/internal.h"

static int set_name(unsigned char *h, const char *name)
{
	size_t n = strlen(name);
	if (n <= 100) {
		memcpy(h, name, n);
		return 0;
	}
	/* split at a slash so that prefix <= 155 and name <= 100 */
	for (size_t i = n - 1; i > 0; i--) {
		if (name[i] == '/' && i <= 155 && n - i - 1 <= 100 && n - i - 1 > 0) {
			memcpy(h + 345, name, i);
			memcpy(h, name + i + 1, n - i - 1);
			return 0;
		}
	}
	return -1;
}

int docker_tar_add(struct docker_buf *b, const char *name, int mode, char type,
	       const void *data, size_t len)
{
	unsigned char h[512] = {0};
	while (*name == '/')
		name++;
	if (set_name(h, name) < 0)
		return -1;
	snprintf((char *)h + 100, 8, "%07o", mode & 07777);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)len);
	snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)time(NULL));
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof h; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	docker_buf_put(b, h, sizeof h);
	static const char zero[512];
	if (len) {
		docker_buf_put(b, data, len);
		docker_buf_put(b, zero, (512 - len % 512) % 512);
	}
	return 0;
}

void docker_tar_end(struct docker_buf *b)
{
	static const char zero[1024];
	docker_buf_put(b, zero, sizeof zero);
}

static unsigned long long octal(const char *s, size_t n)
{
	unsigned long long v = 0;
	for (size_t i = 0; i < n && s[i]; i++)
		if (s[i] >= '0' && s[i] <= '7')
			v = v * 8 + (unsigned)(s[i] - '0');
	return v;
}

static void header_name(const char *h, char *out, size_t size)
{
	char name[101] = {0}, prefix[156] = {0};
	memcpy(name, h, 100);
	if (memcmp(h + 257, "ustar", 5) == 0)
		memcpy(prefix, h + 345, 155);
	if (prefix[0])
		snprintf(out, size, "%s/%s", prefix, name);
	else
		snprintf(out, size, "%s", name);
}

int docker_tar_each(const char *tar, size_t len, docker_tar_fn *fn, void *arg)
{
	char longname[512] = {0};
	for (size_t off = 0; off + 512 <= len;) {
		const char *h = tar + off;
		if (!h[0])
			return 0;                   /* the end-of-archive block */
		unsigned long long size = octal(h + 124, 12);
		if (size > len - off - 512)
			return -1;
		struct docker_tar_entry e = {.type = h[156] ? h[156] : '0',
					 .mode = (int)octal(h + 100, 8),
					 .data = h + 512, .size = (size_t)size};
		off += 512 + ((size_t)size + 511) / 512 * 512;
		if (e.type == 'L') {
			size_t n = e.size < sizeof longname ? e.size : sizeof longname - 1;
			memcpy(longname, e.data, n);
			longname[n] = 0;
			continue;
		}
		if (longname[0])
			snprintf(e.name, sizeof e.name, "%s", longname);
		else
			header_name(h, e.name, sizeof e.name);
		longname[0] = 0;
		int rc = fn(arg, &e);
		if (rc)
			return rc;
	}
	return 0;
}

static bool name_safe(const char *n)
{
	if (n[0] == '/')
		return false;
	for (const char *p = n; *p;) {
		size_t seg = strcspn(p, "/");
		if (seg == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += seg;
		while (*p == '/')
			p++;
	}
	return true;
}

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		int rc = mkdir(path, 0755);
		*p = '/';
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int extract_one(void *arg, const struct docker_tar_entry *e)
{
	const char *dir = arg;
	if (!name_safe(e->name))
		return errno = EINVAL, -1;
	if (e->type != '0' && e->type != '5')
		return 0;
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->name) >= sizeof path)
		return errno = ENAMETOOLONG, -1;
	if (mkdirs(path) < 0)
		return -1;
	if (e->type == '5')
		return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)(e->mode & 0777));
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < e->size) {
		ssize_t n = write(fd, e->data + done, e->size - done);
		if (n < 0 && errno != EINTR) {
			close(fd);
			return -1;
		}
		done += n > 0 ? (size_t)n : 0;
	}
	return close(fd);
}

int docker_tar_extract(const char *tar, size_t len, const char *dir)
{
	char base[4096];
	snprintf(base, sizeof base, "%s/", dir);
	if (mkdirs(base) < 0)
		return -1;
	return docker_tar_each(tar, len, extract_one, (void *)dir);
}
