/* pkg_rpm.h - the packages of a pkgset (builder/pkgset.h) as binary RPMs
 * (builder/rpmbuild.h: in-process librpmbuild), and a dnf/yum repository of
 * them (createrepo_c).
 *
 * Per package (pkg_rpm_describe):
 *   Name, [Epoch,] Version, Release   the set's name and osver mapping (the
 *                      local label is in the release: 1.0+abc -> 1-1.abc)
 *   Summary            one line, at most 79 characters, no final '.'
 *                      (rpmlint: summary-too-long, summary-ended-with-dot)
 *   License, URL       from the metadata; "LicenseRef-Unknown" when none
 *                      or when it is not one line of at most 200 characters
 *   %description       the description, wrapped at 79 columns
 *   BuildArch          `noarch` when arch_independent, else set->machine
 *   Requires           SET `NAME = [E:]V-R`; PYTHON `python(abi) = X.Y`;
 *                      LIBC `glibc >= V`;
 *                      EXTERNAL per clause as extmap_format_clause() writes
 *                      it (`libxml2 >= 2.9`), or `NAME`
 *   Provides           DIST: `<name_prefix>dist(<project>) = [E:]V`, scoped
 *                      to the set: never a bare python3dist() that distro
 *                      packages would be satisfied by
 *   Packager, Group    pk->maintainer; `Applications/Internet` for the app,
 *                      `Development/Languages/Python` for the others
 *   %changelog         one entry, dated set->mtime, "Packaged by appbuild
 *                      from PROJECT VERSION"
 *   %config(noreplace) pk->config
 *   %pre               only with pk->user: the system user and its group,
 *                      created when missing (getent, groupadd -r, useradd
 *                      -r, home the prefix, /sbin/nologin), never removed;
 *                      then Requires `(shadow-utils or shadow)`
 *   %post, %postun     only when the package has systemd units:
 *                      `systemctl daemon-reload` when systemd runs
 *                      (`[ -d /run/systemd/system ]`)
 *   %preun             pk->pyclean when set (run-time byte-code removed
 *                      before erase and upgrade); nothing else, no
 *                      byte-compiling or downloading
 *
 * File names: NAME-V-R.ARCH.rpm (rpm's default, without the epoch).
 * Reproducible as rpmbuild.h says (SOURCE_DATE_EPOCH = set->mtime). */
#ifndef AB_PKG_RPM_H
#define AB_PKG_RPM_H

#include <stddef.h>
#include <stdint.h>

#include "builder/pkgset.h"
#include "builder/rpmbuild.h"
#include "formats/core/err.h"

/* What pkg_rpm_write builds for package i: every string is owned by `d`
 * (pkg_rpm_desc_release). */
struct pkg_rpm_desc {
	struct rpmbuild_pkg pkg; /* points into the fields below and the set */
	char *summary, *license, *description;
	char **requires, **provides; /* pkg.requires / pkg.provides */
	char *pre, *post, *preun, *postun;
	char *changelog;
};

/* Describe package i of `s` as an rpmbuild_pkg (see above). */
void pkg_rpm_describe(const struct pkgset *s, size_t i, struct pkg_rpm_desc *d);
void pkg_rpm_desc_release(struct pkg_rpm_desc *d);

/* Build package i into OUTDIR/NAME-V-R.ARCH.rpm in this process (scratch in
 * $TMPDIR, removed). *path (malloc'd, caller frees) is the file written.
 * librpm keeps process-wide state: never call it from two threads at
 * once. Errors: AB_E_INVALID for a bad pk->user; rpmbuild_build's. */
int pkg_rpm_write(const struct pkgset *s, size_t i, const char *outdir, char **path,
		  struct ab_err *err);

/* Every package of the set, `jobs` processes at a time (0: online CPUs, at
 * most 8): each package is built by a forked child (librpm's global state
 * stays out of this process), into a staging directory inside `outdir`;
 * when all succeeded they are renamed into `outdir`. paths[i] (caller frees
 * each and the array) is package i's file. On failure the error of the
 * lowest-numbered failing package is returned and nothing is left in
 * `outdir`. */
int pkg_rpm_write_all(const struct pkgset *s, const char *outdir, unsigned jobs, char ***paths,
		      struct ab_err *err);

/* A dnf/yum repository in `dir` (`baseurl=file://DIR`): the files `rpms` are
 * hard-linked (else copied) into it, every RPM in it gets the time `mtime`,
 * and `createrepo_c --no-database --revision MTIME
 * --set-timestamp-to-revision` (re)writes repodata/. AB_E_IO when it cannot
 * be written, AB_E_BUILD when createrepo_c fails or is missing (its output
 * is in the message). */
int pkg_rpm_repo(const char *dir, char *const *rpms, size_t nrpms, int64_t mtime,
		 struct ab_err *err);

#endif
