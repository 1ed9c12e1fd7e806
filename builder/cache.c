/* cache.c - content-addressed file cache and HTTP response cache. */
#include "builder/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
/* SHA256_Init() and co. are deprecated in OpenSSL 3, not gone (see below) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/mem.h"

/* sha256 */

/* The SHA256_* functions, not EVP: EVP's first digest sets up OpenSSL's
 * provider machinery (its config file, the default provider, a fetch by
 * name), some 9 M instructions and 3 ms: more than half of a small warm
 * `appbuild lock` (resolvelib-different-extras: 16 M in all), for the same
 * digest from the same code. */
void cache_sha256_init(struct cache_sha256 *h)
{
	h->ctx = ab_xmalloc(sizeof(*h->ctx));
	if (!SHA256_Init(h->ctx))
		abort();
}

void cache_sha256_update(struct cache_sha256 *h, const void *data, size_t n)
{
	if (n)
		SHA256_Update(h->ctx, data, n);
}

void cache_sha256_final(struct cache_sha256 *h, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned n = SHA256_DIGEST_LENGTH;
	SHA256_Final(md, h->ctx);
	/* not snprintf("%02x") per byte: that was most of a small hash's cost */
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < n && i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	SHA256_Init(h->ctx);
}

void cache_sha256_release(struct cache_sha256 *h)
{
	free(h->ctx);
	h->ctx = NULL;
}

void cache_sha256_hex(const void *data, size_t n, char hex[65])
{
	struct cache_sha256 h;
	cache_sha256_init(&h);
	cache_sha256_update(&h, data, n);
	cache_sha256_final(&h, hex);
	cache_sha256_release(&h);
}

int cache_sha256_file(const char *path, char hex[65], struct ab_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ab_err_set(err, AB_E_IO, "cannot open '%s': %s", path, strerror(errno));
	struct cache_sha256 h;
	cache_sha256_init(&h);
	char buf[1 << 16];
	ssize_t n;
	int r = 0;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = ab_err_set(err, AB_E_IO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		cache_sha256_update(&h, buf, (size_t)n);
	}
	cache_sha256_final(&h, hex);
	cache_sha256_release(&h);
	close(fd);
	return r;
}

