/* extdeps.c - external-dependencies.txt (Requires-External style lines). */
#include "formats/extdeps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

static const char *const op_strs[] = { "<", "<=", "==", "!=", ">=", ">", "~=" };

const char *extdeps_op_str(enum extdeps_op op)
{
	return (size_t)op < AB_ARRAY_SIZE(op_strs) ? op_strs[op] : "?";
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '+';
}

/* Free-form system version text: anything visible but the delimiters. */
static bool is_version_char(char c)
{
	return (unsigned char)c > ' ' && c != 0x7f && c != ',' && c != '(' && c != ')' && c != ';';
}

static void entry_release(struct extdeps_entry *e)
{
	free(e->name);
	for (size_t i = 0; i < e->nclauses; i++)
		free(e->clauses[i].version);
	free(e->clauses);
	marker_free(e->marker);
}

static int fail(struct ab_err *err, const char *file, unsigned line, size_t col, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

static int fail(struct ab_err *err, const char *file, unsigned line, size_t col, const char *fmt,
		...)
{
	struct ab_buf msg = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	struct ab_loc loc = { file, line, (unsigned)col + 1 };
	int r = ab_err_at(err, AB_E_PARSE, &loc, "%s", msg.buf);
	ab_buf_release(&msg);
	return r;
}

/* Describe the byte at p for a message: printable ASCII as itself. */
static int show(const char *p, const char *end, char *buf)
{
	if (p >= end)
		return snprintf(buf, 16, "end of line");
	unsigned char c = (unsigned char)*p;
	if (c >= 0x21 && c < 0x7f)
		return snprintf(buf, 16, "'%c'", c);
	return snprintf(buf, 16, "0x%02x", c);
}

/* One non-empty line [p, end) (comment and trailing blanks removed). */
static int parse_line(struct extdeps_entry *e, const char *file, unsigned lineno, const char *line,
		      const char *p, const char *end, struct ab_err *err)
{
	char what[16];
	const char *s = p;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) {
		show(p, end, what);
		return fail(err, file, lineno, (size_t)(p - line),
			    "expected a package name, found %s", what);
	}
	while (p < end && is_name_char(*p))
		p++;
	e->name = ab_xstrndup(s, (size_t)(p - s));
	e->line = lineno;
	e->col = (unsigned)(s - line) + 1;
	if (p < end && !is_ws(*p) && *p != '(' && *p != ';') {
		show(p, end, what);
		return fail(err, file, lineno, (size_t)(p - line),
			    "invalid character %s in name '%s'", what, e->name);
	}
	while (p < end && is_ws(*p))
		p++;
	if (p < end && *p == '(') {
		const char *open = p++;
		size_t cap = 0;
		for (;;) {
			while (p < end && is_ws(*p))
				p++;
			int op = -1;
			size_t oplen = 0;
			/* longest operator first */
			for (size_t i = 0; i < AB_ARRAY_SIZE(op_strs); i++) {
				size_t n = strlen(op_strs[i]);
				if ((size_t)(end - p) >= n && !memcmp(p, op_strs[i], n) &&
				    n > oplen) {
					op = (int)i;
					oplen = n;
				}
			}
			if (op < 0) {
				show(p, end, what);
				return fail(err, file, lineno, (size_t)(p - line),
					    "expected version operator (<, <=, ==, !=, >=, >, ~=), "
					    "found %s",
					    what);
			}
			const char *opat = p;
			p += oplen;
			if (p < end && *p == '=') {
				return fail(err, file, lineno, (size_t)(opat - line),
					    "unknown version operator '%.*s='", (int)oplen, opat);
			}
			while (p < end && is_ws(*p))
				p++;
			const char *v = p;
			/* a version never starts with an operator character, so
			 * "> =1" is not ">" "=1" (which would print as ">==1") */
			if (p < end && !strchr("<>=!~", *p))
				while (p < end && is_version_char(*p))
					p++;
			if (p == v) {
				return fail(err, file, lineno, (size_t)(p - line),
					    "expected version after '%s'", op_strs[op]);
			}
			if (e->nclauses == cap)
				AB_GROW(e->clauses, cap, e->nclauses + 1);
			e->clauses[e->nclauses++] =
				(struct extdeps_clause){ (enum extdeps_op)op,
							 ab_xstrndup(v, (size_t)(p - v)) };
			while (p < end && is_ws(*p))
				p++;
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == ')') {
				p++;
				break;
			}
			if (p >= end)
				return fail(err, file, lineno, (size_t)(open - line),
					    "unclosed '(' (expected ')' after version)");
			show(p, end, what);
			return fail(err, file, lineno, (size_t)(p - line),
				    "expected ',' or ')' after version, found %s", what);
		}
		while (p < end && is_ws(*p))
			p++;
	}
	if (p < end && *p == ';') {
		const char *semi = p++;
		while (p < end && is_ws(*p))
			p++;
		if (p >= end)
			return fail(err, file, lineno, (size_t)(semi - line),
				    "expected marker after ';'");
		struct ab_err me = AB_ERR_INIT;
		if (marker_parse(ab_str_make(p, (size_t)(end - p)), &e->marker, &me) < 0) {
			e->marker = NULL;
			size_t col = (size_t)(p - line) + (me.col ? me.col - 1 : 0);
			int r = fail(err, file, lineno, col, "invalid marker: %s", me.msg.buf);
			ab_err_release(&me);
			return r;
		}
		return 0;
	}
	if (p < end) {
		show(p, end, what);
		return fail(err, file, lineno, (size_t)(p - line),
			    "unexpected %s after '%s' (expected '(' or ';')", what, e->name);
	}
	return 0;
}

