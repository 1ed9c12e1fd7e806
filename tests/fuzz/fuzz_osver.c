/* fuzz_osver.c - osver_map on fuzzed versions, as an order property: the
 * input is two versions separated by a newline; when both parse and neither
 * is flagged unorderable, rpmvercmp() (librpmio) and dpkg's verrevcmp() (a
 * copy of lib/dpkg/version.c; both in tests/unit/osver_oracle.h) must order
 * their mappings as PEP 440 orders the versions, and equal versions must map
 * to equal strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/osver.h"
#include "tests/unit/osver_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t la = nl ? (size_t)(nl - (const char *)data) : size;
	struct ab_str in[2] = { ab_str_make((const char *)data, la),
				ab_str_make(nl ? nl + 1 : "1.0", nl ? size - la - 1 : 3) };
	struct pep440_version *v[2] = { NULL, NULL };
	struct osver o[2][2] = { { OSVER_INIT, OSVER_INIT }, { OSVER_INIT, OSVER_INIT } };
	bool ok = true;

	for (int i = 0; i < 2; i++) {
		struct ab_err err = AB_ERR_INIT;
		if (pep440_version_parse(in[i], &v[i], &err) < 0)
			ok = false;
		for (int f = 0; ok && f < 2; f++) {
			int r = osver_map(v[i], (enum osver_family)f, NULL, OSVER_STRICT, &o[i][f], &err);
			if (r < 0) {
				if (o[i][f].evr || !err.code)
					abort();
				ok = false;
			}
		}
		ab_err_release(&err);
	}
	if (ok) {
		int want = oracle_sign(pep440_version_cmp(v[0], v[1]));
		for (int f = 0; f < 2; f++) {
			if (oracle_osver_cmp(&o[0][f], &o[1][f], (enum osver_family)f) != want)
				abort();
			if (!want && strcmp(o[0][f].evr, o[1][f].evr))
				abort();
		}
	}
	for (int i = 0; i < 2; i++) {
		pep440_version_free(v[i]);
		osver_release(&o[i][0]);
		osver_release(&o[i][1]);
	}
	return 0;
}
