/* reqopts.h - the option words of a requirements-file line: pip's shlex.split()
 * of the part after the requirement, and its optparse parser (pip's
 * build_parser(): the option table, unique-prefix lookup of long options,
 * argument handling and pip's option callbacks).
 *
 * Internal to the requirements-file parser (reqfile.c): the public API is
 * reqfile.h. This header also holds the parser state the two files share; the
 * reqfile_* functions declared here are defined in reqfile.c.
 *
 * Errors go through reqfile_verr_at(): the first error wins, located at the
 * physical line and column of the offending byte (every byte of a logical
 * line carries its file offset, its "origin"), with "included from" notes. */
#ifndef AB_REQOPTS_H
#define AB_REQOPTS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "formats/core/arena.h"
#include "formats/reqfile.h"

/* ---- parser state, shared with reqfile.c -------------------------------- */

/* A logical line: bytes plus each byte's offset in the file. */
struct reqfile_lline {
	char *c;
	size_t *o;
	size_t len, cap;
};

struct reqfile_tok {
	size_t off, len; /* into parser.tk */
};

struct reqfile_src {
	const char *name; /* as pip spells it (arena) */
	const char *text;
	size_t len;
	size_t *starts; /* physical line start offsets */
	size_t nstarts, cap;
	bool constraint;
	struct reqfile_src *parent;
	unsigned parent_line; /* the -r/-c line in the parent */
	char *key;	      /* normalized absolute path, for the cycle check */
};

struct reqfile_parser {
	struct reqfile *rf;
	const struct reqfile_io *io;
	const char *(*getenv)(void *data, const char *name);
	void *getenv_data;
	const char *cwd;
	unsigned flags;
	struct ab_out *out;
	struct ab_err *err;
	struct reqfile_lline join, line, tmp, tk; /* scratch, reused across lines */
	struct reqfile_tok *toks;
	size_t ntoks, tcap;
	unsigned depth;
	/* pip's --use-feature default is one list shared by every line's
	 * parser (a functools.partial default=[]), and optparse's "append"
	 * appends to it: each line's opts.features_enabled is every feature
	 * seen so far, on any line. handle_option_line() merges that. */
	struct reqfile_strlist features_seen;
};

/* ---- provided by reqfile.c ---------------------------------------------- */

/* Set ps->err at file offset `off` of s (line and column from s's line
 * starts) with code and the message fmt/ap, plus an "included from" note per
 * parent. Returns -code, or the earlier error's -code when one is already set
 * (the first error wins). Both .c files wrap it as a static err_at(). */
int reqfile_verr_at(struct reqfile_parser *ps, const struct reqfile_src *s, size_t off, int code,
		    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Append n bytes to l; their origins are `origin`+k, or all `origin` when
 * `fixed`. Grows l with ab_xrealloc (aborts on OOM). */
void reqfile_lline_add(struct reqfile_lline *l, const char *p, size_t n, size_t origin,
		       bool fixed);

/* Append s (not copied: it must live in arena a) to l, growing l in a. */
void reqfile_strlist_add(struct ab_arena *a, struct reqfile_strlist *l, char *s);

/* ---- reqopts.c ----------------------------------------------------------- */

/* shlex.split(line[from:]) (posix, whitespace_split, no comments): the words
 * go to ps->toks / ps->ntoks, their bytes (NUL-separated, with origins) to
 * ps->tk; both are reset first and reused across lines. Returns 0, or
 * -AB_E_PARSE (ps->err set) for a trailing '\' or an unbalanced quote. */
int reqopts_shlex_split(struct reqfile_parser *ps, const struct reqfile_src *s,
			const struct reqfile_lline *l, size_t from);

/* Word t of the last split, NUL-terminated (points into ps->tk: valid until
 * the next split). */
const char *reqopts_tok_str(struct reqfile_parser *ps, size_t t);

/* File offset of byte k of word t (an empty word: its neighbour's). */
size_t reqopts_tok_origin(struct reqfile_parser *ps, size_t t, size_t k);

/* optparse's _process_args over the words of the last split into *o (which
 * the caller zeroes): long options by unique prefix, --opt=value, --opt value,
 * -ovalue, -o value; words that are not options are skipped; "--" ends the
 * options. Values are copied into ps->rf's arena. --no-binary/--only-binary
 * also update ps->rf->finder.format_control and --use-feature
 * ps->features_seen, as pip's shared defaults do. Returns 0, or -AB_E_PARSE
 * (ps->err set): unknown, ambiguous or not-in-a-file option, missing or
 * unexpected value, invalid --hash / --use-feature / -C value. */
int reqopts_parse(struct reqfile_parser *ps, const struct reqfile_src *s,
		  struct reqfile_lineopts *o);

#endif
