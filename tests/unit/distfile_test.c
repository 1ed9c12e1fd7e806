/* distfile_test.c - wheel and sdist file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/distfile.h"
#include "formats/names.h"
#include "tests/unit/testutil.h"

static void wheel_ok(void **state)
{
	static const struct {
		const char *in, *name, *version, *build_num, *build_suffix, *tags;
	} cases[] = {
		{ "foo-1.0-py3-none-any.whl", "foo", "1.0", NULL, NULL, "py3-none-any" },
		{ "Foo.Bar_baz-01.0-py2.py3-none-any.whl", "foo-bar-baz", "1.0", NULL, NULL,
		  "py2-none-any py3-none-any" },
		{ "foo-1.0-007abc-py3-none-any.whl", "foo", "1.0", "7", "abc", "py3-none-any" },
		{ "foo-1.0-0-py3-none-any.whl", "foo", "1.0", "0", "", "py3-none-any" },
		{ "foo-1.0-000-py3-none-any.whl", "foo", "1.0", "0", "", "py3-none-any" },
		{ "foo-1.0-1a\nb-py3-none-any.whl", "foo", "1.0", "1", "a", "py3-none-any" },
		{ "foo-1.0-99999999999999999999999-py3-none-any.whl", "foo", "1.0",
		  "99999999999999999999999", "", "py3-none-any" },
		{ "_foo_-1.0-py3-none-any.whl", "-foo-", "1.0", NULL, NULL, "py3-none-any" },
		{ "\xc3\x91" "ame-1.0-py3-none-any.whl", "\xc3\xb1" "ame", "1.0", NULL, NULL,
		  "py3-none-any" },
		{ "torch-2.2.0+CU118-cp311-cp311-linux_x86_64.whl", "torch", "2.2.0+cu118", NULL,
		  NULL, "cp311-cp311-linux_x86_64" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct distfile_wheel w;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(distfile_wheel_parse(ab_str_from(cases[i].in), &w, &err), 0);
		assert_string_equal(w.name, cases[i].name);
		assert_string_equal(w.version->str, cases[i].version);
		assert_int_equal(w.has_build, cases[i].build_num != NULL);
		if (cases[i].build_num) {
			assert_string_equal(w.build_num, cases[i].build_num);
			assert_string_equal(w.build_suffix, cases[i].build_suffix);
		}
		char *t = tu_tags_str(w.tags.tags, w.tags.n);
		assert_string_equal(t, cases[i].tags);
		free(t);
		distfile_wheel_release(&w);
		ab_err_release(&err);
	}
}

static void wheel_errors(void **state)
{
	static const struct {
		const char *in, *msg;
		unsigned col;
	} cases[] = {
		{ "foo-1.0-py3-none-any.WHL", "wheel filename 'foo-1.0-py3-none-any.WHL' must end in "
					      "'.whl'", 25 },
		{ "foo-1.0.whl", "wheel filename 'foo-1.0.whl' has too few '-' separated parts", 8 },
		{ "foo-1.0-1-2-py3-none-any.whl",
		  "wheel filename 'foo-1.0-1-2-py3-none-any.whl' has too many '-' separated parts",
		  21 },
		{ "foo__bar-1.0-py3-none-any.whl",
		  "invalid project name 'foo__bar' in wheel filename 'foo__bar-1.0-py3-none-any.whl'",
		  4 },
		{ "-1.0-py3-none-any.whl",
		  "invalid project name '' in wheel filename '-1.0-py3-none-any.whl'", 1 },
		{ "foo#bar-1.0-py3-none-any.whl",
		  "invalid project name 'foo#bar' in wheel filename 'foo#bar-1.0-py3-none-any.whl'",
		  4 },
		{ "foo-1.x-py3-none-any.whl",
		  "invalid version '1.x' in wheel filename 'foo-1.x-py3-none-any.whl'", 5 },
		{ "foo-1.0-abc-py3-none-any.whl",
		  "invalid build tag (must start with a digit) 'abc' in wheel filename "
		  "'foo-1.0-abc-py3-none-any.whl'", 9 },
		{ "foo-1.0-py3--any.whl",
		  "invalid tag set in wheel filename 'foo-1.0-py3--any.whl': empty component in tag "
		  "'py3--any'", 13 },
		{ "foo-1.0-2-none-any.whl",
		  "invalid tag set in wheel filename 'foo-1.0-2-none-any.whl': invalid interpreter "
		  "'2' in tag '2-none-any'", 9 },
		{ "f\xff-1.0-py3-none-any.whl",
		  "invalid project name 'f\xff' in wheel filename 'f\xff-1.0-py3-none-any.whl'", 2 },
		/* U+00A0 NO-BREAK SPACE is not \w */
		{ "f\xc2\xa0-1.0-py3-none-any.whl",
		  "invalid project name 'f\xc2\xa0' in wheel filename "
		  "'f\xc2\xa0-1.0-py3-none-any.whl'", 2 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct distfile_wheel w;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(distfile_wheel_parse(ab_str_from(cases[i].in), &w, &err),
				 -AB_E_PARSE);
		assert_string_equal(err.msg.buf, cases[i].msg);
		assert_int_equal(err.col, cases[i].col);
		assert_null(w.name);
		assert_null(w.version);
		assert_null(w.tags.tags);
		ab_err_release(&err);
	}
}

