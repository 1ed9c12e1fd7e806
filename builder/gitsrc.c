/* gitsrc.c - git requirements through libgit2; see gitsrc.h. */
#include "builder/gitsrc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/gitdumb.h"
#include "builder/sdist.h"
#include "formats/core/mem.h"

extern char **environ;

/* Submodules inside submodules: bounded, as a cycle would never end. */
#define MAX_SUBMODULE_DEPTH 8

/* ------------------------------------------------------------------ */
/* URLs                                                                */

static int url_fail(struct ab_err *err, int code, size_t col, const char *fmt, const char *a)
{
	return ab_err_at(err, code, &(struct ab_loc){ NULL, 1, (unsigned)col + 1 }, fmt, a);
}

static char *lower_dup(const char *s, size_t n)
{
	char *d = ab_xstrndup(s, n);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* A relative path without "..": pip refuses nothing here, but a
 * subdirectory that leaves the checkout would build files outside it. */
static bool subdir_ok(const char *s)
{
	if (!*s || s[0] == '/')
		return false;
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n + (e ? 1 : 0);
	}
	return true;
}

int gitsrc_url_parse(const char *url, struct gitsrc_url *out, struct ab_err *err)
{
	*out = (struct gitsrc_url)GITSRC_URL_INIT;
	size_t plus = strcspn(url, "+:/@");
	if (url[plus] != '+')
		return url_fail(err, AB_E_PARSE, 0, "'%s' is not a version control URL", url);
	size_t sl = strcspn(url, ":/@#");
	char *scheme = lower_dup(url, sl);
	int r = 0;
	if (strncmp(scheme, "git+", 4) && strcmp(scheme, "git")) {
		static const char *const known[] = { "hg", "svn", "bzr" };
		bool vcs = false;
		for (size_t i = 0; i < AB_ARRAY_SIZE(known); i++)
			if (!strncmp(scheme, known[i], strlen(known[i])) &&
			    scheme[strlen(known[i])] == '+')
				vcs = true;
		r = url_fail(err, vcs ? AB_E_UNSUPPORTED : AB_E_PARSE, 0,
			     vcs ? "version control scheme '%s' is not supported: only git is"
				 : "unknown URL scheme '%s'",
			     scheme);
		free(scheme);
		return r;
	}
	out->scheme = scheme;
	const char *rest = url + 4;
	size_t restlen = strcspn(rest, "#");
	/* the fragment: egg= and subdirectory= */
	if (rest[restlen] == '#') {
		const char *f = rest + restlen + 1;
		while (*f) {
			size_t n = strcspn(f, "&");
			if (n > 4 && !strncmp(f, "egg=", 4)) {
				free(out->egg);
				out->egg = ab_xstrndup(f + 4, n - 4);
			} else if (n > 13 && !strncmp(f, "subdirectory=", 13)) {
				free(out->subdirectory);
				out->subdirectory = ab_xstrndup(f + 13, n - 13);
				if (!subdir_ok(out->subdirectory)) {
					r = url_fail(err, AB_E_PARSE, (size_t)(f - url),
						     "subdirectory '%s' must be a relative path inside "
						     "the repository",
						     out->subdirectory);
					goto out;
				}
			}
			f += n + (f[n] ? 1 : 0);
		}
	}
	const char *sep = strstr(rest, "://");
	size_t path_at; /* offset in rest where the path (which may hold "@ref") starts */
	struct ab_buf norm = AB_BUF_INIT;
	if (sep && (size_t)(sep - rest) < restlen) {
		static const char *const schemes[] = { "git+https", "git+http", "git+ssh",
						       "git+file", "git+git" };
		bool ok = false;
		for (size_t i = 0; i < AB_ARRAY_SIZE(schemes); i++)
			ok |= !strcmp(scheme, schemes[i]);
		if (!ok) {
			r = url_fail(err, AB_E_UNSUPPORTED, 0,
				     "URL scheme '%s' is not supported for git", scheme);
			goto out;
		}
		const char *host = sep + 3;
		size_t hostlen = strcspn(host, "/#");
		path_at = (size_t)(host - rest) + hostlen;
		/* credentials: user[:password]@ before the host are not in the key */
		const char *h = host;
		for (const char *q = host; q < host + hostlen; q++)
			if (*q == '@')
				h = q + 1;
		char *lo = lower_dup(rest, (size_t)(sep - rest) + 3);
		ab_buf_adds(&norm, lo);
		free(lo);
		lo = lower_dup(h, (size_t)(host + hostlen - h));
		ab_buf_adds(&norm, lo);
		free(lo);
	} else {
		/* scp-like "user@host:path" (pip rewrites it through ssh://) */
		size_t colon = strcspn(rest, ":");
		if (colon >= restlen || !strncmp(scheme, "git+file", 8)) {
			r = url_fail(err, AB_E_PARSE, 4, "cannot read '%s' as a git URL", url);
			goto out;
		}
		path_at = colon + 1;
		const char *at = memchr(rest, '@', colon);
		const char *h = at ? at + 1 : rest;
		ab_buf_adds(&norm, "ssh://");
		char *lo = lower_dup(h, (size_t)(rest + colon - h));
		ab_buf_adds(&norm, lo);
		free(lo);
		ab_buf_addc(&norm, '/');
	}
	/* "@ref" after the path */
	size_t end = restlen;
	const char *atref = NULL;
	for (size_t i = path_at; i < restlen; i++)
		if (rest[i] == '@')
			atref = rest + i;
	if (atref) {
		end = (size_t)(atref - rest);
		if (atref + 1 == rest + restlen) {
			r = url_fail(err, AB_E_PARSE, (size_t)(atref - url),
				     "the URL '%s' has an empty revision after '@'", url);
			ab_buf_release(&norm);
			goto out;
		}
		out->ref = ab_xstrndup(atref + 1, (size_t)(rest + restlen - atref - 1));
	}
	out->remote = ab_xstrndup(rest, end);
	ab_buf_add(&norm, rest + path_at, end - path_at);
	while (norm.len && norm.buf[norm.len - 1] == '/')
		ab_buf_truncate(&norm, norm.len - 1);
	out->normalized = ab_buf_detach(&norm);
out:
	if (r < 0)
		gitsrc_url_release(out);
	return r;
}

