/* fs_test.c - formats/core/fs: the sorted tree walk (order, post calls,
 * pruning, changes made by the callback, stopping, errors) and the small
 * file helpers it sits with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/fs.h"
#include "tests/unit/testutil.h"

/* What a walk saw, one line a call: "REL KIND" (KIND f, d, l, or d/ for a
 * post call), with the callback's instructions in the context. */
struct seen {
	struct ab_buf log;
	const char *prune;  /* rel of a directory not to enter */
	const char *stop;   /* rel where the callback fails */
	bool rmdir_empty;   /* post: remove the directory when empty */
	size_t root_len;    /* expected path - rel offset */
};

static int record(const struct ab_walk_entry *e, void *ctx)
{
	struct seen *s = ctx;
	const char *kind = S_ISDIR(e->st->st_mode) ? (e->post ? "d/" : "d")
			   : S_ISLNK(e->st->st_mode) ? "l"
						     : "f";
	assert_ptr_equal(e->rel, e->path + s->root_len);
	assert_ptr_equal(e->name, strrchr(e->path, '/') + 1);
	ab_buf_addf(&s->log, "%s %s\n", e->rel, kind);
	if (s->stop && !strcmp(e->rel, s->stop))
		return ab_err_set(NULL, AB_E_INVALID, "stop");
	if (s->prune && !e->post && !strcmp(e->rel, s->prune))
		return AB_WALK_PRUNE;
	if (s->rmdir_empty && e->post && rmdir(e->path) < 0 && errno != ENOTEMPTY)
		fail_msg("rmdir %s: %s", e->path, strerror(errno));
	return 0;
}

static char *tree;

/* tree/{b/{z,a/deep/x,empty/}, a.txt, c -> a.txt, B, A/} created in an
 * order that is not the sorted one */
static int setup(void **state)
{
	(void)state;
	tree = tu_mkdtemp("fs_test.");
	tu_sh_ok("cd '%s' && mkdir -p b/empty b/a/deep A && echo z >b/z && echo x >b/a/deep/x && "
		 "echo t >a.txt && ln -s a.txt c && echo B >B",
		 tree);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(tree);
	tree = NULL;
	return 0;
}

static void walk_sorted_preorder(void **state)
{
	(void)state;
	struct seen s = { AB_BUF_INIT, NULL, NULL, false, strlen(tree) };
	struct ab_err err = AB_ERR_INIT;
	assert_int_equal(ab_walk(tree, 0, record, &s, &err), 0);
	assert_string_equal(s.log.buf, "/A d\n"
				       "/B f\n"
				       "/a.txt f\n"
				       "/b d\n"
				       "/b/a d\n"
				       "/b/a/deep d\n"
				       "/b/a/deep/x f\n"
				       "/b/empty d\n"
				       "/b/z f\n"
				       "/c l\n");
	ab_buf_release(&s.log);

	/* trailing slashes are not part of the root */
	struct ab_buf root = AB_BUF_INIT;
	ab_buf_addf(&root, "%s//", tree);
	struct seen s2 = { AB_BUF_INIT, "/b", NULL, false, strlen(tree) };
	assert_int_equal(ab_walk(root.buf, AB_WALK_POST, record, &s2, &err), 0);
	/* pruned: neither its contents nor its post call */
	assert_string_equal(s2.log.buf, "/A d\n/A d/\n/B f\n/a.txt f\n/b d\n/c l\n");
	ab_buf_release(&s2.log);
	ab_buf_release(&root);
	ab_err_release(&err);
}

static void walk_post_removes_empty(void **state)
{
	(void)state;
	struct seen s = { AB_BUF_INIT, NULL, NULL, true, strlen(tree) };
	struct ab_err err = AB_ERR_INIT;
	tu_sh_ok("mkdir -p '%s/e1/e2/e3'", tree);
	assert_int_equal(ab_walk(tree, AB_WALK_POST, record, &s, &err), 0);
	/* children first, then the directory once they are done */
	tu_expect_contains(&s.log, "/e1 d\n/e1/e2 d\n/e1/e2/e3 d\n/e1/e2/e3 d/\n/e1/e2 d/\n"
				   "/e1 d/\n");
	tu_expect_contains(&s.log, "/b/a/deep/x f\n/b/a/deep d/\n/b/a d/\n");
	struct stat st;
	assert_int_equal(lstat(tree, &st), 0);
	struct ab_buf p = AB_BUF_INIT;
	const char *gone[] = { "/e1", "/A", "/b/empty" };
	for (size_t i = 0; i < 3; i++) {
		ab_buf_reset(&p);
		ab_buf_addf(&p, "%s%s", tree, gone[i]);
		assert_int_not_equal(lstat(p.buf, &st), 0);
	}
	ab_buf_reset(&p);
	ab_buf_addf(&p, "%s/b/a/deep/x", tree);
	assert_int_equal(lstat(p.buf, &st), 0);
	ab_buf_release(&p);
	ab_buf_release(&s.log);
	ab_err_release(&err);
}

