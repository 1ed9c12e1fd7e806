/* pep517_sdist.c - sdists from the index: PKG-INFO when static, else the
 * backend; fetched, unpacked and built through pep517.c's jobs; several
 * built at a time by pep517_prebuild() (see pep517.h). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/pep517_priv.h"
#include "builder/sdist.h"
#include "formats/core/mem.h"
#include "formats/metadata.h"

/* One pass over the archive: <top>/pyproject.toml, <top>/PKG-INFO and
 * whether <top>/setup.py exists (top: the first path component, as
 * sdist_unpack() strips a single top directory). */
struct sdist_scan {
	bool has_pyproject, has_pkg_info, has_setup_py;
	struct ab_buf pyproject, pkg_info;
};

static int scan_sdist(const char *path, const char *filename, struct sdist_scan *sc,
		      struct ab_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		r = ab_err_set(err, AB_E_IO, "cannot read '%s': %s", filename,
			       archive_error_string(a));
		goto out;
	}
	int ar;
	/* ARCHIVE_WARN: a name not convertible to the locale's charset
	 * (Django's non-ASCII locale files under LC_ALL=C), as sdist_unpack() */
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname_utf8(e);
		if (!name)
			name = archive_entry_pathname(e);
		if (!name)
			continue;
		if (!strncmp(name, "./", 2))
			name += 2;
		const char *slash = strchr(name, '/');
		const char *rest = slash ? slash + 1 : name;
		if (slash && strchr(rest, '/'))
			continue;
		struct ab_buf *dst = NULL;
		if (!strcmp(rest, "pyproject.toml") && !sc->has_pyproject) {
			sc->has_pyproject = true;
			dst = &sc->pyproject;
		} else if (!strcmp(rest, "PKG-INFO") && !sc->has_pkg_info) {
			sc->has_pkg_info = true;
			dst = &sc->pkg_info;
		} else if (!strcmp(rest, "setup.py"))
			sc->has_setup_py = true;
		if (!dst)
			continue;
		char chunk[8192];
		la_ssize_t got;
		while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			ab_buf_add(dst, chunk, (size_t)got);
		if (got < 0) {
			r = ab_err_set(err, AB_E_IO, "cannot read '%s': %s", filename,
				       archive_error_string(a));
			goto out;
		}
	}
	if (ar != ARCHIVE_EOF)
		r = ab_err_set(err, AB_E_IO, "cannot read '%s': %s", filename,
			       archive_error_string(a));
out:
	archive_read_free(a);
	return r;
}

/* pip refuses to build for --platform / --python-version targets (its
 * "--only-binary=:all: must be set" rule): the backend runs here, on this
 * interpreter, and its wheel would be for this machine. */
static int check_target(struct pep517 *b, const struct job *j, struct ab_err *err)
{
	const struct target *t = b->o.tgt;
	if (!t)
		return 0;
	int r = pep517_host_line(b, err);
	if (r < 0)
		return r;
	unsigned maj = 0, min = 0;
	bool same = sscanf(b->host.buf, "%u.%u", &maj, &min) == 2 && maj == t->py_major &&
		    min == t->py_minor;
	if (!t->nplatforms && same)
		return 0;
	r = ab_err_set(err, AB_E_UNSUPPORTED, "cannot build %s from source for %s", j->what,
		       t->description);
	ab_err_note(err, "the build runs on '%s' (%.*s), which is not the target: use a wheel "
			 "(--only-binary) or build on the target",
		    b->o.python ? b->o.python : "python3", (int)strcspn(b->host.buf, " "),
		    b->host.buf);
	return r;
}

static int sdist_job(struct pep517 *b, const struct index_candidate *c, const char *const *hashes,
		     size_t nhashes, enum want want, struct ab_buf *md, struct pep517_wheel *w,
		     struct ab_err *err)
{
	struct ab_buf path = AB_BUF_INIT, dest = AB_BUF_INIT, vs = AB_BUF_INIT;
	struct sdist_scan sc = { false, false, false, AB_BUF_INIT, AB_BUF_INIT };
	struct sdist sd = SDIST_INIT;
	bool unpacked = false;
	char sha[65];
	struct job j;
	memset(&j, 0, sizeof(j));
	pep440_version_format(c->version, &vs);
	struct pep517_source src = { NULL, sha, c->project, vs.buf };
	j.s = &src;
	j.what = pep517_describe(&src);
	int pushed = 0, r;

