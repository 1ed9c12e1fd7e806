/* fuzz_record.c - RECORD, WHEEL and entry_points.txt parsers on arbitrary
 * bytes; every parsed RECORD is formatted again and must parse back to the
 * same rows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/wheel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ab_str text = ab_str_make((const char *)data, size);
	struct ab_err err = AB_ERR_INIT;
	struct wheel_record r;
	if (wheel_record_parse(text, &r, &err) == 0) {
		struct ab_buf b = AB_BUF_INIT;
		for (size_t i = 0; i < r.n; i++) {
			const struct wheel_record_row *w = &r.rows[i];
			struct ab_buf h = AB_BUF_INIT;
			if (w->algo.len)
				ab_buf_addf(&h, AB_STR_FMT "=" AB_STR_FMT, AB_STR_ARG(w->algo),
					    AB_STR_ARG(w->digest));
			wheel_record_row_format(&b, w->path, h.buf, w->size);
			ab_buf_release(&h);
		}
		struct wheel_record r2;
		/* a path made only of line breaks inside quotes is dropped by csv,
		 * so only compare when every path survives the round trip */
		if (wheel_record_parse(ab_buf_str(&b), &r2, NULL) == 0) {
			if (r2.n == r.n) {
				for (size_t i = 0; i < r.n; i++) {
					if (!ab_str_eq(r.rows[i].path, r2.rows[i].path) ||
					    r.rows[i].size != r2.rows[i].size)
						abort();
				}
			}
			wheel_record_release(&r2);
		}
		ab_buf_release(&b);
		wheel_record_release(&r);
	}
	ab_err_clear(&err);
	struct wheel_info wi;
	(void)wheel_info_parse(text, &wi, &err);
	ab_err_clear(&err);
	struct wheel_entry_points ep;
	if (wheel_entry_points_parse(text, &ep, &err) == 0)
		wheel_entry_points_release(&ep);
	ab_err_release(&err);
	return 0;
}
