/* Fuzz target: a request line to a route (route_match over the real route
 * tables, app_route over a table built to stress it: parameters,
 * many methods on one path, rows without a handler, query fields checked
 * against a field table), path parameters and query values decoded
 * (url_decode, request_query), and url_encode. */
#include "fuzz.h"
#include "app.h"
#include "http.h"
#include "route.h"
#include "routes.h"
#include "util.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void echo(struct request *req, struct response *resp)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < req->nparams; i++) {
		FUZZ_CHECK(req->params[i].value != NULL, "a parameter without a value");
		json_object_object_add(o, "p", json_object_new_string(req->params[i].value));
	}
	response_json(resp, 200, o);
}

/* Query fields, checked by the dispatcher before echo runs: echo then
 * finds each declared field of its type. */
static const struct field find_in[] = {
    {.name = "q", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 16, .format = FORMAT_SCOPE},
    {.name = "n", .type = FIELD_INTEGER, .min = -5, .max = 100},
    {.name = "all", .type = FIELD_BOOLEAN},
};
static const struct route_fields find_fields = {.in = FIELD_LIST(find_in)};

static void find(struct request *req, struct response *resp)
{
	json_object *q = field_get(req, "q"), *n = field_get(req, "n"), *all = field_get(req, "all");
	FUZZ_CHECK(q && json_object_is_type(q, json_type_string), "q unchecked");
	FUZZ_CHECK(!n || (json_object_is_type(n, json_type_int) && json_object_get_int64(n) >= -5 &&
			  json_object_get_int64(n) <= 100),
		   "n unchecked");
	FUZZ_CHECK(!all || json_object_is_type(all, json_type_boolean), "all unchecked");
	response_json(resp, 200, json_object_new_object());
}

#define R(m, p)                                                                                              \
	{                                                                                                    \
		m, p, ROUTE_PUBLIC, NULL, "fuzz", NULL, echo, 0                                              \
	}
static const struct route fuzz_routes[] = {
    R("GET", "/"),
    {"GET", "/find", ROUTE_PUBLIC, NULL, "fuzz", &find_fields, find, 0},
    R("GET", "/api/auth0/user/:id"),
    R("POST", "/api/auth0/user/:id"),
    R("PUT", "/a/:b/c/:d"),
    R("DELETE", "/a/:b/c/:d"),
    R("GET", "/x/:a/:b/:c/:d"),
    R("GET", "/y/:a/:b/:c/:d/:e"), /* one more than HTTP_MAX_PARAMS */
    R("GET", "/many"),
    R("POST", "/many"),
    R("PUT", "/many"),
    R("DELETE", "/many"),
    R("PATCH", "/many"),
    R("OPTIONS", "/many"),
    R("PROPFIND", "/many"),
    R("PROPPATCH", "/many"),
    R("MKCOL", "/many"),
    R("COPY", "/many"),
    R("MOVE", "/many"),
    R("LOCK", "/many"),
    R("UNLOCK", "/many"),
    R("VERSION-CONTROL", "/many"),
    R("BASELINE-CONTROL", "/many"),
    R("MKACTIVITY", "/many"),
    R("ORDERPATCH", "/many"),
    R("ACL", "/many"),
};
static const struct route_group fuzz_group = {"fuzz", ROUTE_TABLE(fuzz_routes), 0};
/* Rows without a handler, as the auth program's index holds of the groups
 * it does not link: never run, never in Allow. */
static const struct route fuzz_rows[] = {
    {"GET", "/rows/:id", ROUTE_PUBLIC, NULL, "fuzz", NULL, NULL, 0},
    {"QUERY", "/many", ROUTE_PUBLIC, NULL, "fuzz", NULL, NULL, 0},
};
static const struct route_group fuzz_rows_group = {"rows", ROUTE_TABLE(fuzz_rows), 0};
static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *method = methods[data[0] % (sizeof methods / sizeof methods[0])];
	/* A C string, as the adapter has it: path, then the query after '?'. */
	char *uri = ck_strndup((const char *)data + 1, size - 1);
	char *q = strchr(uri, '?');
	struct request req = {0};
	req.method = method;
	req.path = q ? ck_strndup(uri, (size_t)(q - uri)) : ck_strdup(uri);
	req.query = ck_strdup(q ? q + 1 : "");

	for (size_t g = 0; g < route_ngroups; g++) {
		for (size_t i = 0; i < route_groups[g]->nroutes; i++) {
			struct request r = {0};
			r.path = req.path;
			int m = route_match(&route_groups[g]->routes[i], req.path, &r);
			FUZZ_CHECK(m == 0 || m == 1 || m == -1, "route_match out of range");
			FUZZ_CHECK(m != 0 || r.nparams == 0, "parameters from a route that does not match");
			FUZZ_CHECK(r.nparams <= HTTP_MAX_PARAMS, "too many parameters");
			FUZZ_CHECK((m != 0) ==
				       (route_match(&route_groups[g]->routes[i], req.path, NULL) != 0),
				   "route_match depends on req");
			for (size_t k = 0; k < r.nparams; k++)
				free(r.params[k].value);
		}
	}

	const struct route_group *groups[] = {&fuzz_group, &fuzz_rows_group};
	struct response resp;
	response_init(&resp);
	app_route(groups, 2, &req, &resp);
	FUZZ_CHECK(resp.status == 200 || resp.status == 400 || resp.status == 404 || resp.status == 405,
		   "an unexpected status");
	FUZZ_CHECK(resp.status != 405 || response_get_header(&resp, "Allow"), "405 without Allow");
	FUZZ_CHECK(resp.status != 405 || !strstr(response_get_header(&resp, "Allow"), "QUERY"),
		   "a row without a handler in Allow");
	FUZZ_CHECK(!req.route || req.route->handler, "a row without a handler chosen");
	FUZZ_CHECK(resp.body && json_text(resp.body), "no JSON body");
	response_free(&resp);

	char *id = request_query(&req, "id");
	free(id);
	/* url_decode and url_encode: decoding what was encoded gives it back. */
	char *dec = url_decode(req.path, strlen(req.path));
	if (dec) {
		char *enc = url_encode(dec);
		char *again = url_decode(enc, strlen(enc));
		FUZZ_CHECK(again && strcmp(again, dec) == 0, "url_decode(url_encode(x)) != x");
		free(again);
		free(enc);
		free(dec);
	}
	request_free(&req);
	free(uri);
	return 0;
}
