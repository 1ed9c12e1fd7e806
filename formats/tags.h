/* tags.h - PEP 425 wheel compatibility tags, exactly as pypa/packaging 26.x.
 *
 * Three parts:
 *   - tags_parse(): packaging.tags.parse_tag(), a (compressed) tag string such
 *     as `py2.py3-none-any` expanded to the set of its tags (lowercased, as
 *     packaging's Tag does, duplicates removed);
 *   - a target interpreter (struct tags_target) -> the ordered list of the tags
 *     it supports, as packaging.tags.sys_tags() yields them on that interpreter
 *     (cpython_tags + compatible_tags, or generic_tags for PyPy), with the
 *     platform lists of packaging (manylinux/musllinux/linux, mac_platforms,
 *     win32/win_amd64/win_arm64) or an explicit platform list;
 *   - tags_supported_rank(): the best (lowest) index of a wheel's tags in that
 *     list through a hash table built once per target.
 *
 * Strings are UTF-8. Lowercasing and identifier checks follow Python 3.11's
 * str.lower() and str.isidentifier() (Unicode 14), so non-ASCII input behaves
 * as in the reference; input that is not valid UTF-8 or holds a NUL byte is
 * rejected (the reference sees only valid str, which may hold NUL). */
#ifndef AB_TAGS_H
#define AB_TAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/core/arena.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/str.h"

/* One tag triple; the strings are lowercase and NUL-terminated, owned by the
 * set or list that holds the tag. */
struct tag {
	const char *interpreter;
	const char *abi;
	const char *platform;
};

/* A parsed tag string: the product of its interpreters x abis x platforms,
 * in that order (interpreter outermost), each distinct tag once. */
struct tag_set {
	size_t n;
	struct tag *tags; /* one malloc'd block holding the array and the strings */
};

#define TAG_SET_INIT { 0, NULL }

/* Most tags one tag string may expand to; a larger product is rejected
 * (packaging's `limit` argument, fixed here so hostile names stay cheap). */
#define TAGS_PARSE_LIMIT 4096

/* packaging.tags.parse_tag(): split on '-' into exactly three components,
 * each split on '.'; every part must be non-empty and every interpreter a
 * Python identifier. Returns 0 and fills *out (release with
 * tag_set_release), or -AB_E_PARSE with `err` set (col: 1-based byte offset
 * of the offending part in `s`); *out is then empty. */
int tags_parse(struct ab_str s, struct tag_set *out, struct ab_err *err);
void tag_set_release(struct tag_set *set);

/* Appends "interpreter-abi-platform". */
void tag_format(const struct tag *t, struct ab_buf *out);

/* ---- the platforms of a target ---- */

enum tags_os {
	TAGS_OS_LINUX,
	TAGS_OS_MACOS,
	TAGS_OS_WINDOWS,
};

enum tags_libc {
	TAGS_LIBC_UNKNOWN, /* neither glibc nor musl detected: only linux_<arch> */
	TAGS_LIBC_GLIBC,
	TAGS_LIBC_MUSL,
};

enum tags_impl {
	TAGS_IMPL_CPYTHON, /* cpython_tags() + compatible_tags(interpreter="cpXY") */
	TAGS_IMPL_PYPY,    /* generic_tags("ppXY", abis) + compatible_tags(interpreter="pp3") */
};

/* A description of an interpreter and the machine it runs on. Zero-filled
 * fields take defaults as noted. Nothing here is owned by the struct. */
struct tags_target {
	unsigned py_major, py_minor; /* Python language version, e.g. 3, 11 */
	enum tags_impl impl;
	/* ABIs in priority order; NULL/0: "cpXY" for CPython, "pypyXY_pp73" for
	 * PyPy (a free-threaded CPython passes e.g. "cp313t"). */
	const char *const *abis;
	size_t nabis;
	/* The interpreter for compatible_tags' `<interpreter>-none-any`; NULL:
	 * "cpXY" for CPython, "pp3" for PyPy. */
	const char *interpreter;

	/* Explicit platform tags in priority order (`--platform TAG`, repeatable):
	 * when nplatforms > 0 they are used as given (lowercased) and the fields
	 * below are ignored. */
	const char *const *platforms;
	size_t nplatforms;

	enum tags_os os;
	/* linux: the machine as `uname -m` / sysconfig says (x86_64, aarch64,
	 * i686, armv7l, armv8l, ppc64le, s390x, ...); macos: x86_64, arm64,
	 * universal2, i386, ppc64, ppc, intel; windows: x86 (or win32), amd64 (or
	 * x86_64), arm64 (or aarch64). */
	const char *arch;
	enum tags_libc libc;            /* linux only */
	unsigned os_major, os_minor;    /* glibc or musl version (linux), macOS version */
};

/* An ordered list of strings kept in an arena. */
struct tags_strlist {
	size_t n, cap;
	const char **v;
	struct ab_arena arena;
};

#define TAGS_STRLIST_INIT { 0, 0, NULL, AB_ARENA_INIT }

void tags_strlist_release(struct tags_strlist *l);
/* Appends a copy of `s`. */
void tags_strlist_add(struct tags_strlist *l, struct ab_str s);

/* The platform tags of a target, best first, appended to `out`: the explicit
 * list if one is given, else the linux, macOS or Windows list below.
 * Fails with -AB_E_USAGE on a target it cannot describe (unknown Windows
 * arch, missing arch). */
int tags_platforms(const struct tags_target *t, struct tags_strlist *out, struct ab_err *err);

/* Linux, as packaging builds it on a machine with that libc:
 * manylinux_<maj>_<min>_<arch> from the glibc version down to the arch's floor
 * (2.5 on x86_64/i686, 2.17 elsewhere; earlier glibc majors from minor 50),
 * with manylinux2014/2010/1 right after 2_17/2_12/2_5; manylinux only for the
 * archs packaging knows a manylinux ABI for; then musllinux_<maj>_<m>_<arch>
 * for m = musl minor down to 0; then linux_<arch> last. armv8l also yields
 * the armv7l tags after its own. */
void tags_linux_platforms(const char *arch, enum tags_libc libc, unsigned major, unsigned minor,
			  struct tags_strlist *out);
/* packaging.tags.mac_platforms((major, minor), arch). */
void tags_mac_platforms(unsigned major, unsigned minor, const char *arch,
			struct tags_strlist *out);

/* ---- supported tags and ranking ---- */

struct tags_supported {
	size_t n, cap;
	struct tag *tags; /* priority order: index 0 is the best */
	struct ab_arena arena;
	uint32_t *slots;  /* hash table: index + 1, 0 = empty */
	size_t mask;      /* slots has mask + 1 entries */
};

#define TAGS_SUPPORTED_INIT { 0, 0, NULL, AB_ARENA_INIT, NULL, 0 }

/* The tags the target supports, in sys_tags() order, with the lookup table
 * built. Fails as tags_platforms() (then *out is empty). Release with
 * tags_supported_release(). */
int tags_supported(const struct tags_target *t, struct tags_supported *out, struct ab_err *err);
void tags_supported_release(struct tags_supported *s);

/* Index of a tag in the list (its first occurrence), or -1. The tag's
 * strings must be lowercase (as tags_parse() makes them). */
long tags_supported_index(const struct tags_supported *s, const struct tag *t);
/* The best (lowest) index over a wheel's tags, or -1 if none is supported
 * (packaging's create_compatible_tags_selector rank). */
long tags_supported_rank(const struct tags_supported *s, const struct tag_set *set);

#endif
