/* pep517.h - building source trees and sdists into wheels through their
 * PEP 517/518 build backend (and PEP 660 editables).
 *
 * A source tree is a directory with a pyproject.toml and/or a setup.py.
 * Its [build-system] (formats/pyproject.h) names the backend; without one
 * pip 23's default holds: requires = ["setuptools>=40.8.0", "wheel"],
 * backend "setuptools.build_meta:__legacy__".
 *
 * Build environment (isolation, the default, as pip): `requires` is
 * resolved by appbuild's own resolver (builder/resolve.h) through a
 * provider over the same index client and target as the app
 * (builder/provider_index.h), the pinned wheels are fetched (hash-checked)
 * and installed (builder/install.h) into a fresh virtual environment under
 * a private temporary directory, once per distinct set of pins in the life
 * of a struct pep517. Then get_requires_for_build_wheel's answer is added
 * the same way (nothing new to install when the pins already satisfy it).
 * A build requirement that has only an sdist is itself built first; one
 * whose sdist is already being built up the chain is a build-requirement
 * cycle: AB_E_BUILD, "build-requirement cycle: 'a' -> 'b' -> 'a'".
 * With no_isolation the interpreter's own packages are used, nothing is
 * installed.
 *
 * Hooks run in a child process of the build interpreter (or the build
 * environment's bin/python), in the source tree, through the runner
 * templates/pep517_hooks.py.in (stdlib only): backend-path entries are put
 * first on sys.path (and the backend must come from one of them, PEP 517),
 * config settings are passed as a dict (a key given twice becomes a list,
 * as pip's), the result comes back as JSON in a file. The backend's stdout
 * and stderr are captured together; on failure the error carries them as
 * notes, each line marked "backend| ", and with -v (AB_OUT_DEBUG) they are
 * shown as they were captured on success too.
 *
 * Cache (struct cache): a build is identified by its key: the source's
 * `key` (an sdist's sha256, a git commit...), the interpreter (executable,
 * version, ABI, platform), the config settings, isolation, and the pins of
 * the static build requirements. The wheel is stored content-addressed
 * (files/sha256/...) and a record "appbuild-build:<key digest>" (a cache
 * page entry, so it is written atomically, verified on read, counted and
 * cleaned by `appbuild cache`) points at it; the metadata likewise
 * ("appbuild-metadata:..."). A second build of the same key is a cache hit:
 * no environment, no backend run. A source without a key is never cached.
 * Nothing is written into the cache before the build has succeeded.
 *
 * Errors (all functions): AB_E_BUILD (the backend is missing, fails,
 * returns nothing usable; a cycle), AB_E_PARSE (pyproject.toml, the built
 * METADATA), AB_E_INVALID (the built name or version is not the one
 * requested: "'foo' 1.0 was requested but the sdist builds 'bar' 2.0"),
 * AB_E_RESOLVE (the build requirements have no solution; a note names the
 * project being built), AB_E_IO, and the index's errors. Not thread-safe. */
#ifndef AB_PEP517_H
#define AB_PEP517_H

#include <stdbool.h>
#include <stddef.h>

#include "builder/cache.h"
#include "builder/index.h"
#include "builder/provider_index.h"
#include "builder/target.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/out.h"

struct pep517_opts {
	const char *python;     /* the build interpreter (NULL: "python3"); queried lazily */
	struct cache *cache;    /* borrowed; NULL: nothing is cached */
	/* The index and target that build requirements are resolved against
	 * (borrowed; `ix` NULL: only no_isolation builds can run). */
	struct index *ix;
	const struct target *tgt;
	/* Format control and pre-releases for build requirements, as for the
	 * app (canonical names or ":all:", borrowed). */
	const char *const *no_binary;
	size_t nno_binary;
	const char *const *only_binary;
	size_t nonly_binary;
	bool prefer_binary;
	bool pre;
	bool no_isolation;                  /* --no-build-isolation */
	const char *const *config_settings; /* --config-settings "KEY=VALUE" as given */
	size_t nconfig_settings;
	struct ab_out *out; /* progress ("building 'x' 1.0 from source"), -v backend output */
};

struct pep517;

/* A builder over `o` (copied; its pointers are borrowed and must outlive
 * the builder). Never fails: the interpreter is queried on first use. */
struct pep517 *pep517_new(const struct pep517_opts *o);
/* Removes the temporary build environments and unpacked sdists. */
void pep517_free(struct pep517 *b);

