#include "formats/core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

char ab_buf_empty[1];

void ab_buf_init(struct ab_buf *b, size_t max)
{
	b->buf = ab_buf_empty;
	b->len = b->cap = 0;
	b->max = max;
}

void ab_buf_release(struct ab_buf *b)
{
	if (b->cap)
		free(b->buf);
	b->buf = ab_buf_empty;
	b->len = b->cap = 0;
}

char *ab_buf_detach(struct ab_buf *b)
{
	char *s = b->cap ? b->buf : ab_xstrdup("");
	b->buf = ab_buf_empty;
	b->len = b->cap = 0;
	return s;
}

void ab_buf_reset(struct ab_buf *b)
{
	ab_buf_truncate(b, 0);
}

void ab_buf_truncate(struct ab_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->buf[len] = '\0';
}

static int reserve(struct ab_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need < b->len || (b->max && b->len + extra > b->max))
		return -1;
	if (need <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 32;
	while (ncap < need)
		ncap *= 2;
	if (b->cap) {
		b->buf = ab_xrealloc(b->buf, ncap);
	} else {
		b->buf = ab_xmalloc(ncap);
		b->buf[0] = '\0';
	}
	b->cap = ncap;
	return 0;
}

int ab_buf_grow(struct ab_buf *b, size_t extra)
{
	return reserve(b, extra);
}

int ab_buf_add(struct ab_buf *b, const void *data, size_t n)
{
	if (reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

int ab_buf_addc(struct ab_buf *b, char c)
{
	return ab_buf_add(b, &c, 1);
}

int ab_buf_adds(struct ab_buf *b, const char *s)
{
	return ab_buf_add(b, s, strlen(s));
}

int ab_buf_addstr(struct ab_buf *b, struct ab_str s)
{
	return ab_buf_add(b, s.ptr, s.len);
}

int ab_buf_vaddf(struct ab_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -1;
	if (reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int ab_buf_addf(struct ab_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = ab_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}
