/* supconf.c - supervisor.yaml through libyaml's document API.
 *
 * Walked by hand like formats/appconfig.c, so that every error points at the
 * node that caused it; the walk never goes deeper than the schema, so alias
 * cycles cannot make it loop. Only libc, libyaml and formats/core: this file
 * is linked into the supervisor that ships inside every bundle. */
#include "builder/supervisor/supconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/yamldoc.h"

#define SEC INT64_C(1000000000)
/* A config file is written by hand or rendered; anything bigger is a mistake. */
#define MAX_CONFIG_BYTES (4 << 20)

struct walk {
	struct yamldoc *y;
	const char *base; /* directory relative paths resolve against; NULL: cwd */
};

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS },   { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
	{ "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU }, { "URG", SIGURG },   { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
	{ "PWR", SIGPWR },   { "SYS", SIGSYS },
};

int supconf_signal_parse(struct ab_str s)
{
	if (s.len >= 3 && memcmp(s.ptr, "SIG", 3) == 0)
		s = ab_str_skip(s, 3);
	if (s.len == 0)
		return -1;
	if (s.ptr[0] >= '0' && s.ptr[0] <= '9') {
		int v = 0;
		for (size_t i = 0; i < s.len; i++) {
			if (s.ptr[i] < '0' || s.ptr[i] > '9' || v > 64)
				return -1;
			v = v * 10 + (s.ptr[i] - '0');
		}
		return v >= 1 && v <= 64 ? v : -1;
	}
	for (size_t i = 0; i < AB_ARRAY_SIZE(signals); i++)
		if (ab_str_eq_cstr(s, signals[i].name))
			return signals[i].sig;
	return -1;
}

const char *supconf_signal_name(int sig)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(signals); i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return "?";
}

int64_t supconf_duration_parse(struct ab_str s)
{
	int64_t whole = 0, frac = 0, scale = SEC, fdiv = 1;
	size_t i = 0;
	bool digits = false;
	while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
		if (whole > 1000000000)
			return -1;
		whole = whole * 10 + (s.ptr[i++] - '0');
		digits = true;
	}
	if (i < s.len && s.ptr[i] == '.') {
		i++;
		while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
			if (fdiv < SEC) { /* digits past nanoseconds do not matter */
				frac = frac * 10 + (s.ptr[i] - '0');
				fdiv *= 10;
			}
			i++;
			digits = true;
		}
	}
	if (!digits)
		return -1;
	struct ab_str unit = ab_str_skip(s, i);
	if (unit.len == 0 || ab_str_eq_cstr(unit, "s"))
		scale = SEC;
	else if (ab_str_eq_cstr(unit, "ms"))
		scale = SEC / 1000;
	else if (ab_str_eq_cstr(unit, "m"))
		scale = 60 * SEC;
	else if (ab_str_eq_cstr(unit, "h"))
		scale = 3600 * SEC;
	else
		return -1;
	if (whole > 86400 * SEC / scale)
		return -1;
	int64_t v = whole * scale + frac * scale / fdiv;
	return v > 86400 * SEC ? -1 : v;
}

static const char *const restart_names[] = { "always", "on-failure", "never" };
static const char *const output_names[] = { "prefix", "files", "inherit" };

const char *supconf_restart_name(enum supconf_restart r)
{
	return (size_t)r < AB_ARRAY_SIZE(restart_names) ? restart_names[r] : "?";
}

static int bad_value(struct walk *w, const yaml_node_t *n, const char *key, const char *what)
{
	struct ab_loc loc = yamldoc_loc(w->y, n);
	return ab_err_at(w->y->err, AB_E_PARSE, &loc,
			 "invalid value '" AB_STR_FMT "' for '%s' (%s)",
			 AB_STR_ARG(yamldoc_scalar(n)), key, what);
}

/* Strings become argv, paths and environment values: a NUL would cut them. */
static int get_string(struct walk *w, const yaml_node_t *n, const char *key, char **out)
{
	if (n->type == YAML_SCALAR_NODE &&
	    memchr(n->data.scalar.value, 0, n->data.scalar.length)) {
		struct ab_loc loc = yamldoc_loc(w->y, n);
		return ab_err_at(w->y->err, AB_E_PARSE, &loc, "NUL byte in '%s'", key);
	}
	return yamldoc_get_string(w->y, n, key, out);
}

