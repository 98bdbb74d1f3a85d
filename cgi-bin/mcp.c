/* mcp: every route of the other groups as an MCP tool. GET /mcp/tools and
 * POST /mcp/invoke in the Express-MCP style, and POST /mcp, MCP's
 * Streamable HTTP transport (one JSON answer per POST: no SSE, no session).
 * A tool call runs its route in process, through the same table and the
 * same requirement check, with the caller's own Authorization. */
#include "guard.h"
#include "routes.h"
#include "tool.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

/* Newest first: an unknown version asked for in initialize gets the first. */
static const char *const protocol_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

enum {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_UNAUTHORIZED = -32001, /* the tool needs a (valid) token: HTTP 401 */
	RPC_STEP_UP = -32003,	   /* the token lacks a grant the user can give: HTTP 403 */
};

static const char *supported_version(const char *v)
{
	for (size_t i = 0; v && i < sizeof protocol_versions / sizeof protocol_versions[0]; i++)
		if (strcmp(v, protocol_versions[i]) == 0)
			return protocol_versions[i];
	return NULL;
}

static json_object *tool_json(const struct tool *t, int express)
{
	json_object *o = json_object_new_object();
	char *desc = tool_description(t);
	json_object_object_add(o, "name", json_object_new_string(express ? t->express_name : t->name));
	json_object_object_add(o, "title", json_object_new_string(t->title));
	json_object_object_add(o, "description", json_object_new_string(desc));
	json_object_object_add(o, "inputSchema", tool_input_schema(t));
	/* Every route answers a JSON object; it is the structuredContent. */
	json_object_object_add(o, "outputSchema", tool_output_schema(t));
	json_object_object_add(o, "annotations", tool_annotations(t));
	if (express) {
		char need[160];
		json_object *route = json_object_new_object();
		json_object_object_add(route, "method", json_object_new_string(t->route->method));
		json_object_object_add(route, "path", json_object_new_string(t->route->pattern));
		json_object_object_add(o, "route", route);
		json_object_object_add(o, "requires",
				       json_object_new_string(route_requirement_text(
					   t->route, ROUTE_TEXT_SHORT, need, sizeof need)));
		json_object_object_add(o, "mcpName", json_object_new_string(t->name));
	}
	free(desc);
	return o;
}

/* Routes that take credentials are no tools of /mcp (ROUTE_NO_MCP): a
 * password or refresh token never passes through a model's context. The
 * Express-MCP endpoints keep them for the original example's scripts. */
static int on_mcp(const struct tool *t)
{
	return !(t->route->flags & ROUTE_NO_MCP);
}

static json_object *tools_array(const struct toolset *ts, int express)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < ts->ntools; i++)
		if (express || on_mcp(&ts->tools[i]))
			json_object_array_add(a, tool_json(&ts->tools[i], express));
	return a;
}

/* The tool list is a function of the route tables: built once per process. */
static const struct toolset *tools(const struct app *app)
{
	static struct toolset ts;
	static int built;
	if (!built) {
		toolset_init(&ts, app->groups, app->ngroups);
		built = 1;
	}
	return &ts;
}

/* --- Express-MCP style ----------------------------------------------------- */

static void tools_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const struct toolset *ts = tools(app);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "tools", tools_array(ts, 1));
	response_json(resp, 200, body);
}

/* The route's own status and headers (WWW-Authenticate, Cache-Control...)
 * around its body. Takes r's body. */
static void invoke_answer(struct response *resp, struct response *r)
{
	for (size_t i = 0; i < r->nheaders; i++)
		response_header(resp, r->headers[i].name, "%s", r->headers[i].value);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "ok", json_object_new_boolean(r->status < 400));
	json_object_object_add(body, "result", r->body);
	json_object_object_add(body, "status", json_object_new_int(r->status));
	r->body = NULL;
	response_json(resp, r->status, body);
}

