/* resolve.c - Python packaging semantics mapped onto PubGrub. */
#include "builder/resolve.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/pubgrub.h"
#include "formats/core/arena.h"
#include "formats/core/mem.h"
#include "formats/names.h"
#include "formats/pep508.h"
#include "formats/vrange.h"

struct cand {
	const struct resolve_candidate *c;
	bool pre, python_ok;
};

/* A real project (the virtual `foo[x]` packages share their base's). */
struct base {
	char *name;
	unsigned id;
	bool listed, exists;
	struct cand *cands; /* newest first */
	size_t n;
	bool pre_explicit;   /* a requirement names a pre-release in an inclusive clause */
	bool versioned;      /* a requirement has a version clause */
	bool root_pre;       /* a root requirement names a pre-release in any clause */
	/* pip: who states each requirement on it with a version clause (pre:
	 * an inclusive clause naming a pre-release); only those of the root
	 * and of versions decided now count (allow_pre) */
	struct pre_src { unsigned pkg; const struct pep440_version *v; bool pre; } *srcs;
	size_t nsrcs, csrcs;
	bool all_pre, usable_final;
	bool direct;         /* required by the root */
	const struct pep508_req **root_reqs; /* root requirements on it (yank pins) */
	size_t nroot, croot;
	const char *prefer;  /* preferred version (lock pin) */
	const struct resolve_direct *dref; /* a direct reference pins it */
	bool has_extras;     /* some `name[extra]` package of it exists */
};

/* A PubGrub package: a base, or a base with one extra. */
struct rpkg {
	struct base *b;
	char *extra; /* normalized; NULL for the base */
	/* priority() of a listed package by pubgrub_range_serial(), 0: none */
	unsigned long prio_serial;
	long prio;
};

struct rs {
	const struct resolve_provider *p;
	const struct resolve_options *o;
	struct pubgrub *pg;
	struct ab_arena arena;
	struct base **bases;
	size_t nbases, cbases;
	struct base **bslots; /* bases by name, open addressing */
	size_t bmask;
	struct rpkg *pkgs; /* by PubGrub id */
	size_t npkgs, cpkgs;
	struct pep508_req *root_reqs, *cons;
	size_t nroot, ncons;
	struct pep440_version *python;
	struct marker_env env;
	size_t metadata_reads;
	bool conflict; /* err holds a direct-reference conflict, not a solver failure */
	unsigned cur_pkg; /* whose dependencies get_dependencies() is adding */
	const struct pep440_version *cur_v;
	bool sticky_pre;  /* pip rule: any requirement met so far opts in (see resolve_run) */
	bool pre_refused; /* a pre-release was refused that sticky_pre would allow */
};

/* ---- Requires-Python ---- */

bool resolve_python_ok(const char *requires_python, const struct pep440_version *python,
		       enum resolve_requires_python mode)
{
	if (!requires_python || !python)
		return true;
	struct pep440_specset set = PEP440_SPECSET_INIT;
	if (pep440_specset_parse(ab_str_from(requires_python), &set, NULL) < 0)
		return true; /* pip ignores an invalid Requires-Python */
	bool ok = true;
	for (size_t i = 0; i < set.n && ok; i++) {
		const struct pep440_spec *s = &set.specs[i];
		if (mode == RESOLVE_RP_LOWER_BOUND_ONLY) {
			/* uv: upper bounds are not held against a candidate */
			if (s->op == PEP440_OP_LT || s->op == PEP440_OP_LE || s->op == PEP440_OP_NE)
				continue;
			if ((s->op == PEP440_OP_EQ && s->wildcard) || s->op == PEP440_OP_COMPATIBLE) {
				ok = pep440_version_cmp(python, s->version) >= 0;
				continue;
			}
		}
		ok = pep440_spec_contains(s, python, 1);
	}
	pep440_specset_release(&set);
	return ok;
}

/* ---- packages ---- */

static int cand_cmp_desc(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	return pep440_version_cmp(y->c->version, x->c->version);
}

/* The slot of `canonical` in bslots: its base, or the empty slot for it
 * (every requirement met looks its base up: a table, not a scan). */
