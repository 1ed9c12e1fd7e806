/* metadata_test.c - the compat32 header level, the typed fields, strict
 * errors, and every METADATA of the shared test index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/metadata.h"
#include "tests/unit/testutil.h"

/* Headers as "name=value|name=value" (value bytes as they are). */
static char *headers_str(const struct metadata_msg *m)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < m->nheaders; i++) {
		if (i)
			ab_buf_addc(&b, '|');
		ab_buf_addf(&b, "%.*s=%.*s", AB_STR_ARG(m->headers[i].name),
			    AB_STR_ARG(m->headers[i].value));
	}
	return ab_buf_detach(&b);
}

static char *defects_str(const struct metadata_msg *m)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < m->ndefects; i++) {
		if (i)
			ab_buf_addc(&b, ' ');
		ab_buf_adds(&b, metadata_defect_name(m->defects[i].kind));
	}
	return ab_buf_detach(&b);
}

/* Expected outputs were checked against CPython 3.11's email.parser
 * (policy=compat32). body NULL: is_multipart. */
static const struct {
	const char *in, *headers, *body, *defects;
} msg_cases[] = {
	{ "", "", "", "" },
	{ "A: b\n", "A=b", "", "" },
	{ "A:b", "A=b", "", "" },
	{ "A: \t b \t\n", "A=b \t", "", "" },
	{ "A:\n", "A=", "", "" },
	{ "A: 1\r\nB: 2\r\n\r\nbody\r\n", "A=1|B=2", "body\r\n", "" },
	{ "A: 1\rB: 2\r\rbody\r", "A=1|B=2", "body\r", "" },
	/* folding keeps the line break and the indentation */
	{ "A: x\n  y\n\tz\nB: w\n", "A=x\n  y\n\tz|B=w", "", "" },
	{ "A: x\r\n y\r\n", "A=x\r\n y", "", "" },
	{ "A:\n y\n", "A=\n y", "", "" },
	{ "A: x\n \n", "A=x\n ", "", "" },
	/* a line without ':' ends the headers and starts the body */
	{ "A: 1\nno colon\nB: 2\n", "A=1", "no colon\nB: 2\n", "MissingHeaderBodySeparatorDefect" },
	{ "A : 1\nB: 2\n", "", "A : 1\nB: 2\n", "MissingHeaderBodySeparatorDefect" },
	{ "\xc3\xa9: 1\n", "", "\xc3\xa9: 1\n", "MissingHeaderBodySeparatorDefect" },
	{ "\nA: 1\n", "", "A: 1\n", "" },
	{ "A: 1\n\nB: 2\n\n", "A=1", "B: 2\n\n", "" },
	/* continuation before any header; ':' in column 1 */
	{ " x\nA: 1\n", "A=1", "", "FirstHeaderLineIsContinuationDefect" },
	{ "A: 1\n:x\n y\nB: 2\n", "A=1|B=2", "",
	  "InvalidHeaderDefect FirstHeaderLineIsContinuationDefect" },
	/* envelope "From " lines */
	{ "From a b\nA: 1\n", "A=1", "", "" },
	{ "A: 1\nFrom a\nB: 2\n", "A=1|B=2", "", "MisplacedEnvelopeHeaderDefect" },
	{ "A: 1\nFrom a\n\nbody\n", "A=1", "From a\nbody\n", "" },
	{ "A: 1\nFrom a\nxx\n", "A=1", "From a\nxx\n", "MissingHeaderBodySeparatorDefect" },
	{ "From: x\n", "From=x", "", "" },
	/* MIME: only the root's view */
	{ "Content-Type: multipart/mixed; boundary=\"B\"\n\npre\n--B\nX: 1\n\npart\n--B--\nepi\n",
	  "Content-Type=multipart/mixed; boundary=\"B\"", NULL, "" },
	{ "Content-Type: multipart/mixed; boundary=B\n\n--B\nx\n", "Content-Type=multipart/mixed; boundary=B",
	  NULL, "CloseBoundaryNotFoundDefect" },
	{ "Content-Type: multipart/mixed; boundary=B\n\npre\n--B--\nepi\n",
	  "Content-Type=multipart/mixed; boundary=B", "pre\n",
	  "StartBoundaryNotFoundDefect MultipartInvariantViolationDefect" },
	{ "Content-Type: multipart/mixed\n\nbody\n", "Content-Type=multipart/mixed", "body\n",
	  "NoBoundaryInMultipartDefect MultipartInvariantViolationDefect" },
	{ "Content-Type: multipart/mixed; boundary=B\nContent-Transfer-Encoding: base64\n\n--B\n--B--\n",
	  "Content-Type=multipart/mixed; boundary=B|Content-Transfer-Encoding=base64", NULL,
	  "InvalidMultipartContentTransferEncodingDefect CloseBoundaryNotFoundDefect" },
	{ "Content-Type: message/rfc822\n\nA: 1\n", "Content-Type=message/rfc822", NULL, "" },
	{ "Content-Type: multipart/a/b; boundary=B\n\n--B\n", "Content-Type=multipart/a/b; boundary=B",
	  "--B\n", "" },
	{ "Content-Type: text/plain\n\nx", "Content-Type=text/plain", "x", "" },
};

