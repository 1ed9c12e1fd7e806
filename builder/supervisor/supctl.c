/* supctl.c - the control protocol's parser. It reads bytes from any local
 * process of the same user, so it is strict and bounded: no allocation, views
 * only, every byte checked (fuzzed by tests/fuzz/fuzz_supctl.c). */
#include "builder/supervisor/supctl.h"

#include "builder/supervisor/supconf.h"
#include "formats/core/mem.h"

static const char *const op_names[] = { "status", "stop",   "start",  "restart",
					"scale",  "signal", "reload" };

const char *supctl_op_name(enum supctl_op op)
{
	return (size_t)op < AB_ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

struct lex {
	struct ab_str line;
	size_t pos;
	struct ab_err *err;
};

static int fail(struct lex *lx, size_t at, const char *fmt, const char *arg)
{
	struct ab_loc loc = { NULL, 0, (unsigned)at + 1 };
	return ab_err_at(lx->err, AB_E_PARSE, &loc, fmt, arg);
}

/* The next word, or len 0 at the end of the line. */
static struct ab_str word(struct lex *lx, size_t *start)
{
	while (lx->pos < lx->line.len && (lx->line.ptr[lx->pos] == ' ' ||
					  lx->line.ptr[lx->pos] == '\t'))
		lx->pos++;
	*start = lx->pos;
	while (lx->pos < lx->line.len && lx->line.ptr[lx->pos] != ' ' &&
	       lx->line.ptr[lx->pos] != '\t')
		lx->pos++;
	return ab_str_make(lx->line.ptr + *start, lx->pos - *start);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Digits only, at most `max`; -1 otherwise. */
static long number(struct ab_str s, long max)
{
	long v = 0;
	if (s.len == 0 || s.len > 6)
		return -1;
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return -1;
		v = v * 10 + (s.ptr[i] - '0');
	}
	return v <= max ? v : -1;
}

/* NAME or NAME.N (allow_instance) into c->name/c->instance. */
static int target(struct lex *lx, struct ab_str w, size_t at, bool allow_instance,
		  struct supctl_cmd *c)
{
	size_t n = 0;
	while (n < w.len && name_char(w.ptr[n]))
		n++;
	if (n == 0 || n > 64)
		return fail(lx, at, "expected a process name%s", "");
	c->name = ab_str_make(w.ptr, n);
	c->instance = -1;
	if (n == w.len)
		return 0;
	if (!allow_instance || w.ptr[n] != '.')
		return fail(lx, at + n, "unexpected character in process name%s", "");
	long i = number(ab_str_skip(w, n + 1), SUPCONF_MAX_INSTANCES - 1);
	if (i < 0)
		return fail(lx, at + n + 1, "expected an instance number after '.'%s", "");
	c->instance = i;
	return 0;
}

int supctl_parse(struct ab_str line, struct supctl_cmd *out, struct ab_err *err)
{
	struct lex lx = { line, 0, err };
	*out = (struct supctl_cmd){ .instance = -1 };
	if (lx.line.len && lx.line.ptr[lx.line.len - 1] == '\r')
		lx.line.len--;
	if (lx.line.len > SUPCTL_MAX_LINE)
		return fail(&lx, SUPCTL_MAX_LINE, "line longer than %s bytes", "4096");
	for (size_t i = 0; i < lx.line.len; i++) {
		unsigned char ch = (unsigned char)lx.line.ptr[i];
		if ((ch < 0x20 && ch != '\t') || ch > 0x7e)
			return fail(&lx, i, "unexpected byte in command%s", "");
	}
	size_t at;
	struct ab_str w = word(&lx, &at);
	if (w.len == 0)
		return fail(&lx, at, "empty command%s", "");
	size_t op;
	for (op = 0; op < AB_ARRAY_SIZE(op_names); op++)
		if (ab_str_eq_cstr(w, op_names[op]))
			break;
	if (op == AB_ARRAY_SIZE(op_names)) {
		struct ab_loc loc = { NULL, 0, (unsigned)at + 1 };
		return ab_err_at(err, AB_E_PARSE, &loc, "unknown command '" AB_STR_FMT "'",
				 AB_STR_ARG(w.len > 32 ? ab_str_make(w.ptr, 32) : w));
	}
	out->op = (enum supctl_op)op;
	int r = 0;
	w = word(&lx, &at);
	switch (out->op) {
	case SUPCTL_STATUS:
		if (ab_str_eq_cstr(w, "--json")) {
			out->json = true;
			w = word(&lx, &at);
		}
		/* fall through */
	case SUPCTL_STOP:
	case SUPCTL_RESTART:
		if (w.len)
			r = target(&lx, w, at, true, out);
		break;
	case SUPCTL_START:
		if (w.len == 0)
			return fail(&lx, at, "'start' needs a process name%s", "");
		r = target(&lx, w, at, true, out);
		break;
	case SUPCTL_SCALE: {
		long eq = ab_str_chr(w, '=');
		if (w.len == 0 || eq < 0)
			return fail(&lx, at, "expected NAME=N after 'scale'%s", "");
		r = target(&lx, ab_str_make(w.ptr, (size_t)eq), at, false, out);
		if (r < 0)
			return r;
		out->count = number(ab_str_skip(w, (size_t)eq + 1), SUPCONF_MAX_INSTANCES);
		if (out->count < 0)
			return fail(&lx, at + (size_t)eq + 1, "expected a count from 0 to %s",
				    "10000");
		break;
	}
	case SUPCTL_SIGNAL:
		if (w.len == 0)
			return fail(&lx, at, "'signal' needs a process name%s", "");
		r = target(&lx, w, at, true, out);
		if (r < 0)
			return r;
		w = word(&lx, &at);
		if (w.len == 0)
			return fail(&lx, at, "'signal' needs a signal%s", "");
		out->sig = supconf_signal_parse(w);
		if (out->sig < 0)
			return fail(&lx, at, "unknown signal%s", "");
		break;
	case SUPCTL_RELOAD:
		if (w.len)
			return fail(&lx, at, "'reload' takes no argument%s", "");
		break;
	}
	if (r < 0)
		return r;
	w = word(&lx, &at);
	if (w.len)
		return fail(&lx, at, "unexpected argument%s", "");
	return 0;
}

void supctl_format(const struct supctl_cmd *c, struct ab_buf *out)
{
	ab_buf_adds(out, supctl_op_name(c->op));
	if (c->op == SUPCTL_STATUS && c->json)
		ab_buf_adds(out, " --json");
	if (c->name.len) {
		ab_buf_addf(out, " " AB_STR_FMT, AB_STR_ARG(c->name));
		if (c->instance >= 0)
			ab_buf_addf(out, ".%ld", c->instance);
	}
	if (c->op == SUPCTL_SCALE)
		ab_buf_addf(out, "=%ld", c->count);
	if (c->op == SUPCTL_SIGNAL)
		ab_buf_addf(out, " %d", c->sig);
}
