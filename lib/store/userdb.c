/* The users' queries: lookups by email or sub, the writes, the listing.
 * Opening the database and its schema live in store/schema.c, the request
 * path's row cache and change counter in store/usercache.c. */
#include "userdb.h"
#include "txn.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The database this process works with: the two lookups of the request
 * path are prepared once for it. A process has one; a caller that switches
 * (the unit tests) drops them. */
static sqlite3 *cur_db;
static sqlite3_stmt *find_stmt[2];

static void use_db(sqlite3 *db)
{
	if (db == cur_db)
		return;
	for (int i = 0; i < 2; i++) {
		sqlite3_finalize(find_stmt[i]);
		find_stmt[i] = NULL;
	}
	cur_db = db;
}

static int find_user(sqlite3 *db, int by_sub, const char *value, struct user *u)
{
	static const char *const sql[2] = {
	    "SELECT sub,email,name,password_hash,permissions,scope,email_verified,created_at"
	    " FROM users WHERE email = ?",
	    "SELECT sub,email,name,password_hash,permissions,scope,email_verified,created_at"
	    " FROM users WHERE sub = ?",
	};
	memset(u, 0, sizeof *u);
	use_db(db);
	sqlite3_stmt *q = find_stmt[by_sub];
	if (!q && sqlite3_prepare_v3(db, sql[by_sub], -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK)
		return USERDB_ERROR;
	find_stmt[by_sub] = q;
	int rc = USERDB_ERROR;
	sqlite3_bind_text(q, 1, value, -1, SQLITE_STATIC);
	int s = sqlite3_step(q);
	if (s == SQLITE_ROW) {
		u->sub = txn_column_dup(q, 0);
		u->email = txn_column_dup(q, 1);
		u->name = txn_column_dup(q, 2);
		u->password_hash = txn_column_dup(q, 3);
		u->permissions = txn_column_dup(q, 4);
		u->scope = txn_column_dup(q, 5);
		u->email_verified = sqlite3_column_int(q, 6);
		u->created_at = txn_column_dup(q, 7);
		rc = USERDB_OK;
	} else if (s == SQLITE_DONE) {
		rc = USERDB_NOT_FOUND;
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc;
}

void userdb_close(sqlite3 *db)
{
	if (db && db == cur_db)
		use_db(NULL);
	usercache_forget(db);
	sqlite3_close(db);
}

enum userdb_status userdb_find_by_email(sqlite3 *db, const char *email, struct user *u)
{
	return find_user(db, 0, email, u);
}

enum userdb_status userdb_find_by_sub(sqlite3 *db, const char *sub, struct user *u)
{
	return find_user(db, 1, sub, u);
}

void user_free(struct user *u)
{
	free(u->sub);
	free(u->email);
	free(u->name);
	if (u->password_hash)
		secure_free(u->password_hash, strlen(u->password_hash));
	free(u->permissions);
	free(u->scope);
	free(u->created_at);
	memset(u, 0, sizeof *u);
}

struct write_op {
	const char *const *sqls;
	const char *const *args;
	int nargs;
	int changes; /* rows the first statement changed */
};

/* Runs the statements, each bound to the same args (a statement may leave
 * some unused by numbering its parameters), inside txn_run. */
static int write_fn(sqlite3 *db, void *arg)
{
	struct write_op *w = arg;
	int rc = SQLITE_DONE;
	for (int s = 0; w->sqls[s] && rc == SQLITE_DONE; s++) {
		sqlite3_stmt *q = NULL;
		rc = sqlite3_prepare_v2(db, w->sqls[s], -1, &q, NULL);
		if (rc == SQLITE_OK) {
			for (int i = 0; i < w->nargs && i < sqlite3_bind_parameter_count(q); i++)
				sqlite3_bind_text(q, i + 1, w->args[i], -1, SQLITE_STATIC);
			rc = sqlite3_step(q);
			if (s == 0)
				w->changes = sqlite3_changes(db);
		}
		sqlite3_finalize(q);
	}
	return rc;
}

/* The write statements sqls (ended by NULL) in one transaction (txn_run:
 * retried while the database stays busy). Returns the sqlite result
 * (SQLITE_DONE on success) and the rows the first statement changed. */
static int write_all(sqlite3 *db, const char *const *sqls, const char *const *args, int nargs, int *changes)
{
	struct write_op w = {sqls, args, nargs, 0};
	int rc = txn_run(db, write_fn, &w);
	*changes = w.changes;
	if (rc != SQLITE_OK)
		return rc;
	userdb_touch(db);
	return SQLITE_DONE;
}

static int write_once(sqlite3 *db, const char *sql, const char *const *args, int nargs, int *changes)
{
	const char *const sqls[] = {sql, NULL};
	return write_all(db, sqls, args, nargs, changes);
}

/* A new password, or none, or no user: every refresh token of the user
 * goes with the old credentials (the refresh module's table). */
#define REVOKE_REFRESH_OF(n) "UPDATE refresh_tokens SET revoked = 1 WHERE sub = ?" #n " AND revoked = 0"

/* With them go the user's OAuth grants (the consents remembered), its
 * browsers' signed-in sessions and its codes not yet redeemed
 * (store/flowstore.h's tables): nothing signed in with the old password
 * signs in again without the new one. */
#define END_SIGNINS_OF(n)                                                                                    \
	"DELETE FROM oauth_grants WHERE sub = ?" #n, "DELETE FROM oauth_sessions WHERE sub = ?" #n,          \
	    "DELETE FROM oauth_codes WHERE sub = ?" #n " AND used = 0"

static int write_result(int rc, int changes)
{
	if (rc == SQLITE_DONE)
		return changes > 0 ? USERDB_OK : USERDB_NOT_FOUND;
	if (rc == SQLITE_CONSTRAINT)
		return USERDB_CONFLICT;
	return USERDB_ERROR;
}

enum userdb_status userdb_update_profile(sqlite3 *db, const char *sub, const char *name, const char *email)
{
	/* A new email is not verified yet. */
	const char *args[] = {name, email, sub};
	int changes = 0;
	int rc =
	    write_once(db,
		       "UPDATE users SET name = coalesce(?1, name),"
		       " email_verified = CASE WHEN ?2 IS NULL OR ?2 = email THEN email_verified ELSE 0 END,"
		       " email = coalesce(?2, email) WHERE sub = ?3",
		       args, 3, &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_create(sqlite3 *db, const struct user *u)
{
	char verified[2] = {u->email_verified ? '1' : '0', '\0'};
	const char *args[] = {u->sub,		u->email,	u->name,
			      u->password_hash, u->permissions, u->scope ? u->scope : "openid profile email",
			      verified,		u->created_at};
	int changes = 0;
	int rc = write_once(db,
			    "INSERT INTO users(sub,email,name,password_hash,permissions,scope,email_verified,"
			    "created_at) VALUES(?,?,?,?,?,?,?,?)",
			    args, 8, &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_set_permissions(sqlite3 *db, const char *sub, const char *permissions)
{
	const char *args[] = {permissions, sub};
	int changes = 0;
	int rc = write_once(db, "UPDATE users SET permissions = ? WHERE sub = ?", args, 2, &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_swap_permissions(sqlite3 *db, const char *sub, const char *expected,
					   const char *permissions)
{
	const char *args[] = {permissions, sub, expected};
	int changes = 0;
	int rc = write_once(db, "UPDATE users SET permissions = ? WHERE sub = ? AND permissions = ?", args, 3,
			    &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_set_password(sqlite3 *db, const char *sub, const char *password_hash)
{
	const char *args[] = {password_hash, sub};
	const char *const sqls[] = {"UPDATE users SET password_hash = ?1 WHERE sub = ?2",
				    REVOKE_REFRESH_OF(2), END_SIGNINS_OF(2), NULL};
	int changes = 0;
	int rc = write_all(db, sqls, args, 2, &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_delete(sqlite3 *db, const char *sub)
{
	const char *args[] = {sub};
	const char *const sqls[] = {"DELETE FROM users WHERE sub = ?1", REVOKE_REFRESH_OF(1),
				    END_SIGNINS_OF(1), NULL};
	int changes = 0;
	int rc = write_all(db, sqls, args, 1, &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_each(sqlite3 *db, void (*fn)(const struct user *u, void *arg), void *arg)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db,
			       "SELECT sub,email,name,permissions,scope,email_verified,created_at FROM users"
			       " ORDER BY created_at, rowid",
			       -1, &q, NULL) != SQLITE_OK)
		return USERDB_ERROR;
	int s;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		struct user u = {
		    .sub = (char *)sqlite3_column_text(q, 0),
		    .email = (char *)sqlite3_column_text(q, 1),
		    .name = (char *)sqlite3_column_text(q, 2),
		    .permissions = (char *)sqlite3_column_text(q, 3),
		    .scope = (char *)sqlite3_column_text(q, 4),
		    .email_verified = sqlite3_column_int(q, 5),
		    .created_at = (char *)sqlite3_column_text(q, 6),
		};
		fn(&u, arg);
	}
	sqlite3_finalize(q);
	return s == SQLITE_DONE ? USERDB_OK : USERDB_ERROR;
}

const char *userdb_strerror(enum userdb_status st)
{
	switch (st) {
	case USERDB_OK:
		return "ok";
	case USERDB_NOT_FOUND:
		return "no such user";
	case USERDB_CONFLICT:
		return "the email is taken";
	case USERDB_ERROR:
		break;
	}
	return "the user store failed";
}
