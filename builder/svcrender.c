/* svcrender.c - supervisord.conf, circus.ini and systemd units from the
 * process definitions (issue #8).
 *
 * Quoting follows each reader, not a generic "ini" idea:
 * - systemd (systemd.syntax(7), systemd.service(7) "Command lines"): words
 *   are split on blanks, "..." groups with C escapes, `%` is a specifier
 *   (`%%`), `$`/`${}` expand in ExecStart= (`$$`); Environment= is one quoted
 *   word per variable, no `$` expansion; WorkingDirectory= is taken raw.
 * - supervisord 4 (supervisor/options.py): RawConfigParser with inline
 *   comments `;` and `#` after any whitespace, then `%(x)s` expansion of every
 *   value (`%%`), then command= is shlex.split (POSIX) and environment= a
 *   non-POSIX shlex of KEY=value pairs whose values lose leading and trailing
 *   quote characters (dict_of_key_value_pairs).
 * - circus (circus/util.py, config.py): ConfigParser with interpolation
 *   (`%%`), `;` after whitespace is a comment, `$(circus.x)`/`((circus.x))`
 *   are substituted in every value, cmd= and args= are shlex.split (POSIX),
 *   [env:x] values are stripped and `$NAME` (upper case) is replaced from
 *   circusd's environment.
 * Where a value cannot be written so that the reader gets it back exactly,
 * rendering fails instead of writing something else. */
#include "builder/svcrender.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/lock.h"
#include "formats/core/mem.h"
#include "formats/core/unicode.h"
#include "templates/templates.h"

#define SEC INT64_C(1000000000)

/* The file skeletons are templates/NAME.in, embedded at build time
 * (templates/templates.h), or the same names in opts->template_dir (an
 * app's own, as cli/cmd_bundle.c does for the bundle's templates); this
 * file fills in their @NAME@ placeholders. */
struct var {
	const char *name;
	struct ab_buf value;
};

/* What is being rendered, for error messages. */
struct ctx {
	const struct svcrender_opts *o;
	const char *tool;
	char *run; /* resolved run directory (supervisord, circus) */
	struct ab_err *err;
};

const char *svcrender_kind_name(enum svcrender_kind k)
{
	static const char *const names[] = { "supervisord", "circus", "systemd" };
	return (size_t)k < AB_ARRAY_SIZE(names) ? names[k] : "?";
}

void svcrender_files_release(struct svcrender_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		ab_buf_release(&f->v[i].text);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

static struct ab_buf *add_file(struct svcrender_files *f, const char *fmt_name, const char *a,
			       const char *b)
{
	AB_GROW(f->v, f->cap, f->n + 1);
	struct svcrender_file *file = &f->v[f->n++];
	struct ab_buf name = AB_BUF_INIT;
	ab_buf_addf(&name, fmt_name, a, b);
	file->name = ab_buf_detach(&name);
	file->text = (struct ab_buf)AB_BUF_INIT;
	return &file->text;
}

/* ---- checks ---- */

static bool in_set(char c, const char *set)
{
	return c && strchr(set, c) != NULL;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool only_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!is_alnum(*s) && !in_set(*s, extra))
			return false;
	return true;
}

static int bad(struct ctx *c, const char *proc, const char *field, const char *why)
{
	if (proc)
		return ab_err_set(c->err, AB_E_INVALID, "cannot render process '%s' for %s: %s %s",
				  proc, c->tool, field, why);
	return ab_err_set(c->err, AB_E_INVALID, "cannot render for %s: %s %s", c->tool, field, why);
}

/* Every format is line based and UTF-8: no control character can be
 * quoted in all of them, so none is accepted anywhere. */
static int check_text(struct ctx *c, const char *proc, const char *field, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n')
			return bad(c, proc, field, "holds a newline");
		if (ch < 0x20 || ch == 0x7f)
			return bad(c, proc, field, "holds a control character");
		uint32_t cp;
		size_t len = ab_utf8_decode(s + i, n - i, &cp);
		if (len == 0)
			return bad(c, proc, field, "is not valid UTF-8");
		if (cp >= 0x80 && cp < 0xa0)
			return bad(c, proc, field, "holds a control character");
		i += len;
	}
	return 0;
}

/* A byte Python's str.isspace() may count as whitespace once decoded: the
 * ASCII blanks and anything non-ASCII (U+0085, U+00A0, U+2000.., ...). */
static bool maybe_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch >= 0x80;
}

/* configparser inline comments: `;` (circus, supervisord) or `#`
 * (supervisord) right after whitespace ends the value. */
static bool has_inline_comment(const char *s)
{
	for (size_t i = 1; s[i]; i++)
		if ((s[i] == ';' || s[i] == '#') && maybe_space((unsigned char)s[i - 1]))
			return true;
	return false;
}

static bool has_circus_var(const char *s)
{
	for (; *s; s++)
		if ((!strncasecmp(s, "$(circus.", 9)) || !strncasecmp(s, "((circus.", 9))
			return true;
	return false;
}

