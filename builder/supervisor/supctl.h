/* supctl.h - the supervisor's control protocol (issue #8): one command per
 * line over the Unix socket run_dir/supervisor.sock.
 *
 *   status [--json] [TARGET]     state, pid, uptime, restarts of each instance
 *   stop [TARGET]                no TARGET: stop everything and exit
 *   start TARGET                 start a stopped or FATAL process again
 *   restart [TARGET]             rolling restart (all processes when no TARGET)
 *   scale NAME=N                 N in 0..10000
 *   signal TARGET SIG            SIG: TERM, SIGTERM or a number
 *   reload                       as SIGHUP: re-read the config, rolling restart
 *
 * TARGET is NAME (every instance) or NAME.N (one instance). Words are
 * separated by blanks (space, tab); a final CR is ignored; every other byte
 * must be printable ASCII. The reply is zero or more lines, then one line
 * "ok" or "error: MESSAGE". */
#ifndef AB_SUPCTL_H
#define AB_SUPCTL_H

#include <stdbool.h>

#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/str.h"

#define SUPCTL_MAX_LINE 4096

enum supctl_op {
	SUPCTL_STATUS,
	SUPCTL_STOP,
	SUPCTL_START,
	SUPCTL_RESTART,
	SUPCTL_SCALE,
	SUPCTL_SIGNAL,
	SUPCTL_RELOAD,
};

struct supctl_cmd {
	enum supctl_op op;
	struct ab_str name; /* view into the line; len 0: no target */
	long instance;      /* -1: every instance of `name` */
	long count;         /* scale */
	int sig;            /* signal */
	bool json;          /* status --json */
};

/* Parse one line (without its "\n"). Returns 0 and fills *out (views into
 * `line`), or -AB_E_PARSE with err->col at the offending byte (1-based),
 * line 0. Never reads past line.len. */
int supctl_parse(struct ab_str line, struct supctl_cmd *out, struct ab_err *err);

/* Append the canonical line for `c` (no "\n"): parsing it gives `c` back. */
void supctl_format(const struct supctl_cmd *c, struct ab_buf *out);

const char *supctl_op_name(enum supctl_op op);

#endif
