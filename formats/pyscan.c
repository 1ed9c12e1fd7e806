/* pyscan.c - find a module-level binding in Python source without running it.
 *
 * Two layers: a tokenizer that yields the tokens of one logical line at a
 * time (CPython's tokenizer rules for strings, comments, continuations and
 * brackets), and a statement walker that keeps a stack of indented blocks to
 * know whether a line is inside a def/class body. The walker is deliberately
 * lenient: it never rejects what CPython accepts, and only the tokenizer's
 * hard failures (which make CPython refuse the whole file) are errors. */
#include "formats/pyscan.h"

#include <stdint.h>
#include <stdlib.h>

#include "formats/core/mem.h"

#define MAX_NEST 200 /* CPython's own limit on bracket nesting is 200 too */

enum tok_type { T_NAME, T_NUMBER, T_STRING, T_OP };

struct tok {
	enum tok_type type;
	const char *p;
	unsigned len;
	unsigned line, col;
};

struct lexer {
	const char *s;
	size_t n, i;
	unsigned line;
	size_t bol; /* offset of the current physical line's first byte */
	const char *file;
	struct ab_err *err;
	unsigned nest; /* string/f-string recursion */
	unsigned depth;
	char open[MAX_NEST];
	unsigned oline[MAX_NEST], ocol[MAX_NEST];
	/* the current logical line */
	struct tok *toks;
	size_t ntoks, cap;
};

struct block {
	unsigned indent;
	bool func; /* a def or class body */
};

struct walker {
	const char *name;
	size_t name_len;
	struct pyscan_result *res;
	struct block *blocks;
	size_t nblocks, cap, nfunc;
};

const char *pyscan_kind_name(enum pyscan_kind k)
{
	static const char *const names[] = { "", "assignment", "def", "class",
					     "import", "for", "with" };
	return (size_t)k < AB_ARRAY_SIZE(names) ? names[k] : "";
}

/* ---- tokenizer ---- */

static unsigned col_at(const struct lexer *lx, size_t off)
{
	return (unsigned)(off - lx->bol) + 1;
}

static int lex_error(struct lexer *lx, unsigned line, unsigned col, const char *msg)
{
	struct ab_loc loc = { lx->file, line, col };
	return ab_err_at(lx->err, AB_E_PARSE, &loc, "%s", msg);
}

static int unterminated(struct lexer *lx, bool triple, unsigned line, unsigned col)
{
	return lex_error(lx, line, col,
			 triple ? "unterminated triple-quoted string literal" :
				  "unterminated string literal");
}

/* A line break at lx->i: "\r\n", "\n" or "\r" (universal newlines, as
 * CPython reads source). Returns its length, 0 if none. */
static size_t newline_len(const struct lexer *lx, size_t i)
{
	if (i >= lx->n)
		return 0;
	if (lx->s[i] == '\n')
		return 1;
	if (lx->s[i] == '\r')
		return i + 1 < lx->n && lx->s[i + 1] == '\n' ? 2 : 1;
	return 0;
}

static void take_newline(struct lexer *lx, size_t len)
{
	lx->i += len;
	lx->line++;
	lx->bol = lx->i;
}

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* String prefixes: any order and case of r with one of b/u/f/t, or one alone
 * (PEP 701 f-strings, PEP 750 t-strings). Returns false if not a prefix;
 * sets *raw and *fmt. */
static bool string_prefix(const char *p, size_t len, bool *raw, bool *fmt)
{
	*raw = *fmt = false;
	if (len == 0 || len > 2)
		return false;
	unsigned seen = 0;
	for (size_t i = 0; i < len; i++) {
		char c = (char)(p[i] | 0x20);
		unsigned bit;
		switch (c) {
		case 'r':
			bit = 1;
			*raw = true;
			break;
		case 'b':
		case 'u':
			bit = 2;
			break;
		case 'f':
		case 't':
			bit = 2;
			*fmt = true;
			break;
		default:
			return false;
		}
		if (seen & bit)
			return false;
		seen |= bit;
	}
	return !(len == 2 && (p[0] | 0x20) == 'u') && !(len == 2 && (p[1] | 0x20) == 'u');
}

static int scan_string(struct lexer *lx, bool raw, bool fmt, unsigned scol);

/* Enter one level of string or bracket nesting. */
static int nest_in(struct lexer *lx, unsigned line, unsigned col)
{
	if (++lx->nest > MAX_NEST)
		return lex_error(lx, line, col, "too deeply nested");
	return 0;
}

