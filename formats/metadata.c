/* metadata.c - core metadata: CPython 3.11 email.feedparser (compat32) at
 * the header level, then packaging 26.x's reading of the typed fields.
 *
 * The header level follows Lib/email/feedparser.py line by line:
 * FeedParser._parsegen() (collect lines matching headerRE, stop at the
 * first that does not), _parse_headers() (continuations, envelope "From "
 * lines, ':' at column 1), compat32 header_source_parse(), and for the
 * top-level message only the Content-Type dispatch that decides
 * is_multipart() and the defects recorded on the root. */
#include "formats/metadata.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/names.h"

/* ------------------------------------------------------------------ */
/* Small string helpers                                                */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* ASCII case-insensitive equality with a literal. Python lowers with
 * str.lower(), but no non-ASCII character lowers to an ASCII string except
 * U+212A (KELVIN SIGN -> 'k'), and no name compared here has a 'k'. */
#define IEQ(s, lit) ab_str_ieq((s), AB_STR_LIT(lit))

/* Length of the UTF-8 encoded Unicode white space (str.isspace()) at p, or 0. */
static size_t uspace_at(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 0;
	unsigned char c = p[0];
	if (c < 0x80)
		return ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20)) ? 1 : 0;
	if (c == 0xc2 && n >= 2)
		return (p[1] == 0x85 || p[1] == 0xa0) ? 2 : 0;
	if (n < 3)
		return 0;
	if (c == 0xe1)
		return (p[1] == 0x9a && p[2] == 0x80) ? 3 : 0; /* U+1680 */
	if (c == 0xe2 && p[1] == 0x80)                         /* U+2000-200A, 2028, 2029, 202F */
		return (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf) &&
				       p[2] >= 0x80
			       ? 3
			       : 0;
	if (c == 0xe2 && p[1] == 0x81)
		return p[2] == 0x9f ? 3 : 0; /* U+205F */
	if (c == 0xe3 && p[1] == 0x80)
		return p[2] == 0x80 ? 3 : 0; /* U+3000 */
	return 0;
}

/* Length of the UTF-8 white space that ends at s[len], or 0. */
static size_t uspace_before(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	if (len >= 1 && p[len - 1] < 0x80)
		return uspace_at(p + len - 1, 1);
	for (size_t k = 2; k <= 3 && k <= len; k++)
		if (uspace_at(p + len - k, k) == k)
			return k;
	return 0;
}

static struct ab_str ulstrip(struct ab_str s)
{
	size_t k;
	while ((k = uspace_at((const unsigned char *)s.ptr, s.len)) > 0) {
		s.ptr += k;
		s.len -= k;
	}
	return s;
}

static struct ab_str urstrip(struct ab_str s)
{
	size_t k;
	while ((k = uspace_before(s.ptr, s.len)) > 0)
		s.len -= k;
	return s;
}

struct ab_str metadata_ustrip(struct ab_str s)
{
	if (!s.ptr)
		return s;
	return urstrip(ulstrip(s));
}

