/* scenario.c - in-memory scenarios: loading, provider, validity check. */
#include "tests/conformance/scenario.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/core/mem.h"
#include "formats/names.h"
#include "formats/pep508.h"

void scen_init(struct scen *s)
{
	memset(s, 0, sizeof(*s));
	s->satisfiable = -1;
	static const char *const defaults[] = { "cpython", "3.11.0", "posix", "x86_64", "", "Linux",
						"", "3.11.0", "CPython", "3.11", "linux" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(defaults); i++)
		s->env.vars[i] = defaults[i];
	s->env.vars[MARKER_VAR_EXTRA] = "";
	s->py_major = 3;
	s->py_minor = 11;
	static const char *plat[] = { "manylinux_2_17_x86_64", "manylinux2014_x86_64",
				      "linux_x86_64" };
	s->platforms = plat;
	s->nplatforms = AB_ARRAY_SIZE(plat);
}

static int pkg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct scen_package *)a)->name, ((const struct scen_package *)b)->name);
}

struct scen_package *scen_package(const struct scen *s, const char *name)
{
	struct scen_package key = { name, NULL, 0 };
	return bsearch(&key, s->pkgs, s->npkgs, sizeof(key), pkg_cmp);
}

static bool listed(const char *const *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (name_eq(ab_str_from(l[i]), ab_str_from(name)))
			return true;
	return false;
}

static bool listed_all(const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i], ":all:"))
			return true;
	return false;
}

int scen_finish(struct scen *s, struct ab_err *err)
{
	struct tags_target t;
	memset(&t, 0, sizeof(t));
	t.py_major = s->py_major;
	t.py_minor = s->py_minor;
	t.impl = TAGS_IMPL_CPYTHON;
	t.platforms = s->platforms;
	t.nplatforms = s->nplatforms;
	int r = tags_supported(&t, &s->tags, err);
	if (r < 0)
		return r;
	qsort(s->pkgs, s->npkgs, sizeof(*s->pkgs), pkg_cmp);
	const char *last_tags = NULL;
	bool last_ok = false;
	for (size_t i = 0; i < s->npkgs; i++) {
		struct scen_package *p = &s->pkgs[i];
		/* pip's FormatControl.get_allowed_formats: the project's own
		 * entry wins, then ":all:" in only_binary, then in no_binary */
		bool onlybin = listed(s->only_binary, s->nonly_binary, p->name);
		bool nobin = !onlybin && listed(s->no_binary, s->nno_binary, p->name);
		if (!onlybin && !nobin) {
			onlybin = listed_all(s->only_binary, s->nonly_binary);
			nobin = !onlybin && listed_all(s->no_binary, s->nno_binary);
		}
		for (size_t j = 0; j < p->n; j++) {
			struct scen_version *v = &p->vs[j];
			v->cand.version = pep440_version_new(v->cand.version_str);
			v->cand.usable = false;
			for (size_t k = 0; k < v->nfiles && !v->cand.usable; k++) {
				const struct scen_file *f = &v->files[k];
				if (!f->wheel) {
					v->cand.usable = !onlybin;
					continue;
				}
				if (nobin)
					continue;
				if (!last_tags || strcmp(last_tags, f->tags)) {
					struct tag_set ts = TAG_SET_INIT;
					last_ok = tags_parse(ab_str_from(f->tags), &ts, NULL) == 0 &&
						  tags_supported_rank(&s->tags, &ts) >= 0;
					tag_set_release(&ts);
					last_tags = f->tags;
				}
				v->cand.usable = last_ok;
			}
		}
	}
	return 0;
}

/* ---- JSON ----
 * Every field FORMAT.md gives a meaning is checked for its type and value:
 * a scenario that says something the runner does not understand (an
 * unknown option, a misspelt mode, a file kind other than wheel/sdist)
 * fails to load with the field named, rather than being resolved under
 * some other rule and passing by accident. Keys FORMAT.md does not list
 * are ignored outside `options` (informational data may be added); inside
 * `options` each one changes what a valid answer is, so an unknown one is
 * an error. */

