/* wheel_test.c - WHEEL, RECORD and entry_points.txt parsing, RECORD rows
 * and hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "formats/wheel.h"

static void wheel_info(void **state)
{
	static const struct {
		const char *text;
		int rc;
		unsigned major, minor;
		bool purelib;
		const char *msg;
	} cases[] = {
		{ "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n", 0, 1, 0, true, NULL },
		{ "Wheel-Version: 1.0\nRoot-Is-Purelib: TRUE\n", 0, 1, 0, true, NULL },
		{ "wheel-version: 1.9\nRoot-Is-Purelib: false\n", 0, 1, 9, false, NULL },
		{ "Wheel-Version: 1\n", 0, 1, 0, false, NULL },
		{ "Wheel-Version: 0.1\n", 0, 0, 1, false, NULL },
		{ "Generator: x\n", -AB_E_PARSE, 0, 0, false, "missing 'Wheel-Version'" },
		{ "Wheel-Version: 1.x\n", -AB_E_PARSE, 0, 0, false, "invalid Wheel-Version '1.x'" },
		{ "Wheel-Version: \n", -AB_E_PARSE, 0, 0, false, "invalid Wheel-Version ''" },
		{ "Wheel-Version: 2.0\n", -AB_E_UNSUPPORTED, 0, 0, false,
		  "Wheel-Version '2.0' is not supported (1.x is)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wheel_info w;
		struct ab_err err = AB_ERR_INIT;
		int rc = wheel_info_parse(ab_str_from(cases[i].text), &w, &err);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(w.major, cases[i].major);
			assert_int_equal(w.minor, cases[i].minor);
			assert_int_equal(w.root_is_purelib, cases[i].purelib);
		} else {
			assert_string_equal(err.msg.buf, cases[i].msg);
		}
		ab_err_release(&err);
	}
}

static void record_ok(void **state)
{
	const char *text = "a/b.py,sha256=AAAA,12\r\n"
			   "\n"
			   "\"a,b\",sha256=BB,0\n"
			   "\"q\"\"x\"\"\",,\n"
			   "x.dist-info/RECORD,,\n"
			   "\"multi\nline\",,\n"
			   "last";
	struct wheel_record r;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(wheel_record_parse(ab_str_from(text), &r, &err), 0);
	assert_int_equal(r.n, 6);
	assert_true(ab_str_eq_cstr(r.rows[0].path, "a/b.py"));
	assert_true(ab_str_eq_cstr(r.rows[0].algo, "sha256"));
	assert_true(ab_str_eq_cstr(r.rows[0].digest, "AAAA"));
	assert_int_equal(r.rows[0].size, 12);
	assert_int_equal(r.rows[1].line, 3);
	assert_true(ab_str_eq_cstr(r.rows[1].path, "a,b"));
	assert_int_equal(r.rows[1].size, 0);
	assert_true(ab_str_eq_cstr(r.rows[2].path, "q\"x\""));
	assert_int_equal(r.rows[2].algo.len, 0);
	assert_int_equal(r.rows[2].size, -1);
	/* csv over splitlines(): a quoted line break is dropped */
	assert_true(ab_str_eq_cstr(r.rows[4].path, "multiline"));
	assert_int_equal(r.rows[5].line, 8);
	assert_true(ab_str_eq_cstr(r.rows[5].path, "last"));
	wheel_record_release(&r);
	ab_err_release(&err);
}

static void record_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line, col;
		const char *msg;
	} cases[] = {
		{ "a,sha256=x,1,extra\n", 1, 14, "more than three fields in a RECORD row" },
		{ "ok,,\n,sha256=x,1\n", 2, 1, "empty path in a RECORD row" },
		{ "a,sha256,1\n", 1, 3, "invalid hash 'sha256' (expected 'algo=digest')" },
		{ "a,=x,1\n", 1, 3, "invalid hash '=x' (expected 'algo=digest')" },
		{ "a,sha256=,1\n", 1, 3, "invalid hash 'sha256=' (expected 'algo=digest')" },
		{ "a,sha256=x,-1\n", 1, 12, "invalid size '-1'" },
		{ "a,sha256=x,99999999999999999999\n", 1, 12, "invalid size '99999999999999999999'" },
		{ "\"abc,,\n", 1, 1, "unterminated quoted field" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wheel_record r;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(wheel_record_parse(ab_str_from(cases[i].text), &r, &err),
				 -AB_E_PARSE);
		assert_string_equal(err.msg.buf, cases[i].msg);
		assert_int_equal(err.line, cases[i].line);
		assert_int_equal(err.col, cases[i].col);
		assert_int_equal(r.n, 0);
		ab_err_release(&err);
	}
}

