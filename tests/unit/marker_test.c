/* marker_test.c - PEP 508 markers: parse errors (message, column), str(),
 * evaluation semantics of packaging 26.x, marker_env_from_target(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/marker.h"

static const struct {
	const char *in, *out;
} fmt_cases[] = {
	{ "os_name=='nt'", "os_name == \"nt\"" },
	{ "os.name == 'nt'", "os_name == \"nt\"" },
	{ "python_implementation == 'PyPy'", "platform_python_implementation == \"PyPy\"" },
	{ "platform.python_implementation == 'PyPy'",
	  "platform_python_implementation == \"PyPy\"" },
	{ "(python_version == '3.8')", "python_version == \"3.8\"" },
	{ "python_version < '3' and ((os_name == 'a' or os_name == 'b'))",
	  "python_version < \"3\" and (os_name == \"a\" or os_name == \"b\")" },
	{ "(os_name == 'a' and os_name == 'b')", "os_name == \"a\" and os_name == \"b\"" },
	{ "extra == 'Foo_Bar'", "extra == \"foo-bar\"" },
	{ "'Foo.Bar' == extra", "\"foo-bar\" == extra" },
	{ "'Foo' in extras", "\"foo\" in extras" },
	{ "'a\"' == os_name", "'a\"' == os_name" },
	{ "os_name == '\\x41\\n'", "os_name == \"A\n\"" },
	{ "python_version>='3'and os_name=='x'", "python_version >= \"3\" and os_name == \"x\"" },
	{ "'3' not\tin python_version", "\"3\" not in python_version" },
	{ "\tos_name == 'x' \t", "os_name == \"x\"" },
};

static void format_table(void **state)
{
	for (size_t i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++) {
		if (!fmt_cases[i].out)
			continue;
		struct marker *m = NULL;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf b = AB_BUF_INIT;
		int rc = marker_parse(ab_str_from(fmt_cases[i].in), &m, &err);
		if (rc < 0)
			fail_msg("%s: %s", fmt_cases[i].in, err.msg.buf);
		marker_format(m, &b);
		assert_string_equal(b.buf, fmt_cases[i].out);
		ab_buf_release(&b);
		marker_free(m);
		ab_err_release(&err);
	}
}

static const struct {
	const char *in, *msg;
	unsigned col;
} err_cases[] = {
	{ "", "expected a marker variable or quoted string", 1 },
	{ "python_version", "expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in", 15 },
	{ "python_version >= 3.8", "expected a marker variable or quoted string", 19 },
	{ "python_version_tuple == '3'", "expected a marker variable or quoted string", 1 },
	{ "platform.release == '1'", "expected a marker variable or quoted string", 1 },
	{ "Python_Version == '3'", "expected a marker variable or quoted string", 1 },
	{ "(os_name == 'a'", "expected matching ')' for '(' after marker expression", 16 },
	{ "os_name == 'a')", "expected end of marker expression", 15 },
	{ "os_name == 'a' AND os_name == 'b'", "expected end of marker expression", 16 },
	{ "os_name == 'a'\n", "expected end of marker expression", 15 },
	{ "os_name == \"C:\\\"", "invalid quoted string", 12 },
	{ "os_name == '\\x4'", "invalid quoted string", 12 },
	{ "os_name == 'a\nb'", "invalid quoted string", 12 },
	{ "'3' not python_version", "expected 'in' after 'not'", 9 },
	{ "'3' not", "expected whitespace after 'not'", 8 },
	{ "'3'inpython_version", "expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in", 4 },
	{ "os_name = 'a'", "expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in", 9 },
	{ "os_name == 'a' and", "expected a marker variable or quoted string", 19 },
};

static void error_table(void **state)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct marker *m = NULL;
		struct ab_err err = AB_ERR_INIT;
		int rc = marker_parse(ab_str_from(err_cases[i].in), &m, &err);
		if (rc >= 0)
			fail_msg("accepted: %s", err_cases[i].in);
		assert_int_equal(rc, -AB_E_PARSE);
		assert_null(m);
		assert_string_equal(err.msg.buf, err_cases[i].msg);
		if (err.col != err_cases[i].col)
			fail_msg("%s: col %u, want %u", err_cases[i].in, err.col, err_cases[i].col);
		ab_err_release(&err);
	}
}

static void deep_nesting(void **state)
{
	struct ab_buf b = AB_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		ab_buf_addc(&b, '(');
	struct marker *m = NULL;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(marker_parse(ab_buf_str(&b), &m, &err), -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "marker nested too deeply");
	ab_err_release(&err);
	ab_buf_release(&b);
}

/* A Linux CPython 3.11 environment, as packaging's default_environment(). */
static void linux_env(struct marker_env *env)
{
	memset(env, 0, sizeof(*env));
	env->vars[MARKER_VAR_IMPLEMENTATION_NAME] = "cpython";
	env->vars[MARKER_VAR_IMPLEMENTATION_VERSION] = "3.11.2";
	env->vars[MARKER_VAR_OS_NAME] = "posix";
	env->vars[MARKER_VAR_PLATFORM_MACHINE] = "x86_64";
	env->vars[MARKER_VAR_PLATFORM_RELEASE] = "6.1.0-18-amd64";
	env->vars[MARKER_VAR_PLATFORM_SYSTEM] = "Linux";
	env->vars[MARKER_VAR_PLATFORM_VERSION] = "#1 SMP Debian";
	env->vars[MARKER_VAR_PYTHON_FULL_VERSION] = "3.11.1+";
	env->vars[MARKER_VAR_PLATFORM_PYTHON_IMPLEMENTATION] = "CPython";
	env->vars[MARKER_VAR_PYTHON_VERSION] = "3.11";
	env->vars[MARKER_VAR_SYS_PLATFORM] = "linux";
	env->vars[MARKER_VAR_EXTRA] = "";
}

