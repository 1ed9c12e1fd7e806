/* pkg_rpm_test.c - the RPM back end on a hand-made package set: the
 * description (Requires, Provides, scriptlets), rpmlint, `rpm -qp`, an
 * install into a scratch root and a clean erase, byte-identical rebuilds,
 * createrepo_c metadata, and failure leaving nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/pkg_rpm.h"
#include "formats/core/mem.h"
#include "tests/unit/testutil.h"

#define MTIME 1700000000

/* A set like `appbuild rpm` makes for an app "demo" on Python 3.11: the
 * environment, two distributions (one with a local version label), the
 * app with a systemd unit and a configuration file. */
struct fixture {
	char *dir; /* trees under dir/stage/<name> */
	struct pkgset set;
	struct pkgset_pkg pkgs[4];
	struct pkgset_dep deps[4][8];
	struct pkgset_clause clauses[2];
	const char *config[1];
};

static void tree(const char *root, const char *name)
{
	tu_sh_ok("set -e; r='%s/stage/%s'; mkdir -p \"$r\"/opt/demo", root, name);
}

static void map(struct pkgset_pkg *p, const char *v)
{
	struct ab_err err = AB_ERR_INIT;
	if (osver_map_str(ab_str_from(v), OSVER_RPM, NULL, 0, &p->ver, &err) < 0)
		fail_msg("%s: %s", v, err.msg.buf);
	p->pyversion = v;
	ab_err_release(&err);
}

