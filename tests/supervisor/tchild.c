/* tchild.c - the child program the supervisor tests and bench/supervisor.sh
 * run under each supervisor (issue #8). It records its own start time, so
 * that start-up and restart latencies are measured from the child's side.
 *
 *   tchild [--log FILE] [--exit-after SEC] [--code N] [--ignore-term]
 *          [--fork N] [--orphans N] [--listen PORT] [--listen-delay SEC]
 *
 * --log appends "start PID REALTIME_NS NAME.INSTANCE\n" (one write, O_APPEND).
 * --fork N leaves N grandchildren in its process group; --orphans N leaves N
 * orphans (double fork) that outlive it by 0.3 s; --listen accepts TCP on
 * 127.0.0.1:PORT after --listen-delay. Then it sleeps until --exit-after (or
 * forever) and exits with --code. Only libc; no output unless asked. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
	int code = 0, nfork = 0, norphans = 0, port = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
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
	if (exit_after >= 0) {
		nap(exit_after);
		return code;
	}
	for (;;)
		pause();
}
