/* vec_reqfiles.c - requirements_files.json: pip 23.0.1's req_file on whole
 * file trees, fed through reqfile_parse_file() with an in-memory reader.
 *
 * The case's files live under a virtual root "{root}" (the working
 * directory), so find-links paths joined to it read "{root}/…" as in the
 * vectors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/reqfile.h"
#include "tests/vectors/vec.h"

#define ROOT "{root}"

struct mem_tree {
	json_t *files; /* {relative path: text} */
	json_t *env;   /* {NAME: value} */
};

/* Lexically normalize a path relative to the root ("a/./b/../c" -> "a/c");
 * returns false when it leaves the root. */
static bool norm_rel(const char *in, char *out, size_t cap)
{
	if (!strncmp(in, ROOT "/", strlen(ROOT) + 1))
		in += strlen(ROOT) + 1;
	else if (!strcmp(in, ROOT))
		in = "";
	else if (in[0] == '/')
		return false;
	size_t n = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (!len || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (!n)
				return false;
			while (n && out[n - 1] != '/')
				n--;
			if (n)
				n--;
			continue;
		}
		if (n + len + 2 >= cap)
			return false;
		if (n)
			out[n++] = '/';
		memcpy(out + n, s, len);
		n += len;
	}
	out[n] = '\0';
	return true;
}

static int mem_read(void *data, const char *path, struct ab_buf *out)
{
	struct mem_tree *t = data;
	char key[1024];
	if (!norm_rel(path, key, sizeof(key)))
		return ENOENT;
	const char *k;
	json_t *v;
	json_object_foreach(t->files, k, v)
	{
		char nk[1024];
		if (norm_rel(k, nk, sizeof(nk)) && !strcmp(nk, key)) {
			ab_buf_add(out, json_string_value(v), json_string_length(v));
			return 0;
		}
	}
	return ENOENT;
}

static bool mem_exists(void *data, const char *path)
{
	struct mem_tree *t = data;
	char key[1024];
	if (!norm_rel(path, key, sizeof(key)))
		return false;
	if (!key[0])
		return true;
	size_t n = strlen(key);
	const char *k;
	json_t *v;
	json_object_foreach(t->files, k, v)
	{
		char nk[1024];
		if (!norm_rel(k, nk, sizeof(nk)))
			continue;
		if (!strncmp(nk, key, n) && (nk[n] == '\0' || nk[n] == '/'))
			return true;
	}
	return false;
}

static const char *mem_getenv(void *data, const char *name)
{
	struct mem_tree *t = data;
	return vec_str(t->env, name);
}

