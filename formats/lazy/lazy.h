/*
 * lazy - libcurl, libarchive, libgit2, librpm and libcrypto loaded on first use.
 *
 * appbuild does not link these libraries. formats/lazy/{curl,archive,git2,
 * rpm,crypto}.c define every function of theirs that the tree calls, under the
 * library's own name and prototype (from its -dev header); the first call of
 * any of them dlopen()s the library's soname once (pthread_once, so from any
 * thread) and every call forwards to the real function. A warm `appbuild
 * lock` over a file:// index calls none of them and so never pays for
 * loading libcurl's TLS, Kerberos and LDAP stack, libarchive's libxml2 and
 * ICU, libgit2's mbedtls, libcrypto's 21,000 relocations (about 25 ms of
 * start-up a run).
 *
 * A function the tree starts calling without a stub is an undefined
 * reference at link time: add it to the list in the library's file.
 *
 * When a library cannot be loaded, every stub returns the library's own
 * failure value (NULL, CURLE_FAILED_INIT, ARCHIVE_FATAL, -1, ...), the
 * library's error-string functions (curl_easy_strerror, curl_url_strerror,
 * archive_error_string, git_error_last) return lazy_error()'s message, and
 * void functions do nothing.
 */
#ifndef AB_LAZY_H
#define AB_LAZY_H

enum lazy_lib {
	LAZY_CURL,	/* libcurl.so.4 */
	LAZY_ARCHIVE,	/* libarchive.so.13 */
	LAZY_GIT2,	/* libgit2.so.1.5 */
	LAZY_RPM,	/* librpmbuild.so.9 (and with it librpm, librpmio) */
	LAZY_CRYPTO,	/* libcrypto.so.3 */
};

/*
 * lazy_load - load LIB now if it is not loaded yet (thread-safe; the first
 * attempt decides for the whole process). Returns 0 when it is loaded, -1
 * when it cannot be (lazy_error() says why).
 */
int lazy_load(enum lazy_lib lib);

/*
 * lazy_error - why LIB could not be loaded: "cannot load libcurl.so.4:
 * <dlerror()>", a static string; NULL when it is loaded or was never tried.
 */
const char *lazy_error(enum lazy_lib lib);

/*
 * lazy_set_soname - for tests: load LIB from SONAME instead (a static
 * string, not copied). Only before LIB's first use; returns -1 afterwards.
 */
int lazy_set_soname(enum lazy_lib lib, const char *soname);

#endif
