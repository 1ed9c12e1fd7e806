/* install.c - PEP 427 wheel installer (see install.h). */
#include "builder/install.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/install_int.h"
#include "formats/core/arena.h"
#include "formats/core/fs.h"
#include "formats/core/mem.h"
#include "formats/distfile.h"
#include "formats/lazy/lazy.h"
#include "formats/names.h"
#include "formats/wheel.h"

extern char **environ;

/* sh: ''  'exec' concatenate to `exec`, which never returns; Python: a
 * triple-quoted string from the first ''' to the ''' on line 3. readlink -f
 * resolves a symlink to the script (e.g. from /usr/local/bin), so the
 * interpreter found is the one in the environment's bin/. This is the
 * relocatable form distlib and uv write. */
const char install_trampoline[] =
	"#!/bin/sh\n"
	"'''exec' \"$(dirname -- \"$(readlink -f -- \"$0\")\")/python\" \"$0\" \"$@\"\n"
	"' '''\n";

/* Larger than any real wheel member; a declared or streamed size above it
 * is refused before it fills the disk. */
#define MAX_MEMBER ((int64_t)4 << 30)
/* WHEEL, RECORD, entry_points.txt are read into memory. */
#define MAX_META ((size_t)64 << 20)

/* ------------------------------------------------------------------ */
/* small file system helpers */

int install_io_err(struct ab_err *err, const char *path, const char *what)
{
	struct ab_loc loc = { path, 0, 0 };
	return ab_err_at(err, AB_E_IO, &loc, "cannot %s: %s", what, strerror(errno));
}

/* mkdir -p of path[0..len) (path is modified temporarily). */
static int mkdirs(char *path, size_t len, struct ab_err *err)
{
	char save = path[len];
	path[len] = '\0';
	int r = 0;
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		goto out;
	if (errno != ENOENT) {
		r = install_io_err(err, path, "create directory");
		goto out;
	}
	char *slash = strrchr(path, '/');
	if (slash && slash > path) {
		r = mkdirs(path, (size_t)(slash - path), err);
		if (r == 0 && mkdir(path, 0755) < 0 && errno != EEXIST)
			r = install_io_err(err, path, "create directory");
	} else {
		r = install_io_err(err, path, "create directory");
	}
out:
	path[len] = save;
	return r;
}

int install_mkdir_parent(char *path, struct ab_err *err)
{
	char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	return mkdirs(path, (size_t)(slash - path), err);
}

static int remove_entry(const struct ab_walk_entry *e, void *ctx)
{
	if (!S_ISDIR(e->st->st_mode))
		unlink(e->path);
	else if (e->post)
		rmdir(e->path);
	return 0;
}

/* rm -rf of a staging directory; errors are ignored (best effort cleanup). */
static void remove_tree(const char *path)
{
	ab_walk(path, AB_WALK_POST, remove_entry, NULL, NULL);
	rmdir(path);
}

/* All of data[0..n) to fd (`path` for the message). */
static int write_all(int fd, const void *data, size_t n, const char *path, struct ab_err *err)
{
	const char *p = data;
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return install_io_err(err, path, "write");
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int install_write_file(const char *path, const void *data, size_t n, mode_t mode,
		      struct ab_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return install_io_err(err, path, "create file");
	int r = write_all(fd, data, n, path, err);
	if (close(fd) < 0 && r == 0)
		r = install_io_err(err, path, "write");
	return r;
}

/* ------------------------------------------------------------------ */
/* the environment */

int install_env_create(const struct install_opts *o, struct ab_err *err)
{
	const struct interp *py = o->py;
	struct ab_buf p = AB_BUF_INIT, cfg = AB_BUF_INIT, v = AB_BUF_INIT;
	int r = 0;

	const char *dirs[] = { py->scripts, py->purelib, py->platlib, "include" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(dirs) && r == 0; i++) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", o->root, dirs[i]);
		r = mkdirs(p.buf, p.len, err);
	}
	if (r < 0)
		goto out;
	/* venv: lib64 -> lib on 64-bit POSIX (not macOS) when platlibdir is lib */
	if (py->pointer_bits == 64 && !strncmp(py->purelib, "lib/", 4)) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/lib64", o->root);
		if (symlink("lib", p.buf) < 0 && errno != EEXIST) {
			r = install_io_err(err, p.buf, "create symlink");
			goto out;
		}
	}
	/* venv: bin/python -> the base executable, python3 and python3.X -> python */
	ab_buf_addf(&v, "python%u.%u", py->major, py->minor);
	const char *links[][2] = { { "python", py->base_executable },
				   { "python3", "python" },
				   { v.buf, "python" } };
	for (size_t i = 0; i < AB_ARRAY_SIZE(links); i++) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s/%s", o->root, py->scripts, links[i][0]);
		if (symlink(links[i][1], p.buf) < 0) {
			if (errno != EEXIST) {
				r = install_io_err(err, p.buf, "create symlink");
				goto out;
			}
			/* an existing environment for another interpreter: replace */
			char cur[4096];
			ssize_t n = readlink(p.buf, cur, sizeof(cur) - 1);
			if (n >= 0)
				cur[n] = '\0';
			if (n < 0 || strcmp(cur, links[i][1])) {
				if (unlink(p.buf) < 0 || symlink(links[i][1], p.buf) < 0) {
					r = install_io_err(err, p.buf, "replace symlink");
					goto out;
				}
			}
		}
	}
	/* venv's pyvenv.cfg without `command` (it names the build directory) */
	ab_buf_addf(&cfg,
		    "home = %s\ninclude-system-site-packages = false\nversion = %s\n"
		    "executable = %s\n",
		    py->home, py->version, py->base_executable);
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/pyvenv.cfg", o->root);
	r = install_write_file(p.buf, cfg.buf, cfg.len, 0644, err);
out:
	ab_buf_release(&p);
	ab_buf_release(&cfg);
	ab_buf_release(&v);
	return r;
}

/* ------------------------------------------------------------------ */
/* one wheel */

struct member {
	const char *name; /* arena; as in the zip */
	int64_t size;     /* declared; -1 unknown */
	bool dir, exec;
	const struct wheel_record_row *row;
};

struct installed {
	char *rel;     /* relative to root (arena) */
	char *rec;     /* relative to the .dist-info's parent: the RECORD path (arena) */
	char hash[52]; /* "sha256=..." */
	int64_t size;
	char *mem;     /* memory mode: the contents; NULL: a file in the stage */
	bool mem_owned; /* mem is malloc'd (else inside the job's pool) */
	bool exec;     /* with mem */
};

