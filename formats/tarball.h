/* tarball.h - reproducible compressed tarballs of a directory tree, written
 * with libarchive (the bundle's container).
 *
 * Every entry of the tree at `root` is stored under one top directory
 * (`<name>-<version>/`), in byte order of the names, depth first (a
 * directory right before its contents); POSIX pax format (ustar headers,
 * pax records only for what ustar cannot hold: long names, non-ASCII);
 * owner root:root (0:0); every mtime `mtime`; modes normalized (directories
 * and files with any execute bit 0755, other files 0644, symlinks kept as
 * links with their target); hard links stored as separate files; no
 * compressor timestamp or file name. zstd and xz run multi-threaded in a
 * mode whose output does not depend on the number of threads. So the same
 * tree gives the same bytes wherever and whenever it is written.
 *
 * The file is written atomically: a temporary file next to `out_path`,
 * renamed over it when complete; on failure nothing is left. */
#ifndef AB_TARBALL_H
#define AB_TARBALL_H

#include <stdint.h>

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

struct tarball_opts {
	enum tarball_format format;
	const char *top; /* the top directory's name: no '/', not "." or ".." */
	int64_t mtime;   /* every entry's mtime (SOURCE_DATE_EPOCH), >= 0 */
	int level;       /* compression level; 0: default (gzip 6, zstd 3, xz 6) */
	unsigned threads; /* zstd/xz workers; 0: the online CPUs (never changes the bytes) */
};

/* Write the tree at `root` to `out_path` (its directory must exist).
 * Returns 0, or: AB_E_USAGE for a bad `top` or negative mtime, AB_E_IO for
 * file system errors (err->file names the path), AB_E_UNSUPPORTED for a
 * file that cannot be archived (device, fifo, socket), AB_E_BUILD for a
 * libarchive or compressor failure. */
int tarball_write(const char *root, const char *out_path, const struct tarball_opts *o,
		  struct ab_err *err);

#endif
