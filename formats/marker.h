/* marker.h - PEP 508 environment markers: parse, format, evaluate.
 *
 * Semantics follow pypa/packaging 26.x: a comparison is a PEP 440 version
 * comparison only where both sides are valid versions (specifier semantics
 * for the operator), otherwise a string comparison where `<`/`>` etc.
 * between non-versions are false; `===` on a non-version is an error
 * (UndefinedComparison); `extra` values are compared PEP 685-normalized;
 * `in`/`not in` are substring tests. */
#ifndef AB_MARKER_H
#define AB_MARKER_H

#include <stdbool.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/pep440.h"

/* The environment a marker is evaluated in. A NULL field is undefined
 * (evaluating a marker that uses it is an error, as UndefinedEnvironmentName).
 * `extra` is PEP 685-normalized by marker_evaluate() (packaging does the same);
 * packaging's "metadata" context is `extra` = "". The set-valued PEP 751
 * variables `extras` and `dependency_groups` are written as a comma-separated
 * list of names ("" is the empty set). */
enum marker_var {
	MARKER_VAR_IMPLEMENTATION_NAME,
	MARKER_VAR_IMPLEMENTATION_VERSION,
	MARKER_VAR_OS_NAME,
	MARKER_VAR_PLATFORM_MACHINE,
	MARKER_VAR_PLATFORM_RELEASE,
	MARKER_VAR_PLATFORM_SYSTEM,
	MARKER_VAR_PLATFORM_VERSION,
	MARKER_VAR_PYTHON_FULL_VERSION,
	MARKER_VAR_PLATFORM_PYTHON_IMPLEMENTATION,
	MARKER_VAR_PYTHON_VERSION,
	MARKER_VAR_SYS_PLATFORM,
	MARKER_VAR_EXTRA,
	MARKER_VAR_EXTRAS,            /* PEP 751 set-valued */
	MARKER_VAR_DEPENDENCY_GROUPS, /* PEP 751 set-valued */
	MARKER_VAR__COUNT,
};

struct marker_env {
	const char *vars[MARKER_VAR__COUNT];
};

/* Name of a variable as written in markers ("python_version"). */
const char *marker_var_name(enum marker_var v);

/* A parsed marker (an expression tree); opaque. */
struct marker;

/* Parse a marker expression. Returns 0 and *out (free with marker_free), or
 * AB_E_PARSE with err->col the 1-based offset into `s`. */
int marker_parse(struct ab_str s, struct marker **out, struct ab_err *err);
/* The marker part of a PEP 508 requirement: parse a marker expression that
 * starts at s.ptr[*pos] and stops before whatever cannot continue it (text
 * after it is the caller's business). *pos is advanced past the expression
 * and trailing blanks. Same ownership and errors as marker_parse(). */
int marker_parse_at(struct ab_str s, size_t *pos, struct marker **out, struct ab_err *err);
void marker_free(struct marker *m);
/* str(Marker): normalized spelling. */
void marker_format(const struct marker *m, struct ab_buf *out);

/* Evaluate: 1 true, 0 false, or -AB_E_INVALID with `err` set: the message
 * starts "undefined environment name" (a variable, or the string a
 * quoted-string-vs-quoted-string comparison looks up, is NULL/unknown) or
 * "undefined comparison" (`~=`/`===` that is not a version comparison).
 * Like packaging, every comparison is evaluated (no short circuit), so an
 * error anywhere in the marker is reported. */
int marker_evaluate(const struct marker *m, const struct marker_env *env, struct ab_err *err);

/* A target interpreter: what the resolver and installer aim at, which need
 * not be the running one. */
struct marker_target {
	const char *python_full_version; /* "3.11.7" */
	const char *implementation;      /* "cpython" (implementation_name) */
	const char *sys_platform;        /* "linux", "darwin", "win32" */
	const char *machine;             /* "x86_64", "aarch64", "arm64", "AMD64" */
};

/* packaging's SPECIFIER token (Specifier._specifier_regex_str, matched with
 * re.match, case-insensitive) at s.ptr[pos]: returns its length in bytes, 0
 * if none, and the operator in *op (may be NULL). Shared with pep508.c. */
size_t marker_specifier_token(struct ab_str s, size_t pos, enum pep440_op *op);

/* Fill a complete environment for `t`. Strings point into `storage`, which
 * the caller releases. platform_release/platform_version are "" (unknown
 * for a remote target); `extra` is "", `extras`/`dependency_groups` NULL.
 * python_version is the first two components of python_full_version;
 * implementation_version is python_full_version (exact for CPython). */
void marker_env_from_target(struct marker_env *env, const struct marker_target *t,
			    struct ab_buf *storage);

#endif