	if (c->wheel) {
		r = ab_err_set(err, AB_E_INTERNAL, "'%s' is not an sdist", c->filename);
		goto out;
	}
	r = index_fetch_file(b->o.ix, c, hashes, nhashes, &path, err);
	if (r < 0)
		goto out;
	const char *base = strrchr(path.buf, '/');
	base = base ? base + 1 : path.buf;
	if (cache_is_sha256(base))
		memcpy(sha, base, 65);
	else {
		r = cache_sha256_file(path.buf, sha, err);
		if (r < 0)
			goto out;
	}
	r = scan_sdist(path.buf, c->filename, &sc, err);
	if (r < 0)
		goto out;
	/* PEP 643: static metadata needs no build */
	if (want == WANT_METADATA && sc.has_pkg_info) {
		struct metadata m;
		if (metadata_parse(ab_buf_str(&sc.pkg_info), METADATA_SKIP_REQS, c->filename, &m,
				   NULL) >= 0) {
			bool st = sdist_metadata_is_static(&m);
			metadata_release(&m);
			if (st) {
				r = pep517_check_metadata(&j, &sc.pkg_info, err);
				if (r >= 0)
					ab_buf_add(md, sc.pkg_info.buf, sc.pkg_info.len);
				goto out;
			}
		}
	}
	r = check_target(b, &j, err);
	if (r < 0)
		goto out;
	pushed = pep517_push_build(b, c->project, err);
	if (pushed < 0) {
		r = pushed;
		goto out;
	}
	struct ab_buf file = AB_BUF_INIT;
	ab_buf_addf(&file, "%s/pyproject.toml", c->filename);
	r = pep517_load_pyproject(&j, sc.has_pyproject ? &sc.pyproject : NULL, sc.has_setup_py, file.buf,
			   err);
	ab_buf_release(&file);
	if (r < 0)
		goto out;
	r = pep517_job_run(b, &j, want, md, w, err);
	if (r <= 0 || want == WANT_PREPARE)
		goto out; /* done: a cache hit, an error, or prepared */
	/* a miss: unpack, then build */
	if (b->o.out)
		ab_info(b->o.out, want == WANT_METADATA ? "preparing the metadata of '%s' %s (sdist)"
							: "building '%s' %s from source",
			c->project, vs.buf);
	r = pep517_new_dir(b, "sdist", &dest, err);
	if (r < 0)
		goto out;
	ab_buf_adds(&dest, "/src");
	r = sdist_unpack(path.buf, dest.buf, &sd, err);
	if (r < 0)
		goto out;
	unpacked = true;
	src.dir = sd.root;
	r = pep517_job_run(b, &j, want, md, w, err);
out:
	if (r < 0)
		ab_err_note(err, "while building '%s' %s from '%s'", c->project, vs.buf,
			    c->filename);
	pep517_pop_build(b, pushed);
	if (unpacked) {
		/* the tree is not needed once the wheel is in the cache */
		sdist_remove_tree(sd.dir, NULL);
		sdist_release(&sd);
	}
	pep517_job_release(&j);
	ab_buf_release(&sc.pyproject);
	ab_buf_release(&sc.pkg_info);
	ab_buf_release(&path);
	ab_buf_release(&dest);
	ab_buf_release(&vs);
	return r < 0 ? r : want == WANT_PREPARE ? r : 0;
}

int pep517_sdist_metadata(struct pep517 *b, const struct index_candidate *c,
			  struct ab_buf *metadata, struct ab_err *err)
{
	return sdist_job(b, c, NULL, 0, WANT_METADATA, metadata, NULL, err);
}

int pep517_sdist_wheel(struct pep517 *b, const struct index_candidate *c,
		       const char *const *hashes, size_t nhashes, struct pep517_wheel *out,
		       struct ab_err *err)
{
	return sdist_job(b, c, hashes, nhashes, WANT_WHEEL, NULL, out, err);
}

int pep517_fetch_wheel(struct pep517 *b, const struct index_candidate *c,
		       const char *const *hashes, size_t nhashes, struct ab_buf *path,
		       const char **filename, struct ab_err *err)
{
	if (c->wheel) {
		*filename = c->filename;
		return index_fetch_file(b->o.ix, c, hashes, nhashes, path, err);
	}
	struct pep517_wheel w = PEP517_WHEEL_INIT;
	int r = pep517_sdist_wheel(b, c, hashes, nhashes, &w, err);
	if (r >= 0) {
		ab_buf_adds(path, w.path);
		AB_GROW(b->names, b->cnames, b->nnames + 1);
		b->names[b->nnames++] = w.filename;
		*filename = w.filename;
		w.filename = NULL;
	}
	pep517_wheel_release(&w);
	return r;
}

