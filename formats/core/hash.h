/* hash.h - FNV-1a, the one string hash behind the open-addressing tables of
 * the index client, the resolver and the tag sets. Not for adversarial keys
 * where collisions would matter for more than speed. */
#ifndef AB_HASH_H
#define AB_HASH_H

#include <stddef.h>

#define AB_HASH_INIT ((size_t)1469598103934665603ull)

/* h continued over the n bytes at p. */
static inline size_t ab_hash_add(size_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * (size_t)1099511628211ull;
	return h;
}

static inline size_t ab_hash_mem(const void *p, size_t n)
{
	return ab_hash_add(AB_HASH_INIT, p, n);
}

/* The hash of a NUL-terminated string (its bytes, not the NUL). */
static inline size_t ab_hash_str(const char *s)
{
	size_t h = AB_HASH_INIT;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ull;
	return h;
}

#endif