static void msg_table(void **state)
{
	for (size_t i = 0; i < sizeof(msg_cases) / sizeof(msg_cases[0]); i++) {
		struct metadata_msg m;
		metadata_msg_parse(ab_str_from(msg_cases[i].in), &m);
		char *h = headers_str(&m), *d = defects_str(&m);
		if (strcmp(h, msg_cases[i].headers) || strcmp(d, msg_cases[i].defects))
			fail_msg("case %zu: headers '%s' defects '%s'", i, h, d);
		if (msg_cases[i].body) {
			assert_false(m.is_multipart);
			assert_non_null(m.body.ptr);
			char *b = ab_str_dup(m.body);
			if (strcmp(b, msg_cases[i].body))
				fail_msg("case %zu: body '%s'", i, b);
			free(b);
		} else {
			assert_true(m.is_multipart);
			assert_null(m.body.ptr);
		}
		free(h);
		free(d);
		metadata_msg_release(&m);
	}
}

static void msg_positions(void **state)
{
	struct metadata_msg m;
	metadata_msg_parse(ab_str_from("From x\nName:   a\nSummary: s\n  t\nVersion:1\n\nbody\n"), &m);
	assert_int_equal(m.nheaders, 3);
	assert_int_equal(m.headers[0].line, 2);
	assert_int_equal(m.headers[0].col, 9);
	assert_int_equal(m.headers[1].line, 3);
	assert_int_equal(m.headers[2].line, 5);
	assert_int_equal(m.headers[2].col, 9);
	assert_int_equal(m.body_line, 7);
	assert_int_equal(m.unixfrom.len, 6);
	assert_non_null(metadata_msg_get(&m, "VERSION"));
	assert_null(metadata_msg_get(&m, "versio"));
	metadata_msg_release(&m);

	metadata_msg_parse(ab_str_from("A: 1\nB: 2\nbad line\n"), &m);
	assert_int_equal(m.ndefects, 1);
	assert_int_equal(m.defects[0].line, 3);
	assert_int_equal(m.defect_mask, 1u << METADATA_DEFECT_MISSING_SEPARATOR);
	metadata_msg_release(&m);
}

static void ustrip(void **state)
{
	struct ab_str s = metadata_ustrip(ab_str_from("\xc2\xa0 \x1c" "a b\xe3\x80\x80\t\xe2\x80\xa8"));
	assert_int_equal(s.len, 3);
	assert_memory_equal(s.ptr, "a b", 3);
	s = metadata_ustrip(ab_str_from("\xe2\x80\x8b" "a")); /* U+200B is not white space */
	assert_int_equal(s.len, 4);
	s = metadata_ustrip(ab_str_from(" \xc2\xa0"));
	assert_int_equal(s.len, 0);
}

static const char everything[] =
	"Metadata-Version: 2.4\n"
	"Name:  My_Pkg.Name \n"
	"Version: 1.0.POST1\n"
	"Summary: a summary\n"
	"Description: from the header\n"
	"Requires-Python: >=3.8, <4\n"
	"Dynamic: Classifier\n"
	"Classifier: A :: B\n"
	"classifier: C :: D\n"
	"License-Expression: MIT\n"
	"License-File: LICENSE\n"
	"Provides-Extra: Test_Extra\n"
	"Provides-Extra: bad extra \n"
	"Requires-Dist: requests (>=2.0) ; extra == 'Test_Extra'\n"
	"REQUIRES-DIST: idna\n"
	"Provides-Dist: Other (3.4)\n"
	"Obsoletes-Dist: Gorgon\n"
	"Requires-External: libpng (>=1.5)\n"
	"Project-URL: Home, https://example.com\n"
	"X-Unknown: ignored\n"
	"\n"
	"The body.\n";

