/* The authorization server's library parts: the form decoder, the flow
 * store (sessions, codes single use and bound, grants), refresh tokens
 * bound to their client, and the pages' escaping and headers. */
#include <check.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowstore.h"
#include "form.h"
#include "gateway.h"
#include "page.h"
#include "refresh.h"
#include "userdb.h"
#include "util.h"

/* ---- form ---------------------------------------------------------------- */

START_TEST(test_form_decodes_plus_and_escapes)
{
	struct form f;
	const char *t = "a=1+2&b=%C3%A9%26x&c=&d";
	ck_assert_int_eq(form_parse(&f, t, strlen(t)), FORM_OK);
	ck_assert_str_eq(form_get(&f, "a"), "1 2");
	ck_assert_str_eq(form_get(&f, "b"), "\xc3\xa9&x");
	ck_assert_ptr_null(form_get(&f, "c")); /* empty: as if omitted */
	ck_assert_ptr_null(form_get(&f, "d"));
	ck_assert_ptr_null(form_get(&f, "e"));
	form_free(&f);
}
END_TEST

START_TEST(test_form_refuses_duplicate)
{
	struct form f;
	const char *t = "client_id=a&x=1&client_id=b";
	ck_assert_int_eq(form_parse(&f, t, strlen(t)), FORM_DUPLICATE);
	ck_assert_uint_eq(f.n, 0);
	form_free(&f);
}
END_TEST

START_TEST(test_form_refuses_bad_escape_and_nul)
{
	struct form f;
	ck_assert_int_eq(form_parse(&f, "a=%zz", 5), FORM_MALFORMED);
	ck_assert_int_eq(form_parse(&f, "a=%00", 5), FORM_MALFORMED);
	ck_assert_int_eq(form_parse(&f, "=x", 2), FORM_MALFORMED);
}
END_TEST

START_TEST(test_form_caps_fields_and_length)
{
	struct sbuf b = {0};
	for (int i = 0; i <= FORM_MAX_FIELDS; i++) {
		char one[16];
		snprintf(one, sizeof one, "f%d=1&", i);
		sbuf_adds(&b, one);
	}
	struct form f;
	ck_assert_int_eq(form_parse(&f, b.p, b.len), FORM_TOO_MANY);
	sbuf_free(&b);
	ck_assert_int_eq(form_parse(&f, "a=1", FORM_MAX_LEN + 1), FORM_TOO_LONG);
}
END_TEST

START_TEST(test_form_content_type_and_cookie)
{
	ck_assert(form_content_type_ok("application/x-www-form-urlencoded; charset=UTF-8"));
	ck_assert(!form_content_type_ok("application/json"));
	ck_assert(!form_content_type_ok(NULL));
	char *v = form_cookie("a=1; mcpauth_session=abc; b=2", "mcpauth_session");
	ck_assert_str_eq(v, "abc");
	free(v);
	ck_assert_ptr_null(form_cookie("xmcpauth_session=abc", "mcpauth_session"));
	ck_assert_ptr_null(form_cookie(NULL, "mcpauth_session"));
}
END_TEST

/* ---- pages ----------------------------------------------------------------- */

