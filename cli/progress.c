/* progress.c - the status line and the summary line of transfers.
 *
 * State is global: only cli/ keeps any, and one command runs per process. */
#include "cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
	bool active;
	bool tty;
	bool shown; /* a status line is on the screen */
	struct ab_progress last;
	void (*emit)(struct ab_out *out, enum ab_out_level lvl, const struct ab_loc *loc,
		     const char *msg);
} st;

void cli_progress_bytes(uint64_t n, struct ab_buf *out)
{
	if (n < 1000)
		ab_buf_addf(out, "%u B", (unsigned)n);
	else if (n < 1000000)
		ab_buf_addf(out, "%.1f kB", (double)n / 1e3);
	else if (n < 1000000000)
		ab_buf_addf(out, "%.1f MB", (double)n / 1e6);
	else
		ab_buf_addf(out, "%.1f GB", (double)n / 1e9);
}

static void erase(void)
{
	if (!st.shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	st.shown = false;
}

/* a message must not be glued to the status line: erase it first; the
 * next report draws it again */
static void emit_over(struct ab_out *out, enum ab_out_level lvl, const struct ab_loc *loc,
		      const char *msg)
{
	erase();
	if (st.emit)
		st.emit(out, lvl, loc, msg);
}

static void draw(struct ab_out *out, const struct ab_progress *p)
{
	st.last = *p;
	if (!st.tty)
		return;
	if (p->final) {
		/* the run is over and the command prints its results next */
		erase();
		return;
	}
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "\r\033[K%u/%u files, ", p->done, p->total);
	cli_progress_bytes(p->bytes, &b);
	if (p->seconds > 0.05) {
		ab_buf_adds(&b, ", ");
		cli_progress_bytes((uint64_t)((double)p->bytes / p->seconds), &b);
		ab_buf_adds(&b, "/s");
	}
	fputs(b.buf, stderr);
	fflush(stderr);
	ab_buf_release(&b);
	st.shown = true;
}

void cli_progress_begin(struct cli *cli)
{
	memset(&st, 0, sizeof(st));
	st.active = true;
	st.tty = isatty(STDERR_FILENO) && cli->verbosity >= AB_OUT_INFO;
	st.emit = cli->out.emit;
	cli->out.emit = emit_over;
	cli->out.progress = draw;
}

void cli_progress_end(struct cli *cli, const char *verb)
{
	if (!st.active)
		return;
	erase();
	cli->out.emit = st.emit;
	cli->out.progress = NULL;
	st.active = false;
	const struct ab_progress *p = &st.last;
	unsigned ok = p->done - p->failed;
	/* nothing fetched: the error that follows (if any) says it all */
	if (!ok)
		return;
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "%s %u file%s, ", verb, ok, ok == 1 ? "" : "s");
	cli_progress_bytes(p->bytes, &b);
	ab_buf_addf(&b, " in %.1f s", p->seconds);
	if (p->failed)
		ab_buf_addf(&b, " (%u failed)", p->failed);
	ab_info(&cli->out, "%s", b.buf);
	ab_buf_release(&b);
}
