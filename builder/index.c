/* index.c - the package index client. */
#include "builder/index.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/zipdir.h"
#include "formats/core/hash.h"
#include "formats/core/mem.h"
#include "formats/distfile.h"
#include "formats/names.h"
#include "formats/simple_html.h"
#include "formats/simple_json.h"

/* pip 23's Accept header: PEP 691 JSON first, HTML accepted */
#define ACCEPT                                                                              \
	"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, " \
	"text/html; q=0.01"
#define TAIL_BYTES 65536
#define MD_KEY "appbuild-metadata:"

/* sources */

static const char *env_get(const char *(*env)(const char *), const char *name)
{
	const char *v = env ? env(name) : getenv(name);
	return v && *v ? v : NULL;
}

static bool truthy(const char *v)
{
	return v && (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		     !strcasecmp(v, "on"));
}

static void add_unique(char ***arr, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*arr)[i], s))
			return;
	*arr = ab_xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = ab_xstrdup(s);
}

static void add_words(char ***arr, size_t *n, const char *v, bool paths, const char *cwd)
{
	while (v && *v) {
		v += strspn(v, " \t\n");
		size_t l = strcspn(v, " \t\n");
		if (!l)
			break;
		char *w = ab_xstrndup(v, l);
		if (paths && !strstr(w, "://")) {
			/* a path: pip accepts a directory or an HTML file */
			struct ab_buf b = AB_BUF_INIT;
			ab_buf_addf(&b, "file://%s%s%s", w[0] == '/' ? "" : cwd,
				    w[0] == '/' ? "" : "/", w);
			add_unique(arr, n, b.buf);
			ab_buf_release(&b);
		} else {
			add_unique(arr, n, w);
		}
		free(w);
		v += l;
	}
}

int index_sources_resolve(struct index_sources *out, const struct index_layer *cli,
			  const struct index_layer *reqfile, const char *(*env)(const char *),
			  struct ab_err *err)
{
	memset(out, 0, sizeof(*out));
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		return ab_err_set(err, AB_E_IO, "cannot get the current directory: %s",
				  strerror(errno));
	const char *primary = NULL;
	if (cli && cli->index_url)
		primary = cli->index_url;
	else if (env_get(env, "APPBUILD_INDEX_URL"))
		primary = env_get(env, "APPBUILD_INDEX_URL");
	else if (env_get(env, "PIP_INDEX_URL"))
		primary = env_get(env, "PIP_INDEX_URL");
	else if (reqfile && reqfile->index_url)
		primary = reqfile->index_url;
	else
		primary = INDEX_DEFAULT_URL;
	const char *ev;
	out->no_index = (cli && cli->no_index) || (reqfile && reqfile->no_index) ||
			truthy(env_get(env, "APPBUILD_NO_INDEX")) ||
			truthy(env_get(env, "PIP_NO_INDEX"));
	const struct index_layer *layers[2] = { cli, reqfile };
	for (int k = 0; k < 2; k++) {
		const struct index_layer *l = layers[k];
		if (k == 1) {
			ev = env_get(env, "APPBUILD_EXTRA_INDEX_URL");
			add_words(&out->extra, &out->nextra,
				  ev ? ev : env_get(env, "PIP_EXTRA_INDEX_URL"), false, cwd);
			ev = env_get(env, "APPBUILD_FIND_LINKS");
			add_words(&out->find_links, &out->nfind_links,
				  ev ? ev : env_get(env, "PIP_FIND_LINKS"), true, cwd);
		}
		if (!l)
			continue;
		for (size_t i = 0; i < l->nextra; i++)
			add_words(&out->extra, &out->nextra, l->extra_index_urls[i], false, cwd);
		for (size_t i = 0; i < l->nfind_links; i++)
			add_words(&out->find_links, &out->nfind_links, l->find_links[i], true, cwd);
	}
	if (out->no_index) {
		for (size_t i = 0; i < out->nextra; i++)
			free(out->extra[i]);
		free(out->extra);
		out->extra = NULL;
		out->nextra = 0;
	} else {
		out->index_url = ab_xstrdup(primary);
	}
	return 0;
}

void index_sources_release(struct index_sources *s)
{
	free(s->index_url);
	for (size_t i = 0; i < s->nextra; i++)
		free(s->extra[i]);
	for (size_t i = 0; i < s->nfind_links; i++)
		free(s->find_links[i]);
	free(s->extra);
	free(s->find_links);
	memset(s, 0, sizeof(*s));
}

/* the client */

struct page_job;

struct proj {
	char *name; /* canonical */
	bool queued, built;
	struct page_job **jobs;
	size_t njobs;
	struct index_candidate *cands;
	size_t ncands;
	int result; /* of build() */
	struct ab_err err;
	struct pep440_version **want; /* index_prefetch_version() */
	size_t nwant;
};

struct page_job {
	struct index *ix;
	char *url;
	bool find_links;
	bool done;
	int result; /* 0, or negative with err */
	struct ab_err err;
	bool not_found;
	struct simple_page page;
	struct http_req req;
	struct cache_meta cached;
	struct ab_buf cached_body;
	bool have_cached;
};

enum md_state { MD_IDLE, MD_SIDECAR, MD_TAIL, MD_CD, MD_MEMBER, MD_FULL, MD_DONE };