static long find_chr(struct ab_str s, size_t from, char c)
{
	for (size_t i = from; i < s.len; i++)
		if (s.ptr[i] == c)
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Defects                                                             */

static const char *const defect_names[METADATA_DEFECT__COUNT] = {
	[METADATA_DEFECT_MISSING_SEPARATOR] = "MissingHeaderBodySeparatorDefect",
	[METADATA_DEFECT_FIRST_LINE_CONTINUATION] = "FirstHeaderLineIsContinuationDefect",
	[METADATA_DEFECT_MISPLACED_ENVELOPE] = "MisplacedEnvelopeHeaderDefect",
	[METADATA_DEFECT_MISSING_HEADER_NAME] = "InvalidHeaderDefect",
	[METADATA_DEFECT_INVALID_CTE] = "InvalidMultipartContentTransferEncodingDefect",
	[METADATA_DEFECT_NO_BOUNDARY] = "NoBoundaryInMultipartDefect",
	[METADATA_DEFECT_START_BOUNDARY_NOT_FOUND] = "StartBoundaryNotFoundDefect",
	[METADATA_DEFECT_CLOSE_BOUNDARY_NOT_FOUND] = "CloseBoundaryNotFoundDefect",
	[METADATA_DEFECT_MULTIPART_INVARIANT] = "MultipartInvariantViolationDefect",
};

const char *metadata_defect_name(enum metadata_defect d)
{
	return (unsigned)d < METADATA_DEFECT__COUNT ? defect_names[d] : "?";
}

static void add_defect(struct metadata_msg *m, enum metadata_defect d, unsigned line)
{
	size_t cap = m->ndefects; /* grown one at a time: defects are rare */
	AB_GROW(m->defects, cap, m->ndefects + 1);
	m->defects[m->ndefects++] = (struct metadata_defect_at){ d, line };
	m->defect_mask |= 1u << d;
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */

/* End of the line starting at p (past its terminator). Lines end at
 * "\r\n", "\r" or "\n": io.StringIO(newline='').readlines(), which
 * BufferedSubFile uses. Its 8192-character feeding is invisible: a "\r"
 * at the end of a chunk stays partial until the next chunk arrives. */
static size_t line_end(const char *s, size_t len, size_t p)
{
	while (p < len) {
		char c = s[p++];
		if (c == '\n')
			return p;
		if (c == '\r') {
			if (p < len && s[p] == '\n')
				p++;
			return p;
		}
	}
	return p;
}

/* Length of a line without its terminator. */
static size_t chomp_len(const char *l, size_t n)
{
	if (n && l[n - 1] == '\n')
		n--;
	if (n && l[n - 1] == '\r')
		n--;
	return n;
}

/* headerRE = ^(From |[\041-\071\073-\176]*:|[\t ]) */
static bool header_re(const char *l, size_t n)
{
	if (n >= 5 && memcmp(l, "From ", 5) == 0)
		return true;
	if (n && (l[0] == ' ' || l[0] == '\t'))
		return true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if (c == ':')
			return true;
		if (c < 0x21 || c > 0x7e)
			return false;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Headers                                                             */

struct hstate {
	struct metadata_msg *m;
	size_t cap;
	bool open;            /* `lastheader` is set */
	size_t vstart, vend;  /* value so far: text[vstart, vend) */
	struct metadata_header cur;
};

static void flush(struct hstate *h, const char *text)
{
	if (!h->open)
		return;
	/* compat32 header_source_parse(): value.lstrip(' \t') of the first line
	 * (done in start) + the continuation lines, then rstrip('\r\n'). The
	 * lines are contiguous, so the value is a slice of the input. */
	size_t e = h->vend;
	while (e > h->vstart && (text[e - 1] == '\r' || text[e - 1] == '\n'))
		e--;
	h->cur.value = ab_str_make(text + h->vstart, e - h->vstart);
	AB_GROW(h->m->headers, h->cap, h->m->nheaders + 1);
	h->m->headers[h->m->nheaders++] = h->cur;
	h->open = false;
}

/* Python's unquote() from email.utils, appended to `out`. */
static void py_unquote(struct ab_str s, struct ab_buf *out)
{
	if (s.len > 1 && s.ptr[0] == '"' && s.ptr[s.len - 1] == '"') {
		/* str[1:-1].replace('\\\\', '\\').replace('\\"', '"') */
		struct ab_buf tmp = AB_BUF_INIT;
		for (size_t i = 1; i + 1 < s.len; i++) {
			if (s.ptr[i] == '\\' && i + 2 < s.len && s.ptr[i + 1] == '\\') {
				ab_buf_addc(&tmp, '\\');
				i++;
			} else {
				ab_buf_addc(&tmp, s.ptr[i]);
			}
		}
		for (size_t i = 0; i < tmp.len; i++) {
			if (tmp.buf[i] == '\\' && i + 1 < tmp.len && tmp.buf[i + 1] == '"') {
				ab_buf_addc(out, '"');
				i++;
			} else {
				ab_buf_addc(out, tmp.buf[i]);
			}
		}
		ab_buf_release(&tmp);
		return;
	}
	if (s.len > 1 && s.ptr[0] == '<' && s.ptr[s.len - 1] == '>') {
		ab_buf_add(out, s.ptr + 1, s.len - 2);
		return;
	}
	ab_buf_addstr(out, s);
}

/* Python's quote(): '\\' -> '\\\\', '"' -> '\\"'. */
static void py_quote(struct ab_str s, struct ab_buf *out)
{
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] == '\\' || s.ptr[i] == '"')
			ab_buf_addc(out, '\\');
		ab_buf_addc(out, s.ptr[i]);
	}
}

/* One parameter of _parseparam() + _get_params_preserve(). */
struct param {
	struct ab_str name; /* stripped; lowered by Python only if there was '=' */
	struct ab_str val;  /* stripped */
};

/* Message._parseparam(): split at ';' outside an odd number of '"'
 * (counting '\\"' as escaped), then the name before '=' stripped and
 * lowered, the value stripped. Returns the number of params in *outp
 * (malloc'd; the caller frees it). */
static size_t parse_params(struct ab_str v, struct param **outp)
{
	size_t n = 0, cap = 0;
	struct param *out = NULL;
	/* s = ';' + value; the loop eats one ';' at a time. */
	size_t pos = 0; /* start of s[1:] inside v; first iteration has no ';' */
	bool first = true;
	while (first || (pos < v.len && v.ptr[pos] == ';')) {
		if (!first)
			pos++;
		first = false;
		struct ab_str s = ab_str_make(v.ptr + pos, v.len - pos);
		long end = find_chr(s, 0, ';');
		while (end > 0) {
			size_t q = 0, eq = 0;
			for (long i = 0; i < end; i++) {
				if (s.ptr[i] == '"')
					q++;
				if (s.ptr[i] == '\\' && i + 1 < end && s.ptr[i + 1] == '"')
					eq++;
			}
			if ((q - eq) % 2 == 0)
				break;
			end = find_chr(s, (size_t)end + 1, ';');
		}
		if (end < 0)
			end = (long)s.len;
		struct ab_str f = ab_str_make(s.ptr, (size_t)end);
		struct param p;
		long i = find_chr(f, 0, '=');
		if (i >= 0) {
			/* f = f[:i].strip().lower() + '=' + f[i+1:].strip(); then
			 * p.split('=', 1) and both halves strip()ped again. */
			p.name = metadata_ustrip(ab_str_make(f.ptr, (size_t)i));
			p.val = metadata_ustrip(ab_str_make(f.ptr + i + 1, f.len - (size_t)i - 1));
		} else {
			p.name = metadata_ustrip(f);
			p.val = ab_str_make(f.ptr + f.len, 0);
		}
		AB_GROW(out, cap, n + 1);
		out[n++] = p;
		pos += (size_t)end;
	}
	*outp = out;
	return n;
}

