/* fuzz_version.c - pep440_version_parse + format helpers + dup + free.
 * str(Version) must parse again to the same string and an equal version;
 * comparison must be antisymmetric against a few fixed versions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pep440.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int c)
{
	return c < 0 ? -1 : c > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = { "0.dev0",	       "1.0",	"1.0+a.1",
					     "1.0.post1.dev2", "1!2a3", "18446744073709551616" };
	struct ab_str in = ab_str_make((const char *)data, size);
	struct pep440_version *v = NULL, *v2 = NULL, *d = NULL;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf b = AB_BUF_INIT;

	pep440_canonicalize(in, &b);
	ab_buf_reset(&b);
	if (pep440_version_parse(in, &v, &err) < 0) {
		if (!err.code || !err.col || err.col > size + 1)
			abort();
		goto out;
	}
	pep440_version_format(v, &b);
	if (strcmp(b.buf, v->str) || b.len != v->len)
		abort();
	pep440_version_public(v, &b);
	pep440_version_base(v, &b);
	pep440_version_local(v, &b);
	ab_buf_reset(&b);
	if (pep440_version_parse(ab_str_from(v->str), &v2, NULL) < 0 || strcmp(v2->str, v->str) ||
	    pep440_version_cmp(v, v2) != 0)
		abort();
	d = pep440_version_dup(v);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		struct pep440_version *f = pep440_version_new(fixed[i]);
		if (sign(pep440_version_cmp(v, f)) != -sign(pep440_version_cmp(f, v)) ||
		    pep440_version_cmp(d, f) != pep440_version_cmp(v, f))
			abort();
		pep440_version_free(f);
	}
	(void)pep440_is_prerelease(v);
out:
	pep440_version_free(v);
	pep440_version_free(v2);
	pep440_version_free(d);
	ab_buf_release(&b);
	ab_err_release(&err);
	return 0;
}
