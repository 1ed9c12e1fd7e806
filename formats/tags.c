/* tags.c - PEP 425 wheel tags: parse_tag, sys_tags for a described target,
 * platform lists and tag ranking, following pypa/packaging 26.x (tags.py,
 * _manylinux.py, _musllinux.py). */
#include "formats/tags.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/core/hash.h"
#include "formats/core/mem.h"
#include "formats/core/unicode.h"

/* ---- parse_tag ---- */

void tag_set_release(struct tag_set *set)
{
	free(set->tags);
	set->tags = NULL;
	set->n = 0;
}

void tag_format(const struct tag *t, struct ab_buf *out)
{
	ab_buf_addf(out, "%s-%s-%s", t->interpreter, t->abi, t->platform);
}

struct part {
	size_t off, len; /* in the lowercased buffer */
};

/* Keeps the first of equal parts, in order; returns the new count. */
static size_t dedup(struct part *p, size_t n, const char *buf)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < k; j++)
			if (p[j].len == p[i].len && !memcmp(buf + p[j].off, buf + p[i].off, p[i].len))
				break;
		if (j == k)
			p[k++] = p[i];
	}
	return k;
}

int tags_parse(struct ab_str s, struct tag_set *out, struct ab_err *err)
{
	struct ab_loc loc = { NULL, 0, 1 };
	struct part small_parts[16], *parts = small_parts;
	char small_buf[512], *buf = small_buf;
	size_t nparts = 1, cnt[3] = { 0, 0, 0 };
	int r = 0;

	out->n = 0;
	out->tags = NULL;

	/* packaging splits on '-', then each component on '.', and first
	 * rejects any empty part (InvalidTag), then a count other than three */
	size_t ndash = 0, start = 0;
	for (size_t i = 0; i <= s.len; i++) {
		char c = i < s.len ? s.ptr[i] : '\0';
		if (i < s.len && c != '-' && c != '.')
			continue;
		if (i == start) {
			loc.col = (unsigned)i + 1;
			return ab_err_at(err, AB_E_PARSE, &loc, "empty component in tag '%.*s'",
					 AB_STR_ARG(s));
		}
		if (i < s.len) {
			nparts++;
			if (c == '-')
				ndash++;
		}
		start = i + 1;
	}
	if (ndash != 2) {
		loc.col = 1;
		return ab_err_at(err, AB_E_PARSE, &loc,
				 "tag '%.*s' must have exactly three components", AB_STR_ARG(s));
	}

	if (nparts > AB_ARRAY_SIZE(small_parts))
		parts = ab_xmalloc(nparts * sizeof(*parts));
	if (2 * s.len > sizeof(small_buf))
		buf = ab_xmalloc(2 * s.len);

	/* lowercase each part (packaging's Tag lowercases all three fields),
	 * after checking that each interpreter is an identifier */
	size_t o = 0, comp = 0, np = 0;
	start = 0;
	for (size_t i = 0; i <= s.len; i++) {
		char c = i < s.len ? s.ptr[i] : '\0';
		if (i < s.len && c != '-' && c != '.')
			continue;
		struct ab_str p = { s.ptr + start, i - start };
		size_t bad = 0;
		long n = ab_utf8_lower_into(p.ptr, p.len, buf + o, &bad);
		if (n < 0) {
			loc.col = (unsigned)(start + bad) + 1;
			r = ab_err_at(err, AB_E_PARSE, &loc, "tag '%.*s' is not valid utf-8 or holds a nul byte",
				      AB_STR_ARG(s));
			goto out;
		}
		if (comp == 0 && !ab_uni_is_identifier(p)) {
			loc.col = (unsigned)start + 1;
			r = ab_err_at(err, AB_E_PARSE, &loc,
				      "invalid interpreter '%.*s' in tag '%.*s'", AB_STR_ARG(p),
				      AB_STR_ARG(s));
			goto out;
		}
		parts[np].off = o;
		parts[np].len = (size_t)n;
		np++;
		cnt[comp]++;
		o += (size_t)n;
		if (c == '-')
			comp++;
		start = i + 1;
	}

	/* packaging counts the product before removing duplicates */
	if (cnt[0] * cnt[1] > TAGS_PARSE_LIMIT || cnt[0] * cnt[1] * cnt[2] > TAGS_PARSE_LIMIT) {
		loc.col = 1;
		r = ab_err_at(err, AB_E_PARSE, &loc, "tag '%.*s' expands to more than %d tags",
			      AB_STR_ARG(s), TAGS_PARSE_LIMIT);
		goto out;
	}

	/* a frozenset: each distinct tag once; equal parts give equal tags */
	struct part *ip = parts, *ap = parts + cnt[0], *pp = parts + cnt[0] + cnt[1];
	size_t ni = dedup(ip, cnt[0], buf), na = dedup(ap, cnt[1], buf), npl = dedup(pp, cnt[2], buf);
	size_t ntags = ni * na * npl, strbytes = 0;
	for (size_t i = 0; i < ni; i++)
		strbytes += ip[i].len + 1;
	for (size_t i = 0; i < na; i++)
		strbytes += ap[i].len + 1;
	for (size_t i = 0; i < npl; i++)
		strbytes += pp[i].len + 1;

	struct tag *tags = ab_xmalloc(ntags * sizeof(struct tag) + strbytes);
	char *str = (char *)(tags + ntags);
	const char *small_strs[32];
	const char **strs = ni + na + npl <= AB_ARRAY_SIZE(small_strs)
		? small_strs : ab_xmalloc((ni + na + npl) * sizeof(*strs));
	for (size_t i = 0; i < ni + na + npl; i++) {
		struct part *p = i < ni ? &ip[i] : i < ni + na ? &ap[i - ni] : &pp[i - ni - na];
		memcpy(str, buf + p->off, p->len);
		str[p->len] = '\0';
		strs[i] = str;
		str += p->len + 1;
	}
	size_t t = 0;
	for (size_t i = 0; i < ni; i++)
		for (size_t a = 0; a < na; a++)
			for (size_t k = 0; k < npl; k++)
				tags[t++] = (struct tag){ strs[i], strs[ni + a], strs[ni + na + k] };
	if (strs != small_strs)
		free(strs);
	out->tags = tags;
	out->n = ntags;
out:
	if (parts != small_parts)
		free(parts);
	if (buf != small_buf)
		free(buf);
	return r;
}

