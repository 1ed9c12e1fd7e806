/* svcrender_test.c - process definitions rendered for supervisord, circus and
 * systemd (issue #8): exact output for a small config with awkward quoting,
 * every refusal with its message, and the atomic write into a directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <string.h>

#include "builder/svcrender.h"
#include "formats/core/mem.h"
#include "tests/unit/testutil.h"

#define MS INT64_C(1000000)
#define S (1000 * MS)

static char *web_argv[] = { "venv/bin/gunicorn", "-b", "a b", "it's", "say \"hi\"", "$HOME", "50%",
			    "back\\slash", "x ;y", "", NULL };
static char *worker_argv[] = { "sleep", "1000", NULL };
static struct supconf_env web_env[] = {
	{ "GREETING", "hello world" }, { "PCT", "100%" }, { "BS", "c:\\dir" }, { "DOLLAR", "a$b" },
};
static struct supconf_env unset_env[] = { { "DEBUG", NULL } };

static void proc_defaults(struct supconf_proc *p, char *name, char **argv, size_t argc)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->argv = argv;
	p->argc = argc;
	p->instances = 1;
	p->stop_signal = SIGTERM;
	p->stop_timeout_ns = 10 * S;
	p->restart = SUPCONF_RESTART_ALWAYS;
	p->start_window_ns = S;
	p->backoff_initial_ns = 100 * MS;
	p->backoff_max_ns = 30 * S;
	p->flap_restarts = 10;
	p->flap_window_ns = 60 * S;
}

/* web: two instances, awkward argv and environment, relative directory,
 * QUIT after 1.5 s, on-failure, 250 ms start delay; worker: the defaults. */
static void fixture(struct supconf_proc procs[2])
{
	proc_defaults(&procs[0], "web", web_argv, AB_ARRAY_SIZE(web_argv) - 1);
	procs[0].instances = 2;
	procs[0].env = web_env;
	procs[0].nenv = AB_ARRAY_SIZE(web_env);
	procs[0].directory = "app";
	procs[0].stop_signal = SIGQUIT;
	procs[0].stop_timeout_ns = 1500 * MS;
	procs[0].restart = SUPCONF_RESTART_ON_FAILURE;
	procs[0].start_delay_ns = 250 * MS;
	proc_defaults(&procs[1], "worker", worker_argv, 2);
	procs[1].restart = SUPCONF_RESTART_NEVER;
}

/* The expected files, reviewed by hand against each reader's rules (see
 * svcrender.c) and checked by the real tools in tests/cli/081*-render-*.sh. */
