/* metadata.h - core metadata (METADATA / PKG-INFO), Metadata-Version 1.0-2.4.
 *
 * Two layers:
 *
 * 1. metadata_msg_parse(): the header level, exactly what CPython 3.11's
 *    email.parser.Parser(policy=compat32).parsestr() gives: the (name, value)
 *    list in file order (names as written; values with the blanks after ':'
 *    dropped, folded lines kept with their "\n" (or "\r\n", "\r") and
 *    indentation, the final line ending dropped, other trailing blanks kept),
 *    the body (payload after the first blank line), is_multipart and the
 *    parser's defects. It never fails: like the feedparser it records defects.
 *    Every string is a view into the input (zero copy), except a body that
 *    the feedparser stitches together (see `owned`).
 *
 * 2. metadata_parse(): the typed fields appbuild needs, read from the
 *    headers matched case-insensitively, as pypa/packaging 26.x reads them.
 *
 * Input is bytes, taken to be UTF-8 (the Python reference works on the
 * decoded str; every rule that looks at bytes only looks at ASCII). */
#ifndef AB_METADATA_H
#define AB_METADATA_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/core/err.h"
#include "formats/core/str.h"
#include "formats/pep440.h"
#include "formats/pep508.h"

/* ------------------------------------------------------------------ */
/* Header level (email.parser, policy=compat32)                        */

/* The defects the compat32 feedparser can record on the top-level message,
 * in the order it records them. */
enum metadata_defect {
	METADATA_DEFECT_MISSING_SEPARATOR,        /* MissingHeaderBodySeparatorDefect */
	METADATA_DEFECT_FIRST_LINE_CONTINUATION,  /* FirstHeaderLineIsContinuationDefect */
	METADATA_DEFECT_MISPLACED_ENVELOPE,       /* MisplacedEnvelopeHeaderDefect */
	METADATA_DEFECT_MISSING_HEADER_NAME,      /* InvalidHeaderDefect (line starts with ':') */
	METADATA_DEFECT_INVALID_CTE,              /* InvalidMultipartContentTransferEncodingDefect */
	METADATA_DEFECT_NO_BOUNDARY,              /* NoBoundaryInMultipartDefect */
	METADATA_DEFECT_START_BOUNDARY_NOT_FOUND, /* StartBoundaryNotFoundDefect */
	METADATA_DEFECT_CLOSE_BOUNDARY_NOT_FOUND, /* CloseBoundaryNotFoundDefect */
	METADATA_DEFECT_MULTIPART_INVARIANT,      /* MultipartInvariantViolationDefect */
	METADATA_DEFECT__COUNT
};

/* The Python class name of a defect ("MissingHeaderBodySeparatorDefect"). */
const char *metadata_defect_name(enum metadata_defect d);

struct metadata_defect_at {
	enum metadata_defect kind;
	unsigned line; /* 1-based input line the defect was found at; 0 = end of input */
};

struct metadata_header {
	struct ab_str name;  /* as written, never empty, printable ASCII without ':' */
	struct ab_str value; /* compat32 value (see above) */
	unsigned line;       /* 1-based line of the name */
	unsigned col;        /* 1-based column (byte) where the value starts */
};

struct metadata_msg {
	size_t nheaders;
	struct metadata_header *headers; /* malloc'd array (owned) */
	struct ab_str unixfrom;          /* a leading "From ..." envelope line, without its line
					    ending; ptr NULL if none */
	bool is_multipart;               /* Message.is_multipart(): the payload is a list of parts
					    (multipart with a start boundary, any message type) */
	struct ab_str body;              /* get_payload() when !is_multipart ("" if none, never
					    NULL ptr); ptr NULL when is_multipart */
	unsigned body_line;              /* 1-based line where the body starts in the input */
	size_t ndefects;
	struct metadata_defect_at *defects; /* malloc'd (owned), in the order Python records them */
	unsigned defect_mask;               /* 1 << enum metadata_defect, for each recorded */
	char *owned; /* NULL, or a malloc'd body when the parser builds one that is not a slice of
			the input (a trailing "From " header line pushed back in front of it) */
};

#define METADATA_MSG_INIT { 0, NULL, { NULL, 0 }, false, { "", 0 }, 0, 0, NULL, 0, NULL }

/* Parse `text` at the header level. Never fails (defects are recorded, as
 * the feedparser does). The views in *out point into `text`, which must
 * outlive *out, or into out->owned. Release with metadata_msg_release(). */
void metadata_msg_parse(struct ab_str text, struct metadata_msg *out);
void metadata_msg_release(struct metadata_msg *m);
/* Message.get(name): the first header whose name equals `name` ASCII
 * case-insensitively, or NULL. */
const struct metadata_header *metadata_msg_get(const struct metadata_msg *m, const char *name);

/* ------------------------------------------------------------------ */
/* Typed fields                                                        */

enum metadata_flags {
	/* Fail on the fatal errors listed at metadata_parse(); without it
	 * nothing is fatal and invalid values are kept as "not valid". */
	METADATA_STRICT = 1 << 0,
	/* Also fail on a Requires-Dist that is not PEP 508 (packaging 26 does;
	 * pip 23's packaging 21.3 accepted legacy forms such as
	 * 'sys-platform (=="darwin")', which real wheels still carry). */
	METADATA_STRICT_REQS = 1 << 1,
	/* Do not parse Requires-Dist / Provides-Dist / Obsoletes-Dist with
	 * PEP 508 (their `raw` is still filled; `valid` stays false). */
	METADATA_SKIP_REQS = 1 << 2,
};

