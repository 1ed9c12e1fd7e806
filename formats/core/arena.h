/* arena.h - bump allocation for data that lives for a whole phase
 * (requirements, candidates, interned names), freed at once
 * (apk's balloc, git's mem-pool). */
#ifndef AB_ARENA_H
#define AB_ARENA_H

#include <stddef.h>

#include "formats/core/str.h"

struct ab_arena_chunk;

struct ab_arena {
	struct ab_arena_chunk *head;  /* chunks in use, the current one first */
	struct ab_arena_chunk *spare; /* kept by ab_arena_reset() for reuse */
	size_t chunk_size;
};

#define AB_ARENA_INIT { NULL, NULL, 0 }

/* Memory is 16-byte aligned and aborts on OOM, never NULL. */
void *ab_arena_alloc(struct ab_arena *a, size_t n);
void *ab_arena_zalloc(struct ab_arena *a, size_t n);
char *ab_arena_strndup(struct ab_arena *a, const char *s, size_t n);
char *ab_arena_strdup(struct ab_arena *a, const char *s);
/* NUL-terminated copy of a view, kept in the arena. */
char *ab_arena_strdup_str(struct ab_arena *a, struct ab_str s);
/* Frees every allocation at once; the arena is reusable afterwards. */
void ab_arena_release(struct ab_arena *a);
/* Forgets every allocation but keeps the memory for the next ones (a
 * phase that runs again, e.g. one resolve after another). */
void ab_arena_reset(struct ab_arena *a);

#endif
