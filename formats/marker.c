/* marker.c - PEP 508 environment markers, as pypa/packaging 26.x.
 *
 * The parser is packaging's recursive descent (_parser.py) over its
 * context-sensitive tokenizer (_tokenizer.py), hand-written: each token rule
 * is a small scanner that answers what packaging's regular expression
 * answers at that position, including its `\b` word boundaries. The tree
 * keeps packaging's list shape (a group is a list of atoms joined by
 * and/or) because str(Marker) depends on it. */
#include "formats/marker.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/names.h"

#define NONE UINT32_MAX
/* packaging recurses once per parenthesis; Python would stop with a
 * RecursionError near 1000 levels, we stop earlier with a parse error. */
#define MAX_DEPTH 200

enum mop { MOP_LT, MOP_LE, MOP_NE, MOP_EQ, MOP_GE, MOP_GT, MOP_COMPAT, MOP_ARB, MOP_IN, MOP_NOT_IN };

static const char *const mop_text[] = { "<", "<=", "!=", "==", ">=", ">", "~=", "===", "in", "not in" };

enum { NODE_CMP, NODE_GROUP };
enum { BOOL_NONE, BOOL_AND, BOOL_OR };
enum { SPEC_UNKNOWN, SPEC_VALID, SPEC_INVALID };

struct operand {
	bool is_var;
	enum marker_var var;
	uint32_t off, len; /* a value: bytes in marker->vals */
};

struct mnode {
	uint8_t kind;
	uint8_t boolop; /* joins this node to the previous sibling */
	uint8_t spec_state;
	uint32_t next;           /* next sibling */
	uint32_t first, nchild;  /* NODE_GROUP */
	struct operand l, r;     /* NODE_CMP */
	enum mop op;
	struct pep440_specset spec; /* SPEC_VALID: Specifier(op + rhs value), cached */
};

struct marker {
	struct mnode *nodes;
	size_t n, cap;
	uint32_t root;
	struct ab_buf vals;
};

static const char *const var_names[MARKER_VAR__COUNT] = {
	[MARKER_VAR_IMPLEMENTATION_NAME] = "implementation_name",
	[MARKER_VAR_IMPLEMENTATION_VERSION] = "implementation_version",
	[MARKER_VAR_OS_NAME] = "os_name",
	[MARKER_VAR_PLATFORM_MACHINE] = "platform_machine",
	[MARKER_VAR_PLATFORM_RELEASE] = "platform_release",
	[MARKER_VAR_PLATFORM_SYSTEM] = "platform_system",
	[MARKER_VAR_PLATFORM_VERSION] = "platform_version",
	[MARKER_VAR_PYTHON_FULL_VERSION] = "python_full_version",
	[MARKER_VAR_PLATFORM_PYTHON_IMPLEMENTATION] = "platform_python_implementation",
	[MARKER_VAR_PYTHON_VERSION] = "python_version",
	[MARKER_VAR_SYS_PLATFORM] = "sys_platform",
	[MARKER_VAR_EXTRA] = "extra",
	[MARKER_VAR_EXTRAS] = "extras",
	[MARKER_VAR_DEPENDENCY_GROUPS] = "dependency_groups",
};

/* The spellings packaging's VARIABLE rule accepts: os[._]name,
 * sys[._]platform, platform[._](version|machine|python_implementation) and
 * the legacy python_implementation; `.` becomes `_` and
 * python_implementation becomes platform_python_implementation. Not
 * accepted: platform.release, platform.system, implementation.* . */
static const struct {
	const char *text;
	enum marker_var var;
} var_spellings[] = {
	{ "python_version", MARKER_VAR_PYTHON_VERSION },
	{ "python_full_version", MARKER_VAR_PYTHON_FULL_VERSION },
	{ "os_name", MARKER_VAR_OS_NAME },
	{ "os.name", MARKER_VAR_OS_NAME },
	{ "sys_platform", MARKER_VAR_SYS_PLATFORM },
	{ "sys.platform", MARKER_VAR_SYS_PLATFORM },
	{ "platform_release", MARKER_VAR_PLATFORM_RELEASE },
	{ "platform_system", MARKER_VAR_PLATFORM_SYSTEM },
	{ "platform_version", MARKER_VAR_PLATFORM_VERSION },
	{ "platform.version", MARKER_VAR_PLATFORM_VERSION },
	{ "platform_machine", MARKER_VAR_PLATFORM_MACHINE },
	{ "platform.machine", MARKER_VAR_PLATFORM_MACHINE },
	{ "platform_python_implementation", MARKER_VAR_PLATFORM_PYTHON_IMPLEMENTATION },
	{ "platform.python_implementation", MARKER_VAR_PLATFORM_PYTHON_IMPLEMENTATION },
	{ "python_implementation", MARKER_VAR_PLATFORM_PYTHON_IMPLEMENTATION },
	{ "implementation_name", MARKER_VAR_IMPLEMENTATION_NAME },
	{ "implementation_version", MARKER_VAR_IMPLEMENTATION_VERSION },
	{ "extras", MARKER_VAR_EXTRAS },
	{ "extra", MARKER_VAR_EXTRA },
	{ "dependency_groups", MARKER_VAR_DEPENDENCY_GROUPS },
};

