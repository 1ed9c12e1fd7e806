/* tarball.c - reproducible tarballs (see tarball.h). */
#include "formats/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"

int tarball_format_parse(const char *s, enum tarball_format *out)
{
	static const struct {
		const char *name;
		enum tarball_format f;
	} names[] = {
		{ "tar.gz", TARBALL_GZ },   { "tgz", TARBALL_GZ }, { "gz", TARBALL_GZ },
		{ "tar.zst", TARBALL_ZST }, { "tzst", TARBALL_ZST }, { "zst", TARBALL_ZST },
		{ "tar.xz", TARBALL_XZ },   { "txz", TARBALL_XZ }, { "xz", TARBALL_XZ },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].f;
			return 0;
		}
	}
	return -1;
}

int tarball_format_from_path(const char *path, enum tarball_format *out)
{
	static const struct {
		const char *ext;
		enum tarball_format f;
	} exts[] = {
		{ ".tar.gz", TARBALL_GZ }, { ".tgz", TARBALL_GZ },   { ".tar.zst", TARBALL_ZST },
		{ ".tzst", TARBALL_ZST },  { ".tar.xz", TARBALL_XZ }, { ".txz", TARBALL_XZ },
	};
	size_t n = strlen(path);
	for (size_t i = 0; i < AB_ARRAY_SIZE(exts); i++) {
		size_t l = strlen(exts[i].ext);
		if (n > l && !strcmp(path + n - l, exts[i].ext)) {
			*out = exts[i].f;
			return 0;
		}
	}
	return -1;
}

const char *tarball_format_ext(enum tarball_format f)
{
	return f == TARBALL_ZST ? ".tar.zst" : f == TARBALL_XZ ? ".tar.xz" : ".tar.gz";
}

struct walk {
	struct archive *a;
	struct archive_entry *e;
	const struct tarball_opts *o;
	struct ab_buf src;  /* the path on disk */
	struct ab_buf name; /* the path in the archive */
	char *data;         /* read buffer */
};

static int io_err(struct ab_err *err, const char *path, const char *what)
{
	struct ab_loc loc = { path, 0, 0 };
	return ab_err_at(err, AB_E_IO, &loc, "cannot %s: %s", what, strerror(errno));
}

static int ar_err(struct walk *w, struct ab_err *err)
{
	struct ab_loc loc = { w->src.buf, 0, 0 };
	return ab_err_at(err, AB_E_BUILD, &loc, "cannot archive: %s",
			 archive_error_string(w->a) ? archive_error_string(w->a) : "unknown error");
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* The entry for w->src (already lstat'ed into st), then a directory's
 * contents. */
static int add(struct walk *w, const struct stat *st, struct ab_err *err)
{
	struct archive_entry *e = w->e;
	int r = 0, fd = -1;
	archive_entry_clear(e);
	archive_entry_set_pathname(e, w->name.buf);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, (time_t)w->o->mtime, 0);
	if (S_ISDIR(st->st_mode)) {
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
	} else if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlink(w->src.buf, target, sizeof(target) - 1);
		if (n < 0)
			return io_err(err, w->src.buf, "read link");
		target[n] = '\0';
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_perm(e, 0777);
		archive_entry_set_symlink(e, target);
	} else if (S_ISREG(st->st_mode)) {
		fd = open(w->src.buf, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return io_err(err, w->src.buf, "open");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, st->st_mode & 0111 ? 0755 : 0644);
		archive_entry_set_size(e, st->st_size);
	} else {
		struct ab_loc loc = { w->src.buf, 0, 0 };
		return ab_err_at(err, AB_E_UNSUPPORTED, &loc,
				 "cannot archive a device, fifo or socket");
	}
	if (archive_write_header(w->a, e) != ARCHIVE_OK) {
		r = ar_err(w, err);
		goto out;
	}
	if (fd >= 0) {
		int64_t left = st->st_size;
		while (left > 0) {
			ssize_t n = read(fd, w->data, 1 << 16);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				r = io_err(err, w->src.buf, "read");
				goto out;
			}
			if (n == 0 || n > left) {
				struct ab_loc loc = { w->src.buf, 0, 0 };
				r = ab_err_at(err, AB_E_IO, &loc, "file changed while archiving it");
				goto out;
			}
			if (archive_write_data(w->a, w->data, (size_t)n) != n) {
				r = ar_err(w, err);
				goto out;
			}
			left -= n;
		}
		close(fd);
		fd = -1;
	}
	if (!S_ISDIR(st->st_mode))
		goto out;

	struct dirent **list = NULL;
	int n = scandir(w->src.buf, &list, skip_dots, cmp_name);
	if (n < 0)
		return io_err(err, w->src.buf, "read directory");
	size_t slen = w->src.len, nlen = w->name.len;
	for (int i = 0; i < n; i++) {
		if (r == 0) {
			ab_buf_truncate(&w->src, slen);
			ab_buf_truncate(&w->name, nlen);
			ab_buf_addf(&w->src, "/%s", list[i]->d_name);
			ab_buf_addf(&w->name, "/%s", list[i]->d_name);
			struct stat cst;
			if (lstat(w->src.buf, &cst) < 0)
				r = io_err(err, w->src.buf, "stat");
			else
				r = add(w, &cst, err);
		}
		free(list[i]);
	}
	free(list);
	ab_buf_truncate(&w->src, slen);
	ab_buf_truncate(&w->name, nlen);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static unsigned online_cpus(void)
{
	long c = sysconf(_SC_NPROCESSORS_ONLN);
	return c < 1 ? 1 : c > 64 ? 64 : (unsigned)c;
}

