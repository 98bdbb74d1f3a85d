#include "usercache.h"
#include "userdb.h"
#include "util.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The user row cache of the request path. A row is served from here while
 * the database's change counter is what it was before the row was read,
 * and for at most ROW_TTL_MS. Every write of this library bumps the
 * counter after its commit: it is an 8-byte file next to the database
 * (<db>-gen), mapped shared by every process of every program, so a write
 * in one process is seen by the next read in any other. With PostgreSQL,
 * a write also sends a notification that every process of every node
 * hears (db_remote_generation_of), which moves the counter they compare
 * with. The age bound
 * covers writers that do not bump it (the sqlite3 shell). A process that
 * cannot map the counter (read-only media, another owner) does not cache.
 * Rows are kept without the password hash. */
#define ROW_SLOTS 4096
#define ROW_TTL_MS 1000
/* How long a row read before the store became unreachable is still answered. */
#define STALE_TTL_MS (300 * 1000)

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

/* The counter's file for a store with no file of its own (PostgreSQL):
 * in the node's state directory, shared by the node's processes. */
static char *counter_file;

void usercache_set_counter_file(const char *path)
{
	free(counter_file);
	counter_file = path ? ck_strdup(path) : NULL;
}

static uint64_t *counter_map(struct db *db)
{
	const char *path = db_file(db);
	if (db_read_only(db) || (!path && !counter_file))
		return NULL;
	char *name = path ? ck_asprintf("%s-gen", path) : ck_strdup(counter_file);
	int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(name);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *m = MAP_FAILED;
	/* A new file is all zeros once it has its size: counter 0. */
	if (fstat(fd, &st) == 0 &&
	    (st.st_size >= (off_t)sizeof(uint64_t) || ftruncate(fd, sizeof(uint64_t)) == 0))
		m = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

/* The database whose rows are cached: a process has one; a caller that
 * switches (the unit tests) drops them. */
static struct db *cache_db;

static void use_db(struct db *db)
{
	if (db == cache_db)
		return;
	/* Only the slots in use: writing to all would fault in every page of
	 * the table, a cost a CGI process pays twice for one request. */
	for (size_t i = 0; i < ROW_SLOTS; i++)
		if (rows[i].key)
			row_drop(&rows[i]);
	if (change_counter)
		munmap(change_counter, sizeof(uint64_t));
	change_counter = db ? counter_map(db) : NULL;
	cache_db = db;
}

void usercache_forget(struct db *db)
{
	if (db && db == cache_db)
		use_db(NULL);
}

/* The node's counter plus what this process heard from the other nodes
 * (PostgreSQL's notifications; 0 on SQLite). Both only grow. */
static uint64_t generation_now(struct db *db)
{
	return __atomic_load_n(change_counter, __ATOMIC_SEQ_CST) + db_remote_generation_of(db, DB_NOTE_USERS);
}

int userdb_generation(struct db *db, unsigned long long *gen)
{
	use_db(db);
	if (!change_counter)
		return -1;
	*gen = generation_now(db);
	return 0;
}

void userdb_touch(struct db *db)
{
	use_db(db);
	if (change_counter)
		__atomic_add_fetch(change_counter, 1, __ATOMIC_SEQ_CST);
	/* Every other node hears of it (PostgreSQL; after the commit, so a
	 * crash in between leaves them the age bound, ROW_TTL_MS). */
	if (db_notify(db, DB_NOTE_USERS) != DB_OK)
		log_msg("the other nodes were not told of a change: %s", db_errmsg(db));
}

enum userdb_status userdb_peek_by_sub(struct db *db, const char *sub, const struct user **u)
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
		gen = generation_now(db);
		if (r->key && r->gen == gen && now - r->at_ms < ROW_TTL_MS && strcmp(r->key, sub) == 0) {
			*u = r->found ? &r->u : NULL;
			return r->found ? USERDB_OK : USERDB_NOT_FOUND;
		}
	}
	struct user fresh;
	int rc = userdb_find_by_sub(db, sub, &fresh);
	if (fresh.password_hash) {
		secure_free(fresh.password_hash, strlen(fresh.password_hash));
		fresh.password_hash = NULL;
	}
	if (rc == USERDB_ERROR) {
		/* The store cannot be read (PostgreSQL down or restarting): the
		 * row this process read last is answered for a while, as the
		 * token that names it is; writes fail meanwhile, so no change
		 * made here is missed. */
		if (change_counter && r->key && r->found && strcmp(r->key, sub) == 0 &&
		    now - r->at_ms < STALE_TTL_MS) {
			*u = &r->u;
			return USERDB_OK;
		}
		return rc;
	}
	/* Without the counter, slot 0 only holds the answer until the next call. */
	row_drop(r);
	r->u = fresh;
	/* Tagged with the counter read before the query: a write committed in
	 * between makes the next lookup read again. */
	r->key = change_counter ? ck_strdup(sub) : NULL;
	r->found = rc == USERDB_OK;
	r->gen = gen;
	r->at_ms = now;
	*u = r->found ? &r->u : NULL;
	return rc;
}
