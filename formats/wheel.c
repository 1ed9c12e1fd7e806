/* wheel.c - WHEEL, RECORD and entry_points.txt (see wheel.h). */
#include "formats/wheel.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/metadata.h"

int wheel_info_parse(struct ab_str text, struct wheel_info *out, struct ab_err *err)
{
	struct metadata_msg m = METADATA_MSG_INIT;
	int r = 0;

	memset(out, 0, sizeof(*out));
	/* pip: email.parser.Parser().parsestr(), then message["..."] */
	metadata_msg_parse(text, &m);
	const struct metadata_header *v = metadata_msg_get(&m, "Wheel-Version");
	const struct metadata_header *p = metadata_msg_get(&m, "Root-Is-Purelib");
	if (!v) {
		r = ab_err_set(err, AB_E_PARSE, "missing 'Wheel-Version'");
		goto out;
	}
	/* pip: tuple(map(int, value.strip().split("."))); digits only here */
	struct ab_str s = ab_str_trim(v->value);
	struct ab_loc loc = { NULL, v->line, v->col };
	unsigned part[2] = { 0, 0 }, nparts = 0;
	size_t i = 0;
	for (;;) {
		size_t start = i;
		unsigned long x = 0;
		while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
			if (x < 1000000)
				x = x * 10 + (unsigned)(s.ptr[i] - '0');
			i++;
		}
		if (i == start) {
			r = ab_err_at(err, AB_E_PARSE, &loc, "invalid Wheel-Version '" AB_STR_FMT "'",
				      AB_STR_ARG(s));
			goto out;
		}
		if (nparts < 2)
			part[nparts] = (unsigned)x;
		nparts++;
		if (i == s.len)
			break;
		if (s.ptr[i] != '.') {
			r = ab_err_at(err, AB_E_PARSE, &loc, "invalid Wheel-Version '" AB_STR_FMT "'",
				      AB_STR_ARG(s));
			goto out;
		}
		i++;
	}
	if (part[0] > 1) {
		r = ab_err_at(err, AB_E_UNSUPPORTED, &loc,
			      "Wheel-Version '" AB_STR_FMT "' is not supported (1.x is)",
			      AB_STR_ARG(s));
		goto out;
	}
	out->major = part[0];
	out->minor = part[1];
	/* pip: metadata.get("Root-Is-Purelib", "").lower() == "true" */
	out->root_is_purelib = p && ab_str_ieq_cstr(ab_str_trim(p->value), "true");
out:
	metadata_msg_release(&m);
	return r;
}

/* ------------------------------------------------------------------ */
/* RECORD */

void wheel_record_release(struct wheel_record *r)
{
	ab_arena_release(&r->arena);
	r->n = 0;
	r->rows = NULL;
}

struct field {
	struct ab_str v;
	unsigned col;
};

/* One csv row starting at text[*pos]; fields into f (at most 4 kept, the
 * count in *nf). Advances *pos past the row and its line ending(s). The
 * csv module's states, restricted to the default dialect (strict off):
 * a quote opens a quoted field only at the start of a field, a doubled
 * quote inside is one quote, text after a closing quote is kept. */
