/* cmd_bundle.c - `appbuild bundle [DIR]`: the app, its pinned
 * distributions installed into an environment, a launcher and the
 * supervisor, in one reproducible tarball (layout in SPEC.md, "appbuild
 * bundle").
 *
 * The pins come from a fresh DIR/dependencies.lock (followed exactly), else
 * from a resolution with the same code path as `appbuild lock`
 * (builder/plan.c). Everything is staged in a temporary directory outside
 * the app and packed with builder/bundle.c, but the files of the wheels
 * whose .pyc files the cache holds: those go from memory into the tarball
 * (install_wheels_mem), and the tar.gz segments of what did not change come
 * compressed from the cache. The tarball is renamed into place only when
 * complete, so a failure leaves nothing in dist/. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/appmeta.h"
#include "builder/bundle.h"
#include "builder/elfscan.h"
#include "builder/install.h"
#include "builder/interp.h"
#include "builder/pep517.h"
#include "builder/plan.h"
#include "builder/sdist.h"
#include "builder/supervisor/supconf.h"
#include "builder/svcrender.h"
#include "cli/cli.h"
#include "cli/planopts.h"
#include "formats/core/fs.h"
#include "formats/core/mem.h"
#include "formats/names.h"

struct bundle_opts {
	struct planopts src; /* sources and target, as every resolving command */
	const char *output;
	const char *format;
	const char *python;
	bool no_compile;
};

static const char *const format_choices[] = { "tar.gz", "tar.zst", "tar.xz", NULL };

static const struct cli_option bundle_options[] = {
	PLANOPTS_TABLE(struct bundle_opts, src),
	{ "output", 'o', OPT_STRING, offsetof(struct bundle_opts, output), "FILE",
	  "write here (default DIR/dist/<name>-<version>.tar.gz)", NULL, NULL },
	{ "format", 0, OPT_STRING, offsetof(struct bundle_opts, format), "FORMAT",
	  "tar.gz (default), tar.zst or tar.xz (default: from -o's extension)", format_choices,
	  NULL },
	{ "python", 0, OPT_STRING, offsetof(struct bundle_opts, python), "PATH",
	  "the target interpreter (default: python3 on PATH)", NULL, NULL },
	{ "no-compile", 0, OPT_BOOL, offsetof(struct bundle_opts, no_compile), NULL,
	  "do not byte-compile the installed packages", NULL, NULL },
	OPT_END,
};

const struct cmd_spec bundle_spec = {
	bundle_options,
	sizeof(struct bundle_opts),
	"[DIR]",
	"build the app's relocatable, reproducible tarball",
	"Pin the app's dependencies (from a fresh DIR/dependencies.lock, else by\n"
	"resolving as `appbuild lock` does), install their wheels into an environment\n"
	"for the target interpreter, and pack the app, the environment, bin/launch,\n"
	"the supervisor and its configuration, appbuild.json and a CycloneDX SBOM into\n"
	"DIR/dist/<name>-<version>.tar.gz (top directory <name>-<version>/). Entries\n"
	"are sorted, owned by 0:0, dated SOURCE_DATE_EPOCH (else the git commit time):\n"
	"the same input gives the same bytes. The last line printed is the file and\n"
	"its sha256. Templates: DIR/templates/NAME overrides the built-in NAME.",
};

/* The inputs of the bundle once computed. */
struct bctx {
	const struct bundle_opts *o;
	const struct app *app;
	struct ab_out *out;
	struct interp py;
	struct plan plan;
	const char *stage;
	int64_t mtime;
	char commit[41];
	bool has_commit;
	bool dirty; /* the app's git working tree has changes (appbuild.json source_dirty) */
	char **wheels; /* cache paths, per lock package */
	struct elfscan libs; /* DT_NEEDED of the environment's ELF files */
	struct install_mem mem; /* the environment's files not written (install_wheels_mem) */
	struct timespec t0, c0; /* phase(): wall and CPU clocks */
};

