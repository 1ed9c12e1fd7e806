/* rpmbuild_test.c - spec rendering and in-process RPM builds checked with
 * rpm itself: --requires/--provides (no rpmlib(ShortCircuited)), the file
 * list with owners and %config, an install and erase with `rpm --root`
 * into a scratch root (never the real system), byte-identical rebuilds
 * from another directory and time, and errors that leave nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/rpmbuild.h"
#include "formats/core/mem.h"
#include "tests/unit/testutil.h"

/* librpmbuild's ELF checks leak libelf handles (3 blocks per process,
 * inside libelf): not ours to fix, so LeakSanitizer skips them. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libelf.so\n";
}

static void make_tree(const char *dir, const char *root, long long mtime, bool reverse)
{
	struct ab_buf o = AB_BUF_INIT;
	TU_RUN_OK(&o,
		  "cd '%s' && mkdir -p '%s' && cd '%s' && umask %s && "
		  "mkdir -p opt/demo/bin opt/demo/lib/demo etc/demo usr/bin && "
		  "printf '#!/bin/sh\\necho demo\\n' > opt/demo/bin/demo && chmod 755 opt/demo/bin/demo && "
		  "printf 'print(1)\\n' > opt/demo/lib/demo/__init__.py && "
		  "printf 'workers = 2\\n' > etc/demo/demo.conf && "
		  "ln -s /opt/demo/bin/demo usr/bin/demo && "
		  "find . -exec touch -h -d @%lld {} +",
		  dir, root, root, reverse ? "077" : "022", mtime);
	ab_buf_release(&o);
}

static const char *const requires[] = { "python(abi) = 3.11", "demo-python3-flask = 3.0-1" };
static const char *const provides[] = { "demo-python3dist(demo) = 1.0" };
static const char *const config[] = { "/etc/demo/demo.conf" };

static struct rpmbuild_pkg demo_pkg(const char *buildroot)
{
	struct rpmbuild_pkg p = {
		.name = "demo-app",
		.version = "1~a1~dev1",
		.release = "1.abc.1",
		.summary = "Demo application",
		.license = "MIT",
		.url = "https://example.org/demo",
		.description = "The demo app, 100% test.\nSecond line.",
		.arch = "noarch",
		.requires = requires,
		.nrequires = 2,
		.provides = provides,
		.nprovides = 1,
		.config = config,
		.nconfig = 1,
		.buildroot = buildroot,
		.mtime = 1700000000,
		.packager = "appbuild <appbuild@localhost>",
		.group = "Applications/Internet",
		.changelog = "Packaged by appbuild",
	};
	return p;
}

static void render_spec(void **state)
{
	char *dir = tu_mkdtemp("rpmbuild_test");
	struct ab_buf root = AB_BUF_INIT, spec = AB_BUF_INIT;
	struct ab_err err = AB_ERR_INIT;
	ab_buf_addf(&root, "%s/root", dir);
	make_tree(dir, "root", 1600000000, false);
	struct rpmbuild_pkg p = demo_pkg(root.buf);
	p.epoch = "2";
	p.post = "systemctl daemon-reload >/dev/null 2>&1 || :";
	assert_int_equal(rpmbuild_render_spec(&p, &spec, &err), 0);
	tu_expect_contains(&spec, "\nName: demo-app\nVersion: 1~a1~dev1\nRelease: 1.abc.1\nEpoch: 2\n");
	tu_expect_contains(&spec, "\nAutoReqProv: no\n");
	tu_expect_contains(&spec, "\nRequires: python(abi) = 3.11\nRequires: demo-python3-flask = 3.0-1\n");
	tu_expect_contains(&spec, "\nProvides: demo-python3dist(demo) = 1.0\n");
	tu_expect_contains(&spec, "\n%description\nThe demo app, 100%% test.\nSecond line.\n");
	tu_expect_contains(&spec, "\n%install\n\n%post\nsystemctl daemon-reload >/dev/null 2>&1 || :\n");
	tu_expect_contains(&spec, "%files\n%defattr(-,root,root,-)\n"
				  "%dir \"/etc/demo\"\n"
				  "%config(noreplace) \"/etc/demo/demo.conf\"\n"
				  "%dir \"/opt/demo\"\n"
				  "%dir \"/opt/demo/bin\"\n"
				  "\"/opt/demo/bin/demo\"\n"
				  "%dir \"/opt/demo/lib\"\n"
				  "%dir \"/opt/demo/lib/demo\"\n"
				  "\"/opt/demo/lib/demo/__init__.py\"\n"
				  "\"/usr/bin/demo\"\n");
	assert_null(strstr(spec.buf, "\"/usr/bin\"\n"));
	ab_buf_reset(&spec);

	/* errors */
	p = demo_pkg(root.buf);
	p.license = NULL;
	assert_int_equal(rpmbuild_render_spec(&p, &spec, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf, "RPM field 'License' is required");
	ab_err_clear(&err);
	p = demo_pkg(root.buf);
	p.summary = "two\nlines";
	assert_int_equal(rpmbuild_render_spec(&p, &spec, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf, "RPM field 'Summary' must be a single line");
	ab_err_clear(&err);
	struct ab_buf o = AB_BUF_INIT;
	TU_RUN_OK(&o, "touch '%s/opt/demo/lib/demo/a*b.py'", root.buf);
	p = demo_pkg(root.buf);
	assert_int_equal(rpmbuild_render_spec(&p, &spec, &err), -AB_E_UNSUPPORTED);
	assert_string_equal(err.msg.buf,
			    "path '/opt/demo/lib/demo/a*b.py' has a character an RPM file list "
			    "cannot hold");
	assert_int_equal(spec.len, 0);
	ab_err_release(&err);
	ab_buf_release(&o);
	ab_buf_release(&spec);
	ab_buf_release(&root);
	tu_rmrf(dir);
}

static char *build(const char *dir, const char *root, const char *work, const char *out)
{
	struct ab_buf r = AB_BUF_INIT, w = AB_BUF_INIT, o = AB_BUF_INIT;
	struct ab_err err = AB_ERR_INIT;
	char *path = NULL;
	ab_buf_addf(&r, "%s/%s", dir, root);
	ab_buf_addf(&w, "%s/%s", dir, work);
	ab_buf_addf(&o, "%s/%s", dir, out);
	mkdir(o.buf, 0755);
	struct rpmbuild_pkg p = demo_pkg(r.buf);
	if (rpmbuild_build(&p, w.buf, o.buf, &path, &err) < 0)
		fail_msg("rpmbuild_build: %s", err.msg.buf);
	ab_buf_release(&r);
	ab_buf_release(&w);
	ab_buf_release(&o);
	ab_err_release(&err);
	return path;
}

static void build_and_install(void **state)
{
	char *dir = tu_mkdtemp("rpmbuild_test");
	struct ab_buf o = AB_BUF_INIT;
	make_tree(dir, "root", 1600000000, false);
	char *rpm = build(dir, "root", "work", "out");
	assert_non_null(strstr(rpm, "/out/demo-app-1~a1~dev1-1.abc.1.noarch.rpm"));

	TU_RUN_OK(&o, "rpm -qp --requires '%s'", rpm);
	tu_expect_contains(&o, "python(abi) = 3.11\n");
	tu_expect_contains(&o, "demo-python3-flask = 3.0-1\n");
	assert_null(strstr(o.buf, "ShortCircuited"));
	ab_buf_reset(&o);
	TU_RUN_OK(&o, "rpm -qp --provides '%s'", rpm);
	tu_expect_contains(&o, "demo-python3dist(demo) = 1.0\n");
	tu_expect_contains(&o, "demo-app = 1~a1~dev1-1.abc.1\n");
	ab_buf_reset(&o);
	TU_RUN_OK(&o, "rpm -qp --qf '%%{BUILDHOST} %%{BUILDTIME}\\n' '%s'", rpm);
	assert_string_equal(o.buf, "appbuild 1700000000\n");
	ab_buf_reset(&o);
	TU_RUN_OK(&o, "rpm -qplv '%s'", rpm);
	tu_expect_contains(&o, "-rwxr-xr-x    1 root     root                       20 "
			       "Nov 14  2023 /opt/demo/bin/demo\n");
	tu_expect_contains(&o, "/usr/bin/demo -> /opt/demo/bin/demo\n");
	ab_buf_reset(&o);
	TU_RUN_OK(&o, "rpm -qpc '%s'", rpm);
	assert_string_equal(o.buf, "/etc/demo/demo.conf\n");
	ab_buf_reset(&o);

	/* a scratch root: install, query, erase, nothing left */
	TU_RUN_OK(&o,
		  "cd '%s' && mkdir -p inst && rpm --root \"$PWD/inst\" --initdb && "
		  "rpm --root \"$PWD/inst\" -i --nodeps '%s' && "
		  "rpm --root \"$PWD/inst\" -q demo-app && "
		  "test -x inst/opt/demo/bin/demo && test -L inst/usr/bin/demo && "
		  "rpm --root \"$PWD/inst\" -e demo-app && "
		  "test ! -e inst/opt/demo && test ! -e inst/etc/demo/demo.conf",
		  dir, rpm);
	tu_expect_contains(&o, "demo-app-1~a1~dev1-1.abc.1.noarch\n");
	ab_buf_reset(&o);

	/* rpmlint, when installed: no errors */
	if (tu_run(NULL, "command -v rpmlint") == 0) {
		/* by design (SPEC.md "RPM specifics"): /opt is the place,
		 * signing is the deployer's, and "-app" is no language pack */
		int st = tu_run(&o, "cd '%s' && printf \"Filters = [' dir-or-file-in-opt ', "
				    "' no-signature', ' no-dependency-on locales-']\\n\" >lint.toml && "
				    "rpmlint -c lint.toml '%s'",
				dir, rpm);
		if (strstr(o.buf, " E: "))
			fail_msg("rpmlint (%d):\n%s", st, o.buf);
	}
	free(rpm);
	ab_buf_release(&o);
	tu_rmrf(dir);
}

static void reproducible(void **state)
{
	char *d1 = tu_mkdtemp("rpmbuild_test"), *d2 = tu_mkdtemp("rpmbuild_test");
	struct ab_buf o = AB_BUF_INIT;
	make_tree(d1, "root", 1600000000, false);
	make_tree(d2, "else/where", 1800000000, true);
	char *a = build(d1, "root", "w", "out");
	sleep(1);
	char *b = build(d2, "else/where", "scratch/work", "dist");
	TU_RUN_OK(&o, "cmp '%s' '%s'", a, b);
	free(a);
	free(b);
	ab_buf_release(&o);
	tu_rmrf(d1);
	tu_rmrf(d2);
}

static void build_error_leaves_nothing(void **state)
{
	char *dir = tu_mkdtemp("rpmbuild_test");
	struct ab_buf root = AB_BUF_INIT, work = AB_BUF_INIT, out = AB_BUF_INIT;
	struct ab_err err = AB_ERR_INIT;
	char *path = NULL;
	make_tree(dir, "root", 1600000000, false);
	ab_buf_addf(&root, "%s/root", dir);
	ab_buf_addf(&work, "%s/work", dir);
	ab_buf_addf(&out, "%s/out", dir);
	mkdir(out.buf, 0755);
	struct rpmbuild_pkg p = demo_pkg(root.buf);
	p.version = "1-2"; /* rpm rejects '-' in Version */
	assert_int_equal(rpmbuild_build(&p, work.buf, out.buf, &path, &err), -AB_E_BUILD);
	assert_null(path);
	tu_expect_contains(&err.msg, "rpm cannot parse the spec for 'demo-app': ");
	tu_expect_contains(&err.msg, "Illegal char '-'");
	DIR *d = opendir(out.buf);
	struct dirent *de;
	size_t n = 0;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	assert_int_equal(n, 0);
	ab_err_release(&err);
	ab_buf_release(&root);
	ab_buf_release(&work);
	ab_buf_release(&out);
	tu_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_spec),
		cmocka_unit_test(build_and_install),
		cmocka_unit_test(reproducible),
		cmocka_unit_test(build_error_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
