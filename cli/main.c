/* main.c - appbuild's entry point: global options, the command table, and
 * the one place that prints errors and turns them into the exit status.
 *
 * Exit status: 0 success; otherwise the enum ab_errcode of the (first)
 * error: 2 usage, 3 parse error in an input file, 4 invalid app, 5 I/O,
 * 6 network, 7 no resolution, 8 hash mismatch, 9 build failure,
 * 10 unsupported, 70 internal. `check` exits with the code of the first
 * problem it reports. 1 is never used on purpose (it is what a crash or an
 * abort looks like). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "formats/core/mem.h"
#include "formats/suggest.h"

#ifndef AB_VERSION
#define AB_VERSION "0.1.0"
#endif

/* Sorted by name. A command appears here (and so in --help) only once it is
 * implemented. */
static const struct ab_cmd cmds[] = {
	{ "bundle", cmd_bundle, CMD_NEEDS_APP, &bundle_spec },
	{ "cache", cmd_cache, 0, &cache_spec },
	{ "check", cmd_check, CMD_NEEDS_APP, &check_spec },
	{ "deb", cmd_deb, CMD_NEEDS_APP, &deb_spec },
	{ "index", cmd_index, 0, &index_spec },
	{ "lock", cmd_lock, CMD_NEEDS_APP, &lock_spec },
	{ "rpm", cmd_rpm, CMD_NEEDS_APP, &rpm_spec },
};

struct global_opts {
	bool version;
	bool quiet;
	int verbose;
	const char *color;
};

static const char *const color_choices[] = { "auto", "always", "never", NULL };

static const struct cli_option global_options[] = {
	{ "version", 0, OPT_BOOL, offsetof(struct global_opts, version), NULL,
	  "print the version and exit", NULL, NULL },
	{ "quiet", 'q', OPT_BOOL, offsetof(struct global_opts, quiet), NULL,
	  "print only errors", NULL, NULL },
	{ "verbose", 'v', OPT_COUNT, offsetof(struct global_opts, verbose), NULL,
	  "print debug output too", NULL, NULL },
	{ "color", 0, OPT_STRING, offsetof(struct global_opts, color), "WHEN",
	  "colour diagnostics: auto (on a terminal), always, never", color_choices, "always" },
	OPT_END,
};

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const char *const level_colors[] = { "\033[1;31m", "\033[1;35m", "", "" };

/* "file:line:col: " or "appbuild: " */
static void add_loc(struct ab_buf *b, const char *file, unsigned line, unsigned col)
{
	if (!file) {
		ab_buf_adds(b, "appbuild: ");
		return;
	}
	ab_buf_adds(b, file);
	if (line)
		ab_buf_addf(b, ":%u", line);
	if (line && col)
		ab_buf_addf(b, ":%u", col);
	ab_buf_adds(b, ": ");
}

static void add_label(struct cli *cli, struct ab_buf *b, enum ab_out_level lvl)
{
	if (cli->color && *level_colors[lvl])
		ab_buf_addf(b, "%s%s:\033[0m ", level_colors[lvl], level_names[lvl]);
	else
		ab_buf_addf(b, "%s: ", level_names[lvl]);
}

static void add_notes(struct cli *cli, struct ab_buf *b, struct ab_str notes)
{
	while (notes.len) {
		long nl = ab_str_chr(notes, '\n');
		struct ab_str line = ab_str_make(notes.ptr, nl < 0 ? notes.len : (size_t)nl);
		ab_buf_addf(b, "  %snote:%s " AB_STR_FMT "\n", cli->color ? "\033[1;36m" : "",
			    cli->color ? "\033[0m" : "", AB_STR_ARG(line));
		notes = ab_str_skip(notes, nl < 0 ? notes.len : (size_t)nl + 1);
	}
}

void cli_print_err(struct cli *cli, const struct ab_err *e)
{
	struct ab_buf b = AB_BUF_INIT;
	add_loc(&b, e->file, e->line, e->col);
	add_label(cli, &b, AB_OUT_ERROR);
	ab_buf_addf(&b, "%s\n", e->msg.len ? e->msg.buf : "unknown error");
	add_notes(cli, &b, ab_buf_str(&e->notes));
	fflush(stdout);
	fputs(b.buf, stderr);
	ab_buf_release(&b);
}

/* struct ab_out's sink: warnings and errors like errors, info as is. */
static void emit(struct ab_out *out, enum ab_out_level lvl, const struct ab_loc *loc,
		 const char *msg)
{
	struct cli *cli = out->data;
	struct ab_buf b = AB_BUF_INIT;
	if (lvl <= AB_OUT_WARN) {
		add_loc(&b, loc ? loc->file : NULL, loc ? loc->line : 0, loc ? loc->col : 0);
		add_label(cli, &b, lvl);
	}
	ab_buf_addf(&b, "%s\n", msg);
	fflush(stdout);
	fputs(b.buf, stderr);
	ab_buf_release(&b);
}

static void print_main_help(void)
{
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_adds(&b, "usage: appbuild [OPTIONS] COMMAND [ARGS]\n\n"
			"Package a Python WSGI app for deployment.\n\nCommands:\n");
	for (size_t i = 0; i < AB_ARRAY_SIZE(cmds); i++)
		ab_buf_addf(&b, "  %-10s%s\n", cmds[i].name, cmds[i].spec->summary);
	ab_buf_adds(&b, "\n");
	options_help(global_options, &b);
	ab_buf_adds(&b, "\nRun 'appbuild COMMAND --help' for the options of a command.\n");
	fputs(b.buf, stdout);
	ab_buf_release(&b);
}

