/* provider_index.c - the resolver's view of the package index. */
#include "builder/provider_index.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/core/arena.h"
#include "formats/core/hash.h"
#include "formats/core/mem.h"
#include "formats/metadata.h"
#include "formats/names.h"

struct pversion {
	const struct index_candidate **files; /* usable on the target */
	size_t nfiles;
	const struct index_candidate *md_file; /* best usable wheel (NULL: none) */
	const struct index_candidate *sdist;   /* first usable sdist */
	const struct index_candidate *any_wheel;
	bool md_done, md_queued;
	struct resolve_metadata md;
};

struct pproject {
	char *name;
	bool built;   /* the listing below is made */
	bool exists;  /* some source knows the project */
	bool hinted;  /* pages queued, likely metadata not yet */
	struct resolve_candidate *cands; /* contiguous: handed to the resolver */
	struct pversion *vs;
	size_t n;
};

struct provider_index {
	struct index *ix;
	struct provider_index_options o;
	struct ab_arena arena;
	struct pproject **slots; /* open addressing by name */
	size_t mask, count;
	struct pproject **hinted; /* projects whose likely metadata is not queued */
	size_t nhinted, chinted;
	struct rp_memo *rp;	/* resolve_python_ok() by Requires-Python string */
	size_t rp_mask, rp_count;
	struct rank_memo *ranks; /* tags_supported_rank() by tag set */
	size_t rank_mask, rank_count;
	struct provider_index_stats st;
};

/* A page repeats the same few Requires-Python strings on thousands of
 * files; the target's Python and mode are fixed, so each distinct string
 * is parsed and judged once. */
struct rp_memo {
	const char *s; /* arena copy; NULL: empty slot */
	size_t hash;
	bool ok;
};

/* The index client shares one tag set among the files with the same tag
 * string ("py3-none-any"): each is ranked against the target once. */
struct rank_memo {
	const struct tag *set; /* tag_set.tags; NULL: empty slot */
	long rank;
};

static size_t rank_hash(const struct tag *set)
{
	return (size_t)(((uintptr_t)set >> 4) * 11400714819323198485ull);
}

static long tags_rank(struct provider_index *pi, const struct tag_set *ts)
{
	if (!ts->tags)
		return tags_supported_rank(pi->o.tags, ts);
	size_t h = rank_hash(ts->tags);
	for (size_t i = h & pi->rank_mask; pi->ranks && pi->ranks[i].set;
	     i = (i + 1) & pi->rank_mask)
		if (pi->ranks[i].set == ts->tags)
			return pi->ranks[i].rank;
	long rank = tags_supported_rank(pi->o.tags, ts);
	if ((pi->rank_count + 1) * 2 > (pi->ranks ? pi->rank_mask + 1 : 0)) {
		size_t nmask = pi->ranks ? pi->rank_mask * 2 + 1 : 255;
		struct rank_memo *ns = ab_xcalloc(nmask + 1, sizeof(*ns));
		for (size_t k = 0; pi->ranks && k <= pi->rank_mask; k++) {
			if (!pi->ranks[k].set)
				continue;
			size_t j = rank_hash(pi->ranks[k].set) & nmask;
			while (ns[j].set)
				j = (j + 1) & nmask;
			ns[j] = pi->ranks[k];
		}
		free(pi->ranks);
		pi->ranks = ns;
		pi->rank_mask = nmask;
	}
	size_t i = h & pi->rank_mask;
	while (pi->ranks[i].set)
		i = (i + 1) & pi->rank_mask;
	pi->ranks[i] = (struct rank_memo){ ts->tags, rank };
	pi->rank_count++;
	return rank;
}


