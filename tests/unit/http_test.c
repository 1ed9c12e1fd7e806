/* http_test.c - the multi fetcher against tests/server/server.py serving
 * ../shared/pyindex, with injected faults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/http.h"
#include "formats/simple_json.h"
#include "tests/server/server_helper.h"

static struct test_server srv;
static char shared[4096];
static char cdir[256];

static int rm_one(const char *p, const struct stat *st, int fl, struct FTW *f)
{
	return remove(p) < 0 ? 0 : 0;
}

static int group_setup(void **state)
{
	const char *s = getenv("SHARED");
	if (!realpath(s && *s ? s : "../shared", shared))
		return -1;
	char root[4200];
	snprintf(root, sizeof(root), "%s/pyindex", shared);
	snprintf(cdir, sizeof(cdir), "/tmp/http_test-XXXXXX");
	if (!mkdtemp(cdir))
		return -1;
	return test_server_start(&srv, root);
}

static int group_teardown(void **state)
{
	test_server_stop(&srv);
	nftw(cdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct http_client *client(int retries)
{
	struct http_opts o = { 0 };
	o.jobs = 8;
	o.retries = retries;
	o.backoff_ms = 10;
	o.stall_timeout_s = 1;
	o.connect_timeout_ms = 2000;
	o.no_netrc = false;
	struct http_client *cl = http_client_new(&o, NULL);
	assert_non_null(cl);
	return cl;
}

static char *url(const char *path)
{
	static char u[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(u[k], sizeof(u[k]), "%s%s", srv.base, path);
	return u[k];
}

static void file_sha256(const char *rel, char hex[65])
{
	char p[4400];
	snprintf(p, sizeof(p), "%s/pyindex/%s", shared, rel);
	assert_int_equal(cache_sha256_file(p, hex, NULL), 0);
}

static long stat_of(const char *key)
{
	struct http_client *cl = client(0);
	struct http_req r = { .url = url("/_stats") };
	assert_int_equal(http_fetch(cl, &r), 0);
	const char *p = strstr(r.body.buf, key);
	long v = p ? strtol(p + strlen(key) + 3, NULL, 10) : -1;
	http_req_release(&r);
	http_client_free(cl);
	return v;
}

#define WHEEL "files/flask-2.2.2-py3-none-any.whl"

static void plain_get(void **state)
{
	struct http_client *cl = client(0);
	struct http_req r = { .url = url("/simple/flask/") };
	assert_int_equal(http_fetch(cl, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.buf, "flask-2.2.2-py3-none-any.whl"));
	assert_non_null(r.etag);
	assert_non_null(r.last_modified);
	assert_string_equal(r.content_type, "text/html");
	assert_int_equal(r.attempts, 1);
	/* conditional: 304 */
	char *etag = strdup(r.etag);
	struct http_req c = { .url = url("/simple/flask/"), .if_none_match = etag };
	assert_int_equal(http_fetch(cl, &c), 0);
	assert_int_equal(c.status, 304);
	assert_int_equal(c.body.len, 0);
	free(etag);
	http_req_release(&r);
	http_req_release(&c);
	http_client_free(cl);
}

static void retry_then_ok(void **state)
{
	static const char *paths[] = {
		"/f/500x2/simple/flask/",    "/f/resetx2/simple/flask/",
		"/f/stallx1/" WHEEL, /* needs stall_timeout (1 s) to pass */
		"/f/truncx2,norange/" WHEEL, "/f/redirect/" WHEEL,
	};
	char want[65];
	file_sha256(WHEEL, want);
	struct http_client *cl = client(3);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct http_req r = { .url = url(paths[i]) };
		if (strstr(paths[i], ".whl"))
			r.expect_sha256 = want;
		if (http_fetch(cl, &r) < 0)
			fail_msg("%s: %s", paths[i], r.err.msg.buf);
		assert_int_equal(r.status, 200);
		if (strstr(paths[i], "redirect"))
			assert_string_equal(r.effective_url, url("/" WHEEL));
		else
			assert_true(r.attempts >= 2);
		http_req_release(&r);
	}
	http_client_free(cl);
}