int extdeps_parse(struct extdeps *d, const char *file, struct ab_str text, struct ab_err *err)
{
	const char *p = text.ptr ? text.ptr : "", *end = p + text.len;
	if (end - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	unsigned lineno = 0;
	while (p < end) {
		lineno++;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *line = p;
		p = nl ? nl + 1 : end;
		const char *nul = memchr(line, '\0', (size_t)(le - line));
		if (nul)
			return fail(err, file, lineno, (size_t)(nul - line), "unexpected NUL byte");
		/* '#' at the start or after whitespace: a comment */
		const char *ce = le;
		for (const char *q = line; q < le; q++)
			if (*q == '#' && (q == line || is_ws(q[-1]))) {
				ce = q;
				break;
			}
		const char *b = line;
		while (b < ce && is_ws(*b))
			b++;
		while (ce > b && is_ws(ce[-1]))
			ce--;
		if (b == ce)
			continue;
		struct extdeps_entry e = { 0 };
		int r = parse_line(&e, file, lineno, line, b, ce, err);
		if (r < 0) {
			entry_release(&e);
			return r;
		}
		if (d->n == d->cap)
			AB_GROW(d->entries, d->cap, d->n + 1);
		d->entries[d->n++] = e;
	}
	return 0;
}

int extdeps_parse_file(struct extdeps *d, const char *path, struct ab_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		return ab_err_at(err, AB_E_IO, &(struct ab_loc){ path, 0, 0 },
				 "cannot open '%s': %s", path, strerror(e));
	}
	struct ab_buf b = AB_BUF_INIT;
	char tmp[16384];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		ab_buf_add(&b, tmp, n);
	int r;
	if (ferror(f))
		r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ path, 0, 0 }, "cannot read '%s'",
			      path);
	else
		r = extdeps_parse(d, path, ab_buf_str(&b), err);
	fclose(f);
	ab_buf_release(&b);
	return r;
}

void extdeps_release(struct extdeps *d)
{
	for (size_t i = 0; i < d->n; i++)
		entry_release(&d->entries[i]);
	free(d->entries);
	*d = (struct extdeps)EXTDEPS_INIT;
}

void extdeps_format_entry(const struct extdeps_entry *e, struct ab_buf *out)
{
	ab_buf_adds(out, e->name);
	if (e->nclauses) {
		ab_buf_adds(out, " (");
		for (size_t i = 0; i < e->nclauses; i++)
			ab_buf_addf(out, "%s%s%s", i ? ", " : "", extdeps_op_str(e->clauses[i].op),
				    e->clauses[i].version);
		ab_buf_addc(out, ')');
	}
	if (e->marker) {
		ab_buf_adds(out, "; ");
		marker_format(e->marker, out);
	}
}
