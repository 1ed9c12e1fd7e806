/* appconfig.c - appbuild.yaml through libyaml's document API.
 *
 * The schema is walked by hand, node by node, so every error points at the
 * node that caused it. The walk never goes deeper than the schema (three
 * levels), so aliases that form cycles cannot make it loop. */
#include "formats/appconfig.h"

#include <limits.h>
#include <stdlib.h>
#include <yaml.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/names.h"
#include "formats/suggest.h"

/* More processes than anyone runs from one app; bounds the duplicate check. */
#define MAX_PROCESSES 1000

static const char *const supervisors[] = { "builtin", "supervisord", "circus", "systemd" };

struct walk {
	yaml_document_t *doc;
	const char *file;
	struct ab_err *err;
};

const char *appconfig_supervisor_name(enum appconfig_supervisor s)
{
	return (size_t)s < AB_ARRAY_SIZE(supervisors) ? supervisors[s] : "builtin";
}

static struct ab_loc node_loc(const struct walk *w, const yaml_node_t *n)
{
	return (struct ab_loc){ w->file, (unsigned)n->start_mark.line + 1,
				(unsigned)n->start_mark.column + 1 };
}

static struct ab_str scalar(const yaml_node_t *n)
{
	return ab_str_make((const char *)n->data.scalar.value, n->data.scalar.length);
}

/* YAML's null, as a plain scalar: "", "~", "null", "Null", "NULL". */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	struct ab_str s = scalar(n);
	return s.len == 0 || ab_str_eq_cstr(s, "~") || ab_str_eq_cstr(s, "null") ||
	       ab_str_eq_cstr(s, "Null") || ab_str_eq_cstr(s, "NULL");
}

static const char *type_name(const yaml_node_t *n)
{
	if (is_null(n))
		return "null";
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int expected(struct walk *w, const yaml_node_t *n, const char *what, const char *key)
{
	struct ab_loc loc = node_loc(w, n);
	return ab_err_at(w->err, AB_E_PARSE, &loc, "expected %s for '%s', got %s", what, key,
			 type_name(n));
}

static int get_string(struct walk *w, const yaml_node_t *n, const char *key, char **out)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return expected(w, n, "a string", key);
	free(*out);
	*out = ab_str_dup(scalar(n));
	return 0;
}

/* "did you mean 'x'?" when one is close, else the whole list. */
static void note_choices(struct ab_err *err, struct ab_str word, const char *const *choices,
			 size_t n)
{
	const char *hint = suggest_closest(word, choices, n);
	if (hint) {
		ab_err_note(err, "did you mean '%s'?", hint);
		return;
	}
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		ab_buf_addf(&b, "%s'%s'", i ? ", " : "", choices[i]);
	ab_err_note(err, "expected one of %s", b.buf);
	ab_buf_release(&b);
}

struct map_iter {
	yaml_node_pair_t *pair, *end;
	unsigned long seen; /* bitmask over the known keys: duplicates */
};

/* map_next()'s end of mapping: distinct from every -AB_E_* code. */
#define MAP_END (-1 - AB_E_INTERNAL)

static void map_begin(struct map_iter *it, const yaml_node_t *map)
{
	it->pair = map->data.mapping.pairs.start;
	it->end = map->data.mapping.pairs.top;
	it->seen = 0;
}

/* The next pair of a mapping, checking that its key is a scalar from `keys`
 * (any scalar when keys is NULL) and not repeated. Returns the key's index in
 * `keys` (0 when keys is NULL) and sets *k, *v; MAP_END after the last pair;
 * a negative -AB_E_* on error. `where` names the mapping in messages (NULL:
 * the top level). */
