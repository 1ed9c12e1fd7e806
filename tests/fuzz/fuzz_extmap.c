/* fuzz_extmap.c - the mapping table parser and the dependency mapping on
 * arbitrary bytes: never crash, never leak; a parsed table is sorted,
 * unique and linked; an error carries a line. Input: TABLE [NUL EXTDEPS]
 * (the built-in table maps EXTDEPS when TABLE does not parse). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/extmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const target_names[] = { "debian", "ubuntu", "fedora", "rhel" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nul = memchr(p, '\0', size);
	struct ab_str table = ab_str_make(p, nul ? (size_t)(nul - p) : size);
	struct ab_str deps = nul ? ab_str_make(nul + 1, size - table.len - 1) : AB_STR_NULL;
	struct extmap m = EXTMAP_INIT;
	struct ab_err err = AB_ERR_INIT;
	const struct extmap *use = extmap_builtin();
	if (!use)
		abort();
	if (extmap_parse(&m, "t.tsv", table, &err) < 0) {
		if (err.code != AB_E_PARSE || !err.line || !err.msg.len)
			abort();
	} else {
		for (size_t i = 0; i < m.n; i++) {
			const struct extmap_row *r = &m.rows[i];
			if (i && strcasecmp(m.rows[i - 1].key, r->key) >= 0)
				abort();
			if (m.rows[r->primary].name || (!r->name && r->primary != i))
				abort();
			if (extmap_find(&m, r->key) != r)
				abort();
		}
		/* an override of the first key and a new one keep it sorted */
		const char *const pkgs[EXTMAP_NCOLS] = { "libx1", NULL, "x-libs", NULL };
		if (m.n && extmap_override(&m, m.rows[0].key, pkgs, NULL, &err) < 0)
			abort();
		if (extmap_override(&m, "zz-new", pkgs, NULL, &err) < 0)
			abort();
		for (size_t i = 1; i < m.n; i++)
			if (strcasecmp(m.rows[i - 1].key, m.rows[i].key) >= 0)
				abort();
		use = &m;
	}
	ab_err_clear(&err);

	struct extdeps d = EXTDEPS_INIT;
	if (deps.ptr && extdeps_parse(&d, "e.txt", deps, &err) == 0) {
		struct ab_buf out = AB_BUF_INIT;
		for (size_t t = 0; t < sizeof(target_names) / sizeof(*target_names); t++) {
			struct extmap_target tg;
			if (extmap_target_parse(target_names[t], &tg, &err) < 0)
				abort();
			struct extmap_deps x = EXTMAP_DEPS_INIT;
			for (size_t i = 0; i < d.n; i++) {
				ab_err_clear(&err);
				if (extmap_map_entry(use, &d.entries[i], "e.txt", &tg, &x, &err) <
					    0 &&
				    (!err.line || !err.msg.len))
					abort();
				/* the same versions through the checker and formatter directly */
				for (size_t k = 0; k < d.entries[i].nclauses; k++) {
					ab_err_clear(&err);
					extmap_check_version(tg.family,
							     d.entries[i].clauses[k].version, &err);
				}
			}
			for (size_t i = 0; i < x.n; i++) {
				extmap_format_clause(tg.family, x.deps[i].package, -1, NULL, &out);
				for (size_t k = 0; k < x.deps[i].nclauses; k++) {
					ab_err_clear(&err);
					if (extmap_check_version(tg.family,
								 x.deps[i].clauses[k].version,
								 &err) < 0)
						abort(); /* mapped versions are valid */
					extmap_format_clause(tg.family, x.deps[i].package,
							     (int)x.deps[i].clauses[k].op,
							     x.deps[i].clauses[k].version, &out);
				}
			}
			extmap_deps_release(&x);
		}
		ab_buf_release(&out);
	}
	extdeps_release(&d);
	extmap_release(&m);
	ab_err_release(&err);
	return 0;
}
