/* osver.h - PEP 440 versions as RPM and Debian package versions.
 *
 * The mapping keeps PEP 440 order under rpmvercmp() (rpm >= 4.15, for `^`)
 * and dpkg's verrevcmp() (dpkg >= 1.17): for two versions a < b in PEP 440,
 * map(a) < map(b) for the OS package manager, and equal versions (`1.0`,
 * `1.0.0`) map to the same string. The rules (SPEC.md, "OS package
 * versions"):
 *
 *   epoch    N!  -> `N:` (omitted when 0)
 *   release      -> digits joined by `.`, trailing zeros stripped (`1.0.0` -> `1`)
 *   pre          -> `~aN`, `~bN`, `~rcN`
 *   post         -> `^postN` (RPM), `+postN` (Debian)
 *   dev          -> `~devN` after a pre or post part, else `~~devN`
 *   local        -> appended to the release/revision: `.seg` per segment;
 *                   Debian wraps each non-numeric segment as `~seg~`
 *
 * `1.0a1.dev1+abc.1` -> RPM `1~a1~dev1-1.abc.1`, Debian `1~a1~dev1-1.~abc~.1`.
 *
 * One class cannot be ordered by any string mapping: a local segment that
 * mixes letters and digits (`cu118`). PEP 440 compares it as text
 * (`cu118` < `cu12`), rpm and dpkg compare its digit runs as numbers
 * (`cu12` < `cu118`). Such a version is mapped, but `unorderable` is set
 * with an explanation in `why` (or, with OSVER_STRICT, it is an error). */
#ifndef AB_OSVER_H
#define AB_OSVER_H

#include <stdbool.h>

#include "formats/core/err.h"
#include "formats/pep440.h"

enum osver_family { OSVER_RPM, OSVER_DEB };

enum osver_flags {
	OSVER_STRICT = 1 << 0, /* an unorderable local label is an error (AB_E_UNSUPPORTED) */
};

/* A mapped version; every string is owned (osver_release frees them). */
struct osver {
	char *epoch;   /* decimal, "" when the epoch is 0 */
	char *version; /* RPM Version / Debian upstream_version */
	char *release; /* RPM Release / Debian debian_revision: the package release, then the local label */
	char *evr;     /* the full version: [E:]VERSION-RELEASE */
	bool unorderable; /* a local segment mixes letters and digits; see `why` */
	char *why;        /* NULL, or why this version may sort out of PEP 440 order */
};

#define OSVER_INIT { NULL, NULL, NULL, NULL, false, NULL }

/* The largest epoch both dpkg (int) and rpm (int32 tag) accept. */
#define OSVER_EPOCH_MAX 2147483647u

/* Map `v` for `family`. `pkg_release` is the packaging release (the RPM
 * Release / Debian revision before the local label), NULL for "1"; it must
 * be non-empty, start with a digit and hold only ASCII letters, digits and
 * `.`. Returns 0 and fills `out` (release it with osver_release, also on
 * failure), or a negative code: AB_E_INVALID for a bad `pkg_release`,
 * AB_E_UNSUPPORTED for an epoch above OSVER_EPOCH_MAX or, with
 * OSVER_STRICT, an unorderable local label; `out` is then empty. */
int osver_map(const struct pep440_version *v, enum osver_family family, const char *pkg_release,
	      unsigned flags, struct osver *out, struct ab_err *err);

/* Parse `s` as PEP 440, then osver_map(). Parse errors: AB_E_PARSE with
 * col into `s`, as pep440_version_parse. */
int osver_map_str(struct ab_str s, enum osver_family family, const char *pkg_release,
		  unsigned flags, struct osver *out, struct ab_err *err);

/* Frees the strings; `o` is OSVER_INIT afterwards. */
void osver_release(struct osver *o);

#endif
