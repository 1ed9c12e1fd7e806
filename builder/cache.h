/* cache.h - appbuild's on-disk cache: content-addressed files and HTTP pages.
 *
 * Layout under the root ($XDG_CACHE_HOME/appbuild, else ~/.cache/appbuild,
 * or --cache-dir):
 *   files/sha256/ab/cdef...   a file whose sha256 is abcdef... (wheels,
 *                             sdists, metadata sidecars)
 *   http/ab/cdef...           an HTTP response, keyed by the sha256 of its URL:
 *                             one line of JSON (validators, Cache-Control,
 *                             the body's sha256 and size), "\n", the body
 *   tmp/                      temporary files, renamed into place when complete
 *   locks/ab/cdef....lock     flock(2) files, one per entry
 * Every write goes to tmp/ and is renamed into place (atomic on one file
 * system), so a reader sees a whole entry or none. Entries are verified on
 * every read: a file must hash to its name, a page to the hash in its
 * header; a corrupt or partial entry is deleted (under the entry's lock, so
 * a good entry another process has just renamed into place survives) and
 * reported as missing. Several processes may share one cache.
 *
 * A disabled cache (--no-cache) keeps nothing: lookups miss and writes
 * into it go to a private temporary directory removed by cache_release(). */
#ifndef AB_CACHE_H
#define AB_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"

struct cache {
	char *root;    /* absolute; owned */
	bool disabled; /* --no-cache: root is a private temporary directory */
};

#define CACHE_INIT          \
	{                   \
		NULL, false \
	}

/* The default root: $XDG_CACHE_HOME/appbuild, else $HOME/.cache/appbuild.
 * Appends to `out`. AB_E_IO when neither variable is set. */
int cache_default_dir(struct ab_buf *out, struct ab_err *err);

/* Open (creating directories as needed) the cache at `dir` (NULL: the
 * default). `disabled`: --no-cache. AB_E_IO when the directories cannot be
 * created. cache_release() frees it (and removes a disabled cache's
 * temporary directory). */
int cache_open(struct cache *c, const char *dir, bool disabled, struct ab_err *err);
void cache_release(struct cache *c);

/* sha256 helpers (OpenSSL's SHA256_*). hex: 64 lowercase digits + NUL. */
struct SHA256state_st;
struct cache_sha256 {
	struct SHA256state_st *ctx;
};
void cache_sha256_init(struct cache_sha256 *h);
void cache_sha256_update(struct cache_sha256 *h, const void *data, size_t n);
/* Writes the digest and resets `h` for reuse. */
void cache_sha256_final(struct cache_sha256 *h, char hex[65]);
void cache_sha256_release(struct cache_sha256 *h);
void cache_sha256_hex(const void *data, size_t n, char hex[65]);
/* Hash a file. AB_E_IO when it cannot be read. */
int cache_sha256_file(const char *path, char hex[65], struct ab_err *err);
/* True for 64 hex digits (either case). */
bool cache_is_sha256(const char *hex);

/* Content-addressed files. */

/* Path of the entry for `sha256` (whether or not it exists), into `out`. */
void cache_file_path(const struct cache *c, const char *sha256, struct ab_buf *out);
/* Returns 1 and the path in `out` when a verified entry exists, 0 when not
 * (a corrupt entry is deleted first). `verify` false skips re-hashing (the
 * caller trusts the entry, e.g. it just wrote it). Negative on I/O errors. */
int cache_file_lookup(const struct cache *c, const char *sha256, bool verify, struct ab_buf *out,
		      struct ab_err *err);
/* The same for a small entry read whole: returns 1 with its verified
 * content appended to `out`, 0 when there is none (a corrupt entry is
 * deleted first; `out` is then as it was), negative on I/O errors. One
 * open and one read where lookup-then-read takes two of each. */
int cache_file_read(const struct cache *c, const char *sha256, struct ab_buf *out,
		    struct ab_err *err);

/* A file being written into the cache, hashed as it is written. */
struct cache_writer {
	const struct cache *cache;
	int fd;
	char *tmp; /* path in tmp/ */
	struct cache_sha256 h;
	uint64_t size;
};

/* Start a new temporary file. AB_E_IO on failure. */
int cache_writer_open(const struct cache *c, struct cache_writer *w, struct ab_err *err);
int cache_writer_write(struct cache_writer *w, const void *data, size_t n, struct ab_err *err);
/* Start over (a restarted download): truncates and resets the hash. */
int cache_writer_restart(struct cache_writer *w, struct ab_err *err);
/* Finish: the content's sha256 must equal `expect` (NULL: any); then it is
 * renamed to files/sha256/... and its path and hex digest are returned in
 * `path`/`hex` (either may be NULL). On a mismatch the file is deleted
 * and AB_E_HASH names both digests. The writer is released either way. */
int cache_writer_commit(struct cache_writer *w, const char *expect, struct ab_buf *path,
			char hex[65], struct ab_err *err);
/* Discard the temporary file; safe after commit and on a zeroed writer. */
void cache_writer_abort(struct cache_writer *w);