static struct base **base_slot(struct rs *rs, const char *canonical)
{
	size_t h = 1469598103934665603ull;
	for (const char *c = canonical; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	size_t i = h & rs->bmask;
	while (rs->bslots[i] && strcmp(rs->bslots[i]->name, canonical))
		i = (i + 1) & rs->bmask;
	return &rs->bslots[i];
}

static struct base *get_base(struct rs *rs, const char *canonical)
{
	return rs->bslots ? *base_slot(rs, canonical) : NULL;
}

static void add_base_slot(struct rs *rs, struct base *b)
{
	if (!rs->bslots || (rs->nbases + 1) * 2 > rs->bmask + 1) {
		rs->bmask = rs->bslots ? rs->bmask * 2 + 1 : 255;
		free(rs->bslots);
		while ((rs->nbases + 1) * 2 > rs->bmask + 1)
			rs->bmask = rs->bmask * 2 + 1;
		rs->bslots = ab_xcalloc(rs->bmask + 1, sizeof(*rs->bslots));
		for (size_t i = 0; i < rs->nbases; i++)
			*base_slot(rs, rs->bases[i]->name) = rs->bases[i];
	}
	*base_slot(rs, b->name) = b;
}

static unsigned intern(struct rs *rs, struct base *b, const char *extra)
{
	unsigned id;
	if (!extra)
		id = pubgrub_package(rs->pg, b->name);
	else {
		struct ab_buf n = AB_BUF_INIT;
		ab_buf_addf(&n, "%s[%s]", b->name, extra);
		id = pubgrub_package(rs->pg, n.buf);
		ab_buf_release(&n);
	}
	if (id >= rs->npkgs) {
		AB_GROW(rs->pkgs, rs->cpkgs, id + 1);
		for (size_t i = rs->npkgs; i <= id; i++)
			rs->pkgs[i] = (struct rpkg){ NULL, NULL, 0, 0 };
		rs->npkgs = id + 1;
		rs->pkgs[id].b = b;
		rs->pkgs[id].extra = extra ? ab_arena_strdup(&rs->arena, extra) : NULL;
		if (extra)
			b->has_extras = true;
	}
	return id;
}

static struct base *base_of(struct rs *rs, const char *canonical)
{
	struct base *b = get_base(rs, canonical);
	if (b)
		return b;
	b = ab_arena_zalloc(&rs->arena, sizeof(*b));
	b->name = ab_arena_strdup(&rs->arena, canonical);
	add_base_slot(rs, b);
	AB_GROW(rs->bases, rs->cbases, rs->nbases + 1);
	rs->bases[rs->nbases++] = b;
	b->id = intern(rs, b, NULL);
	for (size_t i = 0; i < rs->o->nprefer; i++)
		if (!strcmp(rs->o->prefer[i].name, canonical))
			b->prefer = rs->o->prefer[i].version;
	for (size_t i = 0; i < rs->o->ndirect; i++)
		if (!strcmp(rs->o->direct[i].name, canonical))
			b->dref = &rs->o->direct[i];
	if (rs->p->prefetch)
		rs->p->prefetch(rs->p->data, b->name, NULL);
	return b;
}

static int list_base(struct rs *rs, struct base *b, struct ab_err *err)
{
	if (b->listed)
		return 0;
	const struct resolve_candidate *cs = NULL;
	size_t n = 0;
	int r = rs->p->list_versions(rs->p->data, b->name, &cs, &n, err);
	if (r < 0)
		return r;
	b->listed = true;
	b->exists = r > 0;
	b->cands = n ? ab_arena_zalloc(&rs->arena, n * sizeof(*b->cands)) : NULL;
	b->all_pre = n > 0;
	/* consecutive versions mostly share one Requires-Python: parse each
	 * distinct run once */
	const char *last_rp = NULL;
	bool last_ok = true;
	for (size_t i = 0; i < n; i++) {
		struct cand *c = &b->cands[b->n];
		if (!cs[i].version)
			continue;
		c->c = &cs[i];
		c->pre = pep440_is_prerelease(cs[i].version);
		const char *rp = cs[i].requires_python;
		if (!rp || !last_rp || strcmp(rp, last_rp)) {
			last_ok = resolve_python_ok(rp, rs->python, rs->o->requires_python);
			last_rp = rp;
		}
		c->python_ok = last_ok;
		if (!c->pre)
			b->all_pre = false;
		b->n++;
	}
	/* providers mostly list newest first already: sort only if not */
	bool sorted = true;
	for (size_t i = 1; i < b->n && sorted; i++)
		sorted = cand_cmp_desc(&b->cands[i - 1], &b->cands[i]) <= 0;
	if (!sorted)
		qsort(b->cands, b->n, sizeof(*b->cands), cand_cmp_desc);
	for (size_t i = 0; i < b->n; i++) {
		const struct cand *c = &b->cands[i];
		if (!c->pre && c->python_ok && c->c->usable &&
		    (!c->c->yanked || rs->o->yanked == RESOLVE_YANKED_LAST_RESORT))
			b->usable_final = true;
	}
	return 0;
}

/* pip's rule over the requirements of the current state (allow_pre) */
static bool live_pre(const struct rs *rs, const struct base *b)
{
	bool pre = false, versioned = false;
	for (size_t i = 0; i < b->nsrcs && !pre; i++) {
		const struct pre_src *s = &b->srcs[i];
		const struct pep440_version *d =
			s->pkg == PUBGRUB_ROOT ? NULL : pubgrub_decision(rs->pg, s->pkg);
		if (s->pkg == PUBGRUB_ROOT || (d && !pep440_version_cmp(d, s->v))) {
			pre = s->pre;
			versioned = true;
		}
	}
	return pre || (!versioned && !b->usable_final);
}

static bool allow_pre(struct rs *rs, const struct base *b)
{
	/* a direct reference is the user's explicit choice, whatever its
	 * version (pip treats it as an explicit candidate) */
	if (b->dref)
		return true;
	switch (rs->o->prereleases) {
	case RESOLVE_PRE_ALLOW:
		return true;
	case RESOLVE_PRE_IF_NECESSARY_OR_EXPLICIT:
		return b->all_pre || b->root_pre;
	case RESOLVE_PRE_IF_NECESSARY:
		break;
	}
	/* pip 23.2.1 (FORMAT.md): an inclusive clause naming a pre-release, or
	 * no version clause at all and no usable final release, among the
	 * requirements on the package in the current state: the root's and
	 * those of the versions decided now (one of a version tried and
	 * abandoned would let in a pre-release nothing in the answer asks
	 * for). resolve_run() retries with sticky_pre when this refuses one
	 * and the solve fails. */
	if (live_pre(rs, b))
		return true;
	/* what the requirements met so far, live or not, would allow */
	bool sticky = b->pre_explicit || (!b->versioned && !b->usable_final);
	if (sticky && !rs->sticky_pre)
		rs->pre_refused = true;
	return sticky && rs->sticky_pre;
}

static bool root_pins(const struct base *b, const struct cand *c)
{
	for (size_t i = 0; i < b->nroot; i++) {
		const struct pep440_specset *s = &b->root_reqs[i]->spec;
		for (size_t j = 0; j < s->n; j++) {
			const struct pep440_spec *sp = &s->specs[j];
			if (sp->op == PEP440_OP_EQ && !sp->wildcard &&
			    pep440_spec_contains(sp, c->c->version, 1))
				return true;
			if (sp->op == PEP440_OP_ARBITRARY && !strcasecmp(sp->text, c->c->version_str))
				return true;
		}
	}
	return false;
}

/* 0: not a candidate; 1: a candidate; 2: a last-resort candidate
 * (--prefer-binary: sdists only); 3: yanked (pip: below everything else) */
static int cand_rank(const struct rs *rs, const struct base *b, const struct cand *c, bool pre_ok)
{
	if (!c->c->usable || !c->python_ok || (c->pre && !pre_ok))
		return 0;
	if (!c->c->yanked)
		return c->c->last_resort ? 2 : 1;
	if (rs->o->yanked == RESOLVE_YANKED_LAST_RESORT)
		return 3;
	return root_pins(b, c) ? (c->c->last_resort ? 2 : 1) : 0;
}

static bool is_single(const struct vrange *r)
{
	return r->n == 1 && r->iv[0].lo.kind == VRANGE_BEFORE && r->iv[0].hi.kind == VRANGE_AFTER &&
	       !pep440_version_cmp(r->iv[0].lo.v, r->iv[0].hi.v);
}

static const struct cand *find_cand(const struct base *b, const struct pep440_version *v)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->cands[i].c->version == v)
			return &b->cands[i];
	for (size_t i = 0; i < b->n; i++)
		if (!pep440_version_cmp(b->cands[i].c->version, v))
			return &b->cands[i];
	return NULL;
}

