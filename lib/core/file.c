#include "file.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = ck_asprintf("%s.tmp.%ld", path, (long)getpid());
	/* Always a new file, never through a link: whatever is at the name (a
	 * crashed process's leftover, a planted symlink) is removed, not followed. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int rc = -1;
	if (fd < 0) {
		int saved = errno;
		free(tmp);
		errno = saved;
		return -1; /* the name is not ours: nothing to unlink */
	}
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

static int lock_open(const char *path)
{
	/* New: created 0600, exclusively. There: opened, but never through a symlink. */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	/* A read-only state directory (a full or failed disk remounted
	 * read-only) still serves reads: flock needs no write access. */
	if (fd < 0 && (errno == EROFS || errno == EACCES))
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

int file_lock(const char *path, int wait)
{
	int fd = lock_open(path);
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

int file_dir_locked(const char *dir, int (*fn)(void *), void *arg)
{
	char *path = ck_asprintf("%s/.lock", dir);
	int fd = file_lock(path, 1);
	free(path);
	if (fd < 0)
		return -1;
	int rc = fn(arg);
	file_unlock(fd);
	return rc;
}

/* Takes away any permission beyond want from fd's file (st its stat),
 * adding name (when not NULL) to fixed when it did. -1 when it cannot. */
static int tighten(int fd, const struct stat *st, mode_t want, const char *name, struct sbuf *fixed)
{
	if ((st->st_mode & 07777 & ~want) == 0)
		return 0;
	if (fchmod(fd, want) < 0)
		return -1;
	if (name) {
		sbuf_adds(fixed, fixed->len ? ", " : "");
		sbuf_adds(fixed, name);
	}
	return 0;
}

/* One regular file of the state directory, opened without following a link. */
static int secure_file(int dfd, const char *name, struct sbuf *fixed)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? 0 : -1; /* gone, or now a link: not ours */
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -1 : S_ISREG(st.st_mode) ? tighten(fd, &st, 0600, name, fixed) : 0;
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int file_secure_dir(const char *dir, char *err, size_t errlen)
{
	struct sbuf fixed = {0};
	struct stat st;
	DIR *d = NULL;
	int rc = -1, why = 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0) {
		why = errno;
		snprintf(err, errlen, "cannot open the state directory %s: %s", dir, strerror(why));
		goto done;
	}
	unsigned was = st.st_mode & 07777;
	if (tighten(dfd, &st, 0700, NULL, &fixed) < 0) {
		why = errno;
		snprintf(err, errlen, "the state directory %s is mode %04o and cannot be made 0700: %s", dir,
			 was, strerror(why));
		goto done;
	}
	int dir_fixed = (was & 077) != 0;
	int lfd = dup(dfd);
	if (lfd < 0 || !(d = fdopendir(lfd))) {
		why = errno;
		if (lfd >= 0)
			close(lfd);
		snprintf(err, errlen, "cannot read the state directory %s: %s", dir, strerror(why));
		goto done;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		/* Regular files only; sockets and subdirectories are the web server's. */
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    (st.st_mode & 077) == 0)
			continue;
		if (secure_file(dfd, e->d_name, &fixed) < 0) {
			why = errno;
			snprintf(err, errlen, "%s/%s is mode %04o and cannot be made 0600: %s", dir,
				 e->d_name, (unsigned)(st.st_mode & 07777), strerror(why));
			goto done;
		}
	}
	/* One line, however much was fixed. */
	if (dir_fixed && fixed.len)
		log_msg("state directory %s was mode %04o: made it 0700, and 0600: %s", dir, was, fixed.p);
	else if (dir_fixed)
		log_msg("state directory %s was mode %04o: made it 0700", dir, was);
	else if (fixed.len)
		log_msg("state directory %s: made 0600: %s", dir, fixed.p);
	rc = 0;
done:
	/* Read-only media cannot be fixed, nor widened by anyone: served as they are. */
	if (rc < 0 && why == EROFS)
		rc = 0;
	if (d)
		closedir(d);
	if (dfd >= 0)
		close(dfd);
	sbuf_free(&fixed);
	return rc;
}
