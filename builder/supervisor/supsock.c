/* supsock.c - the supervisor's control socket, run_dir/supervisor.sock:
 * accepting connections (only from our own uid or root, by SO_PEERCRED),
 * reading command lines, running them (supctl.h parses them) and writing the
 * replies; and sup_ctl(), the client side. Connections are shared with the
 * --stats-http server (supstats.c): accept, read, flush and close live here.
 * The protocol: one command per line; each answered by its output lines, then
 * "ok" or "error: ..." as the last line. */
#include "builder/supervisor/sup_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "formats/core/mem.h"

#define MAX_CONNS 64
#define HTTP_MAX_REQUEST 8192
#define MAX_REPLY_BYTES (4 << 20)

bool sup_matches(const struct inst *in, const struct supctl_cmd *c)
{
	if (!c->name.len)
		return true;
	return ab_str_eq_cstr(c->name, in->proc->c.name) &&
	       (c->instance < 0 || c->instance == in->index);
}

static void status_text(struct sup *s, const struct supctl_cmd *c, struct ab_buf *b)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];
		for (size_t j = 0; j < p->ninst; j++) {
			struct inst *in = p->inst[j];
			if (!in || !sup_matches(in, c))
				continue;
			double up = in->pid ? (double)(s->now - in->spawned) / SEC : 0;
			ab_buf_addf(b, "%s %s pid=%d uptime=%.1f restarts=%ld\n", in->label,
				    sup_state_names[in->state], (int)in->pid, up, in->restarts);
		}
	}
}

void sup_conn_close(struct sup *s, struct conn *c)
{
	sup_ep_close(s, &c->fd);
	if (c->dead)
		return;
	c->dead = true;
	for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->nconns--;
	c->next = s->dead_conns;
	s->dead_conns = c;
}

void sup_conn_flush(struct sup *s, struct conn *c)
{
	size_t off = 0;
	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + off, c->out.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			sup_conn_close(s, c);
			return;
		}
		off += (size_t)n;
	}
	memmove(c->out.buf, c->out.buf + off, c->out.len - off);
	ab_buf_truncate(&c->out, c->out.len - off);
	if (c->out.len)
		sup_ep_mod(s, c->fd, EPOLLIN | EPOLLOUT, &c->ev);
	else if (c->eof && !c->reply_at_exit)
		sup_conn_close(s, c);
	else
		sup_ep_mod(s, c->fd, c->eof ? 0 : EPOLLIN, &c->ev);
}

static int find_target(struct sup *s, const struct supctl_cmd *c, struct proc **pp,
		       struct ab_buf *reply)
{
	*pp = sup_find_proc(s, c->name);
	if (!*pp) {
		ab_buf_addf(reply, "error: no process '" AB_STR_FMT "'\n", AB_STR_ARG(c->name));
		return -1;
	}
	if (c->instance >= 0 &&
	    ((size_t)c->instance >= (*pp)->ninst || !(*pp)->inst[c->instance])) {
		ab_buf_addf(reply, "error: no instance '" AB_STR_FMT ".%ld'\n", AB_STR_ARG(c->name),
			    c->instance);
		return -1;
	}
	return 0;
}

