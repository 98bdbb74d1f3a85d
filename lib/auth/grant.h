/* grant: who may give a permission to a user. A caller never grants a
 * permission its own token does not hold: write:users cannot mint an
 * administrator, and admin:all gives only what it holds itself. The
 * operator's mcpauth tool does not come through here. */
#ifndef MCPAUTH_GRANT_H
#define MCPAUTH_GRANT_H

#include "http.h"

/* wanted and held are space-separated permission lists; held is what the
 * target holds now ("" for a new user), so keeping or removing one is no
 * grant. HTTP_GO_ON when req's principal holds every permission wanted
 * adds; otherwise HTTP_ANSWERED, with the 403 naming the first one it lacks in resp and a
 * grant_refused audit line (target and target_email may be NULL). */
enum http_flow grant_check(const struct request *req, struct response *resp, const char *held,
			   const char *wanted, const char *target, const char *target_email);

#endif
