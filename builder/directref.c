/* directref.c - direct references; see directref.h. */
#include "builder/directref.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/lock.h"
#include "builder/pep517.h"
#include "builder/resolve.h"
#include "builder/sdist.h"
#include "builder/zipdir.h"
#include "formats/core/mem.h"
#include "formats/distfile.h"
#include "formats/names.h"
#include "formats/pep440.h"
#include "formats/pyproject.h"

/* ---- parsing ---- */

bool directref_is(const struct reqfile_line *l)
{
	if (!reqfile_line_is_requirement(l))
		return false;
	if (l->kind == REQFILE_EDITABLE)
		return true;
	if (l->req_kind == REQFILE_REQ_URL || l->req_kind == REQFILE_REQ_VCS ||
	    l->req_kind == REQFILE_REQ_PATH)
		return true;
	return l->req_kind == REQFILE_REQ_PEP508 && l->req && l->req->url;
}

static int fail(struct ab_err *err, const struct directref *d, int code, const char *fmt,
		const char *a, const char *b)
{
	struct ab_loc loc = { d->file, d->line, d->col };
	return ab_err_at(err, code, &loc, fmt, a, b);
}

/* An error from a helper that knows nothing of the requirements file:
 * placed at the requirement, with the requirement named. */
static int locate(struct ab_err *err, const struct directref *d, int r)
{
	if (r < 0 && err) {
		/* a column of its own is relative to the requirement's start;
		 * none: the requirement's */
		if (!err->file && !err->line && !err->col)
			err->col = 1;
		ab_err_locate(err, d->file, d->line, d->col ? d->col - 1 : 0);
		ab_err_note(err, "in requirement '%s'", d->text);
	}
	return r;
}

static bool has_suffix(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);
	return n >= l && !strncasecmp(s + n - l, suf, l);
}

static bool is_wheel_name(const char *s, size_t n)
{
	return has_suffix(s, n, ".whl");
}

/* The archive suffixes pip unpacks (pip/_internal/utils/filetypes.py). */
static bool is_sdist_name(const char *s, size_t n)
{
	static const char *const ext[] = { ".zip",     ".tar.gz", ".tgz",    ".tar",
					   ".tar.bz2", ".tbz",	  ".tar.xz", ".txz" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(ext); i++)
		if (has_suffix(s, n, ext[i]))
			return true;
	return false;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *percent_decode(const char *s, size_t n)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			ab_buf_addc(&b, (char)(hexval((unsigned char)s[i + 1]) * 16 +
					       hexval((unsigned char)s[i + 2])));
			i += 2;
		} else
			ab_buf_addc(&b, s[i]);
	}
	return ab_buf_detach(&b);
}

/* file:// + the path, percent-encoding what RFC 3986 does not allow in a
 * path (pip's path_to_url does the same through urllib). */
static void path_to_url(const char *path, struct ab_buf *out)
{
	ab_buf_adds(out, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (isalnum(*p) || strchr("/-._~!$&'()*+,;=:@", *p))
			ab_buf_addc(out, (char)*p);
		else
			ab_buf_addf(out, "%%%02X", *p);
	}
}

/* `path` made absolute against `base` and lexically cleaned (no "." or
 * ".." components). */
static char *abs_path(const char *base, const char *path)
{
	struct ab_buf in = AB_BUF_INIT, out = AB_BUF_INIT;
	if (path[0] != '/') {
		if (base[0] != '/') {
			char cwd[4096];
			if (getcwd(cwd, sizeof(cwd)))
				ab_buf_addf(&in, "%s/", cwd);
		}
		ab_buf_addf(&in, "%s/", base);
	}
	ab_buf_adds(&in, path);
	for (const char *p = in.buf; *p;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (!n)
			break;
		if (n == 1 && p[0] == '.') {
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *sl = strrchr(out.buf, '/');
			if (sl)
				ab_buf_truncate(&out, (size_t)(sl - out.buf));
		} else {
			ab_buf_addc(&out, '/');
			ab_buf_add(&out, p, n);
		}
		p += n;
	}
	if (!out.len)
		ab_buf_addc(&out, '/');
	ab_buf_release(&in);
	return ab_buf_detach(&out);
}

/* The fragment's "key=value" items (pip's Link reads egg, subdirectory
 * and the hash names from it). */