struct jctx {
	const char *path;
	struct ab_err *err;
};

static int bad(struct jctx *j, const char *where, const char *what)
{
	return ab_err_at(j->err, AB_E_PARSE, &(struct ab_loc){ j->path, 0, 0 }, "%s: %s", where,
			 what);
}

/* An array of strings (absent: empty). */
static int str_array(struct scen *s, struct jctx *j, json_t *a, const char *where,
		     const char ***out, size_t *n)
{
	*n = 0;
	*out = ab_arena_zalloc(&s->arena, sizeof(**out));
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bad(j, where, "expected an array of strings");
	*n = json_array_size(a);
	*out = ab_arena_zalloc(&s->arena, (*n ? *n : 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		const char *v = json_string_value(json_array_get(a, i));
		if (!v)
			return bad(j, where, "expected an array of strings");
		(*out)[i] = v;
	}
	return 0;
}

/* A string or null (absent: NULL); -1 for any other type. */
static int opt_string(json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);
	*out = json_string_value(v);
	return !v || json_is_null(v) || *out ? 0 : -1;
}

static int one_of(struct jctx *j, const char *where, const char *v, const char *const *names,
		  size_t n, int *out)
{
	for (size_t i = 0; v && i < n; i++)
		if (!strcmp(v, names[i])) {
			*out = (int)i;
			return 0;
		}
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "unknown value '%s' (expected", v ? v : "(not a string)");
	for (size_t i = 0; i < n; i++)
		ab_buf_addf(&b, "%s '%s'", i ? "," : "", names[i]);
	ab_buf_adds(&b, ")");
	int r = bad(j, where, b.buf);
	ab_buf_release(&b);
	return r;
}

static int load_options(struct scen *s, struct jctx *j, json_t *opts)
{
	if (!opts || json_is_null(opts))
		return 0;
	if (!json_is_object(opts))
		return bad(j, "root.options", "expected an object");
	static const char *const pre[] = { "if-necessary", "if-necessary-or-explicit", "allow" };
	static const char *const yank[] = { "last-resort", "root-exact-pin" };
	static const char *const rp[] = { "full", "lower-bound-only" };
	const char *k;
	json_t *v;
	json_object_foreach(opts, k, v)
	{
		int r = 0, m = 0;
		char where[96];
		snprintf(where, sizeof(where), "root.options.%s", k);
		const char **l;
		size_t n;
		if (!strcmp(k, "prereleases")) {
			r = one_of(j, where, json_string_value(v), pre, 3, &m);
			s->prereleases = m == 1   ? RESOLVE_PRE_IF_NECESSARY_OR_EXPLICIT
					 : m == 2 ? RESOLVE_PRE_ALLOW
						  : RESOLVE_PRE_IF_NECESSARY;
		} else if (!strcmp(k, "yanked")) {
			r = one_of(j, where, json_string_value(v), yank, 2, &m);
			s->yanked = m ? RESOLVE_YANKED_ROOT_EXACT_PIN : RESOLVE_YANKED_LAST_RESORT;
		} else if (!strcmp(k, "requires_python")) {
			r = one_of(j, where, json_string_value(v), rp, 2, &m);
			s->requires_python = m ? RESOLVE_RP_LOWER_BOUND_ONLY : RESOLVE_RP_FULL;
		} else if (!strcmp(k, "no_binary"))
			r = str_array(s, j, v, where, &s->no_binary, &s->nno_binary);
		else if (!strcmp(k, "only_binary"))
			r = str_array(s, j, v, where, &s->only_binary, &s->nonly_binary);
		else if (!strcmp(k, "universal")) {
			if (!json_is_boolean(v))
				r = bad(j, where, "expected true or false");
		} else if (!strcmp(k, "required_environments") || !strcmp(k, "additional_pythons"))
			r = str_array(s, j, v, where, &l, &n);
		else if (!strcmp(k, "python_platform") || !strcmp(k, "host_python")) {
			/* informational: the target is `environment`; a host
			 * other than the target only means sdists are read from
			 * their static PKG-INFO, which both providers do anyway */
			if (!json_is_string(v))
				r = bad(j, where, "expected a string");
		} else
			r = bad(j, where, "unknown option (FORMAT.md version 1 has no such option)");
		if (r < 0)
			return r;
	}
	return 0;
}

