/* txn: a write transaction on the shared SQLite database, committed before
 * the caller answers, retried while other processes hold the write lock
 * past the busy timeout: the one write-retry of the store (userdb, refresh,
 * ratelimit, flowstore, oauthclient). */
#ifndef MCPAUTH_TXN_H
#define MCPAUTH_TXN_H

#include <sqlite3.h>

/* Runs fn(db, arg) inside BEGIN IMMEDIATE ... COMMIT. fn returns SQLITE_OK
 * (or SQLITE_DONE) to commit and anything else to roll back; SQLITE_BUSY
 * and SQLITE_LOCKED, from fn or from COMMIT, start it over, so fn must
 * only write its results into arg. Returns SQLITE_OK once committed, or the
 * failing result code. */
int txn_run(sqlite3 *db, int (*fn)(sqlite3 *db, void *arg), void *arg);

/* Prepares sql, binds the arguments and steps it once: for single-row
 * reads and for writes inside fn. Each argument is a pair (type, value):
 * TXN_TEXT with a const char * (NULL binds NULL), TXN_INT with a long long,
 * TXN_BLOB with a const unsigned char * and a size_t; ended by TXN_END.
 * Returns the result of sqlite3_step; with a row, *stmt (when given) holds
 * it and the caller finalizes it. */
enum { TXN_END, TXN_TEXT, TXN_INT, TXN_BLOB };
int txn_exec(sqlite3 *db, sqlite3_stmt **stmt, const char *sql, ...);

/* Column i of the row as a new string (caller frees), or NULL for NULL. */
char *txn_column_dup(sqlite3_stmt *q, int i);

#endif