/* Store a buffer (same contract as a writer opened, written, committed). */
int cache_file_put(const struct cache *c, const void *data, size_t n, const char *expect,
		   struct ab_buf *path, char hex[65], struct ab_err *err);

/* HTTP responses. */

struct cache_meta {
	char *url;
	char *etag;	     /* NULL: none */
	char *last_modified; /* NULL: none */
	char *content_type;  /* NULL: none */
	char *cache_control; /* NULL: none */
	int64_t stored_at;   /* time(2) when fetched or last revalidated */
};

#define CACHE_META_INIT                         \
	{                                       \
		NULL, NULL, NULL, NULL, NULL, 0 \
	}
void cache_meta_release(struct cache_meta *m);

/* True when the response may be used without revalidation at `now`:
 * Cache-Control max-age (RFC 9111 5.2.2.1) not yet exceeded, and neither
 * no-cache nor no-store. Without Cache-Control: never fresh. */
bool cache_meta_fresh(const struct cache_meta *m, int64_t now);
/* True when Cache-Control says no-store: the response must not be kept. */
bool cache_meta_no_store(const struct cache_meta *m);

/* Look up the response stored for `url`: 1 with `meta` and `body` filled
 * (the body verified), 0 when missing or corrupt (then deleted). */
int cache_page_get(const struct cache *c, const char *url, struct cache_meta *meta,
		   struct ab_buf *body, struct ab_err *err);
/* Store (replace) the response for `meta->url`, atomically. Nothing is
 * stored when Cache-Control says no-store (returns 0). */
int cache_page_put(const struct cache *c, const struct cache_meta *meta, const void *body, size_t n,
		   struct ab_err *err);
/* Path of the entry for `url` (tests corrupt entries through it). */
void cache_page_path(const struct cache *c, const char *url, struct ab_buf *out);
/* The body of the page stored for `url`, as cache_page_get() checks it
 * (header names url, size and sha256 match), read in one piece into `body`
 * (reset first, its allocation reused; the header's other fields are not
 * parsed): for bodies read often (tar segments). `check_body` false: the
 * sha256 is not checked (only the size), for a caller that checks the body
 * itself. 1; 0 when missing or corrupt (then deleted, as cache_page_get).
 * Safe from several threads. */
int cache_page_get_body(const struct cache *c, const char *url, bool check_body,
			struct ab_buf *body, struct ab_err *err);

/* cache_page_get_body() without reading the file: mapped (read-only,
 * populated at once), the body checked in place. Entries are only ever
 * replaced by rename, so the mapping stays what was checked. */
struct cache_map {
	void *addr;	  /* the mapping; NULL: none */
	size_t len;
	const char *body; /* inside it */
	size_t n;
};
#define CACHE_MAP_INIT { NULL, 0, NULL, 0 }
/* 1 with `m` set (cache_unmap it); 0 when missing or corrupt (then
 * deleted, as cache_page_get). `check_body` false: the body's sha256 is not
 * checked (only its size), for a caller that checks it itself (tar
 * segments carry a CRC-32). Safe from several threads. */
int cache_page_map(const struct cache *c, const char *url, bool check_body, struct cache_map *m,
		   struct ab_err *err);
/* Unmap (a zeroed or CACHE_MAP_INIT map: nothing); `m` is CACHE_MAP_INIT after. */
void cache_unmap(struct cache_map *m);

/* Maintenance (`appbuild cache verify|clean`). */

struct cache_stats {
	unsigned files; /* files/sha256 entries */
	unsigned pages; /* http/ entries */
	unsigned bad;	/* of those, corrupt (deleted when fixing) */
	unsigned tmp;	/* files in tmp/ (in-flight writes, or left by a crash) */
	uint64_t bytes; /* size of the entries */
};

/* Called for each corrupt entry: its path and why ("sha256 is 12ab...",
 * "not a cache entry", "header does not match its body"). */
typedef void cache_bad_fn(void *data, const char *path, const char *why);

/* Check every entry as a read would (files hash to their name; a page's
 * header parses, names the URL it is stored under, and its body matches its
 * size and sha256). `fix`: delete each corrupt entry (under its lock, so a
 * good copy renamed into place meanwhile survives). Safe while other
 * processes use the cache. Fills `st` (zeroed first); `bad` may be NULL.
 * Returns 0 (corrupt entries are not errors: they are counted), or AB_E_IO
 * when a directory cannot be read. */
int cache_verify(const struct cache *c, bool fix, struct cache_stats *st, cache_bad_fn *bad,
		 void *data, struct ab_err *err);

/* Remove every entry (files, pages, temporary files and locks), keeping the
 * directory layout; fills `st` with what was removed (may be NULL). Other
 * processes using the cache at the same time lose their entries but stay
 * correct (they refetch). AB_E_IO on the first file that cannot be removed. */
int cache_clean(const struct cache *c, struct cache_stats *st, struct ab_err *err);

/* flock(2) an entry's lock file (key: any string, e.g. a digest or URL).
 * Blocks. Returns an fd >= 0 for cache_unlock(), or a negative AB_E_IO. */
int cache_lock(const struct cache *c, const char *key, struct ab_err *err);
void cache_unlock(int fd);

#endif
