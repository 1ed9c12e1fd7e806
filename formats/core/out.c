#include "formats/core/out.h"

void ab_out_msg(struct ab_out *out, enum ab_out_level lvl, const struct ab_loc *loc,
		const char *fmt, ...)
{
	if (!out || !out->emit || (int)lvl > out->verbosity)
		return;
	struct ab_buf b = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	out->emit(out, lvl, loc, b.buf);
	ab_buf_release(&b);
}

void ab_out_progress(struct ab_out *out, const struct ab_progress *p)
{
	if (out && out->progress)
		out->progress(out, p);
}
