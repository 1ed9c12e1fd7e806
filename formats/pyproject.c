/* pyproject.c - [build-system] and [project] of pyproject.toml; see pyproject.h. */
#include "formats/pyproject.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/names.h"

/* pip 23.2 pyproject.py: the build system assumed without [build-system]. */
#define LEGACY_BACKEND "setuptools.build_meta:__legacy__"
#define LEGACY_CHECK "setuptools>=40.8.0"
static const char *const legacy_requires[] = { "setuptools>=40.8.0", "wheel" };

struct ctx {
	struct ab_str text;
	const char *file;
	struct ab_err *err;
};

__attribute__((format(printf, 3, 4))) static int fail(struct ctx *c, const struct toml_value *v,
						      const char *fmt, ...)
{
	struct ab_loc loc = { c->file, v ? v->line : 0, v ? v->col : 0 };
	struct ab_buf msg = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ab_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	int r = ab_err_at(c->err, AB_E_PARSE, &loc, "%s", msg.buf);
	ab_buf_release(&msg);
	return r;
}

/* Column of byte `off` of string value `v`'s content, when the string is
 * written on one line without escapes (then the text right after the
 * opening quote is the decoded string); else the column of the quote. */
static unsigned string_col(const struct ctx *c, const struct toml_value *v, size_t off)
{
	const char *p = c->text.ptr, *end = p + c->text.len;
	unsigned line = 1;
	while (p < end && line < v->line) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return v->col;
		p = nl + 1;
		line++;
	}
	p += v->col - 1;
	size_t n = v->u.str.len;
	if (p + 1 + n + 1 > end || (p[0] != '"' && p[0] != '\'') || p[1] == p[0] ||
	    memcmp(p + 1, v->u.str.ptr, n) || p[1 + n] != p[0])
		return v->col;
	return v->col + 1 + (unsigned)off;
}

static bool is_string_list(const struct toml_value *v)
{
	if (!v || v->type != TOML_ARRAY)
		return false;
	for (size_t i = 0; i < v->u.array.n; i++)
		if (v->u.array.items[i]->type != TOML_STRING)
			return false;
	return true;
}

/* A PEP 508 list: every item parsed, errors located in the string. */
static int parse_reqs(struct ctx *c, const struct toml_value *v, const char *what,
		      struct pep508_req **out, size_t *nout)
{
	if (!is_string_list(v))
		return fail(c, v, "'%s' must be a list of strings", what);
	size_t n = v->u.array.n;
	*out = n ? ab_xcalloc(n, sizeof(**out)) : NULL;
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		const struct toml_value *s = v->u.array.items[i];
		struct ab_err e = AB_ERR_INIT;
		struct pep508_req req = PEP508_REQ_INIT;
		if (memchr(s->u.str.ptr, 0, s->u.str.len) ||
		    pep508_parse(s->u.str, &req, &e) < 0) {
			unsigned col = e.col ? string_col(c, s, e.col - 1) : s->col;
			int r = ab_err_at(c->err, AB_E_PARSE,
					  &(struct ab_loc){ c->file, s->line, col },
					  "invalid requirement in '%s': %s", what,
					  e.code ? e.msg.buf : "NUL character");
			ab_err_release(&e);
			pep508_release(&req);
			return r;
		}
		(*out)[(*nout)++] = req;
	}
	return 0;
}

static int get_string(struct ctx *c, const struct toml_value *v, const char *what, char **out)
{
	if (v->type != TOML_STRING)
		return fail(c, v, "'%s' must be a string, not %s %s", what,
			    v->type == TOML_ARRAY || v->type == TOML_INTEGER ? "an" : "a",
			    toml_type_name(v->type));
	if (memchr(v->u.str.ptr, 0, v->u.str.len))
		return fail(c, v, "'%s' holds a NUL character", what);
	*out = ab_xstrndup(v->u.str.ptr, v->u.str.len);
	return 0;
}

static int get_string_list(struct ctx *c, const struct toml_value *v, const char *what,
			   char ***out, size_t *nout)
{
	if (!is_string_list(v))
		return fail(c, v, "'%s' must be a list of strings", what);
	*out = v->u.array.n ? ab_xcalloc(v->u.array.n, sizeof(**out)) : NULL;
	*nout = 0;
	for (size_t i = 0; i < v->u.array.n; i++) {
		int r = get_string(c, v->u.array.items[i], what, &(*out)[*nout]);
		if (r < 0)
			return r;
		(*nout)++;
	}
	return 0;
}

/* PEP 517: backend-path entries are relative and stay inside the project
 * (pip's check_backend_path: "backend-path must be within source tree"). */
