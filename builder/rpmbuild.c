/* rpmbuild.c - in-process RPM builds through librpmbuild (rpm 4.18). */
#include "builder/rpmbuild.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <rpm/rpmbuild.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmspec.h>
#include <rpm/rpmts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/fs.h"
#include "formats/core/mem.h"

/* Directories the OS owns: listing them would make the package claim
 * them (rpmlint: dir-or-file-in-... / conflicts with `filesystem`). */
static const char *const system_dirs[] = {
	"/",	     "/etc",	   "/opt",	      "/usr",		   "/usr/bin",
	"/usr/lib",  "/usr/lib64", "/usr/libexec",    "/usr/sbin",	   "/usr/share",
	"/usr/share/doc", "/usr/share/licenses", "/usr/share/man", "/usr/lib/systemd",
	"/usr/lib/systemd/system", "/usr/lib/sysusers.d", "/usr/lib/tmpfiles.d", "/var",
	"/var/lib",  "/var/log",   "/run",	      "/etc/systemd",	   "/etc/systemd/system",
};

static bool is_system_dir(const char *p)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(system_dirs); i++)
		if (!strcmp(p, system_dirs[i]))
			return true;
	return false;
}

static bool is_config(const struct rpmbuild_pkg *p, const char *path)
{
	for (size_t i = 0; i < p->nconfig; i++)
		if (!strcmp(p->config[i], path))
			return true;
	return false;
}

struct files_ctx {
	const struct rpmbuild_pkg *p;
	struct ab_buf *out;
	struct ab_err *err;
};

/* One %files line per entry of the buildroot, in the walk's sorted order
 * (the same tree gives the same spec). */
static int list_one(const struct ab_walk_entry *e, void *ctx)
{
	struct files_ctx *fc = ctx;
	const char *rel = e->rel;
	/* rpm globs and expands macros in %files; only plain paths
	 * are listed, '%' doubled. */
	if (strpbrk(rel, "*?[]{}\"\\\n\r\t"))
		return ab_err_set(fc->err, AB_E_UNSUPPORTED,
				  "path '%s' has a character an RPM file list cannot hold", rel);
	int r = 0;
	struct ab_buf q = AB_BUF_INIT;
	for (const char *c = rel; *c; c++)
		ab_buf_adds(&q, *c == '%' ? "%%" : (char[]){ *c, 0 });
	if (S_ISDIR(e->st->st_mode)) {
		if (!is_system_dir(rel))
			ab_buf_addf(fc->out, "%%dir \"%s\"\n", q.buf);
	} else if (S_ISREG(e->st->st_mode) || S_ISLNK(e->st->st_mode)) {
		ab_buf_addf(fc->out, "%s\"%s\"\n",
			    is_config(fc->p, rel) ? "%config(noreplace) " : "", q.buf);
	} else {
		r = ab_err_set(fc->err, AB_E_UNSUPPORTED,
			       "'%s' is not a regular file, directory or symlink: a package "
			       "cannot hold it",
			       e->path);
	}
	ab_buf_release(&q);
	return r;
}

/* rpm only clamps times newer than SOURCE_DATE_EPOCH and keeps modes as
 * found; setting every time and mode in the (prepared, builder-owned)
 * buildroot makes the package independent of when and under which umask
 * the tree was made, as the DEB writer is. The mode is set on the way in,
 * the time on the way out (a directory's after its contents). */
struct touch_ctx {
	struct timespec ts[2];
	struct ab_err *err;
};

static int touch_one(const struct ab_walk_entry *e, void *ctx)
{
	struct touch_ctx *tc = ctx;
	mode_t m = e->st->st_mode;
	if (!e->post) {
		/* permissions normalized as in the DEB writer: directories and
		 * executables 0755, other files 0644 */
		mode_t perm = S_ISDIR(m) || (m & 0111) ? 0755 : 0644;
		if (!S_ISLNK(m) && (m & 07777) != perm && chmod(e->path, perm) < 0)
			return ab_err_set(tc->err, AB_E_IO, "cannot change the mode of '%s': %s",
					  e->path, strerror(errno));
		if (S_ISDIR(m))
			return 0; /* its time once its contents are done */
	}
	if (utimensat(AT_FDCWD, e->path, tc->ts, AT_SYMLINK_NOFOLLOW) < 0)
		return ab_err_set(tc->err, AB_E_IO, "cannot set the time of '%s': %s", e->path,
				  strerror(errno));
	return 0;
}

