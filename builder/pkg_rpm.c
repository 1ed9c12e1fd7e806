/* pkg_rpm.c - a pkgset as binary RPMs (see pkg_rpm.h). */
#include "builder/pkg_rpm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/sdist.h"
#include "formats/core/fs.h"
#include "formats/core/mem.h"
#include "formats/extmap.h"

extern char **environ;

/* rpmlint's limits: summary-too-long above 79, description-line-too-long
 * above 79 (rpmlint's `MaxLineLength`). */
#define LINE_MAX_COLS 79

static char *one_summary(const char *s)
{
	struct ab_buf b = AB_BUF_INIT;
	/* the first line, blanks collapsed */
	for (const char *c = s ? s : ""; *c && *c != '\n' && *c != '\r'; c++) {
		char ch = (*c == '\t') ? ' ' : *c;
		if (ch == ' ' && (!b.len || b.buf[b.len - 1] == ' '))
			continue;
		ab_buf_addc(&b, ch);
	}
	if (b.len > LINE_MAX_COLS) {
		/* cut at the last blank that fits, keep room for nothing more */
		size_t cut = LINE_MAX_COLS;
		while (cut > LINE_MAX_COLS / 2 && b.buf[cut] != ' ')
			cut--;
		ab_buf_truncate(&b, cut);
	}
	while (b.len && (b.buf[b.len - 1] == ' ' || b.buf[b.len - 1] == '.'))
		ab_buf_truncate(&b, b.len - 1);
	if (!b.len)
		ab_buf_adds(&b, "Python package");
	return ab_buf_detach(&b);
}

/* A description rpmlint accepts: each paragraph re-flowed at 79 columns
 * (a word longer than that stays whole on its line). */
static char *wrap(const char *text)
{
	struct ab_buf b = AB_BUF_INIT;
	size_t col = 0;
	const char *c = text ? text : "";
	bool blank_pending = false;
	while (*c) {
		if (*c == '\n') {
			/* a blank line ends a paragraph */
			const char *n = c + 1;
			while (*n == ' ' || *n == '\t' || *n == '\r')
				n++;
			if (*n == '\n')
				blank_pending = b.len > 0;
			c++;
			continue;
		}
		if (*c == ' ' || *c == '\t' || *c == '\r') {
			c++;
			continue;
		}
		size_t w = strcspn(c, " \t\r\n");
		if (blank_pending) {
			ab_buf_adds(&b, "\n\n");
			col = 0;
			blank_pending = false;
		} else if (col && col + 1 + w > LINE_MAX_COLS) {
			ab_buf_addc(&b, '\n');
			col = 0;
		} else if (col) {
			ab_buf_addc(&b, ' ');
			col++;
		}
		ab_buf_add(&b, c, w);
		col += w;
		c += w;
	}
	return ab_buf_detach(&b);
}

static char *clean_license(const char *l)
{
	if (!l || !*l || strpbrk(l, "\r\n") || strlen(l) > 200)
		return ab_xstrdup("LicenseRef-Unknown");
	return ab_xstrdup(l);
}

static enum extmap_op op_of(enum pkgset_op op)
{
	switch (op) {
	case PKGSET_LT:
		return EXTMAP_LT;
	case PKGSET_LE:
		return EXTMAP_LE;
	case PKGSET_EQ:
		return EXTMAP_EQ;
	case PKGSET_GE:
		return EXTMAP_GE;
	case PKGSET_GT:
		break;
	}
	return EXTMAP_GT;
}

static void push(char ***v, size_t *n, size_t *cap, char *s)
{
	AB_GROW(*v, *cap, *n + 1);
	(*v)[(*n)++] = s;
}

/* systemd reads unit files only on daemon-reload; when systemd is not
 * running (a container, a chroot, rpm --root) there is nothing to tell. */
static const char reload[] = "if [ -d /run/systemd/system ]; then\n"
			     "\tsystemctl daemon-reload >/dev/null 2>&1 || :\n"
			     "fi";

