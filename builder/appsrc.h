/* appsrc.h - where an app's directory comes from: a local directory (a git
 * working tree or not), or a git repository URL checked out for the run.
 *
 *   appbuild bundle ./myapp
 *   appbuild bundle https://host/org/myapp.git@v1.2     (also lock, rpm, deb)
 *   appbuild bundle git+ssh://git@host/org/myapp.git@main
 *   appbuild bundle file:///srv/git/myapp.git
 *
 * A URL (with or without the "git+" of a requirement; "@ref" a branch, tag
 * or commit, none: the remote's HEAD; "#subdirectory=DIR" for an app
 * inside the repository) is fetched into the bare-mirror cache of
 * builder/gitsrc.h and checked out at the commit into a temporary
 * directory named after the repository ("myapp" for ".../myapp.git"), so
 * the app's default name and everything built from it are what a checkout
 * of the same commit gives: a bundle from the URL is byte-identical to one
 * from `git clone` + `git checkout <commit>`.
 *
 * For a local directory inside a git working tree the commit, its time and
 * whether the tree is dirty come from libgit2. */
#ifndef AB_APPSRC_H
#define AB_APPSRC_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/core/err.h"
#include "formats/core/out.h"

struct appsrc {
	char *dir;	     /* the app directory to load (owned) */
	bool remote;	     /* the argument was a git URL */
	/* For a URL, from the checkout (commit_time 0: bundle_source_time()
	 * reads it); for a directory only after appsrc_git_state(). */
	bool git;	     /* dir is in a git working tree (or a checkout) */
	char commit[41];     /* HEAD's commit; "" when !git */
	int64_t commit_time; /* its committer time; 0 when !git */
	bool dirty;	     /* a local tree with uncommitted changes or untracked files */
	char *workdir;	     /* the temporary checkout (owned; removed by appsrc_release) */
	bool fetched;	     /* the remote was contacted */
};

#define APPSRC_INIT                                           \
	{                                                     \
		NULL, false, false, "", 0, false, NULL, false \
	}

/* Whether a command-line argument names a git repository rather than a
 * directory: "git+…", "…://…" (https, http, ssh, git, file), or an
 * scp-like "user@host:path"; an existing directory is never a URL. */
bool appsrc_is_url(const char *arg);

/* Open the app source `arg` (a directory or a URL, see above). A URL is
 * fetched into `cache_dir`'s git cache (NULL: the default cache) and
 * checked out under its tmp/; `offline` forbids contacting the remote (a
 * full commit id already cached still works). Errors: those of
 * gitsrc_url_parse / gitsrc_resolve / gitsrc_checkout (AB_E_PARSE,
 * AB_E_UNSUPPORTED, AB_E_NETWORK, AB_E_RESOLVE, AB_E_IO), with a note
 * naming the URL. Release with appsrc_release() in every case. */
int appsrc_open(const char *arg, const char *cache_dir, bool offline, struct appsrc *out,
		struct ab_out *log, struct ab_err *err);

/* The git state of `dir` (HEAD commit, its time, dirty) into *out's
 * git/commit/commit_time/dirty; out->git false when dir is not in a git
 * working tree or has no commit. Never fails. */
void appsrc_git_state(const char *dir, struct appsrc *out);

/* The value of "--cache-dir DIR" / "--cache-dir=DIR" in a command's
 * arguments (main.c needs it before the command's options are known), or
 * NULL. */
const char *appsrc_cache_arg(int argc, char **argv);

void appsrc_release(struct appsrc *s);

#endif
