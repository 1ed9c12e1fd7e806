/* directref_test.c - direct references read from requirements lines (every
 * form, errors with their columns), the URL a lock writes, and the lock's
 * direct entries written in both formats and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/directref.h"
#include "builder/lock.h"
#include "formats/core/mem.h"
#include "tests/unit/testutil.h"

static char *dir; /* a temporary tree: DIR/proj (a project), DIR/x-1.0.tar.gz */

static int setup(void **state)
{
	dir = tu_mkdtemp("directref-");
	struct ab_buf o = AB_BUF_INIT;
	int r = tu_run(&o, "mkdir -p %s/proj %s/req && touch %s/proj/pyproject.toml "
			   "%s/x-1.0.tar.gz %s/req/y-2.0-py3-none-any.whl",
		       dir, dir, dir, dir, dir);
	ab_buf_release(&o);
	return r;
}

static int teardown(void **state)
{
	tu_rmrf(dir);
	return 0;
}

/* Parse `text` as one requirements file line, in DIR/req/deps.txt. */
static int parse1(const char *text, struct directref *d, struct ab_err *err)
{
	struct reqfile rf = REQFILE_INIT;
	struct ab_buf name = AB_BUF_INIT, base = AB_BUF_INIT;
	ab_buf_addf(&name, "%s/req/deps.txt", dir);
	ab_buf_addf(&base, "%s/req", dir);
	struct ab_err e = AB_ERR_INIT;
	int r = reqfile_parse_buffer(&rf, name.buf, ab_str_from(text), NULL, &e);
	assert_int_equal(r, 0);
	ab_err_release(&e);
	assert_true(rf.nlines >= 1);
	assert_true(directref_is(&rf.lines[rf.nlines - 1]));
	r = directref_parse(&rf.lines[rf.nlines - 1], base.buf, d, err);
	/* the line's strings live in rf: copy what the tests look at */
	d->file = NULL;
	d->text = NULL;
	d->marker = NULL;
	reqfile_release(&rf);
	ab_buf_release(&name);
	ab_buf_release(&base);
	return r;
}

