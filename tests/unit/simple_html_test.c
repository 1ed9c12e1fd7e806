/* simple_html_test.c - PEP 503 page scanner, URL resolution, and the HTML
 * and JSON pages of ../shared/pyindex agreeing file for file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/simple_html.h"
#include "formats/simple_json.h"
#include "tests/unit/testutil.h"

#define PAGE "https://example.org/simple/flask/"

static void rfc3986_examples(void **state)
{
	/* RFC 3986 section 5.4.1 and 5.4.2, base http://a/b/c/d;p?q */
	static const struct {
		const char *ref, *want;
	} cases[] = {
		{ "g", "http://a/b/c/g" },
		{ "./g", "http://a/b/c/g" },
		{ "g/", "http://a/b/c/g/" },
		{ "/g", "http://a/g" },
		{ "//g", "http://g/" },
		{ "g?y", "http://a/b/c/g?y" },
		{ "g;x", "http://a/b/c/g;x" },
		{ "", "http://a/b/c/d;p?q" },
		{ "?y", "http://a/b/c/d;p?y" },
		{ "#s", "http://a/b/c/d;p?q" },
		{ "g#s", "http://a/b/c/g" },
		{ "g?y#s", "http://a/b/c/g?y" },
		{ ";x", "http://a/b/c/;x" },
		{ ".", "http://a/b/c/" },
		{ "./", "http://a/b/c/" },
		{ "..", "http://a/b/" },
		{ "../", "http://a/b/" },
		{ "../g", "http://a/b/g" },
		{ "../..", "http://a/" },
		{ "../../g", "http://a/g" },
		{ "../../../g", "http://a/g" },
		{ "/./g", "http://a/g" },
		{ "/../g", "http://a/g" },
		{ "g.", "http://a/b/c/g." },
		{ ".g", "http://a/b/c/.g" },
		{ "g..", "http://a/b/c/g.." },
		{ "./../g", "http://a/b/g" },
		{ "g/./h", "http://a/b/c/g/h" },
		{ "g/../h", "http://a/b/c/h" },
		{ "https://other.example/x.whl", "https://other.example/x.whl" },
		{ "file:///srv/x.whl", "file:///srv/x.whl" },
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ab_arena a = AB_ARENA_INIT;
		const char *got = simple_url_resolve(&a, "http://a/b/c/d;p?q",
						     ab_str_from(cases[i].ref), false, NULL);
		if (!got || strcmp(got, cases[i].want)) {
			print_error("resolve '%s': got '%s', want '%s'\n", cases[i].ref,
				    got ? got : "(null)", cases[i].want);
			bad++;
		}
		ab_arena_release(&a);
	}
	assert_int_equal(bad, 0);
	struct ab_arena a = AB_ARENA_INIT;
	const char *frag =
		simple_url_resolve(&a, "http://a/b/", ab_str_from("x#sha256=ab"), true, NULL);
	assert_string_equal(frag, "http://a/b/x#sha256=ab");
	ab_arena_release(&a);
}

/* Resolves ref against base both ways; the fast path may decline (NULL)
 * but must never disagree with libcurl. Returns false on a disagreement. */
static bool fast_agrees(const char *base, const char *ref, bool keep, bool *used_fast)
{
	struct ab_arena a = AB_ARENA_INIT;
	const char *fast = simple_url_resolve_fast(&a, base, ab_str_from(ref), keep);
	const char *slow = simple_url_resolve_curl(&a, base, ab_str_from(ref), keep, NULL);
	bool ok = !fast || (slow && !strcmp(fast, slow));
	if (!ok)
		print_error("base '%s' ref '%s' keep %d: fast '%s', libcurl '%s'\n", base, ref,
			    keep, fast, slow ? slow : "(null)");
	if (used_fast)
		*used_fast = fast != NULL;
	ab_arena_release(&a);
	return ok;
}

