/* tags_test.c - parse_tag, platform lists, supported tags and ranking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tags.h"
#include "tests/unit/testutil.h"

static void parse_ok(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "py3-none-any", "py3-none-any" },
		{ "PY3-NONE-ANY", "py3-none-any" },
		{ "py2.py3-none-any", "py2-none-any py3-none-any" },
		{ "py3.py3-none-any", "py3-none-any" },
		{ "py3.PY3-none-any", "py3-none-any" },
		{ "cp38.cp39-abi3-a.b", "cp38-abi3-a cp38-abi3-b cp39-abi3-a cp39-abi3-b" },
		{ "emscripten-5.0.3-wasm32",
		  "emscripten-5-wasm32 emscripten-0-wasm32 emscripten-3-wasm32" },
		{ "py3-none-linux x86_64", "py3-none-linux x86_64" },
		{ "_x-none-any", "_x-none-any" },
		/* Unicode: identifiers and str.lower() as Python */
		{ "\xc3\xb1-ABI-\xc3\x91", "\xc3\xb1-abi-\xc3\xb1" },     /* ñ, Ñ */
		{ "py-none-\xc4\xb0", "py-none-i\xcc\x87" },              /* İ -> i + U+0307 */
		{ "py-none-\xe2\x84\xaa", "py-none-k" },                  /* KELVIN SIGN */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tag_set s = TAG_SET_INIT;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(tags_parse(ab_str_from(cases[i].in), &s, &err), 0);
		char *got = tu_tags_str(s.tags, s.n);
		assert_string_equal(got, cases[i].want);
		free(got);
		tag_set_release(&s);
		ab_err_release(&err);
	}
}

static void parse_errors(void **state)
{
	static const struct {
		const char *in, *msg;
		unsigned col;
	} cases[] = {
		{ "", "empty component in tag ''", 1 },
		{ "-", "empty component in tag '-'", 1 },
		{ "py3--any", "empty component in tag 'py3--any'", 5 },
		{ "py3-none-", "empty component in tag 'py3-none-'", 10 },
		{ "py3..py2-none-any", "empty component in tag 'py3..py2-none-any'", 5 },
		{ "py3-none-any.", "empty component in tag 'py3-none-any.'", 14 },
		{ "py3", "tag 'py3' must have exactly three components", 1 },
		{ "py3-none-any-x", "tag 'py3-none-any-x' must have exactly three components", 1 },
		{ "2-none-any", "invalid interpreter '2' in tag '2-none-any'", 1 },
		{ "py3.2-none-any", "invalid interpreter '2' in tag 'py3.2-none-any'", 5 },
		{ "py+3-none-any", "invalid interpreter 'py+3' in tag 'py+3-none-any'", 1 },
		{ "py3-none-\xff", "tag 'py3-none-\xff' is not valid utf-8 or holds a nul byte", 10 },
		/* U+00B7 MIDDLE DOT continues but cannot start an identifier */
		{ "\xc2\xb7-none-any", "invalid interpreter '\xc2\xb7' in tag '\xc2\xb7-none-any'", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tag_set s = TAG_SET_INIT;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(tags_parse(ab_str_from(cases[i].in), &s, &err), -AB_E_PARSE);
		assert_string_equal(err.msg.buf, cases[i].msg);
		assert_int_equal(err.col, cases[i].col);
		assert_int_equal(s.n, 0);
		assert_null(s.tags);
		ab_err_release(&err);
	}
}

static void parse_limit(void **state)
{
	/* 65 x 65 interpreters x abis is over TAGS_PARSE_LIMIT */
	struct ab_buf b = AB_BUF_INIT;
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 65; i++)
			ab_buf_addf(&b, "%sa%d", i ? "." : "", i);
		ab_buf_addc(&b, '-');
	}
	ab_buf_adds(&b, "any");
	struct tag_set s = TAG_SET_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(tags_parse(ab_buf_str(&b), &s, &err), -AB_E_PARSE);
	assert_non_null(strstr(err.msg.buf, "expands to more than 4096 tags"));
	ab_err_release(&err);
	ab_buf_release(&b);
}

static char *list_str(const struct tags_strlist *l)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < l->n; i++)
		ab_buf_addf(&b, "%s%s", i ? " " : "", l->v[i]);
	return ab_buf_detach(&b);
}

