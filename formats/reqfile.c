/* reqfile.c - pip requirements files, as pip 23.0.1's req/req_file.py reads them.
 *
 * The pipeline is pip's: decode, splitlines, join_lines, ignore_comments,
 * expand_env_variables, break_args_options, shlex.split, optparse, then
 * handle_line (finder state) and _parse_and_recurse (includes); the shlex
 * split and the optparse step are reqopts.c. Every byte of a
 * logical line carries its offset in the file ("origin"), so an error deep in a
 * joined and expanded line still points at the physical line and column. */
#include "formats/reqfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/mem.h"
#include "formats/names.h"
#include "formats/reqopts.h"

#define PYPI_SIMPLE "https://pypi.org/simple"
/* pip has no cycle check (it recurses until RecursionError); a cycle through
 * symlinks escapes the lexical check below, so nesting is bounded too. */
#define MAX_DEPTH 64

/* ---- small helpers ---------------------------------------------------- */

/* Length of the Python str.isspace() character at p, 0 if none. Python's
 * str.strip() and the re module's \s (on str) use exactly this set. */
static size_t uspace(const char *sp, const char *send)
{
	const unsigned char *p = (const unsigned char *)sp, *end = (const unsigned char *)send;
	size_t left = (size_t)(end - p);
	if (!left)
		return 0;
	unsigned char c = p[0];
	if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20))
		return 1;
	if (c == 0xc2 && left >= 2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (left < 3)
		return 0;
	if (c == 0xe1 && p[1] == 0x9a && p[2] == 0x80) /* U+1680 */
		return 3;
	if (c == 0xe2 && p[1] == 0x80 &&
	    ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
		return 3;
	if (c == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) /* U+205F */
		return 3;
	if (c == 0xe3 && p[1] == 0x80 && p[2] == 0x80) /* U+3000 */
		return 3;
	return 0;
}

/* Length of the whitespace character that ends at `end` (0 if none). */
static size_t uspace_back(const char *start, const char *end)
{
	size_t n = (size_t)(end - start);
	for (size_t k = 1; k <= 3 && k <= n; k++) {
		size_t w = uspace(end - k, end);
		if (w == k)
			return k;
	}
	return 0;
}

/* Length of the str.splitlines() line break at p, 0 if none. */
static size_t linebreak(const char *sp, const char *send)
{
	const unsigned char *p = (const unsigned char *)sp, *end = (const unsigned char *)send;
	size_t left = (size_t)(end - p);
	unsigned char c = p[0];
	if (c == '\r')
		return left >= 2 && p[1] == '\n' ? 2 : 1;
	if (c == '\n' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e)
		return 1;
	if (c == 0xc2 && left >= 2 && p[1] == 0x85)
		return 2;
	if (c == 0xe2 && left >= 3 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

/* Offset of the first invalid byte of strict UTF-8 (as Python's decoder:
 * no overlongs, no surrogates, nothing past U+10FFFF), or `len`. */
static size_t utf8_invalid(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned char lo = 0x80, hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return i;
		if (len - i <= n)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

void reqfile_strlist_add(struct ab_arena *a, struct reqfile_strlist *l, char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		char **v = ab_arena_alloc(a, cap * sizeof(*v));
		if (l->n)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
}

static bool strlist_has(const struct reqfile_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

/* ---- paths (posixpath semantics) --------------------------------------- */

/* posixpath.dirname */
static struct ab_str path_dirname(const char *p)
{
	const char *slash = strrchr(p, '/');
	if (!slash)
		return ab_str_make(p, 0);
	size_t n = (size_t)(slash - p) + 1;
	size_t k = n;
	while (k > 0 && p[k - 1] == '/')
		k--;
	if (k == 0) /* all slashes: kept */
		return ab_str_make(p, n);
	return ab_str_make(p, k);
}

/* posixpath.join(a, b) for one component */
static void path_join(struct ab_buf *out, struct ab_str a, struct ab_str b)
{
	if (b.len && b.ptr[0] == '/') {
		ab_buf_addstr(out, b);
		return;
	}
	ab_buf_addstr(out, a);
	if (a.len && a.ptr[a.len - 1] != '/')
		ab_buf_addc(out, '/');
	ab_buf_addstr(out, b);
}

/* posixpath.normpath (appends) */
static void path_normpath(struct ab_buf *out, struct ab_str p)
{
	if (!p.len) {
		ab_buf_addc(out, '.');
		return;
	}
	size_t initial = 0;
	if (p.ptr[0] == '/') {
		initial = 1;
		if (p.len >= 2 && p.ptr[1] == '/' && !(p.len >= 3 && p.ptr[2] == '/'))
			initial = 2;
	}
	size_t base = out->len;
	for (size_t k = 0; k < initial; k++)
		ab_buf_addc(out, '/');
	size_t root = out->len;
	size_t ncomp = 0; /* components that can be popped */
	size_t i = 0;
	while (i < p.len) {
		while (i < p.len && p.ptr[i] == '/')
			i++;
		size_t s = i;
		while (i < p.len && p.ptr[i] != '/')
			i++;
		struct ab_str c = ab_str_make(p.ptr + s, i - s);
		if (!c.len || ab_str_eq_cstr(c, "."))
			continue;
		if (ab_str_eq_cstr(c, "..")) {
			if (ncomp) {
				/* drop the last component */
				size_t e = out->len;
				while (e > root && out->buf[e - 1] != '/')
					e--;
				if (e > root)
					e--;
				ab_buf_truncate(out, e);
				ncomp--;
				continue;
			}
			if (initial)
				continue;
		} else {
			ncomp++;
		}
		if (out->len > root)
			ab_buf_addc(out, '/');
		ab_buf_addstr(out, c);
		if (ab_str_eq_cstr(c, ".."))
			root = out->len; /* leading '..' stay */
	}
	if (out->len == base)
		ab_buf_addc(out, '.');
}

/* SCHEME_RE: ^(http|https|file): (case-insensitive) */
static bool has_fetch_scheme(const char *s)
{
	return !strncasecmp(s, "http:", 5) || !strncasecmp(s, "https:", 6) ||
	       !strncasecmp(s, "file:", 5);
}

/* ---- the default I/O: the file system ---------------------------------- */

static int fs_read(void *data, const char *path, struct ab_buf *out)
{
	(void)data;
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno ? errno : EIO;
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return EISDIR;
	}
	char tmp[65536];
	size_t n;
	int r = 0;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		ab_buf_add(out, tmp, n);
	if (ferror(f))
		r = errno ? errno : EIO;
	fclose(f);
	return r;
}

static bool fs_exists(void *data, const char *path)
{
	(void)data;
	struct stat st;
	return stat(path, &st) == 0;
}

static const struct reqfile_io fs_io = { fs_read, fs_exists, NULL };

static const char *env_getenv(void *data, const char *name)
{
	(void)data;
	return getenv(name);
}

/* ---- parser state ------------------------------------------------------ */

static void lline_reserve(struct reqfile_lline *l, size_t extra)
{
	if (l->len + extra <= l->cap)
		return;
	size_t cap = l->cap ? l->cap : 128;
	while (cap < l->len + extra)
		cap *= 2;
	l->c = ab_xrealloc(l->c, cap);
	l->o = ab_xrealloc(l->o, cap * sizeof(*l->o));
	l->cap = cap;
}

/* Append n bytes; their origins are `origin`+k, or all `origin` if `fixed`. */
void reqfile_lline_add(struct reqfile_lline *l, const char *p, size_t n, size_t origin,
		       bool fixed)
{
	if (!n)
		return;
	lline_reserve(l, n);
	memcpy(l->c + l->len, p, n);
	for (size_t k = 0; k < n; k++)
		l->o[l->len + k] = fixed ? origin : origin + k;
	l->len += n;
}

static void lline_free(struct reqfile_lline *l)
{
	free(l->c);
	free(l->o);
}

/* 1-based line and column of file offset `off`. */
static struct ab_loc src_loc(const struct reqfile_src *s, size_t off)
{
	size_t lo = 0, hi = s->nstarts;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	size_t st = s->nstarts ? s->starts[lo] : 0;
	return (struct ab_loc){ s->name, (unsigned)(lo + 1), (unsigned)(off - st + 1) };
}

int reqfile_verr_at(struct reqfile_parser *ps, const struct reqfile_src *s, size_t off, int code,
		    const char *fmt, va_list ap)
{
	if (ps->err && ps->err->code)
		return -ps->err->code;
	struct ab_buf msg = AB_BUF_INIT;
	ab_buf_vaddf(&msg, fmt, ap);
	struct ab_loc loc = src_loc(s, off);
	int r = ab_err_at(ps->err, code, &loc, "%s", msg.buf);
	ab_buf_release(&msg);
	for (const struct reqfile_src *p = s; p->parent; p = p->parent)
		ab_err_note(ps->err, "included from %s:%u", p->parent->name, p->parent_line);
	return r;
}

static int err_at(struct reqfile_parser *ps, const struct reqfile_src *s, size_t off, int code,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int err_at(struct reqfile_parser *ps, const struct reqfile_src *s, size_t off, int code,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = reqfile_verr_at(ps, s, off, code, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- --trusted-host values ------------------------------------------------ */

/* parse_netloc(): urlparse("https://" + host).hostname, .port */
static int trusted_host_parse(struct reqfile_parser *ps, const struct reqfile_src *s, size_t off,
			      const char *spec, struct reqfile_trusted_host *out)
{
	struct ab_arena *a = &ps->rf->arena;
	size_t n = strlen(spec);
	/* build_url_from_netloc: a bare IPv6 address gets brackets */
	size_t colons = 0;
	for (size_t i = 0; i < n; i++)
		colons += spec[i] == ':';
	bool bare6 = colons >= 2 && !strchr(spec, '@') && !strchr(spec, '[');
	/* urlsplit: the netloc ends at the first '/', '?' or '#' */
	size_t nl = bare6 ? n : strcspn(spec, "/?#");
	struct ab_str netloc = ab_str_make(spec, nl);
	/* hostinfo = netloc.rpartition('@')[2] */
	for (size_t i = nl; i > 0; i--)
		if (spec[i - 1] == '@') {
			netloc = ab_str_make(spec + i, nl - i);
			break;
		}
	struct ab_str host, port = AB_STR_NULL;
	long br = bare6 ? -1 : ab_str_chr(netloc, '[');
	if (bare6) {
		host = netloc;
	} else if (br >= 0) {
		struct ab_str rest = ab_str_skip(netloc, (size_t)br + 1);
		long cl = ab_str_chr(rest, ']');
		host = cl >= 0 ? ab_str_make(rest.ptr, (size_t)cl) : rest;
		if (cl >= 0) {
			struct ab_str after = ab_str_skip(rest, (size_t)cl + 1);
			long c2 = ab_str_chr(after, ':');
			if (c2 >= 0)
				port = ab_str_skip(after, (size_t)c2 + 1);
		}
	} else {
		long c = ab_str_chr(netloc, ':');
		host = c >= 0 ? ab_str_make(netloc.ptr, (size_t)c) : netloc;
		if (c >= 0)
			port = ab_str_skip(netloc, (size_t)c + 1);
	}
	if (!host.len)
		return err_at(ps, s, off, AB_E_PARSE, "trusted host '%s' has no host part", spec);
	out->port = -1;
	if (port.len) {
		long v = 0;
		for (size_t i = 0; i < port.len; i++) {
			if (port.ptr[i] < '0' || port.ptr[i] > '9' || v > 65535)
				return err_at(ps, s, off, AB_E_PARSE,
					      "invalid port in trusted host '%s'", spec);
			v = v * 10 + (port.ptr[i] - '0');
		}
		if (v > 65535)
			return err_at(ps, s, off, AB_E_PARSE,
				      "port out of range 0-65535 in trusted host '%s'", spec);
		out->port = (int)v;
	}
	char *h = ab_arena_strdup_str(a, host);
	/* .hostname lowercases the part before any '%' zone */
	for (char *q = h; *q && *q != '%'; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);
	out->host = h;
	return 0;
}

/* ---- requirement classification --------------------------------------- */

static const char *const vcs_schemes[] = {
	"git",	     "git+http", "git+https", "git+ssh", "git+git",	   "git+file",
	"hg+file",   "hg+http",	 "hg+https",  "hg+ssh",	 "hg+static-http", "svn",
	"svn+ssh",   "svn+http", "svn+https", "svn+svn", "svn+file",	   "bzr+http",
	"bzr+https", "bzr+ssh",	 "bzr+sftp",  "bzr+ftp", "bzr+lp",	   "bzr+file",
};

static const char *const archive_exts[] = {
	".whl", ".zip",	   ".tar.gz", ".tgz", ".tar",	 ".tar.bz2",
	".tbz", ".tar.xz", ".txz",    ".tlz", ".tar.lz", ".tar.lzma",
};

/* pip's get_url_scheme + is_url: 1 URL, 2 VCS, 0 neither */
static int url_kind(struct ab_str t)
{
	long c = ab_str_chr(t, ':');
	if (c < 0)
		return 0;
	struct ab_str sch = ab_str_make(t.ptr, (size_t)c);
	if (ab_str_ieq_cstr(sch, "http") || ab_str_ieq_cstr(sch, "https") ||
	    ab_str_ieq_cstr(sch, "file") || ab_str_ieq_cstr(sch, "ftp"))
		return 1;
	for (size_t i = 0; i < AB_ARRAY_SIZE(vcs_schemes); i++)
		if (ab_str_ieq_cstr(sch, vcs_schemes[i]))
			return 2;
	return 0;
}

static bool looks_like_path(struct ab_str t)
{
	return ab_str_chr(t, '/') >= 0 || (t.len && t.ptr[0] == '.');
}

static bool is_archive(struct ab_str t)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(archive_exts); i++) {
		size_t n = strlen(archive_exts[i]);
		if (t.len >= n && !strncasecmp(t.ptr + t.len - n, archive_exts[i], n))
			return true;
	}
	return false;
}

/* Classify and (optionally strictly) parse l->requirement, whose first byte
 * sits at origins[0..]. */
static int classify(struct reqfile_parser *ps, const struct reqfile_src *s, struct reqfile_line *l,
		    const size_t *origins)
{
	struct ab_arena *a = &ps->rf->arena;
	bool strict = ps->flags & REQFILE_STRICT;
	struct ab_str text = ab_str_from(l->requirement);
	struct ab_str t = ab_str_trim(text);
	int uk = url_kind(t);
	if (uk == 0) {
		long at = ab_str_chr(t, '@');
		bool named = at >= 0 && !looks_like_path(ab_str_make(t.ptr, (size_t)at));
		if (named || !(looks_like_path(t) || is_archive(t))) {
			l->req_kind = REQFILE_REQ_PEP508;
			struct ab_err e = AB_ERR_INIT;
			struct pep508_req *req = ab_xcalloc(1, sizeof(*req));
			if (pep508_parse(text, req, &e) < 0) {
				pep508_release(req);
				free(req);
				int r = 0;
				if (strict) {
					size_t col = e.col ? e.col - 1 : 0;
					size_t off = col < text.len
							     ? origins[col]
							     : origins[text.len ? text.len - 1 : 0];
					r = err_at(ps, s, off, AB_E_PARSE,
						   "invalid requirement '%s': %s", l->requirement,
						   e.msg.buf);
				}
				ab_err_release(&e);
				return r;
			}
			ab_err_release(&e);
			l->req = req;
			return 0;
		}
	}
	l->req_kind = uk == 1 ? REQFILE_REQ_URL : uk == 2 ? REQFILE_REQ_VCS : REQFILE_REQ_PATH;
	/* parse_req_from_line: URLs split their marker at "; ", others at ';' */
	const char *sep = uk ? "; " : ";";
	const char *m = strstr(l->requirement, sep);
	struct ab_str loc = m ? ab_str_make(l->requirement, (size_t)(m - l->requirement)) : text;
	loc = ab_str_trim(loc);
	l->url = ab_arena_strdup_str(a, loc);
	/* Link._egg_fragment_re: [#&]egg=([^&]*) */
	for (size_t i = 0; i + 5 <= loc.len; i++) {
		if ((loc.ptr[i] == '#' || loc.ptr[i] == '&') &&
		    !strncmp(loc.ptr + i + 1, "egg=", 4)) {
			size_t st = i + 5, e = st;
			while (e < loc.len && loc.ptr[e] != '&')
				e++;
			l->egg = ab_arena_strndup(a, loc.ptr + st, e - st);
			break;
		}
	}
	if (m) {
		size_t moff = (size_t)(m - l->requirement) + strlen(sep);
		struct ab_str ms = ab_str_make(l->requirement + moff, text.len - moff);
		size_t lead = ms.len - ab_str_ltrim(ms).len;
		ms = ab_str_trim(ms);
		if (ms.len) {
			struct ab_err e = AB_ERR_INIT;
			if (marker_parse(ms, &l->marker, &e) < 0) {
				l->marker = NULL;
				int r = 0;
				if (strict) {
					size_t col = moff + lead + (e.col ? e.col - 1 : 0);
					if (col >= text.len)
						col = text.len - 1;
					r = err_at(ps, s, origins[col], AB_E_PARSE,
						   "invalid marker in '%s': %s", l->requirement,
						   e.msg.buf);
				}
				ab_err_release(&e);
				return r;
			}
		}
	}
	return 0;
}

/* ---- driving a file ----------------------------------------------------- */

static int parse_src(struct reqfile_parser *ps, struct reqfile_src *s);

static struct reqfile_line *new_line(struct reqfile *rf)
{
	if (rf->nlines == rf->cap)
		AB_GROW(rf->lines, rf->cap, rf->nlines + 1);
	struct reqfile_line *l = &rf->lines[rf->nlines++];
	memset(l, 0, sizeof(*l));
	return l;
}

/* handle_option_line(): the finder, session and options after one line. */
static int handle_option_line(struct reqfile_parser *ps, const struct reqfile_src *s,
			      const struct reqfile_line *l, size_t origin)
{
	struct reqfile_finder *f = &ps->rf->finder;
	struct ab_arena *a = &ps->rf->arena;
	const struct reqfile_lineopts *o = &l->opts;
	if (o->require_hashes)
		f->require_hashes = true;
	for (size_t i = 0; i < ps->features_seen.n; i++)
		if (!strlist_has(&f->features_enabled, ps->features_seen.v[i]))
			reqfile_strlist_add(a, &f->features_enabled, ps->features_seen.v[i]);
	if (o->no_index) {
		f->no_index = true;
		f->index_urls.n = 0;
	}
	if (o->index_url && o->index_url[0] && !f->no_index) {
		f->index_urls.n = 0;
		reqfile_strlist_add(a, &f->index_urls, o->index_url);
	}
	if (!f->no_index)
		for (size_t i = 0; i < o->extra_index_urls.n; i++)
			reqfile_strlist_add(a, &f->index_urls, o->extra_index_urls.v[i]);
	if (o->find_links.n) {
		/* only the first -f of a line counts; a path that exists next to
		 * the requirements file is joined to its directory */
		const char *value = o->find_links.v[0];
		struct ab_buf absf = AB_BUF_INIT, tmp = AB_BUF_INIT, rel = AB_BUF_INIT;
		path_join(&tmp, ab_str_from(ps->cwd), ab_str_from(s->name));
		path_normpath(&absf, ab_buf_str(&tmp));
		path_join(&rel, path_dirname(absf.buf), ab_str_from(value));
		if (ps->io->exists && ps->io->exists(ps->io->data, rel.buf))
			value = ab_arena_strdup(a, rel.buf);
		reqfile_strlist_add(a, &f->find_links, (char *)value);
		ab_buf_release(&absf);
		ab_buf_release(&tmp);
		ab_buf_release(&rel);
	}
	if (o->pre)
		f->allow_all_prereleases = true;
	if (o->prefer_binary)
		f->prefer_binary = true;
	for (size_t i = 0; i < o->trusted_hosts.n; i++) {
		struct reqfile_trusted_host th;
		int r = trusted_host_parse(ps, s, origin, o->trusted_hosts.v[i], &th);
		if (r < 0)
			return r;
		bool dup = false;
		for (size_t k = 0; k < f->ntrusted_hosts; k++)
			dup |= !strcmp(f->trusted_hosts[k].host, th.host) &&
			       f->trusted_hosts[k].port == th.port;
		if (dup)
			continue;
		if (!(f->ntrusted_hosts & (f->ntrusted_hosts - 1)) || !f->trusted_hosts) {
			size_t cap = f->ntrusted_hosts ? f->ntrusted_hosts * 2 : 2;
			struct reqfile_trusted_host *h = ab_arena_alloc(a, cap * sizeof(*h));
			if (f->ntrusted_hosts)
				memcpy(h, f->trusted_hosts, f->ntrusted_hosts * sizeof(*h));
			f->trusted_hosts = h;
		}
		f->trusted_hosts[f->ntrusted_hosts++] = th;
	}
	if (o->nhashes) {
		struct ab_loc loc = src_loc(s, origin);
		ab_warn(ps->out, &loc, "'--hash' on a line without a requirement is ignored");
	}
	return 0;
}

static int include_file(struct reqfile_parser *ps, struct reqfile_src *s, const char *value,
			size_t vorigin, unsigned lineno, bool constraint)
{
	struct ab_arena *a = &ps->rf->arena;
	if (ps->flags & REQFILE_NO_INCLUDES)
		return err_at(ps, s, vorigin, AB_E_PARSE,
			      "includes ('-r'/'-c') are not allowed here");
	if (has_fetch_scheme(value) || has_fetch_scheme(s->name))
		return err_at(ps, s, vorigin, AB_E_UNSUPPORTED,
			      "remote requirements file '%s' is not supported", value);
	struct ab_buf path = AB_BUF_INIT;
	path_join(&path, path_dirname(s->name), ab_str_from(value));
	struct reqfile_src sub = { 0 };
	sub.name = ab_arena_strdup(a, path.buf);
	sub.constraint = constraint;
	sub.parent = s;
	sub.parent_line = lineno;
	ab_buf_release(&path);
	/* pip would recurse forever: a cycle is an error naming the chain */
	struct ab_buf key = AB_BUF_INIT, tmp = AB_BUF_INIT;
	path_join(&tmp, ab_str_from(ps->cwd), ab_str_from(sub.name));
	path_normpath(&key, ab_buf_str(&tmp));
	ab_buf_release(&tmp);
	sub.key = ab_buf_detach(&key);
	for (struct reqfile_src *p = s; p; p = p->parent) {
		if (strcmp(p->key, sub.key))
			continue;
		struct ab_buf chain = AB_BUF_INIT;
		const struct reqfile_src *stack[MAX_DEPTH + 2];
		size_t n = 0;
		for (const struct reqfile_src *q = s; q && n < MAX_DEPTH + 1; q = q->parent) {
			stack[n++] = q;
			if (q == p)
				break;
		}
		while (n)
			ab_buf_addf(&chain, "'%s' -> ", stack[--n]->name);
		ab_buf_addf(&chain, "'%s'", sub.name);
		int r = err_at(ps, s, vorigin, AB_E_PARSE,
			       "requirements files include each other: %s", chain.buf);
		ab_buf_release(&chain);
		free(sub.key);
		return r;
	}
	if (ps->depth >= MAX_DEPTH) {
		free(sub.key);
		return err_at(ps, s, vorigin, AB_E_PARSE,
			      "requirements files nested more than %d deep", MAX_DEPTH);
	}
	struct ab_buf content = AB_BUF_INIT;
	int e = ps->io->read(ps->io->data, sub.name, &content);
	int r;
	if (e) {
		const char *why = strerror(e);
		r = err_at(ps, s, vorigin, AB_E_IO, "could not open requirements file '%s': %c%s",
			   sub.name, why[0] >= 'A' && why[0] <= 'Z' ? why[0] + 32 : why[0],
			   why + 1);
	} else {
		sub.text = content.buf;
		sub.len = content.len;
		ps->depth++;
		r = parse_src(ps, &sub);
		ps->depth--;
	}
	ab_buf_release(&content);
	free(sub.key);
	return r;
}

/* One logical line (ps->line): comments and whitespace already stripped. */
static int handle_logical(struct reqfile_parser *ps, struct reqfile_src *s, unsigned lineno)
{
	struct reqfile_lline *ln = &ps->line;
	struct reqfile *rf = ps->rf;
	struct ab_arena *a = &rf->arena;

	/* expand_env_variables: findall on the line, then str.replace() of each
	 * found ${NAME} in turn (so a value may itself be replaced later) */
	if (memchr(ln->c, '$', ln->len)) {
		struct span {
			size_t off, len;
		} *found = NULL;
		size_t nfound = 0, fcap = 0;
		for (size_t i = 0; i + 3 < ln->len; i++) {
			if (ln->c[i] != '$' || ln->c[i + 1] != '{')
				continue;
			size_t k = i + 2;
			while (k < ln->len &&
			       ((ln->c[k] >= 'A' && ln->c[k] <= 'Z') ||
				(ln->c[k] >= '0' && ln->c[k] <= '9') || ln->c[k] == '_'))
				k++;
			if (k > i + 2 && k < ln->len && ln->c[k] == '}') {
				if (nfound == fcap)
					AB_GROW(found, fcap, nfound + 1);
				found[nfound].off = i;
				found[nfound++].len = k + 1 - i;
				i = k;
			}
		}
		struct ab_buf var = AB_BUF_INIT, name = AB_BUF_INIT;
		/* keep the found texts: the line changes under us */
		size_t *vo = ab_xmalloc((nfound + 1) * sizeof(*vo));
		for (size_t f = 0; f < nfound; f++) {
			vo[f] = var.len;
			ab_buf_add(&var, ln->c + found[f].off, found[f].len);
		}
		vo[nfound] = var.len;
		for (size_t f = 0; f < nfound; f++) {
			const char *vt = var.buf + vo[f];
			size_t vl = vo[f + 1] - vo[f];
			ab_buf_reset(&name);
			ab_buf_add(&name, vt + 2, vl - 3);
			const char *val = ps->getenv(ps->getenv_data, name.buf);
			if (!val || !*val)
				continue;
			size_t valn = strlen(val);
			ps->tmp.len = 0;
			size_t i = 0;
			while (i < ln->len) {
				if (i + vl <= ln->len && !memcmp(ln->c + i, vt, vl)) {
					reqfile_lline_add(&ps->tmp, val, valn, ln->o[i], true);
					i += vl;
				} else {
					reqfile_lline_add(&ps->tmp, ln->c + i, 1, ln->o[i], false);
					i++;
				}
			}
			struct reqfile_lline sw = *ln;
			*ln = ps->tmp;
			ps->tmp = sw;
		}
		free(vo);
		free(found);
		ab_buf_release(&var);
		ab_buf_release(&name);
	}
	lline_reserve(ln, 1);
	ln->c[ln->len] = '\0';

	/* break_args_options: the requirement is every space-separated token
	 * before the first one that starts with '-' */
	size_t optat = ln->len, reqlen = ln->len;
	for (size_t i = 0; i < ln->len; i++)
		if (ln->c[i] == '-' && (i == 0 || ln->c[i - 1] == ' ')) {
			optat = i;
			reqlen = i ? i - 1 : 0;
			break;
		}

	int r = reqopts_shlex_split(ps, s, ln, optat);
	if (r < 0)
		return r;
	struct reqfile_lineopts opts = { 0 };
	r = reqopts_parse(ps, s, &opts);
	if (r < 0)
		return r;

	size_t origin0 = ln->len ? ln->o[0] : 0;
	if (!reqlen && !opts.editables.n && (opts.requirements.n || opts.constraints.n)) {
		/* _parse_and_recurse: -r wins over -c; only the first of each */
		bool c = !opts.requirements.n;
		const char *v = c ? opts.constraints.v[0] : opts.requirements.v[0];
		/* point at the value: find it among the tokens */
		size_t vorigin = origin0;
		for (size_t t = 0; t < ps->ntoks; t++)
			if (!strcmp(reqopts_tok_str(ps, t), v) ||
			    (ps->toks[t].len > strlen(v) &&
			     !strcmp(reqopts_tok_str(ps, t) + ps->toks[t].len - strlen(v), v))) {
				vorigin = reqopts_tok_origin(ps, t, ps->toks[t].len - strlen(v));
				break;
			}
		return include_file(ps, s, v, vorigin, lineno, c);
	}

	struct reqfile_line *l = new_line(rf);
	l->file = s->name;
	l->lineno = lineno;
	l->constraint = s->constraint;
	l->opts = opts;
	struct ab_loc at = src_loc(s, origin0);
	l->col = at.line == lineno ? at.col : 1;
	if (reqlen) {
		l->kind = REQFILE_REQUIREMENT;
		l->requirement = ab_arena_strndup(a, ln->c, reqlen);
		return classify(ps, s, l, ln->o);
	}
	if (opts.editables.n) {
		l->kind = REQFILE_EDITABLE;
		l->requirement = opts.editables.v[0];
		size_t vorigin = origin0;
		for (size_t t = 0; t < ps->ntoks; t++) {
			size_t n = strlen(l->requirement), tl = ps->toks[t].len;
			if (tl >= n && !strcmp(reqopts_tok_str(ps, t) + tl - n, l->requirement)) {
				vorigin = reqopts_tok_origin(ps, t, tl - n);
				break;
			}
		}
		at = src_loc(s, vorigin);
		if (at.line == lineno)
			l->col = at.col;
		/* editables are paths or VCS URLs; their per-requirement options
		 * are dropped by pip (handle_requirement_line) */
		size_t *o = ab_xmalloc((strlen(l->requirement) + 1) * sizeof(*o));
		for (size_t k = 0; k <= strlen(l->requirement); k++)
			o[k] = vorigin + k;
		r = classify(ps, s, l, o);
		free(o);
		return r;
	}
	l->kind = REQFILE_OPTIONS;
	return handle_option_line(ps, s, l, origin0);
}

/* ignore_comments + hand the line on (ps->join holds the joined line). */
static int emit_joined(struct reqfile_parser *ps, struct reqfile_src *s, unsigned lineno)
{
	struct reqfile_lline *j = &ps->join;
	if (!j->len)
		return 0;
	const char *c = j->c, *end = j->c + j->len;
	/* COMMENT_RE.sub: '#' at the start or after whitespace ends the line */
	size_t cut = j->len;
	bool prev_ws = true;
	for (const char *p = c; p < end;) {
		if (*p == '#' && prev_ws) {
			cut = (size_t)(p - c);
			break;
		}
		size_t w = uspace(p, end);
		prev_ws = w > 0;
		p += w ? w : 1;
	}
	/* str.strip() */
	size_t b = 0, e = cut;
	while (b < e) {
		size_t w = uspace(c + b, c + e);
		if (!w)
			break;
		b += w;
	}
	while (e > b) {
		size_t w = uspace_back(c + b, c + e);
		if (!w)
			break;
		e -= w;
	}
	if (b == e)
		return 0;
	ps->line.len = 0;
	lline_reserve(&ps->line, e - b + 1);
	memcpy(ps->line.c, c + b, e - b);
	memcpy(ps->line.o, j->o + b, (e - b) * sizeof(*j->o));
	ps->line.len = e - b;
	return handle_logical(ps, s, lineno);
}

/* COMMENT_RE.match: optional whitespace, then '#' */
static bool is_comment_line(const char *p, const char *end)
{
	for (;;) {
		size_t w = uspace(p, end);
		if (!w)
			break;
		p += w;
	}
	return p < end && *p == '#';
}

/* auto_decode(): BOMs, then a "coding" declaration in the first two lines */
static int check_encoding(struct reqfile_parser *ps, struct reqfile_src *s)
{
	const unsigned char *u = (const unsigned char *)s->text;
	if (s->len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		s->text += 3;
		s->len -= 3;
		return 0;
	}
	if (s->len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff) ||
			    (s->len >= 4 && !u[0] && !u[1] && u[2] == 0xfe && u[3] == 0xff)))
		return ab_err_at(ps->err, AB_E_UNSUPPORTED, &(struct ab_loc){ s->name, 1, 1 },
				 "UTF-16 and UTF-32 requirements files are not supported");
	const char *p = s->text, *end = s->text + s->len;
	for (int n = 0; n < 2 && p < end; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (*p == '#') {
			/* ENCODING_RE = coding[:=]\s*([-\w.]+) */
			for (const char *q = p; q + 7 <= le; q++) {
				if (memcmp(q, "coding", 6) || (q[6] != ':' && q[6] != '='))
					continue;
				const char *v = q + 7;
				while (v < le && (*v == ' ' || (*v >= 9 && *v <= 13)))
					v++;
				const char *ve = v;
				while (ve < le && (*ve == '-' || *ve == '_' || *ve == '.' ||
						   (*ve >= '0' && *ve <= '9') ||
						   ((*ve | 32) >= 'a' && (*ve | 32) <= 'z')))
					ve++;
				if (ve == v)
					continue;
				char norm[32];
				size_t k = 0;
				for (const char *x = v; x < ve && k + 1 < sizeof(norm); x++)
					if (*x != '-' && *x != '_')
						norm[k++] = (char)(*x | 32);
				norm[k] = '\0';
				if (strcmp(norm, "utf8") && strcmp(norm, "ascii") &&
				    strcmp(norm, "usascii"))
					return ab_err_at(
						ps->err, AB_E_UNSUPPORTED,
						&(struct ab_loc){ s->name, (unsigned)n + 1,
								  (unsigned)(v - p) + 1 },
						"encoding '%.*s' is not supported (use UTF-8)",
						(int)(ve - v), v);
				break;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

static int parse_src(struct reqfile_parser *ps, struct reqfile_src *s)
{
	int r = check_encoding(ps, s);
	if (r < 0)
		return r;
	const char *text = s->text, *end = s->text + s->len;
	/* physical lines (str.splitlines) */
	struct {
		size_t s, e;
	} *phys = NULL;
	size_t nphys = 0, pcap = 0;
	for (const char *p = text; p < end;) {
		const char *q = p;
		size_t br = 0;
		while (q < end && !(br = linebreak(q, end)))
			q++;
		if (nphys == pcap)
			AB_GROW(phys, pcap, nphys + 1);
		phys[nphys].s = (size_t)(p - text);
		phys[nphys++].e = (size_t)(q - text);
		if (s->nstarts == s->cap)
			AB_GROW(s->starts, s->cap, s->nstarts + 1);
		s->starts[s->nstarts++] = (size_t)(p - text);
		p = q + br;
	}
	size_t bad = utf8_invalid((const unsigned char *)text, s->len);
	if (bad < s->len) {
		r = err_at(ps, s, bad, AB_E_PARSE, "invalid UTF-8 byte 0x%02x",
			   (unsigned char)text[bad]);
		goto out;
	}

	/* join_lines */
	struct reqfile_lline *j = &ps->join;
	bool pending = false;
	unsigned primary = 0;
	for (size_t i = 0; i < nphys && r >= 0; i++) {
		const char *ls = text + phys[i].s, *le = text + phys[i].e;
		bool bs = le > ls && le[-1] == '\\';
		bool comment = is_comment_line(ls, le);
		if (!bs || comment) {
			if (!pending)
				j->len = 0;
			if (comment) /* so the comment is always matched later */
				reqfile_lline_add(j, " ", 1, phys[i].s, true);
			reqfile_lline_add(j, ls, (size_t)(le - ls), phys[i].s, false);
			r = emit_joined(ps, s, pending ? primary : (unsigned)i + 1);
			pending = false;
		} else {
			if (!pending) {
				primary = (unsigned)i + 1;
				j->len = 0;
				pending = true;
			}
			/* line.strip("\\") */
			while (ls < le && *ls == '\\')
				ls++;
			while (le > ls && le[-1] == '\\')
				le--;
			reqfile_lline_add(j, ls, (size_t)(le - ls), (size_t)(ls - text), false);
		}
	}
	if (pending && r >= 0)
		r = emit_joined(ps, s, primary);
out:
	free(phys);
	free(s->starts);
	s->starts = NULL;
	s->nstarts = s->cap = 0;
	return r;
}

static int parse_entry(struct reqfile *rf, const char *name, const char *text, size_t len,
		       const struct reqfile_config *cfg, struct ab_err *err)
{
	struct reqfile_parser ps = { 0 };
	ps.rf = rf;
	ps.io = cfg && cfg->io ? cfg->io : &fs_io;
	ps.getenv = cfg && cfg->getenv ? cfg->getenv : env_getenv;
	ps.getenv_data = cfg ? cfg->getenv_data : NULL;
	ps.flags = cfg ? cfg->flags : 0;
	ps.out = cfg ? cfg->out : NULL;
	ps.err = err;
	char *cwd = NULL;
	if (cfg && cfg->cwd) {
		ps.cwd = cfg->cwd;
	} else {
		cwd = getcwd(NULL, 0);
		ps.cwd = cwd ? cwd : ".";
	}
	struct reqfile_src s = { 0 };
	s.name = ab_arena_strdup(&rf->arena, name);
	s.text = text;
	s.len = len;
	s.constraint = cfg && cfg->constraint;
	struct ab_buf key = AB_BUF_INIT, tmp = AB_BUF_INIT;
	path_join(&tmp, ab_str_from(ps.cwd), ab_str_from(name));
	path_normpath(&key, ab_buf_str(&tmp));
	ab_buf_release(&tmp);
	s.key = ab_buf_detach(&key);

	int r = parse_src(&ps, &s);

	free(s.key);
	free(cwd);
	lline_free(&ps.join);
	lline_free(&ps.line);
	lline_free(&ps.tmp);
	lline_free(&ps.tk);
	free(ps.toks);
	return r;
}

static void finder_init(struct reqfile *rf)
{
	memset(&rf->finder, 0, sizeof(rf->finder));
	reqfile_strlist_add(&rf->arena, &rf->finder.index_urls,
			    ab_arena_strdup(&rf->arena, PYPI_SIMPLE));
}

int reqfile_parse_buffer(struct reqfile *rf, const char *name, struct ab_str text,
			 const struct reqfile_config *cfg, struct ab_err *err)
{
	finder_init(rf);
	return parse_entry(rf, name, text.ptr ? text.ptr : "", text.len, cfg, err);
}

int reqfile_parse_file(struct reqfile *rf, const char *path, const struct reqfile_config *cfg,
		       struct ab_err *err)
{
	finder_init(rf);
	if (has_fetch_scheme(path))
		return ab_err_at(err, AB_E_UNSUPPORTED, &(struct ab_loc){ path, 0, 0 },
				 "remote requirements file '%s' is not supported", path);
	const struct reqfile_io *io = cfg && cfg->io ? cfg->io : &fs_io;
	struct ab_buf content = AB_BUF_INIT;
	int e = io->read(io->data, path, &content);
	int r;
	if (e) {
		const char *why = strerror(e);
		r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ path, 0, 0 },
			      "could not open requirements file: %c%s",
			      why[0] >= 'A' && why[0] <= 'Z' ? why[0] + 32 : why[0], why + 1);
	} else {
		r = parse_entry(rf, path, content.buf, content.len, cfg, err);
	}
	ab_buf_release(&content);
	return r;
}

void reqfile_release(struct reqfile *rf)
{
	for (size_t i = 0; i < rf->nlines; i++) {
		struct reqfile_line *l = &rf->lines[i];
		if (l->req) {
			pep508_release(l->req);
			free(l->req);
		}
		marker_free(l->marker);
	}
	free(rf->lines);
	ab_arena_release(&rf->arena);
	memset(rf, 0, sizeof(*rf));
}

void reqfile_comes_from(const struct reqfile_line *l, struct ab_buf *out)
{
	ab_buf_addf(out, "%s %s (line %u)", l->constraint ? "-c" : "-r", l->file, l->lineno);
}
