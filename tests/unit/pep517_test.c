/* pep517_test.c - the hook runner and the builder on projects made here:
 * an in-tree backend (backend-path) that writes its wheels with zipfile,
 * config settings, the prepare_metadata fallback, the cache, a failing
 * backend, a missing one, one loaded from outside backend-path, and build
 * requirements from a find-links directory of sdists: one built first and
 * installed into the isolated environment, a dynamic one, and a cycle. No
 * index server: everything is local files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/cache.h"
#include "builder/http.h"
#include "builder/index.h"
#include "builder/pep517.h"
#include "builder/target.h"
#include "formats/core/out.h"
#include "tests/unit/testutil.h"

/* The in-tree backend. proj.cfg (KEY=VALUE lines) in the project says what
 * to build: name, version, prepare (1: has prepare_metadata_for_build_wheel),
 * fail (a message: build_wheel raises), imports (modules build_wheel must
 * import: build requirements), dynamic (get_requires_for_build_wheel's
 * answer). */
static const char backend_py[] =
	"import base64, hashlib, os, sys, zipfile\n"
	"def _cfg():\n"
	"    d = {}\n"
	"    for line in open('proj.cfg'):\n"
	"        k, _, v = line.strip().partition('=')\n"
	"        d[k] = v\n"
	"    return d\n"
	"def _dist(c):\n"
	"    return '%s-%s' % (c['name'].replace('-', '_'), c['version'])\n"
	"def _meta(c, cs):\n"
	"    s = 'Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n' % (c['name'], c['version'])\n"
	"    if cs:\n"
	"        s += 'Summary: %s\\n' % ','.join('%s=%s' % (k, cs[k]) for k in sorted(cs))\n"
	"    return s\n"
	"def get_requires_for_build_wheel(config_settings=None):\n"
	"    return [x for x in _cfg().get('dynamic', '').split(',') if x]\n"
	"def build_wheel(wd, config_settings=None, metadata_directory=None):\n"
	"    c = _cfg()\n"
	"    print('building', c['name'])\n"
	"    sys.stderr.write('a line on stderr\\n')\n"
	"    if c.get('fail'):\n"
	"        raise RuntimeError(c['fail'])\n"
	"    for m in filter(None, c.get('imports', '').split(',')):\n"
	"        __import__(m)\n"
	"    dist = _dist(c)\n"
	"    fn = dist + '-py3-none-any.whl'\n"
	"    files = {c['name'].replace('-', '_') + '.py': 'VALUE = %r\\n' % c['version'],\n"
	"             dist + '.dist-info/METADATA': _meta(c, config_settings),\n"
	"             dist + '.dist-info/WHEEL': 'Wheel-Version: 1.0\\nGenerator: t\\n'\n"
	"                 'Root-Is-Purelib: true\\nTag: py3-none-any\\n'}\n"
	"    rec = []\n"
	"    with zipfile.ZipFile(os.path.join(wd, fn), 'w') as z:\n"
	"        for n, t in files.items():\n"
	"            b = t.encode()\n"
	"            z.writestr(n, b)\n"
	"            h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=')\n"
	"            rec.append('%s,sha256=%s,%d' % (n, h.decode(), len(b)))\n"
	"        rec.append(dist + '.dist-info/RECORD,,')\n"
	"        z.writestr(dist + '.dist-info/RECORD', '\\n'.join(rec) + '\\n')\n"
	"    return fn\n"
	"def build_editable(wd, config_settings=None, metadata_directory=None):\n"
	"    return build_wheel(wd, config_settings)\n"
	"if _cfg().get('prepare') == '1':\n"
	"    def prepare_metadata_for_build_wheel(md, config_settings=None):\n"
	"        c = _cfg()\n"
	"        di = os.path.join(md, _dist(c) + '.dist-info')\n"
	"        os.makedirs(di)\n"
	"        with open(os.path.join(di, 'METADATA'), 'w') as f:\n"
	"            f.write(_meta(c, config_settings))\n"
	"        return os.path.basename(di)\n";

