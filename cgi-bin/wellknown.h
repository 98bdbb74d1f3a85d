/* wellknown: the /.well-known/ documents the auth program serves (rows in
 * auth_routes.h): the issuer's keys, the protected resource metadata (RFC
 * 9728) and the authorization server metadata (RFC 8414, OpenID Connect
 * Discovery). */
#ifndef MCPAUTH_WELLKNOWN_H
#define MCPAUTH_WELLKNOWN_H

#include "http.h"

void jwks_get(struct request *req, struct response *resp);
/* /.well-known/oauth-protected-resource: the resource at the root. */
void protected_resource_root_get(struct request *req, struct response *resp);
/* /.well-known/oauth-protected-resource/mcp: the MCP endpoint. */
void protected_resource_mcp_get(struct request *req, struct response *resp);
void authorization_server_get(struct request *req, struct response *resp);
void openid_configuration_get(struct request *req, struct response *resp);

#endif