/* A decimal integer in [lo, hi]. */
static int get_long(struct walk *w, const yaml_node_t *n, const char *key, long long lo,
		    long long hi, long long *out)
{
	if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n))
		return yamldoc_expected(w->y, n, "an integer", key);
	struct ab_str s = yamldoc_scalar(n);
	long long v = 0;
	if (s.len == 0)
		return bad_value(w, n, key, "expected an integer");
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return bad_value(w, n, key, "expected an integer");
		if (v > (LLONG_MAX - 9) / 10)
			return bad_value(w, n, key, "too large");
		v = v * 10 + (s.ptr[i] - '0');
	}
	if (v < lo || v > hi) {
		struct ab_loc loc = yamldoc_loc(w->y, n);
		return ab_err_at(w->y->err, AB_E_PARSE, &loc, "'%s' must be between %lld and %lld",
				 key, lo, hi);
	}
	*out = v;
	return 0;
}

static int get_duration(struct walk *w, const yaml_node_t *n, const char *key, int64_t *out)
{
	if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n))
		return yamldoc_expected(w->y, n, "a duration", key);
	int64_t v = supconf_duration_parse(yamldoc_scalar(n));
	if (v < 0)
		return bad_value(w, n, key, "expected seconds, or a number with ms, s, m or h, "
					    "at most a day");
	*out = v;
	return 0;
}

static int get_bool(struct walk *w, const yaml_node_t *n, const char *key, bool *out)
{
	if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n))
		return yamldoc_expected(w->y, n, "true or false", key);
	struct ab_str s = yamldoc_scalar(n);
	if (ab_str_eq_cstr(s, "true") || ab_str_eq_cstr(s, "True") || ab_str_eq_cstr(s, "yes"))
		*out = true;
	else if (ab_str_eq_cstr(s, "false") || ab_str_eq_cstr(s, "False") ||
		 ab_str_eq_cstr(s, "no"))
		*out = false;
	else
		return bad_value(w, n, key, "expected true or false");
	return 0;
}

static int get_choice(struct walk *w, const yaml_node_t *n, const char *key,
		      const char *const *names, size_t nnames, int *out)
{
	if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n))
		return yamldoc_expected(w->y, n, "a string", key);
	for (size_t i = 0; i < nnames; i++) {
		if (ab_str_eq_cstr(yamldoc_scalar(n), names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	struct ab_loc loc = yamldoc_loc(w->y, n);
	int r = ab_err_at(w->y->err, AB_E_PARSE, &loc, "invalid value '" AB_STR_FMT "' for '%s'",
			  AB_STR_ARG(yamldoc_scalar(n)), key);
	yamldoc_note_choices(w->y, yamldoc_scalar(n), names, nnames);
	return r;
}

static bool is_name(struct ab_str s)
{
	if (s.len == 0 || s.len > 64)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static char *resolve_path(const struct walk *w, const char *p)
{
	if (p[0] == '/' || !w->base)
		return ab_xstrdup(p);
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "%s/%s", w->base, p);
	return ab_buf_detach(&b);
}

static void free_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* Characters that make a command string need /bin/sh; without them it is
 * split on blanks and run directly, so the instance's pid is the program's
 * own and no shell sits between it and its stop signal (as supervisord,
 * which never uses a shell). */
static bool needs_shell(struct ab_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (strchr("|&;<>()$`\\\"'*?[]#~=%{}!\n", s.ptr[i]))
			return true;
	return false;
}

/* A command: a non-empty sequence of strings, or a non-blank string. */
static int get_command(struct walk *w, const yaml_node_t *n, const char *key, char ***argvp,
		       size_t *argcp, bool *shell)
{
	char **argv = NULL;
	size_t argc = 0, cap = 0;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			yaml_node_t *a = yaml_document_get_node(&w->y->doc, *it);
			char *s = NULL;
			int r = a ? get_string(w, a, key, &s) : -AB_E_INTERNAL;
			if (r < 0) {
				AB_GROW(argv, cap, argc + 1);
				argv[argc] = NULL;
				free_argv(argv);
				return r;
			}
			AB_GROW(argv, cap, argc + 2);
			argv[argc++] = s;
			argv[argc] = NULL;
		}
		if (argc == 0 || !argv[0][0]) {
			free_argv(argv);
			struct ab_loc loc = yamldoc_loc(w->y, n);
			return ab_err_at(w->y->err, AB_E_PARSE, &loc, "empty '%s'", key);
		}
	} else {
		char *s = NULL;
		int r = get_string(w, n, key, &s);
		if (r < 0)
			return r;
		struct ab_str str = ab_str_trim(ab_str_from(s));
		if (str.len == 0) {
			free(s);
			struct ab_loc loc = yamldoc_loc(w->y, n);
			return ab_err_at(w->y->err, AB_E_PARSE, &loc, "empty '%s'", key);
		}
		if (needs_shell(str)) {
			argv = ab_xcalloc(4, sizeof(*argv));
			argv[0] = ab_xstrdup("/bin/sh");
			argv[1] = ab_xstrdup("-c");
			argv[2] = s;
			argc = 3;
			if (shell)
				*shell = true;
		} else {
			size_t i = 0;
			while (i < str.len) {
				while (i < str.len && (str.ptr[i] == ' ' || str.ptr[i] == '\t'))
					i++;
				size_t j = i;
				while (j < str.len && str.ptr[j] != ' ' && str.ptr[j] != '\t')
					j++;
				if (j > i) {
					AB_GROW(argv, cap, argc + 2);
					argv[argc++] = ab_xstrndup(str.ptr + i, j - i);
					argv[argc] = NULL;
				}
				i = j;
			}
			free(s);
		}
	}
	*argvp = argv;
	if (argcp)
		*argcp = argc;
	return 0;
}

