/* vec_tags.c - tags.json: supported-tag lists of fixed interpreters,
 * platform lists, parse_tag. */
#include <stdlib.h>
#include <string.h>

#include "formats/tags.h"
#include "tests/vectors/vec.h"

/* Compares a list of strings with a JSON array of strings, in order. */
static bool same_list(const char *const *got, size_t n, json_t *want, struct vec_run *r,
		      const char *casename)
{
	size_t nw = json_array_size(want);
	for (size_t i = 0; i < n || i < nw; i++) {
		const char *w = i < nw ? json_string_value(json_array_get(want, i)) : NULL;
		const char *g = i < n ? got[i] : NULL;
		if (!w || !g || strcmp(w, g)) {
			vec_fail(r, casename, "item %zu: got '%s', want '%s' (%zu vs %zu items)", i,
				 g ? g : "(end)", w ? w : "(end)", n, nw);
			return false;
		}
	}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The tag strings of a list of tags, malloc'd; `sorted` sorts them. */
static char **tag_strings(const struct tag *tags, size_t n, bool sorted)
{
	char **v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		struct ab_buf b = AB_BUF_INIT;
		tag_format(&tags[i], &b);
		v[i] = ab_buf_detach(&b);
	}
	if (sorted)
		qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool version_pair(json_t *c, const char *key, unsigned *maj, unsigned *min)
{
	json_t *v = json_object_get(c, key);
	if (!json_is_array(v) || json_array_size(v) != 2)
		return false;
	*maj = (unsigned)json_integer_value(json_array_get(v, 0));
	*min = (unsigned)json_integer_value(json_array_get(v, 1));
	return true;
}

/* A platform set's parameters as a target (platforms left unset); false for
 * an explicit list that names no Windows machine. */
static bool set_target(json_t *set, struct tags_target *t)
{
	const char *kind = vec_str(set, "kind"), *name = vec_str(set, "name");
	if (!kind || !name)
		return false;
	if (!strcmp(kind, "linux")) {
		t->os = TAGS_OS_LINUX;
		t->arch = vec_str(set, "arch");
		t->libc = TAGS_LIBC_UNKNOWN;
		if (version_pair(set, "glibc", &t->os_major, &t->os_minor))
			t->libc = TAGS_LIBC_GLIBC;
		else if (version_pair(set, "musl", &t->os_major, &t->os_minor))
			t->libc = TAGS_LIBC_MUSL;
		return true;
	}
	if (!strcmp(kind, "macos")) {
		t->os = TAGS_OS_MACOS;
		t->arch = vec_str(set, "arch");
		return version_pair(set, "macos", &t->os_major, &t->os_minor);
	}
	/* explicit: the Windows lists are what sysconfig.get_platform() says */
	t->os = TAGS_OS_WINDOWS;
	if (!strcmp(name, "win32"))
		t->arch = "x86";
	else if (!strncmp(name, "win-", 4))
		t->arch = name + 4;
	else
		return false;
	return true;
}

static json_t *find_set(json_t *root, const char *name)
{
	json_t *sets = json_object_get(root, "platform_sets"), *s;
	size_t i;
	json_array_foreach(sets, i, s) {
		const char *n = vec_str(s, "name");
		if (n && name && !strcmp(n, name))
			return s;
	}
	return NULL;
}

static void check_platform_set(json_t *set, struct vec_run *r)
{
	const char *name = vec_str(set, "name");
	struct tags_target t = { 0 };
	struct tags_strlist pl = TAGS_STRLIST_INIT;
	struct ab_err err = AB_ERR_INIT;
	json_t *want = json_object_get(set, "platforms");
	if (!set_target(set, &t)) {
		/* an explicit list is taken as given */
		size_t n = json_array_size(want);
		const char **v = calloc(n ? n : 1, sizeof(*v));
		for (size_t i = 0; i < n; i++)
			v[i] = json_string_value(json_array_get(want, i));
		t.platforms = v;
		t.nplatforms = n;
		if (tags_platforms(&t, &pl, &err) < 0)
			vec_fail(r, name, "error: %s", err.msg.buf);
		else if (same_list(pl.v, pl.n, want, r, name))
			vec_pass(r);
		free(v);
	} else if (tags_platforms(&t, &pl, &err) < 0) {
		vec_fail(r, name, "error: %s", err.msg.buf);
	} else if (same_list(pl.v, pl.n, want, r, name)) {
		vec_pass(r);
	}
	tags_strlist_release(&pl);
	ab_err_release(&err);
}

/* The full list for a case, built once from its explicit platforms and once
 * from its platform set's parameters; both must match. */
static void check_case(json_t *root, json_t *c, struct vec_run *r)
{
	const char *name = vec_str(c, "name");
	const char *interp = vec_str(c, "interpreter");
	json_t *jabis = json_object_get(c, "abis"), *jplats = json_object_get(c, "platforms");
	json_t *want = json_object_get(c, "tags");
	struct tags_target t = { 0 };
	struct ab_err err = AB_ERR_INIT;
	struct tags_supported sup = TAGS_SUPPORTED_INIT;
	size_t na = json_array_size(jabis), np = json_array_size(jplats);
	const char **abis = calloc(na ? na : 1, sizeof(*abis));
	const char **plats = calloc(np ? np : 1, sizeof(*plats));
	for (size_t i = 0; i < na; i++)
		abis[i] = json_string_value(json_array_get(jabis, i));
	for (size_t i = 0; i < np; i++)
		plats[i] = json_string_value(json_array_get(jplats, i));

	if (!version_pair(c, "python_version", &t.py_major, &t.py_minor) || !interp) {
		vec_fail(r, name, "bad case");
		goto out;
	}
	t.impl = !strncmp(interp, "pp", 2) ? TAGS_IMPL_PYPY : TAGS_IMPL_CPYTHON;
	t.interpreter = interp;
	t.abis = abis;
	t.nabis = na;
	t.platforms = plats;
	t.nplatforms = np;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			json_t *set = find_set(root, vec_str(c, "platform_set"));
			t.platforms = NULL;
			t.nplatforms = 0;
			if (!set || !set_target(set, &t))
				break;
		}
		if (tags_supported(&t, &sup, &err) < 0) {
			vec_fail(r, name, "error: %s", err.msg.buf);
			goto out;
		}
		char **got = tag_strings(sup.tags, sup.n, false);
		bool ok = same_list((const char *const *)got, sup.n, want, r, name);
		/* every listed tag ranks at its first index */
		for (size_t i = 0; ok && i < sup.n; i++) {
			struct tag_set one = { 1, &sup.tags[i] };
			long k = tags_supported_rank(&sup, &one);
			if (k < 0 || (size_t)k > i || strcmp(got[k], got[i])) {
				vec_fail(r, name, "rank of '%s' is %ld, want %zu", got[i], k, i);
				ok = false;
			}
		}
		free_strings(got, sup.n);
		tags_supported_release(&sup);
		if (!ok)
			goto out;
	}
	vec_pass(r);
