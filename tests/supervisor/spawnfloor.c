/* spawnfloor.c - the floor bench/supervisor.sh measures the supervisors
 * against (issue #8): the least a supervisor can do on this host. It starts
 * N copies of CMD with posix_spawn in a bare loop (no config, no pipes, no
 * bookkeeping), plus EXITER once, and restarts EXITER from a blocking
 * waitpid the moment it exits. SIGTERM ends it (and its children).
 *
 *   spawnfloor N CMD... [-- EXITER...]
 *
 * Only libc. Not a supervisor: nothing else is restarted, no process group
 * is stopped. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pid_t spawn(char **argv)
{
	pid_t pid;
	int r = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (r) {
		fprintf(stderr, "spawnfloor: %s: %s\n", argv[0], strerror(r));
		exit(1);
	}
	return pid;
}

static void stop(int sig)
{
	(void)sig;
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: spawnfloor N CMD... [-- EXITER...]\n");
		return 2;
	}
	long n = atol(argv[1]);
	char **cmd = argv + 2, **exiter = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			exiter = argv[i + 1] ? argv + i + 1 : NULL;
			break;
		}
	}
	setpgid(0, 0); /* kill(0, ...) reaches the children, not the caller */
	signal(SIGTERM, stop);
	for (long i = 0; i < n; i++)
		spawn(cmd);
	pid_t ex = exiter ? spawn(exiter) : 0;
	for (;;) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid < 0)
			pause();
		else if (pid == ex)
			ex = spawn(exiter);
	}
}