struct index_md {
	struct index *ix;
	const struct index_candidate *c;
	enum md_state state;
	struct http_req req;
	struct ab_buf tail; /* last bytes of the wheel */
	uint64_t tail_off, total;
	struct zipdir z;
	const struct zipdir_entry *entry;
	struct ab_buf text;
	int result;
	struct ab_err err;
};

struct index {
	struct index_sources src;
	struct cache *cache;
	struct http_client *http;
	bool offline;
	struct ab_out *out;
	struct proj **projs;
	size_t nprojs, capprojs;
	struct proj **pslots; /* projs by name, open addressing */
	size_t pmask;
	struct page_job **fl; /* find-links pages, fetched once */
	size_t nfl;
	bool fl_queued;
	struct index_md **mds;
	size_t nmds, capmds;
	struct ab_arena arena; /* also the candidates' versions */
	struct tag_memo *tags; /* wheel tag strings parsed, by string */
	size_t tags_mask, ntags;
};

/* One distinct wheel tag string ("py3-none-any") and its parse: thousands
 * of files share a few dozen, and the candidates share the tag set. */
struct tag_memo {
	const char *s; /* arena copy; NULL: empty slot */
	size_t len, hash;
	bool ok;
	struct tag_set set;
};

struct index *index_new(const struct index_sources *src, struct cache *cache,
			struct http_client *http, bool offline, struct ab_out *out)
{
	struct index *ix = ab_xcalloc(1, sizeof(*ix));
	ix->src.index_url = src->index_url ? ab_xstrdup(src->index_url) : NULL;
	ix->src.no_index = src->no_index;
	for (size_t i = 0; i < src->nextra; i++)
		add_unique(&ix->src.extra, &ix->src.nextra, src->extra[i]);
	for (size_t i = 0; i < src->nfind_links; i++)
		add_unique(&ix->src.find_links, &ix->src.nfind_links, src->find_links[i]);
	ix->cache = cache;
	ix->http = http;
	ix->offline = offline;
	ix->out = out;
	return ix;
}

static void page_job_free(struct page_job *j)
{
	if (!j)
		return;
	free(j->url);
	ab_err_release(&j->err);
	simple_page_release(&j->page);
	http_req_release(&j->req);
	cache_meta_release(&j->cached);
	ab_buf_release(&j->cached_body);
	free(j);
}

static void cands_free(struct index_candidate *c, size_t n)
{
	/* versions are in the index's arena, tag sets in its tag memo */
	(void)n;
	free(c);
}

void index_free(struct index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nprojs; i++) {
		struct proj *p = ix->projs[i];
		for (size_t k = 0; k < p->njobs; k++)
			page_job_free(p->jobs[k]);
		free(p->jobs);
		cands_free(p->cands, p->ncands);
		for (size_t k = 0; k < p->nwant; k++)
			pep440_version_free(p->want[k]);
		free(p->want);
		ab_err_release(&p->err);
		free(p->name);
		free(p);
	}
	free(ix->projs);
	free(ix->pslots);
	for (size_t i = 0; i < ix->nfl; i++)
		page_job_free(ix->fl[i]);
	free(ix->fl);
	for (size_t i = 0; i < ix->nmds; i++) {
		struct index_md *m = ix->mds[i];
		http_req_release(&m->req);
		ab_buf_release(&m->tail);
		zipdir_release(&m->z);
		ab_buf_release(&m->text);
		ab_err_release(&m->err);
		free(m);
	}
	free(ix->mds);
	for (size_t i = 0; ix->tags && i <= ix->tags_mask; i++)
		if (ix->tags[i].s)
			tag_set_release(&ix->tags[i].set);
	free(ix->tags);
	index_sources_release(&ix->src);
	ab_arena_release(&ix->arena);
	free(ix);
}

int index_wait(struct index *ix)
{
	return http_run(ix->http);
}

static bool is_file(const char *url)
{
	return !strncasecmp(url, "file:", 5);
}

/* file:///a%20b/c -> "/a b/c" (arena), NULL when not a local file URL */
static const char *file_path(struct ab_arena *a, const char *url)
{
	if (strncasecmp(url, "file://", 7))
		return NULL;
	const char *p = url + 7;
	if (!strncasecmp(p, "localhost/", 10))
		p += 9;
	if (*p != '/')
		return NULL;
	return simple_percent_decode(a, ab_str_from(p));
}

/* Copy a request's error (message and notes) into `dst`. */
static int copy_err(struct ab_err *dst, const struct http_req *r)
{
	int rc = ab_err_set(dst, r->err.code ? r->err.code : -r->result, "%s", r->err.msg.buf);
	if (r->err.notes.len)
		ab_err_note(dst, "%s", r->err.notes.buf);
	return rc;
}

/* -v: what the cache answered without a request */
static void log_cache(struct index *ix, const char *what, const char *url, size_t bytes)
{
	if (!ix->out || ix->out->verbosity < AB_OUT_DEBUG)
		return;
	struct ab_buf u = AB_BUF_INIT;
	http_redact_url(url, &u);
	ab_out_msg(ix->out, AB_OUT_DEBUG, NULL, "cache %s: %s, %zu bytes", u.buf, what, bytes);
	ab_buf_release(&u);
}

/* pages */