void pkg_rpm_describe(const struct pkgset *s, size_t i, struct pkg_rpm_desc *d)
{
	const struct pkgset_pkg *pk = &s->pkgs[i];
	size_t nreq = 0, capreq = 0, nprov = 0, capprov = 0;
	struct ab_buf b = AB_BUF_INIT;

	memset(d, 0, sizeof(*d));
	d->summary = one_summary(pk->summary);
	d->license = clean_license(pk->license);
	d->description = wrap(pk->description && *pk->description ? pk->description : d->summary);
	for (size_t k = 0; k < pk->ndeps; k++) {
		const struct pkgset_dep *dep = &pk->deps[k];
		switch (dep->kind) {
		case PKGSET_DEP_SET:
			ab_buf_addf(&b, "%s = %s", s->pkgs[dep->pkg].name,
				    s->pkgs[dep->pkg].ver.evr);
			push(&d->requires, &nreq, &capreq, ab_buf_detach(&b));
			break;
		case PKGSET_DEP_PYTHON:
			/* what Fedora's python3 package provides */
			ab_buf_addf(&b, "python(abi) = %u.%u", s->py_major, s->py_minor);
			push(&d->requires, &nreq, &capreq, ab_buf_detach(&b));
			break;
		case PKGSET_DEP_LIBC:
			/* the wheels' manylinux promise; rpm's own generator would
			 * say libc.so.6(GLIBC_2.17)(64bit), which needs the ELF
			 * scan this package does not run */
			ab_buf_addf(&b, "glibc >= %s", dep->clauses[0].version);
			push(&d->requires, &nreq, &capreq, ab_buf_detach(&b));
			break;
		case PKGSET_DEP_EXTERNAL:
			if (!dep->nclauses) {
				extmap_format_clause(OSVER_RPM, dep->name, -1, NULL, &b);
				push(&d->requires, &nreq, &capreq, ab_buf_detach(&b));
			}
			for (size_t c = 0; c < dep->nclauses; c++) {
				extmap_format_clause(OSVER_RPM, dep->name,
						     (int)op_of(dep->clauses[c].op),
						     dep->clauses[c].version, &b);
				push(&d->requires, &nreq, &capreq, ab_buf_detach(&b));
			}
			break;
		}
	}
	if (pk->kind == PKGSET_DIST) {
		/* scoped to the set's prefix: another app's copy, or the OS's
		 * python3-*, never satisfies it by accident */
		ab_buf_addf(&b, "%sdist(%s) = %s%s%s", s->name_prefix, pk->project, pk->ver.epoch,
			    *pk->ver.epoch ? ":" : "", pk->ver.version);
		push(&d->provides, &nprov, &capprov, ab_buf_detach(&b));
	}
	ab_buf_addf(&b, "Packaged by appbuild from %s %s", pk->project, pk->pyversion);
	d->changelog = ab_buf_detach(&b);
	if (pk->has_units) {
		d->post = ab_xstrdup(reload);
		d->postun = ab_xstrdup(reload);
	}
	if (pk->user) {
		/* the user outlives the package (Fedora: users are never
		 * removed, their files may remain) */
		ab_buf_addf(
			&b,
			"getent group %s >/dev/null || groupadd -r %s\n"
			"getent passwd %s >/dev/null || useradd -r -g %s -d %s -s /sbin/nologin "
			"-c '%s service' %s\n"
			"exit 0",
			pk->user, pk->user, pk->user, pk->user, s->prefix, pk->name, pk->user);
		d->pre = ab_buf_detach(&b);
		/* useradd, groupadd and getent before %pre runs */
		push(&d->requires, &nreq, &capreq, ab_xstrdup("(shadow-utils or shadow)"));
	}
	/* byte-code Python wrote at run time is no file of the package: gone
	 * before erase and upgrade (%preun runs for both), so nothing is left */
	if (pk->pyclean)
		d->preun = ab_xstrdup(pk->pyclean);
	d->pkg = (struct rpmbuild_pkg){
		.name = pk->name,
		.epoch = pk->ver.epoch,
		.version = pk->ver.version,
		.release = pk->ver.release,
		.summary = d->summary,
		.license = d->license,
		.url = pk->url,
		.description = d->description,
		.arch = pk->arch_independent ? "noarch" : s->machine,
		.requires = (const char *const *)d->requires,
		.nrequires = nreq,
		.provides = (const char *const *)d->provides,
		.nprovides = nprov,
		.config = pk->config,
		.nconfig = pk->nconfig,
		.pre = d->pre,
		.post = d->post,
		.preun = d->preun,
		.postun = d->postun,
		.buildroot = pk->root,
		.mtime = s->mtime,
		.packager = pk->maintainer,
		/* Fedora dropped groups, rpmlint still wants the tag and takes
		 * Fedora's "Unspecified" for none */
		.group = pk->kind == PKGSET_APP || pk->kind == PKGSET_SINGLE
				 ? "Applications/Internet"
				 : "Development/Languages/Python",
		.changelog = d->changelog,
	};
	ab_buf_release(&b);
}