static int parse_env(struct walk *w, const yaml_node_t *map, struct supconf_proc *p)
{
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(w->y, &it, map, "environment");
	if (r < 0)
		return r;
	size_t cap = 0;
	while ((r = yamldoc_map_next(w->y, &it, NULL, 0, "'environment'", &k, &v)) !=
	       YAMLDOC_MAP_END) {
		if (r < 0)
			return r;
		struct ab_str name = yamldoc_scalar(k);
		bool ok = name.len > 0 && !(name.ptr[0] >= '0' && name.ptr[0] <= '9');
		for (size_t i = 0; i < name.len; i++)
			if (!(name.ptr[i] == '_' || (name.ptr[i] >= 'A' && name.ptr[i] <= 'Z') ||
			      (name.ptr[i] >= 'a' && name.ptr[i] <= 'z') ||
			      (name.ptr[i] >= '0' && name.ptr[i] <= '9')))
				ok = false;
		if (!ok) {
			struct ab_loc loc = yamldoc_loc(w->y, k);
			return ab_err_at(w->y->err, AB_E_PARSE, &loc,
					 "invalid environment variable name '" AB_STR_FMT "'",
					 AB_STR_ARG(name));
		}
		char *value = NULL;
		if (!yamldoc_is_null(v)) {
			r = get_string(w, v, "environment", &value);
			if (r < 0)
				return r;
		}
		AB_GROW(p->env, cap, p->nenv + 1);
		p->env[p->nenv++] = (struct supconf_env){ ab_str_dup(name), value };
	}
	return 0;
}

/* "PORT" (127.0.0.1) or "HOST:PORT" (the last colon: IPv6 literals in
 * brackets); HOST numeric or `localhost`, so the supervisor never blocks on a
 * resolver. On success *host is malloc'd. Returns the reason it is not, or
 * NULL. */