static json_t *strlist_json(const struct reqfile_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *fc_json(const struct reqfile_format_control *fc)
{
	return json_pack("{s:o,s:o}", "no_binary", strlist_json(&fc->no_binary), "only_binary",
			 strlist_json(&fc->only_binary));
}

/* per-requirement options (pip's SUPPORTED_OPTIONS_REQ), when truthy */
static void req_opts_json(json_t *o, const struct reqfile_lineopts *lo)
{
	if (lo->nhashes) {
		json_t *h = json_object();
		for (size_t i = 0; i < lo->nhashes; i++) {
			json_t *l = json_object_get(h, lo->hashes[i].algo);
			if (!l) {
				l = json_array();
				json_object_set_new(h, lo->hashes[i].algo, l);
			}
			json_array_append_new(l, json_string(lo->hashes[i].hex));
		}
		json_object_set_new(o, "hashes", h);
	}
	if (lo->install_options.n)
		json_object_set_new(o, "install_options", strlist_json(&lo->install_options));
	if (lo->global_options.n)
		json_object_set_new(o, "global_options", strlist_json(&lo->global_options));
	if (lo->nsettings) {
		json_t *c = json_object();
		for (size_t i = 0; i < lo->nsettings; i++) {
			json_t *old = json_object_get(c, lo->settings[i].key);
			json_t *nv = json_string(lo->settings[i].value);
			if (!old) {
				json_object_set_new(c, lo->settings[i].key, nv);
			} else if (json_is_array(old)) {
				json_array_append_new(old, nv);
			} else {
				json_t *arr = json_pack("[O,o]", old, nv);
				json_object_set_new(c, lo->settings[i].key, arr);
			}
		}
		json_object_set_new(o, "config_settings", c);
	}
}

/* every option of a line that differs from the optparse defaults */
static json_t *line_opts_json(const struct reqfile_lineopts *lo)
{
	json_t *o = json_object();
	if (lo->index_url)
		json_object_set_new(o, "index_url", json_string(lo->index_url));
	if (lo->extra_index_urls.n)
		json_object_set_new(o, "extra_index_urls", strlist_json(&lo->extra_index_urls));
	if (lo->no_index)
		json_object_set_new(o, "no_index", json_true());
	if (lo->find_links.n)
		json_object_set_new(o, "find_links", strlist_json(&lo->find_links));
	if (lo->format_control.no_binary.n || lo->format_control.only_binary.n)
		json_object_set_new(o, "format_control", fc_json(&lo->format_control));
	if (lo->prefer_binary)
		json_object_set_new(o, "prefer_binary", json_true());
	if (lo->require_hashes)
		json_object_set_new(o, "require_hashes", json_true());
	if (lo->pre)
		json_object_set_new(o, "pre", json_true());
	if (lo->trusted_hosts.n)
		json_object_set_new(o, "trusted_hosts", strlist_json(&lo->trusted_hosts));
	/* never listed: pip's --use-feature default list is shared and
	 * appended to, so a line's value always equals the (mutated) default */
	if (lo->editables.n)
		json_object_set_new(o, "editables", strlist_json(&lo->editables));
	if (lo->requirements.n)
		json_object_set_new(o, "requirements", strlist_json(&lo->requirements));
	if (lo->constraints.n)
		json_object_set_new(o, "constraints", strlist_json(&lo->constraints));
	req_opts_json(o, lo);
	return o;
}

static const char *kind_str(enum reqfile_kind k)
{
	return k == REQFILE_REQUIREMENT ? "requirement"
	       : k == REQFILE_EDITABLE	? "editable"
					: "options";
}

static json_t *lines_json(const struct reqfile *rf)
{
	json_t *a = json_array();
	for (size_t i = 0; i < rf->nlines; i++) {
		const struct reqfile_line *l = &rf->lines[i];
		json_array_append_new(
			a, json_pack("{s:s,s:i,s:s,s:o,s:b,s:o}", "file", l->file, "lineno",
				     (int)l->lineno, "kind", kind_str(l->kind), "requirement",
				     l->requirement ? json_string(l->requirement) : json_null(),
				     "constraint", l->constraint, "options",
				     line_opts_json(&l->opts)));
	}
	return a;
}

static json_t *reqs_json(const struct reqfile *rf)
{
	json_t *a = json_array();
	for (size_t i = 0; i < rf->nlines; i++) {
		const struct reqfile_line *l = &rf->lines[i];
		if (!reqfile_line_is_requirement(l))
			continue;
		struct ab_buf cf = AB_BUF_INIT;
		reqfile_comes_from(l, &cf);
		json_t *o = json_object();
		if (l->kind == REQFILE_REQUIREMENT)
			req_opts_json(o, &l->opts);
		json_array_append_new(
			a, json_pack("{s:s,s:b,s:b,s:s,s:o}", "requirement", l->requirement,
				     "is_editable", l->kind == REQFILE_EDITABLE, "constraint",
				     l->constraint, "comes_from", cf.buf, "options", o));
		ab_buf_release(&cf);
	}
	return a;
}

static json_t *finder_json(const struct reqfile_finder *f)
{
	json_t *th = json_array();
	for (size_t i = 0; i < f->ntrusted_hosts; i++)
		json_array_append_new(th,
				      json_pack("[s,o]", f->trusted_hosts[i].host,
						f->trusted_hosts[i].port < 0
							? json_null()
							: json_integer(f->trusted_hosts[i].port)));
	return json_pack("{s:o,s:o,s:b,s:b,s:b,s:o,s:o,s:b,s:o}", "index_urls",
			 strlist_json(&f->index_urls), "find_links", strlist_json(&f->find_links),
			 "no_index", f->no_index, "allow_all_prereleases", f->allow_all_prereleases,
			 "prefer_binary", f->prefer_binary, "format_control",
			 fc_json(&f->format_control), "trusted_hosts", th, "require_hashes",
			 f->require_hashes, "features_enabled", strlist_json(&f->features_enabled));
}

static bool check_part(struct vec_run *r, const char *name, const char *what, json_t *want,
		       json_t *got)
{
	if (json_equal(want, got))
		return true;
	char *w = json_dumps(want, JSON_COMPACT | JSON_ENSURE_ASCII);
	char *g = json_dumps(got, JSON_COMPACT | JSON_ENSURE_ASCII);
	vec_fail(r, name, "%s: want %s got %s", what, w, g);
	free(w);
	free(g);
	return false;
}

void vec_reqfiles(json_t *root, struct vec_run *r)
{
	json_t *cases = json_object_get(root, "cases");
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c)
	{
		const char *name = vec_str(c, "name");
		struct mem_tree t = { json_object_get(c, "files"), json_object_get(c, "env") };
		struct reqfile_io io = { mem_read, mem_exists, &t };
		struct reqfile_config cfg = { 0 };
		cfg.io = &io;
		cfg.getenv = mem_getenv;
		cfg.getenv_data = &t;
		cfg.cwd = ROOT;
		struct reqfile rf = REQFILE_INIT;
		struct ab_err err = AB_ERR_INIT;
		int rc = reqfile_parse_file(&rf, vec_str(c, "entry"), &cfg, &err);
		bool want_err = json_is_true(json_object_get(c, "error"));
		if (want_err) {
			const char *cls = vec_str(c, "error_type");
			int want = cls && !strcmp(cls, "InstallationError") ? AB_E_IO : AB_E_PARSE;
			if (rc >= 0)
				vec_fail(r, name, "accepted, want %s", cls ? cls : "an error");
			else if (err.code != want)
				vec_fail(r, name, "error code %d (%s), want %s", err.code,
					 err.msg.buf, cls);
			else
				vec_pass(r);
		} else if (rc < 0) {
			struct ab_buf m = AB_BUF_INIT;
			ab_err_format(&err, &m);
			vec_fail(r, name, "rejected: %s", m.buf);
			ab_buf_release(&m);
		} else {
			json_t *gl = lines_json(&rf), *gr = reqs_json(&rf),
			       *gf = finder_json(&rf.finder);
			bool ok = check_part(r, name, "lines", json_object_get(c, "lines"), gl) &&
				  check_part(r, name, "requirements",
					     json_object_get(c, "requirements"), gr) &&
				  check_part(r, name, "finder", json_object_get(c, "finder"), gf);
			if (ok)
				vec_pass(r);
			json_decref(gl);
			json_decref(gr);
			json_decref(gf);
		}
		ab_err_release(&err);
		reqfile_release(&rf);
	}
}
