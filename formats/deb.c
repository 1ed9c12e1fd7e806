/* deb.c - .deb writer (deb(5), deb-control(5)), matching dpkg-deb's layout.
 *
 * Why it looks as it does:
 * - BSD ar members without a trailing '/' and names <= 15 characters, the
 *   form dpkg-deb writes (dpkg reads it and also the GNU form).
 * - Tar member names start with "./", directories end with "/", the root
 *   "./" comes first, then a pre-order walk with sorted directories and
 *   the symlinks last: what `dpkg-deb --build` feeds GNU tar. With gzip
 *   the whole .deb equals dpkg-deb's (SOURCE_DATE_EPOCH, --root-owner-group);
 *   with xz and zstd the tars inside do (the encoders' settings differ).
 * - The data tar is written to an unlinked temporary file first: the ar
 *   header needs the member size before its bytes, and a package can be
 *   larger than we want to hold in memory (issue #9: peak RSS <= 64 MB).
 * - Installed-Size as dpkg-gencontrol computes it: ceil(size / 1024) per
 *   regular file or symlink, 1 per other entry. */
#include "formats/deb.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/fs.h"
#include "formats/core/mem.h"
#include "formats/lazy/lazy.h"

/* ---- control file ---- */

static bool valid_package_name(const char *s)
{
	/* deb-control(5): at least two characters, lowercase letters, digits,
	 * '+', '-', '.', starting with an alphanumeric. */
	if (strlen(s) < 2)
		return false;
	for (const char *p = s; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
		if (!alnum && (p == s || !strchr("+-.", *p)))
			return false;
	}
	return true;
}

static bool valid_field_name(const char *s)
{
	/* deb822: printable US-ASCII except ':' and space, not starting with
	 * '#' or '-'. */
	if (!*s || *s == '#' || *s == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == ':')
			return false;
	return true;
}

static int add_field(struct ab_buf *b, const char *name, const char *value, bool required,
		     struct ab_err *err)
{
	if (!value || !*value) {
		if (required)
			return ab_err_set(err, AB_E_INVALID, "control field '%s' is required", name);
		return 0;
	}
	if (strpbrk(value, "\n\r"))
		return ab_err_set(err, AB_E_INVALID, "control field '%s' must be a single line", name);
	if (value[0] == ' ' || value[0] == '\t' || value[strlen(value) - 1] == ' ' ||
	    value[strlen(value) - 1] == '\t')
		return ab_err_set(err, AB_E_INVALID,
				  "control field '%s' has leading or trailing whitespace", name);
	ab_buf_addf(b, "%s: %s\n", name, value);
	return 0;
}

/* Description: the synopsis on the field line, each further line indented
 * by one space, an empty line as " ." (deb-control(5)); trailing
 * whitespace is dropped (lintian: description-contains-trailing-whitespace
 * would otherwise follow). */
static int add_description(struct ab_buf *b, const char *d, struct ab_err *err)
{
	const char *nl = d ? strchr(d, '\n') : NULL;
	size_t n = d ? (nl ? (size_t)(nl - d) : strlen(d)) : 0;
	while (n && (d[n - 1] == ' ' || d[n - 1] == '\t' || d[n - 1] == '\r'))
		n--;
	if (!n)
		return ab_err_set(err, AB_E_INVALID, "control field 'Description' is required");
	ab_buf_addf(b, "Description: %.*s\n", (int)n, d);
	while (nl) {
		const char *line = nl + 1;
		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) : strlen(line);
		if (!nl && !n)
			break; /* a final newline ends the text */
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
			n--;
		if (!n)
			ab_buf_adds(b, " .\n");
		else
			ab_buf_addf(b, " %.*s\n", (int)n, line);
	}
	return 0;
}

int deb_control_render(const struct deb_control *c, uint64_t installed_size_kib,
		       struct ab_buf *out, struct ab_err *err)
{
	struct ab_buf b = AB_BUF_INIT;
	char size[32];
	int r;

