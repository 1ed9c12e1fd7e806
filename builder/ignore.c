/* ignore.c - .gitignore / .appbuildignore matching (see ignore.h).
 *
 * Follows git 2.39's dir.c (add_patterns_from_buffer, parse_path_pattern,
 * last_matching_pattern_from_list, match_basename, match_pathname) and
 * wildmatch.c with WM_PATHNAME. wildmatch and fnmatch(FNM_PATHNAME) agree
 * except for "**" components, which fnmatch reads as "*": a pattern is cut
 * at its "**" components into pieces, each matched by fnmatch against whole
 * components of the path. */
#include "builder/ignore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"

enum {
	PAT_NEGATIVE = 1 << 0,	/* leading '!' */
	PAT_MUSTBEDIR = 1 << 1, /* trailing '/' */
	PAT_NODIR = 1 << 2,	/* no other '/': matches the base name */
	PAT_INVALID = 1 << 3,	/* wildmatch would give up: matches nothing */
};

/* A run of components between "**" components: fnmatch pattern s matches k
 * consecutive path components. s == "" only first (a leading "**") or last
 * (a trailing "**"). */
struct piece {
	const char *s;
	unsigned k;
};

struct pat {
	unsigned flags;
	const char *whole; /* the pattern, when it has no "**" component */
	size_t first;	   /* its pieces: pc[first .. first + npieces) */
	unsigned npieces;  /* 0: no "**" component */
};

struct plist {
	enum ignore_group g;
	char *dir; /* "" or "a/b/": the file's directory, relative to the root */
	size_t dirlen;
	int depth;  /* ignore_match's level (components below the app); -1: fixed */
	char *text; /* the file's text, cut into the patterns */
	struct pat *p;
	size_t n, cap;
	struct piece *pc;
	size_t npc, pccap;
};

struct ignore {
	char *root; /* NULL: nothing is read from disk */
	size_t rootlen;
	bool started;
	char *prefix; /* the root relative to its work tree: "" or "apps/web/" */
	struct plist *l;
	size_t n, cap;
	struct ab_buf cur;  /* the app-relative directory whose files are loaded */
	struct ab_buf path; /* scratch: the path being matched, cut in place */
	struct ab_buf rel;  /* scratch: prefix + path */
	size_t *comp;	    /* component starts in `path`, relative to a list's dir */
	size_t ncomp, compcap;
};

struct ignore *ignore_new(const char *root)
{
	struct ignore *ig = ab_xcalloc(1, sizeof(*ig));
	ig->cur = (struct ab_buf)AB_BUF_INIT;
	ig->path = (struct ab_buf)AB_BUF_INIT;
	ig->rel = (struct ab_buf)AB_BUF_INIT;
	if (root) {
		ig->root = ab_xstrdup(root);
		ig->rootlen = strlen(root);
		while (ig->rootlen > 1 && ig->root[ig->rootlen - 1] == '/')
			ig->root[--ig->rootlen] = '\0';
	}
	ig->prefix = ab_xstrdup("");
	return ig;
}

static void plist_release(struct plist *l)
{
	free(l->dir);
	free(l->text);
	free(l->p);
	free(l->pc);
}

void ignore_free(struct ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		plist_release(&ig->l[i]);
	free(ig->l);
	free(ig->root);
	free(ig->prefix);
	free(ig->comp);
	ab_buf_release(&ig->cur);
	ab_buf_release(&ig->path);
	ab_buf_release(&ig->rel);
	free(ig);
}

/* ------------------------------------------------------------------ */
/* parsing */

static bool known_class(const char *s, size_t n)
{
	static const char *const names[] = {
		"alnum", "alpha", "blank", "cntrl", "digit", "graph",
		"lower", "print", "punct", "space", "upper", "xdigit"
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && !memcmp(names[i], s, n))
			return true;
	return false;
}

/* q at a '[': the ']' that closes it as wildmatch reads it (the first
 * member, after an optional '!' or '^', is never the closing one; '\\'
 * escapes; [:class:]), or NULL when wildmatch gives up on it: unterminated,
 * or an unknown class. */
static char *bracket_end(char *q)
{
	q++;
	if (*q == '!' || *q == '^')
		q++;
	for (bool first = true;; q++, first = false) {
		if (!*q)
			return NULL;
		if (*q == ']' && !first)
			return q;
		if (*q == '\\') {
			if (!*++q)
				return NULL;
			continue;
		}
		if (*q == '[' && q[1] == ':') {
			char *s = q + 2, *e = s;
			while (*e && *e != ']')
				e++;
			if (!*e)
				return NULL;
			if (e == s || e[-1] != ':')
				continue; /* no ":]": '[' is an ordinary member */
			if (!known_class(s, (size_t)(e - s - 1)))
				return NULL;
			q = e;
		}
	}
}