static void record_format(void **state)
{
	struct ab_buf b = AB_BUF_INIT;
	wheel_record_row_format(&b, ab_str_from("a/b.py"), "sha256=xyz", 3);
	wheel_record_row_format(&b, ab_str_from("x.dist-info/RECORD"), NULL, -1);
	wheel_record_row_format(&b, ab_str_from("we,ird\"name"), "", 0);
	assert_string_equal(b.buf, "a/b.py,sha256=xyz,3\n"
				   "x.dist-info/RECORD,,\n"
				   "\"we,ird\"\"name\",,0\n");
	/* and back */
	struct wheel_record r;
	assert_int_equal(wheel_record_parse(ab_buf_str(&b), &r, NULL), 0);
	assert_int_equal(r.n, 3);
	assert_true(ab_str_eq_cstr(r.rows[2].path, "we,ird\"name"));
	wheel_record_release(&r);
	ab_buf_release(&b);
}

static void b64(void **state)
{
	/* hashlib.sha256(b"").digest(), as RECORD writes it */
	static const unsigned char empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
		0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
		0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	char h[52];
	wheel_record_hash(empty, h);
	assert_string_equal(h, "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
	char o[16];
	assert_int_equal(wheel_b64url((const unsigned char *)"\xfb\xff", 2, o), 3);
	assert_string_equal(o, "-_8");
	assert_int_equal(wheel_b64url((const unsigned char *)"a", 1, o), 2);
	assert_string_equal(o, "YQ");
	assert_int_equal(wheel_b64url((const unsigned char *)"", 0, o), 0);
}

static void entry_points_ok(void **state)
{
	const char *text = "# comment\n"
			   "[console_scripts]\n"
			   "gunicorn = gunicorn.app.wsgiapp:run\n"
			   "tool=pkg.mod:obj.main [extra1, extra2]\n"
			   "\n"
			   "[paste.server_runner]\n"
			   "main = anything goes here\n"
			   "[gui_scripts]\r\n"
			   "  gui-app =  pkg : main  \r\n";
	struct wheel_entry_points e;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(wheel_entry_points_parse(ab_str_from(text), &e, &err), 0);
	assert_int_equal(e.n, 3);
	assert_true(ab_str_eq_cstr(e.eps[0].name, "gunicorn"));
	assert_true(ab_str_eq_cstr(e.eps[0].module, "gunicorn.app.wsgiapp"));
	assert_true(ab_str_eq_cstr(e.eps[0].attr, "run"));
	assert_false(e.eps[0].gui);
	assert_true(ab_str_eq_cstr(e.eps[1].attr, "obj.main"));
	assert_true(ab_str_eq_cstr(e.eps[2].name, "gui-app"));
	assert_true(ab_str_eq_cstr(e.eps[2].module, "pkg"));
	assert_true(ab_str_eq_cstr(e.eps[2].attr, "main"));
	assert_true(e.eps[2].gui);
	assert_int_equal(e.eps[2].line, 9);
	wheel_entry_points_release(&e);
	ab_err_release(&err);
}

static void entry_points_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line, col;
		const char *msg;
	} cases[] = {
		{ "[console_scripts\n", 1, 1, "expected ']' after section name" },
		{ "[console_scripts]\nnoequals\n", 2, 1, "expected 'name = module:attr'" },
		{ "[console_scripts]\nx = mod\n", 2, 8, "entry point 'mod' for script 'x' has no ':attr' callable" },
		{ "[console_scripts]\nx = mod:\n", 2, 9, "entry point 'mod:' for script 'x' has no ':attr' callable" },
		{ "[console_scripts]\nx = mod:f(1)\n", 2, 10, "invalid entry point 'mod:f(1)' for script 'x'" },
		{ "[gui_scripts]\n = mod:f\n", 2, 2, "invalid script name ''" },
		{ "[console_scripts]\n../x = mod:f\n", 2, 1, "invalid script name '../x'" },
		{ "[console_scripts]\n.. = mod:f\n", 2, 1, "invalid script name '..'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wheel_entry_points e;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(wheel_entry_points_parse(ab_str_from(cases[i].text), &e, &err),
				 -AB_E_PARSE);
		assert_string_equal(err.msg.buf, cases[i].msg);
		assert_int_equal(err.line, cases[i].line);
		assert_int_equal(err.col, cases[i].col);
		assert_int_equal(e.n, 0);
		ab_err_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wheel_info),	   cmocka_unit_test(record_ok),
		cmocka_unit_test(record_errors),   cmocka_unit_test(record_format),
		cmocka_unit_test(b64),		   cmocka_unit_test(entry_points_ok),
		cmocka_unit_test(entry_points_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
