#include "file.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = ck_asprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc = -1;
	if (fd < 0)
		goto done;
	/* O_CREAT's mode is filtered by the umask; a secret file must be exactly mode. */
	if (fchmod(fd, mode) < 0)
		goto done;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto done;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto done;
	int c = close(fd);
	fd = -1;
	if (c < 0)
		goto done;
	rc = rename(tmp, path);
done:
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
	}
	free(tmp);
	return rc;
}

char *file_read(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = ck_malloc(max + 2);
	size_t n = 0;
	while (n < max + 1) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			secure_free(buf, max + 2);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		secure_free(buf, max + 2);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int file_lock(const char *path, int wait)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

void file_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the lock */
}