/* ---- small formatting helpers ---- */

/* Seconds with at most millisecond precision: "10", "1.5", "0.125". */
static void add_secs(struct ab_buf *b, int64_t ns)
{
	int64_t ms = (ns + 999999) / 1000000;
	ab_buf_addf(b, "%lld", (long long)(ms / 1000));
	if (ms % 1000) {
		char frac[8];
		snprintf(frac, sizeof(frac), "%03lld", (long long)(ms % 1000));
		size_t n = strlen(frac);
		while (n > 0 && frac[n - 1] == '0')
			n--;
		ab_buf_addf(b, ".%.*s", (int)n, frac);
	}
}

static long ceil_secs(int64_t ns)
{
	return (long)((ns + SEC - 1) / SEC);
}

/* The signal as "TERM", or its number when it has no name. */
static void add_signal(struct ab_buf *b, int sig, const char *prefix)
{
	const char *name = supconf_signal_name(sig);
	if (strcmp(name, "?") == 0)
		ab_buf_addf(b, "%d", sig);
	else
		ab_buf_addf(b, "%s%s", prefix, name);
}

/* `s` with every `%` doubled (supervisord's and circus's %-expansion,
 * systemd's specifiers). */
static void add_pct(struct ab_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '%')
			ab_buf_addc(b, '%');
		ab_buf_addc(b, *s);
	}
}

/* ---- templates ---- */

static const struct template_file *find_template(const char *name)
{
	for (const struct template_file *t = templates_embedded; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* opts->template_dir/NAME into *out: 1 when read, 0 when there is none,
 * or -AB_E_IO. */
static int read_own_template(struct ctx *c, const char *name, struct ab_buf *out)
{
	if (!c->o->template_dir)
		return 0;
	struct ab_buf path = AB_BUF_INIT;
	ab_buf_addf(&path, "%s/%s", c->o->template_dir, name);
	int r = 1;
	FILE *f = fopen(path.buf, "rb");
	if (!f) {
		r = errno == ENOENT ? 0
				    : ab_err_set(c->err, AB_E_IO, "cannot read '%s': %s", path.buf,
						 strerror(errno));
		goto out;
	}
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ab_buf_add(out, chunk, n);
	if (ferror(f))
		r = ab_err_set(c->err, AB_E_IO, "cannot read '%s': %s", path.buf, strerror(errno));
	fclose(f);
out:
	ab_buf_release(&path);
	return r;
}

static struct ab_buf *var(struct var *vars, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(vars[i].name, name) == 0)
			return &vars[i].value;
	return NULL;
}

static void vars_release(struct var *vars, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ab_buf_release(&vars[i].value);
}

/* Append template `name` with each @NAME@ of `vars` replaced by its value
 * (inserted as is, never scanned again); other text, unknown @WORDS@
 * included, is copied. A placeholder alone on its line stands for zero or
 * more whole lines: an empty value removes the line. */
static int expand(struct ctx *c, struct ab_buf *out, const char *name, struct var *vars,
		  size_t nvars)
{
	struct ab_buf own = AB_BUF_INIT;
	const char *data;
	size_t len;
	int r = read_own_template(c, name, &own);
	if (r < 0)
		return r;
	if (r > 0) {
		data = own.buf;
		len = own.len;
	} else {
		const struct template_file *t = find_template(name);
		if (!t)
			return ab_err_set(c->err, AB_E_INTERNAL, "template '%s' is not built in",
					  name);
		data = t->data;
		len = t->len;
	}
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *at = memchr(p, '@', (size_t)(end - p));
		if (!at) {
			ab_buf_add(out, p, (size_t)(end - p));
			break;
		}
		ab_buf_add(out, p, (size_t)(at - p));
		const char *q = at + 1;
		while (q < end && ((*q >= 'A' && *q <= 'Z') || *q == '_'))
			q++;
		char key[32];
		struct ab_buf *v = NULL;
		if (q < end && *q == '@' && q > at + 1 && (size_t)(q - at - 1) < sizeof(key)) {
			memcpy(key, at + 1, (size_t)(q - at - 1));
			key[q - at - 1] = 0;
			v = var(vars, nvars, key);
		}
		if (!v) {
			ab_buf_addc(out, '@');
			p = at + 1;
			continue;
		}
		p = q + 1;
		bool alone = (at == data || at[-1] == '\n') && (p == end || *p == '\n');
		ab_buf_add(out, v->buf, v->len);
		if (alone) {
			if (v->len > 0 && v->buf[v->len - 1] != '\n')
				ab_buf_addc(out, '\n');
			if (p < end)
				p++;
		}
	}
	ab_buf_release(&own);
	return 0;
}

/* ---- process fields shared by all formats ---- */

