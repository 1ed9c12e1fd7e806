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
#define CHUNK_MIN (64 * 1024)
#define CHUNK_MAX (1024 * 1024)

/* A chunk with room for n bytes: a spare one if it fits, else a new one.
 * Chunk sizes double up to CHUNK_MAX so small arenas stay small. */
static struct ab_arena_chunk *new_chunk(struct ab_arena *a, size_t n)
{
	struct ab_arena_chunk **pp = &a->spare;
	while (*pp && (*pp)->size < n)
		pp = &(*pp)->next;
	if (*pp) {
		struct ab_arena_chunk *c = *pp;
		*pp = c->next;
		c->used = 0;
		return c;
	}
	size_t sz = a->chunk_size ? a->chunk_size : CHUNK_MIN;
	a->chunk_size = sz < CHUNK_MAX ? sz * 2 : CHUNK_MAX;
	if (sz < n)
		sz = n;
	struct ab_arena_chunk *c = ab_xmalloc(sizeof(*c) + sz);
	c->used = 0;
	c->size = sz;
	return c;
}

void *ab_arena_alloc(struct ab_arena *a, size_t n)
{
	n = ALIGN16(n ? n : 1);
	struct ab_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		c = new_chunk(a, n);
		/* a big one-off allocation goes behind the current chunk so that
		 * chunk's free space stays usable */
		if (a->head && n > CHUNK_MIN / 2) {
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

static void free_list(struct ab_arena_chunk *c)
{
	while (c) {
		struct ab_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
}

void ab_arena_release(struct ab_arena *a)
{
	free_list(a->head);
	free_list(a->spare);
	a->head = a->spare = NULL;
	a->chunk_size = 0;
}

void ab_arena_reset(struct ab_arena *a)
{
	struct ab_arena_chunk *c = a->head;
	while (c) {
		struct ab_arena_chunk *next = c->next;
		c->next = a->spare;
		a->spare = c;
		c = next;
	}
	a->head = NULL;
}
