/* yamldoc.c - one libyaml document, walked by hand with errors at nodes.
 *
 * The walkers never go deeper than their schema, so aliases that form cycles
 * cannot make them loop. */
#include "formats/yamldoc.h"

#include <stdlib.h>

#include "formats/core/buf.h"
#include "formats/suggest.h"

/* libyaml's reader reports byte offsets, not marks. */
static struct ab_loc offset_loc(struct ab_str text, size_t off, const char *file)
{
	struct ab_loc loc = { file, 1, 1 };
	for (size_t i = 0; i < off && i < text.len; i++) {
		if (text.ptr[i] == '\n') {
			loc.line++;
			loc.col = 1;
		} else {
			loc.col++;
		}
	}
	return loc;
}

static int parser_error(struct yamldoc *y)
{
	yaml_parser_t *p = &y->parser;
	struct ab_loc loc;
	if (p->error == YAML_MEMORY_ERROR)
		return ab_err_set(y->err, AB_E_INTERNAL, "out of memory parsing yaml");
	if (p->error == YAML_READER_ERROR)
		loc = offset_loc(y->text, p->problem_offset, y->file);
	else
		loc = (struct ab_loc){ y->file, (unsigned)p->problem_mark.line + 1,
				       (unsigned)p->problem_mark.column + 1 };
	int r = ab_err_at(y->err, AB_E_PARSE, &loc, "%s",
			  p->problem ? p->problem : "invalid yaml");
	if (p->context && p->error != YAML_READER_ERROR)
		ab_err_note(y->err, "%s at line %u, column %u", p->context,
			    (unsigned)p->context_mark.line + 1,
			    (unsigned)p->context_mark.column + 1);
	return r;
}

int yamldoc_load(struct yamldoc *y, struct ab_str text, const char *file, unsigned flags,
		 struct ab_err *err)
{
	*y = (struct yamldoc){ .file = file, .err = err, .flags = flags, .text = text };
	if (!yaml_parser_initialize(&y->parser))
		return ab_err_set(err, AB_E_INTERNAL, "cannot initialize the yaml parser");
	y->have_parser = true;
	yaml_parser_set_input_string(&y->parser,
				     (const unsigned char *)(text.len ? text.ptr : ""), text.len);
	if (!yaml_parser_load(&y->parser, &y->doc))
		return parser_error(y);
	y->have_doc = true;
	return 0;
}

yaml_node_t *yamldoc_root(struct yamldoc *y)
{
	yaml_node_t *root = y->have_doc ? yaml_document_get_root_node(&y->doc) : NULL;
	return root && !yamldoc_is_null(root) ? root : NULL;
}

int yamldoc_finish(struct yamldoc *y)
{
	yaml_document_t extra;
	if (!yaml_parser_load(&y->parser, &extra))
		return parser_error(y);
	int r = 0;
	if (yaml_document_get_root_node(&extra)) {
		struct ab_loc loc = { y->file, (unsigned)extra.start_mark.line + 1,
				      (unsigned)extra.start_mark.column + 1 };
		r = ab_err_at(y->err, AB_E_PARSE, &loc,
			      "expected a single yaml document, found a second one");
	}
	yaml_document_delete(&extra);
	return r;
}

void yamldoc_release(struct yamldoc *y)
{
	if (y->have_doc)
		yaml_document_delete(&y->doc);
	if (y->have_parser)
		yaml_parser_delete(&y->parser);
	y->have_doc = y->have_parser = false;
}

struct ab_loc yamldoc_loc(const struct yamldoc *y, const yaml_node_t *n)
{
	return (struct ab_loc){ y->file, (unsigned)n->start_mark.line + 1,
				(unsigned)n->start_mark.column + 1 };
}

struct ab_str yamldoc_scalar(const yaml_node_t *n)
{
	return ab_str_make((const char *)n->data.scalar.value, n->data.scalar.length);
}

