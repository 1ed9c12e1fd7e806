/* toml.c - strict TOML 1.0 reader; see toml.h.
 *
 * One pass over the input with a recursive descent for values. The table
 * rules follow tomli (Python 3.11 tomllib, used by pip and the backends):
 *  - a [header] may name a table only once; a table created implicitly by
 *    a deeper header may be defined by its own header later;
 *  - dotted keys create or extend tables within one section (a header and
 *    the key/values under it, or one inline table); after that section those
 *    tables count as defined: neither a [header] nor dotted keys of another
 *    section may reopen them, but headers may define tables below them;
 *  - inline tables and static arrays are frozen once written;
 *  - [[header]] appends a table to an array of tables; paths through an
 *    array of tables go to its last element. */
#include "formats/toml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/core/unicode.h"

enum { FL_EXPLICIT = 1 << 0, FL_FROZEN = 1 << 1 };

/* Arrays and inline tables nest by recursion: bound it (tomli has no bound
 * but Python's recursion limit; 128 is far beyond any real file). */
#define MAX_DEPTH 128

static const char *a_type(enum toml_type type);

struct keypart {
	struct ab_str key;
	const char *at;
};

struct keypath {
	size_t n, cap;
	struct keypart *parts;
};

struct parser {
	const char *start, *p, *end;
	const char *line_start;
	unsigned line;
	const char *file;
	struct ab_arena *arena;
	struct ab_err *err;
	struct ab_buf scratch;
	unsigned section, next_section;
	unsigned depth;
	struct toml_value *root, *cur;
};

/* ------------------------------------------------------------------ */
/* Errors and positions                                                */

static void locate(const struct parser *ps, const char *at, unsigned *line, unsigned *col)
{
	if (at >= ps->line_start) {
		*line = ps->line;
		*col = (unsigned)(at - ps->line_start) + 1;
		return;
	}
	unsigned l = 1;
	const char *ls = ps->start;
	for (const char *q = ps->start; q < at; q++)
		if (*q == '\n') {
			l++;
			ls = q + 1;
		}
	*line = l;
	*col = (unsigned)(at - ls) + 1;
}

__attribute__((format(printf, 3, 4))) static int fail(struct parser *ps, const char *at,
						      const char *fmt, ...)
{
	struct ab_loc loc = { ps->file, 0, 0 };
	locate(ps, at, &loc.line, &loc.col);
	struct ab_buf msg = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	int r = ab_err_at(ps->err, AB_E_PARSE, &loc, "%s", msg.buf);
	ab_buf_release(&msg);
	return r;
}

/* What the byte at `at` is, for messages. */
static const char *describe(const struct parser *ps, const char *at, char tmp[8])
{
	if (at >= ps->end)
		return "end of file";
	unsigned char c = (unsigned char)*at;
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c < 0x20 || c >= 0x7F) {
		snprintf(tmp, 8, "\\x%02x", c);
		return tmp;
	}
	tmp[0] = '\'';
	tmp[1] = (char)c;
	tmp[2] = '\'';
	tmp[3] = 0;
	return tmp;
}

static void join_keys(const struct keypart *k, size_t n, struct ab_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			ab_buf_addc(out, '.');
		ab_buf_addstr(out, k[i].key);
	}
}

/* ------------------------------------------------------------------ */
/* Nodes                                                               */

static struct toml_value *new_value(struct parser *ps, enum toml_type type, const char *at)
{
	struct toml_value *v = ab_arena_zalloc(ps->arena, sizeof(*v));
	v->type = type;
	locate(ps, at, &v->line, &v->col);
	return v;
}

static struct toml_kv *table_find(const struct toml_table *t, struct ab_str key)
{
	/* Linear: pyproject tables hold a handful of keys. */
	for (size_t i = 0; i < t->n; i++)
		if (t->kv[i].key.len == key.len && !memcmp(t->kv[i].key.ptr, key.ptr, key.len))
			return &t->kv[i];
	return NULL;
}

static void table_add(struct parser *ps, struct toml_table *t, const struct keypart *k,
		      struct toml_value *v)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 4;
		struct toml_kv *kv = ab_arena_alloc(ps->arena, cap * sizeof(*kv));
		if (t->n)
			memcpy(kv, t->kv, t->n * sizeof(*kv));
		t->kv = kv;
		t->cap = cap;
	}
	struct toml_kv *kv = &t->kv[t->n++];
	kv->key = k->key;
	locate(ps, k->at, &kv->line, &kv->col);
	kv->value = v;
}

