/*
 * subst.re - `${VAR}` substitution in one scalar, lexed by re2c.
 *
 * Drone runs envsubst over the raw file before parsing, so its errors
 * have no position and a value can change the YAML's structure.  Here
 * each scalar is substituted after parsing: a result is always one
 * string, and a problem is reported at the scalar (at the column of the
 * `${` when the scalar is on one line).
 *
 * Two re2c scanners do the work.  The text scanner copies bytes up to a
 * `$`, turns `$$` into `$` and hands `${` to the form scanner, which
 * reads the variable name and the operator; the operator's argument
 * runs to the matching `}` and is itself substituted (defaults and
 * patterns may hold `${...}`).  Unbraced `$VAR` is left alone, as
 * envsubst does.  Every result goes through one growable buffer with a
 * ceiling, so a file cannot make substitution use unbounded memory.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/internal.h"

/* Ceilings: bytes one scalar may expand to, and `${` nesting. */
#define SUBST_MAX_OUTPUT (1u << 20)
#define SUBST_MAX_DEPTH 16
/*
 * Trimming with a pattern tries every prefix (suffix), each a match of
 * pattern length times prefix length: past this much work the value is
 * kept as it is.
 */
#define SUBST_MAX_TRIM_WORK (1u << 24)
/* How much of a form a message quotes. */
#define SUBST_QUOTE_MAX 60

/* A growing output; it starts in `stack` (the caller's) and moves to the heap. */
struct buf {
	char *p;
	size_t len, cap;
	char *stack;
};

#define BUF_STACK 256
#define BUF_INIT(arr) {.p = (arr), .cap = sizeof(arr), .stack = (arr)}

static void buf_release(struct buf *b)
{
	if (b->p != b->stack)
		free(b->p);
}

struct sub {
	const struct fe_context *ctx;
	bool in_commands;
	struct ir_pos pos;
	const char *in;             /* the scalar, for pos_at() */
	size_t len;
	struct ir_arena *a;
	struct diag_list *dl;
	int errors;
	bool full;                  /* the output ceiling was reported */
};

/* The text being scanned: a NUL-terminated copy and where it started. */
struct text {
	const char *p, *end;
	size_t origin;              /* offset of p[0] in the scalar */
	int depth;
	bool in_arg;                /* `\}`, `\/`, `\\` are escapes here */
};

/* ---- Output buffer -------------------------------------------------- */

/*
 * The buffer grows to at most the ceiling (and its NUL), so a put that
 * finds room in it stays within the ceiling: only a put that does not
 * fit needs to check it (make_room()).
 */
static int grow(struct sub *s, struct buf *b, size_t need)
{
	size_t cap = b->cap;
	char *np;

	while (cap < need)
		cap *= 2;
	if (cap > SUBST_MAX_OUTPUT + 1)
		cap = SUBST_MAX_OUTPUT + 1;
	np = b->p == b->stack ? malloc(cap) : realloc(b->p, cap);
	if (!np) {
		s->full = true;
		s->errors++;
		return diag_error(s->dl, s->pos, "subst-too-large",
				  "out of memory substituting %zu bytes", need);
	}
	if (b->p == b->stack)
		memcpy(np, b->p, b->len);
	b->p = np;
	b->cap = cap;
	return 0;
}

/*
 * Room for n more bytes and a NUL within the ceiling; -1 after reporting.
 * Kept out of line: put() then has little to save around its copy.
 */
static __attribute__((noinline)) int make_room(struct sub *s, struct buf *b, size_t n)
{
	if (n > SUBST_MAX_OUTPUT - b->len) {
		if (!s->full)
			diag_error(s->dl, s->pos, "subst-too-large",
				   "substitution result exceeds %u bytes", SUBST_MAX_OUTPUT);
		s->full = true;
		s->errors++;
		return -1;
	}
	return grow(s, b, b->len + n + 1);
}

/* Every byte of a result passes here: the common case is one compare. */
static int put(struct sub *s, struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap && make_room(s, b, n))
		return -1;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* ---- Diagnostics ---------------------------------------------------- */

static struct ir_pos pos_at(const struct sub *s, const struct text *t, const char *at)
{
	struct ir_pos pos = s->pos;

	/* Columns work only in a scalar on one line; looked at only for a
	 * diagnostic, so a clean scalar is never scanned for a newline. */
	if (!memchr(s->in, '\n', s->len))
		pos.col += (int)(t->origin + (size_t)(at - t->p));
	return pos;
}