/* Skip a string literal that may start here (a prefix and a quote): returns
 * 1 if one was skipped, 0 if lx->i is not at a string, or an error. */
static int maybe_string(struct lexer *lx)
{
	size_t j = lx->i;
	while (j < lx->n && j - lx->i < 3 && is_ident_start((unsigned char)lx->s[j]) &&
	       (unsigned char)lx->s[j] < 0x80)
		j++;
	if (j >= lx->n || (lx->s[j] != '\'' && lx->s[j] != '"'))
		return 0;
	bool raw = false, fmt = false;
	if (j > lx->i && !string_prefix(lx->s + lx->i, j - lx->i, &raw, &fmt))
		return 0;
	unsigned scol = col_at(lx, lx->i);
	lx->i = j;
	return scan_string(lx, raw, fmt, scol) < 0 ? -AB_E_PARSE : 1;
}

static int scan_fspec(struct lexer *lx, char q, bool triple, unsigned sline, unsigned scol);

/* The expression part of an f-string replacement field, after '{'. Ends after
 * the field's closing '}'. Quotes inside start nested strings, even the
 * enclosing string's own quote (PEP 701). */
static int scan_fexpr(struct lexer *lx, char q, bool triple, unsigned sline, unsigned scol)
{
	unsigned depth = 0;
	while (lx->i < lx->n) {
		char c = lx->s[lx->i];
		size_t nl = newline_len(lx, lx->i);
		int r;
		if (nl) {
			take_newline(lx, nl);
			continue;
		}
		if (c == '#') {
			while (lx->i < lx->n && !newline_len(lx, lx->i))
				lx->i++;
			continue;
		}
		r = maybe_string(lx);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (is_ident((unsigned char)c)) {
			while (lx->i < lx->n && is_ident((unsigned char)lx->s[lx->i]))
				lx->i++;
			continue;
		}
		lx->i++;
		if (c == '(' || c == '[' || c == '{') {
			if (depth >= MAX_NEST)
				return lex_error(lx, lx->line, col_at(lx, lx->i - 1),
						 "too deeply nested");
			depth++;
		} else if ((c == ')' || c == ']') && depth) {
			depth--;
		} else if (c == '}') {
			if (depth == 0)
				return 0;
			depth--;
		} else if (depth == 0 && c == '!' && (lx->i >= lx->n || lx->s[lx->i] != '=')) {
			/* a conversion (!r, !s, !a), then a format spec or '}' */
			while (lx->i < lx->n && lx->s[lx->i] != ':' && lx->s[lx->i] != '}' &&
			       !newline_len(lx, lx->i))
				lx->i++;
		} else if (depth == 0 && c == ':' && (lx->i >= lx->n || lx->s[lx->i] != '=')) {
			return scan_fspec(lx, q, triple, sline, scol);
		}
	}
	return unterminated(lx, triple, sline, scol);
}

/* A format spec, after ':': literal text with nested replacement fields,
 * ending after the field's '}'. */
static int scan_fspec(struct lexer *lx, char q, bool triple, unsigned sline, unsigned scol)
{
	while (lx->i < lx->n) {
		char c = lx->s[lx->i];
		size_t nl = newline_len(lx, lx->i);
		if (nl) {
			if (!triple)
				break;
			take_newline(lx, nl);
			continue;
		}
		lx->i++;
		if (c == '}')
			return 0;
		if (c == '{') {
			int r = nest_in(lx, sline, scol);
			if (r < 0)
				return r;
			r = scan_fexpr(lx, q, triple, sline, scol);
			lx->nest--;
			if (r < 0)
				return r;
		}
	}
	return unterminated(lx, triple, sline, scol);
}

/* A string literal at its opening quote; `scol` is the column of its prefix.
 * A backslash always keeps the next character from closing the string, raw
 * or not (CPython's tokenizer). */