static void invoke_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const char *name = field_str(req, "toolName");
	json_object *args = field_get(req, "args");
	const struct toolset *ts = tools(app);
	const struct tool *t = toolset_find(ts, name, TOOL_NAME_ANY);
	struct response r;
	response_init(&r);
	if (guard_bearer(req, &r) == HTTP_ANSWERED) {
		/* A token that fails: 401 whatever the tool, in this endpoint's shape. */
		invoke_answer(resp, &r);
	} else if (!t) {
		char *msg = ck_asprintf("No tool is named '%s'; GET /mcp/tools lists them", name);
		json_object *body = response_error(resp, 404, "Tool not found", msg);
		json_object_object_add(body, "toolName", json_object_new_string(name));
		free(msg);
	} else {
		tool_call(t, args, req, &req->app->dispatch, &r);
		invoke_answer(resp, &r);
	}
	response_free(&r);
}

/* --- Streamable HTTP: JSON-RPC 2.0 ------------------------------------------ */

static void rpc_initialize(struct response *resp, json_object *id, json_object *params)
{
	const char *asked = json_get_string(params, "protocolVersion");
	if (!asked) {
		response_jsonrpc_error(resp, 200, id, RPC_INVALID_PARAMS,
				       "initialize needs params.protocolVersion", NULL);
		return;
	}
	const char *v = supported_version(asked);
	json_object *tools = json_object_new_object();
	json_object_object_add(tools, "listChanged", json_object_new_boolean(0));
	json_object *caps = json_object_new_object();
	json_object_object_add(caps, "tools", tools);
	json_object *info = json_object_new_object();
	json_object_object_add(info, "name", json_object_new_string("mcpauth"));
	json_object_object_add(info, "title", json_object_new_string("mcpauth API tools"));
	json_object_object_add(info, "version", json_object_new_string(PACKAGE_VERSION));
	json_object *result = json_object_new_object();
	json_object_object_add(result, "protocolVersion",
			       json_object_new_string(v ? v : protocol_versions[0]));
	json_object_object_add(result, "capabilities", caps);
	json_object_object_add(result, "serverInfo", info);
	json_object_object_add(
	    result, "instructions",
	    json_object_new_string("Each tool is one route of the mcpauth API. Send your access "
				   "token as 'Authorization: Bearer <token>' with every request: "
				   "a tool answers exactly what its route answers for that token."));
	response_jsonrpc(resp, 200, id, "result", result);
}

static json_object *text_content(const char *text)
{
	json_object *c = json_object_new_object();
	json_object_object_add(c, "type", json_object_new_string("text"));
	json_object_object_add(c, "text", json_object_new_string(text));
	json_object *a = json_object_new_array();
	json_object_array_add(a, c);
	return a;
}

/* A tool result carrying text; isError when is_error. */
static void tool_result(struct response *resp, json_object *id, const char *text, json_object *structured,
			int is_error)
{
	json_object *result = json_object_new_object();
	json_object_object_add(result, "content", text_content(text));
	if (structured)
		json_object_object_add(result, "structuredContent", structured);
	json_object_object_add(result, "isError", json_object_new_boolean(is_error));
	response_jsonrpc(resp, 200, id, "result", result);
}

