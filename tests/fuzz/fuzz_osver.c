/* fuzz_osver.c - osver_map on fuzzed versions, as an order property: the
 * input is two versions separated by a newline; when both parse and neither
 * is flagged unorderable, rpmvercmp() (librpmio) and dpkg's verrevcmp() (a
 * copy of lib/dpkg/version.c) must order their mappings as PEP 440 orders
 * the versions, and equal versions must map to equal strings. */
#include <rpm/rpmver.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/osver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int c)
{
	return c < 0 ? -1 : c > 0;
}

static int isdig(int c)
{
	return c >= '0' && c <= '9';
}

static int order(int c)
{
	if (isdig(c))
		return 0;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return c;
	if (c == '~')
		return -1;
	return c ? c + 256 : 0;
}

static int verrevcmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first_diff = 0;
		while ((*a && !isdig(*a)) || (*b && !isdig(*b))) {
			int ac = order(*a), bc = order(*b);
			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (isdig(*a) && isdig(*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (isdig(*a))
			return 1;
		if (isdig(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

static int ecmp(const char *a, const char *b)
{
	unsigned long x = strtoul(a, NULL, 10), y = strtoul(b, NULL, 10);
	return (x > y) - (x < y);
}

static int os_cmp(const struct osver *a, const struct osver *b, enum osver_family f)
{
	int c = ecmp(a->epoch, b->epoch);
	if (!c)
		c = f == OSVER_RPM ? rpmvercmp(a->version, b->version)
				   : verrevcmp(a->version, b->version);
	if (!c)
		c = f == OSVER_RPM ? rpmvercmp(a->release, b->release)
				   : verrevcmp(a->release, b->release);
	return sign(c);
}

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
		int want = sign(pep440_version_cmp(v[0], v[1]));
		for (int f = 0; f < 2; f++) {
			if (os_cmp(&o[0][f], &o[1][f], (enum osver_family)f) != want)
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
