/* appconfig.c - appbuild.yaml through libyaml's document API.
 *
 * The schema is walked by hand (formats/yamldoc.h), node by node, so every
 * error points at the node that caused it. The walk never goes deeper than
 * the schema (three levels), so aliases that form cycles cannot make it loop. */
#include "formats/appconfig.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/extmap.h"
#include "formats/names.h"
#include "formats/yamldoc.h"

/* More processes than anyone runs from one app; bounds the duplicate check. */
#define MAX_PROCESSES 1000

static const char *const supervisors[] = { "builtin", "supervisord", "circus", "systemd" };

const char *appconfig_supervisor_name(enum appconfig_supervisor s)
{
	return (size_t)s < AB_ARRAY_SIZE(supervisors) ? supervisors[s] : "builtin";
}

static bool is_process_name(struct ab_str s)
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

/* A decimal integer, optionally signed; anything else (1.5, 0x10, "two") is a
 * type error, as YAML's core schema would not make it an int either. */
static int get_count(struct yamldoc *y, const yaml_node_t *n, long *out)
{
	if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n))
		return yamldoc_expected(y, n, "an integer", "count");
	struct ab_str s = yamldoc_scalar(n);
	struct ab_loc loc = yamldoc_loc(y, n);
	size_t i = 0;
	bool neg = false;
	if (s.len && (s.ptr[0] == '+' || s.ptr[0] == '-')) {
		neg = s.ptr[0] == '-';
		i++;
	}
	if (i == s.len)
		return ab_err_at(y->err, AB_E_PARSE, &loc,
				 "expected an integer for 'count', got '" AB_STR_FMT "'",
				 AB_STR_ARG(s));
	long v = 0;
	for (; i < s.len; i++) {
		char c = s.ptr[i];
		if (c < '0' || c > '9')
			return ab_err_at(y->err, AB_E_PARSE, &loc,
					 "expected an integer for 'count', got '" AB_STR_FMT "'",
					 AB_STR_ARG(s));
		if (v > (INT_MAX - (c - '0')) / 10)
			return ab_err_at(y->err, AB_E_PARSE, &loc, "'count' is too large");
		v = v * 10 + (c - '0');
	}
	if (neg)
		v = -v;
	if (v < 1)
		return ab_err_at(y->err, AB_E_PARSE, &loc, "'count' must be at least 1, got %ld", v);
	*out = v;
	return 0;
}

static const char *const process_keys[] = { "command", "count" };

static int parse_process(struct yamldoc *y, const yaml_node_t *v, struct appconfig_process *p)
{
	const yaml_node_t *cmd = v; /* where an empty command is reported */
	if (v->type == YAML_SCALAR_NODE && !yamldoc_is_null(v)) {
		p->command = ab_str_dup(yamldoc_scalar(v));
	} else if (v->type == YAML_MAPPING_NODE) {
		struct ab_buf where = AB_BUF_INIT;
		struct yamldoc_map it;
		yaml_node_t *k, *val;
		int r;
		ab_buf_addf(&where, "process '%s'", p->name);
		yamldoc_map_begin(y, &it, v, "process");
		while ((r = yamldoc_map_next(y, &it, process_keys, AB_ARRAY_SIZE(process_keys),
					     where.buf, &k, &val)) != YAMLDOC_MAP_END) {
			if (r == 0) {
				cmd = val;
				r = yamldoc_get_string(y, val, "command", &p->command);
			} else if (r == 1) {
				r = get_count(y, val, &p->count);
			}
			if (r < 0)
				break;
		}
		ab_buf_release(&where);
		if (r < 0 && r != YAMLDOC_MAP_END)
			return r;
		if (!p->command) {
			struct ab_loc loc = yamldoc_loc(y, v);
			return ab_err_at(y->err, AB_E_PARSE, &loc,
					 "missing 'command' for process '%s'", p->name);
		}
	} else {
		struct ab_loc loc = yamldoc_loc(y, v);
		return ab_err_at(y->err, AB_E_PARSE, &loc,
				 "expected a command string or a mapping for process '%s', got %s",
				 p->name, yamldoc_type_name(v));
	}
	if (ab_str_trim(ab_str_from(p->command)).len == 0) {
		struct ab_loc loc = yamldoc_loc(y, cmd);
		return ab_err_at(y->err, AB_E_PARSE, &loc, "empty command for process '%s'",
				 p->name);
	}
	return 0;
}