void pkg_rpm_desc_release(struct pkg_rpm_desc *d)
{
	for (size_t i = 0; i < d->pkg.nrequires; i++)
		free(d->requires[i]);
	for (size_t i = 0; i < d->pkg.nprovides; i++)
		free(d->provides[i]);
	free(d->requires);
	free(d->provides);
	free(d->summary);
	free(d->license);
	free(d->description);
	free(d->pre);
	free(d->post);
	free(d->preun);
	free(d->postun);
	free(d->changelog);
	memset(d, 0, sizeof(*d));
}

/* useradd's portable names (shadow's default NAME_REGEX, 32 bytes): also
 * what the scriptlet can hold unquoted */
static bool valid_user(const char *u)
{
	size_t n = strlen(u);
	if (!n || n > 32 || !((u[0] >= 'a' && u[0] <= 'z') || u[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= '0' && u[i] <= '9') || u[i] == '_' ||
		      u[i] == '-'))
			return false;
	return true;
}

/* ---- identical files as hard links ---- */

struct fent {
	char *rel; /* path below the root, "/opt/..." (owned) */
	off_t size;
	mode_t mode;
	char hex[65];
};

static int fent_cmp(const void *a, const void *b)
{
	const struct fent *x = a, *y = b;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	if (x->mode != y->mode)
		return x->mode < y->mode ? -1 : 1;
	int c = strcmp(x->hex, y->hex);
	return c ? c : strcmp(x->rel, y->rel);
}

static int hash_file(const char *path, char hex[65], struct ab_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ab_err_set(err, AB_E_IO, "cannot open '%s': %s", path, strerror(errno));
	struct cache_sha256 h;
	char buf[65536];
	ssize_t n;
	cache_sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		cache_sha256_update(&h, buf, (size_t)n);
	cache_sha256_final(&h, hex);
	cache_sha256_release(&h);
	close(fd);
	return n < 0 ? ab_err_set(err, AB_E_IO, "cannot read '%s': %s", path, strerror(errno)) : 0;
}

struct fents {
	struct fent *v;
	size_t n, cap;
	struct ab_err *err;
};

/* Every non-empty regular file, hashed (the walk's order does not matter:
 * link_duplicates sorts them on all of their fields). */
static int collect(const struct ab_walk_entry *e, void *ctx)
{
	struct fents *fs = ctx;
	if (!S_ISREG(e->st->st_mode) || e->st->st_size == 0)
		return 0;
	AB_GROW(fs->v, fs->cap, fs->n + 1);
	struct fent *f = &fs->v[fs->n++];
	f->rel = ab_xstrdup(e->rel);
	f->size = e->st->st_size;
	/* as rpmbuild_build will make it (its touch_one) */
	f->mode = (e->st->st_mode & 0111) ? 0755 : 0644;
	return hash_file(e->path, f->hex, fs->err);
}

/* rpmlint's files-duplicated-waste (an error past 100 kB: setuptools
 * vendors the same modules twice) and files-duplicate ask for hard links:
 * every regular file identical to another (content and mode, not a
 * configuration file) becomes a link to the first by path. Deterministic,
 * so the package stays reproducible; rpm stores and restores the links. */
static int link_duplicates(const struct pkgset_pkg *pk, struct ab_err *err)
{
	struct ab_buf full = AB_BUF_INIT, tmp = AB_BUF_INIT, a = AB_BUF_INIT;
	struct fents fs = { NULL, 0, 0, err };
	int r = ab_walk(pk->root, 0, collect, &fs, err);
	struct fent *v = fs.v;
	size_t n = fs.n;
	if (r == 0 && n)
		qsort(v, n, sizeof(*v), fent_cmp);
	for (size_t i = 0; r == 0 && i < n;) {
		size_t j = i + 1;
		while (j < n && v[j].size == v[i].size && v[j].mode == v[i].mode &&
		       !strcmp(v[j].hex, v[i].hex))
			j++;
		size_t first = SIZE_MAX;
		for (size_t k = i; k < j && j - i > 1; k++) {
			bool config = false;
			for (size_t c = 0; c < pk->nconfig; c++)
				config |= !strcmp(pk->config[c], v[k].rel);
			if (config)
				continue;
			if (first == SIZE_MAX) {
				first = k;
				continue;
			}
			ab_buf_reset(&a);
			ab_buf_addf(&a, "%s%s", pk->root, v[first].rel);
			ab_buf_reset(&tmp);
			ab_buf_addf(&tmp, "%s%s.appbuild-link", pk->root, v[k].rel);
			ab_buf_reset(&full);
			ab_buf_addf(&full, "%s%s", pk->root, v[k].rel);
			if (link(a.buf, tmp.buf) < 0 || rename(tmp.buf, full.buf) < 0) {
				r = ab_err_set(err, AB_E_IO, "cannot link '%s' to '%s': %s",
					       full.buf, a.buf, strerror(errno));
				unlink(tmp.buf);
			}
		}
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].rel);
	free(v);
	ab_buf_release(&full);
	ab_buf_release(&tmp);
	ab_buf_release(&a);
	return r;
}

