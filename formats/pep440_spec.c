/* pep440_spec.c - PEP 440 specifiers and specifier sets, as packaging 26.x.
 *
 * Membership follows packaging's range model (packaging/_ranges.py): each
 * operator is a set of versions, tested here directly against the version
 * without building ranges or allocating. The pre-release policy
 * (Specifier.prereleases, SpecifierSet.prereleases, filter()'s fallback) is
 * applied on top, exactly as SpecifierSet.contains()/filter() do. */
#include "formats/pep440.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/core/unicode.h"

static const char *const op_names[] = {
	/* clang-format off */
	[PEP440_OP_COMPATIBLE] = "~=", [PEP440_OP_EQ] = "==", [PEP440_OP_NE] = "!=",
	[PEP440_OP_LE] = "<=", [PEP440_OP_GE] = ">=", [PEP440_OP_LT] = "<",
	[PEP440_OP_GT] = ">", [PEP440_OP_ARBITRARY] = "===",
	/* clang-format on */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* ---- membership (the range of each operator) ---- */

static bool same_release(const struct pep440_version *a, const struct pep440_version *b)
{
	if (pep440_num_cmp(&a->epoch, &b->epoch) || a->ntrim != b->ntrim)
		return false;
	for (size_t i = 0; i < a->ntrim; i++)
		if (pep440_num_cmp(&a->release[i], &b->release[i]))
			return false;
	return true;
}

static bool same_pre(const struct pep440_version *a, const struct pep440_version *b)
{
	return a->pre == b->pre && (!a->pre || !pep440_num_cmp(&a->pre_n, &b->pre_n));
}

static const struct pep440_num zero_num = { 0, NULL, 0 };

/* The first k release components of v, zero-padded, equal `rel`'s, in the
 * same epoch: the versions in [X.dev0, next-prefix.dev0) (==X.*, ~=). */
static bool prefix_eq(const struct pep440_version *v, const struct pep440_version *x, size_t k)
{
	if (pep440_num_cmp(&v->epoch, &x->epoch))
		return false;
	for (size_t i = 0; i < k; i++) {
		const struct pep440_num *a = i < v->nrelease ? &v->release[i] : &zero_num;
		if (pep440_num_cmp(a, &x->release[i]))
			return false;
	}
	return true;
}

/* >V for V final or pre-release: above V's "post family" (V, V+local and
 * every V.postN, with or without dev and local), per PEP 440's rule that
 * >V excludes V's post-releases (packaging's AFTER_POSTS boundary). */
static bool in_post_family(const struct pep440_version *v, const struct pep440_version *x)
{
	if (!same_release(v, x) || !same_pre(v, x))
		return false;
	return v->has_post || v->has_dev == x->has_dev;
}

static bool spec_match(const struct pep440_spec *s, const struct pep440_version *v)
{
	const struct pep440_version *x = s->version;
	switch (s->op) {
	case PEP440_OP_GE:
		return pep440_version_cmp(v, x) >= 0;
	case PEP440_OP_LE:
		/* up to AFTER_LOCALS(V): V's local versions are included */
		return pep440_version_cmp_public(v, x) <= 0;
	case PEP440_OP_GT:
		/* >V.devN starts at V.dev(N+1), >V.postN at V.post(N+1).dev0: in
		 * both cases the next public version after V */
		if (x->has_dev || x->has_post)
			return pep440_version_cmp_public(v, x) > 0;
		return pep440_version_cmp(v, x) > 0 && !in_post_family(v, x);
	case PEP440_OP_LT:
		/* <V stops before V.dev0 (V's pre-releases) unless V is one */
		if (pep440_is_prerelease(x))
			return pep440_version_cmp(v, x) < 0;
		{
			struct pep440_version b = *x;
			b.has_dev = true;
			b.dev = zero_num;
			b.nlocal = 0;
			pep440_version_rekey(&b);
			return pep440_version_cmp(v, &b) < 0;
		}
	case PEP440_OP_EQ:
	case PEP440_OP_NE: {
		bool eq;
		if (s->wildcard)
			eq = prefix_eq(v, x, x->nrelease);
		else if (x->nlocal)
			eq = pep440_version_cmp(v, x) == 0;
		else /* ==V matches V+anything */
			eq = pep440_version_cmp_public(v, x) == 0;
		return s->op == PEP440_OP_EQ ? eq : !eq;
	}
	case PEP440_OP_COMPATIBLE:
		return pep440_version_cmp(v, x) >= 0 && prefix_eq(v, x, x->nrelease - 1);
	case PEP440_OP_ARBITRARY:
		break;
	}
	return false;
}

static bool is_ascii(struct ab_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.ptr[i] >= 0x80)
			return false;
	return true;
}

