/* resolve_test.c - the PubGrub resolver (builder/pubgrub + builder/resolve)
 * on small hand-made indexes: Dart pub's doc/solver.md examples with their
 * explanations, backjumping, extras, markers, pre-releases, yanked
 * versions and Requires-Python. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/resolve.h"
#include "formats/core/mem.h"

/* The index and case tables leave trailing fields out on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* One version: "name version" plus its Requires-Dist separated by '|'. */
struct tv {
	const char *name, *version, *deps;
	const char *rp;     /* Requires-Python */
	bool yanked;
	const char *extras; /* Provides-Extra, '|'-separated */
	bool nofile;
};

struct tindex {
	const struct tv *v;
	size_t n;
	/* per list_versions call */
	struct resolve_candidate *cands[32];
	const struct tv *src[32][32];
	size_t ncand[32];
	const char *names[32];
	size_t nnames;
	char *split[256];
	size_t nsplit;
};

static int t_list(void *data, const char *name, const struct resolve_candidate **out, size_t *n,
		  struct ab_err *err)
{
	struct tindex *ix = data;
	size_t k = ix->nnames++;
	assert_true(k < 32);
	ix->names[k] = name;
	ix->cands[k] = ab_xcalloc(32, sizeof(struct resolve_candidate));
	size_t m = 0;
	bool found = false;
	for (size_t i = 0; i < ix->n; i++) {
		if (strcmp(ix->v[i].name, name))
			continue;
		found = true;
		if (!ix->v[i].version)
			continue;
		struct resolve_candidate *c = &ix->cands[k][m];
		c->version_str = ix->v[i].version;
		c->version = pep440_version_new(ix->v[i].version);
		c->yanked = ix->v[i].yanked;
		c->requires_python = ix->v[i].rp;
		c->usable = !ix->v[i].nofile;
		ix->src[k][m++] = &ix->v[i];
	}
	ix->ncand[k] = m;
	*out = ix->cands[k];
	*n = m;
	return found;
}

static size_t split(struct tindex *ix, const char *s, const char **out)
{
	size_t n = 0;
	while (s && *s) {
		size_t l = strcspn(s, "|");
		char *p = ab_xstrndup(s, l);
		ix->split[ix->nsplit++] = p;
		out[n++] = p;
		s += l + (s[l] == '|');
	}
	return n;
}

static int t_meta(void *data, const char *name, const struct resolve_candidate *c,
		  struct resolve_metadata *out, struct ab_err *err)
{
	struct tindex *ix = data;
	static const char *deps[16], *extras[16];
	for (size_t k = 0; k < ix->nnames; k++)
		for (size_t m = 0; m < ix->ncand[k]; m++)
			if (&ix->cands[k][m] == c) {
				out->nrequires = split(ix, ix->src[k][m]->deps, deps);
				out->requires_dist = deps;
				out->nextras = split(ix, ix->src[k][m]->extras, extras);
				out->provides_extras = extras;
				return 0;
			}
	return ab_err_set(err, AB_E_INTERNAL, "no such candidate");
}

static void tindex_release(struct tindex *ix)
{
	for (size_t k = 0; k < ix->nnames; k++) {
		for (size_t m = 0; m < ix->ncand[k]; m++)
			pep440_version_free((struct pep440_version *)ix->cands[k][m].version);
		free(ix->cands[k]);
	}
	for (size_t i = 0; i < ix->nsplit; i++)
		free(ix->split[i]);
}

struct tcase {
	const char *reqs;  /* '|'-separated */
	const char *want;  /* "a==1 b==2" (sorted by name), or NULL: no solution */
	const char *why;   /* explanation, or a substring of it when it starts with '~' */
	enum resolve_prereleases pre;
	enum resolve_yanked yanked;
	const char *python; /* target python_full_version, default 3.11.0 */
	bool lowest;
};