/* rfc2231_continuation = ^(\w+)\*(([0-9]+)\*?)?$ for the name "boundary":
 * returns 1 for "boundary*N" (plain), 2 for an encoded segment
 * ("boundary*", "boundary*N*"), 0 otherwise. *num gets the digits. */
static int rfc2231_boundary(struct ab_str name, struct ab_str *num)
{
	if (name.len < 9 || !IEQ(ab_str_make(name.ptr, 8), "boundary") || name.ptr[8] != '*')
		return 0;
	size_t i = 9;
	while (i < name.len && name.ptr[i] >= '0' && name.ptr[i] <= '9')
		i++;
	*num = ab_str_make(name.ptr + 9, i - 9);
	if (i == name.len)
		return num->len ? 1 : 2;
	if (num->len && i + 1 == name.len && name.ptr[i] == '*')
		return 2;
	return 0;
}

static int numcmp(struct ab_str a, struct ab_str b)
{
	while (a.len > 1 && a.ptr[0] == '0')
		a = ab_str_skip(a, 1);
	while (b.len > 1 && b.ptr[0] == '0')
		b = ab_str_skip(b, 1);
	if (a.len != b.len)
		return a.len < b.len ? -1 : 1;
	return memcmp(a.ptr, b.ptr, a.len);
}

static int strcmp_view(struct ab_str a, struct ab_str b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
	if (c)
		return c;
	return a.len < b.len ? -1 : a.len > b.len;
}

/* Message.get_boundary() on the Content-Type value: get_param('boundary')
 * through decode_params() (which unquotes, then re-quotes as '"%s"'),
 * _unquotevalue(), collapse_rfc2231_value() (unquotes again), rstrip().
 * Returns false when there is no boundary parameter.
 * NEEDSWORK(#4): RFC 2231 %-encoded boundary segments ("boundary*=utf-8''x")
 * are ignored (Python decodes them with the named charset). */
static bool get_boundary(struct ab_str ctype, struct ab_buf *out)
{
	struct param *ps;
	size_t n = parse_params(ctype, &ps);
	struct ab_buf a = AB_BUF_INIT, b = AB_BUF_INIT;
	bool found = false;
	/* params[0] is kept as is by decode_params(). */
	if (n && IEQ(ps[0].name, "boundary")) {
		py_unquote(ps[0].val, &a);
		found = true;
	}
	for (size_t i = 1; i < n && !found; i++) {
		struct ab_str num;
		if (rfc2231_boundary(ps[i].name, &num) || !IEQ(ps[i].name, "boundary"))
			continue;
		/* decode_params: '"%s"' % quote(unquote(value)) */
		struct ab_buf u = AB_BUF_INIT;
		py_unquote(ps[i].val, &u);
		ab_buf_addc(&b, '"');
		py_quote(ab_buf_str(&u), &b);
		ab_buf_addc(&b, '"');
		ab_buf_release(&u);
		py_unquote(ab_buf_str(&b), &a); /* _unquotevalue() */
		found = true;
	}
	if (!found) {
		/* RFC 2231 continuations "boundary*0", "boundary*1", ... sorted by
		 * (number, value); any encoded segment: unsupported, see above. */
		size_t m = 0;
		struct ab_str *nums = ab_xcalloc(n + 1, sizeof(*nums));
		struct ab_buf *vals = ab_xcalloc(n + 1, sizeof(*vals));
		bool encoded = false;
		for (size_t i = 1; i < n; i++) {
			struct ab_str num;
			int k = rfc2231_boundary(ps[i].name, &num);
			if (!k)
				continue;
			if (k == 2)
				encoded = true;
			nums[m] = num;
			vals[m] = (struct ab_buf)AB_BUF_INIT;
			py_unquote(ps[i].val, &vals[m]);
			m++;
		}
		if (m && !encoded) {
			for (size_t i = 1; i < m; i++) /* insertion sort, stable */
				for (size_t j = i; j > 0; j--) {
					int c = numcmp(nums[j - 1], nums[j]);
					if (!c)
						c = strcmp_view(ab_buf_str(&vals[j - 1]),
								ab_buf_str(&vals[j]));
					if (c <= 0)
						break;
					struct ab_str tn = nums[j];
					nums[j] = nums[j - 1];
					nums[j - 1] = tn;
					struct ab_buf tv = vals[j];
					vals[j] = vals[j - 1];
					vals[j - 1] = tv;
				}
			struct ab_buf joined = AB_BUF_INIT;
			for (size_t i = 0; i < m; i++)
				ab_buf_addstr(&joined, ab_buf_str(&vals[i]));
			ab_buf_addc(&b, '"');
			py_quote(ab_buf_str(&joined), &b);
			ab_buf_addc(&b, '"');
			ab_buf_release(&joined);
			py_unquote(ab_buf_str(&b), &a);
			found = true;
		}
		for (size_t i = 0; i < m; i++)
			ab_buf_release(&vals[i]);
		free(nums);
		free(vals);
	}
	if (found) {
		py_unquote(ab_buf_str(&a), out); /* collapse_rfc2231_value() */
		struct ab_str r = urstrip(ab_buf_str(out));
		ab_buf_truncate(out, r.len);
	}
	ab_buf_release(&a);
	ab_buf_release(&b);
	free(ps);
	return found;
}

