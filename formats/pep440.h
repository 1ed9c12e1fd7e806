/* pep440.h - PEP 440 versions and specifiers, exactly as pypa/packaging.
 *
 * Versions are parsed with packaging's VERSION_PATTERN (case-insensitive,
 * surrounding whitespace allowed, `v` prefix, alternate spellings `alpha`,
 * `c`, `pre`, `rev`, `r`, implicit post `1.0-1`, separators `.`/`-`/`_`).
 * Numbers are arbitrary precision: a component that does not fit in 64 bits
 * keeps its digits (`big`), so `1.18446744073709551616` compares exactly.
 *
 * Ownership: a `struct pep440_version *` from pep440_version_parse() is a
 * single malloc'd block, freed with pep440_version_free() (or free()).
 * A specifier set owns its clauses; pep440_specset_release() frees them. */
#ifndef AB_PEP440_H
#define AB_PEP440_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/str.h"

/* A non-negative integer of any size. */
struct pep440_num {
	uint64_t v;      /* the value when big == NULL */
	const char *big; /* NULL, or the decimal digits (no leading zeros) when > UINT64_MAX */
	uint32_t bigl;   /* strlen(big) */
};

enum pep440_pre { PEP440_PRE_NONE = 0, PEP440_PRE_A, PEP440_PRE_B, PEP440_PRE_RC };

/* One local-version segment: numeric (compares as an integer, sorts above
 * any string) or a lowercase alphanumeric string. */
struct pep440_local {
	bool numeric;
	struct pep440_num num; /* numeric */
	const char *str;       /* !numeric: lowercase */
};

struct pep440_version {
	const char *str; /* normalized form, str(Version) */
	struct pep440_num epoch;
	size_t nrelease; /* >= 1 */
	struct pep440_num *release;
	enum pep440_pre pre; /* PEP440_PRE_NONE: no pre-release part */
	struct pep440_num pre_n;
	bool has_post, has_dev;
	struct pep440_num post, dev;
	size_t nlocal; /* 0: no local label */
	struct pep440_local *local;
	/* Set by the parser; read-only for callers. */
	size_t ntrim;     /* release length without trailing zeros (0: all zero) */
	size_t size;      /* bytes in the block (for pep440_version_dup) */
	uint32_t len;     /* strlen(str) */
	uint32_t rel_end; /* str[0, rel_end) is "epoch!release" (base_version) */
	uint32_t pub_end; /* str[0, pub_end) is the public version */
	/* epoch, the first three release numbers and the pre/post/dev suffix,
	 * clamped and packed so that key order never contradicts version order:
	 * most comparisons end here; `whole`: equal keys mean equal versions */
	uint64_t key[3];
	bool whole;
};

/* Parse a version. Returns 0 and sets *out (caller frees with
 * pep440_version_free), or a negative AB_E_PARSE with *out NULL and `err`
 * saying why ("invalid version '1.0+': unexpected '+'"; col: 1-based byte
 * offset into `s` where it went wrong). `err` may be NULL. */
int pep440_version_parse(struct ab_str s, struct pep440_version **out, struct ab_err *err);
/* The same, with the version's one block taken from `arena` (freed with
 * the arena, never with pep440_version_free): what the resolver and the
 * index use for the thousands of versions of one run. */
struct ab_arena;
int pep440_version_parse_arena(struct ab_str s, struct ab_arena *arena,
			       struct pep440_version **out, struct ab_err *err);
/* Convenience: parse or return NULL (no error detail). */
struct pep440_version *pep440_version_new(const char *s);
void pep440_version_free(struct pep440_version *v);
/* A copy (one block, freed with pep440_version_free); NULL for NULL. */
struct pep440_version *pep440_version_dup(const struct pep440_version *v);
/* The same copy placed at `mem` (v->size bytes, aligned as malloc's), for
 * callers that keep versions in blocks of their own; returns `mem`. */
struct pep440_version *pep440_version_copy_to(void *mem, const struct pep440_version *v);

/* Total order of PEP 440 (packaging's _cmpkey): <0, 0, >0. `1.0` == `1.0.0`. */
int pep440_version_cmp(const struct pep440_version *a, const struct pep440_version *b);
/* Same without local labels (compares public versions). */
int pep440_version_cmp_public(const struct pep440_version *a, const struct pep440_version *b);
/* Only the (epoch, release, pre-release slot) part of that order, ignoring
 * post, dev and local: 0 for 1.0, 1.0.post1 and 1.0.post2.dev0+x; a bare dev
 * release (1.0.dev0) still sorts below 1.0a0, as in _cmpkey. <0, 0, >0. */
int pep440_version_cmp_upto_pre(const struct pep440_version *a, const struct pep440_version *b);
int pep440_num_cmp(const struct pep440_num *a, const struct pep440_num *b);

/* Recompute the comparison keys after editing a version's parts in place
 * (e.g. a copy turned into V.dev0); the parser sets them itself. */
void pep440_version_rekey(struct pep440_version *v);

/* Sort ascending by pep440_version_cmp(), stably; much faster than qsort()
 * with it (the prefix keys are compared in place). Aborts only on OOM. */
void pep440_versions_sort(struct pep440_version **vs, size_t n);

