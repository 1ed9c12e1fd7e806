/* simple_page.c - shared pieces of the PEP 503 / PEP 691 page parsers. */
#include "formats/simple_page.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"

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

static char *arena_lower(struct ab_arena *a, struct ab_str s)
{
	char *r = ab_arena_strdup_str(a, s);
	for (char *p = r; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

bool simple_hash_parse(struct ab_arena *a, struct ab_str s, struct simple_hash *h)
{
	long eq = ab_str_chr(s, '=');
	if (eq <= 0 || (size_t)eq + 1 >= s.len)
		return false;
	struct ab_str algo = ab_str_make(s.ptr, (size_t)eq);
	struct ab_str hex = ab_str_skip(s, (size_t)eq + 1);
	for (size_t i = 0; i < algo.len; i++) {
		char c = algo.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	for (size_t i = 0; i < hex.len; i++)
		if (hexval((unsigned char)hex.ptr[i]) < 0)
			return false;
	h->algo = arena_lower(a, algo);
	h->hex = arena_lower(a, hex);
	return true;
}

const char *simple_url_resolve(struct ab_arena *a, const char *base, struct ab_str ref,
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
		ab_err_set(err, AB_E_INTERNAL, "out of memory");
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

const char *simple_percent_decode(struct ab_arena *a, struct ab_str s)
{
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

static void put_utf8(struct ab_buf *b, unsigned long cp)
{
	/* html.unescape: NUL, surrogates and out-of-range become U+FFFD */
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		ab_buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		ab_buf_addc(b, (char)(0xC0 | (cp >> 6)));
		ab_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		ab_buf_addc(b, (char)(0xE0 | (cp >> 12)));
		ab_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		ab_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		ab_buf_addc(b, (char)(0xF0 | (cp >> 18)));
		ab_buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		ab_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		ab_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
	}
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
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < s.len;) {
		if (s.ptr[i] != '&') {
			ab_buf_addc(&b, s.ptr[i++]);
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
				ab_buf_addc(&b, s.ptr[i++]);
				continue;
			}
			if (j < s.len && s.ptr[j] == ';')
				j++;
			put_utf8(&b, cp);
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
				put_utf8(&b, entities[k].cp);
				i = j;
				break;
			}
		}
		if (k == AB_ARRAY_SIZE(entities))
			ab_buf_addc(&b, s.ptr[i++]);
	}
	const char *r = ab_arena_strndup(a, b.buf, b.len);
	ab_buf_release(&b);
	return r;
}