/* -v: how long each step took ("bundle: install 120 ms"), measured from
 * the previous call. */
static void phase(struct bctx *b, const char *what)
{
	struct timespec now, cpu;
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	double ms = (double)(now.tv_sec - b->t0.tv_sec) * 1e3 +
		    (double)(now.tv_nsec - b->t0.tv_nsec) / 1e6;
	double cms = (double)(cpu.tv_sec - b->c0.tv_sec) * 1e3 +
		     (double)(cpu.tv_nsec - b->c0.tv_nsec) / 1e6;
	if (what)
		ab_out_msg(b->out, AB_OUT_DEBUG, NULL, "bundle: %s %.0f ms (cpu %.0f ms)", what, ms,
			   cms);
	b->t0 = now;
	b->c0 = cpu;
}

static int render_to(struct bctx *b, const char *tpl, const char *dest, const char *const *kv,
		     mode_t mode, struct ab_err *err)
{
	struct ab_buf t = AB_BUF_INIT, o = AB_BUF_INIT, path = AB_BUF_INIT;
	int r = appmeta_template(b->app, tpl, &t, err);
	if (r < 0)
		goto out;
	appmeta_render(t.buf, kv, &o);
	ab_buf_addf(&path, "%s/%s", b->stage, dest);
	r = ab_write_file(path.buf, o.buf, o.len, mode, err);
out:
	ab_buf_release(&t);
	ab_buf_release(&o);
	ab_buf_release(&path);
	return r;
}

/* The supervisor binary next to the running appbuild. */
static int supervisor_path(struct ab_buf *out, struct ab_err *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return ab_io_fail(err, "/proc/self/exe", "read");
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	ab_buf_addf(out, "%s/appbuild-supervisor", self);
	if (access(out->buf, X_OK) < 0) {
		int r = ab_err_set(err, AB_E_IO, "the supervisor '%s' is missing", out->buf);
		ab_err_note(err, "it is built next to appbuild: make build/appbuild-supervisor");
		return r;
	}
	return 0;
}

static int copy_supervisor(struct bctx *b, struct ab_err *err)
{
	struct ab_buf src = AB_BUF_INIT, data = AB_BUF_INIT, dst = AB_BUF_INIT;
	int r = supervisor_path(&src, err);
	if (r >= 0)
		r = ab_read_file(src.buf, &data, err);
	if (r >= 0) {
		ab_buf_addf(&dst, "%s/bin/appbuild-supervisor", b->stage);
		r = ab_write_file(dst.buf, data.buf, data.len, 0755, err);
	}
	ab_buf_release(&src);
	ab_buf_release(&data);
	ab_buf_release(&dst);
	return r;
}

/* `supervisor: supervisord | circus | systemd`: the processes of
 * etc/supervisor.yaml rendered for that supervisor into etc/, with the root
 * as the placeholder @ROOT@ (bin/launch substitutes the unpacked root), so
 * the bundle stays relocatable and reproducible. */
