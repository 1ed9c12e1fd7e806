/* pyscan_test.c - module-level bindings found (or not) without running Python. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/pyscan.h"

struct found_case {
	const char *src;
	int found;             /* 1 / 0 */
	enum pyscan_kind kind; /* when found */
	unsigned line, col;    /* when found */
};

static const struct found_case found_cases[] = {
	{ "application = make_app()\n", 1, PYSCAN_ASSIGN, 1, 1 },
	{ "application=1", 1, PYSCAN_ASSIGN, 1, 1 },
	{ "import os\n\napplication: Flask = Flask(__name__)\n", 1, PYSCAN_ASSIGN, 3, 1 },
	{ "application: Flask\n", 0, 0, 0, 0 },
	{ "def application(environ, start_response):\n    pass\n", 1, PYSCAN_DEF, 1, 5 },
	{ "async def application(scope):\n    pass\n", 1, PYSCAN_DEF, 1, 11 },
	{ "class application:\n    pass\n", 1, PYSCAN_CLASS, 1, 7 },
	{ "class application(Base): pass\n", 1, PYSCAN_CLASS, 1, 7 },
	{ "from app import application\n", 1, PYSCAN_IMPORT, 1, 17 },
	{ "from app import app as application\n", 1, PYSCAN_IMPORT, 1, 24 },
	{ "from app import (\n    x,\n    app as application,\n)\n", 1, PYSCAN_IMPORT, 3, 12 },
	{ "from .app import application as app\n", 0, 0, 0, 0 },
	{ "import application\n", 1, PYSCAN_IMPORT, 1, 8 },
	{ "import application.sub\n", 1, PYSCAN_IMPORT, 1, 8 },
	{ "import a.application\n", 0, 0, 0, 0 },
	{ "import a.b as application\n", 1, PYSCAN_IMPORT, 1, 15 },
	{ "a, application = 1, 2\n", 1, PYSCAN_ASSIGN, 1, 4 },
	{ "(a, [b, *application]) = x\n", 1, PYSCAN_ASSIGN, 1, 10 },
	{ "x = application = y\n", 1, PYSCAN_ASSIGN, 1, 5 },
	{ "x = application\n", 0, 0, 0, 0 },
	{ "x.application = 1\n", 0, 0, 0, 0 },
	{ "x[application] = 1\n", 0, 0, 0, 0 },
	{ "f(application)[0] = 1\n", 0, 0, 0, 0 },
	{ "application += 1\n", 0, 0, 0, 0 },
	{ "application == 1\n", 0, 0, 0, 0 },
	{ "f(application=1)\n", 0, 0, 0, 0 },
	{ "f = lambda x, application=1: x\n", 0, 0, 0, 0 },
	{ "if (application := make()):\n    pass\n", 1, PYSCAN_ASSIGN, 1, 5 },
	{ "for application in apps:\n    pass\n", 1, PYSCAN_FOR, 1, 5 },
	{ "with make() as application:\n    pass\n", 1, PYSCAN_WITH, 1, 16 },
	{ "try:\n    pass\nexcept E as application:\n    pass\n", 0, 0, 0, 0 },
	/* inside top-level if/try blocks */
	{ "if DEBUG:\n    application = debug_app()\nelse:\n    application = app\n", 1,
	  PYSCAN_ASSIGN, 2, 5 },
	{ "try:\n    from a import application\nexcept ImportError:\n    pass\n", 1,
	  PYSCAN_IMPORT, 2, 19 },
	{ "if x: application = 1\n", 1, PYSCAN_ASSIGN, 1, 7 },
	{ "x = 1; application = 2\n", 1, PYSCAN_ASSIGN, 1, 8 },
	/* inside def / class: not module level */
	{ "def make():\n    application = 1\n    return application\n", 0, 0, 0, 0 },
	{ "def make(): application = 1\n", 0, 0, 0, 0 },
	{ "class A:\n    application = 1\n", 0, 0, 0, 0 },
	{ "if x:\n    def f():\n        if y:\n            application = 1\n", 0, 0, 0, 0 },
	{ "def f():\n    pass\napplication = f\n", 1, PYSCAN_ASSIGN, 3, 1 },
	{ "def f():\n    x = (1,\n2)\n    application = 1\n", 0, 0, 0, 0 },
	{ "def f():\n\n# c\n    application = 1\napplication = 2\n", 1, PYSCAN_ASSIGN, 5, 1 },
	{ "def f():\n\tpass\n        application = 1\n", 0, 0, 0, 0 },
	{ "def f(a=lambda: 1) -> dict[str, int]:\n    application = 1\n", 0, 0, 0, 0 },
	/* strings and comments hide names */
	{ "# application = 1\n", 0, 0, 0, 0 },
	{ "'''\napplication = 1\n'''\n", 0, 0, 0, 0 },
	{ "x = \"\"\"a\n\"\"\"; application = 1\n", 1, PYSCAN_ASSIGN, 2, 6 },
	{ "s = 'it''s'\napplication = 1\n", 1, PYSCAN_ASSIGN, 2, 1 },
	{ "s = r'\\'' ; application = 1\n", 1, PYSCAN_ASSIGN, 1, 13 },
	{ "s = rb\"x\" b'y' Rb'z' f'{a}' F\"{b!r:>{w}}\"\napplication = 1\n", 1,
	  PYSCAN_ASSIGN, 2, 1 },
	{ "s = f\"{x[\"a\"]}\"\napplication = 1\n", 1, PYSCAN_ASSIGN, 2, 1 },
	{ "s = f'{x:\\'^10}'\napplication = 1\n", 1, PYSCAN_ASSIGN, 2, 1 },
	{ "s = f\"{{application}}\"\n", 0, 0, 0, 0 },
	{ "s = f\"\\N{EM DASH} {x}\"\napplication = 1\n", 1, PYSCAN_ASSIGN, 2, 1 },
	{ "s = f'''{\nx\n}'''\napplication = 1\n", 1, PYSCAN_ASSIGN, 4, 1 },
	{ "x = [\n  1,  # ]\n]\napplication = 1\n", 1, PYSCAN_ASSIGN, 4, 1 },
	{ "x = 1 + \\\n    2\napplication = 1\n", 1, PYSCAN_ASSIGN, 3, 1 },
	{ "\xef\xbb\xbf" "application = 1\n", 1, PYSCAN_ASSIGN, 1, 1 },
	{ "x = 1\r\napplication = 2\r\n", 1, PYSCAN_ASSIGN, 2, 1 },
	{ "applications = 1\napp = 2\n", 0, 0, 0, 0 },
	/* soft keywords */
	{ "match = 1\napplication = match\n", 1, PYSCAN_ASSIGN, 2, 1 },
	{ "match x:\n    case 1:\n        application = 1\n", 1, PYSCAN_ASSIGN, 3, 9 },
	{ "", 0, 0, 0, 0 },
};