static void array_add(struct parser *ps, struct toml_array *a, struct toml_value *v)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 4;
		struct toml_value **items = ab_arena_alloc(ps->arena, cap * sizeof(*items));
		if (a->n)
			memcpy(items, a->items, a->n * sizeof(*items));
		a->items = items;
		a->cap = cap;
	}
	a->items[a->n++] = v;
}

/* Inline tables are immutable once closed, with the tables their dotted
 * keys created (nested inline tables are frozen already: stop there). */
static void freeze(struct toml_value *t)
{
	t->u.table.flags |= FL_FROZEN;
	for (size_t i = 0; i < t->u.table.n; i++) {
		struct toml_value *c = t->u.table.kv[i].value;
		if (c->type == TOML_TABLE && !(c->u.table.flags & FL_FROZEN))
			freeze(c);
	}
}

/* ------------------------------------------------------------------ */
/* Lexing                                                              */

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* At '\n' or "\r\n": consume it. Returns 1, or 0 when not at a newline,
 * or a negative error for a lone CR. */
static int eat_newline(struct parser *ps)
{
	if (ps->p < ps->end && *ps->p == '\r') {
		if (ps->p + 1 < ps->end && ps->p[1] == '\n')
			ps->p++;
		else
			return fail(ps, ps->p, "carriage return not followed by line feed");
	}
	if (ps->p < ps->end && *ps->p == '\n') {
		ps->p++;
		ps->line++;
		ps->line_start = ps->p;
		return 1;
	}
	return 0;
}

/* Validate one non-ASCII UTF-8 sequence at p; returns its length. */
static int utf8_at(struct parser *ps, const char *p)
{
	uint32_t cp;
	size_t n = ab_utf8_decode(p, (size_t)(ps->end - p), &cp);
	if (!n)
		return fail(ps, p, "invalid UTF-8");
	return (int)n;
}

/* At '#': consume the comment up to (not including) the line ending.
 * TOML 1.0: control characters other than tab are not permitted. */
static int skip_comment(struct parser *ps)
{
	ps->p++;
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p;
		if (c == '\n')
			break;
		if (c == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n')
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return fail(ps, ps->p, "control character in comment");
		if (c >= 0x80) {
			int n = utf8_at(ps, ps->p);
			if (n < 0)
				return n;
			ps->p += n;
		} else {
			ps->p++;
		}
	}
	return 0;
}

/* Blanks, comments and newlines (inside arrays). */
static int skip_ws_nl(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end)
			return 0;
		if (*ps->p == '#') {
			int r = skip_comment(ps);
			if (r < 0)
				return r;
			continue;
		}
		int r = eat_newline(ps);
		if (r < 0)
			return r;
		if (!r)
			return 0;
	}
}

/* After a statement: blanks, an optional comment, then a newline or EOF. */
static int end_of_statement(struct parser *ps, const char *what)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '#') {
		int r = skip_comment(ps);
		if (r < 0)
			return r;
	}
	if (ps->p >= ps->end)
		return 0;
	int r = eat_newline(ps);
	if (r < 0)
		return r;
	if (!r) {
		char tmp[8];
		return fail(ps, ps->p, "expected end of line after %s, found %s", what,
			    describe(ps, ps->p, tmp));
	}
	return 0;
}

static bool is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void add_utf8(struct ab_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	ab_buf_add(b, u, n);
}

/* At '\\' in a basic string: decode one escape into scratch. */
static int escape(struct parser *ps, bool multiline)
{
	const char *at = ps->p;
	ps->p++;
	if (ps->p >= ps->end)
		return fail(ps, at, "unterminated string");
	char c = *ps->p;
	const char *simple = "b\bt\tn\nf\fr\r\"\"\\\\";
	for (const char *s = simple; *s; s += 2)
		if (c == s[0]) {
			ab_buf_addc(&ps->scratch, s[1]);
			ps->p++;
			return 0;
		}
	if (c == 'u' || c == 'U') {
		int n = c == 'u' ? 4 : 8;
		uint32_t cp = 0;
		ps->p++;
		for (int i = 0; i < n; i++) {
			int h = ps->p + i < ps->end ? hexval(ps->p[i]) : -1;
			if (h < 0)
				return fail(ps, at, "escape '\\%c' needs %d hexadecimal digits", c, n);
			cp = cp << 4 | (uint32_t)h;
		}
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return fail(ps, at, "escape '%.*s' is not a Unicode scalar value", n + 2, at);
		ps->p += n;
		add_utf8(&ps->scratch, cp);
		return 0;
	}
	if (multiline) {
		/* line-ending backslash: blanks, a newline, then every blank and
		 * newline up to the next other character are trimmed */
		const char *q = ps->p;
		while (q < ps->end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < ps->end && (*q == '\n' || *q == '\r')) {
			ps->p = q;
			for (;;) {
				skip_ws(ps);
				int r = eat_newline(ps);
				if (r < 0)
					return r;
				if (!r)
					return 0;
			}
		}
	}
	char tmp[8];
	return fail(ps, at, "invalid escape '\\' followed by %s", describe(ps, ps->p, tmp));
}