void gitsrc_url_release(struct gitsrc_url *u)
{
	free(u->scheme);
	free(u->remote);
	free(u->normalized);
	free(u->ref);
	free(u->egg);
	free(u->subdirectory);
	*u = (struct gitsrc_url)GITSRC_URL_INIT;
}

/* ------------------------------------------------------------------ */
/* Credentials                                                         */

struct creds {
	const char *remote;
	int tried; /* bit 0: URL, 1: agent, 2: helper */
	char user[256], pass[256];
};

static void copy_field(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
}

/* `git credential fill`, as git would ask the user's helpers; no prompt. */
static bool credential_helper(const char *url, char *user, size_t un, char *pass, size_t pn)
{
	int in[2], outp[2];
	if (pipe(in) < 0)
		return false;
	if (pipe(outp) < 0) {
		close(in[0]);
		close(in[1]);
		return false;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, outp[0]);
	char *argv[] = { "git", "credential", "fill", NULL };
	setenv("GIT_TERMINAL_PROMPT", "0", 0);
	pid_t pid;
	int sr = posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(outp[1]);
	bool ok = false;
	if (sr == 0) {
		FILE *w = fdopen(in[1], "w");
		if (w) {
			fprintf(w, "url=%s\n\n", url);
			fclose(w);
		} else {
			close(in[1]);
		}
		FILE *rd = fdopen(outp[0], "r");
		char line[512];
		while (rd && fgets(line, sizeof(line), rd)) {
			line[strcspn(line, "\n")] = 0;
			if (!strncmp(line, "username=", 9))
				copy_field(user, un, line + 9);
			else if (!strncmp(line, "password=", 9))
				copy_field(pass, pn, line + 9), ok = true;
		}
		if (rd)
			fclose(rd);
		else
			close(outp[0]);
		int st;
		waitpid(pid, &st, 0);
		ok = ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	} else {
		close(in[1]);
		close(outp[0]);
	}
	return ok;
}

static int cred_cb(git_credential **out, const char *url, const char *user_from_url,
		   unsigned int allowed, void *payload)
{
	struct creds *c = payload;
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !(c->tried & 1)) {
		c->tried |= 1;
		/* user:password@ in the URL */
		const char *h = strstr(c->remote, "://");
		const char *at = h ? strchr(h + 3, '@') : NULL;
		const char *slash = h ? strchr(h + 3, '/') : NULL;
		if (at && (!slash || at < slash)) {
			const char *colon = memchr(h + 3, ':', (size_t)(at - h - 3));
			if (colon) {
				snprintf(c->user, sizeof(c->user), "%.*s", (int)(colon - h - 3), h + 3);
				snprintf(c->pass, sizeof(c->pass), "%.*s", (int)(at - colon - 1),
					 colon + 1);
				return git_credential_userpass_plaintext_new(out, c->user, c->pass);
			}
		}
	}
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !(c->tried & 2)) {
		c->tried |= 2;
		return git_credential_ssh_key_from_agent(out, user_from_url ? user_from_url : "git");
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user_from_url ? user_from_url : "git");
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !(c->tried & 4)) {
		c->tried |= 4;
		if (credential_helper(url, c->user, sizeof(c->user), c->pass, sizeof(c->pass)))
			return git_credential_userpass_plaintext_new(out, c->user, c->pass);
	}
	return GIT_PASSTHROUGH;
}

