/* userdb: users, their profiles and permissions in SQLite (WAL, busy
 * timeout), shared by every process of every program. */
#ifndef MCPAUTH_USERDB_H
#define MCPAUTH_USERDB_H

#include <sqlite3.h>
#include <stddef.h>

struct user {
	char *sub;
	char *email;
	char *name;
	char *password_hash;  /* NULL when the user cannot log in */
	char *permissions;    /* space-separated */
	char *scope;          /* space-separated */
	int email_verified;
	char *created_at;     /* ISO 8601 UTC */
};

enum { USERDB_OK = 0, USERDB_NOT_FOUND = 1, USERDB_ERROR = -1 };

/* Opens (creating if needed) the database, sets WAL and the busy timeout,
 * creates the schema. No user is created: the programs never add any. */
int userdb_open(sqlite3 **db, const char *path, const char *state_dir, char *err, size_t errlen);
void userdb_close(sqlite3 *db);
/* The same, with USERDB_DEMO: a new database gets the demo users with their
 * published passwords (mcpauth init --demo-users, for the quick start and
 * the tests); an existing one is left as it is. */
enum { USERDB_DEMO = 1 << 0 };
int userdb_open_ex(sqlite3 **db, const char *path, const char *state_dir, unsigned flags, char *err,
		   size_t errlen);
int userdb_find_by_email(sqlite3 *db, const char *email, struct user *u);
int userdb_find_by_sub(sqlite3 *db, const char *sub, struct user *u);
void user_free(struct user *u);
/* The request path's lookup by sub: the row, borrowed (valid until the next
 * userdb call; password_hash always NULL), from a per-process cache that
 * every committed write of any process invalidates (see userdb.c). */
int userdb_peek_by_sub(sqlite3 *db, const char *sub, const struct user **u);

/* The shared change counter behind that cache, for other per-process
 * caches of the database (revoked grants, lib/store/flowstore.c): 0 with *gen
 * set, or -1 when it cannot be mapped (then nothing may be cached).
 * userdb_touch bumps it after a committed write such a cache keeps. */
int userdb_generation(sqlite3 *db, unsigned long long *gen);
void userdb_touch(sqlite3 *db);



/* Writes. Each is one transaction, committed before it returns; SQLITE_BUSY
 * past the busy timeout is retried. USERDB_CONFLICT: the email is taken. */
enum { USERDB_CONFLICT = 2 };
int userdb_update_profile(sqlite3 *db, const char *sub, const char *name, const char *email);
int userdb_create(sqlite3 *db, const struct user *u);
int userdb_set_permissions(sqlite3 *db, const char *sub, const char *permissions);
/* The same only while the stored permissions are still expected (what a
 * check was made against): USERDB_NOT_FOUND when the user is gone or its
 * permissions changed meanwhile. */
int userdb_swap_permissions(sqlite3 *db, const char *sub, const char *expected, const char *permissions);
/* password_hash NULL: the user can no longer log in. Both revoke every
 * refresh token of the user in the same transaction. */
int userdb_set_password(sqlite3 *db, const char *sub, const char *password_hash);
int userdb_delete(sqlite3 *db, const char *sub);

/* How many demo users still log in with their published password; their
 * emails, space-separated, in emails. verify is password_verify (lib/auth),
 * handed in: the store sits below it. */
size_t userdb_demo_logins(sqlite3 *db, int (*verify)(const char *password, const char *stored), char *emails,
			  size_t len);

/* Calls fn for each user, ordered by creation. */
int userdb_each(sqlite3 *db, void (*fn)(const struct user *u, void *arg), void *arg);

#endif