/* At the opening quote: parse any of the four string kinds into scratch
 * (reset first). `allow_multi` false for keys. */
static int scan_string(struct parser *ps, bool allow_multi)
{
	const char *at = ps->p;
	char q = *ps->p;
	bool basic = q == '"';
	bool multi = ps->end - ps->p >= 3 && ps->p[1] == q && ps->p[2] == q;
	ab_buf_reset(&ps->scratch);
	if (multi) {
		if (!allow_multi)
			return fail(ps, at, "a multi-line string cannot be a key");
		ps->p += 3;
		/* a newline right after the opening delimiter is trimmed */
		int r = eat_newline(ps);
		if (r < 0)
			return r;
	} else {
		ps->p++;
	}
	for (;;) {
		if (ps->p >= ps->end)
			return fail(ps, at, "unterminated string");
		unsigned char c = (unsigned char)*ps->p;
		if (c == (unsigned char)q) {
			if (!multi) {
				ps->p++;
				return 0;
			}
			size_t k = 0;
			while (ps->p + k < ps->end && ps->p[k] == q)
				k++;
			if (k >= 3) {
				/* up to two quotes may sit right before the closing three */
				if (k > 5)
					return fail(ps, ps->p + 5, "too many quotes at end of string");
				for (size_t i = 0; i < k - 3; i++)
					ab_buf_addc(&ps->scratch, q);
				ps->p += k;
				return 0;
			}
			for (size_t i = 0; i < k; i++)
				ab_buf_addc(&ps->scratch, q);
			ps->p += k;
			continue;
		}
		if (c == '\\' && basic) {
			int r = escape(ps, multi);
			if (r < 0)
				return r;
			continue;
		}
		if (c == '\n' || c == '\r') {
			if (!multi)
				return fail(ps, ps->p, "unterminated string (newline before closing quote)");
			int r = eat_newline(ps);
			if (r < 0)
				return r;
			/* tomli reads CRLF as LF */
			ab_buf_addc(&ps->scratch, '\n');
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return fail(ps, ps->p, "control character in string");
		if (c >= 0x80) {
			int n = utf8_at(ps, ps->p);
			if (n < 0)
				return n;
			ab_buf_add(&ps->scratch, ps->p, (size_t)n);
			ps->p += n;
			continue;
		}
		ab_buf_addc(&ps->scratch, (char)c);
		ps->p++;
	}
}

static struct ab_str keep_scratch(struct parser *ps)
{
	char *s = ab_arena_alloc(ps->arena, ps->scratch.len + 1);
	memcpy(s, ps->scratch.buf, ps->scratch.len);
	s[ps->scratch.len] = 0;
	return ab_str_make(s, ps->scratch.len);
}

/* A dotted key: parts into `kp` (arena memory), blanks around dots. */
static int parse_key(struct parser *ps, struct keypath *kp)
{
	kp->n = 0;
	for (;;) {
		skip_ws(ps);
		const char *at = ps->p;
		struct ab_str key;
		if (at < ps->end && (*at == '"' || *at == '\'')) {
			int r = scan_string(ps, false);
			if (r < 0)
				return r;
			key = keep_scratch(ps);
		} else {
			while (ps->p < ps->end && is_bare(*ps->p))
				ps->p++;
			if (ps->p == at) {
				char tmp[8];
				return fail(ps, at, "expected a key, found %s", describe(ps, at, tmp));
			}
			key = ab_str_make(ab_arena_strndup(ps->arena, at, (size_t)(ps->p - at)),
					  (size_t)(ps->p - at));
		}
		if (kp->n == kp->cap) {
			size_t cap = kp->cap ? 2 * kp->cap : 4;
			struct keypart *parts = ab_arena_alloc(ps->arena, cap * sizeof(*parts));
			if (kp->n)
				memcpy(parts, kp->parts, kp->n * sizeof(*parts));
			kp->parts = parts;
			kp->cap = cap;
		}
		kp->parts[kp->n].key = key;
		kp->parts[kp->n].at = at;
		kp->n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == '.') {
			ps->p++;
			continue;
		}
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Scalars                                                             */

static bool digits2(const char *s, int max, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return *out <= max;
}

/* RFC 3339 date "YYYY-MM-DD" at s (10 bytes available). */
static bool valid_date(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m, d;
	if (s[4] != '-' || s[7] != '-' || !digits2(s + 5, 12, &m) || !digits2(s + 8, 31, &d))
		return false;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || d < 1)
		return false;
	int md = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		md = 29;
	/* Python's date() rejects year 0, as tomli then does */
	return d <= md && y >= 1;
}

/* "HH:MM:SS[.frac]" at s[0..n); returns the length used, 0 if invalid.
 * Seconds stop at 59: tomli builds a Python time(), which has no leap second. */
static size_t valid_time(const char *s, size_t n)
{
	int h, mi, sec;
	if (n < 8 || !digits2(s, 23, &h) || s[2] != ':' || !digits2(s + 3, 59, &mi) ||
	    s[5] != ':' || !digits2(s + 6, 59, &sec))
		return 0;
	size_t i = 8;
	if (i < n && s[i] == '.') {
		i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	return i;
}

static bool valid_datetime(const char *s, size_t n)
{
	if (n >= 3 && s[2] == ':')
		return valid_time(s, n) == n; /* local time */
	if (n < 10 || !valid_date(s))
		return false;
	if (n == 10)
		return true; /* local date */
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return false;
	size_t t = valid_time(s + 11, n - 11);
	if (!t)
		return false;
	size_t i = 11 + t;
	if (i == n)
		return true; /* local date-time */
	if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n)
		return true;
	int oh, om;
	return (s[i] == '+' || s[i] == '-') && n - i == 6 && digits2(s + i + 1, 23, &oh) &&
	       s[i + 3] == ':' && digits2(s + i + 4, 59, &om);
}

/* Digits of `base` with single '_' only between digits; copied into
 * scratch without the underscores. */
static bool scan_digits(struct parser *ps, const char *s, size_t n, int base)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '_') {
			if (i == 0 || i + 1 == n || s[i + 1] == '_')
				return false;
			continue;
		}
		int v = hexval(c);
		if (v < 0 || v >= base)
			return false;
		ab_buf_addc(&ps->scratch, c);
	}
	return true;
}