/* The form starting at `from`, cut to SUBST_QUOTE_MAX bytes for messages. */
static char *quote(const struct sub *s, const char *from, const char *to)
{
	size_t n = (size_t)(to - from);

	if (n <= SUBST_QUOTE_MAX)
		return ir_strndup(s->a, from, n);
	return ir_printf(s->a, "%.*s...", SUBST_QUOTE_MAX, from);
}

static void bad(struct sub *s, const struct text *t, const char *from, const char *to,
		const char *what)
{
	s->errors++;
	diag_error(s->dl, pos_at(s, t, from), "bad-substitution", "%s '%s'", what,
		   quote(s, from, to));
}

/* ---- Variables and operators ---------------------------------------- */

struct value {
	const char *p;
	size_t len;
};

static struct value lookup(const struct sub *s, const char *name, bool *set)
{
	const char *v = NULL;

	if (s->ctx && s->ctx->getvar)
		v = s->ctx->getvar(s->ctx->getvar_arg, name);
	*set = v != NULL;
	return (struct value){v ? v : "", v ? strlen(v) : 0};
}

static bool has_glob(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strchr("*?[{\\", p[i]))
			return true;
	return false;
}

static bool glob_at(const struct value *pat, const char *p, size_t n)
{
	if (!has_glob(pat->p, pat->len))
		return n == pat->len && memcmp(p, pat->p, n) == 0;
	return fe_glob_match_n(pat->p, pat->len, p, n, false) == 1;
}

/*
 * ${N#p} ${N##p} ${N%p} ${N%%p}: drops the shortest or longest prefix
 * (suffix) the shell pattern matches.
 */
static struct value trim(struct value v, const struct value *pat, bool suffix, bool longest)
{
	if (has_glob(pat->p, pat->len) &&
	    (double)(v.len + 1) * (v.len + 1) / 2 * (pat->len + 1) > SUBST_MAX_TRIM_WORK)
		return v;
	for (size_t k = 0; k <= v.len; k++) {
		size_t n = longest ? v.len - k : k;
		const char *at = suffix ? v.p + v.len - n : v.p;

		if (glob_at(pat, at, n))
			return (struct value){suffix ? v.p : v.p + n, v.len - n};
	}
	return v;
}

static const char *find(struct value v, size_t from, const struct value *pat)
{
	if (!pat->len)
		return NULL;
	for (size_t i = from; i + pat->len <= v.len; i++)
		if (memcmp(v.p + i, pat->p, pat->len) == 0)
			return v.p + i;
	return NULL;
}

/* ${N/p/r} ${N//p/r} ${N/#p/r} ${N/%p/r}: plain text, as Drone does. */
static int replace(struct sub *s, struct buf *out, struct value v, char mode,
		   const struct value *pat, const struct value *rep)
{
	size_t at = 0;
	const char *hit;

	if (mode == '#' || mode == '%') {
		const char *edge = mode == '#' ? v.p : v.p + v.len - pat->len;
		if (pat->len > v.len || !pat->len || memcmp(edge, pat->p, pat->len))
			return put(s, out, v.p, v.len);
		if (mode == '#')
			return put(s, out, rep->p, rep->len) ||
			       put(s, out, v.p + pat->len, v.len - pat->len);
		return put(s, out, v.p, v.len - pat->len) || put(s, out, rep->p, rep->len);
	}
	while ((hit = find(v, at, pat))) {
		if (put(s, out, v.p + at, (size_t)(hit - v.p) - at) ||
		    put(s, out, rep->p, rep->len))
			return -1;
		at = (size_t)(hit - v.p) + pat->len;
		if (mode != '/')
			break;
	}
	return put(s, out, v.p + at, v.len - at);
}

/* ${N^} ${N^^} ${N,} ${N,,}: ASCII case, first byte or all. */
static int change_case(struct sub *s, struct buf *out, struct value v, bool upper, bool all)
{
	size_t start = out->len;

	if (put(s, out, v.p, v.len))
		return -1;
	for (size_t i = start; i < out->len && (all || i == start); i++)
		out->p[i] = (char)(upper ? toupper((unsigned char)out->p[i])
					 : tolower((unsigned char)out->p[i]));
	return 0;
}

/* Reads a decimal, optionally negative, with spaces around it. */
static bool number(const char *p, const char *end, long *out)
{
	char *stop;

	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return false;
	*out = strtol(p, &stop, 10);
	while (stop < end && *stop == ' ')
		stop++;
	return stop == end;
}

