/* tarball_test.c - format names, and byte-for-byte reproducible tarballs:
 * the same tree copied to two directories at different times (different
 * mtimes, modes, creation order) gives identical files in every format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
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
		struct tarball_opts o = { fs[i], "app-1.0", 1700000000, 0, 0, NULL, NULL, NULL, 0,
					  NULL, NULL };
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

/* gzip in independently compressed segments (a file larger than one is
 * cut inside): the same bytes for 1, 2 and 5 threads, a valid gzip file
 * that unpacks to the tree. */
static void gzip_chunks(void **state)
{
	char a[512], out[600];
	snprintf(a, sizeof(a), "%s/big", tmp);
	tu_sh_ok("mkdir -p '%s/d' && seq 1 1500000 > '%s/d/numbers' && "
		 "head -c 300000 /dev/urandom > '%s/d/noise' && seq 7 9 > '%s/small'",
		 a, a, a, a);
	static const unsigned threads[] = { 1, 2, 5 };
	for (size_t i = 0; i < 3; i++) {
		struct tarball_opts o = { TARBALL_GZ, "big-1", 1700000000, 0, threads[i], NULL, NULL,
					  NULL, 0, NULL, NULL };
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

/* ------------------------------------------------------------------ */
/* the segment cache: an in-memory store that counts what it is asked */

#define STORE_MAX 256

struct store {
	char key[STORE_MAX][65];
	struct ab_buf val[STORE_MAX];
	size_t n;
	unsigned gets, puts;
};

/* FNV-1a over the tag and the pieces, twice with two seeds: a digest good
 * enough to key a test store */
static void store_key(void *ctx, const char *tag, const struct tarball_piece *v, size_t n,
		      char key[65])
{
	uint64_t h[4] = { 1469598103934665603ull, 1099511628211ull * 7, 99991, 12345 };
	for (int k = 0; k < 4; k++) {
		for (const char *t = tag; *t; t++)
			h[k] = (h[k] ^ (unsigned char)*t) * 1099511628211ull;
		for (size_t i = 0; i < n; i++)
			for (size_t b = 0; b < v[i].size; b++)
				h[k] = (h[k] ^ ((const unsigned char *)v[i].data)[b]) *
				       (1099511628211ull + 2 * (uint64_t)k);
	}
	snprintf(key, 65, "%016llx%016llx%016llx%016llx", (unsigned long long)h[0],
		 (unsigned long long)h[1], (unsigned long long)h[2], (unsigned long long)h[3]);
}

static struct ab_buf *store_find(struct store *st, const char *key)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->key[i], key))
			return &st->val[i];
	return NULL;
}

/* tarball_write calls these from its worker threads */
static pthread_mutex_t store_mu = PTHREAD_MUTEX_INITIALIZER;

static int store_get(void *ctx, const char *key, const void **data, size_t *n, void **handle)
{
	struct store *st = ctx;
	pthread_mutex_lock(&store_mu);
	st->gets++;
	struct ab_buf *b = store_find(st, key);
	if (b) {
		*data = b->buf;
		*n = b->len;
		*handle = NULL;
	}
	pthread_mutex_unlock(&store_mu);
	return b != NULL;
}

static void store_release(void *ctx, void *handle)
{
	(void)ctx;
	(void)handle;
}

static void store_put(void *ctx, const char *key, const void *data, size_t n)
{
	struct store *st = ctx;
	pthread_mutex_lock(&store_mu);
	st->puts++;
	struct ab_buf *b = store_find(st, key);
	if (!b && st->n < STORE_MAX) {
		memcpy(st->key[st->n], key, 65);
		b = &st->val[st->n++];
		*b = (struct ab_buf)AB_BUF_INIT;
	}
	if (b) {
		ab_buf_reset(b);
		ab_buf_add(b, data, n);
	}
	pthread_mutex_unlock(&store_mu);
}

static void store_release_all(struct store *st)
{
	for (size_t i = 0; i < st->n; i++)
		ab_buf_release(&st->val[i]);
	st->n = 0;
}

static void write_tree(const char *root, const char *out, unsigned threads,
		       const struct tarball_segcache *sc, struct tarball_stats *ts,
		       const struct tarball_memfile *mem, size_t nmem)
{
	struct tarball_opts o = { TARBALL_GZ, "seg-1", 1700000000, 0, threads, sc, ts, mem, nmem,
				  NULL, NULL };
	struct ab_err err = AB_ERR_INIT;
	if (tarball_write(root, out, &o, &err) < 0)
		fail_msg("%s", err.msg.buf);
	ab_err_release(&err);
}

/* Cache misses then hits give the same bytes as no cache, for any number
 * of threads; a damaged segment is found, compressed again and replaced;
 * a changed file recompresses its own segment only. */
