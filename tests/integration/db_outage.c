/* db_outage: one lib/store/db.c handle through a real PostgreSQL outage,
 * for tests/integration/db-outage.sh:
 *
 *   db_outage URL PORT
 *
 * The environment holds bash commands: DB_OUTAGE_STOP stops the server
 * at once (pg_ctl -m immediate), DB_OUTAGE_START starts it again on PORT;
 * DB_OUTAGE_CUT and DB_OUTAGE_HEAL, when set, take the network between
 * the two away (packets go unanswered) and give it back. Prints "ok - ..." or "not ok - ..." per check and
 * the figures measured ("# ..."); exits 0 when all passed, 77 in a build without libpq. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"

#define ALL (DB_NOTE_USERS | DB_NOTE_KEYS)
/* A refused connect costs well under a millisecond; 100 ms says "no wait". */
#define FAST_MS 100.0

static int failures;

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s - ", cond ? "ok" : "not ok");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	failures += !cond;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int run(const char *var)
{
	const char *cmd = getenv(var);
	if (!cmd) {
		fprintf(stderr, "%s is not set\n", var);
		exit(2);
	}
	fflush(stdout);
	/* bash: the commands call a function the script exported. */
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int status;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* SELECT 1 on d: its result, and in *ms what it took. */
static enum db_err select1(struct db *d, double *ms)
{
	double t0 = now_ms();
	enum db_err e = db_exec(d, NULL, "SELECT 1", DB_END);
	*ms = now_ms() - t0;
	return e;
}

/* Runs SELECT 1 until it answers, up to ms: the time it took, or -1. */
static double until_back(struct db *d, int ms)
{
	double t0 = now_ms(), took;
	while (now_ms() - t0 < ms) {
		if (select1(d, &took) == DB_ROW)
			return now_ms() - t0;
		sleep_ms(10);
	}
	return -1;
}

/* A process that takes every connection on port and closes it at once,
 * writing the time of each to fd: it stands where the server was, and
 * counts how often the handle tries to connect. */
static pid_t doorman(int port, int fd)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((unsigned short)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) {
		perror("doorman");
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		for (;;) {
			int c = accept(s, NULL, NULL);
			double t = now_ms();
			if (c >= 0)
				close(c);
			if (write(fd, &t, sizeof t) != sizeof t)
				_exit(1);
		}
	}
	close(s);
	return pid;
}

struct cut {
	int calls;
	int stopped;
	double after_stop; /* when the server was gone */
};

/* Writes a row, stops the server, and asks for a commit anyway. */
static enum db_err write_then_stop(struct db *d, void *arg)
{
	struct cut *c = arg;
	c->calls++;
	enum db_err e = db_exec(d, NULL, "INSERT INTO outage (id) VALUES (1)", DB_END);
	if (e != DB_DONE)
		return e;
	c->stopped = run("DB_OUTAGE_STOP");
	c->after_stop = now_ms();
	return DB_OK;
}

/* 5. The network goes, the server stays (a partition: nothing answers,
 * nothing refuses): a statement gives up after the TCP user timeout (5 s),
 * a connect after connect_timeout (2 s), and an idle connection is found
 * lost by its keepalives, without a statement, in seconds. */