static void run(const struct tv *v, size_t n, const struct tcase *tc)
{
	struct tindex ix;
	memset(&ix, 0, sizeof(ix));
	ix.v = v;
	ix.n = n;
	struct resolve_provider p = { &ix, t_list, t_meta, NULL };
	struct marker_env env;
	struct marker_target t = { tc->python ? tc->python : "3.11.0", "cpython", "linux",
				   "x86_64" };
	struct ab_buf storage = AB_BUF_INIT;
	marker_env_from_target(&env, &t, &storage);
	struct resolve_options o;
	memset(&o, 0, sizeof(o));
	o.env = &env;
	o.prereleases = tc->pre;
	o.yanked = tc->yanked;
	o.lowest = tc->lowest;
	o.root_name = "root";
	const char *reqs[16];
	size_t nreqs = split(&ix, tc->reqs, reqs);
	struct resolve_result res = RESOLVE_RESULT_INIT;
	struct ab_err err = AB_ERR_INIT;
	int r = resolve_run(&p, &o, reqs, nreqs, NULL, 0, &res, &err);
	struct ab_buf got = AB_BUF_INIT;
	for (size_t i = 0; i < res.n; i++)
		ab_buf_addf(&got, "%s%s==%s", i ? " " : "", res.pins[i].name, res.pins[i].version);
	if (tc->want) {
		if (r < 0)
			fail_msg("%s: no solution: %s\n%s", tc->reqs, err.msg.buf,
				 res.explanation ? res.explanation : "");
		if (strcmp(got.buf, tc->want))
			fail_msg("%s: got '%s', want '%s'", tc->reqs, got.buf, tc->want);
	} else {
		if (r != -AB_E_RESOLVE)
			fail_msg("%s: want no solution, got %d '%s' %s", tc->reqs, r, got.buf,
				 err.msg.buf);
		assert_string_equal(err.msg.buf, "no solution for the requirements");
		assert_non_null(res.explanation);
		if (tc->why && tc->why[0] == '~') {
			if (!strstr(res.explanation, tc->why + 1))
				fail_msg("explanation lacks '%s':\n%s", tc->why + 1, res.explanation);
		} else if (tc->why && strcmp(res.explanation, tc->why))
			fail_msg("explanation:\n%s\nwant:\n%s", res.explanation, tc->why);
	}
	ab_buf_release(&got);
	ab_buf_release(&storage);
	ab_err_release(&err);
	resolve_result_release(&res);
	tindex_release(&ix);
}

#define RUN(idx, ...)                                                                      \
	do {                                                                               \
		static const struct tcase cs_[] = { __VA_ARGS__ };                        \
		for (size_t i_ = 0; i_ < AB_ARRAY_SIZE(cs_); i_++)                        \
			run(idx, AB_ARRAY_SIZE(idx), &cs_[i_]);                             \
	} while (0)

/* ---- solver.md examples ---- */

static void test_no_conflicts(void **state)
{
	static const struct tv ix[] = {
		{ "foo", "1.0.0", "bar>=1.0.0,<2.0.0" },
		{ "bar", "1.0.0", "" },
		{ "bar", "2.0.0", "" },
	};
	RUN(ix, { "foo>=1.0.0,<2.0.0", "bar==1.0.0 foo==1.0.0" });
}

static void test_avoid_conflict_in_decision(void **state)
{
	static const struct tv ix[] = {
		{ "foo", "1.0.0", "" },
		{ "foo", "1.1.0", "bar>=2.0.0,<3.0.0" },
		{ "bar", "1.0.0", "" },
		{ "bar", "1.1.0", "" },
		{ "bar", "2.0.0", "" },
	};
	RUN(ix, { "foo>=1.0.0,<2.0.0|bar>=1.0.0,<2.0.0", "bar==1.1.0 foo==1.0.0" });
}

