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
	OPT_STRING, /* const char * field (points into argv): --out FILE, --out=FILE, -oFILE */
};

struct cli_option {
	const char *name;    /* long name without "--"; NULL ends a table */
	char short_name;     /* 0: none */
	enum opt_kind kind;
	size_t offset;       /* of the field in the options struct */
	const char *argname; /* OPT_STRING: "WHEN" in --help */
	const char *help;    /* one line, lowercase */
	/* OPT_STRING: the allowed values (NULL-terminated), or NULL for any. */
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
 * value 'x' for '--color'"). */
int options_parse(const struct cli_option *opts, void *dest, int argc, char **argv, unsigned flags,
		  int *nargs, struct ab_err *err);

/* The "Options:" block of --help, one line per option, aligned. Appends. */
void options_help(const struct cli_option *opts, struct ab_buf *out);

#endif
