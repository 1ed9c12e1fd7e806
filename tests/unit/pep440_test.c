/* pep440_test.c - versions (parse, errors, compare, format helpers, big
 * numbers, dup) and specifiers (parse errors, canonical str(), contains,
 * filter). The full reference behaviour is checked by the vector runner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pep440.h"

static void assert_buf(struct ab_buf *b, const char *want)
{
	if (strcmp(b->buf, want))
		fail_msg("got '%s', want '%s'", b->buf, want);
	ab_buf_reset(b);
}

/* ---- versions ---- */

static const struct {
	const char *in, *norm, *pub, *base, *local, *canon;
} good[] = {
	{ "1.0", "1.0", "1.0", "1.0", "", "1" },
	{ " v1.0.post2.DEV3+UbU.01 ", "1.0.post2.dev3+ubu.1", "1.0.post2.dev3", "1.0", "ubu.1",
	  "1.post2.dev3+ubu.1" },
	{ "1!2.0-1", "1!2.0.post1", "1!2.0.post1", "1!2.0", "", "1!2.post1" },
	{ "0!1.0c", "1.0rc0", "1.0rc0", "1.0", "", "1rc0" },
	{ "1.0.Preview_2", "1.0rc2", "1.0rc2", "1.0", "", "1rc2" },
	{ "1.0rev", "1.0.post0", "1.0.post0", "1.0", "", "1.post0" },
	{ "1.0-r-3", "1.0.post3", "1.0.post3", "1.0", "", "1.post3" },
	{ "1.0.a.", "1.0a0", "1.0a0", "1.0", "", "1a0" },
	{ "1.0dev.", "1.0.dev0", "1.0.dev0", "1.0", "", "1.dev0" },
	{ "1.0+a-b_c", "1.0+a.b.c", "1.0", "1.0", "a.b.c", "1+a.b.c" },
	{ "0.0.0", "0.0.0", "0.0.0", "0.0.0", "", "0" },
	{ "\xc2\xa0"
	  "1.0\xe3\x80\x80",
	  "1.0", "1.0", "1.0", "", "1" },
	{ "1.0\x1f", "1.0", "1.0", "1.0", "", "1" },
	{ "0018446744073709551616.0", "18446744073709551616.0", "18446744073709551616.0",
	  "18446744073709551616.0", "", "18446744073709551616" },
	{ "99999999999999999999999!1a99999999999999999999999+00099999999999999999999999",
	  "99999999999999999999999!1a99999999999999999999999+99999999999999999999999",
	  "99999999999999999999999!1a99999999999999999999999", "99999999999999999999999!1",
	  "99999999999999999999999",
	  "99999999999999999999999!1a99999999999999999999999+99999999999999999999999" },
};

static void version_good(void **state)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct pep440_version *v = NULL;
		struct ab_err err = AB_ERR_INIT;
		if (pep440_version_parse(ab_str_from(good[i].in), &v, &err) < 0)
			fail_msg("'%s': %s", good[i].in, err.msg.buf);
		assert_string_equal(v->str, good[i].norm);
		pep440_version_format(v, &b);
		assert_buf(&b, good[i].norm);
		pep440_version_public(v, &b);
		assert_buf(&b, good[i].pub);
		pep440_version_base(v, &b);
		assert_buf(&b, good[i].base);
		pep440_version_local(v, &b);
		assert_buf(&b, good[i].local);
		pep440_canonicalize(ab_str_from(good[i].in), &b);
		assert_buf(&b, good[i].canon);
		struct pep440_version *d = pep440_version_dup(v);
		pep440_version_free(v);
		assert_string_equal(d->str, good[i].norm); /* the copy stands alone */
		pep440_version_local(d, &b);
		assert_buf(&b, good[i].local);
		pep440_version_free(d);
		ab_err_release(&err);
	}
	ab_buf_release(&b);
}

static const struct {
	const char *in;
	unsigned col;
	const char *msg;
} bad[] = {
	{ "", 1, "expected a version" },
	{ "  ", 3, "expected a version" },
	{ "1.0+", 4, "invalid version '1.0+': unexpected '+'" },
	{ " 1.0 a1", 5, "invalid version '1.0 a1': unexpected ' '" },
	{ "v", 2, "invalid version 'v': unexpected end" },
	{ "1.0\xc4\xb0", 4, "invalid version '1.0\xc4\xb0': unexpected byte 0xc4" },
	{ "1.0-1a1", 6, "invalid version '1.0-1a1': unexpected 'a'" },
	{ "1.0.dev1.post1", 9, "invalid version '1.0.dev1.post1': unexpected '.'" },
	{ "1!1!1", 4, "invalid version '1!1!1': unexpected '!'" },
	{ "1.0+a..b", 6, "invalid version '1.0+a..b': unexpected '.'" },
	{ "1.*", 2, "invalid version '1.*': unexpected '.'" },
};