static void test_conflict_resolution(void **state)
{
	static const struct tv ix[] = {
		{ "foo", "1.0.0", "" },
		{ "foo", "2.0.0", "bar>=1.0.0,<2.0.0" },
		{ "bar", "1.0.0", "foo>=1.0.0,<2.0.0" },
	};
	RUN(ix, { "foo>=1.0.0", "foo==1.0.0" });
}

static void test_partial_satisfier(void **state)
{
	static const struct tv ix[] = {
		{ "foo", "1.0.0", "" },
		{ "foo", "1.1.0", "left>=1.0.0,<2.0.0|right>=1.0.0,<2.0.0" },
		{ "left", "1.0.0", "shared>=1.0.0" },
		{ "right", "1.0.0", "shared<2.0.0" },
		{ "shared", "2.0.0", "" },
		{ "shared", "1.0.0", "target>=1.0.0,<2.0.0" },
		{ "target", "2.0.0", "" },
		{ "target", "1.0.0", "" },
	};
	RUN(ix, { "foo>=1.0.0,<2.0.0|target>=2.0.0,<3.0.0", "foo==1.0.0 target==2.0.0" });
}

static void test_linear_error(void **state)
{
	static const struct tv ix[] = {
		{ "foo", "1.0.0", "bar>=2.0.0,<3.0.0" },
		{ "bar", "2.0.0", "baz>=3.0.0,<4.0.0" },
		{ "baz", "1.0.0", "" },
		{ "baz", "3.0.0", "" },
	};
	RUN(ix, { "foo>=1.0.0,<2.0.0|baz>=1.0.0,<2.0.0", NULL,
		  "Because every version of bar depends on baz>=3.0.0,<4.0.0 and every version of "
		  "foo depends on bar>=2.0.0,<3.0.0, foo requires baz==3.0.0.\n"
		  "And because root requires foo>=1.0.0,<2.0.0 and root requires "
		  "baz>=1.0.0,<2.0.0, version solving failed." });
}

static void test_branching_error(void **state)
{
	static const struct tv ix[] = {
		{ "foo", "1.0.0", "a>=1.0.0,<2.0.0|b>=1.0.0,<2.0.0" },
		{ "foo", "1.1.0", "x>=1.0.0,<2.0.0|y>=1.0.0,<2.0.0" },
		{ "a", "1.0.0", "b>=2.0.0,<3.0.0" },
		{ "b", "1.0.0", "" },
		{ "b", "2.0.0", "" },
		{ "x", "1.0.0", "y>=2.0.0,<3.0.0" },
		{ "y", "1.0.0", "" },
		{ "y", "2.0.0", "" },
	};
	RUN(ix, { "foo>=1.0.0,<2.0.0", NULL,
		  "Because every version of a depends on b>=2.0.0,<3.0.0 and foo==1.0.0 depends on "
		  "a>=1.0.0,<2.0.0, foo==1.0.0 requires b==2.0.0.\n"
		  "And because foo==1.0.0 depends on b>=1.0.0,<2.0.0, foo==1.0.0 is forbidden. "
		  "(1)\n"
		  "\n"
		  "Because every version of x depends on y>=2.0.0,<3.0.0 and foo==1.1.0 depends on "
		  "x>=1.0.0,<2.0.0, foo==1.1.0 requires y==2.0.0.\n"
		  "And because foo==1.1.0 depends on y>=1.0.0,<2.0.0, foo==1.1.0 is forbidden.\n"
		  "And because foo==1.0.0 is forbidden (1), foo is forbidden.\n"
		  "And because root requires foo>=1.0.0,<2.0.0, version solving failed." });
}

/* ---- backjumping ---- */

