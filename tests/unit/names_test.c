/* names_test.c - PEP 503 / PEP 685 name normalization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "formats/names.h"

static const struct {
	const char *in, *canonical;
	bool valid, normalized;
} cases[] = {
	{ "Flask", "flask", true, false },
	{ "zope.interface", "zope-interface", true, false },
	{ "Foo__Bar-._baz", "foo-bar-baz", true, false },
	{ "requests", "requests", true, true },
	{ "a", "a", true, true },
	{ "-a", "-a", false, false },
	{ "a-", "a-", false, false },
	{ "", "", false, false },
	{ "a b", "a b", false, false },
	{ "\xc4\xb0", "i\xcc\x87", true, false },   /* U+0130: valid under re.I, lowers to 2 chars */
	{ "\xc7\x85", "\xc7\x86", false, false },   /* U+01C5 titlecase -> U+01C6 */
	{ "\xff\xfe", "\xff\xfe", false, false },   /* invalid UTF-8 passes through */
};

static void table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ab_str s = ab_str_from(cases[i].in);
		char *c = name_canonical_dup(s);
		assert_string_equal(c, cases[i].canonical);
		assert_int_equal(name_is_valid(s), cases[i].valid);
		assert_int_equal(name_is_normalized(s), cases[i].normalized);
		assert_true(name_eq(s, ab_str_from(c)));
		free(c);
	}
}

static void eq(void **state)
{
	assert_true(name_eq(ab_str_from("Zope_Interface"), ab_str_from("zope.interface")));
	assert_true(name_eq(ab_str_from("a--b"), ab_str_from("A.b")));
	assert_false(name_eq(ab_str_from("ab"), ab_str_from("a-b")));
	assert_false(name_eq(ab_str_from("flask"), ab_str_from("flask2")));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(table), cmocka_unit_test(eq) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
