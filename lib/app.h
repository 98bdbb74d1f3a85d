/* app: the orchestrator, top of libauth. It sets the program up once
 * (struct app, lib/auth/context.h), owns its loop (FastCGI or CGI, through
 * the adapters of lib/http), and runs each request through its steps in
 * order: route, body, fields, guard, handler. */
#ifndef MCPAUTH_APP_H
#define MCPAUTH_APP_H

#include "context.h"
#include "http.h"
#include "route.h"

/* The one program state (struct app, lib/auth/context.h): main, the
 * tests' set-up and this file's entry points use it; everything they call
 * gets it through the request (req->app). */
extern struct app app;

/* Loads everything once; on failure err says why in one line. */
int app_init(const char *program, const struct route_group *const *groups, size_t ngroups, unsigned flags,
	     char *err, size_t errlen);
void app_free(void);

/* The whole life of a program serving one group: FastCGI on the listening
 * socket found on fd 0, else the one CGI request of its environment. */
int app_main(const char *program, const struct route_group *const *groups, size_t ngroups);

/* Runs one request through the FastCGI-independent path; what the
 * adapters are handed, and the tests call. A Host that is not allowed (MCPAUTH_ALLOWED_HOSTS)
 * gets 421 before anything else, OPTIONS included. */
void app_handle(const struct route_group *const *groups, size_t ngroups, struct request *req,
		struct response *resp);
/* The same after the Host check: for the mcp program's tool calls, which
 * carry the Host of the request that was checked. */
void app_dispatch(const struct route_group *const *groups, size_t ngroups, struct request *req,
		  struct response *resp);
/* The steps a route runs, each of which may answer: the route for method
 * and path (404, 405 with Allow, 400 for a bad path parameter), the body
 * (415, 400), the field table (lib/http/field.h), the guard (401, 403),
 * then the handler. The principal the guard set is freed after it. */
void app_route(const struct route_group *const *groups, size_t ngroups, struct request *req,
	       struct response *resp);

#endif