static int read_fragment(struct directref *d, const char *frag, struct ab_err *err)
{
	for (const char *f = frag; *f;) {
		size_t n = strcspn(f, "&");
		if (n > 4 && !strncmp(f, "egg=", 4)) {
			if (!d->name)
				d->name = name_canonical_dup(ab_str_make(f + 4, n - 4));
		} else if (n > 13 && !strncmp(f, "subdirectory=", 13)) {
			free(d->subdirectory);
			d->subdirectory = ab_xstrndup(f + 13, n - 13);
		} else if (n > 7 && !strncmp(f, "sha256=", 7)) {
			free(d->sha256);
			d->sha256 = ab_xstrndup(f + 7, n - 7);
			for (char *p = d->sha256; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			if (!cache_is_sha256(d->sha256))
				return fail(err, d, AB_E_PARSE,
					    "'#sha256=%s' is not a sha256 digest%s", d->sha256, "");
		}
		f += n + (f[n] ? 1 : 0);
	}
	if (d->subdirectory) {
		const char *s = d->subdirectory;
		bool bad = !*s || *s == '/' || !strcmp(s, "..") || !strncmp(s, "../", 3) ||
			   strstr(s, "/../") || has_suffix(s, strlen(s), "/..");
		if (bad)
			return fail(
				err, d, AB_E_PARSE,
				"subdirectory '%s' must be a relative path inside the project%s",
				d->subdirectory, "");
	}
	return 0;
}

/* A local file or directory: its kind from what is there. */
static int local_kind(struct directref *d, struct ab_err *err)
{
	struct stat st;
	if (stat(d->path, &st) < 0)
		return fail(err, d, AB_E_IO, "cannot read '%s': %s", d->path, strerror(errno));
	size_t n = strlen(d->path);
	if (S_ISDIR(st.st_mode)) {
		struct ab_buf p = AB_BUF_INIT;
		ab_buf_addf(&p, "%s%s%s/pyproject.toml", d->path, d->subdirectory ? "/" : "",
			    d->subdirectory ? d->subdirectory : "");
		bool ok = access(p.buf, F_OK) == 0;
		ab_buf_truncate(&p, p.len - strlen("pyproject.toml"));
		ab_buf_adds(&p, "setup.py");
		ok = ok || access(p.buf, F_OK) == 0;
		ab_buf_release(&p);
		/* pip: "does not appear to be a Python project: neither
		 * 'setup.py' nor 'pyproject.toml' found" */
		if (!ok)
			return fail(err, d, AB_E_INVALID,
				    "'%s' is not a Python project: it has neither 'pyproject.toml' "
				    "nor 'setup.py'%s",
				    d->path, "");
		d->kind = DIRECTREF_DIR;
	} else if (is_wheel_name(d->path, n))
		d->kind = DIRECTREF_WHEEL;
	else if (is_sdist_name(d->path, n))
		d->kind = DIRECTREF_SDIST;
	else
		return fail(err, d, AB_E_UNSUPPORTED,
			    "'%s' is neither a project directory, a wheel nor an sdist%s", d->path,
			    "");
	struct ab_buf u = AB_BUF_INIT;
	path_to_url(d->path, &u);
	d->url = ab_buf_detach(&u);
	return 0;
}

static const char *const other_vcs[] = { "hg", "svn", "bzr" };

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int directref_parse(const struct reqfile_line *l, const char *base_dir, struct directref *out,
		    struct ab_err *err)
{
	struct directref *d = out;
	memset(d, 0, sizeof(*d));
	d->git = (struct gitsrc_url)GITSRC_URL_INIT;
	d->md = (struct metadata){ 0 };
	d->archive_size = -1;
	d->file = l->file;
	d->line = l->lineno;
	d->col = l->col;
	d->text = l->requirement;
	d->editable = l->kind == REQFILE_EDITABLE;
	char *loc = NULL;
	int r = 0;
	if (l->req_kind == REQFILE_REQ_PEP508 && l->req && l->req->url) {
		d->name = ab_xstrdup(l->req->canonical);
		d->extras = ab_xcalloc(l->req->nextras + 1, sizeof(*d->extras));
		for (size_t i = 0; i < l->req->nextras; i++)
			d->extras[d->nextras++] =
				name_canonical_dup(ab_str_from(l->req->extras[i]));
		d->marker = l->req->marker;
		loc = ab_xstrdup(l->req->url);
	} else {
		loc = ab_xstrdup(l->url ? l->url : l->requirement);
		d->marker = l->marker;
		/* "./libs/foo[bar,baz]": pip's _strip_extras on paths and URLs */
		size_t n = strlen(loc);
		char *br = strrchr(loc, '[');
		if (n && loc[n - 1] == ']' && br && !strchr(br, '/')) {
			loc[n - 1] = 0;
			d->extras = ab_xcalloc(n, sizeof(*d->extras));
			for (char *p = br + 1; *p;) {
				size_t k = strcspn(p, ",");
				struct ab_str e = ab_str_trim(ab_str_make(p, k));
				if (e.len)
					d->extras[d->nextras++] = name_canonical_dup(e);
				p += k + (p[k] ? 1 : 0);
			}
			*br = 0;
		}
	}
	if (d->nextras > 1)
		qsort(d->extras, d->nextras, sizeof(*d->extras), str_cmp);
	for (size_t i = 0; i < l->opts.nhashes && !d->sha256; i++)
		if (!strcmp(l->opts.hashes[i].algo, "sha256"))
			d->sha256 = ab_xstrdup(l->opts.hashes[i].hex);
	for (char *p = d->sha256; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	/* the scheme decides */
	size_t sl = strcspn(loc, ":/");
	bool has_scheme = loc[sl] == ':' && sl > 1;
	char *plus = has_scheme ? memchr(loc, '+', sl) : NULL;
	if (has_scheme && (plus || !strncasecmp(loc, "git:", 4))) {
		for (size_t i = 0; i < AB_ARRAY_SIZE(other_vcs); i++) {
			size_t k = strlen(other_vcs[i]);
			if (!strncasecmp(loc, other_vcs[i], k) &&
			    (loc[k] == '+' || loc[k] == ':')) {
				char *s = ab_xstrndup(loc, sl);
				r = fail(err, d, AB_E_UNSUPPORTED,
					 "version control scheme '%s' is not supported: only git "
					 "is%s",
					 s, "");
				free(s);
				goto out;
			}
		}
		struct ab_err e = AB_ERR_INIT;
		r = gitsrc_url_parse(loc, &d->git, &e);
		if (r < 0) {
			struct ab_loc at = { d->file, d->line, d->col };
			ab_err_at(err, -r, &at, "%s", e.msg.buf);
			ab_err_release(&e);
			goto out;
		}
		d->kind = DIRECTREF_VCS;
		if (!d->name && d->git.egg)
			d->name = name_canonical_dup(ab_str_from(d->git.egg));
		if (d->git.subdirectory)
			d->subdirectory = ab_xstrdup(d->git.subdirectory);
		struct ab_buf u = AB_BUF_INIT;
		ab_buf_addf(&u, "%s%s", strncasecmp(loc, "git:", 4) ? "git+" : "", d->git.remote);
		d->url = ab_buf_detach(&u);
		goto out;
	}
	/* #sha256= wins over --hash: pip checks both, the fragment is the
	 * URL's own */
	char *hash = strchr(loc, '#');
	if (hash) {
		*hash = 0;
		r = read_fragment(d, hash + 1, err);
		if (r < 0)
			goto out;
	}
	if (has_scheme && !strncasecmp(loc, "file:", 5)) {
		/* file:///abs, file://localhost/abs (RFC 8089) */
		const char *p = loc + 5;
		if (!strncmp(p, "//", 2)) {
			p += 2;
			size_t hl = strcspn(p, "/");
			if (hl && (hl != 9 || strncasecmp(p, "localhost", hl))) {
				r = fail(err, d, AB_E_UNSUPPORTED,
					 "'%s': file URLs on another host are not supported%s", loc,
					 "");
				goto out;
			}
			p += hl;
		}
		char *dec = percent_decode(p, strlen(p));
		d->path = abs_path("/", dec);
		free(dec);
		r = local_kind(d, err);
	} else if (has_scheme &&
		   (!strncasecmp(loc, "https:", 6) || !strncasecmp(loc, "http:", 5))) {
		size_t n = strlen(loc);
		if (is_wheel_name(loc, n))
			d->kind = DIRECTREF_WHEEL;
		else if (is_sdist_name(loc, n))
			d->kind = DIRECTREF_SDIST;
		else {
			r = fail(err, d, AB_E_UNSUPPORTED,
				 "'%s' is neither a wheel nor an sdist archive%s", loc, "");
			goto out;
		}
		d->url = ab_xstrdup(loc);
	} else if (has_scheme) {
		char *s = ab_xstrndup(loc, sl);
		r = fail(err, d, AB_E_UNSUPPORTED, "URL scheme '%s' is not supported in '%s'", s,
			 loc);
		free(s);
	} else {
		d->path = abs_path(base_dir, loc);
		r = local_kind(d, err);
	}
	if (r >= 0 && d->editable && d->kind != DIRECTREF_DIR)
		r = fail(err, d, AB_E_INVALID,
			 "'%s' cannot be editable: only a project directory or a git URL can be%s",
			 d->text, "");
out:
	free(loc);
	if (r >= 0 && d->kind == DIRECTREF_VCS && d->sha256)
		r = fail(err, d, AB_E_INVALID,
			 "'%s': a git requirement cannot be checked by hash%s", d->text, "");
	return r;
}

/* ---- metadata ---- */

static int use_metadata(struct directref *d, struct ab_str text, const char *what,
			struct ab_err *err)
{
	struct metadata md;
	int r = metadata_parse(text, METADATA_SKIP_REQS, what, &md, err);
	if (r < 0)
		return locate(err, d, r);
	if (!md.name_canonical || !md.version) {
		metadata_release(&md);
		return fail(err, d, AB_E_INVALID,
			    "the metadata of '%s' has no valid name or version%s", d->url, "");
	}
	if (d->name && strcmp(d->name, md.name_canonical)) {
		struct ab_buf got = AB_BUF_INIT;
		ab_buf_addf(&got, "%s %s", md.name_canonical, md.version->str);
		r = fail(err, d, AB_E_INVALID, "the requirement names '%s' but it is '%s'", d->name,
			 got.buf);
		ab_err_note(err, "from '%s'", d->url);
		ab_buf_release(&got);
		metadata_release(&md);
		return r;
	}
	if (!d->name)
		d->name = ab_xstrdup(md.name_canonical);
	struct ab_buf v = AB_BUF_INIT;
	pep440_version_format(md.version, &v);
	d->version = ab_buf_detach(&v);
	d->requires = ab_xcalloc(md.requires_dist.n + 1, sizeof(*d->requires));
	for (size_t i = 0; i < md.requires_dist.n; i++)
	d->requires[d->nrequires++] = ab_str_dup(md.requires_dist.items[i].raw);
	d->extras_provided = ab_xcalloc(md.nprovides_extra + 1, sizeof(*d->extras_provided));
	for (size_t i = 0; i < md.nprovides_extra; i++)
		d->extras_provided[d->nextras_provided++] = ab_str_dup(md.provides_extra[i].raw);
	if (md.requires_python_raw.ptr)
		d->requires_python = ab_str_dup(md.requires_python_raw);
	d->md = md;
	d->have_md = true;
	return 0;
}

static int read_whole(const char *path, struct ab_buf *out, struct ab_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return ab_err_at(err, AB_E_IO, &(struct ab_loc){ path, 0, 0 }, "cannot read: %s",
				 strerror(errno));
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ab_buf_add(out, chunk, n);
	bool bad = ferror(f);
	fclose(f);
	if (bad)
		return ab_err_at(err, AB_E_IO, &(struct ab_loc){ path, 0, 0 }, "cannot read: %s",
				 strerror(EIO));
	return 0;
}

/* A wheel's METADATA, through the same zip reader the index client uses
 * on partial downloads. */
static int wheel_metadata(const char *path, struct ab_buf *out, struct ab_err *err)
{
	struct ab_buf whole = AB_BUF_INIT;
	struct zipdir z = ZIPDIR_INIT;
	int r = read_whole(path, &whole, err);
	if (r < 0)
		goto out;
	struct ab_str all = ab_buf_str(&whole);
	r = zipdir_find_eocd(&z, all, all.len, err);
	if (r >= 0 && (z.cd_offset > all.len || z.cd_size > all.len - z.cd_offset))
		r = ab_err_set(err, AB_E_PARSE, "the central directory lies outside the file");
	if (r >= 0)
		r = zipdir_parse(&z, ab_str_make(all.ptr + z.cd_offset, (size_t)z.cd_size), err);
	if (r < 0)
		goto out;
	const struct zipdir_entry *e = zipdir_wheel_metadata(&z);
	if (!e || e->local_offset > all.len) {
		r = ab_err_set(err, AB_E_PARSE, "no single '*.dist-info/METADATA' in the wheel");
		goto out;
	}
	uint64_t end = zipdir_entry_end(&z, e);
	if (end > all.len)
		end = all.len;
	r = zipdir_extract(ab_str_make(all.ptr + e->local_offset, (size_t)(end - e->local_offset)),
			   e, 0, out, err);
out:
	if (r < 0 && err && !err->file)
		ab_err_note(err, "in '%s'", path);
	zipdir_release(&z);
	ab_buf_release(&whole);
	return r;
}

/* ---- fetching ---- */

/* An archive URL into the cache: a known sha256 already cached needs no
 * request (a fresh lock gives it on later runs). */
static int fetch_archive(struct directref *d, const struct directref_env *env, const char *known,
			 struct ab_err *err)
{
	struct ab_buf path = AB_BUF_INIT;
	int r = 0;
	const char *want = d->sha256 ? d->sha256 : known;
	if (want && cache_file_lookup(env->cache, want, true, &path, NULL) == 1) {
		d->archive = ab_buf_detach(&path);
		snprintf(d->archive_sha256, sizeof(d->archive_sha256), "%s", want);
		return 0;
	}
	ab_buf_release(&path);
	if (env->offline)
		return fail(err, d, AB_E_NETWORK, "offline: '%s' is not in the cache%s", d->url,
			    "");
	struct http_req q;
	memset(&q, 0, sizeof(q));
	q.url = d->url;
	q.expect_sha256 = d->sha256;
	q.to_cache = env->cache;
	r = http_fetch(env->http, &q);
	d->fetched = true;
	if (r < 0) {
		if (err && !err->code) {
			ab_err_at(err, q.err.code ? q.err.code : AB_E_NETWORK,
				  &(struct ab_loc){ d->file, d->line, d->col }, "%s",
				  q.err.msg.buf);
			ab_err_note(err, "in requirement '%s'", d->text);
		}
	} else {
		d->archive = ab_xstrdup(q.path.buf);
		snprintf(d->archive_sha256, sizeof(d->archive_sha256), "%s", q.sha256);
	}
	http_req_release(&q);
	return r;
}

/* A local archive: hashed where it lies (and checked against #sha256=). */
static int local_archive(struct directref *d, struct ab_err *err)
{
	int r = cache_sha256_file(d->path, d->archive_sha256, err);
	if (r < 0)
		return locate(err, d, r);
	if (d->sha256 && strcmp(d->sha256, d->archive_sha256)) {
		r = fail(err, d, AB_E_HASH, "'%s' has sha256 %s", d->path, d->archive_sha256);
		ab_err_note(err, "expected %s", d->sha256);
		return r;
	}
	d->archive = ab_xstrdup(d->path);
	return 0;
}

static int make_workdir(struct directref *d, const struct directref_env *env, struct ab_err *err)
{
	if (d->workdir)
		return 0;
	struct ab_buf w = AB_BUF_INIT;
	ab_buf_addf(&w, "%s/tmp/directref-XXXXXX", env->cache->root);
	if (!mkdtemp(w.buf)) {
		int r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ w.buf, 0, 0 },
				  "cannot create directory: %s", strerror(errno));
		ab_buf_release(&w);
		return r;
	}
	d->workdir = ab_buf_detach(&w);
	return 0;
}

