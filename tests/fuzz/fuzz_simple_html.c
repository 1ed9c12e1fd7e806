/* fuzz_simple_html.c - the PEP 503 scanner on arbitrary bytes: page and
 * project list, every kept string read back. */
#include <stdint.h>
#include <string.h>

#include "formats/simple_html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ab_str in = ab_str_make((const char *)data, size);
	struct simple_page p = SIMPLE_PAGE_INIT;
	struct ab_err err = AB_ERR_INIT;
	size_t sum = 0;
	if (simple_html_parse_page(in, "https://example.org/simple/p/", &p, &err) == 0) {
		for (size_t i = 0; i < p.nfiles; i++) {
			const struct simple_file *f = &p.files[i];
			sum += strlen(f->filename) + strlen(f->url);
			for (size_t k = 0; k < f->nhashes; k++)
				sum += strlen(f->hashes[k].algo) + strlen(f->hashes[k].hex);
			if (f->requires_python)
				sum += strlen(f->requires_python);
			if (f->yanked_reason)
				sum += strlen(f->yanked_reason);
			if (f->metadata_hash.hex)
				sum += strlen(f->metadata_hash.hex);
		}
	}
	simple_page_release(&p);
	struct simple_index ix = SIMPLE_INDEX_INIT;
	if (simple_html_parse_index(in, "file:///srv/simple/", &ix, &err) == 0)
		for (size_t i = 0; i < ix.nprojects; i++)
			sum += strlen(ix.projects[i].name) + strlen(ix.projects[i].url);
	simple_index_release(&ix);
	ab_err_release(&err);
	return sum == (size_t)-1;
}
