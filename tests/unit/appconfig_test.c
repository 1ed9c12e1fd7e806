/* appconfig_test.c - appbuild.yaml: the schema, and an exact message and
 * position for each way it can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "formats/appconfig.h"
#include "formats/core/mem.h"

static void full(void **state)
{
	const char *yaml = "name: My_App\n"
			   "version: \"1.0.0-rc1\"\n"
			   "python: \">=3.9\"\n"
			   "supervisor: circus\n"
			   "processes:\n"
			   "  web: gunicorn -b :8000 wsgiapp\n"
			   "  worker:\n"
			   "    command: celery worker\n"
			   "    count: 3\n"
			   "package:\n"
			   "  summary: A demo\n"
			   "  license: MIT\n"
			   "  url: https://example.org\n"
			   "  user: _my-app0\n";
	struct appconfig c;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(appconfig_parse(ab_str_from(yaml), "appbuild.yaml", &c, &err), 0);
	assert_string_equal(c.name, "My_App");
	assert_string_equal(c.version, "1.0.0rc1");
	assert_string_equal(c.python, ">=3.9");
	assert_int_equal(c.python_spec.n, 1);
	assert_true(c.has_supervisor);
	assert_int_equal(c.supervisor, APPCONFIG_SUPERVISOR_CIRCUS);
	assert_string_equal(appconfig_supervisor_name(c.supervisor), "circus");
	assert_int_equal(c.nprocesses, 2);
	assert_string_equal(c.processes[0].name, "web");
	assert_string_equal(c.processes[0].command, "gunicorn -b :8000 wsgiapp");
	assert_int_equal(c.processes[0].count, 1);
	assert_int_equal(c.processes[0].line, 6);
	assert_int_equal(c.processes[0].col, 3);
	assert_string_equal(c.processes[1].name, "worker");
	assert_string_equal(c.processes[1].command, "celery worker");
	assert_int_equal(c.processes[1].count, 3);
	assert_string_equal(c.package.summary, "A demo");
	assert_string_equal(c.package.license, "MIT");
	assert_string_equal(c.package.url, "https://example.org");
	assert_null(c.package.vendor);
	assert_string_equal(c.package.user, "_my-app0");
	appconfig_release(&c);
	ab_err_release(&err);
}

static void empty(void **state)
{
	static const char *const texts[] = { "", "\n", "# only a comment\n", "---\n", "{}" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(texts); i++) {
		struct appconfig c;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(appconfig_parse(ab_str_from(texts[i]), "a.yaml", &c, &err), 0);
		assert_null(c.name);
		assert_null(c.version);
		assert_false(c.has_supervisor);
		assert_int_equal(c.supervisor, APPCONFIG_SUPERVISOR_BUILTIN);
		assert_int_equal(c.nprocesses, 0);
		appconfig_release(&c);
	}
}

static void python_bare_version(void **state)
{
	static const struct {
		const char *yaml, *spec;
	} cases[] = {
		{ "python: 3.11", "==3.11.*" },
		{ "python: '3'", "==3.*" },
		{ "python: 3.11.7", "==3.11.7" },
		{ "python: '>=3.9,<4'", "<4,>=3.9" },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(cases); i++) {
		struct appconfig c;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf b = AB_BUF_INIT;
		assert_int_equal(appconfig_parse(ab_str_from(cases[i].yaml), "a.yaml", &c, &err), 0);
		pep440_specset_format(&c.python_spec, &b);
		assert_string_equal(b.buf, cases[i].spec);
		ab_buf_release(&b);
		appconfig_release(&c);
	}
}

static void version_verbatim(void **state)
{
	/* YAML 1.1 would read 1.10 as the float 1.1; we keep the text */
	struct appconfig c;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(appconfig_parse(ab_str_from("version: 1.10\n"), "a.yaml", &c, &err), 0);
	assert_string_equal(c.version, "1.10");
	appconfig_release(&c);
}

struct error_case {
	const char *yaml;
	const char *message; /* ab_err_format() */
	const char *notes;   /* NULL: none; "": not checked */
};

