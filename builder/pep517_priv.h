/* pep517_priv.h - what builder/pep517.c (trees, environments, hooks, the
 * cache) and builder/pep517_sdist.c (sdists from the index, parallel
 * builds) share. Private to those two files. */
#ifndef AB_PEP517_PRIV_H
#define AB_PEP517_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "builder/interp.h"
#include "builder/pep517.h"
#include "builder/resolve.h"
#include "formats/pyproject.h"

struct benv {
	char *key; /* "name==version\n" of every pin, sorted */
	char *dir; /* the environment's root */
	struct resolve_pin *pins;
	size_t npins;
};

struct pep517 {
	struct pep517_opts o;
	bool have_py;
	struct interp py;
	struct ab_buf host; /* target_host_line of o.python: the interpreter in cache keys */
	char *tmp;          /* private temporary directory, NULL until needed */
	char *runner;       /* tmp/pep517_hooks.py */
	unsigned seq;
	struct provider_index *pi; /* build requirements: created on first use */
	struct provider_index_options po;
	struct resolve_provider prov;
	struct benv *envs;
	size_t nenvs, cenvs;
	char **stack; /* canonical names being built, outermost first */
	size_t nstack, cstack;
	char **names; /* pep517_fetch_wheel's file names */
	size_t nnames, cnames;
	struct pep517_stats st;
};

/* What one build of a tree needs, gathered before the cache is asked. */
struct job {
	const struct pep517_source *s;
	char *what;  /* "'name' 1.0" or "'dir'" for messages */
	struct pyproject pp;
	bool have_pp;
	struct resolve_pin *pins; /* the static requirements' pins (owned strings) */
	size_t npins;
	bool keyed;
	char key[65];
	const char *python; /* the interpreter hooks run with: b->py's or pyown */
	char *pyown;        /* ENV/bin/python (owned) */
	struct benv *env;
	bool key_done;
	json_t *cs; /* config_settings (or NULL) */
};


/* WANT_PREPARE (pep517_prebuild): stop before the build, with the
 * environment of the static requirements made; 1: a build is needed. */
enum want { WANT_METADATA, WANT_WHEEL, WANT_EDITABLE, WANT_PREPARE };

/* The helpers of pep517.c the sdist code uses (the same contracts as there:
 * errors through `err`, AB_E_* codes). */
int pep517_read_file(const char *path, struct ab_buf *out, struct ab_err *err);
/* The builder's private temporary directory (created on first use). */
int pep517_ensure_tmp(struct pep517 *b, struct ab_err *err);
/* A fresh directory tmp/<what>-<n>, appended to `out`. */
int pep517_new_dir(struct pep517 *b, const char *what, struct ab_buf *out, struct ab_err *err);
/* b->host: the interpreter's description (target_host_line, cached). */
int pep517_host_line(struct pep517 *b, struct ab_err *err);
/* Cycle detection: 1 pushed, 0 (name NULL) nothing, or AB_E_BUILD naming
 * the cycle; pop with what push returned. */
int pep517_push_build(struct pep517 *b, const char *name, struct ab_err *err);
void pep517_pop_build(struct pep517 *b, int pushed);
/* j->pp from pyproject.toml's text (NULL: none; then setup.py must exist). */
int pep517_load_pyproject(struct job *j, const struct ab_buf *text, bool has_setup_py,
			  const char *file, struct ab_err *err);
/* The metadata built must name j->s's project and version. */
int pep517_check_metadata(const struct job *j, const struct ab_buf *text, struct ab_err *err);
/* "'name' version" or "'dir'" (malloc'd). */
char *pep517_describe(const struct pep517_source *s);
/* Key, cache, environment, hook. Returns 0 (done), 1 (j->s->dir is NULL and
 * the cache missed: unpack, then call again; WANT_PREPARE: the static
 * environment is made and a build is needed), or an error. */
int pep517_job_run(struct pep517 *b, struct job *j, enum want want, struct ab_buf *md,
		   struct pep517_wheel *w, struct ab_err *err);
void pep517_job_release(struct job *j);

#endif
