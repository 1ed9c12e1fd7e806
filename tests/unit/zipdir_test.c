/* zipdir_test.c - EOCD and central directory reading, and METADATA pulled
 * out of every wheel of ../shared/pyindex equal to its PEP 658 sidecar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/zipdir.h"
#include "tests/unit/testutil.h"

/* What the index client does: the last 64 KiB, then the directory, then
 * the member, each a slice of the file (a range request). */
static int metadata_of(struct ab_str file, struct ab_buf *out, struct ab_err *err)
{
	struct zipdir z = ZIPDIR_INIT;
	size_t tl = file.len < 65536 ? file.len : 65536;
	int r = zipdir_find_eocd(&z, ab_str_make(file.ptr + file.len - tl, tl), file.len, err);
	if (r < 0)
		goto out;
	r = zipdir_parse(&z, ab_str_make(file.ptr + z.cd_offset, z.cd_size), err);
	if (r < 0)
		goto out;
	const struct zipdir_entry *e = zipdir_wheel_metadata(&z);
	if (!e) {
		r = ab_err_set(err, AB_E_PARSE, "no METADATA");
		goto out;
	}
	uint64_t end = zipdir_entry_end(&z, e);
	r = zipdir_extract(ab_str_make(file.ptr + e->local_offset, end - e->local_offset), e, 0,
			   out, err);
out:
	zipdir_release(&z);
	return r;
}

static void every_wheel(void **state)
{
	char dir[4096], p[8192];
	snprintf(dir, sizeof(dir), "%.4000s/pyindex/files", tu_shared());
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 4, ".whl"))
			continue;
		struct ab_buf whl = AB_BUF_INIT, side = AB_BUF_INIT, md = AB_BUF_INIT;
		struct ab_err err = AB_ERR_INIT;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		assert_int_equal(tu_read_file(p, &whl), 0);
		snprintf(p, sizeof(p), "%s/%s.metadata", dir, e->d_name);
		assert_int_equal(tu_read_file(p, &side), 0);
		if (metadata_of(ab_buf_str(&whl), &md, &err) < 0)
			fail_msg("%s: %s", e->d_name, err.msg.buf);
		assert_int_equal(md.len, side.len);
		assert_memory_equal(md.buf, side.buf, md.len);
		ab_buf_release(&whl);
		ab_buf_release(&side);
		ab_buf_release(&md);
		ab_err_release(&err);
		n++;
	}
	closedir(d);
	assert_true(n >= 189);
}

static void errors(void **state)
{
	struct zipdir z = ZIPDIR_INIT;
	struct ab_err err = AB_ERR_INIT;
	static const char junk[64] = "not a zip at all, not a zip at all, not a zip at all....";
	assert_int_equal(zipdir_find_eocd(&z, ab_str_make(junk, 64), 64, &err), -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "not a zip file: no end of central directory");
	ab_err_clear(&err);
	/* an EOCD pointing past the end */
	unsigned char eocd[22] = { 0x50, 0x4b, 5, 6 };
	eocd[12] = 10;	/* cd size */
	eocd[16] = 100; /* cd offset */
	assert_int_equal(zipdir_find_eocd(&z, ab_str_make((char *)eocd, 22), 22, &err),
			 -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "central directory outside the file");
	ab_err_clear(&err);
	/* a truncated central directory record */
	unsigned char cen[30] = { 0x50, 0x4b, 1, 2 };
	assert_int_equal(zipdir_parse(&z, ab_str_make((char *)cen, 30), &err), -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "truncated central directory record");
	zipdir_release(&z);
	/* extraction refuses encrypted and unknown methods */
	unsigned char loc[40] = { 0x50, 0x4b, 3, 4 };
	struct zipdir_entry e = { "x.dist-info/METADATA", 0, 10, 10, 0, 8, 1 };
	struct ab_buf out = AB_BUF_INIT;
	ab_err_clear(&err);
	assert_int_equal(zipdir_extract(ab_str_make((char *)loc, 40), &e, 0, &out, &err),
			 -AB_E_UNSUPPORTED);
	assert_string_equal(err.msg.buf, "'x.dist-info/METADATA' is encrypted");
	e.flags = 0;
	e.method = 14;
	ab_err_clear(&err);
	assert_int_equal(zipdir_extract(ab_str_make((char *)loc, 40), &e, 0, &out, &err),
			 -AB_E_UNSUPPORTED);
	assert_string_equal(err.msg.buf, "'x.dist-info/METADATA': compression method 14");
	e.method = 8;
	e.csize = 100;
	ab_err_clear(&err);
	assert_int_equal(zipdir_extract(ab_str_make((char *)loc, 40), &e, 0, &out, &err),
			 -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "'x.dist-info/METADATA' is truncated");
	ab_buf_release(&out);
	ab_err_release(&err);
}

static void two_dist_infos(void **state)
{
	struct zipdir z = ZIPDIR_INIT;
	struct zipdir_entry es[3] = {
		{ "a-1.dist-info/METADATA", 0, 0, 0, 0, 0, 0 },
		{ "a-1.dist-info/sub/METADATA", 0, 0, 0, 0, 0, 0 },
		{ "b-1.dist-info/METADATA", 0, 0, 0, 0, 0, 0 },
	};
	z.entries = es;
	z.n = 2;
	assert_ptr_equal(zipdir_wheel_metadata(&z), &es[0]);
	z.n = 3;
	assert_null(zipdir_wheel_metadata(&z));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_wheel),
		cmocka_unit_test(errors),
		cmocka_unit_test(two_dist_infos),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