bool cache_is_sha256(const char *hex)
{
	/* called for every file of every page read: a table, not six compares */
	static const unsigned char is_hex[256] = {
		['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
		['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
		['e'] = 1, ['f'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
		['F'] = 1,
	};
	size_t i = 0;
	while (i < 64 && is_hex[(unsigned char)hex[i]])
		i++;
	return i == 64 && !hex[64];
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'F')
			*s = (char)(*s - 'A' + 'a');
}

/* directories */

static int mkdirs(const char *path, struct ab_err *err)
{
	char *p = ab_xstrdup(path);
	int r = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			r = ab_err_set(err, AB_E_IO, "cannot create directory '%s': %s", p,
				       strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return r;
}

/* mkdir -p of the directory part of `path` */
static int mkparent(const char *path, struct ab_err *err)
{
	char *p = ab_xstrdup(path);
	char *slash = strrchr(p, '/');
	int r = 0;
	if (slash && slash != p) {
		*slash = '\0';
		/* usually one mkdir: only walk up when the grandparent is missing */
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			r = mkdirs(p, err);
	}
	free(p);
	return r;
}

int cache_default_dir(struct ab_buf *out, struct ab_err *err)
{
	const char *x = getenv("XDG_CACHE_HOME");
	/* XDG Base Directory spec: a relative value is invalid and ignored */
	if (x && x[0] == '/')
		return ab_buf_addf(out, "%s/appbuild", x), 0;
	const char *home = getenv("HOME");
	if (home && *home)
		return ab_buf_addf(out, "%s/.cache/appbuild", home), 0;
	return ab_err_set(err, AB_E_IO,
			  "no cache directory: set XDG_CACHE_HOME or HOME, or pass "
			  "--cache-dir");
}

int cache_open(struct cache *c, const char *dir, bool disabled, struct ab_err *err)
{
	struct ab_buf root = AB_BUF_INIT;
	int r = 0;
	c->disabled = disabled;
	if (disabled) {
		const char *t = getenv("TMPDIR");
		ab_buf_addf(&root, "%s/appbuild-nocache-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(root.buf)) {
			r = ab_err_set(err, AB_E_IO, "cannot create a temporary directory: %s",
				       strerror(errno));
			goto out;
		}
	} else if (dir) {
		if (dir[0] != '/') {
			char cwd[4096];
			if (!getcwd(cwd, sizeof(cwd))) {
				r = ab_err_set(err, AB_E_IO, "getcwd: %s", strerror(errno));
				goto out;
			}
			ab_buf_addf(&root, "%s/", cwd);
		}
		ab_buf_adds(&root, dir);
	} else {
		r = cache_default_dir(&root, err);
		if (r < 0)
			goto out;
	}
	while (root.len > 1 && root.buf[root.len - 1] == '/')
		ab_buf_truncate(&root, root.len - 1);
	static const char *const sub[] = { "files/sha256", "http", "tmp", "locks" };
	struct ab_buf d = AB_BUF_INIT;
	for (size_t i = 0; i < AB_ARRAY_SIZE(sub) && r == 0; i++) {
		ab_buf_reset(&d);
		ab_buf_addf(&d, "%s/%s", root.buf, sub[i]);
		r = mkdirs(d.buf, err);
	}
	ab_buf_release(&d);
	if (r < 0)
		goto out;
	c->root = ab_buf_detach(&root);
out:
	ab_buf_release(&root);
	return r;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? 0 : 0;
}

void cache_release(struct cache *c)
{
	if (c->root && c->disabled)
		nftw(c->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(c->root);
	c->root = NULL;
}

/* locks */

int cache_lock(const struct cache *c, const char *key, struct ab_err *err)
{
	char hex[65];
	struct ab_buf p = AB_BUF_INIT;
	cache_sha256_hex(key, strlen(key), hex);
	ab_buf_addf(&p, "%s/locks/%.2s/%s.lock", c->root, hex, hex + 2);
	int fd = -1;
	int r = mkparent(p.buf, err);
	if (r < 0)
		goto out;
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = ab_err_set(err, AB_E_IO, "cannot open lock '%s': %s", p.buf, strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			r = ab_err_set(err, AB_E_IO, "cannot lock '%s': %s", p.buf,
				       strerror(errno));
			close(fd);
			fd = -1;
			goto out;
		}
	}
out:
	ab_buf_release(&p);
	return r < 0 ? r : fd;
}

void cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* files */

void cache_file_path(const struct cache *c, const char *sha256, struct ab_buf *out)
{
	char hex[65];
	snprintf(hex, sizeof(hex), "%s", sha256);
	lower(hex);
	ab_buf_addf(out, "%s/files/sha256/%.2s/%s", c->root, hex, hex + 2);
}

int cache_file_lookup(const struct cache *c, const char *sha256, bool verify, struct ab_buf *out,
		      struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT;
	int r = 0;
	if (c->disabled || !cache_is_sha256(sha256))
		goto out;
	cache_file_path(c, sha256, &p);
	if (access(p.buf, R_OK) < 0)
		goto out;
	if (verify) {
		char hex[65], want[65];
		snprintf(want, sizeof(want), "%s", sha256);
		lower(want);
		if (cache_sha256_file(p.buf, hex, NULL) < 0 || strcmp(hex, want)) {
			/* re-check under the lock: another process may just have
			 * renamed a good copy over the bad one */
			int fd = cache_lock(c, want, err);
			if (fd < 0) {
				r = fd;
				goto out;
			}
			if (cache_sha256_file(p.buf, hex, NULL) < 0 || strcmp(hex, want))
				unlink(p.buf);
			else
				r = 1;
			cache_unlock(fd);
			if (r == 1)
				ab_buf_addstr(out, ab_buf_str(&p));
			goto out;
		}
	}
	ab_buf_addstr(out, ab_buf_str(&p));
	r = 1;
out:
	ab_buf_release(&p);
	return r;
}

int cache_writer_open(const struct cache *c, struct cache_writer *w, struct ab_err *err)
{
	struct ab_buf t = AB_BUF_INIT;
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	ab_buf_addf(&t, "%s/tmp/dl-XXXXXX", c->root);
	int fd = mkostemp(t.buf, O_CLOEXEC);
	if (fd < 0) {
		int r = ab_err_set(err, AB_E_IO, "cannot create '%s': %s", t.buf, strerror(errno));
		ab_buf_release(&t);
		return r;
	}
	w->cache = c;
	w->fd = fd;
	w->tmp = ab_buf_detach(&t);
	cache_sha256_init(&w->h);
	return 0;
}

int cache_writer_write(struct cache_writer *w, const void *data, size_t n, struct ab_err *err)
{
	const char *p = data;
	size_t left = n;
	while (left) {
		ssize_t k = write(w->fd, p, left);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return ab_err_set(err, AB_E_IO, "cannot write '%s': %s", w->tmp,
					  strerror(errno));
		}
		p += k;
		left -= (size_t)k;
	}
	cache_sha256_update(&w->h, data, n);
	w->size += n;
	return 0;
}

int cache_writer_restart(struct cache_writer *w, struct ab_err *err)
{
	char junk[65];
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return ab_err_set(err, AB_E_IO, "cannot truncate '%s': %s", w->tmp,
				  strerror(errno));
	cache_sha256_final(&w->h, junk); /* resets */
	w->size = 0;
	return 0;
}

void cache_writer_abort(struct cache_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp)
		unlink(w->tmp);
	free(w->tmp);
	w->tmp = NULL;
	cache_sha256_release(&w->h);
}

int cache_writer_commit(struct cache_writer *w, const char *expect, struct ab_buf *path,
			char hex[65], struct ab_err *err)
{
	char got[65];
	struct ab_buf dst = AB_BUF_INIT;
	int r = 0, lk = -1;
	cache_sha256_final(&w->h, got);
	if (expect) {
		char want[65];
		snprintf(want, sizeof(want), "%s", expect);
		lower(want);
		if (strcmp(want, got)) {
			r = ab_err_set(err, AB_E_HASH, "sha256 mismatch: expected %s, got %s", want,
				       got);
			goto out;
		}
	}
	/* no fsync: it stalls the download loop (ms per file), and an entry
	 * torn by a power loss is caught by the verification on read */
	if (close(w->fd) < 0) {
		w->fd = -1;
		r = ab_err_set(err, AB_E_IO, "cannot write '%s': %s", w->tmp, strerror(errno));
		goto out;
	}
	w->fd = -1;
	chmod(w->tmp, 0644);
	cache_file_path(w->cache, got, &dst);
	r = mkparent(dst.buf, err);
	if (r < 0)
		goto out;
	lk = cache_lock(w->cache, got, err);
	if (lk < 0) {
		r = lk;
		goto out;
	}
	if (rename(w->tmp, dst.buf) < 0) {
		r = ab_err_set(err, AB_E_IO, "cannot rename '%s' to '%s': %s", w->tmp, dst.buf,
			       strerror(errno));
		goto out;
	}
	if (path)
		ab_buf_addstr(path, ab_buf_str(&dst));
	if (hex)
		memcpy(hex, got, 65);
out:
	cache_unlock(lk);
	ab_buf_release(&dst);
	cache_writer_abort(w);
	return r;
}

int cache_file_put(const struct cache *c, const void *data, size_t n, const char *expect,
		   struct ab_buf *path, char hex[65], struct ab_err *err)
{
	struct cache_writer w;
	int r = cache_writer_open(c, &w, err);
	if (r < 0)
		return r;
	r = cache_writer_write(&w, data, n, err);
	if (r < 0) {
		cache_writer_abort(&w);
		return r;
	}
	return cache_writer_commit(&w, expect, path, hex, err);
}

/* pages */

void cache_meta_release(struct cache_meta *m)
{
	free(m->url);
	free(m->etag);
	free(m->last_modified);
	free(m->content_type);
	free(m->cache_control);
	memset(m, 0, sizeof(*m));
}

/* Find a Cache-Control directive (case-insensitive, RFC 9111 5.2);
 * returns a pointer just past its name, or NULL. */
static const char *cc_directive(const char *cc, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = cc; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!strncasecmp(p, name, n) &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == '=' || p[n] == ' ' || p[n] == '\t'))
			return p + n;
		p = strchr(p, ',');
	}
	return NULL;
}