static int load_resolution(struct scen *s, struct jctx *j, json_t *o, const char *where,
			   struct scen_resolution *out)
{
	if (!json_is_object(o))
		return bad(j, where, "expected an object of name: version");
	out->n = json_object_size(o);
	out->pins = ab_arena_zalloc(&s->arena, (out->n ? out->n : 1) * sizeof(*out->pins));
	const char *k;
	json_t *v;
	size_t i = 0;
	json_object_foreach(o, k, v)
	{
		if (!json_is_string(v))
			return bad(j, where, "expected an object of name: version");
		out->pins[i].name = k;
		out->pins[i].version = json_string_value(v);
		i++;
	}
	return 0;
}

static int load_version(struct scen *s, struct jctx *j, const char *where, json_t *vo,
			struct scen_version *v)
{
	if (!json_is_object(vo))
		return bad(j, where, "expected an object");
	char w[512];
	snprintf(w, sizeof(w), "%.400s.requires_dist", where);
	int r = str_array(s, j, json_object_get(vo, "requires_dist"), w, &v->requires,
			  &v->nrequires);
	snprintf(w, sizeof(w), "%.400s.provides_extras", where);
	if (r >= 0)
		r = str_array(s, j, json_object_get(vo, "provides_extras"), w, &v->extras,
			      &v->nextras);
	if (r < 0)
		return r;
	if (opt_string(vo, "requires_python", &v->cand.requires_python) < 0)
		return bad(j, where, "requires_python: expected a string or null");
	json_t *y = json_object_get(vo, "yanked");
	if (y && !json_is_boolean(y) && !json_is_string(y))
		return bad(j, where, "yanked: expected false, true or a reason string");
	v->cand.yanked = json_is_string(y) || json_is_true(y);
	json_t *fs = json_object_get(vo, "files");
	if (!fs) {
		v->nfiles = 1;
		v->files = ab_arena_zalloc(&s->arena, sizeof(*v->files));
		v->files[0] = (struct scen_file){ true, "py3-none-any" };
		return 0;
	}
	if (!json_is_array(fs))
		return bad(j, where, "files: expected an array");
	v->nfiles = json_array_size(fs);
	v->files = ab_arena_zalloc(&s->arena, (v->nfiles ? v->nfiles : 1) * sizeof(*v->files));
	for (size_t k = 0; k < v->nfiles; k++) {
		json_t *f = json_array_get(fs, k);
		const char *kind = json_string_value(json_object_get(f, "kind"));
		const char *tags = json_string_value(json_object_get(f, "tags"));
		snprintf(w, sizeof(w), "%.400s.files[%zu]", where, k);
		if (!kind || (strcmp(kind, "wheel") && strcmp(kind, "sdist")))
			return bad(j, w, "kind: expected \"wheel\" or \"sdist\"");
		v->files[k].wheel = !strcmp(kind, "wheel");
		if (v->files[k].wheel && !tags)
			return bad(j, w, "a wheel needs its \"tags\"");
		/* an invalid tag set is allowed (FORMAT.md): it fits nothing */
		v->files[k].tags = tags ? tags : "";
	}
	return 0;
}

