/* elfscan_test.c - real wheels of ../shared/pyindex (psycopg2, lxml, pyyaml,
 * markupsafe) installed into a temporary environment and scanned, checked
 * against ../shared/pyindex/NEEDED.txt (readelf's view of the same files);
 * the built-in table checked against NEEDED.txt's soname=package pairs; the
 * classification, coverage by external-dependencies.txt, and the errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/elfscan.h"
#include "builder/install.h"
#include "formats/core/mem.h"
#include "tests/unit/testutil.h"

static struct interp py;
static char *tmp;
static char root[512];

static const char *const wheels[] = {
	"psycopg2-2.9.5-cp311-cp311-linux_x86_64.whl",
	"lxml-4.9.2-cp311-cp311-linux_x86_64.whl",
	"pyyaml-6.0-cp311-cp311-linux_x86_64.whl",
	"markupsafe-2.1.2-cp311-cp311-linux_x86_64.whl",
};

static int setup(void **state)
{
	struct ab_err err = AB_ERR_INIT;
	if (interp_query(NULL, &py, &err) < 0) {
		fprintf(stderr, "python3: %s\n", err.msg.buf);
		return -1;
	}
	tmp = tu_mkdtemp("elfscan_test.");
	snprintf(root, sizeof(root), "%s/env", tmp);
	char paths[4][512];
	struct install_wheel w[4];
	for (size_t i = 0; i < 4; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/pyindex/files/%s", tu_shared(), wheels[i]);
		w[i] = (struct install_wheel){ paths[i], NULL, true, NULL };
	}
	struct install_opts o = { &py, root, 4, NULL, NULL };
	if (install_env_create(&o, &err) < 0 || install_wheels(&o, w, 4, &err) < 0) {
		fprintf(stderr, "install: %s\n", err.msg.buf);
		ab_err_release(&err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	interp_release(&py);
	tu_rmrf(tmp);
	tmp = NULL;
	return 0;
}

static const struct elfscan_lib *find(const struct elfscan *s, const char *soname)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->libs[i].soname, soname))
			return &s->libs[i];
	return NULL;
}

static bool needed_by(const struct elfscan_lib *l, const char *suffix)
{
	size_t m = strlen(suffix);
	for (size_t i = 0; l && i < l->nfiles; i++) {
		size_t n = strlen(l->files[i]);
		if (n >= m && !strcmp(l->files[i] + n - m, suffix) &&
		    (n == m || l->files[i][n - m - 1] == '/'))
			return true;
	}
	return false;
}

static void scan(struct elfscan *s)
{
	struct ab_err err = AB_ERR_INIT;
	if (elfscan_tree(root, s, &err) < 0)
		fail_msg("%s", err.msg.buf);
	ab_err_release(&err);
}

static void real_wheels(void **state)
{
	struct elfscan s = ELFSCAN_INIT;
	scan(&s);
	assert_true(s.nelf >= 5);
	const struct elfscan_lib *pq = find(&s, "libpq.so.5");
	assert_non_null(pq);
	assert_int_equal(pq->provider, ELFSCAN_HOST);
	assert_string_equal(pq->name, "libpq");
	assert_string_equal(pq->debian, "libpq5");
	assert_int_equal(pq->nfiles, 1);
	assert_non_null(strstr(pq->files[0], "site-packages/psycopg2/_psycopg."));
	static const char *const lx[][3] = {
		{ "libxml2.so.2", "libxml2", "libxml2" },
		{ "libxslt.so.1", "libxslt", "libxslt1.1" },
		{ "libexslt.so.0", "libxslt", "libxslt1.1" },
		{ "libyaml-0.so.2", "libyaml", "libyaml-0-2" },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(lx); i++) {
		const struct elfscan_lib *l = find(&s, lx[i][0]);
		assert_non_null(l);
		assert_int_equal(l->provider, ELFSCAN_HOST);
		assert_string_equal(l->name, lx[i][1]);
		assert_string_equal(l->debian, lx[i][2]);
	}
	const struct elfscan_lib *c = find(&s, "libc.so.6");
	assert_non_null(c);
	assert_int_equal(c->provider, ELFSCAN_LIBC);
	for (size_t i = 1; i < c->nfiles; i++)
		assert_true(strcmp(c->files[i - 1], c->files[i]) < 0);
	for (size_t i = 1; i < s.n; i++)
		assert_true(strcmp(s.libs[i - 1].soname, s.libs[i].soname) < 0);

	/* NEEDED.txt (readelf -d of the same members) is the ground truth:
	 * every soname of every member of these wheels was found for it */
	char p[1024];
	snprintf(p, sizeof(p), "%s/pyindex/NEEDED.txt", tu_shared());
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	char line[4096];
	size_t checked = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *fields[4] = { 0 }, *save = NULL, *t = strtok_r(line, "\t", &save);
		for (size_t k = 0; t && k < 4; k++, t = strtok_r(NULL, "\t", &save))
			fields[k] = t;
		if (line[0] == '#' || !fields[2] || !strcmp(fields[1], "*"))
			continue;
		bool ours = false;
		for (size_t k = 0; k < AB_ARRAY_SIZE(wheels); k++)
			ours = ours || !strcmp(fields[0], wheels[k]);
		if (!ours)
			continue;
		char *save2 = NULL;
		for (char *so = strtok_r(fields[2], ",", &save2); so;
		     so = strtok_r(NULL, ",", &save2)) {
			if (!needed_by(find(&s, so), fields[1]))
				fail_msg("%s: %s not found for %s", fields[0], so, fields[1]);
			checked++;
		}
	}
	fclose(f);
	assert_true(checked >= 8);

	/* coverage by external-dependencies.txt */
	struct extdeps d = EXTDEPS_INIT;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(extdeps_parse(&d, NULL, AB_STR_LIT("LIBPQ5\nlibxslt (>=1.1)\nzlib\n"),
				       &err),
			 0);
	assert_true(elfscan_covered(pq, &d));
	assert_true(elfscan_covered(find(&s, "libexslt.so.0"), &d));
	assert_true(elfscan_covered(find(&s, "libxslt.so.1"), &d));
	assert_false(elfscan_covered(find(&s, "libxml2.so.2"), &d));
	extdeps_release(&d);
	assert_int_equal(extdeps_parse(&d, NULL, AB_STR_LIT("libpq\nlibxml2.so.2\nopenssl\n"), &err),
			 0);
	assert_true(elfscan_covered(pq, &d));
	assert_true(elfscan_covered(find(&s, "libxml2.so.2"), &d));
	assert_false(elfscan_covered(find(&s, "libyaml-0.so.2"), &d));
	extdeps_release(&d);
	assert_false(elfscan_covered(pq, NULL));
	ab_err_release(&err);
	elfscan_release(&s);
	assert_int_equal(s.n, 0);

	/* a vendored copy in the tree provides the soname */
	tu_sh_ok("mkdir -p '%s/lib/x.libs' && : > '%s/lib/x.libs/libpq.so.5'", root, root);
	scan(&s);
	assert_int_equal(find(&s, "libpq.so.5")->provider, ELFSCAN_BUNDLE);
	elfscan_release(&s);
	tu_sh_ok("rm -r '%s/lib/x.libs'", root);
}

