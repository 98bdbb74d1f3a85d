/* usercache: the request path's per-process cache of user rows, and the
 * change counter shared by every process that keeps it honest. */
#ifndef MCPAUTH_USERCACHE_H
#define MCPAUTH_USERCACHE_H

#include "db.h"

struct user;

/* The request path's lookup by sub: the row, borrowed (valid until the next
 * userdb call; password_hash always NULL), from a per-process cache that
 * every committed write of any process invalidates (see usercache.c). */
enum userdb_status userdb_peek_by_sub(struct db *db, const char *sub, const struct user **u);

/* The shared change counter behind that cache, for other per-process
 * caches of the database (revoked grants, lib/flowstore.c): 0 with *gen
 * set, or -1 when it cannot be mapped (then nothing may be cached).
 * userdb_touch bumps it after a committed write such a cache keeps (every
 * write of userdb.c does). */
int userdb_generation(struct db *db, unsigned long long *gen);
void userdb_touch(struct db *db);

/* Where the counter lives when the store is not a file (PostgreSQL): a
 * file in the node's state directory (set by userdb_open). */
void usercache_set_counter_file(const char *path);

/* Drops the rows cached for db, and the counter's mapping (userdb_close). */
void usercache_forget(struct db *db);

#endif
