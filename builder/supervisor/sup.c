/* sup.c - the supervisor's runtime: state machine, event loop, spawning,
 * stopping, reaping, output forwarding. The control socket server is
 * supsock.c, the --stats-http server supstats.c, the `listen` and notify
 * sockets suplisten.c (shared types: sup_int.h).
 *
 * Why it looks the way it does (issue #8's goals):
 * - Signals arrive through a signalfd (blocked from main()'s first line), so
 *   SIGCHLD is handled in the loop with no handler racing the state machine.
 * - No periodic timer: each instance carries one deadline (backoff, start
 *   delay, readiness retry, stop timeout) and epoll_wait sleeps until the
 *   nearest, or forever. An idle supervisor makes no system call.
 * - An exit after the start window restarts at once, from the SIGCHLD
 *   wake-up itself (supervisord and s6 wait ~1 s); backoff only applies to
 *   instances that die within the window.
 * - vfork into a new process group: no page-table copy and no stack mapping
 *   per child; each process's environment is built once, not per instance.
 * - `listen` sockets are bound once (suplisten.c) and passed to every
 *   instance (systemd's LISTEN_FDS), so their queues outlive instance
 *   restarts; the spawn below puts them on fds 3.. and sets LISTEN_PID.
 * - Objects freed while an epoll batch is being handled go to a graveyard
 *   freed after the batch, so a later event of the same batch never points
 *   at freed memory. */
#include "builder/supervisor/sup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder/supervisor/sup_int.h"
#include "builder/supervisor/supconf.h"
#include "builder/supervisor/supctl.h"
#include "builder/supervisor/suplisten.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"

extern char **environ;

/* How often a stopping group that is not ours to reap is looked at again
 * (only without the subreaper, when grandchildren went to init). */
#define GROUP_POLL (100 * MSEC)

const char *const sup_state_names[] = { "stopped",  "backoff", "starting", "running",
					"stopping", "exited",  "fatal" };

static sigset_t handled_signals(void)
{
	/* Everything with a default action that would stop or kill us, except
	 * the synchronous faults: those must still kill a broken supervisor. */
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP,  SIGUSR1,
				    SIGUSR2, SIGALRM, SIGWINCH, SIGPIPE, SIGTSTP, SIGTTIN,
				    SIGTTOU, SIGURG, SIGIO,  SIGPWR,  SIGVTALRM, SIGPROF,
				    SIGCONT, SIGXCPU, SIGXFSZ };
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < AB_ARRAY_SIZE(sigs); i++)
		sigaddset(&set, sigs[i]);
	return set;
}

void sup_block_signals(void)
{
	sigset_t set = handled_signals();
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int64_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

void sup_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* a reader that went away loses output, not the supervisor */
		p += w;
		n -= (size_t)w;
	}
}

void sup_say(struct sup *s, bool always, const char *fmt, ...)
{
	if (s->o->quiet && !always)
		return;
	struct ab_buf b = AB_BUF_INIT;
	va_list ap;
	ab_buf_adds(&b, "supervisor | ");
	va_start(ap, fmt);
	ab_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ab_buf_addc(&b, '\n');
	sup_write_all(s->o->log_fd, b.buf, b.len);
	ab_buf_release(&b);
}

void sup_describe_status(struct ab_buf *b, int status)
{
	if (WIFEXITED(status))
		ab_buf_addf(b, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		ab_buf_addf(b, "killed by SIG%s", supconf_signal_name(WTERMSIG(status)));
	else
		ab_buf_addf(b, "status %#x", status);
}

void sup_ep_add(struct sup *s, int fd, uint32_t events, struct ev *ev)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };
	epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e);
}

void sup_ep_mod(struct sup *s, int fd, uint32_t events, struct ev *ev)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };
	epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &e);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Unregister before closing: a child between vfork and its exec still
 * holds a copy of every fd (close-on-exec happens after the vfork parent
 * resumes), and epoll drops an fd only with its last copy, so a plain
 * close could leave an event that points at freed memory. */
void sup_ep_close(struct sup *s, int *fd)
{
	if (*fd >= 0)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, *fd, NULL);
	close_fd(fd);
}

/* ---- output ---------------------------------------------------------- */

