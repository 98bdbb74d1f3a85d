/* The account's own routes, served by the auth program: the password
 * change (POST /auth/password, JSON) and the /account page (sign in, see
 * and end sessions, change the password: HTML forms, no JavaScript).
 * Their rows are in auth_routes.h. */
#ifndef MCPAUTH_ACCOUNT_H
#define MCPAUTH_ACCOUNT_H

#include "field.h"
#include "http.h"

void password_post(struct request *req, struct response *resp);
extern const struct route_fields password_fields;

void account_get(struct request *req, struct response *resp);
void account_login_post(struct request *req, struct response *resp);
void account_password_post(struct request *req, struct response *resp);
void account_session_end_post(struct request *req, struct response *resp);

#endif
