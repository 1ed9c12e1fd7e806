/* plan.c - resolve the app for `appbuild lock` and `appbuild bundle`.
 *
 * Options follow pip's where pip has them; the requirements file's own
 * options (-i, --extra-index-url, -f, --no-index, --pre, --only-binary,
 * --no-binary, --prefer-binary) apply after the command line's, as pip
 * applies them. (Moved here from cli/cmd_lock.c so both commands share one
 * code path.) */
#include "builder/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/pep517.h"
#include "formats/core/mem.h"
#include "formats/names.h"

struct plan_priv {
	const struct app *app;
	const struct plan_opts *o;
	struct ab_out *out;
	char **nob, **onlyb;
	size_t nnob, nonlyb;
	const char **reqs, **cons, **files, **names, **extra;
	size_t nreqs, ncons, nfiles, nextra;
	char **exact; /* "name==version" constraints of a fresh lock */
	size_t nexact;
	struct resolve_pin *prefer;
	size_t nprefer;
	struct ab_buf host;
	struct provider_index_options po; /* the provider reads it until freed */
	bool pre, prefer_binary;
	bool have_src, have_pins, have_tgt;
	/* direct references (builder/directref.h): prepared in plan_resolve,
	 * answered by a provider wrapped around the index's */
	struct directref_set dref;
	struct resolve_provider inner;
	const char **all_reqs;
	struct lock_direct *ldirect;
};

/* pip's handle_mutual_excludes(): "a,b", ":all:", ":none:" into the sets. */
static void format_option(const char *value, char ***tv, size_t *tn, char ***ov, size_t *on)
{
	const char *p = value;
	while (*p) {
		size_t l = strcspn(p, ",");
		char *name = ab_xstrndup(p, l);
		p += l + (p[l] == ',');
		if (!strcmp(name, ":all:") || !strcmp(name, ":none:")) {
			for (size_t i = 0; i < *tn; i++)
				free((*tv)[i]);
			*tn = 0;
			if (!strcmp(name, ":all:")) {
				for (size_t i = 0; i < *on; i++)
					free((*ov)[i]);
				*on = 0;
				*tv = ab_xrealloc(*tv, (*tn + 1) * sizeof(**tv));
				(*tv)[(*tn)++] = name;
			} else
				free(name);
			continue;
		}
		char *c = name_canonical_dup(ab_str_from(name));
		free(name);
		for (size_t i = 0; i < *on; i++)
			if (!strcmp((*ov)[i], c)) {
				free((*ov)[i]);
				(*ov)[i] = (*ov)[--*on];
				break;
			}
		bool have = false;
		for (size_t i = 0; i < *tn; i++)
			have = have || !strcmp((*tv)[i], c);
		if (have) {
			free(c);
			continue;
		}
		*tv = ab_xrealloc(*tv, (*tn + 1) * sizeof(**tv));
		(*tv)[(*tn)++] = c;
	}
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_format_control(struct plan_priv *f, const struct reqfile *rf)
{
	const struct plan_opts *o = f->o;
	for (size_t i = 0; i < o->nonly_binary; i++)
		format_option(o->only_binary[i], &f->onlyb, &f->nonlyb, &f->nob, &f->nnob);
	for (size_t i = 0; i < o->nno_binary; i++)
		format_option(o->no_binary[i], &f->nob, &f->nnob, &f->onlyb, &f->nonlyb);
	/* then the file's, line by line, as pip applies them after the CLI */
	for (size_t i = 0; i < rf->nlines; i++) {
		const struct reqfile_lineopts *lo = &rf->lines[i].opts;
		if (!lo->format_control_set)
			continue;
		for (size_t k = 0; k < lo->format_control.only_binary.n; k++)
			format_option(lo->format_control.only_binary.v[k], &f->onlyb,
				      &f->nonlyb, &f->nob, &f->nnob);
		for (size_t k = 0; k < lo->format_control.no_binary.n; k++)
			format_option(lo->format_control.no_binary.v[k], &f->nob,
				      &f->nnob, &f->onlyb, &f->nonlyb);
	}
	if (f->nob)
		qsort(f->nob, f->nnob, sizeof(*f->nob), str_cmp);
	if (f->onlyb)
		qsort(f->onlyb, f->nonlyb, sizeof(*f->onlyb), str_cmp);
}

/* The path of a file of the app relative to its directory (for the digest:
 * moving the app does not make its lock stale). */
static const char *app_rel(const struct app *app, const char *path)
{
	size_t l = strlen(app->dir);
	if (strcmp(app->dir, ".") && !strncmp(path, app->dir, l) && path[l] == '/')
		return path + l + 1;
	return path;
}

struct parts {
	char **v;
	size_t n, cap;
};

static void part(struct parts *p, const char *fmt, const char *a)
{
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, fmt, a);
	AB_GROW(p->v, p->cap, p->n + 1);
	p->v[p->n++] = ab_buf_detach(&b);
}

