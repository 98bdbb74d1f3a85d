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

/* The tools the caller sees (tool_visible): with a token, those it can call. */
static json_object *tools_array(const struct toolset *ts, int express, const struct principal *caller)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < ts->ntools; i++)
		if ((express || on_mcp(&ts->tools[i])) && tool_visible(&ts->tools[i], caller))
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
	json_object_object_add(body, "tools", tools_array(ts, 1, req->principal));
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

/* One POST is served in the era its MCP-Protocol-Version chose: 2026-07-28
 * statelessly (no initialize; version and capabilities in every request's
 * _meta, mirrored into headers), the handshake revisions as they were. */
#define MODERN_VERSION "2026-07-28"
/* The one revision with JSON-RPC batches, and the one a POST without
 * MCP-Protocol-Version speaks (2025-06-18 made the header compulsory). */
#define BATCH_VERSION "2025-03-26"

/* Every version served, newest first; the handshake ones from index 1: an
 * unknown version asked for in initialize gets the first of those. */
static const char *const protocol_versions[] = {MODERN_VERSION, "2025-11-25", "2025-06-18", BATCH_VERSION};
#define NVERSIONS (sizeof protocol_versions / sizeof protocol_versions[0])

#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CLIENT_CAPS "io.modelcontextprotocol/clientCapabilities"
#define META_SERVER_INFO "io.modelcontextprotocol/serverInfo"

/* Freshness hints (2026-07-28 caching): the tool list changes with a new
 * build of the route tables, or for one caller with that caller's grants. */
#define TOOLS_TTL_MS 300000
#define DISCOVER_TTL_MS 3600000

enum {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_UNAUTHORIZED = -32001, /* the tool needs a (valid) token: HTTP 401 */
	RPC_STEP_UP = -32003,	   /* the token lacks a grant the user can give: HTTP 403 */
	RPC_HEADER_MISMATCH = -32020,
	RPC_UNSUPPORTED_VERSION = -32022,
};

/* How one POST is served. */
struct rpc {
	struct request *req;
	const char *version; /* the revision it speaks */
	int modern;	     /* 2026-07-28: per-request _meta, resultType, headers checked */
	int batched;	     /* one message of a 2025-03-26 batch */
};

static const char *supported_version(const char *v)
{
	for (size_t i = 0; v && i < NVERSIONS; i++)
		if (strcmp(v, protocol_versions[i]) == 0)
			return protocol_versions[i];
	return NULL;
}

static json_object *versions_array(void)
{
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < NVERSIONS; i++)
		json_object_array_add(list, json_object_new_string(protocol_versions[i]));
	return list;
}

static json_object *server_info(void)
{
	json_object *info = json_object_new_object();
	json_object_object_add(info, "name", json_object_new_string("mcpauth"));
	json_object_object_add(info, "title", json_object_new_string("mcpauth API tools"));
	json_object_object_add(info, "version", json_object_new_string(PACKAGE_VERSION));
	return info;
}

static json_object *server_capabilities(void)
{
	json_object *tools = json_object_new_object();
	json_object_object_add(tools, "listChanged", json_object_new_boolean(0));
	json_object *caps = json_object_new_object();
	json_object_object_add(caps, "tools", tools);
	return caps;
}

static const char instructions[] = "Each tool is one route of the mcpauth API. Send your access "
				   "token as 'Authorization: Bearer <token>' with every request: "
				   "a tool answers exactly what its route answers for that token.";

/* A result; under 2026-07-28 with resultType and the server's identity. */
static void rpc_result(const struct rpc *c, struct response *resp, json_object *id, json_object *result)
{
	if (c->modern) {
		json_object *meta = json_object_new_object();
		json_object_object_add(meta, META_SERVER_INFO, server_info());
		json_object_object_add(result, "resultType", json_object_new_string("complete"));
		json_object_object_add(result, "_meta", meta);
	}
	response_jsonrpc(resp, 200, id, "result", result);
}

/* The 2026-07-28 caching hints: private when the answer depends on the
 * caller's token. */
static void cacheable(json_object *result, int ttl_ms, int private)
{
	json_object_object_add(result, "ttlMs", json_object_new_int(ttl_ms));
	json_object_object_add(result, "cacheScope", json_object_new_string(private ? "private" : "public"));
}