static int render_other_supervisor(struct bctx *b, struct ab_err *err)
{
	static const enum svcrender_kind kinds[] = {
		[APPCONFIG_SUPERVISOR_SUPERVISORD] = SVCRENDER_SUPERVISORD,
		[APPCONFIG_SUPERVISOR_CIRCUS] = SVCRENDER_CIRCUS,
		[APPCONFIG_SUPERVISOR_SYSTEMD] = SVCRENDER_SYSTEMD,
	};
	struct ab_buf conf = AB_BUF_INIT, tpl = AB_BUF_INIT, etc = AB_BUF_INIT;
	struct supconf sc;
	memset(&sc, 0, sizeof(sc));
	ab_buf_addf(&conf, "%s/etc/supervisor.yaml", b->stage);
	int r = supconf_load(conf.buf, &sc, err);
	if (r < 0)
		goto out;
	/* every process runs in app/ (render_processes): relative to the root.
	 * supervisord and circus inherit bin/launch's environment (setup_env);
	 * systemd starts units with its own, so the units carry it. */
	static const char *const unit_env[][2] = {
		{ "PATH", "@ROOT@/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
			  "/bin" },
		{ "PYTHONPATH", "@ROOT@/lib" },
		{ "VIRTUAL_ENV", "@ROOT@/venv" },
		{ "APPBUILD_ROOT", "@ROOT@" },
		{ "BIND", "127.0.0.1:8000" },
	};
	const size_t nenv = sizeof(unit_env) / sizeof(*unit_env);
	for (size_t i = 0; i < sc.nprocs; i++) {
		struct supconf_proc *p = &sc.procs[i];
		free(p->directory);
		p->directory = ab_xstrdup("app");
		if (b->app->config.supervisor != APPCONFIG_SUPERVISOR_SYSTEMD)
			continue;
		supconf_proc_env_prepend(p, unit_env, nenv);
	}
	ab_buf_addf(&tpl, "%s/templates", b->app->dir);
	ab_buf_addf(&etc, "%s/etc", b->stage);
	struct svcrender_opts so = {
		kinds[b->app->config.supervisor], b->app->name, "@ROOT@", NULL, NULL, tpl.buf, NULL,
	};
	r = svcrender_write(&so, sc.procs, sc.nprocs, etc.buf, err);
out:
	supconf_release(&sc);
	ab_buf_release(&conf);
	ab_buf_release(&tpl);
	ab_buf_release(&etc);
	return r;
}

/* The sha256 of a file that is a cache entry (files/sha256/ab/cdef...), into
 * hex: its name says it (the cache verified it); NULL for other files. */
static const char *cached_sha256(const struct cache *c, const char *path, char hex[65])
{
	size_t rl = strlen(c->root);
	const char *p = path + rl;
	if (strncmp(path, c->root, rl) || strncmp(p, "/files/sha256/", 14))
		return NULL;
	p += 14;
	if (strlen(p) != 65 || p[2] != '/')
		return NULL;
	memcpy(hex, p, 2);
	memcpy(hex + 2, p + 3, 62);
	hex[64] = 0;
	return cache_is_sha256(hex) ? hex : NULL;
}

/* The staging tree's size, guessed: 8 times the wheels (they are
 * compressed, and .pyc files join them; a file not yet in the cache counts
 * as 16 MiB) plus 64 MiB for the app and the rest. */
static uint64_t stage_size(struct bctx *b)
{
	const struct lock *l = &b->plan.lock;
	struct ab_buf p = AB_BUF_INIT;
	uint64_t n = (uint64_t)64 << 20;
	for (size_t i = 0; i < l->n; i++) {
		const struct index_candidate *c =
			plan_best_file(&b->plan, l->pkgs[i].name, l->pkgs[i].version);
		struct stat st;
		int64_t size = c ? c->size : -1;
		if (size < 0 && c && c->sha256) {
			ab_buf_reset(&p);
			cache_file_path(&b->plan.cache, c->sha256, &p);
			if (stat(p.buf, &st) == 0)
				size = st.st_size;
		}
		n += 8 * (uint64_t)(size < 0 ? (int64_t)16 << 20 : size);
	}
	ab_buf_release(&p);
	return n;
}

/* Download the files of `c` (NULL entries skipped) that are not in the
 * cache yet, all at once on the plan's http client (up to its --jobs
 * transfers): the index client's index_fetch_file() fetches one file at a
 * time. Only files whose sha256 the index gives are fetched here (the
 * cache is content-addressed); failures are left for index_fetch_file()
 * to meet again and report. */
