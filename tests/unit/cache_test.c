/* cache_test.c - content-addressed files, HTTP pages, corruption, sharing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "builder/cache.h"

static char dir[256];

static int rm_one(const char *p, const struct stat *st, int fl, struct FTW *f)
{
	return remove(p) < 0 ? 0 : 0;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cache_test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(data, 1, n, f);
	fclose(f);
}

static void default_dir(void **state)
{
	struct ab_buf b = AB_BUF_INIT;
	struct ab_err err = AB_ERR_INIT;
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	assert_int_equal(cache_default_dir(&b, &err), 0);
	assert_string_equal(b.buf, "/x/cache/appbuild");
	ab_buf_reset(&b);
	setenv("XDG_CACHE_HOME", "relative", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(cache_default_dir(&b, &err), 0);
	assert_string_equal(b.buf, "/home/u/.cache/appbuild");
	ab_buf_reset(&b);
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	assert_int_equal(cache_default_dir(&b, &err), -AB_E_IO);
	assert_string_equal(err.msg.buf,
			    "no cache directory: set XDG_CACHE_HOME or HOME, or pass --cache-dir");
	ab_buf_release(&b);
	ab_err_release(&err);
}

static void files(void **state)
{
	struct cache c = CACHE_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf path = AB_BUF_INIT, look = AB_BUF_INIT;
	char hex[65], want[65];
	assert_int_equal(cache_open(&c, dir, false, &err), 0);
	cache_sha256_hex("hello", 5, want);
	assert_string_equal(want,
			    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	assert_int_equal(cache_file_lookup(&c, want, true, &look, &err), 0);
	assert_int_equal(cache_file_put(&c, "hello", 5, want, &path, hex, &err), 0);
	assert_string_equal(hex, want);
	assert_non_null(strstr(path.buf, "/files/sha256/2c/f24dba5f"));
	assert_int_equal(cache_file_lookup(&c, want, true, &look, &err), 1);
	assert_string_equal(look.buf, path.buf);
	/* uppercase digests name the same entry */
	char up[65];
	for (int i = 0; i < 65; i++)
		up[i] = (char)(want[i] >= 'a' && want[i] <= 'f' ? want[i] - 32 : want[i]);
	ab_buf_reset(&look);
	assert_int_equal(cache_file_lookup(&c, up, true, &look, &err), 1);
	/* corrupt: detected, deleted, reported missing */
	write_file(path.buf, "hellO", 5);
	ab_buf_reset(&look);
	assert_int_equal(cache_file_lookup(&c, want, true, &look, &err), 0);
	assert_int_not_equal(access(path.buf, F_OK), 0);
	/* wrong hash: error, nothing kept */
	ab_buf_reset(&path);
	assert_int_equal(cache_file_put(&c, "bye", 3, want, &path, NULL, &err), -AB_E_HASH);
	assert_non_null(strstr(err.msg.buf, "sha256 mismatch: expected 2cf24dba"));
	assert_int_equal(path.len, 0);
	ab_err_clear(&err);
	/* streaming writer with a restart */
	struct cache_writer w;
	assert_int_equal(cache_writer_open(&c, &w, &err), 0);
	assert_int_equal(cache_writer_write(&w, "garbage", 7, &err), 0);
	assert_int_equal(cache_writer_restart(&w, &err), 0);
	assert_int_equal(cache_writer_write(&w, "hel", 3, &err), 0);
	assert_int_equal(cache_writer_write(&w, "lo", 2, &err), 0);
	assert_int_equal(cache_writer_commit(&w, want, &path, NULL, &err), 0);
	ab_buf_reset(&look);
	assert_int_equal(cache_file_lookup(&c, want, true, &look, &err), 1);
	/* nothing left behind in tmp/ */
	ab_buf_reset(&path);
	ab_buf_addf(&path, "%s/tmp", dir);
	assert_int_equal(rmdir(path.buf), 0);
	cache_release(&c);
	ab_buf_release(&path);
	ab_buf_release(&look);
	ab_err_release(&err);
}

