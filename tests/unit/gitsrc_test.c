/* gitsrc_test.c - git URLs, and the cache/resolve/checkout cycle on local
 * repositories made with the git CLI, over git+file:// (no network). */
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

#include "builder/gitdumb.h"
#include "builder/gitsrc.h"
#include "builder/http.h"
#include "builder/sdist.h"

static char tmp[256];

/* libgit2 1.5.1 (Debian 12) leaks pcre2 match data in its regex wrapper
 * (not ours to free); keep LeakSanitizer on for everything else. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void capture(char *out, size_t n, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, (int)n, p))
		out[0] = 0;
	out[strcspn(out, "\n")] = 0;
	pclose(p);
}

#define GIT "git -c user.name=t -c user.email=t@t -c init.defaultBranch=main " \
	    "-c protocol.file.allow=always -c commit.gpgsign=false -c tag.gpgsign=false"

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/gitsrc_test.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", tmp, 1); /* no user config, no credential helper */
	const char *t = tmp;
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; " GIT " init -q lib; cd lib; echo lib > lib.txt; git add .; "
		 GIT " commit -qm lib; cd ..; " GIT " init -q up; cd up; "
		 "echo one > a.txt; mkdir -p sub/pkg; echo 'x' > sub/pkg/setup.py; git add .; "
		 GIT " commit -qm c1; " GIT " tag -a v1 -m v1; " GIT " checkout -qb feature 2>/dev/null; "
		 "echo two > a.txt; " GIT " commit -qam c2; " GIT " checkout -q main; "
		 GIT " submodule -q add ../lib vendor/lib; " GIT " commit -qm sub",
		 t);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	return sdist_remove_tree(tmp, NULL);
}

struct url_case {
	const char *in;
	int code;
	const char *remote, *normalized, *ref, *egg, *subdir, *msg;
};

static const struct url_case urls[] = {
	{ "git+https://github.com/Org/App.git", 0, "https://github.com/Org/App.git",
	  "https://github.com/Org/App.git", NULL, NULL, NULL, NULL },
	{ "git+HTTPS://u:p@GitHub.com/org/app.git@v1.0#egg=app&subdirectory=src/app", 0,
	  "HTTPS://u:p@GitHub.com/org/app.git", "https://github.com/org/app.git", "v1.0", "app",
	  "src/app", NULL },
	{ "git+ssh://git@host/org/app@feature/x", 0, "ssh://git@host/org/app",
	  "ssh://host/org/app", "feature/x", NULL, NULL, NULL },
	{ "git+file:///srv/repo/@0123abcd", 0, "file:///srv/repo/", "file:///srv/repo",
	  "0123abcd", NULL, NULL, NULL },
	{ "git+git@github.com:org/app.git@main", 0, "git@github.com:org/app.git",
	  "ssh://github.com/org/app.git", "main", NULL, NULL, NULL },
	{ "git+https://h/r@", AB_E_PARSE, NULL, NULL, NULL, NULL, NULL,
	  "the URL 'git+https://h/r@' has an empty revision after '@'" },
	{ "git+https://h/r#subdirectory=../x", AB_E_PARSE, NULL, NULL, NULL, NULL, NULL,
	  "subdirectory '../x' must be a relative path inside the repository" },
	{ "hg+https://h/r", AB_E_UNSUPPORTED, NULL, NULL, NULL, NULL, NULL,
	  "version control scheme 'hg+https' is not supported: only git is" },
	{ "svn+ssh://h/r", AB_E_UNSUPPORTED, NULL, NULL, NULL, NULL, NULL,
	  "version control scheme 'svn+ssh' is not supported: only git is" },
	{ "bzr+lp:foo", AB_E_UNSUPPORTED, NULL, NULL, NULL, NULL, NULL,
	  "version control scheme 'bzr+lp' is not supported: only git is" },
	{ "git+ftp://h/r", AB_E_UNSUPPORTED, NULL, NULL, NULL, NULL, NULL,
	  "URL scheme 'git+ftp' is not supported for git" },
	{ "https://h/r", AB_E_PARSE, NULL, NULL, NULL, NULL, NULL,
	  "'https://h/r' is not a version control URL" },
};

