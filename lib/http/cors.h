/* cors: Cross-Origin Resource Sharing for browser pages on the origins of
 * MCPAUTH_CORS_ORIGINS (on the MCP endpoints also MCPAUTH_ALLOWED_ORIGINS).
 * The exact origin is echoed, never "*"; no credentials mode is offered:
 * the API takes bearer tokens in Authorization, not cookies. */
#ifndef MCPAUTH_CORS_H
#define MCPAUTH_CORS_H

#include "config.h"
#include "route.h"

#define CORS_ALLOW_HEADERS "Authorization, Content-Type, MCP-Protocol-Version, Mcp-Method, Mcp-Name"
#define CORS_EXPOSE_HEADERS "WWW-Authenticate, Retry-After"
#define CORS_MAX_AGE 600

/* The request's Origin may use the API from a browser. */
int cors_origin_allowed(const struct config *c, const struct request *req);

/* Answers OPTIONS before any route lookup: 404 when no route has the path;
 * with an allowed Origin the preflight answer, 204 with
 * Access-Control-Allow-Origin, -Methods (the path's), -Headers and
 * -Max-Age; with any other Origin 403 and no CORS header; without Origin
 * 204 with Allow. */
void cors_preflight(const struct config *c, const struct route_group *const *groups, size_t ngroups,
		    const struct request *req, struct response *resp);

/* After a route answered: Access-Control-Allow-Origin and -Expose-Headers
 * for an allowed Origin; Vary: Origin on every answer once any origin is
 * configured, so that caches keep the answers apart. */
void cors_decorate(const struct config *c, const struct request *req, struct response *resp);

#endif