static void fast_path_edges(void **state)
{
	static const char *bases[] = {
		"http://a/b/c/d;p?q",
		"http://a",
		"http://a?q/r",
		"https://h.example:8443/simple/p/",
		"http://127.0.0.1:8000/simple/p/index.html",
		"file:///srv/simple/p/",
		"http://a/b/c/d;p?q/r/s",
		"http://a/b#f/g",
		"http://A/b/",
		"http://a:80/b/",
		"https://a:443/b/",
		"http://a:080/b/",
		"http://127.1/b/",
		"http://0x7f.0.0.1/b/",
		"file://localhost/srv/",
		"http://a/b/../c/",
		"http://a/b/%2e%2e/c/",
		"http://u@a/b/",
		"http://[::1]/b/",
	};
	static const char *refs[] = {
		"g", "./g", "../g", "../../../../g", "g/", "/g", "//g", "g?y", "?y", "g#s", "g#",
		"g#s/t?u", "g/.", "g/..", "a/./b/../c", "../../files/x-1.0.whl#sha256=ab",
		"x%2Fy", "x%zz", "x%2", "x y", "x\\y", "g:h", "a/b:c", ":g", "%2e%2e/g", ".",
		"..", ".g", "g..", "...", "x;p=1,2", "x@y", "~u/~v", "x$&'()*+,=",
		"http://A/x", "HTTP://a/x", "http://a", "http://a?q", "http://a#f",
		"http://a:80/x", "http://a:8080/x", "https://a:443/x", "http://a/b/../c",
		"http://a/b/./c", "http://a/b?", "http://a/b?x=1&y=2#f", "http://a/b#",
		"file:///x", "file://localhost/x", "file://h/x", "file:/x", "mailto:x@y",
		"http://127.0.0.1:8000/x", "http://1.2.3.04/x", "http://a.b-c.d/x/y.tar.gz",
		"http://a/%7Ex", "http://a/x%41", "http://a/\xc3\xa9", "\xc3\xa9.whl",
	};
	int bad = 0, fast = 0;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		for (size_t k = 0; k < sizeof(refs) / sizeof(refs[0]); k++)
			for (int keep = 0; keep < 2; keep++) {
				bool used;
				if (!fast_agrees(bases[i], refs[k], keep, &used))
					bad++;
				fast += used;
			}
	assert_int_equal(bad, 0);
	assert_true(fast > 100);
	/* the index page shapes take the fast path */
	struct ab_arena a = AB_ARENA_INIT;
	assert_string_equal(simple_url_resolve_fast(&a, "file:///s/simple/p/",
						    ab_str_from("../../files/p-1.whl#md5=ab"), true),
			    "file:///s/files/p-1.whl#md5=ab");
	assert_string_equal(simple_url_resolve_fast(&a, "https://h/simple/p/",
						    ab_str_from("https://f.example/p-1.whl#x=1"),
						    false),
			    "https://f.example/p-1.whl");
	assert_null(simple_url_resolve_fast(&a, "http://a/", ab_str_from("g?y"), false));
	ab_arena_release(&a);
}

/* Appends to `hrefs` (NUL-separated, HTML-unescaped) every href="..." of
 * the index pages under dir; returns how many pages were read. */
static size_t collect_hrefs(const char *dir, struct ab_buf *hrefs, struct ab_arena *a)
{
	char path[8192];
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open '%s' (set $SHARED)", dir);
	struct dirent *e;
	size_t pages = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct ab_buf b = AB_BUF_INIT;
		snprintf(path, sizeof(path), "%.4000s/%s/index.html", dir, e->d_name);
		if (tu_read_file(path, &b) < 0)
			continue;
		pages++;
		for (const char *p = b.buf; (p = strstr(p, "href=\""));) {
			p += 6;
			const char *q = strchr(p, '"');
			if (!q)
				break;
			const char *h = simple_html_unescape(a, ab_str_make(p, (size_t)(q - p)));
			ab_buf_add(hrefs, h, strlen(h) + 1);
			p = q;
		}
		ab_buf_release(&b);
	}
	closedir(d);
	return pages;
}