/* The working directory: absolute as given, relative under ROOT, or ROOT. */
static char *workdir(const struct ctx *c, const struct supconf_proc *p)
{
	struct ab_buf b = AB_BUF_INIT;
	if (!p->directory || !p->directory[0])
		ab_buf_adds(&b, c->o->root);
	else if (p->directory[0] == '/')
		ab_buf_adds(&b, p->directory);
	else
		ab_buf_addf(&b, "%s/%s", c->o->root, p->directory);
	return ab_buf_detach(&b);
}

/* argv[0]: a relative path with a slash is made absolute against the
 * working directory, the way the built-in supervisor (which execs after
 * chdir) finds it; systemd and supervisord would not. A bare name is left
 * to each supervisor's PATH lookup. */
static char *program(const struct supconf_proc *p, const char *wd)
{
	const char *a0 = p->argv[0];
	if (a0[0] == '/' || !strchr(a0, '/'))
		return ab_xstrdup(a0);
	while (a0[0] == '.' && a0[1] == '/')
		a0 += 2;
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "%s/%s", wd, a0);
	return ab_buf_detach(&b);
}

/* A path that starts at the root, or at the root's placeholder (which the
 * launcher replaces by an absolute path). */
static bool is_absolute(const struct ctx *c, const char *path)
{
	size_t n = strlen(c->o->root);
	return path[0] == '/' ||
	       (strncmp(path, c->o->root, n) == 0 && (path[n] == '/' || path[n] == 0));
}

static bool env_name_ok(const char *s)
{
	if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
		return false;
	return only_chars(s, "_");
}

/* Checks every string of `p` for the common rules, and the directory for
 * the format's own. */
static int check_proc(struct ctx *c, const struct supconf_proc *p, const char *wd)
{
	if (!p->name || !p->name[0] || strlen(p->name) > 64 || !only_chars(p->name, "_-"))
		return bad(c, p->name ? p->name : "?", "name", "is not [A-Za-z0-9_-]{1,64}");
	if (p->argc < 1 || !p->argv || !p->argv[0] || !p->argv[0][0])
		return bad(c, p->name, "command", "is empty");
	struct ab_buf field = AB_BUF_INIT;
	int r = 0;
	for (size_t i = 0; i < p->argc && r == 0; i++) {
		ab_buf_reset(&field);
		ab_buf_addf(&field, "argument %zu of the command", i);
		r = check_text(c, p->name, field.buf, p->argv[i]);
		if (r == 0 && c->o->kind == SVCRENDER_CIRCUS && has_circus_var(p->argv[i]))
			r = bad(c, p->name, field.buf,
				"holds a circus variable '$(circus.' or "
				"'((circus.'");
	}
	for (size_t i = 0; i < p->nenv && r == 0; i++) {
		const struct supconf_env *e = &p->env[i];
		ab_buf_reset(&field);
		ab_buf_addf(&field, "environment variable '%s'", e->name);
		if (!env_name_ok(e->name))
			r = bad(c, p->name, field.buf, "is not a valid name");
		else if (e->value)
			r = check_text(c, p->name, field.buf, e->value);
	}
	if (r == 0)
		r = check_text(c, p->name, "directory", wd);
	if (r == 0) {
		size_t n = strlen(wd);
		if (!is_absolute(c, wd))
			r = bad(c, p->name, "directory", "is not absolute");
		else if (wd[n - 1] == ' ' || wd[n - 1] == '\t' || wd[n - 1] == '\\')
			r = bad(c, p->name, "directory", "ends with a blank or a backslash");
		else if (c->o->kind != SVCRENDER_SYSTEMD && has_inline_comment(wd))
			r = bad(c, p->name, "directory",
				"holds ';' or '#' after a blank (a comment)");
		else if (c->o->kind == SVCRENDER_CIRCUS && has_circus_var(wd))
			r = bad(c, p->name, "directory", "holds a circus variable");
	}
	ab_buf_release(&field);
	return r;
}

/* ---- systemd ---- */

/* One word of a command line (systemd.service(7) "Command lines"): bare
 * when it holds only characters that need nothing but `%%`/`$$`, else in
 * double quotes with `\\` and `\"` (C escapes are honoured inside quotes). */
static void sd_word(struct ab_buf *b, const char *s)
{
	bool plain = s[0] && only_chars(s, "_@+=:,./-%$");
	if (!plain)
		ab_buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '%' || *s == '$')
			ab_buf_addc(b, *s);
		else if (*s == '\\' || *s == '"')
			ab_buf_addc(b, '\\');
		ab_buf_addc(b, *s);
	}
	if (!plain)
		ab_buf_addc(b, '"');
}

/* Environment="NAME=value": one quoted word; `%` is a specifier, `$` is not
 * expanded here. */
static void sd_env(struct ab_buf *b, const char *name, const char *value)
{
	ab_buf_addf(b, "Environment=\"%s=", name);
	for (const char *s = value; *s; s++) {
		if (*s == '%')
			ab_buf_addc(b, '%');
		else if (*s == '\\' || *s == '"')
			ab_buf_addc(b, '\\');
		ab_buf_addc(b, *s);
	}
	ab_buf_adds(b, "\"\n");
}

