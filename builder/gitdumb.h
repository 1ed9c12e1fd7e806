/* gitdumb.h - git's "dumb" HTTP protocol (a repository served as plain
 * files after `git update-server-info`), which libgit2 does not speak.
 *
 * gitsrc.c tries libgit2's smart HTTP first; when that fails it asks
 * gitdumb_open() whether the server is dumb. The objects then come one by
 * one from objects/xx/yyyy... (loose, zlib) or, when a loose object is
 * absent, from the packs listed in objects/info/packs, as git's http-walker
 * does (git/http-walker.c, walker.c). libgit2 still does the object work:
 * git_odb_write for loose objects, git_indexer for packs, object parsing,
 * refs; libcurl (builder/http.h) does the transfers, with user:password
 * from the URL. Internal to gitsrc.c. */
#ifndef AB_GITDUMB_H
#define AB_GITDUMB_H

#include <git2.h>
#include <stddef.h>

#include "formats/core/err.h"

struct gitdumb {
	char *base;			/* the remote URL, no trailing '/' (owned) */
	struct http_client *http;	/* owned */
	git_remote_head *heads;		/* info/refs, "HEAD" first when the server has one */
	const git_remote_head **list;	/* pointers into heads, as git_remote_ls() gives them */
	size_t nheads;			/* heads[i].name and symref_target are owned */
};

#define GITDUMB_INIT { NULL, NULL, NULL, NULL, 0 }

/* Ask the http(s) `remote` for info/refs?service=git-upload-pack, as git
 * does: an answer that is not application/x-git-upload-pack-advertisement
 * but reads as an info/refs file means a dumb server. Then read HEAD (a
 * "ref: refs/heads/x" symref becomes heads[0] with symref_target). Returns
 * 1 for a dumb server (d filled), 0 when it is not one or cannot be reached
 * (err untouched: the caller's smart-protocol error stands), or a negative
 * AB_E_NETWORK when it is dumb but HEAD cannot be read. Release `d` with
 * gitdumb_release() in every case. */
int gitdumb_open(struct gitdumb *d, const char *remote, struct ab_err *err);

/* Fetch what `repo` (a bare mirror) lacks of every branch and tag d lists,
 * then point its refs/heads/ and refs/tags/ at them (forced, as the smart
 * path's forced refspecs). New objects are collected in a
 * staging object directory inside the repository and moved in only when
 * every object is there, so an object in the mirror always has all it
 * refers to; submodule gitlinks are not followed (separate repositories).
 * Errors: AB_E_NETWORK naming the URL (a request failed, an object is on
 * the server neither loose nor in a pack, an object does not hash to its
 * name), AB_E_IO. Nothing is left behind on failure. */
int gitdumb_fetch(struct gitdumb *d, git_repository *repo, struct ab_err *err);

void gitdumb_release(struct gitdumb *d);

#endif
