/* suggest.c - edit distance for did-you-mean hints. */
#include "formats/suggest.h"

#define MAXW 64

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

size_t suggest_distance(struct ab_str a, struct ab_str b)
{
	/* Hints are for short words; a fixed table keeps this allocation-free. */
	if (a.len > MAXW || b.len > MAXW)
		return (size_t)-1;
	size_t d[MAXW + 1][MAXW + 1];
	for (size_t i = 0; i <= a.len; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= b.len; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= a.len; i++) {
		for (size_t j = 1; j <= b.len; j++) {
			size_t cost = a.ptr[i - 1] != b.ptr[j - 1];
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			/* "proceses" -> "processes" style typos and swapped letters
			 * ("chekc") count as one edit, as people make them. */
			if (i > 1 && j > 1 && a.ptr[i - 1] == b.ptr[j - 2] &&
			    a.ptr[i - 2] == b.ptr[j - 1] && d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[a.len][b.len];
}

const char *suggest_closest(struct ab_str word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		struct ab_str c = ab_str_from(cands[i]);
		size_t d = suggest_distance(word, c);
		size_t longer = word.len > c.len ? word.len : c.len;
		if (d <= 2 && d * 2 < longer && d < best_d) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}
