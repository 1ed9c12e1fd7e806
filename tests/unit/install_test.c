/* install_test.c - wheels of ../shared/pyindex installed into a temporary
 * environment and run (flask imported, gunicorn's console script), a
 * synthetic wheel exercising .data/, entry points and the metadata files,
 * and malicious wheels refused with nothing left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/install.h"
#include "formats/core/mem.h"
#include "formats/wheel.h"
#include "formats/core/fs.h"
#include "tests/unit/testutil.h"

static struct interp py;
static char *tmp;

static int setup(void **state)
{
	struct ab_err err = AB_ERR_INIT;
	if (interp_query(NULL, &py, &err) < 0) {
		fprintf(stderr, "python3: %s\n", err.msg.buf);
		return -1;
	}
	tmp = tu_mkdtemp("install_test.");
	return 0;
}

static int teardown(void **state)
{
	interp_release(&py);
	tu_rmrf(tmp);
	tmp = NULL;
	return 0;
}

static void flask_and_gunicorn(void **state)
{
	static const char *const files[] = {
		"flask-2.2.2-py3-none-any.whl",	      "gunicorn-20.1.0-py3-none-any.whl",
		"click-8.1.3-py3-none-any.whl",	      "itsdangerous-2.1.2-py3-none-any.whl",
		"jinja2-3.1.2-py3-none-any.whl",      "werkzeug-2.2.2-py3-none-any.whl",
		"setuptools-66.1.1-py3-none-any.whl", "markupsafe-2.1.2-cp311-cp311-linux_x86_64.whl",
	};
	char root[512], paths[8][512];
	struct install_wheel w[8];
	snprintf(root, sizeof(root), "%s/env", tmp);
	for (size_t i = 0; i < 8; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/pyindex/files/%s", tu_shared(), files[i]);
		w[i] = (struct install_wheel){ paths[i], NULL, i < 2, NULL };
	}
	struct install_opts o = { &py, root, 4, NULL, NULL };
	struct ab_err err = AB_ERR_INIT;
	if (install_env_create(&o, &err) < 0 || install_wheels(&o, w, 8, &err) < 0 ||
	    install_compile(&o, &err) < 0)
		fail_msg("%s: %s", err.file ? err.file : "", err.msg.buf);
	if (py.minor != 11) {
		ab_err_release(&err);
		return; /* markupsafe's extension is for 3.11 */
	}
	tu_sh_ok("'%s/bin/python3' -c 'import flask, markupsafe._speedups, sys; "
		 "assert sys.prefix == \"%s\", sys.prefix'", root, root);
	tu_sh_ok("'%s/bin/gunicorn' --version | grep -q 'gunicorn (version 20.1.0)'", root);
	tu_sh_ok("'%s/bin/flask' --version | grep -q 'Flask 2.2.2'", root);
	/* a moved environment still runs (the relocatable trampoline) */
	tu_sh_ok("mv '%s' '%s/moved env' && '%s/moved env/bin/gunicorn' --version >/dev/null", root, tmp,
		 tmp);
	tu_sh_ok("mv '%s/moved env' '%s'", tmp, root);
	/* the metadata files */
	char p[1024];
	struct ab_buf b = AB_BUF_INIT;
	snprintf(p, sizeof(p), "%s/%s/gunicorn-20.1.0.dist-info/RECORD", root, py.purelib);
	assert_int_equal(tu_read_file(p, &b), 0);
	assert_int_equal(strncmp(b.buf, "../../../bin/gunicorn,sha256=", 29), 0);
	assert_non_null(strstr(b.buf, "\ngunicorn-20.1.0.dist-info/INSTALLER,sha256="
				      "wQEOIaE43tYsnP5L_dewuqK17nZ_H4ujIIdkXvWHfGc,9\n"));
	assert_non_null(strstr(b.buf, "\ngunicorn-20.1.0.dist-info/RECORD,,\n"));
	assert_non_null(strstr(b.buf, "\ngunicorn-20.1.0.dist-info/REQUESTED,sha256="));
	ab_buf_reset(&b);
	snprintf(p, sizeof(p), "%s/%s/click-8.1.3.dist-info/REQUESTED", root, py.purelib);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/pyvenv.cfg", root);
	assert_int_equal(tu_read_file(p, &b), 0);
	assert_null(strstr(b.buf, tmp));
	assert_non_null(strstr(b.buf, "include-system-site-packages = false\n"));
	ab_buf_release(&b);
	/* no staging directory left, the .pyc files hold no build path */
	tu_sh_ok("! ls -a '%s' | grep -q appbuild-stage", root);
	tu_sh_ok("! grep -r -l -F '%s' '%s/lib'", tmp, root);
	/* the same files as pip would install (pip's extras aside) */
	ab_err_release(&err);
}