/* ------------------------------------------------------------------ */
/* Cache, resolve, checkout                                            */

static int git_fail(struct ab_err *err, int code, const char *what, const char *subject)
{
	const git_error *e = git_error_last();
	return ab_err_at(err, code, NULL, "%s '%s': %s", what, subject,
			 e && e->message ? e->message : "unknown libgit2 error");
}

static void cache_path(const char *root, const struct gitsrc_url *u, struct ab_buf *out)
{
	char hex[65];
	cache_sha256_hex(u->normalized, strlen(u->normalized), hex);
	ab_buf_addf(out, "%s/git/%s", root, hex);
}

static bool is_hex(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The commit `oid` names (peeling annotated tags), into `commit`. */
static int peel_commit(git_repository *repo, const git_oid *oid, git_oid *commit)
{
	git_object *o = NULL, *c = NULL;
	int r = git_object_lookup(&o, repo, oid, GIT_OBJECT_ANY);
	if (r == 0)
		r = git_object_peel(&c, o, GIT_OBJECT_COMMIT);
	if (r == 0)
		git_oid_cpy(commit, git_object_id(c));
	git_object_free(c);
	git_object_free(o);
	return r;
}

int gitsrc_resolve(const char *cache_root, const struct gitsrc_url *u, char commit[41],
		   struct gitsrc_stats *stats, struct ab_err *err)
{
	git_libgit2_init();
	struct gitsrc_stats dummy;
	if (!stats)
		stats = &dummy;
	*stats = (struct gitsrc_stats){ false, false };
	struct ab_buf path = AB_BUF_INIT, tmp = AB_BUF_INIT, dir = AB_BUF_INIT;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_odb *odb = NULL;
	struct gitdumb dumb = GITDUMB_INIT;
	bool is_dumb = false;
	int r = 0;
	bool fresh = false;
	cache_path(cache_root, u, &path);
	ab_buf_addf(&dir, "%s/git", cache_root);
	if (mkdir(dir.buf, 0755) < 0 && errno != EEXIST) {
		r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ dir.buf, 0, 0 },
			      "cannot create directory: %s", strerror(errno));
		goto out;
	}
	if (git_repository_open_bare(&repo, path.buf) < 0) {
		ab_buf_addf(&tmp, "%s.tmp.%ld", path.buf, (long)getpid());
		sdist_remove_tree(tmp.buf, NULL);
		if (git_repository_init(&repo, tmp.buf, 1) < 0) {
			r = git_fail(err, AB_E_IO, "cannot create git cache", tmp.buf);
			goto out;
		}
		fresh = true;
		stats->cloned = true;
	}
	git_oid oid;
	bool found = false;
	if (git_repository_odb(&odb, repo) < 0) {
		r = git_fail(err, AB_E_IO, "cannot open git cache", path.buf);
		goto out;
	}
	/* a full commit id already cached: no network at all */
	if (!fresh && u->ref && is_hex(u->ref, 40, 40) && !git_oid_fromstr(&oid, u->ref) &&
	    git_odb_exists(odb, &oid) && !peel_commit(repo, &oid, &oid))
		goto done;

	struct creds creds = { u->remote, 0, "", "" };
	git_remote_callbacks cb;
	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb.credentials = cred_cb;
	cb.payload = &creds;
	if (git_remote_create_anonymous(&remote, repo, u->remote) < 0 ||
	    git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL) < 0) {
		/* libgit2 speaks only smart HTTP: a server of plain files gets the
		 * dumb protocol (gitdumb.h), as git falls back to it */
		bool http = !strncmp(u->scheme, "git+http", 8);
		int d = http ? gitdumb_open(&dumb, u->remote, err) : 0;
		if (d == 0)
			r = git_fail(err, AB_E_NETWORK, "cannot reach git repository",
				     u->normalized);
		else if (d < 0)
			r = d;
		if (d <= 0)
			goto out;
		is_dumb = true;
	}
	stats->fetched = true;
	const git_remote_head **heads = dumb.list;
	size_t nheads = dumb.nheads;
	if (!is_dumb && git_remote_ls(&heads, &nheads, remote) < 0) {
		r = git_fail(err, AB_E_NETWORK, "cannot list git repository", u->normalized);
		goto out;
	}
	/* pip's resolve_revision: a branch, then a tag, then a commit id */
	struct ab_buf want = AB_BUF_INIT;
	const char *head_target = NULL;
	for (int pass = 0; pass < 3 && !found; pass++) {
		ab_buf_reset(&want);
		if (!u->ref)
			ab_buf_adds(&want, pass ? "" : "HEAD");
		else if (pass == 0)
			ab_buf_addf(&want, "refs/heads/%s", u->ref);
		else if (pass == 1)
			ab_buf_addf(&want, "refs/tags/%s^{}", u->ref);
		else
			ab_buf_addf(&want, "refs/tags/%s", u->ref);
		for (size_t i = 0; i < nheads && want.len; i++)
			if (!strcmp(heads[i]->name, want.buf)) {
				git_oid_cpy(&oid, &heads[i]->oid);
				head_target = heads[i]->symref_target;
				found = true;
				break;
			}
	}
	ab_buf_release(&want);
	if (!found && (!u->ref || !is_hex(u->ref, 4, 40))) {
		r = ab_err_at(err, AB_E_RESOLVE, NULL, "no branch, tag or commit '%s' in '%s'",
			      u->ref ? u->ref : "HEAD", u->normalized);
		goto out;
	}
	if ((!found || !git_odb_exists(odb, &oid)) && is_dumb) {
		r = gitdumb_fetch(&dumb, repo, err);
		if (r < 0)
			goto out;
	} else if (!found || !git_odb_exists(odb, &oid)) {
		char *specs[] = { "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*" };
		git_strarray refspecs = { specs, 2 };
		git_fetch_options fo;
		git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
		fo.callbacks = cb;
		fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
		if (git_remote_download(remote, &refspecs, &fo) < 0 ||
		    git_remote_update_tips(remote, &cb, 0, GIT_REMOTE_DOWNLOAD_TAGS_ALL, NULL) < 0) {
			r = git_fail(err, AB_E_NETWORK, "cannot fetch from", u->normalized);
			goto out;
		}
	}
	if (head_target && !u->ref)
		git_repository_set_head(repo, head_target);
	if (!found) {
		git_object *o = NULL;
		int rr = git_revparse_single(&o, repo, u->ref);
		if (rr == 0)
			git_oid_cpy(&oid, git_object_id(o));
		git_object_free(o);
		if (rr < 0) {
			r = ab_err_at(err, AB_E_RESOLVE, NULL, "no branch, tag or commit '%s' in '%s'",
				      u->ref, u->normalized);
			goto out;
		}
	}
	if (peel_commit(repo, &oid, &oid) < 0) {
		r = git_fail(err, AB_E_RESOLVE, "not a commit", u->ref ? u->ref : "HEAD");
		goto out;
	}
