/* cmd_bundle.c - `appbuild bundle [DIR]`: the app, its pinned
 * distributions installed into an environment, a launcher and the
 * supervisor, in one reproducible tarball (layout in SPEC.md, "appbuild
 * bundle").
 *
 * The pins come from a fresh DIR/dependencies.lock (followed exactly), else
 * from a resolution with the same code path as `appbuild lock`
 * (builder/plan.c). Everything is staged in a temporary directory outside
 * the app and packed with builder/bundle.c; the tarball is renamed into
 * place only when complete, so a failure leaves nothing in dist/. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/bundle.h"
#include "builder/elfscan.h"
#include "builder/install.h"
#include "builder/interp.h"
#include "builder/plan.h"
#include "builder/sdist.h"
#include "builder/supervisor/supconf.h"
#include "builder/svcrender.h"
#include "cli/cli.h"
#include "cli/planopts.h"
#include "formats/core/mem.h"
#include "formats/names.h"
#include "templates/templates.h"

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
	char **wheels; /* cache paths, per lock package */
	struct elfscan libs; /* DT_NEEDED of the environment's ELF files */
};

static int io_fail(struct ab_err *err, const char *path, const char *what)
{
	int e = errno;
	int r = ab_err_set(err, AB_E_IO, "cannot %s '%s': %s", what, path, strerror(e));
	return r;
}

static int mkdir_p(const char *path, struct ab_err *err)
{
	char *p = ab_xstrdup(path);
	int r = 0;
	for (char *s = p + 1; ; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			r = io_fail(err, p, "create directory");
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return r;
}

static int write_file(const char *path, const char *data, size_t n, mode_t mode,
		      struct ab_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return io_fail(err, path, "create");
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int r = io_fail(err, path, "write");
			close(fd);
			return r;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		return io_fail(err, path, "write");
	return 0;
}

static int read_file(const char *path, struct ab_buf *out, struct ab_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return io_fail(err, path, "read");
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ab_buf_add(out, chunk, n);
	int bad = ferror(f);
	fclose(f);
	return bad ? io_fail(err, path, "read") : 0;
}

/* A template: DIR/templates/NAME when the app has one, else the built-in. */
static int load_template(const struct app *app, const char *name, struct ab_buf *out,
			 struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT;
	int r = 0;
	ab_buf_addf(&p, "%s/templates/%s", app->dir, name);
	if (access(p.buf, F_OK) == 0) {
		r = read_file(p.buf, out, err);
		goto out;
	}
	for (const struct template_file *t = templates_embedded; t->name; t++)
		if (!strcmp(t->name, name)) {
			ab_buf_add(out, t->data, t->len);
			goto out;
		}
	r = ab_err_set(err, AB_E_INTERNAL, "no built-in template '%s'", name);
out:
	ab_buf_release(&p);
	return r;
}

/* Replace each @KEY@ of `kv` (pairs, NULL-terminated) in `in`; other '@'
 * are kept. */
static void render(const char *in, const char *const *kv, struct ab_buf *out)
{
	for (const char *p = in; *p;) {
		if (*p == '@') {
			bool done = false;
			for (size_t i = 0; kv[i] && !done; i += 2) {
				size_t l = strlen(kv[i]);
				if (!strncmp(p + 1, kv[i], l) && p[1 + l] == '@') {
					ab_buf_adds(out, kv[i + 1]);
					p += l + 2;
					done = true;
				}
			}
			if (done)
				continue;
		}
		ab_buf_addc(out, *p++);
	}
}

static int render_to(struct bctx *b, const char *tpl, const char *dest, const char *const *kv,
		     mode_t mode, struct ab_err *err)
{
	struct ab_buf t = AB_BUF_INIT, o = AB_BUF_INIT, path = AB_BUF_INIT;
	int r = load_template(b->app, tpl, &t, err);
	if (r < 0)
		goto out;
	render(t.buf, kv, &o);
	ab_buf_addf(&path, "%s/%s", b->stage, dest);
	r = write_file(path.buf, o.buf, o.len, mode, err);
out:
	ab_buf_release(&t);
	ab_buf_release(&o);
	ab_buf_release(&path);
	return r;
}

/* A YAML double-quoted scalar. */
static void yaml_quote(struct ab_buf *b, const char *s)
{
	ab_buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			ab_buf_addc(b, '\\');
		if (*s == '\n') {
			ab_buf_adds(b, "\\n");
			continue;
		}
		ab_buf_addc(b, *s);
	}
	ab_buf_addc(b, '"');
}

