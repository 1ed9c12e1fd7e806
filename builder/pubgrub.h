/* pubgrub.h - the PubGrub version solver (Dart pub's doc/solver.md, as
 * pubgrub-rs and uv implement it), independent of Python packaging rules.
 *
 * Packages are small integers interned from names; package 0 is the root,
 * which has exactly one version. Version sets are `struct vrange` (exact
 * PEP 440 ranges). The solver keeps incompatibilities (sets of terms that
 * must not all hold), derives assignments by unit propagation, decides one
 * package at a time (the version the caller's choose_version() returns) and
 * on a conflict learns a new incompatibility and backjumps. When no
 * solution exists, the incompatibility that proves it is rendered as an
 * explanation in pub's style, with numbered lines for reused derivations.
 *
 * The caller supplies the universe through callbacks (struct
 * pubgrub_callbacks); the Python layer that maps requirements, extras,
 * markers and candidate policy onto it is builder/resolve.h.
 *
 * Ownership: everything the solver allocates lives until pubgrub_free().
 * Version pointers passed in (choose_version's result) must stay valid as
 * long as the solver. */
#ifndef AB_PUBGRUB_H
#define AB_PUBGRUB_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/pep440.h"
#include "formats/vrange.h"

#define PUBGRUB_ROOT 0u

struct pubgrub;

struct pubgrub_callbacks {
	void *data;
	/* Pick the version to try for `pkg` among `allowed` (never called for
	 * the root). Returns 1 and sets *out (a version inside `allowed`,
	 * owned by the caller), 0 when no usable version is in `allowed`, or a
	 * negative AB_E_* code with `err` set (the solve stops). */
	int (*choose_version)(void *data, struct pubgrub *pg, unsigned pkg,
			      const struct vrange *allowed, const struct pep440_version **out,
			      struct ab_err *err);
	/* Report the dependencies of `pkg` at `v` (for the root: the root's
	 * requirements) by calling pubgrub_add_dependency() /
	 * pubgrub_add_constraint() / pubgrub_set_unavailable() on `pg`.
	 * Called at most once per (pkg, version). Returns 0 or a negative
	 * AB_E_* code with `err` set. */
	int (*get_dependencies)(void *data, struct pubgrub *pg, unsigned pkg,
				const struct pep440_version *v, struct ab_err *err);
	/* Optional: decision priority of a package whose allowed set is
	 * `allowed`: lower is decided first; ties go to the package seen
	 * first. NULL: discovery order. Setting *stable (false on entry) says
	 * the answer holds for as long as the package's allowed set does: it
	 * is then not asked again until that changes (it is asked for every
	 * undecided package at every decision otherwise). */
	long (*priority)(void *data, struct pubgrub *pg, unsigned pkg, const struct vrange *allowed,
			 bool *stable);
	/* Optional: append a clause explaining why no version of `pkg` in
	 * `range` is usable (after "no versions of foo match >=1"), e.g.
	 * " (2.0 requires Python >=3.12)". */
	void (*explain_no_versions)(void *data, struct pubgrub *pg, unsigned pkg,
				    const struct vrange *range, struct ab_buf *out);
	/* Optional: append `r` as explanations should show it for `pkg`, e.g.
	 * in terms of the versions that exist (">=1.0,<=1.4" rather than a
	 * union of single versions); append nothing when `r` holds every
	 * version there is. NULL: vrange_format(). */
	void (*format_range)(void *data, struct pubgrub *pg, unsigned pkg, const struct vrange *r,
			     struct ab_buf *out);
	/* Optional: true when no published version of `pkg` lies in `r`. A
	 * "no versions of foo match R" fact over such a sliver (what is left
	 * between versions after others are ruled out) is left out of
	 * explanations, as it says nothing to a reader. With r == NULL: true
	 * when the package has no published version at all. */
	bool (*nothing_published)(void *data, struct pubgrub *pg, unsigned pkg, const struct vrange *r);
	/* Optional: set `out` (a released-first vrange) to the widest range
	 * that holds `v` and no other version choose_version() could ever
	 * return for `pkg` (e.g. from v up to the next published version).
	 * Dependencies of v are recorded over that span, so those of
	 * consecutive versions merge into one interval instead of a union of
	 * single versions (pubgrub-rs / uv do the same with their version
	 * lists). NULL: exactly v. */
	void (*version_span)(void *data, struct pubgrub *pg, unsigned pkg,
			     const struct pep440_version *v, struct vrange *out);
};

/* A new solver; `root_name` is how explanations name the root ("your
 * app"). The callbacks struct is copied. Free with pubgrub_free(). */
struct pubgrub *pubgrub_new(const struct pubgrub_callbacks *cb, const char *root_name);
void pubgrub_free(struct pubgrub *pg);

/* Intern a package name (any string; compared bytewise): returns its id,
 * the same id for the same name. */
unsigned pubgrub_package(struct pubgrub *pg, const char *name);
const char *pubgrub_package_name(const struct pubgrub *pg, unsigned pkg);
size_t pubgrub_package_count(const struct pubgrub *pg);

/* Inside get_dependencies() only: the package being expanded requires
 * `dep` in `range` (copied). A dependency of a package on itself is allowed
 * when `range` holds the version (then it is dropped) and makes the version
 * unusable otherwise. */
void pubgrub_add_dependency(struct pubgrub *pg, unsigned dep, const struct vrange *range);
/* Inside get_dependencies() only: if `dep` is selected at all it must be in
 * `range` (pip's -c constraints); it is not required. */
void pubgrub_add_constraint(struct pubgrub *pg, unsigned dep, const struct vrange *range);
/* Inside get_dependencies() only: this version cannot be used; `reason`
 * (copied) completes "foo==1.0 ..." in explanations ("has invalid
 * metadata"). Dependencies added so far are dropped. */
void pubgrub_set_unavailable(struct pubgrub *pg, const char *reason);

/* The version decided for `pkg` in the current partial solution, or NULL. */
const struct pep440_version *pubgrub_decision(const struct pubgrub *pg, unsigned pkg);

/* A number naming `pkg`'s current allowed set: it changes whenever an
 * assignment to `pkg` is made (never reused), and returns to an earlier
 * value when backtracking restores that assignment; 0 before the first.
 * A priority callback may memoize what it derives from `allowed` by it
 * (for answers that also depend on other state, say, not *stable). */
unsigned long pubgrub_range_serial(const struct pubgrub *pg, unsigned pkg);

/* Run the solver. Returns 0 when a solution was found (read it with
 * pubgrub_solution()), -AB_E_RESOLVE when none exists (err's message is
 * "no solution"; the reason is pubgrub_explain()), or the negative code a
 * callback returned (its error in `err`). */
int pubgrub_solve(struct pubgrub *pg, struct ab_err *err);

/* After a successful solve: the number of selected packages (the root
 * excluded), and for index i < that number the package and its version. */
size_t pubgrub_solution_count(const struct pubgrub *pg);
void pubgrub_solution_get(const struct pubgrub *pg, size_t i, unsigned *pkg,
			  const struct pep440_version **v);

/* After a failed solve: append the human-readable derivation of the
 * failure (several lines, no trailing newline). */
void pubgrub_explain(struct pubgrub *pg, struct ab_buf *out);

/* Statistics of the last solve (for benchmarks and tests). */
struct pubgrub_stats {
	size_t decisions, conflicts, incompatibilities, propagations;
};
void pubgrub_get_stats(const struct pubgrub *pg, struct pubgrub_stats *out);

#endif
