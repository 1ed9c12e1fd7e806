/* interp.h - the target Python interpreter, queried once.
 *
 * One subprocess (posix_spawn, stdout through a pipe) runs a small script
 * that prints one JSON object; jansson parses it. What it reports is what
 * the installer (layout of a virtual environment), the resolver (tags)
 * and the bundle (appbuild.json, the launcher's check) need. */
#ifndef AB_INTERP_H
#define AB_INTERP_H

#include <stdbool.h>

#include "formats/core/err.h"

struct interp {
	char *executable;      /* sys.executable, absolute */
	char *base_executable; /* what a venv's bin/python links to (sys._base_executable) */
	char *home;            /* dirname(base_executable): pyvenv.cfg's "home" */
	char *prefix;          /* sys.prefix */
	char *base_prefix;     /* sys.base_prefix */
	char *version;         /* platform.python_version(): "3.11.7" */
	unsigned major, minor, micro;
	char *implementation; /* sys.implementation.name: "cpython" */
	char *cache_tag;      /* sys.implementation.cache_tag: "cpython-311" (NULL: none) */
	char *soabi;          /* sysconfig SOABI: "cpython-311-x86_64-linux-gnu" (NULL: none) */
	char *ext_suffix;     /* sysconfig EXT_SUFFIX: ".cpython-311-x86_64-linux-gnu.so" */
	char *interpreter_tag; /* packaging.tags: "cp311", "pp39", ... */
	char *abi_tag;         /* packaging.tags' first ABI: "cp311", "cp311d", "pypy39_pp73" */
	char *platform;        /* sysconfig.get_platform(): "linux-x86_64" */
	char *machine;         /* platform.machine(): "x86_64" */
	char *libc;            /* "glibc", "musl" or NULL */
	char *libc_version;    /* "2.36" (NULL: unknown) */
	unsigned pointer_bits; /* 64, 32 */
	/* A virtual environment's layout, relative to its root (sysconfig's
	 * "venv" scheme, else "posix_prefix", with base = platbase = root). */
	char *purelib;  /* "lib/python3.11/site-packages" */
	char *platlib;  /* "lib/python3.11/site-packages" ("lib64/..." where platlibdir is) */
	char *scripts;  /* "bin" */
	char *data;     /* "" */
	char *headers;  /* "include/site/python3.11" (pip's venv headers; + "/<project>") */
	/* importlib.util.MAGIC_NUMBER in hex ("a70d0d0a"): with cache_tag, what a
	 * .pyc is valid for (NULL: not reported) */
	char *magic;
};

/* Run `python` (a path, or a command looked up on PATH when it holds no
 * '/'; NULL: "python3") once and fill *out (release with interp_release).
 * AB_E_IO when it cannot be started (err->file names it), AB_E_INVALID
 * when it exits non-zero (the message carries its stderr's first line) or
 * prints something else than the expected JSON, AB_E_UNSUPPORTED for a
 * Python older than 3.7. */
int interp_query(const char *python, struct interp *out, struct ab_err *err);
void interp_release(struct interp *p);

/* interp_query() remembered in the cache `c` (NULL or disabled: always
 * ask), since starting the interpreter costs 20 ms to a second (pyenv
 * shims). The entry is keyed by the query script and what decides which
 * interpreter `python` is (target_python_key(): PATH, PYENV_VERSION, the
 * resolved file's real path, size and mtime, pyenv's version files); a hit
 * is used only while the executable and base executable it names still
 * have the size and mtime they had. Same errors as interp_query(). */
struct cache;
int interp_query_cached(const struct cache *c, const char *python, struct interp *out,
			struct ab_err *err);

/* Parse the query script's JSON output (exposed for tests). Same errors as
 * interp_query's AB_E_INVALID/AB_E_UNSUPPORTED. */
int interp_parse(const char *json, struct interp *out, struct ab_err *err);

/* The query script itself (Python source, run with -I -c). */
extern const char interp_script[];

#endif
