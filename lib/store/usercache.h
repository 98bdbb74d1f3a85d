/* usercache: the request path's per-process cache of user rows, and the
 * change counter shared by every process that keeps it honest. */
#ifndef MCPAUTH_USERCACHE_H
#define MCPAUTH_USERCACHE_H

#include <sqlite3.h>

struct user;

/* The request path's lookup by sub: the row, borrowed (valid until the next
 * userdb call; password_hash always NULL), from a per-process cache that
 * every committed write of any process invalidates (see usercache.c). */
enum userdb_status userdb_peek_by_sub(sqlite3 *db, const char *sub, const struct user **u);

/* The shared change counter behind that cache, for other per-process
 * caches of the database (revoked grants, lib/flowstore.c): 0 with *gen
 * set, or -1 when it cannot be mapped (then nothing may be cached).
 * userdb_touch bumps it after a committed write such a cache keeps (every
 * write of userdb.c does). */
int userdb_generation(sqlite3 *db, unsigned long long *gen);
void userdb_touch(sqlite3 *db);

/* Drops the rows cached for db, and the counter's mapping (userdb_close). */
void usercache_forget(sqlite3 *db);

#endif
