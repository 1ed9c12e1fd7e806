/* pyproject.h - the parts of pyproject.toml a build front end reads:
 * [build-system] (PEP 517/518) and [project] (PEP 621, the fields that
 * matter for resolving: name, version, dynamic, requires-python,
 * dependencies, optional-dependencies).
 *
 * [build-system] is checked as pip 23 checks it (pip/_internal/pyproject.py):
 * a table without `requires` is an error, `requires` must be a list of PEP
 * 508 strings, `build-backend` a string, `backend-path` a list of relative
 * paths inside the project. Without a [build-system] table (or without a
 * pyproject.toml at all: pyproject_default()) pip 23 assumes
 * requires = ["setuptools>=40.8.0", "wheel"] and the backend
 * "setuptools.build_meta:__legacy__"; a table without `build-backend` gets
 * that backend too, and `check` then names "setuptools>=40.8.0" (pip
 * verifies it is in the build environment).
 *
 * [project] is checked as PEP 621 says: `name` required and a valid name,
 * `name` never dynamic, `version` present unless listed in `dynamic`, a
 * field given both statically and in `dynamic` an error, the types of the
 * fields read. Other [project] fields and [tool] are not looked at. */
#ifndef AB_PYPROJECT_H
#define AB_PYPROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/err.h"
#include "formats/pep440.h"
#include "formats/pep508.h"
#include "formats/toml.h"

struct pyproject_extra {
	char *name;      /* as written (owned) */
	char *canonical; /* PEP 685 normalized (owned) */
	size_t ndeps;
	struct pep508_req *deps; /* owned */
};

struct pyproject {
	/* [build-system] */
	bool has_build_system;    /* the table was present */
	size_t nrequires;
	struct pep508_req *requires; /* owned */
	char *build_backend;      /* "module:object" (owned); never NULL after a parse */
	bool backend_defaulted;   /* build-backend was absent: setuptools legacy */
	const char *check;        /* "setuptools>=40.8.0" when defaulted, else NULL (static) */
	size_t nbackend_path;
	char **backend_path;      /* owned, as written */

	/* [project] */
	bool has_project;
	char *name;               /* owned; NULL without [project] */
	char *name_canonical;     /* owned */
	char *version;            /* as written (owned); NULL when dynamic */
	struct pep440_version *version_parsed; /* owned; NULL when dynamic */
	size_t ndynamic;
	char **dynamic;           /* owned, as written */
	char *requires_python;    /* owned; NULL when absent */
	struct pep440_specset requires_python_spec;
	size_t ndeps;
	struct pep508_req *deps;  /* owned */
	size_t nextras;
	struct pyproject_extra *extras; /* owned, in file order */
};

#define PYPROJECT_INIT \
	{ false, 0, NULL, NULL, false, NULL, 0, NULL, false, NULL, NULL, NULL, NULL, 0, NULL, \
	  NULL, PEP440_SPECSET_INIT, 0, NULL, 0, NULL }

/* Parse pyproject.toml text. `file` names it in errors (may be NULL).
 * Returns 0, or AB_E_PARSE with file:line:col: TOML syntax errors, and
 * errors of the fields above pointing at the offending value, e.g.
 * "'build-system.requires' must be a list of strings",
 * "invalid requirement in 'build-system.requires': expected ..." (col at
 * the character in the string when the string has no escapes),
 * "'project.version' is missing and not listed in 'project.dynamic'".
 * *out is empty on failure. Release with pyproject_release(). */
int pyproject_parse(struct ab_str text, const char *file, struct pyproject *out,
		    struct ab_err *err);
/* What pip assumes with no pyproject.toml: the setuptools legacy backend. */
void pyproject_default(struct pyproject *out);
void pyproject_release(struct pyproject *p);

/* True when `field` ("version", "dependencies", ...) is listed in
 * project.dynamic. */
bool pyproject_is_dynamic(const struct pyproject *p, const char *field);

#endif