/* The unit names of process `p`, blank-separated: APP-P.service, or
 * APP-P@0.service .. APP-P@N-1.service. */
static void sd_units(struct ab_buf *b, const char *app, const struct supconf_proc *p)
{
	if (p->instances == 1) {
		ab_buf_addf(b, "%s-%s.service", app, p->name);
		return;
	}
	for (long i = 0; i < p->instances; i++)
		ab_buf_addf(b, "%s%s-%s@%ld.service", i ? " " : "", app, p->name, i);
}

enum {
	SD_UNIT,
	SD_APP,
	SD_DESCRIPTION,
	SD_AFTER,
	SD_FLAP_WINDOW,
	SD_FLAP_RESTARTS,
	SD_EXEC_START,
	SD_EXEC_START_POST,
	SD_DIRECTORY,
	SD_ENVIRONMENT,
	SD_USER,
	SD_RESTART,
	SD_RESTART_SEC,
	SD_KILL_SIGNAL,
	SD_STOP_TIMEOUT,
	SD_WANTS,
	SD_NVARS
};

static const char *const sd_names[SD_NVARS] = {
	"UNIT",	       "APP",		"DESCRIPTION",	"AFTER",
	"FLAP_WINDOW", "FLAP_RESTARTS", "EXEC_START",	"EXEC_START_POST",
	"DIRECTORY",   "ENVIRONMENT",	"USER",		"RESTART",
	"RESTART_SEC", "KILL_SIGNAL",	"STOP_TIMEOUT", "WANTS",
};

static void vars_init(struct var *vars, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vars[i] = (struct var){ names[i], AB_BUF_INIT };
}

static void vars_reset(struct var *vars, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ab_buf_reset(&vars[i].value);
}

static void sd_fill(struct ctx *c, struct var *v, const struct supconf_proc *p,
		    const struct supconf_proc *prev, const char *wd, const char *prog)
{
	const char *app = c->o->app;
	bool tmpl = p->instances != 1;
	ab_buf_addf(&v[SD_UNIT].value, tmpl ? "%s-%s@.service" : "%s-%s.service", app, p->name);
	ab_buf_addf(&v[SD_DESCRIPTION].value, "%s: %s%s", app, p->name, tmpl ? ".%i" : "");
	if (prev) {
		/* file order: started after the previous process, stopped before it */
		ab_buf_adds(&v[SD_AFTER].value, "After=");
		sd_units(&v[SD_AFTER].value, app, prev);
	}
	/* flapping: more than `restarts` starts within the window -> failed */
	add_secs(&v[SD_FLAP_WINDOW].value, p->flap_window_ns);
	ab_buf_addf(&v[SD_FLAP_RESTARTS].value, "%ld", p->flap_restarts);
	struct ab_buf *b = &v[SD_EXEC_START].value;
	sd_word(b, prog);
	for (size_t i = 1; i < p->argc; i++) {
		ab_buf_addc(b, ' ');
		sd_word(b, p->argv[i]);
	}
	if (p->start_delay_ns > 0) {
		/* "up no sooner than this": units ordered after this one wait
		 * until ExecStartPost= is done */
		ab_buf_adds(&v[SD_EXEC_START_POST].value, "ExecStartPost=/bin/sleep ");
		add_secs(&v[SD_EXEC_START_POST].value, p->start_delay_ns);
	}
	add_pct(&v[SD_DIRECTORY].value, wd);
	/* what the built-in supervisor gives its children */
	b = &v[SD_ENVIRONMENT].value;
	sd_env(b, "SUPERVISOR_PROCESS", p->name);
	ab_buf_addf(b, "Environment=\"SUPERVISOR_INSTANCE=%s\"\n", tmpl ? "%i" : "0");
	for (size_t i = 0; i < p->nenv; i++) {
		if (p->env[i].value)
			sd_env(b, p->env[i].name, p->env[i].value);
		else
			ab_buf_addf(b, "UnsetEnvironment=%s\n", p->env[i].name);
	}
	if (c->o->user)
		ab_buf_addf(&v[SD_USER].value, "User=%s", c->o->user);
	if (c->o->group)
		ab_buf_addf(&v[SD_USER].value, "%sGroup=%s", c->o->user ? "\n" : "", c->o->group);
	static const char *const restart[] = { "always", "on-failure", "no" };
	ab_buf_adds(&v[SD_RESTART].value, (size_t)p->restart < 3 ? restart[p->restart] : "always");
	add_secs(&v[SD_RESTART_SEC].value, p->backoff_initial_ns);
	/* KillMode=control-group (the template): the stop signal, then SIGKILL,
	 * to every process of the unit, as the built-in supervisor does to the
	 * process group */
	add_signal(&v[SD_KILL_SIGNAL].value, p->stop_signal, "SIG");
	add_secs(&v[SD_STOP_TIMEOUT].value, p->stop_timeout_ns);
}

