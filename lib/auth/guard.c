/* guard: the requirement check every route passes before its handler,
 * and the one shape of every 401 and 403. */
#include "guard.h"
#include "audit.h"
#include "flowstore.h"
#include "tokencache.h"
#include "userdb.h"
#include "userjson.h"
#include "route.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *safe_host(const struct request *req)
{
	const char *h = req->host;
	const struct app *app = req->app;
	/* Never a Host the request could not have been answered for. */
	if (!h || !*h || strlen(h) > 255 || !config_host_allowed(&app->config, h, req->server_addr))
		return "localhost";
	for (const char *p = h; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
			return "localhost";
	return h;
}

/* The MCP endpoint's requests (/mcp, /mcp/..., and the routes a tool call
 * runs) belong to the resource at /mcp; every other route to the root. */
static int request_is_mcp(const struct request *req)
{
	return req->via_mcp || !req->path ||
	       (strncmp(req->path, "/mcp", 4) == 0 && (req->path[4] == '\0' || req->path[4] == '/'));
}

/* The length of a URL's scheme and authority ("https://a.example:8443"). */
static size_t origin_len(const char *url)
{
	const char *scheme_end = strstr(url, "://");
	const char *path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
	return path ? (size_t)(path - url) : strlen(url);
}

/* The resource URL into b: the MCP endpoint, or the root (origin + "/"). */
static void add_resource_url(struct sbuf *b, const struct request *req, int mcp)
{
	const char *configured = req->app->config.resource_url;
	if (configured) {
		if (mcp)
			sbuf_adds(b, configured);
		else {
			sbuf_add(b, configured, origin_len(configured));
			sbuf_adds(b, "/");
		}
		return;
	}
	sbuf_adds(b, req->https ? "https://" : "http://");
	sbuf_adds(b, safe_host(req));
	sbuf_adds(b, mcp ? "/mcp" : "/");
}

char *guard_resource_url_of(const struct request *req, int mcp)
{
	struct sbuf b = {0};
	add_resource_url(&b, req, mcp);
	return sbuf_take(&b);
}

char *guard_resource_url(const struct request *req)
{
	return guard_resource_url_of(req, request_is_mcp(req));
}

/* RFC 9728 section 3.1: the well-known segment goes between the origin and
 * the resource's path; a resource URL ending in '/' gives no trailing slash. */
static void add_resource_metadata_url(struct sbuf *b, const struct request *req)
{
	struct sbuf res = {0};
	add_resource_url(&res, req, request_is_mcp(req));
	size_t origin = origin_len(res.p);
	const char *path = res.p + origin;
	size_t start = b->len;
	sbuf_add(b, res.p, origin);
	sbuf_adds(b, "/.well-known/oauth-protected-resource");
	if (*path && path[1])
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

int guard_own_resource(const void *arg, const char *aud)
{
	const struct request *req = arg;
	/* Built from the request as its metadata is: its scheme and Host. */
	return config_resource_ok(&req->app->config, aud, req->host, req->server_addr, req->https);
}

/* Every scope the suite knows (route_scopes), built once per group set:
 * what a challenge names where the route needs none, such as /mcp, whose
 * tools need them all. */
static const char *all_scopes(const struct app *app)
{
	static char *scopes;
	static const struct route_group *const *built_for;
	if (!scopes || built_for != app->groups) {
		free(scopes);
		scopes = route_scopes(app->groups, app->ngroups);
		built_for = app->groups;
	}
	return scopes;
}

/* A header value's quoted string holds no '"', '\\' or control: words of
 * a token's scope that would break it are left out. */
static void add_scope_words(struct sbuf *b, const char *words)
{
	const char *s;
	size_t n;
	for (const char *c = words; list_next(&c, " ", &s, &n);) {
		int ok = 1;
		for (size_t i = 0; i < n && ok; i++)
			ok = (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f && s[i] != '"' &&
			     s[i] != '\\';
		if (ok) {
			if (b->len && b->p[b->len - 1] != '"')
				sbuf_adds(b, " ");
			sbuf_add(b, s, n);
		}
	}
}

/* Past this a challenge names no scope: a header stays well under the
 * servers' limits, and scopes_supported still lists them all. */
#define CHALLENGE_SCOPE_MAX 1024

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
		if (description) {
			sbuf_adds(&b, "\", error_description=\"");
			sbuf_adds(&b, description);
		}
		sbuf_adds(&b, "\", ");
	}
	/* What to ask for: the route's need and offline_access (so that the
	 * client keeps working on a refresh token), or where the route needs
	 * none (the MCP endpoint) every scope the suite knows. */
	const struct route *r = req->route;
	int own = r && r->need && *r->need;
	const char *scope = own ? r->need : all_scopes(req->app);
	if (strlen(scope) < CHALLENGE_SCOPE_MAX) {
		sbuf_adds(&b, "scope=\"");
		add_scope_words(&b, scope);
		if (own)
			add_scope_words(&b, "offline_access");
		sbuf_adds(&b, "\", ");
	}
	sbuf_adds(&b, "resource_metadata=\"");
	add_resource_metadata_url(&b, req);
	sbuf_adds(&b, "\"");
	response_header_take(resp, "WWW-Authenticate", sbuf_take(&b));
}

/* 403: the token is good but lacks what the route needs. Takes have. */
static void insufficient(struct request *req, struct response *resp, const char *error, const char *kind,
			 const char *have_key, json_object *have)
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
static int demo_principal(const struct app *app, const char *token, size_t len, struct principal *p)
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
		if (userdb_find_by_email(app->db, map[i][1], &u) != USERDB_OK)
			return 0;
		json_object *c = user_json(&u, USER_JSON_SUB | USER_JSON_PERMISSIONS | USER_JSON_SCOPE);
		user_free(&u);
		memset(p, 0, sizeof *p);
		p->claims = c;
		p->sub = json_get_string(c, "sub");
		p->email = json_get_string(c, "email");
		p->name = json_get_string(c, "name");
		json_object_object_get_ex(c, "permissions", &p->permissions);
		p->scope = json_get_string(c, "scope");
		p->exp = (double)app->now() + 3600;
		return 1;
	}
	return 0;
}