static void prefetch(struct bctx *b, const struct index_candidate *const *c, size_t n)
{
	struct http_req *req = ab_xcalloc(n + 1, sizeof(*req));
	struct ab_buf p = AB_BUF_INIT;
	size_t k = 0;
	if (b->plan.http && !b->o->src.offline)
		for (size_t i = 0; i < n; i++) {
			struct stat st;
			if (!c[i] || !c[i]->sha256)
				continue;
			ab_buf_reset(&p);
			cache_file_path(&b->plan.cache, c[i]->sha256, &p);
			if (stat(p.buf, &st) == 0)
				continue;
			req[k].url = c[i]->url;
			req[k].expect_sha256 = c[i]->sha256;
			req[k].to_cache = &b->plan.cache;
			http_submit(b->plan.http, &req[k++]);
		}
	if (k)
		http_run(b->plan.http);
	for (size_t i = 0; i < k; i++)
		http_req_release(&req[i]);
	free(req);
	ab_buf_release(&p);
}

static int fetch_and_install(struct bctx *b, struct ab_err *err)
{
	const struct lock *l = &b->plan.lock;
	struct install_wheel *w = ab_xcalloc(l->n + 1, sizeof(*w));
	struct install_direct_url *du = ab_xcalloc(l->n + 1, sizeof(*du)); /* direct refs */
	struct ab_buf root = AB_BUF_INIT;
	const char **shas = NULL;
	char (*hex)[65] = NULL;
	int r = 0;

	b->wheels = ab_xcalloc(l->n + 1, sizeof(*b->wheels));
	/* the index's sdists among the pins: built several at a time first */
	const struct index_candidate **cands = ab_xcalloc(l->n + 1, sizeof(*cands));
	for (size_t i = 0; i < l->n; i++)
		if (!plan_direct(&b->plan, l->pkgs[i].name))
			cands[i] = plan_best_file(&b->plan, l->pkgs[i].name, l->pkgs[i].version);
	prefetch(b, cands, l->n);
	r = pep517_prebuild(b->plan.build, cands, l->n, err);
	free(cands);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_pkg *pk = &l->pkgs[i];
		for (size_t k = 0; k < pk->nvia; k++)
			w[i].requested = w[i].requested || !strncmp(pk->via[k], "-r ", 3);
		/* a direct reference: its own wheel (built from its source tree
		 * when it is one) and its PEP 610 direct_url.json */
		struct directref *dr = plan_direct(&b->plan, pk->name);
		if (dr) {
			r = plan_direct_wheel(&b->plan, dr, &du[i], err);
			if (r < 0)
				goto out;
			b->wheels[i] = ab_xstrdup(dr->wheel);
			w[i].path = b->wheels[i];
			w[i].filename = dr->wheel_filename;
			w[i].direct_url = &du[i];
			continue;
		}
		const struct index_candidate *c = plan_best_file(&b->plan, pk->name, pk->version);
		if (!c) {
			r = ab_err_set(err, AB_E_UNSUPPORTED, "'%s %s' has no file for %s",
				       pk->name, pk->version, b->plan.tgt.description);
			goto out;
		}
		const char **hashes = ab_xcalloc(pk->nfiles + 1, sizeof(*hashes));
		size_t nh = 0;
		for (size_t k = 0; k < pk->nfiles; k++)
			if (pk->files[k].sha256)
				hashes[nh++] = pk->files[k].sha256;
		struct ab_buf path = AB_BUF_INIT;
		const char *fname = c->filename;
		/* an sdist is built into a wheel (or found built in the cache) */
		r = pep517_fetch_wheel(b->plan.build, c, hashes, nh, &path, &fname, err);
		free(hashes);
		b->wheels[i] = ab_buf_detach(&path);
		if (r < 0)
			goto out;
		w[i].path = b->wheels[i];
		w[i].filename = fname;
	}
	phase(b, "fetch");
	ab_buf_addf(&root, "%s/venv", b->stage);
	struct install_opts io = { .py = &b->py, .root = root.buf, .out = b->out };
	/* .pyc files are kept per wheel file (install.h) */
	shas = ab_xcalloc(l->n + 1, sizeof(*shas));
	hex = ab_xcalloc(l->n + 1, sizeof(*hex));
	for (size_t i = 0; i < l->n; i++)
		shas[i] = cached_sha256(&b->plan.cache, w[i].path, hex[i]);
	r = install_env_create(&io, err);
	if (r >= 0 && b->o->no_compile)
		r = install_wheels(&io, w, l->n, err);
	else if (r >= 0)
		/* what the cache had byte-compiled stays in memory, straight
		 * into the tarball: not written to the stage, read back, deleted */
		r = install_wheels_mem(&io, w, shas, l->n, &b->plan.cache, &b->mem, err);
	phase(b, "install and compile");
