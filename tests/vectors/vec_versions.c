/* vec_versions.c - versions.json: every field of every case (parse,
 * normalized/public/base forms, parts, flags, major/minor/micro and
 * canonicalize_version). */
#include <stdlib.h>
#include <string.h>

#include "formats/pep440.h"
#include "tests/vectors/vec.h"

/* Compare a number with a JSON integer or decimal string. */
static bool num_eq(const struct pep440_num *n, json_t *want)
{
	struct ab_buf b = AB_BUF_INIT;
	char *w = vec_num_str(want);
	pep440_num_format(n, &b);
	bool ok = w && !strcmp(b.buf, w);
	free(w);
	ab_buf_release(&b);
	return ok;
}

static bool str_eq(struct ab_buf *b, const char *want)
{
	return want && !strcmp(b->buf, want);
}

static const struct pep440_num zero = { 0, NULL, 0 };

/* Returns NULL when every field matches, else the name of the first that
 * does not. */
static const char *check_valid(json_t *c, const struct pep440_version *v)
{
	struct ab_buf b = AB_BUF_INIT;
	const char *bad = NULL;
	json_t *j;

	pep440_version_format(v, &b);
	if (!str_eq(&b, vec_str(c, "normalized")) || strlen(v->str) != b.len ||
	    strcmp(v->str, b.buf)) {
		bad = "normalized";
		goto out;
	}
	ab_buf_reset(&b);
	pep440_version_public(v, &b);
	if (!str_eq(&b, vec_str(c, "public"))) {
		bad = "public";
		goto out;
	}
	ab_buf_reset(&b);
	pep440_version_base(v, &b);
	if (!str_eq(&b, vec_str(c, "base_version"))) {
		bad = "base_version";
		goto out;
	}
	if (!num_eq(&v->epoch, json_object_get(c, "epoch"))) {
		bad = "epoch";
		goto out;
	}
	j = json_object_get(c, "release");
	if (json_array_size(j) != v->nrelease) {
		bad = "release";
		goto out;
	}
	for (size_t i = 0; i < v->nrelease; i++)
		if (!num_eq(&v->release[i], json_array_get(j, i))) {
			bad = "release";
			goto out;
		}
	j = json_object_get(c, "pre");
	if (json_is_null(j) != (v->pre == PEP440_PRE_NONE)) {
		bad = "pre";
		goto out;
	}
	if (v->pre) {
		static const char *const names[] = { "", "a", "b", "rc" };
		const char *l = json_string_value(json_array_get(j, 0));
		if (!l || strcmp(l, names[v->pre]) || !num_eq(&v->pre_n, json_array_get(j, 1))) {
			bad = "pre";
			goto out;
		}
	}
	j = json_object_get(c, "post");
	if (json_is_null(j) == v->has_post || (v->has_post && !num_eq(&v->post, j))) {
		bad = "post";
		goto out;
	}
	j = json_object_get(c, "dev");
	if (json_is_null(j) == v->has_dev || (v->has_dev && !num_eq(&v->dev, j))) {
		bad = "dev";
		goto out;
	}
	ab_buf_reset(&b);
	pep440_version_local(v, &b);
	if (vec_str(c, "local") ? !str_eq(&b, vec_str(c, "local")) : (v->nlocal || b.len)) {
		bad = "local";
		goto out;
	}
	if (pep440_is_prerelease(v) != (vec_tristate(c, "is_prerelease") == 1)) {
		bad = "is_prerelease";
		goto out;
	}
	if (pep440_is_postrelease(v) != (vec_tristate(c, "is_postrelease") == 1)) {
		bad = "is_postrelease";
		goto out;
	}
	if (pep440_is_devrelease(v) != (vec_tristate(c, "is_devrelease") == 1)) {
		bad = "is_devrelease";
		goto out;
	}
	static const char *const mmm[] = { "major", "minor", "micro" };
	for (size_t i = 0; i < 3; i++) {
		const struct pep440_num *n = i < v->nrelease ? &v->release[i] : &zero;
		if (!num_eq(n, json_object_get(c, mmm[i]))) {
			bad = mmm[i];
			goto out;
		}
	}
	ab_buf_reset(&b);
	pep440_canonicalize(ab_str_from(vec_str(c, "input")), &b);
	if (!str_eq(&b, vec_str(c, "canonical"))) {
		bad = "canonical";
		goto out;
	}
	/* dup keeps every field and compares equal */
	struct pep440_version *d = pep440_version_dup(v);
	if (pep440_version_cmp(d, v) != 0 || strcmp(d->str, v->str))
		bad = "dup";
	pep440_version_free(d);
out:
	ab_buf_release(&b);
	return bad;
}

void vec_versions(json_t *root, struct vec_run *r)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *in = vec_str(c, "input");
		struct pep440_version *v = NULL;
		struct ab_err err = AB_ERR_INIT;
		int rc = pep440_version_parse(ab_str_from(in), &v, &err);
		bool want_valid = vec_tristate(c, "valid") == 1;
		if (!in) {
			vec_fail(r, "?", "case without input");
		} else if (want_valid != (rc == 0)) {
			vec_fail(r, in, "valid %d, want %d (%s)", rc == 0, want_valid, err.msg.buf);
		} else if (!want_valid) {
			struct ab_buf b = AB_BUF_INIT;
			pep440_canonicalize(ab_str_from(in), &b);
			if (err.code != AB_E_PARSE || !err.msg.len || err.col == 0)
				vec_fail(r, in, "error not reported");
			else if (!str_eq(&b, vec_str(c, "canonical")))
				vec_fail(r, in, "canonical '%s'", b.buf);
			else
				vec_pass(r);
			ab_buf_release(&b);
		} else {
			const char *bad = check_valid(c, v);
			if (bad) {
				struct ab_buf b = AB_BUF_INIT;
				pep440_version_format(v, &b);
				vec_fail(r, in, "field '%s' differs (got '%s')", bad, b.buf);
				ab_buf_release(&b);
			} else {
				vec_pass(r);
			}
		}
		pep440_version_free(v);
		ab_err_release(&err);
	}
}
