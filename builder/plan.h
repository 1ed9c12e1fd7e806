/* plan.h - "resolve the app": what `appbuild lock` and `appbuild bundle`
 * share. From an app and the index/target options of `appbuild lock`:
 * the target environment, the merged index sources, the inputs digest, the
 * existing lock (its pins and whether it is fresh), and then the
 * resolution recorded as a struct lock, with the index client and provider
 * kept open so the caller can fetch the pinned files.
 *
 * Two steps: plan_prepare() (no network: `lock --check` stops there), then
 * plan_resolve(). Release with plan_release() in every case. */
#ifndef AB_PLAN_H
#define AB_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "builder/app.h"
#include "builder/cache.h"
#include "builder/http.h"
#include "builder/directref.h"
#include "builder/index.h"
#include "builder/install.h"
#include "builder/lock.h"
#include "builder/provider_index.h"
#include "builder/resolve.h"
#include "builder/target.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/out.h"

struct pep517;

/* The options of `appbuild lock` (arrays and strings borrowed; every field
 * may be 0/NULL). */
struct plan_opts {
	const char *index_url;
	const char *const *extra_index_url;
	size_t nextra_index_url;
	const char *const *find_links;
	size_t nfind_links;
	bool no_index;
	bool pre;
	const char *const *only_binary; /* values as given: "a,b", ":all:" */
	size_t nonly_binary;
	const char *const *no_binary;
	size_t nno_binary;
	bool prefer_binary;
	const char *python_version;
	const char *const *platform;
	size_t nplatform;
	const char *python; /* the host interpreter to ask (NULL: "python3") */
	const char *cache_dir;
	bool offline;
	bool upgrade; /* ignore the existing lock's pins */
	const char *const *upgrade_package;
	size_t nupgrade_package;
	bool lowest, lowest_direct;
	bool pylock; /* the lock format (it is part of the digest) */
	/* The existing lock to read (NULL: DIR/dependencies.lock or
	 * DIR/pylock.toml by `pylock`). */
	const char *lock_path;
	/* A fresh existing lock is followed exactly: its pins become '=='
	 * constraints (bundle), instead of mere preferences (lock). */
	bool exact;
	/* Building from source (builder/pep517.h). */
	bool no_build_isolation;
	const char *const *config_settings; /* "KEY=VALUE" */
	size_t nconfig_settings;
};

struct plan {
	struct target tgt;
	struct index_sources src;
	struct cache cache;
	struct http_client *http;
	struct index *ix;
	struct provider_index *pi;
	struct resolve_provider prov;
	char digest[65];	/* of the inputs now */
	struct ab_buf lock_path; /* the lock file read and to write */
	const char *lock_base;	 /* its base name (into lock_path) */
	bool lock_exists;
	struct ab_buf lock_text; /* its bytes when it exists */
	struct lock_pins pins;	 /* what it pins (when it exists) */
	bool lock_fresh;	 /* it exists and its digest is `digest` */
	struct resolve_result res;
	struct lock lock;
	/* Builds sdists and source trees (builder/pep517.h) against the same
	 * index and target: created by plan_resolve() before resolving. */
	struct pep517 *build;
	/* private */
	struct plan_priv *priv;
};

/* Target, sources, digest, existing lock. AB_E_USAGE (bad target options),
 * AB_E_IO (interpreter, cache, input files). `app` and `o` must outlive
 * the plan. */
int plan_prepare(struct plan *p, const struct app *app, const struct plan_opts *o,
		 struct ab_out *out, struct ab_err *err);

/* Resolve (preferring or, with o->exact and a fresh lock, enforcing the
 * existing pins) and fill p->lock. -AB_E_RESOLVE with p->res.explanation
 * set when no solution exists (a note names the target); the index's
 * errors (AB_E_NETWORK, AB_E_HASH, ...); AB_E_UNSUPPORTED for requirements
 * that cannot be locked (editable, URL), at their file:line:col. */
int plan_resolve(struct plan *p, struct ab_err *err);

/* The best installable file of a pinned distribution for the target: a
 * wheel with the lowest tag rank, else the first file; NULL when none. */
const struct index_candidate *plan_best_file(struct plan *p, const char *name,
					     const char *version);

/* The direct reference (builder/directref.h) that pins `name` after
 * plan_resolve(), or NULL when it comes from an index. */
struct directref *plan_direct(struct plan *p, const char *name);

/* Its wheel in d->wheel / d->wheel_filename (built from the source tree
 * when needed: an editable gets a regular build, with a message saying
 * so) and its PEP 610 origin in *du (pointing into d). Errors as
 * directref_wheel(). */
int plan_direct_wheel(struct plan *p, struct directref *d, struct install_direct_url *du,
		      struct ab_err *err);

void plan_release(struct plan *p);

#endif
