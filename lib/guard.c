/* guard: the requirement check every route passes before its handler,
 * and the one shape of every 401 and 403. */
#include "app.h"
#include "audit.h"
#include "flowstore.h"
#include "tokencache.h"
#include "userdb.h"
#include "route.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *safe_host(const struct request *req)
{
	const char *h = req->host;
	/* Never a Host the request could not have been answered for. */
	if (!h || !*h || strlen(h) > 255 || !config_host_allowed(&app.config, h, req->server_addr))
		return "localhost";
	for (const char *p = h; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
			return "localhost";
	return h;
}

/* The resource URL into b. */
static void add_resource_url(struct sbuf *b, const struct request *req)
{
	if (app.config.resource_url) {
		sbuf_adds(b, app.config.resource_url);
		return;
	}
	sbuf_adds(b, req->https ? "https://" : "http://");
	sbuf_adds(b, safe_host(req));
	sbuf_adds(b, "/mcp");
}

char *guard_resource_url(const struct request *req)
{
	struct sbuf b = {0};
	add_resource_url(&b, req);
	return sbuf_take(&b);
}

/* RFC 9728 section 3.1: the well-known segment goes between the origin and
 * the resource's path; a resource URL ending in '/' gives no trailing slash. */
static void add_resource_metadata_url(struct sbuf *b, const struct request *req)
{
	struct sbuf res = {0};
	add_resource_url(&res, req);
	const char *scheme_end = strstr(res.p, "://");
	const char *path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
	size_t origin = path ? (size_t)(path - res.p) : res.len;
	size_t start = b->len;
	sbuf_add(b, res.p, origin);
	sbuf_adds(b, "/.well-known/oauth-protected-resource");
	if (path && path[1])
		sbuf_adds(b, path);
	if (b->len > start && b->p[b->len - 1] == '/')
		b->p[--b->len] = '\0';
	sbuf_free(&res);
}

char *guard_resource_metadata_url(const struct request *req)
{
	struct sbuf b = {0};
	add_resource_metadata_url(&b, req);
	return sbuf_take(&b);
}

void guard_challenge(const struct request *req, struct response *resp, const char *error,
		     const char *description)
{
	/* Built by appending: this runs on every 401, and printf costs more
	 * than the rest of the answer. */
	struct sbuf b = {0};
	sbuf_adds(&b, "Bearer realm=\"mcpauth\", ");
	if (error) {
		sbuf_adds(&b, "error=\"");
		sbuf_adds(&b, error);
		sbuf_adds(&b, "\", error_description=\"");
		sbuf_adds(&b, description);
		sbuf_adds(&b, "\", ");
	}
	sbuf_adds(&b, "resource_metadata=\"");
	add_resource_metadata_url(&b, req);
	sbuf_adds(&b, "\"");
	response_header_take(resp, "WWW-Authenticate", sbuf_take(&b));
}

/* 403: the token is good but lacks what the route needs. Takes have. */
static void insufficient(struct request *req, struct response *resp, const char *error,
			 const char *kind, const char *have_key, json_object *have)
{
	const char *need = req->route->need;
	char *msg = ck_asprintf("%s '%s' required", kind, need);
	json_object *body = response_error(resp, 403, error, msg);
	json_object_object_add(body, have_key, have);
	free(msg);
	char *meta = guard_resource_metadata_url(req);
	response_header(resp, "WWW-Authenticate",
			"Bearer realm=\"mcpauth\", error=\"insufficient_scope\", scope=\"%s\", "
			"resource_metadata=\"%s\"",
			need, meta);
	free(meta);
}

/* MCPAUTH_DEMO_TOKENS=1: the example's literal tokens stand for the demo
 * users, with their stored permissions. Local issuer only (config refuses
 * it otherwise). */
static int demo_principal(const char *token, size_t len, struct principal *p)
{
	static const char *const map[][2] = {
		{"mock-jwt-user", "user@example.com"},
		{"mock-jwt-admin", "admin@example.com"},
		{"mock-jwt-readonly", "viewer@example.com"},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strlen(map[i][0]) != len || memcmp(map[i][0], token, len) != 0)
			continue;
		struct user u;
		if (userdb_find_by_email(app.db, map[i][1], &u) != USERDB_OK)
			return 0;
		json_object *c = json_object_new_object();
		json_object_object_add(c, "sub", json_object_new_string(u.sub));
		json_object_object_add(c, "email", json_object_new_string(u.email));
		json_object_object_add(c, "name", json_object_new_string(u.name));
		json_object_object_add(c, "permissions", json_word_array(u.permissions));
		json_object_object_add(c, "scope", json_object_new_string(u.scope));
		user_free(&u);
		memset(p, 0, sizeof *p);
		p->claims = c;
		p->sub = json_get_string(c, "sub");
		p->email = json_get_string(c, "email");
		p->name = json_get_string(c, "name");
		json_object_object_get_ex(c, "permissions", &p->permissions);
		p->scope = json_get_string(c, "scope");
		p->exp = (double)app.now() + 3600;
		return 1;
	}
	return 0;
}

