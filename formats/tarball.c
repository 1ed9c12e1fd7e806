/* tarball.c - reproducible tarballs (see tarball.h). */
#include "formats/tarball.h"

#include <archive.h>
#include <archive_entry.h>
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
#include "formats/core/fs.h"
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

struct gz;

struct walk {
	struct archive *a;
	struct archive_entry *e;
	const struct tarball_opts *o;
	struct ab_buf src;  /* the path on disk */
	struct ab_buf name; /* the path in the archive */
	char *data;         /* read buffer */
	size_t toplen;      /* of o->top, the start of name */
	struct gz *gz;      /* tar.gz: the compressor; NULL: libarchive's */
	const char *tmp;    /* the file being written */
};

static bool seg_boundary(const struct walk *w);
static int gz_cut(struct gz *g);
static void gz_stable(struct gz *g, const void *data, size_t n);
static int gz_err(struct walk *w, struct ab_err *err);

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

/* ------------------------------------------------------------------ */
/* the entries: the tree's and the memory files', sorted */

enum ent_kind { ENT_VDIR, ENT_DISK, ENT_MEM }; /* the order of precedence */

struct ent {
	char *rel;	    /* relative to root; "" for root itself */
	enum ent_kind kind;
	mode_t mode;	    /* ENT_DISK: lstat's */
	int64_t size;	    /* ENT_DISK */
	size_t mem;	    /* ENT_MEM: index in o->mem */
};

struct ents {
	struct ent *v;
	size_t n, cap;
	struct ab_err *err; /* collect_disk's */
};

static void ent_add(struct ents *es, char *rel, enum ent_kind kind, mode_t mode, int64_t size,
		    size_t mem)
{
	AB_GROW(es->v, es->cap, es->n + 1);
	es->v[es->n++] = (struct ent){ rel, kind, mode, size, mem };
}

static bool ent_is_dir(const struct ent *e)
{
	return e->kind == ENT_VDIR || (e->kind == ENT_DISK && S_ISDIR(e->mode));
}

/* Depth first, a directory right before its contents, siblings in byte
 * order of their names: paths compared with the end before '/' before any
 * other byte. */
static int cmp_ent(const void *pa, const void *pb)
{
	const struct ent *a = pa, *b = pb;
	const unsigned char *x = (const unsigned char *)a->rel, *y = (const unsigned char *)b->rel;
	while (*x && *x == *y)
		x++, y++;
	int kx = !*x ? 0 : *x == '/' ? 1 : *x + 2, ky = !*y ? 0 : *y == '/' ? 1 : *y + 2;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	/* the same path: by precedence, then (memory files) the later last */
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->mem < b->mem ? -1 : a->mem > b->mem;
}

/* One entry of the tree (the walk's order does not matter: collect sorts). */
static int collect_disk(const struct ab_walk_entry *e, void *ctx)
{
	struct ents *es = ctx;
	mode_t m = e->st->st_mode;
	if (!S_ISDIR(m) && !S_ISREG(m) && !S_ISLNK(m)) {
		struct ab_loc loc = { e->path, 0, 0 };
		return ab_err_at(es->err, AB_E_UNSUPPORTED, &loc,
				 "cannot archive a device, fifo or socket");
	}
	ent_add(es, ab_xstrdup(e->rel + 1), ENT_DISK, m, (int64_t)e->st->st_size, 0);
	return 0;
}

/* Every entry: root, the tree, the memory files and their directories;
 * sorted, one per path (the one that takes precedence). */
static int collect(struct walk *w, struct ents *es, struct ab_err *err)
{
	const struct tarball_opts *o = w->o;
	ent_add(es, ab_xstrdup(""), ENT_DISK, S_IFDIR | 0755, 0, 0);
	es->err = err;
	int r = ab_walk(w->src.buf, 0, collect_disk, es, err);
	struct ab_buf pd = AB_BUF_INIT; /* the previous memory file's directory */
	for (size_t i = 0; r == 0 && i < o->nmem; i++) {
		const char *p = o->mem[i].path;
		ent_add(es, ab_xstrdup(p), ENT_MEM, 0, 0, i);
		/* its directories, but those of the previous file's directory */
		for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			size_t n = (size_t)(s - p);
			if (!strncmp(pd.buf, p, n) && (pd.buf[n] == '/' || pd.buf[n] == '\0'))
				continue;
			ent_add(es, ab_xstrndup(p, n), ENT_VDIR, 0, 0, 0);
		}
		const char *slash = strrchr(p, '/');
		ab_buf_reset(&pd);
		if (slash)
			ab_buf_add(&pd, p, (size_t)(slash - p));
	}
	ab_buf_release(&pd);
	if (r < 0)
		return r;
	qsort(es->v, es->n, sizeof(*es->v), cmp_ent);
	size_t k = 0;
	for (size_t i = 0; i < es->n; i++) {
		if (k && !strcmp(es->v[k - 1].rel, es->v[i].rel)) {
			struct ent *keep = &es->v[k - 1], *e = &es->v[i];
			if (ent_is_dir(keep) != ent_is_dir(e)) {
				struct ab_loc loc = { e->rel, 0, 0 };
				return ab_err_at(err, AB_E_USAGE, &loc,
						 "both a file and a directory in the archive");
			}
			/* sorted by precedence: the later one wins */
			free(keep->rel);
			*keep = *e;
			continue;
		}
		es->v[k++] = es->v[i];
	}
	es->n = k;
	return 0;
}