static void build_order(void **state)
{
	static const char *const sorted[] = {
		"foo-1.0-py3-none-any.whl",     "foo-1.0-0-py3-none-any.whl",
		"foo-1.0-1-py3-none-any.whl",   "foo-1.0-1a-py3-none-any.whl",
		"foo-1.0-1b-py3-none-any.whl",  "foo-1.0-2-py3-none-any.whl",
		"foo-1.0-10-py3-none-any.whl",  "foo-1.0-99999999999999999999-py3-none-any.whl",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);
	struct distfile_wheel w[8];
	for (size_t i = 0; i < n; i++)
		assert_int_equal(distfile_wheel_parse(ab_str_from(sorted[i]), &w[i], NULL), 0);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int c = distfile_build_cmp(&w[i], &w[j]);
			assert_int_equal(c < 0 ? -1 : c > 0, i < j ? -1 : i > j);
		}
	}
	for (size_t i = 0; i < n; i++)
		distfile_wheel_release(&w[i]);
}

static void sdist(void **state)
{
	static const struct {
		const char *in, *name, *version, *msg;
		unsigned col;
	} cases[] = {
		{ "foo-1.0.tar.gz", "foo", "1.0", NULL, 0 },
		{ "Foo_Bar-baz-2.0.1.zip", "foo-bar-baz", "2.0.1", NULL, 0 },
		{ "foo bar-1.0 .tar.gz", "foo bar", "1.0", NULL, 0 },
		{ "foo-1.0-1.tar.gz", "foo-1-0", "1", NULL, 0 },
		{ "\xc3\x84-1.tar.gz", "\xc3\xa4", "1", NULL, 0 },
		{ "foo-1.0.tgz", NULL, NULL, "sdist filename 'foo-1.0.tgz' must end in '.tar.gz' or '.zip'",
		  12 },
		{ "foo.tar.gz", NULL, NULL, "sdist filename 'foo.tar.gz' has no '-' between name and version",
		  1 },
		{ "-1.0.zip", NULL, NULL, "sdist filename '-1.0.zip' has an empty project name", 1 },
		{ "foo-latest.tar.gz", NULL, NULL,
		  "invalid version 'latest' in sdist filename 'foo-latest.tar.gz'", 5 },
		{ "f\xff-1.tar.gz", NULL, NULL,
		  "invalid project name 'f\xff' in sdist filename 'f\xff-1.tar.gz'", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct distfile_sdist s;
		struct ab_err err = AB_ERR_INIT;
		int r = distfile_sdist_parse(ab_str_from(cases[i].in), &s, &err);
		if (cases[i].name) {
			assert_int_equal(r, 0);
			assert_string_equal(s.name, cases[i].name);
			assert_string_equal(s.version->str, cases[i].version);
			distfile_sdist_release(&s);
		} else {
			assert_int_equal(r, -AB_E_PARSE);
			assert_string_equal(err.msg.buf, cases[i].msg);
			assert_int_equal(err.col, cases[i].col);
			assert_null(s.name);
			assert_null(s.version);
		}
		ab_err_release(&err);
	}
}

static void canonical_name(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "Django", "django" },
		{ "oslo.concurrency", "oslo-concurrency" },
		{ "a-_.b", "a-b" },
		{ "__x__", "-x-" },
		{ "\xc3\x89T\xc3\x89", "\xc3\xa9t\xc3\xa9" },   /* ÉTÉ */
		{ "\xc4\xb0", "i\xcc\x87" },                     /* İ */
		/* Final_Sigma: ΑΣ -> ας, but ΑΣΑ -> ασα and Σ alone -> σ */
		{ "\xce\x91\xce\xa3", "\xce\xb1\xcf\x82" },
		{ "\xce\x91\xce\xa3\xce\x91", "\xce\xb1\xcf\x83\xce\xb1" },
		{ "\xce\xa3", "\xcf\x83" },
		{ "A\xce\xa3.b", "a\xcf\x83-b" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ab_buf b = AB_BUF_INIT;
		assert_int_equal(name_canonicalize_strict(ab_str_from(cases[i].in), &b), 0);
		assert_string_equal(b.buf, cases[i].want);
		ab_buf_release(&b);
	}
	struct ab_buf b = AB_BUF_INIT;
	assert_int_equal(name_canonicalize_strict(ab_str_from("a\xc3"), &b), -1);
	assert_int_equal(b.len, 0);
}