static void log_open(struct sup *s, struct inst *in)
{
	struct ab_buf path = AB_BUF_INIT;
	ab_buf_addf(&path, "%s/%s.log", s->log_dir, in->label);
	in->log_fd = open(path.buf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (in->log_fd < 0)
		sup_say(s, true, "%s: cannot open %s: %s", in->label, path.buf, strerror(errno));
	struct stat st;
	in->log_size = in->log_fd >= 0 && fstat(in->log_fd, &st) == 0 ? st.st_size : 0;
	ab_buf_release(&path);
}

/* NAME.N.log -> .1 -> .2 ... -> .log_backups (dropped past it), as logrotate. */
static void log_rotate(struct sup *s, struct inst *in)
{
	struct ab_buf from = AB_BUF_INIT, to = AB_BUF_INIT;
	close_fd(&in->log_fd);
	for (long k = s->log_backups; k >= 1; k--) {
		ab_buf_reset(&from);
		ab_buf_reset(&to);
		if (k == 1)
			ab_buf_addf(&from, "%s/%s.log", s->log_dir, in->label);
		else
			ab_buf_addf(&from, "%s/%s.log.%ld", s->log_dir, in->label, k - 1);
		ab_buf_addf(&to, "%s/%s.log.%ld", s->log_dir, in->label, k);
		rename(from.buf, to.buf);
	}
	if (s->log_backups == 0) {
		ab_buf_reset(&from);
		ab_buf_addf(&from, "%s/%s.log", s->log_dir, in->label);
		unlink(from.buf);
	}
	ab_buf_release(&from);
	ab_buf_release(&to);
	log_open(s, in);
}

static void log_write(struct sup *s, struct inst *in, const char *p, size_t n)
{
	if (in->log_fd < 0)
		log_open(s, in);
	if (s->log_max && in->log_size > 0 && in->log_size + (long long)n > s->log_max)
		log_rotate(s, in);
	if (in->log_fd < 0)
		return;
	sup_write_all(in->log_fd, p, n);
	in->log_size += (long long)n;
}

/* Forward the complete lines in st->buf (all of it when `all`). */
static void stream_emit(struct sup *s, struct stream *st, bool all)
{
	size_t end = st->len;
	if (!all) {
		while (end && st->buf[end - 1] != '\n')
			end--;
		if (end == 0 && st->len == OUT_LINE_MAX)
			end = st->len; /* no newline in a full buffer: forward it as a line */
	}
	if (end == 0)
		return;
	if (s->output == SUPCONF_OUTPUT_FILES) {
		log_write(s, st->inst, st->buf, end);
		if (st->buf[end - 1] != '\n')
			log_write(s, st->inst, "\n", 1);
	} else {
		struct ab_buf *b = &s->scratch;
		ab_buf_reset(b);
		size_t i = 0;
		while (i < end) {
			const char *nl = memchr(st->buf + i, '\n', end - i);
			size_t j = nl ? (size_t)(nl - st->buf) : end;
			ab_buf_adds(b, st->inst->label);
			ab_buf_add(b, " | ", 3);
			ab_buf_add(b, st->buf + i, j - i);
			ab_buf_addc(b, '\n');
			i = j + 1;
		}
		sup_write_all(st->dest, b->buf, b->len);
		if (b->cap > 65536)
			ab_buf_release(b);
	}
	memmove(st->buf, st->buf + end, st->len - end);
	st->len -= end;
}

static void stream_close(struct sup *s, struct stream *st)
{
	if (st->buf && st->len)
		stream_emit(s, st, true);
	free(st->buf);
	st->buf = NULL;
	st->len = 0;
	sup_ep_close(s, &st->fd);
}

/* Read what the pipe holds; on EOF, forward the last partial line. */
static void stream_read(struct sup *s, struct stream *st)
{
	while (st->fd >= 0) {
		if (!st->buf)
			st->buf = ab_xmalloc(OUT_LINE_MAX);
		size_t room = OUT_LINE_MAX - st->len;
		ssize_t n = read(st->fd, st->buf + st->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			stream_close(s, st);
			return;
		}
		st->len += (size_t)n;
		stream_emit(s, st, false);
		if ((size_t)n < room)
			break;
	}
	if (st->buf && st->len == 0) { /* idle instances hold no buffer */
		free(st->buf);
		st->buf = NULL;
	}
}

/* ---- spawning ---------------------------------------------------------- */

/* What a child gets. */
struct spawn {
	char *const *argv, *const *envp;
	const char *dir;      /* NULL: the supervisor's */
	int null_fd;          /* /dev/null: stdin, and stdout when out_fd < 0 */
	int out_fd, err_fd;   /* err_fd < 0: the supervisor's stderr */
	const int *lfds;      /* become fds 3, 4, ... (systemd's SD_LISTEN_FDS_START) */
	size_t nlfds;
	char *pid_slot;       /* room for the child's pid in decimal (LISTEN_PID=); NULL: none */
};

/* The child side of vfork: shares the supervisor's memory until execve, so it
 * only makes system calls and writes *errp. Own process group; signals
 * unblocked; SIGPIPE back at its default (the only disposition the
 * supervisor changes: it installs no handler, so nothing else needs
 * resetting); stdio; listen sockets moved to 3.. without close-on-exec. */
__attribute__((noreturn)) static void child_exec(const struct spawn *sp, volatile int *errp)
{
	struct sigaction dfl;
	sigset_t none;
	int tmp[SUPCONF_MAX_LISTEN];
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&none);
	if (setpgid(0, 0) < 0 || sigaction(SIGPIPE, &dfl, NULL) < 0 || dup2(sp->null_fd, 0) < 0 ||
	    dup2(sp->out_fd >= 0 ? sp->out_fd : sp->null_fd, 1) < 0 ||
	    (sp->err_fd >= 0 && dup2(sp->err_fd, 2) < 0))
		goto fail;
	/* out of the way of 3..3+n first: a socket may already sit on a target */
	for (size_t i = 0; i < sp->nlfds; i++)
		if ((tmp[i] = fcntl(sp->lfds[i], F_DUPFD_CLOEXEC, 3 + (int)sp->nlfds)) < 0)
			goto fail;
	for (size_t i = 0; i < sp->nlfds; i++)
		if (dup2(tmp[i], 3 + (int)i) < 0)
			goto fail;
	if (sp->dir && chdir(sp->dir) < 0)
		goto fail;
	if (sp->pid_slot) {
		char digits[24];
		int n = 0;
		for (unsigned long v = (unsigned long)getpid(); v || n == 0; v /= 10)
			digits[n++] = (char)('0' + v % 10);
		for (int i = 0; i < n; i++)
			sp->pid_slot[i] = digits[n - 1 - i];
		sp->pid_slot[n] = 0;
	}
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		goto fail;
	execvpe(sp->argv[0], sp->argv, sp->envp);
fail:
	*errp = errno ? errno : EINVAL;
	_exit(127);
}

/* Start a child as *sp says. Returns its pid, or -errno (exec failures
 * included: the child reports them through shared memory before the parent
 * resumes, as glibc's posix_spawn does).
 *
 * Why vfork and not posix_spawn or fork: glibc's posix_spawn is a vfork-like
 * clone too, but maps a fresh stack for every child and unmaps it after, and
 * on this VM each munmap is a TLB shoot-down IPI to the other CPU (perf:
 * 19 % of the supervisor's start-up CPU); fork copies the page tables. It
 * also lets the child write its own pid into LISTEN_PID, which systemd's
 * protocol needs and posix_spawn cannot do. */
static pid_t start_child(const struct spawn *sp)
{
	volatile int err = 0;
	pid_t pid = vfork();
	if (pid == 0)
		child_exec(sp, &err);
	if (pid < 0)
		return -errno;
	if (err) {
		waitpid(pid, NULL, 0);
		return -err;
	}
	return pid;
}

/* ---- instances -------------------------------------------------------- */

static struct inst *new_inst(struct proc *p, long index)
{
	struct inst *in = ab_xcalloc(1, sizeof(*in));
	in->proc = p;
	in->index = index;
	snprintf(in->label, sizeof(in->label), "%s.%ld", p->c.name, index);
	in->out = (struct stream){ { EV_STREAM, &in->out }, -1, 1, in, NULL, 0 };
	in->err = (struct stream){ { EV_STREAM, &in->err }, -1, 2, in, NULL, 0 };
	in->ready_ev = (struct ev){ EV_READY, in };
	in->ready_fd = -1;
	in->log_fd = -1;
	if (p->cap <= (size_t)index) {
		size_t old = p->cap;
		AB_GROW(p->inst, p->cap, (size_t)index + 1);
		memset(p->inst + old, 0, (p->cap - old) * sizeof(*p->inst));
	}
	p->inst[index] = in;
	if ((size_t)index >= p->ninst)
		p->ninst = (size_t)index + 1;
	return in;
}

