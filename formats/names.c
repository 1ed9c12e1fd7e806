/* names.c - PEP 503 / PEP 685 name normalization. */
#include "formats/names.h"

#include <stdlib.h>

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Yields the canonical form one byte at a time: re.sub(r"[-_.]+", "-", name).lower() */
struct canon_iter {
	struct ab_str s;
	size_t i;
};

static int canon_next(struct canon_iter *it)
{
	if (it->i >= it->s.len)
		return -1;
	char c = it->s.ptr[it->i++];
	if (!is_sep(c))
		return (unsigned char)lower(c);
	while (it->i < it->s.len && is_sep(it->s.ptr[it->i]))
		it->i++;
	return '-';
}

void name_canonicalize(struct ab_str name, struct ab_buf *out)
{
	struct canon_iter it = { name, 0 };
	int c;
	while ((c = canon_next(&it)) >= 0)
		ab_buf_addc(out, (char)c);
}

char *name_canonical_dup(struct ab_str name)
{
	struct ab_buf b = AB_BUF_INIT;
	name_canonicalize(name, &b);
	return ab_buf_detach(&b);
}

bool name_eq(struct ab_str a, struct ab_str b)
{
	struct canon_iter ia = { a, 0 }, ib = { b, 0 };
	for (;;) {
		int ca = canon_next(&ia), cb = canon_next(&ib);
		if (ca != cb)
			return false;
		if (ca < 0)
			return true;
	}
}

bool name_is_valid(struct ab_str name)
{
	if (name.len == 0 || !is_alnum(name.ptr[0]) || !is_alnum(name.ptr[name.len - 1]))
		return false;
	for (size_t i = 1; i + 1 < name.len; i++)
		if (!is_alnum(name.ptr[i]) && !is_sep(name.ptr[i]))
			return false;
	return true;
}

bool name_is_normalized(struct ab_str name)
{
	if (!name_is_valid(name))
		return false;
	struct canon_iter it = { name, 0 };
	for (size_t i = 0; i < name.len; i++)
		if (canon_next(&it) != (unsigned char)name.ptr[i])
			return false;
	return canon_next(&it) < 0;
}