/* Debian's python3 (make deps installs it): a real executable, where a
 * python3 on PATH may be a pyenv shim that costs a process tree per start */
#define PYTHON "/usr/bin/python3"

static char *tmp;

static int setup(void **state)
{
	tmp = tu_mkdtemp("pep517_test.");
	return 0;
}

static int teardown(void **state)
{
	tu_rmrf(tmp);
	tmp = NULL;
	return 0;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* DIR/NAME with the backend in DIR/NAME/_backend, `requires` the TOML list
 * body, `cfg` the proj.cfg lines. Returns the project directory (static
 * buffer reused by the next call). */
static const char *project(const char *dir, const char *requires, const char *backend,
			   const char *backend_path, const char *cfg)
{
	static char p[1024];
	char path[1200];
	snprintf(p, sizeof(p), "%s", dir);
	tu_sh_ok("mkdir -p '%s/_backend'", p);
	snprintf(path, sizeof(path), "%s/_backend/simple_backend.py", p);
	write_text(path, backend_py);
	snprintf(path, sizeof(path), "%s/pyproject.toml", p);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[build-system]\nrequires = [%s]\nbuild-backend = \"%s\"\n", requires,
		backend);
	if (backend_path)
		fprintf(f, "backend-path = [%s]\n", backend_path);
	fclose(f);
	snprintf(path, sizeof(path), "%s/proj.cfg", p);
	write_text(path, cfg);
	return p;
}

struct fixture {
	struct cache cache;
	struct pep517 *b;
	struct http_client *http;
	struct index *ix;
	struct index_sources src;
	struct target tgt;
	bool have_tgt;
	struct ab_buf host;
	const char *cs[3];
};

/* A builder with a cache in tmp/cache; `links`: a find-links directory
 * (with the target of the host python3), or NULL: no index. */
static void fixture_open(struct fixture *fx, const char *links, size_t ncs)
{
	struct ab_err err = AB_ERR_INIT;
	char dir[1024];
	memset(fx, 0, sizeof(*fx));
	fx->host = (struct ab_buf)AB_BUF_INIT;
	snprintf(dir, sizeof(dir), "%s/cache", tmp);
	assert_int_equal(cache_open(&fx->cache, dir, false, &err), 0);
	struct pep517_opts o;
	memset(&o, 0, sizeof(o));
	o.python = PYTHON;
	o.cache = &fx->cache;
	fx->cs[0] = "color=blue";
	fx->cs[1] = "size=1";
	fx->cs[2] = "size=2";
	o.config_settings = fx->cs;
	o.nconfig_settings = ncs;
	if (links) {
		assert_int_equal(target_host_line(NULL, PYTHON, &fx->host, &err), 0);
		struct target_spec ts = { NULL, NULL, 0, PYTHON, fx->host.buf };
		assert_int_equal(target_init(&fx->tgt, &ts, &err), 0);
		fx->have_tgt = true;
		char url[1100];
		snprintf(url, sizeof(url), "file://%s", links);
		const char *fl[] = { url };
		struct index_layer cli = { NULL, NULL, 0, fl, 1, true };
		assert_int_equal(index_sources_resolve(&fx->src, &cli, NULL, NULL, &err), 0);
		struct http_opts ho;
		memset(&ho, 0, sizeof(ho));
		fx->http = http_client_new(&ho, &err);
		assert_non_null(fx->http);
		fx->ix = index_new(&fx->src, &fx->cache, fx->http, false, NULL);
		o.ix = fx->ix;
		o.tgt = &fx->tgt;
	}
	/* the interpreter's description is cached first, so the tests can
	 * count what a build adds to the cache */
	struct ab_buf line = AB_BUF_INIT;
	assert_int_equal(target_host_line(&fx->cache, PYTHON, &line, &err), 0);
	ab_buf_release(&line);
	fx->b = pep517_new(&o);
	ab_err_release(&err);
}

