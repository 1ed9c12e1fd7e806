/* rpmbuild.h - binary RPMs built in-process with librpmbuild.
 *
 * A spec is rendered from the package description (rpmbuild_render_spec),
 * parsed with rpmSpecParse() and built with rpmSpecBuild() from a buildroot
 * the caller has prepared: no %prep/%build, an empty %install that keeps
 * the buildroot (the install stage must run: packaging alone stamps
 * rpmlib(ShortCircuited) and the RPM will not install, issue #9), no
 * brp-* post-processing, no automatic dependencies, no debuginfo.
 *
 * Reproducible: SOURCE_DATE_EPOCH (`mtime`) is the build time and clamps
 * every file time, the build host is fixed, owners are root:root; two builds
 * of the same tree in different places and at different times give the same
 * bytes.
 *
 * Process-wide state: librpm keeps global macro and log state and this
 * module sets SOURCE_DATE_EPOCH in the environment while it builds, so
 * calls must not run concurrently in one process (build packages in
 * parallel with one process each). */
#ifndef AB_RPMBUILD_H
#define AB_RPMBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"

struct rpmbuild_pkg {
	const char *name;
	const char *epoch; /* NULL or "": none */
	const char *version, *release; /* e.g. from osver_map() */
	const char *summary, *license, *url; /* url may be NULL */
	const char *description;             /* free text, may span lines */
	const char *arch;                    /* "noarch", "x86_64", ... */
	const char *const *requires;         /* "python(abi) = 3.11", "app-python3-flask = 3.0-1" */
	size_t nrequires;
	const char *const *provides;
	size_t nprovides;
	const char *const *config; /* absolute paths: %config(noreplace) */
	size_t nconfig;
	const char *pre, *post, *preun, *postun; /* scriptlet bodies (/bin/sh), NULL: none */
	const char *buildroot;                   /* the prepared tree */
	int64_t mtime;                           /* SOURCE_DATE_EPOCH */
	/* Added for pkg_rpm (rpmlint: no-packager-tag, no-group-tag,
	 * no-changelogname-tag); NULL: the tag or section is left out. */
	const char *packager; /* "Name <mail>" */
	const char *group;
	/* One %changelog entry dated `mtime` by `packager` for
	 * [E:]VERSION-RELEASE: its text, one "- " line per line. */
	const char *changelog;
};

/* Appends the spec for `p` to `out`: the file list is the buildroot's
 * files and symlinks, plus its directories that are not standard system
 * directories (/usr, /opt, /etc, ...). Fails with AB_E_INVALID on a
 * missing field or a value with a newline, AB_E_UNSUPPORTED on a path rpm
 * cannot list literally (glob characters, quotes, newlines), AB_E_IO when
 * the tree cannot be read. */
int rpmbuild_render_spec(const struct rpmbuild_pkg *p, struct ab_buf *out, struct ab_err *err);

/* Builds the package into `outdir` (NAME-[VERSION]-RELEASE.ARCH.rpm,
 * written under a temporary name and renamed). `workdir` is scratch space
 * (spec, build directory), created if missing, left for the caller to
 * remove. On success sets *path (caller frees) and returns 0; otherwise
 * AB_E_BUILD with rpm's error messages, or the errors of
 * rpmbuild_render_spec, and nothing is left in `outdir`. */
int rpmbuild_build(const struct rpmbuild_pkg *p, const char *workdir, const char *outdir,
		   char **path, struct ab_err *err);

#endif
