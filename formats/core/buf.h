/* buf.h - growable byte buffers with git strbuf's invariants.
 *
 * `buf` is never NULL and always NUL-terminated, even when empty (it then
 * points at a shared static ""). `cap` 0 means nothing is allocated. A
 * non-zero `max` caps the size (curl's dynbuf), for data read from the
 * network: an append past it fails with -1 and leaves the buffer as it was. */
#ifndef AB_BUF_H
#define AB_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "formats/core/str.h"

struct ab_buf {
	char *buf;
	size_t len;
	size_t cap;
	size_t max; /* 0: unlimited */
};

extern char ab_buf_empty[];
#define AB_BUF_INIT { ab_buf_empty, 0, 0, 0 }

void ab_buf_init(struct ab_buf *b, size_t max);
/* Frees the contents; the buffer is empty and reusable afterwards. */
void ab_buf_release(struct ab_buf *b);
/* Returns the malloc'd string (caller frees); the buffer is reset. */
char *ab_buf_detach(struct ab_buf *b);
void ab_buf_reset(struct ab_buf *b);
void ab_buf_truncate(struct ab_buf *b, size_t len);

/* Appends return 0, or -1 only when `max` would be exceeded. */
int ab_buf_add(struct ab_buf *b, const void *data, size_t n);
int ab_buf_addc(struct ab_buf *b, char c);
int ab_buf_adds(struct ab_buf *b, const char *s);
int ab_buf_addstr(struct ab_buf *b, struct ab_str s);
int ab_buf_addf(struct ab_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ab_buf_vaddf(struct ab_buf *b, const char *fmt, va_list ap);
/* Makes room for `extra` more bytes after len (git's strbuf_grow), for a
 * caller that writes them at buf + len itself, then sets len and the NUL:
 * 0, or -1 when `max` would be exceeded. */
int ab_buf_grow(struct ab_buf *b, size_t extra);

static inline struct ab_str ab_buf_str(const struct ab_buf *b)
{
	return (struct ab_str){ b->buf, b->len };
}

#endif
