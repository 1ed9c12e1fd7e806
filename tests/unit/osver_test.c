/* osver_test.c - PEP 440 -> RPM / Debian version mapping.
 *
 * Examples from issue #9, error paths, and the order check: every valid
 * version of ../shared/vectors (versions.json, version_order.json) mapped
 * and compared pairwise with librpm's rpmvercmp() and with dpkg's
 * algorithm (a reference copy of verrevcmp, cross-checked against the real
 * `dpkg --compare-versions` on a sample) against pep440_version_cmp().
 * OSVER_DPKG_PAIRS=N sets the size of that sample (default 240). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <rpm/rpmver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/core/mem.h"
#include "formats/osver.h"
#include "tests/unit/osver_oracle.h"
#include "tests/unit/testutil.h"

/* ---- examples ---- */

static const struct {
	const char *in, *rpm, *deb;
	bool unorderable;
} examples[] = {
	/* issue #9 */
	{ "1.0.dev1", "1~~dev1-1", "1~~dev1-1", false },
	{ "1.0a1.dev1", "1~a1~dev1-1", "1~a1~dev1-1", false },
	{ "1.0.post1", "1^post1-1", "1+post1-1", false },
	{ "1!0.5", "1:0.5-1", "1:0.5-1", false },
	{ "1+abc.1", "1-1.abc.1", "1-1.~abc~.1", false },
	/* release trailing zeros, all-zero release */
	{ "1.0.0", "1-1", "1-1", false },
	{ "0.0", "0-1", "0-1", false },
	{ "1.0.1", "1.0.1-1", "1.0.1-1", false },
	{ "2024.01.31", "2024.1.31-1", "2024.1.31-1", false },
	/* pre, post, dev combinations; alternate spellings normalized */
	{ "1.0b2", "1~b2-1", "1~b2-1", false },
	{ "1.0c1", "1~rc1-1", "1~rc1-1", false },
	{ "1.0rc1.post2.dev3", "1~rc1^post2~dev3-1", "1~rc1+post2~dev3-1", false },
	{ "1.0.post0.dev0", "1^post0~dev0-1", "1+post0~dev0-1", false },
	{ "1.0-5", "1^post5-1", "1+post5-1", false },
	{ "0!1.0", "1-1", "1-1", false },
	{ "7!1.0.post456.dev34", "7:1^post456~dev34-1", "7:1+post456~dev34-1", false },
	/* big numbers keep their digits */
	{ "1.18446744073709551616", "1.18446744073709551616-1", "1.18446744073709551616-1", false },
	/* local labels: numbers lose leading zeros as in PEP 440 */
	{ "1.0+001.002", "1-1.1.2", "1-1.1.2", false },
	{ "1.0+Local.Version", "1-1.local.version", "1-1.~local~.~version~", false },
	{ "1.0+cu118", "1-1.cu118", "1-1.~cu118~", true },
	{ "2.1.0+cpu", "2.1-1.cpu", "2.1-1.~cpu~", false },
};

static void check_one(const char *in, enum osver_family fam, const char *want, bool unord)
{
	struct osver o = OSVER_INIT;
	struct ab_err err = AB_ERR_INIT;
	if (osver_map_str(ab_str_from(in), fam, NULL, 0, &o, &err) < 0)
		fail_msg("'%s': %s", in, err.msg.buf);
	if (strcmp(o.evr, want))
		fail_msg("'%s' (%s): got '%s', want '%s'", in, fam == OSVER_RPM ? "rpm" : "deb", o.evr,
			 want);
	assert_int_equal(o.unorderable, unord);
	assert_true(unord ? o.why != NULL : o.why == NULL);
	osver_release(&o);
	ab_err_release(&err);
}

static void map_examples(void **state)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(examples); i++) {
		check_one(examples[i].in, OSVER_RPM, examples[i].rpm, examples[i].unorderable);
		check_one(examples[i].in, OSVER_DEB, examples[i].deb, examples[i].unorderable);
	}
}

