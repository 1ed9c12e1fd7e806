/* svcrender_drv.c - test driver for builder/svcrender (issue #8): renders a
 * supervisor.yaml for another supervisor, for tests/cli/08*-render-*.sh
 * until `appbuild bundle` does it.
 *
 *   svcrender-drv supervisord|circus|systemd CONFIG APP ROOT OUTDIR [RUN_DIR [USER]]
 *
 * Exit 0, or the error's code with "error: MESSAGE" on stderr. */
#include <stdio.h>
#include <string.h>

#include "builder/svcrender.h"

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr,
			"usage: svcrender-drv KIND CONFIG APP ROOT OUTDIR [RUN_DIR [USER]]\n");
		return 2;
	}
	struct svcrender_opts o = { .app = argv[3], .root = argv[4] };
	if (strcmp(argv[1], "supervisord") == 0)
		o.kind = SVCRENDER_SUPERVISORD;
	else if (strcmp(argv[1], "circus") == 0)
		o.kind = SVCRENDER_CIRCUS;
	else if (strcmp(argv[1], "systemd") == 0)
		o.kind = SVCRENDER_SYSTEMD;
	else {
		fprintf(stderr, "error: unknown kind '%s'\n", argv[1]);
		return 2;
	}
	if (argc > 6 && argv[6][0])
		o.run_dir = argv[6];
	if (argc > 7)
		o.user = argv[7];
	struct supconf c = { 0 };
	struct ab_err err = AB_ERR_INIT;
	int r = supconf_load(argv[2], &c, &err);
	if (r >= 0)
		r = svcrender_write(&o, c.procs, c.nprocs, argv[5], &err);
	if (r < 0) {
		struct ab_buf msg = AB_BUF_INIT;
		ab_err_format(&err, &msg);
		fprintf(stderr, "%s\n", msg.buf);
		ab_buf_release(&msg);
	}
	supconf_release(&c);
	ab_err_release(&err);
	return r < 0 ? -r : 0;
}
