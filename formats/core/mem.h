/* mem.h - allocation that cannot fail (it aborts), as git's xmalloc. */
#ifndef AB_MEM_H
#define AB_MEM_H

#include <stddef.h>

/* Each aborts the process with a message on out-of-memory; never returns NULL. */
void *ab_xmalloc(size_t n);
void *ab_xcalloc(size_t nmemb, size_t size);
void *ab_xrealloc(void *p, size_t n);
char *ab_xstrdup(const char *s);
char *ab_xstrndup(const char *s, size_t n);

/* Grow *arr (of element size sz) so it holds at least `need` elements;
 * *cap is updated. Amortised doubling. */
void ab_grow(void **arr, size_t *cap, size_t need, size_t sz);
#define AB_GROW(arr, cap, need) ab_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/* Tune glibc's allocator for a short-lived process that builds large
 * in-memory indexes: the heap grows in 64 MiB steps (untouched memory costs
 * nothing), blocks up to 32 MiB stay in it, and the kernel is asked for
 * transparent huge pages there, so a warm lock takes hundreds of page
 * faults instead of thousands. Called once by main(); idempotent; a no-op
 * without glibc, under AddressSanitizer, and when huge pages are off. */
void ab_heap_tune(void);

#define AB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
