/* pubgrub.c - PubGrub: unit propagation, decisions, conflict-driven clause
 * learning with backjumping, and pub-style explanations.
 *
 * The structure follows pubgrub-rs (src/internal/core.rs, partial_solution.rs,
 * incompatibility.rs, report.rs), which is the algorithm of Dart pub's
 * doc/solver.md; comments name the places where it matters. */
#include "builder/pubgrub.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/arena.h"
#include "formats/core/hash.h"
#include "formats/core/mem.h"

/* A term: "pkg is selected at a version in r" (pos) or "pkg is not selected
 * at a version in r" (neg; includes "pkg is not selected at all"). */
struct term {
	unsigned pkg;
	bool pos;
	struct vrange r;
};

enum ic_kind {
	IC_ROOT,        /* {not root}: the root must be selected */
	IC_NO_VERSIONS, /* {pkg in r}: no usable version there */
	IC_UNAVAILABLE, /* {pkg == v}: the version cannot be used */
	IC_DEPENDENCY,  /* {pkg in r, not dep in s} */
	IC_CONSTRAINT,  /* {pkg in r, dep not in s} */
	IC_DERIVED,     /* learned from c1 and c2 */
};

struct incompat {
	enum ic_kind kind;
	size_t n;
	struct term *t;
	struct incompat *c1, *c2;
	char *reason;   /* IC_UNAVAILABLE */
	int contra;     /* decision level at which it is known contradicted, -1 */
	bool registered;
	/* report */
	unsigned refs, line;
};

struct assign {
	unsigned pkg;
	unsigned level;
	struct incompat *cause; /* NULL: a decision */
	const struct pep440_version *v;
	struct term t, acc; /* the assignment; the intersection of all so far for pkg */
	long prev;          /* previous assignment of pkg, -1 */
	unsigned long serial; /* pubgrub_range_serial() */
};

struct pkg {
	const char *name;
	struct incompat **ics;
	size_t nics, cics;
	long last;      /* latest assignment, -1 */
	unsigned order; /* when first seen (priority tie-break); 0 = never */
	unsigned long prio_serial; /* prio is the callback's stable answer for
				    * this assignment serial; 0: none */
	long prio;
	const struct pep440_version **added; /* versions whose dependencies are known */
	size_t nadded, cadded;
};

struct dep {
	unsigned pkg;
	bool constraint;
	struct vrange r;
};

struct pubgrub {
	struct pubgrub_callbacks cb;
	char *root_name;
	struct ab_arena arena;
	struct pkg *pkgs;
	size_t npkgs, cpkgs;
	unsigned *slots; /* name hash: id + 1, 0 empty */
	size_t nslots;
	struct incompat **all;
	size_t nall, call;
	struct assign *as;
	size_t nas, cas;
	unsigned level;
	struct incompat **contra;
	size_t ncontra, ccontra;
	struct dep *deps;
	size_t ndeps, cdeps;
	char *unavail;
	bool collecting;
	unsigned next_order;
	struct pep440_version *root_v;
	struct incompat *failure;
	struct pubgrub_stats stats;
	unsigned *stack;
	size_t nstack, cstack;
	unsigned long serials; /* the last assignment's serial */
	/* merged dependency lookup: (pkg, dep) -> incompat, see add_dependency_ic */
	struct incompat **dep_ics;
	size_t ndep_ics, cdep_ics;
};

/* ---- terms ---- */

static const struct term term_any = { 0, false, VRANGE_INIT };

static void term_set(struct term *t, unsigned pkg, bool pos, const struct vrange *r)
{
	t->pkg = pkg;
	t->pos = pos;
	t->r = (struct vrange)VRANGE_INIT;
	if (r)
		vrange_copy(&t->r, r);
}

static void term_copy(struct term *d, const struct term *s)
{
	term_set(d, s->pkg, s->pos, &s->r);
}

static void term_negate(struct term *d, const struct term *s)
{
	term_set(d, s->pkg, !s->pos, &s->r);
}

/* out = a ∩ b (out may be a or b) */
static void term_intersect(struct term *out, const struct term *a, const struct term *b)
{
	struct vrange r = VRANGE_INIT;
	bool pos = true;
	unsigned pkg = a->pkg;
	if (a->pos && b->pos)
		vrange_intersect(&r, &a->r, &b->r);
	else if (a->pos)
		vrange_difference(&r, &a->r, &b->r);
	else if (b->pos)
		vrange_difference(&r, &b->r, &a->r);
	else {
		vrange_union(&r, &a->r, &b->r);
		pos = false;
	}
	vrange_release(&out->r);
	out->r = r;
	out->pos = pos;
	out->pkg = pkg;
}

/* out = a ∪ b = not(not a ∩ not b) */
static void term_union(struct term *out, const struct term *a, const struct term *b)
{
	struct vrange r = VRANGE_INIT;
	bool pos = false;
	unsigned pkg = a->pkg;
	if (a->pos && b->pos) {
		vrange_union(&r, &a->r, &b->r);
		pos = true;
	} else if (a->pos)
		vrange_difference(&r, &b->r, &a->r);
	else if (b->pos)
		vrange_difference(&r, &a->r, &b->r);
	else
		vrange_intersect(&r, &a->r, &b->r);
	vrange_release(&out->r);
	out->r = r;
	out->pos = pos;
	out->pkg = pkg;
}

static bool term_is_any(const struct term *t)
{
	return !t->pos && vrange_is_empty(&t->r);
}

/* a ⊆ b */
static bool term_subset(const struct term *a, const struct term *b)
{
	if (a->pos && b->pos)
		return vrange_is_subset(&a->r, &b->r);
	if (a->pos)
		return vrange_is_disjoint(&a->r, &b->r);
	if (b->pos)
		return false; /* a allows "not selected", b does not */
	return vrange_is_subset(&b->r, &a->r);
}