static void parse_page(struct page_job *j, struct ab_str body, const char *ctype)
{
	const char *base = j->req.effective_url ? j->req.effective_url : j->url;
	bool json = (ctype && !strncasecmp(ctype, "application/vnd.pypi.simple.v1+json", 35)) ||
		    (ctype && !strncasecmp(ctype, "application/json", 16));
	simple_page_release(&j->page);
	int r = json ? simple_json_parse_page(body, base, &j->page, &j->err)
		     : simple_html_parse_page(body, base, &j->page, &j->err);
	if (r < 0) {
		struct ab_buf u = AB_BUF_INIT;
		http_redact_url(j->url, &u);
		ab_err_note(&j->err, "in the page '%s'", u.buf);
		ab_buf_release(&u);
		j->result = r;
	}
	j->done = true;
}

static void page_done_inner(struct http_req *r, void *data)
{
	struct page_job *j = data;
	struct index *ix = j->ix;
	if (r->result < 0) {
		if (r->status == 404 || (is_file(j->url) && r->status == 0)) {
			j->not_found = true;
			j->done = true;
			return;
		}
		copy_err(&j->err, r);
		j->result = r->result;
		j->done = true;
		return;
	}
	if (r->status == 304 && j->have_cached) {
		/* revalidated: the cached body is current (RFC 9111 4.3.4) */
		j->cached.stored_at = (int64_t)time(NULL);
		if (r->cache_control) {
			free(j->cached.cache_control);
			j->cached.cache_control = ab_xstrdup(r->cache_control);
		}
		cache_page_put(ix->cache, &j->cached, j->cached_body.buf, j->cached_body.len, NULL);
		parse_page(j, ab_buf_str(&j->cached_body), j->cached.content_type);
		ab_buf_release(&j->cached_body); /* the page has its own copies */
		return;
	}
	if (!is_file(j->url)) {
		struct cache_meta m = CACHE_META_INIT;
		m.url = j->url;
		m.etag = r->etag;
		m.last_modified = r->last_modified;
		m.content_type = r->content_type;
		m.cache_control = r->cache_control;
		m.stored_at = (int64_t)time(NULL);
		cache_page_put(ix->cache, &m, r->body.buf, r->body.len, NULL);
	}
	parse_page(j, ab_buf_str(&r->body), r->content_type);
	/* the page has its own copies: give the body back for the next page
	 * rather than keep every page's raw text until index_free() */
	ab_buf_release(&r->body);
}

static void pages_arrived(struct index *ix);

static void page_done(struct http_req *r, void *data)
{
	struct page_job *j = data;
	page_done_inner(r, data);
	pages_arrived(j->ix);
}

static struct page_job *queue_page(struct index *ix, const char *url, bool find_links)
{
	struct page_job *j = ab_xcalloc(1, sizeof(*j));
	j->ix = ix;
	j->url = ab_xstrdup(url);
	j->find_links = find_links;
	ab_err_init(&j->err);
	j->page = (struct simple_page)SIMPLE_PAGE_INIT;
	if (is_file(url)) {
		struct ab_arena a = AB_ARENA_INIT;
		const char *path = file_path(&a, url);
		struct stat st;
		bool missing = !path || stat(path, &st) < 0;
		bool dir = !missing && S_ISDIR(st.st_mode);
		if (find_links && dir) {
			/* a directory of distributions: every file is a link */
			DIR *d = opendir(path);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				struct simple_file *f = simple_page_add(&j->page);
				f->filename = ab_arena_strdup(&j->page.arena, e->d_name);
				struct ab_buf u = AB_BUF_INIT;
				ab_buf_addf(&u, "%s%s", url,
					    url[strlen(url) - 1] == '/' ? "" : "/");
				for (const char *p = e->d_name; *p; p++) {
					if (strchr("%#? ", *p))
						ab_buf_addf(&u, "%%%02X", (unsigned char)*p);
					else
						ab_buf_addc(&u, *p);
				}
				f->url = ab_arena_strdup(&j->page.arena, u.buf);
				ab_buf_release(&u);
			}
			if (d)
				closedir(d);
			j->done = true;
			ab_arena_release(&a);
			return j;
		}
		ab_arena_release(&a);
		if (missing) {
			j->not_found = true;
			j->done = true;
			return j;
		}
		/* a file:// directory index: pip reads its index.html */
		if (dir) {
			free(j->url);
			struct ab_buf u = AB_BUF_INIT;
			ab_buf_addf(&u, "%s%sindex.html", url,
				    url[strlen(url) - 1] == '/' ? "" : "/");
			j->url = ab_buf_detach(&u);
		}
		j->req.url = j->url;
		j->req.no_sha256 = true; /* nothing reads a page's hash */
		j->req.done = page_done;
		j->req.data = j;
		http_submit(ix->http, &j->req);
		return j;
	}
	j->have_cached = cache_page_get(ix->cache, url, &j->cached, &j->cached_body, NULL) == 1;
	if (j->have_cached && (ix->offline || cache_meta_fresh(&j->cached, (int64_t)time(NULL)))) {
		log_cache(ix, ix->offline ? "hit (offline)" : "hit (fresh)", url,
			  j->cached_body.len);
		parse_page(j, ab_buf_str(&j->cached_body), j->cached.content_type);
		ab_buf_release(&j->cached_body);
		return j;
	}
	if (ix->offline) {
		struct ab_buf u = AB_BUF_INIT;
		http_redact_url(url, &u);
		j->result = ab_err_set(&j->err, AB_E_NETWORK, "offline: '%s' is not in the cache",
				       u.buf);
		ab_buf_release(&u);
		j->done = true;
		return j;
	}
	j->req.url = j->url;
	j->req.accept = ACCEPT;
	j->req.max_body = (size_t)64 << 20;
	if (j->have_cached) {
		j->req.if_none_match = j->cached.etag;
		j->req.if_modified_since = j->cached.last_modified;
	}
	j->req.no_sha256 = true;
	j->req.done = page_done;
	j->req.data = j;
	http_submit(ix->http, &j->req);
	return j;
}


