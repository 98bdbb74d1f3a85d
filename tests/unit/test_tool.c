/* Unit tests of lib/tool.c: tools generated from the real route tables (names, schemas,
 * descriptions), the requests a tool call builds, and a call run in process. */

#include <check.h>
#include <json-c/json.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "guard.h"
#include "config.h"
#include "http.h"
#include "route.h"
#include "routes.h"
#include "token.h"
#include "tool.h"
#include "unit.h"
#include "util.h"

static struct toolset api;

static void api_setup(void)
{
	toolset_init(&api, route_groups, route_ngroups);
}

static void api_teardown(void)
{
	toolset_free(&api);
}

static const struct tool *api_tool(const char *name)
{
	const struct tool *t = toolset_find(&api, name, TOOL_NAME_MCP);
	ck_assert_msg(t != NULL, "no tool %s", name);
	return t;
}

static json_object *args_of(const char *json)
{
	json_object *o = json_tokener_parse(json);
	ck_assert_ptr_nonnull(o);
	return o;
}

static const char *str_at(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void handler_none(struct request *req, struct response *resp)
{
	(void)req;
	response_json(resp, 200, json_object_new_object());
}

static const struct route clash_routes[] = {
    {"GET", "/a/b", ROUTE_PUBLIC, NULL, "one", NULL, handler_none, 0},
    {"GET", "/a-b", ROUTE_PUBLIC, NULL, "two", NULL, handler_none, 0},
    {"GET", "/a/:b", ROUTE_PUBLIC, NULL, "three", NULL, handler_none, 0},
    {"GET", "/x0123456789/x0123456789/x0123456789/x0123456789/x0123456789/x01234567", ROUTE_PUBLIC, NULL,
     "long", NULL, handler_none, 0},
    {"GET", "/x0123456789/x0123456789/x0123456789/x0123456789/x0123456789/x01234567/more", ROUTE_PUBLIC, NULL,
     "long too", NULL, handler_none, 0},
};
static const struct route_group clash_group = {"clash", ROUTE_TABLE(clash_routes), 0};
static const struct route_group *const clash_groups[] = {&clash_group};

static const struct route_group hidden_group = {"hidden", ROUTE_TABLE(clash_routes), GROUP_NO_TOOLS};
static const struct route_group *const hidden_groups[] = {&hidden_group};

/* --- schema, description, annotations ------------------------------------ */

static json_object *prop(json_object *schema, const char *name)
{
	json_object *props, *p;
	ck_assert(json_object_object_get_ex(schema, "properties", &props));
	if (!json_object_object_get_ex(props, name, &p))
		return NULL;
	return p;
}

static const char *required_list(json_object *schema, char *buf, size_t n)
{
	json_object *req;
	buf[0] = '\0';
	if (!json_object_object_get_ex(schema, "required", &req))
		return buf;
	for (size_t i = 0; i < json_object_array_length(req); i++) {
		if (i)
			strncat(buf, ",", n - strlen(buf) - 1);
		strncat(buf, json_object_get_string(json_object_array_get_idx(req, i)), n - strlen(buf) - 1);
	}
	return buf;
}

/* --- tool_request --------------------------------------------------------- */

static const struct request caller = {
    .authorization = "Bearer abc.def.ghi",
    .host = "api.example.com:8443",
    .https = 1,
    .remote_addr = "127.0.0.1",
};

static const struct field search_in[] = {
    {.name = "q", .type = FIELD_STRING, .min = 1, .max = 64},
    {.name = "limit", .type = FIELD_INTEGER, .min = 1, .max = 100},
    {.name = "all", .type = FIELD_BOOLEAN},
};
static const struct route_fields search_fields = {.in = FIELD_LIST(search_in)};

static const struct route search_routes[] = {
    {"GET", "/things/:kind/search", ROUTE_PUBLIC, NULL, "search", &search_fields, handler_none, 0},
};
static const struct route_group search_group = {"search", ROUTE_TABLE(search_routes), 0};
static const struct route_group *const search_groups[] = {&search_group};

/* --- tool_call: in process ---------------------------------------------- */

static void echo_handler(struct request *req, struct response *resp)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string(req->method));
	json_object_object_add(o, "id", json_string_or_null(request_param(req, "id")));
	json_object_object_add(o, "note", json_string_or_null(json_get_string(req->body, "note")));
	json_object_object_add(o, "sub", json_string_or_null(req->principal ? req->principal->sub : NULL));
	response_json(resp, 201, o);
}

static const struct field echo_in[] = {
    {.name = "note", .type = FIELD_STRING, .min = 1, .max = 16},
};
static const struct route_fields echo_fields = {.in = FIELD_LIST(echo_in)};

static const struct route echo_routes[] = {
    {"POST", "/echo/:id", ROUTE_PUBLIC, NULL, "echo", &echo_fields, echo_handler, 0},
    {"POST", "/secret/:id", ROUTE_TOKEN, NULL, "needs a token", &echo_fields, echo_handler, 0},
};
static const struct route_group echo_group = {"echo", ROUTE_TABLE(echo_routes), 0};
static const struct route_group *const echo_groups[] = {&echo_group};

