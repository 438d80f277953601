/*
 * when.c - `when` (step) and `trigger` (pipeline) conditions, and the
 * globs they match with.
 *
 * A condition map is checked and evaluated in one walk.  Each clause
 * (`branch: ...`) is read into include and exclude pattern lists, then
 * matched against the context field of the same name; a NULL field is
 * unknown and rules nothing out.  The first clause that rules the step
 * out, in file order, becomes its skip reason, positioned at the clause.
 * `status` is not matched against the context: it becomes the run
 * policy.  Malformed clauses are errors (Drone drops them silently, which
 * turns a typo into "always run"), and every one is reported.
 *
 * Globs follow Drone's (doublestar): `*` and `?` stop at `/`, `**`
 * crosses it, and `**` between slashes also matches no directory at all.
 * Braces are expanded first (a bounded number of alternatives); each
 * alternative becomes a small token list run as an NFA over the string,
 * so matching costs pattern length times string length, never
 * backtracking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/internal.h"

/* Ceilings on one glob: pattern bytes and brace alternatives tried. */
#define GLOB_MAX_PATTERN 1024
#define GLOB_MAX_ALTERNATIVES 1024
/* Patterns up to this length are matched without touching the heap. */
#define GLOB_SMALL 64
/* Longest skip reason; longer pattern lists end in `...`. */
#define REASON_MAX 400

/* ---- Globs ---------------------------------------------------------- */

/*
 * T_DIRS stands before the three tokens of a `**` followed by a slash: it
 * may skip all of them, so `**` between two slashes can match no directory.
 */
enum tok_kind { T_LIT, T_ANY, T_CLASS, T_STAR, T_DSTAR, T_DIRS };

struct tok {
	enum tok_kind kind;
	unsigned char c;            /* T_LIT */
	const char *cls;            /* T_CLASS: the text inside [ ] */
	size_t clen;
};

/* Index just past the `]` closing the class opened at p[i], or 0. */
static size_t class_end(const char *p, size_t n, size_t i)
{
	size_t j = i + 1;

	if (j < n && (p[j] == '!' || p[j] == '^'))
		j++;
	if (j < n && p[j] == ']')
		j++;                /* a leading ] is a member */
	for (; j < n; j++) {
		if (p[j] == '\\' && j + 1 < n)
			j++;
		else if (p[j] == ']')
			return j + 1;
	}
	return 0;
}

static bool class_match(const struct tok *t, unsigned char ch)
{
	const char *c = t->cls, *end = t->cls + t->clen;
	bool neg = c < end && (*c == '!' || *c == '^'), hit = false;

	if (neg)
		c++;
	for (bool first = true; c < end; first = false) {
		unsigned char lo = *c++, hi;

		if (lo == '\\' && c < end)
			lo = *c++;
		else if (lo == ']' && !first)
			break;
		hi = lo;
		if (c + 1 < end && *c == '-' && c[1] != ']') {
			hi = c[1] == '\\' && c + 2 < end ? c[2] : c[1];
			c += c[1] == '\\' && c + 2 < end ? 3 : 2;
		}
		if (ch >= lo && ch <= hi)
			hit = true;
	}
	return hit != neg;
}

/* The `**` at p[i]: does it stand for whole directories, between slashes? */
static bool dstar_is_dir(const char *p, size_t n, size_t i, size_t after)
{
	return (i == 0 || p[i - 1] == '/') && after < n && p[after] == '/';
}