static void print_cmd_help(const struct ab_cmd *cmd)
{
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "usage: appbuild %s [OPTIONS]%s%s\n\n%s\n\n", cmd->name,
		    cmd->spec->args ? " " : "", cmd->spec->args ? cmd->spec->args : "",
		    cmd->spec->description);
	options_help(cmd->spec->options, &b);
	fputs(b.buf, stdout);
	ab_buf_release(&b);
}

static const struct ab_cmd *find_cmd(const char *name)
{
	size_t lo = 0, hi = AB_ARRAY_SIZE(cmds);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, cmds[mid].name);
		if (c == 0)
			return &cmds[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int unknown_cmd(const char *name, struct ab_err *err)
{
	const char *names[AB_ARRAY_SIZE(cmds)];
	for (size_t i = 0; i < AB_ARRAY_SIZE(cmds); i++)
		names[i] = cmds[i].name;
	int r = ab_err_set(err, AB_E_USAGE, "unknown command '%s'", name);
	const char *hint = suggest_closest(ab_str_from(name), names, AB_ARRAY_SIZE(names));
	if (hint)
		ab_err_note(err, "did you mean '%s'?", hint);
	ab_err_note(err, "see 'appbuild --help' for the commands");
	return r;
}

/* Parse the command's options, load its app if it needs one, run it. */
static int run_cmd(struct cli *cli, const struct ab_cmd *cmd, int argc, char **argv,
		   struct ab_err *err)
{
	void *opts = ab_xcalloc(1, cmd->spec->options_size ? cmd->spec->options_size : 1);
	struct app app;
	struct appsrc src = APPSRC_INIT;
	bool have_app = false;
	int nargs = 0;
	int r = options_parse(cmd->spec->options, opts, argc, argv, 0, &nargs, err);
	if (r == 1) {
		print_cmd_help(cmd);
		r = 0;
		goto out;
	}
	if (r < 0)
		goto usage;
	struct cmd_ctx ctx = { cli, opts, NULL, nargs, argv, NULL };
	if (cmd->flags & CMD_NEEDS_APP) {
		if (nargs > 1) {
			r = ab_err_set(err, AB_E_USAGE, "unexpected argument '%s'", argv[1]);
			goto usage;
		}
		ctx.argc = 0;
		ctx.argv = argv + nargs;
		/* a git URL is checked out first (builder/appsrc.h) */
		r = appsrc_open(nargs ? argv[0] : ".", appsrc_cache_arg(argc, argv), false, &src,
				&cli->out, err);
		if (r < 0)
			goto out;
		ctx.src = &src;
		r = app_load(src.dir, &app, &cli->out, err);
		have_app = true;
		if (r < 0) {
			/* every problem, not just the first: fix them all in one go */
			for (size_t i = 1; i < app.nproblems; i++) {
				cli_print_err(cli, err);
				ab_err_release(err);
				*err = app.problems[i];
				ab_err_init(&app.problems[i]);
			}
			goto out;
		}
		ctx.app = &app;
	}
	r = cmd->run(&ctx, err);
	goto out;
usage:
	ab_err_note(err, "see 'appbuild %s --help'", cmd->name);
out:
	if (have_app)
		app_release(&app);
	appsrc_release(&src);
	options_release(cmd->spec->options, opts);
	free(opts);
	return r;
}

static bool want_color(const char *when)
{
	if (!when || strcmp(when, "auto") == 0) {
		const char *term = getenv("TERM");
		return isatty(STDERR_FILENO) && !getenv("NO_COLOR") && term &&
		       strcmp(term, "dumb") != 0;
	}
	return strcmp(when, "always") == 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { .verbosity = AB_OUT_INFO };
	struct global_opts g = { 0 };
	struct ab_err err = AB_ERR_INIT;
	int nargs = 0;
	int r;

	ab_heap_tune();
	/* glibc re-reads (stats) /etc/localtime on every localtime() while TZ
	 * is unset, and libarchive's zip reader converts each member's DOS time
	 * with mktime(): 1700 stat calls per flask bundle, as many for the
	 * packages of deb and rpm. The same zone, read once. */
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 1);
	cli.out = (struct ab_out){ AB_OUT_INFO, emit, &cli, NULL };
	r = options_parse(global_options, &g, argc - 1, argv + 1, OPTIONS_STOP_AT_ARG, &nargs,
			  &err);
	cli.color = want_color(g.color);
	if (r == 1) {
		print_main_help();
		r = 0;
		goto out;
	}
	if (r < 0) {
		ab_err_note(&err, "see 'appbuild --help'");
		goto out;
	}
	if (g.version) {
		printf("appbuild %s\n", AB_VERSION);
		goto out;
	}
	cli.verbosity = g.quiet ? AB_OUT_ERROR : g.verbose ? AB_OUT_DEBUG : AB_OUT_INFO;
	cli.out.verbosity = cli.verbosity;
	if (nargs == 0) {
		r = ab_err_set(&err, AB_E_USAGE, "no command given");
		ab_err_note(&err, "see 'appbuild --help' for the commands");
		goto out;
	}
	const struct ab_cmd *cmd = find_cmd(argv[1]);
	if (!cmd) {
		r = unknown_cmd(argv[1], &err);
		goto out;
	}
	r = run_cmd(&cli, cmd, nargs - 1, argv + 2, &err);
out:
	if (r < 0)
		cli_print_err(&cli, &err);
	ab_err_release(&err);
	if (fflush(stdout) != 0 && r >= 0) {
		fprintf(stderr, "appbuild: error: cannot write the output\n");
		return AB_E_IO;
	}
	return r < 0 ? -r : 0;
}