static int choose_version(void *data, struct pubgrub *pg, unsigned pkg,
			  const struct vrange *allowed, const struct pep440_version **out,
			  struct ab_err *err)
{
	struct rs *rs = data;
	struct rpkg *rp = &rs->pkgs[pkg];
	struct base *b = rp->b;
	int r = list_base(rs, b, err);
	if (r < 0)
		return r;
	bool pre_ok = allow_pre(rs, b);
	/* The extra of a decided package goes with the same version. */
	const struct pep440_version *same = rp->extra ? pubgrub_decision(pg, b->id) : NULL;
	if (!same && !rp->extra && b->has_extras) {
		for (size_t i = 0; i < rs->npkgs && !same; i++)
			if (rs->pkgs[i].b == b && rs->pkgs[i].extra)
				same = pubgrub_decision(pg, (unsigned)i);
	}
	if (same && vrange_contains(allowed, same)) {
		const struct cand *c = find_cand(b, same);
		if (c && cand_rank(rs, b, c, pre_ok)) {
			*out = c->c->version;
			return 1;
		}
	}
	if (b->prefer) {
		for (size_t i = 0; i < b->n; i++) {
			const struct cand *c = &b->cands[i];
			if (!strcmp(c->c->version_str, b->prefer) && cand_rank(rs, b, c, pre_ok) &&
			    vrange_contains(allowed, c->c->version)) {
				*out = c->c->version;
				return 1;
			}
		}
	}
	bool low = rs->o->lowest || (rs->o->lowest_direct && b->direct);
	for (int want = 1; want <= 3; want++) {
		for (size_t k = 0; k < b->n; k++) {
			const struct cand *c = &b->cands[low ? b->n - 1 - k : k];
			if (cand_rank(rs, b, c, pre_ok) != want || !vrange_contains(allowed, c->c->version))
				continue;
			*out = c->c->version;
			return 1;
		}
	}
	return 0;
}