static const struct error_case error_cases[] = {
	{ "name: app\nproceses:\n  web: x\n",
	  "appbuild.yaml:2:1: error: unknown key 'proceses'", "did you mean 'processes'?" },
	{ "nmae: app\n", "appbuild.yaml:1:1: error: unknown key 'nmae'", "did you mean 'name'?" },
	{ "zzz: 1\n", "appbuild.yaml:1:1: error: unknown key 'zzz'",
	  "expected one of 'name', 'version', 'python', 'processes', 'supervisor', 'package'" },
	{ "processes:\n  - web\n",
	  "appbuild.yaml:2:3: error: expected a mapping for 'processes', got a sequence", NULL },
	{ "processes:\n", "appbuild.yaml:1:11: error: expected a mapping for 'processes', got null",
	  NULL },
	{ "name: [a]\n", "appbuild.yaml:1:7: error: expected a string for 'name', got a sequence",
	  NULL },
	{ "name: a\nname: b\n", "appbuild.yaml:2:1: error: duplicate key 'name'", NULL },
	{ "name: -bad-\n",
	  "appbuild.yaml:1:7: error: invalid project name '-bad-' (letters, digits, '.', '-' and "
	  "'_', starting and ending with a letter or digit)",
	  NULL },
	{ "version: one\n", "appbuild.yaml:1:10: error: invalid version 'one'", "" },
	{ "python: '>=3.x'\n", NULL, "" },
	{ "supervisor: systemdd\n", "appbuild.yaml:1:13: error: unknown supervisor 'systemdd'",
	  "did you mean 'systemd'?" },
	{ "supervisor: runit\n", "appbuild.yaml:1:13: error: unknown supervisor 'runit'",
	  "expected one of 'builtin', 'supervisord', 'circus', 'systemd'" },
	{ "processes:\n  web:\n    cmd: x\n",
	  "appbuild.yaml:3:5: error: unknown key 'cmd' in process 'web'",
	  "expected one of 'command', 'count'" },
	{ "processes:\n  web:\n    count: 2\n",
	  "appbuild.yaml:3:5: error: missing 'command' for process 'web'", NULL },
	{ "processes:\n  web: {command: x, count: 0}\n",
	  "appbuild.yaml:2:28: error: 'count' must be at least 1, got 0", NULL },
	{ "processes:\n  web: {command: x, count: two}\n",
	  "appbuild.yaml:2:28: error: expected an integer for 'count', got 'two'", NULL },
	{ "processes:\n  web: {command: x, count: 99999999999}\n",
	  "appbuild.yaml:2:28: error: 'count' is too large", NULL },
	{ "processes:\n  web: ''\n", "appbuild.yaml:2:8: error: empty command for process 'web'",
	  NULL },
	{ "processes:\n  web: [a]\n",
	  "appbuild.yaml:2:8: error: expected a command string or a mapping for process 'web', "
	  "got a sequence",
	  NULL },
	{ "processes:\n  a b: x\n",
	  "appbuild.yaml:2:3: error: invalid process name 'a b' (letters, digits, '-' and '_', at "
	  "most 64)",
	  NULL },
	{ "processes:\n  web: x\n  web: y\n", "appbuild.yaml:3:3: error: duplicate process 'web'",
	  "first defined at line 2" },
	{ "package: {summary: 1, summary: 2}\n",
	  "appbuild.yaml:1:23: error: duplicate key 'summary'", NULL },
	{ "package: {licence: MIT}\n",
	  "appbuild.yaml:1:11: error: unknown key 'licence' in 'package'",
	  "did you mean 'license'?" },
	/* package: user: useradd's portable names */
	{ "package:\n  user: Web\n",
	  "appbuild.yaml:2:9: error: invalid user name 'Web' (lowercase letters, digits, '_' and "
	  "'-', starting with a letter or '_', at most 32)",
	  NULL },
	{ "package: {user: 1web}\n",
	  "appbuild.yaml:1:17: error: invalid user name '1web' (lowercase letters, digits, '_' and "
	  "'-', starting with a letter or '_', at most 32)",
	  NULL },
	{ "package: {user: -web}\n", "appbuild.yaml:1:17: error: invalid user name '-web' "
				   "(lowercase letters, digits, '_' and '-', starting with a letter or "
				   "'_', at most 32)", NULL },
	{ "package: {user: 'a b'}\n", "appbuild.yaml:1:17: error: invalid user name 'a b' "
				    "(lowercase letters, digits, '_' and '-', starting with a letter "
				    "or '_', at most 32)", NULL },
	{ "package: {user: web$}\n", NULL, NULL },
	{ "package: {user: abcdefghijklmnopqrstuvwxyz0123456}\n",
	  "appbuild.yaml:1:17: error: invalid user name 'abcdefghijklmnopqrstuvwxyz0123456' "
	  "(lowercase letters, digits, '_' and '-', starting with a letter or '_', at most 32)",
	  NULL },
	{ "package:\n  user:\n",
	  "appbuild.yaml:2:8: error: expected a string for 'user', got null", NULL },
	{ "package:\n  user: [a]\n",
	  "appbuild.yaml:2:9: error: expected a string for 'user', got a sequence", NULL },
	{ "package: {user: a, user: b}\n", "appbuild.yaml:1:20: error: duplicate key 'user'", NULL },
	/* package: external: (extmap overrides) */
	{ "package:\n  external:\n    -lib: x\n",
	  "appbuild.yaml:3:5: error: invalid external dependency name '-lib' (letters, digits, '.', "
	  "'_', '+', '-', starting with a letter or digit)",
	  NULL },
	{ "package:\n  external:\n    libfoo: {debian: LibFoo}\n",
	  "appbuild.yaml:3:22: error: invalid Debian package name 'LibFoo' for 'libfoo'", NULL },
	{ "package:\n  external:\n    libfoo: 'a b'\n",
	  "appbuild.yaml:3:13: error: invalid Debian package name 'a b' for 'libfoo'", NULL },
	{ "package:\n  external:\n    libfoo: {rpm: '%{x}'}\n",
	  "appbuild.yaml:3:19: error: invalid RPM package name '%{x}' for 'libfoo'", NULL },
	{ "package:\n  external:\n    libfoo: {fedora: x}\n",
	  "appbuild.yaml:3:14: error: unknown key 'fedora' in external dependency 'libfoo'", "" },
	{ "package:\n  external:\n    libfoo: {}\n",
	  "appbuild.yaml:3:13: error: no package given for external dependency 'libfoo' (debian, "
	  "ubuntu, rpm or rhel)",
	  NULL },
	{ "package:\n  external:\n    libfoo: [a]\n",
	  "appbuild.yaml:3:13: error: expected a package name or a mapping for external dependency "
	  "'libfoo', got a sequence",
	  NULL },
	{ "package:\n  external:\n    libfoo: x1\n    LibFoo: x2\n",
	  "appbuild.yaml:4:5: error: duplicate external dependency 'LibFoo'",
	  "first defined at line 3" },
	{ "package:\n  external: x\n",
	  "appbuild.yaml:2:13: error: expected a mapping for 'external', got a scalar", NULL },
	{ "- a\n- b\n", "appbuild.yaml:1:1: error: expected a mapping at the top level, got a sequence",
	  NULL },
	{ "just text\n",
	  "appbuild.yaml:1:1: error: expected a mapping at the top level, got a scalar", NULL },
	{ "? [a]\n: b\n", "appbuild.yaml:1:3: error: expected a string key, got a sequence", NULL },
	{ "name: a\n---\nname: b\n",
	  "appbuild.yaml:2:1: error: expected a single yaml document, found a second one", NULL },
	/* YAML syntax errors: libyaml's problem at its mark, its context as a note */
	{ "name: a\n  version: b\n",
	  "appbuild.yaml:2:10: error: mapping values are not allowed in this context", NULL },
	{ "name: [a\n", "appbuild.yaml:2:1: error: did not find expected ',' or ']'", "" },
	{ "name: \"abc\n", "appbuild.yaml:2:1: error: found unexpected end of stream", "" },
	{ "name: a\n\tversion: b\n",
	  "appbuild.yaml:2:1: error: found a tab character that violates indentation",
	  "while scanning a plain scalar at line 1, column 7" },
	{ "name: *x\n", "appbuild.yaml:1:7: error: found undefined alias", "" },
	{ "name: \"\\xff\"\xff\n", "appbuild.yaml:1:13: error: invalid leading UTF-8 octet", NULL },
};

