/* app.c - load an app directory and collect what is wrong with it. */
#include "builder/app.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/mem.h"
#include "formats/names.h"

/* Source files and configuration are small; a cap keeps a stray device or
 * huge file from being slurped. */
#define MAX_TEXT_FILE (16u << 20)

/* strerror() in our message style: lowercase. */
#define ERRNO_FMT "%c%s"
#define ERRNO_ARG(e) tolower((unsigned char)strerror(e)[0]), strerror(e) + 1

static char *join(const char *dir, const char *file)
{
	struct ab_buf b = AB_BUF_INIT;
	if (strcmp(dir, ".") != 0)
		ab_buf_addf(&b, "%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/");
	ab_buf_adds(&b, file);
	return ab_buf_detach(&b);
}

static int read_text(const char *path, struct ab_buf *out, struct ab_err *err)
{
	struct ab_loc loc = { path, 0, 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return ab_err_at(err, AB_E_IO, &loc, "cannot open: " ERRNO_FMT, ERRNO_ARG(e));
	}
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = ab_err_at(err, AB_E_IO, &loc, "not a regular file");
		goto out;
	}
	ab_buf_init(out, MAX_TEXT_FILE);
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			r = ab_err_at(err, AB_E_IO, &loc, "cannot read: " ERRNO_FMT, ERRNO_ARG(e));
			break;
		}
		if (n == 0)
			break;
		if (ab_buf_add(out, chunk, (size_t)n) < 0) {
			r = ab_err_at(err, AB_E_IO, &loc, "larger than %u MiB", MAX_TEXT_FILE >> 20);
			break;
		}
	}
out:
	close(fd);
	return r;
}

