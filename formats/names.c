/* names.c - PEP 503 / PEP 685 name normalization:
 * re.sub(r"[-_.]+", "-", name).lower(), with Python's Unicode str.lower(). */
#include "formats/names.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/unicode.h"

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

static bool is_ascii(struct ab_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.ptr[i] >= 0x80)
			return false;
	return true;
}

/* Collapse separator runs and lower ASCII; `s` is already Unicode-lowered
 * when it was not ASCII. */
static void collapse(struct ab_str s, struct ab_buf *out)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (is_sep(c)) {
			while (i + 1 < s.len && is_sep(s.ptr[i + 1]))
				i++;
			ab_buf_addc(out, '-');
		} else {
			ab_buf_addc(out, lower(c));
		}
	}
}

int name_canonicalize_strict(struct ab_str name, struct ab_buf *out)
{
	if (ab_str_chr(name, '\0') >= 0)
		return -1;
	if (is_ascii(name)) {
		collapse(name, out);
		return 0;
	}
	struct ab_buf low = AB_BUF_INIT;
	if (ab_utf8_lower(name, &low) < 0)
		return -1;
	collapse(ab_buf_str(&low), out);
	ab_buf_release(&low);
	return 0;
}

void name_canonicalize(struct ab_str name, struct ab_buf *out)
{
	/* not UTF-8: lower the ASCII letters and keep the other bytes */
	if (name_canonicalize_strict(name, out) < 0)
		collapse(name, out);
}

char *name_canonical_dup(struct ab_str name)
{
	struct ab_buf b = AB_BUF_INIT;
	name_canonicalize(name, &b);
	return ab_buf_detach(&b);
}

/* ASCII names compare without allocating: the resolver calls this often. */
bool name_eq(struct ab_str a, struct ab_str b)
{
	if (!is_ascii(a) || !is_ascii(b)) {
		char *ca = name_canonical_dup(a), *cb = name_canonical_dup(b);
		bool eq = strcmp(ca, cb) == 0;
		free(ca);
		free(cb);
		return eq;
	}
	size_t i = 0, j = 0;
	for (;;) {
		if (i == a.len || j == b.len)
			return i == a.len && j == b.len;
		char ca = a.ptr[i], cb = b.ptr[j];
		if (is_sep(ca) && is_sep(cb)) {
			while (i < a.len && is_sep(a.ptr[i]))
				i++;
			while (j < b.len && is_sep(b.ptr[j]))
				j++;
			continue;
		}
		if (lower(ca) != lower(cb) || is_sep(ca) || is_sep(cb))
			return false;
		i++;
		j++;
	}
}

/* Python's re with IGNORECASE lets four non-ASCII letters match [A-Z]:
 * U+0130 and U+0131 (dotted/dotless i), U+017F (long s), U+212A (Kelvin). */
static size_t alnum_len(struct ab_str s, size_t i)
{
	if (is_alnum(s.ptr[i]))
		return 1;
	uint32_t cp;
	size_t n = ab_utf8_decode(s.ptr + i, s.len - i, &cp);
	if (n && (cp == 0x130 || cp == 0x131 || cp == 0x17f || cp == 0x212a))
		return n;
	return 0;
}

bool name_is_valid(struct ab_str name)
{
	if (name.len == 0)
		return false;
	size_t n = alnum_len(name, 0);
	if (!n)
		return false;
	for (size_t i = n; i < name.len; i += n) {
		n = alnum_len(name, i);
		if (n)
			continue;
		if (!is_sep(name.ptr[i]) || i + 1 == name.len)
			return false;
		n = 1;
	}
	return true;
}

bool name_is_normalized(struct ab_str name)
{
	if (!name_is_valid(name))
		return false;
	struct ab_buf b = AB_BUF_INIT;
	name_canonicalize(name, &b);
	bool same = ab_str_eq(ab_buf_str(&b), name);
	ab_buf_release(&b);
	return same;
}