/* wildmatch returns WM_ABORT_ALL, so the pattern matches nothing, for a
 * trailing lone backslash and a bracket bracket_end refuses; glibc's
 * fnmatch would read those literally. Also spells bracket negation '!'
 * (glibc takes '^' only without POSIXLY_CORRECT, wildmatch always), and
 * turns an escaped '/' into a plain one (both match '/' alone). */
static bool wild_prepare(char *p)
{
	for (; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				return false;
			if (p[1] == '/')
				memmove(p, p + 1, strlen(p)); /* with its NUL */
			else
				p++;
			continue;
		}
		if (*p != '[')
			continue;
		char *e = bracket_end(p);
		if (!e)
			return false;
		if (p[1] == '^')
			p[1] = '!';
		p = e;
	}
	return true;
}

/* The next '/' of a prepared pattern that separates components: not one
 * inside a bracket expression (fnmatch and wildmatch never match '/'
 * there with FNM_PATHNAME). NULL at the end. */
static char *next_slash(char *p)
{
	for (; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '[') {
			char *e = bracket_end(p);
			if (e)
				p = e;
		} else if (*p == '/')
			return p;
	}
	return NULL;
}

/* An empty component: "", "/a", "a//b", "a/". */
static bool empty_component(char *s)
{
	for (char *c = s;;) {
		char *slash = next_slash(c);
		if (slash == c || (!slash && !*c))
			return true;
		if (!slash)
			return false;
		c = slash + 1;
	}
}

static bool all_stars(const char *s, size_t n)
{
	if (n < 2)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '*')
			return false;
	return true;
}

static unsigned components(char *s)
{
	unsigned k = 1;
	for (char *c = next_slash(s); c; c = next_slash(c + 1))
		k++;
	return k;
}

static void add_piece(struct plist *l, const char *s)
{
	AB_GROW(l->pc, l->pccap, l->npc + 1);
	l->pc[l->npc++] = (struct piece){ s, *s ? components((char *)s) : 0 };
}

/* Cut a pathname pattern (leading '/' already dropped) at its "**"
 * components: "a/b/" "**" "/c" becomes the pieces "a/b" and "c". Empty
 * pieces between two "**" are dropped: "**" + "/" + "**" is one "**". */
static void cut_pieces(struct plist *l, struct pat *pt, char *s)
{
	size_t first = l->npc;
	unsigned stars = 0;
	char *piece = s, *c = s;
	for (;;) {
		char *slash = next_slash(c);
		size_t n = slash ? (size_t)(slash - c) : strlen(c);
		if (all_stars(c, n)) {
			/* the piece before this "**": c[-1] is its '/' (or c == s) */
			if (c > piece)
				c[-1] = '\0';
			if (c > piece || !stars)
				add_piece(l, c > piece ? piece : "");
			stars++;
			piece = slash ? slash + 1 : c + n;
		}
		if (!slash)
			break;
		c = slash + 1;
	}
	if (!stars)
		return;
	add_piece(l, piece); /* "" for a trailing "**" */
	pt->first = first;
	pt->npieces = (unsigned)(l->npc - first);
}

/* git's parse_path_pattern, for one line (NUL-terminated, trimmed). */
static void add_pattern(struct plist *l, char *s)
{
	struct pat pt = { 0, NULL, 0, 0 };
	if (*s == '!') {
		pt.flags |= PAT_NEGATIVE;
		s++;
	}
	size_t len = strlen(s);
	if (len && s[len - 1] == '/') {
		s[--len] = '\0';
		pt.flags |= PAT_MUSTBEDIR;
	}
	if (!memchr(s, '/', len))
		pt.flags |= PAT_NODIR;
	else if (*s == '/')
		s++; /* match_pathname: the leading '/' only anchors */
	/* paths have no empty component, so git never matches one ("a//b",
	 * "//a", "a//"; also around a "**") */
	if (!wild_prepare(s) || (!(pt.flags & PAT_NODIR) && empty_component(s)))
		pt.flags |= PAT_INVALID;
	pt.whole = s;
	if (!(pt.flags & (PAT_NODIR | PAT_INVALID)))
		cut_pieces(l, &pt, s);
	AB_GROW(l->p, l->cap, l->n + 1);
	l->p[l->n++] = pt;
}