/* Tokenizes a brace-free pattern; returns the count, or -1 if malformed. */
static long tokenize(const char *p, size_t n, bool path, struct tok *out)
{
	long nt = 0;

	for (size_t i = 0; i < n;) {
		struct tok *t = &out[nt++];

		*t = (struct tok){.kind = T_LIT, .c = (unsigned char)p[i]};
		if (p[i] == '\\') {
			if (i + 1 == n)
				return -1;
			t->c = (unsigned char)p[i + 1];
			i += 2;
		} else if (p[i] == '?') {
			t->kind = T_ANY;
			i++;
		} else if (p[i] == '[') {
			size_t e = class_end(p, n, i);

			if (!e)
				return -1;
			*t = (struct tok){.kind = T_CLASS, .cls = p + i + 1, .clen = e - i - 2};
			i = e;
		} else if (p[i] == '*') {
			size_t j = i;

			while (j < n && p[j] == '*')
				j++;
			t->kind = j - i > 1 && path ? T_DSTAR : T_STAR;
			if (t->kind == T_DSTAR && dstar_is_dir(p, n, i, j)) {
				t->kind = T_DIRS;
				out[nt++] = (struct tok){.kind = T_DSTAR};
				out[nt++] = (struct tok){.kind = T_LIT, .c = '/'};
				j++;
			}
			i = j;
		} else {
			i++;
		}
	}
	return nt;
}

/* Follows the empty moves: every star may match nothing. */
static void closure(const struct tok *t, long nt, bool *st)
{
	for (long i = 0; i < nt; i++) {
		if (!st[i] || t[i].kind < T_STAR)
			continue;
		st[i + 1] = true;
		if (t[i].kind == T_DIRS)
			st[i + 3] = true;
	}
}

static void step(const struct tok *t, long nt, const bool *cur, bool *nxt,
		 unsigned char ch, bool path)
{
	bool sep = path && ch == '/';

	memset(nxt, 0, (size_t)nt + 1);
	for (long i = 0; i < nt; i++) {
		if (!cur[i])
			continue;
		switch (t[i].kind) {
		case T_LIT: nxt[i + 1] |= t[i].c == ch; break;
		case T_ANY: nxt[i + 1] |= !sep; break;
		case T_CLASS: nxt[i + 1] |= !sep && class_match(&t[i], ch); break;
		case T_STAR: nxt[i] |= !sep; break;
		case T_DSTAR: nxt[i] = true; break;
		case T_DIRS: break;
		}
	}
	closure(t, nt, nxt);
}

/* Matches a brace-free pattern: -1 malformed, else 0 or 1. */
static int match_plain(const char *p, size_t n, const char *s, size_t slen,
		       bool path)
{
	/* Branch and event patterns are short: no allocation for them. */
	struct tok tbuf[GLOB_SMALL + 1];
	bool sbuf[2 * (GLOB_SMALL + 2)] = {0};
	bool small = n <= GLOB_SMALL;
	struct tok *t = small ? tbuf : malloc((n + 1) * sizeof *t);
	bool *st = small ? sbuf : calloc(2 * (n + 2), 1);
	long nt = t && st ? tokenize(p, n, path, t) : -1;
	int r = -1;

	if (nt >= 0) {
		bool *cur = st, *nxt = st + n + 2;

		cur[0] = true;
		closure(t, nt, cur);
		for (size_t i = 0; i < slen; i++) {
			step(t, nt, cur, nxt, (unsigned char)s[i], path);
			bool *tmp = cur; cur = nxt; nxt = tmp;
		}
		r = cur[nt];
	}
	if (!small) {
		free(t);
		free(st);
	}
	return r;
}

/* Finds the first top-level `{`; sets *close and fills the comma list. */
static const char *find_brace(const char *p, size_t n, size_t *close)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\') {
			i++;
		} else if (p[i] == '[') {
			size_t e = class_end(p, n, i);
			if (e)
				i = e - 1;
		} else if (p[i] == '{') {
			int depth = 0;
			for (size_t j = i; j < n; j++) {
				if (p[j] == '\\')
					j++;
				else if (p[j] == '{')
					depth++;
				else if (p[j] == '}' && --depth == 0)
					return *close = j, p + i;
			}
			return *close = 0, p + i;
		}
	}
	return NULL;
}

/* End of the alternative that starts at p[i] inside a brace group. */
static size_t alt_end(const char *p, size_t close, size_t i)
{
	int depth = 0;

	for (; i < close; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '{')
			depth++;
		else if (p[i] == '}')
			depth--;
		else if (p[i] == ',' && depth == 0)
			return i;
	}
	return close;
}