/* ---- platform lists ---- */

void tags_strlist_release(struct tags_strlist *l)
{
	free(l->v);
	ab_arena_release(&l->arena);
	l->v = NULL;
	l->n = l->cap = 0;
}

void tags_strlist_add(struct tags_strlist *l, struct ab_str s)
{
	AB_GROW(l->v, l->cap, l->n + 1);
	l->v[l->n++] = ab_arena_strdup_str(&l->arena, s);
}

static void strlist_addf(struct tags_strlist *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void strlist_addf(struct tags_strlist *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = ab_arena_alloc(&l->arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	AB_GROW(l->v, l->cap, l->n + 1);
	l->v[l->n++] = p;
}

static bool str_in(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, set[i]))
			return true;
	return false;
}

/* _manylinux._have_compatible_abi(): armv7l needs the hard-float ABI and
 * i686 a 32-bit x86 interpreter, which a target describing such a machine
 * is taken to have; other archs must be in _ALLOWED_ARCHS. */
static bool manylinux_abi(const char *const *archs, size_t n)
{
	static const char *const allowed[] = { "x86_64", "aarch64", "ppc64", "ppc64le",
					       "s390x", "loongarch64", "riscv64" };
	if (str_in("armv7l", archs, n) || str_in("i686", archs, n))
		return true;
	for (size_t i = 0; i < n; i++)
		if (str_in(archs[i], allowed, AB_ARRAY_SIZE(allowed)))
			return true;
	return false;
}