/* A child of pep517_prebuild: build c, leave the error in `errfile`. */
static void prebuild_child(struct pep517 *b, const struct index_candidate *c, unsigned slot,
			   const char *errfile)
{
	struct ab_err e = AB_ERR_INIT;
	struct pep517_wheel w = PEP517_WHEEL_INIT;
	/* its own names in the shared temporary directory */
	b->seq = (slot + 1) * 100000u;
	int r = pep517_sdist_wheel(b, c, NULL, 0, &w, &e);
	if (r < 0) {
		FILE *f = fopen(errfile, "w");
		if (f) {
			fprintf(f, "%d\n%s\n%s", e.code, e.msg.buf, e.notes.buf);
			fclose(f);
		}
	}
	fflush(NULL);
	_exit(r < 0 ? 1 : 0);
}

/* The error a child left (code, message, notes), or a generic one. */
static int prebuild_error(const struct index_candidate *c, const char *errfile, int status,
			  struct ab_err *err)
{
	struct ab_buf t = AB_BUF_INIT;
	int r;
	if (pep517_read_file(errfile, &t, NULL) < 0 || !t.len) {
		r = ab_err_set(err, AB_E_BUILD, "building '%s' from '%s' failed (status %d)",
			       c->project, c->filename, status);
		goto out;
	}
	char *nl = strchr(t.buf, '\n');
	int code = atoi(t.buf);
	char *msg = nl ? nl + 1 : t.buf;
	char *notes = strchr(msg, '\n');
	if (notes)
		*notes++ = 0;
	r = ab_err_set(err, code > 0 ? code : AB_E_BUILD, "%s", msg);
	while (notes && *notes) {
		char *e = strchr(notes, '\n');
		if (e)
			*e = 0;
		ab_err_note(err, "%s", notes);
		notes = e ? e + 1 : NULL;
	}
out:
	ab_buf_release(&t);
	return r;
}

int pep517_prebuild(struct pep517 *b, const struct index_candidate *const *c, size_t n,
		    struct ab_err *err)
{
	size_t *need = ab_xcalloc(n + 1, sizeof(*need)), nneed = 0;
	pid_t *pids = NULL;
	size_t *slots = NULL, running = 0, first_bad = n;
	struct ab_err bad = AB_ERR_INIT;
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		if (!c[i] || c[i]->wheel)
			continue;
		struct pep517_wheel w = PEP517_WHEEL_INIT;
		r = sdist_job(b, c[i], NULL, 0, WANT_PREPARE, NULL, &w, err);
		pep517_wheel_release(&w);
		if (r < 0)
			goto out;
		if (r == 1)
			need[nneed++] = i;
	}
	r = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t jobs = cpus > 8 ? 8 : cpus > 0 ? (size_t)cpus : 1;
	/* one build at a time: the sequential path (the caller's) does it */
	if (nneed < 2 || jobs < 2)
		goto out;
	r = pep517_ensure_tmp(b, err);
	if (r < 0)
		goto out;
	pids = ab_xcalloc(jobs, sizeof(*pids));
	slots = ab_xcalloc(jobs, sizeof(*slots));
	for (size_t k = 0; k < nneed || running;) {
		if (k < nneed && running < jobs) {
			struct ab_buf ef = AB_BUF_INIT;
			ab_buf_addf(&ef, "%s/prebuild-%zu.err", b->tmp, need[k]);
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0)
				prebuild_child(b, c[need[k]], (unsigned)k, ef.buf);
			ab_buf_release(&ef);
			if (pid < 0) {
				/* no more processes: the caller builds the rest in turn */
				k = nneed;
				continue;
			}
			pids[running] = pid;
			slots[running++] = need[k++];
			continue;
		}
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t q = 0; q < running; q++) {
			if (pids[q] != pid)
				continue;
			size_t i = slots[q];
			if ((!WIFEXITED(status) || WEXITSTATUS(status)) && i < first_bad) {
				struct ab_buf ef = AB_BUF_INIT;
				ab_buf_addf(&ef, "%s/prebuild-%zu.err", b->tmp, i);
				ab_err_clear(&bad);
				prebuild_error(c[i], ef.buf, status, &bad);
				ab_buf_release(&ef);
				first_bad = i;
				k = nneed; /* start nothing more */
			}
			pids[q] = pids[--running];
			slots[q] = slots[running];
			break;
		}
	}
	if (first_bad < n) {
		r = ab_err_set(err, bad.code, "%s", bad.msg.buf);
		if (bad.notes.len)
			ab_err_note(err, "%s", bad.notes.buf);
	}
out:
	ab_err_release(&bad);
	free(pids);
	free(slots);
	free(need);
	return r;
}

int pep517_provider_metadata(void *data, const struct index_candidate *c, struct ab_buf *md,
			     struct ab_err *err)
{
	return pep517_sdist_metadata(data, c, md, err);
}