struct job {
	const struct install_opts *o;
	const struct install_wheel *w;
	const char *fname; /* the wheel's file name, for messages */
	struct ab_arena arena;
	struct member *m;
	size_t nm, mcap;
	struct ab_buf wheel_txt, record_txt, ep_txt, metadata_seen;
	struct wheel_info info;
	struct wheel_record rec;
	struct wheel_entry_points eps;
	const char *distinfo; /* "name-1.0.dist-info" (arena) */
	const char *project;  /* "name" (arena) */
	const char *libdir;   /* purelib or platlib */
	struct ab_buf stage;  /* root/.appbuild-stage-XXXXXX */
	struct installed *inst;
	size_t ninst, icap;
	struct install_mem *mem; /* memory mode (see install_wheels_mem); NULL: files */
	char *last_dir;          /* the stage directory made last (mkdir -p once) */
	/* memory mode: the members' contents go here, one mapping populated
	 * at once (a page fault per page costs more than the copy) */
	unsigned char *pool;
	size_t pool_cap, pool_used;
};

static int werr(struct job *j, struct ab_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int werr(struct job *j, struct ab_err *err, int code, const char *fmt, ...)
{
	struct ab_buf m = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	struct ab_loc loc = { j->fname, 0, 0 };
	int r = ab_err_at(err, code, &loc, "%s", m.buf);
	ab_buf_release(&m);
	return r;
}

static int arc_open(struct job *j, struct archive **a, struct ab_err *err)
{
	*a = archive_read_new();
	if (!*a)
		return werr(j, err, AB_E_IO, "%s",
			    lazy_error(LAZY_ARCHIVE) ? lazy_error(LAZY_ARCHIVE)
						     : "cannot create an archive reader");
	/* the seekable reader trusts the central directory, as pip's zipfile */
	archive_read_support_format_zip_seekable(*a);
	if (archive_read_open_filename(*a, j->w->path, 1 << 16) != ARCHIVE_OK) {
		int r = werr(j, err, AB_E_IO, "cannot open '%s': %s", j->w->path,
			     archive_error_string(*a));
		archive_read_free(*a);
		*a = NULL;
		return r;
	}
	return 0;
}

static const char *entry_name(struct archive_entry *e)
{
	const char *n = archive_entry_pathname_utf8(e);
	return n ? n : archive_entry_pathname(e);
}

/* Reject names that would land outside the target. Returns 0 for a usable
 * name. Zip directory entries end with '/'. */
static int check_name(struct job *j, const char *name, struct ab_err *err)
{
	size_t len = strlen(name);
	if (!len)
		return werr(j, err, AB_E_INVALID, "empty member name");
	if (name[0] == '/')
		return werr(j, err, AB_E_INVALID, "absolute path '%s' in the wheel", name);
	if (len > 1 && name[1] == ':')
		return werr(j, err, AB_E_INVALID, "absolute path '%s' in the wheel", name);
	if (len && name[len - 1] == '/')
		len--;
	for (size_t i = 0; i < len;) {
		size_t k = i;
		while (k < len && name[k] != '/')
			k++;
		size_t n = k - i;
		if (n == 2 && name[i] == '.' && name[i + 1] == '.')
			return werr(j, err, AB_E_INVALID,
				    "path '%s' in the wheel escapes the target directory", name);
		if (n == 0 || (n == 1 && name[i] == '.'))
			return werr(j, err, AB_E_INVALID, "invalid path '%s' in the wheel", name);
		i = k + 1;
	}
	return 0;
}

/* Read the current entry's data into b (at most MAX_META). */
static int read_small(struct job *j, struct archive *a, const char *name, struct ab_buf *b,
		      struct ab_err *err)
{
	char tmp[16384];
	for (;;) {
		la_ssize_t n = archive_read_data(a, tmp, sizeof(tmp));
		if (n < 0)
			return werr(j, err, AB_E_PARSE, "cannot read '%s': %s", name,
				    archive_error_string(a));
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > MAX_META)
			return werr(j, err, AB_E_INVALID, "'%s' is too large", name);
		ab_buf_add(b, tmp, (size_t)n);
	}
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->name, ((const struct member *)b)->name);
}

static int cmp_path(struct ab_str x, struct ab_str y)
{
	size_t n = x.len < y.len ? x.len : y.len;
	int c = n ? memcmp(x.ptr, y.ptr, n) : 0;
	if (c)
		return c;
	return x.len < y.len ? -1 : x.len > y.len;
}

static int cmp_row_ptr(const void *a, const void *b)
{
	const struct wheel_record_row *x = *(const struct wheel_record_row *const *)a;
	const struct wheel_record_row *y = *(const struct wheel_record_row *const *)b;
	return cmp_path(x->path, y->path);
}

/* The one reader of a wheel's members, in zip order: each entry goes to
 * `fn` (with `ctx`), which reads or skips its data; the first error stops
 * the walk. Both passes read through here, so a zip the reader rejects
 * fails with the same message in either. */
static int each_member(struct job *j,
		       int (*fn)(struct job *j, struct archive *a, struct archive_entry *e,
				 const char *name, void *ctx, struct ab_err *err),
		       void *ctx, struct ab_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	int r = arc_open(j, &a, err);
	while (r == 0) {
		int h = archive_read_next_header(a, &e);
		if (h == ARCHIVE_EOF)
			break;
		if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
			r = werr(j, err, AB_E_PARSE, "not a valid zip file: %s",
				 archive_error_string(a));
			break;
		}
		const char *name = entry_name(e);
		if (!name)
			r = werr(j, err, AB_E_PARSE, "member name is not valid UTF-8");
		else
			r = fn(j, a, e, name, ctx, err);
	}
	archive_read_free(a);
	return r;
}

/* Pass 1, per member: its name and type checked, the member listed;
 * WHEEL, RECORD, entry_points.txt read, METADATA noted. The other members'
 * data is not read (the seekable reader skips it without inflating). */
