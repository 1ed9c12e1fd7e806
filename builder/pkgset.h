/* pkgset.h - the OS packages of an app, format-neutral (issue #9): what
 * `appbuild deb` and `appbuild rpm` build, before either format is written.
 *
 * From a resolved plan (builder/plan.h: the lock and the index to fetch
 * from), the app and the target interpreter, pkgset_build() prepares one
 * staging tree per package under `stage` and describes each package: its
 * name, version (PEP 440, mapped per family with formats/osver.h), summary,
 * and dependencies as a format-neutral list. The back ends
 * (builder/pkg_deb.h, builder/pkg_rpm.h) turn one struct pkgset_pkg into
 * one .deb or .rpm; nothing here knows either format's syntax.
 *
 * The set (the default), for an app NAME with prefix P (--prefix, default
 * /opt/NAME) and name prefix N (--name-prefix, default NAME-python3):
 *
 *   PKGSET_ENV    N                   P/pyvenv.cfg and P/bin/python,
 *                                     python3, python3.X -> the target
 *                                     interpreter (a venv without pip):
 *                                     what every script's "#!P/bin/python"
 *                                     needs. Version "3.X" (the Python
 *                                     version), so apps sharing N share it.
 *   PKGSET_DIST   N-<canonical name>  one per pinned distribution: its wheel
 *                                     installed for its final place,
 *                                     P/lib/python3.X/site-packages/...,
 *                                     scripts in P/bin/ starting with
 *                                     "#!P/bin/python" (DEB) or the /bin/sh
 *                                     trampoline of install.h (RPM:
 *                                     rpmlint refuses interpreters outside
 *                                     /usr, /bin, /sbin). Version: the pin.
 *   PKGSET_APP    NAME                the app: P/app/ (the app directory as
 *                                     bundle_copy_app copies it, but
 *                                     bin/wsgiapp 0644 with its "#!" line
 *                                     made a comment: it is imported, and
 *                                     rpmlint refuses "#!/usr/bin/env"),
 *                                     P/bin/launch,
 *                                     P/etc/supervisor.yaml, P/lib/wsgiapp.py,
 *                                     P/lib/appbuild_wsgiref.py, P/appbuild.json,
 *                                     P/sbom.cdx.json, and one systemd unit per
 *                                     process group plus NAME.target in
 *                                     `unit_dir` (below). Version: the app's.
 *
 * --single (PKGSET_SINGLE): one package NAME holding all of the above.
 *
 * Dependencies (struct pkgset_dep, in this order):
 *   ENV     PYTHON
 *   DIST    SET ENV (exact), PYTHON, SET for every pin the lock says this
 *           distribution pulls in (its `via`), exact; LIBC when it holds ELF
 *   APP     SET ENV, SET every DIST (exact), PYTHON, EXTERNAL for each
 *           entry of external-dependencies.txt whose marker holds; LIBC
 *           when it ships the supervisor
 *   SINGLE  PYTHON, EXTERNAL, LIBC when it holds ELF
 * "Exact" is the depended-on package's full version (`= E:V-R`).
 *
 * No build path lands in any tree: scripts name P, .pyc files (when
 * compiled) record paths relative to P, RECORD lists installed paths. Every
 * file time is `mtime`; owners are left to the back ends (root:root).
 *
 * Thread safety: pkgset_build() uses threads of its own; a built set is
 * read-only, so back ends may build packages of one set concurrently
 * (pkg_deb may; pkg_rpm, on librpm's global state, runs one process per
 * package). */
#ifndef AB_PKGSET_H
#define AB_PKGSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/app.h"
#include "builder/interp.h"
#include "builder/plan.h"
#include "formats/core/arena.h"
#include "formats/core/err.h"
#include "formats/core/out.h"
#include "formats/osver.h"

enum pkgset_kind {
	PKGSET_ENV,
	PKGSET_DIST,
	PKGSET_APP,
	PKGSET_SINGLE,
};

