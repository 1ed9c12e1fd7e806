#include "formats/core/arena.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

struct ab_arena_chunk {
	struct ab_arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

void *ab_arena_alloc(struct ab_arena *a, size_t n)
{
	n = ALIGN16(n ? n : 1);
	struct ab_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t sz = a->chunk_size ? a->chunk_size : 64 * 1024;
		if (a->chunk_size < 1024 * 1024)
			a->chunk_size = sz * 2;
		if (sz < n)
			sz = n;
		c = ab_xmalloc(sizeof(*c) + sz);
		c->used = 0;
		c->size = sz;
		/* a big one-off allocation goes behind the current chunk so the
		 * current chunk's free space stays usable */
		if (a->head && n > sz / 2 && sz == n) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

void *ab_arena_zalloc(struct ab_arena *a, size_t n)
{
	void *p = ab_arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *ab_arena_strndup(struct ab_arena *a, const char *s, size_t n)
{
	char *p = ab_arena_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ab_arena_strdup(struct ab_arena *a, const char *s)
{
	return ab_arena_strndup(a, s, strlen(s));
}

char *ab_arena_strdup_str(struct ab_arena *a, struct ab_str s)
{
	return ab_arena_strndup(a, s.ptr, s.len);
}

void ab_arena_release(struct ab_arena *a)
{
	struct ab_arena_chunk *c = a->head;
	while (c) {
		struct ab_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->chunk_size = 0;
}
