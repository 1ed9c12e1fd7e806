/* lock.c - the lock: built from a resolution, written, read back. */
#include "builder/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/cache.h"
#include "formats/core/mem.h"
#include "formats/names.h"
#include "formats/pep508.h"

void lock_release(struct lock *l)
{
	ab_arena_release(&l->arena);
	*l = (struct lock)LOCK_INIT;
}

/* ---- building ---- */

struct node {
	struct lock_pkg *pkg;
	bool reached, parsed;
	char **extras; /* canonical, malloc'd */
	size_t nextras;
	struct pep508_req *reqs; /* parsed Requires-Dist (invalid ones skipped) */
	size_t nreqs;
	const struct resolve_metadata *md;
	struct resolve_metadata mdv;
};

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lock_file *)a)->filename,
		      ((const struct lock_file *)b)->filename);
}

static struct node *find_node(struct node *nodes, size_t n, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, nodes[mid].pkg->name);
		if (!c)
			return &nodes[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool add_str(struct ab_arena *a, const char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return false;
	const char **nv = ab_arena_alloc(a, (*n + 1) * sizeof(*nv));
	if (*n)
		memcpy(nv, *v, *n * sizeof(*nv));
	nv[(*n)++] = ab_arena_strdup(a, s);
	*v = nv;
	return true;
}

static bool add_extra(struct node *nd, const char *extra)
{
	char *c = name_canonical_dup(ab_str_from(extra));
	for (size_t i = 0; i < nd->nextras; i++)
		if (!strcmp(nd->extras[i], c)) {
			free(c);
			return false;
		}
	nd->extras = ab_xrealloc(nd->extras, (nd->nextras + 1) * sizeof(*nd->extras));
	nd->extras[nd->nextras++] = c;
	return true;
}

static bool marker_holds(const struct marker *m, const struct marker_env *env, const char *extra)
{
	if (!m)
		return true;
	struct marker_env e = *env;
	e.vars[MARKER_VAR_EXTRA] = extra;
	struct ab_err err = AB_ERR_INIT;
	int r = marker_evaluate(m, &e, &err);
	ab_err_release(&err);
	return r > 0;
}

static bool provides(const struct resolve_metadata *md, const char *extra)
{
	for (size_t i = 0; i < md->nextras; i++)
		if (name_eq(ab_str_from(md->provides_extras[i]), ab_str_from(extra)))
			return true;
	return false;
}

/* Whether requirement `req` may name one of the pins: its leading run of
 * name characters (a PEP 508 name is ASCII letters, digits and -_. after
 * optional spaces, and what follows it never starts with one of those)
 * names a node. A requirement on anything else can never apply, so it is
 * not parsed. */
static bool names_pin(struct node *nodes, size_t n, const char *req)
{
	static const unsigned char name_char[256] = {
		['-'] = 1, ['.'] = 1, ['_'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
		['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1,
		['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
		['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
		['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
		['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,
		['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
		['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1,
		['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
		['Y'] = 1, ['Z'] = 1,
	};
	char canon[256];
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)req;
	while (*p == ' ' || *p == '\t')
		p++;
	for (; name_char[*p]; p++) {
		bool sep = *p == '-' || *p == '.' || *p == '_';
		if (w == sizeof(canon) - 1)
			return true; /* too long to check here: the parser decides */
		if (sep && w && canon[w - 1] == '-')
			continue;
		canon[w++] = sep ? '-' : (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : (char)*p;
	}
	canon[w] = '\0';
	return find_node(nodes, n, canon) != NULL;
}

static int load_reqs(struct node *nd, struct node *nodes, size_t nn, const struct lock_source *src,
		     struct ab_err *err)
{
	if (nd->parsed)
		return 0;
	const struct resolve_candidate *cs;
	size_t n = 0;
	int r = src->provider->list_versions(src->provider->data, nd->pkg->name, &cs, &n, err);
	if (r < 0)
		return r;
	const struct resolve_candidate *c = NULL;
	for (size_t i = 0; i < n && !c; i++)
		if (!strcmp(cs[i].version_str, nd->pkg->version))
			c = &cs[i];
	if (!c)
		return ab_err_set(err, AB_E_INTERNAL, "lock: '%s' has no version %s", nd->pkg->name,
				  nd->pkg->version);
	r = src->provider->get_metadata(src->provider->data, nd->pkg->name, c, &nd->mdv, err);
	if (r < 0)
		return r;
	nd->md = &nd->mdv;
	nd->parsed = true;
	nd->reqs = ab_xcalloc(nd->md->nrequires + 1, sizeof(*nd->reqs));
	for (size_t i = 0; i < nd->md->nrequires; i++) {
		if (!names_pin(nodes, nn, nd->md->requires_dist[i]))
			continue;
		nd->reqs[nd->nreqs] = (struct pep508_req)PEP508_REQ_INIT;
		if (pep508_parse(ab_str_from(nd->md->requires_dist[i]), &nd->reqs[nd->nreqs], NULL) <
		    0)
			pep508_release(&nd->reqs[nd->nreqs]);
		else
			nd->nreqs++;
	}
	return 0;
}

/* One requirement in force on `to`, coming from `via`. */
static bool apply(struct ab_arena *a, struct node *nodes, size_t n, const struct pep508_req *q,
		  const char *via)
{
	struct node *to = find_node(nodes, n, q->canonical);
	if (!to)
		return false;
	bool changed = !to->reached;
	to->reached = true;
	changed |= add_str(a, &to->pkg->via, &to->pkg->nvia, via);
	for (size_t i = 0; i < q->nextras; i++)
		changed |= add_extra(to, q->extras[i]);
	return changed;
}

/* PEP 751 `index`: the simple API base, from the project page's URL
 * (".../simple/<name>/" or ".../simple/<name>/index.html" on a file://
 * index); NULL for a find-links location. */
static const char *index_base(struct ab_arena *a, const char *page, const char *name)
{
	size_t l = strlen(page), nl = strlen(name);
	if (l > 11 && !strcmp(page + l - 11, "/index.html"))
		l -= 10;
	else if (l > 10 && !strcmp(page + l - 10, "index.json") && page[l - 11] == '/')
		l -= 10;
	if (l < nl + 2 || page[l - 1] != '/' || strncmp(page + l - 1 - nl, name, nl) ||
	    page[l - 2 - nl] != '/')
		return NULL;
	return ab_arena_strndup(a, page, l - 1 - nl);
}

static int add_files(struct lock *l, struct lock_pkg *p, const struct lock_source *src,
		     struct ab_err *err)
{
	const struct index_candidate *const *fs = NULL;
	size_t n = src->files(src->files_data, p->name, p->version, &fs);
	p->files = ab_arena_zalloc(&l->arena, (n ? n : 1) * sizeof(*p->files));
	struct ab_buf path = AB_BUF_INIT;
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		const struct index_candidate *c = fs[i];
		const char *sha = c->sha256;
		char hex[65];
		if (!sha) {
			/* a find-links file or a page without #sha256=: hash it ourselves */
			if (!src->ix)
				continue;
			ab_buf_reset(&path);
			r = index_fetch_file(src->ix, c, NULL, 0, &path, err);
			if (r >= 0)
				r = cache_sha256_file(path.buf, hex, err);
			if (r < 0)
				goto out;
			sha = hex;
		}
		struct lock_file *f = &p->files[p->nfiles++];
		f->filename = ab_arena_strdup(&l->arena, c->filename);
		f->url = ab_arena_strdup(&l->arena, c->url);
		f->sha256 = ab_arena_strdup(&l->arena, sha);
		f->size = c->size;
		f->wheel = c->wheel;
		if (!p->index && c->source)
			p->index = index_base(&l->arena, c->source, p->name);
	}
	if (!p->nfiles) {
		r = ab_err_set(err, AB_E_INTERNAL, "lock: no installable file of '%s' %s", p->name,
			       p->version);
		goto out;
	}
	qsort(p->files, p->nfiles, sizeof(*p->files), file_cmp);
	/* the same file listed by two sources counts once */
	size_t k = 0;
	for (size_t i = 0; i < p->nfiles; i++)
		if (!k || strcmp(p->files[k - 1].filename, p->files[i].filename) ||
		    strcmp(p->files[k - 1].sha256, p->files[i].sha256))
			p->files[k++] = p->files[i];
	p->nfiles = k;
out:
	ab_buf_release(&path);
	return r;
}

static const char *adup(struct ab_arena *a, const char *s)
{
	return s ? ab_arena_strdup(a, s) : NULL;
}

/* A direct reference: its one file when it is an archive, nothing to list
 * for a commit or a directory (pip cannot hash those). */
static void add_direct(struct lock *l, struct lock_pkg *p, const struct lock_direct *d)
{
	struct ab_arena *a = &l->arena;
	struct lock_direct *c = ab_arena_zalloc(a, sizeof(*c));
	*c = (struct lock_direct){ adup(a, d->name), d->kind, adup(a, d->url), adup(a, d->vcs_url),
				   adup(a, d->commit), adup(a, d->requested_revision),
				   adup(a, d->subdirectory), adup(a, d->path), adup(a, d->filename),
				   adup(a, d->sha256), d->size, d->wheel, d->editable };
	p->direct = c;
	p->files = ab_arena_zalloc(a, sizeof(*p->files));
	if (d->kind == LOCK_DIRECT_ARCHIVE && d->sha256) {
		p->files[0] = (struct lock_file){ c->filename, c->url, c->sha256, d->size, d->wheel };
		p->nfiles = 1;
	}
}

int lock_build(struct lock *l, const struct resolve_result *res, const struct lock_source *src,
	       const char *target, const char *environment, const char *digest,
	       struct ab_err *err)
{
	l->target = ab_arena_strdup(&l->arena, target ? target : "");
	l->environment = ab_arena_strdup(&l->arena, environment ? environment : "");
	snprintf(l->digest, sizeof(l->digest), "%s", digest ? digest : "");
	l->n = res->n;
	l->pkgs = ab_arena_zalloc(&l->arena, (res->n ? res->n : 1) * sizeof(*l->pkgs));
	struct node *nodes = ab_xcalloc(res->n ? res->n : 1, sizeof(*nodes));
	int r = 0;
	for (size_t i = 0; i < res->n; i++) {
		l->pkgs[i].name = ab_arena_strdup(&l->arena, res->pins[i].name);
		l->pkgs[i].version = ab_arena_strdup(&l->arena, res->pins[i].version);
		nodes[i].pkg = &l->pkgs[i];
	}
	/* res->pins is sorted by name already (resolve_run's contract) */
	for (size_t i = 0; i < src->nreqs; i++) {
		struct pep508_req q = PEP508_REQ_INIT;
		if (pep508_parse(ab_str_from(src->reqs[i]), &q, NULL) == 0 &&
		    marker_holds(q.marker, src->env, ""))
			apply(&l->arena, nodes, res->n, &q, src->root_via ? src->root_via : "-r");
		pep508_release(&q);
	}
	/* to a fixpoint: each requested extra may enable more requirements */
	bool changed = true;
	while (changed && r == 0) {
		changed = false;
		for (size_t i = 0; i < res->n && r == 0; i++) {
			struct node *nd = &nodes[i];
			if (!nd->reached)
				continue;
			r = load_reqs(nd, nodes, res->n, src, err);
			for (size_t k = 0; r == 0 && k < nd->nreqs; k++) {
				const struct pep508_req *q = &nd->reqs[k];
				bool on = marker_holds(q->marker, src->env, "");
				for (size_t e = 0; !on && e < nd->nextras; e++)
					on = provides(nd->md, nd->extras[e]) &&
					     marker_holds(q->marker, src->env, nd->extras[e]);
				if (on && apply(&l->arena, nodes, res->n, q, nd->pkg->name))
					changed = true;
			}
		}
	}
	for (size_t i = 0; i < res->n && r == 0; i++) {
		qsort(l->pkgs[i].via, l->pkgs[i].nvia, sizeof(*l->pkgs[i].via), str_cmp);
		const struct lock_direct *d = NULL;
		for (size_t k = 0; k < src->ndirect && !d; k++)
			if (!strcmp(src->direct[k].name, l->pkgs[i].name))
				d = &src->direct[k];
		if (d)
			add_direct(l, &l->pkgs[i], d);
		else
			r = add_files(l, &l->pkgs[i], src, err);
	}
	for (size_t i = 0; i < res->n; i++) {
		for (size_t k = 0; k < nodes[i].nreqs; k++)
			pep508_release(&nodes[i].reqs[k]);
		free(nodes[i].reqs);
		for (size_t k = 0; k < nodes[i].nextras; k++)
			free(nodes[i].extras[k]);
		free(nodes[i].extras);
	}
	free(nodes);
	return r;
}

/* ---- writing ---- */

static void header(const struct lock *l, const char *name, struct ab_buf *out)
{
	ab_buf_addf(out, "# %s: generated by `appbuild lock`; do not edit\n", name);
	ab_buf_addf(out, "# target: %s\n", l->target);
	ab_buf_addf(out, "# inputs: sha256:%s\n", l->digest);
}

/* A TOML basic string. */
static void toml_str(struct ab_buf *out, const char *s)
{
	ab_buf_addc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			ab_buf_addf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			ab_buf_addf(out, "\\u%04x", *p);
		else
			ab_buf_addc(out, (char)*p);
	}
	ab_buf_addc(out, '"');
}

static void toml_file(struct ab_buf *out, const struct lock_file *f)
{
	ab_buf_adds(out, "{ name = ");
	toml_str(out, f->filename);
	ab_buf_adds(out, ", url = ");
	toml_str(out, f->url);
	if (f->size >= 0)
		ab_buf_addf(out, ", size = %lld", (long long)f->size);
	ab_buf_adds(out, ", hashes = { sha256 = ");
	toml_str(out, f->sha256);
	ab_buf_adds(out, " } }");
}

static void toml_kv(struct ab_buf *out, const char *sep, const char *key, const char *v)
{
	if (!v)
		return;
	ab_buf_addf(out, "%s%s = ", sep, key);
	toml_str(out, v);
}

/* PEP 751 [packages.vcs], [packages.directory], [packages.archive], as
 * inline tables on one line. A source tree's version is left out (PEP
 * 751: it "MUST NOT be included when it cannot be guaranteed to be
 * consistent with the code used"); an archive's is kept. */
static void pylock_direct(struct ab_buf *out, const struct lock_pkg *p)
{
	const struct lock_direct *d = p->direct;
	if (d->kind == LOCK_DIRECT_ARCHIVE) {
		ab_buf_adds(out, "\nversion = ");
		toml_str(out, p->version);
	}
	ab_buf_adds(out, "\n");
	switch (d->kind) {
	case LOCK_DIRECT_VCS:
		ab_buf_adds(out, "vcs = { type = \"git\"");
		toml_kv(out, ", ", "url", d->vcs_url);
		toml_kv(out, ", ", "requested-revision", d->requested_revision);
		toml_kv(out, ", ", "commit-id", d->commit);
		toml_kv(out, ", ", "subdirectory", d->subdirectory);
		break;
	case LOCK_DIRECT_DIR:
		ab_buf_adds(out, "directory = {");
		toml_kv(out, " ", "path", d->path);
		if (d->editable)
			ab_buf_adds(out, ", editable = true");
		toml_kv(out, ", ", "subdirectory", d->subdirectory);
		break;
	case LOCK_DIRECT_ARCHIVE: {
		/* the URL without its fragment; subdirectory is a key of its own */
		const char *hash = strchr(d->url, '#');
		ab_buf_adds(out, "archive = { url = ");
		char *u = hash ? ab_xstrndup(d->url, (size_t)(hash - d->url)) : ab_xstrdup(d->url);
		toml_str(out, u);
		free(u);
		if (d->size >= 0)
			ab_buf_addf(out, ", size = %lld", (long long)d->size);
		toml_kv(out, ", hashes = { ", "sha256", d->sha256);
		if (d->sha256)
			ab_buf_adds(out, " }");
		toml_kv(out, ", ", "subdirectory", d->subdirectory);
		break;
	}
	}
	ab_buf_adds(out, " }\n");
}

/* The requirements-file line of a direct reference, as pip reads it:
 * `name @ url` (PEP 508), or `-e url#egg=name` for an editable (pip's
 * editables take no `name @`). */
static void req_direct(struct ab_buf *out, const struct lock_pkg *p)
{
	const struct lock_direct *d = p->direct;
	/* pip 23's packaging 21.3 refuses `name @ git+file:///path` (a URL
	 * without a host is only valid with the plain file: scheme): such a
	 * git URL takes pip's older "git+file:///path@rev#egg=name" form */
	const char *sep = strstr(d->url, "://");
	bool hostless = d->kind == LOCK_DIRECT_VCS && sep && sep[3] == '/';
	if (!d->editable && !hostless) {
		ab_buf_addf(out, "%s @ %s", p->name, d->url);
		return;
	}
	if (d->editable)
		ab_buf_adds(out, "-e ");
	ab_buf_adds(out, d->url);
	ab_buf_addf(out, "%s", strchr(d->url, '#') ? "&" : "#");
	ab_buf_addf(out, "egg=%s", p->name);
}

void lock_format(const struct lock *l, enum lock_format fmt, const char *name, struct ab_buf *out)
{
	header(l, name, out);
	if (fmt == LOCK_PYLOCK) {
		ab_buf_adds(out, "\nlock-version = \"1.0\"\n");
		if (l->environment && *l->environment) {
			ab_buf_adds(out, "environments = [");
			toml_str(out, l->environment);
			ab_buf_adds(out, "]\n");
		}
		ab_buf_adds(out, "created-by = \"appbuild\"\n");
		for (size_t i = 0; i < l->n; i++) {
			const struct lock_pkg *p = &l->pkgs[i];
			ab_buf_adds(out, "\n[[packages]]\nname = ");
			toml_str(out, p->name);
			if (p->direct) {
				pylock_direct(out, p);
				continue;
			}
			ab_buf_adds(out, "\nversion = ");
			toml_str(out, p->version);
			ab_buf_adds(out, "\n");
			if (p->index) {
				ab_buf_adds(out, "index = ");
				toml_str(out, p->index);
				ab_buf_adds(out, "\n");
			}
			size_t nw = 0;
			for (size_t k = 0; k < p->nfiles; k++)
				nw += p->files[k].wheel;
			/* PEP 751 holds one sdist per package: the first by name */
			const struct lock_file *sd = NULL;
			for (size_t k = 0; k < p->nfiles && !sd; k++)
				if (!p->files[k].wheel)
					sd = &p->files[k];
			if (sd) {
				ab_buf_adds(out, "sdist = ");
				toml_file(out, sd);
				ab_buf_adds(out, "\n");
			}
			if (nw) {
				ab_buf_adds(out, "wheels = [\n");
				for (size_t k = 0; k < p->nfiles; k++) {
					if (!p->files[k].wheel)
						continue;
					ab_buf_adds(out, "  ");
					toml_file(out, &p->files[k]);
					ab_buf_adds(out, ",\n");
				}
				ab_buf_adds(out, "]\n");
			}
		}
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_pkg *p = &l->pkgs[i];
		if (!i)
			ab_buf_adds(out, "\n");
		if (p->direct)
			req_direct(out, p);
		else
			ab_buf_addf(out, "%s==%s", p->name, p->version);
		/* hashes in byte order, each once (pip-compile's layout) */
		const char **h = ab_xcalloc(p->nfiles + 1, sizeof(*h));
		for (size_t k = 0; k < p->nfiles; k++)
			h[k] = p->files[k].sha256;
		qsort(h, p->nfiles, sizeof(*h), str_cmp);
		for (size_t k = 0; k < p->nfiles; k++)
			if (!k || strcmp(h[k], h[k - 1]))
				ab_buf_addf(out, " \\\n    --hash=sha256:%s", h[k]);
		free(h);
		ab_buf_adds(out, "\n");
		if (p->nvia == 1)
			ab_buf_addf(out, "    # via %s\n", p->via[0]);
		else if (p->nvia > 1) {
			ab_buf_adds(out, "    # via\n");
			for (size_t k = 0; k < p->nvia; k++)
				ab_buf_addf(out, "    #   %s\n", p->via[k]);
		}
	}
}

/* ---- digest ---- */

int lock_digest(const char *const *parts, size_t nparts, const char *const *files,
		const char *const *names, size_t nfiles, char hex[65], struct ab_err *err)
{
	struct cache_sha256 h;
	cache_sha256_init(&h);
	int r = 0;
	for (size_t i = 0; i < nparts; i++)
		cache_sha256_update(&h, parts[i], strlen(parts[i]) + 1);
	for (size_t i = 0; i < nfiles && r == 0; i++) {
		FILE *f = fopen(files[i], "rb");
		if (!f) {
			r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ files[i], 0, 0 },
				      "cannot read: %s", strerror(errno));
			break;
		}
		struct ab_buf b = AB_BUF_INIT;
		char chunk[65536];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			ab_buf_add(&b, chunk, n);
		fclose(f);
		char head[4200];
		int hl = snprintf(head, sizeof(head), "file %s %zu\n", names[i], b.len);
		cache_sha256_update(&h, head, (size_t)hl < sizeof(head) ? (size_t)hl : sizeof(head));
		cache_sha256_update(&h, b.buf, b.len);
		ab_buf_release(&b);
	}
	cache_sha256_final(&h, hex);
	cache_sha256_release(&h);
	return r;
}

/* ---- reading ---- */

static void add_pin(struct lock_pins *p, size_t *cap, struct ab_str name, struct ab_str version)
{
	AB_GROW(p->pins, *cap, p->n + 1);
	struct ab_buf c = AB_BUF_INIT;
	name_canonicalize(name, &c);
	p->pins[p->n].name = ab_arena_strdup(&p->arena, c.buf);
	p->pins[p->n].version = ab_arena_strdup_str(&p->arena, version);
	p->n++;
	ab_buf_release(&c);
}

static struct ab_str toml_value(struct ab_str line)
{
	long eq = ab_str_chr(line, '=');
	struct ab_str v = ab_str_trim(ab_str_skip(line, (size_t)eq + 1));
	if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
		return ab_str_make(v.ptr + 1, v.len - 2);
	return ab_str_make(v.ptr, 0);
}

static void add_direct_pin(struct lock_pins *p, size_t *cap, struct ab_str url)
{
	AB_GROW(p->direct, *cap, p->ndirect + 1);
	p->direct[p->ndirect].url = ab_arena_strdup_str(&p->arena, url);
	p->direct[p->ndirect].sha256 = NULL;
	p->ndirect++;
}

/* The value of `key = "…"` inside a one-line inline table; empty if absent. */
static struct ab_str inline_value(struct ab_str line, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl + 4 <= line.len; i++) {
		if ((i && line.ptr[i - 1] != ' ' && line.ptr[i - 1] != '{') ||
		    strncmp(line.ptr + i, key, kl) || strncmp(line.ptr + i + kl, " = \"", 4))
			continue;
		const char *v = line.ptr + i + kl + 4;
		const char *e = memchr(v, '"', line.len - (size_t)(v - line.ptr));
		if (e)
			return ab_str_make(v, (size_t)(e - v));
	}
	return ab_str_make(line.ptr, 0);
}

/* pylock's vcs/archive tables, back in the requirements form. */
static void pylock_direct_pin(struct lock_pins *p, size_t *cap, struct ab_str line)
{
	struct ab_buf u = AB_BUF_INIT;
	struct ab_str url = inline_value(line, "url"), sub = inline_value(line, "subdirectory");
	if (ab_str_startswith(line, "vcs =")) {
		struct ab_str c = inline_value(line, "commit-id");
		ab_buf_addf(&u, "git+" AB_STR_FMT "@" AB_STR_FMT, AB_STR_ARG(url), AB_STR_ARG(c));
	} else
		ab_buf_addf(&u, AB_STR_FMT, AB_STR_ARG(url));
	if (sub.len)
		ab_buf_addf(&u, "#subdirectory=" AB_STR_FMT, AB_STR_ARG(sub));
	add_direct_pin(p, cap, ab_buf_str(&u));
	struct ab_str h = inline_value(line, "sha256");
	if (h.len)
		p->direct[p->ndirect - 1].sha256 = ab_arena_strdup_str(&p->arena, h);
	ab_buf_release(&u);
}

void lock_read(struct ab_str text, struct lock_pins *out)
{
	memset(out, 0, sizeof(*out));
	size_t cap = 0, dcap = 0;
	bool in_direct = false; /* --hash lines belong to the last direct pin */
	struct ab_str pname = { NULL, 0 };
	while (text.len) {
		long nl = ab_str_chr(text, '\n');
		struct ab_str line = ab_str_make(text.ptr, nl < 0 ? text.len : (size_t)nl);
		text = ab_str_skip(text, nl < 0 ? text.len : (size_t)nl + 1);
		line = ab_str_trim(line);
		if (ab_str_startswith(line, "# inputs: sha256:") && !out->digest[0]) {
			struct ab_str d = ab_str_trim(ab_str_skip(line, 17));
			if (d.len == 64)
				snprintf(out->digest, sizeof(out->digest), AB_STR_FMT, AB_STR_ARG(d));
			continue;
		}
		/* direct references: "name @ url \", "-e url", their --hash */
		if (line.len && line.ptr[line.len - 1] == '\\')
			line = ab_str_rtrim(ab_str_make(line.ptr, line.len - 1));
		if (ab_str_startswith(line, "-e ") || ab_str_startswith(line, "git+")) {
			add_direct_pin(out, &dcap,
				       ab_str_trim(ab_str_skip(line, line.ptr[0] == '-' ? 3 : 0)));
			in_direct = true;
			continue;
		}
		if (ab_str_startswith(line, "--hash=sha256:")) {
			if (in_direct && !out->direct[out->ndirect - 1].sha256)
				out->direct[out->ndirect - 1].sha256 =
					ab_arena_strdup_str(&out->arena, ab_str_skip(line, 14));
			continue;
		}
		if (ab_str_startswith(line, "vcs =") || ab_str_startswith(line, "archive =")) {
			pylock_direct_pin(out, &dcap, line);
			continue;
		}
		if (!line.len || line.ptr[0] == '#' || line.ptr[0] == '-')
			continue;
		in_direct = false;
		const char *at = memmem(line.ptr, line.len, " @ ", 3);
		if (at && !memchr(line.ptr, '"', line.len)) {
			add_direct_pin(out, &dcap, ab_str_trim(ab_str_skip(line, (size_t)(at - line.ptr) + 3)));
			in_direct = true;
			continue;
		}
		/* pylock.toml: name = "...", then version = "..." in [[packages]] */
		if (ab_str_startswith(line, "[[packages]]")) {
			pname = (struct ab_str){ NULL, 0 };
			continue;
		}
		if (ab_str_startswith(line, "name =") || ab_str_startswith(line, "name=")) {
			pname = toml_value(line);
			continue;
		}
		if ((ab_str_startswith(line, "version =") || ab_str_startswith(line, "version=")) &&
		    pname.ptr) {
			struct ab_str v = toml_value(line);
			if (v.len && pname.len)
				add_pin(out, &cap, pname, v);
			pname = (struct ab_str){ NULL, 0 };
			continue;
		}
		/* requirements: name==version [\] */
		const char *eq = memmem(line.ptr, line.len, "==", 2);
		if (!eq)
			continue;
		struct ab_str name = ab_str_trim(ab_str_make(line.ptr, (size_t)(eq - line.ptr)));
		struct ab_str rest = ab_str_skip(line, (size_t)(eq - line.ptr) + 2);
		size_t vl = 0;
		while (vl < rest.len && rest.ptr[vl] != ' ' && rest.ptr[vl] != '\\' &&
		       rest.ptr[vl] != ';')
			vl++;
		if (name.len && vl && !memchr(name.ptr, '[', name.len))
			add_pin(out, &cap, name, ab_str_make(rest.ptr, vl));
	}
}

void lock_pins_release(struct lock_pins *p)
{
	free(p->pins);
	free(p->direct);
	ab_arena_release(&p->arena);
	memset(p, 0, sizeof(*p));
}

/* ---- atomic write ---- */

int lock_write_file(const char *path, struct ab_str data, struct ab_err *err)
{
	struct ab_buf tmp = AB_BUF_INIT;
	ab_buf_addf(&tmp, "%s.tmpXXXXXX", path);
	int r = 0;
	int fd = mkstemp(tmp.buf);
	if (fd < 0) {
		r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ path, 0, 0 }, "cannot write: %s",
			      strerror(errno));
		goto out;
	}
	size_t off = 0;
	while (off < data.len) {
		ssize_t w = write(fd, data.ptr + off, data.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	/* the lock is read by other tools as a normal file: 0644 minus umask */
	mode_t um = umask(0);
	umask(um);
	if (off < data.len || fchmod(fd, 0666 & ~um) < 0 || fsync(fd) < 0) {
		r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ path, 0, 0 }, "cannot write: %s",
			      strerror(errno ? errno : EIO));
		close(fd);
		unlink(tmp.buf);
		goto out;
	}
	close(fd);
	if (rename(tmp.buf, path) < 0) {
		r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ path, 0, 0 }, "cannot write: %s",
			      strerror(errno));
		unlink(tmp.buf);
	}
out:
	ab_buf_release(&tmp);
	return r;
}
