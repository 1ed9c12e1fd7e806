/* fuzz_ignore.c - ignore_add + ignore_check + free. Input: pattern-file
 * text, a NUL, then paths one a line (a trailing '/' marks a directory).
 * The text is added as the root's .gitignore and as a.appbuildignore of
 * directory "a"; every path is checked. Invariants: a lone pattern P
 * negated ("!P") never excludes, and "P" then "!P" never excludes while
 * "!P" then "P" answers as P alone (last match wins). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/ignore.h"
#include "formats/core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool check1(const char *text, const char *path, bool dir)
{
	struct ignore *ig = ignore_new(NULL);
	ignore_add(ig, IGNORE_GIT, "", ab_str_from(text));
	bool r = ignore_check(ig, path, dir);
	ignore_free(ig);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	const char *nul = memchr(d, '\0', size);
	size_t tl = nul ? (size_t)(nul - d) : size;
	struct ab_str text = ab_str_make(d, tl);
	struct ignore *ig = ignore_new(NULL);
	ignore_add(ig, IGNORE_GIT, "", text);
	ignore_add(ig, IGNORE_APPBUILD, "a", text);

	/* the first line alone, for the negation invariants */
	struct ab_buf p = AB_BUF_INIT, neg = AB_BUF_INIT, both = AB_BUF_INIT;
	const char *nl = memchr(d, '\n', tl);
	size_t fl = nl ? (size_t)(nl - d) : tl;
	bool simple = fl && d[0] != '!' && d[0] != '#' && !memchr(d, '\r', fl) &&
		      d[fl - 1] != ' ' && d[fl - 1] != '\\';
	struct ab_buf first = AB_BUF_INIT;
	ab_buf_add(&first, d, fl);
	simple = simple && strlen(first.buf) == fl && !(fl >= 3 && !memcmp(d, "\xef\xbb\xbf", 3));
	ab_buf_addf(&neg, "!%s\n", first.buf);

	const char *s = nul ? nul + 1 : d + size, *end = d + size;
	while (s < end) {
		const char *e = memchr(s, '\n', (size_t)(end - s));
		size_t n = e ? (size_t)(e - s) : (size_t)(end - s);
		ab_buf_reset(&p);
		ab_buf_add(&p, s, n);
		bool dir = n && s[n - 1] == '/';
		if (dir)
			ab_buf_truncate(&p, p.len - 1);
		if (strlen(p.buf) == p.len) {
			(void)ignore_check(ig, p.buf, dir);
			if (simple) {
				bool one = check1(first.buf, p.buf, dir);
				if (check1(neg.buf, p.buf, dir))
					abort();
				ab_buf_reset(&both);
				ab_buf_addf(&both, "%s\n%s", first.buf, neg.buf);
				if (check1(both.buf, p.buf, dir))
					abort();
				ab_buf_reset(&both);
				ab_buf_addf(&both, "%s%s\n", neg.buf, first.buf);
				if (check1(both.buf, p.buf, dir) != one)
					abort();
			}
		}
		s += n + 1;
	}
	ignore_free(ig);
	ab_buf_release(&p);
	ab_buf_release(&neg);
	ab_buf_release(&both);
	ab_buf_release(&first);
	return 0;
}
