/* pkgset.c - the OS packages of an app, format-neutral (see pkgset.h). */
#include "builder/pkgset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/appmeta.h"
#include "builder/bundle.h"
#include "builder/elfscan.h"
#include "builder/install.h"
#include "builder/pep517.h"
#include "builder/supervisor/supconf.h"
#include "builder/svcrender.h"
#include "formats/core/fs.h"
#include "formats/core/mem.h"
#include "formats/distfile.h"
#include "formats/extmap.h"
#include "formats/metadata.h"

extern char **environ;

#define DEFAULT_MAINTAINER "appbuild <appbuild@localhost>"

/* ------------------------------------------------------------------ */
/* file system helpers */

/* What a walk of a package tree finds. */
struct tree_info {
	uint64_t size;
	size_t nfiles;
	/* "DIR MODULE\n" per *.py file, DIR relative to the prefix: the
	 * byte-code the interpreter may write for it at run time. In path
	 * order (ab_walk's), so the maintainer scripts are reproducible. */
	struct ab_buf pys;
	size_t prefix_len; /* length of ROOT/PREFIX, to cut off */
	struct ab_err *err;
};

/* Remove empty directories below the root (a package would own them for
 * nothing), a directory once its contents are done, so one that held only
 * empty ones goes too; count files, sizes and Python modules. */
static int survey_one(const struct ab_walk_entry *e, void *ctx)
{
	struct tree_info *ti = ctx;
	if (S_ISDIR(e->st->st_mode)) {
		if (e->post && rmdir(e->path) < 0 && errno != ENOTEMPTY && errno != EEXIST)
			return ab_io_fail(ti->err, e->path, "remove directory");
		return 0;
	}
	ti->nfiles++;
	if (!S_ISREG(e->st->st_mode))
		return 0;
	ti->size += (uint64_t)e->st->st_size;
	size_t n = strlen(e->name), len = (size_t)(e->name - e->path) - 1; /* its directory */
	if (n > 3 && !strcmp(e->name + n - 3, ".py") && len > ti->prefix_len) {
		const char *dir = e->path + ti->prefix_len + 1;
		ab_buf_addf(&ti->pys, "%.*s %.*s\n", (int)(len - ti->prefix_len - 1), dir,
			    (int)(n - 3), e->name);
	}
	return 0;
}

/* Sizes, counts and the pyclean fragment of a tree whose contents live
 * under ROOT/PREFIX; empty directories are removed. */
static int survey(struct pkgset *s, struct pkgset_pkg *pk, struct ab_err *err)
{
	struct tree_info ti = { 0, 0, AB_BUF_INIT, strlen(pk->root) + strlen(s->prefix), err };
	int r = ab_walk(pk->root, AB_WALK_POST, survey_one, &ti, err);
	if (r < 0)
		goto out;
	pk->size = ti.size;
	pk->nfiles = ti.nfiles;
	bool app = pk->kind == PKGSET_APP || pk->kind == PKGSET_SINGLE;
	if (ti.pys.len || app) {
		/* single-quoted: the prefix holds no quote (checked). app/ is
		 * the app package's alone, and Python also caches modules
		 * without a .py name there (bin/wsgiapp): every __pycache__
		 * under it goes. */
		struct ab_buf sh = AB_BUF_INIT;
		ab_buf_addf(&sh,
			    "# byte-code written at run time (py3clean's job for dh_python3)\n"
			    "if cd '%s' 2>/dev/null; then\n",
			    s->prefix);
		if (ti.pys.len)
			ab_buf_addf(&sh,
				    "\twhile read -r d m; do\n"
				    "\t\trm -f \"$d/__pycache__/$m\".*.pyc\n"
				    "\t\trmdir \"$d/__pycache__\" 2>/dev/null || :\n"
				    "\tdone <<'APPBUILD_EOF'\n%sAPPBUILD_EOF\n",
				    ti.pys.buf);
		if (app)
			ab_buf_adds(&sh,
				    "\tfind app -depth -type d -name __pycache__ -exec rm -rf {} + "
				    "2>/dev/null || :\n");
		ab_buf_adds(&sh, "\tcd /\nfi\n");
		pk->pyclean = ab_arena_strdup(&s->arena, sh.buf);
		ab_buf_release(&sh);
	}
out:
	ab_buf_release(&ti.pys);
	return r;
}

/* ------------------------------------------------------------------ */
/* names, versions, dependencies */

void pkgset_dist_name(const char *name_prefix, const char *canonical, struct ab_buf *out)
{
	ab_buf_addf(out, "%s-%s", name_prefix, canonical);
}

const char *pkgset_kind_name(enum pkgset_kind k)
{
	static const char *const names[] = { "env", "dist", "app", "single" };
	return (unsigned)k < AB_ARRAY_SIZE(names) ? names[k] : "?";
}

/* deb-control(5): [a-z0-9][a-z0-9+.-]+; rpm accepts that too. */
static bool pkg_name_ok(const char *s)
{
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) || !s[1])
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("+.-", *p)))
			return false;
	return true;
}

/* svcrender's root rule, and no "//", "." or ".." components. */
static bool prefix_ok(const char *s)
{
	if (s[0] != '/' || !s[1])
		return false;
	for (const char *p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_@/.+-", *p)))
			return false;
		if (*p == '/' && (p[1] == '/' || (p[1] == '.' && (!p[2] || p[2] == '/')) ||
				  (p[1] == '.' && p[2] == '.' && (!p[3] || p[3] == '/'))))
			return false;
	}
	return true;
}

static int map_version(struct pkgset *s, struct pkgset_pkg *pk, const char *what,
		       struct ab_err *err)
{
	int r = osver_map_str(ab_str_from(pk->pyversion), s->family, NULL, OSVER_STRICT, &pk->ver,
			      err);
	if (r < 0)
		ab_err_note(err, "the version of %s cannot be mapped to %s package versions", what,
			    s->family == OSVER_DEB ? "Debian" : "RPM");
	return r;
}