/* Every link of every shared index page resolves on the fast path, to what
 * libcurl says, against a file:// base (as `appbuild lock` sees them) and an
 * https:// one. */
static void shared_hrefs_fast_equals_curl(void **state)
{
	static const char *sets[] = { "pyindex/simple", "bench/large/simple" };
	char dir[8192], base[8192];
	int bad = 0, slow = 0;
	size_t n = 0;
	for (size_t s = 0; s < 2; s++) {
		struct ab_buf hrefs = AB_BUF_INIT;
		struct ab_arena a = AB_ARENA_INIT;
		snprintf(dir, sizeof(dir), "%.4000s/%s", tu_shared_abs(), sets[s]);
		size_t pages = collect_hrefs(dir, &hrefs, &a);
		if (pages < 100)
			fail_msg("%s: only %zu index pages", dir, pages);
		for (size_t off = 0; off < hrefs.len; off += strlen(hrefs.buf + off) + 1) {
			const char *h = hrefs.buf + off;
			for (int keep = 0; keep < 2; keep++) {
				bool used = false, used2 = false;
				snprintf(base, sizeof(base), "file://%.4000s/p/", dir);
				bad += !fast_agrees(base, h, keep, &used);
				bad += !fast_agrees("https://example.org/simple/p/", h, keep,
						    &used2);
				slow += !used + !used2;
			}
			n++;
		}
		ab_arena_release(&a);
		ab_buf_release(&hrefs);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(slow, 0);
	assert_true(n >= 400);
}

/* simple_url_resolve_memo() answers what simple_url_resolve() answers,
 * whatever came before: every reference resolved twice in a row (the
 * second from the memo) after every other, on each base, and every link of
 * the shared pages in page order. */
static bool memo_agrees(struct simple_url_memo *m, struct ab_arena *a, const char *base,
			const char *ref, bool keep)
{
	const char *want = simple_url_resolve(a, base, ab_str_from(ref), keep, NULL);
	const char *got = simple_url_resolve_memo(a, m, base, ab_str_from(ref), keep, NULL);
	bool ok = want ? got && !strcmp(want, got) : !got;
	if (!ok)
		print_error("base '%s' ref '%s' keep %d: memo '%s', want '%s'\n", base, ref, keep,
			    got ? got : "(null)", want ? want : "(null)");
	return ok;
}

static void url_memo(void **state)
{
	static const char *bases[] = {
		"file:///srv/simple/p/", "https://h.example:8443/simple/p/", "http://a/b/c/d;p?q",
		"http://a", "http://a/b/../c/", "http://a/b#f/g", "file:///s/p/index.html",
	};
	static const char *prefixes[] = {
		"", "a/", "../", "../../files/", "/g/", "./", "x/../", "a/./", "../../../../",
		"http://a/b/", "https://f.example/d/", "file:///x/", "//g/", "g:h/", "%2e%2e/",
		"x%2Fy/", "a b/", "x?q/", "#f/", "x/./../y/",
	};
	static const char *segs[] = {
		"g", ".", "..", "g#s", "g#", "g?y", "x%zz", "x%41", "x y", "\xc3\xa9.whl",
		"a#b#c", "", "p-1.0-py3-none-any.whl#sha256=AB12", "x#s/t?u", ".g", "g..",
	};
	int bad = 0;
	char ref[256];
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
		for (int keep = 0; keep < 2; keep++) {
			struct ab_arena a = AB_ARENA_INIT;
			struct simple_url_memo m = { 0 };
			char *refs = ab_arena_alloc(&a, 256 * 20 * 16);
			size_t n = 0;
			for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
				for (size_t g = 0; g < sizeof(segs) / sizeof(segs[0]); g++) {
					/* the memo keeps views into earlier references */
					snprintf(ref, sizeof(ref), "%s%s", prefixes[p], segs[g]);
					char *r = strcpy(refs + 256 * n++, ref);
					bad += !memo_agrees(&m, &a, bases[b], r, keep);
					bad += !memo_agrees(&m, &a, bases[b], r, keep);
				}
			ab_arena_release(&a);
		}
	assert_int_equal(bad, 0);
	/* the links of the shared pages, in page order */
	char dir[8192], base[8192];
	snprintf(dir, sizeof(dir), "%.4000s/bench/large/simple", tu_shared_abs());
	snprintf(base, sizeof(base), "file://%.4000s/p/", dir);
	struct ab_buf hrefs = AB_BUF_INIT;
	struct ab_arena a = AB_ARENA_INIT;
	collect_hrefs(dir, &hrefs, &a);
	struct simple_url_memo m = { 0 };
	for (size_t off = 0; off < hrefs.len; off += strlen(hrefs.buf + off) + 1)
		bad += !memo_agrees(&m, &a, base, hrefs.buf + off, true);
	assert_int_equal(bad, 0);
	ab_arena_release(&a);
	ab_buf_release(&hrefs);
}

struct want {
	const char *filename, *url, *sha256, *rp, *yanked_reason, *mdhash;
	int yanked, has_md;
};

static const struct {
	const char *name, *html;
	size_t n;
	struct want w[2];
} cases[] = {
	{ "relative href, hash fragment, unescaped requires-python",
	  "<a href=\"../../files/flask-2.2.2-py3-none-any.whl#sha256=ABcd\" "
	  "data-requires-python=\"&gt;=3.7,&lt;4\">x</a>",
	  1,
	  { { "flask-2.2.2-py3-none-any.whl",
	      "https://example.org/files/flask-2.2.2-py3-none-any.whl", "abcd", ">=3.7,<4", NULL,
	      NULL, 0, 0 } } },
	{ "base href wins even after the anchor; case-insensitive tags",
	  "<A HREF='pkg-1.0.tar.gz'>p</A><base href=\"https://mirror.example/d/\">",
	  1,
	  { { "pkg-1.0.tar.gz", "https://mirror.example/d/pkg-1.0.tar.gz", NULL, NULL, NULL, NULL,
	      0, 0 } } },
	{ "yanked bare and with reason; unquoted value",
	  "<a href=a-1.whl data-yanked>a</a><a href=\"b-1.whl\" data-yanked=\"bad &amp; "
	  "broken\">b</a>",
	  2,
	  { { "a-1.whl", PAGE "a-1.whl", NULL, NULL, "", NULL, 1, 0 },
	    { "b-1.whl", PAGE "b-1.whl", NULL, NULL, "bad & broken", NULL, 1, 0 } } },
	{ "PEP 714 core-metadata preferred over dist-info-metadata",
	  "<a href=\"a-1.whl\" data-dist-info-metadata=\"sha256=11\" "
	  "data-core-metadata=\"sha256=22\">"
	  "</a><a href=\"b-1.whl\" data-dist-info-metadata=\"true\"></a>",
	  2,
	  { { "a-1.whl", PAGE "a-1.whl", NULL, NULL, NULL, "22", 0, 1 },
	    { "b-1.whl", PAGE "b-1.whl", NULL, NULL, NULL, NULL, 0, 1 } } },
	{ "comments, doctype, end tags and anchors without href are skipped",
	  "<!DOCTYPE html><!-- <a href=\"no.whl\"> --><a name=x>y</a></p><a\nhref = "
	  "\"c%2B%2B-1.0.tar.gz\""
	  " data-core-metadata=false>",
	  1,
	  { { "c++-1.0.tar.gz", PAGE "c%2B%2B-1.0.tar.gz", NULL, NULL, NULL, NULL, 0, 0 } } },
	{ "the last repeated attribute wins; empty requires-python is none",
	  "<a href=\"x-1.whl\" href=\"y-1.whl\" data-requires-python=\"\">",
	  1,
	  { { "y-1.whl", PAGE "y-1.whl", NULL, NULL, NULL, NULL, 0, 0 } } },
	{ "garbage", "<<<a<a href=\"\"\"\"<!--", 0, { { 0 } } },
	{ "unterminated tag at end of input",
	  "<a href=\"z-2.whl",
	  1,
	  { { "z-2.whl", PAGE "z-2.whl", NULL, NULL, NULL, NULL, 0, 0 } } },
};

static void check_str(const char *what, const char *got, const char *want, const char *name)
{
	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want)))
		fail_msg("%s: %s: got '%s', want '%s'", name, what, got ? got : "(null)",
			 want ? want : "(null)");
}

