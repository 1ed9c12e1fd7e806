/* fuzz_extdeps.c - extdeps_parse + extdeps_format_entry + release; a
 * formatted entry must parse again to the same text. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/extdeps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct extdeps d = EXTDEPS_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf b = AB_BUF_INIT;
	if (extdeps_parse(&d, "x.txt", ab_str_make((const char *)data, size), &err) < 0)
		ab_err_format(&err, &b);
	for (size_t i = 0; i < d.n; i++) {
		struct extdeps_entry *e = &d.entries[i];
		if (!e->line || !e->col || !e->name[0])
			abort();
		ab_buf_reset(&b);
		extdeps_format_entry(e, &b);
		struct extdeps d2 = EXTDEPS_INIT;
		struct ab_err err2 = AB_ERR_INIT;
		struct ab_buf b2 = AB_BUF_INIT;
		/* a marker's own text may hold '#' after a space, and marker
		 * strings with quotes, backslashes or control characters (an
		 * escape such as \r decodes to one) print as packaging prints
		 * them, which need not parse again: skip those */
		bool ctl = false;
		for (size_t k = 0; k < b.len && !ctl; k++)
			ctl = (unsigned char)b.buf[k] < 0x20;
		if (!ctl && !memchr(b.buf, '#', b.len) && !memchr(b.buf, '\\', b.len) &&
		    !memchr(b.buf, '\'', b.len)) {
			if (extdeps_parse(&d2, NULL, ab_buf_str(&b), &err2) < 0 || d2.n != 1)
				abort();
			extdeps_format_entry(&d2.entries[0], &b2);
			if (strcmp(b.buf, b2.buf))
				abort();
		}
		extdeps_release(&d2);
		ab_err_release(&err2);
		ab_buf_release(&b2);
	}
	extdeps_release(&d);
	ab_err_release(&err);
	ab_buf_release(&b);
	return 0;
}
