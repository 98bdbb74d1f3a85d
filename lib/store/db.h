/* db: the store's one database interface, with two back ends chosen at
 * open from a URL: SQLite (a path, or sqlite:PATH; the default) and
 * PostgreSQL (postgresql://... or postgres://..., through libpq). SQL is
 * written once, in the dialect the two share (docs/hacking.md, "SQL for
 * both back ends"): placeholders are ?1..?N (a bare ? is the next number, as
 * in SQLite), which the layer turns into
 * $1..$N for PostgreSQL. One connection per process, one thread. */
#ifndef MCPAUTH_DB_H
#define MCPAUTH_DB_H

#include <stddef.h>

struct db;
/* The rows a statement answered, read one at a time. */
struct db_rows;

enum db_backend { DB_SQLITE, DB_POSTGRESQL };

/* Results: DB_OK, DB_ROW and DB_DONE are success; the others say why not,
 * the same way on both back ends (db_strerror; db_errmsg has the detail). */
enum db_err {
	DB_OK,
	DB_ROW,		/* a statement answered a row */
	DB_DONE,	/* a statement ran, no (more) rows */
	DB_BUSY,	/* lost to another connection: SQLite BUSY/LOCKED, PostgreSQL
			   40001 (serialization) or 40P01 (deadlock); db_txn_run retries it */
	DB_CONSTRAINT,	/* a UNIQUE, NOT NULL, CHECK or foreign key refused the write */
	DB_SQL,		/* the statement itself: syntax, unknown table or column, type */
	DB_UNAVAILABLE, /* the database cannot be reached or opened */
	DB_MISUSE,	/* a bad URL, a placeholder out of 1..999, a bad argument list */
	DB_UNSUPPORTED, /* a PostgreSQL URL in a build without libpq */
	DB_ABORT,	/* a transaction's function rolled back on purpose (its arg says why) */
	DB_ERROR,	/* anything else */
};
const char *db_strerror(enum db_err err);

/* Opens url: a path or sqlite:PATH is SQLite (the file made
 * 0600; WAL, synchronous FULL, foreign keys, a 10 s busy timeout);
 * postgresql:// or postgres:// is PostgreSQL (libpq's URI: host, port,
 * user, password, dbname, sslmode...; connect_timeout 2 s, TCP keepalives
 * and a TCP user timeout unless the URL sets them); another scheme:// is
 * DB_MISUSE. On failure *out is NULL and err (when given) holds the
 * reason, never the URL's password. A PostgreSQL connection lost later
 * makes that statement (and the rest of its transaction) DB_UNAVAILABLE;
 * a later call outside a transaction connects again, at most once a
 * second after a failed attempt. */
enum db_err db_open(const char *url, struct db **out, char *err, size_t errlen);
void db_close(struct db *db);
/* SQLite only, for the schema's first start (lib/store/schema.c): opens
 * path with the busy timeout only, DB_OPEN_BARE (the caller sets the
 * journal mode and settings, under its lock), or DB_OPEN_IMMUTABLE (a
 * file on read-only media: reads only). */
enum { DB_OPEN_BARE = 0, DB_OPEN_IMMUTABLE = 1 << 0 };
enum db_err db_open_sqlite(const char *path, unsigned flags, struct db **out, char *err, size_t errlen);
/* The SQLite file's path, or NULL (PostgreSQL, or a memory database). */
const char *db_file(const struct db *db);
/* 1 when every write will fail: SQLite opened read-only or immutable. */
int db_read_only(const struct db *db);
enum db_backend db_backend(const struct db *db);
/* The last failure's message from the back end, for logs ("" if none). */
const char *db_errmsg(const struct db *db);
/* SQLite only: how long a statement waits for another connection's write
 * lock before DB_BUSY (PostgreSQL waits on row locks until they go). */
void db_set_busy_timeout(struct db *db, int ms);

/* Runs fn(db, arg) in a write transaction: SQLite BEGIN IMMEDIATE,
 * PostgreSQL BEGIN ISOLATION LEVEL SERIALIZABLE, so both give the same
 * exactly-one-winner answer to racing writers. fn returns DB_OK, DB_ROW or
 * DB_DONE to commit and anything else to roll back; DB_BUSY, from fn or
 * from COMMIT, starts it over (up to 20 times), so fn must only write its
 * results into arg. Returns DB_OK once committed, or the failing result. */