static int one_line(const char *field, const char *v, bool required, struct ab_err *err)
{
	if ((!v || !*v) && required)
		return ab_err_set(err, AB_E_INVALID, "RPM field '%s' is required", field);
	if (v && strpbrk(v, "\n\r"))
		return ab_err_set(err, AB_E_INVALID, "RPM field '%s' must be a single line", field);
	return 0;
}

/* The spec template: the macros make the build a pure packaging step of
 * the prepared buildroot (WHY each: no rm of the buildroot, no brp-*
 * scripts byte-compiling or stripping, no debuginfo, no dependency
 * generators, fixed host and times for reproducibility). */
static const char spec_head[] =
	"%%global __spec_install_pre %%{nil}\n"
	"%%global __spec_install_post %%{nil}\n"
	"%%global __os_install_post %%{nil}\n"
	"%%global __arch_install_post %%{nil}\n"
	"%%global debug_package %%{nil}\n"
	"%%global _build_id_links none\n"
	"%%global __check_files %%{nil}\n"
	"%%global _buildhost appbuild\n"
	"%%global use_source_date_epoch_as_buildtime 1\n"
	"%%global clamp_mtime_to_source_date_epoch 1\n"
	"%%global _binary_payload w3.zstdio\n" /* fast; rpm >= 4.14 reads zstd */
	"%%global _rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm\n"
	"Name: %s\n"
	"Version: %s\n"
	"Release: %s\n";

int rpmbuild_render_spec(const struct rpmbuild_pkg *p, struct ab_buf *out, struct ab_err *err)
{
	struct ab_buf b = AB_BUF_INIT;
	int r = one_line("Name", p->name, true, err);
	if (r == 0)
		r = one_line("Version", p->version, true, err);
	if (r == 0)
		r = one_line("Release", p->release, true, err);
	if (r == 0)
		r = one_line("Summary", p->summary, true, err);
	if (r == 0)
		r = one_line("License", p->license, true, err);
	if (r == 0)
		r = one_line("BuildArch", p->arch, true, err);
	if (r == 0)
		r = one_line("Epoch", p->epoch, false, err);
	if (r == 0)
		r = one_line("URL", p->url, false, err);
	if (r == 0)
		r = one_line("Packager", p->packager, false, err);
	if (r == 0)
		r = one_line("Group", p->group, false, err);
	for (size_t i = 0; r == 0 && i < p->nrequires; i++)
		r = one_line("Requires", p->requires[i], true, err);
	for (size_t i = 0; r == 0 && i < p->nprovides; i++)
		r = one_line("Provides", p->provides[i], true, err);
	if (r < 0)
		goto out;

	ab_buf_addf(&b, spec_head, p->name, p->version, p->release);
	if (p->epoch && *p->epoch)
		ab_buf_addf(&b, "Epoch: %s\n", p->epoch);
	ab_buf_addf(&b, "Summary: %s\nLicense: %s\nBuildArch: %s\nAutoReqProv: no\n", p->summary,
		    p->license, p->arch);
	if (p->url && *p->url)
		ab_buf_addf(&b, "URL: %s\n", p->url);
	if (p->packager && *p->packager)
		ab_buf_addf(&b, "Packager: %s\n", p->packager);
	if (p->group && *p->group)
		ab_buf_addf(&b, "Group: %s\n", p->group);
	for (size_t i = 0; i < p->nrequires; i++)
		ab_buf_addf(&b, "Requires: %s\n", p->requires[i]);
	for (size_t i = 0; i < p->nprovides; i++)
		ab_buf_addf(&b, "Provides: %s\n", p->provides[i]);
	/* the description is text, not macros */
	ab_buf_adds(&b, "\n%description\n");
	for (const char *c = p->description && *p->description ? p->description : p->summary; *c;
	     c++)
		ab_buf_adds(&b, *c == '%' ? "%%" : (char[]){ *c, 0 });
	ab_buf_adds(&b, "\n\n%install\n\n");
	const struct {
		const char *sec, *body;
	} scripts[] = { { "pre", p->pre }, { "post", p->post }, { "preun", p->preun },
			{ "postun", p->postun } };
	for (size_t i = 0; i < AB_ARRAY_SIZE(scripts); i++) {
		if (!scripts[i].body)
			continue;
		/* shell text, not macros: '%' doubled (a `date +%s` stays one) */
		ab_buf_addf(&b, "%%%s\n", scripts[i].sec);
		for (const char *c = scripts[i].body; *c; c++)
			ab_buf_adds(&b, *c == '%' ? "%%" : (char[]){ *c, 0 });
		ab_buf_adds(&b, "\n\n");
	}
	ab_buf_adds(&b, "%files\n%defattr(-,root,root,-)\n");
	struct files_ctx fc = { p, &b, err };
	r = ab_walk(p->buildroot ? p->buildroot : "", 0, list_one, &fc, err);
	if (r < 0)
		goto out;
	if (p->changelog && *p->changelog) {
		/* dated SOURCE_DATE_EPOCH (reproducible); text, not macros */
		char date[64];
		time_t t = (time_t)p->mtime;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a %b %d %Y", &tm);
		ab_buf_addf(&b, "\n%%changelog\n* %s %s - %s%s%s-%s\n", date,
			    p->packager && *p->packager ? p->packager : "appbuild",
			    p->epoch && *p->epoch ? p->epoch : "", p->epoch && *p->epoch ? ":" : "",
			    p->version, p->release);
		bool bol = true;
		for (const char *c = p->changelog; *c; c++) {
			if (bol)
				ab_buf_adds(&b, "- ");
			bol = *c == '\n';
			ab_buf_adds(&b, *c == '%' ? "%%" : (char[]){ *c, 0 });
		}
		if (!bol)
			ab_buf_addc(&b, '\n');
	}
	ab_buf_add(out, b.buf, b.len);
out:
	ab_buf_release(&b);
	return r;
}