static void fixture_close(struct fixture *fx)
{
	pep517_free(fx->b);
	if (fx->ix) {
		index_free(fx->ix);
		http_client_free(fx->http);
		index_sources_release(&fx->src);
	}
	if (fx->have_tgt)
		target_release(&fx->tgt);
	cache_release(&fx->cache);
	ab_buf_release(&fx->host);
}

static void expect_ok(int r, struct ab_err *err)
{
	if (r < 0) {
		struct ab_buf b = AB_BUF_INIT;
		ab_err_format(err, &b);
		fail_msg("unexpected error: %s\n%s", b.buf, err->notes.buf);
	}
}

static void test_in_tree_backend(void **state)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/proj", tmp);
	project(dir, "", "simple_backend", "\"_backend\"",
		"name=Demo-Pkg\nversion=1.0\nprepare=1\n");
	struct fixture fx;
	fixture_open(&fx, NULL, 3);
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf md = AB_BUF_INIT;
	struct pep517_source s = { dir, "key-1", "demo_pkg", "1.0" };

	/* isolated with no requirements: an empty environment, no index */
	expect_ok(pep517_metadata(fx.b, &s, &md, &err), &err);
	tu_expect_contains(&md, "Name: Demo-Pkg\n");
	/* config settings: a key given twice is a list (pip 23.1+) */
	tu_expect_contains(&md, "Summary: color=blue,size=['1', '2']\n");
	struct pep517_stats st;
	pep517_get_stats(fx.b, &st);
	assert_int_equal(st.envs, 1);
	assert_int_equal(st.backend_runs, 2); /* get_requires + prepare_metadata */

	struct pep517_wheel w = PEP517_WHEEL_INIT;
	expect_ok(pep517_wheel(fx.b, &s, &w, &err), &err);
	assert_string_equal(w.filename, "Demo_Pkg-1.0-py3-none-any.whl");
	assert_false(w.cached);
	char sha[65];
	expect_ok(cache_sha256_file(w.path, sha, &err), &err);
	assert_string_equal(sha, w.sha256);
	pep517_wheel_release(&w);
	fixture_close(&fx);

	/* a new builder on the same cache: both answered without a backend */
	fixture_open(&fx, NULL, 3);
	ab_buf_reset(&md);
	expect_ok(pep517_metadata(fx.b, &s, &md, &err), &err);
	tu_expect_contains(&md, "Name: Demo-Pkg\n");
	expect_ok(pep517_wheel(fx.b, &s, &w, &err), &err);
	assert_true(w.cached);
	pep517_get_stats(fx.b, &st);
	assert_int_equal(st.backend_runs, 0);
	assert_int_equal(st.cache_hits, 2);
	assert_int_equal(st.envs, 0);
	pep517_wheel_release(&w);
	fixture_close(&fx);

	/* other config settings: another key, a new build */
	fixture_open(&fx, NULL, 1);
	expect_ok(pep517_wheel(fx.b, &s, &w, &err), &err);
	assert_false(w.cached);
	pep517_wheel_release(&w);
	/* no key: never cached */
	struct pep517_source nokey = { dir, NULL, NULL, NULL };
	expect_ok(pep517_wheel(fx.b, &nokey, &w, &err), &err);
	assert_false(w.cached);
	pep517_wheel_release(&w);
	expect_ok(pep517_wheel(fx.b, &nokey, &w, &err), &err);
	assert_false(w.cached);
	pep517_wheel_release(&w);
	/* PEP 660 */
	expect_ok(pep517_editable(fx.b, &nokey, &w, &err), &err);
	assert_string_equal(w.filename, "Demo_Pkg-1.0-py3-none-any.whl");
	pep517_wheel_release(&w);
	fixture_close(&fx);
	ab_buf_release(&md);
	ab_err_release(&err);
}

/* Without prepare_metadata_for_build_wheel the runner builds the wheel and
 * reads its .dist-info; that wheel is kept. */
