/* auth: the public index, login at the local issuer, and the well-known
 * documents (JWKS, protected resource metadata). */
#include "app.h"
#include "auth0.h"
#include "password.h"
#include "routes.h"
#include "userdb.h"
#include "util.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static const char *requirement_text(const struct route *r, char *buf, size_t n)
{
	switch (r->req) {
	case ROUTE_PERMISSION: snprintf(buf, n, "permission %s", r->need); break;
	case ROUTE_SCOPE: snprintf(buf, n, "scope %s", r->need); break;
	case ROUTE_TOKEN: snprintf(buf, n, "valid token"); break;
	default: snprintf(buf, n, "none"); break;
	}
	return buf;
}

static void index_get(struct request *req, struct response *resp)
{
	json_object *pub = json_object_new_array(), *prot = json_object_new_array();
	for (size_t g = 0; g < app.ngroups; g++) {
		for (size_t i = 0; i < app.groups[g]->nroutes; i++) {
			const struct route *r = &app.groups[g]->routes[i];
			json_object *e = json_object_new_object();
			json_object_object_add(e, "method", json_object_new_string(r->method));
			json_object_object_add(e, "path", json_object_new_string(r->pattern));
			json_object_object_add(e, "summary", json_object_new_string(r->summary));
			if (r->req != ROUTE_PUBLIC) {
				char buf[128];
				json_object_object_add(e, "requires",
						       json_object_new_string(requirement_text(r, buf, sizeof buf)));
			}
			json_object_array_add(r->req == ROUTE_PUBLIC ? pub : prot, e);
		}
	}
	json_object *endpoints = json_object_new_object();
	json_object_object_add(endpoints, "public", pub);
	json_object_object_add(endpoints, "protected", prot);
	json_object *auth0 = json_object_new_object();
	json_object_object_add(auth0, "domain", json_string_or_null(app.config.auth0_domain));
	json_object_object_add(auth0, "audience", json_object_new_string(app.config.audience));
	json_object_object_add(auth0, "clientId", json_string_or_null(app.config.client_id));
	json_object *body = json_object_new_object();
	json_object_object_add(body, "message", json_object_new_string("Auth0 Integration Example"));
	json_object_object_add(body, "endpoints", endpoints);
	json_object_object_add(body, "auth0", auth0);
	response_json(resp, 200, body);
}

/* Auth0 mode: the tenant's password-realm grant, when AUTH0_LOGIN_REALM is set. */
static void login_at_tenant(const char *email, const char *password, struct response *resp)
{
	struct auth0_result r;
	auth0_password_grant(&app.config, &app.fetch, email, password, &r);
	if (r.status == AUTH0_OK) {
		response_json(resp, 200, json_object_get(r.body));
		response_header(resp, "Cache-Control", "no-store");
		response_header(resp, "Pragma", "no-cache");
	} else {
		auth0_error_response(&r, resp);
	}
	auth0_result_free(&r);
}

