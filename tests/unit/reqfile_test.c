/* reqfile_test.c - pip requirements files: lines, options, finder, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/reqfile.h"

/* An in-memory tree: NULL-terminated {path, text} pairs. */
struct tree {
	const char *const *files;
};

static int mem_read(void *data, const char *path, struct ab_buf *out)
{
	const struct tree *t = data;
	for (size_t i = 0; t->files[i]; i += 2)
		if (!strcmp(t->files[i], path) && t->files[i + 1]) {
			ab_buf_adds(out, t->files[i + 1]);
			return 0;
		}
	return ENOENT;
}

static bool mem_exists(void *data, const char *path)
{
	return !strcmp(path, "/app/wheels");
}

static const char *mem_getenv(void *data, const char *name)
{
	if (!strcmp(name, "TOKEN"))
		return "s3cr3t";
	if (!strcmp(name, "EMPTY"))
		return "";
	if (!strcmp(name, "SELF"))
		return "${TOKEN}";
	return NULL;
}

static int parse(struct reqfile *rf, const char *const *files, unsigned flags, struct ab_err *err)
{
	static struct tree t;
	static struct reqfile_io io = { mem_read, mem_exists, &t };
	t.files = files;
	struct reqfile_config cfg = { 0 };
	cfg.io = &io;
	cfg.getenv = mem_getenv;
	cfg.cwd = "/app";
	cfg.flags = flags;
	return reqfile_parse_file(rf, files[0], &cfg, err);
}

/* "lineno:col kind 'requirement'" per line, '|'-separated */
static void summary(const struct reqfile *rf, struct ab_buf *out)
{
	static const char kinds[] = { 'R', 'E', 'O' };
	for (size_t i = 0; i < rf->nlines; i++) {
		const struct reqfile_line *l = &rf->lines[i];
		ab_buf_addf(out, "%s%s:%u:%u %c", i ? "|" : "", l->file, l->lineno, l->col,
			    kinds[l->kind]);
		if (l->requirement)
			ab_buf_addf(out, " '%s'", l->requirement);
		if (l->constraint)
			ab_buf_adds(out, " c");
	}
}

static const struct {
	const char *files[9];
	const char *want;
} ok_cases[] = {
	{ { "req.txt", "flask>=2\n\n# c\n  requests  # x\n" },
	  "req.txt:1:1 R 'flask>=2'|req.txt:4:3 R 'requests'" },
	/* continuation, into a comment, at EOF; the line keeps the first number */
	{ { "req.txt", "a \\\n  >=1\nb \\\n# c\nc \\" },
	  "req.txt:1:1 R 'a   >=1'|req.txt:3:1 R 'b'|req.txt:5:1 R 'c'" },
	/* CRLF, BOM, lone CR, form feed and U+2028 are line breaks */
	{ { "req.txt", "\xef\xbb\xbf"
		       "a\r\nb\rc\fd\xe2\x80\xa8"
		       "e" },
	  "req.txt:1:1 R 'a'|req.txt:2:1 R 'b'|req.txt:3:1 R 'c'|req.txt:4:1 R 'd'|"
	  "req.txt:5:1 R 'e'" },
	/* '#' not after whitespace is kept; NBSP counts as whitespace */
	{ { "req.txt", "a#b\nc\xc2\xa0#d\n" }, "req.txt:1:1 R 'a#b'|req.txt:2:1 R 'c'" },
	/* the requirement ends before the first space-separated '-' token */
	{ { "req.txt", "foo  --hash=sha256:ab\nbar\t--pre\n--pre baz\n" },
	  "req.txt:1:1 R 'foo '|req.txt:2:1 R 'bar\t--pre'|req.txt:3:1 O" },
	/* ${VAR}: only [A-Z0-9_], only set and non-empty; replaced in turn */
	{ { "req.txt", "a==${TOKEN}\nb==${EMPTY}\nc==${lower}\nd==${SELF}${TOKEN}\n" },
	  "req.txt:1:1 R 'a==s3cr3t'|req.txt:2:1 R 'b==${EMPTY}'|req.txt:3:1 R 'c==${lower}'|"
	  "req.txt:4:1 R 'd==s3cr3ts3cr3t'" },
	/* includes: relative to the including file, not listed themselves */
	{ { "req.txt", "-r sub/a.txt\nz\n", "sub/a.txt", "a\n-c ../c.txt\n", "sub/../c.txt",
	    "c<2\n" },
	  "sub/a.txt:1:1 R 'a'|sub/../c.txt:1:1 R 'c<2' c|req.txt:2:1 R 'z'" },
	/* -r on a requirement line is ignored; -r wins over -c */
	{ { "req.txt", "x -r nope.txt\n-c nope.txt -r b.txt\n", "b.txt", "b\n" },
	  "req.txt:1:1 R 'x'|b.txt:1:1 R 'b'" },
	/* editables: the first -e of the line, with its column */
	{ { "req.txt", "-e ./a -e ./b\n--editable=\"./c d\"\n" },
	  "req.txt:1:4 E './a'|req.txt:2:13 E './c d'" },
	/* shlex: quotes, escapes, empty tokens; "--" ends the options */
	{ { "req.txt", "-i 'a b'\n-i \"x\\\"y\"\n-i ''\n-- --frob\n" },
	  "req.txt:1:1 O|req.txt:2:1 O|req.txt:3:1 O|req.txt:4:1 O" },
};