static int match_braces(const char *p, size_t n, const char *s, size_t slen,
			bool path, int *budget);

/* Tries each alternative of the group p[open..close] in place. */
static int match_group(const char *p, size_t n, size_t open, size_t close,
		       const char *s, size_t slen, bool path, int *budget)
{
	char *buf = malloc(n);
	int r = 0;

	if (!buf)
		return -1;
	for (size_t a = open + 1; r == 0; a++) {
		size_t e = alt_end(p, close, a), len = 0;

		memcpy(buf, p, open);
		len = open;
		memcpy(buf + len, p + a, e - a);
		len += e - a;
		memcpy(buf + len, p + close + 1, n - close - 1);
		len += n - close - 1;
		r = match_braces(buf, len, s, slen, path, budget);
		if (e == close)
			break;
		a = e;
	}
	free(buf);
	return r;
}

static int match_braces(const char *p, size_t n, const char *s, size_t slen,
			bool path, int *budget)
{
	size_t close;
	const char *open = find_brace(p, n, &close);

	if (--*budget < 0)
		return -1;
	if (!open)
		return match_plain(p, n, s, slen, path);
	if (!close)
		return -1;
	return match_group(p, n, (size_t)(open - p), close, s, slen, path, budget);
}

int fe_glob_match_n(const char *pattern, size_t plen, const char *s,
		    size_t slen, bool path)
{
	int budget = GLOB_MAX_ALTERNATIVES;

	if (plen > GLOB_MAX_PATTERN)
		return -1;
	return match_braces(pattern, plen, s, slen, path, &budget);
}

bool fe_glob_match(const char *pattern, const char *s)
{
	return fe_glob_match_n(pattern, strlen(pattern), s, strlen(s), true) == 1;
}

/* ---- Clauses -------------------------------------------------------- */

enum clause_field {
	C_BRANCH, C_EVENT, C_REF, C_REPO, C_STATUS, C_TARGET, C_CRON,
	C_INSTANCE, C_ACTION, C_PATHS, C_NFIELDS
};

static const char *const clause_names[C_NFIELDS] = {
	"branch", "event", "ref", "repo", "status", "target", "cron",
	"instance", "action", "paths",
};

/* One clause, read: its patterns, and where each list was written. */
struct clause {
	const struct fe_node *key;
	const struct fe_node *include, *exclude;  /* scalar or sequence */
};

struct eval {
	const char *where;          /* "when" or "trigger" */
	const char *file;
	struct ir_arena *a;
	struct diag_list *dl;
	int errors;
};

/* Where a problem is (`when.branch.exclude`), formatted only for messages. */
struct where {
	const char *clause, *sub;
};

static const char *where_text(struct eval *ev, struct where w)
{
	if (!w.clause)
		return ev->where;
	return ir_printf(ev->a, "%s.%s%s%s", ev->where, w.clause, w.sub ? "." : "",
			 w.sub ? w.sub : "");
}

static const char *kind_name(const struct fe_node *n)
{
	if (n->kind == FE_SEQ)
		return "a sequence";
	if (n->kind == FE_MAP)
		return "a map";
	return fe_is_null(n) ? "null" : "a string";
}

static void unknown_key(struct eval *ev, const struct fe_pair *p,
			struct where w, const char *const *names, size_t n)
{
	fe_unknown_key(ev->file, p, where_text(ev, w), names, n, ev->dl);
}

static void wrong_type(struct eval *ev, const struct fe_node *n,
		       struct where w, const char *expected)
{
	ev->errors++;
	diag_error(ev->dl, fe_pos(ev->file, n), "wrong-type", "%s: expected %s, got %s",
		   where_text(ev, w), expected, kind_name(n));
}

/*
 * A pattern is checked by a scan until its first brace; one with braces
 * by a trial match, which also counts its alternatives against the
 * ceiling (the scan skips escapes and classes as the match does).
 */
