/* vrange.c - version ranges over PEP 440 versions (see vrange.h).
 *
 * The operator ranges are packaging 26.x's (packaging/_ranges.py:
 * standard_ranges, wildcard_ranges), with its AFTER_LOCALS and
 * AFTER_POSTS boundaries rewritten to canonical cuts (see vrange.h). */
#include "formats/vrange.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

/* ---- building bound versions ---- */

static void add_num(struct ab_buf *b, const struct pep440_num *n, bool inc)
{
	size_t at = b->len;
	pep440_num_format(n, b);
	if (!inc)
		return;
	/* decimal +1 on the digits just written (numbers may exceed 64 bits) */
	size_t i = b->len;
	while (i > at && b->buf[i - 1] == '9')
		b->buf[--i] = '0';
	if (i > at) {
		b->buf[i - 1]++;
	} else {
		ab_buf_addc(b, '0');
		b->buf[at] = '1';
	}
}

/* "E!r1.r2...rn" with the last component incremented when asked. */
static void add_release(struct ab_buf *b, const struct pep440_version *v, size_t n, bool inc)
{
	if (v->epoch.big || v->epoch.v) {
		pep440_num_format(&v->epoch, b);
		ab_buf_addc(b, '!');
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			ab_buf_addc(b, '.');
		add_num(b, &v->release[i], inc && i + 1 == n);
	}
}

static void add_pre(struct ab_buf *b, const struct pep440_version *v, bool inc)
{
	static const char *const names[] = { "", "a", "b", "rc" };
	if (!v->pre)
		return;
	ab_buf_adds(b, names[v->pre]);
	add_num(b, &v->pre_n, inc);
}

static struct pep440_version *parse_buf(struct ab_buf *b)
{
	struct pep440_version *v = pep440_version_new(b->buf);
	if (!v)
		abort(); /* we only write valid versions */
	ab_buf_release(b);
	return v;
}

/* The smallest version above v and its local versions (packaging's
 * AFTER_LOCALS(v), and the next version `>v` starts at when v is a dev or
 * post-release): X.devN -> X.dev(N+1), X.postN -> X.post(N+1).dev0,
 * X -> X.post0.dev0 (X keeps its pre-release). */
static struct pep440_version *succ_public(const struct pep440_version *v)
{
	struct ab_buf b = AB_BUF_INIT;
	static const struct pep440_num zero = { 0, NULL, 0 };
	add_release(&b, v, v->nrelease, false);
	add_pre(&b, v, false);
	if (v->has_dev) {
		if (v->has_post) {
			ab_buf_adds(&b, ".post");
			add_num(&b, &v->post, false);
		}
		ab_buf_adds(&b, ".dev");
		add_num(&b, &v->dev, true);
	} else {
		ab_buf_adds(&b, ".post");
		add_num(&b, v->has_post ? &v->post : &zero, v->has_post);
		ab_buf_adds(&b, ".dev0");
	}
	return parse_buf(&b);
}

/* X(pre)(.postN).dev0: the first pre-release of v's release, for `<v`. */
static struct pep440_version *with_dev0(const struct pep440_version *v)
{
	struct ab_buf b = AB_BUF_INIT;
	add_release(&b, v, v->nrelease, false);
	add_pre(&b, v, false);
	if (v->has_post) {
		ab_buf_adds(&b, ".post");
		add_num(&b, &v->post, false);
	}
	ab_buf_adds(&b, ".dev0");
	return parse_buf(&b);
}

/* E!r1...rn.dev0 with rn+1 when `inc`: both ends of ==X.* and ~=. */
static struct pep440_version *release_dev0(const struct pep440_version *v, size_t n, bool inc)
{
	struct ab_buf b = AB_BUF_INIT;
	add_release(&b, v, n, inc);
	ab_buf_adds(&b, ".dev0");
	return parse_buf(&b);
}

/* Xa(N+1).dev0: the first version above Xa N's post-releases. */
static struct pep440_version *next_pre_dev0(const struct pep440_version *v)
{
	struct ab_buf b = AB_BUF_INIT;
	add_release(&b, v, v->nrelease, false);
	add_pre(&b, v, true);
	ab_buf_adds(&b, ".dev0");
	return parse_buf(&b);
}

/* ---- cuts ---- */

