/* vec_metadata.c - metadata.json: the compat32 header level (headers in
 * order, body, is_multipart, defects) and packaging's reading of the
 * fields, through metadata_parse() (lenient). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/metadata.h"
#include "formats/names.h"
#include "tests/vectors/vec.h"

static bool jstr_eq(json_t *j, struct ab_str s)
{
	if (!json_is_string(j) || !s.ptr)
		return false;
	size_t n = json_string_length(j);
	return n == s.len && memcmp(json_string_value(j), s.ptr, n) == 0;
}

/* Null, or the string equal to `s` (NULL ptr stands for null). */
static bool jopt_eq(json_t *j, const char *s)
{
	if (!s)
		return json_is_null(j);
	return json_is_string(j) && strcmp(json_string_value(j), s) == 0;
}

/* The i-th header named `name` (case-insensitively), or NULL. */
static const struct metadata_header *nth_header(const struct metadata_msg *m, const char *name,
						size_t k)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct metadata_header *h = &m->headers[i];
		if (h->name.len == n && strncasecmp(h->name.ptr, name, n) == 0 && k-- == 0)
			return h;
	}
	return NULL;
}

static size_t count_headers(const struct metadata_msg *m, const char *name)
{
	size_t k = 0;
	while (nth_header(m, name, k))
		k++;
	return k;
}

/* A requirement-valued entry: {"value", "valid", "normalized"}. `given`
 * is the typed view's entry when there is one (NULL: parse here). */
static bool check_req(json_t *e, struct ab_str raw, const struct metadata_req *given,
		      struct ab_buf *why)
{
	struct pep508_req tmp = PEP508_REQ_INIT;
	struct ab_err err = AB_ERR_INIT;
	bool valid, ok = true;
	const struct pep508_req *req = &tmp;
	if (given) {
		valid = given->valid;
		req = &given->req;
	} else {
		valid = pep508_parse(raw, &tmp, &err) == 0;
	}
	struct ab_buf norm = AB_BUF_INIT;
	if (valid)
		pep508_format(req, &norm);
	if (valid != json_is_true(json_object_get(e, "valid"))) {
		ab_buf_addf(why, "'%.*s': valid %d (%s)", AB_STR_ARG(raw), valid, err.msg.buf);
		ok = false;
	} else if (!jopt_eq(json_object_get(e, "normalized"), valid ? norm.buf : NULL)) {
		ab_buf_addf(why, "'%.*s': normalized '%s'", AB_STR_ARG(raw), norm.buf);
		ok = false;
	}
	ab_buf_release(&norm);
	pep508_release(&tmp);
	ab_err_release(&err);
	return ok;
}

static bool check_field(const struct metadata *md, const char *key, json_t *entries,
			struct ab_buf *why)
{
	const struct metadata_msg *m = &md->msg;
	size_t n = json_array_size(entries);
	if (count_headers(m, key) != n) {
		ab_buf_addf(why, "%zu '%s' headers, expected %zu", count_headers(m, key), key, n);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(entries, i);
		const struct metadata_header *h = nth_header(m, key, i);
		if (!jstr_eq(json_object_get(e, "value"), h->value)) {
			ab_buf_addf(why, "'%s' #%zu value '%.*s'", key, i, AB_STR_ARG(h->value));
			return false;
		}
		struct ab_buf got = AB_BUF_INIT;
		const char *res = NULL;
		bool ok = true;
		if (!strcmp(key, "name")) {
			/* canonicalize_name(value.strip()) */
			if (i == 0)
				res = md->name_canonical;
			else
			{
				name_canonicalize(metadata_ustrip(h->value), &got);
				res = got.buf;
			}
			ok = jopt_eq(json_object_get(e, "canonical"), res);
		} else if (!strcmp(key, "provides-extra")) {
			res = md->provides_extra[i].canonical;
			ok = jopt_eq(json_object_get(e, "canonical"), res);
		} else if (!strcmp(key, "version")) {
			struct pep440_version *v = NULL, *own = NULL;
			if (i == 0) {
				v = md->version;
			} else {
				if (pep440_version_parse(h->value, &own, NULL) < 0)
					own = NULL;
				v = own;
			}
			if (v) {
				pep440_version_format(v, &got);
				res = got.buf;
			}
			ok = jopt_eq(json_object_get(e, "normalized"), res);
			pep440_version_free(own);
		} else if (!strcmp(key, "requires-python")) {
			struct pep440_specset tmp = PEP440_SPECSET_INIT;
			const struct pep440_specset *set = NULL;
			if (i == 0) {
				set = md->requires_python_valid ? &md->requires_python : NULL;
			} else if (pep440_specset_parse(h->value, &tmp, NULL) == 0) {
				set = &tmp;
			}
			if (set) {
				pep440_specset_format(set, &got);
				res = got.buf;
			}
			ok = jopt_eq(json_object_get(e, "normalized"), res);
			pep440_specset_release(&tmp);
		} else if (!strcmp(key, "requires-dist")) {
			ok = check_req(e, h->value, &md->requires_dist.items[i], why);
		} else if (!strcmp(key, "provides-dist")) {
			ok = check_req(e, h->value, &md->provides_dist.items[i], why);
		} else if (!strcmp(key, "obsoletes-dist")) {
			ok = check_req(e, h->value, &md->obsoletes_dist.items[i], why);
		} else if (!strcmp(key, "requires-external")) {
			ok = jstr_eq(json_object_get(e, "value"), md->requires_external.items[i]) &&
			     check_req(e, h->value, NULL, why);
		} else {
			ab_buf_addf(why, "unknown field '%s' in the vector", key);
			ok = false;
		}
		if (!ok && !why->len)
			ab_buf_addf(why, "'%s' #%zu '%.*s': got '%s'", key, i, AB_STR_ARG(h->value),
				    res ? res : "null");
		ab_buf_release(&got);
		if (!ok)
			return false;
	}
	return true;
}

