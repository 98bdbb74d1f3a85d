/* Unit tests of lib/store/schema.c: a new database and the migration of an old one. */

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "audit.h"
#include "config.h"
#include "cors.h"
#include "grant.h"
#include "ratelimit.h"
#include "refresh.h"
#include "route.h"
#include "unit.h"
#include "userdb.h"
#include "db.h"
#include "util.h"

/* --- schema migration -------------------------------------------------- */

START_TEST(test_migration_upgrades_a_version_1_database)
{
	/* The schema as the first release left it, with one user of its own. */
	sqlite3 *old;
	ck_assert_int_eq(sqlite3_open(unit_db_path, &old), SQLITE_OK);
	ck_assert_int_eq(
	    sqlite3_exec(
		old,
		"CREATE TABLE users (sub TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
		" name TEXT NOT NULL, password_hash TEXT, permissions TEXT NOT NULL DEFAULT '',"
		" scope TEXT NOT NULL DEFAULT 'openid profile email',"
		" email_verified INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);"
		"INSERT INTO users(sub,email,name,created_at) VALUES('auth0|kept','kept@example.com',"
		"'Kept','2026-01-01T00:00:00.000Z');"
		"PRAGMA user_version=1;",
		NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(old);

	char err[256] = "";
	ck_assert_msg(userdb_open(&unit_db, unit_db_path, unit_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT user_version FROM pragma_user_version"), 8);
	ck_assert_int_eq(unit_query_int(unit_db,
					"SELECT count(*) FROM sqlite_master WHERE name IN "
					"('refresh_tokens','login_failures','oauth_clients','oauth_sessions',"
					"'oauth_requests','oauth_codes','oauth_grants')"),
			 7);
	/* Migration 5: the refresh tokens' addresses (the sessions list). */
	ck_assert_int_eq(unit_query_int(unit_db,
					"SELECT count(*) FROM pragma_table_info('refresh_tokens') WHERE "
					"name = 'addr'"),
			 1);
	/* The old rows are kept, and no demo user was added to them. */
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM users"), 1);
	struct user u;
	ck_assert_int_eq(userdb_find_by_email(unit_db, "kept@example.com", &u), USERDB_OK);
	ck_assert_str_eq(u.sub, "auth0|kept");
	user_free(&u);
	userdb_close(unit_db);

	/* Opening again changes nothing. */
	ck_assert_msg(userdb_open(&unit_db, unit_db_path, unit_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT user_version FROM pragma_user_version"), 8);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM users"), 1);
	userdb_close(unit_db);
	unit_db = NULL;
}
END_TEST

START_TEST(test_new_database_has_no_users_and_newest_schema)
{
	char err[256] = "";
	ck_assert_msg(userdb_open(&unit_db, unit_db_path, unit_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT user_version FROM pragma_user_version"), 8);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM users"), 0);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM refresh_tokens"), 0);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM oauth_clients"), 0);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM oauth_grants"), 0);
	/* Migration 8: the signing keys' table, empty (the programs keep key files on SQLite). */
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM signing_keys"), 0);
	userdb_close(unit_db);
	/* Asking for the demo users later adds none to a database that exists. */
	ck_assert_msg(userdb_open_ex(&unit_db, unit_db_path, unit_dir, USERDB_DEMO, err, sizeof err) == 0,
		      "%s", err);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM users"), 0);
	userdb_close(unit_db);
	unit_db = NULL;
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc;

	tc = tcase_create("migration");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unit_dir_setup, unit_dir_teardown);
	tcase_add_test(tc, test_migration_upgrades_a_version_1_database);
	tcase_add_test(tc, test_new_database_has_no_users_and_newest_schema);
	suite_add_tcase(s, tc);

	return s;
}