static const char want_supervisord_conf[] =
	"; supervisord.conf - rendered by appbuild from the app's process definitions\n"
	"; (SPEC.md, \"Rendering for other supervisors\"); do not edit. The launcher\n"
	"; creates /opt/demo/run and /opt/demo/run/logs.\n"
	"[unix_http_server]\n"
	"file=/opt/demo/run/supervisord.sock\n"
	"chmod=0700\n"
	"\n"
	"[supervisord]\n"
	"logfile=/opt/demo/run/supervisord.log\n"
	"pidfile=/opt/demo/run/supervisord.pid\n"
	"childlogdir=/opt/demo/run/logs\n"
	"\n"
	"[rpcinterface:supervisor]\n"
	"supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
	"\n"
	"[supervisorctl]\n"
	"serverurl=unix:///opt/demo/run/supervisord.sock\n"
	"\n"
	"[program:web]\n"
	"command=/opt/demo/app/venv/bin/gunicorn -b 'a b' 'it'\"'\"'s' 'say \"hi\"' '$HOME' 50%% 'back\\slash' 'x '';y' ''\n"
	"process_name=%(program_name)s_%(process_num)d\n"
	"numprocs=2\n"
	"numprocs_start=0\n"
	"priority=1\n"
	"autostart=true\n"
	"autorestart=unexpected\n"
	"exitcodes=0\n"
	"startsecs=1\n"
	"startretries=10\n"
	"stopsignal=QUIT\n"
	"stopwaitsecs=2\n"
	"stopasgroup=true\n"
	"killasgroup=true\n"
	"directory=/opt/demo/app\n"
	"environment=SUPERVISOR_PROCESS=\"web\",SUPERVISOR_INSTANCE=\"%(process_num)d\",GREETING=\"hello world\",PCT=\"100%%\",BS=\"c:\\dir\",DOLLAR=\"a$b\"\n"
	"redirect_stderr=true\n"
	"stdout_logfile=/opt/demo/run/logs/%(program_name)s.%(process_num)d.log\n"
	"\n"
	"[program:worker]\n"
	"command=sleep 1000\n"
	"process_name=%(program_name)s_%(process_num)d\n"
	"numprocs=1\n"
	"numprocs_start=0\n"
	"priority=2\n"
	"autostart=true\n"
	"autorestart=false\n"
	"exitcodes=0\n"
	"startsecs=1\n"
	"startretries=10\n"
	"stopsignal=TERM\n"
	"stopwaitsecs=10\n"
	"stopasgroup=true\n"
	"killasgroup=true\n"
	"directory=/opt/demo\n"
	"environment=SUPERVISOR_PROCESS=\"worker\",SUPERVISOR_INSTANCE=\"%(process_num)d\"\n"
	"redirect_stderr=true\n"
	"stdout_logfile=/opt/demo/run/logs/%(program_name)s.%(process_num)d.log\n";

static const char want_circus_ini[] =
	"# circus.ini - rendered by appbuild from the app's process definitions\n"
	"# (SPEC.md, \"Rendering for other supervisors\"); do not edit. The launcher\n"
	"# creates /opt/demo/run.\n"
	"[circus]\n"
	"endpoint = ipc:///opt/demo/run/circus.sock\n"
	"pubsub_endpoint = ipc:///opt/demo/run/circus-pubsub.sock\n"
	"pidfile = /opt/demo/run/circusd.pid\n"
	"logoutput = /opt/demo/run/circusd.log\n"
	"\n"
	"[watcher:web]\n"
	"cmd = /opt/demo/app/venv/bin/gunicorn\n"
	"args = -b 'a b' 'it'\"'\"'s' 'say \"hi\"' '$HOME' 50%% 'back\\slash' 'x '';y' ''\n"
	"numprocesses = 2\n"
	"priority = 2\n"
	"working_dir = /opt/demo/app\n"
	"copy_env = true\n"
	"stop_signal = QUIT\n"
	"stop_children = true\n"
	"graceful_timeout = 1.5\n"
	"respawn = true\n"
	"max_retry = 10\n"
	"warmup_delay = 0.25\n"
	"\n"
	"[env:web]\n"
	"SUPERVISOR_PROCESS = web\n"
	"GREETING = hello world\n"
	"PCT = 100%%\n"
	"BS = c:\\dir\n"
	"DOLLAR = a$b\n"
	"\n"
	"[watcher:worker]\n"
	"cmd = sleep\n"
	"args = 1000\n"
	"numprocesses = 1\n"
	"priority = 1\n"
	"working_dir = /opt/demo\n"
	"copy_env = true\n"
	"stop_signal = TERM\n"
	"stop_children = true\n"
	"graceful_timeout = 10\n"
	"respawn = false\n"
	"max_retry = 10\n"
	"\n"
	"[env:worker]\n"
	"SUPERVISOR_PROCESS = worker\n";

