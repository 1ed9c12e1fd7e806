/* appmeta.h - what `appbuild bundle` and the OS packages (builder/pkgset)
 * both write about an app: its templates rendered, the process list of
 * etc/supervisor.yaml, appbuild.json and the CycloneDX SBOM (layouts in
 * SPEC.md, "appbuild bundle"). Moved out of cli/cmd_bundle.c so both use
 * one copy. */
#ifndef AB_APPMETA_H
#define AB_APPMETA_H

#include <stdint.h>

#include "builder/app.h"
#include "builder/elfscan.h"
#include "builder/interp.h"
#include "builder/lock.h"
#include "builder/plan.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"

struct appmeta {
	const struct app *app;
	const struct interp *py;
	struct plan *plan;           /* resolved: its lock and best files */
	int64_t mtime;               /* build_time, the SBOM's timestamp */
	const char *commit;          /* source_commit (hex); NULL: null */
	const struct elfscan *libs;  /* the environment's scan (needed_libraries) */
	/* Prefix of the scanned files as appbuild.json names them: "venv/"
	 * in a bundle (the environment's place under the root), "" when the
	 * environment is the root. */
	const char *env_prefix;
	/* The app's git working tree has uncommitted changes or untracked
	 * files (builder/appsrc.h): source_dirty, written when commit is set. */
	bool dirty;
};

/* A template: DIR/templates/NAME when the app has one, else the built-in
 * NAME (templates/templates.h); appended to out. AB_E_IO when the app's
 * cannot be read, AB_E_INTERNAL for an unknown built-in. */
int appmeta_template(const struct app *app, const char *name, struct ab_buf *out,
		     struct ab_err *err);

/* Replace each @KEY@ of `kv` (pairs, NULL-terminated) in `in`; other '@'
 * are kept. Appends to out. */
void appmeta_render(const char *in, const char *const *kv, struct ab_buf *out);

/* etc/supervisor.yaml's `processes` entries (YAML, two-space indented,
 * ending with a newline): appbuild.yaml's, else one `web` process:
 * gunicorn on $BIND when the lock pins it, else the standard library's
 * wsgiref. Every process runs in ../app. Appends to y. */
void appmeta_processes(const struct app *app, const struct lock *l, struct ab_buf *y);

/* appbuild.json's text (two-space indented JSON and a newline), appended. */
void appmeta_manifest(const struct appmeta *m, struct ab_buf *out);

/* sbom.cdx.json's text (CycloneDX 1.5), appended. */
void appmeta_sbom(const struct appmeta *m, struct ab_buf *out);

#endif