static void version_bad(void **state)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pep440_version *v = (struct pep440_version *)&b; /* must be reset */
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(pep440_version_parse(ab_str_from(bad[i].in), &v, &err),
				 -AB_E_PARSE);
		assert_null(v);
		assert_int_equal(err.code, AB_E_PARSE);
		if (err.col != bad[i].col || strcmp(err.msg.buf, bad[i].msg))
			fail_msg("'%s': %u '%s', want %u '%s'", bad[i].in, err.col, err.msg.buf,
				 bad[i].col, bad[i].msg);
		assert_null(pep440_version_new(bad[i].in));
		pep440_canonicalize(ab_str_from(bad[i].in), &b);
		assert_buf(&b, bad[i].in);
		ab_err_release(&err);
	}
	ab_buf_release(&b);
}

/* Ascending; '=' joins equal neighbours. */
static const char *const order[] = {
	"0.dev0",
	"=0.0.dev0",
	"0",
	"=0.0",
	"0+a",
	"0+0",
	"1.0.dev0",
	"1.0a1.dev0",
	"1.0a1",
	"1.0a1+1",
	"1.0a1.post0.dev0",
	"1.0a1.post0",
	"1.0a2",
	"1.0b1",
	"1.0rc1",
	"=1.0c1",
	"1.0",
	"=1.0.0",
	"1.0+a",
	"1.0+a.0a",
	"1.0+a.a",
	"1.0+a.0",
	"1.0+0",
	"=1.0+00",
	"1.0.post0.dev0",
	"1.0.post0",
	"1.0.post1",
	"1.0.0.1",
	"1.1",
	"18446744073709551615",
	"18446744073709551616",
	"99999999999999999999",
	"100000000000000000000",
	"1!0.dev0",
};

static void version_order(void **state)
{
	size_t n = sizeof(order) / sizeof(order[0]);
	struct pep440_version *vs[sizeof(order) / sizeof(order[0])];
	size_t rank[sizeof(order) / sizeof(order[0])], r = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = order[i];
		if (*s == '=')
			s++;
		else if (i)
			r++;
		rank[i] = r;
		vs[i] = pep440_version_new(s);
		assert_non_null(vs[i]);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = rank[i] < rank[j] ? -1 : rank[i] > rank[j];
			int got = pep440_version_cmp(vs[i], vs[j]);
			got = got < 0 ? -1 : got > 0;
			if (got != want)
				fail_msg("'%s' vs '%s': %d, want %d", vs[i]->str, vs[j]->str, got,
					 want);
		}
	/* public comparison ignores local labels */
	assert_int_equal(pep440_version_cmp_public(vs[18], vs[16]), 0);
	for (size_t i = 0; i < n; i++)
		pep440_version_free(vs[i]);
}

static void version_parts(void **state)
{
	struct pep440_version *v =
		pep440_version_new("2!1.18446744073709551616.3rc4.post5.dev6+x.7");
	assert_non_null(v);
	assert_int_equal(v->epoch.v, 2);
	assert_int_equal(v->nrelease, 3);
	assert_null(v->release[0].big);
	assert_int_equal(v->release[0].v, 1);
	assert_non_null(v->release[1].big);
	assert_int_equal(v->release[1].bigl, 20);
	assert_memory_equal(v->release[1].big, "18446744073709551616", 20);
	assert_int_equal(v->pre, PEP440_PRE_RC);
	assert_int_equal(v->pre_n.v, 4);
	assert_true(v->has_post && v->has_dev);
	assert_int_equal(v->post.v, 5);
	assert_int_equal(v->dev.v, 6);
	assert_int_equal(v->nlocal, 2);
	assert_false(v->local[0].numeric);
	assert_string_equal(v->local[0].str, "x");
	assert_null(v->local[0].num.big); /* dup relocates every big pointer */
	assert_null(v->local[1].str);
	assert_true(v->local[1].numeric);
	assert_int_equal(v->local[1].num.v, 7);
	assert_true(pep440_is_prerelease(v));
	assert_true(pep440_is_postrelease(v));
	assert_true(pep440_is_devrelease(v));
	pep440_version_free(v);
	v = pep440_version_new("1.0.post1");
	assert_false(pep440_is_prerelease(v));
	pep440_version_free(v);

	struct ab_str s = pep440_strip(ab_str_from("\xe2\x80\xa8 x\xc2\x85"));
	assert_int_equal(s.len, 1);
	assert_int_equal(s.ptr[0], 'x');
	s = pep440_strip(ab_str_from("\xe2\x80\x8b"
				     "x")); /* U+200B is not whitespace */
	assert_int_equal(s.len, 4);
}

