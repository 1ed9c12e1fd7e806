/* bundle.c - timestamp, app copy, tarball (see bundle.h). */
#include "builder/bundle.h"

#include <dirent.h> /* IFTODT */
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/ignore.h"
#include "formats/core/buf.h"
#include "formats/core/fs.h"
#include "formats/core/mem.h"

/* Could app_dir be inside a git repository? A ".git" (directory or file)
 * in it or above it, or a bare repository's HEAD, or $GIT_DIR set: only
 * then is libgit2 loaded (5-15 ms, most of a warm bundle's start) to
 * find it. */
static bool maybe_git(const char *app_dir)
{
	if (getenv("GIT_DIR"))
		return true;
	char *p = realpath(app_dir, NULL);
	if (!p)
		return true; /* let libgit2 decide and fail */
	struct ab_buf t = AB_BUF_INIT;
	bool found = false;
	for (size_t n = strlen(p); !found;) {
		struct stat st;
		ab_buf_reset(&t);
		ab_buf_add(&t, p, n);
		size_t base = t.len;
		ab_buf_adds(&t, "/.git");
		found = lstat(t.buf, &st) == 0;
		ab_buf_truncate(&t, base);
		ab_buf_adds(&t, "/HEAD");
		found = found || lstat(t.buf, &st) == 0;
		char *slash = n ? memrchr(p, '/', n) : NULL;
		if (!slash || n == 0)
			break;
		n = (size_t)(slash - p); /* "" stands for "/" */
	}
	ab_buf_release(&t);
	free(p);
	return found;
}

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
	if (!maybe_git(app_dir))
		return 0;
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
	hex[0] = 0;
	if (!maybe_git(app_dir))
		return 0;
	git_libgit2_init();
	git_repository *repo = NULL;
	git_object *head = NULL;
	int found = 0;
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

struct copy {
	struct ab_buf dst; /* dest + the entry's rel */
	size_t dst_len;	   /* of dest */
	struct ignore *ig;
	struct ab_err *err;
};

/* Whether the relative link target t, in a directory `depth` components
 * below the app root, stays inside the app. */
static bool link_inside(const char *t, unsigned depth)
{
	long level = (long)depth;
	bool ok = t[0] != '/';
	for (const char *c = t; ok && *c;) {
		const char *s = strchr(c, '/');
		size_t l = s ? (size_t)(s - c) : strlen(c);
		if (l == 2 && c[0] == '.' && c[1] == '.')
			ok = --level >= 0;
		else if (l && !(l == 1 && c[0] == '.'))
			level++;
		c += l + (s != NULL);
	}
	return ok;
}

static int copy_entry(const struct ab_walk_entry *e, void *ctx)
{
	struct copy *c = ctx;
	struct ab_err *err = c->err;
	const struct stat *st = e->st;
	unsigned depth = 0; /* of the directory holding e, below the app root */
	for (const char *s = e->rel + 1; (s = strchr(s, '/')); s++)
		depth++;
	if (skipped(e->name, !depth))
		return AB_WALK_PRUNE;
	/* .gitignore, .appbuildignore */
	int ign = ignore_match(c->ig, e->path, IFTODT(st->st_mode), err);
	if (ign != 0)
		return ign < 0 ? ign : AB_WALK_PRUNE;
	ab_buf_truncate(&c->dst, c->dst_len);
	ab_buf_adds(&c->dst, e->rel);
	if (S_ISDIR(st->st_mode)) {
		if (mkdir(c->dst.buf, 0755) < 0 && errno != EEXIST)
			return io_err(err, c->dst.buf, "create directory");
	} else if (S_ISREG(st->st_mode)) {
		return copy_file(e->path, c->dst.buf, st->st_mode, err);
	} else if (S_ISLNK(st->st_mode)) {
		char t[4096];
		ssize_t n = readlink(e->path, t, sizeof(t) - 1);
		if (n < 0)
			return io_err(err, e->path, "read link");
		t[n] = '\0';
		/* a relative link may climb at most `depth` levels */
		if (!link_inside(t, depth)) {
			struct ab_loc loc = { e->path, 0, 0 };
			return ab_err_at(err, AB_E_INVALID, &loc,
					 "symbolic link to '%s' points outside the app", t);
		}
		if (symlink(t, c->dst.buf) < 0)
			return io_err(err, c->dst.buf, "create symlink");
	}
	/* sockets, fifos, devices: not app content */
	return 0;
}

int bundle_copy_app(const char *app_dir, const char *dest, struct ab_err *err)
{
	struct copy c = { AB_BUF_INIT, 0, ignore_new(app_dir), err };
	ab_buf_adds(&c.dst, dest);
	c.dst_len = c.dst.len;
	int r = 0;
	if (mkdir(dest, 0755) < 0 && errno != EEXIST)
		r = io_err(err, dest, "create directory");
	if (r == 0)
		r = ab_walk(app_dir, 0, copy_entry, &c, err);
	ignore_free(c.ig);
	ab_buf_release(&c.dst);
	return r;
}

