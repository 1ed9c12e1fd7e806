/* progress.h - the progress of transfers on stderr, drawn by cli/ only.
 *
 * Library code reports through struct ab_out's `progress` hook (see
 * formats/core/out.h; builder/http.c reports requests and bytes). Between
 * cli_progress_begin() and cli_progress_end() the hook is installed on
 * cli->out:
 *   - stderr is a terminal (and not -q): one line, redrawn in place at most
 *     ten times a second: "12/40 files, 1.2 MB, 3.4 MB/s"; a message
 *     printed meanwhile (a warning, a -v request log) clears it first, and
 *     so does the end of each run of work (ab_progress.final), before the
 *     command prints its results;
 *   - otherwise (CI, a pipe): nothing while the work runs.
 * cli_progress_end() erases the line and prints one summary line at info
 * level ("fetched 189 files, 4.2 MB in 1.3 s"; nothing when nothing was
 * fetched successfully; -q silences it). One phase of a command = one begin/end pair. */
#ifndef AB_CLI_PROGRESS_H
#define AB_CLI_PROGRESS_H

#include "cli/cli.h"

void cli_progress_begin(struct cli *cli);
/* `verb` starts the summary line: "fetched". Restores cli->out. */
void cli_progress_end(struct cli *cli, const char *verb);

/* Append a byte count the way the summary line writes it: "812 B",
 * "4.2 kB", "4.2 MB", "1.3 GB" (decimal units, like pip). */
void cli_progress_bytes(uint64_t n, struct ab_buf *out);

#endif