static void check_str(const char *got, const char *want, size_t i)
{
	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want)))
		fail_msg("case %zu: got '%s', want '%s'", i, got ? got : "(null)",
			 want ? want : "(null)");
}

static void test_urls(void **state)
{
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct gitsrc_url u;
		struct ab_err err = AB_ERR_INIT;
		int r = gitsrc_url_parse(urls[i].in, &u, &err);
		if (r != -urls[i].code)
			fail_msg("case %zu: %d %s", i, r, err.msg.buf);
		if (r < 0) {
			check_str(err.msg.buf, urls[i].msg, i);
			assert_null(u.remote);
		} else {
			check_str(u.remote, urls[i].remote, i);
			check_str(u.normalized, urls[i].normalized, i);
			check_str(u.ref, urls[i].ref, i);
			check_str(u.egg, urls[i].egg, i);
			check_str(u.subdirectory, urls[i].subdir, i);
		}
		gitsrc_url_release(&u);
		ab_err_release(&err);
	}
}

static void resolve(const char *ref, char commit[41], struct gitsrc_stats *st, int want)
{
	char spec[1024];
	snprintf(spec, sizeof(spec), "git+file://%s/up%s%s", tmp, ref ? "@" : "", ref ? ref : "");
	struct gitsrc_url u;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(gitsrc_url_parse(spec, &u, &err), 0);
	char cache[512];
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	mkdir(cache, 0755);
	int r = gitsrc_resolve(cache, &u, commit, st, &err);
	if (r != want)
		fail_msg("%s: %d %s", spec, r, err.msg.buf);
	gitsrc_url_release(&u);
	ab_err_release(&err);
}

static void test_resolve(void **state)
{
	char c[41], want[64];
	struct gitsrc_stats st;
	resolve(NULL, c, &st, 0);
	capture(want, sizeof(want), "git -C %s/up rev-parse main", tmp);
	assert_string_equal(c, want);
	assert_true(st.cloned);
	assert_true(st.fetched);

	resolve("v1", c, &st, 0);
	capture(want, sizeof(want), "git -C %s/up rev-parse 'v1^{commit}'", tmp);
	assert_string_equal(c, want);
	assert_false(st.cloned);

	resolve("feature", c, &st, 0);
	capture(want, sizeof(want), "git -C %s/up rev-parse feature", tmp);
	assert_string_equal(c, want);

	/* a cached full commit id: no network */
	resolve(want, c, &st, 0);
	assert_string_equal(c, want);
	assert_false(st.fetched);
	/* an abbreviated one */
	char abbrev[9];
	memcpy(abbrev, want, 8);
	abbrev[8] = 0;
	resolve(abbrev, c, &st, 0);
	assert_string_equal(c, want);

	/* a new commit, and a force-pushed branch: fetched on the next run */
	sh("cd %s/up && echo three > a.txt && " GIT " commit -qam c3", tmp);
	resolve("main", c, &st, 0);
	capture(want, sizeof(want), "git -C %s/up rev-parse main", tmp);
	assert_string_equal(c, want);
	assert_true(st.fetched);
	assert_false(st.cloned);
	sh("cd %s/up && " GIT " checkout -q feature 2>/dev/null && " GIT " commit -q --amend -m c2b && "
	   GIT " checkout -q main", tmp);
	resolve("feature", c, &st, 0);
	capture(want, sizeof(want), "git -C %s/up rev-parse feature", tmp);
	assert_string_equal(c, want);

	resolve("nope", c, &st, -AB_E_RESOLVE);
	resolve("deadbeef", c, &st, -AB_E_RESOLVE);
}