bool cache_meta_no_store(const struct cache_meta *m)
{
	return m->cache_control && cc_directive(m->cache_control, "no-store");
}

bool cache_meta_fresh(const struct cache_meta *m, int64_t now)
{
	if (!m->cache_control || cc_directive(m->cache_control, "no-cache") ||
	    cc_directive(m->cache_control, "no-store"))
		return false;
	const char *ma = cc_directive(m->cache_control, "max-age");
	if (!ma || *ma != '=')
		return false;
	ma++;
	if (*ma == '"')
		ma++;
	char *end;
	long long age = strtoll(ma, &end, 10);
	if (end == ma || age < 0)
		return false;
	return now >= m->stored_at && now - m->stored_at < age;
}

void cache_page_path(const struct cache *c, const char *url, struct ab_buf *out)
{
	char hex[65];
	cache_sha256_hex(url, strlen(url), hex);
	ab_buf_addf(out, "%s/http/%.2s/%s", c->root, hex, hex + 2);
}

static char *jdup(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? ab_xstrdup(json_string_value(v)) : NULL;
}

static int read_all(const char *path, struct ab_buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char tmp[1 << 16];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		ab_buf_add(b, tmp, (size_t)n);
	}
	close(fd);
	return 0;
}

int cache_file_read(const struct cache *c, const char *sha256, struct ab_buf *out,
		    struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT;
	size_t start = out->len;
	int r = 0;
	if (c->disabled || !cache_is_sha256(sha256))
		goto out;
	cache_file_path(c, sha256, &p);
	if (read_all(p.buf, out) < 0) {
		ab_buf_truncate(out, start);
		goto out;
	}
	char hex[65], want[65];
	snprintf(want, sizeof(want), "%s", sha256);
	lower(want);
	cache_sha256_hex(out->buf + start, out->len - start, hex);
	if (!strcmp(hex, want)) {
		r = 1;
		goto out;
	}
	/* corrupt: lookup re-checks under the lock and deletes it, unless
	 * another process has just renamed a good copy over it */
	ab_buf_truncate(out, start);
	ab_buf_reset(&p);
	r = cache_file_lookup(c, sha256, true, &p, err);
	if (r == 1 && read_all(p.buf, out) < 0) {
		ab_buf_truncate(out, start);
		r = 0;
	}
out:
	ab_buf_release(&p);
	return r;
}

