/* ignore_test.c - builder/ignore against git itself: each case builds a
 * small tree with .gitignore files in a fresh repository, walks it as
 * bundle_copy_app does (no descent into an excluded directory), and
 * compares every path's answer with `git check-ignore --no-index` run on
 * the same tree now. .appbuildignore, which git does not know, is checked
 * against fixed answers; so are the error paths and the in-memory API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/ignore.h"
#include "formats/core/mem.h"
#include "tests/unit/testutil.h"

static char *tmp;

static int setup(void **state)
{
	tmp = tu_mkdtemp("ignore_test.");
	return 0;
}

static int teardown(void **state)
{
	tu_rmrf(tmp);
	tmp = NULL;
	return 0;
}

/* A tree: "path" an empty file, "path/" a directory, "path=TEXT" a file
 * holding TEXT, "path>TARGET" a symbolic link. `walk` is the directory
 * walked (the app), relative to the repository; NULL: the repository. */
struct tcase {
	const char *name;
	const char *walk;
	const char *tree[24];
};

static const struct tcase git_cases[] = {
	{ "basename anywhere", NULL,
	  { ".gitignore=*.log\nbuild\n", "a.log", "x/b.log", "x/y/build/f", "build", "keep.py",
	    "x/logs.txt" } },
	{ "negation, last match wins", NULL,
	  { ".gitignore=*.txt\n!keep.txt\nkeep2.txt\n!keep2.txt\n*2.txt\n", "a.txt", "keep.txt",
	    "keep2.txt", "d/keep.txt" } },
	{ "directory only", NULL,
	  { ".gitignore=cache/\nlogs/*\n!logs/.keep\n", "cache/x", "a/cache/y", "f/cache",
	    "logs/a", "logs/.keep", "lnk>cache" } },
	{ "anchored and relative to the file", NULL,
	  { ".gitignore=/top\nsub/deep\n", "top", "x/top", "sub/deep", "x/sub/deep",
	    "x/.gitignore=/local\nnested/*.c\n", "x/local", "local", "x/y/local", "x/nested/a.c",
	    "x/nested/q/a.c", "nested/a.c" } },
	{ "excluded directory cannot be re-included", NULL,
	  { ".gitignore=out/\n!out/keep\n!out/sub/\n", "out/keep", "out/sub/f",
	    "d/.gitignore=gen\n", "d/gen/x", "d/gen/.gitignore=!x\n" } },
	{ "nested files override", NULL,
	  { ".gitignore=*.tmp\n!*.cfg\n", "a.tmp", "c.cfg", "s/.gitignore=!*.tmp\n*.cfg\n",
	    "s/a.tmp", "s/c.cfg", "s/t/a.tmp", "s/t/.gitignore=*.tmp\n", "s/u/a.tmp" } },
	{ "double star", NULL,
	  { ".gitignore=**/foo\nbar/**\na/**/b\nx/**/y/**/z\n**/q/**\nm**n\n", "foo", "p/foo",
	    "p/r/foo/in", "bar/x", "bar/y/z", "bar2/x", "a/b", "a/x/b", "a/x/y/b", "ab/b",
	    "x/y/z", "x/1/y/2/z", "x/y/1/2/z/3", "q/f", "1/q/2/3", "mabn", "m/a/n", "mn" } },
	{ "wildcards and brackets", NULL,
	  { ".gitignore=?.c\n[ab]*.h\n[!x]y\n[^p]q\n*.[ch]\nd[[:digit:]]\nz[[:bogus:]]\nu[\n"
	    "sub/*/f\n",
	    "a.c", "ab.c", "a.h", "cz.h", "xy", "zy", "pq", "rq", "e.h", "d1", "dx", "z1", "u[",
	    "sub/a/f", "sub/a/b/f", "sub/f" } },
	{ "escapes, spaces, comments", NULL,
	  { ".gitignore=\\#lit\n#comment\n\\!bang\nsp  \nsp2\\ \nst\\*r\nend\\\n   \n\n",
	    "#lit", "#comment", "!bang", "bang", "sp", "sp2 ", "st*r", "stxr", "end\\", "end" } },
	{ "CRLF, BOM, no final newline", NULL,
	  { ".gitignore=\xef\xbb\xbf" "bom\r\ncr\r\nlast", "bom", "cr", "last", "other" } },
	{ "app inside a work tree", "apps/web",
	  { ".gitignore=*.log\n/apps/web/secret\napps/*/tmp/\n", "apps/.gitignore=!keep.log\n",
	    "apps/web/a.log", "apps/web/keep.log", "apps/web/secret", "apps/web/tmp/x",
	    "apps/web/src/secret", "apps/web/.gitignore=*.bak\n", "apps/web/z.bak" } },
	{ "dotfiles and trailing star", NULL,
	  { ".gitignore=.*\n!.gitignore\ndata/*\n!data/*.csv\n", ".env", ".gitignore", "data/a",
	    "data/b.csv", "data/x/c.csv" } },
};