static const char *parse_hostport(const char *s, char **host, int *port)
{
	const char *colon = strrchr(s, ':');
	const char *ps = colon ? colon + 1 : s;
	long long n = 0;
	bool ok = *ps != 0;
	for (const char *c = ps; *c; c++) {
		if (*c < '0' || *c > '9' || n > 65535)
			ok = false;
		else
			n = n * 10 + (*c - '0');
	}
	if (!ok || n < 1 || n > 65535)
		return "expected PORT or HOST:PORT";
	char *h;
	if (colon) {
		size_t hl = (size_t)(colon - s);
		if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']')
			h = ab_xstrndup(s + 1, hl - 2);
		else
			h = ab_xstrndup(s, hl);
	} else {
		h = ab_xstrdup("127.0.0.1");
	}
	if (strcmp(h, "localhost") == 0) {
		free(h);
		h = ab_xstrdup("127.0.0.1");
	}
	unsigned char addr[16];
	if (inet_pton(AF_INET, h, addr) != 1 && inet_pton(AF_INET6, h, addr) != 1) {
		free(h);
		return "the host must be an IP address";
	}
	*host = h;
	*port = (int)n;
	return NULL;
}

static const char *const ready_keys[] = { "tcp", "command", "timeout", "interval", "notify" };

static int parse_ready(struct walk *w, const yaml_node_t *map, struct supconf_proc *p)
{
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(w->y, &it, map, "ready");
	if (r < 0)
		return r;
	while ((r = yamldoc_map_next(w->y, &it, ready_keys, AB_ARRAY_SIZE(ready_keys), "'ready'",
				     &k, &v)) != YAMLDOC_MAP_END) {
		if (r == 0) {
			char *s = NULL, *host = NULL;
			int port = 0;
			r = get_string(w, v, "tcp", &s);
			if (r < 0)
				return r;
			const char *why = parse_hostport(s, &host, &port);
			free(s);
			if (why)
				return bad_value(w, v, "tcp", why);
			free(p->ready_host);
			p->ready_host = host;
			p->ready_port = port;
		} else if (r == 1) {
			free_argv(p->ready_argv);
			p->ready_argv = NULL;
			r = get_command(w, v, "command", &p->ready_argv, NULL, NULL);
		} else if (r == 2) {
			r = get_duration(w, v, "timeout", &p->ready_timeout_ns);
		} else if (r == 3) {
			r = get_duration(w, v, "interval", &p->ready_interval_ns);
			if (r == 0 && p->ready_interval_ns < SEC / 1000)
				return bad_value(w, v, "interval", "at least 1ms");
		} else if (r == 4) {
			r = get_bool(w, v, "notify", &p->ready_notify);
		}
		if (r < 0)
			return r;
	}
	int kinds = (p->ready_port != 0) + (p->ready_argv != NULL) + p->ready_notify;
	if (kinds > 1) {
		struct ab_loc loc = yamldoc_loc(w->y, map);
		return ab_err_at(w->y->err, AB_E_PARSE, &loc,
				 "'ready' takes one of 'tcp', 'command' or 'notify'");
	}
	if (kinds == 0) {
		struct ab_loc loc = yamldoc_loc(w->y, map);
		return ab_err_at(w->y->err, AB_E_PARSE, &loc,
				 "'ready' needs 'tcp', 'command' or 'notify: true'");
	}
	return 0;
}

/* $NAME, ${NAME} and ${NAME:-default} in s, from the environment: `listen`
 * is rendered into a bundle before the host (and its $BIND) is known. */
static int expand_env(struct walk *w, const yaml_node_t *n, const char *key, const char *s,
		      struct ab_buf *out)
{
	struct ab_loc loc = yamldoc_loc(w->y, n);
	for (size_t i = 0; s[i];) {
		if (s[i] != '$') {
			ab_buf_addc(out, s[i++]);
			continue;
		}
		bool braced = s[i + 1] == '{';
		size_t a = i + 1 + braced, b = a;
		while ((s[b] >= 'A' && s[b] <= 'Z') || (s[b] >= 'a' && s[b] <= 'z') ||
		       (s[b] >= '0' && s[b] <= '9' && b > a) || s[b] == '_')
			b++;
		if (b == a)
			return ab_err_at(w->y->err, AB_E_PARSE, &loc,
					 "'$' without a variable name in '%s'", key);
		char *name = ab_xstrndup(s + a, b - a);
		const char *val = getenv(name);
		const char *def = NULL;
		size_t deflen = 0;
		if (braced) {
			if (s[b] == ':' && s[b + 1] == '-') {
				const char *end = strchr(s + b + 2, '}');
				if (end) {
					def = s + b + 2;
					deflen = (size_t)(end - def);
					b = (size_t)(end - s);
				}
			}
			if (s[b] != '}') {
				free(name);
				return ab_err_at(w->y->err, AB_E_PARSE, &loc,
						 "unterminated '${' in '%s'", key);
			}
			b++;
		}
		if (val && *val) {
			ab_buf_adds(out, val);
		} else if (def) {
			ab_buf_add(out, def, deflen);
		} else {
			int r = ab_err_at(w->y->err, AB_E_PARSE, &loc,
					  "environment variable '%s' is not set (in '%s')", name, key);
			free(name);
			return r;
		}
		free(name);
		i = b;
	}
	return 0;
}

