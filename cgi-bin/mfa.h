/* The second factor (TOTP, RFC 6238): enrolment, confirmation, status and
 * disabling (cgi-bin/mfa.c), and the code check the login's second step
 * (cgi-bin/auth.c) shares. Their rows are in auth_routes.h. */
#ifndef MCPAUTH_MFA_H
#define MCPAUTH_MFA_H

#include "http.h"
#include "route.h"
#include "userdb.h"

#define MFA_CODE_MAX 32 /* a TOTP code (6 digits) or a recovery code ("xxxxx-xxxxx") */

void mfa_get(struct request *req, struct response *resp);
void mfa_enroll_post(struct request *req, struct response *resp);
void mfa_confirm_post(struct request *req, struct response *resp);
void mfa_disable_post(struct request *req, struct response *resp);
/* The page /account/mfa (a signed-in browser): state, QR code, forms. */
void account_mfa_get(struct request *req, struct response *resp);
void account_mfa_post(struct request *req, struct response *resp);
extern const struct route_fields mfa_get_fields, mfa_enroll_fields, mfa_confirm_fields, mfa_disable_fields;

/* Why a code was refused: the status (401, 429, 503), a sentence for the
 * JSON message or the page's alert, and Retry-After for a 429. */
struct mfa_refusal {
	int status;
	const char *message;
	long retry_after;
	char buf[96];
};

/* The code a user gives (a TOTP code or a recovery code) under the login
 * rate limits: HTTP_GO_ON when right (*recovery: it was a recovery code),
 * HTTP_ANSWERED with why filled (a wrong or reused code counts as a failed
 * login). Answers nothing: the pages and the JSON routes each do. */
enum http_flow mfa_code_verify(struct request *req, const struct user *u, const char *code, int *recovery,
			       struct mfa_refusal *why);

/* The code a user gives (a TOTP code or a recovery code) under the login
 * rate limits: HTTP_GO_ON when right (*recovery: it was a recovery code),
 * HTTP_ANSWERED with 429, 401 (wrong or reused, counted as a failed
 * login) or 503 in resp. */
enum http_flow mfa_code_check(struct request *req, struct response *resp, const struct user *u,
			      const char *code, int *recovery);

/* The otpauth:// URI of key for u: issuer the site (the issuer URL's
 * host), account the email. Caller frees. */
char *mfa_uri(const struct app *app, const struct user *u, const unsigned char *key);

#endif