static void finds(void **state)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(found_cases); i++) {
		const struct found_case *c = &found_cases[i];
		struct pyscan_result res;
		struct ab_err err = AB_ERR_INIT;
		int r = pyscan_find_name(ab_str_from(c->src), "application", "wsgiapp", &res, &err);
		if (r != c->found || (c->found && (res.kind != c->kind || res.line != c->line ||
						   res.col != c->col))) {
			print_error("case %zu: %s\n  got r=%d kind=%d at %u:%u (%s)\n", i, c->src, r,
				    res.kind, res.line, res.col, err.msg.buf);
			fail();
		}
		ab_err_release(&err);
	}
}

static void star_import(void **state)
{
	struct pyscan_result res;
	struct ab_err err = AB_ERR_INIT;
	int r = pyscan_find_name(ab_str_from("import os\nfrom app import *\n"), "application",
				 NULL, &res, &err);
	assert_int_equal(r, 0);
	assert_int_equal(res.star_line, 2);
	r = pyscan_find_name(ab_str_from("def f():\n    from app import *\n"), "application",
			     NULL, &res, &err);
	assert_int_equal(res.star_line, 0);
	ab_err_release(&err);
}

struct error_case {
	const char *src;
	const char *message; /* ab_err_format */
};

static const struct error_case error_cases[] = {
	{ "x = 1\ns = '''abc\n\napplication = 1\n",
	  "bin/wsgiapp:2:5: error: unterminated triple-quoted string literal" },
	{ "s = 'abc\napplication = 1\n", "bin/wsgiapp:1:5: error: unterminated string literal" },
	{ "s = f'{x\n", "bin/wsgiapp:1:5: error: unterminated string literal" },
	{ "x = (1,\n  2\napplication = 1\n", "bin/wsgiapp:1:5: error: '(' was never closed" },
	{ "x = 1)\n", "bin/wsgiapp:1:6: error: unmatched ')'" },
	{ "x = (1]\n", "bin/wsgiapp:1:7: error: closing parenthesis ']' does not match opening "
		       "parenthesis '(' on line 1" },
	{ "application = 1\nx = '''\n",
	  "bin/wsgiapp:2:5: error: unterminated triple-quoted string literal" },
};

static void errors(void **state)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(error_cases); i++) {
		struct pyscan_result res;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf msg = AB_BUF_INIT;
		int r = pyscan_find_name(ab_str_from(error_cases[i].src), "application",
					 "bin/wsgiapp", &res, &err);
		assert_int_equal(r, -AB_E_PARSE);
		assert_false(res.found);
		ab_err_format(&err, &msg);
		assert_string_equal(msg.buf, error_cases[i].message);
		ab_buf_release(&msg);
		ab_err_release(&err);
	}
}

static void null_byte(void **state)
{
	struct pyscan_result res;
	struct ab_err err = AB_ERR_INIT;
	int r = pyscan_find_name(ab_str_make("x = 1\n\0", 7), "application", "f", &res, &err);
	assert_int_equal(r, -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "source code cannot contain null bytes");
	assert_int_equal(err.line, 2);
	ab_err_release(&err);
}

static void deep_nesting(void **state)
{
	char src[1000];
	memset(src, '(', 500);
	src[500] = 0;
	struct pyscan_result res;
	struct ab_err err = AB_ERR_INIT;
	int r = pyscan_find_name(ab_str_from(src), "application", "f", &res, &err);
	assert_int_equal(r, -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "too deeply nested");
	ab_err_release(&err);

	/* nested f-strings */
	struct ab_buf b = AB_BUF_INIT;
	for (int i = 0; i < 300; i++)
		ab_buf_adds(&b, "f'{");
	r = pyscan_find_name(ab_buf_str(&b), "application", "f", &res, &err);
	assert_int_equal(r, -AB_E_PARSE);
	ab_err_release(&err);
	ab_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds),
		cmocka_unit_test(star_import),
		cmocka_unit_test(errors),
		cmocka_unit_test(null_byte),
		cmocka_unit_test(deep_nesting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
