/* tool: every route of the route tables as an MCP tool. Its names, its
 * input schema and description come from the route entry; a call builds a
 * request from the tool's arguments and the caller's own Authorization and
 * runs it through the dispatcher it is handed: the same table and
 * requirement check as HTTP. */
#ifndef MCPAUTH_TOOL_H
#define MCPAUTH_TOOL_H

#include <json-c/json.h>
#include <stddef.h>

#include "http.h"
#include "route.h"

#define TOOL_NAME_MAX 64 /* MCP: ^[a-zA-Z0-9_-]{1,64}$ */

struct tool {
	const struct route *route;
	char name[TOOL_NAME_MAX + 1]; /* MCP rule: get_api_auth0_user_id */
	char *express_name;	      /* Express-MCP: GET_/api/auth0/user/:id */
	char *title;		      /* GET /api/auth0/user/:id */
};

struct toolset {
	struct tool *tools;
	size_t ntools;
};

/* Which names toolset_find accepts. */
enum {
	TOOL_NAME_MCP = 1 << 0,
	TOOL_NAME_EXPRESS = 1 << 1,
	TOOL_NAME_TITLE = 1 << 2,
	TOOL_NAME_ANY = TOOL_NAME_MCP | TOOL_NAME_EXPRESS | TOOL_NAME_TITLE,
};

/* The tools of every group not flagged GROUP_NO_TOOLS, in table order,
 * except the /.well-known/ documents (discovery for HTTP clients, not
 * operations). MCP names are unique: a clash gets _2, _3... in table order,
 * so a name stays the same while the tables do. */
void toolset_init(struct toolset *ts, const struct route_group *const *groups, size_t ngroups);
void toolset_free(struct toolset *ts);
const struct tool *toolset_find(const struct toolset *ts, const char *name, unsigned forms);

/* 1 when a tool list shows t to a caller with principal p: with a token,
 * the tools it can call (guard_allows, the guard's own rule); without one
 * (p NULL), every tool, each description saying what it needs. */
int tool_visible(const struct tool *t, const struct principal *p);

/* The MCP name of a route before deduplication: lower-case method, then the
 * path's segments, every other character as '_'. Writes at most
 * TOOL_NAME_MAX + 1 bytes. */
void tool_base_name(const struct route *r, char out[TOOL_NAME_MAX + 1]);

/* The dialect of every schema a tool gives (MCP 2026-07-28: JSON Schema
 * 2020-12, named by "$schema"). */
#define TOOL_SCHEMA_DIALECT "https://json-schema.org/draft/2020-12/schema"

/* {"$schema","type":"object","properties","required",
 * "additionalProperties":false (true for a FIELDS_OPEN table)}:
 * path parameters (required strings), then the route's input fields
 * (the query string for GET and DELETE, the JSON body otherwise). */
json_object *tool_input_schema(const struct tool *t);
/* The route's answer table (a 2xx answer's body) as a JSON Schema with
 * "$schema", closed unless the table is FIELDS_OUT_OPEN; {"$schema",
 * "type":"object"} for a route without one. */
json_object *tool_output_schema(const struct tool *t);
/* The summary, the route and what the caller needs. Caller frees. */
char *tool_description(const struct tool *t);
/* title (as the tool's), readOnlyHint for GET, destructiveHint for PUT,
 * DELETE and ROUTE_DESTRUCTIVE rows, idempotentHint for GET, PUT, DELETE
 * and ROUTE_IDEMPOTENT rows, openWorldHint false: every hint, each time. */
json_object *tool_annotations(const struct tool *t);

/* Builds into *out the request a call of t with args makes: the path with
 * its parameters filled and URL-encoded, the query string (its fields
 * checked here: a query string loses JSON types) or the JSON body (checked
 * by the dispatcher), and the caller's Authorization, Host and scheme.
 * Returns 0, or the HTTP status of the refusal (400, 413) with the message
 * in err, the one a request over HTTP gets for the same input. */
int tool_request(const struct tool *t, json_object *args, const struct request *caller, struct request *out,
		 char *err, size_t errlen);

/* tool_request, then the request through dispatch (the orchestrator's,
 * over every group: req->app->dispatch), handed in since tool sits below
 * it: resp holds the route's answer, or the 400 or 413 of refused
 * arguments, as HTTP answers them. */
void tool_call(const struct tool *t, json_object *args, const struct request *caller,
	       const struct http_handler *dispatch, struct response *resp);

#endif
