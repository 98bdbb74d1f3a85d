/* Unit tests of the security features of lib/, one section each, on real
 * SQLite databases in temporary directories, with fixed clocks. */
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

static void db_setup(void)
{
	char err[256] = "";
	dir_setup();
	ck_assert_msg(userdb_open_ex(&db, db_path, tmpdir, USERDB_DEMO, err, sizeof err) == 0, "%s", err);
}

static void db_teardown(void)
{
	userdb_close(db);
	db = NULL;
	dir_teardown();
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
	ck_assert_int_eq(query_int(db, "SELECT user_version FROM pragma_user_version"), 4);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
				       "('refresh_tokens','login_failures','oauth_clients','oauth_sessions',"
				       "'oauth_requests','oauth_codes','oauth_grants')"),
			 7);
	/* The old rows are kept, and no demo user was added to them. */
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM users"), 1);
	struct user u;
	ck_assert_int_eq(userdb_find_by_email(db, "kept@example.com", &u), USERDB_OK);
	ck_assert_str_eq(u.sub, "auth0|kept");
	user_free(&u);
	userdb_close(db);

	/* Opening again changes nothing. */
	ck_assert_msg(userdb_open(&db, db_path, tmpdir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(query_int(db, "SELECT user_version FROM pragma_user_version"), 4);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM users"), 1);
	userdb_close(db);
	db = NULL;
}
END_TEST

START_TEST(test_new_database_has_no_users_and_newest_schema)
{
	char err[256] = "";
	ck_assert_msg(userdb_open(&db, db_path, tmpdir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(query_int(db, "SELECT user_version FROM pragma_user_version"), 4);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM users"), 0);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM refresh_tokens"), 0);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM oauth_clients"), 0);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM oauth_grants"), 0);
	userdb_close(db);
	/* Asking for the demo users later adds none to a database that exists. */
	ck_assert_msg(userdb_open_ex(&db, db_path, tmpdir, USERDB_DEMO, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM users"), 0);
	userdb_close(db);
	db = NULL;
}
END_TEST

/* --- refresh tokens ---------------------------------------------------- */

static char *issue(const char *sub, time_t now, long ttl, struct refresh_grant *g)
{
	char *tok = NULL;
	ck_assert_int_eq(refresh_issue(db, sub, "openid offline_access", now, ttl, &tok, g), REFRESH_OK);
	ck_assert_ptr_nonnull(tok);
	return tok;
}

START_TEST(test_refresh_issue_gives_256_bit_base64url_token)
{
	struct refresh_grant g;
	char *tok = issue("auth0|user123", 1000, 100, &g);
	ck_assert_uint_eq(strlen(tok), REFRESH_TOKEN_LEN);
	ck_assert_uint_eq(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
			  REFRESH_TOKEN_LEN);
	unsigned char *raw;
	size_t rawlen;
	ck_assert_int_eq(b64url_decode(tok, strlen(tok), &raw, &rawlen), 0);
	ck_assert_uint_eq(rawlen, 32);
	free(raw);
	ck_assert_uint_eq(strlen(g.family), REFRESH_FAMILY_LEN);
	ck_assert_int_eq(g.expires_at, 1100);
	struct refresh_grant g2;
	char *tok2 = issue("auth0|user123", 1000, 100, &g2);
	ck_assert_str_ne(tok, tok2);
	ck_assert_str_ne(g.family, g2.family);
	refresh_token_free(tok);
	refresh_token_free(tok2);
	refresh_grant_free(&g);
	refresh_grant_free(&g2);
}
END_TEST

START_TEST(test_refresh_store_holds_only_the_sha256)
{
	struct refresh_grant g;
	char *tok = issue("auth0|user123", 1000, 100, &g);
	unsigned char want[32];
	unsigned int n;
	ck_assert_int_eq(EVP_Digest(tok, strlen(tok), want, &n, EVP_sha256(), NULL), 1);
	sqlite3_stmt *q;
	ck_assert_int_eq(
	    sqlite3_prepare_v2(db, "SELECT hash, family, sub, scope FROM refresh_tokens", -1, &q, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_bytes(q, 0), 32);
	ck_assert_int_eq(memcmp(sqlite3_column_blob(q, 0), want, 32), 0);
	for (int i = 1; i < 4; i++)
		ck_assert_ptr_null(strstr((const char *)sqlite3_column_text(q, i), tok));
	ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	refresh_token_free(tok);
	refresh_grant_free(&g);
}
END_TEST

START_TEST(test_refresh_rotate_gives_new_token_and_keeps_expiry)
{
	struct refresh_grant g, r;
	char *tok = issue("auth0|user123", 1000, 100, &g), *next = NULL;
	ck_assert_int_eq(refresh_rotate(db, tok, 1050, &next, &r), REFRESH_OK);
	ck_assert_ptr_nonnull(next);
	ck_assert_str_ne(next, tok);
	ck_assert_str_eq(r.sub, "auth0|user123");
	ck_assert_str_eq(r.scope, "openid offline_access");
	ck_assert_str_eq(r.family, g.family);
	/* Absolute lifetime: the new token ends when the login's first did. */
	ck_assert_int_eq(r.expires_at, 1100);
	refresh_grant_free(&r);
	char *third = NULL;
	ck_assert_int_eq(refresh_rotate(db, next, 1099, &third, &r), REFRESH_OK);
	refresh_grant_free(&r);
	refresh_token_free(next);
	ck_assert_int_eq(refresh_rotate(db, third, 1100, &next, &r), REFRESH_EXPIRED);
	ck_assert_ptr_null(next);
	refresh_grant_free(&r);
	refresh_token_free(tok);
	refresh_token_free(third);
	refresh_grant_free(&g);
}
END_TEST

START_TEST(test_refresh_reuse_revokes_the_family_only)
{
	struct refresh_grant g, other, r;
	char *tok = issue("auth0|user123", 1000, 100, &g);
	char *mine = issue("auth0|admin456", 1000, 100, &other);
	char *next = NULL, *none = NULL;
	ck_assert_int_eq(refresh_rotate(db, tok, 1001, &next, &r), REFRESH_OK);
	refresh_grant_free(&r);
	/* The old token again: reuse. */
	ck_assert_int_eq(refresh_rotate(db, tok, 1002, &none, &r), REFRESH_REUSED);
	ck_assert_ptr_null(none);
	ck_assert_str_eq(r.family, g.family);
	ck_assert_str_eq(r.sub, "auth0|user123");
	refresh_grant_free(&r);
	/* Its successor, never used, is dead too. */
	ck_assert_int_eq(refresh_rotate(db, next, 1003, &none, &r), REFRESH_REVOKED);
	ck_assert_ptr_null(none);
	refresh_grant_free(&r);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM refresh_tokens WHERE revoked = 0"), 1);
	/* Another login's family is untouched. */
	ck_assert_int_eq(refresh_rotate(db, mine, 1004, &none, &r), REFRESH_OK);
	refresh_grant_free(&r);
	refresh_token_free(none);
	refresh_token_free(tok);
	refresh_token_free(next);
	refresh_token_free(mine);
	refresh_grant_free(&g);
	refresh_grant_free(&other);
}
END_TEST

START_TEST(test_refresh_revoke_ends_the_family)
{
	struct refresh_grant g, r;
	char *tok = issue("auth0|user123", 1000, 100, &g), *next = NULL, *none = NULL;
	ck_assert_int_eq(refresh_rotate(db, tok, 1001, &next, &r), REFRESH_OK);
	refresh_grant_free(&r);
	ck_assert_int_eq(refresh_revoke(db, next, &r), REFRESH_OK);
	ck_assert_str_eq(r.sub, "auth0|user123");
	ck_assert_str_eq(r.family, g.family);
	refresh_grant_free(&r);
	ck_assert_int_eq(refresh_rotate(db, next, 1002, &none, &r), REFRESH_REVOKED);
	refresh_grant_free(&r);
	ck_assert_int_eq(refresh_revoke_family(db, g.family), REFRESH_OK);
	refresh_token_free(tok);
	refresh_token_free(next);
	refresh_grant_free(&g);
}
END_TEST

START_TEST(test_refresh_refuses_unknown_and_malformed_tokens)
{
	static const char *const bad[] = {
	    "",
	    "x",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* well formed, never issued */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  /* padding */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  /* standard alphabet */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* one too long */
	    "' OR 1=1 --",
	};
	struct refresh_grant g;
	char *tok = issue("auth0|user123", 1000, 100, &g);
	refresh_grant_free(&g);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *next = NULL;
		ck_assert_msg(refresh_rotate(db, bad[i], 1001, &next, &g) == REFRESH_UNKNOWN, "accepted %s",
			      bad[i]);
		ck_assert_ptr_null(next);
		ck_assert_ptr_null(g.sub);
		refresh_grant_free(&g);
		ck_assert_int_eq(refresh_revoke(db, bad[i], &g), REFRESH_UNKNOWN);
		refresh_grant_free(&g);
	}
	char *out = NULL;
	ck_assert_int_eq(refresh_rotate(db, NULL, 1001, &out, &g), REFRESH_UNKNOWN);
	ck_assert_ptr_null(out);
	refresh_token_free(tok);
	/* A token with one character changed is another token. */
	char *twin = NULL;
	struct refresh_grant t;
	char *orig = issue("auth0|user123", 1000, 100, &t);
	refresh_grant_free(&t);
	char *mangled = ck_strdup(orig);
	mangled[0] = mangled[0] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(refresh_rotate(db, mangled, 1001, &twin, &t), REFRESH_UNKNOWN);
	free(mangled);
	ck_assert_int_eq(refresh_rotate(db, orig, 1001, &twin, &t), REFRESH_OK);
	refresh_grant_free(&t);
	refresh_token_free(twin);
	refresh_token_free(orig);
}
END_TEST

START_TEST(test_refresh_issue_prunes_families_long_expired)
{
	struct refresh_grant g;
	char *old = issue("auth0|user123", 1000, 100, &g);
	refresh_grant_free(&g);
	char *newer = issue("auth0|user123", 1000 + 100 + 86400, 100, &g);
	refresh_grant_free(&g);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM refresh_tokens"), 1);
	refresh_token_free(old);
	refresh_token_free(newer);
}
END_TEST

/* --- rate limits ------------------------------------------------------- */

static const struct ratelimit rl3 = {3, 5, 100};

static int check(const char *email, const char *addr, time_t now, long *retry, const char **which)
{
	return ratelimit_check(db, &rl3, email, addr, now, retry, which);
}

START_TEST(test_ratelimit_blocks_the_email_after_its_limit)
{
	long retry;
	const char *which;
	ck_assert_int_eq(check("a@example.com", "10.0.0.1", 1000, &retry, &which), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_fail(db, &rl3, "a@example.com", "10.0.0.1", 1000), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_fail(db, &rl3, "a@example.com", "10.0.0.1", 1010), RATELIMIT_OK);
	ck_assert_int_eq(check("a@example.com", "10.0.0.1", 1020, &retry, &which), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_fail(db, &rl3, "A@Example.COM", "10.0.0.1", 1020), RATELIMIT_OK);
	/* Three failures at 1000, 1010, 1020: free again when 1000 leaves, at 1100. */
	ck_assert_int_eq(check("a@example.com", "10.0.0.2", 1050, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_int_eq(retry, 50);
	ck_assert_str_eq(which, "email");
	ck_assert_int_eq(check("A@EXAMPLE.com", NULL, 1099, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_int_eq(retry, 1);
	ck_assert_int_eq(check("a@example.com", "10.0.0.1", 1100, &retry, &which), RATELIMIT_OK);
	ck_assert_int_eq(retry, 0);
	/* Another email from the same address is not blocked. */
	ck_assert_int_eq(check("b@example.com", "10.0.0.1", 1050, &retry, &which), RATELIMIT_OK);
}
END_TEST

START_TEST(test_ratelimit_blocks_the_address_across_emails)
{
	long retry;
	const char *which;
	for (int i = 0; i < 5; i++) {
		char email[32];
		snprintf(email, sizeof email, "u%d@example.com", i);
		ck_assert_int_eq(ratelimit_fail(db, &rl3, email, "10.0.0.9", 2000 + i), RATELIMIT_OK);
	}
	ck_assert_int_eq(check("fresh@example.com", "10.0.0.9", 2010, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_str_eq(which, "address");
	ck_assert_int_eq(retry, 90);
	ck_assert_int_eq(check("fresh@example.com", "10.0.0.8", 2010, &retry, &which), RATELIMIT_OK);
	/* Both full: the later of the two. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ratelimit_fail(db, &rl3, "u0@example.com", "10.0.0.7", 2050), RATELIMIT_OK);
	ck_assert_int_eq(check("u0@example.com", "10.0.0.9", 2060, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_int_eq(retry, 90);
	ck_assert_str_eq(which, "email");
}
END_TEST

START_TEST(test_ratelimit_success_forgets_the_email_not_the_address)
{
	long retry;
	const char *which;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ratelimit_fail(db, &rl3, "a@example.com", "10.0.0.1", 1000), RATELIMIT_OK);
	ck_assert_int_eq(check("a@example.com", NULL, 1001, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_int_eq(ratelimit_success(db, "A@example.com"), RATELIMIT_OK);
	ck_assert_int_eq(check("a@example.com", NULL, 1001, &retry, &which), RATELIMIT_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM login_failures WHERE key = 'addr:10.0.0.1'"), 3);
	/* Nothing to forget: no write needed, still OK. */
	ck_assert_int_eq(ratelimit_success(db, "nobody@example.com"), RATELIMIT_OK);
}
END_TEST

START_TEST(test_ratelimit_prunes_failures_out_of_every_window)
{
	ck_assert_int_eq(ratelimit_fail(db, &rl3, "a@example.com", "10.0.0.1", 1000), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_fail(db, &rl3, "b@example.com", NULL, 1050), RATELIMIT_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM login_failures"), 3);
	ck_assert_int_eq(ratelimit_fail(db, &rl3, "c@example.com", NULL, 1100), RATELIMIT_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM login_failures"), 2);
}
END_TEST

/* --- audit ------------------------------------------------------------- */

static char *audit_path;

static void audit_setup(void)
{
	dir_setup();
	audit_path = ck_asprintf("%s/audit.log", tmpdir);
}

static void audit_teardown(void)
{
	audit_close();
	free(audit_path);
	dir_teardown();
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	struct sbuf b = {0};
	char buf[4096];
	size_t n;
	sbuf_adds(&b, "");
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(&b, buf, n);
	fclose(f);
	return b.p;
}

/* The n-th line (from 0) of text, parsed. */
static json_object *line_json(const char *text, int n)
{
	const char *s = text;
	for (int i = 0; i < n; i++) {
		s = strchr(s, '\n');
		ck_assert_ptr_nonnull(s);
		s++;
	}
	const char *e = strchr(s, '\n');
	ck_assert_ptr_nonnull(e);
	char *line = ck_strndup(s, (size_t)(e - s));
	json_object *o = json_tokener_parse(line);
	ck_assert_msg(o != NULL, "not JSON: %s", line);
	free(line);
	return o;
}

START_TEST(test_audit_writes_one_json_line_per_event)
{
	char err[256] = "";
	ck_assert_msg(audit_open(audit_path, err, sizeof err) == 0, "%s", err);
	struct route r = {"POST", "/auth/login", ROUTE_PUBLIC, NULL, "", NULL, NULL, 0};
	struct request req = {
	    .method = "POST", .path = "/auth/login", .remote_addr = "192.0.2.7", .route = &r};
	audit_event(&req, "login_failure", "email", "a@example.com", "sub", NULL, "reason", "wrong password",
		    NULL);
	audit_event(NULL, "plain", NULL);
	char *text = slurp(audit_path);
	json_object *o = line_json(text, 0);
	ck_assert_str_eq(json_get_string(o, "event"), "login_failure");
	ck_assert_str_eq(json_get_string(o, "email"), "a@example.com");
	ck_assert_str_eq(json_get_string(o, "reason"), "wrong password");
	ck_assert_str_eq(json_get_string(o, "addr"), "192.0.2.7");
	ck_assert_str_eq(json_get_string(o, "method"), "POST");
	ck_assert_str_eq(json_get_string(o, "route"), "/auth/login");
	ck_assert(!json_object_object_get_ex(o, "sub", NULL)); /* NULL values are left out */
	const char *t = json_get_string(o, "time");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(strlen(t), 24); /* 2026-11-26T05:00:00.000Z */
	ck_assert(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z');
	json_object_put(o);
	o = line_json(text, 1);
	ck_assert_str_eq(json_get_string(o, "event"), "plain");
	ck_assert(!json_object_object_get_ex(o, "addr", NULL));
	json_object_put(o);
	ck_assert_ptr_null(strchr(strchr(strchr(text, '\n') + 1, '\n') + 1, '\n')); /* two lines */
	free(text);
}
END_TEST

START_TEST(test_audit_appends_and_never_truncates)
{
	char err[256] = "";
	int fd = open(audit_path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "earlier\n", 8), 8);
	close(fd);
	ck_assert_int_eq(audit_open(audit_path, err, sizeof err), 0);
	audit_event(NULL, "one", NULL);
	/* A second process's line lands at the end too (O_APPEND). */
	fd = open(audit_path, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, "other\n", 6), 6);
	close(fd);
	audit_event(NULL, "two", NULL);
	char *text = slurp(audit_path);
	ck_assert(strncmp(text, "earlier\n{", 9) == 0);
	ck_assert_ptr_nonnull(strstr(text, "\"event\":\"one\"}\nother\n{"));
	ck_assert_ptr_nonnull(strstr(text, "\"event\":\"two\"}\n"));
	free(text);
	struct stat st;
	ck_assert_int_eq(stat(audit_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(test_audit_cuts_long_values_and_cleans_bytes)
{
	char err[256] = "";
	ck_assert_int_eq(audit_open(audit_path, err, sizeof err), 0);
	char longv[1000];
	memset(longv, 'x', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	/* A two-byte character straddling the cut is dropped whole. */
	longv[AUDIT_MAX_VALUE - 1] = '\xc3';
	longv[AUDIT_MAX_VALUE] = '\xa9';
	audit_event(NULL, "long", "email", longv, "route", "/a\x01\xff\xfe\"b\n", NULL);
	char *text = slurp(audit_path);
	json_object *o = line_json(text, 0);
	const char *e = json_get_string(o, "email");
	ck_assert_uint_eq(strlen(e), AUDIT_MAX_VALUE - 1);
	ck_assert_str_eq(json_get_string(o, "route"), "/a???\"b?");
	json_object_put(o);
	ck_assert_ptr_null(strchr(strchr(text, '\n') + 1, '\n'));
	free(text);
	ck_assert_ptr_nonnull(strstr(audit_last_line(), "\"event\":\"long\""));
}
END_TEST

START_TEST(test_audit_open_refuses_unwritable_path)
{
	char err[256] = "";
	char *bad = ck_asprintf("%s/no/such/dir/audit.log", tmpdir);
	ck_assert_int_eq(audit_open(bad, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot open the audit log"));
	free(bad);
	ck_assert_int_eq(audit_open("stderr", err, sizeof err), 0);
}
END_TEST

/* --- settings ---------------------------------------------------------- */

static const char *const security_env[] = {
    "MCPAUTH_CORS_ORIGINS",	 "MCPAUTH_ALLOWED_ORIGINS",  "MCPAUTH_AUDIT_LOG",    "MCPAUTH_REFRESH_TTL",
    "MCPAUTH_LOGIN_EMAIL_LIMIT", "MCPAUTH_LOGIN_ADDR_LIMIT", "MCPAUTH_LOGIN_WINDOW", "MCPAUTH_ALLOWED_HOSTS",
    "MCPAUTH_REQUEST_TIMEOUT"};

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
	ck_assert_int_eq(c.request_timeout, 10);
	ck_assert(!config_cors_origin_allowed(&c, "https://app.example.com"));
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
	    {"MCPAUTH_LOGIN_WINDOW", "-5"},	{"MCPAUTH_REQUEST_TIMEOUT", "0"},
	    {"MCPAUTH_REQUEST_TIMEOUT", "301"},
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

/* The settings table drives config_load: each number is read into its
 * field with its default, its bounds taken and one past them refused. */
START_TEST(test_config_reads_every_number_of_the_table)
{
	size_t n;
	const struct setting *t = config_settings(&n);
	ck_assert_uint_ge(n, 30);
	for (size_t i = 0; i < n; i++) {
		if (t[i].type == SETTING_TEXT)
			continue;
		struct config c;
		char err[256] = "", v[32];
		env_setup();
		unsetenv(t[i].name);
		ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
		const char *field = (const char *)&c + t[i].offset;
		long got = t[i].type == SETTING_FLAG ? *(const int *)(const void *)field
						     : *(const long *)(const void *)field;
		ck_assert_msg(got == t[i].def, "%s: %ld, not its default %ld", t[i].name, got, t[i].def);
		config_free(&c);
		for (long edge = 0; edge < 4; edge++) {
			long value = edge == 0	 ? t[i].min
				     : edge == 1 ? t[i].max
				     : edge == 2 ? t[i].min - 1
						 : t[i].max + 1;
			snprintf(v, sizeof v, "%ld", value);
			setenv(t[i].name, v, 1);
			int rc = config_load(&c, err, sizeof err);
			if (edge < 2) {
				ck_assert_msg(rc == 0, "%s=%s refused: %s", t[i].name, v, err);
			} else {
				ck_assert_msg(rc == -1, "%s=%s accepted", t[i].name, v);
				ck_assert_msg(strstr(err, t[i].name) != NULL, "%s", err);
			}
			config_free(&c);
		}
		unsetenv(t[i].name);
	}
	env_setup();
}
END_TEST

/* Clients fetch the issuer's metadata and compare it byte for byte: only
 * an http(s) URL without query or fragment starts a program. */
START_TEST(test_config_issuer_must_be_an_http_url)
{
	static const char *const bad[] = {
	    "mcpauth.local",	    "ftp://mcpauth.local/",   "https://",
	    "https:///path",	    "https://a.example/?x=1", "https://a.example/#f",
	    "https://u@a.example/", "https://a.example/ x",   "HTTPS//a.example"};
	static const char *const good[] = {"https://api.example.com", "https://api.example.com/",
					   "http://127.0.0.1:3009", "https://a.example/tenant/"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config c;
		char err[256] = "";
		env_setup();
		setenv("MCPAUTH_ISSUER", bad[i], 1);
		ck_assert_msg(config_load(&c, err, sizeof err) == -1, "accepted %s", bad[i]);
		ck_assert_msg(strstr(err, "MCPAUTH_ISSUER") != NULL, "%s", err);
		config_free(&c);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct config c;
		char err[256] = "";
		env_setup();
		setenv("MCPAUTH_ISSUER", good[i], 1);
		ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s: %s", good[i], err);
		/* Kept verbatim, trailing slash and all: tokens carry this string. */
		ck_assert_str_eq(c.issuer, good[i]);
		config_free(&c);
	}
	unsetenv("MCPAUTH_ISSUER");
	env_setup();
}
END_TEST

START_TEST(test_config_cors_origins_are_also_mcp_origins)
{
	struct config c;
	char err[256] = "";
	setenv("MCPAUTH_CORS_ORIGINS", "https://app.example.com, http://localhost:5173", 1);
	setenv("MCPAUTH_ALLOWED_ORIGINS", "https://agent.example.com", 1);
	setenv("MCPAUTH_LOGIN_WINDOW", "3", 1);
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(c.login_window, 3);
	ck_assert(config_cors_origin_allowed(&c, "https://app.example.com"));
	ck_assert(config_cors_origin_allowed(&c, "http://localhost:5173"));
	ck_assert(!config_cors_origin_allowed(&c, "https://agent.example.com"));
	ck_assert(!config_cors_origin_allowed(&c, "https://app.example.com.evil.com"));
	ck_assert(config_origin_allowed(&c, "https://agent.example.com"));
	ck_assert(config_origin_allowed(&c, "https://app.example.com"));
	ck_assert(!config_origin_allowed(&c, "https://evil.example.com"));
	config_free(&c);
	env_setup();
}
END_TEST

/* --- CORS -------------------------------------------------------------- */

static void nop(struct request *req, struct response *resp)
{
	(void)req;
	response_json(resp, 200, json_object_new_object());
}

static const struct route cors_routes[] = {
    {"GET", "/api/thing", ROUTE_PUBLIC, NULL, "", NULL, nop, 0},
    {"PUT", "/api/thing", ROUTE_PUBLIC, NULL, "", NULL, nop, 0},
    {"DELETE", "/api/thing/:id", ROUTE_PUBLIC, NULL, "", NULL, nop, 0},
    {"POST", "/mcp", ROUTE_PUBLIC, NULL, "", NULL, nop, 0},
};
static const struct route_group cors_group = {"cors", ROUTE_TABLE(cors_routes), 0};
static const struct route_group *const cors_groups[] = {&cors_group};

static void cors_setup(void)
{
	char err[256] = "";
	env_setup();
	setenv("MCPAUTH_CORS_ORIGINS", "https://app.example.com", 1);
	setenv("MCPAUTH_ALLOWED_ORIGINS", "https://agent.example.com", 1);
	ck_assert_msg(config_load(&app.config, err, sizeof err) == 0, "%s", err);
}

static void cors_teardown(void)
{
	config_free(&app.config);
	env_setup();
}

/* Runs method path with origin through app_handle into *resp. */
static void serve(const char *method, const char *path, const char *origin, struct response *resp)
{
	struct request req = {0};
	req.method = method;
	req.path = ck_strdup(path);
	req.query = ck_strdup("");
	req.origin = origin;
	response_init(resp);
	app_handle(cors_groups, 1, &req, resp);
	request_free(&req);
}

START_TEST(test_route_path_methods_lists_the_path_routes)
{
	char buf[128];
	ck_assert_uint_eq(route_path_methods(cors_groups, 1, "/api/thing", buf, sizeof buf), 2);
	ck_assert_str_eq(buf, "GET, PUT");
	ck_assert_uint_eq(route_path_methods(cors_groups, 1, "/api/thing/7", buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "DELETE");
	ck_assert_uint_eq(route_path_methods(cors_groups, 1, "/api/nothing", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_cors_preflight_for_allowed_origin)
{
	struct response resp;
	serve("OPTIONS", "/api/thing", "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 204);
	ck_assert_ptr_null(resp.body);
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Origin"),
			 "https://app.example.com");
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Methods"), "GET, PUT");
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Headers"),
			 "Authorization, Content-Type, MCP-Protocol-Version");
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Max-Age"), "600");
	ck_assert_str_eq(response_get_header(&resp, "Vary"), "Origin");
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Credentials"));
	response_free(&resp);
}
END_TEST

START_TEST(test_cors_preflight_refuses_other_origins)
{
	static const char *const bad[] = {"https://evil.example.com", "https://app.example.com.evil.com",
					  "null", "http://app.example.com", "https://agent.example.com"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct response resp;
		serve("OPTIONS", "/api/thing", bad[i], &resp);
		ck_assert_msg(resp.status == 403, "%s got %d", bad[i], resp.status);
		ck_assert_str_eq(json_get_string(resp.body, "error"), "Origin not allowed");
		ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
		ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Methods"));
		response_free(&resp);
	}
}
END_TEST

START_TEST(test_cors_mcp_paths_also_take_mcp_origins)
{
	struct response resp;
	serve("OPTIONS", "/mcp", "https://agent.example.com", &resp);
	ck_assert_int_eq(resp.status, 204);
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Origin"),
			 "https://agent.example.com");
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Methods"), "POST");
	response_free(&resp);
	serve("POST", "/mcp", "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Origin"),
			 "https://app.example.com");
	response_free(&resp);
	serve("POST", "/mcp", "https://evil.example.com", &resp);
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	response_free(&resp);
}
END_TEST

START_TEST(test_cors_options_without_origin_or_route)
{
	struct response resp;
	serve("OPTIONS", "/api/thing", NULL, &resp);
	ck_assert_int_eq(resp.status, 204);
	ck_assert_str_eq(response_get_header(&resp, "Allow"), "GET, PUT, OPTIONS");
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	response_free(&resp);
	serve("OPTIONS", "/api/nothing", "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 404);
	ck_assert_str_eq(json_get_string(resp.body, "error"), "Not found");
	response_free(&resp);
}
END_TEST

START_TEST(test_cors_actual_request_gets_origin_and_vary)
{
	struct response resp;
	serve("GET", "/api/thing", "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Origin"),
			 "https://app.example.com");
	ck_assert_str_eq(response_get_header(&resp, "Vary"), "Origin");
	ck_assert_ptr_nonnull(
	    strstr(response_get_header(&resp, "Access-Control-Expose-Headers"), "WWW-Authenticate"));
	response_free(&resp);
	/* The server answers other origins; the browser keeps the answer from the page. */
	serve("GET", "/api/thing", "https://evil.example.com", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	ck_assert_str_eq(response_get_header(&resp, "Vary"), "Origin");
	response_free(&resp);
	serve("GET", "/api/thing", NULL, &resp);
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	ck_assert_str_eq(response_get_header(&resp, "Vary"), "Origin");
	response_free(&resp);
}
END_TEST

START_TEST(test_cors_nothing_configured_nothing_sent)
{
	struct response resp;
	config_free(&app.config);
	env_setup();
	char err[256] = "";
	ck_assert_int_eq(config_load(&app.config, err, sizeof err), 0);
	serve("GET", "/api/thing", "https://app.example.com", &resp);
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	ck_assert_ptr_null(response_get_header(&resp, "Vary"));
	response_free(&resp);
	serve("OPTIONS", "/api/thing", "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 403);
	response_free(&resp);
}
END_TEST

/* --- grants: nobody grants a permission it does not hold ---------------- */

/* A request whose token carries perms (space-separated; NULL: no token). */
static void grant_request(struct request *req, const char *perms)
{
	memset(req, 0, sizeof *req);
	req->method = "POST";
	req->remote_addr = "127.0.0.1";
	if (perms) {
		req->principal.claims = json_object_new_object();
		json_object_object_add(req->principal.claims, "sub", json_object_new_string("auth0|ops"));
		json_object_object_add(req->principal.claims, "permissions", json_word_array(perms));
		req->principal.sub = json_get_string(req->principal.claims, "sub");
		json_object_object_get_ex(req->principal.claims, "permissions", &req->principal.permissions);
		req->has_principal = 1;
	}
}

START_TEST(test_grant_check_refuses_a_permission_the_caller_lacks)
{
	struct request req;
	struct response resp;
	grant_request(&req, "read:users write:users");
	response_init(&resp);
	ck_assert_int_eq(grant_check(&req, &resp, "", "read:users admin:all", NULL, "evil@example.com"), 0);
	ck_assert_int_eq(resp.status, 403);
	ck_assert_str_eq(json_get_string(resp.body, "error"), "Permission not held");
	ck_assert_str_eq(json_get_string(resp.body, "permission"), "admin:all");
	ck_assert_str_eq(json_get_string(resp.body, "message"),
			 "Cannot grant 'admin:all': the caller does not hold it");
	const char *line = audit_last_line();
	ck_assert_ptr_nonnull(strstr(line, "\"event\":\"grant_refused\""));
	ck_assert_ptr_nonnull(strstr(line, "\"sub\":\"auth0|ops\""));
	ck_assert_ptr_nonnull(strstr(line, "\"permission\":\"admin:all\""));
	ck_assert_ptr_nonnull(strstr(line, "\"target_email\":\"evil@example.com\""));
	response_free(&resp);
	/* A name that is only a prefix of one held is not held. */
	response_init(&resp);
	ck_assert_int_eq(grant_check(&req, &resp, "", "write", NULL, NULL), 0);
	ck_assert_str_eq(json_get_string(resp.body, "permission"), "write");
	response_free(&resp);
	principal_free(&req.principal);
	/* No token: nothing can be granted. */
	grant_request(&req, NULL);
	response_init(&resp);
	ck_assert_int_eq(grant_check(&req, &resp, "", "read:profile", "auth0|x", NULL), 0);
	ck_assert_int_eq(resp.status, 403);
	response_free(&resp);
}
END_TEST

START_TEST(test_grant_check_allows_held_kept_and_removed)
{
	struct request req;
	struct response resp;
	grant_request(&req, "admin:all read:users");
	response_init(&resp);
	ck_assert_int_eq(grant_check(&req, &resp, "", NULL, NULL, NULL), 1);
	ck_assert_int_eq(grant_check(&req, &resp, "", "", NULL, NULL), 1);
	ck_assert_int_eq(grant_check(&req, &resp, "", " read:users  admin:all ", NULL, NULL), 1);
	/* What the target holds already is kept, not granted; removing is no grant. */
	ck_assert_int_eq(grant_check(&req, &resp, "write:users read:profile",
				     "read:profile write:users admin:all", "auth0|x", NULL),
			 1);
	ck_assert_int_eq(grant_check(&req, &resp, "write:users read:profile", "", "auth0|x", NULL), 1);
	ck_assert_int_eq(resp.status, 200); /* untouched */
	ck_assert_ptr_null(resp.body);
	/* Giving back what was removed is a grant again. */
	ck_assert_int_eq(
	    grant_check(&req, &resp, "read:profile", "read:profile write:users", "auth0|x", NULL), 0);
	ck_assert_str_eq(json_get_string(resp.body, "permission"), "write:users");
	response_free(&resp);
	principal_free(&req.principal);
}
END_TEST

/* --- Host check (DNS rebinding) ------------------------------------------ */

START_TEST(test_hosts_default_serves_loopback_names_on_any_port)
{
	struct config c;
	char err[256] = "";
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	static const char *const good[] = {"localhost", "localhost:3009", "127.0.0.1", "127.0.0.1:80",
					   "[::1]",	"[::1]:8080",	  "LOCALHOST", "localhost.:1"};
	static const char *const bad[] = {"evil.example",
					  "evil.example:3009",
					  "localhost.evil.example",
					  "127.0.0.1.nip.io",
					  "127.0.0.2",
					  "[::2]",
					  "::1",
					  "localhost:",
					  "localhost:abc",
					  "localhost:123456",
					  "local host",
					  "localhost/x",
					  "user@localhost",
					  "[::1",
					  "[]",
					  ".localhost",
					  "localhost:80:80"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(config_host_allowed(&c, good[i], "127.0.0.1"), "refused %s", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!config_host_allowed(&c, bad[i], "127.0.0.1"), "allowed %s", bad[i]);
	/* No Host (HTTP/1.0): no browser sends that; absolute URLs fall back. */
	ck_assert(config_host_allowed(&c, NULL, "127.0.0.1"));
	ck_assert(config_host_allowed(&c, "", NULL));
	config_free(&c);
}
END_TEST

START_TEST(test_hosts_default_adds_the_server_address_never_a_name)
{
	struct config c;
	char err[256] = "";
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	/* Bound elsewhere: the address itself (no DNS, no rebinding) and the
	 * loopback names, but no name until MCPAUTH_ALLOWED_HOSTS lists it. */
	ck_assert(config_host_allowed(&c, "192.0.2.10", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "192.0.2.10:8080", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "192.0.2.10", "::ffff:192.0.2.10"));
	ck_assert(config_host_allowed(&c, "[2001:DB8::1]:443", "2001:db8::1"));
	ck_assert(config_host_allowed(&c, "localhost", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "api.example.com", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "192.0.2.11", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "2001:db8::1", "2001:db8::1"));
	ck_assert(!config_host_allowed(&c, "192.0.2.10", NULL));
	config_free(&c);
}
END_TEST

START_TEST(test_hosts_setting_is_exactly_the_list)
{
	struct config c;
	char err[256] = "";
	setenv("MCPAUTH_ALLOWED_HOSTS", " api.example.com , localhost:3009,[::1]", 1);
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	ck_assert(config_host_allowed(&c, "api.example.com", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "API.example.com:8443", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "api.example.com.", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "localhost:3009", "127.0.0.1"));
	ck_assert(config_host_allowed(&c, "[::1]:1", "::1"));
	ck_assert(!config_host_allowed(&c, "localhost", "127.0.0.1"));
	ck_assert(!config_host_allowed(&c, "localhost:30090", "127.0.0.1"));
	ck_assert(!config_host_allowed(&c, "localhost:300", "127.0.0.1"));
	ck_assert(!config_host_allowed(&c, "127.0.0.1", "127.0.0.1"));
	ck_assert(!config_host_allowed(&c, "192.0.2.10", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "example.com", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "xapi.example.com", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "api.example.co", "192.0.2.10"));
	config_free(&c);
}
END_TEST

START_TEST(test_hosts_setting_refuses_what_is_not_a_host_list)
{
	static const char *const bad[] = {
	    "https://api.example.com", "api.example.com/",	 "*",	 ",",	" , ",
	    "api.example.com:",	       "api.example.com:99999x", "[::1", "a b", "user@host"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config c;
		char err[256] = "";
		setenv("MCPAUTH_ALLOWED_HOSTS", bad[i], 1);
		ck_assert_msg(config_load(&c, err, sizeof err) == -1, "accepted %s", bad[i]);
		ck_assert_msg(strstr(err, "MCPAUTH_ALLOWED_HOSTS") != NULL, "%s", err);
		config_free(&c);
	}
}
END_TEST

/* Runs method path with Host through app_handle into *resp. */
static void serve_host(const char *method, const char *path, const char *host, struct response *resp)
{
	struct request req = {0};
	req.method = method;
	req.path = ck_strdup(path);
	req.query = ck_strdup("");
	req.host = host;
	req.server_addr = "127.0.0.1";
	req.origin = "https://app.example.com";
	response_init(resp);
	app_handle(cors_groups, 1, &req, resp);
	request_free(&req);
}

START_TEST(test_hosts_refused_before_routing_options_included)
{
	static const char *const methods[][2] = {{"GET", "/api/thing"},
						 {"OPTIONS", "/api/thing"},
						 {"DELETE", "/api/thing/7"},
						 {"GET", "/nowhere"}};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		struct response resp;
		serve_host(methods[i][0], methods[i][1], "evil.example:3009", &resp);
		ck_assert_int_eq(resp.status, 421);
		ck_assert_str_eq(json_get_string(resp.body, "error"), "Misdirected request");
		ck_assert_ptr_nonnull(json_get_string(resp.body, "message"));
		ck_assert_ptr_null(strstr(json_text(resp.body), "evil"));
		ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
		response_free(&resp);
		serve_host(methods[i][0], methods[i][1], "localhost:3009", &resp);
		ck_assert_int_ne(resp.status, 421);
		response_free(&resp);
	}
	ck_assert_ptr_nonnull(strstr(audit_last_line(), "\"event\":\"host_refused\""));
	/* The setting is unset here: the audit line names it. */
	ck_assert_ptr_nonnull(strstr(audit_last_line(), "\"reason\":\"MCPAUTH_ALLOWED_HOSTS unset"));
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
	tcase_add_test(tc, test_new_database_has_no_users_and_newest_schema);
	suite_add_tcase(s, tc);

	tc = tcase_create("refresh");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_add_test(tc, test_refresh_issue_gives_256_bit_base64url_token);
	tcase_add_test(tc, test_refresh_store_holds_only_the_sha256);
	tcase_add_test(tc, test_refresh_rotate_gives_new_token_and_keeps_expiry);
	tcase_add_test(tc, test_refresh_reuse_revokes_the_family_only);
	tcase_add_test(tc, test_refresh_revoke_ends_the_family);
	tcase_add_test(tc, test_refresh_refuses_unknown_and_malformed_tokens);
	tcase_add_test(tc, test_refresh_issue_prunes_families_long_expired);
	suite_add_tcase(s, tc);

	tc = tcase_create("ratelimit");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_add_test(tc, test_ratelimit_blocks_the_email_after_its_limit);
	tcase_add_test(tc, test_ratelimit_blocks_the_address_across_emails);
	tcase_add_test(tc, test_ratelimit_success_forgets_the_email_not_the_address);
	tcase_add_test(tc, test_ratelimit_prunes_failures_out_of_every_window);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, audit_setup, audit_teardown);
	tcase_add_test(tc, test_audit_writes_one_json_line_per_event);
	tcase_add_test(tc, test_audit_appends_and_never_truncates);
	tcase_add_test(tc, test_audit_cuts_long_values_and_cleans_bytes);
	tcase_add_test(tc, test_audit_open_refuses_unwritable_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("grant");
	tcase_add_test(tc, test_grant_check_refuses_a_permission_the_caller_lacks);
	tcase_add_test(tc, test_grant_check_allows_held_kept_and_removed);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, env_setup, env_setup);
	tcase_add_test(tc, test_config_security_defaults);
	tcase_add_test(tc, test_config_security_refuses_bad_values);
	tcase_add_test(tc, test_config_cors_origins_are_also_mcp_origins);
	tcase_add_test(tc, test_config_issuer_must_be_an_http_url);
	tcase_add_test(tc, test_config_reads_every_number_of_the_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("hosts");
	tcase_add_checked_fixture(tc, env_setup, env_setup);
	tcase_add_test(tc, test_hosts_default_serves_loopback_names_on_any_port);
	tcase_add_test(tc, test_hosts_default_adds_the_server_address_never_a_name);
	tcase_add_test(tc, test_hosts_setting_is_exactly_the_list);
	tcase_add_test(tc, test_hosts_setting_refuses_what_is_not_a_host_list);
	suite_add_tcase(s, tc);

	tc = tcase_create("hosts_app");
	tcase_add_checked_fixture(tc, cors_setup, cors_teardown);
	tcase_add_test(tc, test_hosts_refused_before_routing_options_included);
	suite_add_tcase(s, tc);

	tc = tcase_create("cors");
	tcase_add_checked_fixture(tc, cors_setup, cors_teardown);
	tcase_add_test(tc, test_route_path_methods_lists_the_path_routes);
	tcase_add_test(tc, test_cors_preflight_for_allowed_origin);
	tcase_add_test(tc, test_cors_preflight_refuses_other_origins);
	tcase_add_test(tc, test_cors_mcp_paths_also_take_mcp_origins);
	tcase_add_test(tc, test_cors_options_without_origin_or_route);
	tcase_add_test(tc, test_cors_actual_request_gets_origin_and_vary);
	tcase_add_test(tc, test_cors_nothing_configured_nothing_sent);
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
