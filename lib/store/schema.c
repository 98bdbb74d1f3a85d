/* The database file: opening it (WAL, busy timeout, the state lock for a
 * new file), the schema and its migrations for every table of the store,
 * and the demo users a quick start seeds. */
#include "schema.h"
#include "sessions.h"
#include "file.h"
#include "flowstore.h"
#include "linkstore.h"
#include "mfastore.h"
#include "oauthclient.h"
#include "txn.h"
#include "userdb.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000

static const char schema[] = "CREATE TABLE IF NOT EXISTS users ("
			     " sub TEXT PRIMARY KEY,"
			     " email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
			     " name TEXT NOT NULL,"
			     " password_hash TEXT,"
			     " permissions TEXT NOT NULL DEFAULT '',"
			     " scope TEXT NOT NULL DEFAULT 'openid profile email',"
			     " email_verified INTEGER NOT NULL DEFAULT 0,"
			     " created_at TEXT NOT NULL);";

/* The demo users' passwords are published, so their hashes are too: fixed
 * hashes make seeding free and let a program see at start, by comparing
 * strings, that a demo user still has its demo password. */
static const struct {
	const char *sub, *email, *name, *password, *hash, *permissions;
} demo_users[] = {
    {"auth0|user123", "user@example.com", "John Doe", "password",
     "scrypt$15$8$1$pCNothgUI1krzgpbaQYQ4w$RjA7AKQO7txlPUd0Z3Mu7ek0HTAeL1KyvdXWzcxsinE",
     "read:profile write:profile"},
    {"auth0|admin456", "admin@example.com", "Jane Admin", "admin",
     "scrypt$15$8$1$-D9YzWfwpYxI7mIx0Ba_cg$Zf0bpy2t_c4a09tVJY_r-vxiNXS_T383wrJrnSsPGA8",
     "read:profile write:profile read:users write:users admin:all"},
    {"auth0|readonly789", "viewer@example.com", "View Only", "readonly",
     "scrypt$15$8$1$URuZoUkBbKIaQabAZeP7RA$2gLDRtF0iJ7raZA14-IGgms0S38QHQvRlZEnMYlYzQQ",
     "read:profile read:users"},
};

struct init_args {
	sqlite3 *db;
	unsigned flags;
	char *err;
	size_t errlen;
};

/* Runs under the state lock: one process sets up a new database (and seeds
 * the demo users when USERDB_DEMO asks for them). */