static void make_tree(const char *root, const char *const *tree)
{
	tu_sh_ok("mkdir -p '%s' && git init -q '%s'", root, root);
	for (size_t i = 0; i < 24 && tree[i]; i++) {
		const char *s = tree[i], *eq = strchr(s, '='), *gt = strchr(s, '>');
		struct ab_buf p = AB_BUF_INIT;
		size_t n = eq ? (size_t)(eq - s) : gt ? (size_t)(gt - s) : strlen(s);
		ab_buf_addf(&p, "%s/%.*s", root, (int)n, s);
		char *slash = strrchr(p.buf, '/');
		*slash = 0;
		tu_sh_ok("mkdir -p '%s'", p.buf);
		*slash = '/';
		if (gt) {
			assert_int_equal(symlink(gt + 1, p.buf), 0);
		} else if (p.buf[p.len - 1] == '/') {
			tu_sh_ok("mkdir -p '%s'", p.buf);
		} else {
			FILE *f = fopen(p.buf, "wb");
			assert_non_null(f);
			if (eq)
				fputs(eq + 1, f);
			fclose(f);
		}
		ab_buf_release(&p);
	}
}

/* Walk dir as bundle_copy_app does; "1 path" / "0 path" lines (paths
 * relative to `rel0`) appended to out, sorted by the caller. */
static void walk(struct ignore *ig, struct ab_buf *path, size_t rel0, bool excluded,
		 struct ab_buf *out)
{
	DIR *d = opendir(path->buf);
	assert_non_null(d);
	size_t l = path->len;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, ".git"))
			continue;
		ab_buf_truncate(path, l);
		ab_buf_addf(path, "/%s", e->d_name);
		struct ab_err err = AB_ERR_INIT;
		int ex = excluded;
		if (!ex)
			ex = ignore_match(ig, path->buf, e->d_type, &err);
		if (ex < 0)
			fail_msg("%s: %s", path->buf, err.msg.buf);
		ab_buf_addf(out, "%d %s\n", ex, path->buf + rel0);
		struct stat st;
		if (lstat(path->buf, &st) == 0 && S_ISDIR(st.st_mode))
			walk(ig, path, rel0, ex, out);
	}
	closedir(d);
	ab_buf_truncate(path, l);
}

static void sort_lines(struct ab_buf *b)
{
	struct ab_buf o = AB_BUF_INIT;
	TU_RUN_OK(&o, "printf '%%s' '%s' | LC_ALL=C sort -k2", b->buf);
	ab_buf_reset(b);
	ab_buf_addstr(b, ab_buf_str(&o));
	ab_buf_release(&o);
}