static int set_filter(struct archive *a, const struct tarball_opts *o)
{
	char opt[128];
	unsigned th = o->threads ? o->threads : online_cpus();
	int r;
	switch (o->format) {
	case TARBALL_ZST:
		r = archive_write_add_filter_zstd(a);
		/* zstd's multi-threaded mode (threads >= 1) gives the same frames
		 * for any number of workers */
		snprintf(opt, sizeof(opt), "zstd:compression-level=%d,zstd:threads=%u",
			 o->level ? o->level : 3, th);
		break;
	case TARBALL_XZ:
		r = archive_write_add_filter_xz(a);
		/* liblzma's multi-threaded encoder (used from 2 threads on) cuts
		 * blocks by size, not by thread: one thread would give a different
		 * single-block stream, so at least 2 */
		snprintf(opt, sizeof(opt), "xz:compression-level=%d,xz:threads=%u",
			 o->level ? o->level : 6, th < 2 ? 2 : th);
		break;
	case TARBALL_GZ:
	default:
		r = archive_write_add_filter_gzip(a);
		/* no mtime (nor name) in the gzip header */
		snprintf(opt, sizeof(opt), "gzip:compression-level=%d,gzip:!timestamp",
			 o->level ? o->level : 6);
		break;
	}
	/* ARCHIVE_WARN means an external compressor program: refused */
	if (r != ARCHIVE_OK)
		return -1;
	return archive_write_set_options(a, opt) == ARCHIVE_OK ? 0 : -1;
}

int tarball_write(const char *root, const char *out_path, const struct tarball_opts *o,
		  struct ab_err *err)
{
	struct walk w = { NULL, NULL, o, AB_BUF_INIT, AB_BUF_INIT, NULL };
	struct ab_buf tmp = AB_BUF_INIT;
	int fd = -1, r = 0;

	if (!o->top || !*o->top || strchr(o->top, '/') || !strcmp(o->top, ".") ||
	    !strcmp(o->top, ".."))
		return ab_err_set(err, AB_E_USAGE, "invalid top directory name '%s'",
				  o->top ? o->top : "");
	if (o->mtime < 0)
		return ab_err_set(err, AB_E_USAGE, "negative mtime");
	struct stat st;
	if (stat(root, &st) < 0)
		return io_err(err, root, "stat");
	if (!S_ISDIR(st.st_mode)) {
		struct ab_loc loc = { root, 0, 0 };
		return ab_err_at(err, AB_E_IO, &loc, "not a directory");
	}
	ab_buf_addf(&tmp, "%s.tmpXXXXXX", out_path);
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		r = io_err(err, out_path, "create");
		ab_buf_reset(&tmp);
		goto out;
	}
	w.a = archive_write_new();
	w.e = archive_entry_new();
	w.data = ab_xmalloc(1 << 16);
	if (!w.a || !w.e || archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK ||
	    set_filter(w.a, o) < 0 || archive_write_open_fd(w.a, fd) != ARCHIVE_OK) {
		r = ab_err_set(err, AB_E_BUILD, "cannot set up the %s writer: %s",
			       tarball_format_ext(o->format) + 1,
			       w.a && archive_error_string(w.a) ? archive_error_string(w.a)
								  : "out of memory");
		goto out;
	}
	ab_buf_adds(&w.src, root);
	ab_buf_adds(&w.name, o->top);
	r = add(&w, &st, err);
	if (r == 0 && archive_write_close(w.a) != ARCHIVE_OK)
		r = ar_err(&w, err);
	if (r < 0)
		goto out;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		r = io_err(err, tmp.buf, "write");
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = io_err(err, tmp.buf, "write");
		goto out;
	}
	fd = -1;
	if (rename(tmp.buf, out_path) < 0) {
		r = io_err(err, out_path, "rename into place");
		goto out;
	}
	ab_buf_reset(&tmp);
out:
	archive_write_free(w.a); /* accepts NULL */
	archive_entry_free(w.e);
	if (fd >= 0)
		close(fd);
	if (tmp.len)
		unlink(tmp.buf);
	free(w.data);
	ab_buf_release(&w.src);
	ab_buf_release(&w.name);
	ab_buf_release(&tmp);
	return r;
}