/* `===`: str(item).lower() == spec.version.lower(), with Python's full
 * Unicode lowercasing when either side is not ASCII. */
static bool arbitrary_match(const struct pep440_spec *s, struct ab_str item)
{
	struct ab_str text = ab_str_from(s->text);
	if (is_ascii(item) && is_ascii(text))
		return ab_str_ieq(item, text);
	struct ab_buf a = AB_BUF_INIT, b = AB_BUF_INIT;
	bool eq;
	if (ab_utf8_lower(item, &a) == 0 && ab_utf8_lower(text, &b) == 0)
		eq = a.len == b.len && !memcmp(a.buf, b.buf, a.len);
	else /* not UTF-8 (Python never sees such a string): bytes */
		eq = ab_str_ieq(item, text);
	ab_buf_release(&a);
	ab_buf_release(&b);
	return eq;
}

/* One item against one clause, pre-releases allowed. `v` may be NULL (not a
 * PEP 440 version): only `===` can match it. */
static bool clause_match(const struct pep440_spec *s, struct ab_str raw,
			 const struct pep440_version *v)
{
	if (s->op == PEP440_OP_ARBITRARY)
		return arbitrary_match(s, raw);
	return v && spec_match(s, v);
}

bool pep440_spec_contains(const struct pep440_spec *spec, const struct pep440_version *v,
			  int prereleases)
{
	if (!clause_match(spec, ab_str_make(v->str, v->len), v))
		return false;
	return !(prereleases == 0 && pep440_is_prerelease(v));
}

/* ---- the pre-release policy ---- */

int pep440_spec_prereleases(const struct pep440_spec *spec)
{
	/* Specifier.prereleases: '!=' and '==X.*' never imply pre-releases;
	 * '===' with a non-version string is unknown. */
	if (spec->op == PEP440_OP_NE)
		return 0;
	if (spec->op == PEP440_OP_EQ && spec->wildcard)
		return 0;
	if (!spec->version)
		return -1;
	return pep440_is_prerelease(spec->version);
}

int pep440_specset_prereleases(const struct pep440_specset *set)
{
	if (set->prereleases >= 0)
		return set->prereleases;
	/* SpecifierSet.prereleases is True when a clause implies it, else None
	 * (never False). */
	for (size_t i = 0; i < set->n; i++)
		if (pep440_spec_prereleases(&set->specs[i]) == 1)
			return 1;
	return -1;
}

static int effective_prereleases(const struct pep440_specset *set, int prereleases)
{
	return prereleases >= 0 ? prereleases : pep440_specset_prereleases(set);
}

static bool set_match(const struct pep440_specset *set, struct ab_str raw,
		      const struct pep440_version *v)
{
	for (size_t i = 0; i < set->n; i++)
		if (!clause_match(&set->specs[i], raw, v))
			return false;
	return true;
}

static bool contains(const struct pep440_specset *set, struct ab_str raw,
		     const struct pep440_version *v, int prereleases)
{
	/* SpecifierSet.contains() is filter([item]) on one item: the
	 * "pre-releases only if nothing else" fallback keeps a lone
	 * pre-release, so only an explicit False rejects it. A non-version
	 * string is never filtered as a pre-release. */
	if (!set_match(set, raw, v))
		return false;
	return !(v && effective_prereleases(set, prereleases) == 0 && pep440_is_prerelease(v));
}

bool pep440_specset_contains(const struct pep440_specset *set, const struct pep440_version *v,
			     int prereleases)
{
	return contains(set, ab_str_make(v->str, v->len), v, prereleases);
}