static int render_systemd(struct ctx *c, const struct supconf_proc *procs, size_t nprocs,
			  struct svcrender_files *out)
{
	const char *app = c->o->app;
	const struct supconf_proc *prev = NULL; /* the last process with instances */
	struct var v[SD_NVARS];
	vars_init(v, sd_names, SD_NVARS);
	ab_buf_adds(&v[SD_APP].value, app);
	int r = 0;
	for (size_t k = 0; k < nprocs && r == 0; k++) {
		const struct supconf_proc *p = &procs[k];
		char *wd = workdir(c, p);
		char *prog = program(p, wd);
		r = check_proc(c, p, wd);
		/* systemd reads prefixes (@-:+!|) off the first word after unquoting:
		 * quoting cannot protect them */
		if (r == 0 && !is_absolute(c, prog) && in_set(prog[0], "@-:+!|"))
			r = bad(c, p->name, "command", "starts with a systemd prefix character");
		if (r == 0) {
			vars_reset(v, SD_NVARS);
			ab_buf_adds(&v[SD_APP].value, app);
			sd_fill(c, v, p, prev, wd, prog);
			struct ab_buf *b = add_file(out, "%s%s", v[SD_UNIT].value.buf, "");
			r = expand(c, b, "systemd.service.in", v, SD_NVARS);
		}
		if (p->instances > 0)
			prev = p;
		free(wd);
		free(prog);
	}
	if (r == 0) {
		vars_reset(v, SD_NVARS);
		ab_buf_adds(&v[SD_APP].value, app);
		ab_buf_addf(&v[SD_UNIT].value, "%s.target", app);
		for (size_t k = 0; k < nprocs; k++) {
			if (procs[k].instances == 0)
				continue;
			ab_buf_adds(&v[SD_WANTS].value, "Wants=");
			sd_units(&v[SD_WANTS].value, app, &procs[k]);
			ab_buf_addc(&v[SD_WANTS].value, '\n');
		}
		struct ab_buf *t = add_file(out, "%s%s", v[SD_UNIT].value.buf, "");
		r = expand(c, t, "systemd.target.in", v, SD_NVARS);
	}
	vars_release(v, SD_NVARS);
	return r;
}

/* ---- supervisord and circus ---- */

/* One word for Python's shlex.split (POSIX), inside a configparser value
 * that is %-expanded: bare when safe, else single-quoted with `'` as
 * '"'"'. A `;` or `#` right after something configparser may take for
 * whitespace would start an inline comment: the quote is closed and
 * reopened ('') before it, which shlex joins back into one word. */
static void sh_word(struct ab_buf *b, const char *s)
{
	if (s[0] && only_chars(s, "_@+=:,./-%")) {
		add_pct(b, s);
		return;
	}
	ab_buf_addc(b, '\'');
	unsigned char last = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			ab_buf_adds(b, "'\"'\"'");
			last = '\'';
			continue;
		}
		if ((*s == ';' || *s == '#') && maybe_space(last))
			ab_buf_adds(b, "''");
		if (*s == '%')
			ab_buf_addc(b, '%');
		ab_buf_addc(b, *s);
		last = (unsigned char)*s;
	}
	ab_buf_addc(b, '\'');
}

/* A value of supervisord's environment=: its non-POSIX shlex has no
 * escapes, the value must sit in one pair of quotes, and the quotes (all
 * of them, .strip('\'"')) are removed after. */
static int sv_env_value(struct ctx *c, const struct supconf_proc *p, const char *name,
			const char *v, struct ab_buf *b)
{
	size_t n = strlen(v);
	bool dq = strchr(v, '"') != NULL, sq = strchr(v, '\'') != NULL;
	const char *why = NULL;
	if (dq && sq)
		why = "holds both kinds of quotes";
	else if (n > 0 && (in_set(v[0], "'\"") || in_set(v[n - 1], "'\"")))
		why = "begins or ends with a quote";
	else if (has_inline_comment(v))
		why = "holds ';' or '#' after a blank (a comment)";
	if (why) {
		struct ab_buf field = AB_BUF_INIT;
		ab_buf_addf(&field, "environment variable '%s'", name);
		int r = bad(c, p->name, field.buf, why);
		ab_buf_release(&field);
		return r;
	}
	char q = dq ? '\'' : '"';
	ab_buf_addf(b, "%s=%c", name, q);
	add_pct(b, v);
	ab_buf_addc(b, q);
	return 0;
}

static int cannot_unset(struct ctx *c, const struct supconf_proc *p, const char *name)
{
	return ab_err_set(c->err, AB_E_UNSUPPORTED,
			  "cannot render process '%s' for %s: it cannot unset environment "
			  "variable '%s'",
			  p->name, c->tool, name);
}

