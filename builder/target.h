/* target.h - the environment a resolution is for: a Python version and
 * implementation on a platform. It yields the two things the resolver and
 * the index provider need: the PEP 508 marker environment
 * (marker_env_from_target) and the ordered list of supported wheel tags
 * (formats/tags.h).
 *
 * Default: the host's `python3`, asked once (version, implementation,
 * sys.platform, machine, libc from platform.libc_ver()). pip's
 * `--python-version X.Y[.Z]` replaces the version (X.Y means X.Y.0 for
 * markers and Requires-Python) and `--platform TAG` (repeatable, best
 * first) replaces the platform tags; with --platform the marker variables
 * sys_platform / platform_machine / platform_system follow the first tag
 * (manylinux_*, musllinux_*, linux_* -> linux; macosx_* -> darwin; win32,
 * win_amd64, win_arm64 -> win32). The host is asked only for what the
 * options leave open. */
#ifndef AB_TARGET_H
#define AB_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/marker.h"
#include "formats/pep440.h"
#include "formats/tags.h"

/* What the user asked for; every field may be NULL / 0. Borrowed. */
struct target_spec {
	const char *python_version; /* --python-version: "3.12" or "3.12.1" */
	const char *const *platforms; /* --platform TAGs, best first */
	size_t nplatforms;
	const char *python; /* host interpreter to ask; NULL: "python3" */
	/* The host description to use instead of running `python` (tests, a
	 * cached answer): the line the query prints, see target_host_line(). */
	const char *host_line;
};

struct target {
	char *python_full_version; /* "3.11.7" */
	unsigned py_major, py_minor;
	char *implementation; /* "cpython" */
	char *sys_platform;   /* "linux" */
	char *machine;	      /* "x86_64" */
	char *libc;	      /* "glibc", "musl" or "" */
	unsigned libc_major, libc_minor;
	char **platforms; /* the explicit --platform list (lowercased), or NULL */
	size_t nplatforms;
	struct pep440_version *python; /* python_full_version parsed */
	struct marker_env env;	       /* strings in env_storage */
	struct ab_buf env_storage;
	struct tags_supported tags;
	/* One line naming the target, for lock headers:
	 * "cpython 3.11.7, linux x86_64, glibc 2.36" or
	 * "cpython 3.12.0, platforms manylinux_2_17_x86_64 linux_x86_64". */
	char *description;
};

/* The Python statement the host query runs; it prints one line:
 * "<python_version> <implementation> <sys.platform> <machine> <libc> <libc version>"
 * (libc "-" and version "0" when unknown). */
extern const char target_host_query[];

/* The host interpreter's answer to target_host_query (one line, appended
 * to `line`), remembered in the cache `c` (may be NULL: always ask):
 * starting an interpreter costs 20 ms to seconds (pyenv shims), more than
 * a whole resolution. The entry is keyed by what decides which interpreter
 * `python` is and what it is: `python`, PATH, PYENV_VERSION, the resolved
 * executable's path, size and mtime, the mtime of pyenv's global version
 * file and of the nearest .python-version above the working directory.
 * AB_E_IO when the interpreter cannot be run. */
struct cache;
/* Append to `key` what decides which interpreter `python` is (the list
 * above: PATH, PYENV_VERSION, the resolved executable's real path, size and
 * mtime, pyenv's version files): the cache key of an answer that depends
 * only on the interpreter (builder/interp.c keys its query with it too). */
void target_python_key(const char *python, struct ab_buf *key);
int target_host_line(const struct cache *c, const char *python, struct ab_buf *line,
		     struct ab_err *err);

/* Build the target for `spec`. Returns 0, or AB_E_USAGE (a malformed
 * --python-version or --platform, an implementation other than CPython or
 * PyPy), AB_E_IO (the host interpreter cannot be run or answers nonsense).
 * Release with target_release() in every case. */
int target_init(struct target *t, const struct target_spec *spec, struct ab_err *err);
void target_release(struct target *t);

#endif
