/* Unit tests of lib/store/usercache.c: the request path's row cache against writes of
 * other processes. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth0.h"
#include "fetch.h"
#include "file.h"
#include "flowstore.h"
#include "form.h"
#include "gateway.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "jwks_cache.h"
#include "page.h"
#include "password.h"
#include "refresh.h"
#include "testkeys.h"
#include "token.h"
#include "tokencache.h"
#include "unit.h"
#include "userdb.h"
#include "db.h"
#include "util.h"

/* Runs fn in a child process with its own connection to path, as another
 * program's process would be. */
static void in_other_process(const char *path, void (*fn)(struct db *db))
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct db *db;
		char err[256];
		if (userdb_open(&db, path, unit_state_dir, err, sizeof err) < 0)
			_exit(2);
		fn(db);
		userdb_close(db);
		_exit(0);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other process failed");
}

static void rename_user(struct db *db)
{
	if (userdb_update_profile(db, "auth0|user123", "Renamed Elsewhere", NULL) != USERDB_OK)
		_exit(3);
}

static void create_newbie(struct db *db)
{
	struct user u = {.sub = "auth0|newbie",
			 .email = "newbie@example.com",
			 .name = "Newbie",
			 .permissions = "read:profile",
			 .created_at = "2026-11-26T00:00:00.000Z"};
	if (userdb_create(db, &u) != USERDB_OK)
		_exit(3);
}

/* A writer that does not go through the library (the sqlite3 shell). */
static void raw_rename(sqlite3 *db)
{
	if (sqlite3_exec(db, "UPDATE users SET name = 'Renamed Raw' WHERE sub = 'auth0|user123'", NULL, NULL,
			 NULL) != SQLITE_OK)
		_exit(3);
}

START_TEST(test_userdb_peek_sees_writes_of_other_processes)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(unit_state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", unit_state_dir);
	struct db *db;
	ck_assert_msg(userdb_open_ex(&db, path, unit_state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s",
		      err);
	const struct user *u;
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_str_eq(u->name, "John Doe");
	ck_assert_ptr_null(u->password_hash); /* no secret is kept in the cache */
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|newbie", &u), USERDB_NOT_FOUND);
	ck_assert_ptr_null(u);

	/* Writes of another process are seen by the very next lookup. */
	in_other_process(path, rename_user);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_str_eq(u->name, "Renamed Elsewhere");
	in_other_process(path, create_newbie);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|newbie", &u), USERDB_OK);
	ck_assert_str_eq(u->email, "newbie@example.com");
	/* And this process's own writes. */
	ck_assert_int_eq(userdb_update_profile(db, "auth0|newbie", "Newbie Two", NULL), USERDB_OK);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|newbie", &u), USERDB_OK);
	ck_assert_str_eq(u->name, "Newbie Two");
	ck_assert_int_eq(userdb_delete(db, "auth0|newbie"), USERDB_OK);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|newbie", &u), USERDB_NOT_FOUND);

	/* A write that bypasses the library is seen within the age bound (1 s). */
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|user123", &u), USERDB_OK);
	sqlite3 *raw;
	ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
	raw_rename(raw);
	sqlite3_close(raw);
	struct timespec wait = {1, 100 * 1000 * 1000};
	nanosleep(&wait, NULL);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_str_eq(u->name, "Renamed Raw");
	userdb_close(db);
	free(path);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("usercache");
	TCase *tc;

	tc = tcase_create("peek");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unit_dir_setup, unit_dir_teardown);
	tcase_add_test(tc, test_userdb_peek_sees_writes_of_other_processes);
	suite_add_tcase(s, tc);

	return s;
}
