/* toml_test.c - strict TOML 1.0 reader: valid documents (dumped with
 * toml_format), invalid ones (line:col and message), positions, and every
 * pyproject.toml inside the real sdists of ../shared/pyindex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pyproject.h"
#include "formats/toml.h"

struct valid_case {
	const char *in, *out;
};

/* Expected dumps checked by hand against Python 3.11's tomllib. */
static const struct valid_case valid[] = {
	{ "", "{}" },
	{ "# only a comment\n\n", "{}" },
	{ "a = 1", "{\"a\":1}" },
	{ "a = \"x\"\nb = 'y'", "{\"a\":\"x\",\"b\":\"y\"}" },
	{ "a.b.c = 1\na.b.d = 2", "{\"a\":{\"b\":{\"c\":1,\"d\":2}}}" },
	{ "[a]\nb = 1\n[a.c]\nd = 2", "{\"a\":{\"b\":1,\"c\":{\"d\":2}}}" },
	{ "[a.b.c]\n[a]\nx=1", "{\"a\":{\"b\":{\"c\":{}},\"x\":1}}" },
	{ "[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\nsmooth = true",
	  "{\"fruit\":{\"apple\":{\"color\":\"red\",\"texture\":{\"smooth\":true}}}}" },
	{ "[a.b.c]\n[a]\nb.d = 1", "{\"a\":{\"b\":{\"c\":{},\"d\":1}}}" },
	{ "a = {b.c = 1, b.d = 2}", "{\"a\":{\"b\":{\"c\":1,\"d\":2}}}" },
	{ "a = {}\nb = []", "{\"a\":{},\"b\":[]}" },
	{ "a = [1,2,]", "{\"a\":[1,2]}" },
	{ "a = [\n  \"x\", # c\n  \"y\"  # d\n  ,\n]", "{\"a\":[\"x\",\"y\"]}" },
	{ "a = [[1,2],[\"x\"],{b=1}]", "{\"a\":[[1,2],[\"x\"],{\"b\":1}]}" },
	{ "[[a]]\nb=1\n[[a]]\nb=2", "{\"a\":[{\"b\":1},{\"b\":2}]}" },
	{ "[[a]]\n[a.b]\nc=1\n[[a]]\n[a.b]\nc=2", "{\"a\":[{\"b\":{\"c\":1}},{\"b\":{\"c\":2}}]}" },
	{ "[[a]]\n[[a.b]]\nx=1\n[[a]]\n[[a.b]]\nx=2",
	  "{\"a\":[{\"b\":[{\"x\":1}]},{\"b\":[{\"x\":2}]}]}" },
	{ "a = \"\\u00e9\\U0001F600\"", "{\"a\":\"\xc3\xa9\xf0\x9f\x98\x80\"}" },
	{ "a = \"\\b\\t\\n\\f\\r\\\"\\\\\"", "{\"a\":\"\\u0008\\u0009\\n\\u000c\\u000d\\\"\\\\\"}" },
	{ "a = \"\\u0000\"", "{\"a\":\"\\u0000\"}" },
	{ "a = \"\"\"\nline1\nline2\"\"\"", "{\"a\":\"line1\\nline2\"}" },
	{ "a = \"\"\"a\\\n   b\\  \n\n  c\"\"\"", "{\"a\":\"abc\"}" },
	{ "a = \"\"\"\"x\"\"\"\"", "{\"a\":\"\\\"x\\\"\"}" },
	{ "a = \"\"\"x\"\"\"\"\"", "{\"a\":\"x\\\"\\\"\"}" },
	{ "a = \"\"\"x\r\ny\"\"\"", "{\"a\":\"x\\ny\"}" },
	{ "a = '''\nraw\\n'''", "{\"a\":\"raw\\\\n\"}" },
	{ "a = ''''x''''", "{\"a\":\"'x'\"}" },
	{ "a = 'a\\b'", "{\"a\":\"a\\\\b\"}" },
	{ "a = \"tab\there\"", "{\"a\":\"tab\\u0009here\"}" },
	{ "a = 1 # ok \xc3\xa9", "{\"a\":1}" },
	{ "\"quoted key\" = 1\n'lit' = 2\n\"\" = 3", "{\"quoted key\":1,\"lit\":2,\"\":3}" },
	{ "a.\"b.c\".d = 1\n a . e = 2", "{\"a\":{\"b.c\":{\"d\":1},\"e\":2}}" },
	{ "a = 1\nA = 2\n1234 = 5\n-_- = 6", "{\"a\":1,\"A\":2,\"1234\":5,\"-_-\":6}" },
	{ "a = +1\nb = -0\nc = 1_000\nd = 0xdead_beef\ne = 0o755\nf = 0b1010",
	  "{\"a\":1,\"b\":0,\"c\":1000,\"d\":3735928559,\"e\":493,\"f\":10}" },
	{ "a = 9223372036854775807\nb = -9223372036854775808",
	  "{\"a\":9223372036854775807,\"b\":-9223372036854775808}" },
	{ "a = 1.5\nb = -1.5e-3\nc = 1E+10\nd = 1e05\ne = 0.0\nf = 1_0.5",
	  "{\"a\":1.5,\"b\":-0.0015,\"c\":10000000000,\"d\":100000,\"e\":0,\"f\":10.5}" },
	{ "a = inf\nb = -inf\nc = nan\nd = +nan", "{\"a\":inf,\"b\":-inf,\"c\":nan,\"d\":nan}" },
	{ "a = true\nb = false", "{\"a\":true,\"b\":false}" },
	{ "a = 1979-05-27\nb = 1979-05-27T07:32:00Z\nc = 1979-05-27 07:32:00.999-07:00\n"
	  "d = 07:32:00\ne = 1980-02-29t00:00:00z",
	  "{\"a\":{\"datetime\":\"1979-05-27\"},\"b\":{\"datetime\":\"1979-05-27T07:32:00Z\"},"
	  "\"c\":{\"datetime\":\"1979-05-27 07:32:00.999-07:00\"},\"d\":{\"datetime\":\"07:32:00\"},"
	  "\"e\":{\"datetime\":\"1980-02-29t00:00:00z\"}}" },
	{ "a = [1979-05-27 07:32:00]", "{\"a\":[{\"datetime\":\"1979-05-27 07:32:00\"}]}" },
	{ "a = 1\r\nb = 2\r\n", "{\"a\":1,\"b\":2}" },
	{ "\t\ta\t=\t1\t\n  [b]  # c\n  c = 2", "{\"a\":1,\"b\":{\"c\":2}}" },
	{ "[tool.x]\n\"a b\" = 1\n[tool.y]", "{\"tool\":{\"x\":{\"a b\":1},\"y\":{}}}" },
};