const char *marker_var_name(enum marker_var v)
{
	return (unsigned)v < MARKER_VAR__COUNT ? var_names[v] : "";
}

/* MARKERS_REQUIRING_VERSION: only these compare as versions. */
static bool is_version_var(enum marker_var v)
{
	return v == MARKER_VAR_IMPLEMENTATION_VERSION || v == MARKER_VAR_PLATFORM_RELEASE ||
	       v == MARKER_VAR_PYTHON_FULL_VERSION || v == MARKER_VAR_PYTHON_VERSION;
}

/* MARKERS_ALLOWING_SET (PEP 751) */
static bool is_set_var(enum marker_var v)
{
	return v == MARKER_VAR_EXTRAS || v == MARKER_VAR_DEPENDENCY_GROUPS;
}

/* ---- character classes of Python's re on str patterns ---- */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* `\w`: ASCII alphanumerics, `_`, and Unicode letters/digits. Every
 * non-ASCII byte counts as a word character: after a token, any non-ASCII
 * text fails the next token anyway, so only the message could differ. */
static bool is_word(unsigned char c)
{
	return is_alnum((char)c) || c == '_' || c >= 0x80;
}

/* Length of the `\s` (str.isspace) character at s[pos], or 0. */
static size_t space_len(const char *s, size_t n, size_t pos)
{
	if (pos >= n)
		return 0;
	unsigned char c = (unsigned char)s[pos];
	if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20))
		return 1;
	if (c < 0x80)
		return 0;
	/* decode one UTF-8 sequence of 2 or 3 bytes */
	uint32_t cp;
	size_t len;
	if ((c & 0xe0) == 0xc0 && pos + 1 < n) {
		cp = ((uint32_t)(c & 0x1f) << 6) | (s[pos + 1] & 0x3f);
		len = 2;
	} else if ((c & 0xf0) == 0xe0 && pos + 2 < n) {
		cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[pos + 1] & 0x3f) << 6) |
		     (s[pos + 2] & 0x3f);
		len = 3;
	} else {
		return 0;
	}
	if (cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)
		return len;
	return 0;
}

static size_t skip_space(const char *s, size_t n, size_t pos)
{
	size_t l;
	while ((l = space_len(s, n, pos)) > 0)
		pos += l;
	return pos;
}

/* ---- the SPECIFIER token ---- */

static bool has_ci(const char *s, size_t n, size_t pos, const char *word)
{
	size_t l = strlen(word);
	if (n - pos < l)
		return false;
	for (size_t i = 0; i < l; i++)
		if (lower(s[pos + i]) != word[i])
			return false;
	return true;
}

static size_t digits(const char *s, size_t n, size_t pos)
{
	while (pos < n && is_digit(s[pos]))
		pos++;
	return pos;
}

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

/* [-_.]? (one of words) [-_.]? [0-9]* ; returns pos unchanged if absent.
 * The first alternative that matches wins, as in the regex. */
static size_t opt_label(const char *s, size_t n, size_t pos, const char *const *words)
{
	size_t p = pos;
	if (p < n && is_sep(s[p]))
		p++;
	for (size_t i = 0; words[i]; i++) {
		if (has_ci(s, n, p, words[i])) {
			p += strlen(words[i]);
			if (p < n && is_sep(s[p]))
				p++;
			return digits(s, n, p);
		}
	}
	return pos;
}

static const char *const pre_words[] = { "alpha", "beta", "preview", "pre", "a", "b", "c", "rc", NULL };
static const char *const post_words[] = { "post", "rev", "r", NULL };
static const char *const dev_words[] = { "dev", NULL };

/* v? ([0-9]+!)? [0-9]+ (\.[0-9]+)* ; 0 if no release. `min_dots` is 1 for ~=. */
static size_t version_head(const char *s, size_t n, size_t pos, int min_dots)
{
	size_t p = pos;
	if (p < n && lower(s[p]) == 'v')
		p++;
	size_t e = digits(s, n, p);
	if (e > p && e < n && s[e] == '!')
		p = e + 1;
	size_t r = digits(s, n, p);
	if (r == p)
		return 0;
	int dots = 0;
	while (r + 1 < n && s[r] == '.' && is_digit(s[r + 1])) {
		r = digits(s, n, r + 1);
		dots++;
	}
	return dots >= min_dots ? r : 0;
}

static size_t pre_post_dev(const char *s, size_t n, size_t p)
{
	p = opt_label(s, n, p, pre_words);
	if (p + 1 < n && s[p] == '-' && is_digit(s[p + 1]))
		p = digits(s, n, p + 1);
	else
		p = opt_label(s, n, p, post_words);
	return opt_label(s, n, p, dev_words);
}

