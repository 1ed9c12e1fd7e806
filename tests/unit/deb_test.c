/* deb_test.c - control rendering (fields, description, errors) and whole
 * packages checked with dpkg's own tools: dpkg-deb --info/--contents/
 * --fsys-tarfile/-x, md5sums against the extracted files, an install with
 * dpkg --root into a scratch root (never the real system), lintian when it
 * is installed, byte-identical rebuilds from another directory and time,
 * and error paths that leave nothing behind. */
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
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/core/mem.h"
#include "formats/deb.h"
#include "tests/unit/testutil.h"

/* ---- helpers ---- */

static void write_file(const char *dir, const char *rel, const char *text, mode_t mode)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void mkdirs(const char *dir, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	mkdir(path, 0700);
}

static const char long_name[] =
	"opt/demo/lib/python3.11/site-packages/a_package_with_a_rather_long_name/"
	"and_a_module_whose_path_exceeds_one_hundred_characters.py";

/* The test tree, created in a given order with given mtimes and umask-ish
 * permissions, so that two trees differ in everything but content. */
static void make_tree(const char *root, bool reverse, time_t mtime)
{
	static const char *const dirs[] = {
		"etc/demo", "opt/demo/bin", "opt/demo/empty",
		"opt/demo/lib/python3.11/site-packages/a_package_with_a_rather_long_name",
		"usr/share/doc/demo-app",
	};
	for (size_t k = 0; k < AB_ARRAY_SIZE(dirs); k++)
		mkdirs(root, dirs[reverse ? AB_ARRAY_SIZE(dirs) - 1 - k : k]);
	write_file(root, "etc/demo/demo.conf", "workers = 2\n", reverse ? 0600 : 0664);
	write_file(root, "opt/demo/bin/demo", "#!/bin/sh\necho demo\n", reverse ? 0700 : 0775);
	write_file(root, long_name, "print('hi')\n", 0644);
	write_file(root, "usr/share/doc/demo-app/copyright", "Public domain.\n", 0640);
	/* what lintian wants of any package (the builder supplies the same):
	 * a changelog, and an override for the /opt prefix issue #9 asks for */
	mkdirs(root, "usr/share/lintian/overrides");
	write_file(root, "usr/share/lintian/overrides/demo-app", "demo-app: dir-or-file-in-opt\n",
		   0644);
	tu_run(NULL,
	       "printf 'demo-app (1.0-1) unstable; urgency=medium\\n\\n  * Test.\\n\\n -- Appbuild Tests <tests@example.org>  "
	       "Mon, 01 Jan 2024 00:00:00 +0000\\n' | gzip -9n > '%s/usr/share/doc/demo-app/"
	       "changelog.Debian.gz'",
	       root);
	char path[4096], target[] = "/opt/demo/bin/demo";
	mkdirs(root, "usr/bin");
	snprintf(path, sizeof(path), "%s/usr/bin/demo", root);
	assert_int_equal(symlink(target, path), 0);
	/* mtimes everywhere, so a rebuild sees different ones */
	tu_run(NULL, "find '%s' -exec touch -h -d @%lld {} +", root, (long long)mtime);
}

static const char description[] = "demo application for the deb writer\n"
				  "This package tests the writer.\n"
				  "\n"
				  "   an indented line   \n";

static struct deb_spec demo_spec(const char *root)
{
	static const char *const conffiles[] = { "/etc/demo/demo.conf" };
	struct deb_spec s = {
		.control = {
			.package = "demo-app",
			.version = "1~a1~dev1-1.~abc~.1",
			.architecture = "all",
			.maintainer = "Appbuild Tests <tests@example.org>",
			.depends = "demo-python3-flask (= 3.0-1)",
			.provides = "demo-python3-demo (= 1.0)",
			.section = "web",
			.priority = "optional",
			.homepage = "https://example.org/demo",
			.description = description,
		},
		.root = root,
		.conffiles = conffiles,
		.nconffiles = 1,
		.postinst = "#!/bin/sh\nset -e\nexit 0\n",
		.compress = DEB_ZSTD,
		.mtime = 1700000000,
	};
	return s;
}

/* ---- control ---- */

