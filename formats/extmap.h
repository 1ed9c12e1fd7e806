/* extmap.h - external dependencies as OS package names (issue #9).
 *
 * The names of external-dependencies.txt (`libpq`, `libxml2 (>=2.9)`,
 * `nginx`) are upstream names; each distribution family packages them
 * under its own names (Debian `libpq5`, Fedora `libpq`). The mapping table
 * templates/extmap.tsv.in (embedded, see extmap_builtin()) says which, and
 * also maps sonames (`libpq.so.5`) so the DT_NEEDED scan (elfscan.h) can
 * suggest the providing package.
 *
 * Table format (strict; SPEC.md "The mapping table"):
 *
 *   # comment                        '#' first on a line; blank lines ignored
 *   key  name  debian  ubuntu  rpm  rhel    the header, required, first
 *   libpq       -      libpq5  -  libpq  -  a primary row: name is '-'
 *   psql        postgresql-client ...       ...
 *   libpq.so.5  libpq  -       -  -      -  an alias/soname row: name is a
 *                                           primary key, '-' cells inherit
 *
 * Fields are separated by one or more tabs (so columns can be aligned);
 * '-' is an empty cell, '!' says the family has no package (the lookup
 * stops there instead of falling back). Keys are [A-Za-z0-9][A-Za-z0-9._+-]* and unique
 * ignoring ASCII case; lookups ignore ASCII case too. Debian cells (debian,
 * ubuntu) hold one Debian package name ([a-z0-9][a-z0-9+.-]+), RPM cells
 * (rpm, rhel) one RPM name ([A-Za-z0-9_+][A-Za-z0-9._+-]*). A primary row
 * needs at least one package. An alias row's name must be a primary row's
 * key (no chains).
 *
 * Targets and columns: a cell is looked up in the target's own column, then
 * in its family's base column, first on the row itself, then on its primary
 * row:
 *
 *   debian                       debian
 *   ubuntu                       ubuntu, then debian
 *   fedora                       rpm
 *   rhel, centos, rocky, alma    rhel, then rpm
 *
 * Per-app overrides (appbuild.yaml `package: external:`) are added with
 * extmap_override() and win over the table's cells for the same key. */
#ifndef AB_EXTMAP_H
#define AB_EXTMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/arena.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/extdeps.h"
#include "formats/osver.h"

enum extmap_col {
	EXTMAP_DEBIAN,
	EXTMAP_UBUNTU,
	EXTMAP_RPM,
	EXTMAP_RHEL,
	EXTMAP_NCOLS,
};

struct extmap_row {
	char *key;  /* as written (arena) */
	char *name; /* the primary key for an alias/soname row, NULL for a primary row */
	char *pkg[EXTMAP_NCOLS]; /* NULL: '-' (arena) */
	unsigned line;		 /* in the table; 0 for an appbuild.yaml override */
	size_t primary;		 /* index of the primary row (itself for a primary row) */
};

struct extmap {
	size_t n;
	struct extmap_row *rows; /* sorted by key, ASCII case ignored (owned) */
	size_t cap;
	struct ab_arena arena; /* every string */
};

#define EXTMAP_INIT                       \
	{                                 \
		0, NULL, 0, AB_ARENA_INIT \
	}

/* A distribution (--target): its package format and its columns. */
struct extmap_target {
	const char *name;	   /* "debian", "ubuntu", "fedora", "rhel", ... (static) */
	enum osver_family family;  /* OSVER_DEB or OSVER_RPM */
	enum extmap_col col, base; /* own column, then the family's base (equal if none) */
};

/* "debian", "ubuntu", "fedora", "rhel", "centos", "rocky", "alma"
 * ("almalinux" too). Fills *t and returns 0; an unknown name is AB_E_USAGE
 * ("unknown target 'x'", with "did you mean" or the list as a note). */
int extmap_target_parse(const char *name, struct extmap_target *t, struct ab_err *err);

/* The default target of a format: "debian" for OSVER_DEB, "fedora" for
 * OSVER_RPM. */
void extmap_target_default(enum osver_family f, struct extmap_target *t);

/* Parse a table (`file` names it in errors, may be NULL) into `m`
 * (EXTMAP_INIT or released). Returns 0, or AB_E_PARSE at file:line:col
 * ("expected 6 fields, got 4", "invalid Debian package name 'Foo'",
 * "duplicate key 'libpq'" with a note on the first line, "'libpqq' is not
 * a primary key of the table"). Release `m` either way. */
int extmap_parse(struct extmap *m, const char *file, struct ab_str text, struct ab_err *err);

/* Parse the embedded table (templates/extmap.tsv.in) into `m`. */
int extmap_load_builtin(struct extmap *m, struct ab_err *err);

/* The embedded table, parsed once per process (thread-safe) and kept until
 * exit; NULL only if it does not parse (a unit test makes sure it does). */
const struct extmap *extmap_builtin(void);

/* Frees everything; `m` is EXTMAP_INIT afterwards. */
void extmap_release(struct extmap *m);

/* Set cells for `key` (a new primary row when the table has no such key):
 * pkg[c] non-NULL replaces cell c. The names are checked as in the table:
 * AB_E_PARSE at `loc` (may be NULL) for an invalid key or package name. */
int extmap_override(struct extmap *m, const char *key, const char *const pkg[EXTMAP_NCOLS],
		    const struct ab_loc *loc, struct ab_err *err);

