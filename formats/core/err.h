/* err.h - errors set where they are found, printed in one place (cli/).
 *
 * Functions that can fail take a `struct ab_err *` and return a negative
 * AB_E_* code (0 or positive on success). The first error wins: ab_err_at()
 * on an error that is already set keeps the original cause; callers add
 * context with ab_err_note(). Exit codes are documented in SPEC.md. */
#ifndef AB_ERR_H
#define AB_ERR_H

#include "formats/core/buf.h"

enum ab_errcode {
	AB_OK = 0,
	AB_E_USAGE = 2,    /* bad command line */
	AB_E_PARSE = 3,    /* malformed input file (dependencies.txt, metadata, yaml, ...) */
	AB_E_INVALID = 4,  /* well-formed but invalid app (missing bin/wsgiapp, no application) */
	AB_E_IO = 5,       /* file system error */
	AB_E_NETWORK = 6,  /* download / index failure */
	AB_E_RESOLVE = 7,  /* no solution */
	AB_E_HASH = 8,     /* hash mismatch / integrity */
	AB_E_BUILD = 9,    /* building a package or sdist failed */
	AB_E_UNSUPPORTED = 10,
	AB_E_STALE = 11,   /* a generated file is out of date (appbuild lock --check) */
	AB_E_INTERNAL = 70,
};

/* A position in an input: file may be NULL (e.g. a string argument). */
struct ab_loc {
	const char *file;
	unsigned line, col; /* 1-based; 0 = unknown */
};

struct ab_err {
	int code;   /* enum ab_errcode; 0 = no error */
	char *file; /* owned; NULL: no file involved */
	unsigned line, col;
	struct ab_buf msg;   /* the cause, lowercase, no final full stop */
	struct ab_buf notes; /* "\n"-separated context lines added by callers */
};

#define AB_ERR_INIT { 0, NULL, 0, 0, AB_BUF_INIT, AB_BUF_INIT }

void ab_err_init(struct ab_err *e);
void ab_err_release(struct ab_err *e);
/* Clear a set error so `e` can be reused. */
void ab_err_clear(struct ab_err *e);

/* Set the error (unless one is already set) and return -code.
 * `loc` may be NULL. `e` may be NULL (the error is then only returned). */
int ab_err_at(struct ab_err *e, int code, const struct ab_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int ab_err_set(struct ab_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append a context note ("included from base.txt:3"); never replaces the cause. */
void ab_err_note(struct ab_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fill in a location on an error that has none yet (e.g. a string parser's
 * error placed at its line in a file): col is added to the error's own col. */
void ab_err_locate(struct ab_err *e, const char *file, unsigned line, unsigned col_offset);

/* Format as "file:line:col: error: msg" (parts omitted when unknown). */
void ab_err_format(const struct ab_err *e, struct ab_buf *out);

#endif