/* The slot of `canon` in pslots: its project, or the empty slot for it. */
static struct proj **proj_slot(struct index *ix, const char *canon)
{
	size_t i = ab_hash_str(canon) & ix->pmask;
	while (ix->pslots[i] && strcmp(ix->pslots[i]->name, canon))
		i = (i + 1) & ix->pmask;
	return &ix->pslots[i];
}

static struct proj *find_proj(struct index *ix, const char *canon)
{
	return ix->pslots ? *proj_slot(ix, canon) : NULL;
}

/* Records p (not yet in the table) in pslots, growing it at half full. */
static void add_proj_slot(struct index *ix, struct proj *p)
{
	if (!ix->pslots || (ix->nprojs + 1) * 2 > ix->pmask + 1) {
		ix->pmask = ix->pslots ? ix->pmask * 2 + 1 : 255;
		free(ix->pslots);
		while ((ix->nprojs + 1) * 2 > ix->pmask + 1)
			ix->pmask = ix->pmask * 2 + 1;
		ix->pslots = ab_xcalloc(ix->pmask + 1, sizeof(*ix->pslots));
		for (size_t i = 0; i < ix->nprojs; i++)
			*proj_slot(ix, ix->projs[i]->name) = ix->projs[i];
	}
	*proj_slot(ix, p->name) = p;
}

static void queue_find_links(struct index *ix)
{
	if (ix->fl_queued)
		return;
	ix->fl_queued = true;
	ix->fl = ab_xcalloc(ix->src.nfind_links + 1, sizeof(*ix->fl));
	for (size_t i = 0; i < ix->src.nfind_links; i++)
		ix->fl[ix->nfl++] = queue_page(ix, ix->src.find_links[i], true);
}

static struct proj *get_proj(struct index *ix, const char *name)
{
	char *canon = name_canonical_dup(ab_str_from(name));
	struct proj *p = find_proj(ix, canon);
	if (p) {
		free(canon);
		return p;
	}
	p = ab_xcalloc(1, sizeof(*p));
	p->name = canon;
	ab_err_init(&p->err);
	add_proj_slot(ix, p);
	AB_GROW(ix->projs, ix->capprojs, ix->nprojs + 1);
	ix->projs[ix->nprojs++] = p;
	return p;
}

static void queue_index_page(struct index *ix, struct proj *p, const char *base)
{
	struct ab_buf u = AB_BUF_INIT;
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	ab_buf_addf(&u, "%.*s/%s/", (int)bl, base, p->name);
	p->jobs = ab_xrealloc(p->jobs, (p->njobs + 1) * sizeof(*p->jobs));
	p->jobs[p->njobs++] = queue_page(ix, u.buf, false);
	ab_buf_release(&u);
}

void index_prefetch_project(struct index *ix, const char *name)
{
	queue_find_links(ix);
	struct proj *p = get_proj(ix, name);
	if (p->queued)
		return;
	p->queued = true;
	if (!ix->src.no_index && ix->src.index_url)
		queue_index_page(ix, p, ix->src.index_url);
	for (size_t i = 0; i < ix->src.nextra && !ix->src.no_index; i++)
		queue_index_page(ix, p, ix->src.extra[i]);
}

/* candidates */

static int cand_cmp(const void *a, const void *b)
{
	const struct index_candidate *x = a, *y = b;
	int c = x->version == y->version ? 0 : pep440_version_cmp(y->version, x->version);
	if (c)
		return c;
	if (x->wheel != y->wheel)
		return x->wheel ? -1 : 1;
	return strcmp(x->filename, y->filename);
}

/* The filenames already taken by build(): an open-addressing set of
 * candidate indexes + 1 (a linear scan per file was quadratic in the
 * project's file count: botocore has thousands). */
struct seen {
	size_t *slots;
	size_t n; /* a power of two */
};


/* true when `fn` is already a candidate's filename; else records that
 * candidate `idx` (about to be added) has it */
static bool seen_add(struct seen *st, const struct proj *p, const char *fn, size_t idx)
{
	if ((idx + 1) * 2 > st->n) {
		size_t n = st->n ? st->n * 2 : 64;
		while ((idx + 1) * 2 > n)
			n *= 2;
		free(st->slots);
		st->slots = ab_xcalloc(n, sizeof(*st->slots));
		st->n = n;
		for (size_t k = 0; k < idx; k++) {
			size_t h = ab_hash_str(p->cands[k].filename) & (n - 1);
			while (st->slots[h])
				h = (h + 1) & (n - 1);
			st->slots[h] = k + 1;
		}
	}
	size_t h = ab_hash_str(fn) & (st->n - 1);
	while (st->slots[h]) {
		if (!strcmp(p->cands[st->slots[h] - 1].filename, fn))
			return true;
		h = (h + 1) & (st->n - 1);
	}
	st->slots[h] = idx + 1;
	return false;
}


/* The tags of a wheel tag string, parsed once per index (NULL: it does not
 * parse); the tag set belongs to the memo. */
