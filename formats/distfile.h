/* distfile.h - distribution file names: wheels (PEP 427/491) and sdists
 * (PEP 625), exactly as pypa/packaging 26.x parse_wheel_filename() and
 * parse_sdist_filename().
 *
 * Wheel: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, the
 * stem having 4 or 5 dashes; name of \w, '.' and '_' without "__"; a PEP 440
 * version; a build tag of leading digits and any rest; a (compressed) tag
 * set as tags_parse(). Sdist: `{name}-{version}.tar.gz` or `.zip`, split at
 * the last dash; a non-empty name (not otherwise checked) and a PEP 440
 * version. Names are returned canonical (canonicalize_name: Unicode
 * lowercase, runs of -_. become "-"). */
#ifndef AB_DISTFILE_H
#define AB_DISTFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/core/err.h"
#include "formats/core/str.h"
#include "formats/pep440.h"
#include "formats/tags.h"

struct distfile_wheel {
	char *name;                     /* canonical name (owned) */
	struct pep440_version *version; /* owned */
	bool has_build;                 /* build tag present; else the fields below are empty */
	char *build_num;                /* decimal digits, no leading zeros ("0" for zero) (owned) */
	char *build_suffix;             /* the rest after the digits, may be "" (owned) */
	struct tag_set tags;            /* owned */
};

struct distfile_sdist {
	char *name;                     /* canonical name (owned) */
	struct pep440_version *version; /* owned */
};

/* Parse a wheel file name (the base name, no directory). Returns 0 and fills
 * *out (release with distfile_wheel_release), or -AB_E_PARSE with `err` set
 * (col: 1-based byte offset into `filename`) and *out zeroed. */
int distfile_wheel_parse(struct ab_str filename, struct distfile_wheel *out, struct ab_err *err);
void distfile_wheel_release(struct distfile_wheel *w);

/* The parts of a wheel file name, split as distfile_wheel_parse() splits
 * them but not checked: views into the name. For callers that read many
 * names sharing parts (a project page: one name, a version's files share
 * its version, versions share tag strings) and check each distinct part
 * once with the functions below, tags_parse() and pep440_version_parse(). */
struct distfile_wheel_parts {
	struct ab_str name, version;
	bool has_build;
	struct ab_str build; /* empty unless has_build */
	struct ab_str tags;  /* "python-abi-platform" */
};

/* Split `filename`. Returns 0, or -AB_E_PARSE (err as distfile_wheel_parse)
 * when it holds NUL, does not end in ".whl" or has not 4 or 5 dashes. */
int distfile_wheel_split(struct ab_str filename, struct distfile_wheel_parts *out,
			 struct ab_err *err);
/* The name part is a valid wheel name whose canonical form is `canonical`
 * (a canonical name). No allocation for ASCII names. */
bool distfile_wheel_name_is(struct ab_str name, const char *canonical);
/* The build part is a valid build tag (starts with a digit). */
bool distfile_wheel_build_ok(struct ab_str build);

/* Compare two wheels' build tags as packaging's tuples: () sorts before any
 * (int, str); then the number, then the suffix bytewise. <0, 0, >0. */
int distfile_build_cmp(const struct distfile_wheel *a, const struct distfile_wheel *b);

/* Parse an sdist file name. Same contract as distfile_wheel_parse. */
int distfile_sdist_parse(struct ab_str filename, struct distfile_sdist *out, struct ab_err *err);
void distfile_sdist_release(struct distfile_sdist *s);

#endif
