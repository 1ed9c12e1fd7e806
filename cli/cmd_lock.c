/* cmd_lock.c - `appbuild lock [DIR]`: resolve dependencies.txt for a target
 * and write dependencies.lock (or pylock.toml), or check that it is fresh.
 *
 * Options follow pip's where pip has them; the requirements file's own
 * options (-i, --extra-index-url, -f, --no-index, --pre, --only-binary,
 * --no-binary, --prefer-binary) apply after the command line's, as pip
 * applies them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/http.h"
#include "builder/index.h"
#include "builder/lock.h"
#include "builder/provider_index.h"
#include "builder/resolve.h"
#include "builder/target.h"
#include "cli/cli.h"
#include "formats/core/mem.h"
#include "formats/names.h"

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

/* pip's handle_mutual_excludes(): "a,b", ":all:", ":none:" into the sets. */
static void format_option(const char *value, char ***tv, size_t *tn, char ***ov, size_t *on)
{
	const char *p = value;
	while (*p) {
		size_t l = strcspn(p, ",");
		char *name = ab_xstrndup(p, l);
		p += l + (p[l] == ',');
		if (!strcmp(name, ":all:") || !strcmp(name, ":none:")) {
			for (size_t i = 0; i < *tn; i++)
				free((*tv)[i]);
			*tn = 0;
			if (!strcmp(name, ":all:")) {
				for (size_t i = 0; i < *on; i++)
					free((*ov)[i]);
				*on = 0;
				*tv = ab_xrealloc(*tv, (*tn + 1) * sizeof(**tv));
				(*tv)[(*tn)++] = name;
			} else
				free(name);
			continue;
		}
		char *c = name_canonical_dup(ab_str_from(name));
		free(name);
		for (size_t i = 0; i < *on; i++)
			if (!strcmp((*ov)[i], c)) {
				free((*ov)[i]);
				(*ov)[i] = (*ov)[--*on];
				break;
			}
		bool have = false;
		for (size_t i = 0; i < *tn; i++)
			have = have || !strcmp((*tv)[i], c);
		if (have) {
			free(c);
			continue;
		}
		*tv = ab_xrealloc(*tv, (*tn + 1) * sizeof(**tv));
		(*tv)[(*tn)++] = c;
	}
}

struct fmt_ctl {
	char **nob, **onlyb;
	size_t nnob, nonlyb;
};

static void fmt_ctl_release(struct fmt_ctl *f)
{
	for (size_t i = 0; i < f->nnob; i++)
		free(f->nob[i]);
	for (size_t i = 0; i < f->nonlyb; i++)
		free(f->onlyb[i]);
	free(f->nob);
	free(f->onlyb);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_format_control(const struct lock_opts *o, const struct reqfile *rf,
				   struct fmt_ctl *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < o->only_binary.n; i++)
		format_option(o->only_binary.v[i], &f->onlyb, &f->nonlyb, &f->nob,
			      &f->nnob);
	for (size_t i = 0; i < o->no_binary.n; i++)
		format_option(o->no_binary.v[i], &f->nob, &f->nnob, &f->onlyb,
			      &f->nonlyb);
	/* then the file's, line by line, as pip applies them after the CLI */
	for (size_t i = 0; i < rf->nlines; i++) {
		const struct reqfile_lineopts *lo = &rf->lines[i].opts;
		if (!lo->format_control_set)
			continue;
		for (size_t k = 0; k < lo->format_control.only_binary.n; k++)
			format_option(lo->format_control.only_binary.v[k], &f->onlyb,
				      &f->nonlyb, &f->nob, &f->nnob);
		for (size_t k = 0; k < lo->format_control.no_binary.n; k++)
			format_option(lo->format_control.no_binary.v[k], &f->nob,
				      &f->nnob, &f->onlyb, &f->nonlyb);
	}
	if (f->nob)
		qsort(f->nob, f->nnob, sizeof(*f->nob), str_cmp);
	if (f->onlyb)
		qsort(f->onlyb, f->nonlyb, sizeof(*f->onlyb), str_cmp);
}