/* ${N:o} ${N:o:l}, bash's rules; a non-number leaves the value unchanged. */
static struct value substring(struct value v, const struct value *arg)
{
	const char *colon = memchr(arg->p, ':', arg->len), *end = arg->p + arg->len;
	long off, len = (long)v.len;
	long n = (long)v.len;

	if (!number(arg->p, colon ? colon : end, &off) ||
	    (colon && !number(colon + 1, end, &len)))
		return v;
	if (off < 0)
		off = off < -n ? 0 : n + off;
	if (off > n)
		off = n;
	if (len < 0)
		len = n - off + len < 0 ? 0 : n - off + len;
	if (len > n - off)
		len = n - off;
	return (struct value){v.p + off, (size_t)len};
}

/* ---- Scanners ------------------------------------------------------- */

static int expand(struct sub *s, const struct text *t, struct buf *out);

/* In arguments only `\\`, `\/` and `\}` are escapes; other backslashes stay. */
static bool is_escape(const char *p, const char *end)
{
	return *p == '\\' && p + 1 < end && (p[1] == '\\' || p[1] == '/' || p[1] == '}');
}

/* Index of the `}` closing a form whose argument starts at p, or NULL. */
static const char *arg_end(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (is_escape(p, end))
			p++;
		else if (*p == '$' && p + 1 < end && p[1] == '{')
			depth++, p++;
		else if (*p == '}' && depth-- == 0)
			return p;
	}
	return NULL;
}

/* First unescaped `/` outside nested forms (splits ${N/p/r}). */
static const char *arg_slash(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (is_escape(p, end))
			p++;
		else if (*p == '$' && p + 1 < end && p[1] == '{')
			depth++, p++;
		else if (*p == '}')
			depth--;
		else if (*p == '/' && depth == 0)
			return p;
	}
	return end;
}

/* Substitutes an argument [from, to) of the text `t` into `out`. */
static int expand_arg(struct sub *s, const struct text *t, const char *from,
		      const char *to, struct value *res, struct buf *tmp)
{
	struct text at = {
		.p = ir_strndup(s->a, from, (size_t)(to - from)),
		.origin = t->origin + (size_t)(from - t->p),
		.depth = t->depth + 1,
		.in_arg = true,
	};

	at.end = at.p + (to - from);
	tmp->len = 0;
	if (put(s, tmp, "", 0) || expand(s, &at, tmp))
		return -1;
	*res = (struct value){tmp->p, tmp->len};
	return 0;
}

enum op {
	OP_VALUE, OP_LENGTH, OP_DEFAULT, OP_ODD_DEFAULT, OP_PREFIX, OP_PREFIX_LONG,
	OP_SUFFIX, OP_SUFFIX_LONG, OP_REPLACE, OP_REPLACE_ALL, OP_REPLACE_PREFIX,
	OP_REPLACE_SUFFIX, OP_UPPER_FIRST, OP_UPPER, OP_LOWER_FIRST, OP_LOWER,
	OP_SUBSTRING, OP_BAD,
};

/* Reads the operator after a name; *arg is where its argument starts. */
static enum op read_op(const char *cur, const char *lim, const char **arg)
{
	const char *mar;

	(void)mar;
	/*!re2c
	re2c:define:YYCTYPE = "unsigned char";
	re2c:define:YYCURSOR = cur;
	re2c:define:YYMARKER = mar;
	re2c:define:YYLIMIT = lim;
	re2c:yyfill:enable = 0;
	re2c:eof = 0;

	"}"                      { *arg = cur - 1; return OP_VALUE; }
	"^^}"                    { *arg = cur - 1; return OP_UPPER; }
	"^}"                     { *arg = cur - 1; return OP_UPPER_FIRST; }
	",,}"                    { *arg = cur - 1; return OP_LOWER; }
	",}"                     { *arg = cur - 1; return OP_LOWER_FIRST; }
	"=" | ":=" | "-" | ":-"  { *arg = cur; return OP_DEFAULT; }
	"+" | ":+" | "?" | ":?"  { *arg = cur; return OP_ODD_DEFAULT; }
	"##"                     { *arg = cur; return OP_PREFIX_LONG; }
	"#"                      { *arg = cur; return OP_PREFIX; }
	"%%"                     { *arg = cur; return OP_SUFFIX_LONG; }
	"%"                      { *arg = cur; return OP_SUFFIX; }
	"//"                     { *arg = cur; return OP_REPLACE_ALL; }
	"/#"                     { *arg = cur; return OP_REPLACE_PREFIX; }
	"/%"                     { *arg = cur; return OP_REPLACE_SUFFIX; }
	"/"                      { *arg = cur; return OP_REPLACE; }
	":"                      { *arg = cur; return OP_SUBSTRING; }
	*                        { *arg = cur; return OP_BAD; }
	$                        { *arg = cur; return OP_BAD; }
	*/
}