static void make_set(struct fixture *f, const char *dir)
{
	memset(f, 0, sizeof(*f));
	f->dir = ab_xstrdup(dir);
	struct pkgset *s = &f->set;
	s->family = OSVER_RPM;
	s->target = "fedora";
	s->name_prefix = "demo-python3";
	s->prefix = "/opt/demo";
	s->unit_dir = "/usr/lib/systemd/system";
	s->py_major = 3;
	s->py_minor = 11;
	s->machine = "x86_64";
	s->mtime = MTIME;
	s->pkgs = f->pkgs;
	s->n = 4;
	static const char *const names[] = { "demo-python3", "demo-python3-six",
					     "demo-python3-localver", "demo" };
	static const enum pkgset_kind kinds[] = { PKGSET_ENV, PKGSET_DIST, PKGSET_DIST,
						  PKGSET_APP };
	static const char *const projects[] = { "python", "six", "localver", "demo" };
	static const char *const versions[] = { "3.11", "1.16.0", "2.0+abc.1", "1.0.post1" };
	char *roots[4];
	for (int i = 0; i < 4; i++) {
		struct pkgset_pkg *p = &f->pkgs[i];
		tree(dir, names[i]);
		roots[i] = ab_xmalloc(strlen(dir) + 64);
		sprintf(roots[i], "%s/stage/%s", dir, names[i]);
		p->kind = kinds[i];
		p->name = names[i];
		p->project = projects[i];
		map(p, versions[i]);
		p->summary = i == 1 ? "Python 2 and 3 compatibility utilities." : "A demo package";
		p->description =
			i == 1 ? "Six is a Python 2 and 3 compatibility library. It provides "
				 "utility functions for smoothing over the differences "
				 "between the Python versions with the goal of writing "
				 "Python code that is compatible on both Python versions.\n"
				 "\nSee the documentation for more information."
			       : "A demo.";
		p->license = i == 1 ? "MIT" : NULL;
		p->url = i == 1 ? "https://github.com/benjaminp/six" : NULL;
		p->maintainer = "appbuild <appbuild@localhost>";
		p->arch_independent = true;
		p->root = roots[i];
		p->deps = f->deps[i];
	}
	tu_sh_ok("set -e; cd '%s/stage'; "
		 "printf 'home = /usr/bin\\n' >demo-python3/opt/demo/pyvenv.cfg; "
		 "mkdir -p demo-python3/opt/demo/bin; "
		 "ln -s /usr/bin/python3.11 demo-python3/opt/demo/bin/python; "
		 "ln -s python demo-python3/opt/demo/bin/python3; "
		 "d=demo-python3-six/opt/demo/lib/python3.11/site-packages; mkdir -p "
		 "$d/six-1.16.0.dist-info; "
		 "printf 'import sys\\n' >$d/six.py; printf 'Name: six\\n' "
		 ">$d/six-1.16.0.dist-info/METADATA; "
		 "mkdir -p $d/_vendor; printf 'import sys\\n' >$d/_vendor/six.py; "
		 "d=demo-python3-localver/opt/demo/lib/python3.11/site-packages; mkdir -p $d "
		 "demo-python3-localver/opt/demo/bin; "
		 "printf 'x = 1\\n' >$d/localver.py; "
		 "printf '#!/bin/sh\\n'\\''exec'\\'' \\\"$(dirname -- \\\"$0\\\")/python\\\" "
		 "\\\"$0\\\" \\\"$@\\\"\\n'\\'' '\\''\\nimport localver\\n' "
		 ">demo-python3-localver/opt/demo/bin/localver; "
		 "chmod 755 demo-python3-localver/opt/demo/bin/localver; "
		 "mkdir -p demo/opt/demo/app demo/opt/demo/etc demo/usr/lib/systemd/system; "
		 "printf 'def application(e, s):\\n    pass\\n' >demo/opt/demo/app/wsgi.py; "
		 "printf 'x: 1\\n' >demo/opt/demo/etc/supervisor.yaml; "
		 "printf '[Unit]\\nDescription=demo\\n[Service]\\nExecStart=/opt/demo/bin/launch "
		 "run\\n' "
		 ">demo/usr/lib/systemd/system/demo-web.service",
		 dir);
	f->config[0] = "/opt/demo/etc/supervisor.yaml";
	f->pkgs[3].config = f->config;
	f->pkgs[3].nconfig = 1;
	f->pkgs[3].has_units = true;
	f->pkgs[3].user = "demo";
	f->pkgs[1].pyclean =
		"rm -rf /opt/demo/lib/python3.11/site-packages/__pycache__/six.*.pyc # 100%{nil}";
	/* ENV: PYTHON; DIST: ENV exact, PYTHON (+ six for localver); APP: all, PYTHON, libpq */
	f->deps[0][0] = (struct pkgset_dep){ PKGSET_DEP_PYTHON, NULL, 0, NULL, 0, NULL };
	f->pkgs[0].ndeps = 1;
	for (int i = 1; i <= 2; i++) {
		f->deps[i][0] = (struct pkgset_dep){ PKGSET_DEP_SET, names[0], 0, NULL, 0, NULL };
		f->deps[i][1] = (struct pkgset_dep){ PKGSET_DEP_PYTHON, NULL, 0, NULL, 0, NULL };
		f->pkgs[i].ndeps = 2;
	}
	f->deps[2][2] = (struct pkgset_dep){ PKGSET_DEP_SET, names[1], 1, NULL, 0, NULL };
	f->pkgs[2].ndeps = 3;
	for (int i = 0; i < 3; i++)
		f->deps[3][i] =
			(struct pkgset_dep){ PKGSET_DEP_SET, names[i], (size_t)i, NULL, 0, NULL };
	f->deps[3][3] = (struct pkgset_dep){ PKGSET_DEP_PYTHON, NULL, 0, NULL, 0, NULL };
	f->clauses[0] = (struct pkgset_clause){ PKGSET_GE, "9.6" };
	f->clauses[1] = (struct pkgset_clause){ PKGSET_LT, "17~" };
	f->deps[3][4] =
		(struct pkgset_dep){ PKGSET_DEP_EXTERNAL, "libpq", 0, f->clauses, 2, "libpq" };
	f->deps[3][5] = (struct pkgset_dep){ PKGSET_DEP_EXTERNAL, "nginx", 0, NULL, 0, "nginx" };
	f->pkgs[3].ndeps = 6;
}

static void free_set(struct fixture *f)
{
	for (int i = 0; i < 4; i++) {
		osver_release(&f->pkgs[i].ver);
		free((char *)f->pkgs[i].root);
	}
	tu_rmrf(f->dir);
}

static int setup(void **state)
{
	struct fixture *f = ab_xmalloc(sizeof(*f));
	char *dir = tu_mkdtemp("pkg_rpm.");
	make_set(f, dir);
	free(dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (getenv("PKG_RPM_TEST_KEEP")) {
		print_message("kept %s\n", f->dir);
		free(f->dir);
		f->dir = NULL;
	}
	free_set(f);
	free(f);
	return 0;
}

static char *joined(char *const *v, size_t n)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		ab_buf_addf(&b, "%s%s", i ? "|" : "", v[i]);
	return ab_buf_detach(&b);
}