size_t marker_specifier_token(struct ab_str str, size_t pos, enum pep440_op *op)
{
	const char *s = str.ptr;
	size_t n = str.len, p;
	enum pep440_op o;
	if (pos >= n)
		return 0;
	if (has_ci(s, n, pos, "===")) {
		/* === \s* [^\s;)]* */
		p = skip_space(s, n, pos + 3);
		while (p < n && s[p] != ';' && s[p] != ')' && !space_len(s, n, p))
			p++;
		if (op)
			*op = PEP440_OP_ARBITRARY;
		return p - pos;
	}
	if (has_ci(s, n, pos, "==") || has_ci(s, n, pos, "!=")) {
		o = s[pos] == '=' ? PEP440_OP_EQ : PEP440_OP_NE;
		p = version_head(s, n, skip_space(s, n, pos + 2), 0);
		if (!p)
			return 0;
		if (p + 1 < n && s[p] == '.' && s[p + 1] == '*') {
			p += 2;
		} else {
			p = pre_post_dev(s, n, p);
			/* (\+[a-z0-9]+([-_.][a-z0-9]+)*)? */
			if (p + 1 < n && s[p] == '+' && is_alnum(s[p + 1])) {
				p++;
				while (p < n && is_alnum(s[p]))
					p++;
				while (p + 1 < n && is_sep(s[p]) && is_alnum(s[p + 1])) {
					p++;
					while (p < n && is_alnum(s[p]))
						p++;
				}
			}
		}
	} else if (has_ci(s, n, pos, "~=")) {
		o = PEP440_OP_COMPATIBLE;
		p = version_head(s, n, skip_space(s, n, pos + 2), 1);
		if (!p)
			return 0;
		p = pre_post_dev(s, n, p);
	} else if (s[pos] == '<' || s[pos] == '>') {
		bool eq = pos + 1 < n && s[pos + 1] == '=';
		o = s[pos] == '<' ? (eq ? PEP440_OP_LE : PEP440_OP_LT) : (eq ? PEP440_OP_GE : PEP440_OP_GT);
		p = version_head(s, n, skip_space(s, n, pos + (eq ? 2 : 1)), 0);
		if (!p)
			return 0;
		p = pre_post_dev(s, n, p);
	} else {
		return 0;
	}
	if (op)
		*op = o;
	return p - pos;
}

/* ---- parser ---- */

struct mparser {
	const char *s;
	size_t n, pos;
	struct marker *m;
	struct ab_err *err;
	unsigned depth;
};

static int fail(struct mparser *p, size_t at, const char *msg)
{
	struct ab_loc loc = { NULL, 1, (unsigned)(at + 1) };
	return ab_err_at(p->err, AB_E_PARSE, &loc, "%s", msg);
}

static void skip_ws(struct mparser *p)
{
	while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

static bool boundary_before(struct mparser *p, size_t at)
{
	return at == 0 || !is_word((unsigned char)p->s[at - 1]);
}

static bool boundary_after(struct mparser *p, size_t at)
{
	return at >= p->n || !is_word((unsigned char)p->s[at]);
}

/* `\bword\b` at the current position (all our keywords are word chars) */
static bool keyword(struct mparser *p, const char *word)
{
	size_t l = strlen(word);
	if (p->n - p->pos < l || memcmp(p->s + p->pos, word, l))
		return false;
	return boundary_before(p, p->pos) && boundary_after(p, p->pos + l);
}

static uint32_t add_node(struct marker *m, int kind)
{
	AB_GROW(m->nodes, m->cap, m->n + 1);
	struct mnode *nd = &m->nodes[m->n];
	memset(nd, 0, sizeof(*nd));
	nd->kind = (uint8_t)kind;
	nd->next = NONE;
	nd->first = NONE;
	nd->spec = (struct pep440_specset)PEP440_SPECSET_INIT;
	return (uint32_t)m->n++;
}

static void put_utf8(struct ab_buf *b, uint32_t cp)
{
	char t[4];
	if (cp < 0x80) {
		ab_buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		t[0] = (char)(0xc0 | (cp >> 6));
		t[1] = (char)(0x80 | (cp & 0x3f));
		ab_buf_add(b, t, 2);
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | (cp >> 12));
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		ab_buf_add(b, t, 3);
	} else {
		t[0] = (char)(0xf0 | (cp >> 18));
		t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[3] = (char)(0x80 | (cp & 0x3f));
		ab_buf_add(b, t, 4);
	}
}

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* ast.literal_eval() of a quoted-string token (quotes included): Python's
 * string escapes. Returns -1 where Python raises (SyntaxError/ValueError):
 * a raw newline, CR or NUL, an escaped closing quote, a short \x/\u/\U,
 * a code point above U+10FFFF, and \N{...} (no Unicode name table here). */
