/* index_test.c - sources, candidates, metadata (PEP 658 sidecars and zip
 * range requests), the cache and --offline, against tests/server/server.py. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "builder/index.h"
#include "tests/server/server_helper.h"

static struct test_server srv;
static char shared[4096];
static char root[256]; /* served: pyindex -> ../shared/pyindex, links.html */
static char cdir[512];
static int nwheels;

static int rm_one(const char *p, const struct stat *st, int fl, struct FTW *f)
{
	return remove(p) < 0 ? 0 : 0;
}

static int group_setup(void **state)
{
	const char *s = getenv("SHARED");
	if (!realpath(s && *s ? s : "../shared", shared))
		return -1;
	snprintf(root, sizeof(root), "/tmp/index_test-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	char p[4500], q[4500];
	snprintf(p, sizeof(p), "%s/pyindex", shared);
	snprintf(q, sizeof(q), "%s/pyindex", root);
	if (symlink(p, q) < 0)
		return -1;
	/* a find-links page without PEP 658 attributes: metadata must come
	 * from the wheels themselves */
	snprintf(q, sizeof(q), "%s/links.html", root);
	FILE *f = fopen(q, "w");
	snprintf(p, sizeof(p), "%s/pyindex/files", shared);
	DIR *d = opendir(p);
	struct dirent *e;
	fprintf(f, "<html><body>\n");
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".whl")) {
			fprintf(f, "<a href=\"pyindex/files/%s\">%s</a>\n", e->d_name, e->d_name);
			nwheels++;
		}
	}
	closedir(d);
	fprintf(f, "</body></html>\n");
	fclose(f);
	return test_server_start(&srv, root);
}

