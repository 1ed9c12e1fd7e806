/* vrange_test.c - version ranges: table tests of the operator ranges and
 * their formatting, and a brute-force property test against the specifier
 * implementation on every specifier and probe of specifiers.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pep440.h"
#include "formats/vrange.h"
#include "tests/unit/testutil.h"

/* ---- helpers ---- */

static struct pep440_version *ver(const char *s)
{
	struct pep440_version *v = pep440_version_new(s);
	if (!v)
		fail_msg("version '%s' does not parse", s);
	return v;
}

static void range_of(struct vrange *r, const char *spec)
{
	struct pep440_specset set = PEP440_SPECSET_INIT;
	if (pep440_specset_parse(ab_str_from(spec), &set, NULL) < 0)
		fail_msg("specifier '%s' does not parse", spec);
	assert_int_equal(vrange_from_specset(r, &set), 0);
	pep440_specset_release(&set);
}

static bool has(const struct vrange *r, const char *v)
{
	struct pep440_version *x = ver(v);
	bool b = vrange_contains(r, x);
	pep440_version_free(x);
	return b;
}

static void assert_format(const struct vrange *r, const char *want)
{
	struct ab_buf b = AB_BUF_INIT;
	vrange_format(r, &b);
	if (strcmp(b.buf, want))
		fail_msg("formatted '%s', want '%s'", b.buf, want);
	ab_buf_release(&b);
}

/* ---- table tests ---- */

static const struct {
	const char *spec;
	const char *in;	 /* space-separated versions inside */
	const char *out; /* space-separated versions outside */
	const char *fmt;
} cases[] = {
	{ ">=1.0", "1.0 1.0+l 1.0.post1 2.0a1 99", "0.9 1.0.dev0 1.0rc1", ">=1.0" },
	{ "<=1.0", "0 1.0 1.0+abc 1.0rc1", "1.0.post0.dev0 1.0.post0 1.0.1.dev0", "<=1.0" },
	{ ">1.0", "1.0.1 1.0.1.dev0 1.1a1 2", "1.0 1.0+l 1.0.post1 1.0.post1.dev0 1.0.0.post3",
	  ">1.0" },
	{ ">1.0a1", "1.0a2.dev0 1.0a2 1.0b1 1.0", "1.0a1 1.0a1+x 1.0a1.post1", ">=1.0a2.dev0" },
	{ ">1.0.post1", "1.0.post2.dev0 1.0.post2 1.1", "1.0.post1 1.0.post1+x",
	  ">=1.0.post2.dev0" },
	{ ">1.0.dev1", "1.0.dev2 1.0a1 1.0", "1.0.dev1 1.0.dev1+x 1.0.dev0", ">=1.0.dev2" },
	{ "<2.0", "1.9 1.99.post9 0!1.0 0.dev0", "2.0.dev0 2.0a1 2.0 2.0+x", "<2.0" },
	{ "<2.0rc1", "2.0b9 2.0.dev5 2.0rc1.dev0", "2.0rc1 2.0rc1+l 2.0", "<2.0rc1" },
	{ "<1.0.post1", "1.0 1.0.post0 1.0.post0+l", "1.0.post1.dev0 1.0.post1", "<1.0.post1" },
	{ "<0", "", "0.dev0 0 0a0", "<empty>" },
	{ "<0.dev0", "", "0.dev0 0", "<empty>" },
	{ ">=0.dev0", "0.dev0 0 1", "", "*" },
	{ "==1.0", "1.0 1.0.0 1.0+abc 1.0+1.2", "1.0.post0 1.0.dev0 1.0a1 1.0.1", "==1.0" },
	{ "==1.0+abc", "1.0+abc 1.0.0+ABC", "1.0 1.0+abd 1.0+abc.1", "==1.0+abc" },
	{ "!=1.0", "0.9 1.0a1 1.0.post0 1.0.1", "1.0 1.0+x", "!=1.0" },
	{ "!=1.0+abc", "1.0 1.0+abd 1.0.post1", "1.0+abc", "!=1.0+abc" },
	{ "==1.2.*", "1.2 1.2.0.dev0 1.2a1 1.2.9.post3 1.2+l", "1.1.99 1.3.dev0 1.3 2!1.2",
	  "==1.2.*" },
	{ "!=1.2.*", "1.1 1.3.dev0", "1.2.dev0 1.2.5", "!=1.2.*" },
	{ "==0!2.*", "2 2.5", "1!2", "==2.*" },
	{ "~=1.4.2", "1.4.2 1.4.5 1.4.99.post1", "1.4.1 1.4.2rc1 1.5.dev0 1.5", ">=1.4.2,<1.5" },
	{ "~=2.2", "2.2 2.9 2.10.post1", "2.1 3.0.dev0 3", ">=2.2,<3" },
	{ ">=1.0,<2.0,!=1.5", "1.0 1.4 1.5.post0 1.9", "1.5 1.5+x 2.0.dev0 0.9",
	  ">=1.0,!=1.5,<2.0" },
	{ ">=1.0,<2.0,!=1.2.*", "1.0 1.1 1.3.dev0", "1.2 1.2.5", ">=1.0,!=1.2.*,<2.0" },
	{ "==1.0,!=1.0", "", "1.0 1.0+x", "<empty>" },
	{ ">2.0,<2.0", "", "2.0 1 3", "<empty>" },
	{ ">=1.0,<=1.0", "1.0 1.0+x", "1.0.post0", "==1.0" },
	{ "", "0.dev0 1 999!1+x", "", "*" },
	{ "==18446744073709551615.*", "18446744073709551615.3",
	  "18446744073709551616 18446744073709551614", "==18446744073709551615.*" },
	{ ">=1.99999999999999999999999,<=1.99999999999999999999999.post99999999999999999999",
	  "1.99999999999999999999999.post7",
	  "1.99999999999999999999999.post100000000000000000000.dev0",
	  ">=1.99999999999999999999999,<1.99999999999999999999999.post100000000000000000000" },
};

