#include "txn.h"
#include "util.h"

#include <stdarg.h>
#include <stddef.h>

#define TXN_RETRIES 20

static int busy(int rc)
{
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

int txn_run(sqlite3 *db, int (*fn)(sqlite3 *db, void *arg), void *arg)
{
	int rc = SQLITE_BUSY;
	for (int attempt = 0; attempt < TXN_RETRIES && busy(rc); attempt++) {
		rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			continue;
		rc = fn(db, arg);
		if (rc == SQLITE_OK || rc == SQLITE_DONE) {
			rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			if (rc == SQLITE_OK)
				return SQLITE_OK;
		}
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

int txn_exec(sqlite3 *db, sqlite3_stmt **stmt, const char *sql, ...)
{
	sqlite3_stmt *q;
	if (stmt)
		*stmt = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	va_list ap;
	va_start(ap, sql);
	for (int i = 1, type; (type = va_arg(ap, int)) != TXN_END; i++) {
		if (type == TXN_TEXT) {
			sqlite3_bind_text(q, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		} else if (type == TXN_INT) {
			sqlite3_bind_int64(q, i, va_arg(ap, long long));
		} else {
			const unsigned char *p = va_arg(ap, const unsigned char *);
			size_t n = va_arg(ap, size_t);
			sqlite3_bind_blob(q, i, p, (int)n, SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && stmt)
		*stmt = q;
	else
		sqlite3_finalize(q);
	return rc;
}

char *txn_column_dup(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return t ? ck_strdup((const char *)t) : NULL;
}