/* A tenant's access tokens carry no email or name unless an Action adds
 * them: take what the token lacks from the user store by sub. Never fails
 * the request; what is found nowhere stays NULL. */
static void fill_from_store(const struct app *app, struct principal *p)
{
	if (p->email && p->name)
		return;
	const struct user *u;
	if (userdb_peek_by_sub(app->db, p->sub, &u) != USERDB_OK)
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
static int grant_live(const struct app *app, const struct principal *p)
{
	if (!p->grant_id || !app->source->issues_tokens)
		return 1;
	int rc = flowstore_grant_live(app->db, p->grant_id);
	if (rc < 0)
		log_msg("cannot read whether a grant was revoked; its token is accepted until it expires");
	return rc != 0;
}

/* The principal in req, for the request's life (the orchestrator frees it). */
static enum token_status set_principal(struct request *req, const struct principal *p)
{
	req->principal = ck_malloc(sizeof *req->principal);
	*req->principal = *p;
	return TOKEN_OK;
}

static enum token_status authenticate(struct request *req, enum token_failure *why)
{
	const struct app *app = req->app;
	const char *token;
	size_t len;
	struct principal p;
	*why = TOKEN_FAIL_NO_BEARER;
	if (token_from_header(req->authorization, &token, &len) != TOKEN_OK)
		return TOKEN_MISSING;
	if (app->source->demo_tokens && demo_principal(app, token, len, &p))
		return set_principal(req, &p);
	time_t now = app->now();
	app->source->keys_tick(app, now);
	/* aud may also be one of the suite's own resource URLs, which depend
	 * on the request (its Host and scheme): checked against this one. */
	struct token_verifier v = app->verifier;
	v.resource_ok = guard_own_resource;
	v.resource_arg = req;
	unsigned char hash[32];
	enum token_status st = TOKEN_OK;
	if (!tokencache_get(token, len, now, &v, hash, &p)) {
		st = token_verify(&v, token, len, now, &p, why);
		if (st != TOKEN_OK)
			return st;
		tokencache_put(hash, &p);
	}
	if (!grant_live(app, &p)) {
		*why = TOKEN_FAIL_GRANT_REVOKED;
		principal_free(&p);
		return TOKEN_INVALID;
	}
	fill_from_store(app, &p);
	return set_principal(req, &p);
}

/* Step-up (MCP): a token from the authorization flow (it names its client)
 * lacks what the route needs, and the user holds it now: 403
 * insufficient_scope naming the token's scope plus the need, so that the
 * client asks the user again. HTTP_ANSWERED when answered. */
static enum http_flow step_up(struct request *req, struct response *resp, int permission)
{
	const struct principal *p = req->principal;
	const char *need = req->route->need;
	const struct user *u;
	if (!p->client_id || userdb_peek_by_sub(req->app->db, p->sub, &u) != USERDB_OK ||
	    !words_has(permission ? u->permissions : u->scope, need, strlen(need)))
		return HTTP_GO_ON;
	struct sbuf scope = {0};
	sbuf_adds(&scope, "");
	if (p->scope && strlen(p->scope) < CHALLENGE_SCOPE_MAX)
		add_scope_words(&scope, p->scope);
	if (!p->scope || !words_has(p->scope, need, strlen(need)))
		add_scope_words(&scope, need);
	audit_event(req, "step_up_required", "sub", p->sub, "client_id", p->client_id, "need", need, NULL);
	char *msg =
	    ck_asprintf("%s '%s' was not granted to this client; authorize again with the scope named here",
			permission ? "Permission" : "Scope", need);
	json_object *body = response_error(resp, 403, "insufficient_scope", msg);
	json_object_object_add(body, "scope", json_object_new_string(scope.p));
	free(msg);
	struct sbuf h = {0};
	sbuf_adds(&h, "Bearer realm=\"mcpauth\", error=\"insufficient_scope\", scope=\"");
	sbuf_adds(&h, scope.p);
	sbuf_adds(&h, "\", resource_metadata=\"");
	add_resource_metadata_url(&h, req);
	sbuf_adds(&h, "\"");
	response_header_take(resp, "WWW-Authenticate", sbuf_take(&h));
	sbuf_free(&scope);
	return HTTP_ANSWERED;
}

/* The token's check: HTTP_GO_ON with req->principal filled, or
 * HTTP_ANSWERED with the 401 (or 503) in resp. A missing token passes when public. */
static enum http_flow check_token(struct request *req, struct response *resp, int public)
{
	enum token_failure why;
	if (req->principal)
		return HTTP_GO_ON; /* a tool call's, checked on the caller's request */
	switch (authenticate(req, &why)) {
	case TOKEN_OK:
		return HTTP_GO_ON;
	case TOKEN_MISSING:
		if (public)
			return HTTP_GO_ON;
		guard_challenge(req, resp, NULL, NULL);
		response_error(resp, 401, "No token provided",
			       "Authorization header with Bearer token required");
		return HTTP_ANSWERED;
	case TOKEN_EXPIRED:
		audit_event(req, "token_rejected", "reason", why ? token_strerror(why) : "expired", NULL);
		guard_challenge(req, resp, "invalid_token", "The token expired");
		response_error(resp, 401, "Token expired", "Please obtain a new token");
		return HTTP_ANSWERED;
	case TOKEN_UNAVAILABLE:
		if (public)
			return HTTP_GO_ON; /* it cannot be told bad yet, and the route needs none */
		/* Not the caller's fault: the tenant's keys have not been fetched yet. */
		response_error(
		    resp, 503, "Service unavailable",
		    "The signing keys of the Auth0 tenant cannot be fetched yet; try again shortly");
		response_header(resp, "Retry-After", "%ld", req->app->config.jwks_min_interval);
		return HTTP_ANSWERED;
	case TOKEN_INVALID:
	default:
		audit_event(req, "token_rejected", "reason", why ? token_strerror(why) : "invalid", NULL);
		guard_challenge(req, resp, "invalid_token", "Token validation failed");
		response_error(resp, 401, "Invalid token", "Token validation failed");
		return HTTP_ANSWERED;
	}
}

enum http_flow guard_bearer(struct request *req, struct response *resp)
{
	/* Other schemes (Basic, for a token endpoint) are not this guard's. */
	return req->authorization ? check_token(req, resp, 1) : HTTP_GO_ON;
}

/* RFC 9470: a good token of a login without a second factor, on a route
 * that needs one: 401 insufficient_user_authentication. */
static enum http_flow second_factor(struct request *req, struct response *resp)
{
	const struct principal *p = req->principal;
	if (!(req->route->flags & ROUTE_SECOND_FACTOR) || p->second_factor)
		return HTTP_GO_ON;
	audit_event(req, "second_factor_required", "sub", p->sub, NULL);
	guard_challenge(req, resp, "insufficient_user_authentication",
			"A login with a second factor is required");
	response_error(resp, 401, "insufficient_user_authentication",
		       "This needs a token from a login with a second factor (amr otp): log in again with "
		       "your code");
	return HTTP_ANSWERED;
}

enum http_flow guard_check(struct request *req, struct response *resp)
{
	const struct route *r = req->route;
	/* A public route is served without a token and with a good one; a
	 * Bearer token that fails is answered 401 all the same (MCP: invalid
	 * or expired tokens get a 401), so a client learns it at once. */
	if (r->req == ROUTE_PUBLIC)
		return (r->flags & ROUTE_CHECKS_TOKEN) ? HTTP_GO_ON : guard_bearer(req, resp);
	if (check_token(req, resp, 0) == HTTP_ANSWERED)
		return HTTP_ANSWERED;
	const struct principal *p = req->principal;
	if (r->req == ROUTE_PERMISSION && !principal_has_permission(p, r->need)) {
		if (step_up(req, resp, 1) == HTTP_ANSWERED)
			return HTTP_ANSWERED;
		audit_event(req, "permission_denied", "sub", p->sub, "need", r->need, NULL);
		insufficient(req, resp, "Insufficient permissions", "Permission", "userPermissions",
			     p->permissions ? json_object_get(p->permissions) : json_object_new_array());
		return HTTP_ANSWERED;
	}
	if (r->req == ROUTE_SCOPE) {
		if (!p->scope) {
			audit_event(req, "scope_denied", "sub", p->sub, "need", r->need, "reason",
				    "no scope claim", NULL);
			guard_challenge(req, resp, "invalid_token",
					"Token does not contain scope information");
			response_error(resp, 401, "No scope information",
				       "Token does not contain scope information");
			return HTTP_ANSWERED;
		}
		if (!principal_has_scope(p, r->need)) {
			if (step_up(req, resp, 0) == HTTP_ANSWERED)
				return HTTP_ANSWERED;
			audit_event(req, "scope_denied", "sub", p->sub, "need", r->need, NULL);
			insufficient(req, resp, "Insufficient scope", "Scope", "userScopes",
				     json_word_array(p->scope));
			return HTTP_ANSWERED;
		}
	}
	return second_factor(req, resp);
}

int guard_allows(const struct route *r, const struct principal *p)
{
	int met = 0;
	switch (r->req) {
	case ROUTE_PUBLIC:
		/* guard_check asks nothing more of a public route. */
		return 1;
	case ROUTE_TOKEN:
		met = p != NULL;
		break;
	case ROUTE_PERMISSION:
		met = p && principal_has_permission(p, r->need);
		break;
	case ROUTE_SCOPE:
		met = p && principal_has_scope(p, r->need);
		break;
	}
	/* Then second_factor's rule, as guard_check applies it. */
	return met && (!(r->flags & ROUTE_SECOND_FACTOR) || p->second_factor);
}