static int scan_string(struct lexer *lx, bool raw, bool fmt, unsigned scol)
{
	unsigned sline = lx->line;
	char q = lx->s[lx->i];
	bool triple = lx->i + 2 < lx->n && lx->s[lx->i + 1] == q && lx->s[lx->i + 2] == q;
	int r = nest_in(lx, sline, scol);
	if (r < 0)
		return r;
	lx->i += triple ? 3 : 1;
	while (lx->i < lx->n) {
		char c = lx->s[lx->i];
		size_t nl = newline_len(lx, lx->i);
		if (nl) {
			if (!triple)
				break;
			take_newline(lx, nl);
			continue;
		}
		if (c == '\\' && lx->i + 1 < lx->n) {
			char d = lx->s[lx->i + 1];
			nl = newline_len(lx, lx->i + 1);
			if (nl) {
				lx->i++;
				take_newline(lx, nl);
			} else if (fmt && !raw && d == 'N' && lx->i + 2 < lx->n &&
				   lx->s[lx->i + 2] == '{') {
				/* \N{EM DASH}: a named escape, not a replacement field */
				lx->i += 3;
				while (lx->i < lx->n && lx->s[lx->i] != '}' && lx->s[lx->i] != q &&
				       !newline_len(lx, lx->i))
					lx->i++;
				if (lx->i < lx->n && lx->s[lx->i] == '}')
					lx->i++;
			} else if (fmt && (d == '{' || d == '}')) {
				lx->i++; /* "\{" still opens a field in an f-string */
			} else {
				lx->i += 2;
			}
			continue;
		}
		if (c == q) {
			if (!triple) {
				lx->i++;
				lx->nest--;
				return 0;
			}
			if (lx->i + 2 < lx->n && lx->s[lx->i + 1] == q && lx->s[lx->i + 2] == q) {
				lx->i += 3;
				lx->nest--;
				return 0;
			}
			lx->i++;
			continue;
		}
		lx->i++;
		if (fmt && c == '{') {
			if (lx->i < lx->n && lx->s[lx->i] == '{') {
				lx->i++;
				continue;
			}
			r = scan_fexpr(lx, q, triple, sline, scol);
			if (r < 0)
				return r;
		}
	}
	return unterminated(lx, triple, sline, scol);
}

static void push_tok(struct lexer *lx, enum tok_type type, size_t start, unsigned line,
		     unsigned col)
{
	AB_GROW(lx->toks, lx->cap, lx->ntoks + 1);
	lx->toks[lx->ntoks++] = (struct tok){ type, lx->s + start, (unsigned)(lx->i - start),
					      line, col };
}

