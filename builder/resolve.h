/* resolve.h - Python dependency resolution on top of the PubGrub solver
 * (builder/pubgrub.h): PEP 508 requirements, extras as virtual packages,
 * markers for a target environment, Requires-Python, pre-release and
 * yanked policies, `===`, constraints and preferred pins.
 *
 * The index is reached only through a struct resolve_provider, so the same
 * resolver runs over an in-memory scenario (tests/conformance) or the
 * network index client.
 *
 * Model (as uv): a requirement `foo[x,y]>=1` is a dependency on `foo>=1`,
 * `foo[x]>=1` and `foo[y]>=1`; the virtual package `foo[x]` at version V
 * depends on `foo==V` and on the requirements of foo V that its extra
 * enables (their marker holds with extra == "x" but not with extra == "").
 * Extras are compared PEP 685-normalized; an extra the version does not
 * list in Provides-Extra enables nothing. */
#ifndef AB_RESOLVE_H
#define AB_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/err.h"
#include "formats/marker.h"
#include "formats/pep440.h"

/* One published version of a project, as the provider sees it. */
struct resolve_candidate {
	const char *version_str;                /* as published */
	const struct pep440_version *version;   /* parsed */
	bool yanked;                            /* PEP 592 */
	const char *requires_python;            /* NULL: no constraint */
	bool usable;                            /* some file fits the target and the
						 * binary/source options */
	bool last_resort;                       /* offered only after every usable version
						 * without it (pip --prefer-binary: a version
						 * with sdists only); yanked ones come later */
};

/* The core metadata the resolver needs from one version. */
struct resolve_metadata {
	const char *const *requires_dist;
	size_t nrequires;
	const char *const *provides_extras;
	size_t nextras;
};

/* How the resolver reaches the index. Everything returned stays owned by
 * the provider and must stay valid until resolve_run() returns. */
struct resolve_provider {
	void *data;
	/* Every published version of the project `name` (PEP 503-normalized).
	 * Returns 1 (found; *n may be 0), 0 (no such project) or a negative
	 * AB_E_* code with `err` set. Called at most once per name in one solve
	 * (resolve_run() may solve twice under the pip pre-release rule). */
	int (*list_versions)(void *data, const char *name, const struct resolve_candidate **out,
			     size_t *n, struct ab_err *err);
	/* Requires-Dist and Provides-Extra of one candidate of `name`. Returns
	 * 0, or a negative AB_E_* code with `err` set. */
	int (*get_metadata)(void *data, const char *name, const struct resolve_candidate *c,
			    struct resolve_metadata *out, struct ab_err *err);
	/* Optional hint: `name` (c == NULL: its version list; else that
	 * candidate's metadata) will probably be asked for soon; a network
	 * provider may start fetching it in the background. */
	void (*prefetch)(void *data, const char *name, const struct resolve_candidate *c);
};

/* Pre-release policy (../shared/conformance/FORMAT.md, options table). */
enum resolve_prereleases {
	RESOLVE_PRE_IF_NECESSARY,             /* pip: a requirement names one, or only
					       * pre-releases exist and nothing constrains */
	RESOLVE_PRE_IF_NECESSARY_OR_EXPLICIT, /* uv default */
	RESOLVE_PRE_ALLOW,                    /* --pre */
};

enum resolve_yanked {
	RESOLVE_YANKED_LAST_RESORT,    /* pip: below every non-yanked version */
	RESOLVE_YANKED_ROOT_EXACT_PIN, /* uv: only when a root requirement pins it with == or === */
};

enum resolve_requires_python {
	RESOLVE_RP_FULL,             /* the target's python_full_version must match */
	RESOLVE_RP_LOWER_BOUND_ONLY, /* uv: <, <=, != ignored; ==X.* and ~=X read as >=X */
};

struct resolve_pin {
	const char *name;    /* normalized */
	const char *version; /* as published */
};

/* A direct reference (`name @ url`, a VCS URL, a path): its package has
 * exactly the one candidate the provider lists for it, and no index
 * candidate replaces it (pip, uv). A `name @ url` requirement met while
 * resolving must name the same URL. */
struct resolve_direct {
	const char *name;    /* canonical */
	const char *url;     /* as `name @ url` requirements must spell it */
	const char *version; /* of its one candidate, as published */
};

struct resolve_options {
	/* The target: markers are evaluated here (`extra` is set by the
	 * resolver); vars[MARKER_VAR_PYTHON_FULL_VERSION] is checked against
	 * Requires-Python. */
	const struct marker_env *env;
	enum resolve_prereleases prereleases;
	enum resolve_yanked yanked;
	enum resolve_requires_python requires_python;
	bool lowest;        /* oldest allowed version of everything (uv --resolution lowest) */
	bool lowest_direct; /* oldest for the root's own requirements only */
	/* Preferred versions (an existing lock): tried first when allowed. */
	const struct resolve_pin *prefer;
	size_t nprefer;
	const char *root_name; /* in explanations; NULL: "your app" */
	/* Direct references (see above); the provider must list exactly one
	 * candidate for each. */
	const struct resolve_direct *direct;
	size_t ndirect;
};

struct resolve_stats {
	size_t decisions, conflicts, incompatibilities, packages, metadata_reads;
};

struct resolve_result {
	size_t n;
	struct resolve_pin *pins; /* sorted by name; strings owned by the result */
	char *explanation;        /* set when no solution exists */
	struct resolve_stats stats;
};

#define RESOLVE_RESULT_INIT { 0, NULL, NULL, { 0, 0, 0, 0, 0 } }

/* Resolve `reqs` (PEP 508 strings as a user writes them; a requirement whose
 * marker is false for the target is ignored) with pip-style `constraints`.
 * Returns 0 with out->pins set; -AB_E_RESOLVE when no solution exists
 * (err: "no solution for the requirements", out->explanation: why, several
 * lines); -AB_E_PARSE for an invalid root requirement (err->col into it,
 * with a note naming it); -AB_E_RESOLVE without an explanation when two
 * direct references for one project differ ("conflicting direct
 * references"); -AB_E_UNSUPPORTED for a `name @ url` requirement in a
 * package's metadata that o->direct does not name (as uv, the app must
 * declare it); or the provider's error. Release `out` with
 * resolve_result_release() in every case. */
int resolve_run(const struct resolve_provider *p, const struct resolve_options *o,
		const char *const *reqs, size_t nreqs, const char *const *constraints,
		size_t nconstraints, struct resolve_result *out, struct ab_err *err);
void resolve_result_release(struct resolve_result *r);

/* Whether `python` satisfies a Requires-Python string under `mode` (an
 * invalid string is no constraint, as pip ignores it). Exposed for tests
 * and the lock writer. */
bool resolve_python_ok(const char *requires_python, const struct pep440_version *python,
		       enum resolve_requires_python mode);

#endif