static const char want_demo_web__service[] =
	"# demo-web@.service - rendered by appbuild from the app's process definitions\n"
	"# (SPEC.md, \"Rendering for other supervisors\"); do not edit.\n"
	"[Unit]\n"
	"Description=demo: web.%i\n"
	"PartOf=demo.target\n"
	"StartLimitIntervalSec=60\n"
	"StartLimitBurst=10\n"
	"\n"
	"[Service]\n"
	"Type=simple\n"
	"ExecStart=/opt/demo/app/venv/bin/gunicorn -b \"a b\" \"it's\" \"say \\\"hi\\\"\" $$HOME 50%% \"back\\\\slash\" \"x ;y\" \"\"\n"
	"ExecStartPost=/bin/sleep 0.25\n"
	"WorkingDirectory=/opt/demo/app\n"
	"Environment=\"SUPERVISOR_PROCESS=web\"\n"
	"Environment=\"SUPERVISOR_INSTANCE=%i\"\n"
	"Environment=\"GREETING=hello world\"\n"
	"Environment=\"PCT=100%%\"\n"
	"Environment=\"BS=c:\\\\dir\"\n"
	"Environment=\"DOLLAR=a$b\"\n"
	"Restart=on-failure\n"
	"RestartSec=0.1\n"
	"KillMode=control-group\n"
	"KillSignal=SIGQUIT\n"
	"TimeoutStopSec=1.5\n"
	"StandardInput=null\n"
	"# Hardening that leaves a web app working: it may write its bundle\n"
	"# (ProtectSystem=full keeps /usr, /boot and /etc read-only, not /opt or\n"
	"# /srv) and read home directories. No MemoryDenyWriteExecute=: cffi and\n"
	"# some JITs need writable executable memory.\n"
	"NoNewPrivileges=yes\n"
	"PrivateTmp=yes\n"
	"ProtectSystem=full\n"
	"ProtectHome=read-only\n"
	"ProtectKernelTunables=yes\n"
	"ProtectKernelModules=yes\n"
	"ProtectControlGroups=yes\n"
	"RestrictSUIDSGID=yes\n"
	"RestrictRealtime=yes\n"
	"LockPersonality=yes\n"
	"\n"
	"[Install]\n"
	"WantedBy=demo.target\n";

static const char want_demo_worker_service[] =
	"# demo-worker.service - rendered by appbuild from the app's process definitions\n"
	"# (SPEC.md, \"Rendering for other supervisors\"); do not edit.\n"
	"[Unit]\n"
	"Description=demo: worker\n"
	"PartOf=demo.target\n"
	"After=demo-web@0.service demo-web@1.service\n"
	"StartLimitIntervalSec=60\n"
	"StartLimitBurst=10\n"
	"\n"
	"[Service]\n"
	"Type=simple\n"
	"ExecStart=sleep 1000\n"
	"WorkingDirectory=/opt/demo\n"
	"Environment=\"SUPERVISOR_PROCESS=worker\"\n"
	"Environment=\"SUPERVISOR_INSTANCE=0\"\n"
	"UnsetEnvironment=DEBUG\n"
	"Restart=no\n"
	"RestartSec=0.1\n"
	"KillMode=control-group\n"
	"KillSignal=SIGTERM\n"
	"TimeoutStopSec=10\n"
	"StandardInput=null\n"
	"# Hardening that leaves a web app working: it may write its bundle\n"
	"# (ProtectSystem=full keeps /usr, /boot and /etc read-only, not /opt or\n"
	"# /srv) and read home directories. No MemoryDenyWriteExecute=: cffi and\n"
	"# some JITs need writable executable memory.\n"
	"NoNewPrivileges=yes\n"
	"PrivateTmp=yes\n"
	"ProtectSystem=full\n"
	"ProtectHome=read-only\n"
	"ProtectKernelTunables=yes\n"
	"ProtectKernelModules=yes\n"
	"ProtectControlGroups=yes\n"
	"RestrictSUIDSGID=yes\n"
	"RestrictRealtime=yes\n"
	"LockPersonality=yes\n"
	"\n"
	"[Install]\n"
	"WantedBy=demo.target\n";

