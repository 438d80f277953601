/*
 * secrets.c - where secret values come from.
 *
 * The user's values (given on the command line, cli/secrets.c) land in
 * one name -> value store.  When a run starts, each secret a step or a
 * pull asks for is looked up there first, then through the source the
 * pipeline declares (a host variable or file).  Values only ever travel
 * to steps through their environment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"

#define MISSING "secret '%s' is not set; give it with --secret, --secret-file, " \
		"--secret-env or --secrets"

void rt_secrets_init(struct rt_secrets *s)
{
	memset(s, 0, sizeof *s);
}

void rt_secrets_release(struct rt_secrets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].value);
	}
	free(s->v);
	rt_secrets_init(s);
}

const char *rt_secrets_get(const struct rt_secrets *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->v[i].key, name) == 0)
			return s->v[i].value;
	return NULL;
}

int rt_secrets_set(struct rt_secrets *s, const char *name, const char *value)
{
	char *v = strdup(value);
	if (!v)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].key, name) == 0) {
			free(s->v[i].value);
			s->v[i].value = v;
			return 0;
		}
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct ir_kv *nv = realloc(s->v, cap * sizeof *nv);
		if (!nv) {
			free(v);
			return -1;
		}
		s->v = nv;
		s->cap = cap;
	}
	char *k = strdup(name);
	if (!k) {
		free(v);
		return -1;
	}
	s->v[s->n++] = (struct ir_kv){k, v};
	return 0;
}

char *rt_read_file(const char *path, size_t max, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max + 1, fp) : 0;
	int bad = !buf || ferror(fp);
	fclose(fp);
	if (bad || n > max) {
		free(buf);
		errno = bad ? (buf ? EIO : ENOMEM) : EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *rt_read_secret_file(const char *path)
{
	size_t len;
	char *v = rt_read_file(path, RT_MAX_SECRET, &len);
	if (v && len && v[len - 1] == '\n')
		v[--len] = '\0';
	if (v && len && v[len - 1] == '\r')
		v[--len] = '\0';
	return v;
}

static const struct ir_secret *declared(const struct ir_pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nsecrets; i++)
		if (p->secrets[i].name && strcmp(p->secrets[i].name, name) == 0)
			return &p->secrets[i];
	return NULL;
}

/* The value from the declared source, or NULL after a diagnostic. */
static const char *from_source(const struct ir_secret *d, struct ir_arena *a,
			       struct diag_list *dl)
{
	const char *v = NULL;
	switch (d->source) {
	case IR_SECRET_ENV:
		if (d->ref && (v = getenv(d->ref)))
			return ir_strdup(a, v);
		break;
	case IR_SECRET_FILE: {
		char *fv = d->ref ? rt_read_secret_file(d->ref) : NULL;
		if (fv) {
			v = ir_strdup(a, fv);
			free(fv);
			return v;
		}
		diag_error(dl, d->pos, "secret-missing", "cannot read secret '%s' from '%s': %s",
			   d->name, d->ref ? d->ref : "", strerror(errno));
		return NULL;
	}
	case IR_SECRET_RUNTIME:
		break;
	case IR_SECRET_EXTERNAL:
		diag_error(dl, d->pos, "secret-missing",
			   "secret '%s' comes from a secret store pipec run cannot read; "
			   "give it with --secret", d->name);
		return NULL;
	}
	if (d->source == IR_SECRET_ENV)
		diag_error(dl, d->pos, "secret-missing",
			   "secret '%s' is not set; set variable '%s' or give it with --secret",
			   d->name, d->ref ? d->ref : "");
	else
		diag_error(dl, d->pos, "secret-missing", MISSING, d->name);
	return NULL;
}

const char *rt_secret_resolve(const struct rt_secrets *s, const struct ir_pipeline *p,
			      const char *name, struct ir_pos at, struct ir_arena *a,
			      struct diag_list *dl)
{
	const char *v = rt_secrets_get(s, name);
	if (v)
		return v;
	const struct ir_secret *d = declared(p, name);
	if (d)
		return from_source(d, a, dl);
	diag_error(dl, at, "secret-missing", MISSING, name);
	return NULL;
}