static void set_srcdir(struct directref *d, const char *root)
{
	struct ab_buf s = AB_BUF_INIT;
	ab_buf_adds(&s, root);
	if (d->subdirectory)
		ab_buf_addf(&s, "/%s", d->subdirectory);
	free(d->srcdir);
	d->srcdir = ab_buf_detach(&s);
}

/* The pep517 cache key of the source tree; NULL for a local directory
 * (its content has no identity: rebuilt every time, as pip). */
static char *source_key(const struct directref *d)
{
	struct ab_buf k = AB_BUF_INIT;
	if (d->kind == DIRECTREF_VCS)
		ab_buf_addf(&k, "git:%s", d->commit);
	else if (d->kind == DIRECTREF_SDIST)
		ab_buf_adds(&k, d->archive_sha256);
	else
		return NULL;
	if (d->subdirectory)
		ab_buf_addf(&k, "#%s", d->subdirectory);
	return ab_buf_detach(&k);
}

static void req_line(struct ab_buf *md, const struct pep508_req *q, const char *extra)
{
	struct pep508_req bare = *q;
	bare.marker = NULL;
	ab_buf_adds(md, "Requires-Dist: ");
	pep508_format(&bare, md);
	if (q->marker || extra)
		ab_buf_adds(md, "; ");
	if (q->marker && extra)
		ab_buf_adds(md, "(");
	if (q->marker)
		marker_format(q->marker, md);
	if (q->marker && extra)
		ab_buf_adds(md, ") and ");
	if (extra)
		ab_buf_addf(md, "extra == \"%s\"", extra);
	ab_buf_adds(md, "\n");
}