enum pkgset_dep_kind {
	/* Another package of the set, pinned exactly to its full version
	 * (pkgs[pkg].ver.evr): Debian `NAME (= EVR)`, RPM `NAME = EVR`. */
	PKGSET_DEP_SET,
	/* The target's Python ABI X.Y (set->py_major/py_minor): Debian
	 * `python3 (>= X.Y~), python3 (<< X.Y+1)`, RPM `python(abi) = X.Y`. */
	PKGSET_DEP_PYTHON,
	/* An OS package named by external-dependencies.txt, mapped to the
	 * family's package name (formats/extmap.h), with version clauses. */
	PKGSET_DEP_EXTERNAL,
	/* The C library, for packages holding ELF files: clauses[0] is
	 * `>= VERSION`, the glibc version the wheels' tags promise
	 * (manylinux_2_17 -> 2.17, manylinux2014 -> 2.17, manylinux2010 ->
	 * 2.12, manylinux1 -> 2.5; a `linux_*` wheel or the shipped
	 * supervisor: the target's own glibc). Debian `libc6 (>= V)`, RPM
	 * `glibc >= V`. Not added for musl targets. */
	PKGSET_DEP_LIBC,
};

/* A version clause of an EXTERNAL dependency, as formats/extmap.h maps it
 * (extmap_map_entry: `~=V` expanded, `!=` refused): the version is OS
 * text from external-dependencies.txt (never PEP 440-mapped). Same values
 * as enum extmap_op; back ends format it with extmap_format_clause(). */
enum pkgset_op { PKGSET_LT, PKGSET_LE, PKGSET_EQ, PKGSET_GE, PKGSET_GT };

struct pkgset_clause {
	enum pkgset_op op;
	const char *version;
};

struct pkgset_dep {
	enum pkgset_dep_kind kind;
	/* SET: the package's name; EXTERNAL: the OS package name (mapped);
	 * PYTHON: NULL. */
	const char *name;
	size_t pkg; /* SET: index into set->pkgs */
	const struct pkgset_clause *clauses; /* EXTERNAL (may be 0), LIBC (1) */
	size_t nclauses;
	/* EXTERNAL: the external-dependencies.txt name it was mapped from. */
	const char *ext_name;
};

struct pkgset_pkg {
	enum pkgset_kind kind;
	const char *name;      /* the OS package name: [a-z0-9][a-z0-9+.-]+ */
	const char *project;   /* DIST: canonical PEP 503 name; APP/SINGLE: the app name;
				  ENV: "python" */
	const char *pyversion; /* PEP 440, normalized (DIST: the pin; APP/SINGLE: the app's
				  version; ENV: "X.Y") */
	struct osver ver;      /* pyversion mapped for set->family, package release "1" */
	const char *summary;   /* one line, never NULL (METADATA Summary, appbuild.yaml) */
	const char *description; /* never NULL; may span lines (plain text, no markup) */
	const char *license;     /* NULL: unknown */
	const char *author;      /* METADATA Author (else Author-email); NULL: unknown */
	const char *url;         /* NULL: unknown */
	const char *maintainer;  /* never NULL: appbuild.yaml package.maintainer, else
				    "appbuild <appbuild@localhost>" */
	/* No ELF file in the tree: Debian Architecture `all`, RPM BuildArch
	 * `noarch`; else the target machine (set->machine). */
	bool arch_independent;
	/* The staging tree: its contents become `/` (root/opt/NAME/...). */
	const char *root;
	uint64_t size;  /* bytes of the regular files in root */
	size_t nfiles;  /* regular files and symlinks in root */
	struct pkgset_dep *deps;
	size_t ndeps;
	/* Absolute paths of configuration files (none yet; for conffiles /
	 * %config(noreplace)). */
	const char *const *config;
	size_t nconfig;
	/* The tree has systemd units: the back end adds scriptlets that run
	 * `systemctl daemon-reload` after install and removal when systemd is
	 * running (`[ -d /run/systemd/system ]`), and nothing else. */
	bool has_units;
	/* NULL, or a /bin/sh fragment to run before removal and upgrade
	 * (Debian prerm, RPM %preun): it deletes the byte-code Python writes at
	 * run time next to this package's modules (PREFIX/.../__pycache__/
	 * MODULE.*.pyc, then the __pycache__ directory when empty), so that
	 * purging leaves nothing behind (what py3clean does for dh_python3).
	 * Packages ship no .pyc (lintian: package-installs-python-bytecode). */
	const char *pyclean;
	/* Thread-safe scratch for a back end (e.g. the written file's path);
	 * pkgset never touches it. Added for pkg_rpm/pkg_deb. */
	void *backend;
	/* The system user the app's processes run as, with a group of the
	 * same name (the units' User= and Group=), created when missing (RPM
	 * %pre: groupadd -r / useradd -r, home the prefix, shell /sbin/nologin;
	 * Debian postinst: adduser --system --group, home /nonexistent); never
	 * removed, as Fedora's and Debian's guidelines say. APP/SINGLE only,
	 * from appbuild.yaml's package.user; NULL: none (units run as root,
	 * no scriptlet). [a-z_][a-z0-9_-]{0,31}. */
	const char *user;
};