static void against_git(void **state)
{
	for (size_t c = 0; c < AB_ARRAY_SIZE(git_cases); c++) {
		const struct tcase *tc = &git_cases[c];
		struct ab_buf root = AB_BUF_INIT, app = AB_BUF_INIT, ours = AB_BUF_INIT;
		struct ab_buf git = AB_BUF_INIT, f = AB_BUF_INIT;
		ab_buf_addf(&root, "%s/case%zu", tmp, c);
		make_tree(root.buf, tc->tree);
		ab_buf_addf(&app, "%s%s%s", root.buf, tc->walk ? "/" : "", tc->walk ? tc->walk : "");
		struct ignore *ig = ignore_new(app.buf);
		walk(ig, &app, root.len + 1, false, &ours);
		ignore_free(ig);
		sort_lines(&ours);
		/* git's answer for every path the walk saw */
		ab_buf_addf(&f, "%s.paths", root.buf);
		FILE *fp = fopen(f.buf, "wb");
		assert_non_null(fp);
		for (const char *p = ours.buf; *p;) {
			const char *nl = strchr(p, '\n');
			fprintf(fp, "%.*s%c", (int)(nl - p - 2), p + 2, 0);
			p = nl + 1;
		}
		fclose(fp);
		TU_RUN_OK(&git,
			  "cd '%s' && git -c core.excludesFile=/dev/null check-ignore --no-index "
			  "--stdin -z <'%s' | tr '\\0' '\\n' >'%s.git'; "
			  "tr '\\0' '\\n' <'%s' | while IFS= read -r p; do "
			  "if grep -qxF -- \"$p\" '%s.git'; then echo \"1 $p\"; else echo \"0 $p\"; fi; "
			  "done | LC_ALL=C sort -k2",
			  root.buf, f.buf, f.buf, f.buf, f.buf);
		if (strcmp(ours.buf, git.buf))
			fail_msg("case '%s': appbuild (first) and git differ:\n%s---\n%s", tc->name,
				 ours.buf, git.buf);
		ab_buf_release(&root);
		ab_buf_release(&app);
		ab_buf_release(&ours);
		ab_buf_release(&git);
		ab_buf_release(&f);
	}
}

/* .appbuildignore: consulted before .gitignore, same syntax. Expected
 * answers by hand ("1 path": excluded). */
static void appbuildignore(void **state)
{
	static const struct {
		const char *tree[12];
		const char *want;
	} cases[] = {
		{ { ".gitignore=static/dist/\n*.log\nsecret\n", ".appbuildignore=!static/dist/\nsecret.*\n",
		    "static/dist/app.js", "a.log", "secret", "secret.key", "ok.py" },
		  "1 a.log\n0 ok.py\n1 secret\n1 secret.key\n0 static\n0 static/dist\n"
		  "0 static/dist/app.js\n" },
		/* a top-level .appbuildignore beats a deeper .gitignore */
		{ { ".appbuildignore=!*.mo\ntests/\n", "l/.gitignore=*.mo\n", "l/fr.mo", "tests/t.py",
		    "l/.appbuildignore=/de.mo\n", "l/de.mo" },
		  "0 l\n1 l/de.mo\n0 l/fr.mo\n1 tests\n1 tests/t.py\n" },
		/* the app's own files are kept whatever the files say; a directory
		 * stays excluded */
		{ { ".gitignore=*\n!.gitignore\n", ".appbuildignore=!vendor/a\n",
		    "dependencies.lock", "dependencies.txt", "external-dependencies.txt",
		    "appbuild.yaml", "bin/wsgiapp", "bin/other", "vendor/a", "sub/dependencies.lock" },
		  "0 appbuild.yaml\n0 bin\n1 bin/other\n0 bin/wsgiapp\n0 dependencies.lock\n"
		  "0 dependencies.txt\n0 external-dependencies.txt\n1 sub\n1 sub/dependencies.lock\n"
		  "1 vendor\n1 vendor/a\n" },
	};
	for (size_t c = 0; c < AB_ARRAY_SIZE(cases); c++) {
		struct ab_buf root = AB_BUF_INIT, ours = AB_BUF_INIT, got = AB_BUF_INIT;
		ab_buf_addf(&root, "%s/abi%zu", tmp, c);
		make_tree(root.buf, cases[c].tree);
		struct ignore *ig = ignore_new(root.buf);
		walk(ig, &root, root.len + 1, false, &ours);
		ignore_free(ig);
		sort_lines(&ours);
		/* the pattern files themselves are not part of the expectation */
		for (const char *p = ours.buf; *p;) {
			const char *nl = strchr(p, '\n');
			struct ab_str line = ab_str_make(p, (size_t)(nl - p));
			if (!ab_str_endswith(line, ".gitignore") &&
			    !ab_str_endswith(line, ".appbuildignore"))
				ab_buf_add(&got, p, line.len + 1);
			p = nl + 1;
		}
		assert_string_equal(got.buf, cases[c].want);
		ab_buf_release(&root);
		ab_buf_release(&ours);
		ab_buf_release(&got);
	}
}