	if (c->package && *c->package && !valid_package_name(c->package)) {
		r = ab_err_set(err, AB_E_INVALID,
			       "invalid package name '%s' (lowercase letters, digits, '+', '-', '.')",
			       c->package);
		goto out;
	}
	snprintf(size, sizeof(size), "%llu", (unsigned long long)installed_size_kib);
	/* dpkg-gencontrol's field order. */
	const struct {
		const char *name, *value;
		bool required;
	} fields[] = {
		{ "Package", c->package, true },
		{ "Version", c->version, true },
		{ "Architecture", c->architecture, true },
		{ "Maintainer", c->maintainer, true },
		{ "Installed-Size", size, true },
		{ "Pre-Depends", c->pre_depends, false },
		{ "Depends", c->depends, false },
		{ "Recommends", c->recommends, false },
		{ "Suggests", c->suggests, false },
		{ "Breaks", c->breaks, false },
		{ "Conflicts", c->conflicts, false },
		{ "Provides", c->provides, false },
		{ "Replaces", c->replaces, false },
		{ "Section", c->section, false },
		{ "Priority", c->priority, false },
		{ "Homepage", c->homepage, false },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(fields); i++) {
		r = add_field(&b, fields[i].name, fields[i].value, fields[i].required, err);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < c->nextra; i++) {
		if (!valid_field_name(c->extra[i].name)) {
			r = ab_err_set(err, AB_E_INVALID, "invalid control field name '%s'",
				       c->extra[i].name);
			goto out;
		}
		r = add_field(&b, c->extra[i].name, c->extra[i].value, false, err);
		if (r < 0)
			goto out;
	}
	r = add_description(&b, c->description, err);
	if (r < 0)
		goto out;
	ab_buf_add(out, b.buf, b.len);
out:
	ab_buf_release(&b);
	return r;
}

/* ---- the tree ---- */

struct node {
	char *path; /* relative to the root, no leading "./" */
	mode_t type;
	mode_t perm;
	uint64_t size;
	char *link; /* symlink target */
	bool conffile;
};

struct tree {
	struct node *n;
	size_t len, cap;
	struct node *links; /* symlinks, in walk order; appended after the rest */
	size_t nlinks, links_cap;
	uint64_t installed_kib;
	struct ab_err *err; /* the walk's */
};

static void tree_release(struct tree *t)
{
	for (size_t i = 0; i < t->len; i++) {
		free(t->n[i].path);
		free(t->n[i].link);
	}
	free(t->n);
}

/* ab_io_fail's error, also located at the file (the walk's: AB_WALK_LOCATE) */
static int io_err(struct ab_err *err, const char *path, const char *what)
{
	int r = ab_io_fail(err, path, what);
	ab_err_locate(err, path, 0, 0);
	return r;
}

/* dpkg-deb's order (src/deb/build.c): a pre-order walk with each
 * directory's entries sorted by name (ab_walk's), symlinks held back to the
 * end so that they never precede their targets. */
static int visit(const struct ab_walk_entry *e, void *ctx)
{
	struct tree *t = ctx;
	const struct stat *st = e->st;
	struct node n = { NULL, st->st_mode & S_IFMT, 0, 0, NULL, false };
	if (S_ISDIR(st->st_mode)) {
		n.perm = 0755;
		t->installed_kib += 1;
	} else if (S_ISREG(st->st_mode)) {
		/* lintian non-standard-file-perm: executable by all or none */
		n.perm = (st->st_mode & 0111) ? 0755 : 0644;
		n.size = (uint64_t)st->st_size;
		t->installed_kib += (n.size + 1023) / 1024;
	} else if (S_ISLNK(st->st_mode)) {
		size_t cap = (size_t)st->st_size + 1;
		char *buf = ab_xmalloc(cap);
		ssize_t len = readlink(e->path, buf, cap);
		if (len < 0 || (size_t)len >= cap) {
			free(buf);
			if (len < 0)
				return io_err(t->err, e->path, "read link");
			return ab_err_set(t->err, AB_E_IO, "symlink '%s' changed while reading",
					  e->path);
		}
		buf[len] = '\0';
		n.link = buf;
		n.perm = 0777;
		t->installed_kib += ((uint64_t)len + 1023) / 1024;
	} else {
		return ab_err_set(t->err, AB_E_UNSUPPORTED,
				  "'%s' is not a regular file, directory or symlink: a package "
				  "cannot hold it",
				  e->path);
	}
	n.path = ab_xstrdup(e->rel + 1);
	if (n.link) {
		AB_GROW(t->links, t->links_cap, t->nlinks + 1);
		t->links[t->nlinks++] = n;
	} else {
		AB_GROW(t->n, t->cap, t->len + 1);
		t->n[t->len++] = n;
	}
	return 0;
}

