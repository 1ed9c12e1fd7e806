/* main.c - appbuild-supervisor: the process supervisor that ships inside
 * every bundle (issue #8), and its control client.
 *
 *   appbuild-supervisor run [OPTIONS] CONFIG    supervise until stopped
 *   appbuild-supervisor check CONFIG            validate a supervisor.yaml
 *   appbuild-supervisor ctl (--run-dir DIR | --socket PATH | --config CONFIG) COMMAND...
 *
 * Not part of libappbuild.a (the Makefile's builder/ glob stops one level
 * down): it links only builder/supervisor/, formats/core/ and libyaml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/supervisor/sup.h"
#include "builder/supervisor/supconf.h"
#include "formats/core/buf.h"

static const char usage[] =
	"usage: appbuild-supervisor run [OPTIONS] CONFIG\n"
	"       appbuild-supervisor check CONFIG\n"
	"       appbuild-supervisor ctl (--run-dir DIR | --socket PATH | --config CONFIG) COMMAND...\n"
	"\n"
	"run options:\n"
	"      --run-dir DIR          control socket and logs (default: the config's run_dir)\n"
	"      --output MODE          prefix, files or inherit (default: the config's output)\n"
	"      --stats-http IP:PORT   serve the status with CPU and RSS as JSON over HTTP\n"
	"      --no-subreaper         do not adopt orphaned grandchildren\n"
	"  -q, --quiet                no event lines on stderr (errors still are)\n"
	"\n"
	"ctl commands: status [--json] [NAME[.N]], stop [NAME[.N]], start NAME[.N],\n"
	"  restart [NAME[.N]], scale NAME=N, signal NAME[.N] SIG, reload\n";

static int fail_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "appbuild-supervisor: error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n  note: see 'appbuild-supervisor --help'\n");
	return 2;
}

static int report(struct ab_err *err)
{
	struct ab_buf b = AB_BUF_INIT;
	ab_err_format(err, &b);
	fprintf(stderr, "%s%s\n", err->file ? "" : "appbuild-supervisor: ", b.buf);
	/* notes: "\n"-separated context lines */
	for (const char *n = err->notes.buf; *n;) {
		const char *e = strchr(n, '\n');
		size_t len = e ? (size_t)(e - n) : strlen(n);
		fprintf(stderr, "  note: %.*s\n", (int)len, n);
		n += len + (e ? 1 : 0);
	}
	ab_buf_release(&b);
	int code = err->code;
	ab_err_release(err);
	return code;
}

/* --name VALUE or --name=VALUE */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int cmd_run(int argc, char **argv)
{
	struct sup_opts o = { .output = -1, .out_fd = 1, .log_fd = 2 };
	struct ab_err err = AB_ERR_INIT;
	const char *v;
	for (int i = 0; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--run-dir")))
			o.run_dir = v;
		else if ((v = opt_value(argc, argv, &i, "--stats-http")))
			o.stats_http = v;
		else if ((v = opt_value(argc, argv, &i, "--output"))) {
			if (strcmp(v, "prefix") == 0)
				o.output = SUPCONF_OUTPUT_PREFIX;
			else if (strcmp(v, "files") == 0)
				o.output = SUPCONF_OUTPUT_FILES;
			else if (strcmp(v, "inherit") == 0)
				o.output = SUPCONF_OUTPUT_INHERIT;
			else
				return fail_usage("invalid value '%s' for '--output'", v);
		} else if (strcmp(argv[i], "--no-subreaper") == 0)
			o.no_subreaper = true;
		else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			o.quiet = true;
		else if (argv[i][0] == '-')
			return fail_usage("unknown option or missing value '%s'", argv[i]);
		else if (o.config)
			return fail_usage("unexpected argument '%s'", argv[i]);
		else
			o.config = argv[i];
	}
	if (!o.config)
		return fail_usage("no config file given%s", "");
	int r = sup_run(&o, &err);
	return r < 0 ? report(&err) : r;
}

static int cmd_check(int argc, char **argv)
{
	if (argc != 1)
		return fail_usage("'check' takes one config file%s", "");
	struct supconf c;
	struct ab_err err = AB_ERR_INIT;
	if (supconf_load(argv[0], &c, &err) < 0)
		return report(&err);
	for (size_t i = 0; i < c.nprocs; i++)
		printf("%s: %ld instance%s, restart %s\n", c.procs[i].name, c.procs[i].instances,
		       c.procs[i].instances == 1 ? "" : "s", supconf_restart_name(c.procs[i].restart));
	supconf_release(&c);
	return 0;
}

static int cmd_ctl(int argc, char **argv)
{
	char *sock = NULL;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf line = AB_BUF_INIT;
	const char *v;
	int i, r;
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		free(sock);
		sock = NULL;
		if ((v = opt_value(argc, argv, &i, "--socket"))) {
			sock = strdup(v);
		} else if ((v = opt_value(argc, argv, &i, "--run-dir"))) {
			sock = sup_socket_path(v);
		} else if ((v = opt_value(argc, argv, &i, "--config"))) {
			struct supconf c;
			if (supconf_load(v, &c, &err) < 0)
				return report(&err);
			sock = sup_socket_path(c.run_dir);
			supconf_release(&c);
		} else {
			return fail_usage("unknown option or missing value '%s'", argv[i]);
		}
	}
	if (!sock)
		return fail_usage("'ctl' needs --run-dir, --socket or --config%s", "");
	if (i == argc) {
		free(sock);
		return fail_usage("'ctl' needs a command%s", "");
	}
	for (; i < argc; i++)
		ab_buf_addf(&line, "%s%s", line.len ? " " : "", argv[i]);
	r = sup_ctl(sock, line.buf, 1, 2, &err);
	free(sock);
	ab_buf_release(&line);
	return r < 0 ? report(&err) : r;
}

int main(int argc, char **argv)
{
	/* First thing: a TERM or HUP during start-up waits in the signalfd. */
	sup_block_signals();
	if (argc < 2)
		return fail_usage("no command given%s", "");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 2, argv + 2);
	if (strcmp(argv[1], "ctl") == 0)
		return cmd_ctl(argc - 2, argv + 2);
	return fail_usage("unknown command '%s'", argv[1]);
}