/* a ∩ b = ∅ */
static bool term_disjoint(const struct term *a, const struct term *b)
{
	if (a->pos && b->pos)
		return vrange_is_disjoint(&a->r, &b->r);
	if (a->pos)
		return vrange_is_subset(&a->r, &b->r);
	if (b->pos)
		return vrange_is_subset(&b->r, &a->r);
	return false;
}

static bool term_eq(const struct term *a, const struct term *b)
{
	return a->pos == b->pos && vrange_eq(&a->r, &b->r);
}

/* ---- packages ---- */


static void rehash(struct pubgrub *pg)
{
	size_t n = pg->nslots ? pg->nslots * 2 : 64;
	free(pg->slots);
	pg->slots = ab_xcalloc(n, sizeof(*pg->slots));
	pg->nslots = n;
	for (size_t i = 0; i < pg->npkgs; i++) {
		size_t h = ab_hash_str(pg->pkgs[i].name) & (n - 1);
		while (pg->slots[h])
			h = (h + 1) & (n - 1);
		pg->slots[h] = (unsigned)i + 1;
	}
}

unsigned pubgrub_package(struct pubgrub *pg, const char *name)
{
	if ((pg->npkgs + 1) * 2 > pg->nslots)
		rehash(pg);
	size_t h = ab_hash_str(name) & (pg->nslots - 1);
	while (pg->slots[h]) {
		unsigned id = pg->slots[h] - 1;
		if (!strcmp(pg->pkgs[id].name, name))
			return id;
		h = (h + 1) & (pg->nslots - 1);
	}
	AB_GROW(pg->pkgs, pg->cpkgs, pg->npkgs + 1);
	struct pkg *p = &pg->pkgs[pg->npkgs];
	memset(p, 0, sizeof(*p));
	p->name = ab_arena_strdup(&pg->arena, name);
	p->last = -1;
	pg->slots[h] = (unsigned)pg->npkgs + 1;
	return (unsigned)pg->npkgs++;
}

const char *pubgrub_package_name(const struct pubgrub *pg, unsigned pkg)
{
	return pkg < pg->npkgs ? pg->pkgs[pkg].name : "?";
}

size_t pubgrub_package_count(const struct pubgrub *pg)
{
	return pg->npkgs;
}

struct pubgrub *pubgrub_new(const struct pubgrub_callbacks *cb, const char *root_name)
{
	struct pubgrub *pg = ab_xcalloc(1, sizeof(*pg));
	pg->cb = *cb;
	pg->root_name = ab_xstrdup(root_name ? root_name : "root");
	pg->root_v = pep440_version_new("0");
	pubgrub_package(pg, pg->root_name); /* id 0 */
	return pg;
}

static void ic_free(struct incompat *ic)
{
	for (size_t i = 0; i < ic->n; i++)
		vrange_release(&ic->t[i].r);
	free(ic->t);
	free(ic->reason);
	free(ic);
}

void pubgrub_free(struct pubgrub *pg)
{
	if (!pg)
		return;
	for (size_t i = 0; i < pg->nall; i++)
		ic_free(pg->all[i]);
	free(pg->all);
	for (size_t i = 0; i < pg->nas; i++) {
		vrange_release(&pg->as[i].t.r);
		vrange_release(&pg->as[i].acc.r);
	}
	free(pg->as);
	for (size_t i = 0; i < pg->npkgs; i++) {
		free(pg->pkgs[i].ics);
		free(pg->pkgs[i].added);
	}
	free(pg->pkgs);
	free(pg->slots);
	free(pg->contra);
	for (size_t i = 0; i < pg->ndeps; i++)
		vrange_release(&pg->deps[i].r);
	free(pg->deps);
	free(pg->unavail);
	free(pg->stack);
	free(pg->dep_ics);
	free(pg->root_name);
	pep440_version_free(pg->root_v);
	ab_arena_release(&pg->arena);
	free(pg);
}

/* ---- incompatibilities ---- */

static struct incompat *ic_new(struct pubgrub *pg, enum ic_kind kind, size_t n)
{
	struct incompat *ic = ab_xcalloc(1, sizeof(*ic));
	ic->kind = kind;
	ic->n = n;
	ic->t = n ? ab_xcalloc(n, sizeof(*ic->t)) : NULL;
	ic->contra = -1;
	AB_GROW(pg->all, pg->call, pg->nall + 1);
	pg->all[pg->nall++] = ic;
	pg->stats.incompatibilities++;
	return ic;
}

static const struct term *ic_term(const struct incompat *ic, unsigned pkg)
{
	for (size_t i = 0; i < ic->n; i++)
		if (ic->t[i].pkg == pkg)
			return &ic->t[i];
	return NULL;
}

static void pkg_add_ic(struct pkg *p, struct incompat *ic)
{
	AB_GROW(p->ics, p->cics, p->nics + 1);
	p->ics[p->nics++] = ic;
}

static void pkg_drop_ic(struct pkg *p, struct incompat *ic)
{
	for (size_t i = 0; i < p->nics; i++)
		if (p->ics[i] == ic) {
			memmove(&p->ics[i], &p->ics[i + 1], (p->nics - i - 1) * sizeof(*p->ics));
			p->nics--;
			return;
		}
}

static void ic_register(struct pubgrub *pg, struct incompat *ic)
{
	ic->registered = true;
	for (size_t i = 0; i < ic->n; i++)
		pkg_add_ic(&pg->pkgs[ic->t[i].pkg], ic);
}

/* ---- partial solution ---- */

static const struct term *pkg_acc(const struct pubgrub *pg, unsigned pkg)
{
	long a = pg->pkgs[pkg].last;
	return a < 0 ? &term_any : &pg->as[a].acc;
}

static bool pkg_decided(const struct pubgrub *pg, unsigned pkg)
{
	long a = pg->pkgs[pkg].last;
	return a >= 0 && !pg->as[a].cause;
}

const struct pep440_version *pubgrub_decision(const struct pubgrub *pg, unsigned pkg)
{
	if (pkg >= pg->npkgs || !pkg_decided(pg, pkg))
		return NULL;
	return pg->as[pg->pkgs[pkg].last].v;
}