static void segment_cache(void **state)
{
	static struct store st; /* large: not on the stack */
	struct tarball_segcache sc = { &st, store_key, store_get, store_release, store_put };
	struct tarball_stats ts;
	char root[512], out[600];
	snprintf(root, sizeof(root), "%s/seg", tmp);
	/* top-level entries (each a segment), a site-packages directory with
	 * packages (each a segment), a file larger than a segment */
	tu_sh_ok("mkdir -p '%s/app' '%s/venv/lib/site-packages/pkg' '%s/venv/lib/site-packages/two' && "
		 "cd '%s' && echo one > app/a.py && echo two > app/b.py && seq 1 200 > notes && "
		 "seq 1 400000 > venv/lib/site-packages/pkg/big && "
		 "head -c 200000 /dev/urandom > venv/lib/site-packages/two/noise && "
		 "echo x > venv/lib/site-packages/mod.py",
		 root, root, root, root);
	snprintf(out, sizeof(out), "%s/plain.tar.gz", tmp);
	write_tree(root, out, 1, NULL, &ts, NULL, 0);
	unsigned nseg = ts.segments;
	assert_true(nseg >= 8);
	assert_int_equal(ts.cached, 0);
	static const unsigned threads[] = { 1, 3, 1, 2 };
	for (size_t i = 0; i < 4; i++) {
		snprintf(out, sizeof(out), "%s/c%zu.tar.gz", tmp, i);
		st.gets = st.puts = 0;
		write_tree(root, out, threads[i], &sc, &ts, NULL, 0);
		assert_int_equal(ts.segments, nseg);
		/* the first run fills the store, the others only read it */
		assert_int_equal(ts.cached, i ? nseg : 0);
		assert_int_equal(st.puts, i ? 0 : nseg);
		assert_int_equal(st.gets, nseg);
		tu_sh_ok("cmp '%s/plain.tar.gz' '%s'", tmp, out);
	}
	/* damage: a compressed byte, the header's length, a truncation */
	assert_int_equal(st.n, nseg);
	st.val[1].buf[st.val[1].len - 3] ^= 0x55;
	st.val[2].buf[12] ^= 1;
	ab_buf_truncate(&st.val[3], 10);
	st.puts = 0;
	snprintf(out, sizeof(out), "%s/fixed.tar.gz", tmp);
	write_tree(root, out, 2, &sc, &ts, NULL, 0);
	assert_int_equal(ts.cached, nseg - 3);
	assert_int_equal(st.puts, 3);
	tu_sh_ok("cmp '%s/plain.tar.gz' '%s'", tmp, out);
	write_tree(root, out, 2, &sc, &ts, NULL, 0);
	assert_int_equal(ts.cached, nseg);
	/* one changed file: its segment only */
	tu_sh_ok("echo changed > '%s/app/b.py'", root);
	st.puts = 0;
	write_tree(root, out, 2, &sc, &ts, NULL, 0);
	assert_int_equal(ts.cached, nseg - 1);
	assert_int_equal(st.puts, 1);
	snprintf(out, sizeof(out), "%s/changed-plain.tar.gz", tmp);
	write_tree(root, out, 1, NULL, &ts, NULL, 0);
	tu_sh_ok("cd '%s' && cmp fixed.tar.gz changed-plain.tar.gz && gzip -t fixed.tar.gz && "
		 "tar tzf fixed.tar.gz >/dev/null && mkdir -p useg && tar -C useg -xzf fixed.tar.gz && "
		 "diff -r useg/seg-1 seg && python3 -c 'import sys, tarfile; "
		 "t = tarfile.open(sys.argv[1]); assert len(t.getnames()) > 10' fixed.tar.gz",
		 tmp);
	store_release_all(&st);
}

/* Files from memory: the same archive as with them in the tree (their
 * directories made up), one replacing a file of the tree; bad paths. */
static void memory_files(void **state)
{
	char disk[512], part[512], out[600];
	snprintf(disk, sizeof(disk), "%s/memdisk", tmp);
	snprintf(part, sizeof(part), "%s/mempart", tmp);
	tu_sh_ok("mkdir -p '%s/a/b' '%s/a-c' '%s/a' && cd '%s' && printf 'hello' > a/b/x.py && "
		 "printf '#!/bin/sh\n' > a/run && chmod 755 a/run && echo keep > a-c/k && "
		 "echo top > t && cp -r a-c t '%s/' && echo old > '%s/t'",
		 disk, disk, part, disk, part, part);
	/* t replaced from memory; a/ and a/b/ only implied */
	static const char hello[] = "hello", run[] = "#!/bin/sh\n", top[] = "top\n";
	const struct tarball_memfile mem[] = {
		{ "a/b/x.py", hello, 5, false },
		{ "a/run", run, strlen(run), true },
		{ "t", top, 4, false },
	};
	char a[600], b[600];
	snprintf(a, sizeof(a), "%s/disk.tar.gz", tmp);
	snprintf(b, sizeof(b), "%s/mem.tar.gz", tmp);
	write_tree(disk, a, 2, NULL, NULL, NULL, 0);
	write_tree(part, b, 2, NULL, NULL, mem, 3);
	tu_sh_ok("cmp '%s' '%s'", a, b);
	struct tarball_memfile bad = { "a/../x", hello, 5, false };
	struct tarball_opts o = { TARBALL_GZ, "seg-1", 0, 0, 0, NULL, NULL, &bad, 1, NULL, NULL };
	struct ab_err err = AB_ERR_INIT;
	snprintf(out, sizeof(out), "%s/bad.tar.gz", tmp);
	assert_int_equal(tarball_write(part, out, &o, &err), -AB_E_USAGE);
	assert_string_equal(err.msg.buf, "invalid path 'a/../x' for the archive");
	ab_err_clear(&err);
	/* a file where the tree has a directory */
	bad.path = "a-c";
	assert_int_equal(tarball_write(part, out, &o, &err), -AB_E_USAGE);
	assert_string_equal(err.msg.buf, "both a file and a directory in the archive");
	ab_err_release(&err);
	tu_sh_ok("test ! -e '%s'", out);
}

static void errors(void **state)
{
	char a[512], out[600];
	snprintf(a, sizeof(a), "%s/err", tmp);
	snprintf(out, sizeof(out), "%s/out/e.tar.gz", tmp);
	tu_sh_ok("mkdir -p '%s/out' && mkdir -p '%s' && echo x > '%s/f' && mkfifo '%s/fifo'", tmp, a, a, a);
	struct tarball_opts o = { TARBALL_GZ, "app-1.0", 0, 0, 0, NULL, NULL, NULL, 0, NULL,
				  NULL };
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
		cmocka_unit_test(segment_cache),
		cmocka_unit_test(memory_files),
		cmocka_unit_test(errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