/* The handshake revisions' initialize: it negotiates one of them only
 * (2026-07-28 has no handshake: a client asking for it gets 2025-11-25). */
static void rpc_initialize(struct response *resp, json_object *id, json_object *params)
{
	const char *asked = json_get_string(params, "protocolVersion");
	if (!asked) {
		response_jsonrpc_error(resp, 200, id, RPC_INVALID_PARAMS,
				       "initialize needs params.protocolVersion", NULL);
		return;
	}
	const char *v = supported_version(asked);
	if (!v || strcmp(v, MODERN_VERSION) == 0)
		v = protocol_versions[1];
	json_object *result = json_object_new_object();
	json_object_object_add(result, "protocolVersion", json_object_new_string(v));
	json_object_object_add(result, "capabilities", server_capabilities());
	json_object_object_add(result, "serverInfo", server_info());
	json_object_object_add(result, "instructions", json_object_new_string(instructions));
	response_jsonrpc(resp, 200, id, "result", result);
}

/* server/discover (a 2026-07-28 MUST), answered in its shape whatever the
 * era: a probing client learns the versions from it. */
static void rpc_discover(const struct rpc *c, struct response *resp, json_object *id)
{
	struct rpc modern = *c;
	modern.modern = 1;
	json_object *result = json_object_new_object();
	json_object_object_add(result, "supportedVersions", versions_array());
	json_object_object_add(result, "capabilities", server_capabilities());
	json_object_object_add(result, "instructions", json_object_new_string(instructions));
	cacheable(result, DISCOVER_TTL_MS, 0);
	rpc_result(&modern, resp, id, result);
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
static void tool_result(const struct rpc *c, struct response *resp, json_object *id, const char *text,
			json_object *structured, int is_error)
{
	json_object *result = json_object_new_object();
	json_object_object_add(result, "content", text_content(text));
	if (structured)
		json_object_object_add(result, "structuredContent", structured);
	json_object_object_add(result, "isError", json_object_new_boolean(is_error));
	rpc_result(c, resp, id, result);
}

static void rpc_tools_call(const struct rpc *c, struct response *resp, json_object *id, json_object *params)
{
	const struct request *req = c->req;
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
		tool_result(c, resp, id, text, structured, is_error);
	}
	response_free(&r);
}

static void rpc_tools_list(const struct rpc *c, struct response *resp, json_object *id, json_object *params)
{
	json_object *cursor = NULL;
	/* One page, never a nextCursor: any cursor is one this server did not give. */
	if (json_object_object_get_ex(params, "cursor", &cursor) && cursor) {
		response_jsonrpc_error(resp, 200, id, RPC_INVALID_PARAMS,
				       "Invalid cursor: tools/list answers every tool in one page", NULL);
		return;
	}
	const struct toolset *ts = tools(c->req->app);
	json_object *result = json_object_new_object();
	json_object_object_add(result, "tools", tools_array(ts, 0, c->req->principal));
	/* With a token the list is that token's (the tools it can call). */
	if (c->modern)
		cacheable(result, TOOLS_TTL_MS, c->req->principal != NULL);
	rpc_result(c, resp, id, result);
}

static int valid_id(json_object *id)
{
	enum json_type t = json_object_get_type(id);
	return id && (t == json_type_string || t == json_type_int || t == json_type_double);
}

/* "a boolean", "an object"...: what an id of the wrong type was. */
static const char *json_type_phrase(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	default:
		return "a string or a number";
	}
}

/* A mirrored header's value as 2026-07-28 compares it: surrounding blanks
 * dropped (RFC 9110 field parsing), "=?base64?...?=" decoded. Caller
 * frees; NULL when the value cannot be decoded. */
static char *header_value(const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n < 11 || strncmp(v, "=?base64?", 9) != 0 || strncmp(v + n - 2, "?=", 2) != 0)
		return ck_strndup(v, n);
	/* Standard Base64 with padding, through the base64url decoder. */
	char *b = ck_strndup(v + 9, n - 11);
	size_t bn = strlen(b), pad = 0;
	while (pad < 2 && bn > pad && b[bn - 1 - pad] == '=')
		pad++;
	if ((bn % 4) != 0) {
		free(b);
		return NULL;
	}
	for (size_t i = 0; i < bn - pad; i++) {
		if (b[i] == '+')
			b[i] = '-';
		else if (b[i] == '/')
			b[i] = '_';
		else if (b[i] == '-' || b[i] == '_')
			b[i] = '!'; /* not standard Base64: refused below */
	}
	unsigned char *out = NULL;
	size_t outlen;
	int rc = b64url_decode(b, bn - pad, &out, &outlen);
	free(b);
	if (rc < 0 || strlen((char *)out) != outlen) {
		free(out);
		return NULL;
	}
	return (char *)out;
}