/* boundaryre: '--' + boundary, optional '--', [ \t]*, optional line end,
 * end of line. Returns 0 no match, 1 part boundary, 2 close boundary. */
static int boundary_match(const char *l, size_t n, struct ab_str sep)
{
	if (n < sep.len || memcmp(l, sep.ptr, sep.len) != 0)
		return 0;
	size_t i = sep.len, e = chomp_len(l, n);
	int kind = 1;
	if (e - i >= 2 && l[i] == '-' && l[i + 1] == '-') {
		i += 2;
		kind = 2;
	}
	for (size_t j = i; j < e; j++)
		if (l[j] != ' ' && l[j] != '\t')
			return 0; /* the '--' branch failing cannot succeed without it either */
	return kind;
}

/* The multipart branch of _parsegen() for the root, given its boundary.
 * Only what the root shows is computed: whether the start boundary is found
 * (the payload becomes a list), the close boundary, and the preamble that
 * becomes the payload when no start boundary is found. Nested parts stop at
 * a line matching the root's boundary (every part's BufferedSubFile EOF
 * stack holds it), so the root sees every such line after the first. */
static void parse_multipart(struct metadata_msg *m, struct ab_str body, struct ab_str boundary)
{
	struct ab_buf sepb = AB_BUF_INIT;
	ab_buf_adds(&sepb, "--");
	ab_buf_addstr(&sepb, boundary);
	struct ab_str sep = ab_buf_str(&sepb);
	const char *s = body.ptr;
	size_t len = body.len, p = 0;
	bool started = false, closed = false;
	unsigned line = m->body_line;
	while (p < len) {
		size_t e = line_end(s, len, p);
		int k = boundary_match(s + p, e - p, sep);
		if (!started) {
			if (k == 2) {
				closed = true;
				break;
			}
			if (k == 1) {
				started = true;
				continue; /* unreadline(): seen again below */
			}
			p = e;
			line++;
			continue;
		}
		/* the root loop reads a boundary line (or EOF) */
		if (k == 2) {
			closed = true;
			break;
		}
		/* a part boundary: skip repeated boundary lines of either kind,
		 * then the part runs to the next boundary line */
		p = e;
		line++;
		while (p < len) {
			e = line_end(s, len, p);
			if (!boundary_match(s + p, e - p, sep))
				break;
			p = e;
			line++;
		}
		while (p < len) {
			e = line_end(s, len, p);
			if (boundary_match(s + p, e - p, sep))
				break;
			p = e;
			line++;
		}
	}
	if (!started) {
		add_defect(m, METADATA_DEFECT_START_BOUNDARY_NOT_FOUND, line);
		m->body = ab_str_make(s, p);
	} else {
		m->is_multipart = true;
		m->body = AB_STR_NULL;
		if (!closed)
			add_defect(m, METADATA_DEFECT_CLOSE_BOUNDARY_NOT_FOUND, 0);
	}
	ab_buf_release(&sepb);
}

/* The root's Content-Type dispatch in _parsegen() and close(). */
static void parse_body(struct metadata_msg *m, struct ab_str body)
{
	m->body = body;
	const struct metadata_header *ct = metadata_msg_get(m, "content-type");
	if (!ct)
		return; /* text/plain */
	/* get_content_type(): _splitparam(value)[0].lower(), text/plain unless
	 * it has exactly one '/' */
	struct ab_str v = ct->value;
	long semi = find_chr(v, 0, ';');
	struct ab_str ctype = metadata_ustrip(ab_str_make(v.ptr, semi < 0 ? v.len : (size_t)semi));
	long slash = find_chr(ctype, 0, '/');
	if (slash < 0 || find_chr(ctype, (size_t)slash + 1, '/') >= 0)
		return;
	struct ab_str maintype = ab_str_make(ctype.ptr, (size_t)slash);
	if (IEQ(maintype, "message")) {
		/* message/delivery-status and every message type: the payload is a list of
		 * sub-messages; nothing they contain is recorded on the root */
		m->is_multipart = true;
		m->body = AB_STR_NULL;
		return;
	}
	if (!IEQ(maintype, "multipart"))
		return;
	struct ab_buf boundary = AB_BUF_INIT;
	if (!get_boundary(v, &boundary)) {
		add_defect(m, METADATA_DEFECT_NO_BOUNDARY, m->body_line);
	} else {
		const struct metadata_header *cte =
			metadata_msg_get(m, "content-transfer-encoding");
		if (cte && !IEQ(cte->value, "7bit") && !IEQ(cte->value, "8bit") &&
		    !IEQ(cte->value, "binary"))
			add_defect(m, METADATA_DEFECT_INVALID_CTE, cte->line);
		parse_multipart(m, body, ab_buf_str(&boundary));
	}
	ab_buf_release(&boundary);
	if (!m->is_multipart)
		add_defect(m, METADATA_DEFECT_MULTIPART_INVARIANT, 0);
}

