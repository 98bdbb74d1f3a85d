/* Unit tests of the rest of lib/: base64url, URL coding, routing,
 * passwords, JWKS parsing and thumbprints, and the local issuer. */
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

#include "field.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "password.h"
#include "route.h"
#include "testkeys.h"
#include "token.h"
#include "util.h"
#include "userjson.h"

/* --- base64url --------------------------------------------------------- */

static void b64_roundtrip(const unsigned char *data, size_t len)
{
	char *enc = b64url_encode(data, len);
	ck_assert_ptr_nonnull(enc);
	ck_assert_ptr_null(strpbrk(enc, "=+/ \n"));
	unsigned char *dec = NULL;
	size_t declen = 0;
	ck_assert_int_eq(b64url_decode(enc, strlen(enc), &dec, &declen), 0);
	ck_assert_uint_eq(declen, len);
	ck_assert_int_eq(memcmp(dec, data, len), 0);
	ck_assert_int_eq(dec[declen], '\0');
	free(dec);
	free(enc);
}

static void b64_refused(const char *in)
{
	unsigned char *out = NULL;
	size_t outlen = 0;
	ck_assert_msg(b64url_decode(in, strlen(in), &out, &outlen) == -1, "accepted \"%s\"", in);
}

static void b64_is(const char *in, const char *want)
{
	char *enc = b64url_encode((const unsigned char *)in, strlen(in));
	ck_assert_str_eq(enc, want);
	free(enc);
}

START_TEST(test_b64url_encodes_rfc4648_vectors)
{
	b64_is("", "");
	b64_is("f", "Zg");
	b64_is("fo", "Zm8");
	b64_is("foo", "Zm9v");
	b64_is("foob", "Zm9vYg");
	b64_is("fooba", "Zm9vYmE");
	b64_is("foobar", "Zm9vYmFy");
}
END_TEST

START_TEST(test_b64url_uses_url_alphabet)
{
	const unsigned char in[] = {0xfb, 0xff};
	char *enc = b64url_encode(in, sizeof in);
	ck_assert_str_eq(enc, "-_8");
	free(enc);
}
END_TEST

START_TEST(test_b64url_round_trips_all_lengths)
{
	unsigned char data[64];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 37 + 0xf0);
	for (size_t len = 0; len <= sizeof data; len++)
		b64_roundtrip(data, len);
	const unsigned char zeros[5] = {0}, ones[5] = {0xff, 0xff, 0xff, 0xff, 0xff};
	b64_roundtrip(zeros, sizeof zeros);
	b64_roundtrip(ones, sizeof ones);
}
END_TEST

START_TEST(test_b64url_decodes_empty)
{
	unsigned char *out = NULL;
	size_t outlen = 99;
	ck_assert_int_eq(b64url_decode("", 0, &out, &outlen), 0);
	ck_assert_uint_eq(outlen, 0);
	free(out);
}
END_TEST

START_TEST(test_b64url_refuses_padding)
{
	b64_refused("Zg==");
	b64_refused("Zm8=");
	b64_refused("Zm9v====");
}
END_TEST

START_TEST(test_b64url_refuses_standard_alphabet)
{
	b64_refused("+_8");
	b64_refused("-/8");
	b64_refused("ab+c");
	b64_refused("ab/c");
}
END_TEST

START_TEST(test_b64url_refuses_whitespace)
{
	b64_refused("Zm9 v");
	b64_refused("Zm9v\n");
	b64_refused(" Zm9v");
	b64_refused("Zm\t9v");
}
END_TEST

START_TEST(test_b64url_refuses_length_1_mod_4)
{
	b64_refused("Z");
	b64_refused("Zm9vY");
}
END_TEST

START_TEST(test_b64url_refuses_nonzero_trailing_bits)
{
	b64_refused("Zh");  /* "Zg" is "f"; 'h' leaves a 1 in the unused bits */
	b64_refused("Zm9"); /* "Zm8" is "fo" */
}
END_TEST

START_TEST(test_b64url_refuses_embedded_nul)
{
	unsigned char *out = NULL;
	size_t outlen = 0;
	ck_assert_int_eq(b64url_decode("Zm\0v", 4, &out, &outlen), -1);
}
END_TEST

/* --- URL coding -------------------------------------------------------- */

