/* Unit tests of lib/route.c: matching paths to routes and dispatching a request to its handler. */

#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "field.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "password.h"
#include "route.h"
#include "testkeys.h"
#include "token.h"
#include "unit.h"
#include "util.h"

/* --- route_match ------------------------------------------------------- */

static void noop_handler(struct request *req, struct response *resp)
{
	(void)req;
	(void)resp;
}

static const struct route user_route = {
    "GET", "/api/auth0/user/:id", ROUTE_PUBLIC, NULL, "user", NULL, noop_handler, 0};
static const struct route two_params_route = {
    "GET", "/api/org/:org/user/:id", ROUTE_PUBLIC, NULL, "org user", NULL, noop_handler, 0};

static int match(const struct route *r, const char *path)
{
	return route_match(r, path, NULL);
}

/* --- route_dispatch ---------------------------------------------------- */

static void say(struct response *resp, const char *who, const char *id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "handler", json_object_new_string(who));
	if (id)
		json_object_object_add(o, "id", json_object_new_string(id));
	response_json(resp, 200, o);
}

static void hello_get(struct request *req, struct response *resp)
{
	(void)req;
	say(resp, "hello_get", NULL);
}

static void hello_post(struct request *req, struct response *resp)
{
	(void)req;
	say(resp, "hello_post", NULL);
}

static void item_delete(struct request *req, struct response *resp)
{
	say(resp, "item_delete", request_param(req, "id"));
}

static const struct route test_routes[] = {
    {"GET", "/hello", ROUTE_PUBLIC, NULL, "say hello", NULL, hello_get, 0},
    {"POST", "/hello", ROUTE_PUBLIC, NULL, "say hello back", NULL, hello_post, 0},
    {"DELETE", "/item/:id", ROUTE_PUBLIC, NULL, "delete an item", NULL, item_delete, 0},
};
static const struct route_group test_group = {"test", ROUTE_TABLE(test_routes), 0};
static const struct route_group *const test_groups[] = {&test_group};

/* Dispatches method path and leaves the response in *resp. */
static void dispatch(const char *method, const char *path, struct response *resp)
{
	struct request req = {0};
	req.method = method;
	req.path = ck_strdup(path);
	req.query = ck_strdup("");
	response_init(resp);
	app_route(test_groups, 1, &req, resp);
	request_free(&req);
}

static const char *body_string(const struct response *resp, const char *key)
{
	json_object *v;
	if (!resp->body || !json_object_object_get_ex(resp->body, key, &v))
		return NULL;
	return json_object_get_string(v);
}

START_TEST(test_route_match_fills_param_url_decoded)
{
	struct request req = {0};
	ck_assert_int_eq(route_match(&user_route, "/api/auth0/user/auth0%7Cuser123", &req), 1);
	ck_assert_uint_eq(req.nparams, 1);
	ck_assert_str_eq(req.params[0].name, "id");
	ck_assert_str_eq(request_param(&req, "id"), "auth0|user123");
	request_free(&req);
}
END_TEST

START_TEST(test_route_match_names_param_in_middle)
{
	struct request req = {0};
	ck_assert_int_eq(route_match(&two_params_route, "/api/org/acme/user/42", &req), 1);
	/* Copy what is checked, so that a failure leaks nothing. */
	size_t nparams = req.nparams;
	char *v0 = ck_strdup(nparams > 0 && req.params[0].value ? req.params[0].value : "");
	char *n0 = ck_strdup(nparams > 0 ? req.params[0].name : "");
	const char *id = request_param(&req, "id"), *org = request_param(&req, "org");
	char *id_copy = id ? ck_strdup(id) : NULL, *org_copy = org ? ck_strdup(org) : NULL;
	request_free(&req);
	int ok = nparams == 2 && strcmp(v0, "acme") == 0 && id_copy && strcmp(id_copy, "42") == 0 &&
		 org_copy && strcmp(org_copy, "acme") == 0;
	char *msg = ck_asprintf("nparams %zu, params[0] = {\"%s\", \"%s\"}, id %s, org %s", nparams, n0, v0,
				id_copy ? id_copy : "NULL", org_copy ? org_copy : "NULL");
	free(v0);
	free(n0);
	free(id_copy);
	free(org_copy);
	if (!ok) {
		char line[256];
		snprintf(line, sizeof line, "%s", msg);
		free(msg);
		ck_abort_msg("%s", line);
	}
	free(msg);
}
END_TEST

START_TEST(test_route_match_without_request)
{
	ck_assert_int_eq(match(&user_route, "/api/auth0/user/123"), 1);
	ck_assert_int_eq(match(&two_params_route, "/api/org/a/user/b"), 1);
}
END_TEST

START_TEST(test_route_match_refuses_extra_segment)
{
	ck_assert_int_eq(match(&user_route, "/api/auth0/user/123/extra"), 0);
}
END_TEST

