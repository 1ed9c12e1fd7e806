/* simple_html.h - PEP 503 "simple" HTML pages: a project's file list and the
 * project list, read by a tolerant scanner (no DOM, no regex).
 *
 * What is read, as pip 23 reads it (pip/_internal/models/link.py):
 *   <a href=...>           one file; the URL is resolved against <base href>
 *                          (the first one in the document, wherever it is) or
 *                          the page URL; "#algo=hex" fragments become hashes
 *   data-requires-python   HTML-unescaped; empty means none
 *   data-yanked            PEP 592: present means yanked, the value is the reason
 *   data-core-metadata     PEP 714 (preferred), else data-dist-info-metadata
 *                          (PEP 658): "true" or "algo=hex"; "false" or a bare
 *                          attribute means no sidecar
 *   <meta name="pypi:repository-version" content=...>  api_version
 * Attribute values are HTML-unescaped (Python's html.parser does so); a
 * repeated attribute: the last one wins (pip builds a dict). Garbage never
 * fails the parse: unterminated tags and comments end the scan. */
#ifndef AB_SIMPLE_HTML_H
#define AB_SIMPLE_HTML_H

#include "formats/simple_page.h"

/* Parse a project page. `page_url` is the absolute URL the page came from
 * (file:// for a local file). `out` must be SIMPLE_PAGE_INIT or released; on
 * success the caller releases it with simple_page_release(). Fails only with
 * AB_E_PARSE when `page_url` (or a <base href>) is not a URL; anchors whose
 * href cannot be resolved are skipped. On failure `out` is released. */
int simple_html_parse_page(struct ab_str html, const char *page_url, struct simple_page *out,
			   struct ab_err *err);

/* Parse the project list page: one project per anchor, its name the anchor
 * text (unescaped, trimmed), its URL the resolved href. Same contract. */
int simple_html_parse_index(struct ab_str html, const char *page_url, struct simple_index *out,
			    struct ab_err *err);

#endif
