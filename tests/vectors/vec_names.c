/* vec_names.c - names.json cases[]: canonicalize_name, the PyPA name rule,
 * and the name Requirement() parses. */
#include <stdlib.h>
#include <string.h>

#include "formats/names.h"
#include "formats/pep508.h"
#include "tests/vectors/vec.h"

void vec_names(json_t *root, struct vec_run *r)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(root, "cases"), i, c) {
		const char *in = vec_str(c, "input");
		struct ab_str s = ab_str_from(in);
		char *canon = name_canonical_dup(s);
		bool valid = name_is_valid(s), norm = name_is_normalized(s);
		const char *want_req = vec_str(c, "requirement_name");
		struct pep508_req req = PEP508_REQ_INIT;
		struct ab_err err = AB_ERR_INIT;
		int pr = pep508_parse(s, &req, &err);
		const char *got_req = pr < 0 ? NULL : req.name;
		if (strcmp(canon, vec_str(c, "canonical")))
			vec_fail(r, in, "canonical '%s', want '%s'", canon, vec_str(c, "canonical"));
		else if (valid != (vec_tristate(c, "valid") == 1))
			vec_fail(r, in, "valid %d", valid);
		else if (norm != (vec_tristate(c, "normalized") == 1))
			vec_fail(r, in, "normalized %d", norm);
		else if ((want_req == NULL) != (got_req == NULL) ||
			 (want_req && strcmp(want_req, got_req)))
			vec_fail(r, in, "requirement name '%s', want '%s'", got_req ? got_req : "(null)",
				 want_req ? want_req : "(null)");
		else
			vec_pass(r);
		free(canon);
		pep508_release(&req);
		ab_err_release(&err);
	}
}
