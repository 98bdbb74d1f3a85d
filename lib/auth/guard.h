/* guard: the requirement check every route passes before its handler,
 * and the one shape of every 401 and 403. Its context (settings, keys,
 * database) comes through the request (req->app). */
#ifndef MCPAUTH_GUARD_H
#define MCPAUTH_GUARD_H

#include "context.h"
#include "http.h"
#include "route.h"

/* Checks req->route's requirement; on success sets req->principal and
 * returns HTTP_GO_ON, otherwise fills resp with the 401 or 403 and returns
 * HTTP_ANSWERED. */
enum http_flow guard_check(struct request *req, struct response *resp);

/* 1 when a caller with principal p (NULL: no token) meets r's requirement
 * as guard_check judges it (a ROUTE_SECOND_FACTOR row: a token with amr
 * otp), 0 otherwise. No step-up (a permission the token was not granted
 * is not met), no audit line, no answer: what tools/list asks of each
 * tool for the caller's token. */
int guard_allows(const struct route *r, const struct principal *p);

/* A Bearer token, when the request presents one, is valid: HTTP_GO_ON (and
 * the principal filled), or HTTP_ANSWERED with the 401 in resp. No
 * Authorization header, or another scheme, goes on: what a public route
 * does with any request. */
enum http_flow guard_bearer(struct request *req, struct response *resp);

/* The absolute URL of the protected resource metadata of the request's
 * resource, for challenges: the MCP endpoint's for /mcp and the routes a
 * tool call runs, the root's for every other route. */
char *guard_resource_metadata_url(const struct request *req);
/* The canonical URL of the request's resource (as above). */
char *guard_resource_url(const struct request *req);
/* The MCP endpoint's URL (mcp), or the root's (origin + "/"):
 * MCPAUTH_RESOURCE_URL's, or built from the request's scheme and Host. */
char *guard_resource_url_of(const struct request *req, int mcp);
/* 1 when aud is one of the suite's own resource URLs for the request arg
 * (a const struct request *): a token_verifier's resource_ok. */
int guard_own_resource(const void *arg, const char *aud);
/* Sets the WWW-Authenticate of a 401: Bearer, realm, error and
 * error_description when error is not NULL, scope (the route's need and
 * offline_access, or route_scopes() for one that needs none, such as /mcp)
 * and resource_metadata. Every 401 of the suite carries one. */
void guard_challenge(const struct request *req, struct response *resp, const char *error,
		     const char *description);

#endif