static void url_decodes(const char *in, const char *want)
{
	char *out = url_decode(in, strlen(in));
	ck_assert_msg(out != NULL, "refused \"%s\"", in);
	ck_assert_str_eq(out, want);
	free(out);
}

static void url_refused(const char *in)
{
	char *out = url_decode(in, strlen(in));
	ck_assert_msg(out == NULL, "accepted \"%s\" as \"%s\"", in, out ? out : "");
	free(out);
}

START_TEST(test_url_decode_decodes_escapes)
{
	url_decodes("auth0%7Cuser123", "auth0|user123");
	url_decodes("auth0%7cuser123", "auth0|user123");
	url_decodes("plain", "plain");
	url_decodes("", "");
	url_decodes("%41%42", "AB");
	url_decodes("caf%C3%A9", "caf\xc3\xa9");
}
END_TEST

START_TEST(test_url_decode_refuses_bad_escape)
{
	url_refused("%zz");
	url_refused("%4");
	url_refused("%");
	url_refused("a%g1");
	url_refused("abc%4");
}
END_TEST

START_TEST(test_url_decode_refuses_nul)
{
	url_refused("%00");
	url_refused("a%00b");
}
END_TEST

START_TEST(test_url_encode_escapes_reserved)
{
	char *e = url_encode("auth0|user 1/a?b&c=d");
	ck_assert_str_eq(e, "auth0%7Cuser%201%2Fa%3Fb%26c%3Dd");
	free(e);
	e = url_encode("AZaz09-._~");
	ck_assert_str_eq(e, "AZaz09-._~");
	free(e);
	e = url_encode("caf\xc3\xa9");
	ck_assert_str_eq(e, "caf%C3%A9");
	free(e);
	e = url_encode("");
	ck_assert_str_eq(e, "");
	free(e);
}
END_TEST

START_TEST(test_url_encode_round_trips)
{
	const char *in = "a b+c%d|e/f:g@h\xc3\xa9~";
	char *e = url_encode(in);
	char *d = url_decode(e, strlen(e));
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d, in);
	free(e);
	free(d);
}
END_TEST

/* --- route_match ------------------------------------------------------- */

static void noop_handler(struct request *req, struct response *resp)
{
	(void)req;
	(void)resp;
}

static const struct route user_route = {"GET", "/api/auth0/user/:id", ROUTE_PUBLIC, NULL, "user",
					NULL, noop_handler, 0};
static const struct route two_params_route = {"GET", "/api/org/:org/user/:id", ROUTE_PUBLIC, NULL,
					      "org user", NULL, noop_handler, 0};

static int match(const struct route *r, const char *path)
{
	return route_match(r, path, NULL);
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
	char *msg = ck_asprintf("nparams %zu, params[0] = {\"%s\", \"%s\"}, id %s, org %s", nparams, n0,
				v0, id_copy ? id_copy : "NULL", org_copy ? org_copy : "NULL");
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
	route_dispatch(test_groups, 1, &req, resp);
	request_free(&req);
}

static const char *body_string(const struct response *resp, const char *key)
{
	json_object *v;
	if (!resp->body || !json_object_object_get_ex(resp->body, key, &v))
		return NULL;
	return json_object_get_string(v);
}

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
	    "\"required\":[\"name\"]}");
	json_object_put(s);
}
END_TEST

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
	route_dispatch(groups, 1, &req, resp);
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

/* --- password ---------------------------------------------------------- */

START_TEST(test_password_verify_accepts_right_password)
{
	char *h = password_hash("correct horse battery staple");
	ck_assert_ptr_nonnull(h);
	ck_assert(strncmp(h, "scrypt$", 7) == 0);
	ck_assert_int_eq(password_verify("correct horse battery staple", h), 1);
	free(h);
}
END_TEST

START_TEST(test_password_verify_refuses_wrong_password)
{
	char *h = password_hash("correct horse battery staple");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(password_verify("correct horse battery stapler", h), 0);
	ck_assert_int_eq(password_verify("", h), 0);
	free(h);
}
END_TEST

START_TEST(test_password_verify_refuses_null_stored)
{
	ck_assert_int_eq(password_verify("anything", NULL), 0);
	ck_assert_int_eq(password_verify("", NULL), 0);
}
END_TEST