/* One mirrored header against its body value: absent is fine unless
 * required (2026-07-28 requests, a body value there); present, it must
 * match. -1 with the message in msg. */
static int header_matches(const char *header, const char *name, const char *body, int required, char **msg)
{
	if (!header) {
		if (required && body)
			*msg = ck_asprintf("Header mismatch: the %s header is required", name);
		return required && body ? -1 : 0;
	}
	char *v = header_value(header);
	int ok = v && body && strcmp(v, body) == 0;
	if (!ok)
		*msg =
		    !v ? ck_asprintf("Header mismatch: the %s header is not valid Base64", name)
		    : body
			? ck_asprintf("Header mismatch: %s header value '%s' does not match body value '%s'",
				      name, v, body)
			: ck_asprintf("Header mismatch: %s header set but the body has no such value", name);
	free(v);
	return ok ? 0 : -1;
}

/* The body value Mcp-Name mirrors for method m, or NULL. */
static const char *name_source(const char *m, json_object *params)
{
	if (strcmp(m, "tools/call") == 0 || strcmp(m, "prompts/get") == 0)
		return json_get_string(params, "name");
	if (strcmp(m, "resources/read") == 0)
		return json_get_string(params, "uri");
	return NULL;
}

/* 2026-07-28's per-request fields: the version (the header's) and the
 * client's capabilities in params._meta, each request on its own. */
static enum http_flow check_meta(const struct rpc *c, struct response *resp, json_object *id,
				 json_object *params)
{
	json_object *meta = NULL, *caps = NULL;
	json_object_object_get_ex(params, "_meta", &meta);
	const char *v = json_get_string(meta, META_VERSION);
	if (!v || !json_object_object_get_ex(meta, META_CLIENT_CAPS, &caps) ||
	    !json_object_is_type(caps, json_type_object)) {
		response_jsonrpc_error(
		    resp, 400, id, RPC_INVALID_PARAMS,
		    "params._meta needs " META_VERSION " and " META_CLIENT_CAPS " (an object)", NULL);
		return HTTP_ANSWERED;
	}
	if (strcmp(v, c->version) != 0) {
		char *msg =
		    ck_asprintf("Header mismatch: MCP-Protocol-Version %s, params._meta %s", c->version, v);
		response_jsonrpc_error(resp, 400, id, RPC_HEADER_MISMATCH, msg, NULL);
		free(msg);
		return HTTP_ANSWERED;
	}
	return HTTP_GO_ON;
}

/* The checks of one message, before any token is looked at: JSON-RPC's
 * shape, then (not in a batch) the mirrored headers, then under
 * 2026-07-28 the per-request _meta. An error carries the request's id
 * whenever one could be read. */
