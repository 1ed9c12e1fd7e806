/* sdist_test.c - unpacking the real sdists of ../shared/pyindex, archives
 * built here with hostile entries, and the PEP 643 static-metadata rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/sdist.h"

static char tmp[256];

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/sdist_test.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	return sdist_remove_tree(tmp, NULL);
}

static const char *shared(void)
{
	const char *s = getenv("SHARED");
	return s && *s ? s : "../shared";
}

static void test_real_sdists(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/pyindex/SDISTS.tsv", shared());
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[1024];
	int n = 0;
	assert_non_null(fgets(line, sizeof(line), f)); /* header */
	while (fgets(line, sizeof(line), f)) {
		/* project version sdist sha256 origin builds_with_pip c_extension top_directory */
		char *col[8];
		char *save = NULL, *s = line;
		int k = 0;
		for (char *t; k < 8 && (t = strtok_r(s, "\t\n", &save)); s = NULL)
			col[k++] = t;
		assert_int_equal(k, 8);
		char archive[4096], dest[512];
		snprintf(archive, sizeof(archive), "%s/pyindex/files/%s", shared(), col[2]);
		snprintf(dest, sizeof(dest), "%s/%s", tmp, col[0]);
		struct sdist sd;
		struct ab_err err = AB_ERR_INIT;
		if (sdist_unpack(archive, dest, &sd, &err) < 0) {
			struct ab_buf b = AB_BUF_INIT;
			ab_err_format(&err, &b);
			fail_msg("%s: %s", col[2], b.buf);
		}
		char top[256];
		snprintf(top, sizeof(top), "%s", col[7]);
		top[strcspn(top, "/")] = 0;
		assert_string_equal(sd.top, top);
		assert_true(sd.has_pkg_info);
		assert_string_equal(sd.md.name_canonical, col[0]);
		assert_true(ab_str_eq_cstr(sd.md.version_raw, col[1]));
		/* all are Metadata-Version 2.1 or older: the backend must be asked */
		assert_false(sd.static_metadata);
		char setup_py[1024];
		snprintf(setup_py, sizeof(setup_py), "%s/setup.py", sd.root);
		assert_int_equal(access(setup_py, R_OK), 0);
		sdist_release(&sd);
		ab_err_release(&err);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 11);
}

/* An entry of a test archive: type 'f' file, 'd' dir, 'l' symlink, 'h'
 * hard link, 'c' character device; `data` is the contents or link target. */
struct ent {
	char type;
	const char *name, *data;
};

