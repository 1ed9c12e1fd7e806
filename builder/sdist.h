/* sdist.h - unpacking source distributions (tar.gz, tar.bz2, tar.xz, zip)
 * safely, and deciding from PKG-INFO whether their metadata is static.
 *
 * Unpacking refuses, before anything escapes the staging directory: an
 * absolute path or one with a ".." component; a device, FIFO or socket; a
 * hard link whose target is not a regular file unpacked earlier; a symlink
 * whose target is absolute, leaves the tree once resolved against the
 * link's directory, or passes through another symlink; an entry written
 * twice. Symlinks are created after every other entry, so nothing is ever
 * written through one. Modes are normalized (0755 with any execute bit,
 * else 0644; no owner, no setuid), mtimes kept. When every entry sits
 * under one top directory ("Django-3.2.25/"), that directory is the root
 * of the unpacked tree, as pip strips it. On failure the staging
 * directory is removed. */
#ifndef AB_SDIST_H
#define AB_SDIST_H

#include <stdbool.h>

#include "formats/core/err.h"
#include "formats/metadata.h"

struct sdist {
	char *dir;  /* the staging directory given (owned copy) */
	char *root; /* the unpacked tree: dir/<top>, or dir (owned) */
	char *top;  /* the single top directory, NULL when there is none (owned) */
	bool has_pkg_info;
	struct metadata md;   /* root/PKG-INFO, parsed leniently, when has_pkg_info */
	bool static_metadata; /* sdist_metadata_is_static(&md) */
};

#define SDIST_INIT { NULL, NULL, NULL, false, { 0 }, false }

/* Unpack `archive` into `dest`, which must not exist (it is created, mode
 * 0755, its parent must exist), then read root/PKG-INFO. Errors:
 * AB_E_IO (cannot read the archive, cannot write; err->file names the
 * path), AB_E_UNSUPPORTED (not a tar or zip archive, special files),
 * AB_E_INVALID (an entry refused by the rules above: err->file is the
 * archive, the message quotes the entry). PKG-INFO that does not parse is
 * not an error (has_pkg_info stays false: the backend will be asked).
 * On failure `dest` is gone and *out is empty. Release with
 * sdist_release() (which leaves the files on disk). */
int sdist_unpack(const char *archive, const char *dest, struct sdist *out, struct ab_err *err);
void sdist_release(struct sdist *s);

/* PEP 643: the resolver may trust PKG-INFO without building when its
 * Metadata-Version is 2.2 or later, Name and Version are valid, and
 * neither Requires-Dist nor Requires-Python is listed in Dynamic. */
bool sdist_metadata_is_static(const struct metadata *md);

/* rm -rf `path` (no symlink followed). Returns 0, or AB_E_IO. A missing
 * path is not an error. */
int sdist_remove_tree(const char *path, struct ab_err *err);

#endif