bool pep440_specset_contains_str(const struct pep440_specset *set, struct ab_str item,
				 int prereleases)
{
	struct pep440_version *v = NULL;
	pep440_version_parse(item, &v, NULL);
	bool r = contains(set, item, v, prereleases);
	pep440_version_free(v);
	return r;
}

/* SpecifierSet.filter(). Non-version items (v NULL) match only `===`
 * clauses or an empty set (packaging's filter_by_ranges drops them, its
 * `===` and empty-set paths keep them as "arbitrary strings"). With no
 * explicit policy, pre-releases are dropped when a final release matched. */
static size_t filter(const struct pep440_specset *set, const struct ab_str *raw,
		     struct pep440_version *const *vs, size_t n, int prereleases, size_t *keep)
{
	int p = effective_prereleases(set, prereleases);
	bool any_final = false;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct pep440_version *v = vs[i];
		struct ab_str r = raw ? raw[i] : ab_str_make(v->str, v->len);
		if (!set_match(set, r, v))
			continue;
		if (v && pep440_is_prerelease(v)) {
			if (p == 0)
				continue;
		} else if (v) {
			any_final = true;
		}
		keep[k++] = i;
	}
	if (p != -1 || !any_final)
		return k;
	size_t m = 0;
	for (size_t i = 0; i < k; i++) {
		const struct pep440_version *v = vs[keep[i]];
		if (!v || !pep440_is_prerelease(v))
			keep[m++] = keep[i];
	}
	return m;
}

size_t pep440_specset_filter(const struct pep440_specset *set, struct pep440_version *const *vs,
			     size_t n, int prereleases, size_t *keep)
{
	return filter(set, NULL, vs, n, prereleases, keep);
}

size_t pep440_specset_filter_str(const struct pep440_specset *set, const struct ab_str *items,
				 size_t n, int prereleases, size_t *keep)
{
	struct pep440_version **vs = ab_xcalloc(n ? n : 1, sizeof(*vs));
	for (size_t i = 0; i < n; i++)
		pep440_version_parse(items[i], &vs[i], NULL);
	size_t k = filter(set, items, vs, n, prereleases, keep);
	for (size_t i = 0; i < n; i++)
		pep440_version_free(vs[i]);
	free(vs);
	return k;
}

/* ---- parsing ---- */

static int fail_at(struct ab_err *err, size_t col0, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct ab_err *err, size_t col0, const char *fmt, ...)
{
	struct ab_loc loc = { NULL, 0, (unsigned)col0 + 1 };
	struct ab_buf msg = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	int r = ab_err_at(err, AB_E_PARSE, &loc, "%s", msg.buf);
	ab_buf_release(&msg);
	return r;
}

/* Does the stripped `===` operand hold whitespace, ';' or ')'? ([^\s;)]*) */
static size_t arbitrary_bad(struct ab_str t)
{
	for (size_t i = 0; i < t.len; i++) {
		if (t.ptr[i] == ';' || t.ptr[i] == ')')
			return i + 1;
		struct ab_str rest = pep440_strip(ab_str_make(t.ptr + i, t.len - i));
		if (rest.ptr != t.ptr + i)
			return i + 1;
	}
	return 0;
}

/* The wildcard operand `v?([0-9]+!)?[0-9]+(\.[0-9]+)*` before ".*". */
static bool wildcard_base_ok(struct ab_str t)
{
	size_t i = 0;
	if (i < t.len && lower(t.ptr[i]) == 'v')
		i++;
	size_t j = i;
	while (j < t.len && is_digit(t.ptr[j]))
		j++;
	if (j > i && j < t.len && t.ptr[j] == '!')
		i = j + 1;
	for (;;) {
		j = i;
		while (j < t.len && is_digit(t.ptr[j]))
			j++;
		if (j == i)
			return false;
		if (j == t.len)
			return true;
		if (t.ptr[j] != '.')
			return false;
		i = j + 1;
	}
}