static const char want_demo_target[] =
	"# demo.target - rendered by appbuild from the app's process definitions\n"
	"# (SPEC.md, \"Rendering for other supervisors\"); do not edit.\n"
	"[Unit]\n"
	"Description=demo\n"
	"Wants=demo-web@0.service demo-web@1.service\n"
	"Wants=demo-worker.service\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

struct want_file {
	const char *name, *text;
};

static const struct {
	enum svcrender_kind kind;
	bool unset_debug; /* worker unsets DEBUG (only systemd can) */
	struct want_file files[4];
} exact_cases[] = {
	{ SVCRENDER_SUPERVISORD, false, { { "supervisord.conf", want_supervisord_conf } } },
	{ SVCRENDER_CIRCUS, false, { { "circus.ini", want_circus_ini } } },
	{ SVCRENDER_SYSTEMD,
	  true,
	  { { "demo-web@.service", want_demo_web__service },
	    { "demo-worker.service", want_demo_worker_service },
	    { "demo.target", want_demo_target } } },
};

static void render_exact(void **state)
{
	(void)state;
	for (size_t c = 0; c < AB_ARRAY_SIZE(exact_cases); c++) {
		struct supconf_proc procs[2];
		fixture(procs);
		if (exact_cases[c].unset_debug) {
			procs[1].env = unset_env;
			procs[1].nenv = 1;
		}
		struct svcrender_opts o = { .kind = exact_cases[c].kind, .app = "demo",
					    .root = "/opt/demo" };
		struct svcrender_files f = SVCRENDER_FILES_INIT;
		struct ab_err err = AB_ERR_INIT;
		int r = svcrender_render(&o, procs, 2, &f, &err);
		if (r < 0)
			fail_msg("%s: %s", svcrender_kind_name(o.kind), err.msg.buf);
		size_t n = 0;
		while (n < 4 && exact_cases[c].files[n].name)
			n++;
		assert_int_equal(f.n, n);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(f.v[i].name, exact_cases[c].files[i].name);
			assert_string_equal(f.v[i].text.buf, exact_cases[c].files[i].text);
		}
		svcrender_files_release(&f);
		ab_err_release(&err);
	}
}

/* Options that change single lines: a run directory, a user, zero
 * instances, a signal without a name. */
static void render_options(void **state)
{
	(void)state;
	struct supconf_proc procs[2];
	fixture(procs);
	procs[0].instances = 0;
	procs[1].stop_signal = SIGRTMIN + 3;
	struct svcrender_opts o = { .kind = SVCRENDER_SUPERVISORD, .app = "demo",
				    .root = "@APPBUILD_ROOT@", .run_dir = "var/run", .user = "www-data" };
	struct svcrender_files f = SVCRENDER_FILES_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(svcrender_render(&o, procs, 2, &f, &err), 0);
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_adds(&b, f.v[0].text.buf);
	tu_expect_contains(&b, "\nfile=@APPBUILD_ROOT@/var/run/supervisord.sock\n");
	tu_expect_contains(&b, "\nnumprocs=1\nnumprocs_start=0\npriority=1\nautostart=false\n");
	tu_expect_contains(&b, "\nuser=www-data\n");
	char sig[32];
	snprintf(sig, sizeof(sig), "\nstopsignal=%d\n", SIGRTMIN + 3);
	tu_expect_contains(&b, sig);
	tu_expect_contains(&b, "\ndirectory=@APPBUILD_ROOT@/app\n");

	o.kind = SVCRENDER_SYSTEMD;
	if (svcrender_render(&o, procs, 2, &f, &err) < 0)
		fail_msg("%s", err.msg.buf);
	assert_int_equal(f.n, 4); /* appended after supervisord.conf */
	assert_string_equal(f.v[1].name, "demo-web@.service");
	ab_buf_reset(&b);
	ab_buf_adds(&b, f.v[2].text.buf);
	tu_expect_contains(&b, "\nUser=www-data\n");
	assert_null(strstr(b.buf, "Group="));
	/* web has no instance to be ordered after */
	assert_null(strstr(b.buf, "After="));
	/* and the target does not want it */
	assert_string_equal(f.v[3].text.buf,
			    "# demo.target - rendered by appbuild from the app's process definitions\n"
			    "# (SPEC.md, \"Rendering for other supervisors\"); do not edit.\n"
			    "[Unit]\nDescription=demo\nWants=demo-worker.service\n\n"
			    "[Install]\nWantedBy=multi-user.target\n");
	svcrender_files_release(&f);

	/* a group: systemd Group=, circus gid */
	o.group = "www";
	if (svcrender_render(&o, procs, 2, &f, &err) < 0)
		fail_msg("%s", err.msg.buf);
	ab_buf_reset(&b);
	ab_buf_adds(&b, f.v[1].text.buf);
	tu_expect_contains(&b, "\nUser=www-data\nGroup=www\n");
	svcrender_files_release(&f);
	o.kind = SVCRENDER_CIRCUS;
	if (svcrender_render(&o, procs, 2, &f, &err) < 0)
		fail_msg("%s", err.msg.buf);
	ab_buf_reset(&b);
	ab_buf_adds(&b, f.v[0].text.buf);
	tu_expect_contains(&b, "\nuid = www-data\ngid = www\n");
	ab_buf_release(&b);
	svcrender_files_release(&f);
	ab_err_release(&err);
}

