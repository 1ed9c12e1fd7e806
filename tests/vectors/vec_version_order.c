/* vec_version_order.c - NEEDSWORK(#4): not written yet. */
#include "tests/vectors/vec.h"

void vec_version_order(json_t *root, struct vec_run *r)
{
	(void)root;
	(void)r;
}
