/* options.c - parse argv and write --help from one option table. */
#include "cli/options.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/suggest.h"

static const struct cli_option help_opt = { "help", 'h', OPT_BOOL, 0, NULL,
					    "show this help and exit", NULL, NULL };

static void *field(void *dest, const struct cli_option *o)
{
	return (char *)dest + o->offset;
}

static int usage(struct ab_err *err, const char *fmt, const char *arg)
{
	return ab_err_set(err, AB_E_USAGE, fmt, arg);
}

static int set_value(const struct cli_option *o, void *dest, const char *val, struct ab_err *err)
{
	if (o->choices) {
		size_t n = 0;
		while (o->choices[n])
			n++;
		bool ok = false;
		for (size_t i = 0; i < n; i++)
			ok = ok || strcmp(val, o->choices[i]) == 0;
		if (!ok) {
			int r = ab_err_set(err, AB_E_USAGE, "invalid value '%s' for '--%s'", val,
					   o->name);
			const char *hint = suggest_closest(ab_str_from(val), o->choices, n);
			struct ab_buf b = AB_BUF_INIT;
			for (size_t i = 0; i < n; i++)
				ab_buf_addf(&b, "%s'%s'", i ? ", " : "", o->choices[i]);
			if (hint)
				ab_err_note(err, "did you mean '%s'?", hint);
			else
				ab_err_note(err, "expected one of %s", b.buf);
			ab_buf_release(&b);
			return r;
		}
	}
	if (o->kind == OPT_LIST) {
		struct opt_list *l = field(dest, o);
		l->v = ab_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = val;
		return 0;
	}
	*(const char **)field(dest, o) = val;
	return 0;
}

static bool takes_value(const struct cli_option *o)
{
	return o->kind == OPT_STRING || o->kind == OPT_LIST;
}

/* OPT_LIST has no implicit value: --find-links alone always needs one */
static const char *implicit_value(const struct cli_option *o)
{
	return o->kind == OPT_STRING ? o->implicit : NULL;
}

static void flag(const struct cli_option *o, void *dest)
{
	if (o->kind == OPT_COUNT)
		(*(int *)field(dest, o))++;
	else
		*(bool *)field(dest, o) = true;
}

static int unknown_long(const struct cli_option *opts, const char *arg, size_t len,
			struct ab_err *err)
{
	const char *names[64];
	size_t n = 0;
	names[n++] = "help";
	for (const struct cli_option *o = opts; o->name && n < AB_ARRAY_SIZE(names); o++)
		names[n++] = o->name;
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "--%.*s", (int)len, arg);
	int r = usage(err, "unknown option '%s'", b.buf);
	const char *hint = suggest_closest(ab_str_make(arg, len), names, n);
	if (hint)
		ab_err_note(err, "did you mean '--%s'?", hint);
	ab_buf_release(&b);
	return r;
}

/* "--name", "--name=value", "--name value" */
static int long_opt(const struct cli_option *opts, void *dest, char *arg, int *i, int argc,
		    char **argv, struct ab_err *err)
{
	char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	if (len == 4 && strncmp(arg, "help", 4) == 0)
		return 1;
	const struct cli_option *o = opts;
	for (; o->name; o++)
		if (strlen(o->name) == len && strncmp(arg, o->name, len) == 0)
			break;
	if (!o->name)
		return unknown_long(opts, arg, len, err);
	if (!takes_value(o)) {
		if (eq)
			return usage(err, "option '--%s' takes no value", o->name);
		flag(o, dest);
		return 0;
	}
	if (eq)
		return set_value(o, dest, eq + 1, err);
	if (implicit_value(o))
		return set_value(o, dest, implicit_value(o), err);
	if (*i + 1 >= argc)
		return usage(err, "option '--%s' needs a value", o->name);
	return set_value(o, dest, argv[++*i], err);
}

/* "-q", "-qv", "-oFILE", "-o FILE" */
static int short_opts(const struct cli_option *opts, void *dest, char *arg, int *i, int argc,
		      char **argv, struct ab_err *err)
{
	for (char *p = arg; *p; p++) {
		if (*p == 'h')
			return 1;
		const struct cli_option *o = opts;
		while (o->name && o->short_name != *p)
			o++;
		if (!o->name) {
			char s[3] = { '-', *p, 0 };
			return usage(err, "unknown option '%s'", s);
		}
		if (!takes_value(o)) {
			flag(o, dest);
			continue;
		}
		if (p[1])
			return set_value(o, dest, p + 1, err);
		if (implicit_value(o))
			return set_value(o, dest, implicit_value(o), err);
		if (*i + 1 >= argc)
			return usage(err, "option '--%s' needs a value", o->name);
		return set_value(o, dest, argv[++*i], err);
	}
	return 0;
}

int options_parse(const struct cli_option *opts, void *dest, int argc, char **argv, unsigned flags,
		  int *nargs, struct ab_err *err)
{
	int n = 0;
	int r = 0;
	int i = 0;
	for (; i < argc; i++) {
		char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			if (flags & OPTIONS_STOP_AT_ARG)
				break;
			argv[n++] = arg; /* n <= i: never overwrites an unread argument */
			continue;
		}
		r = arg[1] == '-' ? long_opt(opts, dest, arg + 2, &i, argc, argv, err)
				  : short_opts(opts, dest, arg + 1, &i, argc, argv, err);
		if (r != 0)
			return r;
	}
	for (; i < argc; i++)
		argv[n++] = argv[i];
	*nargs = n;
	return 0;
}

void options_release(const struct cli_option *opts, void *dest)
{
	for (const struct cli_option *o = opts; o->name; o++) {
		if (o->kind != OPT_LIST)
			continue;
		struct opt_list *l = field(dest, o);
		free(l->v);
		l->v = NULL;
		l->n = 0;
	}
}

/* "  -o, --out FILE" */
static void help_head(const struct cli_option *o, struct ab_buf *out)
{
	ab_buf_adds(out, "  ");
	if (o->short_name)
		ab_buf_addf(out, "-%c, ", o->short_name);
	else
		ab_buf_adds(out, "    ");
	ab_buf_addf(out, "--%s", o->name);
	if (takes_value(o))
		ab_buf_addf(out, implicit_value(o) ? "[=%s]" : " %s",
			    o->argname ? o->argname : "VALUE");
}

/* the help texts start in one column: 28, or further right when an
 * option's head is longer, so that at least two spaces separate them */
static void help_line(const struct cli_option *o, size_t col, struct ab_buf *out)
{
	size_t start = out->len;
	help_head(o, out);
	size_t w = out->len - start;
	ab_buf_addf(out, "%*s%s%s\n", (int)(col - w), "", o->help,
		    o->kind == OPT_LIST ? " (repeatable)" : "");
}

void options_help(const struct cli_option *opts, struct ab_buf *out)
{
	struct ab_buf head = AB_BUF_INIT;
	size_t col = 28;
	for (const struct cli_option *o = opts; o->name; o++) {
		ab_buf_reset(&head);
		help_head(o, &head);
		if (head.len + 2 > col)
			col = head.len + 2;
	}
	ab_buf_release(&head);
	ab_buf_adds(out, "Options:\n");
	help_line(&help_opt, col, out);
	for (const struct cli_option *o = opts; o->name; o++)
		help_line(o, col, out);
}
