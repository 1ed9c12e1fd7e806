/* vec_specifiers.c - specifiers.json: for each set the validity,
 * str(SpecifierSet), the clauses, SpecifierSet.prereleases (one count per
 * set), every contains() check (one count each) and every filter() case
 * (one count each). */
#include <stdlib.h>
#include <string.h>

#include "formats/pep440.h"
#include "tests/vectors/vec.h"

static const char *check_set(json_t *c, const struct pep440_specset *set)
{
	struct ab_buf b = AB_BUF_INIT;
	const char *bad = NULL;
	const char *want = vec_str(c, "normalized");
	pep440_specset_format(set, &b);
	if (!want || strcmp(b.buf, want)) {
		bad = "normalized";
		goto out;
	}
	json_t *cl = json_object_get(c, "clauses");
	if (json_array_size(cl) != set->n) {
		bad = "clauses";
		goto out;
	}
	for (size_t i = 0; i < set->n; i++) {
		ab_buf_reset(&b);
		pep440_spec_format(&set->specs[i], &b);
		const char *w = json_string_value(json_array_get(cl, i));
		if (!w || strcmp(w, b.buf)) {
			bad = "clauses";
			goto out;
		}
	}
	if (pep440_specset_prereleases(set) != vec_tristate(c, "prereleases"))
		bad = "prereleases";
out:
	ab_buf_release(&b);
	return bad;
}

static void run_cases(json_t *root, struct vec_run *r)
{
	size_t i, k;
	json_t *c, *chk;
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *in = vec_str(c, "specifier");
		bool want_valid = vec_tristate(c, "valid") == 1;
		struct pep440_specset set = PEP440_SPECSET_INIT;
		struct ab_err err = AB_ERR_INIT;
		int rc = in ? pep440_specset_parse(ab_str_from(in), &set, &err) : -1;
		if (!in) {
			vec_fail(r, "?", "case without specifier");
		} else if (want_valid != (rc == 0)) {
			vec_fail(r, in, "valid %d, want %d (%s)", rc == 0, want_valid, err.msg.buf);
		} else if (!want_valid) {
			if (err.code != AB_E_PARSE || !err.msg.len || !err.col)
				vec_fail(r, in, "error not reported");
			else
				vec_pass(r);
		} else {
			const char *bad = check_set(c, &set);
			if (bad) {
				struct ab_buf b = AB_BUF_INIT;
				pep440_specset_format(&set, &b);
				vec_fail(r, in, "'%s' differs (got '%s', prereleases %d)", bad,
					 b.buf, pep440_specset_prereleases(&set));
				ab_buf_release(&b);
			} else {
				vec_pass(r);
			}
			json_array_foreach(json_object_get(c, "checks"), k, chk)
			{
				const char *ver = vec_str(chk, "version");
				int pre = vec_tristate(chk, "prereleases");
				int want = vec_tristate(chk, "contains");
				if (!ver || want < 0) {
					/* the reference raised: nothing to compare */
					vec_fail(r, in, "check without an answer");
					continue;
				}
				bool got = pep440_specset_contains_str(&set, ab_str_from(ver), pre);
				/* the parsed-version entry point agrees where it applies:
				 * without '===' a Version and its string are the same item */
				struct pep440_version *v = pep440_version_new(ver);
				bool arb = strstr(in, "===") != NULL;
				if (got != (want == 1))
					vec_fail(r, in, "contains('%s', prereleases=%d) = %d", ver,
						 pre, got);
				else if (v && !arb && pep440_specset_contains(&set, v, pre) != got)
					vec_fail(r, in, "contains(Version('%s')) disagrees", ver);
				else
					vec_pass(r);
				pep440_version_free(v);
			}
		}
		pep440_specset_release(&set);
		ab_err_release(&err);
	}
}

static void run_filters(json_t *root, struct vec_run *r)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(root, "filters"), i, f)
	{
		const char *in = vec_str(f, "specifier");
		json_t *vers = json_object_get(f, "versions");
		json_t *want = json_object_get(f, "filtered");
		size_t n = json_array_size(vers);
		struct ab_str *items = calloc(n ? n : 1, sizeof(*items));
		size_t *keep = calloc(n ? n : 1, sizeof(*keep));
		struct pep440_specset set = PEP440_SPECSET_INIT;
		for (size_t j = 0; j < n; j++)
			items[j] = ab_str_from(json_string_value(json_array_get(vers, j)));
		if (!in || pep440_specset_parse(ab_str_from(in), &set, NULL) < 0) {
			if (json_is_array(want))
				vec_fail(r, in, "filter: specifier does not parse");
			else
				vec_pass(r);
			goto next;
		}
		if (!json_is_array(want)) {
			vec_fail(r, in, "filter: the reference raised, we did not");
			goto next;
		}
		set.prereleases = vec_tristate(f, "specifier_prereleases");
		size_t k = pep440_specset_filter_str(&set, items, n, vec_tristate(f, "prereleases"),
						     keep);
		bool ok = k == json_array_size(want);
		for (size_t j = 0; ok && j < k; j++) {
			const char *w = json_string_value(json_array_get(want, j));
			ok = w && items[keep[j]].len == strlen(w) &&
			     !memcmp(items[keep[j]].ptr, w, items[keep[j]].len);
		}
		if (ok)
			vec_pass(r);
		else
			vec_fail(r, in, "filter #%zu (prereleases %d/%d): kept %zu, want %zu", i,
				 set.prereleases, vec_tristate(f, "prereleases"), k,
				 json_array_size(want));
	next:
		pep440_specset_release(&set);
		free(items);
		free(keep);
	}
}

void vec_specifiers(json_t *root, struct vec_run *r)
{
	run_cases(root, r);
	run_filters(root, r);
}
