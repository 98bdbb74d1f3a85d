/* context: what a program holds for its whole life, set up once at start
 * by the orchestrator (app_init, lib/app.c): settings, verification keys,
 * the signing key, the database. Handlers and the guard reach it through
 * their request (req->app), never through a global. */
#ifndef MCPAUTH_CONTEXT_H
#define MCPAUTH_CONTEXT_H

#include <sqlite3.h>
#include <time.h>

#include "config.h"
#include "fetch.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "jwks_cache.h"
#include "route.h"
#include "token.h"

struct app {
	const char *program;
	struct config config;
	struct jwks keys;
	struct token_verifier verifier;
	struct fetch_opts fetch;       /* Auth0 mode: how the tenant is reached */
	struct jwks_cache *jwks_cache; /* Auth0 mode: where keys comes from; NULL otherwise */
	int auth0;		       /* Auth0 mode (AUTH0_DOMAIN set) */
	struct issuer issuer;	       /* only in programs that sign */
	int has_issuer;
	sqlite3 *db;
	const struct route_group *const *groups; /* every group, for the index and mcp */
	size_t ngroups;
	/* Runs a request built in process (a tool call) through every group,
	 * after the Host check: the orchestrator's, handed down to lib/mcp. */
	struct http_handler dispatch;
	time_t (*now)(void); /* the clock; tests replace it */
	int cgi;	     /* plain CGI: this process serves one request */
};

#endif