out:
	free(shas);
	free(hex);
	free(w);
	free(du);
	ab_buf_release(&root);
	return r;
}

/* The sonames the host must provide (elfscan.h): one warning per soname
 * that external-dependencies.txt does not name, so `bin/launch check` and
 * the operator know of it. */
static int scan_libraries(struct bctx *b, struct ab_err *err)
{
	struct ab_buf root = AB_BUF_INIT, files = AB_BUF_INIT;
	ab_buf_addf(&root, "%s/venv", b->stage);
	int r = elfscan_tree(root.buf, &b->libs, err);
	const struct extdeps *d = b->app->has_extdeps ? &b->app->extdeps : NULL;
	for (size_t i = 0; r >= 0 && i < b->libs.n; i++) {
		const struct elfscan_lib *l = &b->libs.libs[i];
		if (l->provider != ELFSCAN_HOST || elfscan_covered(l, d))
			continue;
		ab_buf_reset(&files);
		for (size_t k = 0; k < l->nfiles && k < 2; k++)
			ab_buf_addf(&files, "%svenv/%s", k ? ", " : "", l->files[k]);
		if (l->nfiles > 2)
			ab_buf_addf(&files, " and %zu more", l->nfiles - 2);
		if (l->name)
			ab_warn(b->out, NULL,
				"'%s' (needed by %s) is not in external-dependencies.txt: add "
				"'%s' (Debian package %s)",
				l->soname, files.buf, l->name, l->debian);
		else
			ab_warn(b->out, NULL,
				"'%s' (needed by %s) is not in external-dependencies.txt: add the "
				"package that provides it",
				l->soname, files.buf);
	}
	ab_buf_release(&root);
	ab_buf_release(&files);
	return r;
}

/* appbuild.json or sbom.cdx.json (builder/appmeta.h) into the stage. */
static int write_meta(struct bctx *b, const char *name, struct ab_err *err)
{
	struct ab_buf path = AB_BUF_INIT, text = AB_BUF_INIT;
	char *commit = b->has_commit ? b->commit : NULL;
	struct appmeta m = { b->app, &b->py,  &b->plan, b->mtime,
			     commit, &b->libs, "venv/",	  b->dirty };
	if (!strcmp(name, "appbuild.json"))
		appmeta_manifest(&m, &text);
	else
		appmeta_sbom(&m, &text);
	ab_buf_addf(&path, "%s/%s", b->stage, name);
	int r = ab_write_file(path.buf, text.buf, text.len, 0644, err);
	ab_buf_release(&path);
	ab_buf_release(&text);
	return r;
}

