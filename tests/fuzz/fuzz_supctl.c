/* fuzz_supctl.c - the supervisor's control protocol parser on arbitrary
 * bytes (issue #8: the socket accepts lines from any process of the user):
 * never crash, never read past the line, and a parsed command formats to a
 * line that parses back to the same command. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/supervisor/supctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so ASan sees any read past the end */
	char *line = malloc(size ? size : 1);
	if (size)
		memcpy(line, data, size);
	struct supctl_cmd c, again;
	struct ab_err err = AB_ERR_INIT;
	int r = supctl_parse(ab_str_make(line, size), &c, &err);
	if (r < 0) {
		if (err.code != AB_E_PARSE || !err.msg.len || err.col == 0 ||
		    err.col > size + 1)
			abort();
	} else {
		struct ab_buf b = AB_BUF_INIT;
		struct ab_err err2 = AB_ERR_INIT;
		supctl_format(&c, &b);
		if (supctl_parse(ab_buf_str(&b), &again, &err2) < 0)
			abort();
		if (again.op != c.op || again.json != c.json || again.instance != c.instance ||
		    again.count != c.count || again.sig != c.sig ||
		    !ab_str_eq(again.name, c.name))
			abort();
		ab_err_release(&err2);
		ab_buf_release(&b);
	}
	ab_err_release(&err);
	free(line);
	return 0;
}