START_TEST(test_route_match_refuses_trailing_slash)
{
	ck_assert_int_eq(match(&user_route, "/api/auth0/user/123/"), 0);
	const struct route fixed = {"GET", "/api/profile", ROUTE_PUBLIC, NULL, "p", NULL, noop_handler, 0};
	ck_assert_int_eq(match(&fixed, "/api/profile"), 1);
	ck_assert_int_eq(match(&fixed, "/api/profile/"), 0);
}
END_TEST

START_TEST(test_route_match_refuses_prefix)
{
	ck_assert_int_eq(match(&user_route, "/api/auth0/user"), 0);
	ck_assert_int_eq(match(&user_route, "/api/auth0/user/"), 0);
	ck_assert_int_eq(match(&user_route, "/api/auth0"), 0);
	const struct route fixed = {"GET", "/api/profile", ROUTE_PUBLIC, NULL, "p", NULL, noop_handler, 0};
	ck_assert_int_eq(match(&fixed, "/api/prof"), 0);
	ck_assert_int_eq(match(&fixed, "/api/profiles"), 0);
	ck_assert_int_eq(match(&fixed, "/api"), 0);
}
END_TEST

START_TEST(test_route_match_refuses_other_literal)
{
	ck_assert_int_eq(match(&user_route, "/api/auth1/user/123"), 0);
	ck_assert_int_eq(match(&user_route, "api/auth0/user/123"), 0);
	ck_assert_int_eq(match(&user_route, "//api/auth0/user/123"), 0);
}
END_TEST

START_TEST(test_route_match_bad_escape_gives_minus_one)
{
	struct request req = {0};
	ck_assert_int_eq(route_match(&user_route, "/api/auth0/user/%zz", &req), -1);
	request_free(&req);
	ck_assert_int_eq(route_match(&user_route, "/api/auth0/user/a%00", &req), -1);
	request_free(&req);
}
END_TEST