static void test_backjump(void **state)
{
	/* a 2 -> c 2 -> d==1 clashes with b's d==2 deep down; the solver must
	 * go back to a 1 while keeping b at 2 */
	static const struct tv ix[] = {
		{ "a", "1", "" },       { "a", "2", "c==2" },
		{ "b", "1", "" },       { "b", "2", "d==2" },
		{ "c", "1", "" },       { "c", "2", "d==1" },
		{ "d", "1", "" },       { "d", "2", "" },
	};
	/* both orders find a valid answer; which one depends on the decision
	 * order (neither is newer on every package) */
	RUN(ix, { "a|b", "a==1 b==2 d==2" }, { "b|a", "a==2 b==1 c==2 d==1" },
	    { "a|b|c", "a==2 b==1 c==2 d==1" });
}

/* ---- extras, markers ---- */

static void test_extras(void **state)
{
	static const struct tv ix[] = {
		{ "app", "1.0", "dep==1.0; extra == 'fast'|other; python_version < '3'", NULL, false,
		  "fast" },
		{ "app", "2.0", "dep==2.0; extra == 'Fast'|base", NULL, false, "fast" },
		{ "dep", "1.0", "" },
		{ "dep", "2.0", "" },
		{ "base", "1.0", "" },
		{ "other", "1.0", "" },
	};
	RUN(ix, { "app", "app==2.0 base==1.0" },
	    { "app[FAST]", "app==2.0 base==1.0 dep==2.0" },
	    { "app[fast]|dep<2", "app==1.0 dep==1.0" },
	    { "app[unknown]", "app==2.0 base==1.0" },
	    { "app[fast]==2.0|dep<2", NULL,
	      "~app[fast]==2.0 depends on dep==2.0" });
}

static void test_markers(void **state)
{
	static const struct tv ix[] = {
		{ "a", "1", "b; python_version >= '3.12'|c; sys_platform == 'win32'|d; "
			    "platform_machine == 'x86_64'" },
		{ "b", "1", "" },
		{ "c", "1", "" },
		{ "d", "1", "" },
	};
	RUN(ix, { "a", "a==1 d==1" }, { "a", "a==1 b==1 d==1", .python = "3.12.1" },
	    { "a|c; sys_platform == 'win32'", "a==1 d==1" });
}

/* ---- candidate policy ---- */

static void test_prereleases(void **state)
{
	static const struct tv ix[] = {
		{ "a", "1.0", "" },       { "a", "2.0b1", "" },
		{ "p", "1.0a1", "" },     { "p", "1.0a2", "" },
		{ "q", "1.0", "p" },      { "r", "1.0", "p>=1.0a1" },
	};
	RUN(ix, { "a", "a==1.0" }, { "a>=2.0b1", "a==2.0b1" }, { "a<2.0b2", "a==1.0" },
	    { "a>1.0", NULL, "~no versions of a match >1.0 (2.0b1 is a pre-release)" },
	    { "a", "a==2.0b1", .pre = RESOLVE_PRE_ALLOW },
	    /* only pre-releases and nothing constrains: pip takes the newest */
	    { "p", "p==1.0a2" }, { "q", "p==1.0a2 q==1.0" },
	    { "p>=1.0a1", "p==1.0a2" },
	    /* uv: a transitive mention does not opt in, all-pre does */
	    { "r", "p==1.0a2 r==1.0", .pre = RESOLVE_PRE_IF_NECESSARY_OR_EXPLICIT },
	    { "a<3", "a==1.0", .pre = RESOLVE_PRE_IF_NECESSARY_OR_EXPLICIT },
	    { "a<2.0b2", "a==2.0b1", .pre = RESOLVE_PRE_IF_NECESSARY_OR_EXPLICIT });
}

static void test_yanked(void **state)
{
	static const struct tv ix[] = {
		{ "a", "1.0", "" },
		{ "a", "2.0", "", NULL, true },
		{ "b", "1.0", "", NULL, true },
	};
	RUN(ix, { "a", "a==1.0" }, { "a>1", "a==2.0" }, { "a==2.0", "a==2.0" },
	    { "a", "a==1.0", .yanked = RESOLVE_YANKED_ROOT_EXACT_PIN },
	    { "a==2.0", "a==2.0", .yanked = RESOLVE_YANKED_ROOT_EXACT_PIN },
	    { "a>1", NULL, "~(2.0 is yanked)", .yanked = RESOLVE_YANKED_ROOT_EXACT_PIN },
	    { "b", NULL, .yanked = RESOLVE_YANKED_ROOT_EXACT_PIN });
}

