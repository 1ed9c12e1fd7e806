/* extmap.c - external dependencies as OS package names (see extmap.h). */
#include "formats/extmap.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/appconfig.h"
#include "formats/core/mem.h"
#include "formats/suggest.h"
#include "templates/templates.h"

static const char *const col_names[EXTMAP_NCOLS] = { "debian", "ubuntu", "rpm", "rhel" };

/* ---- targets ---- */

static const struct extmap_target targets[] = {
	{ "debian", OSVER_DEB, EXTMAP_DEBIAN, EXTMAP_DEBIAN },
	{ "ubuntu", OSVER_DEB, EXTMAP_UBUNTU, EXTMAP_DEBIAN },
	{ "fedora", OSVER_RPM, EXTMAP_RPM, EXTMAP_RPM },
	{ "rhel", OSVER_RPM, EXTMAP_RHEL, EXTMAP_RPM },
	{ "centos", OSVER_RPM, EXTMAP_RHEL, EXTMAP_RPM },
	{ "rocky", OSVER_RPM, EXTMAP_RHEL, EXTMAP_RPM },
	{ "alma", OSVER_RPM, EXTMAP_RHEL, EXTMAP_RPM },
	{ "almalinux", OSVER_RPM, EXTMAP_RHEL, EXTMAP_RPM },
};

int extmap_target_parse(const char *name, struct extmap_target *t, struct ab_err *err)
{
	const char *names[AB_ARRAY_SIZE(targets)];
	for (size_t i = 0; i < AB_ARRAY_SIZE(targets); i++) {
		names[i] = targets[i].name;
		if (!strcmp(name, targets[i].name)) {
			*t = targets[i];
			return 0;
		}
	}
	int r = ab_err_set(err, AB_E_USAGE, "unknown target '%s'", name);
	const char *close = suggest_closest(ab_str_from(name), names, AB_ARRAY_SIZE(names));
	if (close)
		ab_err_note(err, "did you mean '%s'?", close);
	else
		ab_err_note(err,
			    "expected one of debian, ubuntu, fedora, rhel, centos, rocky, alma");
	return r;
}

void extmap_target_default(enum osver_family f, struct extmap_target *t)
{
	*t = targets[f == OSVER_DEB ? 0 : 2];
}

/* ---- names ---- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The external-dependencies.txt NAME grammar (extdeps.h), so every name a
 * user can write can be a key. */
static bool is_key(struct ab_str s)
{
	if (!s.len || !is_alnum(s.ptr[0]))
		return false;
	for (size_t i = 1; i < s.len; i++)
		if (!is_alnum(s.ptr[i]) && !strchr("._+-", s.ptr[i]))
			return false;
	return true;
}

/* Debian Policy 5.6.1: at least two characters, lowercase letters, digits,
 * '+', '-', '.', starting with an alphanumeric. */