/* ---- specifiers ---- */

static const struct {
	const char *in;
	unsigned col;
	const char *msg;
} spec_bad[] = {
	{ "=>2.0", 1, "expected a version operator in '=>2.0'" },
	{ " >=", 4, "expected version after '>='" },
	{ ">=1.0+abc", 6, "local version label not allowed with '>='" },
	{ "<1.0.*", 5, "'.*' is only allowed with '==' and '!=', not '<'" },
	{ "== 1.0a1.*", 4, "'.*' must follow a release number such as '1.2', not '1.0a1'" },
	{ "~=1", 3, "'~=' needs a version with at least two release numbers, not '1'" },
	{ "~=1.0+x", 6, "local version label not allowed with '~='" },
	{ "===a b", 5, "unexpected character in '===' version 'a b'" },
	{ "===a;", 5, "unexpected character in '===' version 'a;'" },
	{ ">=1.0, <2.0, =>3", 14, "expected a version operator in '=>3'" },
	{ "==1.0, >=1.x", 11, "invalid version '1.x': unexpected '.'" },
	{ "1.0", 1, "expected a version operator in '1.0'" },
};

static void spec_errors(void **state)
{
	for (size_t i = 0; i < sizeof(spec_bad) / sizeof(spec_bad[0]); i++) {
		struct pep440_specset set = PEP440_SPECSET_INIT;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(pep440_specset_parse(ab_str_from(spec_bad[i].in), &set, &err),
				 -AB_E_PARSE);
		assert_int_equal(set.n, 0);
		if (err.col != spec_bad[i].col || strcmp(err.msg.buf, spec_bad[i].msg))
			fail_msg("'%s': %u '%s', want %u '%s'", spec_bad[i].in, err.col,
				 err.msg.buf, spec_bad[i].col, spec_bad[i].msg);
		ab_err_release(&err);
	}
	struct pep440_spec sp;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(pep440_spec_parse(ab_str_from("  "), &sp, &err), -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "expected a version specifier");
	ab_err_release(&err);
}

static const struct {
	const char *in, *norm;
	int pre;
} spec_good[] = {
	{ "", "", -1 },
	{ " , ,", "", -1 },
	{ ">=1.0 , <2", "<2,>=1.0", -1 },
	{ "==1.0.0,==1.0,== 1", "==1", -1 }, /* dict.fromkeys(sorted(...)) */
	{ "~=1.0,~=1.0.0", "~=1.0,~=1.0.0", -1 },
	{ "!=1.0a1", "!=1.0a1", -1 },
	{ ">=1.0a1,!=2", "!=2,>=1.0a1", 1 },
	{ "==v1.0.*,===Foo", "===Foo,==v1.0.*", -1 },
	{ "===1.0rc1", "===1.0rc1", 1 },
	{ "===", "===", -1 },
};

static void spec_canonical(void **state)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < sizeof(spec_good) / sizeof(spec_good[0]); i++) {
		struct pep440_specset set = PEP440_SPECSET_INIT;
		struct ab_err err = AB_ERR_INIT;
		if (pep440_specset_parse(ab_str_from(spec_good[i].in), &set, &err) < 0)
			fail_msg("'%s': %s", spec_good[i].in, err.msg.buf);
		pep440_specset_format(&set, &b);
		if (strcmp(b.buf, spec_good[i].norm))
			fail_msg("'%s' -> '%s', want '%s'", spec_good[i].in, b.buf,
				 spec_good[i].norm);
		ab_buf_reset(&b);
		assert_int_equal(pep440_specset_prereleases(&set), spec_good[i].pre);
		set.prereleases = 0;
		assert_int_equal(pep440_specset_prereleases(&set), 0);
		pep440_specset_release(&set);
		ab_err_release(&err);
	}
	ab_buf_release(&b);
}

