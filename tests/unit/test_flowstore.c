/* Unit tests of lib/flowstore.c: sessions, codes single use and bound, grants, and refresh
 * tokens bound to their client. */

#include <check.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "flowstore.h"
#include "form.h"
#include "gateway.h"
#include "page.h"
#include "refresh.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

/* ---- the store ------------------------------------------------------------- */

static char tmpdir[64];
static struct db *db;

static void db_setup(void)
{
	char err[256] = "";
	snprintf(tmpdir, sizeof tmpdir, "/tmp/mcpauth-flow-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	char *path = ck_asprintf("%s/mcpauth.db", tmpdir);
	ck_assert_msg(userdb_open_ex(&db, path, tmpdir, USERDB_DEMO, err, sizeof err) == 0, "%s", err);
	free(path);
}

static void db_teardown(void)
{
	userdb_close(db);
	char *cmd = ck_asprintf("rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

static char *s256(const char *verifier)
{
	unsigned char d[32];
	unsigned int n;
	EVP_Digest(verifier, strlen(verifier), d, &n, EVP_sha256(), NULL);
	return b64url_encode(d, sizeof d);
}

#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define NOW 1800000000

/* A logged-in browser's request of client "c1" and its code. */
static char *new_code(const char *client, char **cookie)
{
	struct flow_session s;
	ck_assert_int_eq(flowstore_session_new(db, "auth0|user123", NOW, cookie, &s), FLOW_OK);
	char *challenge = s256(VERIFIER);
	struct flow_request r = {.client_id = (char *)client,
				 .client_name = (char *)"Client",
				 .redirect_uri = (char *)"http://127.0.0.1/cb",
				 .challenge = challenge,
				 .scope = (char *)"openid read:profile",
				 .resource = (char *)"https://h/mcp"};
	ck_assert_int_eq(flowstore_request_new(db, *cookie, &r, NOW), FLOW_OK);
	struct flow_request got;
	ck_assert_int_eq(flowstore_request_get(db, *cookie, r.id, NOW, &got), FLOW_OK);
	ck_assert_str_eq(got.client_id, client);
	char *code;
	ck_assert_int_eq(
	    flowstore_code_issue(db, &got, "auth0|user123", "openid read:profile", 1, NOW, &code), FLOW_OK);
	/* The request is spent. */
	struct flow_request again;
	ck_assert_int_eq(flowstore_request_get(db, *cookie, r.id, NOW, &again), FLOW_NOT_FOUND);
	flow_request_free(&got);
	flow_session_free(&s);
	free(challenge);
	return code;
}

START_TEST(test_code_redeems_once_and_replay_revokes)
{
	char *cookie, *rt, *rt2;
	char *code = new_code("c1", &cookie);
	struct refresh_grant g;
	ck_assert_int_eq(flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NULL, NOW + 1,
					       3600, &rt, &g),
			 FLOW_OK);
	ck_assert_str_eq(g.client_id, "c1");
	ck_assert_str_eq(g.resource, "https://h/mcp");
	ck_assert_str_eq(g.scope, "openid read:profile");
	refresh_grant_free(&g);
	ck_assert_int_eq(flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NULL, NOW + 2,
					       3600, &rt2, &g),
			 FLOW_USED);
	ck_assert_int_eq(refresh_rotate_client(db, rt, "c1", NULL, NOW + 3, &rt2, &g), REFRESH_REVOKED);
	refresh_grant_free(&g);
	refresh_token_free(rt);
	free(code);
	free(cookie);
}
END_TEST

START_TEST(test_code_refuses_other_client_wrong_verifier_and_age)
{
	char *cookie, *rt;
	char *code = new_code("c1", &cookie);
	struct refresh_grant g;
	ck_assert_int_eq(
	    flowstore_code_redeem(db, code, "c2", "http://127.0.0.1/cb", VERIFIER, NULL, NOW, 3600, &rt, &g),
	    FLOW_MISMATCH);
	ck_assert_int_eq(flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/other", VERIFIER, NULL, NOW,
					       3600, &rt, &g),
			 FLOW_MISMATCH);
	ck_assert_int_eq(flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb",
					       "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", NULL, NOW, 3600,
					       &rt, &g),
			 FLOW_PKCE);
	ck_assert_int_eq(flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NULL,
					       NOW + FLOW_CODE_TTL, 3600, &rt, &g),
			 FLOW_EXPIRED);
	ck_assert_int_eq(flowstore_code_redeem(db, "nope", "c1", "http://127.0.0.1/cb", VERIFIER, NULL, NOW,
					       3600, &rt, &g),
			 FLOW_NOT_FOUND);
	/* None of the refusals spent it. */
	ck_assert_int_eq(
	    flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NULL, NOW, 3600, &rt, &g),
	    FLOW_OK);
	refresh_grant_free(&g);
	refresh_token_free(rt);
	free(code);
	free(cookie);
}
END_TEST

