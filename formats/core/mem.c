#include "formats/core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(size_t n)
{
	fprintf(stderr, "appbuild: fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *ab_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *ab_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom(nmemb * size);
	return p;
}

void *ab_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	return q;
}

char *ab_xstrdup(const char *s)
{
	return ab_xstrndup(s, strlen(s));
}

char *ab_xstrndup(const char *s, size_t n)
{
	char *p = ab_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void ab_grow(void **arr, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > ((size_t)-1) / 2 / sz)
			die_oom(need * sz);
		ncap *= 2;
	}
	*arr = ab_xrealloc(*arr, ncap * sz);
	*cap = ncap;
}