static bool lock_has(const struct lock *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->pkgs[i].name, name))
			return true;
	return false;
}

/* etc/supervisor.yaml's processes: appbuild.yaml's, else one `web` process:
 * gunicorn on $BIND when the lock pins it, else the standard library's
 * wsgiref (lib/appbuild_wsgiref.py). Every process runs in app/. */
static void render_processes(struct bctx *b, struct ab_buf *y)
{
	const struct appconfig *c = &b->app->config;
	if (b->app->has_config && c->nprocesses) {
		for (size_t i = 0; i < c->nprocesses; i++) {
			ab_buf_addf(y, "  %s:\n    command: ", c->processes[i].name);
			yaml_quote(y, c->processes[i].command);
			ab_buf_addf(y, "\n    instances: %ld\n    directory: ../app\n",
				    c->processes[i].count);
		}
		return;
	}
	ab_buf_adds(y, "  web:\n    command: ");
	yaml_quote(y, lock_has(&b->plan.lock, "gunicorn")
			      ? "gunicorn --bind \"$BIND\" wsgiapp:application"
			      : "python -m appbuild_wsgiref");
	ab_buf_adds(y, "\n    directory: ../app\n");
}

/* The supervisor binary next to the running appbuild. */
static int supervisor_path(struct ab_buf *out, struct ab_err *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return io_fail(err, "/proc/self/exe", "read");
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
		r = read_file(src.buf, &data, err);
	if (r >= 0) {
		ab_buf_addf(&dst, "%s/bin/appbuild-supervisor", b->stage);
		r = write_file(dst.buf, data.buf, data.len, 0755, err);
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
		/* first: the app's own settings come later and win */
		struct supconf_env *e = ab_xcalloc(p->nenv + nenv, sizeof(*e));
		for (size_t k = 0; k < nenv; k++)
			e[k] = (struct supconf_env){ ab_xstrdup(unit_env[k][0]),
						     ab_xstrdup(unit_env[k][1]) };
		if (p->nenv)
			memcpy(e + nenv, p->env, p->nenv * sizeof(*e));
		free(p->env);
		p->env = e;
		p->nenv += nenv;
	}
	ab_buf_addf(&tpl, "%s/templates", b->app->dir);
	ab_buf_addf(&etc, "%s/etc", b->stage);
	struct svcrender_opts so = {
		kinds[b->app->config.supervisor], b->app->name, "@ROOT@", NULL, NULL, tpl.buf,
	};
	r = svcrender_write(&so, sc.procs, sc.nprocs, etc.buf, err);
out:
	supconf_release(&sc);
	ab_buf_release(&conf);
	ab_buf_release(&tpl);
	ab_buf_release(&etc);
	return r;
}

static int fetch_and_install(struct bctx *b, struct ab_err *err)
{
	const struct lock *l = &b->plan.lock;
	struct install_wheel *w = ab_xcalloc(l->n + 1, sizeof(*w));
	struct ab_buf root = AB_BUF_INIT;
	int r = 0;

	b->wheels = ab_xcalloc(l->n + 1, sizeof(*b->wheels));
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_pkg *pk = &l->pkgs[i];
		const struct index_candidate *c = plan_best_file(&b->plan, pk->name, pk->version);
		if (!c || !c->wheel) {
			r = ab_err_set(err, AB_E_UNSUPPORTED,
				       "'%s %s' has no wheel for %s: building from source is not "
				       "supported yet",
				       pk->name, pk->version, b->plan.tgt.description);
			goto out;
		}
		const char **hashes = ab_xcalloc(pk->nfiles + 1, sizeof(*hashes));
		size_t nh = 0;
		for (size_t k = 0; k < pk->nfiles; k++)
			if (pk->files[k].sha256)
				hashes[nh++] = pk->files[k].sha256;
		struct ab_buf path = AB_BUF_INIT;
		r = index_fetch_file(b->plan.ix, c, hashes, nh, &path, err);
		free(hashes);
		b->wheels[i] = ab_buf_detach(&path);
		if (r < 0)
			goto out;
		w[i].path = b->wheels[i];
		w[i].filename = c->filename;
		for (size_t k = 0; k < pk->nvia; k++)
			w[i].requested = w[i].requested || !strncmp(pk->via[k], "-r ", 3);
	}
	ab_buf_addf(&root, "%s/venv", b->stage);
	struct install_opts io = { &b->py, root.buf, 0, b->out };
	r = install_env_create(&io, err);
	if (r >= 0)
		r = install_wheels(&io, w, l->n, err);
	if (r >= 0 && !b->o->no_compile)
		r = install_compile(&io, err);
