/* cmd_lock.c - `appbuild lock [DIR]`: resolve dependencies.txt for a target
 * and write dependencies.lock (or pylock.toml), or check that it is fresh.
 *
 * The resolution itself is builder/plan.c, shared with `appbuild bundle`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/lock.h"
#include "builder/plan.h"
#include "cli/cli.h"
#include "cli/planopts.h"

struct lock_opts {
	struct planopts src; /* sources and target, as every resolving command */
	const char *output;
	const char *format;
	bool upgrade;
	struct opt_list upgrade_package;
	bool lowest;
	bool lowest_direct;
	bool check;
};

static const char *const format_choices[] = { "requirements", "pylock", NULL };

static const struct cli_option lock_options[] = {
	PLANOPTS_TABLE(struct lock_opts, src),
	{ "output", 'o', OPT_STRING, offsetof(struct lock_opts, output), "FILE",
	  "write here (default DIR/dependencies.lock or DIR/pylock.toml)", NULL, NULL },
	{ "format", 0, OPT_STRING, offsetof(struct lock_opts, format), "FORMAT",
	  "requirements (pip, default) or pylock (PEP 751)", format_choices, NULL },
	{ "upgrade", 'U', OPT_BOOL, offsetof(struct lock_opts, upgrade), NULL,
	  "ignore the pins of the existing lock", NULL, NULL },
	{ "upgrade-package", 'P', OPT_LIST, offsetof(struct lock_opts, upgrade_package), "NAME",
	  "ignore the existing pin of this package", NULL, NULL },
	{ "lowest", 0, OPT_BOOL, offsetof(struct lock_opts, lowest), NULL,
	  "the oldest allowed version of everything", NULL, NULL },
	{ "lowest-direct", 0, OPT_BOOL, offsetof(struct lock_opts, lowest_direct), NULL,
	  "the oldest allowed version of direct requirements", NULL, NULL },
	{ "check", 0, OPT_BOOL, offsetof(struct lock_opts, check), NULL,
	  "only check that the lock is up to date (exit status 11 if not)", NULL, NULL },
	OPT_END,
};

const struct cmd_spec lock_spec = {
	lock_options,
	sizeof(struct lock_opts),
	"[DIR]",
	"pin the app's dependencies in dependencies.lock",
	"Resolve DIR/dependencies.txt (with its constraints and index options) for the\n"
	"target environment and write DIR/dependencies.lock: a pip requirements file\n"
	"with every distribution pinned '==', the sha256 of every file installable on\n"
	"the target, and '# via' comments. Pins of an existing lock are kept unless\n"
	"--upgrade or --upgrade-package NAME. --format pylock writes a PEP 751\n"
	"pylock.toml instead. --check compares the lock's inputs digest with the\n"
	"inputs now and exits with status 11 when it is stale. Exit status 7 when no\n"
	"resolution exists (the reason is printed), 6 on a network failure.",
};

static void plan_opts_from(const struct lock_opts *o, struct plan_opts *po)
{
	memset(po, 0, sizeof(*po));
	planopts_apply(&o->src, po);
	po->upgrade = o->upgrade;
	po->upgrade_package = o->upgrade_package.v;
	po->nupgrade_package = o->upgrade_package.n;
	po->lowest = o->lowest;
	po->lowest_direct = o->lowest_direct;
	po->pylock = o->format && !strcmp(o->format, "pylock");
	po->lock_path = o->output;
}

int cmd_lock(struct cmd_ctx *ctx, struct ab_err *err)
{
	const struct lock_opts *o = ctx->opts;
	struct plan_opts po;
	struct plan plan;
	struct ab_buf text = AB_BUF_INIT;
	int r;

	plan_opts_from(o, &po);
	/* an app from a git URL is a temporary checkout: the lock goes here */
	if (ctx->src && ctx->src->remote && !po.lock_path)
		po.lock_path = po.pylock ? "pylock.toml" : "dependencies.lock";
	r = plan_prepare(&plan, ctx->app, &po, &ctx->cli->out, err);
	if (r < 0)
		goto out;
	const char *path = plan.lock_path.buf;
	if (o->check) {
		if (!plan.lock_exists) {
			r = ab_err_set(err, AB_E_STALE, "'%s' does not exist", path);
			ab_err_note(err, "run 'appbuild lock' to write it");
		} else if (!plan.lock_fresh) {
			r = ab_err_set(err, AB_E_STALE, "'%s' is stale: its inputs changed", path);
			ab_err_note(err, "run 'appbuild lock' to update it");
		} else
			ab_info(&ctx->cli->out, "%s is up to date", path);
		goto out;
	}
	r = plan_resolve(&plan, err);
	if (r == -AB_E_RESOLVE) {
		fflush(stdout);
		if (plan.res.explanation) /* none for conflicting direct references */
			fprintf(stderr, "%s\n", plan.res.explanation);
		goto out;
	}
	if (r < 0)
		goto out;
	lock_format(&plan.lock, po.pylock ? LOCK_PYLOCK : LOCK_REQUIREMENTS, plan.lock_base, &text);
	if (!plan.lock_exists || plan.lock_text.len != text.len ||
	    memcmp(plan.lock_text.buf, text.buf, text.len))
		r = lock_write_file(path, ab_buf_str(&text), err);
	if (r < 0)
		goto out;
	ab_info(&ctx->cli->out, "locked %zu distributions for %s in %s", plan.res.n,
		plan.tgt.description, path);
out:
	plan_release(&plan);
	ab_buf_release(&text);
	return r;
}
