/* directref.h - direct references: requirements that name one artifact
 * instead of a version range on an index (pip's "direct URL" and VCS
 * requirements, PEP 440 "direct references", PEP 610).
 *
 * Forms read from a requirements line (formats/reqfile.h), as pip 23's
 * install_req_from_line reads them:
 *
 *   name[extras] @ https://host/x-1.0-py3-none-any.whl[#sha256=HEX]   a wheel
 *   name @ file:///abs/x-1.0.tar.gz                                     an sdist
 *   name @ file:///abs/project  |  ./libs/foo  |  /abs/foo              a directory
 *   git+https://host/org/repo@ref#egg=name&subdirectory=dir              git
 *   name @ git+ssh://git@host/org/repo@v1.0                              git
 *   -e ./libs/foo  |  -e git+…#egg=name                                  editable
 *
 * Relative paths are taken relative to the requirements file that names
 * them (pip takes them relative to the working directory; appbuild's app
 * directory is the natural base and makes the result independent of where
 * appbuild runs). hg+, svn+ and bzr+ are refused (AB_E_UNSUPPORTED).
 *
 * directref_parse() reads the line without touching the network;
 * directref_prepare() obtains the artifact (download into the cache, git
 * clone/fetch into the bare-mirror cache and a checkout, or the directory
 * itself) and its core metadata (a wheel's METADATA, or PEP 517
 * prepare_metadata_for_build_wheel for a source tree through
 * builder/pep517.h); directref_wheel() gives the wheel to install (the
 * wheel itself, or one built from the source tree; editables are built as
 * ordinary wheels: a bundle holds no links to the build host). */
#ifndef AB_DIRECTREF_H
#define AB_DIRECTREF_H

#include <stdbool.h>
#include <stddef.h>

#include "builder/cache.h"
#include "builder/gitsrc.h"
#include "builder/http.h"
#include "formats/core/err.h"
#include "formats/core/out.h"
#include "formats/metadata.h"
#include "formats/reqfile.h"

struct pep517;

enum directref_kind {
	DIRECTREF_WHEEL, /* a .whl (URL or local file) */
	DIRECTREF_SDIST, /* an sdist archive (.tar.gz, .zip, …; URL or local file) */
	DIRECTREF_DIR,	 /* a local project directory */
	DIRECTREF_VCS,	 /* git */
};

struct directref {
	enum directref_kind kind;
	/* where it was written: file (borrowed from the reqfile), line, col */
	const char *file;
	unsigned line, col;
	const char *text; /* the requirement as written (borrowed) */
	char *name;	  /* canonical; NULL until known (a bare URL without #egg=) */
	char **extras;	  /* canonical, sorted */
	size_t nextras;
	const struct marker *marker; /* borrowed; NULL: none */
	bool editable;
	/* The URL a lock records and `name @ url` requirements must name: an
	 * http(s) URL without its fragment, file:///abs for local files and
	 * directories, or git+SCHEME://host/path for git (no "@rev", no
	 * fragment: see git below). */
	char *url;
	char *path;	       /* a local file or directory (absolute); NULL otherwise */
	char *subdirectory;    /* #subdirectory= (VCS, archives); NULL: none */
	char *sha256;	       /* the expected sha256 of an archive (#sha256= or --hash); NULL */
	struct gitsrc_url git; /* VCS */
	char commit[41];       /* VCS: the resolved commit ("" before prepare) */
	/* after directref_prepare(): */
	char *version; /* normalized */
	char *archive; /* the archive in the cache (WHEEL, SDIST) */
	char archive_sha256[65];
	int64_t archive_size;
	char *srcdir;	    /* the source tree (SDIST unpacked, DIR, VCS checkout/subdirectory) */
	char *workdir;	    /* a temporary directory this owns and removes (NULL: none) */
	struct metadata md; /* the core metadata */
	bool have_md;
	const char **requires; /* md's Requires-Dist, as strings (owned array, views
				* copied) */
	size_t nrequires;
	const char **extras_provided; /* md's Provides-Extra */
	size_t nextras_provided;
	char *requires_python; /* NULL: none */
	char *wheel;	       /* the wheel to install (directref_wheel) */
	char *wheel_filename;  /* its wheel file name */
	char *req;	       /* "name[extras] @ url ; marker" as the resolver sees it (owned) */
	bool fetched;	       /* prepare contacted the network (tests: a warm run must not) */
};

/* Whether a requirements line is a direct reference (a VCS, URL or path
 * line, an editable, or `name @ url`). */
bool directref_is(const struct reqfile_line *l);