/* A multiple-use field's values, in file order (views). */
struct metadata_list {
	size_t n;
	struct ab_str *items; /* malloc'd array (owned by struct metadata) */
};

/* A Requires-Dist / Provides-Dist / Obsoletes-Dist entry. */
struct metadata_req {
	struct ab_str raw;     /* the header value, as written */
	unsigned line;         /* line of the header */
	bool valid;            /* raw is a valid PEP 508 requirement */
	struct pep508_req req; /* when valid (owned); else PEP508_REQ_INIT */
};

struct metadata_reqs {
	size_t n;
	struct metadata_req *items; /* malloc'd (owned) */
};

/* A Provides-Extra entry. */
struct metadata_extra {
	struct ab_str raw;     /* as written */
	const char *canonical; /* canonicalize_name(raw) (PEP 685), raw not stripped, as
				  packaging's canonicalize_name; owned by struct metadata */
	bool valid;            /* raw is a valid name (PyPA name rule) */
};

struct metadata {
	char *text; /* owned copy of the input: every view below points into it */
	struct metadata_msg msg;

	/* Single-use fields: the first occurrence; ptr NULL when absent. */
	struct ab_str metadata_version;
	unsigned mv_major, mv_minor; /* 0.0 when absent or not "N.N" */
	struct ab_str name;          /* stripped of Unicode whitespace */
	const char *name_canonical;  /* canonicalize_name(name); NULL when absent */
	struct ab_str version_raw;
	struct pep440_version *version; /* NULL: absent or invalid (owned) */
	struct ab_str summary;
	struct ab_str description;   /* the body if non-empty, else the Description header */
	struct ab_str description_content_type;
	struct ab_str keywords;
	struct ab_str home_page;
	struct ab_str download_url;
	struct ab_str author, author_email, maintainer, maintainer_email;
	struct ab_str license;            /* License (free text) */
	struct ab_str license_expression; /* License-Expression (2.4, SPDX; not validated) */
	struct ab_str requires_python_raw;
	bool requires_python_valid;             /* present and a valid specifier set */
	struct pep440_specset requires_python;  /* the parsed set (empty when !valid) */

	/* Multiple-use fields, in file order. */
	struct metadata_list dynamic;            /* 2.2 */
	struct metadata_list platform;
	struct metadata_list supported_platform;
	struct metadata_list classifier;
	struct metadata_list project_url;        /* "label, url" */
	struct metadata_list license_file;       /* 2.4 */
	struct metadata_list requires_external;  /* raw strings */
	struct metadata_list requires, provides, obsoletes; /* 1.1 only, raw */
	struct metadata_reqs requires_dist;
	struct metadata_reqs provides_dist;
	struct metadata_reqs obsoletes_dist;
	size_t nprovides_extra;
	struct metadata_extra *provides_extra; /* malloc'd (owned) */

	char *strings; /* owned storage of name_canonical and the extras' canonical forms */
};

/* Parse a METADATA / PKG-INFO text. `text` is copied; `file` (may be NULL)
 * names it in errors, whose line/col point into it (1-based).
 *
 * Never fatal: header defects (e.g. a line without ':' that ends the
 * headers early), unknown fields, invalid Provides-Dist / Obsoletes-Dist /
 * Provides-Extra values, Requires-External (kept raw).
 *
 * Fatal with METADATA_STRICT (AB_E_PARSE; the first error wins):
 *  - Metadata-Version, Name or Version missing ("missing 'Name' field");
 *  - Metadata-Version not "N.N" or major other than 1 or 2;
 *  - Name not a valid project name, Version not PEP 440;
 *  - Metadata-Version, Name, Version or Requires-Python given twice;
 *  - Requires-Python not a specifier set (col points at the offending
 *    character of the value, on its own line when the value is folded).
 * Fatal with METADATA_STRICT_REQS: a Requires-Dist that is not PEP 508.
 * Otherwise these are recorded (version NULL, valid false) and 0 returned;
 * metadata_req_error() gives the located error of an invalid entry later,
 * when a caller finds it needs that requirement.
 *
 * Returns 0, or a negative AB_E_PARSE with `err` set; *out is then already
 * released (empty). On success release with metadata_release(). */
int metadata_parse(struct ab_str text, unsigned flags, const char *file, struct metadata *out,
		   struct ab_err *err);
void metadata_release(struct metadata *md);

/* The error of an invalid Requires-Dist / Provides-Dist / Obsoletes-Dist
 * entry `r` of `md` (re-parsed on demand), located in `file` at the
 * value's line and column. Returns the negative AB_E_PARSE with `err` set,
 * or 0 if `r` is valid. */
int metadata_req_error(const struct metadata *md, const struct metadata_req *r, const char *file,
		       struct ab_err *err);

/* ------------------------------------------------------------------ */
/* Helpers shared with the tests */

/* Python's str.strip(): drop leading/trailing Unicode whitespace (UTF-8). */
struct ab_str metadata_ustrip(struct ab_str s);

#endif