static const char *const ops3[] = { "**=", "//=", ">>=", "<<=", "...", "!=" };
static const char *const ops2[] = { "**", "//", ">>", "<<", "<=", ">=", "==", "!=", "->",
				    ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=" };

static size_t op_len(const struct lexer *lx)
{
	size_t left = lx->n - lx->i;
	const char *p = lx->s + lx->i;
	for (size_t k = 0; k < AB_ARRAY_SIZE(ops3); k++)
		if (left >= 3 && ops3[k][2] && memcmp(p, ops3[k], 3) == 0)
			return 3;
	for (size_t k = 0; k < AB_ARRAY_SIZE(ops2); k++)
		if (left >= 2 && memcmp(p, ops2[k], 2) == 0)
			return 2;
	return 1;
}

static int bracket(struct lexer *lx, char c, unsigned line, unsigned col)
{
	static const char opens[] = "([{", closes[] = ")]}";
	if (c == '(' || c == '[' || c == '{') {
		if (lx->depth >= MAX_NEST)
			return lex_error(lx, line, col, "too deeply nested");
		lx->open[lx->depth] = c;
		lx->oline[lx->depth] = line;
		lx->ocol[lx->depth] = col;
		lx->depth++;
		return 0;
	}
	struct ab_loc loc = { lx->file, line, col };
	if (lx->depth == 0)
		return ab_err_at(lx->err, AB_E_PARSE, &loc, "unmatched '%c'", c);
	char want = closes[strchr(opens, lx->open[lx->depth - 1]) - opens];
	if (c != want)
		return ab_err_at(lx->err, AB_E_PARSE, &loc,
				 "closing parenthesis '%c' does not match opening parenthesis '%c'"
				 " on line %u",
				 c, lx->open[lx->depth - 1], lx->oline[lx->depth - 1]);
	lx->depth--;
	return 0;
}

/* Read the tokens of the next logical line into lx->toks and its indentation
 * into *indent. Returns 1 with a line, 0 at the end of the input, or an error. */
static int next_line(struct lexer *lx, unsigned *indent)
{
	lx->ntoks = 0;
	for (;;) {
		/* the start of a physical line: measure the indentation */
		unsigned ind = 0;
		while (lx->i < lx->n) {
			char c = lx->s[lx->i];
			if (c == ' ')
				ind++;
			else if (c == '\t')
				ind = (ind / 8 + 1) * 8;
			else if (c == '\f')
				ind = 0;
			else
				break;
			lx->i++;
		}
		*indent = ind;
		for (;;) {
			if (lx->i >= lx->n) {
				if (lx->depth) {
					struct ab_loc loc = { lx->file, lx->oline[lx->depth - 1],
							      lx->ocol[lx->depth - 1] };
					return ab_err_at(lx->err, AB_E_PARSE, &loc,
							 "'%c' was never closed",
							 lx->open[lx->depth - 1]);
				}
				return lx->ntoks > 0;
			}
			size_t start = lx->i;
			unsigned line = lx->line, col = col_at(lx, start);
			char c = lx->s[start];
			size_t nl = newline_len(lx, start);
			int r;
			if (nl) {
				take_newline(lx, nl);
				if (lx->depth == 0 && lx->ntoks)
					return 1;
				if (lx->ntoks == 0)
					break; /* a blank line: measure the next one */
				continue;
			}
			if (c == ' ' || c == '\t' || c == '\f') {
				lx->i++;
				continue;
			}
			if (c == '#') {
				while (lx->i < lx->n && !newline_len(lx, lx->i))
					lx->i++;
				continue;
			}
			if (c == '\0')
				return lex_error(lx, line, col,
						 "source code cannot contain null bytes");
			if (c == '\\' && newline_len(lx, start + 1)) {
				lx->i++;
				take_newline(lx, newline_len(lx, lx->i));
				continue;
			}
			r = maybe_string(lx);
			if (r < 0)
				return r;
			if (r > 0) {
				push_tok(lx, T_STRING, start, line, col);
				continue;
			}
			if (is_ident_start((unsigned char)c)) {
				while (lx->i < lx->n && is_ident((unsigned char)lx->s[lx->i]))
					lx->i++;
				push_tok(lx, T_NAME, start, line, col);
				continue;
			}
			if ((c >= '0' && c <= '9') ||
			    (c == '.' && start + 1 < lx->n && lx->s[start + 1] >= '0' &&
			     lx->s[start + 1] <= '9')) {
				while (lx->i < lx->n && (is_ident((unsigned char)lx->s[lx->i]) ||
							 lx->s[lx->i] == '.'))
					lx->i++;
				push_tok(lx, T_NUMBER, start, line, col);
				continue;
			}
			if (strchr("()[]{}", c)) {
				r = bracket(lx, c, line, col);
				if (r < 0)
					return r;
				lx->i++;
			} else {
				lx->i += op_len(lx);
			}
			push_tok(lx, T_OP, start, line, col);
		}
	}
}

/* ---- statements ---- */

static bool tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);
	return t->len == n && memcmp(t->p, s, n) == 0;
}

static bool is_name(const struct tok *t, const char *s)
{
	return t->type == T_NAME && tok_is(t, s);
}

static bool is_op(const struct tok *t, const char *s)
{
	return t->type == T_OP && tok_is(t, s);
}

static bool is_open(const struct tok *t)
{
	return t->type == T_OP && t->len == 1 && strchr("([{", t->p[0]);
}

static bool is_close(const struct tok *t)
{
	return t->type == T_OP && t->len == 1 && strchr(")]}", t->p[0]);
}

static void bind(struct walker *w, const struct tok *t, enum pyscan_kind kind)
{
	if (w->res->found || t->type != T_NAME || t->len != w->name_len ||
	    memcmp(t->p, w->name, w->name_len) != 0)
		return;
	w->res->found = true;
	w->res->kind = kind;
	w->res->line = t->line;
	w->res->col = t->col;
}

/* The names an assignment target [a, b) binds: plain names, possibly inside
 * tuple/list displays and starred, but not attributes, subscripts or call
 * arguments. */
static void target(struct walker *w, const struct tok *t, size_t a, size_t b, enum pyscan_kind k)
{
	bool group[MAX_NEST]; /* whether each open bracket is a display */
	size_t depth = 0, sub = 0; /* sub: open brackets that are not displays */
	for (size_t i = a; i < b; i++) {
		const struct tok *prev = i > a ? &t[i - 1] : NULL;
		if (is_open(&t[i])) {
			bool display = t[i].p[0] != '{' &&
				       (!prev || (prev->type == T_OP && !is_close(prev)));
			if (depth < MAX_NEST)
				group[depth] = display;
			depth++;
			sub += !display;
			continue;
		}
		if (is_close(&t[i])) {
			if (depth) {
				depth--;
				sub -= depth < MAX_NEST && !group[depth];
			}
			continue;
		}
		if (t[i].type != T_NAME || sub)
			continue;
		const struct tok *next = i + 1 < b ? &t[i + 1] : NULL;
		bool pre_ok = !prev || is_op(prev, ",") || is_op(prev, "(") || is_op(prev, "[") ||
			      is_op(prev, "*");
		bool post_ok = !next || is_op(next, ",") || is_op(next, ")") || is_op(next, "]");
		if (pre_ok && post_ok)
			bind(w, &t[i], k);
	}
}

