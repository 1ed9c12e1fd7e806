/* suggest.h - "did you mean ...?" for unknown words (commands, options,
 * configuration keys), by edit distance as git's help.c does for commands. */
#ifndef AB_SUGGEST_H
#define AB_SUGGEST_H

#include <stddef.h>

#include "formats/core/str.h"

/* The candidate closest to `word` by Damerau-Levenshtein distance (an
 * adjacent transposition costs 1), or NULL when none is close enough: the
 * distance must be at most 2 and less than half the length of the longer
 * word. Ties go to the first candidate. Returns a pointer into `cands`;
 * allocates nothing. */
const char *suggest_closest(struct ab_str word, const char *const *cands, size_t n);

/* Damerau-Levenshtein (optimal string alignment) distance; words longer than
 * 64 bytes are "far" (returns a large number). */
size_t suggest_distance(struct ab_str a, struct ab_str b);

#endif