static const struct tag_set *wheel_tags(struct index *ix, struct ab_str t)
{
	size_t h = ab_hash_mem(t.ptr, t.len);
	for (size_t i = h & ix->tags_mask; ix->tags && ix->tags[i].s; i = (i + 1) & ix->tags_mask) {
		const struct tag_memo *m = &ix->tags[i];
		if (m->hash == h && m->len == t.len && !memcmp(m->s, t.ptr, t.len))
			return m->ok ? &m->set : NULL;
	}
	if (!ix->tags || (ix->ntags + 1) * 2 > ix->tags_mask + 1) {
		size_t mask = ix->tags ? ix->tags_mask * 2 + 1 : 255;
		struct tag_memo *ns = ab_xcalloc(mask + 1, sizeof(*ns));
		for (size_t k = 0; ix->tags && k <= ix->tags_mask; k++) {
			if (!ix->tags[k].s)
				continue;
			size_t j = ix->tags[k].hash & mask;
			while (ns[j].s)
				j = (j + 1) & mask;
			ns[j] = ix->tags[k];
		}
		free(ix->tags);
		ix->tags = ns;
		ix->tags_mask = mask;
	}
	size_t i = h & ix->tags_mask;
	while (ix->tags[i].s)
		i = (i + 1) & ix->tags_mask;
	struct tag_memo *m = &ix->tags[i];
	m->s = ab_arena_strdup_str(&ix->arena, t);
	m->len = t.len;
	m->hash = h;
	m->ok = tags_parse(t, &m->set, NULL) == 0;
	ix->ntags++;
	return m->ok ? &m->set : NULL;
}

static void add_cands(struct index *ix, struct proj *p, struct page_job *j, size_t *cap,
		      struct seen *seen)
{
	const char *source = NULL; /* j->url, copied once for all its files */
	/* A page lists one project, a version's files share its version and
	 * versions share a few tag strings: each distinct part of a wheel name
	 * is checked once (as distfile_wheel_parse() checks it), and the
	 * candidates of a version share one version in the index's arena. */
	struct ab_str last_name = AB_STR_NULL, last_ver = AB_STR_NULL;
	bool name_ok = false;
	struct pep440_version *ver = NULL; /* last_ver parsed; NULL: invalid */
	for (size_t i = 0; i < j->page.nfiles; i++) {
		const struct simple_file *f = &j->page.files[i];
		struct ab_str fn = ab_str_from(f->filename);
		struct index_candidate c;
		memset(&c, 0, sizeof(c));
		if (ab_str_endswith(fn, ".whl")) {
			struct distfile_wheel_parts w;
			if (distfile_wheel_split(fn, &w, NULL) < 0)
				continue;
			if (!last_name.ptr || !ab_str_eq(w.name, last_name)) {
				last_name = w.name;
				name_ok = distfile_wheel_name_is(w.name, p->name);
			}
			if (!name_ok)
				continue;
			if (!last_ver.ptr || !ab_str_eq(w.version, last_ver)) {
				last_ver = w.version;
				if (pep440_version_parse_arena(last_ver, &ix->arena, &ver, NULL))
					ver = NULL;
			}
			if (!ver || (w.has_build && !distfile_wheel_build_ok(w.build)))
				continue;
			const struct tag_set *ts = wheel_tags(ix, w.tags);
			if (!ts)
				continue;
			c.wheel = true;
			c.version = ver;
			c.tags = *ts;
		} else if (ab_str_endswith(fn, ".tar.gz") || ab_str_endswith(fn, ".zip")) {
			struct distfile_sdist s;
			if (distfile_sdist_parse(fn, &s, NULL) < 0)
				continue;
			/* its normalized string parses to the same version */
			if (!strcmp(s.name, p->name) &&
			    pep440_version_parse_arena(ab_str_from(s.version->str), &ix->arena,
						       &c.version, NULL) < 0)
				c.version = NULL;
			distfile_sdist_release(&s);
			if (!c.version)
				continue;
		} else {
			continue;
		}
		/* the same file from two sources (an index and its mirror):
		 * pip keeps both links; we keep the first, from the higher source */
		if (seen_add(seen, p, f->filename, p->ncands))
			continue;
		/* the strings stay in the page's arena: the page lives as long
		 * as the index (page_job_free() in index_free()) and is parsed
		 * once, so copies would only double the memory touched */
		struct ab_arena *a = &ix->arena;
		c.project = p->name;
		c.filename = f->filename;
		c.url = f->url;
		c.requires_python = f->requires_python;
		c.yanked = f->yanked;
		c.yanked_reason = f->yanked_reason;
		/* page hashes are lowercase hex (simple_hash_parse()): a sha256
		 * is one of 64 digits */
		const char *h = simple_file_hash(f, "sha256");
		c.sha256 = h && strlen(h) == 64 ? h : NULL;
		c.has_metadata = f->has_metadata;
		if (f->metadata_hash.algo && !strcmp(f->metadata_hash.algo, "sha256") &&
		    strlen(f->metadata_hash.hex) == 64)
			c.metadata_sha256 = f->metadata_hash.hex;
		c.size = f->size;
		if (!source)
			source = ab_arena_strdup(a, j->url);
		c.source = source;
		AB_GROW(p->cands, *cap, p->ncands + 1);
		p->cands[p->ncands++] = c;
	}
}

static bool proj_pending(const struct index *ix, const struct proj *p)
{
	for (size_t i = 0; i < p->njobs; i++)
		if (!p->jobs[i]->done)
			return true;
	for (size_t i = 0; i < ix->nfl; i++)
		if (!ix->fl[i]->done)
			return true;
	return false;
}