static bool is_min(const struct pep440_version *v)
{
	/* 0.dev0 (any number of zeros), packaging's _MIN_VERSION */
	return !v->epoch.big && !v->epoch.v && v->ntrim == 0 && !v->pre && !v->has_post &&
	       v->has_dev && !v->dev.big && !v->dev.v && !v->nlocal;
}

/* The versions of cuts are shared between ranges, with a count in a
 * header ahead of each: the solver copies ranges on every assignment, and
 * a copy that only counts costs no allocation per cut. */
struct shared {
	size_t refs;
	size_t pad; /* keeps the version aligned as malloc's */
};

static struct pep440_version *share(const struct pep440_version *v)
{
	struct shared *h = ab_xmalloc(sizeof(*h) + v->size);
	h->refs = 1;
	return pep440_version_copy_to(h + 1, v);
}

static struct pep440_version *ref(struct pep440_version *v)
{
	((struct shared *)v - 1)->refs++;
	return v;
}

static void unref(struct pep440_version *v)
{
	struct shared *h = v ? (struct shared *)v - 1 : NULL;
	if (h && !--h->refs)
		free(h);
}

static struct vrange_cut cut_inf(void)
{
	return (struct vrange_cut){ VRANGE_INF, NULL };
}

/* Takes ownership of v (malloc'd, e.g. by parse_buf()). */
static struct vrange_cut cut_make(enum vrange_cut_kind k, struct pep440_version *v)
{
	struct vrange_cut c = { k, share(v) };
	pep440_version_free(v);
	return c;
}

/* A cut at a copy of v. */
static struct vrange_cut cut_at(enum vrange_cut_kind k, const struct pep440_version *v)
{
	return (struct vrange_cut){ k, share(v) };
}

static struct vrange_cut cut_dup(const struct vrange_cut *c)
{
	return (struct vrange_cut){ c->kind, c->v ? ref(c->v) : NULL };
}

static void cut_release(struct vrange_cut *c)
{
	unref(c->v);
	c->v = NULL;
}

/* Is v below the cut? An INF cut is -inf when it is a lower cut (`hi`
 * false) and +inf when it is an upper one. */
static bool below(const struct vrange_cut *c, bool hi, const struct pep440_version *v)
{
	switch (c->kind) {
	case VRANGE_INF:
		return hi;
	case VRANGE_BEFORE:
		return pep440_version_cmp(v, c->v) < 0;
	case VRANGE_AFTER:
		return pep440_version_cmp(v, c->v) <= 0;
	case VRANGE_AFTER_POSTS:
		return pep440_version_cmp_upto_pre(v, c->v) <= 0;
	}
	return false;
}

/* Order of cuts. Full version order has no neighbours (a local label can
 * always be made longer), so BEFORE(a) < AFTER(a) < BEFORE(b) when a < b;
 * AFTER_POSTS(X) lies above every version of X's (epoch, release, pre)
 * class and below every version above that class. */
static int cut_cmp(const struct vrange_cut *a, bool ahi, const struct vrange_cut *b, bool bhi)
{
	if (a->kind == VRANGE_INF || b->kind == VRANGE_INF) {
		int ra = a->kind == VRANGE_INF ? (ahi ? 2 : -2) : 0;
		int rb = b->kind == VRANGE_INF ? (bhi ? 2 : -2) : 0;
		return ra < rb ? -1 : ra > rb;
	}
	if (a->kind == VRANGE_AFTER_POSTS || b->kind == VRANGE_AFTER_POSTS) {
		int c = pep440_version_cmp_upto_pre(a->v, b->v);
		if (c)
			return c;
		if (a->kind == b->kind)
			return 0;
		return a->kind == VRANGE_AFTER_POSTS ? 1 : -1;
	}
	int c = pep440_version_cmp(a->v, b->v);
	if (c)
		return c;
	if (a->kind == b->kind)
		return 0;
	return a->kind == VRANGE_BEFORE ? -1 : 1;
}

/* ---- ranges ---- */

struct builder {
	struct vrange r;
	size_t cap;
};

/* Append [lo, hi) taking ownership of both cuts; empty intervals are
 * dropped and one touching the previous is merged with it (callers append
 * in ascending order). */