static enum http_flow rpc_check(const struct rpc *c, struct response *resp, json_object *msg)
{
	json_object *id = NULL, *method = NULL, *params = NULL;
	int has_id = json_object_object_get_ex(msg, "id", &id);
	int has_method = json_object_object_get_ex(msg, "method", &method);
	const char *version = json_get_string(msg, "jsonrpc");
	json_object *echo = valid_id(id) ? id : NULL;
	if (!version || strcmp(version, "2.0") != 0) {
		response_jsonrpc_error(resp, 400, echo, RPC_INVALID_REQUEST, "Not a JSON-RPC 2.0 message",
				       NULL);
		return HTTP_ANSWERED;
	}
	if (has_id && !valid_id(id)) {
		char *text =
		    ck_asprintf("Invalid id: an id is a string or a number, not %s", json_type_phrase(id));
		response_jsonrpc_error(resp, 400, NULL, RPC_INVALID_REQUEST, text, NULL);
		free(text);
		return HTTP_ANSWERED;
	}
	if (!has_method) {
		/* A client's response to a server request: answered 202 later. */
		if (has_id && (json_object_object_get_ex(msg, "result", NULL) ||
			       json_object_object_get_ex(msg, "error", NULL)))
			return HTTP_GO_ON;
		response_jsonrpc_error(resp, 400, echo, RPC_INVALID_REQUEST, "A request needs a method",
				       NULL);
		return HTTP_ANSWERED;
	}
	if (!json_object_is_type(method, json_type_string)) {
		response_jsonrpc_error(resp, 400, echo, RPC_INVALID_REQUEST, "method must be a string", NULL);
		return HTTP_ANSWERED;
	}
	if (json_object_object_get_ex(msg, "params", &params) && params &&
	    !json_object_is_type(params, json_type_object)) {
		response_jsonrpc_error(resp, c->modern ? 400 : 200, echo, RPC_INVALID_PARAMS,
				       "params must be an object", NULL);
		return HTTP_ANSWERED;
	}
	const char *m = json_object_get_string(method);
	/* Mcp-Method and Mcp-Name: required of 2026-07-28 requests; when sent,
	 * they must match the body in every era (a gateway may route on them). */
	char *why = NULL;
	if (!c->batched &&
	    (header_matches(c->req->mcp_method, "Mcp-Method", m, c->modern && has_id, &why) < 0 ||
	     header_matches(c->req->mcp_name, "Mcp-Name", name_source(m, params), c->modern && has_id, &why) <
		 0)) {
		response_jsonrpc_error(resp, 400, echo, RPC_HEADER_MISMATCH, why, NULL);
		free(why);
		return HTTP_ANSWERED;
	}
	if (c->modern && has_id)
		return check_meta(c, resp, id, params);
	return HTTP_GO_ON;
}

/* One message that passed rpc_check and the token check. */
static void rpc_dispatch(const struct rpc *c, struct response *resp, json_object *msg)
{
	json_object *id = NULL, *params = NULL;
	const char *m = json_get_string(msg, "method");
	if (!m || !json_object_object_get_ex(msg, "id", &id)) {
		/* A notification, or a client's response: nothing to answer. */
		response_json(resp, 202, NULL);
		return;
	}
	json_object_object_get_ex(msg, "params", &params);
	if (strcmp(m, "initialize") == 0 && !c->modern) {
		if (c->batched) /* 2025-03-26: initialize MUST NOT be part of a batch */
			response_jsonrpc_error(resp, 200, id, RPC_INVALID_REQUEST,
					       "initialize cannot be part of a batch", NULL);
		else
			rpc_initialize(resp, id, params);
	} else if (strcmp(m, "ping") == 0 && !c->modern) {
		response_jsonrpc(resp, 200, id, "result", json_object_new_object());
	} else if (strcmp(m, "server/discover") == 0) {
		rpc_discover(c, resp, id);
	} else if (strcmp(m, "tools/list") == 0) {
		rpc_tools_list(c, resp, id, params);
	} else if (strcmp(m, "tools/call") == 0) {
		rpc_tools_call(c, resp, id, params);
	} else {
		/* 2026-07-28 answers an unknown method 404 (ping and initialize
		 * are gone from it); the handshake revisions 200. */
		char *text = ck_asprintf("Method not found: %s", m);
		response_jsonrpc_error(resp, c->modern ? 404 : 200, id, RPC_METHOD_NOT_FOUND, text, NULL);
		free(text);
	}
}

/* A token that fails, whatever the method: HTTP 401 and its challenge
 * (for this endpoint: every tool's scopes), the guard's body as the
 * error's data. Takes g's body. */
static void rpc_unauthorized(struct response *resp, struct response *g, json_object *id)
{
	char *msg = ck_asprintf("Unauthorized: %s", json_get_string(g->body, "error"));
	for (size_t i = 0; i < g->nheaders; i++)
		response_header(resp, g->headers[i].name, "%s", g->headers[i].value);
	response_jsonrpc_error(resp, g->status, id, RPC_UNAUTHORIZED, msg, g->body);
	g->body = NULL;
	free(msg);
}

/* A 2025-03-26 batch: each message answered in one array, in order
 * (notifications and responses have no answer; none at all is 202). The
 * token is checked once; a tool's 401 or 403 challenge becomes the POST's,
 * so that a client can authorize from it. */