static void table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct simple_page p = SIMPLE_PAGE_INIT;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(simple_html_parse_page(ab_str_from(cases[i].html), PAGE, &p, &err),
				 0);
		if (p.nfiles != cases[i].n)
			fail_msg("%s: %zu files, want %zu", cases[i].name, p.nfiles, cases[i].n);
		for (size_t k = 0; k < p.nfiles; k++) {
			const struct simple_file *f = &p.files[k];
			const struct want *w = &cases[i].w[k];
			check_str("filename", f->filename, w->filename, cases[i].name);
			check_str("url", f->url, w->url, cases[i].name);
			check_str("sha256", simple_file_hash(f, "sha256"), w->sha256,
				  cases[i].name);
			check_str("requires-python", f->requires_python, w->rp, cases[i].name);
			check_str("yanked reason", f->yanked_reason, w->yanked_reason,
				  cases[i].name);
			check_str("metadata hash", f->metadata_hash.hex, w->mdhash, cases[i].name);
			assert_int_equal(f->yanked, w->yanked);
			assert_int_equal(f->has_metadata, w->has_md);
		}
		simple_page_release(&p);
		ab_err_release(&err);
	}
}

static void bad_page_url(void **state)
{
	struct simple_page p = SIMPLE_PAGE_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(simple_html_parse_page(ab_str_from("<a href=x>"), "not a url", &p, &err),
			 -AB_E_PARSE);
	assert_non_null(strstr(err.msg.buf, "invalid base URL 'not a url'"));
	assert_int_equal(p.nfiles, 0);
	ab_err_release(&err);
}

