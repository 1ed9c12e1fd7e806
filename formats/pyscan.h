/* pyscan.h - does a Python source bind a module-level name? (without running it)
 *
 * A small tokenizer (strings with any prefix, triple-quoted strings, f-strings
 * with nested quotes as in Python 3.12, comments, '\' continuations, brackets,
 * indentation) followed by a look at each module-level statement. A statement
 * is module-level when it is not inside a `def` or `class` body; the bodies
 * of `if`, `elif`, `else`, `try`, `except`, `finally`, `with`, `for`, `while`
 * and `match` count as module level (`if DEBUG: application = ...`). The
 * name is bound by:
 *
 *   name = ...            a, name = ...        (x, [name, *y]) = ...
 *   x = name = ...        name: T = ...        (name := ...) anywhere
 *   def name(...)         async def name(...)  class name ...
 *   import name[.sub]     import m as name     from m import x as name, name
 *   for name in ...:      with f() as name:
 *
 * and not by `name: T` (annotation only), `x.name = ...`, `x[name] = ...`,
 * `name += ...`, `except E as name` (unbound after the block) or anything
 * inside a function or class. `from m import *` cannot be decided; it is
 * reported separately. */
#ifndef AB_PYSCAN_H
#define AB_PYSCAN_H

#include <stdbool.h>

#include "formats/core/err.h"
#include "formats/core/str.h"

enum pyscan_kind {
	PYSCAN_NONE = 0,
	PYSCAN_ASSIGN,   /* an assignment target, annotated or walrus */
	PYSCAN_DEF,      /* def / async def */
	PYSCAN_CLASS,
	PYSCAN_IMPORT,   /* import / from-import */
	PYSCAN_FOR,      /* for-loop target */
	PYSCAN_WITH,     /* with ... as */
};

struct pyscan_result {
	bool found;
	enum pyscan_kind kind;  /* of the first binding */
	unsigned line, col;     /* of the first binding's name, 1-based */
	unsigned star_line;     /* first `from m import *` at module level; 0: none */
};

/* Scan `src` for a module-level binding of `name` (an ASCII identifier).
 * Returns 1 (found) or 0 (not found) and fills *out; or a negative
 * AB_E_PARSE with err at `file`:line:col for source the tokenizer rejects:
 * "unterminated triple-quoted string literal", "unterminated string literal",
 * "unmatched ')'", "closing ']' does not match opening '('", "'(' was never
 * closed", "source code cannot contain null bytes", "too deeply nested" (more
 * than 200 brackets or f-string levels). Allocates nothing that outlives the
 * call. `file` may be NULL. */
int pyscan_find_name(struct ab_str src, const char *name, const char *file,
		     struct pyscan_result *out, struct ab_err *err);

/* "assignment", "def", "class", "import", "for", "with" ("" for NONE). */
const char *pyscan_kind_name(enum pyscan_kind k);

#endif