static void ents_release(struct ents *es)
{
	for (size_t i = 0; i < es->n; i++)
		free(es->v[i].rel);
	free(es->v);
	memset(es, 0, sizeof(*es));
}

/* One entry (w->src and w->name are set to its paths). */
static int add(struct walk *w, const struct ent *en, struct ab_err *err)
{
	struct archive_entry *e = w->e;
	const struct tarball_memfile *mf = en->kind == ENT_MEM ? &w->o->mem[en->mem] : NULL;
	int r = 0, fd = -1;
	int64_t size = 0;
	archive_entry_clear(e);
	archive_entry_set_pathname(e, w->name.buf);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, (time_t)w->o->mtime, 0);
	if (ent_is_dir(en)) {
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
	} else if (mf) {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, mf->exec ? 0755 : 0644);
		archive_entry_set_size(e, (int64_t)mf->size);
	} else if (S_ISLNK(en->mode)) {
		char target[4096];
		ssize_t n = readlink(w->src.buf, target, sizeof(target) - 1);
		if (n < 0)
			return io_err(err, w->src.buf, "read link");
		target[n] = '\0';
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_perm(e, 0777);
		archive_entry_set_symlink(e, target);
	} else {
		fd = open(w->src.buf, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return io_err(err, w->src.buf, "open");
		size = en->size;
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, en->mode & 0111 ? 0755 : 0644);
		archive_entry_set_size(e, size);
	}
	/* every byte of the previous entry has reached gz (finish_entry below) */
	if (w->gz && seg_boundary(w) && gz_cut(w->gz) < 0) {
		r = gz_err(w, err);
		goto out;
	}
	if (archive_write_header(w->a, e) != ARCHIVE_OK) {
		r = ar_err(w, err);
		goto out;
	}
	if (mf && mf->size) {
		gz_stable(w->gz, mf->data, mf->size);
		la_ssize_t k = archive_write_data(w->a, mf->data, mf->size);
		gz_stable(w->gz, NULL, 0);
		if (k != (la_ssize_t)mf->size) {
			r = ar_err(w, err);
			goto out;
		}
	}
	if (fd >= 0) {
		int64_t left = size;
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
	}
	/* the entry's padding now, so the next entry starts a segment cleanly */
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		r = ar_err(w, err);
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
/* gzip in segments, on every core, with a cache
 *
 * The tar stream is cut into segments at entry boundaries chosen from the
 * entries alone (seg_boundary): before each entry at most two levels below
 * the top (the app's files, bin/, etc/, appbuild.json, venv/bin, ...),
 * before each entry right inside a site-packages directory (a package, a
 * module, a .dist-info), and before any entry once the segment holds
 * SEG_SOFT bytes; inside an entry every SEG_HARD bytes. Each segment is
 * deflated on its own (raw deflate at the level asked, no dictionary, as
 * pigz -i) and ends with a sync flush (an empty stored block: byte
 * aligned, not final). The segments in order and an empty final block
 * (03 00) are one deflate stream, behind one gzip header (no name, mtime 0,
 * OS unix) and before the CRC-32 (crc32_combine of the segments') and the
 * size of the whole.
 *
 * A segment's compressed bytes depend only on its own bytes, the level and
 * zlib, so the file is the same for any number of threads and whether a
 * segment was compressed now or found in the cache (tarball_segcache,
 * keyed by a digest of all of those): a bundle whose dependencies did not
 * change compresses only the segments of what did. A cached segment is
 * stored with a header, SEG_HEAD bytes: "ABTGZSG1", the CRC-32 and length
 * of its input, the CRC-32 of the compressed bytes (little endian); one
 * that does not match is compressed again and replaced. Independent
 * segments cost about 0.3% of size against one deflate stream. */