static void partition(struct db *db)
{
	unsigned what;
	double ms;
	check(run("DB_OUTAGE_CUT"), "the network is cut");
	enum db_err e = select1(db, &ms);
	check(e == DB_UNAVAILABLE && ms > 3000 && ms < 9000, "a statement across it: %s after %.0f ms",
	      db_strerror(e), ms);
	printf("# a statement across a cut network: %.0f ms\n", ms);
	/* Connects again: no answer to that either, for connect_timeout. */
	e = select1(db, &ms);
	check(e == DB_UNAVAILABLE && ms < 3000, "the next, one connect: %s after %.0f ms", db_strerror(e),
	      ms);
	printf("# a connect across a cut network: %.0f ms\n", ms);
	e = select1(db, &ms);
	check(e == DB_UNAVAILABLE && ms < FAST_MS, "the one after, within the second: %s in %.2f ms",
	      db_strerror(e), ms);
	check(run("DB_OUTAGE_HEAL"), "the network is back");
	ms = until_back(db, 5000);
	check(ms >= 0 && ms < 1500, "the handle answers again after %.0f ms", ms);

	/* Idle this time: only db_remote_generation is called. */
	unsigned long long gen = db_remote_generation(db, &what), g = gen;
	check(run("DB_OUTAGE_CUT"), "the network is cut again");
	double t0 = now_ms();
	while (g == gen && now_ms() - t0 < 30000) {
		sleep_ms(100);
		g = db_remote_generation(db, &what);
	}
	ms = now_ms() - t0;
	check(g > gen && what == (DB_NOTE_USERS | DB_NOTE_KEYS) && ms < 20000,
	      "an idle connection is found lost after %.0f ms", ms);
	printf("# an idle connection across a cut network, found lost: %.0f ms\n", ms);
	check(run("DB_OUTAGE_HEAL"), "the network is back");
	ms = until_back(db, 5000);
	check(ms >= 0, "the handle answers again after %.0f ms", ms);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s URL PORT\n", argv[0]);
		return 2;
	}
	const char *url = argv[1];
	int port = atoi(argv[2]);
	struct db *db;
	char err[256];
	enum db_err e = db_open(url, &db, err, sizeof err);
	if (e == DB_UNSUPPORTED) {
		printf("SKIP: %s\n", err);
		return 77;
	}
	if (e != DB_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double ms, worst;
	unsigned what;
	check(db_exec_script(db, "CREATE TABLE outage (id BIGINT PRIMARY KEY)") == DB_OK,
	      "the table is made");
	unsigned long long gen = db_remote_generation(db, &what);

	/* 1. The server stops at once: the handle answers unavailable, fast. */
	check(run("DB_OUTAGE_STOP"), "the server stops (pg_ctl -m immediate)");
	e = select1(db, &ms);
	check(e == DB_UNAVAILABLE && ms < FAST_MS, "the first statement after the stop: %s in %.2f ms",
	      db_strerror(e), ms);
	e = select1(db, &ms);
	check(e == DB_UNAVAILABLE && ms < FAST_MS, "the next, within the second: %s in %.2f ms (no connect)",
	      db_strerror(e), ms);
	unsigned long long g = db_remote_generation(db, &what);
	check(g > gen && what == ALL, "the generation moved (%llu to %llu), every bit set (%u)", gen, g,
	      what);
	check(db_remote_generation(db, &what) > g, "and moves on each call while the connection is lost");
	sleep_ms(1100);
	e = select1(db, &ms);
	check(e == DB_UNAVAILABLE && ms < FAST_MS, "a second later, one refused connect: %s in %.2f ms",
	      db_strerror(e), ms);
	printf("# refused connect: %.2f ms\n", ms);

	/* 2. At most one attempt a second, however many statements. */
	int p[2];
	if (pipe(p) != 0)
		return 1;
	pid_t door = doorman(port, p[1]);
	check(door > 0, "a listener stands on the server's port");
	if (door <= 0)
		return 1;
	close(p[1]);
	int calls = 0, wrong = 0;
	worst = 0;
	double t0 = now_ms();
	while (now_ms() - t0 < 3000) {
		if (select1(db, &ms) != DB_UNAVAILABLE)
			wrong++;
		if (ms > worst)
			worst = ms;
		calls++;
		sleep_ms(5);
	}
	kill(door, SIGKILL);
	waitpid(door, NULL, 0);
	/* libpq may connect twice in one attempt (with TLS, then without):
	 * connections less than 500 ms apart are one attempt. */
	double t, last = -1e9;
	int conns = 0, attempts = 0;
	while (read(p[0], &t, sizeof t) == sizeof t) {
		conns++;
		if (t - last > 500) {
			attempts++;
			last = t;
		}
	}
	close(p[0]);
	check(wrong == 0, "%d statements in 3 s, all unavailable", calls);
	check(worst < FAST_MS, "the slowest of them: %.2f ms", worst);
	check(attempts >= 2 && attempts <= 4 && conns <= 2 * attempts,
	      "%d connect attempts (%d connections) in those 3 s", attempts, conns);
	printf("# outage: %d statements in 3 s, %d connect attempts, slowest %.2f ms\n", calls, attempts,
	       worst);

	/* 3. The server is back: the same handle works, and says all changed. */
	gen = db_remote_generation(db, &what);
	check(run("DB_OUTAGE_START"), "the server starts again");
	ms = until_back(db, 5000);
	check(ms >= 0 && ms < 1500, "the same handle answers again after %.0f ms", ms);
	printf("# back after the start: %.0f ms\n", ms);
	g = db_remote_generation(db, &what);
	check(g > gen && what == ALL, "the reconnect moved the generation (%llu to %llu), every bit (%u)",
	      gen, g, what);
	struct db *other;
	if (db_open(url, &other, err, sizeof err) != DB_OK) {
		check(0, "a second connection: %s", err);
		return 1;
	}
	check(db_notify(other, DB_NOTE_USERS) == DB_OK, "another connection notifies");
	gen = g;
	for (t0 = now_ms(); g == gen && now_ms() - t0 < 2000; sleep_ms(10))
		g = db_remote_generation(db, &what);
	check(g == gen + 1 && what == DB_NOTE_USERS, "the reconnected handle hears it (%u)", what);
	db_close(other);

	/* 4. Lost between the writes and the commit: not retried, not committed. */
	struct cut c = {0};
	e = db_txn_run(db, write_then_stop, &c);
	ms = now_ms() - c.after_stop;
	check(c.stopped, "the server stops inside the transaction");
	check(e == DB_UNAVAILABLE && c.calls == 1, "the commit: %s, the function run %d time(s)",
	      db_strerror(e), c.calls);
	check(ms < FAST_MS, "the commit's answer came %.2f ms after the stop", ms);
	check(run("DB_OUTAGE_START"), "the server starts again");
	ms = until_back(db, 5000);
	check(ms >= 0, "the handle answers again after %.0f ms", ms);
	struct db_rows *r;
	e = db_exec(db, &r, "SELECT count(*) FROM outage", DB_END);
	check(e == DB_ROW && db_column_int(r, 0) == 0, "nothing was committed");
	db_rows_free(r);
	if (getenv("DB_OUTAGE_CUT"))
		partition(db);
	else
		printf("# SKIP: no network to cut (DB_OUTAGE_CUT unset)\n");
	db_close(db);
	return failures ? 1 : 0;
}