static struct pproject *project(struct provider_index *pi, const char *name, bool create)
{
	if (!pi->slots) {
		pi->mask = 255;
		pi->slots = ab_xcalloc(pi->mask + 1, sizeof(*pi->slots));
	}
	size_t i = ab_hash_str(name) & pi->mask;
	while (pi->slots[i]) {
		if (!strcmp(pi->slots[i]->name, name))
			return pi->slots[i];
		i = (i + 1) & pi->mask;
	}
	if (!create)
		return NULL;
	struct pproject *p = ab_arena_zalloc(&pi->arena, sizeof(*p));
	p->name = ab_arena_strdup(&pi->arena, name);
	pi->slots[i] = p;
	if (++pi->count * 2 > pi->mask) {
		size_t nmask = pi->mask * 2 + 1;
		struct pproject **ns = ab_xcalloc(nmask + 1, sizeof(*ns));
		for (size_t k = 0; k <= pi->mask; k++) {
			if (!pi->slots[k])
				continue;
			size_t j = ab_hash_str(pi->slots[k]->name) & nmask;
			while (ns[j])
				j = (j + 1) & nmask;
			ns[j] = pi->slots[k];
		}
		free(pi->slots);
		pi->slots = ns;
		pi->mask = nmask;
	}
	return p;
}

static bool python_ok(struct provider_index *pi, const char *rp)
{
	if (!rp || !pi->o.python)
		return true;
	size_t h = ab_hash_str(rp);
	if (pi->rp) {
		for (size_t i = h & pi->rp_mask; pi->rp[i].s; i = (i + 1) & pi->rp_mask)
			if (pi->rp[i].hash == h && !strcmp(pi->rp[i].s, rp))
				return pi->rp[i].ok;
	}
	bool ok = resolve_python_ok(rp, pi->o.python, pi->o.requires_python);
	if ((pi->rp_count + 1) * 2 > (pi->rp ? pi->rp_mask + 1 : 0)) {
		size_t nmask = pi->rp ? pi->rp_mask * 2 + 1 : 63;
		struct rp_memo *ns = ab_xcalloc(nmask + 1, sizeof(*ns));
		for (size_t k = 0; pi->rp && k <= pi->rp_mask; k++) {
			if (!pi->rp[k].s)
				continue;
			size_t j = pi->rp[k].hash & nmask;
			while (ns[j].s)
				j = (j + 1) & nmask;
			ns[j] = pi->rp[k];
		}
		free(pi->rp);
		pi->rp = ns;
		pi->rp_mask = nmask;
	}
	size_t i = h & pi->rp_mask;
	while (pi->rp[i].s)
		i = (i + 1) & pi->rp_mask;
	pi->rp[i] = (struct rp_memo){ ab_arena_strdup(&pi->arena, rp), h, ok };
	pi->rp_count++;
	return ok;
}

static bool listed(const char *const *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i], name))
			return true;
	return false;
}

/* pip's FormatControl.get_allowed_formats(): the project's own entry first. */
static void allowed_formats(const struct provider_index_options *o, const char *name, bool *binary,
			    bool *source)
{
	*binary = *source = true;
	if (listed(o->only_binary, o->nonly_binary, name))
		*source = false;
	else if (listed(o->no_binary, o->nno_binary, name))
		*binary = false;
	else if (listed(o->only_binary, o->nonly_binary, ":all:"))
		*source = false;
	else if (listed(o->no_binary, o->nno_binary, ":all:"))
		*binary = false;
}