static const struct {
	const char *marker, *extra;
	int want; /* 1, 0, or -1: error whose message starts with `msg` */
	const char *msg;
} eval_cases[] = {
	{ "python_version >= '3.8'", NULL, 1, NULL },
	{ "python_version < '3.8'", NULL, 0, NULL },
	{ "python_version > '3.11'", NULL, 0, NULL },  /* specifier semantics */
	{ "python_version == '3.11.*'", NULL, 1, NULL },
	{ "python_version ~= '3.9'", NULL, 1, NULL },
	{ "'3.8' < python_version", NULL, 1, NULL }, /* Specifier('<3.11').contains('3.8') */
	{ "'3.12' < python_version", NULL, 0, NULL },
	{ "python_full_version == '3.11.1'", NULL, 1, NULL }, /* "3.11.1+" -> "+local" */
	{ "python_full_version < '3.12'", NULL, 1, NULL },
	{ "platform_release >= '5.0'", NULL, 0, NULL },  /* not a version: eq */
	{ "platform_release == '6.1.0-18-amd64'", NULL, 1, NULL },
	{ "platform_release === '6.1.0-18-AMD64'", NULL, 1, NULL },
	{ "os_name < 'z'", NULL, 0, NULL },
	{ "os_name <= 'posix'", NULL, 1, NULL },
	{ "os_name >= 'posix'", NULL, 1, NULL },
	{ "os_name === 'posix'", NULL, -1, "undefined comparison" },
	{ "os_name ~= '1.0'", NULL, -1, "undefined comparison" },
	{ "python_version ~= '3'", NULL, -1, "undefined comparison" },
	{ "'os' in os_name", NULL, 1, NULL },
	{ "'z' not in os_name", NULL, 1, NULL },
	{ "'3.1' in python_version", NULL, 1, NULL },
	{ "extra == 'Foo_Bar'", "foo.bar", 1, NULL },
	{ "extra == 'foo'", NULL, 0, NULL },
	{ "'a' == 'os_name'", NULL, 0, NULL }, /* value vs value: looks up os_name */
	{ "'posix' == 'os_name'", NULL, 1, NULL },
	{ "'1.0' < '2.0'", NULL, -1, "undefined environment name '2.0'" },
	{ "'foo' in extras", NULL, -1, "undefined environment name 'extras'" },
	/* every comparison is evaluated: an error is not short-circuited */
	{ "os_name == 'nt' and os_name ~= '1'", NULL, -1, "undefined comparison" },
	{ "os_name == 'posix' or os_name ~= '1'", NULL, -1, "undefined comparison" },
	{ "os_name == 'nt' or (python_version >= '3' and sys_platform == 'linux')", NULL, 1, NULL },
	{ "os_name == 'posix' and python_version < '3' or sys_platform == 'linux'", NULL, 1, NULL },
	{ "os_name == 'posix' and (python_version < '3' or sys_platform == 'win32')", NULL, 0, NULL },
	{ "python_version == os_name", NULL, 0, NULL },
};

