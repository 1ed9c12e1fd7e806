/* fs.h - the few file-system helpers every writer needs: an I/O error in
 * the project's words, mkdir -p, whole-file write and read, a sorted walk
 * of a directory tree.
 *
 * Errors are AB_E_IO, "cannot WHAT 'PATH': strerror(errno)". */
#ifndef AB_FS_H
#define AB_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"

/* Sets AB_E_IO "cannot WHAT 'PATH': <errno text>" (errno as on entry) and
 * returns it. */
int ab_io_fail(struct ab_err *err, const char *path, const char *what);

/* Creates `path` and its missing parents (0755); existing ones are fine. */
int ab_mkdir_p(const char *path, struct ab_err *err);

/* Creates or truncates `path` and writes `n` bytes; the mode is set with
 * fchmod, so the umask does not change it. Not atomic: callers write into
 * staging trees or temporary names. */
int ab_write_file(const char *path, const void *data, size_t n, mode_t mode, struct ab_err *err);

/* Appends the whole file to `out`. */
int ab_read_file(const char *path, struct ab_buf *out, struct ab_err *err);

/* ---- walking a tree ---- */

/* One thing ab_walk() found. Every pointer is valid during the call only. */
struct ab_walk_entry {
	const char *path;      /* ROOT/REL: open, stat or remove it through this */
	const char *rel;       /* below the root, with its leading '/': "/usr/bin/x" */
	const char *name;      /* the last component: a suffix of path */
	const struct stat *st; /* lstat(2) of path, taken before the first call */
	bool post;             /* AB_WALK_POST's second call: the contents are done */
};

enum ab_walk_flags {
	/* Call again for each directory after its contents (post = true),
	 * e.g. to set its time or remove it once empty. */
	AB_WALK_POST = 1 << 0,
	/* The walk's own errors also set err->file to the path (as
	 * ab_err_locate does), for writers whose I/O errors always carry
	 * their file. */
	AB_WALK_LOCATE = 1 << 1,
};

/* A callback's answer on a directory's first call: do not go into it (and
 * make no post call for it). */
#define AB_WALK_PRUNE 1

/* Calls fn(entry, ctx) for everything below `root` (not for root itself),
 * depth first, parents before their contents, and the names of each
 * directory in strcmp() order: the same tree always gives the same
 * sequence, whatever order readdir(3) returns (packages built from it stay
 * reproducible). Symbolic links are reported (lstat), never followed.
 * Trailing slashes of root are ignored. Each directory's names are read
 * and the directory closed before the walk goes on, so one descriptor is
 * open at a time and fn may create, rename or remove entries in the
 * directory it is called for (what it adds there is not visited).
 *
 * fn returns 0 to go on, AB_WALK_PRUNE (see above), or a negative -AB_E_*
 * (having set err) to stop: ab_walk() returns it. Returns 0, that, or
 * -AB_E_IO (err set): "cannot open directory 'PATH': ..." (root included),
 * "cannot read directory 'PATH': ...", "cannot stat 'PATH': ...". */
int ab_walk(const char *root, unsigned flags,
	    int (*fn)(const struct ab_walk_entry *e, void *ctx), void *ctx, struct ab_err *err);

#endif
