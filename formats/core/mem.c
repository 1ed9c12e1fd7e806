#include "formats/core/mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

/* Page faults, more than instructions, were a warm lock's time: it touches
 * some 12 MiB of fresh heap, 3,000 faults of 4 KiB at ~15 µs each on a
 * virtual machine (the benchmark host), where 2 MiB transparent huge pages
 * fault a handful of times (lock of bench/large: 3,400 faults to 600, and
 * some 40% less CPU time). So the heap grows now in one 64 MiB step (untouched
 * memory costs nothing), large blocks stay in it, and the kernel is asked
 * for huge pages there: MADV_HUGEPAGE, honoured when transparent huge
 * pages are "madvise" or "always", a no-op when "never". It is what
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=1 does, for this process only.
 * Not under AddressSanitizer, whose malloc is not glibc's. */
#if defined(__SANITIZE_ADDRESS__)
#define AB_NO_HUGE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AB_NO_HUGE 1
#endif
#endif
void ab_heap_tune(void)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE) && !defined(AB_NO_HUGE)
	static bool done;
	const size_t pad = (size_t)64 << 20, huge = (size_t)2 << 20;
	if (done)
		return;
	done = true;
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	mallopt(M_TOP_PAD, (int)pad);
	/* a block larger than the free top of the heap makes it grow now */
	struct mallinfo2 mi = mallinfo2();
	size_t want = mi.keepcost + 4096;
	char *q = malloc(want);
	char *end = sbrk(0);
	char *start = (char *)(((uintptr_t)q + huge - 1) & ~(uintptr_t)(huge - 1));
	/* only when the block came from the top of the brk heap just grown
	 * (not from mmap, nor a heap elsewhere) */
	if (q && end != (char *)-1 && end > start && q < end &&
	    (size_t)(end - q) <= want + pad + huge)
		madvise(start, (size_t)(end - start), MADV_HUGEPAGE);
	free(q);
#endif
}
