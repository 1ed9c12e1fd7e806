/* lazy_test.c - libcurl, libarchive and librpm through formats/lazy's
 * stubs (each argument type of the variadic curl functions), and the
 * failure path through libgit2 loaded from a soname that does not exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#define CURL_DISABLE_TYPECHECK 1
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <git2.h>
#include <openssl/evp.h>
#include <rpm/rpmver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/lazy/lazy.h"
#include "tests/unit/testutil.h"

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
	ab_buf_add((struct ab_buf *)ud, p, size * n);
	return size * n;
}

/* Runs H to its end through a multi handle (appbuild uses only those). */
static CURLcode run(CURL *h)
{
	CURLM *m = curl_multi_init();
	assert_non_null(m);
	assert_int_equal(curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 2L), CURLM_OK);
	assert_int_equal(curl_multi_add_handle(m, h), CURLM_OK);
	int running = 1, q;
	while (running) {
		assert_int_equal(curl_multi_perform(m, &running), CURLM_OK);
		if (running)
			assert_int_equal(curl_multi_poll(m, NULL, 0, 100, NULL), CURLM_OK);
	}
	CURLMsg *msg = curl_multi_info_read(m, &q);
	assert_non_null(msg);
	CURLcode r = msg->data.result;
	curl_multi_remove_handle(m, h);
	curl_multi_cleanup(m);
	return r;
}

/* file:// transfers with a long, a string, a data pointer, a function
 * pointer, a curl_off_t and a blob option, and a long, a curl_off_t and a
 * string read back: an argument decoded as the wrong type shows. */
static void test_curl(void **state)
{
	char *dir = tu_mkdtemp("lazy_test");
	struct ab_buf path = AB_BUF_INIT, url = AB_BUF_INIT, body = AB_BUF_INIT;
	ab_buf_addf(&path, "%s/f.txt", dir);
	FILE *f = fopen(path.buf, "w");
	assert_non_null(f);
	fputs("hello lazy\n", f);
	fclose(f);
	ab_buf_addf(&url, "file://%s", path.buf);

	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	assert_int_equal(lazy_load(LAZY_CURL), 0);
	assert_null(lazy_error(LAZY_CURL));
	assert_int_equal(lazy_set_soname(LAZY_CURL, "libcurl.so.0"), -1);
	CURL *h = curl_easy_init();
	assert_non_null(h);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url.buf), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEDATA, &body), CURLE_OK);
	struct curl_blob blob = { (void *)"x", 1, CURL_BLOB_COPY };
	CURLcode bc = curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
	assert_true(bc == CURLE_OK || bc == CURLE_NOT_BUILT_IN || bc == CURLE_UNKNOWN_OPTION);
	/* from byte 6 on (file:// honours it): the curl_off_t must arrive whole */
	assert_int_equal(curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)6), CURLE_OK);
	assert_int_equal(run(h), CURLE_OK);
	assert_string_equal(body.buf, "lazy\n");
	curl_off_t got = -1;
	long code = -1;
	char *eff = NULL;
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &got), CURLE_OK);
	assert_int_equal(got, 5);
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
	assert_int_equal(code, 0);
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff), CURLE_OK);
	assert_string_equal(eff, url.buf);
	assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
	curl_easy_cleanup(h);
	ab_buf_release(&path);
	ab_buf_release(&url);
	ab_buf_release(&body);
	tu_rmrf(dir);
}

/* A zip written to memory and read back, and archive_set_error's format. */
static void test_archive(void **state)
{
	char mem[4096];
	size_t used = 0;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	assert_non_null(a);
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, mem, sizeof(mem), &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "a/b.txt");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 3);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, "abc", 3), 3);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);

	a = archive_read_new();
	assert_int_equal(archive_read_support_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, mem, used), ARCHIVE_OK);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
	assert_string_equal(archive_entry_pathname(e), "a/b.txt");
	assert_int_equal(archive_entry_size(e), 3);
	char buf[8] = { 0 };
	assert_int_equal(archive_read_data(a, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	archive_set_error(a, 5, "bad %s %d%%", "thing", 7);
	assert_string_equal(archive_error_string(a), "bad thing 7%");
	archive_read_free(a);
	assert_null(lazy_error(LAZY_ARCHIVE));
}

/* libcrypto through its stubs: md5 and sha512 of "abc" (RFC 1321, FIPS 180-4) */
static void test_crypto(void **state)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	assert_int_equal(EVP_Digest("abc", 3, md, &n, EVP_md5(), NULL), 1);
	assert_int_equal(n, 16);
	assert_int_equal(md[0], 0x90);
	assert_int_equal(md[15], 0x72);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_sha512(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(c, "ab", 2), 1);
	assert_int_equal(EVP_DigestUpdate(c, "c", 1), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, md, &n), 1);
	assert_int_equal(n, 64);
	assert_int_equal(md[0], 0xdd);
	assert_int_equal(md[63], 0x9f);
	assert_non_null(EVP_sha384());
	EVP_MD_CTX_free(c);
	assert_null(lazy_error(LAZY_CRYPTO));
}

static void test_rpm(void **state)
{
	assert_true(rpmvercmp("1.0", "1.1") < 0);
	assert_true(rpmvercmp("1.0~rc1", "1.0") < 0);
	assert_int_equal(rpmvercmp("2", "2"), 0);
}

/* A library that cannot be loaded: its own failure values, and the
 * message says which library and why. */
static void test_missing(void **state)
{
	assert_int_equal(lazy_set_soname(LAZY_GIT2, "libab-no-such-lib.so.1"), 0);
	assert_null(lazy_error(LAZY_GIT2));
	assert_int_equal(git_libgit2_init(), -1);
	git_repository *repo = NULL;
	assert_int_equal(git_repository_open(&repo, "."), -1);
	assert_null(repo);
	git_repository_free(repo);
	char hex[8] = "xxxxxxx";
	assert_string_equal(git_oid_tostr(hex, sizeof(hex), NULL), "");
	const git_error *ge = git_error_last();
	assert_non_null(ge);
	const char *want = "cannot load libab-no-such-lib.so.1: libab-no-such-lib.so.1: cannot open";
	assert_memory_equal(ge->message, want, strlen(want));
	assert_string_equal(lazy_error(LAZY_GIT2), ge->message);
	assert_int_equal(lazy_load(LAZY_GIT2), -1);
	assert_int_equal(lazy_set_soname(LAZY_GIT2, "libgit2.so.1.5"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_archive),
		cmocka_unit_test(test_crypto),
		cmocka_unit_test(test_rpm),
		cmocka_unit_test(test_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