static void map_parts(void **state)
{
	struct osver o = OSVER_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(osver_map_str(ab_str_from("3!2.0rc1.post1+ubuntu.2"), OSVER_RPM, "4.el9", 0,
				       &o, &err),
			 0);
	assert_string_equal(o.epoch, "3");
	assert_string_equal(o.version, "2~rc1^post1");
	assert_string_equal(o.release, "4.el9.ubuntu.2");
	assert_string_equal(o.evr, "3:2~rc1^post1-4.el9.ubuntu.2");
	osver_release(&o);
	assert_int_equal(osver_map_str(ab_str_from("2.0"), OSVER_DEB, "0", 0, &o, &err), 0);
	assert_string_equal(o.epoch, "");
	assert_string_equal(o.version, "2");
	assert_string_equal(o.release, "0");
	osver_release(&o);
	osver_release(&o); /* twice is fine */
	ab_err_release(&err);
}

static const struct {
	const char *in, *rel;
	unsigned flags;
	int code;
	const char *msg;
	unsigned col;
} bad[] = {
	{ "1.0+cu12", NULL, OSVER_STRICT, -AB_E_UNSUPPORTED,
	  "local version segment 'cu12' of '1.0+cu12' mixes letters and digits: PEP 440 compares it "
	  "as text, rpm compares its digits as a number, so it may sort out of order against "
	  "another local label of the same version",
	  0 },
	{ "2147483648!1.0", NULL, 0, -AB_E_UNSUPPORTED,
	  "epoch of '2147483648!1.0' is too large for a package version (at most 2147483647)", 0 },
	{ "99999999999999999999!1.0", NULL, 0, -AB_E_UNSUPPORTED,
	  "epoch of '99999999999999999999!1.0' is too large for a package version (at most "
	  "2147483647)",
	  0 },
	{ "1.0", "", 0, -AB_E_INVALID, "package release '' must start with a digit", 0 },
	{ "1.0", "el9", 0, -AB_E_INVALID, "package release 'el9' must start with a digit", 0 },
	{ "1.0", "1-2", 0, -AB_E_INVALID, "invalid character '-' in package release '1-2'", 2 },
	{ "1.0", "1.el9~x", 0, -AB_E_INVALID, "invalid character '~' in package release '1.el9~x'",
	  6 },
	{ "1.0x", NULL, 0, -AB_E_PARSE, NULL, 4 },
};

static void map_errors(void **state)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(bad); i++) {
		struct osver o = OSVER_INIT;
		struct ab_err err = AB_ERR_INIT;
		int r = osver_map_str(ab_str_from(bad[i].in), OSVER_RPM, bad[i].rel, bad[i].flags, &o,
				      &err);
		if (r != bad[i].code)
			fail_msg("'%s': got %d, want %d (%s)", bad[i].in, r, bad[i].code, err.msg.buf);
		if (bad[i].msg)
			assert_string_equal(err.msg.buf, bad[i].msg);
		assert_int_equal(err.col, bad[i].col);
		assert_null(o.evr);
		assert_null(o.why);
		osver_release(&o);
		ab_err_release(&err);
	}
	/* Epoch at the limit is fine. */
	struct osver o = OSVER_INIT;
	assert_int_equal(osver_map_str(ab_str_from("2147483647!1"), OSVER_DEB, NULL, 0, &o, NULL), 0);
	assert_string_equal(o.evr, "2147483647:1-1");
	osver_release(&o);
}

/* ---- the package managers' orders: tests/unit/osver_oracle.h ---- */