/* Parse a page entry: a JSON header line, then the body. false: corrupt. */
static bool parse_page(struct ab_buf *raw, const char *url, struct cache_meta *meta,
		       struct ab_buf *body)
{
	char *nl = memchr(raw->buf, '\n', raw->len);
	if (!nl)
		return false;
	json_t *h = json_loadb(raw->buf, (size_t)(nl - raw->buf), 0, NULL);
	bool ok = false;
	if (!h)
		return false;
	const char *hu = json_string_value(json_object_get(h, "url"));
	const char *hs = json_string_value(json_object_get(h, "sha256"));
	json_t *size = json_object_get(h, "size");
	size_t off = (size_t)(nl - raw->buf) + 1;
	size_t n = raw->len - off;
	char hex[65];
	if (!hu || strcmp(hu, url) || !hs || !json_is_integer(size) ||
	    json_integer_value(size) != (json_int_t)n)
		goto out;
	cache_sha256_hex(raw->buf + off, n, hex);
	if (strcmp(hex, hs))
		goto out;
	meta->url = ab_xstrdup(url);
	meta->etag = jdup(h, "etag");
	meta->last_modified = jdup(h, "last_modified");
	meta->content_type = jdup(h, "content_type");
	meta->cache_control = jdup(h, "cache_control");
	meta->stored_at = json_integer_value(json_object_get(h, "stored_at"));
	ab_buf_add(body, raw->buf + off, n);
	ok = true;
out:
	json_decref(h);
	return ok;
}