static void test_checkout(void **state)
{
	char c[41];
	resolve("main", c, NULL, 0);
	char spec[1024], cache[512], work[512], p[1024];
	snprintf(spec, sizeof(spec), "git+file://%s/up@main#subdirectory=sub/pkg", tmp);
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	snprintf(work, sizeof(work), "%s/work", tmp);
	struct gitsrc_url u;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(gitsrc_url_parse(spec, &u, &err), 0);
	if (gitsrc_checkout(cache, &u, c, work, &err) < 0)
		fail_msg("%s", err.msg.buf);
	snprintf(p, sizeof(p), "%s/%s/setup.py", work, u.subdirectory);
	assert_int_equal(access(p, R_OK), 0);
	snprintf(p, sizeof(p), "%s/vendor/lib/lib.txt", work);
	assert_int_equal(access(p, R_OK), 0); /* the submodule */
	char head[64];
	capture(head, sizeof(head), "git -C %s rev-parse HEAD", work);
	assert_string_equal(head, c);
	capture(head, sizeof(head), "git -C %s status --porcelain --ignore-submodules | wc -l",
		work);
	assert_string_equal(head, "0");
	/* the workdir must not exist */
	assert_int_equal(gitsrc_checkout(cache, &u, c, work, &err), -AB_E_IO);
	ab_err_clear(&err);
	snprintf(work, sizeof(work), "%s/work2", tmp);
	assert_int_equal(gitsrc_checkout(cache, &u, "0000000000000000000000000000000000000001",
					 work, &err),
			 -AB_E_RESOLVE);
	assert_int_equal(access(work, F_OK), -1);
	gitsrc_url_release(&u);
	ab_err_release(&err);
}

static void test_unreachable(void **state)
{
	char spec[1024], cache[512], c[41];
	snprintf(spec, sizeof(spec), "git+file://%s/missing-repo@main", tmp);
	snprintf(cache, sizeof(cache), "%s/cache2", tmp);
	mkdir(cache, 0755);
	struct gitsrc_url u;
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(gitsrc_url_parse(spec, &u, &err), 0);
	assert_int_equal(gitsrc_resolve(cache, &u, c, NULL, &err), -AB_E_NETWORK);
	assert_non_null(strstr(err.msg.buf, "cannot reach git repository"));
	/* nothing half-written in the cache */
	char cmd[1024], out[64];
	snprintf(cmd, sizeof(cmd), "ls -A %s/git | wc -l", cache);
	capture(out, sizeof(out), "%s", cmd);
	assert_string_equal(out, "0");
	gitsrc_url_release(&u);
	ab_err_release(&err);
}

/* The dumb protocol's walk over file:// (libcurl ignores the probe's query
 * there, as a static HTTP server does): loose objects into an empty mirror,
 * a repository packed with `repack -a -d`, then an incremental fetch of new
 * loose objects on top of the pack, then an object missing on the server. */
static int dumb_fetch(const char *remote, const char *mirror, struct ab_err *err,
		      unsigned *requests)
{
	git_repository *repo = NULL;
	struct gitdumb d;
	int r = gitdumb_open(&d, remote, err);
	if (r == 1) {
		if (git_repository_open_bare(&repo, mirror) < 0)
			assert_int_equal(git_repository_init(&repo, mirror, 1), 0);
		r = gitdumb_fetch(&d, repo, err);
		if (requests)
			*requests = http_client_stats(d.http)->requests;
	}
	git_repository_free(repo);
	gitdumb_release(&d);
	return r;
}