static int list_member(struct job *j, struct archive *a, struct archive_entry *e, const char *name,
		       void *ctx, struct ab_err *err)
{
	int r = check_name(j, name, err);
	if (r < 0)
		return r;
	mode_t type = archive_entry_filetype(e);
	size_t len = strlen(name);
	bool dir = type == AE_IFDIR || name[len - 1] == '/';
	if (!dir && type != AE_IFREG) {
		const char *target = archive_entry_symlink(e);
		if (type == AE_IFLNK && target && (target[0] == '/' || strstr(target, "..")))
			return werr(j, err, AB_E_INVALID,
				    "symbolic link '%s' -> '%s' points outside the wheel", name,
				    target);
		return werr(j, err, AB_E_INVALID, "'%s' in the wheel is not a regular file", name);
	}
	if (archive_entry_hardlink(e))
		return werr(j, err, AB_E_INVALID, "'%s' in the wheel is a hard link", name);
	AB_GROW(j->m, j->mcap, j->nm + 1);
	struct member *m = &j->m[j->nm++];
	m->name = ab_arena_strdup(&j->arena, name);
	m->dir = dir;
	m->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
	m->exec = (archive_entry_perm(e) & 0111) != 0;
	m->row = NULL;
	if (!dir && m->size > MAX_MEMBER)
		return werr(j, err, AB_E_INVALID, "'%s' declares %lld bytes", name,
			    (long long)m->size);
	/* top-level <x>.dist-info/{WHEEL,RECORD,entry_points.txt,METADATA} */
	const char *slash = strchr(name, '/');
	struct ab_buf *want = NULL;
	if (slash && slash - name > 10 && !strncmp(slash - 10, ".dist-info", 10) &&
	    !strchr(slash + 1, '/')) {
		if (!strcmp(slash + 1, "WHEEL"))
			want = &j->wheel_txt;
		else if (!strcmp(slash + 1, "RECORD"))
			want = &j->record_txt;
		else if (!strcmp(slash + 1, "entry_points.txt"))
			want = &j->ep_txt;
		else if (!strcmp(slash + 1, "METADATA"))
			ab_buf_adds(&j->metadata_seen, name);
	}
	if (!want)
		return 0;
	ab_buf_reset(want);
	return read_small(j, a, name, want, err);
}

/* Pass 1: list the members, read WHEEL, RECORD, entry_points.txt. Pass 2
 * needs what this learns before the first byte is written: where files go
 * (WHEEL's Root-Is-Purelib, the .dist-info name), each file's hash
 * algorithm, digest and size (RECORD, which zips put last), and memory
 * mode's pool size (the declared sizes). */
static int scan(struct job *j, struct ab_err *err)
{
	return each_member(j, list_member, NULL, err);
}

/* RECORD and its signatures: RECORD cannot hash itself; the signatures
 * sign RECORD. */
static bool is_record_file(const struct job *j, const char *name)
{
	size_t dl = strlen(j->distinfo);
	if (strncmp(name, j->distinfo, dl) || name[dl] != '/')
		return false;
	const char *b = name + dl + 1;
	return !strcmp(b, "RECORD") || !strcmp(b, "RECORD.jws") || !strcmp(b, "RECORD.p7s");
}

/* The .dist-info directory, its project, WHEEL/RECORD/entry points, and
 * the RECORD <-> members correspondence. */
static int check_meta(struct job *j, struct ab_err *err)
{
	int r;
	qsort(j->m, j->nm, sizeof(*j->m), cmp_member);
	for (size_t i = 0; i + 1 < j->nm; i++) {
		if (!strcmp(j->m[i].name, j->m[i + 1].name))
			return werr(j, err, AB_E_INVALID, "'%s' is in the wheel twice", j->m[i].name);
	}
	/* pip: exactly one top-level .dist-info directory */
	const char *di = NULL;
	size_t dilen = 0;
	for (size_t i = 0; i < j->nm; i++) {
		const char *n = j->m[i].name, *s = strchr(n, '/');
		size_t l = s ? (size_t)(s - n) : strlen(n);
		if (l <= 10 || strncmp(n + l - 10, ".dist-info", 10) || !s)
			continue;
		if (di && (dilen != l || strncmp(di, n, l)))
			return werr(j, err, AB_E_INVALID, "multiple .dist-info directories: '%.*s', '%.*s'",
				    (int)dilen, di, (int)l, n);
		di = n;
		dilen = l;
	}
	if (!di)
		return werr(j, err, AB_E_INVALID, "no .dist-info directory");
	j->distinfo = ab_arena_strndup(&j->arena, di, dilen);
	const char *dash = memchr(di, '-', dilen);
	j->project = ab_arena_strndup(&j->arena, di, dash ? (size_t)(dash - di) : dilen - 10);

	/* pip: the .dist-info name must start with the file name's project */
	struct distfile_wheel dw;
	struct ab_err e2 = AB_ERR_INIT;
	if (distfile_wheel_parse(ab_str_from(j->fname), &dw, &e2) < 0) {
		r = werr(j, err, AB_E_INVALID, "invalid wheel file name: %s", e2.msg.buf);
		ab_err_release(&e2);
		return r;
	}
	ab_err_release(&e2);
	bool same = name_eq(ab_str_from(j->project), ab_str_from(dw.name));
	distfile_wheel_release(&dw);
	if (!same)
		return werr(j, err, AB_E_INVALID, "'%s' does not belong to the project of the file name",
			    j->distinfo);
	if (!j->metadata_seen.len)
		return werr(j, err, AB_E_INVALID, "missing '%s/METADATA'", j->distinfo);
	if (!j->wheel_txt.len)
		return werr(j, err, AB_E_INVALID, "missing '%s/WHEEL'", j->distinfo);

	struct ab_err pe = AB_ERR_INIT;
	const char *which = "WHEEL";
	r = wheel_info_parse(ab_buf_str(&j->wheel_txt), &j->info, &pe);
	if (r == 0) {
		which = "RECORD";
		if (!j->record_txt.len) {
			ab_err_release(&pe);
			return werr(j, err, AB_E_INVALID, "missing '%s/RECORD'", j->distinfo);
		}
		r = wheel_record_parse(ab_buf_str(&j->record_txt), &j->rec, &pe);
	}
	if (r == 0) {
		which = "entry_points.txt";
		r = wheel_entry_points_parse(ab_buf_str(&j->ep_txt), &j->eps, &pe);
	}
	if (r < 0) {
		struct ab_loc loc = { j->fname, 0, 0 };
		r = ab_err_at(err, pe.code, &loc, "%s/%s:%u:%u: %s", j->distinfo, which, pe.line,
			      pe.col, pe.msg.buf);
		ab_err_release(&pe);
		return r;
	}
	ab_err_release(&pe);
	j->libdir = j->info.root_is_purelib ? j->o->py->purelib : j->o->py->platlib;

	/* RECORD rows sorted by path, matched against the sorted members */
	size_t nr = j->rec.n;
	const struct wheel_record_row **rows = ab_xmalloc((nr ? nr : 1) * sizeof(*rows));
	for (size_t i = 0; i < nr; i++)
		rows[i] = &j->rec.rows[i];
	qsort(rows, nr, sizeof(*rows), cmp_row_ptr);
	r = 0;
	for (size_t i = 0; i + 1 < nr && r == 0; i++) {
		if (ab_str_eq(rows[i]->path, rows[i + 1]->path))
			r = werr(j, err, AB_E_INVALID, "'" AB_STR_FMT "' is in RECORD twice",
				 AB_STR_ARG(rows[i]->path));
	}
	size_t ri = 0;
	for (size_t mi = 0; mi < j->nm && r == 0; mi++) {
		struct member *m = &j->m[mi];
		struct ab_str mn = ab_str_from(m->name);
		while (ri < nr && cmp_path(rows[ri]->path, mn) < 0) {
			/* a RECORD path that no member has */
			if (!ab_str_endswith(rows[ri]->path, "/")) {
				r = werr(j, err, AB_E_INVALID,
					 "'" AB_STR_FMT "' is in RECORD but not in the wheel",
					 AB_STR_ARG(rows[ri]->path));
				break;
			}
			ri++;
		}
		if (r < 0)
			break;
		bool has = ri < nr && ab_str_eq(rows[ri]->path, mn);
		if (has)
			m->row = rows[ri++];
		if (m->dir)
			continue;
		if (is_record_file(j, m->name))
			continue;
		if (!has || !m->row->algo.len) {
			r = werr(j, err, AB_E_INVALID, "'%s' is not %s RECORD", m->name,
				 has ? "hashed in" : "in");
			break;
		}
		const struct wheel_record_row *row = m->row;
		if (!ab_str_eq_cstr(row->algo, "sha256") && !ab_str_eq_cstr(row->algo, "sha384") &&
		    !ab_str_eq_cstr(row->algo, "sha512")) {
			r = werr(j, err, AB_E_UNSUPPORTED,
				 "hash algorithm '" AB_STR_FMT "' of '%s' is not supported "
				 "(sha256 or stronger is required)",
				 AB_STR_ARG(row->algo), m->name);
			break;
		}
		if (row->size >= 0 && m->size >= 0 && row->size != m->size) {
			r = werr(j, err, AB_E_HASH, "'%s' is %lld bytes, RECORD says %lld", m->name,
				 (long long)m->size, (long long)row->size);
			break;
		}
	}
	for (; ri < nr && r == 0; ri++) {
		if (!ab_str_endswith(rows[ri]->path, "/"))
			r = werr(j, err, AB_E_INVALID, "'" AB_STR_FMT "' is in RECORD but not in the wheel",
				 AB_STR_ARG(rows[ri]->path));
	}
	free((void *)rows);
	return r;
}