static int literal_eval(const char *s, size_t n, struct ab_buf *out)
{
	size_t i = 1, end = n - 1;
	while (i < end) {
		char c = s[i];
		if (c == '\n' || c == '\r' || c == '\0')
			return -1;
		if (c != '\\') {
			size_t j = i;
			while (j < end && s[j] != '\\' && s[j] != '\n' && s[j] != '\r' && s[j] != '\0')
				j++;
			ab_buf_add(out, s + i, j - i);
			i = j;
			continue;
		}
		if (i + 1 >= end)
			return -1; /* the backslash escapes the closing quote */
		c = s[i + 1];
		i += 2;
		switch (c) {
		case '\n':
			break; /* line continuation */
		case '\r':
			if (i < end && s[i] == '\n')
				i++;
			break;
		case '\\': case '\'': case '"':
			ab_buf_addc(out, c);
			break;
		case 'a': ab_buf_addc(out, '\a'); break;
		case 'b': ab_buf_addc(out, '\b'); break;
		case 'f': ab_buf_addc(out, '\f'); break;
		case 'n': ab_buf_addc(out, '\n'); break;
		case 'r': ab_buf_addc(out, '\r'); break;
		case 't': ab_buf_addc(out, '\t'); break;
		case 'v': ab_buf_addc(out, '\v'); break;
		case 'x': case 'u': case 'U': {
			int want = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			uint32_t cp = 0;
			for (int k = 0; k < want; k++) {
				int h = i < end ? hexval(s[i]) : -1;
				if (h < 0)
					return -1;
				cp = cp * 16 + (uint32_t)h;
				i++;
			}
			if (cp > 0x10ffff)
				return -1;
			put_utf8(out, cp);
			break;
		}
		case 'N':
			return -1;
		default:
			if (c >= '0' && c <= '7') {
				uint32_t cp = (uint32_t)(c - '0');
				for (int k = 0; k < 2 && i < end && s[i] >= '0' && s[i] <= '7'; k++)
					cp = cp * 8 + (uint32_t)(s[i++] - '0');
				put_utf8(out, cp);
			} else {
				/* unknown escapes stay as written (a DeprecationWarning) */
				ab_buf_addc(out, '\\');
				ab_buf_addc(out, c);
			}
		}
	}
	return 0;
}

/* marker_var = VARIABLE | QUOTED_STRING */
static int parse_var(struct mparser *p, struct operand *o)
{
	const char *s = p->s;
	size_t pos = p->pos;
	if (pos < p->n && (s[pos] == '"' || s[pos] == '\'')) {
		const char *close = memchr(s + pos + 1, s[pos], p->n - pos - 1);
		if (close) {
			size_t len = (size_t)(close - (s + pos)) + 1;
			struct ab_buf *vals = &p->m->vals;
			size_t off = vals->len;
			if (literal_eval(s + pos, len, vals) < 0)
				return fail(p, pos, "invalid quoted string");
			if (vals->len - off > UINT32_MAX || off > UINT32_MAX)
				return fail(p, pos, "quoted string too long");
			o->is_var = false;
			o->off = (uint32_t)off;
			o->len = (uint32_t)(vals->len - off);
			p->pos = pos + len;
			return 0;
		}
	} else if (boundary_before(p, pos)) {
		for (size_t i = 0; i < AB_ARRAY_SIZE(var_spellings); i++) {
			size_t l = strlen(var_spellings[i].text);
			if (p->n - pos >= l && !memcmp(s + pos, var_spellings[i].text, l) &&
			    boundary_after(p, pos + l)) {
				o->is_var = true;
				o->var = var_spellings[i].var;
				p->pos = pos + l;
				return 0;
			}
		}
	}
	return fail(p, pos, "expected a marker variable or quoted string");
}

/* marker_op = IN | NOT WS IN | OP */
static int parse_op(struct mparser *p, enum mop *op)
{
	const char *s = p->s + p->pos;
	size_t left = p->n - p->pos;
	if (keyword(p, "in")) {
		p->pos += 2;
		*op = MOP_IN;
		return 0;
	}
	if (keyword(p, "not")) {
		p->pos += 3;
		size_t ws = p->pos;
		skip_ws(p);
		if (p->pos == ws)
			return fail(p, p->pos, "expected whitespace after 'not'");
		if (!keyword(p, "in"))
			return fail(p, p->pos, "expected 'in' after 'not'");
		p->pos += 2;
		*op = MOP_NOT_IN;
		return 0;
	}
	/* (===|==|~=|!=|<=|>=|<|>) */
	static const struct {
		const char *t;
		enum mop op;
	} ops[] = { { "===", MOP_ARB }, { "==", MOP_EQ }, { "~=", MOP_COMPAT }, { "!=", MOP_NE },
		    { "<=", MOP_LE },   { ">=", MOP_GE }, { "<", MOP_LT },      { ">", MOP_GT } };
	for (size_t i = 0; i < AB_ARRAY_SIZE(ops); i++) {
		size_t l = strlen(ops[i].t);
		if (left >= l && !memcmp(s, ops[i].t, l)) {
			p->pos += l;
			*op = ops[i].op;
			return 0;
		}
	}
	return fail(p, p->pos,
		    "expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in");
}

static struct ab_str operand_str(const struct marker *m, const struct operand *o)
{
	if (o->is_var)
		return ab_str_from(var_names[o->var]);
	return ab_str_make(m->vals.buf + o->off, o->len);
}

/* Point a value at its canonical name, appended to vals (the original
 * bytes stay unused: a marker is small). */
