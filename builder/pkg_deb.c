/* pkg_deb.c - a pkgset as .deb files, and an apt repository (see pkg_deb.h). */
#include "builder/pkg_deb.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/fs.h"
#include "formats/core/mem.h"
#include "formats/extmap.h"

extern char **environ;

/* gzip -9n of `data` (no name, no time stamp: reproducible, as dh_installchangelogs
 * and apt-ftparchive write them), appended to out. */
static int gzip_buf(const char *data, size_t n, struct ab_buf *out, struct ab_err *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t cap = n + 1024, used = 0;
	char *mem = ab_xmalloc(cap);
	int r = 0;
	if (!a || !e || archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_raw(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "gzip:compression-level=9,gzip:!timestamp") !=
		    ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open_memory(a, mem, cap, &used) != ARCHIVE_OK) {
		r = ab_err_set(err, AB_E_BUILD, "cannot set up gzip: %s",
			       a ? archive_error_string(a) : "out of memory");
		goto out;
	}
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)n);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, data, n) != (la_ssize_t)n ||
	    archive_write_close(a) != ARCHIVE_OK) {
		r = ab_err_set(err, AB_E_BUILD, "cannot gzip: %s", archive_error_string(a));
		goto out;
	}
	ab_buf_add(out, mem, used);
out:
	archive_write_free(a);
	archive_entry_free(e);
	free(mem);
	return r;
}

const char *pkg_deb_arch(const char *machine)
{
	static const char *const map[][2] = {
		{ "x86_64", "amd64" },	  { "amd64", "amd64" },		{ "aarch64", "arm64" },
		{ "arm64", "arm64" },	  { "i386", "i386" },		{ "i486", "i386" },
		{ "i586", "i386" },	  { "i686", "i386" },		{ "armv7l", "armhf" },
		{ "ppc64le", "ppc64el" }, { "s390x", "s390x" },		{ "riscv64", "riscv64" },
		{ "mips64", "mips64el" }, { "loongarch64", "loong64" },
	};
	for (size_t i = 0; machine && i < AB_ARRAY_SIZE(map); i++)
		if (!strcmp(map[i][0], machine))
			return map[i][1];
	return NULL;
}

enum deb_compress pkg_deb_compressor(uint64_t size, int *level)
{
	*level = size < PKG_DEB_GZIP_MAX ? 9 : 6;
	return DEB_GZIP;
}

static void add_depends(const struct pkgset *s, const struct pkgset_pkg *pk, struct ab_buf *b)
{
	for (size_t i = 0; i < pk->ndeps; i++) {
		const struct pkgset_dep *d = &pk->deps[i];
		if (b->len)
			ab_buf_adds(b, ", ");
		switch (d->kind) {
		case PKGSET_DEP_SET:
			ab_buf_addf(b, "%s (= %s)", d->name, s->pkgs[d->pkg].ver.evr);
			break;
		case PKGSET_DEP_PYTHON:
			/* `~`: 3.11~rc1 is a 3.11 too; << 3.12 keeps 3.12's
			 * different ABI out */
			ab_buf_addf(b, "python3 (>= %u.%u~), python3 (<< %u.%u)", s->py_major,
				    s->py_minor, s->py_major, s->py_minor + 1);
			break;
		case PKGSET_DEP_LIBC:
			ab_buf_addf(b, "libc6 (>= %s)", d->clauses[0].version);
			break;
		case PKGSET_DEP_EXTERNAL:
			if (!d->nclauses)
				extmap_format_clause(OSVER_DEB, d->name, -1, NULL, b);
			for (size_t k = 0; k < d->nclauses; k++) {
				if (k)
					ab_buf_adds(b, ", ");
				extmap_format_clause(OSVER_DEB, d->name, (int)d->clauses[k].op,
						     d->clauses[k].version, b);
			}
			break;
		}
	}
	/* the postinst runs adduser (lintian:
	 * maintainer-script-needs-depends-on-adduser) */
	if (pk->user)
		ab_buf_adds(b, b->len ? ", adduser" : "adduser");
}

/* usr/share/doc/NAME/{copyright,changelog.Debian.gz} and the lintian
 * overrides, into the package's tree. */