static void push(struct builder *b, struct vrange_cut lo, struct vrange_cut hi)
{
	if (lo.kind == VRANGE_BEFORE && is_min(lo.v)) {
		cut_release(&lo);
		lo = cut_inf();
	}
	if ((hi.kind == VRANGE_BEFORE && is_min(hi.v)) || cut_cmp(&lo, false, &hi, true) >= 0) {
		cut_release(&lo);
		cut_release(&hi);
		return;
	}
	if (b->r.n) {
		struct vrange_interval *last = &b->r.iv[b->r.n - 1];
		if (cut_cmp(&lo, false, &last->hi, true) <= 0) {
			if (cut_cmp(&hi, true, &last->hi, true) > 0) {
				cut_release(&last->hi);
				last->hi = hi;
			} else {
				cut_release(&hi);
			}
			cut_release(&lo);
			return;
		}
	}
	AB_GROW(b->r.iv, b->cap, b->r.n + 1);
	b->r.iv[b->r.n++] = (struct vrange_interval){ lo, hi };
}

static void finish(struct vrange *out, struct builder *b)
{
	vrange_release(out);
	*out = b->r;
}

void vrange_release(struct vrange *r)
{
	for (size_t i = 0; i < r->n; i++) {
		cut_release(&r->iv[i].lo);
		cut_release(&r->iv[i].hi);
	}
	free(r->iv);
	r->n = 0;
	r->iv = NULL;
}

void vrange_empty(struct vrange *out)
{
	vrange_release(out);
}

void vrange_full(struct vrange *out)
{
	struct builder b = { VRANGE_INIT, 0 };
	push(&b, cut_inf(), cut_inf());
	finish(out, &b);
}

void vrange_exact(struct vrange *out, const struct pep440_version *v)
{
	struct builder b = { VRANGE_INIT, 0 };
	struct vrange_cut lo = cut_at(VRANGE_BEFORE, v);
	push(&b, lo, cut_dup(&(struct vrange_cut){ VRANGE_AFTER, lo.v }));
	finish(out, &b);
}

void vrange_between(struct vrange *out, const struct pep440_version *lo,
		    const struct pep440_version *hi)
{
	struct builder b = { VRANGE_INIT, 0 };
	push(&b, lo ? cut_at(VRANGE_BEFORE, lo) : cut_inf(),
	     hi ? cut_at(VRANGE_BEFORE, hi) : cut_inf());
	finish(out, &b);
}

void vrange_copy(struct vrange *out, const struct vrange *r)
{
	/* a range is canonical already: the intervals as they are */
	if (out == r)
		return;
	struct vrange c = { r->n, r->n ? ab_xmalloc(r->n * sizeof(*r->iv)) : NULL };
	for (size_t i = 0; i < r->n; i++) {
		c.iv[i].lo = cut_dup(&r->iv[i].lo);
		c.iv[i].hi = cut_dup(&r->iv[i].hi);
	}
	vrange_release(out);
	*out = c;
}

/* ---- from specifiers ---- */

int vrange_from_spec(struct vrange *out, const struct pep440_spec *spec)
{
	struct builder b = { VRANGE_INIT, 0 };
	const struct pep440_version *v = spec->version;
	struct vrange_cut lo, hi;
	bool negate = false;

	switch (spec->op) {
	case PEP440_OP_ARBITRARY:
		vrange_release(out);
		return VRANGE_E_ARBITRARY;
	case PEP440_OP_GE:
		push(&b, cut_at(VRANGE_BEFORE, v), cut_inf());
		break;
	case PEP440_OP_LE:
		push(&b, cut_inf(), cut_make(VRANGE_BEFORE, succ_public(v)));
		break;
	case PEP440_OP_GT:
		/* >V excludes V's local versions, and its post-releases unless
		 * V is one (PEP 440, "Exclusive ordered comparison") */
		if (v->has_dev || v->has_post)
			lo = cut_make(VRANGE_BEFORE, succ_public(v));
		else if (v->pre)
			lo = cut_make(VRANGE_BEFORE, next_pre_dev0(v));
		else
			lo = cut_at(VRANGE_AFTER_POSTS, v);
		push(&b, lo, cut_inf());
		break;
	case PEP440_OP_LT:
		/* <V excludes V's pre-releases unless V is one */
		hi = cut_make(VRANGE_BEFORE,
			      pep440_is_prerelease(v) ? pep440_version_dup(v) : with_dev0(v));
		push(&b, cut_inf(), hi);
		break;
	case PEP440_OP_NE:
		negate = true;
		/* fall through */
	case PEP440_OP_EQ:
		if (spec->wildcard) {
			lo = cut_make(VRANGE_BEFORE, release_dev0(v, v->nrelease, false));
			hi = cut_make(VRANGE_BEFORE, release_dev0(v, v->nrelease, true));
		} else if (v->nlocal) {
			lo = cut_at(VRANGE_BEFORE, v);
			hi = cut_at(VRANGE_AFTER, v);
		} else {
			/* ==V matches V+anything */
			lo = cut_at(VRANGE_BEFORE, v);
			hi = cut_make(VRANGE_BEFORE, succ_public(v));
		}
		if (negate) {
			push(&b, cut_inf(), lo);
			push(&b, hi, cut_inf());
		} else {
			push(&b, lo, hi);
		}
		break;
	case PEP440_OP_COMPATIBLE:
		/* ~=X.Y.Z: >=X.Y.Z, ==X.Y.* */
		push(&b, cut_at(VRANGE_BEFORE, v),
		     cut_make(VRANGE_BEFORE, release_dev0(v, v->nrelease - 1, true)));
		break;
	}
	finish(out, &b);
	return 0;
}