/* Where a member goes, relative to root; NULL with err set. pip's
 * _install_wheel: "<x>.data/<scheme key>/<path>" to the scheme's dir. */
static const char *dest_of(struct job *j, const char *name, bool *is_script, struct ab_err *err)
{
	const struct interp *py = j->o->py;
	const char *slash = strchr(name, '/');
	*is_script = false;
	if (!slash || slash - name < 5 || strncmp(slash - 5, ".data", 5)) {
		struct ab_buf b = AB_BUF_INIT;
		ab_buf_addf(&b, "%s/%s", j->libdir, name);
		char *s = ab_arena_strndup(&j->arena, b.buf, b.len);
		ab_buf_release(&b);
		return s;
	}
	const char *key = slash + 1, *rest = strchr(key, '/');
	if (!rest) {
		werr(j, err, AB_E_INVALID,
		     "unexpected file '%s': .data contents must be named '<scheme key>/<path>'", name);
		return NULL;
	}
	size_t kl = (size_t)(rest - key);
	rest++;
	const char *base = NULL;
	const char *sub = "";
	if (kl == 7 && !strncmp(key, "purelib", 7))
		base = py->purelib;
	else if (kl == 7 && !strncmp(key, "platlib", 7))
		base = py->platlib;
	else if (kl == 7 && !strncmp(key, "scripts", 7))
		base = py->scripts, *is_script = true;
	else if (kl == 7 && !strncmp(key, "headers", 7))
		base = py->headers, sub = j->project;
	else if (kl == 4 && !strncmp(key, "data", 4))
		base = py->data;
	if (!base) {
		werr(j, err, AB_E_INVALID,
		     "unknown scheme key '%.*s' for '%s' (valid: data, headers, platlib, purelib, "
		     "scripts)",
		     (int)kl, key, name);
		return NULL;
	}
	struct ab_buf b = AB_BUF_INIT;
	if (*base)
		ab_buf_addf(&b, "%s/", base);
	if (*sub)
		ab_buf_addf(&b, "%s/", sub);
	ab_buf_adds(&b, rest);
	char *s = ab_arena_strndup(&j->arena, b.buf, b.len);
	ab_buf_release(&b);
	return s;
}

static void hash_of(const void *data, size_t n, char out[52])
{
	unsigned char md[32];
	unsigned mdl = 32;
	EVP_Digest(data, n, md, &mdl, EVP_sha256(), NULL);
	wheel_record_hash(md, out);
}

static struct installed *add_installed(struct job *j, const char *rel)
{
	for (size_t i = 0; i < j->ninst; i++) {
		if (!strcmp(j->inst[i].rel, rel)) {
			/* a generated script replaces a .data one */
			if (j->inst[i].mem_owned)
				free(j->inst[i].mem);
			j->inst[i].mem = NULL;
			j->inst[i].mem_owned = false;
			return &j->inst[i];
		}
	}
	AB_GROW(j->inst, j->icap, j->ninst + 1);
	struct installed *in = &j->inst[j->ninst++];
	memset(in, 0, sizeof(*in));
	in->rel = ab_arena_strdup(&j->arena, rel);
	return in;
}

/* mkdir -p of the directory holding `path` (in the stage), unless it is
 * the one made last: a wheel's files come directory by directory. */
static int stage_parent(struct job *j, char *path, struct ab_err *err)
{
	char *slash = strrchr(path, '/');
	if (!slash)
		return 0;
	size_t n = (size_t)(slash - path);
	if (j->last_dir && strlen(j->last_dir) == n && !memcmp(j->last_dir, path, n))
		return 0;
	int r = install_mkdir_parent(path, err);
	if (r == 0) {
		free(j->last_dir);
		j->last_dir = ab_xstrndup(path, n);
	}
	return r;
}

/* ELF files stay files in memory mode: elfscan reads them from the tree. */
static bool is_elf(const void *data, size_t n)
{
	return n >= 4 && !memcmp(data, "\177ELF", 4);
}

/* A file of the wheel: into the stage, or (memory mode, not ELF) kept.
 * `owned` (may be NULL) is `data` malloc'd, taken over either way;
 * `pooled`: data is in j->pool, kept where it is. */
