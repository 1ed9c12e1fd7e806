/* gitdumb.c - git's dumb HTTP protocol; see gitdumb.h. */
#include "builder/gitdumb.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "builder/http.h"
#include "builder/sdist.h"
#include "formats/core/mem.h"

/* Loose objects asked for at once: the client runs 10 at a time; a bound
 * keeps the bodies of one round in memory small. */
#define BATCH 64
/* A pack is indexed from memory: large, but not unbounded. */
#define MAX_PACK ((size_t)2 << 30)

static const char SMART_TYPE[] = "application/x-git-upload-pack-advertisement";

/* ------------------------------------------------------------------ */
/* info/refs and HEAD                                                  */

static git_remote_head *add_head(struct gitdumb *d, size_t *cap)
{
	AB_GROW(d->heads, *cap, d->nheads + 1);
	git_remote_head *h = &d->heads[d->nheads++];
	memset(h, 0, sizeof(*h));
	return h;
}

/* "<40 hex>\t<refname>\n" lines, as update-server-info writes them
 * (git/server-info.c); anything else is not an info/refs file. */
static bool parse_info_refs(struct gitdumb *d, const char *s, size_t n, size_t *cap)
{
	const char *end = s + n;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		if (e > s) {
			if (e - s < 42 || s[40] != '\t')
				return false;
			char hex[41];
			memcpy(hex, s, 40);
			hex[40] = 0;
			git_oid oid;
			for (int i = 0; i < 40; i++)
				if (!isxdigit((unsigned char)hex[i]))
					return false;
			if (git_oid_fromstr(&oid, hex) < 0)
				return false;
			git_remote_head *h = add_head(d, cap);
			git_oid_cpy(&h->oid, &oid);
			h->name = ab_xstrndup(s + 41, (size_t)(e - s - 41));
		}
		s = e + 1;
	}
	return true;
}

/* Absent on the server: 404 (410), or a file:// file that is not there (the
 * unit tests serve a repository as files that way: no status at all). */
static bool absent(const struct gitdumb *d, const struct http_req *req)
{
	return req->status == 404 || req->status == 410 ||
	       (req->status == 0 && !strncmp(d->base, "file:", 5));
}

static int get(struct gitdumb *d, const char *path, struct http_req *req, size_t max_body)
{
	struct ab_buf url = AB_BUF_INIT;
	ab_buf_addf(&url, "%s/%s", d->base, path);
	*req = (struct http_req){ .url = url.buf, .no_sha256 = true, .max_body = max_body };
	int r = http_fetch(d->http, req);
	req->url = NULL;
	ab_buf_release(&url);
	return r;
}

int gitdumb_open(struct gitdumb *d, const char *remote, struct ab_err *err)
{
	*d = (struct gitdumb)GITDUMB_INIT;
	d->base = ab_xstrdup(remote);
	size_t n = strlen(d->base);
	while (n && d->base[n - 1] == '/')
		d->base[--n] = 0;
	/* one try: a server that refused libgit2 is not worth retrying (an
	 * unreachable one would take seconds of backoff to say so) */
	d->http = http_client_new(&(struct http_opts){ .retries = 0 }, NULL);
	struct http_req req;
	size_t cap = 0;
	int r = 0;
	/* git's discover_refs(): a dumb server ignores the query and sends the
	 * file itself, so one request both detects it and lists its refs */
	if (get(d, "info/refs?service=git-upload-pack", &req, 0) < 0 || req.status != 200 ||
	    (req.content_type && !strncmp(req.content_type, SMART_TYPE, sizeof(SMART_TYPE) - 1)))
		goto out;
	/* the HEAD slot first, filled below when the server has one */
	add_head(d, &cap)->name = ab_xstrdup("HEAD");
	if (!parse_info_refs(d, req.body.buf, req.body.len, &cap))
		goto out;
	http_req_release(&req);
	int hr = get(d, "HEAD", &req, 0);
	if (hr < 0 && !absent(d, &req)) {
		r = ab_err_set(err, req.err.code ? req.err.code : AB_E_NETWORK, "%s",
			       req.err.msg.buf);
		goto out;
	}
	bool head = false;
	if (hr >= 0) {
		/* "ref: refs/heads/main" (a symref) or a detached commit id */
		const char *b = req.body.buf;
		size_t bl = strcspn(b, "\r\n");
		if (bl > 5 && !strncmp(b, "ref: ", 5)) {
			char *target = ab_xstrndup(b + 5, bl - 5);
			for (size_t i = 1; i < d->nheads && !head; i++)
				if (!strcmp(d->heads[i].name, target)) {
					git_oid_cpy(&d->heads[0].oid, &d->heads[i].oid);
					head = true;
				}
			if (head)
				d->heads[0].symref_target = target;
			else
				free(target);
		} else if (bl == 40) {
			char hex[41];
			memcpy(hex, b, 40);
			hex[40] = 0;
			head = git_oid_fromstr(&d->heads[0].oid, hex) == 0;
		}
	}
	if (!head) { /* no HEAD: drop the slot */
		free(d->heads[0].name);
		memmove(d->heads, d->heads + 1, (d->nheads - 1) * sizeof(*d->heads));
		d->nheads--;
	}
	d->list = ab_xmalloc((d->nheads + 1) * sizeof(*d->list));
	for (size_t i = 0; i < d->nheads; i++)
		d->list[i] = &d->heads[i];
	r = 1;
out:
	http_req_release(&req);
	return r;
}

