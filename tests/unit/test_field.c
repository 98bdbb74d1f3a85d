/* Unit tests of lib/field.c: field tables, checked before a handler runs, and the schemas made from them. */

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

/* --- route_dispatch ---------------------------------------------------- */

static void say(struct response *resp, const char *who, const char *id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "handler", json_object_new_string(who));
	if (id)
		json_object_object_add(o, "id", json_object_new_string(id));
	response_json(resp, 200, o);
}

static const char *body_string(const struct response *resp, const char *key)
{
	json_object *v;
	if (!resp->body || !json_object_object_get_ex(resp->body, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* --- field ---------------------------------------------------------------- */

static const struct field f_name = {
    .name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 8};
static const struct field f_email = {
    .name = "email", .type = FIELD_STRING, .min = 1, .max = 64, .format = FORMAT_EMAIL};
static const struct field f_scope = {
    .name = "scope", .type = FIELD_STRING, .max = 64, .format = FORMAT_SCOPE};
static const struct field f_n = {.name = "n", .type = FIELD_INTEGER, .min = 1, .max = 10};
static const struct field f_perms = FIELD_PERMISSIONS(0, NULL);

/* The message field_check gives for the JSON text, or "" when it passes. */
static const char *check_msg(const struct field *f, const char *json)
{
	static char msg[FIELD_MSG_MAX];
	json_object *v = json_tokener_parse(json);
	msg[0] = '\0';
	if (field_check(f, v, msg, sizeof msg))
		ck_assert_str_eq(msg, "");
	else
		ck_assert_str_ne(msg, "");
	json_object_put(v);
	return msg;
}

static const struct field inner[] = {
    {.name = "id", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "email", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
};
static const struct field_list inner_list = FIELD_LIST(inner);
static const struct field outer[] = {
    {.name = "user", .type = FIELD_OBJECT, .flags = FIELD_REQUIRED, .sub = &inner_list},
    {.name = "all", .type = FIELD_ARRAY, .sub = &inner_list},
};
static const struct field_list outer_list = FIELD_LIST(outer);

static const char *object_msg(const struct field_list *l, const char *json)
{
	static char msg[FIELD_MSG_MAX];
	json_object *v = json_tokener_parse(json);
	msg[0] = '\0';
	ck_assert_ptr_nonnull(v);
	if (!field_check_object(l, v, msg, sizeof msg))
		ck_assert_str_ne(msg, "");
	json_object_put(v);
	return msg;
}

/* --- route_dispatch with field tables --------------------------------------- */

static int fields_seen_null;

static void note_post(struct request *req, struct response *resp)
{
	say(resp, "note_post", field_str(req, "text"));
}

static void find_get(struct request *req, struct response *resp)
{
	json_object *n = field_get(req, "n");
	ck_assert(!n || json_object_is_type(n, json_type_int));
	say(resp, "find_get", field_str(req, "q"));
}

static void plain_get(struct request *req, struct response *resp)
{
	fields_seen_null = req->fields == NULL;
	say(resp, "plain_get", NULL);
}

static const struct field note_in[] = {
    {.name = "text", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 8},
};
static const struct route_fields note_fields = {.in = FIELD_LIST(note_in)};
static const struct field find_in[] = {
    {.name = "q", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 8},
    {.name = "n", .type = FIELD_INTEGER, .min = 1, .max = 10},
};
static const struct route_fields find_fields = {.in = FIELD_LIST(find_in)};
static const struct route_fields out_only = {.out = FIELD_LIST(inner)};
static const struct route_fields note_open_fields = {.in = FIELD_LIST(note_in), .flags = FIELDS_OPEN};
static const struct route field_routes[] = {
    {"POST", "/note", ROUTE_PUBLIC, NULL, "a note", &note_fields, note_post, 0},
    {"GET", "/find", ROUTE_PUBLIC, NULL, "find", &find_fields, find_get, 0},
    {"GET", "/plain", ROUTE_PUBLIC, NULL, "no input", &out_only, plain_get, 0},
    {"POST", "/open", ROUTE_PUBLIC, NULL, "a note among other members", &note_open_fields, note_post, 0},
};
static const struct route_group field_group = {"fields", ROUTE_TABLE(field_routes), 0};

static void dispatch_with(const char *method, const char *path, const char *query, const char *body,
			  struct response *resp)
{
	static const struct route_group *const groups[] = {&field_group};
	struct request req = {0};
	req.method = method;
	req.path = ck_strdup(path);
	req.query = ck_strdup(query);
	if (body) {
		req.body_raw = body;
		req.body_len = strlen(body);
		req.body = http_body_parse(body, req.body_len);
		req.body_invalid = req.body == NULL;
	}
	response_init(resp);
	app_route(groups, 1, &req, resp);
	request_free(&req);
}

static void expect_refusal(const char *method, const char *path, const char *query, const char *body,
			   const char *message)
{
	struct response resp;
	dispatch_with(method, path, query, body, &resp);
	ck_assert_int_eq(resp.status, 400);
	ck_assert_str_eq(body_string(&resp, "error"), "Invalid request");
	ck_assert_str_eq(body_string(&resp, "message"), message);
	ck_assert_ptr_null(body_string(&resp, "handler"));
	response_free(&resp);
}

START_TEST(test_field_check_strings)
{
	ck_assert_str_eq(check_msg(&f_name, "\"Ann\""), "");
	ck_assert_str_eq(check_msg(&f_name, "5"), "Field 'name' must be a string");
	ck_assert_str_eq(check_msg(&f_name, "null"), "Field 'name' must be a string");
	ck_assert_str_eq(check_msg(&f_name, "\"\""), "Field 'name' must not be empty");
	ck_assert_str_eq(check_msg(&f_name, "\"123456789\""), "Field 'name' is longer than 8 bytes");
	ck_assert_str_eq(check_msg(&f_email, "\"a@b\""), "");
	ck_assert_str_eq(check_msg(&f_email, "\"a@\""), "Field 'email' must be an email address");
	ck_assert_str_eq(check_msg(&f_email, "\"a@b@c\""), "Field 'email' must be an email address");
	ck_assert_str_eq(check_msg(&f_email, "\"a b@c\""), "Field 'email' must be an email address");
	ck_assert_str_eq(check_msg(&f_scope, "\"\""), "");
	ck_assert_str_eq(check_msg(&f_scope, "\"openid email\""), "");
	ck_assert_str_eq(check_msg(&f_scope, "\"a\\\"b\""), "Field 'scope' holds a character no scope has");
	json_object *nul = json_object_new_string_len("a\0b", 3);
	char msg[FIELD_MSG_MAX];
	ck_assert(!field_check(&f_name, nul, msg, sizeof msg));
	ck_assert_str_eq(msg, "Field 'name' must not contain NUL");
	json_object_put(nul);
}
END_TEST

START_TEST(test_field_check_integers_and_arrays)
{
	ck_assert_str_eq(check_msg(&f_n, "3"), "");
	ck_assert_str_eq(check_msg(&f_n, "\"3\""), "Field 'n' must be an integer");
	ck_assert_str_eq(check_msg(&f_n, "3.5"), "Field 'n' must be an integer");
	ck_assert_str_eq(check_msg(&f_n, "0"), "Field 'n' must be at least 1");
	ck_assert_str_eq(check_msg(&f_n, "11"), "Field 'n' must be at most 10");
	ck_assert_str_eq(check_msg(&f_perms, "[\"read:profile\",\"admin:all\"]"), "");
	ck_assert_str_eq(check_msg(&f_perms, "[]"), "");
	ck_assert_str_eq(check_msg(&f_perms, "\"read:profile\""),
			 "Field 'permissions' must be an array of strings");
	ck_assert_str_eq(check_msg(&f_perms, "[\"Read\"]"),
			 "Each of 'permissions' must be a string of a-z, ':', '_' or '-' (1 to 64 bytes)");
	ck_assert_str_eq(check_msg(&f_perms, "[1]"),
			 "Each of 'permissions' must be a string of a-z, ':', '_' or '-' (1 to 64 bytes)");
	struct sbuf b = {0};
	sbuf_adds(&b, "[");
	for (int i = 0; i < FIELD_PERMISSIONS_MAX + 1; i++)
		sbuf_adds(&b, i ? ",\"a\"" : "\"a\"");
	sbuf_adds(&b, "]");
	ck_assert_str_eq(check_msg(&f_perms, b.p), "Field 'permissions' has more than 64 entries");
	sbuf_free(&b);
}
END_TEST

START_TEST(test_field_check_objects)
{
	ck_assert_str_eq(object_msg(&outer_list, "{\"user\":{\"id\":\"a\",\"email\":null}}"), "");
	ck_assert_str_eq(object_msg(&outer_list, "{\"user\":{\"id\":\"a\",\"email\":null},\"all\":[]}"), "");
	ck_assert_str_eq(object_msg(&outer_list, "{}"), "Field 'user' is required");
	ck_assert_str_eq(object_msg(&outer_list, "{\"user\":{\"id\":\"a\"}}"), "Field 'email' is required");
	ck_assert_str_eq(object_msg(&outer_list, "{\"user\":[]}"), "Field 'user' must be a JSON object");
	ck_assert_str_eq(object_msg(&outer_list, "{\"user\":{\"id\":\"a\",\"email\":null},\"all\":[1]}"),
			 "Each of 'all' must be a JSON object");
	/* An unknown member is named before a missing one: a misspelling is
	 * then reported as what it is. */
	ck_assert_str_eq(object_msg(&outer_list, "{\"usr\":{}}"), "Unknown field 'usr'");
}
END_TEST

START_TEST(test_field_schema_carries_the_rules)
{
	static const struct field in[] = {
	    {.name = "name",
	     .type = FIELD_STRING,
	     .flags = FIELD_REQUIRED,
	     .min = 1,
	     .max = 8,
	     .description = "A name"},
	    FIELD_PERMISSIONS(0, NULL),
	    {.name = "email", .type = FIELD_STRING, .flags = FIELD_NULLABLE, .format = FORMAT_EMAIL},
	};
	static const struct field_list l = FIELD_LIST(in);
	json_object *s = field_object_schema(&l);
	ck_assert_str_eq(
	    json_text(s),
	    "{\"type\":\"object\",\"properties\":{"
	    "\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":8,\"description\":\"A name\"},"
	    "\"permissions\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"pattern\":\"^[a-z:_-]{1,64}"
	    "$\"},"
	    "\"maxItems\":64},"
	    "\"email\":{\"type\":[\"string\",\"null\"],\"pattern\":\"^[^@ \\t\\r\\n]+@[^@ \\t\\r\\n]+$\"}},"
	    "\"required\":[\"name\"],\"additionalProperties\":false}");
	json_object_put(s);
}
END_TEST

START_TEST(test_dispatch_checks_body_fields_before_the_handler)
{
	struct response resp;
	dispatch_with("POST", "/note", "", "{\"text\":\"hi\"}", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(body_string(&resp, "id"), "hi");
	response_free(&resp);
	expect_refusal("POST", "/note", "", NULL, "The request body must be a JSON object");
	expect_refusal("POST", "/note", "", "[1]", "The request body must be a JSON object");
	expect_refusal("POST", "/note", "", "{}", "Field 'text' is required");
	expect_refusal("POST", "/note", "", "{\"text\":1}", "Field 'text' must be a string");
	expect_refusal("POST", "/note", "", "{\"text\":\"hi\",\"extra\":1}", "Unknown field 'extra'");
}
END_TEST

START_TEST(test_dispatch_of_an_open_table_ignores_other_members)
{
	struct response resp;
	dispatch_with("POST", "/open", "", "{\"text\":\"hi\",\"software_id\":\"x\"}", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(body_string(&resp, "id"), "hi");
	response_free(&resp);
	expect_refusal("POST", "/open", "", "{\"text\":5,\"software_id\":\"x\"}",
		       "Field 'text' must be a string");
	expect_refusal("POST", "/open", "", "{\"software_id\":\"x\"}", "Field 'text' is required");
}
END_TEST

START_TEST(test_dispatch_checks_query_fields_and_ignores_other_parameters)
{
	struct response resp;
	dispatch_with("GET", "/find", "utm=x&q=a%20b&n=3", NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(body_string(&resp, "id"), "a b");
	response_free(&resp);
	expect_refusal("GET", "/find", "n=3", NULL, "Field 'q' is required");
	expect_refusal("GET", "/find", "q=a&n=three", NULL, "Field 'n' must be an integer");
	expect_refusal("GET", "/find", "q=a&n=30", NULL, "Field 'n' must be at most 10");
	expect_refusal("GET", "/find", "q=123456789", NULL, "Field 'q' is longer than 8 bytes");
}
END_TEST

START_TEST(test_dispatch_of_a_get_without_input_fields_reads_nothing)
{
	struct response resp;
	fields_seen_null = 0;
	dispatch_with("GET", "/plain", "x=1", NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(fields_seen_null);
	response_free(&resp);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("field");
	TCase *tc;

	tc = tcase_create("field");
	tcase_add_test(tc, test_field_check_strings);
	tcase_add_test(tc, test_field_check_integers_and_arrays);
	tcase_add_test(tc, test_field_check_objects);
	tcase_add_test(tc, test_field_schema_carries_the_rules);
	tcase_add_test(tc, test_dispatch_checks_body_fields_before_the_handler);
	tcase_add_test(tc, test_dispatch_checks_query_fields_and_ignores_other_parameters);
	tcase_add_test(tc, test_dispatch_of_an_open_table_ignores_other_members);
	tcase_add_test(tc, test_dispatch_of_a_get_without_input_fields_reads_nothing);
	suite_add_tcase(s, tc);

	return s;
}
