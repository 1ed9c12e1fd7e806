/* fuzz_specifier.c - pep440_specset_parse + format + contains/filter +
 * vrange. str(SpecifierSet) must parse again to the same string; the range
 * of the set must agree with contains(v, prereleases=True) on probes, and
 * its complement must hold exactly the other probes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pep440.h"
#include "formats/vrange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const probes[] = {
	"0.dev0",    "0",     "1.0.dev0", "1.0a1",  "1.0", "1.0+l", "1.0.post0.dev0",
	"1.0.post1", "1.0.1", "1.1",	  "2.0rc1", "2.0", "1!1.0",
};

static void check(const struct pep440_specset *set, const struct vrange *r, const struct vrange *nr,
		  const struct pep440_version *v)
{
	bool in = vrange_contains(r, v);
	if (in != pep440_specset_contains(set, v, 1) || in == vrange_contains(nr, v))
		abort();
}

/* "A|B": the set operations on the ranges of A and B agree with boolean
 * logic on the probes and on every clause version of both. */
static void pair(struct ab_str a, struct ab_str b)
{
	struct pep440_specset sa = PEP440_SPECSET_INIT, sb = PEP440_SPECSET_INIT;
	struct vrange ra = VRANGE_INIT, rb = VRANGE_INIT, in = VRANGE_INIT, un = VRANGE_INIT,
		      df = VRANGE_INIT;
	if (pep440_specset_parse(a, &sa, NULL) < 0 || pep440_specset_parse(b, &sb, NULL) < 0 ||
	    vrange_from_specset(&ra, &sa) || vrange_from_specset(&rb, &sb))
		goto out;
	vrange_intersect(&in, &ra, &rb);
	vrange_union(&un, &ra, &rb);
	vrange_difference(&df, &ra, &rb);
	size_t np = sizeof(probes) / sizeof(probes[0]);
	for (size_t i = 0; i < np + sa.n + sb.n; i++) {
		struct pep440_version *own = NULL;
		const struct pep440_version *v;
		if (i < np)
			v = own = pep440_version_new(probes[i]);
		else if (i < np + sa.n)
			v = sa.specs[i - np].version;
		else
			v = sb.specs[i - np - sa.n].version;
		if (v) {
			bool x = vrange_contains(&ra, v), y = vrange_contains(&rb, v);
			if (vrange_contains(&in, v) != (x && y) ||
			    vrange_contains(&un, v) != (x || y) ||
			    vrange_contains(&df, v) != (x && !y))
				abort();
		}
		pep440_version_free(own);
	}
	if (vrange_is_subset(&ra, &rb) != vrange_eq(&in, &ra) ||
	    vrange_is_disjoint(&ra, &rb) != vrange_is_empty(&in))
		abort();
out:
	vrange_release(&ra);
	vrange_release(&rb);
	vrange_release(&in);
	vrange_release(&un);
	vrange_release(&df);
	pep440_specset_release(&sa);
	pep440_specset_release(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ab_str in = ab_str_make((const char *)data, size);
	struct pep440_specset set = PEP440_SPECSET_INIT, set2 = PEP440_SPECSET_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf b = AB_BUF_INIT, b2 = AB_BUF_INIT;
	struct vrange r = VRANGE_INIT, nr = VRANGE_INIT, u = VRANGE_INIT;

	const char *bar = memchr(data, '|', size);
	if (bar) {
		size_t k = (size_t)(bar - (const char *)data);
		pair(ab_str_make((const char *)data, k), ab_str_make(bar + 1, size - k - 1));
	}
	if (pep440_specset_parse(in, &set, &err) < 0) {
		if (!err.code || !err.col || err.col > size + 1)
			abort();
		goto out;
	}
	pep440_specset_format(&set, &b);
	(void)pep440_specset_prereleases(&set);
	if (!memchr(data, '\0', size)) {
		if (pep440_specset_parse(ab_buf_str(&b), &set2, NULL) < 0)
			abort();
		pep440_specset_format(&set2, &b2);
		if (strcmp(b.buf, b2.buf))
			abort();
	}
	struct ab_str items[sizeof(probes) / sizeof(probes[0]) + 1];
	size_t keep[sizeof(probes) / sizeof(probes[0]) + 1];
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		items[i] = ab_str_from(probes[i]);
	items[sizeof(probes) / sizeof(probes[0])] = in;
	(void)pep440_specset_filter_str(&set, items, sizeof(probes) / sizeof(probes[0]) + 1, -1,
					keep);
	if (vrange_from_specset(&r, &set) == 0) {
		vrange_complement(&nr, &r);
		vrange_union(&u, &r, &nr);
		if (!vrange_is_full(&u))
			abort();
		ab_buf_reset(&b);
		vrange_format(&r, &b);
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			struct pep440_version *v = pep440_version_new(probes[i]);
			check(&set, &r, &nr, v);
			pep440_version_free(v);
		}
		for (size_t i = 0; i < set.n; i++)
			if (set.specs[i].version)
				check(&set, &r, &nr, set.specs[i].version);
	}
out:
	vrange_release(&r);
	vrange_release(&nr);
	vrange_release(&u);
	pep440_specset_release(&set);
	pep440_specset_release(&set2);
	ab_buf_release(&b);
	ab_buf_release(&b2);
	ab_err_release(&err);
	return 0;
}