static void listen_release(struct supconf_listen *l)
{
	free(l->spec);
	free(l->host);
	free(l->path);
}

static int parse_one_listen(struct walk *w, const yaml_node_t *n, struct supconf_proc *p)
{
	if (p->nlisten == SUPCONF_MAX_LISTEN) {
		struct ab_loc loc = yamldoc_loc(w->y, n);
		return ab_err_at(w->y->err, AB_E_PARSE, &loc, "more than %d sockets in 'listen'",
				 SUPCONF_MAX_LISTEN);
	}
	if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n))
		return yamldoc_expected(w->y, n, "an address", "listen");
	char *raw = NULL;
	int r = get_string(w, n, "listen", &raw);
	if (r < 0)
		return r;
	struct ab_buf b = AB_BUF_INIT;
	r = expand_env(w, n, "listen", raw, &b);
	free(raw);
	if (r < 0) {
		ab_buf_release(&b);
		return r;
	}
	struct supconf_listen l = { .spec = ab_buf_detach(&b) };
	const char *why = NULL;
	if (strncmp(l.spec, "unix:", 5) == 0) {
		l.family = AF_UNIX;
		l.path = l.spec[5] ? resolve_path(w, l.spec + 5) : NULL;
		/* sun_path holds 108 bytes with the NUL */
		if (!l.path || strlen(l.path) >= 108)
			why = "expected unix:PATH, at most 107 bytes";
	} else {
		why = parse_hostport(l.spec, &l.host, &l.port);
		unsigned char addr[16];
		if (!why)
			l.family = inet_pton(AF_INET, l.host, addr) == 1 ? AF_INET : AF_INET6;
		else
			why = "expected PORT, HOST:PORT, [IPV6]:PORT or unix:PATH";
	}
	if (why) {
		struct ab_loc loc = yamldoc_loc(w->y, n);
		r = ab_err_at(w->y->err, AB_E_PARSE, &loc,
			      "invalid value '%s' for 'listen' (%s)", l.spec, why);
		listen_release(&l);
		return r;
	}
	for (size_t i = 0; i < p->nlisten; i++) {
		const struct supconf_listen *o = &p->listen[i];
		if (o->family == l.family &&
		    (l.family == AF_UNIX ? strcmp(o->path, l.path) == 0
					 : strcmp(o->host, l.host) == 0 && o->port == l.port)) {
			struct ab_loc loc = yamldoc_loc(w->y, n);
			r = ab_err_at(w->y->err, AB_E_PARSE, &loc, "'%s' is twice in 'listen'",
				      l.spec);
			listen_release(&l);
			return r;
		}
	}
	p->listen = ab_xrealloc(p->listen, (p->nlisten + 1) * sizeof(*p->listen));
	p->listen[p->nlisten++] = l;
	return 0;
}

/* An address or a sequence of them. */
static int parse_listen(struct walk *w, const yaml_node_t *n, struct supconf_proc *p)
{
	for (size_t i = 0; i < p->nlisten; i++)
		listen_release(&p->listen[i]);
	p->nlisten = 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return parse_one_listen(w, n, p);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *a = yaml_document_get_node(&w->y->doc, *it);
		int r = a ? parse_one_listen(w, a, p) : -AB_E_INTERNAL;
		if (r < 0)
			return r;
	}
	if (p->nlisten == 0) {
		struct ab_loc loc = yamldoc_loc(w->y, n);
		return ab_err_at(w->y->err, AB_E_PARSE, &loc, "empty 'listen'");
	}
	return 0;
}