static bool check_case(json_t *c, struct ab_buf *why)
{
	json_t *jtext = json_object_get(c, "text");
	struct ab_str text = ab_str_make(json_string_value(jtext), json_string_length(jtext));
	struct metadata md;
	struct ab_err err = AB_ERR_INIT;
	bool ok = false;
	if (metadata_parse(text, 0, NULL, &md, &err) < 0) {
		ab_buf_addf(why, "lenient parse failed: %s", err.msg.buf);
		ab_err_release(&err);
		return false;
	}
	const struct metadata_msg *m = &md.msg;
	json_t *hs = json_object_get(c, "headers");
	if (json_array_size(hs) != m->nheaders) {
		ab_buf_addf(why, "%zu headers, expected %zu", m->nheaders, json_array_size(hs));
		goto out;
	}
	for (size_t i = 0; i < m->nheaders; i++) {
		json_t *h = json_array_get(hs, i);
		if (!jstr_eq(json_array_get(h, 0), m->headers[i].name) ||
		    !jstr_eq(json_array_get(h, 1), m->headers[i].value)) {
			ab_buf_addf(why, "header #%zu: '%.*s': '%.*s'", i,
				    AB_STR_ARG(m->headers[i].name), AB_STR_ARG(m->headers[i].value));
			goto out;
		}
	}
	json_t *body = json_object_get(c, "body");
	if (json_is_null(body) ? m->body.ptr != NULL : !jstr_eq(body, m->body)) {
		ab_buf_addf(why, "body '%.*s'", AB_STR_ARG(m->body));
		goto out;
	}
	if (json_is_true(json_object_get(c, "is_multipart")) != m->is_multipart) {
		ab_buf_addf(why, "is_multipart %d", m->is_multipart);
		goto out;
	}
	json_t *ds = json_object_get(c, "defects");
	if (json_array_size(ds) != m->ndefects) {
		ab_buf_addf(why, "%zu defects, expected %zu", m->ndefects, json_array_size(ds));
		goto out;
	}
	for (size_t i = 0; i < m->ndefects; i++) {
		const char *name = metadata_defect_name(m->defects[i].kind);
		if (!jopt_eq(json_array_get(ds, i), name)) {
			ab_buf_addf(why, "defect #%zu %s", i, name);
			goto out;
		}
	}
	/* every field the reference read, and none it did not */
	static const char *const keys[] = { "name", "version", "requires-dist", "requires-external",
					    "provides-dist", "obsoletes-dist", "requires-python",
					    "provides-extra" };
	json_t *fields = json_object_get(c, "fields");
	json_t *none = json_array();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *e = json_object_get(fields, keys[i]);
		if (!check_field(&md, keys[i], e ? e : none, why)) {
			json_decref(none);
			goto out;
		}
	}
	json_decref(none);
	const char *k;
	json_t *v;
	json_object_foreach(fields, k, v) {
		bool known = false;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			known |= !strcmp(k, keys[i]);
		if (!known) {
			ab_buf_addf(why, "field '%s' not checked", k);
			goto out;
		}
	}
	ok = true;
out:
	metadata_release(&md);
	return ok;
}

void vec_metadata(json_t *root, struct vec_run *r)
{
	json_t *cases = json_object_get(root, "cases");
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c) {
		struct ab_buf why = AB_BUF_INIT;
		if (check_case(c, &why))
			vec_pass(r);
		else
			vec_fail(r, vec_str(c, "name"), "%s", why.buf);
		ab_buf_release(&why);
	}
}