static void unescape(void **state)
{
	static const char *ucases[][2] = {
		{ "&lt;&gt;&amp;&quot;&#39;&#x41;&#66;", "<>&\"'AB" },
		{ "a&unknown;b", "a&unknown;b" },
		{ "&#;&#x;&", "&#;&#x;&" },
		{ "&lt3", "<3" },
		{ "&#0;", "\xef\xbf\xbd" },
		{ "&#x20AC;", "\xe2\x82\xac" },
	};
	for (size_t i = 0; i < sizeof(ucases) / sizeof(ucases[0]); i++) {
		struct ab_arena a = AB_ARENA_INIT;
		assert_string_equal(simple_html_unescape(&a, ab_str_from(ucases[i][0])),
				    ucases[i][1]);
		ab_arena_release(&a);
	}
}

static void same_file(const struct simple_file *h, const struct simple_file *j, const char *proj)
{
	check_str("filename", h->filename, j->filename, proj);
	check_str("url", h->url, j->url, proj);
	check_str("sha256", simple_file_hash(h, "sha256"), simple_file_hash(j, "sha256"), proj);
	check_str("requires-python", h->requires_python, j->requires_python, proj);
	check_str("yanked", h->yanked_reason, j->yanked_reason, proj);
	check_str("metadata hash", h->metadata_hash.hex, j->metadata_hash.hex, proj);
	assert_int_equal(h->has_metadata, j->has_metadata);
	assert_int_equal(h->yanked, j->yanked);
}