static void parts_free(struct parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

static size_t files_cb(void *data, const char *name, const char *version,
		       const struct index_candidate *const **out)
{
	return provider_index_files(data, name, version, out);
}

/* Requirements, constraints and the files they come from; the editable and
 * URL requirements that cannot be locked yet are refused here. */
static int collect_requirements(struct plan_priv *v, const char **file_index_url,
				struct ab_err *err)
{
	const struct app *app = v->app;
	const struct reqfile *rf = &app->reqs;
	size_t cextra = rf->nlines + 1;
	v->reqs = ab_xcalloc(rf->nlines + 1, sizeof(*v->reqs));
	v->cons = ab_xcalloc(rf->nlines + 1, sizeof(*v->cons));
	v->files = ab_xcalloc(rf->nlines + 2, sizeof(*v->files));
	v->extra = ab_xcalloc(cextra, sizeof(*v->extra));
	v->files[v->nfiles++] = app->deps_path;
	for (size_t i = 0; i < rf->nlines; i++) {
		const struct reqfile_line *l = &rf->lines[i];
		bool seen = false;
		for (size_t k = 0; k < v->nfiles; k++)
			seen = seen || !strcmp(v->files[k], l->file);
		if (!seen)
			v->files[v->nfiles++] = l->file;
		if (l->opts.index_url)
			*file_index_url = l->opts.index_url;
		for (size_t k = 0; k < l->opts.extra_index_urls.n; k++) {
			AB_GROW(v->extra, cextra, v->nextra + 1);
			v->extra[v->nextra++] = l->opts.extra_index_urls.v[k];
		}
		if (!reqfile_line_is_requirement(l))
			continue;
		struct ab_loc loc = { l->file, l->lineno, l->col };
		if (directref_is(l)) {
			/* pip 23 refuses unnamed constraints, and a URL constraint
			 * would add a package */
			if (l->constraint)
				return ab_err_at(err, AB_E_UNSUPPORTED, &loc,
						 "'%s': a constraints file cannot hold a direct "
						 "reference",
						 l->requirement);
			const char *sl = strrchr(l->file, '/');
			char *base = sl ? ab_xstrndup(l->file, (size_t)(sl - l->file)) : ab_xstrdup(".");
			int r = directref_set_add(&v->dref, l, base, err);
			free(base);
			if (r < 0)
				return r;
			continue;
		}
		if (l->req_kind != REQFILE_REQ_PEP508 || !l->req)
			return ab_err_at(err, AB_E_UNSUPPORTED, &loc,
					 "cannot lock '%s': only name-and-version requirements can "
					 "be locked",
					 l->requirement);
		if (l->constraint)
			v->cons[v->ncons++] = l->requirement;
		else
			v->reqs[v->nreqs++] = l->requirement;
	}
	v->names = ab_xcalloc(v->nfiles + 1, sizeof(*v->names));
	for (size_t i = 0; i < v->nfiles; i++)
		v->names[i] = app_rel(app, v->files[i]);
	return 0;
}

int plan_prepare(struct plan *p, const struct app *app, const struct plan_opts *o,
		 struct ab_out *out, struct ab_err *err)
{
	struct plan_priv *v = ab_xcalloc(1, sizeof(*v));
	struct parts parts = { NULL, 0, 0 };
	const struct reqfile *rf = &app->reqs;
	const char *file_index_url = NULL;
	int r;

	memset(p, 0, sizeof(*p));
	p->cache = (struct cache)CACHE_INIT;
	p->lock_path = (struct ab_buf)AB_BUF_INIT;
	p->lock_text = (struct ab_buf)AB_BUF_INIT;
	p->res = (struct resolve_result)RESOLVE_RESULT_INIT;
	p->lock = (struct lock)LOCK_INIT;
	p->priv = v;
	v->app = app;
	v->o = o;
	v->out = out;
	v->host = (struct ab_buf)AB_BUF_INIT;

	collect_format_control(v, rf);
	struct target_spec ts = { o->python_version, o->platform, o->nplatform, o->python, NULL };
	r = cache_open(&p->cache, o->cache_dir, false, err);
	if (r < 0)
		goto out;
	if (!o->python_version || !o->nplatform) {
		r = target_host_line(&p->cache, o->python ? o->python : "python3", &v->host, err);
		if (r < 0)
			goto out;
		ts.host_line = v->host.buf;
	}
	v->have_tgt = true;
	r = target_init(&p->tgt, &ts, err);
	if (r < 0)
		goto out;
	r = collect_requirements(v, &file_index_url, err);
	if (r < 0)
		goto out;

	/* sources: command line, then the file's */
	struct index_layer cli = { o->index_url, o->extra_index_url, o->nextra_index_url,
				   o->find_links, o->nfind_links, o->no_index };
	struct index_layer fl = { file_index_url, v->extra, v->nextra,
				  (const char *const *)rf->finder.find_links.v,
				  rf->finder.find_links.n, rf->finder.no_index };
	r = index_sources_resolve(&p->src, &cli, &fl, NULL, err);
	if (r < 0)
		goto out;
	v->have_src = true;
	v->pre = o->pre || rf->finder.allow_all_prereleases;
	v->prefer_binary = o->prefer_binary || rf->finder.prefer_binary;

	/* the digest of the inputs: everything that changes the answer */
	const struct index_sources *src = &p->src;
	part(&parts, "appbuild-lock %s", "1");
	part(&parts, "format %s", o->pylock ? "pylock" : "requirements");
	part(&parts, "target %s", p->tgt.description);
	part(&parts, "index-url %s", src->index_url ? src->index_url : "");
	for (size_t i = 0; i < src->nextra; i++)
		part(&parts, "extra-index-url %s", src->extra[i]);
	for (size_t i = 0; i < src->nfind_links; i++)
		part(&parts, "find-links %s", src->find_links[i]);
	part(&parts, "no-index %s", src->no_index ? "1" : "0");
	part(&parts, "pre %s", v->pre ? "1" : "0");
	for (size_t i = 0; i < v->nonlyb; i++)
		part(&parts, "only-binary %s", v->onlyb[i]);
	for (size_t i = 0; i < v->nnob; i++)
		part(&parts, "no-binary %s", v->nob[i]);
	part(&parts, "prefer-binary %s", v->prefer_binary ? "1" : "0");
	part(&parts, "lowest %s", o->lowest ? "1" : o->lowest_direct ? "direct" : "0");
	/* a local path is written into the lock absolute: moving the app
	 * makes the lock stale (only with such paths, so other digests keep
	 * their value) */
	for (size_t i = 0; i < v->dref.n; i++)
		if (v->dref.v[i].path)
			part(&parts, "direct %s", v->dref.v[i].url);
	r = lock_digest((const char *const *)parts.v, parts.n, v->files, v->names, v->nfiles,
			p->digest, err);
	if (r < 0)
		goto out;

	/* the existing lock */
	if (o->lock_path)
		ab_buf_adds(&p->lock_path, o->lock_path);
	else {
		if (strcmp(app->dir, "."))
			ab_buf_addf(&p->lock_path, "%s/", app->dir);
		ab_buf_adds(&p->lock_path, o->pylock ? "pylock.toml" : "dependencies.lock");
	}
	const char *slash = strrchr(p->lock_path.buf, '/');
	p->lock_base = slash ? slash + 1 : p->lock_path.buf;
	FILE *f = fopen(p->lock_path.buf, "rb");
	if (f) {
		char chunk[65536];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			ab_buf_add(&p->lock_text, chunk, n);
		fclose(f);
		lock_read(ab_buf_str(&p->lock_text), &p->pins);
		v->have_pins = true;
		p->lock_exists = true;
		p->lock_fresh = !strcmp(p->pins.digest, p->digest);
	}
out:
	parts_free(&parts);
	return r;
}

/* Fetch, check out or build the metadata of every direct reference, and
 * put their provider in front of the index's. A fresh lock's commits and
 * archive hashes are reused (no network for what the cache holds) unless
 * asked to upgrade. */
static int prepare_direct(struct plan *p, struct ab_err *err)
{
	struct plan_priv *v = p->priv;
	const struct plan_opts *o = v->o;
	struct directref_env env = { &p->cache, p->http, o->offline, v->out, NULL, NULL, p->build };
	bool reuse = p->lock_fresh && !o->upgrade && !o->nupgrade_package;
	int r = directref_set_prepare(&v->dref, &env, &p->tgt.env, reuse ? &p->pins : NULL, err);
	if (r < 0)
		return r;
	v->inner = p->prov;
	directref_set_provider(&v->dref, &v->inner, &p->prov);
	v->all_reqs = ab_xcalloc(v->nreqs + v->dref.n_active + 1, sizeof(*v->all_reqs));
	memcpy(v->all_reqs, v->reqs, v->nreqs * sizeof(*v->reqs));
	memcpy(v->all_reqs + v->nreqs, v->dref.reqs, v->dref.n_active * sizeof(*v->reqs));
	v->ldirect = ab_xcalloc(v->dref.ndirect + 1, sizeof(*v->ldirect));
	for (size_t i = 0; i < v->dref.ndirect; i++) {
		struct directref *d = directref_set_find(&v->dref, v->dref.direct[i].name);
		struct lock_direct *l = &v->ldirect[i];
		struct ab_buf u = AB_BUF_INIT;
		directref_lock_url(d, &u);
		l->name = d->name;
		l->url = ab_buf_detach(&u);
		l->subdirectory = d->subdirectory;
		l->editable = d->editable;
		l->size = -1;
		if (d->kind == DIRECTREF_VCS) {
			l->kind = LOCK_DIRECT_VCS;
			l->vcs_url = d->git.remote;
			l->commit = d->commit;
			l->requested_revision = d->git.ref;
		} else if (d->kind == DIRECTREF_DIR) {
			l->kind = LOCK_DIRECT_DIR;
			l->path = d->path;
		} else {
			l->kind = LOCK_DIRECT_ARCHIVE;
			const char *base = strrchr(d->path ? d->path : d->url, '/');
			l->filename = base ? base + 1 : d->url;
			l->sha256 = d->archive_sha256;
			l->wheel = d->kind == DIRECTREF_WHEEL;
			struct stat st;
			if (d->archive && stat(d->archive, &st) == 0)
				l->size = (int64_t)st.st_size;
		}
	}
	return 0;
}

struct directref *plan_direct(struct plan *p, const char *name)
{
	return p->priv ? directref_set_find(&p->priv->dref, name) : NULL;
}

int plan_direct_wheel(struct plan *p, struct directref *d, struct install_direct_url *du,
		      struct ab_err *err)
{
	struct plan_priv *v = p->priv;
	struct directref_env env = { &p->cache, p->http, v->o->offline, v->out, NULL, NULL,
				     p->build };
	if (d->editable)
		ab_info(v->out, "'%s' is editable: the bundle holds a regular build of %s", d->name,
			d->path ? d->path : d->url);
	int r = directref_wheel(d, &env, err);
	if (r < 0)
		return r;
	memset(du, 0, sizeof(*du));
	du->subdirectory = d->subdirectory;
	if (d->kind == DIRECTREF_VCS) {
		/* PEP 610: the repository URL without "git+", and the commit */
		du->url = d->git.remote;
		du->vcs = "git";
		du->commit_id = d->commit;
		du->requested_revision = d->git.ref;
	} else if (d->kind == DIRECTREF_DIR) {
		du->url = d->url;
		du->dir = true;
	} else {
		du->url = d->url;
		du->archive_sha256 = d->archive_sha256;
	}
	return 0;
}

int plan_resolve(struct plan *p, struct ab_err *err)
{
	struct plan_priv *v = p->priv;
	const struct plan_opts *o = v->o;
	struct ab_buf envm = AB_BUF_INIT, via = AB_BUF_INIT;
	const char **cons = v->cons;
	size_t ncons = v->ncons;
	int r;

	if (p->lock_exists && !o->upgrade) {
		v->prefer = ab_xcalloc(p->pins.n + 1, sizeof(*v->prefer));
		for (size_t i = 0; i < p->pins.n; i++) {
			bool skip = false;
			for (size_t k = 0; k < o->nupgrade_package && !skip; k++)
				skip = name_eq(ab_str_from(o->upgrade_package[k]),
					       ab_str_from(p->pins.pins[i].name));
			if (!skip)
				v->prefer[v->nprefer++] = p->pins.pins[i];
		}
	}
	/* A fresh lock is what the bundle installs: its pins become '=='
	 * constraints, so the resolution (from cached pages and metadata) can
	 * only confirm it, and the files and hashes come out as locked. */
	if (o->exact && p->lock_fresh && !o->upgrade && !o->nupgrade_package) {
		v->exact = ab_xcalloc(p->pins.n + 1, sizeof(*v->exact));
		cons = ab_xcalloc(v->ncons + p->pins.n + 1, sizeof(*cons));
		memcpy(cons, v->cons, v->ncons * sizeof(*cons));
		for (size_t i = 0; i < p->pins.n; i++) {
			struct ab_buf b = AB_BUF_INIT;
			ab_buf_addf(&b, "%s==%s", p->pins.pins[i].name, p->pins.pins[i].version);
			v->exact[v->nexact++] = ab_buf_detach(&b);
			cons[ncons++] = v->exact[i];
		}
	}

	struct http_opts ho;
	memset(&ho, 0, sizeof(ho));
	ho.retries = -1;
	ho.cert = getenv("APPBUILD_CERT") ? getenv("APPBUILD_CERT") : getenv("PIP_CERT");
	ho.out = v->out;
	p->http = http_client_new(&ho, err);
	if (!p->http) {
		r = -AB_E_INTERNAL;
		goto out;
	}
	p->ix = index_new(&p->src, &p->cache, p->http, o->offline, v->out);
	struct pep517_opts bo = {
		o->python, &p->cache, p->ix, &p->tgt,
		(const char *const *)v->nob, v->nnob, (const char *const *)v->onlyb, v->nonlyb,
		v->prefer_binary, v->pre, o->no_build_isolation, o->config_settings,
		o->nconfig_settings, v->out,
	};
	p->build = pep517_new(&bo);
	struct provider_index_options po = {
		&p->tgt.tags, p->tgt.python, RESOLVE_RP_FULL,
		(const char *const *)v->nob, v->nnob, (const char *const *)v->onlyb, v->nonlyb,
		v->prefer_binary, v->prefer, v->nprefer, pep517_provider_metadata, p->build,
	};
	v->po = po;
	p->pi = provider_index_new(p->ix, &v->po);
	provider_index_provider(p->pi, &p->prov);
	const char **reqs = v->reqs;
	size_t nreqs = v->nreqs;
	if (v->dref.n) {
		r = prepare_direct(p, err);
		if (r < 0)
			goto out;
		reqs = v->all_reqs;
		nreqs += v->dref.n_active;
	}
	struct resolve_options ro;
	memset(&ro, 0, sizeof(ro));
	ro.env = &p->tgt.env;
	ro.prereleases = v->pre ? RESOLVE_PRE_ALLOW : RESOLVE_PRE_IF_NECESSARY;
	ro.yanked = RESOLVE_YANKED_LAST_RESORT;
	ro.requires_python = RESOLVE_RP_FULL;
	ro.lowest = o->lowest;
	ro.lowest_direct = o->lowest_direct;
	ro.prefer = v->prefer;
	ro.nprefer = v->nprefer;
	ro.direct = v->dref.direct;
	ro.ndirect = v->dref.ndirect;
	r = resolve_run(&p->prov, &ro, reqs, nreqs, cons, ncons, &p->res, err);
	if (r == -AB_E_RESOLVE)
		ab_err_note(err, "for %s", p->tgt.description);
	if (r < 0)
		goto out;
	const struct target *t = &p->tgt;
	ab_buf_addf(&envm,
		    "implementation_name == \"%s\" and python_full_version == \"%s\" and "
		    "sys_platform == \"%s\" and platform_machine == \"%s\"",
		    t->implementation, t->python_full_version, t->sys_platform, t->machine);
	ab_buf_addf(&via, "-r %s", APP_DEPS_FILE);
	struct lock_source ls = { &p->prov, &t->env, reqs, nreqs, via.buf, files_cb,
				  p->pi, p->ix, v->ldirect, v->dref.ndirect };
	r = lock_build(&p->lock, &p->res, &ls, t->description, envm.buf, p->digest, err);
out:
	if (cons != v->cons)
		free(cons);
	ab_buf_release(&envm);
	ab_buf_release(&via);
	return r;
}

const struct index_candidate *plan_best_file(struct plan *p, const char *name,
					     const char *version)
{
	const struct index_candidate *const *c;
	if (plan_direct(p, name))
		return NULL; /* not from an index: the lock's `direct` says what it is */
	size_t n = provider_index_files(p->pi, name, version, &c);
	const struct index_candidate *best = NULL;
	long best_rank = -1;
	for (size_t i = 0; i < n; i++) {
		if (!c[i]->wheel)
			continue;
		long rank = tags_supported_rank(&p->tgt.tags, &c[i]->tags);
		if (rank >= 0 && (!best || rank < best_rank)) {
			best = c[i];
			best_rank = rank;
		}
	}
	return best ? best : n ? c[0] : NULL;
}

void plan_release(struct plan *p)
{
	struct plan_priv *v = p->priv;
	if (!v)
		return;
	lock_release(&p->lock);
	resolve_result_release(&p->res);
	provider_index_free(p->pi);
	pep517_free(p->build);
	index_free(p->ix);
	http_client_free(p->http);
	if (v->have_pins)
		lock_pins_release(&p->pins);
	if (v->have_src)
		index_sources_release(&p->src);
	if (v->have_tgt)
		target_release(&p->tgt);
	cache_release(&p->cache);
	for (size_t i = 0; i < v->nnob; i++)
		free(v->nob[i]);
	for (size_t i = 0; i < v->nonlyb; i++)
		free(v->onlyb[i]);
	free(v->nob);
	free(v->onlyb);
	for (size_t i = 0; i < v->nexact; i++)
		free(v->exact[i]);
	free(v->exact);
	free(v->prefer);
	for (size_t i = 0; v->ldirect && i < v->dref.ndirect; i++)
		free((char *)v->ldirect[i].url);
	free(v->ldirect);
	free(v->all_reqs);
	directref_set_release(&v->dref);
	free(v->reqs);
	free(v->cons);
	free(v->files);
	free(v->names);
	free(v->extra);
	ab_buf_release(&v->host);
	ab_buf_release(&p->lock_path);
	ab_buf_release(&p->lock_text);
	free(v);
	p->priv = NULL;
}