static void truncated_resumes_with_range(void **state)
{
	char want[65];
	file_sha256(WHEEL, want);
	long before = stat_of("206");
	struct http_client *cl = client(3);
	struct http_req r = { .url = url("/f/truncx1/" WHEEL), .expect_sha256 = want };
	assert_int_equal(http_fetch(cl, &r), 0);
	assert_int_equal(r.attempts, 2);
	assert_string_equal(r.sha256, want);
	assert_int_equal(stat_of("206"), before + 1);
	http_req_release(&r);
	http_client_free(cl);
}

static void gives_up_with_clear_error(void **state)
{
	struct http_client *cl = client(2);
	struct http_req r = { .url = url("/f/500x9/simple/flask/") };
	assert_int_equal(http_fetch(cl, &r), -AB_E_NETWORK);
	char want[256];
	snprintf(want, sizeof(want), "cannot fetch '%s': HTTP 500 (after 3 attempts)",
		 url("/f/500x9/simple/flask/"));
	assert_string_equal(r.err.msg.buf, want);
	http_req_release(&r);
	struct http_req n = { .url = url("/simple/no-such-project/") };
	assert_int_equal(http_fetch(cl, &n), -AB_E_NETWORK);
	assert_non_null(strstr(n.err.msg.buf, "HTTP 404"));
	assert_int_equal(n.attempts, 1);
	http_req_release(&n);
	/* nothing listens on port 1 */
	struct http_req c = { .url = "http://u:secret@127.0.0.1:1/simple/" };
	assert_int_equal(http_fetch(cl, &c), -AB_E_NETWORK);
	assert_non_null(strstr(c.err.msg.buf, "cannot fetch 'http://u:****@127.0.0.1:1/simple/'"));
	assert_null(strstr(c.err.msg.buf, "secret"));
	assert_int_equal(c.attempts, 3);
	http_req_release(&c);
	http_client_free(cl);
}

static size_t count_files(const char *root)
{
	char p[512];
	size_t n = 0;
	snprintf(p, sizeof(p), "%s/files/sha256", root);
	DIR *d = opendir(p);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char q[800];
		snprintf(q, sizeof(q), "%s/%s", p, e->d_name);
		DIR *d2 = opendir(q);
		struct dirent *e2;
		while (d2 && (e2 = readdir(d2)))
			n += e2->d_name[0] != '.';
		if (d2)
			closedir(d2);
	}
	closedir(d);
	return n;
}

static void wrong_hash_not_kept(void **state)
{
	struct cache c = CACHE_INIT;
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/badhash", cdir);
	assert_int_equal(cache_open(&c, sub, false, NULL), 0);
	char want[65];
	file_sha256(WHEEL, want);
	struct http_client *cl = client(1);
	struct http_req r = { .url = url("/f/badhash/" WHEEL),
			      .expect_sha256 = want,
			      .to_cache = &c };
	assert_int_equal(http_fetch(cl, &r), -AB_E_HASH);
	assert_non_null(strstr(r.err.msg.buf, "hash mismatch for '"));
	assert_non_null(strstr(r.err.msg.buf, want));
	assert_int_equal(count_files(c.root), 0);
	http_req_release(&r);
	/* the good one is kept, at its content address */
	struct http_req g = { .url = url("/" WHEEL), .expect_sha256 = want, .to_cache = &c };
	assert_int_equal(http_fetch(cl, &g), 0);
	assert_non_null(strstr(g.path.buf, want + 2));
	assert_int_equal(count_files(c.root), 1);
	http_req_release(&g);
	http_client_free(cl);
	cache_release(&c);
}