static int parse_integer(struct parser *ps, const char *tok, size_t n, struct toml_value *v)
{
	int base = 10;
	const char *s = tok;
	bool neg = false;
	ab_buf_reset(&ps->scratch);
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		s += 2;
		n -= 2;
	} else {
		if (s[0] == '+' || s[0] == '-') {
			neg = s[0] == '-';
			s++;
			n--;
		}
		/* leading zeros are not allowed in decimal integers */
		if (n > 1 && s[0] == '0' && ((s[1] >= '0' && s[1] <= '9') || s[1] == '_'))
			return fail(ps, tok, "leading zero in integer '%.*s'", (int)(s + n - tok), tok);
	}
	if (!scan_digits(ps, s, n, base))
		return fail(ps, tok, "invalid integer '%.*s'", (int)(s + n - tok), tok);
	/* accumulate as unsigned, so that INT64_MIN fits */
	uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (size_t i = 0; i < ps->scratch.len; i++) {
		uint64_t d = (uint64_t)hexval(ps->scratch.buf[i]);
		if (acc > (lim - d) / (uint64_t)base)
			return fail(ps, tok, "integer '%.*s' out of range", (int)(s + n - tok), tok);
		acc = acc * (uint64_t)base + d;
	}
	v->type = TOML_INTEGER;
	v->u.integer = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}

