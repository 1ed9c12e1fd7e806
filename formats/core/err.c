#include "formats/core/err.h"

#include <stdlib.h>

#include "formats/core/mem.h"

void ab_err_init(struct ab_err *e)
{
	*e = (struct ab_err)AB_ERR_INIT;
}

void ab_err_release(struct ab_err *e)
{
	free(e->file);
	ab_buf_release(&e->msg);
	ab_buf_release(&e->notes);
	ab_err_init(e);
}

void ab_err_clear(struct ab_err *e)
{
	ab_err_release(e);
}

static int vset(struct ab_err *e, int code, const struct ab_loc *loc, const char *fmt, va_list ap)
{
	if (!e || e->code)
		return -code;
	e->code = code;
	if (loc) {
		e->file = loc->file ? ab_xstrdup(loc->file) : NULL;
		e->line = loc->line;
		e->col = loc->col;
	}
	ab_buf_vaddf(&e->msg, fmt, ap);
	return -code;
}

int ab_err_at(struct ab_err *e, int code, const struct ab_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vset(e, code, loc, fmt, ap);
	va_end(ap);
	return r;
}

int ab_err_set(struct ab_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vset(e, code, NULL, fmt, ap);
	va_end(ap);
	return r;
}

void ab_err_note(struct ab_err *e, const char *fmt, ...)
{
	if (!e)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (e->notes.len)
		ab_buf_addc(&e->notes, '\n');
	ab_buf_vaddf(&e->notes, fmt, ap);
	va_end(ap);
}

void ab_err_locate(struct ab_err *e, const char *file, unsigned line, unsigned col_offset)
{
	if (!e || !e->code || e->file)
		return;
	e->file = file ? ab_xstrdup(file) : NULL;
	if (!e->line) {
		e->line = line;
		if (e->col)
			e->col += col_offset;
	}
}

void ab_err_format(const struct ab_err *e, struct ab_buf *out)
{
	if (e->file) {
		ab_buf_adds(out, e->file);
		if (e->line) {
			ab_buf_addf(out, ":%u", e->line);
			if (e->col)
				ab_buf_addf(out, ":%u", e->col);
		}
		ab_buf_adds(out, ": ");
	}
	ab_buf_adds(out, "error: ");
	ab_buf_addstr(out, ab_buf_str(&e->msg));
}