static int group_teardown(void **state)
{
	test_server_stop(&srv);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int setup(void **state)
{
	snprintf(cdir, sizeof(cdir), "%s/cache", root);
	nftw(cdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static const char *no_env(const char *name)
{
	return NULL;
}

struct fixture {
	struct cache cache;
	struct http_client *http;
	struct index_sources src;
	struct index *ix;
};

static void open_ix(struct fixture *fx, const char *index_url, const char *find_links, bool offline)
{
	memset(fx, 0, sizeof(*fx));
	assert_int_equal(cache_open(&fx->cache, cdir, false, NULL), 0);
	struct http_opts o = { 0 };
	o.jobs = 16;
	o.retries = 2;
	o.backoff_ms = 10;
	o.stall_timeout_s = 2;
	fx->http = http_client_new(&o, NULL);
	const char *fl[1] = { find_links };
	struct index_layer cli = { 0 };
	cli.index_url = index_url;
	cli.no_index = index_url == NULL;
	cli.find_links = fl;
	cli.nfind_links = find_links ? 1 : 0;
	assert_int_equal(index_sources_resolve(&fx->src, &cli, NULL, no_env, NULL), 0);
	fx->ix = index_new(&fx->src, &fx->cache, fx->http, offline, NULL);
}

static void close_ix(struct fixture *fx)
{
	index_free(fx->ix);
	index_sources_release(&fx->src);
	http_client_free(fx->http);
	cache_release(&fx->cache);
}

static char *url(const char *path)
{
	static char u[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(u[k], sizeof(u[k]), "%s%s", srv.base, path);
	return u[k];
}

static long stat_of(const char *key)
{
	struct http_client *cl = http_client_new(NULL, NULL);
	struct http_req r = { .url = url("/_stats") };
	assert_int_equal(http_fetch(cl, &r), 0);
	const char *p = strstr(r.body.buf, key);
	long v = p ? strtol(p + strlen(key) + 3, NULL, 10) : -1;
	http_req_release(&r);
	http_client_free(cl);
	return v;
}

static const char *fake_env(const char *name)
{
	static const char *vars[][2] = {
		{ "PIP_INDEX_URL", "https://pip.example/simple" },
		{ "APPBUILD_EXTRA_INDEX_URL",
		  "https://e1.example/simple  https://e2.example/simple" },
		{ "PIP_EXTRA_INDEX_URL", "https://ignored.example/" },
		{ "PIP_FIND_LINKS", "/wheels" },
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (!strcmp(vars[i][0], name))
			return vars[i][1];
	return NULL;
}

static void sources_precedence(void **state)
{
	struct index_sources s;
	const char *fe[] = { "https://e1.example/simple", "https://e3.example/simple" };
	const char *fl[] = { "dist" };
	struct index_layer cli = { .index_url = "https://cli.example/simple" };
	struct index_layer req = { .index_url = "https://req.example/simple",
				   .extra_index_urls = fe,
				   .nextra = 2,
				   .find_links = fl,
				   .nfind_links = 1 };
	/* the command line beats the environment beats the file */
	assert_int_equal(index_sources_resolve(&s, &cli, &req, fake_env, NULL), 0);
	assert_string_equal(s.index_url, "https://cli.example/simple");
	assert_int_equal(s.nextra, 3);
	assert_string_equal(s.extra[0], "https://e1.example/simple");
	assert_string_equal(s.extra[1], "https://e2.example/simple");
	assert_string_equal(s.extra[2], "https://e3.example/simple");
	assert_int_equal(s.nfind_links, 2);
	assert_string_equal(s.find_links[0], "file:///wheels");
	assert_non_null(strstr(s.find_links[1], "/dist"));
	assert_true(!strncmp(s.find_links[1], "file:///", 8));
	index_sources_release(&s);
	assert_int_equal(index_sources_resolve(&s, NULL, &req, fake_env, NULL), 0);
	assert_string_equal(s.index_url, "https://pip.example/simple");
	index_sources_release(&s);
	assert_int_equal(index_sources_resolve(&s, NULL, &req, no_env, NULL), 0);
	assert_string_equal(s.index_url, "https://req.example/simple");
	index_sources_release(&s);
	assert_int_equal(index_sources_resolve(&s, NULL, NULL, no_env, NULL), 0);
	assert_string_equal(s.index_url, INDEX_DEFAULT_URL);
	index_sources_release(&s);
	req.no_index = true;
	assert_int_equal(index_sources_resolve(&s, &cli, &req, fake_env, NULL), 0);
	assert_null(s.index_url);
	assert_int_equal(s.nextra, 0);
	assert_int_equal(s.nfind_links, 2);
	index_sources_release(&s);
}

static void check_flask(const struct index_candidate *c, size_t n, bool hashes)
{
	assert_int_equal(n, 1);
	assert_string_equal(c[0].project, "flask");
	assert_string_equal(c[0].filename, "flask-2.2.2-py3-none-any.whl");
	assert_string_equal(c[0].version->str, "2.2.2");
	assert_true(c[0].wheel);
	assert_int_equal(c[0].tags.n, 1);
	assert_string_equal(c[0].tags.tags[0].platform, "any");
	assert_false(c[0].yanked);
	if (hashes) {
		assert_string_equal(c[0].requires_python, ">=3.7");
		assert_string_equal(
			c[0].sha256,
			"7521af2851577a0a7d8dcc8fac876d6af81497eb74093153c6da6cc94c931dff");
		assert_true(c[0].has_metadata);
		assert_string_equal(
			c[0].metadata_sha256,
			"293974565f50a6d3876f58d5da33b77a455348f15511397d9ef1c5da31c8a139");
	}
}

static void candidates_every_source(void **state)
{
	char fileidx[4600], filedir[4600];
	snprintf(fileidx, sizeof(fileidx), "file://%s/pyindex/simple", shared);
	snprintf(filedir, sizeof(filedir), "%s/pyindex/files", shared);
	struct {
		const char *index, *fl;
		bool hashes;
	} cases[] = {
		{ url("/pyindex/simple/"), NULL, true },	 /* HTML over HTTP */
		{ url("/f/pep691/pyindex/simple"), NULL, true }, /* negotiated JSON */
		{ fileidx, NULL, true },			 /* file:// index */
		{ NULL, filedir, false },			 /* find-links directory */
		{ NULL, url("/links.html"), false },		 /* find-links page */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture fx;
		const struct index_candidate *c;
		size_t n;
		struct ab_err err = AB_ERR_INIT;
		open_ix(&fx, cases[i].index, cases[i].fl, false);
		if (index_candidates(fx.ix, "Flask", &c, &n, &err) < 0)
			fail_msg("case %zu: %s", i, err.msg.buf);
		check_flask(c, n, cases[i].hashes);
		/* an sdist next to a wheel: newest first, wheel first (links.html
		 * lists wheels only) */
		assert_int_equal(index_candidates(fx.ix, "jinja2", &c, &n, &err), 0);
		if (cases[i].fl && strstr(cases[i].fl, "links.html"))
			n++;
		else
			assert_string_equal(c[1].filename, "jinja2-3.1.2.tar.gz");
		assert_int_equal(n, 2);
		assert_true(c[0].wheel);
		/* unknown project: nothing, no error */
		assert_int_equal(index_candidates(fx.ix, "no-such-thing", &c, &n, &err), 0);
		assert_int_equal(n, 0);
		close_ix(&fx);
		ab_err_release(&err);
	}
}

static void read_sidecar(const char *filename, struct ab_buf *out)
{
	char p[4600];
	snprintf(p, sizeof(p), "%s/pyindex/files/%s.metadata", shared, filename);
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		ab_buf_add(out, tmp, n);
	fclose(f);
}

/* Every wheel's METADATA read over the find-links page: range requests
 * (or, with norange, whole wheels), identical to the PEP 658 sidecars. */
static void metadata_all(const char *links, bool ranges)
{
	struct fixture fx;
	struct ab_err err = AB_ERR_INIT;
	open_ix(&fx, NULL, links, false);
	const struct index_candidate *all[512];
	size_t nall = 0;
	char p[4600];
	snprintf(p, sizeof(p), "%s/pyindex/files", shared);
	DIR *d = opendir(p);
	struct dirent *e;
	const char *names[512];
	size_t nn = 0;
	while ((e = readdir(d)) && nn < 512) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".whl"))
			names[nn++] = strdup(e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < nn; i++) {
		char *dash = strchr(names[i], '-');
		char *proj = strndup(names[i], (size_t)(dash - names[i]));
		index_prefetch_project(fx.ix, proj);
		free(proj);
	}
	index_wait(fx.ix);
	for (size_t i = 0; i < nn; i++) {
		char *dash = strchr(names[i], '-');
		char *proj = strndup(names[i], (size_t)(dash - names[i]));
		const struct index_candidate *c;
		size_t n;
		assert_int_equal(index_candidates(fx.ix, proj, &c, &n, &err), 0);
		for (size_t k = 0; k < n; k++)
			if (!strcmp(c[k].filename, names[i])) {
				all[nall++] = &c[k];
				index_prefetch_metadata(fx.ix, &c[k]);
			}
		free(proj);
	}
	assert_int_equal(nall, nn);
	long before = stat_of("206");
	index_wait(fx.ix);
	long ranged = stat_of("206") - before;
	if (ranges)
		assert_true(ranged >= (long)nall);
	else
		assert_int_equal(ranged, 0);
	for (size_t i = 0; i < nall; i++) {
		struct ab_str md;
		struct ab_buf want = AB_BUF_INIT;
		if (index_metadata(fx.ix, all[i], &md, &err) < 0)
			fail_msg("%s: %s", all[i]->filename, err.msg.buf);
		read_sidecar(all[i]->filename, &want);
		assert_int_equal(md.len, want.len);
		assert_memory_equal(md.ptr, want.buf, md.len);
		ab_buf_release(&want);
	}
	for (size_t i = 0; i < nn; i++)
		free((char *)names[i]);
	close_ix(&fx);
	ab_err_release(&err);
}

static void metadata_by_ranges(void **state)
{
	metadata_all(url("/links.html"), true);
}

static void metadata_without_ranges(void **state)
{
	metadata_all(url("/f/norange/links.html"), false);
}

static void metadata_sidecar_and_cache(void **state)
{
	struct fixture fx;
	struct ab_err err = AB_ERR_INIT;
	const struct index_candidate *c;
	size_t n;
	struct ab_str md;
	struct ab_buf want = AB_BUF_INIT;
	read_sidecar("flask-2.2.2-py3-none-any.whl", &want);
	/* offline with a cold cache: precise error */
	open_ix(&fx, url("/pyindex/simple/"), NULL, true);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), -AB_E_NETWORK);
	char msg[600];
	snprintf(msg, sizeof(msg), "offline: '%s' is not in the cache",
		 url("/pyindex/simple/flask/"));
	assert_string_equal(err.msg.buf, msg);
	close_ix(&fx);
	ab_err_clear(&err);
	/* online: fills the cache */
	open_ix(&fx, url("/pyindex/simple/"), NULL, false);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	assert_int_equal(index_metadata(fx.ix, &c[0], &md, &err), 0);
	assert_int_equal(md.len, want.len);
	assert_memory_equal(md.ptr, want.buf, md.len);
	close_ix(&fx);
	/* again: the page is revalidated (304), the metadata comes from the cache */
	long r304 = stat_of("304"), reqs = stat_of("requests");
	open_ix(&fx, url("/pyindex/simple/"), NULL, false);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	assert_int_equal(index_metadata(fx.ix, &c[0], &md, &err), 0);
	assert_int_equal(md.len, want.len);
	close_ix(&fx);
	assert_int_equal(stat_of("304"), r304 + 1);
	assert_int_equal(stat_of("requests"),
			 reqs + 1); /* the page only (/_stats is not counted) */
	/* offline with a warm cache */
	open_ix(&fx, url("/pyindex/simple/"), NULL, true);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	assert_int_equal(index_metadata(fx.ix, &c[0], &md, &err), 0);
	assert_memory_equal(md.ptr, want.buf, md.len);
	close_ix(&fx);
	/* an sdist has no metadata without a build */
	open_ix(&fx, url("/pyindex/simple/"), NULL, false);
	assert_int_equal(index_candidates(fx.ix, "jinja2", &c, &n, &err), 0);
	assert_int_equal(index_metadata(fx.ix, &c[1], &md, &err), -AB_E_UNSUPPORTED);
	assert_string_equal(err.msg.buf, "an sdist's metadata needs a build");
	close_ix(&fx);
	ab_buf_release(&want);
	ab_err_release(&err);
}

/* a find-links directory: the wheel is read whole from disk */
static void metadata_from_directory(void **state)
{
	struct fixture fx;
	struct ab_err err = AB_ERR_INIT;
	const struct index_candidate *c;
	size_t n;
	struct ab_str md;
	struct ab_buf want = AB_BUF_INIT;
	char dir[4600];
	snprintf(dir, sizeof(dir), "%s/pyindex/files", shared);
	read_sidecar("flask-2.2.2-py3-none-any.whl", &want);
	open_ix(&fx, NULL, dir, false);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	assert_false(c[0].has_metadata);
	assert_null(c[0].sha256);
	assert_int_equal(index_metadata(fx.ix, &c[0], &md, &err), 0);
	assert_int_equal(md.len, want.len);
	assert_memory_equal(md.ptr, want.buf, md.len);
	close_ix(&fx);
	/* and from the cache when offline */
	open_ix(&fx, NULL, dir, true);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	assert_int_equal(index_metadata(fx.ix, &c[0], &md, &err), 0);
	assert_int_equal(md.len, want.len);
	close_ix(&fx);
	ab_buf_release(&want);
	ab_err_release(&err);
}

/* Cache-Control: max-age=600: the second run asks nothing */
static void fresh_pages_not_revalidated(void **state)
{
	struct fixture fx;
	struct ab_err err = AB_ERR_INIT;
	const struct index_candidate *c;
	size_t n;
	open_ix(&fx, url("/f/cc600/pyindex/simple/"), NULL, false);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	close_ix(&fx);
	long reqs = stat_of("requests");
	open_ix(&fx, url("/f/cc600/pyindex/simple/"), NULL, false);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	assert_int_equal(n, 1);
	close_ix(&fx);
	assert_int_equal(stat_of("requests"), reqs);
	ab_err_release(&err);
}

/* the metadata is queued as the page arrives: nothing is left to fetch
 * once index_wait() returns */
static void prefetch_version(void **state)
{
	struct fixture fx;
	struct ab_err err = AB_ERR_INIT;
	const struct index_candidate *c;
	size_t n;
	struct ab_str md;
	open_ix(&fx, url("/pyindex/simple/"), NULL, false);
	struct pep440_version *v = pep440_version_new("2.2.2");
	index_prefetch_version(fx.ix, "Flask", v);
	pep440_version_free(v);
	index_wait(fx.ix);
	long reqs = stat_of("requests");
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	assert_int_equal(index_metadata(fx.ix, &c[0], &md, &err), 0);
	assert_int_equal(stat_of("requests"), reqs);
	assert_non_null(strstr(md.ptr, "Name: Flask"));
	close_ix(&fx);
	ab_err_release(&err);
}

static void fetch_files(void **state)
{
	struct fixture fx;
	struct ab_err err = AB_ERR_INIT;
	const struct index_candidate *c;
	size_t n;
	struct ab_buf path = AB_BUF_INIT;
	open_ix(&fx, url("/f/badhash/pyindex/simple/"), NULL, false);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	assert_int_equal(index_fetch_file(fx.ix, &c[0], NULL, 0, &path, &err), -AB_E_HASH);
	assert_non_null(strstr(err.msg.buf, "hash mismatch for '"));
	assert_int_equal(path.len, 0);
	close_ix(&fx);
	ab_err_clear(&err);
	open_ix(&fx, url("/pyindex/simple/"), NULL, false);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	const char *other[] = {
		"0000000000000000000000000000000000000000000000000000000000000000"
	};
	assert_int_equal(index_fetch_file(fx.ix, &c[0], other, 1, &path, &err), -AB_E_HASH);
	assert_non_null(strstr(err.msg.buf, "matches none of the required hashes"));
	ab_err_clear(&err);
	const char *good[] = { other[0], c[0].sha256 };
	assert_int_equal(index_fetch_file(fx.ix, &c[0], good, 2, &path, &err), 0);
	char hex[65];
	assert_int_equal(cache_sha256_file(path.buf, hex, NULL), 0);
	assert_string_equal(hex, c[0].sha256);
	close_ix(&fx);
	ab_buf_release(&path);
	ab_err_release(&err);
}

static void one_source_down(void **state)
{
	struct fixture fx;
	struct ab_err err = AB_ERR_INIT;
	const struct index_candidate *c;
	size_t n;
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(cache_open(&fx.cache, cdir, false, NULL), 0);
	struct http_opts o = { .retries = 1, .backoff_ms = 5 };
	fx.http = http_client_new(&o, NULL);
	const char *extra[] = { url("/f/500x99/pyindex/simple/") };
	struct index_layer cli = { .index_url = url("/pyindex/simple/"),
				   .extra_index_urls = extra,
				   .nextra = 1 };
	assert_int_equal(index_sources_resolve(&fx.src, &cli, NULL, no_env, NULL), 0);
	fx.ix = index_new(&fx.src, &fx.cache, fx.http, false, NULL);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), 0);
	assert_int_equal(n, 1);
	close_ix(&fx);
	/* all down: the error names the URL */
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(cache_open(&fx.cache, cdir, false, NULL), 0);
	fx.http = http_client_new(&o, NULL);
	struct index_layer down = { .index_url = extra[0] };
	assert_int_equal(index_sources_resolve(&fx.src, &down, NULL, no_env, NULL), 0);
	fx.ix = index_new(&fx.src, &fx.cache, fx.http, false, NULL);
	assert_int_equal(index_candidates(fx.ix, "flask", &c, &n, &err), -AB_E_NETWORK);
	assert_non_null(strstr(err.msg.buf, "/f/500x99/pyindex/simple/flask/': HTTP 500"));
	close_ix(&fx);
	ab_err_release(&err);
}