/* What the mcp program hands tool_call (lib/app.c's dispatcher), over the
 * echo group. */
static void echo_dispatch(void *ctx, struct request *req, struct response *resp)
{
	(void)ctx;
	app_dispatch(echo_groups, 1, req, resp);
}
static const struct http_handler echo_dispatcher = {echo_dispatch, NULL};

static void call_setup(void)
{
	memset(&app, 0, sizeof app);
	app.groups = echo_groups;
	app.ngroups = 1;
}

static void call_teardown(void)
{
	memset(&app, 0, sizeof app);
}

/* --- names --------------------------------------------------------------- */

START_TEST(test_tool_names_follow_the_mcp_rule_and_are_unique)
{
	regex_t re;
	ck_assert_int_eq(regcomp(&re, "^[a-zA-Z0-9_-]{1,64}$", REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_uint_gt(api.ntools, 5);
	for (size_t i = 0; i < api.ntools; i++) {
		ck_assert_msg(regexec(&re, api.tools[i].name, 0, NULL, 0) == 0, "bad name %s",
			      api.tools[i].name);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(api.tools[i].name, api.tools[j].name);
	}
	regfree(&re);
}
END_TEST

START_TEST(test_tool_names_of_the_api)
{
	static const char *const want[][3] = {
	    {"get_root", "GET_/", "GET /"},
	    {"post_auth_login", "POST_/auth/login", "POST /auth/login"},
	    {"post_auth_login_mfa", "POST_/auth/login/mfa", "POST /auth/login/mfa"},
	    {"get_auth_mfa", "GET_/auth/mfa", "GET /auth/mfa"},
	    {"post_auth_mfa_enroll", "POST_/auth/mfa/enroll", "POST /auth/mfa/enroll"},
	    {"post_auth_mfa_confirm", "POST_/auth/mfa/confirm", "POST /auth/mfa/confirm"},
	    {"post_auth_mfa_disable", "POST_/auth/mfa/disable", "POST /auth/mfa/disable"},
	    {"post_auth_refresh", "POST_/auth/refresh", "POST /auth/refresh"},
	    {"post_auth_logout", "POST_/auth/logout", "POST /auth/logout"},
	    {"post_auth_signup", "POST_/auth/signup", "POST /auth/signup"},
	    {"post_auth_verify_resend", "POST_/auth/verify/resend", "POST /auth/verify/resend"},
	    {"post_auth_password_reset", "POST_/auth/password/reset", "POST /auth/password/reset"},
	    {"post_auth_password_reset_confirm", "POST_/auth/password/reset/confirm",
	     "POST /auth/password/reset/confirm"},
	    {"get_api_profile", "GET_/api/profile", "GET /api/profile"},
	    {"put_api_profile", "PUT_/api/profile", "PUT /api/profile"},
	    {"get_api_email", "GET_/api/email", "GET /api/email"},
	    {"get_api_users", "GET_/api/users", "GET /api/users"},
	    {"post_api_users", "POST_/api/users", "POST /api/users"},
	    {"get_api_admin_users", "GET_/api/admin/users", "GET /api/admin/users"},
	    {"post_api_admin_permissions", "POST_/api/admin/permissions", "POST /api/admin/permissions"},
	    {"get_api_auth0_user_id", "GET_/api/auth0/user/:id", "GET /api/auth0/user/:id"},
	    {"get_api_user_id", "GET_/api/user/:id", "GET /api/user/:id"},
	    {"get_api_sessions", "GET_/api/sessions", "GET /api/sessions"},
	    {"delete_api_sessions_id", "DELETE_/api/sessions/:id", "DELETE /api/sessions/:id"},
	    {"post_auth_password", "POST_/auth/password", "POST /auth/password"},
	};
	ck_assert_uint_eq(api.ntools, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct tool *t = api_tool(want[i][0]);
		ck_assert_str_eq(t->express_name, want[i][1]);
		ck_assert_str_eq(t->title, want[i][2]);
		ck_assert_ptr_eq(toolset_find(&api, want[i][1], TOOL_NAME_ANY), t);
		ck_assert_ptr_eq(toolset_find(&api, want[i][2], TOOL_NAME_ANY), t);
	}
}
END_TEST

START_TEST(test_tools_leave_out_mcp_and_well_known_routes)
{
	for (size_t i = 0; i < api.ntools; i++) {
		const char *p = api.tools[i].route->pattern;
		ck_assert_msg(strncmp(p, "/mcp", 4) != 0, "mcp route %s is a tool", p);
		ck_assert_msg(strncmp(p, "/.well-known/", 13) != 0, "%s is a tool", p);
		/* The account pages take passwords in a browser's form. */
		ck_assert_msg(strncmp(p, "/account", 8) != 0, "page %s is a tool", p);
	}
	ck_assert_ptr_null(toolset_find(&api, "POST_/mcp", TOOL_NAME_ANY));
	ck_assert_ptr_null(toolset_find(&api, "get_well_known_jwks_json", TOOL_NAME_ANY));
	/* The browser pages are no tools: neither /authorize's nor the account's. */
	ck_assert_ptr_null(toolset_find(&api, "GET_/account/mfa", TOOL_NAME_ANY));
	ck_assert_ptr_null(toolset_find(&api, "POST_/account/mfa", TOOL_NAME_ANY));
}
END_TEST

START_TEST(test_toolset_find_mcp_only_refuses_other_forms)
{
	ck_assert_ptr_null(toolset_find(&api, "GET_/api/profile", TOOL_NAME_MCP));
	ck_assert_ptr_null(toolset_find(&api, "GET /api/profile", TOOL_NAME_MCP));
	ck_assert_ptr_null(toolset_find(&api, "get_api_profile", TOOL_NAME_EXPRESS | TOOL_NAME_TITLE));
	ck_assert_ptr_null(toolset_find(&api, "GET_/api/nope", TOOL_NAME_ANY));
	ck_assert_ptr_null(toolset_find(&api, NULL, TOOL_NAME_ANY));
}
END_TEST

START_TEST(test_tool_base_name_maps_symbols_and_root)
{
	char name[TOOL_NAME_MAX + 1];
	struct route r = {"GET", "/", ROUTE_PUBLIC, NULL, "", NULL, handler_none, 0};
	tool_base_name(&r, name);
	ck_assert_str_eq(name, "get_root");
	r.pattern = "/.well-known/jwks.json";
	tool_base_name(&r, name);
	ck_assert_str_eq(name, "get_well_known_jwks_json");
	r.method = "DELETE";
	r.pattern = "/API/Items/:itemId/";
	tool_base_name(&r, name);
	ck_assert_str_eq(name, "delete_api_items_itemid");
	r.pattern = "/aaaaaaaaaa/bbbbbbbbbb/cccccccccc/dddddddddd/eeeeeeeeee/ffffffffff/gggggggggg";
	tool_base_name(&r, name);
	ck_assert_uint_eq(strlen(name), TOOL_NAME_MAX);
	ck_assert_int_eq(strncmp(name, "delete_aaaaaaaaaa_bbbbbbbbbb", 28), 0);
}
END_TEST

START_TEST(test_toolset_gives_clashing_names_a_suffix_in_table_order)
{
	struct toolset ts;
	toolset_init(&ts, clash_groups, 1);
	ck_assert_uint_eq(ts.ntools, 5);
	ck_assert_str_eq(ts.tools[0].name, "get_a_b");
	ck_assert_str_eq(ts.tools[1].name, "get_a_b_2");
	ck_assert_str_eq(ts.tools[2].name, "get_a_b_3");
	ck_assert_uint_eq(strlen(ts.tools[3].name), TOOL_NAME_MAX);
	ck_assert_uint_eq(strlen(ts.tools[4].name), TOOL_NAME_MAX);
	ck_assert_str_ne(ts.tools[3].name, ts.tools[4].name);
	ck_assert_str_eq(ts.tools[4].name + TOOL_NAME_MAX - 2, "_2");
	toolset_free(&ts);
}
END_TEST

START_TEST(test_toolset_skips_group_flagged_no_tools)
{
	struct toolset ts;
	toolset_init(&ts, hidden_groups, 1);
	ck_assert_uint_eq(ts.ntools, 0);
	toolset_free(&ts);
}
END_TEST

START_TEST(test_input_schema_has_path_parameter_as_required_string)
{
	char buf[128];
	json_object *s = tool_input_schema(api_tool("get_api_auth0_user_id"));
	ck_assert_str_eq(str_at(s, "type"), "object");
	ck_assert_str_eq(str_at(prop(s, "id"), "type"), "string");
	ck_assert_str_eq(required_list(s, buf, sizeof buf), "id");
	json_object *ap;
	ck_assert(json_object_object_get_ex(s, "additionalProperties", &ap));
	ck_assert(!json_object_get_boolean(ap));
	json_object_put(s);
}
END_TEST

START_TEST(test_input_schema_carries_the_route_body_fields)
{
	char buf[128];
	json_object *s = tool_input_schema(api_tool("post_api_users"));
	ck_assert_str_eq(required_list(s, buf, sizeof buf), "name,email");
	ck_assert_str_eq(str_at(prop(s, "permissions"), "type"), "array");
	ck_assert_str_eq(str_at(prop(s, "password"), "type"), "string");
	json_object_put(s);
	s = tool_input_schema(api_tool("get_api_profile"));
	ck_assert_str_eq(str_at(s, "type"), "object");
	ck_assert_str_eq(required_list(s, buf, sizeof buf), "");
	ck_assert_ptr_null(prop(s, "id"));
	json_object_put(s);
}
END_TEST

/* A field named twice, or named as a path parameter, would be read from
 * one place and documented from another. */
START_TEST(test_every_route_field_table_names_each_field_once)
{
	for (size_t i = 0; i < api.ntools; i++) {
		const struct route *r = api.tools[i].route;
		if (!r->fields)
			continue;
		const struct field_list *in = &r->fields->in;
		for (size_t k = 0; k < in->n; k++) {
			const char *name = in->fields[k].name;
			ck_assert_msg(field_find(in, name, strlen(name)) == &in->fields[k], "%s: '%s' twice",
				      api.tools[i].name, name);
			char param[80];
			snprintf(param, sizeof param, "/:%s", name);
			ck_assert_msg(!strstr(r->pattern, param), "%s: '%s' is a path parameter too",
				      api.tools[i].name, name);
			ck_assert_msg(!route_in_query(r) || in->fields[k].type == FIELD_STRING ||
					  in->fields[k].type == FIELD_INTEGER ||
					  in->fields[k].type == FIELD_BOOLEAN,
				      "%s: '%s' cannot travel in a query string", api.tools[i].name, name);
		}
	}
}
END_TEST

static const char *dialect_of(json_object *s)
{
	return str_at(s, "$schema");
}

/* Every tool says what its answer holds: a route that is a tool has an
 * answer table, and its outputSchema is that table, closed (no member
 * the table does not name) unless the answer is a tenant's. */
START_TEST(test_every_tool_describes_its_answer)
{
	for (size_t i = 0; i < api.ntools; i++) {
		const struct tool *t = &api.tools[i];
		const struct route_fields *rf = t->route->fields;
		ck_assert_msg(rf && rf->out.n, "%s has no answer table", t->name);
		json_object *s = tool_output_schema(t), *v, *props;
		ck_assert_str_eq(dialect_of(s), TOOL_SCHEMA_DIALECT);
		ck_assert_str_eq(str_at(s, "type"), "object");
		ck_assert(json_object_object_get_ex(s, "properties", &props));
		ck_assert_int_eq(json_object_object_length(props), (int)rf->out.n);
		ck_assert(json_object_object_get_ex(s, "additionalProperties", &v));
		ck_assert_msg(json_object_get_boolean(v) == !!(rf->flags & FIELDS_OUT_OPEN),
			      "%s additionalProperties", t->name);
		json_object_put(s);
		s = tool_input_schema(t);
		ck_assert_str_eq(dialect_of(s), TOOL_SCHEMA_DIALECT);
		json_object_put(s);
	}
}
END_TEST

/* Open answers are those passed on from the tenant: the login's and one user's. */
START_TEST(test_output_schema_open_only_for_a_tenants_answer)
{
	json_object *s = tool_output_schema(api_tool("get_api_auth0_user_id")), *v, *profile;
	ck_assert(json_object_object_get_ex(s, "additionalProperties", &v) && json_object_get_boolean(v));
	ck_assert_str_eq(str_at(s, "$schema"), "https://json-schema.org/draft/2020-12/schema");
	char buf[128];
	ck_assert_str_eq(required_list(s, buf, sizeof buf), "user_id");
	json_object_put(s);
	s = tool_output_schema(api_tool("get_api_profile"));
	ck_assert(json_object_object_get_ex(s, "additionalProperties", &v) && !json_object_get_boolean(v));
	profile = prop(s, "profile");
	ck_assert(json_object_object_get_ex(profile, "additionalProperties", &v) &&
		  !json_object_get_boolean(v));
	ck_assert_ptr_null(str_at(profile, "$schema")); /* the dialect is named once, at the top */
	json_object_put(s);
}
END_TEST

START_TEST(test_description_says_what_the_tool_requires)
{
	char *d = tool_description(api_tool("get_api_profile"));
	ck_assert_ptr_nonnull(strstr(d, "Read the caller's profile"));
	ck_assert_ptr_nonnull(strstr(d, "permission 'read:profile'"));
	free(d);
	d = tool_description(api_tool("get_api_email"));
	ck_assert_ptr_nonnull(strstr(d, "scope 'email'"));
	free(d);
	d = tool_description(api_tool("get_root"));
	ck_assert_ptr_nonnull(strstr(d, "no access token needed"));
	free(d);
}
END_TEST

static int hint(json_object *a, const char *name)
{
	json_object *v;
	ck_assert_msg(json_object_object_get_ex(a, name, &v) && json_object_is_type(v, json_type_boolean),
		      "no boolean %s", name);
	return json_object_get_boolean(v);
}

/* Each tool's hints, checked against what its route does: GET reads; PUT
 * overwrites (the profile), POST /api/admin/permissions replaces, refresh
 * ends the old token, logout revokes (again: nothing more); creating a
 * user twice answers 409 the second time, login issues a new token. The
 * accounts: a password change or reset overwrites the password, turning
 * TOTP off deletes it, an enrolment replaces a pending secret, a mailed
 * link ends the earlier one; none does nothing when repeated (the second
 * call is refused: the old password, the used link, the code). */
START_TEST(test_annotations_of_every_tool)
{
	static const struct {
		const char *name;
		int read_only, destructive, idempotent;
	} want[] = {
	    {"get_root", 1, 0, 1},
	    {"post_auth_login", 0, 0, 0},
	    {"post_auth_refresh", 0, 1, 0},
	    {"post_auth_logout", 0, 1, 1},
	    {"post_auth_login_mfa", 0, 0, 0},
	    {"get_auth_mfa", 1, 0, 1},
	    {"post_auth_mfa_enroll", 0, 1, 0},
	    {"post_auth_mfa_confirm", 0, 0, 0},
	    {"post_auth_mfa_disable", 0, 1, 0},
	    {"post_auth_signup", 0, 0, 0},
	    {"post_auth_verify_resend", 0, 1, 0},
	    {"post_auth_password_reset", 0, 1, 0},
	    {"post_auth_password_reset_confirm", 0, 1, 0},
	    {"post_auth_password", 0, 1, 0},
	    {"get_api_profile", 1, 0, 1},
	    {"put_api_profile", 0, 1, 1},
	    {"get_api_email", 1, 0, 1},
	    {"get_api_sessions", 1, 0, 1},
	    {"delete_api_sessions_id", 0, 1, 1},
	    {"get_api_users", 1, 0, 1},
	    {"post_api_users", 0, 0, 0},
	    {"get_api_admin_users", 1, 0, 1},
	    {"post_api_admin_permissions", 0, 1, 1},
	    {"get_api_auth0_user_id", 1, 0, 1},
	    {"get_api_user_id", 1, 0, 1},
	};
	ck_assert_uint_eq(api.ntools, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct tool *t = api_tool(want[i].name);
		json_object *a = tool_annotations(t);
		ck_assert_str_eq(str_at(a, "title"), t->title);
		ck_assert_msg(hint(a, "readOnlyHint") == want[i].read_only, "%s readOnlyHint", want[i].name);
		ck_assert_msg(hint(a, "destructiveHint") == want[i].destructive, "%s destructiveHint",
			      want[i].name);
		ck_assert_msg(hint(a, "idempotentHint") == want[i].idempotent, "%s idempotentHint",
			      want[i].name);
		ck_assert_msg(!hint(a, "openWorldHint"), "%s openWorldHint", want[i].name);
		ck_assert_int_eq(json_object_object_length(a), 5);
		json_object_put(a);
	}
}
END_TEST

/* --- which tools a caller sees -------------------------------------------- */

/* 1 when guard_check lets a caller with principal p (NULL: no token) through r. */
static int guard_lets_through(const struct route *r, struct principal *p)
{
	struct app a = {.groups = route_groups, .ngroups = route_ngroups};
	struct request req = {.method = r->method,
			      .path = "/",
			      .host = "127.0.0.1:3009",
			      .app = &a,
			      .route = r,
			      .principal = p};
	struct response resp;
	response_init(&resp);
	int through = guard_check(&req, &resp) == HTTP_GO_ON;
	response_free(&resp);
	return through;
}

/* tools/list shows a token the tools the guard lets it call, no more and
 * no fewer: the two rules agree on every route for every kind of caller. */
START_TEST(test_visible_tools_are_the_ones_the_guard_lets_through)
{
	static const struct {
		const char *permissions, *scope; /* scope NULL: no scope claim */
		int second_factor;		 /* amr holds otp */
	} callers[] = {
	    {"read:profile write:profile", "openid profile email", 0},
	    {"read:profile read:users", "openid", 0},
	    {"read:profile write:profile read:users write:users admin:all", NULL, 0},
	    {"", "email", 0},
	    /* A login with a second factor: the ROUTE_SECOND_FACTOR rows too. */
	    {"read:profile write:profile", "openid profile email", 1},
	    {"", NULL, 1},
	};
	size_t shown = 0, hidden = 0, second_factor = 0;
	for (size_t c = 0; c < sizeof callers / sizeof callers[0]; c++) {
		struct principal p = {
		    .sub = "auth0|t", .scope = callers[c].scope, .second_factor = callers[c].second_factor};
		p.permissions = json_word_array(callers[c].permissions);
		for (size_t i = 0; i < api.ntools; i++) {
			const struct tool *t = &api.tools[i];
			int visible = tool_visible(t, &p);
			ck_assert_msg(visible == guard_lets_through(t->route, &p),
				      "%s for caller %zu: listed %d", t->name, c, visible);
			visible ? shown++ : hidden++;
			if (visible && (t->route->flags & ROUTE_SECOND_FACTOR))
				second_factor++;
		}
		json_object_put(p.permissions);
	}
	/* Both answers occur: the agreement is not one of a constant. */
	ck_assert_uint_gt(shown, 0);
	ck_assert_uint_gt(hidden, 0);
	/* A second-factor row is listed to the callers with amr otp, only. */
	ck_assert_uint_eq(second_factor, 2);
}
END_TEST

/* Without a token every tool is listed, those needing one included: the
 * description says what each needs. */
START_TEST(test_without_a_token_every_tool_is_visible)
{
	size_t protected = 0;
	for (size_t i = 0; i < api.ntools; i++) {
		ck_assert(tool_visible(&api.tools[i], NULL));
		if (!guard_lets_through(api.tools[i].route, NULL))
		protected++;
	}
	ck_assert_uint_gt(protected, 0);
}
END_TEST

START_TEST(test_request_fills_the_path_parameter_url_encoded)
{
	struct request req;
	char err[256];
	json_object *args = args_of("{\"id\":\"auth0|user 1/x\"}");
	ck_assert_int_eq(
	    tool_request(api_tool("get_api_auth0_user_id"), args, &caller, &req, err, sizeof err), 0);
	ck_assert_str_eq(req.method, "GET");
	ck_assert_str_eq(req.path, "/api/auth0/user/auth0%7Cuser%201%2Fx");
	ck_assert_str_eq(req.query, "");
	ck_assert_ptr_null(req.body);
	ck_assert_str_eq(req.authorization, "Bearer abc.def.ghi");
	ck_assert_str_eq(req.host, "api.example.com:8443");
	ck_assert_int_eq(req.https, 1);
	/* The path the dispatcher sees gives back the argument. */
	ck_assert_int_eq(route_match(api_tool("get_api_auth0_user_id")->route, req.path, &req), 1);
	ck_assert_str_eq(request_param(&req, "id"), "auth0|user 1/x");
	request_free(&req);
	json_object_put(args);
}
END_TEST

START_TEST(test_request_refuses_a_missing_path_parameter)
{
	struct request req;
	char err[256] = "";
	ck_assert_int_eq(tool_request(api_tool("get_api_user_id"), NULL, &caller, &req, err, sizeof err),
			 400);
	ck_assert_str_eq(err, "Field 'id' is required");
	json_object *args = args_of("{}");
	ck_assert_int_eq(tool_request(api_tool("get_api_user_id"), args, &caller, &req, err, sizeof err),
			 400);
	json_object_put(args);
	args = args_of("{\"id\":\"\"}");
	ck_assert_int_eq(tool_request(api_tool("get_api_user_id"), args, &caller, &req, err, sizeof err),
			 400);
	ck_assert_str_eq(err, "Field 'id' must not be empty");
	json_object_put(args);
}
END_TEST

START_TEST(test_request_refuses_arguments_of_the_wrong_type)
{
	struct request req;
	char err[256] = "";
	json_object *args = args_of("{\"id\":5}");
	ck_assert_int_eq(tool_request(api_tool("get_api_user_id"), args, &caller, &req, err, sizeof err),
			 400);
	ck_assert_str_eq(err, "Field 'id' must be a string");
	json_object_put(args);
	args = args_of("[1]");
	ck_assert_int_eq(tool_request(api_tool("put_api_profile"), args, &caller, &req, err, sizeof err),
			 400);
	ck_assert_ptr_nonnull(strstr(err, "must be a JSON object"));
	json_object_put(args);
}
END_TEST

/* A body route's arguments go to the dispatcher as they are: its field
 * check answers them, as it answers the same body over HTTP. */
START_TEST(test_request_leaves_body_fields_to_the_dispatcher)
{
	struct request req;
	char err[256] = "";
	json_object *args = args_of("{\"name\":true,\"nickname\":\"x\"}");
	ck_assert_int_eq(tool_request(api_tool("put_api_profile"), args, &caller, &req, err, sizeof err), 0);
	ck_assert_str_eq(req.body_raw, "{\"name\":true,\"nickname\":\"x\"}");
	request_free(&req);
	json_object_put(args);
}
END_TEST

START_TEST(test_request_refuses_an_unknown_argument)
{
	struct request req;
	char err[256] = "";
	json_object *args = args_of("{\"verbose\":true}");
	ck_assert_int_eq(tool_request(api_tool("get_api_profile"), args, &caller, &req, err, sizeof err),
			 400);
	ck_assert_str_eq(err, "Unknown field 'verbose'");
	json_object_put(args);
}
END_TEST

START_TEST(test_request_sends_post_arguments_as_the_json_body)
{
	struct request req;
	char err[256];
	json_object *args = args_of("{\"userId\":\"auth0|user123\",\"permissions\":[\"read:profile\"]}");
	ck_assert_int_eq(
	    tool_request(api_tool("post_api_admin_permissions"), args, &caller, &req, err, sizeof err), 0);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.path, "/api/admin/permissions");
	ck_assert_str_eq(req.content_type, "application/json");
	ck_assert_str_eq(str_at(req.body, "userId"), "auth0|user123");
	ck_assert_str_eq(req.body_raw, "{\"userId\":\"auth0|user123\",\"permissions\":[\"read:profile\"]}");
	ck_assert_uint_eq(req.body_len, strlen(req.body_raw));
	request_free(&req);
	json_object_put(args);
}
END_TEST

START_TEST(test_request_sends_get_arguments_as_the_query_string)
{
	struct toolset ts;
	struct request req;
	char err[256];
	toolset_init(&ts, search_groups, 1);
	ck_assert_str_eq(ts.tools[0].name, "get_things_kind_search");
	json_object *args = args_of("{\"all\":true,\"q\":\"a b&c\",\"kind\":\"x\",\"limit\":5}");
	ck_assert_int_eq(tool_request(&ts.tools[0], args, &caller, &req, err, sizeof err), 0);
	ck_assert_str_eq(req.path, "/things/x/search");
	ck_assert_str_eq(req.query, "q=a%20b%26c&limit=5&all=true");
	ck_assert_ptr_null(req.body);
	char *q = request_query(&req, "q");
	ck_assert_str_eq(q, "a b&c");
	free(q);
	request_free(&req);
	json_object_put(args);
	args = args_of("{\"kind\":\"x\",\"limit\":\"5\"}");
	ck_assert_int_eq(tool_request(&ts.tools[0], args, &caller, &req, err, sizeof err), 400);
	ck_assert_str_eq(err, "Field 'limit' must be an integer");
	json_object_put(args);
	args = args_of("{\"kind\":\"x\",\"limit\":500}");
	ck_assert_int_eq(tool_request(&ts.tools[0], args, &caller, &req, err, sizeof err), 400);
	ck_assert_str_eq(err, "Field 'limit' must be at most 100");
	json_object_put(args);
	toolset_free(&ts);
}
END_TEST

/* The dispatcher takes the first route of the tables that matches path and
 * method: for every tool, with any argument, that is the tool's own. */
START_TEST(test_every_tool_request_dispatches_to_its_own_route)
{
	static const char *const values[] = {"x", "auth0|user123", "a/b", "..", "%41", ":id"};
	for (size_t i = 0; i < api.ntools; i++) {
		const struct tool *t = &api.tools[i];
		for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
			json_object *args = json_object_new_object();
			if (strstr(t->route->pattern, "/:id"))
				json_object_object_add(args, "id", json_object_new_string(values[v]));
			struct request req;
			char err[256];
			ck_assert_int_eq(tool_request(t, args, &caller, &req, err, sizeof err), 0);
			const struct route *found = NULL;
			for (size_t g = 0; g < route_ngroups && !found; g++)
				for (size_t k = 0; k < route_groups[g]->nroutes && !found; k++) {
					const struct route *r = &route_groups[g]->routes[k];
					if (strcmp(r->method, req.method) == 0 &&
					    route_match(r, req.path, NULL))
						found = r;
				}
			ck_assert_msg(found == t->route, "%s with '%s' dispatches elsewhere (%s)", t->name,
				      values[v], req.path);
			request_free(&req);
			json_object_put(args);
		}
	}
}
END_TEST

