/* fuzz_requirement.c - pep508_parse + pep508_format + release; the printed
 * form of an accepted requirement must be accepted again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pep508.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pep508_req r = PEP508_REQ_INIT, r2 = PEP508_REQ_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf b = AB_BUF_INIT;
	if (pep508_parse(ab_str_make((const char *)data, size), &r, &err) < 0)
		goto out;
	pep508_format(&r, &b);
	if (!memchr(b.buf, '\\', b.len) && !memchr(b.buf, '\'', b.len) &&
	    !memchr(b.buf, '\n', b.len) && !memchr(b.buf, '\r', b.len) &&
	    strlen(b.buf) == b.len && pep508_parse(ab_buf_str(&b), &r2, &err) < 0)
		abort();
out:
	pep508_release(&r);
	pep508_release(&r2);
	ab_buf_release(&b);
	ab_err_release(&err);
	return 0;
}