struct pkgset_opts {
	const struct app *app;
	struct plan *plan;          /* resolved: plan_resolve() succeeded */
	const struct interp *py;    /* the target interpreter */
	enum osver_family family;   /* whose version mapping (and extmap column) */
	/* --target FAMILY: "debian", "ubuntu", "fedora", "rhel", ...; NULL:
	 * "debian" for OSVER_DEB, "fedora" for OSVER_RPM. Picks extmap's
	 * column where names differ. */
	const char *target;
	const char *name_prefix;    /* NULL: "<app>-python3" */
	const char *prefix;         /* absolute, [A-Za-z0-9_@/.+-]; NULL: "/opt/<app>" */
	bool single;                /* --single */
	/* Where systemd units go: NULL: "/lib/systemd/system" for OSVER_DEB
	 * (Debian 12 keeps units there), "/usr/lib/systemd/system" for RPM. */
	const char *unit_dir;
	const char *stage;          /* an existing empty scratch directory */
	int64_t mtime;              /* SOURCE_DATE_EPOCH (bundle_source_time) */
	const char *commit;         /* source commit (hex) or NULL: for appbuild.json */
	bool compile;               /* byte-compile each distribution (unchecked-hash .pyc) */
	/* The built-in supervisor binary to ship as PREFIX/bin/appbuild-supervisor
	 * in the app package (bin/launch run/start use it); NULL: not shipped. */
	const char *supervisor;
	unsigned jobs;              /* threads (0: online CPUs, at most 8) */
	struct ab_out *out;         /* warnings (unscanned libraries, unorderable versions) */
};

struct pkgset {
	enum osver_family family;
	const char *target;      /* as opts, defaulted */
	const char *name_prefix; /* as opts, defaulted */
	const char *prefix;      /* as opts, defaulted, no trailing '/' */
	const char *unit_dir;
	unsigned py_major, py_minor;
	const char *machine;     /* the interpreter's platform.machine(): "x86_64" */
	int64_t mtime;
	/* Set: ENV first, the DISTs sorted by name, APP last. Single: one. */
	struct pkgset_pkg *pkgs;
	size_t n;
	struct ab_arena arena;   /* every string above and in pkgs */
};

#define PKGSET_INIT { 0 }

/* Fetch every pinned wheel (hash-checked against the lock), install each
 * into its own tree under o->stage (created as o->stage/<package name>/),
 * write the app's tree, and describe every package into *s. Nothing is
 * written outside o->stage.
 *
 * Errors (nothing is usable in *s, release it anyway):
 *   AB_E_UNSUPPORTED  a pin without a wheel for the target; a version that
 *                     cannot be mapped (osver_map with OSVER_STRICT: a local
 *                     label that no OS version can order, an epoch too
 *                     large); an external-dependency clause with `!=`
 *   AB_E_INVALID      an external dependency with no mapping for the target
 *                     family (the message says how to map it in
 *                     appbuild.yaml); a bad prefix or name prefix (not a
 *                     valid package name once combined)
 *   AB_E_USAGE        an unknown --target family
 *   and the errors of index_fetch_file, install_wheel, install_compile,
 *   svcrender_write (AB_E_NETWORK, AB_E_HASH, AB_E_PARSE, AB_E_IO, ...). */
int pkgset_build(struct pkgset *s, const struct pkgset_opts *o, struct ab_err *err);

/* Frees the description (not the staging trees: the caller removes
 * o->stage). */
void pkgset_release(struct pkgset *s);

/* The OS package name for a distribution: "<name_prefix>-<canonical>",
 * lowercase (PEP 503 names are already [a-z0-9-]). Appends to out. */
void pkgset_dist_name(const char *name_prefix, const char *canonical, struct ab_buf *out);

/* "debian", "fedora", ... */
const char *pkgset_kind_name(enum pkgset_kind k);

#endif