unsigned long pubgrub_range_serial(const struct pubgrub *pg, unsigned pkg)
{
	if (pkg >= pg->npkgs || pg->pkgs[pkg].last < 0)
		return 0;
	return pg->as[pg->pkgs[pkg].last].serial;
}

static void assign_push(struct pubgrub *pg, unsigned pkg, struct incompat *cause,
			const struct pep440_version *v, struct term *t /* moved */)
{
	AB_GROW(pg->as, pg->cas, pg->nas + 1);
	struct assign *a = &pg->as[pg->nas];
	struct pkg *p = &pg->pkgs[pkg];
	a->serial = ++pg->serials;
	a->pkg = pkg;
	a->cause = cause;
	a->v = v;
	a->t = *t;
	a->prev = p->last;
	if (p->last >= 0) {
		/* straight into acc: no copy of t to intersect in place */
		a->acc = (struct term){ pkg, true, VRANGE_INIT };
		term_intersect(&a->acc, &a->t, &pg->as[p->last].acc);
	} else
		term_copy(&a->acc, t);
	if (!cause)
		pg->level++;
	a->level = pg->level;
	p->last = (long)pg->nas++;
	if (!p->order)
		p->order = ++pg->next_order;
}

static void add_decision(struct pubgrub *pg, unsigned pkg, const struct pep440_version *v)
{
	struct term t;
	struct vrange r = VRANGE_INIT;
	vrange_exact(&r, v);
	t.pkg = pkg;
	t.pos = true;
	t.r = r;
	assign_push(pg, pkg, NULL, v, &t);
	pg->stats.decisions++;
}

static void add_derivation(struct pubgrub *pg, unsigned pkg, struct incompat *cause)
{
	struct term t;
	term_negate(&t, ic_term(cause, pkg));
	assign_push(pg, pkg, cause, NULL, &t);
}

static void mark_contra(struct pubgrub *pg, struct incompat *ic)
{
	ic->contra = (int)pg->level;
	AB_GROW(pg->contra, pg->ccontra, pg->ncontra + 1);
	pg->contra[pg->ncontra++] = ic;
}

static void backtrack(struct pubgrub *pg, unsigned level)
{
	while (pg->nas && pg->as[pg->nas - 1].level > level) {
		struct assign *a = &pg->as[--pg->nas];
		pg->pkgs[a->pkg].last = a->prev;
		vrange_release(&a->t.r);
		vrange_release(&a->acc.r);
	}
	pg->level = level;
	/* pubgrub-rs keeps "contradicted" per decision level and forgets the
	 * ones above the level it jumps back to. */
	size_t k = 0;
	for (size_t i = 0; i < pg->ncontra; i++) {
		if ((unsigned)pg->contra[i]->contra > level)
			pg->contra[i]->contra = -1;
		else
			pg->contra[k++] = pg->contra[i];
	}
	pg->ncontra = k;
}

enum rel { REL_SAT, REL_ALMOST, REL_CONTRA, REL_INCONCL };

/* Relation of an incompatibility with the partial solution; `over`, if not
 * NULL, stands for the accumulated term of its package. */
static enum rel ic_relation(const struct pubgrub *pg, const struct incompat *ic,
			    const struct term *over, unsigned *almost)
{
	enum rel rel = REL_SAT;
	for (size_t i = 0; i < ic->n; i++) {
		const struct term *t = &ic->t[i];
		const struct term *acc = over && over->pkg == t->pkg ? over : pkg_acc(pg, t->pkg);
		if (term_subset(acc, t))
			continue;
		if (term_disjoint(t, acc))
			return REL_CONTRA;
		if (rel == REL_SAT) {
			rel = REL_ALMOST;
			*almost = t->pkg;
		} else
			return REL_INCONCL;
	}
	return rel;
}

static bool is_terminal(const struct incompat *ic)
{
	if (ic->n == 0)
		return true;
	return ic->n == 1 && ic->t[0].pkg == PUBGRUB_ROOT && ic->t[0].pos;
}

/* The earliest assignment of t->pkg after which the package's accumulated
 * term is disjoint from `x` (monotone: the accumulated terms only shrink).
 * The latest assignment must qualify. */
static long earliest_disjoint(const struct pubgrub *pg, unsigned pkg, const struct term *x)
{
	long best = -1;
	for (long a = pg->pkgs[pkg].last; a >= 0; a = pg->as[a].prev) {
		if (!term_disjoint(&pg->as[a].acc, x))
			break;
		best = a;
	}
	return best;
}

/* pubgrub-rs Incompatibility::prior_cause: resolve ic against the cause of
 * the satisfier of `pkg`. */
static struct incompat *prior_cause(struct pubgrub *pg, struct incompat *ic,
				    struct incompat *cause, unsigned pkg)
{
	struct incompat *d = ic_new(pg, IC_DERIVED, 0);
	d->c1 = ic;
	d->c2 = cause;
	d->t = ab_xcalloc(ic->n + cause->n, sizeof(*d->t));
	for (size_t i = 0; i < ic->n; i++)
		if (ic->t[i].pkg != pkg)
			term_copy(&d->t[d->n++], &ic->t[i]);
	for (size_t i = 0; i < cause->n; i++) {
		const struct term *c = &cause->t[i];
		if (c->pkg == pkg)
			continue;
		size_t j;
		for (j = 0; j < d->n; j++)
			if (d->t[j].pkg == c->pkg)
				break;
		if (j < d->n)
			term_intersect(&d->t[j], &d->t[j], c);
		else
			term_copy(&d->t[d->n++], c);
	}
	struct term u = { pkg, false, VRANGE_INIT };
	term_union(&u, ic_term(ic, pkg), ic_term(cause, pkg));
	if (!term_is_any(&u))
		d->t[d->n++] = u;
	else
		vrange_release(&u.r);
	return d;
}

/* Conflict resolution (solver.md "Conflict Resolution"): returns 0 with the
 * learned incompatibility and the package it now derives a term for, or
 * -AB_E_RESOLVE when the root itself is refuted. */