static void canonicalize_operand(struct marker *m, struct operand *o)
{
	size_t off = m->vals.len;
	struct ab_buf tmp = AB_BUF_INIT;
	name_canonicalize(operand_str(m, o), &tmp);
	ab_buf_add(&m->vals, tmp.buf, tmp.len);
	ab_buf_release(&tmp);
	o->off = (uint32_t)off;
	o->len = (uint32_t)(m->vals.len - off);
}

static bool spec_fullmatch(struct ab_str clause, enum pep440_op *op, size_t *vstart);

/* Parse-time cache of Specifier(op + value) for `version_var op "value"`. */
static void cache_spec(struct marker *m, struct mnode *nd)
{
	struct ab_buf clause = AB_BUF_INIT;
	enum pep440_op op;
	size_t vs;
	nd->spec_state = SPEC_INVALID;
	ab_buf_adds(&clause, mop_text[nd->op]);
	ab_buf_addstr(&clause, operand_str(m, &nd->r));
	if (spec_fullmatch(ab_buf_str(&clause), &op, &vs)) {
		if (op == PEP440_OP_ARBITRARY) {
			nd->spec_state = SPEC_UNKNOWN; /* string compare at evaluation */
		} else {
			struct ab_err e = AB_ERR_INIT;
			if (pep440_specset_parse(ab_buf_str(&clause), &nd->spec, &e) >= 0 &&
			    nd->spec.n == 1)
				nd->spec_state = SPEC_VALID;
			else
				pep440_specset_release(&nd->spec);
			ab_err_release(&e);
		}
	}
	ab_buf_release(&clause);
}

/* marker_item = marker_var WS? marker_op WS? marker_var */
static int parse_item(struct mparser *p, uint32_t *out)
{
	struct operand l, r;
	enum mop op = 0; /* set by parse_op() on success; gcc -O2 cannot see it */
	int rc = parse_var(p, &l);
	if (rc < 0)
		return rc;
	skip_ws(p);
	rc = parse_op(p, &op);
	if (rc < 0)
		return rc;
	skip_ws(p);
	rc = parse_var(p, &r);
	if (rc < 0)
		return rc;
	skip_ws(p);
	/* PEP 685: values compared with `extra` are normalized when parsed
	 * (packaging's _normalize_extra_values), and so are those compared with
	 * the set-valued `extras` / `dependency_groups`. */
	struct marker *m = p->m;
	if (l.is_var && !r.is_var &&
	    (l.var == MARKER_VAR_EXTRA || is_set_var(l.var)))
		canonicalize_operand(m, &r);
	else if (r.is_var && !l.is_var && (r.var == MARKER_VAR_EXTRA || is_set_var(r.var)))
		canonicalize_operand(m, &l);
	uint32_t idx = add_node(m, NODE_CMP);
	struct mnode *nd = &m->nodes[idx];
	nd->l = l;
	nd->r = r;
	nd->op = op;
	if (l.is_var && !r.is_var && is_version_var(l.var))
		cache_spec(m, nd);
	*out = idx;
	return 0;
}

static int parse_group(struct mparser *p, uint32_t *out);

/* marker_atom = WS? '(' WS? marker WS? ')' WS? | WS? marker_item WS? */
static int parse_atom(struct mparser *p, uint32_t *out)
{
	int rc;
	skip_ws(p);
	if (p->pos < p->n && p->s[p->pos] == '(') {
		size_t open = p->pos;
		if (++p->depth > MAX_DEPTH)
			return fail(p, open, "marker nested too deeply");
		p->pos++;
		skip_ws(p);
		rc = parse_group(p, out);
		if (rc < 0)
			return rc;
		skip_ws(p);
		if (p->pos >= p->n || p->s[p->pos] != ')')
			return fail(p, p->pos, "expected matching ')' for '(' after marker expression");
		p->pos++;
		p->depth--;
	} else {
		rc = parse_item(p, out);
		if (rc < 0)
			return rc;
	}
	skip_ws(p);
	return 0;
}

/* marker = marker_atom (BOOLOP marker_atom)* */
static int parse_group(struct mparser *p, uint32_t *out)
{
	uint32_t g = add_node(p->m, NODE_GROUP), child, last;
	int rc = parse_atom(p, &child);
	if (rc < 0)
		return rc;
	p->m->nodes[g].first = child;
	p->m->nodes[g].nchild = 1;
	last = child;
	for (;;) {
		uint8_t b;
		if (keyword(p, "or")) {
			b = BOOL_OR;
			p->pos += 2;
		} else if (keyword(p, "and")) {
			b = BOOL_AND;
			p->pos += 3;
		} else {
			break;
		}
		rc = parse_atom(p, &child);
		if (rc < 0)
			return rc;
		p->m->nodes[child].boolop = b;
		p->m->nodes[last].next = child;
		p->m->nodes[g].nchild++;
		last = child;
	}
	*out = g;
	return 0;
}

