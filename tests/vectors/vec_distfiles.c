/* vec_distfiles.c - names.json wheel_filenames[] and sdist_filenames[]. */
#include <stdlib.h>
#include <string.h>

#include "formats/distfile.h"
#include "tests/vectors/vec.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool same_version(const struct pep440_version *v, const char *want, struct vec_run *r,
			 const char *casename)
{
	struct ab_buf b = AB_BUF_INIT;
	pep440_version_format(v, &b);
	bool ok = want && !strcmp(b.buf, want);
	if (!ok)
		vec_fail(r, casename, "version '%s', want '%s'", b.buf, want ? want : "?");
	ab_buf_release(&b);
	return ok;
}

static bool same_tags(const struct tag_set *set, json_t *want, struct vec_run *r,
		      const char *casename)
{
	char **v = calloc(set->n ? set->n : 1, sizeof(*v));
	bool ok = json_array_size(want) == set->n;
	for (size_t i = 0; i < set->n; i++) {
		struct ab_buf b = AB_BUF_INIT;
		tag_format(&set->tags[i], &b);
		v[i] = ab_buf_detach(&b);
	}
	qsort(v, set->n, sizeof(*v), cmp_str);
	for (size_t i = 0; ok && i < set->n; i++) {
		const char *w = json_string_value(json_array_get(want, i));
		ok = w && !strcmp(w, v[i]);
	}
	if (!ok)
		vec_fail(r, casename, "tags differ (%zu tags, first '%s')", set->n,
			 set->n ? v[0] : "");
	for (size_t i = 0; i < set->n; i++)
		free(v[i]);
	free(v);
	return ok;
}

static bool same_build(const struct distfile_wheel *w, json_t *want, struct vec_run *r,
		       const char *casename)
{
	size_t n = json_array_size(want);
	if (n == 0) {
		if (!w->has_build)
			return true;
		vec_fail(r, casename, "build tag '%s%s', want none", w->build_num, w->build_suffix);
		return false;
	}
	char *num = vec_num_str(json_array_get(want, 0));
	const char *suffix = json_string_value(json_array_get(want, 1));
	bool ok = w->has_build && num && suffix && !strcmp(num, w->build_num) &&
		  !strcmp(suffix, w->build_suffix);
	if (!ok)
		vec_fail(r, casename, "build tag (%s, '%s'), want (%s, '%s')",
			 w->has_build ? w->build_num : "-", w->has_build ? w->build_suffix : "",
			 num ? num : "?", suffix ? suffix : "?");
	free(num);
	return ok;
}

static void check_wheel(json_t *c, struct vec_run *r)
{
	const char *fn = vec_str(c, "filename");
	struct distfile_wheel w;
	struct ab_err err = AB_ERR_INIT;
	int rc = distfile_wheel_parse(ab_str_from(fn), &w, &err);
	if (vec_tristate(c, "valid") != 1) {
		if (rc < 0)
			vec_pass(r);
		else
			vec_fail(r, fn, "accepted, want %s", vec_str(c, "error"));
	} else if (rc < 0) {
		vec_fail(r, fn, "rejected: %s", err.msg.buf);
	} else {
		const char *name = vec_str(c, "name");
		if (!name || strcmp(name, w.name))
			vec_fail(r, fn, "name '%s', want '%s'", w.name, name ? name : "?");
		else if (same_version(w.version, vec_str(c, "version"), r, fn) &&
			 same_build(&w, json_object_get(c, "build"), r, fn) &&
			 same_tags(&w.tags, json_object_get(c, "tags"), r, fn))
			vec_pass(r);
		distfile_wheel_release(&w);
	}
	ab_err_release(&err);
}

static void check_sdist(json_t *c, struct vec_run *r)
{
	const char *fn = vec_str(c, "filename");
	struct distfile_sdist s;
	struct ab_err err = AB_ERR_INIT;
	int rc = distfile_sdist_parse(ab_str_from(fn), &s, &err);
	if (vec_tristate(c, "valid") != 1) {
		if (rc < 0)
			vec_pass(r);
		else
			vec_fail(r, fn, "accepted, want %s", vec_str(c, "error"));
	} else if (rc < 0) {
		vec_fail(r, fn, "rejected: %s", err.msg.buf);
	} else {
		const char *name = vec_str(c, "name");
		if (!name || strcmp(name, s.name))
			vec_fail(r, fn, "name '%s', want '%s'", s.name, name ? name : "?");
		else if (same_version(s.version, vec_str(c, "version"), r, fn))
			vec_pass(r);
		distfile_sdist_release(&s);
	}
	ab_err_release(&err);
}

void vec_distfiles(json_t *root, struct vec_run *r)
{
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(root, "wheel_filenames"), i, c)
		check_wheel(c, r);
	json_array_foreach(json_object_get(root, "sdist_filenames"), i, c)
		check_sdist(c, r);
}
