#include "formats/core/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/mem.h"

int ab_io_fail(struct ab_err *err, const char *path, const char *what)
{
	int e = errno;
	return ab_err_set(err, AB_E_IO, "cannot %s '%s': %s", what, path, strerror(e));
}

int ab_mkdir_p(const char *path, struct ab_err *err)
{
	char *p = ab_xstrdup(path);
	int r = 0;
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			r = ab_io_fail(err, p, "create directory");
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return r;
}

int ab_write_file(const char *path, const void *data, size_t n, mode_t mode, struct ab_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return ab_io_fail(err, path, "create");
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int r = ab_io_fail(err, path, "write");
			close(fd);
			return r;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		return ab_io_fail(err, path, "write");
	return 0;
}

int ab_read_file(const char *path, struct ab_buf *out, struct ab_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ab_io_fail(err, path, "read");
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = ab_io_fail(err, path, "read");
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		ab_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

struct walk {
	struct ab_buf path;
	size_t root_len;
	unsigned flags;
	int (*fn)(const struct ab_walk_entry *e, void *ctx);
	void *ctx;
	struct ab_err *err;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The walk's own I/O error at w->path. */
static int fail(struct walk *w, const char *what)
{
	int r = ab_io_fail(w->err, w->path.buf, what);
	if (w->flags & AB_WALK_LOCATE)
		ab_err_locate(w->err, w->path.buf, 0, 0);
	return r;
}

/* Why not nftw(3): it visits in readdir order, which differs between file
 * systems and even between two copies of one tree, and %files lists, hard
 * link choices and maintainer scripts made from a walk must not. */
static int walk_dir(struct walk *w)
{
	DIR *d = opendir(w->path.buf);
	if (!d)
		return fail(w, "open directory");
	char **names = NULL;
	size_t n = 0, cap = 0, base = w->path.len;
	struct dirent *de;
	int r = 0;
	/* a read error must not pass for the end: the package would lack files */
	while (errno = 0, (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		AB_GROW(names, cap, n + 1);
		names[n++] = ab_xstrdup(de->d_name);
	}
	if (errno)
		r = fail(w, "read directory");
	closedir(d);
	if (n && r == 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && r >= 0; i++) {
		ab_buf_truncate(&w->path, base);
		ab_buf_addf(&w->path, "/%s", names[i]);
		struct stat st;
		if (lstat(w->path.buf, &st) < 0) {
			r = fail(w, "stat");
			break;
		}
		struct ab_walk_entry e = { w->path.buf, w->path.buf + w->root_len,
					   w->path.buf + base + 1, &st, false };
		r = w->fn(&e, w->ctx);
		if (r < 0 || !S_ISDIR(st.st_mode) || r == AB_WALK_PRUNE) {
			r = r < 0 ? r : 0;
			continue;
		}
		r = walk_dir(w);
		if (r == 0 && (w->flags & AB_WALK_POST)) {
			/* the path may have moved while the contents were walked */
			e.path = w->path.buf;
			e.rel = w->path.buf + w->root_len;
			e.name = w->path.buf + base + 1;
			e.post = true;
			r = w->fn(&e, w->ctx);
			r = r < 0 ? r : 0;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	ab_buf_truncate(&w->path, base);
	return r;
}

int ab_walk(const char *root, unsigned flags,
	    int (*fn)(const struct ab_walk_entry *e, void *ctx), void *ctx, struct ab_err *err)
{
	struct walk w = { AB_BUF_INIT, 0, flags, fn, ctx, err };
	ab_buf_adds(&w.path, root);
	while (w.path.len > 1 && w.path.buf[w.path.len - 1] == '/')
		ab_buf_truncate(&w.path, w.path.len - 1);
	w.root_len = w.path.len;
	int r = walk_dir(&w);
	ab_buf_release(&w.path);
	return r;
}
