/* register: POST /oauth/register, Dynamic Client Registration (RFC 7591)
 * for the local authorization server. Part of the auth group. */
#ifndef MCPAUTH_REGISTER_H
#define MCPAUTH_REGISTER_H

#include "http.h"

void register_post(struct request *req, struct response *resp);
extern const char register_schema[];

#endif