/* Merge the answers of every source into the project's candidates, once
 * they are all in; the outcome (or the error) is kept in the project. */
static void build(struct index *ix, struct proj *p)
{
	size_t cap = 0, ok = 0;
	struct page_job *first_bad = NULL;
	struct seen seen = { NULL, 0 };
	p->built = true;
	/* one allocation for every file listed: growing by doubling copies
	 * the (large) candidate structs of big projects again and again */
	size_t files = 0;
	for (size_t i = 0; i < p->njobs; i++)
		files += p->jobs[i]->page.nfiles;
	for (size_t i = 0; i < ix->nfl; i++)
		files += ix->fl[i]->page.nfiles;
	if (files)
		AB_GROW(p->cands, cap, files);
	for (size_t pass = 0; pass < 2; pass++) {
		size_t nj = pass ? ix->nfl : p->njobs;
		struct page_job **jobs = pass ? ix->fl : p->jobs;
		for (size_t i = 0; i < nj; i++) {
			struct page_job *j = jobs[i];
			if (j->result < 0) {
				if (!first_bad)
					first_bad = j;
				continue;
			}
			/* a find-links location that does not exist answers
			 * nothing; an index's 404 is an answer ("no such project") */
			if (!(pass == 1 && j->not_found))
				ok++;
			add_cands(ix, p, j, &cap, &seen);
		}
	}
	free(seen.slots);
	if (first_bad && (ok == 0 || ix->offline)) {
		p->result = ab_err_set(&p->err, first_bad->err.code, "%s", first_bad->err.msg.buf);
		if (first_bad->err.notes.len)
			ab_err_note(&p->err, "%s", first_bad->err.notes.buf);
		return;
	}
	for (size_t pass = 0; first_bad && pass < 2; pass++) {
		size_t nj = pass ? ix->nfl : p->njobs;
		struct page_job **jobs = pass ? ix->fl : p->jobs;
		for (size_t i = 0; i < nj; i++)
			if (jobs[i]->result < 0)
				ab_warn(ix->out, NULL, "%s", jobs[i]->err.msg.buf);
	}
	if (p->ncands)
		qsort(p->cands, p->ncands, sizeof(*p->cands), cand_cmp);
}

/* A page came in: a project whose sources have all answered gets its
 * candidates, and the metadata asked for by index_prefetch_version() is
 * queued at once, while other pages are still on the way. */
static void pages_arrived(struct index *ix)
{
	for (size_t i = 0; i < ix->nprojs; i++) {
		struct proj *p = ix->projs[i];
		if (!p->nwant || p->built || !p->queued || proj_pending(ix, p))
			continue;
		build(ix, p);
		for (size_t k = 0; k < p->nwant && p->result == 0; k++) {
			for (size_t c = 0; c < p->ncands; c++) {
				if (pep440_version_cmp(p->cands[c].version, p->want[k]) == 0) {
					index_prefetch_metadata(ix, &p->cands[c]);
					break;
				}
			}
		}
	}
}

void index_prefetch_version(struct index *ix, const char *name, const struct pep440_version *v)
{
	struct proj *p = get_proj(ix, name);
	p->want = ab_xrealloc(p->want, (p->nwant + 1) * sizeof(*p->want));
	p->want[p->nwant++] = pep440_version_dup(v);
	index_prefetch_project(ix, name);
	pages_arrived(ix);
}

int index_candidates(struct index *ix, const char *name, const struct index_candidate **out,
		     size_t *n, struct ab_err *err)
{
	struct proj *p = get_proj(ix, name);
	index_prefetch_project(ix, name);
	if (proj_pending(ix, p))
		index_wait(ix);
	if (!p->built)
		build(ix, p);
	if (p->result < 0) {
		ab_err_set(err, p->err.code, "%s", p->err.msg.buf);
		if (p->err.notes.len)
			ab_err_note(err, "%s", p->err.notes.buf);
		return p->result;
	}
	*out = p->cands;
	*n = p->ncands;
	return 0;
}

/* metadata */

static void md_finish(struct index_md *m, int r)
{
	m->state = MD_DONE;
	m->result = r;
}

static void md_store(struct index_md *m)
{
	/* keep what was not a hash-addressed sidecar under a key of its own,
	 * with its integrity hash in the page entry */
	const struct index_candidate *c = m->c;
	struct ab_buf k = AB_BUF_INIT;
	ab_buf_addf(&k, MD_KEY "%s", c->sha256 ? c->sha256 : c->url);
	struct cache_meta meta = CACHE_META_INIT;
	meta.url = k.buf;
	meta.stored_at = (int64_t)time(NULL);
	cache_page_put(m->ix->cache, &meta, m->text.buf, m->text.len, NULL);
	ab_buf_release(&k);
}

static void md_done(struct http_req *r, void *data);

static void md_request(struct index_md *m, enum md_state st, const char *url, int64_t start,
		       int64_t len, const char *expect)
{
	m->state = st;
	m->req.url = url;
	m->req.range_start = start;
	m->req.range_len = len;
	m->req.expect_sha256 = expect;
	m->req.max_body = (size_t)512 << 20;
	m->req.done = md_done;
	m->req.data = m;
	http_submit(m->ix->http, &m->req);
}