static int bad_entries, good_entries;

/* files/sha256/ab/cdef... must hash to ab cdef...; http/... entries must
 * carry the sha256 of their body in their header line */
static int verify_entry(const char *p, const struct stat *st, int fl, struct FTW *f)
{
	if (fl != FTW_F)
		return 0;
	const char *files = strstr(p, "/files/sha256/");
	const char *http = strstr(p, "/http/");
	char hex[65];
	if (files) {
		char want[65];
		snprintf(want, sizeof(want), "%.2s%s", files + 14, files + 17);
		if (cache_sha256_file(p, hex, NULL) < 0 || strcmp(hex, want))
			bad_entries++;
		else
			good_entries++;
	} else if (http) {
		FILE *fp = fopen(p, "rb");
		struct ab_buf b = AB_BUF_INIT;
		char tmp[65536];
		size_t n;
		while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
			ab_buf_add(&b, tmp, n);
		fclose(fp);
		char *nl = memchr(b.buf, '\n', b.len);
		const char *h = nl ? strstr(b.buf, "\"sha256\":\"") : NULL;
		if (!nl || !h || h > nl) {
			bad_entries++;
		} else {
			cache_sha256_hex(nl + 1, b.len - (size_t)(nl + 1 - b.buf), hex);
			if (strncmp(h + 10, hex, 64))
				bad_entries++;
			else
				good_entries++;
		}
		ab_buf_release(&b);
	}
	return 0;
}

