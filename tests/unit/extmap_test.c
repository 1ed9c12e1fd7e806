/* extmap_test.c - the external-dependency mapping table: the built-in table
 * against ../shared/pyindex/NEEDED.txt, lookups per target, the table's
 * errors, overrides, and clauses checked with the real dpkg and librpm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <rpm/rpmds.h>
#include <rpm/rpmtag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/appconfig.h"
#include "formats/extmap.h"
#include "tests/unit/testutil.h"

static struct extmap_target tgt(const char *name)
{
	struct extmap_target t;
	struct ab_err err = AB_ERR_INIT;
	if (extmap_target_parse(name, &t, &err) < 0)
		fail_msg("%s", err.msg.buf);
	ab_err_release(&err);
	return t;
}

static void builtin(void **state)
{
	const struct extmap *m = extmap_builtin();
	struct ab_err err = AB_ERR_INIT;
	struct extmap own = EXTMAP_INIT;
	if (extmap_load_builtin(&own, &err) < 0)
		fail_msg("%s:%u:%u: %s", err.file, err.line, err.col, err.msg.buf);
	assert_non_null(m);
	assert_ptr_equal(m, extmap_builtin());
	assert_int_equal(own.n, m->n);
	assert_true(m->n > 100);
	/* every primary row has a package in both families */
	static const char *const fams[] = { "debian", "ubuntu", "fedora", "rhel" };
	for (size_t i = 0; i < m->n; i++) {
		if (m->rows[i].name)
			continue;
		for (size_t f = 0; f < AB_ARRAY_SIZE(fams); f++) {
			struct extmap_target t = tgt(fams[f]);
			if (!extmap_package(m, m->rows[i].key, &t, NULL))
				fail_msg("'%s' has no %s package", m->rows[i].key, fams[f]);
		}
	}
	extmap_release(&own);
	ab_err_release(&err);
}

/* Every soname -> Debian package pair of NEEDED.txt (the shlibs files'
 * answers) that is not the C library's or another wheel's. */
static void needed_txt(void **state)
{
	const struct extmap *m = extmap_builtin();
	struct extmap_target deb = tgt("debian"), fed = tgt("fedora");
	char path[4096];
	snprintf(path, sizeof(path), "%s/pyindex/NEEDED.txt", tu_shared());
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[8192];
	size_t pairs = 0, fedora = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = 0;
		char *fields[4] = { 0 }, *save = NULL, *t = strtok_r(line, "\t", &save);
		for (size_t k = 0; t && k < 4; k++, t = strtok_r(NULL, "\t", &save))
			fields[k] = t;
		if (!fields[3] || !strcmp(fields[1], "*"))
			continue;
		char *save2 = NULL;
		for (char *pr = strtok_r(fields[3], ",", &save2); pr;
		     pr = strtok_r(NULL, ",", &save2)) {
			char *eq = strchr(pr, '=');
			assert_non_null(eq);
			*eq = 0;
			const char *pkg = eq + 1, *name = NULL;
			if (!strcmp(pkg, "?") || !strcmp(pkg, "libc6") || !strcmp(pkg, "libgcc-s1"))
				continue;
			pairs++;
			const char *got = extmap_package(m, pr, &deb, &name);
			if (!got || strcmp(got, pkg))
				fail_msg("%s: table says %s, NEEDED.txt %s", pr,
					 got ? got : "nothing", pkg);
			/* the soname's name is a primary row */
			const struct extmap_row *p = extmap_find(m, name);
			assert_non_null(p);
			assert_null(p->name);
			/* sonames of Debian-only builds (libldap-2.5.so.0) have none */
			if (extmap_package(m, pr, &fed, NULL))
				fedora++;
		}
	}
	fclose(f);
	assert_true(pairs > 30);
	assert_true(fedora > pairs * 9 / 10);
}