/* Every project of the shared index: index.html and index.json agree. */
static void pyindex_html_equals_json(void **state)
{
	char dir[4096], path[8192], url[8192];
	snprintf(dir, sizeof(dir), "%.4000s/pyindex/simple", tu_shared_abs());
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	size_t projects = 0, files = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strchr(e->d_name, '.'))
			continue;
		struct ab_buf hb = AB_BUF_INIT, jb = AB_BUF_INIT;
		struct simple_page hp = SIMPLE_PAGE_INIT, jp = SIMPLE_PAGE_INIT;
		struct ab_err err = AB_ERR_INIT;
		snprintf(path, sizeof(path), "%s/%s/index.html", dir, e->d_name);
		assert_int_equal(tu_read_file(path, &hb), 0);
		snprintf(path, sizeof(path), "%s/%s/index.json", dir, e->d_name);
		assert_int_equal(tu_read_file(path, &jb), 0);
		snprintf(url, sizeof(url), "file://%s/%s/", dir, e->d_name);
		assert_int_equal(simple_html_parse_page(ab_buf_str(&hb), url, &hp, &err), 0);
		/* PEP 691 URLs resolve the same from the directory and from index.json */
		snprintf(url, sizeof(url), "file://%s/%s/index.json", dir, e->d_name);
		if (simple_json_parse_page(ab_buf_str(&jb), url, &jp, &err) < 0)
			fail_msg("%s: %s", e->d_name, err.msg.buf);
		if (hp.nfiles != jp.nfiles || hp.nfiles == 0)
			fail_msg("%s: %zu html files, %zu json", e->d_name, hp.nfiles, jp.nfiles);
		for (size_t i = 0; i < hp.nfiles; i++)
			same_file(&hp.files[i], &jp.files[i], e->d_name);
		assert_string_equal(hp.api_version, jp.api_version);
		projects++;
		files += hp.nfiles;
		simple_page_release(&hp);
		simple_page_release(&jp);
		ab_buf_release(&hb);
		ab_buf_release(&jb);
		ab_err_release(&err);
	}
	closedir(d);
	assert_true(projects >= 189);
	assert_true(files >= 200);
}

static void pyindex_project_list(void **state)
{
	char path[8192], url[8192];
	struct ab_buf hb = AB_BUF_INIT, jb = AB_BUF_INIT;
	struct simple_index hi = SIMPLE_INDEX_INIT, ji = SIMPLE_INDEX_INIT;
	struct ab_err err = AB_ERR_INIT;
	snprintf(path, sizeof(path), "%s/pyindex/simple/index.html", tu_shared_abs());
	assert_int_equal(tu_read_file(path, &hb), 0);
	snprintf(path, sizeof(path), "%s/pyindex/simple/index.json", tu_shared_abs());
	assert_int_equal(tu_read_file(path, &jb), 0);
	snprintf(url, sizeof(url), "file://%s/pyindex/simple/", tu_shared_abs());
	assert_int_equal(simple_html_parse_index(ab_buf_str(&hb), url, &hi, &err), 0);
	assert_int_equal(simple_json_parse_index(ab_buf_str(&jb), url, &ji, &err), 0);
	assert_int_equal(hi.nprojects, ji.nprojects);
	assert_true(hi.nprojects >= 189);
	for (size_t i = 0; i < hi.nprojects; i++) {
		assert_string_equal(hi.projects[i].name, ji.projects[i].name);
		assert_string_equal(hi.projects[i].url, ji.projects[i].url);
	}
	simple_index_release(&hi);
	simple_index_release(&ji);
	ab_buf_release(&hb);
	ab_buf_release(&jb);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3986_examples),
		cmocka_unit_test(fast_path_edges),
		cmocka_unit_test(shared_hrefs_fast_equals_curl),
		cmocka_unit_test(url_memo),
		cmocka_unit_test(table),
		cmocka_unit_test(bad_page_url),
		cmocka_unit_test(unescape),
		cmocka_unit_test(pyindex_html_equals_json),
		cmocka_unit_test(pyindex_project_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
