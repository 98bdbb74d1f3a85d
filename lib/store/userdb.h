/* userdb: users, their profiles and permissions in SQLite (WAL, busy
 * timeout), shared by every process of every program. The queries are
 * here; opening the database and its schema in store/schema.h, the
 * request path's row cache in store/usercache.h (both included). */
#ifndef MCPAUTH_USERDB_H
#define MCPAUTH_USERDB_H

#include "db.h"

#include <stddef.h>

struct user {
	char *sub;
	char *email;
	char *name;
	char *password_hash; /* NULL when the user cannot log in */
	char *permissions;   /* space-separated */
	char *scope;	     /* space-separated */
	int email_verified;
	char *created_at; /* ISO 8601 UTC */
};

/* What the queries and writes return; userdb_strerror names it for logs. */
enum userdb_status {
	USERDB_ERROR = -1, /* the store failed */
	USERDB_OK = 0,
	USERDB_NOT_FOUND = 1,
	USERDB_CONFLICT = 2, /* a write: the email is taken */
};

const char *userdb_strerror(enum userdb_status st);

/* Closes a database opened with userdb_open (store/schema.h), dropping
 * what this process prepared and cached for it. */
void userdb_close(struct db *db);
enum userdb_status userdb_find_by_email(struct db *db, const char *email, struct user *u);
enum userdb_status userdb_find_by_sub(struct db *db, const char *sub, struct user *u);
void user_free(struct user *u);

/* Writes. Each is one transaction, committed before it returns; DB_BUSY
 * past the busy timeout is retried. USERDB_CONFLICT: the email is taken. */
enum userdb_status userdb_update_profile(struct db *db, const char *sub, const char *name, const char *email);
enum userdb_status userdb_create(struct db *db, const struct user *u);
enum userdb_status userdb_set_permissions(struct db *db, const char *sub, const char *permissions);
/* The same only while the stored permissions are still expected (what a
 * check was made against): USERDB_NOT_FOUND when the user is gone or its
 * permissions changed meanwhile. */
enum userdb_status userdb_swap_permissions(struct db *db, const char *sub, const char *expected,
					   const char *permissions);
/* password_hash NULL: the user can no longer log in. Both revoke every
 * refresh token of the user in the same transaction (and so every access
 * token carrying a grant_id), and forget its OAuth grants, its browsers'
 * signed-in sessions and its unredeemed authorization codes. */
enum userdb_status userdb_set_password(struct db *db, const char *sub, const char *password_hash);
enum userdb_status userdb_delete(struct db *db, const char *sub);

/* Calls fn for each user, ordered by creation. */
enum userdb_status userdb_each(struct db *db, void (*fn)(const struct user *u, void *arg), void *arg);

#include "schema.h"
#include "usercache.h"

#endif