/* install_wheels_compile(): the same .pyc bytes as install_compile()
 * (compileall), kept per wheel in the cache; a second install takes them
 * from there without starting Python (its interpreter path is bogus). */
static void compiled_from_cache(void **state)
{
	static const char *const files[] = {
		"flask-2.2.2-py3-none-any.whl",	      "gunicorn-20.1.0-py3-none-any.whl",
		"click-8.1.3-py3-none-any.whl",	      "itsdangerous-2.1.2-py3-none-any.whl",
		"jinja2-3.1.2-py3-none-any.whl",      "werkzeug-2.2.2-py3-none-any.whl",
		"setuptools-66.1.1-py3-none-any.whl", "markupsafe-2.1.2-cp311-cp311-linux_x86_64.whl",
	};
	char roots[3][512], paths[8][512], hex[8][65], cdir[512];
	const char *sha[8];
	struct install_wheel w[8];
	struct ab_err err = AB_ERR_INIT;
	struct cache c = CACHE_INIT;
	for (size_t i = 0; i < 3; i++)
		snprintf(roots[i], sizeof(roots[i]), "%s/cc%zu/env", tmp, i);
	snprintf(cdir, sizeof(cdir), "%s/cc-cache", tmp);
	assert_int_equal(cache_open(&c, cdir, false, &err), 0);
	for (size_t i = 0; i < 8; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/pyindex/files/%s", tu_shared(), files[i]);
		w[i] = (struct install_wheel){ paths[i], NULL, false, NULL };
		assert_int_equal(cache_sha256_file(paths[i], hex[i], &err), 0);
		sha[i] = hex[i];
	}
	/* 0: compileall; 1: compiled and kept; 2: from the cache only */
	struct interp bogus = py;
	bogus.executable = "/nonexistent/python3";
	for (size_t i = 0; i < 3; i++) {
		struct install_opts o = { &py, roots[i], 4, NULL, NULL };
		int rc = install_env_create(&o, &err);
		if (i == 2)
			o.py = &bogus;
		if (rc == 0 && i == 0)
			rc = install_wheels(&o, w, 8, &err) < 0 ? -1 : install_compile(&o, &err);
		else if (rc == 0)
			rc = install_wheels_compile(&o, w, sha, 8, &c, &err);
		if (rc < 0)
			fail_msg("%zu: %s: %s", i, err.file ? err.file : "", err.msg.buf);
	}
	tu_sh_ok("cd '%s' && test \"$(find cc0 -name '*.pyc' | wc -l)\" -gt 300 && "
		 "diff -r cc0/env/lib cc1/env/lib && diff -r cc0/env/lib cc2/env/lib", tmp);
	/* install_wheels_mem(): from the cache, the files are kept (but the ELF
	 * file); written out they make the same tree. With an empty cache every
	 * wheel is compiled, so written: nothing kept. */
	for (int pass = 0; pass < 2; pass++) {
		char root[512], edir[512];
		struct install_mem mem = INSTALL_MEM_INIT;
		struct cache c2 = CACHE_INIT;
		snprintf(root, sizeof(root), "%s/cm%d/env", tmp, pass);
		snprintf(edir, sizeof(edir), "%s/cm-empty-cache", tmp);
		struct install_opts o = { pass ? &py : &bogus, root, 4, NULL, NULL };
		if (pass)
			assert_int_equal(cache_open(&c2, edir, false, &err), 0);
		if (install_env_create(&o, &err) < 0 ||
		    install_wheels_mem(&o, w, sha, 8, pass ? &c2 : &c, &mem, &err) < 0)
			fail_msg("mem %d: %s: %s", pass, err.file ? err.file : "", err.msg.buf);
		if (pass) {
			assert_int_equal(mem.n, 0);
		} else {
			assert_true(mem.n > 600);
			tu_sh_ok("cd '%s' && test -n \"$(find cm0 -name '_speedups*.so')\" && "
				 "test -z \"$(find cm0 -name '*.py')\"", tmp);
		}
		for (size_t i = 0; i < mem.n; i++) {
			char f[1024];
			snprintf(f, sizeof(f), "%s/%s", root, mem.files[i].path);
			*strrchr(f, '/') = 0;
			assert_int_equal(ab_mkdir_p(f, &err), 0);
			f[strlen(f)] = '/';
			FILE *fp = fopen(f, "wb");
			assert_non_null(fp);
			assert_int_equal(fwrite(mem.files[i].data, 1, mem.files[i].size, fp),
					 mem.files[i].size);
			fclose(fp);
			if (mem.files[i].exec)
				chmod(f, 0755);
		}
		install_mem_release(&mem);
		cache_release(&c2);
	}
	tu_sh_ok("cd '%s' && diff -r cc1/env/lib cm0/env/lib && diff -r cc1/env/bin cm0/env/bin && "
		 "diff -r cc1/env/lib cm1/env/lib && diff -r cc1/env/bin cm1/env/bin && "
		 "test -x cm0/env/bin/flask", tmp);
	/* no cache, no interpreter: the error names it */
	struct install_opts o = { &bogus, roots[2], 4, NULL, NULL };
	tu_sh_ok("rm -rf '%s'", roots[2]);
	assert_int_equal(install_env_create(&o, &err), 0);
	assert_int_equal(install_wheels_compile(&o, w, sha, 8, NULL, &err), -AB_E_IO);
	assert_string_equal(err.file, "/nonexistent/python3");
	cache_release(&c);
	ab_err_release(&err);
}

