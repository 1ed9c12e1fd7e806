/* fuzz_toml.c - toml_parse + toml_format + toml_get + release; an error
 * must carry a position. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_doc doc;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf b = AB_BUF_INIT;
	if (toml_parse(ab_str_make((const char *)data, size), "f.toml", &doc, &err) < 0) {
		if (err.code != AB_E_PARSE || !err.line || !err.col || doc.root)
			abort();
		ab_err_format(&err, &b);
	} else {
		toml_format(doc.root, &b);
		const struct toml_value *bs = toml_get(doc.root, "build-system");
		if (bs && bs->type == TOML_TABLE && toml_get(bs, "requires") && !bs->line)
			abort();
		toml_release(&doc);
	}
	ab_err_release(&err);
	ab_buf_release(&b);
	return 0;
}
