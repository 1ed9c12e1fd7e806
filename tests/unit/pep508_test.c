/* pep508_test.c - PEP 508 requirements: str(Requirement), fields, and
 * packaging 26.x's parse errors with their columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pep508.h"

static const struct {
	const char *in, *out;
} fmt_cases[] = {
	{ "name", "name" },
	{ " \tname\t ", "name" },
	{ "name[b, a,a]", "name[a,b]" },
	{ "name[ ]", "name" },
	{ "name()", "name" },
	{ "name (>=1.0, <2.0)", "name<2.0,>=1.0" },
	{ "name>=1.0,", "name>=1.0" },
	{ "name ===  foo", "name===foo" },
	{ "name==1.0+local", "name==1.0+local" },
	{ "a@b", "a @ b" },
	{ "name[x]@ https://e.x/y.whl ;python_version>='3'",
	  "name[x] @ https://e.x/y.whl ; python_version >= \"3\"" },
	{ "name @ https://url ", "name @ https://url" },
	{ "name>=1;extra=='Foo_Bar'", "name>=1; extra == \"foo-bar\"" },
	{ "a-b.c_d", "a-b.c_d" },
};

static void format_table(void **state)
{
	for (size_t i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++) {
		struct pep508_req r = PEP508_REQ_INIT;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf b = AB_BUF_INIT;
		if (pep508_parse(ab_str_from(fmt_cases[i].in), &r, &err) < 0)
			fail_msg("%s: %s", fmt_cases[i].in, err.msg.buf);
		pep508_format(&r, &b);
		assert_string_equal(b.buf, fmt_cases[i].out);
		ab_buf_release(&b);
		pep508_release(&r);
		ab_err_release(&err);
	}
}

static void fields(void **state)
{
	struct pep508_req r = PEP508_REQ_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(pep508_parse(ab_str_from("Foo.Bar[Sec,a] @ file:///x ; os_name=='nt'"),
				      &r, &err), 0);
	assert_string_equal(r.name, "Foo.Bar");
	assert_string_equal(r.canonical, "foo-bar");
	assert_int_equal(r.nextras, 2);
	assert_string_equal(r.extras[0], "Sec");
	assert_string_equal(r.extras[1], "a");
	assert_int_equal(r.spec.n, 0);
	assert_string_equal(r.url, "file:///x");
	assert_non_null(r.marker);
	pep508_release(&r);
	assert_null(r.name);
	assert_int_equal(pep508_parse(ab_str_from("x>=1,<2"), &r, &err), 0);
	assert_null(r.url);
	assert_null(r.marker);
	assert_int_equal(r.spec.n, 2);
	pep508_release(&r);
	ab_err_release(&err);
}

static const struct {
	const char *in, *msg;
	unsigned col;
} err_cases[] = {
	{ "", "expected package name at the start of dependency specifier", 1 },
	{ "-a", "expected package name at the start of dependency specifier", 1 },
	{ "naïve", "expected package name at the start of dependency specifier", 1 },
	{ "a-", "expected semicolon (after name with no version specifier) or end", 2 },
	{ "name 1.0", "expected semicolon (after name with no version specifier) or end", 6 },
	{ "name==", "expected version after '=='", 7 },
	{ "name===\xc2`", "invalid UTF-8 in requirement", 8 },
	{ "name >= ; os_name == 'a'", "expected version after '>='", 9 },
	{ "name>=1,<", "expected version after '<'", 10 },
	{ "name (~= )", "expected version after '~='", 10 },
	{ "name<=@x", "invalid version '@x' after '<='", 7 },
	{ "name\n", "expected semicolon (after name with no version specifier) or end", 5 },
	{ "name>=1.0 <2.0",
	  "expected comma (within version specifier), semicolon (after version specifier) or end",
	  11 },
	{ "name>=1\n",
	  "expected comma (within version specifier), semicolon (after version specifier) or end",
	  8 },
	{ "name (>= 1.0", "expected matching ')' for '(' after version specifier", 13 },
	{ "name[bar baz]", "expected comma between extra names", 10 },
	{ "name[a,]", "expected extra name after comma", 8 },
	{ "name[,a]", "expected matching ']' for '[' after extras", 6 },
	{ "name[", "expected matching ']' for '[' after extras", 6 },
	{ "name @ ", "expected URL after '@'", 8 },
	{ "name @ https://x/; os_name == 'a'", "expected semicolon (after URL and whitespace) or end",
	  20 },
	{ "name~=1.0.*", "'.*' suffix can only be used with '==' or '!=' operators", 10 },
	{ "name==1.2.post4.*",
	  "'.*' suffix cannot be used after pre-release, post-release, developmental release, or "
	  "local version labels", 16 },
	{ "name>=1.0+local", "local version label can only be used with '==' or '!=' operators",
	  10 },
	{ "name;", "expected a marker variable or quoted string", 6 },
	{ "name; os_name == 'a')", "expected end of dependency specifier", 21 },
	{ "name; os_name == \"\\x\"", "invalid quoted string", 18 },
	{ "name; python_version >= '3'\n", "expected end of dependency specifier", 28 },
};

static void error_table(void **state)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct pep508_req r = PEP508_REQ_INIT;
		struct ab_err err = AB_ERR_INIT;
		int rc = pep508_parse(ab_str_from(err_cases[i].in), &r, &err);
		if (rc >= 0)
			fail_msg("accepted: %s", err_cases[i].in);
		assert_int_equal(rc, -AB_E_PARSE);
		assert_null(r.name);
		if (strcmp(err.msg.buf, err_cases[i].msg))
			fail_msg("%s: '%s'", err_cases[i].in, err.msg.buf);
		if (err.col != err_cases[i].col)
			fail_msg("%s: col %u, want %u", err_cases[i].in, err.col, err_cases[i].col);
		ab_err_release(&err);
	}
}

/* The specifier set itself rejects: "===x,y" is one token, then "y". */
static void specset_error(void **state)
{
	struct pep508_req r = PEP508_REQ_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_true(pep508_parse(ab_str_from("demo===x,y"), &r, &err) < 0);
	assert_int_equal(err.col, 5);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_table),
		cmocka_unit_test(fields),
		cmocka_unit_test(error_table),
		cmocka_unit_test(specset_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