START_TEST(test_password_verify_refuses_malformed_stored)
{
	ck_assert_int_eq(password_verify("pw", ""), 0);
	ck_assert_int_eq(password_verify("pw", "garbage"), 0);
	ck_assert_int_eq(password_verify("pw", "scrypt$15$8$1$AAAA"), 0);
	ck_assert_int_eq(password_verify("pw", "bcrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
	/* Parameters out of range. */
	ck_assert_int_eq(password_verify("pw", "scrypt$40$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
	ck_assert_int_eq(password_verify("pw", "scrypt$15$0$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
	/* A hash of the wrong length. */
	ck_assert_int_eq(password_verify("pw", "scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA"), 0);
}
END_TEST

START_TEST(test_password_hashes_of_same_password_differ)
{
	char *a = password_hash("same password"), *b = password_hash("same password");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(password_verify("same password", a), 1);
	ck_assert_int_eq(password_verify("same password", b), 1);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_password_hash_refuses_overlong_password)
{
	char *pw = ck_malloc(PASSWORD_MAX_LEN + 2);
	memset(pw, 'a', PASSWORD_MAX_LEN + 1);
	pw[PASSWORD_MAX_LEN + 1] = '\0';
	ck_assert_ptr_null(password_hash(pw));
	free(pw);
}
END_TEST

/* --- jwks -------------------------------------------------------------- */

/* The public JWK of key under kid as a json object; with one member
 * replaced (value taken) when name is given. */
static json_object *jwk_of(const EVP_PKEY *key, const char *kid, const char *name, json_object *value)
{
	char *text = jwks_public_jwk(key, kid);
	ck_assert_ptr_nonnull(text);
	json_object *o = json_tokener_parse(text);
	free(text);
	ck_assert_ptr_nonnull(o);
	if (name)
		json_object_object_add(o, name, value);
	return o;
}

static int parse_doc(struct jwks *set, json_object *doc)
{
	char err[256] = "";
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	return jwks_parse(set, text, strlen(text), err, sizeof err);
}

static int parse_text(struct jwks *set, const char *text)
{
	char err[256] = "";
	int rc = jwks_parse(set, text, strlen(text), err, sizeof err);
	if (rc < 0)
		ck_assert_msg(*err, "jwks_parse failed without a reason");
	return rc;
}

START_TEST(test_jwks_load_file_reads_fixture)
{
	struct jwks set;
	ck_assert_int_eq(testkeys_load_jwks(&set), 0);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_str_eq(set.keys[0].kid, TESTKEYS_KID1);
	ck_assert_ptr_nonnull(jwks_find(&set, TESTKEYS_KID1));
	ck_assert_ptr_null(jwks_find(&set, "test-key-2"));
	jwks_free(&set);
	ck_assert_uint_eq(set.nkeys, 0);
}
END_TEST

START_TEST(test_jwks_load_file_refuses_missing_file)
{
	struct jwks set;
	char err[256] = "";
	ck_assert_int_eq(jwks_load_file(&set, "/nonexistent/mcpauth/jwks.json", err, sizeof err), -1);
	ck_assert(*err);
}
END_TEST

START_TEST(test_jwks_parse_skips_unusable_keys_keeps_good)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	EVP_PKEY *small = EVP_RSA_gen(1024);
	ck_assert_ptr_nonnull(small);

	json_object *keys = json_object_new_array();
	json_object *ec = json_object_new_object();
	json_object_object_add(ec, "kty", json_object_new_string("EC"));
	json_object_object_add(ec, "crv", json_object_new_string("P-256"));
	json_object_object_add(ec, "kid", json_object_new_string("ec"));
	json_object_object_add(ec, "x", json_object_new_string("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"));
	json_object_object_add(ec, "y", json_object_new_string("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"));
	json_object_array_add(keys, ec);
	json_object_array_add(keys, jwk_of(key1, "enc", "use", json_object_new_string("enc")));
	json_object_array_add(keys, jwk_of(key1, "rs512", "alg", json_object_new_string("RS512")));
	json_object_array_add(keys, jwk_of(small, "small", NULL, NULL));
	json_object_array_add(keys, jwk_of(key1, "", NULL, NULL));
	json_object_array_add(keys, json_object_new_string("not a key"));
	json_object_array_add(keys, jwk_of(key1, "good", NULL, NULL));
	json_object_array_add(keys, jwk_of(key1, "good", NULL, NULL)); /* duplicate kid */
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);

	struct jwks set;
	ck_assert_int_eq(parse_doc(&set, doc), 0);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_ptr_nonnull(jwks_find(&set, "good"));
	ck_assert_ptr_null(jwks_find(&set, "ec"));
	ck_assert_ptr_null(jwks_find(&set, "enc"));
	ck_assert_ptr_null(jwks_find(&set, "rs512"));
	ck_assert_ptr_null(jwks_find(&set, "small"));
	jwks_free(&set);
	json_object_put(doc);
	EVP_PKEY_free(small);
	EVP_PKEY_free(key1);
}
END_TEST

/* base64url of a big number of bits bits (top bit set), odd or even. */
static char *b64_number(int bits, int odd)
{
	size_t len = (size_t)(bits + 7) / 8;
	unsigned char *raw = calloc(len, 1);
	ck_assert_ptr_nonnull(raw);
	memset(raw, 0x5a, len);
	raw[0] = (unsigned char)(1u << ((bits - 1) % 8));
	raw[len - 1] = odd ? 0x01 : 0x02;
	char *out = b64url_encode(raw, len);
	free(raw);
	return out;
}

/* Exponents and moduli no RSA key has are skipped when the set is read,
 * so every kept key publishes back as itself (e = 0 has no bytes to publish). */
START_TEST(test_jwks_parse_skips_impossible_numbers)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	char *e65 = b64_number(65, 1), *e64 = b64_number(64, 1);
	char *n_even = b64_number(2048, 0), *n_huge = b64_number(JWKS_MAX_RSA_BITS + 1, 1);
	char *n_max = b64_number(JWKS_MAX_RSA_BITS, 1);
	const struct {
		const char *kid, *name, *value;
		int kept;
	} cases[] = {
		{ "e-zero", "e", "AA", 0 },
		{ "e-zeros", "e", "AAAA", 0 },
		{ "e-one", "e", "AQ", 0 },
		{ "e-two", "e", "Ag", 0 },
		{ "e-even", "e", "AQAC", 0 },
		{ "e-65-bits", "e", e65, 0 },
		{ "n-even", "n", n_even, 0 },
		{ "n-over-max", "n", n_huge, 0 },
		{ "e-three", "e", "Aw", 1 },
		{ "e-64-bits", "e", e64, 1 },
		{ "n-max", "n", n_max, 1 },
		{ "e-leading-zero", "e", "AAEAAQ", 1 },
	};
	json_object *keys = json_object_new_array();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		json_object_array_add(keys, jwk_of(key1, cases[i].kid, cases[i].name,
						   json_object_new_string(cases[i].value)));
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	struct jwks set;
	ck_assert_int_eq(parse_doc(&set, doc), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		EVP_PKEY *k = jwks_find(&set, cases[i].kid);
		ck_assert_msg((k != NULL) == cases[i].kept, "%s: kept %d", cases[i].kid, k != NULL);
		if (!k)
			continue;
		char *jwk = jwks_public_jwk(k, cases[i].kid);
		ck_assert_ptr_nonnull(jwk);
		struct jwks back;
		char *text = ck_asprintf("{\"keys\":[%s]}", jwk);
		ck_assert_int_eq(parse_text(&back, text), 0);
		ck_assert_msg(back.nkeys == 1, "%s does not read back", cases[i].kid);
		jwks_free(&back);
		free(text);
		free(jwk);
	}
	ck_assert_uint_eq(set.nkeys, 4);
	jwks_free(&set);
	json_object_put(doc);
	free(e65);
	free(e64);
	free(n_even);
	free(n_huge);
	free(n_max);
	EVP_PKEY_free(key1);
}
END_TEST

START_TEST(test_jwks_parse_keeps_key_without_use_and_alg)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	json_object *k = jwk_of(key1, "bare", NULL, NULL);
	json_object_object_del(k, "use");
	json_object_object_del(k, "alg");
	json_object *keys = json_object_new_array();
	json_object_array_add(keys, k);
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	struct jwks set;
	ck_assert_int_eq(parse_doc(&set, doc), 0);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_ptr_nonnull(jwks_find(&set, "bare"));
	jwks_free(&set);
	json_object_put(doc);
	EVP_PKEY_free(key1);
}
END_TEST

/* The retire time written beside a key: read as a positive integer, kept
 * through jwks_to_json; anything else skips the key rather than trust it forever. */
START_TEST(test_jwks_parse_reads_retire_time_skips_bad_ones)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	struct {
		const char *kid;
		json_object *retire;
	} cases[] = {
	    {"good", json_object_new_int64(1700000000)},
	    {"none", NULL},
	    {"string", json_object_new_string("1700000000")},
	    {"zero", json_object_new_int64(0)},
	    {"negative", json_object_new_int64(-5)},
	    {"double", json_object_new_double(1.7e9)},
	    {"null", json_object_new_null()},
	};
	json_object *keys = json_object_new_array();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_object *k = jwk_of(key1, cases[i].kid, NULL, NULL);
		if (strcmp(cases[i].kid, "none") != 0)
			json_object_object_add(k, JWKS_RETIRE_MEMBER, cases[i].retire);
		json_object_array_add(keys, k);
	}
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	struct jwks set;
	ck_assert_int_eq(parse_doc(&set, doc), 0);
	ck_assert_uint_eq(set.nkeys, 2);
	ck_assert_int_eq(jwks_key_find(&set, "good")->retire_at, 1700000000);
	ck_assert_int_eq(jwks_key_find(&set, "none")->retire_at, 0);
	ck_assert_int_eq(jwks_key_retired(jwks_key_find(&set, "good"), 1699999999), 0);
	ck_assert_int_eq(jwks_key_retired(jwks_key_find(&set, "good"), 1700000000), 1);
	ck_assert_int_eq(jwks_key_retired(jwks_key_find(&set, "none"), 1700000000), 0);
	char *text = jwks_to_json(&set);
	struct jwks back;
	ck_assert_int_eq(parse_text(&back, text), 0);
	ck_assert_uint_eq(back.nkeys, 2);
	ck_assert_int_eq(jwks_key_find(&back, "good")->retire_at, 1700000000);
	ck_assert_int_eq(jwks_key_find(&back, "none")->retire_at, 0);
	jwks_free(&back);
	free(text);
	jwks_free(&set);
	json_object_put(doc);
	EVP_PKEY_free(key1);
}
END_TEST

