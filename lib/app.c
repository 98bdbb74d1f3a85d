/* app: the orchestrator. The only file that knows every layer: it sets
 * the program up, hands the adapters and the tool calls their handler, and
 * runs each request's steps in order. */
#include "app.h"
#include "audit.h"
#include "cgi.h"
#include "cors.h"
#include "fcgi.h"
#include "field.h"
#include "file.h"
#include "guard.h"
#include "keyring.h"
#include "password.h"
#include "pwrules.h"
#include "tokencache.h"
#include "userdb.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct app app;
static struct jwks_cache jwks_cache; /* Auth0 mode's; app.jwks_cache points here */
static struct keyring keyring;	     /* the local issuer's with PostgreSQL; app.keyring points here */

static time_t wall_clock(void)
{
	return time(NULL);
}

static int unknown_kid(void *arg, const char *kid, time_t now)
{
	return jwks_cache_unknown_kid(arg, kid, now);
}

/* Auth0 mode: the keys come from the tenant through the shared cache. A
 * tenant that cannot be reached is not a start-up error: requests with a
 * token answer 503 until its keys arrive. */
static int auth0_keys_init(struct app *a, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	const struct config *c = &a->config;
	if (mkdir(c->state_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", c->state_dir, strerror(errno));
		return -1;
	}
	if (fetch_init() < 0) {
		snprintf(err, errlen, "libcurl cannot be loaded: %s (apt-get install libcurl4)",
			 fetch_init_error());
		return -1;
	}
	a->fetch.ca_file = c->ca_file;
	a->fetch.timeout = c->http_timeout;
	a->fetch.allow_insecure_localhost = c->allow_insecure_localhost;
	a->jwks_cache = &jwks_cache;
	jwks_cache_init(a->jwks_cache, c->jwks_url, c->jwks_file, c->jwks_refresh, c->jwks_min_interval,
			&a->fetch, &a->keys);
	jwks_cache_start(a->jwks_cache, a->now());
	if (a->keys.nkeys == 0)
		log_msg("no key from %s yet: tokens are answered 503 until it can be fetched", c->jwks_url);
	a->verifier.unknown_kid = unknown_kid;
	a->verifier.unknown_kid_arg = a->jwks_cache;
	return 0;
}

static void auth0_keys_tick(const struct app *a, time_t now)
{
	jwks_cache_tick(a->jwks_cache, now);
}

static void auth0_keys_free(struct app *a)
{
	if (!a->jwks_cache) /* its start failed before the cache */
		return;
	jwks_cache_free(a->jwks_cache);
	fetch_cleanup();
}

static int store_unknown_kid(void *arg, const char *kid, time_t now)
{
	return keyring_unknown_kid(arg, kid, now);
}

/* The local issuer with a PostgreSQL store: the keys are the store's, the
 * same on every node (made there at the first start), followed while the
 * program runs; no key file is read or written. Only a program that signs
 * holds the private keys. */
static int store_keys_init(struct app *a, int signs, char *err, size_t errlen)
{
	if (keyring_start(&keyring, a->db, signs, &a->keys, &a->issuer, a->now(), err, errlen) < 0)
		return -1;
	a->keyring = &keyring;
	a->has_issuer = signs;
	a->verifier.unknown_kid = store_unknown_kid;
	a->verifier.unknown_kid_arg = &keyring;
	return 0;
}

/* The local issuer: its own key pair in the state directory, or in the
 * PostgreSQL store that nodes share. */
static int local_keys_init(struct app *a, unsigned flags, char *err, size_t errlen)
{
	const struct config *c = &a->config;
	/* Only a program that signs reads the private key. Another one makes
	 * the keys only when there are none yet (the first start: whichever
	 * program starts first makes them). */
	int signs = (flags & GROUP_SIGNS) != 0;
	if (db_backend(a->db) == DB_POSTGRESQL)
		return store_keys_init(a, signs, err, errlen);
	if ((signs || access(c->jwks_file, F_OK) != 0) &&
	    issuer_ensure_keys(c->state_dir, c->jwks_file, err, errlen) < 0)
		return -1;
	if (signs && issuer_load(&a->issuer, c->state_dir, err, errlen) < 0)
		return -1;
	a->has_issuer = signs;
	if (jwks_load_file(&a->keys, c->jwks_file, err, errlen) < 0)
		return -1;
	jwks_drop_retired(&a->keys, a->now());
	if (a->keys.nkeys == 0) {
		snprintf(err, errlen, "%s holds no usable RS256 key", c->jwks_file);
		return -1;
	}
	return 0;
}

/* Keys from a file that only an operator changes: nothing to refresh.
 * From the store: a version read at most once a second. */
static void local_keys_tick(const struct app *a, time_t now)
{
	if (a->keyring)
		keyring_tick(a->keyring, now);
}

static void local_keys_free(struct app *a)
{
	if (a->keyring)
		keyring_free(a->keyring);
	a->keyring = NULL;
}

static const struct token_source local_source = {"local",	 1, 0, local_keys_init, local_keys_tick,
						 local_keys_free};
static const struct token_source demo_source = {"demo",		1, 1, local_keys_init, local_keys_tick,
						local_keys_free};
static const struct token_source auth0_source = {"auth0",	 0, 0, auth0_keys_init, auth0_keys_tick,
						 auth0_keys_free};

/* The one place the mode is read: config refuses demo tokens with a tenant. */
static const struct token_source *token_source_of(const struct config *c)
{
	if (!config_local_issuer(c))
		return &auth0_source;
	return c->demo_tokens ? &demo_source : &local_source;
}

/* A tool call's request: through every group, after the Host check its
 * caller passed (app_dispatch). */
static void dispatch_all(void *ctx, struct request *req, struct response *resp)
{
	const struct app *a = ctx;
	app_dispatch(a->groups, a->ngroups, req, resp);
}

int app_init(const char *program, const struct route_group *const *groups, size_t ngroups, unsigned flags,
	     char *err, size_t errlen)
{
	memset(&app, 0, sizeof app);
	app.program = program;
	app.groups = groups;
	app.ngroups = ngroups;
	app.now = wall_clock;
	app.dispatch = (struct http_handler){dispatch_all, &app};
	log_set_program(program);
	if (config_load(&app.config, err, errlen) < 0)
		return -1;
	const struct config *c = &app.config;
	pwrules_configure(c);
	/* Every file this program creates (SQLite's -wal, -shm and -journal
	 * included) is its user's alone, and so is what it finds. */
	umask(077);
	if (mkdir(c->state_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", c->state_dir, strerror(errno));
		return -1;
	}
	if (file_secure_dir(c->state_dir, err, errlen) < 0)
		return -1;
	if (audit_open(c->audit_log, err, errlen) < 0)
		return -1;
	/* How client metadata documents (local issuer) and the tenant (Auth0
	 * mode) are fetched. */
	app.fetch.ca_file = c->ca_file;
	app.fetch.timeout = c->http_timeout;
	app.fetch.allow_private = c->client_document_allow_private;
	if (c->client_document_allow_private)
		log_msg(
		    "WARNING: MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE=1: client metadata documents are fetched "
		    "from loopback and private addresses too; for tests only, never in production");
	app.source = token_source_of(c);
	if (app.source->demo_tokens)
		log_msg(
		    "WARNING: MCPAUTH_DEMO_TOKENS=1: the literal tokens mock-jwt-user, mock-jwt-admin and "
		    "mock-jwt-readonly are accepted; never enable this in production");
	app.verifier.keys = &app.keys;
	app.verifier.issuer = c->issuer;
	app.verifier.audience = c->audience;
	app.verifier.leeway = c->leeway;
	app.verifier.claim_namespace = c->claim_namespace;
	tokencache_init((size_t)c->token_cache);
	/* The store before the keys: with PostgreSQL the keys are in it. */
	if (userdb_open(&app.db, c->store, c->state_dir, err, errlen) < 0)
		return -1;
	if (db_read_only(app.db))
		log_msg("WARNING: %s is read-only: reads are served, every write answers 503", c->db_file);
	if (app.source->keys_init(&app, flags, err, errlen) < 0)
		return -1;
	char demo[128];
	if (userdb_demo_logins(app.db, password_verify, demo, sizeof demo))
		log_msg("WARNING: demo users log in with their published passwords: %s; remove them with "
			"'mcpauth user del EMAIL' or set a password with 'mcpauth passwd EMAIL'",
			demo);
	return 0;
}

void app_free(void)
{
	tokencache_free();
	token_release_keys();
	if (app.source)
		app.source->keys_free(&app);
	jwks_free(&app.keys);
	issuer_free(&app.issuer);
	userdb_close(app.db);
	config_free(&app.config);
	audit_close();
	memset(&app, 0, sizeof app);
}

/* What the adapters serve with: the group this program serves (ctx). */
static void serve_group(void *ctx, struct request *req, struct response *resp)
{
	const struct route_group *group = ctx;
	app_handle(&group, 1, req, resp);
}

int app_main(const char *program, const struct route_group *const *groups, size_t ngroups)
{
	const struct route_group *serve = NULL;
	for (size_t i = 0; i < ngroups; i++)
		if (strcmp(groups[i]->name, program) == 0)
			serve = groups[i];
	char err[512];
	if (!serve) {
		fprintf(stderr, "mcpauth-%s: no route group of that name\n", program);
		return 1;
	}
	/* The settings first: a bad one is reported however the program runs. */
	if (app_init(program, groups, ngroups, serve->flags, err, sizeof err) < 0) {
		fprintf(stderr, "mcpauth-%s: %s\n", program, err);
		return 1;
	}
	struct http_handler h = {serve_group, (void *)serve};
	long timeout_ms = app.config.request_timeout * 1000L;
	int rc;
	if (!fcgi_started()) {
		/* No listening socket: a CGI server started us for one request. */
		signal(SIGPIPE, SIG_IGN);
		app.cgi = 1;
		rc = cgi_serve(program, &h, timeout_ms, 0, 1);
	} else {
		rc = fcgi_run(program, &h, timeout_ms);
	}
	app_free();
	return rc;
}

void app_handle(const struct route_group *const *groups, size_t ngroups, struct request *req,
		struct response *resp)
{
	/* DNS rebinding: a page whose name now points here must not reach any
	 * route, so this comes before routing, CORS and OPTIONS. */
	if (!config_host_allowed(&app.config, req->host, req->server_addr)) {
		static int warned;
		/* The reason names the setting, so a site reached by a name
		 * learns what to set from the audit line alone. */
		audit_event(req, "host_refused", "host", req->host, "reason",
			    app.config.allowed_hosts ? "not in MCPAUTH_ALLOWED_HOSTS"
						     : "MCPAUTH_ALLOWED_HOSTS unset: the loopback names and "
						       "the server's address only",
			    NULL);
		/* The notice: once per FastCGI process. Under plain CGI every
		 * request is a process of its own, so it would come with every
		 * refused request; the audit line above is that request's record. */
		if (!app.config.allowed_hosts && !warned && !app.cgi) {
			warned = 1;
			log_msg("a Host other than " CONFIG_LOOPBACK_HOSTS
				" or the server's address was answered "
				"421 (DNS rebinding, or a name this site is reached by: list those in "
				"MCPAUTH_ALLOWED_HOSTS)");
		}
		response_error(resp, 421, "Misdirected request",
			       "This server does not answer for the host named in the Host header");
		return;
	}
	app_dispatch(groups, ngroups, req, resp);
}

/* Seconds a 503 asks the client to wait before trying again. */
#define APP_RETRY_AFTER 2

void app_dispatch(const struct route_group *const *groups, size_t ngroups, struct request *req,
		  struct response *resp)
{
	/* OPTIONS is answered before any route lookup: no route lists it. */
	if (strcmp(req->method, "OPTIONS") == 0) {
		cors_preflight(&app.config, groups, ngroups, req, resp);
	} else {
		app_route(groups, ngroups, req, resp);
		cors_decorate(&app.config, req, resp);
	}
	/* Every 503 says when to come back: a store that cannot be reached
	 * (PostgreSQL restarting, a disk gone read-only) is tried again by the
	 * next request, so clients wait a little and retry. Handlers that know
	 * better (the tenant's keys) set their own. */
	if (resp->status == 503 && !response_get_header(resp, "Retry-After"))
		response_header(resp, "Retry-After", "%d", APP_RETRY_AFTER);
	if (resp->status >= 500)
		log_msg("%s %s answered %d", req->method, req->path, resp->status);
}

/* A refusal of the transport step: {"error","message"}, or on a JSON-RPC
 * route an error of code HTTP_RPC_REFUSED whose message is rpc_message,
 * with the request's id when the body has one that can be read. */
static void refuse(const struct request *req, struct response *resp, int status, const char *error,
		   const char *message, const char *rpc_message)
{
	json_object *id = NULL;
	if (!(req->route->flags & ROUTE_JSONRPC)) {
		response_error(resp, status, error, message);
		return;
	}
	json_object_object_get_ex(req->body, "id", &id);
	if (!json_object_is_type(id, json_type_string) && !json_object_is_type(id, json_type_int) &&
	    !json_object_is_type(id, json_type_double))
		id = NULL;
	response_jsonrpc_error(resp, status, id, HTTP_RPC_REFUSED, rpc_message, NULL);
}

/* The transport and body step, before the body is looked at, in the
 * route's shape: 403 for an Origin a ROUTE_ORIGIN_CHECKED route does not
 * admit, 415 for a route that takes JSON only, 406 for an Accept that
 * refuses JSON, 400 for a body that is not JSON (unless the handler
 * answers that itself). */
static enum http_flow check_body(const struct route *r, const struct request *req, struct response *resp)
{
	if ((r->flags & ROUTE_ORIGIN_CHECKED) && req->origin && !cors_origin_allowed(&app.config, req)) {
		refuse(req, resp, 403, "Origin not allowed", "This Origin may not call the MCP endpoints",
		       "Origin not allowed");
		return HTTP_ANSWERED;
	}
	if ((r->flags & ROUTE_JSON_ONLY) && !http_content_type_is_json(req->content_type)) {
		refuse(req, resp, 415, "Unsupported media type", "Content-Type must be application/json",
		       "Content-Type must be application/json");
		return HTTP_ANSWERED;
	}
	if ((r->flags & ROUTE_ACCEPT_JSON) && !http_accepts_json(req->accept)) {
		refuse(req, resp, 406, "Not acceptable", "Accept must allow application/json",
		       "Accept must allow application/json");
		return HTTP_ANSWERED;
	}
	if (req->body_invalid && !(r->flags & ROUTE_RAW_BODY)) {
		response_error(resp, 400, "Invalid JSON", "The request body is not valid JSON");
		return HTTP_ANSWERED;
	}
	return HTTP_GO_ON;
}

void app_route(const struct route_group *const *groups, size_t ngroups, struct request *req,
	       struct response *resp)
{
	/* A tool call's request borrows its caller's principal: not ours to free. */
	struct principal *borrowed = req->principal;
	req->app = &app;
	/* Fields before the token: one bad input gets one answer, whoever sends it. */
	if (route_find(groups, ngroups, req, resp) == HTTP_GO_ON &&
	    check_body(req->route, req, resp) == HTTP_GO_ON &&
	    field_check_request(req->route->fields, route_in_query(req->route), req, resp) == HTTP_GO_ON &&
	    guard_check(req, resp) == HTTP_GO_ON)
		req->route->handler(req, resp);
	if (req->principal != borrowed) {
		principal_free(req->principal);
		free(req->principal);
		req->principal = borrowed;
	}
}
