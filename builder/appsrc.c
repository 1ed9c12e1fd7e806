/* appsrc.c - the app from a directory or a git URL; see appsrc.h. */
#include "builder/appsrc.h"

#include <errno.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/cache.h"
#include "builder/gitsrc.h"
#include "builder/sdist.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"

bool appsrc_is_url(const char *arg)
{
	struct stat st;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
		return false;
	if (!strncmp(arg, "git+", 4) || strstr(arg, "://"))
		return true;
	/* scp-like user@host:path, as git reads it: a ':' before any '/' */
	const char *colon = strchr(arg, ':'), *slash = strchr(arg, '/');
	const char *at = strchr(arg, '@');
	return colon && at && at < colon && (!slash || colon < slash);
}

void appsrc_git_state(const char *dir, struct appsrc *out)
{
	out->git = false;
	out->commit[0] = 0;
	out->commit_time = 0;
	out->dirty = false;
	git_libgit2_init();
	git_repository *repo = NULL;
	git_object *head = NULL;
	git_status_list *st = NULL;
	if (git_repository_open_ext(&repo, dir, 0, NULL) == 0 &&
	    git_revparse_single(&head, repo, "HEAD^{commit}") == 0) {
		out->git = true;
		git_oid_tostr(out->commit, sizeof(out->commit), git_object_id(head));
		int64_t t = (int64_t)git_commit_time((const git_commit *)head);
		out->commit_time = t > 0 ? t : 0;
		/* dirty: what `git status --porcelain` lists, untracked files
		 * included (they would be bundled) and ignored ones not */
		git_status_options so;
		git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
		so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
		so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
		if (!git_repository_is_bare(repo) && git_status_list_new(&st, repo, &so) == 0)
			out->dirty = git_status_list_entrycount(st) > 0;
	}
	git_status_list_free(st);
	git_object_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

const char *appsrc_cache_arg(int argc, char **argv)
{
	const char *v = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--cache-dir") && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(argv[i], "--cache-dir=", 12))
			v = argv[i] + 12;
	}
	return v;
}

/* "myapp" for ".../org/myapp.git/", "repo" for "git@host:repo" */
static char *repo_basename(const char *remote)
{
	size_t n = strlen(remote);
	while (n && remote[n - 1] == '/')
		n--;
	size_t b = n;
	while (b && remote[b - 1] != '/' && remote[b - 1] != ':')
		b--;
	size_t e = n;
	if (e - b > 4 && !strncmp(remote + e - 4, ".git", 4))
		e -= 4;
	if (e == b)
		return ab_xstrdup("app");
	return ab_xstrndup(remote + b, e - b);
}

int appsrc_open(const char *arg, const char *cache_dir, bool offline, struct appsrc *out,
		struct ab_out *log, struct ab_err *err)
{
	*out = (struct appsrc)APPSRC_INIT;
	if (!appsrc_is_url(arg)) {
		/* nothing else: `git status` walks the whole tree, and only a
		 * bundle needs it (appsrc_git_state) */
		out->dir = ab_xstrdup(arg);
		return 0;
	}
	out->remote = true;
	struct cache cache = CACHE_INIT;
	struct gitsrc_url u = GITSRC_URL_INIT;
	struct ab_buf spec = AB_BUF_INIT, tmp = AB_BUF_INIT;
	char *base = NULL;
	int r;
	ab_buf_addf(&spec, "%s%s", strncmp(arg, "git+", 4) ? "git+" : "", arg);
	r = gitsrc_url_parse(spec.buf, &u, err);
	if (r < 0)
		goto out;
	r = cache_open(&cache, cache_dir, false, err);
	if (r < 0)
		goto out;
	if (offline && !(u.ref && strlen(u.ref) == 40)) {
		r = ab_err_set(err, AB_E_NETWORK, "offline: '%s' must be resolved by its remote",
			       u.normalized);
		goto out;
	}
	struct gitsrc_stats st = { false, false };
	r = gitsrc_resolve(cache.root, &u, out->commit, &st, err);
	out->fetched = st.fetched;
	if (r < 0)
		goto out;
	ab_buf_addf(&tmp, "%s/tmp/app-XXXXXX", cache.root);
	if (!mkdtemp(tmp.buf)) {
		r = ab_err_at(err, AB_E_IO, &(struct ab_loc){ tmp.buf, 0, 0 },
			      "cannot create directory: %s", strerror(errno));
		goto out;
	}
	out->workdir = ab_xstrdup(tmp.buf);
	base = repo_basename(u.remote);
	ab_buf_addf(&tmp, "/%s", base);
	r = gitsrc_checkout(cache.root, &u, out->commit, tmp.buf, err);
	if (r < 0)
		goto out;
	if (u.subdirectory)
		ab_buf_addf(&tmp, "/%s", u.subdirectory);
	out->dir = ab_buf_detach(&tmp);
	out->git = true; /* a fresh checkout: clean */
	ab_info(log, "%s: commit %s", u.normalized, out->commit);
out:
	if (r < 0)
		ab_err_note(err, "while fetching the app from '%s'", arg);
	free(base);
	gitsrc_url_release(&u);
	cache_release(&cache);
	ab_buf_release(&spec);
	ab_buf_release(&tmp);
	return r;
}

void appsrc_release(struct appsrc *s)
{
	if (s->workdir)
		sdist_remove_tree(s->workdir, NULL);
	free(s->workdir);
	free(s->dir);
	*s = (struct appsrc)APPSRC_INIT;
}