out:
	free(w);
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

static const char *const extdeps_ops[] = { "<", "<=", "==", "!=", ">=", ">", "~=" };

static char *extdeps_spec(const struct extdeps_entry *e)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < e->nclauses; i++)
		ab_buf_addf(&b, "%s%s%s", i ? "," : "", extdeps_ops[e->clauses[i].op],
			    e->clauses[i].version);
	return ab_buf_detach(&b);
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int write_json(struct bctx *b, const char *name, json_t *doc, struct ab_err *err)
{
	struct ab_buf path = AB_BUF_INIT;
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t n = strlen(text);
	text = ab_xrealloc(text, n + 2);
	text[n++] = '\n';
	ab_buf_addf(&path, "%s/%s", b->stage, name);
	int r = write_file(path.buf, text, n, 0644, err);
	free(text);
	ab_buf_release(&path);
	json_decref(doc);
	return r;
}

/* appbuild.json: what the bundle holds and what it was built for. */
static int write_manifest(struct bctx *b, struct ab_err *err)
{
	const struct app *app = b->app;
	const struct interp *py = &b->py;
	const struct lock *l = &b->plan.lock;
	json_t *doc = json_object();
	json_object_set_new(doc, "name", json_string(app->name));
	json_object_set_new(doc, "version", json_string(app->version));
	json_object_set_new(doc, "build_time", json_integer(b->mtime));
	json_object_set_new(doc, "source_commit", b->has_commit ? json_string(b->commit) : json_null());
	json_t *ip = json_object();
	json_object_set_new(ip, "implementation", jstr(py->implementation));
	json_object_set_new(ip, "version", jstr(py->version));
	json_object_set_new(ip, "interpreter_tag", jstr(py->interpreter_tag));
	json_object_set_new(ip, "abi_tag", jstr(py->abi_tag));
	json_object_set_new(ip, "soabi", jstr(py->soabi));
	json_object_set_new(ip, "platform", jstr(py->platform));
	json_object_set_new(ip, "machine", jstr(py->machine));
	json_object_set_new(ip, "libc", jstr(py->libc));
	json_object_set_new(ip, "libc_version", jstr(py->libc_version));
	json_object_set_new(doc, "interpreter", ip);
	json_t *tgt = json_object();
	json_object_set_new(tgt, "description", json_string(b->plan.tgt.description));
	/* the tags of the installed wheels: what a host must support */
	json_t *tags = json_array();
	json_object_set_new(tgt, "wheel_tags", tags);
	json_object_set_new(doc, "target", tgt);
	json_t *dists = json_array();
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_pkg *pk = &l->pkgs[i];
		const struct index_candidate *c = plan_best_file(&b->plan, pk->name, pk->version);
		json_t *d = json_object();
		json_object_set_new(d, "name", json_string(pk->name));
		json_object_set_new(d, "version", json_string(pk->version));
		json_object_set_new(d, "file", jstr(c ? c->filename : NULL));
		json_t *h = json_array();
		for (size_t k = 0; k < pk->nfiles; k++)
			if (pk->files[k].sha256) {
				struct ab_buf s = AB_BUF_INIT;
				ab_buf_addf(&s, "sha256:%s", pk->files[k].sha256);
				json_array_append_new(h, json_string(s.buf));
				ab_buf_release(&s);
			}
		json_object_set_new(d, "hashes", h);
		bool req = false;
		for (size_t k = 0; k < pk->nvia; k++)
			req = req || !strncmp(pk->via[k], "-r ", 3);
		json_object_set_new(d, "requested", json_boolean(req));
		json_array_append_new(dists, d);
		if (c && c->wheel)
			for (size_t k = 0; k < c->tags.n; k++) {
				const struct tag *t = &c->tags.tags[k];
				struct ab_buf s = AB_BUF_INIT;
				ab_buf_addf(&s, "%s-%s-%s", t->interpreter, t->abi, t->platform);
				bool dup = false;
				for (size_t m = 0; m < json_array_size(tags) && !dup; m++)
					dup = !strcmp(json_string_value(json_array_get(tags, m)),
						      s.buf);
				if (!dup)
					json_array_append_new(tags, json_string(s.buf));
				ab_buf_release(&s);
			}
	}
	json_object_set_new(doc, "distributions", dists);
	json_t *ext = json_array();
	for (size_t i = 0; app->has_extdeps && i < app->extdeps.n; i++) {
		const struct extdeps_entry *e = &app->extdeps.entries[i];
		char *spec = extdeps_spec(e);
		json_t *x = json_object();
		json_object_set_new(x, "name", json_string(e->name));
		json_object_set_new(x, "specifier", json_string(spec));
		/* the scanned sonames it covers: what `bin/launch check` looks for */
		json_t *libs = json_array();
		struct extdeps one = { 1, (struct extdeps_entry *)e, 1 };
		for (size_t k = 0; k < b->libs.n; k++)
			if (b->libs.libs[k].provider == ELFSCAN_HOST &&
			    elfscan_covered(&b->libs.libs[k], &one))
				json_array_append_new(libs, json_string(b->libs.libs[k].soname));
		json_object_set_new(x, "libraries", libs);
		json_array_append_new(ext, x);
		free(spec);
	}
	json_object_set_new(doc, "external_dependencies", ext);
	json_t *needed = json_array();
	for (size_t i = 0; i < b->libs.n; i++) {
		const struct elfscan_lib *lb = &b->libs.libs[i];
		json_t *x = json_object();
		json_object_set_new(x, "soname", json_string(lb->soname));
		json_object_set_new(x, "provider", json_string(elfscan_provider_str(lb->provider)));
		json_object_set_new(x, "name", jstr(lb->name));
		json_object_set_new(x, "debian_package", jstr(lb->debian));
		json_t *by = json_array();
		for (size_t k = 0; k < lb->nfiles; k++) {
			struct ab_buf s = AB_BUF_INIT;
			ab_buf_addf(&s, "venv/%s", lb->files[k]);
			json_array_append_new(by, json_string(s.buf));
			ab_buf_release(&s);
		}
		json_object_set_new(x, "needed_by", by);
		json_array_append_new(needed, x);
	}
	json_object_set_new(doc, "needed_libraries", needed);
	return write_json(b, "appbuild.json", doc, err);
}