static char *argv_newline[] = { "/bin/x", "ok", "a\nb", NULL };
static char *argv_prefix[] = { "-x", NULL };
static char *argv_circus_var[] = { "/bin/x", "--id=$(CIRCUS.wid)", NULL };
static char *argv_tab[] = { "/bin/x", "a\tb", NULL };
static char *argv_utf8[] = { "/bin/x", "\xff", NULL };

static const struct {
	enum svcrender_kind kind;
	const char *app, *root, *user, *group; /* NULL: "demo", "/opt/demo", none, none */
	char **argv;                   /* replaces web's command */
	struct supconf_env env;        /* added to web's environment when name is set */
	const char *directory;         /* replaces web's directory */
	int code;
	const char *msg;
} error_cases[] = {
	{ SVCRENDER_SYSTEMD, .argv = argv_newline, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for systemd: argument 2 of the command holds a "
		 "newline" },
	{ SVCRENDER_SUPERVISORD, .argv = argv_newline, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for supervisord: argument 2 of the command holds a "
		 "newline" },
	{ SVCRENDER_CIRCUS, .argv = argv_tab, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for circus: argument 1 of the command holds a "
		 "control character" },
	{ SVCRENDER_SYSTEMD, .argv = argv_utf8, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for systemd: argument 1 of the command is not valid "
		 "UTF-8" },
	{ SVCRENDER_SYSTEMD, .argv = argv_prefix, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for systemd: command starts with a systemd prefix "
		 "character" },
	{ SVCRENDER_CIRCUS, .argv = argv_circus_var, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for circus: argument 1 of the command holds a circus "
		 "variable '$(circus.' or '((circus.'" },
	{ SVCRENDER_SUPERVISORD, .env = { "DEBUG", NULL }, .code = AB_E_UNSUPPORTED,
	  .msg = "cannot render process 'web' for supervisord: it cannot unset environment "
		 "variable 'DEBUG'" },
	{ SVCRENDER_CIRCUS, .env = { "DEBUG", NULL }, .code = AB_E_UNSUPPORTED,
	  .msg = "cannot render process 'web' for circus: it cannot unset environment variable "
		 "'DEBUG'" },
	{ SVCRENDER_SYSTEMD, .env = { "1X", "y" }, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for systemd: environment variable '1X' is not a "
		 "valid name" },
	{ SVCRENDER_SYSTEMD, .env = { "X", "a\r\n" }, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for systemd: environment variable 'X' holds a "
		 "control character" },
	{ SVCRENDER_SUPERVISORD, .env = { "Q", "it's \"x\" " }, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for supervisord: environment variable 'Q' holds both "
		 "kinds of quotes" },
	{ SVCRENDER_SUPERVISORD, .env = { "Q", "\"x" }, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for supervisord: environment variable 'Q' begins or "
		 "ends with a quote" },
	{ SVCRENDER_SUPERVISORD, .env = { "Q", "a #b" }, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for supervisord: environment variable 'Q' holds ';' "
		 "or '#' after a blank (a comment)" },
	{ SVCRENDER_CIRCUS, .env = { "P", "$HOME/bin" }, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for circus: environment variable 'P' holds '$' before "
		 "a capital letter (circus expands it)" },
	{ SVCRENDER_CIRCUS, .env = { "P", " x" }, .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for circus: environment variable 'P' begins or ends "
		 "with a blank" },
	{ SVCRENDER_SUPERVISORD, .directory = "/srv/a ;b", .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for supervisord: directory holds ';' or '#' after a "
		 "blank (a comment)" },
	{ SVCRENDER_SYSTEMD, .directory = "/srv/a\\", .code = AB_E_INVALID,
	  .msg = "cannot render process 'web' for systemd: directory ends with a blank or a "
		 "backslash" },
	{ SVCRENDER_SYSTEMD, .root = "/opt/my app", .code = AB_E_INVALID,
	  .msg = "cannot render for systemd: bundle root is neither an absolute path of "
		 "[A-Za-z0-9_@/.+-] nor a placeholder @NAME@" },
	{ SVCRENDER_SYSTEMD, .root = "@ROOT", .code = AB_E_INVALID,
	  .msg = "cannot render for systemd: bundle root is neither an absolute path of "
		 "[A-Za-z0-9_@/.+-] nor a placeholder @NAME@" },
	{ SVCRENDER_CIRCUS, .app = "", .code = AB_E_INVALID,
	  .msg = "cannot render for circus: app name is not [A-Za-z0-9._-]{1,64}" },
	{ SVCRENDER_SYSTEMD, .user = "Bad User", .code = AB_E_INVALID,
	  .msg = "cannot render for systemd: user is not a valid user name" },
	{ SVCRENDER_SYSTEMD, .group = "-g", .code = AB_E_INVALID,
	  .msg = "cannot render for systemd: group is not a valid group name" },
	{ SVCRENDER_SUPERVISORD, .user = "web", .group = "web", .code = AB_E_UNSUPPORTED,
	  .msg = "cannot render for supervisord: it cannot set a group" },
};

