#include "formats/core/str.h"

#include "formats/core/mem.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool ab_str_eq(struct ab_str a, struct ab_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool ab_str_eq_cstr(struct ab_str a, const char *s)
{
	return ab_str_eq(a, ab_str_from(s));
}

bool ab_str_ieq(struct ab_str a, struct ab_str b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (lower(a.ptr[i]) != lower(b.ptr[i]))
			return false;
	return true;
}

bool ab_str_ieq_cstr(struct ab_str a, const char *s)
{
	return ab_str_ieq(a, ab_str_from(s));
}

bool ab_str_startswith(struct ab_str a, const char *prefix)
{
	size_t n = strlen(prefix);
	return a.len >= n && memcmp(a.ptr, prefix, n) == 0;
}

bool ab_str_endswith(struct ab_str a, const char *suffix)
{
	size_t n = strlen(suffix);
	return a.len >= n && memcmp(a.ptr + a.len - n, suffix, n) == 0;
}

struct ab_str ab_str_ltrim(struct ab_str s)
{
	while (s.len && is_space(*s.ptr)) {
		s.ptr++;
		s.len--;
	}
	return s;
}

struct ab_str ab_str_rtrim(struct ab_str s)
{
	while (s.len && is_space(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

struct ab_str ab_str_trim(struct ab_str s)
{
	return ab_str_rtrim(ab_str_ltrim(s));
}

struct ab_str ab_str_skip(struct ab_str s, size_t n)
{
	if (n > s.len)
		n = s.len;
	return (struct ab_str){ s.ptr + n, s.len - n };
}

long ab_str_chr(struct ab_str s, char c)
{
	const char *p = s.len ? memchr(s.ptr, c, s.len) : NULL;
	return p ? (long)(p - s.ptr) : -1;
}

char *ab_str_dup(struct ab_str s)
{
	return ab_xstrndup(s.len ? s.ptr : "", s.len);
}
