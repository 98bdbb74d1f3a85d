/* The auth group's routes, one ROUTE row each (cgi-bin/routes.h says what
 * a row holds and who includes it). No include guard: included once per
 * table, with ROUTE defined. */
#define AUTH_GROUP_FLAGS GROUP_SIGNS

ROUTE("GET", "/", ROUTE_PUBLIC, NULL, "API index: the routes and the Auth0 settings", NULL, index_get, 0)
ROUTE("POST", "/auth/login", ROUTE_PUBLIC, NULL,
      "Log in with email and password; returns an RS256 access token", login_schema, login,
      ROUTE_JSON_ONLY | ROUTE_NO_MCP)
ROUTE("POST", "/auth/refresh", ROUTE_PUBLIC, NULL,
      "Exchange a refresh token for a new access token and a new refresh token (the old one stops working)",
      refresh_schema, refresh_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP)
ROUTE("POST", "/auth/logout", ROUTE_PUBLIC, NULL, "Revoke a refresh token and every token of its login",
      refresh_schema, logout_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP)
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