static void linux_platforms(void **state)
{
	static const struct {
		const char *arch;
		enum tags_libc libc;
		unsigned maj, min;
		const char *want;
	} cases[] = {
		{ "x86_64", TAGS_LIBC_GLIBC, 2, 6,
		  "manylinux_2_6_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64 linux_x86_64" },
		{ "x86_64", TAGS_LIBC_GLIBC, 2, 4, "linux_x86_64" },
		{ "s390x", TAGS_LIBC_GLIBC, 2, 18,
		  "manylinux_2_18_s390x manylinux_2_17_s390x manylinux2014_s390x linux_s390x" },
		{ "aarch64", TAGS_LIBC_GLIBC, 2, 16, "linux_aarch64" },
		{ "mips", TAGS_LIBC_GLIBC, 2, 30, "linux_mips" },
		{ "aarch64", TAGS_LIBC_MUSL, 1, 1,
		  "musllinux_1_1_aarch64 musllinux_1_0_aarch64 linux_aarch64" },
		{ "armv8l", TAGS_LIBC_MUSL, 1, 0,
		  "musllinux_1_0_armv8l musllinux_1_0_armv7l linux_armv8l linux_armv7l" },
		{ "x86-64", TAGS_LIBC_UNKNOWN, 0, 0, "linux_x86_64" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tags_strlist l = TAGS_STRLIST_INIT;
		tags_linux_platforms(cases[i].arch, cases[i].libc, cases[i].maj, cases[i].min, &l);
		char *got = list_str(&l);
		assert_string_equal(got, cases[i].want);
		free(got);
		tags_strlist_release(&l);
	}
	/* glibc 3.1: 3_1, 3_0, then 2_50 down to the floor */
	struct tags_strlist l = TAGS_STRLIST_INIT;
	tags_linux_platforms("aarch64", TAGS_LIBC_GLIBC, 3, 1, &l);
	assert_string_equal(l.v[0], "manylinux_3_1_aarch64");
	assert_string_equal(l.v[2], "manylinux_2_50_aarch64");
	assert_int_equal(l.n, 2 + 34 + 1 + 1); /* 2_50..2_17, manylinux2014, linux */
	tags_strlist_release(&l);
}

static void mac_platforms(void **state)
{
	struct tags_strlist l = TAGS_STRLIST_INIT;
	tags_mac_platforms(10, 3, "x86_64", &l);
	assert_int_equal(l.n, 0); /* x86_64 formats start at 10.4 */
	tags_mac_platforms(9, 0, "x86_64", &l);
	assert_int_equal(l.n, 0);
	tags_mac_platforms(10, 5, "ppc", &l);
	char *got = list_str(&l);
	assert_string_equal(got, "macosx_10_5_ppc macosx_10_5_fat3 macosx_10_5_fat "
				 "macosx_10_5_universal macosx_10_4_ppc macosx_10_4_fat3 "
				 "macosx_10_4_fat macosx_10_4_universal macosx_10_3_ppc "
				 "macosx_10_3_fat3 macosx_10_3_fat macosx_10_3_universal "
				 "macosx_10_2_ppc macosx_10_2_fat3 macosx_10_2_fat "
				 "macosx_10_2_universal macosx_10_1_ppc macosx_10_1_fat3 "
				 "macosx_10_1_fat macosx_10_1_universal macosx_10_0_ppc "
				 "macosx_10_0_fat3 macosx_10_0_fat macosx_10_0_universal");
	free(got);
	tags_strlist_release(&l);
	tags_mac_platforms(11, 0, "arm64", &l);
	assert_string_equal(l.v[0], "macosx_11_0_arm64");
	assert_string_equal(l.v[1], "macosx_11_0_universal2");
	assert_string_equal(l.v[2], "macosx_10_16_universal2");
	assert_string_equal(l.v[l.n - 1], "macosx_10_4_universal2");
	tags_strlist_release(&l);
}

static void supported_lists(void **state)
{
	static const char *const win[] = { "Win_AMD64" };
	struct tags_target t = { .py_major = 3, .py_minor = 3, .platforms = win, .nplatforms = 1 };
	struct tags_supported s;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(tags_supported(&t, &s, &err), 0);
	char *got = tu_tags_str(s.tags, s.n);
	assert_string_equal(got, "cp33-cp33-win_amd64 cp33-abi3-win_amd64 cp33-none-win_amd64 "
				 "cp32-abi3-win_amd64 py33-none-win_amd64 py3-none-win_amd64 "
				 "py32-none-win_amd64 py31-none-win_amd64 py30-none-win_amd64 "
				 "cp33-none-any py33-none-any py3-none-any py32-none-any "
				 "py31-none-any py30-none-any");
	free(got);
	tags_supported_release(&s);

	/* free-threaded: abi3t instead of abi3; explicit "none" dropped once */
	static const char *const ft[] = { "cp313t", "none", "abi3t" };
	struct tags_target f = { .py_major = 3, .py_minor = 4, .abis = ft, .nabis = 3,
				 .os = TAGS_OS_WINDOWS, .arch = "x86" };
	assert_int_equal(tags_supported(&f, &s, &err), 0);
	got = tu_tags_str(s.tags, s.n);
	assert_string_equal(got, "cp34-cp313t-win32 cp34-abi3t-win32 cp34-none-win32 "
				 "cp33-abi3t-win32 cp32-abi3t-win32 py34-none-win32 "
				 "py3-none-win32 py33-none-win32 py32-none-win32 py31-none-win32 "
				 "py30-none-win32 cp34-none-any py34-none-any py3-none-any "
				 "py33-none-any py32-none-any py31-none-any py30-none-any");
	free(got);
	tags_supported_release(&s);

	/* PyPy defaults */
	struct tags_target p = { .py_major = 3, .py_minor = 0, .impl = TAGS_IMPL_PYPY,
				 .os = TAGS_OS_LINUX, .arch = "x86_64" };
	assert_int_equal(tags_supported(&p, &s, &err), 0);
	got = tu_tags_str(s.tags, s.n);
	assert_string_equal(got, "pp30-pypy30_pp73-linux_x86_64 pp30-none-linux_x86_64 "
				 "py30-none-linux_x86_64 py3-none-linux_x86_64 pp3-none-any "
				 "py30-none-any py3-none-any");
	free(got);
	tags_supported_release(&s);

	/* errors */
	struct tags_target bad = { .py_major = 3, .py_minor = 11, .os = TAGS_OS_WINDOWS,
				   .arch = "sparc" };
	assert_int_equal(tags_supported(&bad, &s, &err), -AB_E_USAGE);
	assert_string_equal(err.msg.buf, "unknown windows architecture 'sparc'");
	assert_int_equal(s.n, 0);
	ab_err_clear(&err);
	bad.arch = NULL;
	assert_int_equal(tags_supported(&bad, &s, &err), -AB_E_USAGE);
	assert_string_equal(err.msg.buf, "target has no architecture");
	ab_err_release(&err);
}

static void ranking(void **state)
{
	struct tags_target t = { .py_major = 3, .py_minor = 11, .os = TAGS_OS_LINUX,
				 .arch = "x86_64", .libc = TAGS_LIBC_GLIBC, .os_major = 2,
				 .os_minor = 17 };
	struct tags_supported s;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(tags_supported(&t, &s, &err), 0);
	static const struct {
		const char *tag;
		long rank;
	} cases[] = {
		{ "cp311-cp311-manylinux_2_17_x86_64", 0 },
		{ "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", 0 },
		{ "cp311-cp311-manylinux2014_x86_64", 1 },
		{ "cp311-cp311-linux_x86_64", 16 },
		{ "CP311-CP311-MANYLINUX2014_X86_64", 1 },
		{ "cp311-abi3-manylinux_2_17_x86_64", 17 },
		{ "cp311-cp311-manylinux_2_18_x86_64", -1 },
		{ "cp312-cp312-manylinux_2_17_x86_64", -1 },
		{ "py3-none-any", -1 }, /* filled in below */
		{ "py2.py3-none-any", -1 },
		{ "cp311-cp311-win_amd64", -1 },
	};
	long py3any = -1;
	for (size_t i = 0; i < s.n; i++)
		if (!strcmp(s.tags[i].interpreter, "py3") && !strcmp(s.tags[i].platform, "any"))
			py3any = (long)i;
	assert_true(py3any > 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tag_set set = TAG_SET_INIT;
		assert_int_equal(tags_parse(ab_str_from(cases[i].tag), &set, &err), 0);
		long want = cases[i].rank;
		if (strstr(cases[i].tag, "py3-none-any"))
			want = py3any;
		assert_int_equal(tags_supported_rank(&s, &set), want);
		tag_set_release(&set);
	}
	tags_supported_release(&s);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_ok),        cmocka_unit_test(parse_errors),
		cmocka_unit_test(parse_limit),     cmocka_unit_test(linux_platforms),
		cmocka_unit_test(mac_platforms),   cmocka_unit_test(supported_lists),
		cmocka_unit_test(ranking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