static const char *const backoff_keys[] = { "initial", "max" };
static const char *const flapping_keys[] = { "restarts", "window" };

static int parse_backoff(struct walk *w, const yaml_node_t *map, struct supconf_proc *p)
{
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(w->y, &it, map, "backoff");
	if (r < 0)
		return r;
	while ((r = yamldoc_map_next(w->y, &it, backoff_keys, 2, "'backoff'", &k, &v)) !=
	       YAMLDOC_MAP_END) {
		if (r == 0)
			r = get_duration(w, v, "initial", &p->backoff_initial_ns);
		else if (r == 1)
			r = get_duration(w, v, "max", &p->backoff_max_ns);
		if (r < 0)
			return r;
	}
	if (p->backoff_max_ns < p->backoff_initial_ns) {
		struct ab_loc loc = yamldoc_loc(w->y, map);
		return ab_err_at(w->y->err, AB_E_PARSE, &loc,
				 "'backoff': 'max' is smaller than 'initial'");
	}
	return 0;
}

static int parse_flapping(struct walk *w, const yaml_node_t *map, struct supconf_proc *p)
{
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(w->y, &it, map, "flapping");
	if (r < 0)
		return r;
	while ((r = yamldoc_map_next(w->y, &it, flapping_keys, 2, "'flapping'", &k, &v)) !=
	       YAMLDOC_MAP_END) {
		long long n = 0;
		if (r == 0) {
			r = get_long(w, v, "restarts", 0, 1000000, &n);
			p->flap_restarts = (long)n;
		} else if (r == 1) {
			r = get_duration(w, v, "window", &p->flap_window_ns);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *const proc_keys[] = {
	"command",      "instances",  "environment",  "directory", "stop_signal",
	"stop_timeout", "restart",    "start_delay",  "ready",     "start_window",
	"backoff",      "flapping",   "fatal_exits_supervisor", "listen",
};

static int parse_proc(struct walk *w, const yaml_node_t *v, struct supconf_proc *p)
{
	if (v->type != YAML_MAPPING_NODE) {
		if (yamldoc_is_null(v)) {
			struct ab_loc loc = yamldoc_loc(w->y, v);
			return ab_err_at(w->y->err, AB_E_PARSE, &loc,
					 "expected a command or a mapping for process '%s', got %s",
					 p->name, yamldoc_type_name(v));
		}
		return get_command(w, v, "command", &p->argv, &p->argc, &p->shell);
	}
	struct ab_buf where = AB_BUF_INIT;
	ab_buf_addf(&where, "process '%s'", p->name);
	struct yamldoc_map it;
	yaml_node_t *k, *val;
	int r = yamldoc_map_begin(w->y, &it, v, p->name);
	while (r >= 0 && (r = yamldoc_map_next(w->y, &it, proc_keys, AB_ARRAY_SIZE(proc_keys),
					       where.buf, &k, &val)) != YAMLDOC_MAP_END) {
		long long n = 0;
		int choice = 0;
		char *s = NULL;
		if (r < 0)
			break;
		switch (r) {
		case 0:
			r = get_command(w, val, "command", &p->argv, &p->argc, &p->shell);
			break;
		case 1:
			r = get_long(w, val, "instances", 0, SUPCONF_MAX_INSTANCES, &n);
			p->instances = (long)n;
			break;
		case 2:
			r = parse_env(w, val, p);
			break;
		case 3:
			r = get_string(w, val, "directory", &s);
			if (r == 0) {
				p->directory = resolve_path(w, s);
				free(s);
			}
			break;
		case 4:
			if (val->type != YAML_SCALAR_NODE || yamldoc_is_null(val)) {
				r = yamldoc_expected(w->y, val, "a signal", "stop_signal");
				break;
			}
			p->stop_signal = supconf_signal_parse(yamldoc_scalar(val));
			if (p->stop_signal < 0 || p->stop_signal == SIGSTOP ||
			    p->stop_signal == SIGCHLD || p->stop_signal == SIGCONT)
				r = bad_value(w, val, "stop_signal", "expected a signal name such as "
								     "TERM or a number");
			break;
		case 5:
			r = get_duration(w, val, "stop_timeout", &p->stop_timeout_ns);
			break;
		case 6:
			r = get_choice(w, val, "restart", restart_names,
				       AB_ARRAY_SIZE(restart_names), &choice);
			p->restart = (enum supconf_restart)choice;
			break;
		case 7:
			r = get_duration(w, val, "start_delay", &p->start_delay_ns);
			break;
		case 8:
			r = parse_ready(w, val, p);
			break;
		case 9:
			r = get_duration(w, val, "start_window", &p->start_window_ns);
			break;
		case 10:
			r = parse_backoff(w, val, p);
			break;
		case 11:
			r = parse_flapping(w, val, p);
			break;
		case 12:
			r = get_bool(w, val, "fatal_exits_supervisor", &p->fatal_exits_supervisor);
			break;
		case 13:
			r = parse_listen(w, val, p);
			break;
		default:
			break;
		}
	}
	ab_buf_release(&where);
	if (r < 0 && r != YAMLDOC_MAP_END)
		return r;
	if (!p->argv) {
		struct ab_loc loc = yamldoc_loc(w->y, v);
		return ab_err_at(w->y->err, AB_E_PARSE, &loc, "missing 'command' for process '%s'",
				 p->name);
	}
	return 0;
}

static void proc_defaults(struct supconf_proc *p)
{
	p->instances = 1;
	p->stop_signal = SIGTERM;
	p->stop_timeout_ns = 10 * SEC;
	p->restart = SUPCONF_RESTART_ALWAYS;
	p->ready_timeout_ns = 60 * SEC;
	p->ready_interval_ns = SEC / 10;
	p->start_window_ns = SEC;
	p->backoff_initial_ns = SEC / 10;
	p->backoff_max_ns = 30 * SEC;
	p->flap_restarts = 10;
	p->flap_window_ns = 60 * SEC;
}

static int parse_procs(struct walk *w, const yaml_node_t *map, struct supconf *c)
{
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(w->y, &it, map, "processes");
	if (r < 0)
		return r;
	size_t cap = 0;
	while ((r = yamldoc_map_next(w->y, &it, NULL, 0, "'processes'", &k, &v)) !=
	       YAMLDOC_MAP_END) {
		if (r < 0)
			return r;
		struct ab_str name = yamldoc_scalar(k);
		struct ab_loc loc = yamldoc_loc(w->y, k);
		if (!is_name(name))
			return ab_err_at(w->y->err, AB_E_PARSE, &loc,
					 "invalid process name '" AB_STR_FMT
					 "' (letters, digits, '-' and '_', at most 64)",
					 AB_STR_ARG(name));
		for (size_t i = 0; i < c->nprocs; i++) {
			if (ab_str_eq_cstr(name, c->procs[i].name)) {
				r = ab_err_at(w->y->err, AB_E_PARSE, &loc, "duplicate process '%s'",
					      c->procs[i].name);
				ab_err_note(w->y->err, "first defined at line %u",
					    c->procs[i].line);
				return r;
			}
		}
		if (c->nprocs == SUPCONF_MAX_PROCS)
			return ab_err_at(w->y->err, AB_E_PARSE, &loc, "more than %d processes",
					 SUPCONF_MAX_PROCS);
		AB_GROW(c->procs, cap, c->nprocs + 1);
		struct supconf_proc *p = &c->procs[c->nprocs++];
		*p = (struct supconf_proc){ .name = ab_str_dup(name), .line = loc.line,
					    .col = loc.col };
		proc_defaults(p);
		r = parse_proc(w, v, p);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *const root_keys[] = { "run_dir", "output", "log_max_bytes", "log_backups",
					  "processes" };

static int parse_root(struct walk *w, const yaml_node_t *root, struct supconf *c)
{
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(w->y, &it, root, NULL);
	if (r < 0)
		return r;
	while ((r = yamldoc_map_next(w->y, &it, root_keys, AB_ARRAY_SIZE(root_keys),
				     "the top level", &k, &v)) != YAMLDOC_MAP_END) {
		long long n = 0;
		int choice = 0;
		char *s = NULL;
		switch (r) {
		case 0:
			r = get_string(w, v, "run_dir", &s);
			if (r == 0) {
				free(c->run_dir);
				c->run_dir = resolve_path(w, s);
				free(s);
			}
			break;
		case 1:
			r = get_choice(w, v, "output", output_names, AB_ARRAY_SIZE(output_names),
				       &choice);
			c->output = (enum supconf_output)choice;
			break;
		case 2:
			r = get_long(w, v, "log_max_bytes", 0, LLONG_MAX / 2, &n);
			c->log_max_bytes = n;
			break;
		case 3:
			r = get_long(w, v, "log_backups", 0, 1000, &n);
			c->log_backups = (long)n;
			break;
		case 4:
			r = parse_procs(w, v, c);
			break;
		default:
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int supconf_parse(struct ab_str text, const char *file, struct supconf *out, struct ab_err *err)
{
	*out = (struct supconf){ .log_max_bytes = 10 << 20, .log_backups = 5 };
	struct yamldoc y;
	char *base = NULL;
	const char *slash = file ? strrchr(file, '/') : NULL;
	if (slash) /* the directory of `file`; "/x.yaml" -> "/" */
		base = ab_xstrndup(file, slash == file ? 1 : (size_t)(slash - file));
	int r = yamldoc_load(&y, text, file, 0, err);
	if (r < 0)
		goto out;
	struct walk w = { &y, base };
	yaml_node_t *root = yamldoc_root(&y);
	if (root) {
		r = parse_root(&w, root, out);
		if (r < 0)
			goto out;
	}
	r = yamldoc_finish(&y);
	if (r == 0 && !out->run_dir)
		out->run_dir = ab_xstrdup(base ? base : ".");
out:
	yamldoc_release(&y);
	free(base);
	if (r < 0)
		supconf_release(out);
	return r;
}

int supconf_load(const char *path, struct supconf *out, struct ab_err *err)
{
	struct ab_buf text = AB_BUF_INIT;
	*out = (struct supconf){ 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		struct ab_loc loc = { path, 0, 0 };
		return ab_err_at(err, AB_E_IO, &loc, "cannot read: %s", strerror(errno));
	}
	char chunk[65536];
	int r = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			struct ab_loc loc = { path, 0, 0 };
			r = ab_err_at(err, AB_E_IO, &loc, "cannot read: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (text.len + (size_t)n > MAX_CONFIG_BYTES) {
			struct ab_loc loc = { path, 0, 0 };
			r = ab_err_at(err, AB_E_PARSE, &loc, "larger than %d bytes",
				      MAX_CONFIG_BYTES);
			break;
		}
		ab_buf_add(&text, chunk, (size_t)n);
	}
	close(fd);
	if (r == 0)
		r = supconf_parse(ab_buf_str(&text), path, out, err);
	ab_buf_release(&text);
	return r;
}

void supconf_proc_env_prepend(struct supconf_proc *p, const char *const env[][2], size_t n)
{
	struct supconf_env *e = ab_xcalloc(p->nenv + n, sizeof(*e));
	for (size_t k = 0; k < n; k++)
		e[k] = (struct supconf_env){ ab_xstrdup(env[k][0]), ab_xstrdup(env[k][1]) };
	if (p->nenv)
		memcpy(e + n, p->env, p->nenv * sizeof(*e));
	free(p->env);
	p->env = e;
	p->nenv += n;
}

void supconf_proc_release(struct supconf_proc *p)
{
	free(p->name);
	free_argv(p->argv);
	for (size_t j = 0; j < p->nenv; j++) {
		free(p->env[j].name);
		free(p->env[j].value);
	}
	free(p->env);
	free(p->directory);
	free(p->ready_host);
	free_argv(p->ready_argv);
	for (size_t j = 0; j < p->nlisten; j++)
		listen_release(&p->listen[j]);
	free(p->listen);
	*p = (struct supconf_proc){ 0 };
}

void supconf_release(struct supconf *c)
{
	for (size_t i = 0; i < c->nprocs; i++)
		supconf_proc_release(&c->procs[i]);
	free(c->procs);
	free(c->run_dir);
	*c = (struct supconf){ 0 };
}