static int is_dig(int c)
{
	return c >= '0' && c <= '9';
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static int deb_cmp(const struct osver *a, const struct osver *b)
{
	return oracle_osver_cmp(a, b, OSVER_DEB);
}

static int rpm_cmp(const struct osver *a, const struct osver *b)
{
	return oracle_osver_cmp(a, b, OSVER_RPM);
}

/* dpkg's parseversion() syntax rules, so that a mapped version is one dpkg
 * accepts without a warning. */
static bool deb_valid(const struct osver *o)
{
	if (!is_dig(o->version[0]))
		return false;
	for (const char *p = o->version; *p; p++)
		if (!(is_dig(*p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      strchr(".+~", *p)))
			return false;
	for (const char *p = o->release; *p; p++)
		if (!(is_dig(*p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      strchr(".+~", *p)))
			return false;
	return true;
}

/* ---- the vectors ---- */

struct entry {
	struct pep440_version *v;
	struct osver rpm, deb;
};

struct set {
	struct entry *e;
	size_t n, cap;
};

/* Adds `s` (a valid version) and returns its index; duplicates kept apart
 * by string are fine (they test equal mapping). */
static size_t set_add(struct set *set, const char *s)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->e[i].v->str, s))
			return i;
	struct entry e = { NULL, OSVER_INIT, OSVER_INIT };
	struct ab_err err = AB_ERR_INIT;
	if (pep440_version_parse(ab_str_from(s), &e.v, &err) < 0)
		fail_msg("vector version '%s' does not parse: %s", s, err.msg.buf);
	if (osver_map(e.v, OSVER_RPM, NULL, 0, &e.rpm, &err) < 0 ||
	    osver_map(e.v, OSVER_DEB, NULL, 0, &e.deb, &err) < 0)
		fail_msg("'%s' does not map: %s", s, err.msg.buf);
	if (!deb_valid(&e.deb))
		fail_msg("'%s' maps to '%s', not a valid Debian version", s, e.deb.evr);
	AB_GROW(set->e, set->cap, set->n + 1);
	set->e[set->n] = e;
	return set->n++;
}

struct tally {
	size_t pairs, rpm_bad, deb_bad, rpm_unord, deb_unord, equal;
};

static void compare_pair(struct set *set, size_t i, size_t j, struct tally *t)
{
	struct entry *a = &set->e[i], *b = &set->e[j];
	int want = sign(pep440_version_cmp(a->v, b->v));
	int r = rpm_cmp(&a->rpm, &b->rpm), d = deb_cmp(&a->deb, &b->deb);
	bool unord = a->rpm.unorderable || b->rpm.unorderable;
	t->pairs++;
	if (want == 0) {
		t->equal++;
		/* equal versions map to the very same strings */
		if (strcmp(a->rpm.evr, b->rpm.evr) || strcmp(a->deb.evr, b->deb.evr))
			fail_msg("'%s' == '%s' but map to '%s'/'%s' and '%s'/'%s'", a->v->str, b->v->str,
				 a->rpm.evr, b->rpm.evr, a->deb.evr, b->deb.evr);
	}
	if (r != want) {
		if (!unord)
			fail_msg("rpm: '%s' vs '%s' is %d in PEP 440 but '%s' vs '%s' is %d", a->v->str,
				 b->v->str, want, a->rpm.evr, b->rpm.evr, r);
		t->rpm_bad++;
		if (getenv("OSVER_VERBOSE"))
			print_message("rpm out of order (flagged): '%s' vs '%s' -> '%s' vs '%s'\n",
				      a->v->str, b->v->str, a->rpm.evr, b->rpm.evr);
	}
	if (d != want) {
		if (!unord)
			fail_msg("dpkg: '%s' vs '%s' is %d in PEP 440 but '%s' vs '%s' is %d", a->v->str,
				 b->v->str, want, a->deb.evr, b->deb.evr, d);
		t->deb_bad++;
		if (getenv("OSVER_VERBOSE"))
			print_message("dpkg out of order (flagged): '%s' vs '%s' -> '%s' vs '%s'\n",
				      a->v->str, b->v->str, a->deb.evr, b->deb.evr);
	}
	if (unord) {
		t->rpm_unord++;
		t->deb_unord++;
	}
}

static void load_all(struct set *set, size_t *sorted, size_t *nsorted, size_t *ncases)
{
	json_t *vj = tu_load_vector("versions.json"), *oj = tu_load_vector("version_order.json");
	json_t *c, *arr;
	size_t i;

	arr = json_object_get(vj, "cases");
	if (!json_array_size(arr))
		fail_msg("versions.json: no cases");
	json_array_foreach(arr, i, c) {
		if (json_is_true(json_object_get(c, "valid")))
			set_add(set, json_string_value(json_object_get(c, "input")));
	}
	arr = json_object_get(oj, "sorted");
	if (json_array_size(arr) < 2)
		fail_msg("version_order.json: no sorted list");
	*nsorted = 0;
	json_array_foreach(arr, i, c) {
		sorted[(*nsorted)++] = set_add(set, json_string_value(c));
	}
	arr = json_object_get(oj, "cases");
	*ncases = json_array_size(arr);
	json_array_foreach(arr, i, c) {
		set_add(set, json_string_value(json_object_get(c, "a")));
		set_add(set, json_string_value(json_object_get(c, "b")));
	}
	json_decref(vj);
	json_decref(oj);
}

