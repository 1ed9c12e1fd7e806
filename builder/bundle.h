/* bundle.h - pieces of `appbuild bundle` that do not need the lock: the
 * reproducible timestamp, the app's copy into the staging tree, and the
 * tarball written from that tree (formats/tarball.h).
 *
 * The command itself (lock, install, launcher, appbuild.json, SBOM) is
 * cli/cmd_bundle.c. */
#ifndef AB_BUNDLE_H
#define AB_BUNDLE_H

#include <stdint.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/tarball.h"

/* The time every bundle entry carries: $SOURCE_DATE_EPOCH when set (decimal
 * seconds; AB_E_USAGE when it is not), else the commit time of HEAD of the
 * git repository holding app_dir, else 0. */
int bundle_source_time(const char *app_dir, int64_t *out, struct ab_err *err);

/* The hex id of HEAD's commit of the git repository holding app_dir, into
 * hex (41 bytes). Returns 1 when found, 0 when app_dir is not in a git
 * repository (or it has no commit yet). Never fails. */
int bundle_source_commit(const char *app_dir, char hex[41]);

/* Copy the app directory into dest (created), leaving out VCS metadata
 * (.git, .hg, .svn, .bzr), build output (dist/, build/, __pycache__/,
 * *.pyc), appbuild's own state (.appbuild*), and what the .gitignore and
 * .appbuildignore files exclude (builder/ignore.h; AB_E_IO or AB_E_INVALID
 * for a pattern file that cannot be read). Regular files keep only
 * their execute bits; symlinks are copied as links unless they are
 * absolute or climb out of the app (AB_E_INVALID: the bundle would point
 * at the build host). AB_E_IO on file system errors. */
int bundle_copy_app(const char *app_dir, const char *dest, struct ab_err *err);

/* Where to create the staging directory (appended to `out`): $TMPDIR when
 * set; else /dev/shm when it is a writable tmpfs with more than twice
 * `need` bytes free (the tree's guessed size); else /tmp. Never fails. */
void bundle_stage_parent(uint64_t need, struct ab_buf *out);

/* Write the staged tree `stage` as the tarball `out_path` with top
 * directory `top` (see tarball_write). `format` < 0: from out_path's
 * extension (AB_E_USAGE when it names none). `c` (NULL or disabled: none)
 * keeps the compressed tar.gz segments (tarball_segcache; the bytes do not
 * depend on it) as pages of the URL "appbuild-tar-segment:<sha256 of the
 * compressor's settings and the segment>". `st` (may be NULL) gets what
 * tarball_write did. `mem[0..nmem)`: files packed from memory as if they
 * were in the stage (tarball_opts.mem). `sha` (NULL: not wanted) gets the
 * file's hex sha256 (for tar.gz computed as it is written). */
struct cache;
int bundle_pack(const char *stage, const char *out_path, const char *top, int format,
		int64_t mtime, const struct cache *c, struct tarball_stats *st,
		const struct tarball_memfile *mem, size_t nmem, char sha[65],
		struct ab_err *err);

#endif