static int resolve_conflict(struct pubgrub *pg, struct incompat *ic, struct incompat **out,
			    unsigned *out_pkg, struct ab_err *err)
{
	pg->stats.conflicts++;
	for (;;) {
		if (is_terminal(ic)) {
			pg->failure = ic;
			return ab_err_set(err, AB_E_RESOLVE, "no solution");
		}
		long sat = -1;
		size_t sat_i = 0;
		unsigned prev_level = 1;
		for (size_t i = 0; i < ic->n; i++) {
			struct term neg;
			term_negate(&neg, &ic->t[i]);
			long a = earliest_disjoint(pg, ic->t[i].pkg, &neg);
			vrange_release(&neg.r);
			if (a < 0) {
				pg->failure = NULL;
				return ab_err_set(err, AB_E_INTERNAL,
						  "pubgrub: conflict term of '%s' not satisfied",
						  pg->pkgs[ic->t[i].pkg].name);
			}
			if (a > sat) {
				if (sat >= 0 && pg->as[sat].level > prev_level)
					prev_level = pg->as[sat].level;
				sat = a;
				sat_i = i;
			} else if (pg->as[a].level > prev_level)
				prev_level = pg->as[a].level;
		}
		struct assign *s = &pg->as[sat];
		/* The previous satisfier: the earliest assignment that, with the
		 * satisfier, satisfies the term (a partial satisfier, solver.md). */
		struct term x;
		term_negate(&x, &ic->t[sat_i]);
		term_intersect(&x, &x, &s->t);
		long ps = earliest_disjoint(pg, s->pkg, &x);
		vrange_release(&x.r);
		if (ps >= 0 && ps != sat && pg->as[ps].level > prev_level)
			prev_level = pg->as[ps].level;
		if (ps == sat && s->cause && pg->as[sat].level > prev_level)
			prev_level = pg->as[sat].level;
		if (!s->cause || prev_level < s->level) {
			backtrack(pg, prev_level);
			if (!ic->registered)
				ic_register(pg, ic);
			*out = ic;
			*out_pkg = s->pkg;
			return 0;
		}
		ic = prior_cause(pg, ic, s->cause, s->pkg);
	}
}

static void stack_push(struct pubgrub *pg, unsigned pkg)
{
	for (size_t i = 0; i < pg->nstack; i++)
		if (pg->stack[i] == pkg)
			return;
	AB_GROW(pg->stack, pg->cstack, pg->nstack + 1);
	pg->stack[pg->nstack++] = pkg;
}

static int propagate(struct pubgrub *pg, unsigned start, struct ab_err *err)
{
	pg->nstack = 0;
	stack_push(pg, start);
	while (pg->nstack) {
		unsigned cur = pg->stack[--pg->nstack];
		struct incompat *conflict = NULL;
		struct pkg *p = &pg->pkgs[cur];
		pg->stats.propagations++;
		/* Newest first, as pubgrub-rs: learned clauses prune most. */
		for (size_t i = p->nics; i-- > 0;) {
			struct incompat *ic = p->ics[i];
			if (ic->contra >= 0)
				continue;
			unsigned almost = 0;
			enum rel rel = ic_relation(pg, ic, NULL, &almost);
			if (rel == REL_SAT) {
				conflict = ic;
				break;
			}
			if (rel == REL_ALMOST) {
				add_derivation(pg, almost, ic);
				stack_push(pg, almost);
				mark_contra(pg, ic);
			} else if (rel == REL_CONTRA)
				mark_contra(pg, ic);
		}
		if (conflict) {
			struct incompat *learned = NULL;
			unsigned pkg = 0;
			int r = resolve_conflict(pg, conflict, &learned, &pkg, err);
			if (r < 0)
				return r;
			pg->nstack = 0;
			stack_push(pg, pkg);
			add_derivation(pg, pkg, learned);
			mark_contra(pg, learned);
		}
	}
	return 0;
}

/* ---- dependencies ---- */

void pubgrub_add_dependency(struct pubgrub *pg, unsigned dep, const struct vrange *range)
{
	if (!pg->collecting)
		return;
	AB_GROW(pg->deps, pg->cdeps, pg->ndeps + 1);
	struct dep *d = &pg->deps[pg->ndeps++];
	d->pkg = dep;
	d->constraint = false;
	d->r = (struct vrange)VRANGE_INIT;
	vrange_copy(&d->r, range);
}

void pubgrub_add_constraint(struct pubgrub *pg, unsigned dep, const struct vrange *range)
{
	pubgrub_add_dependency(pg, dep, range);
	if (pg->collecting)
		pg->deps[pg->ndeps - 1].constraint = true;
}

void pubgrub_set_unavailable(struct pubgrub *pg, const char *reason)
{
	if (!pg->collecting || pg->unavail)
		return;
	pg->unavail = ab_xstrdup(reason);
}

/* pubgrub-rs merge_dependents: {p in R1, not q in S} and {p == v, not q in
 * S} become {p in R1 ∪ {v}, not q in S}, so one derivation rules out every
 * version with that dependency at once (and explanations say "foo >=1.0
 * depends on bar" instead of listing versions). */
static struct incompat *add_dependency_ic(struct pubgrub *pg, unsigned pkg,
					  const struct vrange *vr, const struct dep *d)
{
	struct incompat *ic = ic_new(pg, d->constraint ? IC_CONSTRAINT : IC_DEPENDENCY, 2);
	term_set(&ic->t[0], pkg, true, vr);
	term_set(&ic->t[1], d->pkg, d->constraint, NULL);
	if (d->constraint)
		vrange_complement(&ic->t[1].r, &d->r);
	else
		vrange_copy(&ic->t[1].r, &d->r);
	if (pkg == PUBGRUB_ROOT) {
		ic_register(pg, ic);
		return ic;
	}
	for (size_t i = 0; i < pg->ndep_ics; i++) {
		struct incompat *past = pg->dep_ics[i];
		if (past->kind != ic->kind || past->t[0].pkg != pkg || past->t[1].pkg != d->pkg ||
		    !term_eq(&past->t[1], &ic->t[1]))
			continue;
		vrange_union(&ic->t[0].r, &ic->t[0].r, &past->t[0].r);
		pkg_drop_ic(&pg->pkgs[pkg], past);
		pkg_drop_ic(&pg->pkgs[d->pkg], past);
		past->registered = false;
		pg->dep_ics[i] = ic;
		ic_register(pg, ic);
		return ic;
	}
	AB_GROW(pg->dep_ics, pg->cdep_ics, pg->ndep_ics + 1);
	pg->dep_ics[pg->ndep_ics++] = ic;
	ic_register(pg, ic);
	return ic;
}

