/* server_helper.h - start and stop tests/server/server.py from a unit test.
 *
 * The server is a child process on 127.0.0.1 with an ephemeral port. It is
 * always killed: test_server_stop() (call it from the group teardown),
 * PR_SET_PDEATHSIG (the test process died), and its stdin reaching EOF. */
#ifndef AB_TEST_SERVER_HELPER_H
#define AB_TEST_SERVER_HELPER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct test_server {
	pid_t pid;
	int in_fd; /* the server's stdin: closing it stops it */
	int port;
	char base[64]; /* "http://127.0.0.1:PORT" */
};

static inline const char *test_server_script(void)
{
	static char path[4096];
	const char *me = __FILE__;
	if (access("tests/server/server.py", R_OK) == 0)
		return "tests/server/server.py";
	const char *slash = strrchr(me, '/');
	snprintf(path, sizeof(path), "%.*s/server.py", slash ? (int)(slash - me) : 1,
		 slash ? me : ".");
	return path;
}

/* Returns 0, or -1 when python3 or the server cannot be started. */
static inline int test_server_start(struct test_server *s, const char *root)
{
	int in[2], out[2];
	memset(s, 0, sizeof(*s));
	s->pid = -1;
	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execlp("python3", "python3", test_server_script(), root, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->pid = pid;
	s->in_fd = in[1];
	char line[64];
	size_t n = 0;
	while (n < sizeof(line) - 1) {
		ssize_t k = read(out[0], line + n, 1);
		if (k <= 0)
			break;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	close(out[0]);
	if (sscanf(line, "PORT %d", &s->port) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(s->in_fd);
		s->pid = -1;
		return -1;
	}
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	return 0;
}

static inline void test_server_stop(struct test_server *s)
{
	if (s->pid <= 0)
		return;
	close(s->in_fd);
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
}

#endif
