/* vec_distfiles.c - NEEDSWORK(#4): not written yet. */
#include "tests/vectors/vec.h"

void vec_distfiles(json_t *root, struct vec_run *r)
{
	(void)root;
	(void)r;
}