struct deps_builder {
	struct pkgset_dep *v;
	size_t n, cap;
};

static void add_dep(struct deps_builder *b, struct pkgset_dep d)
{
	AB_GROW(b->v, b->cap, b->n + 1);
	b->v[b->n++] = d;
}

static void add_set_dep(struct pkgset *s, struct deps_builder *b, size_t pkg)
{
	add_dep(b, (struct pkgset_dep){ PKGSET_DEP_SET, s->pkgs[pkg].name, pkg, NULL, 0, NULL });
}

static void add_python_dep(struct deps_builder *b)
{
	add_dep(b, (struct pkgset_dep){ PKGSET_DEP_PYTHON, NULL, 0, NULL, 0, NULL });
}

/* The external dependencies whose markers hold for the target, mapped to
 * the target's package names by formats/extmap: its built-in table with
 * appbuild.yaml's `package: external:` overrides. */
static int add_external_deps(struct pkgset *s, const struct pkgset_opts *o,
			     const struct extmap_target *t, struct deps_builder *b,
			     struct ab_err *err)
{
	const struct app *app = o->app;
	if (!app->has_extdeps)
		return 0;
	struct extmap m = EXTMAP_INIT;
	struct extmap_deps md = EXTMAP_DEPS_INIT;
	int r = extmap_load_app(&m, app->has_config ? &app->config.package : NULL, app->config_path,
				err);
	if (r >= 0)
		r = extmap_map_all(&m, &app->extdeps, app->extdeps_path, &o->plan->tgt.env, t, &md,
				   err);
	for (size_t i = 0; r >= 0 && i < md.n; i++) {
		const struct extmap_dep *d = &md.deps[i];
		struct pkgset_clause *cl =
			ab_arena_zalloc(&s->arena, (d->nclauses + 1) * sizeof(*cl));
		for (size_t k = 0; k < d->nclauses; k++)
			cl[k] = (struct pkgset_clause){ (enum pkgset_op)d->clauses[k].op,
							ab_arena_strdup(&s->arena,
									d->clauses[k].version) };
		add_dep(b, (struct pkgset_dep){
				   PKGSET_DEP_EXTERNAL, ab_arena_strdup(&s->arena, d->package), 0,
				   cl, d->nclauses, ab_arena_strdup(&s->arena, d->ext_name) });
	}
	extmap_deps_release(&md);
	extmap_release(&m);
	return r;
}

/* The shipped bin/appbuild-supervisor links libc and libyaml only (the
 * Makefile links it so): the package holding it depends on libyaml, unless
 * external-dependencies.txt named it. Debian: the library's package from
 * the table; RPM: the soname capability rpm's own dependency generator
 * would write (`libyaml-0.so.2()(64bit)`; rpmlint calls a package name
 * there explicit-lib-dependency). The supervisor is built for this host. */
static void add_supervisor_dep(struct pkgset *s, const struct pkgset_opts *o,
			       const struct extmap_target *t, struct deps_builder *b,
			       const struct deps_builder *ext)
{
	static const char soname[] = "libyaml-0.so.2";
	if (!o->supervisor)
		return;
	const char *pkg = o->family == OSVER_RPM
				  ? (sizeof(void *) == 8 ? "libyaml-0.so.2()(64bit)" : soname)
				  : extmap_package(extmap_builtin(), soname, t, NULL);
	if (!pkg)
		return;
	for (size_t k = 0; k < ext->n; k++)
		if (ext->v[k].name && !strcmp(ext->v[k].name, pkg))
			return;
	add_dep(b, (struct pkgset_dep){ PKGSET_DEP_EXTERNAL, ab_arena_strdup(&s->arena, pkg), 0, NULL, 0, soname });
}

/* ------------------------------------------------------------------ */
/* trees */

struct dist_job {
	struct pkgset *s;
	const struct pkgset_opts *o;
	struct pkgset_pkg *pk; /* NULL in single mode */
	const char *root;      /* the environment root (tree + prefix) */
	struct install_wheel w;
	struct ab_err err;
	int r;
};

/* The environment's directories without pyvenv.cfg and the python links
 * (those are the ENV package's). */
static int env_dirs(const struct interp *py, const char *root, struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT;
	const char *dirs[] = { py->purelib, py->platlib, py->scripts };
	int r = 0;
	for (size_t i = 0; i < AB_ARRAY_SIZE(dirs) && r >= 0; i++) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", root, dirs[i]);
		r = ab_mkdir_p(p.buf, err);
	}
	ab_buf_release(&p);
	return r;
}

/* Summary, description, license and home page of the DIST from its
 * installed METADATA (the tree holds one .dist-info). */