static int csv_row(struct ab_str text, size_t *pos, unsigned *line, struct ab_arena *arena,
		   struct field f[4], size_t *nf, struct ab_err *err)
{
	size_t i = *pos, n = text.len;
	const char *p = text.ptr;
	size_t line_start = i;
	unsigned row_line = *line;
	*nf = 0;
	for (;;) {
		struct field cur = { { p + i, 0 }, (unsigned)(i - line_start + 1) };
		if (i < n && p[i] == '"') {
			/* quoted: build the value (quotes and line breaks make it differ
			 * from the input) */
			struct ab_buf b = AB_BUF_INIT;
			i++;
			for (;;) {
				if (i >= n) {
					ab_buf_release(&b);
					struct ab_loc loc = { NULL, row_line, cur.col };
					return ab_err_at(err, AB_E_PARSE, &loc,
							 "unterminated quoted field");
				}
				char c = p[i];
				if (c == '"') {
					if (i + 1 < n && p[i + 1] == '"') {
						ab_buf_addc(&b, '"');
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (c == '\r' || c == '\n') {
					/* csv over splitlines(): the row goes on with the next
					 * line, the line break itself is dropped */
					if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
						i++;
					i++;
					(*line)++;
					line_start = i;
					continue;
				}
				ab_buf_addc(&b, c);
				i++;
			}
			/* text after the closing quote is appended (non-strict csv) */
			while (i < n && p[i] != ',' && p[i] != '\r' && p[i] != '\n')
				ab_buf_addc(&b, p[i++]);
			cur.v.len = b.len;
			cur.v.ptr = ab_arena_strndup(arena, b.buf, b.len);
			ab_buf_release(&b);
		} else {
			while (i < n && p[i] != ',' && p[i] != '\r' && p[i] != '\n')
				i++;
			cur.v.len = (size_t)(p + i - cur.v.ptr);
		}
		if (*nf < 4)
			f[*nf] = cur;
		(*nf)++;
		if (i < n && p[i] == ',') {
			i++;
			continue;
		}
		break;
	}
	if (i < n && p[i] == '\r')
		i++;
	if (i < n && p[i] == '\n')
		i++;
	(*line)++;
	*pos = i;
	return 0;
}

int wheel_record_parse(struct ab_str text, struct wheel_record *out, struct ab_err *err)
{
	size_t pos = 0, cap = 0;
	unsigned line = 1;
	struct wheel_record_row *rows = NULL;
	int r = 0;

	memset(out, 0, sizeof(*out));
	while (pos < text.len) {
		struct field f[4];
		size_t nf;
		unsigned row_line = line;
		r = csv_row(text, &pos, &line, &out->arena, f, &nf, err);
		if (r < 0)
			goto fail;
		if (nf == 1 && f[0].v.len == 0)
			continue; /* a blank line: csv yields [] */
		struct ab_loc loc = { NULL, row_line, 0 };
		if (nf > 3) {
			loc.col = f[3].col;
			r = ab_err_at(err, AB_E_PARSE, &loc, "more than three fields in a RECORD row");
			goto fail;
		}
		if (f[0].v.len == 0) {
			loc.col = f[0].col;
			r = ab_err_at(err, AB_E_PARSE, &loc, "empty path in a RECORD row");
			goto fail;
		}
		struct wheel_record_row row = { f[0].v, AB_STR_NULL, AB_STR_NULL, -1, row_line };
		row.algo.ptr = row.digest.ptr = "";
		if (nf > 1 && f[1].v.len) {
			long eq = ab_str_chr(f[1].v, '=');
			if (eq <= 0 || (size_t)eq + 1 == f[1].v.len) {
				loc.col = f[1].col;
				r = ab_err_at(err, AB_E_PARSE, &loc,
					      "invalid hash '" AB_STR_FMT "' (expected 'algo=digest')",
					      AB_STR_ARG(f[1].v));
				goto fail;
			}
			row.algo = ab_str_make(f[1].v.ptr, (size_t)eq);
			row.digest = ab_str_skip(f[1].v, (size_t)eq + 1);
		}
		if (nf > 2 && f[2].v.len) {
			int64_t sz = 0;
			for (size_t k = 0; k < f[2].v.len; k++) {
				char c = f[2].v.ptr[k];
				if (c < '0' || c > '9' || sz > (INT64_MAX - 9) / 10) {
					loc.col = f[2].col;
					r = ab_err_at(err, AB_E_PARSE, &loc,
						      "invalid size '" AB_STR_FMT "'",
						      AB_STR_ARG(f[2].v));
					goto fail;
				}
				sz = sz * 10 + (c - '0');
			}
			row.size = sz;
		}
		AB_GROW(rows, cap, out->n + 1);
		rows[out->n++] = row;
	}
	if (out->n) {
		out->rows = ab_arena_alloc(&out->arena, out->n * sizeof(*rows));
		memcpy(out->rows, rows, out->n * sizeof(*rows));
	}
	free(rows);
	return 0;
fail:
	free(rows);
	wheel_record_release(out);
	return r;
}

static void csv_field(struct ab_buf *out, struct ab_str s)
{
	bool quote = false;
	for (size_t i = 0; i < s.len && !quote; i++)
		quote = s.ptr[i] == ',' || s.ptr[i] == '"' || s.ptr[i] == '\r' || s.ptr[i] == '\n';
	if (!quote) {
		ab_buf_addstr(out, s);
		return;
	}
	ab_buf_addc(out, '"');
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] == '"')
			ab_buf_addc(out, '"');
		ab_buf_addc(out, s.ptr[i]);
	}
	ab_buf_addc(out, '"');
}

void wheel_record_row_format(struct ab_buf *out, struct ab_str path, const char *hash,
			     int64_t size)
{
	csv_field(out, path);
	ab_buf_addc(out, ',');
	if (hash)
		csv_field(out, ab_str_from(hash));
	ab_buf_addc(out, ',');
	if (size >= 0)
		ab_buf_addf(out, "%lld", (long long)size);
	ab_buf_addc(out, '\n');
}