static void lookups(void **state)
{
	static const struct {
		const char *key, *target, *want, *name;
	} cases[] = {
		{ "libpq", "debian", "libpq5", "libpq" },
		{ "libpq", "ubuntu", "libpq5", "libpq" },
		{ "libpq", "fedora", "libpq", "libpq" },
		{ "libpq", "rocky", "libpq", "libpq" },
		{ "LibPQ", "debian", "libpq5", "libpq" },
		{ "psql", "debian", "postgresql-client", "postgresql-client" },
		{ "psql", "fedora", "postgresql", "postgresql-client" },
		{ "libjpeg", "ubuntu", "libjpeg-turbo8", "libjpeg" },
		{ "libjpeg", "debian", "libjpeg62-turbo", "libjpeg" },
		{ "libjpeg", "alma", "libjpeg-turbo", "libjpeg" },
		{ "libjpeg.so.62", "ubuntu", "libjpeg62", "libjpeg" },
		{ "libjpeg.so.8", "debian", NULL, "libjpeg" },
		{ "libjpeg.so.8", "ubuntu", "libjpeg-turbo8", "libjpeg" },
		{ "libcrypto.so.1.1", "rhel", "compat-openssl11", "openssl" },
		{ "libcrypto.so.1.1", "fedora", "openssl1.1", "openssl" },
		{ "libssl.so.3", "centos", "openssl-libs", "openssl" },
		{ "libssl", "debian", "libssl3", "openssl" },
		{ "openssl", "fedora", "openssl-libs", "openssl" },
		{ "libffi.so.7", "fedora", NULL, "libffi" },
		{ "libffi.so.7", "ubuntu", "libffi7", "libffi" },
		{ "libtiff.so.5", "rhel", "libtiff", "libtiff" },
		{ "libtiff.so.6", "rhel", NULL, "libtiff" },
		{ "libtiff", "ubuntu", "libtiff5", "libtiff" },
		{ "imagemagick", "fedora", "ImageMagick", "imagemagick" },
		{ "libmagic.so.1", "fedora", "file-libs", "libmagic" },
		{ "libmemcached", "rhel", "libmemcached-awesome", "libmemcached" },
		{ "redis", "debian", "redis-server", "redis" },
		/* Debian and RPM package names as keys (examples/flask-hello) */
		{ "libc6", "fedora", "glibc", "glibc" },
		{ "libc6", "debian", "libc6", "glibc" },
		{ "python3.11", "rhel", "python3.11", "python3.11" },
		{ "libpq5", "fedora", "libpq", "libpq" },
		{ "openssl-libs", "ubuntu", "libssl3", "openssl" },
		{ "nope", "debian", NULL, NULL },
	};
	const struct extmap *m = extmap_builtin();
	for (size_t i = 0; i < AB_ARRAY_SIZE(cases); i++) {
		struct extmap_target t = tgt(cases[i].target);
		const char *name = "x";
		const char *got = extmap_package(m, cases[i].key, &t, &name);
		if ((got == NULL) != (cases[i].want == NULL) || (got && strcmp(got, cases[i].want)))
			fail_msg("%s on %s: got %s, want %s", cases[i].key, cases[i].target,
				 got ? got : "NULL", cases[i].want ? cases[i].want : "NULL");
		if ((name == NULL) != (cases[i].name == NULL) ||
		    (name && strcmp(name, cases[i].name)))
			fail_msg("%s: name %s", cases[i].key, name ? name : "NULL");
	}
}