static void cancel_probe(struct sup *s, struct inst *in)
{
	sup_ep_close(s, &in->ready_fd);
	if (in->ready_pid > 0)
		kill(-in->ready_pid, SIGKILL); /* reaped as an orphan */
	in->ready_pid = 0;
}

/* Into the graveyard: detached now, freed after the epoll batch. */
static void free_inst(struct sup *s, struct inst *in)
{
	struct proc *p = in->proc;
	stream_close(s, &in->out);
	stream_close(s, &in->err);
	cancel_probe(s, in);
	close_fd(&in->log_fd);
	if (s->roll_inst == in)
		s->roll_inst = NULL;
	p->inst[in->index] = NULL;
	while (p->ninst && !p->inst[p->ninst - 1])
		p->ninst--;
	in->dead = true;
	in->next_dead = s->dead_insts;
	s->dead_insts = in;
}

void sup_become_running(struct sup *s, struct inst *in)
{
	in->state = ST_RUNNING;
	in->deadline = 0;
	in->up = s->now;
	if (in->proc->c.ready_port || in->proc->c.ready_argv || in->proc->c.ready_notify)
		sup_say(s, false, "%s ready after %.3fs", in->label,
			(double)(s->now - in->spawned) / SEC);
}

static void probe(struct sup *s, struct inst *in)
{
	struct proc *p = in->proc;
	int64_t retry = s->now + p->c.ready_interval_ns;
	if (retry > in->ready_until)
		retry = in->ready_until;
	if (p->c.ready_port) {
		union {
			struct sockaddr sa;
			struct sockaddr_in in4;
			struct sockaddr_in6 in6;
		} a;
		socklen_t alen;
		memset(&a, 0, sizeof(a));
		int port = p->c.ready_port + (int)in->index;
		if (inet_pton(AF_INET, p->c.ready_host, &a.in4.sin_addr) == 1) {
			a.in4.sin_family = AF_INET;
			a.in4.sin_port = htons((uint16_t)port);
			alen = sizeof(a.in4);
		} else {
			inet_pton(AF_INET6, p->c.ready_host, &a.in6.sin6_addr);
			a.in6.sin6_family = AF_INET6;
			a.in6.sin6_port = htons((uint16_t)port);
			alen = sizeof(a.in6);
		}
		in->ready_fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (in->ready_fd >= 0) {
			if (connect(in->ready_fd, &a.sa, alen) == 0) {
				close_fd(&in->ready_fd);
				sup_become_running(s, in);
				return;
			}
			if (errno == EINPROGRESS)
				sup_ep_add(s, in->ready_fd, EPOLLOUT, &in->ready_ev);
			else
				close_fd(&in->ready_fd);
		}
		in->deadline = retry;
		return;
	}
	if (p->c.ready_notify) {
		if (in->notified)
			sup_become_running(s, in);
		else
			in->deadline = in->ready_until; /* stopped if READY=1 never comes */
		return;
	}
	if (p->c.ready_argv) {
		struct spawn sp = { .argv = p->c.ready_argv, .envp = environ,
				    .dir = p->c.directory, .null_fd = s->null_fd, .out_fd = -1,
				    .err_fd = -1 };
		pid_t pid = start_child(&sp);
		int r = pid < 0 ? (int)-pid : 0;
		if (r == 0) {
			in->ready_pid = pid;
			in->deadline = in->ready_until; /* killed if it hangs */
		} else {
			sup_say(s, true, "%s: cannot run the ready command: %s", in->label, strerror(r));
			in->deadline = retry;
		}
		return;
	}
	sup_become_running(s, in);
}

static void ready_tcp_done(struct sup *s, struct inst *in)
{
	int e = 0;
	socklen_t len = sizeof(e);
	if (in->ready_fd < 0)
		return;
	getsockopt(in->ready_fd, SOL_SOCKET, SO_ERROR, &e, &len);
	sup_ep_close(s, &in->ready_fd);
	if (e == 0 && in->state == ST_STARTING)
		sup_become_running(s, in);
	/* else: the retry deadline set by probe() stands */
}

static void ready_cmd_done(struct sup *s, struct inst *in, int status)
{
	in->ready_pid = 0;
	if (in->state != ST_STARTING)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		sup_become_running(s, in);
		return;
	}
	int64_t retry = s->now + in->proc->c.ready_interval_ns;
	in->deadline = retry < in->ready_until ? retry : in->ready_until;
}

static void fatal(struct sup *s, struct inst *in, const char *why)
{
	struct proc *p = in->proc;
	in->state = ST_FATAL;
	in->deadline = 0;
	free(p->fatal_reason);
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "%s: %s", in->label, why);
	p->fatal_reason = ab_buf_detach(&b);
	sup_say(s, true, "%s is fatal: %s", in->label, why);
	if (p->c.fatal_exits_supervisor) {
		sup_say(s, true, "stopping: '%s' is fatal and has fatal_exits_supervisor",
			p->c.name);
		sup_begin_shutdown(s, 1);
	}
}

/* After an exit (or a failed readiness) the supervisor did not ask for. */
static void after_exit(struct sup *s, struct inst *in, bool failed_start)
{
	struct proc *p = in->proc;
	bool success = in->has_status && WIFEXITED(in->status) && WEXITSTATUS(in->status) == 0 &&
		       !in->ready_failed;
	in->state = ST_STOPPED;
	if (s->shutting || p->held || in->held || in->remove) {
		if (in->remove)
			free_inst(s, in);
		return;
	}
	if (p->c.restart == SUPCONF_RESTART_NEVER ||
	    (p->c.restart == SUPCONF_RESTART_ON_FAILURE && success)) {
		in->state = ST_EXITED;
		return;
	}
	if (s->now - in->flap_start > p->c.flap_window_ns || in->flap_count == 0) {
		in->flap_start = s->now;
		in->flap_count = 0;
	}
	if (++in->flap_count > p->c.flap_restarts) {
		struct ab_buf why = AB_BUF_INIT;
		ab_buf_addf(&why, "more than %ld restarts within %.3gs", p->c.flap_restarts,
			    (double)p->c.flap_window_ns / SEC);
		fatal(s, in, why.buf);
		ab_buf_release(&why);
		return;
	}
	in->restarts++;
	if (!failed_start) {
		in->fails = 0;
		sup_spawn_inst(s, in);
		return;
	}
	in->fails++;
	int64_t delay = p->c.backoff_initial_ns;
	for (long i = 1; i < in->fails && delay < p->c.backoff_max_ns; i++)
		delay *= 2;
	if (delay > p->c.backoff_max_ns)
		delay = p->c.backoff_max_ns;
	in->state = ST_BACKOFF;
	in->deadline = s->now + (delay > 0 ? delay : 1);
	sup_say(s, false, "%s failed to start (%ld in a row), next try in %.3fs", in->label,
		in->fails, (double)delay / SEC);
}