static void test_requires_python(void **state)
{
	static const struct tv ix[] = {
		{ "a", "1.0", "", ">=3.8" },
		{ "a", "2.0", "", ">=3.12" },
		{ "a", "3.0", "", NULL, false, NULL, true }, /* no usable file */
		{ "b", "1.0", "", "<3.11" },
	};
	RUN(ix, { "a", "a==1.0" }, { "a", "a==2.0", .python = "3.12.0" },
	    { "a>=2", NULL,
	      "Because no versions of a match >=2 (3.0 has no file for the target, 2.0 requires "
	      "Python >=3.12) and root requires a>=2, version solving failed." },
	    { "b", NULL, "~there is no usable version of b (1.0 requires Python <3.11)" });
}

static void test_missing_and_lowest(void **state)
{
	static const struct tv ix[] = {
		{ "a", "1.0", "ghost" },
		{ "a", "2.0", "ghost" },
		{ "b", "1.0", "" },
		{ "b", "2.0", "" },
		{ "c", "1.0", "c>=1|b" },
	};
	RUN(ix, { "a", NULL, "~no versions of ghost exist" },
	    { "b", "b==1.0", .lowest = true }, { "c", "b==2.0 c==1.0" },
	    { "b===1.0", "b==1.0" }, { "b===1", NULL, NULL });
}

static void test_bad_root_requirement(void **state)
{
	static const struct tv ix[] = { { "a", "1.0", "" } };
	struct tindex tix;
	memset(&tix, 0, sizeof(tix));
	tix.v = ix;
	tix.n = 1;
	struct resolve_provider p = { &tix, t_list, t_meta, NULL };
	struct marker_env env;
	struct marker_target t = { "3.11.0", "cpython", "linux", "x86_64" };
	struct ab_buf storage = AB_BUF_INIT;
	marker_env_from_target(&env, &t, &storage);
	struct resolve_options o;
	memset(&o, 0, sizeof(o));
	o.env = &env;
	const char *reqs[] = { "a >= " };
	struct resolve_result res = RESOLVE_RESULT_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(resolve_run(&p, &o, reqs, 1, NULL, 0, &res, &err), -AB_E_PARSE);
	assert_non_null(strstr(err.notes.buf, "in requirement 'a >= '"));
	ab_err_release(&err);
	resolve_result_release(&res);
	ab_buf_release(&storage);
	tindex_release(&tix);
}

static void test_python_ok(void **state)
{
	struct pep440_version *v = pep440_version_new("3.11.4");
	assert_true(resolve_python_ok(NULL, v, RESOLVE_RP_FULL));
	assert_true(resolve_python_ok(">=3.8", v, RESOLVE_RP_FULL));
	assert_false(resolve_python_ok("<3.11", v, RESOLVE_RP_FULL));
	assert_true(resolve_python_ok("<3.11", v, RESOLVE_RP_LOWER_BOUND_ONLY));
	assert_false(resolve_python_ok("==3.10.*", v, RESOLVE_RP_FULL));
	assert_true(resolve_python_ok("==3.10.*", v, RESOLVE_RP_LOWER_BOUND_ONLY));
	assert_false(resolve_python_ok("~=3.12", v, RESOLVE_RP_LOWER_BOUND_ONLY));
	assert_true(resolve_python_ok("not a specifier", v, RESOLVE_RP_FULL));
	pep440_version_free(v);
}

/* Direct references: the provider lists the one candidate; requirements
 * naming the same URL agree, another URL for it or an undeclared URL in
 * metadata are errors, a specifier it does not meet is explained. */