static void targets(void **state)
{
	struct extmap_target t;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(extmap_target_parse("rocky", &t, &err), 0);
	assert_int_equal(t.family, OSVER_RPM);
	assert_int_equal(t.col, EXTMAP_RHEL);
	assert_int_equal(t.base, EXTMAP_RPM);
	assert_int_equal(extmap_target_parse("ubuntu", &t, &err), 0);
	assert_int_equal(t.family, OSVER_DEB);
	assert_int_equal(extmap_target_parse("fedorra", &t, &err), -AB_E_USAGE);
	assert_string_equal(err.msg.buf, "unknown target 'fedorra'");
	assert_string_equal(err.notes.buf, "did you mean 'fedora'?");
	ab_err_clear(&err);
	assert_int_equal(extmap_target_parse("arch", &t, &err), -AB_E_USAGE);
	tu_expect_contains(&err.notes, "expected one of debian");
	extmap_target_default(OSVER_RPM, &t);
	assert_string_equal(t.name, "fedora");
	extmap_target_default(OSVER_DEB, &t);
	assert_string_equal(t.name, "debian");
	ab_err_release(&err);
}

#define HDR "key\tname\tdebian\tubuntu\trpm\trhel\n"

static void parse_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line, col;
		const char *msg;
	} cases[] = {
		{ "", 1, 1, "missing the header line" },
		{ "# only a comment\n", 1, 1, "missing the header line" },
		{ "key\tname\tdebian\n", 1, 16,
		  "expected the header 'key name debian ubuntu rpm rhel' (tab-separated)" },
		{ "key\tname\tdebian\tubuntu\trpm\trhel\tx\n", 1, 33,
		  "unexpected field after 'rhel'" },
		{ HDR "a\t-\tliba1\n", 2, 10, "expected 6 fields, got 3" },
		{ HDR "a\t-\tliba1\t-\ta\t-\tz\n", 2, 17, "expected 6 fields, got more than 6" },
		{ HDR "a -\tliba1\t-\ta\t-\n", 2, 2,
		  "unexpected space (fields are separated by tabs)" },
		{ HDR "a\t-\tliba1\t-\ta\t-\r\n", 2, 16, "unexpected carriage return" },
		{ HDR "a\t-\tliba1\t-\ta\t-\t\n", 2, 16, "trailing tab" },
		{ HDR "\ta\t-\tliba1\t-\ta\t-\n", 2, 1, "unexpected tab at the start of a line" },
		{ HDR "-a\t-\tliba1\t-\ta\t-\n", 2, 1,
		  "invalid key '-a' (letters, digits, '.', '_', '+', '-', starting with a letter "
		  "or digit)" },
		{ HDR "a\t-\tLibA\t-\ta\t-\n", 2, 5,
		  "invalid Debian package name 'LibA' in column 'debian'" },
		{ HDR "a\t-\tliba\t-\t%{a}\t-\n", 2, 12,
		  "invalid RPM package name '%{a}' in column 'rpm'" },
		{ HDR "a\t-\t-\t-\t-\t-\n", 2, 1, "'a' has no package in any column" },
		{ HDR "a\t-\tliba\t-\ta\t-\nb\t-\tlibb\t-\tb\t-\nA\t-\tliba\t-\ta\t-\n", 4, 1,
		  "duplicate key 'A'" },
		{ HDR "a.so.1\tb\t-\t-\t-\t-\na\t-\tliba\t-\ta\t-\n", 2, 0,
		  "'b' is not a primary key of the table" },
		{ HDR "a\t-\tliba\t-\ta\t-\nx\ta\t-\t-\t-\t-\ny\tx\t-\t-\t-\t-\n", 4, 0,
		  "'x' is not a primary key of the table (it has a name of its own)" },
		{ HDR "a\t-\tli\x01\t-\ta\t-\n", 2, 7, "unexpected character 0x01" },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(cases); i++) {
		struct extmap m = EXTMAP_INIT;
		struct ab_err err = AB_ERR_INIT;
		int r = extmap_parse(&m, "t.tsv", ab_str_from(cases[i].text), &err);
		if (r != -AB_E_PARSE || strcmp(err.msg.buf, cases[i].msg) ||
		    err.line != cases[i].line || err.col != cases[i].col)
			fail_msg("case %zu: %d %u:%u %s", i, r, err.line, err.col, err.msg.buf);
		assert_string_equal(err.file, "t.tsv");
		if (strstr(cases[i].msg, "duplicate"))
			assert_string_equal(err.notes.buf, "first defined at line 2");
		extmap_release(&m);
		ab_err_release(&err);
	}
	/* what is accepted: comments, blank lines, aligned columns, no final newline */
	struct extmap m = EXTMAP_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(extmap_parse(&m, NULL,
				      AB_STR_LIT("# c\n\n" HDR "# c\nzz\t\t-\tlibzz1\t!\tzz\t-\n"
						 "libzz.so.1\tzz\t\t-\t-\t-\tzz-compat"),
				      &err),
			 0);
	assert_int_equal(m.n, 2);
	struct extmap_target t = tgt("ubuntu");
	assert_null(extmap_package(&m, "zz", &t, NULL));
	assert_null(extmap_package(&m, "libzz.so.1", &t, NULL));
	t = tgt("rocky");
	assert_string_equal(extmap_package(&m, "libzz.so.1", &t, NULL), "zz-compat");
	assert_string_equal(extmap_package(&m, "zz", &t, NULL), "zz");
	extmap_release(&m);
	ab_err_release(&err);
}

