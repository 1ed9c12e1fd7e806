/* bundle.c - timestamp, app copy, tarball (see bundle.h). */
#include "builder/bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "builder/ignore.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"

int bundle_source_time(const char *app_dir, int64_t *out, struct ab_err *err)
{
	/* https://reproducible-builds.org/specs/source-date-epoch/ */
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	*out = 0;
	if (sde && *sde) {
		int64_t v = 0;
		for (const char *p = sde; *p; p++) {
			if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
				return ab_err_set(err, AB_E_USAGE,
						  "SOURCE_DATE_EPOCH '%s' is not a number of seconds",
						  sde);
			v = v * 10 + (*p - '0');
		}
		*out = v;
		return 0;
	}
	git_libgit2_init();
	git_repository *repo = NULL;
	git_object *head = NULL;
	if (git_repository_open_ext(&repo, app_dir, 0, NULL) == 0 &&
	    git_revparse_single(&head, repo, "HEAD^{commit}") == 0) {
		int64_t t = (int64_t)git_commit_time((const git_commit *)head);
		*out = t > 0 ? t : 0;
	}
	git_object_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return 0;
}

int bundle_source_commit(const char *app_dir, char hex[41])
{
	git_libgit2_init();
	git_repository *repo = NULL;
	git_object *head = NULL;
	int found = 0;
	hex[0] = 0;
	if (git_repository_open_ext(&repo, app_dir, 0, NULL) == 0 &&
	    git_revparse_single(&head, repo, "HEAD^{commit}") == 0) {
		git_oid_tostr(hex, 41, git_object_id(head));
		found = 1;
	}
	git_object_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return found;
}

static int io_err(struct ab_err *err, const char *path, const char *what)
{
	struct ab_loc loc = { path, 0, 0 };
	return ab_err_at(err, AB_E_IO, &loc, "cannot %s: %s", what, strerror(errno));
}

static bool skipped(const char *name, bool top)
{
	static const char *const always[] = { ".git", ".hg", ".svn", ".bzr", "__pycache__" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(always); i++) {
		if (!strcmp(name, always[i]))
			return true;
	}
	size_t n = strlen(name);
	if (n > 4 && !strcmp(name + n - 4, ".pyc"))
		return true;
	return top && (!strcmp(name, "dist") || !strcmp(name, "build") ||
		       !strncmp(name, ".appbuild", 9));
}

static int copy_file(const char *src, const char *dst, mode_t mode, struct ab_err *err)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	char buf[65536];
	if (in < 0)
		return io_err(err, src, "open");
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0111 ? 0755 : 0644);
	if (out < 0) {
		r = io_err(err, dst, "create file");
		goto out;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = io_err(err, src, "read");
			goto out;
		}
		if (n == 0)
			break;
		for (ssize_t o = 0; o < n;) {
			ssize_t k = write(out, buf + o, (size_t)(n - o));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				r = io_err(err, dst, "write");
				goto out;
			}
			o += k;
		}
	}
out:
	close(in);
	if (out >= 0 && close(out) < 0 && r == 0)
		r = io_err(err, dst, "write");
	return r;
}

/* depth: components below the app root (for links that climb out). */
static int copy_tree(struct ab_buf *src, struct ab_buf *dst, unsigned depth, struct ignore *ig,
		     struct ab_err *err)
{
	if (mkdir(dst->buf, 0755) < 0 && errno != EEXIST)
		return io_err(err, dst->buf, "create directory");
	DIR *d = opendir(src->buf);
	if (!d)
		return io_err(err, src->buf, "read directory");
	size_t sl = src->len, dl = dst->len;
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || skipped(e->d_name, !depth))
			continue;
		ab_buf_truncate(src, sl);
		ab_buf_truncate(dst, dl);
		ab_buf_addf(src, "/%s", e->d_name);
		ab_buf_addf(dst, "/%s", e->d_name);
		int ign = ignore_match(ig, src->buf, e->d_type, err); /* .gitignore, .appbuildignore */
		if (ign != 0) {
			r = ign < 0 ? ign : 0;
			continue;
		}
		struct stat st;
		if (lstat(src->buf, &st) < 0) {
			r = io_err(err, src->buf, "stat");
		} else if (S_ISDIR(st.st_mode)) {
			r = copy_tree(src, dst, depth + 1, ig, err);
		} else if (S_ISREG(st.st_mode)) {
			r = copy_file(src->buf, dst->buf, st.st_mode, err);
		} else if (S_ISLNK(st.st_mode)) {
			char t[4096];
			ssize_t n = readlink(src->buf, t, sizeof(t) - 1);
			if (n < 0) {
				r = io_err(err, src->buf, "read link");
				continue;
			}
			t[n] = '\0';
			/* a relative link may climb at most `depth` levels */
			long level = (long)depth;
			bool ok = t[0] != '/';
			for (char *c = t; ok && *c;) {
				char *s = strchr(c, '/');
				size_t l = s ? (size_t)(s - c) : strlen(c);
				if (l == 2 && c[0] == '.' && c[1] == '.')
					ok = --level >= 0;
				else if (l && !(l == 1 && c[0] == '.'))
					level++;
				c += l + (s != NULL);
			}
			if (!ok) {
				struct ab_loc loc = { src->buf, 0, 0 };
				r = ab_err_at(err, AB_E_INVALID, &loc,
					      "symbolic link to '%s' points outside the app", t);
			} else if (symlink(t, dst->buf) < 0) {
				r = io_err(err, dst->buf, "create symlink");
			}
		}
		/* sockets, fifos, devices: not app content */
	}
	closedir(d);
	ab_buf_truncate(src, sl);
	ab_buf_truncate(dst, dl);
	return r;
}

int bundle_copy_app(const char *app_dir, const char *dest, struct ab_err *err)
{
	struct ab_buf s = AB_BUF_INIT, d = AB_BUF_INIT;
	ab_buf_adds(&s, app_dir);
	ab_buf_adds(&d, dest);
	struct ignore *ig = ignore_new(app_dir);
	int r = copy_tree(&s, &d, 0, ig, err);
	ignore_free(ig);
	ab_buf_release(&s);
	ab_buf_release(&d);
	return r;
}

int bundle_pack(const char *stage, const char *out_path, const char *top, int format,
		int64_t mtime, struct ab_err *err)
{
	enum tarball_format f = (enum tarball_format)format;
	if (format < 0 && tarball_format_from_path(out_path, &f) < 0)
		return ab_err_set(err, AB_E_USAGE,
				  "cannot tell the format of '%s' (use .tar.gz, .tar.zst or .tar.xz)",
				  out_path);
	struct tarball_opts o = { f, top, mtime, 0, 0 };
	return tarball_write(stage, out_path, &o, err);
}

/* A tree written once, read once by the tarball writer and deleted costs
 * 2-3 times more on a journalling disk file system (every create and
 * unlink is a metadata update; on this project's CI machine a mere rm -rf
 * of a flask bundle's tree takes seconds) than in RAM. */
void bundle_stage_parent(uint64_t need, struct ab_buf *out)
{
	const char *tmp = getenv("TMPDIR");
	if (tmp && *tmp) {
		ab_buf_adds(out, tmp);
		return;
	}
	struct statfs fs;
	struct statvfs vfs;
	if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
	    statvfs("/dev/shm", &vfs) == 0 && access("/dev/shm", W_OK | X_OK) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize / 2 > need) {
		ab_buf_adds(out, "/dev/shm");
		return;
	}
	ab_buf_adds(out, "/tmp");
}