/* The in-memory API: lists added in order, paths checked directly. */
static void in_memory(void **state)
{
	static const struct {
		enum ignore_group g;
		const char *dir, *text;
	} lists[] = {
		{ IGNORE_GIT, "", "*.o\n/only-top\nd/\n" },
		{ IGNORE_GIT, "src", "!keep.o\ngen/**\n" },
		{ IGNORE_APPBUILD, "", "!d/\nsrc/x.o\n" },
	};
	static const struct {
		const char *path;
		bool dir, want;
	} checks[] = {
		{ "a.o", false, true },	       { "src/keep.o", false, false },
		{ "src/x.o", false, true },    { "only-top", false, true },
		{ "s/only-top", false, false }, { "d", true, false },
		{ "d", false, false },	       { "x/d", true, false },
		{ "src/gen/a", false, true },  { "src/gen", true, false },
		{ "gen/a", false, false },     { "src/lib/a.o", false, true },
	};
	struct ignore *ig = ignore_new(NULL);
	for (size_t i = 0; i < AB_ARRAY_SIZE(lists); i++)
		ignore_add(ig, lists[i].g, lists[i].dir, ab_str_from(lists[i].text));
	for (size_t i = 0; i < AB_ARRAY_SIZE(checks); i++)
		if (ignore_check(ig, checks[i].path, checks[i].dir) != checks[i].want)
			fail_msg("'%s'%s: expected %s", checks[i].path, checks[i].dir ? " (dir)" : "",
				 checks[i].want ? "excluded" : "kept");
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(ignore_match(ig, "/x/y", DT_REG, &err), -AB_E_INTERNAL);
	ab_err_release(&err);
	ignore_free(ig);
	ignore_free(NULL);
}

static void errors(void **state)
{
	struct ab_buf root = AB_BUF_INIT, p = AB_BUF_INIT;
	struct ab_err err = AB_ERR_INIT;
	ab_buf_addf(&root, "%s/err", tmp);
	tu_sh_ok("mkdir -p '%s/sub/.gitignore' '%s/l' && cd '%s' && echo x > real && "
		 "ln -s ../real l/.gitignore && touch sub/f l/f",
		 root.buf, root.buf, root.buf);
	struct ignore *ig = ignore_new(root.buf);
	/* a directory named .gitignore is no pattern file */
	ab_buf_addf(&p, "%s/sub/f", root.buf);
	assert_int_equal(ignore_match(ig, p.buf, DT_REG, &err), 0);
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/l/f", root.buf);
	assert_int_equal(ignore_match(ig, p.buf, DT_REG, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf, "is a symbolic link: git does not read those, so its "
					 "patterns would not apply (make it a regular file)");
	assert_non_null(strstr(err.file, "/l/.gitignore"));
	ab_err_release(&err);
	ignore_free(ig);
	if (geteuid() != 0) {
		tu_sh_ok("rm '%s/l/.gitignore' && echo x > '%s/l/.gitignore' && "
			 "chmod 000 '%s/l/.gitignore'",
			 root.buf, root.buf, root.buf);
		ig = ignore_new(root.buf);
		assert_int_equal(ignore_match(ig, p.buf, DT_REG, &err), -AB_E_IO);
		assert_non_null(strstr(err.msg.buf, "cannot open: "));
		ab_err_release(&err);
		ignore_free(ig);
		tu_sh_ok("chmod 644 '%s/l/.gitignore'", root.buf);
	}
	ab_buf_release(&root);
	ab_buf_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(against_git),
		cmocka_unit_test(appbuildignore),
		cmocka_unit_test(in_memory),
		cmocka_unit_test(errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
