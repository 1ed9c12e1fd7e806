/* simple_json_test.c - PEP 691 JSON pages (the HTML/JSON agreement over
 * ../shared/pyindex is in simple_html_test.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "formats/simple_json.h"

#define PAGE "https://example.org/simple/flask/"
#define META "\"meta\": {\"api-version\": \"1.1\"}, "

static void page_fields(void **state)
{
	const char *j =
		"{" META "\"name\": \"flask\", \"files\": ["
		"{\"filename\": \"a-1.whl\", \"url\": \"../../f/a-1.whl#x\", "
		" \"hashes\": {\"SHA256\": \"ABCD\", \"md5\": \"12\"}, \"requires-python\": "
		"\">=3.7\","
		" \"yanked\": \"broken\", \"dist-info-metadata\": {\"sha256\": \"11\"},"
		" \"core-metadata\": {\"sha256\": \"22\"}, \"size\": 42, \"extra\": [1]},"
		"{\"filename\": \"b-1.tar.gz\", \"url\": \"https://x.example/b-1.tar.gz\","
		" \"hashes\": {}, \"requires-python\": null, \"yanked\": true,"
		" \"dist-info-metadata\": true},"
		"{\"filename\": \"c-1.whl\", \"url\": \"c-1.whl\", \"hashes\": {},"
		" \"yanked\": false, \"core-metadata\": false, \"dist-info-metadata\": true}]}";
	struct simple_page p = SIMPLE_PAGE_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(simple_json_parse_page(ab_str_from(j), PAGE, &p, &err), 0);
	assert_string_equal(p.name, "flask");
	assert_string_equal(p.api_version, "1.1");
	assert_int_equal(p.nfiles, 3);
	const struct simple_file *f = &p.files[0];
	assert_string_equal(f->filename, "a-1.whl");
	assert_string_equal(f->url, "https://example.org/f/a-1.whl");
	assert_string_equal(simple_file_hash(f, "sha256"), "abcd");
	assert_string_equal(simple_file_hash(f, "md5"), "12");
	assert_string_equal(f->requires_python, ">=3.7");
	assert_true(f->yanked);
	assert_string_equal(f->yanked_reason, "broken");
	assert_true(f->has_metadata);
	assert_string_equal(f->metadata_hash.algo, "sha256");
	assert_string_equal(f->metadata_hash.hex, "22");
	assert_int_equal(f->size, 42);
	f = &p.files[1];
	assert_string_equal(f->url, "https://x.example/b-1.tar.gz");
	assert_null(f->requires_python);
	assert_true(f->yanked);
	assert_string_equal(f->yanked_reason, "");
	assert_true(f->has_metadata);
	assert_null(f->metadata_hash.algo);
	assert_int_equal(f->size, -1);
	f = &p.files[2];
	assert_false(f->yanked);
	assert_null(f->yanked_reason);
	assert_false(f->has_metadata); /* core-metadata wins over dist-info-metadata */
	simple_page_release(&p);
	ab_err_release(&err);
}

static const struct {
	const char *json, *msg;
	unsigned line, col;
} errors[] = {
	{ "{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [}", "invalid JSON: ", 1, 44 },
	{ "[]", "expected a JSON object", 0, 0 },
	{ "{\"files\": []}", "missing 'meta.api-version'", 0, 0 },
	{ "{\"meta\": {\"api-version\": \"2.0\"}, \"files\": []}", "unsupported api-version '2.0'",
	  0, 0 },
	{ "{" META "\"files\": {}}", "missing 'files' array", 0, 0 },
	{ "{" META "\"files\": [{\"filename\": \"a\"}]}", "file 1: missing 'filename' or 'url'", 0,
	  0 },
	{ "{" META "\"files\": [], \"files\": []}", "invalid JSON: duplicate object key", 1, 0 },
	{ "{" META "\"files\": [{\"filename\": \"a\", \"url\": \"http://[x/\"}]}", "invalid URL", 0,
	  0 },
};

static void page_errors(void **state)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		struct simple_page p = SIMPLE_PAGE_INIT;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(
			simple_json_parse_page(ab_str_from(errors[i].json), PAGE, &p, &err),
			-AB_E_PARSE);
		if (strncmp(err.msg.buf, errors[i].msg, strlen(errors[i].msg)))
			fail_msg("case %zu: got '%s', want '%s'", i, err.msg.buf, errors[i].msg);
		assert_int_equal(err.line, errors[i].line);
		if (errors[i].col)
			assert_int_equal(err.col, errors[i].col);
		assert_int_equal(p.nfiles, 0);
		assert_null(p.files);
		ab_err_release(&err);
	}
}

static void project_list(void **state)
{
	const char *j =
		"{" META "\"projects\": [{\"name\": \"Zope.Interface\"}, {\"name\": \"flask\"}]}";
	struct simple_index ix = SIMPLE_INDEX_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(simple_json_parse_index(ab_str_from(j), "https://e.org/simple/index.json",
						 &ix, &err),
			 0);
	assert_int_equal(ix.nprojects, 2);
	assert_string_equal(ix.projects[0].name, "Zope.Interface");
	assert_string_equal(ix.projects[0].url, "https://e.org/simple/zope-interface/");
	assert_string_equal(ix.projects[1].url, "https://e.org/simple/flask/");
	simple_index_release(&ix);
	assert_int_equal(
		simple_json_parse_index(ab_str_from("{\"meta\": {\"api-version\": \"1\"}}"),
					"https://e.org/simple/", &ix, &err),
		-AB_E_PARSE);
	assert_string_equal(err.msg.buf, "missing 'projects' array");
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(page_fields),
		cmocka_unit_test(page_errors),
		cmocka_unit_test(project_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