enum db_err db_txn_run(struct db *db, enum db_err (*fn)(struct db *db, void *arg), void *arg);

/* Runs one statement with its arguments, pairs (type, value) ended by
 * DB_END: DB_TEXT and a const char * (NULL binds NULL), DB_INT and a long
 * long, DB_BLOB and a const unsigned char * and a size_t (NULL binds NULL),
 * DB_NULL alone.
 * Returns DB_ROW when it answered a row (then *rows, when rows is given,
 * holds it, positioned on the first row; db_rows_free it before the
 * transaction's function returns), DB_DONE when not, or the failure. */
enum { DB_END, DB_TEXT, DB_INT, DB_BLOB, DB_NULL };
enum db_err db_exec(struct db *db, struct db_rows **rows, const char *sql, ...);
/* The same with text arguments from an array: the statement takes the
 * first N of argv[0..ntexts), N its highest placeholder (so statements
 * that use fewer share one list); NULL binds NULL. */
enum db_err db_exec_texts(struct db *db, struct db_rows **rows, const char *sql, const char *const *argv,
			  int ntexts);
/* Rows changed by the last db_exec that wrote. */
long long db_changes(const struct db *db);
/* Runs statements separated by ';' with no arguments (a schema). */
enum db_err db_exec_script(struct db *db, const char *sql);

/* Moves to the next row: DB_ROW, DB_DONE, or the failure. */
enum db_err db_rows_next(struct db_rows *rows);
void db_rows_free(struct db_rows *rows);
/* Column i (from 0) of the current row. */
int db_column_null(struct db_rows *rows, int i);
/* The text, borrowed: valid until db_rows_next or db_rows_free; NULL for NULL. */
const char *db_column_text(struct db_rows *rows, int i);
/* A new string (caller frees), or NULL for NULL. */
char *db_column_text_dup(struct db_rows *rows, int i);
/* The integer; 0 for NULL. */
long long db_column_int(struct db_rows *rows, int i);
/* A new copy of the bytes (caller frees) and their count in *n, or NULL
 * for NULL (an empty blob is a non-NULL pointer with *n 0). */
unsigned char *db_column_blob_dup(struct db_rows *rows, int i, size_t *n);

/* Changes other processes must hear of, as bits: DB_NOTE_USERS (user rows,
 * grants, anything a per-process cache keeps), DB_NOTE_KEYS (the signing
 * keys). */
enum { DB_NOTE_USERS = 1, DB_NOTE_KEYS = 2 };

/* Inside a write transaction: tells every connection (every process of
 * every node, this one too) at commit that what changed; a rollback drops
 * it. PostgreSQL: NOTIFY on the channel every connection LISTENs on from
 * its open. SQLite: DB_OK and nothing (one machine: usercache.c's mapped
 * counter does that job). what 0 or an unknown bit is DB_MISUSE. */
enum db_err db_notify(struct db *db, unsigned what);
/* A counter that grows with every notification this connection received
 * and every reconnect, and with every call while the connection is lost
 * (anything may change unheard meanwhile); *what (when given) gets the OR
 * of the bits seen since the last call, every bit for a loss or a
 * reconnect. Never blocks, no round trip: it reads only what the socket
 * already holds. SQLite: 0, *what 0. */
unsigned long long db_remote_generation(struct db *db, unsigned *what);
/* The same without taking the bits: a counter of the notifications heard
 * that carry any bit of what (and of losses and reconnects), for each
 * cache to compare with the value it last saw (the user rows, the keys). */
unsigned long long db_remote_generation_of(struct db *db, unsigned what);

/* The SQL text for the back end: ?N and bare ? placeholders become ?N for
 * SQLite and $N for PostgreSQL
 * (none inside '...' literals, "..." names or comments); NULL, with
 * DB_MISUSE in *err, for a number out of 1..999. Caller frees.
 * Exposed for its tests. */
char *db_sql_for(enum db_backend backend, const char *sql, enum db_err *err);

#endif