/* Decide packages that have at most one candidate left first (they cannot
 * branch and surface conflicts early), then in the order they were met. */
static long priority(void *data, struct pubgrub *pg, unsigned pkg, const struct vrange *allowed,
		     bool *stable)
{
	struct rs *rs = data;
	struct rpkg *rp = &rs->pkgs[pkg];
	if (rp->extra && pubgrub_decision(pg, rp->b->id))
		return 0;
	if (!rp->b->listed)
		return 2;
	/* the answer for a listed base depends on its range alone (its
	 * candidates do not change); that for an extra also on whether its
	 * base is decided */
	*stable = !rp->extra;
	if (allowed->n != 1)
		return 2;
	/* called for every undecided package at every decision: the answer is
	 * kept while the package's range stays the same, and the versions in
	 * one interval are a run of the (newest first) candidates, found by a
	 * binary search for the newest one under the upper cut */
	unsigned long serial = pubgrub_range_serial(pg, pkg);
	if (serial && rp->prio_serial == serial)
		return rp->prio;
	const struct base *b = rp->b;
	size_t lo = 0, hi = b->n;
	/* mostly the newest is under it: no search */
	if (hi && vrange_below_upper(allowed, b->cands[0].c->version))
		hi = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (vrange_below_upper(allowed, b->cands[mid].c->version))
			hi = mid;
		else
			lo = mid + 1;
	}
	size_t hits = 0;
	for (size_t i = lo; i < b->n && hits < 2; i++) {
		if (!vrange_above_lower(allowed, b->cands[i].c->version))
			break;
		hits++;
	}
	rp->prio_serial = serial;
	rp->prio = hits < 2 ? 1 : 2;
	return rp->prio;
}

static void explain_no_versions(void *data, struct pubgrub *pg, unsigned pkg,
				const struct vrange *range, struct ab_buf *out)
{
	struct rs *rs = data;
	struct base *b = rs->pkgs[pkg].b;
	if (!b->listed)
		return;
	if (b->dref) {
		ab_buf_addf(out, " (%s is %s %s)", b->dref->url, b->name, b->dref->version);
		return;
	}
	if (!b->exists) {
		ab_buf_adds(out, " (the project is not on the index)");
		return;
	}
	bool pre_ok = allow_pre(rs, b);
	size_t shown = 0, more = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct cand *c = &b->cands[i];
		if (!vrange_contains(range, c->c->version) || cand_rank(rs, b, c, pre_ok))
			continue;
		if (shown == 4) {
			more++;
			continue;
		}
		ab_buf_adds(out, shown++ ? ", " : " (");
		ab_buf_adds(out, c->c->version_str);
		if (!c->python_ok)
			ab_buf_addf(out, " requires Python %s", c->c->requires_python);
		else if (!c->c->usable)
			ab_buf_adds(out, " has no file for the target");
		else if (c->pre && !pre_ok)
			ab_buf_adds(out, " is a pre-release");
		else
			ab_buf_adds(out, " is yanked");
	}
	if (more)
		ab_buf_addf(out, " and %zu more", more);
	if (shown)
		ab_buf_adds(out, ")");
	bool any = false;
	for (size_t i = 0; i < b->n && !any; i++)
		any = vrange_contains(range, b->cands[i].c->version);
	if (any || !b->n)
		return;
	/* nothing published in the range: say what there is */
	ab_buf_adds(out, " (the index has ");
	for (size_t i = 0; i < b->n && i < 4; i++)
		ab_buf_addf(out, "%s%s", i ? ", " : "", b->cands[i].c->version_str);
	if (b->n > 4)
		ab_buf_addf(out, " and %zu older", b->n - 4);
	ab_buf_adds(out, ")");
}

/* pub's way of showing a range: by the published versions it holds, as
 * runs ("==1.0", ">=1.2,<=1.4", "<=0.9", ">=2.0") joined with " || ";
 * nothing when it holds them all; the exact range when it holds none. */