/* Record a problem: the first error of one file. */
static void problem(struct app *app, struct ab_err *e)
{
	app->problems = ab_xrealloc(app->problems, (app->nproblems + 1) * sizeof(*app->problems));
	app->problems[app->nproblems++] = *e;
	ab_err_init(e);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int missing(struct ab_err *e, const char *path, const char *why)
{
	struct ab_loc loc = { path, 0, 0 };
	int r = ab_err_at(e, AB_E_INVALID, &loc, "required file is missing");
	ab_err_note(e, "%s", why);
	return r;
}

static void load_config(struct app *app)
{
	char *path = join(app->dir, APP_CONFIG_FILE);
	struct ab_err e = AB_ERR_INIT;
	struct ab_buf text = AB_BUF_INIT;
	if (!exists(path)) {
		free(path);
		return;
	}
	app->config_path = path;
	if (read_text(path, &text, &e) < 0 ||
	    appconfig_parse(ab_buf_str(&text), path, &app->config, &e) < 0)
		problem(app, &e);
	else
		app->has_config = true;
	ab_buf_release(&text);
}

static void load_deps(struct app *app, struct ab_out *log)
{
	struct ab_err e = AB_ERR_INIT;
	struct reqfile_config cfg = { .flags = REQFILE_STRICT, .out = log };
	app->deps_path = join(app->dir, APP_DEPS_FILE);
	if (!exists(app->deps_path)) {
		missing(&e, app->deps_path,
			"an app lists its Python requirements in " APP_DEPS_FILE
			" (it may be empty)");
		problem(app, &e);
		return;
	}
	if (reqfile_parse_file(&app->reqs, app->deps_path, &cfg, &e) < 0)
		problem(app, &e);
	else
		app->has_reqs = true;
}

static void load_extdeps(struct app *app)
{
	char *path = join(app->dir, APP_EXTDEPS_FILE);
	struct ab_err e = AB_ERR_INIT;
	if (!exists(path)) {
		free(path);
		return;
	}
	app->extdeps_path = path;
	if (extdeps_parse_file(&app->extdeps, path, &e) < 0)
		problem(app, &e);
	else
		app->has_extdeps = true;
}

static void load_wsgi(struct app *app)
{
	struct ab_err e = AB_ERR_INIT;
	struct ab_buf text = AB_BUF_INIT;
	app->wsgi_path = join(app->dir, APP_WSGI_FILE);
	if (!exists(app->wsgi_path)) {
		missing(&e, app->wsgi_path,
			APP_WSGI_FILE " is the Python module that defines the WSGI callable "
				      "'application'");
		problem(app, &e);
		return;
	}
	int r = read_text(app->wsgi_path, &text, &e);
	if (r >= 0)
		r = pyscan_find_name(ab_buf_str(&text), "application", app->wsgi_path, &app->wsgi,
				     &e);
	if (r == 0) {
		struct ab_loc loc = { app->wsgi_path, 0, 0 };
		ab_err_at(&e, AB_E_INVALID, &loc, "no module-level 'application' is defined");
		if (app->wsgi.star_line)
			ab_err_note(&e,
				    "'from ... import *' at line %u may define it, but that cannot "
				    "be known without running the app: import 'application' by name",
				    app->wsgi.star_line);
		else
			ab_err_note(&e, "define the WSGI callable at the top level, e.g. "
					"'application = create_app()' or "
					"'from myapp import app as application'");
	}
	if (e.code)
		problem(app, &e);
	ab_buf_release(&text);
}

/* The name of the directory itself, "." and ".." resolved. */
static char *dir_basename(const char *dir)
{
	char *real = realpath(dir, NULL);
	const char *p = real ? real : dir;
	const char *slash = strrchr(p, '/');
	char *base = ab_xstrdup(slash && slash[1] ? slash + 1 : p);
	free(real);
	return base;
}

static void set_identity(struct app *app)
{
	if (app->config.name) {
		app->name = name_canonical_dup(ab_str_from(app->config.name));
	} else {
		char *base = dir_basename(app->dir);
		if (name_is_valid(ab_str_from(base))) {
			app->name = name_canonical_dup(ab_str_from(base));
		} else if (!app->config_path || app->has_config) {
			/* (an appbuild.yaml that failed may well have held the name) */
			struct ab_err e = AB_ERR_INIT;
			ab_err_set(&e, AB_E_INVALID,
				   "cannot use the directory name '%s' as the app's name", base);
			ab_err_note(&e, "set 'name' in " APP_CONFIG_FILE);
			problem(app, &e);
		}
		free(base);
	}
	app->version = ab_xstrdup(app->config.version ? app->config.version : "0");
}

int app_load(const char *dir, struct app *out, struct ab_out *log, struct ab_err *err)
{
	*out = (struct app){ .reqs = REQFILE_INIT, .extdeps = EXTDEPS_INIT,
			     .config = APPCONFIG_INIT };
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	out->dir = ab_xstrndup(dir, len);

	struct stat st;
	struct ab_loc loc = { out->dir, 0, 0 };
	if (stat(out->dir, &st) < 0) {
		int e = errno;
		return ab_err_at(err, AB_E_IO, &loc, "cannot open app directory: " ERRNO_FMT,
				 ERRNO_ARG(e));
	}
	if (!S_ISDIR(st.st_mode))
		return ab_err_at(err, AB_E_IO, &loc, "not a directory");

	load_config(out);
	load_deps(out, log);
	load_extdeps(out);
	load_wsgi(out);
	set_identity(out);
	if (!out->nproblems)
		return 0;
	const struct ab_err *first = &out->problems[0];
	struct ab_loc floc = { first->file, first->line, first->col };
	int r = ab_err_at(err, first->code, &floc, "%s", first->msg.buf);
	if (first->notes.len && err && !err->notes.len)
		ab_buf_addstr(&err->notes, ab_buf_str(&first->notes));
	return r;
}

void app_release(struct app *app)
{
	free(app->dir);
	free(app->name);
	free(app->version);
	free(app->deps_path);
	free(app->extdeps_path);
	free(app->wsgi_path);
	free(app->config_path);
	reqfile_release(&app->reqs);
	extdeps_release(&app->extdeps);
	appconfig_release(&app->config);
	for (size_t i = 0; i < app->nproblems; i++)
		ab_err_release(&app->problems[i]);
	free(app->problems);
	*app = (struct app){ .reqs = REQFILE_INIT, .extdeps = EXTDEPS_INIT,
			     .config = APPCONFIG_INIT };
}