static int load_expected(struct scen *s, struct jctx *j, json_t *ex)
{
	if (!ex || json_is_null(ex))
		return 0;
	if (!json_is_object(ex))
		return bad(j, "expected", "expected an object");
	s->has_expected = true;
	json_t *sat = json_object_get(ex, "satisfiable");
	if (sat && !json_is_boolean(sat) && !json_is_null(sat))
		return bad(j, "expected.satisfiable", "expected true, false or null");
	s->satisfiable = json_is_true(sat) ? 1 : json_is_false(sat) ? 0 : -1;
	json_t *res = json_object_get(ex, "resolution");
	s->resolution_null = !res || json_is_null(res);
	if (!s->resolution_null) {
		int r = load_resolution(s, j, res, "expected.resolution", &s->expected);
		if (r < 0)
			return r;
		if (s->satisfiable == 0)
			return bad(j, "expected.resolution", "given for an unsatisfiable scenario");
	}
	json_t *acc = json_object_get(ex, "acceptable");
	if (acc && !json_is_array(acc))
		return bad(j, "expected.acceptable", "expected an array of resolutions");
	s->nacceptable = acc ? json_array_size(acc) : 0;
	s->acceptable = ab_arena_zalloc(&s->arena, (s->nacceptable + 1) * sizeof(*s->acceptable));
	for (size_t k = 0; k < s->nacceptable; k++) {
		int r = load_resolution(s, j, json_array_get(acc, k), "expected.acceptable",
					&s->acceptable[k]);
		if (r < 0)
			return r;
	}
	json_t *amb = json_object_get(ex, "ambiguous");
	if (amb && !json_is_boolean(amb))
		return bad(j, "expected.ambiguous", "expected true or false");
	s->ambiguous = json_is_true(amb);
	return 0;
}

int scen_load(struct scen *s, const char *path, struct ab_err *err)
{
	scen_init(s);
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root)
		return ab_err_at(err, AB_E_PARSE,
				 &(struct ab_loc){ path, je.line > 0 ? (unsigned)je.line : 0, 0 },
				 "%s", je.text);
	s->json = root;
	struct jctx j = { path, err };
	if (!json_is_object(root))
		return bad(&j, "scenario", "expected an object");
	json_t *fmt = json_object_get(root, "format");
	if (fmt && !(json_is_integer(fmt) && json_integer_value(fmt) == 1))
		return bad(&j, "format", "only format 1 is understood");
	if (opt_string(root, "name", &s->name) < 0 || opt_string(root, "source", &s->source) < 0)
		return bad(&j, "name/source", "expected a string");
	if (!s->name)
		s->name = path;
	if (!s->source)
		s->source = "";
	json_t *env = json_object_get(root, "environment");
	if (env && !json_is_object(env))
		return bad(&j, "environment", "expected an object");
	/* the environment variables up to sys_platform; extras are per requirement */
	for (int i = 0; i <= MARKER_VAR_SYS_PLATFORM; i++) {
		const char *v;
		if (opt_string(env, marker_var_name(i), &v) < 0)
			return bad(&j, marker_var_name(i), "expected a string");
		if (v)
			s->env.vars[i] = v;
	}
	const char *pv = s->env.vars[MARKER_VAR_PYTHON_VERSION];
	char tail;
	if (sscanf(pv, "%u.%u%c", &s->py_major, &s->py_minor, &tail) != 2)
		return bad(&j, "environment.python_version", "expected 'X.Y'");
	struct pep440_version *full =
		pep440_version_new(s->env.vars[MARKER_VAR_PYTHON_FULL_VERSION]);
	pep440_version_free(full);
	if (!full)
		return bad(&j, "environment.python_full_version", "not a PEP 440 version");
	json_t *pt = json_object_get(env, "platform_tags");
	if (pt) {
		int r = str_array(s, &j, pt, "environment.platform_tags", &s->platforms,
				  &s->nplatforms);
		if (r < 0)
			return r;
	}
	json_t *rt = json_object_get(root, "root");
	if (!json_is_object(rt))
		return bad(&j, "root", "expected an object");
	if (!json_is_array(json_object_get(rt, "requirements")))
		return bad(&j, "root.requirements", "expected an array of strings");
	const char *rpy;
	if (opt_string(rt, "requires_python", &rpy) < 0)
		return bad(&j, "root.requires_python", "expected a string or null");
	int r = str_array(s, &j, json_object_get(rt, "requirements"), "root.requirements", &s->reqs,
			  &s->nreqs);
	if (r >= 0)
		r = str_array(s, &j, json_object_get(rt, "constraints"), "root.constraints", &s->cons,
			      &s->ncons);
	if (r >= 0)
		r = load_options(s, &j, json_object_get(rt, "options"));
	if (r < 0)
		return r;

	json_t *pkgs = json_object_get(root, "packages");
	if (!json_is_object(pkgs))
		return bad(&j, "packages", "expected an object");
	s->npkgs = json_object_size(pkgs);
	s->pkgs = ab_arena_zalloc(&s->arena, (s->npkgs ? s->npkgs : 1) * sizeof(*s->pkgs));
	const char *name;
	json_t *vers;
	size_t i = 0;
	json_object_foreach(pkgs, name, vers)
	{
		struct scen_package *p = &s->pkgs[i++];
		char where[512];
		snprintf(where, sizeof(where), "packages.%.400s", name);
		if (!json_is_object(vers))
			return bad(&j, where, "expected an object of versions");
		p->name = name;
		p->n = json_object_size(vers);
		p->vs = ab_arena_zalloc(&s->arena, (p->n ? p->n : 1) * sizeof(*p->vs));
		const char *vk;
		json_t *vo;
		size_t k = 0;
		json_object_foreach(vers, vk, vo)
		{
			struct scen_version *v = &p->vs[k++];
			v->cand.version_str = vk;
			snprintf(where, sizeof(where), "packages.%.200s.%.200s", name, vk);
			r = load_version(s, &j, where, vo, v);
			if (r < 0)
				return r;
		}
	}
	r = load_expected(s, &j, json_object_get(root, "expected"));
	if (r < 0)
		return r;
	return scen_finish(s, err);
}

