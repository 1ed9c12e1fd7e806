/* simple_json.c - PEP 691 JSON pages. */
#include "formats/simple_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/names.h"

static int load(struct ab_str s, json_t **root, struct ab_err *err)
{
	json_error_t je;
	*root = json_loadb(s.ptr ? s.ptr : "", s.len, JSON_REJECT_DUPLICATES, &je);
	if (!*root) {
		struct ab_loc loc = { NULL, je.line > 0 ? (unsigned)je.line : 0,
				      je.column > 0 ? (unsigned)je.column : 0 };
		return ab_err_at(err, AB_E_PARSE, &loc, "invalid JSON: %s", je.text);
	}
	if (!json_is_object(*root))
		return ab_err_set(err, AB_E_PARSE, "expected a JSON object");
	return 0;
}

/* PEP 691: a client must refuse a major version it does not know. */
static int api_version(struct ab_arena *a, json_t *root, const char **out, struct ab_err *err)
{
	json_t *v = json_object_get(json_object_get(root, "meta"), "api-version");
	if (!json_is_string(v))
		return ab_err_set(err, AB_E_PARSE, "missing 'meta.api-version'");
	const char *s = json_string_value(v);
	if (strncmp(s, "1.", 2) && strcmp(s, "1"))
		return ab_err_set(err, AB_E_PARSE, "unsupported api-version '%s'", s);
	*out = ab_arena_strdup(a, s);
	return 0;
}

static size_t hashes_from(struct ab_arena *a, json_t *obj, struct simple_hash **out)
{
	size_t n = json_is_object(obj) ? json_object_size(obj) : 0;
	size_t k = 0;
	*out = NULL;
	if (!n)
		return 0;
	*out = ab_arena_alloc(a, n * sizeof(**out));
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val)
	{
		if (!json_is_string(val))
			continue;
		struct ab_buf b = AB_BUF_INIT;
		ab_buf_addf(&b, "%s=%s", key, json_string_value(val));
		if (simple_hash_parse(a, ab_buf_str(&b), &(*out)[k]))
			k++;
		ab_buf_release(&b);
	}
	return k;
}

static void metadata(struct ab_arena *a, struct simple_file *f, json_t *file)
{
	json_t *m = json_object_get(file, "core-metadata");
	if (!m)
		m = json_object_get(file, "dist-info-metadata");
	if (json_is_true(m)) {
		f->has_metadata = true;
	} else if (json_is_object(m)) {
		f->has_metadata = true;
		struct simple_hash *hs;
		size_t n = hashes_from(a, m, &hs);
		for (size_t i = 0; i < n; i++)
			if (!f->metadata_hash.algo || !strcmp(hs[i].algo, "sha256"))
				f->metadata_hash = hs[i];
	}
}

int simple_json_parse_page(struct ab_str json, const char *page_url, struct simple_page *out,
			   struct ab_err *err)
{
	json_t *root = NULL;
	int r = load(json, &root, err);
	if (r < 0)
		goto out;
	r = api_version(&out->arena, root, &out->api_version, err);
	if (r < 0)
		goto out;
	const char *page =
		simple_url_resolve(&out->arena, page_url, ab_str_from(page_url), false, err);
	if (!page) {
		r = -AB_E_PARSE;
		goto out;
	}
	json_t *name = json_object_get(root, "name");
	if (json_is_string(name))
		out->name = ab_arena_strdup(&out->arena, json_string_value(name));
	json_t *files = json_object_get(root, "files");
	if (!json_is_array(files)) {
		r = ab_err_set(err, AB_E_PARSE, "missing 'files' array");
		goto out;
	}
	size_t i;
	json_t *jf;
	json_array_foreach(files, i, jf)
	{
		json_t *fn = json_object_get(jf, "filename");
		json_t *url = json_object_get(jf, "url");
		if (!json_is_string(fn) || !json_is_string(url)) {
			r = ab_err_set(err, AB_E_PARSE, "file %zu: missing 'filename' or 'url'",
				       i + 1);
			goto out;
		}
		const char *full = simple_url_resolve(
			&out->arena, page,
			ab_str_make(json_string_value(url), json_string_length(url)), false, err);
		if (!full) {
			r = -AB_E_PARSE;
			goto out;
		}
		struct simple_file *f = simple_page_add(out);
		f->filename = ab_arena_strndup(&out->arena, json_string_value(fn),
					       json_string_length(fn));
		f->url = full;
		f->nhashes = hashes_from(&out->arena, json_object_get(jf, "hashes"), &f->hashes);
		json_t *rp = json_object_get(jf, "requires-python");
		if (json_is_string(rp) && json_string_length(rp))
			f->requires_python = ab_arena_strdup(&out->arena, json_string_value(rp));
		json_t *y = json_object_get(jf, "yanked");
		if (json_is_string(y)) {
			f->yanked = true;
			f->yanked_reason = ab_arena_strdup(&out->arena, json_string_value(y));
		} else if (json_is_true(y)) {
			f->yanked = true;
			f->yanked_reason = "";
		}
		metadata(&out->arena, f, jf);
		json_t *sz = json_object_get(jf, "size");
		if (json_is_integer(sz) && json_integer_value(sz) >= 0)
			f->size = json_integer_value(sz);
	}
out:
	json_decref(root);
	if (r < 0)
		simple_page_release(out);
	return r;
}

int simple_json_parse_index(struct ab_str json, const char *page_url, struct simple_index *out,
			    struct ab_err *err)
{
	json_t *root = NULL;
	struct ab_buf rel = AB_BUF_INIT;
	int r = load(json, &root, err);
	if (r < 0)
		goto out;
	r = api_version(&out->arena, root, &out->api_version, err);
	if (r < 0)
		goto out;
	/* the list is at ".../simple/" (or ".../simple/index.json"): project
	 * pages are siblings of the list's last path segment */
	const char *page =
		simple_url_resolve(&out->arena, page_url, ab_str_from(page_url), false, err);
	if (!page) {
		r = -AB_E_PARSE;
		goto out;
	}
	json_t *projects = json_object_get(root, "projects");
	if (!json_is_array(projects)) {
		r = ab_err_set(err, AB_E_PARSE, "missing 'projects' array");
		goto out;
	}
	size_t i;
	json_t *jp;
	json_array_foreach(projects, i, jp)
	{
		json_t *name = json_object_get(jp, "name");
		if (!json_is_string(name)) {
			r = ab_err_set(err, AB_E_PARSE, "project %zu: missing 'name'", i + 1);
			goto out;
		}
		struct ab_str n = ab_str_make(json_string_value(name), json_string_length(name));
		ab_buf_reset(&rel);
		name_canonicalize(n, &rel);
		ab_buf_addc(&rel, '/');
		const char *url =
			simple_url_resolve(&out->arena, page, ab_buf_str(&rel), false, NULL);
		if (!url)
			continue;
		struct simple_project *p = simple_index_add(out);
		p->name = ab_arena_strdup_str(&out->arena, n);
		p->url = url;
	}
out:
	json_decref(root);
	ab_buf_release(&rel);
	if (r < 0)
		simple_index_release(out);
	return r;
}