/* tarball_segcache over the cache's pages: a segment is the page of the
 * URL "appbuild-tar-segment:<key>" (the page layer checks its sha256 too). */
static void seg_key(void *ctx, const char *tag, const struct tarball_piece *v, size_t n,
		    char key[65])
{
	struct cache_sha256 h;
	(void)ctx;
	cache_sha256_init(&h);
	cache_sha256_update(&h, tag, strlen(tag) + 1);
	for (size_t i = 0; i < n; i++)
		cache_sha256_update(&h, v[i].data, v[i].size);
	cache_sha256_final(&h, key);
	cache_sha256_release(&h);
}

static void seg_url(const char *key, char url[96])
{
	snprintf(url, 96, "appbuild-tar-segment:%s", key);
}

/* The segments are read into buffers used again and again (fresh memory
 * costs a page fault per page, a mapping its set-up and TLB flush). */
struct segstore {
	const struct cache *c;
	pthread_mutex_t mu;
	struct ab_buf *free[32];
	size_t nfree;
};

static struct ab_buf *buf_take(struct segstore *s)
{
	pthread_mutex_lock(&s->mu);
	struct ab_buf *b = s->nfree ? s->free[--s->nfree] : NULL;
	pthread_mutex_unlock(&s->mu);
	if (!b) {
		b = ab_xmalloc(sizeof(*b));
		*b = (struct ab_buf)AB_BUF_INIT;
		/* room for most segments at once: grown, a buffer moves to new pages */
		ab_buf_grow(b, (size_t)512 << 10);
	}
	return b;
}

static void seg_release(void *ctx, void *handle)
{
	struct segstore *s = ctx;
	struct ab_buf *b = handle;
	pthread_mutex_lock(&s->mu);
	if (s->nfree < AB_ARRAY_SIZE(s->free)) {
		s->free[s->nfree++] = b;
		b = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	if (b) {
		ab_buf_release(b);
		free(b);
	}
}

/* The body's sha256 is not checked twice: tarball.c checks the CRC-32 of
 * each segment's compressed bytes. */
static int seg_get(void *ctx, const char *key, const void **data, size_t *n, void **handle)
{
	struct segstore *s = ctx;
	char url[96];
	struct ab_buf *b = buf_take(s);
	seg_url(key, url);
	if (cache_page_get_body(s->c, url, false, b, NULL) <= 0) {
		seg_release(s, b);
		return 0;
	}
	*data = b->buf;
	*n = b->len;
	*handle = b;
	return 1;
}

static void seg_put(void *ctx, const char *key, const void *data, size_t n)
{
	struct segstore *s = ctx;
	struct cache_meta m = CACHE_META_INIT;
	char url[96];
	seg_url(key, url);
	m.url = url;
	cache_page_put(s->c, &m, data, n, NULL);
}

static void sha_sink(void *ctx, const void *data, size_t n)
{
	cache_sha256_update(ctx, data, n);
}

int bundle_pack(const char *stage, const char *out_path, const char *top, int format,
		int64_t mtime, const struct cache *c, struct tarball_stats *st,
		const struct tarball_memfile *mem, size_t nmem, char sha[65], struct ab_err *err)
{
	enum tarball_format f = (enum tarball_format)format;
	if (format < 0 && tarball_format_from_path(out_path, &f) < 0)
		return ab_err_set(err, AB_E_USAGE,
				  "cannot tell the format of '%s' (use .tar.gz, .tar.zst or .tar.xz)",
				  out_path);
	struct segstore ss = { c, PTHREAD_MUTEX_INITIALIZER, { NULL }, 0 };
	struct tarball_segcache sc = { &ss, seg_key, seg_get, seg_release, seg_put };
	char hex[65];
	/* libcrypto loaded here, not by the first two workers at once */
	cache_sha256_hex("", 0, hex);
	struct cache_sha256 h;
	struct tarball_opts o = { f, top, mtime, 0, 0, c && !c->disabled ? &sc : NULL, st, mem, nmem,
				  NULL, NULL };
	if (sha && f == TARBALL_GZ) {
		/* hashed as it is written (tarball_opts.sink) */
		cache_sha256_init(&h);
		o.sink = sha_sink;
		o.sink_ctx = &h;
	}
	int r = tarball_write(stage, out_path, &o, err);
	for (size_t i = 0; i < ss.nfree; i++) {
		ab_buf_release(ss.free[i]);
		free(ss.free[i]);
	}
	if (o.sink) {
		cache_sha256_final(&h, sha);
		cache_sha256_release(&h);
	}
	if (r >= 0 && sha && !o.sink)
		r = cache_sha256_file(out_path, sha, err);
	return r;
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