static void eval_table(void **state)
{
	for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		struct marker *m = NULL;
		struct ab_err err = AB_ERR_INIT;
		struct marker_env env;
		linux_env(&env);
		if (eval_cases[i].extra)
			env.vars[MARKER_VAR_EXTRA] = eval_cases[i].extra;
		if (marker_parse(ab_str_from(eval_cases[i].marker), &m, &err) < 0)
			fail_msg("%s: %s", eval_cases[i].marker, err.msg.buf);
		int r = marker_evaluate(m, &env, &err);
		if (eval_cases[i].want < 0) {
			if (r >= 0)
				fail_msg("%s: %d, want error", eval_cases[i].marker, r);
			assert_int_equal(r, -AB_E_INVALID);
			if (strncmp(err.msg.buf, eval_cases[i].msg, strlen(eval_cases[i].msg)))
				fail_msg("%s: '%s'", eval_cases[i].marker, err.msg.buf);
		} else if (r != eval_cases[i].want) {
			fail_msg("%s: %d (%s), want %d", eval_cases[i].marker, r, err.msg.buf,
				 eval_cases[i].want);
		}
		marker_free(m);
		ab_err_release(&err);
	}
}

static void set_valued(void **state)
{
	struct marker *m = NULL;
	struct ab_err err = AB_ERR_INIT;
	struct marker_env env;
	linux_env(&env);
	env.vars[MARKER_VAR_EXTRAS] = "Foo_Bar,baz";
	env.vars[MARKER_VAR_DEPENDENCY_GROUPS] = "";
	assert_int_equal(marker_parse(ab_str_from("'foo.bar' in extras and 'dev' not in "
						  "dependency_groups"), &m, &err), 0);
	assert_int_equal(marker_evaluate(m, &env, &err), 1);
	marker_free(m);
	assert_int_equal(marker_parse(ab_str_from("'qux' in extras"), &m, &err), 0);
	assert_int_equal(marker_evaluate(m, &env, &err), 0);
	marker_free(m);
	ab_err_release(&err);
}

