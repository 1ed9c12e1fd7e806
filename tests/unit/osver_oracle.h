/* osver_oracle.h - the orders formats/osver.h's mapping must keep, as the
 * package managers compute them: dpkg's verrevcmp() (a copy of
 * lib/dpkg/version.c, dpkg 1.21) and rpmVersionCompare() over librpmio's
 * rpmvercmp(). Header-only (static inline) so that the unit test
 * (tests/unit/osver_test.c) and the fuzz target (tests/fuzz/fuzz_osver.c),
 * which link nothing else in common, check against one copy. */
#ifndef AB_OSVER_ORACLE_H
#define AB_OSVER_ORACLE_H

#include <rpm/rpmver.h>
#include <stdlib.h>

#include "formats/osver.h"

static inline int oracle_is_dig(int c)
{
	return c >= '0' && c <= '9';
}

static inline int oracle_dpkg_order(int c)
{
	if (oracle_is_dig(c))
		return 0;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return c;
	if (c == '~')
		return -1;
	return c ? c + 256 : 0;
}

/* dpkg's verrevcmp(): <0, 0, >0. */
static inline int oracle_dpkg_verrevcmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first_diff = 0;
		while ((*a && !oracle_is_dig(*a)) || (*b && !oracle_is_dig(*b))) {
			int ac = oracle_dpkg_order(*a), bc = oracle_dpkg_order(*b);
			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (oracle_is_dig(*a) && oracle_is_dig(*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (oracle_is_dig(*a))
			return 1;
		if (oracle_is_dig(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

static inline int oracle_sign(int c)
{
	return (c > 0) - (c < 0);
}

/* Two mapped versions as the family's package manager orders them: the
 * epoch as a number, then the version, then the release. -1, 0 or 1. */
static inline int oracle_osver_cmp(const struct osver *a, const struct osver *b,
				   enum osver_family f)
{
	unsigned long x = strtoul(a->epoch, NULL, 10), y = strtoul(b->epoch, NULL, 10);
	int c = (x > y) - (x < y);
	if (!c)
		c = f == OSVER_RPM ? rpmvercmp(a->version, b->version)
				   : oracle_dpkg_verrevcmp(a->version, b->version);
	if (!c)
		c = f == OSVER_RPM ? rpmvercmp(a->release, b->release)
				   : oracle_dpkg_verrevcmp(a->release, b->release);
	return oracle_sign(c);
}

#endif