int pep440_spec_parse(struct ab_str s, struct pep440_spec *out, struct ab_err *err)
{
	struct ab_str t = pep440_strip(s);
	size_t base = (size_t)(t.ptr - s.ptr), oplen;
	struct pep440_version *v = NULL;
	struct ab_err verr = AB_ERR_INIT;
	enum pep440_op op;
	bool wild = false;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (t.len == 0)
		return fail_at(err, base, "expected a version specifier");
	/* Specifier.__init__: '===' first, then the two-character operators,
	 * then '<' and '>'. */
	if (ab_str_startswith(t, "===")) {
		op = PEP440_OP_ARBITRARY;
		oplen = 3;
	} else if (ab_str_startswith(t, "~=")) {
		op = PEP440_OP_COMPATIBLE;
		oplen = 2;
	} else if (ab_str_startswith(t, "==")) {
		op = PEP440_OP_EQ;
		oplen = 2;
	} else if (ab_str_startswith(t, "!=")) {
		op = PEP440_OP_NE;
		oplen = 2;
	} else if (ab_str_startswith(t, "<=")) {
		op = PEP440_OP_LE;
		oplen = 2;
	} else if (ab_str_startswith(t, ">=")) {
		op = PEP440_OP_GE;
		oplen = 2;
	} else if (t.ptr[0] == '<') {
		op = PEP440_OP_LT;
		oplen = 1;
	} else if (t.ptr[0] == '>') {
		op = PEP440_OP_GT;
		oplen = 1;
	} else {
		return fail_at(err, base, "expected a version operator in '%.*s'", AB_STR_ARG(t));
	}
	struct ab_str vt = pep440_strip(ab_str_skip(t, oplen));
	size_t vcol = (size_t)(vt.ptr - s.ptr);
	if (vt.len == 0 && op != PEP440_OP_ARBITRARY)
		return fail_at(err, base + oplen, "expected version after '%s'", op_names[op]);

	if (op == PEP440_OP_ARBITRARY) {
		size_t bad = arbitrary_bad(vt);
		if (bad)
			return fail_at(err, vcol + bad - 1,
				       "unexpected character in '===' version '%.*s'",
				       AB_STR_ARG(vt));
		pep440_version_parse(vt, &v, NULL);
		goto done;
	}
	wild = ab_str_endswith(vt, ".*");
	if (wild) {
		struct ab_str b = ab_str_make(vt.ptr, vt.len - 2);
		if (op != PEP440_OP_EQ && op != PEP440_OP_NE)
			return fail_at(err, vcol + vt.len - 2,
				       "'.*' is only allowed with '==' and '!=', not '%s'",
				       op_names[op]);
		if (!wildcard_base_ok(b))
			return fail_at(
				err, vcol,
				"'.*' must follow a release number such as '1.2', not '%.*s'",
				AB_STR_ARG(b));
		r = pep440_version_parse(b, &v, NULL);
		if (r < 0) /* unreachable: the base is a plain release */
			return fail_at(err, vcol, "invalid version '%.*s'", AB_STR_ARG(b));
		goto done;
	}
	r = pep440_version_parse(vt, &v, &verr);
	if (r < 0) {
		struct ab_loc loc = { NULL, 0, (unsigned)vcol + (verr.col ? verr.col : 1) };
		r = ab_err_at(err, AB_E_PARSE, &loc, "%s", verr.msg.buf);
		ab_err_release(&verr);
		return r;
	}
	if (v->nlocal && op != PEP440_OP_EQ && op != PEP440_OP_NE) {
		const char *plus = memchr(vt.ptr, '+', vt.len);
		r = fail_at(err, plus ? (size_t)(plus - s.ptr) : vcol,
			    "local version label not allowed with '%s'", op_names[op]);
		pep440_version_free(v);
		return r;
	}
	if (op == PEP440_OP_COMPATIBLE && v->nrelease < 2) {
		r = fail_at(err, vcol,
			    "'~=' needs a version with at least two release numbers, not '%.*s'",
			    AB_STR_ARG(vt));
		pep440_version_free(v);
		return r;
	}
done:
	out->op = op;
	out->wildcard = wild;
	out->text = ab_str_dup(vt);
	out->version = v;
	return 0;
}

void pep440_spec_release(struct pep440_spec *spec)
{
	free(spec->text);
	pep440_version_free(spec->version);
	memset(spec, 0, sizeof(*spec));
}