static void format_range(void *data, struct pubgrub *pg, unsigned pkg, const struct vrange *r,
			 struct ab_buf *out)
{
	struct rs *rs = data;
	struct base *b = rs->pkgs[pkg].b;
	size_t in = 0;
	for (size_t i = 0; i < b->n; i++)
		in += vrange_contains(r, b->cands[i].c->version);
	if (!b->listed || !in) {
		if (is_single(r))
			ab_buf_addf(out, "==%s", r->iv[0].lo.v->str);
		else
			vrange_format(r, out);
		return;
	}
	if (in == b->n)
		return;
	/* cands are newest first: walk oldest to newest */
	size_t k = 0;
	for (size_t i = b->n; i-- > 0;) {
		if (!vrange_contains(r, b->cands[i].c->version))
			continue;
		size_t j = i;
		while (j > 0 && vrange_contains(r, b->cands[j - 1].c->version))
			j--;
		/* run from cands[i] (oldest) to cands[j] (newest) */
		if (k++)
			ab_buf_adds(out, " || ");
		const char *lo = b->cands[i].c->version_str, *hi = b->cands[j].c->version_str;
		if (i == j)
			ab_buf_addf(out, "==%s", lo);
		else if (i == b->n - 1)
			ab_buf_addf(out, "<=%s", hi);
		else if (j == 0)
			ab_buf_addf(out, ">=%s", lo);
		else
			ab_buf_addf(out, ">=%s,<=%s", lo, hi);
		i = j;
	}
}

static bool nothing_published(void *data, struct pubgrub *pg, unsigned pkg,
			      const struct vrange *r)
{
	struct rs *rs = data;
	struct base *b = rs->pkgs[pkg].b;
	if (b->dref)
		return false; /* say which artifact the direct reference is */
	if (!r)
		return b->listed && !b->n;
	if (!b->listed || !b->n)
		return false; /* "no versions at all" is worth saying */
	for (size_t i = 0; i < b->n; i++)
		if (vrange_contains(r, b->cands[i].c->version))
			return false;
	return true;
}

/* The gap around v holding no other published version: from v up to (not
 * including) the next newer version, and for the oldest down to -infinity.
 * choose_version() only returns published versions, so incompatibilities
 * over the span say the same as over v; the cuts are vrange_exact()'s, so
 * the spans of consecutive versions join into one interval. */
static void version_span(void *data, struct pubgrub *pg, unsigned pkg,
			 const struct pep440_version *v, struct vrange *out)
{
	struct rs *rs = data;
	struct base *b = rs->pkgs[pkg].b;
	(void)pg;
	vrange_exact(out, v);
	/* i: the first candidate not newer than v (cands are newest first) */
	size_t i = 0, hi = b->n;
	while (i < hi) {
		size_t mid = i + (hi - i) / 2;
		if (pep440_version_cmp(b->cands[mid].c->version, v) > 0)
			i = mid + 1;
		else
			hi = mid;
	}
	if (i == b->n || pep440_version_cmp(b->cands[i].c->version, v))
		return; /* not published: exactly v */
	size_t j = i;
	while (j < b->n && !pep440_version_cmp(b->cands[j].c->version, v))
		j++;
	/* cands are newest first: i - 1 is the next newer one */
	vrange_between(out, j == b->n ? NULL : v, i > 0 ? b->cands[i - 1].c->version : NULL);
}

/* ---- dependencies ---- */

static bool marker_true(struct rs *rs, const struct marker *m, const char *extra)
{
	if (!m)
		return true;
	rs->env.vars[MARKER_VAR_EXTRA] = extra ? extra : "";
	struct ab_err e = AB_ERR_INIT;
	int r = marker_evaluate(m, &rs->env, &e);
	ab_err_release(&e);
	return r > 0; /* an undefined comparison counts as false */
}

static bool inclusive(enum pep440_op op)
{
	return op == PEP440_OP_EQ || op == PEP440_OP_ARBITRARY || op == PEP440_OP_GE ||
	       op == PEP440_OP_LE || op == PEP440_OP_COMPATIBLE;
}

/* The versions a requirement allows: its range, with `===` clauses turned
 * into the published versions whose string they match. */
static int req_range(struct rs *rs, struct base *b, const struct pep508_req *q, struct vrange *out,
		     struct ab_err *err)
{
	int arb = vrange_from_specset(out, &q->spec);
	if (arb <= 0)
		return 0;
	int r = list_base(rs, b, err);
	if (r < 0)
		return r;
	struct vrange set = VRANGE_INIT, one = VRANGE_INIT;
	for (size_t i = 0; i < b->n; i++) {
		bool ok = true;
		for (size_t j = 0; j < q->spec.n && ok; j++)
			if (q->spec.specs[j].op == PEP440_OP_ARBITRARY)
				ok = !strcasecmp(q->spec.specs[j].text, b->cands[i].c->version_str);
		if (!ok)
			continue;
		vrange_exact(&one, b->cands[i].c->version);
		vrange_union(&set, &set, &one);
	}
	vrange_intersect(out, out, &set);
	vrange_release(&set);
	vrange_release(&one);
	return 0;
}