void scen_release(struct scen *s)
{
	for (size_t i = 0; i < s->npkgs; i++)
		for (size_t j = 0; j < s->pkgs[i].n; j++)
			pep440_version_free((struct pep440_version *)s->pkgs[i].vs[j].cand.version);
	tags_supported_release(&s->tags);
	ab_arena_release(&s->arena);
	if (s->json)
		json_decref(s->json);
	memset(s, 0, sizeof(*s));
}

/* ---- provider ---- */

static int list_versions(void *data, const char *name, const struct resolve_candidate **out,
			 size_t *n, struct ab_err *err)
{
	struct scen *s = data;
	struct scen_package *p = scen_package(s, name);
	*out = NULL;
	*n = 0;
	if (!p)
		return 0;
	/* struct scen_version starts with its candidate, but the array
	 * stride differs: hand out a contiguous copy, made once. */
	struct resolve_candidate *cs = ab_arena_alloc(&s->arena, (p->n ? p->n : 1) * sizeof(*cs));
	for (size_t i = 0; i < p->n; i++)
		cs[i] = p->vs[i].cand;
	*out = cs;
	*n = p->n;
	return 1;
}

static int get_metadata(void *data, const char *name, const struct resolve_candidate *c,
			struct resolve_metadata *out, struct ab_err *err)
{
	struct scen *s = data;
	struct scen_package *p = scen_package(s, name);
	for (size_t i = 0; p && i < p->n; i++) {
		if (p->vs[i].cand.version_str != c->version_str)
			continue;
		out->requires_dist = p->vs[i].requires;
		out->nrequires = p->vs[i].nrequires;
		out->provides_extras = p->vs[i].extras;
		out->nextras = p->vs[i].nextras;
		s->metadata_reads++;
		return 0;
	}
	return ab_err_set(err, AB_E_INTERNAL, "scenario: no metadata for '%s' %s", name,
			  c->version_str);
}

void scen_provider(struct scen *s, struct resolve_provider *p)
{
	memset(p, 0, sizeof(*p));
	p->data = s;
	p->list_versions = list_versions;
	p->get_metadata = get_metadata;
}

void scen_options(const struct scen *s, struct resolve_options *o)
{
	memset(o, 0, sizeof(*o));
	o->env = &s->env;
	o->prereleases = s->prereleases;
	o->yanked = s->yanked;
	o->requires_python = s->requires_python;
}