static bool glob_ok(const char *p, size_t n)
{
	if (n > GLOB_MAX_PATTERN)
		return fe_glob_match_n(p, n, "", 0, true) >= 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '{')
			return fe_glob_match_n(p, n, "", 0, true) >= 0;
		if (p[i] == '\\') {
			if (++i == n)
				return false;
		} else if (p[i] == '[') {
			size_t e = class_end(p, n, i);
			if (!e)
				return false;
			i = e - 1;
		}
	}
	return true;
}

static void check_glob(struct eval *ev, const struct fe_node *n, struct where w)
{
	if (glob_ok(n->str, n->len))
		return;
	ev->errors++;
	diag_error(ev->dl, fe_pos(ev->file, n), "bad-glob",
		   "%s: malformed pattern '%s'", where_text(ev, w), n->str);
}

/*
 * Drone's events are a fixed set, and a misspelt one never matches: the
 * step would silently never run.  Patterns are left alone.  `n` is a
 * string, not null.
 */
static void check_event(struct eval *ev, const struct fe_node *n, struct where w)
{
	static const char *const events[] = {
		"push", "pull_request", "tag", "promote", "rollback", "cron", "custom",
	};
	const char *hint;

	if (strpbrk(n->str, "*?[{\\"))
		return;
	for (size_t i = 0; i < sizeof events / sizeof *events; i++)
		if (n->str[0] == events[i][0] && strcmp(n->str, events[i]) == 0)
			return;
	hint = ir_suggest(n->str, events, sizeof events / sizeof *events);
	if (hint)
		diag_warning(ev->dl, fe_pos(ev->file, n), "unknown-event",
			     "unknown event '%s' in %s, did you mean '%s'", n->str,
			     where_text(ev, w), hint);
	else
		diag_warning(ev->dl, fe_pos(ev->file, n), "unknown-event",
			     "unknown event '%s' in %s, Drone's events are push, pull_request, "
			     "tag, promote, rollback, cron and custom", n->str, where_text(ev, w));
}

/*
 * A pattern list is one string or a sequence of strings.  The clause's
 * field says what its strings are: status names are not globs, events
 * are also checked against Drone's.
 */
static void check_patterns(struct eval *ev, const struct fe_node *list,
			   struct where w, enum clause_field f)
{
	const struct fe_node *const *items = (const struct fe_node *const *)&list;
	size_t n = 1;
	bool glob = f != C_STATUS;

	if (list->kind == FE_SEQ) {
		items = (const struct fe_node *const *)list->items;
		n = list->nitems;
	}
	for (size_t i = 0; i < n; i++) {
		const struct fe_node *it = items[i];

		if (it->kind != FE_SCALAR || fe_is_null(it)) {
			wrong_type(ev, it, w, "a string");
			continue;
		}
		if (glob)
			check_glob(ev, it, w);
		if (f == C_EVENT)
			check_event(ev, it, w);
	}
}

/*
 * branch: main
 * branch: [main, "release/v*"]
 * branch: {include: [main], exclude: [dev]}
 */
static void read_clause(struct eval *ev, const struct fe_pair *p, enum clause_field f,
			struct clause *c)
{
	static const char *const ie[] = {"include", "exclude"};
	struct where w = {.clause = p->key->str};
	const struct fe_node *v = p->value;

	*c = (struct clause){.key = p->key};
	if (v->kind != FE_MAP) {
		if (fe_is_null(v))
			wrong_type(ev, v, w, "a string, a list or an include/exclude map");
		else
			check_patterns(ev, v, w, f);
		c->include = v;
		return;
	}
	for (size_t i = 0; i < v->npairs; i++) {
		const struct fe_pair *q = &v->pairs[i];
		bool inc = q->key->kind == FE_SCALAR && strcmp(q->key->str, "include") == 0;

		if (q->key->kind != FE_SCALAR) {
			wrong_type(ev, q->key, w, "string keys");
			continue;
		}
		if (!inc && strcmp(q->key->str, "exclude") != 0) {
			unknown_key(ev, q, w, ie, 2);
			continue;
		}
		*(inc ? &c->include : &c->exclude) = q->value;
		check_patterns(ev, q->value, (struct where){p->key->str, q->key->str}, f);
	}
}