START_TEST(test_page_escapes_and_sets_headers)
{
	struct response resp;
	response_init(&resp);
	struct page_flow f = {"<script>x</script>",	   "id\"'&", "https://h/mcp",
			      "http://127.0.0.1:9/cb?x=1", "C",	     "R"};
	page_login(&resp, 401, &f, "a\"@b", "Wrong <email>");
	ck_assert_int_eq(resp.status, 401);
	ck_assert_ptr_null(strstr(resp.text, "<script>"));
	ck_assert_ptr_nonnull(strstr(resp.text, "&lt;script&gt;x&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(resp.text, "id&quot;&#39;&amp;"));
	ck_assert_ptr_nonnull(strstr(resp.text, "value=\"a&quot;@b\""));
	ck_assert_ptr_nonnull(strstr(resp.text, "role=\"alert\">Wrong &lt;email&gt;<"));
	const char *csp = response_get_header(&resp, "Content-Security-Policy");
	ck_assert_str_eq(csp, "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' "
			      "http://127.0.0.1:9; frame-ancestors 'none'; base-uri 'none'");
	ck_assert_str_eq(response_get_header(&resp, "X-Frame-Options"), "DENY");
	ck_assert_str_eq(response_get_header(&resp, "Cache-Control"), "no-store");
	ck_assert_str_eq(response_get_header(&resp, "Referrer-Policy"), "no-referrer");
	struct sbuf out = {0};
	gateway_response_text(&out, &resp);
	ck_assert_ptr_nonnull(strstr(out.p, "Content-Type: text/html; charset=utf-8\r\n"));
	sbuf_free(&out);
	response_free(&resp);
}
END_TEST

START_TEST(test_page_csp_skips_unsafe_redirect_origin)
{
	struct response resp;
	response_init(&resp);
	page_headers(&resp, "https://a.example;script-src *");
	ck_assert_ptr_null(strstr(response_get_header(&resp, "Content-Security-Policy"), "script-src"));
	page_headers(&resp, "cursor://callback");
	ck_assert_ptr_nonnull(
	    strstr(response_get_header(&resp, "Content-Security-Policy"), "'self' cursor:;"));
	response_free(&resp);
}
END_TEST

/* ---- the store ------------------------------------------------------------- */

static char tmpdir[64];
static sqlite3 *db;

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
	ck_assert_int_eq(
	    flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NOW + 1, 3600, &rt, &g),
	    FLOW_OK);
	ck_assert_str_eq(g.client_id, "c1");
	ck_assert_str_eq(g.resource, "https://h/mcp");
	ck_assert_str_eq(g.scope, "openid read:profile");
	refresh_grant_free(&g);
	ck_assert_int_eq(
	    flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NOW + 2, 3600, &rt2, &g),
	    FLOW_USED);
	ck_assert_int_eq(refresh_rotate_client(db, rt, "c1", NOW + 3, &rt2, &g), REFRESH_REVOKED);
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
	    flowstore_code_redeem(db, code, "c2", "http://127.0.0.1/cb", VERIFIER, NOW, 3600, &rt, &g),
	    FLOW_MISMATCH);
	ck_assert_int_eq(
	    flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/other", VERIFIER, NOW, 3600, &rt, &g),
	    FLOW_MISMATCH);
	ck_assert_int_eq(flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb",
					       "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", NOW, 3600, &rt,
					       &g),
			 FLOW_PKCE);
	ck_assert_int_eq(flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER,
					       NOW + FLOW_CODE_TTL, 3600, &rt, &g),
			 FLOW_EXPIRED);
	ck_assert_int_eq(
	    flowstore_code_redeem(db, "nope", "c1", "http://127.0.0.1/cb", VERIFIER, NOW, 3600, &rt, &g),
	    FLOW_NOT_FOUND);
	/* None of the refusals spent it. */
	ck_assert_int_eq(
	    flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NOW, 3600, &rt, &g),
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
	    flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NOW, 3600, &rt, &g),
	    FLOW_OK);
	refresh_grant_free(&g);
	ck_assert_int_eq(refresh_rotate_client(db, rt, "c2", NOW, &next, &g), REFRESH_WRONG_CLIENT);
	refresh_grant_free(&g);
	ck_assert_int_eq(refresh_rotate_client(db, rt, NULL, NOW, &next, &g), REFRESH_WRONG_CLIENT);
	refresh_grant_free(&g);
	ck_assert_int_eq(refresh_revoke_client(db, rt, "c2", &g), REFRESH_WRONG_CLIENT);
	refresh_grant_free(&g);
	ck_assert_int_eq(refresh_rotate_client(db, rt, "c1", NOW, &next, &g), REFRESH_OK);
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
	    flowstore_code_redeem(db, code, "c1", "http://127.0.0.1/cb", VERIFIER, NOW, 3600, &rt, &g),
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
	ck_assert_int_eq(refresh_rotate_client(db, rt, "c1", NOW, &next, &g), REFRESH_REVOKED);
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

START_TEST(test_scope_helpers)
{
	char *s = flow_scope_intersect("openid admin:all read:profile openid", "read:profile openid email");
	ck_assert_str_eq(s, "openid read:profile");
	free(s);
	ck_assert(flow_scope_covers("a b c", "c a"));
	ck_assert(!flow_scope_covers("a b", "a d"));
	ck_assert(flow_scope_covers("", ""));
}
END_TEST

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *tc = tcase_create("form");
	tcase_add_test(tc, test_form_decodes_plus_and_escapes);
	tcase_add_test(tc, test_form_refuses_duplicate);
	tcase_add_test(tc, test_form_refuses_bad_escape_and_nul);
	tcase_add_test(tc, test_form_caps_fields_and_length);
	tcase_add_test(tc, test_form_content_type_and_cookie);
	tcase_add_test(tc, test_scope_helpers);
	suite_add_tcase(s, tc);
	tc = tcase_create("page");
	tcase_add_test(tc, test_page_escapes_and_sets_headers);
	tcase_add_test(tc, test_page_csp_skips_unsafe_redirect_origin);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_add_test(tc, test_code_redeems_once_and_replay_revokes);
	tcase_add_test(tc, test_code_refuses_other_client_wrong_verifier_and_age);
	tcase_add_test(tc, test_refresh_bound_to_client);
	tcase_add_test(tc, test_grant_widens_and_revoke_ends_refresh);
	tcase_add_test(tc, test_session_login_replaces_cookie_and_moves_requests);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(flow_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