/* `(name := value)` binds in the enclosing scope, module level here. */
static void walrus(struct walker *w, const struct tok *t, size_t a, size_t b)
{
	for (size_t i = a; i + 1 < b; i++)
		if (t[i].type == T_NAME && is_op(&t[i + 1], ":="))
			bind(w, &t[i], PYSCAN_ASSIGN);
}

static void import_stmt(struct walker *w, const struct tok *t, size_t a, size_t b)
{
	bool from = is_name(&t[a], "from");
	size_t i = a + 1;
	if (from) {
		while (i < b && !is_name(&t[i], "import"))
			i++;
		i++;
		if (i < b && is_op(&t[i], "*")) {
			if (!w->res->star_line)
				w->res->star_line = t[i].line;
			return;
		}
	}
	/* a list of `dotted [as alias]`; `from` imports bind the last part */
	while (i < b) {
		if (is_op(&t[i], "(") || is_op(&t[i], ")") || is_op(&t[i], ",")) {
			i++;
			continue;
		}
		size_t first = i;
		while (i + 2 < b && is_op(&t[i + 1], "."))
			i += 2;
		if (i + 2 < b && is_name(&t[i + 1], "as")) {
			bind(w, &t[i + 2], PYSCAN_IMPORT);
			i += 3;
		} else {
			bind(w, &t[from ? i : first], PYSCAN_IMPORT);
			i++;
		}
	}
}

static void simple_stmt(struct walker *w, const struct tok *t, size_t a, size_t b)
{
	if (a >= b)
		return;
	walrus(w, t, a, b);
	if (is_name(&t[a], "import") || is_name(&t[a], "from")) {
		import_stmt(w, t, a, b);
		return;
	}
	/* annotated: `name: T = value` binds; `name: T` alone does not */
	if (t[a].type == T_NAME && a + 1 < b && is_op(&t[a + 1], ":")) {
		int depth = 0;
		for (size_t i = a + 2; i < b; i++) {
			depth += is_open(&t[i]) - is_close(&t[i]);
			if (depth == 0 && is_op(&t[i], "=")) {
				bind(w, &t[a], PYSCAN_ASSIGN);
				break;
			}
		}
		return;
	}
	/* chained: every part before a depth-0 '=' is a target; a lambda's
	 * defaults (`f = lambda x=1: x`) are not */
	int depth = 0;
	size_t start = a;
	for (size_t i = a; i < b; i++) {
		if (depth == 0 && is_name(&t[i], "lambda"))
			break;
		depth += is_open(&t[i]) - is_close(&t[i]);
		if (depth == 0 && is_op(&t[i], "=")) {
			target(w, t, start, i, PYSCAN_ASSIGN);
			start = i + 1;
		}
	}
}

static bool is_compound_kw(const struct tok *t)
{
	static const char *const kws[] = { "if",   "elif", "else",  "while", "for",
					   "try",  "except", "finally", "with", "def",
					   "class", "async", "match", "case" };
	if (t->type != T_NAME)
		return false;
	for (size_t i = 0; i < AB_ARRAY_SIZE(kws); i++)
		if (tok_is(t, kws[i]))
			return true;
	return false;
}

/* The ':' ending a compound statement's header, skipping lambdas' colons;
 * 0 if none. */
static size_t header_colon(const struct tok *t, size_t a, size_t b)
{
	int depth = 0;
	unsigned lambdas = 0;
	for (size_t i = a + 1; i < b; i++) {
		depth += is_open(&t[i]) - is_close(&t[i]);
		if (depth != 0)
			continue;
		if (is_name(&t[i], "lambda"))
			lambdas++;
		else if (is_op(&t[i], ":") && lambdas)
			lambdas--;
		else if (is_op(&t[i], ":"))
			return i;
	}
	return 0;
}