static int put_file(struct job *j, const char *rel, const void *data, size_t n, bool exec,
		    char *owned, bool pooled, struct installed **out, struct ab_err *err)
{
	if (j->mem && !is_elf(data, n)) {
		if (!owned && !pooled) {
			owned = ab_xmalloc(n ? n : 1);
			memcpy(owned, data, n);
		}
		struct installed *in = add_installed(j, rel);
		in->mem = owned ? owned : (char *)data;
		in->mem_owned = owned != NULL;
		in->size = (int64_t)n;
		in->exec = exec;
		*out = in;
		return 0;
	}
	struct ab_buf p = AB_BUF_INIT;
	ab_buf_addf(&p, "%s/%s", j->stage.buf, rel);
	int r = stage_parent(j, p.buf, err);
	if (r == 0)
		r = install_write_file(p.buf, data, n, exec ? 0755 : 0644, err);
	ab_buf_release(&p);
	free(owned);
	if (r < 0)
		return r;
	struct installed *in = add_installed(j, rel);
	in->size = (int64_t)n;
	*out = in;
	return 0;
}

/* Write a generated (or rewritten) file into the stage. */
static int stage_file(struct job *j, const char *rel, const void *data, size_t n, mode_t mode,
		      struct ab_err *err)
{
	struct installed *in;
	int r = put_file(j, rel, data, n, (mode & 0111) != 0, NULL, false, &in, err);
	if (r < 0)
		return r;
	hash_of(data, n, in->hash);
	return 0;
}

/* A script's first line(s): the trampoline, or a fixed interpreter. */
static void script_head(struct ab_buf *b, const struct install_opts *o)
{
	if (o->script_python)
		ab_buf_addf(b, "#!%s\n", o->script_python);
	else
		ab_buf_adds(b, install_trampoline);
}

/* pip's fix_script(): a first line starting with "#!python" is replaced
 * (here by the trampoline). */
static int stage_script(struct job *j, const char *rel, struct ab_buf *content,
			struct ab_err *err)
{
	if (content->len >= 8 && !memcmp(content->buf, "#!python", 8)) {
		struct ab_buf b = AB_BUF_INIT;
		const char *nl = memchr(content->buf, '\n', content->len);
		size_t skip = nl ? (size_t)(nl - content->buf) + 1 : content->len;
		script_head(&b, j->o);
		ab_buf_add(&b, content->buf + skip, content->len - skip);
		int r = stage_file(j, rel, b.buf, b.len, 0755, err);
		ab_buf_release(&b);
		return r;
	}
	return stage_file(j, rel, content->buf, content->len, 0755, err);
}

/* Where a member's bytes go as they are read: a file in the stage (fd >=
 * 0), or memory: the job's pool slice while the zip's declared size
 * holds, then `buf`. */
struct sink {
	int fd;
	const char *path;   /* with fd, for messages */
	unsigned char *dst; /* the pool slice; NULL: buf */
	size_t room, used;
	struct ab_buf *buf;
};

static int sink_add(struct sink *s, const void *blk, size_t n, struct ab_err *err)
{
	if (s->fd >= 0)
		return write_all(s->fd, blk, n, s->path, err);
	if (s->dst && n <= s->room - s->used) {
		memcpy(s->dst + s->used, blk, n);
		s->used += n;
		return 0;
	}
	if (s->dst) {
		/* more than the zip declared: the rest in buf */
		ab_buf_add(s->buf, s->dst, s->used);
		s->dst = NULL;
	}
	ab_buf_add(s->buf, blk, n);
	return 0;
}

/* Pass 2's state, reused from member to member. */
struct unpack_ctx {
	EVP_MD_CTX *md, *md256;
	struct ab_buf path; /* the member's file in the stage */
	struct ab_buf data; /* a member kept in memory (scripts; memory mode) */
};

/* No more bytes than RECORD says, else than the zip declares, else
 * MAX_MEMBER: a lying wheel cannot fill the disk. */
static int64_t limit_of(const struct member *m)
{
	return m->row->size >= 0 ? m->row->size : m->size >= 0 ? m->size : MAX_MEMBER;
}

/* Reads the current member into `s`, checked against its RECORD row as
 * it comes (offsets, limit_of), then its exact size and digest. Sets
 * *size and d256 (its sha256, for the RECORD written). */
static int read_member(struct job *j, struct unpack_ctx *u, struct archive *a,
		       const struct member *m, struct sink *s, int64_t *size,
		       unsigned char d256[32], struct ab_err *err)
{
	const struct wheel_record_row *row = m->row;
	int64_t limit = limit_of(m), got = 0;
	bool same_alg = ab_str_eq_cstr(row->algo, "sha256");
	const EVP_MD *alg = same_alg				  ? EVP_sha256()
			    : ab_str_eq_cstr(row->algo, "sha384") ? EVP_sha384()
								  : EVP_sha512();
	EVP_DigestInit_ex(u->md, alg, NULL);
	if (!same_alg)
		EVP_DigestInit_ex(u->md256, EVP_sha256(), NULL);
	for (;;) {
		const void *blk;
		size_t n;
		la_int64_t off;
		int d = archive_read_data_block(a, &blk, &n, &off);
		if (d == ARCHIVE_EOF)
			break;
		if (d != ARCHIVE_OK)
			return werr(j, err, AB_E_PARSE, "cannot read '%s': %s", m->name,
				    archive_error_string(a));
		if (off != got || (int64_t)n > limit - got)
			return werr(j, err, AB_E_HASH, "'%s' is larger than RECORD says", m->name);
		got += (int64_t)n;
		EVP_DigestUpdate(u->md, blk, n);
		if (!same_alg)
			EVP_DigestUpdate(u->md256, blk, n);
		int r = sink_add(s, blk, n, err);
		if (r < 0)
			return r;
	}
	if (row->size >= 0 && got != row->size)
		return werr(j, err, AB_E_HASH, "'%s' is %lld bytes, RECORD says %lld", m->name,
			    (long long)got, (long long)row->size);
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned dn = 0, d2 = 0;
	EVP_DigestFinal_ex(u->md, dg, &dn);
	if (!same_alg)
		EVP_DigestFinal_ex(u->md256, d256, &d2);
	else
		memcpy(d256, dg, 32);
	char b64[100];
	size_t bl = wheel_b64url(dg, dn, b64);
	if (!ab_str_eq(row->digest, ab_str_make(b64, bl)))
		return werr(j, err, AB_E_HASH,
			    "hash mismatch for '%s': RECORD says " AB_STR_FMT "=" AB_STR_FMT
			    ", the file has %s",
			    m->name, AB_STR_ARG(row->algo), AB_STR_ARG(row->digest), b64);
	*size = got;
	return 0;
}

/* Pass 2, per member: a file into the stage, or (scripts, memory mode)
 * kept, and written or kept only once read_member has verified it. */