/* Calls fn on each string of a pattern list until it returns true. */
static const struct fe_node *list_find(const struct fe_node *list, const char *s,
				       int (*fn)(const struct fe_node *, const char *))
{
	if (!list)
		return NULL;
	if (list->kind == FE_SCALAR)
		return fn(list, s) ? list : NULL;
	for (size_t i = 0; list->kind == FE_SEQ && i < list->nitems; i++)
		if (list->items[i]->kind == FE_SCALAR && fn(list->items[i], s))
			return list->items[i];
	return NULL;
}

/* Most patterns are plain names (`main`, `push`): compared, not matched. */
static int glob_fn(const struct fe_node *pat, const char *s)
{
	if (!strpbrk(pat->str, "*?[{\\"))
		return strcmp(pat->str, s) == 0;
	return fe_glob_match_n(pat->str, pat->len, s, strlen(s), true) == 1;
}

static int equal_fn(const struct fe_node *pat, const char *s)
{
	return strcmp(pat->str, s) == 0;
}

static bool list_empty(const struct fe_node *list)
{
	return !list || (list->kind == FE_SEQ && list->nitems == 0);
}

/* `[a, b, c]` for a reason, cut at REASON_MAX. */
static char *list_text(struct ir_arena *a, const struct fe_node *list)
{
	char buf[REASON_MAX + 8];
	size_t len = 1;
	size_t n = list->kind == FE_SEQ ? list->nitems : 1;

	buf[0] = '[';
	for (size_t i = 0; i < n; i++) {
		const struct fe_node *it = list->kind == FE_SEQ ? list->items[i] : list;
		const char *s = it->kind == FE_SCALAR ? it->str : "?";
		int w = snprintf(buf + len, sizeof buf - len, "%s%s", i ? ", " : "", s);

		if (w < 0 || len + (size_t)w >= REASON_MAX) {
			len = REASON_MAX;
			memcpy(buf + len, ", ...", 5);
			len += 5;
			break;
		}
		len += (size_t)w;
	}
	buf[len++] = ']';
	return ir_strndup(a, buf, len);
}

/*
 * Rules out `value` or not; on a miss fills *skip with the reason,
 * positioned at the clause (or at the exclude pattern that hit).
 */
static void match_clause(struct eval *ev, const struct clause *c, const char *value,
			 struct ir_skip **skip)
{
	const char *name = c->key->str;
	const struct fe_node *hit;
	struct ir_skip *sk;

	if (!value || *skip)
		return;
	hit = list_find(c->exclude, value, glob_fn);
	if (!hit && (list_empty(c->include) || list_find(c->include, value, glob_fn)))
		return;
	sk = ir_alloc(ev->a, sizeof *sk);
	sk->pos = hit ? fe_pos(ev->file, hit) : fe_pos(ev->file, c->key);
	if (hit)
		sk->reason = ir_printf(ev->a, "%s '%s' is excluded by %s.%s.exclude %s",
				       name, value, ev->where, name, list_text(ev->a, c->exclude));
	else
		sk->reason = ir_printf(ev->a, "%s '%s' does not match %s.%s%s %s", name, value,
				       ev->where, name, c->exclude ? ".include" : "",
				       list_text(ev->a, c->include));
	*skip = sk;
}

/* True when the status clause lets `status` through (exact names). */
static bool status_ok(const struct clause *c, const char *status)
{
	if (list_find(c->exclude, status, equal_fn))
		return false;
	return list_empty(c->include) || list_find(c->include, status, equal_fn);
}