static bool version_added(struct pkg *p, const struct pep440_version *v)
{
	for (size_t i = 0; i < p->nadded; i++)
		if (p->added[i] == v || !pep440_version_cmp(p->added[i], v))
			return true;
	AB_GROW(p->added, p->cadded, p->nadded + 1);
	p->added[p->nadded++] = v;
	return false;
}

static void clear_deps(struct pubgrub *pg)
{
	for (size_t i = 0; i < pg->ndeps; i++)
		vrange_release(&pg->deps[i].r);
	pg->ndeps = 0;
	free(pg->unavail);
	pg->unavail = NULL;
	pg->collecting = false;
}

/* Expand (pkg, v): add its dependency incompatibilities, then the decision
 * unless one of them is already violated by it (pubgrub-rs add_version). */
static int expand(struct pubgrub *pg, unsigned pkg, const struct pep440_version *v,
		  struct ab_err *err)
{
	pg->collecting = true;
	int r = pg->cb.get_dependencies(pg->cb.data, pg, pkg, v, err);
	pg->collecting = false;
	if (r < 0) {
		clear_deps(pg);
		return r;
	}
	struct vrange exact = VRANGE_INIT;
	vrange_exact(&exact, v);
	/* What v's incompatibilities are stated over: v, widened to the gap
	 * around it where no other version can be chosen, so that those of
	 * consecutive versions merge into one interval (add_dependency_ic):
	 * a union of hundreds of single versions makes every term operation
	 * on the package copy hundreds of intervals. */
	struct vrange span = VRANGE_INIT;
	if (pkg != PUBGRUB_ROOT && pg->cb.version_span) {
		pg->cb.version_span(pg->cb.data, pg, pkg, v, &span);
		if (!vrange_contains(&span, v))
			vrange_copy(&span, &exact);
	} else
		vrange_copy(&span, &exact);
	if (pg->unavail) {
		struct incompat *ic = ic_new(pg, IC_UNAVAILABLE, 1);
		term_set(&ic->t[0], pkg, true, &span);
		ic->reason = pg->unavail;
		pg->unavail = NULL;
		ic_register(pg, ic);
		clear_deps(pg);
		vrange_release(&exact);
		vrange_release(&span);
		return 0;
	}
	/* A dependency on itself: satisfied by v, or v is unusable. A
	 * dependency on an empty range makes v unusable too (its term would be
	 * "any", which pubgrub-rs never lets into an incompatibility). */
	for (size_t i = 0; i < pg->ndeps; i++) {
		if (pg->deps[i].constraint)
			continue;
		if (vrange_is_empty(&pg->deps[i].r)) {
			struct incompat *ic = ic_new(pg, IC_UNAVAILABLE, 1);
			term_set(&ic->t[0], pkg, true, &span);
			struct ab_buf why = AB_BUF_INIT;
			ab_buf_addf(&why, "depends on %s with no possible version",
				    pg->pkgs[pg->deps[i].pkg].name);
			ic->reason = ab_buf_detach(&why);
			ic_register(pg, ic);
			clear_deps(pg);
			vrange_release(&exact);
			vrange_release(&span);
			return 0;
		}
		if (pg->deps[i].pkg != pkg)
			continue;
		if (!vrange_contains(&pg->deps[i].r, v)) {
			struct incompat *ic = ic_new(pg, IC_UNAVAILABLE, 1);
			term_set(&ic->t[0], pkg, true, &span);
			ic->reason = ab_xstrdup("depends on itself at a version it excludes");
			ic_register(pg, ic);
			clear_deps(pg);
			vrange_release(&exact);
			vrange_release(&span);
			return 0;
		}
	}
	bool ok = true;
	struct term dt = { pkg, true, exact };
	for (size_t i = 0; i < pg->ndeps; i++) {
		if (pg->deps[i].pkg == pkg)
			continue;
		struct incompat *ic = add_dependency_ic(pg, pkg, &span, &pg->deps[i]);
		unsigned almost;
		if (ic_relation(pg, ic, &dt, &almost) == REL_SAT)
			ok = false;
	}
	if (ok)
		add_decision(pg, pkg, v);
	clear_deps(pg);
	vrange_release(&exact);
	vrange_release(&span);
	return 0;
}

static long pick_package(struct pubgrub *pg)
{
	long best = -1;
	long best_prio = 0;
	for (size_t i = 0; i < pg->npkgs; i++) {
		struct pkg *p = &pg->pkgs[i];
		if (p->last < 0)
			continue;
		const struct assign *a = &pg->as[p->last];
		if (!a->cause || !a->acc.pos)
			continue;
		long prio = 0;
		if (i == PUBGRUB_ROOT)
			prio = -1000000;
		else if (p->prio_serial == a->serial)
			prio = p->prio;
		else if (pg->cb.priority) {
			bool stable = false;
			prio = pg->cb.priority(pg->cb.data, pg, (unsigned)i, &a->acc.r, &stable);
			p->prio_serial = stable ? a->serial : 0;
			p->prio = prio;
		}
		if (best < 0 || prio < best_prio ||
		    (prio == best_prio && p->order < pg->pkgs[best].order)) {
			best = (long)i;
			best_prio = prio;
		}
	}
	return best;
}

