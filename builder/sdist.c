/* sdist.c - safe sdist unpacking and static metadata; see sdist.h. */
#include "builder/sdist.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/mem.h"

struct link {
	char *path;   /* normalized, relative to dest */
	char *target; /* as written */
};

struct unpack {
	const char *archive, *dest;
	struct ab_err *err;
	struct link *links;
	size_t nlinks, cap;
	char *top;       /* first component of the first entry */
	bool single_top; /* every entry so far is under `top` (and not `top` as a file) */
	bool any;
};

static int refuse(struct unpack *u, const char *entry, const char *why)
{
	return ab_err_at(u->err, AB_E_INVALID, &(struct ab_loc){ u->archive, 0, 0 },
			 "refusing entry '%s': %s", entry, why);
}

/* Normalize an archive path: drop empty and "." components; refuse "..",
 * absolute paths. Appends to `out` ("a/b"); an empty result is allowed
 * (the "./" entry). */
static int normalize(struct unpack *u, const char *name, struct ab_buf *out)
{
	if (name[0] == '/')
		return refuse(u, name, "absolute path");
	const char *s = name;
	while (*s) {
		const char *e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		size_t n = (size_t)(e - s);
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return refuse(u, name, "'..' in path");
		if (n && !(n == 1 && s[0] == '.')) {
			if (out->len)
				ab_buf_addc(out, '/');
			ab_buf_add(out, s, n);
		}
		s = *e ? e + 1 : e;
	}
	return 0;
}

static int io_fail(struct unpack *u, const char *path, const char *what)
{
	int e = errno;
	return ab_err_at(u->err, AB_E_IO, &(struct ab_loc){ path, 0, 0 }, "cannot %s: %s", what,
			 strerror(e));
}

/* mkdir -p of the directories of dest/rel (rel's last component excluded
 * unless `self`). No symlink exists in the tree yet, so none is followed. */
static int make_dirs(struct unpack *u, const char *rel, bool self)
{
	struct ab_buf p = AB_BUF_INIT;
	ab_buf_adds(&p, u->dest);
	int r = 0;
	const char *s = rel;
	while (*s) {
		const char *e = strchr(s, '/');
		if (!e && !self)
			break;
		if (!e)
			e = s + strlen(s);
		ab_buf_addc(&p, '/');
		ab_buf_add(&p, s, (size_t)(e - s));
		if (mkdir(p.buf, 0755) < 0) {
			struct stat st;
			if (errno != EEXIST || lstat(p.buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
				if (errno == EEXIST)
					r = refuse(u, rel, "a directory and a file share its path");
				else
					r = io_fail(u, p.buf, "create directory");
				break;
			}
		}
		s = *e ? e + 1 : e;
	}
	ab_buf_release(&p);
	return r;
}

static void note_top(struct unpack *u, const char *rel, bool is_dir)
{
	size_t n = strcspn(rel, "/");
	if (!n)
		return; /* "./" itself */
	if (!u->any) {
		u->any = true;
		u->top = ab_xstrndup(rel, n);
		u->single_top = true;
	}
	if (strlen(u->top) != n || memcmp(u->top, rel, n) || (!rel[n] && !is_dir))
		u->single_top = false;
}

static int write_file(struct unpack *u, struct archive *a, struct archive_entry *e,
		      const char *rel)
{
	struct ab_buf p = AB_BUF_INIT;
	ab_buf_addf(&p, "%s/%s", u->dest, rel);
	mode_t mode = (archive_entry_perm(e) & 0111) ? 0755 : 0644;
	int r = 0;
	int fd = open(p.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		r = errno == EEXIST ? refuse(u, rel, "written twice") : io_fail(u, p.buf, "create");
		goto out;
	}
	for (;;) {
		char buf[65536];
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0) {
			r = ab_err_at(u->err, AB_E_IO, &(struct ab_loc){ u->archive, 0, 0 },
				      "cannot read '%s': %s", rel, archive_error_string(a));
			goto out;
		}
		if (!n)
			break;
		for (la_ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0) {
				r = io_fail(u, p.buf, "write");
				goto out;
			}
			off += w;
		}
	}
	if (archive_entry_mtime_is_set(e)) {
		struct timespec ts[2] = { { archive_entry_mtime(e), 0 },
					  { archive_entry_mtime(e), 0 } };
		futimens(fd, ts);
	}