static void rpc_tools_call(const struct request *req, struct response *resp, json_object *id,
			   json_object *params)
{
	const struct app *app = req->app;
	const char *name = json_get_string(params, "name");
	json_object *args = NULL;
	if (!name) {
		response_jsonrpc_error(resp, 200, id, RPC_INVALID_PARAMS, "tools/call needs params.name",
				       NULL);
		return;
	}
	if (json_object_object_get_ex(params, "arguments", &args) && args &&
	    !json_object_is_type(args, json_type_object)) {
		response_jsonrpc_error(resp, 200, id, RPC_INVALID_PARAMS,
				       "params.arguments must be an object", NULL);
		return;
	}
	const struct toolset *ts = tools(app);
	const struct tool *t = toolset_find(ts, name, TOOL_NAME_MCP);
	struct response r;
	response_init(&r);
	if (t && !on_mcp(t))
		t = NULL;
	if (t)
		tool_call(t, args, req, &req->app->dispatch, &r);
	if (!t) {
		char *msg = ck_asprintf("Unknown tool: %s", name);
		response_jsonrpc_error(resp, 200, id, RPC_INVALID_PARAMS, msg, NULL);
		free(msg);
	} else if (r.status == 401 && t->route->req != ROUTE_PUBLIC) {
		/* No token or a bad one: the HTTP challenge, so a client can start its
		 * authorization flow from the resource metadata it names; made for
		 * this endpoint, so it names every tool's scopes. */
		const char *challenge = response_get_header(&r, "WWW-Authenticate");
		const char *why = json_get_string(r.body, "error");
		char *msg = ck_asprintf("Unauthorized: %s", why ? why : "a valid access token is required");
		if (challenge && strstr(challenge, "error=\"invalid_token\""))
			guard_challenge(req, resp, "invalid_token", json_get_string(r.body, "message"));
		else if (challenge && strstr(challenge, "error=\"insufficient_user_authentication\""))
			/* RFC 9470: the client has the user log in again with a second factor. */
			response_header(resp, "WWW-Authenticate", "%s", challenge);
		else
			guard_challenge(req, resp, NULL, NULL);
		response_jsonrpc_error(resp, 401, id, RPC_UNAUTHORIZED, msg, r.body);
		r.body = NULL;
		free(msg);
	} else if (r.status == 403 && json_get_string(r.body, "error") &&
		   strcmp(json_get_string(r.body, "error"), "insufficient_scope") == 0) {
		/* Step-up: the user can grant what the token lacks. The HTTP 403
		 * and its challenge make the client ask the user again (an isError
		 * result would reach the model instead). */
		const char *challenge = response_get_header(&r, "WWW-Authenticate");
		if (challenge)
			response_header(resp, "WWW-Authenticate", "%s", challenge);
		response_jsonrpc_error(resp, 403, id, RPC_STEP_UP,
				       "Insufficient scope: authorize again with the scope named", r.body);
		r.body = NULL;
	} else {
		/* A route's 4xx, a bad argument's 400 included, is a tool error the
		 * model can read and correct. */
		const char *text = r.body ? json_text(r.body) : http_reason(r.status);
		int is_error = r.status >= 400;
		json_object *structured = !is_error && json_object_is_type(r.body, json_type_object)
					      ? json_object_get(r.body)
					      : NULL;
		tool_result(resp, id, text, structured, is_error);
	}
	response_free(&r);
}

static void rpc_tools_list(const struct app *app, struct response *resp, json_object *id)
{
	const struct toolset *ts = tools(app);
	json_object *result = json_object_new_object();
	json_object_object_add(result, "tools", tools_array(ts, 0));
	response_jsonrpc(resp, 200, id, "result", result);
}

static int valid_id(json_object *id)
{
	enum json_type t = json_object_get_type(id);
	return id && (t == json_type_string || t == json_type_int || t == json_type_double);
}

/* One JSON-RPC message that passed the transport's checks. */
static void rpc_message(const struct request *req, struct response *resp, json_object *msg)
{
	json_object *id = NULL, *method = NULL, *params = NULL;
	int has_id = json_object_object_get_ex(msg, "id", &id);
	int has_method = json_object_object_get_ex(msg, "method", &method);
	const char *version = json_get_string(msg, "jsonrpc");
	json_object *echo = valid_id(id) ? id : NULL;
	if (!version || strcmp(version, "2.0") != 0) {
		response_jsonrpc_error(resp, 400, echo, RPC_INVALID_REQUEST, "Not a JSON-RPC 2.0 message",
				       NULL);
		return;
	}
	if (!has_method) {
		/* A client's response to a server request: this server sends none,
		 * so there is nothing to match it with; it is accepted all the same. */
		if (has_id && (json_object_object_get_ex(msg, "result", NULL) ||
			       json_object_object_get_ex(msg, "error", NULL))) {
			response_json(resp, 202, NULL);
			return;
		}
		response_jsonrpc_error(resp, 400, echo, RPC_INVALID_REQUEST, "A request needs a method",
				       NULL);
		return;
	}
	if (!json_object_is_type(method, json_type_string)) {
		response_jsonrpc_error(resp, 400, echo, RPC_INVALID_REQUEST, "method must be a string", NULL);
		return;
	}
	if (!has_id) { /* a notification: nothing to answer */
		response_json(resp, 202, NULL);
		return;
	}
	if (!valid_id(id)) {
		response_jsonrpc_error(resp, 400, NULL, RPC_INVALID_REQUEST,
				       "id must be a string or a number, not null", NULL);
		return;
	}
	if (json_object_object_get_ex(msg, "params", &params) && params &&
	    !json_object_is_type(params, json_type_object)) {
		response_jsonrpc_error(resp, 200, id, RPC_INVALID_PARAMS, "params must be an object", NULL);
		return;
	}
	const char *m = json_object_get_string(method);
	if (strcmp(m, "initialize") == 0) {
		rpc_initialize(resp, id, params);
	} else if (strcmp(m, "ping") == 0) {
		response_jsonrpc(resp, 200, id, "result", json_object_new_object());
	} else if (strcmp(m, "tools/list") == 0) {
		rpc_tools_list(req->app, resp, id);
	} else if (strcmp(m, "tools/call") == 0) {
		rpc_tools_call(req, resp, id, params);
	} else {
		char *text = ck_asprintf("Method not found: %s", m);
		response_jsonrpc_error(resp, 200, id, RPC_METHOD_NOT_FOUND, text, NULL);
		free(text);
	}
}

