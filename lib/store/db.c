/* The store's database interface: a table of two back ends (SQLite and,
 * with libpq, PostgreSQL) behind one API; SQL in the shared dialect, with
 * ?N placeholders rewritten for PostgreSQL. */
#include "db.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBPQ
#include <libpq-fe.h>
#endif

#define DB_RETRIES 20
#define DB_MAX_ARGS 32
#define DB_MAX_PLACEHOLDER 999
#define DB_BUSY_TIMEOUT_MS 10000
#define DB_NOTE_ALL (DB_NOTE_USERS | DB_NOTE_KEYS)
/* The one channel every PostgreSQL connection LISTENs on. */
#define DB_CHANNEL "mcpauth"

/* PostgreSQL type OIDs (pg_type.h is a server header). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

struct db {
	enum db_backend backend;
	sqlite3 *lite;
#ifdef HAVE_LIBPQ
	PGconn *pg;
	int listening; /* LISTEN is in place on this connection */
	int failed;    /* the last reconnect failed, at failed_at */
	struct timespec failed_at;
#endif
	unsigned long long generation;
	unsigned notes;		     /* bits seen since the last db_remote_generation */
	unsigned long long heard[2]; /* notifications heard per bit (DB_NOTE_USERS, DB_NOTE_KEYS) */
	int in_txn;
	int read_only; /* opened as immutable */
	long long changes;
	char msg[256];
};

struct db_rows {
	struct db *db;
	sqlite3_stmt *q;
#ifdef HAVE_LIBPQ
	PGresult *res;
	int row;
#endif
};

static const char *const texts[] = {
    [DB_OK] = "ok",
    [DB_ROW] = "a row",
    [DB_DONE] = "done",
    [DB_BUSY] = "lost to a concurrent transaction",
    [DB_CONSTRAINT] = "refused by a constraint",
    [DB_SQL] = "bad statement",
    [DB_UNAVAILABLE] = "database unavailable",
    [DB_MISUSE] = "misuse of the database interface",
    [DB_UNSUPPORTED] = "PostgreSQL support not built in",
    [DB_ABORT] = "rolled back",
    [DB_ERROR] = "database error",
};

const char *db_strerror(enum db_err err)
{
	if ((unsigned)err < sizeof texts / sizeof texts[0] && texts[err])
		return texts[err];
	return "unknown database result";
}

static void set_msg(struct db *db, const char *m)
{
	snprintf(db->msg, sizeof db->msg, "%s", m ? m : "");
	/* libpq's messages end in a newline; a log line should not. */
	size_t n = strlen(db->msg);
	while (n && (db->msg[n - 1] == '\n' || db->msg[n - 1] == '\r'))
		db->msg[--n] = '\0';
}

const char *db_errmsg(const struct db *db)
{
	return db->msg;
}

enum db_backend db_backend(const struct db *db)
{
	return db->backend;
}

/* --- the shared dialect ------------------------------------------------ */

/* Scans sql for placeholders: each ?N (or bare ?) outside literals,
 * quoted names and comments, written as $N into out when rewrite is set
 * (out NULL: only count). *max gets the highest N, and bit N-1 of *used
 * (when given) is set for each N up to 64 the text holds. */
static enum db_err scan_sql(const char *sql, int rewrite, struct sbuf *out, int *max,
			    unsigned long long *used)
{
	*max = 0;
	if (used)
		*used = 0;
	for (const char *p = sql; *p;) {
		const char *start = p;
		if (*p == '\'' || *p == '"') {
			char quote = *p++;
			/* A doubled quote is the quote itself; both dialects agree. */
			while (*p && !(*p == quote && p[1] != quote))
				p += *p == quote ? 2 : 1;
			if (*p)
				p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
		} else if (*p == '?') {
			p++;
			int n = 0, digits = 0;
			while (*p >= '0' && *p <= '9' && digits < 4) {
				n = n * 10 + (*p++ - '0');
				digits++;
			}
			/* A bare ? is one more than the highest number so far,
			 * SQLite's own rule, written out as its number for both. */
			if (!digits)
				n = *max + 1;
			if (n < 1 || n > DB_MAX_PLACEHOLDER || (*p >= '0' && *p <= '9'))
				return DB_MISUSE;
			if (n > *max)
				*max = n;
			if (used && n <= 64)
				*used |= 1ULL << (n - 1);
			if (out) {
				char num[8];
				snprintf(num, sizeof num, "%s%d", rewrite ? "$" : "?", n);
				sbuf_adds(out, num);
			}
			continue;
		} else {
			p++;
		}
		if (out)
			sbuf_add(out, start, (size_t)(p - start));
	}
	return DB_OK;
}

