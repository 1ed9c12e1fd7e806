/* suplisten.c - listen sockets and the notify socket (see suplisten.h).
 *
 * Why the supervisor binds `listen` addresses itself: the sockets, and the
 * connections queued on them, outlive instance restarts and reloads, as
 * with systemd's socket units; each instance gets them as fds 3.. with
 * LISTEN_FDS (gunicorn, uvicorn and sd_listen_fds(3) read it). */
#include "builder/supervisor/suplisten.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"

static int bind_listen(const struct supconf_proc *c, const struct supconf_listen *l,
		       struct ab_err *err)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
		struct sockaddr_un un;
	} a;
	socklen_t alen;
	memset(&a, 0, sizeof(a));
	if (l->family == AF_UNIX) {
		a.un.sun_family = AF_UNIX;
		memcpy(a.un.sun_path, l->path, strlen(l->path) + 1); /* < 108: supconf checked */
		alen = sizeof(a.un);
		struct stat st; /* a socket file left by a previous run is stale */
		if (lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(l->path);
	} else if (l->family == AF_INET) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons((uint16_t)l->port);
		inet_pton(AF_INET, l->host, &a.in4.sin_addr);
		alen = sizeof(a.in4);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)l->port);
		inet_pton(AF_INET6, l->host, &a.in6.sin6_addr);
		alen = sizeof(a.in6);
	}
	int one = 1;
	int fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (l->family != AF_UNIX &&
		       setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    bind(fd, &a.sa, alen) < 0 || listen(fd, 4096) < 0) { /* the kernel caps it at somaxconn */
		int e = errno;
		if (fd >= 0)
			close(fd);
		return ab_err_set(err, AB_E_IO, "process '%s': cannot listen on '%s': %s", c->name,
				  l->spec, strerror(e));
	}
	return fd;
}

void suplisten_close(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

/* run_dir/notify.sock, once a process has ready.notify. */
static int open_notify(struct sup *s, struct ab_err *err)
{
	if (s->notify_fd >= 0)
		return 0;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ab_buf path = AB_BUF_INIT;
	ab_buf_addf(&path, "%s/notify.sock", s->run_dir);
	if (path.len >= sizeof(a.sun_path)) {
		int r = ab_err_set(err, AB_E_IO, "'%s': too long for a socket path", path.buf);
		ab_buf_release(&path);
		return r;
	}
	memcpy(a.sun_path, path.buf, path.len + 1);
	unlink(path.buf);
	int one = 1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int r = ab_err_set(err, AB_E_IO, "cannot create '%s': %s", path.buf,
				   strerror(errno));
		if (fd >= 0)
			close(fd);
		ab_buf_release(&path);
		return r;
	}
	s->notify_fd = fd;
	s->notify_path = ab_buf_detach(&path);
	s->notify_ev = (struct ev){ EV_NOTIFY, NULL };
	sup_ep_add(s, fd, EPOLLIN, &s->notify_ev);
	return 0;
}

int suplisten_open(struct sup *s, const struct supconf_proc *c, const struct proc *old,
		   int **lfds, struct ab_err *err)
{
	*lfds = NULL;
	if (c->ready_notify) {
		int r = open_notify(s, err);
		if (r < 0)
			return r;
	}
	if (!c->nlisten)
		return 0;
	int *fds = ab_xmalloc(c->nlisten * sizeof(*fds));
	for (size_t i = 0; i < c->nlisten; i++) {
		fds[i] = -1;
		for (size_t j = 0; old && j < old->nlfds && fds[i] < 0; j++)
			if (strcmp(old->c.listen[j].spec, c->listen[i].spec) == 0)
				fds[i] = fcntl(old->lfds[j], F_DUPFD_CLOEXEC, 3); /* -1: bind anew */
		int r = fds[i] >= 0 ? fds[i] : bind_listen(c, &c->listen[i], err);
		if (r < 0) {
			suplisten_close(fds, i);
			return r;
		}
		fds[i] = r;
	}
	*lfds = fds;
	return 0;
}

size_t suplisten_env(const struct sup *s, const struct proc *p, char **add)
{
	struct ab_buf b = AB_BUF_INIT;
	size_t k = 0;
	if (p->c.ready_notify && s->notify_path) {
		ab_buf_addf(&b, "NOTIFY_SOCKET=%s", s->notify_path);
		add[k++] = ab_buf_detach(&b);
	}
	if (p->nlfds) {
		ab_buf_addf(&b, "LISTEN_FDS=%zu", p->nlfds);
		add[k++] = ab_buf_detach(&b);
		ab_buf_adds(&b, "LISTEN_FDNAMES=");
		for (size_t i = 0; i < p->nlfds; i++)
			ab_buf_addf(&b, "%s%s", i ? ":" : "", p->c.name);
		add[k++] = ab_buf_detach(&b);
	}
	return k;
}

static struct inst *inst_of_pid(struct sup *s, pid_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];
		for (size_t j = 0; j < p->ninst; j++)
			if (p->inst[j] && p->inst[j]->pid == pid)
				return p->inst[j];
	}
	return NULL;
}

/* sd_notify datagrams: READY=1 from an instance's leader, or from a process
 * in its group (the kernel-checked sender credentials say who). */
void suplisten_notify_read(struct sup *s)
{
	for (;;) {
		char buf[4096];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred))];
		} ctl;
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
				    .msg_controllen = sizeof(ctl) };
		ssize_t n = recvmsg(s->notify_fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		buf[n] = 0;
		pid_t pid = 0;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
			if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS) {
				struct ucred cr;
				memcpy(&cr, CMSG_DATA(h), sizeof(cr));
				pid = cr.pid;
			} else if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
				/* fd store requests are not supported: do not leak them */
				size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < k; i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(fd));
					close(fd);
				}
			}
		}
		struct inst *in = pid > 0 ? inst_of_pid(s, pid) : NULL;
		if (!in && pid > 0) {
			pid_t g = getpgid(pid);
			for (size_t i = 0; i < s->nprocs && !in && g > 0; i++)
				for (size_t j = 0; j < s->procs[i]->ninst && !in; j++)
					if (s->procs[i]->inst[j] && s->procs[i]->inst[j]->pgid == g)
						in = s->procs[i]->inst[j];
		}
		bool ready = false;
		for (const char *l = buf; *l;) {
			size_t len = strcspn(l, "\n");
			ready = ready || (len == 7 && memcmp(l, "READY=1", 7) == 0);
			l += len + (l[len] == '\n');
		}
		if (!in || !ready || !in->proc->c.ready_notify || in->state != ST_STARTING)
			continue;
		in->notified = true;
		if (in->delay_done)
			sup_become_running(s, in);
	}
}

void suplisten_unlink(const struct proc *p)
{
	for (size_t j = 0; j < p->nlfds; j++)
		if (p->c.listen[j].family == AF_UNIX)
			unlink(p->c.listen[j].path);
}

void suplisten_notify_close(struct sup *s)
{
	if (s->notify_fd >= 0) {
		close(s->notify_fd);
		unlink(s->notify_path);
	}
	free(s->notify_path);
	s->notify_path = NULL;
	s->notify_fd = -1;
}