static void control_render(void **state)
{
	struct deb_control c = demo_spec("/nonexistent").control;
	const struct deb_field extra[] = { { "X-Appbuild-App", "demo" } };
	c.extra = extra;
	c.nextra = 1;
	c.pre_depends = "dpkg (>= 1.21)";
	struct ab_buf b = AB_BUF_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(deb_control_render(&c, 42, &b, &err), 0);
	assert_string_equal(b.buf, "Package: demo-app\n"
				   "Version: 1~a1~dev1-1.~abc~.1\n"
				   "Architecture: all\n"
				   "Maintainer: Appbuild Tests <tests@example.org>\n"
				   "Installed-Size: 42\n"
				   "Pre-Depends: dpkg (>= 1.21)\n"
				   "Depends: demo-python3-flask (= 3.0-1)\n"
				   "Provides: demo-python3-demo (= 1.0)\n"
				   "Section: web\n"
				   "Priority: optional\n"
				   "Homepage: https://example.org/demo\n"
				   "X-Appbuild-App: demo\n"
				   "Description: demo application for the deb writer\n"
				   " This package tests the writer.\n"
				   " .\n"
				   "    an indented line\n");
	ab_buf_release(&b);
	ab_err_release(&err);
}

static void control_errors(void **state)
{
	static const struct {
		const char *field, *value, *msg;
	} bad[] = {
		{ "package", NULL, "control field 'Package' is required" },
		{ "package", "Demo", "invalid package name 'Demo' (lowercase letters, digits, '+', "
				     "'-', '.')" },
		{ "package", "d", "invalid package name 'd' (lowercase letters, digits, '+', '-', '.')" },
		{ "package", "-demo", "invalid package name '-demo' (lowercase letters, digits, '+', "
				      "'-', '.')" },
		{ "maintainer", "", "control field 'Maintainer' is required" },
		{ "depends", "a,\n b", "control field 'Depends' must be a single line" },
		{ "depends", " a", "control field 'Depends' has leading or trailing whitespace" },
		{ "description", "\nno synopsis", "control field 'Description' is required" },
		{ "extra", "Bad Name", "invalid control field name 'Bad Name'" },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(bad); i++) {
		struct deb_control c = demo_spec("/x").control;
		struct deb_field extra = { bad[i].value, "v" };
		if (!strcmp(bad[i].field, "package"))
			c.package = bad[i].value;
		else if (!strcmp(bad[i].field, "maintainer"))
			c.maintainer = bad[i].value;
		else if (!strcmp(bad[i].field, "depends"))
			c.depends = bad[i].value;
		else if (!strcmp(bad[i].field, "description"))
			c.description = bad[i].value;
		else {
			c.extra = &extra;
			c.nextra = 1;
		}
		struct ab_buf b = AB_BUF_INIT;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(deb_control_render(&c, 1, &b, &err), -AB_E_INVALID);
		assert_string_equal(err.msg.buf, bad[i].msg);
		assert_int_equal(b.len, 0);
		ab_err_release(&err);
	}
}

/* ---- whole packages ---- */

static void build(const char *root, const char *out, enum deb_compress c)
{
	struct deb_spec s = demo_spec(root);
	struct ab_err err = AB_ERR_INIT;
	s.compress = c;
	if (deb_write(&s, out, &err) < 0)
		fail_msg("deb_write: %s", err.msg.buf);
	ab_err_release(&err);
}