char *db_sql_for(enum db_backend backend, const char *sql, enum db_err *err)
{
	struct sbuf b = {0};
	int max;
	*err = scan_sql(sql, backend == DB_POSTGRESQL, &b, &max, NULL);
	if (*err != DB_OK) {
		sbuf_free(&b);
		return NULL;
	}
	return sbuf_take(&b);
}

/* The arguments of a db_exec, collected once for either back end. */
struct arg {
	int type;
	const char *text;
	long long n;
	const unsigned char *blob;
	size_t len;
};

static enum db_err collect_args(va_list ap, struct arg *args, int *count)
{
	int type, n = 0;
	while ((type = va_arg(ap, int)) != DB_END) {
		if (n == DB_MAX_ARGS)
			return DB_MISUSE;
		struct arg *a = &args[n++];
		a->type = type;
		if (type == DB_TEXT) {
			a->text = va_arg(ap, const char *);
			if (!a->text)
				a->type = DB_NULL;
		} else if (type == DB_INT) {
			a->n = va_arg(ap, long long);
		} else if (type == DB_BLOB) {
			a->blob = va_arg(ap, const unsigned char *);
			a->len = va_arg(ap, size_t);
			if (!a->blob)
				a->type = DB_NULL;
		} else if (type != DB_NULL) {
			return DB_MISUSE;
		}
	}
	*count = n;
	return DB_OK;
}

/* --- SQLite ------------------------------------------------------------ */

static enum db_err lite_err(struct db *db, int rc)
{
	set_msg(db, sqlite3_errmsg(db->lite));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_BUSY;
	case SQLITE_CONSTRAINT:
		return DB_CONSTRAINT;
	case SQLITE_ERROR:
	case SQLITE_MISMATCH:
		return DB_SQL;
	case SQLITE_RANGE:
	case SQLITE_MISUSE:
		return DB_MISUSE;
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
		return DB_UNAVAILABLE;
	default:
		return DB_ERROR;
	}
}

/* SQLite's own open, for the schema's first-start steps (lib/store/schema.c):
 * DB_OPEN_BARE leaves the journal mode and the settings to the caller
 * (who sets them under a lock); DB_OPEN_IMMUTABLE opens a file on
 * read-only media as immutable (reads only). */
enum db_err db_open_sqlite(const char *path, unsigned flags, struct db **out, char *err, size_t errlen)
{
	*out = NULL;
	/* One thread per process: no memory statistics to lock for. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	struct db *db = ck_calloc(1, sizeof *db);
	db->backend = DB_SQLITE;
	int rc;
	if (flags & DB_OPEN_IMMUTABLE) {
		char *enc = url_encode(path);
		char *uri = ck_asprintf("file:%s?immutable=1", enc);
		rc = sqlite3_open_v2(uri, &db->lite,
				     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
		free(uri);
		free(enc);
		db->read_only = 1;
	} else {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		rc = sqlite3_open_v2(path, &db->lite,
				     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	}
	if (rc != SQLITE_OK) {
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", path,
				 db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
		db_close(db);
		return DB_UNAVAILABLE;
	}
	sqlite3_busy_timeout(db->lite, DB_BUSY_TIMEOUT_MS);
	*out = db;
	return DB_OK;
}

const char *db_file(const struct db *db)
{
	if (db->backend != DB_SQLITE)
		return NULL;
	const char *f = sqlite3_db_filename(db->lite, "main");
	return f && *f ? f : NULL;
}

int db_read_only(const struct db *db)
{
	return db->read_only || (db->backend == DB_SQLITE && sqlite3_db_readonly(db->lite, "main") == 1);
}

static enum db_err lite_open(struct db *db, const char *path, char *err, size_t errlen)
{
	/* A new database is created 0600: SQLite gives its -wal and -shm
	 * files the database's mode. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	int rc = sqlite3_open_v2(path, &db->lite,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", path,
				 db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
		return DB_UNAVAILABLE;
	}
	sqlite3_busy_timeout(db->lite, DB_BUSY_TIMEOUT_MS);
	/* WAL lets readers and one writer of many processes overlap; FULL makes
	 * every acknowledged commit durable before the answer. */
	rc =
	    sqlite3_exec(db->lite, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
			 NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		enum db_err e = lite_err(db, rc);
		if (err)
			snprintf(err, errlen, "cannot set up %s: %s", path, db->msg);
		return e == DB_ERROR ? DB_UNAVAILABLE : e;
	}
	return DB_OK;
}

