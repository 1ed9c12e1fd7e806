/* reqopts.c - the option words of a requirements-file line, as pip 23.0.1
 * reads them: shlex.split() of the options part, then optparse with the
 * parser pip's req_file.build_parser() makes, and pip's option callbacks. */
#include "formats/reqopts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/names.h"

/* reqfile_verr_at() under the name the code below has always used. */
static int err_at(struct reqfile_parser *ps, const struct reqfile_src *s, size_t off, int code,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int err_at(struct reqfile_parser *ps, const struct reqfile_src *s, size_t off, int code,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = reqfile_verr_at(ps, s, off, code, fmt, ap);
	va_end(ap);
	return r;
}

/* Sorted-set operations for FormatControl (pip keeps Python sets). */
static size_t set_find(const struct reqfile_strlist *l, const char *s, bool *found)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(l->v[mid], s);
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void set_add(struct ab_arena *a, struct reqfile_strlist *l, const char *s)
{
	bool found;
	size_t at = set_find(l, s, &found);
	if (found)
		return;
	reqfile_strlist_add(a, l, NULL);
	memmove(l->v + at + 1, l->v + at, (l->n - 1 - at) * sizeof(*l->v));
	l->v[at] = ab_arena_strdup(a, s);
}

static void set_discard(struct reqfile_strlist *l, const char *s)
{
	bool found;
	size_t at = set_find(l, s, &found);
	if (!found)
		return;
	memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(*l->v));
	l->n--;
}

enum optid {
	O_CONFIG_SETTINGS,
	O_CONSTRAINT,
	O_EDITABLE,
	O_EXTRA_INDEX_URL,
	O_FIND_LINKS,
	O_GLOBAL_OPTION,
	O_HASH,
	O_INDEX_URL,
	O_INSTALL_OPTION,
	O_NO_BINARY,
	O_NO_INDEX,
	O_ONLY_BINARY,
	O_PRE,
	O_PREFER_BINARY,
	O_REQUIRE_HASHES,
	O_REQUIREMENT,
	O_TRUSTED_HOST,
	O_USE_FEATURE,
};

/* Sorted by name: optparse matches a unique prefix of these. */
static const struct {
	const char *name;
	enum optid id;
	bool takes_value;
} long_opts[] = {
	{ "--config-settings", O_CONFIG_SETTINGS, true },
	{ "--constraint", O_CONSTRAINT, true },
	{ "--editable", O_EDITABLE, true },
	{ "--extra-index-url", O_EXTRA_INDEX_URL, true },
	{ "--find-links", O_FIND_LINKS, true },
	{ "--global-option", O_GLOBAL_OPTION, true },
	{ "--hash", O_HASH, true },
	{ "--index-url", O_INDEX_URL, true },
	{ "--install-option", O_INSTALL_OPTION, true },
	{ "--no-binary", O_NO_BINARY, true },
	{ "--no-index", O_NO_INDEX, false },
	{ "--only-binary", O_ONLY_BINARY, true },
	{ "--pre", O_PRE, false },
	{ "--prefer-binary", O_PREFER_BINARY, false },
	{ "--pypi-url", O_INDEX_URL, true },
	{ "--require-hashes", O_REQUIRE_HASHES, false },
	{ "--requirement", O_REQUIREMENT, true },
	{ "--trusted-host", O_TRUSTED_HOST, true },
	{ "--use-feature", O_USE_FEATURE, true },
};

/* Every short option takes a value. */
static const struct {
	char c;
	enum optid id;
} short_opts[] = {
	{ 'C', O_CONFIG_SETTINGS }, { 'c', O_CONSTRAINT }, { 'e', O_EDITABLE },
	{ 'f', O_FIND_LINKS },	    { 'i', O_INDEX_URL },  { 'r', O_REQUIREMENT },
};

/* pip install options that a requirements file cannot carry: pip says "no
 * such option"; we say why. */