static void ctl_exec(struct sup *s, struct conn *conn, struct ab_str line)
{
	struct ab_buf *reply = &conn->out;
	struct supctl_cmd c;
	struct ab_err e = AB_ERR_INIT;
	struct proc *p = NULL;
	if (supctl_parse(line, &c, &e) < 0) {
		ab_buf_addf(reply, "error: column %u: %s\n", e.col, e.msg.buf);
		ab_err_release(&e);
		return;
	}
	if (s->shutting && c.op != SUPCTL_STATUS && c.op != SUPCTL_STOP) {
		ab_buf_adds(reply, "error: the supervisor is stopping\n");
		return;
	}
	if (c.name.len && c.op != SUPCTL_STATUS && find_target(s, &c, &p, reply) < 0)
		return;
	switch (c.op) {
	case SUPCTL_STATUS:
		if (c.name.len && !sup_find_proc(s, c.name)) {
			ab_buf_addf(reply, "error: no process '" AB_STR_FMT "'\n",
				    AB_STR_ARG(c.name));
			return;
		}
		if (c.json)
			sup_status_json(s, &c, false, reply);
		else
			status_text(s, &c, reply);
		break;
	case SUPCTL_STOP:
		if (!p) {
			/* answered once everything is down, so `stop` can be waited on */
			conn->reply_at_exit = true;
			sup_begin_shutdown(s, 0);
			return;
		}
		if (c.instance < 0)
			p->held = true;
		for (size_t j = 0; j < p->ninst; j++) {
			struct inst *in = p->inst[j];
			if (in && sup_matches(in, &c)) {
				in->held = c.instance >= 0;
				in->respawn = false;
				sup_stop_inst(s, in);
			}
		}
		break;
	case SUPCTL_START:
		p->held = false;
		free(p->fatal_reason);
		p->fatal_reason = NULL;
		for (size_t j = 0; j < p->ninst; j++) {
			struct inst *in = p->inst[j];
			if (!in || !sup_matches(in, &c))
				continue;
			in->held = false;
			in->fails = 0;
			in->flap_count = 0;
			if (in->state == ST_STOPPED || in->state == ST_EXITED || in->state == ST_FATAL)
				sup_spawn_inst(s, in);
			else if (in->state == ST_STOPPING)
				in->respawn = true;
		}
		break;
	case SUPCTL_RESTART:
		if (!p) {
			for (size_t i = 0; i < s->nprocs; i++)
				if (!s->procs[i]->removed)
					sup_roll_request(s->procs[i]);
		} else if (c.instance < 0) {
			sup_roll_request(p);
		} else {
			struct inst *in = p->inst[c.instance];
			in->respawn = true;
			sup_stop_inst(s, in);
		}
		break;
	case SUPCTL_SCALE:
		p->want = c.count;
		sup_apply_scale(s, p);
		break;
	case SUPCTL_SIGNAL:
		/* the leader only, as supervisorctl signal: a master (gunicorn)
		 * passes HUP or TTIN on to its workers itself */
		for (size_t j = 0; j < p->ninst; j++) {
			struct inst *in = p->inst[j];
			if (in && sup_matches(in, &c) && in->pid)
				kill(in->pid, c.sig);
		}
		break;
	case SUPCTL_RELOAD:
		if (sup_reload(s, &e) < 0) {
			struct ab_buf m = AB_BUF_INIT;
			ab_err_format(&e, &m);
			ab_buf_addf(reply, "error: %s\n", m.buf);
			ab_buf_release(&m);
			ab_err_release(&e);
			return;
		}
		break;
	}
	ab_buf_adds(reply, "ok\n");
}

/* Control lines: each complete line runs; an overlong one is answered with
 * an error and skipped up to its newline, and the connection carries on
 * (closing with unread input would reset it before the client reads). */
static void ctl_input(struct sup *s, struct conn *c, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n;
		if (c->skip) {
			c->skip = !nl;
		} else if (c->in.len + len > SUPCTL_MAX_LINE + 1) {
			ab_buf_adds(&c->out, "error: line too long\n");
			ab_buf_reset(&c->in);
			c->skip = !nl;
		} else {
			ab_buf_add(&c->in, p, len);
			if (nl) {
				ctl_exec(s, c, ab_buf_str(&c->in));
				ab_buf_reset(&c->in);
			}
		}
		p += len + (nl ? 1 : 0);
		n -= len + (nl ? 1 : 0);
	}
}

void sup_conn_read(struct sup *s, struct conn *c)
{
	char chunk[4096];
	for (;;) {
		ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			c->eof = true;
			break;
		}
		if (!c->http) {
			ctl_input(s, c, chunk, (size_t)n);
			if (c->out.len > MAX_REPLY_BYTES) { /* a client that never reads */
				sup_conn_close(s, c);
				return;
			}
			continue;
		}
		sup_http_input(s, c, chunk, (size_t)n);
	}
	if (c->http && c->eof && !c->out.len && c->in.len)
		sup_http_exec(s, c);
	if (c->http && c->out.len)
		c->eof = true; /* one request per connection */
	if (!c->http && c->eof && c->in.len && !c->skip) { /* a last line without "\n" */
		ctl_exec(s, c, ab_buf_str(&c->in));
		ab_buf_reset(&c->in);
	}
	sup_conn_flush(s, c);
}