START_TEST(test_dispatch_runs_matching_handler)
{
	struct response resp;
	dispatch("GET", "/hello", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(body_string(&resp, "handler"), "hello_get");
	response_free(&resp);
	dispatch("POST", "/hello", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(body_string(&resp, "handler"), "hello_post");
	response_free(&resp);
}
END_TEST

START_TEST(test_dispatch_passes_decoded_param)
{
	struct response resp;
	dispatch("DELETE", "/item/auth0%7Cuser123", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(body_string(&resp, "handler"), "item_delete");
	ck_assert_str_eq(body_string(&resp, "id"), "auth0|user123");
	response_free(&resp);
}
END_TEST

START_TEST(test_dispatch_answers_404_for_unknown_path)
{
	struct response resp;
	dispatch("GET", "/nope", &resp);
	ck_assert_int_eq(resp.status, 404);
	ck_assert_ptr_null(body_string(&resp, "handler"));
	ck_assert_ptr_null(response_get_header(&resp, "Allow"));
	response_free(&resp);
	dispatch("GET", "/hello/", &resp);
	ck_assert_int_eq(resp.status, 404);
	response_free(&resp);
}
END_TEST

START_TEST(test_dispatch_answers_405_with_allow)
{
	struct response resp;
	dispatch("PUT", "/hello", &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_ptr_null(body_string(&resp, "handler"));
	const char *allow = response_get_header(&resp, "Allow");
	ck_assert_ptr_nonnull(allow);
	ck_assert_str_eq(allow, "GET, POST");
	response_free(&resp);

	dispatch("GET", "/item/5", &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_str_eq(response_get_header(&resp, "allow"), "DELETE");
	response_free(&resp);
}
END_TEST

START_TEST(test_dispatch_answers_400_for_bad_param_escape)
{
	struct response resp;
	dispatch("DELETE", "/item/%zz", &resp);
	ck_assert_int_eq(resp.status, 400);
	ck_assert_ptr_null(body_string(&resp, "handler"));
	response_free(&resp);
}
END_TEST

START_TEST(test_requirement_text_is_one_per_kind)
{
	const struct route rows[] = {
	    {"GET", "/a", ROUTE_PUBLIC, NULL, "a", NULL, NULL, 0},
	    {"GET", "/b", ROUTE_TOKEN, NULL, "b", NULL, NULL, 0},
	    {"GET", "/c", ROUTE_PERMISSION, "read:users", "c", NULL, NULL, 0},
	    {"GET", "/d", ROUTE_SCOPE, "email", "d", NULL, NULL, 0},
	};
	const char *shortly[] = {"none", "valid token", "permission read:users", "scope email"};
	const char *sentence[] = {"Public: no access token needed.", "Requires a valid access token.",
				  "Requires an access token with the permission 'read:users'.",
				  "Requires an access token with the scope 'email'."};
	char buf[160];
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(route_requirement_text(&rows[i], ROUTE_TEXT_SHORT, buf, sizeof buf),
				 shortly[i]);
		ck_assert_str_eq(route_requirement_text(&rows[i], ROUTE_TEXT_SENTENCE, buf, sizeof buf),
				 sentence[i]);
	}
}
END_TEST

/* Route flags: the dispatcher applies the transport rules (Origin, Accept,
 * Content-Type) before the handler, in the route's answer shape. */
static const struct route negotiated_routes[] = {
    {"POST", "/mcp/rpc", ROUTE_PUBLIC, NULL, "a JSON-RPC endpoint", NULL, hello_post,
     ROUTE_RAW_BODY | ROUTE_ORIGIN_CHECKED | ROUTE_JSON_ONLY | ROUTE_ACCEPT_JSON | ROUTE_JSONRPC},
    {"GET", "/plain", ROUTE_PUBLIC, NULL, "JSON only", NULL, hello_get, ROUTE_ACCEPT_JSON},
};
static const struct route_group negotiated_group = {"negotiated", ROUTE_TABLE(negotiated_routes), 0};
static const struct route_group *const negotiated_groups[] = {&negotiated_group};

static void dispatch_negotiated(const char *method, const char *path, const char *origin, const char *type,
				const char *accept, struct response *resp)
{
	struct request req = {0};
	req.method = method;
	req.path = ck_strdup(path);
	req.query = ck_strdup("");
	req.origin = origin;
	req.content_type = type;
	req.accept = accept;
	response_init(resp);
	app_route(negotiated_groups, 1, &req, resp);
	request_free(&req);
}

/* {"jsonrpc":"2.0","error":{"code":-32000,"message":message}}: no body, so
 * no id to read, and none (not null) in the answer. */
static void ck_rpc_refusal(const struct response *resp, int status, const char *message)
{
	json_object *e;
	ck_assert_int_eq(resp->status, status);
	ck_assert_str_eq(body_string(resp, "jsonrpc"), "2.0");
	ck_assert(!json_object_object_get_ex(resp->body, "id", NULL));
	ck_assert(json_object_object_get_ex(resp->body, "error", &e));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(e, "code")), HTTP_RPC_REFUSED);
	ck_assert_str_eq(json_get_string(e, "message"), message);
	ck_assert_ptr_null(body_string(resp, "handler"));
}

START_TEST(test_dispatch_refuses_what_the_route_flags_refuse)
{
	struct response resp;
	const char *json = "application/json";
	app.config.allowed_origins = "https://ok.test";
	dispatch_negotiated("POST", "/mcp/rpc", "https://evil.test", json, NULL, &resp);
	ck_rpc_refusal(&resp, 403, "Origin not allowed");
	response_free(&resp);
	dispatch_negotiated("POST", "/mcp/rpc", "https://ok.test", "text/plain", NULL, &resp);
	ck_rpc_refusal(&resp, 415, "Content-Type must be application/json");
	response_free(&resp);
	dispatch_negotiated("POST", "/mcp/rpc", NULL, json, "text/event-stream", &resp);
	ck_rpc_refusal(&resp, 406, "Accept must allow application/json");
	response_free(&resp);
	dispatch_negotiated("POST", "/mcp/rpc", "https://ok.test", "Application/JSON; charset=utf-8",
			    "text/event-stream, application/json", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(body_string(&resp, "handler"), "hello_post");
	response_free(&resp);

	/* Without ROUTE_JSONRPC, the suite's own error body. */
	dispatch_negotiated("GET", "/plain", NULL, NULL, "application/json;q=0, text/html", &resp);
	ck_assert_int_eq(resp.status, 406);
	ck_assert_str_eq(body_string(&resp, "error"), "Not acceptable");
	ck_assert_str_eq(body_string(&resp, "message"), "Accept must allow application/json");
	response_free(&resp);
	/* No Origin rule on this route: any Origin reaches the handler. */
	dispatch_negotiated("GET", "/plain", "https://evil.test", NULL, "*/*", &resp);
	ck_assert_int_eq(resp.status, 200);
	response_free(&resp);
	app.config.allowed_origins = NULL;
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc;

	tc = tcase_create("route_match");
	tcase_add_test(tc, test_route_match_fills_param_url_decoded);
	tcase_add_test(tc, test_route_match_names_param_in_middle);
	tcase_add_test(tc, test_route_match_without_request);
	tcase_add_test(tc, test_route_match_refuses_extra_segment);
	tcase_add_test(tc, test_route_match_refuses_trailing_slash);
	tcase_add_test(tc, test_route_match_refuses_prefix);
	tcase_add_test(tc, test_route_match_refuses_other_literal);
	tcase_add_test(tc, test_route_match_bad_escape_gives_minus_one);
	suite_add_tcase(s, tc);

	tc = tcase_create("route_dispatch");
	tcase_add_test(tc, test_dispatch_runs_matching_handler);
	tcase_add_test(tc, test_dispatch_passes_decoded_param);
	tcase_add_test(tc, test_dispatch_answers_404_for_unknown_path);
	tcase_add_test(tc, test_dispatch_answers_405_with_allow);
	tcase_add_test(tc, test_dispatch_answers_400_for_bad_param_escape);
	tcase_add_test(tc, test_dispatch_refuses_what_the_route_flags_refuse);
	suite_add_tcase(s, tc);

	tc = tcase_create("requirement text");
	tcase_add_test(tc, test_requirement_text_is_one_per_kind);
	suite_add_tcase(s, tc);

	return s;
}