static int init_locked(void *arg)
{
	struct init_args *a = arg;
	char *msg = NULL;
	/* WAL lets readers and one writer of many processes overlap; FULL makes
	 * every acknowledged commit durable before the response goes out. Under
	 * the lock: processes starting together on a new file would otherwise
	 * race to switch its journal mode, and the loser gets SQLITE_BUSY at once. */
	if (sqlite3_exec(a->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
			 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(a->err, a->errlen, "cannot set up the database: %s", sqlite3_errmsg(a->db));
		return -1;
	}
	if (sqlite3_exec(a->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(a->err, a->errlen, "cannot create the schema: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(a->db, "SELECT user_version FROM pragma_user_version", -1, &q, NULL) !=
	    SQLITE_OK)
		return -1;
	int version = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	sqlite3_finalize(q);
	if (version >= 1)
		return 0;
	if (!(a->flags & USERDB_DEMO))
		return sqlite3_exec(a->db, "PRAGMA user_version=1", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_stmt *ins;
	if (sqlite3_prepare_v2(a->db,
			       "INSERT OR IGNORE INTO users(sub,email,name,password_hash,permissions,scope,"
			       "email_verified,created_at) VALUES(?,?,?,?,?,'openid profile email',1,?)",
			       -1, &ins, NULL) != SQLITE_OK)
		return -1;
	char now[32];
	now_iso8601(now);
	int rc = 0;
	sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (size_t i = 0; i < sizeof demo_users / sizeof demo_users[0] && rc == 0; i++) {
		sqlite3_bind_text(ins, 1, demo_users[i].sub, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, demo_users[i].email, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, demo_users[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, demo_users[i].hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, demo_users[i].permissions, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 6, now, -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	if (rc == 0 && sqlite3_exec(a->db, "PRAGMA user_version=1; COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	snprintf(a->err, a->errlen, "cannot create the demo users: %s", sqlite3_errmsg(a->db));
	return -1;
}

/* Schema migrations: migrations[i] takes a database from user_version
 * i + 1 to i + 2 (version 1 is the users table with the demo users). Each
 * runs in one transaction with its version bump; append, never edit. */
static const char *const migrations[] = {
    /* 2: refresh tokens (only their SHA-256) and failed logins. */
    "CREATE TABLE refresh_tokens ("
    " hash BLOB PRIMARY KEY,"
    " family TEXT NOT NULL,"
    " sub TEXT NOT NULL,"
    " scope TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " used INTEGER NOT NULL DEFAULT 0,"
    " revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX refresh_tokens_family ON refresh_tokens(family);"
    "CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);"
    "CREATE TABLE login_failures ("
    " key TEXT NOT NULL,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX login_failures_key ON login_failures(key, at);"
    "CREATE INDEX login_failures_at ON login_failures(at);",
    /* 3: OAuth clients registered by Dynamic Client Registration. */
    OAUTHCLIENT_SCHEMA,
    /* 4: the authorization server: sessions, requests, codes, grants (lib/store/flowstore.h). */
    FLOWSTORE_SCHEMA,
    /* 5: the single-use links mailed to users: verification, reset (lib/store/linkstore.h). */
    LINKSTORE_SCHEMA,
    /* 6: the address each refresh token was issued to (lib/store/sessions.h). */
    SESSIONS_SCHEMA,
    /* 7: the second factor: TOTP secrets, recovery codes, login tickets (lib/store/mfastore.h). */
    MFASTORE_SCHEMA,
};

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *q;
	int v = -1;
	if (txn_exec(db, &q, "SELECT user_version FROM pragma_user_version", TXN_END) == SQLITE_ROW) {
		v = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	return v;
}

struct migrate_step {
	int to;
	char *msg;
};

static int migrate_one(sqlite3 *db, void *arg)
{
	struct migrate_step *m = arg;
	/* Another process may have migrated between our read and our lock. */
	if (user_version(db) >= m->to)
		return SQLITE_OK;
	char bump[48];
	snprintf(bump, sizeof bump, "PRAGMA user_version=%d", m->to);
	sqlite3_free(m->msg);
	m->msg = NULL;
	int rc = sqlite3_exec(db, migrations[m->to - 2], NULL, NULL, &m->msg);
	return rc == SQLITE_OK ? sqlite3_exec(db, bump, NULL, NULL, NULL) : rc;
}

/* A database in WAL mode at the newest schema, as at every start but the
 * first, needs neither the state lock nor the schema statements: only this
 * connection's own settings (init_locked's, but journal_mode, which the
 * file keeps). A CGI program opens the database for every request. */
static int schema_current(sqlite3 *db)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) != SQLITE_OK)
		return 0;
	const unsigned char *mode = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_text(q, 0) : NULL;
	int wal = mode && strcmp((const char *)mode, "wal") == 0;
	sqlite3_finalize(q);
	int latest = 1 + (int)(sizeof migrations / sizeof migrations[0]);
	if (!wal || user_version(db) != latest)
		return 0;
	return sqlite3_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", NULL, NULL, NULL) ==
	       SQLITE_OK;
}

/* Runs under the state lock, after init_locked: brings the schema to the
 * newest version (a newer database is left alone: migrations only add). */
static int migrate_locked(void *arg)
{
	struct init_args *a = arg;
	int latest = 1 + (int)(sizeof migrations / sizeof migrations[0]);
	int v = user_version(a->db);
	if (v < 1) {
		snprintf(a->err, a->errlen, "cannot read the schema version: %s", sqlite3_errmsg(a->db));
		return -1;
	}
	for (; v < latest; v++) {
		struct migrate_step m = {v + 1, NULL};
		if (txn_run(a->db, migrate_one, &m) != SQLITE_OK) {
			snprintf(a->err, a->errlen, "cannot upgrade the schema to version %d: %s", v + 1,
				 m.msg ? m.msg : sqlite3_errmsg(a->db));
			sqlite3_free(m.msg);
			return -1;
		}
		sqlite3_free(m.msg);
	}
	return 0;
}

/* The database on a read-only file system (a disk remounted read-only)
 * after a clean shutdown: WAL mode needs a -shm file that cannot be made.
 * With no -wal file either, the database file is all there is and nothing
 * can change it, so it is opened as immutable: reads work, every write
 * fails (and answers 503). NULL in any other case. */
static sqlite3 *open_read_only_media(const char *path)
{
	struct stat st;
	char *wal = ck_asprintf("%s-wal", path);
	int clean = stat(wal, &st) < 0 && errno == ENOENT;
	free(wal);
	if (!clean || access(path, W_OK) == 0 || errno != EROFS)
		return NULL;
	char *enc = url_encode(path);
	char *uri = ck_asprintf("file:%s?immutable=1", enc);
	sqlite3 *db = NULL;
	int rc =
	    sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	free(enc);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

size_t userdb_demo_logins(sqlite3 *db, int (*verify)(const char *password, const char *stored), char *emails,
			  size_t len)
{
	size_t n = 0;
	*emails = '\0';
	for (size_t i = 0; i < sizeof demo_users / sizeof demo_users[0]; i++) {
		struct user u;
		if (userdb_find_by_email(db, demo_users[i].email, &u) != USERDB_OK)
			continue;
		/* The seeded hash is a string compare; a database seeded before
		 * the hashes were fixed costs one scrypt per demo user. */
		int demo = u.password_hash && (strcmp(u.password_hash, demo_users[i].hash) == 0 ||
					       verify(demo_users[i].password, u.password_hash));
		user_free(&u);
		if (!demo)
			continue;
		size_t used = strlen(emails);
		snprintf(emails + used, len - used, "%s%s", n ? " " : "", demo_users[i].email);
		n++;
	}
	return n;
}

int userdb_open(sqlite3 **dbp, const char *path, const char *state_dir, char *err, size_t errlen)
{
	return userdb_open_ex(dbp, path, state_dir, 0, err, errlen);
}

int userdb_open_ex(sqlite3 **dbp, const char *path, const char *state_dir, unsigned flags, char *err,
		   size_t errlen)
{
	sqlite3 *db = NULL;
	/* One thread per process: no memory statistics to lock for. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/* A new database is created 0600 here: SQLite gives its -wal, -shm and
	 * -journal files the database's mode. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if (schema_current(db)) {
		*dbp = db;
		return 0;
	}
	struct init_args a = {db, flags, err, errlen};
	int read_only = 0;
	if (file_dir_locked(state_dir, init_locked, &a) < 0) {
		sqlite3_close(db);
		db = open_read_only_media(path);
		if (!db)
			return -1;
		read_only = 1;
	}
	/* Read-only media cannot be migrated: it is served as it is. */
	if (!read_only && file_dir_locked(state_dir, migrate_locked, &a) < 0) {
		sqlite3_close(db);
		return -1;
	}
	*dbp = db;
	return 0;
}