/* rpm's messages go into the error, never to the terminal (nothing below
 * cli/ prints). */
static int log_cb(rpmlogRec rec, rpmlogCallbackData data)
{
	struct ab_buf *log = data;
	if (rpmlogRecPriority(rec) <= RPMLOG_WARNING)
		ab_buf_adds(log, rpmlogRecMessage(rec));
	return 0;
}

static int mkdir_p(const char *dir, struct ab_err *err)
{
	char *p = ab_xstrdup(dir);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		mkdir(p, 0755);
		*c = '/';
	}
	int r = (mkdir(p, 0755) < 0 && errno != EEXIST)
			? ab_err_set(err, AB_E_IO, "cannot create directory '%s': %s", dir,
				     strerror(errno))
			: 0;
	free(p);
	return r;
}

int rpmbuild_build(const struct rpmbuild_pkg *p, const char *workdir, const char *outdir,
		   char **path, struct ab_err *err)
{
	static bool configured;
	struct ab_buf spec = AB_BUF_INIT, file = AB_BUF_INIT, tmpdir = AB_BUF_INIT,
		      log = AB_BUF_INIT, name = AB_BUF_INIT, dest = AB_BUF_INIT, sde = AB_BUF_INIT;
	rpmSpec s = NULL;
	rpmts ts = NULL;
	char *old_sde = getenv("SOURCE_DATE_EPOCH") ? ab_xstrdup(getenv("SOURCE_DATE_EPOCH")) : NULL;
	int r;

	*path = NULL;
	struct touch_ctx tc = { { { (time_t)p->mtime, 0 }, { (time_t)p->mtime, 0 } }, err };
	r = ab_walk(p->buildroot ? p->buildroot : "", AB_WALK_POST, touch_one, &tc, err);
	if (r == 0)
		r = rpmbuild_render_spec(p, &spec, err);
	if (r == 0)
		r = mkdir_p(workdir, err);
	if (r < 0)
		goto out;
	ab_buf_addf(&file, "%s/%s.spec", workdir, p->name);
	FILE *f = fopen(file.buf, "w");
	if (!f || fwrite(spec.buf, 1, spec.len, f) != spec.len || fclose(f) != 0) {
		r = ab_err_set(err, AB_E_IO, "cannot write '%s': %s", file.buf, strerror(errno));
		goto out;
	}
	/* rpm writes into a fresh directory beside the output, renamed into
	 * place: a failed build leaves nothing in `outdir`. */
	ab_buf_addf(&tmpdir, "%s/.rpmbuild.XXXXXX", outdir);
	if (!mkdtemp(tmpdir.buf)) {
		r = ab_err_set(err, AB_E_IO, "cannot create a directory in '%s': %s", outdir,
			       strerror(errno));
		ab_buf_reset(&tmpdir);
		goto out;
	}

	rpmlogSetCallback(log_cb, &log);
	if (!configured) {
		if (rpmReadConfigFiles(NULL, NULL) != 0) {
			r = ab_err_set(err, AB_E_BUILD, "cannot read rpm's configuration: %s", log.buf);
			goto out;
		}
		configured = true;
	}
	rpmPushMacro(NULL, "_topdir", NULL, workdir, RMIL_GLOBAL);
	rpmPushMacro(NULL, "_builddir", NULL, workdir, RMIL_GLOBAL);
	rpmPushMacro(NULL, "_rpmdir", NULL, tmpdir.buf, RMIL_GLOBAL);
	ab_buf_addf(&sde, "%lld", (long long)p->mtime);
	setenv("SOURCE_DATE_EPOCH", sde.buf, 1);

	int mask = rpmlogSetMask(RPMLOG_UPTO(RPMLOG_ERR));
	s = rpmSpecParse(file.buf, RPMSPEC_NONE, p->buildroot);
	if (!s) {
		r = ab_err_set(err, AB_E_BUILD, "rpm cannot parse the spec for '%s': %s", p->name,
			       log.buf);
		goto pop;
	}
	ts = rpmtsCreate();
	/* RPMBUILD_INSTALL runs the (empty) %install: without it rpm stamps
	 * rpmlib(ShortCircuited) into the package. */
	struct rpmBuildArguments_s ba = { 0 };
	ba.buildAmount = RPMBUILD_INSTALL | RPMBUILD_PACKAGEBINARY;
	if (rpmSpecBuild(ts, s, &ba) != 0) {
		r = ab_err_set(err, AB_E_BUILD, "rpm cannot build '%s': %s", p->name, log.buf);
		goto pop;
	}
	{
		DIR *d = opendir(tmpdir.buf);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (strlen(de->d_name) > 4 &&
			    !strcmp(de->d_name + strlen(de->d_name) - 4, ".rpm"))
				ab_buf_adds(&name, de->d_name);
		if (d)
			closedir(d);
	}
	if (!name.len) {
		r = ab_err_set(err, AB_E_BUILD, "rpm wrote no package for '%s'", p->name);
		goto pop;
	}
	ab_buf_reset(&file);
	ab_buf_addf(&file, "%s/%s", tmpdir.buf, name.buf);
	ab_buf_addf(&dest, "%s/%s", outdir, name.buf);
	if (rename(file.buf, dest.buf) < 0) {
		r = ab_err_set(err, AB_E_IO, "cannot rename '%s' to '%s': %s", file.buf, dest.buf,
			       strerror(errno));
		goto pop;
	}
	*path = ab_buf_detach(&dest);
pop:
	rpmlogSetMask(mask);
	rpmPopMacro(NULL, "_rpmdir");
	rpmPopMacro(NULL, "_builddir");
	rpmPopMacro(NULL, "_topdir");
	if (old_sde)
		setenv("SOURCE_DATE_EPOCH", old_sde, 1);
	else
		unsetenv("SOURCE_DATE_EPOCH");
out:
	rpmlogSetCallback(NULL, NULL);
	if (ts)
		rpmtsFree(ts);
	if (s)
		rpmSpecFree(s);
	if (tmpdir.len) {
		/* empty unless the rename failed */
		if (r < 0 && name.len) {
			ab_buf_reset(&file);
			ab_buf_addf(&file, "%s/%s", tmpdir.buf, name.buf);
			unlink(file.buf);
		}
		rmdir(tmpdir.buf);
	}
	free(old_sde);
	ab_buf_release(&spec);
	ab_buf_release(&file);
	ab_buf_release(&tmpdir);
	ab_buf_release(&log);
	ab_buf_release(&name);
	ab_buf_release(&dest);
	ab_buf_release(&sde);
	return r;
}