struct invalid_case {
	const char *in, *err; /* "line:col: message" */
};

static const struct invalid_case invalid[] = {
	{ "[a]\n[a]", "2:2: table 'a' is already defined" },
	{ "[a.b]\n[a.b]", "2:4: table 'a.b' is already defined" },
	{ "a.b = 1\n[a]", "2:2: table 'a' is already defined" },
	{ "[fruit]\napple.color = \"red\"\n[fruit.apple]",
	  "3:8: table 'fruit.apple' is already defined" },
	{ "[a.b.c]\nz = 9\n[a]\nb.c.t = 1", "4:3: table 'b.c' is already defined" },
	{ "[a.b.c]\n[a]\nb.d = 1\n[a.b]", "4:4: table 'a.b' is already defined" },
	{ "[a]\n[a.b]\n[a]", "3:2: table 'a' is already defined" },
	{ "[x]\na.b = 1\n[y]\n[x]", "4:2: table 'x' is already defined" },
	{ "['a']\n[\"a\"]", "2:2: table 'a' is already defined" },
	{ "a = {b = 1}\na.c = 2", "2:1: cannot add keys to inline table 'a'" },
	{ "a = {b = 1}\n[a.c]", "2:2: cannot add keys to inline table 'a'" },
	{ "a = {b = 1}\n[a]", "2:2: table 'a' is already defined" },
	{ "a = {b = {c = 1}, b.d = 2}", "1:19: cannot add keys to inline table 'b'" },
	{ "[a]\nb = {c = 1}\n[a.b.d]", "3:4: cannot add keys to inline table 'a.b'" },
	{ "a = {b = 1,}", "1:12: trailing comma in inline table" },
	{ "a = {\nb = 1}", "1:6: expected a key, found end of line" },
	{ "a = {b = 1\n}", "1:5: unterminated inline table (it must fit on one line)" },
	{ "a = [,]", "1:6: expected a value, found ','" },
	{ "a = [1 2]", "1:8: expected ',' or ']' in array, found '2'" },
	{ "a = [ 1, 2", "1:5: unterminated array" },
	{ "a = []\n[[a]]", "2:3: cannot append to 'a': it is already a static array" },
	{ "[a]\n[[a]]", "2:3: cannot append to 'a': it is already a table" },
	{ "[[a]]\n[a]", "2:2: cannot define table 'a': it is already an array" },
	{ "a = [{b=1}]\n[a.c]", "2:2: cannot use 'a' as a table: it is already a static array" },
	{ "a = 1\n[a.b]", "2:2: cannot use 'a' as a table: it is already an integer" },
	{ "a = 1\na = 2", "2:1: duplicate key 'a'" },
	{ "a.b = 1\na = 2", "2:1: duplicate key 'a'" },
	{ "a.b.c = 1\na.b = 2", "2:3: duplicate key 'a.b'" },
	{ "a = \"\\uD800\"", "1:6: escape '\\uD800' is not a Unicode scalar value" },
	{ "a = \"\\U00110000\"", "1:6: escape '\\U00110000' is not a Unicode scalar value" },
	{ "a = \"\\u00\"", "1:6: escape '\\u' needs 4 hexadecimal digits" },
	{ "a = \"\\x41\"", "1:6: invalid escape '\\' followed by 'x'" },
	{ "a = \"\\e\"", "1:6: invalid escape '\\' followed by 'e'" },
	{ "a = \"\"\"a\\ b\"\"\"", "1:9: invalid escape '\\' followed by ' '" },
	{ "a = \"\"\"x\"\"\"\"\"\"", "1:14: too many quotes at end of string" },
	{ "a = \"a\nb\"", "1:7: unterminated string (newline before closing quote)" },
	{ "a = \"x", "1:5: unterminated string" },
	{ "a = '''x", "1:5: unterminated string" },
	{ "a = \"c\x01\"", "1:7: control character in string" },
	{ "a = 1 # c\x7f", "1:10: control character in comment" },
	{ "a = \"\xff\"", "1:6: invalid UTF-8" },
	{ "# \xc0\xaf", "1:3: invalid UTF-8" },
	{ "\"\"\" \"\"\" = 1", "1:1: a multi-line string cannot be a key" },
	{ "a = 0x_1", "1:5: invalid integer '0x_1'" },
	{ "a = 0X10", "1:5: invalid integer '0X10'" },
	{ "a = 010", "1:5: leading zero in integer '010'" },
	{ "a = 1__0", "1:5: invalid integer '1__0'" },
	{ "a = 1_", "1:5: invalid integer '1_'" },
	{ "a = +0x1", "1:5: invalid integer '+0x1'" },
	{ "a = 0b102", "1:5: invalid integer '0b102'" },
	{ "a = 9223372036854775808", "1:5: integer '9223372036854775808' out of range" },
	{ "a = -9223372036854775809", "1:5: integer '-9223372036854775809' out of range" },
	{ "a = 1.", "1:5: invalid number '1.'" },
	{ "a = .5", "1:5: expected a value, found '.'" },
	{ "a = 01.5", "1:5: invalid number '01.5'" },
	{ "a = 1e", "1:5: invalid number '1e'" },
	{ "a = 1.2.3", "1:5: invalid number '1.2.3'" },
	{ "a = infinity", "1:5: invalid value 'infinity' (strings need quotes)" },
	{ "a = True", "1:5: invalid value 'True' (strings need quotes)" },
	{ "a = bare", "1:5: invalid value 'bare' (strings need quotes)" },
	{ "a = 07:32", "1:5: invalid date or time '07:32'" },
	{ "a = 1979-02-29", "1:5: invalid date or time '1979-02-29'" },
	{ "a = 1979-05-27T25:00:00", "1:5: invalid date or time '1979-05-27T25:00:00'" },
	{ "a = 1979-05-27T07:32:00+1:00", "1:5: invalid date or time '1979-05-27T07:32:00+1:00'" },
	{ "a = 12:00:00Z", "1:5: invalid date or time '12:00:00Z'" },
	{ "a =", "1:4: expected a value, found end of file" },
	{ "a =\nb = 1", "1:4: expected a value, found end of line" },
	{ "= 1", "1:1: expected a key, found '='" },
	{ "a 1", "1:3: expected '=' after key, found '1'" },
	{ "a = 1 b = 2", "1:7: expected end of line after value, found 'b'" },
	{ "a = \"x\" \"y\"", "1:9: expected end of line after value, found '\"'" },
	{ "[a] x", "1:5: expected end of line after table header, found 'x'" },
	{ "[]", "1:2: expected a key, found ']'" },
	{ "[a", "1:3: expected ']' after table name, found end of file" },
	{ "[[a] ]", "1:4: expected ']]' after table name, found ']'" },
	{ "a = 1\rb = 2", "1:6: carriage return not followed by line feed" },
	{ "\xef\xbb\xbf" "a = 1", "1:1: byte order mark at start of file is not allowed" },
	{ "a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	  "1:133: arrays and inline tables nested too deeply" },
};

static void test_valid(void **state)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		struct toml_doc doc;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf b = AB_BUF_INIT;
		int r = toml_parse(ab_str_from(valid[i].in), "t.toml", &doc, &err);
		if (r < 0) {
			ab_err_format(&err, &b);
			fail_msg("case %zu: %s", i, b.buf);
		}
		toml_format(doc.root, &b);
		if (strcmp(b.buf, valid[i].out))
			fail_msg("case %zu: got %s, want %s", i, b.buf, valid[i].out);
		toml_release(&doc);
		ab_buf_release(&b);
		ab_err_release(&err);
	}
}

