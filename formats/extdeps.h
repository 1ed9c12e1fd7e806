/* extdeps.h - external-dependencies.txt: system packages an app needs.
 *
 * One entry per line, in the style of core metadata's Requires-External
 * (PEP 345):
 *
 *     libxml2 (>=2.9)
 *     openssl (>=1.1.1k, <4)
 *     make; sys_platform != "win32"
 *
 * name     letters, digits, '.', '_', '-', '+' (starting with a letter or
 *          digit): a system package or library name, kept as written
 * version  optional, in parentheses: comma-separated clauses `op version`,
 *          op one of < <= == != >= > ~=; the version is free-form system
 *          text (no whitespace, ',', '(', ')', ';'), never parsed as PEP 440
 * marker   optional, after ';': a PEP 508 environment marker (marker.h)
 *
 * '#' at the start of a line or after whitespace starts a comment; blank
 * lines are ignored; a UTF-8 BOM is dropped; CRLF is accepted. */
#ifndef AB_EXTDEPS_H
#define AB_EXTDEPS_H

#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/marker.h"

enum extdeps_op {
	EXTDEPS_LT,	/* < */
	EXTDEPS_LE,	/* <= */
	EXTDEPS_EQ,	/* == */
	EXTDEPS_NE,	/* != */
	EXTDEPS_GE,	/* >= */
	EXTDEPS_GT,	/* > */
	EXTDEPS_COMPAT, /* ~= */
};

struct extdeps_clause {
	enum extdeps_op op;
	char *version; /* as written (owned) */
};

struct extdeps_entry {
	char *name; /* as written (owned) */
	size_t nclauses;
	struct extdeps_clause *clauses; /* in file order (owned) */
	struct marker *marker;		/* NULL: none (owned) */
	unsigned line, col;		/* where the name starts, 1-based */
};

struct extdeps {
	size_t n;
	struct extdeps_entry *entries; /* in file order (owned) */
	size_t cap;
};

#define EXTDEPS_INIT       \
	{                  \
		0, NULL, 0 \
	}

/* Parse `text`; `file` names it in errors (may be NULL). `d` must be
 * EXTDEPS_INIT or released. Returns 0, or AB_E_PARSE with err at file:line:col
 * (e.g. "expected ')' after version", "invalid character '!' in name",
 * "expected version operator", marker errors placed at their column). On
 * failure `d` holds the entries before the bad line; release it either way. */
int extdeps_parse(struct extdeps *d, const char *file, struct ab_str text, struct ab_err *err);

/* Read and parse the file at `path`: AB_E_IO when it cannot be read. */
int extdeps_parse_file(struct extdeps *d, const char *path, struct ab_err *err);

/* Frees every entry; `d` is EXTDEPS_INIT afterwards. */
void extdeps_release(struct extdeps *d);

/* "<=", ">=", ... */
const char *extdeps_op_str(enum extdeps_op op);

/* Normalized spelling: "name (>=1, <2); marker" (no parentheses without
 * clauses; marker as marker_format() writes it). Appends. */
void extdeps_format_entry(const struct extdeps_entry *e, struct ab_buf *out);

#endif
