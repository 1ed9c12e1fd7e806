/* pyproject_test.c - [build-system] and [project] of pyproject.toml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "formats/pyproject.h"

static void test_build_system(void **state)
{
	struct pyproject p;
	struct ab_err err = AB_ERR_INIT;
	const char *s = "[build-system]\nrequires = [\"flit_core >=3.2,<4\", 'wheel']\n"
			"build-backend = \"flit_core.buildapi\"\nbackend-path = ['.', 'tools/../x']\n";
	assert_int_equal(pyproject_parse(ab_str_from(s), "pyproject.toml", &p, &err), 0);
	assert_true(p.has_build_system);
	assert_int_equal(p.nrequires, 2);
	assert_string_equal(p.requires[0].canonical, "flit-core");
	assert_string_equal(p.build_backend, "flit_core.buildapi");
	assert_false(p.backend_defaulted);
	assert_null(p.check);
	assert_int_equal(p.nbackend_path, 2);
	assert_false(p.has_project);
	pyproject_release(&p);

	/* no [build-system]: pip 23's defaults */
	assert_int_equal(pyproject_parse(ab_str_from("[tool.black]\nx = 1\n"), NULL, &p, &err), 0);
	assert_false(p.has_build_system);
	assert_int_equal(p.nrequires, 2);
	assert_string_equal(p.requires[0].name, "setuptools");
	assert_string_equal(p.requires[1].name, "wheel");
	assert_string_equal(p.build_backend, "setuptools.build_meta:__legacy__");
	assert_true(p.backend_defaulted);
	pyproject_release(&p);

	/* a table without build-backend: legacy backend, requires kept, check set */
	assert_int_equal(pyproject_parse(ab_str_from("[build-system]\nrequires = []\n"), NULL, &p,
					 &err), 0);
	assert_int_equal(p.nrequires, 0);
	assert_string_equal(p.check, "setuptools>=40.8.0");
	assert_string_equal(p.build_backend, "setuptools.build_meta:__legacy__");
	pyproject_release(&p);

	pyproject_default(&p);
	assert_int_equal(p.nrequires, 2);
	pyproject_release(&p);
}

static void test_project(void **state)
{
	struct pyproject p;
	struct ab_err err = AB_ERR_INIT;
	const char *s = "[project]\nname = \"My.Pkg\"\ndynamic = ['version']\n"
			"requires-python = '>=3.8'\ndependencies = ['a>=1', 'b; python_version<\"3.9\"']\n"
			"[project.optional-dependencies]\nTest = ['pytest']\ndocs = []\n";
	assert_int_equal(pyproject_parse(ab_str_from(s), NULL, &p, &err), 0);
	assert_true(p.has_project);
	assert_string_equal(p.name, "My.Pkg");
	assert_string_equal(p.name_canonical, "my-pkg");
	assert_null(p.version);
	assert_true(pyproject_is_dynamic(&p, "version"));
	assert_false(pyproject_is_dynamic(&p, "dependencies"));
	assert_string_equal(p.requires_python, ">=3.8");
	assert_int_equal(p.requires_python_spec.n, 1);
	assert_int_equal(p.ndeps, 2);
	assert_non_null(p.deps[1].marker);
	assert_int_equal(p.nextras, 2);
	assert_string_equal(p.extras[0].canonical, "test");
	assert_int_equal(p.extras[0].ndeps, 1);
	pyproject_release(&p);

	s = "[project]\nname = 'x'\nversion = '1.0.post1'\n";
	assert_int_equal(pyproject_parse(ab_str_from(s), NULL, &p, &err), 0);
	assert_string_equal(p.version, "1.0.post1");
	assert_non_null(p.version_parsed);
	pyproject_release(&p);
}

struct bad {
	const char *in, *err;
};

