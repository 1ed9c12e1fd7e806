/* fuzz_reqfile.c - reqfile_parse_file on an in-memory tree + release.
 *
 * The input is up to three files separated by "\0\0": d.txt (the entry),
 * a.txt and sub/b.txt, so -r/-c includes and cycles are reachable. The first
 * byte picks the flags. Every kept line is formatted (comes_from, pep508). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/reqfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tree {
	struct ab_str files[3];
};

static const char *const names[3] = { "d.txt", "a.txt", "sub/b.txt" };

static int mem_read(void *data, const char *path, struct ab_buf *out)
{
	struct tree *t = data;
	/* accept the names as pip joins them from the root and from sub/ */
	if (!strncmp(path, "sub/../", 7))
		path += 7;
	for (int i = 0; i < 3; i++)
		if (!strcmp(path, names[i]) || (i == 2 && !strcmp(path, "sub/sub/b.txt"))) {
			ab_buf_addstr(out, t->files[i]);
			return 0;
		}
	return ENOENT;
}

static bool mem_exists(void *data, const char *path)
{
	return strstr(path, "wheels") != NULL;
}

static const char *mem_getenv(void *data, const char *name)
{
	if (!strcmp(name, "A"))
		return "--pre";
	if (!strcmp(name, "B"))
		return "${A} x";
	if (!strcmp(name, "C"))
		return "";
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	unsigned flags = data[0] & (REQFILE_STRICT | REQFILE_NO_INCLUDES);
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	struct tree t = { { AB_STR_NULL, AB_STR_NULL, AB_STR_NULL } };
	for (int i = 0; i < 3; i++) {
		const char *q = p;
		while (q + 1 < end && !(q[0] == '\0' && q[1] == '\0'))
			q++;
		if (q + 1 >= end)
			q = end;
		t.files[i] = ab_str_make(p, (size_t)(q - p));
		p = q < end ? q + 2 : end;
		if (p > end)
			p = end;
	}
	struct reqfile_io io = { mem_read, mem_exists, &t };
	struct reqfile_config cfg = { 0 };
	cfg.io = &io;
	cfg.getenv = mem_getenv;
	cfg.cwd = "/app";
	cfg.flags = flags;
	struct reqfile rf = REQFILE_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf b = AB_BUF_INIT;
	if (reqfile_parse_file(&rf, "d.txt", &cfg, &err) < 0)
		ab_err_format(&err, &b);
	for (size_t i = 0; i < rf.nlines; i++) {
		const struct reqfile_line *l = &rf.lines[i];
		if (!l->file || !l->lineno)
			abort();
		reqfile_comes_from(l, &b);
		if (l->req)
			pep508_format(l->req, &b);
		if (l->marker)
			marker_format(l->marker, &b);
		if (l->kind != REQFILE_OPTIONS && !l->requirement)
			abort();
	}
	reqfile_release(&rf);
	ab_err_release(&err);
	ab_buf_release(&b);
	return 0;
}
