/* osver.c - PEP 440 -> RPM / Debian versions (rules in osver.h).
 *
 * Why each rule holds (rpm lib/rpmvercmp.c, dpkg lib/dpkg/version.c):
 * - `~` sorts before anything, even the end of the string, in both; so
 *   `1~a1` < `1`, and `1~~dev1` < `1~a0` (second `~` against `a`): PEP 440
 *   puts `X.devN` (no pre, no post) below every pre-release of X.
 * - rpm's `^` sorts after the end of the string but before any other
 *   segment: `1` < `1^post1` < `1.0.1`. dpkg has no `^`; there `+` (order
 *   '+' + 256) sorts above the end and below `.`, so `1` < `1+post1` <
 *   `1.0.1` too.
 * - release trailing zeros are stripped because PEP 440 compares releases
 *   zero-padded (`1.0` == `1.0.0`) while rpm and dpkg do not (`1` < `1.0`).
 * - local segments: PEP 440 puts a version with a local label above the same
 *   version without one, numeric segments above strings, strings compared
 *   as text, a shorter label (equal prefix) below a longer one. In rpm a
 *   numeric segment sorts above an alphabetic one and letters compare with
 *   strcmp, so `.seg` works as is. In dpkg letters sort below `.` and above
 *   the end, so a bare string segment would sort above a numeric one and
 *   `a.b` would sort above `ab`; `~seg~` fixes both: the leading `~` sorts
 *   below a digit (the end of a non-digit run) and below the end of the
 *   string, the trailing `~` below any letter that continues a longer
 *   segment. */
#include "formats/osver.h"

#include <stdlib.h>

#include "formats/core/mem.h"

static bool has_digit(const char *s)
{
	for (; *s; s++)
		if (*s >= '0' && *s <= '9')
			return true;
	return false;
}

static int check_pkg_release(const char *r, struct ab_err *err)
{
	if (!*r || r[0] < '0' || r[0] > '9')
		return ab_err_set(err, AB_E_INVALID, "package release '%s' must start with a digit", r);
	for (const char *p = r; *p; p++) {
		char c = *p;
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '.';
		if (!ok)
			return ab_err_at(err, AB_E_INVALID, &(struct ab_loc){ NULL, 0, (unsigned)(p - r) + 1 },
					 "invalid character '%c' in package release '%s'", c, r);
	}
	return 0;
}

static void add_release(const struct pep440_version *v, struct ab_buf *b)
{
	size_t n = v->ntrim ? v->ntrim : 1; /* all zero: "0" */
	for (size_t i = 0; i < n; i++) {
		if (i)
			ab_buf_addc(b, '.');
		pep440_num_format(&v->release[i], b);
	}
}

static const char *const pre_tags[] = { "", "a", "b", "rc" };

int osver_map(const struct pep440_version *v, enum osver_family family, const char *pkg_release,
	      unsigned flags, struct osver *out, struct ab_err *err)
{
	struct ab_buf b = AB_BUF_INIT;
	const char *mixed = NULL;
	int r;

	*out = (struct osver)OSVER_INIT;
	if (!pkg_release)
		pkg_release = "1";
	r = check_pkg_release(pkg_release, err);
	if (r < 0)
		return r;
	/* dpkg rejects an epoch above INT_MAX ("epoch in version is too big"),
	 * rpm stores it in an int32 tag. */
	if (v->epoch.big || v->epoch.v > OSVER_EPOCH_MAX)
		return ab_err_set(err, AB_E_UNSUPPORTED,
				  "epoch of '%s' is too large for a package version (at most %u)", v->str,
				  OSVER_EPOCH_MAX);

	if (v->epoch.v)
		ab_buf_addf(&b, "%llu", (unsigned long long)v->epoch.v);
	out->epoch = ab_buf_detach(&b);

	add_release(v, &b);
	if (v->pre != PEP440_PRE_NONE) {
		ab_buf_addf(&b, "~%s", pre_tags[v->pre]);
		pep440_num_format(&v->pre_n, &b);
	}
	if (v->has_post) {
		ab_buf_adds(&b, family == OSVER_RPM ? "^post" : "+post");
		pep440_num_format(&v->post, &b);
	}
	if (v->has_dev) {
		/* PEP 440: X.devN sorts below X's pre-releases, but X.aN.devM and
		 * X.postN.devM sit just below X.aN / X.postN. */
		ab_buf_adds(&b, v->pre != PEP440_PRE_NONE || v->has_post ? "~dev" : "~~dev");
		pep440_num_format(&v->dev, &b);
	}
	out->version = ab_buf_detach(&b);

	ab_buf_adds(&b, pkg_release);
	for (size_t i = 0; i < v->nlocal; i++) {
		const struct pep440_local *seg = &v->local[i];
		ab_buf_addc(&b, '.');
		if (seg->numeric) {
			pep440_num_format(&seg->num, &b);
			continue;
		}
		if (!mixed && has_digit(seg->str))
			mixed = seg->str;
		if (family == OSVER_DEB)
			ab_buf_addf(&b, "~%s~", seg->str);
		else
			ab_buf_adds(&b, seg->str);
	}
	out->release = ab_buf_detach(&b);

	if (*out->epoch)
		ab_buf_addf(&b, "%s:", out->epoch);
	ab_buf_addf(&b, "%s-%s", out->version, out->release);
	out->evr = ab_buf_detach(&b);

	if (mixed) {
		out->unorderable = true;
		ab_buf_addf(&b,
			    "local version segment '%s' of '%s' mixes letters and digits: PEP 440 "
			    "compares it as text, %s compares its digits as a number, so it may sort "
			    "out of order against another local label of the same version",
			    mixed, v->str, family == OSVER_RPM ? "rpm" : "dpkg");
		out->why = ab_buf_detach(&b);
		if (flags & OSVER_STRICT) {
			r = ab_err_set(err, AB_E_UNSUPPORTED, "%s", out->why);
			osver_release(out);
			return r;
		}
	}
	return 0;
}

int osver_map_str(struct ab_str s, enum osver_family family, const char *pkg_release,
		  unsigned flags, struct osver *out, struct ab_err *err)
{
	struct pep440_version *v = NULL;
	int r;

	*out = (struct osver)OSVER_INIT;
	r = pep440_version_parse(s, &v, err);
	if (r < 0)
		return r;
	r = osver_map(v, family, pkg_release, flags, out, err);
	pep440_version_free(v);
	return r;
}

void osver_release(struct osver *o)
{
	free(o->epoch);
	free(o->version);
	free(o->release);
	free(o->evr);
	free(o->why);
	*o = (struct osver)OSVER_INIT;
}