static void walk_stops_and_fails(void **state)
{
	(void)state;
	struct ab_err err = AB_ERR_INIT;

	/* the callback's error ends the walk and is returned */
	struct seen s = { AB_BUF_INIT, NULL, "/b/a/deep", false, strlen(tree) };
	assert_int_equal(ab_walk(tree, AB_WALK_POST, record, &s, &err), -AB_E_INVALID);
	assert_string_equal(s.log.buf, "/A d\n/A d/\n/B f\n/a.txt f\n/b d\n/b/a d\n/b/a/deep d\n");
	ab_buf_release(&s.log);

	/* a root that is not there, or not a directory */
	struct ab_buf root = AB_BUF_INIT, want = AB_BUF_INIT;
	const char *bad[][2] = { { "/nope", "No such file or directory" },
				 { "/a.txt", "Not a directory" } };
	for (size_t i = 0; i < 2; i++) {
		ab_buf_reset(&root);
		ab_buf_addf(&root, "%s%s", tree, bad[i][0]);
		ab_buf_reset(&want);
		ab_buf_addf(&want, "cannot open directory '%s': %s", root.buf, bad[i][1]);
		struct seen s2 = { AB_BUF_INIT, NULL, NULL, false, root.len };
		assert_int_equal(ab_walk(root.buf, 0, record, &s2, &err), -AB_E_IO);
		assert_int_equal(err.code, AB_E_IO);
		assert_string_equal(err.msg.buf, want.buf);
		assert_null(err.file);
		assert_int_equal(s2.log.len, 0);
		ab_err_release(&err);
		/* AB_WALK_LOCATE: the same error, at the path */
		assert_int_equal(ab_walk(root.buf, AB_WALK_LOCATE, record, &s2, &err), -AB_E_IO);
		assert_string_equal(err.msg.buf, want.buf);
		assert_non_null(err.file);
		assert_string_equal(err.file, root.buf);
		ab_err_release(&err);
	}

	/* an unreadable directory below the root (root ignores permissions) */
	if (geteuid() != 0) {
		ab_buf_reset(&root);
		ab_buf_addf(&root, "%s/b/a", tree);
		assert_int_equal(chmod(root.buf, 0), 0);
		struct seen s3 = { AB_BUF_INIT, NULL, NULL, false, strlen(tree) };
		assert_int_equal(ab_walk(tree, 0, record, &s3, &err), -AB_E_IO);
		ab_buf_reset(&want);
		ab_buf_addf(&want, "cannot open directory '%s': Permission denied", root.buf);
		assert_string_equal(err.msg.buf, want.buf);
		chmod(root.buf, 0755);
		ab_buf_release(&s3.log);
		ab_err_release(&err);
	}
	ab_buf_release(&root);
	ab_buf_release(&want);
}

static int prune_all(const struct ab_walk_entry *e, void *ctx)
{
	struct seen *s = ctx;
	assert_ptr_equal(e->rel, e->path + 1);
	assert_int_equal(e->path[0], '/');
	assert_int_equal(e->path[1], '/');
	ab_buf_addf(&s->log, "%s\n", e->rel);
	return AB_WALK_PRUNE;
}

/* An empty root: no call; the walk of "/"-rooted paths keeps rel absolute. */
static void walk_empty_and_slash_root(void **state)
{
	(void)state;
	struct ab_err err = AB_ERR_INIT;
	char *empty = tu_mkdtemp("fs_test_empty.");
	struct seen s = { AB_BUF_INIT, NULL, NULL, false, strlen(empty) };
	assert_int_equal(ab_walk(empty, AB_WALK_POST, record, &s, &err), 0);
	assert_int_equal(s.log.len, 0);
	tu_rmrf(empty);

	/* "/": its entries are "//NAME" with rel "/NAME"; prune everything */
	struct seen r = { AB_BUF_INIT, NULL, NULL, false, 1 };
	assert_int_equal(ab_walk("/", 0, prune_all, &r, &err), 0);
	tu_expect_contains(&r.log, "/tmp\n");
	ab_buf_release(&r.log);
	ab_err_release(&err);
}

static void write_read_mkdir(void **state)
{
	(void)state;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf p = AB_BUF_INIT, got = AB_BUF_INIT;
	ab_buf_addf(&p, "%s/m/n/o", tree);
	assert_int_equal(ab_mkdir_p(p.buf, &err), 0);
	assert_int_equal(ab_mkdir_p(p.buf, &err), 0); /* existing: fine */
	ab_buf_adds(&p, "/f");
	assert_int_equal(ab_write_file(p.buf, "hello", 5, 0600, &err), 0);
	struct stat st;
	assert_int_equal(stat(p.buf, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(ab_read_file(p.buf, &got, &err), 0);
	assert_string_equal(got.buf, "hello");
	/* a file in the way of a directory */
	ab_buf_adds(&p, "/g");
	assert_int_equal(ab_mkdir_p(p.buf, &err), -AB_E_IO);
	tu_expect_contains(&err.msg, "cannot create directory '");
	ab_err_release(&err);
	assert_int_equal(ab_read_file(p.buf, &got, &err), -AB_E_IO);
	tu_expect_contains(&err.msg, "cannot read '");
	ab_err_release(&err);
	ab_buf_release(&p);
	ab_buf_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(walk_sorted_preorder, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_post_removes_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_stops_and_fails, setup, teardown),
		cmocka_unit_test(walk_empty_and_slash_root),
		cmocka_unit_test_setup_teardown(write_read_mkdir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
