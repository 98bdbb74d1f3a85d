/* The auth group's routes, one ROUTE row each (cgi-bin/routes.h says what
 * a row holds and who includes it). No include guard: included once per
 * table, with ROUTE defined. */
#define AUTH_GROUP_FLAGS GROUP_SIGNS

ROUTE("GET", "/", ROUTE_PUBLIC, NULL, "API index: the routes and the Auth0 settings", &index_fields,
      index_get, 0)
ROUTE("POST", "/auth/login", ROUTE_PUBLIC, NULL,
      "Log in with email and password; returns an RS256 access token", &login_fields, login,
      ROUTE_JSON_ONLY | ROUTE_NO_MCP)
ROUTE("POST", "/auth/refresh", ROUTE_PUBLIC, NULL,
      "Exchange a refresh token for a new access token and a new refresh token (the old one stops working)",
      &refresh_fields, refresh_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP | ROUTE_DESTRUCTIVE)
ROUTE("POST", "/auth/logout", ROUTE_PUBLIC, NULL, "Revoke a refresh token and every token of its login",
      &logout_fields, logout_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP | ROUTE_DESTRUCTIVE | ROUTE_IDEMPOTENT)
ROUTE("GET", "/.well-known/jwks.json", ROUTE_PUBLIC, NULL, "The issuer's public signing keys (JWKS)", NULL,
      jwks_get, 0)
ROUTE("GET", "/.well-known/oauth-protected-resource", ROUTE_PUBLIC, NULL,
      "OAuth 2.0 Protected Resource Metadata of the API at the root (RFC 9728)", NULL,
      protected_resource_root_get, 0)
ROUTE("GET", "/.well-known/oauth-protected-resource/mcp", ROUTE_PUBLIC, NULL,
      "OAuth 2.0 Protected Resource Metadata for the MCP endpoint (RFC 9728)", NULL,
      protected_resource_mcp_get, 0)
ROUTE("GET", "/.well-known/oauth-authorization-server", ROUTE_PUBLIC, NULL,
      "OAuth 2.0 Authorization Server Metadata of the local issuer (RFC 8414)", NULL,
      authorization_server_get, 0)
ROUTE("GET", "/.well-known/openid-configuration", ROUTE_PUBLIC, NULL,
      "OpenID Connect Discovery: the local issuer's metadata", NULL, openid_configuration_get, 0)
/* No field table: RFC 7591 answers bad client metadata with its own error
 * codes (invalid_client_metadata, invalid_redirect_uri) and ignores
 * unknown members; lib/store/oauthclient.c holds those rules, once. */
ROUTE("POST", "/oauth/register", ROUTE_PUBLIC, NULL,
      "Register an OAuth client (Dynamic Client Registration, RFC 7591); a confidential client's secret is "
      "shown once",
      NULL, register_post, ROUTE_JSON_ONLY | ROUTE_RAW_BODY | ROUTE_NO_MCP)
ROUTE("GET", "/authorize", ROUTE_PUBLIC, NULL,
      "OAuth 2.1 authorization endpoint (code with PKCE S256): the sign-in and consent pages", NULL,
      authorize_get, ROUTE_NO_MCP)
ROUTE("POST", "/authorize", ROUTE_PUBLIC, NULL, "The authorization endpoint's sign-in form (HTML form post)",
      NULL, authorize_post, ROUTE_RAW_BODY | ROUTE_NO_MCP)
ROUTE("POST", "/authorize/consent", ROUTE_PUBLIC, NULL,
      "The authorization endpoint's consent form: allow or deny (HTML form post)", NULL,
      authorize_consent_post, ROUTE_RAW_BODY | ROUTE_NO_MCP)
ROUTE("POST", "/oauth/token", ROUTE_PUBLIC, NULL,
      "OAuth 2.1 token endpoint (form-encoded): authorization_code with PKCE, refresh_token", NULL,
      oauth_token_post, ROUTE_RAW_BODY | ROUTE_NO_MCP)
ROUTE("POST", "/oauth/revoke", ROUTE_PUBLIC, NULL, "OAuth token revocation (RFC 7009, form-encoded)", NULL,
      oauth_revoke_post, ROUTE_RAW_BODY | ROUTE_NO_MCP)
