/* Unit tests of lib/refresh.c: refresh token families on a real SQLite database. */

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "audit.h"
#include "config.h"
#include "cors.h"
#include "db.h"
#include "grant.h"
#include "ratelimit.h"
#include "refresh.h"
#include "route.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

/* --- refresh tokens ---------------------------------------------------- */

static char *issue(const char *sub, time_t now, long ttl, struct refresh_grant *g)
{
	char *tok = NULL;
	ck_assert_int_eq(refresh_issue(unit_db, sub, "openid offline_access", NULL, now, ttl, &tok, g),
			 REFRESH_OK);
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
	struct db_rows *q;
	ck_assert_int_eq(db_exec(unit_db, &q, "SELECT hash, family, sub, scope FROM refresh_tokens", DB_END),
			 DB_ROW);
	size_t len;
	unsigned char *stored = db_column_blob_dup(q, 0, &len);
	ck_assert_int_eq(len, 32);
	ck_assert_int_eq(memcmp(stored, want, 32), 0);
	free(stored);
	for (int i = 1; i < 4; i++)
		ck_assert_ptr_null(strstr(db_column_text(q, i), tok));
	ck_assert_int_eq(db_rows_next(q), DB_DONE);
	db_rows_free(q);
	refresh_token_free(tok);
	refresh_grant_free(&g);
}
END_TEST

START_TEST(test_refresh_rotate_gives_new_token_and_keeps_expiry)
{
	struct refresh_grant g, r;
	char *tok = issue("auth0|user123", 1000, 100, &g), *next = NULL;
	ck_assert_int_eq(refresh_rotate(unit_db, tok, NULL, 1050, &next, &r), REFRESH_OK);
	ck_assert_ptr_nonnull(next);
	ck_assert_str_ne(next, tok);
	ck_assert_str_eq(r.sub, "auth0|user123");
	ck_assert_str_eq(r.scope, "openid offline_access");
	ck_assert_str_eq(r.family, g.family);
	/* Absolute lifetime: the new token ends when the login's first did. */
	ck_assert_int_eq(r.expires_at, 1100);
	refresh_grant_free(&r);
	char *third = NULL;
	ck_assert_int_eq(refresh_rotate(unit_db, next, NULL, 1099, &third, &r), REFRESH_OK);
	refresh_grant_free(&r);
	refresh_token_free(next);
	ck_assert_int_eq(refresh_rotate(unit_db, third, NULL, 1100, &next, &r), REFRESH_EXPIRED);
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
	ck_assert_int_eq(refresh_rotate(unit_db, tok, NULL, 1001, &next, &r), REFRESH_OK);
	refresh_grant_free(&r);
	/* The old token again: reuse. */
	ck_assert_int_eq(refresh_rotate(unit_db, tok, NULL, 1002, &none, &r), REFRESH_REUSED);
	ck_assert_ptr_null(none);
	ck_assert_str_eq(r.family, g.family);
	ck_assert_str_eq(r.sub, "auth0|user123");
	refresh_grant_free(&r);
	/* Its successor, never used, is dead too. */
	ck_assert_int_eq(refresh_rotate(unit_db, next, NULL, 1003, &none, &r), REFRESH_REVOKED);
	ck_assert_ptr_null(none);
	refresh_grant_free(&r);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM refresh_tokens WHERE revoked = 0"), 1);
	/* Another login's family is untouched. */
	ck_assert_int_eq(refresh_rotate(unit_db, mine, NULL, 1004, &none, &r), REFRESH_OK);
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
	ck_assert_int_eq(refresh_rotate(unit_db, tok, NULL, 1001, &next, &r), REFRESH_OK);
	refresh_grant_free(&r);
	ck_assert_int_eq(refresh_revoke(unit_db, next, &r), REFRESH_OK);
	ck_assert_str_eq(r.sub, "auth0|user123");
	ck_assert_str_eq(r.family, g.family);
	refresh_grant_free(&r);
	ck_assert_int_eq(refresh_rotate(unit_db, next, NULL, 1002, &none, &r), REFRESH_REVOKED);
	refresh_grant_free(&r);
	ck_assert_int_eq(refresh_revoke_family(unit_db, g.family), REFRESH_OK);
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
		ck_assert_msg(refresh_rotate(unit_db, bad[i], NULL, 1001, &next, &g) == REFRESH_UNKNOWN,
			      "accepted %s", bad[i]);
		ck_assert_ptr_null(next);
		ck_assert_ptr_null(g.sub);
		refresh_grant_free(&g);
		ck_assert_int_eq(refresh_revoke(unit_db, bad[i], &g), REFRESH_UNKNOWN);
		refresh_grant_free(&g);
	}
	char *out = NULL;
	ck_assert_int_eq(refresh_rotate(unit_db, NULL, NULL, 1001, &out, &g), REFRESH_UNKNOWN);
	ck_assert_ptr_null(out);
	refresh_token_free(tok);
	/* A token with one character changed is another token. */
	char *twin = NULL;
	struct refresh_grant t;
	char *orig = issue("auth0|user123", 1000, 100, &t);
	refresh_grant_free(&t);
	char *mangled = ck_strdup(orig);
	mangled[0] = mangled[0] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(refresh_rotate(unit_db, mangled, NULL, 1001, &twin, &t), REFRESH_UNKNOWN);
	free(mangled);
	ck_assert_int_eq(refresh_rotate(unit_db, orig, NULL, 1001, &twin, &t), REFRESH_OK);
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
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM refresh_tokens"), 1);
	refresh_token_free(old);
	refresh_token_free(newer);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("refresh");
	TCase *tc;

	tc = tcase_create("refresh");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unit_db_setup, unit_db_teardown);
	tcase_add_test(tc, test_refresh_issue_gives_256_bit_base64url_token);
	tcase_add_test(tc, test_refresh_store_holds_only_the_sha256);
	tcase_add_test(tc, test_refresh_rotate_gives_new_token_and_keeps_expiry);
	tcase_add_test(tc, test_refresh_reuse_revokes_the_family_only);
	tcase_add_test(tc, test_refresh_revoke_ends_the_family);
	tcase_add_test(tc, test_refresh_refuses_unknown_and_malformed_tokens);
	tcase_add_test(tc, test_refresh_issue_prunes_families_long_expired);
	suite_add_tcase(s, tc);

	return s;
}
