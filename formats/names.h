/* names.h - PEP 503 project names and PEP 685 extra names. */
#ifndef AB_NAMES_H
#define AB_NAMES_H

#include <stdbool.h>

#include "formats/core/buf.h"

/* canonicalize_name(): runs of [-_.] become one "-", then str.lower()
 * (Unicode, as Python). Appends to `out`. */
void name_canonicalize(struct ab_str name, struct ab_buf *out);
/* Same, but returns -1 (appending nothing) when `name` is not valid UTF-8
 * or holds a NUL byte (packaging works on str; distribution file names must
 * be real text); name_canonicalize() then lowers only the ASCII letters. */
int name_canonicalize_strict(struct ab_str name, struct ab_buf *out);
/* name_canonicalize(), malloc'd; the caller frees. */
char *name_canonical_dup(struct ab_str name);
/* The PyPA name rule ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$, case-insensitive. */
bool name_is_valid(struct ab_str name);
/* valid and already canonical */
bool name_is_normalized(struct ab_str name);
/* Compare two names by their canonical forms, without allocating. */
bool name_eq(struct ab_str a, struct ab_str b);

#endif