static enum db_err lite_exec(struct db *db, struct db_rows **rows, const char *sql, const struct arg *args,
			     int n)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db->lite, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return lite_err(db, rc);
	for (int i = 0; i < n; i++) {
		const struct arg *a = &args[i];
		if (a->type == DB_TEXT)
			rc = sqlite3_bind_text(q, i + 1, a->text, -1, SQLITE_TRANSIENT);
		else if (a->type == DB_INT)
			rc = sqlite3_bind_int64(q, i + 1, a->n);
		else if (a->type == DB_BLOB)
			/* zeroblob for an empty one: a NULL pointer would bind NULL. */
			rc = a->len ? sqlite3_bind_blob64(q, i + 1, a->blob, a->len, SQLITE_TRANSIENT)
				    : sqlite3_bind_zeroblob(q, i + 1, 0);
		else
			rc = sqlite3_bind_null(q, i + 1);
		if (rc != SQLITE_OK) {
			enum db_err e = lite_err(db, rc);
			sqlite3_finalize(q);
			return e;
		}
	}
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (rows) {
			*rows = ck_calloc(1, sizeof **rows);
			(*rows)->db = db;
			(*rows)->q = q;
		} else {
			sqlite3_finalize(q);
		}
		return DB_ROW;
	}
	enum db_err e = DB_DONE;
	if (rc == SQLITE_DONE) {
		if (!sqlite3_stmt_readonly(q))
			db->changes = sqlite3_changes(db->lite);
	} else {
		e = lite_err(db, rc);
	}
	sqlite3_finalize(q);
	return e;
}