/* every soname=package pair of NEEDED.txt: the C library's are classified
 * so, every other one is in the table with that Debian package */
static void table_matches_needed_txt(void **state)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/pyindex/NEEDED.txt", tu_shared());
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	char line[8192];
	size_t pairs = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#')
			continue;
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
			const char *pkg = eq + 1, *name = NULL, *deb = NULL;
			pairs++;
			if (!strcmp(pkg, "?"))
				continue; /* provided by another wheel, or by none */
			if (elfscan_classify(pr) == ELFSCAN_LIBC) {
				if (strcmp(pkg, "libc6") && strcmp(pkg, "libgcc-s1"))
					fail_msg("%s is not the C library's (%s)", pr, pkg);
				continue;
			}
			if (!elfscan_lookup(pr, &name, &deb))
				fail_msg("%s (%s) is not in the table", pr, pkg);
			if (strcmp(deb, pkg))
				fail_msg("%s: table says %s, NEEDED.txt %s", pr, deb, pkg);
		}
	}
	fclose(f);
	assert_true(pairs > 100);
}

static void classify(void **state)
{
	static const struct {
		const char *soname;
		enum elfscan_provider p;
	} cases[] = {
		{ "libc.so.6", ELFSCAN_LIBC },
		{ "libm.so.6", ELFSCAN_LIBC },
		{ "libpthread.so.0", ELFSCAN_LIBC },
		{ "libdl.so.2", ELFSCAN_LIBC },
		{ "librt.so.1", ELFSCAN_LIBC },
		{ "libutil.so.1", ELFSCAN_LIBC },
		{ "libresolv.so.2", ELFSCAN_LIBC },
		{ "ld-linux-x86-64.so.2", ELFSCAN_LIBC },
		{ "ld-linux-aarch64.so.1", ELFSCAN_LIBC },
		{ "libgcc_s.so.1", ELFSCAN_LIBC },
		{ "libpython3.11.so.1.0", ELFSCAN_PYTHON },
		{ "libcrypt.so.1", ELFSCAN_HOST },
		{ "libcares.so.2", ELFSCAN_HOST },
		{ "libmagic.so.1", ELFSCAN_HOST },
		{ "libstdc++.so.6", ELFSCAN_HOST },
		{ "libc", ELFSCAN_LIBC },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(cases); i++)
		if (elfscan_classify(cases[i].soname) != cases[i].p)
			fail_msg("%s: %s", cases[i].soname,
				 elfscan_provider_str(elfscan_classify(cases[i].soname)));
	const char *n = NULL, *d = NULL;
	assert_false(elfscan_lookup("libnothing.so.1", &n, &d));
	assert_false(elfscan_lookup("libpq", &n, &d));
	assert_true(elfscan_lookup("libssl.so.3", &n, &d));
	assert_string_equal(n, "openssl");
	assert_string_equal(d, "libssl3");
	assert_true(elfscan_lookup("libmariadb.so.3", &n, &d));
	assert_string_equal(n, "mariadb");
	assert_string_equal(elfscan_provider_str(ELFSCAN_BUNDLE), "bundle");
	assert_string_equal(elfscan_provider_str(ELFSCAN_HOST), "host");
}