/* A tenant's access tokens carry no email or name unless an Action adds
 * them: take what the token lacks from the user store by sub. Never fails
 * the request; what is found nowhere stays NULL. */
static void fill_from_store(struct principal *p)
{
	if (p->email && p->name)
		return;
	const struct user *u;
	if (userdb_peek_by_sub(app.db, p->sub, &u) != USERDB_OK)
		return;
	p->fill = json_object_new_object();
	if (!p->email) {
		json_object_object_add(p->fill, "email", json_object_new_string(u->email));
		p->email = json_get_string(p->fill, "email");
	}
	if (!p->name) {
		json_object_object_add(p->fill, "name", json_object_new_string(u->name));
		p->name = json_get_string(p->fill, "name");
	}
}

/* The authorization server's tokens name their grant (grant_id, the
 * refresh family): once it is revoked (POST /oauth/revoke, mcpauth grant
 * revoke, a replayed code or refresh token) they stop working before they
 * expire. A tenant's tokens are not ours to look up. */
static int grant_live(const struct principal *p)
{
	if (!p->grant_id || app.auth0)
		return 1;
	int rc = flowstore_grant_live(app.db, p->grant_id);
	if (rc < 0)
		log_msg("cannot read whether a grant was revoked; its token is accepted until it expires");
	return rc != 0;
}

static enum token_status authenticate(struct request *req, const char **reason)
{
	const char *token;
	size_t len;
	*reason = "no bearer token";
	if (token_from_header(req->authorization, &token, &len) != TOKEN_OK)
		return TOKEN_MISSING;
	if (app.config.demo_tokens && demo_principal(token, len, &req->principal)) {
		req->has_principal = 1;
		return TOKEN_OK;
	}
	time_t now = app.now();
	if (app.auth0)
		jwks_cache_tick(&app.jwks_cache, now);
	unsigned char hash[32];
	enum token_status st = TOKEN_OK;
	if (!tokencache_get(token, len, now, &app.verifier, hash, &req->principal)) {
		st = token_verify(&app.verifier, token, len, now, &req->principal, reason);
		if (st != TOKEN_OK)
			return st;
		tokencache_put(hash, &req->principal);
	}
	req->has_principal = 1;
	if (!grant_live(&req->principal)) {
		*reason = "grant revoked";
		principal_free(&req->principal);
		req->has_principal = 0;
		return TOKEN_INVALID;
	}
	fill_from_store(&req->principal);
	return st;
}

int guard_check(struct request *req, struct response *resp)
{
	const struct route *r = req->route;
	if (r->req == ROUTE_PUBLIC)
		return 1;
	const char *reason;
	switch (authenticate(req, &reason)) {
	case TOKEN_OK:
		break;
	case TOKEN_MISSING:
		guard_challenge(req, resp, NULL, NULL);
		response_error(resp, 401, "No token provided", "Authorization header with Bearer token required");
		return 0;
	case TOKEN_EXPIRED:
		audit_event(req, "token_rejected", "reason", reason ? reason : "expired", NULL);
		guard_challenge(req, resp, "invalid_token", "The token expired");
		response_error(resp, 401, "Token expired", "Please obtain a new token");
		return 0;
	case TOKEN_UNAVAILABLE:
		/* Not the caller's fault: the tenant's keys have not been fetched yet. */
		response_error(resp, 503, "Service unavailable",
			       "The signing keys of the Auth0 tenant cannot be fetched yet; try again shortly");
		response_header(resp, "Retry-After", "%ld", app.config.jwks_min_interval);
		return 0;
	case TOKEN_INVALID:
	default:
		audit_event(req, "token_rejected", "reason", reason ? reason : "invalid", NULL);
		guard_challenge(req, resp, "invalid_token", "Token validation failed");
		response_error(resp, 401, "Invalid token", "Token validation failed");
		return 0;
	}
	const struct principal *p = &req->principal;
	if (r->req == ROUTE_PERMISSION && !principal_has_permission(p, r->need)) {
		audit_event(req, "permission_denied", "sub", p->sub, "need", r->need, NULL);
		insufficient(req, resp, "Insufficient permissions", "Permission", "userPermissions",
			     p->permissions ? json_object_get(p->permissions) : json_object_new_array());
		return 0;
	}
	if (r->req == ROUTE_SCOPE) {
		if (!p->scope) {
			audit_event(req, "scope_denied", "sub", p->sub, "need", r->need, "reason", "no scope claim", NULL);
			guard_challenge(req, resp, "invalid_token", "Token does not contain scope information");
			response_error(resp, 401, "No scope information", "Token does not contain scope information");
			return 0;
		}
		if (!principal_has_scope(p, r->need)) {
			audit_event(req, "scope_denied", "sub", p->sub, "need", r->need, NULL);
			insufficient(req, resp, "Insufficient scope", "Scope", "userScopes", json_word_array(p->scope));
			return 0;
		}
	}
	return 1;
}