static void overrides(void **state)
{
	struct extmap m = EXTMAP_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(extmap_load_builtin(&m, &err), 0);
	const char *const foo[EXTMAP_NCOLS] = { "libfoo2", NULL, "foo-libs", NULL };
	const char *const pq[EXTMAP_NCOLS] = { NULL, NULL, "libpq-custom", NULL };
	assert_int_equal(extmap_override(&m, "libfoo", foo, NULL, &err), 0);
	assert_int_equal(extmap_override(&m, "aaa-first", foo, NULL, &err), 0);
	assert_int_equal(extmap_override(&m, "LIBPQ", pq, NULL, &err), 0);
	struct extmap_target deb = tgt("ubuntu"), rh = tgt("rhel");
	assert_string_equal(extmap_package(&m, "libfoo", &deb, NULL), "libfoo2");
	assert_string_equal(extmap_package(&m, "libfoo", &rh, NULL), "foo-libs");
	assert_string_equal(extmap_package(&m, "aaa-first", &rh, NULL), "foo-libs");
	assert_string_equal(extmap_package(&m, "libpq", &rh, NULL), "libpq-custom");
	assert_string_equal(extmap_package(&m, "libpq", &deb, NULL), "libpq5");
	/* aliases still find their primary rows after the insertions */
	assert_string_equal(extmap_package(&m, "libpq.so.5", &rh, NULL), "libpq-custom");
	assert_string_equal(extmap_package(&m, "psql", &deb, NULL), "postgresql-client");
	for (size_t i = 1; i < m.n; i++)
		assert_true(strcasecmp(m.rows[i - 1].key, m.rows[i].key) < 0);
	struct ab_loc loc = { "appbuild.yaml", 7, 5 };
	const char *const bad[EXTMAP_NCOLS] = { "Bad_Name", NULL, NULL, NULL };
	assert_int_equal(extmap_override(&m, "x", bad, &loc, &err), -AB_E_PARSE);
	assert_string_equal(err.msg.buf, "invalid Debian package name 'Bad_Name' for 'x'");
	assert_int_equal(err.line, 7);
	ab_err_clear(&err);
	assert_int_equal(extmap_override(&m, "a b", foo, &loc, &err), -AB_E_PARSE);
	extmap_release(&m);
	ab_err_release(&err);
}