static int walk_tree(struct tree *t, const char *root, struct ab_err *err)
{
	t->err = err;
	int r = ab_walk(root, AB_WALK_LOCATE, visit, t, err);
	/* the symlinks go last, and the tree owns them through t->n */
	if (t->nlinks) {
		AB_GROW(t->n, t->cap, t->len + t->nlinks);
		memcpy(t->n + t->len, t->links, t->nlinks * sizeof(*t->links));
		t->len += t->nlinks;
	}
	free(t->links);
	t->links = NULL;
	t->nlinks = 0;
	return r;
}

/* ---- compressed output ---- */

/* Where compressed bytes go: a memory buffer (the control tar) or a file. */
struct sink {
	struct ab_buf *buf;
	int fd;
};

static la_ssize_t sink_write(struct archive *a, void *data, const void *p, size_t n)
{
	struct sink *s = data;
	if (s->buf) {
		ab_buf_add(s->buf, p, n);
		return (la_ssize_t)n;
	}
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(s->fd, (const char *)p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			archive_set_error(a, errno, "write: %s", strerror(errno));
			return -1;
		}
		done += (size_t)w;
	}
	return (la_ssize_t)n;
}

const char *deb_compress_ext(enum deb_compress c)
{
	switch (c) {
	case DEB_XZ:
		return ".xz";
	case DEB_GZIP:
		return ".gz";
	case DEB_ZSTD:
	default:
		return ".zst";
	}
}

static int ar_err(struct archive *a, const char *what, struct ab_err *err)
{
	return ab_err_set(err, AB_E_BUILD, "%s: %s", what,
			  a && archive_error_string(a) ? archive_error_string(a) : "libarchive error");
}

/* ---- GNU tar ----
 *
 * Written here rather than with libarchive's tar writer so that the
 * uncompressed members are byte for byte what dpkg-deb produces through
 * GNU tar (`--format=gnu`): libarchive writes ././@LongLink headers with
 * mode 0 and group "wheel" where GNU tar writes 0644 and "root", and pads
 * only its compressed output, where GNU tar pads the tar to a 10240-byte
 * record. libarchive (format "raw") only compresses. */

#define TAR_BLOCK 512
#define TAR_RECORD 10240

struct tarw {
	struct archive *z;
	uint64_t written; /* uncompressed bytes */
};

static int tarw_open(struct tarw *w, struct sink *sink, enum deb_compress c, int level,
		     struct ab_err *err)
{
	struct archive_entry *e = archive_entry_new();
	char opt[64];
	int r;

	w->written = 0;
	w->z = archive_write_new();
	if (!w->z || !e) {
		archive_entry_free(e);
		return ab_err_set(err, AB_E_BUILD, "%s",
				  lazy_error(LAZY_ARCHIVE) ? lazy_error(LAZY_ARCHIVE)
							   : "cannot create a compressor");
	}
	r = archive_write_set_format_raw(w->z);
	switch (c) {
	case DEB_XZ:
		if (r == ARCHIVE_OK)
			r = archive_write_add_filter_xz(w->z);
		snprintf(opt, sizeof(opt), "xz:compression-level=%d", level ? level : 6);
		break;
	case DEB_GZIP:
		if (r == ARCHIVE_OK)
			r = archive_write_add_filter_gzip(w->z);
		/* no timestamp in the gzip header: reproducible (and dpkg-deb's) */
		snprintf(opt, sizeof(opt), "gzip:compression-level=%d,gzip:!timestamp",
			 level ? level : 9);
		break;
	case DEB_ZSTD:
	default:
		if (r == ARCHIVE_OK)
			r = archive_write_add_filter_zstd(w->z);
		snprintf(opt, sizeof(opt), "zstd:compression-level=%d", level ? level : 3);
		break;
	}
	/* ARCHIVE_WARN from add_filter would mean an external compressor
	 * program: refused like any result but ARCHIVE_OK. */
	if (r == ARCHIVE_OK)
		r = archive_write_set_options(w->z, opt);
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_in_last_block(w->z, 1);
	if (r == ARCHIVE_OK)
		r = archive_write_open(w->z, sink, NULL, sink_write, NULL);
	if (r == ARCHIVE_OK) {
		archive_entry_set_pathname(e, "tar");
		archive_entry_set_filetype(e, AE_IFREG);
		r = archive_write_header(w->z, e);
	}
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return ar_err(w->z, "cannot set up the compressor", err);
	return 0;
}

