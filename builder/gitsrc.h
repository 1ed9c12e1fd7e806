/* gitsrc.h - git requirements (pip's "git+" URLs) through libgit2.
 *
 * URLs: git+https://, git+http://, git+ssh://, git+file://, git+git://
 * and scp-like git+user@host:path, with "@ref" (branch, tag or commit id)
 * after the path and "#egg=NAME&subdirectory=DIR" fragments, as pip 23
 * reads them (pip/_internal/vcs/versioncontrol.py get_url_rev_and_auth).
 * hg+, svn+ and bzr+ URLs are refused with AB_E_UNSUPPORTED naming the
 * scheme.
 *
 * Cache: <cache root>/git/<sha256 of the normalized URL>/, a bare
 * repository holding the remote's branches and tags. It is created in a
 * temporary directory and renamed into place after the first fetch, so a
 * failed clone leaves nothing. Later runs fetch only what is missing, and
 * a ref that is a full commit id already in the cache needs no network at
 * all. Credentials: user:password from the URL, then the ssh agent for
 * ssh, then `git credential fill` (the user's credential helpers). */
#ifndef AB_GITSRC_H
#define AB_GITSRC_H

#include <stdbool.h>

#include "formats/core/err.h"

struct gitsrc_url {
	char *scheme;       /* "git+https" as written, lowercased (owned) */
	char *remote;       /* the URL given to git, "https://user@host/org/app.git" (owned) */
	char *normalized;   /* the cache key: no credentials, scheme and host lowercase, no
			       trailing '/' (owned) */
	char *ref;          /* NULL: the remote's HEAD (owned) */
	char *egg;          /* #egg= value or NULL (owned) */
	char *subdirectory; /* #subdirectory= value or NULL (owned); relative, no ".." */
};

#define GITSRC_URL_INIT { NULL, NULL, NULL, NULL, NULL, NULL }

/* Parse a "git+..." requirement URL. Errors: AB_E_UNSUPPORTED for another
 * VCS ("version control scheme 'hg+https' is not supported: only git"),
 * AB_E_PARSE for a malformed URL (empty ref after '@', bad subdirectory),
 * col 1-based into `url`. Release with gitsrc_url_release(). */
int gitsrc_url_parse(const char *url, struct gitsrc_url *out, struct ab_err *err);
void gitsrc_url_release(struct gitsrc_url *u);

struct gitsrc_stats {
	bool fetched; /* the remote was contacted */
	bool cloned;  /* the cache entry was created */
};

/* Resolve u->ref (NULL: the remote's default branch) to a commit id (40
 * hex + NUL into `commit`), cloning or fetching into the cache under
 * `cache_root` as needed. Branches are looked up before tags, as pip.
 * Errors: AB_E_NETWORK (cannot reach or read the remote, authentication),
 * AB_E_RESOLVE ("no branch, tag or commit 'x' in 'url'"), AB_E_IO. */
int gitsrc_resolve(const char *cache_root, const struct gitsrc_url *u, char commit[41],
		   struct gitsrc_stats *stats, struct ab_err *err);

/* Check `commit` (already in the cache: gitsrc_resolve() first) out into
 * `workdir`, which must not exist: a git working tree whose object store
 * borrows the cache's (objects/info/alternates), HEAD detached at the
 * commit, as pip leaves a checkout. On failure `workdir` is removed.
 * Errors: AB_E_IO, AB_E_RESOLVE (unknown commit). */
int gitsrc_checkout(const char *cache_root, const struct gitsrc_url *u, const char *commit,
		    const char *workdir, struct ab_err *err);

#endif