static void auth(void **state)
{
	struct http_client *cl = client(0);
	struct http_req r = { .url = url("/f/auth/simple/flask/") };
	assert_int_equal(http_fetch(cl, &r), -AB_E_NETWORK);
	assert_non_null(strstr(r.err.msg.buf, "HTTP 401"));
	http_req_release(&r);
	char u[300];
	snprintf(u, sizeof(u), "http://u:p@127.0.0.1:%d/f/auth/simple/flask/", srv.port);
	struct http_req ok = { .url = u };
	assert_int_equal(http_fetch(cl, &ok), 0);
	http_req_release(&ok);
	snprintf(u, sizeof(u), "http://u:wrong@127.0.0.1:%d/f/auth/simple/flask/", srv.port);
	struct http_req bad = { .url = u };
	assert_int_equal(http_fetch(cl, &bad), -AB_E_NETWORK);
	assert_null(strstr(bad.err.msg.buf, "wrong"));
	assert_non_null(strstr(bad.err.msg.buf, "http://u:****@"));
	http_req_release(&bad);
	http_client_free(cl);
	/* ~/.netrc */
	char home[300], netrc[400];
	snprintf(home, sizeof(home), "%s/home", cdir);
	mkdir(home, 0700);
	snprintf(netrc, sizeof(netrc), "%s/.netrc", home);
	FILE *f = fopen(netrc, "w");
	fprintf(f, "machine 127.0.0.1 login u password p\n");
	fclose(f);
	chmod(netrc, 0600);
	char *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", home, 1);
	cl = client(0);
	struct http_req n = { .url = url("/f/auth/simple/flask/") };
	assert_int_equal(http_fetch(cl, &n), 0);
	http_req_release(&n);
	http_client_free(cl);
	if (old)
		setenv("HOME", old, 1);
	free(old);
}

static void ranges(void **state)
{
	char p[4400];
	snprintf(p, sizeof(p), "%s/pyindex/" WHEEL, shared);
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	unsigned char head[30], tail[22];
	fseek(f, 10, SEEK_SET);
	assert_int_equal(fread(head, 1, 20, f), 20);
	fseek(f, size - 22, SEEK_SET);
	assert_int_equal(fread(tail, 1, 22, f), 22);
	fclose(f);
	struct http_client *cl = client(0);
	struct http_req r = { .url = url("/" WHEEL), .range_start = 10, .range_len = 20 };
	assert_int_equal(http_fetch(cl, &r), 0);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.range_total, size);
	assert_int_equal(r.body.len, 20);
	assert_memory_equal(r.body.buf, head, 20);
	http_req_release(&r);
	struct http_req s = { .url = url("/" WHEEL), .range_start = -1, .range_len = 22 };
	assert_int_equal(http_fetch(cl, &s), 0);
	assert_int_equal(s.status, 206);
	assert_memory_equal(s.body.buf, tail, 22);
	http_req_release(&s);
	/* a server without ranges answers 200 with everything */
	struct http_req n = { .url = url("/f/norange/" WHEEL), .range_start = 10, .range_len = 20 };
	assert_int_equal(http_fetch(cl, &n), 0);
	assert_int_equal(n.status, 200);
	assert_int_equal(n.body.len, (size_t)size);
	http_req_release(&n);
	/* file:// */
	char fu[4500];
	snprintf(fu, sizeof(fu), "file://%s", p);
	struct http_req fr = { .url = fu, .range_start = 10, .range_len = 20 };
	assert_int_equal(http_fetch(cl, &fr), 0);
	assert_int_equal(fr.body.len, 20);
	assert_memory_equal(fr.body.buf, head, 20);
	http_req_release(&fr);
	struct http_req ff = { .url = fu };
	assert_int_equal(http_fetch(cl, &ff), 0);
	assert_int_equal(ff.status, 200);
	assert_int_equal(ff.body.len, (size_t)size);
	http_req_release(&ff);
	snprintf(fu, sizeof(fu), "file://%s/pyindex/files/nope.whl", shared);
	struct http_req fm = { .url = fu };
	assert_int_equal(http_fetch(cl, &fm), -AB_E_NETWORK);
	assert_non_null(strstr(fm.err.msg.buf, "nope.whl"));
	http_req_release(&fm);
	http_client_free(cl);
}