static int tar_write(struct tarw *w, const void *p, size_t n, struct ab_err *err)
{
	if (n && archive_write_data(w->z, p, n) != (la_ssize_t)n)
		return ar_err(w->z, "cannot compress", err);
	w->written += n;
	return 0;
}

static int tar_zeros(struct tarw *w, size_t n, struct ab_err *err)
{
	static const char zero[TAR_BLOCK];
	while (n) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);
		int r = tar_write(w, zero, k, err);
		if (r < 0)
			return r;
		n -= k;
	}
	return 0;
}

/* Pads the data just written to a whole block. */
static int tar_pad(struct tarw *w, struct ab_err *err)
{
	size_t rem = (size_t)(w->written % TAR_BLOCK);
	return rem ? tar_zeros(w, TAR_BLOCK - rem, err) : 0;
}

/* An octal field of `len` bytes: len-1 digits and a NUL, as GNU tar. Sizes
 * that do not fit use GNU's base-256 form (high bit set). */
static void oct_field(char *f, size_t len, uint64_t v)
{
	if (len <= 12 && len > 1 && v >> (3 * (len - 1))) {
		memset(f, 0, len);
		f[0] = (char)0x80;
		for (size_t i = len - 1; i > 0 && v; i--, v >>= 8)
			f[i] = (char)(v & 0xff);
		return;
	}
	for (size_t i = len - 1; i-- > 0; v >>= 3)
		f[i] = (char)('0' + (v & 7));
	f[len - 1] = '\0';
}

static int tar_raw_header(struct tarw *w, const char *name, size_t namelen, char type, mode_t perm,
			  uint64_t size, int64_t mtime, const char *link, size_t linklen,
			  struct ab_err *err)
{
	char h[TAR_BLOCK];
	unsigned sum = 0;

	memset(h, 0, sizeof(h));
	memcpy(h, name, namelen < 100 ? namelen : 100);
	oct_field(h + 100, 8, perm);
	oct_field(h + 108, 8, 0);
	oct_field(h + 116, 8, 0);
	oct_field(h + 124, 12, size);
	oct_field(h + 136, 12, (uint64_t)mtime);
	memset(h + 148, ' ', 8);
	h[156] = type;
	if (link)
		memcpy(h + 157, link, linklen < 100 ? linklen : 100);
	memcpy(h + 257, "ustar  ", 8); /* GNU magic + version: "ustar  \0" */
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	for (size_t i = 0; i < sizeof(h); i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum & 0777777); /* "%06o\0" then the space kept */
	h[155] = ' ';
	return tar_write(w, h, sizeof(h), err);
}

/* A GNU long name ('L') or long link target ('K') record. */
static int tar_longlink(struct tarw *w, char type, const char *s, size_t len, struct ab_err *err)
{
	int r = tar_raw_header(w, "././@LongLink", 13, type, 0644, len + 1, 0, NULL, 0, err);
	if (r == 0)
		r = tar_write(w, s, len, err);
	if (r == 0)
		r = tar_zeros(w, 1, err);
	if (r == 0)
		r = tar_pad(w, err);
	return r;
}

static int tar_header(struct tarw *w, const char *name, mode_t type, mode_t perm, uint64_t size,
		      int64_t mtime, const char *link, struct ab_err *err)
{
	size_t nl = strlen(name), ll = link ? strlen(link) : 0;
	char t = type == S_IFDIR ? '5' : type == S_IFLNK ? '2' : '0';
	int r = 0;
	/* GNU tar: a name or target that does not fit in 100 bytes */
	if (ll > 100)
		r = tar_longlink(w, 'K', link, ll, err);
	if (r == 0 && nl > 100)
		r = tar_longlink(w, 'L', name, nl, err);
	if (r == 0)
		r = tar_raw_header(w, name, nl, t, perm, size, mtime, link, ll, err);
	return r;
}