static int parse_float(struct parser *ps, const char *tok, size_t n, struct toml_value *v)
{
	const char *s = tok, *e = tok + n;
	ab_buf_reset(&ps->scratch);
	v->type = TOML_FLOAT;
	if (s < e && (*s == '+' || *s == '-'))
		ab_buf_addc(&ps->scratch, *s++);
	if (e - s == 3 && (!memcmp(s, "inf", 3) || !memcmp(s, "nan", 3))) {
		bool neg = tok[0] == '-';
		if (s[0] == 'i')
			v->u.flt = neg ? -INFINITY : INFINITY;
		else
			v->u.flt = neg ? -NAN : NAN;
		return 0;
	}
	/* integer part: decimal, no leading zero */
	const char *ip = s;
	while (s < e && ((*s >= '0' && *s <= '9') || *s == '_'))
		s++;
	if ((s - ip > 1 && ip[0] == '0') || !scan_digits(ps, ip, (size_t)(s - ip), 10))
		goto bad;
	bool frac = false, exp = false;
	if (s < e && *s == '.') {
		ab_buf_addc(&ps->scratch, '.');
		const char *fp = ++s;
		while (s < e && ((*s >= '0' && *s <= '9') || *s == '_'))
			s++;
		if (!scan_digits(ps, fp, (size_t)(s - fp), 10))
			goto bad;
		frac = true;
	}
	if (s < e && (*s == 'e' || *s == 'E')) {
		ab_buf_addc(&ps->scratch, 'e');
		s++;
		if (s < e && (*s == '+' || *s == '-'))
			ab_buf_addc(&ps->scratch, *s++);
		const char *xp = s;
		while (s < e && ((*s >= '0' && *s <= '9') || *s == '_'))
			s++;
		if (!scan_digits(ps, xp, (size_t)(s - xp), 10))
			goto bad;
		exp = true;
	}
	if (s != e || (!frac && !exp))
		goto bad;
	errno = 0;
	v->u.flt = strtod(ps->scratch.buf, NULL);
	return 0;
bad:
	return fail(ps, tok, "invalid number '%.*s'", (int)n, tok);
}

/* At a digit, '+' or '-' (or 'i'/'n' of inf/nan): a number or date-time. */
static int parse_number(struct parser *ps, struct toml_value *v)
{
	const char *tok = ps->p;
	while (ps->p < ps->end && (is_bare(*ps->p) || *ps->p == '.' || *ps->p == '+' ||
				   *ps->p == ':'))
		ps->p++;
	size_t n = (size_t)(ps->p - tok);
	/* a date-time may use a space between the date and the time */
	if (n == 10 && valid_date(tok) && ps->end - ps->p >= 3 && ps->p[0] == ' ' &&
	    ps->p[1] >= '0' && ps->p[1] <= '9' && ps->p[2] >= '0' && ps->p[2] <= '9') {
		ps->p++;
		while (ps->p < ps->end && (is_bare(*ps->p) || *ps->p == '.' || *ps->p == '+' ||
					   *ps->p == ':'))
			ps->p++;
		n = (size_t)(ps->p - tok);
	}
	if ((n >= 3 && tok[2] == ':') || (n >= 5 && tok[4] == '-' && tok[0] != '-' && tok[0] != '+')) {
		if (!valid_datetime(tok, n))
			return fail(ps, tok, "invalid date or time '%.*s'", (int)n, tok);
		v->type = TOML_DATETIME;
		v->u.str = ab_str_make(ab_arena_strndup(ps->arena, tok, n), n);
		return 0;
	}
	const char *s = tok;
	if (*s == '+' || *s == '-')
		s++;
	bool is_float = false;
	bool hex = n > 1 && tok[0] == '0' && tok[1] == 'x';
	for (const char *q = s; q < tok + n; q++)
		if (*q == '.' || ((*q == 'e' || *q == 'E') && !hex) || *q == 'i' || *q == 'n')
			is_float = true;
	if (is_float)
		return parse_float(ps, tok, n, v);
	return parse_integer(ps, tok, n, v);
}

/* ------------------------------------------------------------------ */
/* Values, key/values, headers                                         */

static int parse_value(struct parser *ps, struct toml_value **out);
static int parse_keyval(struct parser *ps, struct toml_value *table);

static int parse_array(struct parser *ps, struct toml_value *v)
{
	const char *open = ps->p;
	ps->p++;
	for (;;) {
		int r = skip_ws_nl(ps);
		if (r < 0)
			return r;
		if (ps->p >= ps->end)
			return fail(ps, open, "unterminated array");
		if (*ps->p == ']') {
			ps->p++;
			return 0;
		}
		struct toml_value *item;
		r = parse_value(ps, &item);
		if (r < 0)
			return r;
		array_add(ps, &v->u.array, item);
		r = skip_ws_nl(ps);
		if (r < 0)
			return r;
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return 0;
		}
		char tmp[8];
		if (ps->p >= ps->end)
			return fail(ps, open, "unterminated array");
		return fail(ps, ps->p, "expected ',' or ']' in array, found %s",
			    describe(ps, ps->p, tmp));
	}
}

static int parse_inline_table(struct parser *ps, struct toml_value *v)
{
	const char *open = ps->p;
	unsigned saved = ps->section;
	ps->section = ++ps->next_section;
	ps->p++;
	skip_ws(ps);
	int r = 0;
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		goto out;
	}
	for (;;) {
		r = parse_keyval(ps, v);
		if (r < 0)
			goto out;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == '}') {
				r = fail(ps, ps->p, "trailing comma in inline table");
				goto out;
			}
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			break;
		}
		char tmp[8];
		if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == '\r')
			r = fail(ps, open, "unterminated inline table (it must fit on one line)");
		else
			r = fail(ps, ps->p, "expected ',' or '}' in inline table, found %s",
				 describe(ps, ps->p, tmp));
		goto out;
	}