struct many {
	int ok, bad;
};

static void many_done(struct http_req *r, void *data)
{
	struct many *m = data;
	if (r->result == 0)
		m->ok++;
	else
		m->bad++;
}

/* Every PEP 658 sidecar of the index at once, verified against the pages. */
static void many_in_parallel(void **state)
{
	char p[4400];
	snprintf(p, sizeof(p), "%s/pyindex/simple", shared);
	DIR *d = opendir(p);
	assert_non_null(d);
	struct dirent *e;
	struct simple_page pages[256];
	size_t np = 0;
	struct http_req *reqs = calloc(1024, sizeof(*reqs));
	size_t nr = 0;
	struct many m = { 0 };
	struct cache c = CACHE_INIT;
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/many", cdir);
	assert_int_equal(cache_open(&c, sub, false, NULL), 0);
	struct http_client *cl = client(2);
	while ((e = readdir(d)) && np < 256) {
		if (e->d_name[0] == '.' || strchr(e->d_name, '.'))
			continue;
		char f[8192];
		snprintf(f, sizeof(f), "%s/%s/index.json", p, e->d_name);
		struct ab_buf b = AB_BUF_INIT;
		FILE *fp = fopen(f, "rb");
		char tmp[8192];
		size_t n;
		while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
			ab_buf_add(&b, tmp, n);
		fclose(fp);
		char pu[1024];
		snprintf(pu, sizeof(pu), "%s/simple/%s/", srv.base, e->d_name);
		pages[np] = (struct simple_page)SIMPLE_PAGE_INIT;
		assert_int_equal(simple_json_parse_page(ab_buf_str(&b), pu, &pages[np], NULL), 0);
		ab_buf_release(&b);
		for (size_t i = 0; i < pages[np].nfiles; i++) {
			const struct simple_file *sf = &pages[np].files[i];
			if (!sf->has_metadata)
				continue;
			struct http_req *r = &reqs[nr++];
			char *mu = malloc(strlen(sf->url) + 10);
			sprintf(mu, "%s.metadata", sf->url);
			r->url = mu;
			r->expect_sha256 = sf->metadata_hash.hex;
			r->to_cache = &c;
			r->done = many_done;
			r->data = &m;
			http_submit(cl, r);
		}
		np++;
	}
	closedir(d);
	assert_int_equal(http_run(cl), 0);
	assert_int_equal(m.ok, (int)nr);
	assert_true(nr >= 180);
	const struct http_stats *st = http_client_stats(cl);
	assert_int_equal(st->requests, nr);
	assert_true(st->bytes > 0);
	assert_int_equal(count_files(c.root), nr);
	for (size_t i = 0; i < nr; i++) {
		free((char *)reqs[i].url);
		http_req_release(&reqs[i]);
	}
	for (size_t i = 0; i < np; i++)
		simple_page_release(&pages[i]);
	free(reqs);
	http_client_free(cl);
	cache_release(&c);
}

