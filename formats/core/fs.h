/* fs.h - the few file-system helpers every writer needs: an I/O error in
 * the project's words, mkdir -p, whole-file write and read.
 *
 * Errors are AB_E_IO, "cannot WHAT 'PATH': strerror(errno)". */
#ifndef AB_FS_H
#define AB_FS_H

#include <stddef.h>
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

#endif