static void test_forms(void **state)
{
	struct {
		const char *line;
		enum directref_kind kind;
		const char *name, *url_fmt, *sha, *sub, *extras;
		bool editable;
	} cases[] = {
		{ "y @ https://h/p/y-2.0-py3-none-any.whl", DIRECTREF_WHEEL, "y",
		  "https://h/p/y-2.0-py3-none-any.whl", NULL, NULL, "", false },
		{ "Y_Y[B,a] @ https://h/y-2.0-py3-none-any.whl#sha256=ABCDEF0123456789abcdef0123456789"
		  "abcdef0123456789abcdef0123456789",
		  DIRECTREF_WHEEL, "y-y", "https://h/y-2.0-py3-none-any.whl",
		  "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", NULL, "a,b",
		  false },
		{ "https://h/x-1.0.tar.gz#egg=x&subdirectory=sub/p", DIRECTREF_SDIST, "x",
		  "https://h/x-1.0.tar.gz", NULL, "sub/p", "", false },
		{ "../proj", DIRECTREF_DIR, NULL, "file://%s/proj", NULL, NULL, "", false },
		{ "./y-2.0-py3-none-any.whl", DIRECTREF_WHEEL, NULL,
		  "file://%s/req/y-2.0-py3-none-any.whl", NULL, NULL, "", false },
		{ "../proj[extra1]", DIRECTREF_DIR, NULL, "file://%s/proj", NULL, NULL, "extra1",
		  false },
		{ "-e ../proj", DIRECTREF_DIR, NULL, "file://%s/proj", NULL, NULL, "", true },
		{ "p @ file://localhost%s/proj", DIRECTREF_DIR, "p", "file://%s/proj", NULL, NULL, "",
		  false },
		{ "x @ file://%s/x-1.0.tar.gz --hash=sha256:"
		  "00000000000000000000000000000000000000000000000000000000000000AA",
		  DIRECTREF_SDIST, "x", "file://%s/x-1.0.tar.gz",
		  "00000000000000000000000000000000000000000000000000000000000000aa", NULL, "", false },
		{ "git+https://u@h/o/r.git@v1#egg=R_r&subdirectory=pkg", DIRECTREF_VCS, "r-r",
		  "git+https://u@h/o/r.git", NULL, "pkg", "", false },
		{ "r @ git+ssh://git@h/o/r@0123abcd", DIRECTREF_VCS, "r", "git+ssh://git@h/o/r", NULL,
		  NULL, "", false },
		{ "-e git+file:///srv/r#egg=r", DIRECTREF_VCS, "r", "git+file:///srv/r", NULL, NULL,
		  "", true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct ab_buf line = AB_BUF_INIT, url = AB_BUF_INIT, ex = AB_BUF_INIT;
		ab_buf_addf(&line, cases[i].line, dir);
		ab_buf_addf(&url, cases[i].url_fmt, dir);
		struct directref d;
		struct ab_err err = AB_ERR_INIT;
		int r = parse1(line.buf, &d, &err);
		if (r < 0)
			fail_msg("%s: %s", line.buf, err.msg.buf);
		assert_int_equal(d.kind, cases[i].kind);
		if (cases[i].name)
			assert_string_equal(d.name, cases[i].name);
		else
			assert_null(d.name);
		assert_string_equal(d.url, url.buf);
		if (cases[i].sha)
			assert_string_equal(d.sha256, cases[i].sha);
		else
			assert_null(d.sha256);
		if (cases[i].sub)
			assert_string_equal(d.subdirectory, cases[i].sub);
		else
			assert_null(d.subdirectory);
		for (size_t k = 0; k < d.nextras; k++)
			ab_buf_addf(&ex, "%s%s", k ? "," : "", d.extras[k]);
		assert_string_equal(ex.buf, cases[i].extras);
		assert_int_equal(d.editable, cases[i].editable);
		directref_release(&d);
		ab_err_release(&err);
		ab_buf_release(&line);
		ab_buf_release(&url);
		ab_buf_release(&ex);
	}
}

static void test_errors(void **state)
{
	struct {
		const char *line;
		int code;
		unsigned col;
		const char *msg;
	} cases[] = {
		{ "hg+https://h/r#egg=x", AB_E_UNSUPPORTED, 1,
		  "version control scheme 'hg+https' is not supported: only git is" },
		{ "  x @ svn+ssh://h/r", AB_E_UNSUPPORTED, 3,
		  "version control scheme 'svn+ssh' is not supported: only git is" },
		{ "bzr+lp:project#egg=x", AB_E_UNSUPPORTED, 1,
		  "version control scheme 'bzr+lp' is not supported: only git is" },
		{ "x @ ftp://h/x-1.0.tar.gz", AB_E_UNSUPPORTED, 1,
		  "URL scheme 'ftp' is not supported in 'ftp://h/x-1.0.tar.gz'" },
		{ "x @ https://h/x-1.0.exe", AB_E_UNSUPPORTED, 1,
		  "'https://h/x-1.0.exe' is neither a wheel nor an sdist archive" },
		{ "x @ https://h/x-1.0.tar.gz#sha256=abc", AB_E_PARSE, 1,
		  "'#sha256=abc' is not a sha256 digest" },
		{ "x @ https://h/x-1.0.tar.gz#subdirectory=../up", AB_E_PARSE, 1,
		  "subdirectory '../up' must be a relative path inside the project" },
		{ "x @ file://otherhost/x-1.0.tar.gz", AB_E_UNSUPPORTED, 1,
		  "'file://otherhost/x-1.0.tar.gz': file URLs on another host are not supported" },
		{ "./nothere", AB_E_IO, 1, NULL },
		{ "-e ./y-2.0-py3-none-any.whl", AB_E_INVALID, 4,
		  "'./y-2.0-py3-none-any.whl' cannot be editable: only a project directory or a git "
		  "URL can be" },
		{ "r @ git+https://h/r@#egg=r", AB_E_PARSE, 1,
		  "the URL 'git+https://h/r@#egg=r' has an empty revision after '@'" },
		{ "r @ git+https://h/r --hash=sha256:"
		  "00000000000000000000000000000000000000000000000000000000000000aa",
		  AB_E_INVALID, 1, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct directref d;
		struct ab_err err = AB_ERR_INIT;
		int r = parse1(cases[i].line, &d, &err);
		if (r != -cases[i].code)
			fail_msg("%s: got %d (%s)", cases[i].line, r, err.msg.buf);
		assert_int_equal(err.line, 1);
		assert_int_equal(err.col, cases[i].col);
		if (cases[i].msg)
			assert_string_equal(err.msg.buf, cases[i].msg);
		directref_release(&d);
		ab_err_release(&err);
	}
}

static void test_lock_url(void **state)
{
	struct directref d;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(parse1("git+https://h/r.git@main#egg=r&subdirectory=a/b", &d, &err), 0);
	struct ab_buf b = AB_BUF_INIT;
	directref_lock_url(&d, &b);
	assert_string_equal(b.buf, "git+https://h/r.git#subdirectory=a/b");
	memcpy(d.commit, "0123456789012345678901234567890123456789", 41);
	ab_buf_reset(&b);
	directref_lock_url(&d, &b);
	assert_string_equal(b.buf,
			    "git+https://h/r.git@0123456789012345678901234567890123456789"
			    "#subdirectory=a/b");
	ab_buf_release(&b);
	directref_release(&d);
	ab_err_release(&err);
}

/* The lock's direct entries: written in both formats, read back as pins. */
static void test_lock_direct(void **state)
{
	static const struct lock_direct dv = { "r",
					       LOCK_DIRECT_VCS,
					       "git+https://h/r@0123456789012345678901234567890123456789",
					       "https://h/r",
					       "0123456789012345678901234567890123456789",
					       "main",
					       NULL,
					       NULL,
					       NULL,
					       NULL,
					       -1,
					       false,
					       false };
	static const struct lock_direct da = {
		"w", LOCK_DIRECT_ARCHIVE, "https://h/w-1.0-py3-none-any.whl", NULL, NULL, NULL, NULL,
		NULL, "w-1.0-py3-none-any.whl", "ab", 12, true, false
	};
	static const struct lock_direct dd = { "e",  LOCK_DIRECT_DIR, "file:///src/e", NULL,
					       NULL, NULL, NULL, "/src/e", NULL, NULL, -1,
					       false, true };
	static struct lock_file wf = { "w-1.0-py3-none-any.whl", "https://h/w-1.0-py3-none-any.whl",
				       "ab", 12, true };
	static const char *via[] = { "-r dependencies.txt" };
	struct lock_pkg pk[] = {
		{ "e", "3", NULL, NULL, 0, via, 1, &dd },
		{ "r", "1.0", NULL, NULL, 0, via, 1, &dv },
		{ "w", "1.0", NULL, &wf, 1, via, 1, &da },
	};
	struct lock l = LOCK_INIT;
	l.target = "t";
	l.environment = "e";
	memset(l.digest, '0', 64);
	l.pkgs = pk;
	l.n = 3;
	struct ab_buf b = AB_BUF_INIT;
	lock_format(&l, LOCK_REQUIREMENTS, "dependencies.lock", &b);
	const char *body = strstr(b.buf, "\n\n") + 2;
	assert_string_equal(body, "-e file:///src/e#egg=e\n"
				  "    # via -r dependencies.txt\n"
				  "r @ git+https://h/r@0123456789012345678901234567890123456789\n"
				  "    # via -r dependencies.txt\n"
				  "w @ https://h/w-1.0-py3-none-any.whl \\\n"
				  "    --hash=sha256:ab\n"
				  "    # via -r dependencies.txt\n");
	struct lock_pins p;
	lock_read(ab_buf_str(&b), &p);
	assert_int_equal(p.ndirect, 3);
	assert_string_equal(p.direct[0].url, "file:///src/e#egg=e");
	assert_string_equal(p.direct[1].url,
			    "git+https://h/r@0123456789012345678901234567890123456789");
	assert_null(p.direct[1].sha256);
	assert_string_equal(p.direct[2].url, "https://h/w-1.0-py3-none-any.whl");
	assert_string_equal(p.direct[2].sha256, "ab");
	lock_pins_release(&p);

	ab_buf_reset(&b);
	lock_format(&l, LOCK_PYLOCK, "pylock.toml", &b);
	body = strstr(b.buf, "[[packages]]");
	assert_string_equal(
		body,
		"[[packages]]\nname = \"e\"\n"
		"directory = { path = \"/src/e\", editable = true }\n\n"
		"[[packages]]\nname = \"r\"\n"
		"vcs = { type = \"git\", url = \"https://h/r\", requested-revision = \"main\", "
		"commit-id = \"0123456789012345678901234567890123456789\" }\n\n"
		"[[packages]]\nname = \"w\"\nversion = \"1.0\"\n"
		"archive = { url = \"https://h/w-1.0-py3-none-any.whl\", size = 12, hashes = { "
		"sha256 = \"ab\" } }\n");
	lock_read(ab_buf_str(&b), &p);
	assert_int_equal(p.ndirect, 2);
	assert_string_equal(p.direct[0].url,
			    "git+https://h/r@0123456789012345678901234567890123456789");
	assert_string_equal(p.direct[1].url, "https://h/w-1.0-py3-none-any.whl");
	assert_string_equal(p.direct[1].sha256, "ab");
	/* the archive keeps its version as a pin; source trees have none */
	assert_int_equal(p.n, 1);
	assert_string_equal(p.pins[0].name, "w");
	lock_pins_release(&p);
	ab_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_lock_url),
		cmocka_unit_test(test_lock_direct),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