int pkg_rpm_write(const struct pkgset *s, size_t i, const char *outdir, char **path,
		  struct ab_err *err)
{
	struct pkg_rpm_desc d;
	struct ab_buf work = AB_BUF_INIT;
	const char *tmp = getenv("TMPDIR");
	int r;

	*path = NULL;
	if (s->pkgs[i].user && !valid_user(s->pkgs[i].user))
		return ab_err_set(err, AB_E_INVALID,
				  "invalid system user name '%s' ([a-z_][a-z0-9_-]*, at most 32)",
				  s->pkgs[i].user);
	ab_buf_addf(&work, "%s/appbuild-rpm-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(work.buf)) {
		r = ab_err_set(err, AB_E_IO, "cannot create directory '%s': %s", work.buf,
			       strerror(errno));
		ab_buf_release(&work);
		return r;
	}
	r = link_duplicates(&s->pkgs[i], err);
	if (r < 0) {
		sdist_remove_tree(work.buf, NULL);
		ab_buf_release(&work);
		return r;
	}
	pkg_rpm_describe(s, i, &d);
	r = rpmbuild_build(&d.pkg, work.buf, outdir, path, err);
	pkg_rpm_desc_release(&d);
	sdist_remove_tree(work.buf, NULL);
	ab_buf_release(&work);
	return r;
}

/* ---- one process per package ---- */

/* The child's answer on its pipe: "OK\n<path>" or
 * "ERR <code> <line> <col>\n<file>\n<msg>\0<notes>". */
