/*
 * image.c - image references, normalised as Docker normalises them, and
 * the check of a step's image that the validator and the backends share.
 *
 * `alpine` is docker.io/library/alpine:latest; a first component with a
 * dot or a colon, or `localhost`, is a registry; a tag follows the last
 * colon after the last slash; a digest follows `@`.  Parsing fills fixed
 * fields, so an over-long reference is an error, not an allocation.
 */
#include <ctype.h>
#include <string.h>

#include "ir/ir.h"

static bool is_domain(const char *s, size_t len)
{
	if (len == 9 && memcmp(s, "localhost", 9) == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == ':')
			return true;
	return false;
}

/* Repository paths: lowercase alphanumerics separated by . _ __ - or /. */
static bool path_ok(const char *s)
{
	if (!*s || !isalnum((unsigned char)*s))
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isupper(c))
			return false;
		if (!isalnum(c) && c != '.' && c != '_' && c != '-' && c != '/')
			return false;
		if (c == '/' && (p[1] == '/' || p[1] == 0))
			return false;
	}
	return true;
}

static bool tag_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

static int copy(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return -1;
	memcpy(dst, s, len);
	dst[len] = 0;
	return 0;
}

static int split_digest(struct ir_image_ref *r, const char *s, size_t *len, const char **why)
{
	const char *at = memchr(s, '@', *len);
	if (!at)
		return 0;
	const char *d = at + 1;
	size_t dlen = *len - (size_t)(d - s);
	if (!memchr(d, ':', dlen) || copy(r->digest, sizeof r->digest, d, dlen) < 0) {
		*why = "invalid digest";
		return -1;
	}
	*len = (size_t)(at - s);
	return 0;
}

static int split_tag(struct ir_image_ref *r, const char *s, size_t *len, const char **why)
{
	const char *slash = NULL, *colon = NULL;
	for (size_t i = 0; i < *len; i++) {
		if (s[i] == '/')
			slash = s + i;
		else if (s[i] == ':')
			colon = s + i;
	}
	if (!colon || (slash && colon < slash))
		return 0;
	if (copy(r->tag, sizeof r->tag, colon + 1, *len - (size_t)(colon + 1 - s)) < 0 || !tag_ok(r->tag)) {
		*why = "invalid tag";
		return -1;
	}
	*len = (size_t)(colon - s);
	return 0;
}

int ir_image_ref_parse(struct ir_image_ref *r, const char *s, const char **why)
{
	memset(r, 0, sizeof *r);
	*why = "invalid reference format";
	if (!s || !*s)
		return -1;
	size_t len = strlen(s);
	if (split_digest(r, s, &len, why) < 0 || split_tag(r, s, &len, why) < 0)
		return -1;
	const char *slash = memchr(s, '/', len);
	const char *path = s;
	if (slash && is_domain(s, (size_t)(slash - s))) {
		if (copy(r->domain, sizeof r->domain, s, (size_t)(slash - s)) < 0)
			return -1;
		path = slash + 1;
	} else {
		snprintf(r->domain, sizeof r->domain, "docker.io");
	}
	if (strcmp(r->domain, "index.docker.io") == 0)
		snprintf(r->domain, sizeof r->domain, "docker.io");
	size_t plen = len - (size_t)(path - s);
	bool library = strcmp(r->domain, "docker.io") == 0 && !memchr(path, '/', plen);
	size_t off = library ? 8 : 0;
	if (library)
		memcpy(r->path, "library/", 8);
	if (copy(r->path + off, sizeof r->path - off, path, plen) < 0)
		return -1;
	if (!path_ok(r->path + off)) {
		*why = "repository name must be lowercase alphanumerics";
		return -1;
	}
	r->tag_implied = !r->tag[0] && !r->digest[0];
	if (r->tag_implied)
		snprintf(r->tag, sizeof r->tag, "latest");
	return 0;
}

int ir_image_check(const struct ir_step *s, struct ir_image_ref *r, struct diag_list *dl)
{
	const char *why;
	if (ir_image_ref_parse(r, s->image, &why) == 0)
		return 0;
	diag_error(dl, s->pos, "image-invalid", "image '%s' of step '%s' is not valid: %s",
		   s->image ? s->image : "", s->name ? s->name : "", why);
	return -1;
}
