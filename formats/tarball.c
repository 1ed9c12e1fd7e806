/* tarball.c - reproducible tarballs (see tarball.h). */
#include "formats/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/lazy/lazy.h"

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
	case TARBALL_GZ: /* gz_*() */
	default:
		return -1;
	}
	/* ARCHIVE_WARN means an external compressor program: refused */
	if (r != ARCHIVE_OK)
		return -1;
	return archive_write_set_options(a, opt) == ARCHIVE_OK ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* gzip on every core (pigz's layout)
 *
 * The tar stream is cut into GZ_CHUNK-byte chunks; each is deflated on its
 * own (raw deflate at the level asked, the previous chunk's last 32 KiB as
 * its dictionary) and ends with a sync flush (an empty stored block: byte
 * aligned, not final), the last chunk with Z_FINISH. The chunks in order
 * are one deflate stream behind one gzip header (no name, mtime 0, OS unix)
 * and before the CRC-32 and size of the whole. A chunk's bytes depend only
 * on its input and its dictionary, so the file is the same for any number
 * of threads, as pigz's is; it is a little larger than one deflate stream
 * (about 0.1%) and, with two or more cores, that much faster. */

#define GZ_CHUNK ((size_t)128 << 10)
#define GZ_DICT ((size_t)32 << 10)

enum gz_state { GZ_FREE, GZ_FILLING, GZ_READY, GZ_BUSY, GZ_DONE };

struct gz_slot {
	unsigned char *in; /* GZ_DICT bytes for the dictionary, then the chunk */
	size_t dict, len;  /* the dictionary's and the chunk's lengths */
	unsigned char *out;
	size_t out_len, out_cap;
	bool last;
	enum gz_state state;
	uint64_t seq;
};

struct gz {
	int fd;
	int level;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* any slot changed state, or quit */
	struct gz_slot *slot;
	size_t nslot;
	uint64_t fill;	/* seq of the slot being filled */
	uint64_t write; /* seq of the next slot to write */
	pthread_t *th;
	unsigned nth; /* worker threads; 0: the writer compresses */
	bool quit;
	int failed;	/* a deflate failure (a worker's) */
	int write_errno;
	uint32_t crc;
	uint64_t total;
	z_stream zs; /* the writer's own stream when nth is 0 */
	bool zs_ready;
};

static int gz_deflate(z_stream *zs, bool *ready, int level, struct gz_slot *s)
{
	if (!*ready) {
		memset(zs, 0, sizeof(*zs));
		if (deflateInit2(zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -1;
		*ready = true;
	} else if (deflateReset(zs) != Z_OK) {
		return -1;
	}
	if (s->dict && deflateSetDictionary(zs, s->in, (uInt)s->dict) != Z_OK)
		return -1;
	size_t need = deflateBound(zs, (uLong)s->len) + 64;
	if (s->out_cap < need) {
		s->out = ab_xrealloc(s->out, need);
		s->out_cap = need;
	}
	zs->next_in = s->in + GZ_DICT;
	zs->avail_in = (uInt)s->len;
	s->out_len = 0;
	for (;;) {
		zs->next_out = s->out + s->out_len;
		zs->avail_out = (uInt)(s->out_cap - s->out_len);
		int rc = deflate(zs, s->last ? Z_FINISH : Z_SYNC_FLUSH);
		s->out_len = s->out_cap - zs->avail_out;
		if (rc == Z_STREAM_ERROR)
			return -1;
		if (s->last ? rc == Z_STREAM_END : (zs->avail_in == 0 && zs->avail_out > 0))
			return 0;
		/* out of room (deflateBound makes this rare): more, and again */
		s->out_cap *= 2;
		s->out = ab_xrealloc(s->out, s->out_cap);
	}
}

static void *gz_worker(void *arg)
{
	struct gz *g = arg;
	z_stream zs;
	bool ready = false;
	pthread_mutex_lock(&g->mu);
	for (;;) {
		struct gz_slot *s = NULL;
		for (size_t i = 0; i < g->nslot; i++) {
			struct gz_slot *c = &g->slot[i];
			if (c->state == GZ_READY && (!s || c->seq < s->seq))
				s = c;
		}
		if (!s) {
			if (g->quit)
				break;
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		s->state = GZ_BUSY;
		pthread_mutex_unlock(&g->mu);
		int r = gz_deflate(&zs, &ready, g->level, s);
		pthread_mutex_lock(&g->mu);
		if (r < 0)
			g->failed = 1;
		s->state = GZ_DONE;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	if (ready)
		deflateEnd(&zs);
	return NULL;
}

static int gz_put(struct gz *g, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t k = write(g->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			g->write_errno = k < 0 ? errno : EIO;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Write the oldest chunk once it is compressed. */
static int gz_write_next(struct gz *g)
{
	struct gz_slot *s = &g->slot[g->write % g->nslot];
	pthread_mutex_lock(&g->mu);
	while (s->state != GZ_DONE && !g->failed)
		pthread_cond_wait(&g->cv, &g->mu);
	int failed = g->failed;
	pthread_mutex_unlock(&g->mu);
	if (failed || gz_put(g, s->out, s->out_len) < 0)
		return -1;
	pthread_mutex_lock(&g->mu);
	s->state = GZ_FREE;
	pthread_mutex_unlock(&g->mu);
	g->write++;
	return 0;
}

/* Hand the chunk being filled to the workers (or compress it here) and,
 * unless it is the last, start the next one with its dictionary. */
static int gz_submit(struct gz *g, bool last)
{
	struct gz_slot *s = &g->slot[g->fill % g->nslot];
	s->last = last;
	if (!g->nth) {
		if (gz_deflate(&g->zs, &g->zs_ready, g->level, s) < 0)
			return -1;
		s->state = GZ_DONE;
	} else {
		pthread_mutex_lock(&g->mu);
		s->state = GZ_READY;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
	}
	g->fill++;
	if (last)
		return 0;
	struct gz_slot *nx = &g->slot[g->fill % g->nslot];
	for (;;) {
		pthread_mutex_lock(&g->mu);
		bool free_ = nx->state == GZ_FREE;
		pthread_mutex_unlock(&g->mu);
		if (free_)
			break;
		if (gz_write_next(g) < 0)
			return -1;
	}
	/* every chunk but the last is GZ_CHUNK >= GZ_DICT bytes long */
	nx->dict = s->len < GZ_DICT ? s->len : GZ_DICT;
	memmove(nx->in + GZ_DICT - nx->dict, s->in + GZ_DICT + s->len - nx->dict, nx->dict);
	nx->len = 0;
	nx->seq = g->fill;
	nx->state = GZ_FILLING;
	return 0;
}

static la_ssize_t gz_archive_write(struct archive *a, void *data, const void *buf, size_t n)
{
	struct gz *g = data;
	const unsigned char *p = buf;
	size_t left = n;
	g->crc = (uint32_t)crc32(g->crc, p, (uInt)n);
	g->total += n;
	while (left) {
		struct gz_slot *s = &g->slot[g->fill % g->nslot];
		size_t k = GZ_CHUNK - s->len < left ? GZ_CHUNK - s->len : left;
		memcpy(s->in + GZ_DICT + s->len, p, k);
		s->len += k;
		p += k;
		left -= k;
		if (s->len == GZ_CHUNK && gz_submit(g, false) < 0) {
			archive_set_error(a, g->write_errno ? g->write_errno : -1, "%s",
					  g->write_errno ? strerror(g->write_errno)
							 : "deflate failed");
			return -1;
		}
	}
	return (la_ssize_t)n;
}

/* Start: the gzip header, the slots and `threads` workers (0 or 1: none,
 * the writer compresses). */
static int gz_open(struct gz *g, int fd, int level, unsigned threads)
{
	static const unsigned char head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	memset(g, 0, sizeof(*g));
	g->fd = fd;
	g->level = level;
	g->crc = (uint32_t)crc32(0, NULL, 0);
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->nth = threads > 1 ? (threads > 16 ? 16 : threads) : 0;
	/* a few chunks per worker in flight, so the writer never waits for one */
	g->nslot = g->nth ? 3 * (size_t)g->nth : 1;
	g->slot = ab_xcalloc(g->nslot, sizeof(*g->slot));
	for (size_t i = 0; i < g->nslot; i++)
		g->slot[i].in = ab_xmalloc(GZ_DICT + GZ_CHUNK);
	g->slot[0].state = GZ_FILLING;
	if (g->nth) {
		g->th = ab_xcalloc(g->nth, sizeof(*g->th));
		unsigned started = 0;
		while (started < g->nth && pthread_create(&g->th[started], NULL, gz_worker, g) == 0)
			started++;
		/* fewer threads only means slower, not different bytes */
		if (!started) {
			free(g->th);
			g->th = NULL;
		}
		g->nth = started;
	}
	return gz_put(g, head, sizeof(head));
}

/* Stop the workers and free everything (after gz_finish or on failure). */
static void gz_release(struct gz *g)
{
	if (!g->slot)
		return;
	pthread_mutex_lock(&g->mu);
	g->quit = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	for (unsigned i = 0; i < g->nth; i++)
		pthread_join(g->th[i], NULL);
	free(g->th);
	for (size_t i = 0; i < g->nslot; i++) {
		free(g->slot[i].in);
		free(g->slot[i].out);
	}
	free(g->slot);
	g->slot = NULL;
	if (g->zs_ready)
		deflateEnd(&g->zs);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
}

/* The last chunk, everything still in flight, the trailer. */
static int gz_finish(struct gz *g)
{
	if (gz_submit(g, true) < 0)
		return -1;
	while (g->write < g->fill)
		if (gz_write_next(g) < 0)
			return -1;
	unsigned char tail[8];
	for (int i = 0; i < 4; i++) {
		tail[i] = (unsigned char)(g->crc >> (8 * i));
		tail[4 + i] = (unsigned char)(g->total >> (8 * i));
	}
	return gz_put(g, tail, sizeof(tail));
}

int tarball_write(const char *root, const char *out_path, const struct tarball_opts *o,
		  struct ab_err *err)
{
	struct walk w = { NULL, NULL, o, AB_BUF_INIT, AB_BUF_INIT, NULL };
	struct ab_buf tmp = AB_BUF_INIT;
	struct gz gz;
	int fd = -1, r = 0;

	memset(&gz, 0, sizeof(gz));

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
	bool ok = w.a && w.e && archive_write_set_format_pax_restricted(w.a) == ARCHIVE_OK;
	if (ok && o->format == TARBALL_GZ)
		/* the plain tar stream (not padded: the chunks are gz's) into gz */
		ok = archive_write_set_bytes_in_last_block(w.a, 1) == ARCHIVE_OK &&
		     gz_open(&gz, fd, o->level ? o->level : 6,
			     o->threads ? o->threads : online_cpus()) == 0 &&
		     archive_write_open(w.a, &gz, NULL, gz_archive_write, NULL) == ARCHIVE_OK;
	else if (ok)
		ok = set_filter(w.a, o) == 0 && archive_write_open_fd(w.a, fd) == ARCHIVE_OK;
	if (!ok) {
		r = ab_err_set(err, AB_E_BUILD, "cannot set up the %s writer: %s",
			       tarball_format_ext(o->format) + 1,
			       w.a && archive_error_string(w.a) ? archive_error_string(w.a)
			       : lazy_error(LAZY_ARCHIVE)	  ? lazy_error(LAZY_ARCHIVE)
								  : "out of memory");
		goto out;
	}
	ab_buf_adds(&w.src, root);
	ab_buf_adds(&w.name, o->top);
	r = add(&w, &st, err);
	if (r == 0 && archive_write_close(w.a) != ARCHIVE_OK)
		r = ar_err(&w, err);
	if (r == 0 && o->format == TARBALL_GZ && gz_finish(&gz) < 0) {
		errno = gz.write_errno;
		r = gz.write_errno ? io_err(err, tmp.buf, "write")
				   : ab_err_set(err, AB_E_BUILD, "cannot compress: deflate failed");
	}
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
	archive_write_free(w.a); /* accepts NULL; may still write through gz */
	gz_release(&gz);
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
