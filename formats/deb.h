/* deb.h - Debian binary packages (.deb), written directly with libarchive.
 *
 * The layout is dpkg-deb's (deb(5)): a BSD-format ar archive holding
 * `debian-binary` ("2.0\n"), `control.tar.{zst,xz,gz}` (./control,
 * ./md5sums, ./conffiles, maintainer scripts) and `data.tar.{zst,xz,gz}`
 * (the file tree, GNU tar format). Reproducible: entries sorted by byte
 * order, owners root:root (0:0), every timestamp `mtime` (the caller passes
 * SOURCE_DATE_EPOCH), permissions normalized (directories and executables
 * 0755, other files 0644, symlinks kept), no host or build-path data; the
 * same tree and spec give the same bytes anywhere. The package is written
 * atomically: a temporary file next to `out_path`, renamed over it. */
#ifndef AB_DEB_H
#define AB_DEB_H

#include <stddef.h>
#include <stdint.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"

enum deb_compress {
	DEB_ZSTD = 0, /* default: fast; dpkg >= 1.21.18 (Debian 12) reads it */
	DEB_XZ,
	DEB_GZIP,
};

/* An extra control field ("Built-Using", "X-Appbuild-App", ...). */
struct deb_field {
	const char *name, *value;
};

/* The binary control file (deb-control(5)). NULL fields are omitted;
 * package, version, architecture, maintainer and description are
 * required. Fields are single lines, except `description`: its first line
 * is the synopsis, the following lines the extended description (rendered
 * as continuation lines, an empty line as " ."). */
struct deb_control {
	const char *package;      /* [a-z0-9][a-z0-9+.-]+ */
	const char *version;      /* e.g. from osver_map(): [epoch:]upstream[-revision] */
	const char *architecture; /* amd64, all, ... */
	const char *maintainer;
	const char *pre_depends, *depends, *recommends, *suggests, *breaks, *conflicts,
		*provides, *replaces;
	const char *section, *priority, *homepage;
	const char *description;
	const struct deb_field *extra; /* rendered after Homepage, before Description */
	size_t nextra;
};

struct deb_spec {
	struct deb_control control;
	const char *root; /* the data tree: its contents become /, e.g. root/opt/app/... */
	/* Absolute paths of conffiles ("/etc/app/app.conf"); each must be a
	 * regular file in the tree. They are left out of md5sums (as
	 * dh_md5sums does: dpkg tracks conffile hashes itself). */
	const char *const *conffiles;
	size_t nconffiles;
	/* Maintainer scripts (text starting with "#!"), NULL for none. */
	const char *preinst, *postinst, *prerm, *postrm;
	enum deb_compress compress;
	int level;      /* compression level, 0: default (zstd 3, xz 6, gzip 9) */
	int64_t mtime;  /* every timestamp (SOURCE_DATE_EPOCH), >= 0 */
};

/* Render the control file for `c` with the given Installed-Size (KiB) into
 * `out` (appended). Fails with AB_E_INVALID (nothing appended) on a missing
 * required field, a bad package name, or a newline in a one-line field;
 * the message names the field. */
int deb_control_render(const struct deb_control *c, uint64_t installed_size_kib,
		       struct ab_buf *out, struct ab_err *err);

/* Build the package for `spec` and write it to `out_path` (created or
 * replaced atomically; its directory must exist). Installed-Size is
 * computed from the tree as dpkg-gencontrol does (KiB per file, rounded
 * up, 1 per directory or symlink). Returns 0, or a negative code with `err`
 * set and nothing left at `out_path` (nor a temporary file): AB_E_INVALID
 * for a bad control field, script or conffile, AB_E_UNSUPPORTED for a file
 * type a package cannot hold (device, fifo, socket), AB_E_IO for file
 * system errors (err->file names the path), AB_E_BUILD for libarchive
 * failures. */
int deb_write(const struct deb_spec *spec, const char *out_path, struct ab_err *err);

/* The member name suffix for a compressor: ".zst", ".xz", ".gz". */
const char *deb_compress_ext(enum deb_compress c);

#endif
