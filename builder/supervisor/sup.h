/* sup.h - the built-in process supervisor's runtime (issue #8).
 *
 * One thread, one epoll loop: a signalfd for CHLD/TERM/INT/QUIT/HUP (and the
 * signals it ignores), the control socket, output pipes, readiness probes.
 * Timers are deadlines on instances; the loop sleeps until the nearest one,
 * and forever when there is none, so an idle supervisor never wakes up.
 *
 * Instance life cycle (states as `status` prints them):
 *
 *   backoff --spawn--> starting --start_delay + ready--> running
 *      ^                  |  exit                           | exit
 *      +-- failed start --+----------------------------------+--> (restart now
 *          (exit within start_window: delay doubles from          when it ran past
 *          backoff.initial up to backoff.max)                     start_window)
 *   more than flapping.restarts restarts within flapping.window: fatal
 *   stop: stop_signal (+CONT) to the process group, SIGKILL to the group after
 *   stop_timeout; `stopping` lasts until the whole group is gone.
 *   restart policy never / on-failure (exit 0): exited. */
#ifndef AB_SUP_H
#define AB_SUP_H

#include <stdbool.h>

#include "formats/core/err.h"

struct sup_opts {
	const char *config;     /* supervisor.yaml */
	const char *run_dir;    /* overrides the config's run_dir; NULL: keep */
	int output;             /* enum supconf_output overriding the config; -1: keep */
	const char *stats_http; /* "127.0.0.1:PORT" or NULL */
	bool no_subreaper;      /* do not become a child subreaper */
	bool quiet;             /* no event lines (spawned, exited, ...) on log_fd */
	int out_fd, log_fd;     /* forwarded stdout lines / stderr lines and events */
};

/* Block every signal the supervisor handles (call first thing in main(), so
 * that a signal that arrives during start-up is queued, not fatal). */
void sup_block_signals(void);

/* Load the config, start every process, and supervise until told to stop
 * (SIGTERM, SIGINT, SIGQUIT, `stop`) or a process with fatal_exits_supervisor
 * becomes fatal. Returns the exit status: 0 after a requested stop, 1 after a
 * fatal process stopped it. Returns a negative -AB_E_* (err set) when it
 * cannot start: config error, run directory, control socket in use. Every
 * child is gone when it returns. */
int sup_run(const struct sup_opts *o, struct ab_err *err);

/* The client side: send one command line to the socket at `sock_path`, copy
 * the reply's lines (but the last) to out_fd. Returns 0 on "ok", 1 on
 * "error: ..." (written to err_fd), or -AB_E_IO (err set) when the socket
 * cannot be reached. */
int sup_ctl(const char *sock_path, const char *line, int out_fd, int err_fd,
	    struct ab_err *err);

/* run_dir/supervisor.sock, malloc'd. */
char *sup_socket_path(const char *run_dir);

#endif
