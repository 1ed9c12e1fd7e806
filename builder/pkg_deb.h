/* pkg_deb.h - the packages of a pkgset (builder/pkgset.h) as .deb files
 * (formats/deb.h), and a flat apt repository of them.
 *
 * Per package, besides the set's tree:
 *   control    Package, Version ([E:]V-R from osver), Architecture (`all`
 *              when arch_independent, else the Debian name of the machine),
 *              Maintainer, Installed-Size, Depends (below), Section
 *              (`python` for the environment and distributions, `misc`
 *              for the app), Priority optional, Homepage, Description
 *   Depends    SET `NAME (= EVR)`; PYTHON `python3 (>= 3.X~), python3 (<< 3.X+1)`;
 *              EXTERNAL per clause as extmap_format_clause() writes it, or
 *              `NAME` without clauses
 *   files      usr/share/doc/NAME/copyright and changelog.Debian.gz (gzip -9n,
 *              one entry dated mtime), usr/share/lintian/overrides/NAME
 *              (dir-or-file-in-opt: the place is the point, issue #9)
 *   scripts    prerm: the set's pyclean fragment; postinst/postrm:
 *              `systemctl daemon-reload` when the package has units and
 *              systemd runs. Nothing else (no byte-compiling, no network).
 *
 * Compressor: gzip for every package, level 9 (dpkg-deb's default, and
 * the .deb then equals `dpkg-deb --build -Zgzip`'s byte for byte) when its
 * files total less than PKG_DEB_GZIP_MAX bytes, level 6 above (about 3x
 * faster than 9 on large trees for ~1% more bytes). Not zstd, although it
 * is 5-10x faster: lintian 2.116 (Debian 12) reports zstd members as
 * malformed-deb-archive (an error) and dpkg before 1.21.18 cannot read
 * them; not xz: 20-50x slower than gzip -6 (issue #9: dh_builddeb's xz is
 * 8.8 of dh-virtualenv's 22.9 s).
 *
 * File names: NAME_V-R_ARCH.deb (the epoch is left out, as dpkg-name
 * does). */
#ifndef AB_PKG_DEB_H
#define AB_PKG_DEB_H

#include <stddef.h>

#include "builder/pkgset.h"
#include "formats/core/err.h"
#include "formats/deb.h"

#define PKG_DEB_GZIP_MAX ((uint64_t)1 << 20)

/* The Debian architecture of a machine ("x86_64" -> "amd64"); NULL when
 * unknown. */
const char *pkg_deb_arch(const char *machine);

/* The compressor and level pkg_deb_write uses for a package whose files
 * total `size` bytes. */
enum deb_compress pkg_deb_compressor(uint64_t size, int *level);

/* Add the Debian files (copyright, changelog, lintian overrides) to
 * pk->root and write pkgs[i] as OUTDIR/NAME_V-R_ARCH.deb (atomically:
 * deb_write). *path (malloc'd, caller frees) is the file written.
 * Errors: AB_E_UNSUPPORTED for an unknown machine, deb_write's. */
int pkg_deb_write(const struct pkgset *s, size_t i, const char *outdir, char **path,
		  struct ab_err *err);

/* Every package of the set with `jobs` threads (0: online CPUs, at most 8);
 * paths[i] (caller frees each and the array) is package i's file. On
 * failure the first error by index is returned and the packages already
 * written are removed, so nothing is left in outdir. */
int pkg_deb_write_all(const struct pkgset *s, const char *outdir, unsigned jobs, char ***paths,
		      struct ab_err *err);

/* A flat apt repository in `dir` (`deb [trusted=yes] file:DIR ./`): the
 * files `debs` are hard-linked (else copied) into it, then Packages,
 * Packages.gz and Release are regenerated over every .deb in it with
 * apt-ftparchive (Debian package apt-utils) and renamed into place.
 * AB_E_IO when it cannot be written, AB_E_BUILD when apt-ftparchive
 * fails or is missing. */
int pkg_deb_repo(const char *dir, char *const *debs, size_t ndebs, struct ab_err *err);

#endif
