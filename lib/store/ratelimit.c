#include "ratelimit.h"
#include "db.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The keys of the two counters: SQLite's lower() folds ASCII only, as
 * COLLATE NOCASE of the users' emails does. */
#define EMAIL_KEY "'email:' || lower(?)"
#define ADDR_KEY "'addr:' || ?"

/* Seconds until key has fewer than limit failures newer than now - window:
 * 0 when it has fewer already, -1 on a store error. */
static long wait_for(struct db *db, const char *key_sql, const char *value, long limit, long window,
		     time_t now)
{
	char *sql = ck_asprintf("SELECT at FROM login_failures WHERE key = %s AND at > ? ORDER BY at DESC"
				" LIMIT 1 OFFSET ?",
				key_sql);
	struct db_rows *q;
	/* With c failures a_0 <= ... <= a_(c-1), the count drops under the limit
	 * when a_(c-limit) leaves the window: that is the limit-th newest. */
	int rc = db_exec(db, &q, sql, DB_TEXT, value, DB_INT, (long long)(now - window), DB_INT,
			 (long long)(limit - 1), DB_END);
	free(sql);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW)
		return -1;
	long at = (long)db_column_int(q, 0);
	db_rows_free(q);
	long wait = at + window - (long)now;
	return wait > 0 ? wait : 1;
}

enum ratelimit_status ratelimit_check(struct db *db, const struct ratelimit *rl, const char *email,
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

static enum db_err fail_fn(struct db *db, void *arg)
{
	struct fail_args *f = arg;
	/* What has left every window is of no more use. */
	int rc = db_exec(db, NULL, "DELETE FROM login_failures WHERE at <= ?", DB_INT,
			 (long long)(f->now - f->rl->window), DB_END);
	if (rc == DB_DONE)
		rc = db_exec(db, NULL, "INSERT INTO login_failures(key, at) VALUES(" EMAIL_KEY ", ?)",
			     DB_TEXT, f->email, DB_INT, (long long)f->now, DB_END);
	if (rc == DB_DONE && f->addr)
		rc = db_exec(db, NULL, "INSERT INTO login_failures(key, at) VALUES(" ADDR_KEY ", ?)", DB_TEXT,
			     f->addr, DB_INT, (long long)f->now, DB_END);
	return rc;
}

enum ratelimit_status ratelimit_fail(struct db *db, const struct ratelimit *rl, const char *email,
				     const char *addr, time_t now)
{
	struct fail_args f = {rl, email, addr, now};
	return db_txn_run(db, fail_fn, &f) == DB_OK ? RATELIMIT_OK : RATELIMIT_ERROR;
}

static enum db_err success_fn(struct db *db, void *arg)
{
	return db_exec(db, NULL, "DELETE FROM login_failures WHERE key = " EMAIL_KEY, DB_TEXT,
		       (const char *)arg, DB_END);
}

enum ratelimit_status ratelimit_success(struct db *db, const char *email)
{
	struct db_rows *q;
	int rc = db_exec(db, &q, "SELECT 1 FROM login_failures WHERE key = " EMAIL_KEY " LIMIT 1", DB_TEXT,
			 email, DB_END);
	if (rc == DB_ROW)
		db_rows_free(q);
	else
		return rc == DB_DONE ? RATELIMIT_OK : RATELIMIT_ERROR;
	return db_txn_run(db, success_fn, (void *)email) == DB_OK ? RATELIMIT_OK : RATELIMIT_ERROR;
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
