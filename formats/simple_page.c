/* simple_page.c - shared pieces of the PEP 503 / PEP 691 page parsers. */
#include "formats/simple_page.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/lazy/lazy.h"

void simple_page_release(struct simple_page *p)
{
	free(p->files);
	ab_arena_release(&p->arena);
	p->files = NULL;
	p->nfiles = p->cap = 0;
	p->name = p->api_version = NULL;
}

void simple_index_release(struct simple_index *ix)
{
	free(ix->projects);
	ab_arena_release(&ix->arena);
	ix->projects = NULL;
	ix->nprojects = ix->cap = 0;
	ix->api_version = NULL;
}

struct simple_file *simple_page_add(struct simple_page *p)
{
	AB_GROW(p->files, p->cap, p->nfiles + 1);
	struct simple_file *f = &p->files[p->nfiles++];
	memset(f, 0, sizeof(*f));
	f->size = -1;
	return f;
}

struct simple_project *simple_index_add(struct simple_index *ix)
{
	AB_GROW(ix->projects, ix->cap, ix->nprojects + 1);
	struct simple_project *pr = &ix->projects[ix->nprojects++];
	memset(pr, 0, sizeof(*pr));
	return pr;
}

const char *simple_file_hash(const struct simple_file *f, const char *algo)
{
	for (size_t i = 0; i < f->nhashes; i++)
		if (!strcmp(f->hashes[i].algo, algo))
			return f->hashes[i].hex;
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte lowercased, or 0 where a hash name (letters, digits, '_', '-')
 * cannot hold it. */
static const unsigned char name_lower[256] = {
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5', ['6'] = '6',
	['7'] = '7', ['8'] = '8', ['9'] = '9', ['_'] = '_', ['-'] = '-',
	['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g',
	['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
	['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u',
	['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z',
	['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g',
	['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n',
	['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u',
	['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
};

/* The same for hex digits. */
static const unsigned char hex_lower[256] = {
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5', ['6'] = '6',
	['7'] = '7', ['8'] = '8', ['9'] = '9', ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd',
	['e'] = 'e', ['f'] = 'f', ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
	['F'] = 'f',
};

bool simple_hash_parse(struct ab_arena *a, struct ab_str s, struct simple_hash *h)
{
	long eq = ab_str_chr(s, '=');
	if (eq <= 0 || (size_t)eq + 1 >= s.len)
		return false;
	/* checked and lowercased in one pass over one copy: pages carry two or
	 * three of these per file, a page scan's hot spot */
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t al = (size_t)eq;
	char *out = ab_arena_alloc(a, s.len + 1);
	for (size_t i = 0; i < al; i++)
		if (!(out[i] = (char)name_lower[p[i]]))
			return false; /* the arena block is simply not used */
	out[al] = '\0';
	for (size_t i = al + 1; i < s.len; i++)
		if (!(out[i] = (char)hex_lower[p[i]]))
			return false;
	out[s.len] = '\0';
	h->algo = out;
	h->hex = out + al + 1;
	return true;
}

const char *simple_url_resolve_curl(struct ab_arena *a, const char *base, struct ab_str ref,
				    bool keep_fragment, struct ab_err *err)
{
	const char *res = NULL;
	char *out = NULL;
	if (!base) {
		ab_err_set(err, AB_E_PARSE, "no base URL");
		return NULL;
	}
	char *refz = ab_str_dup(ref);
	CURLU *u = curl_url();
	if (!u) {
		const char *why = lazy_error(LAZY_CURL);
		ab_err_set(err, AB_E_INTERNAL, "%s", why ? why : "out of memory");
		goto out;
	}
	/* NON_SUPPORT_SCHEME: resolve any scheme, the fetcher decides what it
	 * can download. A relative reference is resolved against the URL
	 * already in the handle (RFC 3986 section 5.2, libcurl's redirect code). */
	unsigned flags = CURLU_NON_SUPPORT_SCHEME;
	CURLUcode rc = curl_url_set(u, CURLUPART_URL, base, flags);
	if (rc) {
		ab_err_set(err, AB_E_PARSE, "invalid base URL '%s': %s", base,
			   curl_url_strerror(rc));
		goto out;
	}
	/* libcurl 7.88 resolves "" and "#frag" to the base's directory; RFC
	 * 3986 5.2.2 keeps the whole base (path and query), new fragment */
	if (ref.len == 0 || ref.ptr[0] == '#')
		rc = curl_url_set(u, CURLUPART_FRAGMENT, ref.len > 1 ? refz + 1 : NULL, 0);
	else
		rc = curl_url_set(u, CURLUPART_URL, refz, flags);
	if (rc) {
		ab_err_set(err, AB_E_PARSE, "invalid URL '%s': %s", refz, curl_url_strerror(rc));
		goto out;
	}
	if (!keep_fragment)
		curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	rc = curl_url_get(u, CURLUPART_URL, &out, 0);
	if (rc) {
		ab_err_set(err, AB_E_PARSE, "invalid URL '%s': %s", refz, curl_url_strerror(rc));
		goto out;
	}
	res = ab_arena_strdup(a, out);
out:
	curl_free(out);
	curl_url_cleanup(u);
	free(refz);
	return res;
}

/* The fast path below handles the shapes index pages use ("../../files/x.whl#sha256=..",
 * "https://host/x.whl") without libcurl, and only where its answer is provably libcurl's:
 * every URL it accepts is already in the form libcurl's parser would print (lowercase
 * http/https/file scheme, lowercase host name or dotted quad, no default port, only
 * RFC 3986 pchar bytes and %XX, no empty query or fragment), so the RFC 3986 5.2
 * merge and 5.2.4 dot-segment removal give the same bytes libcurl's redirect code does.
 * Anything else (user info, IPv6, '?' in a relative reference, dot segments in an
 * absolute URL, ...) returns NULL and goes to libcurl. */
struct url_parts {
	size_t auth_end; /* end of "scheme://authority" */
	size_t path_end; /* end of the path (path starts at auth_end; may be empty) */
	size_t query_end; /* end of "?query" (starts at path_end) */
	size_t len;	  /* end of "#fragment" (starts at query_end) */
};

/* RFC 3986 pchar minus pct-encoded (unreserved / sub-delims / ":" / "@")
 * and "/" are 3: allowed in a path, a query and a fragment; "?" is 2: in a
 * query or fragment only. A table, as every byte of every link of every
 * page goes through it. */
static const unsigned char url_table[256] = {
	['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3, ['e'] = 3, ['f'] = 3, ['g'] = 3, ['h'] = 3,
	['i'] = 3, ['j'] = 3, ['k'] = 3, ['l'] = 3, ['m'] = 3, ['n'] = 3, ['o'] = 3, ['p'] = 3,
	['q'] = 3, ['r'] = 3, ['s'] = 3, ['t'] = 3, ['u'] = 3, ['v'] = 3, ['w'] = 3, ['x'] = 3,
	['y'] = 3, ['z'] = 3, ['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3,
	['G'] = 3, ['H'] = 3, ['I'] = 3, ['J'] = 3, ['K'] = 3, ['L'] = 3, ['M'] = 3, ['N'] = 3,
	['O'] = 3, ['P'] = 3, ['Q'] = 3, ['R'] = 3, ['S'] = 3, ['T'] = 3, ['U'] = 3, ['V'] = 3,
	['W'] = 3, ['X'] = 3, ['Y'] = 3, ['Z'] = 3, ['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3,
	['4'] = 3, ['5'] = 3, ['6'] = 3, ['7'] = 3, ['8'] = 3, ['9'] = 3, ['-'] = 3, ['.'] = 3,
	['_'] = 3, ['~'] = 3, ['!'] = 3, ['$'] = 3, ['&'] = 3, ['\''] = 3, ['('] = 3,
	[')'] = 3, ['*'] = 3, ['+'] = 3, [','] = 3, [';'] = 3, ['='] = 3, [':'] = 3, ['@'] = 3,
	['/'] = 3, ['?'] = 2,
};

/* Scans bytes allowed in a path ("/" too) or, with `qf`, in a query or fragment
 * ("/" and "?"); stops at the first other byte. Returns the stop index, or
 * (size_t)-1 on a '%' not followed by two hex digits. */
static size_t scan_chars(const char *s, size_t i, size_t n, bool qf)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char m = qf ? 2 : 1;
	for (;;) {
		while (i < n && (url_table[p[i]] & m))
			i++;
		if (i == n || p[i] != '%')
			return i;
		if (i + 2 >= n || hexval(p[i + 1]) < 0 || hexval(p[i + 2]) < 0)
			return (size_t)-1;
		i += 3;
	}
}

/* True when path s[b, e) has a "." or ".." segment. */
static bool has_dot_segment(const char *s, size_t b, size_t e)
{
	for (size_t i = b; i < e; i++) {
		if (s[i] != '.' || (i > b && s[i - 1] != '/'))
			continue;
		size_t k = i + (i + 1 < e && s[i + 1] == '.' ? 2 : 1);
		if (k == e || s[k] == '/')
			return true;
	}
	return false;
}

static bool host_ok(const char *h, size_t n)
{
	if (n == 0)
		return false;
	if (h[0] >= '0' && h[0] <= '9') {
		/* libcurl may normalize numeric IPv4 forms: accept only a canonical dotted quad */
		size_t i = 0;
		for (int part = 0; part < 4; part++) {
			if (part && (i >= n || h[i++] != '.'))
				return false;
			size_t d0 = i;
			unsigned v = 0;
			while (i < n && h[i] >= '0' && h[i] <= '9' && i - d0 < 4)
				v = v * 10 + (unsigned)(h[i++] - '0');
			if (i == d0 || i - d0 > 3 || v > 255 || (h[d0] == '0' && i - d0 > 1))
				return false;
		}
		return i == n;
	}
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= '0' && h[i] <= '9') || h[i] == '-' ||
		      h[i] == '.'))
			return false;
	return true;
}

static bool port_ok(const char *p, size_t n, bool https)
{
	if (n == 0 || n > 5 || p[0] == '0')
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v <= 65535 && v != (https ? 443u : 80u);
}

/* Splits an absolute URL of the canonical shape described above. */
static bool parse_abs(const char *s, size_t n, struct url_parts *u)
{
	size_t i;
	int kind; /* 0 http, 1 https, 2 file */
	if (n >= 7 && !memcmp(s, "http://", 7)) {
		i = 7;
		kind = 0;
	} else if (n >= 8 && !memcmp(s, "https://", 8)) {
		i = 8;
		kind = 1;
	} else if (n >= 7 && !memcmp(s, "file://", 7)) {
		i = 7;
		kind = 2;
	} else {
		return false;
	}
	size_t h0 = i;
	while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
		i++;
	if (kind == 2) {
		if (i != h0 || i == n || s[i] != '/')
			return false; /* file://host/ and file:// without a path: libcurl's rules */
	} else {
		const char *colon = memchr(s + h0, ':', i - h0);
		size_t hl = colon ? (size_t)(colon - (s + h0)) : i - h0;
		if (!host_ok(s + h0, hl) ||
		    (colon && !port_ok(colon + 1, i - h0 - hl - 1, kind == 1)))
			return false;
	}
	u->auth_end = i;
	i = scan_chars(s, i, n, false);
	if (i == (size_t)-1 || has_dot_segment(s, u->auth_end, i))
		return false;
	u->path_end = i;
	if (i < n && s[i] == '?') {
		i = scan_chars(s, i + 1, n, true);
		if (i == (size_t)-1 || i == u->path_end + 1)
			return false;
	}
	u->query_end = i;
	if (i < n && s[i] == '#') {
		i = scan_chars(s, i + 1, n, true);
		if (i == (size_t)-1 || i == u->query_end + 1)
			return false;
	}
	u->len = i;
	return i == n;
}

/* RFC 3986 5.2.4 on the absolute path p[0, n) in place (the output never
 * overtakes the input). Returns the new length. */
static size_t remove_dot_segments(char *p, size_t n)
{
	size_t r = 0, w = 0;
	while (r < n) {
		/* p[r] == '/': the segment is p[r + 1, e) */
		size_t e = r + 1;
		while (e < n && p[e] != '/')
			e++;
		size_t sl = e - r - 1;
		bool last = e == n;
		if (sl == 1 && p[r + 1] == '.') {
			if (last)
				p[w++] = '/';
		} else if (sl == 2 && p[r + 1] == '.' && p[r + 2] == '.') {
			while (w > 0 && p[w - 1] != '/')
				w--;
			if (w > 0)
				w--;
			if (last)
				p[w++] = '/';
		} else {
			memmove(p + w, p + r, e - r);
			w += e - r;
		}
		r = e;
	}
	return w;
}

const char *simple_url_resolve_fast(struct ab_arena *a, const char *base, struct ab_str ref,
				    bool keep_fragment)
{
	struct url_parts u;
	if (!ref.len || ref.ptr[0] == '#' || memchr(ref.ptr, '\0', ref.len))
		return NULL;
	if (parse_abs(ref.ptr, ref.len, &u)) {
		size_t n = keep_fragment ? u.len : u.query_end;
		bool slash = u.path_end == u.auth_end; /* libcurl prints "http://h/" */
		char *r = ab_arena_alloc(a, n + 2);
		memcpy(r, ref.ptr, u.auth_end);
		size_t w = u.auth_end;
		if (slash)
			r[w++] = '/';
		memcpy(r + w, ref.ptr + u.auth_end, n - u.auth_end);
		r[w + n - u.auth_end] = '\0';
		return r;
	}
	/* a relative path reference: no scheme (no ':' before the first '/'), no
	 * "//" authority, no query, at most a non-empty fragment */
	if (ref.len >= 2 && ref.ptr[0] == '/' && ref.ptr[1] == '/')
		return NULL;
	size_t pe = scan_chars(ref.ptr, 0, ref.len, false);
	if (pe == (size_t)-1 || pe == 0)
		return NULL;
	const char *slash = memchr(ref.ptr, '/', pe);
	if (memchr(ref.ptr, ':', slash ? (size_t)(slash - ref.ptr) : pe))
		return NULL;
	size_t fe = pe;
	if (pe < ref.len) {
		if (ref.ptr[pe] != '#')
			return NULL;
		fe = scan_chars(ref.ptr, pe + 1, ref.len, true);
		if (fe != ref.len || fe == pe + 1)
			return NULL;
	}
	size_t bl = strlen(base);
	struct url_parts b;
	if (!parse_abs(base, bl, &b) || b.query_end != b.len)
		return NULL; /* libcurl cuts a base at its last '/', even one in the fragment */
	/* RFC 3986 5.2.2/5.2.3: the base's directory (or "/" for an empty base
	 * path) plus the reference's path, then its dot segments removed */
	size_t dir_end = b.auth_end;
	for (size_t i = b.auth_end; i < b.path_end; i++)
		if (base[i] == '/')
			dir_end = i + 1;
	char *r = ab_arena_alloc(a, dir_end + 1 + ref.len + 1);
	size_t w;
	if (ref.ptr[0] == '/') {
		memcpy(r, base, b.auth_end);
		w = b.auth_end;
	} else {
		memcpy(r, base, dir_end);
		w = dir_end;
		if (dir_end == b.auth_end)
			r[w++] = '/';
	}
	memcpy(r + w, ref.ptr, pe);
	w = b.auth_end + remove_dot_segments(r + b.auth_end, w + pe - b.auth_end);
	if (keep_fragment) {
		memcpy(r + w, ref.ptr + pe, fe - pe);
		w += fe - pe;
	}
	r[w] = '\0';
	return r;
}

const char *simple_url_resolve(struct ab_arena *a, const char *base, struct ab_str ref,
			       bool keep_fragment, struct ab_err *err)
{
	const char *r = base ? simple_url_resolve_fast(a, base, ref, keep_fragment) : NULL;
	return r ? r : simple_url_resolve_curl(a, base, ref, keep_fragment, err);
}

const char *simple_url_resolve_memo(struct ab_arena *a, struct simple_url_memo *m,
				    const char *base, struct ab_str ref, bool keep_fragment,
				    struct ab_err *err)
{
	/* the path part ends at '?' or '#'; its last '/' ends the prefix */
	size_t pe = 0;
	while (pe < ref.len && ref.ptr[pe] != '?' && ref.ptr[pe] != '#')
		pe++;
	size_t sl = pe;
	while (sl > 0 && ref.ptr[sl - 1] != '/')
		sl--;
	if (!sl || !base || (pe < ref.len && ref.ptr[pe] == '?'))
		return simple_url_resolve(a, base, ref, keep_fragment, err);
	struct ab_str prefix = ab_str_make(ref.ptr, sl), seg = ab_str_make(ref.ptr + sl, pe - sl);
	if (m->base != base || !m->dir || !ab_str_eq(prefix, m->prefix)) {
		/* resolved on the fast path alone: the prefix of a reference
		 * libcurl would have to resolve gets no memo */
		const char *dir = simple_url_resolve_fast(a, base, prefix, false);
		m->base = base;
		m->prefix = prefix;
		m->dir = dir;
		m->dirlen = dir ? strlen(dir) : 0;
		if (!dir || !m->dirlen || dir[m->dirlen - 1] != '/')
			m->dir = NULL;
	}
	/* the checks resolving the whole reference would make of its last
	 * segment and fragment (RFC 3986 5.2.4: a segment other than "." and
	 * ".." is appended unchanged) */
	bool dots = (seg.len == 1 && seg.ptr[0] == '.') ||
		    (seg.len == 2 && seg.ptr[0] == '.' && seg.ptr[1] == '.');
	if (!m->dir || !seg.len || dots || scan_chars(ref.ptr, sl, pe, false) != pe ||
	    (pe < ref.len &&
	     (pe + 1 == ref.len || scan_chars(ref.ptr, pe + 1, ref.len, true) != ref.len)))
		return simple_url_resolve(a, base, ref, keep_fragment, err);
	size_t tail = (keep_fragment ? ref.len : pe) - sl;
	char *r = ab_arena_alloc(a, m->dirlen + tail + 1);
	memcpy(r, m->dir, m->dirlen);
	memcpy(r + m->dirlen, ref.ptr + sl, tail);
	r[m->dirlen + tail] = '\0';
	return r;
}

const char *simple_percent_decode(struct ab_arena *a, struct ab_str s)
{
	if (!s.len || !memchr(s.ptr, '%', s.len))
		return ab_arena_strdup_str(a, s);
	char *r = ab_arena_alloc(a, s.len + 1);
	size_t n = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] == '%' && i + 2 < s.len && hexval((unsigned char)s.ptr[i + 1]) >= 0 &&
		    hexval((unsigned char)s.ptr[i + 2]) >= 0) {
			r[n++] = (char)(hexval((unsigned char)s.ptr[i + 1]) * 16 +
					hexval((unsigned char)s.ptr[i + 2]));
			i += 2;
		} else {
			r[n++] = s.ptr[i];
		}
	}
	r[n] = '\0';
	return r;
}

/* Writes cp as UTF-8 at o; returns the bytes written (1-4). */
static size_t put_utf8(char *o, unsigned long cp)
{
	/* html.unescape: NUL, surrogates and out-of-range become U+FFFD */
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static const struct {
	const char *name;
	unsigned cp;
} entities[] = {
	{ "amp", '&' },	 { "lt", '<' },	   { "gt", '>' },
	{ "quot", '"' }, { "apos", '\'' }, { "nbsp", 0xA0 },
};

const char *simple_html_unescape(struct ab_arena *a, struct ab_str s)
{
	if (!memchr(s.ptr ? s.ptr : "", '&', s.len))
		return ab_arena_strdup_str(a, s);
	/* No reference decodes longer than it is written ("&#0" is three
	 * bytes, U+FFFD three; four UTF-8 bytes need at least "&#65536"), so
	 * the result fits in s.len bytes: written straight into the arena. */
	char *r = ab_arena_alloc(a, s.len + 1);
	size_t o = 0;
	for (size_t i = 0; i < s.len;) {
		if (s.ptr[i] != '&') {
			r[o++] = s.ptr[i++];
			continue;
		}
		size_t j = i + 1;
		if (j < s.len && s.ptr[j] == '#') {
			j++;
			bool hex = j < s.len && (s.ptr[j] == 'x' || s.ptr[j] == 'X');
			if (hex)
				j++;
			size_t d0 = j;
			unsigned long cp = 0;
			while (j < s.len && (hex ? hexval((unsigned char)s.ptr[j]) >= 0
						 : (s.ptr[j] >= '0' && s.ptr[j] <= '9'))) {
				if (cp <= 0x10FFFF)
					cp = cp * (hex ? 16 : 10) +
					     (unsigned long)hexval((unsigned char)s.ptr[j]);
				j++;
			}
			if (j == d0) {
				r[o++] = s.ptr[i++];
				continue;
			}
			if (j < s.len && s.ptr[j] == ';')
				j++;
			o += put_utf8(r + o, cp);
			i = j;
			continue;
		}
		size_t k;
		for (k = 0; k < AB_ARRAY_SIZE(entities); k++) {
			size_t n = strlen(entities[k].name);
			if (j + n <= s.len && !memcmp(s.ptr + j, entities[k].name, n)) {
				j += n;
				/* the semicolon may be left out for the legacy entities */
				if (j < s.len && s.ptr[j] == ';')
					j++;
				o += put_utf8(r + o, entities[k].cp);
				i = j;
				break;
			}
		}
		if (k == AB_ARRAY_SIZE(entities))
			r[o++] = s.ptr[i++];
	}
	r[o] = '\0';
	return r;
}
