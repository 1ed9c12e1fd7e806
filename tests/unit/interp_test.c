/* interp_test.c - querying the python3 on PATH, and the query's failure
 * modes (missing program, failing program, bad JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/interp.h"
#include "tests/unit/testutil.h"

/* What the same interpreter says itself, for comparison. */
static void ask(const char *py, const char *expr, char *out, size_t n)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s -I -c 'import sys, sysconfig, platform; print(%s)'", py, expr);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, (int)n, f));
	out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

static void query_python3(void **state)
{
	struct interp p;
	struct ab_err err = AB_ERR_INIT;
	int rc = interp_query(NULL, &p, &err);
	if (rc < 0)
		fail_msg("%s", err.msg.buf);
	char want[512];
	ask("python3", "platform.python_version()", want, sizeof(want));
	assert_string_equal(p.version, want);
	ask("python3", "sys.implementation.cache_tag", want, sizeof(want));
	assert_string_equal(p.cache_tag, want);
	ask("python3", "sysconfig.get_config_var(\"SOABI\")", want, sizeof(want));
	assert_string_equal(p.soabi, want);
	ask("python3", "sysconfig.get_platform()", want, sizeof(want));
	assert_string_equal(p.platform, want);
	ask("python3", "sys.executable", want, sizeof(want));
	assert_string_equal(p.executable, want);
	assert_int_equal(p.major, 3);
	assert_true(p.minor >= 7);
	char tag[32];
	snprintf(tag, sizeof(tag), "python%u.%u/site-packages", p.major, p.minor);
	assert_non_null(strstr(p.purelib, tag));
	assert_string_equal(p.scripts, "bin");
	assert_string_equal(p.data, "");
	snprintf(tag, sizeof(tag), "include/site/python%u.%u", p.major, p.minor);
	assert_string_equal(p.headers, tag);
	if (!strcmp(p.implementation, "cpython")) {
		snprintf(tag, sizeof(tag), "cp%u%u", p.major, p.minor);
		assert_string_equal(p.interpreter_tag, tag);
		assert_int_equal(strncmp(p.abi_tag, tag, strlen(tag)), 0);
	}
	assert_true(p.base_executable[0] == '/');
	assert_int_equal(access(p.base_executable, X_OK), 0);
	interp_release(&p);
	ab_err_release(&err);
}

/* interp_query_cached(): the second call answers from the cache (the
 * wrapper script counts its runs); touching the script asks again. */
static void query_cached(void **state)
{
	char *dir = tu_mkdtemp("interp_test.");
	char py[600], cdir[600], runs[600];
	struct cache c = CACHE_INIT;
	struct interp a, b;
	struct ab_err err = AB_ERR_INIT;
	snprintf(py, sizeof(py), "%s/python3", dir);
	snprintf(cdir, sizeof(cdir), "%s/cache", dir);
	snprintf(runs, sizeof(runs), "%s/runs", dir);
	tu_sh_ok("real=$(command -v python3) && printf '#!/bin/sh\necho x >> \"%s\"\n"
		 "exec \"%%s\" \"$@\"\n' \"$real\" > '%s' && chmod +x '%s'",
		 runs, py, py);
	assert_int_equal(cache_open(&c, cdir, false, &err), 0);
	assert_int_equal(interp_query_cached(&c, py, &a, &err), 0);
	assert_int_equal(interp_query_cached(&c, py, &b, &err), 0);
	assert_string_equal(a.executable, b.executable);
	assert_string_equal(a.version, b.version);
	assert_string_equal(a.purelib, b.purelib);
	assert_non_null(b.magic);
	assert_int_equal(strlen(b.magic), 8); /* 4 bytes in hex */
	interp_release(&b);
	tu_sh_ok("test $(wc -l < '%s') -eq 1 && touch -d '2001-01-01' '%s'", runs, py);
	assert_int_equal(interp_query_cached(&c, py, &b, &err), 0);
	tu_sh_ok("test $(wc -l < '%s') -eq 2", runs);
	/* no cache: always asked */
	interp_release(&b);
	assert_int_equal(interp_query_cached(NULL, py, &b, &err), 0);
	tu_sh_ok("test $(wc -l < '%s') -eq 3", runs);
	interp_release(&a);
	interp_release(&b);
	cache_release(&c);
	tu_rmrf(dir);
	ab_err_release(&err);
}

static void query_errors(void **state)
{
	struct interp p;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(interp_query("/nonexistent/python3", &p, &err), -AB_E_IO);
	assert_string_equal(err.file, "/nonexistent/python3");
	assert_string_equal(err.msg.buf, "cannot run the interpreter: No such file or directory");
	ab_err_clear(&err);
	assert_int_equal(interp_query("appbuild-no-such-python", &p, &err), -AB_E_IO);
	ab_err_clear(&err);
	/* a program that is no Python: `false` exits 1 */
	assert_int_equal(interp_query("false", &p, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf, "interpreter query failed (exit status 1)");
	ab_err_clear(&err);
	/* `true` prints nothing */
	assert_int_equal(interp_query("true", &p, &err), -AB_E_INVALID);
	assert_non_null(strstr(err.msg.buf, "interpreter query: not a JSON object"));
	ab_err_release(&err);
}

static void parse_errors(void **state)
{
	static const char good[] =
		"{\"executable\":\"/x/python\",\"base_executable\":\"/x/python\",\"home\":\"/x\","
		"\"prefix\":\"/x\",\"base_prefix\":\"/x\",\"version\":\"3.11.2\",\"major\":3,"
		"\"minor\":11,\"micro\":2,\"implementation\":\"cpython\",\"cache_tag\":null,"
		"\"soabi\":null,\"ext_suffix\":\".so\",\"interpreter_tag\":\"cp311\","
		"\"abi_tag\":\"cp311\",\"platform\":\"linux-x86_64\",\"machine\":\"x86_64\","
		"\"libc\":null,\"libc_version\":null,\"pointer_bits\":64,"
		"\"purelib\":\"PURELIB\",\"platlib\":\"lib/python3.11/site-packages\","
		"\"scripts\":\"bin\",\"data\":\"\",\"headers\":\"include/site/python3.11\"}";
	static const struct {
		const char *from, *to, *msg;
		int rc;
	} cases[] = {
		{ "PURELIB", "lib/python3.11/site-packages", NULL, 0 },
		{ "PURELIB", "../lib", "interpreter query: layout path '../lib' is outside the environment",
		  -AB_E_INVALID },
		{ "PURELIB", "/abs", "interpreter query: layout path '/abs' is outside the environment",
		  -AB_E_INVALID },
		{ "\"major\":3", "\"major\":\"3\"", "interpreter query: invalid 'major'", -AB_E_INVALID },
		{ "\"home\":\"/x\",", "", "interpreter query: missing 'home'", -AB_E_INVALID },
		{ "\"minor\":11", "\"minor\":6", "Python 3.11.2 is not supported (3.7 or newer is required)",
		  -AB_E_UNSUPPORTED },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[2048];
		const char *at = strstr(good, cases[i].from);
		assert_non_null(at);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - good), good, cases[i].to,
			 at + strlen(cases[i].from));
		struct interp p;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(interp_parse(buf, &p, &err), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_null(p.cache_tag);
			assert_string_equal(p.data, "");
			interp_release(&p);
		} else {
			assert_string_equal(err.msg.buf, cases[i].msg);
			assert_null(p.executable);
		}
		ab_err_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(query_python3),
		cmocka_unit_test(query_cached),
		cmocka_unit_test(query_errors),
		cmocka_unit_test(parse_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