static void check_words(const struct vrange *r, const char *words, bool want, const char *spec)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok(buf, " "); w; w = strtok(NULL, " "))
		if (has(r, w) != want)
			fail_msg("'%s': %s should be %s", spec, w, want ? "in" : "out");
}

static void table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vrange r = VRANGE_INIT;
		range_of(&r, cases[i].spec);
		check_words(&r, cases[i].in, true, cases[i].spec);
		check_words(&r, cases[i].out, false, cases[i].spec);
		assert_format(&r, cases[i].fmt);
		/* the formatted text means the same where it is PEP 440 */
		if (!strstr(cases[i].fmt, "||") && strcmp(cases[i].fmt, "<empty>") &&
		    strcmp(cases[i].fmt, "*")) {
			struct vrange back = VRANGE_INIT;
			range_of(&back, cases[i].fmt);
			if (!vrange_eq(&r, &back))
				fail_msg("'%s' formatted as '%s' which is another range",
					 cases[i].spec, cases[i].fmt);
			vrange_release(&back);
		}
		vrange_release(&r);
	}
}

static void arbitrary(void **state)
{
	struct pep440_specset set = PEP440_SPECSET_INIT;
	struct vrange r = VRANGE_INIT;
	assert_int_equal(pep440_specset_parse(ab_str_from("===foo,>=1.0,===bar"), &set, NULL), 0);
	/* sorted: ===bar, ===foo, >=1.0 */
	assert_int_equal(vrange_from_spec(&r, &set.specs[2]), 0);
	assert_int_equal(vrange_from_spec(&r, &set.specs[1]), VRANGE_E_ARBITRARY);
	assert_true(vrange_is_empty(&r));
	assert_int_equal(vrange_from_specset(&r, &set), 2);
	assert_format(&r, ">=1.0");
	vrange_release(&r);
	pep440_specset_release(&set);
}

static void exact_and_ops(void **state)
{
	struct vrange a = VRANGE_INIT, b = VRANGE_INIT, c = VRANGE_INIT, full = VRANGE_INIT;
	struct pep440_version *v = ver("1.0");
	vrange_exact(&a, v);
	assert_true(has(&a, "1.0.0"));
	assert_false(has(&a, "1.0+local"));
	assert_format(&a, "==1.0");
	vrange_complement(&b, &a);
	assert_false(has(&b, "1.0"));
	assert_true(has(&b, "1.0+local"));
	assert_format(&b, "<=1.0,!=1.0 || >1.0");
	vrange_union(&c, &a, &b);
	vrange_full(&full);
	assert_true(vrange_eq(&c, &full));
	assert_true(vrange_is_full(&c));
	vrange_intersect(&c, &a, &b);
	assert_true(vrange_is_empty(&c));
	assert_true(vrange_is_disjoint(&a, &b));
	assert_true(vrange_is_subset(&a, &full));
	assert_false(vrange_is_subset(&full, &a));
	/* aliasing: out is an input */
	range_of(&a, ">=1.0");
	range_of(&b, "<2.0");
	vrange_intersect(&a, &a, &b);
	assert_format(&a, ">=1.0,<2.0");
	vrange_complement(&a, &a);
	assert_format(&a, "<=1.0,!=1.0 || >=2.0.dev0");
	vrange_difference(&c, &full, &a);
	assert_format(&c, ">=1.0,<2.0");
	vrange_copy(&b, &c);
	assert_true(vrange_eq(&b, &c));
	vrange_empty(&b);
	assert_true(vrange_is_empty(&b));
	assert_format(&b, "<empty>");
	pep440_version_free(v);
	vrange_release(&a);
	vrange_release(&b);
	vrange_release(&c);
	vrange_release(&full);
}