int marker_parse_at(struct ab_str s, size_t *pos, struct marker **out, struct ab_err *err)
{
	struct marker *m = ab_xcalloc(1, sizeof(*m));
	m->vals = (struct ab_buf)AB_BUF_INIT;
	struct mparser p = { s.ptr, s.len, *pos, m, err, 0 };
	*out = NULL;
	int rc = parse_group(&p, &m->root);
	if (rc < 0) {
		marker_free(m);
		return rc;
	}
	skip_ws(&p);
	*pos = p.pos;
	*out = m;
	return 0;
}

int marker_parse(struct ab_str s, struct marker **out, struct ab_err *err)
{
	size_t pos = 0;
	int rc = marker_parse_at(s, &pos, out, err);
	if (rc < 0)
		return rc;
	if (pos != s.len) {
		/* `$` in packaging's END rule would also match before a final
		 * "\n"; the reference rejects it, so END is the end of input. */
		marker_free(*out);
		*out = NULL;
		struct ab_loc loc = { NULL, 1, (unsigned)(pos + 1) };
		return ab_err_at(err, AB_E_PARSE, &loc, "expected end of marker expression");
	}
	return 0;
}

void marker_free(struct marker *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		pep440_specset_release(&m->nodes[i].spec);
	free(m->nodes);
	ab_buf_release(&m->vals);
	free(m);
}

/* ---- str(Marker) ---- */

static void format_operand(const struct marker *m, const struct operand *o, struct ab_buf *out)
{
	if (o->is_var) {
		ab_buf_adds(out, var_names[o->var]);
		return;
	}
	struct ab_str v = operand_str(m, o);
	/* Double quotes, unless the value holds one: then single quotes, as
	 * the reference writes 'a" == os_name ...' back unchanged. */
	char q = memchr(v.ptr, '"', v.len) ? '\'' : '"';
	ab_buf_addc(out, q);
	ab_buf_addstr(out, v);
	ab_buf_addc(out, q);
}

/* _format_marker(): a one-element list is transparent (the `first` flag
 * passes through, so "x and ((a or b))" keeps one pair of parentheses);
 * nested lists of several atoms are parenthesized. */
static void format_node(const struct marker *m, uint32_t idx, bool first, struct ab_buf *out)
{
	const struct mnode *nd = &m->nodes[idx];
	if (nd->kind == NODE_CMP) {
		format_operand(m, &nd->l, out);
		ab_buf_addc(out, ' ');
		ab_buf_adds(out, mop_text[nd->op]);
		ab_buf_addc(out, ' ');
		format_operand(m, &nd->r, out);
		return;
	}
	if (nd->nchild == 1) {
		format_node(m, nd->first, first, out);
		return;
	}
	if (!first)
		ab_buf_addc(out, '(');
	for (uint32_t c = nd->first; c != NONE; c = m->nodes[c].next) {
		if (c != nd->first)
			ab_buf_adds(out, m->nodes[c].boolop == BOOL_OR ? " or " : " and ");
		format_node(m, c, false, out);
	}
	if (!first)
		ab_buf_addc(out, ')');
}

void marker_format(const struct marker *m, struct ab_buf *out)
{
	format_node(m, m->root, true, out);
}

/* ---- evaluation ---- */

struct ectx {
	const struct marker *m;
	const struct marker_env *env;
	struct ab_str vars[MARKER_VAR__COUNT];
	bool defined[MARKER_VAR__COUNT];
	struct ab_err *err;
};

/* Specifier(clause) validity: fullmatch of \s* SPECIFIER \s*. */
static bool spec_fullmatch(struct ab_str clause, enum pep440_op *op, size_t *vstart)
{
	size_t p = skip_space(clause.ptr, clause.len, 0);
	size_t t = marker_specifier_token(clause, p, op);
	if (!t)
		return false;
	if (vstart)
		*vstart = p + (*op == PEP440_OP_ARBITRARY ? 3 : 0);
	return skip_space(clause.ptr, clause.len, p + t) == clause.len;
}

static struct ab_str py_strip(struct ab_str s)
{
	size_t a = skip_space(s.ptr, s.len, 0), b = s.len;
	/* trailing: only single-byte spaces can be found backwards cheaply;
	 * walk forward instead */
	size_t last = a;
	for (size_t i = a; i < s.len;) {
		size_t l = space_len(s.ptr, s.len, i);
		if (l) {
			i += l;
		} else {
			i++;
			last = i;
		}
	}
	b = last;
	return ab_str_make(s.ptr + a, b > a ? b - a : 0);
}

/* Specifier(op + rhs).contains(lhs, prereleases=True), with `set` the
 * parsed clause when non-NULL. */
static bool spec_contains(const struct pep440_specset *set, struct ab_str lhs)
{
	struct pep440_version *v = NULL;
	struct ab_err e = AB_ERR_INIT;
	bool r = false;
	/* Standard operators never match an unparsable version. */
	if (pep440_version_parse(lhs, &v, &e) >= 0) {
		r = pep440_spec_contains(&set->specs[0], v, 1);
		pep440_version_free(v);
	}
	ab_err_release(&e);
	return r;
}