START_TEST(test_refresh_bound_to_client)
{
	char *cookie, *rt, *next;
	char *code = new_code("c1", &cookie);
	struct refresh_grant g;
	ck_assert_int_eq(
	    flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NULL, NOW, 3600, &rt, &g),
	    FLOW_OK);
	refresh_grant_free(&g);
	ck_assert_int_eq(refresh_rotate_client(db, rt, "c2", NULL, NOW, &next, &g), REFRESH_WRONG_CLIENT);
	refresh_grant_free(&g);
	ck_assert_int_eq(refresh_rotate_client(db, rt, NULL, NULL, NOW, &next, &g), REFRESH_WRONG_CLIENT);
	refresh_grant_free(&g);
	ck_assert_int_eq(refresh_revoke_client(db, rt, "c2", &g), REFRESH_WRONG_CLIENT);
	refresh_grant_free(&g);
	ck_assert_int_eq(refresh_rotate_client(db, rt, "c1", NULL, NOW, &next, &g), REFRESH_OK);
	ck_assert_str_eq(g.client_id, "c1");
	refresh_grant_free(&g);
	refresh_token_free(rt);
	refresh_token_free(next);
	free(code);
	free(cookie);
}
END_TEST

START_TEST(test_grant_widens_and_revoke_ends_refresh)
{
	char *cookie, *rt, *next;
	char *code = new_code("c1", &cookie);
	char *scope = flowstore_grant_scope(db, "auth0|user123", "c1");
	ck_assert_str_eq(scope, "openid read:profile");
	free(scope);
	struct refresh_grant g;
	ck_assert_int_eq(
	    flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NULL, NOW, 3600, &rt, &g),
	    FLOW_OK);
	char family[REFRESH_FAMILY_LEN + 1];
	memcpy(family, g.family, sizeof family);
	ck_assert_int_eq(flowstore_grant_live(db, family), 1);
	ck_assert_int_eq(flowstore_grant_live(db, family), 1); /* from the cache */
	ck_assert_int_eq(flowstore_grant_live(db, "AAAAAAAAAAAAAAAAAAAAAA"), 0);
	ck_assert_int_eq(flowstore_grant_revoke(db, "auth0|user123", "c1"), FLOW_OK);
	/* The revocation bumped the change counter: the cache does not answer. */
	ck_assert_int_eq(flowstore_grant_live(db, family), 0);
	refresh_grant_free(&g);
	scope = flowstore_grant_scope(db, "auth0|user123", "c1");
	ck_assert_str_eq(scope, "");
	free(scope);
	ck_assert_int_eq(refresh_rotate_client(db, rt, "c1", NULL, NOW, &next, &g), REFRESH_REVOKED);
	refresh_grant_free(&g);
	ck_assert_int_eq(flowstore_grant_revoke(db, "auth0|user123", "c1"), FLOW_NOT_FOUND);
	refresh_token_free(rt);
	free(code);
	free(cookie);
}
END_TEST

START_TEST(test_session_login_replaces_cookie_and_moves_requests)
{
	char *pre, *post;
	struct flow_session s;
	ck_assert_int_eq(flowstore_session_new(db, NULL, NOW, &pre, &s), FLOW_OK);
	ck_assert_ptr_null(s.sub);
	struct flow_request r = {.client_id = (char *)"c1",
				 .client_name = (char *)"C",
				 .redirect_uri = (char *)"http://127.0.0.1/cb",
				 .challenge = (char *)VERIFIER,
				 .scope = (char *)"openid"};
	ck_assert_int_eq(flowstore_request_new(db, pre, &r, NOW), FLOW_OK);
	flow_session_free(&s);
	ck_assert_int_eq(flowstore_session_login(db, pre, "auth0|user123", NOW, &post, &s), FLOW_OK);
	ck_assert_str_ne(pre, post);
	flow_session_free(&s);
	ck_assert_int_eq(flowstore_session_get(db, pre, NOW, &s), FLOW_NOT_FOUND);
	ck_assert_int_eq(flowstore_session_get(db, post, NOW, &s), FLOW_OK);
	ck_assert_str_eq(s.sub, "auth0|user123");
	flow_session_free(&s);
	ck_assert_int_eq(flowstore_session_get(db, post, NOW + FLOW_SESSION_TTL, &s), FLOW_NOT_FOUND);
	struct flow_request got;
	ck_assert_int_eq(flowstore_request_get(db, pre, r.id, NOW, &got), FLOW_NOT_FOUND);
	ck_assert_int_eq(flowstore_request_get(db, post, r.id, NOW, &got), FLOW_OK);
	flow_request_free(&got);
	free(pre);
	free(post);
}
END_TEST

/* The result enum's _strerror names every value apart, for logs. */
START_TEST(test_flowstore_strerror_names_every_status)
{
	const char *t[FLOW_ERROR + 1];
	for (int i = FLOW_OK; i <= FLOW_ERROR; i++)
		t[i] = flowstore_strerror((enum flow_status)i);
	unit_distinct_texts(t, FLOW_ERROR + 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("flowstore");
	TCase *tc;

	tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_add_test(tc, test_flowstore_strerror_names_every_status);
	tcase_add_test(tc, test_code_redeems_once_and_replay_revokes);
	tcase_add_test(tc, test_code_refuses_other_client_wrong_verifier_and_age);
	tcase_add_test(tc, test_refresh_bound_to_client);
	tcase_add_test(tc, test_grant_widens_and_revoke_ends_refresh);
	tcase_add_test(tc, test_session_login_replaces_cookie_and_moves_requests);
	suite_add_tcase(s, tc);

	return s;
}