static void load_app(void **state)
{
	struct appconfig c;
	struct ab_err err = AB_ERR_INIT;
	struct extmap m = EXTMAP_INIT;
	assert_int_equal(appconfig_parse(AB_STR_LIT("package:\n  external:\n"
						    "    libfoo: {rpm: foo-libs}\n    libpq: pq\n"),
					 "appbuild.yaml", &c, &err),
			 0);
	assert_int_equal(extmap_load_app(&m, &c.package, "appbuild.yaml", &err), 0);
	struct extmap_target t = tgt("fedora"), d = tgt("debian");
	assert_string_equal(extmap_package(&m, "libfoo", &t, NULL), "foo-libs");
	assert_null(extmap_package(&m, "libfoo", &d, NULL));
	assert_string_equal(extmap_package(&m, "libpq", &d, NULL), "pq");
	assert_string_equal(extmap_package(&m, "libpq.so.5", &d, NULL), "pq");
	extmap_release(&m);
	/* NULL: the table alone */
	assert_int_equal(extmap_load_app(&m, NULL, NULL, &err), 0);
	assert_string_equal(extmap_package(&m, "libpq", &d, NULL), "libpq5");
	extmap_release(&m);
	appconfig_release(&c);
	ab_err_release(&err);
}

/* Map the entries of `text` and format them as each format writes them. */
static int map_text(const char *text, const char *target, struct ab_buf *got, struct ab_err *err)
{
	struct extdeps d = EXTDEPS_INIT;
	struct extmap_deps out = EXTMAP_DEPS_INIT;
	struct extmap_target t = tgt(target);
	int r = extdeps_parse(&d, "external-dependencies.txt", ab_str_from(text), err);
	if (r == 0)
		r = extmap_map_all(extmap_builtin(), &d, "external-dependencies.txt", NULL, &t,
				   &out, err);
	for (size_t i = 0; r == 0 && i < out.n; i++) {
		const struct extmap_dep *x = &out.deps[i];
		if (!x->nclauses) {
			ab_buf_addf(got, "%s", i ? "|" : "");
			extmap_format_clause(t.family, x->package, -1, NULL, got);
		}
		for (size_t k = 0; k < x->nclauses; k++) {
			ab_buf_adds(got, i || k ? "|" : "");
			extmap_format_clause(t.family, x->package, (int)x->clauses[k].op,
					     x->clauses[k].version, got);
		}
	}
	extmap_deps_release(&out);
	extdeps_release(&d);
	return r;
}

static void entries(void **state)
{
	static const struct {
		const char *text, *target, *want;
	} cases[] = {
		{ "libxml2 (>=2.9)", "debian", "libxml2 (>= 2.9)" },
		{ "libxml2 (>=2.9)", "fedora", "libxml2 >= 2.9" },
		{ "openssl (>=1.1.1k, <4)\nlibpq", "debian",
		  "libssl3 (>= 1.1.1k)|libssl3 (<< 4)|libpq5" },
		{ "openssl (>=1.1.1k, <4)\nlibpq", "rhel",
		  "openssl-libs >= 1.1.1k|openssl-libs < 4|libpq" },
		{ "libxml2 (~=2.9.1)", "debian", "libxml2 (>= 2.9.1)|libxml2 (<< 2.10~)" },
		{ "libxml2 (~=2.9)", "fedora", "libxml2 >= 2.9|libxml2 < 3~" },
		{ "zlib (~=1:1.99.3)", "fedora", "zlib >= 1:1.99.3|zlib < 1:1.100~" },
		{ "libxml2 (<=2.9, >2.8, ==2.9)", "debian",
		  "libxml2 (<< 2.9.~)|libxml2 (>> 2.8.~)|libxml2 (>= 2.9), libxml2 (<< 2.9.~)" },
		{ "libxml2 (<=2.9, >2.8, ==2.9)", "fedora",
		  "libxml2 <= 2.9|libxml2 > 2.8|libxml2 = 2.9" },
		{ "libxml2 (==2.9.14+dfsg-1.3, >1:2-1)", "debian",
		  "libxml2 (= 2.9.14+dfsg-1.3)|libxml2 (>> 1:2-1)" },
		{ "nginx; sys_platform == 'linux'\nmemcached", "fedora", "nginx|memcached" },
		{ "libjpeg (>=2.1~rc1)", "ubuntu", "libjpeg-turbo8 (>= 2.1~rc1)" },
		{ "libjpeg (>=2.1^git1)", "fedora", "libjpeg-turbo >= 2.1^git1" },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(cases); i++) {
		struct ab_buf got = AB_BUF_INIT;
		struct ab_err err = AB_ERR_INIT;
		if (map_text(cases[i].text, cases[i].target, &got, &err) < 0)
			fail_msg("case %zu: %s", i, err.msg.buf);
		if (strcmp(got.buf, cases[i].want))
			fail_msg("case %zu:\n got  %s\n want %s", i, got.buf, cases[i].want);
		ab_buf_release(&got);
		ab_err_release(&err);
	}
}