/* 1/0: the result of the version comparison; -1: op + rhs is no specifier. */
static int version_cmp(const struct mnode *nd, struct ab_str lhs, struct ab_str rhs)
{
	if (nd->spec_state == SPEC_VALID)
		return spec_contains(&nd->spec, lhs);
	if (nd->spec_state == SPEC_INVALID)
		return -1;
	struct ab_buf clause = AB_BUF_INIT;
	enum pep440_op op;
	size_t vs;
	int r = -1;
	ab_buf_adds(&clause, mop_text[nd->op]);
	ab_buf_addstr(&clause, rhs);
	if (spec_fullmatch(ab_buf_str(&clause), &op, &vs)) {
		if (op == PEP440_OP_ARBITRARY) {
			/* === compares str(item).lower() with the stripped version */
			struct ab_str ver = py_strip(ab_str_make(clause.buf + vs, clause.len - vs));
			r = ab_str_ieq(lhs, ver);
		} else {
			struct pep440_specset set = PEP440_SPECSET_INIT;
			struct ab_err e = AB_ERR_INIT;
			if (pep440_specset_parse(ab_buf_str(&clause), &set, &e) >= 0 && set.n == 1)
				r = spec_contains(&set, lhs);
			pep440_specset_release(&set);
			ab_err_release(&e);
		}
	}
	ab_buf_release(&clause);
	return r;
}

static bool substr(struct ab_str hay, struct ab_str needle)
{
	if (needle.len == 0)
		return true;
	if (needle.len > hay.len)
		return false;
	return memmem(hay.ptr, hay.len, needle.ptr, needle.len) != NULL;
}

/* `lhs in set`: set is "a,b,c", both sides canonicalized (PEP 685). */
static bool set_has(struct ab_str set, struct ab_str name)
{
	size_t i = 0;
	while (i <= set.len) {
		size_t j = i;
		while (j < set.len && set.ptr[j] != ',')
			j++;
		struct ab_str item = ab_str_trim(ab_str_make(set.ptr + i, j - i));
		if (item.len && name_eq(item, name))
			return true;
		i = j + 1;
	}
	return false;
}

static int undefined_name(struct ectx *c, struct ab_str name)
{
	return ab_err_set(c->err, AB_E_INVALID, "undefined environment name '%.*s'",
			  AB_STR_ARG(name));
}

static int eval_cmp(struct ectx *c, const struct mnode *nd)
{
	const struct marker *m = c->m;
	struct ab_str lhs, rhs;
	int key = -1;
	if (nd->l.is_var) {
		key = (int)nd->l.var;
		if (!c->defined[key])
			return undefined_name(c, ab_str_from(var_names[key]));
		lhs = c->vars[key];
		rhs = operand_str(m, &nd->r);
	} else {
		lhs = operand_str(m, &nd->l);
		if (nd->r.is_var) {
			key = (int)nd->r.var;
		} else {
			/* value op value: packaging looks the right value up as an
			 * environment key */
			struct ab_str name = operand_str(m, &nd->r);
			for (int i = 0; i < MARKER_VAR__COUNT; i++)
				if (ab_str_eq_cstr(name, var_names[i]))
					key = i;
			if (key < 0)
				return undefined_name(c, name);
		}
		if (!c->defined[key])
			return undefined_name(c, ab_str_from(var_names[key]));
		rhs = c->vars[key];
	}
	if (is_set_var((enum marker_var)key)) {
		if (nd->l.is_var)
			return ab_err_set(c->err, AB_E_INVALID,
					  "undefined comparison: '%s' is a set, not a string",
					  var_names[key]);
		switch (nd->op) {
		case MOP_IN: return set_has(rhs, lhs);
		case MOP_NOT_IN: return !set_has(rhs, lhs);
		case MOP_NE: return 1; /* a string is never equal to a set */
		case MOP_COMPAT: case MOP_ARB: break;
		default: return 0;
		}
	} else {
		if (is_version_var((enum marker_var)key)) {
			int r = version_cmp(nd, lhs, rhs);
			if (r >= 0)
				return r;
		}
		switch (nd->op) {
		case MOP_IN: return substr(rhs, lhs);
		case MOP_NOT_IN: return !substr(rhs, lhs);
		case MOP_LT: case MOP_GT: return 0;
		case MOP_LE: case MOP_EQ: case MOP_GE: return ab_str_eq(lhs, rhs);
		case MOP_NE: return !ab_str_eq(lhs, rhs);
		default: break;
		}
	}
	return ab_err_set(c->err, AB_E_INVALID, "undefined comparison '%s' on '%.*s' and '%.*s'",
			  mop_text[nd->op], AB_STR_ARG(lhs), AB_STR_ARG(rhs));
}

/* any(all(...) for each or-separated run); every item is evaluated, as in
 * packaging, so an error anywhere is an error. */
static int eval_node(struct ectx *c, uint32_t idx)
{
	const struct mnode *nd = &c->m->nodes[idx];
	if (nd->kind == NODE_CMP)
		return eval_cmp(c, nd);
	bool any = false, all = true;
	for (uint32_t k = nd->first; k != NONE; k = c->m->nodes[k].next) {
		if (c->m->nodes[k].boolop == BOOL_OR) {
			any = any || all;
			all = true;
		}
		int r = eval_node(c, k);
		if (r < 0)
			return r;
		all = all && r;
	}
	return any || all;
}