out:
	ps->section = saved;
	if (r >= 0)
		freeze(v);
	return r;
}

static int parse_value(struct parser *ps, struct toml_value **out)
{
	const char *at = ps->p;
	char tmp[8];
	if (at >= ps->end || *at == '\n' || *at == '\r')
		return fail(ps, at, "expected a value, found %s", describe(ps, at, tmp));
	struct toml_value *v = new_value(ps, TOML_STRING, at);
	*out = v;
	int r;
	switch (*at) {
	case '"':
	case '\'':
		r = scan_string(ps, true);
		if (r < 0)
			return r;
		v->u.str = keep_scratch(ps);
		return 0;
	case '[':
	case '{':
		if (ps->depth >= MAX_DEPTH)
			return fail(ps, at, "arrays and inline tables nested too deeply");
		ps->depth++;
		if (*at == '[') {
			v->type = TOML_ARRAY;
			r = parse_array(ps, v);
		} else {
			v->type = TOML_TABLE;
			r = parse_inline_table(ps, v);
		}
		ps->depth--;
		return r;
	case 't':
	case 'f': {
		size_t n = *at == 't' ? 4 : 5;
		if ((size_t)(ps->end - at) >= n && !memcmp(at, *at == 't' ? "true" : "false", n) &&
		    (at + n == ps->end || !is_bare(at[n]))) {
			v->type = TOML_BOOL;
			v->u.boolean = *at == 't';
			ps->p += n;
			return 0;
		}
		break;
	}
	default:
		if ((*at >= '0' && *at <= '9') || *at == '+' || *at == '-')
			return parse_number(ps, v);
		if ((size_t)(ps->end - at) >= 3 && (!memcmp(at, "inf", 3) || !memcmp(at, "nan", 3)) &&
		    (at + 3 == ps->end || !is_bare(at[3])))
			return parse_number(ps, v);
		break;
	}
	const char *e = at;
	while (e < ps->end && is_bare(*e))
		e++;
	if (e > at)
		return fail(ps, at, "invalid value '%.*s' (strings need quotes)", (int)(e - at), at);
	return fail(ps, at, "expected a value, found %s", describe(ps, at, tmp));
}

/* key = value, into `table` (the current section's table or an inline
 * table), by the dotted-key rules at the top of this file. */
static int parse_keyval(struct parser *ps, struct toml_value *table)
{
	struct keypath kp = { 0, 0, NULL };
	int r = parse_key(ps, &kp);
	if (r < 0)
		return r;
	if (ps->p >= ps->end || *ps->p != '=') {
		char tmp[8];
		return fail(ps, ps->p, "expected '=' after key, found %s", describe(ps, ps->p, tmp));
	}
	ps->p++;
	skip_ws(ps);
	struct toml_value *val;
	r = parse_value(ps, &val);
	if (r < 0)
		return r;

	struct toml_value *t = table;
	struct ab_buf name = AB_BUF_INIT;
	for (size_t i = 0; i + 1 < kp.n; i++) {
		struct toml_kv *kv = table_find(&t->u.table, kp.parts[i].key);
		if (!kv) {
			struct toml_value *c = new_value(ps, TOML_TABLE, kp.parts[i].at);
			c->u.table.dotted_section = ps->section;
			table_add(ps, &t->u.table, &kp.parts[i], c);
			t = c;
			continue;
		}
		struct toml_value *c = kv->value;
		join_keys(kp.parts, i + 1, &name);
		if (c->type != TOML_TABLE)
			r = fail(ps, kp.parts[i].at, "cannot use '%s' as a table: it is already %s",
				 name.buf, a_type(c->type));
		else if (c->u.table.flags & FL_FROZEN)
			r = fail(ps, kp.parts[i].at, "cannot add keys to inline table '%s'", name.buf);
		else if ((c->u.table.flags & FL_EXPLICIT) ||
			 (c->u.table.dotted_section && c->u.table.dotted_section != ps->section))
			r = fail(ps, kp.parts[i].at, "table '%s' is already defined", name.buf);
		if (r < 0)
			goto out;
		ab_buf_reset(&name);
		c->u.table.dotted_section = ps->section;
		t = c;
	}
	const struct keypart *last = &kp.parts[kp.n - 1];
	if (table_find(&t->u.table, last->key)) {
		join_keys(kp.parts, kp.n, &name);
		r = fail(ps, last->at, "duplicate key '%s'", name.buf);
		goto out;
	}
	table_add(ps, &t->u.table, last, val);
out:
	ab_buf_release(&name);
	return r;
}

