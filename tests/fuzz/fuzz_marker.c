/* fuzz_marker.c - marker_parse + marker_format + marker_evaluate + free.
 * The printed form must parse again and print the same (str() is stable). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/marker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct marker *m = NULL, *m2 = NULL;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf b = AB_BUF_INIT, b2 = AB_BUF_INIT, storage = AB_BUF_INIT;
	struct marker_env env;
	struct marker_target t = { "3.11.1+", "cpython", "linux", "x86_64" };
	if (marker_parse(ab_str_make((const char *)data, size), &m, &err) < 0)
		goto out;
	marker_format(m, &b);
	marker_env_from_target(&env, &t, &storage);
	env.vars[MARKER_VAR_EXTRAS] = "a,B_c";
	env.vars[MARKER_VAR_EXTRA] = "Foo.Bar";
	ab_err_clear(&err);
	(void)marker_evaluate(m, &env, &err);
	/* values holding both quote kinds or a NUL cannot round-trip */
	if (!memchr(b.buf, '\\', b.len) && !memchr(b.buf, '\n', b.len) &&
	    !memchr(b.buf, '\r', b.len) && strlen(b.buf) == b.len) {
		ab_err_clear(&err);
		if (marker_parse(ab_buf_str(&b), &m2, &err) == 0) {
			marker_format(m2, &b2);
			if (strcmp(b.buf, b2.buf))
				abort();
		}
	}
out:
	marker_free(m);
	marker_free(m2);
	ab_buf_release(&b);
	ab_buf_release(&b2);
	ab_buf_release(&storage);
	ab_err_release(&err);
	return 0;
}