static int parse_processes(struct yamldoc *y, const yaml_node_t *map, struct appconfig *c)
{
	size_t cap = 0;
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(y, &it, map, "processes");
	if (r < 0)
		return r;
	while ((r = yamldoc_map_next(y, &it, NULL, 0, "'processes'", &k, &v)) != YAMLDOC_MAP_END) {
		if (r < 0)
			return r;
		struct ab_str name = yamldoc_scalar(k);
		struct ab_loc loc = yamldoc_loc(y, k);
		if (!is_process_name(name))
			return ab_err_at(y->err, AB_E_PARSE, &loc,
					 "invalid process name '" AB_STR_FMT
					 "' (letters, digits, '-' and '_', at most 64)",
					 AB_STR_ARG(name));
		for (size_t i = 0; i < c->nprocesses; i++) {
			if (ab_str_eq_cstr(name, c->processes[i].name)) {
				r = ab_err_at(y->err, AB_E_PARSE, &loc, "duplicate process '%s'",
					      c->processes[i].name);
				ab_err_note(y->err, "first defined at line %u",
					    c->processes[i].line);
				return r;
			}
		}
		if (c->nprocesses == MAX_PROCESSES)
			return ab_err_at(y->err, AB_E_PARSE, &loc, "more than %d processes",
					 MAX_PROCESSES);
		AB_GROW(c->processes, cap, c->nprocesses + 1);
		struct appconfig_process *p = &c->processes[c->nprocesses++];
		*p = (struct appconfig_process){ ab_str_dup(name), NULL, 1, loc.line, loc.col };
		r = parse_process(y, v, p);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *const package_keys[] = { "summary", "description", "license",
					    "maintainer", "url", "vendor", "external", "user" };

/* shadow's default NAME_REGEX for useradd/adduser, lowercase, at most 32
 * bytes (utmp's ut_user): what every distribution accepts without
 * --force-badname, and what a scriptlet can hold unquoted */
static bool is_user_name(struct ab_str s)
{
	if (s.len == 0 || s.len > 32 || !((s.ptr[0] >= 'a' && s.ptr[0] <= 'z') || s.ptr[0] == '_'))
		return false;
	for (size_t i = 1; i < s.len; i++) {
		char c = s.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int parse_user(struct yamldoc *y, const yaml_node_t *n, struct appconfig_package *pkg)
{
	int r = yamldoc_get_string(y, n, "user", &pkg->user);
	if (r < 0)
		return r;
	struct ab_loc loc = yamldoc_loc(y, n);
	if (!is_user_name(ab_str_from(pkg->user)))
		return ab_err_at(y->err, AB_E_PARSE, &loc,
				 "invalid user name '%s' (lowercase letters, digits, '_' and '-', "
				 "starting with a letter or '_', at most 32)",
				 pkg->user);
	return 0;
}

_Static_assert(EXTMAP_NCOLS == 4, "appconfig_external.pkg has one cell per extmap column");

/* `package: external:` (appconfig.h): names and packages checked with
 * extmap's rules, so a bad one is reported here, at its node. */
static int parse_external(struct yamldoc *y, const yaml_node_t *map, struct appconfig_package *pkg)
{
	size_t cap = 0;
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(y, &it, map, "external");
	if (r < 0)
		return r;
	while ((r = yamldoc_map_next(y, &it, NULL, 0, "'external'", &k, &v)) != YAMLDOC_MAP_END) {
		if (r < 0)
			return r;
		struct ab_loc loc = yamldoc_loc(y, k);
		char *name = ab_str_dup(yamldoc_scalar(k));
		if (!extmap_valid_key(name)) {
			r = ab_err_at(y->err, AB_E_PARSE, &loc,
				      "invalid external dependency name '%s' (letters, digits, '.', "
				      "'_', '+', '-', starting with a letter or digit)",
				      name);
			free(name);
			return r;
		}
		for (size_t i = 0; i < pkg->nexternal; i++) {
			if (!strcasecmp(pkg->external[i].name, name)) {
				r = ab_err_at(y->err, AB_E_PARSE, &loc,
					      "duplicate external dependency '%s'", name);
				ab_err_note(y->err, "first defined at line %u", pkg->external[i].line);
				free(name);
				return r;
			}
		}
		AB_GROW(pkg->external, cap, pkg->nexternal + 1);
		struct appconfig_external *e = &pkg->external[pkg->nexternal++];
		memset(e, 0, sizeof(*e));
		e->name = name;
		e->line = loc.line;
		e->col = loc.col;
		const yaml_node_t *vals[EXTMAP_NCOLS] = { 0 };
		if (v->type == YAML_SCALAR_NODE && !yamldoc_is_null(v)) {
			for (int c = 0; c < EXTMAP_NCOLS; c++) {
				e->pkg[c] = ab_str_dup(yamldoc_scalar(v));
				vals[c] = v;
			}
		} else if (v->type == YAML_MAPPING_NODE) {
			static const char *const cols[] = { "debian", "ubuntu", "rpm", "rhel" };
			struct yamldoc_map it2;
			yaml_node_t *k2, *v2;
			struct ab_buf where = AB_BUF_INIT;
			ab_buf_addf(&where, "external dependency '%s'", name);
			yamldoc_map_begin(y, &it2, v, name);
			while ((r = yamldoc_map_next(y, &it2, cols, AB_ARRAY_SIZE(cols), where.buf,
						     &k2, &v2)) != YAMLDOC_MAP_END) {
				if (r >= 0) {
					vals[r] = v2;
					r = yamldoc_get_string(y, v2, cols[r], &e->pkg[r]);
				}
				if (r < 0)
					break;
			}
			ab_buf_release(&where);
			if (r < 0 && r != YAMLDOC_MAP_END)
				return r;
			if (!vals[0] && !vals[1] && !vals[2] && !vals[3]) {
				struct ab_loc vl = yamldoc_loc(y, v);
				return ab_err_at(y->err, AB_E_PARSE, &vl,
						 "no package given for external dependency '%s' "
						 "(debian, ubuntu, rpm or rhel)",
						 name);
			}
		} else {
			struct ab_loc vl = yamldoc_loc(y, v);
			return ab_err_at(y->err, AB_E_PARSE, &vl,
					 "expected a package name or a mapping for external dependency "
					 "'%s', got %s",
					 name, yamldoc_type_name(v));
		}
		for (int c = 0; c < EXTMAP_NCOLS; c++) {
			if (e->pkg[c] && !extmap_valid_package((enum extmap_col)c, e->pkg[c])) {
				struct ab_loc vl = yamldoc_loc(y, vals[c]);
				return ab_err_at(y->err, AB_E_PARSE, &vl,
						 "invalid %s package name '%s' for '%s'",
						 c < EXTMAP_RPM ? "Debian" : "RPM", e->pkg[c], name);
			}
		}
	}
	return 0;
}

static int parse_package(struct yamldoc *y, const yaml_node_t *map, struct appconfig_package *pkg)
{
	char **fields[] = { &pkg->summary, &pkg->description,
			    &pkg->license, &pkg->maintainer, &pkg->url, &pkg->vendor };
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(y, &it, map, "package");
	if (r < 0)
		return r;
	while ((r = yamldoc_map_next(y, &it, package_keys, AB_ARRAY_SIZE(package_keys),
				     "'package'", &k, &v)) != YAMLDOC_MAP_END) {
		if (r < 0)
			return r;
		if (r == 6)
			r = parse_external(y, v, pkg);
		else if (r == 7)
			r = parse_user(y, v, pkg);
		else
			r = yamldoc_get_string(y, v, package_keys[r], fields[r]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Column of byte `off` of a scalar's text: exact for plain and single-line
 * quoted scalars, which is where specifiers are written. */
static unsigned value_col(const yaml_node_t *n, unsigned off)
{
	unsigned quote = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			 n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	return (unsigned)n->start_mark.column + 1 + quote + off;
}

static int parse_version(struct yamldoc *y, const yaml_node_t *n, struct appconfig *c)
{
	int r = yamldoc_get_string(y, n, "version", &c->version);
	if (r < 0)
		return r;
	struct ab_err e = AB_ERR_INIT;
	struct pep440_version *v = NULL;
	r = pep440_version_parse(ab_str_from(c->version), &v, &e);
	if (r < 0) {
		struct ab_loc loc = yamldoc_loc(y, n);
		r = ab_err_at(y->err, AB_E_PARSE, &loc, "invalid version '%s'", c->version);
		if (e.msg.len)
			ab_err_note(y->err, "%s", e.msg.buf);
		ab_err_release(&e);
		return r;
	}
	free(c->version);
	c->version = ab_xstrdup(v->str);
	pep440_version_free(v);
	return 0;
}

/* `python: 3.11` reads as "this minor series" (==3.11.*), the way people
 * name an interpreter; a full version pins it (==3.11.7). */
static int parse_python(struct yamldoc *y, const yaml_node_t *n, struct appconfig *c)
{
	int r = yamldoc_get_string(y, n, "python", &c->python);
	if (r < 0)
		return r;
	struct ab_str text = ab_str_trim(ab_str_from(c->python));
	struct ab_err e = AB_ERR_INIT;
	struct ab_buf spec = AB_BUF_INIT;
	unsigned off = (unsigned)(text.ptr - c->python);
	if (text.len && text.ptr[0] >= '0' && text.ptr[0] <= '9') {
		struct pep440_version *v = NULL;
		r = pep440_version_parse(text, &v, &e);
		if (r >= 0) {
			bool series = v->nrelease <= 2 && v->pre == PEP440_PRE_NONE &&
				      !v->has_post && !v->has_dev && v->nlocal == 0;
			ab_buf_addf(&spec, "==%s%s", v->str, series ? ".*" : "");
			pep440_version_free(v);
			r = pep440_specset_parse(ab_buf_str(&spec), &c->python_spec, &e);
			off = 0;
		}
	} else {
		r = pep440_specset_parse(text, &c->python_spec, &e);
	}
	if (r < 0) {
		struct ab_loc loc = yamldoc_loc(y, n);
		if (e.col && n->start_mark.line == n->end_mark.line)
			loc.col = value_col(n, off + e.col - 1);
		r = ab_err_at(y->err, AB_E_PARSE, &loc, "invalid python specifier '%s'%s%s",
			      c->python, e.msg.len ? ": " : "", e.msg.buf);
	}
	ab_err_release(&e);
	ab_buf_release(&spec);
	return r;
}

static int parse_name(struct yamldoc *y, const yaml_node_t *n, struct appconfig *c)
{
	int r = yamldoc_get_string(y, n, "name", &c->name);
	if (r < 0)
		return r;
	if (!name_is_valid(ab_str_from(c->name))) {
		struct ab_loc loc = yamldoc_loc(y, n);
		return ab_err_at(y->err, AB_E_PARSE, &loc,
				 "invalid project name '%s' (letters, digits, '.', '-' and '_', "
				 "starting and ending with a letter or digit)",
				 c->name);
	}
	return 0;
}

static int parse_supervisor(struct yamldoc *y, const yaml_node_t *n, struct appconfig *c)
{
	if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n))
		return yamldoc_expected(y, n, "a string", "supervisor");
	struct ab_str s = yamldoc_scalar(n);
	for (size_t i = 0; i < AB_ARRAY_SIZE(supervisors); i++) {
		if (ab_str_eq_cstr(s, supervisors[i])) {
			c->supervisor = (enum appconfig_supervisor)i;
			c->has_supervisor = true;
			return 0;
		}
	}
	struct ab_loc loc = yamldoc_loc(y, n);
	int r = ab_err_at(y->err, AB_E_PARSE, &loc, "unknown supervisor '" AB_STR_FMT "'",
			  AB_STR_ARG(s));
	yamldoc_note_choices(y, s, supervisors, AB_ARRAY_SIZE(supervisors));
	return r;
}

static const char *const top_keys[] = { "name", "version", "python", "processes",
					"supervisor", "package" };

static int parse_root(struct yamldoc *y, const yaml_node_t *root, struct appconfig *c)
{
	struct yamldoc_map it;
	yaml_node_t *k, *v;
	int r = yamldoc_map_begin(y, &it, root, NULL);
	if (r < 0)
		return r;
	while ((r = yamldoc_map_next(y, &it, top_keys, AB_ARRAY_SIZE(top_keys), NULL, &k, &v)) !=
	       YAMLDOC_MAP_END) {
		if (r < 0)
			return r;
		switch (r) {
		case 0:
			r = parse_name(y, v, c);
			break;
		case 1:
			r = parse_version(y, v, c);
			break;
		case 2:
			r = parse_python(y, v, c);
			break;
		case 3:
			r = parse_processes(y, v, c);
			break;
		case 4:
			r = parse_supervisor(y, v, c);
			break;
		default:
			r = parse_package(y, v, &c->package);
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int appconfig_parse(struct ab_str text, const char *file, struct appconfig *out,
		    struct ab_err *err)
{
	*out = (struct appconfig)APPCONFIG_INIT;
	struct yamldoc y;
	int r = yamldoc_load(&y, text, file, YAMLDOC_SUGGEST, err);
	if (r < 0)
		goto out;
	yaml_node_t *root = yamldoc_root(&y);
	if (!root)
		goto out; /* an empty file, or only "---" */
	r = parse_root(&y, root, out);
	if (r < 0)
		goto out;
	/* A second document would be silently ignored; say so instead. */
	r = yamldoc_finish(&y);
out:
	yamldoc_release(&y);
	if (r < 0)
		appconfig_release(out);
	return r;
}

void appconfig_release(struct appconfig *c)
{
	free(c->name);
	free(c->version);
	free(c->python);
	pep440_specset_release(&c->python_spec);
	for (size_t i = 0; i < c->nprocesses; i++) {
		free(c->processes[i].name);
		free(c->processes[i].command);
	}
	free(c->processes);
	free(c->package.summary);
	free(c->package.description);
	free(c->package.license);
	free(c->package.maintainer);
	free(c->package.url);
	free(c->package.vendor);
	free(c->package.user);
	for (size_t i = 0; i < c->package.nexternal; i++) {
		free(c->package.external[i].name);
		for (int k = 0; k < EXTMAP_NCOLS; k++)
			free(c->package.external[i].pkg[k]);
	}
	free(c->package.external);
	*c = (struct appconfig)APPCONFIG_INIT;
}
