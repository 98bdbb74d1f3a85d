/* Unit tests of lib/app.c: the Host rule as a program applies it to a request. */

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
#include "db.h"
#include "token.h"
#include "audit.h"
#include "config.h"
#include "cors.h"
#include "grant.h"
#include "ratelimit.h"
#include "refresh.h"
#include "route.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

START_TEST(test_hosts_refused_before_routing_options_included)
{
	static const char *const methods[][2] = {{"GET", "/api/thing"},
						 {"OPTIONS", "/api/thing"},
						 {"DELETE", "/api/thing/7"},
						 {"GET", "/nowhere"}};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		struct response resp;
		unit_serve(methods[i][0], methods[i][1], "evil.example:3009", "https://app.example.com",
			   &resp);
		ck_assert_int_eq(resp.status, 421);
		ck_assert_str_eq(json_get_string(resp.body, "error"), "Misdirected request");
		ck_assert_ptr_nonnull(json_get_string(resp.body, "message"));
		ck_assert_ptr_null(strstr(json_text(resp.body), "evil"));
		ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
		response_free(&resp);
		unit_serve(methods[i][0], methods[i][1], "localhost:3009", "https://app.example.com", &resp);
		ck_assert_int_ne(resp.status, 421);
		response_free(&resp);
	}
	ck_assert_ptr_nonnull(strstr(audit_last_line(), "\"event\":\"host_refused\""));
	/* The setting is unset here: the audit line names it. */
	ck_assert_ptr_nonnull(strstr(audit_last_line(), "\"reason\":\"MCPAUTH_ALLOWED_HOSTS unset"));
}
END_TEST

static void ok_handler(struct request *req, struct response *resp)
{
	(void)req;
	response_json(resp, 200, json_object_new_object());
}

static const struct route second_factor_routes[] = {
    {"POST", "/api/guarded", ROUTE_TOKEN, NULL, "needs a second factor", NULL, ok_handler,
     ROUTE_SECOND_FACTOR},
};
static const struct route_group second_factor_group = {"guarded", ROUTE_TABLE(second_factor_routes), 0};

/* A tool call's request (its caller's principal, borrowed) on a route
 * that needs a second factor, with the token's amr. */
static void serve_with_amr(const char *amr, struct response *resp)
{
	const struct route_group *groups[] = {&second_factor_group};
	/* The principal as verification makes it from the claims. */
	static const struct token_verifier v = {0};
	struct principal p;
	token_principal(&v, json_tokener_parse(amr), 0, &p);
	p.sub = "auth0|user123";
	struct request req = {0};
	req.method = "POST";
	req.path = ck_strdup("/api/guarded");
	req.query = ck_strdup("");
	req.host = "localhost:3009";
	req.server_addr = "127.0.0.1";
	req.via_mcp = 1;
	req.principal = &p;
	response_init(resp);
	app_route(groups, 1, &req, resp);
	request_free(&req);
	json_object_put(p.claims);
}

START_TEST(test_second_factor_route_refuses_a_password_token)
{
	struct response resp;
	serve_with_amr("{\"amr\":[\"pwd\"]}", &resp);
	ck_assert_int_eq(resp.status, 401);
	ck_assert_str_eq(json_get_string(resp.body, "error"), "insufficient_user_authentication");
	ck_assert_ptr_nonnull(strstr(response_get_header(&resp, "WWW-Authenticate"),
				     "error=\"insufficient_user_authentication\""));
	response_free(&resp);
	serve_with_amr("{}", &resp);
	ck_assert_int_eq(resp.status, 401);
	response_free(&resp);
	serve_with_amr("{\"amr\":\"otp\"}", &resp);
	ck_assert_int_eq(resp.status, 401); /* amr is an array of words, never a string */
	response_free(&resp);
	serve_with_amr("{\"amr\":[\"pwd\",\"otp\"]}", &resp);
	ck_assert_int_eq(resp.status, 200);
	response_free(&resp);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("app");
	TCase *tc;

	tc = tcase_create("hosts_app");
	tcase_add_checked_fixture(tc, unit_app_setup, unit_app_teardown);
	tcase_add_test(tc, test_hosts_refused_before_routing_options_included);
	suite_add_tcase(s, tc);

	tc = tcase_create("second_factor");
	tcase_add_checked_fixture(tc, unit_app_setup, unit_app_teardown);
	tcase_add_test(tc, test_second_factor_route_refuses_a_password_token);
	suite_add_tcase(s, tc);

	return s;
}