static const char *const not_in_file[] = {
	"--target",
	"--user",
	"--upgrade",
	"--prefix",
	"--root",
	"--no-deps",
	"--src",
	"--force-reinstall",
	"--ignore-installed",
	"--upgrade-strategy",
	"--no-build-isolation",
	"--use-pep517",
	"--no-use-pep517",
	"--check-build-dependencies",
	"--ignore-requires-python",
	"--dry-run",
	"--report",
	"--no-compile",
	"--compile",
	"--no-warn-script-location",
	"--no-warn-conflicts",
	"--build-option",
	"--platform",
	"--python-version",
	"--implementation",
	"--abi",
	"--progress-bar",
	"--root-user-action",
	"--no-clean",
	"--cache-dir",
	"--no-cache-dir",
	"--proxy",
	"--retries",
	"--timeout",
	"--cert",
	"--client-cert",
	"--isolated",
	"--require-virtualenv",
	"--python",
	"--verbose",
	"--quiet",
	"--log",
	"--exists-action",
	"--keyring-provider",
	"--no-python-version-warning",
	"--disable-pip-version-check",
	"--index",
	"-U",
	"-t",
	"-t",
	"-v",
	"-q",
	"-q",
	"-b",
	"-d",
};

static const char *const strong_hashes[] = { "sha256", "sha384", "sha512" };
static const char *const feature_choices[] = { "fast-deps", "truststore",
					       "no-binary-enable-wheel-cache" };

static bool is_not_in_file(const char *opt, size_t n)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(not_in_file); i++)
		if (strlen(not_in_file[i]) == n && !memcmp(not_in_file[i], opt, n))
			return true;
	return false;
}

/* FormatControl.handle_mutual_excludes on one pair of sets. */
static void fc_apply(struct ab_arena *a, struct reqfile_strlist *target,
		     struct reqfile_strlist *other, const char *value, struct ab_buf *scratch)
{
	const char *p = value;
	/* `new = value.split(",")`, then every ":all:" resets both sets and
	 * drops what precedes it; without a later ":none:" the rest is ignored. */
	const char *last_all = NULL;
	for (const char *q = p;;) {
		const char *comma = strchr(q, ',');
		size_t n = comma ? (size_t)(comma - q) : strlen(q);
		if (n == 5 && !memcmp(q, ":all:", 5))
			last_all = q;
		if (!comma)
			break;
		q = comma + 1;
	}
	if (last_all) {
		other->n = 0;
		target->n = 0;
		set_add(a, target, ":all:");
		const char *after = last_all + 5;
		if (*after != ',')
			return;
		p = after + 1;
		bool has_none = false;
		for (const char *q = p;;) {
			const char *comma = strchr(q, ',');
			size_t n = comma ? (size_t)(comma - q) : strlen(q);
			if (n == 6 && !memcmp(q, ":none:", 6))
				has_none = true;
			if (!comma)
				break;
			q = comma + 1;
		}
		if (!has_none)
			return;
	}
	for (const char *q = p;;) {
		const char *comma = strchr(q, ',');
		size_t n = comma ? (size_t)(comma - q) : strlen(q);
		if (n == 6 && !memcmp(q, ":none:", 6)) {
			target->n = 0;
		} else {
			ab_buf_reset(scratch);
			name_canonicalize(ab_str_make(q, n), scratch);
			set_discard(other, scratch->buf);
			set_add(a, target, scratch->buf);
		}
		if (!comma)
			break;
		q = comma + 1;
	}
}

/* ---- shlex.split (posix, whitespace_split, no comments) ---------------- */