void gitdumb_release(struct gitdumb *d)
{
	for (size_t i = 0; i < d->nheads; i++) {
		free(d->heads[i].name);
		free(d->heads[i].symref_target);
	}
	free(d->heads);
	free(d->list);
	free(d->base);
	http_client_free(d->http);
	*d = (struct gitdumb)GITDUMB_INIT;
}

/* ------------------------------------------------------------------ */
/* The walk                                                            */

struct item {
	git_oid oid;
	git_object_t type; /* what the referrer says it is; GIT_OBJECT_ANY for refs */
};

struct walk {
	struct gitdumb *d;
	git_odb *mirror, *stage;  /* stage: the staging directory, mirror as an alternate */
	git_repository *srepo;	  /* wraps stage, to parse objects */
	struct ab_buf stage_dir;  /* <repo>/dumb.<pid>/objects */
	struct item *todo;
	size_t ntodo, captodo;
	git_oid *seen; /* open addressing, all-zero = empty */
	size_t nseen, capseen;
	char **packs; /* objects/info/packs, NULL until read */
	size_t npacks, nextpack;
	struct ab_err *err;
};

static const git_oid zero_oid;

static size_t oid_hash(const git_oid *o)
{
	size_t h;
	memcpy(&h, o->id, sizeof(h));
	return h;
}

/* true when `o` was not seen before (and now is) */
static bool mark_seen(struct walk *w, const git_oid *o)
{
	if (2 * (w->nseen + 1) > w->capseen) {
		size_t ncap = w->capseen ? 2 * w->capseen : 1024;
		git_oid *n = ab_xcalloc(ncap, sizeof(*n));
		for (size_t i = 0; i < w->capseen; i++) {
			if (!memcmp(&w->seen[i], &zero_oid, sizeof(zero_oid)))
				continue;
			size_t j = oid_hash(&w->seen[i]) & (ncap - 1);
			while (memcmp(&n[j], &zero_oid, sizeof(zero_oid)))
				j = (j + 1) & (ncap - 1);
			n[j] = w->seen[i];
		}
		free(w->seen);
		w->seen = n;
		w->capseen = ncap;
	}
	size_t j = oid_hash(o) & (w->capseen - 1);
	while (memcmp(&w->seen[j], &zero_oid, sizeof(zero_oid))) {
		if (!memcmp(&w->seen[j], o, sizeof(*o)))
			return false;
		j = (j + 1) & (w->capseen - 1);
	}
	w->seen[j] = *o;
	w->nseen++;
	return true;
}

