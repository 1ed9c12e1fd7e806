/* toml.h - a strict TOML 1.0 reader (pyproject.toml and friends).
 *
 * Debian 12 packages no maintained C TOML library (libtoml11, cpptoml and
 * toml++ are C++), so this is our own. It accepts exactly TOML 1.0.0:
 * tables, arrays of tables, dotted keys, inline tables (single line, no
 * trailing comma), arrays (multi-line, trailing comma), the four string
 * kinds with every escape (\uXXXX and \UXXXXXXXX must be Unicode scalar
 * values), integers (decimal, 0x, 0o, 0b, '_' between digits, int64 range),
 * floats (inf, nan), booleans, and the four date-time kinds (validated,
 * kept as written). Duplicate keys, redefined tables and additions to
 * inline tables or static arrays are errors, with the rules of tomli
 * (Python 3.11's tomllib), which pip and the build backends use.
 *
 * Every node records its line and column (1-based, bytes) so callers can
 * point at a value in their own errors. The whole document lives in one
 * arena freed by toml_release(). */
#ifndef AB_TOML_H
#define AB_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/core/arena.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"

enum toml_type {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,
};

struct toml_value;

struct toml_kv {
	struct ab_str key;        /* decoded key (NUL-terminated in the arena; may hold NUL) */
	unsigned line, col;       /* where the key is written (first definition) */
	struct toml_value *value;
};

struct toml_table {
	size_t n;
	struct toml_kv *kv; /* in definition order */
	/* private to the parser */
	size_t cap;
	unsigned flags;
	unsigned dotted_section;
};

struct toml_array {
	size_t n;
	struct toml_value **items;
	/* private to the parser */
	size_t cap;
	bool aot; /* an array of tables built by [[headers]] (may grow) */
};

struct toml_value {
	enum toml_type type;
	unsigned line, col; /* where the value starts; a table: its header or first dotted key */
	union {
		struct ab_str str;     /* STRING: decoded UTF-8, NUL-terminated (may hold NUL);
					  DATETIME: as written */
		int64_t integer;
		double flt;
		bool boolean;
		struct toml_table table;
		struct toml_array array;
	} u;
};

struct toml_doc {
	struct ab_arena arena;
	struct toml_value *root; /* a TOML_TABLE; NULL before a successful parse */
};

#define TOML_DOC_INIT { AB_ARENA_INIT, NULL }

/* Parse `text` (UTF-8; a leading BOM is not allowed, as in tomli).
 * `file` (may be NULL) names the input in errors. Returns 0, or AB_E_PARSE
 * with err->line/col at the offending byte and a message such as
 * "duplicate key 'name'" or "expected '=' after key"; *out is then empty.
 * On success release with toml_release(). */
int toml_parse(struct ab_str text, const char *file, struct toml_doc *out, struct ab_err *err);
void toml_release(struct toml_doc *doc);

/* The value of `key` in table `t` (a TOML_TABLE value), or NULL when `t`
 * is NULL or not a table or has no such key. */
const struct toml_value *toml_get(const struct toml_value *t, const char *key);
/* "table", "array", "string", "integer", "float", "boolean", "datetime" */
const char *toml_type_name(enum toml_type type);

/* A compact, deterministic, JSON-like dump for tests: tables as
 * {"k":v,...} in definition order, strings JSON-escaped, integers in
 * decimal, floats as %.17g (nan, inf, -inf bare), booleans bare, date-times
 * as {"datetime":"as written"}. */
void toml_format(const struct toml_value *v, struct ab_buf *out);

#endif
