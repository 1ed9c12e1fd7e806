/* app.h - an app directory, loaded and checked.
 *
 * An app is a directory holding:
 *
 *   dependencies.txt            required: pip requirements file (may be empty;
 *                               -r/-c includes relative to it)
 *   external-dependencies.txt   optional: system packages (formats/extdeps.h)
 *   bin/wsgiapp                 required: Python source defining a module-level
 *                               `application` (the WSGI callable); checked by
 *                               reading it (formats/pyscan.h), never by running it
 *   appbuild.yaml               optional: name, version, python, processes, ...
 *                               (formats/appconfig.h)
 *
 * The app's name is appbuild.yaml's `name`, else the directory's own name;
 * either way canonicalized (PEP 503). Its version is appbuild.yaml's
 * (normalized), else "0". */
#ifndef AB_APP_H
#define AB_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/appconfig.h"
#include "formats/core/err.h"
#include "formats/core/out.h"
#include "formats/extdeps.h"
#include "formats/pyscan.h"
#include "formats/reqfile.h"

#define APP_DEPS_FILE "dependencies.txt"
#define APP_EXTDEPS_FILE "external-dependencies.txt"
#define APP_WSGI_FILE "bin/wsgiapp"
#define APP_CONFIG_FILE "appbuild.yaml"

struct app {
	char *dir;  /* as given, without trailing '/' ("." stays ".") */
	char *name; /* canonical project name; NULL if none could be derived */
	char *version; /* normalized PEP 440 version, "0" by default */
	/* Paths as shown in messages: DIR/<file>, or <file> alone when DIR is ".".
	 * extdeps_path and config_path are NULL when the file is absent. */
	char *deps_path, *extdeps_path, *wsgi_path, *config_path;
	bool has_reqs, has_extdeps, has_config; /* parsed without error */
	struct reqfile reqs;
	struct extdeps extdeps;
	struct appconfig config;
	struct pyscan_result wsgi; /* where `application` is bound */
	/* Every problem found, the first error of each file, in the order
	 * appbuild.yaml, dependencies.txt, external-dependencies.txt, bin/wsgiapp
	 * (then the app name). Owned. */
	size_t nproblems;
	struct ab_err *problems;
};


/* Load and check the app in `dir`. Every file is looked at even after one
 * fails, so that all problems are known at once (out->problems); `err` gets
 * the first. Returns 0, or the negative code of the first problem:
 * AB_E_IO (no such directory, unreadable file), AB_E_PARSE (a file does not
 * parse: its error at file:line:col), AB_E_INVALID (a required file is
 * missing, bin/wsgiapp binds no `application`, no valid name). Warnings
 * (e.g. from the requirements parser) go to `log`, which may be NULL.
 * *out is filled as far as possible either way; always app_release() it. */
int app_load(const char *dir, struct app *out, struct ab_out *log, struct ab_err *err);

void app_release(struct app *app);

#endif