static void test_metadata_fallback(void **state)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/fb", tmp);
	project(dir, "", "simple_backend", "\"_backend\"", "name=fb\nversion=2.0\n");
	struct fixture fx;
	fixture_open(&fx, NULL, 0);
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf md = AB_BUF_INIT;
	struct pep517_source s = { dir, "key-fb", "fb", "2.0" };
	expect_ok(pep517_metadata(fx.b, &s, &md, &err), &err);
	tu_expect_contains(&md, "Version: 2.0\n");
	struct pep517_wheel w = PEP517_WHEEL_INIT;
	expect_ok(pep517_wheel(fx.b, &s, &w, &err), &err);
	assert_true(w.cached);
	assert_string_equal(w.filename, "fb-2.0-py3-none-any.whl");
	struct pep517_stats st;
	pep517_get_stats(fx.b, &st);
	assert_int_equal(st.builds, 1);
	assert_int_equal(st.backend_runs, 2);
	pep517_wheel_release(&w);
	fixture_close(&fx);
	ab_buf_release(&md);
	ab_err_release(&err);
}

static size_t count_files(const char *dir)
{
	struct ab_buf out = AB_BUF_INIT;
	tu_run(&out, "find '%s' -type f | wc -l", dir);
	size_t n = strtoul(out.buf, NULL, 10);
	ab_buf_release(&out);
	return n;
}

struct bad_case {
	const char *name;
	const char *backend, *backend_path, *cfg;
	int code;
	const char *want; /* in the message */
	const char *note; /* in the notes (NULL: none checked) */
};

static const struct bad_case bad_cases[] = {
	{ "fails", "simple_backend", "\"_backend\"", "name=x\nversion=1\nfail=boom here\n", AB_E_BUILD,
	  "building 'x' 1 failed: 'build_wheel' of backend 'simple_backend' raised RuntimeError: "
	  "boom here",
	  "backend| building x\nbackend| a line on stderr\n" },
	{ "missing", "no_such_backend", NULL, "name=x\nversion=1\n", AB_E_BUILD,
	  "building 'x' 1 failed: backend 'no_such_backend' is not available: cannot import "
	  "'no_such_backend'",
	  "traceback| " },
	{ "outside", "json", "\"_backend\"", "name=x\nversion=1\n", AB_E_BUILD,
	  "not from backend-path", NULL },
	{ "wrong name", "simple_backend", "\"_backend\"", "name=other\nversion=1\n", AB_E_INVALID,
	  "'x' 1 was requested but the sdist builds 'other' 1", NULL },
};

static void test_bad_backends(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char dir[1024], cdir[1100];
		snprintf(dir, sizeof(dir), "%s/bad%zu", tmp, i);
		project(dir, "", c->backend, c->backend_path, c->cfg);
		struct fixture fx;
		fixture_open(&fx, NULL, 0);
		struct ab_err err = AB_ERR_INIT;
		struct pep517_wheel w = PEP517_WHEEL_INIT;
		struct pep517_source s = { dir, "key-bad", "x", "1" };
		snprintf(cdir, sizeof(cdir), "%s/cache/http", tmp);
		size_t pages = count_files(cdir);
		int r = pep517_wheel(fx.b, &s, &w, &err);
		if (r != -c->code)
			fail_msg("%s: got %d: %s", c->name, r, err.msg.buf);
		if (!strstr(err.msg.buf, c->want))
			fail_msg("%s: message\n%s\nlacks\n%s", c->name, err.msg.buf, c->want);
		if (c->note)
			tu_expect_contains(&err.notes, c->note);
		assert_null(w.path);
		/* nothing half-written: no file entry, no record */
		snprintf(cdir, sizeof(cdir), "%s/cache/files", tmp);
		assert_int_equal(count_files(cdir), 0);
		snprintf(cdir, sizeof(cdir), "%s/cache/http", tmp);
		assert_int_equal(count_files(cdir), pages);
		fixture_close(&fx);
		ab_err_release(&err);
	}
}

/* An sdist of `name` 1.0 in `links`: static PKG-INFO (Metadata-Version 2.2,
 * so the resolver needs no build), built by the in-tree backend. */
