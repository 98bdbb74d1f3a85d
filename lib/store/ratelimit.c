#include "ratelimit.h"
#include "txn.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The keys of the two counters: SQLite's lower() folds ASCII only, as
 * COLLATE NOCASE of the users' emails does. */
#define EMAIL_KEY "'email:' || lower(?)"
#define ADDR_KEY "'addr:' || ?"

/* Seconds until key has fewer than limit failures newer than now - window:
 * 0 when it has fewer already, -1 on a store error. */
static long wait_for(sqlite3 *db, const char *key_sql, const char *value, long limit, long window, time_t now)
{
	char *sql = ck_asprintf("SELECT at FROM login_failures WHERE key = %s AND at > ? ORDER BY at DESC"
				" LIMIT 1 OFFSET ?",
				key_sql);
	sqlite3_stmt *q;
	/* With c failures a_0 <= ... <= a_(c-1), the count drops under the limit
	 * when a_(c-limit) leaves the window: that is the limit-th newest. */
	int rc = txn_exec(db, &q, sql, TXN_TEXT, value, TXN_INT, (long long)(now - window), TXN_INT,
			  (long long)(limit - 1), TXN_END);
	free(sql);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	long at = (long)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	long wait = at + window - (long)now;
	return wait > 0 ? wait : 1;
}

enum ratelimit_status ratelimit_check(sqlite3 *db, const struct ratelimit *rl, const char *email,
				      const char *addr, time_t now, long *retry_after, const char **which)
{
	*retry_after = 0;
	*which = NULL;
	long e = wait_for(db, EMAIL_KEY, email, rl->email_limit, rl->window, now);
	long a = addr ? wait_for(db, ADDR_KEY, addr, rl->addr_limit, rl->window, now) : 0;
	if (e < 0 || a < 0)
		return RATELIMIT_ERROR;
	if (e == 0 && a == 0)
		return RATELIMIT_OK;
	*retry_after = e > a ? e : a;
	*which = e >= a ? "email" : "address";
	return RATELIMIT_BLOCKED;
}

struct fail_args {
	const struct ratelimit *rl;
	const char *email, *addr;
	time_t now;
};

static int fail_fn(sqlite3 *db, void *arg)
{
	struct fail_args *f = arg;
	/* What has left every window is of no more use. */
	int rc = txn_exec(db, NULL, "DELETE FROM login_failures WHERE at <= ?", TXN_INT,
			  (long long)(f->now - f->rl->window), TXN_END);
	if (rc == SQLITE_DONE)
		rc = txn_exec(db, NULL, "INSERT INTO login_failures(key, at) VALUES(" EMAIL_KEY ", ?)",
			      TXN_TEXT, f->email, TXN_INT, (long long)f->now, TXN_END);
	if (rc == SQLITE_DONE && f->addr)
		rc = txn_exec(db, NULL, "INSERT INTO login_failures(key, at) VALUES(" ADDR_KEY ", ?)",
			      TXN_TEXT, f->addr, TXN_INT, (long long)f->now, TXN_END);
	return rc;
}

enum ratelimit_status ratelimit_fail(sqlite3 *db, const struct ratelimit *rl, const char *email,
				     const char *addr, time_t now)
{
	struct fail_args f = {rl, email, addr, now};
	return txn_run(db, fail_fn, &f) == SQLITE_OK ? RATELIMIT_OK : RATELIMIT_ERROR;
}

static int success_fn(sqlite3 *db, void *arg)
{
	return txn_exec(db, NULL, "DELETE FROM login_failures WHERE key = " EMAIL_KEY, TXN_TEXT,
			(const char *)arg, TXN_END);
}

enum ratelimit_status ratelimit_success(sqlite3 *db, const char *email)
{
	sqlite3_stmt *q;
	int rc = txn_exec(db, &q, "SELECT 1 FROM login_failures WHERE key = " EMAIL_KEY " LIMIT 1", TXN_TEXT,
			  email, TXN_END);
	if (rc == SQLITE_ROW)
		sqlite3_finalize(q);
	else
		return rc == SQLITE_DONE ? RATELIMIT_OK : RATELIMIT_ERROR;
	return txn_run(db, success_fn, (void *)email) == SQLITE_OK ? RATELIMIT_OK : RATELIMIT_ERROR;
}

const char *ratelimit_strerror(enum ratelimit_status st)
{
	switch (st) {
	case RATELIMIT_OK:
		return "ok";
	case RATELIMIT_BLOCKED:
		return "too many failures";
	case RATELIMIT_ERROR:
		break;
	}
	return "the rate limit store failed";
}