static void ok_table(void **state)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(ok_cases); i++) {
		struct reqfile rf = REQFILE_INIT;
		struct ab_err err = AB_ERR_INIT;
		int r = parse(&rf, ok_cases[i].files, 0, &err);
		if (r < 0)
			fail_msg("case %zu: %s", i, err.msg.buf);
		struct ab_buf got = AB_BUF_INIT;
		summary(&rf, &got);
		if (strcmp(got.buf, ok_cases[i].want))
			fail_msg("case %zu:\n got  %s\n want %s", i, got.buf, ok_cases[i].want);
		ab_buf_release(&got);
		ab_err_release(&err);
		reqfile_release(&rf);
	}
}

static void options_and_finder(void **state)
{
	static const char *const files[] = {
		"req.txt",
		"--index-u https://a/simple --extra-index-url=https://b/simple\n"
		"-f wheels\n-f https://links/\n--trusted-host H.Example:8080 --trusted-host ::1\n"
		"--no-binary=:all: --only-binary Foo_Bar,baz\n--no-binary :none:\n"
		"--pre --prefer-binary --require-hashes --use-feature=fast-deps\n"
		"foo==1 --hash=sha256:aa --hash sha512:bb --global-option=-q --install-option x "
		"-C k=v -C k=w --pre -i https://ignored/\n",
		NULL,
	};
	struct reqfile rf = REQFILE_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(parse(&rf, files, 0, &err), 0);
	const struct reqfile_finder *f = &rf.finder;
	assert_int_equal(f->index_urls.n, 2);
	assert_string_equal(f->index_urls.v[0], "https://a/simple");
	assert_string_equal(f->index_urls.v[1], "https://b/simple");
	assert_int_equal(f->find_links.n, 2);
	assert_string_equal(f->find_links.v[0], "/app/wheels");
	assert_string_equal(f->find_links.v[1], "https://links/");
	assert_int_equal(f->ntrusted_hosts, 2);
	assert_string_equal(f->trusted_hosts[0].host, "h.example");
	assert_int_equal(f->trusted_hosts[0].port, 8080);
	assert_string_equal(f->trusted_hosts[1].host, "::1");
	assert_int_equal(f->trusted_hosts[1].port, -1);
	assert_int_equal(f->format_control.no_binary.n, 0);
	assert_int_equal(f->format_control.only_binary.n, 2);
	assert_string_equal(f->format_control.only_binary.v[0], "baz");
	assert_string_equal(f->format_control.only_binary.v[1], "foo-bar");
	assert_true(f->allow_all_prereleases && f->prefer_binary && f->require_hashes);
	assert_int_equal(f->features_enabled.n, 1);
	assert_false(f->no_index);

	const struct reqfile_line *l = &rf.lines[rf.nlines - 1];
	assert_int_equal(l->kind, REQFILE_REQUIREMENT);
	assert_string_equal(l->requirement, "foo==1");
	assert_int_equal(l->lineno, 8);
	assert_int_equal(l->opts.nhashes, 2);
	assert_string_equal(l->opts.hashes[1].algo, "sha512");
	assert_string_equal(l->opts.hashes[1].hex, "bb");
	assert_string_equal(l->opts.global_options.v[0], "-q");
	assert_string_equal(l->opts.install_options.v[0], "x");
	assert_int_equal(l->opts.nsettings, 2);
	assert_string_equal(l->opts.settings[1].value, "w");
	assert_string_equal(l->opts.index_url, "https://ignored/");
	struct ab_buf cf = AB_BUF_INIT;
	reqfile_comes_from(l, &cf);
	assert_string_equal(cf.buf, "-r req.txt (line 8)");
	ab_buf_release(&cf);
	ab_err_release(&err);
	reqfile_release(&rf);

	/* --no-index empties the index list and ignores later -i */
	static const char *const files2[] = { "r.txt", "--no-index\n-i https://x/\n", NULL };
	assert_int_equal(parse(&rf, files2, 0, &err), 0);
	assert_true(rf.finder.no_index);
	assert_int_equal(rf.finder.index_urls.n, 0);
	reqfile_release(&rf);
}