/* The path of a file of the app relative to its directory (for the digest:
 * moving the app does not make its lock stale). */
static const char *app_rel(const struct app *app, const char *path)
{
	size_t l = strlen(app->dir);
	if (strcmp(app->dir, ".") && !strncmp(path, app->dir, l) && path[l] == '/')
		return path + l + 1;
	return path;
}

struct parts {
	char **v;
	size_t n, cap;
};

static void part(struct parts *p, const char *fmt, const char *a)
{
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, fmt, a);
	AB_GROW(p->v, p->cap, p->n + 1);
	p->v[p->n++] = ab_buf_detach(&b);
}

static int print_progress_free(struct parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	return 0;
}

static size_t files_cb(void *data, const char *name, const char *version,
		       const struct index_candidate *const **out)
{
	return provider_index_files(data, name, version, out);
}

int cmd_lock(struct cmd_ctx *ctx, struct ab_err *err)
{
	const struct lock_opts *o = ctx->opts;
	const struct app *app = ctx->app;
	const struct reqfile *rf = &app->reqs;
	bool pylock = o->format && !strcmp(o->format, "pylock");
	struct target tgt;
	struct target_spec ts = { o->python_version, o->platform.v, o->platform.n, NULL, NULL };
	struct index_sources src;
	bool have_src = false;
	struct cache cache = CACHE_INIT;
	struct http_client *http = NULL;
	struct index *ix = NULL;
	struct provider_index *pi = NULL;
	struct fmt_ctl fc;
	struct parts parts = { NULL, 0, 0 };
	const char **reqs = NULL, **cons = NULL, **files = NULL, **names = NULL;
	const char **extra = NULL;
	size_t nreqs = 0, ncons = 0, nfiles = 0, nextra = 0, cextra = 0;
	struct ab_buf out_path = AB_BUF_INIT, text = AB_BUF_INIT, old = AB_BUF_INIT;
	struct ab_buf envm = AB_BUF_INIT, via = AB_BUF_INIT, host = AB_BUF_INIT;
	struct lock_pins pins;
	bool have_pins = false;
	struct resolve_pin *prefer = NULL;
	size_t nprefer = 0;
	struct resolve_result res = RESOLVE_RESULT_INIT;
	struct lock lk = LOCK_INIT;
	char digest[65];
	int r;

	collect_format_control(o, rf, &fc);
	memset(&tgt, 0, sizeof(tgt));
	r = cache_open(&cache, o->cache_dir, false, err);
	if (r < 0)
		goto out;
	if (!o->python_version || !o->platform.n) {
		r = target_host_line(&cache, "python3", &host, err);
		if (r < 0)
			goto out;
		ts.host_line = host.buf;
	}
	r = target_init(&tgt, &ts, err);
	if (r < 0)
		goto out;

	/* requirements and constraints */
	reqs = ab_xcalloc(rf->nlines + 1, sizeof(*reqs));
	cons = ab_xcalloc(rf->nlines + 1, sizeof(*cons));
	files = ab_xcalloc(rf->nlines + 2, sizeof(*files));
	cextra = rf->nlines + 1;
	extra = ab_xcalloc(cextra, sizeof(*extra));
	files[nfiles++] = app->deps_path;
	const char *file_index_url = NULL;
	for (size_t i = 0; i < rf->nlines; i++) {
		const struct reqfile_line *l = &rf->lines[i];
		bool seen = false;
		for (size_t k = 0; k < nfiles; k++)
			seen = seen || !strcmp(files[k], l->file);
		if (!seen)
			files[nfiles++] = l->file;
		if (l->opts.index_url)
			file_index_url = l->opts.index_url;
		for (size_t k = 0; k < l->opts.extra_index_urls.n; k++) {
			AB_GROW(extra, cextra, nextra + 1);
			extra[nextra++] = l->opts.extra_index_urls.v[k];
		}
		if (!reqfile_line_is_requirement(l))
			continue;
		struct ab_loc loc = { l->file, l->lineno, l->col };
		if (l->kind == REQFILE_EDITABLE || l->req_kind != REQFILE_REQ_PEP508 || !l->req) {
			r = ab_err_at(err, AB_E_UNSUPPORTED, &loc,
				      "cannot lock '%s': only name-and-version requirements can "
				      "be locked",
				      l->requirement);
			goto out;
		}
		if (l->req->url) {
			/* NEEDSWORK(#6): direct URL requirements (name @ url) */
			r = ab_err_at(err, AB_E_UNSUPPORTED, &loc,
				      "cannot lock '%s': direct URL requirements are not supported "
				      "yet",
				      l->requirement);
			goto out;
		}
		if (l->constraint)
			cons[ncons++] = l->requirement;
		else
			reqs[nreqs++] = l->requirement;
	}
	names = ab_xcalloc(nfiles + 1, sizeof(*names));
	for (size_t i = 0; i < nfiles; i++)
		names[i] = app_rel(app, files[i]);

	/* sources: command line, then the file's */
	struct index_layer cli = { o->index_url, o->extra_index_url.v, o->extra_index_url.n,
				   o->find_links.v, o->find_links.n, o->no_index };
	struct index_layer fl = { file_index_url, extra, nextra,
				  (const char *const *)rf->finder.find_links.v,
				  rf->finder.find_links.n, rf->finder.no_index };
	r = index_sources_resolve(&src, &cli, &fl, NULL, err);
	if (r < 0)
		goto out;
	have_src = true;
	bool pre = o->pre || rf->finder.allow_all_prereleases;
	bool prefer_binary = o->prefer_binary || rf->finder.prefer_binary;

	/* the digest of the inputs: everything that changes the answer */
	part(&parts, "appbuild-lock %s", "1");
	part(&parts, "format %s", pylock ? "pylock" : "requirements");
	part(&parts, "target %s", tgt.description);
	part(&parts, "index-url %s", src.index_url ? src.index_url : "");
	for (size_t i = 0; i < src.nextra; i++)
		part(&parts, "extra-index-url %s", src.extra[i]);
	for (size_t i = 0; i < src.nfind_links; i++)
		part(&parts, "find-links %s", src.find_links[i]);
	part(&parts, "no-index %s", src.no_index ? "1" : "0");
	part(&parts, "pre %s", pre ? "1" : "0");
	for (size_t i = 0; i < fc.nonlyb; i++)
		part(&parts, "only-binary %s", fc.onlyb[i]);
	for (size_t i = 0; i < fc.nnob; i++)
		part(&parts, "no-binary %s", fc.nob[i]);
	part(&parts, "prefer-binary %s", prefer_binary ? "1" : "0");
	part(&parts, "lowest %s", o->lowest ? "1" : o->lowest_direct ? "direct" : "0");
	r = lock_digest((const char *const *)parts.v, parts.n, files, names, nfiles, digest, err);
	if (r < 0)
		goto out;

	if (o->output)
		ab_buf_adds(&out_path, o->output);
	else {
		if (strcmp(app->dir, "."))
			ab_buf_addf(&out_path, "%s/", app->dir);
		ab_buf_adds(&out_path, pylock ? "pylock.toml" : "dependencies.lock");
	}
	const char *base = strrchr(out_path.buf, '/') ? strrchr(out_path.buf, '/') + 1
						      : out_path.buf;
	FILE *f = fopen(out_path.buf, "rb");
	if (f) {
		char chunk[65536];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			ab_buf_add(&old, chunk, n);
		fclose(f);
		lock_read(ab_buf_str(&old), &pins);
		have_pins = true;
	}
	if (o->check) {
		if (!f) {
			r = ab_err_set(err, AB_E_STALE, "'%s' does not exist", out_path.buf);
			ab_err_note(err, "run 'appbuild lock' to write it");
		} else if (strcmp(pins.digest, digest)) {
			r = ab_err_set(err, AB_E_STALE, "'%s' is stale: its inputs changed",
				       out_path.buf);
			ab_err_note(err, "run 'appbuild lock' to update it");
		} else
			ab_info(&ctx->cli->out, "%s is up to date", out_path.buf);
		goto out;
	}
	if (have_pins && !o->upgrade) {
		prefer = ab_xcalloc(pins.n + 1, sizeof(*prefer));
		for (size_t i = 0; i < pins.n; i++) {
			bool skip = false;
			for (size_t k = 0; k < o->upgrade_package.n && !skip; k++)
				skip = name_eq(ab_str_from(o->upgrade_package.v[k]),
					       ab_str_from(pins.pins[i].name));
			if (!skip)
				prefer[nprefer++] = pins.pins[i];
		}
	}

	struct http_opts ho;
	memset(&ho, 0, sizeof(ho));
	ho.retries = -1;
	ho.cert = getenv("APPBUILD_CERT") ? getenv("APPBUILD_CERT") : getenv("PIP_CERT");
	ho.out = &ctx->cli->out;
	http = http_client_new(&ho, err);
	if (!http) {
		r = -AB_E_INTERNAL;
		goto out;
	}
	ix = index_new(&src, &cache, http, o->offline, &ctx->cli->out);
	struct provider_index_options po = {
		&tgt.tags, tgt.python, RESOLVE_RP_FULL,
		(const char *const *)fc.nob, fc.nnob, (const char *const *)fc.onlyb, fc.nonlyb,
		prefer_binary, prefer, nprefer,
	};
	pi = provider_index_new(ix, &po);
	struct resolve_provider prov;
	provider_index_provider(pi, &prov);
	struct resolve_options ro;
	memset(&ro, 0, sizeof(ro));
	ro.env = &tgt.env;
	ro.prereleases = pre ? RESOLVE_PRE_ALLOW : RESOLVE_PRE_IF_NECESSARY;
	ro.yanked = RESOLVE_YANKED_LAST_RESORT;
	ro.requires_python = RESOLVE_RP_FULL;
	ro.lowest = o->lowest;
	ro.lowest_direct = o->lowest_direct;
	ro.prefer = prefer;
	ro.nprefer = nprefer;
	r = resolve_run(&prov, &ro, reqs, nreqs, cons, ncons, &res, err);
	if (r == -AB_E_RESOLVE) {
		fflush(stdout);
		fprintf(stderr, "%s\n", res.explanation ? res.explanation : "");
		ab_err_note(err, "for %s", tgt.description);
		goto out;
	}
	if (r < 0)
		goto out;
	ab_buf_addf(&envm,
		    "implementation_name == \"%s\" and python_full_version == \"%s\" and "
		    "sys_platform == \"%s\" and platform_machine == \"%s\"",
		    tgt.implementation, tgt.python_full_version, tgt.sys_platform, tgt.machine);
	ab_buf_addf(&via, "-r %s", APP_DEPS_FILE);
	struct lock_source ls = { &prov, &tgt.env, reqs, nreqs, via.buf, files_cb, pi, ix };
	r = lock_build(&lk, &res, &ls, tgt.description, envm.buf, digest, err);
	if (r < 0)
		goto out;
	lock_format(&lk, pylock ? LOCK_PYLOCK : LOCK_REQUIREMENTS, base, &text);
	if (!f || old.len != text.len || memcmp(old.buf, text.buf, text.len))
		r = lock_write_file(out_path.buf, ab_buf_str(&text), err);
	if (r < 0)
		goto out;
	ab_info(&ctx->cli->out, "locked %zu distributions for %s in %s", res.n, tgt.description,
		out_path.buf);
out:
	lock_release(&lk);
	resolve_result_release(&res);
	free(prefer);
	if (have_pins)
		lock_pins_release(&pins);
	provider_index_free(pi);
	index_free(ix);
	http_client_free(http);
	cache_release(&cache);
	if (have_src)
		index_sources_release(&src);
	target_release(&tgt);
	fmt_ctl_release(&fc);
	print_progress_free(&parts);
	free(reqs);
	free(cons);
	free(files);
	free(names);
	free(extra);
	ab_buf_release(&out_path);
	ab_buf_release(&text);
	ab_buf_release(&old);
	ab_buf_release(&envm);
	ab_buf_release(&via);
	ab_buf_release(&host);
	return r;
}
