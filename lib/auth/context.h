/* context: what a program holds for its whole life, set up once at start
 * by the orchestrator (app_init, lib/app.c): settings, verification keys,
 * the signing key, the database. Handlers and the guard reach it through
 * their request (req->app), never through a global. */
#ifndef MCPAUTH_CONTEXT_H
#define MCPAUTH_CONTEXT_H

#include <time.h>

#include "config.h"
#include "db.h"
#include "fetch.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "jwks_cache.h"
#include "route.h"
#include "token.h"

struct app;
struct keyring;

/* Where the tokens the suite trusts come from, chosen once by app_init:
 * the local issuer, the local issuer with the demo tokens, or an Auth0
 * tenant. Callers ask this table (req->app->source), never the mode. */
struct token_source {
	const char *name; /* "local", "demo" or "auth0" */
	/* The suite is the authorization server: it signs tokens, serves
	 * login, /authorize, the /oauth endpoints, registration and discovery,
	 * and its tokens name grants it can revoke. 0: the tenant is
	 * (AUTH0_DOMAIN). */
	int issues_tokens;
	/* MCPAUTH_DEMO_TOKENS=1: the literal demo tokens are accepted. */
	int demo_tokens;
	/* Loads the verification keys (and the signing key when flags has
	 * GROUP_SIGNS) into app; -1 with err on failure. */
	int (*keys_init)(struct app *app, unsigned flags, char *err, size_t errlen);
	/* Before the keys are used at now: refreshes them when due. */
	void (*keys_tick)(const struct app *app, time_t now);
	void (*keys_free)(struct app *app);
};

struct app {
	const char *program;
	struct config config;
	struct jwks keys;
	struct token_verifier verifier;
	struct fetch_opts fetch;	   /* Auth0 mode: how the tenant is reached */
	struct jwks_cache *jwks_cache;	   /* Auth0 mode: where keys comes from; NULL otherwise */
	struct keyring *keyring;	   /* local issuer with PostgreSQL: where keys and issuer come from */
	const struct token_source *source; /* set once by app_init */
	struct issuer issuer;		   /* only in programs that sign */
	int has_issuer;
	struct db *db;
	const struct route_group *const *groups; /* every group, for the index and mcp */
	size_t ngroups;
	/* Runs a request built in process (a tool call) through every group,
	 * after the Host check: the orchestrator's, handed down to lib/mcp. */
	struct http_handler dispatch;
	time_t (*now)(void); /* the clock; tests replace it */
	int cgi;	     /* plain CGI: this process serves one request */
};

#endif