/* Group the index's files by version and judge each against the target. */
static int build(struct provider_index *pi, struct pproject *p, struct ab_err *err)
{
	if (p->built)
		return 0;
	const struct index_candidate *c;
	size_t n;
	int r = index_candidates(pi->ix, p->name, &c, &n, err);
	if (r < 0)
		return r;
	p->built = true;
	p->exists = n > 0;
	pi->st.projects++;
	size_t nv = 0;
	for (size_t i = 0; i < n; i++)
		if (!i || pep440_version_cmp(c[i].version, c[i - 1].version))
			nv++;
	p->cands = ab_arena_zalloc(&pi->arena, (nv ? nv : 1) * sizeof(*p->cands));
	p->vs = ab_arena_zalloc(&pi->arena, (nv ? nv : 1) * sizeof(*p->vs));
	bool binary, source;
	allowed_formats(&pi->o, p->name, &binary, &source);
	for (size_t i = 0, e; i < n; i = e) {
		e = i + 1;
		while (e < n && !pep440_version_cmp(c[e].version, c[i].version))
			e++;
		struct resolve_candidate *rc = &p->cands[p->n];
		struct pversion *v = &p->vs[p->n++];
		rc->version = c[i].version;
		rc->version_str = c[i].version->str;
		v->files = ab_arena_zalloc(&pi->arena, (e - i) * sizeof(*v->files));
		long best = -1;
		bool py_any = false, yanked_all = true, yanked_py = true, wheel_usable = false;
		const char *rp_first = NULL, *rp_ok = NULL;
		bool have_rp_first = false, md_py = false;
		for (size_t k = i; k < e; k++) {
			const struct index_candidate *f = &c[k];
			if (f->wheel && !v->any_wheel)
				v->any_wheel = f;
			bool usable;
			long rank = -1;
			if (f->wheel) {
				rank = tags_rank(pi, &f->tags);
				usable = binary && rank >= 0;
			} else
				usable = source;
			if (!usable)
				continue;
			v->files[v->nfiles++] = f;
			bool py = python_ok(pi, f->requires_python);
			if (!have_rp_first) {
				rp_first = f->requires_python;
				have_rp_first = true;
			}
			if (py && !py_any) {
				rp_ok = f->requires_python;
				py_any = true;
			}
			yanked_all = yanked_all && f->yanked;
			if (py)
				yanked_py = yanked_py && f->yanked;
			if (f->wheel) {
				wheel_usable = true;
				/* the best-ranked wheel, one the target's Python takes first */
				bool cur_py = v->md_file && md_py;
				bool better = !v->md_file || (py && !cur_py) ||
					      (py == cur_py && rank < best);
				if (better) {
					v->md_file = f;
					md_py = py;
					best = rank;
				}
			} else if (!v->sdist)
				v->sdist = f;
		}
		rc->usable = v->nfiles > 0;
		rc->requires_python = py_any ? rp_ok : have_rp_first ? rp_first
								   : c[i].requires_python;
		rc->yanked = rc->usable ? (py_any ? yanked_py : yanked_all) : c[i].yanked;
		rc->last_resort = pi->o.prefer_binary && rc->usable && !wheel_usable;
		pi->st.versions++;
	}
	return 1;
}

/* The version the resolver will most likely pick first. */
static struct pversion *likely(struct provider_index *pi, struct pproject *p)
{
	for (size_t k = 0; k < pi->o.nprefer; k++) {
		if (strcmp(pi->o.prefer[k].name, p->name))
			continue;
		for (size_t i = 0; i < p->n; i++)
			if (!strcmp(p->cands[i].version_str, pi->o.prefer[k].version))
				return &p->vs[i];
	}
	struct pversion *pre = NULL;
	for (size_t i = 0; i < p->n; i++) {
		const struct resolve_candidate *c = &p->cands[i];
		if (!c->usable || c->yanked ||
		    !python_ok(pi, c->requires_python))
			continue;
		if (!pep440_is_prerelease(c->version))
			return &p->vs[i];
		if (!pre)
			pre = &p->vs[i];
	}
	return pre;
}

static void queue_md(struct provider_index *pi, struct pversion *v)
{
	if (v->md_queued || v->md_done)
		return;
	v->md_queued = true;
	if (v->md_file)
		index_prefetch_metadata(pi->ix, v->md_file);
	else if (!v->sdist && v->any_wheel)
		index_prefetch_metadata(pi->ix, v->any_wheel);
}

/* Run what is queued; then queue the likely metadata of every hinted
 * project whose pages are in (errors wait for the real call). */
static void flush(struct provider_index *pi)
{
	if (!pi->nhinted)
		return;
	index_wait(pi->ix);
	for (size_t i = 0; i < pi->nhinted; i++) {
		struct pproject *p = pi->hinted[i];
		p->hinted = false;
		struct ab_err e = AB_ERR_INIT;
		if (build(pi, p, &e) >= 0) {
			struct pversion *v = likely(pi, p);
			if (v)
				queue_md(pi, v);
		}
		ab_err_release(&e);
	}
	pi->nhinted = 0;
}

