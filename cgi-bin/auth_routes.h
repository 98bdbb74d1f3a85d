/* The auth group's routes, one ROUTE row each (cgi-bin/routes.h says what
 * a row holds and who includes it). No include guard: included once per
 * table, with ROUTE defined. */
#define AUTH_GROUP_FLAGS GROUP_SIGNS

ROUTE("GET", "/", ROUTE_PUBLIC, NULL, "API index: the routes and the Auth0 settings", &index_fields,
      index_get, 0)
ROUTE("POST", "/auth/login", ROUTE_PUBLIC, NULL,
      "Log in with email and password; returns an RS256 access token", &login_fields, login,
      ROUTE_JSON_ONLY | ROUTE_NO_MCP)
ROUTE("POST", "/auth/login/mfa", ROUTE_PUBLIC, NULL,
      "The login's second step: the mfa_token of a 403 mfa_required and a TOTP or recovery code; returns the "
      "tokens",
      &login_mfa_fields, login_mfa, ROUTE_JSON_ONLY | ROUTE_NO_MCP)
ROUTE("GET", "/auth/mfa", ROUTE_TOKEN, NULL, "Whether two-factor login (TOTP) is on for the caller",
      &mfa_get_fields, mfa_get, 0)
ROUTE("POST", "/auth/mfa/enroll", ROUTE_TOKEN, NULL,
      "Start two-factor login: a new TOTP secret (pending) and its otpauth:// URI", &mfa_enroll_fields,
      mfa_enroll_post, ROUTE_NO_MCP | ROUTE_DESTRUCTIVE)
ROUTE("POST", "/auth/mfa/confirm", ROUTE_TOKEN, NULL,
      "Turn two-factor login on with a first code; returns the recovery codes, once", &mfa_confirm_fields,
      mfa_confirm_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP)
ROUTE("POST", "/auth/mfa/disable", ROUTE_TOKEN, NULL,
      "Turn two-factor login off with a code; needs a token of a login with a second factor",
      &mfa_disable_fields, mfa_disable_post,
      ROUTE_JSON_ONLY | ROUTE_NO_MCP | ROUTE_SECOND_FACTOR | ROUTE_DESTRUCTIVE)
ROUTE("GET", "/account/mfa", ROUTE_PUBLIC, NULL,
      "The two-factor page of a signed-in browser: the QR code to scan, confirm, turn off", NULL,
      account_mfa_get, ROUTE_NO_MCP)
ROUTE("POST", "/account/mfa", ROUTE_PUBLIC, NULL, "The two-factor page's forms (HTML form post)", NULL,
      account_mfa_post, ROUTE_RAW_BODY | ROUTE_NO_MCP)
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
/* Accounts by mail (cgi-bin/accountmail.c): sign-up, email verification,
 * password reset. Not tools on /mcp: they take passwords and mailed
 * tokens, or start a flow only the mailed link can finish. A new link
 * ends the earlier one of its kind: ROUTE_DESTRUCTIVE. */
ROUTE("POST", "/auth/signup", ROUTE_PUBLIC, NULL,
      "Sign up with email, password and name (MCPAUTH_SIGNUP); a link to verify the email is mailed",
      &signup_fields, signup_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP)
ROUTE("GET", "/auth/verify", ROUTE_PUBLIC, NULL,
      "Verify an email address with the mailed link's token (a page, or JSON when asked for)", NULL,
      verify_get, ROUTE_NO_MCP)
ROUTE("POST", "/auth/verify/resend", ROUTE_PUBLIC, NULL,
      "Mail a new verification link to an account that has not verified its email", &account_email_fields,
      verify_resend_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP | ROUTE_DESTRUCTIVE)
ROUTE("POST", "/auth/password/reset", ROUTE_PUBLIC, NULL,
      "Mail a password reset link (valid 30 minutes, once) to an account's email", &account_email_fields,
      reset_request_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP | ROUTE_DESTRUCTIVE)
ROUTE("POST", "/auth/password/reset/confirm", ROUTE_PUBLIC, NULL,
      "Set a new password with a reset link's token; every session of the account is signed out",
      &reset_confirm_fields, reset_confirm_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP | ROUTE_DESTRUCTIVE)
ROUTE("GET", "/account/signup", ROUTE_PUBLIC, NULL, "The sign-up page", NULL, signup_page_get, ROUTE_NO_MCP)
ROUTE("POST", "/account/signup", ROUTE_PUBLIC, NULL, "The sign-up page's form (HTML form post)", NULL,
      signup_page_post, ROUTE_RAW_BODY | ROUTE_NO_MCP)
ROUTE("GET", "/account/reset", ROUTE_PUBLIC, NULL,
      "The password reset page: with a mailed token, a new password; without, a link by mail", NULL,
      reset_page_get, ROUTE_NO_MCP)
ROUTE("POST", "/account/reset", ROUTE_PUBLIC, NULL, "The password reset page's forms (HTML form post)", NULL,
      reset_page_post, ROUTE_RAW_BODY | ROUTE_NO_MCP)
ROUTE("POST", "/auth/password", ROUTE_TOKEN, NULL,
      "Change the caller's password (old and new); ends every refresh token, OAuth grant and browser session "
      "of the user",
      &password_fields, password_post, ROUTE_JSON_ONLY | ROUTE_NO_MCP | ROUTE_DESTRUCTIVE)
ROUTE("GET", "/account", ROUTE_PUBLIC, NULL, "The account page: sign in, sessions, password change", NULL,
      account_get, ROUTE_NO_MCP)
ROUTE("POST", "/account/login", ROUTE_PUBLIC, NULL, "The account page's sign-in form (HTML form post)", NULL,
      account_login_post, ROUTE_RAW_BODY | ROUTE_NO_MCP)
ROUTE("POST", "/account/password", ROUTE_PUBLIC, NULL, "The account page's password form (HTML form post)",
      NULL, account_password_post, ROUTE_RAW_BODY | ROUTE_NO_MCP)
ROUTE("POST", "/account/sessions/end", ROUTE_PUBLIC, NULL,
      "The account page's form that ends a session (HTML form post)", NULL, account_session_end_post,
      ROUTE_RAW_BODY | ROUTE_NO_MCP)
