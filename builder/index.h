/* index.h - the package index client: where distributions come from, what
 * versions exist, their core metadata, and their files.
 *
 * Sources follow pip's model: one primary index (default
 * https://pypi.org/simple/), any number of extra indexes, find-links
 * locations (a local directory of distributions, or an HTML page of links,
 * local or remote), or none of the indexes (--no-index). They come from
 * three layers, merged by index_sources_resolve():
 *   primary index:  --index-url > APPBUILD_INDEX_URL > PIP_INDEX_URL >
 *                   the requirements file's -i/--index-url > the default
 *   extra indexes:  all layers, in that order, duplicates dropped
 *                   (--extra-index-url, APPBUILD_EXTRA_INDEX_URL or else
 *                   PIP_EXTRA_INDEX_URL (whitespace-separated), the file's)
 *   find-links:     likewise (APPBUILD_FIND_LINKS or else PIP_FIND_LINKS)
 *   no-index:       set by any layer (APPBUILD_NO_INDEX / PIP_NO_INDEX:
 *                   1, true, yes, on)
 *
 * Project pages: GET <index>/<canonical name>/ with pip's Accept header
 * (PEP 691 JSON preferred, HTML accepted), parsed by Content-Type; a
 * file:// index reads <dir>/<name>/index.html. Pages are cached with their
 * validators and revalidated (304) unless Cache-Control max-age says they
 * are fresh; --offline answers from the cache only.
 *
 * Metadata: the PEP 658 sidecar when the page declares one (hash-checked);
 * else, for a wheel over HTTP, range requests: the last 64 KiB (EOCD and
 * usually the whole central directory), the central directory if it starts
 * earlier, then just the METADATA member (CRC-checked); a server that
 * ignores Range sends the whole wheel, which is then used (its sha256
 * checked). Results are cached: sidecars by their hash, others under the
 * wheel's hash.
 *
 * Everything runs on the shared http_client: index_prefetch_*() only queue
 * work; index_wait() runs it all in parallel; the getters prefetch and wait
 * for what is missing, so a resolver that prefetches never waits on one
 * request at a time. Not thread-safe.
 *
 * Logging (AB_OUT_DEBUG on `out`, i.e. -v): requests are logged by the
 * http_client; what the cache answers without a request is logged here:
 * "cache URL: hit (fresh), N bytes" (a page within its max-age),
 * "cache URL: hit (offline), N bytes", "cache WHEEL-URL: metadata hit, N
 * bytes". Errors keep the notes of the request's error (e.g. the --cert
 * hint of a certificate failure). */
#ifndef AB_INDEX_H
#define AB_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "builder/cache.h"
#include "builder/http.h"
#include "formats/core/arena.h"
#include "formats/core/err.h"
#include "formats/core/out.h"
#include "formats/pep440.h"
#include "formats/tags.h"

#define INDEX_DEFAULT_URL "https://pypi.org/simple/"

/* One layer of source options (command line, or a requirements file). */
struct index_layer {
	const char *index_url; /* NULL: not given */
	const char *const *extra_index_urls;
	size_t nextra;
	const char *const *find_links;
	size_t nfind_links;
	bool no_index;
};

struct index_sources {
	char *index_url; /* NULL with no_index */
	char **extra;	 /* extra index URLs (empty with no_index) */
	size_t nextra;
	char **find_links; /* absolute URLs: file:///dir or file:///x.html or http(s) */
	size_t nfind_links;
	bool no_index;
};

/* Merge the layers and the environment as documented above. `cli` and
 * `reqfile` may be NULL; `env` looks up variables (NULL: getenv). A relative
 * find-links path is made absolute against the current directory.
 * Release with index_sources_release(). Fails only with AB_E_IO (no cwd). */
int index_sources_resolve(struct index_sources *out, const struct index_layer *cli,
			  const struct index_layer *reqfile, const char *(*env)(const char *),
			  struct ab_err *err);
void index_sources_release(struct index_sources *s);

struct index_md;

/* One distribution file offered for a project. Strings belong to the index. */
struct index_candidate {
	const char *project; /* canonical name */
	const char *filename;
	const char *url; /* absolute, no fragment */
	struct pep440_version *version;
	bool wheel;		     /* else an sdist */
	struct tag_set tags;	     /* wheels only */
	const char *requires_python; /* NULL: any */
	bool yanked;
	const char *yanked_reason;   /* NULL unless yanked */
	const char *sha256;	     /* lowercase hex, NULL when the source gives none */
	bool has_metadata;	     /* PEP 658 sidecar at url + ".metadata" */
	const char *metadata_sha256; /* the sidecar's declared sha256, or NULL */
	int64_t size;		     /* -1: unknown */
	const char *source;	     /* the page (or directory) it was listed on */
	struct index_md *md;	     /* private */
};

struct index;

/* Create an index client over `src` (copied), caching in `cache` and
 * fetching with `http` (both borrowed; they must outlive the index).
 * `offline`: only the cache is used. `out` receives warnings (a source that
 * failed while another answered). Never fails. */
struct index *index_new(const struct index_sources *src, struct cache *cache,
			struct http_client *http, bool offline, struct ab_out *out);
void index_free(struct index *ix);

/* Queue the pages of a project on every source (once per project). */
void index_prefetch_project(struct index *ix, const char *name);
/* Queue the project's pages and, as soon as they are in, the metadata of
 * its (best: wheels first) candidate of version `v` (copied): for callers
 * that know the version they want, no waiting between the two steps. */
void index_prefetch_version(struct index *ix, const char *name, const struct pep440_version *v);
/* Queue the core metadata of a candidate (once per candidate). */
void index_prefetch_metadata(struct index *ix, const struct index_candidate *c);
/* Run every queued request to completion. Returns the number of failed
 * HTTP requests (their errors surface through the getters). */
int index_wait(struct index *ix);

/* The candidates of a project, newest version first (then wheels before
 * sdists, then by file name); files whose name does not parse or names
 * another project are left out. A project no source knows has none (0
 * returned, *n 0). Fails with AB_E_NETWORK when every source that was
 * tried failed (the error names the URL), or, offline, when a page is not
 * in the cache ("offline: ..."). The array lives until index_free(). */
int index_candidates(struct index *ix, const char *name, const struct index_candidate **out,
		     size_t *n, struct ab_err *err);

/* The core metadata (METADATA / PKG-INFO text, exactly as served) of a
 * candidate; it stays valid until index_free(). AB_E_HASH when the sidecar
 * does not match its declared hash, AB_E_NETWORK when it cannot be fetched,
 * AB_E_UNSUPPORTED for an sdist (its metadata needs a build), AB_E_PARSE
 * for a wheel without a (single) .dist-info/METADATA. */
int index_metadata(struct index *ix, const struct index_candidate *c, struct ab_str *out,
		   struct ab_err *err);

/* Download a candidate's file into the cache (or find it there) and append
 * its path to `path`. It must match the index's sha256 and, when `hashes`
 * (sha256 hex digests, a requirement's --hash values) are given, one of
 * them; on a mismatch (AB_E_HASH) nothing is kept. Offline: the cache only. */
int index_fetch_file(struct index *ix, const struct index_candidate *c, const char *const *hashes,
		     size_t nhashes, struct ab_buf *path, struct ab_err *err);

#endif
