/* Accounts by mail at the local issuer, served by the auth program
 * (cgi-bin/accountmail.c): sign-up, email verification and password reset,
 * each as JSON and as a page. Their rows are in auth_routes.h. */
#ifndef MCPAUTH_ACCOUNTMAIL_H
#define MCPAUTH_ACCOUNTMAIL_H

#include "field.h"
#include "http.h"

/* The JSON routes' input tables. */
extern const struct route_fields signup_fields, account_email_fields, reset_confirm_fields;

void signup_post(struct request *req, struct response *resp);
void verify_get(struct request *req, struct response *resp);
void verify_resend_post(struct request *req, struct response *resp);
void reset_request_post(struct request *req, struct response *resp);
void reset_confirm_post(struct request *req, struct response *resp);
void signup_page_get(struct request *req, struct response *resp);
void signup_page_post(struct request *req, struct response *resp);
void reset_page_get(struct request *req, struct response *resp);
void reset_page_post(struct request *req, struct response *resp);

#endif