START_TEST(test_jwks_parse_refuses_non_json)
{
	struct jwks set;
	ck_assert_int_eq(parse_text(&set, "this is not json"), -1);
	ck_assert_int_eq(parse_text(&set, "{\"keys\":["), -1);
	ck_assert_int_eq(parse_text(&set, ""), -1);
}
END_TEST

START_TEST(test_jwks_parse_refuses_no_keys_array)
{
	struct jwks set;
	ck_assert_int_eq(parse_text(&set, "{}"), -1);
	ck_assert_int_eq(parse_text(&set, "{\"keys\":{}}"), -1);
	ck_assert_int_eq(parse_text(&set, "{\"keys\":\"x\"}"), -1);
	ck_assert_int_eq(parse_text(&set, "[]"), -1);
}
END_TEST

START_TEST(test_jwks_parse_accepts_empty_keys_array)
{
	struct jwks set;
	ck_assert_int_eq(parse_text(&set, "{\"keys\":[]}"), 0);
	ck_assert_uint_eq(set.nkeys, 0);
	jwks_free(&set);
}
END_TEST

START_TEST(test_jwks_parse_refuses_over_256k)
{
	/* Valid JSON, only too big: {"keys":[ ...spaces... ]} */
	size_t n = JWKS_MAX_BYTES + 1;
	char *doc = ck_malloc(n + 1);
	memset(doc, ' ', n);
	memcpy(doc, "{\"keys\":[", 9);
	memcpy(doc + n - 2, "]}", 2);
	doc[n] = '\0';
	struct jwks set;
	char err[256] = "";
	ck_assert_int_eq(jwks_parse(&set, doc, n, err, sizeof err), -1);
	ck_assert(*err);
	free(doc);
}
END_TEST

