/* Unit tests of lib/userdb.c: the user store's writes that only the tool uses (no demo
 * users, passwords, deletion) and the permission swap. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "userjson.h"
#include "file.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "password.h"
#include "refresh.h"
#include "token.h"
#include "tokencache.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

static void count_user(const struct user *u, void *arg)
{
	(*(int *)arg)++;
}

static int nusers(struct db *db)
{
	int n = 0;
	ck_assert_int_eq(userdb_each(db, count_user, &n), USERDB_OK);
	return n;
}

/* A refresh token of sub, taken at now; the caller frees it. */
static char *refresh_of(struct db *db, const char *sub, time_t now)
{
	char *tok = NULL;
	struct refresh_grant g;
	ck_assert_int_eq(refresh_issue(db, sub, "openid offline_access", NULL, now, 3600, &tok, &g),
			 REFRESH_OK);
	refresh_grant_free(&g);
	return tok;
}

/* REFRESH_OK (the next token replaces *tok) or the refusal. */
static enum refresh_status refresh_next(struct db *db, char **tok, time_t now)
{
	char *next = NULL;
	struct refresh_grant g;
	enum refresh_status st = refresh_rotate(db, *tok, NULL, now, &next, &g);
	refresh_grant_free(&g);
	if (st == REFRESH_OK) {
		refresh_token_free(*tok);
		*tok = next;
	}
	return st;
}