/* Adjacent cuts from different operators meet exactly: no version is lost
 * or doubled between "<=1.0" and ">1.0" etc., and the union is canonical. */
static void seams(void **state)
{
	/* a, b (disjoint), what neither holds (NULL: nothing) */
	static const char *const pairs[][3] = {
		{ "<=1.0", ">1.0", ">=1.0.post0.dev0,<=1.0.post*" },
		{ "<=1.0a1", ">1.0a1", ">=1.0a1.post0.dev0,<1.0a2.dev0" },
		{ "<1.0", ">=1.0", ">=1.0.dev0,<=1.0,!=1.0" },
		{ "<1.0", ">=1.0.dev0", NULL },
		{ "<1.0rc1", ">=1.0rc1", NULL },
		{ "==1.0", "!=1.0", NULL },
		{ "==1.*", "!=1.*", NULL },
		{ "<=1.0.post1", ">1.0.post1", NULL },
		{ "<=1.0.dev1", ">1.0.dev1", NULL },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct vrange a = VRANGE_INIT, b = VRANGE_INIT, u = VRANGE_INIT, x = VRANGE_INIT;
		range_of(&a, pairs[i][0]);
		range_of(&b, pairs[i][1]);
		vrange_union(&u, &a, &b);
		vrange_intersect(&x, &a, &b);
		assert_true(vrange_is_empty(&x));
		assert_true(vrange_is_disjoint(&a, &b));
		vrange_complement(&x, &u);
		if (pairs[i][2]) {
			assert_format(&x, pairs[i][2]);
		} else {
			if (!vrange_is_full(&u))
				fail_msg("'%s' | '%s' is not everything", pairs[i][0], pairs[i][1]);
			vrange_complement(&x, &a);
			if (!vrange_eq(&x, &b))
				fail_msg("not '%s' != '%s'", pairs[i][0], pairs[i][1]);
		}
		vrange_release(&a);
		vrange_release(&b);
		vrange_release(&u);
		vrange_release(&x);
	}
	struct vrange r = VRANGE_INIT;
	range_of(&r, "<=1.0,>1.0");
	assert_true(vrange_is_empty(&r));
	vrange_release(&r);
}

/* ---- brute force against specifiers.json ---- */

struct probe_set {
	size_t n;
	struct pep440_version **v;
};

static void probes_add(struct probe_set *p, json_t *checks)
{
	size_t i;
	json_t *c;
	json_array_foreach(checks, i, c)
	{
		struct pep440_version *v =
			pep440_version_new(json_string_value(json_object_get(c, "version")));
		if (!v)
			continue;
		p->v = realloc(p->v, (p->n + 1) * sizeof(*p->v));
		p->v[p->n++] = v;
	}
}

static void probes_free(struct probe_set *p)
{
	for (size_t i = 0; i < p->n; i++)
		pep440_version_free(p->v[i]);
	free(p->v);
}

struct rcase {
	const char *spec;
	struct pep440_specset set;
	struct vrange r;
	json_t *checks;
};