static void test_direct(void **state)
{
	static const struct tv v[] = {
		{ "d", "2.0b1", "x" },
		{ "x", "1.0", "" },
		{ "a", "1", "d>=1" },
		{ "a", "2", "d>=3" },
		{ "b", "1", "d @ https://h/other.whl" },
		{ "c", "1", "e @ https://h/e.whl" },
		{ "s", "1", "d @ https://h/d.whl" },
	};
	static const struct resolve_direct dr[] = { { "d", "https://h/d.whl", "2.0b1" } };
	static const struct {
		const char *reqs, *want, *msg;
		int code;
	} cases[] = {
		{ "d @ https://h/d.whl|a|s", "a==1 d==2.0b1 s==1 x==1.0", NULL, 0 },
		{ "d @ https://h/d.whl|a>=2", NULL,
		  "~d match >=3 (https://h/d.whl is d 2.0b1)", AB_E_RESOLVE },
		{ "d @ https://h/d.whl|b", NULL,
		  "conflicting direct references for 'd': 'https://h/d.whl' and "
		  "'https://h/other.whl'",
		  AB_E_RESOLVE },
		{ "d @ https://h/d.whl|c", NULL,
		  "'c' requires 'e @ https://h/e.whl': a direct reference the app does not declare",
		  AB_E_UNSUPPORTED },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct tindex ix;
		memset(&ix, 0, sizeof(ix));
		ix.v = v;
		ix.n = sizeof(v) / sizeof(*v);
		struct resolve_provider p = { &ix, t_list, t_meta, NULL };
		struct marker_env env;
		struct marker_target t = { "3.11.0", "cpython", "linux", "x86_64" };
		struct ab_buf storage = AB_BUF_INIT;
		marker_env_from_target(&env, &t, &storage);
		struct resolve_options o;
		memset(&o, 0, sizeof(o));
		o.env = &env;
		o.root_name = "root";
		o.direct = dr;
		o.ndirect = 1;
		const char *reqs[16];
		size_t nreqs = split(&ix, cases[i].reqs, reqs);
		struct resolve_result res = RESOLVE_RESULT_INIT;
		struct ab_err err = AB_ERR_INIT;
		int r = resolve_run(&p, &o, reqs, nreqs, NULL, 0, &res, &err);
		struct ab_buf got = AB_BUF_INIT;
		for (size_t k = 0; k < res.n; k++)
			ab_buf_addf(&got, "%s%s==%s", k ? " " : "", res.pins[k].name,
				    res.pins[k].version);
		if (cases[i].want) {
			if (r < 0)
				fail_msg("%s: %s", cases[i].reqs, err.msg.buf);
			assert_string_equal(got.buf, cases[i].want);
		} else {
			assert_int_equal(r, -cases[i].code);
			if (cases[i].msg[0] == '~') {
				assert_non_null(res.explanation);
				if (!strstr(res.explanation, cases[i].msg + 1))
					fail_msg("explanation: [%s]", res.explanation);
			} else {
				assert_null(res.explanation);
				assert_string_equal(err.msg.buf, cases[i].msg);
			}
		}
		resolve_result_release(&res);
		ab_err_release(&err);
		ab_buf_release(&got);
		ab_buf_release(&storage);
		tindex_release(&ix);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_conflicts),
		cmocka_unit_test(test_avoid_conflict_in_decision),
		cmocka_unit_test(test_conflict_resolution),
		cmocka_unit_test(test_partial_satisfier),
		cmocka_unit_test(test_linear_error),
		cmocka_unit_test(test_branching_error),
		cmocka_unit_test(test_backjump),
		cmocka_unit_test(test_extras),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_prereleases),
		cmocka_unit_test(test_yanked),
		cmocka_unit_test(test_requires_python),
		cmocka_unit_test(test_missing_and_lowest),
		cmocka_unit_test(test_bad_root_requirement),
		cmocka_unit_test(test_python_ok),
		cmocka_unit_test(test_direct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