static void describe(void **state)
{
	struct fixture *f = *state;
	static const char *const want_req[] = {
		"python(abi) = 3.11",
		"demo-python3 = 3.11-1|python(abi) = 3.11",
		"demo-python3 = 3.11-1|python(abi) = 3.11|demo-python3-six = 1.16-1",
		"demo-python3 = 3.11-1|demo-python3-six = 1.16-1|demo-python3-localver = 2-1.abc.1|"
		"python(abi) = 3.11|libpq >= 9.6|libpq < 17~|nginx|(shadow-utils or shadow)",
	};
	static const char *const want_prov[] = { "", "demo-python3dist(six) = 1.16",
						 "demo-python3dist(localver) = 2", "" };
	for (size_t i = 0; i < 4; i++) {
		struct pkg_rpm_desc d;
		pkg_rpm_describe(&f->set, i, &d);
		char *req = joined(d.requires, d.pkg.nrequires);
		char *prov = joined(d.provides, d.pkg.nprovides);
		if (strcmp(req, want_req[i]) || strcmp(prov, want_prov[i]))
			fail_msg("%zu:\n req  %s\n prov %s", i, req, prov);
		free(req);
		free(prov);
		assert_string_equal(d.pkg.arch, "noarch");
		if (i == 1) {
			assert_string_equal(d.summary, "Python 2 and 3 compatibility utilities");
			assert_string_equal(d.license, "MIT");
			/* wrapped at 79 columns, the paragraph break kept */
			for (char *l = d.description; l;
			     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
				assert_true(strcspn(l, "\n") <= 79);
			assert_non_null(strstr(d.description, "versions.\n\nSee the"));
		} else {
			assert_string_equal(d.license, "LicenseRef-Unknown");
		}
		if (i == 3) {
			assert_non_null(strstr(d.post, "[ -d /run/systemd/system ]"));
			assert_non_null(strstr(d.postun, "systemctl daemon-reload"));
			assert_string_equal(
				d.pkg.pre,
				"getent group demo >/dev/null || groupadd -r demo\n"
				"getent passwd demo >/dev/null || useradd -r -g demo -d "
				"/opt/demo -s /sbin/nologin -c 'demo service' demo\nexit 0");
			assert_null(d.pkg.preun);
		} else {
			assert_null(d.post);
			assert_null(d.postun);
		}
		if (i == 1)
			assert_string_equal(d.pkg.preun, f->pkgs[1].pyclean);
		else
			assert_null(d.pkg.preun);
		pkg_rpm_desc_release(&d);
	}
}

static void free_paths(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

/* rpmlint, rpm -qp, install into a scratch root and erase. */
static void build_lint_install(void **state)
{
	struct fixture *f = *state;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf out = AB_BUF_INIT, o2 = AB_BUF_INIT;
	char **paths = NULL;
	tu_sh_ok("mkdir -p '%s/out'", f->dir);
	ab_buf_addf(&o2, "%s/out", f->dir);
	if (pkg_rpm_write_all(&f->set, o2.buf, 2, &paths, &err) < 0)
		fail_msg("%s\n%s", err.msg.buf, err.notes.buf);
	static const char *const files[] = { "demo-python3-3.11-1.noarch.rpm",
					     "demo-python3-six-1.16-1.noarch.rpm",
					     "demo-python3-localver-2-1.abc.1.noarch.rpm",
					     "demo-1^post1-1.noarch.rpm" };
	for (size_t i = 0; i < 4; i++) {
		const char *b = strrchr(paths[i], '/') + 1;
		assert_string_equal(b, files[i]);
	}
	/* nothing else in the output directory (the staging dir is gone) */
	tu_run(&out, "ls -A '%s/out' | wc -l", f->dir);
	assert_int_equal(atoi(out.buf), 4);

	/* rpmlint: no errors. Its one error on the packages as built is
	 * no-signature: signing is the deployer's (rpmsign --addsign with
	 * their key), so copies are signed here with a throwaway key, which
	 * also shows they can be. The warnings that remain are listed in
	 * SPEC.md ("RPM specifics"). */
	ab_buf_reset(&out);
	TU_RUN_OK(&out,
		  "set -e; cd '%s'; mkdir -m 700 gnupg signed; export GNUPGHOME=\"$PWD/gnupg\"; "
		  "gpg --batch --passphrase '' --quick-gen-key 'appbuild test <test@localhost>' "
		  "ed25519 sign never; cp out/*.rpm signed/; "
		  "rpmsign --addsign --define '_gpg_name test@localhost' --define \"__gpg "
		  "$(command -v gpg)\" "
		  "--define \"_gpg_path $GNUPGHOME\" signed/*.rpm; "
		  /* the key is known to a private rpm database (HOME's
		   * .rpmmacros), not the host's */
		  "gpg --armor --export test@localhost >key.asc; mkdir home; "
		  "echo \"%%_dbpath $PWD/rpmdb\" >home/.rpmmacros; "
		  "rpm --dbpath \"$PWD/rpmdb\" --initdb; rpm --dbpath \"$PWD/rpmdb\" --import "
		  "key.asc",
		  f->dir);
	ab_buf_reset(&out);
	/* Two errors of rpmlint's default (openSUSE) policy are by design:
	 * dir-or-file-in-opt (FHS /opt is the place for add-on packages,
	 * issue #9; the DEBs carry the same lintian override) and
	 * no-dependency-on locales-XX, which takes a 2-3 letter distribution
	 * name (six) for a language pack (Fedora's rpmlint config filters it
	 * too). */
	tu_sh_ok("printf \"Filters = [' dir-or-file-in-opt ', ' no-dependency-on locales-']\\n\" "
		 ">'%s/rpmlint.toml'",
		 f->dir);
	int st = tu_run(
		&out,
		"cd '%s/signed' && HOME=\"$PWD/../home\" rpmlint -c ../rpmlint.toml *.rpm "
		">../lint.txt; st=$?; "
		"grep -E ': [EW]: ' ../lint.txt | sed 's/^[^:]*: //; s/^\\([EW]: [^ ]*\\).*/\\1/' "
		"| sort | uniq -c; "
		"grep ': E: ' ../lint.txt; tail -1 ../lint.txt; exit $st",
		f->dir);
	print_message("%s", out.buf);
	if (st != 0 || !strstr(out.buf, " 0 errors"))
		fail_msg("rpmlint found errors (status %d)", st);

	ab_buf_reset(&out);
	TU_RUN_OK(&out, "rpm -qp --requires '%s'", paths[3]);
	tu_expect_contains(&out, "demo-python3-localver = 2-1.abc.1\n");
	tu_expect_contains(&out, "libpq < 17~\nlibpq >= 9.6\nnginx\n");
	tu_expect_contains(&out, "python(abi) = 3.11\n");
	assert_null(strstr(out.buf, "rpmlib(ShortCircuited)"));
	ab_buf_reset(&out);
	TU_RUN_OK(&out, "rpm -qp --provides '%s'", paths[1]);
	tu_expect_contains(&out, "demo-python3dist(six) = 1.16\n");
	tu_expect_contains(&out, "demo-python3-six = 1.16-1\n");
	assert_null(strstr(out.buf, "python3dist(six)\n"));
	ab_buf_reset(&out);
	TU_RUN_OK(&out, "rpm -qp --scripts '%s'; rpm -qp --scripts '%s' | wc -c", paths[3],
		  paths[2]);
	tu_expect_contains(&out,
			   "postinstall scriptlet (using /bin/sh):\nif [ -d /run/systemd/system ]");
	tu_expect_contains(&out, "postuninstall scriptlet");
	tu_expect_contains(&out, "preinstall scriptlet (using /bin/sh):\ngetent group demo");
	tu_expect_contains(&out, "\n0\n");
	ab_buf_reset(&out);
	TU_RUN_OK(&out, "rpm -qp --scripts '%s'", paths[1]);
	assert_string_equal(out.buf,
			    "preuninstall scriptlet (using /bin/sh):\n"
			    "rm -rf /opt/demo/lib/python3.11/site-packages/__pycache__/six.*.pyc # "
			    "100%{nil}\n");
	ab_buf_reset(&out);
	TU_RUN_OK(&out, "rpm -qp --configfiles '%s'", paths[3]);
	assert_string_equal(out.buf, "/opt/demo/etc/supervisor.yaml\n");

	/* install (no deps: the scratch root has no python3), list, erase */
	ab_buf_reset(&out);
	TU_RUN_OK(&out,
		  "set -e; R='%s/root'; mkdir -p \"$R\"; rpm --root \"$R\" --initdb; "
		  "rpm --root \"$R\" -i --nodeps --noscripts '%s'/out/*.rpm; "
		  "rpm --root \"$R\" -qa --qf '%%{NAME}\\n' | sort; "
		  "rpm --root \"$R\" -ql demo-python3-localver; "
		  "test -x \"$R/opt/demo/bin/localver\"; test -L \"$R/opt/demo/bin/python\"; "
		  "stat -c '%%U:%%G %%a' \"$R/opt/demo/bin/localver\"; "
		  "rpm --root \"$R\" -V --nodeps demo demo-python3-six && echo verified",
		  f->dir, f->dir);
	tu_expect_contains(&out, "demo\ndemo-python3\ndemo-python3-localver\ndemo-python3-six\n");
	tu_expect_contains(&out,
			   "/opt/demo\n/opt/demo/bin\n/opt/demo/bin/localver\n/opt/demo/lib\n"
			   "/opt/demo/lib/python3.11\n/opt/demo/lib/python3.11/site-packages\n"
			   "/opt/demo/lib/python3.11/site-packages/localver.py\nroot:root");
	tu_expect_contains(&out, "root:root 755\n");
	/* identical files are one file, hard-linked (rpmlint files-duplicate) */
	ab_buf_reset(&out);
	TU_RUN_OK(&out,
		  "stat -c %%h '%s/root/opt/demo/lib/python3.11/site-packages/six.py' "
		  "'%s/root/opt/demo/lib/python3.11/site-packages/_vendor/six.py'",
		  f->dir, f->dir);
	assert_string_equal(out.buf, "2\n2\n");
	ab_buf_reset(&out);
	TU_RUN_OK(&out, "rpm --root '%s/root' -V --nodeps -a && echo verified-all", f->dir);
	tu_expect_contains(&out, "verified-all\n");
	ab_buf_reset(&out);
	TU_RUN_OK(&out,
		  "set -e; R='%s/root'; rpm --root \"$R\" -e --nodeps --noscripts demo "
		  "demo-python3-localver demo-python3-six demo-python3 2>\"$R.err\" || "
		  "{ cat \"$R.err\"; exit 1; }; "
		  "rpm --root \"$R\" -qa 2>/dev/null | wc -l; "
		  /* no file of ours is left, and /opt/demo is gone; the
		   * system directories rpm made for the paths (/opt,
		   * /usr/lib/systemd/system: the filesystem package's on a
		   * real system) stay, empty, and the database */
		  "find \"$R\" -not -type d -not -path '*/.rpmdb/*' -not -path '*/var/lib/rpm/*' "
		  "-not -path '*/sysimage/rpm/*'; ls -A \"$R/opt\"; ls -A "
		  "\"$R/usr/lib/systemd/system\"",
		  f->dir);
	assert_string_equal(out.buf, "0\n");
	free_paths(paths, 4);
	ab_buf_release(&out);
	ab_buf_release(&o2);
	ab_err_release(&err);
}

/* Two builds, different directories, different wall-clock times, other
 * umask and file times in the trees: the same bytes. */
static void reproducible(void **state)
{
	struct fixture *f = *state;
	struct fixture g;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf out = AB_BUF_INIT, a = AB_BUF_INIT, b = AB_BUF_INIT;
	char **pa = NULL, **pb = NULL;
	char *dir2 = tu_mkdtemp("pkg_rpm_other_place.");
	make_set(&g, dir2);
	free(dir2);
	tu_sh_ok("touch -d '2001-01-01' '%s'/stage/demo/opt/demo/app/wsgi.py; "
		 "chmod 600 "
		 "'%s'/stage/demo-python3-six/opt/demo/lib/python3.11/site-packages/six.py",
		 g.dir, g.dir);
	ab_buf_addf(&a, "%s/a", f->dir);
	ab_buf_addf(&b, "%s/b", g.dir);
	tu_sh_ok("mkdir -p '%s' '%s'", a.buf, b.buf);
	if (pkg_rpm_write_all(&f->set, a.buf, 1, &pa, &err) < 0)
		fail_msg("%s", err.msg.buf);
	sleep(1);
	if (pkg_rpm_write_all(&g.set, b.buf, 4, &pb, &err) < 0)
		fail_msg("%s", err.msg.buf);
	for (size_t i = 0; i < 4; i++) {
		ab_buf_reset(&out);
		if (tu_run(&out, "cmp '%s' '%s'", pa[i], pb[i]) != 0)
			fail_msg("not reproducible: %s", out.buf);
	}
	/* the repository metadata too */
	if (pkg_rpm_repo(a.buf, pa, 4, MTIME, &err) < 0 ||
	    pkg_rpm_repo(b.buf, pb, 4, MTIME, &err) < 0)
		fail_msg("%s", err.msg.buf);
	ab_buf_reset(&out);
	TU_RUN_OK(&out,
		  "cd '%s' && ls repodata | grep -c primary.xml && "
		  "diff -r repodata '%s/repodata' && echo same",
		  a.buf, b.buf);
	tu_expect_contains(&out, "1\nsame\n");
	ab_buf_reset(&out);
	TU_RUN_OK(&out,
		  "f=$(ls '%s'/repodata/*-primary.xml.*); case $f in *.zst) c=zstdcat;; "
		  "*.xz) c=xzcat;; *.bz2) c=bzcat;; *) c=zcat;; esac; $c $f | grep -c '<package '",
		  a.buf);
	assert_int_equal(atoi(out.buf), 4);
	/* a repository in a new directory: the files are linked into it */
	ab_buf_reset(&out);
	ab_buf_addf(&a, "/../repo");
	if (pkg_rpm_repo(a.buf, pa, 4, MTIME, &err) < 0)
		fail_msg("%s", err.msg.buf);
	TU_RUN_OK(&out, "ls '%s'", a.buf);
	tu_expect_contains(&out, "demo-python3-six-1.16-1.noarch.rpm\nrepodata\n");
	free_paths(pa, 4);
	free_paths(pb, 4);
	free_set(&g);
	ab_buf_release(&out);
	ab_buf_release(&a);
	ab_buf_release(&b);
	ab_err_release(&err);
}

/* One package cannot be built: the error of the lowest failing package,
 * and nothing in the output directory. */
static void failure_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf out = AB_BUF_INIT, dir = AB_BUF_INIT;
	char **paths = NULL;
	tu_sh_ok("set -e; cd '%s/stage'; : >'demo/opt/demo/app/bad*name'; "
		 ": >'demo-python3-localver/opt/demo/bad[x]'",
		 f->dir);
	ab_buf_addf(&dir, "%s/fail", f->dir);
	tu_sh_ok("mkdir -p '%s'", dir.buf);
	assert_int_equal(pkg_rpm_write_all(&f->set, dir.buf, 3, &paths, &err), -AB_E_UNSUPPORTED);
	assert_null(paths);
	assert_string_equal(err.msg.buf,
			    "path '/opt/demo/bad[x]' has a character an RPM file list cannot hold");
	TU_RUN_OK(&out, "ls -A '%s' | wc -l", dir.buf);
	assert_string_equal(out.buf, "0\n");
	ab_buf_release(&out);
	ab_buf_release(&dir);
	ab_err_release(&err);
}

static void bad_user(void **state)
{
	struct fixture *f = *state;
	struct ab_err err = AB_ERR_INIT;
	char *path = NULL;
	f->pkgs[3].user = "Bad;rm -rf /";
	assert_int_equal(pkg_rpm_write(&f->set, 3, f->dir, &path, &err), -AB_E_INVALID);
	assert_string_equal(err.msg.buf,
			    "invalid system user name 'Bad;rm -rf /' ([a-z_][a-z0-9_-]*, "
			    "at most 32)");
	assert_null(path);
	ab_err_release(&err);
}

static void repo_errors(void **state)
{
	struct fixture *f = *state;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf d = AB_BUF_INIT;
	ab_buf_addf(&d, "%s/no/such/dir", f->dir);
	assert_int_equal(pkg_rpm_repo(d.buf, NULL, 0, MTIME, &err), -AB_E_IO);
	ab_err_clear(&err);
	/* a file where the RPM should be */
	char *const missing[] = { "/nonexistent/x.rpm" };
	ab_buf_reset(&d);
	ab_buf_addf(&d, "%s/repo2", f->dir);
	assert_int_equal(pkg_rpm_repo(d.buf, missing, 1, MTIME, &err), -AB_E_IO);
	ab_buf_release(&d);
	ab_err_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(describe, setup, teardown),
		cmocka_unit_test_setup_teardown(build_lint_install, setup, teardown),
		cmocka_unit_test_setup_teardown(reproducible, setup, teardown),
		cmocka_unit_test_setup_teardown(failure_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(repo_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_user, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