void tags_linux_platforms(const char *arch, enum tags_libc libc, unsigned major, unsigned minor,
			  struct tags_strlist *out)
{
	/* sysconfig's platform goes through _normalize_string(): '.', '-' and
	 * ' ' become '_' */
	char norm[64];
	size_t al = strlen(arch);
	char *a = al < sizeof(norm) ? norm : ab_xmalloc(al + 1);
	for (size_t i = 0; i <= al; i++)
		a[i] = (arch[i] == '.' || arch[i] == '-' || arch[i] == ' ') ? '_' : arch[i];
	/* tags._linux_platforms: a 32-bit armv8l interpreter also runs armv7l */
	const char *archs[2] = { a, "armv7l" };
	size_t narchs = strcmp(a, "armv8l") ? 1 : 2;

	if (libc == TAGS_LIBC_GLIBC && manylinux_abi(archs, narchs)) {
		/* the oldest glibc 2 is 2.17, or 2.5 on x86 (PEP 599, PEP 513) */
		int too_old = (str_in("x86_64", archs, narchs) || str_in("i686", archs, narchs)) ? 4 : 16;
		for (size_t k = 0; k < narchs; k++) {
			/* glibc majors below the current one count from minor 50
			 * (_LAST_GLIBC_MINOR) */
			for (long maj = major; maj >= 2 || maj == (long)major; maj--) {
				long max = maj == (long)major ? (long)minor : 50;
				long min = maj == 2 ? too_old : -1;
				for (long m = max; m > min; m--) {
					strlist_addf(out, "manylinux_%ld_%ld_%s", maj, m, archs[k]);
					/* legacy aliases right after their glibc (PEP 600) */
					if (maj == 2 && m == 17)
						strlist_addf(out, "manylinux2014_%s", archs[k]);
					else if (maj == 2 && m == 12)
						strlist_addf(out, "manylinux2010_%s", archs[k]);
					else if (maj == 2 && m == 5)
						strlist_addf(out, "manylinux1_%s", archs[k]);
				}
				if (maj < 2)
					break;
			}
		}
	}
	if (libc == TAGS_LIBC_MUSL) {
		for (size_t k = 0; k < narchs; k++)
			for (long m = minor; m >= 0; m--)
				strlist_addf(out, "musllinux_%u_%ld_%s", major, m, archs[k]);
	}
	/* NEEDSWORK: packaging 26.3's sys_tags() puts linux_<arch> first
	 * (issue 160), but the reference vectors (tags.json) list it last; the
	 * vectors win. */
	for (size_t k = 0; k < narchs; k++)
		strlist_addf(out, "linux_%s", archs[k]);
	if (a != norm)
		free(a);
}

static int vcmp(unsigned amaj, unsigned amin, unsigned bmaj, unsigned bmin)
{
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	return amin < bmin ? -1 : amin > bmin;
}

/* tags._mac_binary_formats() */
static size_t mac_formats(unsigned maj, unsigned min, const char *arch, const char **f)
{
	size_t n = 0;
	f[n++] = arch;
	if (!strcmp(arch, "x86_64")) {
		if (vcmp(maj, min, 10, 4) < 0)
			return 0;
		f[n++] = "intel", f[n++] = "fat64", f[n++] = "fat3";
	} else if (!strcmp(arch, "i386")) {
		if (vcmp(maj, min, 10, 4) < 0)
			return 0;
		f[n++] = "intel", f[n++] = "fat3", f[n++] = "fat";
	} else if (!strcmp(arch, "ppc64")) {
		if (vcmp(maj, min, 10, 5) > 0 || vcmp(maj, min, 10, 4) < 0)
			return 0;
		f[n++] = "fat64";
	} else if (!strcmp(arch, "ppc")) {
		if (vcmp(maj, min, 10, 6) > 0)
			return 0;
		f[n++] = "fat3", f[n++] = "fat";
	}
	if (!strcmp(arch, "arm64") || !strcmp(arch, "x86_64"))
		f[n++] = "universal2";
	if (!strcmp(arch, "x86_64") || !strcmp(arch, "i386") || !strcmp(arch, "ppc64") ||
	    !strcmp(arch, "ppc") || !strcmp(arch, "intel"))
		f[n++] = "universal";
	return n;
}