static void entry_errors(void **state)
{
	static const struct {
		const char *text, *target;
		int code;
		unsigned line, col;
		const char *msg, *note;
	} cases[] = {
		{ "libpq\n  libfoo (>=1)", "fedora", AB_E_INVALID, 2, 3,
		  "no fedora package known for 'libfoo'",
		  "map it in appbuild.yaml: package: {external: {libfoo: {rpm: PACKAGE}}}\n"
		  "did you mean 'libffi'?" },
		{ "libjpeg.so.8", "debian", AB_E_INVALID, 1, 1,
		  "no debian package known for 'libjpeg.so.8'",
		  "map it in appbuild.yaml: package: {external: {libjpeg.so.8: {debian: "
		  "PACKAGE}}}" },
		{ "zzzzzzzz", "rocky", AB_E_INVALID, 1, 1, "no rocky package known for 'zzzzzzzz'",
		  "map it in appbuild.yaml: package: {external: {zzzzzzzz: {rhel: PACKAGE}}}" },
		{ "zlib (!=1.2.5)", "debian", AB_E_UNSUPPORTED, 1, 1,
		  "'!=1.2.5' cannot be an OS package dependency",
		  "neither Depends nor Requires can exclude one version: state the range with '<', "
		  "'<=', '>=' or '>'" },
		{ "zlib (~=1)", "debian", AB_E_UNSUPPORTED, 1, 1,
		  "cannot turn '~=1' into an OS dependency: it needs two or more dot-separated "
		  "parts, "
		  "the next to last a number, and no release",
		  "" },
		{ "zlib (~=1.2-3)", "fedora", AB_E_UNSUPPORTED, 1, 1, NULL, "" },
		{ "zlib (~=1.x.3)", "fedora", AB_E_UNSUPPORTED, 1, 1, NULL, "" },
		{ "zlib (>=v1.2)", "debian", AB_E_UNSUPPORTED, 1, 1,
		  "version 'v1.2' does not start with a digit, as Debian requires", "" },
		{ "zlib (>=1.2%{x})", "fedora", AB_E_UNSUPPORTED, 1, 1,
		  "'%' in version '1.2%{x}' is not allowed in an RPM dependency", "" },
		{ "zlib (>=1.2-3-4)", "fedora", AB_E_UNSUPPORTED, 1, 1,
		  "'-' in version '1.2-3-4' is not allowed in an RPM dependency", "" },
		{ "zlib (>=1.2^1)", "debian", AB_E_UNSUPPORTED, 1, 1,
		  "'^' in version '1.2^1' is not allowed in a Debian dependency", "" },
		{ "zlib (>=x:1.2)", "debian", AB_E_UNSUPPORTED, 1, 1,
		  "invalid epoch in version 'x:1.2'", "" },
		{ "zlib (>=1.2-)", "debian", AB_E_UNSUPPORTED, 1, 1,
		  "empty release in version '1.2-'", "" },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(cases); i++) {
		struct ab_buf got = AB_BUF_INIT;
		struct ab_err err = AB_ERR_INIT;
		int r = map_text(cases[i].text, cases[i].target, &got, &err);
		if (r != -cases[i].code || err.line != cases[i].line || err.col != cases[i].col ||
		    (cases[i].msg && strcmp(err.msg.buf, cases[i].msg)) ||
		    strcmp(err.notes.buf, cases[i].note))
			fail_msg("case %zu: %d %u:%u %s [%s]", i, r, err.line, err.col, err.msg.buf,
				 err.notes.buf);
		assert_string_equal(err.file, "external-dependencies.txt");
		ab_buf_release(&got);
		ab_err_release(&err);
	}
}

