/* reqfile.h - pip requirements files (the app's dependencies.txt).
 *
 * Semantics are pip 23.0.1's pip._internal.req.req_file (parse_requirements()
 * with a PackageFinder), plus pip 23.1's per-requirement -C/--config-settings:
 *
 *   - the file is UTF-8 (a UTF-8 BOM is dropped); lines split as Python's
 *     str.splitlines() does (\n, \r\n, \r, \v, \f, \x1c-\x1e, U+0085,
 *     U+2028, U+2029);
 *   - a line ending in '\' joins the next one (unless it is a comment line;
 *     a trailing '\' at EOF is dropped); the logical line keeps the number of
 *     its first physical line;
 *   - '#' at the start of a line or after whitespace starts a comment; blank
 *     lines are dropped;
 *   - ${NAME} (NAME in [A-Z0-9_]) is replaced when the variable is set and
 *     non-empty, otherwise left as written;
 *   - the line splits at the first space-separated token that starts with
 *     '-': the part before is the requirement, kept verbatim; the rest is
 *     split like shlex.split() and parsed like optparse (long options may be
 *     abbreviated to a unique prefix; --opt=value, --opt value, -ovalue,
 *     -o value; words that are not options are ignored; "--" ends options);
 *   - -r/--requirement and -c/--constraint on a line without a requirement
 *     include a file relative to the including file's directory; the include
 *     line itself is not listed; includes that loop are an error.
 *
 * Everything a `struct reqfile` holds lives in its arena (and the pep508/marker
 * objects it owns); reqfile_release() frees it all. */
#ifndef AB_REQFILE_H
#define AB_REQFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/arena.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/out.h"
#include "formats/marker.h"
#include "formats/pep508.h"

/* A list of strings (NUL-terminated, in the reqfile's arena). */
struct reqfile_strlist {
	size_t n;
	char **v; /* in the reqfile's arena */
	size_t cap;
};

/* pip's FormatControl: two sets of canonical project names, or ":all:".
 * Both lists are kept sorted (byte order) without duplicates. */
struct reqfile_format_control {
	struct reqfile_strlist no_binary;
	struct reqfile_strlist only_binary;
};

/* One --hash=algo:hex. */
struct reqfile_hash {
	const char *algo; /* "sha256", "sha384" or "sha512" (static) */
	char *hex;	  /* as written (pip does not check it) */
};

/* One -C/--config-settings KEY=VALUE, in the order given (a repeated key is
 * a list in pip; here it is simply repeated). */
struct reqfile_setting {
	char *key;
	char *value;
};

/* The options given on one logical line, under pip's optparse `dest` names.
 * Only what the line says: defaults are NULL / empty / false. */
struct reqfile_lineopts {
	char *index_url; /* -i/--index-url/--pypi-url (last wins); NULL: not given */
	struct reqfile_strlist extra_index_urls;
	bool no_index;
	struct reqfile_strlist find_links;	      /* as written */
	struct reqfile_format_control format_control; /* this line's effect from empty sets */
	bool format_control_set;		      /* --no-binary/--only-binary given */
	bool prefer_binary;
	bool require_hashes;
	bool pre;
	struct reqfile_strlist trusted_hosts; /* as written */
	struct reqfile_strlist features_enabled;
	struct reqfile_strlist editables;
	struct reqfile_strlist requirements; /* -r values */
	struct reqfile_strlist constraints;  /* -c values */
	/* Per-requirement options (pip's SUPPORTED_OPTIONS_REQ): */
	size_t nhashes;
	struct reqfile_hash *hashes; /* in order (arena) */
	struct reqfile_strlist install_options;
	struct reqfile_strlist global_options;
	size_t nsettings;
	struct reqfile_setting *settings; /* --config-settings (arena) */
};

enum reqfile_kind {
	REQFILE_REQUIREMENT, /* a requirement (text before the options) */
	REQFILE_EDITABLE,    /* -e/--editable: requirement = the first editable */
	REQFILE_OPTIONS,     /* options only (global options, finder state) */
};

/* What a requirement's text looks like (pip's install_req_from_line order:
 * URL scheme first, then "name @ url", then path/archive, else PEP 508). */
enum reqfile_req_kind {
	REQFILE_REQ_NONE,   /* REQFILE_OPTIONS lines */
	REQFILE_REQ_PEP508, /* "name[extras] spec ; marker" or "name @ url ; marker" */
	REQFILE_REQ_URL,    /* bare http:, https:, ftp:, file: URL */
	REQFILE_REQ_VCS,    /* git+https://…@rev#egg=name, hg+…, svn+…, bzr+… */
	REQFILE_REQ_PATH,   /* a local path (has '/' or starts with '.') or archive file name */
};