static bool shlex_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Split line[from:] into ps->toks (text in ps->tk, with origins). */
int reqopts_shlex_split(struct reqfile_parser *ps, const struct reqfile_src *s,
			const struct reqfile_lline *l, size_t from)
{
	ps->ntoks = 0;
	ps->tk.len = 0;
	size_t i = from;
	for (;;) {
		while (i < l->len && shlex_ws(l->c[i]))
			i++;
		if (i >= l->len)
			break;
		/* a token: runs until unquoted whitespace */
		size_t start = ps->tk.len;
		char state = 'a';
		size_t qorigin = 0;
		while (i < l->len) {
			char c = l->c[i];
			if (state == 'a') {
				if (shlex_ws(c))
					break;
				if (c == '\'' || c == '"') {
					state = c;
					qorigin = l->o[i];
				} else if (c == '\\') {
					if (i + 1 >= l->len)
						return err_at(ps, s, l->o[i], AB_E_PARSE,
							      "no character after '\\' in options");
					i++;
					reqfile_lline_add(&ps->tk, l->c + i, 1, l->o[i], false);
				} else {
					reqfile_lline_add(&ps->tk, l->c + i, 1, l->o[i], false);
				}
			} else if (c == state) {
				state = 'a';
			} else if (state == '"' && c == '\\' && i + 1 < l->len) {
				/* in double quotes only '"' and '\' are escaped */
				char d = l->c[i + 1];
				if (d != '"' && d != '\\')
					reqfile_lline_add(&ps->tk, l->c + i, 1, l->o[i], false);
				i++;
				reqfile_lline_add(&ps->tk, l->c + i, 1, l->o[i], false);
			} else {
				reqfile_lline_add(&ps->tk, l->c + i, 1, l->o[i], false);
			}
			i++;
		}
		if (state != 'a')
			return err_at(ps, s, qorigin, AB_E_PARSE, "unbalanced %s quote in options",
				      state == '"' ? "double" : "single");
		if (ps->ntoks == ps->tcap)
			AB_GROW(ps->toks, ps->tcap, ps->ntoks + 1);
		ps->toks[ps->ntoks++] = (struct reqfile_tok){ start, ps->tk.len - start };
		/* NUL-separate tokens; the NUL's origin is never read */
		reqfile_lline_add(&ps->tk, "", 1, 0, true);
	}
	return 0;
}

/* ---- one logical line --------------------------------------------------- */

const char *reqopts_tok_str(struct reqfile_parser *ps, size_t t)
{
	return ps->tk.c + ps->toks[t].off;
}

size_t reqopts_tok_origin(struct reqfile_parser *ps, size_t t, size_t k)
{
	/* an empty token ('' or "") has no byte: use its neighbour */
	size_t at = ps->toks[t].off + k;
	if (at >= ps->tk.len)
		at = ps->tk.len ? ps->tk.len - 1 : 0;
	return ps->tk.len ? ps->tk.o[at] : 0;
}

/* The options that only append their value to a list of the line. */
static struct reqfile_strlist *list_of(struct reqfile_lineopts *o, enum optid id)
{
	switch (id) {
	case O_EXTRA_INDEX_URL:
		return &o->extra_index_urls;
	case O_FIND_LINKS:
		return &o->find_links;
	case O_TRUSTED_HOST:
		return &o->trusted_hosts;
	case O_EDITABLE:
		return &o->editables;
	case O_REQUIREMENT:
		return &o->requirements;
	case O_CONSTRAINT:
		return &o->constraints;
	case O_INSTALL_OPTION:
		return &o->install_options;
	case O_GLOBAL_OPTION:
		return &o->global_options;
	default:
		return NULL;
	}
}