static void note_req(struct rs *rs, struct base *b, const struct pep508_req *q, bool root)
{
	bool opt_in = false;
	for (size_t j = 0; j < q->spec.n; j++) {
		const struct pep440_spec *s = &q->spec.specs[j];
		bool pre = s->version && pep440_is_prerelease(s->version);
		b->versioned = true;
		if (pre && inclusive(s->op))
			b->pre_explicit = opt_in = true;
		if (pre && root)
			b->root_pre = true;
	}
	/* only the pip rule reads them; a plain clause matters only while the
	 * package may have no usable final release */
	if (rs->o->prereleases != RESOLVE_PRE_IF_NECESSARY || !q->spec.n ||
	    (!opt_in && b->listed && b->usable_final))
		return;
	AB_GROW(b->srcs, b->csrcs, b->nsrcs + 1);
	b->srcs[b->nsrcs++] = (struct pre_src){ root ? PUBGRUB_ROOT : rs->cur_pkg,
						root ? NULL : rs->cur_v, opt_in };
}

static int add_req(struct rs *rs, const struct pep508_req *q, const char *from, bool constraint,
		   struct ab_err *err)
{
	bool root = from == NULL;
	struct base *b = base_of(rs, q->canonical);
	struct vrange r = VRANGE_INIT;
	/* `name @ url`: the provider lists the direct reference's one
	 * candidate for the name, so the URL only has to agree with it. uv
	 * refuses a URL in a dependency's metadata that the app does not
	 * declare itself; pip would fetch it, which lets any package on an
	 * index pull code from anywhere. */
	if (q->url && !b->dref)
		return ab_err_set(err, AB_E_UNSUPPORTED,
				  "'%s' requires '%s @ %s': a direct reference the app does not "
				  "declare",
				  from ? from : rs->o->root_name ? rs->o->root_name : "your app",
				  q->canonical, q->url);
	if (q->url && strcmp(q->url, b->dref->url)) {
		ab_err_set(err, AB_E_RESOLVE, "conflicting direct references for '%s': '%s' and '%s'",
			   q->canonical, b->dref->url, q->url);
		if (from)
			ab_err_note(err, "'%s' requires '%s @ %s'", from, q->canonical, q->url);
		rs->conflict = true;
		return -AB_E_RESOLVE;
	}
	int rc = req_range(rs, b, q, &r, err);
	if (rc < 0)
		return rc;
	if (constraint) {
		pubgrub_add_constraint(rs->pg, b->id, &r);
		vrange_release(&r);
		return 0;
	}
	if (vrange_is_empty(&r)) {
		struct ab_buf why = AB_BUF_INIT;
		ab_buf_adds(&why, "requires '");
		pep508_format(q, &why);
		ab_buf_adds(&why, "', which no version can satisfy");
		pubgrub_set_unavailable(rs->pg, why.buf);
		ab_buf_release(&why);
		vrange_release(&r);
		return 0;
	}
	note_req(rs, b, q, root);
	if (root) {
		b->direct = true;
		AB_GROW(b->root_reqs, b->croot, b->nroot + 1);
		b->root_reqs[b->nroot++] = q;
	}
	pubgrub_add_dependency(rs->pg, b->id, &r);
	struct ab_buf ex = AB_BUF_INIT;
	for (size_t i = 0; i < q->nextras; i++) {
		ab_buf_reset(&ex);
		name_canonicalize(ab_str_from(q->extras[i]), &ex);
		pubgrub_add_dependency(rs->pg, intern(rs, b, ex.buf), &r);
	}
	ab_buf_release(&ex);
	vrange_release(&r);
	return 0;
}

static bool provides(const struct resolve_metadata *md, const char *extra)
{
	for (size_t i = 0; i < md->nextras; i++)
		if (name_eq(ab_str_from(md->provides_extras[i]), ab_str_from(extra)))
			return true;
	return false;
}

/* Whether the marker of an unparsable requirement may apply: false only
 * when its text after the last ';' is a marker that is false here. */
static bool applies(struct rs *rs, const char *req, const char *extra)
{
	const char *semi = strrchr(req, ';');
	struct marker *m = NULL;
	if (!semi || marker_parse(ab_str_from(semi + 1), &m, NULL) < 0)
		return true;
	bool want = extra ? marker_true(rs, m, extra) && !marker_true(rs, m, NULL)
			  : marker_true(rs, m, NULL);
	marker_free(m);
	return want;
}