void pep440_spec_format(const struct pep440_spec *spec, struct ab_buf *out)
{
	ab_buf_adds(out, op_names[spec->op]);
	ab_buf_adds(out, spec->text);
}

/* Specifier._canonical_spec's version: the text for '===' and wildcards,
 * else canonicalize_version(), keeping trailing zeros for '~=' (where they
 * change the meaning). */
static void canonical_key(const struct pep440_spec *s, struct ab_buf *out)
{
	ab_buf_adds(out, op_names[s->op]);
	if (s->op == PEP440_OP_ARBITRARY || s->wildcard)
		ab_buf_adds(out, s->text);
	else if (s->op == PEP440_OP_COMPATIBLE)
		pep440_version_format(s->version, out);
	else
		pep440_version_canonical(s->version, out);
}

/* The byte at i of str(Specifier) = operator + text, or 0 past its end. */
static unsigned char spec_char(const struct pep440_spec *s, size_t i)
{
	const char *op = op_names[s->op];
	size_t n = strlen(op);
	return (unsigned char)(i < n ? op[i] : s->text[i - n]);
}

/* Python sorts str(Specifier) by code point: byte order of the UTF-8. */
static int spec_text_cmp(const void *a, const void *b)
{
	const struct pep440_spec *x = a, *y = b;
	for (size_t i = 0;; i++) {
		unsigned char cx = spec_char(x, i), cy = spec_char(y, i);
		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (!cx)
			return 0;
	}
}

int pep440_specset_parse(struct ab_str s, struct pep440_specset *out, struct ab_err *err)
{
	struct pep440_spec *specs = NULL;
	size_t n = 0, cap = 0, i = 0;
	int r = 0;

	*out = (struct pep440_specset)PEP440_SPECSET_INIT;
	if (s.len == 0)
		return 0;
	/* SpecifierSet: split on ',', strip, skip empty items */
	while (i <= s.len) {
		size_t j = i;
		while (j < s.len && s.ptr[j] != ',')
			j++;
		struct ab_str item = ab_str_make(s.ptr + i, j - i);
		if (pep440_strip(item).len) {
			AB_GROW(specs, cap, n + 1);
			r = pep440_spec_parse(item, &specs[n], err);
			if (r < 0) {
				if (err && err->code)
					err->col += (unsigned)i;
				goto fail;
			}
			n++;
		}
		i = j + 1;
	}
	/* str(SpecifierSet): dict.fromkeys(sorted(specs, key=str)) - sorted
	 * by text, the first of equal canonical forms kept. */
	if (n > 1)
		qsort(specs, n, sizeof(*specs), spec_text_cmp);
	size_t m = 0;
	if (n > 1) {
		struct ab_buf *keys = ab_xcalloc(n, sizeof(*keys));
		for (i = 0; i < n; i++) {
			keys[i] = (struct ab_buf)AB_BUF_INIT;
			canonical_key(&specs[i], &keys[i]);
			bool dup = false;
			for (size_t j = 0; j < m && !dup; j++)
				dup = !strcmp(keys[i].buf, keys[j].buf);
			if (dup) {
				pep440_spec_release(&specs[i]);
				ab_buf_release(&keys[i]);
			} else {
				specs[m] = specs[i];
				keys[m++] = keys[i];
			}
		}
		for (i = 0; i < m; i++)
			ab_buf_release(&keys[i]);
		free(keys);
	} else {
		m = n;
	}
	out->n = m;
	out->specs = specs;
	return 0;
fail:
	for (i = 0; i < n; i++)
		pep440_spec_release(&specs[i]);
	free(specs);
	return r;
}

void pep440_specset_release(struct pep440_specset *set)
{
	for (size_t i = 0; i < set->n; i++)
		pep440_spec_release(&set->specs[i]);
	free(set->specs);
	*set = (struct pep440_specset)PEP440_SPECSET_INIT;
}

void pep440_specset_format(const struct pep440_specset *set, struct ab_buf *out)
{
	for (size_t i = 0; i < set->n; i++) {
		if (i)
			ab_buf_addc(out, ',');
		pep440_spec_format(&set->specs[i], out);
	}
}
