/* route: the route table and its lookup. Requirements are data: the
 * orchestrator (lib/app.c) checks them before any handler runs. */
#ifndef MCPAUTH_ROUTE_H
#define MCPAUTH_ROUTE_H

#include <stddef.h>

#include "field.h"
#include "http.h"

enum route_req {
	ROUTE_PUBLIC,	  /* no token needed */
	ROUTE_TOKEN,	  /* any valid token */
	ROUTE_PERMISSION, /* valid token whose permissions claim holds need */
	ROUTE_SCOPE,	  /* valid token whose scope claim holds need */
};

enum {
	ROUTE_RAW_BODY = 1 << 0,  /* the handler answers a malformed body itself */
	ROUTE_JSON_ONLY = 1 << 1, /* 415 unless the body is application/json: no form of
				     another site can post it without a CORS preflight */
	/* Not a tool on /mcp: it takes credentials (passwords, refresh tokens),
	 * which never pass through a model; /mcp/tools and /mcp/invoke keep it. */
	ROUTE_NO_MCP = 1 << 2,
	/* Public, and its handler answers a failing Bearer token itself
	 * (guard_bearer), in its own shape (JSON-RPC). */
	ROUTE_CHECKS_TOKEN = 1 << 3,
	/* An Origin header, when sent, must be one cors_origin_allowed admits
	 * (DNS rebinding: a page must not reach a local server through a
	 * browser); 403 otherwise. */
	ROUTE_ORIGIN_CHECKED = 1 << 4,
	/* 406 unless Accept allows application/json (http_accepts_json). */
	ROUTE_ACCEPT_JSON = 1 << 5,
	/* The dispatcher's refusals above (Origin, 415, 406) are JSON-RPC 2.0
	 * errors (id null, code HTTP_RPC_REFUSED): the MCP endpoint's shape. */
	ROUTE_JSONRPC = 1 << 6,
	/* What a call does beyond what its method says (GET only reads; PUT
	 * and DELETE overwrite or delete, and a repeat changes nothing more):
	 * the MCP tool's destructiveHint and idempotentHint (lib/mcp/tool.c).
	 * (1 << 7 is left to the second-factor requirement of issue 17.) */
	ROUTE_DESTRUCTIVE = 1 << 8, /* it deletes or overwrites what exists */
	ROUTE_IDEMPOTENT = 1 << 9,  /* the same call again changes nothing more */
};

typedef void (*route_handler)(struct request *req, struct response *resp);

struct route {
	const char *method;
	const char *pattern; /* "/api/auth0/user/:id" */
	enum route_req req;
	const char *need;		   /* permission or scope name */
	const char *summary;		   /* one line */
	const struct route_fields *fields; /* input and answer fields, or NULL: nothing checked */
	route_handler handler;
	unsigned flags;
};

enum {
	GROUP_SIGNS = 1 << 0,	 /* the program issues tokens: load the private key */
	GROUP_NO_TOOLS = 1 << 1, /* its routes are not MCP tools (the mcp group itself) */
};

struct route_group {
	const char *name;
	const struct route *routes;
	size_t nroutes;
	unsigned flags;
};

#define ROUTE_TABLE(t) (t), (sizeof(t) / sizeof((t)[0]))

/* 1 if path matches the pattern; fills req->params (URL-decoded) when req
 * is given. -1 if it matches but a parameter does not decode. */
int route_match(const struct route *r, const char *path, struct request *req);

/* 1 when the route's input is its query string (GET, HEAD, DELETE), 0
 * when it is the JSON body. */
int route_in_query(const struct route *r);

/* Finds the route for req in the groups: HTTP_GO_ON with req->route set
 * and its path parameters in req->params; HTTP_ANSWERED with resp: 404 for no path,
 * 405 with Allow for a wrong method, 400 for a path parameter that does
 * not decode. Rows without a handler are skipped. The steps after it are
 * the orchestrator's (app_route, lib/app.h). */
enum http_flow route_find(const struct route_group *const *groups, size_t ngroups, struct request *req,
			  struct response *resp);

/* The methods of the routes matching path, each once, "GET, PUT", into buf
 * (n bytes); the count, 0 when no route matches. Rows without a handler are
 * skipped. The 405's Allow and the CORS preflight's methods. */
size_t route_path_methods(const struct route_group *const *groups, size_t ngroups, const char *path,
			  char *buf, size_t n);

enum route_text {
	ROUTE_TEXT_SHORT,    /* "permission read:users", "scope email", "valid token", "none" */
	ROUTE_TEXT_SENTENCE, /* "Requires an access token with the permission 'read:users'." */
};
/* The route's requirement in words, into buf (n bytes): the index's and
 * /mcp/tools' "requires", and the sentence that ends a tool's description. */
const char *route_requirement_text(const struct route *r, enum route_text how, char *buf, size_t n);

/* The scopes the suite knows, space-separated: "openid profile email
 * offline_access", then each permission or scope a route of groups needs,
 * once, in table order (rows without handlers count). Caller frees. */
char *route_scopes(const struct route_group *const *groups, size_t ngroups);

#endif