#define SEG_SOFT ((size_t)1 << 20)
#define SEG_HARD ((size_t)4 << 20)
#define SEG_HEAD 24
static const char seg_magic[8] = { 'A', 'B', 'T', 'G', 'Z', 'S', 'G', '1' };

enum seg_state { SEG_FREE, SEG_FILLING, SEG_READY, SEG_BUSY, SEG_DONE };

struct seg {
	/* the segment's tar bytes: pieces, each either copied into `in` or
	 * (memory files) pointing at the caller's data, never copied */
	struct tarball_piece *pc;
	size_t npc, pccap;
	size_t *pc_off; /* per piece: its offset in `in`; SIZE_MAX: outside */
	unsigned char *in;
	size_t in_len, cap;
	size_t len; /* the segment's length: the pieces' total */
	unsigned char *out; /* compressed here: SEG_HEAD bytes, then deflate */
	size_t out_len, out_cap;
	const unsigned char *got; /* or found in the cache: the same layout */
	size_t got_len;
	void *got_handle; /* for tarball_segcache.release */
	bool hit;
	uint32_t crc; /* of in */
	enum seg_state state;
	uint64_t seq;
};

struct gz {
	const struct tarball_opts *o;
	int fd;
	int level;
	const struct tarball_segcache *cache;
	char tag[128]; /* what a segment's compressed bytes depend on, besides its bytes */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* any slot changed state, or quit */
	struct seg *slot;
	size_t nslot;
	uint64_t fill;	/* seq of the slot being filled */
	uint64_t write; /* seq of the next slot to write */
	pthread_t *th;
	unsigned nth; /* worker threads; 0: the writer compresses */
	bool quit;
	const unsigned char *stable_lo, *stable_hi; /* tar data from a memory file */
	int failed; /* a deflate failure (a worker's) */
	int write_errno;
	uint32_t crc;
	uint64_t total;
	unsigned segments, cached;
	z_stream zs; /* the writer's own stream when nth is 0 */
	bool zs_ready;
};

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int seg_deflate(z_stream *zs, bool *ready, int level, struct seg *s)
{
	if (!*ready) {
		memset(zs, 0, sizeof(*zs));
		if (deflateInit2(zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -1;
		*ready = true;
	} else if (deflateReset(zs) != Z_OK) {
		return -1;
	}
	size_t need = SEG_HEAD + deflateBound(zs, (uLong)s->len) + 64;
	if (s->out_cap < need) {
		s->out = ab_xrealloc(s->out, need);
		s->out_cap = need;
	}
	s->out_len = SEG_HEAD;
	s->crc = (uint32_t)crc32(0, NULL, 0);
	/* piece by piece (deflate's output does not depend on how its input
	 * is split), then the sync flush */
	for (size_t i = 0; i <= s->npc; i++) {
		bool end = i == s->npc;
		zs->next_in = end ? Z_NULL : (Bytef *)s->pc[i].data;
		zs->avail_in = end ? 0 : (uInt)s->pc[i].size;
		if (!end)
			s->crc = (uint32_t)crc32(s->crc, s->pc[i].data, (uInt)s->pc[i].size);
		for (;;) {
			zs->next_out = s->out + s->out_len;
			zs->avail_out = (uInt)(s->out_cap - s->out_len);
			int rc = deflate(zs, end ? Z_SYNC_FLUSH : Z_NO_FLUSH);
			s->out_len = s->out_cap - zs->avail_out;
			if (rc == Z_STREAM_ERROR)
				return -1;
			if (zs->avail_in == 0 && zs->avail_out > 0)
				break;
			/* out of room (deflateBound makes this rare): more, and again */
			s->out_cap *= 2;
			s->out = ab_xrealloc(s->out, s->out_cap);
		}
	}
	memcpy(s->out, seg_magic, 8);
	put_le(s->out + 8, s->crc, 4);
	put_le(s->out + 12, s->len, 8);
	put_le(s->out + 20, crc32(0, s->out + SEG_HEAD, (uInt)(s->out_len - SEG_HEAD)), 4);
	return 0;
}

/* Give back what the cache lent for s. */
static void seg_drop(struct gz *g, struct seg *s)
{
	if (s->got_handle)
		g->cache->release(g->cache->ctx, s->got_handle);
	s->got = NULL;
	s->got_len = 0;
	s->got_handle = NULL;
}

/* A cached segment that is what its header says, for this input. */
static bool seg_valid(const struct seg *s)
{
	const unsigned char *p = s->got;
	size_t n = s->got_len;
	return n > SEG_HEAD && !memcmp(p, seg_magic, 8) && get_le(p + 12, 8) == s->len &&
	       get_le(p + 20, 4) == crc32(0, p + SEG_HEAD, (uInt)(n - SEG_HEAD));
}

/* Find segment s in the cache, or compress it (and keep it there). */
static int seg_process(struct gz *g, z_stream *zs, bool *ready, struct seg *s)
{
	char key[65];
	s->hit = false;
	if (g->cache) {
		g->cache->key(g->cache->ctx, g->tag, s->pc, s->npc, key);
		const void *d;
		if (g->cache->get(g->cache->ctx, key, &d, &s->got_len, &s->got_handle) > 0) {
			s->got = d;
			if (seg_valid(s)) {
				s->hit = true;
				s->crc = (uint32_t)get_le(s->got + 8, 4);
				return 0;
			}
			seg_drop(g, s);
		}
	}
	if (seg_deflate(zs, ready, g->level, s) < 0)
		return -1;
	if (g->cache)
		g->cache->put(g->cache->ctx, key, s->out, s->out_len);
	return 0;
}

static void *gz_worker(void *arg)
{
	struct gz *g = arg;
	z_stream zs;
	bool ready = false;
	pthread_mutex_lock(&g->mu);
	for (;;) {
		struct seg *s = NULL;
		for (size_t i = 0; i < g->nslot; i++) {
			struct seg *c = &g->slot[i];
			if (c->state == SEG_READY && (!s || c->seq < s->seq))
				s = c;
		}
		if (!s) {
			if (g->quit)
				break;
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		s->state = SEG_BUSY;
		pthread_mutex_unlock(&g->mu);
		int r = seg_process(g, &zs, &ready, s);
		pthread_mutex_lock(&g->mu);
		if (r < 0)
			g->failed = 1;
		s->state = SEG_DONE;
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
	if (g->o->sink)
		g->o->sink(g->o->sink_ctx, data, n);
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

/* Write the oldest segment once it is compressed. */
static int gz_write_next(struct gz *g)
{
	struct seg *s = &g->slot[g->write % g->nslot];
	pthread_mutex_lock(&g->mu);
	while (s->state != SEG_DONE && !g->failed)
		pthread_cond_wait(&g->cv, &g->mu);
	int failed = g->failed;
	pthread_mutex_unlock(&g->mu);
	if (failed)
		return -1;
	const unsigned char *data = s->hit ? s->got : s->out;
	size_t n = s->hit ? s->got_len : s->out_len;
	int r = gz_put(g, data + SEG_HEAD, n - SEG_HEAD);
	seg_drop(g, s);
	if (r < 0)
		return -1;
	g->crc = (uint32_t)crc32_combine(g->crc, s->crc, (z_off_t)s->len);
	g->total += s->len;
	g->segments++;
	g->cached += s->hit;
	pthread_mutex_lock(&g->mu);
	s->state = SEG_FREE;
	pthread_mutex_unlock(&g->mu);
	g->write++;
	return 0;
}

/* End the segment being filled (nothing when it is empty): hand it to the
 * workers (or process it here) and start the next one. */
static int gz_cut(struct gz *g)
{
	struct seg *s = &g->slot[g->fill % g->nslot];
	if (!s->len)
		return 0;
	/* `in` is complete: the copied pieces' addresses */
	for (size_t i = 0; i < s->npc; i++)
		if (s->pc_off[i] != SIZE_MAX)
			s->pc[i].data = s->in + s->pc_off[i];
	if (!g->nth) {
		if (seg_process(g, &g->zs, &g->zs_ready, s) < 0) {
			g->failed = 1;
			return -1;
		}
		s->state = SEG_DONE;
	} else {
		pthread_mutex_lock(&g->mu);
		s->state = SEG_READY;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
	}
	g->fill++;
	struct seg *nx = &g->slot[g->fill % g->nslot];
	for (;;) {
		pthread_mutex_lock(&g->mu);
		bool free_ = nx->state == SEG_FREE;
		pthread_mutex_unlock(&g->mu);
		if (free_)
			break;
		if (gz_write_next(g) < 0)
			return -1;
	}
	nx->len = nx->in_len = nx->npc = 0;
	nx->seq = g->fill;
	nx->state = SEG_FILLING;
	return 0;
}

/* The tar data written until the next call (NULL: none) is data[0..n),
 * which stays until tarball_write returns: gz keeps its address. */
static void gz_stable(struct gz *g, const void *data, size_t n)
{
	if (!g)
		return;
	g->stable_lo = data;
	g->stable_hi = data ? (const unsigned char *)data + n : NULL;
}

static void gz_set_error(struct archive *a, struct gz *g)
{
	archive_set_error(a, g->write_errno ? g->write_errno : -1, "%s",
			  g->write_errno ? strerror(g->write_errno) : "deflate failed");
}

static la_ssize_t gz_archive_write(struct archive *a, void *data, const void *buf, size_t n)
{
	struct gz *g = data;
	const unsigned char *p = buf;
	size_t left = n;
	/* a memory file's data, passed through by libarchive: kept by address */
	bool ext = g->stable_lo && p >= g->stable_lo && p + n <= g->stable_hi;
	while (left) {
		struct seg *s = &g->slot[g->fill % g->nslot];
		size_t k = SEG_HARD - s->len < left ? SEG_HARD - s->len : left;
		bool join = !ext && s->npc && s->pc_off[s->npc - 1] != SIZE_MAX;
		if (!join) {
			if (s->npc == s->pccap) {
				s->pccap = s->pccap ? 2 * s->pccap : 64;
				s->pc = ab_xrealloc(s->pc, s->pccap * sizeof(*s->pc));
				s->pc_off = ab_xrealloc(s->pc_off, s->pccap * sizeof(*s->pc_off));
			}
			s->pc[s->npc] = (struct tarball_piece){ ext ? p : NULL, 0 };
			s->pc_off[s->npc++] = ext ? SIZE_MAX : s->in_len;
		}
		if (!ext) {
			if (s->in_len + k > s->cap) {
				size_t cap = s->cap ? s->cap : (size_t)64 << 10;
				while (cap < s->in_len + k)
					cap *= 2;
				s->in = ab_xrealloc(s->in, cap);
				s->cap = cap;
			}
			memcpy(s->in + s->in_len, p, k);
			s->in_len += k;
		}
		s->pc[s->npc - 1].size += k;
		s->len += k;
		p += k;
		left -= k;
		if (s->len == SEG_HARD && gz_cut(g) < 0) {
			gz_set_error(a, g);
			return -1;
		}
	}
	return (la_ssize_t)n;
}

/* Start: the gzip header, the slots and `threads` workers (0 or 1: none,
 * the writer compresses). */
static int gz_open(struct gz *g, const struct tarball_opts *o, int fd, int level,
		   unsigned threads, const struct tarball_segcache *cache)
{
	static const unsigned char head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	memset(g, 0, sizeof(*g));
	g->o = o;
	g->fd = fd;
	g->level = level;
	g->cache = cache;
	/* everything but the segment's bytes that its compressed form depends on */
	snprintf(g->tag, sizeof(g->tag), "appbuild tar.gz segment 1: zlib %s, raw deflate -15 8 "
		 "default, level %d, sync flush", zlibVersion(), level);
	g->crc = (uint32_t)crc32(0, NULL, 0);
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->nth = threads > 1 ? (threads > 16 ? 16 : threads) : 0;
	/* a few segments per worker in flight, so the writer never waits for one */
	g->nslot = g->nth ? 3 * (size_t)g->nth : 1;
	g->slot = ab_xcalloc(g->nslot, sizeof(*g->slot));
	for (size_t i = 0; i < g->nslot; i++)
	g->slot[0].state = SEG_FILLING;
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
		free(g->slot[i].pc);
		free(g->slot[i].pc_off);
		free(g->slot[i].out);
		seg_drop(g, &g->slot[i]);
	}
	free(g->slot);
	g->slot = NULL;
	if (g->zs_ready)
		deflateEnd(&g->zs);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
}

/* The last segment, everything still in flight, the final block, the
 * trailer. */
static int gz_finish(struct gz *g)
{
	/* an empty fixed-Huffman block with BFINAL set */
	static const unsigned char last[2] = { 0x03, 0x00 };
	if (gz_cut(g) < 0)
		return -1;
	while (g->write < g->fill)
		if (gz_write_next(g) < 0)
			return -1;
	unsigned char tail[8];
	put_le(tail, g->crc, 4);
	put_le(tail + 4, g->total & 0xffffffffu, 4);
	return gz_put(g, last, sizeof(last)) < 0 ? -1 : gz_put(g, tail, sizeof(tail));
}

/* Does the entry w->name start a segment? (see above) */
static bool seg_boundary(const struct walk *w)
{
	const char *rel = w->name.buf + w->toplen;
	if (!*rel)
		return false; /* the top directory: the first entry */
	rel++;
	const char *last = strrchr(rel, '/');
	if (!last || !memchr(rel, '/', (size_t)(last - rel)))
		return true;
	const char *parent = last;
	while (parent > rel && parent[-1] != '/')
		parent--;
	if (last - parent == 13 && !memcmp(parent, "site-packages", 13))
		return true;
	return w->gz->slot[w->gz->fill % w->gz->nslot].len >= SEG_SOFT;
}

static int gz_err(struct walk *w, struct ab_err *err)
{
	errno = w->gz->write_errno;
	return w->gz->write_errno ? io_err(err, w->tmp, "write")
				  : ab_err_set(err, AB_E_BUILD, "cannot compress: deflate failed");
}

int tarball_write(const char *root, const char *out_path, const struct tarball_opts *o,
		  struct ab_err *err)
{
	struct walk w = { NULL, NULL, o, AB_BUF_INIT, AB_BUF_INIT, NULL, 0, NULL, NULL };
	struct ab_buf tmp = AB_BUF_INIT;
	struct ents es = { NULL, 0, 0, NULL };
	struct gz gz;
	int fd = -1, r = 0;

	memset(&gz, 0, sizeof(gz));
	if (o->stats)
		memset(o->stats, 0, sizeof(*o->stats));

	if (!o->top || !*o->top || strchr(o->top, '/') || !strcmp(o->top, ".") ||
	    !strcmp(o->top, ".."))
		return ab_err_set(err, AB_E_USAGE, "invalid top directory name '%s'",
				  o->top ? o->top : "");
	if (o->mtime < 0)
		return ab_err_set(err, AB_E_USAGE, "negative mtime");
	for (size_t i = 0; i < o->nmem; i++) {
		const char *p = o->mem[i].path;
		bool ok = *p && *p != '/';
		for (const char *c = p; ok && *c;) {
			size_t l = strcspn(c, "/");
			ok = l && !(l == 1 && c[0] == '.') && !(l == 2 && c[0] == '.' && c[1] == '.') &&
			     (c[l] != '/' || c[l + 1]);
			c += l + (c[l] == '/');
		}
		if (!ok)
			return ab_err_set(err, AB_E_USAGE, "invalid path '%s' for the archive", p);
	}
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
	if (ok && o->format == TARBALL_GZ) {
		/* the plain tar stream into gz, unblocked: every write reaches
		 * gz_archive_write as it is made, so gz knows where entries start */
		ok = archive_write_set_bytes_per_block(w.a, 0) == ARCHIVE_OK &&
		     archive_write_set_bytes_in_last_block(w.a, 1) == ARCHIVE_OK &&
		     gz_open(&gz, o, fd, o->level ? o->level : 6,
			     o->threads ? o->threads : online_cpus(), o->cache) == 0 &&
		     archive_write_open(w.a, &gz, NULL, gz_archive_write, NULL) == ARCHIVE_OK;
		w.gz = &gz;
	}
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
	w.toplen = w.name.len;
	w.tmp = tmp.buf;
	size_t rootlen = w.src.len;
	r = collect(&w, &es, err);
	for (size_t i = 0; r == 0 && i < es.n; i++) {
		const char *rel = es.v[i].rel;
		ab_buf_truncate(&w.src, rootlen);
		ab_buf_truncate(&w.name, w.toplen);
		if (*rel) {
			ab_buf_addf(&w.src, "/%s", rel);
			ab_buf_addf(&w.name, "/%s", rel);
		}
		r = add(&w, &es.v[i], err);
	}
	if (r == 0 && archive_write_close(w.a) != ARCHIVE_OK)
		r = ar_err(&w, err);
	if (r == 0 && o->format == TARBALL_GZ && gz_finish(&gz) < 0)
		r = gz_err(&w, err);
	if (r < 0)
		goto out;
	if (o->stats && o->format == TARBALL_GZ) {
		o->stats->segments = gz.segments;
		o->stats->cached = gz.cached;
		o->stats->tar_bytes = gz.total;
	}
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
	ents_release(&es);
	ab_buf_release(&w.src);
	ab_buf_release(&w.name);
	ab_buf_release(&tmp);
	return r;
}