/* purl version: percent-encode what is not unreserved (a local version's
 * '+'), as the package-url spec asks. */
static void purl(struct ab_buf *out, const char *name, const char *version)
{
	ab_buf_addf(out, "pkg:pypi/%s@", name);
	for (const char *p = version; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(".-_~", *p))
			ab_buf_addc(out, *p);
		else
			ab_buf_addf(out, "%%%02X", (unsigned char)*p);
	}
}

/* sbom.cdx.json: CycloneDX 1.5, one library component per distribution. No
 * serialNumber (it would have to be random, and the bundle reproducible);
 * the timestamp is the bundle's build time. */
static int write_sbom(struct bctx *b, struct ab_err *err)
{
	const struct lock *l = &b->plan.lock;
	char when[32];
	time_t t = (time_t)b->mtime;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *doc = json_object();
	json_object_set_new(doc, "bomFormat", json_string("CycloneDX"));
	json_object_set_new(doc, "specVersion", json_string("1.5"));
	json_object_set_new(doc, "version", json_integer(1));
	json_t *md = json_object();
	json_object_set_new(md, "timestamp", json_string(when));
	json_t *tool = json_object();
	json_object_set_new(tool, "type", json_string("application"));
	json_object_set_new(tool, "name", json_string("appbuild"));
	json_t *tools = json_object();
	json_t *tcomps = json_array();
	json_array_append_new(tcomps, tool);
	json_object_set_new(tools, "components", tcomps);
	json_object_set_new(md, "tools", tools);
	json_t *self = json_object();
	json_object_set_new(self, "type", json_string("application"));
	json_object_set_new(self, "bom-ref", json_string(b->app->name));
	json_object_set_new(self, "name", json_string(b->app->name));
	json_object_set_new(self, "version", json_string(b->app->version));
	json_object_set_new(md, "component", self);
	json_object_set_new(doc, "metadata", md);
	json_t *comps = json_array();
	json_t *deps = json_array();
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_pkg *pk = &l->pkgs[i];
		struct ab_buf p = AB_BUF_INIT;
		purl(&p, pk->name, pk->version);
		json_t *c = json_object();
		json_object_set_new(c, "type", json_string("library"));
		json_object_set_new(c, "bom-ref", json_string(p.buf));
		json_object_set_new(c, "name", json_string(pk->name));
		json_object_set_new(c, "version", json_string(pk->version));
		json_object_set_new(c, "purl", json_string(p.buf));
		json_t *h = json_array();
		for (size_t k = 0; k < pk->nfiles; k++)
			if (pk->files[k].sha256) {
				json_t *x = json_object();
				json_object_set_new(x, "alg", json_string("SHA-256"));
				json_object_set_new(x, "content", json_string(pk->files[k].sha256));
				json_array_append_new(h, x);
			}
		json_object_set_new(c, "hashes", h);
		json_array_append_new(comps, c);
		json_array_append_new(deps, json_string(p.buf));
		ab_buf_release(&p);
	}
	json_object_set_new(doc, "components", comps);
	json_t *root = json_object();
	json_object_set_new(root, "ref", json_string(b->app->name));
	json_object_set_new(root, "dependsOn", deps);
	json_t *dl = json_array();
	json_array_append_new(dl, root);
	json_object_set_new(doc, "dependencies", dl);
	return write_json(b, "sbom.cdx.json", doc, err);
}