static void typed_fields(void **state)
{
	struct metadata md;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(metadata_parse(ab_str_from(everything), METADATA_STRICT, "METADATA", &md,
					&err),
			 0);
	assert_int_equal(md.mv_major, 2);
	assert_int_equal(md.mv_minor, 4);
	assert_int_equal(md.name.len, 11);
	assert_memory_equal(md.name.ptr, "My_Pkg.Name", 11);
	assert_string_equal(md.name_canonical, "my-pkg-name");
	assert_non_null(md.version);
	assert_string_equal(md.version->str, "1.0.post1");
	assert_true(md.requires_python_valid);
	assert_int_equal(md.requires_python.n, 2);
	assert_int_equal(md.classifier.n, 2);
	assert_memory_equal(md.classifier.items[1].ptr, "C :: D", 6);
	assert_int_equal(md.dynamic.n, 1);
	assert_int_equal(md.license_file.n, 1);
	assert_int_equal(md.license_expression.len, 3);
	assert_int_equal(md.project_url.n, 1);
	assert_int_equal(md.requires_external.n, 1);
	/* the body wins over the Description header */
	assert_int_equal(md.description.len, 10);
	assert_memory_equal(md.description.ptr, "The body.\n", 10);
	assert_int_equal(md.nprovides_extra, 2);
	assert_string_equal(md.provides_extra[0].canonical, "test-extra");
	assert_true(md.provides_extra[0].valid);
	assert_string_equal(md.provides_extra[1].canonical, "bad extra ");
	assert_false(md.provides_extra[1].valid);
	assert_int_equal(md.requires_dist.n, 2);
	assert_true(md.requires_dist.items[0].valid);
	assert_string_equal(md.requires_dist.items[0].req.canonical, "requests");
	assert_int_equal(md.requires_dist.items[0].line, 14);
	assert_string_equal(md.requires_dist.items[1].req.name, "idna");
	/* PEP 345's "Other (3.4)" is not PEP 508: kept, never fatal */
	assert_int_equal(md.provides_dist.n, 1);
	assert_false(md.provides_dist.items[0].valid);
	assert_true(md.obsoletes_dist.items[0].valid);
	metadata_release(&md);
	ab_err_release(&err);
}

static void old_versions(void **state)
{
	struct metadata md;
	assert_int_equal(metadata_parse(ab_str_from("Metadata-Version: 1.0\nName: a\nVersion: 1\n"
						    "Description: line one\n        line two\n"),
					METADATA_STRICT, NULL, &md, NULL),
			 0);
	assert_int_equal(md.mv_major, 1);
	assert_int_equal(md.description.len, 25);
	assert_false(md.requires_python_valid);
	assert_null(md.requires_python_raw.ptr);
	assert_int_equal(md.requires_dist.n, 0);
	metadata_release(&md);

	/* Requires/Provides/Obsoletes of 1.1 stay raw */
	assert_int_equal(metadata_parse(ab_str_from("Metadata-Version: 1.1\nName: a\nVersion: 1\n"
						    "Requires: os.path\nProvides: a (1.0)\n"
						    "Obsoletes: b\n"),
					METADATA_STRICT, NULL, &md, NULL),
			 0);
	assert_int_equal(md.requires.n, 1);
	assert_int_equal(md.provides.n, 1);
	assert_int_equal(md.obsoletes.n, 1);
	metadata_release(&md);
}

