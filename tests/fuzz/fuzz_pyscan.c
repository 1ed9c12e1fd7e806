/* fuzz_pyscan.c - the Python scanner on arbitrary bytes: never crash, never
 * leak, and an error always carries a position. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/pyscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pyscan_result res;
	struct ab_err err = AB_ERR_INIT;
	int r = pyscan_find_name(ab_str_make((const char *)data, size), "application", "f", &res,
				 &err);
	if (r < 0 && (err.line == 0 || err.col == 0 || !err.msg.len))
		abort();
	if (r == 1 && (!res.found || res.line == 0 || res.col == 0))
		abort();
	if (r >= 0) {
		struct ab_buf b = AB_BUF_INIT;
		ab_buf_adds(&b, pyscan_kind_name(res.kind));
		ab_buf_release(&b);
	}
	ab_err_release(&err);
	return 0;
}