static void package_checked_by_dpkg(void **state)
{
	char *dir = tu_mkdtemp("deb_test");
	struct ab_buf root = AB_BUF_INIT, deb = AB_BUF_INIT, o = AB_BUF_INIT;
	ab_buf_addf(&root, "%s/root", dir);
	mkdir(root.buf, 0755);
	make_tree(root.buf, false, 1600000000);
	ab_buf_addf(&deb, "%s/demo.deb", dir);
	build(root.buf, deb.buf, DEB_ZSTD);

	/* the ar members, in dpkg-deb's order and form */
	TU_RUN_OK(&o, "ar t '%s'", deb.buf);
	assert_string_equal(o.buf, "debian-binary\ncontrol.tar.zst\ndata.tar.zst\n");
	ab_buf_reset(&o);

	TU_RUN_OK(&o, "dpkg-deb --info '%s'", deb.buf);
	tu_expect_contains(&o, " Package: demo-app\n");
	tu_expect_contains(&o, " Version: 1~a1~dev1-1.~abc~.1\n");
	tu_expect_contains(&o, " Installed-Size: ");
	tu_expect_contains(&o, "  This package tests the writer.\n  .\n     an indented line\n");
	tu_expect_contains(&o, " postinst ");
	ab_buf_reset(&o);

	TU_RUN_OK(&o, "dpkg-deb --field '%s' Package Version Depends", deb.buf);
	assert_string_equal(o.buf, "Package: demo-app\nVersion: 1~a1~dev1-1.~abc~.1\n"
				   "Depends: demo-python3-flask (= 3.0-1)\n");
	ab_buf_reset(&o);

	TU_RUN_OK(&o, "dpkg-deb --contents '%s'", deb.buf);
	tu_expect_contains(&o, "drwxr-xr-x root/root         0 2023-11-14 22:13 ./\n");
	tu_expect_contains(&o, "-rwxr-xr-x root/root        20 2023-11-14 22:13 ./opt/demo/bin/demo\n");
	tu_expect_contains(&o, "-rw-r--r-- root/root        12 2023-11-14 22:13 ./etc/demo/demo.conf\n");
	tu_expect_contains(&o, "lrwxrwxrwx root/root         0 2023-11-14 22:13 ./usr/bin/demo -> "
			       "/opt/demo/bin/demo\n");
	tu_expect_contains(&o, "drwxr-xr-x root/root         0 2023-11-14 22:13 "
			       "./opt/demo/empty/\n");
	tu_expect_contains(&o, long_name);
	ab_buf_reset(&o);

	/* entries sorted, root first */
	TU_RUN_OK(&o, "dpkg-deb --fsys-tarfile '%s' | tar -t", deb.buf);
	assert_true(!strncmp(o.buf, "./\n./etc/\n./etc/demo/\n./etc/demo/demo.conf\n./opt/\n", 50));
	ab_buf_reset(&o);
	/* symlinks last, as dpkg-deb puts them */
	TU_RUN_OK(&o, "dpkg-deb --fsys-tarfile '%s' | tar -t | tail -n 1", deb.buf);
	assert_string_equal(o.buf, "./usr/bin/demo\n");
	ab_buf_reset(&o);

	/* control members */
	TU_RUN_OK(&o, "dpkg-deb --ctrl-tarfile '%s' | tar -tv", deb.buf);
	tu_expect_contains(&o, "-rw-r--r-- root/root        20 2023-11-14 22:13 ./conffiles\n");
	tu_expect_contains(&o, "-rwxr-xr-x root/root        24 2023-11-14 22:13 ./postinst\n");
	ab_buf_reset(&o);

	/* md5sums match the extracted files; the conffile is not listed */
	TU_RUN_OK(&o, "cd '%s' && dpkg-deb -x demo.deb x && dpkg-deb -e demo.deb c && "
				    "cd x && md5sum -c --quiet ../c/md5sums && cat ../c/md5sums",
				dir);
	tu_expect_contains(&o, "  opt/demo/bin/demo\n");
	assert_null(strstr(o.buf, "demo.conf"));
	ab_buf_reset(&o);
	TU_RUN_OK(&o, "diff -r --no-dereference '%s/x' '%s'", dir, root.buf);
	ab_buf_reset(&o);

	/* install into a scratch root: dpkg registers files and conffiles */
	assert_int_equal(tu_run(&o,
				"cd '%s' && mkdir -p inst/var/lib/dpkg/info inst/var/lib/dpkg/updates && "
				"touch inst/var/lib/dpkg/status && "
				"dpkg --root=\"$PWD/inst\" --force-not-root --force-bad-path "
				"--force-script-chrootless --force-depends --log=/dev/null -i demo.deb && "
				"dpkg --root=\"$PWD/inst\" -s demo-app && "
				"dpkg --root=\"$PWD/inst\" -L demo-app && "
				"test -x inst/opt/demo/bin/demo && "
				"dpkg --root=\"$PWD/inst\" --force-not-root --force-bad-path "
				"--force-script-chrootless --log=/dev/null --purge demo-app && "
				"test ! -e inst/opt/demo/bin/demo && test ! -e inst/etc/demo/demo.conf",
				dir),
			 0);
	tu_expect_contains(&o, "Status: install ok installed\n");
	tu_expect_contains(&o, " /etc/demo/demo.conf ");
	tu_expect_contains(&o, "/opt/demo/bin/demo\n");
	ab_buf_reset(&o);

	/* lintian, when installed: no errors. It runs on an xz build: lintian
	 * 2.116 (Debian 12) reports zstd members as malformed-deb-archive,
	 * although dpkg 1.21.18+ reads them. */
	if (tu_run(NULL, "command -v lintian") == 0) {
		build(root.buf, deb.buf, DEB_XZ);
		int st = tu_run(&o, "lintian --tag-display-limit 0 '%s'", deb.buf);
		if (st != 0 || strstr(o.buf, "E: "))
			fail_msg("lintian:\n%s", o.buf);
	}

	ab_buf_release(&o);
	ab_buf_release(&root);
	ab_buf_release(&deb);
	tu_rmrf(dir);
}