static void mcp_post(struct request *req, struct response *resp)
{
	if (req->protocol_version && !supported_version(req->protocol_version)) {
		json_object *data = json_object_new_object(), *list = json_object_new_array();
		for (size_t i = 0; i < sizeof protocol_versions / sizeof protocol_versions[0]; i++)
			json_object_array_add(list, json_object_new_string(protocol_versions[i]));
		json_object_object_add(data, "supported", list);
		response_jsonrpc_error(resp, 400, NULL, RPC_INVALID_REQUEST,
				       "Unsupported MCP-Protocol-Version", data);
		return;
	}
	if (!req->body) {
		response_jsonrpc_error(resp, 400, NULL, RPC_PARSE_ERROR, "Parse error: the body is not JSON",
				       NULL);
		return;
	}
	if (json_object_is_type(req->body, json_type_array)) {
		response_jsonrpc_error(resp, 400, NULL, RPC_INVALID_REQUEST,
				       "Batch requests are not supported", NULL);
		return;
	}
	if (!json_object_is_type(req->body, json_type_object)) {
		response_jsonrpc_error(resp, 400, NULL, RPC_INVALID_REQUEST,
				       "A JSON-RPC message is a JSON object", NULL);
		return;
	}
	struct response r;
	response_init(&r);
	if (guard_bearer(req, &r) == HTTP_GO_ON) {
		rpc_message(req, resp, req->body);
	} else {
		/* A token that fails, whatever the method: HTTP 401 and its
		 * challenge (for this endpoint: every tool's scopes), the guard's
		 * body as the error's data. */
		json_object *id = NULL;
		json_object_object_get_ex(req->body, "id", &id);
		char *msg = ck_asprintf("Unauthorized: %s", json_get_string(r.body, "error"));
		for (size_t i = 0; i < r.nheaders; i++)
			response_header(resp, r.headers[i].name, "%s", r.headers[i].value);
		response_jsonrpc_error(resp, r.status, valid_id(id) ? id : NULL, RPC_UNAUTHORIZED, msg,
				       r.body);
		r.body = NULL;
		free(msg);
	}
	response_free(&r);
}

static const struct field invoke_in[] = {
    {.name = "toolName",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = FIELD_MAX_LEN,
     .description = "GET_/api/profile, GET /api/profile or get_api_profile"},
    {.name = "args", .type = FIELD_OBJECT, .description = "The tool's arguments"},
};
static const struct route_fields invoke_fields = {.in = FIELD_LIST(invoke_in)};

#define ROUTE ROUTE_ROW
static const struct route mcp_routes[] = {
#include "mcp_routes.h"
};
#undef ROUTE

const struct route_group mcp_group = {"mcp", ROUTE_TABLE(mcp_routes), MCP_GROUP_FLAGS};
