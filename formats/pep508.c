/* pep508.c - PEP 508 dependency specifiers, as pypa/packaging 26.x.
 *
 * packaging's Requirement: its recursive-descent parser (_parser.py) over
 * its context-sensitive tokenizer, hand-written; the version specifier is
 * the concatenation of SPECIFIER tokens and commas, handed to SpecifierSet
 * (pep440_specset_parse), and the marker to marker.c. */
#include "formats/pep508.h"

#include "formats/core/unicode.h"

#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/names.h"

struct rparser {
	const char *s;
	size_t n, pos;
	struct ab_err *err;
};

__attribute__((format(printf, 3, 4))) static int fail(struct rparser *p, size_t at,
							 const char *fmt, ...)
{
	struct ab_loc loc = { NULL, 1, (unsigned)(at + 1) };
	struct ab_buf msg = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	int r = ab_err_at(p->err, AB_E_PARSE, &loc, "%s", msg.buf);
	ab_buf_release(&msg);
	return r;
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Python's `\w` on str; non-ASCII bytes count as word characters (see
 * marker.c: only an error message could differ). */
static bool is_word(unsigned char c)
{
	return is_alnum((char)c) || c == '_' || c >= 0x80;
}

/* WS = [ \t]+ */
static bool skip_ws(struct rparser *p)
{
	size_t start = p->pos;
	while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
	return p->pos > start;
}

/* END: the end of input. (The reference's `$` would match before a final
 * newline, but the reference rejects "name\n", so it is the true end.) */
static bool at_end(const struct rparser *p)
{
	return p->pos >= p->n;
}

static bool at(const struct rparser *p, char c)
{
	return p->pos < p->n && p->s[p->pos] == c;
}

/* IDENTIFIER = \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b : the longest run whose end is
 * a word boundary (the regex backtracks over trailing `.`/`-`). Returns
 * the length, 0 if none. */