static void package_reproducible(void **state)
{
	static const enum deb_compress cs[] = { DEB_ZSTD, DEB_XZ, DEB_GZIP };
	char *d1 = tu_mkdtemp("deb_test"), *d2 = tu_mkdtemp("deb_test");
	struct ab_buf r1 = AB_BUF_INIT, r2 = AB_BUF_INIT, o = AB_BUF_INIT;
	ab_buf_addf(&r1, "%s/tree", d1);
	ab_buf_addf(&r2, "%s/some/other/place", d2);
	mkdir(r1.buf, 0755);
	mkdirs(d2, "some/other/place");
	make_tree(r1.buf, false, 1600000000);
	make_tree(r2.buf, true, 1700000123);
	for (size_t i = 0; i < AB_ARRAY_SIZE(cs); i++) {
		char p1[4096], p2[4096];
		snprintf(p1, sizeof(p1), "%s/a%zu.deb", d1, i);
		snprintf(p2, sizeof(p2), "%s/b%zu.deb", d2, i);
		build(r1.buf, p1, cs[i]);
		sleep(i == 0); /* a different second, once */
		build(r2.buf, p2, cs[i]);
		if (tu_run(&o, "cmp '%s' '%s'", p1, p2) != 0)
			fail_msg("compressor %zu: builds differ: %s", i, o.buf);
		TU_RUN_OK(&o, "dpkg-deb --info '%s' >/dev/null", p1);
		/* building over an existing package replaces it */
		build(r2.buf, p1, cs[i]);
		TU_RUN_OK(&o, "cmp '%s' '%s'", p1, p2);
	}
	ab_buf_reset(&o);
	TU_RUN_OK(&o, "ar t '%s/a1.deb' && ar t '%s/a2.deb'", d1, d1);
	assert_string_equal(o.buf, "debian-binary\ncontrol.tar.xz\ndata.tar.xz\n"
				   "debian-binary\ncontrol.tar.gz\ndata.tar.gz\n");
	ab_buf_release(&o);
	ab_buf_release(&r1);
	ab_buf_release(&r2);
	tu_rmrf(d1);
	tu_rmrf(d2);
}

/* dpkg-deb --build of the same tree (permissions normalized as the writer
 * does) and of our own control members: with gzip the whole .deb is the
 * same bytes; with xz and zstd the compressed streams differ (dpkg-deb's
 * encoder settings), the tars inside do not. */
static void package_matches_dpkg_deb(void **state)
{
	static const struct {
		enum deb_compress c;
		const char *z;
	} cs[] = { { DEB_GZIP, "gzip" }, { DEB_XZ, "xz" }, { DEB_ZSTD, "zstd" } };
	char *dir = tu_mkdtemp("deb_test");
	struct ab_buf root = AB_BUF_INIT, o = AB_BUF_INIT;
	ab_buf_addf(&root, "%s/root", dir);
	mkdir(root.buf, 0755);
	/* later than SOURCE_DATE_EPOCH: dpkg-deb clamps to it, we always use it */
	make_tree(root.buf, true, 1800000000);
	for (size_t i = 0; i < AB_ARRAY_SIZE(cs); i++) {
		char ours[4096];
		snprintf(ours, sizeof(ours), "%s/ours-%s.deb", dir, cs[i].z);
		build(root.buf, ours, cs[i].c);
		TU_RUN_OK(&o,
			  "cd '%s' && rm -rf ref && cp -a root ref && "
			  "dpkg-deb -e '%s' ref/DEBIAN && "
			  "find ref -type d -exec chmod 755 {} + && "
			  "find ref/DEBIAN ref/etc ref/opt ref/usr -type f -perm /111 -exec chmod 755 {} + && "
			  "find ref/etc ref/opt ref/usr -type f ! -perm /111 "
			  "-exec chmod 644 {} + && "
			  "SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group "
			  "-Z%s --build ref "
			  "ref-%s.deb >/dev/null && "
			  "dpkg-deb --fsys-tarfile ours-%s.deb > a.tar && "
			  "dpkg-deb --fsys-tarfile ref-%s.deb > b.tar && cmp a.tar b.tar && "
			  "dpkg-deb --ctrl-tarfile ours-%s.deb > a.tar && "
			  "dpkg-deb --ctrl-tarfile ref-%s.deb > b.tar && cmp a.tar b.tar",
			  dir, ours, cs[i].z, cs[i].z, cs[i].z, cs[i].z, cs[i].z, cs[i].z);
		if (cs[i].c == DEB_GZIP)
			TU_RUN_OK(&o, "cd '%s' && cmp ours-gzip.deb ref-gzip.deb", dir);
	}
	ab_buf_release(&o);
	ab_buf_release(&root);
	tu_rmrf(dir);
}