static int add_docs(const struct pkgset *s, const struct pkgset_pkg *pk, struct ab_err *err)
{
	struct ab_buf dir = AB_BUF_INIT, p = AB_BUF_INIT, text = AB_BUF_INIT, gz = AB_BUF_INIT;
	ab_buf_addf(&dir, "%s/usr/share/doc/%s", pk->root, pk->name);
	int r = ab_mkdir_p(dir.buf, err);
	if (r < 0)
		goto out;
	ab_buf_addf(&text,
		    "This package was built by appbuild for the app's environment in %s.\n\n"
		    "Upstream: %s %s\n",
		    s->prefix, pk->project, pk->pyversion);
	if (pk->author)
		ab_buf_addf(&text, "Copyright (C) %s\n", pk->author);
	else
		ab_buf_addf(&text, "Copyright (C) the authors of %s\n", pk->project);
	if (pk->url)
		ab_buf_addf(&text, "Source: %s\n", pk->url);
	ab_buf_addf(&text, "License: %s\n",
		    pk->license ? pk->license : "see the upstream metadata");
	ab_buf_addf(&p, "%s/copyright", dir.buf);
	r = ab_write_file(p.buf, text.buf, text.len, 0644, err);
	if (r < 0)
		goto out;
	char date[64];
	time_t t = (time_t)s->mtime;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	ab_buf_reset(&text);
	ab_buf_addf(&text,
		    "%s (%s) unstable; urgency=medium\n\n"
		    "  * Built by appbuild from %s %s.\n\n"
		    " -- %s  %s\n",
		    pk->name, pk->ver.evr, pk->project, pk->pyversion, pk->maintainer, date);
	r = gzip_buf(text.buf, text.len, &gz, err);
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/changelog.Debian.gz", dir.buf);
	if (r >= 0)
		r = ab_write_file(p.buf, gz.buf, gz.len, 0644, err);
	if (r < 0)
		goto out;
	ab_buf_reset(&dir);
	ab_buf_addf(&dir, "%s/usr/share/lintian/overrides", pk->root);
	r = ab_mkdir_p(dir.buf, err);
	if (r < 0)
		goto out;
	ab_buf_reset(&text);
	/* the place is the point (issue #9): apps' environments live in
	 * /opt/<app>, apart from the OS's own Python packages */
	ab_buf_addf(&text, "%s: dir-or-file-in-opt\n", pk->name);
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/%s", dir.buf, pk->name);
	r = ab_write_file(p.buf, text.buf, text.len, 0644, err);
out:
	ab_buf_release(&dir);
	ab_buf_release(&p);
	ab_buf_release(&text);
	ab_buf_release(&gz);
	return r;
}

static const char daemon_reload[] =
	"#!/bin/sh\n"
	"set -e\n"
	"# the package's systemd units changed: tell a running systemd\n"
	"if [ -d /run/systemd/system ]; then\n"
	"\tsystemctl --system daemon-reload >/dev/null || true\n"
	"fi\n";

/* The postinst: the system user (pk->user) created when missing, then
 * daemon-reload when there are units; empty when neither. */
static void add_postinst(const struct pkgset_pkg *pk, struct ab_buf *b)
{
	static const char head[] = "#!/bin/sh\nset -e\n";
	if (pk->user) {
		/* Debian policy 9.2.1: a dynamically allocated system account,
		 * created on configure and never removed (files it wrote may
		 * outlive the package); with its group of the same name, or
		 * the group that exists already (adduser --group refuses an
		 * existing group). Home /nonexistent: it has none. */
		ab_buf_adds(b, head);
		ab_buf_addf(b,
			    "# the system user the app's units run as (appbuild.yaml package.user)\n"
			    "if [ \"$1\" = configure ] && ! getent passwd %s >/dev/null; then\n"
			    "\tif getent group %s >/dev/null; then\n"
			    "\t\tadduser --quiet --system --ingroup %s --no-create-home "
			    "--home /nonexistent %s\n"
			    "\telse\n"
			    "\t\tadduser --quiet --system --group --no-create-home "
			    "--home /nonexistent %s\n"
			    "\tfi\n"
			    "fi\n",
			    pk->user, pk->user, pk->user, pk->user, pk->user);
	}
	if (pk->has_units)
		ab_buf_adds(b, b->len ? daemon_reload + sizeof(head) - 1 : daemon_reload);
}