/* ---- validity (FORMAT.md "Semantics") ---- */

struct vpin {
	const struct resolve_pin *pin;
	struct scen_package *pkg;
	struct scen_version *ver;
	char **extras;
	size_t nextras;
	bool reached;
	/* requirements on it, for the pre-release rule */
	bool pre_named, versioned;
};

static struct vpin *vfind(struct vpin *vp, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(vp[i].pin->name, name))
			return &vp[i];
	return NULL;
}

static bool marker_ok(const struct scen *s, const struct marker *m, const char *extra)
{
	if (!m)
		return true;
	struct marker_env env = s->env;
	env.vars[MARKER_VAR_EXTRA] = extra;
	struct ab_err e = AB_ERR_INIT;
	int r = marker_evaluate(m, &env, &e);
	ab_err_release(&e);
	return r > 0;
}

static bool add_extra(struct vpin *p, const char *extra)
{
	char *c = name_canonical_dup(ab_str_from(extra));
	for (size_t i = 0; i < p->nextras; i++)
		if (!strcmp(p->extras[i], c)) {
			free(c);
			return false;
		}
	p->extras = ab_xrealloc(p->extras, (p->nextras + 1) * sizeof(*p->extras));
	p->extras[p->nextras++] = c;
	return true;
}

static bool provided(const struct scen_version *v, const char *extra)
{
	for (size_t i = 0; i < v->nextras; i++)
		if (name_eq(ab_str_from(v->extras[i]), ab_str_from(extra)))
			return true;
	return false;
}

/* One requirement in force: it must name a pin whose version it contains. */
static bool check_req(const struct scen *s, struct vpin *vp, size_t n, const struct pep508_req *q,
		      const char *from, bool *changed, struct ab_buf *why)
{
	struct vpin *p = vfind(vp, n, q->canonical);
	if (!p) {
		ab_buf_addf(why, "%s requires '%s', which is not in the resolution", from, q->name);
		return false;
	}
	if (!p->reached) {
		p->reached = true;
		*changed = true;
	}
	for (size_t i = 0; i < q->nextras; i++)
		if (add_extra(p, q->extras[i]))
			*changed = true;
	if (!pep440_specset_contains_str(&q->spec, ab_str_from(p->ver->cand.version_str), 1)) {
		ab_buf_addf(why, "%s requires '%s%s', resolved %s", from, q->name,
			    q->spec.n ? "" : "", p->ver->cand.version_str);
		struct ab_buf b = AB_BUF_INIT;
		pep440_specset_format(&q->spec, &b);
		ab_buf_addf(why, " (%s)", b.buf);
		ab_buf_release(&b);
		return false;
	}
	for (size_t j = 0; j < q->spec.n; j++) {
		const struct pep440_spec *sp = &q->spec.specs[j];
		p->versioned = true;
		bool inc = sp->op == PEP440_OP_EQ || sp->op == PEP440_OP_ARBITRARY ||
			   sp->op == PEP440_OP_GE || sp->op == PEP440_OP_LE ||
			   sp->op == PEP440_OP_COMPATIBLE;
		if (inc && sp->version && pep440_is_prerelease(sp->version))
			p->pre_named = true;
	}
	return true;
}

static bool root_names_pre(const struct scen *s, const char *name)
{
	for (size_t i = 0; i < s->nreqs; i++) {
		struct pep508_req q = PEP508_REQ_INIT;
		bool hit = false;
		if (pep508_parse(ab_str_from(s->reqs[i]), &q, NULL) == 0 && !strcmp(q.canonical, name))
			for (size_t j = 0; j < q.spec.n; j++)
				if (q.spec.specs[j].version &&
				    pep440_is_prerelease(q.spec.specs[j].version))
					hit = true;
		pep508_release(&q);
		if (hit)
			return true;
	}
	return false;
}