/* git's trim_trailing_spaces: spaces only, "\ " kept. */
static void trim_trailing_spaces(char *s)
{
	char *last = NULL;
	for (char *p = s; *p; p++) {
		if (*p == ' ') {
			if (!last)
				last = p;
			continue;
		}
		if (*p == '\\' && !*++p)
			return;
		last = NULL;
	}
	if (last)
		*last = '\0';
}

static struct plist *new_list(struct ignore *ig, enum ignore_group g, const char *dir, int depth,
			      struct ab_str text)
{
	AB_GROW(ig->l, ig->cap, ig->n + 1);
	struct plist *l = &ig->l[ig->n++];
	memset(l, 0, sizeof(*l));
	l->g = g;
	l->depth = depth;
	struct ab_buf d = AB_BUF_INIT;
	ab_buf_adds(&d, dir);
	if (d.len && d.buf[d.len - 1] != '/')
		ab_buf_addc(&d, '/');
	l->dirlen = d.len;
	l->dir = ab_buf_detach(&d);

	/* git's add_patterns_from_buffer */
	const char *t = text.ptr;
	size_t n = text.len;
	if (n >= 3 && !memcmp(t, "\xef\xbb\xbf", 3)) {
		t += 3;
		n -= 3;
	}
	l->text = ab_xmalloc(n + 2);
	if (n)
		memcpy(l->text, t, n);
	if (!n || l->text[n - 1] != '\n')
		l->text[n++] = '\n';
	l->text[n] = '\0';
	char *line = l->text;
	for (size_t i = 0; i < n; i++) {
		if (l->text[i] != '\n')
			continue;
		if (line != l->text + i && line[0] != '#') {
			l->text[i - (i && l->text[i - 1] == '\r')] = '\0';
			l->text[i] = '\0';
			trim_trailing_spaces(line);
			add_pattern(l, line);
		}
		line = l->text + i + 1;
	}
	return l;
}

void ignore_add(struct ignore *ig, enum ignore_group g, const char *dir, struct ab_str text)
{
	new_list(ig, g, dir, -1, text);
}

/* ------------------------------------------------------------------ */
/* matching */

/* Does piece pc match components [s, s + pc->k) of `name` (comp holds
 * the component starts, ncomp of them)? */
static bool piece_at(struct ignore *ig, char *name, size_t len, const struct piece *pc, size_t s)
{
	size_t end = s + pc->k < ig->ncomp ? ig->comp[s + pc->k] - 1 : len;
	char save = name[end];
	name[end] = '\0';
	bool ok = fnmatch(pc->s, name + ig->comp[s], FNM_PATHNAME) == 0;
	name[end] = save;
	return ok;
}

/* wildmatch(WM_PATHNAME) of a cut pattern: the first piece anchored at the
 * start (unless the pattern starts with "**"), each middle piece at its
 * leftmost place after the previous one (any components between: "**"),
 * the last anchored at the end; a trailing "**" needs one component or
 * more after the previous piece. */
static bool match_pieces(struct ignore *ig, const struct plist *l, const struct pat *pt, char *name,
			 size_t len)
{
	ig->ncomp = 0;
	for (size_t i = 0; i <= len; i++)
		if (i == 0 || name[i - 1] == '/') {
			AB_GROW(ig->comp, ig->compcap, ig->ncomp + 1);
			ig->comp[ig->ncomp++] = i;
		}
	size_t n = ig->ncomp, pos = 0;
	const struct piece *pc = l->pc + pt->first, *last = pc + pt->npieces - 1;
	if (pc->k) {
		if (pc->k > n || !piece_at(ig, name, len, pc, 0))
			return false;
		pos = pc->k;
	}
	for (pc++; pc < last; pc++) {
		bool found = false;
		for (size_t s = pos; !found && s + pc->k <= n; s++)
			if (piece_at(ig, name, len, pc, s)) {
				pos = s + pc->k;
				found = true;
			}
		if (!found)
			return false;
	}
	if (!last->k)
		return pos < n;
	return last->k <= n && n - last->k >= pos && piece_at(ig, name, len, last, n - last->k);
}

/* 0: no pattern of l matches; 1: excluded; -1: re-included. `path` is the
 * scratch copy (cut and restored by the matchers). */