int pubgrub_solve(struct pubgrub *pg, struct ab_err *err)
{
	struct incompat *root = ic_new(pg, IC_ROOT, 1);
	struct vrange rv = VRANGE_INIT;
	vrange_exact(&rv, pg->root_v);
	term_set(&root->t[0], PUBGRUB_ROOT, false, &rv);
	vrange_release(&rv);
	ic_register(pg, root);
	unsigned next = PUBGRUB_ROOT;
	for (;;) {
		int r = propagate(pg, next, err);
		if (r < 0)
			return r;
		long pick = pick_package(pg);
		if (pick < 0)
			return 0;
		next = (unsigned)pick;
		const struct term *acc = pkg_acc(pg, next);
		const struct pep440_version *v = NULL;
		if (next == PUBGRUB_ROOT)
			v = pg->root_v;
		else {
			r = pg->cb.choose_version(pg->cb.data, pg, next, &acc->r, &v, err);
			if (r < 0)
				return r;
			if (r == 0) {
				struct incompat *ic = ic_new(pg, IC_NO_VERSIONS, 1);
				term_set(&ic->t[0], next, true, &acc->r);
				ic_register(pg, ic);
				continue;
			}
			if (!vrange_contains(&acc->r, v))
				return ab_err_set(err, AB_E_INTERNAL,
						  "pubgrub: chosen version of '%s' is outside its range",
						  pg->pkgs[next].name);
		}
		if (!version_added(&pg->pkgs[next], v)) {
			r = expand(pg, next, v, err);
			if (r < 0)
				return r;
		} else
			add_decision(pg, next, v);
	}
}

size_t pubgrub_solution_count(const struct pubgrub *pg)
{
	size_t n = 0;
	for (size_t i = 1; i < pg->npkgs; i++)
		if (pkg_decided(pg, (unsigned)i))
			n++;
	return n;
}

void pubgrub_solution_get(const struct pubgrub *pg, size_t i, unsigned *pkg,
			  const struct pep440_version **v)
{
	for (size_t p = 1; p < pg->npkgs; p++) {
		if (!pkg_decided(pg, (unsigned)p))
			continue;
		if (i-- == 0) {
			*pkg = (unsigned)p;
			*v = pg->as[pg->pkgs[p].last].v;
			return;
		}
	}
	*pkg = 0;
	*v = NULL;
}

void pubgrub_get_stats(const struct pubgrub *pg, struct pubgrub_stats *out)
{
	*out = pg->stats;
}

/* ---- explanations (pubgrub-rs report.rs, DefaultStringReporter, with
 * pub's wording) ---- */

struct report {
	struct pubgrub *pg;
	char **lines;
	size_t n, cap;
	unsigned refs;
};

static bool is_exact(const struct vrange *r)
{
	return r->n == 1 && r->iv[0].lo.kind == VRANGE_BEFORE && r->iv[0].hi.kind == VRANGE_AFTER &&
	       !pep440_version_cmp(r->iv[0].lo.v, r->iv[0].hi.v);
}

static void fmt_range(const struct vrange *r, struct ab_buf *out)
{
	if (is_exact(r)) {
		ab_buf_adds(out, "==");
		pep440_version_format(r->iv[0].lo.v, out);
		return;
	}
	vrange_format(r, out);
}

/* The range part of "flask>=3"; empty for every version. */
static void fmt_rng(struct report *rp, unsigned pkg, const struct vrange *r, struct ab_buf *out)
{
	if (pkg == PUBGRUB_ROOT || vrange_is_full(r))
		return;
	if (rp->pg->cb.format_range)
		rp->pg->cb.format_range(rp->pg->cb.data, rp->pg, pkg, r, out);
	else
		fmt_range(r, out);
}

/* "flask>=3", "flask" (every version), "your app" */
static void fmt_pkg(struct report *rp, unsigned pkg, const struct vrange *r, struct ab_buf *out)
{
	ab_buf_adds(out, rp->pg->pkgs[pkg].name);
	fmt_rng(rp, pkg, r, out);
}

/* The positive reading of a term: for "not foo in S" that is foo in S. */
static void fmt_term(struct report *rp, const struct term *t, struct ab_buf *out)
{
	fmt_pkg(rp, t->pkg, &t->r, out);
}

/* A positive term as the set it selects (negative terms: the complement). */
static void fmt_pos(struct report *rp, const struct term *t, struct ab_buf *out)
{
	if (t->pos) {
		fmt_pkg(rp, t->pkg, &t->r, out);
		return;
	}
	struct vrange c = VRANGE_INIT;
	vrange_complement(&c, &t->r);
	fmt_pkg(rp, t->pkg, &c, out);
	vrange_release(&c);
}

static void fmt_depender(struct report *rp, const struct term *t, struct ab_buf *out)
{
	struct ab_buf r = AB_BUF_INIT;
	fmt_rng(rp, t->pkg, &t->r, &r);
	if (t->pkg != PUBGRUB_ROOT && !r.len)
		ab_buf_adds(out, "every version of ");
	ab_buf_adds(out, rp->pg->pkgs[t->pkg].name);
	ab_buf_addstr(out, ab_buf_str(&r));
	ab_buf_release(&r);
}