static int get_dependencies(void *data, struct pubgrub *pg, unsigned pkg,
			    const struct pep440_version *v, struct ab_err *err)
{
	struct rs *rs = data;
	int r = 0;
	rs->cur_pkg = pkg;
	rs->cur_v = v;
	if (pkg == PUBGRUB_ROOT) {
		for (size_t i = 0; i < rs->nroot && r >= 0; i++)
			if (marker_true(rs, rs->root_reqs[i].marker, NULL))
				r = add_req(rs, &rs->root_reqs[i], NULL, false, err);
		for (size_t i = 0; i < rs->ncons && r >= 0; i++)
			if (marker_true(rs, rs->cons[i].marker, NULL))
				r = add_req(rs, &rs->cons[i], NULL, true, err);
		return r;
	}
	/* copies: add_req() may grow rs->pkgs */
	struct base *b = rs->pkgs[pkg].b;
	const char *extra = rs->pkgs[pkg].extra;
	const struct cand *c = find_cand(b, v);
	if (!c)
		return ab_err_set(err, AB_E_INTERNAL, "resolve: '%s' has no version %s", b->name,
				  v->str);
	struct resolve_metadata md = { NULL, 0, NULL, 0 };
	r = rs->p->get_metadata(rs->p->data, b->name, c->c, &md, err);
	if (r < 0)
		return r;
	rs->metadata_reads++;
	if (extra) {
		struct vrange same = VRANGE_INIT;
		vrange_exact(&same, v);
		pubgrub_add_dependency(pg, b->id, &same);
		vrange_release(&same);
		if (!provides(&md, extra))
			return 0; /* pip and uv ignore (and warn about) an unknown extra */
	}
	for (size_t i = 0; i < md.nrequires && r >= 0; i++) {
		struct pep508_req q = PEP508_REQ_INIT;
		struct ab_err e = AB_ERR_INIT;
		if (pep508_parse(ab_str_from(md.requires_dist[i]), &q, &e) < 0) {
			/* pip 23 (packaging 21.3) still reads legacy forms such as
			 * 'sys-platform (=="darwin") ; extra == "objc"' that
			 * packaging 26 rejects: when the marker after ';' parses and
			 * does not apply here, the entry is not needed: skip it */
			if (!applies(rs, md.requires_dist[i], extra)) {
				ab_err_release(&e);
				pep508_release(&q);
				continue;
			}
			/* uv: a version with unreadable metadata is unusable */
			struct ab_buf why = AB_BUF_INIT;
			ab_buf_addf(&why, "has an invalid requirement '%s' (%s)", md.requires_dist[i],
				    e.msg.buf);
			pubgrub_set_unavailable(pg, why.buf);
			ab_buf_release(&why);
			ab_err_release(&e);
			return 0;
		}
		ab_err_release(&e);
		bool want = extra ? marker_true(rs, q.marker, extra) &&
						!marker_true(rs, q.marker, NULL)
				      : marker_true(rs, q.marker, NULL);
		if (want)
			r = add_req(rs, &q, b->name, false, err);
		pep508_release(&q);
	}
	return r;
}

/* ---- running ---- */

static int parse_list(const char *const *in, size_t n, struct pep508_req **out,
		      struct ab_err *err)
{
	*out = ab_xcalloc(n ? n : 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		(*out)[i] = (struct pep508_req)PEP508_REQ_INIT;
		int r = pep508_parse(ab_str_from(in[i]), &(*out)[i], err);
		if (r < 0) {
			ab_err_note(err, "in requirement '%s'", in[i]);
			return r;
		}
	}
	return 0;
}

static int pin_cmp(const void *a, const void *b)
{
	return strcmp(((const struct resolve_pin *)a)->name, ((const struct resolve_pin *)b)->name);
}

