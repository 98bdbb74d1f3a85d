/* The users' queries: lookups by email or sub, the writes, the listing.
 * Opening the database and its schema live in store/schema.c, the request
 * path's row cache and change counter in store/usercache.c. */
#include "userdb.h"
#include "db.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int find_user(struct db *db, int by_sub, const char *value, struct user *u)
{
	static const char *const sql[2] = {
	    "SELECT sub,email,name,password_hash,permissions,scope,email_verified,created_at"
	    " FROM users WHERE email = ?",
	    "SELECT sub,email,name,password_hash,permissions,scope,email_verified,created_at"
	    " FROM users WHERE sub = ?",
	};
	memset(u, 0, sizeof *u);
	struct db_rows *q;
	enum db_err s = db_exec(db, &q, sql[by_sub], DB_TEXT, value, DB_END);
	if (s == DB_DONE)
		return USERDB_NOT_FOUND;
	if (s != DB_ROW)
		return USERDB_ERROR;
	u->sub = db_column_text_dup(q, 0);
	u->email = db_column_text_dup(q, 1);
	u->name = db_column_text_dup(q, 2);
	u->password_hash = db_column_text_dup(q, 3);
	u->permissions = db_column_text_dup(q, 4);
	u->scope = db_column_text_dup(q, 5);
	u->email_verified = (int)db_column_int(q, 6);
	u->created_at = db_column_text_dup(q, 7);
	db_rows_free(q);
	return USERDB_OK;
}

void userdb_close(struct db *db)
{
	usercache_forget(db);
	db_close(db);
}

enum userdb_status userdb_find_by_email(struct db *db, const char *email, struct user *u)
{
	return find_user(db, 0, email, u);
}

enum userdb_status userdb_find_by_sub(struct db *db, const char *sub, struct user *u)
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
static enum db_err write_fn(struct db *db, void *arg)
{
	struct write_op *w = arg;
	enum db_err rc = DB_DONE;
	for (int s = 0; w->sqls[s] && rc == DB_DONE; s++) {
		rc = db_exec_texts(db, NULL, w->sqls[s], w->args, w->nargs);
		if (s == 0)
			w->changes = (int)db_changes(db);
	}
	return rc;
}

/* The write statements sqls (ended by NULL) in one transaction (txn_run:
 * retried while the database stays busy). Returns the result
 * (DB_DONE on success) and the rows the first statement changed. */
static enum db_err write_all(struct db *db, const char *const *sqls, const char *const *args, int nargs,
			     int *changes)
{
	struct write_op w = {sqls, args, nargs, 0};
	int rc = db_txn_run(db, write_fn, &w);
	*changes = w.changes;
	if (rc != DB_OK)
		return rc;
	userdb_touch(db);
	return DB_DONE;
}

static enum db_err write_once(struct db *db, const char *sql, const char *const *args, int nargs,
			      int *changes)
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
	if (rc == DB_DONE)
		return changes > 0 ? USERDB_OK : USERDB_NOT_FOUND;
	if (rc == DB_CONSTRAINT)
		return USERDB_CONFLICT;
	return USERDB_ERROR;
}

enum userdb_status userdb_update_profile(struct db *db, const char *sub, const char *name, const char *email)
{
	/* A new email is not verified yet. */
	const char *args[] = {name, email, sub};
	int changes = 0;
	int rc = write_once(db,
			    "UPDATE users SET name = coalesce(?1, name),"
			    " email_verified = CASE WHEN CAST(?2 AS TEXT) IS NULL OR ?2 = email THEN "
			    "email_verified ELSE 0 END,"
			    " email = coalesce(?2, email) WHERE sub = ?3",
			    args, 3, &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_create(struct db *db, const struct user *u)
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

enum userdb_status userdb_set_permissions(struct db *db, const char *sub, const char *permissions)
{
	const char *args[] = {permissions, sub};
	int changes = 0;
	int rc = write_once(db, "UPDATE users SET permissions = ? WHERE sub = ?", args, 2, &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_swap_permissions(struct db *db, const char *sub, const char *expected,
					   const char *permissions)
{
	const char *args[] = {permissions, sub, expected};
	int changes = 0;
	int rc = write_once(db, "UPDATE users SET permissions = ? WHERE sub = ? AND permissions = ?", args, 3,
			    &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_set_password(struct db *db, const char *sub, const char *password_hash)
{
	const char *args[] = {password_hash, sub};
	const char *const sqls[] = {"UPDATE users SET password_hash = ?1 WHERE sub = ?2",
				    REVOKE_REFRESH_OF(2), END_SIGNINS_OF(2), NULL};
	int changes = 0;
	int rc = write_all(db, sqls, args, 2, &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_delete(struct db *db, const char *sub)
{
	const char *args[] = {sub};
	const char *const sqls[] = {"DELETE FROM users WHERE sub = ?1", REVOKE_REFRESH_OF(1),
				    END_SIGNINS_OF(1), NULL};
	int changes = 0;
	int rc = write_all(db, sqls, args, 1, &changes);
	return write_result(rc, changes);
}

enum userdb_status userdb_each(struct db *db, void (*fn)(const struct user *u, void *arg), void *arg)
{
	/* In the order they were added: SQLite's rowid, PostgreSQL's identity
	 * column (the one difference the dialects force here). */
	const char *sql = db_backend(db) == DB_POSTGRESQL
			      ? "SELECT sub,email,name,permissions,scope,email_verified,created_at FROM users"
				" ORDER BY created_at, seq"
			      : "SELECT sub,email,name,permissions,scope,email_verified,created_at FROM users"
				" ORDER BY created_at, rowid";
	struct db_rows *q;
	enum db_err s = db_exec(db, &q, sql, DB_END);
	for (; s == DB_ROW; s = db_rows_next(q)) {
		struct user u = {
		    .sub = db_column_text_dup(q, 0),
		    .email = db_column_text_dup(q, 1),
		    .name = db_column_text_dup(q, 2),
		    .permissions = db_column_text_dup(q, 3),
		    .scope = db_column_text_dup(q, 4),
		    .email_verified = (int)db_column_int(q, 5),
		    .created_at = db_column_text_dup(q, 6),
		};
		fn(&u, arg);
		user_free(&u);
	}
	db_rows_free(q);
	return s == DB_DONE ? USERDB_OK : USERDB_ERROR;
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