static void prefetch(void *data, const char *name, const struct resolve_candidate *c)
{
	struct provider_index *pi = data;
	struct pproject *p = project(pi, name, true);
	if (c) {
		if (p->built && c >= p->cands && c < p->cands + p->n)
			queue_md(pi, &p->vs[c - p->cands]);
		return;
	}
	if (p->built || p->hinted)
		return;
	index_prefetch_project(pi->ix, name);
	p->hinted = true;
	AB_GROW(pi->hinted, pi->chinted, pi->nhinted + 1);
	pi->hinted[pi->nhinted++] = p;
}

static int list_versions(void *data, const char *name, const struct resolve_candidate **out,
			 size_t *n, struct ab_err *err)
{
	struct provider_index *pi = data;
	struct pproject *p = project(pi, name, true);
	if (!p->built && !p->hinted)
		prefetch(pi, name, NULL);
	flush(pi);
	int r = build(pi, p, err);
	if (r < 0)
		return r;
	*out = p->cands;
	*n = p->n;
	return p->exists ? 1 : 0;
}

/* PKG-INFO at the top of an sdist (name-version/PKG-INFO). 1: found. */
static int read_pkg_info(const char *path, struct ab_buf *out, struct ab_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int found = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		found = ab_err_set(err, AB_E_IO, "cannot read '%s': %s", path,
				   archive_error_string(a));
		goto out;
	}
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		const char *slash = name ? strchr(name, '/') : NULL;
		if (!slash || strcmp(slash + 1, "PKG-INFO"))
			continue;
		char chunk[8192];
		la_ssize_t got;
		while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			ab_buf_add(out, chunk, (size_t)got);
		found = got < 0 ? ab_err_set(err, AB_E_IO, "cannot read '%s': %s", path,
					     archive_error_string(a))
				: 1;
		break;
	}
out:
	archive_read_free(a);
	return found;
}

/* PEP 643: Metadata-Version 2.2+ fields not listed in Dynamic are exact. */
static bool static_deps(const struct metadata *md)
{
	if (md->mv_major < 2 || (md->mv_major == 2 && md->mv_minor < 2))
		return false;
	for (size_t i = 0; i < md->dynamic.n; i++) {
		struct ab_str d = ab_str_trim(md->dynamic.items[i]);
		if (ab_str_ieq_cstr(d, "requires-dist") || ab_str_ieq_cstr(d, "provides-extra"))
			return false;
	}
	return true;
}

static void keep_md(struct provider_index *pi, struct pversion *v, const struct metadata *md)
{
	const char **reqs = ab_arena_alloc(&pi->arena, (md->requires_dist.n + 1) * sizeof(*reqs));
	for (size_t i = 0; i < md->requires_dist.n; i++)
		reqs[i] = ab_arena_strdup_str(&pi->arena, md->requires_dist.items[i].raw);
	const char **ex = ab_arena_alloc(&pi->arena, (md->nprovides_extra + 1) * sizeof(*ex));
	for (size_t i = 0; i < md->nprovides_extra; i++)
		ex[i] = ab_arena_strdup_str(&pi->arena, md->provides_extra[i].raw);
	v->md = (struct resolve_metadata){ reqs, md->requires_dist.n, ex, md->nprovides_extra };
	v->md_done = true;
}

static int sdist_md(struct provider_index *pi, const char *name, struct pversion *v,
		    struct ab_err *err)
{
	struct ab_buf path = AB_BUF_INIT, text = AB_BUF_INIT;
	struct metadata md;
	bool have_md = false;
	int r = index_fetch_file(pi->ix, v->sdist, NULL, 0, &path, err);
	if (r < 0)
		goto out;
	r = read_pkg_info(path.buf, &text, err);
	if (r <= 0)
		goto out;
	r = metadata_parse(ab_buf_str(&text), METADATA_SKIP_REQS, v->sdist->filename, &md, err);
	if (r < 0)
		goto out;
	have_md = true;
	r = 0;
	if (!static_deps(&md))
		goto out;
	keep_md(pi, v, &md);
	pi->st.sdist_metadata++;
out:
	if (have_md)
		metadata_release(&md);
	ab_buf_release(&path);
	ab_buf_release(&text);
	(void)name;
	return r;
}