static void login(struct request *req, struct response *resp)
{
	if (app.auth0 && !app.config.login_realm) {
		char *msg = ck_asprintf("Log in at the Auth0 tenant https://%s/ (this suite verifies its tokens)",
					app.config.auth0_domain);
		response_error(resp, 404, "Not found", msg);
		free(msg);
		return;
	}
	const char *email = json_get_string(req->body, "email");
	const char *password = json_get_string(req->body, "password");
	if (!email || !password || !*email || !*password) {
		response_error(resp, 400, "Invalid request", "JSON body with string fields email and password required");
		return;
	}
	if (strlen(email) > 256 || strlen(password) > PASSWORD_MAX_LEN) {
		response_error(resp, 400, "Invalid request", "email or password too long");
		return;
	}
	if (app.auth0) {
		login_at_tenant(email, password, resp);
		return;
	}
	struct user u;
	int rc = userdb_find_by_email(app.db, email, &u);
	if (rc == USERDB_ERROR) {
		response_error(resp, 503, "Service unavailable", "The user store cannot be read");
		return;
	}
	/* Unknown users pay for a hash too, so timing tells nothing. */
	int ok = password_verify(password, rc == USERDB_OK ? u.password_hash : NULL);
	if (!ok) {
		if (rc == USERDB_OK)
			user_free(&u);
		guard_challenge(req, resp, NULL, NULL);
		response_error(resp, 401, "Invalid credentials", "Authentication failed");
		return;
	}
	json_object *claims = issuer_access_claims(app.config.issuer, app.config.audience, &u, app.now(),
						    app.config.token_ttl);
	char *token = issuer_sign(&app.issuer, claims);
	json_object_put(claims);
	if (!token) {
		user_free(&u);
		log_msg("signing a token failed");
		response_error(resp, 500, "Internal error", "The token could not be signed");
		return;
	}
	json_object *user = json_object_new_object();
	json_object_object_add(user, "sub", json_object_new_string(u.sub));
	json_object_object_add(user, "email", json_object_new_string(u.email));
	json_object_object_add(user, "name", json_object_new_string(u.name));
	json_object *body = json_object_new_object();
	json_object_object_add(body, "access_token", json_object_new_string(token));
	json_object_object_add(body, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(body, "expires_in", json_object_new_int64(app.config.token_ttl));
	json_object_object_add(body, "user", user);
	response_json(resp, 200, body);
	response_header(resp, "Cache-Control", "no-store");
	response_header(resp, "Pragma", "no-cache");
	secure_free(token, strlen(token));
	user_free(&u);
}

static void jwks_get(struct request *req, struct response *resp)
{
	/* Auth0 mode: the tenant's keys as this suite trusts them now. */
	if (app.auth0)
		jwks_cache_tick(&app.jwks_cache, app.now());
	json_object *keys = json_object_new_array();
	for (size_t i = 0; i < app.keys.nkeys; i++) {
		char *jwk = jwks_public_jwk(app.keys.keys[i].pkey, app.keys.keys[i].kid);
		if (jwk)
			json_object_array_add(keys, json_tokener_parse(jwk));
		free(jwk);
	}
	json_object *body = json_object_new_object();
	json_object_object_add(body, "keys", keys);
	response_json(resp, 200, body);
	response_header(resp, "Cache-Control", "public, max-age=300");
}

static void protected_resource_get(struct request *req, struct response *resp)
{
	char *resource = guard_resource_url(req);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "resource", json_object_new_string(resource));
	json_object *as = json_object_new_array();
	json_object_array_add(as, json_object_new_string(app.config.issuer));
	json_object_object_add(body, "authorization_servers", as);
	json_object_object_add(body, "scopes_supported",
			       json_word_array("openid profile email offline_access read:profile write:profile "
					       "read:users write:users admin:all"));
	json_object *methods = json_object_new_array();
	json_object_array_add(methods, json_object_new_string("header"));
	json_object_object_add(body, "bearer_methods_supported", methods);
	json_object_object_add(body, "resource_name", json_object_new_string("mcpauth"));
	response_json(resp, 200, body);
	free(resource);
}

static const char login_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"email\":{\"type\":\"string\",\"description\":\"The user's email\"},"
	"\"password\":{\"type\":\"string\",\"description\":\"The user's password\"}},"
	"\"required\":[\"email\",\"password\"]}";

static const struct route auth_routes[] = {
	{"GET", "/", ROUTE_PUBLIC, NULL, "API index: the routes and the Auth0 settings", NULL, index_get, 0},
	{"POST", "/auth/login", ROUTE_PUBLIC, NULL, "Log in with email and password; returns an RS256 access token",
	 login_schema, login, 0},
	{"GET", "/.well-known/jwks.json", ROUTE_PUBLIC, NULL, "The issuer's public signing keys (JWKS)", NULL,
	 jwks_get, 0},
	{"GET", "/.well-known/oauth-protected-resource", ROUTE_PUBLIC, NULL,
	 "OAuth 2.0 Protected Resource Metadata (RFC 9728)", NULL, protected_resource_get, 0},
	{"GET", "/.well-known/oauth-protected-resource/mcp", ROUTE_PUBLIC, NULL,
	 "OAuth 2.0 Protected Resource Metadata for the MCP endpoint (RFC 9728)", NULL, protected_resource_get, 0},
};

const struct route_group auth_group = {"auth", ROUTE_TABLE(auth_routes), GROUP_SIGNS};