/* Format helpers append to `out`. */
void pep440_version_format(const struct pep440_version *v, struct ab_buf *out);  /* str(v) */
void pep440_version_public(const struct pep440_version *v, struct ab_buf *out);  /* v.public */
void pep440_version_base(const struct pep440_version *v, struct ab_buf *out);    /* v.base_version */
void pep440_version_local(const struct pep440_version *v, struct ab_buf *out);   /* v.local or nothing */
/* packaging.utils.canonicalize_version(): trailing zeros of the release
 * stripped; an invalid version is appended unchanged. */
void pep440_canonicalize(struct ab_str s, struct ab_buf *out);
/* The same for a parsed version (canonicalize_version(Version)). */
void pep440_version_canonical(const struct pep440_version *v, struct ab_buf *out);
void pep440_num_format(const struct pep440_num *n, struct ab_buf *out);

/* Python's str.strip(): drops Unicode whitespace (str.isspace(), UTF-8) at
 * both ends, as the `\s*` around packaging's patterns does. */
struct ab_str pep440_strip(struct ab_str s);

bool pep440_is_prerelease(const struct pep440_version *v);  /* pre or dev */
bool pep440_is_postrelease(const struct pep440_version *v);
bool pep440_is_devrelease(const struct pep440_version *v);

/* Specifiers */
enum pep440_op {
	PEP440_OP_COMPATIBLE, /* ~= */
	PEP440_OP_EQ,         /* == (wildcard: ==X.*) */
	PEP440_OP_NE,         /* != (wildcard: !=X.*) */
	PEP440_OP_LE,
	PEP440_OP_GE,
	PEP440_OP_LT,
	PEP440_OP_GT,
	PEP440_OP_ARBITRARY, /* === (string equality, case-insensitive) */
};

struct pep440_spec {
	enum pep440_op op;
	bool wildcard;                  /* ==X.* / !=X.* */
	char *text;                     /* version part as written, trimmed, ".*" kept (owned) */
	struct pep440_version *version; /* parsed (owned; X for X.*); NULL only for === with a
					 * non-PEP 440 string */
};

struct pep440_specset {
	size_t n;
	struct pep440_spec *specs;
	int prereleases; /* -1: unset (decided per spec), 0, 1 */
};

#define PEP440_SPECSET_INIT { 0, NULL, -1 }

/* Parse one specifier (Specifier(s)): surrounding whitespace allowed.
 * Error: AB_E_PARSE, col into `s`; *out is then left empty. */
int pep440_spec_parse(struct ab_str s, struct pep440_spec *out, struct ab_err *err);
void pep440_spec_release(struct pep440_spec *spec);
/* Specifier.prereleases (no override): -1 (None), 0 or 1. */
int pep440_spec_prereleases(const struct pep440_spec *spec);

/* Parse a comma-separated specifier set ("" is the empty set, matching
 * everything). Error: AB_E_PARSE, col into `s`. */
int pep440_specset_parse(struct ab_str s, struct pep440_specset *out, struct ab_err *err);
/* The clauses are kept as str(SpecifierSet) lists them: sorted by their
 * text, duplicates (equal canonical forms: `==1.0` and `==1.0.0`) dropped,
 * which changes nothing in what the set contains. out->prereleases is set
 * to -1; assign 0 or 1 to override, as SpecifierSet(..., prereleases=). */
void pep440_specset_release(struct pep440_specset *set);

/* str(SpecifierSet): clauses formatted, sorted, joined with ",". */
void pep440_specset_format(const struct pep440_specset *set, struct ab_buf *out);
void pep440_spec_format(const struct pep440_spec *spec, struct ab_buf *out);

/* SpecifierSet.prereleases: -1 (None), 0 or 1. */
int pep440_specset_prereleases(const struct pep440_specset *set);

/* SpecifierSet.contains(Version(...), prereleases=...): `prereleases` -1
 * means the argument was not passed. A matching pre-release is contained
 * unless `prereleases` (or, when -1, set->prereleases) is 0: contains() is
 * filter() on one item, whose "pre-releases if nothing else" fallback keeps
 * it. `===` compares str(v), the normalized form. pep440_spec_contains() is
 * Specifier.contains() for one clause. No allocation except for `===` with
 * non-ASCII text. */
bool pep440_specset_contains(const struct pep440_specset *set, const struct pep440_version *v,
			     int prereleases);
bool pep440_spec_contains(const struct pep440_spec *spec, const struct pep440_version *v,
			  int prereleases);

/* SpecifierSet.filter(): writes the indexes of the kept versions (in input
 * order) to keep[] (room for n) and returns how many. With no pre-release
 * policy (-1 here and in the set) pre-releases are dropped if any final
 * release matched, else kept. */
size_t pep440_specset_filter(const struct pep440_specset *set, struct pep440_version *const *vs,
			     size_t n, int prereleases, size_t *keep);

/* The same on version strings as packaging gets them: `===` compares the
 * string as given (case-insensitively, not normalized), a string that is
 * not a PEP 440 version matches only `===` clauses (or an empty set) and
 * counts as neither final nor pre-release. */
bool pep440_specset_contains_str(const struct pep440_specset *set, struct ab_str item,
				 int prereleases);
size_t pep440_specset_filter_str(const struct pep440_specset *set, const struct ab_str *items,
				 size_t n, int prereleases, size_t *keep);

#endif
