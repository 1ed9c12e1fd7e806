/* supconf.h - supervisor.yaml, the built-in supervisor's configuration
 * (issue #8). appbuild renders it from appbuild.yaml's `processes`; people
 * may also write it by hand.
 *
 *   run_dir: run                # control socket, log files (default: the config's directory)
 *   output: prefix              # prefix | files | inherit
 *   log_max_bytes: 10485760     # files: rotate a log past this size
 *   log_backups: 5              # files: keep NAME.N.log.1 .. .K
 *   processes:                  # started in this order, stopped in reverse
 *     web:
 *       command: [gunicorn, -b, "127.0.0.1:8000", app:app]   # argv, or a string
 *       instances: 2
 *       environment: {PYTHONUNBUFFERED: "1", DEBUG: ~}       # ~ unsets
 *       directory: app                                       # relative: to the config
 *       stop_signal: TERM
 *       stop_timeout: 10s
 *       restart: always                                      # always | on-failure | never
 *       start_delay: 0                                       # up no sooner than this
 *       ready: {tcp: 8000, timeout: 60s, interval: 100ms}   # or {command: "..."}, {notify: true}
 *       listen: "${BIND:-127.0.0.1:8000}"                    # bound by the supervisor, fd 3
 *       start_window: 1s                                     # exits sooner are failed starts
 *       backoff: {initial: 100ms, max: 30s}
 *       flapping: {restarts: 10, window: 60s}
 *       fatal_exits_supervisor: false
 *     worker: celery -A app worker                           # short form: the command
 *
 * Durations are a number of seconds (`1.5`) or a number with a unit (`500ms`,
 * `2s`, `5m`, `1h`). Every error carries file:line:col (libyaml marks,
 * 1-based); unknown keys are errors. The struct below is plain data: the
 * runtime (sup.h) keeps its own state beside it. */
#ifndef AB_SUPCONF_H
#define AB_SUPCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/core/err.h"
#include "formats/core/str.h"

enum supconf_restart {
	SUPCONF_RESTART_ALWAYS = 0,
	SUPCONF_RESTART_ON_FAILURE,
	SUPCONF_RESTART_NEVER,
};

enum supconf_output {
	SUPCONF_OUTPUT_PREFIX = 0, /* "name.N | line" on the supervisor's stdout/stderr */
	SUPCONF_OUTPUT_FILES,      /* run_dir/logs/NAME.N.log, rotated by size */
	SUPCONF_OUTPUT_INHERIT,    /* children write to the supervisor's own stdout/stderr */
};

/* A socket the supervisor binds itself and hands to every instance of the
 * process as fd 3, 4, ... with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES
 * (systemd's socket activation protocol, which gunicorn honours; circus'
 * use_sockets). The listen queue belongs to the supervisor, so connections
 * wait in it while instances restart instead of being refused. */
struct supconf_listen {
	char *spec; /* after $VAR expansion: "127.0.0.1:8000", "[::1]:80", "unix:/run/a.sock" */
	int family; /* AF_INET, AF_INET6 or AF_UNIX */
	char *host; /* numeric address (inet); NULL for unix */
	int port;   /* 1..65535 (inet) */
	char *path; /* unix: absolute, or resolved against the config's directory */
};

#define SUPCONF_MAX_LISTEN 16

/* An environment change: value NULL unsets the variable. */
struct supconf_env {
	char *name, *value;
};

struct supconf_proc {
	char *name;    /* [A-Za-z0-9_-]{1,64} (owned) */
	char **argv;   /* NULL-terminated, argc >= 1 (owned); a string command that needs a
			* shell is {"/bin/sh", "-c", STRING} */
	size_t argc;
	bool shell;    /* argv is /bin/sh -c */
	long instances; /* 0..SUPCONF_MAX_INSTANCES; default 1 */
	struct supconf_env *env;
	size_t nenv;
	char *directory;  /* absolute (resolved against the config's directory) or NULL */
	int stop_signal;  /* default SIGTERM */
	int64_t stop_timeout_ns;  /* default 10 s */
	enum supconf_restart restart;
	int64_t start_delay_ns;   /* default 0 */
	char *ready_host;         /* ready.tcp's host, "127.0.0.1" when only a port */
	int ready_port;           /* 0: no tcp check; instance N checks ready_port + N */
	char **ready_argv;        /* ready.command, NULL-terminated; NULL: none */
	int64_t ready_timeout_ns; /* default 60 s */
	int64_t ready_interval_ns; /* default 100 ms */
	bool ready_notify;        /* ready.notify: up once the leader sends READY=1 to
				   * NOTIFY_SOCKET (sd_notify; gunicorn does) */
	struct supconf_listen *listen; /* `listen`, in order: fds 3, 4, ... */
	size_t nlisten;           /* 0..SUPCONF_MAX_LISTEN */
	int64_t start_window_ns;  /* default 1 s */
	int64_t backoff_initial_ns; /* default 100 ms */
	int64_t backoff_max_ns;   /* default 30 s */
	long flap_restarts;       /* default 10 */
	int64_t flap_window_ns;   /* default 60 s */
	bool fatal_exits_supervisor;
	unsigned line, col;       /* of the name in the file */
};

struct supconf {
	char *run_dir;  /* absolute or relative to the cwd; never NULL after a parse */
	enum supconf_output output;
	long long log_max_bytes; /* default 10 MiB; 0: never rotate */
	long log_backups;        /* default 5 */
	struct supconf_proc *procs; /* in file order; names unique */
	size_t nprocs;
};

#define SUPCONF_MAX_INSTANCES 10000
#define SUPCONF_MAX_PROCS 1000

/* Parse `text` (the contents of `file`, used in messages and to resolve
 * relative paths: its directory is the base; NULL: the cwd). `listen` values
 * expand $NAME, ${NAME} and ${NAME:-default} from the process environment
 * (getenv) at parse time: an unset NAME without a default is an error. On success fills
 * *out (release with supconf_release()) and returns 0. On failure returns
 * -AB_E_PARSE (err has file:line:col) or -AB_E_INTERNAL; *out is empty. */
int supconf_parse(struct ab_str text, const char *file, struct supconf *out, struct ab_err *err);

/* Read and parse a file; -AB_E_IO when it cannot be read. */
int supconf_load(const char *path, struct supconf *out, struct ab_err *err);

void supconf_release(struct supconf *c);
/* Free one process definition's contents (a runtime that took it over from a
 * struct supconf, leaving a zeroed struct there, frees it with this). */
void supconf_proc_release(struct supconf_proc *p);
/* Put copies of the n NAME=VALUE pairs env[k][0], env[k][1] before p's own
 * environment, so the process's own settings (later) win. */
void supconf_proc_env_prepend(struct supconf_proc *p, const char *const env[][2], size_t n);

/* "TERM", "SIGTERM" or a number 1..64 -> the signal; -1 when unknown. */
int supconf_signal_parse(struct ab_str s);
/* The short name ("TERM") of a signal, or "?" */
const char *supconf_signal_name(int sig);

/* "1.5", "500ms", "2s", "5m", "1h" -> nanoseconds; -1 when malformed or
 * negative or above a day. */
int64_t supconf_duration_parse(struct ab_str s);

const char *supconf_restart_name(enum supconf_restart r);

#endif