/* PEP 621: a [project] table whose name, version, dependencies,
 * optional-dependencies and requires-python are static is what every
 * backend must write into METADATA ("build back-ends MUST honour static
 * metadata"), so the resolver can read it without running one, as uv
 * does. Returns 1 with the METADATA in `md`, 0 when a build is needed. */
static int static_metadata(const char *srcdir, struct ab_buf *md)
{
	struct ab_buf path = AB_BUF_INIT, text = AB_BUF_INIT;
	struct pyproject pp = PYPROJECT_INIT;
	int found = 0;
	ab_buf_addf(&path, "%s/pyproject.toml", srcdir);
	if (read_whole(path.buf, &text, NULL) < 0 ||
	    pyproject_parse(ab_buf_str(&text), path.buf, &pp, NULL) < 0)
		goto out;
	static const char *const fields[] = { "version", "dependencies", "optional-dependencies",
					      "requires-python" };
	if (!pp.has_project || !pp.name || !pp.version)
		goto out;
	for (size_t i = 0; i < AB_ARRAY_SIZE(fields); i++)
		if (pyproject_is_dynamic(&pp, fields[i]))
			goto out;
	ab_buf_addf(md, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", pp.name, pp.version);
	if (pp.requires_python)
		ab_buf_addf(md, "Requires-Python: %s\n", pp.requires_python);
	for (size_t i = 0; i < pp.ndeps; i++)
		req_line(md, &pp.deps[i], NULL);
	for (size_t i = 0; i < pp.nextras; i++) {
		ab_buf_addf(md, "Provides-Extra: %s\n", pp.extras[i].canonical);
		for (size_t k = 0; k < pp.extras[i].ndeps; k++)
			req_line(md, &pp.extras[i].deps[k], pp.extras[i].canonical);
	}
	found = 1;
out:
	pyproject_release(&pp);
	ab_buf_release(&path);
	ab_buf_release(&text);
	return found;
}

static int source_metadata(struct directref *d, const struct directref_env *env, struct ab_err *err)
{
	struct ab_buf smd = AB_BUF_INIT;
	if (static_metadata(d->srcdir, &smd)) {
		int r = use_metadata(d, ab_buf_str(&smd), d->url, err);
		ab_buf_release(&smd);
		return r;
	}
	ab_buf_release(&smd);
	if (!env->build)
		return fail(err, d, AB_E_UNSUPPORTED, "'%s' needs a build from source%s", d->text,
			    "");
	struct ab_buf md = AB_BUF_INIT;
	char *key = source_key(d);
	struct pep517_source s = { d->srcdir, key, d->name, NULL };
	int r = pep517_metadata(env->build, &s, &md, err);
	if (r < 0)
		r = locate(err, d, r);
	else
		r = use_metadata(d, ab_buf_str(&md), d->url, err);
	free(key);
	ab_buf_release(&md);
	return r;
}

static int prepare_sdist(struct directref *d, const struct directref_env *env, struct ab_err *err)
{
	struct sdist sd = SDIST_INIT;
	struct ab_buf dest = AB_BUF_INIT;
	int r = make_workdir(d, env, err);
	if (r < 0)
		return r;
	ab_buf_addf(&dest, "%s/sdist", d->workdir);
	r = sdist_unpack(d->archive, dest.buf, &sd, err);
	if (r < 0) {
		r = locate(err, d, r);
		goto out;
	}
	set_srcdir(d, sd.root);
	/* PEP 643: static PKG-INFO needs no build (only at the top: a
	 * subdirectory project has its own) */
	if (!d->subdirectory && sd.has_pkg_info && sd.static_metadata)
		r = use_metadata(d, ab_str_from(sd.md.text), d->url, err);
	else
		r = source_metadata(d, env, err);
out:
	sdist_release(&sd);
	ab_buf_release(&dest);
	return r;
}

static int prepare_vcs(struct directref *d, const struct directref_env *env, struct ab_err *err)
{
	struct gitsrc_stats st = { false, false };
	int r = 0;
	/* a fresh lock's commit: no question to the remote when it is cached */
	char *saved = NULL;
	if (env->locked_commit && strlen(env->locked_commit) == 40) {
		saved = d->git.ref;
		d->git.ref = ab_xstrdup(env->locked_commit);
	}
	if (env->offline && !(d->git.ref && strlen(d->git.ref) == 40))
		r = fail(err, d, AB_E_NETWORK, "offline: '%s' must be resolved by its remote%s",
			 d->url, "");
	if (r >= 0)
		r = gitsrc_resolve(env->cache->root, &d->git, d->commit, &st, err);
	if (saved) {
		free(d->git.ref);
		d->git.ref = saved;
	}
	d->fetched = st.fetched;
	if (r < 0)
		return locate(err, d, r);
	r = make_workdir(d, env, err);
	if (r < 0)
		return r;
	struct ab_buf co = AB_BUF_INIT;
	ab_buf_addf(&co, "%s/checkout", d->workdir);
	r = gitsrc_checkout(env->cache->root, &d->git, d->commit, co.buf, err);
	if (r >= 0) {
		set_srcdir(d, co.buf);
		struct stat sb;
		if (stat(d->srcdir, &sb) < 0 || !S_ISDIR(sb.st_mode))
			r = fail(err, d, AB_E_INVALID, "'%s' has no directory '%s'", d->url,
				 d->subdirectory);
	}
	ab_buf_release(&co);
	if (r < 0)
		return locate(err, d, r);
	return source_metadata(d, env, err);
}

int directref_prepare(struct directref *d, const struct directref_env *env, struct ab_err *err)
{
	int r = 0;
	if (d->have_md)
		return 0;
	switch (d->kind) {
	case DIRECTREF_WHEEL: {
		r = d->path ? local_archive(d, err)
			    : fetch_archive(d, env, env->locked_sha256, err);
		if (r < 0)
			return r;
		/* the file name says what the wheel is; METADATA must agree */
		const char *base = strrchr(d->path ? d->path : d->url, '/');
		base = base ? base + 1 : d->url;
		struct distfile_wheel wf;
		struct ab_err e = AB_ERR_INIT;
		if (distfile_wheel_parse(ab_str_from(base), &wf, &e) < 0) {
			r = fail(err, d, AB_E_INVALID, "'%s' is not a valid wheel file name: %s",
				 base, e.msg.buf);
			ab_err_release(&e);
			return r;
		}
		ab_err_release(&e);
		if (d->name && strcmp(d->name, wf.name)) {
			r = fail(err, d, AB_E_INVALID,
				 "the requirement names '%s' but the wheel is '%s'", d->name, base);
			distfile_wheel_release(&wf);
			return r;
		}
		if (!d->name)
			d->name = ab_xstrdup(wf.name);
		struct ab_buf md = AB_BUF_INIT;
		r = wheel_metadata(d->archive, &md, err);
		if (r < 0)
			r = locate(err, d, r);
		else
			r = use_metadata(d, ab_buf_str(&md), base, err);
		if (r >= 0 && pep440_version_cmp(d->md.version, wf.version))
			r = fail(err, d, AB_E_INVALID, "'%s' holds the metadata of version %s",
				 base, d->version);
		distfile_wheel_release(&wf);
		ab_buf_release(&md);
		if (r >= 0) {
			d->wheel = ab_xstrdup(d->archive);
			d->wheel_filename = ab_xstrdup(base);
		}
		return r;
	}
	case DIRECTREF_SDIST:
		r = d->path ? local_archive(d, err)
			    : fetch_archive(d, env, env->locked_sha256, err);
		if (r < 0)
			return r;
		return prepare_sdist(d, env, err);
	case DIRECTREF_DIR:
		set_srcdir(d, d->path);
		return source_metadata(d, env, err);
	case DIRECTREF_VCS:
		return prepare_vcs(d, env, err);
	}
	return 0;
}

int directref_wheel(struct directref *d, const struct directref_env *env, struct ab_err *err)
{
	if (d->wheel)
		return 0;
	if (!d->have_md) {
		int r = directref_prepare(d, env, err);
		if (r < 0 || d->wheel)
			return r;
	}
	if (!env->build)
		return fail(err, d, AB_E_UNSUPPORTED, "'%s' needs a build from source%s", d->text,
			    "");
	char *key = source_key(d);
	struct pep517_source s = { d->srcdir, key, d->name, d->version };
	struct pep517_wheel w = PEP517_WHEEL_INIT;
	int r = pep517_wheel(env->build, &s, &w, err);
	free(key);
	if (r < 0)
		return locate(err, d, r);
	d->wheel = w.path;
	d->wheel_filename = w.filename;
	w.path = w.filename = NULL;
	pep517_wheel_release(&w);
	return 0;
}

void directref_lock_url(const struct directref *d, struct ab_buf *out)
{
	ab_buf_adds(out, d->url);
	if (d->kind == DIRECTREF_VCS && d->commit[0])
		ab_buf_addf(out, "@%s", d->commit);
	if (d->subdirectory)
		ab_buf_addf(out, "#subdirectory=%s", d->subdirectory);
}

void directref_release(struct directref *d)
{
	free(d->name);
	for (size_t i = 0; i < d->nextras; i++)
		free(d->extras[i]);
	free(d->extras);
	free(d->url);
	free(d->path);
	free(d->subdirectory);
	free(d->sha256);
	gitsrc_url_release(&d->git);
	free(d->version);
	free(d->archive);
	free(d->srcdir);
	if (d->workdir)
		sdist_remove_tree(d->workdir, NULL);
	free(d->workdir);
	if (d->have_md)
		metadata_release(&d->md);
	for (size_t i = 0; i < d->nrequires; i++)
		free((char *)d->requires[i]);
	free(d->requires);
	for (size_t i = 0; i < d->nextras_provided; i++)
		free((char *)d->extras_provided[i]);
	free(d->extras_provided);
	free(d->requires_python);
	free(d->wheel);
	free(d->wheel_filename);
	free(d->req);
	memset(d, 0, sizeof(*d));
}

/* ---- the set ---- */

struct directref_set_priv {
	struct pep440_version **versions;
	struct resolve_candidate *cands;
	struct resolve_metadata *mds;
	const struct resolve_provider *inner;
};

int directref_set_add(struct directref_set *s, const struct reqfile_line *l, const char *base_dir,
		      struct ab_err *err)
{
	AB_GROW(s->v, s->cap, s->n + 1);
	int r = directref_parse(l, base_dir, &s->v[s->n], err);
	s->n++;
	return r;
}

/* What a fresh lock pinned for this reference: its commit (VCS) or
 * archive hash, matched by URL (the name may be unknown before prepare). */
static void locked_for(const struct directref *d, const struct lock_pins *pins, char commit[41],
		       const char **sha)
{
	commit[0] = 0;
	*sha = NULL;
	for (size_t i = 0; pins && i < pins->ndirect; i++) {
		const char *u = pins->direct[i].url;
		const char *frag = strchr(u, '#');
		size_t ul = frag ? (size_t)(frag - u) : strlen(u);
		const char *sub = frag && !strncmp(frag, "#subdirectory=", 14) ? frag + 14 : NULL;
		size_t sl = sub ? strcspn(sub, "&") : 0;
		if ((sub == NULL) != (d->subdirectory == NULL) ||
		    (sub && (sl != strlen(d->subdirectory) || strncmp(sub, d->subdirectory, sl))))
			continue;
		if (d->kind == DIRECTREF_VCS) {
			size_t bl = strlen(d->url);
			if (ul == bl + 41 && !strncmp(u, d->url, bl) && u[bl] == '@') {
				memcpy(commit, u + bl + 1, 40);
				commit[40] = 0;
				return;
			}
		} else if (ul == strlen(d->url) && !strncmp(u, d->url, ul)) {
			*sha = pins->direct[i].sha256;
			return;
		}
	}
}

static bool marker_on(const struct marker *m, const struct marker_env *env)
{
	if (!m || !env)
		return true;
	struct marker_env e = *env;
	e.vars[MARKER_VAR_EXTRA] = "";
	struct ab_err err = AB_ERR_INIT;
	int r = marker_evaluate(m, &e, &err);
	ab_err_release(&err);
	return r > 0;
}

static bool same_source(const struct directref *a, const struct directref *b)
{
	if (strcmp(a->url, b->url))
		return false;
	if ((a->subdirectory == NULL) != (b->subdirectory == NULL) ||
	    (a->subdirectory && strcmp(a->subdirectory, b->subdirectory)))
		return false;
	if (a->kind == DIRECTREF_VCS)
		return !strcmp(a->commit, b->commit);
	return true;
}

int directref_set_prepare(struct directref_set *s, const struct directref_env *env,
			  const struct marker_env *env_markers, const struct lock_pins *pins,
			  struct ab_err *err)
{
	if (!s->priv)
		s->priv = ab_xcalloc(1, sizeof(*s->priv));
	struct directref_set_priv *p = s->priv;
	s->active = ab_xcalloc(s->n + 1, sizeof(*s->active));
	s->direct = ab_xcalloc(s->n + 1, sizeof(*s->direct));
	s->reqs = ab_xcalloc(s->n + 1, sizeof(*s->reqs));
	p->versions = ab_xcalloc(s->n + 1, sizeof(*p->versions));
	p->cands = ab_xcalloc(s->n + 1, sizeof(*p->cands));
	p->mds = ab_xcalloc(s->n + 1, sizeof(*p->mds));
	int r = 0;
	for (size_t i = 0; i < s->n && r >= 0; i++) {
		struct directref *d = &s->v[i];
		if (!marker_on(d->marker, env_markers))
			continue;
		char commit[41];
		struct directref_env e = *env;
		locked_for(d, pins, commit, &e.locked_sha256);
		if (commit[0])
			e.locked_commit = commit;
		r = directref_prepare(d, &e, err);
		if (r < 0)
			break;
		/* one project, one artifact (pip: "Cannot install x and x
		 * because these package versions have conflicting dependencies";
		 * uv: "Requirements contain conflicting URLs for package") */
		struct directref *first = directref_set_find(s, d->name);
		if (first && !same_source(first, d)) {
			struct ab_buf a = AB_BUF_INIT, b = AB_BUF_INIT;
			directref_lock_url(first, &a);
			directref_lock_url(d, &b);
			r = ab_err_at(err, AB_E_RESOLVE,
				      &(struct ab_loc){ d->file, d->line, d->col },
				      "conflicting direct references for '%s': '%s' and '%s'",
				      d->name, a.buf, b.buf);
			ab_err_note(err, "the first is at %s:%u", first->file, first->line);
			ab_buf_release(&a);
			ab_buf_release(&b);
			break;
		}
		struct ab_buf q = AB_BUF_INIT;
		ab_buf_adds(&q, d->name);
		for (size_t k = 0; k < d->nextras; k++)
			ab_buf_addf(&q, "%s%s", k ? "," : "[", d->extras[k]);
		ab_buf_addf(&q, "%s @ %s", d->nextras ? "]" : "", d->url);
		if (d->marker) {
			ab_buf_adds(&q, " ; ");
			marker_format(d->marker, &q);
		}
		free(d->req);
		d->req = ab_buf_detach(&q);
		s->reqs[s->n_active] = d->req;
		if (!first) {
			size_t k = s->ndirect++;
			p->versions[k] = pep440_version_new(d->version);
			p->cands[k] = (struct resolve_candidate){ d->version, p->versions[k],
								  false,      d->requires_python,
								  true,	      false };
			p->mds[k] = (struct resolve_metadata){ d->requires, d->nrequires,
							       d->extras_provided,
							       d->nextras_provided };
			s->direct[k] = (struct resolve_direct){ d->name, d->url, d->version };
		}
		s->active[s->n_active++] = first ? first : d;
	}
	return r;
}

struct directref *directref_set_find(const struct directref_set *s, const char *name)
{
	for (size_t i = 0; name && i < s->n_active; i++)
		if (s->active[i]->name && !strcmp(s->active[i]->name, name))
			return s->active[i];
	return NULL;
}

static long find_index(const struct directref_set *s, const char *name)
{
	for (size_t i = 0; i < s->ndirect; i++)
		if (!strcmp(s->direct[i].name, name))
			return (long)i;
	return -1;
}

static int set_list_versions(void *data, const char *name, const struct resolve_candidate **out,
			     size_t *n, struct ab_err *err)
{
	struct directref_set *s = data;
	long i = find_index(s, name);
	if (i < 0)
		return s->priv->inner->list_versions(s->priv->inner->data, name, out, n, err);
	/* index candidates never replace a direct reference (pip, uv) */
	*out = &s->priv->cands[i];
	*n = 1;
	return 1;
}

static int set_get_metadata(void *data, const char *name, const struct resolve_candidate *c,
			    struct resolve_metadata *out, struct ab_err *err)
{
	struct directref_set *s = data;
	long i = find_index(s, name);
	if (i < 0)
		return s->priv->inner->get_metadata(s->priv->inner->data, name, c, out, err);
	*out = s->priv->mds[i];
	return 0;
}

static void set_prefetch(void *data, const char *name, const struct resolve_candidate *c)
{
	struct directref_set *s = data;
	if (find_index(s, name) < 0 && s->priv->inner->prefetch)
		s->priv->inner->prefetch(s->priv->inner->data, name, c);
}

void directref_set_provider(struct directref_set *s, const struct resolve_provider *inner,
			    struct resolve_provider *out)
{
	if (!s->priv)
		s->priv = ab_xcalloc(1, sizeof(*s->priv));
	s->priv->inner = inner;
	*out = (struct resolve_provider){ s, set_list_versions, set_get_metadata, set_prefetch };
}

void directref_set_release(struct directref_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		directref_release(&s->v[i]);
	free(s->v);
	if (s->priv) {
		for (size_t i = 0; i < s->ndirect; i++)
			pep440_version_free(s->priv->versions[i]);
		free(s->priv->versions);
		free(s->priv->cands);
		free(s->priv->mds);
		free(s->priv);
	}
	free(s->active);
	free(s->direct);
	free(s->reqs);
	*s = (struct directref_set)DIRECTREF_SET_INIT;
}