/* The Debian clauses keep the upstream meaning, checked with the real
 * dpkg: each (clause, installed version, satisfied?) triple. */
static void deb_semantics(void **state)
{
	static const struct {
		int op;
		const char *v, *installed;
		int ok;
	} cases[] = {
		{ EXTMAP_LE, "2.9", "2.9-1", 1 },	    { EXTMAP_LE, "2.9", "2.9+dfsg-1.3", 1 },
		{ EXTMAP_LE, "2.9", "2.9~rc1-1", 1 },	    { EXTMAP_LE, "2.9", "2.9a-1", 1 },
		{ EXTMAP_LE, "2.9", "2.9.1-1", 0 },	    { EXTMAP_LE, "2.9", "2.10-1", 0 },
		{ EXTMAP_LE, "2.9", "1:2.8-1", 0 },	    { EXTMAP_GT, "2.9", "2.9-1", 0 },
		{ EXTMAP_GT, "2.9", "2.9+dfsg-1", 0 },	    { EXTMAP_GT, "2.9", "2.9.0.1-1", 1 },
		{ EXTMAP_GT, "2.9", "2.90-1", 1 },	    { EXTMAP_EQ, "2.9", "2.9-7", 1 },
		{ EXTMAP_EQ, "2.9", "2.9+really2.8-1", 1 }, { EXTMAP_EQ, "2.9", "2.9.1-1", 0 },
		{ EXTMAP_EQ, "2.9", "2.9~rc1-1", 0 },	    { EXTMAP_LT, "2.9", "2.9-1", 0 },
		{ EXTMAP_LT, "2.9", "2.9~rc1-1", 1 },	    { EXTMAP_GE, "2.9", "2.9-0", 1 },
		{ EXTMAP_GE, "2.9", "2.9~rc1-1", 0 },	    { EXTMAP_LT, "3~", "3~rc1-1", 0 },
		{ EXTMAP_LT, "3~", "2.99-1", 1 },	    { EXTMAP_EQ, "2.9-1", "2.9-1", 1 },
		{ EXTMAP_EQ, "2.9-1", "2.9-2", 0 },
	};
	static const char *const dops[] = { "lt", "le", "eq", "ge", "gt" };
	for (size_t i = 0; i < AB_ARRAY_SIZE(cases); i++) {
		struct ab_buf c = AB_BUF_INIT, cmd = AB_BUF_INIT;
		extmap_format_clause(OSVER_DEB, "p", cases[i].op, cases[i].v, &c);
		/* "p (OP V)[, p (OP V)]" -> dpkg --compare-versions INSTALLED OP V && ... */
		ab_buf_adds(&cmd, "true");
		for (char *s = c.buf; (s = strchr(s, '(')); s++) {
			char op[3] = { 0 }, v[64] = { 0 };
			if (sscanf(s, "(%2s %63[^)])", op, v) != 2)
				fail_msg("bad clause %s", c.buf);
			const char *dop = !strcmp(op, "<<")   ? "lt"
					  : !strcmp(op, "<=") ? "le"
					  : !strcmp(op, "=")  ? "eq"
					  : !strcmp(op, ">=") ? "ge"
							      : "gt";
			ab_buf_addf(&cmd, " && dpkg --compare-versions '%s' %s '%s'",
				    cases[i].installed, dop, v);
		}
		int st = tu_run(NULL, "%s", cmd.buf);
		if ((st == 0) != cases[i].ok)
			fail_msg("%s %s: '%s' for %s, dpkg says %s", dops[cases[i].op], cases[i].v,
				 c.buf, cases[i].installed,
				 st == 0 ? "satisfied" : "not satisfied");
		ab_buf_release(&c);
		ab_buf_release(&cmd);
	}
}