static int built_md(struct provider_index *pi, struct pversion *v, struct ab_err *err)
{
	struct ab_buf text = AB_BUF_INIT;
	struct metadata md;
	int r = pi->o.sdist_metadata(pi->o.sdist_data, v->sdist, &text, err);
	if (r >= 0)
		r = metadata_parse(ab_buf_str(&text), METADATA_SKIP_REQS, v->sdist->filename, &md,
				   err);
	if (r >= 0) {
		keep_md(pi, v, &md);
		metadata_release(&md);
		pi->st.sdist_metadata++;
	}
	ab_buf_release(&text);
	return r;
}

static int get_metadata(void *data, const char *name, const struct resolve_candidate *c,
			struct resolve_metadata *out, struct ab_err *err)
{
	struct provider_index *pi = data;
	struct pproject *p = project(pi, name, false);
	if (!p || !p->built || c < p->cands || c >= p->cands + p->n)
		return ab_err_set(err, AB_E_INTERNAL, "provider: '%s' %s was not listed", name,
				  c->version_str);
	struct pversion *v = &p->vs[c - p->cands];
	int r = 0;
	if (v->md_done)
		goto done;
	queue_md(pi, v);
	flush(pi);
	if (!v->md_file && v->sdist) {
		r = sdist_md(pi, name, v, err);
		if (r < 0)
			return r;
		if (v->md_done)
			goto done;
		/* not static: the backend says (pip builds the sdist's metadata) */
		if (pi->o.sdist_metadata) {
			r = built_md(pi, v, err);
			if (r < 0)
				return r;
			goto done;
		}
	}
	const struct index_candidate *f = v->md_file ? v->md_file : v->any_wheel;
	if (!f)
		return ab_err_set(err, AB_E_UNSUPPORTED,
				  "the metadata of '%s' %s needs a build of its sdist", name,
				  c->version_str);
	struct ab_str text;
	r = index_metadata(pi->ix, f, &text, err);
	if (r < 0)
		return r;
	struct metadata md;
	r = metadata_parse(text, METADATA_SKIP_REQS, f->filename, &md, err);
	if (r < 0)
		return r;
	keep_md(pi, v, &md);
	metadata_release(&md);
	pi->st.metadata++;
done:
	*out = v->md;
	return 0;
}

struct provider_index *provider_index_new(struct index *ix, const struct provider_index_options *o)
{
	struct provider_index *pi = ab_xcalloc(1, sizeof(*pi));
	pi->ix = ix;
	pi->o = *o;
	return pi;
}

void provider_index_free(struct provider_index *pi)
{
	if (!pi)
		return;
	/* finish the speculative requests still queued: the index client
	 * frees a request only once it has run */
	index_wait(pi->ix);
	free(pi->slots);
	free(pi->hinted);
	free(pi->rp);
	free(pi->ranks);
	ab_arena_release(&pi->arena);
	free(pi);
}

void provider_index_provider(struct provider_index *pi, struct resolve_provider *p)
{
	memset(p, 0, sizeof(*p));
	p->data = pi;
	p->list_versions = list_versions;
	p->get_metadata = get_metadata;
	p->prefetch = prefetch;
}

size_t provider_index_files(struct provider_index *pi, const char *name, const char *version,
			    const struct index_candidate *const **out)
{
	struct pproject *p = project(pi, name, false);
	*out = NULL;
	for (size_t i = 0; p && p->built && i < p->n; i++)
		if (!strcmp(p->cands[i].version_str, version)) {
			*out = p->vs[i].files;
			return p->vs[i].nfiles;
		}
	return 0;
}

void provider_index_get_stats(const struct provider_index *pi, struct provider_index_stats *st)
{
	*st = pi->st;
}