/* Reads `#NAME` or `NAME` after `${`; returns the end of the name or NULL. */
static const char *read_name(const char *cur, const char *lim, bool *length)
{
	const char *mar;

	(void)mar;
	*length = false;
	/*!re2c
	name = [A-Za-z_][A-Za-z0-9_]*;

	"#" name "}"             { *length = true; return cur - 1; }
	name                     { return cur; }
	*                        { return NULL; }
	$                        { return NULL; }
	*/
}

struct form {
	const char *start, *name, *name_end, *arg, *close;
	enum op op;
};

/* ${N/p/r} and its kin: p and r are split at the first unescaped `/`. */
static int apply_replace(struct sub *s, const struct text *t, const struct form *f,
			 struct value v, struct buf *out)
{
	const char *slash = arg_slash(f->arg, f->close);
	static const char modes[] = {[OP_REPLACE] = '1', [OP_REPLACE_ALL] = '/',
				     [OP_REPLACE_PREFIX] = '#', [OP_REPLACE_SUFFIX] = '%'};
	char ps[BUF_STACK], rs[BUF_STACK];
	struct buf pb = BUF_INIT(ps), rb = BUF_INIT(rs);
	struct value pat, rep = {"", 0};
	int r = expand_arg(s, t, f->arg, slash, &pat, &pb);

	if (!r && slash < f->close)
		r = expand_arg(s, t, slash + 1, f->close, &rep, &rb);
	if (!r)
		r = replace(s, out, v, modes[f->op], &pat, &rep);
	buf_release(&pb);
	buf_release(&rb);
	return r;
}

/*
 * The default of a set variable is not used: it is substituted anyway
 * only when that could report something, a form inside it or a default
 * past the ceiling.
 */
static bool default_unused(const struct form *f, struct value v)
{
	size_t n = (size_t)(f->close - f->arg);

	return (f->op == OP_DEFAULT || f->op == OP_ODD_DEFAULT) && v.len &&
	       n <= SUBST_MAX_OUTPUT && !memchr(f->arg, '$', n);
}

/* Applies an operator with one substituted argument. */
static int apply_arg(struct sub *s, const struct text *t, const struct form *f,
		     struct value v, struct buf *out)
{
	char as[BUF_STACK];
	struct buf ab = BUF_INIT(as);
	struct value arg;

	if (default_unused(f, v))
		return put(s, out, v.p, v.len);
	int r = expand_arg(s, t, f->arg, f->close, &arg, &ab);

	if (!r) {
		switch (f->op) {
		case OP_DEFAULT:
		case OP_ODD_DEFAULT: v = v.len ? v : arg; break;
		case OP_PREFIX: v = trim(v, &arg, false, false); break;
		case OP_PREFIX_LONG: v = trim(v, &arg, false, true); break;
		case OP_SUFFIX: v = trim(v, &arg, true, false); break;
		case OP_SUFFIX_LONG: v = trim(v, &arg, true, true); break;
		default: v = substring(v, &arg); break;
		}
		r = put(s, out, v.p, v.len);
	}
	buf_release(&ab);
	return r;
}

/* Looks the variable up, warns where the form is suspect, and applies it. */
static int apply(struct sub *s, const struct text *t, const struct form *f,
		 struct buf *out)
{
	char *name = ir_strndup(s->a, f->name, (size_t)(f->name_end - f->name));
	bool set;
	struct value v = lookup(s, name, &set);
	char len[32];