static void pages(void **state)
{
	struct cache c = CACHE_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf body = AB_BUF_INIT, p = AB_BUF_INIT;
	struct cache_meta m = CACHE_META_INIT, got = CACHE_META_INIT;
	assert_int_equal(cache_open(&c, dir, false, &err), 0);
	m.url = "http://h/simple/flask/";
	m.etag = "\"abc\"";
	m.last_modified = "Tue, 01 Dec 2026 10:00:00 GMT";
	m.cache_control = "max-age=600, public";
	m.stored_at = 1000;
	assert_int_equal(cache_page_get(&c, m.url, &got, &body, &err), 0);
	assert_int_equal(cache_page_put(&c, &m, "<html>", 6, &err), 0);
	assert_int_equal(cache_page_get(&c, m.url, &got, &body, &err), 1);
	assert_string_equal(body.buf, "<html>");
	assert_string_equal(got.etag, "\"abc\"");
	assert_string_equal(got.last_modified, m.last_modified);
	assert_null(got.content_type);
	assert_int_equal(got.stored_at, 1000);
	assert_true(cache_meta_fresh(&got, 1599));
	assert_false(cache_meta_fresh(&got, 1600));
	cache_meta_release(&got);
	/* truncate the entry: corrupt, deleted */
	cache_page_path(&c, m.url, &p);
	assert_int_equal(truncate(p.buf, 20), 0);
	ab_buf_reset(&body);
	assert_int_equal(cache_page_get(&c, m.url, &got, &body, &err), 0);
	assert_int_not_equal(access(p.buf, F_OK), 0);
	/* no-store: not kept */
	m.cache_control = "no-store";
	assert_int_equal(cache_page_put(&c, &m, "x", 1, &err), 0);
	assert_int_equal(cache_page_get(&c, m.url, &got, &body, &err), 0);
	cache_release(&c);
	ab_buf_release(&body);
	ab_buf_release(&p);
	ab_err_release(&err);
}