/* Runs the real dpkg on `n` pairs, one process per pair (that is what
 * --compare-versions offers), inside one shell; returns the signs. */
static void dpkg_run(const char (*pairs)[2][256], size_t n, int *res)
{
	char in[] = "/tmp/osver_pairsXXXXXX";
	int fd = mkstemp(in);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s\n", pairs[i][0], pairs[i][1]);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "while read a b; do dpkg --compare-versions \"$a\" lt \"$b\"; r=$?; "
		 "if [ $r = 0 ]; then echo -1; elif [ $r != 1 ]; then echo E; "
		 "elif dpkg --compare-versions \"$a\" eq \"$b\"; then echo 0; else echo 1; fi; "
		 "done < %s 2>&1",
		 in);
	FILE *p = popen(cmd, "r");
	if (!p)
		fail_msg("cannot run dpkg");
	char line[256];
	size_t k = 0;
	while (fgets(line, sizeof(line), p)) {
		if (k >= n || (strcmp(line, "-1\n") && strcmp(line, "0\n") && strcmp(line, "1\n")))
			fail_msg("dpkg --compare-versions '%s' '%s': %s", k < n ? pairs[k][0] : "?",
				 k < n ? pairs[k][1] : "?", line);
		res[k++] = atoi(line);
	}
	int st = pclose(p);
	unlink(in);
	if (st != 0 || k != n)
		fail_msg("dpkg run failed (status %d, %zu of %zu answers); is dpkg installed?", st, k,
			 n);
}

static void order_vectors(void **state)
{
	struct set set = { NULL, 0, 0 };
	size_t sorted[4096], nsorted, ncases;
	struct tally adj = { 0 }, all = { 0 };

	load_all(&set, sorted, &nsorted, &ncases);
	assert_true(nsorted > 300 && set.n > 600);

	/* Adjacent pairs of the strictly sorted list. */
	for (size_t i = 0; i + 1 < nsorted; i++) {
		struct entry *a = &set.e[sorted[i]], *b = &set.e[sorted[i + 1]];
		if (pep440_version_cmp(a->v, b->v) >= 0)
			fail_msg("sorted list out of order at '%s'", a->v->str);
		compare_pair(&set, sorted[i], sorted[i + 1], &adj);
	}
	/* Every pair of every valid version (a superset of the case pairs). */
	for (size_t i = 0; i < set.n; i++)
		for (size_t j = i + 1; j < set.n; j++)
			compare_pair(&set, i, j, &all);

	size_t nunord = 0;
	for (size_t i = 0; i < set.n; i++)
		nunord += set.e[i].rpm.unorderable;
	print_message("osver: %zu versions (%zu flagged unorderable), %zu case pairs in the vectors\n",
		      set.n, nunord, ncases);
	print_message("osver: sorted neighbours: %zu pairs, rpm out of order %zu, dpkg out of order "
		      "%zu\n",
		      adj.pairs, adj.rpm_bad, adj.deb_bad);
	print_message("osver: all pairs: %zu (%zu equal), rpm out of order %zu, dpkg out of order %zu "
		      "(all of them involve a flagged version; %zu pairs do)\n",
		      all.pairs, all.equal, all.rpm_bad, all.deb_bad, all.rpm_unord);

	/* The reference verrevcmp against the real dpkg: a spread sample of
	 * the pairs, plus every sorted neighbour pair when the sample is big. */
	const char *envn = getenv("OSVER_DPKG_PAIRS");
	size_t want = envn ? strtoul(envn, NULL, 10) : 240;
	char(*pairs)[2][256] = ab_xcalloc(want ? want : 1, sizeof(*pairs));
	size_t (*idx)[2] = ab_xcalloc(want ? want : 1, sizeof(*idx));
	size_t n = 0;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i + 1 < nsorted && n < want / 2; i++) {
		idx[n][0] = sorted[i];
		idx[n][1] = sorted[i + 1];
		n++;
	}
	while (n < want) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		size_t a = (size_t)(seed >> 33) % set.n;
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		size_t b = (size_t)(seed >> 33) % set.n;
		idx[n][0] = a;
		idx[n][1] = b;
		n++;
	}
	for (size_t k = 0; k < n; k++) {
		snprintf(pairs[k][0], 256, "%s", set.e[idx[k][0]].deb.evr);
		snprintf(pairs[k][1], 256, "%s", set.e[idx[k][1]].deb.evr);
	}
	int *res = ab_xcalloc(n ? n : 1, sizeof(int));
	if (n)
		dpkg_run((const char(*)[2][256])pairs, n, res);
	size_t dpkg_bad = 0;
	for (size_t k = 0; k < n; k++) {
		struct entry *a = &set.e[idx[k][0]], *b = &set.e[idx[k][1]];
		if (res[k] != deb_cmp(&a->deb, &b->deb))
			fail_msg("dpkg says '%s' vs '%s' is %d, the reference says %d", a->deb.evr,
				 b->deb.evr, res[k], deb_cmp(&a->deb, &b->deb));
		if (res[k] != sign(pep440_version_cmp(a->v, b->v)))
			dpkg_bad++;
	}
	print_message("osver: real dpkg on %zu pairs agrees with the reference; %zu out of PEP 440 "
		      "order (flagged)\n",
		      n, dpkg_bad);
	free(res);
	free(pairs);
	free(idx);

	for (size_t i = 0; i < set.n; i++) {
		pep440_version_free(set.e[i].v);
		osver_release(&set.e[i].rpm);
		osver_release(&set.e[i].deb);
	}
	free(set.e);
}