int vrange_from_specset(struct vrange *out, const struct pep440_specset *set)
{
	struct vrange acc = VRANGE_INIT, one = VRANGE_INIT;
	int skipped = 0;
	vrange_full(&acc);
	for (size_t i = 0; i < set->n; i++) {
		if (vrange_from_spec(&one, &set->specs[i]) < 0) {
			skipped++;
			continue;
		}
		vrange_intersect(&acc, &acc, &one);
	}
	vrange_release(&one);
	vrange_release(out);
	*out = acc;
	return skipped;
}

/* ---- set operations ---- */

static const struct vrange_cut *max_lo(const struct vrange_cut *a, const struct vrange_cut *b)
{
	return cut_cmp(a, false, b, false) >= 0 ? a : b;
}

static const struct vrange_cut *min_hi(const struct vrange_cut *a, const struct vrange_cut *b)
{
	return cut_cmp(a, true, b, true) <= 0 ? a : b;
}

void vrange_intersect(struct vrange *out, const struct vrange *a, const struct vrange *b)
{
	struct builder o = { VRANGE_INIT, 0 };
	size_t i = 0, j = 0;
	while (i < a->n && j < b->n) {
		const struct vrange_interval *x = &a->iv[i], *y = &b->iv[j];
		const struct vrange_cut *lo = max_lo(&x->lo, &y->lo), *hi = min_hi(&x->hi, &y->hi);
		if (cut_cmp(lo, false, hi, true) < 0)
			push(&o, cut_dup(lo), cut_dup(hi));
		if (cut_cmp(&x->hi, true, &y->hi, true) < 0)
			i++;
		else
			j++;
	}
	finish(out, &o);
}

void vrange_union(struct vrange *out, const struct vrange *a, const struct vrange *b)
{
	struct builder o = { VRANGE_INIT, 0 };
	size_t i = 0, j = 0;
	while (i < a->n || j < b->n) {
		const struct vrange_interval *x;
		if (j >= b->n ||
		    (i < a->n && cut_cmp(&a->iv[i].lo, false, &b->iv[j].lo, false) <= 0))
			x = &a->iv[i++];
		else
			x = &b->iv[j++];
		push(&o, cut_dup(&x->lo), cut_dup(&x->hi));
	}
	finish(out, &o);
}

void vrange_complement(struct vrange *out, const struct vrange *a)
{
	struct builder o = { VRANGE_INIT, 0 };
	struct vrange_cut prev = cut_inf();
	for (size_t i = 0; i < a->n; i++) {
		/* the gap below interval i: (previous hi, this lo) */
		if (a->iv[i].lo.kind != VRANGE_INF)
			push(&o, prev, cut_dup(&a->iv[i].lo));
		else
			cut_release(&prev);
		prev = a->iv[i].hi.kind == VRANGE_INF ? cut_inf() : cut_dup(&a->iv[i].hi);
		if (a->iv[i].hi.kind == VRANGE_INF)
			goto done;
	}
	push(&o, prev, cut_inf());
done:
	finish(out, &o);
}

void vrange_difference(struct vrange *out, const struct vrange *a, const struct vrange *b)
{
	struct vrange nb = VRANGE_INIT;
	vrange_complement(&nb, b);
	vrange_intersect(out, a, &nb);
	vrange_release(&nb);
}

/* ---- queries ---- */

bool vrange_contains(const struct vrange *r, const struct pep440_version *v)
{
	/* first interval whose upper cut is above v */
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (below(&r->iv[mid].hi, true, v))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < r->n && !below(&r->iv[lo].lo, false, v);
}