/* The parts API (split, then each part checked on its own, as the index
 * client memoizes it) accepts exactly the names distfile_wheel_parse()
 * accepts, for the same project. */
static void parts(void **state)
{
	static const char *const names[] = {
		"foo-1.0-py3-none-any.whl", "Foo.Bar_baz-01.0-py2.py3-none-any.whl",
		"foo-1.0-007abc-py3-none-any.whl", "foo-1.0-0-py3-none-any.whl",
		"_foo_-1.0-py3-none-any.whl", "\xc3\x91" "ame-1.0-py3-none-any.whl",
		"torch-2.2.0+CU118-cp311-cp311-linux_x86_64.whl", "foo-1.0-py3-none-any.WHL",
		"foo-1.0.whl", "foo-1.0-1-2-py3-none-any.whl", "foo__bar-1.0-py3-none-any.whl",
		"-1.0-py3-none-any.whl", "foo#bar-1.0-py3-none-any.whl", "foo-1.x-py3-none-any.whl",
		"foo-1.0-abc-py3-none-any.whl", "foo-1.0-py3--any.whl", "foo-1.0-2-none-any.whl",
		"f\xff-1.0-py3-none-any.whl", "f\xc2\xa0-1.0-py3-none-any.whl",
		"FOO-1.0-py3-none-any.whl", "foo.-1.0-py3-none-any.whl", "fo-o-1.0-py3-none-any.whl",
		"foo-1.0--py3-none-any.whl", "foo-1.0-1-py3-none-any.whl",
	};
	static const char *const projects[] = { "foo", "foo-bar-baz", "-foo-", "\xc3\xb1" "ame",
						"torch", "foo-", "fo" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct ab_str f = ab_str_from(names[i]);
		struct distfile_wheel w;
		bool whole = distfile_wheel_parse(f, &w, NULL) == 0;
		struct distfile_wheel_parts pt;
		bool split = distfile_wheel_split(f, &pt, NULL) == 0;
		if (whole)
			assert_true(split);
		for (size_t k = 0; k < sizeof(projects) / sizeof(projects[0]); k++) {
			bool want = whole && !strcmp(w.name, projects[k]);
			bool got = split && distfile_wheel_name_is(pt.name, projects[k]);
			if (got) {
				struct pep440_version *v = NULL;
				struct tag_set ts = TAG_SET_INIT;
				got = pep440_version_parse(pt.version, &v, NULL) == 0 &&
				      (!pt.has_build || distfile_wheel_build_ok(pt.build)) &&
				      tags_parse(pt.tags, &ts, NULL) == 0;
				if (got && want) {
					assert_string_equal(v->str, w.version->str);
					assert_int_equal(ts.n, w.tags.n);
				}
				pep440_version_free(v);
				tag_set_release(&ts);
			}
			if (got != want)
				fail_msg("'%s' as '%s': parts %d, whole %d", names[i],
					 projects[k], got, want);
		}
		if (whole)
			distfile_wheel_release(&w);
	}
	struct distfile_wheel_parts pt;
	assert_int_equal(distfile_wheel_split(ab_str_from("a-1-7x-py3-none-any.whl"), &pt, NULL), 0);
	assert_true(ab_str_eq_cstr(pt.name, "a") && ab_str_eq_cstr(pt.version, "1"));
	assert_true(pt.has_build && ab_str_eq_cstr(pt.build, "7x"));
	assert_true(ab_str_eq_cstr(pt.tags, "py3-none-any"));
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(distfile_wheel_split(ab_str_from("a-1.whl"), &pt, &err), -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "wheel filename 'a-1.whl' has too few '-' separated parts");
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wheel_ok), cmocka_unit_test(wheel_errors), cmocka_unit_test(parts),
		cmocka_unit_test(build_order), cmocka_unit_test(sdist),
		cmocka_unit_test(canonical_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