/* At '[': a [table] or [[array of tables]] header. */
static int parse_header(struct parser *ps)
{
	const char *at = ps->p;
	bool aot = ps->end - ps->p >= 2 && ps->p[1] == '[';
	ps->p += aot ? 2 : 1;
	struct keypath kp = { 0, 0, NULL };
	int r = parse_key(ps, &kp);
	if (r < 0)
		return r;
	if (ps->p >= ps->end || *ps->p != ']' || (aot && (ps->end - ps->p < 2 || ps->p[1] != ']'))) {
		char tmp[8];
		return fail(ps, ps->p, "expected '%s' after table name, found %s", aot ? "]]" : "]",
			    describe(ps, ps->p, tmp));
	}
	ps->p += aot ? 2 : 1;
	ps->section = ++ps->next_section;

	struct toml_value *t = ps->root;
	struct ab_buf name = AB_BUF_INIT;
	for (size_t i = 0; i + 1 < kp.n; i++) {
		struct toml_kv *kv = table_find(&t->u.table, kp.parts[i].key);
		if (!kv) {
			struct toml_value *c = new_value(ps, TOML_TABLE, kp.parts[i].at);
			table_add(ps, &t->u.table, &kp.parts[i], c);
			t = c;
			continue;
		}
		struct toml_value *c = kv->value;
		if (c->type == TOML_ARRAY && c->u.array.aot) {
			t = c->u.array.items[c->u.array.n - 1];
			continue;
		}
		join_keys(kp.parts, i + 1, &name);
		if (c->type != TOML_TABLE)
			r = fail(ps, kp.parts[i].at, "cannot use '%s' as a table: it is already %s",
				 name.buf, c->type == TOML_ARRAY ? "a static array" : a_type(c->type));
		else if (c->u.table.flags & FL_FROZEN)
			r = fail(ps, kp.parts[i].at, "cannot add keys to inline table '%s'", name.buf);
		if (r < 0)
			goto out;
		ab_buf_reset(&name);
		t = c;
	}
	const struct keypart *last = &kp.parts[kp.n - 1];
	struct toml_kv *kv = table_find(&t->u.table, last->key);
	join_keys(kp.parts, kp.n, &name);
	if (aot) {
		struct toml_value *elem = new_value(ps, TOML_TABLE, at);
		elem->u.table.flags = FL_EXPLICIT;
		if (!kv) {
			struct toml_value *arr = new_value(ps, TOML_ARRAY, at);
			arr->u.array.aot = true;
			table_add(ps, &t->u.table, last, arr);
			array_add(ps, &arr->u.array, elem);
		} else if (kv->value->type == TOML_ARRAY && kv->value->u.array.aot) {
			array_add(ps, &kv->value->u.array, elem);
		} else {
			r = fail(ps, last->at, "cannot append to '%s': it is already %s", name.buf,
				 kv->value->type == TOML_ARRAY ? "a static array"
							       : a_type(kv->value->type));
			goto out;
		}
		ps->cur = elem;
		goto out;
	}
	if (!kv) {
		struct toml_value *c = new_value(ps, TOML_TABLE, at);
		c->u.table.flags = FL_EXPLICIT;
		table_add(ps, &t->u.table, last, c);
		ps->cur = c;
		goto out;
	}
	struct toml_value *c = kv->value;
	if (c->type != TOML_TABLE) {
		r = fail(ps, last->at, "cannot define table '%s': it is already %s", name.buf,
			 a_type(c->type));
	} else if ((c->u.table.flags & (FL_EXPLICIT | FL_FROZEN)) || c->u.table.dotted_section) {
		/* dotted keys of an earlier section defined it */
		r = fail(ps, last->at, "table '%s' is already defined", name.buf);
	} else {
		c->u.table.flags |= FL_EXPLICIT;
		c->line = 0;
		locate(ps, at, &c->line, &c->col);
		ps->cur = c;
	}
out:
	ab_buf_release(&name);
	return r;
}