static void md_fail(struct index_md *m, int code, const char *what)
{
	struct ab_buf u = AB_BUF_INIT;
	http_redact_url(m->c->url, &u);
	md_finish(m, ab_err_set(&m->err, code, "%s", what));
	ab_err_note(&m->err, "reading the metadata of '%s'", u.buf);
	ab_buf_release(&u);
}

/* the member's bytes are in `buf` starting at file offset `off` */
static void md_extract(struct index_md *m, struct ab_str buf, uint64_t off)
{
	const struct zipdir_entry *e = m->entry;
	uint64_t end = zipdir_entry_end(&m->z, e);
	if (end <= e->local_offset || e->local_offset < off || end - off > buf.len) {
		md_fail(m, AB_E_PARSE, "bad zip member offsets");
		return;
	}
	int r = zipdir_extract(
		ab_str_make(buf.ptr + (e->local_offset - off), end - e->local_offset), e, 0,
		&m->text, &m->err);
	if (r < 0) {
		md_finish(m, r);
		return;
	}
	md_store(m);
	md_finish(m, 0);
}

static void md_after_cd(struct index_md *m)
{
	m->entry = zipdir_wheel_metadata(&m->z);
	if (!m->entry) {
		md_fail(m, AB_E_PARSE, "no single '*.dist-info/METADATA' in the wheel");
		return;
	}
	uint64_t end = zipdir_entry_end(&m->z, m->entry);
	if (m->entry->local_offset >= m->tail_off && end >= m->entry->local_offset) {
		md_extract(m, ab_buf_str(&m->tail), m->tail_off);
		return;
	}
	if (end <= m->entry->local_offset) {
		md_fail(m, AB_E_PARSE, "bad zip member offsets");
		return;
	}
	md_request(m, MD_MEMBER, m->c->url, (int64_t)m->entry->local_offset,
		   (int64_t)(end - m->entry->local_offset), NULL);
}

/* the whole wheel is in `body` */
static void md_full(struct index_md *m, struct ab_buf *body)
{
	ab_buf_release(&m->tail);
	m->tail = *body;
	*body = (struct ab_buf)AB_BUF_INIT;
	m->tail_off = 0;
	m->total = m->tail.len;
	zipdir_release(&m->z);
	m->z = (struct zipdir)ZIPDIR_INIT;
	int r = zipdir_find_eocd(&m->z, ab_buf_str(&m->tail), m->total, &m->err);
	if (r == 0)
		r = zipdir_parse(&m->z, ab_str_make(m->tail.buf + m->z.cd_offset, m->z.cd_size),
				 &m->err);
	if (r < 0) {
		md_finish(m, r);
		return;
	}
	/* the wheel came whole: keep it, it is likely to be installed */
	if (m->c->sha256)
		cache_file_put(m->ix->cache, m->tail.buf, m->tail.len, m->c->sha256, NULL, NULL,
			       NULL);
	md_after_cd(m);
}

static void md_done(struct http_req *r, void *data)
{
	struct index_md *m = data;
	if (r->result < 0) {
		if (m->state == MD_SIDECAR && r->status == 404 && m->c->wheel) {
			/* a sidecar the page promised is missing: read the wheel */
			m->state = MD_IDLE;
		} else {
			copy_err(&m->err, r);
			md_finish(m, r->result);
			return;
		}
	}
	switch (m->state) {
	case MD_IDLE:
		if (is_file(m->c->url))
			md_request(m, MD_FULL, m->c->url, 0, 0, m->c->sha256);
		else
			md_request(m, MD_TAIL, m->c->url, -1, TAIL_BYTES, NULL);
		return;
	case MD_SIDECAR:
		ab_buf_add(&m->text, r->body.buf, r->body.len);
		if (m->c->metadata_sha256)
			cache_file_put(m->ix->cache, r->body.buf, r->body.len,
				       m->c->metadata_sha256, NULL, NULL, NULL);
		else
			md_store(m);
		md_finish(m, 0);
		return;
	case MD_FULL:
		md_full(m, &r->body);
		return;
	case MD_TAIL: {
		if (r->status == 200) {
			if (m->c->sha256 && strcmp(r->sha256, m->c->sha256)) {
				md_fail(m, AB_E_HASH,
					"the wheel does not match the index's sha256");
				return;
			}
			md_full(m, &r->body);
			return;
		}
		if (r->range_total < 0) {
			md_request(m, MD_FULL, m->c->url, 0, 0, m->c->sha256);
			return;
		}
		ab_buf_release(&m->tail);
		m->tail = r->body;
		r->body = (struct ab_buf)AB_BUF_INIT;
		m->total = (uint64_t)r->range_total;
		if (m->tail.len > m->total) {
			md_fail(m, AB_E_PARSE, "bad Content-Range");
			return;
		}
		m->tail_off = m->total - m->tail.len;
		struct ab_err e2 = AB_ERR_INIT;
		int rc = zipdir_find_eocd(&m->z, ab_buf_str(&m->tail), m->total, &e2);
		ab_err_release(&e2);
		if (rc < 0) {
			/* a long archive comment or zip64 beyond the tail: take it all */
			md_request(m, MD_FULL, m->c->url, 0, 0, m->c->sha256);
			return;
		}
		if (m->z.cd_offset >= m->tail_off) {
			rc = zipdir_parse(&m->z,
					  ab_str_make(m->tail.buf + (m->z.cd_offset - m->tail_off),
						      m->z.cd_size),
					  &m->err);
			if (rc < 0) {
				md_finish(m, rc);
				return;
			}
			md_after_cd(m);
			return;
		}
		md_request(m, MD_CD, m->c->url, (int64_t)m->z.cd_offset, (int64_t)m->z.cd_size,
			   NULL);
		return;
	}
	case MD_CD: {
		if (r->status == 200) {
			md_full(m, &r->body);
			return;
		}
		if (r->body.len != m->z.cd_size) {
			md_fail(m, AB_E_PARSE, "short central directory");
			return;
		}
		int rc = zipdir_parse(&m->z, ab_buf_str(&r->body), &m->err);
		if (rc < 0) {
			md_finish(m, rc);
			return;
		}
		md_after_cd(m);
		return;
	}
	case MD_MEMBER:
		if (r->status == 200) {
			md_full(m, &r->body);
			return;
		}
		md_extract(m, ab_buf_str(&r->body), m->entry->local_offset);
		return;
	case MD_DONE:
		return;
	}
}

