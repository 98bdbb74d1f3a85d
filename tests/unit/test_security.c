/* Unit tests of the security features of lib/, one section each, on real
 * SQLite databases in temporary directories, with fixed clocks. */
#include <check.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "userdb.h"
#include "util.h"

static char tmpdir[64];
static char *db_path;
static sqlite3 *db;

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = ck_asprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_rf(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

static void dir_setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/mcpauth-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	db_path = ck_asprintf("%s/mcpauth.db", tmpdir);
}

static void dir_teardown(void)
{
	rm_rf(tmpdir);
	free(db_path);
	db_path = NULL;
}

static long long query_int(sqlite3 *d, const char *sql)
{
	sqlite3_stmt *q;
	ck_assert_int_eq(sqlite3_prepare_v2(d, sql, -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	long long v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* --- schema migration -------------------------------------------------- */

START_TEST(test_migration_upgrades_a_version_1_database)
{
	/* The schema as the first release left it, with one user of its own. */
	sqlite3 *old;
	ck_assert_int_eq(sqlite3_open(db_path, &old), SQLITE_OK);
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
	ck_assert_msg(userdb_open(&db, db_path, tmpdir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(query_int(db, "SELECT user_version FROM pragma_user_version"), 2);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
				       "('refresh_tokens','login_failures')"),
			 2);
	/* The old rows are kept, and no demo user was added to them. */
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM users"), 1);
	struct user u;
	ck_assert_int_eq(userdb_find_by_email(db, "kept@example.com", &u), USERDB_OK);
	ck_assert_str_eq(u.sub, "auth0|kept");
	user_free(&u);
	sqlite3_close(db);

	/* Opening again changes nothing. */
	ck_assert_msg(userdb_open(&db, db_path, tmpdir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(query_int(db, "SELECT user_version FROM pragma_user_version"), 2);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM users"), 1);
	sqlite3_close(db);
	db = NULL;
}
END_TEST

START_TEST(test_new_database_has_demo_users_and_newest_schema)
{
	char err[256] = "";
	ck_assert_msg(userdb_open(&db, db_path, tmpdir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(query_int(db, "SELECT user_version FROM pragma_user_version"), 2);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM users"), 3);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM refresh_tokens"), 0);
	sqlite3_close(db);
	db = NULL;
}
END_TEST

/* --- settings ---------------------------------------------------------- */

static const char *const security_env[] = {
    "MCPAUTH_CORS_ORIGINS",	 "MCPAUTH_ALLOWED_ORIGINS",  "MCPAUTH_AUDIT_LOG",   "MCPAUTH_REFRESH_TTL",
    "MCPAUTH_LOGIN_EMAIL_LIMIT", "MCPAUTH_LOGIN_ADDR_LIMIT", "MCPAUTH_LOGIN_WINDOW"};

static void env_setup(void)
{
	setenv("MCPAUTH_STATE_DIR", "/tmp/mcpauth-unit", 1);
	for (size_t i = 0; i < sizeof security_env / sizeof security_env[0]; i++)
		unsetenv(security_env[i]);
}

START_TEST(test_config_security_defaults)
{
	struct config c;
	char err[256] = "";
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(c.audit_log, "stderr");
	ck_assert_ptr_null(c.cors_origins);
	ck_assert_int_eq(c.refresh_ttl, 30L * 86400);
	ck_assert_int_eq(c.login_email_limit, 5);
	ck_assert_int_eq(c.login_addr_limit, 20);
	ck_assert_int_eq(c.login_window, 900);
	config_free(&c);
}
END_TEST

START_TEST(test_config_security_refuses_bad_values)
{
	static const char *const bad[][2] = {
	    {"MCPAUTH_CORS_ORIGINS", "*"},	{"MCPAUTH_CORS_ORIGINS", "https://app.example.com/path"},
	    {"MCPAUTH_CORS_ORIGINS", "null"},	{"MCPAUTH_AUDIT_LOG", "audit.log"},
	    {"MCPAUTH_REFRESH_TTL", "0"},	{"MCPAUTH_REFRESH_TTL", "40000000"},
	    {"MCPAUTH_LOGIN_EMAIL_LIMIT", "0"}, {"MCPAUTH_LOGIN_ADDR_LIMIT", "many"},
	    {"MCPAUTH_LOGIN_WINDOW", "-5"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config c;
		char err[256] = "";
		env_setup();
		setenv(bad[i][0], bad[i][1], 1);
		ck_assert_msg(config_load(&c, err, sizeof err) == -1, "accepted %s=%s", bad[i][0], bad[i][1]);
		ck_assert_msg(strstr(err, bad[i][0]) != NULL, "error does not name %s: %s", bad[i][0], err);
		config_free(&c);
	}
	env_setup();
}
END_TEST

/* --- suite ------------------------------------------------------------- */

static Suite *security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc;

	tc = tcase_create("migration");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_migration_upgrades_a_version_1_database);
	tcase_add_test(tc, test_new_database_has_demo_users_and_newest_schema);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, env_setup, env_setup);
	tcase_add_test(tc, test_config_security_defaults);
	tcase_add_test(tc, test_config_security_refuses_bad_values);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(security_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