/* The whole group is gone after a requested stop. */
static void stopped(struct sup *s, struct inst *in)
{
	in->state = ST_STOPPED;
	in->deadline = 0;
	in->pgid = 0;
	if (in->ready_failed) {
		after_exit(s, in, true);
		in->ready_failed = false;
		return;
	}
	if (in->remove) {
		free_inst(s, in);
		return;
	}
	if (in->respawn) {
		in->respawn = false;
		if (!s->shutting && !in->proc->held && !in->held)
			sup_spawn_inst(s, in);
	}
}

static void drain_streams(struct sup *s, struct inst *in)
{
	stream_read(s, &in->out);
	stream_read(s, &in->err);
	/* Output a grandchild still writes is not worth keeping a pipe for: the
	 * group is being killed or restarted. */
	stream_close(s, &in->out);
	stream_close(s, &in->err);
}

static void leader_exited(struct sup *s, struct inst *in, int status)
{
	enum inst_state was = in->state;
	in->pid = 0;
	in->status = status;
	in->has_status = true;
	drain_streams(s, in);
	cancel_probe(s, in);
	struct ab_buf b = AB_BUF_INIT;
	sup_describe_status(&b, status);
	sup_say(s, false, "%s exited: %s", in->label, b.buf);
	ab_buf_release(&b);
	if (in->pgid && kill(-in->pgid, 0) == 0) {
		if (was == ST_STOPPING)
			return; /* wait for the rest of the group, or the stop timeout */
		/* The leader died on its own: what it left in its group is orphaned
		 * work (workers of a dead master) that must not outlive it. */
		kill(-in->pgid, SIGKILL);
	}
	in->pgid = 0;
	if (was == ST_STOPPING) {
		stopped(s, in);
		return;
	}
	after_exit(s, in, was == ST_STARTING || s->now - in->spawned < in->proc->c.start_window_ns);
}

void sup_spawn_inst(struct sup *s, struct inst *in)
{
	struct proc *p = in->proc;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	/* the per-instance part of the environment: the rest was built once */
	char **envp = ab_xmalloc((p->nenvp + 3) * sizeof(*envp));
	char idx[48], lpid[40] = "LISTEN_PID=";
	memcpy(envp, p->envp, p->nenvp * sizeof(*envp));
	size_t k = p->nenvp;
	snprintf(idx, sizeof(idx), "SUPERVISOR_INSTANCE=%ld", in->index);
	envp[k++] = idx;
	if (p->nlfds)
		envp[k++] = lpid;
	envp[k] = NULL;

	in->has_status = false;
	in->killed = false;
	in->delay_done = false;
	in->ready_failed = false;
	in->notified = false;
	/* close-on-exec on both ends: dup2 gives the child its copy */
	if (s->output != SUPCONF_OUTPUT_INHERIT &&
	    (pipe2(outp, O_CLOEXEC) < 0 ||
	     (s->output == SUPCONF_OUTPUT_PREFIX && pipe2(errp, O_CLOEXEC) < 0)))
		sup_say(s, true, "%s: cannot create a pipe: %s", in->label, strerror(errno));
	struct spawn sp = { .argv = p->argv, .envp = envp, .dir = p->c.directory,
			    .null_fd = s->null_fd, .out_fd = outp[1],
			    .err_fd = errp[1] >= 0 ? errp[1] : outp[1], .lfds = p->lfds,
			    .nlfds = p->nlfds, .pid_slot = p->nlfds ? lpid + 11 : NULL };
	pid_t pid = start_child(&sp);
	free(envp);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	in->spawned = s->now;
	if (pid < 0) {
		close_fd(&outp[0]);
		close_fd(&errp[0]);
		sup_say(s, true, "%s: cannot run '%s': %s", in->label, p->c.argv[0], strerror((int)-pid));
		in->status = 127 << 8; /* as a shell reports "command not found" */
		in->has_status = true;
		after_exit(s, in, true);
		return;
	}
	in->pid = pid;
	in->pgid = pid;
	in->state = ST_STARTING;
	in->deadline = 0;
	in->out.fd = outp[0];
	in->err.fd = errp[0];
	in->out.dest = s->o->out_fd;
	in->err.dest = s->o->log_fd;
	for (int i = 0; i < 2; i++) {
		struct stream *st = i ? &in->err : &in->out;
		if (st->fd < 0)
			continue;
		fcntl(st->fd, F_SETFL, O_NONBLOCK);
		sup_ep_add(s, st->fd, EPOLLIN, &st->ev);
	}
	sup_say(s, false, "%s started, pid %d", in->label, (int)pid);
	if (p->c.start_delay_ns > 0) {
		in->deadline = s->now + p->c.start_delay_ns;
		return;
	}
	in->delay_done = true;
	in->ready_until = s->now + p->c.ready_timeout_ns;
	probe(s, in);
}

void sup_stop_inst(struct sup *s, struct inst *in)
{
	switch (in->state) {
	case ST_STARTING:
	case ST_RUNNING:
		cancel_probe(s, in);
		in->state = ST_STOPPING;
		in->killed = false;
		in->deadline = s->now + in->proc->c.stop_timeout_ns;
		if (in->deadline == s->now)
			in->deadline = s->now + 1;
		kill(-in->pgid, in->proc->c.stop_signal);
		/* a stopped (SIGSTOP) process only acts on the signal once continued */
		kill(-in->pgid, SIGCONT);
		break;
	case ST_STOPPING:
		break;
	default:
		stopped(s, in);
		break;
	}
}

