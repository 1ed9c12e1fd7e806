/* tarball_test.c - format names, and byte-for-byte reproducible tarballs:
 * the same tree copied to two directories at different times (different
 * mtimes, modes, creation order) gives identical files in every format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/tarball.h"
#include "tests/unit/testutil.h"

static char *tmp;

static int setup(void **state)
{
	tmp = tu_mkdtemp("tarball_test.");
	return 0;
}

static int teardown(void **state)
{
	tu_rmrf(tmp);
	tmp = NULL;
	return 0;
}

static void formats(void **state)
{
	enum tarball_format f;
	assert_int_equal(tarball_format_parse("tar.zst", &f), 0);
	assert_int_equal(f, TARBALL_ZST);
	assert_int_equal(tarball_format_parse("tgz", &f), 0);
	assert_int_equal(f, TARBALL_GZ);
	assert_int_equal(tarball_format_parse("tar.bz2", &f), -1);
	assert_int_equal(tarball_format_from_path("dist/app-1.0.tar.xz", &f), 0);
	assert_int_equal(f, TARBALL_XZ);
	assert_int_equal(tarball_format_from_path("app.zip", &f), -1);
	assert_int_equal(tarball_format_from_path(".tar.gz", &f), -1);
	assert_string_equal(tarball_format_ext(TARBALL_ZST), ".tar.zst");
}

/* A tree with a long path (pax), a symlink, an executable, an empty dir. */
static void make_tree(const char *dir, const char *order)
{
	tu_sh_ok("mkdir -p '%s/a/b' '%s/empty' '%s/%s' && cd '%s' && "
		 "for f in %s; do echo \"content $f\" > \"a/$f\"; done && "
		 "printf '#!/bin/sh\\n' > a/run && chmod 700 a/run && chmod 664 a/x && "
		 "ln -s ../a/x a/b/link && echo deep > '%s/long'",
		 dir, dir, dir,
		 "p/very-long-directory-name-that-goes-on-and-on/and-on-and-on-and-on-and-on/"
		 "and-on-and-on-and-on-more/over-the-ustar-limit",
		 dir, order,
		 "p/very-long-directory-name-that-goes-on-and-on/and-on-and-on-and-on-and-on/"
		 "and-on-and-on-and-on-more/over-the-ustar-limit");
}

static void reproducible(void **state)
{
	char a[512], b[512], oa[600], ob[600];
	snprintf(a, sizeof(a), "%s/one", tmp);
	snprintf(b, sizeof(b), "%s/second/tree", tmp);
	make_tree(a, "x y z");
	tu_sh_ok("mkdir -p '%s/second' && sleep 1", tmp);
	make_tree(b, "z y x");
	tu_sh_ok("touch -d '2001-01-01' '%s/a/x' && chmod 755 '%s/a/b'", b, b);
	static const enum tarball_format fs[] = { TARBALL_GZ, TARBALL_ZST, TARBALL_XZ };
	for (size_t i = 0; i < 3; i++) {
		struct tarball_opts o = { fs[i], "app-1.0", 1700000000, 0, 0 };
		struct ab_err err = AB_ERR_INIT;
		snprintf(oa, sizeof(oa), "%s/a%s", tmp, tarball_format_ext(fs[i]));
		snprintf(ob, sizeof(ob), "%s/b%s", tmp, tarball_format_ext(fs[i]));
		assert_int_equal(tarball_write(a, oa, &o, &err), 0);
		o.threads = 3; /* the thread count never changes the bytes */
		assert_int_equal(tarball_write(b, ob, &o, &err), 0);
		tu_sh_ok("cmp '%s' '%s'", oa, ob);
		ab_err_release(&err);
	}
	/* what is inside: one top directory, sorted, root:root, fixed mtime */
	tu_sh_ok("cd '%s' && tar --numeric-owner -tvzf a.tar.gz > list && "
		 "! grep -v ' 0/0 ' list && ! grep -v '2023-11-1[45]' list && "
		 "tar -tzf a.tar.gz > names && ! grep -v '^app-1.0/' names && "
		 "sort -c names && head -1 names | grep -qx 'app-1.0/' && "
		 "grep -q 'app-1.0/a/b/link -> ../a/x' list && "
		 "grep -q '^-rwxr-xr-x .* app-1.0/a/run$' list && "
		 "grep -q '^-rw-r--r-- .* app-1.0/a/x$' list && "
		 "grep -q 'over-the-ustar-limit/long$' names && grep -q 'app-1.0/empty/$' names",
		 tmp);
	tu_sh_ok("cd '%s' && mkdir x && tar -C x -xf a.tar.zst && tar -C x -xf a.tar.xz && "
		 "test \"$(cat x/app-1.0/a/y)\" = 'content y'",
		 tmp);
}

/* gzip in 128 KiB chunks (pigz's layout): more than one chunk, the same
 * bytes for 1, 2 and 5 threads, a valid gzip file that unpacks to the tree. */
static void gzip_chunks(void **state)
{
	char a[512], out[600];
	snprintf(a, sizeof(a), "%s/big", tmp);
	tu_sh_ok("mkdir -p '%s/d' && seq 1 300000 > '%s/d/numbers' && "
		 "head -c 300000 /dev/urandom > '%s/d/noise' && seq 7 9 > '%s/small'",
		 a, a, a, a);
	static const unsigned threads[] = { 1, 2, 5 };
	for (size_t i = 0; i < 3; i++) {
		struct tarball_opts o = { TARBALL_GZ, "big-1", 1700000000, 0, threads[i] };
		struct ab_err err = AB_ERR_INIT;
		snprintf(out, sizeof(out), "%s/big%zu.tar.gz", tmp, i);
		assert_int_equal(tarball_write(a, out, &o, &err), 0);
		ab_err_release(&err);
	}
	tu_sh_ok("cd '%s' && cmp big0.tar.gz big1.tar.gz && cmp big0.tar.gz big2.tar.gz && "
		 "gzip -t big0.tar.gz && mkdir u && tar -C u -xzf big0.tar.gz && "
		 "cmp u/big-1/d/numbers big/d/numbers && cmp u/big-1/d/noise big/d/noise && "
		 "cmp u/big-1/small big/small",
		 tmp);
}

static void errors(void **state)
{
	char a[512], out[600];
	snprintf(a, sizeof(a), "%s/err", tmp);
	snprintf(out, sizeof(out), "%s/out/e.tar.gz", tmp);
	tu_sh_ok("mkdir -p '%s/out' && mkdir -p '%s' && echo x > '%s/f' && mkfifo '%s/fifo'", tmp, a, a, a);
	struct tarball_opts o = { TARBALL_GZ, "app-1.0", 0, 0, 0 };
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(tarball_write(a, out, &o, &err), -AB_E_UNSUPPORTED);
	assert_string_equal(err.msg.buf, "cannot archive a device, fifo or socket");
	/* nothing left: no output, no temporary file */
	tu_sh_ok("test -z \"$(ls -A '%s/out')\"", tmp);
	ab_err_clear(&err);
	o.top = "a/b";
	assert_int_equal(tarball_write(a, out, &o, &err), -AB_E_USAGE);
	assert_string_equal(err.msg.buf, "invalid top directory name 'a/b'");
	ab_err_clear(&err);
	o.top = "x";
	snprintf(out, sizeof(out), "%s/missing/e.tar.gz", tmp);
	assert_int_equal(tarball_write(a, out, &o, &err), -AB_E_IO);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formats),
		cmocka_unit_test(reproducible),
		cmocka_unit_test(gzip_chunks),
		cmocka_unit_test(errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
