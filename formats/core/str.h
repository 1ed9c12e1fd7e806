/* str.h - non-owning string views (apk's blob, curl's strparse).
 *
 * A `struct ab_str` points into memory someone else owns; it is not
 * NUL-terminated. Parsers read through views and copy only what they keep. */
#ifndef AB_STR_H
#define AB_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct ab_str {
	const char *ptr;
	size_t len;
};

#define AB_STR_NULL ((struct ab_str){ NULL, 0 })
#define AB_STR_LIT(s) ((struct ab_str){ (s), sizeof(s) - 1 })

static inline struct ab_str ab_str_from(const char *s)
{
	return (struct ab_str){ s, s ? strlen(s) : 0 };
}

static inline struct ab_str ab_str_make(const char *p, size_t n)
{
	return (struct ab_str){ p, n };
}

bool ab_str_eq(struct ab_str a, struct ab_str b);
bool ab_str_eq_cstr(struct ab_str a, const char *s);
/* ASCII case-insensitive equality */
bool ab_str_ieq(struct ab_str a, struct ab_str b);
bool ab_str_ieq_cstr(struct ab_str a, const char *s);
bool ab_str_startswith(struct ab_str a, const char *prefix);
bool ab_str_endswith(struct ab_str a, const char *suffix);
/* Strip ASCII whitespace (space, tab, CR, LF, FF, VT) from both ends. */
struct ab_str ab_str_trim(struct ab_str s);
struct ab_str ab_str_ltrim(struct ab_str s);
struct ab_str ab_str_rtrim(struct ab_str s);
/* Drop n bytes from the front (n <= len). */
struct ab_str ab_str_skip(struct ab_str s, size_t n);
/* Index of the first `c`, or -1. */
long ab_str_chr(struct ab_str s, char c);
/* malloc'd NUL-terminated copy; the caller frees it. */
char *ab_str_dup(struct ab_str s);

#define AB_STR_FMT "%.*s"
#define AB_STR_ARG(s) (int)(s).len, (s).ptr

#endif
