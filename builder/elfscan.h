/* elfscan.h - the shared libraries an installed environment needs from the
 * host: the DT_NEEDED sonames of every ELF file under a directory (libelf).
 *
 * Every regular file under the root (symlinks are not followed; *.py and
 * *.pyc are skipped unread) that starts with the ELF magic is read with
 * libelf; the DT_NEEDED entries of its SHT_DYNAMIC section are collected.
 * A soname is then classified:
 *   ELFSCAN_BUNDLE  a file of that name exists under the root (a wheel's
 *                   vendored copy, e.g. pillow.libs/libjpeg-*.so.62 is
 *                   needed by that exact name)
 *   ELFSCAN_LIBC    part of glibc (libc, libm, libpthread, libdl, librt,
 *                   libutil, libresolv, libnsl, libanl, libmvec, the
 *                   dynamic loader, ...) or libgcc_s.so.1 (Debian's libc6
 *                   depends on it; manylinux assumes it too)
 *   ELFSCAN_PYTHON  libpython*: the interpreter's own
 *   ELFSCAN_HOST    anything else: the host must provide it
 * For ELFSCAN_HOST sonames the mapping table (formats/extmap.h) suggests
 * the external-dependencies.txt name and the Debian package (bookworm), e.g.
 * libpq.so.5 -> libpq / libpq5, libxslt.so.1 -> libxslt / libxslt1.1. */
#ifndef AB_ELFSCAN_H
#define AB_ELFSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/err.h"
#include "formats/extdeps.h"

enum elfscan_provider {
	ELFSCAN_HOST,
	ELFSCAN_BUNDLE,
	ELFSCAN_LIBC,
	ELFSCAN_PYTHON,
};

struct elfscan_lib {
	char *soname;	      /* owned */
	enum elfscan_provider provider;
	const char *name;     /* suggested external-dependencies.txt name (static); NULL: unknown */
	const char *debian;   /* Debian package (static); NULL: unknown */
	size_t nfiles;
	char **files;	      /* the ELF files needing it, relative to the root, sorted (owned) */
};

struct elfscan {
	size_t n;
	struct elfscan_lib *libs; /* sorted by soname (owned) */
	size_t nelf;		  /* ELF files read */
};

#define ELFSCAN_INIT       \
	{                  \
		0, NULL, 0 \
	}

/* Scan every file under `root` (see above) into `s` (ELFSCAN_INIT or
 * released). A file that starts with the ELF magic but that libelf cannot
 * read is AB_E_PARSE (err->file is its path relative to root); directories
 * and files that cannot be read are AB_E_IO. Release `s` either way. */
int elfscan_tree(const char *root, struct elfscan *s, struct ab_err *err);

/* Frees everything; `s` is ELFSCAN_INIT afterwards. */
void elfscan_release(struct elfscan *s);

/* The provider of `soname` by name alone: ELFSCAN_LIBC, ELFSCAN_PYTHON,
 * else ELFSCAN_HOST (ELFSCAN_BUNDLE needs the tree). */
enum elfscan_provider elfscan_classify(const char *soname);

/* "bundle", "libc", "python" or "host". */
const char *elfscan_provider_str(enum elfscan_provider p);

/* The mapping table's soname rows (extmap_builtin(), Debian target): sets
 * *name and *debian (strings kept until exit) and returns true when
 * `soname` is in it with a Debian package. */
bool elfscan_lookup(const char *soname, const char **name, const char **debian);

/* Whether an entry of `d` names the library: its name equals (ASCII case
 * aside) the suggested name, the Debian package, the soname, or the
 * soname's stem before ".so" (libpq.so.5: "libpq"). Markers are not
 * evaluated (an entry covers the library on every host it applies to). */
bool elfscan_covered(const struct elfscan_lib *lib, const struct extdeps *d);

#endif
