/* sup_int.h - internal to the supervisor runtime (builder/supervisor/sup*.c):
 * the runtime's types and the functions its files call across.
 *
 *   sup.c       state machine, spawning/stopping, reaping, output, event loop
 *   suplisten.c `listen` sockets, LISTEN_FDS/NOTIFY_SOCKET, READY=1 (suplisten.h)
 *   supsock.c   the control socket (run_dir/supervisor.sock): server and client
 *   supstats.c  status as JSON (with /proc CPU and RSS), the --stats-http server
 *
 * Everything runs on the one event-loop thread; nothing here is thread-safe.
 * Not for use outside builder/supervisor/: the public API is sup.h. */
#ifndef AB_SUP_INT_H
#define AB_SUP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "builder/supervisor/sup.h"
#include "builder/supervisor/supconf.h"
#include "builder/supervisor/supctl.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/str.h"

#define SEC INT64_C(1000000000)
#define MSEC INT64_C(1000000)
#define OUT_LINE_MAX 4096 /* a longer line is forwarded in pieces */

enum ev_kind {
	EV_SIGNAL,
	EV_CTL_LISTEN,
	EV_HTTP_LISTEN,
	EV_CONN,
	EV_STREAM,
	EV_READY,
	EV_NOTIFY,
};

struct ev {
	enum ev_kind kind;
	void *ptr;
};

enum inst_state { ST_STOPPED, ST_BACKOFF, ST_STARTING, ST_RUNNING, ST_STOPPING, ST_EXITED, ST_FATAL };

/* Indexed by enum inst_state: the names `status` prints. */
extern const char *const sup_state_names[];

struct inst;

struct stream {
	struct ev ev;
	int fd;   /* read end of the child's pipe; -1: closed */
	int dest; /* prefix mode: where the lines go */
	struct inst *inst;
	char *buf; /* partial line, OUT_LINE_MAX bytes; NULL when empty */
	size_t len;
};

struct proc;

struct inst {
	struct proc *proc;
	long index;
	char label[80]; /* "name.N" */
	enum inst_state state;
	pid_t pid;  /* the leader; 0: none */
	pid_t pgid; /* its process group, until the whole group is gone */
	int64_t spawned, up, deadline; /* monotonic ns; deadline 0: none */
	long restarts, fails;
	int64_t flap_start;
	long flap_count;
	int status;
	bool has_status;
	bool remove;       /* scaled away: freed once stopped */
	bool respawn;      /* restart once stopped (rolling restart) */
	bool held;         /* `stop NAME.N`: stays down */
	bool killed;       /* SIGKILL sent in this stop */
	bool delay_done;   /* start_delay over, probing readiness */
	bool ready_failed; /* stopped because not ready in time: a failed start */
	bool dead;         /* in the graveyard */
	bool notified;     /* READY=1 arrived on the notify socket since the spawn */
	struct stream out, err;
	struct ev ready_ev;
	int ready_fd;
	pid_t ready_pid;
	int64_t ready_until;
	int log_fd; /* files mode; -1: not open */
	long long log_size;
	struct inst *next_dead;
};

struct proc {
	struct supconf_proc c;
	char **env_add; /* owned "NAME=value" strings: c.env entries with a value,
			 * SUPERVISOR_PROCESS, NOTIFY_SOCKET, LISTEN_FDS, LISTEN_FDNAMES */
	char **envp;    /* the environment every instance gets (but SUPERVISOR_INSTANCE and
			 * LISTEN_PID), built once: pointers into environ and env_add */
	size_t nenvp;
	char **argv;    /* what runs: c.argv, or {/bin/sh, -c, exec_cmd} */
	char *exec_cmd; /* "exec COMMAND" for a shell command that is one simple command */
	char *sh_argv[4];
	int *lfds;      /* c.listen's sockets, from suplisten_open() (close-on-exec) */
	size_t nlfds;
	struct inst **inst; /* by index; NULL: free slot */
	size_t ninst, cap;
	long want;
	bool held;    /* `stop NAME`, or shutting down: no instance starts */
	bool removed; /* gone from the config: freed once every instance stopped */
	bool roll, roll_again;
	size_t roll_next, roll_end; /* the instances that existed when it was asked for */
	long surge;     /* the extra instance a rolling restart runs (`listen`); -1: none */
	char *fatal_reason;
};

struct conn {
	struct ev ev;
	int fd;
	bool http, eof, reply_at_exit, dead;
	bool skip; /* inside an overlong control line */
	struct ab_buf in, out;
	struct conn *next;
};

