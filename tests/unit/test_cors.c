/* Unit tests of lib/cors.c: CORS answers and preflights through the dispatcher. */

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

START_TEST(test_route_path_methods_lists_the_path_routes)
{
	char buf[128];
	ck_assert_uint_eq(route_path_methods(unit_thing_groups, 1, "/api/thing", buf, sizeof buf), 2);
	ck_assert_str_eq(buf, "GET, PUT");
	ck_assert_uint_eq(route_path_methods(unit_thing_groups, 1, "/api/thing/7", buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "DELETE");
	ck_assert_uint_eq(route_path_methods(unit_thing_groups, 1, "/api/nothing", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_cors_preflight_for_allowed_origin)
{
	struct response resp;
	unit_serve("OPTIONS", "/api/thing", NULL, "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 204);
	ck_assert_ptr_null(resp.body);
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Origin"),
			 "https://app.example.com");
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Methods"), "GET, PUT");
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Headers"),
			 "Authorization, Content-Type, MCP-Protocol-Version, Mcp-Method, Mcp-Name");
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
		unit_serve("OPTIONS", "/api/thing", NULL, bad[i], &resp);
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
	unit_serve("OPTIONS", "/mcp", NULL, "https://agent.example.com", &resp);
	ck_assert_int_eq(resp.status, 204);
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Origin"),
			 "https://agent.example.com");
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Methods"), "POST");
	response_free(&resp);
	unit_serve("POST", "/mcp", NULL, "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Origin"),
			 "https://app.example.com");
	response_free(&resp);
	unit_serve("POST", "/mcp", NULL, "https://evil.example.com", &resp);
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	response_free(&resp);
}
END_TEST

START_TEST(test_cors_options_without_origin_or_route)
{
	struct response resp;
	unit_serve("OPTIONS", "/api/thing", NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 204);
	ck_assert_str_eq(response_get_header(&resp, "Allow"), "GET, PUT, OPTIONS");
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	response_free(&resp);
	unit_serve("OPTIONS", "/api/nothing", NULL, "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 404);
	ck_assert_str_eq(json_get_string(resp.body, "error"), "Not found");
	response_free(&resp);
}
END_TEST

START_TEST(test_cors_actual_request_gets_origin_and_vary)
{
	struct response resp;
	unit_serve("GET", "/api/thing", NULL, "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(response_get_header(&resp, "Access-Control-Allow-Origin"),
			 "https://app.example.com");
	ck_assert_str_eq(response_get_header(&resp, "Vary"), "Origin");
	ck_assert_ptr_nonnull(
	    strstr(response_get_header(&resp, "Access-Control-Expose-Headers"), "WWW-Authenticate"));
	response_free(&resp);
	/* The server answers other origins; the browser keeps the answer from the page. */
	unit_serve("GET", "/api/thing", NULL, "https://evil.example.com", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	ck_assert_str_eq(response_get_header(&resp, "Vary"), "Origin");
	response_free(&resp);
	unit_serve("GET", "/api/thing", NULL, NULL, &resp);
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	ck_assert_str_eq(response_get_header(&resp, "Vary"), "Origin");
	response_free(&resp);
}
END_TEST

START_TEST(test_cors_nothing_configured_nothing_sent)
{
	struct response resp;
	config_free(&app.config);
	unit_env_reset();
	char err[256] = "";
	ck_assert_int_eq(config_load(&app.config, err, sizeof err), 0);
	unit_serve("GET", "/api/thing", NULL, "https://app.example.com", &resp);
	ck_assert_ptr_null(response_get_header(&resp, "Access-Control-Allow-Origin"));
	ck_assert_ptr_null(response_get_header(&resp, "Vary"));
	response_free(&resp);
	unit_serve("OPTIONS", "/api/thing", NULL, "https://app.example.com", &resp);
	ck_assert_int_eq(resp.status, 403);
	response_free(&resp);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cors");
	TCase *tc;

	tc = tcase_create("cors");
	tcase_add_checked_fixture(tc, unit_app_setup, unit_app_teardown);
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