/* A deadline passed. */
static void inst_timer(struct sup *s, struct inst *in)
{
	struct proc *p = in->proc;
	in->deadline = 0;
	switch (in->state) {
	case ST_BACKOFF:
		sup_spawn_inst(s, in);
		break;
	case ST_STARTING:
		if (!in->delay_done) {
			in->delay_done = true;
			in->ready_until = s->now + p->c.ready_timeout_ns;
			probe(s, in);
			break;
		}
		cancel_probe(s, in);
		if (s->now >= in->ready_until) {
			sup_say(s, true, "%s not ready after %.3gs, stopping it", in->label,
				(double)(p->c.start_delay_ns + p->c.ready_timeout_ns) / SEC);
			sup_stop_inst(s, in);
			in->ready_failed = true;
		} else {
			probe(s, in);
		}
		break;
	case ST_STOPPING:
		if (!in->killed) {
			sup_say(s, true, "%s did not stop within %.3gs, killing its process group",
				in->label, (double)p->c.stop_timeout_ns / SEC);
			in->killed = true;
		}
		if (in->pgid)
			kill(-in->pgid, SIGKILL);
		if (in->pid == 0) {
			if (in->pgid && kill(-in->pgid, 0) == 0)
				in->deadline = s->now + GROUP_POLL;
			else
				stopped(s, in);
		}
		break;
	default:
		break;
	}
}

static void reap(struct sup *s)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		struct inst *found = NULL;
		bool ready = false;
		for (size_t i = 0; i < s->nprocs && !found; i++) {
			struct proc *p = s->procs[i];
			for (size_t j = 0; j < p->ninst && !found; j++) {
				struct inst *in = p->inst[j];
				if (in && in->pid == pid)
					found = in;
				else if (in && in->ready_pid == pid)
					found = in, ready = true;
			}
		}
		if (!found)
			s->orphans++; /* subreaper / PID 1 duty */
		else if (ready)
			ready_cmd_done(s, found, status);
		else
			leader_exited(s, found, status);
	}
	/* Stops waiting on the rest of a group whose leader is gone. */
	for (size_t i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];
		for (size_t j = 0; j < p->ninst; j++) {
			struct inst *in = p->inst[j];
			if (in && in->state == ST_STOPPING && in->pid == 0 &&
			    (!in->pgid || kill(-in->pgid, 0) < 0))
				stopped(s, in);
		}
	}
}

/* ---- processes: scale, rolling restart, shutdown ------------------------ */

void sup_apply_scale(struct sup *s, struct proc *p)
{
	for (size_t i = p->ninst; i-- > (size_t)p->want;) {
		struct inst *in = p->inst[i];
		if (!in || in->remove)
			continue;
		in->remove = true;
		in->respawn = false;
		sup_stop_inst(s, in);
	}
	for (long i = 0; i < p->want; i++) {
		struct inst *in = (size_t)i < p->ninst ? p->inst[i] : NULL;
		if (!in) {
			in = new_inst(p, i);
			if (!p->held && !s->shutting)
				sup_spawn_inst(s, in);
		} else if (in->remove) {
			in->remove = false;
			in->respawn = !p->held && !s->shutting; /* it is stopping: back up after */
		}
	}
}

static void free_proc(struct proc *p)
{
	supconf_proc_release(&p->c);
	for (char **e = p->env_add; e && *e; e++)
		free(*e);
	free(p->env_add);
	free(p->envp);
	free(p->exec_cmd);
	suplisten_close(p->lfds, p->nlfds);
	free(p->inst);
	free(p->fatal_reason);
	free(p);
}

/* Variables the supervisor sets per process or per instance, and the ones of
 * its own activation (an outer systemd's) that must not reach children. */
static bool env_replaced(const struct supconf_proc *c, const char *e)
{
	static const char *const ours[] = { "SUPERVISOR_PROCESS=", "SUPERVISOR_INSTANCE=",
					    "LISTEN_PID=",         "LISTEN_FDS=",
					    "LISTEN_FDNAMES=",     "NOTIFY_SOCKET=" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(ours); i++)
		if (strncmp(e, ours[i], strlen(ours[i])) == 0)
			return true;
	for (size_t j = 0; j < c->nenv; j++) {
		size_t l = strlen(c->env[j].name);
		if (strncmp(e, c->env[j].name, l) == 0 && e[l] == '=')
			return true;
	}
	return false;
}

/* Whether `sh -c "exec CMD"` runs what `sh -c CMD` does: one simple command
 * (no list, pipeline, group or compound command) whose first word is
 * neither an assignment nor a keyword or special built-in that exec cannot
 * run. */
static bool exec_ok(const char *cmd)
{
	static const char *const not_programs[] = {
		"if", "for",    "while", "until", "case",     "exec",  "!",     "[[",   "cd",
		"export", "set", "eval", "trap",  "ulimit",   "umask", "wait",  "read", ".",
		"source", ":",   "unset", "alias", "readonly", "local", "shift", "exit", "return",
	};
	if (strpbrk(cmd, ";&|\n(){}"))
		return false;
	cmd += strspn(cmd, " \t");
	size_t n = strcspn(cmd, " \t");
	if (n == 0 || memchr(cmd, '=', n))
		return false;
	for (size_t i = 0; i < AB_ARRAY_SIZE(not_programs); i++)
		if (strlen(not_programs[i]) == n && memcmp(cmd, not_programs[i], n) == 0)
			return false;
	return true;
}

static char *envf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *envf(const char *fmt, ...)
{
	struct ab_buf b = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return ab_buf_detach(&b);
}

/* Takes the definition and the sockets bound for it (lfds, c->nlisten of
 * them) over; `c` is left zeroed. */