static void fmt_external(struct report *rp, const struct incompat *ic, struct ab_buf *out)
{
	struct pubgrub *pg = rp->pg;
	switch (ic->kind) {
	case IC_ROOT:
		ab_buf_addf(out, "%s is what is being resolved", pg->root_name);
		break;
	case IC_NO_VERSIONS:
		{
			struct ab_buf r = AB_BUF_INIT;
			/* one interval reads best as written (">1.0"); holes
			 * left by learned clauses read best as versions */
			if (ic->t[0].r.n == 1 && !vrange_is_full(&ic->t[0].r))
				fmt_range(&ic->t[0].r, &r);
			else
				fmt_rng(rp, ic->t[0].pkg, &ic->t[0].r, &r);
			bool none = pg->cb.nothing_published &&
				    pg->cb.nothing_published(pg->cb.data, pg, ic->t[0].pkg, NULL);
			if (none)
				ab_buf_addf(out, "no versions of %s exist", pg->pkgs[ic->t[0].pkg].name);
			else if (!r.len)
				ab_buf_addf(out, "there is no usable version of %s",
					    pg->pkgs[ic->t[0].pkg].name);
			else
				ab_buf_addf(out, "no versions of %s match %s",
					    pg->pkgs[ic->t[0].pkg].name, r.buf);
			ab_buf_release(&r);
		}
		if (pg->cb.explain_no_versions)
			pg->cb.explain_no_versions(pg->cb.data, pg, ic->t[0].pkg, &ic->t[0].r, out);
		break;
	case IC_UNAVAILABLE:
		fmt_term(rp, &ic->t[0], out);
		ab_buf_addf(out, " %s", ic->reason);
		break;
	case IC_DEPENDENCY:
		fmt_depender(rp, &ic->t[0], out);
		ab_buf_adds(out, ic->t[0].pkg == PUBGRUB_ROOT ? " requires " : " depends on ");
		/* the requirement as written, not as the versions it hits */
		ab_buf_adds(out, pg->pkgs[ic->t[1].pkg].name);
		if (!vrange_is_full(&ic->t[1].r))
			fmt_range(&ic->t[1].r, out);
		break;
	case IC_CONSTRAINT:
		fmt_depender(rp, &ic->t[0], out);
		ab_buf_adds(out, " constrains ");
		fmt_pos(rp, &ic->t[1], out);
		ab_buf_adds(out, " away");
		break;
	case IC_DERIVED:
		break;
	}
}

/* What a derived incompatibility says (pub's Incompatibility.toString). */
static void fmt_terms(struct report *rp, const struct incompat *ic, struct ab_buf *out)
{
	struct pubgrub *pg = rp->pg;
	const struct term *ts[64];
	size_t n = 0;
	bool root = false;
	for (size_t i = 0; i < ic->n && n < 64; i++) {
		if (ic->t[i].pkg == PUBGRUB_ROOT && ic->t[i].pos)
			root = true;
		else
			ts[n++] = &ic->t[i];
	}
	if (n == 0) {
		ab_buf_adds(out, "version solving failed");
		return;
	}
	if (n == 1) {
		if (root && !ts[0]->pos) {
			ab_buf_addf(out, "%s requires ", pg->root_name);
			fmt_term(rp, ts[0], out);
			return;
		}
		fmt_term(rp, ts[0], out);
		ab_buf_adds(out, ts[0]->pos ? " is forbidden" : " is required");
		return;
	}
	if (n == 2 && ts[0]->pos != ts[1]->pos) {
		const struct term *p = ts[0]->pos ? ts[0] : ts[1];
		const struct term *q = ts[0]->pos ? ts[1] : ts[0];
		fmt_term(rp, p, out);
		ab_buf_adds(out, " requires ");
		fmt_term(rp, q, out);
		return;
	}
	if (n == 2 && ts[0]->pos) {
		fmt_term(rp, ts[0], out);
		ab_buf_adds(out, " is incompatible with ");
		fmt_term(rp, ts[1], out);
		return;
	}
	if (n == 2) {
		ab_buf_adds(out, "either ");
		fmt_term(rp, ts[0], out);
		ab_buf_adds(out, " or ");
		fmt_term(rp, ts[1], out);
		ab_buf_adds(out, " is required");
		return;
	}
	/* More terms: "if a and b then c or d" */
	size_t npos = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		npos += ts[i]->pos;
	if (npos == n) {
		for (size_t i = 0; i < n; i++) {
			if (i)
				ab_buf_adds(out, i + 1 == n ? " and " : ", ");
			fmt_term(rp, ts[i], out);
		}
		ab_buf_adds(out, " are incompatible");
		return;
	}
	ab_buf_adds(out, "if ");
	for (size_t i = 0; i < n; i++) {
		if (!ts[i]->pos)
			continue;
		if (k++)
			ab_buf_adds(out, " and ");
		fmt_term(rp, ts[i], out);
	}
	if (!k)
		ab_buf_adds(out, "anything is selected");
	ab_buf_adds(out, " then ");
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (ts[i]->pos)
			continue;
		if (k++)
			ab_buf_adds(out, " or ");
		fmt_term(rp, ts[i], out);
	}
	ab_buf_adds(out, " is required");
}

static void fmt_ic(struct report *rp, const struct incompat *ic, struct ab_buf *out)
{
	if (ic->kind == IC_DERIVED)
		fmt_terms(rp, ic, out);
	else
		fmt_external(rp, ic, out);
}

static void push_line(struct report *rp, struct ab_buf *b)
{
	AB_GROW(rp->lines, rp->cap, rp->n + 1);
	rp->lines[rp->n++] = ab_buf_detach(b);
}

static void push_empty(struct report *rp)
{
	AB_GROW(rp->lines, rp->cap, rp->n + 1);
	rp->lines[rp->n++] = ab_xstrdup("");
}

static bool shared(const struct incompat *ic)
{
	return ic->kind == IC_DERIVED && ic->refs > 1;
}

static unsigned line_of(const struct incompat *ic)
{
	return shared(ic) ? ic->line : 0;
}

static void add_line_ref(struct report *rp)
{
	rp->refs++;
	if (!rp->n)
		return;
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "%s (%u)", rp->lines[rp->n - 1], rp->refs);
	free(rp->lines[rp->n - 1]);
	rp->lines[rp->n - 1] = ab_buf_detach(&b);
}

static bool trivial(struct report *rp, const struct incompat *ic)
{
	return ic && ic->kind == IC_NO_VERSIONS && rp->pg->cb.nothing_published &&
	       rp->pg->cb.nothing_published(rp->pg->cb.data, rp->pg, ic->t[0].pkg, &ic->t[0].r);
}

static bool root_dep(const struct incompat *ic)
{
	return ic && ic->kind == IC_DEPENDENCY && ic->t[0].pkg == PUBGRUB_ROOT;
}