static void describe_dist(struct pkgset *s, const struct pkgset_opts *o, struct pkgset_pkg *pk,
			  const char *root, const char *wheel_file)
{
	struct ab_buf p = AB_BUF_INIT, text = AB_BUF_INIT, d = AB_BUF_INIT;
	struct metadata md;
	bool have = false;
	ab_buf_addf(&p, "%s/%s", root, o->py->purelib);
	DIR *dir = opendir(p.buf);
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		size_t n = strlen(e->d_name);
		if (n > 10 && !strcmp(e->d_name + n - 10, ".dist-info")) {
			ab_buf_addf(&p, "/%s/METADATA", e->d_name);
			break;
		}
	}
	if (dir)
		closedir(dir);
	if (ab_read_file(p.buf, &text, NULL) == 0 &&
	    metadata_parse(ab_buf_str(&text), 0, NULL, &md, NULL) == 0)
		have = true;
	struct ab_str sum = have ? ab_str_trim(md.summary) : AB_STR_NULL;
	/* one line, no final full stop, short enough for a synopsis */
	while (sum.len && sum.ptr[sum.len - 1] == '.')
		sum.len--;
	long nl = sum.ptr ? ab_str_chr(sum, '\n') : -1;
	if (nl >= 0)
		sum.len = (size_t)nl;
	if (sum.len > 60)
		sum.len = 60;
	ab_buf_reset(&d);
	if (sum.len)
		ab_buf_addf(&d, "Python %s: " AB_STR_FMT, pk->project, AB_STR_ARG(sum));
	else
		ab_buf_addf(&d, "Python distribution %s", pk->project);
	pk->summary = ab_arena_strdup(&s->arena, d.buf);
	ab_buf_reset(&d);
	ab_buf_addf(&d,
		    "The Python distribution %s %s for the app %s,\n"
		    "installed from %s\n"
		    "into %s/%s.\n"
		    "Built by appbuild; the app depends on this exact version.",
		    pk->project, pk->pyversion, o->app->name, wheel_file, s->prefix,
		    o->py->purelib);
	pk->description = ab_arena_strdup(&s->arena, d.buf);
	if (have) {
		struct ab_str lic = ab_str_trim(md.license_expression);
		if (!lic.len)
			lic = ab_str_trim(md.license);
		if (lic.len && lic.len < 80 && ab_str_chr(lic, '\n') < 0)
			pk->license = ab_arena_strdup_str(&s->arena, lic);
		struct ab_str au = ab_str_trim(md.author);
		if (!au.len)
			au = ab_str_trim(md.author_email);
		if (au.len && au.len < 200 && ab_str_chr(au, '\n') < 0)
			pk->author = ab_arena_strdup_str(&s->arena, au);
		struct ab_str hp = ab_str_trim(md.home_page);
		for (size_t i = 0; !hp.len && i < md.project_url.n; i++) {
			struct ab_str u = md.project_url.items[i];
			long c = ab_str_chr(u, ',');
			if (c > 0 && ab_str_ieq(ab_str_trim(ab_str_make(u.ptr, (size_t)c)),
						AB_STR_LIT("homepage")))
				hp = ab_str_trim(ab_str_skip(u, (size_t)c + 1));
		}
		if (hp.len && ab_str_chr(hp, '\n') < 0 && ab_str_chr(hp, ' ') < 0 &&
		    (ab_str_startswith(hp, "https://") || ab_str_startswith(hp, "http://")))
			pk->url = ab_arena_strdup_str(&s->arena, hp);
		metadata_release(&md);
	}
	ab_buf_release(&p);
	ab_buf_release(&text);
	ab_buf_release(&d);
}

static void *dist_worker(void *arg)
{
	struct dist_job *j = arg;
	struct install_opts io = { j->o->py, j->root, 1, j->o->out, NULL };
	struct ab_buf py = AB_BUF_INIT;
	/* Debian: "#!PREFIX/bin/python" (lintian warns unusual-interpreter);
	 * RPM: install.h's /bin/sh trampoline, since rpmlint calls any
	 * interpreter outside /usr, /bin, /sbin an error
	 * (wrong-script-interpreter). It runs the `python` next to the script,
	 * PREFIX/bin/python, so the venv's site-packages are used. */
	ab_buf_addf(&py, "%s/%s/python", j->s->prefix, j->o->py->scripts);
	if (j->s->family == OSVER_DEB)
		io.script_python = py.buf;
	j->r = env_dirs(j->o->py, j->root, &j->err);
	if (j->r >= 0)
		j->r = install_wheel(&io, &j->w, &j->err);
	if (j->r >= 0 && j->o->compile && j->pk)
		j->r = install_compile(&io, &j->err);
	ab_buf_release(&py);
	return NULL;
}

/* Run the jobs on up to `jobs` threads; the first failure by index wins. */
static int run_dist_jobs(struct dist_job *jobs, size_t n, unsigned nthreads, struct ab_err *err)
{
	if (!nthreads) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = c > 0 ? (unsigned)(c > 8 ? 8 : c) : 1;
	}
	for (size_t base = 0; base < n; base += nthreads) {
		size_t k = n - base < nthreads ? n - base : nthreads;
		pthread_t *t = ab_xcalloc(k, sizeof(*t));
		bool *started = ab_xcalloc(k, sizeof(*started));
		for (size_t i = 0; i < k; i++)
			started[i] = pthread_create(&t[i], NULL, dist_worker, &jobs[base + i]) == 0;
		for (size_t i = 0; i < k; i++) {
			if (started[i])
				pthread_join(t[i], NULL);
			else
				dist_worker(&jobs[base + i]);
		}
		free(t);
		free(started);
	}
	for (size_t i = 0; i < n; i++)
		if (jobs[i].r < 0) {
			int r = jobs[i].r;
			ab_err_set(err, jobs[i].err.code, "%s", jobs[i].err.msg.buf);
			if (jobs[i].err.file) {
				free(err->file);
				err->file = ab_xstrdup(jobs[i].err.file);
			}
			return r;
		}
	return 0;
}

/* The ENV part: pyvenv.cfg and the python links (install_env_create),
 * without lib64 (a link no package needs to own). */
static int make_env(const struct pkgset_opts *o, const char *root, struct ab_err *err)
{
	struct install_opts io = { o->py, root, 1, o->out, NULL };
	int r = install_env_create(&io, err);
	if (r < 0)
		return r;
	struct ab_buf p = AB_BUF_INIT;
	ab_buf_addf(&p, "%s/lib64", root);
	struct stat st;
	if (lstat(p.buf, &st) == 0 && S_ISLNK(st.st_mode) && unlink(p.buf) < 0)
		r = ab_io_fail(err, p.buf, "remove");
	ab_buf_release(&p);
	return r;
}

