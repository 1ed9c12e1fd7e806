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
		if (!strcmp(l[i], ":all:") || name_eq(ab_str_from(l[i]), ab_str_from(name)))
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
		bool nobin = listed(s->no_binary, s->nno_binary, p->name);
		bool onlybin = listed(s->only_binary, s->nonly_binary, p->name);
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

/* ---- JSON ---- */

static const char **str_array(struct scen *s, json_t *a, size_t *n)
{
	*n = json_is_array(a) ? json_array_size(a) : 0;
	const char **out = ab_arena_zalloc(&s->arena, (*n ? *n : 1) * sizeof(*out));
	for (size_t i = 0; i < *n; i++) {
		const char *v = json_string_value(json_array_get(a, i));
		out[i] = v ? v : "";
	}
	return out;
}

static const char *opt_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void load_resolution(struct scen *s, json_t *o, struct scen_resolution *out)
{
	out->n = json_object_size(o);
	out->pins = ab_arena_zalloc(&s->arena, (out->n ? out->n : 1) * sizeof(*out->pins));
	const char *k;
	json_t *v;
	size_t i = 0;
	json_object_foreach(o, k, v)
	{
		out->pins[i].name = k;
		out->pins[i].version = json_string_value(v) ? json_string_value(v) : "";
		i++;
	}
}

int scen_load(struct scen *s, const char *path, struct ab_err *err)
{
	scen_init(s);
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root)
		return ab_err_at(err, AB_E_PARSE, &(struct ab_loc){ path, (unsigned)je.line, 0 },
				 "%s", je.text);
	s->json = root;
	s->name = opt_str(root, "name") ? opt_str(root, "name") : path;
	s->source = opt_str(root, "source") ? opt_str(root, "source") : "";
	json_t *env = json_object_get(root, "environment");
	/* the environment variables up to sys_platform; extras are per requirement */
	for (int i = 0; i <= MARKER_VAR_SYS_PLATFORM; i++)
		if (opt_str(env, marker_var_name(i)))
			s->env.vars[i] = opt_str(env, marker_var_name(i));
	const char *pv = s->env.vars[MARKER_VAR_PYTHON_VERSION];
	if (pv && sscanf(pv, "%u.%u", &s->py_major, &s->py_minor) != 2)
		return ab_err_set(err, AB_E_PARSE, "bad python_version '%s'", pv);
	json_t *pt = json_object_get(env, "platform_tags");
	if (json_is_array(pt))
		s->platforms = str_array(s, pt, &s->nplatforms);
	json_t *rt = json_object_get(root, "root");
	s->reqs = str_array(s, json_object_get(rt, "requirements"), &s->nreqs);
	s->cons = str_array(s, json_object_get(rt, "constraints"), &s->ncons);
	json_t *opts = json_object_get(rt, "options");
	const char *o = opt_str(opts, "prereleases");
	if (o && !strcmp(o, "if-necessary-or-explicit"))
		s->prereleases = RESOLVE_PRE_IF_NECESSARY_OR_EXPLICIT;
	else if (o && !strcmp(o, "allow"))
		s->prereleases = RESOLVE_PRE_ALLOW;
	o = opt_str(opts, "yanked");
	if (o && !strcmp(o, "root-exact-pin"))
		s->yanked = RESOLVE_YANKED_ROOT_EXACT_PIN;
	o = opt_str(opts, "requires_python");
	if (o && !strcmp(o, "lower-bound-only"))
		s->requires_python = RESOLVE_RP_LOWER_BOUND_ONLY;
	s->no_binary = str_array(s, json_object_get(opts, "no_binary"), &s->nno_binary);
	s->only_binary = str_array(s, json_object_get(opts, "only_binary"), &s->nonly_binary);

	json_t *pkgs = json_object_get(root, "packages");
	s->npkgs = json_object_size(pkgs);
	s->pkgs = ab_arena_zalloc(&s->arena, (s->npkgs ? s->npkgs : 1) * sizeof(*s->pkgs));
	const char *name;
	json_t *vers;
	size_t i = 0;
	json_object_foreach(pkgs, name, vers)
	{
		struct scen_package *p = &s->pkgs[i++];
		p->name = name;
		p->n = json_object_size(vers);
		p->vs = ab_arena_zalloc(&s->arena, (p->n ? p->n : 1) * sizeof(*p->vs));
		const char *vk;
		json_t *vo;
		size_t j = 0;
		json_object_foreach(vers, vk, vo)
		{
			struct scen_version *v = &p->vs[j++];
			v->cand.version_str = vk;
			v->requires = str_array(s, json_object_get(vo, "requires_dist"), &v->nrequires);
			v->extras = str_array(s, json_object_get(vo, "provides_extras"), &v->nextras);
			v->cand.requires_python = opt_str(vo, "requires_python");
			json_t *y = json_object_get(vo, "yanked");
			v->cand.yanked = json_is_string(y) || json_is_true(y);
			json_t *fs = json_object_get(vo, "files");
			if (!json_is_array(fs)) {
				v->nfiles = 1;
				v->files = ab_arena_zalloc(&s->arena, sizeof(*v->files));
				v->files[0] = (struct scen_file){ true, "py3-none-any" };
				continue;
			}
			v->nfiles = json_array_size(fs);
			v->files = ab_arena_zalloc(&s->arena,
						   (v->nfiles ? v->nfiles : 1) * sizeof(*v->files));
			for (size_t k = 0; k < v->nfiles; k++) {
				json_t *f = json_array_get(fs, k);
				const char *kind = opt_str(f, "kind");
				v->files[k].wheel = kind && !strcmp(kind, "wheel");
				v->files[k].tags = opt_str(f, "tags") ? opt_str(f, "tags") : "";
			}
		}
	}

	json_t *ex = json_object_get(root, "expected");
	if (json_is_object(ex)) {
		s->has_expected = true;
		json_t *sat = json_object_get(ex, "satisfiable");
		s->satisfiable = json_is_true(sat) ? 1 : json_is_false(sat) ? 0 : -1;
		json_t *res = json_object_get(ex, "resolution");
		s->resolution_null = !json_is_object(res);
		if (!s->resolution_null)
			load_resolution(s, res, &s->expected);
		json_t *acc = json_object_get(ex, "acceptable");
		s->nacceptable = json_is_array(acc) ? json_array_size(acc) : 0;
		s->acceptable = ab_arena_zalloc(&s->arena, (s->nacceptable + 1) * sizeof(*s->acceptable));
		for (size_t k = 0; k < s->nacceptable; k++)
			load_resolution(s, json_array_get(acc, k), &s->acceptable[k]);
		s->ambiguous = json_is_true(json_object_get(ex, "ambiguous"));
	}
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
