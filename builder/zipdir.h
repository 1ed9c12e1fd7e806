/* zipdir.h - the parts of a zip file (a wheel) needed to pull one member out
 * with HTTP range requests: the end-of-central-directory record (EOCD,
 * APPNOTE 4.3.16, and the zip64 one, 4.3.14/4.3.15), the central directory
 * (4.3.12, zip64 extra 4.5.3), and a member's bytes from its local header.
 *
 * Everything reads from byte views with explicit bounds and never trusts a
 * length field: it is fuzzed (tests/fuzz/fuzz_zipdir.c). */
#ifndef AB_ZIPDIR_H
#define AB_ZIPDIR_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/core/arena.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/str.h"

struct zipdir_entry {
	const char *name; /* arena; as stored (UTF-8 or CP437 bytes), NUL-terminated */
	uint64_t local_offset, csize, usize;
	uint32_t crc;
	uint16_t method, flags;
};

struct zipdir {
	size_t n;
	struct zipdir_entry *entries; /* in the arena */
	struct ab_arena arena;
	uint64_t cd_offset, cd_size;
	uint64_t nentries; /* as the EOCD says */
};

#define ZIPDIR_INIT                             \
	{                                       \
		0, NULL, AB_ARENA_INIT, 0, 0, 0 \
	}

/* Find the EOCD in `tail`, the last tail.len bytes of a file of `file_size`
 * bytes, and set cd_offset/cd_size/nentries of `z`. Returns 0;
 * AB_E_PARSE when there is no valid EOCD (not a zip, or the tail is too
 * short: a caller may retry with the whole file); AB_E_UNSUPPORTED for a
 * multi-disk archive or a zip64 record that lies before the tail. */
int zipdir_find_eocd(struct zipdir *z, struct ab_str tail, uint64_t file_size, struct ab_err *err);

/* Parse the central directory (`cd` holds exactly the bytes at
 * [cd_offset, cd_offset + cd_size)). AB_E_PARSE on a malformed record. */
int zipdir_parse(struct zipdir *z, struct ab_str cd, struct ab_err *err);
void zipdir_release(struct zipdir *z);

/* The entry of a wheel's core metadata: "<x>.dist-info/METADATA" at the top
 * level (there must be exactly one such directory, as pip checks); NULL
 * when there is none or more than one. */
const struct zipdir_entry *zipdir_wheel_metadata(const struct zipdir *z);

/* Where entry `e`'s bytes end: the next local header after its own, or
 * the central directory. */
uint64_t zipdir_entry_end(const struct zipdir *z, const struct zipdir_entry *e);

/* Decompress entry `e` from `local`, the bytes starting at its local header
 * (at least up to zipdir_entry_end), appending to `out` (stored and deflate,
 * CRC-checked, through libarchive's streaming zip reader). `max` caps the
 * size (0: 64 MiB). AB_E_PARSE on corrupt data, AB_E_UNSUPPORTED for other
 * methods or encryption. */
int zipdir_extract(struct ab_str local, const struct zipdir_entry *e, size_t max,
		   struct ab_buf *out, struct ab_err *err);

#endif