static void lenient(void **state)
{
	struct metadata md;
	struct ab_err err = AB_ERR_INIT;
	const char *t = "Name: a b\nName: c\nVersion: bogus\nRequires-Python: >=>3\n"
			"Requires-Dist: not valid\nRequires-Dist: ok\n";
	assert_int_equal(metadata_parse(ab_str_from(t), 0, NULL, &md, &err), 0);
	assert_int_equal(err.code, 0);
	assert_string_equal(md.name_canonical, "a b");
	assert_null(md.version);
	assert_int_equal(md.version_raw.len, 5);
	assert_false(md.requires_python_valid);
	assert_int_equal(md.requires_python_raw.len, 4);
	assert_int_equal(md.requires_dist.n, 2);
	assert_false(md.requires_dist.items[0].valid);
	assert_true(md.requires_dist.items[1].valid);
	metadata_release(&md);

	assert_int_equal(metadata_parse(ab_str_from("Requires-Dist: bad (\n"), METADATA_SKIP_REQS,
					NULL, &md, &err),
			 0);
	assert_int_equal(md.requires_dist.n, 1);
	assert_false(md.requires_dist.items[0].valid);
	assert_null(md.name.ptr);
	assert_null(md.name_canonical);
	metadata_release(&md);
}

static const struct {
	const char *in;
	unsigned line, col;
	const char *msg; /* prefix of the message */
} strict_errors[] = {
	{ "Name: a\nVersion: 1\n", 0, 0, "missing 'Metadata-Version' field" },
	{ "Metadata-Version: 2.1\nVersion: 1\n", 0, 0, "missing 'Name' field" },
	{ "Metadata-Version: 2.1\nName: a\n", 0, 0, "missing 'Version' field" },
	{ "Metadata-Version: 3.0\nName: a\nVersion: 1\n", 1, 19, "unsupported 'Metadata-Version' '3.0'" },
	{ "Metadata-Version: two\nName: a\nVersion: 1\n", 1, 19, "invalid 'Metadata-Version' 'two'" },
	{ "Metadata-Version: 2.1\nName: -a\nVersion: 1\n", 2, 7, "invalid 'Name' '-a'" },
	{ "Metadata-Version: 2.1\nName: a\nName: b\nVersion: 1\n", 3, 1,
	  "duplicate 'Name' field (first at line 2)" },
	{ "Metadata-Version: 2.1\nName: a\nVersion: 1\nversion: 2\n", 4, 1,
	  "duplicate 'Version' field (first at line 3)" },
	{ "Metadata-Version: 2.1\nName: a\nVersion: 1.0-x\n", 3, 0, "invalid 'Version': " },
	{ "Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Python: >=3.8, =<4\n", 4, 0,
	  "invalid 'Requires-Python': " },
	{ "Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: foo (>=1\n", 4, 0,
	  "invalid 'Requires-Dist': " },
	/* a folded value: the error is on its second line */
	{ "Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: foo\n  >=1.0\n", 0, 0,
	  "invalid 'Requires-Dist': " },
};

static void strict(void **state)
{
	for (size_t i = 0; i < sizeof(strict_errors) / sizeof(strict_errors[0]); i++) {
		struct metadata md;
		struct ab_err err = AB_ERR_INIT;
		int r = metadata_parse(ab_str_from(strict_errors[i].in),
				       METADATA_STRICT | METADATA_STRICT_REQS, "PKG-INFO", &md, &err);
		if (r != -AB_E_PARSE)
			fail_msg("case %zu: returned %d", i, r);
		assert_int_equal(err.code, AB_E_PARSE);
		assert_string_equal(err.file, "PKG-INFO");
		if (strncmp(err.msg.buf, strict_errors[i].msg, strlen(strict_errors[i].msg)))
			fail_msg("case %zu: message '%s'", i, err.msg.buf);
		if (strict_errors[i].line && (err.line != strict_errors[i].line))
			fail_msg("case %zu: line %u", i, err.line);
		if (strict_errors[i].col && err.col != strict_errors[i].col)
			fail_msg("case %zu: col %u", i, err.col);
		/* released on failure */
		assert_null(md.text);
		assert_int_equal(md.msg.nheaders, 0);
		ab_err_release(&err);
	}
}