/* `match`/`case` are soft keywords: `match = 1`, `match(x)` are not headers. */
static bool soft_header(const struct tok *t, size_t a, size_t colon)
{
	if (!colon || colon == a + 1)
		return false;
	const struct tok *n = &t[a + 1];
	if (is_op(n, "=") || is_op(n, ".") || is_op(n, ",") || (n->type == T_OP && n->len == 2 &&
								   n->p[1] == '='))
		return false;
	int depth = 0;
	for (size_t i = a + 1; i < colon; i++) {
		depth += is_open(&t[i]) - is_close(&t[i]);
		if (depth == 0 && is_op(&t[i], "="))
			return false;
	}
	return true;
}

static void header(struct walker *w, const struct tok *t, size_t a, size_t colon)
{
	size_t k = a;
	if (is_name(&t[k], "async") && k + 1 < colon)
		k++;
	walrus(w, t, k, colon);
	if ((is_name(&t[k], "def") || is_name(&t[k], "class")) && k + 1 < colon) {
		bind(w, &t[k + 1], is_name(&t[k], "def") ? PYSCAN_DEF : PYSCAN_CLASS);
	} else if (is_name(&t[k], "for")) {
		int depth = 0;
		for (size_t i = k + 1; i < colon; i++) {
			depth += is_open(&t[i]) - is_close(&t[i]);
			if (depth == 0 && is_name(&t[i], "in")) {
				target(w, t, k + 1, i, PYSCAN_FOR);
				break;
			}
		}
	} else if (is_name(&t[k], "with")) {
		for (size_t i = k + 1; i + 1 < colon; i++) {
			if (!is_name(&t[i], "as"))
				continue;
			const struct tok *after = i + 2 < colon ? &t[i + 2] : NULL;
			if (!after || is_op(after, ",") || is_op(after, ")"))
				bind(w, &t[i + 1], PYSCAN_WITH);
		}
	}
}

/* Statements of one logical line from token a on; `func` when inside a
 * def/class body. A compound header with nothing after its ':' opens a block. */
static void statements(struct walker *w, const struct tok *t, size_t a, size_t b, bool func,
		       unsigned indent)
{
	while (a < b) {
		size_t colon = 0;
		bool compound = false;
		if (is_compound_kw(&t[a])) {
			colon = header_colon(t, a, b);
			compound = colon && ((!is_name(&t[a], "match") && !is_name(&t[a], "case")) ||
					     soft_header(t, a, colon));
		}
		if (compound) {
			size_t k = is_name(&t[a], "async") ? a + 1 : a;
			bool body_func = func || is_name(&t[k], "def") || is_name(&t[k], "class");
			if (!func)
				header(w, t, a, colon);
			if (colon + 1 < b) {
				/* `if x: y = 1` - the body is the rest of the line */
				a = colon + 1;
				func = body_func;
				continue;
			}
			AB_GROW(w->blocks, w->cap, w->nblocks + 1);
			w->blocks[w->nblocks++] = (struct block){ indent, body_func };
			w->nfunc += body_func;
			return;
		}
		int depth = 0;
		size_t end = a;
		for (; end < b; end++) {
			depth += is_open(&t[end]) - is_close(&t[end]);
			if (depth == 0 && is_op(&t[end], ";"))
				break;
		}
		if (!func)
			simple_stmt(w, t, a, end);
		a = end + 1;
	}
}

int pyscan_find_name(struct ab_str src, const char *name, const char *file,
		     struct pyscan_result *out, struct ab_err *err)
{
	*out = (struct pyscan_result){ 0 };
	struct lexer lx = { .s = src.ptr, .n = src.len, .line = 1, .file = file, .err = err };
	struct walker w = { .name = name, .name_len = strlen(name), .res = out };
	unsigned indent;
	int r;

	/* a UTF-8 byte order mark, as CPython's decoder drops it */
	if (lx.n >= 3 && memcmp(lx.s, "\xef\xbb\xbf", 3) == 0) {
		lx.i = 3;
		lx.bol = 3;
	}
	while ((r = next_line(&lx, &indent)) > 0) {
		/* a line at or left of a block's header closes that block */
		while (w.nblocks && w.blocks[w.nblocks - 1].indent >= indent)
			w.nfunc -= w.blocks[--w.nblocks].func;
		statements(&w, lx.toks, 0, lx.ntoks, w.nfunc > 0, indent);
	}
	free(lx.toks);
	free(w.blocks);
	if (r < 0) {
		*out = (struct pyscan_result){ 0 };
		return r;
	}
	return out->found ? 1 : 0;
}