static bool path_inside(const char *p)
{
	if (p[0] == '/' || p[0] == '\\')
		return false;
	int depth = 0;
	const char *s = p;
	while (*s) {
		const char *e = s;
		while (*e && *e != '/' && *e != '\\')
			e++;
		size_t n = (size_t)(e - s);
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (n && !(n == 1 && s[0] == '.')) {
			depth++;
		}
		s = *e ? e + 1 : e;
	}
	return true;
}

static int read_build_system(struct ctx *c, const struct toml_value *bs, struct pyproject *out)
{
	if (bs->type != TOML_TABLE)
		return fail(c, bs, "'build-system' must be a table");
	out->has_build_system = true;
	const struct toml_value *req = toml_get(bs, "requires");
	if (!req)
		return fail(c, bs,
			    "'build-system' has no 'requires' key, which PEP 518 makes mandatory");
	int r = parse_reqs(c, req, "build-system.requires", &out->requires, &out->nrequires);
	if (r < 0)
		return r;
	const struct toml_value *be = toml_get(bs, "build-backend");
	if (be) {
		r = get_string(c, be, "build-system.build-backend", &out->build_backend);
		if (r < 0)
			return r;
		/* PEP 517: "module.path:object.path"; the module part is required */
		const char *b = out->build_backend;
		size_t ml = strcspn(b, ":");
		if (!ml || b[0] == '.' || (b[ml] == ':' && !b[ml + 1]) || strchr(b, ' '))
			return fail(c, be, "invalid 'build-system.build-backend' '%s'", b);
	} else {
		out->build_backend = ab_xstrdup(LEGACY_BACKEND);
		out->backend_defaulted = true;
		out->check = LEGACY_CHECK;
	}
	const struct toml_value *bp = toml_get(bs, "backend-path");
	if (bp) {
		r = get_string_list(c, bp, "build-system.backend-path", &out->backend_path,
				    &out->nbackend_path);
		if (r < 0)
			return r;
		for (size_t i = 0; i < out->nbackend_path; i++)
			if (!path_inside(out->backend_path[i]))
				return fail(c, bp->u.array.items[i],
					    "'build-system.backend-path' entry '%s' is not inside the "
					    "project",
					    out->backend_path[i]);
	}
	return 0;
}

bool pyproject_is_dynamic(const struct pyproject *p, const char *field)
{
	for (size_t i = 0; i < p->ndynamic; i++)
		if (!strcmp(p->dynamic[i], field))
			return true;
	return false;
}

/* PEP 621: a field listed in dynamic must not also be given statically. */
static int check_not_both(struct ctx *c, const struct toml_value *proj, struct pyproject *out,
			  const char *field)
{
	const struct toml_value *v = toml_get(proj, field);
	if (v && pyproject_is_dynamic(out, field))
		return fail(c, v, "'project.%s' is given and also listed in 'project.dynamic'",
			    field);
	return 0;
}