void metadata_msg_parse(struct ab_str text, struct metadata_msg *out)
{
	*out = (struct metadata_msg)METADATA_MSG_INIT;
	const char *s = text.ptr ? text.ptr : "";
	size_t len = text.ptr ? text.len : 0;

	/* _parsegen(): header lines are those matching headerRE; the first
	 * that does not ends them: a blank line is dropped, anything else is
	 * a MissingHeaderBodySeparatorDefect and starts the body. */
	size_t p = 0, hend, nlines = 0;
	unsigned line = 1;
	while (p < len) {
		size_t e = line_end(s, len, p);
		if (!header_re(s + p, e - p))
			break;
		p = e;
		nlines++;
		line++;
	}
	hend = p;
	size_t body_start = p;
	unsigned body_line = line;
	if (p < len) {
		if (s[p] == '\r' || s[p] == '\n') {
			body_start = line_end(s, len, p);
			body_line = line + 1;
		} else {
			add_defect(out, METADATA_DEFECT_MISSING_SEPARATOR, line);
		}
	}

	/* _parse_headers() */
	struct hstate h = { out, 0, false, 0, 0, { { NULL, 0 }, { NULL, 0 }, 0, 0 } };
	size_t pushed_from = 0, pushed_len = 0; /* a "From " line pushed back to the body */
	bool pushed = false;
	p = 0;
	line = 1;
	for (size_t lineno = 0; p < hend; lineno++, line++) {
		size_t e = line_end(s, len, p);
		const char *l = s + p;
		size_t n = e - p;
		size_t lp = p;
		p = e;
		if (l[0] == ' ' || l[0] == '\t') {
			if (!h.open) {
				add_defect(out, METADATA_DEFECT_FIRST_LINE_CONTINUATION, line);
				continue;
			}
			h.vend = e;
			continue;
		}
		flush(&h, s);
		if (n >= 5 && memcmp(l, "From ", 5) == 0) {
			if (lineno == 0) {
				out->unixfrom = ab_str_make(l, chomp_len(l, n));
				continue;
			}
			if (lineno == nlines - 1) {
				/* "probably the first line of the body": unreadline() */
				pushed = true;
				pushed_from = lp;
				pushed_len = n;
				body_line = line;
				break;
			}
			add_defect(out, METADATA_DEFECT_MISPLACED_ENVELOPE, line);
			continue;
		}
		size_t i = 0;
		while (l[i] != ':')
			i++; /* headerRE guarantees a ':' */
		if (i == 0) {
			add_defect(out, METADATA_DEFECT_MISSING_HEADER_NAME, line);
			continue;
		}
		h.open = true;
		h.cur.name = ab_str_make(l, i);
		h.cur.line = line;
		size_t v = lp + i + 1;
		while (v < e && (s[v] == ' ' || s[v] == '\t'))
			v++;
		h.cur.col = (unsigned)(v - lp + 1);
		h.vstart = v;
		h.vend = e;
	}
	flush(&h, s);

	out->body_line = body_line;
	struct ab_str body = ab_str_make(s + body_start, len - body_start);
	if (pushed) {
		out->owned = ab_xmalloc(pushed_len + body.len + 1);
		memcpy(out->owned, s + pushed_from, pushed_len);
		if (body.len)
			memcpy(out->owned + pushed_len, body.ptr, body.len);
		out->owned[pushed_len + body.len] = '\0';
		body = ab_str_make(out->owned, pushed_len + body.len);
	}
	parse_body(out, body);
}

void metadata_msg_release(struct metadata_msg *m)
{
	free(m->headers);
	free(m->defects);
	free(m->owned);
	*m = (struct metadata_msg)METADATA_MSG_INIT;
}