int pkg_deb_write(const struct pkgset *s, size_t i, const char *outdir, char **path,
		  struct ab_err *err)
{
	const struct pkgset_pkg *pk = &s->pkgs[i];
	struct ab_buf deps = AB_BUF_INIT, out = AB_BUF_INIT, prerm = AB_BUF_INIT;
	struct ab_buf postinst = AB_BUF_INIT;
	const char *arch = pk->arch_independent ? "all" : pkg_deb_arch(s->machine);
	int r = 0;
	*path = NULL;
	if (!arch)
		return ab_err_set(err, AB_E_UNSUPPORTED,
				  "no Debian architecture is known for the machine '%s'",
				  s->machine);
	r = add_docs(s, pk, err);
	if (r < 0)
		goto out;
	add_depends(s, pk, &deps);
	if (pk->pyclean)
		ab_buf_addf(&prerm, "#!/bin/sh\nset -e\n%s", pk->pyclean);
	struct deb_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.control.package = pk->name;
	spec.control.version = pk->ver.evr;
	spec.control.architecture = arch;
	spec.control.maintainer = pk->maintainer;
	spec.control.depends = deps.len ? deps.buf : NULL;
	spec.control.section =
		pk->kind == PKGSET_ENV || pk->kind == PKGSET_DIST ? "python" : "misc";
	spec.control.priority = "optional";
	spec.control.homepage = pk->url;
	struct ab_buf desc = AB_BUF_INIT;
	ab_buf_addf(&desc, "%s\n%s", pk->summary, pk->description);
	spec.control.description = desc.buf;
	spec.root = pk->root;
	spec.prerm = prerm.len ? prerm.buf : NULL;
	add_postinst(pk, &postinst);
	spec.postinst = postinst.len ? postinst.buf : NULL;
	spec.postrm = pk->has_units ? daemon_reload : NULL;
	spec.compress = pkg_deb_compressor(pk->size, &spec.level);
	spec.mtime = s->mtime;
	/* the file name: no epoch (dpkg-name) */
	ab_buf_addf(&out, "%s/%s_%s-%s_%s.deb", outdir, pk->name, pk->ver.version, pk->ver.release,
		    arch);
	r = deb_write(&spec, out.buf, err);
	ab_buf_release(&desc);
	if (r >= 0)
		*path = ab_buf_detach(&out);
out:
	ab_buf_release(&deps);
	ab_buf_release(&out);
	ab_buf_release(&prerm);
	ab_buf_release(&postinst);
	return r;
}

struct deb_job {
	const struct pkgset *s;
	const char *outdir;
	size_t next; /* shared: the next package to build */
	pthread_mutex_t lock;
	char **paths;
	struct ab_err *errs;
	int *rs;
};

static void *deb_worker(void *arg)
{
	struct deb_job *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->lock);
		size_t i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->s->n)
			return NULL;
		j->rs[i] = pkg_deb_write(j->s, i, j->outdir, &j->paths[i], &j->errs[i]);
	}
}

int pkg_deb_write_all(const struct pkgset *s, const char *outdir, unsigned jobs, char ***paths,
		      struct ab_err *err)
{
	struct deb_job j = { s, outdir, 0, PTHREAD_MUTEX_INITIALIZER, NULL, NULL, NULL };
	j.paths = ab_xcalloc(s->n + 1, sizeof(*j.paths));
	j.errs = ab_xcalloc(s->n + 1, sizeof(*j.errs));
	j.rs = ab_xcalloc(s->n + 1, sizeof(*j.rs));
	if (!jobs) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = c > 0 ? (unsigned)(c > 8 ? 8 : c) : 1;
	}
	if (jobs > s->n)
		jobs = (unsigned)(s->n ? s->n : 1);
	pthread_t *t = ab_xcalloc(jobs, sizeof(*t));
	size_t started = 0;
	for (unsigned k = 1; k < jobs; k++)
		if (pthread_create(&t[started], NULL, deb_worker, &j) == 0)
			started++;
	deb_worker(&j);
	for (size_t k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	free(t);
	int r = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (j.rs[i] < 0 && r == 0) {
			r = j.rs[i];
			ab_err_set(err, j.errs[i].code, "%s", j.errs[i].msg.buf);
			if (j.errs[i].file) {
				free(err->file);
				err->file = ab_xstrdup(j.errs[i].file);
			}
			ab_err_note(err, "while writing the package '%s'", s->pkgs[i].name);
		}
		ab_err_release(&j.errs[i]);
	}
	if (r < 0) {
		for (size_t i = 0; i < s->n; i++) {
			if (j.paths[i])
				unlink(j.paths[i]);
			free(j.paths[i]);
		}
		free(j.paths);
		j.paths = NULL;
	}
	free(j.errs);
	free(j.rs);
	pthread_mutex_destroy(&j.lock);
	*paths = j.paths;
	return r;
}