static int render_template(const struct app *app, const char *tpl, const char *dest,
			   const char *const *kv, mode_t mode, struct ab_err *err)
{
	struct ab_buf t = AB_BUF_INIT, out = AB_BUF_INIT;
	int r = appmeta_template(app, tpl, &t, err);
	if (r >= 0) {
		appmeta_render(t.buf, kv, &out);
		/* the bundle's launcher finds the environment in ROOT/venv; in
		 * the packages the environment is the prefix itself */
		if (!strcmp(tpl, "launch.sh.in")) {
			char *v = strstr(out.buf, "\nVENV=$ROOT/venv\n");
			if (v)
				memmove(v + 11, v + 16, strlen(v + 16) + 1), out.len -= 5;
		}
		r = ab_write_file(dest, out.buf, out.len, mode, err);
	}
	ab_buf_release(&t);
	ab_buf_release(&out);
	return r;
}

/* The bare program names of the process commands that an environment
 * script provides: replaced by its absolute path, since systemd looks bare
 * names up in its own fixed PATH only. `bins`: the directories to look in
 * (each dist tree's PREFIX/bin). */
static void resolve_programs(const struct pkgset *s, struct supconf *sc, const char *const *bins,
			     size_t nbins)
{
	struct ab_buf p = AB_BUF_INIT;
	for (size_t i = 0; i < sc->nprocs; i++) {
		struct supconf_proc *pr = &sc->procs[i];
		if (pr->shell || strchr(pr->argv[0], '/'))
			continue;
		for (size_t k = 0; k < nbins; k++) {
			ab_buf_reset(&p);
			ab_buf_addf(&p, "%s/%s", bins[k], pr->argv[0]);
			if (access(p.buf, F_OK) == 0) {
				ab_buf_reset(&p);
				ab_buf_addf(&p, "%s/bin/%s", s->prefix, pr->argv[0]);
				free(pr->argv[0]);
				pr->argv[0] = ab_buf_detach(&p);
				break;
			}
		}
	}
	ab_buf_release(&p);
}

/* One systemd unit per process and APP.target, from etc/supervisor.yaml,
 * into TREE/unit_dir: directory PREFIX/app, the environment bin/launch
 * would set (systemd passes none on). */