static void mac_add(struct tags_strlist *out, unsigned maj, unsigned min, const char *arch)
{
	const char *f[8];
	size_t n = mac_formats(maj, min, arch, f);
	for (size_t i = 0; i < n; i++)
		strlist_addf(out, "macosx_%u_%u_%s", maj, min, f[i]);
}

void tags_mac_platforms(unsigned major, unsigned minor, const char *arch,
			struct tags_strlist *out)
{
	if (major == 10) {
		/* before macOS 11 each yearly release bumped the minor version */
		for (long m = minor; m >= 0; m--)
			mac_add(out, 10, (unsigned)m, arch);
	}
	if (major >= 11) {
		/* from 11 on the major is bumped; minors are mid-year updates */
		for (unsigned maj = major; maj > 10; maj--)
			mac_add(out, maj, 0, arch);
		/* x86_64 runs binaries of earlier releases; other archs only the
		 * universal2 ones whose x86_64 half supports them */
		for (unsigned m = 16; m > 3; m--) {
			if (!strcmp(arch, "x86_64"))
				mac_add(out, 10, m, arch);
			else
				strlist_addf(out, "macosx_10_%u_universal2", m);
		}
	}
}

int tags_platforms(const struct tags_target *t, struct tags_strlist *out, struct ab_err *err)
{
	if (t->nplatforms) {
		for (size_t i = 0; i < t->nplatforms; i++)
			tags_strlist_add(out, ab_str_from(t->platforms[i]));
		return 0;
	}
	if (!t->arch || !*t->arch)
		return ab_err_set(err, AB_E_USAGE, "target has no architecture");
	switch (t->os) {
	case TAGS_OS_LINUX:
		tags_linux_platforms(t->arch, t->libc, t->os_major, t->os_minor, out);
		return 0;
	case TAGS_OS_MACOS:
		tags_mac_platforms(t->os_major, t->os_minor, t->arch, out);
		return 0;
	case TAGS_OS_WINDOWS: {
		/* sysconfig.get_platform(): win32, win-amd64, win-arm64 */
		static const struct {
			const char *arch, *plat;
		} win[] = {
			{ "x86", "win32" },       { "win32", "win32" },     { "i386", "win32" },
			{ "i686", "win32" },      { "amd64", "win_amd64" }, { "x86_64", "win_amd64" },
			{ "arm64", "win_arm64" }, { "aarch64", "win_arm64" },
		};
		for (size_t i = 0; i < AB_ARRAY_SIZE(win); i++) {
			if (!strcasecmp(t->arch, win[i].arch)) {
				tags_strlist_add(out, ab_str_from(win[i].plat));
				return 0;
			}
		}
		return ab_err_set(err, AB_E_USAGE, "unknown windows architecture '%s'", t->arch);
	}
	}
	return ab_err_set(err, AB_E_USAGE, "unknown target operating system");
}

/* ---- supported tags ---- */

static size_t tag_hash(const char *i, const char *a, const char *p)
{
	/* FNV-1a over "i\xffa\xffp\xff" */
	size_t h = AB_HASH_INIT;
	const char *s[3] = { i, a, p };
	for (int k = 0; k < 3; k++)
		h = ab_hash_add(ab_hash_add(h, s[k], strlen(s[k])), "\xff", 1);
	return h ^ (h >> 29);
}

static void sup_add(struct tags_supported *s, const char *i, const char *a, const char *p)
{
	AB_GROW(s->tags, s->cap, s->n + 1);
	s->tags[s->n++] = (struct tag){ i, a, p };
}

