/* core_test.c - ab_buf, ab_err, ab_arena, ab_str. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/arena.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/mem.h"

static void buf_invariants(void **state)
{
	struct ab_buf b = AB_BUF_INIT;
	assert_non_null(b.buf);
	assert_string_equal(b.buf, "");
	ab_buf_addf(&b, "%s-%d", "flask", 3);
	ab_buf_addc(&b, '!');
	assert_string_equal(b.buf, "flask-3!");
	assert_int_equal(b.len, 8);
	ab_buf_truncate(&b, 5);
	assert_string_equal(b.buf, "flask");
	char *s = ab_buf_detach(&b);
	assert_string_equal(s, "flask");
	assert_string_equal(b.buf, "");
	free(s);
	ab_buf_release(&b);
}

static void buf_cap(void **state)
{
	struct ab_buf b;
	ab_buf_init(&b, 4);
	assert_int_equal(ab_buf_adds(&b, "abcd"), 0);
	assert_int_equal(ab_buf_addc(&b, 'e'), -1);
	assert_string_equal(b.buf, "abcd");
	ab_buf_release(&b);
}

static void err_first_wins(void **state)
{
	struct ab_err e = AB_ERR_INIT;
	struct ab_loc loc = { "dependencies.txt", 12, 8 };
	assert_int_equal(ab_err_at(&e, AB_E_PARSE, &loc, "expected version after '%s'", "=="),
			 -AB_E_PARSE);
	assert_int_equal(ab_err_set(&e, AB_E_IO, "later"), -AB_E_IO);
	ab_err_note(&e, "included from base.txt:3");
	struct ab_buf out = AB_BUF_INIT;
	ab_err_format(&e, &out);
	assert_string_equal(out.buf, "dependencies.txt:12:8: error: expected version after '=='");
	assert_int_equal(e.code, AB_E_PARSE);
	assert_string_equal(e.notes.buf, "included from base.txt:3");
	ab_buf_release(&out);
	ab_err_release(&e);
}

static void err_locate(void **state)
{
	struct ab_err e = AB_ERR_INIT;
	struct ab_loc loc = { NULL, 0, 3 };
	ab_err_at(&e, AB_E_PARSE, &loc, "bad");
	ab_err_locate(&e, "x.txt", 4, 10);
	struct ab_buf out = AB_BUF_INIT;
	ab_err_format(&e, &out);
	assert_string_equal(out.buf, "x.txt:4:13: error: bad");
	ab_buf_release(&out);
	ab_err_release(&e);
}

static void arena_many(void **state)
{
	struct ab_arena a = AB_ARENA_INIT;
	for (int i = 0; i < 10000; i++) {
		char *p = ab_arena_strdup(&a, "werkzeug");
		assert_string_equal(p, "werkzeug");
		assert_int_equal((uintptr_t)p % 16, 0);
	}
	char *big = ab_arena_alloc(&a, 1 << 20);
	memset(big, 'x', 1 << 20);
	ab_arena_release(&a);
}

static void arena_reset_reuses(void **state)
{
	struct ab_arena a = AB_ARENA_INIT;
	char *first = ab_arena_alloc(&a, 100);
	char *big = ab_arena_alloc(&a, 200 * 1024); /* a second, big chunk */
	ab_arena_reset(&a);
	assert_null(a.head);
	/* the next allocation comes from a kept chunk, not from malloc */
	char *again = ab_arena_alloc(&a, 100);
	assert_true(again == first || again == big);
	memset(again, 0, 100);
	ab_arena_release(&a);
	assert_null(a.head);
	assert_null(a.spare);
}

static void str_views(void **state)
{
	struct ab_str s = ab_str_trim(ab_str_from("  flask \t\n"));
	assert_true(ab_str_eq_cstr(s, "flask"));
	assert_true(ab_str_ieq_cstr(s, "FLASK"));
	assert_int_equal(ab_str_chr(s, 'a'), 2);
	assert_int_equal(ab_str_chr(s, 'z'), -1);
	assert_true(ab_str_startswith(s, "fl"));
	assert_true(ab_str_endswith(s, "sk"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_invariants), cmocka_unit_test(buf_cap),
		cmocka_unit_test(err_first_wins), cmocka_unit_test(err_locate),
		cmocka_unit_test(arena_many),     cmocka_unit_test(arena_reset_reuses),
		cmocka_unit_test(str_views),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