/* ---- the repository ---- */

/* Run argv in `cwd` with stdout into `out` (appended). */
static int run_capture(char *const *argv, const char *cwd, struct ab_buf *out, struct ab_err *err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return ab_io_fail(err, argv[0], "run");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addchdir_np(&fa, cwd);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (e) {
		close(pfd[0]);
		int r = ab_err_set(err, AB_E_BUILD, "cannot run '%s': %s", argv[0], strerror(e));
		ab_err_note(err, "it is in the Debian package apt-utils");
		return r;
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ab_buf_add(out, buf, (size_t)n);
	}
	close(pfd[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return ab_err_set(err, AB_E_BUILD, "'%s %s' failed in '%s'", argv[0], argv[1], cwd);
	return 0;
}

/* Write dir/name through a temporary file and rename(2). */
static int put(const char *dir, const char *name, const struct ab_buf *data, struct ab_err *err)
{
	struct ab_buf tmp = AB_BUF_INIT, dst = AB_BUF_INIT;
	ab_buf_addf(&tmp, "%s/.%s.tmp", dir, name);
	ab_buf_addf(&dst, "%s/%s", dir, name);
	int r = ab_write_file(tmp.buf, data->buf, data->len, 0644, err);
	if (r >= 0 && rename(tmp.buf, dst.buf) < 0)
		r = ab_io_fail(err, dst.buf, "rename a temporary file to");
	if (r < 0)
		unlink(tmp.buf);
	ab_buf_release(&tmp);
	ab_buf_release(&dst);
	return r;
}

static int link_or_copy(const char *src, const char *dst, struct ab_err *err)
{
	unlink(dst);
	if (link(src, dst) == 0)
		return 0;
	struct ab_buf data = AB_BUF_INIT;
	int fd = open(src, O_RDONLY | O_CLOEXEC), r = 0;
	if (fd < 0)
		return ab_io_fail(err, src, "read");
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		ab_buf_add(&data, buf, (size_t)n);
	close(fd);
	if (n < 0)
		r = ab_io_fail(err, src, "read");
	if (r >= 0)
		r = ab_write_file(dst, data.buf, data.len, 0644, err);
	ab_buf_release(&data);
	return r;
}

int pkg_deb_repo(const char *dir, char *const *debs, size_t ndebs, struct ab_err *err)
{
	struct ab_buf dst = AB_BUF_INIT, pk = AB_BUF_INIT, gz = AB_BUF_INIT, rel = AB_BUF_INIT;
	int r = ab_mkdir_p(dir, err);
	for (size_t i = 0; r >= 0 && i < ndebs; i++) {
		const char *base = strrchr(debs[i], '/');
		base = base ? base + 1 : debs[i];
		ab_buf_reset(&dst);
		ab_buf_addf(&dst, "%s/%s", dir, base);
		if (strcmp(dst.buf, debs[i]))
			r = link_or_copy(debs[i], dst.buf, err);
	}
	if (r < 0)
		goto out;
	char *pargv[] = { "apt-ftparchive", "packages", ".", NULL };
	r = run_capture(pargv, dir, &pk, err);
	if (r >= 0)
		r = gzip_buf(pk.buf, pk.len, &gz, err);
	if (r >= 0)
		r = put(dir, "Packages", &pk, err);
	if (r >= 0)
		r = put(dir, "Packages.gz", &gz, err);
	if (r < 0)
		goto out;
	char *rargv[] = { "apt-ftparchive", "release", ".", NULL };
	r = run_capture(rargv, dir, &rel, err);
	if (r >= 0)
		r = put(dir, "Release", &rel, err);
out:
	ab_buf_release(&dst);
	ab_buf_release(&pk);
	ab_buf_release(&gz);
	ab_buf_release(&rel);
	return r;
}
