/* bench/db: the cost of one call through lib/store/db.c on each back end,
 * run by hand (bench/README.md, "Store back ends"):
 *
 *   build/bench/db URL [CALLS]
 *
 * URL is a SQLite path or a postgresql:// URL (bash tests/integration/pg.sh
 * starts a throwaway PostgreSQL 15 and prints one). On a table of 1000
 * keyed rows it times CALLS keyed reads (one SELECT by primary key), CALLS
 * write transactions (db_txn_run around one UPDATE, committed durably) and
 * CALLS/10 opens (db_open + db_close: what a CGI request pays), and
 * CALLS batches of 100 db_remote_generation calls with no notification
 * pending (what every request pays to hear of other nodes' changes), and
 * prints one Markdown row per phase: mean, median and 99th percentile in
 * microseconds (per call), and calls per second from one connection. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEYS 1000

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *backend, const char *what, double *t, int n)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof *t, cmp);
	/* Decimals for calls under 10 µs, where whole numbers say nothing. */
	int d = sum / n < 10 ? 3 : 0;
	printf("| %s | %s | %.*f | %.*f | %.*f | %.0f |\n", backend, what, d, sum / n, d, t[n / 2], d,
	       t[n * 99 / 100], 1e6 * n / sum);
}

static void key(char *buf, size_t len, int i)
{
	snprintf(buf, len, "user-%04d@example.com", i);
}

static enum db_err seed(struct db *db, void *arg)
{
	(void)arg;
	char k[64];
	for (int i = 0; i < KEYS; i++) {
		key(k, sizeof k, i);
		enum db_err e =
		    db_exec(db, NULL, "INSERT INTO bench_kv (k, v) VALUES (?1, 0) ON CONFLICT DO NOTHING",
			    DB_TEXT, k, DB_END);
		if (e != DB_DONE)
			return e;
	}
	return DB_OK;
}

static enum db_err bump(struct db *db, void *arg)
{
	return db_exec(db, NULL, "UPDATE bench_kv SET v = v + 1 WHERE k = ?1", DB_TEXT, (const char *)arg,
		       DB_END);
}

static int fail(struct db *db, const char *what, enum db_err e)
{
	fprintf(stderr, "%s: %s: %s\n", what, db_strerror(e), db ? db_errmsg(db) : "");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s URL [CALLS]\n", argv[0]);
		return 2;
	}
	const char *url = argv[1];
	int calls = argc > 2 ? atoi(argv[2]) : 5000;
	if (calls < 100)
		calls = 100;
	struct db *db;
	char err[256];
	enum db_err e = db_open(url, &db, err, sizeof err);
	if (e != DB_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	const char *backend = db_backend(db) == DB_POSTGRESQL ? "PostgreSQL" : "SQLite";
	if ((e = db_exec_script(
		 db, "CREATE TABLE IF NOT EXISTS bench_kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)")) !=
		DB_OK ||
	    (e = db_txn_run(db, seed, NULL)) != DB_OK)
		return fail(db, "seed", e);
	double *t = calloc((size_t)calls, sizeof *t);
	char k[64];
	srand(1);
	/* Warm up: the first statements pay for parsing and cold pages. */
	for (int i = 0; i < KEYS; i++) {
		key(k, sizeof k, i);
		db_exec(db, NULL, "SELECT v FROM bench_kv WHERE k = ?1", DB_TEXT, k, DB_END);
	}
	for (int i = 0; i < calls; i++) {
		key(k, sizeof k, rand() % KEYS);
		double t0 = now_us();
		struct db_rows *r;
		e = db_exec(db, &r, "SELECT v FROM bench_kv WHERE k = ?1", DB_TEXT, k, DB_END);
		if (e != DB_ROW)
			return fail(db, "read", e);
		volatile long long v = db_column_int(r, 0);
		(void)v;
		db_rows_free(r);
		t[i] = now_us() - t0;
	}
	printf("| back end | call | mean µs | median µs | p99 µs | calls/s |\n|---|---|---|---|---|---|\n");
	report(backend, "keyed read", t, calls);
	for (int i = 0; i < calls; i++) {
		key(k, sizeof k, rand() % KEYS);
		double t0 = now_us();
		if ((e = db_txn_run(db, bump, k)) != DB_OK)
			return fail(db, "write", e);
		t[i] = now_us() - t0;
	}
	report(backend, "write transaction", t, calls);
	int opens = calls / 10;
	for (int i = 0; i < opens; i++) {
		double t0 = now_us();
		struct db *o;
		if ((e = db_open(url, &o, err, sizeof err)) != DB_OK)
			return fail(NULL, err, e);
		db_close(o);
		t[i] = now_us() - t0;
	}
	report(backend, "open + close", t, opens);
	/* In batches: one call is shorter than the clock's own cost. */
	for (int i = 0; i < calls; i++) {
		double t0 = now_us();
		for (int j = 0; j < 100; j++) {
			volatile unsigned long long g = db_remote_generation(db, NULL);
			(void)g;
		}
		t[i] = (now_us() - t0) / 100;
	}
	report(backend, "remote generation, none pending", t, calls);
	free(t);
	db_close(db);
	return 0;
}