void sup_accept_conns(struct sup *s, int lfd, bool http)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		if (!http) {
			struct ucred cred;
			socklen_t len = sizeof(cred);
			/* 0600 keeps others out already; the check also covers a
			 * socket file opened up by hand */
			if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
			    (cred.uid != geteuid() && cred.uid != 0)) {
				static const char msg[] = "error: permission denied\n";
				send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL);
				close(fd);
				sup_say(s, true, "control socket: refused uid %d",
					len == sizeof(cred) ? (int)cred.uid : -1);
				continue;
			}
		}
		if (s->nconns >= MAX_CONNS) {
			close(fd);
			continue;
		}
		struct conn *c = ab_xcalloc(1, sizeof(*c));
		c->ev = (struct ev){ EV_CONN, c };
		c->fd = fd;
		c->http = http;
		ab_buf_init(&c->in, http ? HTTP_MAX_REQUEST : 0);
		ab_buf_init(&c->out, 0);
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
		sup_ep_add(s, fd, EPOLLIN, &c->ev);
	}
}

int sup_listen_unix(struct sup *s, struct ab_err *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ab_loc loc = { s->sock_path, 0, 0 };
	if (strlen(s->sock_path) >= sizeof(a.sun_path))
		return ab_err_at(err, AB_E_IO, &loc, "control socket path longer than %zu bytes",
				 sizeof(a.sun_path) - 1);
	memcpy(a.sun_path, s->sock_path, strlen(s->sock_path) + 1);
	int probe_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe_fd >= 0 && connect(probe_fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		close(probe_fd);
		return ab_err_at(err, AB_E_IO, &loc,
				 "a supervisor is already running on this run directory");
	}
	if (probe_fd >= 0)
		close(probe_fd);
	unlink(s->sock_path); /* stale, from a supervisor that was killed */
	s->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->ctl_fd < 0)
		return ab_err_at(err, AB_E_IO, &loc, "cannot create socket: %s", strerror(errno));
	mode_t old = umask(0177); /* born 0600: no window with a wider mode */
	int r = bind(s->ctl_fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || chmod(s->sock_path, 0600) < 0 || listen(s->ctl_fd, 64) < 0)
		return ab_err_at(err, AB_E_IO, &loc, "cannot listen: %s", strerror(errno));
	s->ctl_ev = (struct ev){ EV_CTL_LISTEN, NULL };
	sup_ep_add(s, s->ctl_fd, EPOLLIN, &s->ctl_ev);
	return 0;
}

char *sup_socket_path(const char *run_dir)
{
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "%s/supervisor.sock", run_dir);
	return ab_buf_detach(&b);
}

int sup_ctl(const char *sock_path, const char *line, int out_fd, int err_fd, struct ab_err *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ab_loc loc = { sock_path, 0, 0 };
	struct ab_buf reply = AB_BUF_INIT;
	int r = 0;
	if (strlen(sock_path) >= sizeof(a.sun_path))
		return ab_err_at(err, AB_E_IO, &loc, "control socket path too long");
	memcpy(a.sun_path, sock_path, strlen(sock_path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = ab_err_at(err, AB_E_IO, &loc, "cannot connect to the supervisor: %s",
			      strerror(errno));
		goto out;
	}
	struct ab_buf req = AB_BUF_INIT;
	ab_buf_addf(&req, "%s\n", line);
	size_t off = 0;
	while (off < req.len) {
		ssize_t n = send(fd, req.buf + off, req.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	ab_buf_release(&req);
	shutdown(fd, SHUT_WR);
	char chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ab_buf_add(&reply, chunk, (size_t)n);
	}
	/* the last line is the verdict */
	size_t end = reply.len;
	if (end && reply.buf[end - 1] == '\n')
		end--;
	size_t start = end;
	while (start && reply.buf[start - 1] != '\n')
		start--;
	struct ab_str last = ab_str_make(reply.buf + start, end - start);
	sup_write_all(out_fd, reply.buf, start);
	if (ab_str_eq_cstr(last, "ok")) {
		r = 0;
	} else if (ab_str_startswith(last, "error: ")) {
		sup_write_all(err_fd, last.ptr, last.len);
		sup_write_all(err_fd, "\n", 1);
		r = 1;
	} else {
		r = ab_err_at(err, AB_E_IO, &loc, "no reply from the supervisor");
	}
out:
	if (fd >= 0)
		close(fd);
	ab_buf_release(&reply);
	return r;
}
