/* install_int.h - what builder/install.c (unpacking wheels, the thread
 * pool) and builder/install_pyc.c (byte-compilation and the per-wheel .pyc
 * cache) share. Not for other modules: builder/install.h is the API. */
#ifndef AB_INSTALL_INT_H
#define AB_INSTALL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "builder/cache.h"
#include "builder/install.h"

/* The .py files one wheel installed (relative to the environment). */
struct pyset {
	char **py;
	size_t n, cap;
	bool hit; /* the .pyc files came from the cache */
	bool mem; /* the wheel's files were kept in memory (install_wheels_mem) */
};

/* A pool of threads installing wheels (install_run_pool). */
struct pool {
	const struct install_opts *o;
	const struct install_wheel *w;
	size_t n, next;
	size_t *order; /* install_run_pool: the order wheels are taken in */
	bool stop;
	pthread_mutex_t mu;
	struct ab_err *errs; /* one per wheel */
	struct pyset *ps;    /* install_wheels_compile: one per wheel; else NULL */
	const struct cache *cache;
	char **keys;         /* with ps: each wheel's .pyc cache key (NULL: not cached) */
	struct install_mem *ms; /* memory mode: one per wheel; NULL: files */
};

/* Installs pp->w[0..n) on up to o->jobs threads (default: the CPUs, at
 * most 8); with pp->ps each wheel's .py files are collected and, when
 * pp->keys[i] is set, its cached .pyc files written (install_pyc_restore).
 * The first error in wheel order is returned. */
int install_run_pool(struct pool *pp, struct ab_err *err);

/* Writes the .pyc files cached under `key` for the files of `ps` (sets
 * ps->hit), or with `ms` appends them there; 0 when there is no such
 * entry. */
int install_pyc_restore(const struct install_opts *o, const struct cache *c, const char *key,
			struct pyset *ps, struct install_mem *ms, struct ab_err *err);
/* Writes the files of `m` under o->root and releases it (memory mode's
 * way back when a wheel must be compiled after all). AB_E_IO. */
int install_mem_flush(const struct install_opts *o, struct install_mem *m, struct ab_err *err);

/* AB_E_IO at `path`: "cannot WHAT: <errno text>". */
int install_io_err(struct ab_err *err, const char *path, const char *what);
/* mkdir -p of the directory holding `path`. */
int install_mkdir_parent(char *path, struct ab_err *err);
/* Creates or truncates `path` with `n` bytes. */
int install_write_file(const char *path, const void *data, size_t n, mode_t mode,
		       struct ab_err *err);

#endif