static int stage_tree(struct bctx *b, struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT, procs = AB_BUF_INIT, pyver = AB_BUF_INIT;
	int r = 0;
	static const char *const dirs[] = { "bin", "etc", "lib" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs) && r >= 0; i++) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", b->stage, dirs[i]);
		r = ab_mkdir_p(p.buf, err);
	}
	if (r < 0)
		goto out;
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/app", b->stage);
	r = bundle_copy_app(b->app->dir, p.buf, err);
	if (r < 0)
		goto out;
	phase(b, "app copy");
	r = fetch_and_install(b, err);
	if (r >= 0)
		r = scan_libraries(b, err);
	if (r < 0)
		goto out;
	phase(b, "needed libraries");
	enum appconfig_supervisor sv =
		b->app->has_config ? b->app->config.supervisor : APPCONFIG_SUPERVISOR_BUILTIN;
	appmeta_processes(b->app, &b->plan.lock, &procs);
	if (procs.len && procs.buf[procs.len - 1] == '\n')
		ab_buf_truncate(&procs, procs.len - 1);
	ab_buf_addf(&pyver, "%u.%u", b->py.major, b->py.minor);
	const char *kv[] = {
		"NAME", b->app->name,
		"VERSION", b->app->version,
		"PYTHON", pyver.buf,
		"IMPLEMENTATION", b->py.implementation ? b->py.implementation : "",
		"ABI", b->py.abi_tag ? b->py.abi_tag : "",
		"PROCESSES", procs.buf,
		"SUPERVISOR", appconfig_supervisor_name(sv),
		NULL,
	};
	r = render_to(b, "launch.sh.in", "bin/launch", kv, 0755, err);
	if (r >= 0)
		r = render_to(b, "supervisor.yaml.in", "etc/supervisor.yaml", kv, 0644, err);
	if (r >= 0 && sv != APPCONFIG_SUPERVISOR_BUILTIN)
		r = render_other_supervisor(b, err);
	if (r >= 0)
		r = render_to(b, "wsgiapp.py.in", "lib/wsgiapp.py", kv, 0644, err);
	if (r >= 0)
		r = render_to(b, "wsgiref_serve.py.in", "lib/appbuild_wsgiref.py", kv, 0644, err);
	if (r >= 0)
		r = copy_supervisor(b, err);
	if (r >= 0)
		r = write_meta(b, "appbuild.json", err);
	if (r >= 0)
		r = write_meta(b, "sbom.cdx.json", err);
	phase(b, "launcher and manifests");
out:
	ab_buf_release(&p);
	ab_buf_release(&procs);
	ab_buf_release(&pyver);
	return r;
}

