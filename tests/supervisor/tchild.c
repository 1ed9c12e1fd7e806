/* tchild.c - the child program the supervisor tests and bench/supervisor.sh
 * run under each supervisor (issue #8). It records its own start time, so
 * that start-up and restart latencies are measured from the child's side.
 *
 *   tchild [--log FILE] [--exit-after SEC] [--code N] [--ignore-term]
 *          [--fork N] [--orphans N] [--listen PORT] [--listen-delay SEC]
 *          [--serve] [--notify]
 *
 * --log appends "start PID REALTIME_NS NAME.INSTANCE\n" (one write, O_APPEND).
 * --fork N leaves N grandchildren in its process group; --orphans N leaves N
 * orphans (double fork) that outlive it by 0.3 s; --listen accepts TCP on
 * 127.0.0.1:PORT after --listen-delay. --serve checks LISTEN_PID/LISTEN_FDS
 * (exit 5 when they are not its own) and, after --listen-delay, answers every
 * connection on fds 3.. with "NAME.INSTANCE PID FDNAMES\n". --notify sends
 * READY=1 to $NOTIFY_SOCKET after --listen-delay. Then it sleeps until
 * --exit-after (or forever) and exits with --code. Only libc; no output
 * unless asked. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static void nap(double sec)
{
	struct timespec ts = { (time_t)sec, (long)((sec - (double)(time_t)sec) * 1e9) };
	while (nanosleep(&ts, &ts) != 0)
		;
}

int main(int argc, char **argv)
{
	const char *log = NULL;
	double exit_after = -1, listen_delay = 0;
	int code = 0, nfork = 0, norphans = 0, port = 0, serve = 0, notify = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
		if (strcmp(a, "--serve") == 0 || strcmp(a, "--notify") == 0) {
			*(a[2] == 's' ? &serve : &notify) = 1;
			continue;
		}
		if (strcmp(a, "--ignore-term") == 0) {
			signal(SIGTERM, SIG_IGN);
			continue;
		}
		if (strcmp(a, "--log") == 0)
			log = v;
		else if (strcmp(a, "--exit-after") == 0)
			exit_after = atof(v);
		else if (strcmp(a, "--code") == 0)
			code = atoi(v);
		else if (strcmp(a, "--fork") == 0)
			nfork = atoi(v);
		else if (strcmp(a, "--orphans") == 0)
			norphans = atoi(v);
		else if (strcmp(a, "--listen") == 0)
			port = atoi(v);
		else if (strcmp(a, "--listen-delay") == 0)
			listen_delay = atof(v);
		else {
			fprintf(stderr, "tchild: unknown argument '%s'\n", a);
			return 2;
		}
		i++;
	}
	if (log) {
		struct timespec ts;
		char line[256];
		clock_gettime(CLOCK_REALTIME, &ts);
		const char *name = getenv("SUPERVISOR_PROCESS");
		const char *inst = getenv("SUPERVISOR_INSTANCE");
		int n = snprintf(line, sizeof(line), "start %d %lld%09ld %s.%s\n", (int)getpid(),
				 (long long)ts.tv_sec, ts.tv_nsec, name ? name : "-",
				 inst ? inst : "-");
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			if (write(fd, line, (size_t)n) < 0)
				return 3;
			close(fd);
		}
	}
	for (int i = 0; i < nfork; i++) {
		if (fork() == 0) {
			for (;;)
				pause();
		}
	}
	for (int i = 0; i < norphans; i++) {
		if (fork() == 0) {
			if (fork() == 0) {
				nap(0.3); /* its parent is gone by now: reparented */
				_exit(0);
			}
			_exit(0);
		}
	}
	if (port) {
		if (listen_delay > 0)
			nap(listen_delay);
		int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
			perror("tchild: listen");
			return 4;
		}
	}
	int nfds = 0;
	if (serve) {
		const char *lp = getenv("LISTEN_PID"), *lf = getenv("LISTEN_FDS");
		nfds = lf ? atoi(lf) : 0;
		if (!lp || atoi(lp) != (int)getpid() || nfds < 1 || nfds > 16) {
			fprintf(stderr, "tchild: LISTEN_PID=%s (mine: %d) LISTEN_FDS=%s\n",
				lp ? lp : "-", (int)getpid(), lf ? lf : "-");
			return 5;
		}
	}
	if ((serve || notify) && listen_delay > 0 && !port)
		nap(listen_delay);
	const char *ns = getenv("NOTIFY_SOCKET");
	if (notify && ns && strlen(ns) < sizeof(((struct sockaddr_un *)0)->sun_path)) {
		struct sockaddr_un u = { .sun_family = AF_UNIX };
		strcpy(u.sun_path, ns);
		int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd < 0 || sendto(fd, "STATUS=up\nREADY=1\n", 18, 0, (struct sockaddr *)&u,
				     sizeof(u)) < 0)
			perror("tchild: notify");
		close(fd);
	}
	while (serve) {
		struct pollfd pf[16];
		for (int i = 0; i < nfds; i++)
			pf[i] = (struct pollfd){ .fd = 3 + i, .events = POLLIN };
		if (poll(pf, (nfds_t)nfds, -1) < 0)
			continue;
		for (int i = 0; i < nfds; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			int c = accept(3 + i, NULL, NULL);
			if (c < 0)
				continue;
			char line[256];
			const char *name = getenv("SUPERVISOR_PROCESS");
			const char *inst = getenv("SUPERVISOR_INSTANCE");
			const char *names = getenv("LISTEN_FDNAMES");
			int n = snprintf(line, sizeof(line), "%s.%s %d %s\n", name ? name : "-",
					 inst ? inst : "-", (int)getpid(), names ? names : "-");
			if (write(c, line, (size_t)n) < 0)
				perror("tchild: write");
			close(c);
		}
	}
	if (exit_after >= 0) {
		nap(exit_after);
		return code;
	}
	for (;;)
		pause();
}
