/* pep440.c - PEP 440 versions: parse, compare, format.
 *
 * The scanner follows packaging 26.x's VERSION_PATTERN as Python >= 3.11 runs
 * it (possessive quantifiers `?+`/`*+`, so an optional part that matches is
 * never given back), compiled with re.IGNORECASE, anchored by `\s*` at both
 * ends. Only ASCII letters match: the reference rejects `1.0+K` (Kelvin sign)
 * and `1.0+ı` although Python's IGNORECASE would fold them. Comparison is
 * packaging's _cmpkey, computed on the fly without allocating. */
#include "formats/pep440.h"

#include "formats/core/arena.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

/* ---- characters ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_sep(char c)
{
	return c == '.' || c == '_' || c == '-';
}

/* Length of the whitespace character (str.isspace()) starting at p, or 0.
 * Python's `\s` and str.strip() use the same set: the ASCII controls
 * \t\n\v\f\r, \x1c-\x1f, space, and U+0085, U+00A0, U+1680, U+2000-U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000. */
static size_t space_at(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 0;
	unsigned char c = p[0];
	if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20))
		return 1;
	if (c == 0xc2 && n >= 2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if (c == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
		return 3;
	if (c == 0xe2 && p[1] == 0x80 &&
	    ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
		return 3;
	if (c == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
		return 3;
	if (c == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return 3;
	return 0;
}

struct ab_str pep440_strip(struct ab_str s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t b = 0, e = s.len, k;
	if (s.len == 0)
		return s;
	while (b < e && (k = space_at(p + b, e - b)) > 0)
		b += k;
	while (e > b) {
		/* a whitespace character ends at e: try its 1-, 2- and 3-byte forms */
		if (space_at(p + e - 1, 1) == 1)
			e -= 1;
		else if (e - b >= 2 && space_at(p + e - 2, 2) == 2)
			e -= 2;
		else if (e - b >= 3 && space_at(p + e - 3, 3) == 3)
			e -= 3;
		else
			break;
	}
	return ab_str_make(s.ptr + b, e - b);
}

/* ---- numbers ---- */

/* Value of the digits [p, p+n) without leading zeros: fits in u64? */
static bool digits_fit(const char *p, size_t n)
{
	static const char max[] = "18446744073709551615";
	if (n < 20)
		return true;
	if (n > 20)
		return false;
	return memcmp(p, max, 20) <= 0;
}

static uint64_t digits_value(const char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	return v;
}

int pep440_num_cmp(const struct pep440_num *a, const struct pep440_num *b)
{
	if (!a->big && !b->big)
		return a->v < b->v ? -1 : a->v > b->v;
	if (!a->big)
		return -1;
	if (!b->big)
		return 1;
	if (a->bigl != b->bigl)
		return a->bigl < b->bigl ? -1 : 1;
	int c = memcmp(a->big, b->big, a->bigl);
	return c < 0 ? -1 : c > 0;
}

static bool num_is_zero(const struct pep440_num *n)
{
	return !n->big && n->v == 0;
}

void pep440_num_format(const struct pep440_num *n, struct ab_buf *out)
{
	if (n->big)
		ab_buf_add(out, n->big, n->bigl);
	else
		ab_buf_addf(out, "%llu", (unsigned long long)n->v);
}

/* ---- scanning ---- */

struct span {
	size_t b, e; /* offsets into the stripped input; b == e: absent */
};

struct scan {
	bool has_epoch;
	struct span epoch, release;
	enum pep440_pre pre;
	struct span pre_n;
	bool has_post, has_dev;
	struct span post_n, dev_n;
	struct span local; /* without the '+' */
	size_t nrelease, nlocal;
	size_t fail; /* offset of the first character not matched */
};

/* Case-insensitive ASCII prefix match of the keyword `kw` at s[i]. */
static size_t keyword(const char *s, size_t i, size_t n, const char *kw)
{
	size_t k = 0;
	while (kw[k]) {
		if (i + k >= n || lower(s[i + k]) != kw[k])
			return 0;
		k++;
	}
	return k;
}

static size_t digits(const char *s, size_t i, size_t n)
{
	size_t j = i;
	while (j < n && is_digit(s[j]))
		j++;
	return j - i;
}

/* Match VERSION_PATTERN against all of s[0, n) (already stripped).
 * Returns true on a full match; otherwise sc->fail says where it stopped. */
static bool scan_version(const char *s, size_t n, struct scan *sc)
{
	/* Alternatives in the pattern's order: the first that matches wins and,
	 * the group being possessive, is never retried. */
	static const struct {
		const char *kw;
		enum pep440_pre pre;
	} pre_kw[] = {
		/* clang-format off */
		{ "alpha", PEP440_PRE_A }, { "a", PEP440_PRE_A },
		{ "beta", PEP440_PRE_B }, { "b", PEP440_PRE_B },
		{ "preview", PEP440_PRE_RC }, { "pre", PEP440_PRE_RC },
		{ "c", PEP440_PRE_RC }, { "rc", PEP440_PRE_RC },
		/* clang-format on */
	};
	static const char *const post_kw[] = { "post", "rev", "r" };
	size_t i = 0, k;

	/* fields set one by one: a memset here is a slow `rep stos` */
	sc->has_epoch = sc->has_post = sc->has_dev = false;
	sc->pre = PEP440_PRE_NONE;
	sc->nlocal = 0;
	sc->local.b = sc->local.e = 0;
	if (i < n && lower(s[i]) == 'v')
		i++;
	k = digits(s, i, n);
	if (k && i + k < n && s[i + k] == '!') {
		sc->has_epoch = true;
		sc->epoch = (struct span){ i, i + k };
		i += k + 1;
	}
	k = digits(s, i, n);
	if (!k) {
		sc->fail = i;
		return false;
	}
	sc->release.b = i;
	sc->nrelease = 1;
	i += k;
	while (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
		i += 1 + digits(s, i + 1, n);
		sc->nrelease++;
	}
	sc->release.e = i;

	/* pre: [._-]?+ (alpha|a|beta|b|preview|pre|c|rc) [._-]?+ [0-9]* */
	size_t j = i + (i < n && is_sep(s[i]));
	for (size_t a = 0; a < AB_ARRAY_SIZE(pre_kw); a++) {
		k = keyword(s, j, n, pre_kw[a].kw);
		if (!k)
			continue;
		j += k;
		j += j < n && is_sep(s[j]);
		sc->pre = pre_kw[a].pre;
		sc->pre_n = (struct span){ j, j + digits(s, j, n) };
		i = sc->pre_n.e;
		break;
	}

	/* post: -[0-9]+ | [._-]? (post|rev|r) [._-]? [0-9]* */
	if (i + 1 < n && s[i] == '-' && is_digit(s[i + 1])) {
		sc->has_post = true;
		sc->post_n = (struct span){ i + 1, i + 1 + digits(s, i + 1, n) };
		i = sc->post_n.e;
	} else {
		j = i + (i < n && is_sep(s[i]));
		for (size_t a = 0; a < AB_ARRAY_SIZE(post_kw); a++) {
			k = keyword(s, j, n, post_kw[a]);
			if (!k)
				continue;
			j += k;
			j += j < n && is_sep(s[j]);
			sc->has_post = true;
			sc->post_n = (struct span){ j, j + digits(s, j, n) };
			i = sc->post_n.e;
			break;
		}
	}

	/* dev: [._-]?+ dev [._-]?+ [0-9]* */
	j = i + (i < n && is_sep(s[i]));
	k = keyword(s, j, n, "dev");
	if (k) {
		j += k;
		j += j < n && is_sep(s[j]);
		sc->has_dev = true;
		sc->dev_n = (struct span){ j, j + digits(s, j, n) };
		i = sc->dev_n.e;
	}

	/* local: \+ [a-z0-9]+ ([._-][a-z0-9]+)* */
	if (i + 1 < n && s[i] == '+' && is_alnum(s[i + 1])) {
		j = i + 1;
		sc->local.b = j;
		sc->nlocal = 1;
		while (j < n && is_alnum(s[j]))
			j++;
		while (j + 1 < n && is_sep(s[j]) && is_alnum(s[j + 1])) {
			j++;
			sc->nlocal++;
			while (j < n && is_alnum(s[j]))
				j++;
		}
		sc->local.e = j;
		i = j;
	}
	sc->fail = i;
	return i == n;
}

/* ---- building the block ---- */

struct builder {
	char *str; /* normalized string being written */
	size_t len;
	char *aux; /* local segment strings */
};

static void put(struct builder *b, const char *p, size_t n)
{
	memcpy(b->str + b->len, p, n);
	b->len += n;
}

/* Store the number in digits [p, p+n) (n may be 0: implicit 0), writing its
 * normalized digits to the string; big numbers point at those digits. */
static void put_num(struct builder *b, struct pep440_num *num, const char *p, size_t n)
{
	while (n > 1 && *p == '0')
		p++, n--;
	if (n == 0) {
		p = "0";
		n = 1;
	}
	num->big = NULL;
	num->bigl = 0;
	if (digits_fit(p, n)) {
		num->v = digits_value(p, n);
	} else {
		num->v = 0;
		num->big = b->str + b->len;
		num->bigl = (uint32_t)n;
	}
	put(b, p, n);
}

/* n clamped to `max`; *exact stays true only while n < max (then later
 * numbers may break ties, otherwise two clamped values could differ) */
static uint64_t sat(const struct pep440_num *n, uint64_t max, bool *exact)
{
	if (!*exact)
		return 0;
	if (n->big || n->v >= max) {
		*exact = false;
		return max;
	}
	return n->v;
}

/* The keys of pep440_version_cmp(), compared in order before anything else:
 *   key[0] = epoch (16 bits) | release[0] (48)
 *   key[1] = release[1] (32) | release[2] (32)
 *   key[2] = the pre/post/dev suffix in _cmpkey order:
 *            pre rank (2 bits: dev-only 0, pre-release 1, none 2) | letter (2) |
 *            pre number (16) | has post (1) | post number (20) |
 *            no dev (1) | dev number (20)
 * Each field is used only while every field before it is exact (not
 * clamped), and the suffix only when the release fits in three numbers, so
 * key order never contradicts version order. Trailing zeros of the release
 * count as absent, which the padding with 0 matches. `whole` is set when
 * the keys describe the version completely (no local label either): equal
 * keys then mean equal versions. */
void pep440_version_rekey(struct pep440_version *v)
{
	static const struct pep440_num zero = { 0, NULL, 0 };
	const struct pep440_num *r0 = v->ntrim > 0 ? &v->release[0] : &zero;
	const struct pep440_num *r1 = v->ntrim > 1 ? &v->release[1] : &zero;
	const struct pep440_num *r2 = v->ntrim > 2 ? &v->release[2] : &zero;
	bool exact = true;
	uint64_t e = sat(&v->epoch, 0xffff, &exact);
	v->key[0] = e << 48 | sat(r0, 0xffffffffffffULL, &exact);
	uint64_t k1 = sat(r1, 0xffffffffULL, &exact);
	v->key[1] = k1 << 32 | sat(r2, 0xffffffffULL, &exact);
	if (exact && v->ntrim > 3) {
		/* the release goes on past the keys: it is above every version
		 * whose release ends within them, and the suffix cannot tell
		 * two such versions apart (the max value, never an exact key) */
		v->key[2] = UINT64_MAX;
		v->whole = false;
		return;
	}

	uint64_t rank = (!v->pre && !v->has_post && v->has_dev) ? 0 : v->pre ? 1 : 2;
	uint64_t k2 = exact ? rank : 0;
	k2 = k2 << 2 | (exact && v->pre ? (uint64_t)(v->pre - PEP440_PRE_A) : 0);
	k2 = k2 << 16 | (v->pre ? sat(&v->pre_n, 0xffff, &exact) : 0);
	k2 = k2 << 1 | (exact && v->has_post);
	k2 = k2 << 20 | (v->has_post ? sat(&v->post, 0xfffff, &exact) : 0);
	k2 = k2 << 1 | (exact && !v->has_dev);
	k2 = k2 << 20 | (v->has_dev ? sat(&v->dev, 0xfffff, &exact) : 0);
	v->key[2] = k2;
	v->whole = exact && v->nlocal == 0;
}

static struct pep440_version *build(const char *s, const struct scan *sc, struct ab_arena *arena)
{
	size_t n = sc->fail; /* == input length */
	size_t str_cap = n + 24;
	size_t aux_cap = (sc->local.e - sc->local.b) + sc->nlocal + 1;
	size_t size = sizeof(struct pep440_version) + sc->nrelease * sizeof(struct pep440_num) +
		      sc->nlocal * sizeof(struct pep440_local) + str_cap + aux_cap;
	struct pep440_version *v = arena ? ab_arena_alloc(arena, size) : ab_xmalloc(size);
	char *p = (char *)(v + 1);

	v->epoch = (struct pep440_num){ 0, NULL, 0 };
	v->pre = PEP440_PRE_NONE;
	v->pre_n = v->epoch;
	v->has_post = v->has_dev = false;
	v->post = v->dev = v->epoch;
	v->size = size;
	v->nrelease = sc->nrelease;
	v->release = (struct pep440_num *)p;
	p += sc->nrelease * sizeof(struct pep440_num);
	v->nlocal = sc->nlocal;
	v->local = sc->nlocal ? (struct pep440_local *)p : NULL;
	p += sc->nlocal * sizeof(struct pep440_local);

	struct builder b = { p, 0, p + str_cap };
	v->str = b.str;

	/* Epoch: printed only when non-zero (str(Version)). */
	if (sc->has_epoch) {
		size_t at = b.len;
		put_num(&b, &v->epoch, s + sc->epoch.b, sc->epoch.e - sc->epoch.b);
		if (num_is_zero(&v->epoch))
			b.len = at;
		else
			put(&b, "!", 1);
	}
	size_t i = sc->release.b, r = 0, last = 0;
	while (i < sc->release.e) {
		size_t k = digits(s, i, sc->release.e);
		if (r)
			put(&b, ".", 1);
		put_num(&b, &v->release[r], s + i, k);
		if (!num_is_zero(&v->release[r]))
			last = r + 1;
		r++;
		i += k + 1;
	}
	v->ntrim = last;
	v->rel_end = (uint32_t)b.len;
	if (sc->pre) {
		v->pre = sc->pre;
		put(&b,
		    sc->pre == PEP440_PRE_A   ? "a"
		    : sc->pre == PEP440_PRE_B ? "b"
					      : "rc",
		    sc->pre == PEP440_PRE_RC ? 2 : 1);
		put_num(&b, &v->pre_n, s + sc->pre_n.b, sc->pre_n.e - sc->pre_n.b);
	}
	if (sc->has_post) {
		v->has_post = true;
		put(&b, ".post", 5);
		put_num(&b, &v->post, s + sc->post_n.b, sc->post_n.e - sc->post_n.b);
	}
	if (sc->has_dev) {
		v->has_dev = true;
		put(&b, ".dev", 4);
		put_num(&b, &v->dev, s + sc->dev_n.b, sc->dev_n.e - sc->dev_n.b);
	}
	v->pub_end = (uint32_t)b.len;
	if (sc->nlocal) {
		/* _parse_local_version: split on [._-], digits-only parts become
		 * ints, others lowercase; str() joins them with '.'. */
		put(&b, "+", 1);
		i = sc->local.b;
		for (size_t l = 0; l < sc->nlocal; l++) {
			size_t j = i;
			bool numeric = true;
			while (j < sc->local.e && is_alnum(s[j])) {
				numeric = numeric && is_digit(s[j]);
				j++;
			}
			struct pep440_local *seg = &v->local[l];
			if (l)
				put(&b, ".", 1);
			seg->numeric = numeric;
			if (numeric) {
				put_num(&b, &seg->num, s + i, j - i);
				seg->str = NULL;
			} else {
				seg->num = (struct pep440_num){ 0, NULL, 0 };
				seg->str = b.aux;
				for (size_t c = i; c < j; c++)
					*b.aux++ = lower(s[c]);
				*b.aux++ = '\0';
				put(&b, seg->str, j - i);
			}
			i = j + 1;
		}
	}
	b.str[b.len] = '\0';
	v->len = (uint32_t)b.len;
	pep440_version_rekey(v);
	return v;
}

int pep440_version_parse_arena(struct ab_str s, struct ab_arena *arena,
			       struct pep440_version **out, struct ab_err *err)
{
	struct ab_str t = pep440_strip(s);
	size_t off = s.len ? (size_t)(t.ptr - s.ptr) : 0;
	struct scan sc = { 0 }; /* zeroed: gcc -O2 cannot see scan_version() sets what build() reads */

	*out = NULL;
	if (t.len == 0)
		return ab_err_at(err, AB_E_PARSE, &(struct ab_loc){ NULL, 0, (unsigned)off + 1 },
				 "expected a version");
	if (t.len > UINT32_MAX / 2)
		return ab_err_at(err, AB_E_PARSE, &(struct ab_loc){ NULL, 0, 1 },
				 "version is too long");
	if (!scan_version(t.ptr, t.len, &sc)) {
		struct ab_loc loc = { NULL, 0, (unsigned)(off + sc.fail + 1) };
		unsigned char c = (unsigned char)t.ptr[sc.fail < t.len ? sc.fail : 0];
		if (sc.fail >= t.len)
			return ab_err_at(err, AB_E_PARSE, &loc,
					 "invalid version '%.*s': unexpected end", AB_STR_ARG(t));
		if (c >= 0x20 && c < 0x7f)
			return ab_err_at(err, AB_E_PARSE, &loc,
					 "invalid version '%.*s': unexpected '%c'", AB_STR_ARG(t),
					 c);
		return ab_err_at(err, AB_E_PARSE, &loc,
				 "invalid version '%.*s': unexpected byte 0x%02x", AB_STR_ARG(t),
				 c);
	}
	*out = build(t.ptr, &sc, arena);
	return 0;
}

int pep440_version_parse(struct ab_str s, struct pep440_version **out, struct ab_err *err)
{
	return pep440_version_parse_arena(s, NULL, out, err);
}

struct pep440_version *pep440_version_new(const char *s)
{
	struct pep440_version *v = NULL;
	if (pep440_version_parse(ab_str_from(s), &v, NULL) < 0)
		return NULL;
	return v;
}

void pep440_version_free(struct pep440_version *v)
{
	free(v);
}

static void relocate(struct pep440_num *n, ptrdiff_t d)
{
	if (n->big)
		n->big += d;
}

struct pep440_version *pep440_version_dup(const struct pep440_version *v)
{
	return v ? pep440_version_copy_to(ab_xmalloc(v->size), v) : NULL;
}

struct pep440_version *pep440_version_copy_to(void *mem, const struct pep440_version *v)
{
	struct pep440_version *c = mem;
	memcpy(c, v, v->size);
	ptrdiff_t d = (const char *)c - (const char *)v;
	c->str += d;
	c->release = (struct pep440_num *)((char *)c->release + d);
	if (c->local)
		c->local = (struct pep440_local *)((char *)c->local + d);
	relocate(&c->epoch, d);
	relocate(&c->pre_n, d);
	relocate(&c->post, d);
	relocate(&c->dev, d);
	for (size_t i = 0; i < c->nrelease; i++)
		relocate(&c->release[i], d);
	for (size_t i = 0; i < c->nlocal; i++) {
		relocate(&c->local[i].num, d);
		if (c->local[i].str)
			c->local[i].str += d;
	}
	return c;
}

/* ---- comparison: packaging's _cmpkey ---- */

/* The pre-release slot of _cmpkey: -inf for a bare dev release (1.0.dev0
 * sorts before 1.0a0), +inf without a pre-release, else (letter, n). */
static int pre_rank(const struct pep440_version *v)
{
	if (!v->pre && !v->has_post && v->has_dev)
		return -1;
	if (!v->pre)
		return 1;
	return 0;
}

int pep440_version_cmp_upto_pre(const struct pep440_version *a, const struct pep440_version *b)
{
	int c = pep440_num_cmp(&a->epoch, &b->epoch);
	if (c)
		return c;
	size_t n = a->ntrim < b->ntrim ? a->ntrim : b->ntrim;
	for (size_t i = 0; i < n; i++) {
		c = pep440_num_cmp(&a->release[i], &b->release[i]);
		if (c)
			return c;
	}
	if (a->ntrim != b->ntrim)
		return a->ntrim < b->ntrim ? -1 : 1;
	int ra = pre_rank(a), rb = pre_rank(b);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 0) {
		if (a->pre != b->pre)
			return a->pre < b->pre ? -1 : 1;
		return pep440_num_cmp(&a->pre_n, &b->pre_n);
	}
	return 0;
}

int pep440_version_cmp_public(const struct pep440_version *a, const struct pep440_version *b)
{
	if (a->key[0] != b->key[0])
		return a->key[0] < b->key[0] ? -1 : 1;
	if (a->key[1] != b->key[1])
		return a->key[1] < b->key[1] ? -1 : 1;
	if (a->key[2] != b->key[2])
		return a->key[2] < b->key[2] ? -1 : 1;
	if (a->whole && b->whole)
		return 0;
	int c = pep440_version_cmp_upto_pre(a, b);
	if (c)
		return c;
	/* post: absent sorts first */
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if (a->has_post) {
		c = pep440_num_cmp(&a->post, &b->post);
		if (c)
			return c;
	}
	/* dev: absent sorts last */
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;
	if (a->has_dev)
		return pep440_num_cmp(&a->dev, &b->dev);
	return 0;
}

/* Local labels: none sorts first; segment by segment a number beats a
 * string, numbers compare as integers, strings lexicographically; a proper
 * prefix sorts first. */
static int local_cmp(const struct pep440_version *a, const struct pep440_version *b)
{
	size_t n = a->nlocal < b->nlocal ? a->nlocal : b->nlocal;
	for (size_t i = 0; i < n; i++) {
		const struct pep440_local *x = &a->local[i], *y = &b->local[i];
		int c;
		if (x->numeric != y->numeric)
			return x->numeric ? 1 : -1;
		if (x->numeric)
			c = pep440_num_cmp(&x->num, &y->num);
		else
			c = strcmp(x->str, y->str);
		if (c)
			return c < 0 ? -1 : 1;
	}
	if (a->nlocal != b->nlocal)
		return a->nlocal < b->nlocal ? -1 : 1;
	return 0;
}

int pep440_version_cmp(const struct pep440_version *a, const struct pep440_version *b)
{
	/* most comparisons end at the packed keys (vrange_contains() calls
	 * this hundreds of thousands of times a resolve) */
	if (a->key[0] != b->key[0])
		return a->key[0] < b->key[0] ? -1 : 1;
	if (a->key[1] != b->key[1])
		return a->key[1] < b->key[1] ? -1 : 1;
	if (a->key[2] != b->key[2])
		return a->key[2] < b->key[2] ? -1 : 1;
	/* the same normal form is the same version: indexes repeat versions a
	 * lot, and this settles those ties without walking the parts */
	if (a->len == b->len && memcmp(a->str, b->str, a->len) == 0)
		return 0;
	int c = pep440_version_cmp_public(a, b);
	return c ? c : local_cmp(a, b);
}

/* ---- sorting ---- */

/* Sorting reads the prefix keys out of the versions once, so most
 * comparisons touch neither the version blocks nor a function pointer. */
struct sort_item {
	uint64_t k0, k1, k2;
	struct pep440_version *v;
};

static inline bool item_less(const struct sort_item *a, const struct sort_item *b)
{
	if (a->k0 != b->k0)
		return a->k0 < b->k0;
	if (a->k1 != b->k1)
		return a->k1 < b->k1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2;
	if (a->v->whole && b->v->whole)
		return false;
	return pep440_version_cmp(a->v, b->v) < 0;
}

static void insertion_sort(struct sort_item *x, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sort_item t = x[i];
		size_t j = i;
		for (; j > 0 && item_less(&t, &x[j - 1]); j--)
			x[j] = x[j - 1];
		x[j] = t;
	}
}

void pep440_versions_sort(struct pep440_version **vs, size_t n)
{
	if (n < 2)
		return;
	struct sort_item *a = ab_xmalloc(2 * n * sizeof(*a)), *b = a + n;
	for (size_t i = 0; i < n; i++)
		a[i] = (struct sort_item){ vs[i]->key[0], vs[i]->key[1], vs[i]->key[2], vs[i] };
	/* bottom-up merge sort over insertion-sorted runs: stable, O(n log n) */
	const size_t run = 16;
	for (size_t i = 0; i < n; i += run)
		insertion_sort(a + i, n - i < run ? n - i : run);
	for (size_t w = run; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				b[k++] = item_less(&a[j], &a[i]) ? a[j++] : a[i++];
			while (i < mid)
				b[k++] = a[i++];
			while (j < hi)
				b[k++] = a[j++];
		}
		struct sort_item *t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		vs[i] = a[i].v;
	free(a < b ? a : b);
}

/* ---- formatting ---- */

void pep440_version_format(const struct pep440_version *v, struct ab_buf *out)
{
	ab_buf_add(out, v->str, v->len);
}

void pep440_version_public(const struct pep440_version *v, struct ab_buf *out)
{
	ab_buf_add(out, v->str, v->pub_end);
}

void pep440_version_base(const struct pep440_version *v, struct ab_buf *out)
{
	ab_buf_add(out, v->str, v->rel_end);
}

void pep440_version_local(const struct pep440_version *v, struct ab_buf *out)
{
	if (v->nlocal)
		ab_buf_add(out, v->str + v->pub_end + 1, v->len - v->pub_end - 1);
}

/* canonicalize_version(): str(Version) with the release's trailing zeros
 * dropped, keeping at least one component (re.sub(r"(\.0)+$", "", ...)). */
void pep440_version_canonical(const struct pep440_version *v, struct ab_buf *out)
{
	size_t keep = v->ntrim ? v->ntrim : 1;
	const char *p = v->str;
	const char *e = p;
	if (!num_is_zero(&v->epoch))
		e = strchr(p, '!') + 1;
	/* end of the kept release components: skip `keep` dot-separated numbers */
	for (size_t i = 0; i < keep; i++) {
		if (i)
			e++;
		while (is_digit(*e))
			e++;
	}
	ab_buf_add(out, p, (size_t)(e - p));
	ab_buf_add(out, p + v->rel_end, v->len - v->rel_end);
}

void pep440_canonicalize(struct ab_str s, struct ab_buf *out)
{
	struct pep440_version *v = NULL;
	if (pep440_version_parse(s, &v, NULL) < 0) {
		ab_buf_addstr(out, s);
		return;
	}
	pep440_version_canonical(v, out);
	free(v);
}

bool pep440_is_prerelease(const struct pep440_version *v)
{
	return v->pre != PEP440_PRE_NONE || v->has_dev;
}

bool pep440_is_postrelease(const struct pep440_version *v)
{
	return v->has_post;
}

bool pep440_is_devrelease(const struct pep440_version *v)
{
	return v->has_dev;
}