bool vrange_below_upper(const struct vrange *r, const struct pep440_version *v)
{
	return r->n && below(&r->iv[r->n - 1].hi, true, v);
}

bool vrange_above_lower(const struct vrange *r, const struct pep440_version *v)
{
	return r->n && !below(&r->iv[0].lo, false, v);
}

bool vrange_is_empty(const struct vrange *r)
{
	return r->n == 0;
}

bool vrange_is_full(const struct vrange *r)
{
	return r->n == 1 && r->iv[0].lo.kind == VRANGE_INF && r->iv[0].hi.kind == VRANGE_INF;
}

bool vrange_eq(const struct vrange *a, const struct vrange *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (cut_cmp(&a->iv[i].lo, false, &b->iv[i].lo, false) ||
		    cut_cmp(&a->iv[i].hi, true, &b->iv[i].hi, true))
			return false;
	return true;
}

bool vrange_is_subset(const struct vrange *a, const struct vrange *b)
{
	/* each interval of a lies inside one interval of b */
	size_t j = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct vrange_interval *x = &a->iv[i];
		while (j < b->n && cut_cmp(&b->iv[j].hi, true, &x->lo, false) <= 0)
			j++;
		if (j == b->n)
			return false;
		if (cut_cmp(&b->iv[j].lo, false, &x->lo, false) > 0 ||
		    cut_cmp(&b->iv[j].hi, true, &x->hi, true) < 0)
			return false;
	}
	return true;
}

bool vrange_is_disjoint(const struct vrange *a, const struct vrange *b)
{
	size_t i = 0, j = 0;
	while (i < a->n && j < b->n) {
		const struct vrange_interval *x = &a->iv[i], *y = &b->iv[j];
		const struct vrange_cut *lo = max_lo(&x->lo, &y->lo), *hi = min_hi(&x->hi, &y->hi);
		if (cut_cmp(lo, false, hi, true) < 0)
			return false;
		if (cut_cmp(&x->hi, true, &y->hi, true) < 0)
			i++;
		else
			j++;
	}
	return true;
}

/* ---- formatting ---- */

static bool same_version(const struct pep440_version *a, const struct pep440_version *b)
{
	return pep440_version_cmp(a, b) == 0;
}

/* Is v "E!r1...rn.dev0" (a plain release then .dev0)? */
static bool is_release_dev0(const struct pep440_version *v)
{
	return !v->pre && !v->has_post && v->has_dev && !v->dev.big && !v->dev.v && !v->nlocal;
}

/* [lo, hi) == ==X.*: lo = X.dev0, hi = X'.dev0 with X' = X with the last
 * component + 1. Writes "X" (as lo's release) to out. */
static bool is_wildcard(const struct vrange_cut *lo, const struct vrange_cut *hi,
			struct ab_buf *out)
{
	if (lo->kind != VRANGE_BEFORE || hi->kind != VRANGE_BEFORE || !is_release_dev0(lo->v) ||
	    !is_release_dev0(hi->v))
		return false;
	struct pep440_version *want = release_dev0(lo->v, lo->v->nrelease, true);
	bool ok = same_version(want, hi->v) && want->nrelease == hi->v->nrelease;
	pep440_version_free(want);
	if (ok)
		pep440_version_base(lo->v, out);
	return ok;
}

/* [lo, hi) == ==V (V and its local versions). */
static bool is_public_eq(const struct vrange_cut *lo, const struct vrange_cut *hi)
{
	if (lo->kind != VRANGE_BEFORE || hi->kind != VRANGE_BEFORE || lo->v->nlocal)
		return false;
	struct pep440_version *s = succ_public(lo->v);
	bool ok = same_version(s, hi->v);
	pep440_version_free(s);
	return ok;
}

/* A hole [lo, hi) (lo, hi are upper and lower cuts of the neighbours) as
 * one "!=" clause, if it is one. */
static bool format_hole(const struct vrange_cut *lo, const struct vrange_cut *hi,
			struct ab_buf *out)
{
	struct ab_buf x = AB_BUF_INIT;
	bool ok = true;
	if (is_wildcard(lo, hi, &x)) {
		ab_buf_addf(out, "!=%s.*", x.buf);
	} else if (is_public_eq(lo, hi)) {
		ab_buf_addf(out, "!=%s", lo->v->str);
	} else if (lo->kind == VRANGE_BEFORE && hi->kind == VRANGE_AFTER &&
		   same_version(lo->v, hi->v) && lo->v->nlocal) {
		ab_buf_addf(out, "!=%s", lo->v->str);
	} else {
		ok = false;
	}
	ab_buf_release(&x);
	return ok;
}

