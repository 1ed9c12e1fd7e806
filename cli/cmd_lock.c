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

struct lock_opts {
	const char *index_url;
	struct opt_list extra_index_url;
	struct opt_list find_links;
	bool no_index;
	bool pre;
	struct opt_list only_binary;
	struct opt_list no_binary;
	bool prefer_binary;
	const char *python_version;
	struct opt_list platform;
	const char *output;
	const char *format;
	const char *cache_dir;
	bool offline;
	bool upgrade;
	struct opt_list upgrade_package;
	bool lowest;
	bool lowest_direct;
	bool check;
};

static const char *const format_choices[] = { "requirements", "pylock", NULL };

static const struct cli_option lock_options[] = {
	{ "index-url", 'i', OPT_STRING, offsetof(struct lock_opts, index_url), "URL",
	  "the primary index (default https://pypi.org/simple/)", NULL, NULL },
	{ "extra-index-url", 0, OPT_LIST, offsetof(struct lock_opts, extra_index_url), "URL",
	  "another index", NULL, NULL },
	{ "find-links", 'f', OPT_LIST, offsetof(struct lock_opts, find_links), "PATH",
	  "a directory or HTML page of distributions", NULL, NULL },
	{ "no-index", 0, OPT_BOOL, offsetof(struct lock_opts, no_index), NULL,
	  "use no index, only --find-links", NULL, NULL },
	{ "pre", 0, OPT_BOOL, offsetof(struct lock_opts, pre), NULL,
	  "allow pre-releases and development versions", NULL, NULL },
	{ "only-binary", 0, OPT_LIST, offsetof(struct lock_opts, only_binary), "NAMES",
	  "use no sdists of these (comma-separated, :all:, :none:)", NULL, NULL },
	{ "no-binary", 0, OPT_LIST, offsetof(struct lock_opts, no_binary), "NAMES",
	  "use no wheels of these (comma-separated, :all:, :none:)", NULL, NULL },
	{ "prefer-binary", 0, OPT_BOOL, offsetof(struct lock_opts, prefer_binary), NULL,
	  "prefer an older wheel to a newer sdist", NULL, NULL },
	{ "python-version", 0, OPT_STRING, offsetof(struct lock_opts, python_version), "X.Y",
	  "the target python (default: the host's python3)", NULL, NULL },
	{ "platform", 0, OPT_LIST, offsetof(struct lock_opts, platform), "TAG",
	  "a target platform tag, best first (default: the host's)", NULL, NULL },
	{ "output", 'o', OPT_STRING, offsetof(struct lock_opts, output), "FILE",
	  "write here (default DIR/dependencies.lock or DIR/pylock.toml)", NULL, NULL },
	{ "format", 0, OPT_STRING, offsetof(struct lock_opts, format), "FORMAT",
	  "requirements (pip, default) or pylock (PEP 751)", format_choices, NULL },
	{ "cache-dir", 0, OPT_STRING, offsetof(struct lock_opts, cache_dir), "DIR",
	  "the cache (default $XDG_CACHE_HOME/appbuild)", NULL, NULL },
	{ "offline", 0, OPT_BOOL, offsetof(struct lock_opts, offline), NULL,
	  "answer from the cache only", NULL, NULL },
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
	po->index_url = o->index_url;
	po->extra_index_url = o->extra_index_url.v;
	po->nextra_index_url = o->extra_index_url.n;
	po->find_links = o->find_links.v;
	po->nfind_links = o->find_links.n;
	po->no_index = o->no_index;
	po->pre = o->pre;
	po->only_binary = o->only_binary.v;
	po->nonly_binary = o->only_binary.n;
	po->no_binary = o->no_binary.v;
	po->nno_binary = o->no_binary.n;
	po->prefer_binary = o->prefer_binary;
	po->python_version = o->python_version;
	po->platform = o->platform.v;
	po->nplatform = o->platform.n;
	po->cache_dir = o->cache_dir;
	po->offline = o->offline;
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
		fprintf(stderr, "%s\n", plan.res.explanation ? plan.res.explanation : "");
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