static int make_units(struct pkgset *s, const struct pkgset_opts *o, const char *tree,
		      const char *root, const char *const *bins, size_t nbins, struct ab_err *err)
{
	struct ab_buf conf = AB_BUF_INIT, dir = AB_BUF_INIT, tpl = AB_BUF_INIT;
	struct ab_buf envs[4] = { AB_BUF_INIT, AB_BUF_INIT, AB_BUF_INIT, AB_BUF_INIT };
	struct supconf sc;
	memset(&sc, 0, sizeof(sc));
	ab_buf_addf(&conf, "%s/etc/supervisor.yaml", root);
	int r = supconf_load(conf.buf, &sc, err);
	if (r < 0)
		goto out;
	ab_buf_addf(&envs[0], "%s/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		    s->prefix);
	ab_buf_addf(&envs[1], "%s/lib", s->prefix);
	ab_buf_adds(&envs[2], s->prefix);
	ab_buf_adds(&envs[3], s->prefix);
	const char *const unit_env[][2] = {
		{ "PATH", envs[0].buf },	{ "PYTHONPATH", envs[1].buf },
		{ "VIRTUAL_ENV", envs[2].buf }, { "APPBUILD_ROOT", envs[3].buf },
		{ "BIND", "127.0.0.1:8000" },
	};
	const size_t nenv = AB_ARRAY_SIZE(unit_env);
	for (size_t i = 0; i < sc.nprocs; i++) {
		struct supconf_proc *p = &sc.procs[i];
		free(p->directory);
		p->directory = ab_xstrdup("app");
		supconf_proc_env_prepend(p, unit_env, nenv);
	}
	resolve_programs(s, &sc, bins, nbins);
	ab_buf_addf(&dir, "%s%s", tree, s->unit_dir);
	r = ab_mkdir_p(dir.buf, err);
	if (r < 0)
		goto out;
	ab_buf_addf(&tpl, "%s/templates", o->app->dir);
	/* appbuild.yaml's package.user: the user the scriptlets create, and
	 * its group of the same name (adduser --group, groupadd) */
	const char *user = o->app->has_config ? o->app->config.package.user : NULL;
	struct svcrender_opts so = {
		.kind = SVCRENDER_SYSTEMD,
		.app = o->app->name,
		.root = s->prefix,
		.user = user,
		.template_dir = tpl.buf,
		.group = user,
	};
	r = svcrender_write(&so, sc.procs, sc.nprocs, dir.buf, err);
out:
	supconf_release(&sc);
	ab_buf_release(&conf);
	ab_buf_release(&dir);
	ab_buf_release(&tpl);
	for (size_t i = 0; i < AB_ARRAY_SIZE(envs); i++)
		ab_buf_release(&envs[i]);
	return r;
}

/* The environment's ELF files' needs, for appbuild.json: each dist tree's
 * PREFIX scanned (set), or the one tree (single). */
static int scan_env(const char *const *roots, size_t nroots, struct elfscan *all,
		    struct ab_err *err)
{
	int r = 0;
	for (size_t i = 0; i < nroots && r >= 0; i++) {
		struct elfscan one = ELFSCAN_INIT;
		r = elfscan_tree(roots[i], &one, err);
		for (size_t k = 0; r >= 0 && k < one.n; k++) {
			struct elfscan_lib *l = &one.libs[k];
			size_t at = 0;
			while (at < all->n && strcmp(all->libs[at].soname, l->soname) < 0)
				at++;
			if (at < all->n && !strcmp(all->libs[at].soname, l->soname)) {
				struct elfscan_lib *m = &all->libs[at];
				m->files = ab_xrealloc(m->files,
						       (m->nfiles + l->nfiles) * sizeof(*m->files));
				memcpy(m->files + m->nfiles, l->files,
				       l->nfiles * sizeof(*l->files));
				m->nfiles += l->nfiles;
				free(l->files);
				free(l->soname);
				continue;
			}
			all->libs = ab_xrealloc(all->libs, (all->n + 1) * sizeof(*all->libs));
			memmove(all->libs + at + 1, all->libs + at, (all->n - at) * sizeof(*l));
			all->libs[at] = *l;
			all->n++;
		}
		if (r >= 0) {
			all->nelf += one.nelf;
			free(one.libs);
		} else {
			elfscan_release(&one);
		}
	}
	return r;
}

/* The supervisor binary without its symbols (`strip --strip-unneeded`, as
 * dh_strip does: lintian's unstripped-binary-or-object is an error; strip's
 * output depends only on its input). Without strip(1) it is copied as is. */
static int copy_stripped(const char *src, const char *dst, struct ab_err *err)
{
	char *argv[] = { "strip", "--strip-unneeded", "-o", (char *)dst, (char *)src, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int st = 0, e = posix_spawnp(&pid, "strip", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e == 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	if (e == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && chmod(dst, 0755) == 0)
		return 0;
	unlink(dst);
	struct ab_buf text = AB_BUF_INIT;
	int r = ab_read_file(src, &text, err);
	if (r >= 0)
		r = ab_write_file(dst, text.buf, text.len, 0755, err);
	ab_buf_release(&text);
	return r;
}

/* The app's bin/wsgiapp is imported, never executed: lib/wsgiapp.py loads
 * it (gunicorn wsgiapp:application, lib/appbuild_wsgiref.py), with
 * PREFIX/bin/python. Its "#!/usr/bin/env python3" line is an rpmlint error
 * (env-script-interpreter; wrong-script-interpreter for "#!PREFIX/bin/
 * python", outside /usr) and a non-executable file with a "#!/..." line is
 * another (non-executable-script): the packages hold it 0644 with the "#!"
 * line turned into a comment, so line numbers and the module docstring stay
 * the app's. Run by hand: PREFIX/bin/python PREFIX/app/bin/wsgiapp. */
static int unshebang_wsgiapp(const char *prefix, const char *root, struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT, text = AB_BUF_INIT, out = AB_BUF_INIT;
	struct stat st;
	int r = 0;
	ab_buf_addf(&p, "%s/app/bin/wsgiapp", root);
	if (lstat(p.buf, &st) < 0 || !S_ISREG(st.st_mode))
		goto out; /* checked by appbuild check; a symlink is the target's */
	r = ab_read_file(p.buf, &text, err);
	if (r < 0)
		goto out;
	if (text.len >= 2 && text.buf[0] == '#' && text.buf[1] == '!') {
		/* still one line: "# appbuild: ...; was: #!/usr/bin/env python3" */
		ab_buf_addf(&out, "# appbuild: imported through %s/lib/wsgiapp.py; was: ", prefix);
		ab_buf_add(&out, text.buf, text.len);
	} else {
		ab_buf_add(&out, text.buf, text.len);
	}
	unlink(p.buf);
	r = ab_write_file(p.buf, out.buf, out.len, 0644, err);
out:
	ab_buf_release(&p);
	ab_buf_release(&text);
	ab_buf_release(&out);
	return r;
}

/* The app's part of the tree at ROOT (= TREE/PREFIX). */
static int make_app(struct pkgset *s, const struct pkgset_opts *o, const char *tree,
		    const char *root, const char *const *envroots, size_t nenvroots,
		    const char *const *bins, size_t nbins, struct ab_err *err)
{
	const struct app *app = o->app;
	struct ab_buf p = AB_BUF_INIT, procs = AB_BUF_INIT, pyver = AB_BUF_INIT, text = AB_BUF_INIT;
	struct elfscan libs = ELFSCAN_INIT;
	int r = 0;
	static const char *const dirs[] = { "bin", "etc", "lib" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(dirs) && r >= 0; i++) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", root, dirs[i]);
		r = ab_mkdir_p(p.buf, err);
	}
	if (r < 0)
		goto out;
	/* the environment only, as the bundle scans venv/: first, so that in
	 * single mode (envroots[0] == root) neither the app's files nor the
	 * supervisor are counted, and appbuild.json is the set's */
	r = scan_env(envroots, nenvroots, &libs, err);
	if (r < 0)
		goto out;
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/app", root);
	r = bundle_copy_app(app->dir, p.buf, err);
	if (r >= 0)
		r = unshebang_wsgiapp(s->prefix, root, err);
	if (r < 0)
		goto out;
	enum appconfig_supervisor sv =
		app->has_config ? app->config.supervisor : APPCONFIG_SUPERVISOR_BUILTIN;
	appmeta_processes(app, &o->plan->lock, &procs);
	if (procs.len && procs.buf[procs.len - 1] == '\n')
		ab_buf_truncate(&procs, procs.len - 1);
	ab_buf_addf(&pyver, "%u.%u", o->py->major, o->py->minor);
	const char *kv[] = {
		"NAME",
		app->name,
		"VERSION",
		app->version,
		"PYTHON",
		pyver.buf,
		"IMPLEMENTATION",
		o->py->implementation ? o->py->implementation : "",
		"ABI",
		o->py->abi_tag ? o->py->abi_tag : "",
		"PROCESSES",
		procs.buf,
		"SUPERVISOR",
		appconfig_supervisor_name(sv),
		NULL,
	};
	static const struct {
		const char *tpl, *dest;
		mode_t mode;
	} files[] = {
		{ "launch.sh.in", "bin/launch", 0755 },
		{ "supervisor.yaml.in", "etc/supervisor.yaml", 0644 },
		{ "wsgiapp.py.in", "lib/wsgiapp.py", 0644 },
		{ "wsgiref_serve.py.in", "lib/appbuild_wsgiref.py", 0644 },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(files) && r >= 0; i++) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", root, files[i].dest);
		r = render_template(app, files[i].tpl, p.buf, kv, files[i].mode, err);
	}
	if (r >= 0 && o->supervisor) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/bin/appbuild-supervisor", root);
		r = copy_stripped(o->supervisor, p.buf, err);
	}
	if (r >= 0)
		r = make_units(s, o, tree, root, bins, nbins, err);
	if (r < 0)
		goto out;
	struct appmeta m = { app, o->py, o->plan, o->mtime, o->commit, &libs, "", false };
	ab_buf_reset(&text);
	appmeta_manifest(&m, &text);
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/appbuild.json", root);
	r = ab_write_file(p.buf, text.buf, text.len, 0644, err);
	if (r < 0)
		goto out;
	ab_buf_reset(&text);
	appmeta_sbom(&m, &text);
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/sbom.cdx.json", root);
	r = ab_write_file(p.buf, text.buf, text.len, 0644, err);
out:
	elfscan_release(&libs);
	ab_buf_release(&p);
	ab_buf_release(&procs);
	ab_buf_release(&pyver);
	ab_buf_release(&text);
	return r;
}

