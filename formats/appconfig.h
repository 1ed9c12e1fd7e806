/* appconfig.h - appbuild.yaml, the optional per-app configuration.
 *
 * Schema (every key optional; unknown keys are errors):
 *
 *   name: my-app               # PEP 503-valid project name
 *   version: "1.2.3"           # PEP 440 version
 *   python: ">=3.9"            # specifier set, or a bare version ("3.11")
 *   supervisor: builtin        # builtin | supervisord | circus | systemd
 *   processes:                 # process name -> command (short form) or mapping
 *     web: gunicorn bin/wsgiapp
 *     worker: {command: "celery -A app worker", count: 2}
 *   package: {summary, description, license, maintainer, url, vendor}  # strings
 *     external: {libfoo: {debian: libfoo2, rpm: foo-libs}}  # OS package names
 *     user: my-app             # system user (and group) the units run as
 *
 * Scalars are taken verbatim (no YAML 1.1 typing: `version: 1.10` is the
 * string "1.10"); a plain `~`, `null` or empty value counts as missing and
 * is a type error where a value is required. Every error carries the
 * file:line:col of the offending node (libyaml marks, 1-based). */
#ifndef AB_APPCONFIG_H
#define AB_APPCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/err.h"
#include "formats/core/str.h"
#include "formats/pep440.h"

enum appconfig_supervisor {
	APPCONFIG_SUPERVISOR_BUILTIN = 0, /* the default */
	APPCONFIG_SUPERVISOR_SUPERVISORD,
	APPCONFIG_SUPERVISOR_CIRCUS,
	APPCONFIG_SUPERVISOR_SYSTEMD,
};

struct appconfig_process {
	char *name;    /* [A-Za-z0-9_-]+ (owned) */
	char *command; /* non-empty (owned) */
	long count;    /* >= 1; 1 when not given */
	unsigned line, col; /* of the process name in the file */
};

/* `package: external:` NAME -> OS packages, overriding formats/extmap.h's
 * table for the external-dependencies.txt name NAME (issue #9):
 *   external:
 *     libfoo: {debian: libfoo2, rpm: foo-libs}   # per column
 *     libbar: bar                                # every column
 * Columns debian, ubuntu, rpm, rhel (extmap_col order); names checked as
 * the table checks them; NAME unique ignoring ASCII case. */
struct appconfig_external {
	char *name;    /* as written (owned) */
	char *pkg[4];  /* [extmap_col]; NULL: not given (owned) */
	unsigned line, col; /* of NAME */
};

struct appconfig_package {
	char *summary, *description, *license, *maintainer, *url, *vendor; /* NULL: absent */
	/* `user`: the system user, and group of the same name, that the OS
	 * packages create when missing and whose systemd units run as it
	 * (issue #9); useradd's portable names, [a-z_][a-z0-9_-]{0,31}.
	 * NULL: absent (units run as root, no scriptlet). Bundles ignore it. */
	char *user;
	size_t nexternal; /* `external`, in file order */
	struct appconfig_external *external;
};

struct appconfig {
	char *name;         /* as written, NULL: absent */
	char *version;      /* normalized (str(Version)), NULL: absent */
	char *python;       /* as written, NULL: absent */
	struct pep440_specset python_spec; /* parsed `python`; a bare version V means "==V.*"
					    * with one or two release parts, else "==V" */
	enum appconfig_supervisor supervisor;
	bool has_supervisor; /* `supervisor` was given */
	size_t nprocesses;  /* in file order; names unique */
	struct appconfig_process *processes;
	struct appconfig_package package;
};

#define APPCONFIG_INIT { .python_spec = PEP440_SPECSET_INIT }

/* Parse the YAML text of appbuild.yaml; `file` names it in errors (may be
 * NULL). An empty document is an empty configuration. Returns 0, or a
 * negative AB_E_PARSE (YAML syntax, wrong type, unknown or duplicate key,
 * invalid value) with err->file/line/col set; an unknown key gets a note
 * "did you mean 'x'?" when one is close. On failure *out is released (it
 * holds nothing); on success the caller calls appconfig_release(). */
int appconfig_parse(struct ab_str text, const char *file, struct appconfig *out,
		    struct ab_err *err);

void appconfig_release(struct appconfig *c);

/* "builtin", "supervisord", "circus", "systemd" */
const char *appconfig_supervisor_name(enum appconfig_supervisor s);

#endif
