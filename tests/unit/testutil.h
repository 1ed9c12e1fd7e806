/* testutil.h - helpers shared by the cmocka unit tests (prefix tu_).
 *
 * The Makefile links tests/unit/testutil.c into every tests/unit/X_test
 * binary. Include after <cmocka.h>. The helpers that "fail the test" call
 * fail_msg(), which ends the running test (or fixture) there. */
#ifndef AB_TESTUTIL_H
#define AB_TESTUTIL_H

#include <jansson.h>
#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/tags.h"

/* The shared test data: $SHARED, or ../shared when it is unset or empty.
 * Fails the test loudly when that is not a directory (a missing ../shared
 * is a failure, never a skip). Returns a static string. */
const char *tu_shared(void);

/* The same as an absolute path (file:// URLs need one); static. */
const char *tu_shared_abs(void);

/* The vector file tu_shared()/vectors/NAME, parsed (json_decref() it);
 * fails the test when it cannot be read. */
json_t *tu_load_vector(const char *name);

/* A new empty directory /tmp/<prefix>XXXXXX. Returns it malloc'd (free it,
 * or pass it to tu_rmrf()); fails the test when mkdtemp() fails. */
char *tu_mkdtemp(const char *prefix);

/* `rm -rf dir`, then free(dir); NULL does nothing. */
void tu_rmrf(char *dir);

/* Runs the command (a printf format) with /bin/sh as "{ CMD\n} 2>&1",
 * appends what it prints, stdout and stderr, to `out` (NULL: discarded).
 * Returns its exit status, 128 when it did not exit normally. */
int tu_run(struct ab_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* tu_run() into `o` (a struct ab_buf *), failing the test with the output
 * when the command exits non-zero. */
#define TU_RUN_OK(o, ...)                                                  \
	do {                                                               \
		if (tu_run((o), __VA_ARGS__) != 0)                         \
			fail_msg("command failed:\n%s", (o)->buf);         \
	} while (0)

/* Runs the command like tu_run(), failing the test (with the command and
 * what it printed) unless it exits 0. */
void tu_sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Appends the bytes of the file at `path` to `b`. Returns 0, or -1 when it
 * cannot be opened. */
int tu_read_file(const char *path, struct ab_buf *b);

/* Fails the test, showing `b`, unless `needle` occurs in it. */
void tu_expect_contains(const struct ab_buf *b, const char *needle);

/* The tags formatted "a b c" in their order (malloc'd; the caller frees). */
char *tu_tags_str(const struct tag *tags, size_t n);

#endif