static void errors(void **state)
{
	char *dir = tu_mkdtemp("elfscan_bad.");
	struct elfscan s = ELFSCAN_INIT;
	struct ab_err err = AB_ERR_INIT;
	/* the ELF magic and nothing a loader could use */
	tu_sh_ok("mkdir '%s/sub' && printf '\\177ELF\\002\\001' > '%s/sub/broken.so' && "
		 "printf 'x' > '%s/tiny'",
		 dir, dir, dir);
	assert_int_equal(elfscan_tree(dir, &s, &err), -AB_E_PARSE);
	assert_non_null(strstr(err.msg.buf, "cannot read ELF file 'sub/broken.so'"));
	assert_string_equal(err.file, "sub/broken.so");
	elfscan_release(&s);
	ab_err_release(&err);

	ab_err_init(&err);
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	assert_int_equal(elfscan_tree(missing, &s, &err), -AB_E_IO);
	assert_non_null(strstr(err.msg.buf, "cannot open directory"));
	elfscan_release(&s);
	ab_err_release(&err);

	/* an empty tree has no needs */
	ab_err_init(&err);
	tu_sh_ok("rm -r '%s/sub'", dir);
	assert_int_equal(elfscan_tree(dir, &s, &err), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.nelf, 0);
	elfscan_release(&s);
	ab_err_release(&err);
	tu_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_wheels),
		cmocka_unit_test(table_matches_needed_txt),
		cmocka_unit_test(classify),
		cmocka_unit_test(errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