START_TEST(test_call_runs_the_route_handler_in_process)
{
	struct toolset ts;
	struct response resp;
	/* No token: a public route checks one only when it is presented. */
	struct request no_token = caller;
	no_token.authorization = NULL;
	toolset_init(&ts, echo_groups, 1);
	json_object *args = args_of("{\"id\":\"7\",\"note\":\"hi\"}");
	response_init(&resp);
	tool_call(&ts.tools[0], args, &no_token, &echo_dispatcher, &resp);
	ck_assert_int_eq(resp.status, 201);
	ck_assert_str_eq(str_at(resp.body, "method"), "POST");
	ck_assert_str_eq(str_at(resp.body, "id"), "7");
	ck_assert_str_eq(str_at(resp.body, "note"), "hi");
	response_free(&resp);
	json_object_put(args);
	toolset_free(&ts);
}
END_TEST

START_TEST(test_call_runs_the_requirement_check_on_the_callers_header)
{
	struct toolset ts;
	struct response resp;
	struct request anonymous = {.host = "127.0.0.1:3009"};
	toolset_init(&ts, echo_groups, 1);
	json_object *args = args_of("{\"id\":\"7\"}");
	response_init(&resp);
	tool_call(&ts.tools[1], args, &anonymous, &echo_dispatcher, &resp);
	ck_assert_int_eq(resp.status, 401);
	ck_assert_str_eq(str_at(resp.body, "error"), "No token provided");
	ck_assert_str_eq(response_get_header(&resp, "WWW-Authenticate"),
			 "Bearer realm=\"mcpauth\", scope=\"openid profile email offline_access\", "
			 "resource_metadata=\"http://127.0.0.1:3009/"
			 ".well-known/oauth-protected-resource/mcp\"");
	ck_assert_ptr_null(str_at(resp.body, "method")); /* the handler did not run */
	response_free(&resp);
	json_object_put(args);
	toolset_free(&ts);
}
END_TEST

