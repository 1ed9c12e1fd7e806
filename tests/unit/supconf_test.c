/* supconf_test.c - supervisor.yaml (issue #8): defaults, every field, the
 * short form, durations and signals, and errors with line:col. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

#include "builder/supervisor/supconf.h"

#define MS INT64_C(1000000)
#define S (1000 * MS)

static void parse_ok(const char *text, struct supconf *c)
{
	struct ab_err err = AB_ERR_INIT;
	int r = supconf_parse(ab_str_from(text), "/srv/app/supervisor.yaml", c, &err);
	if (r < 0)
		fail_msg("%u:%u: %s", err.line, err.col, err.msg.buf);
	ab_err_release(&err);
}

static void defaults(void **state)
{
	(void)state;
	struct supconf c;
	parse_ok("processes:\n  web: gunicorn -b 127.0.0.1:8000 app:app\n", &c);
	assert_string_equal(c.run_dir, "/srv/app");
	assert_int_equal(c.output, SUPCONF_OUTPUT_PREFIX);
	assert_int_equal(c.log_max_bytes, 10 << 20);
	assert_int_equal(c.log_backups, 5);
	assert_int_equal(c.nprocs, 1);
	const struct supconf_proc *p = &c.procs[0];
	assert_string_equal(p->name, "web");
	assert_int_equal(p->argc, 4);
	assert_false(p->shell);
	assert_string_equal(p->argv[0], "gunicorn");
	assert_string_equal(p->argv[3], "app:app");
	assert_null(p->argv[4]);
	assert_int_equal(p->instances, 1);
	assert_int_equal(p->stop_signal, SIGTERM);
	assert_true(p->stop_timeout_ns == 10 * S);
	assert_int_equal(p->restart, SUPCONF_RESTART_ALWAYS);
	assert_true(p->start_window_ns == S);
	assert_true(p->backoff_initial_ns == 100 * MS && p->backoff_max_ns == 30 * S);
	assert_int_equal(p->flap_restarts, 10);
	assert_true(p->flap_window_ns == 60 * S);
	assert_int_equal(p->ready_port, 0);
	assert_null(p->ready_argv);
	assert_null(p->directory);
	assert_false(p->fatal_exits_supervisor);
	supconf_release(&c);
}

static void every_field(void **state)
{
	(void)state;
	struct supconf c;
	parse_ok("run_dir: /run/app\n"
		 "output: files\n"
		 "log_max_bytes: 1000\n"
		 "log_backups: 0\n"
		 "processes:\n"
		 "  web:\n"
		 "    command: [a, 'b c']\n"
		 "    instances: 0\n"
		 "    environment: {A: '1', B: ~}\n"
		 "    directory: sub\n"
		 "    stop_signal: QUIT\n"
		 "    stop_timeout: 1.5\n"
		 "    restart: never\n"
		 "    start_delay: 250ms\n"
		 "    ready: {tcp: '[::1]:9000', timeout: 2m, interval: 1ms}\n"
		 "    start_window: 0\n"
		 "    backoff: {initial: 1s, max: 1h}\n"
		 "    flapping: {restarts: 0, window: 1s}\n"
		 "    fatal_exits_supervisor: yes\n"
		 "  sh:\n"
		 "    command: 'echo $HOME'\n"
		 "    ready: {command: test -f x}\n",
		 &c);
	assert_string_equal(c.run_dir, "/run/app");
	assert_int_equal(c.output, SUPCONF_OUTPUT_FILES);
	assert_int_equal(c.log_max_bytes, 1000);
	assert_int_equal(c.log_backups, 0);
	const struct supconf_proc *p = &c.procs[0];
	assert_int_equal(p->argc, 2);
	assert_string_equal(p->argv[1], "b c");
	assert_int_equal(p->instances, 0);
	assert_int_equal(p->nenv, 2);
	assert_string_equal(p->env[0].value, "1");
	assert_null(p->env[1].value);
	assert_string_equal(p->directory, "/srv/app/sub");
	assert_int_equal(p->stop_signal, SIGQUIT);
	assert_true(p->stop_timeout_ns == 1500 * MS);
	assert_int_equal(p->restart, SUPCONF_RESTART_NEVER);
	assert_true(p->start_delay_ns == 250 * MS);
	assert_string_equal(p->ready_host, "::1");
	assert_int_equal(p->ready_port, 9000);
	assert_true(p->ready_timeout_ns == 120 * S && p->ready_interval_ns == MS);
	assert_true(p->start_window_ns == 0);
	assert_true(p->backoff_initial_ns == S && p->backoff_max_ns == 3600 * S);
	assert_int_equal(p->flap_restarts, 0);
	assert_true(p->fatal_exits_supervisor);
	p = &c.procs[1];
	assert_true(p->shell);
	assert_string_equal(p->argv[0], "/bin/sh");
	assert_string_equal(p->argv[1], "-c");
	assert_string_equal(p->argv[2], "echo $HOME");
	assert_string_equal(p->ready_argv[0], "test");
	assert_string_equal(p->ready_argv[2], "x");
	assert_string_equal(p->ready_host == NULL ? "none" : "some", "none");
	supconf_release(&c);
}

static void listen_and_notify(void **state)
{
	(void)state;
	struct supconf c;
	setenv("AB_SUPCONF_TEST_BIND", "0.0.0.0:8080", 1);
	parse_ok("processes:\n"
		 "  web:\n"
		 "    command: gunicorn app\n"
		 "    ready: {notify: true}\n"
		 "    listen: [8000, '[::1]:81', 'unix:web.sock', '$AB_SUPCONF_TEST_BIND',\n"
		 "             '${AB_SUPCONF_TEST_UNSET:-localhost:9}']\n",
		 &c);
	const struct supconf_proc *p = &c.procs[0];
	assert_true(p->ready_notify);
	assert_int_equal(p->nlisten, 5);
	assert_string_equal(p->listen[0].spec, "8000");
	assert_string_equal(p->listen[0].host, "127.0.0.1");
	assert_int_equal(p->listen[0].port, 8000);
	assert_int_equal(p->listen[0].family, AF_INET);
	assert_string_equal(p->listen[1].host, "::1");
	assert_int_equal(p->listen[1].family, AF_INET6);
	assert_int_equal(p->listen[2].family, AF_UNIX);
	assert_string_equal(p->listen[2].path, "/srv/app/web.sock");
	assert_string_equal(p->listen[3].spec, "0.0.0.0:8080");
	assert_string_equal(p->listen[4].spec, "localhost:9");
	assert_string_equal(p->listen[4].host, "127.0.0.1");
	supconf_release(&c);
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(supconf_parse(ab_str_from("processes:\n  web: {command: a, listen: "
						   "'x${AB_SUPCONF_TEST_BIND}'}\n"),
				       "s.yaml", &c, &err),
			 -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "invalid value 'x0.0.0.0:8080' for 'listen' (expected "
					 "PORT, HOST:PORT, [IPV6]:PORT or unix:PATH)");
	ab_err_release(&err);
}

static void durations_and_signals(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int64_t ns;
	} d[] = {
		{ "0", 0 }, { "1", S }, { "1.5", 1500 * MS }, { "500ms", 500 * MS },
		{ "2s", 2 * S }, { "5m", 300 * S }, { "1h", 3600 * S }, { ".25", 250 * MS },
		{ "0.0000000019", 1 }, { "86400", 86400 * S }, { "86401", -1 }, { "25h", -1 },
		{ "", -1 }, { "s", -1 }, { "1 s", -1 }, { "-1", -1 }, { "1d", -1 }, { "1.", S },
		{ "99999999999999", -1 },
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (supconf_duration_parse(ab_str_from(d[i].s)) != d[i].ns)
			fail_msg("'%s': %lld", d[i].s,
				 (long long)supconf_duration_parse(ab_str_from(d[i].s)));
	assert_int_equal(supconf_signal_parse(ab_str_from("TERM")), SIGTERM);
	assert_int_equal(supconf_signal_parse(ab_str_from("SIGKILL")), SIGKILL);
	assert_int_equal(supconf_signal_parse(ab_str_from("64")), 64);
	assert_int_equal(supconf_signal_parse(ab_str_from("0")), -1);
	assert_int_equal(supconf_signal_parse(ab_str_from("SIG")), -1);
	assert_int_equal(supconf_signal_parse(ab_str_from("term")), -1);
	assert_string_equal(supconf_signal_name(SIGHUP), "HUP");
	assert_string_equal(supconf_restart_name(SUPCONF_RESTART_ON_FAILURE), "on-failure");
}

static const struct {
	const char *text;
	unsigned line, col;
	const char *msg;
} bad[] = {
	{ "[]", 1, 1, "expected a mapping at the top level, got a sequence" },
	{ "procs: {}", 1, 1, "unknown key 'procs' in the top level" },
	{ "output: tty", 1, 9, "invalid value 'tty' for 'output'" },
	{ "processes:\n  web:\n", 2, 7, "expected a command or a mapping for process 'web', got null" },
	{ "processes:\n  web: {instances: 2}\n", 2, 8, "missing 'command' for process 'web'" },
	{ "processes:\n  web: '  '\n", 2, 8, "empty 'command'" },
	{ "processes:\n  web: [a, [b]]\n", 2, 12, "expected a string for 'command', got a sequence" },
	{ "processes:\n  web: {command: a, instances: -1}\n", 2, 32,
	  "invalid value '-1' for 'instances' (expected an integer)" },
	{ "processes:\n  web: {command: a, environment: [A]}\n", 2, 34,
	  "expected a mapping for 'environment', got a sequence" },
	{ "processes:\n  web: {command: a, ready: {tcp: 0}}\n", 2, 34,
	  "invalid value '0' for 'tcp' (expected PORT or HOST:PORT)" },
	{ "processes:\n  web: {command: a, ready: {tcp: 1, command: b}}\n", 2, 28,
	  "'ready' takes one of 'tcp', 'command' or 'notify'" },
	{ "processes:\n  web: {command: a, ready: {notify: false}}\n", 2, 28,
	  "'ready' needs 'tcp', 'command' or 'notify: true'" },
	{ "processes:\n  web: {command: a, listen: example.com:80}\n", 2, 29,
	  "invalid value 'example.com:80' for 'listen' (expected PORT, HOST:PORT, [IPV6]:PORT or "
	  "unix:PATH)" },
	{ "processes:\n  web: {command: a, listen: 'unix:'}\n", 2, 29,
	  "invalid value 'unix:' for 'listen' (expected unix:PATH, at most 107 bytes)" },
	{ "processes:\n  web: {command: a, listen: [1, '127.0.0.1:1']}\n", 2, 33,
	  "'127.0.0.1:1' is twice in 'listen'" },
	{ "processes:\n  web: {command: a, listen: []}\n", 2, 29, "empty 'listen'" },
	{ "processes:\n  web: {command: a, listen: {a: 1}}\n", 2, 29,
	  "expected an address for 'listen', got a mapping" },
	{ "processes:\n  web: {command: a, listen: '${AB_SUPCONF_TEST_UNSET}'}\n", 2, 29,
	  "environment variable 'AB_SUPCONF_TEST_UNSET' is not set (in 'listen')" },
	{ "processes:\n  web: {command: a, listen: '${AB_SUPCONF_TEST_UNSET'}\n", 2, 29,
	  "unterminated '${' in 'listen'" },
	{ "processes:\n  web: {command: a, listen: '$:80'}\n", 2, 29,
	  "'$' without a variable name in 'listen'" },
	{ "processes:\n  web: {command: a, stop_signal: STOP}\n", 2, 34,
	  "invalid value 'STOP' for 'stop_signal' (expected a signal name such as TERM or a number)" },
	{ "processes:\n  web: {command: a, fatal_exits_supervisor: maybe}\n", 2, 45,
	  "invalid value 'maybe' for 'fatal_exits_supervisor' (expected true or false)" },
	{ "processes:\n  web: {command: a, command: b}\n", 2, 21, "duplicate key 'command'" },
	{ "processes:\n  web: a\n---\nx: 1\n", 3, 1, "expected a single yaml document, found a second one" },
};

static void errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct supconf c;
		struct ab_err err = AB_ERR_INIT;
		int r = supconf_parse(ab_str_from(bad[i].text), "s.yaml", &c, &err);
		if (r != -AB_E_PARSE)
			fail_msg("'%s' parsed", bad[i].text);
		if (strcmp(err.msg.buf, bad[i].msg) != 0 || err.line != bad[i].line ||
		    err.col != bad[i].col)
			fail_msg("'%s': got %u:%u '%s', want %u:%u '%s'", bad[i].text, err.line,
				 err.col, err.msg.buf, bad[i].line, bad[i].col, bad[i].msg);
		assert_string_equal(err.file, "s.yaml");
		assert_int_equal(c.nprocs, 0);
		ab_err_release(&err);
	}
}

static void load_missing(void **state)
{
	(void)state;
	struct supconf c;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(supconf_load("/nonexistent/supervisor.yaml", &c, &err), -AB_E_IO);
	assert_string_equal(err.msg.buf, "cannot read: No such file or directory");
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_field),
		cmocka_unit_test(listen_and_notify),
		cmocka_unit_test(durations_and_signals),
		cmocka_unit_test(errors),
		cmocka_unit_test(load_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