/* ------------------------------------------------------------------ */

static char *adup(struct pkgset *s, const char *str)
{
	return str ? ab_arena_strdup(&s->arena, str) : NULL;
}

static char *afmt(struct pkgset *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *afmt(struct pkgset *s, const char *fmt, ...)
{
	struct ab_buf b = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	char *r = ab_arena_strdup(&s->arena, b.buf);
	ab_buf_release(&b);
	return r;
}

/* The glibc version a wheel's tags promise to need at most (pkgset.h,
 * PKGSET_DEP_LIBC): the lowest over its glibc tags, as `maj*1000+min`;
 * 0 when none (pure, musl). `host`: the target's glibc ("2.36"). */
static unsigned wheel_glibc(const struct tag_set *tags, const char *host)
{
	unsigned best = 0;
	for (size_t k = 0; k < tags->n; k++) {
		const char *p = tags->tags[k].platform;
		unsigned maj = 0, min = 0;
		if (sscanf(p, "manylinux_%u_%u_", &maj, &min) == 2)
			;
		else if (!strncmp(p, "manylinux2014_", 14))
			maj = 2, min = 17;
		else if (!strncmp(p, "manylinux2010_", 14))
			maj = 2, min = 12;
		else if (!strncmp(p, "manylinux1_", 11))
			maj = 2, min = 5;
		else if (!strncmp(p, "linux_", 6) && host && sscanf(host, "%u.%u", &maj, &min) == 2)
			;
		else
			continue;
		unsigned v = maj * 1000 + min;
		if (!best || v < best)
			best = v;
	}
	return best;
}

static unsigned host_glibc(const struct interp *py)
{
	unsigned maj = 0, min = 0;
	if (!py->libc || strcmp(py->libc, "glibc") || !py->libc_version ||
	    sscanf(py->libc_version, "%u.%u", &maj, &min) != 2)
		return 0;
	return maj * 1000 + min;
}

static void add_libc_dep(struct pkgset *s, struct deps_builder *b, unsigned v)
{
	if (!v)
		return;
	struct pkgset_clause *cl = ab_arena_zalloc(&s->arena, sizeof(*cl));
	cl->op = PKGSET_GE;
	cl->version = afmt(s, "%u.%u", v / 1000, v % 1000);
	add_dep(b, (struct pkgset_dep){ PKGSET_DEP_LIBC, NULL, 0, cl, 1, NULL });
}

static bool pure_wheel(const struct tag_set *tags)
{
	for (size_t k = 0; k < tags->n; k++)
		if (strcmp(tags->tags[k].platform, "any"))
			return false;
	return tags->n > 0;
}

static void describe_app(struct pkgset *s, const struct pkgset_opts *o, struct pkgset_pkg *pk)
{
	const struct app *app = o->app;
	const struct appconfig_package *cp = app->has_config ? &app->config.package : NULL;
	pk->project = app->name;
	pk->pyversion = adup(s, app->version);
	pk->summary = cp && cp->summary ? adup(s, cp->summary) : afmt(s, "The app %s", app->name);
	if (cp && cp->description)
		pk->description = adup(s, cp->description);
	else
		pk->description = afmt(s,
				       "The app %s %s in %s: its code, bin/launch,\n"
				       "the supervisor configuration and systemd units,\n"
				       "built by appbuild.",
				       app->name, app->version, s->prefix);
	pk->license = cp ? adup(s, cp->license) : NULL;
	pk->url = cp ? adup(s, cp->url) : NULL;
	pk->maintainer = cp && cp->maintainer ? adup(s, cp->maintainer) : DEFAULT_MAINTAINER;
	pk->arch_independent = !o->supervisor;
	pk->has_units = true;
	pk->user = cp ? adup(s, cp->user) : NULL;
}

int pkgset_build(struct pkgset *s, const struct pkgset_opts *o, struct ab_err *err)
{
	const struct app *app = o->app;
	const struct lock *l = &o->plan->lock;
	struct dist_job *jobs = NULL;
	struct install_direct_url *du = NULL; /* the direct references' PEP 610 records */
	unsigned *glibc = NULL;
	struct deps_builder db = { NULL, 0, 0 }, ext = { NULL, 0, 0 };
	const char **bins = NULL, **envroots = NULL;
	size_t nbins = 0;
	char **wheels = ab_xcalloc(l->n + 1, sizeof(*wheels));
	struct ab_buf p = AB_BUF_INIT;
	int r = 0;

	memset(s, 0, sizeof(*s));
	s->family = o->family;
	struct extmap_target tgt;
	if (o->target) {
		r = extmap_target_parse(o->target, &tgt, err);
		if (r < 0)
			goto out;
		if (tgt.family != o->family) {
			r = ab_err_set(err, AB_E_USAGE, "the target '%s' does not use %s packages",
				       o->target, o->family == OSVER_DEB ? "Debian" : "RPM");
			goto out;
		}
	} else {
		extmap_target_default(o->family, &tgt);
	}
	s->target = adup(s, tgt.name);
	s->name_prefix =
		o->name_prefix ? adup(s, o->name_prefix) : afmt(s, "%s-python3", app->name);
	s->prefix = o->prefix ? adup(s, o->prefix) : afmt(s, "/opt/%s", app->name);
	{
		char *pf = (char *)s->prefix;
		size_t n = strlen(pf);
		while (n > 1 && pf[n - 1] == '/')
			pf[--n] = 0;
	}
	s->unit_dir = adup(s, o->unit_dir	       ? o->unit_dir
			      : o->family == OSVER_DEB ? "/lib/systemd/system"
						       : "/usr/lib/systemd/system");
	s->py_major = o->py->major;
	s->py_minor = o->py->minor;
	s->machine = adup(s, o->py->machine ? o->py->machine : "unknown");
	s->mtime = o->mtime;

	if (!prefix_ok(s->prefix)) {
		r = ab_err_set(err, AB_E_USAGE,
			       "prefix '%s' must be an absolute path of [A-Za-z0-9_@/.+-] without "
			       "'.' or '..' components",
			       s->prefix);
		goto out;
	}
	if (!pkg_name_ok(s->name_prefix) || !pkg_name_ok(app->name)) {
		r = ab_err_set(err, AB_E_USAGE,
			       "'%s' is not a valid package name (lowercase letters, digits, '+', "
			       "'.', '-')",
			       pkg_name_ok(app->name) ? s->name_prefix : app->name);
		goto out;
	}

	/* Describe first: versions that cannot be mapped and external
	 * dependencies that cannot be named fail before anything is fetched. */
	size_t npk = o->single ? 1 : l->n + 2;
	s->pkgs = ab_arena_zalloc(&s->arena, npk * sizeof(*s->pkgs));
	s->n = npk;
	for (size_t i = 0; i < npk; i++)
		s->pkgs[i].ver = (struct osver)OSVER_INIT;
	size_t app_i = npk - 1;
	struct pkgset_pkg *ap = &s->pkgs[app_i];
	ap->kind = o->single ? PKGSET_SINGLE : PKGSET_APP;
	ap->name = adup(s, app->name);
	describe_app(s, o, ap);
	r = map_version(s, ap, app->name, err);
	if (r < 0)
		goto out;
	if (!o->single) {
		struct pkgset_pkg *env = &s->pkgs[0];
		env->kind = PKGSET_ENV;
		env->name = s->name_prefix;
		env->project = "python";
		env->pyversion = afmt(s, "%u.%u", s->py_major, s->py_minor);
		env->summary = afmt(s, "Python %s environment in %s", env->pyversion, s->prefix);
		env->description = afmt(s,
					"A virtual environment of the system's Python %s in %s:\n"
					"pyvenv.cfg and bin/python. The packages %s-* install\n"
					"their distributions into it.",
					env->pyversion, s->prefix, s->name_prefix);
		env->maintainer = ap->maintainer;
		env->arch_independent = true;
		r = map_version(s, env, "the environment", err);
		for (size_t i = 0; r >= 0 && i < l->n; i++) {
			struct pkgset_pkg *pk = &s->pkgs[i + 1];
			ab_buf_reset(&p);
			pkgset_dist_name(s->name_prefix, l->pkgs[i].name, &p);
			pk->kind = PKGSET_DIST;
			pk->name = adup(s, p.buf);
			pk->project = adup(s, l->pkgs[i].name);
			pk->pyversion = adup(s, l->pkgs[i].version);
			pk->maintainer = ap->maintainer;
			ab_buf_reset(&p);
			ab_buf_addf(&p, "'%s %s'", pk->project, pk->pyversion);
			r = map_version(s, pk, p.buf, err);
		}
		if (r < 0)
			goto out;
	}

	/* external dependencies: mapped now, so a name without a package
	 * fails before anything is fetched */
	r = add_external_deps(s, o, &tgt, &ext, err);
	if (r < 0)
		goto out;

	/* fetch every wheel (hash-checked against the lock) */
	jobs = ab_xcalloc(l->n + 1, sizeof(*jobs));
	du = ab_xcalloc(l->n + 1, sizeof(*du));
	glibc = ab_xcalloc(l->n + 1, sizeof(*glibc));
	unsigned single_glibc = o->supervisor ? host_glibc(o->py) : 0;
	const char *host_libc =
		o->py->libc && !strcmp(o->py->libc, "glibc") ? o->py->libc_version : NULL;
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_pkg *lp = &l->pkgs[i];
		/* the pin's wheel: a direct reference's own (built from its
		 * source tree when it is one), else the index file, an sdist
		 * built through PEP 517 (or found built in the cache) */
		const char *fname = NULL;
		struct directref *dr = plan_direct(o->plan, lp->name);
		if (dr) {
			r = plan_direct_wheel(o->plan, dr, &du[i], err);
			if (r < 0)
				goto out;
			wheels[i] = ab_xstrdup(dr->wheel);
			fname = dr->wheel_filename;
			jobs[i].w.direct_url = &du[i];
		} else {
			const struct index_candidate *c =
				plan_best_file(o->plan, lp->name, lp->version);
			if (!c) {
				r = ab_err_set(err, AB_E_UNSUPPORTED, "'%s %s' has no file for %s",
					       lp->name, lp->version, o->plan->tgt.description);
				goto out;
			}
			const char **hashes = ab_xcalloc(lp->nfiles + 1, sizeof(*hashes));
			size_t nh = 0;
			for (size_t k = 0; k < lp->nfiles; k++)
				if (lp->files[k].sha256)
					hashes[nh++] = lp->files[k].sha256;
			struct ab_buf path = AB_BUF_INIT;
			fname = c->filename;
			r = pep517_fetch_wheel(o->plan->build, c, hashes, nh, &path, &fname, err);
			free(hashes);
			wheels[i] = ab_buf_detach(&path);
			if (r < 0)
				goto out;
		}
		struct distfile_wheel dw;
		r = distfile_wheel_parse(ab_str_from(fname), &dw, err);
		if (r < 0)
			goto out;
		jobs[i].s = s;
		jobs[i].o = o;
		jobs[i].pk = o->single ? NULL : &s->pkgs[i + 1];
		jobs[i].w.path = wheels[i];
		jobs[i].w.filename = adup(s, fname);
		for (size_t k = 0; k < lp->nvia; k++)
			jobs[i].w.requested = jobs[i].w.requested || !strncmp(lp->via[k], "-r ", 3);
		ab_err_init(&jobs[i].err);
		glibc[i] = wheel_glibc(&dw.tags, host_libc);
		if (glibc[i] > single_glibc)
			single_glibc = glibc[i];
		if (!o->single)
			s->pkgs[i + 1].arch_independent = pure_wheel(&dw.tags);
		else if (!pure_wheel(&dw.tags))
			ap->arch_independent = false;
		distfile_wheel_release(&dw);
	}

	/* the trees */
	for (size_t i = 0; i < npk; i++) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", o->stage, s->pkgs[i].name);
		s->pkgs[i].root = adup(s, p.buf);
	}
	bins = ab_xcalloc(l->n + 1, sizeof(*bins));
	envroots = ab_xcalloc(l->n + 1, sizeof(*envroots));
	for (size_t i = 0; i < l->n; i++) {
		const char *tree = o->single ? ap->root : s->pkgs[i + 1].root;
		jobs[i].root = afmt(s, "%s%s", tree, s->prefix);
		if (!o->single || i == 0) {
			envroots[nbins] = jobs[i].root;
			bins[nbins++] = afmt(s, "%s/%s", jobs[i].root, o->py->scripts);
		}
	}
	if (o->single) {
		r = make_env(o, afmt(s, "%s%s", ap->root, s->prefix), err);
		if (r < 0)
			goto out;
	}
	r = run_dist_jobs(jobs, l->n, o->jobs, err);
	if (r < 0)
		goto out;
	if (o->single && o->compile) {
		struct install_opts io = { o->py, afmt(s, "%s%s", ap->root, s->prefix), 0, o->out,
					   NULL };
		r = install_compile(&io, err);
		if (r < 0)
			goto out;
	}
	if (!o->single) {
		r = make_env(o, afmt(s, "%s%s", s->pkgs[0].root, s->prefix), err);
		if (r < 0)
			goto out;
		for (size_t i = 0; i < l->n; i++)
			describe_dist(s, o, &s->pkgs[i + 1], jobs[i].root, jobs[i].w.filename);
	}
	if (o->single && l->n == 0) {
		envroots[0] = afmt(s, "%s%s", ap->root, s->prefix);
		nbins = 1;
		bins[0] = afmt(s, "%s/%s", envroots[0], o->py->scripts);
	}
	r = make_app(s, o, ap->root, afmt(s, "%s%s", ap->root, s->prefix), envroots, nbins, bins,
		     nbins, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < npk && r >= 0; i++)
		r = survey(s, &s->pkgs[i], err);
	if (r < 0)
		goto out;

	/* dependencies (pkgset.h, "Dependencies") */
	if (o->single) {
		add_python_dep(&db);
		add_libc_dep(s, &db, single_glibc);
		for (size_t k = 0; k < ext.n; k++)
			add_dep(&db, ext.v[k]);
		add_supervisor_dep(s, o, &tgt, &db, &ext);
		ap->deps = ab_arena_alloc(&s->arena, (db.n + 1) * sizeof(*db.v));
		memcpy(ap->deps, db.v, db.n * sizeof(*db.v));
		ap->ndeps = db.n;
		goto out;
	}
	for (size_t i = 0; i < npk; i++) {
		struct pkgset_pkg *pk = &s->pkgs[i];
		db.n = 0;
		if (pk->kind == PKGSET_ENV) {
			add_python_dep(&db);
		} else if (pk->kind == PKGSET_DIST) {
			add_set_dep(s, &db, 0);
			add_python_dep(&db);
			/* what this pin pulls in: the pins whose `via` names it */
			for (size_t k = 0; k < l->n; k++)
				for (size_t v = 0; v < l->pkgs[k].nvia; v++)
					if (!strcmp(l->pkgs[k].via[v], pk->project) && k + 1 != i)
						add_set_dep(s, &db, k + 1);
			add_libc_dep(s, &db, glibc[i - 1]);
		} else {
			add_set_dep(s, &db, 0);
			for (size_t k = 0; k < l->n; k++)
				add_set_dep(s, &db, k + 1);
			add_python_dep(&db);
			add_libc_dep(s, &db, o->supervisor ? host_glibc(o->py) : 0);
			for (size_t k = 0; k < ext.n; k++)
				add_dep(&db, ext.v[k]);
			add_supervisor_dep(s, o, &tgt, &db, &ext);
		}
		pk->deps = ab_arena_alloc(&s->arena, (db.n + 1) * sizeof(*db.v));
		memcpy(pk->deps, db.v, db.n * sizeof(*db.v));
		pk->ndeps = db.n;
	}
out:
	if (jobs)
		for (size_t i = 0; i < l->n; i++)
			ab_err_release(&jobs[i].err);
	for (size_t i = 0; i < l->n; i++)
		free(wheels[i]);
	free(wheels);
	free(jobs);
	free(du);
	free(glibc);
	free(db.v);
	free(ext.v);
	free(bins);
	free(envroots);
	ab_buf_release(&p);
	return r;
}

void pkgset_release(struct pkgset *s)
{
	for (size_t i = 0; i < s->n; i++)
		osver_release(&s->pkgs[i].ver);
	ab_arena_release(&s->arena);
	memset(s, 0, sizeof(*s));
}
