#include "formats/core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/mem.h"

int ab_io_fail(struct ab_err *err, const char *path, const char *what)
{
	int e = errno;
	return ab_err_set(err, AB_E_IO, "cannot %s '%s': %s", what, path, strerror(e));
}

int ab_mkdir_p(const char *path, struct ab_err *err)
{
	char *p = ab_xstrdup(path);
	int r = 0;
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			r = ab_io_fail(err, p, "create directory");
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return r;
}

int ab_write_file(const char *path, const void *data, size_t n, mode_t mode, struct ab_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return ab_io_fail(err, path, "create");
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int r = ab_io_fail(err, path, "write");
			close(fd);
			return r;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		return ab_io_fail(err, path, "write");
	return 0;
}

int ab_read_file(const char *path, struct ab_buf *out, struct ab_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ab_io_fail(err, path, "read");
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = ab_io_fail(err, path, "read");
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		ab_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}