static bool root_pin_exact(const struct scen *s, const char *name, const struct scen_version *v)
{
	for (size_t i = 0; i < s->nreqs; i++) {
		struct pep508_req q = PEP508_REQ_INIT;
		bool hit = false;
		if (pep508_parse(ab_str_from(s->reqs[i]), &q, NULL) == 0 && !strcmp(q.canonical, name))
			for (size_t j = 0; j < q.spec.n; j++) {
				const struct pep440_spec *sp = &q.spec.specs[j];
				if ((sp->op == PEP440_OP_EQ && !sp->wildcard &&
				     pep440_spec_contains(sp, v->cand.version, 1)) ||
				    (sp->op == PEP440_OP_ARBITRARY &&
				     !strcasecmp(sp->text, v->cand.version_str)))
					hit = true;
			}
		pep508_release(&q);
		if (hit)
			return true;
	}
	return false;
}

static bool usable_ok(const struct scen *s, struct vpin *p, struct ab_buf *why)
{
	const struct scen_version *v = p->ver;
	struct pep440_version *py = pep440_version_new(s->env.vars[MARKER_VAR_PYTHON_FULL_VERSION]);
	bool rp = resolve_python_ok(v->cand.requires_python, py, s->requires_python);
	pep440_version_free(py);
	if (!rp) {
		ab_buf_addf(why, "%s %s requires Python %s", p->pin->name, p->pin->version,
			    v->cand.requires_python);
		return false;
	}
	if (!v->cand.usable) {
		ab_buf_addf(why, "%s %s has no usable file", p->pin->name, p->pin->version);
		return false;
	}
	if (v->cand.yanked && s->yanked == RESOLVE_YANKED_ROOT_EXACT_PIN &&
	    !root_pin_exact(s, p->pin->name, v)) {
		ab_buf_addf(why, "%s %s is yanked and not pinned by the root", p->pin->name,
			    p->pin->version);
		return false;
	}
	if (!pep440_is_prerelease(v->cand.version) || s->prereleases == RESOLVE_PRE_ALLOW)
		return true;
	bool ok;
	if (s->prereleases == RESOLVE_PRE_IF_NECESSARY_OR_EXPLICIT) {
		ok = root_names_pre(s, p->pin->name);
		for (size_t i = 0; !ok && i <= p->pkg->n; i++) {
			if (i == p->pkg->n) {
				ok = true; /* every published version is a pre-release */
				break;
			}
			if (p->pkg->vs[i].cand.version &&
			    !pep440_is_prerelease(p->pkg->vs[i].cand.version))
				break;
		}
	} else {
		ok = p->pre_named;
		if (!ok && !p->versioned) {
			ok = true;
			struct pep440_version *py2 =
				pep440_version_new(s->env.vars[MARKER_VAR_PYTHON_FULL_VERSION]);
			for (size_t i = 0; i < p->pkg->n; i++) {
				const struct scen_version *w = &p->pkg->vs[i];
				if (w->cand.version && !pep440_is_prerelease(w->cand.version) &&
				    w->cand.usable &&
				    resolve_python_ok(w->cand.requires_python, py2, s->requires_python) &&
				    (!w->cand.yanked || s->yanked == RESOLVE_YANKED_LAST_RESORT))
					ok = false;
			}
			pep440_version_free(py2);
		}
	}
	if (!ok)
		ab_buf_addf(why, "%s %s is a pre-release the policy does not allow", p->pin->name,
			    p->pin->version);
	return ok;
}

