/* distfile.c - wheel and sdist file names, following packaging 26.x
 * utils.parse_wheel_filename() / parse_sdist_filename(). */
#include "formats/distfile.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/core/unicode.h"
#include "formats/names.h"

/* PEP 427's escaped name as packaging checks it: re.match(r"^[\w._]+\Z")
 * (Unicode \w) and no "__". Returns the offset of the first bad byte, or -1. */
static long bad_wheel_name(struct ab_str n)
{
	if (n.len == 0)
		return 0;
	for (size_t i = 0; i < n.len;) {
		unsigned char c = (unsigned char)n.ptr[i];
		if (c == '.') {
			i++;
			continue;
		}
		if (c == '_' && i + 1 < n.len && n.ptr[i + 1] == '_')
			return (long)i;
		if (c < 0x80) {
			if (!ab_uni_is_word(c))
				return (long)i;
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = ab_utf8_decode(n.ptr + i, n.len - i, &cp);
		if (!k || !ab_uni_is_word(cp))
			return (long)i;
		i += k;
	}
	return -1;
}

void distfile_wheel_release(struct distfile_wheel *w)
{
	free(w->name);
	pep440_version_free(w->version);
	free(w->build_num);
	free(w->build_suffix);
	tag_set_release(&w->tags);
	memset(w, 0, sizeof(*w));
}

void distfile_sdist_release(struct distfile_sdist *s)
{
	free(s->name);
	pep440_version_free(s->version);
	memset(s, 0, sizeof(*s));
}

static int fail(struct ab_err *err, size_t col, const char *what, struct ab_str filename,
		const char *msg, struct ab_str subject)
{
	struct ab_loc loc = { NULL, 0, (unsigned)col + 1 };
	if (subject.ptr)
		return ab_err_at(err, AB_E_PARSE, &loc, "%s '%.*s' in %s filename '%.*s'", msg,
				 AB_STR_ARG(subject), what, AB_STR_ARG(filename));
	return ab_err_at(err, AB_E_PARSE, &loc, "%s filename '%.*s' %s", what,
			 AB_STR_ARG(filename), msg);
}

/* No file name holds NUL, and the parts we keep are C strings. */
static int check_nul(struct ab_err *err, const char *what, struct ab_str f)
{
	const char *z = f.len ? memchr(f.ptr, '\0', f.len) : NULL;
	if (!z)
		return 0;
	struct ab_loc loc = { NULL, 0, (unsigned)(z - f.ptr) + 1 };
	return ab_err_at(err, AB_E_PARSE, &loc, "%s filename holds a nul byte", what);
}

/* The canonical name, malloc'd; NULL on invalid UTF-8 or NUL. */
static char *canonical_dup(struct ab_str name)
{
	struct ab_buf b = AB_BUF_INIT;
	if (name_canonicalize_strict(name, &b) < 0) {
		ab_buf_release(&b);
		return NULL;
	}
	return ab_buf_detach(&b);
}

int distfile_wheel_split(struct ab_str f, struct distfile_wheel_parts *out, struct ab_err *err)
{
	static const char *what = "wheel";
	size_t dash[5], nd = 0;

	memset(out, 0, sizeof(*out));
	int r = check_nul(err, what, f);
	if (r < 0)
		return r;
	if (!ab_str_endswith(f, ".whl"))
		return fail(err, f.len, what, f, "must end in '.whl'", AB_STR_NULL);
	size_t stem = f.len - 4;
	for (const char *p = f.ptr, *e = f.ptr + stem; (p = memchr(p, '-', (size_t)(e - p)));
	     p++) {
		if (nd == 5)
			return fail(err, (size_t)(p - f.ptr), what, f,
				    "has too many '-' separated parts", AB_STR_NULL);
		dash[nd++] = (size_t)(p - f.ptr);
	}
	if (nd < 4)
		return fail(err, stem, what, f, "has too few '-' separated parts", AB_STR_NULL);

	/* split("-", dashes - 2): name, version, [build,] then the tag string
	 * keeps its two dashes */
	out->name = ab_str_make(f.ptr, dash[0]);
	out->version = ab_str_make(f.ptr + dash[0] + 1, dash[1] - dash[0] - 1);
	if (nd == 5) {
		out->has_build = true;
		out->build = ab_str_make(f.ptr + dash[1] + 1, dash[2] - dash[1] - 1);
	}
	size_t tag_at = dash[nd - 3] + 1;
	out->tags = ab_str_make(f.ptr + tag_at, stem - tag_at);
	return 0;
}

bool distfile_wheel_name_is(struct ab_str name, const char *canonical)
{
	return bad_wheel_name(name) < 0 && name_eq(name, ab_str_from(canonical));
}

bool distfile_wheel_build_ok(struct ab_str build)
{
	return build.len && build.ptr[0] >= '0' && build.ptr[0] <= '9';
}

int distfile_wheel_parse(struct ab_str f, struct distfile_wheel *out, struct ab_err *err)
{
	static const char *what = "wheel";
	struct distfile_wheel_parts parts;
	int r = distfile_wheel_split(f, &parts, err);

	memset(out, 0, sizeof(*out));
	if (r < 0)
		return r;
	struct ab_str name = parts.name, ver = parts.version, tagstr = parts.tags;
	size_t tag_at = (size_t)(tagstr.ptr - f.ptr);

	long bad = bad_wheel_name(name);
	if (bad >= 0)
		return fail(err, (size_t)bad, what, f, "invalid project name", name);
	out->name = canonical_dup(name);
	if (!out->name) {
		r = fail(err, 0, what, f, "invalid project name", name);
		goto out;
	}

	r = pep440_version_parse(ver, &out->version, NULL);
	if (r < 0) {
		r = fail(err, (size_t)(ver.ptr - f.ptr), what, f, "invalid version", ver);
		goto out;
	}

	if (parts.has_build) {
		/* PEP 427: the build tag starts with a digit; packaging takes
		 * re.match(r"(\d+)(.*)", re.ASCII): int(digits) and the rest up
		 * to a newline */
		struct ab_str b = parts.build;
		size_t nd0 = 0;
		while (nd0 < b.len && b.ptr[nd0] >= '0' && b.ptr[nd0] <= '9')
			nd0++;
		if (nd0 == 0) {
			r = fail(err, (size_t)(b.ptr - f.ptr), what, f,
				 "invalid build tag (must start with a digit)", b);
			goto out;
		}
		size_t z = 0;
		while (z + 1 < nd0 && b.ptr[z] == '0')
			z++;
		size_t se = nd0;
		while (se < b.len && b.ptr[se] != '\n')
			se++;
		out->has_build = true;
		out->build_num = ab_xstrndup(b.ptr + z, nd0 - z);
		out->build_suffix = ab_xstrndup(b.ptr + nd0, se - nd0);
	}

	struct ab_err terr = AB_ERR_INIT;
	r = tags_parse(tagstr, &out->tags, &terr);
	if (r < 0) {
		struct ab_loc loc = { NULL, 0, (unsigned)(tag_at + (terr.col ? terr.col : 1)) };
		r = ab_err_at(err, AB_E_PARSE, &loc, "invalid tag set in wheel filename '%.*s': %s",
			      AB_STR_ARG(f), terr.msg.buf);
		ab_err_release(&terr);
		goto out;
	}
out:
	if (r < 0)
		distfile_wheel_release(out);
	return r;
}

int distfile_build_cmp(const struct distfile_wheel *a, const struct distfile_wheel *b)
{
	if (a->has_build != b->has_build)
		return a->has_build ? 1 : -1;
	if (!a->has_build)
		return 0;
	size_t la = strlen(a->build_num), lb = strlen(b->build_num);
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = strcmp(a->build_num, b->build_num);
	if (c)
		return c;
	return strcmp(a->build_suffix, b->build_suffix);
}

int distfile_sdist_parse(struct ab_str f, struct distfile_sdist *out, struct ab_err *err)
{
	static const char *what = "sdist";
	size_t stem;
	int r;

	memset(out, 0, sizeof(*out));
	r = check_nul(err, what, f);
	if (r < 0)
		return r;
	if (ab_str_endswith(f, ".tar.gz"))
		stem = f.len - 7;
	else if (ab_str_endswith(f, ".zip"))
		stem = f.len - 4;
	else
		return fail(err, f.len, what, f, "must end in '.tar.gz' or '.zip'", AB_STR_NULL);

	/* a PEP 440 version has no dash, so rpartition("-") */
	size_t d = stem;
	while (d > 0 && f.ptr[d - 1] != '-')
		d--;
	if (d == 0)
		return fail(err, 0, what, f, "has no '-' between name and version", AB_STR_NULL);
	if (d == 1)
		return fail(err, 0, what, f, "has an empty project name", AB_STR_NULL);
	struct ab_str name = { f.ptr, d - 1 }, ver = { f.ptr + d, stem - d };

	/* packaging canonicalizes the name without validating it */
	out->name = canonical_dup(name);
	if (!out->name) {
		r = fail(err, 0, what, f, "invalid project name", name);
		goto out;
	}
	r = pep440_version_parse(ver, &out->version, NULL);
	if (r < 0)
		r = fail(err, d, what, f, "invalid version", ver);
out:
	if (r < 0)
		distfile_sdist_release(out);
	return r;
}