static void property(void **state)
{
	json_t *root = tu_load_vector("specifiers.json");
	json_t *cases_j = json_object_get(root, "cases");
	struct rcase *rc = calloc(json_array_size(cases_j), sizeof(*rc));
	size_t nrc = 0, nchecks = 0, i, k;
	json_t *c, *chk;

	json_array_foreach(cases_j, i, c)
	{
		if (!json_is_true(json_object_get(c, "valid")))
			continue;
		const char *spec = json_string_value(json_object_get(c, "specifier"));
		struct rcase *x = &rc[nrc];
		x->spec = spec;
		x->set = (struct pep440_specset)PEP440_SPECSET_INIT;
		assert_int_equal(pep440_specset_parse(ab_str_from(spec), &x->set, NULL), 0);
		x->r = (struct vrange)VRANGE_INIT;
		if (vrange_from_specset(&x->r, &x->set) != 0) {
			pep440_specset_release(&x->set);
			vrange_release(&x->r);
			continue; /* === */
		}
		x->checks = json_object_get(c, "checks");
		/* every probe: the range says what contains(v, prereleases=True)
		 * says, and what the reference answered where that is the same */
		json_array_foreach(x->checks, k, chk)
		{
			const char *vs = json_string_value(json_object_get(chk, "version"));
			struct pep440_version *v = pep440_version_new(vs);
			if (!v)
				continue;
			bool got = vrange_contains(&x->r, v);
			if (got != pep440_specset_contains(&x->set, v, 1))
				fail_msg("'%s' contains '%s': range %d, specifier %d", spec, vs,
					 got, !got);
			json_t *pre = json_object_get(chk, "prereleases");
			if (!json_is_false(pre) &&
			    json_is_true(json_object_get(chk, "contains")) != got)
				fail_msg("'%s' contains '%s': range %d, reference %d", spec, vs,
					 got, !got);
			/* each clause alone */
			for (size_t s = 0; s < x->set.n; s++) {
				struct vrange one = VRANGE_INIT;
				assert_int_equal(vrange_from_spec(&one, &x->set.specs[s]), 0);
				if (vrange_contains(&one, v) !=
				    pep440_spec_contains(&x->set.specs[s], v, 1))
					fail_msg("clause %zu of '%s' on '%s'", s, spec, vs);
				vrange_release(&one);
			}
			pep440_version_free(v);
			nchecks++;
		}
		/* formatting: where the text is PEP 440 it must mean the same */
		struct ab_buf fb = AB_BUF_INIT;
		vrange_format(&x->r, &fb);
		struct pep440_specset back = PEP440_SPECSET_INIT;
		if (!strstr(fb.buf, "||") && !strstr(fb.buf, "post*") &&
		    strcmp(fb.buf, "<empty>") && strcmp(fb.buf, "*") &&
		    pep440_specset_parse(ab_buf_str(&fb), &back, NULL) == 0) {
			struct vrange br = VRANGE_INIT;
			vrange_from_specset(&br, &back);
			if (!vrange_eq(&br, &x->r))
				fail_msg("'%s' formatted as '%s', another range", spec, fb.buf);
			vrange_release(&br);
		}
		pep440_specset_release(&back);
		ab_buf_release(&fb);
		nrc++;
	}
	assert_true(nrc > 400);
	assert_true(nchecks > 10000);

	/* pairs: set operations agree with boolean logic on the probes of both */
	size_t npairs = 0;
	for (i = 0; i < nrc; i++) {
		for (size_t step = 1; step <= 61; step += 6) {
			struct rcase *a = &rc[i], *b = &rc[(i * 7 + step) % nrc];
			struct vrange in = VRANGE_INIT, un = VRANGE_INIT, na = VRANGE_INIT,
				      df = VRANGE_INIT, t = VRANGE_INIT, t2 = VRANGE_INIT;
			struct probe_set p = { 0, NULL };
			probes_add(&p, a->checks);
			probes_add(&p, b->checks);
			vrange_intersect(&in, &a->r, &b->r);
			vrange_union(&un, &a->r, &b->r);
			vrange_complement(&na, &a->r);
			vrange_difference(&df, &a->r, &b->r);
			bool sub = vrange_is_subset(&a->r, &b->r),
			     dis = vrange_is_disjoint(&a->r, &b->r);
			for (size_t q = 0; q < p.n; q++) {
				bool x = vrange_contains(&a->r, p.v[q]),
				     y = vrange_contains(&b->r, p.v[q]);
				if (vrange_contains(&in, p.v[q]) != (x && y) ||
				    vrange_contains(&un, p.v[q]) != (x || y) ||
				    vrange_contains(&na, p.v[q]) != !x ||
				    vrange_contains(&df, p.v[q]) != (x && !y) || (sub && x && !y) ||
				    (dis && x && y))
					fail_msg("'%s' vs '%s' on '%s'", a->spec, b->spec,
						 p.v[q]->str);
			}
			/* algebra, checked with equality of canonical ranges */
			vrange_complement(&t, &na);
			assert_true(vrange_eq(&t, &a->r));
			vrange_union(&t, &a->r, &na);
			assert_true(vrange_is_full(&t));
			vrange_intersect(&t, &a->r, &na);
			assert_true(vrange_is_empty(&t));
			vrange_complement(&t, &in); /* De Morgan */
			vrange_complement(&t2, &b->r);
			vrange_union(&t2, &na, &t2);
			assert_true(vrange_eq(&t, &t2));
			vrange_intersect(&t, &un, &a->r); /* absorption */
			assert_true(vrange_eq(&t, &a->r));
			vrange_union(&t, &b->r, &a->r); /* commutativity */
			assert_true(vrange_eq(&t, &un));
			assert_int_equal(vrange_is_subset(&in, &a->r), true);
			assert_int_equal(vrange_is_subset(&a->r, &un), true);
			assert_int_equal(sub, vrange_eq(&in, &a->r));
			assert_int_equal(dis, vrange_is_empty(&in));
			vrange_release(&in);
			vrange_release(&un);
			vrange_release(&na);
			vrange_release(&df);
			vrange_release(&t);
			vrange_release(&t2);
			probes_free(&p);
			npairs++;
		}
	}
	assert_true(npairs > 4000);
	for (i = 0; i < nrc; i++) {
		pep440_specset_release(&rc[i].set);
		vrange_release(&rc[i].r);
	}
	free(rc);
	json_decref(root);
}