out:
	if (fd >= 0 && close(fd) < 0 && r >= 0)
		r = io_fail(u, p.buf, "write");
	ab_buf_release(&p);
	return r;
}

/* Resolve symlink `target` lexically against the directory of `path`
 * into `res`. Refuses a target leaving the tree and, with `links`, one
 * whose intermediate components name another symlink of the archive (its
 * real location could differ from the lexical one: "a" -> "." then
 * "b" -> "a/../../x" escapes). */
static bool is_link(const struct unpack *u, const char *p)
{
	for (size_t j = 0; j < u->nlinks; j++)
		if (!strcmp(u->links[j].path, p))
			return true;
	return false;
}

static int resolve(struct unpack *u, const char *path, const char *target, struct ab_buf *res,
		   bool links)
{
	const char *slash = strrchr(path, '/');
	if (slash)
		ab_buf_add(res, path, (size_t)(slash - path));
	const char *s = target;
	while (*s) {
		const char *q = strchr(s, '/');
		if (!q)
			q = s + strlen(s);
		size_t n = (size_t)(q - s);
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (!res->len)
				return refuse(u, path, "symlink out of the tree");
			char *ls = strrchr(res->buf, '/');
			ab_buf_truncate(res, ls ? (size_t)(ls - res->buf) : 0);
		} else if (n && !(n == 1 && s[0] == '.')) {
			if (res->len)
				ab_buf_addc(res, '/');
			ab_buf_add(res, s, n);
			if (links && *q && is_link(u, res->buf))
				return refuse(u, path, "symlink through another symlink");
		}
		s = *q ? q + 1 : q;
	}
	return 0;
}

static int entry(struct unpack *u, struct archive *a, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	if (!name)
		return refuse(u, "?", "no file name");
	struct ab_buf rel = AB_BUF_INIT;
	int r = normalize(u, name, &rel);
	if (r < 0)
		goto out;
	const char *hard = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	note_top(u, rel.buf, type == AE_IFDIR);
	if (hard) {
		struct ab_buf t = AB_BUF_INIT, from = AB_BUF_INIT, to = AB_BUF_INIT;
		struct stat st;
		r = normalize(u, hard, &t);
		if (r >= 0 && !rel.len)
			r = refuse(u, name, "hard link at the root");
		if (r >= 0)
			r = make_dirs(u, rel.buf, false);
		if (r >= 0) {
			ab_buf_addf(&from, "%s/%s", u->dest, t.buf);
			ab_buf_addf(&to, "%s/%s", u->dest, rel.buf);
			if (!t.len || lstat(from.buf, &st) < 0 || !S_ISREG(st.st_mode))
				r = refuse(u, name, "hard link to something that is not a file "
						    "unpacked before it");
			else if (link(from.buf, to.buf) < 0)
				r = errno == EEXIST ? refuse(u, name, "written twice")
						    : io_fail(u, to.buf, "create hard link");
		}
		ab_buf_release(&t);
		ab_buf_release(&from);
		ab_buf_release(&to);
		goto out;
	}
	switch (type) {
	case AE_IFDIR:
		if (rel.len)
			r = make_dirs(u, rel.buf, true);
		break;
	case AE_IFREG:
		if (!rel.len) {
			r = refuse(u, name, "a file at the root");
			break;
		}
		r = make_dirs(u, rel.buf, false);
		if (r >= 0)
			r = write_file(u, a, e, rel.buf);
		break;
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);
		if (!rel.len) {
			r = refuse(u, name, "a link at the root");
			break;
		}
		if (!target || !*target || target[0] == '/') {
			r = refuse(u, name, "symlink to an absolute path");
			break;
		}
		struct ab_buf res = AB_BUF_INIT;
		r = resolve(u, rel.buf, target, &res, false);
		if (r >= 0) {
			AB_GROW(u->links, u->cap, u->nlinks + 1);
			struct link *l = &u->links[u->nlinks++];
			l->path = ab_buf_detach(&rel);
			l->target = ab_xstrdup(target);
		}
		ab_buf_release(&res);
		break;
	}
	default:
		r = ab_err_at(u->err, AB_E_UNSUPPORTED, &(struct ab_loc){ u->archive, 0, 0 },
			      "refusing entry '%s': device, FIFO or socket", name);
		break;
	}
out:
	ab_buf_release(&rel);
	return r;
}

/* Symlinks last: nothing is written through them; a target that passes
 * through another link could resolve outside, so it is refused. */