void index_prefetch_metadata(struct index *ix, const struct index_candidate *cc)
{
	struct index_candidate *c = (struct index_candidate *)cc;
	if (c->md)
		return;
	struct index_md *m = ab_xcalloc(1, sizeof(*m));
	m->ix = ix;
	m->c = c;
	ab_err_init(&m->err);
	m->z = (struct zipdir)ZIPDIR_INIT;
	c->md = m;
	AB_GROW(ix->mds, ix->capmds, ix->nmds + 1);
	ix->mds[ix->nmds++] = m;
	/* the cache first: a sidecar by its hash, else our own entry */
	if (c->metadata_sha256 && cache_file_read(ix->cache, c->metadata_sha256, &m->text, NULL) == 1) {
		log_cache(ix, "metadata hit", c->url, m->text.len);
		md_finish(m, 0);
		return;
	}
	struct ab_buf k = AB_BUF_INIT;
	struct cache_meta meta = CACHE_META_INIT;
	ab_buf_addf(&k, MD_KEY "%s", c->sha256 ? c->sha256 : c->url);
	int hit = cache_page_get(ix->cache, k.buf, &meta, &m->text, NULL);
	cache_meta_release(&meta);
	ab_buf_release(&k);
	if (hit == 1) {
		log_cache(ix, "metadata hit", c->url, m->text.len);
		md_finish(m, 0);
		return;
	}
	if (!c->wheel && !c->has_metadata) {
		md_fail(m, AB_E_UNSUPPORTED, "an sdist's metadata needs a build");
		return;
	}
	if (ix->offline) {
		struct ab_buf msg = AB_BUF_INIT;
		ab_buf_addf(&msg, "offline: the metadata of '%s' is not in the cache", c->filename);
		md_fail(m, AB_E_NETWORK, msg.buf);
		ab_buf_release(&msg);
		return;
	}
	if (c->has_metadata) {
		char *u = ab_arena_alloc(&ix->arena, strlen(c->url) + 10);
		strcpy(u, c->url);
		strcat(u, ".metadata");
		md_request(m, MD_SIDECAR, u, 0, 0, c->metadata_sha256);
		return;
	}
	m->state = MD_IDLE;
	md_done(&m->req, m);
}

int index_metadata(struct index *ix, const struct index_candidate *c, struct ab_str *out,
		   struct ab_err *err)
{
	index_prefetch_metadata(ix, c);
	struct index_md *m = c->md;
	if (m->state != MD_DONE)
		index_wait(ix);
	if (m->state != MD_DONE)
		return ab_err_set(err, AB_E_INTERNAL, "metadata request for '%s' did not finish",
				  c->filename);
	if (m->result < 0) {
		ab_err_set(err, m->err.code ? m->err.code : -m->result, "%s", m->err.msg.buf);
		if (m->err.notes.len)
			ab_err_note(err, "%s", m->err.notes.buf);
		return m->result;
	}
	*out = ab_buf_str(&m->text);
	return 0;
}

/* files */

static bool hash_allowed(const char *hex, const char *const *hashes, size_t n)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(hashes[i], hex))
			return true;
	return false;
}

int index_fetch_file(struct index *ix, const struct index_candidate *c, const char *const *hashes,
		     size_t nhashes, struct ab_buf *path, struct ab_err *err)
{
	const char *want = c->sha256 ? c->sha256 : (nhashes ? hashes[0] : NULL);
	int r = 0;
	if (want && cache_file_lookup(ix->cache, want, true, path, err) == 1) {
		if (hash_allowed(want, hashes, nhashes))
			return 0;
		ab_buf_reset(path);
		return ab_err_set(err, AB_E_HASH,
				  "'%s' (sha256 %s) matches none of the required "
				  "hashes",
				  c->filename, want);
	}
	if (ix->offline)
		return ab_err_set(err, AB_E_NETWORK, "offline: '%s' is not in the cache",
				  c->filename);
	struct http_req req = { 0 };
	req.url = c->url;
	req.expect_sha256 = c->sha256;
	req.to_cache = ix->cache;
	http_submit(ix->http, &req);
	index_wait(ix);
	if (req.result < 0) {
		r = copy_err(err, &req);
		goto out;
	}
	if (!hash_allowed(req.sha256, hashes, nhashes)) {
		unlink(req.path.buf);
		r = ab_err_set(err, AB_E_HASH,
			       "'%s' (sha256 %s) matches none of the required hashes", c->filename,
			       req.sha256);
		goto out;
	}
	ab_buf_addstr(path, ab_buf_str(&req.path));
out:
	http_req_release(&req);
	return r;
}