/* Copies share their cut versions: each outlives the range it was copied
 * from (ASan sees a use after free otherwise), and copying onto itself is
 * a no-op. vrange_between() and the one-sided bound tests. */
static void copies_between_bounds(void **state)
{
	struct vrange a = VRANGE_INIT, b = VRANGE_INIT, c = VRANGE_INIT;
	range_of(&a, ">=1.0,!=1.5,<2.0");
	vrange_copy(&b, &a);
	vrange_copy(&c, &b);
	vrange_release(&a);
	vrange_copy(&b, &b);
	assert_format(&b, ">=1.0,!=1.5,<2.0");
	vrange_release(&b);
	assert_format(&c, ">=1.0,!=1.5,<2.0");
	assert_true(has(&c, "1.4") && !has(&c, "1.5") && !has(&c, "2.0"));
	vrange_exact(&a, c.iv[0].lo.v);
	vrange_release(&c);
	assert_format(&a, "==1.0");

	struct pep440_version *lo = ver("1.0"), *hi = ver("2.0");
	vrange_between(&a, lo, hi);
	assert_true(has(&a, "1.0") && has(&a, "1.9.post1") && has(&a, "2.0rc1"));
	assert_false(has(&a, "1.0rc1") || has(&a, "2.0") || has(&a, "0.9"));
	vrange_between(&b, NULL, hi);
	assert_true(has(&b, "0.1.dev0") && !has(&b, "2.0"));
	vrange_between(&b, lo, NULL);
	assert_true(has(&b, "99") && !has(&b, "0.9"));
	vrange_between(&b, NULL, NULL);
	assert_true(vrange_is_full(&b));
	vrange_between(&b, hi, lo);
	assert_true(vrange_is_empty(&b));

	/* one interval: contains() is both bounds */
	static const char *probes[] = { "0.9", "1.0rc1", "1.0", "1.5", "2.0.dev0", "2.0", "3" };
	range_of(&c, ">1.0,<=2.0");
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct pep440_version *v = ver(probes[i]);
		assert_int_equal(vrange_contains(&c, v),
				 vrange_below_upper(&c, v) && vrange_above_lower(&c, v));
		pep440_version_free(v);
	}
	struct pep440_version *v = ver("1.0.post1");
	assert_true(vrange_below_upper(&c, v));
	assert_false(vrange_above_lower(&c, v));
	vrange_empty(&c);
	assert_false(vrange_below_upper(&c, v) || vrange_above_lower(&c, v));
	pep440_version_free(v);
	pep440_version_free(lo);
	pep440_version_free(hi);
	vrange_release(&a);
	vrange_release(&b);
	vrange_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),	 cmocka_unit_test(arbitrary),
		cmocka_unit_test(exact_and_ops), cmocka_unit_test(seams),
		cmocka_unit_test(property),	 cmocka_unit_test(copies_between_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