static void undefined_var(void **state)
{
	struct marker *m = NULL;
	struct ab_err err = AB_ERR_INIT;
	struct marker_env env;
	linux_env(&env);
	env.vars[MARKER_VAR_OS_NAME] = NULL;
	assert_int_equal(marker_parse(ab_str_from("os_name == 'nt'"), &m, &err), 0);
	assert_int_equal(marker_evaluate(m, &env, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf, "undefined environment name 'os_name'");
	marker_free(m);
	ab_err_release(&err);
}

static void env_from_target(void **state)
{
	struct marker_env env;
	struct ab_buf storage = AB_BUF_INIT;
	struct marker_target t = { "3.11.7", "cpython", "linux", "x86_64" };
	marker_env_from_target(&env, &t, &storage);
	assert_string_equal(env.vars[MARKER_VAR_PYTHON_VERSION], "3.11");
	assert_string_equal(env.vars[MARKER_VAR_PYTHON_FULL_VERSION], "3.11.7");
	assert_string_equal(env.vars[MARKER_VAR_IMPLEMENTATION_NAME], "cpython");
	assert_string_equal(env.vars[MARKER_VAR_IMPLEMENTATION_VERSION], "3.11.7");
	assert_string_equal(env.vars[MARKER_VAR_PLATFORM_PYTHON_IMPLEMENTATION], "CPython");
	assert_string_equal(env.vars[MARKER_VAR_OS_NAME], "posix");
	assert_string_equal(env.vars[MARKER_VAR_PLATFORM_SYSTEM], "Linux");
	assert_string_equal(env.vars[MARKER_VAR_PLATFORM_MACHINE], "x86_64");
	assert_string_equal(env.vars[MARKER_VAR_SYS_PLATFORM], "linux");
	assert_string_equal(env.vars[MARKER_VAR_PLATFORM_RELEASE], "");
	assert_string_equal(env.vars[MARKER_VAR_EXTRA], "");
	assert_null(env.vars[MARKER_VAR_EXTRAS]);

	struct marker_target w = { "3.13.0rc1", "pypy", "win32", "AMD64" };
	marker_env_from_target(&env, &w, &storage);
	assert_string_equal(env.vars[MARKER_VAR_PYTHON_VERSION], "3.13");
	assert_string_equal(env.vars[MARKER_VAR_OS_NAME], "nt");
	assert_string_equal(env.vars[MARKER_VAR_PLATFORM_SYSTEM], "Windows");
	assert_string_equal(env.vars[MARKER_VAR_PLATFORM_PYTHON_IMPLEMENTATION], "PyPy");

	struct marker *m = NULL;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(marker_parse(ab_str_from("sys_platform == 'win32' and python_version "
						  ">= '3.13' and platform_machine == 'AMD64'"),
				      &m, &err), 0);
	assert_int_equal(marker_evaluate(m, &env, &err), 1);
	marker_free(m);

	struct marker_target d = { "3.12.1", "cpython", "darwin", "arm64" };
	marker_env_from_target(&env, &d, &storage);
	assert_string_equal(env.vars[MARKER_VAR_PLATFORM_SYSTEM], "Darwin");
	assert_string_equal(env.vars[MARKER_VAR_PYTHON_VERSION], "3.12");
	ab_buf_release(&storage);
	ab_err_release(&err);
}

static void specifier_token(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		enum pep440_op op;
	} cases[] = {
		{ ">=1.0", 5, PEP440_OP_GE },     { "== 1.0.*,", 8, PEP440_OP_EQ },
		{ "~=1", 0, 0 },                  { "~=1.0rc1x", 8, PEP440_OP_COMPATIBLE },
		{ "==1.0+Local.1 ", 13, PEP440_OP_EQ }, { ">=1.0+local", 5, PEP440_OP_GE },
		{ "===x,y;z", 6, PEP440_OP_ARBITRARY }, { "!=V1!2.0.post1.dev3", 19, PEP440_OP_NE },
		{ "<1.0-1", 6, PEP440_OP_LT },   { "=1.0", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum pep440_op op = 0;
		size_t l = marker_specifier_token(ab_str_from(cases[i].in), 0, &op);
		if (l != cases[i].len)
			fail_msg("%s: %zu, want %zu", cases[i].in, l, cases[i].len);
		if (l)
			assert_int_equal(op, cases[i].op);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_table),   cmocka_unit_test(error_table),
		cmocka_unit_test(deep_nesting),   cmocka_unit_test(eval_table),
		cmocka_unit_test(set_valued),     cmocka_unit_test(undefined_var),
		cmocka_unit_test(env_from_target), cmocka_unit_test(specifier_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