static int stage_tree(struct bctx *b, struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT, procs = AB_BUF_INIT, pyver = AB_BUF_INIT;
	int r = 0;
	static const char *const dirs[] = { "bin", "etc", "lib" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs) && r >= 0; i++) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", b->stage, dirs[i]);
		r = mkdir_p(p.buf, err);
	}
	if (r < 0)
		goto out;
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/app", b->stage);
	r = bundle_copy_app(b->app->dir, p.buf, err);
	if (r < 0)
		goto out;
	r = fetch_and_install(b, err);
	if (r >= 0)
		r = scan_libraries(b, err);
	if (r < 0)
		goto out;
	enum appconfig_supervisor sv =
		b->app->has_config ? b->app->config.supervisor : APPCONFIG_SUPERVISOR_BUILTIN;
	render_processes(b, &procs);
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
		r = write_manifest(b, err);
	if (r >= 0)
		r = write_sbom(b, err);
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
	memset(&po, 0, sizeof(po));
	planopts_apply(&o->src, &po);
	po.python = o->python;
	po.exact = true;
	/* plan_prepare first: plan_release() needs it to have run */
	r = plan_prepare(&b.plan, app, &po, b.out, err);
	if (r < 0)
		goto out;

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
		ab_buf_addf(&out_path, "%s/dist/%s%s", app->dir, top.buf, tarball_format_ext(fmt));

	r = bundle_source_time(app->dir, &b.mtime, err);
	if (r < 0)
		goto out;
	b.has_commit = bundle_source_commit(app->dir, b.commit);
	{
		struct ab_buf sup = AB_BUF_INIT;
		r = supervisor_path(&sup, err);
		ab_buf_release(&sup);
		if (r < 0)
			goto out;
	}
	r = interp_query(o->python ? o->python : "python3", &b.py, err);
	if (r < 0)
		goto out;
	have_py = true;

	if (!b.plan.lock_exists)
		ab_info(b.out, "no %s: resolving", b.plan.lock_path.buf);
	else if (!b.plan.lock_fresh)
		ab_warn(b.out, NULL, "%s is stale (its inputs changed): resolving again; run "
			"'appbuild lock' to update it", b.plan.lock_path.buf);
	r = plan_resolve(&b.plan, err);
	if (r == -AB_E_RESOLVE) {
		fflush(stdout);
		fprintf(stderr, "%s\n", b.plan.res.explanation ? b.plan.res.explanation : "");
		goto out;
	}
	if (r < 0)
		goto out;

	const char *tmp = getenv("TMPDIR");
	ab_buf_addf(&stage, "%s/appbuild-bundle-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(stage.buf)) {
		r = io_fail(err, stage.buf, "create directory");
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
			r = mkdir_p(dir, err);
		}
		free(dir);
		if (r < 0)
			goto out;
	}
	r = bundle_pack(stage.buf, out_path.buf, top.buf, (int)fmt, b.mtime, err);
	if (r < 0)
		goto out;
	r = cache_sha256_file(out_path.buf, sha, err);
	if (r < 0)
		goto out;
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
	plan_release(&b.plan);
	if (have_py)
		interp_release(&b.py);
	ab_buf_release(&out_path);
	ab_buf_release(&top);
	ab_buf_release(&stage);
	return r;
}