START_TEST(test_jwks_thumbprint_matches_rfc7638_example)
{
	const char *doc =
		"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rfc7638\",\"e\":\"AQAB\",\"n\":\""
		"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
		"\"}]}";
	struct jwks set;
	ck_assert_int_eq(parse_text(&set, doc), 0);
	EVP_PKEY *k = jwks_find(&set, "rfc7638");
	ck_assert_ptr_nonnull(k);
	char *tp = jwks_thumbprint(k);
	ck_assert_ptr_nonnull(tp);
	ck_assert_str_eq(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(tp);
	jwks_free(&set);
}
END_TEST

START_TEST(test_jwks_thumbprint_same_for_private_and_published_key)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	struct jwks set;
	ck_assert_int_eq(testkeys_load_jwks(&set), 0);
	char *a = jwks_thumbprint(key1), *b = jwks_thumbprint(jwks_find(&set, TESTKEYS_KID1));
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	jwks_free(&set);
	EVP_PKEY_free(key1);
}
END_TEST

START_TEST(test_jwks_public_jwk_round_trips)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	char *jwk = jwks_public_jwk(key1, "rt");
	ck_assert_ptr_nonnull(jwk);
	char *doc = ck_asprintf("{\"keys\":[%s]}", jwk);
	struct jwks set, fixture;
	ck_assert_int_eq(parse_text(&set, doc), 0);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_int_eq(testkeys_load_jwks(&fixture), 0);
	ck_assert_int_eq(EVP_PKEY_eq(jwks_find(&set, "rt"), jwks_find(&fixture, TESTKEYS_KID1)), 1);
	jwks_free(&fixture);
	jwks_free(&set);
	free(doc);
	free(jwk);
	EVP_PKEY_free(key1);
}
END_TEST