/* Apply one option (optparse take_action and pip's callbacks). */
static int apply_opt(struct reqfile_parser *ps, const struct reqfile_src *s,
		     struct reqfile_lineopts *o, enum optid id, const char *optname,
		     const char *value, size_t vorigin)
{
	struct ab_arena *a = &ps->rf->arena;
	struct reqfile_finder *f = &ps->rf->finder;
	struct reqfile_strlist *list = list_of(o, id);
	if (list) {
		reqfile_strlist_add(a, list, ab_arena_strdup(a, value));
		return 0;
	}
	switch (id) {
	case O_INDEX_URL:
		o->index_url = ab_arena_strdup(a, value);
		break;
	case O_NO_INDEX:
		o->no_index = true;
		break;
	case O_PRE:
		o->pre = true;
		break;
	case O_PREFER_BINARY:
		o->prefer_binary = true;
		break;
	case O_REQUIRE_HASHES:
		o->require_hashes = true;
		break;
	case O_USE_FEATURE: {
		bool ok = false;
		for (size_t i = 0; i < AB_ARRAY_SIZE(feature_choices); i++)
			ok |= !strcmp(value, feature_choices[i]);
		if (!ok)
			return err_at(ps, s, vorigin, AB_E_PARSE,
				      "invalid choice '%s' for '%s' (choose from 'fast-deps', "
				      "'truststore', 'no-binary-enable-wheel-cache')",
				      value, optname);
		reqfile_strlist_add(a, &o->features_enabled, ab_arena_strdup(a, value));
		reqfile_strlist_add(a, &ps->features_seen,
				    o->features_enabled.v[o->features_enabled.n - 1]);
		break;
	}
	case O_NO_BINARY:
	case O_ONLY_BINARY: {
		if (value[0] == '-')
			return err_at(ps, s, vorigin, AB_E_PARSE,
				      "'%s' requires a list of project names, not '%s'", optname,
				      value);
		struct ab_buf scratch = AB_BUF_INIT;
		bool nb = id == O_NO_BINARY;
		struct reqfile_format_control *lf = &o->format_control, *gf = &f->format_control;
		/* the line's own effect, and the finder's shared FormatControl that
		 * pip mutates while parsing any line (get_line_parser()) */
		fc_apply(a, nb ? &lf->no_binary : &lf->only_binary,
			 nb ? &lf->only_binary : &lf->no_binary, value, &scratch);
		fc_apply(a, nb ? &gf->no_binary : &gf->only_binary,
			 nb ? &gf->only_binary : &gf->no_binary, value, &scratch);
		ab_buf_release(&scratch);
		o->format_control_set = true;
		break;
	}
	case O_HASH: {
		const char *colon = strchr(value, ':');
		if (!colon)
			return err_at(ps, s, vorigin, AB_E_PARSE,
				      "invalid hash '%s': expected '%s=<algorithm>:<hex digest>'",
				      value, optname);
		size_t an = (size_t)(colon - value);
		const char *algo = NULL;
		for (size_t i = 0; i < AB_ARRAY_SIZE(strong_hashes); i++)
			if (strlen(strong_hashes[i]) == an && !memcmp(strong_hashes[i], value, an))
				algo = strong_hashes[i];
		if (!algo)
			return err_at(ps, s, vorigin, AB_E_PARSE,
				      "hash algorithm '%.*s' is not allowed (allowed: sha256, "
				      "sha384, sha512)",
				      (int)an, value);
		if (!o->hashes || !(o->nhashes & (o->nhashes - 1))) {
			/* grow at powers of two, in the arena */
			size_t cap = o->nhashes ? o->nhashes * 2 : 2;
			struct reqfile_hash *h = ab_arena_alloc(a, cap * sizeof(*h));
			if (o->nhashes)
				memcpy(h, o->hashes, o->nhashes * sizeof(*h));
			o->hashes = h;
		}
		o->hashes[o->nhashes++] =
			(struct reqfile_hash){ algo, ab_arena_strdup(a, colon + 1) };
		break;
	}
	case O_CONFIG_SETTINGS: {
		const char *eq = strchr(value, '=');
		if (!eq)
			return err_at(ps, s, vorigin, AB_E_PARSE,
				      "argument of '%s' must be KEY=VALUE, not '%s'", optname,
				      value);
		if (!o->settings || !(o->nsettings & (o->nsettings - 1))) {
			size_t cap = o->nsettings ? o->nsettings * 2 : 2;
			struct reqfile_setting *h = ab_arena_alloc(a, cap * sizeof(*h));
			if (o->nsettings)
				memcpy(h, o->settings, o->nsettings * sizeof(*h));
			o->settings = h;
		}
		o->settings[o->nsettings++] =
			(struct reqfile_setting){ ab_arena_strndup(a, value, (size_t)(eq - value)),
						  ab_arena_strdup(a, eq + 1) };
		break;
	}
	default: /* the list options: list_of() */
		break;
	}
	return 0;
}

/* optparse's _process_args over the shlex tokens. Words that are not
 * options are dropped, as pip drops parse_args()'s positional args. */
