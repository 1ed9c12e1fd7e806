/* main.c - run every vector file and print per-file pass counts.
 *
 * Usage: vectors [DIR]   (default: $SHARED/vectors, else the shared vectors)
 * A missing vectors directory is a failure, never a skip. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/vectors/vec.h"

static const struct {
	const char *file;
	void (*run)(json_t *root, struct vec_run *r);
} checkers[] = {
	{ "versions.json", vec_versions },
	{ "version_order.json", vec_version_order },
	{ "specifiers.json", vec_specifiers },
	{ "requirements.json", vec_requirements },
	{ "markers.json", vec_markers },
	{ "names.json", vec_names },
	{ "names.json", vec_distfiles },
	{ "tags.json", vec_tags },
	{ "metadata.json", vec_metadata },
	{ "requirements_files.json", vec_reqfiles },
};

static int verbose;

void vec_pass(struct vec_run *r)
{
	r->passed++;
}

void vec_fail(struct vec_run *r, const char *casename, const char *fmt, ...)
{
	r->failed++;
	if (!verbose && r->shown >= 10)
		return;
	r->shown++;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "  FAIL %s: %s: ", r->file, casename ? casename : "?");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *vec_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

char *vec_num_str(json_t *v)
{
	char tmp[32];
	if (json_is_integer(v)) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
		return strdup(tmp);
	}
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return NULL;
}

int vec_tristate(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return -1;
	return json_is_true(v) ? 1 : 0;
}

int main(int argc, char **argv)
{
	char dir[4096];
	const char *shared = getenv("SHARED");
	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		snprintf(dir, sizeof(dir), "%s/vectors", shared ? shared : "../shared");
	verbose = getenv("VEC_VERBOSE") != NULL;
	const char *only = getenv("VEC_ONLY");

	unsigned tp = 0, tf = 0;
	for (size_t i = 0; i < sizeof(checkers) / sizeof(checkers[0]); i++) {
		if (only && !strstr(checkers[i].file, only))
			continue;
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, checkers[i].file);
		struct vec_run r = { checkers[i].file, 0, 0, 0 };
		json_error_t jerr;
		json_t *root = json_load_file(path, 0, &jerr);
		if (!root) {
			fprintf(stderr, "vectors: cannot read '%s': %s (is ../shared present?)\n",
				path, jerr.text);
			r.failed = 1;
		} else {
			checkers[i].run(root, &r);
			json_decref(root);
			if (r.passed + r.failed == 0) {
				fprintf(stderr, "vectors: %s: no case checked\n", checkers[i].file);
				r.failed = 1;
			}
		}
		printf("vectors: %-24s %6u/%-6u passed\n", checkers[i].file, r.passed,
		       r.passed + r.failed);
		tp += r.passed;
		tf += r.failed;
	}
	printf("vectors: %u passed, %u failed\n", tp, tf);
	return tf ? 1 : 0;
}