static void format_lo(const struct vrange_cut *c, struct ab_buf *out)
{
	switch (c->kind) {
	case VRANGE_INF:
		break;
	case VRANGE_BEFORE:
		ab_buf_addf(out, ">=%s", c->v->str);
		break;
	case VRANGE_AFTER:
	case VRANGE_AFTER_POSTS:
		ab_buf_addf(out, ">%s", c->v->str);
		break;
	}
}

static void format_hi(const struct vrange_cut *c, struct ab_buf *out)
{
	const struct pep440_version *v = c->v;
	switch (c->kind) {
	case VRANGE_INF:
		break;
	case VRANGE_BEFORE:
		if (v->has_dev && !v->dev.big && !v->dev.v && !v->pre && !v->nlocal) {
			size_t n = v->pub_end - 5; /* without ".dev0" */
			if (v->has_post && !v->post.big && !v->post.v) {
				/* X.post0.dev0 ends "<=X": X and its local versions */
				ab_buf_adds(out, "<=");
				ab_buf_add(out, v->str, n - 6); /* without ".post0" */
			} else {
				/* <X stops at X.dev0 when X is not a pre-release */
				ab_buf_adds(out, "<");
				ab_buf_add(out, v->str, n);
			}
		} else if (!pep440_is_prerelease(v) && !v->nlocal) {
			/* before V but after its pre-releases: no single operator */
			ab_buf_addf(out, "<=%s,!=%s", v->str, v->str);
		} else {
			ab_buf_addf(out, "<%s", v->str);
		}
		break;
	case VRANGE_AFTER:
		ab_buf_addf(out, "<=%s", v->str);
		break;
	case VRANGE_AFTER_POSTS:
		ab_buf_addf(out, "<=%s.post*", v->str);
		break;
	}
}

static void format_span(const struct vrange_cut *lo, const struct vrange_cut *hi,
			struct ab_buf *out)
{
	struct ab_buf x = AB_BUF_INIT;
	if (is_wildcard(lo, hi, &x)) {
		ab_buf_addf(out, "==%s.*", x.buf);
	} else if (is_public_eq(lo, hi)) {
		ab_buf_addf(out, "==%s", lo->v->str);
	} else if (lo->kind == VRANGE_BEFORE && hi->kind == VRANGE_AFTER &&
		   same_version(lo->v, hi->v)) {
		ab_buf_addf(out, "==%s", lo->v->str);
	} else {
		size_t at = out->len;
		format_lo(lo, out);
		if (hi->kind != VRANGE_INF && out->len > at)
			ab_buf_addc(out, ',');
		format_hi(hi, out);
	}
	ab_buf_release(&x);
}

void vrange_format(const struct vrange *r, struct ab_buf *out)
{
	if (r->n == 0) {
		ab_buf_adds(out, "<empty>");
		return;
	}
	if (vrange_is_full(r)) {
		ab_buf_adds(out, "*");
		return;
	}
	/* One span minus holes that are "!=" clauses: ">=1.0,!=1.5,<2" */
	if (r->n > 1) {
		struct ab_buf holes = AB_BUF_INIT;
		bool ok = true;
		for (size_t i = 0; ok && i + 1 < r->n; i++) {
			if (holes.len)
				ab_buf_addc(&holes, ',');
			ok = format_hole(&r->iv[i].hi, &r->iv[i + 1].lo, &holes);
		}
		if (ok) {
			size_t at = out->len;
			format_lo(&r->iv[0].lo, out);
			if (out->len > at)
				ab_buf_addc(out, ',');
			ab_buf_addstr(out, ab_buf_str(&holes));
			if (r->iv[r->n - 1].hi.kind != VRANGE_INF)
				ab_buf_addc(out, ',');
			format_hi(&r->iv[r->n - 1].hi, out);
			ab_buf_release(&holes);
			return;
		}
		ab_buf_release(&holes);
	}
	for (size_t i = 0; i < r->n; i++) {
		if (i)
			ab_buf_adds(out, " || ");
		format_span(&r->iv[i].lo, &r->iv[i].hi, out);
	}
}
