/* vec_requirements.c - requirements.json: PEP 508 requirements parsed and
 * printed as packaging's Requirement (name, extras, specifier, url, marker,
 * str()); invalid inputs must be rejected. One count per case. */
#include <stdlib.h>
#include <string.h>

#include "formats/pep508.h"
#include "tests/vectors/vec.h"

static bool str_eq_null(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (!a || !strcmp(a, b));
}

static void check_valid(json_t *c, const char *in, struct pep508_req *req, struct vec_run *r)
{
	struct ab_buf b = AB_BUF_INIT;
	json_t *extras = json_object_get(c, "extras");
	size_t i;
	json_t *x;

	if (strcmp(req->name, vec_str(c, "name"))) {
		vec_fail(r, in, "name '%s', want '%s'", req->name, vec_str(c, "name"));
		goto out;
	}
	if (json_array_size(extras) != req->nextras) {
		vec_fail(r, in, "%zu extras, want %zu", req->nextras, json_array_size(extras));
		goto out;
	}
	json_array_foreach(extras, i, x) {
		if (strcmp(req->extras[i], json_string_value(x))) {
			vec_fail(r, in, "extra %zu '%s', want '%s'", i, req->extras[i],
				 json_string_value(x));
			goto out;
		}
	}
	pep440_specset_format(&req->spec, &b);
	if (strcmp(b.buf, vec_str(c, "specifier"))) {
		vec_fail(r, in, "specifier '%s', want '%s'", b.buf, vec_str(c, "specifier"));
		goto out;
	}
	if (!str_eq_null(req->url, vec_str(c, "url"))) {
		vec_fail(r, in, "url '%s', want '%s'", req->url ? req->url : "(null)",
			 vec_str(c, "url") ? vec_str(c, "url") : "(null)");
		goto out;
	}
	ab_buf_reset(&b);
	if (req->marker)
		marker_format(req->marker, &b);
	if (!str_eq_null(req->marker ? b.buf : NULL, vec_str(c, "marker"))) {
		vec_fail(r, in, "marker '%s', want '%s'", req->marker ? b.buf : "(null)",
			 vec_str(c, "marker") ? vec_str(c, "marker") : "(null)");
		goto out;
	}
	ab_buf_reset(&b);
	pep508_format(req, &b);
	if (strcmp(b.buf, vec_str(c, "normalized"))) {
		vec_fail(r, in, "str() '%s', want '%s'", b.buf, vec_str(c, "normalized"));
		goto out;
	}
	vec_pass(r);
out:
	ab_buf_release(&b);
}

void vec_requirements(json_t *root, struct vec_run *r)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(root, "cases"), i, c) {
		const char *in = vec_str(c, "input");
		struct pep508_req req = PEP508_REQ_INIT;
		struct ab_err err = AB_ERR_INIT;
		int rc = pep508_parse(ab_str_from(in), &req, &err);
		bool want = vec_tristate(c, "valid") == 1;
		if (want && rc < 0)
			vec_fail(r, in, "rejected (%s at col %u), want valid", err.msg.buf, err.col);
		else if (!want && rc >= 0)
			vec_fail(r, in, "accepted, want %s", vec_str(c, "error"));
		else if (want)
			check_valid(c, in, &req, r);
		else
			vec_pass(r);
		pep508_release(&req);
		ab_err_release(&err);
	}
}