static const struct {
	const char *spec, *ver;
	int pre;
	bool want;
} contains[] = {
	{ ">=1.0", "1.1a1", -1, true },
	{ ">=1.0", "1.1a1", 0, false },
	{ "==1.0", "1.0+local", -1, true },
	{ "==1.0+local", "1.0", -1, false },
	{ ">1.0", "1.0.post1", -1, false },
	{ ">1.0.post1", "1.0.post2", -1, true },
	{ "<1.0", "1.0a1", 1, false },
	{ "<1.0.dev1", "1.0.dev0", 0, false },
	{ "~=1.4.5", "1.4.9", -1, true },
	{ "~=1.4.5", "1.5", -1, false },
	{ "==1.*", "1.0.post1+x", -1, true },
	{ "!=1.*", "2.0", -1, true },
	{ "===1.0", "1.0", -1, true },
	{ "===1.0", "1.0.0", -1, false },
	{ "===FooBar", "foobar", -1, true },
	{ "===foobar,>=1", "foobar", -1, false },
	{ "===\xc7\x85X", "\xc7\x86x", -1, true }, /* str.lower(): U+01C5 -> U+01C6 */
	{ "===\xc4\xb0", "i\xcc\x87", -1, true },  /* U+0130 -> "i" U+0307 */
	{ "", "not a version", 0, true },
	{ ">=0", "not a version", -1, false },
};

static void spec_contains(void **state)
{
	for (size_t i = 0; i < sizeof(contains) / sizeof(contains[0]); i++) {
		struct pep440_specset set = PEP440_SPECSET_INIT;
		assert_int_equal(pep440_specset_parse(ab_str_from(contains[i].spec), &set, NULL),
				 0);
		bool got = pep440_specset_contains_str(&set, ab_str_from(contains[i].ver),
						       contains[i].pre);
		if (got != contains[i].want)
			fail_msg("'%s' contains '%s' (pre %d): %d", contains[i].spec,
				 contains[i].ver, contains[i].pre, got);
		struct pep440_version *v = pep440_version_new(contains[i].ver);
		if (v && set.n == 1) {
			assert_int_equal(pep440_spec_contains(&set.specs[0], v, contains[i].pre),
					 pep440_specset_contains(&set, v, contains[i].pre));
		}
		pep440_version_free(v);
		pep440_specset_release(&set);
	}
}

static void spec_filter(void **state)
{
	static const char *items[] = { "1.0a1", "junk", "1.0", "2.0b1", "2.0" };
	struct ab_str s[5];
	struct pep440_version *vs[5];
	size_t keep[5];
	for (size_t i = 0; i < 5; i++) {
		s[i] = ab_str_from(items[i]);
		vs[i] = pep440_version_new(items[i]);
	}
	struct pep440_specset set = PEP440_SPECSET_INIT;
	assert_int_equal(pep440_specset_parse(ab_str_from(">=1.0"), &set, NULL), 0);
	/* finals found: pre-releases dropped, junk never matches a range */
	assert_int_equal(pep440_specset_filter_str(&set, s, 5, -1, keep), 2);
	assert_int_equal(keep[0], 2);
	assert_int_equal(keep[1], 4);
	assert_int_equal(pep440_specset_filter_str(&set, s, 5, 1, keep), 3);
	pep440_specset_release(&set);
	/* only pre-releases match: they are kept (PEP 440 fallback) */
	assert_int_equal(pep440_specset_parse(ab_str_from("!=1.0,!=2.0"), &set, NULL), 0);
	assert_int_equal(pep440_specset_filter_str(&set, s, 5, -1, keep), 2);
	assert_int_equal(keep[0], 0);
	assert_int_equal(keep[1], 3);
	assert_int_equal(pep440_specset_filter_str(&set, s, 5, 0, keep), 0);
	pep440_specset_release(&set);
	/* empty set: junk counts as a final-less arbitrary string and stays */
	assert_int_equal(pep440_specset_parse(ab_str_from(""), &set, NULL), 0);
	assert_int_equal(pep440_specset_filter_str(&set, s, 5, -1, keep), 3);
	assert_int_equal(keep[0], 1);
	/* parsed versions: same answers without the junk */
	struct pep440_version *vv[4] = { vs[0], vs[2], vs[3], vs[4] };
	assert_int_equal(pep440_specset_filter(&set, vv, 4, -1, keep), 2);
	set.prereleases = 1;
	assert_int_equal(pep440_specset_filter(&set, vv, 4, -1, keep), 4);
	pep440_specset_release(&set);
	for (size_t i = 0; i < 5; i++)
		pep440_version_free(vs[i]);
}

/* pep440_versions_sort agrees with pep440_version_cmp, keeps equal versions
 * in input order, and copes with keys that saturate (huge numbers). */
