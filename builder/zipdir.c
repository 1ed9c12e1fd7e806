/* zipdir.c - minimal zip central directory reader (PKWARE APPNOTE 6.3.10). */
#include "builder/zipdir.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define SIG_CEN 0x02014b50u
#define SIG_LOC 0x04034b50u

static uint16_t u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t u64(const unsigned char *p)
{
	return (uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32;
}

int zipdir_find_eocd(struct zipdir *z, struct ab_str tail, uint64_t file_size, struct ab_err *err)
{
	const unsigned char *t = (const unsigned char *)tail.ptr;
	if (tail.len < 22 || tail.len > file_size)
		return ab_err_set(err, AB_E_PARSE, "not a zip file: no end of central directory");
	uint64_t tail_off = file_size - tail.len;
	/* scan backwards: the record is 22 bytes plus a comment of up to 64 KiB */
	for (size_t i = tail.len - 22 + 1; i-- > 0;) {
		const unsigned char *e = t + i;
		if (u32(e) != SIG_EOCD)
			continue;
		size_t clen = u16(e + 20);
		if (i + 22 + clen != tail.len)
			continue; /* a signature inside the comment or file data */
		if (u16(e + 4) != 0 || u16(e + 6) != 0) /* disk numbers */
			return ab_err_set(err, AB_E_UNSUPPORTED,
					  "multi-disk zip files are not supported");
		uint64_t n = u16(e + 10), size = u32(e + 12), off = u32(e + 16);
		if (n == 0xFFFF || size == 0xFFFFFFFF || off == 0xFFFFFFFF) {
			/* zip64: the locator sits right before the EOCD */
			if (i < 20 || u32(e - 20) != SIG_LOC64)
				return ab_err_set(err, AB_E_PARSE, "zip64 locator missing");
			uint64_t r64 = u64(e - 20 + 8);
			/* in the tail, 56 bytes before the locator (no overflow:
			 * r64 comes from the file) */
			if (r64 < tail_off || r64 - tail_off > i - 20 ||
			    (i - 20) - (r64 - tail_off) < 56)
				return ab_err_set(
					err, AB_E_UNSUPPORTED,
					"zip64 end of central directory outside the tail");
			const unsigned char *r = t + (r64 - tail_off);
			if (u32(r) != SIG_EOCD64)
				return ab_err_set(err, AB_E_PARSE,
						  "bad zip64 end of central directory");
			n = u64(r + 32);
			size = u64(r + 40);
			off = u64(r + 48);
		}
		if (off > file_size || size > file_size - off)
			return ab_err_set(err, AB_E_PARSE, "central directory outside the file");
		z->cd_offset = off;
		z->cd_size = size;
		z->nentries = n;
		return 0;
	}
	return ab_err_set(err, AB_E_PARSE, "not a zip file: no end of central directory");
}

int zipdir_parse(struct zipdir *z, struct ab_str cd, struct ab_err *err)
{
	const unsigned char *p = (const unsigned char *)cd.ptr;
	size_t pos = 0, cap = 0;
	struct zipdir_entry *v = NULL;
	int r = 0;
	while (pos + 4 <= cd.len && u32(p + pos) == SIG_CEN) {
		if (cd.len - pos < 46) {
			r = ab_err_set(err, AB_E_PARSE, "truncated central directory record");
			goto out;
		}
		const unsigned char *c = p + pos;
		size_t nl = u16(c + 28), xl = u16(c + 30), cl = u16(c + 32);
		if (cd.len - pos - 46 < nl + xl + cl) {
			r = ab_err_set(err, AB_E_PARSE, "truncated central directory record");
			goto out;
		}
		AB_GROW(v, cap, z->n + 1);
		struct zipdir_entry *e = &v[z->n++];
		e->flags = u16(c + 8);
		e->method = u16(c + 10);
		e->crc = u32(c + 16);
		e->csize = u32(c + 20);
		e->usize = u32(c + 24);
		e->local_offset = u32(c + 42);
		e->name = ab_arena_strndup(&z->arena, (const char *)c + 46, nl);
		/* zip64 extended information (APPNOTE 4.5.3): only the fields
		 * whose 32-bit value is all ones, in this order */
		const unsigned char *x = c + 46 + nl, *xe = x + xl;
		while (xe - x >= 4) {
			uint16_t id = u16(x), sz = u16(x + 2);
			const unsigned char *d = x + 4;
			if ((size_t)(xe - d) < sz)
				break;
			if (id == 0x0001) {
				const unsigned char *q = d, *qe = d + sz;
				if (e->usize == 0xFFFFFFFF && qe - q >= 8) {
					e->usize = u64(q);
					q += 8;
				}
				if (e->csize == 0xFFFFFFFF && qe - q >= 8) {
					e->csize = u64(q);
					q += 8;
				}
				if (e->local_offset == 0xFFFFFFFF && qe - q >= 8)
					e->local_offset = u64(q);
			}
			x = d + sz;
		}
		pos += 46 + nl + xl + cl;
	}
	if (z->n == 0 && cd.len) {
		r = ab_err_set(err, AB_E_PARSE, "no central directory records");
		goto out;
	}
out:
	/* the entries move into the arena so the struct has one owner */
	if (z->n) {
		z->entries = ab_arena_alloc(&z->arena, z->n * sizeof(*v));
		memcpy(z->entries, v, z->n * sizeof(*v));
	}
	free(v);
	return r;
}

void zipdir_release(struct zipdir *z)
{
	ab_arena_release(&z->arena);
	z->entries = NULL;
	z->n = 0;
}

const struct zipdir_entry *zipdir_wheel_metadata(const struct zipdir *z)
{
	const struct zipdir_entry *found = NULL;
	for (size_t i = 0; i < z->n; i++) {
		const char *n = z->entries[i].name;
		const char *slash = strchr(n, '/');
		if (!slash || strcmp(slash, "/METADATA"))
			continue;
		size_t dl = (size_t)(slash - n);
		if (dl < 11 || memcmp(slash - 10, ".dist-info", 10))
			continue;
		if (found)
			return NULL; /* pip: "multiple .dist-info directories" */
		found = &z->entries[i];
	}
	return found;
}

uint64_t zipdir_entry_end(const struct zipdir *z, const struct zipdir_entry *e)
{
	uint64_t end = z->cd_offset;
	for (size_t i = 0; i < z->n; i++) {
		uint64_t o = z->entries[i].local_offset;
		if (o > e->local_offset && o < end)
			end = o;
	}
	return end;
}

int zipdir_extract(struct ab_str local, const struct zipdir_entry *e, size_t max,
		   struct ab_buf *out, struct ab_err *err)
{
	const unsigned char *p = (const unsigned char *)local.ptr;
	if (!max)
		max = (size_t)64 << 20;
	if (local.len < 30 || u32(p) != SIG_LOC)
		return ab_err_set(err, AB_E_PARSE, "bad local header for '%s'", e->name);
	if (e->flags & 1)
		return ab_err_set(err, AB_E_UNSUPPORTED, "'%s' is encrypted", e->name);
	if (e->method != 0 && e->method != 8)
		return ab_err_set(err, AB_E_UNSUPPORTED, "'%s': compression method %u", e->name,
				  e->method);
	if (e->usize > max)
		return ab_err_set(err, AB_E_PARSE, "'%s' is too large", e->name);
	size_t data = 30 + (size_t)u16(p + 26) + u16(p + 28);
	if (data > local.len || e->csize > local.len - data)
		return ab_err_set(err, AB_E_PARSE, "'%s' is truncated", e->name);
	if (e->method == 0) {
		/* stored: no decompression; a CRC check is still owed */
		if (e->csize != e->usize)
			return ab_err_set(err, AB_E_PARSE, "'%s': bad sizes", e->name);
	}
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r = 0;
	size_t start = out->len;
	archive_read_support_format_zip_streamable(a);
	/* the local header, its data, and a descriptor if any: all in `local` */
	if (archive_read_open_memory(a, local.ptr, local.len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK) {
		r = ab_err_set(err, AB_E_PARSE, "cannot read '%s': %s", e->name,
			       archive_error_string(a) ? archive_error_string(a) : "bad zip data");
		goto out;
	}
	for (;;) {
		char buf[16384];
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			r = ab_err_set(err, AB_E_PARSE, "cannot read '%s': %s", e->name,
				       archive_error_string(a) ? archive_error_string(a)
							       : "bad zip data");
			goto out;
		}
		if (out->len - start + (size_t)n > max || ab_buf_add(out, buf, (size_t)n) < 0) {
			r = ab_err_set(err, AB_E_PARSE, "'%s' is too large", e->name);
			goto out;
		}
	}
	if (out->len - start != e->usize)
		r = ab_err_set(err, AB_E_PARSE, "'%s': size mismatch", e->name);
out:
	if (r < 0)
		ab_buf_truncate(out, start);
	archive_read_free(a);
	return r;
}