out:
	free(abis);
	free(plats);
	ab_err_release(&err);
}

static void check_parse_tag(json_t *c, struct vec_run *r)
{
	const char *in = vec_str(c, "tag");
	int valid = vec_tristate(c, "valid");
	struct tag_set set = TAG_SET_INIT;
	struct ab_err err = AB_ERR_INIT;
	int rc = tags_parse(ab_str_from(in), &set, &err);
	if (valid != 1) {
		if (rc < 0)
			vec_pass(r);
		else
			vec_fail(r, in, "accepted, want %s", vec_str(c, "error"));
	} else if (rc < 0) {
		vec_fail(r, in, "rejected: %s", err.msg.buf);
	} else {
		char **got = tag_strings(set.tags, set.n, true);
		if (same_list((const char *const *)got, set.n, json_object_get(c, "tags"), r, in))
			vec_pass(r);
		free_strings(got, set.n);
	}
	tag_set_release(&set);
	ab_err_release(&err);
}

void vec_tags(json_t *root, struct vec_run *r)
{
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(root, "cases"), i, c)
		check_case(root, c, r);
	json_array_foreach(json_object_get(root, "platform_sets"), i, c)
		check_platform_set(c, r);
	json_array_foreach(json_object_get(root, "parse_tag"), i, c)
		check_parse_tag(c, r);
}