static int read_project(struct ctx *c, const struct toml_value *proj, struct pyproject *out)
{
	if (proj->type != TOML_TABLE)
		return fail(c, proj, "'project' must be a table");
	out->has_project = true;
	int r;
	const struct toml_value *dyn = toml_get(proj, "dynamic");
	if (dyn) {
		r = get_string_list(c, dyn, "project.dynamic", &out->dynamic, &out->ndynamic);
		if (r < 0)
			return r;
		for (size_t i = 0; i < out->ndynamic; i++)
			if (!strcmp(out->dynamic[i], "name"))
				return fail(c, dyn->u.array.items[i],
					    "'name' cannot be listed in 'project.dynamic'");
	}
	static const char *const fields[] = { "version", "requires-python", "dependencies",
					       "optional-dependencies" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(fields); i++) {
		r = check_not_both(c, proj, out, fields[i]);
		if (r < 0)
			return r;
	}

	const struct toml_value *name = toml_get(proj, "name");
	if (!name)
		return fail(c, proj, "'project.name' is missing");
	r = get_string(c, name, "project.name", &out->name);
	if (r < 0)
		return r;
	if (!name_is_valid(ab_str_from(out->name)))
		return fail(c, name, "'project.name' '%s' is not a valid project name", out->name);
	out->name_canonical = name_canonical_dup(ab_str_from(out->name));

	const struct toml_value *ver = toml_get(proj, "version");
	if (ver) {
		r = get_string(c, ver, "project.version", &out->version);
		if (r < 0)
			return r;
		struct ab_err e = AB_ERR_INIT;
		if (pep440_version_parse(ab_str_from(out->version), &out->version_parsed, &e) < 0) {
			ab_err_release(&e);
			return fail(c, ver, "'project.version' '%s' is not a valid version",
				    out->version);
		}
	} else if (!pyproject_is_dynamic(out, "version")) {
		return fail(c, proj, "'project.version' is missing and not listed in "
				     "'project.dynamic'");
	}

	const struct toml_value *rp = toml_get(proj, "requires-python");
	if (rp) {
		r = get_string(c, rp, "project.requires-python", &out->requires_python);
		if (r < 0)
			return r;
		struct ab_err e = AB_ERR_INIT;
		if (pep440_specset_parse(ab_str_from(out->requires_python),
					 &out->requires_python_spec, &e) < 0) {
			unsigned col = e.col ? string_col(c, rp, e.col - 1) : rp->col;
			r = ab_err_at(c->err, AB_E_PARSE, &(struct ab_loc){ c->file, rp->line, col },
				      "invalid 'project.requires-python': %s", e.msg.buf);
			ab_err_release(&e);
			return r;
		}
	}

	const struct toml_value *deps = toml_get(proj, "dependencies");
	if (deps) {
		r = parse_reqs(c, deps, "project.dependencies", &out->deps, &out->ndeps);
		if (r < 0)
			return r;
	}

	const struct toml_value *opt = toml_get(proj, "optional-dependencies");
	if (opt) {
		if (opt->type != TOML_TABLE)
			return fail(c, opt, "'project.optional-dependencies' must be a table");
		size_t n = opt->u.table.n;
		out->extras = n ? ab_xcalloc(n, sizeof(*out->extras)) : NULL;
		for (size_t i = 0; i < n; i++) {
			const struct toml_kv *kv = &opt->u.table.kv[i];
			struct pyproject_extra *x = &out->extras[out->nextras++];
			x->name = ab_xstrndup(kv->key.ptr, kv->key.len);
			if (!name_is_valid(kv->key) || strlen(x->name) != kv->key.len)
				return ab_err_at(c->err, AB_E_PARSE,
						 &(struct ab_loc){ c->file, kv->line, kv->col },
						 "invalid extra name '%s' in "
						 "'project.optional-dependencies'",
						 x->name);
			x->canonical = name_canonical_dup(kv->key);
			for (size_t j = 0; j + 1 < out->nextras; j++)
				if (!strcmp(out->extras[j].canonical, x->canonical))
					return ab_err_at(c->err, AB_E_PARSE,
							 &(struct ab_loc){ c->file, kv->line,
									   kv->col },
							 "extra '%s' is listed twice in "
							 "'project.optional-dependencies' (as '%s')",
							 x->name, out->extras[j].name);
			struct ab_buf what = AB_BUF_INIT;
			ab_buf_addf(&what, "project.optional-dependencies.%s", x->name);
			r = parse_reqs(c, kv->value, what.buf, &x->deps, &x->ndeps);
			ab_buf_release(&what);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static void set_default_build_system(struct pyproject *out)
{
	out->nrequires = AB_ARRAY_SIZE(legacy_requires);
	out->requires = ab_xcalloc(out->nrequires, sizeof(*out->requires));
	for (size_t i = 0; i < out->nrequires; i++) {
		out->requires[i] = (struct pep508_req)PEP508_REQ_INIT;
		if (pep508_parse(ab_str_from(legacy_requires[i]), &out->requires[i], NULL) < 0)
			abort(); /* constant input */
	}
	out->build_backend = ab_xstrdup(LEGACY_BACKEND);
	out->backend_defaulted = true;
	out->check = LEGACY_CHECK;
}

void pyproject_default(struct pyproject *out)
{
	*out = (struct pyproject)PYPROJECT_INIT;
	set_default_build_system(out);
}

int pyproject_parse(struct ab_str text, const char *file, struct pyproject *out,
		    struct ab_err *err)
{
	*out = (struct pyproject)PYPROJECT_INIT;
	struct toml_doc doc;
	int r = toml_parse(text, file, &doc, err);
	if (r < 0)
		return r;
	struct ctx c = { text, file, err };
	const struct toml_value *bs = toml_get(doc.root, "build-system");
	if (bs)
		r = read_build_system(&c, bs, out);
	else
		set_default_build_system(out);
	const struct toml_value *proj = toml_get(doc.root, "project");
	if (r >= 0 && proj)
		r = read_project(&c, proj, out);
	toml_release(&doc);
	if (r < 0)
		pyproject_release(out);
	return r;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_reqs(struct pep508_req *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pep508_release(&r[i]);
	free(r);
}

void pyproject_release(struct pyproject *p)
{
	free_reqs(p->requires, p->nrequires);
	free(p->build_backend);
	free_strv(p->backend_path, p->nbackend_path);
	free(p->name);
	free(p->name_canonical);
	free(p->version);
	pep440_version_free(p->version_parsed);
	free_strv(p->dynamic, p->ndynamic);
	free(p->requires_python);
	pep440_specset_release(&p->requires_python_spec);
	free_reqs(p->deps, p->ndeps);
	for (size_t i = 0; i < p->nextras; i++) {
		free(p->extras[i].name);
		free(p->extras[i].canonical);
		free_reqs(p->extras[i].deps, p->extras[i].ndeps);
	}
	free(p->extras);
	*p = (struct pyproject)PYPROJECT_INIT;
}