static struct proc *new_proc(struct sup *s, struct supconf_proc *c, int *lfds)
{
	struct proc *p = ab_xcalloc(1, sizeof(*p));
	p->c = *c;
	*c = (struct supconf_proc){ 0 };
	p->want = p->c.instances;
	p->surge = -1;
	/* dash, unlike bash, forks for the last command of `sh -c`: without the
	 * exec the instance's pid would be the shell's, LISTEN_PID would not name
	 * the program and gunicorn would ignore the socket */
	p->argv = p->c.argv;
	if (p->c.shell && exec_ok(p->c.argv[2])) {
		p->exec_cmd = envf("exec %s", p->c.argv[2]);
		p->sh_argv[0] = p->c.argv[0];
		p->sh_argv[1] = p->c.argv[1];
		p->sh_argv[2] = p->exec_cmd;
		p->argv = p->sh_argv;
	}
	p->lfds = lfds;
	p->nlfds = lfds ? p->c.nlisten : 0;
	/* + SUPERVISOR_PROCESS, the sockets' entries and the NULL */
	p->env_add = ab_xcalloc(p->c.nenv + 2 + SUPLISTEN_ENV_MAX, sizeof(*p->env_add));
	size_t k = 0;
	for (size_t i = 0; i < p->c.nenv; i++)
		if (p->c.env[i].value)
			p->env_add[k++] = envf("%s=%s", p->c.env[i].name, p->c.env[i].value);
	p->env_add[k++] = envf("SUPERVISOR_PROCESS=%s", p->c.name);
	k += suplisten_env(s, p, p->env_add + k);
	size_t n = 0;
	for (char **e = environ; *e; e++)
		n++;
	p->envp = ab_xmalloc((n + k + 1) * sizeof(*p->envp));
	for (char **e = environ; *e; e++)
		if (!env_replaced(&p->c, *e))
			p->envp[p->nenvp++] = *e;
	for (size_t i = 0; i < k; i++)
		p->envp[p->nenvp++] = p->env_add[i];
	p->envp[p->nenvp] = NULL;
	return p;
}

/* The new definition `fresh` (and its environment and sockets) goes to the
 * running process p; p's old ones go to fresh, to be freed with it. */
static void swap_def(struct proc *p, struct proc *fresh)
{
	struct proc tmp = *p;
	p->c = fresh->c;
	p->env_add = fresh->env_add;
	p->argv = fresh->argv == fresh->sh_argv ? p->sh_argv : fresh->argv;
	p->exec_cmd = fresh->exec_cmd;
	memcpy(p->sh_argv, fresh->sh_argv, sizeof(p->sh_argv));
	p->envp = fresh->envp;
	p->nenvp = fresh->nenvp;
	p->lfds = fresh->lfds;
	p->nlfds = fresh->nlfds;
	p->want = fresh->want;
	fresh->c = tmp.c;
	fresh->env_add = tmp.env_add;
	fresh->argv = tmp.argv == p->sh_argv ? fresh->sh_argv : tmp.argv;
	fresh->exec_cmd = tmp.exec_cmd;
	memcpy(fresh->sh_argv, tmp.sh_argv, sizeof(fresh->sh_argv));
	fresh->envp = tmp.envp;
	fresh->nenvp = tmp.nenvp;
	fresh->lfds = tmp.lfds;
	fresh->nlfds = tmp.nlfds;
}

/* The rolling restart's extra instance goes (unless a scale-up made it one
 * of the wanted ones). */
static void end_surge(struct sup *s, struct proc *p)
{
	long i = p->surge;
	p->surge = -1;
	if (i < 0 || (size_t)i >= p->ninst || !p->inst[i] || i < p->want || p->inst[i]->remove)
		return;
	p->inst[i]->remove = true;
	p->inst[i]->respawn = false;
	sup_stop_inst(s, p->inst[i]);
}

static void roll_abort(struct sup *s)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		s->procs[i]->roll = s->procs[i]->roll_again = false;
		end_surge(s, s->procs[i]);
	}
	s->roll_inst = NULL;
}

void sup_roll_request(struct proc *p)
{
	if (p->roll) {
		p->roll_again = true; /* a flood of requests coalesces into one more round */
	} else {
		p->roll = true;
		p->roll_next = 0;
		p->roll_end = p->ninst; /* instances a scale-up adds start new anyway */
	}
}

/* One instance at a time: the next one restarts when this one is running
 * (ready) again, so a process with two or more instances keeps serving. */
static void advance_roll(struct sup *s)
{
	if (s->shutting)
		return;
	for (;;) {
		struct inst *in = s->roll_inst;
		if (in) {
			if (in->state == ST_FATAL) {
				sup_say(s, true, "rolling restart stopped: %s is fatal", in->label);
				roll_abort(s);
				return;
			}
			if (in->respawn || in->state == ST_STOPPING || in->state == ST_STARTING ||
			    in->state == ST_BACKOFF)
				return;
			s->roll_inst = NULL;
		}
		struct proc *p = NULL;
		for (size_t i = 0; i < s->nprocs && !p; i++)
			if (s->procs[i]->roll)
				p = s->procs[i];
		if (!p)
			return;
		if (p->roll_next >= p->roll_end || p->roll_next >= p->ninst || p->removed) {
			end_surge(s, p);
			p->roll = p->roll_again && !p->removed;
			p->roll_again = false;
			p->roll_next = 0;
			p->roll_end = p->ninst;
			if (!p->roll)
				sup_say(s, false, "rolling restart of '%s' done", p->c.name);
			continue;
		}
		if (p->roll_next == 0 && p->nlfds && p->surge < 0 && !p->held && p->want > 0) {
			/* On sockets the supervisor owns, an extra instance starts
			 * first, so that each old one stops only when a new one is up,
			 * and the others had a whole start-up to get their workers
			 * going (gunicorn says READY=1 before its workers have
			 * imported the app). */
			p->surge = (long)p->ninst;
			in = new_inst(p, p->surge);
			sup_spawn_inst(s, in);
			s->roll_inst = in;
			continue;
		}
		in = p->inst[p->roll_next++];
		if (!in || in->remove || in->held || p->held)
			continue;
		if (in->state == ST_RUNNING || in->state == ST_STARTING) {
			in->respawn = true;
			sup_stop_inst(s, in);
			s->roll_inst = in;
		} else if (in->state == ST_FATAL || in->state == ST_BACKOFF) {
			/* a new deploy deserves a fresh start */
			in->fails = 0;
			in->flap_count = 0;
			sup_spawn_inst(s, in);
			s->roll_inst = in;
		}
	}
}

void sup_begin_shutdown(struct sup *s, int code)
{
	if (code > s->exit_code)
		s->exit_code = code;
	if (s->shutting)
		return;
	s->shutting = true;
	roll_abort(s);
	s->stop_cursor = s->nprocs;
	sup_say(s, false, "stopping everything");
}

/* Stops processes in reverse start order, each fully before the previous. */
static void continue_shutdown(struct sup *s)
{
	while (s->stop_cursor > 0) {
		struct proc *p = s->procs[s->stop_cursor - 1];
		bool busy = false;
		p->held = true;
		for (size_t j = 0; j < p->ninst; j++) {
			struct inst *in = p->inst[j];
			if (!in)
				continue;
			if (in->state != ST_STOPPING)
				sup_stop_inst(s, in);
			if (in->state == ST_STOPPING)
				busy = true;
		}
		if (busy)
			return;
		s->stop_cursor--;
	}
	s->done = true;
}