/* A source tree to build. */
struct pep517_source {
	const char *dir;     /* the project directory (pyproject.toml / setup.py) */
	/* What identifies the tree's content for the caches: an sdist's sha256
	 * hex, or "git:<commit>[#subdirectory]"; NULL: never cached. */
	const char *key;
	const char *name;    /* the project expected (any spelling), NULL: any */
	const char *version; /* the version expected, NULL: any */
};

/* A built wheel, in the cache (or, uncached, in the builder's temporary
 * directory, valid until pep517_free). */
struct pep517_wheel {
	char *path;     /* owned */
	char *filename; /* its wheel file name, e.g. "foo-1.0-py3-none-any.whl" (owned) */
	char sha256[65];
	bool cached;    /* found in the cache: no backend ran */
};

#define PEP517_WHEEL_INIT { NULL, NULL, { 0 }, false }
void pep517_wheel_release(struct pep517_wheel *w);

/* The core metadata (METADATA text) of a source tree: the cache, else
 * prepare_metadata_for_build_wheel, else (the backend lacks that hook) a
 * wheel is built and its METADATA read (the wheel is then cached too).
 * Appends to `metadata`. */
int pep517_metadata(struct pep517 *b, const struct pep517_source *s, struct ab_buf *metadata,
		    struct ab_err *err);

/* Build a wheel of a source tree (build_wheel), or find it in the cache. */
int pep517_wheel(struct pep517 *b, const struct pep517_source *s, struct pep517_wheel *out,
		 struct ab_err *err);

/* PEP 660: build an editable wheel (build_editable, after
 * get_requires_for_build_editable). Never cached (it points into `dir`).
 * AB_E_BUILD "... does not support editable installs" when the backend has
 * no build_editable hook. */
int pep517_editable(struct pep517 *b, const struct pep517_source *s, struct pep517_wheel *out,
		    struct ab_err *err);

/* An sdist from the index (c->wheel false): fetched into the cache
 * (hash-checked, `hashes` as index_fetch_file), unpacked safely
 * (builder/sdist.h) when a build is needed, and built with key = its
 * sha256. Its name and version must be c's. _metadata returns PKG-INFO
 * when it is static (PEP 643), else the backend's metadata. */
int pep517_sdist_metadata(struct pep517 *b, const struct index_candidate *c,
			  struct ab_buf *metadata, struct ab_err *err);
int pep517_sdist_wheel(struct pep517 *b, const struct index_candidate *c,
		       const char *const *hashes, size_t nhashes, struct pep517_wheel *out,
		       struct ab_err *err);

/* The wheel to install for a file `c` the index offers (the bundle's
 * fetch): a wheel is fetched (index_fetch_file, `hashes` checked); an sdist
 * is built (pep517_sdist_wheel). Appends the wheel's path to `path`;
 * *filename is its wheel file name (c's, or the built one's, which the
 * builder owns until pep517_free). */
int pep517_fetch_wheel(struct pep517 *b, const struct index_candidate *c,
		       const char *const *hashes, size_t nhashes, struct ab_buf *path,
		       const char **filename, struct ab_err *err);

/* Build the sdists among `c` (NULL entries and wheels skipped) that are not
 * in the cache yet, several at a time: each one's build environment is
 * made here first, then the builds run in child processes (fork), up to
 * the number of online CPUs (at most 8), each storing its wheel in the
 * cache; pep517_fetch_wheel() then finds them there. With fewer than two
 * builds to run it does nothing (pep517_fetch_wheel builds them). The
 * first failure (in `c` order) is returned with the child's error and
 * notes; nothing more is started after a failure, and every child has
 * exited on return. */
int pep517_prebuild(struct pep517 *b, const struct index_candidate *const *c, size_t n,
		    struct ab_err *err);

/* pep517_sdist_metadata with `data` a struct pep517: the
 * provider_index_options.sdist_metadata callback (plan.c sets it). */
int pep517_provider_metadata(void *data, const struct index_candidate *c, struct ab_buf *md,
			     struct ab_err *err);

/* Counters, for tests and the summary line. */
struct pep517_stats {
	size_t backend_runs; /* hook processes started */
	size_t builds;       /* wheels built by a backend */
	size_t cache_hits;   /* wheels and metadata answered by the cache */
	size_t envs;         /* build environments created */
};
void pep517_get_stats(const struct pep517 *b, struct pep517_stats *st);

/* The runner's file name in templates/ ("pep517_hooks.py.in"). */
extern const char pep517_runner_template[];

#endif