static void sdist(const char *links, const char *name, const char *requires, const char *cfg)
{
	char dir[1200], path[1300];
	snprintf(dir, sizeof(dir), "%s/src/%s-1.0", tmp, name);
	project(dir, requires, "simple_backend", "\"_backend\"", cfg);
	snprintf(path, sizeof(path), "%s/PKG-INFO", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "Metadata-Version: 2.2\nName: %s\nVersion: 1.0\n", name);
	fclose(f);
	tu_sh_ok("mkdir -p '%s' && tar czf '%s/%s-1.0.tar.gz' -C '%s/src' '%s-1.0'", links, links,
		 name, tmp, name);
}

static void test_build_requirements(void **state)
{
	char links[1024], dir[1024];
	snprintf(links, sizeof(links), "%s/links", tmp);
	/* app needs helper (an sdist: built first) to build; helper's backend
	 * needs nothing; app's build imports helper, so it must be installed
	 * in app's environment */
	sdist(links, "helper", "", "name=helper\nversion=1.0\n");
	snprintf(dir, sizeof(dir), "%s/app", tmp);
	project(dir, "\"helper>=1\"", "simple_backend", "\"_backend\"",
		"name=app\nversion=3\nimports=helper\n");
	struct fixture fx;
	fixture_open(&fx, links, 0);
	struct ab_err err = AB_ERR_INIT;
	struct pep517_wheel w = PEP517_WHEEL_INIT;
	struct pep517_source s = { dir, "key-app", "app", "3" };
	expect_ok(pep517_wheel(fx.b, &s, &w, &err), &err);
	assert_string_equal(w.filename, "app-3-py3-none-any.whl");
	struct pep517_stats st;
	pep517_get_stats(fx.b, &st);
	assert_int_equal(st.builds, 2); /* helper, then app */
	assert_int_equal(st.envs, 2);   /* helper's (empty), app's */
	pep517_wheel_release(&w);
	fixture_close(&fx);

	/* again: the key holds the pins; one cache hit, nothing built */
	fixture_open(&fx, links, 0);
	expect_ok(pep517_wheel(fx.b, &s, &w, &err), &err);
	assert_true(w.cached);
	pep517_get_stats(fx.b, &st);
	assert_int_equal(st.backend_runs, 0);
	pep517_wheel_release(&w);
	fixture_close(&fx);

	/* a dynamic requirement (get_requires_for_build_wheel) is installed too */
	snprintf(dir, sizeof(dir), "%s/dyn", tmp);
	project(dir, "", "simple_backend", "\"_backend\"",
		"name=dyn\nversion=1\nimports=helper\ndynamic=helper\n");
	fixture_open(&fx, links, 0);
	struct pep517_source d = { dir, NULL, "dyn", NULL };
	expect_ok(pep517_wheel(fx.b, &d, &w, &err), &err);
	pep517_wheel_release(&w);
	fixture_close(&fx);
	ab_err_release(&err);
}

static void test_cycle(void **state)
{
	char links[1024], dir[1024];
	snprintf(links, sizeof(links), "%s/cyc", tmp);
	sdist(links, "ca", "\"cb\"", "name=ca\nversion=1.0\n");
	sdist(links, "cb", "\"ca\"", "name=cb\nversion=1.0\n");
	snprintf(dir, sizeof(dir), "%s/top", tmp);
	project(dir, "\"ca\"", "simple_backend", "\"_backend\"", "name=top\nversion=1\n");
	struct fixture fx;
	fixture_open(&fx, links, 0);
	struct ab_err err = AB_ERR_INIT;
	struct pep517_wheel w = PEP517_WHEEL_INIT;
	struct pep517_source s = { dir, "key-top", "top", NULL };
	assert_int_equal(pep517_wheel(fx.b, &s, &w, &err), -AB_E_BUILD);
	assert_string_equal(err.msg.buf, "build-requirement cycle: 'ca' -> 'cb' -> 'ca'");
	tu_expect_contains(&err.notes,
			   "building 'cb' from source needs 'ca' built from source first");
	struct pep517_stats st;
	pep517_get_stats(fx.b, &st);
	assert_int_equal(st.builds, 0);
	fixture_close(&fx);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_tree_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_backends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_requirements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