struct member {
	const char *name, *data;
	unsigned mode;        /* 0: 0644 file */
	const char *link;     /* a symlink */
};

enum { REC_GOOD, REC_NONE, REC_BADHASH, REC_OMIT_LAST, REC_EXTRA, REC_SMALL };

/* A wheel "demo-1.0" at path with the members plus dist-info files and a
 * RECORD made according to `rec`. */
static void make_wheel(const char *path, const struct member *m, size_t n, const char *wheel,
		       const char *entry_points, int rec)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct ab_buf record = AB_BUF_INIT;
	archive_write_set_format_zip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	struct member all[32];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		all[k++] = m[i];
	all[k++] = (struct member){ "demo-1.0.dist-info/METADATA",
				    "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", 0, NULL };
	all[k++] = (struct member){ "demo-1.0.dist-info/WHEEL",
				    wheel ? wheel : "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n", 0,
				    NULL };
	if (entry_points)
		all[k++] = (struct member){ "demo-1.0.dist-info/entry_points.txt", entry_points, 0,
					    NULL };
	for (size_t i = 0; i < k; i++) {
		const char *d = all[i].link ? all[i].link : all[i].data;
		unsigned char md[32];
		unsigned ml;
		char h[52];
		EVP_Digest(d, strlen(d), md, &ml, EVP_sha256(), NULL);
		wheel_record_hash(md, h);
		if (rec == REC_BADHASH && i == 0)
			h[10] ^= 1;
		size_t sz = strlen(d) - (rec == REC_SMALL && i == 0);
		if (!(rec == REC_OMIT_LAST && i == k - 1))
			wheel_record_row_format(&record, ab_str_from(all[i].name), h, (int64_t)sz);
	}
	if (rec == REC_EXTRA)
		wheel_record_row_format(&record, ab_str_from("demo/ghost.py"), "sha256=AAAA", 1);
	wheel_record_row_format(&record, ab_str_from("demo-1.0.dist-info/RECORD"), NULL, -1);
	if (rec != REC_NONE)
		all[k++] = (struct member){ "demo-1.0.dist-info/RECORD", record.buf, 0, NULL };
	for (size_t i = 0; i < k; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, all[i].name);
		archive_entry_set_mtime(e, 1000000000, 0);
		if (all[i].link) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, all[i].link);
			archive_entry_set_size(e, 0);
			assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
			continue;
		}
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, all[i].mode ? all[i].mode : 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(all[i].data));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		archive_write_data(a, all[i].data, strlen(all[i].data));
	}
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	ab_buf_release(&record);
}

