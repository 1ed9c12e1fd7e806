/* cmd_pkg.c - `appbuild deb [DIR]` and `appbuild rpm [DIR]`: the app as OS
 * packages, one per pinned distribution plus the environment and the app
 * (builder/pkgset.h), written by builder/pkg_deb.c or builder/pkg_rpm.c
 * (SPEC.md, "appbuild deb and appbuild rpm"). RPMs are built one process
 * per package (librpm's global state), DEBs one thread per package.
 *
 * The pins come exactly as for `appbuild bundle`: a fresh
 * DIR/dependencies.lock followed exactly, else a resolution (builder/plan.c).
 * The trees are staged under $TMPDIR and removed afterwards; each package
 * is written atomically into the output directory, and a failure removes
 * the packages of this run already written. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/bundle.h"
#include "builder/interp.h"
#include "builder/pkg_deb.h"
#include "builder/pkg_rpm.h"
#include "builder/pkgset.h"
#include "builder/plan.h"
#include "builder/sdist.h"
#include "cli/cli.h"
#include "cli/planopts.h"
#include "formats/core/fs.h"
#include "formats/core/mem.h"

struct pkg_opts {
	struct planopts src; /* sources and target, as every resolving command */
	const char *output;
	const char *python;
	bool single;
	const char *name_prefix;
	const char *prefix;
	const char *repo;
	const char *target;
};

#define PKG_OPTIONS(fam)                                                                         \
	PLANOPTS_TABLE(struct pkg_opts, src),                                                     \
	{ "output", 'o', OPT_STRING, offsetof(struct pkg_opts, output), "DIR",                  \
	  "write the packages here (default DIR/dist/)", NULL, NULL },                            \
	{ "python", 0, OPT_STRING, offsetof(struct pkg_opts, python), "PATH",                   \
	  "the target interpreter (default: /usr/bin/python3)", NULL, NULL },                    \
	{ "single", 0, OPT_BOOL, offsetof(struct pkg_opts, single), NULL,                       \
	  "one package holding the whole environment and the app", NULL, NULL },                 \
	{ "name-prefix", 0, OPT_STRING, offsetof(struct pkg_opts, name_prefix), "PREFIX",       \
	  "distribution packages are PREFIX-<name> (default <app>-python3)", NULL, NULL },        \
	{ "prefix", 0, OPT_STRING, offsetof(struct pkg_opts, prefix), "PATH",                   \
	  "install under PATH (default /opt/<app>)", NULL, NULL },                                \
	{ "repo", 0, OPT_STRING, offsetof(struct pkg_opts, repo), "DIR",                        \
	  "also put the packages into the repository DIR and index it", NULL, NULL },             \
	{ "target", 0, OPT_STRING, offsetof(struct pkg_opts, target), "FAMILY",                 \
	  "the distribution whose package names to use (default " fam ")", NULL, NULL },         \
	OPT_END

static const struct cli_option deb_options[] = { PKG_OPTIONS("debian") };

const struct cmd_spec deb_spec = {
	deb_options,
	sizeof(struct pkg_opts),
	"[DIR]",
	"build the app as Debian packages",
	"Pin the app's dependencies (from a fresh DIR/dependencies.lock, else by\n"
	"resolving as `appbuild lock` does) and write one .deb per pinned distribution\n"
	"(<app>-python3-<name>), one for the environment (<app>-python3) and one for\n"
	"the app (<app>), installing under /opt/<app>, into DIR/dist/. The app package\n"
	"depends on every other with its exact version. Reproducible: every time stamp\n"
	"is SOURCE_DATE_EPOCH (else the git commit time). One line per package written.\n"
	"--repo DIR also makes DIR a flat apt repository (deb [trusted=yes] file:DIR ./).",
};

static const struct cli_option rpm_options[] = { PKG_OPTIONS("fedora") };

const struct cmd_spec rpm_spec = {
	rpm_options,
	sizeof(struct pkg_opts),
	"[DIR]",
	"build the app as RPM packages",
	"Pin the app's dependencies (from a fresh DIR/dependencies.lock, else by\n"
	"resolving as `appbuild lock` does) and write one RPM per pinned distribution\n"
	"(<app>-python3-<name>), one for the environment (<app>-python3) and one for\n"
	"the app (<app>), installing under /opt/<app>, into DIR/dist/. The app package\n"
	"requires every other with its exact version. Reproducible: every time stamp\n"
	"is SOURCE_DATE_EPOCH (else the git commit time). One line per package written.\n"
	"--repo DIR also makes DIR a dnf/yum repository (createrepo_c).",
};

/* The supervisor binary next to the running appbuild, shipped in the app
 * package when it is there. */
static char *supervisor_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return NULL;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "%s/appbuild-supervisor", self);
	if (access(b.buf, X_OK) < 0) {
		ab_buf_release(&b);
		return NULL;
	}
	return ab_buf_detach(&b);
}

/* -v: how long each step took ("deb: resolve 120 ms"), since the previous
 * call. */