const struct metadata_header *metadata_msg_get(const struct metadata_msg *m, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < m->nheaders; i++) {
		struct ab_str hn = m->headers[i].name;
		if (hn.len != n)
			continue;
		size_t j = 0;
		while (j < n && lower(hn.ptr[j]) == lower(name[j]))
			j++;
		if (j == n)
			return &m->headers[i];
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Typed fields                                                        */

enum field {
	F_UNKNOWN,
	F_METADATA_VERSION,
	F_NAME,
	F_VERSION,
	F_SUMMARY,
	F_DESCRIPTION,
	F_DESCRIPTION_CONTENT_TYPE,
	F_KEYWORDS,
	F_HOME_PAGE,
	F_DOWNLOAD_URL,
	F_AUTHOR,
	F_AUTHOR_EMAIL,
	F_MAINTAINER,
	F_MAINTAINER_EMAIL,
	F_LICENSE,
	F_LICENSE_EXPRESSION,
	F_REQUIRES_PYTHON,
	F_DYNAMIC,
	F_PLATFORM,
	F_SUPPORTED_PLATFORM,
	F_CLASSIFIER,
	F_PROJECT_URL,
	F_LICENSE_FILE,
	F_REQUIRES_EXTERNAL,
	F_REQUIRES,
	F_PROVIDES,
	F_OBSOLETES,
	F_REQUIRES_DIST,
	F_PROVIDES_DIST,
	F_OBSOLETES_DIST,
	F_PROVIDES_EXTRA,
	F__COUNT
};

/* Field names as the core metadata specification spells them (used in
 * messages); matched ASCII case-insensitively, as packaging lowercases
 * every header name. */
static const struct {
	const char *name;
	size_t len;
} field_names[F__COUNT] = {
#define F(e, s) [e] = { s, sizeof(s) - 1 }
	F(F_UNKNOWN, ""),
	F(F_METADATA_VERSION, "Metadata-Version"),
	F(F_NAME, "Name"),
	F(F_VERSION, "Version"),
	F(F_SUMMARY, "Summary"),
	F(F_DESCRIPTION, "Description"),
	F(F_DESCRIPTION_CONTENT_TYPE, "Description-Content-Type"),
	F(F_KEYWORDS, "Keywords"),
	F(F_HOME_PAGE, "Home-page"),
	F(F_DOWNLOAD_URL, "Download-URL"),
	F(F_AUTHOR, "Author"),
	F(F_AUTHOR_EMAIL, "Author-email"),
	F(F_MAINTAINER, "Maintainer"),
	F(F_MAINTAINER_EMAIL, "Maintainer-email"),
	F(F_LICENSE, "License"),
	F(F_LICENSE_EXPRESSION, "License-Expression"),
	F(F_REQUIRES_PYTHON, "Requires-Python"),
	F(F_DYNAMIC, "Dynamic"),
	F(F_PLATFORM, "Platform"),
	F(F_SUPPORTED_PLATFORM, "Supported-Platform"),
	F(F_CLASSIFIER, "Classifier"),
	F(F_PROJECT_URL, "Project-URL"),
	F(F_LICENSE_FILE, "License-File"),
	F(F_REQUIRES_EXTERNAL, "Requires-External"),
	F(F_REQUIRES, "Requires"),
	F(F_PROVIDES, "Provides"),
	F(F_OBSOLETES, "Obsoletes"),
	F(F_REQUIRES_DIST, "Requires-Dist"),
	F(F_PROVIDES_DIST, "Provides-Dist"),
	F(F_OBSOLETES_DIST, "Obsoletes-Dist"),
	F(F_PROVIDES_EXTRA, "Provides-Extra"),
#undef F
};

static enum field field_of(struct ab_str name)
{
	for (int f = 1; f < F__COUNT; f++) {
		if (field_names[f].len != name.len)
			continue;
		const char *s = field_names[f].name;
		size_t i = 0;
		while (i < name.len && lower(name.ptr[i]) == lower(s[i]))
			i++;
		if (i == name.len)
			return (enum field)f;
	}
	return F_UNKNOWN;
}

static struct ab_str *single_slot(struct metadata *md, enum field f)
{
	switch (f) {
	case F_METADATA_VERSION: return &md->metadata_version;
	case F_NAME: return &md->name;
	case F_VERSION: return &md->version_raw;
	case F_SUMMARY: return &md->summary;
	case F_DESCRIPTION: return &md->description;
	case F_DESCRIPTION_CONTENT_TYPE: return &md->description_content_type;
	case F_KEYWORDS: return &md->keywords;
	case F_HOME_PAGE: return &md->home_page;
	case F_DOWNLOAD_URL: return &md->download_url;
	case F_AUTHOR: return &md->author;
	case F_AUTHOR_EMAIL: return &md->author_email;
	case F_MAINTAINER: return &md->maintainer;
	case F_MAINTAINER_EMAIL: return &md->maintainer_email;
	case F_LICENSE: return &md->license;
	case F_LICENSE_EXPRESSION: return &md->license_expression;
	case F_REQUIRES_PYTHON: return &md->requires_python_raw;
	default: return NULL;
	}
}

static struct metadata_list *list_slot(struct metadata *md, enum field f)
{
	switch (f) {
	case F_DYNAMIC: return &md->dynamic;
	case F_PLATFORM: return &md->platform;
	case F_SUPPORTED_PLATFORM: return &md->supported_platform;
	case F_CLASSIFIER: return &md->classifier;
	case F_PROJECT_URL: return &md->project_url;
	case F_LICENSE_FILE: return &md->license_file;
	case F_REQUIRES_EXTERNAL: return &md->requires_external;
	case F_REQUIRES: return &md->requires;
	case F_PROVIDES: return &md->provides;
	case F_OBSOLETES: return &md->obsoletes;
	default: return NULL;
	}
}

static struct metadata_reqs *reqs_slot(struct metadata *md, enum field f)
{
	switch (f) {
	case F_REQUIRES_DIST: return &md->requires_dist;
	case F_PROVIDES_DIST: return &md->provides_dist;
	case F_OBSOLETES_DIST: return &md->obsoletes_dist;
	default: return NULL;
	}
}

/* Where byte `off` (0-based) of a header's value sits in the file: values
 * may be folded over several lines. */
static struct ab_loc value_loc(const char *file, const struct metadata_header *h, size_t off)
{
	struct ab_loc loc = { file, h->line, h->col };
	const char *v = h->value.ptr;
	if (off > h->value.len)
		off = h->value.len;
	for (size_t i = 0; i < off; i++) {
		if (v[i] == '\n' || (v[i] == '\r' && !(i + 1 < off && v[i + 1] == '\n'))) {
			loc.line++;
			loc.col = 1;
		} else if (v[i] != '\r') {
			loc.col++;
		}
	}
	return loc;
}

/* Re-raise an error of a value parser (`sub`, col 1-based into the value)
 * at its place in the file. */
static int value_error(struct ab_err *err, const char *file, const struct metadata_header *h,
		       enum field f, struct ab_err *sub)
{
	struct ab_loc loc = value_loc(file, h, sub->col ? sub->col - 1 : 0);
	return ab_err_at(err, AB_E_PARSE, &loc, "invalid '%s': %s", field_names[f].name,
			 sub->msg.buf);
}

/* "N.N" (digits) -> major, minor. */
static bool parse_mv(struct ab_str s, unsigned *major, unsigned *minor)
{
	size_t i = 0;
	unsigned a = 0, b = 0;
	if (!s.len || s.ptr[0] < '0' || s.ptr[0] > '9')
		return false;
	while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9' && a < 100000)
		a = a * 10 + (unsigned)(s.ptr[i++] - '0');
	if (i >= s.len || s.ptr[i] != '.')
		return false;
	size_t j = ++i;
	while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9' && b < 100000)
		b = b * 10 + (unsigned)(s.ptr[i++] - '0');
	if (i == j || i != s.len)
		return false;
	*major = a;
	*minor = b;
	return true;
}

static void list_push(struct metadata_list *l, size_t *cap, struct ab_str v)
{
	AB_GROW(l->items, *cap, l->n + 1);
	l->items[l->n++] = v;
}

int metadata_parse(struct ab_str text, unsigned flags, const char *file, struct metadata *out,
		   struct ab_err *err)
{
	bool strict = flags & METADATA_STRICT;
	struct ab_err sub = AB_ERR_INIT;
	struct ab_buf strings = AB_BUF_INIT;
	size_t caps[F__COUNT] = { 0 };
	const struct metadata_header *first[F__COUNT] = { NULL };
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->requires_python = (struct pep440_specset)PEP440_SPECSET_INIT;
	out->text = ab_xmalloc(text.len + 1);
	if (text.len)
		memcpy(out->text, text.ptr, text.len);
	out->text[text.len] = '\0';
	metadata_msg_parse(ab_str_make(out->text, text.len), &out->msg);

	const struct metadata_msg *m = &out->msg;
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct metadata_header *h = &m->headers[i];
		enum field f = field_of(h->name);
		if (f == F_UNKNOWN)
			continue;
		struct ab_str *one = single_slot(out, f);
		if (one) {
			/* packaging moves a repeated single-use field to "unparsed"; the
			 * fields appbuild trusts must not be ambiguous */
			if (first[f]) {
				if (strict && (f == F_METADATA_VERSION || f == F_NAME ||
					       f == F_VERSION || f == F_REQUIRES_PYTHON)) {
					struct ab_loc loc = { file, h->line, 1 };
					r = ab_err_at(err, AB_E_PARSE, &loc,
						      "duplicate '%s' field (first at line %u)",
						      field_names[f].name, first[f]->line);
					goto out;
				}
				continue;
			}
			first[f] = h;
			*one = h->value;
			continue;
		}
		struct metadata_list *l = list_slot(out, f);
		if (l) {
			list_push(l, &caps[f], h->value);
			continue;
		}
		struct metadata_reqs *rq = reqs_slot(out, f);
		if (rq) {
			AB_GROW(rq->items, caps[f], rq->n + 1);
			struct metadata_req *e = &rq->items[rq->n++];
			*e = (struct metadata_req){ h->value, h->line, false, PEP508_REQ_INIT };
			if (flags & METADATA_SKIP_REQS)
				continue;
			ab_err_clear(&sub);
			if (pep508_parse(h->value, &e->req, &sub) < 0) {
				pep508_release(&e->req);
				e->req = (struct pep508_req)PEP508_REQ_INIT;
				/* Provides-Dist / Obsoletes-Dist are informational (and
				 * PEP 345's own examples are not PEP 508); Requires-Dist
				 * only with METADATA_STRICT_REQS, see metadata.h */
				if ((flags & METADATA_STRICT_REQS) && f == F_REQUIRES_DIST) {
					r = value_error(err, file, h, f, &sub);
					goto out;
				}
				continue;
			}
			e->valid = true;
			continue;
		}
		if (f == F_PROVIDES_EXTRA) {
			AB_GROW(out->provides_extra, caps[f], out->nprovides_extra + 1);
			struct metadata_extra *x = &out->provides_extra[out->nprovides_extra++];
			x->raw = h->value;
			/* offset into `strings`, turned into a pointer at the end */
			x->canonical = (const char *)(uintptr_t)strings.len;
			name_canonicalize(h->value, &strings);
			ab_buf_addc(&strings, '\0');
			x->valid = name_is_valid(h->value);
		}
	}

	/* Description: packaging takes the body when it is non-empty (both a
	 * header and a body: ambiguous, packaging refuses; we prefer the body) */
	if (m->body.ptr && m->body.len)
		out->description = m->body;

	if (first[F_METADATA_VERSION]) {
		const struct metadata_header *h = first[F_METADATA_VERSION];
		bool ok = parse_mv(metadata_ustrip(h->value), &out->mv_major, &out->mv_minor);
		if (strict && !ok) {
			struct ab_loc loc = { file, h->line, h->col };
			r = ab_err_at(err, AB_E_PARSE, &loc, "invalid 'Metadata-Version' '%.*s'",
				      AB_STR_ARG(h->value));
			goto out;
		}
		if (strict && out->mv_major != 1 && out->mv_major != 2) {
			struct ab_loc loc = { file, h->line, h->col };
			r = ab_err_at(err, AB_E_PARSE, &loc, "unsupported 'Metadata-Version' '%.*s'",
				      AB_STR_ARG(h->value));
			goto out;
		}
	} else if (strict) {
		struct ab_loc loc = { file, 0, 0 };
		r = ab_err_at(err, AB_E_PARSE, &loc, "missing 'Metadata-Version' field");
		goto out;
	}

	size_t name_off = 0;
	if (first[F_NAME]) {
		const struct metadata_header *h = first[F_NAME];
		out->name = metadata_ustrip(h->value);
		if (strict && !name_is_valid(out->name)) {
			struct ab_loc loc = { file, h->line, h->col };
			r = ab_err_at(err, AB_E_PARSE, &loc, "invalid 'Name' '%.*s'",
				      AB_STR_ARG(h->value));
			goto out;
		}
		name_off = strings.len;
		name_canonicalize(out->name, &strings);
		ab_buf_addc(&strings, '\0');
	} else if (strict) {
		struct ab_loc loc = { file, 0, 0 };
		r = ab_err_at(err, AB_E_PARSE, &loc, "missing 'Name' field");
		goto out;
	}

	if (first[F_VERSION]) {
		const struct metadata_header *h = first[F_VERSION];
		ab_err_clear(&sub);
		if (pep440_version_parse(h->value, &out->version, &sub) < 0) {
			out->version = NULL;
			if (strict) {
				r = value_error(err, file, h, F_VERSION, &sub);
				goto out;
			}
		}
	} else if (strict) {
		struct ab_loc loc = { file, 0, 0 };
		r = ab_err_at(err, AB_E_PARSE, &loc, "missing 'Version' field");
		goto out;
	}

	if (first[F_REQUIRES_PYTHON]) {
		const struct metadata_header *h = first[F_REQUIRES_PYTHON];
		ab_err_clear(&sub);
		if (pep440_specset_parse(h->value, &out->requires_python, &sub) < 0) {
			pep440_specset_release(&out->requires_python);
			out->requires_python = (struct pep440_specset)PEP440_SPECSET_INIT;
			if (strict) {
				r = value_error(err, file, h, F_REQUIRES_PYTHON, &sub);
				goto out;
			}
		} else {
			out->requires_python_valid = true;
		}
	}

	/* the canonical strings, now that `strings` no longer moves */
	out->strings = ab_buf_detach(&strings);
	if (first[F_NAME])
		out->name_canonical = out->strings + name_off;
	for (size_t i = 0; i < out->nprovides_extra; i++)
		out->provides_extra[i].canonical =
			out->strings + (size_t)(uintptr_t)out->provides_extra[i].canonical;
out:
	ab_buf_release(&strings);
	ab_err_release(&sub);
	if (r < 0) {
		/* the canonical pointers are still offsets: drop them first */
		for (size_t i = 0; i < out->nprovides_extra; i++)
			out->provides_extra[i].canonical = NULL;
		metadata_release(out);
	}
	return r;
}