static void freshness(void **state)
{
	static const struct {
		const char *cc;
		int64_t age;
		bool fresh;
	} cases[] = {
		{ NULL, 0, false },
		{ "max-age=10", 9, true },
		{ "max-age=10", 10, false },
		{ "MAX-AGE=10", 0, true },
		{ "public, max-age=\"10\"", 1, true },
		{ "max-age=10, no-cache", 1, false },
		{ "no-store,max-age=10", 1, false },
		{ "s-maxage=10", 1, false },
		{ "max-age", 1, false },
		{ "max-age=-1", 0, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cache_meta m = CACHE_META_INIT;
		m.cache_control = (char *)cases[i].cc;
		m.stored_at = 100;
		if (cache_meta_fresh(&m, 100 + cases[i].age) != cases[i].fresh)
			fail_msg("'%s' at age %lld", cases[i].cc ? cases[i].cc : "(none)",
				 (long long)cases[i].age);
	}
}

static void disabled(void **state)
{
	struct cache c = CACHE_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf path = AB_BUF_INIT, look = AB_BUF_INIT;
	char hex[65];
	assert_int_equal(cache_open(&c, NULL, true, &err), 0);
	char *root = strdup(c.root);
	assert_int_equal(cache_file_put(&c, "x", 1, NULL, &path, hex, &err), 0);
	assert_int_equal(access(path.buf, R_OK), 0);
	assert_int_equal(cache_file_lookup(&c, hex, true, &look, &err), 0);
	cache_release(&c);
	assert_int_not_equal(access(root, F_OK), 0);
	free(root);
	ab_buf_release(&path);
	ab_buf_release(&look);
	ab_err_release(&err);
}

/* 4 processes fill one cache with the same 40 files and pages at once;
 * every entry verifies afterwards. */
static void shared_by_processes(void **state)
{
	pid_t pids[4];
	for (int k = 0; k < 4; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			struct cache c = CACHE_INIT;
			struct ab_err err = AB_ERR_INIT;
			int bad = cache_open(&c, dir, false, &err) < 0;
			for (int i = 0; i < 40 && !bad; i++) {
				char data[20000], url[64];
				memset(data, 'a' + i % 26, sizeof(data));
				snprintf(data, 32, "file %d", i);
				snprintf(url, sizeof(url), "http://h/p/%d/", i);
				struct cache_meta m = CACHE_META_INIT;
				m.url = url;
				m.stored_at = k;
				bad |= cache_file_put(&c, data, sizeof(data), NULL, NULL, NULL,
						      &err) < 0;
				bad |= cache_page_put(&c, &m, data, sizeof(data) - (size_t)i,
						      &err) < 0;
			}
			cache_release(&c);
			ab_err_release(&err);
			_exit(bad);
		}
	}
	for (int k = 0; k < 4; k++) {
		int st;
		assert_int_equal(waitpid(pids[k], &st, 0), pids[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	struct cache c = CACHE_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(cache_open(&c, dir, false, &err), 0);
	for (int i = 0; i < 40; i++) {
		char data[20000], url[64], hex[65];
		memset(data, 'a' + i % 26, sizeof(data));
		snprintf(data, 32, "file %d", i);
		snprintf(url, sizeof(url), "http://h/p/%d/", i);
		cache_sha256_hex(data, sizeof(data), hex);
		struct ab_buf look = AB_BUF_INIT, body = AB_BUF_INIT;
		struct cache_meta m = CACHE_META_INIT;
		assert_int_equal(cache_file_lookup(&c, hex, true, &look, &err), 1);
		assert_int_equal(cache_page_get(&c, url, &m, &body, &err), 1);
		assert_int_equal(body.len, sizeof(data) - (size_t)i);
		cache_meta_release(&m);
		ab_buf_release(&look);
		ab_buf_release(&body);
	}
	cache_release(&c);
	ab_err_release(&err);
}

struct bad_seen {
	struct ab_buf why;
	unsigned n;
};

static void on_bad(void *data, const char *path, const char *why)
{
	struct bad_seen *b = data;
	b->n++;
	ab_buf_addf(&b->why, "%s\n", why);
}

static void corrupt(const char *path, long off)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, off, off < 0 ? SEEK_END : SEEK_SET);
	int ch = fgetc(f);
	fseek(f, -1, SEEK_CUR);
	fputc(ch ^ 1, f);
	fclose(f);
}

static void verify_and_clean(void **state)
{
	struct cache c = CACHE_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf fpath = AB_BUF_INIT, ppath = AB_BUF_INIT, body = AB_BUF_INIT;
	struct cache_stats st;
	struct bad_seen b = { AB_BUF_INIT, 0 };
	struct cache_meta m = CACHE_META_INIT;
	char hex[65];
	assert_int_equal(cache_open(&c, dir, false, &err), 0);
	assert_int_equal(cache_verify(&c, false, &st, on_bad, &b, &err), 0);
	assert_int_equal(st.files + st.pages + st.bad + st.tmp, 0);
	assert_int_equal(cache_file_put(&c, "hello", 5, NULL, &fpath, hex, &err), 0);
	assert_int_equal(cache_file_put(&c, "world", 5, NULL, NULL, NULL, &err), 0);
	m.url = "https://example.org/simple/six/";
	m.etag = "\"e\"";
	assert_int_equal(cache_page_put(&c, &m, "<html>", 6, &err), 0);
	cache_page_path(&c, m.url, &ppath);
	assert_int_equal(cache_verify(&c, false, &st, on_bad, &b, &err), 0);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.pages, 1);
	assert_int_equal(st.bad, 0);
	assert_true(st.bytes > 10);

	/* a flipped byte in a file and in a page body; without fix: named, kept */
	corrupt(fpath.buf, 0);
	corrupt(ppath.buf, -1);
	assert_int_equal(cache_verify(&c, false, &st, on_bad, &b, &err), 0);
	assert_int_equal(st.bad, 2);
	assert_int_equal(b.n, 2);
	assert_non_null(strstr(b.why.buf, "its sha256 is "));
	assert_non_null(strstr(b.why.buf, "its body does not match its header\n"));
	assert_int_equal(access(fpath.buf, F_OK), 0);
	/* a page stored under another URL's name */
	struct ab_buf other = AB_BUF_INIT;
	cache_page_path(&c, "https://example.org/other/", &other);
	char *slash = strrchr(other.buf, '/');
	*slash = '\0';
	mkdir(other.buf, 0755);
	*slash = '/';
	assert_int_equal(link(ppath.buf, other.buf), 0);
	ab_buf_reset(&b.why);
	b.n = 0;
	/* fix: deleted, and the next verify is clean */
	assert_int_equal(cache_verify(&c, true, &st, on_bad, &b, &err), 0);
	assert_int_equal(st.bad, 3);
	assert_non_null(strstr(b.why.buf, "stored under the wrong name\n"));
	assert_int_not_equal(access(fpath.buf, F_OK), 0);
	assert_int_not_equal(access(ppath.buf, F_OK), 0);
	assert_int_not_equal(access(other.buf, F_OK), 0);
	assert_int_equal(cache_verify(&c, false, &st, NULL, NULL, &err), 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.pages, 0);
	assert_int_equal(st.bad, 0);
	assert_int_equal(cache_page_get(&c, m.url, &m, &body, &err), 0);

	/* clean: everything goes, the layout stays */
	assert_int_equal(cache_clean(&c, &st, &err), 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(cache_verify(&c, false, &st, NULL, NULL, &err), 0);
	assert_int_equal(st.files + st.pages, 0);
	assert_int_equal(cache_file_put(&c, "again", 5, NULL, NULL, NULL, &err), 0);

	ab_buf_release(&other);
	ab_buf_release(&b.why);
	ab_buf_release(&fpath);
	ab_buf_release(&ppath);
	ab_buf_release(&body);
	ab_err_release(&err);
	cache_release(&c);
}

/* The incremental helpers against one-shot EVP_Digest, on every length
 * 0..300 and longer ones, whole and in random pieces, plus FIPS 180-4's
 * "abc" example. */
static void sha256_matches_openssl(void **state)
{
	enum { MAX = 70000 };
	unsigned char *data = malloc(MAX);
	assert_non_null(data);
	srand(11);
	for (size_t i = 0; i < MAX; i++)
		data[i] = (unsigned char)rand();
	{
		for (size_t n = 0; n < MAX; n = n < 300 ? n + 1 : n * 2 + 13) {
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned ml = 0;
			char want[65], whole[65], pieces[65];
			assert_int_equal(EVP_Digest(data, n, md, &ml, EVP_sha256(), NULL), 1);
			for (unsigned i = 0; i < ml; i++)
				snprintf(want + 2 * i, 3, "%02x", md[i]);
			cache_sha256_hex(data, n, whole);
			struct cache_sha256 h;
			cache_sha256_init(&h);
			for (size_t o = 0; o < n;) {
				size_t k = (size_t)rand() % 150;
				k = k > n - o ? n - o : k;
				cache_sha256_update(&h, data + o, k);
				o += k;
			}
			cache_sha256_final(&h, pieces);
			cache_sha256_release(&h);
			assert_string_equal(whole, want);
			assert_string_equal(pieces, want);
		}
	}
	char abc[65];
	cache_sha256_hex("abc", 3, abc);
	assert_string_equal(abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_dir),
		cmocka_unit_test(sha256_matches_openssl),
		cmocka_unit_test_setup_teardown(files, setup, teardown),
		cmocka_unit_test_setup_teardown(pages, setup, teardown),
		cmocka_unit_test(freshness),
		cmocka_unit_test(disabled),
		cmocka_unit_test_setup_teardown(shared_by_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_and_clean, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