int cache_page_get(const struct cache *c, const char *url, struct cache_meta *meta,
		   struct ab_buf *body, struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT, raw = AB_BUF_INIT;
	int r = 0;
	if (c->disabled)
		goto out;
	cache_page_path(c, url, &p);
	if (read_all(p.buf, &raw) < 0)
		goto out;
	if (parse_page(&raw, url, meta, body)) {
		r = 1;
		goto out;
	}
	/* corrupt or partial: delete it under the lock unless a writer has
	 * replaced it with a good one meanwhile */
	int fd = cache_lock(c, url, err);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	ab_buf_reset(&raw);
	if (read_all(p.buf, &raw) == 0 && parse_page(&raw, url, meta, body))
		r = 1;
	else
		unlink(p.buf);
	cache_unlock(fd);
out:
	ab_buf_release(&p);
	ab_buf_release(&raw);
	return r;
}

int cache_page_put(const struct cache *c, const struct cache_meta *meta, const void *body, size_t n,
		   struct ab_err *err)
{
	if (cache_meta_no_store(meta) || c->disabled)
		return 0;
	char hex[65];
	cache_sha256_hex(body, n, hex);
	json_t *h = json_object();
	json_object_set_new(h, "url", json_string(meta->url));
	if (meta->etag)
		json_object_set_new(h, "etag", json_string(meta->etag));
	if (meta->last_modified)
		json_object_set_new(h, "last_modified", json_string(meta->last_modified));
	if (meta->content_type)
		json_object_set_new(h, "content_type", json_string(meta->content_type));
	if (meta->cache_control)
		json_object_set_new(h, "cache_control", json_string(meta->cache_control));
	json_object_set_new(h, "stored_at", json_integer(meta->stored_at));
	json_object_set_new(h, "size", json_integer((json_int_t)n));
	json_object_set_new(h, "sha256", json_string(hex));
	char *line = json_dumps(h, JSON_COMPACT);
	json_decref(h);
	struct ab_buf dst = AB_BUF_INIT, tmp = AB_BUF_INIT;
	int r = 0, fd = -1, lk = -1;
	if (!line) {
		/* a header that is not valid UTF-8 (a hostile ETag): not cached */
		goto out;
	}
	cache_page_path(c, meta->url, &dst);
	r = mkparent(dst.buf, err);
	if (r < 0)
		goto out;
	ab_buf_addf(&tmp, "%s/tmp/page-XXXXXX", c->root);
	fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		r = ab_err_set(err, AB_E_IO, "cannot create '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	struct ab_buf all = AB_BUF_INIT;
	ab_buf_adds(&all, line);
	ab_buf_addc(&all, '\n');
	ab_buf_add(&all, body, n);
	size_t off = 0;
	while (off < all.len) {
		ssize_t k = write(fd, all.buf + off, all.len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = ab_err_set(err, AB_E_IO, "cannot write '%s': %s", tmp.buf,
				       strerror(errno));
			break;
		}
		off += (size_t)k;
	}
	ab_buf_release(&all);
	if (r == 0 && (fchmod(fd, 0644) < 0 || close(fd) < 0))
		r = ab_err_set(err, AB_E_IO, "cannot write '%s': %s", tmp.buf, strerror(errno));
	else if (r < 0)
		close(fd);
	fd = -1;
	if (r < 0)
		goto out;
	lk = cache_lock(c, meta->url, err);
	if (lk < 0) {
		r = lk;
		goto out;
	}
	if (rename(tmp.buf, dst.buf) < 0)
		r = ab_err_set(err, AB_E_IO, "cannot rename '%s': %s", tmp.buf, strerror(errno));
out:
	if (r < 0 && tmp.len)
		unlink(tmp.buf);
	cache_unlock(lk);
	free(line);
	ab_buf_release(&dst);
	ab_buf_release(&tmp);
	return r;
}

/* maintenance */

struct walk {
	const struct cache *c;
	bool fix;
	struct cache_stats *st;
	cache_bad_fn *bad;
	void *data;
};

static void report(struct walk *w, const char *path, const char *why)
{
	w->st->bad++;
	if (w->bad)
		w->bad(w->data, path, why);
}

/* files/sha256/ab/cdef...: the content must hash to ab + cdef... */
static int verify_file(struct walk *w, const char *path, const char *name)
{
	struct stat st;
	char hex[65], got[65];
	if (stat(path, &st) < 0)
		return 0; /* removed meanwhile */
	w->st->files++;
	w->st->bytes += (uint64_t)st.st_size;
	if (!cache_is_sha256(name)) {
		report(w, path, "not a cache entry");
		if (w->fix)
			unlink(path);
		return 0;
	}
	snprintf(hex, sizeof(hex), "%s", name);
	lower(hex);
	if (cache_sha256_file(path, got, NULL) == 0 && !strcmp(got, hex))
		return 0;
	struct ab_buf why = AB_BUF_INIT;
	ab_buf_addf(&why, "its sha256 is %s", got);
	report(w, path, why.buf);
	ab_buf_release(&why);
	if (w->fix) {
		struct ab_buf p = AB_BUF_INIT;
		/* the lookup deletes a corrupt entry under its lock */
		cache_file_lookup(w->c, hex, true, &p, NULL);
		ab_buf_release(&p);
	}
	return 0;
}

/* http/ab/cdef...: the header names a URL whose sha256 is ab + cdef...,
 * and the body matches the header */
static int verify_page(struct walk *w, const char *path, const char *name)
{
	struct ab_buf raw = AB_BUF_INIT, body = AB_BUF_INIT;
	struct cache_meta m = CACHE_META_INIT;
	char *url = NULL;
	if (read_all(path, &raw) < 0)
		goto out; /* removed meanwhile */
	w->st->pages++;
	w->st->bytes += raw.len;
	char *nl = memchr(raw.buf, '\n', raw.len);
	json_t *h = nl ? json_loadb(raw.buf, (size_t)(nl - raw.buf), 0, NULL) : NULL;
	const char *u = json_string_value(json_object_get(h, "url"));
	url = u ? ab_xstrdup(u) : NULL;
	json_decref(h);
	char hex[65];
	if (url)
		cache_sha256_hex(url, strlen(url), hex);
	if (!url || !cache_is_sha256(name) || strcmp(hex, name)) {
		report(w, path, url ? "stored under the wrong name" : "not a cache entry");
		if (w->fix)
			unlink(path);
		goto out;
	}
	if (parse_page(&raw, url, &m, &body))
		goto out;
	report(w, path, "its body does not match its header");
	if (w->fix) {
		/* cache_page_get deletes it under the URL's lock unless a good
		 * copy replaced it meanwhile */
		cache_meta_release(&m);
		ab_buf_reset(&body);
		cache_page_get(w->c, url, &m, &body, NULL);
	}
out:
	free(url);
	cache_meta_release(&m);
	ab_buf_release(&raw);
	ab_buf_release(&body);
	return 0;
}

typedef int entry_fn(struct walk *w, const char *path, const char *name);

/* Call `fn` for every file in dir/xx/ (the two-level fan-out); `name` is
 * xx + the file's name. */
static int walk_fanout(struct walk *w, const char *dir, entry_fn *fn, struct ab_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0
				       : ab_err_set(err, AB_E_IO, "cannot read '%s': %s", dir,
						    strerror(errno));
	struct dirent *e;
	struct ab_buf sub = AB_BUF_INIT, path = AB_BUF_INIT, name = AB_BUF_INIT;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ab_buf_reset(&sub);
		ab_buf_addf(&sub, "%s/%s", dir, e->d_name);
		DIR *d2 = opendir(sub.buf);
		if (!d2) {
			if (errno == ENOTDIR) {
				/* a stray file at the top: not an entry */
				struct stat st;
				if (stat(sub.buf, &st) == 0) {
					report(w, sub.buf, "not a cache entry");
					if (w->fix)
						unlink(sub.buf);
				}
			}
			continue;
		}
		struct dirent *f;
		while (r == 0 && (f = readdir(d2))) {
			if (f->d_name[0] == '.')
				continue;
			ab_buf_reset(&path);
			ab_buf_reset(&name);
			ab_buf_addf(&path, "%s/%s", sub.buf, f->d_name);
			ab_buf_addf(&name, "%s%s", e->d_name, f->d_name);
			r = fn(w, path.buf, name.buf);
		}
		closedir(d2);
	}
	closedir(d);
	ab_buf_release(&sub);
	ab_buf_release(&path);
	ab_buf_release(&name);
	return r;
}