static void phase(struct ab_out *out, struct timespec *t0, const char *what)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - t0->tv_sec) * 1e3 +
		    (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
	if (what)
		ab_out_msg(out, AB_OUT_DEBUG, NULL, "pkg: %s %.0f ms", what, ms);
	*t0 = now;
}

static int run_pkg(struct cmd_ctx *ctx, enum osver_family family, struct ab_err *err)
{
	const struct pkg_opts *o = ctx->opts;
	const struct app *app = ctx->app;
	struct ab_out *out = &ctx->cli->out;
	struct plan plan;
	struct plan_opts po;
	struct interp py;
	struct pkgset set = PKGSET_INIT;
	struct ab_buf outdir = AB_BUF_INIT, stage = AB_BUF_INIT;
	bool have_py = false, have_stage = false;
	char commit[41];
	char *sup = NULL, **paths = NULL;
	int64_t mtime = 0;
	struct timespec t0;
	int r;

	phase(out, &t0, NULL);
	memset(&plan, 0, sizeof(plan));
	memset(&po, 0, sizeof(po));
	planopts_apply(&o->src, &po);
	/* the interpreter the OS package `python3` installs, not one on PATH
	 * (pyenv, a venv): bin/python links to it on every host */
	const char *python = o->python ? o->python : "/usr/bin/python3";
	po.python = python;
	po.exact = true;
	r = plan_prepare(&plan, app, &po, out, err);
	if (r < 0)
		goto out;
	if (o->output)
		ab_buf_adds(&outdir, o->output);
	else
		ab_buf_addf(&outdir, "%s/dist", app->dir);
	r = bundle_source_time(app->dir, &mtime, err);
	if (r < 0)
		goto out;
	bool has_commit = bundle_source_commit(app->dir, commit);
	sup = supervisor_path();
	r = interp_query(python, &py, err);
	if (r < 0)
		goto out;
	have_py = true;
	phase(out, &t0, "prepare");

	if (!plan.lock_exists)
		ab_info(out, "no %s: resolving", plan.lock_path.buf);
	else if (!plan.lock_fresh)
		ab_warn(out, NULL, "%s is stale (its inputs changed): resolving again; run "
			"'appbuild lock' to update it", plan.lock_path.buf);
	r = plan_resolve(&plan, err);
	if (r == -AB_E_RESOLVE) {
		fflush(stdout);
		fprintf(stderr, "%s\n", plan.res.explanation ? plan.res.explanation : "");
		goto out;
	}
	if (r < 0)
		goto out;
	phase(out, &t0, "resolve");

	const char *tmp = getenv("TMPDIR");
	ab_buf_addf(&stage, "%s/appbuild-pkg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(stage.buf)) {
		r = ab_err_set(err, AB_E_IO, "cannot create directory '%s': %s", stage.buf,
			       strerror(errno));
		goto out;
	}
	have_stage = true;
	struct pkgset_opts so = {
		.app = app,
		.plan = &plan,
		.py = &py,
		.family = family,
		.target = o->target,
		.name_prefix = o->name_prefix,
		.prefix = o->prefix,
		.single = o->single,
		.stage = stage.buf,
		.mtime = mtime,
		.commit = has_commit ? commit : NULL,
		.supervisor = sup,
		.out = out,
	};
	r = pkgset_build(&set, &so, err);
	if (r < 0)
		goto out;
	phase(out, &t0, "stage");
	r = ab_mkdir_p(outdir.buf, err);
	if (r < 0)
		goto out;
	if (family == OSVER_DEB) {
		r = pkg_deb_write_all(&set, outdir.buf, 0, &paths, err);
		if (r >= 0 && o->repo)
			r = pkg_deb_repo(o->repo, paths, set.n, err);
	} else {
		r = pkg_rpm_write_all(&set, outdir.buf, 0, &paths, err);
		if (r >= 0 && o->repo)
			r = pkg_rpm_repo(o->repo, paths, set.n, mtime, err);
	}
	phase(out, &t0, "write");
	if (r < 0) {
		/* nothing of this run is left in the output directory */
		for (size_t i = 0; paths && i < set.n; i++)
			if (paths[i])
				unlink(paths[i]);
		goto out;
	}
	ab_info(out, "%zu package%s for %s", set.n, set.n == 1 ? "" : "s",
		plan.tgt.description);
	fflush(stderr);
	for (size_t i = 0; i < set.n; i++)
		printf("%s\n", paths[i]);
out:
	if (paths)
		for (size_t i = 0; i < set.n; i++)
			free(paths[i]);
	free(paths);
	if (have_stage)
		sdist_remove_tree(stage.buf, NULL);
	pkgset_release(&set);
	plan_release(&plan);
	if (have_py)
		interp_release(&py);
	free(sup);
	ab_buf_release(&outdir);
	ab_buf_release(&stage);
	return r;
}

int cmd_deb(struct cmd_ctx *ctx, struct ab_err *err)
{
	return run_pkg(ctx, OSVER_DEB, err);
}

int cmd_rpm(struct cmd_ctx *ctx, struct ab_err *err)
{
	return run_pkg(ctx, OSVER_RPM, err);
}