enum {
	SV_RUN,
	SV_PROGRAMS,
	SV_NAME,
	SV_COMMAND,
	SV_NUMPROCS,
	SV_PRIORITY,
	SV_AUTOSTART,
	SV_AUTORESTART,
	SV_STARTSECS,
	SV_STARTRETRIES,
	SV_STOPSIGNAL,
	SV_STOPWAITSECS,
	SV_DIRECTORY,
	SV_ENVIRONMENT,
	SV_USER,
	SV_NVARS
};

static const char *const sv_names[SV_NVARS] = {
	"RUN",	      "PROGRAMS",     "NAME",	     "COMMAND",	    "NUMPROCS",
	"PRIORITY",   "AUTOSTART",    "AUTORESTART", "STARTSECS",   "STARTRETRIES",
	"STOPSIGNAL", "STOPWAITSECS", "DIRECTORY",   "ENVIRONMENT", "USER",
};

static int sv_fill(struct ctx *c, struct var *v, const struct supconf_proc *p, size_t k,
		   size_t nprocs, const char *wd, const char *prog)
{
	ab_buf_adds(&v[SV_NAME].value, p->name);
	struct ab_buf *b = &v[SV_COMMAND].value;
	sh_word(b, prog);
	for (size_t i = 1; i < p->argc; i++) {
		ab_buf_addc(b, ' ');
		sh_word(b, p->argv[i]);
	}
	/* process_name NAME_N is the built-in supervisor's NAME.N with
	 * supervisord's process_num; 0 instances stay defined but never start */
	ab_buf_addf(&v[SV_NUMPROCS].value, "%ld", p->instances > 0 ? p->instances : 1);
	ab_buf_addf(&v[SV_PRIORITY].value, "%zu", k + 1);
	ab_buf_adds(&v[SV_AUTOSTART].value, p->instances > 0 ? "true" : "false");
	static const char *const restart[] = { "true", "unexpected", "false" };
	ab_buf_adds(&v[SV_AUTORESTART].value,
		    (size_t)p->restart < 3 ? restart[p->restart] : "true");
	/* startsecs: an exit sooner is a failed start (start_window), and the
	 * process is not up before start_delay */
	int64_t up =
		p->start_delay_ns > p->start_window_ns ? p->start_delay_ns : p->start_window_ns;
	ab_buf_addf(&v[SV_STARTSECS].value, "%ld", ceil_secs(up));
	ab_buf_addf(&v[SV_STARTRETRIES].value, "%ld", p->flap_restarts);
	add_signal(&v[SV_STOPSIGNAL].value, p->stop_signal, "");
	ab_buf_addf(&v[SV_STOPWAITSECS].value, "%ld", ceil_secs(p->stop_timeout_ns));
	add_pct(&v[SV_DIRECTORY].value, wd);
	b = &v[SV_ENVIRONMENT].value;
	ab_buf_addf(b, "SUPERVISOR_PROCESS=\"%s\",SUPERVISOR_INSTANCE=\"%%(process_num)d\"",
		    p->name);
	for (size_t i = 0; i < p->nenv; i++) {
		if (!p->env[i].value)
			return cannot_unset(c, p, p->env[i].name);
		ab_buf_addc(b, ',');
		int r = sv_env_value(c, p, p->env[i].name, p->env[i].value, b);
		if (r < 0)
			return r;
	}
	if (c->o->user)
		ab_buf_addf(&v[SV_USER].value, "user=%s", c->o->user);
	return 0;
}

/* A value of a circus [env:x] section: taken raw (stripped), with `$NAME`
 * replaced from circusd's environment and no way to escape either. */
static int circus_env_value(struct ctx *c, const struct supconf_proc *p, const char *name,
			    const char *v, struct ab_buf *b)
{
	size_t n = strlen(v);
	const char *why = NULL;
	if (n > 0 && (maybe_space((unsigned char)v[0]) || maybe_space((unsigned char)v[n - 1])))
		why = "begins or ends with a blank";
	else if (has_inline_comment(v))
		why = "holds ';' or '#' after a blank (a comment)";
	else if (has_circus_var(v))
		why = "holds a circus variable";
	for (size_t i = 0; !why && i + 1 < n; i++)
		if (v[i] == '$' && v[i + 1] >= 'A' && v[i + 1] <= 'Z')
			why = "holds '$' before a capital letter (circus expands it)";
	if (why) {
		struct ab_buf field = AB_BUF_INIT;
		ab_buf_addf(&field, "environment variable '%s'", name);
		int r = bad(c, p->name, field.buf, why);
		ab_buf_release(&field);
		return r;
	}
	ab_buf_addf(b, "%s = ", name);
	add_pct(b, v);
	ab_buf_addc(b, '\n');
	return 0;
}

enum {
	CI_RUN,
	CI_WATCHERS,
	CI_NAME,
	CI_CMD,
	CI_ARGS,
	CI_NUMPROCESSES,
	CI_PRIORITY,
	CI_DIRECTORY,
	CI_STOP_SIGNAL,
	CI_STOP_TIMEOUT,
	CI_RESPAWN,
	CI_MAX_RETRY,
	CI_WARMUP_DELAY,
	CI_UID,
	CI_ENVIRONMENT,
	CI_NVARS
};

