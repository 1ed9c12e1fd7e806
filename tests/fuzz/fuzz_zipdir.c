/* fuzz_zipdir.c - EOCD search, central directory parse and member
 * extraction on arbitrary bytes taken as a whole zip file. */
#include <stdint.h>
#include <string.h>

#include "builder/zipdir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zipdir z = ZIPDIR_INIT;
	struct ab_err err = AB_ERR_INIT;
	struct ab_buf out = AB_BUF_INIT;
	const char *p = (const char *)data;
	if (zipdir_find_eocd(&z, ab_str_make(p, size), size, &err) < 0)
		goto out;
	if (zipdir_parse(&z, ab_str_make(p + z.cd_offset, z.cd_size), &err) < 0)
		goto out;
	for (size_t i = 0; i < z.n; i++) {
		const struct zipdir_entry *e = &z.entries[i];
		if (e->local_offset >= size)
			continue;
		uint64_t end = zipdir_entry_end(&z, e);
		if (end > size || end < e->local_offset)
			end = size;
		ab_buf_reset(&out);
		zipdir_extract(ab_str_make(p + e->local_offset, end - e->local_offset), e, 1 << 20,
			       &out, NULL);
	}
	(void)zipdir_wheel_metadata(&z);
out:
	zipdir_release(&z);
	ab_buf_release(&out);
	ab_err_release(&err);
	return 0;
}
