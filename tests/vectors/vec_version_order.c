/* vec_version_order.c - version_order.json: cases[] (sign of the comparison,
 * checked both ways), sorted[] (strictly ascending: every pair is checked,
 * one count per element) and upstream_sorted[] (non-decreasing). */
#include <stdlib.h>

#include "formats/pep440.h"
#include "tests/vectors/vec.h"

static int sign(int c)
{
	return c < 0 ? -1 : c > 0;
}

/* Parse every string of a JSON array; NULL entries where parsing failed. */
static struct pep440_version **parse_all(json_t *arr, size_t *n)
{
	*n = json_array_size(arr);
	struct pep440_version **vs = calloc(*n ? *n : 1, sizeof(*vs));
	for (size_t i = 0; i < *n; i++)
		vs[i] = pep440_version_new(json_string_value(json_array_get(arr, i)));
	return vs;
}

static void free_all(struct pep440_version **vs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pep440_version_free(vs[i]);
	free(vs);
}

static void check_list(json_t *arr, bool strict, struct vec_run *r)
{
	size_t n;
	struct pep440_version **vs = parse_all(arr, &n);
	for (size_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_array_get(arr, i));
		if (!vs[i]) {
			vec_fail(r, name, "does not parse");
			continue;
		}
		bool ok = true;
		for (size_t j = 0; j < n && ok; j++) {
			if (!vs[j] || j == i)
				continue;
			int c = sign(pep440_version_cmp(vs[i], vs[j]));
			int back = sign(pep440_version_cmp(vs[j], vs[i]));
			if (c != -back)
				ok = false;
			else if (strict && c != (i < j ? -1 : 1))
				ok = false;
			else if (!strict && (i < j ? c > 0 : c < 0))
				ok = false;
			if (!ok)
				vec_fail(r, name, "misplaced against '%s' (cmp %d)",
					 json_string_value(json_array_get(arr, j)), c);
		}
		if (ok)
			vec_pass(r);
	}
	free_all(vs, n);
}

void vec_version_order(json_t *root, struct vec_run *r)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *a = vec_str(c, "a"), *b = vec_str(c, "b");
		int want = (int)json_integer_value(json_object_get(c, "cmp"));
		struct pep440_version *va = pep440_version_new(a), *vb = pep440_version_new(b);
		if (!va || !vb) {
			vec_fail(r, a, "'%s' or '%s' does not parse", a, b);
		} else {
			int ab = sign(pep440_version_cmp(va, vb)),
			    ba = sign(pep440_version_cmp(vb, va));
			if (ab != want || ba != -want)
				vec_fail(r, a, "vs '%s': cmp %d/%d, want %d", b, ab, ba, want);
			else
				vec_pass(r);
		}
		pep440_version_free(va);
		pep440_version_free(vb);
	}
	check_list(json_object_get(root, "sorted"), true, r);
	check_list(json_object_get(root, "upstream_sorted"), false, r);
}