static const char *const ci_names[CI_NVARS] = {
	"RUN",		"WATCHERS",  "NAME",	     "CMD",	    "ARGS",
	"NUMPROCESSES", "PRIORITY",  "DIRECTORY",    "STOP_SIGNAL", "STOP_TIMEOUT",
	"RESPAWN",	"MAX_RETRY", "WARMUP_DELAY", "UID",	    "ENVIRONMENT",
};

static int ci_fill(struct ctx *c, struct var *v, const struct supconf_proc *p, size_t k,
		   size_t nprocs, const char *wd, const char *prog)
{
	ab_buf_adds(&v[CI_NAME].value, p->name);
	sh_word(&v[CI_CMD].value, prog);
	if (p->argc > 1) {
		ab_buf_adds(&v[CI_ARGS].value, "args =");
		for (size_t i = 1; i < p->argc; i++) {
			ab_buf_addc(&v[CI_ARGS].value, ' ');
			sh_word(&v[CI_ARGS].value, p->argv[i]);
		}
	}
	ab_buf_addf(&v[CI_NUMPROCESSES].value, "%ld", p->instances);
	/* circus sorts watchers by priority, highest first: file order */
	ab_buf_addf(&v[CI_PRIORITY].value, "%zu", nprocs - k);
	add_pct(&v[CI_DIRECTORY].value, wd);
	/* copy_env (the template): the built-in supervisor passes its
	 * environment on, circus only with it; stop_children: the stop signal
	 * reaches the children too */
	add_signal(&v[CI_STOP_SIGNAL].value, p->stop_signal, "");
	add_secs(&v[CI_STOP_TIMEOUT].value, p->stop_timeout_ns);
	/* circus restarts after any exit: on-failure becomes always */
	ab_buf_adds(&v[CI_RESPAWN].value, p->restart == SUPCONF_RESTART_NEVER ? "false" : "true");
	ab_buf_addf(&v[CI_MAX_RETRY].value, "%ld", p->flap_restarts);
	if (p->start_delay_ns > 0) {
		/* the nearest circus has: a pause after each process it starts */
		ab_buf_adds(&v[CI_WARMUP_DELAY].value, "warmup_delay = ");
		add_secs(&v[CI_WARMUP_DELAY].value, p->start_delay_ns);
	}
	if (c->o->user)
		ab_buf_addf(&v[CI_UID].value, "uid = %s", c->o->user);
	if (c->o->group)
		ab_buf_addf(&v[CI_UID].value, "%sgid = %s", c->o->user ? "\n" : "", c->o->group);
	/* NEEDSWORK(#8): SUPERVISOR_INSTANCE: circus substitutes
	 * $(circus.wid) (1-based) in cmd/args, not in [env:x]. */
	for (size_t i = 0; i < p->nenv; i++) {
		if (!p->env[i].value)
			return cannot_unset(c, p, p->env[i].name);
		int r = circus_env_value(c, p, p->env[i].name, p->env[i].value,
					 &v[CI_ENVIRONMENT].value);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The supervisord and circus files have one shape: a section per process
 * (ITEM_TPL, filled by `fill`) gathered in the variable at index 1, then
 * the file (FILE_TPL) around them; index 0 is the run directory, and the
 * per-process variables start at 2. */
struct ini_format {
	const char *const *names;
	size_t nvars;
	int (*fill)(struct ctx *c, struct var *v, const struct supconf_proc *p, size_t k,
		    size_t nprocs, const char *wd, const char *prog);
	const char *item_tpl, *file, *file_tpl;
};

_Static_assert(SV_RUN == 0 && SV_PROGRAMS == 1 && SV_NAME == 2, "ini_format layout");
_Static_assert(CI_RUN == 0 && CI_WATCHERS == 1 && CI_NAME == 2, "ini_format layout");

static const struct ini_format supervisord_format = {
	sv_names, SV_NVARS, sv_fill, "supervisord-program.conf.in", "supervisord.conf",
	"supervisord.conf.in",
};

static const struct ini_format circus_format = {
	ci_names, CI_NVARS, ci_fill, "circus-watcher.ini.in", "circus.ini", "circus.ini.in",
};

static int render_ini(struct ctx *c, const struct ini_format *f,
		      const struct supconf_proc *procs, size_t nprocs,
		      struct svcrender_files *out)
{
	struct var v[SV_NVARS + CI_NVARS]; /* room for either */
	vars_init(v, f->names, f->nvars);
	ab_buf_adds(&v[0].value, c->run);
	int r = 0;
	for (size_t k = 0; k < nprocs && r == 0; k++) {
		const struct supconf_proc *p = &procs[k];
		char *wd = workdir(c, p);
		char *prog = program(p, wd);
		r = check_proc(c, p, wd);
		if (r == 0) {
			vars_reset(v + 2, f->nvars - 2);
			r = f->fill(c, v, p, k, nprocs, wd, prog);
		}
		if (r == 0)
			r = expand(c, &v[1].value, f->item_tpl, v, f->nvars);
		free(wd);
		free(prog);
	}
	if (r == 0) {
		struct ab_buf *file = add_file(out, "%s%s", f->file, "");
		r = expand(c, file, f->file_tpl, v, f->nvars);
	}
	vars_release(v, f->nvars);
	return r;
}

/* ---- entry points ---- */

static bool path_chars_ok(const char *s)
{
	return s[0] && only_chars(s, "_@/.+-");
}

/* An absolute path, or a placeholder @NAME@ */
static bool root_ok(const char *s)
{
	size_t n = strlen(s);
	if (!path_chars_ok(s))
		return false;
	if (s[0] == '/')
		return true;
	return n >= 3 && s[0] == '@' && s[n - 1] == '@' && !strchr(s + 1, '/') &&
	       !memchr(s + 1, '@', n - 2);
}

int svcrender_render(const struct svcrender_opts *o, const struct supconf_proc *procs,
		     size_t nprocs, struct svcrender_files *out, struct ab_err *err)
{
	struct ctx c = { o, svcrender_kind_name(o->kind), NULL, err };
	if ((size_t)o->kind > SVCRENDER_SYSTEMD)
		return ab_err_set(err, AB_E_INVALID, "unknown supervisor kind %d", (int)o->kind);
	if (!o->app || strlen(o->app) > 64 || !o->app[0] || !only_chars(o->app, "._-"))
		return bad(&c, NULL, "app name", "is not [A-Za-z0-9._-]{1,64}");
	if (!o->root || !root_ok(o->root))
		return bad(&c, NULL, "bundle root",
			   "is neither an absolute path of "
			   "[A-Za-z0-9_@/.+-] nor a placeholder @NAME@");
	if (o->run_dir && !path_chars_ok(o->run_dir))
		return bad(&c, NULL, "run directory", "is not made of [A-Za-z0-9_@/.+-]");
	if (o->user && (!o->user[0] || strlen(o->user) > 32 || !only_chars(o->user, "_.-") ||
			o->user[0] == '-' || o->user[0] == '.'))
		return bad(&c, NULL, "user", "is not a valid user name");
	if (o->group && (!o->group[0] || strlen(o->group) > 32 || !only_chars(o->group, "_.-") ||
			 o->group[0] == '-' || o->group[0] == '.'))
		return bad(&c, NULL, "group", "is not a valid group name");
	/* supervisord's user= switches to that user's primary group; it has
	 * no setting for another one */
	if (o->group && o->kind == SVCRENDER_SUPERVISORD)
		return ab_err_set(err, AB_E_UNSUPPORTED,
				  "cannot render for supervisord: it cannot set a group");

	struct ab_buf run = AB_BUF_INIT;
	if (!o->run_dir)
		ab_buf_addf(&run, "%s/run", o->root);
	else if (o->run_dir[0] == '/')
		ab_buf_adds(&run, o->run_dir);
	else
		ab_buf_addf(&run, "%s/%s", o->root, o->run_dir);
	c.run = run.buf;

	/* render into a scratch list: *out is untouched on failure */
	struct svcrender_files tmp = SVCRENDER_FILES_INIT;
	int r;
	switch (o->kind) {
	case SVCRENDER_SUPERVISORD:
		r = render_ini(&c, &supervisord_format, procs, nprocs, &tmp);
		break;
	case SVCRENDER_CIRCUS:
		r = render_ini(&c, &circus_format, procs, nprocs, &tmp);
		break;
	default:
		r = render_systemd(&c, procs, nprocs, &tmp);
		break;
	}
	if (r == 0) {
		AB_GROW(out->v, out->cap, out->n + tmp.n);
		memcpy(out->v + out->n, tmp.v, tmp.n * sizeof(*tmp.v));
		out->n += tmp.n;
		free(tmp.v);
	} else {
		svcrender_files_release(&tmp);
	}
	ab_buf_release(&run);
	return r;
}

int svcrender_write(const struct svcrender_opts *o, const struct supconf_proc *procs, size_t nprocs,
		    const char *dir, struct ab_err *err)
{
	struct svcrender_files files = SVCRENDER_FILES_INIT;
	struct ab_buf path = AB_BUF_INIT;
	int r = svcrender_render(o, procs, nprocs, &files, err);
	for (size_t i = 0; i < files.n && r == 0; i++) {
		ab_buf_reset(&path);
		ab_buf_addf(&path, "%s/%s", dir, files.v[i].name);
		r = lock_write_file(path.buf, ab_buf_str(&files.v[i].text), err);
	}
	ab_buf_release(&path);
	svcrender_files_release(&files);
	return r;
}