static void synthetic(void **state)
{
	char root[512], whl[512], p[1024];
	snprintf(root, sizeof(root), "%s/syn", tmp);
	snprintf(whl, sizeof(whl), "%s/cached-blob", tmp);
	static const struct member m[] = {
		{ "demo/__init__.py", "def main():\n    print('hello from demo')\n", 0, NULL },
		{ "demo/tool.sh", "#!/bin/sh\necho tool\n", 0755, NULL },
		{ "demo-1.0.data/scripts/legacy", "#!python -u\nimport demo\ndemo.main()\n", 0, NULL },
		{ "demo-1.0.data/scripts/plain.sh", "#!/bin/sh\necho plain\n", 0, NULL },
		{ "demo-1.0.data/headers/demo.h", "int demo;\n", 0, NULL },
		{ "demo-1.0.data/data/share/demo/x.txt", "x\n", 0, NULL },
		{ "demo-1.0.data/platlib/demo_plat.py", "X = 1\n", 0, NULL },
	};
	make_wheel(whl, m, AB_ARRAY_SIZE(m), NULL,
		   "[console_scripts]\ndemo-cli = demo:main\n[gui_scripts]\ndemo-gui = demo:main\n",
		   REC_GOOD);
	struct install_direct_url du = { "https://example.org/demo.git", "git", "abc123", "main",
					 NULL, false, false, NULL };
	struct install_wheel w = { whl, "demo-1.0-py3-none-any.whl", true, &du };
	struct install_opts o = { &py, root, 1, NULL, NULL };
	struct ab_err err = AB_ERR_INIT;
	if (install_env_create(&o, &err) < 0 || install_wheel(&o, &w, &err) < 0)
		fail_msg("%s", err.msg.buf);
	tu_sh_ok("test \"$('%s/bin/demo-cli')\" = 'hello from demo'", root);
	tu_sh_ok("test \"$('%s/bin/demo-gui')\" = 'hello from demo'", root);
	tu_sh_ok("test \"$('%s/bin/legacy')\" = 'hello from demo'", root);
	tu_sh_ok("head -1 '%s/bin/legacy' | grep -qx '#!/bin/sh'", root);
	tu_sh_ok("test \"$('%s/bin/plain.sh')\" = plain", root);
	tu_sh_ok("test -x '%s/%s/demo/tool.sh' && test ! -x '%s/%s/demo/__init__.py'", root, py.purelib,
		 root, py.purelib);
	tu_sh_ok("test -f '%s/%s/demo/demo.h'", root, py.headers);
	tu_sh_ok("test -f '%s/share/demo/x.txt' && test -f '%s/%s/demo_plat.py'", root, root,
		 py.platlib);
	/* a symlink to the script runs it too (readlink -f) */
	tu_sh_ok("ln -s '%s/bin/demo-cli' '%s/link-cli' && test \"$('%s/link-cli')\" = 'hello from demo'",
		 root, tmp, tmp);
	struct ab_buf b = AB_BUF_INIT;
	snprintf(p, sizeof(p), "%s/%s/demo-1.0.dist-info/direct_url.json", root, py.purelib);
	assert_int_equal(tu_read_file(p, &b), 0);
	assert_string_equal(b.buf, "{\"url\": \"https://example.org/demo.git\", \"vcs_info\": "
				   "{\"commit_id\": \"abc123\", \"requested_revision\": \"main\", "
				   "\"vcs\": \"git\"}}");
	ab_buf_reset(&b);
	snprintf(p, sizeof(p), "%s/%s/demo-1.0.dist-info/RECORD", root, py.purelib);
	assert_int_equal(tu_read_file(p, &b), 0);
	/* every installed file is in RECORD with its hash, in sorted order */
	struct wheel_record r;
	assert_int_equal(wheel_record_parse(ab_buf_str(&b), &r, NULL), 0);
	assert_int_equal(r.n, 16);
	for (size_t i = 0; i + 1 < r.n; i++) {
		struct ab_str x = r.rows[i].path, y = r.rows[i + 1].path;
		size_t l = x.len < y.len ? x.len : y.len;
		assert_true(memcmp(x.ptr, y.ptr, l) < 0 || (memcmp(x.ptr, y.ptr, l) == 0 && x.len < y.len));
		if (ab_str_endswith(x, "/RECORD"))
			continue;
		char fp[1024];
		snprintf(fp, sizeof(fp), "%s/%s/" AB_STR_FMT, root, py.purelib, AB_STR_ARG(x));
		struct ab_buf c = AB_BUF_INIT;
		assert_int_equal(tu_read_file(fp, &c), 0);
		unsigned char md[32];
		unsigned ml;
		char h[52];
		EVP_Digest(c.buf, c.len, md, &ml, EVP_sha256(), NULL);
		wheel_record_hash(md, h);
		assert_true(ab_str_eq_cstr(r.rows[i].digest, h + 7));
		assert_int_equal(r.rows[i].size, (int64_t)c.len);
		ab_buf_release(&c);
	}
	assert_non_null(strstr(b.buf, "../../../bin/legacy,"));
	assert_non_null(strstr(b.buf, "../../../include/site/python"));
	assert_non_null(strstr(b.buf, "../../../share/demo/x.txt,"));
	wheel_record_release(&r);
	ab_buf_release(&b);
	ab_err_release(&err);
}


