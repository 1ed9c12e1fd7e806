/* provider_index.h - a struct resolve_provider (builder/resolve.h) backed by
 * the index client (builder/index.h), for one target environment.
 *
 * Versions: index_candidates() grouped by version (newest first). Per file,
 * as pip's LinkEvaluator and CandidateEvaluator decide:
 *   - a wheel fits when one of its tags is supported by the target
 *     (tags_supported_rank() >= 0);
 *   - format control (pip's FormatControl.get_allowed_formats): the
 *     project's own --only-binary / --no-binary entry wins, then ":all:" in
 *     only_binary, then ":all:" in no_binary;
 *   - Requires-Python is checked per file against the target.
 * A version is `usable` when one of its files passes tags and format
 * control; its requires_python is that of a usable file the target
 * satisfies (else of the first usable file, so explanations can name it);
 * it is `yanked` when every usable file is yanked (PEP 592: a version with
 * a non-yanked file is not yanked). With --prefer-binary a version whose
 * only usable files are sdists is offered after every version with a
 * usable wheel (resolve_candidate.last_resort).
 *
 * Metadata: of the best usable wheel (lowest tag rank) through
 * index_metadata() (PEP 658 or range requests); for a version with only
 * sdists usable, the sdist's PKG-INFO when it is static (Metadata-Version
 * 2.2 or later and Requires-Dist / Provides-Extra not Dynamic), else the
 * backend's (o->sdist_metadata: builder/pep517.h), else (no such callback)
 * any wheel of the same version (its metadata stands in for a build, as
 * the files of one version share their metadata), else AB_E_UNSUPPORTED.
 *
 * Prefetch: the resolver's hint on a project queues its pages; whenever the
 * provider next waits (any getter), every project whose pages have arrived
 * gets the metadata of its most likely version (the preferred pin, else the
 * newest usable non-pre-release, else the newest usable) queued, so the
 * next wait fetches a whole level of the dependency graph in parallel.
 * Nothing is fetched twice (the index client dedups; this provider parses
 * each metadata once). */
#ifndef AB_PROVIDER_INDEX_H
#define AB_PROVIDER_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "builder/index.h"
#include "builder/resolve.h"
#include "formats/tags.h"

struct provider_index_options {
	const struct tags_supported *tags;     /* the target's tags (borrowed) */
	const struct pep440_version *python;   /* the target's python_full_version */
	enum resolve_requires_python requires_python;
	/* pip's FormatControl: canonical names or ":all:" (borrowed) */
	const char *const *no_binary;
	size_t nno_binary;
	const char *const *only_binary;
	size_t nonly_binary;
	bool prefer_binary;
	/* Preferred pins (the resolver's prefer list): prefetched first. */
	const struct resolve_pin *prefer;
	size_t nprefer;
	/* The metadata of a version with only sdists usable whose PKG-INFO is
	 * not static: a build (builder/pep517.h, pep517_sdist_metadata) appends
	 * the METADATA text to `md`. NULL: a wheel of the same version stands in,
	 * else AB_E_UNSUPPORTED. */
	int (*sdist_metadata)(void *data, const struct index_candidate *c, struct ab_buf *md,
			      struct ab_err *err);
	void *sdist_data;
};

struct provider_index_stats {
	size_t projects, versions, metadata, sdist_metadata;
};

struct provider_index;

/* A provider over `ix` (borrowed; it must outlive the provider, and so must
 * `o`'s pointers). Never fails. */
struct provider_index *provider_index_new(struct index *ix, const struct provider_index_options *o);
void provider_index_free(struct provider_index *pi);

/* Fill `p` to call into `pi`. */
void provider_index_provider(struct provider_index *pi, struct resolve_provider *p);

/* The files of a version `version` (normalized string) of `name` that can be
 * installed on the target (fit the tags and format control; yanked ones
 * included), in index order (wheels first). Only for projects the resolver
 * listed. Returns the count; *out points into the provider. */
size_t provider_index_files(struct provider_index *pi, const char *name, const char *version,
			    const struct index_candidate *const **out);

void provider_index_get_stats(const struct provider_index *pi, struct provider_index_stats *st);

#endif