static void versions_sort(void **state)
{
	static const char *const in[] = {
		"2.0", "1.0.post1", "1.0", "1!0.1", "1.0a1", "1.0.dev0", "18446744073709551616.1",
		"18446744073709551616", "1.0.0", "0.9", "1.0+local", "65536!1", "65535!1",
		"1.0rc1", "281474976710656.2", "281474976710656.1", "1.4294967296", "1.4294967295.7",
		"1.4294967295.6", "1.0b2", "10", "1.0.0.0.1", "1", "0", "0.0.0",
	};
	size_t n = sizeof(in) / sizeof(in[0]);
	/* repeat the list so runs and merges both happen, in a scrambled order */
	size_t m = n * 7;
	struct pep440_version **vs = calloc(m, sizeof(*vs));
	for (size_t i = 0; i < m; i++)
		vs[i] = pep440_version_new(in[(i * 11) % n]);
	pep440_versions_sort(vs, m);
	for (size_t i = 1; i < m; i++) {
		int c = pep440_version_cmp(vs[i - 1], vs[i]);
		assert_true(c <= 0);
		/* stable: equal versions keep their allocation (input) order */
		if (c == 0 && strcmp(vs[i - 1]->str, vs[i]->str) == 0)
			assert_true(vs[i - 1] != vs[i]);
	}
	assert_true(strcmp(vs[0]->str, "0") == 0 || strcmp(vs[0]->str, "0.0.0") == 0);
	assert_string_equal(vs[m - 1]->str, "65536!1");
	for (size_t i = 0; i < m; i++)
		pep440_version_free(vs[i]);
	free(vs);
}

static size_t rnd(unsigned *seed, size_t n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) % n;
}

/* The comparison keys never contradict the full comparison: random
 * versions around every field's clamping edge, each compared with keys and
 * again with the keys blanked (which forces the full walk). */
static void keys_agree(void **state)
{
	static const char *const nums[] = { "0", "1", "2", "65534", "65535", "65536",
					    "1048575", "1048576", "4294967294", "4294967295",
					    "4294967296", "281474976710655", "281474976710656",
					    "18446744073709551616" };
	static const char *const pres[] = { "", "a", "b", "rc" };
	size_t nn = sizeof(nums) / sizeof(nums[0]);
	unsigned seed = 12345;
#define RND(n) rnd(&seed, (n))
	enum { N = 400 };
	struct pep440_version *v[N], *bare[N];
	for (size_t i = 0; i < N; i++) {
		struct ab_buf b = AB_BUF_INIT;
		if (RND(4) == 0)
			ab_buf_addf(&b, "%s!", nums[RND(nn)]);
		size_t rel = 1 + RND(5);
		for (size_t k = 0; k < rel; k++) {
			size_t pick = RND(3) ? RND(4) : RND(nn);
			ab_buf_addf(&b, "%s%s", k ? "." : "", nums[pick]);
		}
		if (RND(3) == 0)
			ab_buf_addf(&b, "%s%s", pres[1 + RND(3)], nums[RND(nn)]);
		if (RND(3) == 0)
			ab_buf_addf(&b, ".post%s", nums[RND(nn)]);
		if (RND(3) == 0)
			ab_buf_addf(&b, ".dev%s", nums[RND(nn)]);
		if (RND(5) == 0)
			ab_buf_addf(&b, "+%s", RND(2) ? "abc" : nums[RND(nn)]);
		v[i] = pep440_version_new(b.buf);
		assert_non_null(v[i]);
		bare[i] = pep440_version_dup(v[i]);
		memset(bare[i]->key, 0, sizeof(bare[i]->key));
		bare[i]->whole = false;
		ab_buf_release(&b);
	}
#undef RND
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < N; j++) {
			int want = pep440_version_cmp(bare[i], bare[j]);
			int got = pep440_version_cmp(v[i], v[j]);
			if ((want > 0) != (got > 0) || (want < 0) != (got < 0))
				fail_msg("'%s' vs '%s': %d with keys, %d without", v[i]->str, v[j]->str,
					 got, want);
		}
	for (size_t i = 0; i < N; i++) {
		pep440_version_free(v[i]);
		pep440_version_free(bare[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_good),	 cmocka_unit_test(version_bad),
		cmocka_unit_test(version_order), cmocka_unit_test(version_parts),
		cmocka_unit_test(spec_errors),	 cmocka_unit_test(spec_canonical),
		cmocka_unit_test(spec_contains), cmocka_unit_test(spec_filter),
		cmocka_unit_test(versions_sort), cmocka_unit_test(keys_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