int metadata_req_error(const struct metadata *md, const struct metadata_req *r, const char *file,
		       struct ab_err *err)
{
	if (r->valid)
		return 0;
	const struct metadata_header *h = NULL;
	for (size_t i = 0; i < md->msg.nheaders && !h; i++)
		if (md->msg.headers[i].value.ptr == r->raw.ptr)
			h = &md->msg.headers[i];
	if (!h) {
		struct ab_loc loc = { file, r->line, 0 };
		return ab_err_at(err, AB_E_PARSE, &loc, "invalid requirement '%.*s'",
				 AB_STR_ARG(r->raw));
	}
	struct pep508_req tmp = PEP508_REQ_INIT;
	struct ab_err sub = AB_ERR_INIT;
	int rc = pep508_parse(r->raw, &tmp, &sub);
	pep508_release(&tmp);
	if (rc < 0)
		rc = value_error(err, file, h, field_of(h->name), &sub);
	ab_err_release(&sub);
	return rc < 0 ? rc : 0;
}

static void reqs_release(struct metadata_reqs *rq)
{
	for (size_t i = 0; i < rq->n; i++)
		pep508_release(&rq->items[i].req);
	free(rq->items);
}

void metadata_release(struct metadata *md)
{
	metadata_msg_release(&md->msg);
	free(md->text);
	pep440_version_free(md->version);
	pep440_specset_release(&md->requires_python);
	struct metadata_list *lists[] = {
		&md->dynamic,     &md->platform,          &md->supported_platform,
		&md->classifier,  &md->project_url,       &md->license_file,
		&md->requires_external, &md->requires,    &md->provides,
		&md->obsoletes,
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(lists); i++)
		free(lists[i]->items);
	reqs_release(&md->requires_dist);
	reqs_release(&md->provides_dist);
	reqs_release(&md->obsoletes_dist);
	free(md->provides_extra);
	free(md->strings);
	memset(md, 0, sizeof(*md));
	md->requires_python = (struct pep440_specset)PEP440_SPECSET_INIT;
}