static const struct bad bad[] = {
	{ "[build-system]\nbuild-backend = 'x'", "1:1: 'build-system' has no 'requires' key, "
						  "which PEP 518 makes mandatory" },
	{ "build-system = 1", "1:16: 'build-system' must be a table" },
	{ "[build-system]\nrequires = 'setuptools'",
	  "2:12: 'build-system.requires' must be a list of strings" },
	{ "[build-system]\nrequires = [1]", "2:12: 'build-system.requires' must be a list of strings" },
	{ "[build-system]\nrequires = ['ok', 'setuptools >= ']",
	  "2:34: invalid requirement in 'build-system.requires': expected version after '>='" },
	{ "[build-system]\nrequires = []\nbuild-backend = 3",
	  "3:17: 'build-system.build-backend' must be a string, not an integer" },
	{ "[build-system]\nrequires = []\nbuild-backend = ':x'",
	  "3:17: invalid 'build-system.build-backend' ':x'" },
	{ "[build-system]\nrequires = []\nbackend-path = ['../up']",
	  "3:17: 'build-system.backend-path' entry '../up' is not inside the project" },
	{ "[build-system]\nrequires = []\nbackend-path = ['/abs']",
	  "3:17: 'build-system.backend-path' entry '/abs' is not inside the project" },
	{ "[project]\nversion = '1'", "1:1: 'project.name' is missing" },
	{ "[project]\nname = 'x'", "1:1: 'project.version' is missing and not listed in "
				   "'project.dynamic'" },
	{ "[project]\nname = 'x_'\nversion = '1'", "2:8: 'project.name' 'x_' is not a valid project name" },
	{ "[project]\nname = 'x'\nversion = 'one'", "3:11: 'project.version' 'one' is not a valid version" },
	{ "[project]\nname = 'x'\ndynamic = ['name']", "3:12: 'name' cannot be listed in 'project.dynamic'" },
	{ "[project]\nname = 'x'\nversion = '1'\ndynamic = ['version']",
	  "3:11: 'project.version' is given and also listed in 'project.dynamic'" },
	{ "[project]\nname = 'x'\nversion = '1'\nrequires-python = '>=3.8,<'",
	  "4:27: invalid 'project.requires-python': expected version after '<'" },
	{ "[project]\nname = 'x'\nversion = '1'\ndependencies = ['a b']",
	  "4:20: invalid requirement in 'project.dependencies': expected semicolon (after name with no version specifier) or end" },
	{ "[project]\nname = 'x'\nversion = '1'\noptional-dependencies = ['a']",
	  "4:25: 'project.optional-dependencies' must be a table" },
	{ "[project]\nname = 'x'\nversion = '1'\n[project.optional-dependencies]\n'a b' = []",
	  "5:1: invalid extra name 'a b' in 'project.optional-dependencies'" },
	{ "[project]\nname = 'x'\nversion = '1'\n[project.optional-dependencies]\nA = []\na = []",
	  "6:1: extra 'a' is listed twice in 'project.optional-dependencies' (as 'A')" },
	{ "[project]\nname = 'x'\nversion = '1'\n[project.optional-dependencies]\na = ['=']",
	  "5:7: invalid requirement in 'project.optional-dependencies.a': expected package name at the start of dependency specifier" },
	{ "[project]\nname = 'x'\nname = 'y'", "3:1: duplicate key 'name'" },
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pyproject p;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf b = AB_BUF_INIT;
		int r = pyproject_parse(ab_str_from(bad[i].in), "pyproject.toml", &p, &err);
		if (r >= 0)
			fail_msg("case %zu accepted", i);
		assert_int_equal(r, -AB_E_PARSE);
		ab_buf_addf(&b, "%u:%u: %s", err.line, err.col, err.msg.buf);
		if (strcmp(b.buf, bad[i].err))
			fail_msg("case %zu: got '%s', want '%s'", i, b.buf, bad[i].err);
		assert_string_equal(err.file, "pyproject.toml");
		assert_null(p.build_backend);
		ab_buf_release(&b);
		ab_err_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_system),
		cmocka_unit_test(test_project),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