static void push(struct walk *w, const git_oid *o, git_object_t type)
{
	AB_GROW(w->todo, w->captodo, w->ntodo + 1);
	git_oid_cpy(&w->todo[w->ntodo].oid, o);
	w->todo[w->ntodo++].type = type;
}

static int net_fail(struct walk *w, const char *fmt, const char *a)
{
	struct ab_buf url = AB_BUF_INIT;
	http_redact_url(w->d->base, &url);
	int r = ab_err_set(w->err, AB_E_NETWORK, "cannot fetch from '%s': ", url.buf);
	ab_buf_addf(&w->err->msg, fmt, a);
	ab_buf_release(&url);
	return r;
}

static int git2_fail(struct walk *w, const char *what)
{
	const git_error *e = git_error_last();
	return net_fail(w, what, e && e->message ? e->message : "unknown libgit2 error");
}

/* A loose object as served: zlib("<type> <size>\0<data>"), written to the
 * stage through libgit2 (which recompresses it and names it by its hash:
 * that name must be the one asked for). */
static int store_loose(struct walk *w, const git_oid *want, const struct ab_buf *body)
{
	struct ab_buf raw = AB_BUF_INIT;
	z_stream z;
	memset(&z, 0, sizeof(z));
	int r = 0;
	char hex[41];
	git_oid_tostr(hex, sizeof(hex), want);
	if (inflateInit(&z) != Z_OK)
		return net_fail(w, "%s", "cannot start zlib");
	z.next_in = (Bytef *)body->buf;
	z.avail_in = (uInt)body->len;
	unsigned char chunk[16384];
	int zr;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			break;
		ab_buf_add(&raw, chunk, sizeof(chunk) - z.avail_out);
	} while (zr != Z_STREAM_END && (z.avail_in || !z.avail_out));
	inflateEnd(&z);
	if (zr != Z_STREAM_END) {
		r = net_fail(w, "object %s is not a zlib stream", hex);
		goto out;
	}
	static const struct {
		const char *name;
		git_object_t type;
	} types[] = { { "commit ", GIT_OBJECT_COMMIT },
		      { "tree ", GIT_OBJECT_TREE },
		      { "blob ", GIT_OBJECT_BLOB },
		      { "tag ", GIT_OBJECT_TAG } };
	git_object_t type = GIT_OBJECT_INVALID;
	size_t hl = 0;
	for (size_t i = 0; i < AB_ARRAY_SIZE(types); i++)
		if (!strncmp(raw.buf, types[i].name, strlen(types[i].name))) {
			type = types[i].type;
			hl = strlen(types[i].name);
		}
	const char *nul = memchr(raw.buf, 0, raw.len);
	char *endp = NULL;
	unsigned long long size = nul ? strtoull(raw.buf + hl, &endp, 10) : 0;
	if (type == GIT_OBJECT_INVALID || !nul || endp != nul ||
	    size != raw.len - (size_t)(nul + 1 - raw.buf)) {
		r = net_fail(w, "object %s has no valid header", hex);
		goto out;
	}
	git_oid got;
	if (git_odb_write(&got, w->stage, nul + 1, (size_t)size, type) < 0) {
		r = git2_fail(w, "%s");
		goto out;
	}
	if (memcmp(&got, want, sizeof(got)))
		r = net_fail(w, "object %s does not match its name", hex);
out:
	ab_buf_release(&raw);
	return r;
}

/* objects/info/packs: "P pack-<sha>.pack" lines (git/server-info.c) */
static int read_packs(struct walk *w)
{
	struct http_req req;
	int r = get(w->d, "objects/info/packs", &req, 0);
	w->packs = ab_xcalloc(1, sizeof(*w->packs));
	if (r < 0) {
		r = absent(w->d, &req) ? 0 : ab_err_set(w->err, req.err.code, "%s", req.err.msg.buf);
		http_req_release(&req);
		return r;
	}
	size_t cap = 1;
	for (const char *s = req.body.buf; *s;) {
		size_t n = strcspn(s, "\n");
		if (n > 7 && !strncmp(s, "P pack-", 7) && n < 128 &&
		    !memchr(s + 2, '/', n - 2)) {
			AB_GROW(w->packs, cap, w->npacks + 1);
			w->packs[w->npacks++] = ab_xstrndup(s + 2, n - 2);
		}
		s += n + (s[n] ? 1 : 0);
	}
	http_req_release(&req);
	return 0;
}

