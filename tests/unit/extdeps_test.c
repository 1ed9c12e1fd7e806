/* extdeps_test.c - external-dependencies.txt entries and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/extdeps.h"

static const struct {
	const char *text;
	const char *want; /* formatted entries as "line:col text", '|'-separated */
} ok_cases[] = {
	{ "libxml2 (>=2.9)\n", "1:1 libxml2 (>=2.9)" },
	{ "\xef\xbb\xbf# system deps\n\n  openssl(>= 1.1.1k ,<4)  # tls\r\nmake\n",
	  "3:3 openssl (>=1.1.1k, <4)|4:1 make" },
	{ "gtk+-3.0 (~=3.24) ; sys_platform == 'linux'\n",
	  "1:1 gtk+-3.0 (~=3.24); sys_platform == \"linux\"" },
	{ "libstdc++ (!=1:2.0-3, ==4.0~rc1)\nc;os_name=='posix'",
	  "1:1 libstdc++ (!=1:2.0-3, ==4.0~rc1)|2:1 c; os_name == \"posix\"" },
	{ "", "" },
};

static void ok_table(void **state)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(ok_cases); i++) {
		struct extdeps d = EXTDEPS_INIT;
		struct ab_err err = AB_ERR_INIT;
		if (extdeps_parse(&d, "x.txt", ab_str_from(ok_cases[i].text), &err) < 0)
			fail_msg("case %zu: %s", i, err.msg.buf);
		struct ab_buf got = AB_BUF_INIT;
		for (size_t k = 0; k < d.n; k++) {
			ab_buf_addf(&got, "%s%u:%u ", k ? "|" : "", d.entries[k].line,
				    d.entries[k].col);
			extdeps_format_entry(&d.entries[k], &got);
		}
		if (strcmp(got.buf, ok_cases[i].want))
			fail_msg("case %zu:\n got  %s\n want %s", i, got.buf, ok_cases[i].want);
		ab_buf_release(&got);
		ab_err_release(&err);
		extdeps_release(&d);
	}
}

static void fields(void **state)
{
	struct extdeps d = EXTDEPS_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(extdeps_parse(&d, NULL, AB_STR_LIT("zlib (>=1.2, !=1.2.5)"), &err), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.entries[0].name, "zlib");
	assert_int_equal(d.entries[0].nclauses, 2);
	assert_int_equal(d.entries[0].clauses[1].op, EXTDEPS_NE);
	assert_string_equal(d.entries[0].clauses[1].version, "1.2.5");
	assert_null(d.entries[0].marker);
	assert_string_equal(extdeps_op_str(EXTDEPS_COMPAT), "~=");
	extdeps_release(&d);
	ab_err_release(&err);
}

static const struct {
	const char *text;
	const char *want;
} err_cases[] = {
	{ "ok\n-bad\n", "x.txt:2:1: error: expected a package name, found '-'" },
	{ "lib!x\n", "x.txt:1:4: error: invalid character '!' in name 'lib'" },
	{ "libxml2 (2.9)\n",
	  "x.txt:1:10: error: expected version operator (<, <=, ==, !=, >=, >, ~=), found '2'" },
	{ "libxml2 ()\n",
	  "x.txt:1:10: error: expected version operator (<, <=, ==, !=, >=, >, ~=), found ')'" },
	{ "libxml2 (>=)\n", "x.txt:1:12: error: expected version after '>='" },
	{ "libxml2 (> =2)\n", "x.txt:1:12: error: expected version after '>'" },
	{ "libxml2 (===2)\n", "x.txt:1:10: error: unknown version operator '==='" },
	{ "libxml2 (>=2.9\n", "x.txt:1:9: error: unclosed '(' (expected ')' after version)" },
	{ "libxml2 (>=2.9 2.10)\n",
	  "x.txt:1:16: error: expected ',' or ')' after version, found '2'" },
	{ "libxml2 (>=2) extra\n",
	  "x.txt:1:15: error: unexpected 'e' after 'libxml2' (expected '(' or ';')" },
	{ "make ;\n", "x.txt:1:6: error: expected marker after ';'" },
	{ "make ; bogus == 'x'\n", NULL }, /* marker.h's message, at its column */
	{ "a\0b\n", "x.txt:1:2: error: unexpected NUL byte" },
};

static void err_table(void **state)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(err_cases); i++) {
		struct extdeps d = EXTDEPS_INIT;
		struct ab_err err = AB_ERR_INIT;
		size_t len = strlen(err_cases[i].text);
		if (i == AB_ARRAY_SIZE(err_cases) - 1) /* "a\0b\n" */
			len = 4;
		int r = extdeps_parse(&d, "x.txt", ab_str_make(err_cases[i].text, len), &err);
		if (r != -AB_E_PARSE)
			fail_msg("case %zu: returned %d", i, r);
		struct ab_buf got = AB_BUF_INIT;
		ab_err_format(&err, &got);
		if (err_cases[i].want && strcmp(got.buf, err_cases[i].want))
			fail_msg("case %zu:\n got  %s\n want %s", i, got.buf, err_cases[i].want);
		if (!err_cases[i].want && (err.line != 1 || err.col < 8))
			fail_msg("case %zu: marker error at %u:%u", i, err.line, err.col);
		ab_buf_release(&got);
		ab_err_release(&err);
		extdeps_release(&d);
	}
}

static void missing_file(void **state)
{
	struct extdeps d = EXTDEPS_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(extdeps_parse_file(&d, "/nonexistent/external-dependencies.txt", &err),
			 -AB_E_IO);
	assert_string_equal(err.file, "/nonexistent/external-dependencies.txt");
	extdeps_release(&d);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ok_table),
		cmocka_unit_test(fields),
		cmocka_unit_test(err_table),
		cmocka_unit_test(missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
