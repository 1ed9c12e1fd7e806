/* suplisten.h - the sockets the supervisor opens on behalf of its processes
 * (issue #8): `listen` addresses bound once and passed to every instance
 * (systemd's socket-activation protocol, sd_listen_fds(3)), and the notify
 * socket that carries READY=1 (sd_notify(3)) for `ready: {notify: true}`.
 *
 * What each side does:
 *   suplisten.c  binds the listen sockets (close-on-exec, owned by the
 *                struct proc), names them in LISTEN_FDS / LISTEN_FDNAMES /
 *                NOTIFY_SOCKET, owns run_dir/notify.sock and reads it.
 *   sup.c        spawns: the child moves proc->lfds to fds 3.. without
 *                close-on-exec and writes its own pid into LISTEN_PID
 *                (child_exec), which only the vfork child can do; and it
 *                decides readiness (a READY=1 counts in ST_STARTING only).
 *
 * Internal to builder/supervisor/ like sup_int.h; one thread, nothing here
 * is thread-safe. Errors are AB_E_IO with the address or path quoted. */
#ifndef AB_SUPLISTEN_H
#define AB_SUPLISTEN_H

#include <stddef.h>

#include "builder/supervisor/sup_int.h"

/* How many entries suplisten_env() adds at most. */
#define SUPLISTEN_ENV_MAX 3

/* The sockets process definition `c` needs before it can start:
 * - run_dir/notify.sock when c has ready.notify (once per supervisor: kept
 *   in s->notify_fd / s->notify_path and registered with epoll as
 *   EV_NOTIFY; a stale file of that name is replaced);
 * - one listening socket per c->listen address, in c's order: a duplicate
 *   (F_DUPFD_CLOEXEC) of `old`'s socket for an address the running process
 *   `old` already listens on (same spec string: the same queue, so a reload
 *   loses no connection), else a new one bound with SO_REUSEADDR (a unix
 *   socket file left by an earlier run is removed first) and a backlog of
 *   4096 (the kernel caps it at somaxconn). `old` may be NULL.
 * On success *lfds is a malloc'd array of c->nlisten close-on-exec fds
 * (NULL when c listens nowhere), owned by the caller: hand it to the struct
 * proc (new_proc) or free it with suplisten_close(). Returns 0, or -AB_E_IO
 * (err set: "process 'NAME': cannot listen on 'SPEC': ..." or the notify
 * path) with *lfds NULL and no listen socket left open; a notify socket
 * opened before the failure stays (it is the supervisor's, closed by
 * suplisten_notify_close()). */
int suplisten_open(struct sup *s, const struct supconf_proc *c, const struct proc *old,
		   int **lfds, struct ab_err *err);

/* Close the n fds of `fds` (entries < 0 are skipped), then free(fds).
 * NULL with n 0 does nothing. */
void suplisten_close(int *fds, size_t n);

/* Store in add[0..) the environment entries that tell p's instances about
 * its sockets: NOTIFY_SOCKET=run_dir/notify.sock when p has ready.notify
 * (and the socket is open), LISTEN_FDS=N and LISTEN_FDNAMES=NAME:NAME...
 * (each socket named after the process) when p->nlfds. Each entry is
 * malloc'd, owned by the caller (p->env_add frees them). `add` must have room
 * for SUPLISTEN_ENV_MAX. Returns how many were stored. LISTEN_PID is not
 * among them: it differs per instance (see sup.c's spawn). */
size_t suplisten_env(const struct sup *s, const struct proc *p, char **add);

/* Read every pending datagram of the notify socket (edge: until EAGAIN).
 * The sender is found from its kernel-checked credentials (SO_PASSCRED):
 * an instance's leader, or any process in its process group. A datagram
 * holding a line "READY=1" from an instance in ST_STARTING whose process has
 * ready.notify sets in->notified, and makes it running at once when its
 * start_delay is over (sup_become_running). Other messages are ignored;
 * file descriptors sent along (fd store requests, unsupported) are closed. */
void suplisten_notify_read(struct sup *s);

/* Remove the unix-socket files of p's listen addresses (at exit; the fds
 * are closed with the proc). */
void suplisten_unlink(const struct proc *p);

/* Close s->notify_fd and remove run_dir/notify.sock, then free
 * s->notify_path. A supervisor that never opened it is left alone. */
void suplisten_notify_close(struct sup *s);

#endif