bool scen_valid(const struct scen *s, const struct resolve_pin *pins, size_t n, struct ab_buf *why)
{
	struct vpin *vp = ab_xcalloc(n ? n : 1, sizeof(*vp));
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		vp[i].pin = &pins[i];
		vp[i].pkg = scen_package(s, pins[i].name);
		struct pep440_version *v = pep440_version_new(pins[i].version);
		for (size_t j = 0; vp[i].pkg && v && j < vp[i].pkg->n; j++)
			if (vp[i].pkg->vs[j].cand.version &&
			    !pep440_version_cmp(vp[i].pkg->vs[j].cand.version, v))
				vp[i].ver = &vp[i].pkg->vs[j];
		pep440_version_free(v);
		if (!vp[i].ver) {
			ab_buf_addf(why, "%s %s is not in the index", pins[i].name, pins[i].version);
			ok = false;
		}
		for (size_t j = 0; j < i && ok; j++)
			if (!strcmp(pins[j].name, pins[i].name)) {
				ab_buf_addf(why, "%s is pinned twice", pins[i].name);
				ok = false;
			}
	}
	/* Rules 1-3 to a fixpoint: requested extras grow as requirements are
	 * found, and each may enable more requirements. */
	bool changed = true;
	while (ok && changed) {
		changed = false;
		for (size_t i = 0; i < n; i++)
			vp[i].pre_named = vp[i].versioned = false;
		for (size_t i = 0; i < s->nreqs && ok; i++) {
			struct pep508_req q = PEP508_REQ_INIT;
			if (pep508_parse(ab_str_from(s->reqs[i]), &q, NULL) < 0) {
				ab_buf_addf(why, "root requirement '%s' does not parse", s->reqs[i]);
				ok = false;
			} else if (marker_ok(s, q.marker, ""))
				ok = check_req(s, vp, n, &q, "the root", &changed, why);
			pep508_release(&q);
		}
		for (size_t i = 0; i < n && ok; i++) {
			if (!vp[i].reached)
				continue;
			const struct scen_version *v = vp[i].ver;
			for (size_t k = 0; k < v->nrequires && ok; k++) {
				struct pep508_req q = PEP508_REQ_INIT;
				if (pep508_parse(ab_str_from(v->requires[k]), &q, NULL) < 0) {
					pep508_release(&q);
					continue;
				}
				bool on = marker_ok(s, q.marker, "");
				for (size_t e = 0; !on && e < vp[i].nextras; e++)
					on = provided(v, vp[i].extras[e]) &&
					     marker_ok(s, q.marker, vp[i].extras[e]);
				if (on) {
					struct ab_buf from = AB_BUF_INIT;
					ab_buf_addf(&from, "%s %s", vp[i].pin->name, vp[i].pin->version);
					ok = check_req(s, vp, n, &q, from.buf, &changed, why);
					ab_buf_release(&from);
				}
				pep508_release(&q);
			}
		}
	}
	for (size_t i = 0; i < s->ncons && ok; i++) {
		struct pep508_req q = PEP508_REQ_INIT;
		if (pep508_parse(ab_str_from(s->cons[i]), &q, NULL) == 0 && marker_ok(s, q.marker, "")) {
			struct vpin *p = vfind(vp, n, q.canonical);
			if (p && !pep440_specset_contains_str(&q.spec,
							      ab_str_from(p->ver->cand.version_str), 1)) {
				ab_buf_addf(why, "%s %s violates constraint '%s'", p->pin->name,
					    p->pin->version, s->cons[i]);
				ok = false;
			}
		}
		pep508_release(&q);
	}
	for (size_t i = 0; i < n && ok; i++) {
		if (!vp[i].reached) {
			ab_buf_addf(why, "%s is not required by anything", vp[i].pin->name);
			ok = false;
		} else
			ok = usable_ok(s, &vp[i], why);
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t e = 0; e < vp[i].nextras; e++)
			free(vp[i].extras[e]);
		free(vp[i].extras);
	}
	free(vp);
	return ok;
}

bool scen_same(const struct resolve_pin *a, size_t na, const struct resolve_pin *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		size_t j;
		for (j = 0; j < nb; j++)
			if (name_eq(ab_str_from(a[i].name), ab_str_from(b[j].name)))
				break;
		if (j == nb)
			return false;
		struct pep440_version *x = pep440_version_new(a[i].version);
		struct pep440_version *y = pep440_version_new(b[j].version);
		bool eq = x && y ? !pep440_version_cmp(x, y) : !strcmp(a[i].version, b[j].version);
		pep440_version_free(x);
		pep440_version_free(y);
		if (!eq)
			return false;
	}
	return true;
}