/* 4 processes fill one cache at once (pages, sidecars, range-read
 * metadata, files); every entry verifies afterwards and a fifth run is
 * served by the cache alone (--offline). */
static void four_processes_one_cache(void **state)
{
	pid_t pids[4];
	for (int k = 0; k < 4; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			struct fixture fx;
			struct ab_err err = AB_ERR_INIT;
			int bad = 0;
			open_ix(&fx, url("/pyindex/simple/"), url("/links.html"), false);
			const struct index_candidate *c;
			size_t n;
			const char *projs[] = { "flask",    "jinja2",	  "django",   "celery",
						"requests", "sqlalchemy", "werkzeug", "lxml",
						"numpy",    "pyyaml" };
			for (size_t i = 0; i < sizeof(projs) / sizeof(projs[0]); i++)
				index_prefetch_project(fx.ix, projs[i]);
			index_wait(fx.ix);
			for (size_t i = 0; i < sizeof(projs) / sizeof(projs[0]); i++) {
				bad |= index_candidates(fx.ix, projs[i], &c, &n, &err) < 0;
				for (size_t j = 0; j < n && !bad; j++)
					if (c[j].wheel)
						index_prefetch_metadata(fx.ix, &c[j]);
			}
			index_wait(fx.ix);
			for (size_t i = 0; i < sizeof(projs) / sizeof(projs[0]) && !bad; i++) {
				bad |= index_candidates(fx.ix, projs[i], &c, &n, &err) < 0;
				for (size_t j = 0; j < n && !bad; j++) {
					struct ab_str md;
					struct ab_buf path = AB_BUF_INIT;
					if (c[j].wheel)
						bad |= index_metadata(fx.ix, &c[j], &md, &err) < 0;
					if (j == 0)
						bad |= index_fetch_file(fx.ix, &c[j], NULL, 0,
									&path, &err) < 0;
					ab_buf_release(&path);
				}
			}
			if (bad)
				fprintf(stderr, "child %d: %s\n", k, err.msg.buf);
			close_ix(&fx);
			ab_err_release(&err);
			_exit(bad);
		}
	}
	for (int k = 0; k < 4; k++) {
		int st;
		assert_int_equal(waitpid(pids[k], &st, 0), pids[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	bad_entries = good_entries = 0;
	nftw(cdir, verify_entry, 16, FTW_PHYS);
	assert_int_equal(bad_entries, 0);
	assert_true(good_entries >= 30);
	struct fixture fx;
	struct ab_err err = AB_ERR_INIT;
	const struct index_candidate *c;
	size_t n;
	struct ab_str md;
	open_ix(&fx, url("/pyindex/simple/"), NULL, true);
	assert_int_equal(index_candidates(fx.ix, "django", &c, &n, &err), 0);
	assert_int_equal(index_metadata(fx.ix, &c[0], &md, &err), 0);
	close_ix(&fx);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sources_precedence),
		cmocka_unit_test_setup(candidates_every_source, setup),
		cmocka_unit_test_setup(metadata_by_ranges, setup),
		cmocka_unit_test_setup(metadata_without_ranges, setup),
		cmocka_unit_test_setup(metadata_sidecar_and_cache, setup),
		cmocka_unit_test_setup(metadata_from_directory, setup),
		cmocka_unit_test_setup(fresh_pages_not_revalidated, setup),
		cmocka_unit_test_setup(prefetch_version, setup),
		cmocka_unit_test_setup(fetch_files, setup),
		cmocka_unit_test_setup(one_source_down, setup),
		cmocka_unit_test_setup(four_processes_one_cache, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
