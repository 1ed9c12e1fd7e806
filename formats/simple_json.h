/* simple_json.h - PEP 691 JSON simple API pages (jansson), read into the
 * same structures as the HTML pages (simple_page.h).
 *
 * Project page: {"meta": {"api-version": "1.x"}, "name": ..., "files": [
 *   {"filename", "url", "hashes": {algo: hex}, "requires-python": str|null,
 *    "yanked": bool|str, "core-metadata" | "dist-info-metadata": bool|{algo: hex},
 *    "size": int}]}
 * "core-metadata" (PEP 714) wins over "dist-info-metadata"; a string
 * "yanked" is the reason. URLs are resolved against the page URL.
 * Unknown keys are ignored (PEP 691: minor versions only add keys). */
#ifndef AB_SIMPLE_JSON_H
#define AB_SIMPLE_JSON_H

#include "formats/simple_page.h"

/* Parse a project page. Fails with AB_E_PARSE (line/col of a JSON syntax
 * error, or a message naming the bad key) on invalid JSON, a missing or
 * non-1.x "meta.api-version", or a file without a string "filename"/"url".
 * `out` must be SIMPLE_PAGE_INIT; on success the caller releases it; on
 * failure it is released. */
int simple_json_parse_page(struct ab_str json, const char *page_url, struct simple_page *out,
			   struct ab_err *err);

/* Parse the project list ({"projects": [{"name": ...}]}): each project's URL
 * is "<page_url>/<normalized name>/" (PEP 691 leaves URLs to the client,
 * PEP 503 fixes the layout). Same contract. */
int simple_json_parse_index(struct ab_str json, const char *page_url, struct simple_index *out,
			    struct ab_err *err);

#endif