static int extract_member(struct job *j, struct archive *a, struct archive_entry *e,
			  const char *name, void *ctx, struct ab_err *err)
{
	struct unpack_ctx *u = ctx;
	struct member key = { name, 0, false, false, NULL };
	struct member *m = bsearch(&key, j->m, j->nm, sizeof(*j->m), cmp_member);
	if (!m)
		/* the reader disagrees with itself between passes */
		return werr(j, err, AB_E_PARSE, "inconsistent zip file");
	if (m->dir || is_record_file(j, name))
		return 0;
	bool is_script;
	const char *rel = dest_of(j, name, &is_script, err);
	if (!rel)
		return -err->code;
	bool keep = is_script || j->mem;
	struct sink s = { .fd = -1, .buf = &u->data };
	ab_buf_reset(&u->data);
	if (keep && !is_script && j->pool && m->size >= 0 &&
	    (uint64_t)m->size <= j->pool_cap - j->pool_used) {
		/* into the pool when the declared size fits */
		s.dst = j->pool + j->pool_used;
		s.room = (size_t)m->size;
	} else if (keep && limit_of(m) <= (int64_t)64 << 20) {
		/* at its size at once, when that is sane */
		ab_buf_grow(&u->data, (size_t)limit_of(m));
	} else if (!keep) {
		ab_buf_reset(&u->path);
		ab_buf_addf(&u->path, "%s/%s", j->stage.buf, rel);
		int r = stage_parent(j, u->path.buf, err);
		if (r < 0)
			return r;
		/* pip: executable in the zip -> executable on disk */
		s.fd = open(u->path.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			    m->exec ? 0755 : 0644);
		if (s.fd < 0)
			return install_io_err(err, u->path.buf, "create file");
		s.path = u->path.buf;
	}
	int64_t got = 0;
	unsigned char d256[32];
	int r = read_member(j, u, a, m, &s, &got, d256, err);
	if (s.fd >= 0 && close(s.fd) < 0 && r == 0)
		r = install_io_err(err, u->path.buf, "write");
	if (r < 0)
		return r;
	if (is_script)
		return stage_script(j, rel, &u->data, err);
	struct installed *in;
	if (s.dst) {
		j->pool_used += (size_t)got;
		r = put_file(j, rel, s.dst, (size_t)got, m->exec, NULL, true, &in, err);
	} else if (keep) {
		size_t len = u->data.len;
		char *data = len ? ab_buf_detach(&u->data) : NULL;
		r = put_file(j, rel, data ? data : "", len, m->exec, data, false, &in, err);
	} else {
		in = add_installed(j, rel);
		in->size = got;
	}
	if (r == 0)
		wheel_record_hash(d256, in->hash);
	return r;
}

/* Pass 2: unpack every member into the stage (or memory), verifying it. */
static int unpack(struct job *j, struct ab_err *err)
{
	struct unpack_ctx u = { EVP_MD_CTX_new(), EVP_MD_CTX_new(), AB_BUF_INIT, AB_BUF_INIT };
	int r = each_member(j, extract_member, &u, err);
	EVP_MD_CTX_free(u.md);
	EVP_MD_CTX_free(u.md256);
	ab_buf_release(&u.path);
	ab_buf_release(&u.data);
	return r;
}

/* Console and GUI scripts: pip 23's (distlib's) template behind the
 * trampoline. "from module import head" then call the dotted attr. */
static int gen_scripts(struct job *j, struct ab_err *err)
{
	struct ab_buf s = AB_BUF_INIT, rel = AB_BUF_INIT;
	int r = 0;
	for (size_t i = 0; i < j->eps.n && r == 0; i++) {
		const struct wheel_entry_point *ep = &j->eps.eps[i];
		long dot = ab_str_chr(ep->attr, '.');
		struct ab_str head = dot < 0 ? ep->attr : ab_str_make(ep->attr.ptr, (size_t)dot);
		ab_buf_reset(&s);
		script_head(&s, j->o);
		ab_buf_addf(&s,
			    "# -*- coding: utf-8 -*-\n"
			    "import re\n"
			    "import sys\n"
			    "from " AB_STR_FMT " import " AB_STR_FMT "\n"
			    "if __name__ == '__main__':\n"
			    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
			    "    sys.exit(" AB_STR_FMT "())\n",
			    AB_STR_ARG(ep->module), AB_STR_ARG(head), AB_STR_ARG(ep->attr));
		ab_buf_reset(&rel);
		ab_buf_addf(&rel, "%s/" AB_STR_FMT, j->o->py->scripts, AB_STR_ARG(ep->name));
		r = stage_file(j, rel.buf, s.buf, s.len, 0755, err);
	}
	ab_buf_release(&s);
	ab_buf_release(&rel);
	return r;
}

static int cmp_installed(const void *a, const void *b)
{
	return strcmp(((const struct installed *)a)->rec, ((const struct installed *)b)->rec);
}

/* `to` relative to the directory `from` (both relative to root, no "."
 * or ".." components): os.path.relpath. */
static void relpath(struct ab_buf *out, const char *from, const char *to)
{
	size_t i = 0, common = 0;
	/* the longest common prefix ending at a component boundary of both */
	if (*from) {
		for (;; i++) {
			bool fe = from[i] == '\0' || from[i] == '/';
			bool te = to[i] == '\0' || to[i] == '/';
			if (fe && te) {
				common = i;
				if (from[i] == '\0' || to[i] == '\0')
					break;
			} else if (from[i] != to[i]) {
				break;
			}
		}
	}
	/* one ".." per component of `from` after the common part */
	const char *f = from + common;
	if (*f == '/')
		f++;
	while (*f) {
		ab_buf_adds(out, "../");
		const char *sl = strchr(f, '/');
		f = sl ? sl + 1 : f + strlen(f);
	}
	const char *t = to + common;
	if (*t == '/')
		t++;
	ab_buf_adds(out, t);
}

