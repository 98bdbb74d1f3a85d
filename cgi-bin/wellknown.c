/* wellknown: the documents clients discover the suite with. */
#include "wellknown.h"
#include "guard.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void jwks_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	(void)req;
	/* The keys as this suite trusts them now (a tenant's refreshed when due). */
	time_t now = app->now();
	app->source->keys_tick(app, now);
	json_object *keys = json_object_new_array();
	for (size_t i = 0; i < app->keys.nkeys; i++) {
		if (jwks_key_retired(&app->keys.keys[i], now))
			continue; /* no longer trusted: not offered to anyone either */
		char *jwk = jwks_public_jwk(app->keys.keys[i].pkey, app->keys.keys[i].kid);
		if (jwk)
			json_object_array_add(keys, json_tokener_parse(jwk));
		free(jwk);
	}
	json_object *body = json_object_new_object();
	json_object_object_add(body, "keys", keys);
	response_json(resp, 200, body);
	response_header(resp, "Cache-Control", "public, max-age=300");
}

static json_object *string_array(const char *const *s, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(s[i]));
	return a;
}
#define STRINGS(...)                                                                                         \
	string_array((const char *const[]){__VA_ARGS__},                                                     \
		     sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* RFC 9728: the resource at the root (resource = origin + "/") or the MCP
 * endpoint; each document names the resource its own URL is built from
 * (section 3.3). */
static void protected_resource(struct request *req, struct response *resp, int mcp)
{
	const struct app *app = req->app;
	char *resource = guard_resource_url_of(req, mcp);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "resource", json_object_new_string(resource));
	json_object_object_add(body, "authorization_servers", STRINGS(app->config.issuer));
	char *scopes = route_scopes(app->groups, app->ngroups);
	json_object_object_add(body, "scopes_supported", json_word_array(scopes));
	free(scopes);
	json_object_object_add(body, "bearer_methods_supported", STRINGS("header"));
	json_object_object_add(body, "resource_name",
			       json_object_new_string(mcp ? "mcpauth MCP tools" : "mcpauth"));
	response_json(resp, 200, body);
	free(resource);
}

void protected_resource_root_get(struct request *req, struct response *resp)
{
	protected_resource(req, resp, 0);
}

void protected_resource_mcp_get(struct request *req, struct response *resp)
{
	protected_resource(req, resp, 1);
}

/* The issuer's origin and path without a trailing slash, then path: the
 * issuer https://a.example/ gives https://a.example/authorize, and
 * https://a.example/t gives https://a.example/t/authorize. */
static json_object *endpoint(const struct app *app, const char *path)
{
	const char *iss = app->config.issuer;
	size_t n = strlen(iss);
	while (n > 0 && iss[n - 1] == '/')
		n--;
	struct sbuf b = {0};
	sbuf_add(&b, iss, n);
	sbuf_adds(&b, path);
	json_object *s = json_object_new_string_len(b.p, (int)b.len);
	sbuf_free(&b);
	return s;
}

/* The same facts for RFC 8414 and OpenID Connect Discovery; the issuer
 * verbatim, as tokens and the authorization response's iss carry it. */
static void server_metadata(const struct app *app, struct response *resp, int oidc)
{
	if (!app->source->issues_tokens) {
		char *msg =
		    ck_asprintf("The authorization server is the Auth0 tenant https://%s/ (its metadata: "
				"https://%s/.well-known/openid-configuration)",
				app->config.auth0_domain, app->config.auth0_domain);
		response_error(resp, 404, "Not found", msg);
		free(msg);
		return;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "issuer", json_object_new_string(app->config.issuer));
	json_object_object_add(o, "authorization_endpoint", endpoint(app, "/authorize"));
	json_object_object_add(o, "token_endpoint", endpoint(app, "/oauth/token"));
	json_object_object_add(o, "registration_endpoint", endpoint(app, "/oauth/register"));
	json_object_object_add(o, "revocation_endpoint", endpoint(app, "/oauth/revoke"));
	json_object_object_add(o, "jwks_uri", endpoint(app, "/.well-known/jwks.json"));
	char *scopes = route_scopes(app->groups, app->ngroups);
	json_object_object_add(o, "scopes_supported", json_word_array(scopes));
	free(scopes);
	json_object_object_add(o, "response_types_supported", STRINGS("code"));
	json_object_object_add(o, "response_modes_supported", STRINGS("query"));
	json_object_object_add(o, "grant_types_supported", STRINGS("authorization_code", "refresh_token"));
	json_object_object_add(o, "code_challenge_methods_supported", STRINGS("S256"));
	json_object_object_add(o, "token_endpoint_auth_methods_supported",
			       STRINGS("none", "client_secret_basic", "client_secret_post"));
	json_object_object_add(o, "revocation_endpoint_auth_methods_supported",
			       STRINGS("none", "client_secret_basic", "client_secret_post"));
	json_object_object_add(o, "client_id_metadata_document_supported", json_object_new_boolean(1));
	json_object_object_add(o, "authorization_response_iss_parameter_supported",
			       json_object_new_boolean(1));
	if (oidc) {
		json_object_object_add(o, "subject_types_supported", STRINGS("public"));
		json_object_object_add(o, "id_token_signing_alg_values_supported", STRINGS("RS256"));
	}
	response_json(resp, 200, o);
	response_header(resp, "Cache-Control", "public, max-age=300");
}

void authorization_server_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	(void)req;
	server_metadata(app, resp, 0);
}

void openid_configuration_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	(void)req;
	server_metadata(app, resp, 1);
}
