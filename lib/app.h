/* app: what a program holds for its whole life, set up once at start:
 * settings, verification keys, the signing key, the database. */
#ifndef MCPAUTH_APP_H
#define MCPAUTH_APP_H

#include <sqlite3.h>
#include <time.h>

#include "config.h"
#include "fetch.h"
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
	struct jwks_cache jwks_cache;  /* Auth0 mode: where keys comes from */
	int auth0;                     /* Auth0 mode (AUTH0_DOMAIN set) */
	struct issuer issuer;     /* only in programs that sign */
	int has_issuer;
	sqlite3 *db;
	const struct route_group *const *groups; /* every group, for the index and mcp */
	size_t ngroups;
	time_t (*now)(void);      /* the clock; tests replace it */
	int cgi;                  /* plain CGI: this process serves one request */
};

extern struct app app;

/* Loads everything once; on failure err says why in one line. */
int app_init(const char *program, const struct route_group *const *groups, size_t ngroups,
	     unsigned flags, char *err, size_t errlen);
void app_free(void);

/* The whole life of a program serving one group: FastCGI on the listening
 * socket found on fd 0, else the one CGI request of its environment. */
int app_main(const char *program, const struct route_group *const *groups, size_t ngroups);

/* Runs one request through the FastCGI-independent path; used by the
 * adapters and the tests. A Host that is not allowed (MCPAUTH_ALLOWED_HOSTS)
 * gets 421 before anything else, OPTIONS included. */
void app_handle(const struct route_group *const *groups, size_t ngroups, struct request *req,
		struct response *resp);
/* The same after the Host check: for the mcp program's tool calls, which
 * carry the Host of the request that was checked. */
void app_dispatch(const struct route_group *const *groups, size_t ngroups, struct request *req,
		  struct response *resp);

#endif