static size_t identifier(const struct rparser *p)
{
	const char *s = p->s;
	size_t pos = p->pos;
	if (pos >= p->n || !is_alnum(s[pos]))
		return 0;
	if (pos > 0 && is_word((unsigned char)s[pos - 1]))
		return 0;
	size_t e = pos + 1;
	while (e < p->n && (is_alnum(s[e]) || s[e] == '.' || s[e] == '_' || s[e] == '-'))
		e++;
	for (; e > pos; e--) {
		bool w_last = is_word((unsigned char)s[e - 1]);
		bool w_next = e < p->n && is_word((unsigned char)s[e]);
		if (w_last != w_next)
			return e - pos;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* extras = '[' WS? (IDENTIFIER (WS? ',' WS? IDENTIFIER)*)? WS? ']' */
static int parse_extras(struct rparser *p, struct pep508_req *r)
{
	size_t cap = 0, l;
	p->pos++;
	skip_ws(p);
	l = identifier(p);
	if (l) {
		for (;;) {
			AB_GROW(r->extras, cap, r->nextras + 1);
			r->extras[r->nextras++] = ab_xstrndup(p->s + p->pos, l);
			p->pos += l;
			skip_ws(p);
			if (identifier(p))
				return fail(p, p->pos, "expected comma between extra names");
			if (!at(p, ','))
				break;
			p->pos++;
			skip_ws(p);
			l = identifier(p);
			if (!l)
				return fail(p, p->pos, "expected extra name after comma");
		}
	}
	skip_ws(p);
	if (!at(p, ']'))
		return fail(p, p->pos, "expected matching ']' for '[' after extras");
	p->pos++;
	/* Requirement.extras is a set; str() sorts it */
	if (r->nextras > 1) {
		qsort(r->extras, r->nextras, sizeof(*r->extras), cmp_str);
		size_t k = 1;
		for (size_t i = 1; i < r->nextras; i++) {
			if (strcmp(r->extras[i], r->extras[k - 1]))
				r->extras[k++] = r->extras[i];
			else
				free(r->extras[i]);
		}
		r->nextras = k;
	}
	return 0;
}

/* version_many = (SPECIFIER (WS? ',' WS? SPECIFIER)*)? with packaging's
 * diagnostics for a `.*` or `+local` that the token did not take. */
static int parse_version_many(struct rparser *p, struct ab_buf *spec)
{
	struct ab_str src = ab_str_make(p->s, p->n);
	size_t l;
	enum pep440_op op;
	while ((l = marker_specifier_token(src, p->pos, &op)) > 0) {
		ab_buf_add(spec, p->s + p->pos, l);
		p->pos += l;
		if (p->pos + 1 < p->n && p->s[p->pos] == '.' && p->s[p->pos + 1] == '*') {
			if (op == PEP440_OP_EQ || op == PEP440_OP_NE)
				return fail(p, p->pos,
					    "'.*' suffix cannot be used after pre-release, "
					    "post-release, developmental release, or local version labels");
			return fail(p, p->pos, "'.*' suffix can only be used with '==' or '!=' operators");
		}
		/* VERSION_LOCAL_LABEL_TRAIL = \+[a-z0-9]+... (case-sensitive) */
		if (p->pos + 1 < p->n && p->s[p->pos] == '+' &&
		    ((p->s[p->pos + 1] >= 'a' && p->s[p->pos + 1] <= 'z') ||
		     (p->s[p->pos + 1] >= '0' && p->s[p->pos + 1] <= '9')))
			return fail(p, p->pos,
				    "local version label can only be used with '==' or '!=' operators");
		skip_ws(p);
		if (!at(p, ','))
			break;
		ab_buf_addc(spec, ',');
		p->pos++;
		skip_ws(p);
	}
	return 0;
}

/* An operator the SPECIFIER token did not take has no usable version after
 * it ("flask==", "flask>= ;x"). packaging says "expected end or semicolon";
 * the user wants to hear what is missing, so say so, pointing at the spot. */
static int check_dangling_op(struct rparser *p)
{
	static const char *const ops[] = { "===", "~=", "==", "!=", "<=", ">=", "<", ">" };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t l = strlen(ops[i]);
		if (p->pos + l > p->n || memcmp(p->s + p->pos, ops[i], l))
			continue;
		size_t v = p->pos + l;
		while (v < p->n && (p->s[v] == ' ' || p->s[v] == '\t'))
			v++;
		if (v == p->n || strchr(";,)", p->s[v]))
			return fail(p, v, "expected version after '%s'", ops[i]);
		size_t e = v;
		while (e < p->n && !strchr(" \t;,)", p->s[e]))
			e++;
		return fail(p, v, "invalid version '%.*s' after '%s'", (int)(e - v), p->s + v, ops[i]);
	}
	return 0;
}

/* requirement_marker = ';' marker WS? */
static int parse_marker_part(struct rparser *p, struct pep508_req *r, const char *expected)
{
	if (!at(p, ';')) {
		struct ab_loc loc = { NULL, 1, (unsigned)(p->pos + 1) };
		return ab_err_at(p->err, AB_E_PARSE, &loc, "expected %s or end", expected);
	}
	p->pos++;
	return marker_parse_at(ab_str_make(p->s, p->n), &p->pos, &r->marker, p->err);
}

int pep508_parse(struct ab_str s, struct pep508_req *out, struct ab_err *err)
{
	struct rparser p = { s.ptr, s.len, 0, err };
	struct pep508_req r = PEP508_REQ_INIT;
	struct ab_buf spec = AB_BUF_INIT;
	size_t l, spec_at = 0;
	int rc;
	bool had_err = err && err->code;

	*out = (struct pep508_req)PEP508_REQ_INIT;
	/* A NUL cannot be kept in the C strings of the result (packaging would
	 * take it into a URL or a `===` version): reject it up front. */
	const char *nul = memchr(s.ptr, '\0', s.len);
	if (nul) {
		rc = fail(&p, (size_t)(nul - s.ptr), "NUL byte in requirement");
		goto out;
	}
	/* Nor can invalid UTF-8 be: packaging works on str, and a file that
	 * is not UTF-8 never reaches it. */
	for (size_t i = 0; i < s.len;) {
		if ((unsigned char)s.ptr[i] < 0x80) {
			i++; /* ASCII: no decoding */
			continue;
		}
		uint32_t cp;
		size_t k = ab_utf8_decode(s.ptr + i, s.len - i, &cp);
		if (!k) {
			rc = fail(&p, i, "invalid UTF-8 in requirement");
			goto out;
		}
		i += k;
	}
	skip_ws(&p);
	l = identifier(&p);
	if (!l) {
		rc = fail(&p, p.pos, "expected package name at the start of dependency specifier");
		goto out;
	}
	r.name = ab_xstrndup(p.s + p.pos, l);
	r.canonical = name_canonical_dup(ab_str_make(p.s + p.pos, l));
	p.pos += l;
	skip_ws(&p);
	if (at(&p, '[')) {
		rc = parse_extras(&p, &r);
		if (rc < 0)
			goto out;
	}
	skip_ws(&p);

	if (at(&p, '@')) {
		/* AT URL (WS marker?)? ; URL = [^ \t]+ */
		p.pos++;
		skip_ws(&p);
		size_t u = p.pos;
		while (p.pos < p.n && p.s[p.pos] != ' ' && p.s[p.pos] != '\t')
			p.pos++;
		if (p.pos == u) {
			rc = fail(&p, p.pos, "expected URL after '@'");
			goto out;
		}
		r.url = ab_xstrndup(p.s + u, p.pos - u);
		/* the URL runs to a blank or the end: a ';' glued to it is part
		 * of the URL, so the marker needs a blank before its ';' */
		skip_ws(&p);
		if (!at_end(&p)) {
			rc = parse_marker_part(&p, &r, "semicolon (after URL and whitespace)");
			if (rc < 0)
				goto out;
		}
	} else {
		/* specifier = '(' WS? version_many WS? ')' | WS? version_many WS? */
		bool paren = at(&p, '(');
		spec_at = p.pos;
		if (paren)
			p.pos++;
		skip_ws(&p);
		rc = parse_version_many(&p, &spec);
		if (rc < 0)
			goto out;
		skip_ws(&p);
		/* an operator right after the name or a comma lacks its version */
		if (spec.len == 0 || spec.buf[spec.len - 1] == ',') {
			rc = check_dangling_op(&p);
			if (rc < 0)
				goto out;
		}
		if (paren) {
			if (!at(&p, ')')) {
				rc = fail(&p, p.pos,
					  "expected matching ')' for '(' after version specifier");
				goto out;
			}
			p.pos++;
		}
		skip_ws(&p);
		if (!at_end(&p)) {
			rc = parse_marker_part(&p, &r,
					       spec.len ? "comma (within version specifier), "
							  "semicolon (after version specifier)"
							: "semicolon (after name with no version specifier)");
			if (rc < 0)
				goto out;
		}
	}
	if (!at_end(&p)) {
		rc = fail(&p, p.pos, "expected end of dependency specifier");
		goto out;
	}
	/* SpecifierSet(parsed.specifier): may still reject, e.g. "===x,y" */
	rc = pep440_specset_parse(ab_buf_str(&spec), &r.spec, err);
	if (rc < 0) {
		/* its column is into the joined specifier: point at its start */
		if (err && !had_err)
			err->col = (unsigned)(spec_at + 1);
		goto out;
	}
	rc = 0;
	*out = r;
out:
	if (rc < 0)
		pep508_release(&r);
	ab_buf_release(&spec);
	return rc;
}

void pep508_release(struct pep508_req *r)
{
	free(r->name);
	free(r->canonical);
	for (size_t i = 0; i < r->nextras; i++)
		free(r->extras[i]);
	free(r->extras);
	pep440_specset_release(&r->spec);
	free(r->url);
	marker_free(r->marker);
	*r = (struct pep508_req)PEP508_REQ_INIT;
}

void pep508_format(const struct pep508_req *r, struct ab_buf *out)
{
	ab_buf_adds(out, r->name);
	if (r->nextras) {
		ab_buf_addc(out, '[');
		for (size_t i = 0; i < r->nextras; i++) {
			if (i)
				ab_buf_addc(out, ',');
			ab_buf_adds(out, r->extras[i]);
		}
		ab_buf_addc(out, ']');
	}
	if (r->spec.n)
		pep440_specset_format(&r->spec, out);
	if (r->url) {
		ab_buf_adds(out, " @ ");
		ab_buf_adds(out, r->url);
		if (r->marker)
			ab_buf_addc(out, ' ');
	}
	if (r->marker) {
		ab_buf_adds(out, "; ");
		marker_format(r->marker, out);
	}
}