/* The next pack the server lists, indexed into the stage by git_indexer
 * (which checks every object and writes the .idx itself: the server's is
 * not needed). Returns 1 when a pack was added, 0 when none is left. */
static int next_pack(struct walk *w)
{
	int r = 0;
	if (!w->packs && (r = read_packs(w)) < 0)
		return r;
	if (w->nextpack >= w->npacks)
		return 0;
	const char *name = w->packs[w->nextpack++];
	struct ab_buf path = AB_BUF_INIT, dir = AB_BUF_INIT;
	ab_buf_addf(&path, "objects/pack/%s", name);
	struct http_req req;
	git_indexer *ix = NULL;
	if (get(w->d, path.buf, &req, MAX_PACK) < 0) {
		r = ab_err_set(w->err, req.err.code, "%s", req.err.msg.buf);
		goto out;
	}
	ab_buf_addf(&dir, "%s/pack", w->stage_dir.buf);
	git_indexer_progress st;
	if (git_indexer_new(&ix, dir.buf, 0, w->stage, NULL) < 0 ||
	    git_indexer_append(ix, req.body.buf, req.body.len, &st) < 0 ||
	    git_indexer_commit(ix, &st) < 0 || git_odb_refresh(w->stage) < 0) {
		r = git2_fail(w, "%s");
		goto out;
	}
	r = 1;
out:
	git_indexer_free(ix);
	http_req_release(&req);
	ab_buf_release(&path);
	ab_buf_release(&dir);
	return r;
}

/* Queue what `it` (now in the stage) refers to. */
static int scan(struct walk *w, const struct item *it)
{
	if (it->type == GIT_OBJECT_BLOB)
		return 0;
	git_object *o = NULL;
	if (git_object_lookup(&o, w->srepo, &it->oid, GIT_OBJECT_ANY) < 0)
		return git2_fail(w, "%s");
	switch (git_object_type(o)) {
	case GIT_OBJECT_COMMIT: {
		const git_commit *c = (const git_commit *)o;
		push(w, git_commit_tree_id(c), GIT_OBJECT_TREE);
		for (unsigned i = 0; i < git_commit_parentcount(c); i++)
			push(w, git_commit_parent_id(c, i), GIT_OBJECT_COMMIT);
		break;
	}
	case GIT_OBJECT_TREE: {
		const git_tree *t = (const git_tree *)o;
		for (size_t i = 0; i < git_tree_entrycount(t); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(t, i);
			git_object_t et = git_tree_entry_type(e);
			/* a gitlink (submodule commit) lives in another repository */
			if (et == GIT_OBJECT_TREE || et == GIT_OBJECT_BLOB)
				push(w, git_tree_entry_id(e), et);
		}
		break;
	}
	case GIT_OBJECT_TAG:
		push(w, git_tag_target_id((const git_tag *)o), GIT_OBJECT_ANY);
		break;
	default:
		break;
	}
	git_object_free(o);
	return 0;
}

/* One round: up to BATCH objects off the stack, the missing ones asked for
 * at once, 404s looked for in packs, then each scanned. */