static int map_next(struct walk *w, struct map_iter *it, const char *const *keys, size_t nkeys,
		    const char *where, yaml_node_t **k, yaml_node_t **v)
{
	if (it->pair >= it->end)
		return MAP_END;
	*k = yaml_document_get_node(w->doc, it->pair->key);
	*v = yaml_document_get_node(w->doc, it->pair->value);
	it->pair++;
	if (!*k || !*v)
		return ab_err_set(w->err, AB_E_INTERNAL, "yaml node missing");
	struct ab_loc loc = node_loc(w, *k);
	if ((*k)->type != YAML_SCALAR_NODE)
		return ab_err_at(w->err, AB_E_PARSE, &loc, "expected a string key%s%s, got %s",
				 where ? " in " : "", where ? where : "", type_name(*k));
	if (!keys)
		return 0;
	struct ab_str name = scalar(*k);
	for (size_t i = 0; i < nkeys; i++) {
		if (!ab_str_eq_cstr(name, keys[i]))
			continue;
		if (it->seen & (1UL << i))
			return ab_err_at(w->err, AB_E_PARSE, &loc, "duplicate key '%s'", keys[i]);
		it->seen |= 1UL << i;
		return (int)i;
	}
	int r = ab_err_at(w->err, AB_E_PARSE, &loc, "unknown key '" AB_STR_FMT "'%s%s",
			  AB_STR_ARG(name), where ? " in " : "", where ? where : "");
	note_choices(w->err, name, keys, nkeys);
	return r;
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
static int get_count(struct walk *w, const yaml_node_t *n, long *out)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return expected(w, n, "an integer", "count");
	struct ab_str s = scalar(n);
	struct ab_loc loc = node_loc(w, n);
	size_t i = 0;
	bool neg = false;
	if (s.len && (s.ptr[0] == '+' || s.ptr[0] == '-')) {
		neg = s.ptr[0] == '-';
		i++;
	}
	if (i == s.len)
		return ab_err_at(w->err, AB_E_PARSE, &loc,
				 "expected an integer for 'count', got '" AB_STR_FMT "'",
				 AB_STR_ARG(s));
	long v = 0;
	for (; i < s.len; i++) {
		char c = s.ptr[i];
		if (c < '0' || c > '9')
			return ab_err_at(w->err, AB_E_PARSE, &loc,
					 "expected an integer for 'count', got '" AB_STR_FMT "'",
					 AB_STR_ARG(s));
		if (v > (INT_MAX - (c - '0')) / 10)
			return ab_err_at(w->err, AB_E_PARSE, &loc, "'count' is too large");
		v = v * 10 + (c - '0');
	}
	if (neg)
		v = -v;
	if (v < 1)
		return ab_err_at(w->err, AB_E_PARSE, &loc, "'count' must be at least 1, got %ld", v);
	*out = v;
	return 0;
}

static const char *const process_keys[] = { "command", "count" };

static int parse_process(struct walk *w, const yaml_node_t *v, struct appconfig_process *p)
{
	const yaml_node_t *cmd = v; /* where an empty command is reported */
	if (v->type == YAML_SCALAR_NODE && !is_null(v)) {
		p->command = ab_str_dup(scalar(v));
	} else if (v->type == YAML_MAPPING_NODE) {
		struct ab_buf where = AB_BUF_INIT;
		struct map_iter it;
		yaml_node_t *k, *val;
		int r;
		ab_buf_addf(&where, "process '%s'", p->name);
		map_begin(&it, v);
		while ((r = map_next(w, &it, process_keys, AB_ARRAY_SIZE(process_keys), where.buf,
				     &k, &val)) != MAP_END) {
			if (r == 0) {
				cmd = val;
				r = get_string(w, val, "command", &p->command);
			} else if (r == 1) {
				r = get_count(w, val, &p->count);
			}
			if (r < 0)
				break;
		}
		ab_buf_release(&where);
		if (r < 0 && r != MAP_END)
			return r;
		if (!p->command) {
			struct ab_loc loc = node_loc(w, v);
			return ab_err_at(w->err, AB_E_PARSE, &loc,
					 "missing 'command' for process '%s'", p->name);
		}
	} else {
		struct ab_loc loc = node_loc(w, v);
		return ab_err_at(w->err, AB_E_PARSE, &loc,
				 "expected a command string or a mapping for process '%s', got %s",
				 p->name, type_name(v));
	}
	if (ab_str_trim(ab_str_from(p->command)).len == 0) {
		struct ab_loc loc = node_loc(w, cmd);
		return ab_err_at(w->err, AB_E_PARSE, &loc, "empty command for process '%s'",
				 p->name);
	}
	return 0;
}

