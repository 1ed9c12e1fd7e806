/* simple_page.h - a package index project page, as read from PEP 503 HTML
 * (simple_html.h) or PEP 691 JSON (simple_json.h); both parsers fill the
 * same structures so callers never care which format the index served.
 *
 * Ownership: every string of a page lives in the page's arena; the file
 * array is malloc'd. simple_page_release() frees both. */
#ifndef AB_SIMPLE_PAGE_H
#define AB_SIMPLE_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/core/arena.h"
#include "formats/core/err.h"
#include "formats/core/str.h"

struct simple_hash {
	const char *algo; /* lowercase: "sha256", "md5", ... */
	const char *hex;  /* lowercase hex digest */
};

struct simple_file {
	const char *filename; /* the file name (JSON "filename"; HTML: last path segment,
			       * percent-decoded) */
	const char *url;      /* absolute, resolved against the page URL, no fragment */
	size_t nhashes;
	struct simple_hash *hashes;	  /* HTML: the #algo=hex fragment; JSON: "hashes" */
	const char *requires_python;	  /* NULL: none given (HTML-unescaped) */
	bool yanked;			  /* PEP 592 */
	const char *yanked_reason;	  /* NULL unless yanked; "" when no reason given */
	bool has_metadata;		  /* PEP 658/714: a "<url>.metadata" sidecar exists */
	struct simple_hash metadata_hash; /* algo NULL: sidecar has no declared hash */
	int64_t size;			  /* PEP 700 "size"; -1: unknown */
};

struct simple_page {
	const char *name;	 /* JSON "name"; NULL for HTML */
	const char *api_version; /* "1.1"; NULL when the page does not say */
	size_t nfiles;
	struct simple_file *files; /* in page order */
	size_t cap;
	struct ab_arena arena;
};

#define SIMPLE_PAGE_INIT                              \
	{                                             \
		NULL, NULL, 0, NULL, 0, AB_ARENA_INIT \
	}

/* The project list (/simple/): names as written and absolute page URLs. */
struct simple_project {
	const char *name;
	const char *url;
};

struct simple_index {
	const char *api_version;
	size_t nprojects;
	struct simple_project *projects;
	size_t cap;
	struct ab_arena arena;
};

#define SIMPLE_INDEX_INIT                       \
	{                                       \
		NULL, 0, NULL, 0, AB_ARENA_INIT \
	}

void simple_page_release(struct simple_page *p);
void simple_index_release(struct simple_index *ix);

/* The first hash of `f` named `algo` ("sha256"), or NULL. */
const char *simple_file_hash(const struct simple_file *f, const char *algo);

/* Resolve `ref` (an absolute URL or an RFC 3986 relative reference) against
 * the absolute URL `base` as libcurl's URL API does (the common shapes
 * without calling it: simple_url_resolve_fast() below). The fragment is dropped
 * when `keep_fragment` is false. Returns an arena copy, or NULL with
 * AB_E_PARSE in `err` when either URL cannot be parsed. */
const char *simple_url_resolve(struct ab_arena *a, const char *base, struct ab_str ref,
			       bool keep_fragment, struct ab_err *err);

/* The two halves of simple_url_resolve(), public for the test that checks
 * they agree. _fast() resolves in plain C (RFC 3986 5.2.2-5.2.4) the shapes
 * index pages use (an absolute http/https/file URL in canonical form, or a
 * relative path with at most a "#fragment" against such a base) and returns
 * an arena copy, or NULL when `ref`/`base` is of any other shape (it never
 * fails). _curl() always asks libcurl's URL API and fails as described above. */
const char *simple_url_resolve_fast(struct ab_arena *a, const char *base, struct ab_str ref,
				    bool keep_fragment);
const char *simple_url_resolve_curl(struct ab_arena *a, const char *base, struct ab_str ref,
				    bool keep_fragment, struct ab_err *err);

/* simple_url_resolve() for the many links of one page, which mostly share
 * their directory ("../../files/"): the directory is resolved once and a
 * plain last segment (no dot segment, no query, only URL characters and
 * at most a "#fragment") is appended to it, which is what resolving the
 * whole reference gives. Anything else goes to simple_url_resolve(). Start
 * with a zeroed memo for each base (it holds views into earlier `ref`s and
 * arena strings: keep those alive while it is used). */
struct simple_url_memo {
	const char *base;
	struct ab_str prefix; /* up to and including the last '/' of the path */
	const char *dir;      /* prefix resolved against base (arena) */
	size_t dirlen;
};
const char *simple_url_resolve_memo(struct ab_arena *a, struct simple_url_memo *m,
				    const char *base, struct ab_str ref, bool keep_fragment,
				    struct ab_err *err);

/* Decode HTML character references (&amp; &lt; &gt; &quot; &apos; &#39;
 * &#NNN; &#xHH; and the common named ones) in `s`; an unknown or malformed
 * reference is kept as written, as browsers do. Returns an arena string. */
const char *simple_html_unescape(struct ab_arena *a, struct ab_str s);

/* Decode %XX escapes (invalid ones kept as written). Returns an arena string. */
const char *simple_percent_decode(struct ab_arena *a, struct ab_str s);

/* Internal to the parsers: append a zeroed file to the page. */
struct simple_file *simple_page_add(struct simple_page *p);
struct simple_project *simple_index_add(struct simple_index *ix);

/* Parse "algo=hex" (a URL fragment or a PEP 658 attribute value) into *h
 * (arena strings, lowercased). Returns false when it is not of that form
 * (empty algo, no '=', non-hex digest). */
bool simple_hash_parse(struct ab_arena *a, struct ab_str s, struct simple_hash *h);

#endif
