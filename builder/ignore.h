/* ignore.h - which files of an app directory stay out of the bundle:
 * .gitignore and .appbuildignore, with git's gitignore(5) semantics.
 *
 * A pattern file holds one pattern a line: blank lines and lines starting
 * with '#' are skipped, trailing spaces are dropped unless escaped ("\ "),
 * a CR before the LF and a leading UTF-8 BOM are dropped. A leading '!'
 * negates (re-includes); a trailing '/' matches directories only; a pattern
 * without any other '/' matches the base name at any depth below the file's
 * directory; otherwise it is matched against the path relative to that
 * directory (a leading '/' only anchors), '*', '?' and brackets never match
 * '/', and a whole component "**" matches any number of components
 * ("**" + "/x", "a/" + "**", "a/" + "**" + "/b"). Matching is fnmatch(3) with
 * FNM_PATHNAME in the C locale, byte by byte, as git's wildmatch; patterns
 * git refuses (a trailing lone backslash, an unterminated bracket, an
 * unknown [:class:]) match nothing, as in git.
 *
 * Precedence is git's: the last matching pattern of a file decides, a file
 * in a deeper directory beats one above it, and a path inside an excluded
 * directory is excluded whatever follows (the walker does not descend).
 * .appbuildignore files form a group of their own that is consulted first:
 * when one of its patterns matches, it decides ("!dist-assets/" re-includes
 * what .gitignore excludes); otherwise the .gitignore files decide.
 *
 * When the root lies inside a git work tree (an ancestor holds .git), the
 * .gitignore files of the directories from the work tree's top down to the
 * root apply too, with paths relative to their own directories, as git
 * applies them. .git/info/exclude and core.excludesFile are not read: they
 * belong to one clone or one user, and a bundle must not depend on them.
 * The files that make the root an app are never excluded: appbuild.yaml,
 * bin/ and bin/wsgiapp, dependencies.txt, external-dependencies.txt, and
 * dependencies.lock (the bundle carries the lock it was built from). */
#ifndef AB_IGNORE_H
#define AB_IGNORE_H

#include <stdbool.h>

#include "formats/core/err.h"
#include "formats/core/str.h"

enum ignore_group {
	IGNORE_GIT,	 /* .gitignore */
	IGNORE_APPBUILD, /* .appbuildignore: consulted first */
};

struct ignore;

/* A matcher for the tree at `root` (copied; NULL: nothing is read from
 * disk, patterns come from ignore_add alone). Free with ignore_free. */
struct ignore *ignore_new(const char *root);

/* Accepts NULL. */
void ignore_free(struct ignore *ig);

/* Add the patterns of `text` as if read from the file of group g in
 * directory `dir` (relative to the root: "" for the root, "a/b" below it;
 * no leading or trailing '/'). A list added later takes precedence over
 * one added earlier within its group. Never fails: every line is a pattern. */
void ignore_add(struct ignore *ig, enum ignore_group g, const char *dir, struct ab_str text);

/* Whether `path` (relative to the root, no leading or trailing '/') is
 * excluded by the patterns added so far. The caller decides whether the
 * path is a directory, and answers for the paths inside an excluded
 * directory itself (ignore_match does). */
bool ignore_check(struct ignore *ig, const char *path, bool is_dir);

/* For a walker of the tree at the root, depth first: whether `path` (the
 * root given to ignore_new, '/', the path below it; e.g. from readdir) is
 * excluded. `dtype` is the dirent d_type (DT_UNKNOWN: lstat is asked).
 * The pattern files are read as the walk enters each directory, and those
 * of the enclosing work tree on the first call. The walker must not descend
 * into an excluded directory. Returns 1 (excluded), 0 (kept), or AB_E_IO
 * (negative) when a pattern file exists but cannot be read, and
 * AB_E_INVALID for a pattern file that is a symbolic link (git does not
 * read those: the bundle would hold files the author meant to exclude). */
int ignore_match(struct ignore *ig, const char *path, int dtype, struct ab_err *err);

#endif