/* The RPM clauses as librpm matches them against a package's provide
 * (rpmdsCompare: a dependency without a release ignores the package's). */
static void rpm_semantics(void **state)
{
	static const struct {
		int op;
		const char *v, *installed;
		int ok;
	} cases[] = {
		{ EXTMAP_LE, "2.9", "2.9-5", 1 },  { EXTMAP_LE, "2.9", "2.9.1-1", 0 },
		{ EXTMAP_GT, "2.9", "2.9-5", 0 },  { EXTMAP_GT, "2.9", "2.9.1-1", 1 },
		{ EXTMAP_EQ, "2.9", "2.9-17", 1 }, { EXTMAP_EQ, "2.9", "2.9~rc1-1", 0 },
		{ EXTMAP_LT, "3~", "3~rc1-1", 0 }, { EXTMAP_LT, "3~", "2.99-1", 1 },
		{ EXTMAP_GE, "2.9", "2.9-1", 1 },  { EXTMAP_GE, "2.9", "2.9~rc1-1", 0 },
	};
	static const rpmsenseFlags sense[] = { RPMSENSE_LESS, RPMSENSE_LESS | RPMSENSE_EQUAL,
					       RPMSENSE_EQUAL, RPMSENSE_GREATER | RPMSENSE_EQUAL,
					       RPMSENSE_GREATER };
	/* appbuild loads librpm lazily (formats/lazy) without these: the
	 * test loads them itself */
	void *lib = dlopen("librpm.so.9", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		fail_msg("dlopen librpm.so.9: %s", dlerror());
	rpmds (*ds_single)(rpmTagVal, const char *, const char *, rpmsenseFlags) = (rpmds(*)(
		rpmTagVal, const char *, const char *, rpmsenseFlags))dlsym(lib, "rpmdsSingle");
	int (*ds_compare)(const rpmds, const rpmds) =
		(int (*)(const rpmds, const rpmds))dlsym(lib, "rpmdsCompare");
	rpmds (*ds_free)(rpmds) = (rpmds(*)(rpmds))dlsym(lib, "rpmdsFree");
	assert_non_null(ds_single);
	assert_non_null(ds_compare);
	assert_non_null(ds_free);
	for (size_t i = 0; i < AB_ARRAY_SIZE(cases); i++) {
		struct ab_buf c = AB_BUF_INIT;
		extmap_format_clause(OSVER_RPM, "p", cases[i].op, cases[i].v, &c);
		char want[64];
		snprintf(want, sizeof(want), "p %s %s",
			 (const char *[]){ "<", "<=", "=", ">=", ">" }[cases[i].op], cases[i].v);
		assert_string_equal(c.buf, want);
		rpmds req = ds_single(RPMTAG_REQUIRENAME, "p", cases[i].v, sense[cases[i].op]);
		rpmds prov = ds_single(RPMTAG_PROVIDENAME, "p", cases[i].installed, RPMSENSE_EQUAL);
		int got = ds_compare(prov, req);
		if (got != cases[i].ok)
			fail_msg("'%s' for %s: rpm says %d", c.buf, cases[i].installed, got);
		ds_free(req);
		ds_free(prov);
		ab_buf_release(&c);
	}
	dlclose(lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin),	 cmocka_unit_test(needed_txt),
		cmocka_unit_test(lookups),	 cmocka_unit_test(targets),
		cmocka_unit_test(parse_errors),	 cmocka_unit_test(overrides),
		cmocka_unit_test(load_app),	 cmocka_unit_test(entries),
		cmocka_unit_test(entry_errors),	 cmocka_unit_test(deb_semantics),
		cmocka_unit_test(rpm_semantics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