static int solve(const struct resolve_provider *p, const struct resolve_options *o,
		 const char *const *reqs, size_t nreqs, const char *const *constraints,
		 size_t nconstraints, struct resolve_result *out, struct ab_err *err,
		 bool sticky_pre, bool *pre_refused, bool *pre_stale)
{
	struct rs rs;
	memset(&rs, 0, sizeof(rs));
	rs.p = p;
	rs.o = o;
	rs.sticky_pre = sticky_pre;
	rs.env = *o->env;
	const char *pyv = o->env->vars[MARKER_VAR_PYTHON_FULL_VERSION];
	rs.python = pyv ? pep440_version_new(pyv) : NULL;
	*out = (struct resolve_result)RESOLVE_RESULT_INIT;
	struct pubgrub_callbacks cb = { &rs, choose_version, get_dependencies, priority,
					explain_no_versions, format_range, nothing_published,
					version_span };
	rs.pg = pubgrub_new(&cb, o->root_name ? o->root_name : "your app");
	rs.nroot = nreqs;
	rs.ncons = nconstraints;
	int r = parse_list(reqs, nreqs, &rs.root_reqs, err);
	if (r >= 0)
		r = parse_list(constraints, nconstraints, &rs.cons, err);
	if (r >= 0)
		r = pubgrub_solve(rs.pg, err);
	if (r == -AB_E_RESOLVE && !rs.conflict) {
		struct ab_buf b = AB_BUF_INIT;
		pubgrub_explain(rs.pg, &b);
		out->explanation = ab_buf_detach(&b);
		ab_err_clear(err);
		ab_err_set(err, AB_E_RESOLVE, "no solution for the requirements");
	} else if (r >= 0) {
		size_t n = pubgrub_solution_count(rs.pg);
		/* with sticky_pre: do the answer's own requirements allow
		 * every pre-release in it? */
		for (size_t i = 0; sticky_pre && i < n; i++) {
			unsigned pkg;
			const struct pep440_version *v;
			pubgrub_solution_get(rs.pg, i, &pkg, &v);
			const struct base *b = rs.pkgs[pkg].b;
			if (!rs.pkgs[pkg].extra && !b->dref && pep440_is_prerelease(v) &&
			    !live_pre(&rs, b))
				*pre_stale = true;
		}
		out->pins = ab_xcalloc(n ? n : 1, sizeof(*out->pins));
		for (size_t i = 0; i < n; i++) {
			unsigned pkg;
			const struct pep440_version *v;
			pubgrub_solution_get(rs.pg, i, &pkg, &v);
			struct rpkg *rp = &rs.pkgs[pkg];
			if (rp->extra)
				continue;
			const struct cand *c = find_cand(rp->b, v);
			out->pins[out->n].name = ab_xstrdup(rp->b->name);
			out->pins[out->n].version = ab_xstrdup(c ? c->c->version_str : v->str);
			out->n++;
		}
		qsort(out->pins, out->n, sizeof(*out->pins), pin_cmp);
	}
	struct pubgrub_stats st;
	pubgrub_get_stats(rs.pg, &st);
	out->stats.decisions = st.decisions;
	out->stats.conflicts = st.conflicts;
	out->stats.incompatibilities = st.incompatibilities;
	out->stats.packages = rs.nbases;
	out->stats.metadata_reads = rs.metadata_reads;
	pubgrub_free(rs.pg);
	for (size_t i = 0; rs.root_reqs && i < rs.nroot; i++)
		pep508_release(&rs.root_reqs[i]);
	for (size_t i = 0; rs.cons && i < rs.ncons; i++)
		pep508_release(&rs.cons[i]);
	free(rs.root_reqs);
	free(rs.cons);
	for (size_t i = 0; i < rs.nbases; i++) {
		free(rs.bases[i]->root_reqs);
		free(rs.bases[i]->srcs);
	}
	free(rs.bases);
	free(rs.bslots);
	free(rs.pkgs);
	pep440_version_free(rs.python);
	ab_arena_release(&rs.arena);
	*pre_refused = rs.pre_refused;
	return r;
}

/* pip's pre-release rule looks at the requirements of the current state:
 * solve() applies it to the requirements of the versions decided now. A
 * refusal that way is learned as a permanent "no versions" fact, though a
 * later state could opt in, so when that solve fails after such a refusal
 * it is run again with every requirement met so far counting, and that
 * answer is taken if the requirements in it allow its pre-releases. */
int resolve_run(const struct resolve_provider *p, const struct resolve_options *o,
		const char *const *reqs, size_t nreqs, const char *const *constraints,
		size_t nconstraints, struct resolve_result *out, struct ab_err *err)
{
	bool refused = false, stale = false;
	int r = solve(p, o, reqs, nreqs, constraints, nconstraints, out, err, false, &refused,
		      &stale);
	if (r == -AB_E_RESOLVE && refused && out->explanation) {
		struct resolve_result again = RESOLVE_RESULT_INIT;
		struct ab_err e = AB_ERR_INIT;
		if (solve(p, o, reqs, nreqs, constraints, nconstraints, &again, &e, true, &refused,
			  &stale) == 0 &&
		    !stale) {
			resolve_result_release(out);
			*out = again;
			again = (struct resolve_result)RESOLVE_RESULT_INIT;
			ab_err_clear(err);
			r = 0;
		}
		resolve_result_release(&again);
		ab_err_release(&e);
	}
	return r;
}

void resolve_result_release(struct resolve_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free((char *)r->pins[i].name);
		free((char *)r->pins[i].version);
	}
	free(r->pins);
	free(r->explanation);
	*r = (struct resolve_result)RESOLVE_RESULT_INIT;
}
