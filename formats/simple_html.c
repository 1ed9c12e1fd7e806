/* simple_html.c - tolerant PEP 503 page scanner.
 *
 * Tokenises just enough HTML to find start tags and their attributes
 * (HTML5 tokenizer states, simplified): comments, doctypes, processing
 * instructions and end tags are skipped; text is only kept for an anchor on
 * the project list. Everything is a view into the input until a file is
 * kept. */
#include "formats/simple_html.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

#define MAX_ATTRS 16

struct attr {
	struct ab_str name;
	struct ab_str value;
	bool has_value;
};

struct html_tag {
	struct ab_str name;
	size_t nattrs;
	struct attr attrs[MAX_ATTRS];
	size_t end; /* offset just past '>' */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Bytes that end an attribute name: HTML5 whitespace, '>', '/', '='
 * (a table: every byte of every attribute name goes through it). */
static const unsigned char name_end[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['>'] = 1, ['/'] = 1, ['='] = 1,
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t find(struct ab_str s, size_t from, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = from; i + n <= s.len; i++)
		if (!memcmp(s.ptr + i, needle, n))
			return i;
	return s.len;
}

/* Scan from `*pos` to the next start tag; false at the end of input. */
static bool next_tag(struct ab_str s, size_t *pos, struct html_tag *t)
{
	size_t i = *pos;
	for (;;) {
		const char *lt = i < s.len ? memchr(s.ptr + i, '<', s.len - i) : NULL;
		if (!lt)
			return false;
		i = (size_t)(lt - s.ptr) + 1;
		if (i >= s.len)
			return false;
		if (s.ptr[i] == '!' && i + 2 < s.len && s.ptr[i + 1] == '-' &&
		    s.ptr[i + 2] == '-') {
			size_t e = find(s, i + 3, "-->");
			if (e >= s.len)
				return false;
			i = e + 3;
			continue;
		}
		if (s.ptr[i] == '!' || s.ptr[i] == '?' || s.ptr[i] == '/') {
			const char *gt = memchr(s.ptr + i, '>', s.len - i);
			if (!gt)
				return false;
			i = (size_t)(gt - s.ptr) + 1;
			continue;
		}
		if (is_alpha(s.ptr[i]))
			break;
		/* "<" followed by anything else is text */
	}
	size_t n0 = i;
	while (i < s.len && !is_space(s.ptr[i]) && s.ptr[i] != '>' && s.ptr[i] != '/')
		i++;
	t->name = ab_str_make(s.ptr + n0, i - n0);
	t->nattrs = 0;
	for (;;) {
		while (i < s.len && (is_space(s.ptr[i]) || s.ptr[i] == '/'))
			i++;
		if (i >= s.len) {
			*pos = s.len;
			t->end = s.len;
			return true; /* unterminated tag at EOF: keep what we have */
		}
		if (s.ptr[i] == '>') {
			i++;
			break;
		}
		size_t a0 = i;
		/* an attribute name may start with '=' (HTML5 "unexpected equals sign") */
		i++;
		while (i < s.len && !name_end[(unsigned char)s.ptr[i]])
			i++;
		struct attr a = { ab_str_make(s.ptr + a0, i - a0), AB_STR_NULL, false };
		size_t j = i;
		while (j < s.len && is_space(s.ptr[j]))
			j++;
		if (j < s.len && s.ptr[j] == '=') {
			j++;
			while (j < s.len && is_space(s.ptr[j]))
				j++;
			a.has_value = true;
			if (j < s.len && (s.ptr[j] == '"' || s.ptr[j] == '\'')) {
				char q = s.ptr[j++];
				const char *e = memchr(s.ptr + j, q, s.len - j);
				size_t ve = e ? (size_t)(e - s.ptr) : s.len;
				a.value = ab_str_make(s.ptr + j, ve - j);
				i = e ? ve + 1 : s.len;
			} else {
				size_t v0 = j;
				while (j < s.len && !is_space(s.ptr[j]) && s.ptr[j] != '>')
					j++;
				a.value = ab_str_make(s.ptr + v0, j - v0);
				i = j;
			}
		}
		if (t->nattrs < MAX_ATTRS)
			t->attrs[t->nattrs++] = a;
	}
	*pos = i;
	t->end = i;
	return true;
}

/* The last attribute named `name` (pip collects attributes in a dict). */
static const struct attr *get_attr(const struct html_tag *t, const char *name)
{
	for (size_t k = t->nattrs; k-- > 0;)
		if (ab_str_ieq_cstr(t->attrs[k].name, name))
			return &t->attrs[k];
	return NULL;
}

/* A kept attribute's value, unescaped into the arena; NULL when absent or
 * bare. */
static const char *attr_value(struct ab_arena *a, const struct attr *at)
{
	if (!at->has_value)
		return NULL;
	return simple_html_unescape(a, at->value);
}

/* An anchor's attributes that the parsers read, each the last of its name
 * among the tag's first MAX_ATTRS (as get_attr() sees them): kept instead
 * of the whole tag, which is twenty times larger. */
struct anchor {
	struct attr href, requires_python, yanked, core_metadata, dist_info_metadata;
	struct ab_str text; /* the project list only */
};

struct scan_result {
	struct anchor *tags;
	size_t ntags, cap;
	struct ab_str base;
	bool has_base;
	struct ab_str version;
	bool has_version;
};

/* An attribute name is `lower` (lowercase ASCII, as pages write it, or in
 * any case: HTML folds ASCII only). */
static bool name_is(struct ab_str n, const char *lower)
{
	return !memcmp(n.ptr, lower, n.len) || ab_str_ieq_cstr(n, lower);
}

/* The anchor attributes the parsers read, each the last of its name: one
 * pass over the tag's attributes (each name compared once, by length
 * first) rather than a lookup per attribute wanted. */
static void keep_attrs(struct anchor *an, const struct html_tag *t, bool want_text)
{
	for (size_t k = 0; k < t->nattrs; k++) {
		const struct attr *a = &t->attrs[k];
		struct attr *dst = NULL;
		switch (a->name.len) {
		case 4:
			if (name_is(a->name, "href"))
				dst = &an->href;
			break;
		case 11:
			if (!want_text && name_is(a->name, "data-yanked"))
				dst = &an->yanked;
			break;
		case 18:
			if (!want_text && name_is(a->name, "data-core-metadata"))
				dst = &an->core_metadata;
			break;
		case 20:
			if (!want_text && name_is(a->name, "data-requires-python"))
				dst = &an->requires_python;
			break;
		case 23:
			if (!want_text && name_is(a->name, "data-dist-info-metadata"))
				dst = &an->dist_info_metadata;
			break;
		}
		if (dst)
			*dst = *a;
	}
}

static void scan(struct ab_str html, struct scan_result *r, bool want_text)
{
	size_t pos = 0;
	struct html_tag t;
	/* about one anchor per 200 bytes on real pages: one allocation mostly */
	AB_GROW(r->tags, r->cap, html.len / 200 + 8);
	while (next_tag(html, &pos, &t)) {
		if (ab_str_ieq_cstr(t.name, "a")) {
			AB_GROW(r->tags, r->cap, r->ntags + 1);
			struct anchor *an = &r->tags[r->ntags++];
			memset(an, 0, sizeof(*an));
			keep_attrs(an, &t, want_text);
			if (want_text) {
				const char *lt = t.end < html.len ? memchr(html.ptr + t.end, '<',
									   html.len - t.end)
								  : NULL;
				size_t e = lt ? (size_t)(lt - html.ptr) : html.len;
				an->text = ab_str_make(html.ptr + t.end, e - t.end);
			}
		} else if (ab_str_ieq_cstr(t.name, "base") && !r->has_base) {
			const struct attr *h = get_attr(&t, "href");
			if (h && h->has_value) {
				r->base = h->value;
				r->has_base = true;
			}
		} else if (ab_str_ieq_cstr(t.name, "meta") && !r->has_version) {
			const struct attr *n = get_attr(&t, "name");
			const struct attr *c = get_attr(&t, "content");
			if (n && c && c->has_value &&
			    ab_str_eq_cstr(n->value, "pypi:repository-version")) {
				r->version = c->value;
				r->has_version = true;
			}
		}
	}
}

static const char *base_url(struct ab_arena *a, const struct scan_result *r, const char *page_url,
			    struct ab_err *err)
{
	/* validate the page URL itself first: it is the caller's mistake */
	const char *page = simple_url_resolve(a, page_url, ab_str_from(page_url), false, err);
	if (!page || !r->has_base)
		return page;
	const char *href = simple_html_unescape(a, r->base);
	const char *b = simple_url_resolve(a, page, ab_str_from(href), false, NULL);
	return b ? b : page; /* a broken <base> is ignored, as browsers do */
}

/* The last path segment of an absolute URL, percent-decoded (pip's
 * Link.filename: basename of the path with trailing slashes removed). */
static const char *url_filename(struct ab_arena *a, const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	p = p + strcspn(p, "/?#");
	size_t n = strcspn(p, "?#");
	while (n > 0 && p[n - 1] == '/')
		n--;
	size_t s = n;
	while (s > 0 && p[s - 1] != '/')
		s--;
	return simple_percent_decode(a, ab_str_make(p + s, n - s));
}

static void fragment_hashes(struct ab_arena *a, struct simple_file *f, const char *url_with_frag)
{
	const char *h = strchr(url_with_frag, '#');
	if (!h)
		return;
	struct ab_str rest = ab_str_from(h + 1);
	size_t n = 0;
	for (const char *p = rest.ptr; (p = strchr(p, '&')); p++)
		n++;
	f->hashes = ab_arena_alloc(a, (n + 1) * sizeof(*f->hashes));
	while (rest.len) {
		long amp = ab_str_chr(rest, '&');
		size_t l = amp < 0 ? rest.len : (size_t)amp;
		struct simple_hash hh;
		if (simple_hash_parse(a, ab_str_make(rest.ptr, l), &hh))
			f->hashes[f->nhashes++] = hh;
		rest = ab_str_skip(rest, amp < 0 ? rest.len : l + 1);
	}
}

/* A value as attr_value() would return it, as a view: into the page when
 * it holds no character reference, so values read once are not copied
 * (cut at a NUL, as the C string is). */
static struct ab_str value_view(struct ab_arena *a, const struct attr *at)
{
	struct ab_str v = at->value;
	if (v.len && memchr(v.ptr, '&', v.len))
		return ab_str_from(simple_html_unescape(a, v));
	const char *z = v.len ? memchr(v.ptr, '\0', v.len) : NULL;
	if (z)
		v.len = (size_t)(z - v.ptr);
	return v;
}

static void metadata_attr(struct ab_arena *a, struct simple_file *f, const struct anchor *t)
{
	const struct attr *at = t->core_metadata.has_value	 ? &t->core_metadata
				: t->dist_info_metadata.has_value ? &t->dist_info_metadata
								  : NULL;
	struct ab_str m = at ? value_view(a, at) : AB_STR_NULL;
	if (!at || ab_str_eq_cstr(m, "false"))
		return;
	f->has_metadata = true;
	if (!ab_str_eq_cstr(m, "true"))
		simple_hash_parse(a, m, &f->metadata_hash);
}

int simple_html_parse_page(struct ab_str html, const char *page_url, struct simple_page *out,
			   struct ab_err *err)
{
	struct scan_result r = { 0 };
	int ret = 0;
	/* what a page keeps is about its own size (a few hundred bytes a file):
	 * a first arena chunk to match rather than the default 64 KiB, most of
	 * which small pages would leave unused (and, in huge pages, not free) */
	if (!out->arena.head && !out->arena.chunk_size)
		out->arena.chunk_size = html.len < 4096 ? 4096 : html.len < (1 << 20) ? html.len
										: (1 << 20);
	scan(html, &r, false);
	const char *base = base_url(&out->arena, &r, page_url, err);
	if (!base) {
		ret = -AB_E_PARSE;
		goto out;
	}
	if (r.has_version)
		out->api_version = simple_html_unescape(&out->arena, r.version);
	struct simple_url_memo memo = { 0 };
	for (size_t i = 0; i < r.ntags; i++) {
		const struct anchor *t = &r.tags[i];
		if (!t->href.has_value)
			continue;
		struct ab_str href = value_view(&out->arena, &t->href);
		const char *full =
			simple_url_resolve_memo(&out->arena, &memo, base, href, true, NULL);
		if (!full)
			continue;
		struct simple_file *f = simple_page_add(out);
		fragment_hashes(&out->arena, f, full);
		/* `full` is our arena copy and the hashes are copied out of it:
		 * cut the fragment off in place rather than copy the URL again */
		char *url = (char *)full;
		url[strcspn(url, "#")] = '\0';
		f->url = url;
		f->filename = url_filename(&out->arena, f->url);
		const char *rp = attr_value(&out->arena, &t->requires_python);
		f->requires_python = rp && *rp ? rp : NULL;
		const struct attr *y = &t->yanked;
		if (y->name.ptr) {
			f->yanked = true;
			f->yanked_reason =
				y->has_value ? simple_html_unescape(&out->arena, y->value) : "";
		}
		metadata_attr(&out->arena, f, t);
	}
out:
	free(r.tags);
	if (ret < 0)
		simple_page_release(out);
	return ret;
}

int simple_html_parse_index(struct ab_str html, const char *page_url, struct simple_index *out,
			    struct ab_err *err)
{
	struct scan_result r = { 0 };
	int ret = 0;
	scan(html, &r, true);
	const char *base = base_url(&out->arena, &r, page_url, err);
	if (!base) {
		ret = -AB_E_PARSE;
		goto out;
	}
	if (r.has_version)
		out->api_version = simple_html_unescape(&out->arena, r.version);
	for (size_t i = 0; i < r.ntags; i++) {
		const char *href = attr_value(&out->arena, &r.tags[i].href);
		if (!href)
			continue;
		const char *full =
			simple_url_resolve(&out->arena, base, ab_str_from(href), false, NULL);
		if (!full)
			continue;
		const char *name = simple_html_unescape(&out->arena, r.tags[i].text);
		struct ab_str tn = ab_str_trim(ab_str_from(name));
		struct simple_project *p = simple_index_add(out);
		p->name = ab_arena_strdup_str(&out->arena, tn);
		p->url = full;
	}
out:
	free(r.tags);
	if (ret < 0)
		simple_index_release(out);
	return ret;
}
