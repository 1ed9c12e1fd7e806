/* svcrender.h - the app's process definitions rendered for other supervisors
 * (issue #8, "Other supervisors"): supervisord.conf, circus.ini, or one
 * systemd unit per process plus a target that groups them.
 *
 * The definitions are the built-in supervisor's (struct supconf_proc, from
 * supconf.h); fields another supervisor cannot express are left out (ready
 * checks, backoff growth). Every string is checked against the target
 * format's quoting rules first: what the format cannot carry (a newline or
 * other control character anywhere, invalid UTF-8, supervisord's and
 * circus's inline comments, circus's `$NAME` expansion in environment
 * values, ...) is an error naming the process and the field, and nothing
 * is written. SPEC.md "Rendering for other supervisors" has the mapping. */
#ifndef AB_SVCRENDER_H
#define AB_SVCRENDER_H

#include <stddef.h>

#include "builder/supervisor/supconf.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"

enum svcrender_kind {
	SVCRENDER_SUPERVISORD = 0, /* supervisord.conf */
	SVCRENDER_CIRCUS,          /* circus.ini */
	SVCRENDER_SYSTEMD,         /* APP-NAME.service or APP-NAME@.service, and APP.target */
};

struct svcrender_opts {
	enum svcrender_kind kind;
	/* The app's name: systemd unit names are APP-PROCESS; [A-Za-z0-9._-]{1,64}. */
	const char *app;
	/* The bundle root as the rendered files name it: an absolute path of
	 * [A-Za-z0-9_@/.+-] (it then needs no quoting in any format), or a
	 * placeholder @NAME@ (NAME: [A-Za-z0-9_.+-]) that the launcher replaces
	 * by such a path when it installs the files. Relative directories and
	 * argv[0]s resolve against it. */
	const char *root;
	/* Where supervisord/circus keep their socket, pid file and logs: NULL
	 * means ROOT/run, a relative path is under ROOT; same characters as
	 * root. The launcher creates RUN and RUN/logs. Unused for systemd. */
	const char *run_dir;
	/* User the processes run as (systemd User=, supervisord user=, circus
	 * uid); NULL: the supervisor's own. [A-Za-z0-9_.-], not starting
	 * with '-' or '.'. */
	const char *user;
	/* A directory whose files override the built-in templates of the same
	 * name (supervisord.conf.in, supervisord-program.conf.in, circus.ini.in,
	 * circus-watcher.ini.in, systemd.service.in, systemd.target.in): an
	 * app's DIR/templates. NULL: the built-in ones only. A template that
	 * exists but cannot be read is AB_E_IO. */
	const char *template_dir;
	/* Group the processes run as (systemd Group=, circus gid); NULL: the
	 * user's primary group. Same characters as user. supervisord always
	 * takes the user's primary group: a group there is AB_E_UNSUPPORTED. */
	const char *group;
};

struct svcrender_file {
	char *name;        /* file name, no directory (owned) */
	struct ab_buf text;
};

struct svcrender_files {
	struct svcrender_file *v;
	size_t n, cap;
};

#define SVCRENDER_FILES_INIT { NULL, 0, 0 }

/* Render `procs[0..nprocs)` in memory: appends the files to *out (in the
 * order written; systemd: one unit per process in order, then APP.target).
 * Returns 0, or -AB_E_INVALID (a string the format cannot carry, a bad
 * option; err names process and field), -AB_E_UNSUPPORTED (supervisord
 * and circus cannot unset an environment variable, supervisord cannot set
 * a group) or -AB_E_IO (a template
 * in template_dir cannot be read); on failure *out is left as it was. The
 * caller releases *out with svcrender_files_release(). */
int svcrender_render(const struct svcrender_opts *o, const struct supconf_proc *procs,
		     size_t nprocs, struct svcrender_files *out, struct ab_err *err);

/* Render, then write every file into the existing directory `dir`, each
 * replaced atomically (temporary file + rename). Everything is rendered
 * and checked before the first file is written, so a rendering error
 * writes nothing; AB_E_IO when a write fails (files already replaced stay).
 * Files of processes that no longer exist are not removed. */
int svcrender_write(const struct svcrender_opts *o, const struct supconf_proc *procs,
		    size_t nprocs, const char *dir, struct ab_err *err);

void svcrender_files_release(struct svcrender_files *f);

/* "supervisord", "circus", "systemd" */
const char *svcrender_kind_name(enum svcrender_kind k);

#endif