static void test_invalid(void **state)
{
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		struct toml_doc doc;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf b = AB_BUF_INIT;
		int r = toml_parse(ab_str_from(invalid[i].in), "t.toml", &doc, &err);
		if (r >= 0)
			fail_msg("case %zu accepted: %s", i, invalid[i].in);
		assert_int_equal(r, -AB_E_PARSE);
		assert_null(doc.root);
		ab_buf_addf(&b, "%u:%u: %s", err.line, err.col, err.msg.buf);
		if (strcmp(b.buf, invalid[i].err))
			fail_msg("case %zu: got '%s', want '%s'", i, b.buf, invalid[i].err);
		assert_string_equal(err.file, "t.toml");
		ab_buf_release(&b);
		ab_err_release(&err);
	}
}

static void test_positions(void **state)
{
	const char *s = "[build-system]\nrequires = [\n  \"a\",\n  'b',\n]\n[x.y]\nk = 1.5\n";
	struct toml_doc doc;
	assert_int_equal(toml_parse(ab_str_from(s), NULL, &doc, NULL), 0);
	const struct toml_value *bs = toml_get(doc.root, "build-system");
	assert_non_null(bs);
	assert_int_equal(bs->line, 1);
	assert_int_equal(bs->col, 1);
	const struct toml_value *req = toml_get(bs, "requires");
	assert_int_equal(req->type, TOML_ARRAY);
	assert_int_equal(req->line, 2);
	assert_int_equal(req->col, 12);
	assert_int_equal(req->u.array.n, 2);
	assert_int_equal(req->u.array.items[1]->line, 4);
	assert_int_equal(req->u.array.items[1]->col, 3);
	assert_int_equal(bs->u.table.kv[0].line, 2);
	assert_int_equal(bs->u.table.kv[0].col, 1);
	const struct toml_value *x = toml_get(doc.root, "x");
	assert_int_equal(x->line, 6);
	assert_int_equal(x->col, 2); /* implicit: at its key */
	const struct toml_value *k = toml_get(toml_get(x, "y"), "k");
	assert_int_equal(k->type, TOML_FLOAT);
	assert_true(k->u.flt == 1.5);
	assert_null(toml_get(doc.root, "nope"));
	assert_null(toml_get(k, "k"));
	assert_null(toml_get(NULL, "k"));
	assert_string_equal(toml_type_name(TOML_DATETIME), "datetime");
	toml_release(&doc);
	toml_release(&doc); /* idempotent */
}