static int round_trip(struct walk *w)
{
	struct item batch[BATCH];
	size_t nb = 0;
	while (w->ntodo && nb < BATCH) {
		struct item it = w->todo[--w->ntodo];
		/* in the mirror: complete, as the mirror only ever takes whole walks */
		if (!mark_seen(w, &it.oid) || git_odb_exists(w->mirror, &it.oid))
			continue;
		batch[nb++] = it;
	}
	struct http_req reqs[BATCH];
	struct ab_buf urls[BATCH];
	bool asked[BATCH];
	int r = 0;
	for (size_t i = 0; i < nb; i++) {
		urls[i] = (struct ab_buf)AB_BUF_INIT;
		asked[i] = !git_odb_exists(w->stage, &batch[i].oid);
		if (!asked[i])
			continue;
		char hex[41];
		git_oid_tostr(hex, sizeof(hex), &batch[i].oid);
		ab_buf_addf(&urls[i], "%s/objects/%.2s/%s", w->d->base, hex, hex + 2);
		reqs[i] = (struct http_req){ .url = urls[i].buf, .no_sha256 = true };
		http_submit(w->d->http, &reqs[i]);
	}
	http_run(w->d->http);
	bool missing = false;
	for (size_t i = 0; i < nb; i++) {
		if (!asked[i])
			continue;
		if (r >= 0 && reqs[i].result >= 0)
			r = store_loose(w, &batch[i].oid, &reqs[i].body);
		else if (r >= 0 && absent(w->d, &reqs[i]))
			missing = true;
		else if (r >= 0)
			r = ab_err_set(w->err, reqs[i].err.code, "%s", reqs[i].err.msg.buf);
		http_req_release(&reqs[i]);
		ab_buf_release(&urls[i]);
	}
	/* not loose: in a pack, as git's http-walker falls back to them */
	for (size_t i = 0; i < nb && r >= 0 && missing; i++) {
		while (r >= 0 && !git_odb_exists(w->stage, &batch[i].oid)) {
			r = next_pack(w);
			if (r == 0) {
				char hex[41];
				git_oid_tostr(hex, sizeof(hex), &batch[i].oid);
				r = net_fail(w, "object %s is not on the server", hex);
			}
		}
	}
	for (size_t i = 0; i < nb && r >= 0; i++)
		r = scan(w, &batch[i]);
	return r < 0 ? r : 0;
}

/* Move the stage's objects into the mirror: packs first (each .pack before
 * its .idx, which is what makes libgit2 see it), then loose objects. */
static int move_in(struct walk *w, const char *mirror_objects)
{
	static const char *const exts[] = { ".pack", ".idx" };
	struct ab_buf from = AB_BUF_INIT, to = AB_BUF_INIT;
	int r = 0;
	DIR *dir = NULL;
	for (size_t pass = 0; pass < 3 && r >= 0; pass++) {
		ab_buf_reset(&from);
		ab_buf_addf(&from, "%s%s", w->stage_dir.buf, pass < 2 ? "/pack" : "");
		dir = opendir(from.buf);
		struct dirent *de;
		while (dir && r >= 0 && (de = readdir(dir))) {
			const char *n = de->d_name;
			size_t nl = strlen(n);
			if (pass < 2) {
				size_t el = strlen(exts[pass]);
				if (nl <= el || strcmp(n + nl - el, exts[pass]))
					continue;
				ab_buf_reset(&from);
				ab_buf_reset(&to);
				ab_buf_addf(&from, "%s/pack/%s", w->stage_dir.buf, n);
				ab_buf_addf(&to, "%s/pack/%s", mirror_objects, n);
				if (rename(from.buf, to.buf) < 0)
					r = ab_err_at(w->err, AB_E_IO, &(struct ab_loc){ to.buf, 0, 0 },
						      "cannot write: %s", strerror(errno));
				continue;
			}
			if (nl != 2 || !isxdigit((unsigned char)n[0]) ||
			    !isxdigit((unsigned char)n[1]))
				continue;
			struct ab_buf sub = AB_BUF_INIT;
			ab_buf_addf(&sub, "%s/%s", w->stage_dir.buf, n);
			ab_buf_reset(&to);
			ab_buf_addf(&to, "%s/%s", mirror_objects, n);
			if (mkdir(to.buf, 0755) < 0 && errno != EEXIST)
				r = ab_err_at(w->err, AB_E_IO, &(struct ab_loc){ to.buf, 0, 0 },
					      "cannot create directory: %s", strerror(errno));
			DIR *sd = r >= 0 ? opendir(sub.buf) : NULL;
			struct dirent *fe;
			while (sd && r >= 0 && (fe = readdir(sd))) {
				if (fe->d_name[0] == '.')
					continue;
				ab_buf_reset(&from);
				ab_buf_reset(&to);
				ab_buf_addf(&from, "%s/%s", sub.buf, fe->d_name);
				ab_buf_addf(&to, "%s/%s/%s", mirror_objects, n, fe->d_name);
				if (rename(from.buf, to.buf) < 0)
					r = ab_err_at(w->err, AB_E_IO, &(struct ab_loc){ to.buf, 0, 0 },
						      "cannot write: %s", strerror(errno));
			}
			if (sd)
				closedir(sd);
			ab_buf_release(&sub);
		}
		if (dir)
			closedir(dir);
		dir = NULL;
	}
	ab_buf_release(&from);
	ab_buf_release(&to);
	return r;
}