/* One logical line pip yields (include lines are not listed). */
struct reqfile_line {
	const char *file; /* the path as pip spells it: "sub/../common.txt" */
	unsigned lineno;  /* first physical line, 1-based */
	unsigned col;	  /* 1-based byte column of the requirement (or of the line) */
	enum reqfile_kind kind;
	bool constraint;   /* read from a -c file */
	char *requirement; /* verbatim text (trailing spaces kept); NULL for options lines */
	enum reqfile_req_kind req_kind;
	/* REQFILE_REQ_PEP508: the parsed requirement, or NULL when it does not
	 * parse (an error instead under REQFILE_STRICT). Owned. */
	struct pep508_req *req;
	/* URL/VCS/PATH kinds: the location without the marker, the "#egg=" name
	 * (NULL if none) and the marker after "; " (NULL if none; owned). */
	char *url;
	char *egg;
	struct marker *marker;
	struct reqfile_lineopts opts;
};

/* A trusted host as pip's session records it: (hostname, port). */
struct reqfile_trusted_host {
	char *host; /* lowercased hostname (IPv6 without brackets) */
	int port;   /* -1: none */
};

/* The PackageFinder / session state after the whole file. */
struct reqfile_finder {
	struct reqfile_strlist index_urls; /* starts as {"https://pypi.org/simple"} */
	struct reqfile_strlist find_links; /* existing local paths joined to the file's dir */
	bool no_index;
	bool allow_all_prereleases; /* --pre */
	bool prefer_binary;
	bool require_hashes;
	struct reqfile_format_control format_control;
	size_t ntrusted_hosts;
	struct reqfile_trusted_host *trusted_hosts; /* deduplicated, in order (arena) */
	struct reqfile_strlist features_enabled;    /* deduplicated, in order */
};

struct reqfile {
	size_t nlines;
	struct reqfile_line *lines; /* every line, in pip's order (includes inlined) */
	struct reqfile_finder finder;
	struct ab_arena arena;
	size_t cap; /* of lines */
};

#define REQFILE_INIT \
	{            \
		0    \
	}

/* Where included files come from. Paths are as pip joins them (relative to
 * the working directory unless absolute). */
struct reqfile_io {
	/* Append the whole file at `path` to `out`. Returns 0, or an errno value
	 * (ENOENT, EACCES, EISDIR, ...) when it cannot be read. */
	int (*read)(void *data, const char *path, struct ab_buf *out);
	/* Whether `path` exists (file or directory): used for -f/--find-links. */
	bool (*exists)(void *data, const char *path);
	void *data;
};

enum reqfile_flags {
	/* Parse every PEP 508 requirement (pep508_parse) and every URL marker
	 * (marker_parse); one that does not parse is an error at its column.
	 * Without it such a line is kept with req == NULL, as pip's parser does
	 * (pip only rejects it later, when it builds the InstallRequirement). */
	REQFILE_STRICT = 1 << 0,
	/* Allow no includes: -r/-c lines are an error. */
	REQFILE_NO_INCLUDES = 1 << 1,
};

struct reqfile_config {
	const struct reqfile_io *io; /* NULL: the file system */
	/* Variable lookup for ${NAME}. NULL: getenv(3). Return NULL when unset. */
	const char *(*getenv)(void *data, const char *name);
	void *getenv_data;
	/* The working directory, for -f paths (pip joins them to
	 * dirname(abspath(file))). NULL: getcwd(). */
	const char *cwd;
	unsigned flags;	    /* enum reqfile_flags */
	bool constraint;    /* the entry file itself is a constraints file */
	struct ab_out *out; /* warnings (e.g. --hash on an options line); may be NULL */
};

/* Parse the requirements file `path` (and its includes) into `rf`, which must
 * be REQFILE_INIT or released. `cfg` may be NULL (file system, getenv(3)).
 * Returns 0, or a negative AB_E_*: AB_E_PARSE (err at file:line:col: unknown
 * or ambiguous option, missing option argument, bad --hash, unbalanced quote,
 * include cycle, invalid UTF-8, invalid requirement under REQFILE_STRICT),
 * AB_E_IO (the entry or an included file cannot be read: the error is at the
 * including -r/-c line), AB_E_UNSUPPORTED (remote http(s)/file: includes,
 * UTF-16/32 files). On failure `rf` holds the lines parsed so far; release it
 * either way. */
int reqfile_parse_file(struct reqfile *rf, const char *path, const struct reqfile_config *cfg,
		       struct ab_err *err);

/* The same, for the entry file's text given in memory (tests, fuzzing); `name`
 * is the file name used for messages and for resolving includes (through
 * cfg->io). `text` need not be NUL-terminated. */
int reqfile_parse_buffer(struct reqfile *rf, const char *name, struct ab_str text,
			 const struct reqfile_config *cfg, struct ab_err *err);

/* Frees everything; `rf` is REQFILE_INIT afterwards. */
void reqfile_release(struct reqfile *rf);

/* pip's comes_from: "-r dependencies.txt (line 3)" or "-c …". Appends. */
void reqfile_comes_from(const struct reqfile_line *l, struct ab_buf *out);

/* Whether a line is a requirement pip keeps (kind != REQFILE_OPTIONS). */
static inline bool reqfile_line_is_requirement(const struct reqfile_line *l)
{
	return l->kind != REQFILE_OPTIONS;
}

#endif
