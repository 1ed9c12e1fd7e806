/* app_test.c - app_load(): defaults, paths in messages, every problem collected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/app.h"
#include "formats/core/mem.h"

struct tmp {
	char dir[PATH_MAX];
};

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *slash = strrchr(path, '/');
	*slash = 0;
	mkdir(path, 0755);
	*slash = '/';
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A fresh app directory named `name` under a temporary directory. */
static void make_app(struct tmp *t, const char *name)
{
	char base[] = "/tmp/app_test.XXXXXX";
	assert_non_null(mkdtemp(base));
	snprintf(t->dir, sizeof(t->dir), "%s/%s", base, name);
	assert_int_equal(mkdir(t->dir, 0755), 0);
}

static void remove_app(struct tmp *t)
{
	char cmd[PATH_MAX + 32];
	char *slash = strrchr(t->dir, '/');
	*slash = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static char *path_in(const struct tmp *t, const char *file)
{
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "%s/%s", t->dir, file);
	return ab_buf_detach(&b);
}

static void defaults(void **state)
{
	struct tmp t;
	make_app(&t, "My_Web.App");
	put(t.dir, "dependencies.txt", "flask==2.2.2\n-c c.txt\n");
	put(t.dir, "c.txt", "werkzeug<3\n");
	put(t.dir, "bin/wsgiapp", "import x\n\napplication = x.app\n");
	struct app app;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(app_load(t.dir, &app, NULL, &err), 0);
	assert_string_equal(app.name, "my-web-app");
	assert_string_equal(app.version, "0");
	assert_true(app.has_reqs);
	assert_false(app.has_config);
	assert_false(app.has_extdeps);
	assert_null(app.config_path);
	assert_null(app.extdeps_path);
	assert_int_equal(app.reqs.nlines, 2);
	assert_true(app.reqs.lines[1].constraint);
	assert_true(app.wsgi.found);
	assert_int_equal(app.wsgi.kind, PYSCAN_ASSIGN);
	assert_int_equal(app.wsgi.line, 3);
	char *p = path_in(&t, "bin/wsgiapp");
	assert_string_equal(app.wsgi_path, p);
	free(p);
	assert_int_equal(app.nproblems, 0);
	app_release(&app);
	remove_app(&t);
}

static void config_and_extdeps(void **state)
{
	struct tmp t;
	make_app(&t, "x");
	put(t.dir, "dependencies.txt", "");
	put(t.dir, "external-dependencies.txt", "libpq5 (>=15)\n");
	put(t.dir, "appbuild.yaml", "name: Real.Name\nversion: '1.0-1'\nprocesses: {web: run}\n");
	put(t.dir, "bin/wsgiapp", "def application(e, s):\n    pass\n");
	/* a trailing slash is dropped from the paths shown */
	char dir[PATH_MAX + 1];
	snprintf(dir, sizeof(dir), "%s/", t.dir);
	struct app app;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(app_load(dir, &app, NULL, &err), 0);
	assert_string_equal(app.dir, t.dir);
	assert_string_equal(app.name, "real-name");
	assert_string_equal(app.version, "1.0.post1");
	assert_int_equal(app.extdeps.n, 1);
	assert_string_equal(app.extdeps.entries[0].name, "libpq5");
	assert_int_equal(app.config.nprocesses, 1);
	assert_int_equal(app.wsgi.kind, PYSCAN_DEF);
	app_release(&app);
	remove_app(&t);
}

static void current_directory(void **state)
{
	struct tmp t;
	make_app(&t, "here");
	put(t.dir, "dependencies.txt", "flask==\n");
	put(t.dir, "bin/wsgiapp", "application = 1\n");
	char old[PATH_MAX];
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(t.dir), 0);
	struct app app;
	struct ab_err err = AB_ERR_INIT;
	int r = app_load(".", &app, NULL, &err);
	assert_int_equal(chdir(old), 0);
	assert_int_equal(r, -AB_E_PARSE);
	/* "." is not spelled out in paths; the name comes from the real directory */
	assert_string_equal(err.file, "dependencies.txt");
	assert_int_equal(err.line, 1);
	assert_string_equal(app.name, "here");
	assert_string_equal(app.deps_path, "dependencies.txt");
	ab_err_release(&err);
	app_release(&app);
	remove_app(&t);
}

static void every_problem(void **state)
{
	struct tmp t;
	make_app(&t, "broken");
	put(t.dir, "appbuild.yaml", "nmae: x\n");
	put(t.dir, "external-dependencies.txt", "ok\nbad (\n");
	/* no dependencies.txt, a wsgiapp without application */
	put(t.dir, "bin/wsgiapp", "app = 1\n");
	struct app app;
	struct ab_err err = AB_ERR_INIT;
	int r = app_load(t.dir, &app, NULL, &err);
	assert_int_equal(r, -AB_E_PARSE);
	assert_int_equal(app.nproblems, 4);
	char *p = path_in(&t, "appbuild.yaml");
	assert_string_equal(app.problems[0].file, p);
	assert_string_equal(app.problems[0].msg.buf, "unknown key 'nmae'");
	assert_string_equal(app.problems[0].notes.buf, "did you mean 'name'?");
	free(p);
	assert_int_equal(app.problems[1].code, AB_E_INVALID);
	assert_string_equal(app.problems[1].msg.buf, "required file is missing");
	assert_int_equal(app.problems[2].code, AB_E_PARSE);
	assert_int_equal(app.problems[2].line, 2);
	assert_int_equal(app.problems[3].code, AB_E_INVALID);
	assert_string_equal(app.problems[3].msg.buf, "no module-level 'application' is defined");
	/* err is the first problem, notes included */
	assert_int_equal(err.code, AB_E_PARSE);
	assert_string_equal(err.msg.buf, "unknown key 'nmae'");
	assert_string_equal(err.notes.buf, "did you mean 'name'?");
	assert_false(app.has_config);
	assert_false(app.has_reqs);
	ab_err_release(&err);
	app_release(&app);
	remove_app(&t);
}

static void bad_directory(void **state)
{
	struct app app;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(app_load("/nonexistent/app", &app, NULL, &err), -AB_E_IO);
	assert_string_equal(err.file, "/nonexistent/app");
	assert_string_equal(err.msg.buf, "cannot open app directory: no such file or directory");
	app_release(&app);
	ab_err_release(&err);

	assert_int_equal(app_load("/dev/null", &app, NULL, &err), -AB_E_IO);
	assert_string_equal(err.msg.buf, "not a directory");
	app_release(&app);
	ab_err_release(&err);
}

static void invalid_dir_name(void **state)
{
	struct tmp t;
	make_app(&t, "-odd name-");
	put(t.dir, "dependencies.txt", "");
	put(t.dir, "bin/wsgiapp", "application = 1\n");
	struct app app;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(app_load(t.dir, &app, NULL, &err), -AB_E_INVALID);
	assert_null(app.name);
	assert_string_equal(err.msg.buf,
			    "cannot use the directory name '-odd name-' as the app's name");
	ab_err_release(&err);
	app_release(&app);

	/* with a name in appbuild.yaml it is fine */
	put(t.dir, "appbuild.yaml", "name: odd\n");
	assert_int_equal(app_load(t.dir, &app, NULL, &err), 0);
	assert_string_equal(app.name, "odd");
	app_release(&app);
	remove_app(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(config_and_extdeps),
		cmocka_unit_test(current_directory),
		cmocka_unit_test(every_problem),
		cmocka_unit_test(bad_directory),
		cmocka_unit_test(invalid_dir_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
