/* bundle_test.c - the relocation test: pyindex wheels and an example app
 * staged, byte-compiled and packed; unpacked under another path the
 * environment runs, and no file (.pyc included) holds the build path. Also
 * SOURCE_DATE_EPOCH and the app copy's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/bundle.h"
#include "builder/install.h"
#include "tests/unit/testutil.h"

static char *tmp;

static int setup(void **state)
{
	tmp = tu_mkdtemp("bundle_test.");
	return 0;
}

static int teardown(void **state)
{
	tu_rmrf(tmp);
	tmp = NULL;
	return 0;
}

static void relocation(void **state)
{
	static const char *const files[] = {
		"flask-2.2.2-py3-none-any.whl",	 "click-8.1.3-py3-none-any.whl",
		"itsdangerous-2.1.2-py3-none-any.whl", "jinja2-3.1.2-py3-none-any.whl",
		"werkzeug-2.2.2-py3-none-any.whl", "markupsafe-2.1.2-cp311-cp311-linux_x86_64.whl",
	};
	char stage[512], app[600], out[600], paths[6][512];
	struct install_wheel w[6];
	struct interp py;
	struct ab_err err = AB_ERR_INIT;
	if (interp_query(NULL, &py, &err) < 0)
		fail_msg("%s", err.msg.buf);
	if (py.minor != 11) {
		interp_release(&py);
		skip(); /* the pyindex wheels are built for CPython 3.11 */
	}
	snprintf(stage, sizeof(stage), "%s/build-dir-marker/stage", tmp);
	snprintf(app, sizeof(app), "%s/app", stage);
	snprintf(out, sizeof(out), "%s/hello-1.0.tar.zst", tmp);
	for (size_t i = 0; i < 6; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/pyindex/files/%s", tu_shared(), files[i]);
		w[i] = (struct install_wheel){ paths[i], NULL, i == 0, NULL };
	}
	struct install_opts o = { &py, stage, 0, NULL, NULL };
	int64_t mtime;
	if (install_env_create(&o, &err) < 0 || install_wheels(&o, w, 6, &err) < 0 ||
	    bundle_copy_app("examples/flask-hello", app, &err) < 0 || install_compile(&o, &err) < 0 ||
	    bundle_source_time("examples/flask-hello", &mtime, &err) < 0 ||
	    bundle_pack(stage, out, "hello-1.0", -1, mtime, NULL, NULL, NULL, 0, NULL, &err) < 0)
		fail_msg("%s: %s", err.file ? err.file : "", err.msg.buf);
	/* unpack somewhere else; the build tree is gone */
	tu_sh_ok("rm -rf '%s/build-dir-marker' && mkdir -p '%s/elsewhere/deploy' && "
		 "tar -C '%s/elsewhere/deploy' -xf '%s'",
		 tmp, tmp, tmp, out);
	tu_sh_ok("cd '%s/elsewhere/deploy/hello-1.0' && bin/python3 -c 'import flask, markupsafe._speedups' && "
		 "bin/flask --version >/dev/null && test -f app/bin/wsgiapp",
		 tmp);
	/* the .pyc files are used as they are (unchecked-hash) */
	tu_sh_ok("cd '%s/elsewhere/deploy/hello-1.0' && "
		 "test -n \"$(find lib -name 'app.cpython-*.pyc' -path '*flask*')\"",
		 tmp);
	tu_sh_ok("! grep -r -a -l -F 'build-dir-marker' '%s/elsewhere'", tmp);
	interp_release(&py);
	ab_err_release(&err);
}

static void source_time(void **state)
{
	int64_t t = -1;
	struct ab_err err = AB_ERR_INIT;
	setenv("SOURCE_DATE_EPOCH", "1234567890", 1);
	assert_int_equal(bundle_source_time(tmp, &t, &err), 0);
	assert_int_equal(t, 1234567890);
	setenv("SOURCE_DATE_EPOCH", "12x", 1);
	assert_int_equal(bundle_source_time(tmp, &t, &err), -AB_E_USAGE);
	assert_string_equal(err.msg.buf, "SOURCE_DATE_EPOCH '12x' is not a number of seconds");
	ab_err_clear(&err);
	unsetenv("SOURCE_DATE_EPOCH");
	/* not in git: 0; in git: the commit's time */
	assert_int_equal(bundle_source_time(tmp, &t, &err), 0);
	assert_int_equal(t, 0);
	tu_sh_ok("cd '%s' && mkdir repo && cd repo && git init -q && "
		 "GIT_COMMITTER_DATE='@1500000000 +0000' git -c user.name=t -c user.email=t@t "
		 "commit -q --allow-empty -m x",
		 tmp);
	char repo[512];
	snprintf(repo, sizeof(repo), "%s/repo", tmp);
	assert_int_equal(bundle_source_time(repo, &t, &err), 0);
	assert_int_equal(t, 1500000000);
	ab_err_release(&err);
}

static void copy_app(void **state)
{
	char src[512], dst[512];
	struct ab_err err = AB_ERR_INIT;
	snprintf(src, sizeof(src), "%s/src", tmp);
	snprintf(dst, sizeof(dst), "%s/dst", tmp);
	tu_sh_ok("mkdir -p '%s/.git/x' '%s/pkg/__pycache__' '%s/dist' '%s/sub/dist' && cd '%s' && "
		 "echo a > pkg/a.py && echo c > pkg/__pycache__/a.pyc && echo d > dist/x && "
		 "echo s > sub/dist/kept && ln -s ../pkg/a.py sub/link && echo g > .git/x/y",
		 src, src, src, src, src);
	assert_int_equal(bundle_copy_app(src, dst, &err), 0);
	tu_sh_ok("cd '%s' && test -f pkg/a.py && test ! -e pkg/__pycache__ && test ! -e dist && "
		 "test ! -e .git && test -f sub/dist/kept && test \"$(cat sub/link)\" = a",
		 dst);
	tu_sh_ok("ln -s ../../etc '%s/sub/out' && rm -rf '%s'", src, dst);
	assert_int_equal(bundle_copy_app(src, dst, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf, "symbolic link to '../../etc' points outside the app");
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(relocation),
		cmocka_unit_test(source_time),
		cmocka_unit_test(copy_app),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
