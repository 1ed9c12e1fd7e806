/* install.h - PEP 427 wheel installation into a virtual environment.
 *
 * The environment is laid out for the target interpreter (struct interp):
 * ROOT/pyvenv.cfg, ROOT/bin/python{,3,3.X} -> the interpreter,
 * ROOT/lib/python3.X/site-packages, ROOT/lib64 -> lib, ROOT/include, as
 * `python3 -m venv --without-pip` makes it, minus the `command` line of
 * pyvenv.cfg (it names the build path).
 *
 * A wheel (read with libarchive, straight from a cache file) is checked
 * before anything lands in ROOT: one top-level *.dist-info directory whose
 * name matches the file name's project; WHEEL (Wheel-Version 1.x);
 * RECORD covering every file (sha256/sha384/sha512, size) except RECORD
 * itself and its signatures, and every RECORD path present; no entry that
 * is absolute, holds a ".." (or empty or ".") component, is a link, or is
 * larger than declared. Files are unpacked into a staging directory inside
 * ROOT, hashed as they are written, and only then renamed into place; on
 * any error nothing of the wheel is left behind.
 *
 * Installed like pip 23: the root goes to purelib or platlib
 * (Root-Is-Purelib), `<name>.data/{purelib,platlib,scripts,headers,data}`
 * to the scheme's directories (headers under include/site/python3.X/<name>),
 * scripts made executable and a "#!python" first line replaced; console and
 * GUI entry points (entry_points.txt) become scripts (pip's template);
 * INSTALLER ("appbuild"), REQUESTED and direct_url.json (PEP 610) are added
 * and RECORD is rewritten with the installed paths relative to the
 * directory holding .dist-info, sorted, with the sha256 of every file
 * (generated ones included). Signatures (RECORD.jws, RECORD.p7s) are not
 * installed: they sign the RECORD that is replaced.
 *
 * Scripts start with a /bin/sh trampoline that runs the `python` next to
 * the script's resolved location, so the environment can be moved:
 *   #!/bin/sh
 *   '''exec' "$(dirname -- "$(readlink -f -- "$0")")/python" "$0" "$@"
 *   ' '''
 * (sh runs the exec; Python sees a string literal.) */
#ifndef AB_INSTALL_H
#define AB_INSTALL_H

#include <stdbool.h>
#include <stddef.h>

#include "builder/interp.h"
#include "formats/core/err.h"
#include "formats/core/out.h"

/* PEP 610 origin of a distribution installed from a URL. */
struct install_direct_url {
	const char *url;                /* required */
	const char *vcs;                /* "git", ...: a VCS install (vcs_info); NULL: not */
	const char *commit_id;          /* with vcs */
	const char *requested_revision; /* with vcs; NULL: none */
	const char *archive_sha256;     /* an archive's hex sha256 (archive_info.hashes) */
	bool dir;                       /* a local directory (dir_info) */
	bool editable;                  /* dir_info.editable */
	const char *subdirectory;       /* the project's directory inside url; NULL: none */
};

struct install_wheel {
	const char *path;     /* the wheel file (a cache entry: any name) */
	const char *filename; /* its wheel file name; NULL: the base name of path */
	bool requested;       /* a direct requirement of the app: REQUESTED is written */
	const struct install_direct_url *direct_url; /* NULL: none */
};

struct install_opts {
	const struct interp *py; /* the target interpreter (layout, home) */
	const char *root;        /* the environment's root */
	unsigned jobs;           /* install_wheels: worker threads (0: online CPUs, at most 8) */
	struct ab_out *out;      /* warnings (NULL: dropped) */
	/* Scripts start with "#!<script_python>\n" instead of the trampoline:
	 * the interpreter's final absolute path, for a tree that will not move
	 * (OS packages). NULL: the trampoline. */
	const char *script_python;
};

/* The shell trampoline that starts every script (see above). */
extern const char install_trampoline[];

/* Create (or complete) the environment's skeleton at opts->root: the
 * directories, pyvenv.cfg (home, include-system-site-packages = false,
 * version, executable) and the bin/python symlinks. AB_E_IO on failure. */
int install_env_create(const struct install_opts *opts, struct ab_err *err);