static void strict_positions(void **state)
{
	static const struct {
		const char *in;
		unsigned line, col;
	} cases[] = {
		/* the col points into the value */
		{ "Requires-Python: >=3.8, =<4\n", 4, 25 },
		/* a folded value: the error sits on its continuation line */
		{ "Requires-Python: >=3.8,\r\n   =<4\r\n", 5, 4 },
		{ "Requires-Python: >=3.8,\n\t=<4\n", 5, 2 },
		/* the line break itself is the unexpected character */
		{ "Requires-Dist: foo\n  ~~1.0\n", 4, 19 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct metadata md;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf t = AB_BUF_INIT;
		ab_buf_addf(&t, "Metadata-Version: 2.1\nName: a\nVersion: 1\n%s", cases[i].in);
		assert_int_equal(metadata_parse(ab_buf_str(&t), METADATA_STRICT | METADATA_STRICT_REQS,
						"M", &md, &err),
				 -AB_E_PARSE);
		if (err.line != cases[i].line || err.col != cases[i].col)
			fail_msg("case %zu: %u:%u", i, err.line, err.col);
		ab_err_release(&err);
		ab_buf_release(&t);
	}
}

/* Without METADATA_STRICT_REQS an invalid Requires-Dist is kept, and its
 * located error is there on demand. */
static void req_error_on_demand(void **state)
{
	struct metadata md;
	struct ab_err err = AB_ERR_INIT;
	const char *t = "Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: ok\n"
			"Requires-Dist:  sys-platform (==\"darwin\") ; extra == 'objc'\n";
	assert_int_equal(metadata_parse(ab_str_from(t), METADATA_STRICT, "M", &md, &err), 0);
	assert_int_equal(md.requires_dist.n, 2);
	assert_int_equal(metadata_req_error(&md, &md.requires_dist.items[0], "M", &err), 0);
	assert_int_equal(err.code, 0);
	assert_false(md.requires_dist.items[1].valid);
	assert_int_equal(metadata_req_error(&md, &md.requires_dist.items[1], "M", &err), -AB_E_PARSE);
	assert_string_equal(err.file, "M");
	assert_int_equal(err.line, 5);
	assert_in_range(err.col, 16, 45);
	assert_non_null(strstr(err.msg.buf, "invalid 'Requires-Dist': "));
	ab_err_release(&err);
	metadata_release(&md);
}

/* Every METADATA of the shared test index parses strictly. */
static void real_files(void **state)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/pyindex/files", tu_shared());
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open '%s': the shared test data is missing (set SHARED)", dir);
	size_t n = 0, ninvalid = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 13 || strcmp(de->d_name + l - 13, ".whl.metadata"))
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		struct ab_buf b = AB_BUF_INIT;
		char chunk[65536];
		size_t k;
		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
			ab_buf_add(&b, chunk, k);
		fclose(f);
		struct metadata md;
		struct ab_err err = AB_ERR_INIT;
		if (metadata_parse(ab_buf_str(&b), METADATA_STRICT, de->d_name, &md, &err) < 0) {
			struct ab_buf msg = AB_BUF_INIT;
			ab_err_format(&err, &msg);
			closedir(d);
			fail_msg("%s", msg.buf);
		}
		assert_int_equal(md.msg.ndefects, 0);
		assert_non_null(md.version);
		assert_non_null(md.name_canonical);
		/* the file name starts with the project name */
		assert_true(md.name.len > 0);
		/* packaging 26 rejects a few legacy Requires-Dist (send2trash's
		 * 'sys-platform (=="darwin")'); they must locate their error */
		for (size_t i = 0; i < md.requires_dist.n; i++) {
			if (md.requires_dist.items[i].valid)
				continue;
			assert_int_equal(metadata_req_error(&md, &md.requires_dist.items[i],
							    de->d_name, &err),
					 -AB_E_PARSE);
			assert_int_equal(err.line, md.requires_dist.items[i].line);
			ab_err_release(&err);
			ninvalid++;
		}
		metadata_release(&md);
		ab_buf_release(&b);
		n++;
	}
	closedir(d);
	assert_in_range(ninvalid, 0, 10);
	if (n < 100)
		fail_msg("only %zu .whl.metadata files in '%s'", n, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(msg_table),
		cmocka_unit_test(msg_positions),
		cmocka_unit_test(ustrip),
		cmocka_unit_test(typed_fields),
		cmocka_unit_test(old_versions),
		cmocka_unit_test(lenient),
		cmocka_unit_test(strict),
		cmocka_unit_test(strict_positions),
		cmocka_unit_test(req_error_on_demand),
		cmocka_unit_test(real_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