/* --- issuer ------------------------------------------------------------ */

static void rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *sub = ck_asprintf("%s/%s", path, e->d_name);
			rm_rf(sub);
			free(sub);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static char tmpdir[64];
static char *state_dir, *jwks_path, *key_path;

static void issuer_setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/mcpauth-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	state_dir = ck_asprintf("%s/state", tmpdir);
	jwks_path = ck_asprintf("%s/jwks.json", state_dir);
	key_path = ck_asprintf("%s/signing-key.pem", state_dir);
}

static void issuer_teardown(void)
{
	rm_rf(tmpdir);
	free(state_dir);
	free(jwks_path);
	free(key_path);
	state_dir = jwks_path = key_path = NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct sbuf b = {0};
	char buf[4096];
	size_t n;
	sbuf_adds(&b, "");
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(&b, buf, n);
	fclose(f);
	return b.p;
}

START_TEST(test_issuer_ensure_keys_creates_key_0600_and_jwks)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	struct stat st;
	ck_assert_int_eq(stat(state_dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0077, 0);
	ck_assert_int_eq(stat(key_path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(jwks_path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, jwks_path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(set.nkeys, 1);
	jwks_free(&set);
}
END_TEST

START_TEST(test_issuer_ensure_keys_keeps_existing_key)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	char *pem1 = slurp(key_path), *jwks1 = slurp(jwks_path);
	ck_assert_ptr_nonnull(pem1);
	ck_assert_ptr_nonnull(jwks1);
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	char *pem2 = slurp(key_path), *jwks2 = slurp(jwks_path);
	ck_assert_ptr_nonnull(pem2);
	ck_assert_ptr_nonnull(jwks2);
	ck_assert_str_eq(pem1, pem2);
	ck_assert_str_eq(jwks1, jwks2);
	free(pem1);
	free(pem2);
	free(jwks1);
	free(jwks2);
}
END_TEST

START_TEST(test_issuer_load_refuses_missing_key)
{
	struct issuer is;
	char err[256] = "";
	ck_assert_int_eq(issuer_load(&is, state_dir, err, sizeof err), -1);
	ck_assert(*err);
	ck_assert_ptr_null(is.pem);
	ck_assert_ptr_null(is.kid);
}
END_TEST

START_TEST(test_issuer_sign_gives_token_verify_accepts)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	struct issuer is;
	ck_assert_msg(issuer_load(&is, state_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_ptr_nonnull(is.kid);

	time_t now = time(NULL);
	json_object *claims = json_object_new_object();
	json_object_object_add(claims, "iss", json_object_new_string("https://issuer.test/"));
	json_object_object_add(claims, "sub", json_object_new_string("local|alice"));
	json_object_object_add(claims, "aud", json_object_new_string("https://api.test"));
	json_object_object_add(claims, "iat", json_object_new_int64((int64_t)now));
	json_object_object_add(claims, "exp", json_object_new_int64((int64_t)now + 3600));
	json_object_object_add(claims, "scope", json_object_new_string("openid email"));
	json_object *perms = json_object_new_array();
	json_object_array_add(perms, json_object_new_string("read:profile"));
	json_object_object_add(claims, "permissions", perms);
	char *tok = issuer_sign(&is, claims);
	json_object_put(claims);
	ck_assert_ptr_nonnull(tok);

	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, jwks_path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(set.nkeys, 1);
	struct token_verifier v = {&set, "https://issuer.test/", "https://api.test", 30};
	struct principal p;
	const char *reason = NULL;
	enum token_status st = token_verify(&v, tok, strlen(tok), now, &p, &reason);
	ck_assert_msg(st == TOKEN_OK, "refused (%d): %s", (int)st, reason ? reason : "?");
	ck_assert_str_eq(p.sub, "local|alice");
	ck_assert_int_eq(principal_has_permission(&p, "read:profile"), 1);
	ck_assert_int_eq(principal_has_scope(&p, "email"), 1);
	principal_free(&p);

	/* The header's kid is the key's RFC 7638 thumbprint, as published. */
	char *h64 = testkeys_segment(tok, 0);
	unsigned char *hraw;
	size_t hlen;
	ck_assert_int_eq(b64url_decode(h64, strlen(h64), &hraw, &hlen), 0);
	json_object *header = json_tokener_parse((const char *)hraw);
	ck_assert_ptr_nonnull(header);
	ck_assert_str_eq(json_get_string(header, "alg"), "RS256");
	ck_assert_str_eq(json_get_string(header, "kid"), is.kid);
	char *tp = jwks_thumbprint(set.keys[0].pkey);
	ck_assert_str_eq(is.kid, tp);
	ck_assert_str_eq(set.keys[0].kid, tp);
	free(tp);
	json_object_put(header);
	free(hraw);
	free(h64);

	jwks_free(&set);
	free(tok);
	issuer_free(&is);
	ck_assert_ptr_null(is.pem);
}
END_TEST

/* --- suite ------------------------------------------------------------- */

/* One UTF-8 check for the audit log and the strict JSON scan. */
START_TEST(test_utf8_seq_len_refuses_what_rfc3629_refuses)
{
	ck_assert_uint_eq(utf8_seq_len("a", 1), 1);
	ck_assert_uint_eq(utf8_seq_len("\xc3\xa9", 2), 2);
	ck_assert_uint_eq(utf8_seq_len("\xe2\x82\xac", 3), 3);
	ck_assert_uint_eq(utf8_seq_len("\xf0\x9f\x98\x80", 4), 4);
	ck_assert_uint_eq(utf8_seq_len("\xc0\xaf", 2), 0);	   /* overlong '/' */
	ck_assert_uint_eq(utf8_seq_len("\xe0\x80\xaf", 3), 0);	   /* overlong '/' */
	ck_assert_uint_eq(utf8_seq_len("\xed\xa0\x80", 3), 0);	   /* surrogate */
	ck_assert_uint_eq(utf8_seq_len("\xf4\x90\x80\x80", 4), 0); /* over U+10FFFF */
	ck_assert_uint_eq(utf8_seq_len("\xc3", 1), 0);		   /* cut short */
	ck_assert_uint_eq(utf8_seq_len("\xc3"
				       "a",
				       2),
			  0);			       /* no continuation */
	ck_assert_uint_eq(utf8_seq_len("\x80", 1), 0); /* stray continuation */
}
END_TEST

/* The one walk over a list of words, for scopes, settings and cookies. */
static char *walk(const char *list, const char *sep)
{
	struct sbuf b = {0};
	const char *w;
	size_t n;
	sbuf_adds(&b, "");
	for (const char *c = list; list_next(&c, sep, &w, &n);) {
		sbuf_adds(&b, "[");
		sbuf_add(&b, w, n);
		sbuf_adds(&b, "]");
	}
	return sbuf_take(&b);
}

START_TEST(test_list_next_walks_words_and_items)
{
	const struct {
		const char *list, *sep, *want;
	} cases[] = {
	    {"openid  profile email ", " ", "[openid][profile][email]"},
	    {"   ", " ", ""},
	    {NULL, " ", ""},
	    {"https://a.example, http://b.example:8080 ,,", ",",
	     "[https://a.example][http://b.example:8080]"},
	    {" a b , c", ",", "[a b][c]"},
	    {"sid=1; csrf=two ;x", ";", "[sid=1][csrf=two][x]"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = walk(cases[i].list, cases[i].sep);
		ck_assert_str_eq(got, cases[i].want);
		free(got);
	}
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	words_add(&b, "read", 4);
	words_add(&b, "write", 5);
	words_add(&b, "read", 4);
	ck_assert_str_eq(b.p, "read write");
	ck_assert(words_has(b.p, "write", 5));
	ck_assert(!words_has(b.p, "wri", 3));
	sbuf_free(&b);
}
END_TEST

/* One text for a requirement: the index, /mcp/tools and tool descriptions. */
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

/* One shape for a user row, whoever answers it. */
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

static Suite *lib_suite(void)
{
	Suite *s = suite_create("lib");
	TCase *tc;

	tc = tcase_create("b64url");
	tcase_add_test(tc, test_b64url_encodes_rfc4648_vectors);
	tcase_add_test(tc, test_b64url_uses_url_alphabet);
	tcase_add_test(tc, test_b64url_round_trips_all_lengths);
	tcase_add_test(tc, test_b64url_decodes_empty);
	tcase_add_test(tc, test_b64url_refuses_padding);
	tcase_add_test(tc, test_b64url_refuses_standard_alphabet);
	tcase_add_test(tc, test_b64url_refuses_whitespace);
	tcase_add_test(tc, test_b64url_refuses_length_1_mod_4);
	tcase_add_test(tc, test_b64url_refuses_nonzero_trailing_bits);
	tcase_add_test(tc, test_b64url_refuses_embedded_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("url");
	tcase_add_test(tc, test_url_decode_decodes_escapes);
	tcase_add_test(tc, test_url_decode_refuses_bad_escape);
	tcase_add_test(tc, test_url_decode_refuses_nul);
	tcase_add_test(tc, test_url_encode_escapes_reserved);
	tcase_add_test(tc, test_url_encode_round_trips);
	tcase_add_test(tc, test_utf8_seq_len_refuses_what_rfc3629_refuses);
	tcase_add_test(tc, test_list_next_walks_words_and_items);
	tcase_add_test(tc, test_user_json_names_what_it_is_asked);
	suite_add_tcase(s, tc);

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
	tcase_add_test(tc, test_requirement_text_is_one_per_kind);
	tcase_add_test(tc, test_dispatch_answers_400_for_bad_param_escape);
	suite_add_tcase(s, tc);

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

	tc = tcase_create("password");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_password_verify_accepts_right_password);
	tcase_add_test(tc, test_password_verify_refuses_wrong_password);
	tcase_add_test(tc, test_password_verify_refuses_null_stored);
	tcase_add_test(tc, test_password_verify_refuses_malformed_stored);
	tcase_add_test(tc, test_password_hashes_of_same_password_differ);
	tcase_add_test(tc, test_password_hash_refuses_overlong_password);
	suite_add_tcase(s, tc);

	tc = tcase_create("jwks");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_jwks_load_file_reads_fixture);
	tcase_add_test(tc, test_jwks_load_file_refuses_missing_file);
	tcase_add_test(tc, test_jwks_parse_skips_unusable_keys_keeps_good);
	tcase_add_test(tc, test_jwks_parse_keeps_key_without_use_and_alg);
	tcase_add_test(tc, test_jwks_parse_reads_retire_time_skips_bad_ones);
	tcase_add_test(tc, test_jwks_parse_skips_impossible_numbers);
	tcase_add_test(tc, test_jwks_parse_refuses_non_json);
	tcase_add_test(tc, test_jwks_parse_refuses_no_keys_array);
	tcase_add_test(tc, test_jwks_parse_accepts_empty_keys_array);
	tcase_add_test(tc, test_jwks_parse_refuses_over_256k);
	tcase_add_test(tc, test_jwks_thumbprint_matches_rfc7638_example);
	tcase_add_test(tc, test_jwks_thumbprint_same_for_private_and_published_key);
	tcase_add_test(tc, test_jwks_public_jwk_round_trips);
	suite_add_tcase(s, tc);

	tc = tcase_create("issuer");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, issuer_setup, issuer_teardown);
	tcase_add_test(tc, test_issuer_ensure_keys_creates_key_0600_and_jwks);
	tcase_add_test(tc, test_issuer_ensure_keys_keeps_existing_key);
	tcase_add_test(tc, test_issuer_load_refuses_missing_key);
	tcase_add_test(tc, test_issuer_sign_gives_token_verify_accepts);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lib_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