int cmd_bundle(struct cmd_ctx *ctx, struct ab_err *err)
{
	const struct bundle_opts *o = ctx->opts;
	const struct app *app = ctx->app;
	struct bctx b;
	struct plan_opts po;
	struct ab_buf out_path = AB_BUF_INIT, top = AB_BUF_INIT, stage = AB_BUF_INIT;
	bool have_py = false, have_stage = false;
	enum tarball_format fmt = TARBALL_GZ;
	char sha[65];
	int r;

	memset(&b, 0, sizeof(b));
	b.o = o;
	b.app = app;
	b.out = &ctx->cli->out;
	phase(&b, NULL);
	memset(&po, 0, sizeof(po));
	planopts_apply(&o->src, &po);
	po.python = o->python;
	po.exact = true;
	/* plan_prepare first: plan_release() needs it to have run */
	r = plan_prepare(&b.plan, app, &po, b.out, err);
	if (r < 0)
		goto out;
	phase(&b, "prepare");

	ab_buf_addf(&top, "%s-%s", app->name, app->version);
	if (o->format)
		tarball_format_parse(o->format, &fmt);
	if (o->output) {
		ab_buf_adds(&out_path, o->output);
		if (!o->format && tarball_format_from_path(o->output, &fmt) < 0) {
			r = ab_err_set(err, AB_E_USAGE,
				       "cannot tell the format of '%s' (use .tar.gz, .tar.zst or "
				       ".tar.xz, or --format)",
				       o->output);
			goto out;
		}
	} else
		/* an app from a git URL lives in a temporary checkout: dist/ here */
		ab_buf_addf(&out_path, "%s/dist/%s%s",
			    ctx->src && ctx->src->remote ? "." : app->dir, top.buf,
			    tarball_format_ext(fmt));

	r = bundle_source_time(app->dir, &b.mtime, err);
	if (r < 0)
		goto out;
	b.has_commit = bundle_source_commit(app->dir, b.commit);
	if (b.has_commit) {
		struct appsrc gs;
		appsrc_git_state(app->dir, &gs); /* fills fields only: nothing to release */
		b.dirty = gs.dirty;
	}
	{
		struct ab_buf sup = AB_BUF_INIT;
		r = supervisor_path(&sup, err);
		ab_buf_release(&sup);
		if (r < 0)
			goto out;
	}
	r = interp_query_cached(&b.plan.cache, o->python ? o->python : "python3", &b.py, err);
	if (r < 0)
		goto out;
	have_py = true;
	phase(&b, "interpreter");

	if (!b.plan.lock_exists)
		ab_info(b.out, "no %s: resolving", b.plan.lock_path.buf);
	else if (!b.plan.lock_fresh)
		ab_warn(b.out, NULL, "%s is stale (its inputs changed): resolving again; run "
			"'appbuild lock' to update it", b.plan.lock_path.buf);
	r = plan_resolve(&b.plan, err);
	if (r == -AB_E_RESOLVE) {
		fflush(stdout);
		if (b.plan.res.explanation) /* none for conflicting direct references */
			fprintf(stderr, "%s\n", b.plan.res.explanation);
		goto out;
	}
	if (r < 0)
		goto out;
	phase(&b, "resolve");

	bundle_stage_parent(stage_size(&b), &stage);
	ab_buf_adds(&stage, "/appbuild-bundle-XXXXXX");
	if (!mkdtemp(stage.buf)) {
		r = ab_io_fail(err, stage.buf, "create directory");
		goto out;
	}
	have_stage = true;
	b.stage = stage.buf;
	r = stage_tree(&b, err);
	if (r < 0)
		goto out;
	{
		char *dir = ab_xstrdup(out_path.buf);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			r = ab_mkdir_p(dir, err);
		}
		free(dir);
		if (r < 0)
			goto out;
	}
	struct tarball_stats ts;
	struct tarball_memfile *mf = ab_xcalloc(b.mem.n + 1, sizeof(*mf));
	for (size_t i = 0; i < b.mem.n; i++) {
		const struct install_memfile *f = &b.mem.files[i];
		/* relative to the stage: under venv/ */
		char *p = ab_xmalloc(strlen(f->path) + 6);
		memcpy(p, "venv/", 5);
		strcpy(p + 5, f->path);
		mf[i] = (struct tarball_memfile){ p, f->data, f->size, f->exec };
	}
	r = bundle_pack(stage.buf, out_path.buf, top.buf, (int)fmt, b.mtime, &b.plan.cache, &ts,
			mf, b.mem.n, sha, err);
	for (size_t i = 0; i < b.mem.n; i++)
		free((char *)mf[i].path);
	free(mf);
	install_mem_release(&b.mem);
	if (r < 0)
		goto out;
	if (fmt == TARBALL_GZ)
		ab_out_msg(b.out, AB_OUT_DEBUG, NULL,
			   "bundle: %u tar.gz segments, %u from the cache, %.1f MB of tar",
			   ts.segments, ts.cached, (double)ts.tar_bytes / 1e6);
	phase(&b, "pack");
	ab_info(b.out, "bundled %zu distributions for %s", b.plan.lock.n,
		b.plan.tgt.description);
	fflush(stderr);
	printf("%s sha256:%s\n", out_path.buf, sha);
out:
	if (have_stage)
		sdist_remove_tree(stage.buf, NULL);
	if (b.wheels)
		for (size_t i = 0; i < b.plan.lock.n; i++)
			free(b.wheels[i]);
	free(b.wheels);
	elfscan_release(&b.libs);
	install_mem_release(&b.mem);
	plan_release(&b.plan);
	if (have_py)
		interp_release(&b.py);
	ab_buf_release(&out_path);
	ab_buf_release(&top);
	ab_buf_release(&stage);
	return r;
}