bool yamldoc_is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	struct ab_str s = yamldoc_scalar(n);
	return s.len == 0 || ab_str_eq_cstr(s, "~") || ab_str_eq_cstr(s, "null") ||
	       ab_str_eq_cstr(s, "Null") || ab_str_eq_cstr(s, "NULL");
}

const char *yamldoc_type_name(const yaml_node_t *n)
{
	if (yamldoc_is_null(n))
		return "null";
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

int yamldoc_expected(struct yamldoc *y, const yaml_node_t *n, const char *what, const char *key)
{
	struct ab_loc loc = yamldoc_loc(y, n);
	return ab_err_at(y->err, AB_E_PARSE, &loc, "expected %s for '%s', got %s", what, key,
			 yamldoc_type_name(n));
}

int yamldoc_get_string(struct yamldoc *y, const yaml_node_t *n, const char *key, char **out)
{
	if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n))
		return yamldoc_expected(y, n, "a string", key);
	free(*out);
	*out = ab_str_dup(yamldoc_scalar(n));
	return 0;
}

void yamldoc_note_choices(struct yamldoc *y, struct ab_str word, const char *const *choices,
			  size_t n)
{
	const char *hint = y->flags & YAMLDOC_SUGGEST ? suggest_closest(word, choices, n) : NULL;
	if (hint) {
		ab_err_note(y->err, "did you mean '%s'?", hint);
		return;
	}
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		ab_buf_addf(&b, "%s'%s'", i ? ", " : "", choices[i]);
	ab_err_note(y->err, "expected one of %s", b.buf);
	ab_buf_release(&b);
}

int yamldoc_map_begin(struct yamldoc *y, struct yamldoc_map *it, const yaml_node_t *map,
		      const char *key)
{
	if (map->type != YAML_MAPPING_NODE) {
		if (key)
			return yamldoc_expected(y, map, "a mapping", key);
		struct ab_loc loc = yamldoc_loc(y, map);
		return ab_err_at(y->err, AB_E_PARSE, &loc,
				 "expected a mapping at the top level, got %s",
				 yamldoc_type_name(map));
	}
	it->pair = map->data.mapping.pairs.start;
	it->end = map->data.mapping.pairs.top;
	it->seen = 0;
	return 0;
}

int yamldoc_map_next(struct yamldoc *y, struct yamldoc_map *it, const char *const *keys,
		     size_t nkeys, const char *where, yaml_node_t **k, yaml_node_t **v)
{
	if (it->pair >= it->end)
		return YAMLDOC_MAP_END;
	*k = yaml_document_get_node(&y->doc, it->pair->key);
	*v = yaml_document_get_node(&y->doc, it->pair->value);
	it->pair++;
	if (!*k || !*v)
		return ab_err_set(y->err, AB_E_INTERNAL, "yaml node missing");
	struct ab_loc loc = yamldoc_loc(y, *k);
	if ((*k)->type != YAML_SCALAR_NODE)
		return ab_err_at(y->err, AB_E_PARSE, &loc, "expected a string key%s%s, got %s",
				 where ? " in " : "", where ? where : "", yamldoc_type_name(*k));
	if (!keys)
		return 0;
	struct ab_str name = yamldoc_scalar(*k);
	for (size_t i = 0; i < nkeys; i++) {
		if (!ab_str_eq_cstr(name, keys[i]))
			continue;
		if (it->seen & (1UL << i))
			return ab_err_at(y->err, AB_E_PARSE, &loc, "duplicate key '%s'", keys[i]);
		it->seen |= 1UL << i;
		return (int)i;
	}
	int r = ab_err_at(y->err, AB_E_PARSE, &loc, "unknown key '" AB_STR_FMT "'%s%s",
			  AB_STR_ARG(name), where ? " in " : "", where ? where : "");
	yamldoc_note_choices(y, name, keys, nkeys);
	return r;
}
