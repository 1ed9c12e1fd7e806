/* options.h - command-line options as data.
 *
 * One table per command (and one for the global options) drives parsing,
 * `--help` and the man page, as git's parse-options and apk's applet
 * options do. Each option writes into a field of the command's own options
 * struct, found by offsetof(). */
#ifndef AB_CLI_OPTIONS_H
#define AB_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"

enum opt_kind {
	OPT_BOOL,   /* bool field: --json */
	OPT_COUNT,  /* int field, +1 per use: -v -v */
	OPT_STRING, /* const char * field (points into argv): --out FILE, --out=FILE, -oFILE;
		     * given twice, the last one wins (as in pip and git) */
	OPT_LIST,   /* struct opt_list field: repeatable, every value kept in order */
};

/* The field of an OPT_LIST option: the values of every use, in command-line
 * order, like pip's action="append" (`--extra-index-url A --extra-index-url B`,
 * `-f X --find-links Y`, `--platform T1 --platform T2`). The strings point
 * into argv; the array is allocated by options_parse() and freed by
 * options_release(). An option never given has { NULL, 0 }. Values are kept
 * as given: no splitting, no duplicate removal (the command decides; e.g.
 * index_sources_resolve() drops duplicate URLs). `choices` applies to each
 * value; `implicit` is not supported (a list value is always required).
 *
 * Declaring and using one:
 *
 *	struct lock_opts { struct opt_list platform; ... };
 *	{ "platform", 0, OPT_LIST, offsetof(struct lock_opts, platform), "TAG",
 *	  "a target platform tag", NULL, NULL },
 *	...
 *	for (size_t i = 0; i < o->platform.n; i++)
 *		use(o->platform.v[i]);
 *
 * `struct opt_list` is laid out as a (const char *const *, size_t) pair, so
 * `o->platform.v, o->platform.n` can be passed where an API takes an array
 * and a count (struct index_layer's extra_index_urls/nextra). --help adds
 * " (repeatable)" after the help text by itself. For a command of main.c's
 * table, run_cmd() calls options_release() once the command has returned:
 * the command only reads its lists. */
struct opt_list {
	const char **v;
	size_t n;
};

struct cli_option {
	const char *name;    /* long name without "--"; NULL ends a table */
	char short_name;     /* 0: none */
	enum opt_kind kind;
	size_t offset;       /* of the field in the options struct */
	const char *argname; /* OPT_STRING, OPT_LIST: "WHEN" in --help */
	const char *help;    /* one line, lowercase */
	/* OPT_STRING, OPT_LIST: the allowed values (NULL-terminated), or NULL
	 * for any. */
	const char *const *choices;
	/* OPT_STRING: the value when given without "=VALUE" (--color), making the
	 * argument optional; NULL: the argument is required. */
	const char *implicit;
};

#define OPT_END { NULL, 0, OPT_BOOL, 0, NULL, NULL, NULL, NULL }

enum options_flags {
	/* Stop at the first argument that is not an option (the global options
	 * before a command); otherwise options and arguments may mix. */
	OPTIONS_STOP_AT_ARG = 1 << 0,
};

/* Parse argv[0..argc) (argv[0] is the first argument, not the program)
 * against `opts`, writing into `dest`. "-h"/"--help" are always known.
 * The arguments that are not options are moved, in order, to the front of
 * argv and counted in *nargs; with OPTIONS_STOP_AT_ARG they are the first
 * non-option and everything after it. "--" ends the options.
 * Returns 0, 1 when help was asked for, or -AB_E_USAGE with err set
 * ("unknown option '--jsno'" with a "did you mean '--json'?" note, "option
 * '--json' takes no value", "option '--color' needs a value", "invalid
 * value 'x' for '--color'"). `dest` must start zeroed (OPT_LIST fields
 * { NULL, 0 }); call options_release() afterwards, whatever the result:
 * lists may hold values even when parsing failed later on. */
int options_parse(const struct cli_option *opts, void *dest, int argc, char **argv, unsigned flags,
		  int *nargs, struct ab_err *err);

/* Free what options_parse() allocated in `dest` (the arrays of OPT_LIST
 * fields, which are reset to { NULL, 0 }). Safe on a zeroed `dest` and
 * twice. The strings themselves belong to argv. */
void options_release(const struct cli_option *opts, void *dest);

/* The "Options:" block of --help, one line per option, aligned. Appends. */
void options_help(const struct cli_option *opts, struct ab_buf *out);

#endif