static void rpc_batch(struct rpc *c, struct response *resp)
{
	json_object *batch = c->req->body;
	size_t n = json_object_array_length(batch);
	if (n == 0) {
		response_jsonrpc_error(resp, 400, NULL, RPC_INVALID_REQUEST, "An empty batch", NULL);
		return;
	}
	struct response g;
	response_init(&g);
	if (guard_bearer(c->req, &g) == HTTP_ANSWERED) {
		rpc_unauthorized(resp, &g, NULL);
		response_free(&g);
		return;
	}
	response_free(&g);
	c->batched = 1;
	json_object *answers = json_object_new_array();
	int status = 200;
	for (size_t i = 0; i < n; i++) {
		json_object *msg = json_object_array_get_idx(batch, i);
		struct response r;
		response_init(&r);
		if (!json_object_is_type(msg, json_type_object))
			response_jsonrpc_error(&r, 400, NULL, RPC_INVALID_REQUEST,
					       "A JSON-RPC message is a JSON object", NULL);
		else if (rpc_check(c, &r, msg) == HTTP_GO_ON)
			rpc_dispatch(c, &r, msg);
		if (r.body)
			json_object_array_add(answers, json_object_get(r.body));
		const char *challenge = response_get_header(&r, "WWW-Authenticate");
		if (status == 200 && (r.status == 401 || r.status == 403) && challenge) {
			status = r.status;
			response_header(resp, "WWW-Authenticate", "%s", challenge);
		}
		response_free(&r);
	}
	if (json_object_array_length(answers) == 0) {
		json_object_put(answers);
		response_json(resp, 202, NULL);
		return;
	}
	response_json(resp, status, answers);
	response_header(resp, "Cache-Control", "no-store");
}

/* -32022 with the versions served and the one asked for. */
static void rpc_unsupported_version(struct response *resp, json_object *id, const char *asked)
{
	json_object *data = json_object_new_object();
	json_object_object_add(data, "supported", versions_array());
	json_object_object_add(data, "requested", json_object_new_string(asked));
	char *msg = ck_asprintf("Unsupported protocol version: %s", asked);
	response_jsonrpc_error(resp, 400, id, RPC_UNSUPPORTED_VERSION, msg, data);
	free(msg);
}

static void mcp_post(struct request *req, struct response *resp)
{
	const char *hv = req->protocol_version;
	json_object *id = NULL, *params = NULL;
	json_object_object_get_ex(req->body, "id", &id);
	json_object_object_get_ex(req->body, "params", &params);
	id = valid_id(id) ? id : NULL;
	if (hv && !supported_version(hv)) {
		rpc_unsupported_version(resp, id, hv);
		return;
	}
	if (!req->body) {
		response_jsonrpc_error(resp, 400, NULL, RPC_PARSE_ERROR, "Parse error: the body is not JSON",
				       NULL);
		return;
	}
	struct rpc c = {.req = req, .version = hv ? hv : BATCH_VERSION};
	if (json_object_is_type(req->body, json_type_array)) {
		if (strcmp(c.version, BATCH_VERSION) == 0) {
			rpc_batch(&c, resp);
		} else {
			char *msg = ck_asprintf(
			    "Batch requests are not part of MCP %s (only of " BATCH_VERSION ")", c.version);
			response_jsonrpc_error(resp, 400, NULL, RPC_INVALID_REQUEST, msg, NULL);
			free(msg);
		}
		return;
	}
	if (!json_object_is_type(req->body, json_type_object)) {
		response_jsonrpc_error(resp, 400, NULL, RPC_INVALID_REQUEST,
				       "A JSON-RPC message is a JSON object", NULL);
		return;
	}
	json_object *meta = NULL;
	json_object_object_get_ex(params, "_meta", &meta);
	const char *meta_version = json_get_string(meta, META_VERSION);
	if (!hv && meta_version) {
		/* A 2026-07-28 request without its required header. */
		response_jsonrpc_error(resp, 400, id, RPC_HEADER_MISMATCH,
				       "Header mismatch: the MCP-Protocol-Version header is required", NULL);
		return;
	}
	/* initialize under 2026-07-28 is a method it removed: 404 below. */
	c.modern = strcmp(c.version, MODERN_VERSION) == 0;
	if (rpc_check(&c, resp, req->body) == HTTP_ANSWERED)
		return;
	struct response g;
	response_init(&g);
	if (guard_bearer(req, &g) == HTTP_GO_ON)
		rpc_dispatch(&c, resp, req->body);
	else
		rpc_unauthorized(resp, &g, id);
	response_free(&g);
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