done:
	git_oid_tostr(commit, 41, &oid);
out:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	gitdumb_release(&dumb);
	git_odb_free(odb);
	git_repository_free(repo);
	if (fresh) {
		/* only a complete first fetch becomes the cache entry */
		if (r >= 0 && rename(tmp.buf, path.buf) < 0)
			sdist_remove_tree(tmp.buf, NULL); /* another process won the race */
		else if (r < 0)
			sdist_remove_tree(tmp.buf, NULL);
	}
	ab_buf_release(&path);
	ab_buf_release(&tmp);
	ab_buf_release(&dir);
	git_libgit2_shutdown();
	return r;
}

/* "../sub.git" relative to the superproject's URL, as git resolves
 * submodule URLs. */
static char *join_url(const char *base, const char *rel)
{
	if (strncmp(rel, "./", 2) && strncmp(rel, "../", 3))
		return ab_xstrdup(rel);
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_adds(&b, base);
	while (b.len && b.buf[b.len - 1] == '/')
		ab_buf_truncate(&b, b.len - 1);
	const char *s = rel;
	for (;;) {
		if (!strncmp(s, "./", 2)) {
			s += 2;
		} else if (!strncmp(s, "../", 3)) {
			char *sl = strrchr(b.buf, '/');
			if (sl)
				ab_buf_truncate(&b, (size_t)(sl - b.buf));
			s += 3;
		} else {
			break;
		}
	}
	ab_buf_addf(&b, "/%s", s);
	return ab_buf_detach(&b);
}

static int checkout_at(const char *cache_root, const struct gitsrc_url *u, const char *commit,
		       const char *workdir, int depth, struct ab_err *err);