/* Install one wheel (see above). Errors name the wheel (err->file is its
 * file name): AB_E_PARSE for a malformed WHEEL/RECORD/entry_points.txt or
 * zip, AB_E_INVALID for a wheel that breaks the rules (escaping paths,
 * links, files missing from RECORD or from the wheel, unknown .data
 * scheme, wrong .dist-info), AB_E_HASH for a hash or size that differs from
 * RECORD, AB_E_UNSUPPORTED for Wheel-Version 2+ or a weak hash (md5,
 * sha1), AB_E_IO for file system errors. On error nothing is left in root. */
int install_wheel(const struct install_opts *opts, const struct install_wheel *w,
		  struct ab_err *err);

/* Install n wheels with opts->jobs threads. The first failure (by index,
 * so the report does not depend on timing) is returned; the wheels that
 * succeeded stay installed, the failed ones leave nothing, and the others
 * may or may not have been installed. */
int install_wheels(const struct install_opts *opts, const struct install_wheel *w, size_t n,
		   struct ab_err *err);

/* Byte-compile purelib (and platlib when it differs) with the target
 * interpreter: `python -s -m compileall -q -j0 --invalidation-mode
 * unchecked-hash -d <dir relative to root> <dir>`, run in root with
 * PYTHONHASHSEED=0, so no build path and no timestamp lands in the .pyc
 * files and they are the same on every build. Files that do not compile
 * are left without .pyc (as pip; a warning says so). AB_E_IO when it cannot run, AB_E_BUILD
 * when compileall itself fails. */
int install_compile(const struct install_opts *opts, struct ab_err *err);

/* install_wheels(), then byte-compile what was installed as
 * install_compile() would (the same .pyc bytes: co_filename relative to
 * root, unchecked-hash, PYTHONHASHSEED=0), wheel by wheel: the .pyc files
 * of wheel i are kept in the cache `c` as one page keyed by sha256[i] (its
 * file's hex digest), the interpreter (implementation, version, cache tag,
 * magic number) and the layout (purelib, platlib). A wheel found there gets
 * its .pyc files written by the installing thread, without starting
 * Python; the rest are compiled in one interpreter run (worker processes as
 * compileall -j0) and then stored. c NULL or disabled, sha256 NULL or
 * sha256[i] NULL: compiled, not kept. Errors as install_wheels() and
 * install_compile(); a cache entry that is not what it should be is
 * ignored (the wheel is compiled). */
struct cache;
int install_wheels_compile(const struct install_opts *opts, const struct install_wheel *w,
			   const char *const *sha256, size_t n, const struct cache *c,
			   struct ab_err *err);

/* A file install_wheels_mem() kept instead of writing it. */
struct install_memfile {
	char *path; /* relative to the environment's root (owned) */
	char *data; /* `size` bytes: owned when `owned`, else inside one of the maps */
	size_t size;
	bool exec;
	bool owned;
};

struct install_mem {
	struct install_memfile *files;
	size_t n, cap;
	struct install_memmap {
		void *addr; /* mmap()ed: munmap()ed by install_mem_release */
		size_t len;
	} *maps; /* what files that are not `owned` point into (cache pages) */
	size_t nmaps, mcap;
};

#define INSTALL_MEM_INIT { NULL, 0, 0, NULL, 0, 0 }

/* Frees everything; `m` is INSTALL_MEM_INIT afterwards. */
void install_mem_release(struct install_mem *m);

/* install_wheels_compile(), but the files of the wheels whose .pyc files
 * the cache holds are not written to root: they are appended to `mem`
 * (wheel by wheel in order; a wheel's files in the order made, its .pyc
 * files last), so a caller that only packs them (appbuild bundle) saves
 * writing, reading back and deleting them. Not kept, but written as
 * install_wheels_compile() does: ELF files (elfscan reads them from the
 * tree), wheels of more than 64 MiB, and the wheels compiled now. Checks,
 * errors and bytes are those of install_wheels_compile(); on failure `mem`
 * may hold files (release it either way). */
int install_wheels_mem(const struct install_opts *opts, const struct install_wheel *w,
		       const char *const *sha256, size_t n, const struct cache *c,
		       struct install_mem *mem, struct ab_err *err);

#endif