static int count_tmp(struct walk *w, struct ab_err *err)
{
	struct ab_buf dir = AB_BUF_INIT;
	ab_buf_addf(&dir, "%s/tmp", w->c->root);
	DIR *d = opendir(dir.buf);
	ab_buf_release(&dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			w->st->tmp++;
	closedir(d);
	return 0;
}

int cache_verify(const struct cache *c, bool fix, struct cache_stats *st, cache_bad_fn *bad,
		 void *data, struct ab_err *err)
{
	struct walk w = { c, fix, st, bad, data };
	struct ab_buf dir = AB_BUF_INIT;
	memset(st, 0, sizeof(*st));
	ab_buf_addf(&dir, "%s/files/sha256", c->root);
	int r = walk_fanout(&w, dir.buf, verify_file, err);
	if (r == 0) {
		ab_buf_reset(&dir);
		ab_buf_addf(&dir, "%s/http", c->root);
		r = walk_fanout(&w, dir.buf, verify_page, err);
	}
	if (r == 0)
		r = count_tmp(&w, err);
	ab_buf_release(&dir);
	return r;
}

enum kind { K_FILE, K_PAGE, K_TMP, K_LOCK };

/* rm -r the contents of `dir` (not `dir` itself), counting into `st` */
static int rm_contents(const char *dir, enum kind k, struct cache_stats *st, struct ab_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0
				       : ab_err_set(err, AB_E_IO, "cannot read '%s': %s", dir,
						    strerror(errno));
	struct ab_buf p = AB_BUF_INIT;
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/%s", dir, e->d_name);
		struct stat sb;
		if (lstat(p.buf, &sb) < 0)
			continue; /* removed meanwhile */
		if (S_ISDIR(sb.st_mode)) {
			r = rm_contents(p.buf, k, st, err);
			/* another process may have put a file in it meanwhile */
			if (r == 0 && rmdir(p.buf) < 0 && errno != ENOENT && errno != ENOTEMPTY)
				r = ab_err_set(err, AB_E_IO, "cannot remove '%s': %s", p.buf,
					       strerror(errno));
			continue;
		}
		if (unlink(p.buf) < 0) {
			if (errno != ENOENT)
				r = ab_err_set(err, AB_E_IO, "cannot remove '%s': %s", p.buf,
					       strerror(errno));
			continue;
		}
		st->files += k == K_FILE;
		st->pages += k == K_PAGE;
		st->tmp += k == K_TMP;
		if (k != K_LOCK)
			st->bytes += (uint64_t)sb.st_size;
	}
	closedir(d);
	ab_buf_release(&p);
	return r;
}

