#include "app.h"
#include "audit.h"
#include "cors.h"
#include "file.h"
#include "password.h"
#include "tokencache.h"
#include "userdb.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct app app;

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
static int init_auth0_keys(char *err, size_t errlen)
{
	const struct config *c = &app.config;
	if (mkdir(c->state_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", c->state_dir, strerror(errno));
		return -1;
	}
	if (fetch_init() < 0) {
		snprintf(err, errlen, "libcurl cannot be loaded: %s (apt-get install libcurl4)", fetch_init_error());
		return -1;
	}
	app.auth0 = 1;
	app.fetch.ca_file = c->ca_file;
	app.fetch.timeout = c->http_timeout;
	app.fetch.allow_insecure_localhost = c->allow_insecure_localhost;
	jwks_cache_init(&app.jwks_cache, c->jwks_url, c->jwks_file, c->jwks_refresh, c->jwks_min_interval,
			&app.fetch, &app.keys);
	jwks_cache_start(&app.jwks_cache, app.now());
	if (app.keys.nkeys == 0)
		log_msg("no key from %s yet: tokens are answered 503 until it can be fetched", c->jwks_url);
	app.verifier.unknown_kid = unknown_kid;
	app.verifier.unknown_kid_arg = &app.jwks_cache;
	return 0;
}

int app_init(const char *program, const struct route_group *const *groups, size_t ngroups,
	     unsigned flags, char *err, size_t errlen)
{
	memset(&app, 0, sizeof app);
	app.program = program;
	app.groups = groups;
	app.ngroups = ngroups;
	app.now = wall_clock;
	log_set_program(program);
	if (config_load(&app.config, err, errlen) < 0)
		return -1;
	const struct config *c = &app.config;
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
		log_msg("WARNING: MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE=1: client metadata documents are fetched "
			"from loopback and private addresses too; for tests only, never in production");
	if (c->demo_tokens)
		log_msg("WARNING: MCPAUTH_DEMO_TOKENS=1: the literal tokens mock-jwt-user, mock-jwt-admin and "
			"mock-jwt-readonly are accepted; never enable this in production");
	if (config_local_issuer(c)) {
		/* Only a program that signs reads the private key. Another one
		 * makes the keys only when there are none yet (the first start:
		 * whichever program starts first makes them). */
		int signs = (flags & GROUP_SIGNS) != 0;
		if ((signs || access(c->jwks_file, F_OK) != 0) &&
		    issuer_ensure_keys(c->state_dir, c->jwks_file, err, errlen) < 0)
			return -1;
		if (signs && issuer_load(&app.issuer, c->state_dir, err, errlen) < 0)
			return -1;
		app.has_issuer = signs;
	}
	app.verifier.keys = &app.keys;
	app.verifier.issuer = c->issuer;
	app.verifier.audience = c->audience;
	app.verifier.leeway = c->leeway;
	app.verifier.claim_namespace = c->claim_namespace;
	if (config_local_issuer(c)) {
		if (jwks_load_file(&app.keys, c->jwks_file, err, errlen) < 0)
			return -1;
		jwks_drop_retired(&app.keys, app.now());
		if (app.keys.nkeys == 0) {
			snprintf(err, errlen, "%s holds no usable RS256 key", c->jwks_file);
			return -1;
		}
	} else if (init_auth0_keys(err, errlen) < 0) {
		return -1;
	}
	tokencache_init((size_t)c->token_cache);
	if (userdb_open(&app.db, c->db_file, c->state_dir, err, errlen) < 0)
		return -1;
	if (sqlite3_db_readonly(app.db, "main") == 1)
		log_msg("WARNING: %s is read-only: reads are served, every write answers 503", c->db_file);
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
	if (app.auth0) {
		jwks_cache_free(&app.jwks_cache);
		fetch_cleanup();
	}
	jwks_free(&app.keys);
	issuer_free(&app.issuer);
	userdb_close(app.db);
	config_free(&app.config);
	audit_close();
	memset(&app, 0, sizeof app);
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

void app_dispatch(const struct route_group *const *groups, size_t ngroups, struct request *req,
		  struct response *resp)
{
	/* OPTIONS is answered before any route lookup: no route lists it. */
	if (strcmp(req->method, "OPTIONS") == 0) {
		cors_preflight(groups, ngroups, req, resp);
	} else {
		route_dispatch(groups, ngroups, req, resp);
		cors_decorate(req, resp);
	}
	if (resp->status >= 500)
		log_msg("%s %s answered %d", req->method, req->path, resp->status);
}
