/* cmd_cache.c - `appbuild cache dir|verify|clean`: look after the cache
 * that `appbuild index` (and everything that downloads) fills. */
#include <stdio.h>
#include <string.h>

#include "builder/cache.h"
#include "cli/cli.h"
#include "cli/progress.h"

struct cache_opts {
	const char *cache_dir;
	bool fix;
};

static const struct cli_option cache_options[] = {
	{ "cache-dir", 0, OPT_STRING, offsetof(struct cache_opts, cache_dir), "DIR",
	  "the cache (default $XDG_CACHE_HOME/appbuild)", NULL, NULL },
	{ "fix", 0, OPT_BOOL, offsetof(struct cache_opts, fix), NULL,
	  "verify: delete the corrupt entries", NULL, NULL },
	OPT_END,
};

const struct cmd_spec cache_spec = {
	cache_options,
	sizeof(struct cache_opts),
	"dir | verify | clean",
	"show, verify or empty the download cache",
	"'dir' prints the cache directory: --cache-dir, else $XDG_CACHE_HOME/appbuild,\n"
	"else ~/.cache/appbuild.\n"
	"'verify' checks every entry as a read does (a file must hash to its name, a\n"
	"page must match its header) and names each corrupt one; it exits with 5\n"
	"when there is any, unless --fix deleted them (they are fetched again when\n"
	"needed). It is safe while other appbuild processes use the cache.\n"
	"'clean' removes every entry.",
};

struct bad_ctx {
	struct cli *cli;
	bool fix;
};

static void on_bad(void *data, const char *path, const char *why)
{
	struct bad_ctx *b = data;
	struct ab_loc loc = { path, 0, 0 };
	ab_warn(&b->cli->out, &loc, "corrupt cache entry: %s%s", why, b->fix ? " (deleted)" : "");
}

static void summary(struct ab_buf *b, const struct cache_stats *st)
{
	ab_buf_addf(b, "%u file%s and %u page%s, ", st->files, st->files == 1 ? "" : "s", st->pages,
		    st->pages == 1 ? "" : "s");
	cli_progress_bytes(st->bytes, b);
}

int cmd_cache(struct cmd_ctx *ctx, struct ab_err *err)
{
	const struct cache_opts *o = ctx->opts;
	struct cache c = CACHE_INIT;
	struct cache_stats st;
	struct ab_buf b = AB_BUF_INIT;
	const char *sub = ctx->argc ? ctx->argv[0] : NULL;
	int r;
	if (ctx->argc != 1 ||
	    (strcmp(sub, "dir") && strcmp(sub, "verify") && strcmp(sub, "clean"))) {
		r = ab_err_set(err, AB_E_USAGE,
			       sub && ctx->argc == 1 ? "unknown cache command '%s'"
						     : "expected 'dir', 'verify' or 'clean'",
			       sub);
		ab_err_note(err, "see 'appbuild cache --help'");
		return r;
	}
	if (o->fix && strcmp(sub, "verify")) {
		r = ab_err_set(err, AB_E_USAGE, "option '--fix' is for 'verify' only");
		ab_err_note(err, "see 'appbuild cache --help'");
		return r;
	}
	r = cache_open(&c, o->cache_dir, false, err);
	if (r < 0)
		goto out;
	if (!strcmp(sub, "dir")) {
		printf("%s\n", c.root);
	} else if (!strcmp(sub, "verify")) {
		struct bad_ctx bc = { ctx->cli, o->fix };
		r = cache_verify(&c, o->fix, &st, on_bad, &bc, err);
		if (r < 0)
			goto out;
		summary(&b, &st);
		printf("%s: %u corrupt%s\n", b.buf, st.bad, st.bad && o->fix ? ", deleted" : "");
		if (st.bad && !o->fix) {
			r = ab_err_set(err, AB_E_IO, "%u corrupt cache entr%s in '%s'", st.bad,
				       st.bad == 1 ? "y" : "ies", c.root);
			ab_err_note(err, "'appbuild cache verify --fix' deletes them");
		}
	} else {
		r = cache_clean(&c, &st, err);
		if (r < 0)
			goto out;
		summary(&b, &st);
		printf("removed %s\n", b.buf);
	}
out:
	ab_buf_release(&b);
	cache_release(&c);
	return r;
}