int toml_parse(struct ab_str text, const char *file, struct toml_doc *out, struct ab_err *err)
{
	*out = (struct toml_doc)TOML_DOC_INIT;
	struct parser ps = { 0 };
	ps.start = ps.p = ps.line_start = text.ptr ? text.ptr : "";
	ps.end = ps.start + text.len;
	ps.line = 1;
	ps.file = file;
	ps.arena = &out->arena;
	ps.err = err;
	ps.scratch = (struct ab_buf)AB_BUF_INIT;
	ps.section = ps.next_section = 1;
	ps.root = ps.cur = new_value(&ps, TOML_TABLE, ps.start);
	ps.root->u.table.flags = FL_EXPLICIT;
	int r = 0;
	/* tomllib decodes as "utf-8", not "utf-8-sig": a BOM is an error */
	if (text.len >= 3 && !memcmp(ps.start, "\xEF\xBB\xBF", 3))
		r = fail(&ps, ps.start, "byte order mark at start of file is not allowed");
	while (r >= 0) {
		skip_ws(&ps);
		if (ps.p >= ps.end)
			break;
		char c = *ps.p;
		if (c == '#' || c == '\n' || c == '\r') {
			r = end_of_statement(&ps, "comment");
		} else if (c == '[') {
			r = parse_header(&ps);
			if (r >= 0)
				r = end_of_statement(&ps, "table header");
		} else {
			r = parse_keyval(&ps, ps.cur);
			if (r >= 0)
				r = end_of_statement(&ps, "value");
		}
	}
	ab_buf_release(&ps.scratch);
	if (r < 0) {
		ab_arena_release(&out->arena);
		*out = (struct toml_doc)TOML_DOC_INIT;
		return r;
	}
	out->root = ps.root;
	return 0;
}

void toml_release(struct toml_doc *doc)
{
	ab_arena_release(&doc->arena);
	doc->root = NULL;
}

const struct toml_value *toml_get(const struct toml_value *t, const char *key)
{
	if (!t || t->type != TOML_TABLE)
		return NULL;
	const struct toml_kv *kv = table_find(&t->u.table, ab_str_from(key));
	return kv ? kv->value : NULL;
}

/* "a string", "an integer", ... for messages */
static const char *a_type(enum toml_type type)
{
	static const char *const names[] = { "a table", "an array", "a string", "an integer",
					     "a float", "a boolean", "a datetime" };
	return names[type];
}

const char *toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_TABLE: return "table";
	case TOML_ARRAY: return "array";
	case TOML_STRING: return "string";
	case TOML_INTEGER: return "integer";
	case TOML_FLOAT: return "float";
	case TOML_BOOL: return "boolean";
	case TOML_DATETIME: return "datetime";
	}
	return "value";
}

static void format_string(struct ab_str s, struct ab_buf *out)
{
	ab_buf_addc(out, '"');
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c == '"' || c == '\\') {
			ab_buf_addc(out, '\\');
			ab_buf_addc(out, (char)c);
		} else if (c == '\n') {
			ab_buf_adds(out, "\\n");
		} else if (c < 0x20 || c == 0x7F) {
			ab_buf_addf(out, "\\u%04x", c);
		} else {
			ab_buf_addc(out, (char)c);
		}
	}
	ab_buf_addc(out, '"');
}

void toml_format(const struct toml_value *v, struct ab_buf *out)
{
	switch (v->type) {
	case TOML_TABLE:
		ab_buf_addc(out, '{');
		for (size_t i = 0; i < v->u.table.n; i++) {
			if (i)
				ab_buf_addc(out, ',');
			format_string(v->u.table.kv[i].key, out);
			ab_buf_addc(out, ':');
			toml_format(v->u.table.kv[i].value, out);
		}
		ab_buf_addc(out, '}');
		break;
	case TOML_ARRAY:
		ab_buf_addc(out, '[');
		for (size_t i = 0; i < v->u.array.n; i++) {
			if (i)
				ab_buf_addc(out, ',');
			toml_format(v->u.array.items[i], out);
		}
		ab_buf_addc(out, ']');
		break;
	case TOML_STRING:
		format_string(v->u.str, out);
		break;
	case TOML_INTEGER:
		ab_buf_addf(out, "%lld", (long long)v->u.integer);
		break;
	case TOML_FLOAT:
		if (isnan(v->u.flt))
			ab_buf_adds(out, "nan");
		else if (isinf(v->u.flt))
			ab_buf_adds(out, v->u.flt < 0 ? "-inf" : "inf");
		else
			ab_buf_addf(out, "%.17g", v->u.flt);
		break;
	case TOML_BOOL:
		ab_buf_adds(out, v->u.boolean ? "true" : "false");
		break;
	case TOML_DATETIME:
		ab_buf_adds(out, "{\"datetime\":");
		format_string(v->u.str, out);
		ab_buf_addc(out, '}');
		break;
	}
}