struct sub_ctx {
	const char *cache_root, *workdir;
	const struct gitsrc_url *parent;
	int depth;
	struct ab_err *err;
	int r;
};

static int each_submodule(git_submodule *sm, const char *name, void *payload)
{
	struct sub_ctx *c = payload;
	const git_oid *id = git_submodule_index_id(sm);
	const char *url = git_submodule_url(sm);
	if (!id || !url)
		return 0;
	if (c->depth >= MAX_SUBMODULE_DEPTH) {
		c->r = ab_err_at(c->err, AB_E_RESOLVE, NULL, "submodules nested too deeply at '%s'",
				 name);
		return -1;
	}
	char hex[41];
	git_oid_tostr(hex, sizeof(hex), id);
	char *abs = join_url(c->parent->remote, url);
	struct ab_buf spec = AB_BUF_INIT, dir = AB_BUF_INIT;
	ab_buf_addf(&spec, "git+%s%s@%s", strstr(abs, "://") ? "" : "file://", abs, hex);
	ab_buf_addf(&dir, "%s/%s", c->workdir, git_submodule_path(sm));
	struct gitsrc_url su;
	char got[41];
	int r = gitsrc_url_parse(spec.buf, &su, c->err);
	if (r >= 0) {
		r = gitsrc_resolve(c->cache_root, &su, got, NULL, c->err);
		rmdir(dir.buf); /* the empty directory the checkout left for it */
		if (r >= 0)
			r = checkout_at(c->cache_root, &su, got, dir.buf, c->depth + 1, c->err);
		gitsrc_url_release(&su);
	}
	if (r < 0)
		ab_err_note(c->err, "in submodule '%s' of '%s'", name, c->parent->normalized);
	free(abs);
	ab_buf_release(&spec);
	ab_buf_release(&dir);
	c->r = r;
	return r < 0 ? -1 : 0;
}

static int checkout_at(const char *cache_root, const struct gitsrc_url *u, const char *commit,
		       const char *workdir, int depth, struct ab_err *err)
{
	struct ab_buf bare = AB_BUF_INIT, alt = AB_BUF_INIT;
	git_repository *w = NULL;
	git_commit *c = NULL;
	int r = 0;
	cache_path(cache_root, u, &bare);
	struct stat st;
	if (lstat(workdir, &st) == 0) {
		ab_buf_release(&bare);
		return ab_err_at(err, AB_E_IO, &(struct ab_loc){ workdir, 0, 0 }, "already exists");
	}
	if (git_repository_init(&w, workdir, 0) < 0) {
		r = git_fail(err, AB_E_IO, "cannot create checkout", workdir);
		goto out;
	}
	git_repository_free(w);
	w = NULL;
	/* borrow the cache's objects instead of copying them */
	ab_buf_addf(&alt, "%s/.git/objects/info/alternates", workdir);
	FILE *f = fopen(alt.buf, "w");
	if (!f || fprintf(f, "%s/objects\n", bare.buf) < 0 || fclose(f) != 0) {
		r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ alt.buf, 0, 0 }, "cannot write");
		goto out;
	}
	git_oid oid;
	if (git_repository_open(&w, workdir) < 0) {
		r = git_fail(err, AB_E_IO, "cannot open checkout", workdir);
		goto out;
	}
	if (git_oid_fromstr(&oid, commit) < 0 || git_commit_lookup(&c, w, &oid) < 0) {
		r = ab_err_at(err, AB_E_RESOLVE, NULL, "commit '%s' is not in the cache of '%s'",
			      commit, u->normalized);
		goto out;
	}
	git_checkout_options co;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_repository_set_head_detached(w, &oid) < 0 || git_checkout_head(w, &co) < 0) {
		r = git_fail(err, AB_E_IO, "cannot check out", commit);
		goto out;
	}
	struct sub_ctx sc = { cache_root, workdir, u, depth, err, 0 };
	if (git_submodule_foreach(w, each_submodule, &sc) < 0)
		r = sc.r < 0 ? sc.r : git_fail(err, AB_E_IO, "cannot read submodules of", workdir);
out:
	git_commit_free(c);
	git_repository_free(w);
	if (r < 0)
		sdist_remove_tree(workdir, NULL);
	ab_buf_release(&bare);
	ab_buf_release(&alt);
	return r;
}

int gitsrc_checkout(const char *cache_root, const struct gitsrc_url *u, const char *commit,
		    const char *workdir, struct ab_err *err)
{
	git_libgit2_init();
	int r = checkout_at(cache_root, u, commit, workdir, 0, err);
	git_libgit2_shutdown();
	return r;
}
