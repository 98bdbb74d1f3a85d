#include "userdb.h"
#include "flowstore.h"
#include "issuer.h"
#include "oauthclient.h"
#include "password.h"
#include "txn.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS users ("
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
	if (sqlite3_prepare_v2(a->db, "SELECT user_version FROM pragma_user_version", -1, &q, NULL) != SQLITE_OK)
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
	/* 4: the authorization server: sessions, requests, codes, grants (lib/flowstore.h). */
	FLOWSTORE_SCHEMA,
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
	int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	free(enc);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

size_t userdb_demo_logins(sqlite3 *db, char *emails, size_t len)
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
					       password_verify(demo_users[i].password, u.password_hash));
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
	if (state_locked(state_dir, init_locked, &a) < 0) {
		sqlite3_close(db);
		db = open_read_only_media(path);
		if (!db)
			return -1;
		read_only = 1;
	}
	/* Read-only media cannot be migrated: it is served as it is. */
	if (!read_only && state_locked(state_dir, migrate_locked, &a) < 0) {
		sqlite3_close(db);
		return -1;
	}
	*dbp = db;
	return 0;
}

static char *col_dup(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return t ? ck_strdup((const char *)t) : NULL;
}

/* The database this process works with: the two lookups of the request
 * path are prepared once for it, and its user rows are cached. A process
 * has one; a caller that switches (the unit tests) drops both. */
static sqlite3 *cur_db;
static sqlite3_stmt *find_stmt[2];

/* The user row cache of the request path. A row is served from here while
 * the database's change counter is what it was before the row was read,
 * and for at most ROW_TTL_MS. Every write of this library bumps the
 * counter after its commit: it is an 8-byte file next to the database
 * (<db>-gen), mapped shared by every process of every program, so a write
 * in one process is seen by the next read in any other. The age bound
 * covers writers that do not bump it (the sqlite3 shell). A process that
 * cannot map the counter (read-only media, another owner) does not cache.
 * Rows are kept without the password hash. */
#define ROW_SLOTS 4096
#define ROW_TTL_MS 1000

struct row {
	char *key;     /* the sub looked up; NULL: empty slot */
	int found;     /* 0: no such user (a tenant's user unknown here) */
	struct user u; /* when found, password_hash NULL */
	uint64_t gen;
	long long at_ms;
};
static struct row rows[ROW_SLOTS];
static uint64_t *change_counter;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void row_drop(struct row *r)
{
	free(r->key);
	r->key = NULL;
	user_free(&r->u);
}

