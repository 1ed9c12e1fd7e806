/* supctl_test.c - the supervisor's control protocol parser (issue #8):
 * every command, canonical formatting, and each error with its column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>

#include "builder/supervisor/supctl.h"

static const struct {
	const char *line;
	const char *canonical; /* supctl_format() of the result */
} good[] = {
	{ "status", "status" },
	{ "status --json", "status --json" },
	{ "  status\t--json   web.2 \r", "status --json web.2" },
	{ "status web", "status web" },
	{ "stop", "stop" },
	{ "stop worker-1", "stop worker-1" },
	{ "start web.0", "start web.0" },
	{ "restart", "restart" },
	{ "restart web", "restart web" },
	{ "scale web=0", "scale web=0" },
	{ "scale web=10000", "scale web=10000" },
	{ "signal web HUP", "signal web 1" },
	{ "signal web.3 SIGUSR1", "signal web.3 10" },
	{ "signal web 15", "signal web 15" },
	{ "reload", "reload" },
};

static void parses(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct supctl_cmd c;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf b = AB_BUF_INIT;
		int r = supctl_parse(ab_str_from(good[i].line), &c, &err);
		if (r < 0)
			fail_msg("'%s': %s", good[i].line, err.msg.buf);
		supctl_format(&c, &b);
		assert_string_equal(b.buf, good[i].canonical);
		ab_buf_release(&b);
		ab_err_release(&err);
	}
}

static void fields(void **state)
{
	(void)state;
	struct supctl_cmd c;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(supctl_parse(ab_str_from("signal web.3 TERM"), &c, &err), 0);
	assert_int_equal(c.op, SUPCTL_SIGNAL);
	assert_true(ab_str_eq_cstr(c.name, "web"));
	assert_int_equal(c.instance, 3);
	assert_int_equal(c.sig, SIGTERM);
	assert_int_equal(supctl_parse(ab_str_from("scale w=7"), &c, &err), 0);
	assert_int_equal(c.op, SUPCTL_SCALE);
	assert_int_equal(c.count, 7);
	assert_int_equal(c.instance, -1);
	assert_string_equal(supctl_op_name(SUPCTL_RELOAD), "reload");
}

static const struct {
	const char *line;
	unsigned col;
	const char *msg;
} bad[] = {
	{ "", 1, "empty command" },
	{ "   ", 4, "empty command" },
	{ "stats", 1, "unknown command 'stats'" },
	{ "status\x01", 7, "unexpected byte in command" },
	{ "status \xc3\xa9", 8, "unexpected byte in command" },
	{ "status web extra", 12, "unexpected argument" },
	{ "start", 6, "'start' needs a process name" },
	{ "start web.", 11, "expected an instance number after '.'" },
	{ "start web.x", 11, "expected an instance number after '.'" },
	{ "start web.10000", 11, "expected an instance number after '.'" },
	{ "start we$b", 9, "unexpected character in process name" },
	{ "scale", 6, "expected NAME=N after 'scale'" },
	{ "scale web", 7, "expected NAME=N after 'scale'" },
	{ "scale web.1=2", 10, "unexpected character in process name" },
	{ "scale web=", 11, "expected a count from 0 to 10000" },
	{ "scale web=10001", 11, "expected a count from 0 to 10000" },
	{ "scale web=-1", 11, "expected a count from 0 to 10000" },
	{ "scale =1", 7, "expected a process name" },
	{ "signal", 7, "'signal' needs a process name" },
	{ "signal web", 11, "'signal' needs a signal" },
	{ "signal web SIGNOPE", 12, "unknown signal" },
	{ "signal web 65", 12, "unknown signal" },
	{ "reload now", 8, "'reload' takes no argument" },
};

static void errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct supctl_cmd c;
		struct ab_err err = AB_ERR_INIT;
		int r = supctl_parse(ab_str_from(bad[i].line), &c, &err);
		if (r != -AB_E_PARSE)
			fail_msg("'%s' parsed", bad[i].line);
		if (strcmp(err.msg.buf, bad[i].msg) != 0 || err.col != bad[i].col)
			fail_msg("'%s': got %u '%s', want %u '%s'", bad[i].line, err.col, err.msg.buf,
				 bad[i].col, bad[i].msg);
		assert_null(err.file);
		ab_err_release(&err);
	}
}

static void too_long(void **state)
{
	(void)state;
	char line[SUPCTL_MAX_LINE + 2];
	memset(line, 'a', sizeof(line));
	struct supctl_cmd c;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(supctl_parse(ab_str_make(line, sizeof(line)), &c, &err), -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "line longer than 4096 bytes");
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses),
		cmocka_unit_test(fields),
		cmocka_unit_test(errors),
		cmocka_unit_test(too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