static void check_status_values(struct eval *ev, const struct fe_node *list)
{
	size_t n = list && list->kind == FE_SEQ ? list->nitems : list ? 1 : 0;

	for (size_t i = 0; i < n; i++) {
		const struct fe_node *it = list->kind == FE_SEQ ? list->items[i] : list;

		if (it->kind != FE_SCALAR || fe_is_null(it) ||
		    !strcmp(it->str, "success") || !strcmp(it->str, "failure"))
			continue;
		diag_warning(ev->dl, fe_pos(ev->file, it), "bad-status",
			     "unknown status '%s' in %s.status is ignored, as in Drone; "
			     "expected 'success' or 'failure'", it->str, ev->where);
	}
}

/*
 * success and failure both let through: always; failure alone: on
 * failure; otherwise on success, the default, as Drone's runners decide
 * it, even for a clause that lets neither through.
 */
static enum ir_run_policy status_policy(const struct clause *c)
{
	bool s = status_ok(c, "success"), f = status_ok(c, "failure");

	if (s && f)
		return IR_RUN_ALWAYS;
	return f ? IR_RUN_ON_FAILURE : IR_RUN_ON_SUCCESS;
}

static const char *context_value(const struct fe_context *ctx, enum clause_field f)
{
	switch (f) {
	case C_BRANCH: return ctx->branch;
	case C_EVENT: return ctx->event;
	case C_REF: return ctx->ref;
	case C_REPO: return ctx->repo;
	case C_TARGET: return ctx->target;
	case C_CRON: return ctx->cron;
	case C_INSTANCE: return ctx->instance;
	case C_ACTION: return ctx->action;
	default: return NULL;   /* status is a policy; paths are not known */
	}
}

/* The first byte is compared before the call: most names differ there. */
static int field_of(const char *key)
{
	for (int i = 0; i < C_NFIELDS; i++)
		if (key[0] == clause_names[i][0] && strcmp(key, clause_names[i]) == 0)
			return i;
	return -1;
}

static void eval_pair(struct eval *ev, const struct fe_pair *p, const struct fe_context *ctx,
		      enum ir_run_policy *policy, struct ir_skip **skip)
{
	struct clause c;
	int f = p->key->kind == FE_SCALAR ? field_of(p->key->str) : -1;

	if (f < 0) {
		if (p->key->kind != FE_SCALAR)
			wrong_type(ev, p->key, (struct where){0}, "string keys");
		else
			unknown_key(ev, p, (struct where){0}, clause_names, C_NFIELDS);
		return;
	}
	read_clause(ev, p, (enum clause_field)f, &c);
	if (f == C_STATUS) {
		check_status_values(ev, c.include);
		check_status_values(ev, c.exclude);
		*policy = status_policy(&c);
	} else if (ctx) {
		match_clause(ev, &c, context_value(ctx, (enum clause_field)f), skip);
	}
}

static int eval_map(struct eval *ev, const struct fe_node *cond,
		    const struct fe_context *ctx, enum ir_run_policy *policy,
		    struct ir_skip **skip)
{
	*policy = IR_RUN_ON_SUCCESS;
	*skip = NULL;
	if (!cond || fe_is_null(cond))
		return 0;
	if (cond->kind != FE_MAP) {
		wrong_type(ev, cond, (struct where){0}, "a map");
		return -1;
	}
	for (size_t i = 0; i < cond->npairs; i++)
		eval_pair(ev, &cond->pairs[i], ctx, policy, skip);
	return ev->errors ? -1 : 0;
}

int fe_when_eval(const struct fe_node *when, const struct fe_context *ctx,
		 enum ir_run_policy *policy, struct ir_skip **skip,
		 struct ir_arena *a, const char *file, struct diag_list *dl)
{
	struct eval ev = {.where = "when", .file = file, .a = a, .dl = dl};
	return eval_map(&ev, when, ctx, policy, skip);
}

int fe_trigger_eval(const struct fe_node *trigger, const struct fe_context *ctx,
		    enum ir_run_policy *policy, struct ir_skip **skip,
		    struct ir_arena *a, const char *file, struct diag_list *dl)
{
	struct eval ev = {.where = "trigger", .file = file, .a = a, .dl = dl};
	return eval_map(&ev, trigger, ctx, policy, skip);
}
