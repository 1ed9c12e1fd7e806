/* tarball.h - reproducible compressed tarballs of a directory tree, written
 * with libarchive (the bundle's container).
 *
 * Every entry of the tree at `root` (and every file given from memory,
 * tarball_opts.mem) is stored under one top directory
 * (`<name>-<version>/`), in byte order of the names, depth first (a
 * directory right before its contents); POSIX pax format (ustar headers,
 * pax records only for what ustar cannot hold: long names, non-ASCII);
 * owner root:root (0:0); every mtime `mtime`; modes normalized (directories
 * and files with any execute bit 0755, other files 0644, symlinks kept as
 * links with their target); hard links stored as separate files; no
 * compressor timestamp or file name. zstd and xz run multi-threaded in a
 * mode whose output does not depend on the number of threads; gzip is
 * compressed in independent segments cut at entry boundaries chosen from
 * the entries alone, on every core, and a segment cache can keep them
 * (tarball_segcache; tarball.c says how). So the same tree gives the same
 * bytes wherever and whenever it is written, with or without a cache.
 *
 * The file is written atomically: a temporary file next to `out_path`,
 * renamed over it when complete; on failure nothing is left. */
#ifndef AB_TARBALL_H
#define AB_TARBALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"

enum tarball_format {
	TARBALL_GZ = 0, /* tar.gz: the default */
	TARBALL_ZST,    /* tar.zst */
	TARBALL_XZ,     /* tar.xz */
};

/* "tar.gz" (or "tgz", "gz"), "tar.zst" ("zst", "tzst"), "tar.xz" ("xz",
 * "txz") as --format takes them. Returns 0, or -1 for anything else. */
int tarball_format_parse(const char *s, enum tarball_format *out);
/* The format named by a file name's extension; -1 when it names none. */
int tarball_format_from_path(const char *path, enum tarball_format *out);
/* ".tar.gz", ".tar.zst", ".tar.xz" */
const char *tarball_format_ext(enum tarball_format f);

/* A store of compressed tar.gz segments (tarball.c, "gzip in segments"),
 * so a bundle whose dependencies did not change recompresses only what
 * did. Called from several threads at once. */
struct tarball_piece {
	const void *data;
	size_t size;
};

struct tarball_segcache {
	void *ctx;
	/* The key of a segment: a digest of `tag` (the compressor, its version
	 * and settings) and the segment's bytes (the n pieces in order), as 64
	 * hex digits + NUL. */
	void (*key)(void *ctx, const char *tag, const struct tarball_piece *v, size_t n,
		    char key[65]);
	/* What put() stored under key: 1 with *data and *n set, and *handle
	 * for release() (may be NULL: nothing to release); 0 when there is none.
	 * What comes back is checked: a damaged entry is compressed again and
	 * replaced. */
	int (*get)(void *ctx, const char *key, const void **data, size_t *n, void **handle);
	void (*release)(void *ctx, void *handle);
	/* Keep n bytes under key; a failure only costs the next run a compression. */
	void (*put)(void *ctx, const char *key, const void *data, size_t n);
};

/* What tarball_write did (tar.gz only; zero for the other formats). */
struct tarball_stats {
	unsigned segments; /* tar.gz segments written */
	unsigned cached;   /* of those, found in the segment cache */
	uint64_t tar_bytes; /* the uncompressed tar stream */
};

/* A file written into the archive from memory, as if it were in the tree. */
struct tarball_memfile {
	const char *path; /* relative to the tree's root ("venv/x/y.py"): no
			   * leading or doubled '/', no "." or ".." component */
	const void *data;
	size_t size;
	bool exec; /* mode 0755 (else 0644) */
};

struct tarball_opts {
	enum tarball_format format;
	const char *top; /* the top directory's name: no '/', not "." or ".." */
	int64_t mtime;   /* every entry's mtime (SOURCE_DATE_EPOCH), >= 0 */
	int level;       /* compression level; 0: default (gzip 6, zstd 3, xz 6) */
	unsigned threads; /* workers; 0: the online CPUs (never changes the bytes) */
	/* tar.gz: compressed segments are looked up and stored here (NULL:
	 * none); the bytes are the same with or without it. zstd and xz are
	 * compressed whole (libarchive's filters cannot start a frame at an
	 * entry boundary). */
	const struct tarball_segcache *cache;
	struct tarball_stats *stats; /* NULL: not wanted */
	/* Files added from memory (their directories too, 0755), sorted in
	 * with the tree's: one replaces a file of the tree at the same path,
	 * and of two at the same path the later wins. The data is only read. */
	const struct tarball_memfile *mem;
	size_t nmem;
	/* tar.gz: called with every byte written to the file, in order (the
	 * caller's checksum without reading the file again); NULL: none. Not
	 * called for zstd and xz. */
	void (*sink)(void *ctx, const void *data, size_t n);
	void *sink_ctx;
};

/* Write the tree at `root` to `out_path` (its directory must exist).
 * Returns 0, or: AB_E_USAGE for a bad `top` or negative mtime, AB_E_IO for
 * file system errors (err->file names the path), AB_E_UNSUPPORTED for a
 * file that cannot be archived (device, fifo, socket), AB_E_BUILD for a
 * libarchive or compressor failure. */
int tarball_write(const char *root, const char *out_path, const struct tarball_opts *o,
		  struct ab_err *err);

#endif