/* ---- configuration ---------------------------------------------------- */

struct proc *sup_find_proc(struct sup *s, struct ab_str name)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (!s->procs[i]->removed && ab_str_eq_cstr(name, s->procs[i]->c.name))
			return s->procs[i];
	return NULL;
}

/* Processes of the new config in its order, each with a rolling restart;
 * new ones start, removed ones stop and go. */
int sup_reload(struct sup *s, struct ab_err *err)
{
	struct supconf c;
	int r = supconf_load(s->o->config, &c, err);
	if (r < 0)
		return r;
	/* everything that can fail first, so that a failure changes nothing */
	int **lfds = ab_xcalloc(c.nprocs + 1, sizeof(*lfds));
	for (size_t i = 0; i < c.nprocs && r == 0; i++)
		r = suplisten_open(s, &c.procs[i], sup_find_proc(s, ab_str_from(c.procs[i].name)),
				   &lfds[i], err);
	if (r < 0) {
		for (size_t i = 0; i < c.nprocs; i++)
			suplisten_close(lfds[i], lfds[i] ? c.procs[i].nlisten : 0);
		free(lfds);
		supconf_release(&c);
		return r;
	}
	struct proc **procs = ab_xcalloc(c.nprocs + s->nprocs + 1, sizeof(*procs));
	size_t n = 0;
	bool *is_new = ab_xcalloc(c.nprocs + 1, sizeof(*is_new));
	for (size_t i = 0; i < c.nprocs; i++) {
		struct proc *p = sup_find_proc(s, ab_str_from(c.procs[i].name));
		if (p) {
			/* keep the running instances, take the new definition */
			struct proc *fresh = new_proc(s, &c.procs[i], lfds[i]);
			swap_def(p, fresh);
			free_proc(fresh);
			if (p->ninst)
				sup_roll_request(p);
		} else {
			p = new_proc(s, &c.procs[i], lfds[i]);
			is_new[n] = true;
		}
		procs[n++] = p;
	}
	for (size_t i = 0; i < s->nprocs; i++) {
		bool kept = false;
		for (size_t j = 0; j < n && !kept; j++)
			kept = procs[j] == s->procs[i];
		if (!kept) {
			s->procs[i]->removed = true;
			s->procs[i]->want = 0;
			s->procs[i]->roll = s->procs[i]->roll_again = false;
			procs[n++] = s->procs[i];
		}
	}
	free(s->procs);
	s->procs = procs;
	s->nprocs = n;
	s->cap = n + 1;
	for (size_t i = 0; i < n; i++) {
		if (is_new[i] || procs[i]->removed || !procs[i]->held)
			sup_apply_scale(s, procs[i]);
	}
	free(is_new);
	free(lfds);
	if (!c.run_dir || strcmp(c.run_dir, s->run_dir) != 0 || c.output != s->output)
		sup_say(s, false, "run_dir and output changes take effect at the next start");
	s->log_max = c.log_max_bytes;
	s->log_backups = c.log_backups;
	supconf_release(&c);
	sup_say(s, false, "configuration reloaded");
	return 0;
}

/* Removed processes whose instances are all gone. */
static void gc_procs(struct sup *s)
{
	size_t k = 0;
	for (size_t i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];
		if (p->removed && p->ninst == 0 && !s->shutting)
			free_proc(p);
		else
			s->procs[k++] = p;
	}
	s->nprocs = k;
}

/* ---- the loop --------------------------------------------------------- */

static void handle_signals(struct sup *s)
{
	struct signalfd_siginfo si[16];
	bool stop = false, hup = false;
	for (;;) {
		ssize_t n = read(s->sfd, si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			int sig = (int)si[i].ssi_signo;
			if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
				stop = true;
			else if (sig == SIGHUP)
				hup = true;
			/* SIGCHLD: reaped below; everything else is ignored */
		}
	}
	reap(s);
	if (stop)
		sup_begin_shutdown(s, 0);
	if (hup && !s->shutting) {
		struct ab_err e = AB_ERR_INIT;
		sup_say(s, false, "SIGHUP: reloading %s", s->o->config);
		if (sup_reload(s, &e) < 0) {
			struct ab_buf m = AB_BUF_INIT;
			ab_err_format(&e, &m);
			sup_say(s, true, "reload failed, keeping the running configuration: %s",
				m.buf);
			ab_buf_release(&m);
		}
		ab_err_release(&e);
	}
}

static void bury(struct sup *s)
{
	while (s->dead_insts) {
		struct inst *in = s->dead_insts;
		s->dead_insts = in->next_dead;
		free(in);
	}
	while (s->dead_conns) {
		struct conn *c = s->dead_conns;
		s->dead_conns = c->next;
		ab_buf_release(&c->in);
		ab_buf_release(&c->out);
		free(c);
	}
}

static bool any_pid(struct sup *s)
{
	for (size_t i = 0; i < s->nprocs; i++)
		for (size_t j = 0; j < s->procs[i]->ninst; j++) {
			struct inst *in = s->procs[i]->inst[j];
			if (in && (in->pid || in->ready_pid || in->state == ST_STOPPING))
				return true;
		}
	return false;
}