int gitdumb_fetch(struct gitdumb *d, git_repository *repo, struct ab_err *err)
{
	struct walk w = { .d = d, .err = err, .stage_dir = AB_BUF_INIT };
	struct ab_buf top = AB_BUF_INIT, mirror_objects = AB_BUF_INIT;
	int r = 0;
	const char *gitdir = git_repository_path(repo); /* ends in '/' */
	ab_buf_addf(&top, "%sdumb.%ld", gitdir, (long)getpid());
	ab_buf_addf(&w.stage_dir, "%s/objects", top.buf);
	ab_buf_addf(&mirror_objects, "%sobjects", gitdir);
	sdist_remove_tree(top.buf, NULL);
	/* the transfers proper: retried as any download */
	http_client_free(d->http);
	d->http = http_client_new(&(struct http_opts){ .retries = -1 }, NULL);
	struct ab_buf pack = AB_BUF_INIT;
	ab_buf_addf(&pack, "%s/pack", w.stage_dir.buf);
	if (mkdir(top.buf, 0755) < 0 || mkdir(w.stage_dir.buf, 0755) < 0 ||
	    mkdir(pack.buf, 0755) < 0) {
		r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ pack.buf, 0, 0 },
			      "cannot create directory: %s", strerror(errno));
		goto out;
	}
	/* the stage reads through to the mirror (thin packs, parsing) but
	 * libgit2 writes only to the first, non-alternate backend */
	if (git_repository_odb(&w.mirror, repo) < 0 || git_odb_open(&w.stage, w.stage_dir.buf) < 0 ||
	    git_odb_add_disk_alternate(w.stage, mirror_objects.buf) < 0 ||
	    git_repository_wrap_odb(&w.srepo, w.stage) < 0) {
		r = git2_fail(&w, "%s");
		goto out;
	}
	for (size_t i = 0; i < d->nheads; i++) {
		const char *n = d->heads[i].name;
		if ((!strncmp(n, "refs/heads/", 11) || !strncmp(n, "refs/tags/", 10)) &&
		    !strstr(n, "^{}"))
			push(&w, &d->heads[i].oid, GIT_OBJECT_ANY);
	}
	while (w.ntodo && r >= 0)
		r = round_trip(&w);
	if (r >= 0)
		r = move_in(&w, mirror_objects.buf);
	if (r >= 0)
		git_odb_refresh(w.mirror);
	for (size_t i = 0; i < d->nheads && r >= 0; i++) {
		const char *n = d->heads[i].name;
		if ((strncmp(n, "refs/heads/", 11) && strncmp(n, "refs/tags/", 10)) ||
		    strstr(n, "^{}"))
			continue;
		git_reference *ref = NULL;
		if (git_reference_create(&ref, repo, n, &d->heads[i].oid, 1, "fetch: dumb http") < 0)
			r = git2_fail(&w, "%s");
		git_reference_free(ref);
	}
out:
	git_repository_free(w.srepo);
	git_odb_free(w.stage);
	git_odb_free(w.mirror);
	sdist_remove_tree(top.buf, NULL);
	for (size_t i = 0; i < w.npacks; i++)
		free(w.packs[i]);
	free(w.packs);
	free(w.todo);
	free(w.seen);
	ab_buf_release(&w.stage_dir);
	ab_buf_release(&top);
	ab_buf_release(&mirror_objects);
	ab_buf_release(&pack);
	return r;
}
