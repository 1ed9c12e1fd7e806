/* names.c - PEP 503 / PEP 685 name normalization. */
#include "formats/names.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <wctype.h>

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

/* Python's str.lower() on non-ASCII text: glibc's Unicode tables through a
 * C.UTF-8 locale, plus the one unconditional multi-character mapping of
 * SpecialCasing.txt (U+0130 -> "i" U+0307). NEEDSWORK(#4): Final_Sigma. */
static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Decode one UTF-8 sequence at s[*i]; -1 (and one byte consumed) if invalid. */
static long utf8_decode(struct ab_str s, size_t *i)
{
	static const long min[4] = { 0, 0x80, 0x800, 0x10000 };
	unsigned char c = (unsigned char)s.ptr[*i];
	int n = c >= 0xf0 && c < 0xf5 ? 3 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : -1;
	if (n < 0 || *i + (size_t)n >= s.len) {
		(*i)++;
		return -1;
	}
	long cp = c & (0x3f >> n);
	for (int k = 1; k <= n; k++) {
		unsigned char cc = (unsigned char)s.ptr[*i + (size_t)k];
		if ((cc & 0xc0) != 0x80) {
			(*i)++;
			return -1;
		}
		cp = (cp << 6) | (cc & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
		(*i)++;
		return -1;
	}
	*i += (size_t)n + 1;
	return cp;
}

static size_t utf8_encode(long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Yields the canonical form one byte at a time:
 * re.sub(r"[-_.]+", "-", name).lower(). Non-ASCII characters are lowered
 * into `pend` and handed out byte by byte. */
struct canon_iter {
	struct ab_str s;
	size_t i;
	char pend[8];
	size_t npend, ipend;
};

static int canon_next(struct canon_iter *it)
{
	if (it->ipend < it->npend)
		return (unsigned char)it->pend[it->ipend++];
	if (it->i >= it->s.len)
		return -1;
	char c = it->s.ptr[it->i];
	if ((unsigned char)c >= 0x80) {
		size_t start = it->i;
		long cp = utf8_decode(it->s, &it->i);
		it->ipend = 0;
		if (cp < 0) {
			it->pend[0] = it->s.ptr[start];
			it->npend = 1;
		} else if (cp == 0x130) {
			it->npend = utf8_encode('i', it->pend);
			it->npend += utf8_encode(0x307, it->pend + it->npend);
		} else {
			pthread_once(&utf8_once, utf8_locale_init);
			if (utf8_locale)
				cp = (long)towlower_l((wint_t)cp, utf8_locale);
			it->npend = utf8_encode(cp, it->pend);
		}
		return (unsigned char)it->pend[it->ipend++];
	}
	it->i++;
	if (!is_sep(c))
		return (unsigned char)lower(c);
	while (it->i < it->s.len && is_sep(it->s.ptr[it->i]))
		it->i++;
	return '-';
}

void name_canonicalize(struct ab_str name, struct ab_buf *out)
{
	struct canon_iter it = { .s = name };
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
	struct canon_iter ia = { .s = a }, ib = { .s = b };
	for (;;) {
		int ca = canon_next(&ia), cb = canon_next(&ib);
		if (ca != cb)
			return false;
		if (ca < 0)
			return true;
	}
}

/* Python's re with IGNORECASE lets four non-ASCII letters match [A-Z]:
 * U+0130 and U+0131 (dotted/dotless i), U+017F (long s), U+212A (Kelvin). */
static size_t alnum_len(struct ab_str s, size_t i)
{
	if (is_alnum(s.ptr[i]))
		return 1;
	size_t j = i;
	long cp = utf8_decode(s, &j);
	if (cp == 0x130 || cp == 0x131 || cp == 0x17f || cp == 0x212a)
		return j - i;
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
	struct canon_iter it = { .s = name };
	for (size_t i = 0; i < name.len; i++)
		if (canon_next(&it) != (unsigned char)name.ptr[i])
			return false;
	return canon_next(&it) < 0;
}