/* Whether `s` is a valid key (the external-dependencies.txt name grammar),
 * and a valid package name for column `c` (Debian rules for debian and
 * ubuntu, RPM rules for rpm and rhel); for appbuild.yaml's checks. */
bool extmap_valid_key(const char *s);
bool extmap_valid_package(enum extmap_col c, const char *s);

/* "debian", "ubuntu", "rpm", "rhel" */
const char *extmap_col_name(enum extmap_col c);

struct appconfig_package;

/* The built-in table with appbuild.yaml's `package: external:` overrides
 * applied (formats/appconfig.h; `pkg` may be NULL: none), into `m`
 * (EXTMAP_INIT or released). `yaml_file` names appbuild.yaml in errors.
 * Errors: extmap_load_builtin's, extmap_override's (AB_E_PARSE at the
 * entry's line:col). Release `m` either way. */
int extmap_load_app(struct extmap *m, const struct appconfig_package *pkg, const char *yaml_file,
		    struct ab_err *err);

/* The row for `key` (ASCII case ignored), or NULL. */
const struct extmap_row *extmap_find(const struct extmap *m, const char *key);

/* The package for `key` on target `t` (the lookup order above), or NULL
 * when the table has no such key or no cell for the target. *name (may be
 * NULL) is set to the primary key when the key is found, else NULL. The
 * strings live as long as `m`. */
const char *extmap_package(const struct extmap *m, const char *key, const struct extmap_target *t,
			   const char **name);

/* A version clause of an external dependency, as the OS compares it:
 * the version is the system's text from external-dependencies.txt. */
enum extmap_op { EXTMAP_LT, EXTMAP_LE, EXTMAP_EQ, EXTMAP_GE, EXTMAP_GT };

struct extmap_clause {
	enum extmap_op op;
	char *version; /* owned by the list */
};

/* One mapped external dependency: the OS package and its clauses. */
struct extmap_dep {
	char *ext_name; /* as written in external-dependencies.txt */
	char *package;	/* the OS package name */
	size_t nclauses;
	struct extmap_clause *clauses;
	unsigned line, col; /* of the entry in external-dependencies.txt */
};

struct extmap_deps {
	size_t n;
	struct extmap_dep *deps; /* in file order (owned) */
	size_t cap;
};

#define EXTMAP_DEPS_INIT   \
	{                  \
		0, NULL, 0 \
	}

/* Map one entry of external-dependencies.txt (`file` names it in errors)
 * for target `t` and append it to `out`. The clauses become OS clauses:
 * `~=V` -> `>= V` and `< W~` (W: V without its last dot-separated part,
 * the new last part, which must be a number, plus one: `~=2.9.1` -> `<
 * 2.10~`), others as written. The entry's marker is NOT evaluated (the
 * caller skips entries whose marker does not hold).
 * Errors, all at file:line:col of the entry:
 *   AB_E_INVALID      no package for the name on this target; the message
 *                     says how to map it ("no fedora package known for
 *                     'libfoo'", note "map it in appbuild.yaml: package:
 *                     {external: {libfoo: {rpm: PACKAGE}}}")
 *   AB_E_UNSUPPORTED  `!=` (neither Depends nor Requires can say it
 *                     without rich or conflicting dependencies); `~=` on a
 *                     version it cannot bump; a version the target format
 *                     cannot hold (extmap_check_version) */
int extmap_map_entry(const struct extmap *m, const struct extdeps_entry *e, const char *file,
		     const struct extmap_target *t, struct extmap_deps *out, struct ab_err *err);

/* extmap_map_entry() for every entry of `d` whose marker holds for `env`
 * (NULL: every entry). On error `out` keeps the entries before it. */
int extmap_map_all(const struct extmap *m, const struct extdeps *d, const char *file,
		   const struct marker_env *env, const struct extmap_target *t,
		   struct extmap_deps *out, struct ab_err *err);

void extmap_deps_release(struct extmap_deps *d);

/* Whether `v` is a version the format can hold in a dependency: RPM
 * `[E:]V[-R]` (V, R of [A-Za-z0-9._+~^]; no '%', which rpm expands),
 * Debian `[E:]U[-R]` (U starting with a digit, of [A-Za-z0-9.+~-],
 * R of [A-Za-z0-9.+~]). Returns 0 or AB_E_UNSUPPORTED naming the problem
 * (no location: the caller places it). */
int extmap_check_version(enum osver_family f, const char *v, struct ab_err *err);

/* Appends one dependency clause in the format's syntax:
 *   RPM     `pkg`, `pkg >= 2.9` (op < <= = >= >)
 *   Debian  `pkg`, `pkg (>= 2.9)` (op << <= = >= >>)
 * op < 0 (no clause): the bare package name. Debian compares whole
 * versions where RPM ignores a release the dependency does not state, so
 * for a version without a Debian revision the upstream meaning is kept:
 * `<= V` -> `<< V.~`, `> V` -> `>> V.~`, `= V` -> `>= V` and `<< V.~`
 * (two clauses, ", "-separated), so that `libxml2 (<= 2.9)` still accepts
 * 2.9+dfsg-1. */
void extmap_format_clause(enum osver_family f, const char *pkg, int op, const char *version,
			  struct ab_buf *out);

#endif