int cache_clean(const struct cache *c, struct cache_stats *st, struct ab_err *err)
{
	static const char *const sub[] = { "files/sha256", "http", "tmp", "locks" };
	static const enum kind kinds[] = { K_FILE, K_PAGE, K_TMP, K_LOCK };
	struct cache_stats dummy;
	struct ab_buf d = AB_BUF_INIT;
	int r = 0;
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < AB_ARRAY_SIZE(sub) && r == 0; i++) {
		ab_buf_reset(&d);
		ab_buf_addf(&d, "%s/%s", c->root, sub[i]);
		r = rm_contents(d.buf, kinds[i], st, err);
	}
	ab_buf_release(&d);
	return r;
}

/* The whole file at path into b (reset first), sized by fstat: one
 * allocation and one copy, where read_all() grows as it reads. */
static int read_sized(const char *path, struct ab_buf *b)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ab_buf_reset(b);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < 0 || ab_buf_grow(b, (size_t)st.st_size) < 0) {
		close(fd);
		return -1;
	}
	size_t want = (size_t)st.st_size;
	while (b->len < want) {
		ssize_t n = read(fd, b->buf + b->len, want - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* shorter than fstat said: the size check fails */
		b->len += (size_t)n;
	}
	close(fd);
	b->buf[b->len] = '\0';
	return 0;
}

