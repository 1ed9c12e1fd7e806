/* testutil.c - helpers shared by the cmocka unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/core/mem.h"
#include "tests/unit/testutil.h"

const char *tu_shared(void)
{
	const char *s = getenv("SHARED");
	struct stat st;
	if (!s || !*s)
		s = "../shared";
	if (stat(s, &st) != 0 || !S_ISDIR(st.st_mode))
		fail_msg("the shared test data '%s' is missing (set SHARED)", s);
	return s;
}

const char *tu_shared_abs(void)
{
	static char abs[PATH_MAX];
	if (!abs[0] && !realpath(tu_shared(), abs))
		fail_msg("the shared test data '%s' is missing (set SHARED)", tu_shared());
	return abs;
}

json_t *tu_load_vector(const char *name)
{
	struct ab_buf path = AB_BUF_INIT;
	json_error_t jerr;
	ab_buf_addf(&path, "%s/vectors/%s", tu_shared(), name);
	json_t *root = json_load_file(path.buf, 0, &jerr);
	if (!root)
		fail_msg("cannot read %s (set SHARED to the shared directory): %s", path.buf,
			 jerr.text);
	ab_buf_release(&path);
	return root;
}

char *tu_mkdtemp(const char *prefix)
{
	struct ab_buf b = AB_BUF_INIT;
	ab_buf_addf(&b, "/tmp/%sXXXXXX", prefix);
	if (!mkdtemp(b.buf))
		fail_msg("cannot create a temporary directory '%s'", b.buf);
	return ab_buf_detach(&b);
}

void tu_rmrf(char *dir)
{
	if (!dir)
		return;
	tu_run(NULL, "rm -rf '%s'", dir);
	free(dir);
}

static int vrun(struct ab_buf *out, const char *fmt, va_list ap)
{
	struct ab_buf cmd = AB_BUF_INIT;
	ab_buf_adds(&cmd, "{ ");
	ab_buf_vaddf(&cmd, fmt, ap);
	ab_buf_adds(&cmd, "\n} 2>&1");
	FILE *p = popen(cmd.buf, "r");
	if (!p)
		fail_msg("cannot run: %s", cmd.buf);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (out)
			ab_buf_add(out, chunk, n);
	int st = pclose(p);
	ab_buf_release(&cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int tu_run(struct ab_buf *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int st = vrun(out, fmt, ap);
	va_end(ap);
	return st;
}

void tu_sh_ok(const char *fmt, ...)
{
	struct ab_buf out = AB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int st = vrun(&out, fmt, ap);
	va_end(ap);
	if (st != 0) {
		struct ab_buf cmd = AB_BUF_INIT;
		va_start(ap, fmt);
		ab_buf_vaddf(&cmd, fmt, ap);
		va_end(ap);
		fail_msg("command failed (%d): %s\n%s", st, cmd.buf, out.buf);
	}
	ab_buf_release(&out);
}

int tu_read_file(const char *path, struct ab_buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ab_buf_add(b, chunk, n);
	fclose(f);
	return 0;
}

void tu_expect_contains(const struct ab_buf *b, const char *needle)
{
	if (!strstr(b->buf, needle))
		fail_msg("'%s' not found in:\n%s", needle, b->buf);
}

char *tu_tags_str(const struct tag *tags, size_t n)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i)
			ab_buf_addc(&b, ' ');
		tag_format(&tags[i], &b);
	}
	return ab_buf_detach(&b);
}