	if (!set && s->in_commands)
		diag_warning(s->dl, pos_at(s, t, f->start), "subst-in-commands",
			     "'%s' is replaced when compiling and '%s' is not set, "
			     "write '$%s' if it is meant for the shell",
			     quote(s, f->start, f->close + 1), name,
			     quote(s, f->start, f->close + 1));
	if (f->op == OP_ODD_DEFAULT)
		diag_warning(s->dl, pos_at(s, t, f->start), "subst-form",
			     "'%s' gives the value or else the text after the operator, "
			     "unlike the shell", quote(s, f->start, f->close + 1));
	switch (f->op) {
	case OP_VALUE: return put(s, out, v.p, v.len);
	case OP_LENGTH:
		return put(s, out, len, (size_t)snprintf(len, sizeof len, "%zu", v.len));
	case OP_UPPER: return change_case(s, out, v, true, true);
	case OP_UPPER_FIRST: return change_case(s, out, v, true, false);
	case OP_LOWER: return change_case(s, out, v, false, true);
	case OP_LOWER_FIRST: return change_case(s, out, v, false, false);
	case OP_REPLACE: case OP_REPLACE_ALL: case OP_REPLACE_PREFIX: case OP_REPLACE_SUFFIX:
		return apply_replace(s, t, f, v, out);
	default: return apply_arg(s, t, f, v, out);
	}
}

/*
 * One `${...}` starting at `start` (cursor just past `${`).  Returns
 * where scanning resumes; a malformed form is reported and skipped.
 */
static const char *form(struct sub *s, const struct text *t, const char *start,
			struct buf *out)
{
	struct form f = {.start = start, .name = start + 2};
	bool length;

	f.name_end = read_name(f.name, t->end, &length);
	f.close = arg_end(start + 2, t->end);
	if (!f.close) {
		bad(s, t, start, t->end, "unterminated substitution");
		return t->end;
	}
	if (t->depth >= SUBST_MAX_DEPTH) {
		bad(s, t, start, f.close + 1, "substitution nested too deeply");
		return f.close + 1;
	}
	if (length) {
		f.name++;
		f.op = OP_LENGTH;
		f.arg = f.name_end;
	} else if (f.name_end) {
		f.op = read_op(f.name_end, t->end, &f.arg);
	}
	if (!f.name_end || f.op == OP_BAD || (f.op < OP_DEFAULT && f.arg != f.close)) {
		bad(s, t, start, f.close + 1, "bad substitution");
		return f.close + 1;
	}
	apply(s, t, &f, out);
	return f.close + 1;
}

/*
 * Outside an argument only `$` starts a form (a backslash is copied as
 * it is), so the text up to the next `$` is copied as one run rather
 * than byte by byte through the scanner.
 */
static const char *plain_run(struct sub *s, const char *cur, const char *lim,
			     struct buf *out)
{
	const char *dollar = memchr(cur, '$', (size_t)(lim - cur));

	if (!dollar)
		dollar = lim;
	put(s, out, cur, (size_t)(dollar - cur));
	return dollar;
}

static int expand(struct sub *s, const struct text *t, struct buf *out)
{
	const char *cur = t->p, *lim = t->end, *mar, *tok;

	(void)mar;
	while (!s->full) {
		if (!t->in_arg && cur < lim && *cur != '$') {
			cur = plain_run(s, cur, lim, out);
			continue;
		}
		tok = cur;
		/*!re2c
		"$$"             { put(s, out, "$", 1); continue; }
		"${"             { cur = form(s, t, tok, out); continue; }
		"\\" [\\/}]      { if (t->in_arg) put(s, out, tok + 1, 1);
				   else put(s, out, tok, 2);
				   continue; }
		[^$\\\x00]+      { put(s, out, tok, (size_t)(cur - tok)); continue; }
		*                { put(s, out, tok, 1); continue; }
		$                { break; }
		*/
	}
	return s->errors ? -1 : 0;
}

char *fe_subst(const char *in, size_t len, const struct fe_context *ctx,
	       bool in_commands, struct ir_pos pos, struct ir_arena *a,
	       struct diag_list *dl)
{
	/*
	 * Most scalars hold no `$`: they are returned as they are, which
	 * keeps the lowering from copying every string of the file.
	 */
	if (!len || !memchr(in, '$', len))
		return in ? (char *)in : ir_strdup(a, "");
	struct sub s = {
		.ctx = ctx, .in_commands = in_commands, .pos = pos, .a = a, .dl = dl,
		.in = in, .len = len,
	};
	struct text t = {.p = in, .end = in + len};
	char os[BUF_STACK];
	struct buf out = BUF_INIT(os);
	char *res = NULL;
	/* The scanners stop at the NUL the caller guarantees at in[len]. */
	if (put(&s, &out, "", 0) == 0 && expand(&s, &t, &out) == 0)
		res = ir_strndup(a, out.p, out.len);
	buf_release(&out);
	return res;
}