static int gen_metadata(struct job *j, struct ab_err *err)
{
	struct ab_buf rel = AB_BUF_INIT, rec = AB_BUF_INIT;
	char *json = NULL;
	int r;
	ab_buf_addf(&rel, "%s/%s/INSTALLER", j->libdir, j->distinfo);
	r = stage_file(j, rel.buf, "appbuild\n", 9, 0644, err);
	if (r == 0 && j->w->requested) {
		ab_buf_reset(&rel);
		ab_buf_addf(&rel, "%s/%s/REQUESTED", j->libdir, j->distinfo);
		r = stage_file(j, rel.buf, "", 0, 0644, err);
	}
	const struct install_direct_url *du = j->w->direct_url;
	if (r == 0 && du) {
		/* PEP 610, serialized as pip: json.dumps(sort_keys=True) */
		json_t *o = json_object(), *info = json_object();
		json_object_set_new(o, "url", json_string(du->url));
		if (du->subdirectory)
			json_object_set_new(o, "subdirectory", json_string(du->subdirectory));
		if (du->vcs) {
			json_object_set_new(info, "vcs", json_string(du->vcs));
			if (du->commit_id)
				json_object_set_new(info, "commit_id", json_string(du->commit_id));
			if (du->requested_revision)
				json_object_set_new(info, "requested_revision",
						    json_string(du->requested_revision));
			json_object_set_new(o, "vcs_info", info);
		} else if (du->dir) {
			if (du->editable)
				json_object_set_new(info, "editable", json_true());
			json_object_set_new(o, "dir_info", info);
		} else {
			if (du->archive_sha256) {
				struct ab_buf h = AB_BUF_INIT;
				ab_buf_addf(&h, "sha256=%s", du->archive_sha256);
				json_object_set_new(info, "hash", json_string(h.buf));
				json_t *hs = json_object();
				json_object_set_new(hs, "sha256", json_string(du->archive_sha256));
				json_object_set_new(info, "hashes", hs);
				ab_buf_release(&h);
			}
			json_object_set_new(o, "archive_info", info);
		}
		json = json_dumps(o, JSON_SORT_KEYS | JSON_ENSURE_ASCII);
		json_decref(o);
		ab_buf_reset(&rel);
		ab_buf_addf(&rel, "%s/%s/direct_url.json", j->libdir, j->distinfo);
		r = json ? stage_file(j, rel.buf, json, strlen(json), 0644, err)
			 : werr(j, err, AB_E_INVALID, "invalid direct URL");
	}
	if (r < 0)
		goto out;
	/* RECORD: sorted, relative to the directory holding .dist-info, itself
	 * last-but-sorted with empty hash and size (pip's _normalized_outrows) */
	ab_buf_reset(&rel);
	ab_buf_addf(&rel, "%s/%s/RECORD", j->libdir, j->distinfo);
	struct installed *self = add_installed(j, rel.buf);
	self->hash[0] = '\0';
	self->size = -1;
	/* pip sorts the rows by their RECORD path ("../../../bin/x" first) */
	struct ab_buf rp = AB_BUF_INIT;
	for (size_t i = 0; i < j->ninst; i++) {
		ab_buf_reset(&rp);
		relpath(&rp, j->libdir, j->inst[i].rel);
		j->inst[i].rec = ab_arena_strndup(&j->arena, rp.buf, rp.len);
	}
	ab_buf_release(&rp);
	qsort(j->inst, j->ninst, sizeof(*j->inst), cmp_installed);
	for (size_t i = 0; i < j->ninst; i++)
		wheel_record_row_format(&rec, ab_str_from(j->inst[i].rec), j->inst[i].hash,
					j->inst[i].size);
	struct installed *in;
	r = put_file(j, rel.buf, rec.buf, rec.len, false, NULL, false, &in, err);
out:
	free(json);
	ab_buf_release(&rel);
	ab_buf_release(&rec);
	return r;
}

/* Rename every staged file into root; undo on failure. */
static int commit(struct job *j, struct ab_err *err)
{
	struct ab_buf src = AB_BUF_INIT, dst = AB_BUF_INIT;
	size_t done = 0;
	int r = 0;
	free(j->last_dir);
	j->last_dir = NULL;
	for (; done < j->ninst; done++) {
		if (j->inst[done].mem)
			continue; /* memory mode: handed over, not renamed */
		ab_buf_reset(&src);
		ab_buf_reset(&dst);
		ab_buf_addf(&src, "%s/%s", j->stage.buf, j->inst[done].rel);
		ab_buf_addf(&dst, "%s/%s", j->o->root, j->inst[done].rel);
		r = stage_parent(j, dst.buf, err);
		if (r < 0)
			break;
		if (rename(src.buf, dst.buf) < 0) {
			r = install_io_err(err, dst.buf, "install");
			break;
		}
	}
	if (r < 0) {
		while (done--) {
			if (j->inst[done].mem)
				continue;
			ab_buf_reset(&dst);
			ab_buf_addf(&dst, "%s/%s", j->o->root, j->inst[done].rel);
			unlink(dst.buf);
		}
	}
	ab_buf_release(&src);
	ab_buf_release(&dst);
	return r;
}

/* What install_wheels_compile() byte-compiles of one wheel: the .py files
 * compileall would compile (under purelib or platlib, not inside a
 * __pycache__ directory), relative to root, sorted. */
static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rel is dir/<rest>: *rest */
static bool under(const char *rel, const char *dir, const char **rest)
{
	size_t l = strlen(dir);
	if (strncmp(rel, dir, l) || rel[l] != '/')
		return false;
	*rest = rel + l + 1;
	return true;
}

static void collect_py(const struct job *j, struct pyset *ps)
{
	const struct interp *py = j->o->py;
	for (size_t i = 0; i < j->ninst; i++) {
		const char *rel = j->inst[i].rel, *rest;
		size_t n = strlen(rel);
		if (n < 3 || strcmp(rel + n - 3, ".py"))
			continue;
		if (!under(rel, py->purelib, &rest) && !under(rel, py->platlib, &rest))
			continue;
		/* compileall's _walk_dir skips __pycache__ directories */
		const char *pc = strstr(rest, "__pycache__/");
		if (pc && (pc == rest || pc[-1] == '/'))
			continue;
		AB_GROW(ps->py, ps->cap, ps->n + 1);
		ps->py[ps->n++] = ab_xstrdup(rel);
	}
	qsort(ps->py, ps->n, sizeof(*ps->py), cmp_strp);
}

/* Memory mode's bound on one wheel's (declared) contents: a larger wheel
 * is written, so the process never holds much more than one typical
 * environment. */
#define MEM_WHEEL_MAX ((int64_t)64 << 20)

/* Memory mode: the job's kept files to `ms`, in the order made. */
static void hand_over(struct job *j, struct install_mem *ms)
{
	for (size_t i = 0; i < j->ninst; i++) {
		struct installed *in = &j->inst[i];
		if (!in->mem)
			continue;
		AB_GROW(ms->files, ms->cap, ms->n + 1);
		struct install_memfile *f = &ms->files[ms->n++];
		f->path = ab_xstrdup(in->rel);
		f->data = in->mem;
		f->size = (size_t)in->size;
		f->exec = in->exec;
		f->owned = in->mem_owned;
		in->mem = NULL;
		in->mem_owned = false;
	}
}

static int install_one(const struct install_opts *o, const struct install_wheel *w,
		       struct pyset *ps, struct install_mem *ms, struct ab_err *err)
{
	struct job j;
	int r;

