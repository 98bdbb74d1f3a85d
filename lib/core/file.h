/* file: small files shared by the processes of the suite: atomic
 * replacement, bounded reads, and exclusive locks. */
#ifndef MCPAUTH_FILE_H
#define MCPAUTH_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Replaces path with data: temporary file in the same directory (created
 * anew with O_EXCL and O_NOFOLLOW, then set to exactly mode), fsync,
 * rename. Readers see the old or the new content, never a mix. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* The whole file, NUL-terminated, or NULL when it is missing, unreadable
 * or longer than max. Free it with secure_free(p, *len + 1) when it may
 * hold a secret. */
char *file_read(const char *path, size_t max, size_t *len);

/* Takes an exclusive flock on path: the lock file is created 0600 with
 * O_EXCL when new, never opened through a symlink (O_NOFOLLOW: a planted
 * link fails with ELOOP), read-only when the directory is. wait: block
 * until it is free; otherwise give up at once when another process holds
 * it. Returns the descriptor to pass to file_unlock, or -1. */
int file_lock(const char *path, int wait);
void file_unlock(int fd);
/* Runs fn(arg) holding <dir>/.lock (file_lock, waiting): fn's result, or
 * -1 when the lock cannot be had. The state directory's one lock. */
int file_dir_locked(const char *dir, int (*fn)(void *), void *arg);

/* The state directory holds the signing key and password hashes: makes it
 * 0700 and each regular file in it 0600 (symlinks are not followed), with
 * one log line naming what it changed. -1 with the reason in err when a
 * mode cannot be fixed (another owner); read-only media are left as they are. */
int file_secure_dir(const char *dir, char *err, size_t errlen);

#endif