static enum db_err lite_script(struct db *db, const char *sql)
{
	int rc = sqlite3_exec(db->lite, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? DB_OK : lite_err(db, rc);
}

/* --- PostgreSQL ---------------------------------------------------------- */

#ifdef HAVE_LIBPQ
static enum db_err pg_err(struct db *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	set_msg(db, res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(db->pg));
	if (PQstatus(db->pg) != CONNECTION_OK)
		return DB_UNAVAILABLE;
	if (!state)
		return DB_ERROR;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return DB_BUSY;
	if (strncmp(state, "23", 2) == 0)
		return DB_CONSTRAINT;
	if (strncmp(state, "42", 2) == 0 || strncmp(state, "22", 2) == 0)
		return DB_SQL;
	/* Connection exceptions, and the server shutting down or starting. */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return DB_UNAVAILABLE;
	return DB_ERROR;
}

/* Server notices (a ROLLBACK with no transaction left) are not errors. */
static void pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* libpq's connection, with our defaults for a shared server: a short
 * connect timeout, and TCP keepalives and a user timeout so that a server
 * gone from the network is noticed in seconds, not minutes. Ours come
 * first so that the URL's own settings win; UTF8 comes last so that it
 * always holds. */
static PGconn *pg_connect(const char *url)
{
	static const char *const keys[] = {"connect_timeout",
					   "keepalives",
					   "keepalives_idle",
					   "keepalives_interval",
					   "keepalives_count",
					   "tcp_user_timeout",
					   "dbname",
					   "client_encoding",
					   NULL};
	const char *const values[] = {"2", "1", "5", "2", "3", "5000", url, "UTF8", NULL};
	return PQconnectdbParams(keys, values, 1);
}

static enum db_err pg_listen(struct db *db)
{
	PGresult *res = PQexec(db->pg, "LISTEN " DB_CHANNEL);
	enum db_err e = res && PQresultStatus(res) == PGRES_COMMAND_OK ? DB_OK : pg_err(db, res);
	PQclear(res);
	db->listening = e == DB_OK;
	return e;
}

/* libpq quotes a URL it cannot parse, in part or whole: msg with the
 * password, as written between "user:" and "@", made ***. Caller frees. */
static char *hide_password(const char *msg, const char *url)
{
	const char *start = strstr(url, "://"), *at = NULL, *colon = NULL;
	if (start)
		for (const char *p = start + 3; *p && *p != '?'; p++)
			if (*p == '@')
				at = p;
	if (at)
		colon = memchr(start + 3, ':', (size_t)(at - start - 3));
	if (!colon || at - colon < 2)
		return ck_strdup(msg);
	char *pw = ck_strndup(colon + 1, (size_t)(at - colon - 1));
	struct sbuf b = {0};
	const char *p = msg;
	for (const char *hit; (hit = strstr(p, pw)); p = hit + strlen(pw)) {
		sbuf_add(&b, p, (size_t)(hit - p));
		sbuf_adds(&b, "***");
	}
	sbuf_adds(&b, p);
	free(pw);
	return sbuf_take(&b);
}

static enum db_err pg_open(struct db *db, const char *url, char *err, size_t errlen)
{
	db->pg = pg_connect(url);
	if (!db->pg || PQstatus(db->pg) != CONNECTION_OK) {
		char *m = hide_password(db->pg ? PQerrorMessage(db->pg) : "out of memory", url);
		set_msg(db, m);
		free(m);
		if (err)
			snprintf(err, errlen, "cannot connect to PostgreSQL: %s", db->msg);
		return DB_UNAVAILABLE;
	}
	PQsetNoticeProcessor(db->pg, pg_notice, NULL);
	enum db_err e = pg_listen(db);
	if (e != DB_OK && err)
		snprintf(err, errlen, "cannot listen on PostgreSQL: %s", db->msg);
	return e;
}

/* Reads what the server already sent, without waiting: notifications, or
 * the end of a connection it closed while we were idle (a message, then
 * the close: hence a few rounds). One poll when nothing is there. */
static void pg_consume(struct db *db)
{
	for (int i = 0; i < 4 && PQstatus(db->pg) == CONNECTION_OK; i++) {
		struct pollfd p = {.fd = PQsocket(db->pg), .events = POLLIN};
		if (p.fd < 0 || poll(&p, 1, 0) <= 0 || !PQconsumeInput(db->pg))
			break;
	}
}

static double since_s(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Counts what was heard (or may have been missed: every bit). */
static void note_heard(struct db *db, unsigned bits)
{
	db->generation++;
	db->notes |= bits;
	if (bits & DB_NOTE_USERS)
		db->heard[0]++;
	if (bits & DB_NOTE_KEYS)
		db->heard[1]++;
}

/* A connection the server dropped (a restart, a failover) is opened again
 * before the next statement outside a transaction; the statement that saw
 * it drop answered DB_UNAVAILABLE, since it may or may not have run.
 * After a failed attempt the next waits a second, so that a dead server
 * costs each process one connect a second, not one per request. */
static enum db_err pg_ready(struct db *db)
{
	if (db->in_txn) {
		if (PQstatus(db->pg) == CONNECTION_OK)
			return DB_OK;
		set_msg(db, "the connection to PostgreSQL was lost in a transaction");
		return DB_UNAVAILABLE;
	}
	pg_consume(db);
	if (PQstatus(db->pg) == CONNECTION_OK && db->listening)
		return DB_OK;
	if (db->failed && since_s(&db->failed_at) < 1.0) {
		set_msg(db, "PostgreSQL is unreachable (the next attempt within a second)");
		return DB_UNAVAILABLE;
	}
	PQreset(db->pg);
	if (PQstatus(db->pg) == CONNECTION_OK && pg_listen(db) == DB_OK) {
		db->failed = 0;
		/* Notifications sent while we were away are lost: anything may
		 * have changed. */
		note_heard(db, DB_NOTE_ALL);
		return DB_OK;
	}
	if (PQstatus(db->pg) != CONNECTION_OK)
		set_msg(db, PQerrorMessage(db->pg));
	db->failed = 1;
	clock_gettime(CLOCK_MONOTONIC, &db->failed_at);
	return DB_UNAVAILABLE;
}

/* used: bit i set when $i+1 appears in sql. */
static enum db_err pg_exec(struct db *db, struct db_rows **rows, const char *sql, const struct arg *args,
			   int n, unsigned long long used)
{
	enum db_err e = pg_ready(db);
	if (e != DB_OK)
		return e;
	char *text = db_sql_for(DB_POSTGRESQL, sql, &e);
	if (!text)
		return e;
	Oid types[DB_MAX_ARGS];
	const char *values[DB_MAX_ARGS];
	int lengths[DB_MAX_ARGS], formats[DB_MAX_ARGS];
	char ints[DB_MAX_ARGS][24];
	for (int i = 0; i < n; i++) {
		const struct arg *a = &args[i];
		/* Text goes untyped, so that the server types it from its use;
		 * one the statement does not use (SQLite allows that) has no
		 * use to type it from. */
		types[i] = used & (1ULL << i) ? 0 : OID_TEXT;
		lengths[i] = 0;
		formats[i] = 0;
		values[i] = NULL;
		if (a->type == DB_TEXT) {
			values[i] = a->text;
		} else if (a->type == DB_INT) {
			types[i] = OID_INT8;
			snprintf(ints[i], sizeof ints[i], "%lld", a->n);
			values[i] = ints[i];
		} else if (a->type == DB_BLOB) {
			types[i] = OID_BYTEA;
			formats[i] = 1;
			lengths[i] = (int)a->len;
			values[i] = a->len ? (const char *)a->blob : "";
		}
	}
	PGresult *res = PQexecParams(db->pg, text, n, types, values, lengths, formats, 0);
	free(text);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		const char *cmd = PQcmdStatus(res), *count = PQcmdTuples(res);
		if (strncmp(cmd, "SELECT", 6) != 0 && *count)
			db->changes = strtoll(count, NULL, 10);
		if (st == PGRES_TUPLES_OK && PQntuples(res) > 0) {
			if (rows) {
				*rows = ck_calloc(1, sizeof **rows);
				(*rows)->db = db;
				(*rows)->res = res;
			} else {
				PQclear(res);
			}
			return DB_ROW;
		}
		PQclear(res);
		return DB_DONE;
	}
	e = pg_err(db, res);
	PQclear(res);
	return e;
}

static enum db_err pg_script(struct db *db, const char *sql)
{
	enum db_err e = pg_ready(db);
	if (e != DB_OK)
		return e;
	PGresult *res = PQexec(db->pg, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	e = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY ? DB_OK
										       : pg_err(db, res);
	PQclear(res);
	return e;
}
#endif

/* --- the interface ------------------------------------------------------ */

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum db_err db_open(const char *url, struct db **out, char *err, size_t errlen)
{
	*out = NULL;
	if (err && errlen)
		*err = '\0';
	if (!url || !*url) {
		if (err)
			snprintf(err, errlen, "no database named");
		return DB_MISUSE;
	}
	struct db *db = ck_calloc(1, sizeof *db);
	enum db_err e;
	if (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://")) {
		db->backend = DB_POSTGRESQL;
#ifdef HAVE_LIBPQ
		e = pg_open(db, url, err, errlen);
#else
		if (err)
			snprintf(err, errlen,
				 "this build has no PostgreSQL support (configure --with-postgresql)");
		e = DB_UNSUPPORTED;
#endif
	} else if (has_prefix(url, "sqlite:")) {
		e = url[7] ? lite_open(db, url + 7, err, errlen) : DB_MISUSE;
		if (e == DB_MISUSE && err)
			snprintf(err, errlen, "sqlite: names no file");
	} else if (strstr(url, "://")) {
		/* Only the scheme: the rest may hold a password. */
		if (err)
			snprintf(err, errlen, "unknown database scheme %.*s", (int)(strstr(url, "://") - url),
				 url);
		e = DB_MISUSE;
	} else {
		e = lite_open(db, url, err, errlen);
	}
	if (e != DB_OK) {
		db_close(db);
		return e;
	}
	*out = db;
	return DB_OK;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close(db->lite);
#ifdef HAVE_LIBPQ
	if (db->pg)
		PQfinish(db->pg);
#endif
	free(db);
}

void db_set_busy_timeout(struct db *db, int ms)
{
	if (db->backend == DB_SQLITE)
		sqlite3_busy_timeout(db->lite, ms);
}

long long db_changes(const struct db *db)
{
	return db->changes;
}

/* Checks sql against the argument count on both back ends alike (a
 * statement refused on one is refused on the other), then runs it. exact:
 * n must be the highest placeholder (db_exec); otherwise n may exceed it,
 * and the first ones are taken (db_exec_texts). */
static enum db_err run(struct db *db, struct db_rows **rows, const char *sql, const struct arg *args, int n,
		       int exact)
{
	int max;
	unsigned long long used = 0;
	enum db_err e = scan_sql(sql, 0, NULL, &max, &used);
	if (e == DB_OK && (exact ? max != n : max > n))
		e = DB_MISUSE;
	if (e != DB_OK) {
		set_msg(db, "bad placeholders or arguments");
		return e;
	}
#ifdef HAVE_LIBPQ
	if (db->backend == DB_POSTGRESQL)
		return pg_exec(db, rows, sql, args, max, used);
#else
	(void)used;
#endif
	return lite_exec(db, rows, sql, args, max);
}

enum db_err db_exec(struct db *db, struct db_rows **rows, const char *sql, ...)
{
	if (rows)
		*rows = NULL;
	struct arg args[DB_MAX_ARGS];
	int n = 0;
	va_list ap;
	va_start(ap, sql);
	enum db_err e = collect_args(ap, args, &n);
	va_end(ap);
	if (e != DB_OK) {
		set_msg(db, "bad placeholders or arguments");
		return e;
	}
	return run(db, rows, sql, args, n, 1);
}

enum db_err db_exec_texts(struct db *db, struct db_rows **rows, const char *sql, const char *const *argv,
			  int ntexts)
{
	if (rows)
		*rows = NULL;
	struct arg args[DB_MAX_ARGS];
	int n = ntexts < DB_MAX_ARGS ? ntexts : DB_MAX_ARGS;
	for (int i = 0; i < n; i++) {
		memset(&args[i], 0, sizeof args[i]);
		args[i].type = argv[i] ? DB_TEXT : DB_NULL;
		args[i].text = argv[i];
	}
	return run(db, rows, sql, args, n, 0);
}

enum db_err db_exec_script(struct db *db, const char *sql)
{
#ifdef HAVE_LIBPQ
	if (db->backend == DB_POSTGRESQL)
		return pg_script(db, sql);
#endif
	return lite_script(db, sql);
}

/* Between two attempts that lost to another connection: SQLite already
 * waited in its busy handler; PostgreSQL answers at once, so a short
 * random pause keeps the same two from colliding again. */
static void backoff(struct db *db, int attempt)
{
	if (db->backend != DB_POSTGRESQL || attempt == 0)
		return;
	static unsigned seed;
	if (!seed)
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	long max_us = 1000L << (attempt < 6 ? attempt : 6);
	struct timespec ts = {0, (rand_r(&seed) % max_us) * 1000L};
	nanosleep(&ts, NULL);
}

enum db_err db_txn_run(struct db *db, enum db_err (*fn)(struct db *db, void *arg), void *arg)
{
	const char *begin =
	    db->backend == DB_POSTGRESQL ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN IMMEDIATE";
	enum db_err e = DB_BUSY;
	for (int attempt = 0; attempt < DB_RETRIES && e == DB_BUSY; attempt++) {
		backoff(db, attempt);
		e = db_exec_script(db, begin);
		if (e != DB_OK)
			continue;
		db->in_txn = 1;
		e = fn(db, arg);
		if (e == DB_OK || e == DB_ROW || e == DB_DONE) {
			e = db_exec_script(db, "COMMIT");
			if (e == DB_OK) {
				db->in_txn = 0;
				return DB_OK;
			}
		}
		char keep[sizeof db->msg];
		memcpy(keep, db->msg, sizeof keep);
		db_exec_script(db, "ROLLBACK");
		memcpy(db->msg, keep, sizeof keep);
		db->in_txn = 0;
	}
	return e;
}

enum db_err db_notify(struct db *db, unsigned what)
{
	if (!what || (what & ~(unsigned)DB_NOTE_ALL)) {
		set_msg(db, "no such change to notify");
		return DB_MISUSE;
	}
#ifdef HAVE_LIBPQ
	if (db->backend == DB_POSTGRESQL) {
		char sql[64];
		snprintf(sql, sizeof sql, "NOTIFY " DB_CHANNEL ", '%u'", what);
		return pg_script(db, sql);
	}
#endif
	return DB_OK;
}

/* Reads what the socket holds: every notification, and a lost connection,
 * counted (db_remote_generation, db_remote_generation_of). */
static void pg_hear(struct db *db)
{
#ifdef HAVE_LIBPQ
	if (db->backend == DB_POSTGRESQL) {
		pg_consume(db);
		/* Lost: what others change now goes unheard until the next
		 * statement connects again. */
		if (PQstatus(db->pg) != CONNECTION_OK || !db->listening)
			note_heard(db, DB_NOTE_ALL);
		PGnotify *n;
		while ((n = PQnotifies(db->pg))) {
			char *end;
			unsigned long bits = strtoul(n->extra, &end, 10);
			/* A payload we cannot read says anything may have changed. */
			int known = !*end && bits && !(bits & ~(unsigned long)DB_NOTE_ALL);
			note_heard(db, known ? (unsigned)bits : DB_NOTE_ALL);
			PQfreemem(n);
		}
	}
#else
	(void)db;
#endif
}

unsigned long long db_remote_generation(struct db *db, unsigned *what)
{
	pg_hear(db);
	if (what)
		*what = db->notes;
	db->notes = 0;
	return db->generation;
}

unsigned long long db_remote_generation_of(struct db *db, unsigned what)
{
	pg_hear(db);
	return ((what & DB_NOTE_USERS) ? db->heard[0] : 0) + ((what & DB_NOTE_KEYS) ? db->heard[1] : 0);
}

enum db_err db_rows_next(struct db_rows *rows)
{
#ifdef HAVE_LIBPQ
	if (rows->res)
		return ++rows->row < PQntuples(rows->res) ? DB_ROW : DB_DONE;
#endif
	int rc = sqlite3_step(rows->q);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	return rc == SQLITE_DONE ? DB_DONE : lite_err(rows->db, rc);
}

void db_rows_free(struct db_rows *rows)
{
	if (!rows)
		return;
	sqlite3_finalize(rows->q);
#ifdef HAVE_LIBPQ
	PQclear(rows->res);
#endif
	free(rows);
}

int db_column_null(struct db_rows *rows, int i)
{
#ifdef HAVE_LIBPQ
	if (rows->res)
		return PQgetisnull(rows->res, rows->row, i);
#endif
	return sqlite3_column_type(rows->q, i) == SQLITE_NULL;
}

const char *db_column_text(struct db_rows *rows, int i)
{
#ifdef HAVE_LIBPQ
	if (rows->res)
		return PQgetisnull(rows->res, rows->row, i) ? NULL : PQgetvalue(rows->res, rows->row, i);
#endif
	return (const char *)sqlite3_column_text(rows->q, i);
}

char *db_column_text_dup(struct db_rows *rows, int i)
{
#ifdef HAVE_LIBPQ
	if (rows->res)
		return PQgetisnull(rows->res, rows->row, i) ? NULL
							    : ck_strdup(PQgetvalue(rows->res, rows->row, i));
#endif
	const unsigned char *t = sqlite3_column_text(rows->q, i);
	return t ? ck_strdup((const char *)t) : NULL;
}

long long db_column_int(struct db_rows *rows, int i)
{
#ifdef HAVE_LIBPQ
	if (rows->res) {
		if (PQgetisnull(rows->res, rows->row, i))
			return 0;
		const char *v = PQgetvalue(rows->res, rows->row, i);
		if (PQftype(rows->res, i) == OID_BOOL)
			return *v == 't';
		return strtoll(v, NULL, 10);
	}
#endif
	return sqlite3_column_int64(rows->q, i);
}

static unsigned char *copy_bytes(const void *p, size_t n)
{
	unsigned char *c = ck_malloc(n ? n : 1);
	if (n)
		memcpy(c, p, n);
	return c;
}

unsigned char *db_column_blob_dup(struct db_rows *rows, int i, size_t *n)
{
	*n = 0;
#ifdef HAVE_LIBPQ
	if (rows->res) {
		if (PQgetisnull(rows->res, rows->row, i))
			return NULL;
		const char *v = PQgetvalue(rows->res, rows->row, i);
		if (PQftype(rows->res, i) != OID_BYTEA) {
			*n = (size_t)PQgetlength(rows->res, rows->row, i);
			return copy_bytes(v, *n);
		}
		unsigned char *raw = PQunescapeBytea((const unsigned char *)v, n);
		if (!raw) {
			fprintf(stderr, "out of memory\n");
			abort();
		}
		unsigned char *c = copy_bytes(raw, *n);
		PQfreemem(raw);
		return c;
	}
#endif
	if (sqlite3_column_type(rows->q, i) == SQLITE_NULL)
		return NULL;
	const void *p = sqlite3_column_blob(rows->q, i);
	*n = (size_t)sqlite3_column_bytes(rows->q, i);
	return copy_bytes(p, *n);
}