static void requirement_kinds(void **state)
{
	static const char *const files[] = {
		"r.txt",
		"git+https://g/x.git@v1#egg=x&subdirectory=s ; os_name == \"nt\"\n"
		"https://e/p-1.0-py3-none-any.whl\n./local\nfoo-1.0.tar.gz\n",
		NULL,
	};
	struct reqfile rf = REQFILE_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(parse(&rf, files, 0, &err), 0);
	assert_int_equal(rf.nlines, 4);
	assert_int_equal(rf.lines[0].req_kind, REQFILE_REQ_VCS);
	assert_string_equal(rf.lines[0].url, "git+https://g/x.git@v1#egg=x&subdirectory=s");
	assert_string_equal(rf.lines[0].egg, "x");
	assert_int_equal(rf.lines[1].req_kind, REQFILE_REQ_URL);
	assert_null(rf.lines[1].egg);
	assert_int_equal(rf.lines[2].req_kind, REQFILE_REQ_PATH);
	assert_int_equal(rf.lines[3].req_kind, REQFILE_REQ_PATH);
	reqfile_release(&rf);
	ab_err_release(&err);
}

static const struct {
	const char *files[7];
	unsigned flags;
	int code;
	const char *want; /* ab_err_format() */
} err_cases[] = {
	{ { "d.txt", "flask\n--frobnicate\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:2:1: error: no such option: '--frobnicate'" },
	{ { "d.txt", "  -x foo\n" }, 0, AB_E_PARSE, "d.txt:1:3: error: no such option: '-x'" },
	{ { "d.txt", "--target ./v\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:1: error: option '--target' is not allowed in a requirements file" },
	{ { "d.txt", "--re x\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:1: error: ambiguous option '--re' (could be '--require-hashes', "
	  "'--requirement')" },
	{ { "d.txt", "flask\n--index-url\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:2:1: error: option '--index-url' requires an argument" },
	{ { "d.txt", "--pre=yes\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:1: error: option '--pre' does not take a value" },
	{ { "d.txt", "foo==1.0 --hash=md5:0123\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:17: error: hash algorithm 'md5' is not allowed (allowed: sha256, sha384, "
	  "sha512)" },
	{ { "d.txt", "foo \\\n  --hash=abcd\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:2:10: error: invalid hash 'abcd': expected '--hash=<algorithm>:<hex digest>'" },
	{ { "d.txt", "foo --hash='sha256:aa\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:12: error: unbalanced single quote in options" },
	/* the last '\\' joins (nothing); the one before escapes nothing */
	{ { "d.txt", "foo --hash=x\\ \\\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:13: error: no character after '\\' in options" },
	{ { "d.txt", "--use-feature=warp\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:15: error: invalid choice 'warp' for '--use-feature' (choose from "
	  "'fast-deps', 'truststore', 'no-binary-enable-wheel-cache')" },
	{ { "d.txt", "--no-binary -x\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:13: error: '--no-binary' requires a list of project names, not '-x'" },
	{ { "d.txt", "x -C novalue\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:6: error: argument of '-C' must be KEY=VALUE, not 'novalue'" },
	{ { "d.txt", "--trusted-host h:http\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:1:1: error: invalid port in trusted host 'h:http'" },
	{ { "d.txt", "flask\n-r does-not-exist.txt\n" },
	  0,
	  AB_E_IO,
	  "d.txt:2:4: error: could not open requirements file 'does-not-exist.txt': no such "
	  "file or directory" },
	{ { "d.txt", "-r base.txt\n", "base.txt", "x\n\n-c nope.txt\n" },
	  0,
	  AB_E_IO,
	  "base.txt:3:4: error: could not open requirements file 'nope.txt': no such file or "
	  "directory" },
	{ { "d.txt", "-r a/b.txt\n", "a/b.txt", "--requirement=../d.txt\n", "a/../d.txt",
	    "-r a/b.txt\n" },
	  0,
	  AB_E_PARSE,
	  "a/b.txt:1:15: error: requirements files include each other: 'd.txt' -> 'a/b.txt' -> "
	  "'a/../d.txt'" },
	{ { "d.txt", "-r https://example.com/r.txt\n" },
	  0,
	  AB_E_UNSUPPORTED,
	  "d.txt:1:4: error: remote requirements file 'https://example.com/r.txt' is not "
	  "supported" },
	{ { "d.txt", "ok\nna\xefve\n" },
	  0,
	  AB_E_PARSE,
	  "d.txt:2:3: error: invalid UTF-8 byte 0xef" },
	{ { "d.txt", "\xff\xfe"
		     "a\0" },
	  0,
	  AB_E_UNSUPPORTED,
	  "d.txt:1:1: error: UTF-16 and UTF-32 requirements files are not supported" },
	{ { "d.txt", "# -*- coding: latin-1 -*-\nx\n" },
	  0,
	  AB_E_UNSUPPORTED,
	  "d.txt:1:15: error: encoding 'latin-1' is not supported (use UTF-8)" },
	{ { "missing.txt" },
	  0,
	  AB_E_IO,
	  "missing.txt: error: could not open requirements file: no such file or directory" },
	{ { "d.txt", "-r b.txt\n" },
	  REQFILE_NO_INCLUDES,
	  AB_E_PARSE,
	  "d.txt:1:4: error: includes ('-r'/'-c') are not allowed here" },
};

static void err_table(void **state)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(err_cases); i++) {
		const char *const *files = err_cases[i].files;
		struct reqfile rf = REQFILE_INIT;
		struct ab_err err = AB_ERR_INIT;
		int r = parse(&rf, files, err_cases[i].flags, &err);
		if (r >= 0)
			fail_msg("case %zu: accepted", i);
		struct ab_buf got = AB_BUF_INIT;
		ab_err_format(&err, &got);
		if (strcmp(got.buf, err_cases[i].want) || err.code != err_cases[i].code)
			fail_msg("case %zu:\n got  %s (%d)\n want %s (%d)", i, got.buf, err.code,
				 err_cases[i].want, err_cases[i].code);
		ab_buf_release(&got);
		ab_err_release(&err);
		reqfile_release(&rf);
	}
}

static void strict_requirements(void **state)
{
	static const char *const files[] = { "d.txt", "ok>=1\n  foo>=\n", NULL };
	struct reqfile rf = REQFILE_INIT;
	struct ab_err err = AB_ERR_INIT;
	/* pip's parser keeps an invalid requirement ... */
	assert_int_equal(parse(&rf, files, 0, &err), 0);
	assert_non_null(rf.lines[0].req);
	assert_null(rf.lines[1].req);
	reqfile_release(&rf);
	/* ... strict mode rejects it where it is */
	assert_int_equal(parse(&rf, files, REQFILE_STRICT, &err), -AB_E_PARSE);
	assert_string_equal(err.file, "d.txt");
	assert_int_equal(err.line, 2);
	assert_true(err.col >= 3);
	assert_non_null(strstr(err.msg.buf, "invalid requirement 'foo>='"));
	reqfile_release(&rf);
	ab_err_release(&err);
}

static void buffer_api(void **state)
{
	struct reqfile rf = REQFILE_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct reqfile_config cfg = { 0 };
	cfg.getenv = mem_getenv;
	cfg.cwd = "/nonexistent";
	cfg.constraint = true;
	assert_int_equal(
		reqfile_parse_buffer(&rf, "c.txt", AB_STR_LIT("a<2 # no NUL needed"), &cfg, &err),
		0);
	assert_int_equal(rf.nlines, 1);
	assert_true(rf.lines[0].constraint);
	struct ab_buf cf = AB_BUF_INIT;
	reqfile_comes_from(&rf.lines[0], &cf);
	assert_string_equal(cf.buf, "-c c.txt (line 1)");
	ab_buf_release(&cf);
	reqfile_release(&rf);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ok_table),
		cmocka_unit_test(options_and_finder),
		cmocka_unit_test(requirement_kinds),
		cmocka_unit_test(err_table),
		cmocka_unit_test(strict_requirements),
		cmocka_unit_test(buffer_api),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
