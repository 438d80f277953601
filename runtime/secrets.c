/*
 * secrets.c - where secret values come from.
 *
 * The user supplies values on the command line (by value, file, host
 * variable or dotenv file); they land in one name -> value store.  When a
 * run starts, each secret a step asks for is looked up there first, then
 * through the source the pipeline declares (a host variable or file).
 * Values only ever travel to steps through their environment.
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

static struct ir_pos arg_pos(const char *what)
{
	return (struct ir_pos){.file = what};
}

/* Splits "NAME=REST" in place-free fashion: returns the name's length. */
static size_t name_len(const char *arg)
{
	const char *eq = strchr(arg, '=');
	return eq ? (size_t)(eq - arg) : 0;
}

static bool valid_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (i > 0 && c >= '0' && c <= '9') || (i > 0 && (c == '-' || c == '.'))))
			return false;
	}
	return true;
}

static int set_n(struct rt_secrets *s, const char *name, size_t n, const char *value,
		 struct diag_list *dl, const char *opt)
{
	char *key = strndup(name, n);
	int r = key ? rt_secrets_set(s, key, value) : -1;
	free(key);
	if (r < 0)
		return diag_error(dl, arg_pos(opt), "secret-missing", "out of memory");
	return 0;
}

int rt_secrets_add_arg(struct rt_secrets *s, const char *arg, struct diag_list *dl)
{
	size_t n = name_len(arg);
	if (!strchr(arg, '='))
		return diag_error(dl, arg_pos("--secret"), "secret-missing",
				  "'%s' is not NAME=VALUE", arg);
	/* the rest of `arg` is the value: never echo it */
	if (!valid_name(arg, n))
		return diag_error(dl, arg_pos("--secret"), "secret-missing",
				  "invalid secret name '%.*s'", (int)n, arg);
	return set_n(s, arg, n, arg + n + 1, dl, "--secret");
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

/* A file's value: its bytes, without one final newline. */
static char *file_value(const char *path)
{
	size_t len;
	char *v = rt_read_file(path, RT_MAX_SECRET, &len);
	if (v && len && v[len - 1] == '\n')
		v[--len] = '\0';
	if (v && len && v[len - 1] == '\r')
		v[--len] = '\0';
	return v;
}

int rt_secrets_add_file(struct rt_secrets *s, const char *arg, struct diag_list *dl)
{
	size_t n = name_len(arg);
	if (!valid_name(arg, n))
		return diag_error(dl, arg_pos("--secret-file"), "secret-missing",
				  "'%s' is not NAME=PATH", arg);
	const char *path = arg + n + 1;
	char *v = file_value(path);
	if (!v)
		return diag_error(dl, arg_pos(path), "secret-missing",
				  "cannot read secret file: %s", strerror(errno));
	int r = set_n(s, arg, n, v, dl, "--secret-file");
	free(v);
	return r;
}

int rt_secrets_add_env(struct rt_secrets *s, const char *name, struct diag_list *dl)
{
	const char *v = getenv(name);
	if (!v)
		return diag_error(dl, arg_pos("--secret-env"), "secret-missing",
				  "environment variable '%s' is not set", name);
	return set_n(s, name, strlen(name), v, dl, "--secret-env");
}

/* Removes matching quotes around a dotenv value; "..." knows \n and \". */
static void unquote(char *v)
{
	size_t n = strlen(v);
	if (n < 2 || (v[0] != '"' && v[0] != '\'') || v[n - 1] != v[0])
		return;
	char q = v[0], *w = v;
	for (size_t i = 1; i < n - 1; i++) {
		if (q == '"' && v[i] == '\\' && i + 1 < n - 1) {
			i++;
			*w++ = v[i] == 'n' ? '\n' : v[i];
		} else {
			*w++ = v[i];
		}
	}
	*w = '\0';
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* One dotenv line: `[export] NAME=VALUE`, blank, or `# comment`. */
static int dotenv_line(struct rt_secrets *s, char *line, const char *path, int lineno,
		       struct diag_list *dl)
{
	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	if (strncmp(line, "export ", 7) == 0)
		line = trim(line + 7);
	size_t eq = name_len(line), n = eq;
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	struct ir_pos pos = {.file = path, .line = lineno, .col = 1};
	if (!valid_name(line, n))
		return diag_error(dl, pos, "secret-missing", "line is not NAME=VALUE");
	line[n] = '\0';
	char *v = trim(line + eq + 1);
	unquote(v);
	return set_n(s, line, n, v, dl, path);
}

int rt_secrets_add_dotenv(struct rt_secrets *s, const char *path, struct diag_list *dl)
{
	size_t len;
	char *text = rt_read_file(path, RT_MAX_SECRET * 4, &len);
	if (!text)
		return diag_error(dl, arg_pos(path), "secret-missing",
				  "cannot read secrets file: %s", strerror(errno));
	int r = 0, lineno = 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (dotenv_line(s, line, path, lineno, dl) < 0)
			r = -1;
	}
	free(text);
	return r;
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
		char *fv = d->ref ? file_value(d->ref) : NULL;
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
