/*
 * The libcrypto (OpenSSL 3) functions appbuild calls, loaded from
 * libcrypto.so.3 on first use (formats/lazy/lazy.h says how and why): the
 * cache's sha256 (builder/cache.c), the installer's RECORD check
 * (sha256/384/512) and the .deb writer's md5sums. A command that hashes
 * nothing (--version, check) never loads it.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_*: deprecated, still exported */
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "formats/lazy/lazy_impl.h"

#define FUNCS(F, V, D)                                                                      \
	F(EVP_MD_CTX *, EVP_MD_CTX_new, (void), (), NULL)                                   \
	V(EVP_MD_CTX_free, (EVP_MD_CTX * c), (c))                                           \
	F(int, EVP_DigestInit_ex, (EVP_MD_CTX * c, const EVP_MD *t, ENGINE *e), (c, t, e), 0) \
	F(int, EVP_DigestUpdate, (EVP_MD_CTX * c, const void *d, size_t n), (c, d, n), 0)   \
	F(int, EVP_DigestFinal_ex, (EVP_MD_CTX * c, unsigned char *md, unsigned int *n),    \
	  (c, md, n), 0)                                                                    \
	F(int, EVP_Digest,                                                                  \
	  (const void *d, size_t n, unsigned char *md, unsigned int *mn, const EVP_MD *t,   \
	   ENGINE *e),                                                                      \
	  (d, n, md, mn, t, e), 0)                                                          \
	F(const EVP_MD *, EVP_md5, (void), (), NULL)                                        \
	F(const EVP_MD *, EVP_sha256, (void), (), NULL)                                     \
	F(const EVP_MD *, EVP_sha384, (void), (), NULL)                                     \
	F(const EVP_MD *, EVP_sha512, (void), (), NULL)                                     \
	F(int, SHA256_Init, (SHA256_CTX * c), (c), 0)                                       \
	F(int, SHA256_Update, (SHA256_CTX * c, const void *d, size_t n), (c, d, n), 0)      \
	F(int, SHA256_Final, (unsigned char *md, SHA256_CTX *c), (md, c), 0)

#define ALL(F, V, D) FUNCS(F, V, D)

LAZY_TABLE(ALL, crypto, "libcrypto.so.3")
LAZY_STUBS(FUNCS)
