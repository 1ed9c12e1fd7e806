/* cli.h - what cli/main.c shares with the cli/cmd_*.c commands. */
#ifndef AB_CLI_H
#define AB_CLI_H

#include <stdbool.h>

#include "builder/app.h"
#include "builder/appsrc.h"
#include "cli/options.h"
#include "formats/core/err.h"
#include "formats/core/out.h"

/* Global state of one run: only cli/ keeps any. */
struct cli {
	int verbosity; /* enum ab_out_level: messages above it are dropped */
	bool color;    /* colour diagnostics on stderr */
	struct ab_out out;
};

/* What a command runs with. */
struct cmd_ctx {
	struct cli *cli;
	const void *opts; /* the command's options struct, filled from its table */
	struct app *app;  /* CMD_NEEDS_APP: the app, loaded without problems; else NULL */
	int argc;         /* arguments that are not options (DIR taken out) */
	char **argv;
	/* CMD_NEEDS_APP: where the app came from (a directory, or a git URL
	 * checked out for the run: builder/appsrc.h) */
	const struct appsrc *src;
};

enum cmd_flags {
	/* The command works on an app: it takes an optional DIR argument (default
	 * "."), and main loads the app and reports its problems before the
	 * command runs. */
	CMD_NEEDS_APP = 1 << 0,
};

/* Returns 0, or a negative AB_E_* with `err` set; main prints it. */
typedef int cmd_fn(struct cmd_ctx *ctx, struct ab_err *err);

/* What a command's --help (and man page) and parser need; cmd_<name>.c
 * defines it next to its options struct. */
struct cmd_spec {
	const struct cli_option *options; /* ends with OPT_END */
	size_t options_size;              /* sizeof the options struct */
	const char *args;                 /* synopsis of the arguments: "[DIR]" */
	const char *summary;              /* one line for `appbuild --help` */
	const char *description;          /* paragraphs for `appbuild CMD --help` */
};

/* An entry of main.c's sorted command table. */
struct ab_cmd {
	const char *name;
	cmd_fn *run;
	unsigned flags; /* enum cmd_flags */
	const struct cmd_spec *spec;
};

/* Print an error as "file:line:col: error: msg" (or "appbuild: error: msg"
 * without a file), then each note as "  note: ...". */
void cli_print_err(struct cli *cli, const struct ab_err *e);

/* The commands, one cmd_<name>.c each. */
cmd_fn cmd_bundle;
extern const struct cmd_spec bundle_spec;
cmd_fn cmd_check;
extern const struct cmd_spec check_spec;
cmd_fn cmd_deb;
extern const struct cmd_spec deb_spec;
cmd_fn cmd_cache;
extern const struct cmd_spec cache_spec;
cmd_fn cmd_index;
extern const struct cmd_spec index_spec;
cmd_fn cmd_lock;
extern const struct cmd_spec lock_spec;
cmd_fn cmd_rpm;
extern const struct cmd_spec rpm_spec;

#endif
