/* fuzz_metadata.c - core metadata on arbitrary bytes: the header level
 * never crashes and its views stay inside the input; the typed parse
 * (lenient, then strict) never leaks, and every error carries a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct ab_str v, const char *base, size_t size)
{
	if (v.ptr && (v.ptr < base || v.ptr + v.len > base + size))
		abort();
}

static void check_msg(const struct metadata_msg *m, const char *base, size_t size)
{
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct metadata_header *h = &m->headers[i];
		inside(h->name, base, size);
		inside(h->value, base, size);
		if (!h->name.len || memchr(h->name.ptr, ':', h->name.len) || !h->line || !h->col)
			abort();
	}
	if (m->is_multipart != (m->body.ptr == NULL))
		abort();
	if (!m->owned)
		inside(m->body, base, size);
	for (size_t i = 0; i < m->ndefects; i++)
		if (!(m->defect_mask & (1u << m->defects[i].kind)))
			abort();
}

static void use_reqs(const struct metadata *md, const struct metadata_reqs *rq)
{
	for (size_t i = 0; i < rq->n; i++) {
		struct ab_err err = AB_ERR_INIT;
		if (rq->items[i].valid) {
			struct ab_buf b = AB_BUF_INIT;
			pep508_format(&rq->items[i].req, &b);
			ab_buf_release(&b);
			if (metadata_req_error(md, &rq->items[i], "f", &err) != 0)
				abort();
		} else if (metadata_req_error(md, &rq->items[i], "f", &err) >= 0 || !err.msg.len ||
			   !err.line) {
			abort();
		}
		ab_err_release(&err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct metadata_msg m;
	metadata_msg_parse(ab_str_make(text, size), &m);
	check_msg(&m, text, size);
	metadata_msg_release(&m);

	struct metadata md;
	struct ab_err err = AB_ERR_INIT;
	if (metadata_parse(ab_str_make(text, size), 0, "f", &md, &err) != 0)
		abort();
	check_msg(&md.msg, md.text, size);
	use_reqs(&md, &md.requires_dist);
	use_reqs(&md, &md.provides_dist);
	struct ab_buf b = AB_BUF_INIT;
	if (md.version)
		pep440_version_format(md.version, &b);
	if (md.requires_python_valid)
		pep440_specset_format(&md.requires_python, &b);
	for (size_t i = 0; i < md.nprovides_extra; i++)
		ab_buf_adds(&b, md.provides_extra[i].canonical);
	if (md.name.ptr)
		ab_buf_adds(&b, md.name_canonical);
	ab_buf_release(&b);
	metadata_release(&md);

	int r = metadata_parse(ab_str_make(text, size), METADATA_STRICT | METADATA_STRICT_REQS, "f",
			       &md, &err);
	if (r < 0) {
		if (err.code != AB_E_PARSE || !err.msg.len || md.text)
			abort();
	} else {
		if (!md.version || !md.name_canonical || !md.metadata_version.ptr)
			abort();
		metadata_release(&md);
	}
	ab_err_release(&err);
	return 0;
}
