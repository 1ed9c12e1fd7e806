/* pep508.h - PEP 508 dependency specifiers ("name[extra] (>=1); marker").
 *
 * Grammar and normalized output exactly as pypa/packaging 26.x Requirement:
 * str() writes "name[extras]specifier", "name[extras] @ url" for URLs and
 * "…; marker" / "url ; marker" (a URL runs to the next blank, so a marker
 * after a URL needs a blank before its ';'). Input containing a NUL byte is
 * rejected (the fields are C strings). */
#ifndef AB_PEP508_H
#define AB_PEP508_H

#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/marker.h"
#include "formats/pep440.h"

struct pep508_req {
	char *name;       /* as written (owned) */
	char *canonical;  /* PEP 503 normalized (owned) */
	size_t nextras;
	char **extras;    /* as written, sorted, deduplicated (owned) */
	struct pep440_specset spec;
	char *url;        /* NULL or the URL after '@' (owned) */
	struct marker *marker; /* NULL: none (owned) */
};

#define PEP508_REQ_INIT { NULL, NULL, 0, NULL, PEP440_SPECSET_INIT, NULL, NULL }

/* Parse one requirement. Returns 0, or AB_E_PARSE with err->col the 1-based
 * offset into `s` and a message such as "expected version after '=='". */
int pep508_parse(struct ab_str s, struct pep508_req *out, struct ab_err *err);
void pep508_release(struct pep508_req *r);
/* str(Requirement) */
void pep508_format(const struct pep508_req *r, struct ab_buf *out);

#endif