static void redact(void **state)
{
	static const char *cases[][2] = {
		{ "https://u:pw@h/x", "https://u:****@h/x" },
		{ "https://u@h/x", "https://u@h/x" },
		{ "https://h/x@y:z", "https://h/x@y:z" },
		{ "https://a:b@c:d@h:8080/", "https://a:****@h:8080/" },
		{ "file:///a:b@c", "file:///a:b@c" },
		{ "not a url", "not a url" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ab_buf b = AB_BUF_INIT;
		http_redact_url(cases[i][0], &b);
		assert_string_equal(b.buf, cases[i][1]);
		ab_buf_release(&b);
	}
}

/* -v logs one line per attempt; the progress hook of struct ab_out gets
 * running totals and a final report */
struct seen {
	struct ab_buf log;
	unsigned reports, finals;
	struct ab_progress last;
};

static void seen_emit(struct ab_out *out, enum ab_out_level lvl, const struct ab_loc *loc,
		      const char *msg)
{
	struct seen *s = out->data;
	ab_buf_addf(&s->log, "%s\n", msg);
}

static void seen_progress(struct ab_out *out, const struct ab_progress *p)
{
	struct seen *s = out->data;
	s->reports++;
	s->finals += p->final;
	s->last = *p;
}

static void logs_and_progress(void **state)
{
	struct seen s = { AB_BUF_INIT, 0, 0, { 0 } };
	struct ab_out out = { AB_OUT_DEBUG, seen_emit, &s, seen_progress };
	struct http_opts o = { .jobs = 4, .retries = 2, .backoff_ms = 10, .out = &out };
	struct http_client *cl = http_client_new(&o, NULL);
	assert_non_null(cl);
	struct http_req a = { .url = url("/simple/six/") };
	assert_int_equal(http_fetch(cl, &a), 0);
	char *etag = strdup(a.etag);
	struct http_req b = { .url = url("/f/500x1/simple/six/") };
	struct http_req c = { .url = url("/simple/six/"), .if_none_match = etag };
	struct http_req d = { .url = url("/simple/no-such-project/") };
	http_submit(cl, &b);
	http_submit(cl, &c);
	http_submit(cl, &d);
	assert_int_equal(http_run(cl), 1);
	char want[512];
	snprintf(want, sizeof(want), "GET %s/simple/six/: 200, 598 bytes, ", srv.base);
	assert_non_null(strstr(s.log.buf, want));
	snprintf(want, sizeof(want), "GET %s/f/500x1/simple/six/: 500, ", srv.base);
	assert_non_null(strstr(s.log.buf, want));
	snprintf(want, sizeof(want), "GET %s/f/500x1/simple/six/: 200, 598 bytes, ", srv.base);
	assert_non_null(strstr(s.log.buf, want));
	assert_non_null(strstr(s.log.buf, " ms, attempt 2\n"));
	snprintf(want, sizeof(want), "GET %s/simple/six/: 304, 0 bytes, ", srv.base);
	assert_non_null(strstr(s.log.buf, want));
	assert_non_null(strstr(s.log.buf, " ms, revalidated\n"));
	snprintf(want, sizeof(want), "GET %s/simple/no-such-project/: 404, ", srv.base);
	assert_non_null(strstr(s.log.buf, want));
	/* two runs: two final reports; totals over the client's life */
	assert_int_equal(s.finals, 2);
	assert_true(s.reports >= 2);
	assert_int_equal(s.last.done, 4);
	assert_int_equal(s.last.total, 4);
	assert_int_equal(s.last.failed, 1);
	assert_true(s.last.final);
	assert_true(s.last.bytes >= 2 * 598);
	/* below debug: no log lines */
	ab_buf_reset(&s.log);
	out.verbosity = AB_OUT_INFO;
	struct http_req e = { .url = url("/simple/six/") };
	assert_int_equal(http_fetch(cl, &e), 0);
	assert_int_equal(s.log.len, 0);
	free(etag);
	http_req_release(&a);
	http_req_release(&b);
	http_req_release(&c);
	http_req_release(&d);
	http_req_release(&e);
	ab_buf_release(&s.log);
	http_client_free(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redact),
		cmocka_unit_test(plain_get),
		cmocka_unit_test(retry_then_ok),
		cmocka_unit_test(truncated_resumes_with_range),
		cmocka_unit_test(gives_up_with_clear_error),
		cmocka_unit_test(wrong_hash_not_kept),
		cmocka_unit_test(auth),
		cmocka_unit_test(ranges),
		cmocka_unit_test(many_in_parallel),
		cmocka_unit_test(logs_and_progress),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