static void errors(void **state)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct appconfig conf;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf msg = AB_BUF_INIT;
		int r = appconfig_parse(ab_str_from(c->yaml), "appbuild.yaml", &conf, &err);
		ab_err_format(&err, &msg);
		if (r != -AB_E_PARSE || (c->message && strcmp(msg.buf, c->message) != 0) ||
		    (c->notes && *c->notes && strcmp(err.notes.buf, c->notes) != 0) ||
		    (!c->notes && err.notes.len) || !err.line || !err.col) {
			print_error("case %zu: %s\n  got %d: %s\n  notes: %s\n", i, c->yaml, r,
				    msg.buf, err.notes.buf);
			fail();
		}
		assert_null(conf.name);
		assert_int_equal(conf.nprocesses, 0);
		ab_buf_release(&msg);
		ab_err_release(&err);
	}
}

static void external(void **state)
{
	const char *yaml = "package:\n"
			   "  summary: x\n"
			   "  external:\n"
			   "    libfoo: {debian: libfoo2, rpm: foo-libs}\n"
			   "    bar: bar-bin\n"
			   "    libbaz: {rhel: baz, ubuntu: libbaz0}\n";
	struct appconfig c;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(appconfig_parse(ab_str_from(yaml), "appbuild.yaml", &c, &err), 0);
	assert_int_equal(c.package.nexternal, 3);
	const struct appconfig_external *e = c.package.external;
	assert_string_equal(e[0].name, "libfoo");
	assert_int_equal(e[0].line, 4);
	assert_int_equal(e[0].col, 5);
	assert_string_equal(e[0].pkg[0], "libfoo2");
	assert_null(e[0].pkg[1]);
	assert_string_equal(e[0].pkg[2], "foo-libs");
	assert_null(e[0].pkg[3]);
	for (int k = 0; k < 4; k++)
		assert_string_equal(e[1].pkg[k], "bar-bin");
	assert_null(e[2].pkg[0]);
	assert_string_equal(e[2].pkg[1], "libbaz0");
	assert_string_equal(e[2].pkg[3], "baz");
	appconfig_release(&c);
	ab_err_release(&err);
}

static void alias_cycle(void **state)
{
	/* an alias to its own ancestor: the walk must not follow it forever */
	const char *yaml = "processes: &p\n  web: *p\n";
	struct appconfig c;
	struct ab_err err = AB_ERR_INIT;
	int r = appconfig_parse(ab_str_from(yaml), "a.yaml", &c, &err);
	assert_int_equal(r, -AB_E_PARSE);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full),
		cmocka_unit_test(empty),
		cmocka_unit_test(python_bare_version),
		cmocka_unit_test(version_verbatim),
		cmocka_unit_test(errors),
		cmocka_unit_test(alias_cycle),
		cmocka_unit_test(external),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