static int list_match(struct ignore *ig, const struct plist *l, char *path, size_t len, bool is_dir)
{
	if (len <= l->dirlen || memcmp(path, l->dir, l->dirlen))
		return 0;
	char *name = path + l->dirlen;
	size_t nlen = len - l->dirlen;
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	for (size_t i = l->n; i-- > 0;) {
		const struct pat *pt = &l->p[i];
		bool hit;
		if (pt->flags & PAT_INVALID || (pt->flags & PAT_MUSTBEDIR && !is_dir))
			continue;
		if (pt->flags & PAT_NODIR)
			hit = fnmatch(pt->whole, base, 0) == 0;
		else if (pt->npieces)
			hit = match_pieces(ig, l, pt, name, nlen);
		else
			hit = fnmatch(pt->whole, name, FNM_PATHNAME) == 0;
		if (hit)
			return pt->flags & PAT_NEGATIVE ? -1 : 1;
	}
	return 0;
}

static bool decide(struct ignore *ig, const char *path, size_t len, bool is_dir)
{
	ab_buf_reset(&ig->path);
	ab_buf_add(&ig->path, path, len);
	static const enum ignore_group order[] = { IGNORE_APPBUILD, IGNORE_GIT };
	for (size_t g = 0; g < AB_ARRAY_SIZE(order); g++)
		for (size_t i = ig->n; i-- > 0;) {
			if (ig->l[i].g != order[g])
				continue;
			int r = list_match(ig, &ig->l[i], ig->path.buf, len, is_dir);
			if (r)
				return r > 0;
		}
	return false;
}

bool ignore_check(struct ignore *ig, const char *path, bool is_dir)
{
	return decide(ig, path, strlen(path), is_dir);
}

/* ------------------------------------------------------------------ */
/* reading the files */

static int read_list(struct ignore *ig, const char *file, enum ignore_group g, const char *dir,
		     int depth, struct ab_err *err)
{
	struct ab_loc loc = { file, 0, 0 };
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		if (errno == ELOOP)
			return ab_err_at(err, AB_E_INVALID, &loc,
					 "is a symbolic link: git does not read those, so its "
					 "patterns would not apply (make it a regular file)");
		return ab_err_at(err, AB_E_IO, &loc, "cannot open: %s", strerror(errno));
	}
	struct ab_buf b = AB_BUF_INIT;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0) {
		r = ab_err_at(err, AB_E_IO, &loc, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode))
		goto out; /* a directory named .gitignore: not a pattern file */
	if (st.st_size > (16 << 20)) {
		r = ab_err_at(err, AB_E_INVALID, &loc, "is larger than 16 MiB");
		goto out;
	}
	char chunk[16384];
	for (;;) {
		ssize_t k = read(fd, chunk, sizeof(chunk));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = ab_err_at(err, AB_E_IO, &loc, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		ab_buf_add(&b, chunk, (size_t)k);
	}
	new_list(ig, g, dir, depth, ab_buf_str(&b));
out:
	close(fd);
	ab_buf_release(&b);
	return r;
}

/* Load the pattern files of the app-relative directory `d` ("" or "a/b"). */
static int load_level(struct ignore *ig, const char *d, size_t dlen, int depth, struct ab_err *err)
{
	struct ab_buf file = AB_BUF_INIT, dir = AB_BUF_INIT;
	ab_buf_adds(&dir, ig->prefix);
	ab_buf_add(&dir, d, dlen);
	static const char *const names[] = { ".gitignore", ".appbuildignore" };
	int r = 0;
	for (size_t i = 0; i < AB_ARRAY_SIZE(names) && r == 0; i++) {
		ab_buf_reset(&file);
		ab_buf_add(&file, ig->root, ig->rootlen);
		if (dlen)
			ab_buf_addf(&file, "/%.*s", (int)dlen, d);
		ab_buf_addf(&file, "/%s", names[i]);
		r = read_list(ig, file.buf, i ? IGNORE_APPBUILD : IGNORE_GIT, dir.buf, depth, err);
	}
	ab_buf_release(&file);
	ab_buf_release(&dir);
	return r;
}

/* The .gitignore files from the top of the work tree holding the root
 * (the nearest ancestor with a .git) down to the root's parent. */