/* Read one requirements line into `out` (zeroed first). `base_dir` is the
 * directory relative paths are taken against (the requirements file's).
 * Errors at the line's file:line:col: AB_E_UNSUPPORTED ("version control
 * scheme 'hg+https' is not supported: only git is", an URL scheme other
 * than http, https, file, a remote directory), AB_E_PARSE (a malformed git
 * URL or #sha256=), AB_E_IO (a local path that does not exist). Release
 * with directref_release() in every case. */
int directref_parse(const struct reqfile_line *l, const char *base_dir, struct directref *out,
		    struct ab_err *err);

/* What directref_prepare() uses. */
struct directref_env {
	struct cache *cache;
	struct http_client *http;
	bool offline;
	struct ab_out *out;
	/* A commit a fresh lock already pins for this URL: used instead of
	 * asking the remote (no network when it is cached). NULL: none. */
	const char *locked_commit;
	/* The sha256 a fresh lock records for an archive URL: a cached copy
	 * is used without a request. NULL: none. */
	const char *locked_sha256;
	/* Builds source trees (metadata and wheels); NULL: a source tree is
	 * AB_E_UNSUPPORTED. */
	struct pep517 *build;
};

/* Obtain the artifact and its metadata (see above). Afterwards name,
 * version, requires, extras_provided and requires_python are set, and for
 * VCS the commit. Errors name the requirement's file:line:col:
 * AB_E_NETWORK, AB_E_HASH (the archive differs from its #sha256=/--hash),
 * AB_E_RESOLVE (unknown git ref), AB_E_INVALID (the metadata names another
 * project than the requirement, or a wheel's METADATA disagrees with its
 * file name), AB_E_BUILD (the backend failed), AB_E_UNSUPPORTED (a source
 * tree while PEP 517 builds are unavailable). Nothing is left half-written:
 * downloads go through the cache's atomic writer, checkouts into a
 * temporary directory. */
int directref_prepare(struct directref *d, const struct directref_env *env, struct ab_err *err);

/* The wheel to install (a cache path into d->wheel): the wheel itself, or
 * one built from the source tree through PEP 517 (cached by the sdist's
 * sha256 or the commit). Errors as directref_prepare(). */
int directref_wheel(struct directref *d, const struct directref_env *env, struct ab_err *err);

/* The URL a lock writes for it, appended to `out`: the archive URL
 * (#subdirectory= kept), file:///abs for directories, and for git
 * "git+https://host/repo@<commit>[#subdirectory=dir]" (pip's form). */
void directref_lock_url(const struct directref *d, struct ab_buf *out);

void directref_release(struct directref *d);

/* ---- every direct reference of an app (what builder/plan.c uses) ---- */

struct lock_pins;
struct resolve_provider;
struct resolve_direct;

struct directref_set {
	struct directref *v;
	size_t n, cap;
	/* after directref_set_prepare(), for the references whose marker
	 * holds: the resolver's view (parallel arrays, n_active long) */
	size_t n_active;
	struct directref **active;
	const char **reqs;	       /* "name[extras] @ url ; marker", n_active long */
	struct resolve_direct *direct; /* one per project */
	size_t ndirect;
	/* private */
	struct directref_set_priv *priv;
};

#define DIRECTREF_SET_INIT                               \
	{                                                \
		NULL, 0, 0, 0, NULL, NULL, NULL, 0, NULL \
	}

/* Parse a requirements line into the set (directref_parse()). */
int directref_set_add(struct directref_set *s, const struct reqfile_line *l, const char *base_dir,
		      struct ab_err *err);

/* Prepare every reference whose marker holds for `env_markers` (pins
 * from `pins`, a fresh lock, say which commit or archive to reuse; may be
 * NULL), then check that the references for one project agree: two
 * different URLs for one name are AB_E_RESOLVE ("conflicting direct
 * references for 'foo'"), at the second one. Fills active/direct/reqs. */
int directref_set_prepare(struct directref_set *s, const struct directref_env *env,
			  const struct marker_env *env_markers, const struct lock_pins *pins,
			  struct ab_err *err);

/* A provider that answers for the direct references itself (one
 * candidate, the artifact's metadata) and asks `inner` for everything
 * else. `s` and `inner` must outlive *out. */
void directref_set_provider(struct directref_set *s, const struct resolve_provider *inner,
			    struct resolve_provider *out);

/* The active reference for a canonical name, or NULL. */
struct directref *directref_set_find(const struct directref_set *s, const char *name);

void directref_set_release(struct directref_set *s);

#endif