static int parse_processes(struct walk *w, const yaml_node_t *map, struct appconfig *c)
{
	if (map->type != YAML_MAPPING_NODE)
		return expected(w, map, "a mapping", "processes");
	size_t cap = 0;
	struct map_iter it;
	yaml_node_t *k, *v;
	int r;
	map_begin(&it, map);
	while ((r = map_next(w, &it, NULL, 0, "'processes'", &k, &v)) != MAP_END) {
		if (r < 0)
			return r;
		struct ab_str name = scalar(k);
		struct ab_loc loc = node_loc(w, k);
		if (!is_process_name(name))
			return ab_err_at(w->err, AB_E_PARSE, &loc,
					 "invalid process name '" AB_STR_FMT
					 "' (letters, digits, '-' and '_', at most 64)",
					 AB_STR_ARG(name));
		for (size_t i = 0; i < c->nprocesses; i++) {
			if (ab_str_eq_cstr(name, c->processes[i].name)) {
				r = ab_err_at(w->err, AB_E_PARSE, &loc, "duplicate process '%s'",
					      c->processes[i].name);
				ab_err_note(w->err, "first defined at line %u",
					    c->processes[i].line);
				return r;
			}
		}
		if (c->nprocesses == MAX_PROCESSES)
			return ab_err_at(w->err, AB_E_PARSE, &loc, "more than %d processes",
					 MAX_PROCESSES);
		AB_GROW(c->processes, cap, c->nprocesses + 1);
		struct appconfig_process *p = &c->processes[c->nprocesses++];
		*p = (struct appconfig_process){ ab_str_dup(name), NULL, 1, loc.line, loc.col };
		r = parse_process(w, v, p);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *const package_keys[] = { "summary", "description", "license",
					    "maintainer", "url", "vendor" };

static int parse_package(struct walk *w, const yaml_node_t *map, struct appconfig_package *pkg)
{
	if (map->type != YAML_MAPPING_NODE)
		return expected(w, map, "a mapping", "package");
	char **fields[] = { &pkg->summary, &pkg->description,
			    &pkg->license, &pkg->maintainer, &pkg->url, &pkg->vendor };
	struct map_iter it;
	yaml_node_t *k, *v;
	int r;
	map_begin(&it, map);
	while ((r = map_next(w, &it, package_keys, AB_ARRAY_SIZE(package_keys), "'package'", &k,
			     &v)) != MAP_END) {
		if (r < 0)
			return r;
		r = get_string(w, v, package_keys[r], fields[r]);
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

static int parse_version(struct walk *w, const yaml_node_t *n, struct appconfig *c)
{
	int r = get_string(w, n, "version", &c->version);
	if (r < 0)
		return r;
	struct ab_err e = AB_ERR_INIT;
	struct pep440_version *v = NULL;
	r = pep440_version_parse(ab_str_from(c->version), &v, &e);
	if (r < 0) {
		struct ab_loc loc = node_loc(w, n);
		r = ab_err_at(w->err, AB_E_PARSE, &loc, "invalid version '%s'", c->version);
		if (e.msg.len)
			ab_err_note(w->err, "%s", e.msg.buf);
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
static int parse_python(struct walk *w, const yaml_node_t *n, struct appconfig *c)
{
	int r = get_string(w, n, "python", &c->python);
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
		struct ab_loc loc = node_loc(w, n);
		if (e.col && n->start_mark.line == n->end_mark.line)
			loc.col = value_col(n, off + e.col - 1);
		r = ab_err_at(w->err, AB_E_PARSE, &loc, "invalid python specifier '%s'%s%s",
			      c->python, e.msg.len ? ": " : "", e.msg.buf);
	}
	ab_err_release(&e);
	ab_buf_release(&spec);
	return r;
}

static int parse_name(struct walk *w, const yaml_node_t *n, struct appconfig *c)
{
	int r = get_string(w, n, "name", &c->name);
	if (r < 0)
		return r;
	if (!name_is_valid(ab_str_from(c->name))) {
		struct ab_loc loc = node_loc(w, n);
		return ab_err_at(w->err, AB_E_PARSE, &loc,
				 "invalid project name '%s' (letters, digits, '.', '-' and '_', "
				 "starting and ending with a letter or digit)",
				 c->name);
	}
	return 0;
}

static int parse_supervisor(struct walk *w, const yaml_node_t *n, struct appconfig *c)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return expected(w, n, "a string", "supervisor");
	struct ab_str s = scalar(n);
	for (size_t i = 0; i < AB_ARRAY_SIZE(supervisors); i++) {
		if (ab_str_eq_cstr(s, supervisors[i])) {
			c->supervisor = (enum appconfig_supervisor)i;
			c->has_supervisor = true;
			return 0;
		}
	}
	struct ab_loc loc = node_loc(w, n);
	int r = ab_err_at(w->err, AB_E_PARSE, &loc, "unknown supervisor '" AB_STR_FMT "'",
			  AB_STR_ARG(s));
	note_choices(w->err, s, supervisors, AB_ARRAY_SIZE(supervisors));
	return r;
}

static const char *const top_keys[] = { "name", "version", "python", "processes",
					"supervisor", "package" };

static int parse_root(struct walk *w, const yaml_node_t *root, struct appconfig *c)
{
	if (root->type != YAML_MAPPING_NODE) {
		struct ab_loc loc = node_loc(w, root);
		return ab_err_at(w->err, AB_E_PARSE, &loc, "expected a mapping at the top level, got %s",
				 type_name(root));
	}
	struct map_iter it;
	yaml_node_t *k, *v;
	int r;
	map_begin(&it, root);
	while ((r = map_next(w, &it, top_keys, AB_ARRAY_SIZE(top_keys), NULL, &k, &v)) != MAP_END) {
		if (r < 0)
			return r;
		switch (r) {
		case 0:
			r = parse_name(w, v, c);
			break;
		case 1:
			r = parse_version(w, v, c);
			break;
		case 2:
			r = parse_python(w, v, c);
			break;
		case 3:
			r = parse_processes(w, v, c);
			break;
		case 4:
			r = parse_supervisor(w, v, c);
			break;
		default:
			r = parse_package(w, v, &c->package);
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* libyaml's reader reports byte offsets, not marks. */
static struct ab_loc offset_loc(struct ab_str text, size_t off, const char *file)
{
	struct ab_loc loc = { file, 1, 1 };
	for (size_t i = 0; i < off && i < text.len; i++) {
		if (text.ptr[i] == '\n') {
			loc.line++;
			loc.col = 1;
		} else {
			loc.col++;
		}
	}
	return loc;
}

static int yaml_error(yaml_parser_t *p, struct ab_str text, const char *file, struct ab_err *err)
{
	struct ab_loc loc;
	if (p->error == YAML_MEMORY_ERROR)
		return ab_err_set(err, AB_E_INTERNAL, "out of memory parsing yaml");
	if (p->error == YAML_READER_ERROR)
		loc = offset_loc(text, p->problem_offset, file);
	else
		loc = (struct ab_loc){ file, (unsigned)p->problem_mark.line + 1,
				       (unsigned)p->problem_mark.column + 1 };
	int r = ab_err_at(err, AB_E_PARSE, &loc, "%s", p->problem ? p->problem : "invalid yaml");
	if (p->context && p->error != YAML_READER_ERROR)
		ab_err_note(err, "%s at line %u, column %u", p->context,
			    (unsigned)p->context_mark.line + 1,
			    (unsigned)p->context_mark.column + 1);
	return r;
}

int appconfig_parse(struct ab_str text, const char *file, struct appconfig *out,
		    struct ab_err *err)
{
	*out = (struct appconfig)APPCONFIG_INIT;
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool have_doc = false;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return ab_err_set(err, AB_E_INTERNAL, "cannot initialize the yaml parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)(text.len ? text.ptr : ""),
				     text.len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = yaml_error(&parser, text, file, err);
		goto out;
	}
	have_doc = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || is_null(root))
		goto out; /* an empty file, or only "---" */
	struct walk w = { &doc, file, err };
	r = parse_root(&w, root, out);
	if (r < 0)
		goto out;
	/* A second document would be silently ignored; say so instead. */
	if (!yaml_parser_load(&parser, &extra)) {
		r = yaml_error(&parser, text, file, err);
		goto out;
	}
	yaml_node_t *more = yaml_document_get_root_node(&extra);
	if (more) {
		struct ab_loc loc = { file, (unsigned)extra.start_mark.line + 1,
				      (unsigned)extra.start_mark.column + 1 };
		r = ab_err_at(err, AB_E_PARSE, &loc,
			      "expected a single yaml document, found a second one");
	}
	yaml_document_delete(&extra);
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
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
	*c = (struct appconfig)APPCONFIG_INIT;
}