/* End of archive (two zero blocks), the record padding, the compressor's
 * end of stream. */
static int tarw_close(struct tarw *w, struct ab_err *err)
{
	int r = tar_zeros(w, 2 * TAR_BLOCK, err);
	if (r == 0 && w->written % TAR_RECORD)
		r = tar_zeros(w, TAR_RECORD - (size_t)(w->written % TAR_RECORD), err);
	if (r == 0 && archive_write_close(w->z) != ARCHIVE_OK)
		r = ar_err(w->z, "cannot finish a compressed tar", err);
	return r;
}

static void tarw_free(struct tarw *w)
{
	archive_write_free(w->z); /* accepts NULL */
	w->z = NULL;
}

static int tar_add_mem(struct tarw *w, const char *name, mode_t perm, const char *data,
		       size_t len, int64_t mtime, struct ab_err *err)
{
	int r = tar_header(w, name, S_IFREG, perm, len, mtime, NULL, err);
	if (r == 0)
		r = tar_write(w, data, len, err);
	if (r == 0)
		r = tar_pad(w, err);
	return r;
}

/* Writes the data tar and collects md5sums. */
static int write_data_tar(struct tarw *w, const struct tree *t, const char *root, int64_t mtime,
			  struct ab_buf *md5sums, struct ab_err *err)
{
	struct ab_buf name = AB_BUF_INIT, full = AB_BUF_INIT;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *chunk = ab_xmalloc(1 << 16);
	int fd = -1;
	int r;

	if (!md) {
		r = ab_err_set(err, AB_E_BUILD, "cannot create an md5 context");
		goto out;
	}
	r = tar_header(w, "./", S_IFDIR, 0755, 0, mtime, NULL, err);
	for (size_t i = 0; r == 0 && i < t->len; i++) {
		const struct node *n = &t->n[i];
		ab_buf_reset(&name);
		ab_buf_addf(&name, "./%s%s", n->path, n->type == S_IFDIR ? "/" : "");
		r = tar_header(w, name.buf, n->type, n->perm, n->type == S_IFREG ? n->size : 0, mtime,
			       n->link, err);
		if (r < 0 || n->type != S_IFREG)
			continue;
		ab_buf_reset(&full);
		ab_buf_addf(&full, "%s/%s", root, n->path);
		fd = open(full.buf, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = io_err(err, full.buf, "open");
			goto out;
		}
		EVP_DigestInit_ex(md, EVP_md5(), NULL);
		uint64_t left = n->size;
		while (left) {
			ssize_t got = read(fd, chunk, left < (1 << 16) ? (size_t)left : (1 << 16));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				if (got == 0)
					errno = EIO; /* the file shrank while we read it */
				r = io_err(err, full.buf, "read");
				goto out;
			}
			EVP_DigestUpdate(md, chunk, (size_t)got);
			r = tar_write(w, chunk, (size_t)got, err);
			if (r < 0)
				goto out;
			left -= (uint64_t)got;
		}
		close(fd);
		fd = -1;
		r = tar_pad(w, err);
		if (!n->conffile) {
			unsigned char dig[EVP_MAX_MD_SIZE];
			unsigned int dl = 0;
			EVP_DigestFinal_ex(md, dig, &dl);
			for (unsigned k = 0; k < dl; k++)
				ab_buf_addf(md5sums, "%02x", dig[k]);
			ab_buf_addf(md5sums, "  %s\n", n->path);
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(chunk);
	EVP_MD_CTX_free(md);
	ab_buf_release(&name);
	ab_buf_release(&full);
	return r;
}

static int check_script(const char *name, const char *text, struct ab_err *err)
{
	if (text && strncmp(text, "#!", 2))
		return ab_err_set(err, AB_E_INVALID, "maintainer script '%s' must start with '#!'",
				  name);
	return 0;
}

static int write_control_tar(const struct deb_spec *spec, const char *control,
			     const char *conffiles, const char *md5sums, struct ab_buf *out,
			     struct ab_err *err)
{
	struct sink sink = { out, -1 };
	struct tarw w = { NULL, 0 };
	/* Sorted by name, as dpkg-deb's walk gives them. */
	const struct {
		const char *name, *text;
		mode_t perm;
	} files[] = {
		{ "./conffiles", conffiles, 0644 }, { "./control", control, 0644 },
		{ "./md5sums", md5sums, 0644 },     { "./postinst", spec->postinst, 0755 },
		{ "./postrm", spec->postrm, 0755 }, { "./preinst", spec->preinst, 0755 },
		{ "./prerm", spec->prerm, 0755 },
	};
	int r = tarw_open(&w, &sink, spec->compress, spec->level, err);
	if (r == 0)
		r = tar_header(&w, "./", S_IFDIR, 0755, 0, spec->mtime, NULL, err);
	for (size_t i = 0; r == 0 && i < AB_ARRAY_SIZE(files); i++) {
		if (files[i].text && *files[i].text)
			r = tar_add_mem(&w, files[i].name, files[i].perm, files[i].text,
					strlen(files[i].text), spec->mtime, err);
	}
	if (r == 0)
		r = tarw_close(&w, err);
	tarw_free(&w);
	return r;
}

static int ar_member(struct archive *a, struct archive_entry *e, const char *name, int64_t size,
		     int64_t mtime, struct ab_err *err)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return ar_err(a, "cannot write an ar header", err);
	return 0;
}