static bool is_deb_name(struct ab_str s)
{
	if (s.len < 2 ||
	    !((s.ptr[0] >= 'a' && s.ptr[0] <= 'z') || (s.ptr[0] >= '0' && s.ptr[0] <= '9')))
		return false;
	for (size_t i = 1; i < s.len; i++) {
		char c = s.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

/* What rpm's spec parser takes for a dependency name without quoting
 * trouble: no blanks, no operators, no '%' (macros), no '(' (rich
 * dependencies), not starting with '-' or '.'. */
static bool is_rpm_name(struct ab_str s)
{
	if (!s.len || !(is_alnum(s.ptr[0]) || s.ptr[0] == '_' || s.ptr[0] == '+'))
		return false;
	for (size_t i = 1; i < s.len; i++)
		if (!is_alnum(s.ptr[i]) && !strchr("._+-", s.ptr[i]))
			return false;
	return true;
}

static bool is_deb_col(enum extmap_col c)
{
	return c == EXTMAP_DEBIAN || c == EXTMAP_UBUNTU;
}

static int cmp_key(const char *a, const char *b)
{
	return strcasecmp(a, b);
}

static int cmp_row(const void *a, const void *b)
{
	const struct extmap_row *x = a, *y = b;
	int c = cmp_key(x->key, y->key);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* ---- parsing ---- */

static int fail(struct ab_err *err, const char *file, unsigned line, size_t col, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

static int fail(struct ab_err *err, const char *file, unsigned line, size_t col, const char *fmt,
		...)
{
	struct ab_buf msg = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	struct ab_loc loc = { file, line, (unsigned)col };
	int r = ab_err_at(err, AB_E_PARSE, &loc, "%s", msg.buf);
	ab_buf_release(&msg);
	return r;
}

#define NFIELDS 6
static const char *const header[NFIELDS] = { "key", "name", "debian", "ubuntu", "rpm", "rhel" };

/* Splits a line into tab-separated fields (runs of tabs are one
 * separator); *cols gets each field's 1-based column. Returns the number
 * of fields (at most max + 1: one more says "too many"), or a negative
 * error for a character that is not allowed. */
static int split(struct ab_str line, struct ab_str *f, size_t *cols, size_t max, const char *file,
		 unsigned lno, struct ab_err *err)
{
	size_t n = 0, i = 0;
	if (line.len && line.ptr[0] == '\t')
		return fail(err, file, lno, 1, "unexpected tab at the start of a line");
	while (i < line.len) {
		size_t s = i;
		while (i < line.len && line.ptr[i] != '\t') {
			unsigned char c = (unsigned char)line.ptr[i];
			if (c <= ' ' || c >= 0x7f)
				return fail(
					err, file, lno, i + 1,
					c == ' ' ? "unexpected space (fields are separated by tabs)"
					: c == '\r' ? "unexpected carriage return"
						    : "unexpected character 0x%02x",
					c);
			i++;
		}
		if (n <= max) {
			f[n] = ab_str_make(line.ptr + s, i - s);
			cols[n] = s + 1;
		}
		n++;
		while (i < line.len && line.ptr[i] == '\t')
			i++;
		if (i == line.len && line.ptr[i - 1] == '\t')
			return fail(err, file, lno, i, "trailing tab");
	}
	return (int)(n > max ? max + 1 : n);
}

static char *cell_dup(struct extmap *m, struct ab_str s)
{
	if (s.len == 1 && s.ptr[0] == '-')
		return NULL;
	return ab_arena_strdup_str(&m->arena, s);
}

static int check_cell(enum extmap_col c, struct ab_str s, const char *file, unsigned lno,
		      size_t col, struct ab_err *err)
{
	if (s.len == 1 && (s.ptr[0] == '-' || s.ptr[0] == '!'))
		return 0;
	if (is_deb_col(c) ? is_deb_name(s) : is_rpm_name(s))
		return 0;
	return fail(err, file, lno, col, "invalid %s package name '" AB_STR_FMT "' in column '%s'",
		    is_deb_col(c) ? "Debian" : "RPM", AB_STR_ARG(s), col_names[c]);
}

static int parse_row(struct extmap *m, struct ab_str line, const char *file, unsigned lno,
		     struct ab_err *err)
{
	struct ab_str f[NFIELDS + 1];
	size_t cols[NFIELDS + 1];
	int n = split(line, f, cols, NFIELDS, file, lno, err);
	if (n < 0)
		return n;
	if (n != NFIELDS)
		return fail(err, file, lno, n > NFIELDS ? cols[NFIELDS] : line.len + 1,
			    "expected %d fields, got %s%d", NFIELDS,
			    n > NFIELDS ? "more than " : "", n > NFIELDS ? NFIELDS : n);
	if (!is_key(f[0]))
		return fail(err, file, lno, 1,
			    "invalid key '" AB_STR_FMT "' (letters, digits, '.', '_', '+', '-', "
			    "starting with a letter or digit)",
			    AB_STR_ARG(f[0]));
	bool primary = f[1].len == 1 && f[1].ptr[0] == '-';
	if (!primary && !is_key(f[1]))
		return fail(err, file, lno, cols[1], "invalid name '" AB_STR_FMT "'",
			    AB_STR_ARG(f[1]));
	bool any = false;
	for (int c = 0; c < EXTMAP_NCOLS; c++) {
		int r = check_cell((enum extmap_col)c, f[2 + c], file, lno, cols[2 + c], err);
		if (r < 0)
			return r;
		if (!(f[2 + c].len == 1 && (f[2 + c].ptr[0] == '-' || f[2 + c].ptr[0] == '!')))
			any = true;
	}
	if (primary && !any)
		return fail(err, file, lno, 1, "'" AB_STR_FMT "' has no package in any column",
			    AB_STR_ARG(f[0]));
	AB_GROW(m->rows, m->cap, m->n + 1);
	struct extmap_row *row = &m->rows[m->n++];
	memset(row, 0, sizeof(*row));
	row->key = ab_arena_strdup_str(&m->arena, f[0]);
	row->name = primary ? NULL : ab_arena_strdup_str(&m->arena, f[1]);
	row->line = lno;
	for (int c = 0; c < EXTMAP_NCOLS; c++)
		row->pkg[c] = cell_dup(m, f[2 + c]);
	return 0;
}

/* Sets every row's primary index; the rows are sorted. An alias whose
 * name is missing or not primary is an error at its line. */
static int link_rows(struct extmap *m, const char *file, struct ab_err *err)
{
	int r = 0;
	unsigned bad_line = 0;
	const struct extmap_row *bad = NULL;
	for (size_t i = 0; i < m->n; i++) {
		struct extmap_row *row = &m->rows[i];
		row->primary = i;
		if (!row->name)
			continue;
		const struct extmap_row *p = extmap_find(m, row->name);
		if (p && !p->name) {
			row->primary = (size_t)(p - m->rows);
			continue;
		}
		/* report the first bad line of the file, not of the sort */
		if (!bad || row->line < bad_line) {
			bad = row;
			bad_line = row->line;
		}
	}
	if (bad) {
		const struct extmap_row *p = extmap_find(m, bad->name);
		struct ab_loc loc = { file, bad->line, 0 };
		r = ab_err_at(err, AB_E_PARSE, &loc, "'%s' is not a primary key of the table%s",
			      bad->name, p ? " (it has a name of its own)" : "");
	}
	return r;
}

int extmap_parse(struct extmap *m, const char *file, struct ab_str text, struct ab_err *err)
{
	size_t pos = 0;
	unsigned lno = 0;
	bool have_header = false;
	int r = 0;
	while (pos < text.len && r == 0) {
		const char *nl = memchr(text.ptr + pos, '\n', text.len - pos);
		size_t end = nl ? (size_t)(nl - text.ptr) : text.len;
		struct ab_str line = ab_str_make(text.ptr + pos, end - pos);
		pos = end + 1;
		lno++;
		if (!line.len || line.ptr[0] == '#') {
			if (memchr(line.ptr, '\0', line.len))
				r = fail(err, file, lno, 1, "unexpected NUL byte");
			continue;
		}
		if (have_header) {
			r = parse_row(m, line, file, lno, err);
			continue;
		}
		struct ab_str f[NFIELDS + 1];
		size_t cols[NFIELDS + 1];
		int n = split(line, f, cols, NFIELDS, file, lno, err);
		if (n < 0) {
			r = n;
			break;
		}
		for (int i = 0; i < NFIELDS && r == 0; i++)
			if (i >= n || !ab_str_eq_cstr(f[i], header[i]))
				r = fail(err, file, lno, i < n ? cols[i] : line.len + 1,
					 "expected the header 'key name debian ubuntu rpm rhel' "
					 "(tab-separated)");
		if (r == 0 && n > NFIELDS)
			r = fail(err, file, lno, cols[NFIELDS], "unexpected field after 'rhel'");
		have_header = true;
	}
	if (r < 0)
		return r;
	if (!have_header)
		return fail(err, file, lno ? lno : 1, 1, "missing the header line");
	if (m->n)
		qsort(m->rows, m->n, sizeof(*m->rows), cmp_row);
	/* duplicates: report the one that comes first in the file */
	const struct extmap_row *dup = NULL, *first = NULL;
	for (size_t i = 1; i < m->n; i++) {
		if (cmp_key(m->rows[i - 1].key, m->rows[i].key))
			continue;
		if (!dup || m->rows[i].line < dup->line) {
			dup = &m->rows[i];
			size_t k = i;
			while (k > 0 && !cmp_key(m->rows[k - 1].key, dup->key))
				k--;
			first = &m->rows[k];
		}
	}
	if (dup) {
		r = fail(err, file, dup->line, 1, "duplicate key '%s'", dup->key);
		ab_err_note(err, "first defined at line %u", first->line);
		return r;
	}
	return link_rows(m, file, err);
}

int extmap_load_builtin(struct extmap *m, struct ab_err *err)
{
	for (const struct template_file *t = templates_embedded; t->name; t++)
		if (!strcmp(t->name, "extmap.tsv.in"))
			return extmap_parse(m, "extmap.tsv.in", ab_str_make(t->data, t->len), err);
	return ab_err_set(err, AB_E_INTERNAL, "the mapping table 'extmap.tsv.in' is not built in");
}

/* Parsed once and never freed: read-only after the pthread_once, like a
 * static const table (elfscan.c reads it from several threads). */
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static struct extmap builtin_map = EXTMAP_INIT;
static bool builtin_ok;

static void builtin_init(void)
{
	struct ab_err err = AB_ERR_INIT;
	builtin_ok = extmap_load_builtin(&builtin_map, &err) == 0;
	if (!builtin_ok)
		extmap_release(&builtin_map);
	ab_err_release(&err);
}

const struct extmap *extmap_builtin(void)
{
	pthread_once(&builtin_once, builtin_init);
	return builtin_ok ? &builtin_map : NULL;
}

void extmap_release(struct extmap *m)
{
	free(m->rows);
	ab_arena_release(&m->arena);
	*m = (struct extmap)EXTMAP_INIT;
}

bool extmap_valid_key(const char *s)
{
	return is_key(ab_str_from(s));
}

bool extmap_valid_package(enum extmap_col c, const char *s)
{
	return (size_t)c < EXTMAP_NCOLS &&
	       (is_deb_col(c) ? is_deb_name(ab_str_from(s)) : is_rpm_name(ab_str_from(s)));
}

const char *extmap_col_name(enum extmap_col c)
{
	return (size_t)c < EXTMAP_NCOLS ? col_names[c] : "?";
}

/* ---- lookups ---- */

static int cmp_find(const void *key, const void *elem)
{
	return cmp_key(key, ((const struct extmap_row *)elem)->key);
}

const struct extmap_row *extmap_find(const struct extmap *m, const char *key)
{
	if (!m || !m->n)
		return NULL;
	return bsearch(key, m->rows, m->n, sizeof(*m->rows), cmp_find);
}

/* The row's own cells first (a soname row's base column beats its primary
 * row's target column: libjpeg.so.62 is libjpeg62 on Ubuntu, where libjpeg
 * is libjpeg-turbo8), then the primary row's; '!' stops the search. */
static const char *lookup(const struct extmap *m, const struct extmap_row *row,
			  const struct extmap_target *t)
{
	const struct extmap_row *rows[2] = { row, &m->rows[row->primary] };
	enum extmap_col cols[2] = { t->col, t->base };
	for (int i = 0; i < (rows[1] == rows[0] ? 1 : 2); i++)
		for (int k = 0; k < (cols[1] == cols[0] ? 1 : 2); k++) {
			const char *p = rows[i]->pkg[cols[k]];
			if (p)
				return strcmp(p, "!") ? p : NULL;
		}
	return NULL;
}

const char *extmap_package(const struct extmap *m, const char *key, const struct extmap_target *t,
			   const char **name)
{
	const struct extmap_row *row = extmap_find(m, key);
	if (name)
		*name = row ? m->rows[row->primary].key : NULL;
	return row ? lookup(m, row, t) : NULL;
}

int extmap_override(struct extmap *m, const char *key, const char *const pkg[EXTMAP_NCOLS],
		    const struct ab_loc *loc, struct ab_err *err)
{
	if (!is_key(ab_str_from(key)))
		return ab_err_at(
			err, AB_E_PARSE, loc,
			"invalid external dependency name '%s' (letters, digits, '.', '_', "
			"'+', '-', starting with a letter or digit)",
			key);
	for (int c = 0; c < EXTMAP_NCOLS; c++) {
		if (!pkg[c])
			continue;
		struct ab_str s = ab_str_from(pkg[c]);
		if (!(is_deb_col((enum extmap_col)c) ? is_deb_name(s) : is_rpm_name(s)))
			return ab_err_at(
				err, AB_E_PARSE, loc, "invalid %s package name '%s' for '%s'",
				is_deb_col((enum extmap_col)c) ? "Debian" : "RPM", pkg[c], key);
	}
	struct extmap_row *row = (struct extmap_row *)extmap_find(m, key);
	if (!row) {
		AB_GROW(m->rows, m->cap, m->n + 1);
		size_t at = 0;
		while (at < m->n && cmp_key(m->rows[at].key, key) < 0)
			at++;
		memmove(&m->rows[at + 1], &m->rows[at], (m->n - at) * sizeof(*m->rows));
		m->n++;
		row = &m->rows[at];
		memset(row, 0, sizeof(*row));
		row->key = ab_arena_strdup(&m->arena, key);
		/* indexes after `at` moved by one */
		for (size_t i = 0; i < m->n; i++)
			if (i != at && m->rows[i].primary >= at)
				m->rows[i].primary++;
		row->primary = at;
	}
	for (int c = 0; c < EXTMAP_NCOLS; c++)
		if (pkg[c])
			row->pkg[c] = ab_arena_strdup(&m->arena, pkg[c]);
	return 0;
}

int extmap_load_app(struct extmap *m, const struct appconfig_package *pkg, const char *yaml_file,
		    struct ab_err *err)
{
	int r = extmap_load_builtin(m, err);
	for (size_t i = 0; r == 0 && pkg && i < pkg->nexternal; i++) {
		const struct appconfig_external *x = &pkg->external[i];
		struct ab_loc loc = { yaml_file, x->line, x->col };
		r = extmap_override(m, x->name, (const char *const *)x->pkg, &loc, err);
	}
	return r;
}

/* ---- versions and clauses ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Splits "[E:]V[-R]" at the epoch's ':' (*v) and, with `last`, the last
 * '-' (Debian) or else the first (rpm allows one). Returns false for an
 * epoch that is not a number. */
static bool split_evr(const char *s, const char **v, const char **dash, bool last)
{
	const char *colon = strchr(s, ':');
	*v = s;
	if (colon) {
		if (colon == s)
			return false;
		for (const char *c = s; c < colon; c++)
			if (!is_digit(*c))
				return false;
		*v = colon + 1;
	}
	*dash = last ? strrchr(*v, '-') : strchr(*v, '-');
	return true;
}

int extmap_check_version(enum osver_family f, const char *s, struct ab_err *err)
{
	const char *v, *dash;
	if (!split_evr(s, &v, &dash, f == OSVER_DEB))
		return ab_err_set(err, AB_E_UNSUPPORTED, "invalid epoch in version '%s'", s);
	size_t vlen = dash ? (size_t)(dash - v) : strlen(v);
	const char *rel = dash ? dash + 1 : NULL;
	if (!vlen || (rel && !*rel))
		return ab_err_set(err, AB_E_UNSUPPORTED, "empty %s in version '%s'",
				  vlen ? "release" : "version part", s);
	if (f == OSVER_RPM) {
		/* rpm's rpmCharCheck for EVRs, minus '%{}' (macros) */
		for (const char *c = v; *c; c++)
			if (c != dash && !is_alnum(*c) && !strchr("._+~^", *c))
				return ab_err_set(err, AB_E_UNSUPPORTED,
						  "'%c' in version '%s' is not allowed in an RPM "
						  "dependency",
						  *c, s);
		return 0;
	}
	/* dpkg's parseversion(): the upstream part starts with a digit */
	if (!is_digit(v[0]))
		return ab_err_set(err, AB_E_UNSUPPORTED,
				  "version '%s' does not start with a digit, as Debian requires",
				  s);
	for (const char *c = v; *c; c++) {
		bool in_rev = rel && c >= rel;
		if (c == dash || is_alnum(*c) || strchr(".+~", *c) || (!in_rev && *c == '-'))
			continue;
		return ab_err_set(err, AB_E_UNSUPPORTED,
				  "'%c' in version '%s' is not allowed in a Debian dependency", *c,
				  s);
	}
	return 0;
}

static const char *const rpm_ops[] = { "<", "<=", "=", ">=", ">" };
static const char *const deb_ops[] = { "<<", "<=", "=", ">=", ">>" };

void extmap_format_clause(enum osver_family f, const char *pkg, int op, const char *version,
			  struct ab_buf *out)
{
	if (op < 0 || op > EXTMAP_GT || !version) {
		ab_buf_adds(out, pkg);
		return;
	}
	if (f == OSVER_RPM) {
		/* rpm ignores the release of a package when the dependency
		 * states none: `libxml2 <= 2.9` holds for 2.9-5 */
		ab_buf_addf(out, "%s %s %s", pkg, rpm_ops[op], version);
		return;
	}
	const char *v, *dash;
	split_evr(version, &v, &dash, true);
	if (dash) {
		/* a full version: compared as written */
		ab_buf_addf(out, "%s (%s %s)", pkg, deb_ops[op], version);
		return;
	}
	/* An upstream version alone: dpkg still compares revisions, and
	 * 2.9-1 > 2.9, so `<= 2.9` would refuse 2.9-1. `V.~` sorts above
	 * every V-R, V+dfsg, Va and below V.1 and V1 (dpkg: '~' < end <
	 * letters < '+' < '.'), the upper end of "upstream version V". */
	switch ((enum extmap_op)op) {
	case EXTMAP_LE:
		ab_buf_addf(out, "%s (<< %s.~)", pkg, version);
		break;
	case EXTMAP_GT:
		ab_buf_addf(out, "%s (>> %s.~)", pkg, version);
		break;
	case EXTMAP_EQ:
		ab_buf_addf(out, "%s (>= %s), %s (<< %s.~)", pkg, version, pkg, version);
		break;
	default:
		ab_buf_addf(out, "%s (%s %s)", pkg, deb_ops[op], version);
		break;
	}
}

/* `~=V`: V without its last dot-separated part, the new last part plus
 * one, then '~' so that pre-releases of the bound sort below it as well
 * (PEP 440's ~= excludes 3.0rc1 from ~=2.9). NULL when V cannot be bumped. */
static char *compat_bound(const char *s)
{
	const char *v, *dash;
	split_evr(s, &v, &dash, true);
	if (dash)
		return NULL;
	const char *last = strrchr(v, '.');
	if (!last || last == v)
		return NULL;
	const char *start = last;
	while (start > v && start[-1] != '.')
		start--;
	if (start == last)
		return NULL;
	for (const char *c = start; c < last; c++)
		if (!is_digit(*c))
			return NULL;
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_add(&b, s, (size_t)(start - s));
	/* decimal increment of [start, last) without overflow */
	size_t n = (size_t)(last - start);
	char *num = ab_xmalloc(n + 2);
	num[0] = '0';
	memcpy(num + 1, start, n);
	num[n + 1] = '\0';
	size_t i = n;
	while (num[i] == '9')
		num[i--] = '0';
	num[i]++;
	const char *p = num;
	while (p[0] == '0' && p[1])
		p++;
	ab_buf_addf(&b, "%s~", p);
	free(num);
	return ab_buf_detach(&b);
}

static int entry_fail(struct ab_err *err, int code, const char *file, const struct extdeps_entry *e,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int entry_fail(struct ab_err *err, int code, const char *file, const struct extdeps_entry *e,
		      const char *fmt, ...)
{
	struct ab_buf msg = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	struct ab_loc loc = { file, e->line, e->col };
	int r = ab_err_at(err, code, &loc, "%s", msg.buf);
	ab_buf_release(&msg);
	return r;
}

static void add_clause(struct extmap_dep *d, enum extmap_op op, char *version)
{
	d->clauses = ab_xrealloc(d->clauses, (d->nclauses + 1) * sizeof(*d->clauses));
	d->clauses[d->nclauses++] = (struct extmap_clause){ op, version };
}

static void dep_release(struct extmap_dep *d)
{
	free(d->ext_name);
	free(d->package);
	for (size_t i = 0; i < d->nclauses; i++)
		free(d->clauses[i].version);
	free(d->clauses);
}

/* "did you mean" over the table's keys */
static void note_close(const struct extmap *m, const char *name, struct ab_err *err)
{
	if (!m->n)
		return;
	const char **keys = ab_xmalloc(m->n * sizeof(*keys));
	for (size_t i = 0; i < m->n; i++)
		keys[i] = m->rows[i].key;
	const char *close = suggest_closest(ab_str_from(name), keys, m->n);
	if (close)
		ab_err_note(err, "did you mean '%s'?", close);
	free(keys);
}

int extmap_map_entry(const struct extmap *m, const struct extdeps_entry *e, const char *file,
		     const struct extmap_target *t, struct extmap_deps *out, struct ab_err *err)
{
	const char *canon = NULL;
	const char *pkg = extmap_package(m, e->name, t, &canon);
	if (!pkg) {
		int r = entry_fail(err, AB_E_INVALID, file, e, "no %s package known for '%s'",
				   t->name, e->name);
		ab_err_note(err,
			    "map it in appbuild.yaml: package: {external: {%s: {%s: PACKAGE}}}",
			    e->name, col_names[t->col]);
		if (!canon)
			note_close(m, e->name, err);
		return r;
	}
	struct extmap_dep d = { ab_xstrdup(e->name), ab_xstrdup(pkg), 0, NULL, e->line, e->col };
	int r = 0;
	for (size_t i = 0; i < e->nclauses && r == 0; i++) {
		const struct extdeps_clause *c = &e->clauses[i];
		struct ab_err ve = AB_ERR_INIT;
		if (extmap_check_version(t->family, c->version, &ve) < 0) {
			r = entry_fail(err, AB_E_UNSUPPORTED, file, e, "%s", ve.msg.buf);
			ab_err_release(&ve);
			break;
		}
		switch (c->op) {
		case EXTDEPS_LT:
			add_clause(&d, EXTMAP_LT, ab_xstrdup(c->version));
			break;
		case EXTDEPS_LE:
			add_clause(&d, EXTMAP_LE, ab_xstrdup(c->version));
			break;
		case EXTDEPS_EQ:
			add_clause(&d, EXTMAP_EQ, ab_xstrdup(c->version));
			break;
		case EXTDEPS_GE:
			add_clause(&d, EXTMAP_GE, ab_xstrdup(c->version));
			break;
		case EXTDEPS_GT:
			add_clause(&d, EXTMAP_GT, ab_xstrdup(c->version));
			break;
		case EXTDEPS_COMPAT: {
			char *bound = compat_bound(c->version);
			if (!bound) {
				r = entry_fail(
					err, AB_E_UNSUPPORTED, file, e,
					"cannot turn '~=%s' into an OS dependency: it needs "
					"two or more dot-separated parts, the next to last a "
					"number, and no release",
					c->version);
				break;
			}
			add_clause(&d, EXTMAP_GE, ab_xstrdup(c->version));
			add_clause(&d, EXTMAP_LT, bound);
			break;
		}
		case EXTDEPS_NE:
			r = entry_fail(err, AB_E_UNSUPPORTED, file, e,
				       "'!=%s' cannot be an OS package dependency", c->version);
			ab_err_note(err, "neither Depends nor Requires can exclude one version: "
					 "state the range with '<', '<=', '>=' or '>'");
			break;
		}
	}
	if (r < 0) {
		dep_release(&d);
		return r;
	}
	AB_GROW(out->deps, out->cap, out->n + 1);
	out->deps[out->n++] = d;
	return 0;
}

int extmap_map_all(const struct extmap *m, const struct extdeps *d, const char *file,
		   const struct marker_env *env, const struct extmap_target *t,
		   struct extmap_deps *out, struct ab_err *err)
{
	for (size_t i = 0; d && i < d->n; i++) {
		const struct extdeps_entry *e = &d->entries[i];
		if (e->marker && env) {
			int r = marker_evaluate(e->marker, env, err);
			if (r < 0) {
				ab_err_locate(err, file, e->line, 0);
				return r;
			}
			if (r == 0)
				continue;
		}
		int r = extmap_map_entry(m, e, file, t, out, err);
		if (r < 0)
			return r;
	}
	return 0;
}

void extmap_deps_release(struct extmap_deps *d)
{
	for (size_t i = 0; i < d->n; i++)
		dep_release(&d->deps[i]);
	free(d->deps);
	*d = (struct extmap_deps)EXTMAP_DEPS_INIT;
}