static void malicious(void **state)
{
	static const struct member ok[] = { { "demo/__init__.py", "x = 1\n", 0, NULL } };
	static const struct member dotdot[] = { { "demo/__init__.py", "x = 1\n", 0, NULL },
						{ "../evil", "pwned\n", 0, NULL } };
	static const struct member deep[] = { { "demo/../../../evil", "pwned\n", 0, NULL } };
	static const struct member abs_[] = { { "/tmp/evil-abs", "pwned\n", 0, NULL } };
	static const struct member link_out[] = { { "demo/link", NULL, 0, "/etc/passwd" } };
	static const struct member link_up[] = { { "demo/link", NULL, 0, "../../../../etc" } };
	static const struct member bad_data[] = { { "demo-1.0.data/etc/x", "x\n", 0, NULL } };
	static const struct {
		const struct member *m;
		size_t n;
		const char *wheel;
		int rec, rc;
		const char *msg;
	} cases[] = {
		{ dotdot, 2, NULL, REC_GOOD, -AB_E_INVALID,
		  "path '../evil' in the wheel escapes the target directory" },
		{ deep, 1, NULL, REC_GOOD, -AB_E_INVALID,
		  "path 'demo/../../../evil' in the wheel escapes the target directory" },
		{ abs_, 1, NULL, REC_GOOD, -AB_E_INVALID, "absolute path '/tmp/evil-abs' in the wheel" },
		{ link_out, 1, NULL, REC_GOOD, -AB_E_INVALID,
		  "symbolic link 'demo/link' -> '/etc/passwd' points outside the wheel" },
		{ link_up, 1, NULL, REC_GOOD, -AB_E_INVALID,
		  "symbolic link 'demo/link' -> '../../../../etc' points outside the wheel" },
		{ ok, 1, NULL, REC_BADHASH, -AB_E_HASH, NULL },
		{ ok, 1, NULL, REC_SMALL, -AB_E_HASH, "'demo/__init__.py' is 6 bytes, RECORD says 5" },
		{ ok, 1, NULL, REC_OMIT_LAST, -AB_E_INVALID,
		  "'demo-1.0.dist-info/WHEEL' is not in RECORD" },
		{ ok, 1, NULL, REC_EXTRA, -AB_E_INVALID,
		  "'demo/ghost.py' is in RECORD but not in the wheel" },
		{ ok, 1, NULL, REC_NONE, -AB_E_INVALID, "missing 'demo-1.0.dist-info/RECORD'" },
		{ ok, 1, "Wheel-Version: 2.0\n", REC_GOOD, -AB_E_UNSUPPORTED,
		  "demo-1.0.dist-info/WHEEL:1:16: Wheel-Version '2.0' is not supported (1.x is)" },
		{ bad_data, 1, NULL, REC_GOOD, -AB_E_INVALID,
		  "unknown scheme key 'etc' for 'demo-1.0.data/etc/x' (valid: data, headers, platlib, "
		  "purelib, scripts)" },
	};
	char root[512], whl[512];
	snprintf(root, sizeof(root), "%s/mal", tmp);
	snprintf(whl, sizeof(whl), "%s/demo-1.0-py3-none-any.whl", tmp);
	struct install_opts o = { &py, root, 1, NULL, NULL };
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(install_env_create(&o, &err), 0);
	tu_sh_ok("cd '%s' && find . | sort > '%s/before'", root, tmp);
	for (size_t i = 0; i < AB_ARRAY_SIZE(cases); i++) {
		make_wheel(whl, cases[i].m, cases[i].n, cases[i].wheel, NULL, cases[i].rec);
		struct install_wheel w = { whl, NULL, false, NULL };
		int rc = install_wheel(&o, &w, &err);
		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, %s", i, rc, err.msg.buf);
		if (cases[i].msg)
			assert_string_equal(err.msg.buf, cases[i].msg);
		else
			assert_non_null(strstr(err.msg.buf, "hash mismatch for 'demo/__init__.py'"));
		assert_string_equal(err.file, "demo-1.0-py3-none-any.whl");
		/* nothing left behind, nothing written outside */
		tu_sh_ok("cd '%s' && find . | sort | cmp -s - '%s/before'", root, tmp);
		tu_sh_ok("test ! -e '%s/../evil' && test ! -e /tmp/evil-abs", root);
		ab_err_clear(&err);
	}
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flask_and_gunicorn),
		cmocka_unit_test(compiled_from_cache),
		cmocka_unit_test(synthetic),
		cmocka_unit_test(malicious),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