struct sup {
	const struct sup_opts *o;
	char *run_dir, *sock_path, *log_dir;
	enum supconf_output output;
	long long log_max;
	long log_backups;
	struct proc **procs;
	size_t nprocs, cap;
	int ep, sfd, ctl_fd, http_fd;
	int null_fd;   /* /dev/null, read-write: children's stdin (and stdout without a pipe) */
	int notify_fd; /* run_dir/notify.sock (datagrams, SO_PASSCRED); -1: none yet */
	char *notify_path;
	struct ev sig_ev, ctl_ev, http_ev, notify_ev;
	struct conn *conns;
	size_t nconns;
	int64_t now, started;
	bool shutting, done;
	int exit_code;
	size_t stop_cursor;
	struct inst *roll_inst;
	struct inst *dead_insts;
	struct conn *dead_conns;
	unsigned long orphans;
	struct ab_buf scratch;
};

/* ---- sup.c ------------------------------------------------------------- */

/* Write all of p[0..n), retrying on EINTR; a reader that went away loses the
 * output silently. */
void sup_write_all(int fd, const char *p, size_t n);

/* An event line "supervisor | ..." on the log fd; dropped under --quiet
 * unless `always`. */
__attribute__((format(printf, 3, 4))) void sup_say(struct sup *s, bool always,
						     const char *fmt, ...);

/* "exit status N", "killed by SIGX" or "status 0x..." for a wait status,
 * appended to b. */
void sup_describe_status(struct ab_buf *b, int status);

/* epoll registration of fd with `ev` as its data; failures are ignored. */
void sup_ep_add(struct sup *s, int fd, uint32_t events, struct ev *ev);
void sup_ep_mod(struct sup *s, int fd, uint32_t events, struct ev *ev);
/* Unregister, then close *fd and set it to -1 (no-op when already -1). */
void sup_ep_close(struct sup *s, int *fd);

/* A starting instance is up (its readiness check passed): running, from
 * now on. */
void sup_become_running(struct sup *s, struct inst *in);
/* Start (again) / stop one instance, per the life cycle in sup.h. */
void sup_spawn_inst(struct sup *s, struct inst *in);
void sup_stop_inst(struct sup *s, struct inst *in);
/* Start or stop instances until p->want run. */
void sup_apply_scale(struct sup *s, struct proc *p);
/* Ask for a rolling restart of p (queued when one is already running). */
void sup_roll_request(struct proc *p);
/* Stop everything; sup_run() returns `code` once every child is gone. */
void sup_begin_shutdown(struct sup *s, int code);
/* The process called `name` that is still in the config, or NULL. */
struct proc *sup_find_proc(struct sup *s, struct ab_str name);
/* Re-read the config file. Returns 0, or a negative -AB_E_* (err set) with
 * the running configuration kept. */
int sup_reload(struct sup *s, struct ab_err *err);

/* ---- supsock.c --------------------------------------------------------- */

/* Whether instance `in` is selected by a command's NAME[.N] (all when the
 * command names none). */
bool sup_matches(const struct inst *in, const struct supctl_cmd *c);

/* Bind and listen on s->sock_path (0600), refusing when another supervisor
 * answers there; registers s->ctl_fd. Returns 0 or -AB_E_IO (err set). */
int sup_listen_unix(struct sup *s, struct ab_err *err);
/* Accept every pending connection on listening fd lfd (the control socket,
 * or the stats HTTP one when `http`); peers of another uid are refused on the
 * control socket; beyond MAX_CONNS connections are closed at once. */
void sup_accept_conns(struct sup *s, int lfd, bool http);
/* Read what is available on c, run complete control lines or the HTTP
 * request, then flush the replies. c may be closed (moved to the graveyard,
 * s->dead_conns) on return. */
void sup_conn_read(struct sup *s, struct conn *c);
/* Send what c->out holds without blocking; closes c when done and its peer
 * finished, or on error. */
void sup_conn_flush(struct sup *s, struct conn *c);
/* Close c and move it to the graveyard (freed after the epoll batch). */
void sup_conn_close(struct sup *s, struct conn *c);

/* ---- supstats.c -------------------------------------------------------- */

/* Append the status document as one JSON line to b: the supervisor, then
 * each process (only c's NAME[.N] when c names one; c may be NULL) with its
 * instances; with `stats`, CPU seconds and RSS bytes read from /proc. */
void sup_status_json(struct sup *s, const struct supctl_cmd *c, bool stats,
		     struct ab_buf *b);
/* Bind and listen on "IPv4:PORT" for --stats-http; registers s->http_fd.
 * Returns 0, -AB_E_USAGE for a bad spec or -AB_E_IO (err set). */
int sup_listen_http(struct sup *s, const char *spec, struct ab_err *err);
/* Feed n bytes read from an HTTP connection: the request is answered once
 * its blank line arrived; later bytes are ignored. */
void sup_http_input(struct sup *s, struct conn *c, const char *p, size_t n);
/* Answer the request in c->in (GET / or /status; else 404 / 405) into
 * c->out, HTTP/1.0 with Connection: close. */
void sup_http_exec(struct sup *s, struct conn *c);

#endif