/* parse_page() without the copy: the body moved to the front of raw. */
static bool page_body(struct ab_buf *raw, const char *url, bool check_body)
{
	char *nl = memchr(raw->buf, '\n', raw->len);
	if (!nl)
		return false;
	json_t *h = json_loadb(raw->buf, (size_t)(nl - raw->buf), 0, NULL);
	if (!h)
		return false;
	const char *hu = json_string_value(json_object_get(h, "url"));
	const char *hs = json_string_value(json_object_get(h, "sha256"));
	json_t *size = json_object_get(h, "size");
	size_t off = (size_t)(nl - raw->buf) + 1, n = raw->len - off;
	char hex[65];
	bool ok = hu && !strcmp(hu, url) && hs && json_is_integer(size) &&
		  json_integer_value(size) == (json_int_t)n;
	if (ok && check_body) {
		cache_sha256_hex(raw->buf + off, n, hex);
		ok = !strcmp(hex, hs);
	}
	json_decref(h);
	if (ok) {
		memmove(raw->buf, raw->buf + off, n);
		ab_buf_truncate(raw, n);
	}
	return ok;
}

int cache_page_get_body(const struct cache *c, const char *url, bool check_body,
			struct ab_buf *body, struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT;
	int r = 0;
	ab_buf_reset(body);
	if (c->disabled)
		goto out;
	cache_page_path(c, url, &p);
	if (read_sized(p.buf, body) < 0)
		goto out;
	if (page_body(body, url, check_body)) {
		r = 1;
		goto out;
	}
	/* corrupt or partial: delete it under the lock unless a writer has
	 * replaced it with a good one meanwhile (as cache_page_get) */
	int fd = cache_lock(c, url, err);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	if (read_sized(p.buf, body) == 0 && page_body(body, url, check_body))
		r = 1;
	else
		unlink(p.buf);
	cache_unlock(fd);
out:
	if (r <= 0)
		ab_buf_reset(body);
	ab_buf_release(&p);
	return r;
}

/* The page file mapped, its header checked as page_body() does: 1; 0
 * when it is not what it should be; -1 when there is none. */
static int map_page(const char *path, const char *url, bool check_body, struct cache_map *m)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	void *a = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		a = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (a == MAP_FAILED)
		return 0;
	m->addr = a;
	m->len = (size_t)st.st_size;
	const char *raw = a, *nl = memchr(raw, '\n', m->len);
	json_t *h = nl ? json_loadb(raw, (size_t)(nl - raw), 0, NULL) : NULL;
	bool ok = false;
	if (h) {
		const char *hu = json_string_value(json_object_get(h, "url"));
		const char *hs = json_string_value(json_object_get(h, "sha256"));
		json_t *size = json_object_get(h, "size");
		size_t off = (size_t)(nl - raw) + 1, n = m->len - off;
		char hex[65];
		ok = hu && !strcmp(hu, url) && hs && json_is_integer(size) &&
		     json_integer_value(size) == (json_int_t)n;
		if (ok && check_body) {
			cache_sha256_hex(raw + off, n, hex);
			ok = !strcmp(hex, hs);
		}
		m->body = raw + off;
		m->n = n;
		json_decref(h);
	}
	if (!ok)
		cache_unmap(m);
	return ok;
}

int cache_page_map(const struct cache *c, const char *url, bool check_body, struct cache_map *m,
		   struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT;
	int r = 0;
	*m = (struct cache_map)CACHE_MAP_INIT;
	if (c->disabled)
		goto out;
	cache_page_path(c, url, &p);
	int got = map_page(p.buf, url, check_body, m);
	if (got != 0) {
		r = got > 0;
		goto out;
	}
	/* corrupt or partial: as cache_page_get_body() */
	int fd = cache_lock(c, url, err);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	if (map_page(p.buf, url, check_body, m) > 0)
		r = 1;
	else
		unlink(p.buf);
	cache_unlock(fd);
out:
	ab_buf_release(&p);
	return r;
}

void cache_unmap(struct cache_map *m)
{
	if (m->addr)
		munmap(m->addr, m->len);
	*m = (struct cache_map)CACHE_MAP_INIT;
}