static void child_report(int fd, int r, const char *path, const struct ab_err *e)
{
	struct ab_buf b = AB_BUF_INIT;
	if (r >= 0) {
		ab_buf_addf(&b, "OK\n%s", path);
	} else {
		ab_buf_addf(&b, "ERR %d %u %u\n%s\n", e->code ? e->code : -r, e->line, e->col,
			    e->file ? e->file : "");
		/* a pipe holds 64 KiB: rpm's log can be longer */
		ab_buf_add(&b, e->msg.buf, e->msg.len > 16384 ? 16384 : e->msg.len);
		ab_buf_addc(&b, '\0');
		ab_buf_add(&b, e->notes.buf, e->notes.len > 16384 ? 16384 : e->notes.len);
	}
	for (size_t off = 0; off < b.len;) {
		ssize_t w = write(fd, b.buf + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	ab_buf_release(&b);
}

struct job {
	pid_t pid;
	int fd;		  /* read end of the child's pipe */
	struct ab_buf in; /* what it wrote */
	int status;
	bool done;
};

/* Turn a child's answer into *path or an error in `e`. */
static int child_result(struct job *j, size_t i, const struct pkgset *s, char **path,
			struct ab_err *e)
{
	const char *p = j->in.buf;
	if (!strncmp(p, "OK\n", 3) && WIFEXITED(j->status) && WEXITSTATUS(j->status) == 0) {
		*path = ab_xstrdup(p + 3);
		return 0;
	}
	if (strncmp(p, "ERR ", 4))
		return ab_err_set(e, AB_E_BUILD, "building '%s' failed (%s %d)", s->pkgs[i].name,
				  WIFSIGNALED(j->status) ? "signal" : "exit status",
				  WIFSIGNALED(j->status) ? WTERMSIG(j->status)
							 : WEXITSTATUS(j->status));
	int code = AB_E_BUILD;
	unsigned line = 0, col = 0;
	const char *hdr_end = strchr(p, '\n');
	if (!hdr_end || sscanf(p + 4, "%d %u %u", &code, &line, &col) < 3)
		return ab_err_set(e, AB_E_BUILD, "building '%s' failed", s->pkgs[i].name);
	/* the buffer is NUL-terminated at `end` (ab_buf) */
	const char *end = j->in.buf + j->in.len;
	const char *file = hdr_end + 1;
	const char *nl = strchr(file, '\n');
	const char *msg = nl ? nl + 1 : end;
	size_t msglen = strnlen(msg, (size_t)(end - msg));
	const char *notes = msg + msglen < end ? msg + msglen + 1 : end;
	char *f = nl && nl > file ? ab_xstrndup(file, (size_t)(nl - file)) : NULL;
	struct ab_loc loc = { f, line, col };
	int r = ab_err_at(e, code > 0 ? code : AB_E_BUILD, f ? &loc : NULL, "%s", msg);
	if (*notes)
		ab_err_note(e, "%s", notes);
	free(f);
	return r;
}

static void rm_dir_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct ab_buf p = AB_BUF_INIT;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", dir, de->d_name);
		unlink(p.buf);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	ab_buf_release(&p);
}

int pkg_rpm_write_all(const struct pkgset *s, const char *outdir, unsigned jobs, char ***paths,
		      struct ab_err *err)
{
	struct ab_buf stage = AB_BUF_INIT;
	struct job *j = ab_xcalloc(s->n ? s->n : 1, sizeof(*j));
	char **staged = ab_xcalloc(s->n ? s->n : 1, sizeof(*staged));
	struct ab_err *errs = ab_xcalloc(s->n ? s->n : 1, sizeof(*errs));
	size_t next = 0, running = 0;
	int r = 0;

	*paths = NULL;
	if (!jobs) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = c < 1 ? 1 : c > 8 ? 8 : (unsigned)c;
	}
	ab_buf_addf(&stage, "%s/.appbuild-rpm.XXXXXX", outdir);
	if (!mkdtemp(stage.buf)) {
		r = ab_err_set(err, AB_E_IO, "cannot create a directory in '%s': %s", outdir,
			       strerror(errno));
		ab_buf_reset(&stage);
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		j[i].fd = -1;
		j[i].in = (struct ab_buf)AB_BUF_INIT;
		errs[i] = (struct ab_err)AB_ERR_INIT;
	}
	/* stdout/stderr buffers must not be flushed twice by the children */
	fflush(NULL);
	while (next < s->n || running) {
		while (next < s->n && running < jobs) {
			size_t i = next++;
			int fds[2];
			if (pipe2(fds, O_CLOEXEC) < 0) {
				ab_err_set(&errs[i], AB_E_IO, "cannot create a pipe: %s",
					   strerror(errno));
				j[i].done = true;
				continue;
			}
			pid_t pid = fork();
			if (pid == 0) {
				close(fds[0]);
				struct ab_err ce = AB_ERR_INIT;
				char *path = NULL;
				int cr = pkg_rpm_write(s, i, stage.buf, &path, &ce);
				child_report(fds[1], cr, path, &ce);
				_exit(cr < 0 ? 1 : 0);
			}
			close(fds[1]);
			if (pid < 0) {
				close(fds[0]);
				ab_err_set(&errs[i], AB_E_IO, "cannot fork: %s", strerror(errno));
				j[i].done = true;
				continue;
			}
			j[i].pid = pid;
			j[i].fd = fds[0];
			running++;
		}
		if (!running)
			break;
		int st;
		pid_t pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			r = ab_err_set(err, AB_E_INTERNAL, "waitpid: %s", strerror(errno));
			break;
		}
		for (size_t i = 0; i < s->n; i++) {
			if (j[i].pid != pid || j[i].done)
				continue;
			/* the child has exited: its answer is in the pipe */
			char buf[4096];
			ssize_t got;
			while ((got = read(j[i].fd, buf, sizeof(buf))) > 0 ||
			       (got < 0 && errno == EINTR))
				if (got > 0)
					ab_buf_add(&j[i].in, buf, (size_t)got);
			close(j[i].fd);
			j[i].fd = -1;
			j[i].status = st;
			j[i].done = true;
			running--;
			child_result(&j[i], i, s, &staged[i], &errs[i]);
		}
	}
	for (size_t i = 0; r == 0 && i < s->n; i++)
		if (errs[i].code) {
			r = ab_err_at(err, errs[i].code,
				      &(struct ab_loc){ errs[i].file, errs[i].line, errs[i].col },
				      "%s", errs[i].msg.buf);
			if (errs[i].notes.len)
				ab_err_note(err, "%s", errs[i].notes.buf);
		}
	if (r < 0)
		goto out;
	/* all built: into place */
	*paths = ab_xcalloc(s->n ? s->n : 1, sizeof(**paths));
	for (size_t i = 0; i < s->n; i++) {
		struct ab_buf dest = AB_BUF_INIT;
		const char *base = strrchr(staged[i], '/');
		ab_buf_addf(&dest, "%s/%s", outdir, base ? base + 1 : staged[i]);
		if (rename(staged[i], dest.buf) < 0) {
			r = ab_err_set(err, AB_E_IO, "cannot rename '%s' to '%s': %s", staged[i],
				       dest.buf, strerror(errno));
			ab_buf_release(&dest);
			for (size_t k = 0; k < i; k++)
				unlink((*paths)[k]);
			break;
		}
		(*paths)[i] = ab_buf_detach(&dest);
	}
	if (r < 0) {
		for (size_t i = 0; i < s->n; i++)
			free((*paths)[i]);
		free(*paths);
		*paths = NULL;
	}