	memset(&j, 0, sizeof(j));
	j.o = o;
	j.w = w;
	j.fname = w->filename;
	if (!j.fname) {
		const char *s = strrchr(w->path, '/');
		j.fname = s ? s + 1 : w->path;
	}
	j.wheel_txt = j.record_txt = j.ep_txt = j.metadata_seen = j.stage =
		(struct ab_buf)AB_BUF_INIT;
	r = scan(&j, err);
	if (r == 0)
		r = check_meta(&j, err);
	if (r < 0)
		goto out;
	if (ms) {
		int64_t total = 0;
		for (size_t i = 0; i < j.nm; i++)
			total += j.m[i].size > 0 ? j.m[i].size : 0;
		if (total <= MEM_WHEEL_MAX)
			j.mem = ms;
		if (j.mem && total > 0) {
			void *a = mmap(NULL, (size_t)total, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
			if (a != MAP_FAILED) {
				j.pool = a;
				j.pool_cap = (size_t)total;
			}
		}
	}
	ab_buf_addf(&j.stage, "%s/.appbuild-stage-XXXXXX", o->root);
	if (!mkdtemp(j.stage.buf)) {
		r = install_io_err(err, o->root, "create a staging directory");
		ab_buf_reset(&j.stage);
		goto out;
	}
	r = unpack(&j, err);
	if (r == 0)
		r = gen_scripts(&j, err);
	if (r == 0)
		r = gen_metadata(&j, err);
	if (r == 0)
		r = commit(&j, err);
	if (r == 0 && ps)
		collect_py(&j, ps);
	if (r == 0 && j.mem) {
		hand_over(&j, j.mem);
		if (j.pool) {
			AB_GROW(j.mem->maps, j.mem->mcap, j.mem->nmaps + 1);
			j.mem->maps[j.mem->nmaps++] = (struct install_memmap){ j.pool, j.pool_cap };
			j.pool = NULL;
		}
		if (ps)
			ps->mem = true;
	}
out:
	for (size_t i = 0; i < j.ninst; i++)
		if (j.inst[i].mem_owned)
			free(j.inst[i].mem);
	if (j.pool)
		munmap(j.pool, j.pool_cap);
	free(j.last_dir);
	if (j.stage.len)
		remove_tree(j.stage.buf);
	ab_buf_release(&j.stage);
	ab_buf_release(&j.wheel_txt);
	ab_buf_release(&j.record_txt);
	ab_buf_release(&j.ep_txt);
	ab_buf_release(&j.metadata_seen);
	wheel_record_release(&j.rec);
	wheel_entry_points_release(&j.eps);
	free(j.m);
	free(j.inst);
	ab_arena_release(&j.arena);
	return r;
}

int install_wheel(const struct install_opts *o, const struct install_wheel *w, struct ab_err *err)
{
	return install_one(o, w, NULL, NULL, err);
}

/* ------------------------------------------------------------------ */
/* many wheels */

static void *worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		bool stop = p->stop;
		size_t i = p->next < p->n ? p->order[p->next++] : p->n;
		pthread_mutex_unlock(&p->mu);
		if (stop || i >= p->n)
			return NULL;
		struct pyset *ps = p->ps ? &p->ps[i] : NULL;
		/* memory mode only when the .pyc files may come from the cache:
		 * compiling needs the files */
		struct install_mem *ms = p->ms && p->keys[i] ? &p->ms[i] : NULL;
		int r = install_one(p->o, &p->w[i], ps, ms, &p->errs[i]);
		/* the cached .pyc files are written (or kept) here too: in parallel */
		if (r == 0 && ps && p->keys[i])
			r = install_pyc_restore(p->o, p->cache, p->keys[i], ps,
						ps->mem ? ms : NULL, &p->errs[i]);
		if (r < 0) {
			pthread_mutex_lock(&p->mu);
			p->stop = true;
			pthread_mutex_unlock(&p->mu);
		}
	}
}

struct wsize {
	off_t size;
	size_t i;
};

static int cmp_wsize(const void *a, const void *b)
{
	const struct wsize *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int install_run_pool(struct pool *pp, struct ab_err *err)
{
	struct pool p = *pp;
	pthread_mutex_init(&p.mu, NULL);
	const struct install_opts *o = p.o;
	size_t n = p.n;
	unsigned jobs = o->jobs;
	if (!jobs) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = c < 1 ? 1 : c > 8 ? 8 : (unsigned)c;
	}
	if (jobs > n)
		jobs = (unsigned)n;
	if (!n)
		return 0;
	/* the largest wheels first, so no thread is left with a big one at
	 * the end while the others idle (the work is roughly their size) */
	struct wsize *ws = ab_xcalloc(n, sizeof(*ws));
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		ws[i].size = stat(p.w[i].path, &st) == 0 ? st.st_size : 0;
		ws[i].i = i;
	}
	qsort(ws, n, sizeof(*ws), cmp_wsize);
	p.order = ab_xcalloc(n, sizeof(*p.order));
	for (size_t i = 0; i < n; i++)
		p.order[i] = ws[i].i;
	free(ws);
	p.errs = ab_xcalloc(n, sizeof(*p.errs));
	for (size_t i = 0; i < n; i++)
		ab_err_init(&p.errs[i]);
	pthread_t *th = ab_xcalloc(jobs, sizeof(*th));
	unsigned started = 0;
	for (; started + 1 < jobs; started++) {
		if (pthread_create(&th[started], NULL, worker, &p))
			break;
	}
	worker(&p); /* this thread works too */
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		struct ab_err *e = &p.errs[i];
		if (e->code && !r) {
			struct ab_loc loc = { e->file, e->line, e->col };
			r = ab_err_at(err, e->code, &loc, "%s", e->msg.buf);
			if (e->notes.len)
				ab_err_note(err, "%s", e->notes.buf);
		}
		ab_err_release(e);
	}
	free(p.errs);
	free(p.order);
	free(th);
	pthread_mutex_destroy(&p.mu);
	return r;
}

int install_wheels(const struct install_opts *o, const struct install_wheel *w, size_t n,
		   struct ab_err *err)
{
	struct pool p = { .o = o, .w = w, .n = n };
	return install_run_pool(&p, err);
}


void install_mem_release(struct install_mem *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->files[i].path);
		if (m->files[i].owned)
			free(m->files[i].data);
	}
	free(m->files);
	for (size_t i = 0; i < m->nmaps; i++)
		munmap(m->maps[i].addr, m->maps[i].len);
	free(m->maps);
	memset(m, 0, sizeof(*m));
}

int install_mem_flush(const struct install_opts *o, struct install_mem *m, struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT;
	int r = 0;
	for (size_t i = 0; i < m->n && r == 0; i++) {
		const struct install_memfile *f = &m->files[i];
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", o->root, f->path);
		r = install_mkdir_parent(p.buf, err);
		if (r == 0)
			r = install_write_file(p.buf, f->data, f->size, f->exec ? 0755 : 0644, err);
	}
	ab_buf_release(&p);
	install_mem_release(m);
	return r;
}
