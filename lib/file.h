/* file: small files shared by the processes of the suite: atomic
 * replacement, bounded reads, and exclusive locks. */
#ifndef MCPAUTH_FILE_H
#define MCPAUTH_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Replaces path with data: temporary file in the same directory, fsync,
 * rename. Readers see the old or the new content, never a mix. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* The whole file, NUL-terminated, or NULL when it is missing, unreadable
 * or longer than max. Free it with secure_free(p, *len + 1) when it may
 * hold a secret. */
char *file_read(const char *path, size_t max, size_t *len);

/* Takes an exclusive flock on path (created 0600). wait: block until it
 * is free; otherwise give up at once when another process holds it.
 * Returns the descriptor to pass to file_unlock, or -1. */
int file_lock(const char *path, int wait);
void file_unlock(int fd);

#endif
