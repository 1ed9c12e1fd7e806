/* vec_markers.c - markers.json: str(Marker) and Marker.evaluate() in the
 * named environments (plus overrides and `extra`), including which error
 * evaluation raises. One count per marker, all its evaluations included. */
#include <stdlib.h>
#include <string.h>

#include "formats/marker.h"
#include "tests/vectors/vec.h"

static int var_index(const char *name)
{
	for (int v = 0; v < MARKER_VAR__COUNT; v++)
		if (!strcmp(marker_var_name(v), name))
			return v;
	return -1;
}

/* Fill env from a JSON object of variable -> string; unknown keys fail. */
static bool env_apply(struct marker_env *env, json_t *obj)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		int i = var_index(k);
		if (i < 0 || !json_is_string(v))
			return false;
		env->vars[i] = json_string_value(v);
	}
	return true;
}

static const char *error_class(const struct ab_err *e)
{
	if (!strncmp(e->msg.buf, "undefined environment name", 26))
		return "UndefinedEnvironmentName";
	if (!strncmp(e->msg.buf, "undefined comparison", 20))
		return "UndefinedComparison";
	return e->msg.buf;
}

static bool check_evals(json_t *c, const char *in, struct marker *m, json_t *envs,
			struct vec_run *r)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(c, "evaluations"), i, e) {
		struct marker_env env = { { NULL } };
		const char *name = vec_str(e, "environment");
		const char *extra = vec_str(e, "extra");
		const char *want_err = vec_str(e, "error");
		int want = vec_tristate(e, "result");
		if (!env_apply(&env, json_object_get(envs, name)) ||
		    !env_apply(&env, json_object_get(e, "overrides"))) {
			vec_fail(r, in, "bad environment '%s'", name);
			return false;
		}
		/* "extra": null = no key; the reference then uses "" */
		env.vars[MARKER_VAR_EXTRA] = extra ? extra : "";
		struct ab_err err = AB_ERR_INIT;
		int got = marker_evaluate(m, &env, &err);
		bool ok;
		if (want_err)
			ok = got < 0 && !strcmp(error_class(&err), want_err);
		else
			ok = got == want;
		if (!ok)
			vec_fail(r, in, "in %s (extra %s): got %s, want %s", name,
				 extra ? extra : "null",
				 got < 0 ? err.msg.buf : got ? "true" : "false",
				 want_err ? want_err : want ? "true" : "false");
		ab_err_release(&err);
		if (!ok)
			return false;
	}
	return true;
}

void vec_markers(json_t *root, struct vec_run *r)
{
	size_t i;
	json_t *c;
	json_t *envs = json_object_get(root, "environments");
	json_array_foreach(json_object_get(root, "cases"), i, c) {
		const char *in = vec_str(c, "marker");
		struct marker *m = NULL;
		struct ab_err err = AB_ERR_INIT;
		struct ab_buf b = AB_BUF_INIT;
		int rc = marker_parse(ab_str_from(in), &m, &err);
		bool want = vec_tristate(c, "valid") == 1;
		if (want && rc < 0) {
			vec_fail(r, in, "rejected (%s at col %u), want valid", err.msg.buf, err.col);
		} else if (!want && rc >= 0) {
			vec_fail(r, in, "accepted, want %s", vec_str(c, "error"));
		} else if (!want) {
			vec_pass(r);
		} else {
			marker_format(m, &b);
			if (strcmp(b.buf, vec_str(c, "normalized")))
				vec_fail(r, in, "str() '%s', want '%s'", b.buf, vec_str(c, "normalized"));
			else if (check_evals(c, in, m, envs, r))
				vec_pass(r);
		}
		ab_buf_release(&b);
		marker_free(m);
		ab_err_release(&err);
	}
}