static int load_worktree(struct ignore *ig, struct ab_err *err)
{
	char *real = realpath(ig->root, NULL);
	if (!real)
		return 0; /* the walk itself reports an unreadable root */
	size_t n = strlen(real), top = n;
	struct ab_buf p = AB_BUF_INIT;
	bool found = false;
	struct stat st;
	for (;;) {
		ab_buf_reset(&p);
		ab_buf_add(&p, real, top);
		ab_buf_adds(&p, top > 1 ? "/.git" : ".git");
		if (lstat(p.buf, &st) == 0) {
			found = true;
			break;
		}
		if (top <= 1)
			break;
		while (top > 1 && real[top - 1] != '/')
			top--;
		if (top > 1)
			top--; /* the '/' before the last component */
	}
	int r = 0;
	if (found && top < n) {
		/* the work tree's top is real[0..top) ("/" when top == 1) */
		size_t start = top == 1 ? 1 : top + 1;
		free(ig->prefix);
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s/", real + start);
		ig->prefix = ab_buf_detach(&p);
		struct ab_buf file = AB_BUF_INIT, dir = AB_BUF_INIT;
		for (size_t i = start - 1; r == 0 && i < n; i++) {
			if (i != start - 1 && real[i] != '/')
				continue;
			/* the directory real[0..i), relative to the top: real[start..i) */
			ab_buf_reset(&file);
			ab_buf_reset(&dir);
			ab_buf_add(&file, real, i == start - 1 ? top - (top == 1) : i);
			ab_buf_adds(&file, "/.gitignore");
			if (i > start)
				ab_buf_add(&dir, real + start, i - start);
			r = read_list(ig, file.buf, IGNORE_GIT, dir.buf, -1, err);
		}
		ab_buf_release(&file);
		ab_buf_release(&dir);
	}
	free(real);
	ab_buf_release(&p);
	return r;
}

/* Bring the loaded levels to the app-relative directory d: drop the files
 * of directories the walk has left, read those of the ones it entered. */
static int enter(struct ignore *ig, const char *d, size_t dlen, struct ab_err *err)
{
	/* components in common with the current directory */
	size_t common = 0, i = 0;
	int depth = 0;
	const char *c = ig->cur.buf;
	size_t clen = ig->cur.len;
	while (i < dlen && i < clen && d[i] == c[i]) {
		i++;
		if ((i == dlen || d[i] == '/') && (i == clen || c[i] == '/')) {
			common = i;
			depth++;
		}
	}
	if (i == dlen && i == clen)
		return 0;
	size_t k = ig->n;
	while (k > 0 && ig->l[k - 1].depth > depth)
		plist_release(&ig->l[--k]);
	ig->n = k;
	ab_buf_reset(&ig->cur);
	ab_buf_add(&ig->cur, d, common);
	int r = 0;
	for (size_t j = common + (common > 0); r == 0 && dlen > common && j <= dlen; j++) {
		if (j < dlen && d[j] != '/')
			continue;
		depth++;
		r = load_level(ig, d, j, depth, err);
		ab_buf_reset(&ig->cur);
		ab_buf_add(&ig->cur, d, j);
	}
	return r;
}

int ignore_match(struct ignore *ig, const char *path, int dtype, struct ab_err *err)
{
	if (!ig->root || strncmp(path, ig->root, ig->rootlen) || path[ig->rootlen] != '/')
		return ab_err_set(err, AB_E_INTERNAL, "'%s' is not below the ignore root", path);
	int r = 0;
	if (!ig->started) {
		ig->started = true;
		r = load_worktree(ig, err);
		if (r == 0)
			r = load_level(ig, "", 0, 0, err);
		if (r < 0)
			return r;
	}
	const char *rel = path + ig->rootlen + 1;
	while (*rel == '/')
		rel++; /* a root given as "app/" */
	const char *slash = strrchr(rel, '/');
	r = enter(ig, rel, slash ? (size_t)(slash - rel) : 0, err);
	if (r < 0)
		return r;
	/* the files that make the directory an app (SPEC.md "App directory")
	 * and its lock: a pattern meant for something else (a dotfiles
	 * repository's "*", a "bin/" for virtualenvs) must not break the bundle */
	static const char *const kept[] = { "appbuild.yaml",	"bin",
					    "bin/wsgiapp",	"dependencies.lock",
					    "dependencies.txt", "external-dependencies.txt" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(kept); i++)
		if (!strcmp(rel, kept[i]))
			return 0;
	bool is_dir = dtype == DT_DIR;
	if (dtype == DT_UNKNOWN) {
		struct stat st;
		is_dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
	}
	ab_buf_reset(&ig->rel);
	ab_buf_adds(&ig->rel, ig->prefix);
	ab_buf_adds(&ig->rel, rel);
	return decide(ig, ig->rel.buf, ig->rel.len, is_dir) ? 1 : 0;
}