size_t wheel_b64url(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

void wheel_record_hash(const unsigned char digest[32], char out[52])
{
	memcpy(out, "sha256=", 7);
	wheel_b64url(digest, 32, out + 7);
}

/* ------------------------------------------------------------------ */
/* entry_points.txt */

void wheel_entry_points_release(struct wheel_entry_points *e)
{
	free(e->eps);
	e->eps = NULL;
	e->n = 0;
}

static bool is_word(char c)
{
	/* ASCII \w; a non-ASCII byte counts too (identifiers may be Unicode) */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || (unsigned char)c >= 0x80;
}

/* Longest run of word characters and dots from s[*i]. */
static struct ab_str dotted(struct ab_str s, size_t *i)
{
	size_t st = *i;
	while (*i < s.len && (is_word(s.ptr[*i]) || s.ptr[*i] == '.'))
		(*i)++;
	return ab_str_make(s.ptr + st, *i - st);
}

static size_t skip_ws(struct ab_str s, size_t i)
{
	while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t'))
		i++;
	return i;
}

int wheel_entry_points_parse(struct ab_str text, struct wheel_entry_points *out,
			     struct ab_err *err)
{
	size_t pos = 0, cap = 0;
	unsigned line = 0;
	int section = 0; /* 0: other, 1: console_scripts, 2: gui_scripts */
	int r = 0;

	memset(out, 0, sizeof(*out));
	while (pos < text.len) {
		size_t st = pos;
		while (pos < text.len && text.ptr[pos] != '\n' && text.ptr[pos] != '\r')
			pos++;
		struct ab_str raw = ab_str_make(text.ptr + st, pos - st);
		if (pos < text.len && text.ptr[pos] == '\r') {
			pos++;
			if (pos < text.len && text.ptr[pos] == '\n')
				pos++;
		} else if (pos < text.len && text.ptr[pos] == '\n') {
			pos++;
		}
		line++;
		struct ab_str l = ab_str_trim(raw);
		if (!l.len || l.ptr[0] == '#' || l.ptr[0] == ';')
			continue;
		unsigned col0 = (unsigned)(l.ptr - raw.ptr) + 1;
		struct ab_loc loc = { NULL, line, col0 };
		if (l.ptr[0] == '[') {
			if (l.ptr[l.len - 1] != ']') {
				r = ab_err_at(err, AB_E_PARSE, &loc, "expected ']' after section name");
				goto fail;
			}
			struct ab_str name = ab_str_trim(ab_str_make(l.ptr + 1, l.len - 2));
			section = ab_str_eq_cstr(name, "console_scripts")  ? 1
				  : ab_str_eq_cstr(name, "gui_scripts") ? 2
									  : 0;
			continue;
		}
		if (!section)
			continue;
		long eq = ab_str_chr(l, '=');
		if (eq < 0) {
			r = ab_err_at(err, AB_E_PARSE, &loc, "expected 'name = module:attr'");
			goto fail;
		}
		struct wheel_entry_point ep;
		memset(&ep, 0, sizeof(ep));
		ep.name = ab_str_trim(ab_str_make(l.ptr, (size_t)eq));
		ep.gui = section == 2;
		ep.line = line;
		if (!ep.name.len || memchr(ep.name.ptr, '/', ep.name.len) ||
		    memchr(ep.name.ptr, '\0', ep.name.len) || ab_str_eq_cstr(ep.name, ".") ||
		    ab_str_eq_cstr(ep.name, "..")) {
			r = ab_err_at(err, AB_E_PARSE, &loc, "invalid script name '" AB_STR_FMT "'",
				      AB_STR_ARG(ep.name));
			goto fail;
		}
		struct ab_str v = ab_str_skip(l, (size_t)eq + 1);
		size_t vcol = col0 + (unsigned)eq + 1;
		size_t i = skip_ws(v, 0);
		ep.module = dotted(v, &i);
		i = skip_ws(v, i);
		if (i < v.len && v.ptr[i] == ':') {
			i = skip_ws(v, i + 1);
			ep.attr = dotted(v, &i);
			i = skip_ws(v, i);
		}
		if (ep.module.len && i < v.len && v.ptr[i] == '[') {
			/* extras: ignored by the script, as pip's */
			long close = ab_str_chr(ab_str_skip(v, i), ']');
			if (close > 0)
				i = skip_ws(v, i + (size_t)close + 1);
		}
		loc.col = (unsigned)(vcol + i);
		if (!ep.module.len || i != v.len) {
			r = ab_err_at(err, AB_E_PARSE, &loc,
				      "invalid entry point '" AB_STR_FMT "' for script '" AB_STR_FMT
				      "'",
				      AB_STR_ARG(ab_str_trim(v)), AB_STR_ARG(ep.name));
			goto fail;
		}
		if (!ep.attr.len) {
			/* pip: "A callable suffix is required." */
			r = ab_err_at(err, AB_E_PARSE, &loc,
				      "entry point '" AB_STR_FMT "' for script '" AB_STR_FMT
				      "' has no ':attr' callable",
				      AB_STR_ARG(ab_str_trim(v)), AB_STR_ARG(ep.name));
			goto fail;
		}
		AB_GROW(out->eps, cap, out->n + 1);
		out->eps[out->n++] = ep;
	}
	return 0;
fail:
	wheel_entry_points_release(out);
	return r;
}