static void test_dumb(void **state)
{
	char remote[512], m1[512], m2[512], want[64], got[64];
	struct ab_err err = AB_ERR_INIT;
	const char *t = tmp;
	git_libgit2_init();
	snprintf(remote, sizeof(remote), "file://%s/dumb.git", t);
	snprintf(m1, sizeof(m1), "%s/m1", t);
	snprintf(m2, sizeof(m2), "%s/m2", t);
	sh("cd %s && " GIT " clone -q --bare up dumb.git && git -C dumb.git update-server-info", t);

	/* not a repository at all: 0, the caller's error stands */
	char nowhere[512];
	snprintf(nowhere, sizeof(nowhere), "file://%s/nowhere.git", t);
	assert_int_equal(dumb_fetch(nowhere, m1, &err, NULL), 0);
	assert_int_equal(err.code, 0);

	/* loose objects; HEAD is the symref to main */
	struct gitdumb d;
	assert_int_equal(gitdumb_open(&d, remote, &err), 1);
	assert_string_equal(d.list[0]->name, "HEAD");
	assert_string_equal(d.list[0]->symref_target, "refs/heads/main");
	gitdumb_release(&d);
	assert_int_equal(dumb_fetch(remote, m1, &err, NULL), 0);
	sh("git --git-dir=%s fsck --no-dangling --no-progress >/dev/null 2>&1", m1);
	capture(want, sizeof(want), "git -C %s/up rev-parse v1^{commit} feature main", t);
	capture(got, sizeof(got), "git --git-dir=%s rev-parse v1^{commit} feature main", m1);
	assert_string_equal(got, want);

	/* everything in one pack */
	sh("cd %s/dumb.git && git prune --expire=now && git repack -q -a -d && "
	   "git update-server-info && "
	   "test -z \"$(find objects -path 'objects/[0-9a-f][0-9a-f]/*' -type f)\"", t);
	unsigned n = 0;
	assert_int_equal(dumb_fetch(remote, m2, &err, &n), 0);
	/* the fetch's own requests: 3 tips not loose (404), objects/info/packs,
	 * the pack */
	assert_int_equal(n, 5);
	sh("git --git-dir=%s fsck --no-dangling --no-progress >/dev/null 2>&1", m2);

	/* a new commit pushed as loose objects: only they are asked for
	 * (commit, tree, blob) */
	sh("cd %s/up && echo dumb5 > a.txt && " GIT " commit -qam d5 && "
	   GIT " push -q ../dumb.git main && git -C ../dumb.git update-server-info", t);
	assert_int_equal(dumb_fetch(remote, m2, &err, &n), 0);
	assert_int_equal(n, 3);
	capture(want, sizeof(want), "git -C %s/up rev-parse main", t);
	capture(got, sizeof(got), "git --git-dir=%s rev-parse main", m2);
	assert_string_equal(got, want);
	sh("git --git-dir=%s fsck --no-dangling --no-progress >/dev/null 2>&1", m2);

	/* an object missing on the server: an error, the mirror unchanged */
	sh("cd %s/up && echo dumb4 > a.txt && " GIT " commit -qam d4 && "
	   GIT " push -q ../dumb.git main && git -C ../dumb.git update-server-info && "
	   "b=$(git rev-parse main:a.txt) && "
	   "rm ../dumb.git/objects/$(echo $b | cut -c1-2)/$(echo $b | cut -c3-)", t);
	char blob[64], msg[1024];
	capture(blob, sizeof(blob), "git -C %s/up rev-parse main:a.txt", t);
	assert_int_equal(dumb_fetch(remote, m2, &err, NULL), -AB_E_NETWORK);
	snprintf(msg, sizeof(msg), "cannot fetch from '%s': object %s is not on the server", remote,
		 blob);
	assert_string_equal(err.msg.buf, msg);
	capture(got, sizeof(got), "git --git-dir=%s rev-parse main", m2);
	assert_string_equal(got, want);
	capture(got, sizeof(got), "ls %s | grep -c dumb", m2);
	assert_string_equal(got, "0");
	capture(got, sizeof(got), "git --git-dir=%s cat-file -t $(git -C %s/up rev-parse main) 2>&1",
		m2, t);
	assert_non_null(strstr(got, "fatal"));
	ab_err_release(&err);
	git_libgit2_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_checkout),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_dumb),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
