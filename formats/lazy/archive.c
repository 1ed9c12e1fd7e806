/*
 * The libarchive functions appbuild calls, loaded from libarchive.so.13 on
 * first use (formats/lazy/lazy.h says how and why).
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>

#include "formats/lazy/lazy_impl.h"

#define A struct archive *
#define E struct archive_entry *
#define FAIL ARCHIVE_FATAL

#define FUNCS(F, V, D)                                                                      \
	F(E, archive_entry_new, (void), (), NULL)                                         \
	F(E, archive_entry_clear, (E e), (e), NULL)                                       \
	V(archive_entry_free, (E e), (e))                                                 \
	F(__LA_MODE_T, archive_entry_filetype, (E e), (e), 0)                             \
	F(const char *, archive_entry_hardlink, (E e), (e), NULL)                         \
	F(time_t, archive_entry_mtime, (E e), (e), 0)                                     \
	F(int, archive_entry_mtime_is_set, (E e), (e), 0)                                 \
	F(const char *, archive_entry_pathname, (E e), (e), NULL)                         \
	F(const char *, archive_entry_pathname_utf8, (E e), (e), NULL)                    \
	F(__LA_MODE_T, archive_entry_perm, (E e), (e), 0)                                 \
	F(la_int64_t, archive_entry_size, (E e), (e), 0)                                  \
	F(int, archive_entry_size_is_set, (E e), (e), 0)                                  \
	F(const char *, archive_entry_symlink, (E e), (e), NULL)                          \
	V(archive_entry_set_filetype, (E e, unsigned int t), (e, t))                      \
	V(archive_entry_set_gid, (E e, la_int64_t v), (e, v))                             \
	V(archive_entry_set_gname, (E e, const char *s), (e, s))                          \
	V(archive_entry_set_hardlink, (E e, const char *s), (e, s))                       \
	V(archive_entry_set_mtime, (E e, time_t t, long ns), (e, t, ns))                  \
	V(archive_entry_set_pathname, (E e, const char *s), (e, s))                       \
	V(archive_entry_set_perm, (E e, __LA_MODE_T m), (e, m))                           \
	V(archive_entry_set_rdev, (E e, dev_t d), (e, d))                                 \
	V(archive_entry_set_size, (E e, la_int64_t v), (e, v))                            \
	V(archive_entry_set_symlink, (E e, const char *s), (e, s))                        \
	V(archive_entry_set_uid, (E e, la_int64_t v), (e, v))                             \
	V(archive_entry_set_uname, (E e, const char *s), (e, s))                          \
	F(const char *, archive_error_string, (A a), (a), failmsg())                      \
	F(A, archive_read_new, (void), (), NULL)                                          \
	D(int, archive_read_free, (A a), (a), ARCHIVE_OK)                                 \
	F(la_ssize_t, archive_read_data, (A a, void *p, size_t n), (a, p, n), FAIL)       \
	F(int, archive_read_data_block,                                                   \
	  (A a, const void **p, size_t *n, la_int64_t *off), (a, p, n, off), FAIL)        \
	F(int, archive_read_next_header, (A a, E *e), (a, e), FAIL)                       \
	F(int, archive_read_open_filename, (A a, const char *f, size_t bs), (a, f, bs), FAIL) \
	F(int, archive_read_open_memory, (A a, const void *p, size_t n), (a, p, n), FAIL) \
	F(int, archive_read_support_filter_all, (A a), (a), FAIL)                         \
	F(int, archive_read_support_format_all, (A a), (a), FAIL)                         \
	F(int, archive_read_support_format_tar, (A a), (a), FAIL)                         \
	F(int, archive_read_support_format_zip, (A a), (a), FAIL)                         \
	F(int, archive_read_support_format_zip_seekable, (A a), (a), FAIL)                \
	F(int, archive_read_support_format_zip_streamable, (A a), (a), FAIL)              \
	F(A, archive_write_new, (void), (), NULL)                                         \
	D(int, archive_write_free, (A a), (a), ARCHIVE_OK)                                \
	F(int, archive_write_add_filter_gzip, (A a), (a), FAIL)                           \
	F(int, archive_write_add_filter_xz, (A a), (a), FAIL)                             \
	F(int, archive_write_add_filter_zstd, (A a), (a), FAIL)                           \
	F(int, archive_write_close, (A a), (a), FAIL)                                     \
	F(la_ssize_t, archive_write_data, (A a, const void *p, size_t n), (a, p, n), FAIL) \
	F(int, archive_write_header, (A a, E e), (a, e), FAIL)                            \
	F(int, archive_write_finish_entry, (A a), (a), FAIL)                              \
	F(int, archive_write_open,                                                        \
	  (A a, void *cd, archive_open_callback *o, archive_write_callback *w,            \
	   archive_close_callback *c),                                                    \
	  (a, cd, o, w, c), FAIL)                                                         \
	F(int, archive_write_open_fd, (A a, int fd), (a, fd), FAIL)                       \
	F(int, archive_write_open_filename, (A a, const char *f), (a, f), FAIL)           \
	F(int, archive_write_open_memory, (A a, void *p, size_t n, size_t *used),         \
	  (a, p, n, used), FAIL)                                                          \
	F(int, archive_write_set_bytes_in_last_block, (A a, int n), (a, n), FAIL)         \
	F(int, archive_write_set_bytes_per_block, (A a, int n), (a, n), FAIL)             \
	F(int, archive_write_set_format_ar_bsd, (A a), (a), FAIL)                         \
	F(int, archive_write_set_format_pax_restricted, (A a), (a), FAIL)                 \
	F(int, archive_write_set_format_raw, (A a), (a), FAIL)                            \
	F(int, archive_write_set_format_zip, (A a), (a), FAIL)                            \
	F(int, archive_write_set_options, (A a, const char *o), (a, o), FAIL)

#define VARIADIC(F, V, D) V(archive_set_error, (), ())

#define ALL(F, V, D) FUNCS(F, V, D) VARIADIC(F, V, D)

LAZY_TABLE(ALL, archive, "libarchive.so.13")
LAZY_STUBS(FUNCS)

/* Formatted here and passed on as "%s": a va_list cannot be forwarded to a
 * variadic function. */
void archive_set_error(struct archive *a, int code, const char *fmt, ...)
{
	if (!ready())
		return;
	void (*f)(struct archive *, int, const char *, ...) =
		(void (*)(struct archive *, int, const char *, ...))fn(archive_set_error);
	if (!fmt) {
		f(a, code, NULL);	/* clears the error */
		return;
	}
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f(a, code, "%s", msg);
}