/* "Because A and B, C." and its variants */
static void line2(struct report *rp, const char *lead, const struct incompat *a, unsigned ra,
		  const struct incompat *b, unsigned rb, const struct incompat *cur)
{
	struct ab_buf l = AB_BUF_INIT;
	/* ...except when the root's own requirement hits nothing: that is
	 * the whole story ("no versions of x match <2 and your app requires
	 * x<2") */
	if (b && trivial(rp, a) && !trivial(rp, b) && !root_dep(b)) {
		a = b;
		ra = rb;
		b = NULL;
	} else if (b && trivial(rp, b) && !trivial(rp, a) && !root_dep(a))
		b = NULL;
	ab_buf_adds(&l, lead);
	if (!b && trivial(rp, a))
		ab_buf_addf(&l, "%s has no other versions", rp->pg->pkgs[a->t[0].pkg].name);
	else
		fmt_ic(rp, a, &l);
	if (ra)
		ab_buf_addf(&l, " (%u)", ra);
	if (b) {
		struct ab_buf bt = AB_BUF_INIT;
		fmt_ic(rp, b, &bt);
		/* "no versions of foo exist" twice says it once */
		if (rb || !ab_str_endswith(ab_buf_str(&l), bt.buf)) {
			ab_buf_adds(&l, " and ");
			ab_buf_addstr(&l, ab_buf_str(&bt));
		}
		ab_buf_release(&bt);
		if (rb)
			ab_buf_addf(&l, " (%u)", rb);
	}
	ab_buf_adds(&l, ", ");
	size_t at = l.len;
	fmt_ic(rp, cur, &l);
	ab_buf_adds(&l, ".");
	/* "And because foo has no other versions, X." after a line that
	 * concluded X already adds nothing */
	if (!b && trivial(rp, a) && rp->n) {
		const char *prev = rp->lines[rp->n - 1];
		const char *end = strrchr(prev, ',');
		if (end && !strcmp(end + 2, l.buf + at)) {
			ab_buf_release(&l);
			return;
		}
	}
	push_line(rp, &l);
}

static void build(struct report *rp, struct incompat *ic);

static void report_one_each(struct report *rp, struct incompat *derived, struct incompat *ext,
			    struct incompat *cur)
{
	if (line_of(derived)) {
		line2(rp, "Because ", derived, line_of(derived), ext, 0, cur);
		return;
	}
	struct incompat *c1 = derived->c1, *c2 = derived->c2;
	if (c1->kind == IC_DERIVED && c2->kind != IC_DERIVED) {
		build(rp, c1);
		line2(rp, "And because ", c2, 0, ext, 0, cur);
	} else if (c1->kind != IC_DERIVED && c2->kind == IC_DERIVED) {
		build(rp, c2);
		line2(rp, "And because ", c1, 0, ext, 0, cur);
	} else {
		build(rp, derived);
		line2(rp, "And because ", ext, 0, NULL, 0, cur);
	}
}

static void build_helper(struct report *rp, struct incompat *cur)
{
	struct incompat *c1 = cur->c1, *c2 = cur->c2;
	bool d1 = c1->kind == IC_DERIVED, d2 = c2->kind == IC_DERIVED;
	if (!d1 && !d2) {
		line2(rp, "Because ", c1, 0, c2, 0, cur);
		return;
	}
	if (d1 && !d2) {
		report_one_each(rp, c1, c2, cur);
		return;
	}
	if (!d1 && d2) {
		report_one_each(rp, c2, c1, cur);
		return;
	}
	unsigned r1 = line_of(c1), r2 = line_of(c2);
	if (r1 && r2)
		line2(rp, "Because ", c1, r1, c2, r2, cur);
	else if (r1) {
		build(rp, c2);
		line2(rp, "And because ", c1, r1, NULL, 0, cur);
	} else if (r2) {
		build(rp, c1);
		line2(rp, "And because ", c2, r2, NULL, 0, cur);
	} else {
		build(rp, c1);
		if (shared(c1)) {
			push_empty(rp);
			build(rp, cur);
		} else {
			add_line_ref(rp);
			unsigned ref1 = rp->refs;
			c1->line = ref1; /* local reference for the closing line */
			push_empty(rp);
			build(rp, c2);
			struct ab_buf l = AB_BUF_INIT;
			ab_buf_adds(&l, "And because ");
			fmt_ic(rp, c1, &l);
			ab_buf_addf(&l, " (%u), ", ref1);
			fmt_ic(rp, cur, &l);
			ab_buf_adds(&l, ".");
			push_line(rp, &l);
		}
	}
}

static void build(struct report *rp, struct incompat *ic)
{
	build_helper(rp, ic);
	if (shared(ic) && !ic->line) {
		add_line_ref(rp);
		ic->line = rp->refs;
	}
}

static void count_refs(struct incompat *ic)
{
	if (ic->kind != IC_DERIVED)
		return;
	struct incompat *cs[2] = { ic->c1, ic->c2 };
	for (int i = 0; i < 2; i++) {
		cs[i]->refs++;
		if (cs[i]->refs == 1)
			count_refs(cs[i]);
	}
}

void pubgrub_explain(struct pubgrub *pg, struct ab_buf *out)
{
	struct incompat *f = pg->failure;
	if (!f)
		return;
	struct report rp = { pg, NULL, 0, 0, 0 };
	for (size_t i = 0; i < pg->nall; i++) {
		pg->all[i]->refs = 0;
		pg->all[i]->line = 0;
	}
	if (f->kind != IC_DERIVED) {
		struct ab_buf l = AB_BUF_INIT;
		fmt_external(&rp, f, &l);
		ab_buf_addstr(out, ab_buf_str(&l));
		ab_buf_release(&l);
		return;
	}
	count_refs(f);
	build(&rp, f);
	for (size_t i = 0; i < rp.n; i++) {
		if (i)
			ab_buf_addc(out, '\n');
		ab_buf_adds(out, rp.lines[i]);
		free(rp.lines[i]);
	}
	free(rp.lines);
}