static const char *sup_strf(struct tags_supported *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *sup_strf(struct tags_supported *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = ab_arena_alloc(&s->arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* A lowercase copy (packaging's Tag lowercases every field). */
static const char *sup_lower(struct tags_supported *s, const char *str, struct ab_err *err)
{
	struct ab_buf b = AB_BUF_INIT;
	if (ab_utf8_lower(ab_str_from(str), &b) < 0) {
		ab_err_set(err, AB_E_USAGE, "'%s' is not valid utf-8", str);
		return NULL;
	}
	const char *r = ab_arena_strdup_str(&s->arena, ab_buf_str(&b));
	ab_buf_release(&b);
	return r;
}

static void build_index(struct tags_supported *s)
{
	size_t sz = 16;
	while (sz < 2 * s->n)
		sz *= 2;
	s->mask = sz - 1;
	s->slots = ab_xcalloc(sz, sizeof(*s->slots));
	for (size_t k = 0; k < s->n; k++) {
		const struct tag *t = &s->tags[k];
		size_t h = tag_hash(t->interpreter, t->abi, t->platform) & s->mask;
		for (;; h = (h + 1) & s->mask) {
			uint32_t v = s->slots[h];
			if (!v) {
				s->slots[h] = (uint32_t)k + 1;
				break;
			}
			const struct tag *o = &s->tags[v - 1];
			/* a repeated tag keeps its first (best) index */
			if (!strcmp(o->platform, t->platform) && !strcmp(o->abi, t->abi) &&
			    !strcmp(o->interpreter, t->interpreter))
				break;
		}
	}
}

long tags_supported_index(const struct tags_supported *s, const struct tag *t)
{
	if (!s->slots)
		return -1;
	size_t h = tag_hash(t->interpreter, t->abi, t->platform) & s->mask;
	for (;; h = (h + 1) & s->mask) {
		uint32_t v = s->slots[h];
		if (!v)
			return -1;
		const struct tag *o = &s->tags[v - 1];
		if (!strcmp(o->platform, t->platform) && !strcmp(o->abi, t->abi) &&
		    !strcmp(o->interpreter, t->interpreter))
			return (long)v - 1;
	}
}

long tags_supported_rank(const struct tags_supported *s, const struct tag_set *set)
{
	long best = -1;
	for (size_t i = 0; i < set->n; i++) {
		long k = tags_supported_index(s, &set->tags[i]);
		if (k >= 0 && (best < 0 || k < best))
			best = k;
	}
	return best;
}

void tags_supported_release(struct tags_supported *s)
{
	free(s->tags);
	free(s->slots);
	ab_arena_release(&s->arena);
	*s = (struct tags_supported)TAGS_SUPPORTED_INIT;
}

/* tags._is_threaded_cpython(): the first ABI is cp<digits> with a 't' in
 * its flags (a --disable-gil build) */
static bool threaded_abi(const char *abi)
{
	if (strncmp(abi, "cp", 2) || !(abi[2] >= '0' && abi[2] <= '9'))
		return false;
	const char *p = abi + 2;
	while (*p >= '0' && *p <= '9')
		p++;
	return strchr(p, 't') != NULL;
}

int tags_supported(const struct tags_target *t, struct tags_supported *out, struct ab_err *err)
{
	struct tags_strlist pl = TAGS_STRLIST_INIT;
	const char **plats = NULL, **abis = NULL;
	size_t nabis = 0;
	int r;

	*out = (struct tags_supported)TAGS_SUPPORTED_INIT;
	r = tags_platforms(t, &pl, err);
	if (r < 0)
		goto out;
	plats = ab_xmalloc((pl.n ? pl.n : 1) * sizeof(*plats));
	for (size_t k = 0; k < pl.n; k++) {
		plats[k] = sup_lower(out, pl.v[k], err);
		if (!plats[k]) {
			r = -AB_E_USAGE;
			goto out;
		}
	}
	abis = ab_xmalloc((t->nabis + 2) * sizeof(*abis)); /* + a default ABI + "none" */
	for (size_t k = 0; k < t->nabis; k++) {
		abis[k] = sup_lower(out, t->abis[k], err);
		if (!abis[k]) {
			r = -AB_E_USAGE;
			goto out;
		}
	}
	nabis = t->nabis;
	unsigned maj = t->py_major, min = t->py_minor;
	const char *none = "none", *any = "any";

	if (t->impl == TAGS_IMPL_CPYTHON) {
		/* cpython_tags() */
		const char *interp = sup_strf(out, "cp%u%u", maj, min);
		if (!t->abis)
			abis[nabis++] = interp; /* _cpython_abis() of a release build */
		bool threading = nabis && threaded_abi(abis[0]);
		/* the stable ABIs and "none" come later: list.remove() drops the
		 * first occurrence of each */
		const char *explicit_abis[] = { "abi3", "none", "abi3t" };
		for (size_t e = 0; e < (threading ? 3u : 2u); e++) {
			for (size_t k = 0; k < nabis; k++) {
				if (!strcmp(abis[k], explicit_abis[e])) {
					memmove(&abis[k], &abis[k + 1], (nabis - k - 1) * sizeof(*abis));
					nabis--;
					break;
				}
			}
		}
		for (size_t a = 0; a < nabis; a++)
			for (size_t p = 0; p < pl.n; p++)
				sup_add(out, interp, abis[a], plats[p]);
		/* PEP 384: abi3 from Python 3.2 on; free-threaded builds use abi3t */
		bool py32 = vcmp(maj, min, 3, 2) >= 0;
		bool abi3 = py32 && !threading, abi3t = py32 && threading;
		for (size_t p = 0; p < pl.n; p++)
			if (abi3)
				sup_add(out, interp, "abi3", plats[p]);
		for (size_t p = 0; p < pl.n; p++)
			if (abi3t)
				sup_add(out, interp, "abi3t", plats[p]);
		for (size_t p = 0; p < pl.n; p++)
			sup_add(out, interp, none, plats[p]);
		if (abi3 || abi3t) {
			for (long m = (long)min - 1; m > 1; m--) {
				const char *older = sup_strf(out, "cp%u%ld", maj, m);
				for (size_t p = 0; p < pl.n; p++) {
					if (abi3)
						sup_add(out, older, "abi3", plats[p]);
					if (abi3t)
						sup_add(out, older, "abi3t", plats[p]);
				}
			}
		}
	} else {
		/* generic_tags("ppXY", abis): "none" added when missing */
		const char *interp = sup_strf(out, "pp%u%u", maj, min);
		if (!t->abis)
			abis[nabis++] = sup_strf(out, "pypy%u%u_pp73", maj, min);
		bool has_none = false;
		for (size_t a = 0; a < nabis; a++)
			has_none |= !strcmp(abis[a], none);
		if (!has_none)
			abis[nabis++] = none;
		for (size_t a = 0; a < nabis; a++)
			for (size_t p = 0; p < pl.n; p++)
				sup_add(out, interp, abis[a], plats[p]);
	}

	/* compatible_tags(): py<XY>, py<X>, py<X><older minors> on every
	 * platform, then <interpreter>-none-any, then the same pys with any */
	const char *compat = t->interpreter
		? sup_lower(out, t->interpreter, err)
		: t->impl == TAGS_IMPL_CPYTHON ? sup_strf(out, "cp%u%u", maj, min) : "pp3";
	if (!compat) {
		r = -AB_E_USAGE;
		goto out;
	}
	size_t npy = 0;
	const char **pys = ab_xmalloc((min + 2) * sizeof(*pys));
	pys[npy++] = sup_strf(out, "py%u%u", maj, min);
	pys[npy++] = sup_strf(out, "py%u", maj);
	for (long m = (long)min - 1; m >= 0; m--)
		pys[npy++] = sup_strf(out, "py%u%ld", maj, m);
	for (size_t v = 0; v < npy; v++)
		for (size_t p = 0; p < pl.n; p++)
			sup_add(out, pys[v], none, plats[p]);
	if (*compat)
		sup_add(out, compat, none, any);
	for (size_t v = 0; v < npy; v++)
		sup_add(out, pys[v], none, any);
	free(pys);
	build_index(out);
out:
	if (r < 0)
		tags_supported_release(out);
	free(plats);
	free(abis);
	tags_strlist_release(&pl);
	return r;
}
