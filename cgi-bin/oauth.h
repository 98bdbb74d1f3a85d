/* The local authorization server's handlers (OAuth 2.1: authorization code
 * with PKCE), served by the auth program: cgi-bin/authorize.c (the
 * authorization endpoint and its login and consent pages) and
 * cgi-bin/oauthtoken.c (the token and revocation endpoints). Their rows
 * are in auth_routes.h. */
#ifndef MCPAUTH_OAUTH_H
#define MCPAUTH_OAUTH_H

#include "http.h"

void authorize_get(struct request *req, struct response *resp);
void authorize_post(struct request *req, struct response *resp);
void authorize_consent_post(struct request *req, struct response *resp);
void oauth_token_post(struct request *req, struct response *resp);
void oauth_revoke_post(struct request *req, struct response *resp);

/* Auth0 mode: HTTP_ANSWERED with a 404 naming the tenant, which is then
 * the authorization server. */
enum http_flow oauth_tenant_only(const struct app *app, struct response *resp);

#endif