static uint64_t *counter_map(sqlite3 *db)
{
	const char *path = sqlite3_db_filename(db, "main");
	if (!path || !*path || sqlite3_db_readonly(db, "main") != 0)
		return NULL;
	char *name = ck_asprintf("%s-gen", path);
	int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(name);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *m = MAP_FAILED;
	/* A new file is all zeros once it has its size: counter 0. */
	if (fstat(fd, &st) == 0 && (st.st_size >= (off_t)sizeof(uint64_t) || ftruncate(fd, sizeof(uint64_t)) == 0))
		m = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

static void use_db(sqlite3 *db)
{
	if (db == cur_db)
		return;
	for (int i = 0; i < 2; i++) {
		sqlite3_finalize(find_stmt[i]);
		find_stmt[i] = NULL;
	}
	/* Only the slots in use: writing to all would fault in every page of
	 * the table, a cost a CGI process pays twice for one request. */
	for (size_t i = 0; i < ROW_SLOTS; i++)
		if (rows[i].key)
			row_drop(&rows[i]);
	if (change_counter)
		munmap(change_counter, sizeof(uint64_t));
	change_counter = db ? counter_map(db) : NULL;
	cur_db = db;
}

/* After each committed write of a user row. */
static void rows_changed(sqlite3 *db)
{
	use_db(db);
	if (change_counter)
		__atomic_add_fetch(change_counter, 1, __ATOMIC_SEQ_CST);
}

int userdb_generation(sqlite3 *db, unsigned long long *gen)
{
	use_db(db);
	if (!change_counter)
		return -1;
	*gen = __atomic_load_n(change_counter, __ATOMIC_SEQ_CST);
	return 0;
}

void userdb_touch(sqlite3 *db)
{
	rows_changed(db);
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
		u->sub = col_dup(q, 0);
		u->email = col_dup(q, 1);
		u->name = col_dup(q, 2);
		u->password_hash = col_dup(q, 3);
		u->permissions = col_dup(q, 4);
		u->scope = col_dup(q, 5);
		u->email_verified = sqlite3_column_int(q, 6);
		u->created_at = col_dup(q, 7);
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
	sqlite3_close(db);
}

int userdb_find_by_email(sqlite3 *db, const char *email, struct user *u)
{
	return find_user(db, 0, email, u);
}

int userdb_find_by_sub(sqlite3 *db, const char *sub, struct user *u)
{
	return find_user(db, 1, sub, u);
}

int userdb_peek_by_sub(sqlite3 *db, const char *sub, const struct user **u)
{
	*u = NULL;
	use_db(db);
	struct row *r = &rows[0];
	uint64_t gen = 0;
	long long now = now_ms();
	if (change_counter) {
		uint32_t h = 2166136261u;
		for (const unsigned char *p = (const unsigned char *)sub; *p; p++)
			h = (h ^ *p) * 16777619u;
		r = &rows[h & (ROW_SLOTS - 1)];
		gen = __atomic_load_n(change_counter, __ATOMIC_SEQ_CST);
		if (r->key && r->gen == gen && now - r->at_ms < ROW_TTL_MS && strcmp(r->key, sub) == 0) {
			*u = r->found ? &r->u : NULL;
			return r->found ? USERDB_OK : USERDB_NOT_FOUND;
		}
	}
	/* Without the counter, slot 0 only holds the answer until the next call. */
	row_drop(r);
	int rc = find_user(db, 1, sub, &r->u);
	if (r->u.password_hash) {
		secure_free(r->u.password_hash, strlen(r->u.password_hash));
		r->u.password_hash = NULL;
	}
	if (rc == USERDB_ERROR)
		return rc;
	/* Tagged with the counter read before the query: a write committed in
	 * between makes the next lookup read again. */
	r->key = change_counter ? ck_strdup(sub) : NULL;
	r->found = rc == USERDB_OK;
	r->gen = gen;
	r->at_ms = now;
	*u = r->found ? &r->u : NULL;
	return rc;
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
	rows_changed(db);
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

static int write_result(int rc, int changes)
{
	if (rc == SQLITE_DONE)
		return changes > 0 ? USERDB_OK : USERDB_NOT_FOUND;
	if (rc == SQLITE_CONSTRAINT)
		return USERDB_CONFLICT;
	return USERDB_ERROR;
}

int userdb_update_profile(sqlite3 *db, const char *sub, const char *name, const char *email)
{
	/* A new email is not verified yet. */
	const char *args[] = {name, email, sub};
	int changes = 0;
	int rc = write_once(db,
			    "UPDATE users SET name = coalesce(?1, name),"
			    " email_verified = CASE WHEN ?2 IS NULL OR ?2 = email THEN email_verified ELSE 0 END,"
			    " email = coalesce(?2, email) WHERE sub = ?3",
			    args, 3, &changes);
	return write_result(rc, changes);
}

int userdb_create(sqlite3 *db, const struct user *u)
{
	char verified[2] = {u->email_verified ? '1' : '0', '\0'};
	const char *args[] = {u->sub, u->email, u->name, u->password_hash, u->permissions,
			      u->scope ? u->scope : "openid profile email", verified, u->created_at};
	int changes = 0;
	int rc = write_once(db,
			    "INSERT INTO users(sub,email,name,password_hash,permissions,scope,email_verified,"
			    "created_at) VALUES(?,?,?,?,?,?,?,?)",
			    args, 8, &changes);
	return write_result(rc, changes);
}

int userdb_set_permissions(sqlite3 *db, const char *sub, const char *permissions)
{
	const char *args[] = {permissions, sub};
	int changes = 0;
	int rc = write_once(db, "UPDATE users SET permissions = ? WHERE sub = ?", args, 2, &changes);
	return write_result(rc, changes);
}

int userdb_swap_permissions(sqlite3 *db, const char *sub, const char *expected, const char *permissions)
{
	const char *args[] = {permissions, sub, expected};
	int changes = 0;
	int rc = write_once(db, "UPDATE users SET permissions = ? WHERE sub = ? AND permissions = ?", args, 3,
			    &changes);
	return write_result(rc, changes);
}

int userdb_set_password(sqlite3 *db, const char *sub, const char *password_hash)
{
	const char *args[] = {password_hash, sub};
	const char *const sqls[] = {"UPDATE users SET password_hash = ?1 WHERE sub = ?2",
				    REVOKE_REFRESH_OF(2), NULL};
	int changes = 0;
	int rc = write_all(db, sqls, args, 2, &changes);
	return write_result(rc, changes);
}

int userdb_delete(sqlite3 *db, const char *sub)
{
	const char *args[] = {sub};
	const char *const sqls[] = {"DELETE FROM users WHERE sub = ?1", REVOKE_REFRESH_OF(1), NULL};
	int changes = 0;
	int rc = write_all(db, sqls, args, 1, &changes);
	return write_result(rc, changes);
}

int userdb_each(sqlite3 *db, void (*fn)(const struct user *u, void *arg), void *arg)
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
