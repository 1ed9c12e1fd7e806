/* unicode.h - Python 3.11 text semantics that packaging's rules depend on.
 *
 * Strings are UTF-8; invalid UTF-8 is reported, never guessed at. */
#ifndef AB_UNICODE_H
#define AB_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/core/buf.h"

/* Decodes one UTF-8 sequence at s[0..n): returns its length (1-4) and sets
 * *cp, or 0 if it is not valid UTF-8 (overlong, surrogate, truncated). */
size_t ab_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Appends str.lower() of `s` and returns 0, or returns -1 (appending
 * nothing) if `s` is not valid UTF-8 or holds a NUL byte. */
int ab_utf8_lower(struct ab_str s, struct ab_buf *out);
/* str.lower() of s[0..n) into dst, which has room for 2 * n bytes; returns
 * the length written, or -1 with *bad = the offset of the first byte that is
 * not valid UTF-8 or is NUL. */
long ab_utf8_lower_into(const char *s, size_t n, char *dst, size_t *bad);
/* Python's `re` \w for str patterns (alphanumeric or '_'). */
bool ab_uni_is_word(uint32_t cp);
/* str.isidentifier(): XID_Start or '_', then XID_Continue. */
bool ab_uni_is_identifier(struct ab_str s);

#endif