static int make_links(struct unpack *u)
{
	for (size_t i = 0; i < u->nlinks; i++) {
		const struct link *l = &u->links[i];
		struct ab_buf res = AB_BUF_INIT;
		int r = resolve(u, l->path, l->target, &res, true);
		ab_buf_release(&res);
		if (r < 0)
			return r;
		r = make_dirs(u, l->path, false);
		if (r < 0)
			return r;
		struct ab_buf p = AB_BUF_INIT;
		ab_buf_addf(&p, "%s/%s", u->dest, l->path);
		if (symlink(l->target, p.buf) < 0) {
			r = errno == EEXIST ? refuse(u, l->path, "written twice")
					    : io_fail(u, p.buf, "create symlink");
			ab_buf_release(&p);
			return r;
		}
		ab_buf_release(&p);
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int sdist_remove_tree(const char *path, struct ab_err *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
		return ab_err_at(err, AB_E_IO, &(struct ab_loc){ path, 0, 0 }, "cannot remove: %s",
				 strerror(errno));
	return 0;
}

bool sdist_metadata_is_static(const struct metadata *md)
{
	bool v22 = md->mv_major > 2 || (md->mv_major == 2 && md->mv_minor >= 2);
	if (!v22 || !md->name.ptr || !md->name_canonical || !md->version)
		return false;
	for (size_t i = 0; i < md->dynamic.n; i++) {
		struct ab_str d = ab_str_trim(md->dynamic.items[i]);
		if (ab_str_ieq_cstr(d, "Requires-Dist") || ab_str_ieq_cstr(d, "Requires-Python"))
			return false;
	}
	return true;
}

static void read_pkg_info(struct sdist *out)
{
	struct ab_buf p = AB_BUF_INIT, text = AB_BUF_INIT;
	ab_buf_addf(&p, "%s/PKG-INFO", out->root);
	int fd = open(p.buf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		char buf[16384];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			ab_buf_add(&text, buf, (size_t)n);
		close(fd);
		struct ab_err e = AB_ERR_INIT;
		if (n == 0 && metadata_parse(ab_buf_str(&text), 0, "PKG-INFO", &out->md, &e) == 0) {
			out->has_pkg_info = true;
			out->static_metadata = sdist_metadata_is_static(&out->md);
		}
		ab_err_release(&e);
	}
	ab_buf_release(&p);
	ab_buf_release(&text);
}

int sdist_unpack(const char *archive, const char *dest, struct sdist *out, struct ab_err *err)
{
	*out = (struct sdist)SDIST_INIT;
	struct unpack u = { archive, dest, err, NULL, 0, 0, NULL, false, false };
	struct archive *a = NULL;
	bool made = false;
	int r = 0;
	if (mkdir(dest, 0755) < 0) {
		r = io_fail(&u, dest, "create directory");
		goto out;
	}
	made = true;
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, archive, 65536) != ARCHIVE_OK) {
		r = ab_err_at(err, errno == ENOENT ? AB_E_IO : AB_E_UNSUPPORTED,
			      &(struct ab_loc){ archive, 0, 0 }, "cannot open sdist: %s",
			      archive_error_string(a));
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = ab_err_at(err, u.any ? AB_E_IO : AB_E_UNSUPPORTED,
				      &(struct ab_loc){ archive, 0, 0 }, "cannot read sdist: %s",
				      archive_error_string(a));
			goto out;
		}
		r = entry(&u, a, e);
		if (r < 0)
			goto out;
	}
	r = make_links(&u);
	if (r < 0)
		goto out;
	out->dir = ab_xstrdup(dest);
	struct ab_buf root = AB_BUF_INIT;
	ab_buf_adds(&root, dest);
	if (u.any && u.single_top) {
		out->top = ab_xstrdup(u.top);
		ab_buf_addf(&root, "/%s", u.top);
	}
	out->root = ab_buf_detach(&root);
	read_pkg_info(out);
out:
	archive_read_free(a);
	for (size_t i = 0; i < u.nlinks; i++) {
		free(u.links[i].path);
		free(u.links[i].target);
	}
	free(u.links);
	free(u.top);
	if (r < 0 && made)
		sdist_remove_tree(dest, NULL);
	return r;
}

void sdist_release(struct sdist *s)
{
	free(s->dir);
	free(s->root);
	free(s->top);
	if (s->has_pkg_info)
		metadata_release(&s->md);
	*s = (struct sdist)SDIST_INIT;
}