out:
	for (size_t i = 0; i < s->n; i++) {
		if (j[i].fd >= 0)
			close(j[i].fd);
		if (j[i].pid > 0 && !j[i].done) {
			kill(j[i].pid, SIGKILL);
			waitpid(j[i].pid, NULL, 0);
		}
		ab_buf_release(&j[i].in);
		ab_err_release(&errs[i]);
		free(staged[i]);
	}
	if (stage.len)
		rm_dir_files(stage.buf);
	free(j);
	free(staged);
	free(errs);
	ab_buf_release(&stage);
	return r;
}

/* ---- repository ---- */

static int link_or_copy(const char *src, const char *dst, struct ab_err *err)
{
	unlink(dst);
	if (link(src, dst) == 0)
		return 0;
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	if (in >= 0)
		out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in < 0 || out < 0) {
		r = ab_err_set(err, AB_E_IO, "cannot copy '%s' to '%s': %s", src, dst,
			       strerror(errno));
		goto out;
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (n < 0)
		r = ab_err_set(err, AB_E_IO, "cannot copy '%s' to '%s': %s", src, dst,
			       strerror(errno));
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && r == 0)
		r = ab_err_set(err, AB_E_IO, "cannot write '%s': %s", dst, strerror(errno));
	return r;
}

/* Runs argv (PATH lookup) with stdout and stderr into `log`; returns its
 * exit status, or -1 when it cannot be started (errno set). */
static int run_capture(char *const *argv, struct ab_buf *log)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (e) {
		close(fds[0]);
		errno = e;
		return -1;
	}
	char buf[4096];
	ssize_t n;
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && log->len < 65536)
			ab_buf_add(log, buf, (size_t)n);
	close(fds[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int pkg_rpm_repo(const char *dir, char *const *rpms, size_t nrpms, int64_t mtime,
		 struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT, log = AB_BUF_INIT, rev = AB_BUF_INIT;
	int r = 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return ab_err_set(err, AB_E_IO, "cannot create directory '%s': %s", dir,
				  strerror(errno));
	for (size_t i = 0; r == 0 && i < nrpms; i++) {
		const char *base = strrchr(rpms[i], '/');
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", dir, base ? base + 1 : rpms[i]);
		if (strcmp(p.buf, rpms[i]))
			r = link_or_copy(rpms[i], p.buf, err);
	}
	/* primary.xml records each file's mtime: fixed, the metadata is
	 * reproducible too */
	DIR *d = r == 0 ? opendir(dir) : NULL;
	struct dirent *de;
	const struct timespec ts[2] = { { (time_t)mtime, 0 }, { (time_t)mtime, 0 } };
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".rpm"))
			continue;
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", dir, de->d_name);
		utimensat(AT_FDCWD, p.buf, ts, 0);
	}
	if (d)
		closedir(d);
	if (r < 0)
		goto out;
	ab_buf_addf(&rev, "%lld", (long long)mtime);
	char *argv[] = { "createrepo_c", "--quiet", "--no-database",
			 "--revision",	 rev.buf,   "--set-timestamp-to-revision",
			 (char *)dir,	 NULL };
	int st = run_capture(argv, &log);
	if (st < 0)
		r = ab_err_set(err, AB_E_BUILD,
			       "cannot run createrepo_c: %s (Debian package createrepo-c)",
			       strerror(errno));
	else if (st != 0)
		r = ab_err_set(err, AB_E_BUILD, "createrepo_c failed (exit status %d): %s", st,
			       log.buf);
out:
	ab_buf_release(&p);
	ab_buf_release(&log);
	ab_buf_release(&rev);
	return r;
}
