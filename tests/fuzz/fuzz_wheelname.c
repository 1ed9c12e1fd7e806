/* fuzz_wheelname.c - wheel and sdist file names and tag strings on
 * arbitrary bytes: every parse checked for its invariants, formatted back,
 * ranked against a fixed target, and released. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/distfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tags_supported sup;
static bool have_sup;

static void check_tags(const struct tag_set *s)
{
	if (s->n == 0 || s->n > TAGS_PARSE_LIMIT)
		abort();
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < s->n; i++) {
		const struct tag *t = &s->tags[i];
		if (!*t->interpreter || !*t->abi || !*t->platform)
			abort();
		tag_format(t, &b);
		ab_buf_addc(&b, ' ');
	}
	/* a formatted single tag parses back to itself */
	struct tag_set again = TAG_SET_INIT;
	struct ab_buf one = AB_BUF_INIT;
	tag_format(&s->tags[0], &one);
	if (tags_parse(ab_buf_str(&one), &again, NULL) != 0 || again.n != 1 ||
	    strcmp(again.tags[0].interpreter, s->tags[0].interpreter) ||
	    strcmp(again.tags[0].abi, s->tags[0].abi) ||
	    strcmp(again.tags[0].platform, s->tags[0].platform))
		abort();
	tag_set_release(&again);
	ab_buf_release(&one);
	ab_buf_release(&b);
	long r = tags_supported_rank(&sup, s);
	if (r >= (long)sup.n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!have_sup) {
		struct tags_target t = { .py_major = 3, .py_minor = 11, .os = TAGS_OS_LINUX,
					 .arch = "x86_64", .libc = TAGS_LIBC_GLIBC,
					 .os_major = 2, .os_minor = 36 };
		if (tags_supported(&t, &sup, NULL) != 0)
			abort();
		have_sup = true;
	}
	struct ab_str in = ab_str_make((const char *)data, size);
	struct ab_err err = AB_ERR_INIT;

	struct tag_set set = TAG_SET_INIT;
	if (tags_parse(in, &set, &err) == 0)
		check_tags(&set);
	else if (err.code != AB_E_PARSE || set.tags)
		abort();
	tag_set_release(&set);
	ab_err_clear(&err);

	struct distfile_wheel w;
	if (distfile_wheel_parse(in, &w, &err) == 0) {
		struct ab_buf b = AB_BUF_INIT;
		pep440_version_format(w.version, &b);
		if (!w.name || (w.has_build && (!w.build_num || !w.build_suffix)))
			abort();
		check_tags(&w.tags);
		(void)distfile_build_cmp(&w, &w);
		ab_buf_release(&b);
		distfile_wheel_release(&w);
	} else if (err.code != AB_E_PARSE || w.name || w.version || w.tags.tags) {
		abort();
	}
	ab_err_clear(&err);

	struct distfile_sdist s;
	if (distfile_sdist_parse(in, &s, &err) == 0) {
		struct ab_buf b = AB_BUF_INIT;
		pep440_version_format(s.version, &b);
		if (!s.name)
			abort();
		ab_buf_release(&b);
		distfile_sdist_release(&s);
	} else if (err.code != AB_E_PARSE || s.name || s.version) {
		abort();
	}
	ab_err_release(&err);
	return 0;
}