static int run_loop(struct sup *s)
{
	struct epoll_event evs[64];
	for (;;) {
		s->now = mono();
		/* Deadlines that passed; then the nearest one left. */
		int64_t next = 0;
		for (size_t i = 0; i < s->nprocs; i++) {
			struct proc *p = s->procs[i];
			for (size_t j = 0; j < p->ninst; j++) {
				struct inst *in = p->inst[j];
				if (in && in->deadline && in->deadline <= s->now)
					inst_timer(s, in);
			}
		}
		advance_roll(s);
		if (s->shutting)
			continue_shutdown(s);
		gc_procs(s);
		bury(s);
		if (s->done && !any_pid(s))
			return s->exit_code;
		for (size_t i = 0; i < s->nprocs; i++) {
			struct proc *p = s->procs[i];
			for (size_t j = 0; j < p->ninst; j++) {
				struct inst *in = p->inst[j];
				if (in && in->deadline && (!next || in->deadline < next))
					next = in->deadline;
			}
		}
		int timeout = -1;
		if (next) {
			int64_t ms = (next - mono() + MSEC - 1) / MSEC;
			timeout = ms < 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms;
		}
		int n = epoll_wait(s->ep, evs, (int)AB_ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR)
			return -AB_E_INTERNAL;
		s->now = mono();
		for (int i = 0; i < n; i++) {
			struct ev *ev = evs[i].data.ptr;
			switch (ev->kind) {
			case EV_SIGNAL:
				handle_signals(s);
				break;
			case EV_CTL_LISTEN:
				sup_accept_conns(s, s->ctl_fd, false);
				break;
			case EV_HTTP_LISTEN:
				sup_accept_conns(s, s->http_fd, true);
				break;
			case EV_CONN: {
				struct conn *c = ev->ptr;
				if (c->dead || c->fd < 0)
					break;
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					sup_conn_read(s, c);
				else if (evs[i].events & EPOLLOUT)
					sup_conn_flush(s, c);
				break;
			}
			case EV_STREAM: {
				struct stream *st = ev->ptr;
				if (!st->inst->dead && st->fd >= 0)
					stream_read(s, st);
				break;
			}
			case EV_READY: {
				struct inst *in = ev->ptr;
				if (!in->dead)
					ready_tcp_done(s, in);
				break;
			}
			case EV_NOTIFY:
				suplisten_notify_read(s);
				break;
			}
		}
	}
}

static void release(struct sup *s)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];
		suplisten_unlink(p);
		for (size_t j = 0; j < p->ninst; j++)
			if (p->inst[j])
				free_inst(s, p->inst[j]);
		free_proc(p);
	}
	free(s->procs);
	while (s->conns) {
		struct conn *c = s->conns;
		if (c->reply_at_exit) {
			ab_buf_adds(&c->out, "ok\n");
			int fl = fcntl(c->fd, F_GETFL);
			fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
			sup_write_all(c->fd, c->out.buf, c->out.len);
		}
		sup_conn_close(s, c);
	}
	bury(s);
	if (s->ctl_fd >= 0) {
		close(s->ctl_fd);
		unlink(s->sock_path);
	}
	if (s->http_fd >= 0)
		close(s->http_fd);
	suplisten_notify_close(s);
	if (s->null_fd >= 0)
		close(s->null_fd);
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->ep >= 0)
		close(s->ep);
	free(s->run_dir);
	free(s->sock_path);
	free(s->log_dir);
	ab_buf_release(&s->scratch);
}

int sup_run(const struct sup_opts *o, struct ab_err *err)
{
	struct sup s = { .o = o, .ep = -1, .sfd = -1, .ctl_fd = -1, .http_fd = -1,
			 .null_fd = -1, .notify_fd = -1 };
	struct supconf c;
	int r;
	sup_block_signals();
	signal(SIGPIPE, SIG_IGN);
	/* 0, 1, 2 open, so that a pipe never lands on them */
	int nullfd;
	do
		nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	while (nullfd >= 0 && nullfd <= 2 && fcntl(nullfd, F_SETFD, 0) == 0);
	if (nullfd > 2)
		close(nullfd);
	r = supconf_load(o->config, &c, err);
	if (r < 0)
		return r;
	s.null_fd = nullfd >= 0 ? open("/dev/null", O_RDWR | O_CLOEXEC) : -1;
	s.run_dir = ab_xstrdup(o->run_dir ? o->run_dir : c.run_dir);
	s.output = o->output >= 0 ? (enum supconf_output)o->output : c.output;
	s.log_max = c.log_max_bytes;
	s.log_backups = c.log_backups;
	s.sock_path = sup_socket_path(s.run_dir);
	struct ab_buf ld = AB_BUF_INIT;
	ab_buf_addf(&ld, "%s/logs", s.run_dir);
	s.log_dir = ab_buf_detach(&ld);
	s.cap = c.nprocs + 1;
	s.procs = ab_xcalloc(s.cap, sizeof(*s.procs));

	struct rlimit rl; /* a pipe or two per instance */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (mkdir(s.run_dir, 0755) < 0 && errno != EEXIST) {
		struct ab_loc loc = { s.run_dir, 0, 0 };
		r = ab_err_at(err, AB_E_IO, &loc, "cannot create run directory: %s",
			      strerror(errno));
		goto out;
	}
	if (s.output == SUPCONF_OUTPUT_FILES && mkdir(s.log_dir, 0755) < 0 && errno != EEXIST) {
		struct ab_loc loc = { s.log_dir, 0, 0 };
		r = ab_err_at(err, AB_E_IO, &loc, "cannot create log directory: %s",
			      strerror(errno));
		goto out;
	}
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	sigset_t set = handled_signals();
	s.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s.ep < 0 || s.sfd < 0) {
		r = ab_err_set(err, AB_E_INTERNAL, "cannot set up the event loop: %s",
			       strerror(errno));
		goto out;
	}
	s.sig_ev = (struct ev){ EV_SIGNAL, NULL };
	sup_ep_add(&s, s.sfd, EPOLLIN, &s.sig_ev);
	if (s.null_fd < 0) {
		r = ab_err_set(err, AB_E_IO, "cannot open /dev/null: %s", strerror(errno));
		goto out;
	}
	r = sup_listen_unix(&s, err);
	if (r < 0)
		goto out;
	/* the app's sockets once no other supervisor answers in run_dir */
	for (size_t i = 0; i < c.nprocs; i++) {
		int *lfds;
		r = suplisten_open(&s, &c.procs[i], NULL, &lfds, err);
		if (r < 0)
			goto out;
		s.procs[s.nprocs++] = new_proc(&s, &c.procs[i], lfds);
	}
	if (o->stats_http) {
		r = sup_listen_http(&s, o->stats_http, err);
		if (r < 0)
			goto out;
	}
	/* Orphans of our children come to us, not to init: reaped, and a stop
	 * sees a group empty only once its last member is gone. PID 1 reaps
	 * orphans anyway. */
	if (!o->no_subreaper && getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	s.now = s.started = mono();
	sup_say(&s, false, "pid %d, %zu process%s, control socket %s", (int)getpid(), s.nprocs,
		s.nprocs == 1 ? "" : "es", s.sock_path);
	for (size_t i = 0; i < s.nprocs; i++)
		sup_apply_scale(&s, s.procs[i]);
	r = run_loop(&s);
	if (r < 0)
		ab_err_set(err, -r, "event loop failed: %s", strerror(errno));
	else
		sup_say(&s, false, "stopped");
out:
	supconf_release(&c);
	release(&s);
	return r;
}