/* The dpkg encoding of local labels on the cases the vectors may lack:
 * `a.b` < `ab`, `a` < `a.b`, string < number, checked with the real dpkg. */
static void deb_local_edges(void **state)
{
	static const char *const order[] = {
		"1.0",     "1.0+a",   "1.0+a.b", "1.0+a.b.0", "1.0+a.0", "1.0+ab",
		"1.0+abc", "1.0+b",   "1.0+0",   "1.0+0.a",   "1.0+0.0", "1.0+1",
		"1.0+2.z", "1.0+10",  "1.0.post0", "1.0.1",
	};
	size_t n = AB_ARRAY_SIZE(order);
	char(*pairs)[2][256] = ab_xcalloc(n - 1, sizeof(*pairs));
	int *res = ab_xcalloc(n - 1, sizeof(int));
	struct osver prev = OSVER_INIT, cur = OSVER_INIT, rp = OSVER_INIT, rc = OSVER_INIT;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(osver_map_str(ab_str_from(order[i]), OSVER_DEB, NULL, 0, &cur, NULL), 0);
		assert_int_equal(osver_map_str(ab_str_from(order[i]), OSVER_RPM, NULL, 0, &rc, NULL), 0);
		if (i) {
			snprintf(pairs[i - 1][0], 256, "%s", prev.evr);
			snprintf(pairs[i - 1][1], 256, "%s", cur.evr);
			if (deb_cmp(&prev, &cur) >= 0)
				fail_msg("dpkg: '%s' !< '%s'", prev.evr, cur.evr);
			if (rpm_cmp(&rp, &rc) >= 0)
				fail_msg("rpm: '%s' !< '%s'", rp.evr, rc.evr);
		}
		osver_release(&prev);
		osver_release(&rp);
		prev = cur;
		rp = rc;
		cur = (struct osver)OSVER_INIT;
		rc = (struct osver)OSVER_INIT;
	}
	dpkg_run((const char(*)[2][256])pairs, n - 1, res);
	for (size_t i = 0; i + 1 < n; i++)
		if (res[i] != -1)
			fail_msg("real dpkg: '%s' vs '%s' is %d", pairs[i][0], pairs[i][1], res[i]);
	osver_release(&prev);
	osver_release(&rp);
	free(pairs);
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(map_examples),
		cmocka_unit_test(map_parts),
		cmocka_unit_test(map_errors),
		cmocka_unit_test(deb_local_edges),
		cmocka_unit_test(order_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