/* One bad input, one answer: a tool call's refused arguments get the body
 * the same input gets over HTTP, and the handler does not run. */
START_TEST(test_call_refuses_bad_arguments_as_http_does)
{
	static const char *const cases[][2] = {
	    {"{\"id\":\"7\",\"note\":5}", "Field 'note' must be a string"},
	    {"{\"id\":\"7\",\"note\":\"x\",\"extra\":1}", "Unknown field 'extra'"},
	    {"{\"id\":\"7\",\"note\":\"far more than sixteen bytes\"}",
	     "Field 'note' is longer than 16 bytes"},
	    {"{\"note\":\"x\"}", "Field 'id' is required"},
	};
	struct toolset ts;
	toolset_init(&ts, echo_groups, 1);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct response via, direct;
		json_object *args = args_of(cases[i][0]);
		response_init(&via);
		tool_call(&ts.tools[0], args, &caller, &echo_dispatcher, &via);
		ck_assert_int_eq(via.status, 400);
		ck_assert_str_eq(str_at(via.body, "error"), "Invalid request");
		ck_assert_str_eq(str_at(via.body, "message"), cases[i][1]);
		ck_assert_ptr_null(str_at(via.body, "method")); /* the handler did not run */
		/* The same body over HTTP (the path parameter in the path). */
		if (json_object_object_get_ex(args, "id", NULL)) {
			json_object_object_del(args, "id");
			struct request req = {
			    .method = "POST", .path = ck_strdup("/echo/7"), .query = ck_strdup("")};
			req.body_raw = json_text(args);
			req.body_len = strlen(req.body_raw);
			req.body = http_body_parse(req.body_raw, req.body_len);
			response_init(&direct);
			app_dispatch(echo_groups, 1, &req, &direct);
			ck_assert_int_eq(direct.status, 400);
			ck_assert_str_eq(json_text(direct.body), json_text(via.body));
			response_free(&direct);
			request_free(&req);
		}
		response_free(&via);
		json_object_put(args);
	}
	toolset_free(&ts);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("tool");
	TCase *tc;

	tc = tcase_create("names");
	tcase_add_checked_fixture(tc, api_setup, api_teardown);
	tcase_add_test(tc, test_tool_names_follow_the_mcp_rule_and_are_unique);
	tcase_add_test(tc, test_tool_names_of_the_api);
	tcase_add_test(tc, test_tools_leave_out_mcp_and_well_known_routes);
	tcase_add_test(tc, test_toolset_find_mcp_only_refuses_other_forms);
	tcase_add_test(tc, test_tool_base_name_maps_symbols_and_root);
	tcase_add_test(tc, test_toolset_gives_clashing_names_a_suffix_in_table_order);
	tcase_add_test(tc, test_toolset_skips_group_flagged_no_tools);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, api_setup, api_teardown);
	tcase_add_test(tc, test_input_schema_has_path_parameter_as_required_string);
	tcase_add_test(tc, test_input_schema_carries_the_route_body_fields);
	tcase_add_test(tc, test_every_route_field_table_names_each_field_once);
	tcase_add_test(tc, test_description_says_what_the_tool_requires);
	tcase_add_test(tc, test_every_tool_describes_its_answer);
	tcase_add_test(tc, test_output_schema_open_only_for_a_tenants_answer);
	tcase_add_test(tc, test_annotations_of_every_tool);
	suite_add_tcase(s, tc);

	tc = tcase_create("visible");
	tcase_add_checked_fixture(tc, api_setup, api_teardown);
	tcase_add_test(tc, test_visible_tools_are_the_ones_the_guard_lets_through);
	tcase_add_test(tc, test_without_a_token_every_tool_is_visible);
	suite_add_tcase(s, tc);

	tc = tcase_create("request");
	tcase_add_checked_fixture(tc, api_setup, api_teardown);
	tcase_add_test(tc, test_request_fills_the_path_parameter_url_encoded);
	tcase_add_test(tc, test_request_refuses_a_missing_path_parameter);
	tcase_add_test(tc, test_request_refuses_arguments_of_the_wrong_type);
	tcase_add_test(tc, test_request_refuses_an_unknown_argument);
	tcase_add_test(tc, test_request_leaves_body_fields_to_the_dispatcher);
	tcase_add_test(tc, test_request_sends_post_arguments_as_the_json_body);
	tcase_add_test(tc, test_request_sends_get_arguments_as_the_query_string);
	tcase_add_test(tc, test_every_tool_request_dispatches_to_its_own_route);
	suite_add_tcase(s, tc);

	tc = tcase_create("call");
	tcase_add_checked_fixture(tc, call_setup, call_teardown);
	tcase_add_test(tc, test_call_runs_the_route_handler_in_process);
	tcase_add_test(tc, test_call_runs_the_requirement_check_on_the_callers_header);
	tcase_add_test(tc, test_call_refuses_bad_arguments_as_http_does);
	suite_add_tcase(s, tc);

	return s;
}