static void render_errors(void **state)
{
	(void)state;
	for (size_t c = 0; c < AB_ARRAY_SIZE(error_cases); c++) {
		struct supconf_proc procs[2];
		fixture(procs);
		struct supconf_env env[AB_ARRAY_SIZE(web_env) + 1];
		memcpy(env, web_env, sizeof(web_env));
		if (error_cases[c].argv) {
			procs[0].argv = error_cases[c].argv;
			procs[0].argc = 0;
			while (procs[0].argv[procs[0].argc])
				procs[0].argc++;
		}
		if (error_cases[c].env.name) {
			env[AB_ARRAY_SIZE(web_env)] = error_cases[c].env;
			procs[0].env = env;
			procs[0].nenv = AB_ARRAY_SIZE(env);
		}
		if (error_cases[c].directory)
			procs[0].directory = (char *)error_cases[c].directory;
		struct svcrender_opts o = {
			.kind = error_cases[c].kind,
			.app = error_cases[c].app ? error_cases[c].app : "demo",
			.root = error_cases[c].root ? error_cases[c].root : "/opt/demo",
			.user = error_cases[c].user,
			.group = error_cases[c].group,
		};
		/* a failure leaves what *out already held untouched */
		struct svcrender_files f = SVCRENDER_FILES_INIT;
		struct svcrender_opts ok = { .kind = SVCRENDER_CIRCUS, .app = "x", .root = "/x" };
		struct supconf_proc plain[2];
		fixture(plain);
		assert_int_equal(svcrender_render(&ok, plain, 2, &f, NULL), 0);
		struct ab_err err = AB_ERR_INIT;
		int r = svcrender_render(&o, procs, 2, &f, &err);
		if (r != -error_cases[c].code || strcmp(err.msg.buf, error_cases[c].msg) != 0)
			fail_msg("case %zu: got %d '%s'\n want %d '%s'", c, r, err.msg.buf,
				 -error_cases[c].code, error_cases[c].msg);
		assert_int_equal(f.n, 1);
		assert_string_equal(f.v[0].name, "circus.ini");
		svcrender_files_release(&f);
		ab_err_release(&err);
	}
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	for (struct dirent *e = readdir(d); e; e = readdir(d))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void write_files(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp("svcrender");
	struct supconf_proc procs[2];
	fixture(procs);
	struct svcrender_opts o = { .kind = SVCRENDER_SYSTEMD, .app = "demo", .root = "/opt/demo" };
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(svcrender_write(&o, procs, 2, dir, &err), 0);
	assert_int_equal(count_entries(dir), 3);
	struct ab_buf path = AB_BUF_INIT, text = AB_BUF_INIT;
	ab_buf_addf(&path, "%s/demo.target", dir);
	assert_int_equal(tu_read_file(path.buf, &text), 0);
	assert_string_equal(text.buf, want_demo_target);

	/* a rendering error writes nothing: the old files stay as they were */
	o.kind = SVCRENDER_CIRCUS;
	procs[1].env = unset_env;
	procs[1].nenv = 1;
	assert_int_equal(svcrender_write(&o, procs, 2, dir, &err), -AB_E_UNSUPPORTED);
	assert_int_equal(count_entries(dir), 3);

	/* a directory that does not exist */
	ab_err_clear(&err);
	procs[1].nenv = 0;
	ab_buf_reset(&path);
	ab_buf_addf(&path, "%s/missing", dir);
	assert_int_equal(svcrender_write(&o, procs, 2, path.buf, &err), -AB_E_IO);

	ab_buf_release(&path);
	ab_buf_release(&text);
	ab_err_release(&err);
	tu_rmrf(dir);
}

/* An app's own template replaces the built-in one of the same name; the
 * others stay built in. */
static void own_templates(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp("svcrender");
	tu_sh_ok("printf '[Unit]\\nDescription=@APP@ (ours) @OTHER@\\n@WANTS@\\n' >%s/systemd.target.in",
		 dir);
	struct supconf_proc procs[2];
	fixture(procs);
	struct svcrender_opts o = { .kind = SVCRENDER_SYSTEMD, .app = "demo", .root = "/opt/demo",
				    .template_dir = dir };
	struct svcrender_files f = SVCRENDER_FILES_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(svcrender_render(&o, procs, 2, &f, &err), 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.v[0].text.buf, want_demo_web__service);
	assert_string_equal(f.v[2].text.buf,
			    "[Unit]\nDescription=demo (ours) @OTHER@\n"
			    "Wants=demo-web@0.service demo-web@1.service\n"
			    "Wants=demo-worker.service\n");
	svcrender_files_release(&f);

	/* one that cannot be read */
	tu_sh_ok("rm %s/systemd.target.in && mkdir %s/systemd.target.in", dir, dir);
	assert_int_equal(svcrender_render(&o, procs, 2, &f, &err), -AB_E_IO);
	tu_expect_contains(&err.msg, "/systemd.target.in': Is a directory");
	assert_int_equal(f.n, 0);
	ab_err_release(&err);
	tu_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_exact),
		cmocka_unit_test(render_options),
		cmocka_unit_test(render_errors),
		cmocka_unit_test(write_files),
		cmocka_unit_test(own_templates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
