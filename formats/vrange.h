/* vrange.h - sets of PEP 440 versions as sorted disjoint intervals, for the
 * resolver (PubGrub terms): built from specifiers, combined with
 * intersect/union/complement, tested with contains().
 *
 * A range holds exactly the versions a specifier set contains with
 * pre-releases allowed (SpecifierSet.contains(v, prereleases=True)); the
 * pre-release policy is the caller's business. `===` is a string match, not
 * a range: vrange_from_spec() refuses it and vrange_from_specset() leaves
 * those clauses out and says how many it left out.
 *
 * Model: an interval is bounded by two CUTS, positions between versions.
 * An interval holds the versions above its lower cut and below its upper
 * cut. Cuts are
 *   BEFORE(V)       just below V              (>=V starts here)
 *   AFTER(V)        just above V              (==V+local ends here)
 *   AFTER_POSTS(X)  above X, every X+local and every X.postN(.devM)(+local),
 *                   for a final release X     (>X starts here)
 *   INF             -infinity as a lower cut, +infinity as an upper cut.
 * The other gaps PEP 440 needs are BEFORE of the next version: "after 1.0
 * and its local versions" (<=1.0, ==1.0) is BEFORE(1.0.post0.dev0), "after
 * 1.0a1's post-releases" (>1.0a1) is BEFORE(1.0a2.dev0), and BEFORE(0.dev0),
 * the smallest version, is INF. Each cut has one spelling, so ranges are
 * canonical: two ranges are equal exactly when their intervals are.
 *
 * Ownership: a range owns its intervals and its cuts' versions: copies of
 * the versions it was built from, shared (counted) between copies of the
 * range, so never free or edit a cut's version; build ranges with the
 * functions here. Initialise with VRANGE_INIT (the empty set) and free with
 * vrange_release(); every function writing a range `out` releases what
 * `out` held first, and `out` may be one of the inputs. Nothing here fails
 * except on a `===` clause (OOM aborts). */
#ifndef AB_VRANGE_H
#define AB_VRANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/pep440.h"

enum vrange_cut_kind {
	VRANGE_INF,
	VRANGE_BEFORE,
	VRANGE_AFTER,
	VRANGE_AFTER_POSTS,
};

struct vrange_cut {
	enum vrange_cut_kind kind;
	struct pep440_version *v; /* NULL for VRANGE_INF (owned) */
};

struct vrange_interval {
	struct vrange_cut lo, hi; /* lo < hi: never empty */
};

struct vrange {
	size_t n; /* 0: the empty set */
	struct vrange_interval *iv;
};

#define VRANGE_INIT     \
	{               \
		0, NULL \
	}

/* Returned by vrange_from_spec() for a `===` clause. */
#define VRANGE_E_ARBITRARY (-1)

void vrange_release(struct vrange *r);
void vrange_empty(struct vrange *out);
void vrange_full(struct vrange *out);
/* Exactly one version (local label included): [BEFORE(v), AFTER(v)). */
void vrange_exact(struct vrange *out, const struct pep440_version *v);
void vrange_copy(struct vrange *out, const struct vrange *r);
/* [BEFORE(lo), BEFORE(hi)): from lo up to but not including hi; lo NULL:
 * from -infinity, hi NULL: to +infinity (both NULL: every version). */
void vrange_between(struct vrange *out, const struct pep440_version *lo,
		    const struct pep440_version *hi);

/* The versions one clause contains (pre-releases allowed). Returns 0, or
 * VRANGE_E_ARBITRARY for `===` (out is then the empty set). */
int vrange_from_spec(struct vrange *out, const struct pep440_spec *spec);
/* The intersection of every clause but `===` ones; the empty set gives the
 * full range. Returns how many `===` clauses were left out (0: the range is
 * exact). */
int vrange_from_specset(struct vrange *out, const struct pep440_specset *set);

void vrange_intersect(struct vrange *out, const struct vrange *a, const struct vrange *b);
void vrange_union(struct vrange *out, const struct vrange *a, const struct vrange *b);
void vrange_complement(struct vrange *out, const struct vrange *a);
/* a minus b */
void vrange_difference(struct vrange *out, const struct vrange *a, const struct vrange *b);

/* O(log n), no allocation. */
bool vrange_contains(const struct vrange *r, const struct pep440_version *v);
/* v lies below the upper cut of r's last interval / above the lower cut of
 * its first (false for the empty set). Each is monotone in v, so over a
 * sorted list of versions either flips once (a binary search finds where);
 * for a range of one interval, contains() is both. No allocation. */
bool vrange_below_upper(const struct vrange *r, const struct pep440_version *v);
bool vrange_above_lower(const struct vrange *r, const struct pep440_version *v);
bool vrange_is_empty(const struct vrange *r);
bool vrange_is_full(const struct vrange *r);
bool vrange_eq(const struct vrange *a, const struct vrange *b);
/* Every version of a is in b. */
bool vrange_is_subset(const struct vrange *a, const struct vrange *b);
/* No version is in both. */
bool vrange_is_disjoint(const struct vrange *a, const struct vrange *b);

/* Human-readable, with PEP 440 operators wherever they say exactly the
 * same: "*" (every version), "<empty>", ">=1.0,!=1.5,<2.0" (one span minus
 * holes that are single versions or X.*), "==1.*", "==1.0" (1.0 and its
 * local versions), ">1.0" (after 1.0's post-releases), "<2.0" (before
 * 2.0.dev0), "<=1.0"; disjoint spans are joined with " || ". Cuts no
 * operator expresses: "<=V,!=V" before a final V but after its
 * pre-releases (exact), and, not valid PEP 440, ">V"/"<=V" next to a local
 * version V+l, "<V+l", and "<=X.post*" for X and its post-releases. */
void vrange_format(const struct vrange *r, struct ab_buf *out);

#endif