START_TEST(test_userdb_creates_no_demo_users_unless_asked)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(unit_state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", unit_state_dir);
	struct db *db;
	/* A program's open of a new database: no user at all. */
	ck_assert_msg(userdb_open(&db, path, unit_state_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(nusers(db), 0);
	char demo[128];
	ck_assert_uint_eq(userdb_demo_logins(db, password_verify, demo, sizeof demo), 0);
	ck_assert_str_eq(demo, "");
	userdb_close(db);
	free(path);
}
END_TEST

START_TEST(test_userdb_demo_logins_found_until_changed)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(unit_state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", unit_state_dir);
	struct db *db;
	ck_assert_msg(userdb_open_ex(&db, path, unit_state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s",
		      err);
	ck_assert_int_eq(nusers(db), 3);
	char demo[128];
	ck_assert_uint_eq(userdb_demo_logins(db, password_verify, demo, sizeof demo), 3);
	ck_assert_str_eq(demo, "user@example.com admin@example.com viewer@example.com");
	/* The seeded hashes are real hashes of the published passwords. */
	struct user u;
	ck_assert_int_eq(userdb_find_by_email(db, "admin@example.com", &u), USERDB_OK);
	ck_assert_int_eq(password_verify("admin", u.password_hash), 1);
	user_free(&u);
	/* A changed password is no demo login; a hash made anew for the demo
	 * password (a database seeded by an older version) still is. */
	char *hash = password_hash("a-real-secret");
	ck_assert_int_eq(userdb_set_password(db, "auth0|admin456", hash), USERDB_OK);
	free(hash);
	hash = password_hash("readonly");
	ck_assert_int_eq(userdb_set_password(db, "auth0|readonly789", hash), USERDB_OK);
	free(hash);
	ck_assert_uint_eq(userdb_demo_logins(db, password_verify, demo, sizeof demo), 2);
	ck_assert_str_eq(demo, "user@example.com viewer@example.com");
	ck_assert_int_eq(userdb_delete(db, "auth0|user123"), USERDB_OK);
	ck_assert_int_eq(userdb_set_password(db, "auth0|readonly789", NULL), USERDB_OK);
	ck_assert_uint_eq(userdb_demo_logins(db, password_verify, demo, sizeof demo), 0);
	userdb_close(db);
	free(path);
}
END_TEST

START_TEST(test_userdb_password_and_deletion_revoke_refresh_tokens)
{
	char err[256] = "";
	time_t now = 1800000000;
	ck_assert_int_eq(mkdir(unit_state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", unit_state_dir);
	struct db *db;
	ck_assert_msg(userdb_open_ex(&db, path, unit_state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s",
		      err);
	/* Two logins of user123 (one rotated already), one of the viewer. */
	char *a = refresh_of(db, "auth0|user123", now), *b = refresh_of(db, "auth0|user123", now);
	char *v = refresh_of(db, "auth0|readonly789", now);
	ck_assert_int_eq(refresh_next(db, &a, now), REFRESH_OK);
	/* A permission change is no credential change: the tokens live on. */
	ck_assert_int_eq(userdb_set_permissions(db, "auth0|user123", "read:profile"), USERDB_OK);
	ck_assert_int_eq(refresh_next(db, &b, now), REFRESH_OK);
	/* A remembered grant and a signed-in browser of each user. */
	ck_assert_int_eq(
	    db_exec_script(db, "INSERT INTO oauth_grants VALUES('auth0|user123','c1','read:profile',1,1);"
			       "INSERT INTO oauth_grants VALUES('auth0|readonly789','c1','read:profile',1,1);"
			       "INSERT INTO oauth_sessions(hash,sub,csrf,expires_at)"
			       " VALUES(x'01','auth0|user123','c',9999999999);"
			       "INSERT INTO oauth_sessions(hash,sub,csrf,expires_at)"
			       " VALUES(x'02','auth0|readonly789','c',9999999999);"),
	    DB_OK);
	char *hash = password_hash("new-password");
	ck_assert_int_eq(userdb_set_password(db, "auth0|user123", hash), USERDB_OK);
	/* The grants and browser sessions go with the old password; the
	 * viewer's stay. */
	ck_assert_int_eq(unit_query_int(db, "SELECT count(*) FROM oauth_grants WHERE sub = 'auth0|user123'"),
			 0);
	ck_assert_int_eq(
	    unit_query_int(db, "SELECT count(*) FROM oauth_sessions WHERE sub = 'auth0|user123'"), 0);
	ck_assert_int_eq(unit_query_int(db, "SELECT count(*) FROM oauth_grants"), 1);
	ck_assert_int_eq(unit_query_int(db, "SELECT count(*) FROM oauth_sessions"), 1);
	ck_assert_int_eq(refresh_next(db, &a, now), REFRESH_REVOKED);
	ck_assert_int_eq(refresh_next(db, &b, now), REFRESH_REVOKED);
	ck_assert_int_eq(refresh_next(db, &v, now), REFRESH_OK);
	/* A login after the change works; "no password" revokes too. */
	char *c = refresh_of(db, "auth0|user123", now);
	ck_assert_int_eq(userdb_set_password(db, "auth0|user123", NULL), USERDB_OK);
	ck_assert_int_eq(refresh_next(db, &c, now), REFRESH_REVOKED);
	/* Deletion: the viewer's tokens go with the viewer. */
	ck_assert_int_eq(userdb_delete(db, "auth0|readonly789"), USERDB_OK);
	ck_assert_int_eq(refresh_next(db, &v, now), REFRESH_REVOKED);
	refresh_token_free(a);
	refresh_token_free(b);
	refresh_token_free(c);
	refresh_token_free(v);
	free(hash);
	userdb_close(db);
	free(path);
}
END_TEST

START_TEST(test_userdb_swap_permissions_only_from_what_was_read)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(unit_state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", unit_state_dir);
	struct db *db;
	ck_assert_msg(userdb_open_ex(&db, path, unit_state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s",
		      err);
	const char *had = "read:profile write:profile";
	ck_assert_int_eq(userdb_swap_permissions(db, "auth0|user123", "read:profile", "admin:all"),
			 USERDB_NOT_FOUND);
	ck_assert_int_eq(userdb_swap_permissions(db, "auth0|nobody", had, "admin:all"), USERDB_NOT_FOUND);
	ck_assert_int_eq(userdb_swap_permissions(db, "auth0|user123", had, "read:profile"), USERDB_OK);
	struct user u;
	ck_assert_int_eq(userdb_find_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_str_eq(u.permissions, "read:profile");
	user_free(&u);
	userdb_close(db);
	free(path);
}
END_TEST

START_TEST(test_userdb_set_password_and_delete)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(unit_state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", unit_state_dir);
	struct db *db;
	ck_assert_msg(userdb_open_ex(&db, path, unit_state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s",
		      err);
	ck_assert_int_eq(nusers(db), 3);
	char *hash = password_hash("new-password");
	ck_assert_int_eq(userdb_set_password(db, "auth0|user123", hash), USERDB_OK);
	struct user u;
	ck_assert_int_eq(userdb_find_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_int_eq(password_verify("new-password", u.password_hash), 1);
	ck_assert_int_eq(password_verify("password", u.password_hash), 0);
	user_free(&u);
	ck_assert_int_eq(userdb_set_password(db, "auth0|user123", NULL), USERDB_OK);
	ck_assert_int_eq(userdb_find_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_ptr_null(u.password_hash);
	user_free(&u);
	ck_assert_int_eq(userdb_set_password(db, "auth0|nobody", hash), USERDB_NOT_FOUND);
	ck_assert_int_eq(userdb_delete(db, "auth0|user123"), USERDB_OK);
	ck_assert_int_eq(userdb_delete(db, "auth0|user123"), USERDB_NOT_FOUND);
	ck_assert_int_eq(userdb_find_by_sub(db, "auth0|user123", &u), USERDB_NOT_FOUND);
	ck_assert_int_eq(nusers(db), 2);
	free(hash);
	userdb_close(db);
	free(path);
}
END_TEST

START_TEST(test_user_json_names_what_it_is_asked)
{
	struct user u = {.sub = "auth0|1",
			 .email = "a@example.com",
			 .name = NULL,
			 .permissions = "read:x  write:x",
			 .scope = "openid",
			 .email_verified = 1,
			 .created_at = "2026-01-01T00:00:00.000Z"};
	json_object *o = user_json(&u, 0);
	ck_assert_str_eq(json_text(o), "{\"id\":\"auth0|1\",\"email\":\"a@example.com\",\"name\":null}");
	json_object_put(o);
	o = user_json(&u, USER_JSON_SUB | USER_JSON_PERMISSIONS | USER_JSON_SCOPE);
	ck_assert_str_eq(json_text(o), "{\"sub\":\"auth0|1\",\"email\":\"a@example.com\",\"name\":null,"
				       "\"permissions\":[\"read:x\",\"write:x\"],\"scope\":\"openid\"}");
	json_object_put(o);
	o = user_json(&u, USER_JSON_USER_ID | USER_JSON_VERIFIED | USER_JSON_CREATED);
	ck_assert_str_eq(json_text(o),
			 "{\"user_id\":\"auth0|1\",\"email\":\"a@example.com\",\"name\":null,"
			 "\"email_verified\":true,\"created_at\":\"2026-01-01T00:00:00.000Z\"}");
	json_object_put(o);
}
END_TEST

/* The result enum's _strerror names every value apart, for logs; an
 * unknown value still gets a text. */
START_TEST(test_userdb_strerror_names_every_status)
{
	const char *t[] = {userdb_strerror(USERDB_ERROR), userdb_strerror(USERDB_OK),
			   userdb_strerror(USERDB_NOT_FOUND), userdb_strerror(USERDB_CONFLICT)};
	unit_distinct_texts(t, 4);
	ck_assert_str_eq(userdb_strerror((enum userdb_status)42), userdb_strerror(USERDB_ERROR));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("userdb");
	TCase *tc;

	tc = tcase_create("userdb");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unit_dir_setup, unit_dir_teardown);
	tcase_add_test(tc, test_userdb_strerror_names_every_status);
	tcase_add_test(tc, test_userdb_creates_no_demo_users_unless_asked);
	tcase_add_test(tc, test_userdb_demo_logins_found_until_changed);
	tcase_add_test(tc, test_userdb_set_password_and_delete);
	tcase_add_test(tc, test_userdb_password_and_deletion_revoke_refresh_tokens);
	tcase_add_test(tc, test_userdb_swap_permissions_only_from_what_was_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("user_json");
	tcase_add_test(tc, test_user_json_names_what_it_is_asked);
	suite_add_tcase(s, tc);

	return s;
}