int marker_evaluate(const struct marker *m, const struct marker_env *env, struct ab_err *err)
{
	struct ectx c = { .m = m, .env = env, .err = err };
	struct ab_buf extra = AB_BUF_INIT, full = AB_BUF_INIT;
	for (int i = 0; i < MARKER_VAR__COUNT; i++) {
		c.defined[i] = env->vars[i] != NULL;
		c.vars[i] = ab_str_from(env->vars[i]);
	}
	/* Marker.evaluate() canonicalizes the environment's extra (PEP 685) */
	if (c.vars[MARKER_VAR_EXTRA].len) {
		name_canonicalize(c.vars[MARKER_VAR_EXTRA], &extra);
		c.vars[MARKER_VAR_EXTRA] = ab_buf_str(&extra);
	}
	/* _repair_python_full_version: "3.11.1+" (an untagged build) is read as
	 * "3.11.1+local" */
	if (ab_str_endswith(c.vars[MARKER_VAR_PYTHON_FULL_VERSION], "+")) {
		ab_buf_addstr(&full, c.vars[MARKER_VAR_PYTHON_FULL_VERSION]);
		ab_buf_adds(&full, "local");
		c.vars[MARKER_VAR_PYTHON_FULL_VERSION] = ab_buf_str(&full);
	}
	int r = eval_node(&c, m->root);
	ab_buf_release(&extra);
	ab_buf_release(&full);
	return r;
}

/* ---- environments for a target ---- */

void marker_env_from_target(struct marker_env *env, const struct marker_target *t,
			    struct ab_buf *storage)
{
	static const struct {
		const char *sys, *system;
	} systems[] = { { "linux", "Linux" }, { "darwin", "Darwin" }, { "win32", "Windows" },
			{ "cygwin", "CYGWIN_NT" }, { "aix", "AIX" }, { "freebsd", "FreeBSD" },
			{ "openbsd", "OpenBSD" }, { "netbsd", "NetBSD" }, { "sunos", "SunOS" },
			{ "emscripten", "Emscripten" }, { "wasi", "WASI" } };
	static const struct {
		const char *impl, *name;
	} impls[] = { { "cpython", "CPython" }, { "pypy", "PyPy" }, { "ironpython", "IronPython" },
		      { "jython", "Jython" }, { "graalpy", "GraalVM" } };
	size_t off[MARKER_VAR__COUNT];
	const char *full = t->python_full_version ? t->python_full_version : "";
	const char *impl = t->implementation ? t->implementation : "cpython";
	const char *sys = t->sys_platform ? t->sys_platform : "";
	const char *system = "", *pyimpl = impl;
	for (size_t i = 0; i < AB_ARRAY_SIZE(systems); i++)
		if (!strncmp(sys, systems[i].sys, strlen(systems[i].sys)))
			system = systems[i].system;
	for (size_t i = 0; i < AB_ARRAY_SIZE(impls); i++)
		if (!strcmp(impl, impls[i].impl))
			pyimpl = impls[i].name;
	/* python_version: ".".join(platform.python_version_tuple()[:2]) */
	size_t pv = 0;
	int dots = 0;
	while (full[pv] && !(full[pv] == '.' && ++dots == 2))
		pv++;

	memset(env, 0, sizeof(*env));
	ab_buf_reset(storage);
#define PUT(var, s, n)                        \
	do {                                  \
		off[var] = storage->len;      \
		ab_buf_add(storage, (s), (n)); \
		ab_buf_addc(storage, '\0');   \
	} while (0)
	PUT(MARKER_VAR_IMPLEMENTATION_NAME, impl, strlen(impl));
	PUT(MARKER_VAR_IMPLEMENTATION_VERSION, full, strlen(full));
	PUT(MARKER_VAR_OS_NAME, !strcmp(sys, "win32") ? "nt" : "posix",
	    strlen(!strcmp(sys, "win32") ? "nt" : "posix"));
	PUT(MARKER_VAR_PLATFORM_MACHINE, t->machine ? t->machine : "",
	    t->machine ? strlen(t->machine) : 0);
	PUT(MARKER_VAR_PLATFORM_RELEASE, "", 0);
	PUT(MARKER_VAR_PLATFORM_SYSTEM, system, strlen(system));
	PUT(MARKER_VAR_PLATFORM_VERSION, "", 0);
	PUT(MARKER_VAR_PYTHON_FULL_VERSION, full, strlen(full));
	PUT(MARKER_VAR_PLATFORM_PYTHON_IMPLEMENTATION, pyimpl, strlen(pyimpl));
	PUT(MARKER_VAR_PYTHON_VERSION, full, pv);
	PUT(MARKER_VAR_SYS_PLATFORM, sys, strlen(sys));
	PUT(MARKER_VAR_EXTRA, "", 0);
#undef PUT
	for (int i = 0; i <= MARKER_VAR_EXTRA; i++)
		env->vars[i] = storage->buf + off[i];
}