static int conffiles_mark(struct tree *t, const struct deb_spec *spec, struct ab_buf *list,
			  struct ab_err *err)
{
	for (size_t i = 0; i < spec->nconffiles; i++) {
		const char *c = spec->conffiles[i];
		struct node *n = NULL;
		for (size_t k = 0; c[0] == '/' && k < t->len && !n; k++)
			if (!strcmp(t->n[k].path, c + 1))
				n = &t->n[k];
		if (!n || n->type != S_IFREG)
			return ab_err_set(err, AB_E_INVALID,
					  "conffile '%s' is not a regular file in the package", c);
		n->conffile = true;
		ab_buf_addf(list, "%s\n", c);
	}
	return 0;
}

int deb_write(const struct deb_spec *spec, const char *out_path, struct ab_err *err)
{
	struct tree t = { NULL, 0, 0, NULL, 0, 0, 0, NULL };
	struct ab_buf full = AB_BUF_INIT, control = AB_BUF_INIT, md5sums = AB_BUF_INIT,
		      conffiles = AB_BUF_INIT, ctar = AB_BUF_INIT, tmp = AB_BUF_INIT;
	struct tarw w = { NULL, 0 };
	struct archive *ar = NULL;
	struct archive_entry *e = NULL;
	char *chunk = NULL;
	int data_fd = -1, out_fd = -1;
	int r;

	/* Validate what costs nothing before reading the tree. */
	r = check_script("preinst", spec->preinst, err);
	if (r == 0)
		r = check_script("postinst", spec->postinst, err);
	if (r == 0)
		r = check_script("prerm", spec->prerm, err);
	if (r == 0)
		r = check_script("postrm", spec->postrm, err);
	if (r == 0 && spec->mtime < 0)
		r = ab_err_set(err, AB_E_INVALID, "negative timestamp %lld",
			       (long long)spec->mtime);
	if (r == 0)
		r = deb_control_render(&spec->control, 0, &control, err);
	if (r < 0)
		goto out;
	ab_buf_reset(&control);

	ab_buf_adds(&full, spec->root);
	while (full.len > 1 && full.buf[full.len - 1] == '/')
		ab_buf_truncate(&full, full.len - 1);
	r = walk_tree(&t, full.buf, err);
	if (r < 0)
		goto out;
	r = conffiles_mark(&t, spec, &conffiles, err);
	if (r < 0)
		goto out;

	/* The data tar, into an unlinked temporary file. */
	/* next to the output (the same file system, not a small /tmp) */
	ab_buf_reset(&tmp);
	const char *slash = strrchr(out_path, '/');
	if (slash)
		ab_buf_add(&tmp, out_path, slash == out_path ? 1 : (size_t)(slash - out_path));
	else
		ab_buf_adds(&tmp, ".");
	data_fd = open(tmp.buf, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	ab_buf_reset(&tmp);
	if (data_fd < 0) {
		FILE *f = tmpfile();
		data_fd = f ? dup(fileno(f)) : -1;
		if (f)
			fclose(f);
	}
	if (data_fd < 0) {
		r = io_err(err, P_tmpdir, "create a temporary file in");
		goto out;
	}
	struct sink dsink = { NULL, data_fd };
	r = tarw_open(&w, &dsink, spec->compress, spec->level, err);
	if (r == 0)
		r = write_data_tar(&w, &t, full.buf, spec->mtime, &md5sums, err);
	if (r == 0)
		r = tarw_close(&w, err);
	if (r < 0)
		goto out;
	tarw_free(&w);
	off_t data_size = lseek(data_fd, 0, SEEK_END);
	if (data_size < 0 || lseek(data_fd, 0, SEEK_SET) < 0) {
		r = io_err(err, "data.tar", "seek in");
		goto out;
	}

	/* +1: the root directory, which dpkg-gencontrol's find(1) also counts. */
	r = deb_control_render(&spec->control, t.installed_kib + 1, &control, err);
	if (r == 0)
		r = write_control_tar(spec, control.buf, conffiles.buf, md5sums.buf, &ctar, err);
	if (r < 0)
		goto out;

	/* The ar archive, into a temporary file next to the target. */
	ab_buf_addf(&tmp, "%s.tmpXXXXXX", out_path);
	out_fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (out_fd < 0) {
		r = io_err(err, out_path, "create a temporary file for");
		ab_buf_reset(&tmp);
		goto out;
	}
	ar = archive_write_new();
	e = archive_entry_new();
	if (!ar || !e || archive_write_set_format_ar_bsd(ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(ar, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(ar, out_fd) != ARCHIVE_OK) {
		r = ar_err(ar, "cannot set up the ar writer", err);
		goto out;
	}
	char cname[16], dname[16];
	snprintf(cname, sizeof(cname), "control.tar%s", deb_compress_ext(spec->compress));
	snprintf(dname, sizeof(dname), "data.tar%s", deb_compress_ext(spec->compress));
	r = ar_member(ar, e, "debian-binary", 4, spec->mtime, err);
	if (r == 0 && archive_write_data(ar, "2.0\n", 4) != 4)
		r = ar_err(ar, "cannot write debian-binary", err);
	if (r == 0)
		r = ar_member(ar, e, cname, (int64_t)ctar.len, spec->mtime, err);
	if (r == 0 && archive_write_data(ar, ctar.buf, ctar.len) != (la_ssize_t)ctar.len)
		r = ar_err(ar, "cannot write the control member", err);
	if (r == 0)
		r = ar_member(ar, e, dname, (int64_t)data_size, spec->mtime, err);
	if (r < 0)
		goto out;
	chunk = ab_xmalloc(1 << 16);
	for (off_t left = data_size; left > 0;) {
		ssize_t got = read(data_fd, chunk, left < (1 << 16) ? (size_t)left : (1 << 16));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = io_err(err, "data.tar", "read back");
			goto out;
		}
		if (archive_write_data(ar, chunk, (size_t)got) != got) {
			r = ar_err(ar, "cannot write the data member", err);
			goto out;
		}
		left -= got;
	}
	if (archive_write_close(ar) != ARCHIVE_OK) {
		r = ar_err(ar, "cannot finish the package", err);
		goto out;
	}
	if (fchmod(out_fd, 0644) < 0 || fsync(out_fd) < 0) {
		r = io_err(err, tmp.buf, "write");
		goto out;
	}
	if (close(out_fd) < 0) {
		out_fd = -1;
		r = io_err(err, tmp.buf, "write");
		goto out;
	}
	out_fd = -1;
	if (rename(tmp.buf, out_path) < 0) {
		r = io_err(err, out_path, "rename a temporary file to");
		goto out;
	}
	ab_buf_reset(&tmp); /* renamed: nothing to clean up */
out:
	tarw_free(&w);
	archive_write_free(ar);
	archive_entry_free(e);
	if (out_fd >= 0)
		close(out_fd);
	if (tmp.len)
		unlink(tmp.buf);
	if (data_fd >= 0)
		close(data_fd);
	free(chunk);
	tree_release(&t);
	ab_buf_release(&full);
	ab_buf_release(&control);
	ab_buf_release(&md5sums);
	ab_buf_release(&conffiles);
	ab_buf_release(&ctar);
	ab_buf_release(&tmp);
	return r;
}