int reqopts_parse(struct reqfile_parser *ps, const struct reqfile_src *s,
		  struct reqfile_lineopts *o)
{
	for (size_t t = 0; t < ps->ntoks; t++) {
		const char *arg = reqopts_tok_str(ps, t);
		size_t alen = ps->toks[t].len;
		size_t origin = reqopts_tok_origin(ps, t, 0);
		if (alen == 2 && arg[0] == '-' && arg[1] == '-')
			break;
		if (alen >= 2 && arg[0] == '-' && arg[1] == '-') {
			const char *eq = memchr(arg, '=', alen);
			size_t nlen = eq ? (size_t)(eq - arg) : alen;
			/* _match_abbrev: exact, else a unique prefix */
			int match = -1, nmatch = 0;
			for (size_t i = 0; i < AB_ARRAY_SIZE(long_opts); i++) {
				const char *nm = long_opts[i].name;
				if (!strncmp(nm, arg, nlen)) {
					if (strlen(nm) == nlen) {
						match = (int)i;
						nmatch = 1;
						break;
					}
					match = (int)i;
					nmatch++;
				}
			}
			if (nmatch == 0) {
				if (is_not_in_file(arg, nlen))
					return err_at(ps, s, origin, AB_E_PARSE,
						      "option '%.*s' is not allowed in a "
						      "requirements file",
						      (int)nlen, arg);
				return err_at(ps, s, origin, AB_E_PARSE, "no such option: '%.*s'",
					      (int)nlen, arg);
			}
			if (nmatch > 1) {
				struct ab_buf alts = AB_BUF_INIT;
				for (size_t i = 0; i < AB_ARRAY_SIZE(long_opts); i++)
					if (!strncmp(long_opts[i].name, arg, nlen))
						ab_buf_addf(&alts, "%s'%s'", alts.len ? ", " : "",
							    long_opts[i].name);
				int r = err_at(ps, s, origin, AB_E_PARSE,
					       "ambiguous option '%.*s' (could be %s)", (int)nlen,
					       arg, alts.buf);
				ab_buf_release(&alts);
				return r;
			}
			const char *name = long_opts[match].name;
			const char *value = NULL;
			size_t vorigin = origin;
			if (long_opts[match].takes_value) {
				if (eq) {
					value = eq + 1;
					vorigin = reqopts_tok_origin(ps, t, nlen + 1);
				} else if (t + 1 < ps->ntoks) {
					t++;
					value = reqopts_tok_str(ps, t);
					vorigin = reqopts_tok_origin(ps, t, 0);
				} else {
					return err_at(ps, s, origin, AB_E_PARSE,
						      "option '%s' requires an argument", name);
				}
			} else if (eq) {
				return err_at(ps, s, origin, AB_E_PARSE,
					      "option '%s' does not take a value", name);
			}
			int r = apply_opt(ps, s, o, long_opts[match].id, name, value, vorigin);
			if (r < 0)
				return r;
		} else if (alen >= 2 && arg[0] == '-') {
			int match = -1;
			for (size_t i = 0; i < AB_ARRAY_SIZE(short_opts); i++)
				if (short_opts[i].c == arg[1])
					match = (int)i;
			if (match < 0) {
				if (is_not_in_file(arg, 2))
					return err_at(ps, s, origin, AB_E_PARSE,
						      "option '%.2s' is not allowed in a "
						      "requirements file",
						      arg);
				/* the option is one character, which may be UTF-8 */
				size_t cl = 1;
				while (1 + cl < alen && ((unsigned char)arg[1 + cl] & 0xc0) == 0x80)
					cl++;
				return err_at(ps, s, origin, AB_E_PARSE, "no such option: '-%.*s'",
					      (int)cl, arg + 1);
			}
			char name[3] = { '-', arg[1], '\0' };
			const char *value;
			size_t vorigin;
			if (alen > 2) {
				value = arg + 2;
				vorigin = reqopts_tok_origin(ps, t, 2);
			} else if (t + 1 < ps->ntoks) {
				t++;
				value = reqopts_tok_str(ps, t);
				vorigin = reqopts_tok_origin(ps, t, 0);
			} else {
				return err_at(ps, s, origin, AB_E_PARSE,
					      "option '%s' requires an argument", name);
			}
			int r = apply_opt(ps, s, o, short_opts[match].id, name, value, vorigin);
			if (r < 0)
				return r;
		}
	}
	return 0;
}