static void write_archive(const char *path, bool zip, const struct ent *ents, size_t n)
{
	struct archive *a = archive_write_new();
	if (zip) {
		archive_write_set_format_zip(a);
	} else {
		archive_write_set_format_pax_restricted(a);
		archive_write_add_filter_gzip(a);
	}
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, ents[i].name);
		archive_entry_set_mtime(e, 1700000000, 0);
		switch (ents[i].type) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)strlen(ents[i].data));
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, ents[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, ents[i].data);
			break;
		case 'c':
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdev(e, 0x0103);
			break;
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (ents[i].type == 'f')
			archive_write_data(a, ents[i].data, strlen(ents[i].data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

#define PKG_INFO_22 \
	"Metadata-Version: 2.2\nName: demo\nVersion: 1.0\nRequires-Dist: six\nDynamic: Summary\n"

static void test_good_archives(void **state)
{
	const struct ent good[] = {
		{ 'd', "demo-1.0/", NULL },
		{ 'f', "demo-1.0/PKG-INFO", PKG_INFO_22 },
		{ 'f', "demo-1.0/src/demo/__init__.py", "x = 1\n" },
		{ 'l', "demo-1.0/docs/CHANGES", "../src/demo/__init__.py" },
		{ 'h', "demo-1.0/copy.py", "demo-1.0/src/demo/__init__.py" },
	};
	for (int zip = 0; zip < 2; zip++) {
		char arch[512], dest[512];
		snprintf(arch, sizeof(arch), "%s/good%d", tmp, zip);
		snprintf(dest, sizeof(dest), "%s/good%d.d", tmp, zip);
		write_archive(arch, zip, good, zip ? 3 : 5);
		struct sdist sd;
		struct ab_err err = AB_ERR_INIT;
		assert_int_equal(sdist_unpack(arch, dest, &sd, &err), 0);
		assert_string_equal(sd.top, "demo-1.0");
		assert_true(sd.has_pkg_info);
		assert_true(sd.static_metadata);
		char p[1024];
		snprintf(p, sizeof(p), "%s/src/demo/__init__.py", sd.root);
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0644);
		assert_int_equal(st.st_mtime, 1700000000);
		if (!zip) {
			snprintf(p, sizeof(p), "%s/docs/CHANGES", sd.root);
			assert_int_equal(stat(p, &st), 0);
			snprintf(p, sizeof(p), "%s/copy.py", sd.root);
			assert_int_equal(stat(p, &st), 0);
			assert_int_equal(st.st_nlink, 2);
		}
		sdist_release(&sd);
		/* dest must not exist */
		assert_int_equal(sdist_unpack(arch, dest, &sd, &err), -AB_E_IO);
		ab_err_release(&err);
	}
	/* no single top directory: the root is dest itself */
	const struct ent flat[] = { { 'f', "setup.py", "" }, { 'f', "PKG-INFO", "junk" } };
	char arch[512], dest[512];
	snprintf(arch, sizeof(arch), "%s/flat", tmp);
	snprintf(dest, sizeof(dest), "%s/flat.d", tmp);
	write_archive(arch, false, flat, 2);
	struct sdist sd;
	assert_int_equal(sdist_unpack(arch, dest, &sd, NULL), 0);
	assert_null(sd.top);
	assert_string_equal(sd.root, dest);
	assert_false(sd.static_metadata);
	sdist_release(&sd);
}

struct bad {
	struct ent ents[3];
	size_t n;
	int code;
	const char *msg;
};

static const struct bad bad[] = {
	{ { { 'f', "/etc/evil", "x" } }, 1, AB_E_INVALID, "refusing entry '/etc/evil': absolute path" },
	{ { { 'f', "p-1/../../evil", "x" } }, 1, AB_E_INVALID,
	  "refusing entry 'p-1/../../evil': '..' in path" },
	{ { { 'l', "p-1/l", "/etc/passwd" } }, 1, AB_E_INVALID,
	  "refusing entry 'p-1/l': symlink to an absolute path" },
	{ { { 'l', "p-1/l", "../../x" } }, 1, AB_E_INVALID,
	  "refusing entry 'p-1/l': symlink out of the tree" },
	{ { { 'l', "p-1/a", "." }, { 'l', "p-1/b", "a/../../x" } }, 2, AB_E_INVALID,
	  "refusing entry 'p-1/b': symlink through another symlink" },
	{ { { 'l', "p-1/a", "." }, { 'l', "p-1/b", "a/x" } }, 2, AB_E_INVALID,
	  "refusing entry 'p-1/b': symlink through another symlink" },
	{ { { 'l', "p-1/a", "." }, { 'f', "p-1/a/x", "x" } }, 2, AB_E_INVALID,
	  "refusing entry 'p-1/a': written twice" },
	{ { { 'h', "p-1/h", "/etc/passwd" } }, 1, AB_E_INVALID,
	  "refusing entry '/etc/passwd': absolute path" },
	{ { { 'h', "p-1/h", "p-1/missing" } }, 1, AB_E_INVALID,
	  "refusing entry 'p-1/h': hard link to something that is not a file unpacked before it" },
	{ { { 'c', "p-1/dev", NULL } }, 1, AB_E_UNSUPPORTED,
	  "refusing entry 'p-1/dev': device, FIFO or socket" },
	{ { { 'f', "p-1/x", "a" }, { 'f', "p-1/x", "b" } }, 2, AB_E_INVALID,
	  "refusing entry 'p-1/x': written twice" },
	{ { { 'f', "p-1/x", "a" }, { 'f', "p-1/x/y", "b" } }, 2, AB_E_INVALID,
	  "refusing entry 'p-1/x/y': a directory and a file share its path" },
};

static void test_hostile_archives(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char arch[512], dest[512];
		snprintf(arch, sizeof(arch), "%s/bad%zu.tar.gz", tmp, i);
		snprintf(dest, sizeof(dest), "%s/bad%zu.d", tmp, i);
		write_archive(arch, false, bad[i].ents, bad[i].n);
		struct sdist sd;
		struct ab_err err = AB_ERR_INIT;
		int r = sdist_unpack(arch, dest, &sd, &err);
		if (r != -bad[i].code || strcmp(err.msg.buf, bad[i].msg))
			fail_msg("case %zu: %d '%s'", i, r, err.msg.buf);
		assert_string_equal(err.file, arch);
		/* nothing left behind */
		assert_int_equal(access(dest, F_OK), -1);
		ab_err_release(&err);
	}
	/* not an archive */
	char arch[512], dest[512];
	snprintf(arch, sizeof(arch), "%s/junk.tar.gz", tmp);
	snprintf(dest, sizeof(dest), "%s/junk.d", tmp);
	FILE *f = fopen(arch, "w");
	fputs("this is not an archive at all, not even close\n", f);
	fclose(f);
	struct sdist sd;
	struct ab_err err = AB_ERR_INIT;
	assert_true(sdist_unpack(arch, dest, &sd, &err) < 0);
	assert_int_equal(access(dest, F_OK), -1);
	ab_err_release(&err);
}

static void test_static(void **state)
{
	static const struct {
		const char *text;
		bool is_static;
	} cases[] = {
		{ "Metadata-Version: 2.2\nName: a\nVersion: 1\n", true },
		{ "Metadata-Version: 2.4\nName: a\nVersion: 1\nDynamic: License\n", true },
		{ "Metadata-Version: 2.1\nName: a\nVersion: 1\n", false },
		{ "Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: Requires-Dist\n", false },
		{ "Metadata-Version: 2.3\nName: a\nVersion: 1\nDynamic: requires-python\n", false },
		{ "Metadata-Version: 2.2\nName: a\n", false },
		{ "Metadata-Version: 2.2\nName: a\nVersion: x y\n", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct metadata md;
		assert_int_equal(metadata_parse(ab_str_from(cases[i].text), 0, NULL, &md, NULL), 0);
		if (sdist_metadata_is_static(&md) != cases[i].is_static)
			fail_msg("case %zu", i);
		metadata_release(&md);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_sdists),
		cmocka_unit_test(test_good_archives),
		cmocka_unit_test(test_hostile_archives),
		cmocka_unit_test(test_static),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
