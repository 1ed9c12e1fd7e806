/* wheel.h - the metadata files inside a wheel that an installer reads
 * (PEP 427, PEP 376, the PyPA "Recording installed projects" and "Entry
 * points" specifications):
 *
 *   <name>.dist-info/WHEEL             email headers: Wheel-Version, Root-Is-Purelib
 *   <name>.dist-info/RECORD            CSV rows: path,algo=urlsafe-b64-digest,size
 *   <name>.dist-info/entry_points.txt  INI: [console_scripts] name = module:attr [extras]
 *
 * Parsers read views over the caller's text and never trust it (fuzzed by
 * tests/fuzz/fuzz_record.c). */
#ifndef AB_WHEEL_H
#define AB_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/core/arena.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/str.h"

/* The WHEEL file. */
struct wheel_info {
	unsigned major, minor; /* Wheel-Version */
	bool root_is_purelib;  /* Root-Is-Purelib, "true" in any case (as pip) */
};

/* Parse WHEEL (email headers, as pip's email.parser). Fails with
 * AB_E_PARSE when Wheel-Version is missing or not "N.N" (line/col of the
 * value when present), AB_E_UNSUPPORTED when its major version is not 1
 * (pip: "...'s Wheel-Version (2.0) is not compatible with this version of
 * pip"); a newer minor version is accepted (pip only warns). */
int wheel_info_parse(struct ab_str text, struct wheel_info *out, struct ab_err *err);

/* One RECORD row. Views point into the parsed text or the record's arena. */
struct wheel_record_row {
	struct ab_str path;   /* unquoted; never empty */
	struct ab_str algo;   /* "sha256", ...; empty when the row has no hash */
	struct ab_str digest; /* urlsafe base64 without padding, as written */
	int64_t size;         /* -1: no size */
	unsigned line;        /* 1-based */
};

struct wheel_record {
	size_t n;
	struct wheel_record_row *rows; /* in the arena, in file order */
	struct ab_arena arena;
};

#define WHEEL_RECORD_INIT { 0, NULL, AB_ARENA_INIT }

/* Parse RECORD as Python's csv.reader (default dialect: ',' separated,
 * '"' quoted, "" an escaped quote, CR, LF or CRLF ends a row) over
 * str.splitlines(). Blank rows are skipped. A row must have 1 to 3 fields
 * with a non-empty path; a hash is "algo=digest" (both non-empty), a size
 * decimal digits. Errors: AB_E_PARSE with line/col (1-based, col a byte
 * offset into the line) and *out empty. `text` must outlive *out. */
int wheel_record_parse(struct ab_str text, struct wheel_record *out, struct ab_err *err);
void wheel_record_release(struct wheel_record *r);

/* Append one row as csv.writer would (QUOTE_MINIMAL: a field holding ',',
 * '"', CR or LF is quoted, quotes doubled), "\n"-terminated (pip writes
 * RECORD with newline=""; csv's default line terminator is "\r\n", but pip
 * passes lineterminator "\n"). `hash` NULL or "" and size < 0 give empty
 * fields. */
void wheel_record_row_format(struct ab_buf *out, struct ab_str path, const char *hash,
			     int64_t size);

/* "sha256=" + urlsafe base64 (no padding) of the 32-byte digest, as RECORD
 * holds it: 51 + NUL bytes. */
void wheel_record_hash(const unsigned char digest[32], char out[52]);
/* Urlsafe base64 without padding of n bytes into out (4 * ceil(n / 3) + 1
 * bytes of room); returns the length written. */
size_t wheel_b64url(const unsigned char *in, size_t n, char *out);

/* One script entry point. Views point into the parsed text. */
struct wheel_entry_point {
	struct ab_str name;   /* the script name */
	struct ab_str module; /* dotted module path */
	struct ab_str attr;   /* dotted attribute path, never empty */
	bool gui;             /* from [gui_scripts] */
	unsigned line;
};

struct wheel_entry_points {
	size_t n;
	struct wheel_entry_point *eps; /* malloc'd, in file order */
};

#define WHEEL_ENTRY_POINTS_INIT { 0, NULL }

/* Collect [console_scripts] and [gui_scripts] from entry_points.txt (the
 * importlib.metadata syntax: "[section]" lines, "name = value" lines, '#'
 * and ';' comments, blank lines; other sections are skipped unparsed). An
 * entry's value must match distlib's "module[:attr] [extras]" with module
 * and attr made of word characters and dots, and (as pip requires) have
 * the ":attr" part. The name must be a file name: no '/', NUL, nor "." or
 * "..". Errors: AB_E_PARSE with line/col. `text` must outlive *out. */
int wheel_entry_points_parse(struct ab_str text, struct wheel_entry_points *out,
			     struct ab_err *err);
void wheel_entry_points_release(struct wheel_entry_points *e);

#endif