/* The output directory holds nothing but what was there before. */
static void assert_only(const char *dir, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t k = 0;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			k++;
	closedir(d);
	assert_int_equal(k, n);
}

static void package_errors(void **state)
{
	char *dir = tu_mkdtemp("deb_test");
	struct ab_buf root = AB_BUF_INIT, out = AB_BUF_INIT, outdir = AB_BUF_INIT;
	ab_buf_addf(&root, "%s/root", dir);
	ab_buf_addf(&outdir, "%s/out", dir);
	ab_buf_addf(&out, "%s/out/x.deb", dir);
	mkdir(root.buf, 0755);
	mkdir(outdir.buf, 0755);
	make_tree(root.buf, false, 1600000000);

	struct ab_err err = AB_ERR_INIT;
	struct deb_spec s = demo_spec(root.buf);
	static const char *const missing[] = { "/etc/demo/absent.conf" };
	s.conffiles = missing;
	assert_int_equal(deb_write(&s, out.buf, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf,
			    "conffile '/etc/demo/absent.conf' is not a regular file in the package");
	ab_err_clear(&err);

	s = demo_spec(root.buf);
	s.prerm = "set -e\n";
	assert_int_equal(deb_write(&s, out.buf, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf, "maintainer script 'prerm' must start with '#!'");
	ab_err_clear(&err);

	s = demo_spec(root.buf);
	s.control.version = NULL;
	assert_int_equal(deb_write(&s, out.buf, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf, "control field 'Version' is required");
	ab_err_clear(&err);

	struct ab_buf p = AB_BUF_INIT;
	ab_buf_addf(&p, "%s/root/nope", dir);
	s = demo_spec(p.buf);
	assert_int_equal(deb_write(&s, out.buf, &err), -AB_E_IO);
	ab_buf_reset(&p);
	ab_buf_addf(&p, "cannot open directory '%s/root/nope': No such file or directory", dir);
	assert_string_equal(err.msg.buf, p.buf);
	assert_non_null(err.file);
	ab_err_clear(&err);

	/* a fifo cannot go in a package */
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/opt/demo/fifo", root.buf);
	assert_int_equal(mkfifo(p.buf, 0644), 0);
	s = demo_spec(root.buf);
	assert_int_equal(deb_write(&s, out.buf, &err), -AB_E_UNSUPPORTED);
	tu_expect_contains(&err.msg, "is not a regular file, directory or symlink");
	ab_err_clear(&err);
	unlink(p.buf);

	/* output directory missing: an I/O error, nothing written */
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/nodir/x.deb", dir);
	assert_int_equal(deb_write(&s, p.buf, &err), -AB_E_IO);
	ab_err_clear(&err);

	assert_only(outdir.buf, 0);
	ab_buf_release(&p);
	ab_err_release(&err);
	ab_buf_release(&root);
	ab_buf_release(&out);
	ab_buf_release(&outdir);
	tu_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control_render),
		cmocka_unit_test(control_errors),
		cmocka_unit_test(package_checked_by_dpkg),
		cmocka_unit_test(package_reproducible),
		cmocka_unit_test(package_matches_dpkg_deb),
		cmocka_unit_test(package_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