/* Every *.toml in the real sdists parses, and each pyproject.toml also
 * passes pyproject_parse. */
static void test_real_sdists(void **state)
{
	const char *sh = getenv("SHARED");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/pyindex/files", sh && *sh ? sh : "../shared");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	int nsdists = 0, ntoml = 0, npyproject = 0;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 8 || strcmp(de->d_name + n - 7, ".tar.gz"))
			continue;
		nsdists++;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct archive *a = archive_read_new();
		archive_read_support_filter_all(a);
		archive_read_support_format_all(a);
		assert_int_equal(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
		struct archive_entry *e;
		while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
			const char *name = archive_entry_pathname(e);
			size_t nl = strlen(name);
			if (nl < 5 || strcmp(name + nl - 5, ".toml"))
				continue;
			struct ab_buf text = AB_BUF_INIT;
			char buf[16384];
			la_ssize_t got;
			while ((got = archive_read_data(a, buf, sizeof(buf))) > 0)
				ab_buf_add(&text, buf, (size_t)got);
			struct toml_doc doc;
			struct ab_err err = AB_ERR_INIT;
			struct ab_buf msg = AB_BUF_INIT;
			if (toml_parse(ab_buf_str(&text), name, &doc, &err) < 0) {
				ab_err_format(&err, &msg);
				fail_msg("%s: %s", de->d_name, msg.buf);
			}
			toml_release(&doc);
			ntoml++;
			if (nl >= 15 && !strcmp(name + nl - 15, "/pyproject.toml")) {
				struct pyproject pp;
				if (pyproject_parse(ab_buf_str(&text), name, &pp, &err) < 0) {
					ab_err_format(&err, &msg);
					fail_msg("%s: %s", de->d_name, msg.buf);
				}
				assert_non_null(pp.build_backend);
				pyproject_release(&pp);
				npyproject++;
			}
			ab_buf_release(&msg);
			ab_err_release(&err);
			ab_buf_release(&text);
		}
		archive_read_free(a);
	}
	closedir(d);
	assert_int_equal(nsdists, 11);
	assert_true(ntoml >= 1);
	assert_true(npyproject >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_real_sdists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
