/* yamldoc.h - walking one libyaml document by hand, with errors at nodes.
 *
 * The shared part of the hand-written schema walkers (formats/appconfig.c,
 * builder/supervisor/supconf.c): load exactly one document, name node types,
 * check scalars and mappings, iterate a mapping's pairs against the known
 * keys (unknown and repeated keys are errors at the key). Every error goes
 * to the `struct ab_err` given to yamldoc_load() with file:line:col from
 * libyaml's marks (1-based). Depends on libyaml, formats/core and
 * formats/suggest only: the supervisor binary links it. */
#ifndef AB_YAMLDOC_H
#define AB_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "formats/core/err.h"
#include "formats/core/str.h"

enum yamldoc_flags {
	/* An unknown key or choice gets "did you mean 'x'?" when one is close
	 * (formats/suggest.h); without it, and when none is close, the note
	 * lists every choice. */
	YAMLDOC_SUGGEST = 1 << 0,
};

struct yamldoc {
	yaml_document_t doc; /* valid after a successful yamldoc_load() */
	const char *file;    /* for error locations; may be NULL; not owned */
	struct ab_err *err;  /* where every error goes; not owned */
	unsigned flags;      /* enum yamldoc_flags */
	/* private */
	yaml_parser_t parser;
	struct ab_str text;
	bool have_parser, have_doc;
};

/* Parse the first document of `text` (which must outlive `y`). Returns 0, or
 * a negative -AB_E_* with the error in `err` (AB_E_PARSE at libyaml's
 * problem mark, AB_E_INTERNAL when out of memory). Call yamldoc_release()
 * afterwards in every case. */
int yamldoc_load(struct yamldoc *y, struct ab_str text, const char *file, unsigned flags,
		 struct ab_err *err);

/* The root node, or NULL for an empty document ("", "---") or a null root. */
yaml_node_t *yamldoc_root(struct yamldoc *y);

/* Check that no second document follows the first (it would otherwise be
 * silently ignored). Call after walking the first, so its errors come first.
 * Returns 0 or a negative -AB_E_*. */
int yamldoc_finish(struct yamldoc *y);

/* Free the parser and the document; `y` may be partly loaded. */
void yamldoc_release(struct yamldoc *y);

/* The node's start as file:line:col. */
struct ab_loc yamldoc_loc(const struct yamldoc *y, const yaml_node_t *n);

/* A scalar node's text (a view into the document). */
struct ab_str yamldoc_scalar(const yaml_node_t *n);

/* YAML's null, as a plain scalar: "", "~", "null", "Null", "NULL". */
bool yamldoc_is_null(const yaml_node_t *n);

/* "null", "a scalar", "a sequence", "a mapping" (or "nothing"), for messages. */
const char *yamldoc_type_name(const yaml_node_t *n);

/* Error "expected WHAT for 'KEY', got TYPE" at `n`; returns -AB_E_PARSE. */
int yamldoc_expected(struct yamldoc *y, const yaml_node_t *n, const char *what, const char *key);

/* A non-null scalar's text into *out (malloc'd; the old *out is freed; the
 * caller frees the new one). Else yamldoc_expected(..., "a string", key). */
int yamldoc_get_string(struct yamldoc *y, const yaml_node_t *n, const char *key, char **out);

/* Add a note on the error just set for an unknown `word`: "did you mean
 * 'x'?" (with YAMLDOC_SUGGEST and a close choice), else "expected one of
 * 'a', 'b'". */
void yamldoc_note_choices(struct yamldoc *y, struct ab_str word, const char *const *choices,
			  size_t n);

/* Iterating a mapping's pairs; at most 64 known keys (the repeat check is a
 * bitmask). */
struct yamldoc_map {
	yaml_node_pair_t *pair, *end;
	unsigned long seen; /* bitmask over the known keys: duplicates */
};

/* yamldoc_map_next()'s end of mapping: distinct from every -AB_E_* code. */
#define YAMLDOC_MAP_END (-1 - AB_E_INTERNAL)

/* Start iterating `map`. Not a mapping: yamldoc_expected(..., "a mapping",
 * key), or with key NULL "expected a mapping at the top level, got TYPE". */
int yamldoc_map_begin(struct yamldoc *y, struct yamldoc_map *it, const yaml_node_t *map,
		      const char *key);

/* The next pair of the mapping: sets *k (a scalar) and *v. The key must be one
 * of `keys` (any scalar when keys is NULL) and not repeated. Returns the key's
 * index in `keys` (0 when keys is NULL), YAMLDOC_MAP_END after the last pair,
 * or a negative -AB_E_* (an unknown key gets yamldoc_note_choices()). `where`
 * names the mapping in messages ("unknown key 'x' in WHERE"; NULL: nothing). */
int yamldoc_map_next(struct yamldoc *y, struct yamldoc_map *it, const char *const *keys,
		     size_t nkeys, const char *where, yaml_node_t **k, yaml_node_t **v);

#endif
